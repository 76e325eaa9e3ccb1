// Tests of the string commands through the dispatcher, read like the
// protocol. Expected replies were checked against redis-server 7.0.15.
// Ends with a RapidCheck state-machine test against a std::map model.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "rapidcheck/state.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

constexpr char kWrongType[] =
    "(error) WRONGTYPE Operation against a key holding the wrong kind of "
    "value";
constexpr char kNotInt[] =
    "(error) ERR value is not an integer or out of range";
constexpr char kNotFloat[] = "(error) ERR value is not a valid float";
constexpr char kSyntax[] = "(error) ERR syntax error";

// A stand-in aggregate so WRONGTYPE can be tested before lists exist.
class FakeList : public ValueObject {
 public:
  FakeList() : ValueObject(ValueType::kList) {}
};

void Register(CommandTable& t) {
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

class StringFamilyTest : public ::testing::Test {
 protected:
  explicit StringFamilyTest(Config config = Config())
      : h_(Register, std::move(config)) {}

  std::string Run(std::initializer_list<absl::string_view> args) {
    return h_.Run(args);
  }
  // Puts a list-typed value at `key`, directly through the Db.
  void PlantList(absl::string_view key) {
    h_.engine().keyspace().db(0).Set(key, Value(std::make_unique<FakeList>()),
                                     h_.engine().NowMs());
  }
  void Advance(int64_t ms) { h_.runtime().Advance(absl::Milliseconds(ms)); }
  int64_t NowMs() { return h_.engine().NowMs(); }
  // The key's expiry time, Db::kNoExpire, or Db::kMissing.
  int64_t ExpireOf(absl::string_view key) {
    return h_.engine().keyspace().db(0).GetExpire(key, NowMs());
  }
  const CommandSpec& Spec(absl::string_view name) {
    const CommandSpec* spec = h_.engine().commands().Find(name);
    EXPECT_NE(spec, nullptr) << name;
    return *spec;
  }

  EngineHarness h_;
};

// --- GET / SET ---

TEST_F(StringFamilyTest, GetSetBasics) {
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"set", "k", "w"}), "OK");
  EXPECT_EQ(Run({"get", "k"}), "w");
  EXPECT_EQ(Run({"SET", "e", ""}), "OK");
  EXPECT_EQ(Run({"GET", "e"}), "");
  EXPECT_EQ(h_.RunRaw({"GET", "e"}), "$0\r\n\r\n");
  EXPECT_EQ(h_.RunRaw({"GET", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h_.RunRaw({"SET", "k", "v"}), "+OK\r\n");
}

TEST_F(StringFamilyTest, BinarySafeKeysAndValues) {
  std::string key("k\0\r\n", 4);
  std::string value("\0\xff\r\nx", 5);
  EXPECT_EQ(h_.Run(std::vector<std::string>{"SET", key, value}), "OK");
  EXPECT_EQ(h_.Run(std::vector<std::string>{"GET", key}), value);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(h_.Run(std::vector<std::string>{"STRLEN", key}), "(integer) 5");
}

TEST_F(StringFamilyTest, WrongArity) {
  EXPECT_EQ(Run({"GET"}),
            "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"GET", "a", "b"}),
            "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"SET", "k"}),
            "(error) ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(Run({"MSET", "a"}),
            "(error) ERR wrong number of arguments for 'mset' command");
  // The dispatcher passes MSET's -3; the odd pair count is MSET's own check.
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MSETNX", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'msetnx' command");
  EXPECT_EQ(Run({"EXISTS", "a"}), "(integer) 0");  // nothing was set
  EXPECT_EQ(Run({"INCRBYFLOAT", "k"}),
            "(error) ERR wrong number of arguments for 'incrbyfloat' command");
  EXPECT_EQ(Run({"SETRANGE", "k", "0"}),
            "(error) ERR wrong number of arguments for 'setrange' command");
  EXPECT_EQ(Run({"GETEX"}),
            "(error) ERR wrong number of arguments for 'getex' command");
}

