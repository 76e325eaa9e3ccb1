#include "core/engine.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/evict.h"
#include "core/numbers.h"

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
  exec_spec_ = commands_.Find("exec");
  discard_spec_ = commands_.Find("discard");
  multi_spec_ = commands_.Find("multi");
  watch_spec_ = commands_.Find("watch");
  quit_spec_ = commands_.Find("quit");
  reset_spec_ = commands_.Find("reset");
  asking_spec_ = commands_.Find("asking");
  if (config_.cluster_mode == "redirect" || config_.cluster_mode == "proxy") {
    cluster_ = std::make_unique<ClusterView>(config_);
    proxy_mode_ = config_.cluster_mode == "proxy";
  }
  keyspace_.set_expiry_listener(
      [this](int db, absl::string_view key) { OnKeyExpired(db, key); });
  // An evicted key is deleted as by DEL (core/evict.h).
  keyspace_.set_eviction_listener([this](int db, absl::string_view key) {
    ++stats_.evicted_keys;
    if (!watched_keys_.empty()) TouchWatched(db, key, /*expiry=*/false);
    if (log_ == nullptr) return;
    if (log_->wants_before_write()) log_->BeforeWrite(db, key);
    const absl::string_view del[] = {"DEL", key};
    LogAppend(db, del, {}, /*expiry=*/true);
  });
}

Engine::~Engine() {
  for (auto& [dk, txns] : watched_keys_) {
    for (Transaction* txn : txns) txn->engine = nullptr;
  }
  if (expiry_timer_ != 0) runtime_.executor().Cancel(expiry_timer_);
  if (pause_timer_ != 0) runtime_.executor().Cancel(pause_timer_);
  if (resume_timer_ != 0) runtime_.executor().Cancel(resume_timer_);
  for (Postponed& p : postponed_) {
    p.client->postponed = false;
    p.client->blocked = false;
  }
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

bool Engine::MayRunAhead(const ClientState& client, ArgList args) const {
  if (router_ == nullptr || cluster_ == nullptr || loading_ || args.empty()) {
    return false;
  }
  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec == nullptr) return false;
  if (!spec->subcommands.empty() && args.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, args[1]);
    if (spec == nullptr) return false;
  }
  if (!spec->AcceptsArgCount(args.size()) || spec->handler == nullptr ||
      (!client.authenticated && !config_.requirepass.empty())) {
    return false;
  }
  return router_->MayRunAhead(*spec, client, args);
}

