// Tests of the list type: ListObject directly (against std::deque, with tiny
// nodes so that splits and node boundaries are exercised), and the list
// commands through the dispatcher, read like the protocol. Expected replies
// were checked against redis-server 7.0.15. Ends with a RapidCheck
// state-machine test against a std::map<std::string, std::deque> model.
// RapidCheck prints its seed on failure; RC_PARAMS="seed=N" replays it.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/list_object.h"
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

// --- Listpack and ListObject ---

TEST(ListpackTest, WalksBothWaysOverLongAndEmptyEntries) {
  Listpack lp;
  const std::vector<std::string> items = {"", "a", std::string(200, 'x'),
                                          std::string(20000, 'y'), "bc"};
  for (const auto& s : items) lp.PushBack(s);
  ASSERT_EQ(lp.size(), items.size());
  size_t pos = 0;
  for (const auto& s : items) {
    EXPECT_EQ(lp.Get(pos), s);
    pos = lp.Next(pos);
  }
  EXPECT_EQ(pos, lp.end());
  for (size_t i = items.size(); i-- > 0;) {
    pos = lp.Prev(pos);
    EXPECT_EQ(lp.Get(pos), items[i]);
  }
  EXPECT_EQ(pos, 0u);
  // A short entry costs its bytes plus two one-byte lengths.
  EXPECT_EQ(Listpack::EntrySize(10), 12u);
  EXPECT_EQ(Listpack::EntrySize(200), 204u);
}

std::vector<std::string> Elements(const ListObject& list) {
  std::vector<std::string> out;
  if (list.empty()) return out;
  list.Walk(0, false, [&](absl::string_view e) {
    out.emplace_back(e);
    return true;
  });
  return out;
}

TEST(ListObjectTest, EncodingIsQuicklistAsRedis70) {
  ListObject list;
  list.PushBack("a");
  EXPECT_EQ(list.Encoding(), "quicklist");
  std::unique_ptr<ValueObject> copy = list.Clone();
  ASSERT_NE(copy, nullptr);
  auto* l2 = static_cast<ListObject*>(copy.get());
  l2->PushBack("b");
  EXPECT_EQ(Elements(list), std::vector<std::string>({"a"}));
  EXPECT_EQ(Elements(*l2), std::vector<std::string>({"a", "b"}));
}

// Memory, measured: a chunked list of 100k 10-byte elements owns about 12
// bytes per element; a std::deque<std::string> needs 32 bytes of string
// object per element before any deque overhead.
TEST(ListObjectTest, ChunkedListIsCompact) {
  ListObject list;
  constexpr size_t kN = 100000;
  for (size_t i = 0; i < kN; ++i) list.PushBack("0123456789");
  const size_t bytes = list.AllocatedBytes();
  std::cout << "ListObject: " << bytes << " bytes for " << kN
            << " 10-byte elements (" << bytes / kN
            << " per element); std::deque<std::string> would need >= "
            << sizeof(std::string) * kN << "\n";
  EXPECT_LT(bytes, 16 * kN);
  EXPECT_LT(bytes, sizeof(std::string) * kN / 2);
}

// ListObject against std::deque, with nodes of 24 bytes so that most
// operations cross node boundaries, split nodes and drop empty ones.
RC_GTEST_PROP(ListObjectProperty, AgreesWithDeque, ()) {
  ListObject list(24);
  std::deque<std::string> model;
  const auto gen_elem = rc::gen::oneOf(
      rc::gen::elementOf(std::vector<std::string>{"a", "b", "", "ccc"}),
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("xyz"))));
  const int steps = *rc::gen::inRange(1, 120);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 10);
    const size_t n = model.size();
    switch (op) {
      case 0: {
        std::string e = *gen_elem;
        list.PushFront(e);
        model.push_front(e);
        break;
      }
      case 1: {
        std::string e = *gen_elem;
        list.PushBack(e);
        model.push_back(e);
        break;
      }
      case 2:
        if (n > 0) {
          RC_ASSERT(list.PopFront() == model.front());
          model.pop_front();
        }
        break;
      case 3:
        if (n > 0) {
          RC_ASSERT(list.PopBack() == model.back());
          model.pop_back();
        }
        break;
      case 4: {
        const size_t i = *rc::gen::inRange<size_t>(0, n + 1);
        std::string e = *gen_elem;
        list.InsertAt(i, e);
        model.insert(model.begin() + i, e);
        break;
      }
      case 5:
        if (n > 0) {
          const size_t i = *rc::gen::inRange<size_t>(0, n);
          std::string e = *gen_elem;
          list.Set(i, e);
          model[i] = e;
        }
        break;
      case 6: {
        const std::string v = *gen_elem;
        const size_t limit = *rc::gen::inRange<size_t>(0, 4);
        const bool from_tail = *rc::gen::arbitrary<bool>();
        size_t expect = 0;
        if (!from_tail) {
          for (auto it = model.begin(); it != model.end();) {
            if (*it == v && (limit == 0 || expect < limit)) {
              it = model.erase(it);
              ++expect;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = model.size(); i-- > 0;) {
            if (model[i] == v && (limit == 0 || expect < limit)) {
              model.erase(model.begin() + i);
              ++expect;
            }
          }
        }
        RC_ASSERT(list.RemoveEqual(v, limit, from_tail) == expect);
        break;
      }
      case 7: {
        const size_t k = *rc::gen::inRange<size_t>(0, n + 1);
        list.RemoveFront(k);
        model.erase(model.begin(), model.begin() + k);
        break;
      }
      case 8: {
        const size_t k = *rc::gen::inRange<size_t>(0, n + 1);
        list.RemoveBack(k);
        model.erase(model.end() - k, model.end());
        break;
      }
      case 9:
        if (n > 0) {
          const size_t i = *rc::gen::inRange<size_t>(0, n);
          RC_ASSERT(list.At(i) == model[i]);
          std::vector<std::string> back;
          list.Walk(i, true, [&](absl::string_view e) {
            back.emplace_back(e);
            return true;
          });
          RC_ASSERT(back == std::vector<std::string>(model.rend() - i - 1,
                                                     model.rend()));
        }
        break;
    }
    RC_ASSERT(list.size() == model.size());
    RC_ASSERT(Elements(list) ==
              std::vector<std::string>(model.begin(), model.end()));
  }
}

