// The "aof-crash" and "aof-crash-everysec" scenarios end to end: a handful
// of seeds pass and are deterministic; planted bugs (an oracle that takes
// a lost write for acknowledged, a server that loses its last fsynced
// write) are caught on some seed.
//
// Seeds start at TWINKV_TEST_SEED (default 1) and are printed; a failing
// seed replays with `twinkv-sim --scenario=aof-crash --seed=N`.

#include "sim/scenarios/aof_scenario.h"

#include <cstdint>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "test/sim/scenarios/scenario_test_util.h"

namespace twinkv::sim {
namespace {

constexpr int kSeeds = 6;
constexpr int kSabotageSeeds = 20;
constexpr double kScale = 0.4;

ScenarioOptions Options(uint64_t seed) { return ScaledOptions(seed, kScale); }

class AofScenarioTest
    : public ::testing::TestWithParam<AofScenario::Policy> {};

TEST_P(AofScenarioTest, SeedsPassAndAreDeterministic) {
  AofScenario scenario(GetParam());
  const uint64_t base = TestBaseSeed();
  std::cout << scenario.name() << " seeds " << base << ".."
            << base + kSeeds - 1 << " (TWINKV_TEST_SEED=" << base << ")\n";
  int recovered = 0;
  for (uint64_t seed = base; seed < base + kSeeds; ++seed) {
    const ScenarioResult run = scenario.Run(Options(seed));
    std::cout << DescribeRun(seed, run) << "\n";
    EXPECT_TRUE(run.ok()) << DescribeRun(seed, run);
    // Every run ends with a power cut and a resolution after it.
    EXPECT_FALSE(absl::StrContains(run.stats, " reboot_resolutions=0 "))
        << DescribeRun(seed, run);
    recovered += !absl::StrContains(run.stats, " unknown=0 ");
    EXPECT_TRUE(SameRun(run, scenario.Run(Options(seed)))) << "seed " << seed;
  }
  // The sweep must stress the oracle: writes whose outcome was unknown.
  EXPECT_GT(recovered, 0);
}

TEST_P(AofScenarioTest, ReplayingItsFaultRecordGivesTheSameRun) {
  AofScenario scenario(GetParam());
  const uint64_t seed = TestBaseSeed();
  EXPECT_TRUE(ReplaysFromFaultRecord(scenario, Options(seed)))
      << "seed " << seed;
}

// Runs seeds with `sabotage` until one fails; returns that seed, or 0.
uint64_t FirstCaught(AofScenario& scenario, AofScenario::Sabotage sabotage) {
  scenario.set_sabotage(sabotage);
  const uint64_t base = TestBaseSeed();
  for (uint64_t seed = base; seed < base + kSabotageSeeds; ++seed) {
    const ScenarioResult run = scenario.Run(Options(seed));
    if (!scenario.sabotage_fired()) continue;
    if (!run.ok()) {
      std::cout << "caught: " << DescribeRun(seed, run) << "\n";
      return seed;
    }
  }
  return 0;
}

TEST_P(AofScenarioTest, ForgottenAckIsCaught) {
  AofScenario scenario(GetParam());
  EXPECT_NE(FirstCaught(scenario, AofScenario::Sabotage::kForgetAck), 0u)
      << "no seed caught an oracle that took a lost write for acknowledged";
}

TEST_P(AofScenarioTest, ServerLosingItsLastWriteIsCaught) {
  AofScenario scenario(GetParam());
  const uint64_t seed =
      FirstCaught(scenario, AofScenario::Sabotage::kServerLosesLastWrite);
  EXPECT_NE(seed, 0u) << "no seed caught a server that lost its last write";
}

INSTANTIATE_TEST_SUITE_P(
    Policies, AofScenarioTest,
    ::testing::Values(AofScenario::Policy::kAlways,
                      AofScenario::Policy::kEverysec),
    [](const ::testing::TestParamInfo<AofScenario::Policy>& info) {
      return info.param == AofScenario::Policy::kAlways ? "Always"
                                                        : "Everysec";
    });

}  // namespace
}  // namespace twinkv::sim
