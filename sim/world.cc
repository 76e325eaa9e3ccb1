#include "sim/world.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/buggify.h"
#include "sim/faults.h"
#include "sim/mem_files.h"
#include "sim/network.h"

namespace twinkv::sim {

namespace {

constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
// The id AddTimer returns for a dropped event: its slot never exists.
constexpr TimerId kDroppedTimer = (uint64_t{1} << 32) | 0xffffffffu;

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > kForever - b) return kForever;
  return a + b;
}

}  // namespace

absl::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kPost:
      return "post";
    case EventKind::kTimer:
      return "timer";
    case EventKind::kConnectDone:
      return "connect-done";
    case EventKind::kReadDone:
      return "read-done";
    case EventKind::kWriteDone:
      return "write-done";
    case EventKind::kAccept:
      return "accept";
    case EventKind::kSyn:
      return "syn";
    case EventKind::kSynAck:
      return "syn-ack";
    case EventKind::kData:
      return "data";
    case EventKind::kFin:
      return "fin";
    case EventKind::kRst:
      return "rst";
    case EventKind::kAck:
      return "ack";
    case EventKind::kNetTimer:
      return "net-timer";
    case EventKind::kFault:
      return "fault";
    case EventKind::kBoot:
      return "boot";
    case EventKind::kFaultDriver:
      return "fault-driver";
    case EventKind::kSyncDone:
      return "sync-done";
  }
  return "?";
}

bool IsProcessEvent(EventKind kind) {
  switch (kind) {
    case EventKind::kPost:
    case EventKind::kTimer:
    case EventKind::kConnectDone:
    case EventKind::kReadDone:
    case EventKind::kWriteDone:
    case EventKind::kAccept:
    case EventKind::kSyncDone:
      return true;
    default:
      return false;
  }
}

absl::string_view CrashKindName(CrashKind kind) {
  return kind == CrashKind::kKill ? "kill" : "power-cut";
}

std::optional<size_t> FirstDivergence(absl::Span<const EventRecord> a,
                                      absl::Span<const EventRecord> b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const EventRecord& x = a[i];
    const EventRecord& y = b[i];
    if (x.at_ns != y.at_ns || x.node != y.node || x.kind != y.kind ||
        x.detail != y.detail || x.hash != y.hash) {
      return i;
    }
  }
  if (a.size() != b.size()) return n;
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// World

World::World(uint64_t seed, WorldOptions options)
    : seed_(seed),
      options_(options),
      network_random_(StreamSeed(seed, "network")),
      fault_random_(StreamSeed(seed, "faults")),
      buggify_(std::make_unique<BuggifyRegistry>(seed)),
      fabric_(std::make_unique<Fabric>(*this)) {
  assert(options_.network.max_chunk > 0);
  assert(options_.network.send_buffer > 0 && options_.network.recv_buffer > 0);
}

World::~World() {
  // Destroying processes and queued tasks may close streams, whose Close()
  // would enqueue more: refuse new events, then tear down.
  shutting_down_ = true;
  for (auto& node : nodes_) node->process_.reset();
  while (!slots_.empty()) {
    std::vector<Slot> slots = std::move(slots_);
    slots_.clear();
  }
  heap_.clear();
  faults_.reset();
  nodes_.clear();
  fabric_.reset();
}

Node& World::AddNode(absl::string_view name, absl::string_view ip) {
  assert(FindNode(name) == nullptr && FindNode(ip) == nullptr);
  const uint32_t id = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(
      std::make_unique<Node>(*this, id, std::string(name), std::string(ip)));
  return *nodes_.back();
}

Node* World::FindNode(absl::string_view name_or_ip) {
  for (auto& node : nodes_) {
    if (node->name() == name_or_ip || node->ip() == name_or_ip) {
      return node.get();
    }
  }
  return nullptr;
}

