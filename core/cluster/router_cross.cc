// Multi-key commands across nodes beyond MSET/MSETNX/MGET (see router.h):
// RENAME RENAMENX COPY SMOVE LMOVE RPOPLPUSH, the *STORE commands
// (SUNIONSTORE SINTERSTORE SDIFFSTORE ZUNIONSTORE ZINTERSTORE ZDIFFSTORE
// ZRANGESTORE), and the read-only set algebra (SUNION SINTER SDIFF
// SINTERCARD ZUNION ZINTER ZDIFF ZINTERCARD). Blocking ones (BLMOVE,
// BRPOPLPUSH) stay refused: they could not wait while holding locks.
//
// "Gather, run, scatter", with the node the client talks to as
// coordinator, atomic with the same locks as the MSET two-phase commit:
//
//   1. TWINKV.FETCH to every owner: locks the command's keys there (no
//      waiting: a locked key fails it, and the coordinator releases what
//      it got, backs off and retries until request_timeout, as MSET does)
//      and answers each key's value as the commands that rebuild it (the
//      AOF rewrite's encoding, TTL included), or nil. Not logged: a lock
//      of this phase is a read lock (released after read_lock_ttl if the
//      coordinator goes quiet).
//   2. The coordinator rebuilds every key as a temporary key in a slot of
//      its own and runs the client's command on them, calling the
//      command's handler directly: nothing is logged, no client can see
//      the temporaries (all of it happens in one turn of the loop), and
//      the reply is the engine's own, errors included. It then reads the
//      new state of each key back and deletes the temporaries.
//   3. Nothing changed (an error, SMOVE answering 0, a read-only command):
//      the locks are released, and the reply goes out if every lock was
//      still held when released (else the values may not be of one moment:
//      it starts over). Something changed: TWINKV.STAGE to every owner
//      turns its read lock into a logged prepared write holding each key's
//      new state ("=": unchanged, "+<commands>": rebuilt from them; no
//      commands: deleted), and from here on it is the MSET protocol:
//      TWINKV.DECIDE logged by the coordinator, the reply, TWINKV.COMMIT
//      to every owner (which applies the states, logged as DEL plus the
//      rebuilding commands), STATUS queries and re-drives after failures.
//
// A reader of any key on any node waits from its FETCH until its COMMIT or
// ABORT, so nobody sees half a RENAME.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/aof_format.h"
#include "core/cluster/router.h"
#include "core/cluster/router_internal.h"
#include "core/cluster/slots.h"
#include "core/command.h"
#include "core/errors.h"

namespace twinkv {

namespace {

constexpr absl::string_view kLockedErr =
    "TRYAGAIN Key locked by a cross-node transaction";
// TWINKV.STAGE for a transaction whose read locks are gone (their TTL ran
// out, or the node restarted): the coordinator starts over.
constexpr absl::string_view kLostErr =
    "TRYAGAIN the cross-node transaction's locks were lost";

// How many tags to try for one that hashes to a slot of this node.
constexpr int kTagTries = 4096;

// Whether the command can run across nodes this way.
bool Supported(const CommandSpec& spec, ArgList args) {
  constexpr absl::string_view kNames[] = {
      "rename",      "renamenx",    "copy",        "smove",
      "lmove",       "rpoplpush",   "sunionstore", "sinterstore",
      "sdiffstore",  "zunionstore", "zinterstore", "zdiffstore",
      "zrangestore", "sunion",      "sinter",      "sdiff",
      "sintercard",  "zunion",      "zinter",      "zdiff",
      "zintercard",
  };
  if (std::find(std::begin(kNames), std::end(kNames), spec.full_name) ==
      std::end(kNames)) {
    return false;
  }
  if (spec.full_name == "copy") {
    // COPY ... DB n writes another database, which proxy mode does not
    // route.
    for (size_t i = 3; i < args.size(); ++i) {
      if (twinkv::EqualsIgnoreCase(args[i], "db")) return false;
    }
  }
  return true;
}

// A lock met, a lock lost, or keys moving to another node (MOVED/ASK
// while the membership changes): worth another attempt.
bool IsRetryable(const Reply& r) {
  return r.is_error() && (absl::StartsWith(r.str, "TRYAGAIN ") ||
                          absl::StartsWith(r.str, "MOVED ") ||
                          absl::StartsWith(r.str, "ASK "));
}

}  // namespace

// One cross-node command being coordinated here. Its steps are static
// members so that they may use the router's private parts.
struct ClusterRouter::Cross {
  std::shared_ptr<Op> op;  // the client's
  int protocol = 2;
  const CommandSpec* spec = nullptr;  // rows are never removed
  std::vector<std::string> args;
  std::vector<int> positions;         // of the keys in args
  std::vector<size_t> key_at;         // per position: index in keys
  std::vector<std::string> keys;      // distinct
  // Of the current attempt (the map may change between attempts).
  // Owners (node ids, ascending): ids, not indices, as indices change
  // when a membership change completes between two steps.
  std::vector<std::string> nodes;
  std::vector<std::vector<size_t>> node_keys;  // per owner: its keys
  absl::Duration deadline;
  std::string txid;
  int outstanding = 0;
  std::vector<Reply> replies;  // per owner, of the current phase
  // Per key: its rebuilding commands as fetched (nullopt: missing).
  std::vector<std::optional<std::string>> before;
  Reply result;  // the command's reply, once it ran
  bool finished = false;

