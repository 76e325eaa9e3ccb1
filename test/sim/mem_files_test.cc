// The simulated disk: its bookkeeping, paths, crash model (power cuts and
// kills), injected faults (EIO, fsyncgate, ENOSPC, slow operations) and
// SyncAsync (snapshots, order, faults at completion, crashes before it).
// Its POSIX behaviour is checked against the real disk in test/conformance/.

#include "sim/mem_files.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

using ::testing::ElementsAre;

TEST(MemFilesTest, SyncedSizeFollowsSync) {
  MemFileSystem fs;
  auto f = fs.Open("/aof", OpenMode::kAppend);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("hello").ok());
  EXPECT_EQ(*fs.SyncedSize("/aof"), 0u);
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(*fs.SyncedSize("/aof"), 5u);
  ASSERT_TRUE((*f)->Append("abc").ok());
  EXPECT_EQ(*fs.SyncedSize("/aof"), 5u);
  // A cut is durable only once synced, like anything else.
  ASSERT_TRUE((*f)->Truncate(2).ok());
  EXPECT_EQ(*fs.SyncedSize("/aof"), 5u);
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(*fs.SyncedSize("/aof"), 2u);
  EXPECT_EQ(fs.SyncedSize("/none").status().code(), absl::StatusCode::kNotFound);
}

TEST(MemFilesTest, EntriesAreSyncedBySyncDir) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  ASSERT_TRUE(fs.Open("/d/tmp", OpenMode::kAppend).ok());
  EXPECT_FALSE(fs.EntrySynced("/d", "tmp"));
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  EXPECT_TRUE(fs.EntrySynced("/d", "tmp"));
  ASSERT_TRUE(fs.Rename("/d/tmp", "/d/final").ok());
  EXPECT_FALSE(fs.EntrySynced("/d", "final"));
  EXPECT_TRUE(fs.EntrySynced("/d", "tmp"));  // still, until the next SyncDir
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  EXPECT_TRUE(fs.EntrySynced("/d", "final"));
  EXPECT_FALSE(fs.EntrySynced("/d", "tmp"));
}

TEST(MemFilesTest, PathsAreNormalized) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("a").ok());
  ASSERT_TRUE(fs.CreateDir("/a/b").ok());
  ASSERT_TRUE(fs.Open("/a/./b/../c", OpenMode::kAppend).ok());
  EXPECT_TRUE(fs.Exists("/a/c"));
  EXPECT_TRUE(fs.Exists("a//c"));
  EXPECT_THAT(*fs.List("/a"), ElementsAre("b", "c"));
  EXPECT_THAT(*fs.List("/"), ElementsAre("a"));
  EXPECT_TRUE(fs.CreateDir("/").ok());
  EXPECT_EQ(fs.Open("/", OpenMode::kRead).status().code(), absl::StatusCode::kInternal);
}

TEST(MemFilesTest, RenamingADirectoryBelowItselfFails) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/a").ok());
  EXPECT_EQ(fs.Rename("/a", "/a/b").code(), absl::StatusCode::kInternal);
  ASSERT_TRUE(fs.CreateDir("/e").ok());
  EXPECT_TRUE(fs.Rename("/a", "/e").ok());  // onto an empty directory
  EXPECT_FALSE(fs.Exists("/a"));
}

TEST(MemFilesTest, EveryNodeHasItsOwnDisk) {
  World world(1);
  Node& a = world.AddNode("a", "10.0.0.1");
  Node& b = world.AddNode("b", "10.0.0.2");
  ASSERT_TRUE(a.files().Open("/x", OpenMode::kAppend).ok());
  EXPECT_TRUE(a.files().Exists("/x"));
  EXPECT_FALSE(b.files().Exists("/x"));
}

