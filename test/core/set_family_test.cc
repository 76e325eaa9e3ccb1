// Tests of the set commands through the dispatcher. Expected replies were
// checked against redis-server 7.0.15. Ends with a RapidCheck state-machine
// test against a std::map<std::string, std::set<std::string>> model
// (RapidCheck prints the seed of a failing run; RC_PARAMS="seed=N" replays).

#include <algorithm>
#include <cstdlib>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
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
constexpr char kSyntax[] = "(error) ERR syntax error";

void Register(CommandTable& t) {
  RegisterSetFamily(t);
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

// The elements of an array/set reply, sorted, rendered like Run() does.
std::string Sorted(const Reply& r) {
  std::vector<std::string> parts;
  for (const Reply& e : r.elements) parts.push_back(RenderReply(e));
  std::sort(parts.begin(), parts.end());
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

class SetFamilyTest : public ::testing::Test {
 protected:
  SetFamilyTest() : h_(Register) {}
  std::string Run(std::initializer_list<absl::string_view> args) {
    return h_.Run(args);
  }
  std::string RunSorted(std::initializer_list<absl::string_view> args) {
    return Sorted(h_.RunReply(std::vector<absl::string_view>(args)));
  }
  std::string Raw(std::initializer_list<absl::string_view> args) {
    return h_.RunRaw(std::vector<absl::string_view>(args));
  }
  EngineHarness h_;
};

TEST_F(SetFamilyTest, AddRemCardIsMember) {
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "a"}), "(integer) 2");
  EXPECT_EQ(Run({"SADD", "s", "b", "c"}), "(integer) 1");
  EXPECT_EQ(Run({"SCARD", "s"}), "(integer) 3");
  EXPECT_EQ(Run({"SCARD", "nokey"}), "(integer) 0");
  EXPECT_EQ(Run({"SISMEMBER", "s", "a"}), "(integer) 1");
  EXPECT_EQ(Run({"SISMEMBER", "s", "x"}), "(integer) 0");
  EXPECT_EQ(Run({"SISMEMBER", "nokey", "x"}), "(integer) 0");
  EXPECT_EQ(Run({"SMISMEMBER", "s", "a", "x", "c"}),
            "[(integer) 1, (integer) 0, (integer) 1]");
  EXPECT_EQ(Run({"SMISMEMBER", "nokey", "a"}), "[(integer) 0]");
  EXPECT_EQ(RunSorted({"SMEMBERS", "s"}), "[a, b, c]");
  EXPECT_EQ(Run({"SMEMBERS", "nokey"}), "[]");
  EXPECT_EQ(Run({"SREM", "s", "a", "x", "a"}), "(integer) 1");
  EXPECT_EQ(Run({"SREM", "nokey", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"SREM", "s", "b", "c"}), "(integer) 2");
  EXPECT_EQ(Run({"EXISTS", "s"}), "(integer) 0");  // emptied: deleted
  EXPECT_EQ(Run({"SADD", "s", ""}), "(integer) 1");
  EXPECT_EQ(Run({"SCARD", "s"}), "(integer) 1");  // the empty member
}

TEST_F(SetFamilyTest, WrongTypeEverywhere) {
  Run({"SET", "str", "x"});
  Run({"SADD", "s", "a"});
  for (auto args : std::vector<std::vector<std::string>>{
           {"SADD", "str", "a"},
           {"SREM", "str", "a"},
           {"SMEMBERS", "str"},
           {"SISMEMBER", "str", "a"},
           {"SMISMEMBER", "str", "a"},
           {"SCARD", "str"},
           {"SPOP", "str"},
           {"SPOP", "str", "2"},
           {"SRANDMEMBER", "str"},
           {"SRANDMEMBER", "str", "2"},
           {"SMOVE", "str", "s", "a"},
           {"SMOVE", "s", "str", "a"},
           {"SINTER", "s", "str"},
           {"SINTER", "nokey", "str"},
           {"SUNION", "str"},
           {"SDIFF", "nokey", "str"},
           {"SINTERSTORE", "d", "s", "str"},
           {"SUNIONSTORE", "d", "str"},
           {"SDIFFSTORE", "d", "s", "str"},
           {"SINTERCARD", "2", "nokey", "str"},
           {"SSCAN", "str", "0"},
       }) {
    EXPECT_EQ(h_.Run(args), kWrongType) << absl::StrJoin(args, " ");
  }
}

