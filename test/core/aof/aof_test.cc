// The Aof on a simulated node: what it logs, when replies may go, how it
// loads (torn tails, corruption), how it rewrites while writes continue,
// and what it does when the disk fails. The node's simulated disk crashes
// for real (power cuts lose unsynced data), so "restart" here means: the
// process dies, the machine maybe loses power, a new process loads the
// files.

#include "core/aof.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/fault_points.h"
#include "core/resp/reply_writer.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "sim/buggify.h"
#include "sim/mem_files.h"
#include "sim/world.h"
#include "test/core/aof/aof_test_util.h"

namespace twinkv {
namespace {

using sim::CrashKind;
using sim::Node;
using sim::World;

class AofTest : public AofNodeTest {
 protected:
  AofTest() : AofNodeTest(/*seed=*/11) {}
};

TEST_F(AofTest, FreshStartCreatesTheLayoutAndLogsChanges) {
  Boot();
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), "$-1\r\n");  // no change: no log
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(Run({"RPUSH", "l", "a"}), ":1\r\n");
  EXPECT_EQ(ReadFile(IncrPath()),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
            "*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n");
  const std::string manifest =
      ReadFile("/data/appendonlydir/appendonly.aof.manifest");
  EXPECT_TRUE(absl::StrContains(manifest, "type b")) << manifest;
  EXPECT_TRUE(absl::StrContains(manifest, "type i")) << manifest;
}

TEST_F(AofTest, AcknowledgedWritesSurviveAPowerCut) {
  Boot();
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Run({"INCR", "n"}), absl::StrCat(":", i + 1, "\r\n"));
  }
  ASSERT_EQ(Run({"SET", "t", "x", "EX", "1000"}), "+OK\r\n");
  Restart(CrashKind::kPowerCut);
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"GET", "n"}), "$2\r\n50\r\n");
  // Relative TTLs were logged as absolute times.
  const std::string ttl = Run({"TTL", "t"});
  EXPECT_TRUE(ttl == ":1000\r\n" || ttl == ":999\r\n") << ttl;
  EXPECT_TRUE(absl::StrContains(ReadFile(IncrPath()), "PXAT") ||
              absl::StrContains(
                  ReadFile(absl::StrCat("/data/appendonlydir/",
                                        p().aof.manifest().incrs.front().name)),
                  "PXAT"));
}

TEST_F(AofTest, AlwaysRepliesWaitForTheFsync) {
  Boot();
  // Execute without waiting: the log has it, but it is not acknowledged
  // until the (asynchronous) fsync completes.
  std::string out;
  ReplyWriter reply(&out);
  std::vector<absl::string_view> args = {"SET", "a", "1"};
  p().engine.Execute(client_, ArgList(args), reply);
  CommandLog* log = p().engine.command_log();
  EXPECT_GT(log->appended(), log->acknowledged());
  bool acked = false;
  log->WhenAcknowledged(log->appended(), [&](bool ok) { acked = ok; });
  EXPECT_FALSE(acked);  // never inside the call
  world_.RunFor(absl::Milliseconds(100));
  EXPECT_TRUE(acked);
  EXPECT_EQ(log->appended(), log->acknowledged());
  EXPECT_EQ(node_.mem_files().SyncedSize(IncrPath()).value(),
            ReadFile(IncrPath()).size());
}

TEST_F(AofTest, ExpiredKeysAreLoggedAsDelAndLoadingPausesExpiry) {
  Boot();
  ASSERT_EQ(Run({"SET", "k", "v", "PX", "100"}), "+OK\r\n");
  ASSERT_EQ(Run({"APPEND", "k", "w"}), ":2\r\n");
  world_.RunFor(absl::Milliseconds(200));  // the active cycle deletes it
  EXPECT_TRUE(absl::StrContains(ReadFile(IncrPath()),
                                "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"));
  // Replay happens long after the PXAT time; APPEND must still see the
  // key (loading pauses expiry), and the DEL removes it in the end.
  world_.RunFor(absl::Seconds(5));
  Restart(CrashKind::kKill);
  ASSERT_TRUE(p().open_status.ok());
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0\r\n");
  EXPECT_EQ(p().aof.loaded_commands(), 4u);  // SELECT SET APPEND DEL
}

