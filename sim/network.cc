#include "sim/network.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <deque>
#include <limits>

#include "absl/strings/str_cat.h"

namespace twinkv::sim {

struct ListenerState {
  Fabric* fabric = nullptr;
  std::string ip;
  uint16_t port = 0;
  uint32_t node = 0;
  Network::AcceptCallback on_accept;
  bool closed = false;
};

// A connection attempt, from the client's connect until its callback ran.
struct ConnectOp {
  World* world = nullptr;
  Fabric* fabric = nullptr;
  uint32_t client = 0;
  uint32_t server = 0;
  uint64_t client_incarnation = 0;
  std::string server_ip;
  uint16_t port = 0;
  std::string client_name;
  std::string server_name;
  int64_t first_sent_ns = 0;
  int attempt = 0;  // SYN retransmissions so far
  bool finished = false;
  TimerId timer = 0;
  Network::ConnectCallback done;

  bool ClientAlive() const {
    return world->node(client).incarnation() == client_incarnation &&
           world->node(client).up();
  }
  // Ends the attempt (once); the stream, if any, goes to the caller.
  void Finish(NetError error, std::unique_ptr<Stream> stream) {
    if (finished) return;
    finished = true;
    world->CancelTimer(timer);
    Network::ConnectCallback cb = std::move(done);
    std::move(cb)(error, std::move(stream));
  }
};

namespace {

constexpr uint64_t kNoCut = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kOpenWindow = std::numeric_limits<uint64_t>::max() / 2;
// Linux's tcp_syn_retries.
constexpr int kMaxSynRetries = 6;

struct Segment {
  enum Kind : uint8_t { kData, kFin, kRst, kAck, kSynAck };
  Kind kind = kData;
  uint32_t len = 0;   // kData
  uint64_t seq = 0;   // kData: first byte; kFin: stream end
  uint64_t ack = 0;   // kAck: bytes the sender of the ack received
  uint64_t edge = 0;  // kAck: the ack sender's window edge
};

EventKind KindOf(Segment::Kind kind) {
  switch (kind) {
    case Segment::kData:
      return EventKind::kData;
    case Segment::kFin:
      return EventKind::kFin;
    case Segment::kRst:
      return EventKind::kRst;
    case Segment::kAck:
      return EventKind::kAck;
    case Segment::kSynAck:
      return EventKind::kSynAck;
  }
  return EventKind::kData;
}

}  // namespace

// The bytes one end wrote that the other has not read yet: [base, base +
// buf.size()). Bytes stay here from Write to Read (acknowledgements only
// change the accounting), so each byte is copied twice: in and out.
struct Pipe {
  std::string buf;
  uint64_t base = 0;
};

// One end of a connection. Both ends live in one Connection, kept alive by
// the user's Stream objects and by every event that targets either end, so
// an end can always reach its peer.
struct Endpoint {
  Connection* conn = nullptr;
  Fabric* fabric = nullptr;
  World* world = nullptr;
  int side = 0;  // 0: the client end
  uint32_t node = 0;
  uint64_t incarnation = 0;
  std::string local_name;
  std::string peer_name;
  Endpoint* peer = nullptr;

  // Send side, in stream offsets.
  uint64_t accepted = 0;  // taken from the user's writes
  uint64_t snd_nxt = 0;   // put on the wire
  uint64_t snd_una = 0;   // acknowledged
  uint64_t snd_edge = 0;  // the peer's window: may send below this
  bool fin_pending = false;
  bool fin_sent = false;
  bool rst_sent = false;
  bool middlebox_rst = false;  // a dropped connection answered us already
  bool swallowing = false;     // a black hole ate our bytes: for good
  uint64_t cut_seq = kNoCut;   // a reset fault cuts our stream here
  std::deque<Segment> wire;    // in flight, in arrival order
  std::deque<Segment> held;    // waiting for a path
  int64_t held_since_ns = 0;
  int64_t last_arrival_ns = 0;

  // The user's outstanding write.
  bool write_pending = false;
  bool write_scheduled = false;  // its completion is queued
  NetError write_result = NetError::kOk;
  absl::string_view write_data;
  size_t write_off = 0;
  Stream::WriteCallback write_done;

  // Receive side.
  uint64_t rcv_nxt = 0;     // bytes arrived
  uint64_t read_total = 0;  // bytes the user read
  uint64_t advertised_edge = 0;
  bool fin_received = false;
  NetError failure = NetError::kOk;

  // User and kernel state.
  bool closed = false;  // the user closed it (or the kernel, for a kill)
  bool dead = false;    // its process crashed: no callback ever again
  bool gone = false;    // its kernel forgot the connection: segments for it
                        // draw a reset
  bool read_pending = false;
  bool read_scheduled = false;
  absl::Span<char> read_buf;
  Stream::ReadCallback read_done;

  // Liveness across a broken path.
  int64_t broken_since_ns = -1;
  TimerId liveness_timer = 0;

