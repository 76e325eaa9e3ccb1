// Membership changes and the hand-over of slots (see router.h,
// "Membership").

#include <algorithm>
#include <optional>
#include <utility>

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

// A hand-over batch record (TWINKV.OUTBOX, TWINKV.IMPORT): args[at] is the
// key count n, followed by n keys and n states. False if malformed.
bool BatchCount(ArgList args, size_t at, size_t* n) {
  return at < args.size() && absl::SimpleAtoi(args[at], n) && *n > 0 &&
         args.size() == at + 1 + 2 * *n;
}

// Keys handed over per batch (one write to the new owner, one record in
// the log).
constexpr size_t kBatchKeys = 64;
// Buckets of the table scanned per step before yielding to clients.
constexpr int kScanBucketsPerStep = 256;
constexpr absl::Duration kMigrateRetry = absl::Milliseconds(200);

constexpr absl::string_view kMigratingTryAgain =
    "TRYAGAIN Multiple keys request during rehashing of slot";

// TWINKV.MEMBERS epoch n old-1..old-n new-1..: the view's change.
std::vector<std::string> MembersRecord(const ClusterView& view) {
  std::vector<std::string> record{"TWINKV.MEMBERS", absl::StrCat(view.epoch()),
                                  absl::StrCat(view.old_members().size())};
  record.insert(record.end(), view.old_members().begin(),
                view.old_members().end());
  record.insert(record.end(), view.new_members().begin(),
                view.new_members().end());
  return record;
}

void AppendArgs(const std::vector<std::string>& args, std::string* out) {
  std::vector<absl::string_view> views(args.begin(), args.end());
  AppendRespCommand(views, out);
}

}  // namespace

ClusterRouter::SlotDecision ClusterRouter::Decide(
    int slot, ArgList args, const std::vector<int>& positions, bool asking) {
  SlotDecision d;
  d.slot = slot;
  const int self = view_.self;
  const int owner = view_.slots.owner(slot);
  if (!view_.moving(slot)) {
    if (owner != self) {
      d.kind = SlotDecision::kMoved;
      d.node = owner;
    }
    return d;
  }
  const int old_owner = view_.old_owner(slot);
  const int new_owner = view_.new_owner(slot);
  if (self == old_owner && owner == self) {
    // Handing this slot over: the keys still here run here; keys already
    // gone are asked of the new owner; keys on their way wait. A locked
    // key is here too, even one a prepared write is about to create: its
    // transaction commits here, and the hand-over waits for it.
    Db& db = engine_.keyspace().db(0);
    const int64_t now = engine_.NowMs();
    size_t present = 0;
    for (int i : positions) {
      if (outbox_keys_.contains(args[i])) {
        d.kind = SlotDecision::kTryAgain;
        return d;
      }
      present += db.Exists(args[i], now) || locks_.contains(args[i]) ? 1 : 0;
    }
    if (present == positions.size()) return d;
    if (present == 0) {
      d.kind = SlotDecision::kAsk;
      d.node = new_owner;
    } else {
      d.kind = SlotDecision::kTryAgain;
    }
    return d;
  }
  if (self == new_owner && asking) return d;
  d.kind = SlotDecision::kMoved;
  d.node = owner;
  return d;
}

std::optional<ClusterRouter::SlotDecision> ClusterRouter::QuickDecision(
    const CommandSpec& spec, ArgList args) const {
  if (view_.migrating() || spec.find_keys != nullptr ||
      spec.first_key != spec.last_key || spec.first_key <= 0 ||
      static_cast<size_t>(spec.first_key) >= args.size()) {
    return std::nullopt;
  }
  SlotDecision d;
  d.slot = KeySlot(args[spec.first_key]);
  if (view_.slots.owner(d.slot) != view_.self) {
    d.kind = SlotDecision::kMoved;
    d.node = view_.slots.owner(d.slot);
  }
  return d;
}