TEST_F(SetFamilyTest, ReplyTypesInResp3) {
  Run({"SADD", "s", "a"});
  h_.client().protocol = 3;
  EXPECT_EQ(Raw({"SMEMBERS", "s"}), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Raw({"SINTER", "s"}), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Raw({"SUNION", "s"}), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Raw({"SDIFF", "s"}), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Raw({"SRANDMEMBER", "s", "5"}), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(Raw({"SRANDMEMBER", "nokey", "5"}), "*0\r\n");
  EXPECT_EQ(Raw({"SRANDMEMBER", "nokey"}), "_\r\n");
  EXPECT_EQ(Raw({"SPOP", "nokey", "2"}), "~0\r\n");
  EXPECT_EQ(Raw({"SPOP", "s", "0"}), "~0\r\n");
  EXPECT_EQ(Raw({"SPOP", "nokey"}), "_\r\n");
  EXPECT_EQ(Raw({"SPOP", "s", "1"}), "~1\r\n$1\r\na\r\n");
}

TEST_F(SetFamilyTest, SPop) {
  Run({"SADD", "s", "a", "b", "c", "d"});
  EXPECT_EQ(Run({"SPOP", "s", "-1"}),
            "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"SPOP", "s", "x"}),
            "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"SPOP", "s", "1", "2"}), kSyntax);
  Reply one = h_.RunReply({"SPOP", "s"});
  ASSERT_EQ(one.type, Reply::Type::kBulk);
  EXPECT_EQ(Run({"SISMEMBER", "s", one.str}), "(integer) 0");
  Reply two = h_.RunReply({"SPOP", "s", "2"});
  ASSERT_EQ(two.elements.size(), 2u);
  EXPECT_NE(two.elements[0].str, two.elements[1].str);
  EXPECT_EQ(Run({"SCARD", "s"}), "(integer) 1");
  Reply rest = h_.RunReply({"SPOP", "s", "10"});
  EXPECT_EQ(rest.elements.size(), 1u);
  EXPECT_EQ(Run({"EXISTS", "s"}), "(integer) 0");
  std::set<std::string> all = {one.str, two.elements[0].str,
                               two.elements[1].str, rest.elements[0].str};
  EXPECT_EQ(all, (std::set<std::string>{"a", "b", "c", "d"}));
  Run({"SADD", "s", "x"});
  EXPECT_EQ(Run({"SPOP", "s"}), "x");
  EXPECT_EQ(Run({"EXISTS", "s"}), "(integer) 0");
}

TEST_F(SetFamilyTest, SRandMember) {
  Run({"SADD", "s", "a", "b", "c"});
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between "
            "-9223372036854775807 and 9223372036854775807");
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "x"}), kNotInt);
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "1", "2"}), kSyntax);
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "0"}), "[]");
  EXPECT_EQ(RunSorted({"SRANDMEMBER", "s", "3"}), "[a, b, c]");
  EXPECT_EQ(RunSorted({"SRANDMEMBER", "s", "100"}), "[a, b, c]");
  Reply two = h_.RunReply({"SRANDMEMBER", "s", "2"});
  ASSERT_EQ(two.elements.size(), 2u);
  EXPECT_NE(two.elements[0].str, two.elements[1].str);
  Reply many = h_.RunReply({"SRANDMEMBER", "s", "-20"});
  ASSERT_EQ(many.elements.size(), 20u);
  std::set<std::string> seen;
  for (const Reply& e : many.elements) seen.insert(e.str);
  EXPECT_TRUE(std::includes(std::set<std::string>{"a", "b", "c"}.begin(),
                            std::set<std::string>{"a", "b", "c"}.end(),
                            seen.begin(), seen.end()));
  EXPECT_GT(seen.size(), 1u) << "20 draws from 3 members, all the same";
  Reply r = h_.RunReply({"SRANDMEMBER", "s"});
  EXPECT_EQ(r.type, Reply::Type::kBulk);
  EXPECT_EQ(Run({"SCARD", "s"}), "(integer) 3");  // nothing removed
}

