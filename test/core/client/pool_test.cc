// Pool against a real twinkv server (ServerNode) on a simulated node: reuse
// and LIFO order, the max_connections bound with FIFO waiters and their
// timeouts, discarding broken and unhealthy clients (MarkBroken, a crashed
// server found by return or by the health check), the max_idle bound,
// Close with waiters and lent leases; and a RapidCheck property: random
// borrow / return / mark-broken / advance-time / crash-server steps keep
// the bounds after every step and leave nothing open after Close.

#include "core/client/pool.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/config.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "sim/world.h"

namespace twinkv {
namespace {

using sim::CrashKind;
using sim::Node;
using sim::World;

constexpr char kServerIp[] = "10.0.0.1";
constexpr char kClientIp[] = "10.0.0.2";
constexpr uint16_t kPort = 6379;
// Long enough that no health check runs in tests that do not want one.
constexpr absl::Duration kNoHealthCheck = absl::Hours(10);

class ServerProcess final : public sim::Process {
 public:
  explicit ServerProcess(Node& node) : server_(node, MakeConfig()) {
    status_ = server_.Start();
  }
  const absl::Status& status() const { return status_; }

 private:
  static Config MakeConfig() {
    Config config;
    config.port = kPort;
    config.bind = {"0.0.0.0"};
    // Clients come from other (simulated) hosts, without a password.
    config.protected_mode = false;
    return config;
  }
  ServerNode server_;
  absl::Status status_;
};

// One Borrow's outcome, filled in by its continuation.
struct Borrowed {
  bool done = false;
  absl::StatusOr<Lease> result = absl::UnknownError("pending");
  bool ok() const { return done && result.ok(); }
  Client* client() const { return ok() ? &result->client() : nullptr; }
};
using BorrowedPtr = std::shared_ptr<Borrowed>;

PoolOptions BaseOptions() {
  PoolOptions o;
  o.client.address = Address{kServerIp, kPort};
  o.max_connections = 4;
  o.max_idle = 4;
  o.borrow_timeout = absl::Seconds(5);
  o.health_check_interval = kNoHealthCheck;
  return o;
}

// A world with a server node and a client node that owns the pool. Every
// pool call runs inside a task on the client node's loop.
class Harness {
 public:
  Harness(uint64_t seed, PoolOptions options)
      : world_(seed),
        server_(world_.AddNode("server", kServerIp)),
        client_(world_.AddNode("client", kClientIp)) {
    server_.SetBoot([](Node& n) { return std::make_unique<ServerProcess>(n); });
    server_.Boot();
    EXPECT_TRUE(server_.process_as<ServerProcess>()->status().ok());
    options.client.address = Address{kServerIp, kPort};
    OnLoop([&] { pool_ = std::make_unique<Pool>(client_, options); });
  }

  ~Harness() {
    // Leases must go before the pool (its contract); then the pool, on the
    // loop.
    OnLoop([&] { pool_.reset(); });
  }

  // Runs `fn` as a task of the client node now, and what is due with it.
  template <typename F>
  void OnLoop(F fn) {
    client_.executor().Post([fn = std::move(fn)]() mutable { fn(); });
    world_.RunFor(absl::ZeroDuration());
  }

  BorrowedPtr StartBorrow(absl::Duration timeout = absl::ZeroDuration()) {
    auto b = std::make_shared<Borrowed>();
    OnLoop([&] {
      pool_->Borrow(timeout).Then([b](absl::StatusOr<Lease> r) {
        b->done = true;
        b->result = std::move(r);
      });
      // The contract: never inside the call, even with a client idle.
      EXPECT_FALSE(b->done) << "Borrow completed inside the call";
    });
    return b;
  }

  bool WaitFor(const BorrowedPtr& b, absl::Duration limit = absl::Seconds(1)) {
    return world_.RunUntil([&] { return b->done; }, limit);
  }

