// Faults as data (sim/faults.h): swarm configs, the generator and its
// record, schedule text, and replay: the recorded schedule of a seed,
// replayed with that seed, gives the same run.

#include "sim/faults.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/network.h"
#include "sim/world.h"
#include "test/sim/kv_scenario.h"

namespace twinkv::sim {
namespace {

using testing::RunKvScenario;
using testing::ScenarioOptions;
using testing::ScenarioResult;

TEST(FaultConfigTest, SwarmDependsOnTheSeedOnly) {
  std::set<std::string> configs;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    World w1(seed), w2(seed);
    SimRandom r1 = w1.Stream("swarm"), r2 = w2.Stream("swarm");
    const FaultConfig a = FaultConfig::Swarm(r1);
    const FaultConfig b = FaultConfig::Swarm(r2);
    EXPECT_EQ(a.ToString(), b.ToString());
    configs.insert(a.ToString());
    int on = 0;
    for (double rate : a.rate) on += rate > 0;
    EXPECT_GE(on, 1);
  }
  EXPECT_EQ(configs.size(), 20u);  // twenty different mixes
}

TEST(FaultConfigTest, SwarmTurnsAboutHalfTheKindsOn) {
  int on = 0, total = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SimRandom r = World(seed).Stream("swarm");
    const FaultConfig c = FaultConfig::Swarm(r);
    for (double rate : c.rate) {
      on += rate > 0;
      ++total;
    }
  }
  EXPECT_NEAR(static_cast<double>(on) / total, 0.5, 0.05);
}

TEST(FaultScheduleTest, TextRoundTrips) {
  std::vector<ScheduledFault> s = {
      {absl::Milliseconds(1500), {FaultKind::kPartition, 0, 1, true, absl::Seconds(3), 0, 0}},
      {absl::Seconds(2), {FaultKind::kCrash, 0, 0, false, absl::InfiniteDuration(), 0, 0}},
      {absl::Seconds(3), {FaultKind::kClockJump, 3, 3, false, absl::ZeroDuration(), -3600000000000, 0}},
      {absl::Seconds(4), {FaultKind::kResetConnection, 0, 0, false, absl::ZeroDuration(), 0,
                          0xfedcba9876543210ULL}},
  };
  const std::string text = SerializeSchedule(s);
  auto parsed = ParseSchedule(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, s);
  EXPECT_EQ(SerializeSchedule(*parsed), text);
  EXPECT_FALSE(ParseSchedule("12 nonsense 0 0 0 0 0 0").ok());
  EXPECT_FALSE(ParseSchedule("12 crash 0 0").ok());
  EXPECT_TRUE(ParseSchedule("# a comment\n\n")->empty());
  World world(1);
  world.AddNode("alpha", "10.0.0.1");
  world.AddNode("beta", "10.0.0.2");
  EXPECT_EQ(FaultToString(s[0], &world), "1.500000s partition alpha -> beta for 3s");
  EXPECT_EQ(FaultToString(s[1]), "2.000000s crash #0 kill restart after forever");
}

TEST(FaultDriverTest, GeneratorFollowsTheRates) {
  World world(3);
  world.AddNode("a", "10.0.0.1");
  world.AddNode("b", "10.0.0.2");
  FaultConfig c;
  c.rate_of(FaultKind::kClogLink) = 2.0;
  c.rate_of(FaultKind::kClockJump) = 0.5;
  c.clock_jump_max = absl::Seconds(1);
  world.StartFaults(c);
  world.RunFor(absl::Seconds(1000));
  int clogs = 0, jumps = 0;
  absl::Duration last = absl::ZeroDuration();
  for (const ScheduledFault& f : world.fault_record()) {
    EXPECT_GE(f.at, last);
    last = f.at;
    clogs += f.fault.kind == FaultKind::kClogLink;
    jumps += f.fault.kind == FaultKind::kClockJump;
    EXPECT_NE(f.fault.a, f.fault.kind == FaultKind::kClogLink ? f.fault.b : 99u);
  }
  EXPECT_NEAR(clogs, 2000, 150);
  EXPECT_NEAR(jumps, 500, 75);
  world.StopFaults();
  const size_t n = world.fault_record().size();
  world.RunFor(absl::Seconds(100));
  EXPECT_EQ(world.fault_record().size(), n);
}

