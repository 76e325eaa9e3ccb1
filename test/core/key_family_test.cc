// Tests of the generic key commands (DEL UNLINK EXISTS TOUCH TYPE RENAME
// RENAMENX KEYS SCAN RANDOMKEY, the expiry commands, MOVE COPY SWAPDB and
// OBJECT) through the dispatcher. Expected replies were checked against
// redis-server 7.0.15.

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
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

// An aggregate that can be copied and names its encoding.
class FakeSet : public ValueObject {
 public:
  explicit FakeSet(std::set<std::string> members)
      : ValueObject(ValueType::kSet), members(std::move(members)) {}
  absl::string_view Encoding() const override { return "intset"; }
  std::unique_ptr<ValueObject> Clone() const override {
    return std::make_unique<FakeSet>(members);
  }
  std::set<std::string> members;
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

  // Runs SCAN from cursor 0 to 0 with the given options; returns every key
  // returned (with repeats) and how many calls it took.
  std::multiset<std::string> FullScan(std::vector<std::string> options,
                                      int* calls = nullptr) {
    std::multiset<std::string> keys;
    std::string cursor = "0";
    int n = 0;
    do {
      std::vector<std::string> args = {"SCAN", cursor};
      args.insert(args.end(), options.begin(), options.end());
      std::vector<absl::string_view> views(args.begin(), args.end());
      Reply r = h_.RunReply(views);
      EXPECT_EQ(r.type, Reply::Type::kArray) << r.DebugString();
      if (r.type != Reply::Type::kArray || r.elements.size() != 2) break;
      cursor = r.elements[0].str;
      for (const Reply& k : r.elements[1].elements) keys.insert(k.str);
      ++n;
    } while (cursor != "0" && n < 100000);
    if (calls != nullptr) *calls = n;
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

TEST_F(KeyFamilyTest, UnlinkAndTouch) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Run({"TOUCH", "a", "nokey", "a"}), "(integer) 2");
  EXPECT_EQ(Run({"UNLINK", "a", "nokey", "a"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "a", "b"}), "(integer) 1");
  EXPECT_EQ(Run({"TOUCH"}),
            "(error) ERR wrong number of arguments for 'touch' command");
  EXPECT_EQ(Run({"UNLINK"}),
            "(error) ERR wrong number of arguments for 'unlink' command");
}

TEST_F(KeyFamilyTest, ExpireAndTtl) {
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), "(integer) 0");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -2");
  EXPECT_EQ(Run({"PTTL", "k"}), "(integer) -2");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(Run({"PTTL", "k"}), "(integer) -1");
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 10");
  EXPECT_EQ(Run({"PTTL", "k"}), "(integer) 10000");
  Advance(9499);
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 1");  // 501 ms rounds up
  Advance(2);
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 0");  // 499 ms rounds down
  EXPECT_EQ(Run({"PTTL", "k"}), "(integer) 499");
  Advance(499);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -2");
  // PEXPIRE, and its rounding in TTL.
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"PEXPIRE", "k", "1500"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 2");
  EXPECT_EQ(Run({"PEXPIRE", "k", "1499"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 1");
  // Setting a value without KEEPTTL drops the TTL.
  EXPECT_EQ(Run({"SET", "k", "w"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -1");
}

TEST_F(KeyFamilyTest, ExpireAtAndExpireTime) {
  const int64_t now = NowMs();
  const std::string at_s = absl::StrCat(now / 1000 + 100);
  const std::string at_ms = absl::StrCat(now + 12345);
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), "(integer) -1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), "(integer) -1");
  EXPECT_EQ(Run({"EXPIRETIME", "nokey"}), "(integer) -2");
  EXPECT_EQ(Run({"PEXPIRETIME", "nokey"}), "(integer) -2");
  EXPECT_EQ(h_.Run(std::vector<std::string>{"EXPIREAT", "k", at_s}),
            "(integer) 1");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), "(integer) " + at_s);
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}),
            absl::StrCat("(integer) ", (now / 1000 + 100) * 1000));
  EXPECT_EQ(h_.Run(std::vector<std::string>{"PEXPIREAT", "k", at_ms}),
            "(integer) 1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), "(integer) " + at_ms);
  // EXPIRETIME rounds to the nearest second, as Redis does.
  EXPECT_EQ(Run({"PEXPIREAT", "k", "99999999999500"}), "(integer) 1");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), "(integer) 100000000000");
  EXPECT_EQ(Run({"PEXPIREAT", "k", "99999999999499"}), "(integer) 1");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), "(integer) 99999999999");
}