ClusterRouter::SlotDecision ClusterRouter::DecideKeys(
    ArgList args, const std::vector<int>& positions, bool asking) {
  std::vector<int> seen;
  for (int p : positions) {
    const int slot = KeySlot(args[p]);
    if (std::find(seen.begin(), seen.end(), slot) != seen.end()) continue;
    seen.push_back(slot);
    std::vector<int> in_slot;
    for (int i : positions) {
      if (KeySlot(args[i]) == slot) in_slot.push_back(i);
    }
    const SlotDecision d = Decide(slot, args, in_slot, asking);
    if (d.kind != SlotDecision::kRun) return d;
  }
  return SlotDecision();
}

std::string ClusterRouter::DecisionError(const SlotDecision& d) const {
  switch (d.kind) {
    case SlotDecision::kRun:
      return "";
    case SlotDecision::kMoved:
    case SlotDecision::kAsk:
      if (d.node < 0) return "CLUSTERDOWN Hash slot not served";
      return absl::StrCat(d.kind == SlotDecision::kMoved ? "MOVED " : "ASK ",
                          d.slot, " ", view_.hosts[d.node], ":",
                          view_.ports[d.node]);
    case SlotDecision::kTryAgain:
      return std::string(kMigratingTryAgain);
  }
  return "";
}

void ClusterRouter::ReplyDecision(const SlotDecision& d, ReplyWriter& reply) {
  if (d.kind != SlotDecision::kRun) reply.Error(DecisionError(d));
}

void ClusterRouter::ScheduleBlockedCheck(absl::Duration after) {
  if (blocked_timer_ != 0) return;
  blocked_timer_ = runtime_.executor().Schedule(after, [this] {
    blocked_timer_ = 0;
    CheckBlocked();
  });
}

void ClusterRouter::CheckBlocked() {
  if (engine_.blocked_clients() > 0) {
    std::vector<absl::string_view> one(1);
    const std::vector<int> first{0};
    engine_.RedirectBlockedClients(
        [&](const ClientState& client, int /*db*/,
            absl::string_view key) -> Engine::BlockedRedirect {
          one[0] = key;
          // As if asking: a client blocked on the importing side came
          // with ASKING (else it would have been sent away), and stays.
          const SlotDecision d = Decide(KeySlot(key), one, first, true);
          // Keys on their way (TRYAGAIN) may still come: wait for them.
          if (d.kind != SlotDecision::kMoved && d.kind != SlotDecision::kAsk) {
            return {};
          }
          // A proxy node's own clients know nothing of redirects: their
          // command runs again, and is forwarded to the new owner.
          if (engine_.proxy_mode() && !client.cluster_peer && d.node >= 0) {
            return {"", true};
          }
          return {DecisionError(d), false};
        });
  }
  // While slots move, whatever is left here may go any moment.
  if (view_.migrating()) ScheduleBlockedCheck(kBlockedCheckInterval);
}