  static void Attempt(ClusterRouter& r, const std::shared_ptr<Cross>& tx);
  static void OnFetched(ClusterRouter& r, const std::shared_ptr<Cross>& tx);
  // Runs the command on temporaries; per key its new rebuilding commands
  // if it changed (nullopt: unchanged). Returns whether any changed.
  static bool Run(ClusterRouter& r, Cross& tx,
                  std::vector<std::optional<std::string>>* after);
  static void Stage(ClusterRouter& r, const std::shared_ptr<Cross>& tx,
                    const std::vector<std::optional<std::string>>& after);
  static void OnStaged(ClusterRouter& r, const std::shared_ptr<Cross>& tx);
  // Releases every lock. With `answer`, the command changed nothing: it is
  // the reply if every lock was still held. Else `failure` (type kNull:
  // none, start over) says why the attempt failed.
  static void Release(ClusterRouter& r, const std::shared_ptr<Cross>& tx,
                      std::optional<Reply> answer, Reply failure,
                      bool conflict);
  static void Decide(ClusterRouter& r, const std::shared_ptr<Cross>& tx);
  static void Finish(ClusterRouter& r, const std::shared_ptr<Cross>& tx,
                     Reply reply);

  // Calls the handler of command `args` directly (not through Execute: no
  // routing, no logging, no stats) for `client`, and decodes its reply.
  static Reply RunDirect(ClusterRouter& r, ClientState& client,
                         ArgList args, int64_t now_ms);
  // Runs the rebuilding commands `commands` (AppendKeyRewrite's) against
  // `key` instead of the key they name. PEXPIREAT is applied directly (a
  // time already passed deletes the key, without logging the expiry).
  // Returns false if they do not parse or one fails; *records (if set)
  // receives them as they should be logged.
  static bool Rebuild(ClusterRouter& r, ClientState& client,
                      absl::string_view key, absl::string_view commands,
                      int64_t now_ms,
                      std::vector<std::vector<std::string>>* records);
};

Reply ClusterRouter::Cross::RunDirect(ClusterRouter& r, ClientState& client,
                                      ArgList args, int64_t now_ms) {
  const CommandSpec* spec = r.engine_.commands().Find(args[0]);
  if (spec == nullptr || spec->handler == nullptr ||
      !spec->AcceptsArgCount(args.size())) {
    return Reply::Error(
        absl::StrCat("ERR internal error: cannot run ", args[0]));
  }
  std::string out;
  ReplyWriter writer(&out, client.protocol);
  CommandContext ctx{r.engine_, client, writer, now_ms};
  spec->handler(ctx, args);
  ReplyDecoder decoder;
  Reply reply;
  if (decoder.Decode(out, &reply) != ReplyDecoder::kReply) {
    return Reply::Error("ERR internal error: bad local reply");
  }
  return reply;
}

bool ClusterRouter::Cross::Rebuild(
    ClusterRouter& r, ClientState& client, absl::string_view key,
    absl::string_view commands, int64_t now_ms,
    std::vector<std::vector<std::string>>* records) {
  Db& db = r.engine_.keyspace().db(0);
  AofParser parser;
  parser.Feed(commands);
  for (;;) {
    const AofParser::Result result = parser.Next();
    if (result == AofParser::kNeedMore) break;
    if (result == AofParser::kCorrupt) return false;
    std::vector<absl::string_view> args(parser.args().begin(),
                                        parser.args().end());
    if (args.size() < 3) return false;
    args[1] = key;
    if (twinkv::EqualsIgnoreCase(args[0], "pexpireat")) {
      int64_t when = 0;
      if (!absl::SimpleAtoi(args[2], &when)) return false;
      if (when <= now_ms) {
        db.Erase(key, now_ms);
      } else {
        db.SetExpire(key, when, now_ms);
      }
    } else if (RunDirect(r, client, args, now_ms).is_error()) {
      return false;
    }
    if (records != nullptr) records->emplace_back(args.begin(), args.end());
  }
  return parser.unconsumed().empty();
}

bool ClusterRouter::CrossNode(const CommandSpec& spec, ClientState& client,
                              ArgList args, const std::vector<int>& positions,
                              const std::vector<int>& owners) {
  if (!Supported(spec, args)) return false;
  auto tx = std::make_shared<Cross>();
  tx->protocol = client.protocol;
  tx->spec = &spec;
  for (absl::string_view a : args) tx->args.emplace_back(a);
  tx->positions = positions;
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < positions.size(); ++i) {
    const std::string key(args[positions[i]]);
    auto [it, added] = index.emplace(key, tx->keys.size());
    if (added) tx->keys.push_back(key);
    tx->key_at.push_back(it->second);
  }
  tx->deadline = runtime_.clock().Monotonic() + options_.request_timeout;
  ++stats_.split;
  tx->op = StartOp(client, 1, [](std::vector<Reply>& parts) {
    return std::move(parts[0]);
  });
  tx->op->in_route = false;
  pending_route_.reset();
  Cross::Attempt(*this, tx);
  return true;
}