  BorrowedPtr BorrowNow() {
    BorrowedPtr b = StartBorrow();
    EXPECT_TRUE(WaitFor(b));
    EXPECT_TRUE(b->ok()) << b->result.status();
    return b;
  }

  void Return(const BorrowedPtr& b, bool broken = false) {
    OnLoop([&] {
      if (!b->result.ok()) return;
      if (broken) b->result->MarkBroken();
      b->result->Return();
    });
  }

  // Sends one command through a borrowed client and waits for the reply.
  absl::StatusOr<Reply> Send(const BorrowedPtr& b,
                             std::vector<std::string> args) {
    auto out = std::make_shared<absl::StatusOr<Reply>>(
        absl::UnknownError("pending"));
    auto got = std::make_shared<bool>(false);
    OnLoop([&] {
      b->result->client().Send(std::move(args)).Then([out, got](ReplyOrError r) {
        *out = std::move(r);
        *got = true;
      });
    });
    world_.RunUntil([&] { return *got; }, absl::Seconds(10));
    return *out;
  }

  // Close(done) on the loop; returns the flag done sets.
  std::shared_ptr<bool> Close() {
    auto closed = std::make_shared<bool>(false);
    OnLoop([&] { pool_->Close([closed]() mutable { *closed = true; }); });
    return closed;
  }

  PoolStats stats() const { return pool_->stats(); }
  World& world() { return world_; }
  Node& server() { return server_; }
  Pool& pool() { return *pool_; }

