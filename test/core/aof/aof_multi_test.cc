// Transactions in the AOF: an EXEC block is logged as MULTI, its changes,
// EXEC, and survives a restart; a block cut off by a crash (its EXEC never
// reached the file) is neither applied at load nor left in the file, where
// later appends would join it.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/aof.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/resp/reply_writer.h"
#include "gtest/gtest.h"
#include "sim/mem_files.h"
#include "sim/world.h"
#include "test/core/aof/aof_test_util.h"

namespace twinkv {
namespace {

using sim::CrashKind;
using sim::Node;
using sim::World;

class AofMultiTest : public AofNodeTest {
 protected:
  AofMultiTest() : AofNodeTest(/*seed=*/5) {}
  // Runs a command and lets 10 ms pass (not waiting for acknowledgement).
  std::string Run(std::vector<std::string> args) {
    std::string out;
    std::vector<absl::string_view> views(args.begin(), args.end());
    ReplyWriter reply(&out);
    p().engine.Execute(client_, ArgList(views), reply);
    world_.RunFor(absl::Milliseconds(10));
    return out;
  }
};

TEST_F(AofMultiTest, BlockIsLoggedAndReplayed) {
  Boot();
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"RPUSH", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"RPUSH", "b", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*2\r\n:1\r\n:1\r\n");
  const std::string file = ReadFile(IncrPath());
  EXPECT_TRUE(absl::StrContains(
      file,
      "*1\r\n$5\r\nMULTI\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\na\r\n$1\r\n1\r\n"
      "*3\r\n$5\r\nRPUSH\r\n$1\r\nb\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n"))
      << file;
  node_.Crash(CrashKind::kPowerCut);
  Boot();
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"LLEN", "a"}), ":1\r\n");
  EXPECT_EQ(Run({"LLEN", "b"}), ":1\r\n");
}

TEST_F(AofMultiTest, BlockWithoutExecIsCutOff) {
  Boot();
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"SET", "before", "x"}), "+OK\r\n");
  const std::string path = IncrPath();
  const size_t good = ReadFile(path).size();
  node_.Crash(CrashKind::kKill);
  // What a crash in the middle of writing a block can leave: whole
  // commands, no EXEC.
  {
    auto f = node_.mem_files().Open(path, OpenMode::kAppend);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("*1\r\n$5\r\nMULTI\r\n"
                             "*3\r\n$5\r\nRPUSH\r\n$1\r\na\r\n$1\r\n1\r\n")
                    .ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  Boot();
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0\r\n");
  EXPECT_EQ(Run({"GET", "before"}), "$1\r\nx\r\n");
  EXPECT_EQ(ReadFile(path).size(), good);
  // Later writes stand alone and survive.
  EXPECT_EQ(Run({"SET", "after", "y"}), "+OK\r\n");
  node_.Crash(CrashKind::kPowerCut);
  Boot();
  ASSERT_TRUE(p().open_status.ok()) << p().open_status;
  EXPECT_EQ(Run({"GET", "after"}), "$1\r\ny\r\n");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0\r\n");
}

}  // namespace
}  // namespace twinkv