std::string ReadAll(MemFileSystem& fs, absl::string_view path) {
  auto f = fs.Open(path, OpenMode::kRead);
  if (!f.ok()) return "<" + std::string(absl::StatusCodeToString(f.status().code())) + ">";
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = (*f)->ReadAt(out.size(), absl::MakeSpan(buf));
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

std::unique_ptr<File> OpenOrDie(MemFileSystem& fs, absl::string_view path,
                                OpenMode mode = OpenMode::kAppend) {
  auto f = fs.Open(path, mode);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? std::move(*f) : nullptr;
}

// Bytes that tell their offset, so a misplaced byte shows.
std::string Pattern(size_t from, size_t n) {
  std::string s;
  for (size_t i = from; i < from + n; ++i) s += static_cast<char>('A' + (i * 7 + i / 512) % 26);
  return s;
}

TEST(MemFilesCrashTest, UnsyncedTailIsKeptDroppedOrTornAtASector) {
  int kept = 0, dropped = 0, torn = 0, garbage = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir("/d").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    auto f = OpenOrDie(fs, "/d/aof");
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    const size_t synced = 1000 + seed % 700;  // unaligned on purpose
    ASSERT_TRUE(f->Append(Pattern(0, synced)).ok());
    ASSERT_TRUE(f->Sync().ok());
    // Several unsynced appends of assorted sizes.
    size_t end = synced;
    for (size_t n : {10, 700, 3, 2000}) {
      ASSERT_TRUE(f->Append(Pattern(end, n)).ok());
      end += n;
    }
    const std::string written = Pattern(0, end);
    fs.PowerCut();
    const std::string got = ReadAll(fs, "/d/aof");
    SCOPED_TRACE(absl::StrCat("seed ", seed, " size ", got.size()));
    // Synced bytes are exact; the length lies between synced and written.
    ASSERT_GE(got.size(), synced);
    ASSERT_LE(got.size(), end);
    ASSERT_EQ(got.substr(0, synced), written.substr(0, synced));
    // Then a prefix of what was appended, cut at a sector boundary (or at
    // the synced end), then at most one sector of garbage.
    size_t match = synced;
    while (match < got.size() && got[match] == written[match]) ++match;
    if (got.size() == end && match == end) {
      ++kept;
      continue;
    }
    if (got.size() == synced) {
      ++dropped;
      continue;
    }
    ++torn;
    // The cut B: the last boundary at or below `match` (garbage may match
    // the written bytes by chance, never beyond the next boundary).
    const size_t cut = std::max(synced, match / 512 * 512);
    ASSERT_TRUE(cut == synced || cut % 512 == 0);
    ASSERT_LE(got.size(), std::min(end, (cut / 512 + 1) * 512));
    if (got.size() > match) ++garbage;
  }
  std::printf("kept %d dropped %d torn %d (with garbage %d)\n", kept, dropped, torn, garbage);
  EXPECT_GT(kept, 40);
  EXPECT_GT(dropped, 40);
  EXPECT_GT(torn, 100);
  EXPECT_GT(garbage, 30);
}

TEST(MemFilesCrashTest, SyncedFileWithoutSyncDirMayVanish) {
  int vanished = 0, survived = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir("/d").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    auto f = OpenOrDie(fs, "/d/new");
    ASSERT_TRUE(f->Append("data").ok());
    ASSERT_TRUE(f->Sync().ok());  // the data, but not the name
    auto g = OpenOrDie(fs, "/d/safe");
    ASSERT_TRUE(g->Append("safe").ok());
    ASSERT_TRUE(g->Sync().ok());
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    auto h = OpenOrDie(fs, "/d/late");  // created after the SyncDir
    ASSERT_TRUE(h->Sync().ok());
    fs.PowerCut();
    EXPECT_EQ(ReadAll(fs, "/d/safe"), "safe");
    EXPECT_EQ(ReadAll(fs, "/d/new"), "data");  // synced with the dir
    if (fs.Exists("/d/late")) {
      ++survived;
    } else {
      ++vanished;
    }
  }
  EXPECT_GT(vanished, 20);
  EXPECT_GT(survived, 20);
}