 private:
  World world_;
  Node& server_;
  Node& client_;
  std::unique_ptr<Pool> pool_;
};

TEST(PoolTest, ReturnedClientIsReusedMostRecentFirst) {
  Harness h(1, BaseOptions());
  BorrowedPtr a = h.BorrowNow();
  BorrowedPtr b = h.BorrowNow();
  ASSERT_TRUE(a->ok() && b->ok());
  EXPECT_NE(a->client(), b->client());
  EXPECT_EQ(h.stats().created, 2u);
  EXPECT_EQ(h.stats().lent, 2u);
  auto set = h.Send(a, {"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->str, "OK");

  Client* const client_a = a->client();
  Client* const client_b = b->client();
  h.Return(a);
  h.Return(b);  // b is now the most recently used
  EXPECT_EQ(h.stats().idle, 2u);
  EXPECT_EQ(h.stats().lent, 0u);

  BorrowedPtr c = h.BorrowNow();
  EXPECT_EQ(c->client(), client_b);
  BorrowedPtr d = h.BorrowNow();
  EXPECT_EQ(d->client(), client_a);
  EXPECT_EQ(h.stats().created, 2u);
  EXPECT_EQ(h.stats().discarded, 0u);
  auto get = h.Send(d, {"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, "v");
  h.Return(c);
  h.Return(d);
}

TEST(PoolTest, FullPoolServesWaitersInArrivalOrder) {
  PoolOptions o = BaseOptions();
  o.max_connections = 2;
  Harness h(2, o);
  BorrowedPtr l1 = h.BorrowNow();
  BorrowedPtr l2 = h.BorrowNow();
  BorrowedPtr w1 = h.StartBorrow();
  BorrowedPtr w2 = h.StartBorrow();
  BorrowedPtr w3 = h.StartBorrow();
  h.world().RunFor(absl::Milliseconds(100));
  EXPECT_FALSE(w1->done || w2->done || w3->done);
  EXPECT_EQ(h.stats().waiting, 3u);
  EXPECT_EQ(h.stats().open, 2u);

  Client* const c2 = l2->client();
  h.Return(l2);
  ASSERT_TRUE(h.WaitFor(w1));
  EXPECT_EQ(w1->client(), c2);
  EXPECT_FALSE(w2->done);
  EXPECT_FALSE(w3->done);

  Client* const c1 = l1->client();
  h.Return(l1);
  ASSERT_TRUE(h.WaitFor(w2));
  EXPECT_EQ(w2->client(), c1);
  EXPECT_FALSE(w3->done);
  EXPECT_EQ(h.stats().waiting, 1u);

  h.Return(w1);
  ASSERT_TRUE(h.WaitFor(w3));
  EXPECT_EQ(w3->client(), c2);
  EXPECT_EQ(h.stats().created, 2u);
  EXPECT_LE(h.stats().open, 2u);
  h.Return(w2);
  h.Return(w3);
}

TEST(PoolTest, WaiterTimesOutAndLaterReturnsSkipIt) {
  PoolOptions o = BaseOptions();
  o.max_connections = 1;
  Harness h(3, o);
  BorrowedPtr l1 = h.BorrowNow();
  BorrowedPtr w1 = h.StartBorrow(absl::Milliseconds(100));
  h.world().RunFor(absl::Milliseconds(99));
  EXPECT_FALSE(w1->done);
  BorrowedPtr w2 = h.StartBorrow(absl::Seconds(30));
  h.world().RunFor(absl::Milliseconds(2));
  ASSERT_TRUE(w1->done);
  EXPECT_EQ(w1->result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(h.stats().borrow_timeouts, 1u);
  EXPECT_EQ(h.stats().waiting, 1u);

  Client* const c = l1->client();
  h.Return(l1);
  ASSERT_TRUE(h.WaitFor(w2));
  EXPECT_EQ(w2->client(), c);
  // Only w2 was served; the timed-out one stays failed.
  EXPECT_EQ(w1->result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(h.stats().borrow_timeouts, 1u);

  // With nobody waiting, a return makes the client idle.
  h.Return(w2);
  EXPECT_EQ(h.stats().idle, 1u);
  EXPECT_EQ(h.stats().waiting, 0u);
}

TEST(PoolTest, DefaultTimeoutIsTheOptionsOne) {
  PoolOptions o = BaseOptions();
  o.max_connections = 1;
  o.borrow_timeout = absl::Milliseconds(250);
  Harness h(4, o);
  BorrowedPtr l1 = h.BorrowNow();
  BorrowedPtr w = h.StartBorrow();
  h.world().RunFor(absl::Milliseconds(249));
  EXPECT_FALSE(w->done);
  h.world().RunFor(absl::Milliseconds(2));
  ASSERT_TRUE(w->done);
  EXPECT_EQ(w->result.status().code(), absl::StatusCode::kDeadlineExceeded);
  h.Return(l1);
}

TEST(PoolTest, BrokenLeaseIsDiscardedAndReplaced) {
  Harness h(5, BaseOptions());
  BorrowedPtr a = h.BorrowNow();
  EXPECT_EQ(h.stats().created, 1u);
  h.Return(a, /*broken=*/true);
  EXPECT_EQ(h.stats().discarded, 1u);
  EXPECT_EQ(h.stats().idle, 0u);
  EXPECT_EQ(h.stats().lent, 0u);
  // Closing until its Close's done runs.
  h.world().RunFor(absl::Seconds(2));
  EXPECT_EQ(h.stats().open, 0u);

  BorrowedPtr b = h.BorrowNow();
  EXPECT_EQ(h.stats().created, 2u);
  auto pong = h.Send(b, {"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str, "PONG");
  h.Return(b);
  EXPECT_EQ(h.stats().idle, 1u);
  EXPECT_EQ(h.stats().discarded, 1u);
}

TEST(PoolTest, ClientOfCrashedServerIsDiscarded) {
  PoolOptions o = BaseOptions();
  o.health_check_interval = absl::Seconds(2);
  Harness h(6, o);
  BorrowedPtr a = h.BorrowNow();
  BorrowedPtr b = h.BorrowNow();
  ASSERT_TRUE(h.Send(a, {"PING"}).ok());
  ASSERT_TRUE(h.Send(b, {"PING"}).ok());
  h.Return(a);  // idle when the server dies
  EXPECT_EQ(h.stats().idle, 1u);

  h.server().Crash(CrashKind::kKill);
  h.world().RunFor(absl::Milliseconds(50));
  // b comes back after the crash: discarded at once if it knows it is
  // unhealthy, else idle until the health check's PING fails.
  h.Return(b);
  h.world().RunFor(o.health_check_interval + absl::Seconds(3));
  EXPECT_EQ(h.stats().discarded, 2u);
  EXPECT_EQ(h.stats().idle, 0u);
  EXPECT_EQ(h.stats().open, 0u);

  // The server is back: the next borrow makes a new, working client.
  h.server().Boot();
  BorrowedPtr c = h.BorrowNow();
  EXPECT_EQ(h.stats().created, 3u);
  auto pong = h.Send(c, {"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  h.Return(c);
}

TEST(PoolTest, HealthCheckKeepsHealthyIdleClients) {
  PoolOptions o = BaseOptions();
  o.health_check_interval = absl::Milliseconds(500);
  Harness h(7, o);
  BorrowedPtr a = h.BorrowNow();
  h.Return(a);
  h.world().RunFor(absl::Seconds(10));  // twenty checks
  EXPECT_EQ(h.stats().idle, 1u);
  EXPECT_EQ(h.stats().discarded, 0u);
  BorrowedPtr b = h.BorrowNow();
  EXPECT_EQ(h.stats().created, 1u);
  h.Return(b);
}

TEST(PoolTest, ReturnsBeyondMaxIdleAreClosed) {
  PoolOptions o = BaseOptions();
  o.max_connections = 6;
  o.max_idle = 2;
  Harness h(8, o);
  std::vector<BorrowedPtr> leases;
  for (int i = 0; i < 5; ++i) leases.push_back(h.BorrowNow());
  EXPECT_EQ(h.stats().open, 5u);
  for (const BorrowedPtr& l : leases) {
    h.Return(l);
    EXPECT_LE(h.stats().idle, 2u);
  }
  EXPECT_EQ(h.stats().idle, 2u);
  // The three extra ones are closed (not counted as discarded).
  h.world().RunFor(absl::Seconds(2));
  EXPECT_EQ(h.stats().open, 2u);
  EXPECT_EQ(h.stats().discarded, 0u);
  // The most recently returned ones stayed.
  BorrowedPtr x = h.BorrowNow();
  EXPECT_EQ(h.stats().created, 5u);
  h.Return(x);
}

TEST(PoolTest, CloseFailsWaitersAndWaitsForLeases) {
  PoolOptions o = BaseOptions();
  o.max_connections = 2;
  Harness h(9, o);
  BorrowedPtr l1 = h.BorrowNow();
  BorrowedPtr l2 = h.BorrowNow();
  h.Return(l2);  // one idle
  BorrowedPtr l3 = h.BorrowNow();
  BorrowedPtr w = h.StartBorrow(absl::Seconds(30));
  EXPECT_EQ(h.stats().waiting, 1u);

  std::shared_ptr<bool> closed = h.Close();
  ASSERT_TRUE(h.WaitFor(w));
  EXPECT_EQ(w->result.status().code(), absl::StatusCode::kCancelled);
  h.world().RunFor(absl::Seconds(5));
  EXPECT_FALSE(*closed) << "done ran with leases still out";
  EXPECT_EQ(h.stats().lent, 2u);

  // Borrowing from a closed pool fails, later.
  BorrowedPtr late = h.StartBorrow();
  ASSERT_TRUE(h.WaitFor(late));
  EXPECT_EQ(late->result.status().code(), absl::StatusCode::kCancelled);

  // Leases destroyed after Close: their clients are closed, not kept.
  h.Return(l1);
  EXPECT_EQ(h.stats().idle, 0u);
  h.world().RunFor(absl::Seconds(5));
  EXPECT_FALSE(*closed);
  h.Return(l3);
  EXPECT_TRUE(h.world().RunUntil([&] { return *closed; }, absl::Seconds(5)));
  EXPECT_EQ(h.stats().open, 0u);
  EXPECT_EQ(h.stats().lent, 0u);
  EXPECT_EQ(h.stats().discarded, 0u);
}

TEST(PoolTest, CloseWithNothingOutFinishesAfterClientsClose) {
  Harness h(10, BaseOptions());
  BorrowedPtr a = h.BorrowNow();
  BorrowedPtr b = h.BorrowNow();
  h.Return(a);
  h.Return(b);
  std::shared_ptr<bool> closed = h.Close();
  // Never inside Close; the idle clients close first.
  EXPECT_TRUE(h.world().RunUntil([&] { return *closed; }, absl::Seconds(5)));
  EXPECT_EQ(h.stats().open, 0u);
  EXPECT_EQ(h.stats().idle, 0u);
}

// A client whose Close takes its grace period (a BLPOP that never gets a
// reply) counts as open until its Close's done runs, and the pool's Close
// waits for it; meanwhile it takes a slot of max_connections.
TEST(PoolTest, SlowlyClosingClientStaysOpenUntilItsCloseIsDone) {
  PoolOptions o = BaseOptions();
  o.max_connections = 1;
  o.max_idle = 0;
  o.client.close_grace = absl::Seconds(1);
  o.client.request_timeout = absl::Seconds(60);
  Harness h(11, o);
  BorrowedPtr a = h.BorrowNow();
  ASSERT_TRUE(h.Send(a, {"PING"}).ok());
  h.OnLoop([&] { a->result->client().Send({"BLPOP", "q", "0"}); });
  h.world().RunFor(absl::Milliseconds(10));
  h.Return(a);  // max_idle 0: closed at once, gracefully
  EXPECT_EQ(h.stats().idle, 0u);
  EXPECT_EQ(h.stats().discarded, 0u);
  BorrowedPtr w = h.StartBorrow(absl::Seconds(10));
  h.world().RunFor(absl::Milliseconds(500));
  EXPECT_EQ(h.stats().open, 1u) << "closing client not counted";
  EXPECT_FALSE(w->done) << "a new client while the old one still closes";
  ASSERT_TRUE(h.WaitFor(w, absl::Seconds(2)));
  ASSERT_TRUE(w->ok()) << w->result.status();
  EXPECT_EQ(h.stats().created, 2u);
  EXPECT_EQ(h.stats().open, 1u);
  h.Return(w);

  // Again, for the pool's own Close.
  BorrowedPtr b = h.BorrowNow();
  h.OnLoop([&] { b->result->client().Send({"BLPOP", "q", "0"}); });
  h.world().RunFor(absl::Milliseconds(10));
  h.Return(b);
  std::shared_ptr<bool> closed = h.Close();
  h.world().RunFor(absl::Milliseconds(500));
  EXPECT_FALSE(*closed);
  EXPECT_EQ(h.stats().open, 1u);
  EXPECT_TRUE(h.world().RunUntil([&] { return *closed; }, absl::Seconds(2)));
  EXPECT_EQ(h.stats().open, 0u);
}

// --- Property: random operations keep the bounds. ---

enum class OpKind { kBorrow, kReturn, kBreak, kSend, kAdvance, kCrash };

struct Op {
  OpKind kind;
  int arg;
};

struct Run {
  std::vector<BorrowedPtr> borrows;  // every borrow ever started
  // Client pointer marked broken -> stats().created when it was; a later
  // lease of the same pointer with no client created since would be the
  // broken client lent again.
  std::map<Client*, uint64_t> broken;
};

// Checks the bounds and that no two outstanding leases share a client.
void CheckBounds(Harness& h, const PoolOptions& o, Run& run,
                 const std::string& where) {
  const PoolStats s = h.stats();
  RC_ASSERT(s.open <= o.max_connections);
  RC_ASSERT(s.idle <= o.max_idle);
  RC_ASSERT(s.idle + s.lent <= s.open);
  std::vector<Client*> out;
  size_t held = 0;
  for (const BorrowedPtr& b : run.borrows) {
    if (!b->ok()) continue;
    ++held;
    Client* c = b->client();
    RC_ASSERT(std::find(out.begin(), out.end(), c) == out.end());
    out.push_back(c);
  }
  RC_ASSERT(held <= s.lent);
  (void)where;
}

RC_GTEST_PROP(PoolProperty, BoundsHoldUnderRandomOperations, ()) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1u << 30);
  PoolOptions o = BaseOptions();
  o.max_connections = *rc::gen::inRange<size_t>(1, 5);
  o.max_idle = *rc::gen::inRange<size_t>(0, 4);
  o.health_check_interval =
      absl::Milliseconds(*rc::gen::inRange<int>(300, 3000));
  const auto raw_ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 6), rc::gen::inRange(0, 1000)));
  RC_TAG(o.max_connections);
  Harness h(seed, o);
  Run run;
  const absl::Duration timeouts[] = {absl::Milliseconds(10),
                                     absl::Milliseconds(300),
                                     absl::Seconds(2)};
  for (const auto& [k, arg] : raw_ops) {
    const Op op{static_cast<OpKind>(k), arg};
    std::vector<BorrowedPtr> held;
    for (const BorrowedPtr& b : run.borrows) {
      if (b->ok()) held.push_back(b);
    }
    switch (op.kind) {
      case OpKind::kBorrow:
        run.borrows.push_back(h.StartBorrow(timeouts[arg % 3]));
        break;
      case OpKind::kReturn:
      case OpKind::kBreak:
        if (!held.empty()) {
          const BorrowedPtr& b = held[arg % held.size()];
          const bool broken = op.kind == OpKind::kBreak;
          if (broken) run.broken[b->client()] = h.stats().created;
          h.Return(b, broken);
          b->result = absl::CancelledError("returned by the test");
        }
        break;
      case OpKind::kSend:
        if (!held.empty()) {
          const BorrowedPtr& b = held[arg % held.size()];
          h.OnLoop([&] {
            b->result->client().Send({"INCR", absl::StrCat("k", arg)});
          });
        }
        break;
      case OpKind::kAdvance:
        h.world().RunFor(absl::Milliseconds(arg * 3));
        break;
      case OpKind::kCrash:
        if (h.server().up()) {
          h.server().Crash(CrashKind::kKill);
        } else {
          h.server().Boot();
        }
        break;
    }
    // Newly delivered leases must not be a client marked broken.
    for (const BorrowedPtr& b : run.borrows) {
      if (!b->ok()) continue;
      auto it = run.broken.find(b->client());
      if (it != run.broken.end()) {
        RC_ASSERT(h.stats().created > it->second);
      }
    }
    CheckBounds(h, o, run, "step");
  }

  // Close with leases still out, then give them back.
  std::shared_ptr<bool> closed = h.Close();
  CheckBounds(h, o, run, "close");
  h.world().RunFor(absl::Milliseconds(10));
  for (const BorrowedPtr& b : run.borrows) {
    if (b->ok()) {
      h.Return(b);
      b->result = absl::CancelledError("returned by the test");
    }
  }
  RC_ASSERT(h.world().RunUntil([&] { return *closed; }, absl::Seconds(30)));
  // Every borrow completed one way or the other; nothing is left open.
  for (const BorrowedPtr& b : run.borrows) RC_ASSERT(b->done);
  const PoolStats s = h.stats();
  RC_ASSERT(s.open == 0u);
  RC_ASSERT(s.idle == 0u);
  RC_ASSERT(s.lent == 0u);
  RC_ASSERT(s.waiting == 0u);
  RC_ASSERT(s.created >= s.discarded);
}

}  // namespace
}  // namespace twinkv
