// Locks and cross-node transactions of the proxy router (see router.h,
// "Cross-node MSET and MSETNX are atomic").

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/cluster/router.h"
#include "core/cluster/router_internal.h"
#include "core/cluster/slots.h"
#include "core/command.h"
#include "core/errors.h"

namespace twinkv {

namespace {

// What a command on a locked key gets (peers; the node the client talks
// to retries it).
constexpr absl::string_view kLockedErr =
    "TRYAGAIN Key locked by a cross-node transaction";

// Any TRYAGAIN: a lock, or keys on their way to a new owner.
bool IsTryAgain(const Reply& r) {
  return r.is_error() && absl::StartsWith(r.str, "TRYAGAIN");
}

// MOVED or ASK: a membership change is moving slots.
bool IsRedirect(const Reply& r) {
  return r.is_error() &&
         (absl::StartsWith(r.str, "MOVED ") || absl::StartsWith(r.str, "ASK "));
}


void AppendCommand(const std::vector<std::string>& args, std::string* out) {
  absl::StrAppend(out, "*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(out, "$", a.size(), "\r\n", a, "\r\n");
  }
}


}  // namespace

absl::Duration ClusterRouter::Backoff() {
  return absl::Microseconds(500 + runtime_.random().Uniform(9500));
}

bool ClusterRouter::AnyLocked(const CommandSpec& spec, ArgList args) const {
  if (locks_.empty()) return false;
  if (spec.find_keys == nullptr && spec.first_key == spec.last_key &&
      spec.first_key > 0) {
    return static_cast<size_t>(spec.first_key) < args.size() &&
           locks_.contains(args[spec.first_key]);
  }
  for (int i : CommandKeyPositions(spec, args)) {
    if (locks_.contains(args[i])) return true;
  }
  return false;
}

// --- Waiting behind locks. ---

void ClusterRouter::Park(ClientState& client, ArgList args) {
  ++stats_.lock_waits;
  auto parked = std::make_unique<Parked>();
  for (absl::string_view a : args) parked->args.emplace_back(a);
  parked->deadline = runtime_.clock().Monotonic() + options_.request_timeout;
  ClientState* c = &client;
  parked->timer =
      runtime_.executor().Schedule(Backoff(), [this, c] { Unpark(c); });
  parked_[c] = std::move(parked);
  client.blocked = true;
}

void ClusterRouter::Unpark(ClientState* client) {
  auto it = parked_.find(client);
  if (it == parked_.end()) return;
  std::unique_ptr<Parked> parked = std::move(it->second);
  parked_.erase(it);
  client->blocked = false;
  ReplyWriter& writer = client->sink->blocked_reply_writer();
  if (runtime_.clock().Monotonic() >= parked->deadline) {
    writer.Error(kLockedErr);
  } else {
    std::vector<absl::string_view> views(parked->args.begin(),
                                         parked->args.end());
    // As the engine re-runs a blocked command: through Execute, so every
    // check runs again. It may park or route the client once more.
    engine_.Execute(*client, views, writer);
    if (client->blocked) return;
  }
  client->sink->OnUnblocked();
}

bool ClusterRouter::FollowRedirect(const Reply& r, Redirect* to) {
  if (!IsRedirect(r)) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(r.str, ' ');
  std::string host;
  int port = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &to->slot) ||
      to->slot < 0 || to->slot >= kClusterSlots ||
      !ParseHostPort(parts[2], &host, &port)) {
    return false;
  }
  to->node = std::string(parts[2]);  // maybe a node not heard of yet
  to->ask = parts[0] == "ASK";
  if (!to->ask) {
    engine_.mutable_cluster()->NoteMoved(to->slot, view_.IndexOf(to->node));
  }
  return true;
}