void ClusterRouter::Cross::Attempt(ClusterRouter& r,
                                   const std::shared_ptr<Cross>& tx) {
  tx->txid = absl::StrCat(absl::Hex(r.incarnation_), "-", ++r.next_tx_);
  r.undecided_[tx->txid] = false;
  std::vector<std::string> key_owner;
  for (const std::string& key : tx->keys) {
    const int owner = r.view_.slots.OwnerOfKey(key);
    if (owner < 0) {  // no member serves it (this node lost them all)
      r.undecided_.erase(tx->txid);
      Finish(r, tx, Reply::Error("CLUSTERDOWN Hash slot not served"));
      return;
    }
    key_owner.push_back(r.view_.slots.nodes()[owner]);
  }
  tx->nodes = key_owner;
  std::sort(tx->nodes.begin(), tx->nodes.end());
  tx->nodes.erase(std::unique(tx->nodes.begin(), tx->nodes.end()),
                  tx->nodes.end());
  tx->node_keys.assign(tx->nodes.size(), {});
  for (size_t k = 0; k < tx->keys.size(); ++k) {
    const size_t p =
        std::lower_bound(tx->nodes.begin(), tx->nodes.end(), key_owner[k]) -
        tx->nodes.begin();
    tx->node_keys[p].push_back(k);
  }
  tx->replies.assign(tx->nodes.size(), Reply());
  tx->before.assign(tx->keys.size(), std::nullopt);
  tx->outstanding = static_cast<int>(tx->nodes.size()) + 1;
  const std::string txid = tx->txid;
  ClusterRouter* router = &r;
  for (size_t p = 0; p < tx->nodes.size(); ++p) {
    std::vector<std::string> args{"TWINKV.FETCH", txid, r.self_id_};
    for (size_t k : tx->node_keys[p]) args.push_back(tx->keys[k]);
    r.SendToNode(tx->nodes[p], 2, std::move(args), r.options_.request_timeout,
                 nullptr, [router, tx, p, txid](Reply reply) {
                   if (tx->txid != txid) return;
                   tx->replies[p] = std::move(reply);
                   if (--tx->outstanding == 0) OnFetched(*router, tx);
                 });
  }
  if (--tx->outstanding == 0) OnFetched(r, tx);
}