TEST(MemFilesCrashTest, RenameInOneDirectoryIsAtomic) {
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir("/d").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    {
      auto f = OpenOrDie(fs, "/d/final");
      ASSERT_TRUE(f->Append("old").ok());
      ASSERT_TRUE(f->Sync().ok());
    }
    {
      auto f = OpenOrDie(fs, "/d/tmp");
      ASSERT_TRUE(f->Append("new").ok());
      ASSERT_TRUE(f->Sync().ok());
    }
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    ASSERT_TRUE(fs.Rename("/d/tmp", "/d/final").ok());
    fs.PowerCut();
    const std::string state =
        absl::StrCat("final=", ReadAll(fs, "/d/final"), " tmp=", ReadAll(fs, "/d/tmp"));
    outcomes.insert(state);
  }
  // Old or new, never both names, never neither.
  EXPECT_THAT(outcomes, ::testing::UnorderedElementsAre("final=new tmp=<NOT_FOUND>",
                                                        "final=old tmp=new"));
}

TEST(MemFilesCrashTest, RenameAcrossDirectoriesNeedsBothSynced) {
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir("/a").ok());
    ASSERT_TRUE(fs.CreateDir("/b").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    {
      auto f = OpenOrDie(fs, "/a/x");
      ASSERT_TRUE(f->Sync().ok());
    }
    ASSERT_TRUE(fs.SyncDir("/a").ok());
    ASSERT_TRUE(fs.Rename("/a/x", "/b/x").ok());
    const bool sync_both = seed % 2 == 0;
    if (sync_both) {
      ASSERT_TRUE(fs.SyncDir("/a").ok());
      ASSERT_TRUE(fs.SyncDir("/b").ok());
    }
    fs.PowerCut();
    const std::string state = absl::StrCat(sync_both ? "synced " : "unsynced ",
                                           fs.Exists("/a/x"), fs.Exists("/b/x"));
    outcomes.insert(state);
  }
  // Synced: moved. Unsynced: any of the four, POSIX allows it.
  EXPECT_THAT(outcomes, ::testing::UnorderedElementsAre(
                            "synced 01", "unsynced 00", "unsynced 01", "unsynced 10",
                            "unsynced 11"));
}

TEST(MemFilesCrashTest, UnsyncedTruncationMayBeUndone) {
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.SyncDir("/").ok());
    auto f = OpenOrDie(fs, "/f");
    ASSERT_TRUE(fs.SyncDir("/").ok());
    ASSERT_TRUE(f->Append("0123456789").ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Truncate(4).ok());
    ASSERT_TRUE(f->Append("ab").ok());
    fs.PowerCut();
    std::string got = ReadAll(fs, "/f");
    // Short garbage tails (a torn sector after the cut) are folded in.
    if (got.size() == 6 && got != "0123ab") got = "0123??";
    if (got.size() == 5 || got.size() == 6) {
      if (got.substr(0, 4) == "0123" && got != "0123ab") got = "0123??";
    }
    outcomes.insert(got);
  }
  EXPECT_TRUE(outcomes.contains("0123456789"));  // the truncate undone
  EXPECT_TRUE(outcomes.contains("0123ab"));      // everything kept
  EXPECT_TRUE(outcomes.contains("0123"));        // the append lost
  for (const std::string& o : outcomes) {
    EXPECT_THAT(o, ::testing::AnyOf("0123456789", "0123ab", "0123", "0123??")) << o;
  }
}