// --- Commands ---

void Register(CommandTable& t) {
  RegisterListFamily(t);
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

class ListFamilyTest : public ::testing::Test {
 protected:
  ListFamilyTest() : h_(Register) {}
  std::string Run(std::initializer_list<absl::string_view> args) {
    return h_.Run(args);
  }
  std::string RunRaw(std::vector<absl::string_view> args) {
    return h_.RunRaw(args);
  }
  const CommandSpec& Spec(absl::string_view name) {
    const CommandSpec* spec = h_.engine().commands().Find(name);
    EXPECT_NE(spec, nullptr) << name;
    return *spec;
  }
  EngineHarness h_;
};

TEST_F(ListFamilyTest, PushAndRange) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c"}), "(integer) 3");
  EXPECT_EQ(Run({"LPUSH", "l", "x", "y"}), "(integer) 5");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[y, x, a, b, c]");
  EXPECT_EQ(Run({"LLEN", "l"}), "(integer) 5");
  EXPECT_EQ(Run({"TYPE", "l"}), "list");
  EXPECT_EQ(Run({"LRANGE", "l", "1", "2"}), "[x, a]");
  EXPECT_EQ(Run({"LRANGE", "l", "-2", "100"}), "[b, c]");
  EXPECT_EQ(Run({"LRANGE", "l", "-100", "0"}), "[y]");
  EXPECT_EQ(Run({"LRANGE", "l", "5", "1"}), "[]");
  EXPECT_EQ(Run({"LRANGE", "l", "3", "1"}), "[]");
  EXPECT_EQ(Run({"LRANGE", "l", "-1", "-2"}), "[]");
  EXPECT_EQ(Run({"LRANGE", "nokey", "0", "-1"}), "[]");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "x"}), kNotInt);
  EXPECT_EQ(Run({"LRANGE", "nokey", "x", "1"}), kNotInt);
  EXPECT_EQ(Run({"LLEN", "nokey"}), "(integer) 0");
}

TEST_F(ListFamilyTest, PushXOnlyIfExists) {
  EXPECT_EQ(Run({"LPUSHX", "l", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"RPUSHX", "l", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"EXISTS", "l"}), "(integer) 0");
  EXPECT_EQ(Run({"RPUSH", "l", "m"}), "(integer) 1");
  EXPECT_EQ(Run({"LPUSHX", "l", "a", "b"}), "(integer) 3");
  EXPECT_EQ(Run({"RPUSHX", "l", "z"}), "(integer) 4");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[b, a, m, z]");
}

