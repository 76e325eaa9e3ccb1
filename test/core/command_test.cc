// The command table's key positions: first/last/step rows and the
// "movablekeys" rows whose keys follow a numkeys argument (their KeyFinder),
// as COMMAND GETKEYS and COMMAND INFO show them. Expected values were
// checked against redis-server 7.0.15.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/command.h"
#include "core/engine.h"
#include "core/families.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

class CommandKeysTest : public ::testing::Test {
 protected:
  CommandKeysTest() : h_(RegisterAllFamilies) {}

  // The keys CommandKeyPositions finds in `args`, by name.
  std::vector<std::string> Keys(std::vector<absl::string_view> args) {
    const CommandSpec* spec = h_.engine().commands().Find(args[0]);
    EXPECT_NE(spec, nullptr) << args[0];
    if (spec == nullptr) return {};
    std::vector<std::string> out;
    for (int i : CommandKeyPositions(*spec, args)) out.emplace_back(args[i]);
    return out;
  }

  EngineHarness h_;
};

using Names = std::vector<std::string>;

bool StartsWith(const std::string& s, const std::string& prefix) {
  return absl::StartsWith(s, prefix);
}

TEST_F(CommandKeysTest, FixedPositions) {
  EXPECT_EQ(Keys({"GET", "k"}), Names({"k"}));
  EXPECT_EQ(Keys({"MSET", "a", "1", "b", "2"}), Names({"a", "b"}));
  EXPECT_EQ(Keys({"BLPOP", "a", "b", "0"}), Names({"a", "b"}));
  EXPECT_EQ(Keys({"PING"}), Names({}));
}

TEST_F(CommandKeysTest, MovableKeysFollowNumkeys) {
  EXPECT_EQ(Keys({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            Names({"d", "a", "b"}));
  EXPECT_EQ(Keys({"ZINTERSTORE", "d", "1", "a"}), Names({"d", "a"}));
  EXPECT_EQ(Keys({"ZDIFFSTORE", "d", "2", "a", "b"}), Names({"d", "a", "b"}));
  EXPECT_EQ(Keys({"ZUNION", "2", "a", "b", "WITHSCORES"}),
            Names({"a", "b"}));
  EXPECT_EQ(Keys({"ZINTER", "1", "a"}), Names({"a"}));
  EXPECT_EQ(Keys({"ZDIFF", "2", "a", "b"}), Names({"a", "b"}));
  EXPECT_EQ(Keys({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}),
            Names({"a", "b"}));
  EXPECT_EQ(Keys({"LMPOP", "2", "a", "b", "LEFT"}), Names({"a", "b"}));
  EXPECT_EQ(Keys({"BLMPOP", "0", "1", "a", "LEFT", "COUNT", "2"}),
            Names({"a"}));
  EXPECT_EQ(Keys({"ZMPOP", "2", "a", "b", "MIN"}), Names({"a", "b"}));
  EXPECT_EQ(Keys({"BZMPOP", "1.5", "1", "a", "MAX"}), Names({"a"}));
}

// Redis's key specs reject these outright: no keys at all (not even the
// destination).
TEST_F(CommandKeysTest, MalformedNumkeysFindsNothing) {
  EXPECT_EQ(Keys({"ZUNIONSTORE", "d", "x", "a"}), Names({}));
  EXPECT_EQ(Keys({"ZUNIONSTORE", "d", "5", "a"}), Names({}));
  EXPECT_EQ(Keys({"ZUNIONSTORE", "d", "0", "a"}), Names({}));
  EXPECT_EQ(Keys({"ZUNION", "-1", "a"}), Names({}));
  EXPECT_EQ(Keys({"SINTERCARD", "3", "a", "b"}), Names({}));
  EXPECT_EQ(Keys({"LMPOP", "1"}), Names({}));
}

TEST_F(CommandKeysTest, CommandGetKeysUsesTheFinder) {
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b"}),
            "[d, a, b]");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "ZMPOP", "1", "z", "MIN"}), "[z]");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b"}),
            "[a, b]");
}

TEST_F(CommandKeysTest, CommandInfoShowsMovableKeys) {
  // [name, arity, flags, first, last, step, ...]
  EXPECT_PRED2(StartsWith, h_.Run({"COMMAND", "INFO", "ZUNIONSTORE"}),
               "[[zunionstore, (integer) -4, [write, denyoom, movablekeys], "
               "(integer) 1, (integer) 1, (integer) 1,");
  EXPECT_PRED2(StartsWith, h_.Run({"COMMAND", "INFO", "BZMPOP"}),
               "[[bzmpop, (integer) -5, [write, blocking, movablekeys], "
               "(integer) 0, (integer) 0, (integer) 0,");
  EXPECT_PRED2(StartsWith, h_.Run({"COMMAND", "INFO", "ZMPOP"}),
               "[[zmpop, (integer) -4, [write, movablekeys], "
               "(integer) 0, (integer) 0, (integer) 0,");
  EXPECT_PRED2(StartsWith, h_.Run({"COMMAND", "INFO", "LMPOP"}),
               "[[lmpop, (integer) -4, [write, movablekeys], "
               "(integer) 0, (integer) 0, (integer) 0,");
  EXPECT_PRED2(StartsWith, h_.Run({"COMMAND", "INFO", "SINTERCARD"}),
               "[[sintercard, (integer) -3, [readonly, movablekeys], "
               "(integer) 0, (integer) 0, (integer) 0,");
  EXPECT_PRED2(StartsWith, h_.Run({"COMMAND", "INFO", "ZUNION"}),
               "[[zunion, (integer) -3, [readonly, movablekeys],");
  const std::string get = h_.Run({"COMMAND", "INFO", "GET"});
  EXPECT_FALSE(absl::StrContains(get, "movablekeys")) << get;
}

}  // namespace
}  // namespace twinkv
