// sim::World: a deterministic simulated world of nodes, each seeing it
// through its own twinkv::Runtime, and the faults that world can suffer.
//
// One event loop with virtual time serves every node. Time never passes by
// itself: it jumps to the next event, so a simulated hour of timers costs
// only the events in it. Events due at the same instant run in the order
// they were enqueued (a sequence number breaks ties), and every random
// choice comes from the run's one seed through a separate stream per
// subsystem (prng.h: "network", "faults", "disk:<node>", "buggify:<point>",
// "node:<node>", ...). Hence a seed fully determines a run; every executed
// event, and every event it enqueues, is folded into trace_hash(), and an
// optional event log (EnableEventLog) lets a runner that ran a seed twice
// name the first event where the two runs parted.
//
// Events are of two sorts. Process events run the node's code (posted
// tasks, timers, read/write/connect/accept and file sync completions): a
// crash drops them all, a pause defers them. Kernel events (segments
// arriving, TCP timers, fault actions, boots) model what keeps happening
// while a process is dead or stopped; they call into process code only
// when the node can run.
//
// Fault model of this file (the network's and the disk's are in network.h
// and mem_files.h):
// - Processes (Node::SetBoot/Boot/Crash/Pause): a node runs at most one
//   Process built by its boot function. CrashKind::kKill is kill -9: the
//   process and its pending events vanish, the kernel closes its sockets (a
//   peer reads the data already sent, then kClosed; or kReset if the dead
//   end had unread input) and refuses new connections; the page cache
//   survives, so no file loses anything. CrashKind::kPowerCut loses the
//   machine: the process, its events, its sockets without a word to the
//   peers (they see silence, then kTimedOut or, once the node is back,
//   kReset: see network.h), connection attempts to it go unanswered, and
//   the disk keeps only what the crash rules of mem_files.h keep. Either
//   way the process object is destroyed after its streams, files and
//   listeners were detached, so its destructor can send, write or schedule
//   nothing. Boot() starts it again from what is on disk.
//   Pause(d) models SIGSTOP or a long GC: the node's process events wait
//   until the pause ends (in order), its kernel keeps receiving.
// - Slow operations: Node::Stall(d) (used by the disk's slow-operation
//   fault) makes the code running now take d longer: the node's clock moves
//   on by d within the event and its next events wait until then; the rest
//   of the world does not wait.
// - Clocks: per node, a rate error in ppm on the monotonic clock (timers
//   still fire by the node's own clock, never early by it) and jumps of the
//   wall clock. The monotonic clock never goes back, not even across a
//   crash (a simplification: real machines restart it at boot).
// - Buggify: Runtime::Buggify(point) answers from a per-run, per-point
//   decision (buggify.h).
// Never: events run out of order, a dead process runs code, time goes back
// on a node's monotonic clock.
//
// Threading contract: single-threaded. The World and everything obtained
// from it (nodes, streams, listeners, files) are used from the thread that
// runs it, and the World must outlive them all.

#ifndef TWINKV_SIM_WORLD_H_
#define TWINKV_SIM_WORLD_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "sim/prng.h"
#include "transport/runtime.h"

namespace twinkv::sim {

class BuggifyRegistry;
class Fabric;
class FaultDriver;
class MemFileSystem;
class Node;
class SimNetwork;
struct Fault;
struct FaultConfig;
struct ScheduledFault;

// What an event is, for the trace hash, the event log and debugging.
enum class EventKind : uint8_t {
  // Process events.
  kPost = 1,     // Executor::Post
  kTimer,        // Executor::Schedule, connect timeouts
  kConnectDone,  // a Connect completes (or fails before leaving the node)
  kReadDone,     // a Read completes
  kWriteDone,    // a Write completes
  kAccept,       // a listener's callback runs for a connection
  // Kernel events.
  kSyn,       // a connection request reaches the server node
  kSynAck,    // the server's answer (accept or refusal) reaches the client
  kData,      // a chunk of stream bytes arrives
  kFin,       // the peer's clean close arrives
  kRst,       // a reset arrives
  kAck,       // an acknowledgement or window update arrives
  kNetTimer,  // a TCP timer: retransmission, keepalive, SYN retry
  kFault,     // a fault is applied or ends
  kBoot,      // a node boots
  // The fault generator's look-ahead wake-up. Dropped untraced once the
  // driver stopped: a replay of the record, which has no such look-ahead,
  // then gives the same trace.
  kFaultDriver,
  // Process event: a File::SyncAsync completes (after the kernel ones so
  // that adding it kept every other kind's number, hence old traces).
  kSyncDone,
};
absl::string_view EventKindName(EventKind kind);
bool IsProcessEvent(EventKind kind);

// One-way delay of a network segment: base + an exponential tail (capped),
// plus, rarely, a spike uniform in [spike_min, spike_max].
struct LatencyModel {
  absl::Duration base = absl::Microseconds(20);
  absl::Duration tail_mean = absl::Microseconds(40);
  absl::Duration tail_max = absl::Milliseconds(5);
  double spike_probability = 0.0005;
  absl::Duration spike_min = absl::Milliseconds(1);
  absl::Duration spike_max = absl::Milliseconds(40);