TEST_F(AofTest, TornTailIsCutWhenAllowed) {
  Boot();
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  const std::string incr = IncrPath();
  const std::string partial = "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1";
  {
    auto f = node_.mem_files().Open(incr, OpenMode::kAppend);
    ASSERT_TRUE((*f)->Append(partial).ok());
  }
  const size_t before = ReadFile(incr).size();
  Restart(CrashKind::kKill);
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(Run({"EXISTS", "b"}), ":0\r\n");
  EXPECT_EQ(p().aof.truncated_bytes(), partial.size());
  EXPECT_LT(ReadFile(incr).size(), before);
  // The log goes on after the cut, cleanly.
  ASSERT_EQ(Run({"SET", "c", "3"}), "+OK\r\n");
  Restart(CrashKind::kPowerCut);
  EXPECT_EQ(Run({"GET", "c"}), "$1\r\n3\r\n");
  EXPECT_EQ(p().aof.truncated_bytes(), 0u);
}

TEST_F(AofTest, TornTailRefusedWithoutAofLoadTruncated) {
  config_.aof_load_truncated = false;
  Boot();
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  {
    auto f = node_.mem_files().Open(IncrPath(), OpenMode::kAppend);
    ASSERT_TRUE((*f)->Append("*1\r\n$4\r\nPI").ok());
  }
  Restart(CrashKind::kKill);
  EXPECT_FALSE(p().open_status.ok());
  EXPECT_TRUE(absl::StrContains(p().open_status.message(), "aof-load-truncated"))
      << p().open_status;
}

TEST_F(AofTest, GarbageInTheLastSectorIsATornWrite) {
  Boot();
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  {
    auto f = node_.mem_files().Open(IncrPath(), OpenMode::kAppend);
    ASSERT_TRUE((*f)->Append(std::string(300, '\0')).ok());
  }
  Restart(CrashKind::kKill);
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(p().aof.truncated_bytes(), 300u);
}

TEST_F(AofTest, CorruptionInTheMiddleRefusesToStart) {
  Boot();
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  const std::string incr = IncrPath();
  {
    auto f = node_.mem_files().Open(incr, OpenMode::kAppend);
    ASSERT_TRUE((*f)->Append("XXXX").ok());
  }
  const size_t bad = ReadFile(incr).size() - 4;
  // Enough valid commands after it that it is no torn tail.
  {
    auto f = node_.mem_files().Open(incr, OpenMode::kAppend);
    std::string more;
    for (int i = 0; i < 500; ++i) more += "*1\r\n$4\r\nPING\r\n";
    ASSERT_TRUE((*f)->Append(more).ok());
  }
  Restart(CrashKind::kKill);
  ASSERT_FALSE(p().open_status.ok());
  const std::string msg(p().open_status.message());
  EXPECT_TRUE(absl::StrContains(msg, absl::StrCat("at offset ", bad))) << msg;
  EXPECT_TRUE(absl::StrContains(msg, "twinkv-check-aof --fix")) << msg;
}

TEST_F(AofTest, FsyncErrorRefusesWritesUntilARewriteSucceeds) {
  Boot();
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  node_.mem_files().FailSyncs(1);
  EXPECT_EQ(Run({"SET", "b", "2"}), "<dropped>");
  EXPECT_EQ(Run({"SET", "c", "3"}),
            "-MISCONF Errors writing to the AOF file: Input/output error\r\n");
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");  // reads go on
  // The recovery rewrite (every second) makes a fresh base.
  world_.RunFor(absl::Seconds(3));
  EXPECT_FALSE(p().aof.failed());
  EXPECT_GE(p().aof.rewrites_done(), 1u);
  EXPECT_EQ(Run({"SET", "c", "3"}), "+OK\r\n");
  Restart(CrashKind::kPowerCut);
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(Run({"GET", "c"}), "$1\r\n3\r\n");
  // b was never acknowledged; whether it is there does not matter, but
  // it may only be "2" if it is.
  const std::string b = Run({"GET", "b"});
  EXPECT_TRUE(b == "$-1\r\n" || b == "$1\r\n2\r\n") << b;
}