bool ClusterRouter::RouteRedirect(const CommandSpec& spec, ClientState& client,
                                  ArgList args, bool queueing,
                                  ReplyWriter& reply) {
  // (The engine clears client.asking after every command but ASKING.)
  const bool asking = client.asking;
  if (client.cluster_peer) {
    // A node handing keys over or following an ASK (then it sent ASKING).
    if (spec.first_key == 0 && spec.find_keys == nullptr) return false;
    return PeerRefuses(spec, args, asking, reply);
  }
  const bool is_exec = spec.full_name == "exec";
  if (std::optional<SlotDecision> quick = QuickDecision(spec, args);
      quick && !is_exec) {
    if (quick->kind == SlotDecision::kRun) return false;
    ++stats_.refused;
    engine_.CountRejected(spec);
    ReplyDecision(*quick, reply);
    if (queueing) client.txn->dirty_exec = true;
    return true;
  }
  // The keys: the command's, or for EXEC its whole queue (Redis's
  // getNodeByQuery).
  std::vector<absl::string_view> keys;
  if (is_exec) {
    if (!queueing) return false;
    for (const Transaction::Queued& q : client.txn->queued) {
      std::vector<absl::string_view> views(q.args.begin(), q.args.end());
      for (int i : CommandKeyPositions(*q.spec, views)) {
        keys.push_back(q.args[i]);
      }
    }
  } else {
    if (spec.first_key == 0 && spec.find_keys == nullptr) return false;
    for (int i : CommandKeyPositions(spec, args)) keys.push_back(args[i]);
  }
  if (keys.empty()) return false;
  const int slot = KeySlot(keys[0]);
  bool cross = false;
  for (absl::string_view k : keys) cross |= KeySlot(k) != slot;
  SlotDecision d;
  if (!cross) {
    std::vector<int> positions(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) positions[i] = i;
    d = Decide(slot, keys, positions, asking);
    if (d.kind == SlotDecision::kRun) return false;
  }
  ++stats_.refused;
  engine_.CountRejected(spec);
  if (cross) {
    reply.Error("CROSSSLOT Keys in request don't hash to the same slot");
  } else {
    ReplyDecision(d, reply);
  }
  if (is_exec) {
    engine_.DiscardTransaction(client);
  } else if (queueing) {
    client.txn->dirty_exec = true;
  }
  return true;
}

void ClusterRouter::ChangeMembership(CommandContext& ctx, ArgList args) {
  const std::string sub = absl::AsciiStrToLower(args[1]);
  ClusterView& view = *engine_.mutable_cluster();
  std::vector<std::string> members = view.new_members();
  if (sub == "meet") {
    int port = 0;
    if (!absl::SimpleAtoi(args[3], &port) || port <= 0 || port > 65535) {
      return ctx.reply.Error(
          absl::StrCat("ERR Invalid base port specified: ", args[3]));
    }
    if (args.size() > 5) return ctx.reply.Error(kSyntaxErr);
    const std::string id = absl::StrCat(args[2], ":", port);
    if (std::find(members.begin(), members.end(), id) != members.end()) {
      return ctx.reply.Ok();  // already a member
    }
    members.push_back(id);
  } else {
    // FORGET: a node's 40-hex name or its host:port.
    const absl::string_view which = args[2];
    int node = view.IndexOf(which);
    if (node < 0) {
      for (size_t i = 0; i < view.names.size(); ++i) {
        if (absl::EqualsIgnoreCase(view.names[i], which)) node = i;
      }
    }
    const std::string id = node >= 0 ? view.slots.nodes()[node] : "";
    auto it = std::find(members.begin(), members.end(), id);
    if (it == members.end()) {
      return ctx.reply.Error(absl::StrCat("ERR Unknown node ", which));
    }
    if (node == view.self) {
      return ctx.reply.Error("ERR I tried hard but I can't forget myself...");
    }
    members.erase(it);
  }
  if (view.migrating()) {
    return ctx.reply.Error(
        "ERR a membership change is still moving slots; try again later");
  }
  std::sort(members.begin(), members.end());
  std::vector<std::string> record{"TWINKV.MEMBERS",
                                  absl::StrCat(view.epoch() + 1),
                                  absl::StrCat(view.new_members().size())};
  record.insert(record.end(), view.new_members().begin(),
                view.new_members().end());
  record.insert(record.end(), members.begin(), members.end());
  std::vector<absl::string_view> views(record.begin(), record.end());
  Reply r = RunHere(2, views);
  if (r.is_error()) return ctx.reply.Error(r.str);
  ctx.reply.Ok();
}

