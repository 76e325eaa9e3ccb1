// The simulator must run a server scenario much faster than real time.
// Measured in CPU time (not wall time) so that a busy machine does not make
// the test flaky.

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "gtest/gtest.h"
#include "test/sim/kv_scenario.h"

namespace twinkv::sim {
namespace {

// Sanitizers slow everything down several times: report, do not judge.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kSlowdown = 20;
#else
constexpr double kSlowdown = 1;
#endif

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// Simulated seconds per CPU second, best of three runs: the workload is
// deterministic, so the fastest run is the one least disturbed by other
// processes sharing the machine.
double Ratio(const testing::ScenarioOptions& o, uint64_t seed, const char* what) {
  double cpu = 1e9;
  testing::ScenarioResult r;
  for (int i = 0; i < 3; ++i) {
    const double start = CpuSeconds();
    r = testing::RunKvScenario(seed, o);
    cpu = std::min(cpu, CpuSeconds() - start);
  }
  const double ratio = absl::ToDoubleSeconds(o.duration) / cpu;
  std::printf("%s: %.0f s simulated in %.3f s CPU: %.0fx real time; %llu requests, "
              "%llu events (%.0f ns/event)\n",
              what, absl::ToDoubleSeconds(o.duration), cpu, ratio,
              static_cast<unsigned long long>(r.ok),
              static_cast<unsigned long long>(r.events), cpu * 1e9 / r.events);
  EXPECT_GT(r.ok, 0u);
  return ratio;
}

TEST(SpeedTest, ServerWithAFewClientsRunsFarFasterThanRealTime) {
  testing::ScenarioOptions o;
  o.clients = 4;
  o.duration = absl::Seconds(60);
  o.think_max = absl::Milliseconds(2);
  EXPECT_GE(Ratio(o, 1, "4 clients, think 0-2 ms"), 100 / kSlowdown);
}

TEST(SpeedTest, ClosedLoopClientsWithFaults) {
  testing::ScenarioOptions o;
  o.clients = 4;
  o.duration = absl::Seconds(10);
  o.think_max = absl::ZeroDuration();
  o.faults = FaultConfig::All();
  // Back to back requests at ~100 us round trips are the worst case: each
  // simulated second is ~40k requests. Still well ahead of real time.
  EXPECT_GE(Ratio(o, 2, "4 clients, no think time, all faults"), 10 / kSlowdown);
}

}  // namespace
}  // namespace twinkv::sim
