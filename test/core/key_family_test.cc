// Tests of the generic key commands (DEL EXISTS TYPE RENAME RENAMENX KEYS)
// through the dispatcher. Expected replies were checked against
// redis-server 7.0.15.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

class FakeList : public ValueObject {
 public:
  FakeList() : ValueObject(ValueType::kList) {}
};

class FakeHash : public ValueObject {
 public:
  FakeHash() : ValueObject(ValueType::kHash) {}
};

void Register(CommandTable& t) {
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

class KeyFamilyTest : public ::testing::Test {
 protected:
  KeyFamilyTest() : h_(Register) {}

  std::string Run(std::initializer_list<absl::string_view> args) {
    return h_.Run(args);
  }
  Db& db() { return h_.engine().keyspace().db(0); }
  int64_t NowMs() { return h_.engine().NowMs(); }
  void Advance(int64_t ms) { h_.runtime().Advance(absl::Milliseconds(ms)); }
  // KEYS' reply, sorted (its order is the hash table's).
  std::vector<std::string> Keys(absl::string_view pattern) {
    Reply r = h_.RunReply({"KEYS", pattern});
    EXPECT_EQ(r.type, Reply::Type::kArray) << r.DebugString();
    std::vector<std::string> keys;
    for (const Reply& e : r.elements) {
      EXPECT_EQ(e.type, Reply::Type::kBulk);
      keys.push_back(e.str);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  EngineHarness h_;
};

using Strings = std::vector<std::string>;

TEST_F(KeyFamilyTest, Del) {
  EXPECT_EQ(Run({"DEL", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "c", "3"}), "OK");
  EXPECT_EQ(Run({"DEL", "a", "b", "nokey"}), "(integer) 2");
  EXPECT_EQ(Run({"MGET", "a", "b", "c"}), "[(nil), (nil), 3]");
  // A key named twice is deleted once.
  EXPECT_EQ(Run({"DEL", "c", "c", "c"}), "(integer) 1");
  // Any type.
  db().Set("l", Value(std::make_unique<FakeList>()), NowMs());
  EXPECT_EQ(Run({"del", "l"}), "(integer) 1");
  // An expired key is not counted.
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "10"}), "OK");
  Advance(10);
  EXPECT_EQ(Run({"DEL", "t"}), "(integer) 0");
  EXPECT_EQ(db().size(), 0u);
  EXPECT_EQ(Run({"DEL"}),
            "(error) ERR wrong number of arguments for 'del' command");
}

TEST_F(KeyFamilyTest, Exists) {
  EXPECT_EQ(Run({"EXISTS", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "a"}), "(integer) 1");
  // Duplicates count every time.
  EXPECT_EQ(Run({"EXISTS", "a", "a", "nokey", "a"}), "(integer) 3");
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "10"}), "OK");
  Advance(9);
  EXPECT_EQ(Run({"EXISTS", "t"}), "(integer) 1");
  Advance(1);
  EXPECT_EQ(Run({"EXISTS", "t"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS"}),
            "(error) ERR wrong number of arguments for 'exists' command");
}

TEST_F(KeyFamilyTest, Type) {
  EXPECT_EQ(h_.RunRaw({"TYPE", "nokey"}), "+none\r\n");
  EXPECT_EQ(Run({"SET", "s", "v"}), "OK");
  EXPECT_EQ(h_.RunRaw({"TYPE", "s"}), "+string\r\n");
  db().Set("l", Value(std::make_unique<FakeList>()), NowMs());
  db().Set("h", Value(std::make_unique<FakeHash>()), NowMs());
  EXPECT_EQ(Run({"TYPE", "l"}), "list");
  EXPECT_EQ(Run({"TYPE", "h"}), "hash");
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "1"}), "OK");
  Advance(1);
  EXPECT_EQ(Run({"TYPE", "t"}), "none");
  EXPECT_EQ(Run({"TYPE", "a", "b"}),
            "(error) ERR wrong number of arguments for 'type' command");
}