TEST_F(SetFamilyTest, SMove) {
  Run({"SADD", "src", "a", "b"});
  Run({"SET", "str", "x"});
  EXPECT_EQ(Run({"SMOVE", "nokey", "str", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "zz"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "dst"}), "(integer) 0");
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "a"}), "(integer) 1");
  EXPECT_EQ(Run({"SMEMBERS", "dst"}), "[a]");
  EXPECT_EQ(Run({"SMOVE", "src", "src", "b"}), "(integer) 1");
  EXPECT_EQ(Run({"SMOVE", "src", "src", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"SADD", "dst", "b"}), "(integer) 1");
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "b"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "src"}), "(integer) 0");
  EXPECT_EQ(RunSorted({"SMEMBERS", "dst"}), "[a, b]");
}

TEST_F(SetFamilyTest, InterUnionDiff) {
  Run({"SADD", "a", "1", "2", "3", "4"});
  Run({"SADD", "b", "2", "3", "5"});
  Run({"SADD", "c", "3", "4", "5"});
  EXPECT_EQ(RunSorted({"SINTER", "a", "b"}), "[2, 3]");
  EXPECT_EQ(RunSorted({"SINTER", "a", "b", "c"}), "[3]");
  EXPECT_EQ(RunSorted({"SINTER", "a", "nokey"}), "[]");
  EXPECT_EQ(RunSorted({"SINTER", "a", "a"}), "[1, 2, 3, 4]");
  EXPECT_EQ(RunSorted({"SUNION", "a", "b", "nokey"}), "[1, 2, 3, 4, 5]");
  EXPECT_EQ(RunSorted({"SUNION", "nokey"}), "[]");
  EXPECT_EQ(RunSorted({"SDIFF", "a", "b"}), "[1, 4]");
  EXPECT_EQ(RunSorted({"SDIFF", "a", "b", "c"}), "[1]");
  EXPECT_EQ(RunSorted({"SDIFF", "a", "nokey"}), "[1, 2, 3, 4]");
  EXPECT_EQ(RunSorted({"SDIFF", "nokey", "a"}), "[]");
  EXPECT_EQ(RunSorted({"SDIFF", "a", "a"}), "[]");
}

TEST_F(SetFamilyTest, StoreVariants) {
  Run({"SADD", "a", "1", "2", "3"});
  Run({"SADD", "b", "2", "3", "4"});
  Run({"SET", "d", "string"});
  EXPECT_EQ(Run({"SINTERSTORE", "d", "a", "b"}), "(integer) 2");
  EXPECT_EQ(RunSorted({"SMEMBERS", "d"}), "[2, 3]");
  EXPECT_EQ(Run({"SUNIONSTORE", "d", "a", "b"}), "(integer) 4");
  EXPECT_EQ(RunSorted({"SMEMBERS", "d"}), "[1, 2, 3, 4]");
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "a", "b"}), "(integer) 1");
  EXPECT_EQ(RunSorted({"SMEMBERS", "d"}), "[1]");
  // The destination may be a source.
  EXPECT_EQ(Run({"SUNIONSTORE", "a", "a", "b"}), "(integer) 4");
  EXPECT_EQ(RunSorted({"SMEMBERS", "a"}), "[1, 2, 3, 4]");
  // An empty result deletes the destination.
  EXPECT_EQ(Run({"SINTERSTORE", "d", "a", "nokey"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "d"}), "(integer) 0");
  Run({"SET", "d", "x"});
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "b", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "d"}), "(integer) 0");
  Run({"SET", "d", "x"});
  EXPECT_EQ(Run({"SUNIONSTORE", "d", "nokey"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "d"}), "(integer) 0");
}

