#include "sim/faults.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/buggify.h"
#include "sim/mem_files.h"
#include "sim/network.h"

namespace twinkv::sim {

namespace {

constexpr absl::string_view kKindNames[kFaultKindCount] = {
    "partition",      "clog-node",        "clog-link",   "black-hole-link",
    "black-hole-conn", "reset-conn",      "drop-conn",   "refuse-connects",
    "drop-syns",      "crash",            "pause",       "disk-write-errors",
    "disk-sync-errors", "disk-slow",      "disk-full",   "clock-jump",
    "clock-drift",
};

std::string DurationText(absl::Duration d) {
  return d == absl::InfiniteDuration() ? "forever" : absl::FormatDuration(d);
}

}  // namespace

absl::string_view FaultKindName(FaultKind kind) {
  const int i = static_cast<int>(kind);
  return i < kFaultKindCount ? kKindNames[i] : "?";
}

std::optional<FaultKind> FaultKindFromName(absl::string_view name) {
  for (int i = 0; i < kFaultKindCount; ++i) {
    if (kKindNames[i] == name) return static_cast<FaultKind>(i);
  }
  return std::nullopt;
}

std::string FaultToString(const ScheduledFault& sf, World* world) {
  const Fault& f = sf.fault;
  auto name = [&](uint32_t id) -> std::string {
    if (world != nullptr && id < world->node_count()) {
      return world->node(id).name();
    }
    return absl::StrCat("#", id);
  };
  std::string out = absl::StrFormat("%.6fs %s", absl::ToDoubleSeconds(sf.at),
                                    FaultKindName(f.kind));
  switch (f.kind) {
    case FaultKind::kPartition:
      absl::StrAppend(&out, " ", name(f.a), f.flag ? " -> " : " <-> ",
                      name(f.b), " for ", DurationText(f.duration));
      break;
    case FaultKind::kClogLink:
    case FaultKind::kBlackHoleLink:
      absl::StrAppend(&out, " ", name(f.a), " -> ", name(f.b), " for ",
                      DurationText(f.duration));
      break;
    case FaultKind::kClogNode:
    case FaultKind::kPause:
    case FaultKind::kDiskFull:
      absl::StrAppend(&out, " ", name(f.a), " for ", DurationText(f.duration));
      break;
    case FaultKind::kBlackHoleConnection:
    case FaultKind::kResetConnection:
    case FaultKind::kDropConnection:
      absl::StrAppend(&out, absl::StrFormat(" pick=%016x", f.pick));
      break;
    case FaultKind::kRefuseConnects:
    case FaultKind::kDropSyns:
    case FaultKind::kDiskWriteErrors:
    case FaultKind::kDiskSyncErrors:
      absl::StrAppend(&out, " ", name(f.a), " x", f.amount);
      break;
    case FaultKind::kDiskSlow:
      absl::StrAppend(&out, " ", name(f.a), " x", f.amount, " each ",
                      DurationText(f.duration));
      break;
    case FaultKind::kCrash:
      absl::StrAppend(&out, " ", name(f.a), f.flag ? " power-cut" : " kill",
                      " restart after ", DurationText(f.duration));
      break;
    case FaultKind::kClockJump:
      absl::StrAppend(&out, " ", name(f.a), " by ",
                      DurationText(absl::Nanoseconds(f.amount)));
      break;
    case FaultKind::kClockDrift:
      absl::StrAppend(&out, " ", name(f.a), " ", f.amount, " ppm");
      break;
  }
  return out;
}

std::string SerializeSchedule(const std::vector<ScheduledFault>& schedule) {
  std::string out;
  for (const ScheduledFault& sf : schedule) {
    const Fault& f = sf.fault;
    const std::string duration =
        f.duration == absl::InfiniteDuration()
            ? "inf"
            : absl::StrCat(absl::ToInt64Nanoseconds(f.duration));
    absl::StrAppend(&out, absl::ToInt64Nanoseconds(sf.at), " ",
                    FaultKindName(f.kind), " ", f.a, " ", f.b, " ",
                    f.flag ? 1 : 0, " ", duration, " ", f.amount, " ", f.pick,
                    "\n");
  }
  return out;
}

absl::StatusOr<std::vector<ScheduledFault>> ParseSchedule(
    absl::string_view text) {
  std::vector<ScheduledFault> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault schedule line ", line_no, ": ", why));
    };
    if (f.size() != 8) return bad("expected 8 fields");
    ScheduledFault sf;
    int64_t at_ns, duration_ns = 0, amount;
    uint32_t a, b, flag;
    uint64_t pick;
    std::optional<FaultKind> kind = FaultKindFromName(f[1]);
    if (!kind) return bad(absl::StrCat("unknown fault kind ", f[1]));
    if (!absl::SimpleAtoi(f[0], &at_ns) || !absl::SimpleAtoi(f[2], &a) ||
        !absl::SimpleAtoi(f[3], &b) || !absl::SimpleAtoi(f[4], &flag) ||
        (f[5] != "inf" && !absl::SimpleAtoi(f[5], &duration_ns)) ||
        !absl::SimpleAtoi(f[6], &amount) || !absl::SimpleAtoi(f[7], &pick)) {
      return bad("bad number");
    }
    sf.at = absl::Nanoseconds(at_ns);
    sf.fault.kind = *kind;
    sf.fault.a = a;
    sf.fault.b = b;
    sf.fault.flag = flag != 0;
    sf.fault.duration = f[5] == "inf" ? absl::InfiniteDuration()
                                      : absl::Nanoseconds(duration_ns);
    sf.fault.amount = amount;
    sf.fault.pick = pick;
    out.push_back(sf);
  }
  return out;
}