void Engine::Execute(ClientState& client, ArgList args, ReplyWriter& reply,
                     int64_t now_ms) {
  if (args.empty()) return;
  Transaction* txn = client.txn.get();
  const bool queueing = txn != nullptr && txn->in_multi;
  // Redis's flagTransaction: a command refused while queueing dooms EXEC.
  const CommandSpec* spec = commands_.Find(args[0]);
  // ASKING lasts for the next command only (Redis's CLIENT_ASKING).
  struct AskingReset {
    ClientState& client;
    bool keep;
    ~AskingReset() {
      if (!keep) client.asking = false;
    }
  } asking_reset{client, spec != nullptr && spec == asking_spec_};
  auto reject = [&](absl::string_view error) {
    if (queueing) txn->dirty_exec = true;
    if (spec != nullptr) ++command_stats_[spec].rejected_calls;
    reply.Error(error);
  };
  if (spec == nullptr) {
    reject(UnknownCommandError(args[0], args.subspan(1)));
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (sub == nullptr) {
      reject(UnknownSubcommandError(spec->name, args[1]));
      return;
    }
    spec = sub;
  }
  if (!spec->AcceptsArgCount(args.size())) {
    reject(WrongArgsError(spec->full_name));
    return;
  }
  if (spec->handler == nullptr) {
    // A container called without a subcommand: Redis reports arity.
    reject(WrongArgsError(spec->full_name));
    return;
  }
  // Redis checks authentication after the command's name and arity.
  if (!client.authenticated && (spec->flags & kCmdNoAuth) == 0 &&
      !config_.requirepass.empty()) {
    reject(kNoAuthErr);
    return;
  }
  // Redis's processCommand redirects here: after auth, before MULTI
  // queueing (so a redirected command dooms EXEC).
  if (router_ != nullptr && cluster_ != nullptr && !loading_ &&
      router_->Route(*spec, client, args, queueing, reply)) {
    return;
  }
  if (pause_timer_ != 0 && client.sink != nullptr && !client.postponed &&
      (pause_all_ || (spec->flags & (kCmdWrite | kCmdMayReplicate)) != 0 ||
       (spec == exec_spec_ && queueing &&
        (txn->queued_flags & (kCmdWrite | kCmdMayReplicate)) != 0))) {
    PostponeClient(client, args);
    return;
  }
  // maxmemory (core/evict.h), where Redis's processCommand has it: evict
  // first; if still over the limit refuse denyoom commands, anything but
  // EXEC DISCARD QUIT while queueing, and EXEC of a queue holding one.
  keyspace_.set_lru_clock_ms(now_ms);
  if ((config_.maxmemory > 0 || keyspace_.accounting()) && !loading_ &&
      !PerformEvictions(keyspace_, config_, runtime_.random(), nullptr)) {
    if (spec == exec_spec_ && queueing &&
        (txn->queued_flags & kCmdDenyOom) != 0) {
      reply.Error(absl::StrCat("EXECABORT Transaction discarded because of: ",
                               kOomErr));
      DiscardTransaction(client);
      return;
    }
    if ((spec->flags & kCmdDenyOom) != 0 ||
        (queueing && spec != exec_spec_ && spec != discard_spec_ &&
         spec != quit_spec_)) {
      reject(kOomErr);
      return;
    }
  }
  if (!write_error_.empty() &&
      ((spec->flags & kCmdWrite) != 0 || spec->name == "ping")) {
    reject(write_error_);
    return;
  }
  if (!write_error_.empty() && queueing && spec == exec_spec_ &&
      (txn->queued_flags & kCmdWrite) != 0) {
    // Redis's execCommandAbort.
    reply.Error(absl::StrCat("EXECABORT Transaction discarded because of: ",
                             write_error_));
    DiscardTransaction(client);
    return;
  }
  // RESP2 subscribed context (core/pubsub.h).
  if (client.subscriptions != 0 &&
      PubSubContextReply(*spec, client, args, reply)) {
    return;
  }
  if (queueing && spec != exec_spec_ && spec != discard_spec_ &&
      spec != multi_spec_ && spec != watch_spec_ && spec != quit_spec_ &&
      spec != reset_spec_) {
    QueueCommand(*spec, *txn, args, reply);
    return;
  }
  ++stats_.commands_processed;
  client.last_command = spec;
  CommandContext ctx{*this, client, reply, now_ms};
  const size_t reply_start = reply.buffer()->size();
  const absl::Duration started = runtime_.clock().Monotonic();
  if (spec == exec_spec_) {
    ExecTransaction(ctx);
  } else {
    RunHandler(*spec, ctx, args);
  }
  const int64_t duration_us =
      absl::ToInt64Microseconds(runtime_.clock().Monotonic() - started);
  CommandStats& cs = command_stats_[spec];
  ++cs.calls;
  cs.usec += static_cast<uint64_t>(std::max<int64_t>(0, duration_us));
  if (reply.buffer()->size() > reply_start &&
      (*reply.buffer())[reply_start] == '-') {
    ++cs.failed_calls;
  }
  if ((spec->flags & kCmdSkipSlowlog) == 0 && !client.blocked) {
    RecordSlowLog(client, args, duration_us, now_ms);
  }
  if (!ready_keys_.empty() && rerunning_ == nullptr) ServeReadyKeys();
  MaybeArmExpiry();
}

