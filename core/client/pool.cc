#include "core/client/pool.h"

#include <algorithm>
#include <cassert>
#include <list>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace twinkv {

namespace {

// The health check's PING must not hold a client for long: an idle client
// that cannot answer in a second is not worth lending.
constexpr absl::Duration kPingTimeoutMax = absl::Seconds(1);

}  // namespace

// Bookkeeping. Every client the pool made and whose Close has not finished
// is in `conns` (so conns.size() is stats().open) and is in exactly one
// state: idle (also in `idle`, oldest first), lent (the lease may still be
// in a posted delivery), or closing.
//
// Async callbacks (timers, posted deliveries, PING replies, clients' Close
// done) capture a weak `token` instead of `this`: the pool may be destroyed
// while they are pending, and the executor cannot cancel a Post. They name
// a client by (pointer, id): a pointer alone could be reused by a new
// client after the old one was destroyed.
struct Pool::Impl {
  enum class State { kIdle, kLent, kClosing };

  struct Conn {
    std::unique_ptr<Client> client;
    uint64_t id = 0;
    State state = State::kIdle;
    bool pinging = false;
    // A health check failed while the client was lent: discard on return.
    bool failed_check = false;
  };

  struct Waiter {
    uint64_t id = 0;
    Promise<absl::StatusOr<Lease>> promise;
    TimerId timer = 0;
  };

  Impl(Pool* owner, Runtime& runtime, PoolOptions options)
      : owner(owner),
        runtime(runtime),
        options(std::move(options)),
        token(std::make_shared<Impl*>(this)) {}

  std::weak_ptr<Impl*> weak() const { return token; }

  Conn* Find(Client* client, uint64_t id) {
    auto it = conns.find(client);
    if (it == conns.end() || it->second->id != id) return nullptr;
    return it->second.get();
  }

  void RemoveIdle(Client* client) {
    auto it = std::find(idle.begin(), idle.end(), client);
    if (it != idle.end()) idle.erase(it);
  }

  // Starts closing `conn` (any state but kClosing). It stays counted as
  // open until its Close's done runs.
  void CloseConn(Conn& conn, bool discard) {
    assert(conn.state != State::kClosing);
    if (conn.state == State::kIdle) RemoveIdle(conn.client.get());
    if (conn.state == State::kLent) --lent;
    conn.state = State::kClosing;
    if (discard) ++discarded;
    Client* client = conn.client.get();
    const uint64_t id = conn.id;
    // The client may run done from inside its own code (or inside Close):
    // destroying it there would pull the stack from under it, so it goes to
    // the graveyard and a posted task destroys it.
    client->Close([w = weak(), client, id]() mutable {
      auto self = w.lock();
      if (!self) return;
      Impl& impl = **self;
      auto it = impl.conns.find(client);
      if (it == impl.conns.end() || it->second->id != id) return;
      impl.graveyard.push_back(std::move(it->second->client));
      impl.conns.erase(it);
      impl.PostBury();
    });
  }

  void PostBury() {
    if (bury_posted) return;
    bury_posted = true;
    runtime.executor().Post([w = weak()]() mutable {
      auto self = w.lock();
      if (!self) return;
      Impl& impl = **self;
      impl.bury_posted = false;
      // Moved out first: a client's destructor may run callbacks that
      // append to the graveyard.
      std::vector<std::unique_ptr<Client>> dead = std::move(impl.graveyard);
      impl.graveyard.clear();
      dead.clear();
      // Room for a new connection may have opened up for a waiter.
      impl.Dispatch();
      impl.MaybeFinishClose();
    });
  }

  // Whether an idle client may be lent.
  static bool Usable(const Conn& conn) {
    return !conn.failed_check && conn.client->healthy();
  }

  // Serves queued waiters, oldest first, while a client is available (the
  // most recently returned idle one, else a new one within
  // max_connections). The client is assigned now (so a waiter served here
  // can no longer time out, and no later return goes to it) and delivered
  // by a posted task, so that no caller of the pool is re-entered.
  void Dispatch() {
    while (!waiters.empty() && !closed) {
      Conn* conn = nullptr;
      while (!idle.empty()) {
        Conn& candidate = *conns.at(idle.back());
        if (Usable(candidate)) {
          conn = &candidate;
          idle.pop_back();
          break;
        }
        CloseConn(candidate, /*discard=*/true);
      }
      if (conn == nullptr) {
        if (conns.size() >= options.max_connections) return;
        auto fresh = std::make_unique<Conn>();
        fresh->client = std::make_unique<Client>(runtime, options.client);
        fresh->id = ++next_conn_id;
        conn = fresh.get();
        conns.emplace(conn->client.get(), std::move(fresh));
        ++created;
      }
      conn->state = State::kLent;
      ++lent;
      Waiter waiter = std::move(waiters.front());
      waiters.pop_front();
      if (waiter.timer != 0) runtime.executor().Cancel(waiter.timer);
      Deliver(std::move(waiter.promise), conn->client.get(), conn->id);
    }
  }