TimerId World::Push(int64_t at, uint32_t node, EventKind kind, Task task,
                    uint64_t detail, int64_t monotonic_target, bool traced) {
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[index];
  s.task = std::move(task);
  s.detail = detail;
  s.node = node;
  s.kind = kind;
  s.live = true;
  s.monotonic_target = monotonic_target;
  s.incarnation = node == kNoNode ? 0 : nodes_[node]->incarnation_;
  heap_.push_back(HeapEntry{at, next_seq_++, index, s.gen});
  std::push_heap(heap_.begin(), heap_.end(), Later());
  // What an event enqueues is part of what it did: a run that diverges
  // shows it at the event that scheduled something different.
  if (traced) {
    trace_.Fold(static_cast<uint64_t>(at) ^
              (static_cast<uint64_t>(kind) << 56) ^
                (static_cast<uint64_t>(node) << 40));
  }
  return (uint64_t{s.gen} << 32) | index;
}

void World::FreeSlot(uint32_t index) {
  Slot& s = slots_[index];
  s.live = false;
  if (++s.gen == 0) s.gen = 1;  // ids are never 0
  free_slots_.push_back(index);
}

void World::Enqueue(absl::Duration at, uint32_t node, EventKind kind,
                    Task task, uint64_t detail) {
  if (shutting_down_) return;
  if (node != kNoNode && IsProcessEvent(kind) && !nodes_[node]->up()) return;
  const int64_t at_ns = absl::ToInt64Nanoseconds(at);
  assert(at_ns >= now_ns_);
  Push(std::max(at_ns, now_ns_), node, kind, std::move(task), detail, -1);
}

void World::EnqueueUntraced(absl::Duration at, uint32_t node, EventKind kind,
                            Task task, uint64_t detail) {
  if (shutting_down_) return;
  if (node != kNoNode && IsProcessEvent(kind) && !nodes_[node]->up()) return;
  const int64_t at_ns = absl::ToInt64Nanoseconds(at);
  assert(at_ns >= now_ns_);
  Push(std::max(at_ns, now_ns_), node, kind, std::move(task), detail, -1,
       /*traced=*/false);
}

TimerId World::AddTimer(absl::Duration at, uint32_t node, EventKind kind,
                        Task task, int64_t monotonic_target_ns) {
  if (shutting_down_) return kDroppedTimer;
  if (node != kNoNode && IsProcessEvent(kind) && !nodes_[node]->up()) {
    return kDroppedTimer;
  }
  const int64_t at_ns = absl::ToInt64Nanoseconds(at);
  assert(at_ns >= now_ns_);
  return Push(std::max(at_ns, now_ns_), node, kind, std::move(task), 0,
              monotonic_target_ns);
}

bool World::CancelTimer(TimerId id) {
  const uint32_t index = static_cast<uint32_t>(id & 0xffffffffu);
  const uint32_t gen = static_cast<uint32_t>(id >> 32);
  if (index >= slots_.size()) return false;
  Slot& s = slots_[index];
  if (!s.live || s.gen != gen) return false;
  // Destroy the task only once the slot is consistent: its destructor may
  // call back into the world.
  Task task = std::move(s.task);
  FreeSlot(index);
  ++stale_in_heap_;
  MaybeCompact();
  return true;
}

void World::MaybeCompact() {
  // Cancelled timeouts (a request's, say) would otherwise sit in the heap
  // until their time comes, making every push and pop slower.
  if (stale_in_heap_ < 1024 || stale_in_heap_ * 2 < heap_.size()) return;
  std::erase_if(heap_, [this](const HeapEntry& e) {
    const Slot& s = slots_[e.slot];
    return !s.live || s.gen != e.gen;
  });
  std::make_heap(heap_.begin(), heap_.end(), Later());
  stale_in_heap_ = 0;
}

void World::Prune() {
  while (!heap_.empty()) {
    const HeapEntry& front = heap_.front();
    const Slot& s = slots_[front.slot];
    if (s.live && s.gen == front.gen) return;
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
    --stale_in_heap_;
  }
}

void World::Defer(HeapEntry entry, int64_t at) {
  entry.at = at;
  entry.seq = next_deferred_seq_++;
  heap_.push_back(entry);
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

std::vector<Task> World::TakeProcessEvents(uint32_t node) {
  std::vector<Task> tasks;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.live || s.node != node || !IsProcessEvent(s.kind)) continue;
    tasks.push_back(std::move(s.task));
    FreeSlot(i);
    ++stale_in_heap_;
  }
  MaybeCompact();
  return tasks;
}