bool ClusterRouter::RunMemberCommand(CommandContext& ctx, ArgList args) {
  const std::string name = absl::AsciiStrToLower(args[0]);
  ClusterView& view = *engine_.mutable_cluster();
  const bool loading = engine_.loading();
  if (name == "twinkv.members") {
    // TWINKV.MEMBERS epoch n old-1..old-n new-1...
    uint64_t epoch = 0;
    size_t n = 0;
    if (args.size() < 4 || !absl::SimpleAtoi(args[1], &epoch) ||
        !absl::SimpleAtoi(args[2], &n) || 3 + n > args.size()) {
      ctx.reply.Error(kSyntaxErr);
      return true;
    }
    if (epoch <= view.epoch()) {
      ctx.reply.Ok();  // known already
      return true;
    }
    if (view.migrating() && !loading) {
      // A node starts a change only once the previous one completed, so
      // the next epoch proves every other old member handed over: their
      // TWINKV.MIGRATED may never come (announcers stop once they moved
      // on), and waiting for it would refuse this change forever.
      const std::vector<std::string> pending = view.PendingMigrations();
      const bool self_pending =
          std::find(pending.begin(), pending.end(),
                    view.slots.nodes()[view.self]) != pending.end();
      if (epoch != view.epoch() + 1 || self_pending) {
        ctx.reply.Error(
            "TRYAGAIN the previous membership change is still moving slots");
        return true;
      }
      for (const std::string& id : pending) view.MarkMigrated(id);
    }
    std::vector<std::string> old_members, new_members;
    for (size_t i = 3; i < 3 + n; ++i) old_members.emplace_back(args[i]);
    for (size_t i = 3 + n; i < args.size(); ++i) {
      new_members.emplace_back(args[i]);
    }
    if (new_members.empty()) {
      ctx.reply.Error("ERR a cluster needs a member");
      return true;
    }
    view.Adopt(epoch, old_members, new_members);
    // Batches of the change before may still arrive late; older ones not.
    imported_before_ = std::move(imported_);
    imported_.clear();
    migrate_cursor_ = 0;
    migrate_skipped_ = false;
    ctx.AddDirty();  // logged as received
    if (!loading && started_) {
      std::vector<std::string> targets = view.slots.nodes();
      std::vector<std::string> announce;
      for (absl::string_view a : args) announce.emplace_back(a);
      Announce(std::move(announce), std::move(targets));
      // After this command: the log must hold the change before the
      // hand-over's records (a replay could not place them otherwise).
      if (migrate_timer_ == 0) {
        migrate_timer_ = runtime_.executor().Schedule(
            absl::ZeroDuration(), [this] { MigrateStep(); });
      }
    }
    ctx.reply.Ok();
    return true;
  }
  if (name == "twinkv.migrated") {
    // TWINKV.MIGRATED epoch node: the node handed over all it loses.
    uint64_t epoch = 0;
    if (args.size() != 3 || !absl::SimpleAtoi(args[1], &epoch)) {
      ctx.reply.Error(kSyntaxErr);
      return true;
    }
    if (epoch > view.epoch()) {
      ctx.reply.Error("TRYAGAIN unknown membership epoch");
      return true;
    }
    if (epoch == view.epoch() && view.migrating() &&
        !view.migrated(args[2])) {
      view.MarkMigrated(args[2]);
      ctx.AddDirty();
    }
    ctx.reply.Ok();
    return true;
  }
  if (name == "twinkv.outbox") {
    // Only in the log: TWINKV.OUTBOX id target n key-1..key-n state-1..
    // state-n: the keys left the keyspace as a batch for `target` (a
    // state is AppendKeyRewrite's commands for the key).
    size_t n = 0;
    if (args.size() < 4 || !BatchCount(args, 3, &n)) {
      ctx.reply.Error(kSyntaxErr);
      return true;
    }
    Batch& b = outbox_[std::string(args[1])];
    b.target = std::string(args[2]);
    Db& db = engine_.keyspace().db(0);
    for (size_t i = 0; i < n; ++i) {
      const absl::string_view key = args[4 + i];
      b.keys.emplace_back(key);
      b.states.emplace_back(args[4 + n + i]);
      outbox_keys_.insert(std::string(key));
      // Out of the keyspace in the same record that keeps them: a torn
      // log keeps both or neither.
      engine_.BeforeWrite(0, key);
      db.Erase(key, ctx.now_ms);
    }
    ctx.reply.Ok();
    return true;
  }
  if (name == "twinkv.outdone") {
    if (args.size() != 2) {
      ctx.reply.Error(kSyntaxErr);
      return true;
    }
    auto it = outbox_.find(std::string(args[1]));
    if (it != outbox_.end()) {
      for (const std::string& k : it->second.keys) outbox_keys_.erase(k);
      outbox_.erase(it);
    }
    ctx.reply.Ok();
    return true;
  }
  if (name == "twinkv.import") {
    // TWINKV.IMPORT id n key-1..key-n state-1..state-n: a batch handed
    // over to this node. Applied once: a copy delayed in the network (or
    // sent again after a lost answer) that comes later is ignored, or it
    // would undo what clients wrote since.
    size_t n = 0;
    if (!BatchCount(args, 2, &n)) {
      ctx.reply.Error(kSyntaxErr);
      return true;
    }
    const std::string id(args[1]);
    if (imported_.contains(id) || imported_before_.contains(id)) {
      ctx.reply.Ok();
      return true;
    }
    if (!loading) {
      for (size_t i = 0; i < n; ++i) {
        const int slot = KeySlot(args[3 + i]);
        if (view.new_owner(slot) != view.self &&
            view.slots.owner(slot) != view.self) {
          SlotDecision d;
          d.kind = SlotDecision::kMoved;
          d.slot = slot;
          d.node = view.slots.owner(slot);
          ReplyDecision(d, ctx.reply);
          return true;
        }
      }
    }
    std::vector<std::string> keys, states;
    for (size_t i = 0; i < n; ++i) {
      keys.emplace_back(args[3 + i]);
      states.emplace_back(args[3 + n + i]);
    }
    std::vector<std::vector<std::string>> records;
    if (!ApplyKeyStates(ctx, keys, states, &records)) {
      ctx.reply.Error("ERR TWINKV.IMPORT: a key's state does not parse");
      return true;
    }
    for (const std::vector<std::string>& record : records) {
      std::vector<absl::string_view> views(record.begin(), record.end());
      ctx.Propagate(views);
    }
    ctx.Propagate({"TWINKV.IMPORTED", id});
    ctx.AddDirty(std::max<size_t>(1, records.size()));
    imported_.insert(id);
    ctx.reply.Ok();
    return true;
  }
  if (name == "twinkv.imported") {
    // In the log: the batch `id` was applied here (see TWINKV.IMPORT).
    if (args.size() != 2) {
      ctx.reply.Error(kSyntaxErr);
      return true;
    }
    imported_.insert(std::string(args[1]));
    ctx.reply.Ok();
    return true;
  }
  return false;
}