TEST_F(StringFamilyTest, WrongType) {
  PlantList("l");
  EXPECT_EQ(Run({"GET", "l"}), kWrongType);
  EXPECT_EQ(Run({"GETSET", "l", "x"}), kWrongType);
  EXPECT_EQ(Run({"GETDEL", "l"}), kWrongType);
  EXPECT_EQ(Run({"GETEX", "l"}), kWrongType);
  EXPECT_EQ(Run({"STRLEN", "l"}), kWrongType);
  EXPECT_EQ(Run({"APPEND", "l", "x"}), kWrongType);
  EXPECT_EQ(Run({"INCR", "l"}), kWrongType);
  EXPECT_EQ(Run({"DECR", "l"}), kWrongType);
  EXPECT_EQ(Run({"INCRBY", "l", "2"}), kWrongType);
  EXPECT_EQ(Run({"DECRBY", "l", "2"}), kWrongType);
  EXPECT_EQ(Run({"INCRBYFLOAT", "l", "2"}), kWrongType);
  EXPECT_EQ(Run({"GETRANGE", "l", "0", "1"}), kWrongType);
  EXPECT_EQ(Run({"SUBSTR", "l", "0", "1"}), kWrongType);
  EXPECT_EQ(Run({"SETRANGE", "l", "0", "x"}), kWrongType);
  EXPECT_EQ(Run({"SETRANGE", "l", "0", ""}), kWrongType);
  EXPECT_EQ(Run({"SET", "l", "v", "GET"}), kWrongType);
  EXPECT_EQ(Run({"TYPE", "l"}), "list");  // nothing above changed it
  // MGET answers null for other types.
  EXPECT_EQ(Run({"SET", "s", "v"}), "OK");
  EXPECT_EQ(Run({"MGET", "l", "s", "nokey"}), "[(nil), v, (nil)]");
  // Argument errors come before the type check, as in Redis.
  EXPECT_EQ(Run({"INCRBY", "l", "x"}), kNotInt);
  EXPECT_EQ(Run({"GETRANGE", "l", "a", "1"}), kNotInt);
  EXPECT_EQ(Run({"SETRANGE", "l", "-1", ""}),
            "(error) ERR offset is out of range");
  EXPECT_EQ(Run({"SET", "l", "v", "EX", "0", "GET"}),
            "(error) ERR invalid expire time in 'set' command");
  // Plain SET replaces a value of any type.
  EXPECT_EQ(Run({"SET", "l", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "v");
}

// --- Expiry through SET's options ---

TEST_F(StringFamilyTest, SetPxExpiresOnTime) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  Advance(99);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  Advance(1);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
}

TEST_F(StringFamilyTest, SetExExatPxat) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10"}), "OK");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 10000);
  EXPECT_EQ(Run({"SET", "k", "v", "ex", "10", "EX", "20"}), "OK");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 20000);  // the last one wins
  const int64_t at_s = NowMs() / 1000 + 100;
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", absl::StrCat(at_s)}), "OK");
  EXPECT_EQ(ExpireOf("k"), at_s * 1000);
  const int64_t at_ms = NowMs() + 1234;
  EXPECT_EQ(Run({"SET", "k", "v", "pxat", absl::StrCat(at_ms)}), "OK");
  EXPECT_EQ(ExpireOf("k"), at_ms);
  Advance(1233);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  Advance(1);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  // An absolute time already passed: the key is gone at once.
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "1"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  // A plain SET clears the TTL.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w"}), "OK");
  EXPECT_EQ(ExpireOf("k"), Db::kNoExpire);
}

TEST_F(StringFamilyTest, SetKeepTtl) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "500"}), "OK");
  const int64_t expire = ExpireOf("k");
  EXPECT_EQ(Run({"SET", "k", "w", "KEEPTTL"}), "OK");
  EXPECT_EQ(ExpireOf("k"), expire);
  EXPECT_EQ(Run({"GET", "k"}), "w");
  Advance(500);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  // On a new key there is no TTL to keep.
  EXPECT_EQ(Run({"SET", "n", "v", "keepttl"}), "OK");
  EXPECT_EQ(ExpireOf("n"), Db::kNoExpire);
}

TEST_F(StringFamilyTest, SetInvalidExpireTimes) {
  const std::string err = "(error) ERR invalid expire time in 'set' command";
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), err);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "-1"}), err);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "0"}), err);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "-5"}), err);
  // Seconds that overflow once turned into milliseconds.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}), err);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "9223372036854776"}), err);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775807"}), err);
  // Relative milliseconds that overflow once now is added.
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775807"}), err);
  // The largest absolute times are fine.
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "9223372036854775"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "9223372036854775806"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc"}), kNotInt);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "1.5"}), kNotInt);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "+1"}), kNotInt);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775808"}), kNotInt);
  // Nothing above wrote the key.
  EXPECT_EQ(Run({"SET", "x", "1", "EX", "0"}), err);
  EXPECT_EQ(Run({"EXISTS", "x"}), "(integer) 0");
}

TEST_F(StringFamilyTest, SetSyntaxErrors) {
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "XX", "NX"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "10"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "10", "EXAT", "10"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "10", "PXAT", "10"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "KEEPTTL", "EX", "10"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "KEEPTTL"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EX"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "PERSIST"}), kSyntax);  // GETEX only
  EXPECT_EQ(Run({"SET", "k", "v", "FOO"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "NXX"}), kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100", "GET", "PXAT", "200"}), kSyntax);
  // Options are parsed before the expiry value is read.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc", "NX", "XX"}), kSyntax);
  // Repeats are accepted.
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "NX"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w", "GET", "GET"}), "v");
  EXPECT_EQ(Run({"SET", "k", "x", "KEEPTTL", "KEEPTTL"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "x");
}

TEST_F(StringFamilyTest, SetNxXx) {
  EXPECT_EQ(Run({"SET", "k", "v", "XX"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "(nil)");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SET", "k", "w", "xx"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "w");
  // NX sees an expired key as missing.
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "10"}), "OK");
  Advance(10);
  EXPECT_EQ(Run({"SET", "t", "new", "NX"}), "OK");
  EXPECT_EQ(Run({"GET", "t"}), "new");
  EXPECT_EQ(ExpireOf("t"), Db::kNoExpire);
  // NX/XX with a TTL set it only when they write.
  EXPECT_EQ(Run({"SET", "t", "x", "NX", "EX", "5"}), "(nil)");
  EXPECT_EQ(ExpireOf("t"), Db::kNoExpire);
  EXPECT_EQ(Run({"SET", "t", "x", "XX", "EX", "5"}), "OK");
  EXPECT_EQ(ExpireOf("t"), NowMs() + 5000);
}

TEST_F(StringFamilyTest, SetGet) {
  EXPECT_EQ(Run({"SET", "k", "v", "GET"}), "(nil)");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SET", "k", "w", "get"}), "v");
  EXPECT_EQ(Run({"GET", "k"}), "w");
  // With NX or XX the old value is the reply whether or not it writes.
  EXPECT_EQ(Run({"SET", "k", "x", "NX", "GET"}), "w");
  EXPECT_EQ(Run({"GET", "k"}), "w");
  EXPECT_EQ(Run({"SET", "k", "x", "XX", "GET"}), "w");
  EXPECT_EQ(Run({"GET", "k"}), "x");
  EXPECT_EQ(Run({"SET", "n", "x", "XX", "GET"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "n"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "n", "x", "NX", "GET"}), "(nil)");
  EXPECT_EQ(Run({"GET", "n"}), "x");
  // GET with a TTL and with KEEPTTL.
  EXPECT_EQ(Run({"SET", "k", "y", "GET", "PX", "50"}), "x");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 50);
  EXPECT_EQ(Run({"SET", "k", "z", "KEEPTTL", "GET"}), "y");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 50);
}