void ClusterRouter::Cross::OnFetched(ClusterRouter& r,
                                     const std::shared_ptr<Cross>& tx) {
  bool conflict = false;
  Reply failure;
  for (size_t p = 0; p < tx->nodes.size(); ++p) {
    const Reply& reply = tx->replies[p];
    if (IsRetryable(reply)) {
      conflict = true;
    } else if (reply.is_error()) {
      if (failure.type == Reply::Type::kNull) failure = reply;
    } else if (reply.type != Reply::Type::kArray ||
               reply.elements.size() != tx->node_keys[p].size()) {
      if (failure.type == Reply::Type::kNull) {
        failure = Reply::Error("ERR internal error: bad TWINKV.FETCH reply");
      }
    } else {
      for (size_t j = 0; j < tx->node_keys[p].size(); ++j) {
        const Reply& value = reply.elements[j];
        if (value.type == Reply::Type::kBulk) {
          tx->before[tx->node_keys[p][j]] = value.str;
        }
      }
    }
  }
  if (conflict || failure.type != Reply::Type::kNull) {
    Release(r, tx, std::nullopt, std::move(failure), conflict);
    return;
  }
  std::vector<std::optional<std::string>> after;
  if (!Run(r, *tx, &after) || tx->result.is_error()) {
    Release(r, tx, tx->result, Reply(), false);
    return;
  }
  Stage(r, tx, after);
}

bool ClusterRouter::Cross::Run(ClusterRouter& r, Cross& tx,
                               std::vector<std::optional<std::string>>* after) {
  Db& db = r.engine_.keyspace().db(0);
  const int64_t now = r.engine_.NowMs();
  // Temporaries in a slot of this node, so that they stay where the
  // keyspace expects this node's keys.
  std::string tag;
  for (int i = 0; i < kTagTries; ++i) {
    tag = absl::StrCat("{twinkv.cross.", i, "}");
    if (r.view_.slots.OwnerOfKey(tag) == r.view_.self) break;
  }
  std::vector<std::string> temps(tx.keys.size());
  for (size_t k = 0; k < tx.keys.size(); ++k) {
    temps[k] = absl::StrCat(tag, tx.txid, ":", k);
    while (db.Exists(temps[k], now)) temps[k] += "'";
  }
  ClientState client;
  client.cluster_peer = true;
  client.protocol = tx.protocol;
  bool ok = true;
  for (size_t k = 0; k < tx.keys.size() && ok; ++k) {
    if (tx.before[k].has_value()) {
      ok = Rebuild(r, client, temps[k], *tx.before[k], now, nullptr);
    }
  }
  if (ok) {
    std::vector<absl::string_view> args(tx.args.begin(), tx.args.end());
    for (size_t i = 0; i < tx.positions.size(); ++i) {
      args[tx.positions[i]] = temps[tx.key_at[i]];
    }
    tx.result = RunDirect(r, client, args, now);
  } else {
    tx.result = Reply::Error("ERR internal error: cannot rebuild a key");
  }
  bool changed = false;
  after->assign(tx.keys.size(), std::nullopt);
  for (size_t k = 0; k < tx.keys.size(); ++k) {
    std::string state;
    if (const Value* v = db.Find(temps[k], now)) {
      AppendKeyRewrite(tx.keys[k], *v, db.GetExpire(temps[k], now), &state);
    }
    db.Erase(temps[k], now);
    if (ok && state != tx.before[k].value_or("")) {
      (*after)[k] = std::move(state);
      changed = true;
    }
  }
  return changed;
}

void ClusterRouter::Cross::Stage(
    ClusterRouter& r, const std::shared_ptr<Cross>& tx,
    const std::vector<std::optional<std::string>>& after) {
  tx->replies.assign(tx->nodes.size(), Reply());
  tx->outstanding = static_cast<int>(tx->nodes.size()) + 1;
  const std::string txid = tx->txid;
  ClusterRouter* router = &r;
  for (size_t p = 0; p < tx->nodes.size(); ++p) {
    std::vector<std::string> args{"TWINKV.STAGE", txid, r.self_id_};
    for (size_t k : tx->node_keys[p]) {
      args.push_back(tx->keys[k]);
      args.push_back(after[k].has_value() ? absl::StrCat("+", *after[k])
                                          : std::string("="));
    }
    r.SendToNode(tx->nodes[p], 2, std::move(args), r.options_.request_timeout,
                 nullptr, [router, tx, p, txid](Reply reply) {
                   if (tx->txid != txid) return;
                   tx->replies[p] = std::move(reply);
                   if (--tx->outstanding == 0) OnStaged(*router, tx);
                 });
  }
  if (--tx->outstanding == 0) OnStaged(r, tx);
}