void ClusterRouter::Announce(std::vector<std::string> args,
                             std::vector<std::string> targets) {
  std::weak_ptr<bool> alive = alive_;
  for (const std::string& target : targets) {
    const int node = view_.IndexOf(target);
    if (node < 0) continue;
    SendTo(node, 2, args, options_.request_timeout,
           [this, alive, args, target](Reply r) {
             if (alive.expired()) return;
             if (r.type == Reply::Type::kStatus && r.str == "OK") return;
             // Not yet (unreachable, or still busy with an older change):
             // again later, while the change it announces is current.
             runtime_.executor().Schedule(
                 options_.tx_retry_interval, [this, alive, args, target] {
                   if (alive.expired()) return;
                   // Also once this node moved on to a later change: a
                   // node that missed this one may still wait for it.
                   if (view_.IndexOf(target) < 0) return;
                   Announce(args, {target});
                 });
           });
  }
}

void ClusterRouter::Start() {
  started_ = true;
  const ClusterView& view = view_;
  const std::string& self_id = view.slots.nodes()[view.self];
  if (!view.migrating()) {
    // The change may be over here but not everywhere: a node that missed
    // this one's notice before it restarted would wait for it forever.
    // (Harmless where this node lost nothing, or was heard already.)
    if (view.epoch() > 0) {
      Announce({"TWINKV.MIGRATED", absl::StrCat(view.epoch()), self_id},
               view.slots.nodes());
    }
    return;
  }
  // Resume an interrupted change: tell everyone again (they ignore what
  // they know), and hand over what is left.
  Announce(MembersRecord(view), view.slots.nodes());
  for (const std::string& id : view.old_members()) {
    if (view.migrated(id)) {
      Announce({"TWINKV.MIGRATED", absl::StrCat(view.epoch()), id},
               view.slots.nodes());
    }
  }
  MigrateStep();
}