TEST(MemFilesCrashTest, KillLosesNothingButHandlesDie) {
  MemFileSystem fs(1);
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(f->Append("unsynced").ok());
  fs.InvalidateHandles();
  EXPECT_EQ(f->Append("x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(f->Sync().code(), absl::StatusCode::kInternal);
  char buf[4];
  EXPECT_EQ(f->ReadAt(0, absl::MakeSpan(buf)).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReadAll(fs, "/f"), "unsynced");  // the page cache survived
}

TEST(MemFilesFaultTest, AppendErrorWritesAPrefix) {
  MemFileSystem fs(3);
  auto f = OpenOrDie(fs, "/f");
  fs.FailAppends(1);
  const std::string data(100, 'e');
  absl::Status s = f->Append(data);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("/f"));
  const uint64_t size = *f->Size();
  EXPECT_LT(size, 100u);
  EXPECT_TRUE(f->Append("ok").ok());  // one error only
  EXPECT_EQ(*f->Size(), size + 2);
}

TEST(MemFilesFaultTest, FailedFsyncLosesThoseBytesForGood) {
  MemFileSystem fs(4);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(f->Append("AAAA").ok());
  fs.FailSyncs(1);
  EXPECT_EQ(f->Sync().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(f->Append("BB").ok());
  ASSERT_TRUE(f->Sync().ok());  // "succeeds"
  EXPECT_EQ(ReadAll(fs, "/f"), "AAAABB");  // the cache still shows it
  fs.PowerCut();
  EXPECT_EQ(ReadAll(fs, "/f"), std::string("\0\0\0\0BB", 6));
}

TEST(MemFilesFaultTest, SyncDirErrorMakesNothingDurable) {
  MemFileSystem fs(5);
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  fs.FailSyncs(1);
  EXPECT_EQ(fs.SyncDir("/").code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(fs.EntrySynced("/", "d"));
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_TRUE(fs.EntrySynced("/", "d"));
}

TEST(MemFilesFaultTest, DiskFullWritesWhatFits) {
  MemFileSystem fs;
  fs.set_capacity(10);
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(f->Append("12345678").ok());
  absl::Status s = f->Append("abcde");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReadAll(fs, "/f"), "12345678ab");
  EXPECT_EQ(fs.used_bytes(), 10u);
  EXPECT_EQ(f->Truncate(20).code(), absl::StatusCode::kResourceExhausted);
  // Space comes back when the file is gone: name, handle, and the removal
  // durable (until then a crash could bring the file back).
  ASSERT_TRUE(fs.Remove("/f").ok());
  EXPECT_EQ(fs.used_bytes(), 10u);  // still open
  f.reset();
  EXPECT_EQ(fs.used_bytes(), 10u);  // removal not durable
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_EQ(fs.used_bytes(), 0u);
  auto g = OpenOrDie(fs, "/g");
  EXPECT_TRUE(g->Append("0123456789").ok());
}

TEST(MemFilesFaultTest, SlowOperationsCallTheStallHook) {
  MemFileSystem fs;
  std::vector<absl::Duration> stalls;
  fs.set_stall([&](absl::Duration d) { stalls.push_back(d); });
  fs.SlowOps(2, absl::Milliseconds(30));
  auto f = OpenOrDie(fs, "/f");  // 1
  ASSERT_TRUE(f->Append("x").ok());  // 2
  ASSERT_TRUE(f->Sync().ok());  // not slow any more
  EXPECT_THAT(stalls, ElementsAre(absl::Milliseconds(30), absl::Milliseconds(30)));
}

TEST(MemFilesFaultTest, SlowFsyncMovesTheNodesClockNotTheWorlds) {
  World world(1);
  Node& a = world.AddNode("a", "10.0.0.1");
  Node& b = world.AddNode("b", "10.0.0.2");
  absl::Duration before, after, next_event, b_event;
  a.executor().Post([&] {
    auto f = a.files().Open("/f", OpenMode::kAppend);
    ASSERT_TRUE(f.ok());
    a.mem_files().SlowOps(1, absl::Milliseconds(200));
    before = a.clock().Monotonic();
    ASSERT_TRUE((*f)->Sync().ok());
    after = a.clock().Monotonic();
    a.executor().Post([&] { next_event = world.now(); });
  });
  b.executor().Schedule(absl::Milliseconds(50), [&] { b_event = world.now(); });
  world.RunUntilIdle();
  EXPECT_EQ(after - before, absl::Milliseconds(200));
  EXPECT_EQ(next_event, absl::Milliseconds(200));  // a was busy
  EXPECT_EQ(b_event, absl::Milliseconds(50));      // b was not
}

// --- SyncAsync, without a scheduler: completes at CompleteSyncs(). ---

// Records one SyncAsync's outcome.
struct Outcome {
  bool called = false;
  absl::Status status = absl::UnknownError("not called");
  std::function<void(absl::Status)> Callback() {
    return [this](absl::Status s) {
      called = true;
      status = std::move(s);
    };
  }
};

TEST(MemFilesSyncAsyncTest, CompletesOnlyLaterNeverInline) {
  MemFileSystem fs;
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(f->Append("abc").ok());
  Outcome o;
  f->SyncAsync(o.Callback());
  EXPECT_FALSE(o.called);
  EXPECT_EQ(fs.pending_syncs(), 1u);
  EXPECT_EQ(*fs.SyncedSize("/f"), 0u);  // durable only at completion
  EXPECT_EQ(fs.CompleteSyncs(), 1u);
  EXPECT_TRUE(o.called);
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(*fs.SyncedSize("/f"), 3u);
  EXPECT_EQ(fs.pending_syncs(), 0u);
  EXPECT_EQ(fs.CompleteSyncs(), 0u);
}

TEST(MemFilesSyncAsyncTest, CompletionsRunInCallOrderAcrossFiles) {
  MemFileSystem fs;
  auto a = OpenOrDie(fs, "/a");
  auto b = OpenOrDie(fs, "/b");
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    (i % 2 == 0 ? a : b)->SyncAsync([&order, &a, i](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      order.push_back(i);
      // Started by a callback: waits for the next round.
      if (i == 0) a->SyncAsync([&order](absl::Status) { order.push_back(10); });
    });
  }
  EXPECT_EQ(fs.CompleteSyncs(), 10u);
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_EQ(fs.CompleteSyncs(), 1u);
  EXPECT_EQ(order.back(), 10);
}

TEST(MemFilesSyncAsyncTest, DurableExactlyToTheSnapshotNotLaterAppends) {
  const std::string head = Pattern(0, 1300), tail = Pattern(1300, 2000);
  int tail_lost = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    MemFileSystem fs(seed);
    auto f = OpenOrDie(fs, "/aof");
    ASSERT_TRUE(fs.SyncDir("/").ok());
    ASSERT_TRUE(f->Append(head).ok());
    Outcome o;
    f->SyncAsync(o.Callback());
    ASSERT_TRUE(f->Append(tail).ok());  // after the call: not covered
    ASSERT_EQ(fs.CompleteSyncs(), 1u);
    ASSERT_TRUE(o.status.ok()) << o.status;
    EXPECT_EQ(*fs.SyncedSize("/aof"), head.size());
    fs.PowerCut();
    const std::string got = ReadAll(fs, "/aof");
    ASSERT_GE(got.size(), head.size());
    ASSERT_LE(got.size(), head.size() + tail.size());
    ASSERT_EQ(got.substr(0, head.size()), head);
    if (got.size() == head.size()) ++tail_lost;
  }
  EXPECT_GT(tail_lost, 10);
}