// --- The other setters ---

TEST_F(StringFamilyTest, SetNx) {
  EXPECT_EQ(Run({"SETNX", "k", "v"}), "(integer) 1");
  EXPECT_EQ(Run({"SETNX", "k", "w"}), "(integer) 0");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  PlantList("l");
  EXPECT_EQ(Run({"SETNX", "l", "w"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "1"}), "OK");
  Advance(1);
  EXPECT_EQ(Run({"SETNX", "t", "w"}), "(integer) 1");
  EXPECT_EQ(ExpireOf("t"), Db::kNoExpire);
}

TEST_F(StringFamilyTest, SetExPSetEx) {
  EXPECT_EQ(Run({"SETEX", "k", "10", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 10000);
  EXPECT_EQ(Run({"PSETEX", "p", "100", "v"}), "OK");
  Advance(99);
  EXPECT_EQ(Run({"GET", "p"}), "v");
  Advance(1);
  EXPECT_EQ(Run({"GET", "p"}), "(nil)");
  EXPECT_EQ(Run({"SETEX", "k", "0", "v"}),
            "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Run({"SETEX", "k", "9223372036854775", "v"}),
            "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Run({"PSETEX", "k", "-1", "v"}),
            "(error) ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(Run({"SETEX", "k", "abc", "v"}), kNotInt);
  EXPECT_EQ(Run({"PSETEX", "k", "", "v"}), kNotInt);
  PlantList("l");
  EXPECT_EQ(Run({"SETEX", "l", "5", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "v");
}

TEST_F(StringFamilyTest, GetSet) {
  EXPECT_EQ(Run({"GETSET", "k", "v"}), "(nil)");
  EXPECT_EQ(Run({"GETSET", "k", "w"}), "v");
  EXPECT_EQ(Run({"GET", "k"}), "w");
  // GETSET clears the TTL.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"GETSET", "k", "x"}), "v");
  EXPECT_EQ(ExpireOf("k"), Db::kNoExpire);
}

TEST_F(StringFamilyTest, GetDel) {
  EXPECT_EQ(Run({"GETDEL", "k"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETDEL", "k"}), "v");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"GETDEL", "k"}), "(nil)");
}

TEST_F(StringFamilyTest, GetEx) {
  EXPECT_EQ(Run({"GETEX", "k"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k"}), "v");
  EXPECT_EQ(ExpireOf("k"), Db::kNoExpire);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10"}), "v");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 10000);
  EXPECT_EQ(Run({"GETEX", "k", "PX", "10", "PX", "20"}), "v");
  EXPECT_EQ(ExpireOf("k"), NowMs() + 20);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST"}), "v");
  EXPECT_EQ(ExpireOf("k"), Db::kNoExpire);
  const int64_t at_ms = NowMs() + 300;
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", absl::StrCat(at_ms)}), "v");
  EXPECT_EQ(ExpireOf("k"), at_ms);
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", absl::StrCat(NowMs() / 1000 + 9)}), "v");
  EXPECT_EQ(ExpireOf("k"), (NowMs() / 1000 + 9) * 1000);
  // A passed absolute time deletes the key after replying.
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "1"}), "v");
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  // Errors: options first, then the key, then the expiry value.
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "EX", "10"}), kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PERSIST"}), kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "NX"}), kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "KEEPTTL"}), kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "GET"}), kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "EX"}), kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "0"}),
            "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Run({"GETEX", "nokey", "EX", "0"}), "(nil)");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "x"}), kNotInt);
}

TEST_F(StringFamilyTest, StrLen) {
  EXPECT_EQ(Run({"STRLEN", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "hello"}), "OK");
  EXPECT_EQ(Run({"STRLEN", "k"}), "(integer) 5");
  EXPECT_EQ(Run({"INCRBY", "n", "-12345"}), "(integer) -12345");
  EXPECT_EQ(Run({"STRLEN", "n"}), "(integer) 6");
}

TEST_F(StringFamilyTest, MGetMSet) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "a", "3"}), "OK");
  EXPECT_EQ(Run({"MGET", "a", "b", "c", "a"}), "[3, 2, (nil), 3]");
  EXPECT_EQ(Run({"MGET", "c"}), "[(nil)]");
  // MSET clears TTLs and replaces any type.
  EXPECT_EQ(Run({"SET", "t", "v", "EX", "10"}), "OK");
  PlantList("l");
  EXPECT_EQ(Run({"MSET", "t", "x", "l", "y"}), "OK");
  EXPECT_EQ(ExpireOf("t"), Db::kNoExpire);
  EXPECT_EQ(Run({"MGET", "t", "l"}), "[x, y]");
}

TEST_F(StringFamilyTest, MSetNx) {
  EXPECT_EQ(Run({"MSETNX", "a", "1", "b", "2"}), "(integer) 1");
  EXPECT_EQ(Run({"MSETNX", "b", "9", "c", "3"}), "(integer) 0");
  EXPECT_EQ(Run({"MGET", "a", "b", "c"}), "[1, 2, (nil)]");
  PlantList("l");
  EXPECT_EQ(Run({"MSETNX", "l", "9", "d", "4"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "d"}), "(integer) 0");
  // Duplicates within one MSETNX: the last wins.
  EXPECT_EQ(Run({"MSETNX", "e", "1", "e", "2"}), "(integer) 1");
  EXPECT_EQ(Run({"GET", "e"}), "2");
  EXPECT_EQ(Run({"SET", "t", "v", "PX", "5"}), "OK");
  Advance(5);
  EXPECT_EQ(Run({"MSETNX", "t", "new"}), "(integer) 1");
}

TEST_F(StringFamilyTest, Append) {
  EXPECT_EQ(Run({"APPEND", "k", "Hello"}), "(integer) 5");
  EXPECT_EQ(Run({"APPEND", "k", " World"}), "(integer) 11");
  EXPECT_EQ(Run({"GET", "k"}), "Hello World");
  // Appending nothing to a missing key still creates it.
  EXPECT_EQ(Run({"APPEND", "e", ""}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "e"}), "(integer) 1");
  // APPEND keeps the TTL, and an expired key starts over.
  EXPECT_EQ(Run({"SET", "t", "a", "PX", "100"}), "OK");
  const int64_t expire = ExpireOf("t");
  EXPECT_EQ(Run({"APPEND", "t", "b"}), "(integer) 2");
  EXPECT_EQ(ExpireOf("t"), expire);
  Advance(100);
  EXPECT_EQ(Run({"APPEND", "t", "c"}), "(integer) 1");
  EXPECT_EQ(ExpireOf("t"), Db::kNoExpire);
  // Many appends (the buffer grows geometrically).
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = absl::StrCat(i, ",");
    expected += piece;
    EXPECT_EQ(Run({"APPEND", "big", piece}),
              absl::StrCat("(integer) ", expected.size()));
  }
  EXPECT_EQ(Run({"GET", "big"}), expected);
}

