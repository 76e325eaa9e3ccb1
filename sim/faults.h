// Faults as data: what can go wrong in a simulated world, when, and how
// often; the automatic generator that injects them; and the schedule that
// records them so that a run can be replayed and shrunk.
//
// A Fault is one self-contained action ("partition nodes 1 and 2 one way for
// 3 s", "reset a connection chosen by pick=0x…"); a ScheduledFault adds the
// virtual time at which it is applied. Every parameter is in the entry:
// applying it draws nothing from the generator, and choices that depend on
// the world's state at that moment (which connection to reset, where to cut
// it) are made from the entry's `pick`, deterministically. Hence:
//   - World::StartFaults(config) runs the generator: one Poisson process per
//     fault kind with the config's rate, drawing from the "faults" stream
//     only, and records each fault it applies (World::fault_record());
//   - World::ReplayFaults(config, schedule) applies a given schedule instead;
//     replaying the record of a seed, with that seed, gives the same run (the
//     same trace hash); deleting entries and replaying is how a runner
//     shrinks a failing schedule.
// What each fault does is documented where it is implemented: network.h
// (Fabric), mem_files.h (disk), world.h (processes, clocks).
//
// Swarm testing (Groce et al.): FaultConfig::Swarm draws which kinds are on
// and their rates from a seed, so different seeds stress different mixes
// instead of every seed diluting every fault.
//
// Fault model of this file: it injects nothing by itself; it decides when
// and what, and the mechanisms above do it. Promised: a generated run is a
// function of (seed, scenario, config); its record replays it exactly; the
// generator draws only from the "faults" stream, so turning it on or
// changing its rates reshuffles no other stream (the scenario's own draws,
// latencies, crash outcomes stay tied to their streams, though what they are
// applied to changes with the faults, of course). A kind with nothing to
// hit (a crash with no process node, a partition with one node) is skipped.
//
// How a runner drives it (one seed):
//   World world(seed, options);
//   ... AddNode, SetBoot, Boot ...
//   SimRandom swarm = world.Stream("swarm");
//   FaultConfig config = FaultConfig::Swarm(swarm);  // or All(), or by hand
//   config.process_targets = {"server"};
//   world.StartFaults(config);  // or ReplayFaults(config, schedule)
//   world.RunFor(absl::Minutes(5));
//   world.StopFaults();         // a quiet period, to check liveness:
//   world.fabric().HealAll();   // ... end partitions and black holes,
//   world.RunFor(absl::Seconds(30));  // restart what stays down, and wait
// On a failure it prints the seed, config.ToString() and
// SerializeSchedule(world.fault_record()); to shrink, it replays subsets of
// that schedule; to check determinism, it runs the seed twice with
// EnableEventLog() and reports FirstDivergence() via DescribeEvent().
// The buggify sweep report is world.buggify().Report().
//
// Threading contract: the World's (single-threaded).

#ifndef TWINKV_SIM_FAULTS_H_
#define TWINKV_SIM_FAULTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sim/world.h"
#include "transport/runtime.h"

namespace twinkv::sim {

// Nodes are named by id (World::node(id)); `a` is the node a fault hits and
// `b` the other end of a link.
enum class FaultKind : uint8_t {
  kPartition,            // a <-> b (a -> b if flag) for duration
  kClogNode,             // a's traffic, both ways, held for duration
  kClogLink,             // a -> b traffic held for duration
  kBlackHoleLink,        // a -> b traffic swallowed for duration
  kBlackHoleConnection,  // one direction of the connection `pick` chooses
  kResetConnection,      // the connection `pick` chooses, at a byte `pick` chooses
  kDropConnection,       // the connection `pick` chooses is forgotten (NAT)
  kRefuseConnects,       // the next `amount` SYNs reaching a are refused
  kDropSyns,             // the next `amount` SYNs reaching a are lost
  kCrash,                // a crashes (power cut if flag); boots after duration
  kPause,                // a's process stops for duration
  kDiskWriteErrors,      // a's next `amount` appends fail with EIO
  kDiskSyncErrors,       // a's next `amount` fsyncs fail with EIO
  kDiskSlow,             // a's next `amount` disk operations take duration
  kDiskFull,             // a's disk is full for duration (ENOSPC)
  kClockJump,            // a's wall clock jumps by `amount` ns
  kClockDrift,           // a's monotonic clock runs `amount` ppm off
};
inline constexpr int kFaultKindCount = 17;
absl::string_view FaultKindName(FaultKind kind);
std::optional<FaultKind> FaultKindFromName(absl::string_view name);

struct Fault {
  FaultKind kind = FaultKind::kPartition;
  uint32_t a = 0;
  uint32_t b = 0;
  bool flag = false;
  absl::Duration duration = absl::ZeroDuration();
  int64_t amount = 0;
  uint64_t pick = 0;