void ClusterRouter::SendRetrying(const std::string& id, int protocol,
                                 std::vector<std::string> args,
                                 absl::Duration deadline,
                                 absl::AnyInvocable<void(Reply)> done,
                                 int hops, bool asking) {
  std::vector<std::string> copy = args;
  std::weak_ptr<bool> alive = alive_;
  SendToNode(
      id, protocol, std::move(copy), options_.request_timeout, nullptr,
      [this, alive, id, protocol, args = std::move(args), deadline, hops,
       asking, done = std::move(done)](Reply r) mutable {
        if (alive.expired()) return;
        // MOVED and ASK (a membership change moves slots): follow them,
        // also to nodes this one has not heard of yet.
        Redirect to;
        if (hops < kMaxRedirects && FollowRedirect(r, &to)) {
          SendRetrying(to.node, protocol, std::move(args), deadline,
                       std::move(done), hops + 1, to.ask);
          return;
        }
        const absl::Duration backoff = Backoff();
        if (!IsTryAgain(r) ||
            runtime_.clock().Monotonic() + backoff >= deadline) {
          done(std::move(r));
          return;
        }
        ++stats_.lock_waits;
        runtime_.executor().Schedule(
            backoff, [this, alive, id, protocol, args = std::move(args),
                      deadline, hops, asking,
                      done = std::move(done)]() mutable {
              if (alive.expired()) return;
              SendRetrying(id, protocol, std::move(args), deadline,
                           std::move(done), hops, asking);
            });
      },
      asking);
}

// --- Coordinator. ---

void ClusterRouter::StartTx(int kind, ClientState& client, ArgList args,
                            const std::vector<int>& owners) {
  auto tx = std::make_shared<Tx>();
  tx->kind = kind;
  tx->deadline = runtime_.clock().Monotonic() + options_.request_timeout;
  tx->step = kind == kTxMget ? 1 : 2;
  tx->nkeys = owners.size();
  for (absl::string_view a : args) tx->args.emplace_back(a);
  ++stats_.split;
  tx->op = StartOp(client, 1, [](std::vector<Reply>& parts) {
    return std::move(parts[0]);
  });
  tx->op->in_route = false;
  pending_route_.reset();
  Attempt(tx);
}

void ClusterRouter::SendToId(const std::string& id, std::vector<std::string> args,
                             absl::AnyInvocable<void(Reply)> done,
                             bool asking) {
  SendToNode(id, 2, std::move(args), options_.request_timeout, nullptr,
             std::move(done), asking);
}

void ClusterRouter::Attempt(const std::shared_ptr<Tx>& tx) {
  // Participants in ascending order; each gets its keys in request order.
  std::vector<std::string> owner_of(tx->nkeys);
  for (size_t i = 0; i < tx->nkeys; ++i) {
    const std::string& key = tx->args[1 + i * tx->step];
    const int slot = KeySlot(key);
    auto asked = tx->asked.find(slot);
    owner_of[i] = asked != tx->asked.end() ? asked->second.first
                                           : view_.slots.owner_id(slot);
    if (owner_of[i].empty()) {
      FinishTx(tx, Reply::Error("CLUSTERDOWN Hash slot not served"));
      return;
    }
  }
  tx->nodes = owner_of;
  std::sort(tx->nodes.begin(), tx->nodes.end());
  tx->nodes.erase(std::unique(tx->nodes.begin(), tx->nodes.end()),
                  tx->nodes.end());
  tx->parts.assign(tx->nodes.size(), {});
  tx->positions.assign(tx->nodes.size(), {});
  for (size_t i = 0; i < tx->nkeys; ++i) {
    const size_t p = std::lower_bound(tx->nodes.begin(), tx->nodes.end(),
                                      owner_of[i]) -
                     tx->nodes.begin();
    const int pos = 1 + static_cast<int>(i) * tx->step;
    tx->parts[p].push_back(tx->args[pos]);
    if (tx->step == 2) tx->parts[p].push_back(tx->args[pos + 1]);
    tx->positions[p].push_back(pos);
  }
  tx->txid = absl::StrCat(absl::Hex(incarnation_), "-", ++next_tx_);
  undecided_[tx->txid] = false;
  tx->replies.assign(tx->nodes.size(), Reply());
  tx->outstanding = static_cast<int>(tx->nodes.size()) + 1;
  const char* mode = tx->kind == kTxMset     ? "WRITE"
                     : tx->kind == kTxMsetNx ? "WRITENX"
                                             : "READ";
  const std::string txid = tx->txid;
  for (size_t p = 0; p < tx->nodes.size(); ++p) {
    std::vector<std::string> args{"TWINKV.PREPARE", txid, self_id_, mode};
    args.insert(args.end(), tx->parts[p].begin(), tx->parts[p].end());
    // A node named by an ASK takes the keys only when asked.
    bool asking = false;
    for (int pos : tx->positions[p]) {
      auto asked = tx->asked.find(KeySlot(tx->args[pos]));
      if (asked != tx->asked.end() && asked->second.second) asking = true;
    }
    SendToId(
        tx->nodes[p], std::move(args),
        [this, tx, p, txid](Reply r) {
          if (tx->txid != txid) return;
          tx->replies[p] = std::move(r);
          if (--tx->outstanding == 0) OnPrepared(tx);
        },
        asking);
  }
  if (--tx->outstanding == 0) OnPrepared(tx);
}