class SmallBulkLenTest : public StringFamilyTest {
 protected:
  static Config Small() {
    Config config;
    config.proto_max_bulk_len = 10;
    return config;
  }
  SmallBulkLenTest() : StringFamilyTest(Small()) {}
};

TEST_F(SmallBulkLenTest, AppendAndSetRangeLimit) {
  const std::string err =
      "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  EXPECT_EQ(Run({"SET", "k", "12345"}), "OK");
  EXPECT_EQ(Run({"APPEND", "k", "67890"}), "(integer) 10");
  EXPECT_EQ(Run({"APPEND", "k", "x"}), err);
  EXPECT_EQ(Run({"GET", "k"}), "1234567890");
  EXPECT_EQ(Run({"SETRANGE", "k", "9", "x"}), "(integer) 10");
  EXPECT_EQ(Run({"SETRANGE", "k", "9", "xy"}), err);
  EXPECT_EQ(Run({"SETRANGE", "n", "10", "x"}), err);
  EXPECT_EQ(Run({"EXISTS", "n"}), "(integer) 0");
  EXPECT_EQ(Run({"SETRANGE", "n", "9223372036854775807", "x"}), err);
  // Setting nothing never errs on length.
  EXPECT_EQ(Run({"SETRANGE", "n", "100", ""}), "(integer) 0");
  EXPECT_EQ(Run({"SETRANGE", "k", "100", ""}), "(integer) 10");
  EXPECT_EQ(Run({"SETRANGE", "n", "8", "ab"}), "(integer) 10");
}

// --- Counters ---

TEST_F(StringFamilyTest, IncrDecr) {
  EXPECT_EQ(Run({"INCR", "n"}), "(integer) 1");
  EXPECT_EQ(Run({"INCR", "n"}), "(integer) 2");
  EXPECT_EQ(Run({"DECR", "n"}), "(integer) 1");
  EXPECT_EQ(Run({"DECR", "m"}), "(integer) -1");
  EXPECT_EQ(Run({"INCRBY", "n", "100"}), "(integer) 101");
  EXPECT_EQ(Run({"INCRBY", "n", "-200"}), "(integer) -99");
  EXPECT_EQ(Run({"DECRBY", "n", "-99"}), "(integer) 0");
  EXPECT_EQ(Run({"DECRBY", "n", "5"}), "(integer) -5");
  EXPECT_EQ(Run({"GET", "n"}), "-5");
  EXPECT_EQ(Run({"INCRBY", "x", "0"}), "(integer) 0");
  EXPECT_EQ(Run({"GET", "x"}), "0");
}