void ClusterRouter::Cross::OnStaged(ClusterRouter& r,
                                    const std::shared_ptr<Cross>& tx) {
  auto it = r.undecided_.find(tx->txid);
  // A staged owner asked STATUS meanwhile and was told ABORT.
  const bool aborted_by_status = it != r.undecided_.end() && it->second;
  if (it != r.undecided_.end()) r.undecided_.erase(it);
  bool conflict = false;
  Reply failure;
  for (const Reply& reply : tx->replies) {
    if (IsRetryable(reply)) {
      conflict = true;
    } else if (reply.is_error() && failure.type == Reply::Type::kNull) {
      failure = reply;
    }
  }
  if (conflict || aborted_by_status || failure.type != Reply::Type::kNull) {
    Release(r, tx, std::nullopt, std::move(failure), false);
    return;
  }
  Decide(r, tx);
}

void ClusterRouter::Cross::Release(ClusterRouter& r,
                                   const std::shared_ptr<Cross>& tx,
                                   std::optional<Reply> answer,
                                   Reply failure, bool conflict) {
  const std::string txid = tx->txid;
  r.undecided_.erase(txid);
  if (!answer.has_value()) ++r.stats_.tx_aborted;
  auto released = std::make_shared<size_t>(0);
  auto pending = std::make_shared<size_t>(tx->nodes.size());
  ClusterRouter* router = &r;
  std::weak_ptr<bool> alive = r.alive_;
  auto after = [router, alive, tx, answer = std::move(answer),
                failure = std::move(failure), conflict, released,
                pending](Reply reply) mutable {
    if (alive.expired()) return;
    ClusterRouter& r = *router;
    if (reply.type == Reply::Type::kInteger && reply.integer == 1) {
      ++*released;
    }
    if (--*pending > 0) return;
    if (answer.has_value() && *released == tx->nodes.size()) {
      // Every lock held from its read to its release: the command saw one
      // moment of every key.
      Finish(r, tx, std::move(*answer));
      return;
    }
    if (failure.type != Reply::Type::kNull) {
      if (IsFailure(failure)) {
        Finish(r, tx, Reply::Error(absl::StrCat(
                          failure.str,
                          " (the cross-node command was rolled back)")));
      } else {
        Finish(r, tx, std::move(failure));
      }
      return;
    }
    const absl::Duration backoff = r.Backoff();
    if (tx->op->client == nullptr) {
      tx->finished = true;  // nobody waits for the answer any more
      return;
    }
    if (r.runtime_.clock().Monotonic() + backoff >= tx->deadline) {
      Finish(r, tx, Reply::Error(kLockedErr));
      return;
    }
    if (conflict) ++r.stats_.tx_conflicts;
    r.runtime_.executor().Schedule(backoff, [router, alive, tx] {
      if (!alive.expired() && !tx->finished) Attempt(*router, tx);
    });
  };
  // Shared by every owner's answer.
  auto shared = std::make_shared<decltype(after)>(std::move(after));
  for (const std::string& node : tx->nodes) {
    r.SendToNode(node, 2, {"TWINKV.ABORT", txid}, r.options_.request_timeout,
                 nullptr,
                 [shared](Reply reply) { (*shared)(std::move(reply)); });
  }
}

