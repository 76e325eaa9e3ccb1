// Tests of the hash commands through the dispatcher, read like the protocol.
// Expected replies were checked against redis-server 7.0.15. Ends with
// HSCAN's guarantee as a property and a RapidCheck state-machine test
// against a std::map<std::string, std::map> model. RapidCheck prints its
// seed on failure; RC_PARAMS="seed=N" replays it.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/hash_object.h"
#include "core/resp/reply.h"
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
constexpr char kSyntax[] = "(error) ERR syntax error";

void Register(CommandTable& t) {
  RegisterHashFamily(t);
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

class HashFamilyTest : public ::testing::Test {
 protected:
  HashFamilyTest() : h_(Register) {}
  std::string Run(std::initializer_list<absl::string_view> args) {
    return h_.Run(args);
  }
  std::string Run(const std::vector<std::string>& args) { return h_.Run(args); }
  std::string RunRaw(std::vector<absl::string_view> args) {
    return h_.RunRaw(args);
  }
  const CommandSpec& Spec(absl::string_view name) {
    const CommandSpec* spec = h_.engine().commands().Find(name);
    EXPECT_NE(spec, nullptr) << name;
    return *spec;
  }
  HashObject* Hash(absl::string_view key) {
    Value* v = h_.engine().keyspace().db(0).Find(key, h_.engine().NowMs());
    if (v == nullptr || v->type() != ValueType::kHash) return nullptr;
    return v->object_as<HashObject>();
  }
  EngineHarness h_;
};

TEST_F(HashFamilyTest, SetGetBasics) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), "(integer) 2");
  EXPECT_EQ(Run({"HSET", "h", "a", "9", "c", "3"}), "(integer) 1");
  EXPECT_EQ(Run({"HGET", "h", "a"}), "9");
  EXPECT_EQ(Run({"HGET", "h", "zz"}), "(nil)");
  EXPECT_EQ(Run({"HGET", "nokey", "a"}), "(nil)");
  EXPECT_EQ(Run({"TYPE", "h"}), "hash");
  EXPECT_EQ(Run({"HMSET", "h", "d", "4"}), "OK");
  EXPECT_EQ(Run({"HLEN", "h"}), "(integer) 4");
  EXPECT_EQ(Run({"HLEN", "nokey"}), "(integer) 0");
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Run({"HMSET", "h", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(Run({"HSET", "h", "a"}),
            "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Run({"HMGET", "h", "a", "zz", "d"}), "[9, (nil), 4]");
  EXPECT_EQ(Run({"HMGET", "nokey", "a", "b"}), "[(nil), (nil)]");
  EXPECT_EQ(Run({"HSET", "e", "", ""}), "(integer) 1");
  EXPECT_EQ(Run({"HGET", "e", ""}), "");
}

TEST_F(HashFamilyTest, SetNxExistsStrLen) {
  EXPECT_EQ(Run({"HSETNX", "h", "a", "1"}), "(integer) 1");
  EXPECT_EQ(Run({"HSETNX", "h", "a", "2"}), "(integer) 0");
  EXPECT_EQ(Run({"HGET", "h", "a"}), "1");
  EXPECT_EQ(Run({"HEXISTS", "h", "a"}), "(integer) 1");
  EXPECT_EQ(Run({"HEXISTS", "h", "b"}), "(integer) 0");
  EXPECT_EQ(Run({"HEXISTS", "nokey", "b"}), "(integer) 0");
  Run({"HSET", "h", "s", "hello"});
  EXPECT_EQ(Run({"HSTRLEN", "h", "s"}), "(integer) 5");
  EXPECT_EQ(Run({"HSTRLEN", "h", "zz"}), "(integer) 0");
  EXPECT_EQ(Run({"HSTRLEN", "nokey", "zz"}), "(integer) 0");
}

TEST_F(HashFamilyTest, DelDeletesEmptyHash) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"HDEL", "h", "a", "a", "zz"}), "(integer) 1");
  EXPECT_EQ(Run({"HDEL", "h", "b"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "h"}), "(integer) 0");
  EXPECT_EQ(Run({"HDEL", "h", "b"}), "(integer) 0");
}