// ---------------------------------------------------------------------------
// FaultConfig

FaultConfig FaultConfig::All() {
  FaultConfig c;
  c.rate_of(FaultKind::kPartition) = 0.1;
  c.rate_of(FaultKind::kClogNode) = 0.1;
  c.rate_of(FaultKind::kClogLink) = 0.2;
  c.rate_of(FaultKind::kBlackHoleLink) = 0.02;
  c.rate_of(FaultKind::kBlackHoleConnection) = 0.02;
  c.rate_of(FaultKind::kResetConnection) = 0.2;
  c.rate_of(FaultKind::kDropConnection) = 0.05;
  c.rate_of(FaultKind::kRefuseConnects) = 0.1;
  c.rate_of(FaultKind::kDropSyns) = 0.1;
  c.rate_of(FaultKind::kCrash) = 0.05;
  c.rate_of(FaultKind::kPause) = 0.1;
  c.rate_of(FaultKind::kDiskWriteErrors) = 0.05;
  c.rate_of(FaultKind::kDiskSyncErrors) = 0.05;
  c.rate_of(FaultKind::kDiskSlow) = 0.1;
  c.rate_of(FaultKind::kDiskFull) = 0.02;
  c.rate_of(FaultKind::kClockJump) = 0.05;
  c.rate_of(FaultKind::kClockDrift) = 0.05;
  c.buggify = true;
  return c;
}

FaultConfig FaultConfig::Swarm(Random& random) {
  // Per kind, the range of rates (faults per simulated second) it is drawn
  // from, log-uniformly, when on.
  static constexpr double kRange[kFaultKindCount][2] = {
      {0.005, 0.5},   // partition
      {0.01, 1.0},    // clog node
      {0.01, 2.0},    // clog link
      {0.002, 0.1},   // black hole link
      {0.002, 0.1},   // black hole connection
      {0.01, 2.0},    // reset
      {0.005, 0.5},   // drop connection
      {0.01, 1.0},    // refuse connects
      {0.01, 1.0},    // drop syns
      {0.002, 0.2},   // crash
      {0.01, 1.0},    // pause
      {0.005, 0.5},   // disk write errors
      {0.005, 0.5},   // disk sync errors
      {0.01, 1.0},    // disk slow
      {0.002, 0.1},   // disk full
      {0.005, 0.5},   // clock jump
      {0.005, 0.5},   // clock drift
  };
  FaultConfig c;
  bool any = false;
  for (int i = 0; i < kFaultKindCount; ++i) {
    const bool on = random.Bernoulli(0.5);
    const double rate = LogUniform(random, kRange[i][0], kRange[i][1]);
    if (on) {
      c.rate[i] = rate;
      any = true;
    }
  }
  if (!any) {
    const int i = static_cast<int>(random.Uniform(kFaultKindCount));
    c.rate[i] = kRange[i][1];
  }
  c.one_way_fraction = static_cast<double>(random.Uniform(101)) / 100;
  c.power_cut_fraction = static_cast<double>(random.Uniform(101)) / 100;
  c.partition_max = UniformDuration(random, absl::Milliseconds(200),
                                    absl::Seconds(60));
  c.clog_max = UniformDuration(random, absl::Milliseconds(10), absl::Seconds(5));
  c.pause_max = UniformDuration(random, absl::Milliseconds(50), absl::Seconds(10));
  c.downtime_max =
      UniformDuration(random, absl::Milliseconds(200), absl::Seconds(30));
  c.slow_max = UniformDuration(random, absl::Milliseconds(5), absl::Seconds(2));
  c.drift_ppm_max = 1 + static_cast<int64_t>(random.Uniform(1000));
  c.buggify = random.Bernoulli(0.75);
  return c;
}