void ClusterRouter::Cross::Decide(ClusterRouter& r,
                                  const std::shared_ptr<Cross>& tx) {
  const std::string txid = tx->txid;
  auto decided = std::make_unique<Decided>();
  std::vector<std::string> record{"TWINKV.DECIDE", txid};
  for (const std::string& node : tx->nodes) {
    decided->nodes.push_back(node);
    record.push_back(node);
  }
  decided->acked.assign(tx->nodes.size(), false);
  r.decided_[txid] = std::move(decided);
  ++r.stats_.tx_committed;
  CommandLog* log = r.engine_.command_log();
  if (log == nullptr) {
    r.SendCommits(txid);
    Finish(r, tx, tx->result);
    return;
  }
  std::vector<absl::string_view> views(record.begin(), record.end());
  log->Append(0, views);
  ClusterRouter* router = &r;
  std::weak_ptr<bool> alive = r.alive_;
  log->WhenAcknowledged(log->appended(), [router, alive, tx,
                                          txid](bool ok) {
    if (alive.expired()) return;
    ClusterRouter& r = *router;
    if (ok) {
      r.SendCommits(txid);
      Finish(r, tx, tx->result);
      return;
    }
    // The decision never became durable: roll back instead.
    r.decided_.erase(txid);
    --r.stats_.tx_committed;
    ++r.stats_.tx_aborted;
    for (const std::string& node : tx->nodes) {
      r.SendToNode(node, 2, {"TWINKV.ABORT", txid},
                   r.options_.request_timeout, nullptr, [](Reply) {});
    }
    Finish(r, tx, Reply::Error(absl::StrCat(
                      "CLUSTERDOWN ", r.self_id_,
                      " could not log the cross-node commit (rolled back)")));
  });
}

void ClusterRouter::Cross::Finish(ClusterRouter& r,
                                  const std::shared_ptr<Cross>& tx,
                                  Reply reply) {
  if (tx->finished) return;
  tx->finished = true;
  r.PartDone(tx->op, 0, std::move(reply));
}

// --- Participant. ---

bool ClusterRouter::RunCrossCommand(CommandContext& ctx, ArgList args) {
  const std::string name = absl::AsciiStrToLower(args[0]);
  Db& db = ctx.engine.keyspace().db(0);
  const bool loading = ctx.engine.loading();
  if (name == "twinkv.fetch") {
    // TWINKV.FETCH txid coordinator key [key ...]
    if (args.size() < 4) {
      ctx.reply.Error(WrongArgsError(name));
      return true;
    }
    const std::string txid(args[1]);
    if (prepared_.contains(txid)) {
      ctx.reply.Error("ERR transaction already prepared");
      return true;
    }
    // Each slot's keys must be this node's to lock, as for PREPARE: a key
    // already handed over to a new owner is asked of it (locked here, it
    // would be written on a node that no longer serves it).
    std::vector<int> keys;
    for (size_t i = 3; i < args.size(); ++i) keys.push_back(i);
    const SlotDecision d = DecideKeys(args, keys, ctx.client.asking);
    if (d.kind != SlotDecision::kRun) {
      ReplyDecision(d, ctx.reply);
      return true;
    }
    for (int k : keys) {
      if (locks_.contains(args[k])) {
        ctx.reply.Error(kLockedErr);
        return true;
      }
    }
    auto p = std::make_unique<Prepared>();
    p->write = false;
    p->coordinator = std::string(args[2]);
    ctx.reply.ArrayHeader(args.size() - 3);
    for (size_t i = 3; i < args.size(); ++i) {
      p->keys.emplace_back(args[i]);
      locks_[args[i]] = txid;
      const Value* v = db.Find(args[i], ctx.now_ms);
      if (v == nullptr) {
        ctx.reply.Null();
        continue;
      }
      std::string state;
      AppendKeyRewrite(args[i], *v, db.GetExpire(args[i], ctx.now_ms),
                       &state);
      ctx.reply.Bulk(state);
    }
    p->timer = runtime_.executor().Schedule(
        options_.read_lock_ttl, [this, txid] { OnPreparedTimer(txid); });
    prepared_[txid] = std::move(p);
    return true;
  }
  if (name == "twinkv.stage") {
    // TWINKV.STAGE txid coordinator key state [key state ...]
    if (args.size() < 5 || (args.size() - 3) % 2 != 0) {
      ctx.reply.Error(WrongArgsError(name));
      return true;
    }
    const std::string txid(args[1]);
    for (size_t i = 4; i < args.size(); i += 2) {
      if (args[i].empty() || (args[i][0] != '=' && args[i][0] != '+')) {
        ctx.reply.Error(kSyntaxErr);
        return true;
      }
    }
    auto it = prepared_.find(txid);
    if (!loading) {
      // Only over this transaction's own read locks, still held: else
      // another command may have changed the keys since they were read.
      if (it == prepared_.end() || it->second->write) {
        ctx.reply.Error(kLostErr);
        return true;
      }
      const Prepared& p = *it->second;
      bool same = p.keys.size() == (args.size() - 3) / 2;
      for (size_t i = 3; i < args.size() && same; i += 2) {
        auto lock = locks_.find(args[i]);
        same = lock != locks_.end() && lock->second == txid;
      }
      if (!same) {
        // Its read locks ran out (or were never all taken): read again.
        ctx.reply.Error(kLostErr);
        return true;
      }
      if (p.timer != 0) runtime_.executor().Cancel(p.timer);
    } else if (it == prepared_.end()) {
      it = prepared_.emplace(txid, std::make_unique<Prepared>()).first;
    }
    Prepared& p = *it->second;
    p.write = true;
    p.cross = true;
    p.coordinator = std::string(args[2]);
    p.keys.clear();
    p.values.clear();
    for (size_t i = 3; i < args.size(); i += 2) {
      p.keys.emplace_back(args[i]);
      p.values.emplace_back(args[i + 1]);
      locks_[args[i]] = txid;
    }
    p.timer = runtime_.executor().Schedule(
        options_.tx_status_after, [this, txid] { OnPreparedTimer(txid); });
    ctx.AddDirty();  // logged as received: durable before acknowledged
    ctx.reply.Ok();
    return true;
  }
  return false;
}