TEST_F(HashFamilyTest, GetAllKeysVals) {
  EXPECT_EQ(Run({"HGETALL", "h"}), "[]");
  EXPECT_EQ(Run({"HKEYS", "h"}), "[]");
  Run({"HSET", "h", "a", "1", "b", "2"});
  // A listpack keeps insertion order.
  EXPECT_EQ(Run({"HGETALL", "h"}), "[a, 1, b, 2]");
  EXPECT_EQ(Run({"HKEYS", "h"}), "[a, b]");
  EXPECT_EQ(Run({"HVALS", "h"}), "[1, 2]");
  EXPECT_EQ(RunRaw({"HGETALL", "h"}),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  h_.client().protocol = 3;
  EXPECT_EQ(RunRaw({"HGETALL", "h"}),
            "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"HGETALL", "nokey"}), "%0\r\n");
  EXPECT_EQ(RunRaw({"HKEYS", "h"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST_F(HashFamilyTest, IncrBy) {
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "5"}), "(integer) 5");
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "-7"}), "(integer) -2");
  EXPECT_EQ(Run({"HGET", "h", "n"}), "-2");
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "x"}), kNotInt);
  EXPECT_EQ(Run({"HINCRBY", "nokey", "n", "x"}), kNotInt);
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "(integer) 0");
  Run({"HSET", "h", "f", "foo", "e", "", "sp", " 1", "big",
       "9223372036854775807", "neg", "-9223372036854775808"});
  const char kHashNotInt[] = "(error) ERR hash value is not an integer";
  EXPECT_EQ(Run({"HINCRBY", "h", "f", "1"}), kHashNotInt);
  EXPECT_EQ(Run({"HINCRBY", "h", "e", "1"}), kHashNotInt);
  EXPECT_EQ(Run({"HINCRBY", "h", "sp", "1"}), kHashNotInt);
  const char kOverflow[] = "(error) ERR increment or decrement would overflow";
  EXPECT_EQ(Run({"HINCRBY", "h", "big", "1"}), kOverflow);
  EXPECT_EQ(Run({"HINCRBY", "h", "neg", "-1"}), kOverflow);
  EXPECT_EQ(Run({"HINCRBY", "h", "big", "-1"}),
            "(integer) 9223372036854775806");
  EXPECT_EQ(Run({"HINCRBY", "h", "neg", "9223372036854775807"}),
            "(integer) -1");
}

TEST_F(HashFamilyTest, IncrByFloat) {
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "x", "2.0e1"}), "20");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "x", "0.5"}), "20.5");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "x", "-20.5"}), "0");
  Run({"HSET", "h", "i", "3", "f", "foo", "e", ""});
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "i", "1.5"}), "4.5");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "1"}),
            "(error) ERR hash value is not a float");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "e", "1"}),
            "(error) ERR hash value is not a float");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "i", "x"}),
            "(error) ERR value is not a valid float");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "i", "inf"}),
            "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "i", "-inf"}),
            "(error) ERR value is NaN or Infinity");
  // 1e4932 is finite as a long double; twice it is not.
  Run({"HSET", "h", "huge", "1e4932"});
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "huge", "1e4932"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "nokey", "i", "inf"}),
            "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "(integer) 0");
}

TEST_F(HashFamilyTest, EncodingConversion) {
  Run({"HSET", "h", "a", "1"});
  ASSERT_NE(Hash("h"), nullptr);
  EXPECT_EQ(Hash("h")->Encoding(), "listpack");
  // A value over 64 bytes converts.
  Run({"HSET", "h", "long", std::string(65, 'v')});
  EXPECT_EQ(Hash("h")->Encoding(), "hashtable");
  EXPECT_EQ(Run({"HGET", "h", "a"}), "1");
  // So does a field over 64 bytes, and a 513th field.
  Run({"HSET", "h2", std::string(65, 'f'), "1"});
  EXPECT_EQ(Hash("h2")->Encoding(), "hashtable");
  for (int i = 0; i < 512; ++i) {
    Run(std::vector<std::string>{"HSET", "h3", absl::StrCat("f", i), "v"});
  }
  EXPECT_EQ(Hash("h3")->Encoding(), "listpack");
  Run({"HSET", "h3", "one-more", "v"});
  EXPECT_EQ(Hash("h3")->Encoding(), "hashtable");
  EXPECT_EQ(Run({"HLEN", "h3"}), "(integer) 513");
  EXPECT_EQ(Run({"HGET", "h3", "f77"}), "v");
  // HINCRBYFLOAT producing a long value converts too.
  Run({"HSET", "h4", "x", "1.5"});
  Run({"HINCRBYFLOAT", "h4", "x", "1e100"});
  EXPECT_EQ(Hash("h4")->Encoding(), "hashtable");
  // A deep copy.
  std::unique_ptr<ValueObject> copy = Hash("h3")->Clone();
  auto* h3 = static_cast<HashObject*>(copy.get());
  EXPECT_EQ(h3->size(), 513u);
  h3->Erase("f1");
  EXPECT_EQ(Run({"HEXISTS", "h3", "f1"}), "(integer) 1");
}