bool World::StepUntil(int64_t limit) {
  for (;;) {
    Prune();
    if (heap_.empty() || heap_.front().at > limit) return false;
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    const HeapEntry entry = heap_.back();
    heap_.pop_back();
    Slot& s = slots_[entry.slot];
    now_ns_ = std::max(now_ns_, entry.at);
    if (s.node != kNoNode && IsProcessEvent(s.kind)) {
      Node& n = *nodes_[s.node];
      if (s.incarnation != n.incarnation_ || !n.up()) {
        // Left over from before a crash (normally purged by it).
        Task dropped = std::move(s.task);
        FreeSlot(entry.slot);
        continue;
      }
      if (n.busy_until_ns_ > entry.at) {
        Defer(entry, n.busy_until_ns_);
        continue;
      }
      if (s.monotonic_target >= 0) {
        // A drifting clock: due by virtual time, but is it by the node's?
        const int64_t local = std::max(now_ns_, n.local_floor_ns_);
        if (n.clock_.MonotonicAt(local) < s.monotonic_target) {
          HeapEntry again = entry;
          again.at = std::max(n.clock_.LocalTimeFor(s.monotonic_target),
                              entry.at + 1);
          again.seq = next_seq_++;
          heap_.push_back(again);
          std::push_heap(heap_.begin(), heap_.end(), Later());
          continue;
        }
      }
    }
    if (s.kind == EventKind::kFaultDriver && faults_stopped()) {
      Task dropped = std::move(s.task);
      FreeSlot(entry.slot);
      continue;
    }
    Task task = std::move(s.task);
    const uint32_t node = s.node;
    const EventKind kind = s.kind;
    const uint64_t detail = s.detail;
    FreeSlot(entry.slot);
    ++events_run_;
    trace_.Fold(static_cast<uint64_t>(entry.at));
    trace_.Fold((static_cast<uint64_t>(node) << 8) |
                static_cast<uint64_t>(kind));
    trace_.Fold(detail);
    current_node_ = node;
    std::move(task)();
    current_node_ = kNoNode;
    if (node != kNoNode) nodes_[node]->SettleStall();
    if (log_events_) {
      event_log_.push_back(EventRecord{events_run_ - 1, entry.at, node, kind,
                                       detail, trace_.value()});
    }
    return true;
  }
}

bool World::Step() { return StepUntil(kForever); }

size_t World::RunUntilIdle(size_t max_events) {
  size_t n = 0;
  while (n < max_events && StepUntil(kForever)) ++n;
  return n;
}

size_t World::RunFor(absl::Duration d) {
  const int64_t end = SaturatingAdd(now_ns_, absl::ToInt64Nanoseconds(d));
  size_t n = 0;
  while (StepUntil(end)) ++n;
  if (end != kForever) now_ns_ = std::max(now_ns_, end);
  return n;
}

bool World::RunUntil(absl::FunctionRef<bool()> done, absl::Duration limit) {
  const int64_t end =
      SaturatingAdd(now_ns_, absl::ToInt64Nanoseconds(limit));
  while (!done()) {
    if (!StepUntil(end)) {
      if (end != kForever) now_ns_ = std::max(now_ns_, end);
      return done();
    }
  }
  return true;
}

std::string World::DescribeEvent(const EventRecord& r) const {
  const std::string node =
      r.node == kNoNode ? "world" : nodes_[r.node]->name();
  return absl::StrFormat("#%d t=%.9fs node=%s %s detail=%d hash=%016x",
                         r.index, static_cast<double>(r.at_ns) * 1e-9, node,
                         EventKindName(r.kind), r.detail, r.hash);
}

void World::StartFaults(const FaultConfig& config) {
  std::vector<ScheduledFault> record;
  if (faults_ != nullptr) record = faults_->TakeRecord();
  buggify_->set_enable_fraction(config.buggify_enable_fraction);
  buggify_->set_active(config.buggify);
  faults_ = std::make_unique<FaultDriver>(*this, config, std::nullopt,
                                          std::move(record), ++fault_epoch_);
  faults_->Start();
}