TEST_F(KeyFamilyTest, ExpireInThePastDeletesTheKey) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIRE", "k", "-1"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIRE", "k", "0"}), "(integer) 1");
  EXPECT_EQ(db().size(), 0u);
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIREAT", "k", "1"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  // Exactly now counts as the past.
  EXPECT_EQ(h_.Run(std::vector<std::string>{"PEXPIREAT", "k",
                                            absl::StrCat(NowMs())}),
            "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  // A large negative PEXPIRE is no overflow error: it deletes.
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"PEXPIRE", "k", "-9223372036854775807"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(db().expires_size(), 0u);
}

TEST_F(KeyFamilyTest, ExpireOptions) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  // No TTL: XX and GT fail, LT and NX succeed.
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), "(integer) 0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), "(integer) 0");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "lt"}), "(integer) 1");
  EXPECT_EQ(Run({"PERSIST", "k"}), "(integer) 1");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "nx", "NX"}), "(integer) 1");
  // Now a TTL of 100 s.
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "NX"}), "(integer) 0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), "(integer) 0");  // equal
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "GT"}), "(integer) 0");
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "XX", "GT"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 200");
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "LT"}), "(integer) 0");  // equal
  EXPECT_EQ(Run({"EXPIRE", "k", "300", "LT"}), "(integer) 0");
  EXPECT_EQ(Run({"PEXPIRE", "k", "150000", "XX", "LT"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 150");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "XX"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) 10");
  // Options on a missing key: 0.
  EXPECT_EQ(Run({"EXPIRE", "nokey", "10", "NX"}), "(integer) 0");
}

TEST_F(KeyFamilyTest, ExpireErrors) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "NX", "XX"}),
            "(error) ERR NX and XX, GT or LT options at the same time are not "
            "compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "NX", "GT"}),
            "(error) ERR NX and XX, GT or LT options at the same time are not "
            "compatible");
  EXPECT_EQ(Run({"PEXPIRE", "k", "10", "lt", "nx"}),
            "(error) ERR NX and XX, GT or LT options at the same time are not "
            "compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "GT", "LT"}),
            "(error) ERR GT and LT options at the same time are not "
            "compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "foo"}),
            "(error) ERR Unsupported option foo");
  // Options are checked before the time and before the key.
  EXPECT_EQ(Run({"EXPIRE", "nokey", "abc", "foo"}),
            "(error) ERR Unsupported option foo");
  EXPECT_EQ(Run({"EXPIRE", "nokey", "abc"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Run({"EXPIRE", "k", "-9223372036854775808"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854776"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Run({"PEXPIRE", "k", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(Run({"EXPIREAT", "k", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'expireat' command");
  // PEXPIREAT adds nothing, so it cannot overflow.
  EXPECT_EQ(Run({"PEXPIREAT", "k", "9223372036854775806"}), "(integer) 1");
  EXPECT_EQ(Run({"EXPIRE", "k"}),
            "(error) ERR wrong number of arguments for 'expire' command");
  EXPECT_EQ(Run({"TTL"}),
            "(error) ERR wrong number of arguments for 'ttl' command");
  EXPECT_EQ(Run({"PERSIST", "a", "b"}),
            "(error) ERR wrong number of arguments for 'persist' command");
}

TEST_F(KeyFamilyTest, Persist) {
  EXPECT_EQ(Run({"PERSIST", "nokey"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"PERSIST", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  EXPECT_EQ(db().expires_size(), 1u);
  EXPECT_EQ(Run({"PERSIST", "k"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(db().expires_size(), 0u);
  Advance(1000);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "5"}), "OK");
  Advance(5);
  EXPECT_EQ(Run({"PERSIST", "t"}), "(integer) 0");
}

TEST_F(KeyFamilyTest, ScanReturnsEveryKeyAndFilters) {
  EXPECT_EQ(Run({"SCAN", "0"}), "[0, []]");
  for (int i = 0; i < 500; ++i) {
    db().SetString(absl::StrCat("key:", i), "v", NowMs());
  }
  db().Set("list1", Value(std::make_unique<FakeList>()), NowMs());
  db().Set("list2", Value(std::make_unique<FakeList>()), NowMs());
  db().SetString("", "empty key", NowMs());
  int calls = 0;
  std::multiset<std::string> all = FullScan({}, &calls);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 503u);
  EXPECT_EQ(all.count(""), 1u);
  EXPECT_GT(calls, 10);  // COUNT 10 by default: many calls
  int big_calls = 0;
  std::multiset<std::string> big = FullScan({"COUNT", "1000"}, &big_calls);
  EXPECT_EQ(big.size(), 503u);
  EXPECT_LE(big_calls, 2);
  std::multiset<std::string> some = FullScan({"MATCH", "key:1?"});
  EXPECT_EQ(some, (std::multiset<std::string>{
                      "key:10", "key:11", "key:12", "key:13", "key:14",
                      "key:15", "key:16", "key:17", "key:18", "key:19"}));
  EXPECT_EQ(FullScan({"TYPE", "LIST"}),
            (std::multiset<std::string>{"list1", "list2"}));
  EXPECT_EQ(FullScan({"type", "list", "match", "*2"}),
            (std::multiset<std::string>{"list2"}));
  EXPECT_EQ(FullScan({"TYPE", "nosuchtype"}), std::multiset<std::string>{});
  EXPECT_EQ(FullScan({"MATCH", "**", "TYPE", "string"}).count(""), 0u);
  EXPECT_EQ(FullScan({"MATCH", "*", "TYPE", "string"}).count(""), 1u);
}

TEST_F(KeyFamilyTest, ScanSkipsAndDeletesExpiredKeys) {
  for (int i = 0; i < 100; ++i) {
    db().SetString(absl::StrCat("k", i), "v", NowMs(),
                   i % 2 ? NowMs() + 10 : Db::kNoExpire);
  }
  Advance(10);
  std::multiset<std::string> keys = FullScan({"COUNT", "7"});
  EXPECT_EQ(keys.size(), 50u);
  for (const std::string& k : keys) {
    EXPECT_EQ(std::stoi(k.substr(1)) % 2, 0) << k;
  }
  EXPECT_EQ(db().size(), 50u);
}

TEST_F(KeyFamilyTest, ScanErrorsAndCursorGrammar) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"SCAN", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", " 1"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "1 "}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "-"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "18446744073709551616"}),
            "(error) ERR invalid cursor");
  // strtoull's grammar: "" is 0, a sign is accepted, "-1" wraps around.
  EXPECT_EQ(Run({"SCAN", ""}), "[0, [k]]");
  EXPECT_EQ(Run({"SCAN", "+0"}), "[0, [k]]");
  Reply r = h_.RunReply({"SCAN", "-1"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].str, "0");
  EXPECT_EQ(Run({"SCAN", "18446744073709551615"}), Run({"SCAN", "-1"}));
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "-5"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "MATCH"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "TYPE"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "foo", "bar"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SCAN"}),
            "(error) ERR wrong number of arguments for 'scan' command");
}

// SCAN through the command while the table grows and shrinks between
// calls: every key present throughout is returned. (Seeded; the seed is
// printed.)
TEST_F(KeyFamilyTest, ScanSurvivesGrowthAndShrinkingBetweenCalls) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    db().Clear();
    uint64_t state = seed * 0x9e3779b97f4a7c15ull;
    auto next = [&](uint64_t n) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state % n;
    };
    std::set<std::string> stable;
    for (int i = 0; i < 300; ++i) {
      std::string k = absl::StrCat("s", i);
      db().SetString(k, "v", NowMs());
      stable.insert(k);
    }
    std::vector<std::string> extra;
    int extra_id = 0;
    std::set<std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
      Reply r = h_.RunReply({"SCAN", cursor, "COUNT", "3"});
      ASSERT_EQ(r.elements.size(), 2u) << r.DebugString();
      cursor = r.elements[0].str;
      for (const Reply& k : r.elements[1].elements) seen.insert(k.str);
      // Grow by hundreds, or shrink back, or a little churn.
      const uint64_t what = next(10);
      if (what == 0) {
        for (int i = 0; i < 600; ++i) {
          extra.push_back(absl::StrCat("x", extra_id++));
          db().SetString(extra.back(), "v", NowMs());
        }
      } else if (what == 1) {
        for (const std::string& k : extra) db().Erase(k, NowMs());
        extra.clear();
      } else if (what == 2 && !stable.empty()) {
        // A stable key goes: it no longer has to be returned.
        auto it = stable.begin();
        std::advance(it, next(stable.size()));
        db().Erase(*it, NowMs());
        stable.erase(it);
      }
    } while (cursor != "0" && ++calls < 100000);
    for (const std::string& k : stable) EXPECT_EQ(seen.count(k), 1u) << k;
  }
}

