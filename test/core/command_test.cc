// The command table's key positions: first/last/step rows and the
// "movablekeys" rows whose keys follow a numkeys argument (their KeyFinder),
// as COMMAND GETKEYS and COMMAND INFO show them. Expected values were
// checked against redis-server 7.0.15.

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/command.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/resp/reply.h"
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


// ---- Key specs, tips and GETKEYSANDFLAGS, as redis-server 7.0.15. ----

std::string KeySpecsOf(EngineHarness& h, absl::string_view name) {
  Reply info = h.RunReply({"COMMAND", "INFO", name});
  if (info.elements.size() != 1 || info.elements[0].elements.size() != 10) {
    return "no info for " + std::string(name);
  }
  return RenderReply(info.elements[0].elements[8]);
}

std::string TipsOf(EngineHarness& h, absl::string_view name) {
  Reply info = h.RunReply({"COMMAND", "INFO", name});
  if (info.elements.size() != 1 || info.elements[0].elements.size() != 10) {
    return "no info for " + std::string(name);
  }
  return RenderReply(info.elements[0].elements[7]);
}

TEST_F(CommandKeysTest, KeySpecsMatchRedis) {
  // A destination (OW update) and keys after a numkeys (keynum).
  EXPECT_EQ(KeySpecsOf(h_, "zunionstore"),
            "[[flags, [OW, update], begin_search, [type, index, spec, "
            "[index, (integer) 1]], find_keys, [type, range, spec, "
            "[lastkey, (integer) 0, keystep, (integer) 1, limit, "
            "(integer) 0]]], "
            "[flags, [RO, access], begin_search, [type, index, spec, "
            "[index, (integer) 2]], find_keys, [type, keynum, spec, "
            "[keynumidx, (integer) 0, firstkey, (integer) 1, keystep, "
            "(integer) 1]]]]");
  // Notes come first, and variable_flags.
  EXPECT_EQ(KeySpecsOf(h_, "set"),
            "[[notes, RW and ACCESS due to the optional `GET` argument, "
            "flags, [RW, access, update, variable_flags], begin_search, "
            "[type, index, spec, [index, (integer) 1]], find_keys, [type, "
            "range, spec, [lastkey, (integer) 0, keystep, (integer) 1, "
            "limit, (integer) 0]]]]");
  EXPECT_EQ(KeySpecsOf(h_, "del"),
            "[[flags, [RM, delete], begin_search, [type, index, spec, "
            "[index, (integer) 1]], find_keys, [type, range, spec, "
            "[lastkey, (integer) -1, keystep, (integer) 1, limit, "
            "(integer) 0]]]]");
  EXPECT_EQ(KeySpecsOf(h_, "mset"),
            "[[flags, [OW, update], begin_search, [type, index, spec, "
            "[index, (integer) 1]], find_keys, [type, range, spec, "
            "[lastkey, (integer) -1, keystep, (integer) 2, limit, "
            "(integer) 0]]]]");
  EXPECT_EQ(KeySpecsOf(h_, "lpush"),
            "[[flags, [RW, insert], begin_search, [type, index, spec, "
            "[index, (integer) 1]], find_keys, [type, range, spec, "
            "[lastkey, (integer) 0, keystep, (integer) 1, limit, "
            "(integer) 0]]]]");
  EXPECT_EQ(KeySpecsOf(h_, "blmpop"),
            "[[flags, [RW, access, delete], begin_search, [type, index, "
            "spec, [index, (integer) 2]], find_keys, [type, keynum, spec, "
            "[keynumidx, (integer) 0, firstkey, (integer) 1, keystep, "
            "(integer) 1]]]]");
  // A subcommand's positions count from the container's name.
  EXPECT_EQ(KeySpecsOf(h_, "object|encoding"),
            "[[flags, [RO], begin_search, [type, index, spec, "
            "[index, (integer) 2]], find_keys, [type, range, spec, "
            "[lastkey, (integer) 0, keystep, (integer) 1, limit, "
            "(integer) 0]]]]");
  EXPECT_EQ(KeySpecsOf(h_, "ping"), "[]");
}