TEST_F(ListFamilyTest, PopWithAndWithoutCount) {
  Run({"RPUSH", "l", "a", "b", "c", "d"});
  EXPECT_EQ(Run({"LPOP", "l"}), "a");
  EXPECT_EQ(Run({"RPOP", "l"}), "d");
  EXPECT_EQ(Run({"LPOP", "l", "0"}), "[]");
  EXPECT_EQ(RunRaw({"LPOP", "l", "0"}), "*0\r\n");
  EXPECT_EQ(Run({"RPOP", "l", "5"}), "[c, b]");
  EXPECT_EQ(Run({"EXISTS", "l"}), "(integer) 0");  // empty list deleted
  // Missing key: null bulk without count, null array with it.
  EXPECT_EQ(RunRaw({"LPOP", "l"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"LPOP", "l", "2"}), "*-1\r\n");
  EXPECT_EQ(RunRaw({"RPOP", "l", "0"}), "*-1\r\n");
  EXPECT_EQ(Run({"LPOP", "l", "-1"}),
            "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"LPOP", "l", "x"}),
            "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"LPOP", "l", "1", "2"}),
            "(error) ERR wrong number of arguments for 'lpop' command");
  EXPECT_EQ(Run({"RPOP", "l", "1", "2"}),
            "(error) ERR wrong number of arguments for 'rpop' command");
  Run({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(Run({"LPOP", "l", "9223372036854775807"}), "[a, b]");
}

TEST_F(ListFamilyTest, PopResp3Nulls) {
  h_.client().protocol = 3;
  EXPECT_EQ(RunRaw({"LPOP", "l"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LPOP", "l", "2"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LMPOP", "1", "l", "LEFT"}), "_\r\n");
}

TEST_F(ListFamilyTest, IndexAndSet) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), "a");
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), "c");
  EXPECT_EQ(Run({"LINDEX", "l", "3"}), "(nil)");
  EXPECT_EQ(Run({"LINDEX", "l", "-4"}), "(nil)");
  EXPECT_EQ(Run({"LINDEX", "l", "x"}), kNotInt);
  EXPECT_EQ(Run({"LINDEX", "nokey", "x"}), "(nil)");  // key checked first
  EXPECT_EQ(Run({"LSET", "l", "1", "B"}), "OK");
  EXPECT_EQ(Run({"LSET", "l", "-1", "C"}), "OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, B, C]");
  EXPECT_EQ(Run({"LSET", "l", "3", "x"}), "(error) ERR index out of range");
  EXPECT_EQ(Run({"LSET", "l", "-4", "x"}), "(error) ERR index out of range");
  EXPECT_EQ(Run({"LSET", "l", "x", "x"}), kNotInt);
  EXPECT_EQ(Run({"LSET", "nokey", "x", "x"}), "(error) ERR no such key");
}

TEST_F(ListFamilyTest, Insert) {
  Run({"RPUSH", "l", "a", "b", "a"});
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "a", "x"}), "(integer) 4");
  EXPECT_EQ(Run({"LINSERT", "l", "after", "a", "y"}), "(integer) 5");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[x, a, y, b, a]");
  EXPECT_EQ(Run({"LINSERT", "l", "after", "zz", "y"}), "(integer) -1");
  EXPECT_EQ(Run({"LINSERT", "l", "middle", "a", "y"}), kSyntax);
  EXPECT_EQ(Run({"LINSERT", "nokey", "before", "a", "y"}), "(integer) 0");
  EXPECT_EQ(Run({"LINSERT", "nokey", "middle", "a", "y"}), kSyntax);
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "(integer) 0");
}

TEST_F(ListFamilyTest, Rem) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(Run({"LREM", "l", "-2", "a"}), "(integer) 2");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, b, c]");
  Run({"RPUSH", "l", "a", "a"});
  EXPECT_EQ(Run({"LREM", "l", "1", "a"}), "(integer) 1");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[b, c, a, a]");
  EXPECT_EQ(Run({"LREM", "l", "0", "a"}), "(integer) 2");
  EXPECT_EQ(Run({"LREM", "l", "-9223372036854775808", "b"}), "(integer) 1");
  EXPECT_EQ(Run({"LREM", "l", "0", "zz"}), "(integer) 0");
  EXPECT_EQ(Run({"LREM", "l", "0", "c"}), "(integer) 1");
  EXPECT_EQ(Run({"EXISTS", "l"}), "(integer) 0");
  EXPECT_EQ(Run({"LREM", "nokey", "0", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"LREM", "nokey", "x", "a"}), kNotInt);
}

TEST_F(ListFamilyTest, Trim) {
  Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Run({"LTRIM", "l", "1", "-2"}), "OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[b, c, d]");
  EXPECT_EQ(Run({"LTRIM", "l", "-100", "100"}), "OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[b, c, d]");
  EXPECT_EQ(Run({"LTRIM", "l", "1", "1"}), "OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[c]");
  EXPECT_EQ(Run({"LTRIM", "l", "2", "1"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "l"}), "(integer) 0");
  EXPECT_EQ(Run({"LTRIM", "nokey", "0", "1"}), "OK");
  EXPECT_EQ(Run({"LTRIM", "nokey", "x", "1"}), kNotInt);
  EXPECT_EQ(Run({"LTRIM", "nokey", "0", "x"}), kNotInt);
}