TEST_F(HashFamilyTest, RandField) {
  EXPECT_EQ(Run({"HRANDFIELD", "nokey"}), "(nil)");
  EXPECT_EQ(Run({"HRANDFIELD", "nokey", "2"}), "[]");
  EXPECT_EQ(Run({"HRANDFIELD", "nokey", "-2", "WITHVALUES"}), "[]");
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  const std::set<std::string> fields = {"a", "b", "c"};
  EXPECT_TRUE(fields.count(Run({"HRANDFIELD", "h"})));
  EXPECT_EQ(Run({"HRANDFIELD", "h", "0"}), "[]");
  // Positive: distinct, at most the size.
  for (int count : {1, 2, 3, 10}) {
    Reply r = h_.RunReply({"HRANDFIELD", "h", absl::StrCat(count)});
    ASSERT_EQ(r.type, Reply::Type::kArray);
    std::set<std::string> seen;
    for (const Reply& e : r.elements) {
      EXPECT_TRUE(fields.count(e.str)) << e.str;
      seen.insert(e.str);
    }
    EXPECT_EQ(r.elements.size(), std::min(count, 3));
    EXPECT_EQ(seen.size(), r.elements.size());
  }
  // Negative: exactly |count|, repeats allowed.
  Reply r = h_.RunReply({"HRANDFIELD", "h", "-20"});
  ASSERT_EQ(r.elements.size(), 20u);
  std::set<std::string> seen;
  for (const Reply& e : r.elements) seen.insert(e.str);
  EXPECT_EQ(seen, fields);  // 20 uniform picks out of 3 miss one w.p. ~3e-4
  // WITHVALUES: pairs that belong together, flat in RESP2.
  r = h_.RunReply({"HRANDFIELD", "h", "-5", "withvalues"});
  ASSERT_EQ(r.elements.size(), 10u);
  for (size_t i = 0; i < 10; i += 2) {
    EXPECT_EQ(r.elements[i + 1].str,
              std::string(1, '1' + (r.elements[i].str[0] - 'a')));
  }
  r = h_.RunReply({"HRANDFIELD", "h", "2", "WITHVALUES"});
  EXPECT_EQ(r.elements.size(), 4u);
  // RESP3 nests each pair.
  h_.client().protocol = 3;
  r = h_.RunReply({"HRANDFIELD", "h", "2", "WITHVALUES"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].elements.size(), 2u);
  h_.client().protocol = 2;
  // Errors.
  EXPECT_EQ(Run({"HRANDFIELD", "h", "x"}), kNotInt);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "2", "foo"}), kSyntax);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-2", "withvalues", "x"}), kSyntax);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between "
            "-9223372036854775807 and 9223372036854775807");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-4611686018427387904", "withvalues"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "4611686018427387904", "withvalues"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "9223372036854775807"}).size(),
            Run({"HKEYS", "h"}).size());
}

TEST_F(HashFamilyTest, RandFieldOnHashtableIsDistinct) {
  for (int i = 0; i < 600; ++i) {
    Run(std::vector<std::string>{"HSET", "h", absl::StrCat("f", i), "v"});
  }
  Reply r = h_.RunReply({"HRANDFIELD", "h", "300"});
  std::set<std::string> seen;
  for (const Reply& e : r.elements) seen.insert(e.str);
  EXPECT_EQ(seen.size(), 300u);
  r = h_.RunReply({"HRANDFIELD", "h", "-1000"});
  EXPECT_EQ(r.elements.size(), 1000u);
}