  uint64_t unread() const { return rcv_nxt - read_total; }
  bool usable() const {
    return !closed && !dead && !gone && failure == NetError::kOk;
  }
};

struct Connection {
  uint64_t id = 0;
  Endpoint ends[2];  // [0] the client, [1] the server
  Pipe pipes[2];     // pipes[i]: bytes ends[i] wrote
  bool dropped = false;
  // The attempt waiting for this connection's SYN-ACK.
  std::shared_ptr<ConnectOp> op;
};

namespace {

using EndpointPtr = std::shared_ptr<Endpoint>;

EndpointPtr End(const std::shared_ptr<Connection>& conn, int side) {
  return EndpointPtr(conn, &conn->ends[side]);  // aliases the connection
}
EndpointPtr PeerOf(const EndpointPtr& e) { return EndpointPtr(e, e->peer); }
Pipe& OutPipe(Endpoint& e) { return e.conn->pipes[e.side]; }
Pipe& InPipe(Endpoint& e) { return e.conn->pipes[1 - e.side]; }
Node& NodeOf(const Endpoint& e) { return e.world->node(e.node); }
int64_t NowNs(const Endpoint& e) { return NodeOf(e).LocalNowNs(); }
const NetworkOptions& Opts(const Endpoint& e) { return e.fabric->options(); }

// Drops the bytes of `pipe` from stream offset `end` on.
void TrimPipe(Pipe& pipe, uint64_t end) {
  if (end < pipe.base) end = pipe.base;
  if (end - pipe.base < pipe.buf.size()) pipe.buf.resize(end - pipe.base);
}

// Whether the sender waits for acknowledgements or window.
bool Blocked(const Endpoint& s) {
  return (s.write_pending && !s.write_scheduled) || s.snd_nxt < s.accepted ||
         (s.fin_pending && !s.fin_sent);
}

void Arrive(const EndpointPtr& from);
void Pump(const EndpointPtr& e, bool inline_ok);
void Fail(const EndpointPtr& e, NetError error, bool inline_ok,
          bool keep_in_flight = false);

// Puts `seg` on the wire from `e`, leaving at `depart_ns` (clogs permitting).
void Depart(const EndpointPtr& e, const Segment& seg, int64_t depart_ns) {
  Fabric& f = *e->fabric;
  World& world = *e->world;
  const uint32_t to = e->peer->node;
  if (e->swallowing || f.Swallows(e->node, to)) {
    // Acknowledged by the hole and never delivered; a stream with a gap is
    // useless, so the direction stays swallowed.
    if (seg.kind == Segment::kData && !e->swallowing) {
      e->swallowing = true;
      TrimPipe(OutPipe(*e), seg.seq);
      e->snd_una = e->snd_nxt;
      e->snd_edge = kOpenWindow;
    }
    return;
  }
  const int64_t leave = f.DepartureNs(e->node, to, depart_ns);
  const int64_t at = std::max(
      leave + f.LatencyNs(e->node, to),
      e->last_arrival_ns);
  e->last_arrival_ns = at;
  e->wire.push_back(seg);
  world.Enqueue(absl::Nanoseconds(at), to, KindOf(seg.kind),
                [e] { Arrive(e); },
                seg.kind == Segment::kData ? seg.len : 0);
}

// Marks `e` as on a broken path and arms its liveness check.
void NoteBroken(const EndpointPtr& e);

// Sends `seg` from `e` now, or holds it while the path is broken.
void Transmit(const EndpointPtr& e, const Segment& seg) {
  Fabric& f = *e->fabric;
  World& world = *e->world;
  if (e->conn->dropped) {
    // The middlebox that forgot us answers with a reset, once.
    if (!e->middlebox_rst) {
      e->middlebox_rst = true;
      const uint32_t to = e->peer->node;
      const absl::Duration rtt = f.Latency(e->node, to) + f.Latency(to, e->node);
      world.Enqueue(absl::Nanoseconds(NowNs(*e)) + rtt, e->node,
                    EventKind::kRst, [e] {
                      if (e->failure == NetError::kOk && !e->gone) {
                        Fail(e, NetError::kReset, true);
                      }
                    });
    }
    return;
  }
  if (!e->held.empty() || !f.CanCross(e->node, e->peer->node)) {
    if (e->held.empty()) e->held_since_ns = NowNs(*e);
    e->held.push_back(seg);
    f.MarkStalled(e);
    NoteBroken(e);
    return;
  }
  Depart(e, seg, NowNs(*e));
}

// Tells the sender (e's peer) how much `e` received and may still receive.
void SendAck(const EndpointPtr& r) {
  Endpoint& s = *r->peer;
  Fabric& f = *r->fabric;
  const uint64_t edge = r->read_total + Opts(*r).recv_buffer;
  const int64_t now = NowNs(*r);
  if (!Blocked(s) && r->held.empty() && !r->conn->dropped &&
      f.CanCross(r->node, s.node) && !f.Swallows(r->node, s.node) &&
      f.DepartureNs(r->node, s.node, now) == now) {
    // Nobody waits on it: take the shortcut.
    s.snd_una = std::max(s.snd_una, r->rcv_nxt);
    s.snd_edge = std::max(s.snd_edge, edge);
    r->advertised_edge = edge;
    return;
  }
  Segment seg;
  seg.kind = Segment::kAck;
  seg.ack = r->rcv_nxt;
  seg.edge = edge;
  r->advertised_edge = edge;
  Transmit(r, seg);
}

void CompleteRead(const EndpointPtr& ep) {
  Endpoint& e = *ep;
  if (e.closed || e.dead || !e.read_pending) return;
  NetError error;
  size_t n = 0;
  if (e.unread() > 0) {
    error = NetError::kOk;
    Pipe& pipe = InPipe(e);
    n = static_cast<size_t>(std::min<uint64_t>(e.read_buf.size(), e.unread()));
    std::memcpy(e.read_buf.data(), pipe.buf.data() + (e.read_total - pipe.base),
                n);
    e.read_total += n;
    const uint64_t consumed = e.read_total - pipe.base;
    if (consumed == pipe.buf.size()) {
      pipe.buf.clear();
      pipe.base = e.read_total;
    } else if (consumed >= 64 * 1024 && consumed * 2 >= pipe.buf.size()) {
      pipe.buf.erase(0, consumed);
      pipe.base = e.read_total;
    }
    // Window update: at once if the sender does not wait; as a segment when
    // it does and enough opened (receiver-side silly-window avoidance).
    Endpoint& s = *e.peer;
    const uint64_t edge = e.read_total + Opts(e).recv_buffer;
    if (e.failure == NetError::kOk &&
        (!Blocked(s) || edge - e.advertised_edge >= Opts(e).recv_buffer / 4 ||
         e.unread() == 0)) {
      SendAck(ep);
    }
  } else if (e.failure != NetError::kOk) {
    error = e.failure;
  } else if (e.fin_received) {
    error = NetError::kClosed;
  } else if (e.gone) {
    error = NetError::kReset;
  } else {
    return;  // nothing to report yet
  }
  Stream::ReadCallback done = std::move(e.read_done);
  e.read_pending = false;
  e.read_buf = {};
  std::move(done)(error, n);
}

// Completes a pending Read if it has something to report: inline when
// `inline_ok` (a kernel event of the node, never a user call) and the node
// can run, else from a process event of its own.
void MaybeCompleteRead(const EndpointPtr& e, bool inline_ok) {
  if (!e->read_pending || e->read_scheduled) return;
  if (e->unread() == 0 && !e->fin_received && e->failure == NetError::kOk &&
      !e->gone) {
    return;
  }
  Node& node = NodeOf(*e);
  if (inline_ok && node.runnable()) {
    CompleteRead(e);
    return;
  }
  e->read_scheduled = true;
  e->world->Enqueue(node.LocalNow(), e->node, EventKind::kReadDone, [e] {
    e->read_scheduled = false;
    CompleteRead(e);
  });
}

void FinishWrite(const EndpointPtr& ep) {
  Endpoint& e = *ep;
  e.write_scheduled = false;
  if (e.closed || e.dead || !e.write_pending) return;
  Stream::WriteCallback done = std::move(e.write_done);
  e.write_pending = false;
  e.write_data = {};
  std::move(done)(e.write_result);
}

void CompleteWrite(const EndpointPtr& e, NetError result, bool inline_ok) {
  if (!e->write_pending || e->write_scheduled) return;
  e->write_result = result;
  Node& node = NodeOf(*e);
  if (inline_ok && node.runnable()) {
    FinishWrite(e);
    return;
  }
  e->write_scheduled = true;
  e->world->Enqueue(node.LocalNow(), e->node, EventKind::kWriteDone,
                    [e] { FinishWrite(e); },
                    e->write_data.size());
}

// Moves the user's bytes into the send buffer and segments onto the wire as
// far as buffer and window allow; completes the write once all is in.
void Pump(const EndpointPtr& ep, bool inline_ok) {
  Endpoint& e = *ep;
  if (e.failure != NetError::kOk || e.gone) return;
  Fabric& f = *e.fabric;
  const size_t send_buffer = Opts(e).send_buffer;
  // Silly-window avoidance, as real stacks do it: a blocked writer takes
  // buffer space in batches, and a sender does not put sub-MSS segments on
  // the wire while acknowledgements are still to come, unless they end
  // what the user gave it. (Without it, each small ack frees a few bytes
  // that leave as a tiny segment, and bulk transfers crawl.)
  const size_t mss = std::min<size_t>(Opts(e).max_chunk, 1448);
  const size_t batch = std::max<size_t>(send_buffer / 4, 1);
  for (;;) {
    bool progress = false;
    if (e.write_pending && !e.write_scheduled) {
      const uint64_t used = e.accepted - e.snd_una;
      const size_t space = used >= send_buffer ? 0 : send_buffer - used;
      const size_t remaining = e.write_data.size() - e.write_off;
      const size_t n =
          space >= std::min(remaining, batch) ? std::min(space, remaining) : 0;
      if (n > 0) {
        if (!e.swallowing) {
          OutPipe(e).buf.append(e.write_data.data() + e.write_off, n);
        }
        e.accepted += n;
        e.write_off += n;
        progress = true;
      }
    }
    if (e.swallowing) {
      e.snd_nxt = e.snd_una = e.accepted;
    }
    while (e.snd_nxt < e.accepted && e.snd_nxt < e.snd_edge &&
           !e.swallowing) {
      const uint64_t room = std::min(e.accepted, e.snd_edge) - e.snd_nxt;
      const bool more_coming =
          e.write_pending && e.write_off < e.write_data.size();
      const bool tail = room == e.accepted - e.snd_nxt && !more_coming;
      if (room < mss && !tail && e.snd_nxt > e.snd_una) break;
      Segment seg;
      seg.kind = Segment::kData;
      seg.seq = e.snd_nxt;
      seg.len = static_cast<uint32_t>(f.ChunkSize(static_cast<size_t>(room)));
      e.snd_nxt += seg.len;
      Transmit(ep, seg);
      progress = true;
      // A black hole may have just swallowed the direction.
      if (e.swallowing) e.snd_nxt = e.snd_una = e.accepted;
    }
    if (!progress) break;
  }
  if (e.fin_pending && !e.fin_sent && e.snd_nxt == e.accepted) {
    e.fin_sent = true;
    Segment seg;
    seg.kind = Segment::kFin;
    seg.seq = e.snd_nxt;
    Transmit(ep, seg);
  }
  if (e.write_pending && !e.write_scheduled &&
      e.write_off == e.write_data.size()) {
    CompleteWrite(ep, NetError::kOk, inline_ok);
  }
}

void CancelLiveness(Endpoint& e) {
  if (e.liveness_timer != 0) e.world->CancelTimer(e.liveness_timer);
  e.liveness_timer = 0;
  e.broken_since_ns = -1;
}

// The end fails: its kernel forgot the connection (kTimedOut) or got a
// reset (kReset). Bytes that arrived before stay readable (Linux returns
// them before the error); what was not sent yet is discarded, and so are
// retransmissions unless `keep_in_flight`.
void Fail(const EndpointPtr& ep, NetError error, bool inline_ok,
          bool keep_in_flight) {
  Endpoint& e = *ep;
  if (e.failure != NetError::kOk) return;
  e.failure = error;
  if (error == NetError::kTimedOut) e.gone = true;
  if (!keep_in_flight) e.held.clear();
  e.accepted = e.snd_nxt;
  TrimPipe(OutPipe(e), e.snd_nxt);
  CancelLiveness(e);
  if (e.write_pending && !e.write_scheduled) {
    CompleteWrite(ep, error, inline_ok);
  }
  MaybeCompleteRead(ep, inline_ok);
}

bool PathBroken(const Endpoint& e) {
  const Endpoint& p = *e.peer;
  const Fabric& f = *e.fabric;
  return e.conn->dropped || p.gone || !f.CanCross(e.node, p.node) ||
         !f.CanCross(p.node, e.node);
}

// Whether a segment from `e` would draw a reset now (the peer's kernel is
// back without the connection, or a middlebox forgot it).
bool PeerWouldReset(const Endpoint& e) {
  const Endpoint& p = *e.peer;
  const Fabric& f = *e.fabric;
  if (!f.CanCross(e.node, p.node) || !f.CanCross(p.node, e.node)) return false;
  return e.conn->dropped || p.gone;
}

int64_t NextRetryNs(int64_t since, int64_t now, absl::Duration first,
                    absl::Duration cap) {
  int64_t interval = std::max<int64_t>(1, absl::ToInt64Nanoseconds(first));
  const int64_t max_interval = absl::ToInt64Nanoseconds(cap);
  int64_t t = since + interval;
  while (t < now) {
    interval = std::min(interval * 2, max_interval);
    t += interval;
  }
  return t;
}

void CheckLiveness(const EndpointPtr& ep);

void ArmLiveness(const EndpointPtr& ep, int64_t at_ns) {
  Endpoint& e = *ep;
  if (e.liveness_timer != 0) e.world->CancelTimer(e.liveness_timer);
  e.liveness_timer = e.world->AddTimer(
      absl::Nanoseconds(std::max(at_ns, NowNs(e))), e.node,
      EventKind::kNetTimer, [ep] { CheckLiveness(ep); });
}

// When the next liveness verdict for `e` can change.
int64_t NextLivenessCheck(const Endpoint& e, int64_t now) {
  const NetworkOptions& o = Opts(e);
  const int64_t rto_deadline =
      e.broken_since_ns + absl::ToInt64Nanoseconds(o.retransmit_timeout);
  int64_t next = std::numeric_limits<int64_t>::max();
  if (rto_deadline > now) next = rto_deadline;
  if (o.keepalive_timeout != absl::InfiniteDuration()) {
    const int64_t ka =
        e.broken_since_ns + absl::ToInt64Nanoseconds(o.keepalive_timeout);
    if (ka > now) next = std::min(next, ka);
  }
  // A peer that would answer with a reset is found at the next
  // retransmission.
  if (PeerWouldReset(e)) {
    next = std::min(next, NextRetryNs(e.broken_since_ns, now + 1, o.rto_min,
                                      o.rto_max));
  }
  return next;
}

void NoteBroken(const EndpointPtr& ep) {
  Endpoint& e = *ep;
  // Only an end someone may still read or write has anything to learn.
  if (!e.usable()) return;
  const int64_t now = NowNs(e);
  if (e.broken_since_ns < 0) e.broken_since_ns = now;
  if (e.liveness_timer != 0) return;
  const int64_t next = NextLivenessCheck(e, now);
  if (next != std::numeric_limits<int64_t>::max()) ArmLiveness(ep, next);
}

void CheckLiveness(const EndpointPtr& ep) {
  Endpoint& e = *ep;
  e.liveness_timer = 0;
  if (e.closed || e.dead || e.gone || e.failure != NetError::kOk) return;
  if (!PathBroken(e)) {
    e.broken_since_ns = -1;
    return;
  }
  const NetworkOptions& o = Opts(e);
  const int64_t now = NowNs(e);
  const int64_t elapsed = now - e.broken_since_ns;
  const bool waiting = e.snd_una < e.snd_nxt || !e.held.empty();
  const bool would_reset = PeerWouldReset(e);
  if (waiting && would_reset) {
    Fail(ep, NetError::kReset, true);
    return;
  }
  if (waiting && elapsed >= absl::ToInt64Nanoseconds(o.retransmit_timeout)) {
    Fail(ep, NetError::kTimedOut, true);
    return;
  }
  if (o.keepalive_timeout != absl::InfiniteDuration() &&
      elapsed >= absl::ToInt64Nanoseconds(o.keepalive_timeout)) {
    Fail(ep, would_reset ? NetError::kReset : NetError::kTimedOut, true);
    return;
  }
  const int64_t next = NextLivenessCheck(e, now);
  if (next != std::numeric_limits<int64_t>::max()) ArmLiveness(ep, next);
}

// A reset reaches `r`.
void ApplyRst(const EndpointPtr& r) {
  if (r->closed || r->failure != NetError::kOk) return;
  Fail(r, NetError::kReset, true);
}

void OnSynAck(const EndpointPtr& c);

// The segment at the front of `from`'s wire reaches the peer.
void Arrive(const EndpointPtr& from) {
  assert(!from->wire.empty());
  const Segment seg = from->wire.front();
  from->wire.pop_front();
  Endpoint& s = *from;
  EndpointPtr to = PeerOf(from);
  Endpoint& r = *to;
  if (!NodeOf(r).powered()) {
    // Lost at a dead machine; the sender's liveness check (armed at the
    // crash) decides what it learns.
    NoteBroken(from);
    return;
  }
  if (r.gone) {
    // The kernel does not know this connection any more.
    if (seg.kind != Segment::kRst && seg.kind != Segment::kAck) {
      Segment rst;
      rst.kind = Segment::kRst;
      Transmit(to, rst);
    }
    return;
  }
  switch (seg.kind) {
    case Segment::kData: {
      if (r.closed) {
        // Bytes for a closed socket: Linux answers with a reset.
        if (!r.rst_sent && r.failure == NetError::kOk) {
          r.rst_sent = true;
          Segment rst;
          rst.kind = Segment::kRst;
          Transmit(to, rst);
        }
        return;
      }
      if (r.failure != NetError::kOk) return;
      const uint64_t end = seg.seq + seg.len;
      if (s.cut_seq < end) {
        // The reset fault's cut: what lies before it arrives, then the RST.
        r.rcv_nxt = std::max(r.rcv_nxt, std::max(s.cut_seq, seg.seq));
        ApplyRst(to);
        return;
      }
      assert(seg.seq == r.rcv_nxt);
      r.rcv_nxt = end;
      SendAck(to);
      break;
    }
    case Segment::kFin:
      if (r.closed || r.failure != NetError::kOk) return;
      if (s.cut_seq <= seg.seq) {
        ApplyRst(to);
        return;
      }
      r.fin_received = true;
      break;
    case Segment::kRst:
      ApplyRst(to);
      return;
    case Segment::kAck:
      if (r.failure != NetError::kOk) return;
      r.snd_una = std::max(r.snd_una, std::min(seg.ack, r.snd_nxt));
      r.snd_edge = std::max(r.snd_edge, seg.edge);
      Pump(to, true);
      return;
    case Segment::kSynAck:
      OnSynAck(to);
      return;
  }
  MaybeCompleteRead(to, true);
}

void CloseEndpoint(const EndpointPtr& ep) {
  Endpoint& e = *ep;
  if (e.closed) return;
  e.closed = true;
  // Destroyed at the end, when the endpoint is consistent: the callbacks
  // may own the stream being closed.
  Stream::ReadCallback dropped_read = std::move(e.read_done);
  Stream::WriteCallback dropped_write = std::move(e.write_done);
  e.read_pending = false;
  e.read_buf = {};
  e.write_pending = false;
  e.write_data = {};
  CancelLiveness(e);
  if (e.failure == NetError::kOk && !e.gone && !e.dead) {
    if (e.unread() > 0) {
      // Closing with unread input resets the connection (Linux), and
      // discards what was not sent yet.
      e.rst_sent = true;
      e.accepted = e.snd_nxt;
      TrimPipe(OutPipe(e), e.snd_nxt);
      Segment rst;
      rst.kind = Segment::kRst;
      Transmit(ep, rst);
    } else {
      // The kernel still sends what it accepted, then the FIN.
      e.fin_pending = true;
      Pump(ep, false);
    }
  }
  e.read_total = e.rcv_nxt;
  Pipe& in = InPipe(e);
  in.buf.clear();
  in.base = e.read_total;
}

class SimStream final : public Stream {
 public:
  explicit SimStream(EndpointPtr e) : e_(std::move(e)) {}
  ~SimStream() override { Close(); }

