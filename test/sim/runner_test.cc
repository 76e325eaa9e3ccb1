// The runner's own checks, on toy scenarios whose behaviour is known: a
// sound scenario passes twice with one hash; a planted nondeterminism is
// caught and its first divergent event named; a failure that needs one
// particular fault and one particular workload line shrinks to exactly
// those two.

#include "sim/runner.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

// Runs a node with a chain of timers; `wobble` (state kept across runs, as
// a bug might keep it in a static) changes one timer's delay on every
// other run.
class ToyScenario : public Scenario {
 public:
  explicit ToyScenario(bool nondeterministic)
      : nondeterministic_(nondeterministic) {}
  absl::string_view name() const override { return "toy"; }
  absl::string_view description() const override { return "toy"; }

  ScenarioResult Run(const ScenarioOptions& options) override {
    World world(options.seed);
    if (options.event_log) world.EnableEventLog();
    Node& node = world.AddNode("n", "10.0.0.1");
    ++runs_;
    int fired = 0;
    for (int i = 0; i < 20; ++i) {
      absl::Duration delay = absl::Milliseconds(i * 3 + node.random().Uniform(5));
      if (nondeterministic_ && i == 12 && runs_ % 2 == 0) {
        delay += absl::Microseconds(1);
      }
      node.executor().Schedule(delay, [&fired] { ++fired; });
    }
    world.RunUntilIdle();
    ScenarioResult r;
    r.trace_hash = world.trace_hash();
    r.simulated = world.now();
    r.events = world.events_run();
    if (options.event_log) r.event_log = world.event_log();
    if (fired != 20) r.failure = "timers lost";
    return r;
  }

 private:
  const bool nondeterministic_;
  int runs_ = 0;
};

TEST(RunnerTest, SoundScenarioIsDeterministic) {
  ToyScenario scenario(false);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    ScenarioOptions options;
    options.seed = seed;
    SeedRun run = RunSeed(scenario, options, /*check_determinism=*/true);
    EXPECT_TRUE(run.ok()) << "seed " << seed << ": " << run.Problem();
  }
}

TEST(RunnerTest, PlantedNondeterminismIsCaughtAndNamed) {
  ToyScenario scenario(true);
  ScenarioOptions options;
  options.seed = 7;
  SeedRun run = RunSeed(scenario, options, /*check_determinism=*/true);
  EXPECT_FALSE(run.deterministic);
  EXPECT_FALSE(run.ok());
  // The divergence names an event index and both runs' events.
  EXPECT_NE(run.divergence.find("first divergent event #"), std::string::npos)
      << run.divergence;
  EXPECT_NE(run.divergence.find("run 2"), std::string::npos) << run.divergence;
}

// Fails iff the schedule holds the fault with amount 7 and the workload
// holds the line "op 13"; records 20 faults and 50 lines of its own.
class NeedleScenario : public Scenario {
 public:
  absl::string_view name() const override { return "needle"; }
  absl::string_view description() const override { return "needle"; }
  ScenarioResult Run(const ScenarioOptions& options) override {
    ++runs;
    ScenarioResult r;
    if (options.schedule.has_value()) {
      r.fault_record = *options.schedule;
    } else {
      for (int i = 0; i < 20; ++i) {
        ScheduledFault f;
        f.at = absl::Milliseconds(i);
        f.fault.kind = FaultKind::kPause;
        f.fault.amount = i;
        r.fault_record.push_back(f);
      }
    }
    if (options.workload.has_value()) {
      r.workload = *options.workload;
    } else {
      for (int i = 0; i < 50; ++i) r.workload.push_back(absl::StrCat("op ", i));
    }
    bool fault = false, line = false;
    for (const auto& f : r.fault_record) fault |= f.fault.amount == 7;
    for (const auto& w : r.workload) line |= w == "op 13";
    if (fault && line) r.failure = "needle found";
    return r;
  }
  int runs = 0;
};

TEST(RunnerTest, ShrinksToTheFaultAndLineThatMatter) {
  NeedleScenario scenario;
  ScenarioOptions options;
  options.seed = 3;
  ScenarioResult failed = scenario.Run(options);
  ASSERT_FALSE(failed.ok());
  ShrinkOutcome shrunk = Shrink(scenario, options, failed, 500);
  ASSERT_TRUE(shrunk.options.schedule.has_value());
  ASSERT_TRUE(shrunk.options.workload.has_value());
  ASSERT_EQ(shrunk.options.schedule->size(), 1u);
  EXPECT_EQ((*shrunk.options.schedule)[0].fault.amount, 7);
  ASSERT_EQ(shrunk.options.workload->size(), 1u);
  EXPECT_EQ((*shrunk.options.workload)[0], "op 13");
  EXPECT_FALSE(shrunk.result.ok());
  EXPECT_EQ(shrunk.schedule_before, 20u);
  EXPECT_EQ(shrunk.workload_before, 50u);
  EXPECT_LE(shrunk.runs, 500);
}

TEST(RunnerTest, ShrinkRespectsItsBudget) {
  NeedleScenario scenario;
  ScenarioOptions options;
  ScenarioResult failed = scenario.Run(options);
  scenario.runs = 0;
  ShrinkOutcome shrunk = Shrink(scenario, options, failed, 5);
  EXPECT_LE(scenario.runs, 5);
  EXPECT_FALSE(shrunk.result.ok());
}

TEST(RunnerTest, ParsesSeedRanges) {
  uint64_t a = 0, b = 0;
  EXPECT_TRUE(ParseSeedRange("1..200", &a, &b));
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 200u);
  EXPECT_TRUE(ParseSeedRange("42", &a, &b));
  EXPECT_EQ(a, 42u);
  EXPECT_EQ(b, 42u);
  EXPECT_FALSE(ParseSeedRange("5..1", &a, &b));
  EXPECT_FALSE(ParseSeedRange("x..3", &a, &b));
  EXPECT_FALSE(ParseSeedRange("1..2..3", &a, &b));
}

}  // namespace
}  // namespace twinkv::sim