TEST_F(HashFamilyTest, ScanSmallAndErrors) {
  EXPECT_EQ(Run({"HSCAN", "nokey", "0"}), "[0, []]");
  EXPECT_EQ(Run({"HSCAN", "nokey", "0", "COUNT", "0"}), "[0, []]");
  Run({"HSET", "h", "a", "1", "b", "2", "ab", "3"});
  EXPECT_EQ(Run({"HSCAN", "h", "0"}), "[0, [a, 1, b, 2, ab, 3]]");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "a*"}), "[0, [a, 1, ab, 3]]");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "*", "COUNT", "1"}),
            "[0, [a, 1, b, 2, ab, 3]]");
  EXPECT_EQ(Run({"HSCAN", "h", ""}), "[0, [a, 1, b, 2, ab, 3]]");
  EXPECT_EQ(Run({"HSCAN", "h", "+0"}), "[0, [a, 1, b, 2, ab, 3]]");
  EXPECT_EQ(Run({"HSCAN", "h", "-1"}), "[0, [a, 1, b, 2, ab, 3]]");
  EXPECT_EQ(Run({"HSCAN", "h", "18446744073709551615"}),
            "[0, [a, 1, b, 2, ab, 3]]");
  const char kCursor[] = "(error) ERR invalid cursor";
  EXPECT_EQ(Run({"HSCAN", "h", "x"}), kCursor);
  EXPECT_EQ(Run({"HSCAN", "h", "18446744073709551616"}), kCursor);
  EXPECT_EQ(Run({"HSCAN", "h", " 1"}), kCursor);
  EXPECT_EQ(Run({"HSCAN", "h", "-"}), kCursor);
  EXPECT_EQ(Run({"HSCAN", "nokey", "x"}), kCursor);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT", "-1"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT", "x"}), kNotInt);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "foo", "1"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "TYPE", "string"}), kSyntax);
}

// A full HSCAN of a hashtable returns every field that exists for the whole
// iteration at least once, also while fields are added and removed between
// calls (the table grows and shrinks).
RC_GTEST_PROP(HScanProperty, FullIterationSeesEveryStableField, ()) {
  EngineHarness h(Register);
  const int stable = *rc::gen::inRange(520, 900);
  for (int i = 0; i < stable; ++i) {
    h.Run(std::vector<std::string>{"HSET", "h", absl::StrCat("s", i), "v"});
  }
  const int count = *rc::gen::inRange(1, 50);
  std::set<std::string> seen;
  std::string cursor = "0";
  int churn = 0;
  int calls = 0;
  std::deque<std::string> transient;  // live transient fields, oldest first
  do {
    Reply r = h.RunReply({"HSCAN", "h", cursor, "COUNT", absl::StrCat(count)});
    RC_ASSERT(r.type == Reply::Type::kArray);
    RC_ASSERT(r.elements.size() == 2u);
    cursor = r.elements[0].str;
    for (size_t i = 0; i < r.elements[1].elements.size(); i += 2) {
      seen.insert(r.elements[1].elements[i].str);
    }
    // Grow or shrink the table with transient fields (at most ~2000 live,
    // so that the iteration ends).
    const bool grow = *rc::gen::arbitrary<bool>() && transient.size() < 2000;
    const int n = *rc::gen::inRange(0, 300);
    for (int i = 0; i < n; ++i) {
      if (grow) {
        transient.push_back(absl::StrCat("t", churn++));
        h.Run(std::vector<std::string>{"HSET", "h", transient.back(), "v"});
      } else if (!transient.empty()) {
        h.Run(std::vector<std::string>{"HDEL", "h", transient.front()});
        transient.pop_front();
      }
    }
    RC_ASSERT(++calls < 100000);
  } while (cursor != "0");
  for (int i = 0; i < stable; ++i) {
    RC_ASSERT(seen.count(absl::StrCat("s", i)) == 1u);
  }
}

