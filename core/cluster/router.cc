#include "core/cluster/router.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/cluster/router_internal.h"
#include "core/cluster/slots.h"
#include "core/command.h"
#include "core/errors.h"
#include "core/numbers.h"

namespace twinkv {

namespace {

constexpr char kCrossNodeErr[] =
    "CROSSSLOT Keys in request don't hash to the same slot";
constexpr absl::string_view kLockedErr =
    "TRYAGAIN Key locked by a cross-node transaction";

std::vector<std::string> Owned(ArgList args) {
  return std::vector<std::string>(args.begin(), args.end());
}

// How long a blocking command may block (its timeout argument, seconds),
// or a negative value if it cannot be read (the owner will say why).
double BlockSeconds(const CommandSpec& spec, ArgList args) {
  const absl::string_view name = spec.full_name;
  absl::string_view arg;
  if (name == "blmpop" || name == "bzmpop") {
    arg = args[1];
  } else {
    arg = args.back();
  }
  double seconds = 0;
  if (!absl::SimpleAtod(arg, &seconds) || seconds < 0) return -1;
  return seconds;
}

}  // namespace


ClusterRouter::ClusterRouter(Runtime& runtime, Engine& engine,
                             RouterOptions options)
    : runtime_(runtime),
      engine_(engine),
      view_(*engine.cluster()),
      options_(options) {
  const std::pair<const char*, Kind> kinds[] = {
      {"mget", Kind::kMget},         {"del", Kind::kSumKeys},
      {"unlink", Kind::kSumKeys},    {"exists", Kind::kSumKeys},
      {"touch", Kind::kSumKeys},     {"mset", Kind::kMset},
      {"msetnx", Kind::kMset},       {"dbsize", Kind::kDbSize},
      {"keys", Kind::kKeys},         {"flushdb", Kind::kFlush},
      {"flushall", Kind::kFlush},    {"randomkey", Kind::kRandomKey},
      {"scan", Kind::kScan},         {"publish", Kind::kPublish},
  };
  // By the table's own rows: one pointer hash per command, not a string.
  for (const auto& [name, kind] : kinds) {
    if (const CommandSpec* spec = engine_.commands().Find(name)) {
      kinds_[spec] = kind;
    }
  }
  local_client_.cluster_peer = true;
  local_client_.id = 0;
  self_id_ = view_.slots.nodes()[view_.self];
  // Transaction ids must not repeat across restarts: a STATUS query about
  // an earlier life's transaction must not find a new one.
  incarnation_ = runtime_.random().Next64();
  engine_.set_router(this);
}

ClusterRouter::~ClusterRouter() {
  engine_.set_router(nullptr);
  for (auto& [client, op] : ops_) {
    op->client = nullptr;
    client->blocked = false;
  }
  for (auto& [client, open] : slotted_) {
    for (Op* op : open) op->client = nullptr;
  }
  for (auto& [client, parked] : parked_) {
    runtime_.executor().Cancel(parked->timer);
    client->blocked = false;
  }
  for (auto& [txid, p] : prepared_) {
    if (p->timer != 0) runtime_.executor().Cancel(p->timer);
  }
  if (redrive_timer_ != 0) runtime_.executor().Cancel(redrive_timer_);
  if (migrate_timer_ != 0) runtime_.executor().Cancel(migrate_timer_);
  if (blocked_timer_ != 0) runtime_.executor().Cancel(blocked_timer_);
}

std::string ClusterRouter::DebugState() const {
  size_t pooled = 0;
  for (const auto& pools : pools_) pooled += pools.size();
  for (const auto& clients : shared_) pooled += clients.size();
  std::string out = absl::StrCat("prepared=", prepared_.size(), " locks=", locks_.size(),
                      " undecided=", undecided_.size(),
                      " decided=", decided_.size(), " ops=", ops_.size(),
                      " parked=", parked_.size(), " outbox=", outbox_.size(),
                      " pools=", pooled, " slotted=", slotted_.size());
  for (const auto& [client, op] : ops_) {
    absl::StrAppend(&out, " op(", op->command, " outstanding=",
                    op->outstanding, op->dedicated ? " dedicated" : "", ")");
  }
  for (const auto& [client, open] : slotted_) {
    for (const Op* op : open) {
      absl::StrAppend(&out, " slot(c", client->id, " ", op->command,
                      " outstanding=", op->outstanding, ")");
    }
  }
  return out;
}

void ClusterRouter::Close(absl::AnyInvocable<void() &&> done) {
  auto remaining = std::make_shared<int>(1);
  auto shared_done =
      std::make_shared<absl::AnyInvocable<void() &&>>(std::move(done));
  auto one_done = [remaining, shared_done] {
    if (--*remaining == 0) std::move (*shared_done)();
  };
  for (auto& pools : pools_) {
    for (auto& [id, pool] : pools) {
      ++*remaining;
      pool->Close(one_done);
    }
  }
  for (auto& clients : shared_) {
    for (auto& [id, client] : clients) {
      ++*remaining;
      client->Close(one_done);
    }
  }
  one_done();
}

ClusterRouter::Kind ClusterRouter::KindOf(const CommandSpec& spec) const {
  auto it = kinds_.find(&spec);
  return it == kinds_.end() ? Kind::kDefault : it->second;
}

bool ClusterRouter::PeerRefuses(const CommandSpec& spec, ArgList args,
                                bool asking, ReplyWriter& reply) {
  if (std::optional<SlotDecision> quick = QuickDecision(spec, args)) {
    if (quick->kind == SlotDecision::kRun) return false;
    ReplyDecision(*quick, reply);
    return true;
  }
  // Keys may span slots (a split command's part, a hand-over's DEL): each
  // slot's keys must be runnable here.
  const SlotDecision d =
      DecideKeys(args, CommandKeyPositions(spec, args), asking);
  if (d.kind == SlotDecision::kRun) return false;
  ReplyDecision(d, reply);
  return true;
}

bool ClusterRouter::Route(const CommandSpec& spec, ClientState& client,
                          ArgList args, bool queueing, ReplyWriter& reply) {
  if (!engine_.proxy_mode()) {
    return RouteRedirect(spec, client, args, queueing, reply);
  }
  const bool taken = RouteProxy(spec, client, args, queueing, reply);
  if (taken && client.blocked && !queueing) ReleaseClient(spec, client, args);
  return taken;
}

bool ClusterRouter::Pipelinable(const CommandSpec& spec,
                                const ClientState& client) {
  return !client.cluster_peer && client.sink != nullptr &&
         (spec.flags & kCmdBlocking) == 0 &&
         (spec.first_key != 0 || spec.find_keys != nullptr) &&
         (client.txn == nullptr || !client.txn->in_multi);
}

void ClusterRouter::KeySlotsOf(const CommandSpec& spec, ArgList args,
                               std::vector<int>* slots) {
  slots->clear();
  if (spec.find_keys == nullptr && spec.first_key == spec.last_key &&
      spec.first_key > 0) {
    if (static_cast<size_t>(spec.first_key) < args.size()) {
      slots->push_back(KeySlot(args[spec.first_key]));
    }
    return;
  }
  for (int i : CommandKeyPositions(spec, args)) {
    const int slot = KeySlot(args[i]);
    if (std::find(slots->begin(), slots->end(), slot) == slots->end()) {
      slots->push_back(slot);
    }
  }
}

void ClusterRouter::ReleaseClient(const CommandSpec& spec, ClientState& client,
                                  ArgList args) {
  auto it = ops_.find(&client);
  if (it == ops_.end() || !Pipelinable(spec, client)) return;
  Op* op = it->second;
  if (op->outstanding == 0 || op->in_route) return;
  const uint64_t slot = client.sink->ReserveReply();
  if (slot == 0) return;
  ops_.erase(it);
  op->slot = slot;
  KeySlotsOf(spec, args, &op->key_slots);
  slotted_[&client].push_back(op);
  client.blocked = false;
}

bool ClusterRouter::MayRunAhead(const CommandSpec& spec,
                                const ClientState& client, ArgList args) {
  if (!engine_.proxy_mode() || !Pipelinable(spec, client)) return false;
  auto it = slotted_.find(&client);
  if (it == slotted_.end()) return true;
  // Commands on the same slot keep their order: the later one waits until
  // the earlier one answered (forwards may take different connections,
  // and retries reorder them).
  KeySlotsOf(spec, args, &scratch_slots_);
  for (const Op* op : it->second) {
    for (int slot : scratch_slots_) {
      if (std::find(op->key_slots.begin(), op->key_slots.end(), slot) !=
          op->key_slots.end()) {
        return false;
      }
    }
  }
  return true;
}

bool ClusterRouter::RouteProxy(const CommandSpec& spec, ClientState& client,
                               ArgList args, bool queueing,
                               ReplyWriter& reply) {
  const int self = view_.self;
  const bool keyed = spec.first_key != 0 || spec.find_keys != nullptr;
  routing_ = spec.full_name;
  if (client.cluster_peer) {
    // Another node sent this: run it here if the keys are ours and free.
    if (!keyed) return false;
    if (PeerRefuses(spec, args, client.asking, reply)) return true;
    if (AnyLocked(spec, args)) {
      reply.Error(kLockedErr);
      return true;
    }
    return false;
  }
  // Internal clients (tests) cannot wait for a routed reply.
  if (client.sink == nullptr) {
    if (keyed && AnyLocked(spec, args)) {
      reply.Error(kLockedErr);
      return true;
    }
    return false;
  }

  const Kind kind = KindOf(spec);
  if (queueing && spec.full_name == "exec" &&
      !client.txn->proxy_node.empty() &&
      client.txn->proxy_node != view_.slots.nodes()[self] &&
      !client.txn->dirty_exec) {
    ForwardTransaction(client);
    return true;
  }
  if (!keyed) {
    if (kind == Kind::kDefault) return false;
    if (queueing) {
      // EXEC would run it on this node only.
      client.txn->dirty_exec = true;
      ++stats_.refused;
      engine_.CountRejected(spec);
      reply.Error(absl::StrCat("ERR ", spec.full_name,
                               " inside MULTI would reach only this node: "
                               "not supported in proxy mode"));
      return true;
    }
    if (kind == Kind::kScan) {
      Scan(client, args, reply);
      return true;
    }
    Broadcast(kind, client, args);
    return FinishIfDone(client, reply);
  }

  // Keyed: who owns the keys?
  std::vector<int> positions;
  int single_owner = -1;
  bool several = false;
  bool unowned = false;  // a key of a slot nobody serves (no members)
  if (spec.find_keys == nullptr && spec.first_key == spec.last_key &&
      spec.first_key > 0) {
    if (static_cast<size_t>(spec.first_key) >= args.size()) return false;
    single_owner = view_.slots.OwnerOfKey(args[spec.first_key]);
    unowned = single_owner < 0;
  } else {
    positions = CommandKeyPositions(spec, args);
    for (int i : positions) {
      const int owner = view_.slots.OwnerOfKey(args[i]);
      unowned |= owner < 0;
      if (single_owner == -1) {
        single_owner = owner;
      } else if (owner != single_owner) {
        several = true;
      }
    }
  }
  if (unowned) {
    // This node is no member and knows none (cluster-join): no slot is
    // served, as on a fresh Redis Cluster node.
    if (queueing) client.txn->dirty_exec = true;
    ++stats_.refused;
    engine_.CountRejected(spec);
    reply.Error("CLUSTERDOWN Hash slot not served");
    return true;
  }
  if (!several && single_owner == self && view_.migrating()) {
    // Handing slots over: keys gone already are served by the new owner
    // (asked), keys on their way wait. A command whose keys of some slot
    // are gone and of another here cannot run anywhere whole: it waits
    // (Redis answers TRYAGAIN) until the hand-over is done.
    if (positions.empty()) positions = CommandKeyPositions(spec, args);
    std::vector<int> slots;
    for (int i : positions) {
      const int slot = KeySlot(args[i]);
      if (std::find(slots.begin(), slots.end(), slot) == slots.end()) {
        slots.push_back(slot);
      }
    }
    bool wait = false;
    bool ask_all = true;
    int ask_node = -1;
    for (int slot : slots) {
      std::vector<int> in_slot;
      for (int i : positions) {
        if (KeySlot(args[i]) == slot) in_slot.push_back(i);
      }
      const SlotDecision d = Decide(slot, args, in_slot, false);
      if (d.kind == SlotDecision::kTryAgain) wait = true;
      if (d.kind == SlotDecision::kAsk &&
          (ask_node == -1 || ask_node == d.node)) {
        ask_node = d.node;
      } else {
        ask_all = false;
      }
    }
    if (ask_all && ask_node >= 0 && !queueing && spec.full_name != "watch") {
      Forward(spec, client, args, ask_node, /*asking=*/true);
      return true;
    }
    if ((wait || ask_node >= 0) && !queueing) {
      Park(client, args);
      return true;
    }
  }
  if (queueing && !several && single_owner >= 0) {
    // A transaction runs on one node: the owner of all its keys.
    std::string& node = client.txn->proxy_node;
    const std::string& owner = view_.slots.nodes()[single_owner];
    if (node.empty()) node = owner;
    if (node != owner) {
      client.txn->dirty_exec = true;
      ++stats_.refused;
      engine_.CountRejected(spec);
      reply.Error(
          "CROSSSLOT Keys in request don't hash to the same slot (a "
          "transaction runs on one node)");
      return true;
    }
    if (single_owner != self) return false;  // queued; EXEC forwards it
  }
  if (single_owner == -1 || (!several && single_owner == self)) {
    if (AnyLocked(spec, args)) {
      // Behind a cross-node transaction: wait for it (MULTI queueing runs
      // nothing, so it need not wait).
      if (!queueing) {
        Park(client, args);
        return true;
      }
    }
    ++stats_.local;
    return false;
  }
  if (queueing || spec.full_name == "watch") {
    if (queueing) client.txn->dirty_exec = true;
    ++stats_.refused;
    engine_.CountRejected(spec);
    reply.Error(queueing ? "CROSSSLOT Keys in request don't hash to the same "
                           "slot (a transaction runs on one node)"
                         : "ERR proxy mode runs WATCH on the keys of the node "
                           "the client is connected to only");
    return true;
  }
  if (!several) {
    Forward(spec, client, args, single_owner);
    return true;
  }
  std::vector<int> owners;
  owners.reserve(positions.size());
  for (int i : positions) owners.push_back(view_.slots.OwnerOfKey(args[i]));
  switch (kind) {
    case Kind::kMget:
      StartTx(kTxMget, client, args, owners);  // atomic across nodes
      break;
    case Kind::kSumKeys:
      SplitSum(client, args, owners);
      break;
    case Kind::kMset:
      StartTx(spec.full_name == "msetnx" ? kTxMsetNx : kTxMset, client, args, owners);
      break;
    default:
      // RENAME, SMOVE, LMOVE, *STORE & co. across nodes (router_cross.cc).
      if (CrossNode(spec, client, args, positions, owners)) break;
      ++stats_.refused;
      engine_.CountRejected(spec);
      reply.Error(kCrossNodeErr);
      return true;
  }
  return FinishIfDone(client, reply);
}

void ClusterRouter::ClientGone(ClientState& client) {
  if (auto parked = parked_.find(&client); parked != parked_.end()) {
    runtime_.executor().Cancel(parked->second->timer);
    parked_.erase(parked);
    client.blocked = false;
  }
  if (auto open = slotted_.find(&client); open != slotted_.end()) {
    for (Op* op : open->second) op->client = nullptr;
    slotted_.erase(open);
  }
  auto it = ops_.find(&client);
  if (it == ops_.end()) return;
  Op* op = it->second;
  op->client = nullptr;
  ops_.erase(it);
  client.blocked = false;
  if (op->dedicated != nullptr) {
    Client* dedicated = op->dedicated;
    op->dedicated = nullptr;
    dedicated->Close([] {});
  }
}

std::shared_ptr<ClusterRouter::Op> ClusterRouter::StartOp(
    ClientState& client, size_t parts,
    absl::AnyInvocable<Reply(std::vector<Reply>&)> combine) {
  auto op = std::make_shared<Op>();
  op->client = &client;
  op->protocol = client.protocol;
  op->outstanding = static_cast<int>(parts);
  op->command = routing_;
  op->parts.resize(parts);
  op->combine = std::move(combine);
  ops_[&client] = op.get();
  client.blocked = true;
  pending_route_ = op;
  return op;
}

void ClusterRouter::PartDone(const std::shared_ptr<Op>& op, size_t index,
                             Reply reply) {
  op->parts[index] = std::move(reply);
  if (--op->outstanding > 0 || op->in_route) return;
  FinishOp(*op);
}

void ClusterRouter::FinishOp(Op& op) {
  ClientState* client = op.client;
  if (client == nullptr) return;  // gone: nothing to answer
  op.client = nullptr;
  if (op.slot != 0) {
    auto it = slotted_.find(client);
    if (it != slotted_.end()) {
      std::vector<Op*>& open = it->second;
      open.erase(std::find(open.begin(), open.end(), &op));
      if (open.empty()) slotted_.erase(it);
    }
  } else {
    ops_.erase(client);
    client->blocked = false;
  }
  Reply reply = op.combine(op.parts);
  if (reply.is_error() && IsFailure(reply)) ++stats_.failed;
  if (op.slot != 0) {
    // Its reply has a place in the client's output; the client ran on.
    client->sink->FillReply(op.slot,
                            [&](ReplyWriter& w) { WriteReply(reply, w); });
    return;
  }
  WriteReply(reply, client->sink->blocked_reply_writer());
  client->sink->OnUnblocked();
}

bool ClusterRouter::FinishIfDone(ClientState& client, ReplyWriter& reply) {
  std::shared_ptr<Op> op = std::move(pending_route_);
  pending_route_.reset();
  if (op == nullptr) return true;
  op->in_route = false;
  if (op->outstanding > 0) return true;  // answered later
  // Every part ran here: answer now, as a local command would.
  ops_.erase(&client);
  op->client = nullptr;
  client.blocked = false;
  WriteReply(op->combine(op->parts), reply);
  return true;
}

Reply ClusterRouter::PeerReply(const std::string& node, ReplyOrError r) {
  if (r.ok()) return std::move(*r);
  if (NeverSent(r.status())) {
    return Reply::Error(absl::StrCat("CLUSTERDOWN ", node, " is unreachable: ",
                                     r.status().message()));
  }
  return Reply::Error(absl::StrCat("UNKNOWN ", node, " did not answer: ",
                                   r.status().message()));
}

bool ClusterRouter::IsFailure(const Reply& reply) {
  return absl::StartsWith(reply.str, "CLUSTERDOWN ") ||
         absl::StartsWith(reply.str, "UNKNOWN ");
}

Pool& ClusterRouter::PoolFor(int node, int protocol) {
  return PoolFor(view_.slots.nodes()[node], protocol);
}

ClientOptions ClusterRouter::PeerClientOptions(const std::string& id,
                                              int protocol) const {
  std::string host = id;
  int port = 0;
  if (!ParseHostPort(id, &host, &port)) host = id;
  ClientOptions options;
  options.address = Address{host, static_cast<uint16_t>(port)};
  options.connect_timeout = options_.connect_timeout;
  options.request_timeout = options_.request_timeout;
  if (!engine_.config().requirepass.empty()) {
    options.handshake.push_back({"AUTH", engine_.config().requirepass});
  }
  if (protocol == 3) options.handshake.push_back({"HELLO", "3"});
  options.handshake.push_back({"TWINKV.PEER"});
  return options;
}

Pool& ClusterRouter::PoolFor(const std::string& id, int protocol) {
  std::unique_ptr<Pool>& pool = pools_[protocol == 3 ? 1 : 0][id];
  if (pool == nullptr) {
    PoolOptions options;
    options.client = PeerClientOptions(id, protocol);
    options.max_connections = options_.max_connections;
    options.max_idle = options_.max_connections;
    options.borrow_timeout = options_.request_timeout;
    pool = std::make_unique<Pool>(runtime_, std::move(options));
  }
  return *pool;
}

Client& ClusterRouter::SharedFor(const std::string& id, int protocol) {
  std::unique_ptr<Client>& client = shared_[protocol == 3 ? 1 : 0][id];
  if (client == nullptr) {
    client = std::make_unique<Client>(runtime_, PeerClientOptions(id, protocol));
  }
  return *client;
}

Reply ClusterRouter::RunHere(int protocol, ArgList args) {
  local_out_.clear();
  local_client_.protocol = protocol;
  ReplyWriter writer(&local_out_, protocol);
  engine_.Execute(local_client_, args, writer);
  ReplyDecoder decoder;
  Reply reply;
  if (decoder.Decode(local_out_, &reply) != ReplyDecoder::kReply) {
    return Reply::Error("ERR internal error: bad local reply");
  }
  return reply;
}

void ClusterRouter::SendTo(int node, int protocol,
                           std::vector<std::string> args,
                           absl::Duration timeout,
                           absl::AnyInvocable<void(Reply)> done) {
  SendToNode(view_.slots.nodes()[node], protocol, std::move(args), timeout,
             nullptr, std::move(done));
}

void ClusterRouter::SendToNode(const std::string& id, int protocol,
                               std::vector<std::string> args,
                               absl::Duration timeout,
                               std::shared_ptr<Op> dedicated_op,
                               absl::AnyInvocable<void(Reply)> done,
                               bool asking) {
  const bool dedicated = dedicated_op != nullptr;
  if (id == self_id_) {
    std::vector<absl::string_view> views(args.begin(), args.end());
    local_client_.asking = asking;
    done(RunHere(protocol, views));
    local_client_.asking = false;
    return;
  }
  const std::string name = id;
  std::weak_ptr<bool> alive = alive_;
  if (!dedicated) {
    // The peer's shared connection: what this loop turn sends leaves in one
    // write, and comes back in order.
    Client& shared = SharedFor(id, protocol);
    if (asking) shared.Send({"ASKING"}, timeout);
    shared.Send(std::move(args), timeout)
        .Then([alive, name, done = std::move(done)](ReplyOrError r) mutable {
          if (alive.expired()) return;
          done(PeerReply(name, std::move(r)));
        });
    return;
  }
  PoolFor(id, protocol)
      .Borrow()
      .Then([alive, name, args = std::move(args), timeout, dedicated, asking,
             dedicated_op = std::move(dedicated_op),
             done = std::move(done)](
                absl::StatusOr<Lease> lease) mutable {
        if (alive.expired()) return;
        if (dedicated && lease.ok() && dedicated_op->client == nullptr) {
          // The client left while we waited for a connection.
          lease = absl::CancelledError("the client left");
        }
        if (!lease.ok()) {
          done(Reply::Error(absl::StrCat("CLUSTERDOWN ", name,
                                         " is unreachable: ",
                                         lease.status().message())));
          return;
        }
        // ASKING goes right before the command on the same connection
        // (nothing else can be queued between two Sends in a row).
        if (asking) (*lease)->Send({"ASKING"}, timeout);
        Future<ReplyOrError> reply = (*lease)->Send(std::move(args), timeout);
        std::optional<Lease> held;
        if (dedicated) {
          dedicated_op->dedicated = &lease->client();
          held.emplace(std::move(*lease));
        } else {
          lease->Return();  // the client pipelines: others may send too
        }
        std::move(reply).Then(
            [alive, name, held = std::move(held),
             dedicated_op = std::move(dedicated_op),
             done = std::move(done)](ReplyOrError r) mutable {
              if (dedicated_op != nullptr) dedicated_op->dedicated = nullptr;
              if (held.has_value() && !r.ok()) {
                held->MarkBroken();  // a blocking command may still run
              }
              held.reset();
              if (alive.expired()) return;
              done(PeerReply(name, std::move(r)));
            });
      });
}

void ClusterRouter::SendBlocking(const std::string& id, int protocol,
                                 std::vector<std::string> args,
                                 absl::Duration timeout,
                                 const std::shared_ptr<Op>& op, int hops,
                                 bool asking) {
  std::vector<std::string> copy = args;
  SendToNode(
      id, protocol, std::move(copy), timeout, op,
      [this, op, protocol, args = std::move(args), timeout,
       hops](Reply r) mutable {
        // The owner gave the key's slot away while the command waited
        // (CheckBlocked): block again where the slot went.
        Redirect to;
        if (op->client != nullptr && hops < kMaxRedirects &&
            FollowRedirect(r, &to)) {
          if (to.node == self_id_) {
            BlockHere(*op, args, to.ask);
            return;
          }
          SendBlocking(to.node, protocol, std::move(args), timeout, op,
                       hops + 1, to.ask);
          return;
        }
        PartDone(op, 0, std::move(r));
      },
      asking);
}

void ClusterRouter::BlockHere(Op& op, const std::vector<std::string>& args,
                              bool asking) {
  ClientState& client = *op.client;
  ops_.erase(&client);
  op.client = nullptr;
  client.blocked = false;
  // The redirect says this node serves the key now: the command runs here
  // as a peer's would (not routed again; ASKING if it was an ASK), and
  // blocks in the engine with the client's own connection.
  const bool was_peer = client.cluster_peer;
  client.cluster_peer = true;
  client.asking = asking;
  std::vector<absl::string_view> views(args.begin(), args.end());
  ReplyWriter& writer = client.sink->blocked_reply_writer();
  writer.set_protocol(client.protocol);
  engine_.Execute(client, views, writer);
  client.cluster_peer = was_peer;
  if (!client.blocked) client.sink->OnUnblocked();
}

void ClusterRouter::Forward(const CommandSpec& spec, ClientState& client,
                            ArgList args, int node, bool asking) {
  ++stats_.forwarded;
  absl::Duration timeout = options_.request_timeout;
  bool dedicated = false;
  if ((spec.flags & kCmdBlocking) != 0) {
    const double seconds = BlockSeconds(spec, args);
    dedicated = true;
    if (seconds == 0) {
      timeout = absl::Hours(24 * 365);
    } else if (seconds > 0) {
      timeout += absl::Seconds(seconds);
    }
  }
  std::shared_ptr<Op> op =
      StartOp(client, 1, [](std::vector<Reply>& parts) {
        return std::move(parts[0]);
      });
  op->in_route = false;
  pending_route_.reset();
  if (dedicated) {
    SendBlocking(view_.slots.nodes()[node], client.protocol, Owned(args),
                 timeout, op, /*hops=*/0, asking);
  } else {
    SendRetrying(view_.slots.nodes()[node], client.protocol, Owned(args),
                 runtime_.clock().Monotonic() + timeout,
                 [this, op](Reply r) { PartDone(op, 0, std::move(r)); },
                 /*hops=*/0, asking);
  }
}

namespace {

// Groups argument positions by owner: per owner (in first-seen order),
// the positions of its keys (or key/value pairs).
struct Groups {
  std::vector<int> nodes;
  std::vector<std::vector<int>> positions;
};

Groups GroupByOwner(const std::vector<int>& owners, int first, int step) {
  Groups g;
  for (size_t i = 0; i < owners.size(); ++i) {
    auto it = std::find(g.nodes.begin(), g.nodes.end(), owners[i]);
    size_t index = it - g.nodes.begin();
    if (it == g.nodes.end()) {
      g.nodes.push_back(owners[i]);
      g.positions.emplace_back();
    }
    g.positions[index].push_back(first + static_cast<int>(i) * step);
  }
  return g;
}

// The first error among `parts`, or nullptr.
Reply* FirstError(std::vector<Reply>& parts) {
  for (Reply& r : parts) {
    if (r.is_error()) return &r;
  }
  return nullptr;
}

}  // namespace

void ClusterRouter::SplitSum(ClientState& client, ArgList args,
                             const std::vector<int>& owners) {
  ++stats_.split;
  Groups g;
  if (view_.migrating()) {
    // While slots move, a part per slot: each can be sent on (MOVED, ASK)
    // on its own, where a part spanning a moving slot and another could
    // be sent to no node that serves both.
    std::vector<int> slot_of(owners.size());
    for (size_t i = 0; i < owners.size(); ++i) {
      slot_of[i] = KeySlot(args[1 + i]);
    }
    Groups by_slot = GroupByOwner(slot_of, 1, 1);
    g.positions = std::move(by_slot.positions);
    for (const std::vector<int>& pos : g.positions) {
      g.nodes.push_back(owners[pos[0] - 1]);
    }
  } else {
    g = GroupByOwner(owners, 1, 1);
  }
  std::shared_ptr<Op> op =
      StartOp(client, g.nodes.size(), [](std::vector<Reply>& parts) {
        if (Reply* e = FirstError(parts)) return std::move(*e);
        int64_t sum = 0;
        for (const Reply& r : parts) sum += r.integer;
        return Reply::Integer(sum);
      });
  const std::string name(args[0]);
  const absl::Duration deadline =
      runtime_.clock().Monotonic() + options_.request_timeout;
  for (size_t p = 0; p < g.nodes.size(); ++p) {
    std::vector<std::string> sub{name};
    for (int i : g.positions[p]) sub.emplace_back(args[i]);
    SendRetrying(g.nodes[p], client.protocol, std::move(sub), deadline,
                 [this, op, p](Reply r) { PartDone(op, p, std::move(r)); });
  }
}

void ClusterRouter::ForwardTransaction(ClientState& client) {
  ++stats_.forwarded;
  Transaction& txn = *client.txn;
  const int node = view_.IndexOf(txn.proxy_node);
  std::vector<std::vector<std::string>> block;
  block.push_back({"MULTI"});
  for (Transaction::Queued& q : txn.queued) block.push_back(std::move(q.args));
  block.push_back({"EXEC"});
  engine_.DiscardTransaction(client);  // the block now lives on `node`
  std::shared_ptr<Op> op =
      StartOp(client, 1, [](std::vector<Reply>& parts) {
        return std::move(parts[0]);
      });
  op->in_route = false;
  pending_route_.reset();
  if (node < 0) {
    PartDone(op, 0, Reply::Error("CLUSTERDOWN the transaction's node is gone"));
    return;
  }
  const std::string name =
      absl::StrCat(view_.hosts[node], ":", view_.ports[node]);
  std::weak_ptr<bool> alive = alive_;
  // A connection of its own: nothing may run between MULTI and EXEC there.
  PoolFor(node, client.protocol)
      .Borrow()
      .Then([this, alive, op, name, block = std::move(block)](
                absl::StatusOr<Lease> lease) mutable {
        if (alive.expired()) return;
        if (!lease.ok()) {
          PartDone(op, 0,
                   Reply::Error(absl::StrCat("CLUSTERDOWN ", name,
                                             " is unreachable: ",
                                             lease.status().message())));
          return;
        }
        auto held = std::make_shared<Lease>(std::move(*lease));
        const size_t last = block.size() - 1;
        for (size_t i = 0; i <= last; ++i) {
          Future<ReplyOrError> f = (*held)->Send(std::move(block[i]));
          if (i != last) continue;
          std::move(f).Then([this, alive, op, name, held](ReplyOrError r) {
            if (!r.ok()) held->MarkBroken();  // MULTI may be left open
            held->Return();
            if (alive.expired()) return;
            if (r.ok()) {
              PartDone(op, 0, std::move(*r));
            } else if (NeverSent(r.status())) {
              PartDone(op, 0, Reply::Error(absl::StrCat(
                                  "CLUSTERDOWN ", name, " is unreachable: ",
                                  r.status().message())));
            } else {
              PartDone(op, 0, Reply::Error(absl::StrCat(
                                  "UNKNOWN ", name, " did not answer: ",
                                  r.status().message())));
            }
          });
        }
      });
}

void ClusterRouter::Broadcast(Kind kind, ClientState& client, ArgList args) {
  ++stats_.broadcast;
  const size_t n = view_.slots.nodes().size();
  absl::AnyInvocable<Reply(std::vector<Reply>&)> combine;
  switch (kind) {
    case Kind::kDbSize:
    case Kind::kPublish:
      combine = [](std::vector<Reply>& parts) {
        if (Reply* e = FirstError(parts)) return std::move(*e);
        int64_t sum = 0;
        for (const Reply& r : parts) sum += r.integer;
        return Reply::Integer(sum);
      };
      break;
    case Kind::kKeys:
      combine = [](std::vector<Reply>& parts) {
        if (Reply* e = FirstError(parts)) return std::move(*e);
        std::vector<Reply> all;
        for (Reply& r : parts) {
          for (Reply& k : r.elements) all.push_back(std::move(k));
        }
        return Reply::Array(std::move(all));
      };
      break;
    case Kind::kFlush:
      combine = [](std::vector<Reply>& parts) {
        if (Reply* e = FirstError(parts)) return std::move(*e);
        return std::move(parts[0]);
      };
      break;
    case Kind::kRandomKey:
      combine = [this](std::vector<Reply>& parts) {
        if (Reply* e = FirstError(parts)) return std::move(*e);
        std::vector<Reply*> found;
        for (Reply& r : parts) {
          if (r.type == Reply::Type::kBulk) found.push_back(&r);
        }
        if (found.empty()) return Reply::Null();
        return std::move(*found[runtime_.random().Uniform(found.size())]);
      };
      break;
    default:
      combine = [](std::vector<Reply>& parts) {
        return Reply::Error("ERR internal error: not a broadcast");
      };
  }
  std::shared_ptr<Op> op = StartOp(client, n, std::move(combine));
  for (size_t node = 0; node < n; ++node) {
    SendTo(static_cast<int>(node), client.protocol, Owned(args),
           options_.request_timeout,
           [this, op, node](Reply r) { PartDone(op, node, std::move(r)); });
  }
}

void ClusterRouter::Scan(ClientState& client, ArgList args,
                         ReplyWriter& reply) {
  uint64_t cursor = 0;
  if (!absl::SimpleAtoi(args[1], &cursor)) {
    reply.Error("ERR invalid cursor");
    return;
  }
  ++stats_.broadcast;
  const uint64_t n = view_.slots.nodes().size();
  const int node = static_cast<int>(cursor % n);
  std::vector<std::string> sub = Owned(args);
  sub[1] = absl::StrCat(cursor / n);
  std::shared_ptr<Op> op = StartOp(
      client, 1, [n, node](std::vector<Reply>& parts) {
        Reply& r = parts[0];
        if (r.is_error()) return std::move(r);
        uint64_t next = 0;
        if (r.type != Reply::Type::kArray || r.elements.size() != 2 ||
            !absl::SimpleAtoi(r.elements[0].str, &next)) {
          return Reply::Error("ERR internal error: bad SCAN part");
        }
        uint64_t cursor_out = 0;
        if (next != 0) {
          cursor_out = next * n + static_cast<uint64_t>(node);
        } else if (static_cast<uint64_t>(node) + 1 < n) {
          cursor_out = static_cast<uint64_t>(node) + 1;  // next node, from 0
        }
        r.elements[0] = Reply::Bulk(absl::StrCat(cursor_out));
        return std::move(r);
      });
  SendTo(node, client.protocol, std::move(sub), options_.request_timeout,
         [this, op](Reply r) { PartDone(op, 0, std::move(r)); });
  FinishIfDone(client, reply);
}

}  // namespace twinkv
