// What only the real disk can show: errno mapping, messages carrying
// strerror, ENOSPC from /dev/full. The rest of the FileSystem contract is
// checked in both worlds by test/conformance/.

#include "transport/posix_files.h"

#include <errno.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace twinkv