TEST_F(SetFamilyTest, SInterCard) {
  Run({"SADD", "a", "1", "2", "3", "4"});
  Run({"SADD", "b", "2", "3", "4", "5"});
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b"}), "(integer) 3");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a"}), "(integer) 4");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}), "(integer) 2");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "limit", "0"}), "(integer) 3");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "10"}), "(integer) 3");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "nokey"}), "(integer) 0");
  EXPECT_EQ(Run({"SINTERCARD", "0", "a"}),
            "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"SINTERCARD", "x", "a"}),
            "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"SINTERCARD", "3", "a", "b"}),
            "(error) ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT", "-1"}),
            "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT", "x"}),
            "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT"}), kSyntax);
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "FOO", "1"}), kSyntax);
}

TEST_F(SetFamilyTest, Arity) {
  EXPECT_EQ(Run({"SADD", "s"}),
            "(error) ERR wrong number of arguments for 'sadd' command");
  EXPECT_EQ(Run({"SMOVE", "a", "b"}),
            "(error) ERR wrong number of arguments for 'smove' command");
  EXPECT_EQ(Run({"SINTERCARD", "1"}),
            "(error) ERR wrong number of arguments for 'sintercard' command");
}

TEST_F(SetFamilyTest, SScanErrorsAndSmallSet) {
  Run({"SADD", "s", "a1", "a2", "b1"});
  EXPECT_EQ(Run({"SSCAN", "nokey", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SSCAN", "s", " 1"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SSCAN", "s", "1x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"SSCAN", "s", "99999999999999999999"}),
            "(error) ERR invalid cursor");
  // A missing key answers before the options are read.
  EXPECT_EQ(Run({"SSCAN", "nokey", "0", "foo"}), "[0, []]");
  EXPECT_EQ(Run({"SSCAN", "s", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(Run({"SSCAN", "s", "0", "COUNT", "x"}), kNotInt);
  EXPECT_EQ(Run({"SSCAN", "s", "0", "TYPE", "string"}), kSyntax);
  EXPECT_EQ(Run({"SSCAN", "s", "0", "MATCH"}), kSyntax);
  // Full iteration with MATCH.
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    Reply r = h_.RunReply({"SSCAN", "s", cursor, "MATCH", "a*", "COUNT", "1"});
    ASSERT_EQ(r.elements.size(), 2u);
    cursor = r.elements[0].str;
    for (const Reply& e : r.elements[1].elements) seen.insert(e.str);
  } while (cursor != "0");
  EXPECT_EQ(seen, (std::set<std::string>{"a1", "a2"}));
}

// SSCAN's guarantee: a full iteration returns every member present for the
// whole iteration, while other members come and go and the table resizes.
RC_GTEST_PROP(SetScanProperty, ReturnsEveryStableMember, ()) {
  EngineHarness h(Register);
  const int stable = *rc::gen::inRange(0, 200);
  for (int i = 0; i < stable; ++i) {
    h.Run(std::vector<std::string>{"SADD", "s", absl::StrCat("s", i)});
  }
  h.Run(std::vector<std::string>{"SADD", "s", "anchor"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int churn_begin = 0, churn_end = 0;  // live churn members: [begin, end)
  int steps = 0;
  do {
    const std::string count = absl::StrCat(*rc::gen::inRange(1, 20));
    Reply r = h.RunReply({"SSCAN", "s", cursor, "COUNT", count});
    RC_ASSERT(r.elements.size() == 2u);
    cursor = r.elements[0].str;
    for (const Reply& e : r.elements[1].elements) seen.insert(e.str);
    // Grow or shrink the set between calls (by up to a few table sizes).
    const int n = *rc::gen::inRange(-300, 300);
    for (int i = 0; i < std::abs(n); ++i) {
      if (n > 0) {
        h.Run(std::vector<std::string>{"SADD", "s",
                                       absl::StrCat("t", churn_end++)});
      } else if (churn_begin < churn_end) {
        h.Run(std::vector<std::string>{"SREM", "s",
                                       absl::StrCat("t", churn_begin++)});
      }
    }
    RC_ASSERT(++steps < 100000);
  } while (cursor != "0");
  for (int i = 0; i < stable; ++i) {
    RC_ASSERT(seen.count(absl::StrCat("s", i)) == 1u);
  }
  RC_ASSERT(seen.count("anchor") == 1u);
}

// --- State machine against a model. ---

using Model = std::map<std::string, std::set<std::string>>;

rc::Gen<std::string> GenKey() {
  return rc::gen::elementOf(std::vector<std::string>{"a", "b", "c"});
}
rc::Gen<std::string> GenMember() {
  return rc::gen::elementOf(
      std::vector<std::string>{"x", "y", "z", "1", "", "w"});
}
rc::Gen<std::vector<std::string>> GenMembers() {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(1, 4), [](size_t n) {
    return rc::gen::container<std::vector<std::string>>(n, GenMember());
  });
}
rc::Gen<std::vector<std::string>> GenKeys() {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(1, 4), [](size_t n) {
    return rc::gen::container<std::vector<std::string>>(n, GenKey());
  });
}

std::string Render(const std::set<std::string>& s) {
  std::vector<std::string> v(s.begin(), s.end());
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

std::set<std::string> Get(const Model& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::set<std::string>() : it->second;
}

void Put(Model& m, const std::string& k, const std::set<std::string>& s) {
  if (s.empty()) {
    m.erase(k);
  } else {
    m[k] = s;
  }
}

struct SAddCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::vector<std::string> members = *GenMembers();
  void apply(Model& m) const override {
    for (const auto& x : members) m[key].insert(x);
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::set<std::string> before = Get(m, key), after = before;
    for (const auto& x : members) after.insert(x);
    std::vector<std::string> args = {"SADD", key};
    args.insert(args.end(), members.begin(), members.end());
    RC_ASSERT(h.Run(args) ==
              absl::StrCat("(integer) ", after.size() - before.size()));
  }
  void show(std::ostream& os) const override {
    os << "SADD " << key << " " << absl::StrJoin(members, " ");
  }
};

struct SRemCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::vector<std::string> members = *GenMembers();
  void apply(Model& m) const override {
    std::set<std::string> s = Get(m, key);
    for (const auto& x : members) s.erase(x);
    Put(m, key, s);
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::set<std::string> s = Get(m, key);
    size_t n = s.size();
    for (const auto& x : members) s.erase(x);
    std::vector<std::string> args = {"SREM", key};
    args.insert(args.end(), members.begin(), members.end());
    RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", n - s.size()));
  }
  void show(std::ostream& os) const override {
    os << "SREM " << key << " " << absl::StrJoin(members, " ");
  }
};

struct SMembersCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(Sorted(h.RunReply({"SMEMBERS", key})) == Render(Get(m, key)));
    RC_ASSERT(h.Run(std::vector<std::string>{"SCARD", key}) ==
              absl::StrCat("(integer) ", Get(m, key).size()));
    RC_ASSERT(h.Run(std::vector<std::string>{"EXISTS", key}) ==
              absl::StrCat("(integer) ", m.count(key)));
  }
  void show(std::ostream& os) const override { os << "SMEMBERS " << key; }
};

struct SIsMemberCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string member = *GenMember();
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"SISMEMBER", key, member}) ==
              absl::StrCat("(integer) ", Get(m, key).count(member)));
  }
  void show(std::ostream& os) const override {
    os << "SISMEMBER " << key << " " << member;
  }
};

