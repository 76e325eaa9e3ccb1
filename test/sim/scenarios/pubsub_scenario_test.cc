// The "pubsub" scenario passes on a few seeds, is deterministic, and its
// oracles catch planted bugs (no output limit; a subscription forgotten).

#include "sim/scenarios/pubsub_scenario.h"

#include <cstdint>
#include <cstdio>

#include "gtest/gtest.h"

namespace twinkv::sim {
namespace {

ScenarioOptions Options(uint64_t seed, double scale) {
  ScenarioOptions options;
  options.seed = seed;
  options.scale = scale;
  return options;
}

TEST(PubSubScenarioTest, SeedsPass) {
  PubSubScenario scenario;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    ScenarioResult result = scenario.Run(Options(seed, 0.4));
    EXPECT_TRUE(result.ok()) << "seed " << seed << ": " << result.failure;
    std::printf("  %s\n", result.stats.c_str());
  }
}

TEST(PubSubScenarioTest, SameSeedSameTrace) {
  PubSubScenario scenario;
  const ScenarioResult a = scenario.Run(Options(7, 0.2));
  const ScenarioResult b = scenario.Run(Options(7, 0.2));
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.stats, b.stats);
}

TEST(PubSubScenarioTest, WithoutOutputLimitMemoryGrowsAndIsCaught) {
  PubSubScenario scenario;
  scenario.set_sabotage(PubSubScenario::Sabotage::kNoOutputLimit);
  ScenarioResult result = scenario.Run(Options(3, 0.4));
  ASSERT_FALSE(result.ok()) << "seed 3: " << result.stats;
  EXPECT_NE(result.failure.find("pending output"), std::string::npos)
      << result.failure;
}

TEST(PubSubScenarioTest, ForgottenSubscriptionIsCaught) {
  PubSubScenario scenario;
  scenario.set_sabotage(PubSubScenario::Sabotage::kForgetSubscription);
  ScenarioResult result = scenario.Run(Options(4, 0.4));
  ASSERT_FALSE(result.ok()) << "seed 4: " << result.stats;
  EXPECT_NE(result.failure.find("not subscribed"), std::string::npos)
      << result.failure;
}

}  // namespace
}  // namespace twinkv::sim
