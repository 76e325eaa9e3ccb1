// The "pubsub" scenario passes on a few seeds, is deterministic, and its
// oracles catch planted bugs (no output limit; a subscription forgotten).

#include "sim/scenarios/pubsub_scenario.h"

#include <cstdint>
#include <cstdio>

#include "gtest/gtest.h"
#include "test/sim/scenarios/scenario_test_util.h"

namespace twinkv::sim {
namespace {

TEST(PubSubScenarioTest, SeedsPass) {
  PubSubScenario scenario;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    ScenarioResult result = scenario.Run(ScaledOptions(seed, 0.4));
    EXPECT_TRUE(result.ok()) << "seed " << seed << ": " << result.failure;
    std::printf("  %s\n", result.stats.c_str());
  }
}

TEST(PubSubScenarioTest, SameSeedSameTrace) {
  PubSubScenario scenario;
  EXPECT_TRUE(SameRun(scenario.Run(ScaledOptions(7, 0.2)),
                      scenario.Run(ScaledOptions(7, 0.2))));
}

TEST(PubSubScenarioTest, WithoutOutputLimitMemoryGrowsAndIsCaught) {
  PubSubScenario scenario;
  scenario.set_sabotage(PubSubScenario::Sabotage::kNoOutputLimit);
  ScenarioResult result = scenario.Run(ScaledOptions(3, 0.4));
  ASSERT_FALSE(result.ok()) << "seed 3: " << result.stats;
  EXPECT_NE(result.failure.find("pending output"), std::string::npos)
      << result.failure;
}

TEST(PubSubScenarioTest, ForgottenSubscriptionIsCaught) {
  PubSubScenario scenario;
  scenario.set_sabotage(PubSubScenario::Sabotage::kForgetSubscription);
  ScenarioResult result = scenario.Run(ScaledOptions(4, 0.4));
  ASSERT_FALSE(result.ok()) << "seed 4: " << result.stats;
  EXPECT_NE(result.failure.find("not subscribed"), std::string::npos)
      << result.failure;
}

}  // namespace
}  // namespace twinkv::sim