struct SMoveCmd : rc::state::Command<Model, EngineHarness> {
  std::string src = *GenKey();
  std::string dst = *GenKey();
  std::string member = *GenMember();
  void apply(Model& m) const override {
    std::set<std::string> s = Get(m, src);
    if (!s.count(member) || src == dst) return;
    s.erase(member);
    Put(m, src, s);
    m[dst].insert(member);
  }
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"SMOVE", src, dst, member}) ==
              absl::StrCat("(integer) ", Get(m, src).count(member)));
  }
  void show(std::ostream& os) const override {
    os << "SMOVE " << src << " " << dst << " " << member;
  }
};

struct SPopCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int count = *rc::gen::inRange(0, 4);
  // The popped members are random: run() checks them and removes them
  // from a copy; apply() cannot know them, so the model is corrected by
  // reading the set back (the check is that the popped ones are gone and
  // were there, and the count is right).
  void run(const Model& m, EngineHarness& h) const override {
    std::set<std::string> s = Get(m, key);
    Reply r = h.RunReply({"SPOP", key, absl::StrCat(count)});
    RC_ASSERT(r.elements.size() == std::min<size_t>(count, s.size()));
    for (const Reply& e : r.elements) {
      RC_ASSERT(s.erase(e.str) == 1u);
    }
    // Put the popped members back so the model stays right.
    std::vector<std::string> args = {"SADD", key};
    for (const Reply& e : r.elements) args.push_back(e.str);
    if (args.size() > 2) h.Run(args);
  }
  void show(std::ostream& os) const override {
    os << "SPOP " << key << " " << count << " (then SADD back)";
  }
};