TEST(MemFilesSyncAsyncTest, CutBetweenCallAndCompletionLimitsIt) {
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    MemFileSystem fs(seed);
    auto f = OpenOrDie(fs, "/f");
    ASSERT_TRUE(fs.SyncDir("/").ok());
    ASSERT_TRUE(f->Append("0123456789").ok());
    f->SyncAsync([](absl::Status s) { EXPECT_TRUE(s.ok()) << s; });
    ASSERT_TRUE(f->Truncate(4).ok());
    ASSERT_TRUE(f->Append("ab").ok());  // rewrites bytes 4 and 5
    ASSERT_EQ(fs.CompleteSyncs(), 1u);
    // The file as it was right after the cut, not the old bytes 4..9.
    EXPECT_EQ(*fs.SyncedSize("/f"), 4u);
    fs.PowerCut();
    std::string got = ReadAll(fs, "/f");
    ASSERT_GE(got.size(), 4u);
    ASSERT_LE(got.size(), 6u);
    ASSERT_EQ(got.substr(0, 4), "0123");
    if (got != "0123" && got != "0123ab") got = "0123??";  // torn
    outcomes.insert(got);
  }
  EXPECT_TRUE(outcomes.contains("0123"));
  EXPECT_TRUE(outcomes.contains("0123ab"));
}