TEST_F(KeyFamilyTest, RandomKey) {
  EXPECT_EQ(Run({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "c", "3"}), "OK");
  std::map<std::string, int> counts;
  for (int i = 0; i < 300; ++i) ++counts[Run({"RANDOMKEY"})];
  EXPECT_EQ(counts.size(), 3u);
  for (const auto& [k, n] : counts) {
    EXPECT_TRUE(k == "a" || k == "b" || k == "c") << k;
    EXPECT_GT(n, 30) << k;
  }
  // Expired keys are never returned, and get deleted on the way.
  EXPECT_EQ(Run({"DEL", "a", "b"}), "(integer) 2");
  EXPECT_EQ(Run({"PEXPIRE", "c", "5"}), "(integer) 1");
  EXPECT_EQ(Run({"SET", "d", "4"}), "OK");
  Advance(5);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Run({"RANDOMKEY"}), "d");
  EXPECT_EQ(db().size(), 1u);
  EXPECT_EQ(Run({"PEXPIRE", "d", "1"}), "(integer) 1");
  Advance(1);
  EXPECT_EQ(Run({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(db().size(), 0u);
  EXPECT_EQ(Run({"RANDOMKEY", "x"}),
            "(error) ERR wrong number of arguments for 'randomkey' command");
}

TEST_F(KeyFamilyTest, Move) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1000"}), "OK");
  EXPECT_EQ(Run({"MOVE", "k", "0"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Run({"MOVE", "k", "1x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"MOVE", "k", "99999999999"}),
            "(error) ERR value is out of range, value must between "
            "-2147483648 and 2147483647");
  EXPECT_EQ(Run({"MOVE", "k", "16"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Run({"MOVE", "k", "-1"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Run({"MOVE", "nokey", "1"}), "(integer) 0");
  const int64_t expire = db().GetExpire("k", NowMs());
  EXPECT_EQ(Run({"MOVE", "k", "1"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  Db& db1 = h_.engine().keyspace().db(1);
  ASSERT_NE(db1.Find("k", NowMs()), nullptr);
  EXPECT_EQ(db1.Find("k", NowMs())->str(), "v");
  EXPECT_EQ(db1.GetExpire("k", NowMs()), expire);
  EXPECT_EQ(db().expires_size(), 0u);
  EXPECT_EQ(db1.expires_size(), 1u);
  // A key that exists in the target stays where it is.
  EXPECT_EQ(Run({"SET", "k", "here"}), "OK");
  EXPECT_EQ(Run({"MOVE", "k", "1"}), "(integer) 0");
  EXPECT_EQ(Run({"GET", "k"}), "here");
  // Aggregates move as they are.
  db().Set("l", Value(std::make_unique<FakeList>()), NowMs());
  EXPECT_EQ(Run({"MOVE", "l", "2"}), "(integer) 1");
  EXPECT_EQ(h_.engine().keyspace().db(2).Find("l", NowMs())->type(),
            ValueType::kList);
  // From another selected database.
  h_.client().db_index = 1;
  EXPECT_EQ(Run({"MOVE", "k", "1"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Run({"MOVE", "k", "3"}), "(integer) 1");
  EXPECT_EQ(h_.engine().keyspace().db(3).Find("k", NowMs())->str(), "v");
}

TEST_F(KeyFamilyTest, Copy) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1000"}), "OK");
  EXPECT_EQ(Run({"COPY", "k", "k"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "k", "k", "DB", "0"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "k", "j", "DB", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"COPY", "k", "j", "DB", "16"}),
            "(error) ERR DB index is out of range");
  EXPECT_EQ(Run({"COPY", "nokey", "j", "DB", "16"}),
            "(error) ERR DB index is out of range");
  EXPECT_EQ(Run({"COPY", "k", "j", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"COPY", "k", "j", "DB"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"COPY", "k", "k", "DB", "0", "foo"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Run({"COPY", "nokey", "j"}), "(integer) 0");
  // Same database: value and TTL copied.
  EXPECT_EQ(Run({"COPY", "k", "j"}), "(integer) 1");
  EXPECT_EQ(Run({"GET", "j"}), "v");
  EXPECT_EQ(db().GetExpire("j", NowMs()), db().GetExpire("k", NowMs()));
  // An existing target needs REPLACE.
  EXPECT_EQ(Run({"SET", "t", "old"}), "OK");
  EXPECT_EQ(Run({"COPY", "k", "t"}), "(integer) 0");
  EXPECT_EQ(Run({"GET", "t"}), "old");
  EXPECT_EQ(Run({"COPY", "k", "t", "replace"}), "(integer) 1");
  EXPECT_EQ(Run({"GET", "t"}), "v");
  // The copy is independent of the source.
  EXPECT_EQ(Run({"APPEND", "k", "w"}), "(integer) 2");
  EXPECT_EQ(Run({"GET", "t"}), "v");
  // Another database, key unchanged.
  EXPECT_EQ(Run({"COPY", "k", "k", "DB", "5"}), "(integer) 1");
  EXPECT_EQ(h_.engine().keyspace().db(5).Find("k", NowMs())->str(), "vw");
  EXPECT_EQ(h_.engine().keyspace().db(5).GetExpire("k", NowMs()),
            db().GetExpire("k", NowMs()));
  // A key without TTL copies without TTL, replacing a target with one.
  EXPECT_EQ(Run({"SET", "p", "1"}), "OK");
  EXPECT_EQ(Run({"COPY", "p", "j", "REPLACE"}), "(integer) 1");
  EXPECT_EQ(Run({"TTL", "j"}), "(integer) -1");
}

TEST_F(KeyFamilyTest, CopyDeepCopiesAggregates) {
  db().Set("s", Value(std::make_unique<FakeSet>(std::set<std::string>{"a"})),
           NowMs());
  EXPECT_EQ(Run({"COPY", "s", "s2"}), "(integer) 1");
  Value* copy = db().Find("s2", NowMs());
  ASSERT_NE(copy, nullptr);
  ASSERT_EQ(copy->type(), ValueType::kSet);
  Value* orig = db().Find("s", NowMs());
  EXPECT_NE(copy->object(), orig->object());
  orig->object_as<FakeSet>()->members.insert("b");
  EXPECT_EQ(db().Find("s2", NowMs())->object_as<FakeSet>()->members,
            (std::set<std::string>{"a"}));
  // A type whose family has no Clone yet is refused, not shared.
  db().Set("l", Value(std::make_unique<FakeList>()), NowMs());
  EXPECT_EQ(Run({"COPY", "l", "l2"}),
            "(error) ERR COPY is not supported for this value type");
  EXPECT_EQ(Run({"EXISTS", "l2"}), "(integer) 0");
}

TEST_F(KeyFamilyTest, SwapDb) {
  EXPECT_EQ(Run({"SWAPDB", "0", "x"}), "(error) ERR invalid second DB index");
  EXPECT_EQ(Run({"SWAPDB", "x", "0"}), "(error) ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "99999999999", "0"}),
            "(error) ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "99999999999"}),
            "(error) ERR invalid second DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "16"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Run({"SWAPDB", "-1", "0"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Run({"SET", "k", "zero", "PX", "100"}), "OK");
  EXPECT_EQ(Run({"SWAPDB", "0", "0"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "zero");
  h_.engine().keyspace().db(1).SetString("k", "one", NowMs());
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "OK");
  // The client still has database 0 selected, which now holds db 1's keys.
  EXPECT_EQ(Run({"GET", "k"}), "one");
  EXPECT_EQ(Run({"TTL", "k"}), "(integer) -1");
  h_.client().db_index = 1;
  EXPECT_EQ(Run({"GET", "k"}), "zero");
  EXPECT_EQ(Run({"PTTL", "k"}), "(integer) 100");
  EXPECT_EQ(Run({"SWAPDB", "1"}),
            "(error) ERR wrong number of arguments for 'swapdb' command");
}

TEST_F(KeyFamilyTest, ObjectEncoding) {
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "nokey"}), "(nil)");
  auto encoding = [&](absl::string_view value) {
    db().SetString("k", value, NowMs());
    return Run({"OBJECT", "encoding", "k"});
  };
  EXPECT_EQ(encoding("1234567890123456789"), "int");
  EXPECT_EQ(encoding("-123"), "int");
  EXPECT_EQ(encoding("-9223372036854775808"), "int");
  EXPECT_EQ(encoding("12345678901234567890"), "embstr");  // overflows
  EXPECT_EQ(encoding("0123"), "embstr");
  EXPECT_EQ(encoding(" 1"), "embstr");
  EXPECT_EQ(encoding("1.5"), "embstr");
  EXPECT_EQ(encoding(""), "embstr");
  EXPECT_EQ(encoding(std::string(44, 'x')), "embstr");
  EXPECT_EQ(encoding(std::string(45, 'x')), "raw");
  db().Set("h", Value(std::make_unique<FakeHash>()), NowMs());
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "hashtable");  // the default
  db().Set("s", Value(std::make_unique<FakeSet>(std::set<std::string>{})),
           NowMs());
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "intset");
  EXPECT_EQ(
      Run({"OBJECT", "ENCODING"}),
      "(error) ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(Run({"OBJECT", "foo"}),
            "(error) ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  EXPECT_EQ(Run({"OBJECT", "help", "x"}),
            "(error) ERR wrong number of arguments for 'object|help' command");
  Reply help = h_.RunReply({"OBJECT", "HELP"});
  ASSERT_EQ(help.elements.size(), 15u);
  EXPECT_EQ(help.elements[0].str,
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  EXPECT_EQ(help.elements[1].str, "ENCODING <key>");
  EXPECT_EQ(help.elements[14].str, "    Prints this help.");
}

TEST_F(KeyFamilyTest, NewCommandRowsMatchRedis) {
  const CommandTable& table = h_.engine().commands();
  struct Expected {
    const char* name;
    int arity;
    uint32_t flags;
    int first, last, step;
    const char* since;
    Strings acl;
  };
  const Strings wf = {"@keyspace", "@write", "@fast"};
  const Strings rf = {"@keyspace", "@read", "@fast"};
  const std::vector<Expected> rows = {
      {"expire", -3, kCmdWrite | kCmdFast, 1, 1, 1, "1.0.0", wf},
      {"pexpire", -3, kCmdWrite | kCmdFast, 1, 1, 1, "2.6.0", wf},
      {"expireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, "1.2.0", wf},
      {"pexpireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, "2.6.0", wf},
      {"ttl", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "1.0.0", rf},
      {"pttl", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "2.6.0", rf},
      {"expiretime", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "7.0.0", rf},
      {"pexpiretime", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "7.0.0", rf},
      {"persist", 2, kCmdWrite | kCmdFast, 1, 1, 1, "2.2.0", wf},
      {"scan", -2, kCmdReadOnly, 0, 0, 0, "2.8.0",
       {"@keyspace", "@read", "@slow"}},
      {"randomkey", 1, kCmdReadOnly, 0, 0, 0, "1.0.0",
       {"@keyspace", "@read", "@slow"}},
      {"unlink", -2, kCmdWrite | kCmdFast, 1, -1, 1, "4.0.0", wf},
      {"touch", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, "3.2.1", rf},
      {"move", 3, kCmdWrite | kCmdFast, 1, 1, 1, "1.0.0", wf},
      {"swapdb", 3, kCmdWrite | kCmdFast, 0, 0, 0, "4.0.0",
       {"@keyspace", "@write", "@fast", "@dangerous"}},
      {"copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, "6.2.0",
       {"@keyspace", "@write", "@slow"}},
  };
  for (const Expected& e : rows) {
    SCOPED_TRACE(e.name);
    const CommandSpec* spec = table.Find(e.name);
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->arity, e.arity);
    EXPECT_EQ(spec->flags, e.flags);
    EXPECT_EQ(spec->first_key, e.first);
    EXPECT_EQ(spec->last_key, e.last);
    EXPECT_EQ(spec->key_step, e.step);
    EXPECT_EQ(spec->since, e.since);
    EXPECT_EQ(spec->acl_categories, e.acl);
  }
  EXPECT_EQ(table.Find("swapdb")->group, "server");
  const CommandSpec* object = table.Find("object");
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->arity, -2);
  const CommandSpec* enc = CommandTable::FindSubcommand(*object, "ENCODING");
  ASSERT_NE(enc, nullptr);
  EXPECT_EQ(enc->arity, 3);
  EXPECT_EQ(enc->first_key, 2);
  EXPECT_EQ(enc->flags, kCmdReadOnly);
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