TEST_F(CommandKeysTest, TipsMatchRedis) {
  EXPECT_EQ(TipsOf(h_, "mget"), "[request_policy:multi_shard]");
  EXPECT_EQ(TipsOf(h_, "del"),
            "[request_policy:multi_shard, response_policy:agg_sum]");
  EXPECT_EQ(TipsOf(h_, "keys"),
            "[request_policy:all_shards, nondeterministic_output_order]");
  EXPECT_EQ(TipsOf(h_, "dbsize"),
            "[request_policy:all_shards, response_policy:agg_sum]");
  EXPECT_EQ(TipsOf(h_, "smembers"), "[nondeterministic_output_order]");
  EXPECT_EQ(TipsOf(h_, "get"), "[]");
}

TEST_F(CommandKeysTest, GetKeysAndFlagsMatchRedis) {
  auto flags = [this](std::vector<absl::string_view> args) {
    args.insert(args.begin(), {"COMMAND", "GETKEYSANDFLAGS"});
    return RenderReply(h_.RunReply(args));
  };
  // SET's flags depend on GET (Redis's setGetKeys).
  EXPECT_EQ(flags({"set", "a", "b"}), "[[a, [OW, update]]]");
  EXPECT_EQ(flags({"set", "a", "b", "EX", "10"}), "[[a, [OW, update]]]");
  EXPECT_EQ(flags({"set", "a", "b", "EX", "10", "GeT"}),
            "[[a, [RW, access, update]]]");
  EXPECT_EQ(flags({"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            "[[d, [OW, update]], [a, [RO, access]], [b, [RO, access]]]");
  EXPECT_EQ(flags({"sinterstore", "d", "a", "b"}),
            "[[d, [RW, update]], [a, [RO, access]], [b, [RO, access]]]");
  EXPECT_EQ(flags({"lmove", "a", "b", "left", "right"}),
            "[[a, [RW, access, delete]], [b, [RW, insert]]]");
  EXPECT_EQ(flags({"del", "a", "b"}), "[[a, [RM, delete]], [b, [RM, delete]]]");
  EXPECT_EQ(flags({"exists", "a"}), "[[a, [RO]]]");
  EXPECT_EQ(flags({"mset", "a", "1", "b", "2"}),
            "[[a, [OW, update]], [b, [OW, update]]]");
  EXPECT_EQ(flags({"blmpop", "0", "2", "a", "b", "left"}),
            "[[a, [RW, access, delete]], [b, [RW, access, delete]]]");
  EXPECT_EQ(flags({"object", "encoding", "k"}), "[[k, [RO]]]");
}

TEST_F(CommandKeysTest, GetKeysErrorsInRedisOrder) {
  auto keys = [this](std::vector<absl::string_view> args) {
    args.insert(args.begin(), {"COMMAND", "GETKEYS"});
    return RenderReply(h_.RunReply(args));
  };
  // Key specs that cannot be followed.
  for (absl::string_view numkeys : {"0", "x", "5", "-1"}) {
    EXPECT_EQ(keys({"zunionstore", "d", numkeys, "a"}),
              "(error) ERR Invalid arguments specified for command")
        << numkeys;
  }
  EXPECT_EQ(keys({"zdiff", "0", "a"}),
            "(error) ERR Invalid arguments specified for command");
  // "No keys" is told before the arity.
  EXPECT_EQ(keys({"ping", "a", "b", "c"}),
            "(error) ERR The command has no key arguments");
  EXPECT_EQ(keys({"object", "help", "x", "y"}),
            "(error) ERR The command has no key arguments");
  EXPECT_EQ(keys({"mset", "a"}),
            "(error) ERR Invalid number of arguments specified for command");
  // A step past the end stops at the last argument, as in Redis.
  EXPECT_EQ(keys({"mset", "a", "1", "b"}), "[a, b]");
}

// Every command with keys has key specs, and for a command whose keys are
// fixed by first/last/step, the specs find the same keys: the Redis table
// and the families' rows agree.
TEST_F(CommandKeysTest, KeySpecsAgreeWithFirstLastStep) {
  std::vector<const CommandSpec*> specs;
  for (const auto& row : h_.engine().commands().all()) {
    specs.push_back(row.get());
    for (const CommandSpec& sub : row->subcommands) specs.push_back(&sub);
  }
  int checked = 0;
  for (const CommandSpec* spec : specs) {
    if (spec->first_key <= 0 && spec->find_keys == nullptr) continue;
    EXPECT_FALSE(spec->key_specs.empty()) << spec->full_name;
    if (spec->find_keys != nullptr) continue;
    // Enough arguments for every shape: arity, and a few more for the
    // variadic ones.
    for (int extra : {0, 1, 2, 3, 4}) {
      const int argc = std::abs(spec->arity) + extra;
      if (!spec->AcceptsArgCount(argc)) continue;
      std::vector<std::string> words;
      std::vector<absl::string_view> args;
      for (int i = 0; i < argc; ++i) words.push_back("a" + std::to_string(i));
      words[0] = spec->full_name.substr(0, spec->full_name.find('|'));
      if (spec->full_name.find('|') != std::string::npos) words[1] = spec->name;
      for (const std::string& w : words) args.push_back(w);
      std::vector<KeyRef> refs;
      ASSERT_TRUE(KeysWithFlags(*spec, args, &refs))
          << spec->full_name << " argc " << argc;
      std::vector<int> from_specs;
      for (const KeyRef& r : refs) from_specs.push_back(r.pos);
      EXPECT_EQ(from_specs, CommandKeyPositions(*spec, args))
          << spec->full_name << " argc " << argc;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(KeySpecTableTest, RedisKeySpecsParse) {
  std::vector<KeySpec> z = RedisKeySpecs("zinterstore");
  ASSERT_EQ(z.size(), 2u);
  EXPECT_EQ(z[0].flags, kKeyOW | kKeyUpdate);
  EXPECT_EQ(z[0].begin_index, 1);
  EXPECT_FALSE(z[0].keynum);
  EXPECT_EQ(z[1].flags, kKeyRO | kKeyAccess);
  EXPECT_EQ(z[1].begin_index, 2);
  EXPECT_TRUE(z[1].keynum);
  EXPECT_EQ(z[1].firstkey, 1);
  EXPECT_TRUE(RedisKeySpecs("ping").empty());
  EXPECT_TRUE(RedisKeySpecs("nosuch").empty());
  EXPECT_EQ(KeySpecFlagNames(kKeyRW | kKeyAccess | kKeyVariableFlags),
            (std::vector<absl::string_view>{"RW", "access", "variable_flags"}));
}

// A keyword begin_search (none of today's rows has one; Redis's GEORADIUS
// STORE and XREAD STREAMS do) finds the keys after the keyword, or none.
TEST(KeySpecTableTest, KeywordBeginSearch) {
  CommandSpec spec;
  spec.full_name = "xlike";
  spec.arity = -2;
  KeySpec ks;
  ks.flags = kKeyRO;
  ks.keyword = "STREAMS";
  ks.startfrom = 1;
  ks.lastkey = -1;
  ks.limit = 2;  // the first half of what follows
  spec.key_specs.push_back(ks);
  std::vector<absl::string_view> args = {"xlike", "COUNT", "2", "streams",
                                         "a",     "b",     "0", "0"};
  std::vector<KeyRef> keys;
  ASSERT_TRUE(KeysWithFlags(spec, args, &keys));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].pos, 4);
  EXPECT_EQ(keys[1].pos, 5);
  std::vector<absl::string_view> none = {"xlike", "COUNT", "2"};
  ASSERT_TRUE(KeysWithFlags(spec, none, &keys));
  EXPECT_TRUE(keys.empty());
}
}  // namespace
}  // namespace twinkv