  // Exactly `d`, every time.
  static LatencyModel Fixed(absl::Duration d) {
    LatencyModel m;
    m.base = d;
    m.tail_mean = absl::ZeroDuration();
    m.spike_probability = 0;
    return m;
  }
  // Uniform-ish spread: base `lo`, tail mean (hi - lo) / 2 capped at hi.
  static LatencyModel Spread(absl::Duration lo, absl::Duration hi) {
    LatencyModel m;
    m.base = lo;
    m.tail_mean = (hi - lo) / 2;
    m.tail_max = hi - lo;
    m.spike_probability = 0;
    return m;
  }
};

// TCP's knobs, as the simulated kernels use them (see network.h).
struct NetworkOptions {
  LatencyModel latency;
  // Largest segment a transfer is split into (sizes are seeded).
  size_t max_chunk = 64 * 1024;
  // Bytes a sender keeps (unsent + unacknowledged), and bytes a receiver
  // holds unread, per connection direction.
  size_t send_buffer = 256 * 1024;
  size_t recv_buffer = 256 * 1024;
  // Retransmissions back off from rto_min, doubling up to rto_max; data
  // unacknowledged for retransmit_timeout across a broken path aborts the
  // connection with kTimedOut (Linux's tcp_retries2, shortened).
  absl::Duration rto_min = absl::Milliseconds(200);
  absl::Duration rto_max = absl::Seconds(120);
  absl::Duration retransmit_timeout = absl::Seconds(30);
  // SYN retransmissions: after 1 s, then doubling.
  absl::Duration syn_rto = absl::Seconds(1);
  // An idle connection whose path is broken fails after this long (as with
  // SO_KEEPALIVE; Redis turns it on). InfiniteDuration(): idle connections
  // across a partition stay silent forever, as without keepalive.
  absl::Duration keepalive_timeout = absl::Seconds(120);
};

struct WorldOptions {
  NetworkOptions network;
  // Wall clock of every node at virtual time zero: 2026-01-01T00:00:00Z.
  absl::Time wall_epoch = absl::FromUnixSeconds(1767225600);
  // Keep log lines in memory (Node::log_lines); echo them to stderr.
  bool keep_logs = true;
  bool echo_logs = false;
};

// One executed event, as the optional event log keeps it.
struct EventRecord {
  uint64_t index;      // 0-based among executed events
  int64_t at_ns;       // virtual time
  uint32_t node;       // World::kNoNode for world events
  EventKind kind;
  uint64_t detail;     // kind-specific (bytes, fault kind, ...)
  uint64_t hash;       // trace hash after the event and what it enqueued
};

// The first index at which two event logs differ (in any field, hash
// included), or nullopt if one is a prefix of the other and both end
// together. A log that is a strict prefix differs at its end.
std::optional<size_t> FirstDivergence(absl::Span<const EventRecord> a,
                                      absl::Span<const EventRecord> b);

class World {
 public:
  static constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
  static constexpr uint32_t kNoNode = std::numeric_limits<uint32_t>::max();

  explicit World(uint64_t seed, WorldOptions options = WorldOptions());
  ~World();

  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Adds a node. `name` and `ip` must be unique; other nodes reach it at
  // `ip` (or by name), and the node reaches itself at 127.0.0.1/localhost.
  // A node is up from the start; see Node::SetBoot for running a process.
  Node& AddNode(absl::string_view name, absl::string_view ip);
  // The node with this name or ip, or nullptr.
  Node* FindNode(absl::string_view name_or_ip);
  Node& node(uint32_t id) { return *nodes_[id]; }
  size_t node_count() const { return nodes_.size(); }

  // Runs the next event, advancing time to it. False if there is none.
  bool Step();
  // Runs events until none is left (or `max_events` ran). Returns the count.
  // A periodic timer keeps the world busy forever: pass a limit then.
  size_t RunUntilIdle(size_t max_events = kNoLimit);
  // Runs every event due within `d`, then sets the time to now() + d.
  size_t RunFor(absl::Duration d);
  // Runs events until `done()` holds (checked before each event) or the next
  // event lies beyond now() + `limit`; in the latter case time advances to
  // that limit. Returns done().
  bool RunUntil(absl::FunctionRef<bool()> done, absl::Duration limit);