void ClusterRouter::OnPrepared(const std::shared_ptr<Tx>& tx) {
  const std::string txid = tx->txid;
  auto it = undecided_.find(txid);
  const bool aborted_by_status = it != undecided_.end() && it->second;
  if (it != undecided_.end()) undecided_.erase(it);
  bool locked = false;
  bool exists = false;
  const Reply* failure = nullptr;
  for (const Reply& r : tx->replies) {
    Redirect to;
    if (FollowRedirect(r, &to)) {
      // A membership change moves the slot: the next attempt asks (ASK)
      // or goes (MOVED) where it was sent.
      tx->asked[to.slot] = {to.node, to.ask};
    }
    if (IsTryAgain(r) || IsRedirect(r)) {
      // Locked, or moving to another node: roll back and try again.
      locked = true;
    } else if (r.is_error()) {
      if (failure == nullptr) failure = &r;
    } else if (tx->kind == kTxMsetNx && r.type == Reply::Type::kInteger &&
               r.integer > 0) {
      exists = true;
    }
  }
  const bool ok = !locked && !exists && failure == nullptr &&
                  !aborted_by_status;
  if (ok && tx->kind != kTxMget) {
    Commit(tx);
    return;
  }
  // Roll back (a read releases its locks the same way) and learn whether
  // each read lock was still held.
  Reply failure_copy = failure != nullptr ? *failure : Reply();
  auto released = std::make_shared<int>(0);
  auto pending = std::make_shared<int>(static_cast<int>(tx->nodes.size()));
  std::weak_ptr<bool> alive = alive_;
  auto after = [this, alive, tx, ok, locked, exists, aborted_by_status,
                failure_copy, released, pending](Reply r) {
    if (alive.expired()) return;
    if (r.type == Reply::Type::kInteger && r.integer == 1) ++*released;
    if (--*pending > 0) return;
    if (tx->kind == kTxMget && ok) {
      if (*released == static_cast<int>(tx->nodes.size())) {
        // Every lock held from its read to its release: one moment saw
        // all the values.
        std::vector<Reply> out(tx->nkeys);
        for (size_t p = 0; p < tx->nodes.size(); ++p) {
          const Reply& part = tx->replies[p];
          for (size_t j = 0; j < tx->positions[p].size(); ++j) {
            out[tx->positions[p][j] - 1] =
                j < part.elements.size() ? part.elements[j] : Reply::Null();
          }
        }
        ++stats_.atomic_reads;
        FinishTx(tx, Reply::Array(std::move(out)));
        return;
      }
      // A lock was lost (its owner restarted, or the TTL ran out): read
      // again.
    } else {
      ++stats_.tx_aborted;
    }
    if (exists && !locked && failure_copy.type == Reply::Type::kNull &&
        !aborted_by_status) {
      FinishTx(tx, Reply::Integer(0));  // MSETNX: a key exists
      return;
    }
    const bool retry = failure_copy.type == Reply::Type::kNull;
    const absl::Duration backoff = Backoff();
    if (retry && runtime_.clock().Monotonic() + backoff < tx->deadline) {
      if (locked) ++stats_.tx_conflicts;
      runtime_.executor().Schedule(backoff, [this, alive, tx] {
        if (!alive.expired() && !tx->finished) Attempt(tx);
      });
      return;
    }
    if (!retry) {
      if (IsFailure(failure_copy)) {
        FinishTx(tx, Reply::Error(absl::StrCat(
                         failure_copy.str,
                         " (the cross-node command was rolled back)")));
      } else {
        FinishTx(tx, failure_copy);
      }
      return;
    }
    FinishTx(tx, Reply::Error(kLockedErr));
  };
  for (size_t p = 0; p < tx->nodes.size(); ++p) {
    SendToId(tx->nodes[p], {"TWINKV.ABORT", txid}, after);
  }
}

