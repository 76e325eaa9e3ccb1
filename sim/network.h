// The simulated network: TCP-like byte streams between the nodes of a World,
// and the faults that strike them.
//
// Model. Each connection direction is a simulated TCP flow. Write copies
// the caller's bytes into the sender's send buffer (NetworkOptions::
// send_buffer bytes, unsent plus unacknowledged) and completes once the
// last byte is in; bytes leave in seeded segment sizes while the receiver's
// window allows (recv_buffer bytes unread), so a reader that stops reading
// fills its window, then the writer's buffer, and then the writer's Write
// stops completing: backpressure. Each segment takes a one-way latency drawn
// from the link's LatencyModel (base + exponential tail + rare spikes);
// segments of one direction never overtake each other. Acknowledgements
// free the sender's buffer; while the sender is not waiting for space they
// take effect at once (an optimistic shortcut that saves an event per
// segment); when it is, they travel back like any segment.
// What a real stack does without faults is modelled too: a connect to a
// port nobody listens on is refused; Close sends a FIN after the bytes
// already accepted (the peer reads them, then kClosed); closing with unread
// input, or receiving bytes after Close, answers with a reset, as Linux
// does; after a reset a reader first gets the bytes that had arrived, then
// kReset (as Linux's recv does), and writes fail with kReset.
//
// Faults injected (all through Fabric, by a scenario or by the fault
// generator of faults.h):
// - Latency spikes (LatencyModel), per link (SetLinkLatency).
// - Partitions, symmetric or one-way (Partition/Heal/HealAll/Isolate). A
//   segment that cannot cross (data, FIN, RST, ACK, SYN, SYN-ACK) waits at
//   its sender as if retransmitted: when the path heals it is delivered, in
//   order, at the sender's next retransmission time (exponential backoff
//   from rto_min), plus latency. A sender whose data stays unacknowledged
//   for retransmit_timeout across a broken path fails with kTimedOut (its
//   Read and Write report it; its kernel forgets the connection, so a later
//   segment from the peer draws a reset). An idle end of a broken connection
//   fails with kTimedOut after keepalive_timeout. A one-way partition A->B
//   holds everything A sends to B, acknowledgements included: A's data
//   stalls at A, while B's data reaches A (A can read it) but is never
//   acknowledged, so both writers eventually time out. A SYN that cannot
//   cross is retried (1 s, 3 s, 7 s, ...) until the connect's own timeout
//   fires (or six retries, as tcp_syn_retries).
// - Clogging (ClogNode/ClogLink): segments sent while a node or link is
//   clogged are held until the clog ends, then delivered in order. Clogs
//   never time a connection out (use partitions for outages).
// - Black holes (BlackHole for a link, BlackHoleConnection for one
//   direction of one connection): bytes are accepted and acknowledged, and
//   never delivered; no error, ever. A direction that swallowed bytes stays
//   a black hole for good (the stream behind the gap is unusable); SYNs
//   into a black-holed link are never answered.
// - Resets (ResetConnection): at a chosen byte offset of one direction, at
//   or after what the receiver already got: bytes before the cut arrive,
//   then the receiver sees kReset; the sender ("owner") sees kReset at
//   once; no byte after the cut ever arrives, in either direction.
// - Dropped connections (DropConnection): a middlebox forgets the flow.
//   Nothing is said; each end learns on its next segment (the answer is a
//   reset, one round trip later) or by keepalive (kReset).
// - Refused and lost SYNs (RefuseConnects/DropSyns on a server node): the
//   next n SYNs reaching it are refused (kRefused), or lost (the client
//   retries after 1 s, 2 s more, ...; its connect may time out).
// - Process faults (world.h): a killed process's sockets are closed by its
//   kernel (FIN, or RST with unread input; unsent bytes still go out); a
//   power cut makes its connections vanish silently: peers see nothing until
//   retransmit or keepalive timeouts (kTimedOut while the machine is down)
//   or, once it is back, a reset in answer to their next segment or probe;
//   SYNs to a powered-off machine are lost; its listeners are gone.
// Promised never to happen: reordering, duplication or corruption of bytes
// within a connection; delivery of a byte after a reset or after a gap;
// acknowledgement of bytes that were not delivered, except by a black hole;
// a callback of a closed or dead stream.
//
// Addresses: a node listens on its own ip (hosts "", "0.0.0.0", "::",
// "127.0.0.1", "::1", "localhost", its ip or its name all mean that); others
// connect to its ip or name, and it reaches itself at 127.0.0.1/localhost.
// Port 0 picks a free ephemeral port. Loopback connections suffer no link
// fault (partition, clog, black hole), only process faults.
//
// Threading contract: the World's (single-threaded).

