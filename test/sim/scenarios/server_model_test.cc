// The "server" scenario's oracle on its own: the model against the real
// Engine (no network, a hand-driven clock, wall-clock jumps both ways), its
// handling of time windows and lost replies, and Redis's number grammar.
//
// The differential test is the model's calibration: with every outcome
// known exactly, any disagreement is a bug in the model or in core/ (check
// redis-server to tell which). Its seed comes from TWINKV_TEST_SEED
// (default 1) and is printed.

#include "sim/scenarios/server_model.h"

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/families.h"
#include "gtest/gtest.h"
#include "sim/prng.h"
#include "sim/scenarios/server_workload.h"
#include "test/core/engine_test_util.h"

namespace twinkv::sim {
namespace {

uint64_t BaseSeed() {
  uint64_t seed = 1;
  if (const char* env = std::getenv("TWINKV_TEST_SEED")) {
    (void)absl::SimpleAtoi(env, &seed);
  }
  return seed;
}

std::vector<std::string> Resolve(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    if (a.size() >= 2 && a[0] == '@' && a[1] >= '0' && a[1] <= '9') {
      out.push_back(absl::StrCat("c0:k", a[1] - '0'));
    } else if (!a.empty() && a[0] == '@') {
      out.push_back(absl::StrCat("c0:", a.substr(1)));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

TEST(ServerModelTest, AgreesWithTheEngineOnRandomWorkloads) {
  const uint64_t base = BaseSeed();
  for (uint64_t seed = base; seed < base + 6; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (TWINKV_TEST_SEED=", base, ")"));
    EngineHarness h(RegisterAllFamilies);
    KeyspaceModel model;
    WorkloadGenerator gen(0, seed, /*slots=*/8, absl::Milliseconds(20));
    SimRandom jumps(seed ^ 0x5eed);
    int64_t high_water = 0;
    // Commands that returned a non-empty array: every type must be read
    // with something in it in every seed.
    std::set<std::string> filled;
    for (int i = 0; i < 4000; ++i) {
      // The engine's clock: the wall clock read at its start, then
      // monotonic (Engine::NowMs).
      const int64_t wall_ms = h.engine().NowMs();
      WorkloadOp op = gen.Next(wall_ms);
      h.runtime().Advance(absl::Microseconds(op.think_us));
      if (jumps.Bernoulli(0.002)) {
        // Back or forth by up to 3 s: the engine's clock must not follow.
        h.runtime().JumpWall(absl::Milliseconds(
            static_cast<int64_t>(jumps.Uniform(6001)) - 3000));
      }
      const std::vector<std::string> args = Resolve(op.args);
      const int64_t now = h.engine().NowMs();
      high_water = std::max(high_water, now);
      const Reply reply =
          h.RunReply(std::vector<absl::string_view>(args.begin(), args.end()));
      std::vector<std::string> retire;
      const std::string error =
          model.Observe(args, ExecWindow{now, now}, high_water, reply, &retire);
      ASSERT_EQ(error, "") << "op #" << i << ": " << absl::StrJoin(args, " ");
      if (reply.type == Reply::Type::kArray && !reply.elements.empty()) {
        filled.insert(CommandName(args));
      }
      if (i % 97 == 0) {
        const std::string dbsize_error =
            model.Observe({"DBSIZE"}, ExecWindow{now, now}, high_water,
                          h.RunReply({"DBSIZE"}), &retire);
        ASSERT_EQ(dbsize_error, "") << "after op #" << i;
      }
    }
    EXPECT_EQ(model.unknown_keys(), 0u);
    for (const char* read : {"MGET", "LRANGE", "HGETALL", "SMEMBERS", "SINTER",
                             "ZRANGE", "ZPOPMIN", "LPOP", "RPOP"}) {
      EXPECT_TRUE(filled.count(read)) << read << " never read anything";
    }
  }
}

TEST(ServerModelTest, CatchesAWrongValue) {
  KeyspaceModel model;
  std::vector<std::string> retire;
  const ExecWindow w{1000, 1000};
  ASSERT_EQ(
      model.Observe({"SET", "k", "a"}, w, 1000, Reply::Status("OK"), &retire),
      "");
  EXPECT_EQ(model.Observe({"GET", "k"}, w, 1000, Reply::Bulk("a"), &retire),
            "");
  EXPECT_NE(model.Observe({"GET", "k"}, w, 1000, Reply::Bulk("b"), &retire),
            "");
  EXPECT_NE(model.Observe({"GET", "k"}, w, 1000, Reply::Null(), &retire), "");
  EXPECT_NE(
      model.Observe({"APPEND", "k", "x"}, w, 1000, Reply::Integer(1), &retire),
      "");
}

TEST(ServerModelTest, TtlWindows) {
  KeyspaceModel model;
  std::vector<std::string> retire;
  // Ran somewhere in [1000, 1010]: expires somewhere in [1100, 1110].
  ASSERT_EQ(model.Observe({"SET", "k", "v", "PX", "100"}, {1000, 1010}, 1010,
                          Reply::Status("OK"), &retire),
            "");
  // Surely before the expiry: only present.
  EXPECT_NE(
      model.Observe({"GET", "k"}, {1050, 1060}, 1060, Reply::Null(), &retire),
      "");
  EXPECT_EQ(model.Observe({"GET", "k"}, {1050, 1060}, 1060, Reply::Bulk("v"),
                          &retire),
            "");
  // Inside the expiry window: either.
  KeyspaceModel copy = model;
  EXPECT_EQ(
      copy.Observe({"GET", "k"}, {1105, 1105}, 1105, Reply::Bulk("v"), &retire),
      "");
  EXPECT_EQ(
      model.Observe({"GET", "k"}, {1105, 1105}, 1105, Reply::Null(), &retire),
      "");
  // Seen gone: gone for good, even if the clock jumps back.
  EXPECT_NE(
      model.Observe({"GET", "k"}, {900, 900}, 1105, Reply::Bulk("v"), &retire),
      "");
  // Surely after the expiry: only absent.
  EXPECT_NE(
      copy.Observe({"GET", "k"}, {1200, 1200}, 1200, Reply::Bulk("v"), &retire),
      "");
}

TEST(ServerModelTest, LostRepliesAllowBothOutcomesAndRetireTheKeys) {
  KeyspaceModel model;
  std::vector<std::string> retire;
  const ExecWindow w{1000, 1000};
  ASSERT_EQ(
      model.Observe({"SET", "k", "1"}, w, 1000, Reply::Status("OK"), &retire),
      "");
  // INCR k, then APPEND k x, both unanswered: a prefix of them ran.
  model.Uncertain({{"INCR", "k"}, {"GET", "k"}, {"APPEND", "k", "x"}}, &retire);
  ASSERT_EQ(retire, std::vector<std::string>{"k"});
  EXPECT_TRUE(model.state("k").retired);
  for (const char* v : {"1", "2", "2x"}) {
    EXPECT_EQ(model.Observe({"GET", "k"}, w, 1000, Reply::Bulk(v), &retire), "")
        << v;
  }
  // A retired key is not narrowed: another state may still show up.
  EXPECT_EQ(model.Observe({"GET", "k"}, w, 1000, Reply::Bulk("1"), &retire),
            "");
  EXPECT_NE(model.Observe({"GET", "k"}, w, 1000, Reply::Bulk("1x"), &retire),
            "");
  EXPECT_NE(model.Observe({"GET", "k"}, w, 1000, Reply::Null(), &retire), "");
}

TEST(ServerModelTest, KeysAndDbSize) {
  KeyspaceModel model;
  std::vector<std::string> retire;
  const ExecWindow w{1000, 1000};
  ASSERT_EQ(model.Observe({"MSET", "c1:a", "1", "c1:b", "2", "c2:a", "3"}, w,
                          1000, Reply::Status("OK"), &retire),
            "");
  auto keys = [](std::vector<std::string> names) {
    std::vector<Reply> out;
    for (const std::string& n : names) out.push_back(Reply::Bulk(n));
    return Reply::Array(std::move(out));
  };
  EXPECT_EQ(
      model.Observe({"KEYS", "c1:*"}, w, 1000, keys({"c1:b", "c1:a"}), &retire),
      "");
  EXPECT_NE(model.Observe({"KEYS", "c1:*"}, w, 1000, keys({"c1:a"}), &retire),
            "");
  EXPECT_NE(model.Observe({"KEYS", "c1:*"}, w, 1000,
                          keys({"c1:a", "c1:b", "c1:c"}), &retire),
            "");
  EXPECT_EQ(model.Observe({"DBSIZE"}, w, 1000, Reply::Integer(3), &retire), "");
  EXPECT_NE(model.Observe({"DBSIZE"}, w, 1000, Reply::Integer(2), &retire), "");
}

TEST(ServerModelTest, RedisNumberGrammar) {
  int64_t v;
  EXPECT_TRUE(RedisParseInt("0", &v));
  EXPECT_TRUE(RedisParseInt("-9223372036854775808", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
  for (const char* bad :
       {"", "-", "-0", "007", "+1", " 1", "1 ", "1.0", "9223372036854775808"}) {
    EXPECT_FALSE(RedisParseInt(bad, &v)) << bad;
  }
  long double d;
  EXPECT_TRUE(RedisParseLongDouble("1e2", &d));
  EXPECT_EQ(d, 100);
  EXPECT_TRUE(RedisParseLongDouble("007", &d));
  EXPECT_FALSE(RedisParseLongDouble(" 1", &d));
  EXPECT_FALSE(RedisParseLongDouble("nan", &d));
  EXPECT_FALSE(RedisParseLongDouble("c1_2a", &d));
  EXPECT_EQ(RedisFormatLongDouble(3.75L), "3.75");
  EXPECT_EQ(RedisFormatLongDouble(100.0L), "100");
  EXPECT_EQ(RedisFormatLongDouble(-0.0L), "0");
  EXPECT_EQ(RedisFormatLongDouble(-1.5L), "-1.5");
}

TEST(ServerModelTest, WorkloadLinesRoundTrip) {
  WorkloadGenerator gen(3, 42, 8, absl::Milliseconds(3));
  for (int i = 0; i < 500; ++i) {
    const WorkloadOp op = gen.Next(1767225600000);
    const std::string line = FormatWorkloadOp(op);
    std::optional<WorkloadOp> back = ParseWorkloadOp(line);
    ASSERT_TRUE(back.has_value()) << line;
    EXPECT_EQ(back->client, 3);
    EXPECT_EQ(back->think_us, op.think_us);
    EXPECT_EQ(back->args, op.args) << line;
  }
  EXPECT_FALSE(ParseWorkloadOp("x3 1 GET @1").has_value());
  EXPECT_FALSE(ParseWorkloadOp("c3 GET").has_value());
}

// Helpers for the aggregate tests: one model, commands run at t=1000.
class AggregateModelTest : public ::testing::Test {
 protected:
  std::string Obs(std::vector<std::string> args, const Reply& reply,
                  ExecWindow w = {1000, 1000}, int64_t high_water = -1) {
    std::vector<std::string> retire;
    return model_.Observe(args, w, high_water < 0 ? w.hi : high_water, reply,
                          &retire);
  }
  // Asserts `args` is allowed to reply `reply` (and narrows the model).
  void Ok(std::vector<std::string> args, const Reply& reply) {
    ASSERT_EQ(Obs(args, reply), "") << absl::StrJoin(args, " ");
  }
  // Whether the model would refuse `reply`, without changing it.
  bool Refuses(std::vector<std::string> args, const Reply& reply,
               ExecWindow w = {1000, 1000}) {
    KeyspaceModel copy = model_;
    std::vector<std::string> retire;
    return !copy.Observe(args, w, w.hi, reply, &retire).empty();
  }
  static Reply Arr(std::vector<std::string> items) {
    std::vector<Reply> out;
    for (const std::string& s : items) out.push_back(Reply::Bulk(s));
    return Reply::Array(std::move(out));
  }
  static Reply Int(int64_t v) { return Reply::Integer(v); }
  static Reply Err(absl::string_view s) { return Reply::Error(s); }
  static constexpr absl::string_view kWrongType =
      "WRONGTYPE Operation against a key holding the wrong kind of value";

  KeyspaceModel model_;
};

TEST_F(AggregateModelTest, Lists) {
  Ok({"RPUSH", "l", "a", "b"}, Int(2));
  EXPECT_TRUE(Refuses({"LPUSH", "l", "c"}, Int(1)));
  Ok({"LPUSH", "l", "c", "d"}, Int(4));  // d c a b
  EXPECT_TRUE(Refuses({"LRANGE", "l", "0", "-1"}, Arr({"c", "d", "a", "b"})));
  Ok({"LRANGE", "l", "0", "-1"}, Arr({"d", "c", "a", "b"}));
  Ok({"LRANGE", "l", "-2", "10"}, Arr({"a", "b"}));
  Ok({"LRANGE", "l", "3", "1"}, Arr({}));
  Ok({"LINDEX", "l", "-1"}, Reply::Bulk("b"));
  Ok({"LINDEX", "l", "4"}, Reply::Null());
  EXPECT_TRUE(Refuses({"LLEN", "l"}, Int(3)));
  Ok({"LMOVE", "l", "l", "LEFT", "RIGHT"}, Reply::Bulk("d"));  // c a b d
  Ok({"LMOVE", "l", "m", "RIGHT", "LEFT"}, Reply::Bulk("d"));  // m: d
  Ok({"LMOVE", "l", "m", "UP", "LEFT"}, Err("ERR syntax error"));
  Ok({"RPUSH", "l", "a", "c", "a"}, Int(6));  // c a b a c a
  Ok({"LREM", "l", "-2", "a"}, Int(2));       // c a b c
  Ok({"LREM", "l", "0", "c"}, Int(2));        // a b
  Ok({"LRANGE", "l", "0", "-1"}, Arr({"a", "b"}));
  Ok({"LPOP", "l", "0"}, Arr({}));
  Ok({"LPOP", "l", "-1"}, Err("ERR value is out of range, must be positive"));
  EXPECT_TRUE(Refuses({"RPOP", "l"}, Reply::Bulk("a")));
  Ok({"RPOP", "l", "5"}, Arr({"b", "a"}));
  // The emptied list is gone.
  Ok({"EXISTS", "l"}, Int(0));
  Ok({"LPOP", "l"}, Reply::Null());
  Ok({"LPOP", "l", "2"}, Reply::Null());
  Ok({"LTRIM", "m", "1", "-1"}, Reply::Status("OK"));
  Ok({"TYPE", "m"}, Reply::Status("none"));
}

TEST_F(AggregateModelTest, HashesCompareAsMultisets) {
  Ok({"HSET", "h", "f1", "1", "f2", "x"}, Int(2));
  Ok({"HSET", "h", "f1", "5", "f3", "y"}, Int(1));
  // Any order of pairs, but the pairs must stay pairs.
  Ok({"HGETALL", "h"}, Arr({"f3", "y", "f1", "5", "f2", "x"}));
  Ok({"HGETALL", "h"}, Arr({"f1", "5", "f2", "x", "f3", "y"}));
  EXPECT_TRUE(Refuses({"HGETALL", "h"}, Arr({"f1", "x", "f2", "5", "f3", "y"})));
  EXPECT_TRUE(Refuses({"HGETALL", "h"}, Arr({"f1", "5", "f2", "x"})));
  EXPECT_TRUE(Refuses({"HGETALL", "h"}, Arr({"f1", "5", "f2", "x", "f3"})));
  Ok({"HINCRBY", "h", "f1", "-7"}, Int(-2));
  Ok({"HINCRBY", "h", "f2", "1"}, Err("ERR hash value is not an integer"));
  Ok({"HINCRBY", "h", "f2", "x"},
     Err("ERR value is not an integer or out of range"));
  Ok({"HSET", "h", "f9"}, Err("ERR wrong number of arguments for 'hset' command"));
  Ok({"HGET", "h", "f1"}, Reply::Bulk("-2"));
  EXPECT_TRUE(Refuses({"HLEN", "h"}, Int(2)));
  Ok({"HDEL", "h", "f1", "f2", "f4"}, Int(2));
  Ok({"HDEL", "h", "f3"}, Int(1));
  Ok({"HGETALL", "h"}, Arr({}));
  Ok({"TYPE", "h"}, Reply::Status("none"));
}

TEST_F(AggregateModelTest, SetsCompareAsMultisets) {
  Ok({"SADD", "s", "a", "b", "a"}, Int(2));
  Ok({"SADD", "t", "b", "c"}, Int(2));
  Ok({"SMEMBERS", "s"}, Arr({"b", "a"}));
  EXPECT_TRUE(Refuses({"SMEMBERS", "s"}, Arr({"a", "b", "b"})));
  EXPECT_TRUE(Refuses({"SMEMBERS", "s"}, Arr({"a"})));
  Ok({"SINTER", "s", "t"}, Arr({"b"}));
  Ok({"SINTER", "s", "nokey"}, Arr({}));
  Ok({"SISMEMBER", "t", "c"}, Int(1));
  // The destination's old type goes; missing sources are empty sets.
  Ok({"SET", "u", "str"}, Reply::Status("OK"));
  Ok({"SUNIONSTORE", "u", "s", "t", "nokey"}, Int(3));
  Ok({"SCARD", "u"}, Int(3));
  Ok({"SUNIONSTORE", "u", "nokey"}, Int(0));
  Ok({"EXISTS", "u"}, Int(0));
  Ok({"SREM", "s", "a", "z"}, Int(1));
  EXPECT_TRUE(Refuses({"SCARD", "s"}, Int(2)));
}

TEST_F(AggregateModelTest, SortedSetsOrderByScoreThenMember) {
  Ok({"ZADD", "z", "2", "b", "1", "c", "2", "a"}, Int(3));
  Ok({"ZRANGE", "z", "0", "-1"}, Arr({"c", "a", "b"}));
  EXPECT_TRUE(Refuses({"ZRANGE", "z", "0", "-1"}, Arr({"c", "b", "a"})));
  Ok({"ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"},
     Arr({"b", "2", "a", "2", "c", "1"}));
  Ok({"ZADD", "z", "1.1", "d"}, Int(1));
  Ok({"ZSCORE", "z", "d"}, Reply::Bulk("1.1000000000000001"));
  EXPECT_TRUE(Refuses({"ZSCORE", "z", "d"}, Reply::Bulk("1.1")));
  Ok({"ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2"},
     Arr({"a", "b"}));
  Ok({"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "1",
      "WITHSCORES"},
     Arr({"b", "2"}));
  Ok({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"},
     Err("ERR syntax error, LIMIT is only supported in combination with "
         "either BYSCORE or BYLEX"));
  Ok({"ZRANGE", "z", "x", "1", "BYSCORE"}, Err("ERR min or max is not a float"));
  // Flags: GT only raises, CH counts changes, XX never adds, INCR replies
  // the score or nil.
  Ok({"ZADD", "z", "GT", "CH", "1", "a", "3", "b", "0", "e"}, Int(2));
  Ok({"ZADD", "z", "XX", "5", "f"}, Int(0));
  Ok({"ZADD", "z", "LT", "INCR", "1", "a"}, Reply::Null());
  Ok({"ZADD", "z", "INCR", "-0.5", "a"}, Reply::Bulk("1.5"));
  Ok({"ZADD", "nz", "XX", "INCR", "1", "a"}, Reply::Null());
  Ok({"EXISTS", "nz"}, Int(0));
  Ok({"ZADD", "z", "NX", "XX", "1", "a"},
     Err("ERR XX and NX options at the same time are not compatible"));
  Ok({"ZADD", "z", "GT", "LT", "1", "a"},
     Err("ERR GT, LT, and/or NX options at the same time are not compatible"));
  Ok({"ZADD", "z", "INCR", "1", "a", "2", "b"},
     Err("ERR INCR option supports a single increment-element pair"));
  Ok({"ZADD", "z", "1", "a", "2"}, Err("ERR syntax error"));
  Ok({"ZADD", "z", "abc", "a"}, Err("ERR value is not a valid float"));
  // e 0, c 1, d 1.1, a 1.5, b 3
  Ok({"ZRANK", "z", "a"}, Int(3));
  EXPECT_TRUE(Refuses({"ZRANK", "z", "a"}, Int(2)));
  Ok({"ZINCRBY", "z", "2.5", "e"}, Reply::Bulk("2.5"));  // c d a e b
  Ok({"ZPOPMIN", "z", "2"}, Arr({"c", "1", "d", "1.1000000000000001"}));
  Ok({"ZPOPMIN", "z"}, Arr({"a", "1.5"}));
  Ok({"ZPOPMIN", "nz"}, Arr({}));
  Ok({"ZREM", "z", "e", "b", "x"}, Int(2));
  Ok({"ZCARD", "z"}, Int(0));
  Ok({"TYPE", "z"}, Reply::Status("none"));
}

TEST_F(AggregateModelTest, WrongTypeOnSharedKeys) {
  Ok({"LPUSH", "k", "a"}, Int(1));
  Ok({"TYPE", "k"}, Reply::Status("list"));
  Ok({"GET", "k"}, Err(kWrongType));
  EXPECT_TRUE(Refuses({"GET", "k"}, Reply::Null()));
  Ok({"MGET", "k"}, Reply::Array({Reply::Null()}));
  Ok({"SADD", "k", "x"}, Err(kWrongType));
  Ok({"HSET", "k", "f", "v"}, Err(kWrongType));
  Ok({"ZADD", "k", "1", "m"}, Err(kWrongType));
  Ok({"INCR", "k"}, Err(kWrongType));
  Ok({"SET", "k", "v", "GET"}, Err(kWrongType));
  Ok({"LLEN", "k"}, Int(1));  // still the list
  Ok({"SINTER", "nokey", "k"}, Err(kWrongType));
  Ok({"LMOVE", "k", "str", "LEFT", "LEFT"}, Reply::Bulk("a"));  // str absent
  Ok({"SET", "str", "v"}, Reply::Status("OK"));
  Ok({"RPUSH", "k", "b"}, Int(1));
  Ok({"LMOVE", "k", "str", "LEFT", "LEFT"}, Err(kWrongType));
  Ok({"LLEN", "k"}, Int(1));
  // SET replaces any type; RENAME moves it.
  Ok({"SET", "k", "v"}, Reply::Status("OK"));
  Ok({"LPUSH", "k", "a"}, Err(kWrongType));
  Ok({"SADD", "s", "m"}, Int(1));
  Ok({"RENAME", "s", "k"}, Reply::Status("OK"));
  Ok({"TYPE", "k"}, Reply::Status("set"));
  EXPECT_TRUE(Refuses({"TYPE", "k"}, Reply::Status("string")));
}

TEST_F(AggregateModelTest, ExpiryOnAggregates) {
  Ok({"RPUSH", "l", "a"}, Int(1));
  // Ran in [1000, 1010]: the list expires in [1100, 1110].
  ASSERT_EQ(Obs({"PEXPIRE", "l", "100"}, Int(1), {1000, 1010}), "");
  EXPECT_TRUE(Refuses({"LLEN", "l"}, Int(0), {1050, 1050}));
  EXPECT_FALSE(Refuses({"LLEN", "l"}, Int(0), {1105, 1105}));
  EXPECT_FALSE(Refuses({"LLEN", "l"}, Int(1), {1105, 1105}));
  EXPECT_TRUE(Refuses({"LLEN", "l"}, Int(1), {1200, 1200}));
  // LPUSH onto the expired list makes a new one without a TTL.
  ASSERT_EQ(Obs({"LPUSH", "l", "b"}, Int(1), {1200, 1200}), "");
  EXPECT_TRUE(Refuses({"LLEN", "l"}, Int(0), {5000, 5000}));
  ASSERT_EQ(Obs({"EXPIRE", "l", "2"}, Int(1), {5000, 5000}), "");
  ASSERT_EQ(Obs({"PERSIST", "l"}, Int(1), {5000, 5000}), "");
  ASSERT_EQ(Obs({"PERSIST", "l"}, Int(0), {5000, 5000}), "");
  EXPECT_TRUE(Refuses({"LLEN", "l"}, Int(0), {9000, 9000}));
  // A non-positive TTL deletes at once.
  ASSERT_EQ(Obs({"EXPIRE", "l", "-1"}, Int(1), {9000, 9000}), "");
  ASSERT_EQ(Obs({"EXISTS", "l"}, Int(0), {9000, 9000}), "");
  ASSERT_EQ(Obs({"PEXPIRE", "l", "10"}, Int(0), {9000, 9000}), "");
}

TEST_F(AggregateModelTest, PersistOnAKeyThatMayHaveNoTtlMayReplyZero) {
  // Seed 231: GETEX PXAT set a TTL that may have passed when SET KEEPTTL
  // ran, so the key has the TTL or (recreated) none; the model holds both
  // as one expiry interval open to "never". PERSIST may then reply 0 and
  // the key is still there.
  ASSERT_EQ(Obs({"SET", "k", "a"}, Reply::Status("OK")), "");
  ASSERT_EQ(Obs({"GETEX", "k", "PXAT", "1100"}, Reply::Bulk("a"), {1000, 1090}),
            "");
  ASSERT_EQ(Obs({"SET", "k", "b", "KEEPTTL"}, Reply::Status("OK"), {1090, 1110}),
            "");
  EXPECT_FALSE(Refuses({"PERSIST", "k"}, Int(1), {1095, 1120}));
  ASSERT_EQ(Obs({"PERSIST", "k"}, Int(0), {1095, 1120}), "");
  EXPECT_EQ(Obs({"GET", "k"}, Reply::Bulk("b"), {5000, 5000}), "");
  // Surely without a TTL: only 0.
  ASSERT_EQ(Obs({"SET", "j", "a"}, Reply::Status("OK")), "");
  EXPECT_TRUE(Refuses({"PERSIST", "j"}, Int(1)));
}

TEST_F(AggregateModelTest, LostNonIdempotentWritesKeepEveryPrefix) {
  Ok({"RPUSH", "l", "a"}, Int(1));
  Ok({"ZADD", "z", "1", "m"}, Int(1));
  std::vector<std::string> retire;
  model_.Uncertain({{"LPUSH", "l", "x"},
                    {"ZINCRBY", "z", "2", "m"},
                    {"LPOP", "l"},
                    {"LPOP", "l"}},
                   &retire);
  EXPECT_TRUE(model_.state("l").retired);
  EXPECT_TRUE(model_.state("z").retired);
  // l: [a], [x a], [a], [] ; z: m=1 or m=3.
  for (const Reply& r : {Int(0), Int(1), Int(2)}) {
    EXPECT_EQ(Obs({"LLEN", "l"}, r), "") << r.DebugString();
  }
  EXPECT_TRUE(Refuses({"LLEN", "l"}, Int(3)));
  EXPECT_EQ(Obs({"LRANGE", "l", "0", "-1"}, Arr({"x", "a"})), "");
  EXPECT_TRUE(Refuses({"LRANGE", "l", "0", "-1"}, Arr({"x"})));
  EXPECT_EQ(Obs({"ZSCORE", "z", "m"}, Reply::Bulk("3")), "");
  EXPECT_EQ(Obs({"ZSCORE", "z", "m"}, Reply::Bulk("1")), "");
  EXPECT_TRUE(Refuses({"ZSCORE", "z", "m"}, Reply::Bulk("5")));
}

}  // namespace
}  // namespace twinkv::sim