void World::ReplayFaults(const FaultConfig& config,
                         std::vector<ScheduledFault> schedule) {
  std::vector<ScheduledFault> record;
  if (faults_ != nullptr) record = faults_->TakeRecord();
  buggify_->set_enable_fraction(config.buggify_enable_fraction);
  buggify_->set_active(config.buggify);
  faults_ = std::make_unique<FaultDriver>(
      *this, config, std::move(schedule), std::move(record), ++fault_epoch_);
  faults_->Start();
}

void World::StopFaults() {
  if (faults_ != nullptr) faults_->Stop();
}

bool World::faults_stopped() const {
  return faults_ == nullptr || faults_->stopped();
}

const std::vector<ScheduledFault>& World::fault_record() const {
  static const auto* const kEmpty = new std::vector<ScheduledFault>();
  return faults_ == nullptr ? *kEmpty : faults_->record();
}

void World::ApplyFault(const Fault& fault) { sim::ApplyFault(*this, fault); }

void World::RunFaultDriver(uint64_t epoch) {
  if (faults_ != nullptr) faults_->Fire(epoch);
}

// ---------------------------------------------------------------------------

void SimExecutor::Post(Task task) {
  world_.Enqueue(node_.LocalNow(), node_.id(), EventKind::kPost,
                 std::move(task));
}

TimerId SimExecutor::Schedule(absl::Duration delay, Task task) {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  const int64_t delay_ns = absl::ToInt64Nanoseconds(delay);
  const int64_t local = node_.LocalNowNs();
  SimClock& clock = node_.sim_clock();
  // Due when the node's own clock has advanced by `delay`.
  const int64_t target = SaturatingAdd(clock.MonotonicAt(local), delay_ns);
  const int64_t at =
      clock.drift_ppm() == 0 ? SaturatingAdd(local, delay_ns)
                             : std::max(local, clock.LocalTimeFor(target));
  return world_.AddTimer(absl::Nanoseconds(at), node_.id(), EventKind::kTimer,
                         std::move(task), target);
}

bool SimExecutor::Cancel(TimerId id) { return world_.CancelTimer(id); }

int64_t SimClock::LocalNowNs() const { return node_.LocalNowNs(); }

int64_t SimClock::MonotonicAt(int64_t local_ns) const {
  const int64_t elapsed = std::max<int64_t>(0, local_ns - base_local_ns_);
  const __int128 scaled = static_cast<__int128>(elapsed) * (1000000 + ppm_);
  // Floor division of a non-negative value.
  return SaturatingAdd(base_monotonic_ns_,
                       static_cast<int64_t>(scaled / 1000000));
}

int64_t SimClock::LocalTimeFor(int64_t target_ns) const {
  if (target_ns <= base_monotonic_ns_) return base_local_ns_;
  if (target_ns == kForever) return kForever;
  const __int128 need = static_cast<__int128>(target_ns - base_monotonic_ns_);
  // The smallest elapsed with elapsed * (1e6 + ppm) / 1e6 >= need.
  const __int128 rate = 1000000 + ppm_;
  __int128 elapsed = (need * 1000000 + rate - 1) / rate;
  const int64_t cap = kForever - base_local_ns_;
  if (elapsed > cap) return kForever;
  int64_t t = base_local_ns_ + static_cast<int64_t>(elapsed);
  while (MonotonicAt(t) < target_ns) ++t;
  return t;
}

void SimClock::SetDriftPpm(int64_t ppm) {
  ppm = std::clamp<int64_t>(ppm, -500000, 500000);
  const int64_t local = LocalNowNs();
  base_monotonic_ns_ = MonotonicAt(local);
  base_local_ns_ = local;
  ppm_ = ppm;
}