  bool operator==(const Fault& o) const {
    return kind == o.kind && a == o.a && b == o.b && flag == o.flag &&
           duration == o.duration && amount == o.amount && pick == o.pick;
  }
};

struct ScheduledFault {
  absl::Duration at;
  Fault fault;
  bool operator==(const ScheduledFault& o) const {
    return at == o.at && fault == o.fault;
  }
};

// "3.250000s partition a=1 b=2 one-way 2.5s"; node names when `world` is
// given.
std::string FaultToString(const ScheduledFault& f, World* world = nullptr);

// One line per entry: "<at_ns> <kind> <a> <b> <flag> <duration_ns|inf>
// <amount> <pick>". ParseSchedule reads it back exactly.
std::string SerializeSchedule(const std::vector<ScheduledFault>& schedule);
absl::StatusOr<std::vector<ScheduledFault>> ParseSchedule(
    absl::string_view text);

struct FaultConfig {
  // Mean number of faults of each kind per simulated second (0: off),
  // indexed by FaultKind.
  std::array<double, kFaultKindCount> rate{};
  double& rate_of(FaultKind k) { return rate[static_cast<int>(k)]; }
  double rate_of(FaultKind k) const { return rate[static_cast<int>(k)]; }

  // The shape of each fault the generator draws.
  double one_way_fraction = 0.3;    // of partitions
  double power_cut_fraction = 0.5;  // of crashes; the rest are kills
  double stay_down_fraction = 0.0;  // of crashes: no automatic restart
  absl::Duration partition_min = absl::Milliseconds(50);
  absl::Duration partition_max = absl::Seconds(20);
  absl::Duration clog_min = absl::Milliseconds(1);
  absl::Duration clog_max = absl::Seconds(2);
  absl::Duration black_hole_min = absl::Milliseconds(100);
  absl::Duration black_hole_max = absl::Seconds(10);
  absl::Duration pause_min = absl::Milliseconds(10);
  absl::Duration pause_max = absl::Seconds(5);
  absl::Duration downtime_min = absl::Milliseconds(100);
  absl::Duration downtime_max = absl::Seconds(10);
  absl::Duration slow_min = absl::Milliseconds(1);
  absl::Duration slow_max = absl::Seconds(1);
  absl::Duration disk_full_min = absl::Milliseconds(100);
  absl::Duration disk_full_max = absl::Seconds(10);
  absl::Duration clock_jump_max = absl::Hours(1);
  int64_t drift_ppm_max = 200;
  int max_count = 3;  // refusals, lost SYNs, I/O errors, slow ops per fault

  // Run-wide settings (applied by StartFaults and ReplayFaults alike).
  bool buggify = false;
  double buggify_enable_fraction = 0.25;
  // Nodes (by name) that may crash, pause or suffer disk faults; empty:
  // every node with a boot function. Network and clock faults hit any node.
  std::vector<std::string> process_targets;

  // Nothing on.
  static FaultConfig None() { return FaultConfig(); }
  // Every kind on at a moderate rate, buggify on.
  static FaultConfig All();
  // A random mix: each kind on with probability 1/2, its rate log-uniform
  // over a kind-specific range, shapes varied too; buggify on with
  // probability 3/4. Pass a stream of its own (World::Stream("swarm")).
  static FaultConfig Swarm(Random& random);
  // "partition=0.12/s reset=0.5/s ... buggify=on".
  std::string ToString() const;
};

// Applies `fault` to `world` now (see each kind's comment). Entries naming
// nodes the world does not have are ignored. Ends of faults with a duration
// (heals, restarts, disk space back) are scheduled as world events.
void ApplyFault(World& world, const Fault& fault);

// The generator or replayer behind World::StartFaults/ReplayFaults.
class FaultDriver {
 public:
  FaultDriver(World& world, const FaultConfig& config,
              std::optional<std::vector<ScheduledFault>> replay,
              std::vector<ScheduledFault> record, uint64_t epoch);

  // Queues the driver's first event.
  void Start();
  // Applies the entry due now, records it and queues the next.
  void Fire(uint64_t epoch);
  void Stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }
  const std::vector<ScheduledFault>& record() const { return record_; }
  std::vector<ScheduledFault> TakeRecord() { return std::move(record_); }

 private:
  // The next entry, or nullopt when there is none (replay exhausted, all
  // rates zero).
  std::optional<ScheduledFault> Peek();
  void Advance();
  void QueueNext();
  // Draws the parameters of a fault of `kind` due at `at`; nullopt when the
  // world has no node it could hit.
  std::optional<Fault> Draw(FaultKind kind);
  std::vector<uint32_t> ProcessTargets();

  World& world_;
  const FaultConfig config_;
  const bool replaying_;
  std::vector<ScheduledFault> replay_;
  size_t replay_pos_ = 0;
  // Generator: per kind, when its next fault is due (ns; -1: never).
  std::array<int64_t, kFaultKindCount> next_at_{};
  std::optional<ScheduledFault> pending_;
  std::vector<ScheduledFault> record_;
  const uint64_t epoch_;
  bool stopped_ = false;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_FAULTS_H_
