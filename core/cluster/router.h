// ClusterRouter: proxy mode (cluster-mode proxy). Any node accepts any
// command from clients that know nothing of clusters; a router table
// decides per command whether it runs here, is forwarded to the owner of
// its keys, is split by owner with the replies gathered, or is broadcast
// to every node with the replies combined.
//
//   run here      keyless commands (PING, INFO, CONFIG, SUBSCRIBE...), and
//                 commands whose keys this node owns.
//   forward       commands whose keys all belong to one other node: sent
//                 through a Pool of Clients to that node, the reply relayed
//                 as it came. Blocking commands get a connection of their
//                 own for as long as they block.
//   split/gather  MGET (arrays put back in request order), DEL UNLINK
//                 EXISTS TOUCH (integers summed), MSET MSETNX (atomic
//                 across nodes, see "Cross-node MSET").
//   broadcast     DBSIZE (sum), KEYS (concatenated), FLUSHDB FLUSHALL (OK
//                 when every node said OK), RANDOMKEY (a random node's
//                 answer among those that have keys), SCAN (one node at a
//                 time; the cursor carries the node's index), PUBLISH
//                 (receivers summed: subscribers of every node get it).
//   refused       other multi-key commands whose keys span nodes get
//                 CROSSSLOT (RENAME & co. across nodes are not done yet),
//                 and so do transactions touching keys of other nodes:
//                 MULTI/EXEC and WATCH run on this node's keys only.
//
// Peers. A node forwards over connections that introduce themselves with
// TWINKV.PEER; on those, commands run on the receiving node (never routed
// again). A peer command for a key the receiver does not own is answered
// "MOVED <slot> <host>:<port>" (members disagree on the map), which the
// forwarding node passes on.
//
// Waiting. A routed command leaves its client blocked (ClientState::
// blocked: the connection runs none of its further commands) until the
// reply is complete; then the router writes it through the client's sink
// and calls OnUnblocked, so replies keep request order. One routed command
// per connection is in flight at a time: a pipelining client's forwarded
// commands travel one by one (see bench/ for what that costs).
//
// Failures. A command that could not be sent (the owner is unreachable)
// gets "CLUSTERDOWN <node> is unreachable: <why>" and did not run. One
// whose reply did not come (timeout, connection lost after it was
// written) gets "UNKNOWN <node> did not answer: <why>": it may or may not
// have run. Split commands report the first failure.
//
// Single-threaded: everything on the node's loop. Must outlive nothing in
// the engine; the engine must outlive the router, and the router must be
// unset from the engine (Engine::set_router(nullptr)) before destruction.

#ifndef TWINKV_CORE_CLUSTER_ROUTER_H_
#define TWINKV_CORE_CLUSTER_ROUTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
};

struct RouterStats {
  uint64_t local = 0;      // commands run here
  uint64_t forwarded = 0;  // commands sent whole to one other node
  uint64_t split = 0;      // multi-key commands split over nodes
  uint64_t broadcast = 0;  // commands sent to every node
  uint64_t refused = 0;    // CROSSSLOT and the like
  uint64_t failed = 0;     // CLUSTERDOWN / UNKNOWN replies
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

  // Closes every pool; `done` runs once they are closed.
  void Close(absl::AnyInvocable<void() &&> done);

  const RouterStats& stats() const { return stats_; }

 private:
  struct Op;

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

  // Sends `args` to node `node` (an index in the cluster view); `done`
  // runs with the reply, or with a CLUSTERDOWN/UNKNOWN error. Node `self`
  // runs it here, synchronously, as a peer's command. With `dedicated_op`
  // (blocking commands) the connection serves this request alone, and is
  // closed if that op's client leaves.
  void SendTo(int node, int protocol, std::vector<std::string> args,
              absl::Duration timeout, std::shared_ptr<Op> dedicated_op,
              absl::AnyInvocable<void(Reply)> done);
  Reply RunHere(int protocol, ArgList args);
  Pool& PoolFor(int node, int protocol);

  void Forward(const CommandSpec& spec, ClientState& client, ArgList args,
               int node);
  void SplitMget(ClientState& client, ArgList args,
                 const std::vector<int>& owners);
  void SplitSum(ClientState& client, ArgList args,
                const std::vector<int>& owners);
  void SplitMset(ClientState& client, ArgList args,
                 const std::vector<int>& owners);
  void Broadcast(Kind kind, ClientState& client, ArgList args);
  void Scan(ClientState& client, ArgList args, ReplyWriter& reply);

  Runtime& runtime_;
  Engine& engine_;
  const ClusterView& view_;
  RouterOptions options_;
  RouterStats stats_;
  absl::flat_hash_map<std::string, Kind> kinds_;  // by full name
  // Pools per node, RESP2 and RESP3 (created on first use).
  std::vector<std::unique_ptr<Pool>> pools_[2];
  // The routed command of each client waiting for one.
  absl::flat_hash_map<ClientState*, Op*> ops_;
  // The op the running Route() started (see FinishIfDone).
  std::shared_ptr<Op> pending_route_;
  // Runs commands "as a peer" for the local part of split and broadcast
  // commands.
  ClientState local_client_;
  std::string local_out_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace twinkv

#endif  // TWINKV_CORE_CLUSTER_ROUTER_H_