TEST(MemFilesSyncAsyncTest, OpenForTruncateCountsAsACut) {
  MemFileSystem fs;
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(f->Append("old contents").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append(" more").ok());
  f->SyncAsync([](absl::Status) {});
  auto g = OpenOrDie(fs, "/f", OpenMode::kTruncate);
  ASSERT_TRUE(g->Append("new").ok());
  fs.CompleteSyncs();
  EXPECT_EQ(*fs.SyncedSize("/f"), 0u);  // the file as emptied
}

TEST(MemFilesSyncAsyncTest, ALaterSyncAlreadyCoveredIt) {
  MemFileSystem fs;
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(f->Append("first").ok());
  Outcome o;
  f->SyncAsync(o.Callback());
  ASSERT_TRUE(f->Append("second").ok());
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(*fs.SyncedSize("/f"), 11u);
  fs.CompleteSyncs();
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(*fs.SyncedSize("/f"), 11u);  // not back to 5
}

TEST(MemFilesSyncAsyncTest, EioIsDecidedAtCompletionAndLosesTheSnapshot) {
  MemFileSystem fs(4);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(f->Append("AAAA").ok());
  Outcome o;
  f->SyncAsync(o.Callback());
  fs.FailSyncs(1);  // armed after the call: still hits it
  ASSERT_TRUE(f->Append("CC").ok());
  fs.CompleteSyncs();
  EXPECT_EQ(o.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(o.status.message(), "fsync /f: Input/output error");
  EXPECT_EQ(*fs.SyncedSize("/f"), 0u);
  ASSERT_TRUE(f->Append("BB").ok());
  ASSERT_TRUE(f->Sync().ok());  // the fault was consumed: "succeeds"
  EXPECT_EQ(ReadAll(fs, "/f"), "AAAACCBB");
  fs.PowerCut();
  // fsyncgate for the snapshot's bytes; those appended later survive.
  EXPECT_EQ(ReadAll(fs, "/f"), std::string("\0\0\0\0CCBB", 8));
}

TEST(MemFilesSyncAsyncTest, KillDropsPendingCallbacksAndTheirEffect) {
  MemFileSystem fs;
  auto f = OpenOrDie(fs, "/f");
  ASSERT_TRUE(f->Append("data").ok());
  Outcome o;
  f->SyncAsync(o.Callback());
  fs.InvalidateHandles();
  EXPECT_EQ(fs.pending_syncs(), 0u);
  EXPECT_EQ(fs.CompleteSyncs(), 0u);
  EXPECT_FALSE(o.called);
  EXPECT_EQ(*fs.SyncedSize("/f"), 0u);
  // A dead handle still never calls back inline: EBADF, later.
  Outcome stale;
  f->SyncAsync(stale.Callback());
  EXPECT_FALSE(stale.called);
  EXPECT_EQ(fs.CompleteSyncs(), 1u);
  EXPECT_EQ(stale.status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(stale.status.message()), ::testing::HasSubstr("/f"));
}

TEST(MemFilesSyncAsyncTest, RunsAfterTheFileIsDestroyed) {
  MemFileSystem fs;
  Outcome o;
  {
    auto f = OpenOrDie(fs, "/f");
    ASSERT_TRUE(f->Append("xyz").ok());
    f->SyncAsync(o.Callback());
  }
  fs.CompleteSyncs();
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(*fs.SyncedSize("/f"), 3u);
}

// --- SyncAsync in a World: latency, order, slow disks, crashes. ---

TEST(MemFilesSyncAsyncWorldTest, CompletesAfterASeededLatencyOnTheNode) {
  std::set<int64_t> latencies_us;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    World world(seed);
    Node& a = world.AddNode("a", "10.0.0.1");
    bool inline_call = true;
    absl::Duration called_at = absl::InfiniteDuration(), done_at;
    uint32_t done_node = World::kNoNode;
    std::unique_ptr<File> file;
    a.executor().Schedule(absl::Milliseconds(1), [&] {
      file = std::move(*a.files().Open("/f", OpenMode::kAppend));
      ASSERT_TRUE(file->Append("x").ok());
      called_at = world.now();
      file->SyncAsync([&](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        done_at = world.now();
        done_node = world.current_node();
      });
      inline_call = done_node != World::kNoNode;
    });
    world.RunUntilIdle();
    EXPECT_FALSE(inline_call);
    EXPECT_EQ(done_node, a.id());
    EXPECT_GE(done_at - called_at, absl::Microseconds(50));
    EXPECT_LE(done_at - called_at, absl::Milliseconds(2));
    EXPECT_EQ(*a.mem_files().SyncedSize("/f"), 1u);
    latencies_us.insert(absl::ToInt64Microseconds(done_at - called_at));
  }
  EXPECT_GT(latencies_us.size(), 10u);  // drawn, not fixed
}