TEST_F(ListFamilyTest, Pos) {
  Run({"RPUSH", "l", "a", "b", "c", "a", "b", "c"});
  EXPECT_EQ(Run({"LPOS", "l", "a"}), "(integer) 0");
  EXPECT_EQ(Run({"LPOS", "l", "c"}), "(integer) 2");
  EXPECT_EQ(Run({"LPOS", "l", "z"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "2"}), "(integer) 3");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "3"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-1"}), "(integer) 3");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-2"}), "(integer) 0");
  EXPECT_EQ(Run({"LPOS", "l", "a", "rank", "1", "rank", "2"}), "(integer) 3");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "0"}),
            "[(integer) 0, (integer) 3]");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "1"}), "[(integer) 0]");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-1", "COUNT", "0"}),
            "[(integer) 3, (integer) 0]");
  EXPECT_EQ(Run({"LPOS", "l", "b", "RANK", "2", "COUNT", "5"}),
            "[(integer) 4]");
  EXPECT_EQ(Run({"LPOS", "l", "z", "COUNT", "0"}), "[]");
  EXPECT_EQ(Run({"LPOS", "l", "a", "MAXLEN", "1", "COUNT", "0"}),
            "[(integer) 0]");
  EXPECT_EQ(Run({"LPOS", "l", "a", "MAXLEN", "0", "COUNT", "0"}),
            "[(integer) 0, (integer) 3]");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-1", "MAXLEN", "2", "COUNT", "0"}),
            "[]");
  EXPECT_EQ(Run({"LPOS", "l", "a", "MAXLEN", "3"}), "(integer) 0");
  EXPECT_EQ(Run({"LPOS", "l", "c", "MAXLEN", "2"}), "(nil)");
  // Redis negates a negative rank; LLONG_MIN stays negative, every match
  // qualifies, so it acts as -1. LLONG_MAX finds nothing.
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-9223372036854775808"}),
            "(integer) 3");
  EXPECT_EQ(
      Run({"LPOS", "l", "a", "RANK", "-9223372036854775807", "COUNT", "0"}),
      "[]");
  EXPECT_EQ(Run({"LPOS", "nokey", "a"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "nokey", "a", "COUNT", "1"}), "[]");
  // Errors, in argument order, before the key is looked at.
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "0"}),
            "(error) ERR RANK can't be zero: use 1 to start from the first "
            "match, 2 from the second ... or use negative to start from the "
            "end of the list");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "x"}), kNotInt);
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "-1"}),
            "(error) ERR COUNT can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "x"}),
            "(error) ERR COUNT can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "a", "MAXLEN", "-1"}),
            "(error) ERR MAXLEN can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "-1", "RANK", "0"}),
            "(error) ERR COUNT can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "a", "foo"}), kSyntax);
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK"}), kSyntax);
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"LPOS", "s", "a", "RANK", "0"}),
            "(error) ERR RANK can't be zero: use 1 to start from the first "
            "match, 2 from the second ... or use negative to start from the "
            "end of the list");
  EXPECT_EQ(Run({"LPOS", "s", "a"}), kWrongType);
}

TEST_F(ListFamilyTest, MoveAndRPopLPush) {
  Run({"RPUSH", "src", "a", "b", "c"});
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "c");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "LEFT", "RIGHT"}), "a");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[c, a]");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "right", "left"}), "b");
  EXPECT_EQ(Run({"EXISTS", "src"}), "(integer) 0");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[b, c, a]");
  EXPECT_EQ(Run({"LMOVE", "nokey", "dst", "left", "left"}), "(nil)");
  EXPECT_EQ(Run({"RPOPLPUSH", "nokey", "dst"}), "(nil)");
  EXPECT_EQ(Run({"LMOVE", "dst", "x", "up", "left"}), kSyntax);
  EXPECT_EQ(Run({"LMOVE", "dst", "x", "left", "down"}), kSyntax);
  // Rotation within one list, also with one element.
  EXPECT_EQ(Run({"RPOPLPUSH", "dst", "dst"}), "a");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[a, b, c]");
  EXPECT_EQ(Run({"LMOVE", "dst", "dst", "LEFT", "RIGHT"}), "a");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[b, c, a]");
  Run({"RPUSH", "one", "x"});
  EXPECT_EQ(Run({"LMOVE", "one", "one", "LEFT", "LEFT"}), "x");
  EXPECT_EQ(Run({"LRANGE", "one", "0", "-1"}), "[x]");
  // A wrong-type destination pops nothing.
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"RPOPLPUSH", "one", "s"}), kWrongType);
  EXPECT_EQ(Run({"LMOVE", "one", "s", "LEFT", "LEFT"}), kWrongType);
  EXPECT_EQ(Run({"LRANGE", "one", "0", "-1"}), "[x]");
  EXPECT_EQ(Run({"RPOPLPUSH", "s", "one"}), kWrongType);
  EXPECT_EQ(Run({"RPOPLPUSH", "nokey", "s"}), "(nil)");
}

TEST_F(ListFamilyTest, MPop) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "2"}),
            "[l, [c, b]]");
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "count", "10"}), "[l, [a]]");
  EXPECT_EQ(Run({"EXISTS", "l"}), "(integer) 0");
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left"}), "(nil)");
  EXPECT_EQ(RunRaw({"LMPOP", "1", "l", "left"}), "*-1\r\n");
  Run({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(Run({"LMPOP", "1", "l", "LEFT"}), "[l, [a]]");
  const char kNumKeys[] = "(error) ERR numkeys should be greater than 0";
  const char kCount[] = "(error) ERR count should be greater than 0";
  EXPECT_EQ(Run({"LMPOP", "0", "l", "left"}), kNumKeys);
  EXPECT_EQ(Run({"LMPOP", "-1", "l", "left"}), kNumKeys);
  EXPECT_EQ(Run({"LMPOP", "x", "l", "left"}), kNumKeys);
  EXPECT_EQ(Run({"LMPOP", "2", "l", "left"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "middle"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "count", "0"}), kCount);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "count", "-1"}), kCount);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "count", "x"}), kCount);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "count"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "foo", "1"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "1", "l", "left", "count", "1", "count", "2"}),
            kSyntax);
  EXPECT_EQ(Run({"LMPOP", "2", "l"}),
            "(error) ERR wrong number of arguments for 'lmpop' command");
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"LMPOP", "2", "s", "l", "left"}), kWrongType);
  EXPECT_EQ(Run({"LMPOP", "2", "l", "s", "left"}), "[l, [b]]");
}