TEST_F(AofTest, DiskFullRefusesWritesAndRecoversWhenSpaceReturns) {
  Boot();
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  node_.mem_files().set_capacity(node_.mem_files().used_bytes() + 10);
  EXPECT_EQ(Run({"SET", "big", std::string(100, 'x')}), "<dropped>");
  EXPECT_TRUE(absl::StartsWith(Run({"SET", "x", "y"}), "-MISCONF"));
  world_.RunFor(absl::Seconds(3));
  EXPECT_TRUE(p().aof.failed());  // still no space: recovery keeps failing
  node_.mem_files().set_capacity(sim::MemFileSystem::kUnlimited);
  world_.RunFor(absl::Seconds(3));
  EXPECT_FALSE(p().aof.failed());
  EXPECT_EQ(Run({"SET", "x", "y"}), "+OK\r\n");
  Restart(CrashKind::kPowerCut);
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"GET", "x"}), "$1\r\ny\r\n")
      << p().aof.manifest().Format() << absl::StrJoin(node_.log_lines(), "\n")
      << absl::StrJoin(*node_.mem_files().List("/data/appendonlydir"), " ");
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");
}

TEST_F(AofTest, BgRewriteCompactsAndKeepsEverything) {
  Boot();
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(Run({"INCR", "n"}), absl::StrCat(":", i + 1, "\r\n"));
  }
  const uint64_t before = p().aof.current_size();
  ASSERT_EQ(Run({"BGREWRITEAOF"}),
            "+Background append only file rewriting started\r\n");
  EXPECT_EQ(Run({"BGREWRITEAOF"}),
            "-ERR Background append only file rewriting already in "
            "progress\r\n");
  world_.RunFor(absl::Seconds(1));
  EXPECT_FALSE(p().aof.rewriting());
  EXPECT_EQ(p().aof.rewrites_done(), 1u);
  EXPECT_LT(p().aof.current_size(), before / 10);
  EXPECT_EQ(p().aof.manifest().incrs.size(), 1u);
  // Only the files of the manifest are left.
  auto names = node_.mem_files().List("/data/appendonlydir");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 3u) << absl::StrJoin(*names, " ");
  Restart(CrashKind::kPowerCut);
  EXPECT_EQ(Run({"GET", "n"}), "$3\r\n200\r\n");
}

TEST_F(AofTest, AutomaticRewriteOnGrowth) {
  config_.aof_rewrite_min_size = 4096;
  config_.aof_rewrite_percentage = 100;
  Boot();
  for (int i = 0; i < 400; ++i) Run({"SET", "k", absl::StrCat(i)});
  world_.RunFor(absl::Seconds(1));
  EXPECT_GE(p().aof.rewrites_done(), 1u);
  EXPECT_LT(p().aof.current_size(), 3 * 4096u);
}