  void Deliver(Promise<absl::StatusOr<Lease>> promise, Client* client,
               uint64_t id) {
    runtime.executor().Post(
        [w = weak(), promise = std::move(promise), client, id]() mutable {
          auto self = w.lock();
          // Without the pool the client is gone too; the waiter stays
          // pending, as the pool's destructor ran (a contract breach).
          if (!self) return;
          Impl& impl = **self;
          assert(impl.Find(client, id) != nullptr);
          (void)id;
          promise.SetValue(Lease(impl.owner, client));
        });
  }

  void FailLater(Promise<absl::StatusOr<Lease>> promise, absl::Status status) {
    runtime.executor().Post(
        [promise = std::move(promise), status = std::move(status)]() mutable {
          promise.SetValue(std::move(status));
        });
  }

  void OnWaiterTimeout(uint64_t waiter_id) {
    auto it = std::find_if(waiters.begin(), waiters.end(),
                           [&](const Waiter& w) { return w.id == waiter_id; });
    if (it == waiters.end()) return;
    Promise<absl::StatusOr<Lease>> promise = std::move(it->promise);
    waiters.erase(it);
    ++borrow_timeouts;
    promise.SetValue(absl::DeadlineExceededError(absl::StrCat(
        "pool: no connection to ", options.client.address.host, ":",
        options.client.address.port, " became free in time")));
  }

  void Give(Client* client, bool broken) {
    auto it = conns.find(client);
    assert(it != conns.end() && it->second->state == State::kLent);
    if (it == conns.end()) return;
    Conn& conn = *it->second;
    const bool bad = broken || !Usable(conn);
    if (bad || closed) {
      CloseConn(conn, /*discard=*/bad);
      MaybeFinishClose();
      return;
    }
    --lent;
    conn.state = State::kIdle;
    idle.push_back(client);
    Dispatch();
    TrimIdle();
  }

  // Closes the least recently used idle clients beyond max_idle.
  void TrimIdle() {
    while (idle.size() > options.max_idle) {
      CloseConn(*conns.at(idle.front()), /*discard=*/false);
    }
  }

  void ScheduleHealthCheck() {
    const absl::Duration every = options.health_check_interval;
    if (closed || every <= absl::ZeroDuration() ||
        every == absl::InfiniteDuration()) {
      return;
    }
    health_timer = runtime.executor().Schedule(every, [w = weak()]() mutable {
      auto self = w.lock();
      if (!self) return;
      Impl& impl = **self;
      impl.health_timer = 0;
      impl.HealthCheck();
      impl.ScheduleHealthCheck();
    });
  }

  void HealthCheck() {
    if (closed) return;
    const absl::Duration timeout =
        std::min(options.client.request_timeout, kPingTimeoutMax);
    // A copy: discarding and PING replies that come at once change `idle`.
    std::vector<Client*> now_idle = idle;
    for (Client* client : now_idle) {
      auto it = conns.find(client);
      if (it == conns.end() || it->second->state != State::kIdle) continue;
      Conn& conn = *it->second;
      if (!Usable(conn)) {
        CloseConn(conn, /*discard=*/true);
        continue;
      }
      if (conn.pinging) continue;
      conn.pinging = true;
      const uint64_t id = conn.id;
      client->Send({"PING"}, timeout)
          .Then([w = weak(), client, id](ReplyOrError reply) {
            auto self = w.lock();
            if (!self) return;
            (**self).OnPing(client, id, reply.ok() && !reply->is_error());
          });
    }
    // Discards may have made room for waiters (none are queued while
    // idle clients exist, but new connections may now fit).
    Dispatch();
    MaybeFinishClose();
  }

  void OnPing(Client* client, uint64_t id, bool ok) {
    Conn* conn = Find(client, id);
    if (conn == nullptr) return;
    conn->pinging = false;
    if (ok && conn->client->healthy()) return;
    switch (conn->state) {
      case State::kIdle:
        CloseConn(*conn, /*discard=*/true);
        Dispatch();
        MaybeFinishClose();
        break;
      case State::kLent:
        conn->failed_check = true;
        break;
      case State::kClosing:
        break;
    }
  }

  void MaybeFinishClose() {
    if (!closed || !conns.empty() || close_done.empty()) return;
    std::vector<absl::AnyInvocable<void() &&>> done = std::move(close_done);
    close_done.clear();
    // Posted: the caller may be a client's callback, and done may destroy
    // the pool.
    runtime.executor().Post([done = std::move(done)]() mutable {
      for (auto& d : done) std::move(d)();
    });
  }

