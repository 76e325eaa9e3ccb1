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
  keyspace_.set_expiry_listener(
      [this](int db, absl::string_view key) { OnKeyExpired(db, key); });
}

Engine::~Engine() {
  if (expiry_timer_ != 0) runtime_.executor().Cancel(expiry_timer_);
  for (auto& [client, blocked] : blocked_) {
    if (blocked->timer != 0) runtime_.executor().Cancel(blocked->timer);
    client->blocked = false;
  }
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
  if (loading_) return;  // set_loading(false) re-arms
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
  if (!write_error_.empty() &&
      ((spec->flags & kCmdWrite) != 0 || spec->name == "ping")) {
    reply.Error(write_error_);
    return;
  }
  ++stats_.commands_processed;
  CommandContext ctx{*this, client, reply, now_ms};
  RunHandler(*spec, ctx, args);
  if (!ready_keys_.empty() && rerunning_ == nullptr) ServeReadyKeys();
  MaybeArmExpiry();
}

void Engine::RunHandler(const CommandSpec& spec, CommandContext& ctx,
                        ArgList args) {
  const uint64_t dirty_before = dirty_;
  const int db = ctx.client.db_index;
  propagate_args_.clear();
  propagate_ends_.clear();
  if (log_ != nullptr && (spec.flags & kCmdWrite) != 0 &&
      log_->wants_before_write()) {
    const std::vector<int> keys = CommandKeyPositions(spec, args);
    if (keys.empty()) {
      log_->BeforeWholeDbWrite();
    } else {
      for (int i : keys) log_->BeforeWrite(db, args[i]);
    }
  }
  spec.handler(ctx, args);
  if (log_ == nullptr || dirty_ == dirty_before) return;
  if (propagate_ends_.empty()) {
    if (!ctx.client.raw_request.empty()) {
      log_->AppendRaw(db, ctx.client.raw_request, args);
    } else {
      log_->Append(db, args);
    }
    return;
  }
  std::vector<absl::string_view> views(propagate_args_.begin(),
                                       propagate_args_.end());
  size_t begin = 0;
  for (size_t end : propagate_ends_) {
    log_->Append(db, ArgList(views.data() + begin, end - begin));
    begin = end;
  }
}

void Engine::Propagate(ArgList args) {
  for (absl::string_view arg : args) propagate_args_.emplace_back(arg);
  propagate_ends_.push_back(propagate_args_.size());
}

void Engine::OnKeyExpired(int db, absl::string_view key) {
  ++stats_.expired_total;
  if (log_ == nullptr) return;
  BeforeWrite(db, key);
  const absl::string_view del[] = {"DEL", key};
  log_->Append(db, del);
}

void Engine::set_loading(bool loading) {
  loading_ = loading;
  keyspace_.set_loading(loading);
  // Keys whose time passed during the load go now, by the active cycle.
  if (!loading) {
    int64_t next = Db::kNoExpire;
    for (int i = 0; i < keyspace_.size(); ++i) {
      next = std::min(next, keyspace_.db(i).NextExpiry());
    }
    keyspace_.TakeEarliestAdded();
    if (next != Db::kNoExpire) ArmExpiry(next);
  }
}

void Engine::BlockClient(CommandContext& ctx, ArgList args,
                         absl::Span<const absl::string_view> keys,
                         int64_t timeout_ms, TimeoutReply on_timeout,
                         ValueType type) {
  ClientState* client = &ctx.client;
  if (client == rerunning_) {
    // A re-run that still finds no data: the client stays where it is in
    // the queues, with its original deadline.
    rerun_blocked_ = true;
    return;
  }
  if (client->sink == nullptr || client->blocked) {
    return on_timeout == TimeoutReply::kNull ? ctx.reply.Null()
                                             : ctx.reply.NullArray();
  }
  auto blocked = std::make_unique<Blocked>();
  blocked->client = client;
  blocked->spec = commands_.Find(args[0]);
  blocked->args.reserve(args.size());
  for (absl::string_view arg : args) blocked->args.emplace_back(arg);
  blocked->db = client->db_index;
  blocked->on_timeout = on_timeout;
  blocked->type = type;
  for (absl::string_view key : keys) {
    if (std::find(blocked->keys.begin(), blocked->keys.end(), key) !=
        blocked->keys.end()) {
      continue;  // BLPOP k k 0 waits once on k
    }
    blocked->keys.emplace_back(key);
    waiters_[DbKey(blocked->db, std::string(key))].push_back(client);
  }
  if (timeout_ms > 0) {
    blocked->timer = runtime_.executor().Schedule(
        absl::Milliseconds(timeout_ms),
        [this, client] { OnBlockTimeout(client); });
  }
  blocked_[client] = std::move(blocked);
  client->blocked = true;
}