TEST_F(ListFamilyTest, WrongTypeAgainstString) {
  Run({"SET", "s", "v"});
  for (std::vector<absl::string_view> args :
       std::vector<std::vector<absl::string_view>>{
           {"LPUSH", "s", "a"},
           {"RPUSH", "s", "a"},
           {"LPUSHX", "s", "a"},
           {"RPUSHX", "s", "a"},
           {"LPOP", "s"},
           {"RPOP", "s", "2"},
           {"LLEN", "s"},
           {"LRANGE", "s", "0", "-1"},
           {"LINDEX", "s", "0"},
           {"LSET", "s", "0", "x"},
           {"LINSERT", "s", "before", "a", "b"},
           {"LREM", "s", "0", "a"},
           {"LTRIM", "s", "0", "1"},
           {"LPOS", "s", "a"},
           {"RPOPLPUSH", "s", "d"},
           {"LMOVE", "s", "d", "left", "left"},
           {"LMPOP", "1", "s", "left"}}) {
    EXPECT_EQ(RenderReply(h_.RunReply(args)), kWrongType) << args[0];
  }
  EXPECT_EQ(Run({"GET", "s"}), "v");
  Run({"RPUSH", "l", "a"});
  EXPECT_EQ(Run({"GET", "l"}), kWrongType);
}

TEST_F(ListFamilyTest, LargeListsSpanManyNodes) {
  // 3000 elements of 100 bytes: ~40 nodes of 8 KiB.
  for (int i = 0; i < 3000; ++i) {
    Run({"RPUSH", "l", absl::StrCat(i, std::string(96, '.'))});
  }
  EXPECT_EQ(Run({"LLEN", "l"}), "(integer) 3000");
  EXPECT_EQ(Run({"LINDEX", "l", "1234"}),
            absl::StrCat(1234, std::string(96, '.')));
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}),
            absl::StrCat(2999, std::string(96, '.')));
  EXPECT_EQ(Run({"LPOS", "l", absl::StrCat(2000, std::string(96, '.'))}),
            "(integer) 2000");
  EXPECT_EQ(Run({"LTRIM", "l", "1000", "1999"}), "OK");
  EXPECT_EQ(Run({"LINDEX", "l", "0"}),
            absl::StrCat(1000, std::string(96, '.')));
  EXPECT_EQ(Run({"LLEN", "l"}), "(integer) 1000");
  Value* v = h_.engine().keyspace().db(0).Find("l", h_.engine().NowMs());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->object()->Encoding(), "quicklist");
}

TEST_F(ListFamilyTest, RowsMatchRedis) {
  EXPECT_EQ(Spec("lpush").arity, -3);
  EXPECT_EQ(Spec("lpush").flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_EQ(Spec("lpop").flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(Spec("llen").flags, kCmdReadOnly | kCmdFast);
  EXPECT_EQ(Spec("lrange").flags, kCmdReadOnly);
  EXPECT_EQ(Spec("lrem").flags, kCmdWrite);
  EXPECT_EQ(Spec("lset").flags, kCmdWrite | kCmdDenyOom);
  EXPECT_EQ(Spec("lpos").since, "6.0.6");
  EXPECT_EQ(Spec("lmove").last_key, 2);
  EXPECT_EQ(Spec("rpoplpush").last_key, 2);
  EXPECT_EQ(Spec("lmpop").first_key, 0);
  EXPECT_EQ(Spec("lmpop").arity, -4);
  EXPECT_EQ(Spec("lpush").acl_categories,
            std::vector<std::string>({"@write", "@list", "@fast"}));
  EXPECT_EQ(Spec("lindex").acl_categories,
            std::vector<std::string>({"@read", "@list", "@slow"}));
  for (const char* name :
       {"lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange",
        "lindex", "lset", "linsert", "lrem", "ltrim", "lpos", "rpoplpush",
        "lmove", "lmpop"}) {
    const CommandSpec& spec = Spec(name);
    EXPECT_FALSE(spec.summary.empty()) << name;
    EXPECT_FALSE(spec.complexity.empty()) << name;
    EXPECT_EQ(spec.group, "list") << name;
    EXPECT_NE(spec.flags & (kCmdWrite | kCmdReadOnly), 0u) << name;
  }
}

// --- State machine against a std::map<key, std::deque> model ---

using Model = std::map<std::string, std::deque<std::string>>;

// Two keys and multi-element pushes, so that lists grow long enough for the
// index arithmetic to matter.
rc::Gen<std::string> GenKey() {
  return rc::gen::elementOf(std::vector<std::string>{"a", "b"});
}
rc::Gen<std::string> GenElem() {
  return rc::gen::oneOf(
      rc::gen::elementOf(std::vector<std::string>{"x", "y", "", "zz"}),
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("xy"))));
}
rc::Gen<int64_t> GenIndex() { return rc::gen::inRange<int64_t>(-8, 8); }

