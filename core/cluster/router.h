// ClusterRouter: a cluster node's routing, in both cluster modes. In
// redirect mode it answers MOVED / ASK / TRYAGAIN for what runs elsewhere
// (Redis Cluster's protocol) and carries out membership changes; in proxy
// mode (below) it also forwards. Any proxy node accepts any command from
// clients that know nothing of clusters; a router table
// decides per command whether it runs here, is forwarded to the owner of
// its keys, is split by owner with the replies gathered, or is broadcast
// to every node with the replies combined.
//
//   run here      keyless commands (PING, INFO, CONFIG, SUBSCRIBE...), and
//                 commands whose keys this node owns.
//   forward       commands whose keys all belong to one other node: sent
//                 over the one pipelined connection this node keeps to
//                 that node (all forwards share it), the reply relayed as
//                 it came. Blocking commands get a connection of their own
//                 (from a Pool) for as long as they block.
//   split/gather  DEL UNLINK EXISTS TOUCH (integers summed); MSET MSETNX
//                 MGET, atomic across nodes (see "Cross-node MSET").
//   broadcast     DBSIZE (sum), KEYS (concatenated), FLUSHDB FLUSHALL (OK
//                 when every node said OK), RANDOMKEY (a random node's
//                 answer among those that have keys), SCAN (one node at a
//                 time; the cursor carries the node's index), PUBLISH
//                 (receivers summed: subscribers of every node get it).
//   gather/run    RENAME RENAMENX COPY SMOVE LMOVE RPOPLPUSH, the *STORE
//                 commands and SUNION & co. whose keys span nodes: atomic,
//                 the keys locked and gathered here, the command run on
//                 copies, the changes committed as a cross-node MSET is
//                 (core/cluster/router_cross.cc).
//   refused       other multi-key commands whose keys span nodes get
//                 CROSSSLOT (BLMOVE, BRPOPLPUSH, SORT, LMPOP...), and so
//                 do transactions whose keys span nodes: MULTI/EXEC
//                 runs on the one node that owns all its keys (EXEC
//                 sends the block there); WATCH works on this node's keys.
//
// Peers. A node forwards over connections that introduce themselves with
// TWINKV.PEER; on those, commands run on the receiving node (never routed
// again). A peer command for a key the receiver does not serve is
// answered MOVED / ASK / TRYAGAIN like any client's, and the forwarding
// node follows (ASK with ASKING; at most a few hops; TRYAGAIN after a
// random backoff, until request_timeout).
//
// Membership. CLUSTER MEET / FORGET, sent to any member, start a new epoch
// (old and new member sets; ClusterView in core/engine.h). The change is
// announced to every node until each acknowledges it (TWINKV.MEMBERS) and
// logged in each AOF. Every old member hands the keys of the slots it
// loses to their new owners, a batch at a time: one log record
// (TWINKV.OUTBOX) takes the keys out of its keyspace and keeps them for
// sending again after a restart; the new owner rebuilds them under ASKING
// (DEL, then the AOF rewrite's commands for each key, TTL included) and
// logs them before it answers; then TWINKV.OUTDONE. Meanwhile the old
// owner serves the keys it still has, answers ASK for keys already handed
// over, TRYAGAIN for keys on their way and for commands whose keys are
// split between the two, and waits for prepared transactions on keys it
// loses. When nothing is left it says so (TWINKV.MIGRATED, logged and
// announced); once every old member that loses slots has, every node
// routes by the new map, and old owners answer MOVED. One change at a
// time: a node refuses a new one while the previous still moves slots
// (unless only other nodes' notices are missing: the next epoch proves
// they were sent). A node removed from the cluster keeps answering, as a
// proxy with no slots.
//
// Waiting. A routed command's reply comes later. If the client's
// connection can hold a reply's place (BlockedClientSink::ReserveReply)
// and the command is keyed, not blocking and not in MULTI, its reply gets
// a reply slot and the client's next commands run meanwhile: a pipelining
// client keeps many forwards in flight, and the replies still go out in
// request order. A later command waits (MayRunAhead) if it shares a slot
// with one in flight (commands on a key keep their order, whatever
// connections and retries carry them) or is not one of those (keyless:
// PING, MULTI, SELECT, HELLO, SUBSCRIBE...). Otherwise the routed command
// leaves its client blocked (ClientState::blocked: the connection runs
// none of its further commands) until the reply is complete; then the
// router writes it through the client's sink and calls OnUnblocked.
//
// Cross-node MSET and MSETNX are atomic: a two-phase commit with this node
// as coordinator. Phase one sends TWINKV.PREPARE to every owner: it locks
// the keys (no waiting: a key already locked fails the prepare, and the
// coordinator aborts, backs off a random few milliseconds and retries until
// request_timeout), stages the values, and is logged in the owner's AOF
// before it is acknowledged. If every owner prepared (and for MSETNX none
// had any of the keys), the coordinator logs its decision (TWINKV.DECIDE)
// in its own AOF, and once that is acknowledged sends TWINKV.COMMIT to
// every owner, which applies the values (logged as MSET) and unlocks;
// otherwise it sends TWINKV.ABORT. Until a key is unlocked, every command
// on it, read or write, from any node, waits (TRYAGAIN, retried by the
// node the client talks to), so no reader sees half of one. A prepared
// owner that hears nothing asks the coordinator (TWINKV.STATUS) every
// tx_retry_interval after tx_status_after: a decision it logged is final;
// a transaction it has not decided is aborted then and there, and one it
// does not know (a restart lost it before the decision) was never
// committed. The coordinator re-sends COMMIT until every owner confirmed,
// also after a restart (from the logged decisions). Cross-node MGET is
// atomic the same way with read locks (released by the reader, or after
// read_lock_ttl; a reader whose lock was lost meanwhile reads again). The
// guarantee across crashes needs appendonly yes with appendfsync always:
// an owner must not forget what it prepared, nor a coordinator what it
// decided. Without it, the locks still keep readers from half-applied
// writes while every node stays up.
//
// Failures. A command that could not be sent (the owner is unreachable)
// gets "CLUSTERDOWN <node> is unreachable: <why>" and did not run. One
// whose reply did not come (timeout, connection lost after it was
// written) gets "UNKNOWN <node> did not answer: <why>": it may or may not
// have run. Split commands report the first failure. A command whose keys
// stay locked by a cross-node transaction for request_timeout gets
// "TRYAGAIN Key locked by a cross-node transaction" and did not run; so
// does a cross-node MSET/MSETNX/MGET that kept meeting locked keys. A
// cross-node MSET rolled back because an owner failed gets that owner's
// failure (CLUSTERDOWN or UNKNOWN) with " (the cross-node command was
// rolled back)" appended: it did not run either.
//
// Single-threaded: everything on the node's loop. Must outlive nothing in
// the engine; the engine must outlive the router, and the router must be
// unset from the engine (Engine::set_router(nullptr)) before destruction.