TEST_F(StringFamilyTest, IncrParsesLikeRedis) {
  for (const char* bad : {"", " 1", "1 ", "+1", "01", "-0", "-", "1.0", "0x10",
                          "1e3", "9223372036854775808", "-9223372036854775809",
                          "abc", "12345678901234567890"}) {
    EXPECT_EQ(Run({"SET", "k", bad}), "OK");
    EXPECT_EQ(Run({"INCR", "k"}), kNotInt) << "value '" << bad << "'";
    EXPECT_EQ(Run({"INCRBY", "n", bad}), kNotInt)
        << "increment '" << bad << "'";
  }
  EXPECT_EQ(Run({"EXISTS", "n"}), "(integer) 0");
  EXPECT_EQ(Run({"SET", "k", "9223372036854775806"}), "OK");
  EXPECT_EQ(Run({"INCR", "k"}), "(integer) 9223372036854775807");
  EXPECT_EQ(Run({"SET", "k", "-9223372036854775807"}), "OK");
  EXPECT_EQ(Run({"DECR", "k"}), "(integer) -9223372036854775808");
  EXPECT_EQ(Run({"SET", "k", "0"}), "OK");
  EXPECT_EQ(Run({"INCRBY", "k", "-9223372036854775808"}),
            "(integer) -9223372036854775808");
  EXPECT_EQ(Run({"SET", "k", std::string(22, '1')}), "OK");
  EXPECT_EQ(Run({"INCR", "k"}), kNotInt);
}

TEST_F(StringFamilyTest, IncrOverflow) {
  const std::string err = "(error) ERR increment or decrement would overflow";
  EXPECT_EQ(Run({"SET", "k", "9223372036854775807"}), "OK");
  EXPECT_EQ(Run({"INCR", "k"}), err);
  EXPECT_EQ(Run({"INCRBY", "k", "9223372036854775807"}), err);
  EXPECT_EQ(Run({"DECRBY", "k", "-1"}), err);
  EXPECT_EQ(Run({"GET", "k"}), "9223372036854775807");
  EXPECT_EQ(Run({"SET", "k", "-9223372036854775808"}), "OK");
  EXPECT_EQ(Run({"DECR", "k"}), err);
  EXPECT_EQ(Run({"INCRBY", "k", "-1"}), err);
  EXPECT_EQ(Run({"INCRBY", "k", "9223372036854775807"}), "(integer) -1");
  // DECRBY cannot negate the smallest integer.
  EXPECT_EQ(Run({"SET", "k", "5"}), "OK");
  EXPECT_EQ(Run({"DECRBY", "k", "-9223372036854775808"}),
            "(error) ERR decrement would overflow");
  EXPECT_EQ(Run({"DECRBY", "nokey", "-9223372036854775808"}),
            "(error) ERR decrement would overflow");
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "(integer) 0");
}

TEST_F(StringFamilyTest, IncrKeepsTtl) {
  EXPECT_EQ(Run({"SET", "k", "1", "EX", "100"}), "OK");
  const int64_t expire = ExpireOf("k");
  EXPECT_EQ(Run({"INCR", "k"}), "(integer) 2");
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "0.5"}), "2.5");
  EXPECT_EQ(ExpireOf("k"), expire);
  EXPECT_EQ(Run({"SET", "t", "7", "PX", "3"}), "OK");
  Advance(3);
  EXPECT_EQ(Run({"INCR", "t"}), "(integer) 1");
  EXPECT_EQ(ExpireOf("t"), Db::kNoExpire);
}

