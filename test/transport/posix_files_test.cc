// What only the real disk can show: errno mapping, messages carrying
// strerror, ENOSPC from /dev/full, SyncAsync's background thread. The rest
// of the FileSystem contract is checked in both worlds by
// test/conformance/.

#include "transport/posix_files.h"

#include <errno.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "transport/asio_runtime.h"

namespace twinkv {
namespace {

TEST(ErrnoToStatusTest, MapsTheCodesRuntimeHPromises) {
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open", "/x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "write", "/x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EIO, "fdatasync", "/x").code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ErrnoToStatus(EEXIST, "mkdir", "/x").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoToStatus(EACCES, "open", "/x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open", "/a/b").message(),
            "open /a/b: No such file or directory");
}

class PosixFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp ? tmp : "/tmp", "/posix.XXXXXX");
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  PosixFileSystem fs_;
};

TEST_F(PosixFilesTest, FullDiskIsResourceExhausted) {
  auto f = fs_.Open("/dev/full", OpenMode::kAppend);
  if (!f.ok()) GTEST_SKIP() << f.status();
  absl::Status s = (*f)->Append("data");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "/dev/full")) << s;
}

TEST_F(PosixFilesTest, MessagesNameThePathAndTheError) {
  const std::string path = dir_ + "/nope";
  absl::Status s = fs_.Open(path, OpenMode::kRead).status();
  EXPECT_EQ(s.message(), absl::StrCat("open ", path, ": No such file or directory"));
  s = fs_.Rename(path, dir_ + "/other");
  EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), dir_ + "/other")) << s;
}

TEST_F(PosixFilesTest, WritesReachTheRealFile) {
  const std::string path = dir_ + "/f";
  {
    auto f = fs_.Open(path, OpenMode::kTruncate);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("on disk").ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  EXPECT_EQ(std::filesystem::file_size(path), 7u);
  ASSERT_TRUE(fs_.SyncDir(dir_).ok());
}

// SyncAsync on a runtime's loop.
class PosixSyncAsyncTest : public PosixFilesTest {
 protected:
  static AsioRuntime::Options Options() {
    AsioRuntime::Options o;
    o.seed = 1;
    o.min_log_level = LogLevel::kWarning;
    return o;
  }
  std::unique_ptr<File> Open(absl::string_view name) {
    auto f = rt_.files().Open(absl::StrCat(dir_, "/", name),
                              OpenMode::kTruncate);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : nullptr;
  }
  bool RunUntil(const std::function<bool()>& done) {
    return rt_.RunUntil(done, absl::Seconds(30));
  }
  AsioRuntime rt_{Options()};
};

TEST_F(PosixSyncAsyncTest, CompletesOnTheLoopNeverInline) {
  auto f = Open("aof");
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append("data").ok());
  bool called = false;
  absl::Status status = absl::UnknownError("not called");
  std::thread::id thread;
  f->SyncAsync([&](absl::Status s) {
    called = true;
    status = s;
    thread = std::this_thread::get_id();
  });
  EXPECT_FALSE(called);
  // Not even once the sync thread is done: only the loop runs callbacks.
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(called);
  ASSERT_TRUE(RunUntil([&] { return called; }));
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(thread, std::this_thread::get_id());
}

TEST_F(PosixSyncAsyncTest, CallbacksRunInCallOrderAcrossFiles) {
  auto a = Open("a");
  auto b = Open("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<int> order;
  for (int i = 0; i < 40; ++i) {
    File& f = i % 3 == 0 ? *b : *a;
    ASSERT_TRUE(f.Append(absl::StrCat(i, ";")).ok());
    f.SyncAsync([&order, i](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      order.push_back(i);
    });
    // Loop work in between must not reorder them.
    if (i % 7 == 0) rt_.Poll();
  }
  ASSERT_TRUE(RunUntil([&] { return order.size() == 40; }));
  for (int i = 0; i < 40; ++i) EXPECT_EQ(order[i], i);
}

TEST_F(PosixSyncAsyncTest, ErrorsAreThoseOfSync) {
  auto f = rt_.files().Open("/dev/full", OpenMode::kAppend);
  if (!f.ok()) GTEST_SKIP() << f.status();
  // Character devices do not sync: EINVAL.
  const absl::Status sync = (*f)->Sync();
  EXPECT_EQ(sync.code(), absl::StatusCode::kInternal) << sync;
  EXPECT_EQ(sync.message(), "fdatasync /dev/full: Invalid argument");
  bool called = false;
  absl::Status status;
  (*f)->SyncAsync([&](absl::Status s) {
    called = true;
    status = s;
  });
  ASSERT_TRUE(RunUntil([&] { return called; }));
  EXPECT_EQ(status, sync);
}

TEST_F(PosixSyncAsyncTest, RunsEvenIfTheFileIsDestroyedFirst) {
  const std::string path = dir_ + "/gone";
  std::vector<absl::Status> results;
  {
    auto f = Open("gone");
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->Append("bytes").ok());
    for (int i = 0; i < 3; ++i) {
      f->SyncAsync([&](absl::Status s) { results.push_back(s); });
    }
  }  // closed here, as far as the File goes
  ASSERT_TRUE(RunUntil([&] { return results.size() == 3; }));
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(std::filesystem::file_size(path), 5u);
}

TEST_F(PosixFilesTest, DestructorDrainsTheQueueThroughPostToLoop) {
  absl::Mutex mu;
  std::vector<Task> posted;
  std::vector<int> order;
  {
    PosixFileSystem fs([&](Task t) {
      absl::MutexLock lock(&mu);
      posted.push_back(std::move(t));
    });
    auto f = fs.Open(dir_ + "/f", OpenMode::kTruncate);
    ASSERT_TRUE(f.ok()) << f.status();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE((*f)->Append("x").ok());
      (*f)->SyncAsync([&order, i](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        order.push_back(i);
      });
    }
    f->reset();
  }  // waits for the five jobs
  absl::MutexLock lock(&mu);
  ASSERT_EQ(posted.size(), 5u);
  EXPECT_TRUE(order.empty());  // posting is not running
  for (Task& t : posted) std::move(t)();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(PosixFilesTest, WithoutALoopCompletionsWaitForRunCompletions) {
  auto f = fs_.Open(dir_ + "/f", OpenMode::kTruncate);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Append("x").ok());
  std::vector<int> order;
  (*f)->SyncAsync([&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    order.push_back(1);
    // Started by a callback: waits for the next RunCompletions.
    (*f)->SyncAsync([&](absl::Status) { order.push_back(3); });
  });
  (*f)->SyncAsync([&](absl::Status s) { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(fs_.RunCompletions(), 2u);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(fs_.RunCompletions(), 1u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(fs_.RunCompletions(), 0u);
}

}  // namespace
}  // namespace twinkv
