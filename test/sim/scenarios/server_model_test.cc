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
    WorkloadGenerator gen(0, seed, /*slots=*/4, absl::Milliseconds(20));
    SimRandom jumps(seed ^ 0x5eed);
    int64_t high_water = 0;
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
      if (i % 97 == 0) {
        const std::string dbsize_error =
            model.Observe({"DBSIZE"}, ExecWindow{now, now}, high_water,
                          h.RunReply({"DBSIZE"}), &retire);
        ASSERT_EQ(dbsize_error, "") << "after op #" << i;
      }
    }
    EXPECT_EQ(model.unknown_keys(), 0u);
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

}  // namespace
}  // namespace twinkv::sim