#ifndef TWINKV_CORE_CLUSTER_ROUTER_H_
#define TWINKV_CORE_CLUSTER_ROUTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/client/pool.h"
#include "core/engine.h"
#include "core/resp/reply.h"
#include "core/resp/reply_writer.h"
#include "transport/runtime.h"

namespace twinkv {

struct RouterOptions {
  // Per forwarded request (blocking commands: their block timeout plus
  // this).
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(1);
  // Connections per peer and protocol.
  size_t max_connections = 8;
  // Cross-node transactions (see above).
  absl::Duration tx_status_after = absl::Seconds(2);
  absl::Duration tx_retry_interval = absl::Seconds(1);
  absl::Duration read_lock_ttl = absl::Seconds(2);
};

struct RouterStats {
  uint64_t local = 0;      // commands run here
  uint64_t forwarded = 0;  // commands sent whole to one other node
  uint64_t split = 0;      // multi-key commands split over nodes
  uint64_t broadcast = 0;  // commands sent to every node
  uint64_t refused = 0;    // CROSSSLOT and the like
  uint64_t failed = 0;     // CLUSTERDOWN / UNKNOWN replies
  uint64_t tx_committed = 0;   // cross-node MSET/MSETNX decided commit
  uint64_t tx_aborted = 0;     // attempts rolled back
  uint64_t tx_conflicts = 0;   // attempts that met a locked key
  uint64_t atomic_reads = 0;   // cross-node MGETs answered
  uint64_t lock_waits = 0;     // commands retried behind a locked key
};

class ClusterRouter : public CommandRouter {
 public:
  // `engine` must have a cluster view (cluster-mode proxy) and outlive the
  // router. Registers itself with the engine.
  ClusterRouter(Runtime& runtime, Engine& engine,
                RouterOptions options = RouterOptions());
  ~ClusterRouter() override;

