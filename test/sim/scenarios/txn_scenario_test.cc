// The "txn" scenario end to end: a handful of seeds pass and are
// deterministic (same trace hash twice), a run replays from its fault
// record, and a planted non-atomic apply (the last RPUSH of a transaction
// sent outside it) is caught by the atomic-visibility check.
//
// Seeds start at TWINKV_TEST_SEED (default 1) and are printed; a failing
// seed replays with `twinkv-sim --scenario=txn --seed=N`.

#include "sim/scenarios/txn_scenario.h"

#include <cstdint>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "test/sim/scenarios/scenario_test_util.h"

namespace twinkv::sim {
namespace {

constexpr int kSeeds = 5;
constexpr int kSabotageSeeds = 5;
constexpr double kScale = 0.4;

ScenarioOptions Options(uint64_t seed) { return ScaledOptions(seed, kScale); }

TEST(TxnScenarioTest, SeedsPassAndAreDeterministic) {
  TxnScenario scenario;
  const uint64_t base = TestBaseSeed();
  std::cout << "txn seeds " << base << ".." << base + kSeeds - 1
            << " (TWINKV_TEST_SEED=" << base << ")\n";
  for (uint64_t seed = base; seed < base + kSeeds; ++seed) {
    const ScenarioResult a = scenario.Run(Options(seed));
    std::cout << DescribeRun(seed, a) << "\n";
    EXPECT_TRUE(a.ok()) << DescribeRun(seed, a);
    // Reads must have happened, or the checks checked nothing.
    EXPECT_TRUE(absl::StrContains(a.stats, "reads_ok=")) << a.stats;
    EXPECT_FALSE(absl::StrContains(a.stats, "reads_ok=0 ")) << a.stats;
    EXPECT_FALSE(absl::StrContains(a.stats, "committed=0 ")) << a.stats;
    EXPECT_TRUE(SameRun(a, scenario.Run(Options(seed)))) << "seed " << seed;
  }
}

TEST(TxnScenarioTest, ReplaysFromItsFaultRecord) {
  TxnScenario scenario;
  const uint64_t seed = TestBaseSeed();
  EXPECT_TRUE(ReplaysFromFaultRecord(scenario, Options(seed)))
      << "seed " << seed;
}

TEST(TxnScenarioTest, CatchesNonAtomicApply) {
  TxnScenario scenario;
  scenario.set_sabotage(TxnScenario::Sabotage::kSplitTransaction);
  const uint64_t base = TestBaseSeed();
  int caught = 0;
  for (uint64_t seed = base; seed < base + kSabotageSeeds; ++seed) {
    const ScenarioResult r = scenario.Run(Options(seed));
    std::cout << "sabotage " << DescribeRun(seed, r) << "\n";
    if (!r.ok()) {
      EXPECT_TRUE(absl::StrContains(r.failure, "atomic visibility violated") ||
                  absl::StrContains(r.failure, "real-time order violated") ||
                  absl::StrContains(r.failure, "prefix order violated"))
          << r.failure;
      ++caught;
    }
  }
  // Every seed has multi-key writes and concurrent reads.
  EXPECT_EQ(caught, kSabotageSeeds);
}

}  // namespace
}  // namespace twinkv::sim