TEST(MemFilesSyncAsyncWorldTest, RandomLatenciesNeverReorderCompletions) {
  World world(7);
  Node& a = world.AddNode("a", "10.0.0.1");
  std::vector<int> order;
  std::vector<absl::Duration> times;
  std::vector<std::unique_ptr<File>> files;
  a.executor().Post([&] {
    for (int i = 0; i < 3; ++i) {
      files.push_back(
          std::move(*a.files().Open(absl::StrCat("/f", i), OpenMode::kAppend)));
    }
    for (int i = 0; i < 60; ++i) {
      ASSERT_TRUE(files[i % 3]->Append("x").ok());
      files[i % 3]->SyncAsync([&, i](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        order.push_back(i);
        times.push_back(world.now());
      });
    }
  });
  world.RunUntilIdle();
  ASSERT_EQ(order.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(order[i], i);
  EXPECT_LT(times.front(), times.back());  // not all at once
}

TEST(MemFilesSyncAsyncWorldTest, SlowDiskDelaysCompletionNotTheNode) {
  World world(3);
  Node& a = world.AddNode("a", "10.0.0.1");
  std::unique_ptr<File> file;
  absl::Duration before, after, next_event, done_at;
  a.executor().Post([&] {
    file = std::move(*a.files().Open("/f", OpenMode::kAppend));
    ASSERT_TRUE(file->Append("x").ok());
    a.mem_files().SlowOps(1, absl::Milliseconds(200));
    before = a.clock().Monotonic();
    file->SyncAsync([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      done_at = world.now();
    });
    after = a.clock().Monotonic();
    a.executor().Post([&] { next_event = world.now(); });
  });
  world.RunUntilIdle();
  EXPECT_EQ(after, before);                     // no stall in the call
  EXPECT_EQ(next_event, absl::ZeroDuration());  // nor after it
  EXPECT_GE(done_at, absl::Milliseconds(200) + absl::Microseconds(50));
  EXPECT_LE(done_at, absl::Milliseconds(202));
  // The slow op was used up by the sync.
  ASSERT_TRUE(file->Sync().ok());
  EXPECT_EQ(a.clock().Monotonic(), world.now());
}

TEST(MemFilesSyncAsyncWorldTest, CrashBeforeCompletionDropsCallbackAndSync) {
  int data_lost = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    World world(seed);
    Node& a = world.AddNode("a", "10.0.0.1");
    ASSERT_TRUE(a.files().Open("/f", OpenMode::kAppend).ok());
    ASSERT_TRUE(a.files().SyncDir("/").ok());
    bool called = false;
    std::unique_ptr<File> file;
    a.executor().Post([&] {
      file = std::move(*a.files().Open("/f", OpenMode::kAppend));
      ASSERT_TRUE(file->Append(Pattern(0, 3000)).ok());
      file->SyncAsync([&](absl::Status) { called = true; });
    });
    ASSERT_TRUE(world.Step());  // runs the post, not the completion
    const CrashKind kind = seed % 2 == 0 ? CrashKind::kPowerCut : CrashKind::kKill;
    a.Crash(kind);
    world.RunUntilIdle();
    EXPECT_FALSE(called);
    EXPECT_EQ(a.mem_files().pending_syncs(), 0u);
    if (kind == CrashKind::kKill) {
      EXPECT_EQ(ReadAll(a.mem_files(), "/f"), Pattern(0, 3000));  // page cache
      EXPECT_EQ(*a.mem_files().SyncedSize("/f"), 0u);
    } else if (ReadAll(a.mem_files(), "/f").size() < 3000) {
      ++data_lost;
    }
  }
  EXPECT_GT(data_lost, 5);  // the sync never happened
}