TEST_F(AofTest, FlushesDuringARewriteRestartItAtMostOncePerSecond) {
  world_.buggify().set_active(true);
  world_.buggify().Force(kFaultAofRewriteTinyStep, 1.0);
  Boot();
  for (int i = 0; i < 100; ++i) Run({"SET", absl::StrCat("k", i), "v"});
  ASSERT_EQ(Run({"BGREWRITEAOF"}),
            "+Background append only file rewriting started\r\n");
  const size_t incrs_before = p().aof.manifest().incrs.size();
  for (int i = 0; i < 50; ++i) {
    Run({"SET", "x", absl::StrCat(i)});
    Run({"FLUSHDB"});
    world_.RunFor(absl::Milliseconds(10));
  }
  // 50 flushes in 0.5 s: one restart, not 50 new incr files.
  EXPECT_LE(p().aof.manifest().incrs.size(), incrs_before + 1);
  world_.RunFor(absl::Seconds(3));
  EXPECT_FALSE(p().aof.rewriting());
  EXPECT_GE(p().aof.rewrites_done(), 1u);
  EXPECT_EQ(p().aof.manifest().incrs.size(), 1u);
  Run({"SET", "after", "1"});
  Restart(CrashKind::kPowerCut);
  EXPECT_EQ(Run({"DBSIZE"}), ":1\r\n");
  EXPECT_EQ(Run({"GET", "after"}), "$1\r\n1\r\n");
}

// The snapshot property: whatever writes arrive while a rewrite walks the
// keyspace in single-bucket steps (and whatever FLUSHDB / SWAPDB restart
// it), the rewritten log loads into exactly the live data.
class AofRewriteUnderWrites : public AofTest {};

RC_GTEST_FIXTURE_PROP(AofRewriteUnderWrites, SnapshotIsConsistent,
                      (std::vector<std::tuple<uint8_t, uint8_t, uint8_t>> ops)) {
  world_.buggify().set_active(true);
  world_.buggify().Force(kFaultAofRewriteTinyStep, 1.0);
  Boot();
  // Enough keys for many steps; some of them with TTLs.
  for (int i = 0; i < 60; ++i) {
    Run({"RPUSH", absl::StrCat("l", i % 20), absl::StrCat(i)});
    Run({"SET", absl::StrCat("s", i), absl::StrCat(i)});
  }
  RC_ASSERT(Run({"BGREWRITEAOF"}) ==
            "+Background append only file rewriting started\r\n");
  // Tiny steps: the walk is far from done when the writes come.
  RC_ASSERT(p().aof.rewriting());
  for (const auto& [op, a, b] : ops) {
    const std::string key = absl::StrCat(op % 2 ? "s" : "l", a % 40);
    switch (op % 9) {
      case 0: Run({"DEL", key}); break;
      case 1: Run({"LPUSH", absl::StrCat("l", a % 40), absl::StrCat(b)}); break;
      case 2: Run({"INCR", absl::StrCat("s", a % 40)}); break;
      case 3: Run({"RENAME", key, absl::StrCat(op % 2 ? "s" : "l", b % 40)}); break;
      case 4: Run({"PEXPIRE", key, absl::StrCat(1 + b)}); break;
      case 5: if (b % 16 == 0) Run({"FLUSHDB"}); break;
      case 6: if (b % 8 == 0) Run({"BGREWRITEAOF"}); break;
      case 7: Run({"MOVE", key, "1"}); break;
      case 8: world_.RunFor(absl::Milliseconds(b)); break;
    }
    world_.RunFor(absl::ZeroDuration());
  }
  world_.RunFor(absl::Seconds(2));  // the rewrite (and expiries) finish
  RC_ASSERT(!p().aof.rewriting());
  auto state = [&] {
    std::string out;
    for (int db = 0; db < 2; ++db) {
      Run({"SELECT", absl::StrCat(db)});
      for (int i = 0; i < 40; ++i) {
        absl::StrAppend(&out, Run({"GET", absl::StrCat("s", i)}),
                        Run({"LRANGE", absl::StrCat("l", i), "0", "-1"}),
                        Run({"PEXPIRETIME", absl::StrCat("s", i)}),
                        Run({"PEXPIRETIME", absl::StrCat("l", i)}));
      }
    }
    Run({"SELECT", "0"});
    return out;
  };
  const std::string live = state();
  Restart(CrashKind::kPowerCut);
  RC_ASSERT(p().open_status.ok());
  RC_ASSERT(state() == live);
}

}  // namespace
}  // namespace twinkv