std::string FaultConfig::ToString() const {
  std::string out;
  for (int i = 0; i < kFaultKindCount; ++i) {
    if (rate[i] > 0) {
      absl::StrAppendFormat(&out, "%s=%.4g/s ", kKindNames[i], rate[i]);
    }
  }
  if (out.empty()) out = "no faults ";
  absl::StrAppend(&out, "buggify=", buggify ? "on" : "off");
  return out;
}

// ---------------------------------------------------------------------------
// Applying faults

namespace {

// Ends a fault after `d` (unless d is infinite), from a world event.
void After(World& world, absl::Duration d, FaultKind kind,
           absl::AnyInvocable<void() &&> end) {
  if (d == absl::InfiniteDuration()) return;
  world.Enqueue(world.now() + std::max(d, absl::ZeroDuration()),
                World::kNoNode, EventKind::kFault, std::move(end),
                static_cast<uint64_t>(kind) | 0x100);
}

}  // namespace

void ApplyFault(World& world, const Fault& f) {
  const size_t n = world.node_count();
  if (f.a >= n || f.b >= n) return;
  Node& a = world.node(f.a);
  Node& b = world.node(f.b);
  Fabric& fabric = world.fabric();
  switch (f.kind) {
    case FaultKind::kPartition:
      if (f.a == f.b) return;
      fabric.Partition(a, b, f.flag);
      After(world, f.duration, f.kind,
            [&fabric, &a, &b, one_way = f.flag] { fabric.Heal(a, b, one_way); });
      break;
    case FaultKind::kClogNode:
      fabric.ClogNode(a, f.duration);
      break;
    case FaultKind::kClogLink:
      fabric.ClogLink(a, b, f.duration);
      break;
    case FaultKind::kBlackHoleLink:
      if (f.a == f.b) return;
      fabric.BlackHole(a, b, true);
      After(world, f.duration, f.kind,
            [&fabric, &a, &b] { fabric.BlackHole(a, b, false); });
      break;
    case FaultKind::kBlackHoleConnection:
      fabric.BlackHoleConnection(f.pick);
      break;
    case FaultKind::kResetConnection:
      fabric.ResetConnection(f.pick);
      break;
    case FaultKind::kDropConnection:
      fabric.DropConnection(f.pick);
      break;
    case FaultKind::kRefuseConnects:
      fabric.RefuseConnects(a, static_cast<int>(f.amount));
      break;
    case FaultKind::kDropSyns:
      fabric.DropSyns(a, static_cast<int>(f.amount));
      break;
    case FaultKind::kCrash:
      if (!a.up()) return;  // a crash of a dead node changes nothing
      a.Crash(f.flag ? CrashKind::kPowerCut : CrashKind::kKill);
      if (f.duration != absl::InfiniteDuration()) a.BootAfter(f.duration);
      break;
    case FaultKind::kPause:
      if (a.up()) a.Pause(f.duration);
      break;
    case FaultKind::kDiskWriteErrors:
      a.mem_files().FailAppends(static_cast<int>(f.amount));
      break;
    case FaultKind::kDiskSyncErrors:
      a.mem_files().FailSyncs(static_cast<int>(f.amount));
      break;
    case FaultKind::kDiskSlow:
      a.mem_files().SlowOps(static_cast<int>(f.amount), f.duration);
      break;
    case FaultKind::kDiskFull: {
      MemFileSystem& disk = a.mem_files();
      disk.BeginFull(disk.used_bytes() + f.pick % 4096);
      After(world, f.duration, f.kind, [&disk] { disk.EndFull(); });
      break;
    }
    case FaultKind::kClockJump:
      a.sim_clock().JumpWall(absl::Nanoseconds(f.amount));
      break;
    case FaultKind::kClockDrift:
      a.sim_clock().SetDriftPpm(f.amount);
      break;
  }
}