std::string Render(const std::vector<std::string>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}
const std::deque<std::string>* Get(const Model& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

struct PushCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  bool left = *rc::gen::arbitrary<bool>();
  bool only_if_exists = *rc::gen::arbitrary<bool>();
  std::vector<std::string> elems =
      *rc::gen::container<std::vector<std::string>>(
          *rc::gen::inRange<size_t>(1, 7), GenElem());
  void apply(Model& m) const override {
    if (only_if_exists && !m.count(key)) return;
    auto& l = m[key];
    for (const auto& e : elems) left ? l.push_front(e) : l.push_back(e);
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::vector<std::string> args = {
        absl::StrCat(left ? "L" : "R", "PUSH", only_if_exists ? "X" : ""), key};
    args.insert(args.end(), elems.begin(), elems.end());
    Model after = m;
    apply(after);
    const auto* l = Get(after, key);
    RC_ASSERT(h.Run(args) == absl::StrCat("(integer) ", l ? l->size() : 0));
  }
  void show(std::ostream& os) const override {
    os << (left ? "L" : "R") << "PUSH" << (only_if_exists ? "X " : " ") << key
       << " " << absl::StrJoin(elems, " ");
  }
};

struct PopCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  bool left = *rc::gen::arbitrary<bool>();
  int count = *rc::gen::inRange(-1, 4);  // -1: no count
  void apply(Model& m) const override {
    auto it = m.find(key);
    if (it == m.end()) return;
    for (int i = 0; i < std::max(count, 1) && !it->second.empty(); ++i) {
      if (count == 0) break;
      left ? it->second.pop_front() : it->second.pop_back();
    }
    if (it->second.empty()) m.erase(it);
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::vector<std::string> args = {left ? "LPOP" : "RPOP", key};
    if (count >= 0) args.push_back(absl::StrCat(count));
    const auto* l = Get(m, key);
    std::string expected;
    if (l == nullptr) {
      expected = "(nil)";
    } else if (count < 0) {
      expected = left ? l->front() : l->back();
    } else {
      std::vector<std::string> popped;
      std::deque<std::string> copy = *l;
      for (int i = 0; i < count && !copy.empty(); ++i) {
        popped.push_back(left ? copy.front() : copy.back());
        left ? copy.pop_front() : copy.pop_back();
      }
      expected = Render(popped);
    }
    RC_ASSERT(h.Run(args) == expected);
  }
  void show(std::ostream& os) const override {
    os << (left ? "LPOP " : "RPOP ") << key << " " << count;
  }
};

struct RangeCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t start = *GenIndex();
  int64_t stop = *GenIndex();
  void run(const Model& m, EngineHarness& h) const override {
    const auto* l = Get(m, key);
    std::vector<std::string> expected;
    if (l != nullptr) {
      const int64_t n = static_cast<int64_t>(l->size());
      for (int64_t i = 0; i < n; ++i) {
        // Indices in range after normalising, clamped to the list.
        const int64_t s = start < 0 ? std::max<int64_t>(0, n + start) : start;
        const int64_t e = stop < 0 ? n + stop : std::min(stop, n - 1);
        if (i >= s && i <= e) expected.push_back((*l)[i]);
      }
    }
    RC_ASSERT(h.Run(std::vector<std::string>{"LRANGE", key, absl::StrCat(start),
                                             absl::StrCat(stop)}) ==
              Render(expected));
  }
  void show(std::ostream& os) const override {
    os << "LRANGE " << key << " " << start << " " << stop;
  }
};

struct IndexCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t index = *GenIndex();
  void run(const Model& m, EngineHarness& h) const override {
    const auto* l = Get(m, key);
    std::string expected = "(nil)";
    if (l != nullptr) {
      const int64_t n = static_cast<int64_t>(l->size());
      const int64_t i = index < 0 ? n + index : index;
      if (i >= 0 && i < n) expected = (*l)[i];
    }
    RC_ASSERT(h.Run(std::vector<std::string>{"LINDEX", key,
                                             absl::StrCat(index)}) == expected);
  }
  void show(std::ostream& os) const override {
    os << "LINDEX " << key << " " << index;
  }
};

