// Determinism tooling: a seed run twice gives the same event log; a planted
// nondeterminism is caught, and the first divergent event is named.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/faults.h"
#include "sim/world.h"
#include "test/sim/kv_scenario.h"

namespace twinkv::sim {
namespace {

// State outside the simulation: what a simulated program must never read.
int g_runs = 0;

struct RunLog {
  std::vector<EventRecord> log;
  std::string planted;  // the planted event, described
};

// A few nodes exchanging timers; at 5 ms one task reads g_runs, which
// differs between runs, and lets it decide what to schedule.
RunLog RunWithPlantedNondeterminism(uint64_t seed, bool plant) {
  ++g_runs;
  World world(seed);
  world.EnableEventLog();
  Node& a = world.AddNode("a", "10.0.0.1");
  Node& b = world.AddNode("b", "10.0.0.2");
  RunLog run;
  std::function<void(Node&, int)> chatter = [&](Node& n, int left) {
    if (left == 0) return;
    n.executor().Schedule(absl::Microseconds(100 + n.random().Uniform(900)),
                          [&, left] { chatter(n, left - 1); });
  };
  chatter(a, 50);
  chatter(b, 50);
  b.executor().Schedule(absl::Milliseconds(5), [&] {
    const int delay_us = plant ? 10 + g_runs % 2 : 10;  // the bug
    b.executor().Schedule(absl::Microseconds(delay_us), [] {});
  });
  world.RunUntilIdle();
  run.log = world.event_log();
  for (const EventRecord& r : run.log) {
    if (r.at_ns == 5000000 && r.node == b.id()) run.planted = world.DescribeEvent(r);
  }
  return run;
}

TEST(DeterminismTest, SameSeedSameEventLog) {
  RunLog x = RunWithPlantedNondeterminism(5, false);
  RunLog y = RunWithPlantedNondeterminism(5, false);
  EXPECT_EQ(FirstDivergence(x.log, y.log), std::nullopt);
  EXPECT_GT(x.log.size(), 100u);
}

TEST(DeterminismTest, PlantedNondeterminismIsCaughtAtItsEvent) {
  RunLog x = RunWithPlantedNondeterminism(5, true);
  RunLog y = RunWithPlantedNondeterminism(5, true);
  std::optional<size_t> diverged = FirstDivergence(x.log, y.log);
  ASSERT_TRUE(diverged.has_value());
  const EventRecord& first = x.log[*diverged];
  std::printf("first divergent event: %s\n", x.planted.c_str());
  // Named exactly: the timer task at 5 ms on b, because what it enqueued
  // is folded into the hash of its own event.
  EXPECT_EQ(first.at_ns, 5000000);
  EXPECT_EQ(first.node, 1u);
  EXPECT_EQ(first.kind, EventKind::kTimer);
  // Everything before it agreed.
  for (size_t i = 0; i < *diverged; ++i) ASSERT_EQ(x.log[i].hash, y.log[i].hash);
}

TEST(DeterminismTest, FaultyScenarioTwiceIsIdenticalEventForEvent) {
  testing::ScenarioOptions o;
  o.duration = absl::Seconds(20);
  o.faults = FaultConfig::All();
  o.event_log = true;
  const testing::ScenarioResult x = testing::RunKvScenario(77, o);
  const testing::ScenarioResult y = testing::RunKvScenario(77, o);
  EXPECT_EQ(FirstDivergence(x.log, y.log), std::nullopt);
  EXPECT_EQ(x.hash, y.hash);
  EXPECT_EQ(x.buggify_report, y.buggify_report);
  EXPECT_THAT(x.buggify_report, ::testing::HasSubstr("kv.slow_reply"));
  std::printf("%s", x.buggify_report.c_str());
}

}  // namespace
}  // namespace twinkv::sim