void Engine::RunHandler(const CommandSpec& spec, CommandContext& ctx,
                        ArgList args) {
  const uint64_t dirty_before = dirty_;
  const int db = ctx.client.db_index;
  propagate_args_.clear();
  propagate_ends_.clear();
  pending_touch_.clear();
  std::vector<Transaction*> whole_db_watchers;
  const bool log_wants = log_ != nullptr && log_->wants_before_write();
  // Key positions cost an allocation: only when someone needs them.
  if ((spec.flags & kCmdWrite) != 0 &&
      (log_wants || undo_active_ || !watched_keys_.empty())) {
    const std::vector<int> keys = CommandKeyPositions(spec, args);
    if (keys.empty()) {
      if (log_wants) log_->BeforeWholeDbWrite();
      if (!watched_keys_.empty()) {
        CollectWholeDbWatchers(spec, ctx.client, args, &whole_db_watchers);
      }
    } else {
      for (int i : keys) BeforeWrite(db, args[i]);
    }
  }
  if (cluster_ != nullptr && ClusterRefuses(spec, args, ctx.reply)) return;
  spec.handler(ctx, args);
  if (dirty_ == dirty_before) return;
  for (const DbKey& dk : pending_touch_) {
    TouchWatched(dk.first, dk.second, /*expiry=*/false);
  }
  for (Transaction* txn : whole_db_watchers) txn->dirty_cas = true;
  if (log_ == nullptr) return;
  if (propagate_ends_.empty()) {
    LogAppend(db, args, ctx.client.raw_request, /*expiry=*/false);
    return;
  }
  std::vector<absl::string_view> views(propagate_args_.begin(),
                                       propagate_args_.end());
  size_t begin = 0;
  for (size_t end : propagate_ends_) {
    LogAppend(db, ArgList(views.data() + begin, end - begin), {},
              /*expiry=*/false);
    begin = end;
  }
}

void Engine::Propagate(ArgList args) {
  for (absl::string_view arg : args) propagate_args_.emplace_back(arg);
  propagate_ends_.push_back(propagate_args_.size());
}

