// Scenarios: a workload plus oracles, run in one simulated World from one
// seed. The runner (//cmd:twinkv-sim) runs them, checks determinism, sweeps
// seeds and shrinks failures; scenarios only describe what to run and what
// must hold.
//
// A scenario's run is a pure function of its ScenarioOptions: the seed, and
// optionally a fault schedule and a workload to replay instead of the ones
// the seed would generate. Both are data the run records (fault_record,
// workload) so that the runner can shrink a failing run by replaying
// subsets of them. Replaying a run's own records with its seed gives the
// same result and trace hash.
//
// Threading contract: single-threaded; a Scenario object runs one run at a
// time and may be reused for another.

#ifndef TWINKV_SIM_SCENARIO_H_
#define TWINKV_SIM_SCENARIO_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sim/buggify.h"
#include "sim/faults.h"
#include "sim/world.h"

namespace twinkv::sim {

struct ScenarioOptions {
  uint64_t seed = 1;
  // Replay this fault schedule instead of generating faults. The swarm
  // config (drawn from the seed) still supplies the run-wide settings.
  std::optional<std::vector<ScheduledFault>> schedule;
  // Replay this workload (lines in the scenario's own format, as recorded
  // in ScenarioResult::workload) instead of generating one from the seed.
  std::optional<std::vector<std::string>> workload;
  // Record every event (World::EnableEventLog) into the result.
  bool event_log = false;
  // Echo the nodes' log lines to stderr.
  bool verbose = false;
  // Scale of the run: 1 is the default length; tests may use less.
  double scale = 1.0;
};

struct ScenarioResult {
  // The first oracle violation; empty when every check held.
  std::string failure;
  bool ok() const { return failure.empty(); }

  uint64_t trace_hash = 0;
  absl::Duration simulated = absl::ZeroDuration();
  uint64_t events = 0;
  // The swarm config the seed drew (FaultConfig::ToString()).
  std::string fault_config;
  std::vector<ScheduledFault> fault_record;
  std::vector<std::string> workload;
  std::vector<EventRecord> event_log;  // when requested
  std::vector<BuggifyPointReport> buggify;
  // Scenario-specific one-line statistics ("ops=1234 ok=1200 unknown=34").
  std::string stats;
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual absl::string_view name() const = 0;
  // One line for --list.
  virtual absl::string_view description() const = 0;
  virtual ScenarioResult Run(const ScenarioOptions& options) = 0;
};

// The scenarios the runner knows, by name. Filled by explicit calls
// (RegisterAllScenarios in sim/scenarios/scenarios.h); no static
// self-registration.
class ScenarioRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Scenario>()>;

  // `name` must be new.
  void Add(std::string name, std::string description, Factory factory);
  // A new instance, or nullptr if unknown.
  std::unique_ptr<Scenario> Create(absl::string_view name) const;
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIO_H_