  // Virtual time since the start of the run.
  absl::Duration now() const { return absl::Nanoseconds(now_ns_); }
  uint64_t seed() const { return seed_; }
  uint64_t trace_hash() const { return trace_.value(); }
  uint64_t events_run() const { return events_run_; }
  // Events queued (cancelled timers excluded).
  size_t pending_events() const { return heap_.size() - stale_in_heap_; }
  const WorldOptions& options() const { return options_; }

  // A fresh PRNG stream named `name` (StreamSeed(seed(), name)): for a
  // scenario's workload, say, so that it never shares draws with the world.
  SimRandom Stream(absl::string_view name) const {
    return SimRandom(StreamSeed(seed_, name));
  }
  // The world's own streams: latency and chunking; crash outcomes of
  // processes and clocks; the fault generator (used only while generating).
  Random& network_random() { return network_random_; }
  Random& fault_random() { return fault_random_; }

  // --- Determinism tooling. ---

  // Starts (or stops) recording every executed event from now on.
  void EnableEventLog(bool on = true) { log_events_ = on; }
  const std::vector<EventRecord>& event_log() const { return event_log_; }
  // "#17 t=0.001234567s node server data detail=5 hash=..."
  std::string DescribeEvent(const EventRecord& record) const;

  // --- Faults (faults.h describes the data; network.h, mem_files.h and
  // Node the mechanisms). ---

  // Turns the automatic fault generator on with `config` (its run-wide
  // settings, such as buggify, take effect at once). Every fault it injects
  // is appended to fault_record(). Replaces any previous driver.
  void StartFaults(const FaultConfig& config);
  // Runs with the given schedule instead of the generator: each entry is
  // applied at its time (entries in the past are applied now), and appended
  // to fault_record(). `config` supplies the run-wide settings. Replaying
  // the record of a generated run, with the same seed and scenario, gives
  // the same trace hash.
  void ReplayFaults(const FaultConfig& config,
                    std::vector<ScheduledFault> schedule);
  // No new faults from now on; faults under way still end (partitions heal,
  // crashed nodes restart) as scheduled.
  void StopFaults();
  bool faults_stopped() const;
  // Every fault the driver applied so far, in order.
  const std::vector<ScheduledFault>& fault_record() const;
  // Applies `fault` now, without recording it (scenarios' own faults).
  void ApplyFault(const Fault& fault);
  // The driver's event (faults.cc); stale epochs are ignored.
  void RunFaultDriver(uint64_t epoch);

  BuggifyRegistry& buggify() { return *buggify_; }
  Fabric& fabric() { return *fabric_; }

  // --- For sim components (executors, network, fault models). ---

  // Runs `task` at virtual time `at` (>= now()) for `node` (kNoNode for the
  // world itself). A process event for a node that is not up is dropped
  // (destroyed at once). `detail` is folded into the trace.
  void Enqueue(absl::Duration at, uint32_t node, EventKind kind, Task task,
               uint64_t detail = 0);
  // Like Enqueue, but the event enters the trace only when it runs, not
  // when it is enqueued: for look-ahead bookkeeping that a replay of the
  // same run may lack (the fault generator's next entry).
  void EnqueueUntraced(absl::Duration at, uint32_t node, EventKind kind,
                       Task task, uint64_t detail = 0);
  // Like Enqueue, but cancellable; returns a non-zero id (also when the
  // event was dropped; cancelling that id then returns false).
  // `monotonic_target` (>= 0) makes a process timer wait, when it comes
  // due, until the node's monotonic clock reached it (for drifting clocks).
  TimerId AddTimer(absl::Duration at, uint32_t node, EventKind kind,
                   Task task, int64_t monotonic_target_ns = -1);
  // Destroys the task of a pending timer. False if it ran, was cancelled,
  // or never existed.
  bool CancelTimer(TimerId id);

  // The node whose event is running, or kNoNode.
  uint32_t current_node() const { return current_node_; }

 private:
  friend class Node;