TEST(MemFilesSyncAsyncWorldTest, SameSeedSameCompletionTimes) {
  auto run = [](uint64_t seed) {
    World world(seed);
    Node& a = world.AddNode("a", "10.0.0.1");
    std::vector<absl::Duration> times;
    std::unique_ptr<File> file;
    a.executor().Post([&] {
      file = std::move(*a.files().Open("/f", OpenMode::kAppend));
      for (int i = 0; i < 5; ++i) {
        file->SyncAsync([&](absl::Status) { times.push_back(world.now()); });
      }
    });
    world.RunUntilIdle();
    return std::make_pair(times, world.trace_hash());
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11).second, run(12).second);
}

}  // namespace
}  // namespace twinkv::sim

namespace twinkv::sim {
namespace {

// Overlapping disk-full episodes (two kDiskFull faults whose windows
// overlap) nest: the disk gets its space back when the last one ends, not
// the "full" capacity the second one saw at its start.
TEST(MemFilesDiskFullTest, OverlappingEpisodesRestoreTheOriginalCapacity) {
  MemFileSystem fs(1);
  EXPECT_EQ(fs.capacity(), MemFileSystem::kUnlimited);
  fs.BeginFull(100);
  fs.BeginFull(200);
  EXPECT_EQ(fs.capacity(), 200u);
  fs.EndFull();
  EXPECT_EQ(fs.capacity(), 200u);  // still inside the first episode
  fs.EndFull();
  EXPECT_EQ(fs.capacity(), MemFileSystem::kUnlimited);
  fs.EndFull();  // unmatched: no effect
  EXPECT_EQ(fs.capacity(), MemFileSystem::kUnlimited);
}

}  // namespace
}  // namespace twinkv::sim

namespace twinkv::sim {
namespace {

// After a failed fsync the unsynced bytes are lost for good (they read as
// zeros after a power cut), but a truncation below them removes those
// pages: bytes written there afterwards and fsynced are durable.
TEST(MemFilesFsyncgateTest, TruncatingBelowALostRangeForgetsIt) {
  MemFileSystem fs(3);
  auto f = fs.Open("/f", OpenMode::kTruncate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("aaaa").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE((*f)->Append("bbbb").ok());
  fs.FailSyncs(1);
  EXPECT_FALSE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Truncate(4).ok());
  ASSERT_TRUE((*f)->Append("cccc").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  fs.PowerCut();
  auto g = fs.Open("/f", OpenMode::kRead);
  ASSERT_TRUE(g.ok());
  char buf[16];
  auto n = (*g)->ReadAt(0, absl::Span<char>(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "aaaacccc");
}

}  // namespace
}  // namespace twinkv::sim
