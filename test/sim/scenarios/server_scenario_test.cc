// The "server" scenario end to end: a sweep of seeds passes and is
// deterministic; a run replays from its own records (and from a thinned
// workload); planted bugs are caught; core's fault-injection points fire.
//
// Seeds start at TWINKV_TEST_SEED (default 1) and are printed; a failing
// seed replays with `twinkv-sim --scenario=server --seed=N`.

#include "sim/scenarios/server_scenario.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/fault_points.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "sim/scenarios/server_workload.h"
#include "sim/world.h"
#include "test/sim/scenarios/scenario_test_util.h"

namespace twinkv::sim {
namespace {

constexpr int kSeeds = 20;
constexpr double kScale = 0.3;

ScenarioOptions Options(uint64_t seed) { return ScaledOptions(seed, kScale); }

// Runs the sweep once for the whole suite: it is the expensive part.
class ServerScenarioTest : public ::testing::Test {
 protected:
  struct Run {
    uint64_t seed;
    ScenarioResult result;
  };

  static void SetUpTestSuite() {
    runs_ = new std::vector<Run>();
    const uint64_t base = TestBaseSeed();
    std::cout << "seeds " << base << ".." << base + kSeeds - 1
              << " (TWINKV_TEST_SEED=" << base << "), scale " << kScale << "\n";
    ServerScenario scenario;
    absl::Duration simulated;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t seed = base; seed < base + kSeeds; ++seed) {
      runs_->push_back(Run{seed, scenario.Run(Options(seed))});
      simulated += runs_->back().result.simulated;
    }
    const double real_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::cout << kSeeds << " runs: " << absl::ToDoubleSeconds(simulated)
              << " simulated s in " << real_s << " real s ("
              << absl::ToDoubleSeconds(simulated) / real_s
              << " simulated s per real s, " << 60.0 * kSeeds / real_s
              << " seeds per minute)\n";
  }
  static void TearDownTestSuite() {
    delete runs_;
    runs_ = nullptr;
  }

  static std::vector<Run>* runs_;
};

std::vector<ServerScenarioTest::Run>* ServerScenarioTest::runs_ = nullptr;

TEST_F(ServerScenarioTest, SeedsPassAndAreDeterministic) {
  ServerScenario scenario;
  uint64_t unknown_runs = 0, crash_runs = 0;
  for (const Run& run : *runs_) {
    std::cout << DescribeRun(run.seed, run.result) << "\n";
    EXPECT_TRUE(run.result.ok()) << DescribeRun(run.seed, run.result);
    EXPECT_NE(run.result.workload.size(), 0u) << "seed " << run.seed;
    EXPECT_TRUE(absl::StrContains(run.result.stats, "ops="));
    unknown_runs += !absl::StrContains(run.result.stats, " unknown=0 ");
    crash_runs += !absl::StrContains(run.result.stats, " crashes=0 ");
    const ScenarioResult again = scenario.Run(Options(run.seed));
    EXPECT_EQ(again.trace_hash, run.result.trace_hash) << "seed " << run.seed;
    EXPECT_EQ(again.workload, run.result.workload) << "seed " << run.seed;
    EXPECT_EQ(again.failure, run.result.failure) << "seed " << run.seed;
  }
  // The sweep must actually stress the oracle: lost replies and crashes.
  EXPECT_GT(unknown_runs, 0u);
  EXPECT_GT(crash_runs, 0u);
}

TEST_F(ServerScenarioTest, EveryTypeIsExercisedInEverySeed) {
  for (const Run& run : *runs_) {
    std::map<std::string, int> seen;
    for (const std::string& line : run.result.workload) {
      std::optional<WorkloadOp> op = ParseWorkloadOp(line);
      ASSERT_TRUE(op.has_value()) << line;
      ++seen[op->args[0]];
    }
    for (const char* command : {"SET", "GET", "LPUSH", "LRANGE", "HSET",
                                "HGETALL", "SADD", "SMEMBERS", "ZADD", "ZRANGE",
                                "PEXPIRE"}) {
      EXPECT_GT(seen[command], 0) << "seed " << run.seed << ": no " << command;
    }
  }
}

bool SameEvents(const std::vector<EventRecord>& a,
                const std::vector<EventRecord>& b, std::string* where) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i].at_ns != b[i].at_ns || a[i].node != b[i].node ||
        a[i].kind != b[i].kind || a[i].detail != b[i].detail) {
      *where = absl::StrCat(
          "event ", i, ": t=", a[i].at_ns, " node=", a[i].node, " ",
          EventKindName(a[i].kind), " ", a[i].detail, " vs t=", b[i].at_ns,
          " node=", b[i].node, " ", EventKindName(b[i].kind), " ", b[i].detail);
      return false;
    }
  }
  if (a.size() != b.size()) {
    *where = absl::StrCat("lengths ", a.size(), " vs ", b.size());
    return false;
  }
  return true;
}