  void Read(absl::Span<char> buf, ReadCallback done) override {
    assert(!buf.empty());
    if (e_->closed || e_->dead) return;
    assert(!e_->read_pending);  // at most one outstanding Read
    e_->read_pending = true;
    e_->read_buf = buf;
    e_->read_done = std::move(done);
    MaybeCompleteRead(e_, false);
  }

  void Write(absl::string_view data, WriteCallback done) override {
    if (e_->closed || e_->dead) return;
    assert(!e_->write_pending);  // at most one outstanding Write
    e_->write_pending = true;
    e_->write_done = std::move(done);
    e_->write_data = data;
    e_->write_off = 0;
    if (e_->failure != NetError::kOk || e_->gone) {
      CompleteWrite(e_,
                    e_->failure != NetError::kOk ? e_->failure
                                                 : NetError::kReset,
                    false);
      return;
    }
    Pump(e_, false);
  }

  void Close() override {
    EndpointPtr keep = e_;
    CloseEndpoint(keep);
  }

  std::string PeerName() const override { return e_->peer_name; }
  std::string LocalName() const override { return e_->local_name; }

 private:
  EndpointPtr e_;
};

class SimListener final : public Listener {
 public:
  explicit SimListener(std::shared_ptr<ListenerState> state)
      : state_(std::move(state)) {}
  ~SimListener() override { Close(); }
  uint16_t port() const override { return state_->port; }
  void Close() override {
    if (state_->closed) return;
    state_->closed = true;
    state_->fabric->RemoveListener(state_->ip, state_->port);
  }