TEST_F(StringFamilyTest, IncrByFloatFormatsLikeRedis) {
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "3"}), "3");
  EXPECT_EQ(Run({"GET", "f"}), "3");
  EXPECT_EQ(Run({"SET", "f", "10.50"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), "10.6");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-5.0e3"}), "-4989.39999999999999991");
  EXPECT_EQ(Run({"GET", "f"}), "-4989.39999999999999991");
  EXPECT_EQ(Run({"SET", "f", "5.0e3"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "2.0e2"}), "5200");
  EXPECT_EQ(Run({"SET", "f", "0.1"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.2"}), "0.3");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1.23456789012345678"}),
            "1.53456789012345678");
  EXPECT_EQ(Run({"SET", "f", "1"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-1.5"}), "-0.5");
  EXPECT_EQ(Run({"SET", "f", "-1"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1"}), "0");
  EXPECT_EQ(Run({"SET", "f", "-0.0"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-0.0"}), "0");  // never "-0"
  EXPECT_EQ(Run({"SET", "f", "1.5"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0x10"}), "17.5");  // strtold hex
  // A subnormal long double parses (ERANGE, but not zero).
  EXPECT_EQ(Run({"SET", "f", "1e-4940"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0"}), "0");
  // Huge values print all their digits.
  EXPECT_EQ(Run({"SET", "f", "0"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1e308"}),
            "9999999999999999999668587965584564566056009984741556720779704799"
            "4921734868838061872100126921888539320446747225054013223152134749"
            "5939605835974208144301964187679591000196031907786631096045071066"
            "6793915339578893891456054356306126836490161863021708658925344488"
            "1623791300855757318142424510452728255046343928578048");
}

TEST_F(StringFamilyTest, IncrByFloatErrors) {
  EXPECT_EQ(Run({"SET", "f", "1.5"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-inf"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"GET", "f"}), "1.5");
  for (const char* bad :
       {"", " 1", "1 ", "abc", "nan", "1e5000", "1e-5000", "1.0x", "--1"}) {
    EXPECT_EQ(Run({"INCRBYFLOAT", "f", bad}), kNotFloat) << "'" << bad << "'";
    EXPECT_EQ(Run({"SET", "g", bad}), "OK");
    EXPECT_EQ(Run({"INCRBYFLOAT", "g", "1"}), kNotFloat) << "'" << bad << "'";
  }
  EXPECT_EQ(Run({"INCRBYFLOAT", "nokey", "x"}), kNotFloat);
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "(integer) 0");
  // A long double overflows to infinity only past ~1.19e4932.
  EXPECT_EQ(Run({"SET", "f", "1e4932"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1e4932"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", std::string(5200, '1')}), kNotFloat);
}

// --- Ranges ---

TEST_F(StringFamilyTest, GetRange) {
  EXPECT_EQ(Run({"SET", "s", "Hello World"}), "OK");
  struct {
    const char* start;
    const char* end;
    const char* reply;
  } cases[] = {
      {"0", "4", "Hello"},
      {"-5", "-1", "World"},
      {"5", "3", ""},
      {"-1", "-5", ""},
      {"0", "-100", "H"},
      {"-100", "3", "Hell"},
      {"3", "100", "lo World"},
      {"11", "20", ""},
      {"10", "10", "d"},
      {"-1", "0", ""},
      {"0", "-1", "Hello World"},
      {"-9223372036854775808", "9223372036854775807", "Hello World"},
      {"9223372036854775807", "-9223372036854775808", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Run({"GETRANGE", "s", c.start, c.end}), c.reply)
        << c.start << " " << c.end;
    EXPECT_EQ(Run({"SUBSTR", "s", c.start, c.end}), c.reply);
  }
  EXPECT_EQ(Run({"GETRANGE", "nokey", "0", "-1"}), "");
  EXPECT_EQ(h_.RunRaw({"GETRANGE", "nokey", "0", "-1"}), "$0\r\n\r\n");
  EXPECT_EQ(Run({"SET", "e", ""}), "OK");
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "-1"}), "");
  EXPECT_EQ(Run({"GETRANGE", "e", "-1", "-1"}), "");
  EXPECT_EQ(Run({"GETRANGE", "s", "a", "1"}), kNotInt);
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "1.0"}), kNotInt);
  EXPECT_EQ(Run({"GETRANGE", "nokey", "a", "1"}), kNotInt);
}

TEST_F(StringFamilyTest, SetRange) {
  EXPECT_EQ(Run({"SET", "k", "Hello World"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "k", "6", "Redis"}), "(integer) 11");
  EXPECT_EQ(Run({"GET", "k"}), "Hello Redis");
  EXPECT_EQ(Run({"SETRANGE", "k", "11", "!"}), "(integer) 12");
  EXPECT_EQ(Run({"GET", "k"}), "Hello Redis!");
  // Padding with zero bytes, on a new key and past the end.
  EXPECT_EQ(Run({"SETRANGE", "pad", "3", "ab"}), "(integer) 5");
  EXPECT_EQ(Run({"GET", "pad"}), std::string("\0\0\0ab", 5));
  EXPECT_EQ(Run({"SETRANGE", "pad", "7", "c"}), "(integer) 8");
  EXPECT_EQ(Run({"GET", "pad"}), std::string("\0\0\0ab\0\0c", 8));
  // Setting nothing: a missing key stays missing; the length otherwise.
  EXPECT_EQ(Run({"SETRANGE", "n", "5", ""}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "n"}), "(integer) 0");
  EXPECT_EQ(Run({"SETRANGE", "k", "0", ""}), "(integer) 12");
  EXPECT_EQ(Run({"SETRANGE", "k", "-1", "x"}),
            "(error) ERR offset is out of range");
  EXPECT_EQ(Run({"SETRANGE", "k", "a", "x"}), kNotInt);
  EXPECT_EQ(Run({"SETRANGE", "k", "9223372036854775807", "xy"}),
            "(error) ERR string exceeds maximum allowed size "
            "(proto-max-bulk-len)");
  EXPECT_EQ(Run({"SETRANGE", "k", "536870912", "x"}),
            "(error) ERR string exceeds maximum allowed size "
            "(proto-max-bulk-len)");
  // SETRANGE keeps the TTL.
  EXPECT_EQ(Run({"SET", "t", "abc", "EX", "9"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "t", "1", "X"}), "(integer) 3");
  EXPECT_EQ(ExpireOf("t"), NowMs() + 9000);
  EXPECT_EQ(Run({"GET", "t"}), "aXc");
}

// --- Bookkeeping ---

TEST_F(StringFamilyTest, KeyspaceHitsAndMisses) {
  EngineStats& stats = h_.engine().stats();
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"GET", "x"}), "(nil)");
  EXPECT_EQ(Run({"MGET", "k", "x", "y"}), "[v, (nil), (nil)]");
  EXPECT_EQ(stats.keyspace_hits, 2u);
  EXPECT_EQ(stats.keyspace_misses, 3u);
  // Writes do not count.
  EXPECT_EQ(Run({"INCR", "n"}), "(integer) 1");
  EXPECT_EQ(Run({"APPEND", "k", "x"}), "(integer) 2");
  EXPECT_EQ(stats.keyspace_hits, 2u);
  EXPECT_EQ(stats.keyspace_misses, 3u);
}

TEST_F(StringFamilyTest, CommandRowsMatchRedis) {
  const CommandSpec& get = Spec("get");
  EXPECT_EQ(get.arity, 2);
  EXPECT_EQ(get.flags, kCmdReadOnly | kCmdFast);
  EXPECT_EQ(get.group, "string");
  EXPECT_EQ(get.acl_categories,
            (std::vector<std::string>{"@read", "@string", "@fast"}));
  const CommandSpec& set = Spec("SET");
  EXPECT_EQ(set.arity, -3);
  EXPECT_EQ(set.flags, kCmdWrite | kCmdDenyOom);
  EXPECT_EQ(set.acl_categories,
            (std::vector<std::string>{"@write", "@string", "@slow"}));
  const CommandSpec& mset = Spec("mset");
  EXPECT_EQ(mset.first_key, 1);
  EXPECT_EQ(mset.last_key, -1);
  EXPECT_EQ(mset.key_step, 2);
  std::vector<absl::string_view> args = {"MSET", "a", "1", "b", "2"};
  EXPECT_EQ(CommandKeyPositions(mset, args), (std::vector<int>{1, 3}));
  EXPECT_EQ(Spec("getdel").flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(Spec("getrange").flags, kCmdReadOnly);
  EXPECT_EQ(Spec("mget").last_key, -1);
  EXPECT_EQ(Spec("incrbyfloat").since, "2.6.0");
  for (const char* name :
       {"get",      "set",    "setnx",   "setex",  "psetex", "getset",
        "getdel",   "getex",  "strlen",  "mget",   "mset",   "msetnx",
        "append",   "incr",   "decr",    "incrby", "decrby", "incrbyfloat",
        "getrange", "substr", "setrange"}) {
    const CommandSpec& spec = Spec(name);
    EXPECT_FALSE(spec.summary.empty()) << name;
    EXPECT_FALSE(spec.complexity.empty()) << name;
    EXPECT_EQ(spec.group, "string") << name;
    EXPECT_EQ(spec.first_key, 1) << name;
    EXPECT_NE(spec.flags & (kCmdWrite | kCmdReadOnly), 0u) << name;
  }
}

// --- State machine against a std::map model ---

// The model: what each key holds (no TTLs: the commands here set none).
using Model = std::map<std::string, std::string>;

const std::vector<std::string>& ModelKeys() {
  static const auto* const kKeys = new std::vector<std::string>{"a", "b", "c"};
  return *kKeys;
}

rc::Gen<std::string> GenKey() { return rc::gen::elementOf(ModelKeys()); }

rc::Gen<std::string> GenValue() {
  return rc::gen::oneOf(
      rc::gen::elementOf(std::vector<std::string>{
          "", "0", "7", "-3", "12", "abc", "9223372036854775807",
          "-9223372036854775808", "01", std::string("a\0b", 3)}),
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("xyz1"))));
}

// A string2ll written independently: the canonical decimal form.
std::optional<int64_t> ModelInt(const std::string& s) {
  int64_t v;
  if (!absl::SimpleAtoi(s, &v) || absl::StrCat(v) != s) return std::nullopt;
  return v;
}

std::string Bulk(const Model& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? "(nil)" : it->second;
}

struct SetCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string value = *GenValue();
  void apply(Model& m) const override { m[key] = value; }
  void run(const Model&, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"SET", key, value}) == "OK");
  }
  void show(std::ostream& os) const override {
    os << "SET " << key << " '" << value << "'";
  }
};

struct GetCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"GET", key}) == Bulk(m, key));
  }
  void show(std::ostream& os) const override { os << "GET " << key; }
};