TEST_F(HashFamilyTest, WrongTypeAgainstString) {
  Run({"SET", "s", "v"});
  for (std::vector<absl::string_view> args :
       std::vector<std::vector<absl::string_view>>{
           {"HSET", "s", "a", "1"},
           {"HSETNX", "s", "a", "1"},
           {"HGET", "s", "a"},
           {"HMSET", "s", "a", "1"},
           {"HMGET", "s", "a"},
           {"HDEL", "s", "a"},
           {"HLEN", "s"},
           {"HEXISTS", "s", "a"},
           {"HKEYS", "s"},
           {"HVALS", "s"},
           {"HGETALL", "s"},
           {"HINCRBY", "s", "a", "1"},
           {"HINCRBYFLOAT", "s", "a", "1"},
           {"HSTRLEN", "s", "a"},
           {"HRANDFIELD", "s"},
           {"HRANDFIELD", "s", "2"},
           {"HSCAN", "s", "0"}}) {
    EXPECT_EQ(RenderReply(h_.RunReply(args)), kWrongType) << args[0];
  }
  EXPECT_EQ(Run({"GET", "s"}), "v");
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"GET", "h"}), kWrongType);
}

TEST_F(HashFamilyTest, RowsMatchRedis) {
  EXPECT_EQ(Spec("hset").arity, -4);
  EXPECT_EQ(Spec("hset").flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_EQ(Spec("hdel").flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(Spec("hgetall").flags, kCmdReadOnly);
  EXPECT_EQ(Spec("hstrlen").since, "3.2.0");
  EXPECT_EQ(Spec("hrandfield").arity, -2);
  EXPECT_EQ(Spec("hscan").arity, -3);
  EXPECT_EQ(Spec("hget").acl_categories,
            std::vector<std::string>({"@read", "@hash", "@fast"}));
  EXPECT_EQ(Spec("hkeys").acl_categories,
            std::vector<std::string>({"@read", "@hash", "@slow"}));
  for (const char* name :
       {"hset", "hsetnx", "hget", "hmset", "hmget", "hdel", "hlen", "hexists",
        "hkeys", "hvals", "hgetall", "hincrby", "hincrbyfloat", "hstrlen",
        "hrandfield", "hscan"}) {
    const CommandSpec& spec = Spec(name);
    EXPECT_FALSE(spec.summary.empty()) << name;
    EXPECT_FALSE(spec.complexity.empty()) << name;
    EXPECT_EQ(spec.group, "hash") << name;
    EXPECT_EQ(spec.first_key, 1) << name;
    EXPECT_NE(spec.flags & (kCmdWrite | kCmdReadOnly), 0u) << name;
  }
}

// --- State machine against a std::map<key, std::map> model ---

using Model = std::map<std::string, std::map<std::string, std::string>>;

rc::Gen<std::string> GenKey() {
  return rc::gen::elementOf(std::vector<std::string>{"a", "b"});
}
rc::Gen<std::string> GenField() {
  return rc::gen::elementOf(std::vector<std::string>{"f", "g", "h", "", "i"});
}
rc::Gen<std::string> GenValue() {
  return rc::gen::oneOf(
      rc::gen::elementOf(std::vector<std::string>{"0", "7", "-3", "x", ""}),
      // Sometimes long enough to force the hashtable encoding.
      rc::gen::map(rc::gen::inRange(60, 70),
                   [](int n) { return std::string(n, 'v'); }));
}

std::string Bulk(const Model& m, const std::string& k, const std::string& f) {
  auto it = m.find(k);
  if (it == m.end()) return "(nil)";
  auto jt = it->second.find(f);
  return jt == it->second.end() ? "(nil)" : jt->second;
}

struct HSetCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::vector<std::pair<std::string, std::string>> pairs =
      *rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
          *rc::gen::inRange<size_t>(1, 4),
          rc::gen::pair(GenField(), GenValue()));
  void apply(Model& m) const override {
    for (const auto& [f, v] : pairs) m[key][f] = v;
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::vector<std::string> args = {"HSET", key};
    std::set<std::string> added;
    for (const auto& [f, v] : pairs) {
      args.push_back(f);
      args.push_back(v);
      if (!m.count(key) || !m.at(key).count(f)) added.insert(f);
    }
    RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", added.size()));
  }
  void show(std::ostream& os) const override {
    os << "HSET " << key;
    for (const auto& [f, v] : pairs) os << " '" << f << "' '" << v << "'";
  }
};

