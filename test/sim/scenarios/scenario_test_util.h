// What the end-to-end tests of the simulation scenarios share: the seed
// base (TWINKV_TEST_SEED), scaled run options, a one-paragraph description
// of a run for failure messages, and the "same run twice" and "replays from
// its own fault record" determinism checks.
//
// Threading: test-only, single-threaded; each helper runs the scenarios it
// is given to completion on the calling thread.

#ifndef TWINKV_TEST_SIM_SCENARIOS_SCENARIO_TEST_UTIL_H_
#define TWINKV_TEST_SIM_SCENARIOS_SCENARIO_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"

namespace twinkv::sim {

// The first seed a test runs: TWINKV_TEST_SEED if set (and a number),
// else 1. Tests print it, so that a failure names the seed to replay.
inline uint64_t TestBaseSeed() {
  uint64_t seed = 1;
  if (const char* env = std::getenv("TWINKV_TEST_SEED")) {
    (void)absl::SimpleAtoi(env, &seed);
  }
  return seed;
}

// Options for one run of `seed` at `scale` (the fraction of the fault
// phase's full length), everything else at its default.
inline ScenarioOptions ScaledOptions(uint64_t seed, double scale) {
  ScenarioOptions o;
  o.seed = seed;
  o.scale = scale;
  return o;
}

// "seed N: ok|<failure>", the run's stats and its fault config with the
// number of faults applied: enough to judge and replay a run.
inline std::string DescribeRun(uint64_t seed, const ScenarioResult& r) {
  return absl::StrCat("seed ", seed, ": ", r.ok() ? "ok" : r.failure, "\n  ",
                      r.stats, "\n  faults: ", r.fault_config, " (",
                      r.fault_record.size(), " applied)");
}

// Success iff `again` is the same run as `run`: same trace hash, failure
// and stats. Use as EXPECT_TRUE(SameRun(a, b)) << "seed " << seed.
inline ::testing::AssertionResult SameRun(const ScenarioResult& run,
                                          const ScenarioResult& again) {
  if (again.trace_hash != run.trace_hash) {
    return ::testing::AssertionFailure()
           << "trace hash " << again.trace_hash << " != " << run.trace_hash;
  }
  if (again.failure != run.failure) {
    return ::testing::AssertionFailure() << "failure \"" << again.failure
                                         << "\" != \"" << run.failure << "\"";
  }
  if (again.stats != run.stats) {
    return ::testing::AssertionFailure()
           << "stats \"" << again.stats << "\" != \"" << run.stats << "\"";
  }
  return ::testing::AssertionSuccess();
}

// Runs `scenario` with `options`, then again with the first run's fault
// record as the schedule; success iff the replay is the SameRun.
inline ::testing::AssertionResult ReplaysFromFaultRecord(
    Scenario& scenario, const ScenarioOptions& options) {
  const ScenarioResult run = scenario.Run(options);
  ScenarioOptions replay = options;
  replay.schedule = run.fault_record;
  ::testing::AssertionResult same = SameRun(run, scenario.Run(replay));
  if (!same) same << " (replaying " << DescribeRun(options.seed, run) << ")";
  return same;
}

}  // namespace twinkv::sim

#endif  // TWINKV_TEST_SIM_SCENARIOS_SCENARIO_TEST_UTIL_H_
