// The network side of a server node: accepts connections on the runtime's
// network and, per connection, reads, parses, dispatches to the Engine and
// writes the replies.
//
// Per connection the loop is: read whatever bytes are there into the input
// buffer; parse and execute every complete command in it, appending each
// reply to the output buffer in request order; then send the whole batch
// with one write. While a write is in flight, further replies accumulate
// and go out in the next write. Reading pauses while more than
// kMaxPendingOutput bytes of replies wait (a client that pipelines without
// reading gets TCP backpressure instead of growing our memory).
//
// A blocking command (BLPOP & co.) that has to wait leaves the client
// blocked: the connection keeps reading (a disconnect unregisters it from
// the engine) but runs none of its further commands until the engine has
// written the reply; then it flushes and carries on with the buffered input.
//
// Pub/sub messages for a subscribed client are appended to its output like
// replies and written from a fresh task. client-output-buffer-limit
// (normal and pubsub classes) bounds each client's pending output: a
// client past its hard limit, or past its soft limit for longer than the
// soft seconds, is disconnected at once (Redis's behaviour).
//
// A protocol error gets "-ERR Protocol error: ..." and the connection is
// closed once that reply is written; other connections never notice.
//
// Each connection's ClientState is registered with the engine (CLIENT
// LIST/KILL). With requirepass set, a new client starts unauthenticated
// and its parser applies Redis's pre-AUTH limits until AUTH/HELLO
// succeeds. With `timeout` set, idle clients are closed (see
// MaybeArmIdleTimer).
//
// Single-threaded: everything runs on the runtime's loop.

#ifndef TWINKV_CORE_SERVER_H_
#define TWINKV_CORE_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/engine.h"
#include "transport/runtime.h"

namespace twinkv {

class Server {
 public:
  // Replies waiting beyond this pause reading from that client.
  static constexpr size_t kMaxPendingOutput = 4 << 20;
  // How long Shutdown() waits for replies in flight before closing anyway.
  static constexpr absl::Duration kShutdownGrace = absl::Seconds(5);

  // `runtime` and `engine` must outlive the server.
  Server(Runtime& runtime, Engine& engine);
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens on every address of config().bind at config().port. Fails if
  // any address cannot be bound (already listening ones are closed).
  absl::Status Start();

  // The port bound by the first listener (differs from the config when the
  // config says 0); 0 before Start().
  uint16_t port() const { return port_; }

  // Stops accepting, stops reading, finishes writing the replies of
  // commands already executed (at most kShutdownGrace), closes every
  // connection, then calls `done` from the loop. Idempotent: later calls'
  // `done` run when the first shutdown completes.
  void Shutdown(absl::AnyInvocable<void() &&> done);

  size_t connection_count() const { return connections_.size(); }

  // client-output-buffer-limit of one client class (0 bytes: no limit).
  struct OutputLimit {
    int64_t hard_bytes = 0;
    int64_t soft_bytes = 0;
    int64_t soft_seconds = 0;
  };
  static constexpr int kNormalClass = 0;
  static constexpr int kPubSubClass = 2;
  // The current limits of `client_class` (re-read when the config changed).
  const OutputLimit& output_limit(int client_class);

  // Replies and messages waiting to be written (and being written), the
  // most any one connection holds and the sum over all of them.
  size_t max_client_output_bytes() const;
  size_t total_client_output_bytes() const;
  // Clients closed for client-output-buffer-limit since the start.
  uint64_t output_limit_disconnections() const {
    return output_limit_disconnections_;
  }

 private:
  class Connection;
  friend class Connection;

  void OnAccept(std::unique_ptr<Stream> stream);
  // Destroys the connection later, from a fresh task (never from inside
  // one of its own callbacks).
  void Release(Connection* connection);
  void MaybeFinishShutdown();
  // `timeout`: while it is set and clients are connected, a one-second
  // timer closes clients idle for longer (not blocked or subscribed ones).
  void MaybeArmIdleTimer();
  void CloseIdleClients();

  Runtime& runtime_;
  Engine& engine_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  uint16_t port_ = 0;
  uint64_t next_client_id_ = 1;
  absl::flat_hash_map<Connection*, std::unique_ptr<Connection>> connections_;
  bool shutting_down_ = false;
  TimerId shutdown_timer_ = 0;
  TimerId idle_timer_ = 0;
  std::vector<absl::AnyInvocable<void() &&>> shutdown_waiters_;
  std::string output_limits_text_;  // what output_limits_ was parsed from
  OutputLimit output_limits_[3];    // normal, replica, pubsub
  uint64_t output_limit_disconnections_ = 0;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_SERVER_H_
