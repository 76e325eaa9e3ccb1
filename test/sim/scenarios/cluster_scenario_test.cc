// The "cluster" scenario end to end: seeds of both modes (odd: proxy, even:
// redirect) pass, are deterministic and did real work (commands, faults,
// restarts, unknown outcomes, group MGETs or MOVED redirects, membership
// changes, cross-node RENAMEs, the liveness sweep), a run replays from its
// fault record, a fabricated stale read in the history is caught by the
// linearizability check and a stray copy of a key by the placement check.
//
// Seeds start at TWINKV_TEST_SEED (default 1) and are printed; a failing
// seed replays with `twinkv-sim --scenario=cluster --seed=N`.

#include "sim/scenarios/cluster_scenario.h"

#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "test/sim/scenarios/scenario_test_util.h"

namespace twinkv::sim {
namespace {

constexpr int kSeeds = 6;  // three of each mode
constexpr double kScale = 0.5;

ScenarioOptions Options(uint64_t seed) { return ScaledOptions(seed, kScale); }

// "a=1 b=x" -> {a: 1} (non-numeric values are skipped).
std::map<std::string, int64_t> Counters(const std::string& stats) {
  std::map<std::string, int64_t> out;
  for (absl::string_view part : absl::StrSplit(stats, ' ')) {
    std::vector<std::string> kv = absl::StrSplit(part, '=');
    int64_t v = 0;
    if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &v)) out[kv[0]] = v;
  }
  return out;
}

TEST(ClusterScenarioTest, SeedsOfBothModesPassAndAreDeterministic) {
  ClusterScenario scenario;
  const uint64_t base = TestBaseSeed();
  std::cout << "cluster seeds " << base << ".." << base + kSeeds - 1
            << " (TWINKV_TEST_SEED=" << base << ")\n";
  std::map<std::string, int64_t> total;
  int proxy = 0, redirect = 0;
  for (uint64_t seed = base; seed < base + kSeeds; ++seed) {
    const ScenarioResult a = scenario.Run(Options(seed));
    std::cout << DescribeRun(seed, a) << "\n";
    EXPECT_TRUE(a.ok()) << DescribeRun(seed, a);
    const std::map<std::string, int64_t> c = Counters(a.stats);
    // Every seed did work and was checked, or it proves nothing.
    EXPECT_GT(c.at("commands"), 100) << a.stats;
    EXPECT_GT(c.at("known"), 100) << a.stats;
    EXPECT_GT(c.at("history"), 100) << a.stats;
    EXPECT_GT(c.at("faults"), 0) << a.stats;
    EXPECT_GT(c.at("checker_steps"), 0) << a.stats;
    // Every redirect seed changes the membership at least once.
    if (absl::StrContains(a.stats, "mode=redirect")) {
      EXPECT_GE(c.at("changes"), 1) << a.stats;
    }
    EXPECT_GE(c.at("final_members"), 2) << a.stats;
    // Two sweeps: every key through every node, twice.
    EXPECT_GE(c.at("sweep_reads"), 2 * 15 * c.at("servers")) << a.stats;
    for (const auto& [k, v] : c) total[k] += v;
    (absl::StrContains(a.stats, "mode=proxy") ? proxy : redirect)++;
    EXPECT_TRUE(SameRun(a, scenario.Run(Options(seed)))) << "seed " << seed;
  }
  EXPECT_EQ(proxy, kSeeds / 2);
  EXPECT_EQ(redirect, kSeeds / 2);
  // Across the seeds: crashes with restarts, unknown outcomes, atomicity
  // groups read (proxy) and MOVED followed (redirect).
  EXPECT_GT(total["crashes"], 0);
  EXPECT_GT(total["restarts"], 0);
  EXPECT_GT(total["unknown"], 0);
  EXPECT_GT(total["group_mgets"], 0);
  EXPECT_GT(total["moved"], 0);
  // Spares joined and were used.
  EXPECT_GT(total["eligible"], total["servers"]);
}

TEST(ClusterScenarioTest, CrossNodeRenamesRunAndAreChecked) {
  ClusterScenario scenario;  // RENAME pairs are on by default
  EXPECT_EQ(scenario.name(), "cluster");
  const uint64_t seed = TestBaseSeed() | 1;  // proxy mode
  const ScenarioResult r = scenario.Run(Options(seed));
  std::cout << DescribeRun(seed, r) << "\n";
  EXPECT_TRUE(r.ok()) << DescribeRun(seed, r);
  const std::map<std::string, int64_t> c = Counters(r.stats);
  EXPECT_GT(c.at("renames"), 0) << r.stats;
  EXPECT_GT(c.at("pair_reads"), 0) << r.stats;
}

