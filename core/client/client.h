// Client: a pipelined RESP client of one server address, on the runtime
// seam, for users to embed and for the cluster to talk between nodes.
//
// Pipelining. Send() queues a command and returns at once with a future of
// its reply. A sender writes queued commands back to back: a posted task
// writes what the current turn of the loop queued, and everything queued
// goes out in one Stream::Write while none is in flight; a receiver
// decodes replies and completes requests strictly in the order they were
// sent. Nothing ever blocks the loop.
//
// Outcomes. Every request completes exactly once, with:
//   - the server's reply (a RESP error reply is a Reply of kError, not a
//     failed status: the command ran and said no);
//   - kDeadlineExceeded: its timeout passed first. If it had been written,
//     the server may still run it (the message says so); its reply, when it
//     comes, is read and dropped, so later replies stay matched.
//   - kUnknown: it was written, but the connection died before its reply
//     came; it may or may not have run. It is never sent again.
//   - kCancelled: the client was closed (or destroyed) before it was
//     written, so it never ran.
// Requests not yet written when a connection dies stay queued and go out on
// the next connection.
//
// Connection. The client connects on construction and keeps one
// connection. After a failure (connect error, reset, decode error,
// heartbeat timeout) it reconnects with exponential backoff and full
// jitter: the n-th consecutive attempt waits a uniformly random time in
// [0, min(backoff_max, backoff_initial * 2^n)], drawn from the runtime's
// random stream. A connection idle (nothing sent or received, and no reply
// awaited) for heartbeat_interval sends a PING; if no reply comes within
// heartbeat_timeout, the connection is declared dead. While replies are
// awaited the requests' own timeouts watch the peer instead (a PING behind
// a BLPOP 0 would wait as long as the BLPOP).
//
// Close(done) is graceful: no new requests are accepted (they complete with
// kCancelled), queued ones are still sent, and done runs once every
// request has completed or close_grace has passed (then the rest complete
// with kUnknown/kCancelled and the connection is closed).
//
// Single-threaded: all calls on the runtime's loop. Callbacks (future
// continuations) run from the client's own tasks, never inside Send()
// (only a future Send returns already failed, closed or over the limit,
// runs its continuation inside the caller's own Then). A continuation may
// call Send or Close, or destroy the client; continuations run by the
// destructor itself may call Send (it fails: closed) but not destroy the
// client again.

#ifndef TWINKV_CORE_CLIENT_CLIENT_H_
#define TWINKV_CORE_CLIENT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/future.h"
#include "core/resp/reply.h"
#include "transport/runtime.h"

namespace twinkv {

struct ClientOptions {
  Address address;
  absl::Duration connect_timeout = absl::Seconds(2);
  // Default per-request timeout (Send may pass its own).
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration heartbeat_interval = absl::Seconds(1);
  absl::Duration heartbeat_timeout = absl::Seconds(2);
  absl::Duration backoff_initial = absl::Milliseconds(10);
  absl::Duration backoff_max = absl::Seconds(2);
  absl::Duration close_grace = absl::Seconds(1);
  // Bytes of queued, unwritten commands beyond which Send fails at once
  // with kResourceExhausted (a caller outrunning the server).
  size_t max_queued_bytes = 64u << 20;
  // Commands sent first on every new connection, before any request (AUTH,
  // HELLO, a cluster peer's introduction). Their replies are not returned;
  // an error reply drops the connection (and the client retries after its
  // backoff), so no request ever runs on a connection that refused them.
  std::vector<std::vector<std::string>> handshake;
};

struct ClientStats {
  uint64_t sent = 0;          // requests written
  uint64_t replies = 0;       // replies matched to requests
  uint64_t timeouts = 0;
  uint64_t unknown = 0;       // completed with kUnknown
  uint64_t cancelled = 0;
  uint64_t connects = 0;      // connections established
  uint64_t connect_failures = 0;
  uint64_t heartbeats = 0;    // PINGs sent by the heartbeat
  uint64_t writes = 0;        // Stream::Write calls
};

using ReplyOrError = absl::StatusOr<Reply>;

// Whether a failed request certainly never reached the server (so it did
// not run): cancelled, refused by a full queue, or timed out before it was
// written. Other failures (kUnknown, a timeout after writing) may have run.
bool NeverSent(const absl::Status& status);

class Client {
 public:
  enum class State { kConnecting, kConnected, kBackoff, kClosing, kClosed };

  // `runtime` must outlive the client.
  Client(Runtime& runtime, ClientOptions options);
  // Abrupt: every pending request completes (kUnknown if written, else
  // kCancelled) before the destructor returns; no callback runs later.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues `args` (args[0] the command name) and returns its reply's
  // future. `timeout` zero means options().request_timeout.
  Future<ReplyOrError> Send(std::vector<std::string> args,
                            absl::Duration timeout = absl::ZeroDuration());

  // See the header comment. Idempotent; later calls' `done` run with the
  // first one's.
  void Close(absl::AnyInvocable<void() &&> done);

  State state() const;
  // Whether the client can serve (connected, or reconnecting without a
  // permanent error) — for pools' health checks.
  bool healthy() const;
  // Requests sent and not yet completed, plus queued ones.
  size_t pending() const;
  const ClientStats& stats() const;
  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_CLIENT_CLIENT_H_