 private:
  std::shared_ptr<ListenerState> state_;
};

bool IsLoopback(absl::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

// Runs `op`'s callback on the client: now if it can run, else from a
// process event (which a crash drops).
void DeliverConnect(const std::shared_ptr<ConnectOp>& op, NetError error,
                    std::shared_ptr<Connection> conn) {
  Node& client = op->world->node(op->client);
  auto finish = [op, error, conn = std::move(conn)]() mutable {
    // A crashed client's end was detached with its process.
    if (!op->ClientAlive()) return;
    if (op->finished) {
      if (conn != nullptr) {
        // Nobody wants this connection any more: its kernel hung up.
        EndpointPtr c = End(conn, 0);
        c->gone = true;
        Segment rst;
        rst.kind = Segment::kRst;
        Transmit(c, rst);
      }
      return;
    }
    if (conn == nullptr) {
      op->Finish(error, nullptr);
    } else {
      op->Finish(NetError::kOk, std::make_unique<SimStream>(End(conn, 0)));
    }
  };
  if (client.runnable()) {
    finish();
  } else {
    op->world->Enqueue(client.LocalNow(), op->client, EventKind::kConnectDone,
                       std::move(finish));
  }
}

void OnSynAck(const EndpointPtr& c) {
  std::shared_ptr<ConnectOp> op = std::move(c->conn->op);
  c->conn->op = nullptr;
  if (op == nullptr) return;
  // Aliasing: the connection itself, kept alive by `c`.
  std::shared_ptr<Connection> conn(c, c->conn);
  DeliverConnect(op, NetError::kOk, std::move(conn));
}

void SendSyn(const std::shared_ptr<ConnectOp>& op);

// The SYN was lost: the client's kernel sends it again later.
void RetrySyn(const std::shared_ptr<ConnectOp>& op) {
  World& world = *op->world;
  if (++op->attempt > kMaxSynRetries) {
    if (op->ClientAlive()) DeliverConnect(op, NetError::kTimedOut, nullptr);
    return;
  }
  const int64_t rto = absl::ToInt64Nanoseconds(op->fabric->options().syn_rto);
  // Attempt k leaves at first + rto * (2^k - 1).
  const int64_t at =
      op->first_sent_ns + rto * ((int64_t{1} << op->attempt) - 1);
  world.Enqueue(absl::Nanoseconds(std::max(at, absl::ToInt64Nanoseconds(
                                                   world.now()))),
                op->client, EventKind::kNetTimer, [op] { SendSyn(op); });
}

void OnSyn(const std::shared_ptr<ConnectOp>& op) {
  World& world = *op->world;
  Fabric& fabric = *op->fabric;
  if (op->finished || !op->ClientAlive()) return;
  Node& server = world.node(op->server);
  if (!server.powered()) {
    fabric.HoldSyn(op);
    return;
  }
  if (fabric.TakeSynDrop(op->server)) {
    RetrySyn(op);
    return;
  }
  std::shared_ptr<ListenerState> listener =
      fabric.FindListener(op->server_ip, op->port);
  if (listener == nullptr || listener->closed ||
      fabric.TakeRefusal(op->server)) {
    // The server's kernel answers with a reset; if that cannot come back,
    // the client only sees a lost SYN.
    if (!fabric.CanCross(op->server, op->client)) {
      fabric.HoldSyn(op);
      return;
    }
    const int64_t now = absl::ToInt64Nanoseconds(world.now());
    const int64_t at =
        fabric.DepartureNs(op->server, op->client, now) +
        fabric.LatencyNs(op->server, op->client);
    world.Enqueue(absl::Nanoseconds(at), op->client, EventKind::kSynAck,
                  [op] {
                    if (!op->ClientAlive()) return;
                    DeliverConnect(op, NetError::kRefused, nullptr);
                  });
    return;
  }
  auto conn = std::make_shared<Connection>();
  Endpoint& c = conn->ends[0];
  Endpoint& s = conn->ends[1];
  for (int side = 0; side < 2; ++side) {
    Endpoint& e = conn->ends[side];
    e.conn = conn.get();
    e.fabric = &fabric;
    e.world = &world;
    e.side = side;
    e.snd_edge = fabric.options().recv_buffer;
    e.advertised_edge = fabric.options().recv_buffer;
  }
  c.node = op->client;
  c.incarnation = op->client_incarnation;
  s.node = op->server;
  s.incarnation = server.incarnation();
  c.local_name = s.peer_name = op->client_name;
  c.peer_name = s.local_name = op->server_name;
  c.peer = &s;
  s.peer = &c;
  conn->op = op;
  conn->id = fabric.Register(conn);
  // The answer goes back like any segment, and nothing the server sends
  // overtakes it.
  Segment syn_ack;
  syn_ack.kind = Segment::kSynAck;
  Transmit(End(conn, 1), syn_ack);
  auto accept = [listener, stream = End(conn, 1)]() mutable {
    if (listener->closed) {
      // Queued for a listener that went away: the kernel resets it.
      stream->closed = true;
      stream->rst_sent = true;
      Segment rst;
      rst.kind = Segment::kRst;
      Transmit(stream, rst);
      return;
    }
    listener->on_accept(std::make_unique<SimStream>(std::move(stream)));
  };
  if (server.runnable()) {
    accept();
  } else {
    world.Enqueue(server.LocalNow(), op->server, EventKind::kAccept,
                  std::move(accept));
  }
}

void SendSyn(const std::shared_ptr<ConnectOp>& op) {
  World& world = *op->world;
  Fabric& fabric = *op->fabric;
  if (op->finished || !op->ClientAlive()) return;
  if (!fabric.CanCross(op->client, op->server)) {
    fabric.HoldSyn(op);
    return;
  }
  if (fabric.Swallows(op->client, op->server)) return;  // never answered
  const int64_t now = world.node(op->client).LocalNowNs();
  const int64_t at =
      fabric.DepartureNs(op->client, op->server, now) +
      fabric.LatencyNs(op->client, op->server);
  world.Enqueue(absl::Nanoseconds(at), op->server, EventKind::kSyn,
                [op] { OnSyn(op); });
}

}  // namespace

// ---------------------------------------------------------------------------
// Fabric

Fabric::Fabric(World& world)
    : world_(world), options_(world.options().network) {}

Fabric::~Fabric() = default;

std::string Fabric::Resolve(const Node& from, absl::string_view host) {
  if (IsLoopback(host)) return from.ip();
  Node* node = world_.FindNode(host);
  return node == nullptr ? std::string() : node->ip();
}

std::shared_ptr<ListenerState> Fabric::FindListener(const std::string& ip,
                                                    uint16_t port) {
  auto it = listeners_.find({ip, port});
  return it == listeners_.end() ? nullptr : it->second;
}

bool Fabric::AddListener(const std::string& ip, uint16_t port,
                         std::shared_ptr<ListenerState> listener) {
  return listeners_.emplace(std::make_pair(ip, port), std::move(listener))
      .second;
}

void Fabric::RemoveListener(const std::string& ip, uint16_t port) {
  listeners_.erase({ip, port});
}

uint16_t Fabric::EphemeralPort(const std::string& ip) {
  // Linux's default ip_local_port_range.
  constexpr uint16_t kFirst = 32768, kLast = 60999;
  uint16_t& next = next_port_.try_emplace(ip, kFirst).first->second;
  for (;;) {
    const uint16_t port = next;
    next = next == kLast ? kFirst : next + 1;
    if (listeners_.find({ip, port}) == listeners_.end()) return port;
  }
}

const Fabric::Link* Fabric::FindLink(uint32_t from, uint32_t to) const {
  if (!any_link_state_) return nullptr;
  auto it = links_.find(LinkKey(from, to));
  return it == links_.end() ? nullptr : &it->second;
}

Fabric::Link& Fabric::GetLink(uint32_t from, uint32_t to) {
  any_link_state_ = true;
  cached_model_ = nullptr;  // models may move or change
  return links_[LinkKey(from, to)];
}

Fabric::NodeFaults& Fabric::GetNode(uint32_t n) {
  if (node_faults_.size() <= n) node_faults_.resize(n + 1);
  return node_faults_[n];
}

absl::Duration Fabric::Latency(uint32_t from, uint32_t to) {
  return absl::Nanoseconds(LatencyNs(from, to));
}

int64_t Fabric::LatencyNs(uint32_t from, uint32_t to) {
  // In nanoseconds and doubles: this runs once per segment.
  const Link* link = FindLink(from, to);
  const LatencyModel& m =
      link != nullptr && link->latency ? *link->latency : options_.latency;
  if (&m != cached_model_) {
    cached_model_ = &m;
    cached_ = {absl::ToInt64Nanoseconds(m.base),
               absl::ToDoubleNanoseconds(m.tail_mean),
               absl::ToInt64Nanoseconds(m.tail_max),
               m.spike_probability,
               absl::ToInt64Nanoseconds(m.spike_min),
               absl::ToInt64Nanoseconds(m.spike_max)};
  }
  Random& random = world_.network_random();
  int64_t d = cached_.base;
  if (cached_.tail_mean > 0) {
    const double tail = ExponentialUnit(random) * cached_.tail_mean;
    d += tail >= static_cast<double>(cached_.tail_max)
             ? cached_.tail_max
             : static_cast<int64_t>(tail);
  }
  if (cached_.spike_probability > 0 &&
      random.Bernoulli(cached_.spike_probability)) {
    const int64_t span = std::max<int64_t>(0, cached_.spike_max - cached_.spike_min);
    d += cached_.spike_min +
         static_cast<int64_t>(random.Uniform(static_cast<uint64_t>(span) + 1));
  }
  return d;
}

size_t Fabric::ChunkSize(size_t remaining) {
  const size_t cap = std::min(remaining, options_.max_chunk);
  if (cap <= 1) return cap;
  Random& random = world_.network_random();
  // A quarter of the chunks are as large as allowed, the rest uniform: many
  // writes arrive whole, many are torn at arbitrary bytes.
  if (random.Uniform(4) == 0) return cap;
  return 1 + random.Uniform(cap);
}

bool Fabric::CanCross(uint32_t from, uint32_t to) const {
  if (!world_.node(to).powered()) return false;
  if (from == to) return true;
  const Link* link = FindLink(from, to);
  return link == nullptr || link->cut == 0;
}

bool Fabric::Swallows(uint32_t from, uint32_t to) const {
  if (from == to) return false;
  const Link* link = FindLink(from, to);
  return link != nullptr && link->black_hole;
}

int64_t Fabric::DepartureNs(uint32_t from, uint32_t to, int64_t now_ns) const {
  if (!any_link_state_ || from == to) return now_ns;
  int64_t t = now_ns;
  if (from < node_faults_.size()) t = std::max(t, node_faults_[from].clog_until_ns);
  if (to < node_faults_.size()) t = std::max(t, node_faults_[to].clog_until_ns);
  if (const Link* link = FindLink(from, to)) t = std::max(t, link->clog_until_ns);
  return t;
}

uint64_t Fabric::Register(const std::shared_ptr<Connection>& conn) {
  const uint64_t id = next_connection_id_++;
  if (id % 64 == 0) {
    for (auto it = connections_.begin(); it != connections_.end();) {
      it = it->second.expired() ? connections_.erase(it) : std::next(it);
    }
  }
  connections_.emplace(id, conn);
  return id;
}

void Fabric::MarkStalled(const std::shared_ptr<Endpoint>& e) {
  stalled_.emplace(std::make_pair(e->conn->id, e->side), e);
}

void Fabric::HoldSyn(const std::shared_ptr<ConnectOp>& op) {
  held_syns_.push_back(op);
}

bool Fabric::TakeRefusal(uint32_t server) {
  NodeFaults& n = GetNode(server);
  if (n.refusals == 0) return false;
  --n.refusals;
  return true;
}

bool Fabric::TakeSynDrop(uint32_t server) {
  NodeFaults& n = GetNode(server);
  if (n.syn_drops == 0) return false;
  --n.syn_drops;
  return true;
}

std::vector<std::shared_ptr<Connection>> Fabric::Live() {
  std::vector<std::shared_ptr<Connection>> out;
  for (auto it = connections_.begin(); it != connections_.end();) {
    std::shared_ptr<Connection> conn = it->second.lock();
    if (conn == nullptr) {
      it = connections_.erase(it);
      continue;
    }
    out.push_back(std::move(conn));
    ++it;
  }
  return out;
}

std::shared_ptr<Connection> Fabric::ById(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.lock();
}

namespace {

bool IsOpen(const Connection& conn) {
  return conn.ends[0].usable() && conn.ends[1].usable() && !conn.dropped;
}

}  // namespace

std::vector<ConnectionInfo> Fabric::Connections() {
  std::vector<ConnectionInfo> out;
  for (const auto& conn : Live()) {
    ConnectionInfo info;
    info.id = conn->id;
    info.client_node = conn->ends[0].node;
    info.server_node = conn->ends[1].node;
    info.client_name = conn->ends[0].local_name;
    info.server_name = conn->ends[1].local_name;
    info.client_to_server = conn->ends[1].rcv_nxt;
    info.server_to_client = conn->ends[0].rcv_nxt;
    info.open = IsOpen(*conn);
    out.push_back(std::move(info));
  }
  return out;
}

size_t Fabric::open_connections() {
  size_t n = 0;
  for (const auto& conn : Live()) n += IsOpen(*conn);
  return n;
}

void Fabric::ReleaseStalled() {
  const int64_t now = absl::ToInt64Nanoseconds(world_.now());
  auto stalled = std::move(stalled_);
  stalled_.clear();
  for (auto& [key, weak] : stalled) {
    EndpointPtr e = weak.lock();
    if (e == nullptr || e->held.empty()) continue;
    if (!CanCross(e->node, e->peer->node)) {
      stalled_.emplace(key, std::move(weak));
      continue;
    }
    // Delivered by the next retransmission, in order.
    const int64_t retry =
        NextRetryNs(e->held_since_ns, now, options_.rto_min, options_.rto_max);
    std::deque<Segment> held = std::move(e->held);
    e->held.clear();
    for (const Segment& seg : held) Depart(e, seg, retry);
  }
  std::vector<std::shared_ptr<ConnectOp>> syns = std::move(held_syns_);
  held_syns_.clear();
  for (auto& op : syns) {
    if (op->finished || !op->ClientAlive()) continue;
    if (!CanCross(op->client, op->server) || !world_.node(op->server).powered()) {
      held_syns_.push_back(std::move(op));
      continue;
    }
    // The next SYN retransmission goes through.
    const int64_t rto = absl::ToInt64Nanoseconds(options_.syn_rto);
    int64_t at = op->first_sent_ns;
    int attempt = op->attempt;
    do {
      ++attempt;
      at = op->first_sent_ns + rto * ((int64_t{1} << attempt) - 1);
    } while (at < now && attempt <= kMaxSynRetries);
    if (attempt > kMaxSynRetries) {
      DeliverConnect(op, NetError::kTimedOut, nullptr);
      continue;
    }
    op->attempt = attempt;
    world_.Enqueue(absl::Nanoseconds(at), op->client, EventKind::kNetTimer,
                   [op] { SendSyn(op); });
  }
}

void Fabric::PathsChanged(uint32_t a, uint32_t b) {
  for (const auto& conn : Live()) {
    const uint32_t x = conn->ends[0].node, y = conn->ends[1].node;
    if (!((x == a && y == b) || (x == b && y == a))) continue;
    for (int side = 0; side < 2; ++side) {
      EndpointPtr e = End(conn, side);
      if (PathBroken(*e)) {
        NoteBroken(e);
      } else if (e->broken_since_ns >= 0) {
        CancelLiveness(*e);
      }
    }
  }
  ReleaseStalled();
}

void Fabric::Partition(const Node& a, const Node& b, bool one_way) {
  if (a.id() == b.id()) return;
  ++GetLink(a.id(), b.id()).cut;
  if (!one_way) ++GetLink(b.id(), a.id()).cut;
  PathsChanged(a.id(), b.id());
}

void Fabric::Heal(const Node& a, const Node& b, bool one_way) {
  if (a.id() == b.id()) return;
  Link& ab = GetLink(a.id(), b.id());
  if (ab.cut > 0) --ab.cut;
  if (!one_way) {
    Link& ba = GetLink(b.id(), a.id());
    if (ba.cut > 0) --ba.cut;
  }
  PathsChanged(a.id(), b.id());
}

void Fabric::Isolate(const Node& n) {
  for (size_t i = 0; i < world_.node_count(); ++i) {
    if (i != n.id()) Partition(n, world_.node(static_cast<uint32_t>(i)));
  }
}

void Fabric::Rejoin(const Node& n) {
  for (size_t i = 0; i < world_.node_count(); ++i) {
    if (i != n.id()) Heal(n, world_.node(static_cast<uint32_t>(i)));
  }
}

void Fabric::HealAll() {
  for (auto& [key, link] : links_) {
    link.cut = 0;
    link.black_hole = false;
  }
  // Armed refusals and SYN losses are faults too; healed, connects work.
  for (NodeFaults& f : node_faults_) {
    f.refusals = 0;
    f.syn_drops = 0;
  }
  for (const auto& conn : Live()) {
    for (int side = 0; side < 2; ++side) {
      EndpointPtr e = End(conn, side);
      if (e->broken_since_ns >= 0 && !PathBroken(*e)) CancelLiveness(*e);
    }
  }
  ReleaseStalled();
}

bool Fabric::IsCut(const Node& from, const Node& to) const {
  const Link* link = FindLink(from.id(), to.id());
  return link != nullptr && link->cut > 0;
}

void Fabric::ClogNode(const Node& n, absl::Duration d) {
  any_link_state_ = true;
  NodeFaults& f = GetNode(n.id());
  f.clog_until_ns = std::max(f.clog_until_ns,
                             absl::ToInt64Nanoseconds(world_.now() + d));
}

void Fabric::ClogLink(const Node& a, const Node& b, absl::Duration d) {
  Link& link = GetLink(a.id(), b.id());
  link.clog_until_ns = std::max(link.clog_until_ns,
                                absl::ToInt64Nanoseconds(world_.now() + d));
}

void Fabric::BlackHole(const Node& a, const Node& b, bool on) {
  if (a.id() == b.id()) return;
  GetLink(a.id(), b.id()).black_hole = on;
}

void Fabric::SetLinkLatency(const Node& a, const Node& b,
                            const LatencyModel& model) {
  GetLink(a.id(), b.id()).latency = model;
}

void Fabric::RefuseConnects(const Node& server, int count) {
  GetNode(server.id()).refusals += std::max(count, 0);
}

void Fabric::DropSyns(const Node& server, int count) {
  GetNode(server.id()).syn_drops += std::max(count, 0);
}

namespace {

std::shared_ptr<Connection> Pick(
    const std::vector<std::shared_ptr<Connection>>& live, uint64_t pick) {
  std::vector<const std::shared_ptr<Connection>*> open;
  for (const auto& conn : live) {
    if (IsOpen(*conn)) open.push_back(&conn);
  }
  if (open.empty()) return nullptr;
  return *open[pick % open.size()];
}

}  // namespace

bool Fabric::ResetConnection(uint64_t pick) {
  std::shared_ptr<Connection> conn = Pick(Live(), pick);
  if (conn == nullptr) return false;
  // Independent bits: the low ones chose the connection.
  const uint64_t mixed = Mix64(pick);
  return ResetConnectionById(conn->id, static_cast<int>(mixed & 1),
                             mixed >> 1);
}

bool Fabric::ResetConnectionById(uint64_t id, int side, uint64_t cut) {
  std::shared_ptr<Connection> conn = ById(id);
  if (conn == nullptr || !IsOpen(*conn)) return false;
  EndpointPtr e = End(conn, side & 1);
  const Endpoint& p = *e->peer;
  // Somewhere in what is in flight (or right after it).
  const uint64_t lo = p.rcv_nxt, hi = e->snd_nxt;
  const uint64_t span = hi - lo;
  e->cut_seq = lo + (span == 0 ? 0 : cut % (span + 1));
  if (e->cut_seq >= e->snd_nxt) {
    // Nothing in flight crosses the cut: a reset follows what is.
    Segment rst;
    rst.kind = Segment::kRst;
    Transmit(e, rst);
  }
  // The owner learns at once; what it had in flight keeps going so that
  // the segment crossing the cut carries the reset to the peer.
  Fail(e, NetError::kReset, false, /*keep_in_flight=*/true);
  return true;
}

bool Fabric::DropConnection(uint64_t pick) {
  std::shared_ptr<Connection> conn = Pick(Live(), pick);
  return conn != nullptr && DropConnectionById(conn->id);
}

bool Fabric::DropConnectionById(uint64_t id) {
  std::shared_ptr<Connection> conn = ById(id);
  if (conn == nullptr || !IsOpen(*conn)) return false;
  conn->dropped = true;
  NoteBroken(End(conn, 0));
  NoteBroken(End(conn, 1));
  return true;
}

bool Fabric::BlackHoleConnection(uint64_t pick) {
  std::shared_ptr<Connection> conn = Pick(Live(), pick);
  return conn != nullptr &&
         BlackHoleConnectionById(conn->id, static_cast<int>(Mix64(pick) & 1));
}

bool Fabric::BlackHoleConnectionById(uint64_t id, int side) {
  std::shared_ptr<Connection> conn = ById(id);
  if (conn == nullptr || !IsOpen(*conn)) return false;
  EndpointPtr e = End(conn, side & 1);
  if (e->swallowing) return true;
  // Bytes already on their way still arrive; nothing after them will.
  e->swallowing = true;
  e->accepted = std::max(e->accepted, e->snd_nxt);
  TrimPipe(OutPipe(*e), e->snd_nxt);
  e->snd_nxt = e->snd_una = e->accepted;
  e->snd_edge = kOpenWindow;
  Pump(e, false);
  return true;
}

void Fabric::OnCrash(Node& node, CrashKind kind) {
  // Listeners go with the process.
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (it->second->node == node.id()) {
      it->second->closed = true;
      it = listeners_.erase(it);
    } else {
      ++it;
    }
  }
  // Callbacks are destroyed last, once every endpoint is consistent.
  std::vector<Stream::ReadCallback> dead_reads;
  std::vector<Stream::WriteCallback> dead_writes;
  std::vector<EndpointPtr> peers;
  for (const auto& conn : Live()) {
    if (conn->op != nullptr && conn->ends[0].node == node.id()) {
      conn->op = nullptr;
    }
    for (int side = 0; side < 2; ++side) {
      EndpointPtr e = End(conn, side);
      if (e->node != node.id() || e->gone) continue;
      // A power cut after a kill still wipes the kernel's sockets.
      if (e->dead && kind == CrashKind::kKill) continue;
      e->dead = true;
      dead_reads.push_back(std::move(e->read_done));
      dead_writes.push_back(std::move(e->write_done));
      e->read_pending = e->read_scheduled = false;
      e->write_pending = e->write_scheduled = false;
      e->write_data = {};
      e->read_buf = {};
      CancelLiveness(*e);
      if (kind == CrashKind::kKill) {
        // The kernel closes the socket as close(2) would.
        if (!e->closed) {
          e->dead = false;  // CloseEndpoint skips dead ends
          CloseEndpoint(e);
          e->dead = true;
        }
      } else {
        // Power cut: the socket vanishes without a word.
        e->closed = true;
        e->gone = true;
        e->held.clear();
        e->accepted = e->snd_nxt;
        TrimPipe(OutPipe(*e), e->snd_nxt);
        if (e->peer->node != node.id()) peers.push_back(PeerOf(e));
      }
    }
  }
  for (const EndpointPtr& p : peers) NoteBroken(p);
}

void Fabric::OnPowerUp(Node& node) {
  const int64_t now = absl::ToInt64Nanoseconds(world_.now());
  for (const auto& conn : Live()) {
    for (int side = 0; side < 2; ++side) {
      EndpointPtr e = End(conn, side);
      if (e->node != node.id() || !e->gone) continue;
      // Its peer learns at its next retransmission or keepalive probe.
      EndpointPtr p = PeerOf(e);
      if (p->broken_since_ns >= 0 && p->usable()) {
        ArmLiveness(p, NextLivenessCheck(*p, now));
      }
    }
  }
  ReleaseStalled();
}

// ---------------------------------------------------------------------------
// SimNetwork

absl::StatusOr<std::unique_ptr<Listener>> SimNetwork::Listen(
    const Address& address, AcceptCallback on_accept) {
  const std::string& host = address.host;
  if (!(host.empty() || host == "0.0.0.0" || host == "::" || IsLoopback(host) ||
        host == node_.ip() || host == node_.name())) {
    return absl::UnavailableError(absl::StrCat(
        "listen ", host, ":", address.port, ": Cannot assign requested address"));
  }
  Fabric& fabric = world_.fabric();
  const uint16_t port =
      address.port != 0 ? address.port : fabric.EphemeralPort(node_.ip());
  auto state = std::make_shared<ListenerState>();
  state->fabric = &fabric;
  state->ip = node_.ip();
  state->port = port;
  state->node = node_.id();
  state->on_accept = std::move(on_accept);
  if (!node_.up()) {
    // A dead process listens on nothing.
    state->closed = true;
    return std::unique_ptr<Listener>(new SimListener(std::move(state)));
  }
  if (!fabric.AddListener(node_.ip(), port, state)) {
    return absl::UnavailableError(absl::StrCat(
        "listen ", host, ":", address.port, ": Address already in use"));
  }
  return std::unique_ptr<Listener>(new SimListener(std::move(state)));
}

void SimNetwork::Connect(const Address& address, absl::Duration timeout,
                         ConnectCallback done) {
  if (!node_.up()) return;  // a dead process connects nowhere
  World& world = world_;
  Fabric& fabric = world.fabric();
  auto op = std::make_shared<ConnectOp>();
  op->world = &world;
  op->fabric = &fabric;
  op->client = node_.id();
  op->client_incarnation = node_.incarnation();
  op->done = std::move(done);
  op->first_sent_ns = node_.LocalNowNs();
  op->timer = world.AddTimer(
      node_.LocalNow() + std::max(timeout, absl::ZeroDuration()), node_.id(),
      EventKind::kTimer, [op] { op->Finish(NetError::kTimedOut, nullptr); });

  const std::string ip = fabric.Resolve(node_, address.host);
  if (ip.empty()) {
    // Like a failed name lookup.
    world.Enqueue(node_.LocalNow(), node_.id(), EventKind::kConnectDone,
                  [op] { op->Finish(NetError::kOther, nullptr); });
    return;
  }
  const Node* server = world.FindNode(ip);
  op->server = server->id();
  op->server_ip = ip;
  op->port = address.port;
  const uint16_t local_port = fabric.EphemeralPort(node_.ip());
  // Over loopback both ends see loopback addresses, as with a real kernel
  // (Redis's protected mode tells local clients apart by that).
  const std::string shown_ip =
      IsLoopback(address.host) ? std::string("127.0.0.1") : std::string();
  op->client_name =
      absl::StrCat(shown_ip.empty() ? node_.ip() : shown_ip, ":", local_port);
  op->server_name =
      absl::StrCat(shown_ip.empty() ? ip : shown_ip, ":", address.port);
  SendSyn(op);
}

}  // namespace twinkv::sim