void ClusterRouter::Commit(const std::shared_ptr<Tx>& tx) {
  const std::string txid = tx->txid;
  auto decided = std::make_unique<Decided>();
  std::vector<std::string> record{"TWINKV.DECIDE", txid};
  for (const std::string& node : tx->nodes) {
    decided->nodes.push_back(node);
    record.push_back(node);
  }
  decided->acked.assign(tx->nodes.size(), false);
  decided_[txid] = std::move(decided);
  ++stats_.tx_committed;
  CommandLog* log = engine_.command_log();
  if (log == nullptr) {
    SendCommits(txid);
    FinishTx(tx, tx->kind == kTxMsetNx ? Reply::Integer(1)
                                       : Reply::Status("OK"));
    return;
  }
  std::vector<absl::string_view> views(record.begin(), record.end());
  log->Append(0, views);
  std::weak_ptr<bool> alive = alive_;
  log->WhenAcknowledged(log->appended(), [this, alive, tx, txid](bool ok) {
    if (alive.expired()) return;
    if (ok) {
      SendCommits(txid);
      FinishTx(tx, tx->kind == kTxMsetNx ? Reply::Integer(1)
                                         : Reply::Status("OK"));
      return;
    }
    // The decision never became durable (the log failed; it is cut back
    // to its last good fsync): roll back instead.
    decided_.erase(txid);
    --stats_.tx_committed;
    ++stats_.tx_aborted;
    for (const std::string& node : tx->nodes) {
      SendToId(node, {"TWINKV.ABORT", txid}, [](Reply) {});
    }
    FinishTx(tx, Reply::Error(absl::StrCat(
                     "CLUSTERDOWN ", self_id_,
                     " could not log the cross-node commit (rolled back)")));
  });
}

// Replies OK (or 1) once decided and durable: from then on every owner
// keeps its keys locked until it commits, so no reader can tell.
void ClusterRouter::SendCommits(const std::string& txid) {
  auto it = decided_.find(txid);
  if (it == decided_.end()) return;
  // Copies: the local owner answers at once, and its answer may complete
  // (and erase) the decision while this loop runs.
  const std::vector<std::string> nodes = it->second->nodes;
  const std::vector<bool> acked = it->second->acked;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (acked[i]) continue;
    auto now = decided_.find(txid);
    if (now == decided_.end()) break;
    ++now->second->in_flight;
    SendToId(nodes[i], {"TWINKV.COMMIT", txid},
             [this, txid, i](Reply r) { OnCommitAck(txid, i, r); });
  }
  ArmRedrive();
}

void ClusterRouter::OnCommitAck(const std::string& txid, size_t index,
                                const Reply& r) {
  auto it = decided_.find(txid);
  if (it == decided_.end()) return;
  Decided& d = *it->second;
  --d.in_flight;
  // 1: committed now; 0: it had no such transaction prepared, so it
  // committed earlier (only a decided transaction can be committed).
  if (r.type == Reply::Type::kInteger) d.acked[index] = true;
  if (std::find(d.acked.begin(), d.acked.end(), false) != d.acked.end()) {
    return;
  }
  decided_.erase(it);
  if (CommandLog* log = engine_.command_log()) {
    // Not FORGET: on a node that is also a participant, that record ends
    // its prepared half (replaying one must not drop the other).
    const absl::string_view forget[] = {"TWINKV.DONE", txid};
    log->Append(0, forget);
  }
}

void ClusterRouter::ArmRedrive() {
  if (redrive_timer_ != 0 || decided_.empty()) return;
  redrive_timer_ =
      runtime_.executor().Schedule(options_.tx_retry_interval, [this] {
        redrive_timer_ = 0;
        std::vector<std::string> ids;
        for (const auto& [txid, d] : decided_) {
          if (d->in_flight == 0) ids.push_back(txid);
        }
        std::sort(ids.begin(), ids.end());  // deterministic order
        for (const std::string& txid : ids) SendCommits(txid);
        ArmRedrive();
      });
}

void ClusterRouter::FinishTx(const std::shared_ptr<Tx>& tx, Reply reply) {
  if (tx->finished) return;
  tx->finished = true;
  PartDone(tx->op, 0, std::move(reply));
}

// --- Participant. ---