struct HGetCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string field = *GenField();
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"HGET", key, field}) ==
              Bulk(m, key, field));
  }
  void show(std::ostream& os) const override {
    os << "HGET " << key << " '" << field << "'";
  }
};

struct HDelCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::vector<std::string> fields =
      *rc::gen::container<std::vector<std::string>>(
          *rc::gen::inRange<size_t>(1, 4), GenField());
  size_t Apply(Model& m) const {
    auto it = m.find(key);
    if (it == m.end()) return 0;
    size_t n = 0;
    for (const auto& f : fields) n += it->second.erase(f);
    if (it->second.empty()) m.erase(it);
    return n;
  }
  void apply(Model& m) const override { Apply(m); }
  void run(const Model& m, EngineHarness& h) const override {
    Model copy = m;
    std::vector<std::string> args = {"HDEL", key};
    args.insert(args.end(), fields.begin(), fields.end());
    RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", Apply(copy)));
  }
  void show(std::ostream& os) const override {
    os << "HDEL " << key << " " << absl::StrJoin(fields, " ");
  }
};

struct HIncrByCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string field = *GenField();
  int64_t incr = *rc::gen::inRange<int64_t>(-5, 6);
  // The new value, or false if Redis refuses (non-integer value).
  bool Result(const Model& m, int64_t* out) const {
    std::string old = Bulk(m, key, field);
    int64_t v = 0;
    if (old != "(nil)" &&
        (!absl::SimpleAtoi(old, &v) || absl::StrCat(v) != old)) {
      return false;
    }
    *out = v + incr;
    return true;
  }
  void apply(Model& m) const override {
    int64_t v;
    if (Result(m, &v)) m[key][field] = absl::StrCat(v);
  }
  void run(const Model& m, EngineHarness& h) const override {
    int64_t v;
    std::string reply = h.Run(
        std::vector<std::string>{"HINCRBY", key, field, absl::StrCat(incr)});
    RC_ASSERT(reply == (Result(m, &v)
                            ? absl::StrCat("(integer) ", v)
                            : "(error) ERR hash value is not an integer"));
  }
  void show(std::ostream& os) const override {
    os << "HINCRBY " << key << " '" << field << "' " << incr;
  }
};

struct HGetAllCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  void run(const Model& m, EngineHarness& h) const override {
    Reply r = h.RunReply({"HGETALL", key});
    RC_ASSERT(r.type == Reply::Type::kArray);
    std::map<std::string, std::string> got;
    for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      got[r.elements[i].str] = r.elements[i + 1].str;
    }
    RC_ASSERT(got.size() * 2 == r.elements.size());
    auto it = m.find(key);
    RC_ASSERT(got == (it == m.end() ? std::map<std::string, std::string>()
                                    : it->second));
    RC_ASSERT(h.Run(std::vector<std::string>{"HLEN", key}) ==
              absl::StrCat("(integer) ", got.size()));
    RC_ASSERT(h.Run(std::vector<std::string>{"EXISTS", key}) ==
              absl::StrCat("(integer) ", it == m.end() ? 0 : 1));
  }
  void show(std::ostream& os) const override { os << "HGETALL " << key; }
};

struct HScanAllCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  void run(const Model& m, EngineHarness& h) const override {
    std::map<std::string, std::string> got;
    std::string cursor = "0";
    do {
      Reply r = h.RunReply({"HSCAN", key, cursor, "COUNT", "2"});
      cursor = r.elements[0].str;
      for (size_t i = 0; i < r.elements[1].elements.size(); i += 2) {
        got[r.elements[1].elements[i].str] = r.elements[1].elements[i + 1].str;
      }
    } while (cursor != "0");
    auto it = m.find(key);
    RC_ASSERT(got == (it == m.end() ? std::map<std::string, std::string>()
                                    : it->second));
  }
  void show(std::ostream& os) const override { os << "HSCAN-ALL " << key; }
};

RC_GTEST_PROP(HashStateMachine, AgreesWithMapModel, ()) {
  Model model;
  EngineHarness h(Register);
  rc::state::check(
      model, h,
      rc::state::gen::execOneOfWithArgs<HSetCmd, HGetCmd, HDelCmd, HIncrByCmd,
                                        HGetAllCmd, HScanAllCmd>());
}

}  // namespace
}  // namespace twinkv