void Engine::SignalKeyReady(int db, absl::string_view key) {
  DbKey dk(db, std::string(key));
  if (!waiters_.contains(dk) || ready_set_.contains(dk)) return;
  ready_set_.insert(dk);
  ready_keys_.push_back(std::move(dk));
}

void Engine::SignalDbReady(int db) {
  std::vector<absl::string_view> keys;
  for (const auto& [dk, queue] : waiters_) {
    if (dk.first == db) keys.push_back(dk.second);
  }
  // Serving finds out whether the key holds the right type.
  for (absl::string_view key : keys) SignalKeyReady(db, key);
}

void Engine::UnblockClient(ClientState& client) {
  if (!blocked_.contains(&client)) return;
  RemoveBlocked(&client);
  client.blocked = false;
}

void Engine::RemoveBlocked(ClientState* client) {
  auto it = blocked_.find(client);
  Blocked& b = *it->second;
  for (const std::string& key : b.keys) {
    auto q = waiters_.find(DbKey(b.db, key));
    if (q == waiters_.end()) continue;
    std::deque<ClientState*>& queue = q->second;
    queue.erase(std::find(queue.begin(), queue.end(), client));
    if (queue.empty()) waiters_.erase(q);
  }
  if (b.timer != 0) runtime_.executor().Cancel(b.timer);
  blocked_.erase(it);
}

void Engine::OnBlockTimeout(ClientState* client) {
  auto it = blocked_.find(client);
  if (it == blocked_.end()) return;
  it->second->timer = 0;
  ReplyWriter& reply = client->sink->blocked_reply_writer();
  reply.set_protocol(client->protocol);
  if (it->second->on_timeout == TimeoutReply::kNull) {
    reply.Null();
  } else {
    reply.NullArray();
  }
  RemoveBlocked(client);
  client->blocked = false;
  client->sink->OnUnblocked();
}

void Engine::ServeReadyKeys() {
  // Serving may make more keys ready (BLMOVE pushes): loop until none.
  while (!ready_keys_.empty()) {
    std::vector<DbKey> keys;
    keys.swap(ready_keys_);
    ready_set_.clear();
    for (const DbKey& dk : keys) {
      auto q = waiters_.find(dk);
      if (q == waiters_.end()) continue;
      // A snapshot: serving removes clients from the queue.
      const std::vector<ClientState*> queue(q->second.begin(),
                                            q->second.end());
      for (ClientState* client : queue) {
        const Value* v = keyspace_.db(dk.first).Find(dk.second, NowMs());
        if (v == nullptr) break;  // used up
        auto b = blocked_.find(client);
        // Skipped, not served: a client waiting for another type (BLPOP
        // on a key that became a sorted set) keeps waiting, as in 7.0.
        if (b == blocked_.end() || b->second->type != v->type()) continue;
        if (!Rerun(client)) break;
      }
    }
  }
}

bool Engine::Rerun(ClientState* client) {
  Blocked& b = *blocked_.at(client);
  std::vector<absl::string_view> args(b.args.begin(), b.args.end());
  ReplyWriter& reply = client->sink->blocked_reply_writer();
  reply.set_protocol(client->protocol);
  // A blocked client runs no commands, so its database is still b.db; set
  // it anyway so the re-run cannot see anything else.
  const int saved_db = client->db_index;
  client->db_index = b.db;
  rerunning_ = client;
  rerun_blocked_ = false;
  CommandContext ctx{*this, *client, reply, NowMs()};
  RunHandler(*b.spec, ctx, args);
  rerunning_ = nullptr;
  client->db_index = saved_db;
  if (rerun_blocked_) return false;
  ++stats_.commands_processed;
  RemoveBlocked(client);
  client->blocked = false;
  client->sink->OnUnblocked();
  return true;
}

}  // namespace twinkv