struct DelCmd : rc::state::Command<Model, EngineHarness> {
  std::vector<std::string> keys = *rc::gen::container<std::vector<std::string>>(
      *rc::gen::inRange<size_t>(1, 4), GenKey());
  void apply(Model& m) const override {
    for (const auto& k : keys) m.erase(k);
  }
  void run(const Model& m, EngineHarness& h) const override {
    Model left = m;
    int deleted = 0;
    for (const auto& k : keys) deleted += left.erase(k);
    std::vector<std::string> args = {"DEL"};
    args.insert(args.end(), keys.begin(), keys.end());
    RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", deleted));
  }
  void show(std::ostream& os) const override {
    os << "DEL";
    for (const auto& k : keys) os << " " << k;
  }
};

struct ExistsCmd : rc::state::Command<Model, EngineHarness> {
  std::vector<std::string> keys = *rc::gen::container<std::vector<std::string>>(
      *rc::gen::inRange<size_t>(1, 4), GenKey());
  void run(const Model& m, EngineHarness& h) const override {
    int count = 0;
    for (const auto& k : keys) count += m.count(k);
    std::vector<std::string> args = {"EXISTS"};
    args.insert(args.end(), keys.begin(), keys.end());
    RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", count));
  }
  void show(std::ostream& os) const override {
    os << "EXISTS";
    for (const auto& k : keys) os << " " << k;
  }
};

struct AppendCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string value = *GenValue();
  void apply(Model& m) const override { m[key] += value; }
  void run(const Model& m, EngineHarness& h) const override {
    size_t len = (m.count(key) ? m.at(key).size() : 0) + value.size();
    RC_ASSERT(h.Run(std::vector<std::string>{"APPEND", key, value}) ==
              absl::StrCat("(integer) ", len));
  }
  void show(std::ostream& os) const override {
    os << "APPEND " << key << " '" << value << "'";
  }
};

struct IncrByCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t incr = *rc::gen::oneOf(rc::gen::inRange<int64_t>(-5, 6),
                                 rc::gen::elementOf(std::vector<int64_t>{
                                     std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min()}));
  // The new value, or nullopt if Redis refuses.
  std::optional<int64_t> Result(const Model& m) const {
    int64_t old = 0;
    if (m.count(key)) {
      std::optional<int64_t> parsed = ModelInt(m.at(key));
      if (!parsed) return std::nullopt;
      old = *parsed;
    }
    int64_t sum;
    if (__builtin_add_overflow(old, incr, &sum)) return std::nullopt;
    return sum;
  }
  void apply(Model& m) const override {
    if (auto r = Result(m)) m[key] = absl::StrCat(*r);
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::string reply =
        h.Run(std::vector<std::string>{"INCRBY", key, absl::StrCat(incr)});
    std::optional<int64_t> r = Result(m);
    if (r) {
      RC_ASSERT(reply == absl::StrCat("(integer) ", *r));
    } else {
      RC_ASSERT(reply.rfind("(error) ERR ", 0) == 0);
    }
  }
  void show(std::ostream& os) const override {
    os << "INCRBY " << key << " " << incr;
  }
};