#ifndef TWINKV_SIM_NETWORK_H_
#define TWINKV_SIM_NETWORK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "sim/world.h"
#include "transport/runtime.h"

namespace twinkv::sim {

struct ListenerState;
struct ConnectOp;
struct Connection;
struct Endpoint;

// A snapshot of one connection, for tests and debugging.
struct ConnectionInfo {
  uint64_t id = 0;
  uint32_t client_node = 0;
  uint32_t server_node = 0;
  std::string client_name;  // "ip:port"
  std::string server_name;
  // Bytes the client (server) wrote that the other end has received.
  uint64_t client_to_server = 0;
  uint64_t server_to_client = 0;
  bool open = false;  // neither end closed, failed or dead
};

// Network state shared by all nodes of one World: listeners, connections,
// links and their faults.
class Fabric {
 public:
  explicit Fabric(World& world);
  ~Fabric();

  World& world() { return world_; }
  const NetworkOptions& options() const { return options_; }

  // --- Faults on links and nodes. ---

  // Cuts a -> b, and b -> a unless one_way. Partitions nest: each Partition
  // needs its Heal.
  void Partition(const Node& a, const Node& b, bool one_way = false);
  void Heal(const Node& a, const Node& b, bool one_way = false);
  // Cuts `n` off from every other node (symmetric).
  void Isolate(const Node& n);
  void Rejoin(const Node& n);
  // Ends every partition and black hole, and disarms pending connect
  // refusals and SYN losses; clogs end on their own.
  void HealAll();
  bool IsCut(const Node& from, const Node& to) const;

  // Holds segments sent by or to `n` (ClogNode), or from a to b (ClogLink),
  // until now + d, then delivers them in order.
  void ClogNode(const Node& n, absl::Duration d);
  void ClogLink(const Node& a, const Node& b, absl::Duration d);

  // Swallows everything sent from a to b while on (see above).
  void BlackHole(const Node& a, const Node& b, bool on);

  // Overrides the latency of segments from a to b.
  void SetLinkLatency(const Node& a, const Node& b, const LatencyModel& model);

  // Applies a fault to the open connection `pick % open_connections()` (by
  // id order); the other bits of `pick` choose the side and the cut. False
  // if there is no open connection.
  bool ResetConnection(uint64_t pick);
  bool DropConnection(uint64_t pick);
  bool BlackHoleConnection(uint64_t pick);
  // The same, on a connection chosen by id. For ResetConnection, `side` 0
  // is the client end (the owner) and `cut` counts from the first byte the
  // peer has not yet received (clamped to what is in flight).
  bool ResetConnectionById(uint64_t id, int side, uint64_t cut);
  bool DropConnectionById(uint64_t id);
  bool BlackHoleConnectionById(uint64_t id, int side);

  // The next `count` SYNs reaching `server` are refused / lost.
  void RefuseConnects(const Node& server, int count);
  void DropSyns(const Node& server, int count);

  std::vector<ConnectionInfo> Connections();
  size_t open_connections();

  // --- For the process model (world.cc). ---

  // Detaches every socket and listener of `node`, as `kind` prescribes.
  void OnCrash(Node& node, CrashKind kind);
  // The machine is back: held segments and SYNs towards it go again, and
  // peers of connections that died with its power learn it.
  void OnPowerUp(Node& node);

  // --- For SimNetwork and the stream machinery (network.cc). ---