TEST_F(ServerScenarioTest, ReplayingItsOwnRecordsGivesTheSameRun) {
  ServerScenario scenario;
  for (size_t i = 0; i < runs_->size(); i += 4) {
    const uint64_t seed = (*runs_)[i].seed;
    ScenarioOptions o = Options(seed);
    o.event_log = true;
    const ScenarioResult run = scenario.Run(o);
    ASSERT_EQ(run.trace_hash, (*runs_)[i].result.trace_hash)
        << "seed " << seed << ": the event log changed the run";
    o.schedule = run.fault_record;
    o.workload = run.workload;
    const ScenarioResult replay = scenario.Run(o);
    EXPECT_EQ(replay.failure, run.failure) << "seed " << seed;
    EXPECT_EQ(replay.workload, run.workload) << "seed " << seed;
    EXPECT_EQ(replay.fault_record, run.fault_record) << "seed " << seed;
    EXPECT_EQ(replay.stats, run.stats) << "seed " << seed;
    std::string where;
    EXPECT_TRUE(SameEvents(run.event_log, replay.event_log, &where))
        << "seed " << seed << ": " << where;
    // The generator's look-ahead wake-up after the faults stop is dropped
    // untraced, so a replay is the same run to the hash.
    EXPECT_EQ(replay.trace_hash, run.trace_hash) << "seed " << seed;
  }
}

TEST_F(ServerScenarioTest, ThinnedWorkloadsAndSchedulesStayValid) {
  // What the runner's shrinker does: drop lines and faults. A sound oracle
  // raises no alarm on the remains.
  ServerScenario scenario;
  for (size_t i = 1; i < runs_->size(); i += 4) {
    const Run& run = (*runs_)[i];
    ScenarioOptions o = Options(run.seed);
    std::vector<std::string> lines;
    for (size_t j = 0; j < run.result.workload.size(); ++j) {
      if (j % 3 != 1) lines.push_back(run.result.workload[j]);
    }
    std::vector<ScheduledFault> faults;
    for (size_t j = 0; j < run.result.fault_record.size(); j += 2) {
      faults.push_back(run.result.fault_record[j]);
    }
    o.workload = lines;
    o.schedule = faults;
    const ScenarioResult thinned = scenario.Run(o);
    EXPECT_TRUE(thinned.ok()) << DescribeRun(run.seed, thinned);
    EXPECT_LE(thinned.workload.size(), lines.size());
  }
}

TEST_F(ServerScenarioTest, CatchesACorruptedReply) {
  ServerScenario scenario;
  scenario.set_sabotage(ServerScenario::Sabotage::kCorruptReply);
  int fired = 0;
  for (uint64_t seed = TestBaseSeed(); seed < TestBaseSeed() + 4; ++seed) {
    const ScenarioResult r = scenario.Run(Options(seed));
    if (!scenario.sabotage_fired()) continue;
    ++fired;
    EXPECT_FALSE(r.ok()) << "seed " << seed << ": corrupted reply not caught";
    EXPECT_TRUE(absl::StrContains(r.failure, "~")) << r.failure;
  }
  EXPECT_GT(fired, 0);
}

TEST_F(ServerScenarioTest, CatchesAForgottenWrite) {
  ServerScenario scenario;
  scenario.set_sabotage(ServerScenario::Sabotage::kDropModelWrite);
  int fired = 0, caught = 0;
  for (uint64_t seed = TestBaseSeed(); seed < TestBaseSeed() + 6; ++seed) {
    const ScenarioResult r = scenario.Run(Options(seed));
    fired += scenario.sabotage_fired();
    caught += scenario.sabotage_fired() && !r.ok();
    // Without the sabotage these seeds pass (see the sweep), so a failure
    // here is the forgotten write being noticed.
    if (!r.ok())
      std::cout << "seed " << seed << " caught: " << r.failure << "\n";
  }
  EXPECT_GT(fired, 0);
  EXPECT_GT(caught, 0);
}

TEST_F(ServerScenarioTest, CatchesAServerThatLosesAKey) {
  ServerScenario scenario;
  scenario.set_sabotage(ServerScenario::Sabotage::kServerDropsKey);
  int fired = 0;
  for (uint64_t seed = TestBaseSeed(); seed < TestBaseSeed() + 4; ++seed) {
    const ScenarioResult r = scenario.Run(Options(seed));
    if (!scenario.sabotage_fired()) continue;
    ++fired;
    EXPECT_FALSE(r.ok()) << "seed " << seed << ": lost key not caught";
  }
  EXPECT_GT(fired, 0);
}

TEST_F(ServerScenarioTest, FaultPointsFire) {
  // Over the sweep, as the seeds decide.
  std::map<std::string, uint64_t> fired;
  for (const Run& run : *runs_) {
    for (const BuggifyPointReport& p : run.result.buggify) {
      fired[p.point] += p.fired;
    }
  }
  int points_fired = 0;
  for (absl::string_view point : kFaultPoints) {
    const uint64_t n = fired[std::string(point)];
    std::cout << "sweep: " << point << " fired " << n << " times\n";
    EXPECT_TRUE(fired.count(std::string(point))) << point << " never reached";
    points_fired += n > 0;
  }
  EXPECT_GT(points_fired, 0);

  // Forced on: every point fires, and the runs still pass.
  ServerScenario scenario;
  scenario.set_force_buggify(0.2);
  std::map<std::string, uint64_t> forced;
  for (uint64_t seed = TestBaseSeed(); seed < TestBaseSeed() + 3; ++seed) {
    const ScenarioResult r = scenario.Run(Options(seed));
    EXPECT_TRUE(r.ok()) << DescribeRun(seed, r);
    for (const BuggifyPointReport& p : r.buggify) forced[p.point] += p.fired;
  }
  // The scenario's server has no AOF (no persistence yet), so only the
  // server's own points can be reached here.
  for (absl::string_view point : kFaultPoints) {
    if (!absl::StartsWith(point, "server.")) continue;
    EXPECT_GT(forced[std::string(point)], 0u) << point;
  }
}

}  // namespace
}  // namespace twinkv::sim