// ---------------------------------------------------------------------------
// FaultDriver

FaultDriver::FaultDriver(World& world, const FaultConfig& config,
                         std::optional<std::vector<ScheduledFault>> replay,
                         std::vector<ScheduledFault> record, uint64_t epoch)
    : world_(world),
      config_(config),
      replaying_(replay.has_value()),
      replay_(replay ? std::move(*replay) : std::vector<ScheduledFault>()),
      record_(std::move(record)),
      epoch_(epoch) {
  next_at_.fill(-1);
}

void FaultDriver::Start() {
  if (!replaying_) {
    // Each kind is a Poisson process: exponential gaps at its rate.
    Random& random = world_.fault_random();
    const int64_t now = absl::ToInt64Nanoseconds(world_.now());
    for (int i = 0; i < kFaultKindCount; ++i) {
      if (config_.rate[i] <= 0) continue;
      next_at_[i] =
          now + absl::ToInt64Nanoseconds(ExponentialDuration(
                    random, absl::Seconds(1.0 / config_.rate[i])));
    }
  }
  QueueNext();
}

std::optional<ScheduledFault> FaultDriver::Peek() {
  if (pending_) return pending_;
  if (replaying_) {
    if (replay_pos_ < replay_.size()) pending_ = replay_[replay_pos_];
    return pending_;
  }
  Random& random = world_.fault_random();
  // Kinds with nothing to hit (no process node, one node) are skipped; give
  // up after many skips rather than spin: the driver then stops.
  for (int tries = 0; tries < 10000; ++tries) {
    int kind = -1;
    for (int i = 0; i < kFaultKindCount; ++i) {
      if (next_at_[i] >= 0 && (kind < 0 || next_at_[i] < next_at_[kind])) {
        kind = i;
      }
    }
    if (kind < 0) return std::nullopt;
    const int64_t at = next_at_[kind];
    next_at_[kind] =
        at + std::max<int64_t>(1, absl::ToInt64Nanoseconds(ExponentialDuration(
                                      random,
                                      absl::Seconds(1.0 / config_.rate[kind]))));
    std::optional<Fault> fault = Draw(static_cast<FaultKind>(kind));
    if (!fault) continue;  // nothing it could hit
    pending_ = ScheduledFault{absl::Nanoseconds(at), *fault};
    return pending_;
  }
  return std::nullopt;
}

void FaultDriver::Advance() {
  pending_.reset();
  if (replaying_) ++replay_pos_;
}

void FaultDriver::QueueNext() {
  if (stopped_) return;
  std::optional<ScheduledFault> next = Peek();
  if (!next) return;
  World* world = &world_;
  const uint64_t epoch = epoch_;
  // Untraced: a replay of a record that stopped here has no next entry.
  world_.EnqueueUntraced(std::max(next->at, world_.now()), World::kNoNode,
                         EventKind::kFaultDriver,
                         [world, epoch] { world->RunFaultDriver(epoch); },
                         static_cast<uint64_t>(next->fault.kind));
}

void FaultDriver::Fire(uint64_t epoch) {
  if (epoch != epoch_ || stopped_) return;
  std::optional<ScheduledFault> next = Peek();
  if (!next) return;
  Advance();
  ScheduledFault applied = *next;
  // A replayed entry from the past is applied now and recorded as such.
  applied.at = std::max(applied.at, world_.now());
  record_.push_back(applied);
  ApplyFault(world_, applied.fault);
  QueueNext();
}

std::vector<uint32_t> FaultDriver::ProcessTargets() {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < world_.node_count(); ++i) {
    Node& node = world_.node(i);
    if (config_.process_targets.empty()) {
      if (node.has_boot()) out.push_back(i);
    } else if (std::find(config_.process_targets.begin(),
                         config_.process_targets.end(),
                         node.name()) != config_.process_targets.end()) {
      out.push_back(i);
    }
  }
  return out;
}