  Pool* const owner;
  Runtime& runtime;
  const PoolOptions options;
  std::shared_ptr<Impl*> token;

  absl::flat_hash_map<Client*, std::unique_ptr<Conn>> conns;
  std::vector<Client*> idle;  // least recently used first
  std::vector<std::unique_ptr<Client>> graveyard;
  bool bury_posted = false;
  size_t lent = 0;
  uint64_t next_conn_id = 0;

  std::list<Waiter> waiters;
  uint64_t next_waiter_id = 0;

  TimerId health_timer = 0;
  bool closed = false;
  std::vector<absl::AnyInvocable<void() &&>> close_done;

  uint64_t created = 0;
  uint64_t discarded = 0;
  uint64_t borrow_timeouts = 0;
};

// --- Lease. ---

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      client_(std::exchange(other.client_, nullptr)),
      broken_(std::exchange(other.broken_, false)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::exchange(other.pool_, nullptr);
    client_ = std::exchange(other.client_, nullptr);
    broken_ = std::exchange(other.broken_, false);
  }
  return *this;
}

Lease::~Lease() { Return(); }

void Lease::Return() {
  if (client_ == nullptr) return;
  Pool* pool = std::exchange(pool_, nullptr);
  Client* client = std::exchange(client_, nullptr);
  const bool broken = std::exchange(broken_, false);
  pool->Give(client, broken);
}

// --- Pool. ---

Pool::Pool(Runtime& runtime, PoolOptions options)
    : impl_(std::make_unique<Impl>(this, runtime, std::move(options))) {
  impl_->ScheduleHealthCheck();
}

Pool::~Pool() {
  Impl& impl = *impl_;
  // Nothing pending may reach the pool from now on.
  impl.token.reset();
  if (impl.health_timer != 0) impl.runtime.executor().Cancel(impl.health_timer);
  impl.closed = true;
  std::list<Impl::Waiter> waiters = std::move(impl.waiters);
  impl.waiters.clear();
  for (Impl::Waiter& w : waiters) {
    if (w.timer != 0) impl.runtime.executor().Cancel(w.timer);
    w.promise.SetValue(absl::CancelledError("pool destroyed"));
  }
  // Clients are destroyed abruptly (their pending requests complete now);
  // their callbacks find the token gone.
  impl.graveyard.clear();
  impl.conns.clear();
}

Future<absl::StatusOr<Lease>> Pool::Borrow(absl::Duration timeout) {
  Impl& impl = *impl_;
  Promise<absl::StatusOr<Lease>> promise;
  Future<absl::StatusOr<Lease>> future = promise.GetFuture();
  if (impl.closed) {
    impl.FailLater(std::move(promise), absl::CancelledError("pool closed"));
    return future;
  }
  if (timeout == absl::ZeroDuration()) timeout = impl.options.borrow_timeout;
  Impl::Waiter waiter;
  waiter.id = ++impl.next_waiter_id;
  waiter.promise = std::move(promise);
  if (timeout != absl::InfiniteDuration()) {
    waiter.timer = impl.runtime.executor().Schedule(
        std::max(timeout, absl::ZeroDuration()),
        [w = impl.weak(), id = waiter.id]() mutable {
          auto self = w.lock();
          if (!self) return;
          (**self).OnWaiterTimeout(id);
        });
  }
  impl.waiters.push_back(std::move(waiter));
  impl.Dispatch();
  return future;
}

void Pool::Close(absl::AnyInvocable<void() &&> done) {
  Impl& impl = *impl_;
  impl.close_done.push_back(std::move(done));
  if (!impl.closed) {
    impl.closed = true;
    if (impl.health_timer != 0) {
      impl.runtime.executor().Cancel(impl.health_timer);
      impl.health_timer = 0;
    }
    std::list<Impl::Waiter> waiters = std::move(impl.waiters);
    impl.waiters.clear();
    for (Impl::Waiter& w : waiters) {
      if (w.timer != 0) impl.runtime.executor().Cancel(w.timer);
      impl.FailLater(std::move(w.promise), absl::CancelledError("pool closed"));
    }
    while (!impl.idle.empty()) {
      impl.CloseConn(*impl.conns.at(impl.idle.back()), /*discard=*/false);
    }
  }
  impl.MaybeFinishClose();
}

PoolStats Pool::stats() const {
  const Impl& impl = *impl_;
  PoolStats s;
  s.open = impl.conns.size();
  s.idle = impl.idle.size();
  s.lent = impl.lent;
  s.waiting = impl.waiters.size();
  s.created = impl.created;
  s.discarded = impl.discarded;
  s.borrow_timeouts = impl.borrow_timeouts;
  return s;
}

const PoolOptions& Pool::options() const { return impl_->options; }

void Pool::Give(Client* client, bool broken) { impl_->Give(client, broken); }

}  // namespace twinkv