  struct Slot {
    Task task;
    uint64_t detail = 0;
    uint64_t incarnation = 0;
    int64_t monotonic_target = -1;
    uint32_t node = kNoNode;
    uint32_t gen = 1;  // bumped whenever the slot is freed
    EventKind kind = EventKind::kPost;
    bool live = false;
  };
  struct HeapEntry {
    int64_t at;
    uint64_t seq;
    uint32_t slot;
    uint32_t gen;
  };
  struct Later {
    bool operator()(const HeapEntry& a, const HeapEntry& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  TimerId Push(int64_t at, uint32_t node, EventKind kind, Task task,
               uint64_t detail, int64_t monotonic_target, bool traced = true);
  void FreeSlot(uint32_t index);
  // Runs the next event due at or before `limit`; false if there is none.
  bool StepUntil(int64_t limit);
  // Drops cancelled entries from the front of the queue.
  void Prune();
  // Drops every cancelled entry once they are the majority.
  void MaybeCompact();
  // Moves every pending process event of `node` out of the queue.
  std::vector<Task> TakeProcessEvents(uint32_t node);
  // Re-queues a popped entry at `at` ahead of the events already due then.
  void Defer(HeapEntry entry, int64_t at);

  const uint64_t seed_;
  const WorldOptions options_;
  int64_t now_ns_ = 0;
  // Normal events take sequence numbers from 2^63 up; deferred ones from 0
  // up, so that at the end of a pause they run before anything else due then.
  uint64_t next_seq_ = uint64_t{1} << 63;
  uint64_t next_deferred_seq_ = 0;
  uint64_t events_run_ = 0;
  TraceHash trace_;
  bool shutting_down_ = false;
  std::vector<HeapEntry> heap_;
  size_t stale_in_heap_ = 0;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint32_t current_node_ = kNoNode;
  bool log_events_ = false;
  std::vector<EventRecord> event_log_;
  SimRandom network_random_;
  SimRandom fault_random_;
  std::unique_ptr<BuggifyRegistry> buggify_;
  std::unique_ptr<Fabric> fabric_;
  std::unique_ptr<FaultDriver> faults_;
  uint64_t fault_epoch_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
};

// The Executor of one node: events on the world's loop, tagged with the node.
class SimExecutor final : public Executor {
 public:
  SimExecutor(World& world, Node& node) : world_(world), node_(node) {}
  void Post(Task task) override;
  TimerId Schedule(absl::Duration delay, Task task) override;
  bool Cancel(TimerId id) override;

 private:
  World& world_;
  Node& node_;
};

// A node's clocks. Monotonic: the node's local time (virtual time, plus the
// stall of the code running now) run at 1 + drift_ppm * 1e-6 of true rate;
// rate changes never make it go back. Wall: epoch + monotonic + offset,
// where jumps move the offset.
class SimClock final : public Clock {
 public:
  SimClock(World& world, Node& node) : world_(world), node_(node) {}
  absl::Duration Monotonic() override {
    return absl::Nanoseconds(MonotonicAt(LocalNowNs()));
  }
  absl::Time Now() override {
    return world_.options().wall_epoch + Monotonic() + wall_offset_;
  }

  // A wall clock jump (NTP step, operator): Now() moves by `delta`.
  void JumpWall(absl::Duration delta) { wall_offset_ += delta; }
  void set_wall_offset(absl::Duration d) { wall_offset_ = d; }
  absl::Duration wall_offset() const { return wall_offset_; }
  // From now on the monotonic clock runs fast (ppm > 0) or slow (< 0);
  // |ppm| < 1e6.
  void SetDriftPpm(int64_t ppm);
  int64_t drift_ppm() const { return ppm_; }

  // The node's monotonic reading (ns) at node-local time `local_ns`.
  int64_t MonotonicAt(int64_t local_ns) const;
  // The smallest node-local time at which MonotonicAt() >= `target_ns`,
  // assuming the current rate.
  int64_t LocalTimeFor(int64_t target_ns) const;

 private:
  int64_t LocalNowNs() const;

  World& world_;
  Node& node_;
  int64_t ppm_ = 0;
  int64_t base_local_ns_ = 0;      // rate last changed at this local time
  int64_t base_monotonic_ns_ = 0;  // ... when the clock read this
  absl::Duration wall_offset_ = absl::ZeroDuration();
};

// Keeps lines as "<virtual seconds> <node> <mark> <message>", and/or echoes
// them to stderr.
class SimLogger final : public Logger {
 public:
  SimLogger(World& world, std::string node_name, bool keep, bool echo)
      : world_(world), node_name_(std::move(node_name)), keep_(keep),
        echo_(echo) {}
  void Log(LogLevel level, absl::string_view message) override;
  const std::vector<std::string>& lines() const { return lines_; }
  void clear() { lines_.clear(); }