struct SetCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t index = *GenIndex();
  std::string elem = *GenElem();
  // The model index, or -1 if LSET fails.
  int64_t Target(const Model& m) const {
    const auto* l = Get(m, key);
    if (l == nullptr) return -1;
    const int64_t n = static_cast<int64_t>(l->size());
    const int64_t i = index < 0 ? n + index : index;
    return i >= 0 && i < n ? i : -1;
  }
  void apply(Model& m) const override {
    const int64_t i = Target(m);
    if (i >= 0) m[key][i] = elem;
  }
  void run(const Model& m, EngineHarness& h) const override {
    std::string expected = Target(m) >= 0 ? "OK"
                           : m.count(key) ? "(error) ERR index out of range"
                                          : "(error) ERR no such key";
    RC_ASSERT(h.Run(std::vector<std::string>{"LSET", key, absl::StrCat(index),
                                             elem}) == expected);
  }
  void show(std::ostream& os) const override {
    os << "LSET " << key << " " << index << " '" << elem << "'";
  }
};

struct InsertCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  bool after = *rc::gen::arbitrary<bool>();
  std::string pivot = *GenElem();
  std::string elem = *GenElem();
  void apply(Model& m) const override {
    auto it = m.find(key);
    if (it == m.end()) return;
    auto& l = it->second;
    auto p = std::find(l.begin(), l.end(), pivot);
    if (p != l.end()) l.insert(after ? p + 1 : p, elem);
  }
  void run(const Model& m, EngineHarness& h) const override {
    const auto* l = Get(m, key);
    std::string expected = "(integer) 0";
    if (l != nullptr) {
      expected = std::find(l->begin(), l->end(), pivot) == l->end()
                     ? "(integer) -1"
                     : absl::StrCat("(integer) ", l->size() + 1);
    }
    RC_ASSERT(h.Run(std::vector<std::string>{
                  "LINSERT", key, after ? "AFTER" : "BEFORE", pivot, elem}) ==
              expected);
  }
  void show(std::ostream& os) const override {
    os << "LINSERT " << key << (after ? " AFTER '" : " BEFORE '") << pivot
       << "' '" << elem << "'";
  }
};

struct RemCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t count = *rc::gen::inRange<int64_t>(-3, 4);
  std::string elem = *GenElem();
  size_t Apply(Model& m) const {
    auto it = m.find(key);
    if (it == m.end()) return 0;
    auto& l = it->second;
    const size_t limit = count < 0 ? -count : count;
    size_t removed = 0;
    std::deque<std::string> kept;
    if (count >= 0) {
      for (const auto& e : l) {
        if (e == elem && (limit == 0 || removed < limit)) {
          ++removed;
        } else {
          kept.push_back(e);
        }
      }
    } else {
      for (auto r = l.rbegin(); r != l.rend(); ++r) {
        if (*r == elem && removed < limit) {
          ++removed;
        } else {
          kept.push_front(*r);
        }
      }
    }
    l = kept;
    if (l.empty()) m.erase(it);
    return removed;
  }
  void apply(Model& m) const override { Apply(m); }
  void run(const Model& m, EngineHarness& h) const override {
    Model copy = m;
    RC_ASSERT(h.Run(std::vector<std::string>{"LREM", key, absl::StrCat(count),
                                             elem}) ==
              absl::StrCat("(integer) ", Apply(copy)));
  }
  void show(std::ostream& os) const override {
    os << "LREM " << key << " " << count << " '" << elem << "'";
  }
};

struct TrimCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t start = *GenIndex();
  int64_t stop = *GenIndex();
  void apply(Model& m) const override {
    auto it = m.find(key);
    if (it == m.end()) return;
    std::deque<std::string> kept;
    const int64_t n = static_cast<int64_t>(it->second.size());
    const int64_t s = start < 0 ? std::max<int64_t>(0, n + start) : start;
    const int64_t e = stop < 0 ? n + stop : std::min(stop, n - 1);
    for (int64_t i = 0; i < n; ++i) {
      if (i >= s && i <= e) kept.push_back(it->second[i]);
    }
    it->second = kept;
    if (kept.empty()) m.erase(it);
  }
  void run(const Model&, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"LTRIM", key, absl::StrCat(start),
                                             absl::StrCat(stop)}) == "OK");
  }
  void show(std::ostream& os) const override {
    os << "LTRIM " << key << " " << start << " " << stop;
  }
};