  // The ip that `host`, as seen from `from`, names; "" if none.
  std::string Resolve(const Node& from, absl::string_view host);
  std::shared_ptr<ListenerState> FindListener(const std::string& ip,
                                              uint16_t port);
  bool AddListener(const std::string& ip, uint16_t port,
                   std::shared_ptr<ListenerState> listener);
  void RemoveListener(const std::string& ip, uint16_t port);
  // A port on `ip` nobody listens on, from a per-ip counter.
  uint16_t EphemeralPort(const std::string& ip);

  // A seeded one-way latency for one segment from `from` to `to`.
  absl::Duration Latency(uint32_t from, uint32_t to);
  int64_t LatencyNs(uint32_t from, uint32_t to);
  // A seeded size for the next segment of `remaining` (> 0) bytes.
  size_t ChunkSize(size_t remaining);

  // Link state as the stream machinery needs it. A segment from `from` to
  // `to` can cross now unless the link is cut, the destination machine is
  // off, or it is swallowed.
  bool CanCross(uint32_t from, uint32_t to) const;
  bool Swallows(uint32_t from, uint32_t to) const;
  // When a segment sent now from `from` to `to` leaves (clogs).
  int64_t DepartureNs(uint32_t from, uint32_t to, int64_t now_ns) const;

  // Bookkeeping of connections and stalled senders.
  uint64_t Register(const std::shared_ptr<Connection>& conn);
  void MarkStalled(const std::shared_ptr<Endpoint>& e);
  void HoldSyn(const std::shared_ptr<ConnectOp>& op);
  // Consumes one refusal / lost SYN of `server`, if any is armed.
  bool TakeRefusal(uint32_t server);
  bool TakeSynDrop(uint32_t server);

 private:
  struct Link {
    int cut = 0;
    bool black_hole = false;
    int64_t clog_until_ns = 0;
    std::optional<LatencyModel> latency;
  };
  struct NodeFaults {
    int64_t clog_until_ns = 0;
    int refusals = 0;
    int syn_drops = 0;
  };
  static uint64_t LinkKey(uint32_t from, uint32_t to) {
    return (uint64_t{from} << 32) | to;
  }
  const Link* FindLink(uint32_t from, uint32_t to) const;
  Link& GetLink(uint32_t from, uint32_t to);
  NodeFaults& GetNode(uint32_t n);
  // Open connections, in id order (expired ones pruned).
  std::vector<std::shared_ptr<Connection>> Live();
  std::shared_ptr<Connection> ById(uint64_t id);
  // The path between a and b changed: releases what can go now and
  // updates the liveness of the connections between them.
  void PathsChanged(uint32_t a, uint32_t b);
  void ReleaseStalled();

  // A LatencyModel in nanoseconds, for the one last used.
  struct LatencyNsModel {
    int64_t base = 0;
    double tail_mean = 0;
    int64_t tail_max = 0;
    double spike_probability = 0;
    int64_t spike_min = 0;
    int64_t spike_max = 0;
  };

  World& world_;
  const NetworkOptions options_;
  const LatencyModel* cached_model_ = nullptr;
  LatencyNsModel cached_;
  std::map<std::pair<std::string, uint16_t>, std::shared_ptr<ListenerState>>
      listeners_;
  std::map<std::string, uint16_t> next_port_;
  // Looked up only: iteration order never matters.
  absl::flat_hash_map<uint64_t, Link> links_;
  std::vector<NodeFaults> node_faults_;
  // True while any link fault is set: the fast path skips lookups.
  bool any_link_state_ = false;
  uint64_t next_connection_id_ = 1;
  std::map<uint64_t, std::weak_ptr<Connection>> connections_;
  // Senders with segments waiting for a path, and SYNs waiting for one.
  std::map<std::pair<uint64_t, int>, std::weak_ptr<Endpoint>> stalled_;
  std::vector<std::shared_ptr<ConnectOp>> held_syns_;
};

// The Network of one node.
class SimNetwork final : public Network {
 public:
  SimNetwork(World& world, Node& node) : world_(world), node_(node) {}

  absl::StatusOr<std::unique_ptr<Listener>> Listen(
      const Address& address, AcceptCallback on_accept) override;
  void Connect(const Address& address, absl::Duration timeout,
               ConnectCallback done) override;

 private:
  World& world_;
  Node& node_;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_NETWORK_H_