TEST_F(KeyFamilyTest, Rename) {
  EXPECT_EQ(Run({"RENAME", "nokey", "x"}), "(error) ERR no such key");
  EXPECT_EQ(Run({"RENAME", "nokey", "nokey"}), "(error) ERR no such key");
  EXPECT_EQ(Run({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(Run({"MGET", "a", "b"}), "[(nil), 1]");
  // Onto itself: nothing changes.
  EXPECT_EQ(Run({"RENAME", "b", "b"}), "OK");
  EXPECT_EQ(Run({"GET", "b"}), "1");
  // Overwrites the target, whatever its type.
  db().Set("l", Value(std::make_unique<FakeList>()), NowMs());
  EXPECT_EQ(Run({"RENAME", "b", "l"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "1");
  EXPECT_EQ(Run({"EXISTS", "b"}), "(integer) 0");
  // A list moves as it is.
  db().Set("l2", Value(std::make_unique<FakeList>()), NowMs());
  EXPECT_EQ(Run({"RENAME", "l2", "m"}), "OK");
  EXPECT_EQ(Run({"TYPE", "m"}), "list");
  EXPECT_EQ(Run({"RENAME", "a"}),
            "(error) ERR wrong number of arguments for 'rename' command");
}

TEST_F(KeyFamilyTest, RenameCarriesTheSourceTtl) {
  EXPECT_EQ(Run({"SET", "a", "1", "PX", "100"}), "OK");
  const int64_t expire = db().GetExpire("a", NowMs());
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(db().GetExpire("b", NowMs()), expire);
  Advance(99);
  EXPECT_EQ(Run({"GET", "b"}), "1");
  Advance(1);
  EXPECT_EQ(Run({"GET", "b"}), "(nil)");
  // The target's own TTL goes with its old value.
  EXPECT_EQ(Run({"SET", "c", "1", "EX", "50"}), "OK");
  EXPECT_EQ(Run({"SET", "d", "2"}), "OK");
  EXPECT_EQ(Run({"RENAME", "d", "c"}), "OK");
  EXPECT_EQ(db().GetExpire("c", NowMs()), Db::kNoExpire);
  EXPECT_EQ(Run({"GET", "c"}), "2");
  // An expired source is missing.
  EXPECT_EQ(Run({"SET", "e", "1", "PX", "1"}), "OK");
  Advance(1);
  EXPECT_EQ(Run({"RENAME", "e", "f"}), "(error) ERR no such key");
}

TEST_F(KeyFamilyTest, RenameNx) {
  EXPECT_EQ(Run({"RENAMENX", "nokey", "x"}), "(error) ERR no such key");
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Run({"RENAMENX", "a", "b"}), "(integer) 0");
  EXPECT_EQ(Run({"MGET", "a", "b"}), "[1, 2]");
  EXPECT_EQ(Run({"RENAMENX", "a", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"RENAMENX", "a", "c"}), "(integer) 1");
  EXPECT_EQ(Run({"MGET", "a", "c"}), "[(nil), 1]");
  // An expired target does not block it.
  EXPECT_EQ(Run({"SET", "t", "old", "PX", "5"}), "OK");
  Advance(5);
  EXPECT_EQ(Run({"RENAMENX", "c", "t"}), "(integer) 1");
  EXPECT_EQ(Run({"GET", "t"}), "1");
}

TEST_F(KeyFamilyTest, Keys) {
  EXPECT_EQ(Keys("*"), Strings{});
  EXPECT_EQ(Run({"MSET", "one", "1", "two", "2", "three", "3", "four", "4"}),
            "OK");
  EXPECT_EQ(Keys("*"), (Strings{"four", "one", "three", "two"}));
  EXPECT_EQ(Keys("t*"), (Strings{"three", "two"}));
  EXPECT_EQ(Keys("*o*"), (Strings{"four", "one", "two"}));
  EXPECT_EQ(Keys("???"), (Strings{"one", "two"}));
  EXPECT_EQ(Keys("[ot]*"), (Strings{"one", "three", "two"}));
  EXPECT_EQ(Keys("[^ot]*"), (Strings{"four"}));
  EXPECT_EQ(Keys("T*"), Strings{});  // case-sensitive
  EXPECT_EQ(Keys("nomatch"), Strings{});
  EXPECT_EQ(h_.RunRaw({"KEYS", "nomatch"}), "*0\r\n");
  // Other types are listed too; expired keys are not.
  db().Set("tl", Value(std::make_unique<FakeList>()), NowMs());
  EXPECT_EQ(Run({"SET", "tx", "v", "PX", "3"}), "OK");
  EXPECT_EQ(Keys("t?"), (Strings{"tl", "tx"}));
  Advance(3);
  EXPECT_EQ(Keys("t?"), (Strings{"tl"}));
}

TEST_F(KeyFamilyTest, KeysListsTheEmptyKeyOnlyForALoneStar) {
  // Redis's matcher never matches an empty key; KEYS * skips the matcher.
  EXPECT_EQ(Run({"SET", "", "v"}), "OK");
  EXPECT_EQ(Run({"SET", "x", "v"}), "OK");
  EXPECT_EQ(Keys("*"), (Strings{"", "x"}));
  EXPECT_EQ(Keys("**"), (Strings{"x"}));
  EXPECT_EQ(Keys("?*"), (Strings{"x"}));
}

TEST_F(KeyFamilyTest, KeysIsBinarySafeAndLarge) {
  std::string key("a\0b", 3);
  EXPECT_EQ(h_.Run(std::vector<std::string>{"SET", key, "v"}), "OK");
  EXPECT_EQ(Keys("a?b"), (Strings{key}));
  for (int i = 0; i < 1000; ++i) {
    db().SetString(absl::StrCat("k:", i), "v", NowMs());
  }
  EXPECT_EQ(Keys("k:*").size(), 1000u);
  EXPECT_EQ(Keys("k:99?").size(), 10u);
}

TEST_F(KeyFamilyTest, CommandRowsMatchRedis) {
  const CommandTable& table = h_.engine().commands();
  const CommandSpec* del = table.Find("del");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->arity, -2);
  EXPECT_EQ(del->flags, kCmdWrite);
  EXPECT_EQ(del->group, "generic");
  EXPECT_EQ(del->acl_categories, (Strings{"@keyspace", "@write", "@slow"}));
  const CommandSpec* rename = table.Find("RENAME");
  ASSERT_NE(rename, nullptr);
  std::vector<absl::string_view> args = {"RENAME", "a", "b"};
  EXPECT_EQ(CommandKeyPositions(*rename, args), (std::vector<int>{1, 2}));
  const CommandSpec* keys = table.Find("keys");
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->first_key, 0);
  EXPECT_EQ(keys->flags, kCmdReadOnly);
  EXPECT_EQ(keys->acl_categories,
            (Strings{"@keyspace", "@read", "@slow", "@dangerous"}));
  EXPECT_EQ(table.Find("exists")->flags, kCmdReadOnly | kCmdFast);
  EXPECT_EQ(table.Find("renamenx")->flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(table.Find("type")->arity, 2);
}

}  // namespace
}  // namespace twinkv