struct PosCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string elem = *GenElem();
  int64_t rank = *rc::gen::elementOf(std::vector<int64_t>{1, 2, -1, -2});
  int64_t count = *rc::gen::inRange<int64_t>(-1, 3);  // -1: no COUNT
  int64_t maxlen = *rc::gen::inRange<int64_t>(0, 4);
  void run(const Model& m, EngineHarness& h) const override {
    const auto* l = Get(m, key);
    std::vector<int64_t> found;
    if (l != nullptr) {
      const int64_t n = static_cast<int64_t>(l->size());
      int64_t matches = 0;
      for (int64_t k = 0; k < n && (maxlen == 0 || k < maxlen); ++k) {
        const int64_t i = rank > 0 ? k : n - 1 - k;
        if ((*l)[i] != elem) continue;
        if (++matches < std::abs(rank)) continue;
        found.push_back(i);
        if (count == -1 || (count > 0 && found.size() == size_t(count))) break;
      }
    }
    std::vector<std::string> args = {"LPOS",
                                     key,
                                     elem,
                                     "RANK",
                                     absl::StrCat(rank),
                                     "MAXLEN",
                                     absl::StrCat(maxlen)};
    std::string expected;
    if (count == -1) {
      expected = found.empty() ? "(nil)" : absl::StrCat("(integer) ", found[0]);
    } else {
      args.push_back("COUNT");
      args.push_back(absl::StrCat(count));
      std::vector<std::string> parts;
      for (int64_t i : found) parts.push_back(absl::StrCat("(integer) ", i));
      expected = Render(parts);
    }
    RC_ASSERT(h.Run(args) == expected);
  }
  void show(std::ostream& os) const override {
    os << "LPOS " << key << " '" << elem << "' RANK " << rank << " MAXLEN "
       << maxlen << " COUNT " << count;
  }
};

struct MoveCmd : rc::state::Command<Model, EngineHarness> {
  std::string src = *GenKey();
  std::string dst = *GenKey();
  bool from_left = *rc::gen::arbitrary<bool>();
  bool to_left = *rc::gen::arbitrary<bool>();
  void apply(Model& m) const override {
    auto it = m.find(src);
    if (it == m.end()) return;
    std::string e = from_left ? it->second.front() : it->second.back();
    from_left ? it->second.pop_front() : it->second.pop_back();
    if (it->second.empty()) m.erase(it);
    auto& d = m[dst];
    to_left ? d.push_front(e) : d.push_back(e);
  }
  void run(const Model& m, EngineHarness& h) const override {
    const auto* l = Get(m, src);
    std::string expected =
        l == nullptr ? "(nil)" : (from_left ? l->front() : l->back());
    RC_ASSERT(h.Run(std::vector<std::string>{
                  "LMOVE", src, dst, from_left ? "LEFT" : "RIGHT",
                  to_left ? "LEFT" : "RIGHT"}) == expected);
  }
  void show(std::ostream& os) const override {
    os << "LMOVE " << src << " " << dst << " " << from_left << " " << to_left;
  }
};

struct MPopCmd : rc::state::Command<Model, EngineHarness> {
  std::vector<std::string> keys = *rc::gen::container<std::vector<std::string>>(
      *rc::gen::inRange<size_t>(1, 3), GenKey());
  bool left = *rc::gen::arbitrary<bool>();
  int count = *rc::gen::inRange(1, 4);
  // Pops from the model; returns the rendered reply.
  std::string Apply(Model& m) const {
    for (const auto& k : keys) {
      auto it = m.find(k);
      if (it == m.end()) continue;
      std::vector<std::string> popped;
      for (int i = 0; i < count && !it->second.empty(); ++i) {
        popped.push_back(left ? it->second.front() : it->second.back());
        left ? it->second.pop_front() : it->second.pop_back();
      }
      if (it->second.empty()) m.erase(it);
      return absl::StrCat("[", k, ", ", Render(popped), "]");
    }
    return "(nil)";
  }
  void apply(Model& m) const override { Apply(m); }
  void run(const Model& m, EngineHarness& h) const override {
    Model copy = m;
    std::vector<std::string> args = {"LMPOP", absl::StrCat(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    args.push_back(left ? "LEFT" : "RIGHT");
    args.push_back("COUNT");
    args.push_back(absl::StrCat(count));
    RC_ASSERT(h.Run(args) == Apply(copy));
  }
  void show(std::ostream& os) const override {
    os << "LMPOP " << absl::StrJoin(keys, " ") << (left ? " LEFT " : " RIGHT ")
       << count;
  }
};

// Every key of the model exists with its length; no other key exists.
struct CheckAllCmd : rc::state::Command<Model, EngineHarness> {
  void run(const Model& m, EngineHarness& h) const override {
    for (const std::string k : {"a", "b", "c"}) {  // "c" is never used
      const auto* l = Get(m, k);
      RC_ASSERT(h.Run(std::vector<std::string>{"LLEN", k}) ==
                absl::StrCat("(integer) ", l ? l->size() : 0));
      RC_ASSERT(h.Run(std::vector<std::string>{"EXISTS", k}) ==
                absl::StrCat("(integer) ", l ? 1 : 0));
    }
  }
  void show(std::ostream& os) const override { os << "CHECK"; }
};

RC_GTEST_PROP(ListStateMachine, AgreesWithDequeModel, ()) {
  Model model;
  EngineHarness h(Register);
  rc::state::check(
      model, h,
      rc::state::gen::execOneOfWithArgs<
          PushCmd, PushCmd, PopCmd, RangeCmd, IndexCmd, SetCmd, InsertCmd,
          RemCmd, TrimCmd, PosCmd, MoveCmd, MPopCmd, CheckAllCmd>());
}

}  // namespace
}  // namespace twinkv