struct StrLenCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  void run(const Model& m, EngineHarness& h) const override {
    size_t len = m.count(key) ? m.at(key).size() : 0;
    RC_ASSERT(h.Run(std::vector<std::string>{"STRLEN", key}) ==
              absl::StrCat("(integer) ", len));
  }
  void show(std::ostream& os) const override { os << "STRLEN " << key; }
};

struct GetRangeCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t start = *rc::gen::inRange<int64_t>(-12, 12);
  int64_t end = *rc::gen::inRange<int64_t>(-12, 12);
  void run(const Model& m, EngineHarness& h) const override {
    // The model: negative ends count from the end; both are clamped into
    // the string (so an end far before the start still leaves byte 0).
    std::string s = m.count(key) ? m.at(key) : "";
    int64_t n = static_cast<int64_t>(s.size());
    int64_t b = std::max<int64_t>(0, start < 0 ? n + start : start);
    int64_t e =
        end < 0 ? std::max<int64_t>(0, n + end) : std::min<int64_t>(end, n - 1);
    std::string expected;
    if (n > 0 && !(start < 0 && end < 0 && start > end)) {
      for (int64_t i = b; i <= e; ++i) expected += s[i];
    }
    RC_ASSERT(h.Run(std::vector<std::string>{
                  "GETRANGE", key, absl::StrCat(start), absl::StrCat(end)}) ==
              expected);
  }
  void show(std::ostream& os) const override {
    os << "GETRANGE " << key << " " << start << " " << end;
  }
};

struct SetRangeCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t offset = *rc::gen::inRange<int64_t>(0, 10);
  std::string value = *GenValue();
  void apply(Model& m) const override {
    if (value.empty()) return;
    std::string& s = m[key];
    const size_t need = static_cast<size_t>(offset) + value.size();
    if (s.size() < need) s.resize(need);
    s.replace(offset, value.size(), value);
  }
  void run(const Model& m, EngineHarness& h) const override {
    Model after = m;
    apply(after);
    size_t len = after.count(key) ? after.at(key).size() : 0;
    RC_ASSERT(h.Run(std::vector<std::string>{"SETRANGE", key,
                                             absl::StrCat(offset), value}) ==
              absl::StrCat("(integer) ", len));
  }
  void show(std::ostream& os) const override {
    os << "SETRANGE " << key << " " << offset << " '" << value << "'";
  }
};

struct MSetCmd : rc::state::Command<Model, EngineHarness> {
  std::vector<std::pair<std::string, std::string>> pairs =
      *rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
          *rc::gen::inRange<size_t>(1, 4), rc::gen::pair(GenKey(), GenValue()));
  void apply(Model& m) const override {
    for (const auto& [k, v] : pairs) m[k] = v;
  }
  void run(const Model&, EngineHarness& h) const override {
    std::vector<std::string> args = {"MSET"};
    for (const auto& [k, v] : pairs) {
      args.push_back(k);
      args.push_back(v);
    }
    RC_ASSERT(h.Run(args) == "OK");
  }
  void show(std::ostream& os) const override {
    os << "MSET";
    for (const auto& [k, v] : pairs) os << " " << k << " '" << v << "'";
  }
};

struct MGetCmd : rc::state::Command<Model, EngineHarness> {
  std::vector<std::string> keys = *rc::gen::container<std::vector<std::string>>(
      *rc::gen::inRange<size_t>(1, 4), GenKey());
  void run(const Model& m, EngineHarness& h) const override {
    std::vector<std::string> args = {"MGET"};
    std::string expected = "[";
    for (size_t i = 0; i < keys.size(); ++i) {
      args.push_back(keys[i]);
      absl::StrAppend(&expected, i ? ", " : "", Bulk(m, keys[i]));
    }
    expected += "]";
    RC_ASSERT(h.Run(args) == expected);
  }
  void show(std::ostream& os) const override {
    os << "MGET";
    for (const auto& k : keys) os << " " << k;
  }
};

struct RenameCmd : rc::state::Command<Model, EngineHarness> {
  std::string from = *GenKey();
  std::string to = *GenKey();
  void apply(Model& m) const override {
    auto it = m.find(from);
    if (it == m.end()) return;
    std::string v = it->second;
    m.erase(it);
    m[to] = v;
  }
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"RENAME", from, to}) ==
              (m.count(from) ? "OK" : "(error) ERR no such key"));
  }
  void show(std::ostream& os) const override {
    os << "RENAME " << from << " " << to;
  }
};

RC_GTEST_PROP(StringStateMachine, AgreesWithMapModel, ()) {
  Model model;
  EngineHarness h(Register);
  rc::state::check(
      model, h,
      rc::state::gen::execOneOfWithArgs<
          SetCmd, GetCmd, DelCmd, ExistsCmd, AppendCmd, IncrByCmd, StrLenCmd,
          GetRangeCmd, SetRangeCmd, MSetCmd, MGetCmd, RenameCmd>());
}

}  // namespace
}  // namespace twinkv