void ClusterRouter::CommitStaged(CommandContext& ctx,
                                 const std::string& txid) {
  const Prepared& p = *prepared_.at(txid);
  Db& db = ctx.engine.keyspace().db(0);
  ClientState client;
  client.cluster_peer = true;
  // Applied by the handlers themselves (so that waiting clients hear of
  // new lists and the like), logged as plain commands.
  std::vector<std::vector<std::string>> records;
  for (size_t i = 0; i < p.keys.size(); ++i) {
    const std::string& key = p.keys[i];
    const absl::string_view state = p.values[i];
    if (state.empty() || state[0] != '+') continue;  // unchanged
    ctx.engine.BeforeWrite(0, key);
    db.Erase(key, ctx.now_ms);
    records.push_back({"DEL", key});
    Cross::Rebuild(*this, client, key, state.substr(1), ctx.now_ms,
                   &records);
    ctx.engine.SignalKeyReady(0, key);
  }
  for (const std::vector<std::string>& record : records) {
    std::vector<absl::string_view> views(record.begin(), record.end());
    ctx.Propagate(views);
  }
  ctx.Propagate({"TWINKV.FORGET", txid});
  ctx.AddDirty(std::max<size_t>(1, records.size()));
  Unlock(txid);
  ctx.reply.Integer(1);
}

bool ClusterRouter::ApplyKeyStates(
    CommandContext& ctx, const std::vector<std::string>& keys,
    const std::vector<std::string>& states,
    std::vector<std::vector<std::string>>* records) {
  Db& db = ctx.engine.keyspace().db(0);
  ClientState client;
  client.cluster_peer = true;
  for (size_t i = 0; i < keys.size(); ++i) {
    ctx.engine.BeforeWrite(0, keys[i]);
    db.Erase(keys[i], ctx.now_ms);
    records->push_back({"DEL", keys[i]});
    if (!states[i].empty() &&
        !Cross::Rebuild(*this, client, keys[i], states[i], ctx.now_ms,
                        records)) {
      return false;
    }
    ctx.engine.SignalKeyReady(0, keys[i]);
  }
  return true;
}

void ClusterRouter::AppendStaged(const std::string& txid, std::string* out) {
  const Prepared& p = *prepared_.at(txid);
  std::vector<absl::string_view> args{"TWINKV.STAGE", txid, p.coordinator};
  for (size_t i = 0; i < p.keys.size(); ++i) {
    args.push_back(p.keys[i]);
    args.push_back(p.values[i]);
  }
  AppendRespCommand(args, out);
}

}  // namespace twinkv