void Engine::OnKeyExpired(int db, absl::string_view key) {
  ++stats_.expired_total;
  if (!watched_keys_.empty()) TouchWatched(db, key, /*expiry=*/true);
  if (log_ == nullptr) return;
  if (log_->wants_before_write()) log_->BeforeWrite(db, key);
  const absl::string_view del[] = {"DEL", key};
  LogAppend(db, del, {}, /*expiry=*/true);
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
  if (router_ != nullptr) router_->ClientGone(client);
  if (client.postponed) {
    for (auto it = postponed_.begin(); it != postponed_.end(); ++it) {
      if (it->client == &client) {
        postponed_.erase(it);
        break;
      }
    }
    client.postponed = false;
    client.blocked = false;
  }
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

size_t Engine::RedirectBlockedClients(
    absl::FunctionRef<BlockedRedirect(const ClientState& client, int db,
                                      absl::string_view key)>
        redirect) {
  std::vector<std::pair<ClientState*, BlockedRedirect>> redirected;
  for (const auto& [client, b] : blocked_) {
    for (const std::string& key : b->keys) {
      BlockedRedirect r = redirect(*client, b->db, key);
      if (r.rerun || !r.error.empty()) {
        redirected.emplace_back(client, std::move(r));
        break;
      }
    }
  }
  for (auto& [client, r] : redirected) {
    auto it = blocked_.find(client);
    if (it == blocked_.end()) continue;  // served by an earlier rerun
    std::vector<std::string> args = std::move(it->second->args);
    RemoveBlocked(client);
    client->blocked = false;
    ReplyWriter& reply = client->sink->blocked_reply_writer();
    reply.set_protocol(client->protocol);
    if (r.rerun) {
      std::vector<absl::string_view> views(args.begin(), args.end());
      Execute(*client, views, reply);
      if (client->blocked) continue;  // blocked again (forwarded)
    } else {
      reply.Error(r.error);
    }
    client->sink->OnUnblocked();
  }
  return redirected.size();
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

// --- Transactions. ---


Transaction::~Transaction() {
  if (engine != nullptr) engine->Unwatch(*this);
}

void Engine::BeforeWrite(int db, absl::string_view key) {
  if (log_ != nullptr && log_->wants_before_write()) {
    log_->BeforeWrite(db, key);
  }
  if (undo_active_) {
    DbKey dk(db, std::string(key));
    if (undo_saved_.insert(dk).second) {
      UndoRecord record;
      record.db = db;
      record.key = std::string(key);
      const Value* value = nullptr;
      int64_t expire_ms = Db::kNoExpire;
      // A logically expired key counts as absent: the command deletes it
      // (logging DEL, which stays logged), and so does the rollback.
      if (keyspace_.db(db).PeekRaw(key, &value, &expire_ms) &&
          (expire_ms > undo_now_ms_ || loading_)) {
        bool ok = false;
        record.value = value->Clone(&ok);
        // EXEC checked that every key position holds a copyable value;
        // what it cannot see (a COPY target) may not be: keep it as it
        // is (not undone).
        record.existed = ok;
        if (!ok) {
          undo_saved_.erase(dk);
          record.key.clear();
        }
        record.expire_ms = expire_ms;
      }
      if (!record.key.empty()) undo_log_.push_back(std::move(record));
    }
  }
  if (!watched_keys_.empty()) pending_touch_.emplace_back(db, std::string(key));
}

void Engine::QueueCommand(const CommandSpec& spec, Transaction& txn,
                          ArgList args, ReplyWriter& reply) {
  if ((spec.flags & kCmdNoMulti) != 0) {
    txn.dirty_exec = true;
    reply.Error(kNotInMultiErr);
    return;
  }
  if (config_.multi_rollback && (spec.flags & kCmdWrite) != 0 &&
      spec.first_key == 0 && spec.find_keys == nullptr) {
    // Undoing FLUSHDB/FLUSHALL/SWAPDB would mean copying whole databases.
    txn.dirty_exec = true;
    reply.Error(absl::StrCat("ERR ", absl::AsciiStrToUpper(spec.full_name),
                             " is not allowed in a transaction with "
                             "multi-rollback enabled"));
    return;
  }
  Transaction::Queued& q = txn.queued.emplace_back();
  q.spec = &spec;
  q.args.reserve(args.size());
  for (absl::string_view arg : args) q.args.emplace_back(arg);
  txn.queued_flags |= spec.flags;
  reply.Status("QUEUED");
}

void Engine::Watch(ClientState& client, int db, absl::string_view key,
                   int64_t now_ms) {
  if (client.txn == nullptr) client.txn = std::make_unique<Transaction>();
  Transaction& txn = *client.txn;
  for (const Transaction::Watched& w : txn.watched) {
    if (w.db == db && w.key == key) return;
  }
  Transaction::Watched& w = txn.watched.emplace_back();
  w.db = db;
  w.key = std::string(key);
  const Value* value = nullptr;
  int64_t expire_ms = Db::kNoExpire;
  w.expired = keyspace_.db(db).PeekRaw(key, &value, &expire_ms) &&
              expire_ms <= now_ms && !loading_;
  watched_keys_[DbKey(db, w.key)].push_back(&txn);
  txn.engine = this;
}

void Engine::Unwatch(Transaction& txn) {
  for (const Transaction::Watched& w : txn.watched) {
    auto it = watched_keys_.find(DbKey(w.db, w.key));
    if (it == watched_keys_.end()) continue;
    std::vector<Transaction*>& txns = it->second;
    txns.erase(std::remove(txns.begin(), txns.end(), &txn), txns.end());
    if (txns.empty()) watched_keys_.erase(it);
  }
  txn.watched.clear();
  txn.dirty_cas = false;
  txn.engine = nullptr;
}

void Engine::DiscardTransaction(ClientState& client) {
  Transaction* txn = client.txn.get();
  if (txn == nullptr) return;
  Unwatch(*txn);
  txn->in_multi = false;
  txn->dirty_exec = false;
  txn->queued.clear();
  txn->queued_flags = 0;
  txn->proxy_node.clear();
}

void Engine::TouchWatched(int db, absl::string_view key, bool expiry) {
  auto it = watched_keys_.find(DbKey(db, std::string(key)));
  if (it == watched_keys_.end()) return;
  for (Transaction* txn : it->second) {
    for (Transaction::Watched& w : txn->watched) {
      if (w.db != db || w.key != key) continue;
      if (w.expired) {
        // Already expired at WATCH: deleting it changes nothing visible.
        const Value* value = nullptr;
        int64_t expire_ms = 0;
        if (expiry || !keyspace_.db(db).PeekRaw(key, &value, &expire_ms)) {
          w.expired = false;
          break;
        }
      }
      txn->dirty_cas = true;
      break;
    }
  }
}

void Engine::CollectWholeDbWatchers(const CommandSpec& spec,
                                    ClientState& client, ArgList args,
                                    std::vector<Transaction*>* out) {
  // The databases the command empties or replaces; a watched key in one of
  // them is touched if it exists there (or, for SWAPDB, in the other).
  std::vector<int> dbs;
  if (spec.name == "flushdb") {
    dbs = {client.db_index};
  } else if (spec.name == "swapdb") {
    int a = 0;
    int b = 0;
    if (args.size() < 3 || !absl::SimpleAtoi(args[1], &a) ||
        !absl::SimpleAtoi(args[2], &b) || a < 0 || b < 0 ||
        a >= keyspace_.size() || b >= keyspace_.size() || a == b) {
      return;
    }
    dbs = {a, b};
  } else {
    for (int i = 0; i < keyspace_.size(); ++i) dbs.push_back(i);
  }
  for (const auto& [dk, txns] : watched_keys_) {
    if (std::find(dbs.begin(), dbs.end(), dk.first) == dbs.end()) continue;
    bool exists = false;
    for (int d : dbs) {
      const Value* value = nullptr;
      int64_t expire_ms = 0;
      if (keyspace_.db(d).PeekRaw(dk.second, &value, &expire_ms)) {
        exists = true;
      }
    }
    if (exists) out->insert(out->end(), txns.begin(), txns.end());
  }
}

void Engine::LogAppend(int db, ArgList args, absl::string_view raw,
                       bool expiry) {
  if (in_exec_) {
    LoggedCommand& entry = exec_log_.emplace_back();
    entry.db = db;
    entry.args.reserve(args.size());
    for (absl::string_view arg : args) entry.args.emplace_back(arg);
    entry.expiry = expiry;
    return;
  }
  if (!raw.empty()) {
    log_->AppendRaw(db, raw, args);
  } else {
    log_->Append(db, args);
  }
}

void Engine::Rollback(int64_t now_ms) {
  for (auto it = undo_log_.rbegin(); it != undo_log_.rend(); ++it) {
    if (log_ != nullptr && log_->wants_before_write()) {
      log_->BeforeWrite(it->db, it->key);
    }
    Db& db = keyspace_.db(it->db);
    if (it->existed) {
      db.Set(it->key, std::move(it->value), now_ms, it->expire_ms);
    } else {
      db.Erase(it->key, now_ms);
    }
  }
  undo_log_.clear();
  undo_saved_.clear();
}

void Engine::ExecTransaction(CommandContext& ctx) {
  ClientState& client = ctx.client;
  Transaction* txn = client.txn.get();
  if (txn == nullptr || !txn->in_multi) {
    ctx.reply.Error(kExecWithoutMultiErr);
    return;
  }
  // Redis 7.0's isWatchedKeyExpired: a key that was live at WATCH and has
  // expired since (deleted or not yet) was touched.
  for (const Transaction::Watched& w : txn->watched) {
    const Value* value = nullptr;
    int64_t expire_ms = 0;
    if (!w.expired && !loading_ &&
        keyspace_.db(w.db).PeekRaw(w.key, &value, &expire_ms) &&
        expire_ms <= ctx.now_ms) {
      txn->dirty_cas = true;
    }
  }
  if (txn->dirty_exec || txn->dirty_cas) {
    if (txn->dirty_exec) {
      ctx.reply.Error(kExecAbortErr);
    } else {
      ctx.reply.NullArray();
    }
    DiscardTransaction(client);
    return;
  }
  std::vector<Transaction::Queued> queued = std::move(txn->queued);
  DiscardTransaction(client);  // unwatches first, as Redis does

  const bool rollback = config_.multi_rollback;
  if (rollback) {
    // Refuse up front what could not be undone.
    for (const Transaction::Queued& q : queued) {
      if ((q.spec->flags & kCmdWrite) == 0) continue;
      std::vector<absl::string_view> views(q.args.begin(), q.args.end());
      // Databases may change through SELECT inside the block; checking
      // the client's current one is what is known now.
      for (int i : CommandKeyPositions(*q.spec, views)) {
        const Value* value = nullptr;
        int64_t expire_ms = 0;
        if (!keyspace_.db(client.db_index)
                 .PeekRaw(views[i], &value, &expire_ms)) {
          continue;
        }
        bool ok = false;
        value->Clone(&ok);
        if (!ok) {
          ctx.reply.Error(
              "EXECABORT Transaction discarded because of: multi-rollback "
              "cannot save a value of this type");
          return;
        }
      }
    }
  }

  // Nothing may block inside EXEC: blocking commands time out at once.
  BlockedClientSink* sink = client.sink;
  client.sink = nullptr;
  const absl::string_view raw_request = client.raw_request;
  client.raw_request = absl::string_view();
  in_exec_ = true;
  exec_log_.clear();
  undo_active_ = rollback;
  undo_now_ms_ = ctx.now_ms;
  undo_log_.clear();
  undo_saved_.clear();

  std::string body;
  ReplyWriter inner(&body, ctx.reply.protocol());
  size_t failed_at = queued.size();
  size_t failed_pos = 0;  // where its error reply starts in `body`
  for (size_t i = 0; i < queued.size(); ++i) {
    const Transaction::Queued& q = queued[i];
    std::vector<absl::string_view> views(q.args.begin(), q.args.end());
    const size_t before = body.size();
    ++stats_.commands_processed;
    CommandContext inner_ctx{*this, client, inner, ctx.now_ms};
    RunHandler(*q.spec, inner_ctx, views);
    if (rollback && body.size() > before && body[before] == '-') {
      failed_at = i;
      failed_pos = before;
      break;
    }
  }

  client.sink = sink;
  client.raw_request = raw_request;
  in_exec_ = false;
  undo_active_ = false;
  std::vector<LoggedCommand> logged = std::move(exec_log_);
  exec_log_.clear();

  if (failed_at < queued.size()) {
    Rollback(ctx.now_ms);
    const size_t line_end = body.find("\r\n", failed_pos);
    const absl::string_view error =
        absl::string_view(body).substr(failed_pos + 1, line_end - failed_pos - 1);
    ctx.reply.Error(absl::StrCat(
        "EXECABORT Transaction rolled back because command #", failed_at + 1,
        " (", queued[failed_at].spec->full_name, ") failed: ", error));
    // Only the DELs of keys that expired on the way stay: those keys are
    // gone in memory too.
    for (const LoggedCommand& entry : logged) {
      if (!entry.expiry || log_ == nullptr) continue;
      std::vector<absl::string_view> views(entry.args.begin(),
                                           entry.args.end());
      log_->Append(entry.db, views);
    }
    return;
  }
  undo_log_.clear();
  undo_saved_.clear();
  ctx.reply.ArrayHeader(queued.size());
  ctx.reply.buffer()->append(body);
  if (log_ == nullptr || logged.empty()) return;
  const bool wrap = std::any_of(
      logged.begin(), logged.end(),
      [](const LoggedCommand& entry) { return !entry.expiry; });
  static constexpr absl::string_view kMulti[] = {"MULTI"};
  static constexpr absl::string_view kExec[] = {"EXEC"};
  if (wrap) log_->Append(logged.front().db, kMulti);
  for (const LoggedCommand& entry : logged) {
    std::vector<absl::string_view> views(entry.args.begin(), entry.args.end());
    log_->Append(entry.db, views);
  }
  if (wrap) log_->Append(logged.back().db, kExec);
}

// --- Clients, pause, command stats, slow log. ---

void Engine::RegisterClient(ClientState* client) {
  clients_[client->id] = client;
}

void Engine::UnregisterClient(ClientState* client) {
  auto it = clients_.find(client->id);
  if (it != clients_.end() && it->second == client) clients_.erase(it);
}

void Engine::PauseClients(int64_t end_ms, bool all) {
  // As Redis: the stricter mode and the later end win.
  pause_all_ = pause_all_ || all;
  if (pause_timer_ != 0 && end_ms <= pause_end_ms_) return;
  if (pause_timer_ != 0) runtime_.executor().Cancel(pause_timer_);
  pause_end_ms_ = end_ms;
  pause_timer_ = runtime_.executor().Schedule(
      absl::Milliseconds(std::max<int64_t>(0, end_ms - NowMs())), [this] {
        pause_timer_ = 0;
        UnpauseClients();
      });
}

void Engine::UnpauseClients() {
  if (pause_timer_ != 0) runtime_.executor().Cancel(pause_timer_);
  pause_timer_ = 0;
  pause_end_ms_ = 0;
  pause_all_ = false;
  // Not from here (we may be inside CLIENT UNPAUSE): the postponed
  // commands run from a fresh task, in arrival order.
  if (!postponed_.empty() && resume_timer_ == 0) {
    resume_timer_ = runtime_.executor().Schedule(absl::ZeroDuration(), [this] {
      resume_timer_ = 0;
      ResumePostponed();
    });
  }
}

void Engine::PostponeClient(ClientState& client, ArgList args) {
  Postponed& p = postponed_.emplace_back();
  p.client = &client;
  for (absl::string_view arg : args) p.args.emplace_back(arg);
  client.postponed = true;
  client.blocked = true;  // its owner runs nothing more until OnUnblocked
}

void Engine::ResumePostponed() {
  std::deque<Postponed> queue;
  queue.swap(postponed_);
  while (!queue.empty()) {
    Postponed p = std::move(queue.front());
    queue.pop_front();
    ClientState* client = p.client;
    client->postponed = false;
    client->blocked = false;
    std::vector<absl::string_view> views(p.args.begin(), p.args.end());
    ReplyWriter& reply = client->sink->blocked_reply_writer();
    reply.set_protocol(client->protocol);
    Execute(*client, views, reply);
    // Paused again, or blocked by the command: the owner hears later.
    if (!client->blocked) client->sink->OnUnblocked();
  }
}

void Engine::RecordSlowLog(ClientState& client, ArgList args,
                           int64_t duration_us, int64_t now_ms) {
  const int64_t threshold = config_.slowlog_log_slower_than_us;
  if (threshold < 0 || duration_us < threshold) return;
  // Redis's limits: 32 arguments, 128 bytes each, and says what it cut.
  constexpr size_t kMaxArgs = 32;
  constexpr size_t kMaxString = 128;
  SlowLogEntry entry;
  entry.id = slowlog_next_id_++;
  entry.time_s = now_ms / 1000;
  entry.duration_us = duration_us;
  const size_t argc = std::min(args.size(), kMaxArgs);
  for (size_t i = 0; i < argc; ++i) {
    if (argc != args.size() && i == argc - 1) {
      entry.args.push_back(absl::StrFormat("... (%d more arguments)",
                                           args.size() - argc + 1));
    } else if (args[i].size() > kMaxString) {
      entry.args.push_back(
          absl::StrCat(args[i].substr(0, kMaxString), "... (",
                       args[i].size() - kMaxString, " more bytes)"));
    } else {
      entry.args.emplace_back(args[i]);
    }
  }
  entry.peer = client.peer;
  entry.name = client.name;
  slowlog_.push_front(std::move(entry));
  const size_t max_len =
      static_cast<size_t>(std::max<int64_t>(0, config_.slowlog_max_len));
  while (slowlog_.size() > max_len) slowlog_.pop_back();
}

// --- Cluster. ---

namespace {

// FNV-1a 64 with a SplitMix64 finish: fixed across platforms and builds.
uint64_t NameHash(absl::string_view data, uint64_t seed) {
  uint64_t h = 14695981039346656037ull ^ seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace

std::string ClusterNodeName(absl::string_view address) {
  std::string name;
  for (uint64_t i = 0; name.size() < 40; ++i) {
    absl::StrAppend(&name, absl::Hex(NameHash(address, i), absl::kZeroPad16));
  }
  name.resize(40);
  return name;
}

int SlotTable::CountOf(int node) const {
  return static_cast<int>(std::count(owner_.begin(), owner_.end(), node));
}

std::vector<std::pair<int, int>> SlotTable::RangesOf(int node) const {
  std::vector<std::pair<int, int>> ranges;
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    if (owner_[slot] != node) continue;
    if (!ranges.empty() && ranges.back().second == slot - 1) {
      ranges.back().second = slot;
    } else {
      ranges.emplace_back(slot, slot);
    }
  }
  return ranges;
}

ClusterView::ClusterView(const Config& config)
    : self_id_(ClusterSelfId(config)) {
  std::vector<std::string> ids = config.cluster_nodes;
  if (config.cluster_join) {
    // Not a member yet: the members are the others (self still a node).
    ids.erase(std::remove(ids.begin(), ids.end(), self_id_), ids.end());
  } else {
    ids.push_back(self_id_);
  }
  old_map_ = SlotMap(ids);
  new_map_ = SlotMap(std::move(ids));
  Recompute();
}

bool ClusterView::is_member() const {
  return std::binary_search(new_map_.nodes().begin(), new_map_.nodes().end(),
                            self_id_);
}

int ClusterView::IndexOf(absl::string_view id) const {
  const auto& nodes = slots.nodes_;
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id);
  if (it == nodes.end() || *it != id) return -1;
  return static_cast<int>(it - nodes.begin());
}

void ClusterView::Adopt(uint64_t epoch, std::vector<std::string> old_members,
                        std::vector<std::string> new_members) {
  epoch_ = epoch;
  old_map_ = SlotMap(std::move(old_members));
  new_map_ = SlotMap(std::move(new_members));
  migrated_.clear();
  moved_.clear();
  migrating_ = true;
  Recompute();
}

void ClusterView::MarkMigrated(absl::string_view id) {
  if (!migrating_) return;
  migrated_.insert(std::string(id));
  Recompute();
}

std::vector<std::string> ClusterView::PendingMigrations() const {
  std::vector<std::string> pending;
  if (!migrating_) return pending;
  std::vector<bool> loses(slots.nodes_.size(), false);
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    if (old_owner_[slot] >= 0 && old_owner_[slot] != new_owner_[slot]) {
      loses[old_owner_[slot]] = true;
    }
  }
  for (size_t i = 0; i < loses.size(); ++i) {
    if (loses[i] && !migrated_.contains(slots.nodes_[i])) {
      pending.push_back(slots.nodes_[i]);
    }
  }
  return pending;
}

void ClusterView::NoteMoved(int slot, int node) {
  if (!migrating_ || node < 0 || node == slots.owner(slot)) return;
  // Only the way a change goes: from the old owner to the new one.
  if (node != new_owner_[slot]) return;
  moved_[slot] = node;
  slots.owner_[slot] = static_cast<int16_t>(node);
}

void ClusterView::SetNodes(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  slots.nodes_ = std::move(ids);
  hosts.clear();
  ports.clear();
  names.clear();
  self = -1;
  for (size_t i = 0; i < slots.nodes_.size(); ++i) {
    const std::string& id = slots.nodes_[i];
    if (id == self_id_) self = static_cast<int>(i);
    std::string host = id;
    int port = 0;
    // cluster-nodes and cluster-self were validated by the config table.
    if (!ParseHostPort(id, &host, &port)) host = id;
    hosts.push_back(std::move(host));
    ports.push_back(port);
    names.push_back(ClusterNodeName(id));
  }
}

void ClusterView::Recompute() {
  auto owners = [this] {
    std::vector<std::string> ids = old_map_.nodes();
    ids.insert(ids.end(), new_map_.nodes().begin(), new_map_.nodes().end());
    ids.push_back(self_id_);
    SetNodes(std::move(ids));
    for (int slot = 0; slot < kClusterSlots; ++slot) {
      old_owner_[slot] =
          static_cast<int16_t>(IndexOf(old_map_.owner_id(slot)));
      new_owner_[slot] =
          static_cast<int16_t>(IndexOf(new_map_.owner_id(slot)));
    }
  };
  owners();
  if (migrating_ && PendingMigrations().empty()) {
    // Every slot has been handed over: the new map is the map.
    migrating_ = false;
    old_map_ = new_map_;
    migrated_.clear();
    moved_.clear();
    owners();
  }
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    int16_t owner = new_owner_[slot];
    if (migrating_ && old_owner_[slot] != new_owner_[slot] &&
        !migrated_.contains(old_map_.owner_id(slot))) {
      auto moved = moved_.find(slot);
      owner = moved != moved_.end() ? static_cast<int16_t>(moved->second)
                                    : old_owner_[slot];
    }
    slots.owner_[slot] = owner;
  }
}

bool Engine::ClusterRefuses(const CommandSpec& spec, ArgList args,
                            ReplyWriter& reply) {
  // Redis's own checks in these commands: SELECT parses its index first.
  if (spec.name == "select" && spec.full_name == "select") {
    int64_t index = 0;
    if (args.size() == 2 && ParseInt64(args[1], &index) && index != 0) {
      reply.Error(kSelectInClusterErr);
      return true;
    }
  } else if (spec.full_name == "move") {
    reply.Error(kMoveInClusterErr);
    return true;
  } else if (spec.full_name == "swapdb") {
    reply.Error(kSwapDbInClusterErr);
    return true;
  }
  return false;
}

}  // namespace twinkv
