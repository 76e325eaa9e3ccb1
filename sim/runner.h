// The scenario runner's logic, shared by //cmd:twinkv-sim and the tests:
// run a seed (twice, to check determinism), sweep a range of seeds, and
// shrink a failing run to a small failing case.
//
// Determinism: a seed run twice must give the same trace hash. When it does
// not, both runs are repeated with the event log on and the first event at
// which they differ is named, so the nondeterminism can be found.
//
// Shrinking: a failing run's fault schedule and workload are data
// (ScenarioResult::fault_record / workload). Shrink() replays the seed with
// subsets of them (delta debugging: drop halves, quarters, ... then single
// entries) and keeps any subset that still fails, until no single entry can
// go. The result replays from files with --schedule and --workload.
//
// Threading contract: single-threaded.

#ifndef TWINKV_SIM_RUNNER_H_
#define TWINKV_SIM_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "sim/scenario.h"

namespace twinkv::sim {

struct SeedRun {
  ScenarioResult result;
  // False when the second run's trace hash differed from the first.
  bool deterministic = true;
  // When not deterministic: the first divergent event of each run, e.g.
  // "event #1234: run 1 #1234 t=0.5s node server data ... / run 2 ...".
  std::string divergence;
  absl::Duration real_time = absl::ZeroDuration();

  bool ok() const { return result.ok() && deterministic; }
  // The failure or the nondeterminism, in one line.
  std::string Problem() const;
};

// Runs `options` once, or twice when `check_determinism`, and compares.
SeedRun RunSeed(Scenario& scenario, const ScenarioOptions& options,
                bool check_determinism);

struct ShrinkOutcome {
  ScenarioOptions options;  // seed + the smallest schedule/workload found
  ScenarioResult result;    // its (still failing) result
  int runs = 0;             // scenario runs spent shrinking
  size_t schedule_before = 0, schedule_after = 0;
  size_t workload_before = 0, workload_after = 0;
};

// Shrinks a failing run (`failed` is its result with `options`). Spends at
// most `max_runs` scenario runs. A candidate counts as failing when its
// result is not ok (any failure, not necessarily the same message).
ShrinkOutcome Shrink(Scenario& scenario, const ScenarioOptions& options,
                     const ScenarioResult& failed, int max_runs);

// Per fault point, over a sweep: in how many seeds it was reached / fired,
// and the totals.
struct PointSweep {
  int seeds_reached = 0;
  int seeds_fired = 0;
  uint64_t reached = 0;
  uint64_t fired = 0;
};
void AccumulateBuggify(const std::vector<BuggifyPointReport>& report,
                       std::map<std::string, PointSweep>* sweep);

// Parses "A..B" (inclusive) or a single "N".
bool ParseSeedRange(absl::string_view text, uint64_t* first, uint64_t* last);

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_RUNNER_H_