TEST(FaultDriverTest, ProcessFaultsHitOnlyProcessTargets) {
  World world(4);
  Node& server = world.AddNode("server", "10.0.0.1");
  world.AddNode("client", "10.0.0.2");
  server.SetBoot([](Node&) { return std::make_unique<Process>(); });
  server.Boot();
  FaultConfig c;
  c.rate_of(FaultKind::kCrash) = 1;
  c.rate_of(FaultKind::kPause) = 1;
  c.rate_of(FaultKind::kDiskSlow) = 1;
  world.StartFaults(c);
  world.RunFor(absl::Seconds(100));
  ASSERT_GT(world.fault_record().size(), 200u);
  for (const ScheduledFault& f : world.fault_record()) EXPECT_EQ(f.fault.a, server.id());
  EXPECT_GT(server.crashes(), 10);
  EXPECT_GT(server.boots(), 10);
}

TEST(FaultDriverTest, ApplyIgnoresNodesTheWorldLacks) {
  World world(1);
  world.AddNode("a", "10.0.0.1");
  world.ApplyFault(Fault{FaultKind::kCrash, 7, 7, true, absl::Seconds(1), 0, 0});
  world.ApplyFault(Fault{FaultKind::kPartition, 0, 0, false, absl::Seconds(1), 0, 0});
  EXPECT_EQ(world.pending_events(), 0u);
}

ScenarioOptions Faulty(const FaultConfig& config) {
  ScenarioOptions o;
  o.duration = absl::Seconds(60);
  o.faults = config;
  return o;
}

TEST(FaultReplayTest, ReplayingTheRecordGivesTheSameRun) {
  for (uint64_t seed : {11, 12, 13}) {
    FaultConfig config = FaultConfig::All();
    const ScenarioResult generated = RunKvScenario(seed, Faulty(config));
    std::printf("seed %llu: %zu faults, %llu events, %llu ok, %llu errors, %d boots\n",
                static_cast<unsigned long long>(seed), generated.record.size(),
                static_cast<unsigned long long>(generated.events),
                static_cast<unsigned long long>(generated.ok),
                static_cast<unsigned long long>(generated.errors), generated.server_boots);
    ASSERT_GT(generated.record.size(), 20u);
    ScenarioOptions replay = Faulty(config);
    replay.replay = generated.record;
    const ScenarioResult replayed = RunKvScenario(seed, replay);
    EXPECT_EQ(replayed.hash, generated.hash);
    EXPECT_EQ(replayed.events, generated.events);
    EXPECT_EQ(replayed.record, generated.record);
    // And through the text form, as a runner would store it.
    replay.replay = *ParseSchedule(SerializeSchedule(generated.record));
    EXPECT_EQ(RunKvScenario(seed, replay).hash, generated.hash);
  }
}

TEST(FaultReplayTest, SwarmRunsReplayToo) {
  for (uint64_t seed = 20; seed < 24; ++seed) {
    SimRandom swarm = World(seed).Stream("swarm");
    const FaultConfig config = FaultConfig::Swarm(swarm);
    std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed),
                config.ToString().c_str());
    const ScenarioResult generated = RunKvScenario(seed, Faulty(config));
    ScenarioOptions replay = Faulty(config);
    replay.replay = generated.record;
    EXPECT_EQ(RunKvScenario(seed, replay).hash, generated.hash);
  }
}

TEST(FaultReplayTest, AShrunkScheduleStillReplaysDeterministically) {
  const uint64_t seed = 31;
  const ScenarioResult generated = RunKvScenario(seed, Faulty(FaultConfig::All()));
  ASSERT_GT(generated.record.size(), 10u);
  // Drop every other entry, as a shrinker would try.
  std::vector<ScheduledFault> half;
  for (size_t i = 0; i < generated.record.size(); i += 2) half.push_back(generated.record[i]);
  ScenarioOptions o = Faulty(FaultConfig::All());
  o.replay = half;
  const ScenarioResult a = RunKvScenario(seed, o);
  const ScenarioResult b = RunKvScenario(seed, o);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.record, half);
  EXPECT_NE(a.hash, generated.hash);
  // With no faults at all: the fault-free run.
  o.replay = std::vector<ScheduledFault>();
  ScenarioOptions clean;
  clean.duration = o.duration;
  clean.faults = FaultConfig::All();  // buggify on, as in `o`
  clean.replay = std::vector<ScheduledFault>();
  EXPECT_EQ(RunKvScenario(seed, o).hash, RunKvScenario(seed, clean).hash);
}

TEST(FaultReplayTest, FaultsHurtButTheScenarioLivesOn) {
  const ScenarioResult r = RunKvScenario(41, Faulty(FaultConfig::All()));
  EXPECT_GT(r.errors, 0u);       // faults were felt
  EXPECT_GT(r.server_boots, 1);  // the server crashed and came back
  EXPECT_GT(r.ok, 1000u);        // and kept serving
}

}  // namespace
}  // namespace twinkv::sim
