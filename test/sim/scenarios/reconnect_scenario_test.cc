// The "reconnect" scenario end to end: a handful of seeds pass and are
// deterministic, a run replays from its fault record, a black-holed
// connection gets replaced, and planted bugs (a reply delivered to the
// wrong request, a completion lost or doubled, a lease never returned) are
// caught.
//
// Seeds start at TWINKV_TEST_SEED (default 1) and are printed; a failing
// seed replays with `twinkv-sim --scenario=reconnect --seed=N`.

#include "sim/scenarios/reconnect_scenario.h"

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/faults.h"
#include "sim/scenario.h"
#include "test/sim/scenarios/scenario_test_util.h"

namespace twinkv::sim {
namespace {

using Sabotage = ReconnectScenario::Sabotage;

constexpr int kSeeds = 6;
constexpr int kSabotageSeeds = 10;
constexpr double kScale = 0.4;

ScenarioOptions Options(uint64_t seed) { return ScaledOptions(seed, kScale); }

TEST(ReconnectScenarioTest, SeedsPassAndAreDeterministic) {
  ReconnectScenario scenario;
  const uint64_t base = TestBaseSeed();
  std::cout << "reconnect seeds " << base << ".." << base + kSeeds - 1
            << " (TWINKV_TEST_SEED=" << base << ")\n";
  int stressed = 0;
  for (uint64_t seed = base; seed < base + kSeeds; ++seed) {
    const ScenarioResult run = scenario.Run(Options(seed));
    std::cout << DescribeRun(seed, run) << "\n";
    EXPECT_TRUE(run.ok()) << DescribeRun(seed, run);
    EXPECT_FALSE(absl::StrContains(run.stats, " replies=0 "))
        << DescribeRun(seed, run);
    // Requests whose connection died under them, or that timed out.
    stressed += !absl::StrContains(run.stats, " unknown=0 ") ||
                !absl::StrContains(run.stats, " deadline=0 ");
    EXPECT_TRUE(SameRun(run, scenario.Run(Options(seed))))
        << "seed " << seed;
  }
  EXPECT_GT(stressed, 0);
}

TEST(ReconnectScenarioTest, ReplayingItsFaultRecordGivesTheSameRun) {
  ReconnectScenario scenario;
  const uint64_t seed = TestBaseSeed();
  EXPECT_TRUE(ReplaysFromFaultRecord(scenario, Options(seed)))
      << "seed " << seed;
}

// Seed 11 shrunk to one fault: at 1.7 s one direction of c0's connection
// to s0 becomes a black hole (bytes acknowledged, never delivered, for
// good). Every request on it then times out, and the client must notice
// and reconnect: after healing, a fresh ECHO must get through.
TEST(ReconnectScenarioTest, BlackHoledConnectionIsReplaced) {
  absl::StatusOr<std::vector<ScheduledFault>> schedule = ParseSchedule(
      "1735294731 black-hole-conn 0 0 0 0 0 4798427749216918116\n");
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  ASSERT_EQ(schedule->size(), 1u);
  ReconnectScenario scenario;
  ScenarioOptions o;
  o.seed = 11;
  o.schedule = *schedule;
  const ScenarioResult run = scenario.Run(o);
  EXPECT_EQ(run.fault_record.size(), 1u);
  EXPECT_TRUE(run.ok()) << DescribeRun(o.seed, run);
}

// Runs seeds with `sabotage` until one where it fired; returns that run's
// failure (empty if it fired and nothing was caught), or "never fired".
std::string FirstFired(Sabotage sabotage) {
  ReconnectScenario scenario;
  scenario.set_sabotage(sabotage);
  const uint64_t base = TestBaseSeed();
  for (uint64_t seed = base; seed < base + kSabotageSeeds; ++seed) {
    const ScenarioResult run = scenario.Run(Options(seed));
    if (!scenario.sabotage_fired()) continue;
    std::cout << "sabotage fired: " << DescribeRun(seed, run) << "\n";
    return run.failure;
  }
  return "never fired";
}

TEST(ReconnectScenarioTest, ReplyGivenToTheWrongRequestIsCaught) {
  const std::string failure = FirstFired(Sabotage::kSwapReplies);
  EXPECT_TRUE(absl::StrContains(failure, "got the reply")) << failure;
  EXPECT_TRUE(absl::StrContains(failure, "(its own tag)")) << failure;
}

TEST(ReconnectScenarioTest, LostCompletionIsCaught) {
  const std::string failure = FirstFired(Sabotage::kDropCompletion);
  EXPECT_TRUE(absl::StrContains(failure, "never completed")) << failure;
}

TEST(ReconnectScenarioTest, SecondCompletionIsCaught) {
  const std::string failure = FirstFired(Sabotage::kDoubleCompletion);
  EXPECT_TRUE(absl::StrContains(failure, "completed twice")) << failure;
}

TEST(ReconnectScenarioTest, LeakedLeaseIsCaught) {
  const std::string failure = FirstFired(Sabotage::kLeakLease);
  EXPECT_TRUE(absl::StrContains(failure, "closing (every Close's done)") ||
              absl::StrContains(failure, "leaks"))
      << failure;
}

}  // namespace
}  // namespace twinkv::sim
