#include "core/engine.h"

#include <algorithm>

#include "core/errors.h"

namespace twinkv {

Engine::Engine(Runtime& runtime, Config config,
               absl::FunctionRef<void(CommandTable&)> register_families)
    : runtime_(runtime),
      config_(std::move(config)),
      config_table_(&config_),
      keyspace_(config_.databases),
      wall_anchor_(runtime.clock().Now()),
      monotonic_anchor_(runtime.clock().Monotonic()) {
  register_families(commands_);
}

Engine::~Engine() {
  if (expiry_timer_ != 0) runtime_.executor().Cancel(expiry_timer_);
}

int64_t Engine::NowMs() {
  // One truncation to milliseconds, of the exact sum: truncating the anchor
  // and the elapsed time separately lags the wall clock by up to 1 ms, and
  // a key set with PX t would then expire up to 1 ms early by the wall
  // clock (the simulator's server scenario caught that).
  return absl::ToUnixMillis(wall_anchor_ +
                            (runtime_.clock().Monotonic() - monotonic_anchor_));
}

void Engine::MaybeArmExpiry() {
  const int64_t added = keyspace_.TakeEarliestAdded();
  if (added < expiry_deadline_ms_) ArmExpiry(added);
}

void Engine::ArmExpiry(int64_t deadline_ms) {
  if (expiry_timer_ != 0) runtime_.executor().Cancel(expiry_timer_);
  const int64_t delay_ms = std::max<int64_t>(0, deadline_ms - NowMs());
  expiry_deadline_ms_ = deadline_ms;
  expiry_timer_ = runtime_.executor().Schedule(
      absl::Milliseconds(delay_ms), [this] { RunExpireCycle(); });
}

void Engine::RunExpireCycle() {
  expiry_timer_ = 0;
  expiry_deadline_ms_ = Db::kNoExpire;
  ++stats_.expire_cycles;
  // Whatever was set before now is covered by the scan for the next
  // deadline below.
  keyspace_.TakeEarliestAdded();
  const int64_t now_ms = NowMs();
  const absl::Duration start = runtime_.clock().Monotonic();
  constexpr size_t kBatch = 64;  // records between two clock reads
  const int dbs = keyspace_.size();
  size_t records = 0;
  size_t deleted = 0;
  int idle_dbs = 0;  // consecutive databases with nothing due
  while (idle_dbs < dbs && records < kExpireCycleMaxRecords &&
         runtime_.clock().Monotonic() - start < kExpireCycleBudget) {
    const int i = expire_next_db_;
    const size_t popped = keyspace_.db(i).ExpireDue(
        now_ms, std::min(kBatch, kExpireCycleMaxRecords - records), &deleted);
    records += popped;
    // Databases take turns batch by batch, so a burst in one does not
    // starve the others.
    expire_next_db_ = (i + 1) % dbs;
    idle_dbs = popped < kBatch ? idle_dbs + 1 : 0;
  }
  stats_.expired_keys += deleted;
  stats_.expire_cycle_max_keys =
      std::max<uint64_t>(stats_.expire_cycle_max_keys, deleted);
  int64_t next = Db::kNoExpire;
  for (int i = 0; i < dbs; ++i) {
    next = std::min(next, keyspace_.db(i).NextExpiry());
  }
  if (next != Db::kNoExpire) ArmExpiry(next);
}

void Engine::Execute(ClientState& client, ArgList args, ReplyWriter& reply,
                     int64_t now_ms) {
  if (args.empty()) return;
  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec == nullptr) {
    reply.Error(UnknownCommandError(args[0], args.subspan(1)));
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (sub == nullptr) {
      reply.Error(UnknownSubcommandError(spec->name, args[1]));
      return;
    }
    spec = sub;
  }
  if (!spec->AcceptsArgCount(args.size())) {
    reply.Error(WrongArgsError(spec->full_name));
    return;
  }
  if (spec->handler == nullptr) {
    // A container called without a subcommand: Redis reports arity.
    reply.Error(WrongArgsError(spec->full_name));
    return;
  }
  ++stats_.commands_processed;
  CommandContext ctx{*this, client, reply, now_ms};
  spec->handler(ctx, args);
  MaybeArmExpiry();
}

}  // namespace twinkv