  ClusterRouter(const ClusterRouter&) = delete;
  ClusterRouter& operator=(const ClusterRouter&) = delete;

  // CommandRouter.
  bool Route(const CommandSpec& spec, ClientState& client, ArgList args,
             bool queueing, ReplyWriter& reply) override;
  void ClientGone(ClientState& client) override;
  bool MayRunAhead(const CommandSpec& spec, const ClientState& client,
                   ArgList args) override;
  void RunPeerCommand(CommandContext& ctx, ArgList args) override;
  void AppendDurableState(std::string* out) override;

  // Closes every pool; `done` runs once they are closed.
  void Close(absl::AnyInvocable<void() &&> done);

  // The node serves (its AOF is loaded): resumes a membership change in
  // progress (hand-over, announcements).
  void Start();

  // CLUSTER MEET <ip> <port> / CLUSTER FORGET <node>: starts a membership
  // change (see "Membership").
  void ChangeMembership(CommandContext& ctx, ArgList args) override;

  const RouterStats& stats() const { return stats_; }
  // Transactions prepared here and not yet committed or rolled back, and
  // decisions taken here not yet carried out everywhere (tests).
  size_t prepared_count() const { return prepared_.size(); }
  size_t decided_count() const { return decided_.size(); }
  // One line of counters for failure reports: prepared, locked keys,
  // parked and routed clients, decisions, hand-over batches.
  std::string DebugState() const;

 private:
  struct Op;
  struct Tx;
  struct Prepared;
  struct Decided;
  struct Parked;

  enum class Kind : uint8_t {
    kDefault,      // keyless: local; keyed: local, forward, or CROSSSLOT
    kMget,
    kSumKeys,      // DEL UNLINK EXISTS TOUCH
    kMset,         // MSET MSETNX
    kDbSize,
    kKeys,
    kFlush,        // FLUSHDB FLUSHALL
    kRandomKey,
    kScan,
    kPublish,
  };

  Kind KindOf(const CommandSpec& spec) const;

  // Route in proxy mode.
  bool RouteProxy(const CommandSpec& spec, ClientState& client, ArgList args,
                  bool queueing, ReplyWriter& reply);
  // Whether a command of `client` may have its reply in a reply slot (and
  // let the client run on): keyed, not blocking, not in MULTI.
  static bool Pipelinable(const CommandSpec& spec, const ClientState& client);
  // The distinct slots of the command's keys.
  static void KeySlotsOf(const CommandSpec& spec, ArgList args,
                         std::vector<int>* slots);
  // After Route: if the command blocked its client on a routed op and may
  // be pipelined, moves the op's reply into a reply slot and unblocks the
  // client.
  void ReleaseClient(const CommandSpec& spec, ClientState& client,
                     ArgList args);

  // Starts a routed command for `client` with `parts` parts (blocks the
  // client); `combine` makes the client's reply from the parts' replies.
  std::shared_ptr<Op> StartOp(
      ClientState& client, size_t parts,
      absl::AnyInvocable<Reply(std::vector<Reply>&)> combine);
  // Part `index` of `op` answered `reply`.
  void PartDone(const std::shared_ptr<Op>& op, size_t index, Reply reply);
  // Answers the client through its sink and unblocks it.
  void FinishOp(Op& op);
  // At the end of Route: if every part of the op it started already
  // answered (they all ran here), replies through `reply` at once and
  // unblocks the client. Returns true (Route's answer).
  bool FinishIfDone(ClientState& client, ReplyWriter& reply);
  // A CLUSTERDOWN or UNKNOWN reply made by the router.
  static bool IsFailure(const Reply& reply);

