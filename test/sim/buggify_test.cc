// Buggify decisions (sim/buggify.h): per run and per point, from the seed;
// counted for sweep reports.

#include "sim/buggify.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

TEST(BuggifyTest, DecisionsDependOnSeedAndPointNotOnOrder) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    BuggifyRegistry forward(seed), backward(seed);
    forward.set_active(true);
    backward.set_active(true);
    std::vector<std::string> names;
    for (int i = 0; i < 50; ++i) names.push_back(absl::StrCat("point.", i));
    for (const auto& n : names) forward.Evaluate(n);
    for (auto it = names.rbegin(); it != names.rend(); ++it) backward.Evaluate(*it);
    auto a = forward.Report(), b = backward.Report();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].point, b[i].point);
      EXPECT_EQ(a[i].enabled, b[i].enabled);
      EXPECT_EQ(a[i].probability, b[i].probability);
      EXPECT_EQ(a[i].fired, b[i].fired);
    }
  }
}

TEST(BuggifyTest, AboutAQuarterOfPointsAreEnabled) {
  BuggifyRegistry r(7);
  r.set_active(true);
  for (int i = 0; i < 2000; ++i) r.Evaluate(absl::StrCat("p", i));
  int enabled = 0;
  for (const auto& p : r.Report()) {
    enabled += p.enabled;
    EXPECT_GE(p.probability, 0.01);
    EXPECT_LE(p.probability, 0.5);
  }
  EXPECT_NEAR(enabled, 500, 60);
}

TEST(BuggifyTest, FiringFollowsThePointsProbabilityAndIsCounted) {
  BuggifyRegistry r(9);
  r.set_active(true);
  r.Force("hot", 0.3);
  r.Force("off", 0);
  int fired = 0;
  for (int i = 0; i < 10000; ++i) {
    fired += r.Evaluate("hot");
    EXPECT_FALSE(r.Evaluate("off"));
  }
  EXPECT_NEAR(fired, 3000, 200);
  auto report = r.Report();
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].point, "hot");
  EXPECT_EQ(report[0].reached, 10000u);
  EXPECT_EQ(report[0].fired, static_cast<uint64_t>(fired));
  EXPECT_EQ(report[1].reached, 10000u);
  EXPECT_EQ(report[1].fired, 0u);
  EXPECT_THAT(r.ReportText(), ::testing::HasSubstr("hot on p=0.300 reached=10000"));
}

TEST(BuggifyTest, InactiveRegistryNeverFiresButCounts) {
  BuggifyRegistry r(1);
  r.Force("x", 1.0);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(r.Evaluate("x"));
  EXPECT_EQ(r.Report()[0].reached, 100u);
  r.set_active(true);
  EXPECT_TRUE(r.Evaluate("x"));
}

TEST(BuggifyTest, NodesAskTheWorld) {
  World world(1);
  Node& n = world.AddNode("n", "10.0.0.1");
  Runtime& rt = n;
  EXPECT_FALSE(rt.Buggify("anything"));  // inactive by default
  world.buggify().set_active(true);
  world.buggify().Force("anything", 1.0);
  EXPECT_TRUE(rt.Buggify("anything"));
  EXPECT_EQ(world.buggify().Report()[0].reached, 2u);
}

}  // namespace
}  // namespace twinkv::sim