void ClusterRouter::MigrateStep() {
  migrate_timer_ = 0;
  ClusterView& view = *engine_.mutable_cluster();
  const std::string& self_id = view.slots.nodes()[view.self];
  if (!view.migrating() || view.migrated(self_id)) return;
  // Batches taken out and not confirmed go (again) first.
  bool waiting = false;
  for (auto& [id, batch] : outbox_) {
    waiting = true;
    if (!batch.in_flight) SendBatch(id);
  }
  if (waiting) return;  // SendBatch's answer steps on
  Db& db = engine_.keyspace().db(0);
  const int64_t now = engine_.NowMs();
  // Collect up to kBatchKeys keys this node loses, per new owner.
  std::map<int, std::vector<std::string>> found;
  size_t count = 0;
  int buckets = 0;
  do {
    migrate_cursor_ = db.ScanRaw(
        migrate_cursor_,
        [&](absl::string_view key, const Value&, int64_t) {
          const int slot = KeySlot(key);
          if (!view.moving(slot) || view.old_owner(slot) != view.self) return;
          if (locks_.contains(key)) {
            migrate_skipped_ = true;  // a transaction holds it: next pass
            return;
          }
          found[view.new_owner(slot)].emplace_back(key);
          ++count;
        });
  } while (migrate_cursor_ != 0 && count < kBatchKeys &&
           ++buckets < kScanBucketsPerStep);
  for (auto& [node, keys] : found) {
    // Unique across restarts and changes: the new owner applies each once.
    const std::string id =
        absl::StrCat(view.slots.nodes()[view.self], "/", view.epoch(), "/",
                     absl::Hex(incarnation_), "-", next_batch_++);
    Batch& batch = outbox_[id];
    batch.target = view.slots.nodes()[node];
    for (const std::string& key : keys) {
      const Value* value = db.Find(key, now);
      if (value == nullptr) continue;  // expired meanwhile
      std::string state;
      AppendKeyRewrite(key, *value, db.GetExpire(key, now), &state);
      batch.keys.push_back(key);
      batch.states.push_back(std::move(state));
    }
    // Out of the keyspace, into the log as a batch on its way: a restart
    // sends it again rather than serve or lose it.
    for (const std::string& key : batch.keys) {
      engine_.BeforeWrite(0, key);
      db.Erase(key, now);
      outbox_keys_.insert(key);
    }
    if (CommandLog* log = engine_.command_log()) {
      // One record: replayed, it takes the keys out and keeps the batch.
      std::vector<std::string> record = OutboxRecord(id, batch);
      std::vector<absl::string_view> views(record.begin(), record.end());
      log->Append(0, views);
    }
    engine_.AddDirty(batch.keys.size());
    SendBatch(id);
  }
  if (!found.empty()) return;
  if (migrate_cursor_ != 0) {
    migrate_timer_ = runtime_.executor().Schedule(absl::ZeroDuration(),
                                                  [this] { MigrateStep(); });
    return;
  }
  // A prepared write may still create or change a key of a slot this
  // node loses (its key may not exist yet, so the scan cannot see it):
  // hand over only once it is settled.
  for (const auto& [txid, p] : prepared_) {
    if (!p->write) continue;
    for (const std::string& key : p->keys) {
      const int slot = KeySlot(key);
      if (view.moving(slot) && view.old_owner(slot) == view.self) {
        migrate_skipped_ = true;
      }
    }
  }
  if (migrate_skipped_) {
    // A pass skipped locked keys: go round again once they may be free.
    migrate_skipped_ = false;
    migrate_cursor_ = 0;
    migrate_timer_ = runtime_.executor().Schedule(kMigrateRetry,
                                                  [this] { MigrateStep(); });
    return;
  }
  // Nothing of the lost slots is left here.
  const std::string id = self_id;
  const std::string epoch = absl::StrCat(view.epoch());
  if (CommandLog* log = engine_.command_log()) {
    const absl::string_view record[] = {"TWINKV.MIGRATED", epoch, id};
    log->Append(0, record);
  }
  view.MarkMigrated(id);
  Announce({"TWINKV.MIGRATED", epoch, id}, view.slots.nodes());
}