  // Sends `args` to node `node` (an index in the cluster view): SendToNode
  // without a dedicated op.
  void SendTo(int node, int protocol, std::vector<std::string> args,
              absl::Duration timeout, absl::AnyInvocable<void(Reply)> done);
  // Sends `args` to a node by id ("host:port"), known to the view or not
  // (a MOVED may name a member this node has not heard of); `done` runs
  // with the reply, or with a CLUSTERDOWN/UNKNOWN error. Node `self` runs
  // it here, synchronously, as a peer's command. With `dedicated_op`
  // (blocking commands) the connection serves this request alone, and is
  // closed if that op's client leaves; otherwise it goes over the shared
  // connection (SharedFor). `asking`: ASKING first (the node was named by
  // an ASK).
  void SendToNode(const std::string& id, int protocol,
                  std::vector<std::string> args, absl::Duration timeout,
                  std::shared_ptr<Op> dedicated_op,
                  absl::AnyInvocable<void(Reply)> done, bool asking = false);
  Reply RunHere(int protocol, ArgList args);
  Pool& PoolFor(int node, int protocol);
  Pool& PoolFor(const std::string& id, int protocol);
  // The connection to node `id` that every request but blocking commands
  // shares (pipelined: requests and replies in order).
  Client& SharedFor(const std::string& id, int protocol);
  ClientOptions PeerClientOptions(const std::string& id, int protocol) const;
  // A peer's reply, or CLUSTERDOWN (not sent) / UNKNOWN (no answer).
  static Reply PeerReply(const std::string& node, ReplyOrError r);

  // `asking`: the node was named by an ASK (this node is handing the
  // slot over to it).
  void Forward(const CommandSpec& spec, ClientState& client, ArgList args,
               int node, bool asking = false);
  // A blocking command's forward on a connection of its own (SendToNode
  // with `op` dedicated), following MOVED and ASK: the owner redirects a
  // blocked command when the key's slot leaves it.
  void SendBlocking(const std::string& id, int protocol,
                    std::vector<std::string> args, absl::Duration timeout,
                    const std::shared_ptr<Op>& op, int hops, bool asking);
  // A blocking forward redirected to this node: ends `op` and runs the
  // command here for its client (it blocks in the engine).
  void BlockHere(Op& op, const std::vector<std::string>& args, bool asking);
  void SplitSum(ClientState& client, ArgList args,
                const std::vector<int>& owners);
  void Broadcast(Kind kind, ClientState& client, ArgList args);
  // EXEC of a transaction whose keys all live on another node: MULTI, the
  // queued commands and EXEC go there on a connection of their own.
  void ForwardTransaction(ClientState& client);
  void Scan(ClientState& client, ArgList args, ReplyWriter& reply);

  // --- Multi-key commands across nodes other than MSET/MSETNX/MGET and
  // the counting ones (router_cross.cc). ---

  // Takes a command whose keys (at `positions`, owned by `owners`) span
  // nodes, if it knows how to run it across them: starts an op (StartOp)
  // and returns true. False: the command is refused with CROSSSLOT.
  bool CrossNode(const CommandSpec& spec, ClientState& client, ArgList args,
                 const std::vector<int>& positions,
                 const std::vector<int>& owners);
  // A TWINKV.* peer command of router_cross.cc's own: runs it and returns
  // true, or false if `args[0]` is not one of them.
  bool RunCrossCommand(CommandContext& ctx, ArgList args);
  // One cross-node command being coordinated here (router_cross.cc).
  struct Cross;
  // TWINKV.COMMIT of a transaction staged by TWINKV.STAGE (Prepared::
  // cross): applies the staged states, logs them as plain commands, and
  // replies.
  void CommitStaged(CommandContext& ctx, const std::string& txid);
  // AppendDurableState's record for such a transaction.
  void AppendStaged(const std::string& txid, std::string* out);

  // --- Membership changes and slot hand-over (router_members.cc). ---