 private:
  World& world_;
  const std::string node_name_;
  const bool keep_;
  const bool echo_;
  std::vector<std::string> lines_;
};

// Whatever a scenario runs on a node (a server, a client harness). The
// simulator only owns it: it is built by the node's boot function and
// destroyed, detached from the world, when the node crashes.
class Process {
 public:
  virtual ~Process() = default;
};

enum class CrashKind : uint8_t {
  kKill,      // the process dies; the machine, its kernel and cache live on
  kPowerCut,  // the machine loses power: sockets vanish, unsynced data too
};
absl::string_view CrashKindName(CrashKind kind);

// One simulated machine and the process on it: its Runtime.
class Node final : public Runtime {
 public:
  using BootFunction = std::function<std::unique_ptr<Process>(Node&)>;

  Node(World& world, uint32_t id, std::string name, std::string ip);
  ~Node() override;

  const std::string& name() const { return name_; }
  const std::string& ip() const { return ip_; }
  uint32_t id() const { return id_; }
  // Bumped by every crash: events of older incarnations never run.
  uint64_t incarnation() const { return incarnation_; }
  World& world() { return world_; }

  Executor& executor() override { return executor_; }
  Clock& clock() override { return clock_; }
  Random& random() override { return random_; }
  Network& network() override;
  FileSystem& files() override;
  Logger& logger() override { return logger_; }
  bool Buggify(absl::string_view point) override;

  SimClock& sim_clock() { return clock_; }
  MemFileSystem& mem_files() { return *files_; }
  const std::vector<std::string>& log_lines() const { return logger_.lines(); }

  // --- Processes. ---

  // What Boot() runs to build the node's process from what is on disk.
  // Without one, a node runs no process: the scenario drives it directly.
  void SetBoot(BootFunction boot) { boot_ = std::move(boot); }
  bool has_boot() const { return static_cast<bool>(boot_); }
  // Powers the machine on if needed and builds the process, now (inline).
  // No-op if the process already runs (or, without a boot function, if the
  // node is up). A node starts up, without a process: Boot() builds it.
  void Boot();
  // Kills the process or cuts the power (see the fault model above). No-op
  // if the node is already down, except that a power cut of a node whose
  // process was killed still resolves its disk.
  void Crash(CrashKind kind);
  // Boots after `delay` (a kernel event; no-op if the node is up by then).
  void BootAfter(absl::Duration delay);
  // Stops running process events until now + d (extends a running pause).
  void Pause(absl::Duration d);

  // Crash and Boot destroy or build the process: call them from a world
  // event (a fault, World::Enqueue with kNoNode) or from outside the loop,
  // never from the node's own code.

  bool up() const { return state_ == State::kUp; }
  // The machine is on (up, or its process was killed).
  bool powered() const { return state_ != State::kOff; }
  bool paused() const;
  // Whether process code may run on this node right now.
  bool runnable() const;
  Process* process() { return process_.get(); }
  template <typename T>
  T* process_as() {
    return static_cast<T*>(process_.get());
  }
  // How many times the node booted, crashed.
  int boots() const { return boots_; }
  int crashes() const { return crashes_; }

  // --- Time as the node sees it. ---

  // Virtual time plus the stall of the code running on this node now; never
  // less than the node saw before.
  absl::Duration LocalNow() const { return absl::Nanoseconds(LocalNowNs()); }
  int64_t LocalNowNs() const;
  // The code running now on this node takes `d` longer (a slow disk, a
  // forced slow path): its clock moves on by d now, and its next process
  // events wait until then. Outside the node's events: a pause.
  void Stall(absl::Duration d);

 private:
  friend class World;
  enum class State : uint8_t { kUp, kKilled, kOff };

  // After one of this node's events ran: turn its stall into a pause.
  void SettleStall();

  World& world_;
  const uint32_t id_;
  const std::string name_;
  const std::string ip_;
  uint64_t incarnation_ = 0;
  State state_ = State::kUp;
  bool booted_ = false;  // the boot function ran in this incarnation
  int boots_ = 0;
  int crashes_ = 0;
  int64_t busy_until_ns_ = 0;  // process events wait until then
  int64_t stall_ns_ = 0;       // of the event running now
  int64_t local_floor_ns_ = 0;
  SimExecutor executor_;
  SimClock clock_;
  SimRandom random_;
  SimLogger logger_;
  std::unique_ptr<SimNetwork> network_;
  std::unique_ptr<MemFileSystem> files_;
  BootFunction boot_;
  std::unique_ptr<Process> process_;
};

inline int64_t Node::LocalNowNs() const {
  int64_t t = world_.now_ns_;
  if (world_.current_node_ == id_) t += stall_ns_;
  return t > local_floor_ns_ ? t : local_floor_ns_;
}

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_WORLD_H_