void ClusterRouter::SendBatch(const std::string& id) {
  auto it = outbox_.find(id);
  if (it == outbox_.end()) return;
  Batch& batch = it->second;
  batch.in_flight = true;
  std::vector<std::string> import{"TWINKV.IMPORT", id,
                                  absl::StrCat(batch.keys.size())};
  import.insert(import.end(), batch.keys.begin(), batch.keys.end());
  import.insert(import.end(), batch.states.begin(), batch.states.end());
  std::weak_ptr<bool> alive = alive_;
  // One command: applied whole, logged by the new owner before it
  // answers, and only once (a late copy is ignored there).
  SendToId(batch.target, std::move(import), [this, alive, id](Reply r) {
    if (alive.expired()) return;
    auto it = outbox_.find(id);
    if (it == outbox_.end()) return;
    it->second.in_flight = false;
    if (r.is_error()) {
      if (migrate_timer_ == 0) {
        migrate_timer_ = runtime_.executor().Schedule(
            kMigrateRetry, [this] { MigrateStep(); });
      }
      return;
    }
    for (const std::string& k : it->second.keys) outbox_keys_.erase(k);
    outbox_.erase(it);
    if (CommandLog* log = engine_.command_log()) {
      const absl::string_view record[] = {"TWINKV.OUTDONE", id};
      log->Append(0, record);
    }
    if (migrate_timer_ == 0) {
      migrate_timer_ = runtime_.executor().Schedule(absl::ZeroDuration(),
                                                    [this] { MigrateStep(); });
    }
  });
}

std::vector<std::string> ClusterRouter::OutboxRecord(const std::string& id,
                                                     const Batch& batch) {
  std::vector<std::string> record{"TWINKV.OUTBOX", id, batch.target,
                                  absl::StrCat(batch.keys.size())};
  record.insert(record.end(), batch.keys.begin(), batch.keys.end());
  record.insert(record.end(), batch.states.begin(), batch.states.end());
  return record;
}

void ClusterRouter::AppendMemberState(std::string* out) {
  const ClusterView& view = view_;
  if (view.epoch() == 0) return;
  AppendArgs(MembersRecord(view), out);
  for (const std::string& id : view.old_members()) {
    if (view.migrated(id)) {
      AppendArgs({"TWINKV.MIGRATED", absl::StrCat(view.epoch()), id}, out);
    }
  }
  for (const auto& [id, batch] : outbox_) {
    AppendArgs(OutboxRecord(id, batch), out);
  }
  for (const auto* ids : {&imported_before_, &imported_}) {
    std::vector<std::string> sorted(ids->begin(), ids->end());
    std::sort(sorted.begin(), sorted.end());
    for (const std::string& id : sorted) {
      AppendArgs({"TWINKV.IMPORTED", id}, out);
    }
  }
}

}  // namespace twinkv