void SimLogger::Log(LogLevel level, absl::string_view message) {
  if (!keep_ && !echo_) return;
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  std::string line = absl::StrFormat(
      "%.6f %s %c %s", absl::ToDoubleSeconds(world_.now()), node_name_,
      kMarks[static_cast<int>(level) & 3], message);
  if (echo_) std::fprintf(stderr, "%s\n", line.c_str());
  if (keep_) lines_.push_back(std::move(line));
}

// ---------------------------------------------------------------------------
// Node

Node::Node(World& world, uint32_t id, std::string name, std::string ip)
    : world_(world),
      id_(id),
      name_(std::move(name)),
      ip_(std::move(ip)),
      executor_(world, *this),
      clock_(world, *this),
      random_(StreamSeed(world.seed(), absl::StrCat("node:", name_))),
      logger_(world, name_, world.options().keep_logs,
              world.options().echo_logs),
      network_(std::make_unique<SimNetwork>(world, *this)),
      files_(std::make_unique<MemFileSystem>(
          StreamSeed(world.seed(), absl::StrCat("disk:", name_)))) {
  files_->set_stall([this](absl::Duration d) { Stall(d); });
  // SyncAsync completions are the process's events: a crash drops them.
  files_->set_scheduler([this](absl::Duration d, std::function<void()> f) {
    world_.Enqueue(LocalNow() + d, id_, EventKind::kSyncDone, std::move(f));
  });
}

Node::~Node() { process_.reset(); }

Network& Node::network() { return *network_; }
FileSystem& Node::files() { return *files_; }

bool Node::Buggify(absl::string_view point) {
  return world_.buggify().Evaluate(point);
}

bool Node::paused() const { return busy_until_ns_ > world_.now_ns_; }

bool Node::runnable() const {
  return state_ == State::kUp && busy_until_ns_ <= world_.now_ns_;
}

void Node::Stall(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  if (world_.current_node_ == id_) {
    stall_ns_ = SaturatingAdd(stall_ns_, absl::ToInt64Nanoseconds(d));
  } else {
    Pause(d);
  }
}

void Node::SettleStall() {
  if (stall_ns_ == 0) return;
  const int64_t end = SaturatingAdd(world_.now_ns_, stall_ns_);
  busy_until_ns_ = std::max(busy_until_ns_, end);
  local_floor_ns_ = std::max(local_floor_ns_, end);
  stall_ns_ = 0;
}

void Node::Pause(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  busy_until_ns_ = std::max(
      busy_until_ns_, SaturatingAdd(LocalNowNs(), absl::ToInt64Nanoseconds(d)));
}

void Node::Boot() {
  if (state_ == State::kUp && (booted_ || !boot_)) return;
  const bool was_off = state_ == State::kOff;
  state_ = State::kUp;
  ++boots_;
  booted_ = true;
  if (was_off) world_.fabric().OnPowerUp(*this);
  if (boot_) process_ = boot_(*this);
}

void Node::BootAfter(absl::Duration delay) {
  world_.Enqueue(world_.now() + std::max(delay, absl::ZeroDuration()),
                 World::kNoNode, EventKind::kBoot, [this] { Boot(); }, id_);
}

void Node::Crash(CrashKind kind) {
  if (state_ == State::kOff) return;
  if (state_ == State::kKilled && kind == CrashKind::kKill) return;
  assert(world_.current_node_ != id_);  // never from the node's own code
  const bool was_up = state_ == State::kUp;
  ++crashes_;
  state_ = kind == CrashKind::kKill ? State::kKilled : State::kOff;
  ++incarnation_;
  booted_ = false;
  busy_until_ns_ = 0;
  stall_ns_ = 0;
  // The process's pending work, sockets and file handles are detached
  // before it is destroyed, so that its destructor reaches nothing.
  std::vector<Task> dropped;
  if (was_up) dropped = world_.TakeProcessEvents(id_);
  world_.fabric().OnCrash(*this, kind);
  files_->InvalidateHandles();
  dropped.clear();
  std::unique_ptr<Process> process = std::move(process_);
  process.reset();
  if (kind == CrashKind::kPowerCut) files_->PowerCut();
  logger_.Log(LogLevel::kWarning,
              absl::StrCat("simulator: ", CrashKindName(kind)));
}

}  // namespace twinkv::sim