  // What a node does with a command on keys of `slot` (see router.h,
  // "Membership"): run it, send the client elsewhere, or have it retry.
  struct SlotDecision {
    enum Kind : uint8_t { kRun, kMoved, kAsk, kTryAgain } kind = kRun;
    int slot = 0;
    int node = -1;  // kMoved, kAsk
  };
  // For the keys at `positions` (all in `slot`). `asking`: the client sent
  // ASKING, or is a peer (a node following an ASK, or handing keys over).
  SlotDecision Decide(int slot, ArgList args,
                      const std::vector<int>& positions, bool asking);
  // The common case without allocating: a one-key command while no
  // membership change moves slots (run here, or MOVED); nullopt otherwise.
  std::optional<SlotDecision> QuickDecision(const CommandSpec& spec,
                                            ArgList args) const;
  // The first decision that is not kRun among the slots of the keys at
  // `positions` (each slot's keys decided together), else kRun.
  SlotDecision DecideKeys(ArgList args, const std::vector<int>& positions,
                          bool asking);
  // Writes the decision's error reply (not for kRun).
  void ReplyDecision(const SlotDecision& d, ReplyWriter& reply);
  // The decision's error ("" for kRun).
  std::string DecisionError(const SlotDecision& d) const;
  // Clients blocked here (BLPOP & co.) on keys of a slot this node no
  // longer serves get MOVED (or ASK while the slot moves) and are
  // unblocked, as Redis does; the forwarding node or the client library
  // follows. Checked after every membership step and, while slots move,
  // every kBlockedCheckInterval.
  void ScheduleBlockedCheck(absl::Duration after);
  void CheckBlocked();
  static constexpr absl::Duration kBlockedCheckInterval =
      absl::Milliseconds(100);
  // A peer's command whose keys cannot run here: replies why (MOVED, ASK,
  // TRYAGAIN) and returns true.
  bool PeerRefuses(const CommandSpec& spec, ArgList args, bool asking,
                   ReplyWriter& reply);
  // Redirect mode's Route.
  bool RouteRedirect(const CommandSpec& spec, ClientState& client,
                     ArgList args, bool queueing, ReplyWriter& reply);
  // TWINKV.MEMBERS MIGRATED OUTBOX OUTDONE: true if it was one of them.
  bool RunMemberCommand(CommandContext& ctx, ArgList args);
  // Sends `args` to every node in `targets` until each says OK.
  void Announce(std::vector<std::string> args,
                std::vector<std::string> targets);
  // Hands the keys this node loses over to their new owners, a batch at
  // a time; when none is left, says so (TWINKV.MIGRATED).
  void MigrateStep();
  void SendBatch(const std::string& id);
  struct Batch;
  static std::vector<std::string> OutboxRecord(const std::string& id,
                                               const Batch& batch);
  // Makes `keys` hold `states` (AppendKeyRewrite's commands, "" for
  // none), applied by the commands' own handlers; *records gets what to
  // log (router_cross.cc). False if a state does not parse.
  bool ApplyKeyStates(CommandContext& ctx,
                      const std::vector<std::string>& keys,
                      const std::vector<std::string>& states,
                      std::vector<std::vector<std::string>>* records);
  void AppendMemberState(std::string* out);



  // Whether any key of the command is locked by a transaction.
  bool AnyLocked(const CommandSpec& spec, ArgList args) const;
  // Re-runs `client`'s command after a short backoff (its keys are
  // locked), until request_timeout; then answers TRYAGAIN.
  void Park(ClientState& client, ArgList args);
  void Unpark(ClientState* client);
  // SendTo, retrying while the reply says TRYAGAIN (a key locked, or
  // moving), and following MOVED and ASK (at most kMaxRedirects).
  void SendRetrying(int node, int protocol, std::vector<std::string> args,
                    absl::Duration deadline,
                    absl::AnyInvocable<void(Reply)> done) {
    SendRetrying(view_.slots.nodes()[node], protocol, std::move(args),
                 deadline, std::move(done), 0);
  }
  void SendRetrying(const std::string& id, int protocol,
                    std::vector<std::string> args, absl::Duration deadline,
                    absl::AnyInvocable<void(Reply)> done, int hops,
                    bool asking = false);
  absl::Duration Backoff();
  // A MOVED or ASK reply's target. For MOVED the view learns the slot's
  // new owner (NoteMoved). False: not a (well-formed) redirect.
  struct Redirect {
    int slot = -1;
    std::string node;  // "host:port"
    bool ask = false;
  };
  bool FollowRedirect(const Reply& r, Redirect* to);

