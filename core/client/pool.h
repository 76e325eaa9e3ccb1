// Pool: a bounded set of Clients to one address, lent out one caller at a
// time (for callers that need a connection of their own: blocking
// commands, MULTI/EXEC, or just spreading load over several sockets).
//
// Borrow() hands out an idle healthy client if there is one, else makes a
// new one if fewer than max_connections exist, else queues the caller;
// queued callers are served in arrival order as clients come back, and
// fail with kDeadlineExceeded when their timeout passes first. A Lease
// returns its client when destroyed (or Return()ed): a client that is not
// healthy, or whose lease was marked broken (MarkBroken), is closed and
// discarded, never handed out again. More than max_idle idle clients are
// closed on return. A health check every health_check_interval PINGs idle
// clients and discards those that fail.
//
// Bounds, always: open clients (idle + lent + closing) <= max_connections;
// idle clients <= max_idle.
//
// Close(done): fails queued borrowers (kCancelled), closes idle clients,
// and runs done once every lent client came back and every client closed.
//
// Single-threaded: all calls on the runtime's loop; the pool must outlive
// its leases.

#ifndef TWINKV_CORE_CLIENT_POOL_H_
#define TWINKV_CORE_CLIENT_POOL_H_

#include <cstddef>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/future.h"
#include "transport/runtime.h"

namespace twinkv {

struct PoolOptions {
  ClientOptions client;  // address and per-client settings
  size_t max_connections = 8;
  size_t max_idle = 4;
  absl::Duration borrow_timeout = absl::Seconds(5);
  absl::Duration health_check_interval = absl::Seconds(5);
};

struct PoolStats {
  size_t open = 0;     // idle + lent + closing
  size_t idle = 0;
  size_t lent = 0;
  size_t waiting = 0;  // queued borrowers
  uint64_t created = 0;
  uint64_t discarded = 0;  // closed because broken or unhealthy
  uint64_t borrow_timeouts = 0;
};

class Pool;

// A borrowed client. Move-only; returns the client to the pool when
// destroyed.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();

  Client& client() const { return *client_; }
  Client* operator->() const { return client_; }
  explicit operator bool() const { return client_ != nullptr; }

  // The connection is in an unknown state (e.g. a MULTI left open): the
  // pool must discard it instead of lending it again.
  void MarkBroken() { broken_ = true; }
  // Gives the client back now.
  void Return();

 private:
  friend class Pool;
  Lease(Pool* pool, Client* client) : pool_(pool), client_(client) {}
  Pool* pool_ = nullptr;
  Client* client_ = nullptr;
  bool broken_ = false;
};

class Pool {
 public:
  // `runtime` must outlive the pool.
  Pool(Runtime& runtime, PoolOptions options);
  ~Pool();

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A lease, or kDeadlineExceeded after `timeout` (zero: the default), or
  // kCancelled if the pool closes first. Never completes inside the call.
  Future<absl::StatusOr<Lease>> Borrow(
      absl::Duration timeout = absl::ZeroDuration());

  void Close(absl::AnyInvocable<void() &&> done);

  PoolStats stats() const;
  const PoolOptions& options() const;

 private:
  friend class Lease;
  void Give(Client* client, bool broken);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_CLIENT_POOL_H_