std::optional<Fault> FaultDriver::Draw(FaultKind kind) {
  Random& random = world_.fault_random();
  const uint32_t n = static_cast<uint32_t>(world_.node_count());
  Fault f;
  f.kind = kind;
  // Every kind draws the same fields, so its parameters never depend on
  // which fields another kind used.
  const uint64_t r1 = random.Next64();
  const uint64_t r2 = random.Next64();
  f.pick = random.Next64();
  auto count = [&] {
    return 1 + static_cast<int64_t>(
                   random.Uniform(static_cast<uint64_t>(
                       std::max(config_.max_count, 1))));
  };
  auto two_nodes = [&]() -> bool {
    if (n < 2) return false;
    f.a = static_cast<uint32_t>(r1 % n);
    f.b = static_cast<uint32_t>((f.a + 1 + r2 % (n - 1)) % n);
    return true;
  };
  auto any_node = [&]() -> bool {
    if (n == 0) return false;
    f.a = f.b = static_cast<uint32_t>(r1 % n);
    return true;
  };
  auto process_node = [&]() -> bool {
    std::vector<uint32_t> targets = ProcessTargets();
    if (targets.empty()) return false;
    f.a = f.b = targets[r1 % targets.size()];
    return true;
  };
  switch (kind) {
    case FaultKind::kPartition:
      if (!two_nodes()) return std::nullopt;
      f.flag = random.Bernoulli(config_.one_way_fraction);
      f.duration = UniformDuration(random, config_.partition_min,
                                   config_.partition_max);
      break;
    case FaultKind::kClogNode:
      if (!any_node()) return std::nullopt;
      f.duration = UniformDuration(random, config_.clog_min, config_.clog_max);
      break;
    case FaultKind::kClogLink:
      if (!two_nodes()) return std::nullopt;
      f.duration = UniformDuration(random, config_.clog_min, config_.clog_max);
      break;
    case FaultKind::kBlackHoleLink:
      if (!two_nodes()) return std::nullopt;
      f.duration = UniformDuration(random, config_.black_hole_min,
                                   config_.black_hole_max);
      break;
    case FaultKind::kBlackHoleConnection:
    case FaultKind::kResetConnection:
    case FaultKind::kDropConnection:
      break;
    case FaultKind::kRefuseConnects:
    case FaultKind::kDropSyns:
      if (!process_node() && !any_node()) return std::nullopt;
      f.amount = count();
      break;
    case FaultKind::kCrash:
      if (!process_node()) return std::nullopt;
      f.flag = random.Bernoulli(config_.power_cut_fraction);
      f.duration = random.Bernoulli(config_.stay_down_fraction)
                       ? absl::InfiniteDuration()
                       : UniformDuration(random, config_.downtime_min,
                                         config_.downtime_max);
      break;
    case FaultKind::kPause:
      if (!process_node()) return std::nullopt;
      f.duration = UniformDuration(random, config_.pause_min, config_.pause_max);
      break;
    case FaultKind::kDiskWriteErrors:
    case FaultKind::kDiskSyncErrors:
      if (!process_node()) return std::nullopt;
      f.amount = count();
      break;
    case FaultKind::kDiskSlow:
      if (!process_node()) return std::nullopt;
      f.amount = count();
      f.duration = UniformDuration(random, config_.slow_min, config_.slow_max);
      break;
    case FaultKind::kDiskFull:
      if (!process_node()) return std::nullopt;
      f.duration = UniformDuration(random, config_.disk_full_min,
                                   config_.disk_full_max);
      break;
    case FaultKind::kClockJump: {
      if (!any_node()) return std::nullopt;
      const int64_t max = absl::ToInt64Nanoseconds(config_.clock_jump_max);
      f.amount = static_cast<int64_t>(
                     random.Uniform(2 * static_cast<uint64_t>(max) + 1)) -
                 max;
      break;
    }
    case FaultKind::kClockDrift: {
      if (!any_node()) return std::nullopt;
      const int64_t max = config_.drift_ppm_max;
      f.amount =
          static_cast<int64_t>(random.Uniform(2 * static_cast<uint64_t>(max) + 1)) -
          max;
      break;
    }
  }
  return f;
}

}  // namespace twinkv::sim