  // Coordinator.
  void StartTx(int kind, ClientState& client, ArgList args,
               const std::vector<int>& owners);
  void Attempt(const std::shared_ptr<Tx>& tx);
  // SendTo by node id (CLUSTERDOWN if the id is no node any more).
  void SendToId(const std::string& id, std::vector<std::string> args,
                absl::AnyInvocable<void(Reply)> done, bool asking = false);
  void OnPrepared(const std::shared_ptr<Tx>& tx);
  void Commit(const std::shared_ptr<Tx>& tx);
  void SendCommits(const std::string& txid);
  void OnCommitAck(const std::string& txid, size_t index, const Reply& r);
  void FinishTx(const std::shared_ptr<Tx>& tx, Reply reply);
  void ArmRedrive();
  // Participant.
  void Unlock(const std::string& txid);
  void OnPreparedTimer(const std::string& txid);

  Runtime& runtime_;
  Engine& engine_;
  const ClusterView& view_;
  RouterOptions options_;
  RouterStats stats_;
  absl::flat_hash_map<const CommandSpec*, Kind> kinds_;
  // Pools per node id, RESP2 and RESP3 (created on first use; by id, as
  // node indices change with the membership).
  absl::flat_hash_map<std::string, std::unique_ptr<Pool>> pools_[2];
  // Shared connections per node id, RESP2 and RESP3 (SharedFor).
  absl::flat_hash_map<std::string, std::unique_ptr<Client>> shared_[2];
  // The routed command of each client waiting for one (blocked).
  absl::flat_hash_map<ClientState*, Op*> ops_;
  // Routed commands whose replies go into reply slots, per client, in the
  // order they started.
  absl::flat_hash_map<ClientState*, std::vector<Op*>> slotted_;
  std::vector<int> scratch_slots_;  // MayRunAhead's
  // The op the running Route() started (see FinishIfDone).
  std::shared_ptr<Op> pending_route_;
  // The name of the command Route() is routing (for Op::command).
  absl::string_view routing_;
  // Runs commands "as a peer" for the local part of split and broadcast
  // commands.
  ClientState local_client_;
  std::string local_out_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // Transactions. Participant: prepared transactions by id, and the lock
  // each key is under. Coordinator: transactions being prepared (true
  // once a STATUS query aborted one), and decided ones whose owners have
  // not all confirmed the commit.
  std::string self_id_;
  uint64_t incarnation_ = 0;
  uint64_t next_tx_ = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<Prepared>> prepared_;
  absl::flat_hash_map<std::string, std::string> locks_;
  absl::flat_hash_map<std::string, bool> undecided_;
  absl::flat_hash_map<std::string, std::unique_ptr<Decided>> decided_;
  TimerId redrive_timer_ = 0;
  absl::flat_hash_map<ClientState*, std::unique_ptr<Parked>> parked_;

  // Hand-over (router_members.cc): batches of keys taken out of the
  // keyspace and not yet confirmed by their new owner, by id.
  struct Batch {
    std::string target;               // node id
    std::vector<std::string> keys;
    std::vector<std::string> states;  // per key: what rebuilds it (RESP)
    bool in_flight = false;
  };
  std::map<std::string, Batch> outbox_;  // by batch id
  absl::flat_hash_set<std::string> outbox_keys_;
  uint64_t next_batch_ = 1;
  // Batches applied here (TWINKV.IMPORT) during the current change and
  // the one before: a late copy of one is ignored.
  absl::flat_hash_set<std::string> imported_;
  absl::flat_hash_set<std::string> imported_before_;
  uint64_t migrate_cursor_ = 0;
  bool migrate_skipped_ = false;  // a locked key waits for another pass
  TimerId migrate_timer_ = 0;
  TimerId blocked_timer_ = 0;  // ScheduleBlockedCheck
  bool started_ = false;  // serving (the AOF is loaded)
};

}  // namespace twinkv

#endif  // TWINKV_CORE_CLUSTER_ROUTER_H_