void ClusterRouter::Unlock(const std::string& txid) {
  auto it = prepared_.find(txid);
  if (it == prepared_.end()) return;
  for (const std::string& key : it->second->keys) {
    auto lock = locks_.find(key);
    if (lock != locks_.end() && lock->second == txid) locks_.erase(lock);
  }
  if (it->second->timer != 0) runtime_.executor().Cancel(it->second->timer);
  prepared_.erase(it);
}

void ClusterRouter::OnPreparedTimer(const std::string& txid) {
  auto it = prepared_.find(txid);
  if (it == prepared_.end()) return;
  Prepared& p = *it->second;
  p.timer = 0;
  if (!p.write) {
    Unlock(txid);  // a reader that went quiet: it will read again
    return;
  }
  const std::string coordinator = p.coordinator;
  std::weak_ptr<bool> alive = alive_;
  auto rearm = [this, alive, txid] {
    if (alive.expired()) return;
    auto again = prepared_.find(txid);
    if (again == prepared_.end()) return;
    again->second->asking = false;
    again->second->timer = runtime_.executor().Schedule(
        options_.tx_retry_interval, [this, txid] { OnPreparedTimer(txid); });
  };
  p.asking = true;
  SendToId(coordinator, {"TWINKV.STATUS", txid},
           [this, alive, txid, rearm](Reply r) {
           if (alive.expired()) return;
           if (!prepared_.contains(txid)) return;  // settled meanwhile
           if (r.type == Reply::Type::kStatus &&
               (r.str == "COMMIT" || r.str == "ABORT")) {
             const std::string command =
                 r.str == "COMMIT" ? "TWINKV.COMMIT" : "TWINKV.ABORT";
             const absl::string_view args[] = {command, txid};
             RunHere(2, args);
             return;
           }
           rearm();
         });
}