TEST(ClusterScenarioTest, ReplaysFromItsFaultRecord) {
  ClusterScenario scenario;
  const uint64_t seed = TestBaseSeed();
  EXPECT_TRUE(ReplaysFromFaultRecord(scenario, Options(seed)))
      << "seed " << seed;
}

TEST(ClusterScenarioTest, CatchesAFabricatedStaleRead) {
  ClusterScenario scenario;
  scenario.set_sabotage(ClusterScenario::Sabotage::kStaleRead);
  const uint64_t base = TestBaseSeed();
  for (uint64_t seed = base; seed < base + 2; ++seed) {  // one of each mode
    const ScenarioResult r = scenario.Run(Options(seed));
    std::cout << "sabotage " << DescribeRun(seed, r) << "\n";
    ASSERT_TRUE(scenario.sabotage_fired()) << r.stats;
    EXPECT_FALSE(r.ok()) << DescribeRun(seed, r);
    EXPECT_TRUE(absl::StrContains(r.failure, "linearizability violated"))
        << r.failure;
    // The explanation names the key, its owner and the fabricated op.
    EXPECT_TRUE(absl::StrContains(r.failure, "keys@owner:")) << r.failure;
    EXPECT_TRUE(absl::StrContains(r.failure, "fabricated stale GET"))
        << r.failure;
  }
}

TEST(ClusterScenarioTest, CatchesAKeyLeftOnANodeThatDoesNotOwnIt) {
  ClusterScenario scenario;
  scenario.set_sabotage(ClusterScenario::Sabotage::kStrayCopy);
  const uint64_t seed = TestBaseSeed();
  const ScenarioResult r = scenario.Run(Options(seed));
  std::cout << "sabotage " << DescribeRun(seed, r) << "\n";
  ASSERT_TRUE(scenario.sabotage_fired()) << r.stats;
  EXPECT_FALSE(r.ok()) << DescribeRun(seed, r);
  EXPECT_TRUE(absl::StrContains(r.failure, "but its owner under the final map"))
      << r.failure;
}

TEST(ClusterScenarioTest, KnownFailuresAreOtherScenarios) {
  ClusterScenario blind;
  blind.set_blind_membership_driver(true);
  EXPECT_EQ(blind.name(), "cluster-blind-membership");
  ClusterScenario strict;
  strict.set_strict_proxy_redirects(true);
  EXPECT_EQ(strict.name(), "cluster-strict-proxy-redirects");
  ClusterScenario no_members;
  no_members.set_proxy_membership_changes(false);
  EXPECT_EQ(no_members.name(), "cluster-no-proxy-membership");
}

// Seeds that found router bugs in proxy mode with membership changes and
// RENAME pairs (now the default): a lost decision on restart (83), a
// stale forward read on a receiving node (21), a use-after-free (11), a
// multi-slot read during a hand-over (87), forwards one at a time under
// latency spikes (387), a cross-node RENAME committed to node indices a
// completed change had renumbered (743), an MSET sent to the new owner of
// a key a prepared write on the old owner was about to create (1137),
// forwards queued behind a handshake a power-cut peer never answered
// (1335).
TEST(ClusterScenarioTest, ProxySeedsThatFoundBugsPass) {
  ClusterScenario scenario;
  for (uint64_t seed : {1, 11, 21, 25, 31, 83, 87, 387, 743, 1137, 1335}) {
    const ScenarioResult r = scenario.Run(ScaledOptions(seed, 1.0));
    EXPECT_TRUE(r.ok()) << DescribeRun(seed, r);
  }
}

// Redirect mode: a node stuck in an old change (166), a spare that served
// writes as a one-node cluster before it joined (882).
TEST(ClusterScenarioTest, RedirectSeedsThatFoundBugsPass) {
  ClusterScenario scenario;
  for (uint64_t seed : {166, 882}) {
    const ScenarioResult r = scenario.Run(ScaledOptions(seed, 1.0));
    EXPECT_TRUE(r.ok()) << DescribeRun(seed, r);
  }
}

TEST(ClusterScenarioTest, WithoutTheAtomicityOracleItIsAnotherScenario) {
  ClusterScenario on;
  ClusterScenario off(false);
  EXPECT_EQ(on.name(), "cluster");
  EXPECT_EQ(off.name(), "cluster-nonatomic-mset");
  EXPECT_TRUE(on.check_mset_atomicity());
  EXPECT_FALSE(off.check_mset_atomicity());
  const uint64_t seed = TestBaseSeed() | 1;  // proxy mode
  const ScenarioResult r = off.Run(Options(seed));
  EXPECT_TRUE(r.ok()) << DescribeRun(seed, r);
}

}  // namespace
}  // namespace twinkv::sim