template <int kOp>  // 0 inter, 1 union, 2 diff
struct SetOpCmd : rc::state::Command<Model, EngineHarness> {
  std::vector<std::string> keys = *GenKeys();
  bool store = *rc::gen::arbitrary<bool>();
  std::string dst = *GenKey();
  std::set<std::string> Result(const Model& m) const {
    std::set<std::string> r = Get(m, keys[0]);
    for (size_t i = 1; i < keys.size(); ++i) {
      std::set<std::string> o = Get(m, keys[i]), next;
      for (const auto& x : r) {
        if ((kOp == 0) == (o.count(x) == 1)) next.insert(x);
      }
      if (kOp == 1) {
        next = r;
        next.insert(o.begin(), o.end());
      }
      r = next;
    }
    return r;
  }
  void apply(Model& m) const override {
    if (store) Put(m, dst, Result(m));
  }
  void run(const Model& m, EngineHarness& h) const override {
    const char* names[] = {"SINTER", "SUNION", "SDIFF"};
    std::set<std::string> want = Result(m);
    std::vector<std::string> args = {store ? absl::StrCat(names[kOp], "STORE")
                                           : names[kOp]};
    if (store) args.push_back(dst);
    args.insert(args.end(), keys.begin(), keys.end());
    if (store) {
      RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", want.size()));
    } else {
      std::vector<absl::string_view> views(args.begin(), args.end());
      RC_ASSERT(Sorted(h.RunReply(views)) == Render(want));
    }
    if (kOp == 0) {
      std::vector<std::string> card = {"SINTERCARD", absl::StrCat(keys.size())};
      card.insert(card.end(), keys.begin(), keys.end());
      RC_ASSERT(h.Run(card) == absl::StrCat("(integer) ", want.size()));
    }
  }
  void show(std::ostream& os) const override {
    os << (kOp == 0   ? "SINTER"
           : kOp == 1 ? "SUNION"
                      : "SDIFF")
       << (store ? "STORE " + dst : "") << " " << absl::StrJoin(keys, " ");
  }
};

RC_GTEST_PROP(SetStateMachine, AgreesWithModel, ()) {
  Model model;
  EngineHarness h(Register);
  rc::state::check(model, h,
                   rc::state::gen::execOneOfWithArgs<
                       SAddCmd, SRemCmd, SMembersCmd, SIsMemberCmd, SMoveCmd,
                       SPopCmd, SetOpCmd<0>, SetOpCmd<1>, SetOpCmd<2>>());
}

}  // namespace
}  // namespace twinkv