void ClusterRouter::RunPeerCommand(CommandContext& ctx, ArgList args) {
  const std::string name = absl::AsciiStrToLower(args[0]);
  Db& db = ctx.engine.keyspace().db(0);
  const bool loading = ctx.engine.loading();
  if (name == "twinkv.prepare") {
    // TWINKV.PREPARE txid coordinator WRITE|WRITENX|READ key [value] ...
    if (args.size() < 5) return ctx.reply.Error(WrongArgsError(name));
    const std::string txid(args[1]);
    const absl::string_view mode = args[3];
    const bool write = mode == "WRITE" || mode == "WRITENX";
    if (!write && mode != "READ") return ctx.reply.Error(kSyntaxErr);
    const size_t step = write ? 2 : 1;
    if ((args.size() - 4) % step != 0) {
      return ctx.reply.Error(WrongArgsError(name));
    }
    if (prepared_.contains(txid)) {
      return ctx.reply.Error("ERR transaction already prepared");
    }
    if (!loading) {
      // Each slot's keys must be this node's to lock (as a peer asks: a
      // slot moving here counts), and free.
      std::vector<int> keys;
      for (size_t i = 4; i < args.size(); i += step) keys.push_back(i);
      const SlotDecision d = DecideKeys(args, keys, ctx.client.asking);
      if (d.kind != SlotDecision::kRun) {
        ReplyDecision(d, ctx.reply);
        return;
      }
      for (int k : keys) {
        if (locks_.contains(args[k])) return ctx.reply.Error(kLockedErr);
      }
    }
    if (mode == "WRITENX" && !loading) {
      int64_t existing = 0;
      for (size_t i = 4; i < args.size(); i += 2) {
        existing += db.Exists(args[i], ctx.now_ms) ? 1 : 0;
      }
      if (existing > 0) return ctx.reply.Integer(existing);
    }
    auto p = std::make_unique<Prepared>();
    p->write = write;
    p->coordinator = std::string(args[2]);
    for (size_t i = 4; i < args.size(); i += step) {
      p->keys.emplace_back(args[i]);
      if (write) p->values.emplace_back(args[i + 1]);
      locks_[args[i]] = txid;
    }
    p->timer = runtime_.executor().Schedule(
        write ? options_.tx_status_after : options_.read_lock_ttl,
        [this, txid] { OnPreparedTimer(txid); });
    prepared_[txid] = std::move(p);
    if (write) {
      ctx.AddDirty();  // logged as received: durable before acknowledged
      if (mode == "WRITENX") return ctx.reply.Integer(0);
      return ctx.reply.Ok();
    }
    // READ: the values, as MGET reads them.
    ctx.reply.ArrayHeader(args.size() - 4);
    for (size_t i = 4; i < args.size(); ++i) {
      const Value* v = db.Find(args[i], ctx.now_ms);
      if (v == nullptr || !v->is_string()) {
        ctx.reply.Null();
      } else {
        ctx.reply.Bulk(v->str());
      }
    }
    return;
  }
  if (args.size() < 2) return ctx.reply.Error(WrongArgsError(name));
  const std::string txid(args[1]);
  if (name == "twinkv.commit") {
    auto it = prepared_.find(txid);
    if (it == prepared_.end() || !it->second->write) {
      return ctx.reply.Integer(0);
    }
    const Prepared& p = *it->second;
    if (p.cross) return CommitStaged(ctx, txid);
    std::vector<absl::string_view> mset{"MSET"};
    for (size_t i = 0; i < p.keys.size(); ++i) {
      ctx.engine.BeforeWrite(0, p.keys[i]);
      db.SetString(p.keys[i], p.values[i], ctx.now_ms);
      mset.push_back(p.keys[i]);
      mset.push_back(p.values[i]);
    }
    ctx.Propagate(mset);
    ctx.Propagate({"TWINKV.FORGET", txid});
    ctx.AddDirty(p.keys.size());
    Unlock(txid);
    return ctx.reply.Integer(1);
  }
  if (name == "twinkv.abort") {
    auto it = prepared_.find(txid);
    if (it == prepared_.end()) return ctx.reply.Integer(0);
    if (it->second->write) {
      ctx.Propagate({"TWINKV.FORGET", txid});
      ctx.AddDirty();
    }
    Unlock(txid);
    return ctx.reply.Integer(1);
  }
  if (name == "twinkv.status") {
    if (decided_.contains(txid)) return ctx.reply.Status("COMMIT");
    auto it = undecided_.find(txid);
    if (it != undecided_.end()) it->second = true;  // never commit it now
    return ctx.reply.Status("ABORT");
  }
  if (name == "twinkv.decide") {
    // Only the AOF holds these (the coordinator logs them itself).
    auto d = std::make_unique<Decided>();
    for (size_t i = 2; i < args.size(); ++i) d->nodes.emplace_back(args[i]);
    d->acked.assign(d->nodes.size(), false);
    decided_[txid] = std::move(d);
    // Re-sent once the node serves (a timer: not while loading).
    ArmRedrive();
    return ctx.reply.Ok();
  }
  if (name == "twinkv.forget") {
    // A participant's transaction is over (committed or rolled back).
    Unlock(txid);
    return ctx.reply.Ok();
  }
  if (name == "twinkv.done") {
    // A coordinator's decision is carried out on every owner.
    decided_.erase(txid);
    return ctx.reply.Ok();
  }
  if (RunMemberCommand(ctx, args)) {
    // The slots this node serves may have changed: clients blocked on keys
    // of slots it gave away are sent to the new owner.
    if (!engine_.loading()) ScheduleBlockedCheck(absl::ZeroDuration());
    return;
  }
  if (RunCrossCommand(ctx, args)) return;
  ctx.reply.Error(UnknownCommandError(args[0], args.subspan(1)));
}

void ClusterRouter::AppendDurableState(std::string* out) {
  AppendMemberState(out);
  // Sorted so that a rewrite's bytes are a function of the state.
  std::vector<std::string> ids;
  for (const auto& [txid, p] : prepared_) {
    if (p->write) ids.push_back(txid);
  }
  std::sort(ids.begin(), ids.end());
  for (const std::string& txid : ids) {
    const Prepared& p = *prepared_[txid];
    if (p.cross) {
      AppendStaged(txid, out);
      continue;
    }
    std::vector<std::string> args{"TWINKV.PREPARE", txid, p.coordinator,
                                  "WRITE"};
    for (size_t i = 0; i < p.keys.size(); ++i) {
      args.push_back(p.keys[i]);
      args.push_back(p.values[i]);
    }
    AppendCommand(args, out);
  }
  ids.clear();
  for (const auto& [txid, d] : decided_) ids.push_back(txid);
  std::sort(ids.begin(), ids.end());
  for (const std::string& txid : ids) {
    std::vector<std::string> args{"TWINKV.DECIDE", txid};
    args.insert(args.end(), decided_[txid]->nodes.begin(),
                decided_[txid]->nodes.end());
    AppendCommand(args, out);
  }
}

}  // namespace twinkv
