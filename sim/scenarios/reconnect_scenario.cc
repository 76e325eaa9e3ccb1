#include "sim/scenarios/reconnect_scenario.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/client/client.h"
#include "core/client/pool.h"
#include "core/config.h"
#include "core/future.h"
#include "core/resp/reply.h"
#include "core/server_node.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/prng.h"
#include "sim/scenarios/scenario_support.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

using Sabotage = ReconnectScenario::Sabotage;

constexpr uint16_t kPort = 6379;
constexpr absl::Duration kFaultPhase = absl::Seconds(20);
constexpr absl::Duration kLivenessLimit = absl::Seconds(30);
// Each liveness attempt's timeout (request and borrow); failures retry.
constexpr absl::Duration kLivenessAttempt = absl::Seconds(3);
constexpr absl::Duration kLivenessRetry = absl::Milliseconds(50);
constexpr absl::Duration kCloseLimit = absl::Seconds(30);
constexpr absl::Duration kWatchdogPeriod = absl::Milliseconds(250);
// A request or Borrow still pending this long past its deadline hangs.
constexpr absl::Duration kDeadlineSlack = absl::Seconds(1);
// This many events at one instant is a livelock, not a busy moment.
constexpr uint64_t kLivelockEvents = 2000000;
constexpr int kStringKeys = 3;
constexpr int kCounterKeys = 2;
// kDropCompletion and kDoubleCompletion strike the first completion of a
// request at least this far into the run (past the connection set-up).
constexpr uint64_t kSabotageFromId = 50;

enum class Op : uint8_t { kEcho, kSet, kGet, kIncr, kBorrow };

absl::string_view OpName(Op op) {
  switch (op) {
    case Op::kEcho:
      return "ECHO";
    case Op::kSet:
      return "SET";
    case Op::kGet:
      return "GET";
    case Op::kIncr:
      return "INCR";
    case Op::kBorrow:
      return "BORROW";
  }
  return "?";
}

// One request (or Borrow) as the oracle keeps it.
struct Request {
  Op op = Op::kEcho;
  int node = 0;    // the client node that sent it
  int server = 0;  // the server its Client or Pool talks to
  bool via_pool = false;
  uint64_t lease = 0;  // the lease op it was sent on (0: a plain Client)
  bool liveness = false;
  std::string key;  // SET, GET, INCR
  std::string tag;  // ECHO's tag, SET's value
  absl::Duration sent;     // the sending node's monotonic clock
  absl::Duration timeout;  // effective (the default filled in)
  int completions = 0;
  // Sent on a lease that was returned before this completed.
  bool lease_returned = false;
  std::string outcome;  // the first completion, for messages
};

struct Stats {
  uint64_t requests = 0;
  uint64_t replies = 0;
  uint64_t deadline = 0;
  uint64_t unknown = 0;
  uint64_t cancelled = 0;
  uint64_t exhausted = 0;
  uint64_t nil_gets = 0;
  uint64_t borrows = 0;
  uint64_t leases = 0;
  uint64_t borrow_timeouts = 0;
  uint64_t borrow_cancelled = 0;
  uint64_t broken = 0;
  uint64_t early_returns = 0;
  uint64_t liveness_retries = 0;
  uint64_t client_pauses = 0;
  size_t max_open = 0;
};

struct RunState {
  RunState(World& w, std::vector<Node*> s, Sabotage sab)
      : world(w), servers(std::move(s)), sabotage(sab) {}

  void Fail(absl::string_view message) {
    if (!failure.empty()) return;
    failure = absl::StrCat("t=", absl::FormatDuration(world.now()), " ",
                           message);
  }
  bool failed() const { return !failure.empty(); }

  // For the driver's RunUntil conditions: true once the run failed, or
  // when events keep running without time passing (a livelock).
  bool Halt() {
    if (livelock.Stuck(world)) {
      Fail(absl::StrCat("livelock: ", kLivelockEvents,
                        " events ran without time passing"));
    }
    return failed();
  }

  uint64_t next_id() const { return requests.size() + 1; }
  uint64_t Add(Request r) {
    requests.push_back(std::move(r));
    return requests.size();
  }
  Request& req(uint64_t id) { return requests[id - 1]; }

  std::string Describe(uint64_t id) {
    const Request& q = req(id);
    std::string what(OpName(q.op));
    if (!q.key.empty()) absl::StrAppend(&what, " ", q.key);
    if (!q.tag.empty()) absl::StrAppend(&what, " ", q.tag);
    return absl::StrCat(
        "#", id, " `", what, "` from c", q.node, " via ",
        q.via_pool ? "pool" : "client", " of s", q.server,
        q.lease != 0 ? absl::StrCat(" (lease ", q.lease,
                                    q.lease_returned ? ", returned" : "", ")")
                     : "",
        q.liveness ? " [liveness]" : "", ", timeout ",
        absl::FormatDuration(q.timeout), ", sent at ",
        absl::FormatDuration(q.sent), " (c", q.node, "'s clock)");
  }

  World& world;
  const std::vector<Node*> servers;
  const Sabotage sabotage;
  bool sabotage_fired = false;
  bool tearing_down = false;

  std::vector<Request> requests;      // by id - 1
  std::map<std::string, int64_t> incrs;  // INCRs sent, per key
  std::string last_echo_reply;        // kSwapReplies
  std::string failure;
  Stats stats;
  LivelockGuard livelock{kLivelockEvents};
};

// The real server, without persistence: a crash loses every key.
class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, RunState& run)
      : server_(node, ScenarioServerConfig(kPort)) {
    absl::Status status = server_.Start();
    if (!status.ok()) {
      run.Fail(absl::StrCat(node.name(), " refuses to start: ",
                            status.ToString()));
    }
  }

 private:
  ServerNode server_;
};

struct Settings {
  ClientOptions client;  // address filled in per server
  size_t max_connections = 1;
  size_t max_idle = 0;
  absl::Duration borrow_timeout;
  absl::Duration health_check_interval;
  int window = 1;  // requests and borrows outstanding at most
  absl::Duration mean_think;
  double pool_fraction = 0;    // of operations that go through a lease
  double return_early = 0;     // of leases returned right after sending
  double broken = 0;           // of leases marked broken
  double default_timeout = 0;  // of requests that pass no timeout
};

Settings DrawSettings(Random& r) {
  Settings s;
  ClientOptions& c = s.client;
  c.connect_timeout =
      UniformDuration(r, absl::Milliseconds(200), absl::Seconds(2));
  c.request_timeout =
      UniformDuration(r, absl::Milliseconds(300), absl::Seconds(3));
  c.heartbeat_interval =
      UniformDuration(r, absl::Milliseconds(200), absl::Seconds(1));
  c.heartbeat_timeout =
      UniformDuration(r, absl::Milliseconds(300), absl::Seconds(2));
  c.backoff_initial =
      UniformDuration(r, absl::Milliseconds(2), absl::Milliseconds(50));
  c.backoff_max = UniformDuration(r, absl::Milliseconds(100), absl::Seconds(2));
  c.close_grace =
      UniformDuration(r, absl::Milliseconds(100), absl::Seconds(2));
  // Sometimes small enough that a partition fills it.
  // Sometimes small enough that a partition fills it (a request is 20 to
  // 40 bytes).
  if (r.Bernoulli(0.3)) c.max_queued_bytes = 40 + r.Uniform(600);
  s.max_connections = 1 + r.Uniform(4);
  s.max_idle = r.Uniform(s.max_connections + 1);
  s.borrow_timeout =
      UniformDuration(r, absl::Milliseconds(100), absl::Seconds(3));
  s.health_check_interval =
      UniformDuration(r, absl::Milliseconds(200), absl::Seconds(5));
  s.window = 2 + static_cast<int>(r.Uniform(23));
  s.mean_think =
      UniformDuration(r, absl::Milliseconds(1), absl::Milliseconds(10));
  s.pool_fraction = static_cast<double>(10 + r.Uniform(41)) / 100;
  s.return_early = static_cast<double>(r.Uniform(61)) / 100;
  s.broken = static_cast<double>(r.Uniform(21)) / 100;
  s.default_timeout = static_cast<double>(r.Uniform(41)) / 100;
  return s;
}

absl::string_view StateName(Client::State s) {
  switch (s) {
    case Client::State::kConnecting:
      return "connecting";
    case Client::State::kConnected:
      return "connected";
    case Client::State::kBackoff:
      return "backoff";
    case Client::State::kClosing:
      return "closing";
    case Client::State::kClosed:
      return "closed";
  }
  return "?";
}

// One client node's process: a Client and a Pool per server, the workload,
// and the per-request checks (the run-wide ones are in Run()).
class ClientProcess final : public Process {
 public:
  ClientProcess(Node& node, RunState& run, int index, Settings settings,
                uint64_t workload_seed)
      : node_(node),
        run_(run),
        index_(index),
        settings_(std::move(settings)),
        random_(workload_seed),
        servers_(static_cast<int>(run.servers.size())),
        live_(2 * servers_, false),
        close_done_(2 * servers_, 0),
        retry_timers_(2 * servers_, 0) {
    for (int s = 0; s < servers_; ++s) {
      ClientOptions o = settings_.client;
      o.address = Address{run.servers[s]->ip(), kPort};
      clients_.push_back(std::make_unique<Client>(node_, o));
      PoolOptions p;
      p.client = o;
      p.max_connections = settings_.max_connections;
      p.max_idle = settings_.max_idle;
      p.borrow_timeout = settings_.borrow_timeout;
      p.health_check_interval = settings_.health_check_interval;
      pools_.push_back(std::make_unique<Pool>(node_, p));
    }
    ArmWatchdog();
    Think();
  }

  ~ClientProcess() override {
    // Whatever completes from here on is the teardown's doing.
    dying_ = true;
    for (TimerId t : {think_timer_, watchdog_timer_}) {
      if (t != 0) node_.executor().Cancel(t);
    }
    for (TimerId t : retry_timers_) {
      if (t != 0) node_.executor().Cancel(t);
    }
    // Leases before their pools; pools and clients before the node.
    leases_.clear();
    leaked_.clear();
    pools_.clear();
    clients_.clear();
  }

  void StopWorkload() {
    workload_on_ = false;
    if (think_timer_ != 0) node_.executor().Cancel(think_timer_);
    think_timer_ = 0;
  }

  // Every Client and every Pool must get a fresh ECHO through.
  void StartLiveness() {
    StopWorkload();
    for (int t = 0; t < 2 * servers_; ++t) LivenessAttempt(t);
  }
  bool live() const {
    return std::all_of(live_.begin(), live_.end(), [](bool b) { return b; });
  }

  // Closes with a burst still in flight, so that graceful closing has
  // queued requests and waiting borrowers to deal with.
  void CloseAll() {
    StopWorkload();
    const int burst = static_cast<int>(random_.Uniform(settings_.window + 1));
    for (int i = 0; i < burst; ++i) {
      const int s = static_cast<int>(random_.Uniform(servers_));
      if (random_.Bernoulli(settings_.pool_fraction)) {
        Borrow(s, /*liveness=*/false);
      } else {
        Request r = DrawRequest();
        r.server = s;
        Send(*clients_[s], std::move(r), DrawTimeout());
      }
    }
    closing_ = true;
    for (int s = 0; s < servers_; ++s) {
      clients_[s]->Close([this, s] { OnClosed(s); });
    }
    for (int s = 0; s < servers_; ++s) {
      pools_[s]->Close([this, s] { OnClosed(servers_ + s); });
      CheckPool(s, "after Close()");
    }
  }
  bool closed() const {
    return std::all_of(close_done_.begin(), close_done_.end(),
                       [](int n) { return n > 0; });
  }

  // After every done ran: nothing may be left open or pending.
  void FinalChecks() {
    for (int s = 0; s < servers_ && !run_.failed(); ++s) {
      Client& c = *clients_[s];
      if (c.state() != Client::State::kClosed || c.pending() != 0) {
        run_.Fail(absl::StrCat("c", index_, "'s client of s", s,
                               " after its Close finished: state ",
                               StateName(c.state()), ", ", c.pending(),
                               " pending"));
      }
      const PoolStats p = pools_[s]->stats();
      if (p.open != 0 || p.idle != 0 || p.lent != 0 || p.waiting != 0) {
        run_.Fail(absl::StrCat("c", index_, "'s pool of s", s,
                               " leaks after its Close finished: ",
                               PoolState(s)));
      }
    }
  }

  // Sum of the plain clients' connects.
  uint64_t connects() const {
    uint64_t n = 0;
    for (const auto& c : clients_) n += c->stats().connects;
    return n;
  }

  std::string DebugState() {
    std::vector<std::string> parts;
    for (int s = 0; s < servers_; ++s) {
      const Client& c = *clients_[s];
      parts.push_back(absl::StrCat(
          "client s", s, " ", StateName(c.state()), " pending=", c.pending(),
          " connects=", c.stats().connects, " failures=",
          c.stats().connect_failures, live_[s] ? " live" : "",
          close_done_[s] > 0 ? " closed" : ""));
      parts.push_back(absl::StrCat("pool s", s, " ", PoolState(s),
                                   live_[servers_ + s] ? " live" : "",
                                   close_done_[servers_ + s] > 0 ? " closed"
                                                                 : ""));
    }
    std::string oldest;
    if (!pending_.empty()) {
      oldest = absl::StrCat(", the oldest ",
                            run_.Describe(*pending_.begin()));
    }
    return absl::StrCat("c", index_, " [", absl::StrJoin(parts, "; "),
                        "; ", pending_.size(), " outstanding", oldest, ", ",
                        leases_.size(), " leases held]");
  }

 private:
  struct LeaseOp {
    Lease lease;
    int server = 0;
    int remaining = 0;  // requests on it not yet completed
    bool broken = false;
    bool liveness = false;
  };

  std::string PoolState(int s) const {
    const PoolStats p = pools_[s]->stats();
    return absl::StrCat("open=", p.open, " idle=", p.idle, " lent=", p.lent,
                        " waiting=", p.waiting, " created=", p.created,
                        " discarded=", p.discarded,
                        " borrow_timeouts=", p.borrow_timeouts);
  }

  absl::Duration Now() { return node_.clock().Monotonic(); }

  void Think() {
    const absl::Duration think = UniformDuration(
        random_, absl::ZeroDuration(), settings_.mean_think * 2);
    think_timer_ = node_.executor().Schedule(think, [this] {
      think_timer_ = 0;
      if (!workload_on_ || run_.failed()) return;
      if (pending_.size() < static_cast<size_t>(settings_.window)) {
        const int s = static_cast<int>(random_.Uniform(servers_));
        if (random_.Bernoulli(settings_.pool_fraction)) {
          Borrow(s, /*liveness=*/false);
        } else {
          Request r = DrawRequest();
          r.server = s;
          Send(*clients_[s], std::move(r), DrawTimeout());
        }
      }
      Think();
    });
  }

  absl::Duration DrawTimeout() {
    if (random_.Bernoulli(settings_.default_timeout)) {
      return absl::ZeroDuration();
    }
    // Whole microseconds: the clocks count nanoseconds, and a fraction of
    // one would make an on-time timeout look early.
    return absl::Microseconds(
        static_cast<int64_t>(LogUniform(random_, 20e3, 3e6)));
  }

  Request DrawRequest() {
    Request r;
    const uint64_t u = random_.Uniform(100);
    if (u < 35) {
      r.op = Op::kEcho;
    } else if (u < 60) {
      r.op = Op::kSet;
      r.key = absl::StrCat("n", index_, ":k", random_.Uniform(kStringKeys));
    } else if (u < 85) {
      r.op = Op::kGet;
      r.key = absl::StrCat("n", index_, ":k", random_.Uniform(kStringKeys));
    } else {
      r.op = Op::kIncr;
      r.key = absl::StrCat("n", index_, ":c", random_.Uniform(kCounterKeys));
    }
    return r;
  }

  // Sends `r` on `client`; `timeout` zero means the client's default.
  uint64_t Send(Client& client, Request r, absl::Duration timeout) {
    const uint64_t id = run_.next_id();
    std::vector<std::string> args;
    switch (r.op) {
      case Op::kEcho:
        r.tag = absl::StrCat("e", id);
        args = {"ECHO", r.tag};
        break;
      case Op::kSet:
        r.tag = absl::StrCat("v", id);
        args = {"SET", r.key, r.tag};
        break;
      case Op::kGet:
        args = {"GET", r.key};
        break;
      case Op::kIncr:
        ++run_.incrs[r.key];
        args = {"INCR", r.key};
        break;
      case Op::kBorrow:
        break;
    }
    r.node = index_;
    r.sent = Now();
    r.timeout = timeout == absl::ZeroDuration()
                    ? client.options().request_timeout
                    : timeout;
    run_.Add(std::move(r));
    pending_.insert(id);
    ++run_.stats.requests;
    Future<ReplyOrError> f = client.Send(std::move(args), timeout);
    // Send fails at once (a ready future) only when it refuses the request:
    // queue full, or the client closed (which Check judges).
    if (f.ready() && (f.value().ok() ||
                      (f.value().status().code() !=
                           absl::StatusCode::kResourceExhausted &&
                       f.value().status().code() !=
                           absl::StatusCode::kCancelled))) {
      run_.Fail(absl::StrCat(run_.Describe(id),
                             " completed inside Send() with ",
                             f.value().ok() ? f.value()->DebugString()
                                            : f.value().status().ToString()));
    }
    std::move(f).Then(
        [this, id](ReplyOrError result) { OnComplete(id, std::move(result)); });
    return id;
  }

  void OnComplete(uint64_t id, ReplyOrError result) {
    if (dying_ || run_.tearing_down) return;
    Record(id, result.ok() ? result->DebugString()
                           : result.status().ToString());
    if (run_.failed()) return;
    Check(id, result);
    // Follow-ups: the lease it was sent on, the liveness probe it was.
    const Request& q = run_.req(id);
    const uint64_t lease = q.lease;
    const bool liveness = q.liveness;
    const int target = q.via_pool ? servers_ + q.server : q.server;
    const bool ok = result.ok();
    if (liveness && q.lease == 0) {
      if (ok) {
        live_[target] = true;
      } else {
        RetryLiveness(target);
      }
    }
    auto it = leases_.find(lease);
    if (lease == 0 || it == leases_.end()) return;
    if (liveness) {
      if (ok) {
        live_[target] = true;
      } else {
        RetryLiveness(target);
      }
    }
    if (--it->second.remaining > 0) return;
    // Returning from inside the client's own callback is what users do;
    // posting it is the careful variant. Both must work.
    if (random_.Bernoulli(0.5)) {
      ReturnLease(lease);
    } else {
      node_.executor().Post([this, lease] {
        if (!dying_) ReturnLease(lease);
      });
    }
  }

  // Counts one completion of `id` (with the sabotages that tamper with
  // that); fails on a second one.
  void Record(uint64_t id, const std::string& outcome) {
    Request& q = run_.req(id);
    int times = 1;
    if (id >= kSabotageFromId && !run_.sabotage_fired) {
      if (run_.sabotage == Sabotage::kDropCompletion) {
        times = 0;
        run_.sabotage_fired = true;
      } else if (run_.sabotage == Sabotage::kDoubleCompletion) {
        times = 2;
        run_.sabotage_fired = true;
      }
    }
    for (int i = 0; i < times; ++i) {
      if (++q.completions > 1) {
        run_.Fail(absl::StrCat(run_.Describe(id),
                               " completed twice: first with ", q.outcome,
                               ", then with ", outcome));
        return;
      }
      q.outcome = outcome;
    }
    pending_.erase(id);
  }

  void Check(uint64_t id, const ReplyOrError& result) {
    Request& q = run_.req(id);
    Stats& st = run_.stats;
    if (!result.ok()) {
      const absl::Status& status = result.status();
      switch (status.code()) {
        case absl::StatusCode::kDeadlineExceeded:
          ++st.deadline;
          if (Now() - q.sent < q.timeout) {
            run_.Fail(absl::StrCat(
                run_.Describe(id), " timed out early, after ",
                absl::FormatDuration(Now() - q.sent), ": ",
                status.ToString()));
          }
          return;
        case absl::StatusCode::kUnknown:
          ++st.unknown;
          return;
        case absl::StatusCode::kResourceExhausted:
          ++st.exhausted;
          return;
        case absl::StatusCode::kCancelled:
          ++st.cancelled;
          if (!closing_ && !q.lease_returned) {
            run_.Fail(absl::StrCat(run_.Describe(id),
                                   " was cancelled though its client was "
                                   "never closed: ",
                                   status.ToString()));
          }
          return;
        default:
          run_.Fail(absl::StrCat(run_.Describe(id),
                                 " failed with a code outside the contract: ",
                                 status.ToString()));
          return;
      }
    }
    Reply reply = *result;
    ++st.replies;
    auto wrong = [&](absl::string_view expected) {
      run_.Fail(absl::StrCat(run_.Describe(id), " got the reply ",
                             reply.DebugString(), ", expected ", expected));
    };
    switch (q.op) {
      case Op::kEcho: {
        if (run_.sabotage == Sabotage::kSwapReplies && !run_.sabotage_fired &&
            !run_.last_echo_reply.empty() && reply.type == Reply::Type::kBulk &&
            reply.str == q.tag) {
          // The reply of the previous ECHO, delivered to this one.
          run_.sabotage_fired = true;
          std::swap(reply.str, run_.last_echo_reply);
        } else if (reply.type == Reply::Type::kBulk) {
          run_.last_echo_reply = reply.str;
        }
        if (reply.type != Reply::Type::kBulk || reply.str != q.tag) {
          wrong(absl::StrCat("\"", q.tag, "\" (its own tag)"));
        }
        return;
      }
      case Op::kSet:
        if (reply != Reply::Status("OK")) wrong("OK");
        return;
      case Op::kGet: {
        if (reply.type == Reply::Type::kNull) {
          ++st.nil_gets;
          return;
        }
        uint64_t m = 0;
        absl::string_view v = reply.str;
        if (reply.type != Reply::Type::kBulk || !absl::ConsumePrefix(&v, "v") ||
            !absl::SimpleAtoi(v, &m) || m == 0 || m > run_.requests.size() ||
            run_.req(m).op != Op::kSet || run_.req(m).key != q.key) {
          wrong(absl::StrCat("nil or the value of a SET of ", q.key));
        }
        return;
      }
      case Op::kIncr: {
        const int64_t sent = run_.incrs[q.key];
        if (reply.type != Reply::Type::kInteger || reply.integer < 1 ||
            reply.integer > sent) {
          wrong(absl::StrCat("an integer from 1 to ", sent,
                             " (the INCRs of ", q.key, " sent so far)"));
        }
        return;
      }
      case Op::kBorrow:
        return;
    }
  }

  void Borrow(int s, bool liveness) {
    Request r;
    r.op = Op::kBorrow;
    r.node = index_;
    r.server = s;
    r.via_pool = true;
    r.liveness = liveness;
    const absl::Duration timeout = liveness ? kLivenessAttempt : DrawTimeout();
    r.sent = Now();
    r.timeout = timeout == absl::ZeroDuration() ? settings_.borrow_timeout
                                                : timeout;
    const uint64_t id = run_.Add(std::move(r));
    pending_.insert(id);
    ++run_.stats.borrows;
    Future<absl::StatusOr<Lease>> f = pools_[s]->Borrow(timeout);
    CheckPool(s, "after Borrow()");
    if (f.ready()) {
      run_.Fail(absl::StrCat(run_.Describe(id),
                             " completed inside Borrow() (the future came "
                             "back ready)"));
    }
    std::move(f).Then([this, id](absl::StatusOr<Lease> lease) {
      OnBorrowed(id, std::move(lease));
    });
  }

  void OnBorrowed(uint64_t id, absl::StatusOr<Lease> result) {
    if (dying_ || run_.tearing_down) return;
    Record(id, result.ok() ? "a lease" : result.status().ToString());
    if (run_.failed()) return;
    const Request q = run_.req(id);
    const int s = q.server;
    const int target = servers_ + s;
    CheckPool(s, "when a Borrow completed");
    if (!result.ok()) {
      const absl::Status& status = result.status();
      if (status.code() == absl::StatusCode::kDeadlineExceeded) {
        ++run_.stats.borrow_timeouts;
        if (Now() - q.sent < q.timeout) {
          run_.Fail(absl::StrCat(run_.Describe(id), " timed out early, after ",
                                 absl::FormatDuration(Now() - q.sent), ": ",
                                 status.ToString()));
        }
      } else if (status.code() == absl::StatusCode::kCancelled && closing_) {
        ++run_.stats.borrow_cancelled;
      } else {
        run_.Fail(absl::StrCat(run_.Describe(id), " failed with ",
                               status.ToString(),
                               closing_ ? "" : " (the pool was not closed)"));
      }
      if (q.liveness) RetryLiveness(target);
      return;
    }
    if (!*result) {
      run_.Fail(absl::StrCat(run_.Describe(id), " gave an empty lease"));
      return;
    }
    ++run_.stats.leases;
    const uint64_t lease_id = ++lease_ids_;
    LeaseOp op;
    op.lease = std::move(*result);
    op.server = s;
    op.liveness = q.liveness;
    const int n = q.liveness ? 1 : 1 + static_cast<int>(random_.Uniform(4));
    const bool early = !q.liveness && random_.Bernoulli(settings_.return_early);
    op.broken = !q.liveness && random_.Bernoulli(settings_.broken);
    op.remaining = n;
    Client& client = op.lease.client();
    leases_.emplace(lease_id, std::move(op));
    std::vector<uint64_t> sent;
    for (int i = 0; i < n; ++i) {
      Request r = q.liveness ? Request() : DrawRequest();
      if (q.liveness) r.op = Op::kEcho;
      r.server = s;
      r.via_pool = true;
      r.lease = lease_id;
      r.liveness = q.liveness;
      sent.push_back(Send(client, std::move(r),
                          q.liveness ? kLivenessAttempt : DrawTimeout()));
    }
    if (early) {
      ++run_.stats.early_returns;
      for (uint64_t r : sent) run_.req(r).lease_returned = true;
      ReturnLease(lease_id);
    }
  }

  void ReturnLease(uint64_t lease_id) {
    auto it = leases_.find(lease_id);
    if (it == leases_.end()) return;
    LeaseOp op = std::move(it->second);
    leases_.erase(it);
    if (run_.sabotage == Sabotage::kLeakLease && !run_.sabotage_fired) {
      run_.sabotage_fired = true;
      leaked_.push_back(std::move(op.lease));
      return;
    }
    if (op.broken) {
      ++run_.stats.broken;
      op.lease.MarkBroken();
    }
    op.lease.Return();
    CheckPool(op.server, "after a lease was returned");
  }

  void LivenessAttempt(int target) {
    if (live_[target] || dying_ || run_.failed()) return;
    if (target < servers_) {
      Request r;
      r.op = Op::kEcho;
      r.server = target;
      r.liveness = true;
      Send(*clients_[target], std::move(r), kLivenessAttempt);
    } else {
      Borrow(target - servers_, /*liveness=*/true);
    }
  }

  void RetryLiveness(int target) {
    if (closing_) return;
    ++run_.stats.liveness_retries;
    if (retry_timers_[target] != 0) return;
    retry_timers_[target] =
        node_.executor().Schedule(kLivenessRetry, [this, target] {
          retry_timers_[target] = 0;
          LivenessAttempt(target);
        });
  }

  void OnClosed(int target) {
    if (dying_ || run_.tearing_down) return;
    const bool pool = target >= servers_;
    const int s = pool ? target - servers_ : target;
    if (++close_done_[target] > 1) {
      run_.Fail(absl::StrCat("c", index_, "'s ", pool ? "pool" : "client",
                             " of s", s, ": Close's done ran twice"));
      return;
    }
    if (!pool && clients_[s]->pending() != 0) {
      run_.Fail(absl::StrCat("c", index_, "'s client of s", s,
                             ": Close's done ran with ",
                             clients_[s]->pending(), " requests pending"));
    }
    if (pool) CheckPool(s, "when Close's done ran");
  }

  // The pool's bounds, always.
  void CheckPool(int s, absl::string_view when) {
    const PoolStats p = pools_[s]->stats();
    run_.stats.max_open = std::max(run_.stats.max_open, p.open);
    if (p.open > settings_.max_connections || p.idle > settings_.max_idle ||
        p.idle + p.lent > p.open) {
      run_.Fail(absl::StrCat("c", index_, "'s pool of s", s, " ", when,
                             ": out of bounds (max_connections=",
                             settings_.max_connections,
                             " max_idle=", settings_.max_idle, "): ",
                             PoolState(s)));
    }
  }

  // Fails the run when a request or a Borrow outlives its deadline.
  void ArmWatchdog() {
    const absl::Duration armed = Now();
    watchdog_timer_ = node_.executor().Schedule(kWatchdogPeriod, [this,
                                                                  armed] {
      watchdog_timer_ = 0;
      if (run_.failed()) return;
      const absl::Duration now = Now();
      // After a pause of this node the timers that came due during it run
      // now, in their order: this one may run before the timeouts that
      // follow it. Judge hangs only on time.
      const bool late = now - armed > kWatchdogPeriod + kWatchdogPeriod / 2;
      for (uint64_t id : late ? std::set<uint64_t>() : pending_) {
        const Request& q = run_.req(id);
        if (now - q.sent > q.timeout + kDeadlineSlack) {
          run_.Fail(absl::StrCat(run_.Describe(id), " hangs: still pending ",
                                 absl::FormatDuration(now - q.sent),
                                 " after it was sent (", DebugState(), ")"));
          return;
        }
      }
      for (int s = 0; s < servers_; ++s) CheckPool(s, "(watchdog)");
      ArmWatchdog();
    });
  }

  Node& node_;
  RunState& run_;
  const int index_;
  const Settings settings_;
  SimRandom random_;
  const int servers_;
  bool workload_on_ = true;
  bool closing_ = false;
  bool dying_ = false;

  std::vector<std::unique_ptr<Client>> clients_;  // by server
  std::vector<std::unique_ptr<Pool>> pools_;      // by server
  std::set<uint64_t> pending_;  // request and Borrow ids not completed
  uint64_t lease_ids_ = 0;
  std::map<uint64_t, LeaseOp> leases_;
  std::vector<Lease> leaked_;  // kLeakLease
  // Targets: client of server s at s, pool of server s at servers_ + s.
  std::vector<bool> live_;
  std::vector<int> close_done_;
  TimerId think_timer_ = 0;
  TimerId watchdog_timer_ = 0;
  std::vector<TimerId> retry_timers_;  // by target
};

}  // namespace

ScenarioResult ReconnectScenario::Run(const ScenarioOptions& options) {
  sabotage_fired_ = false;
  // Declared before the World so that it outlives the processes the World
  // destroys.
  std::unique_ptr<RunState> run_holder;

  World world(options.seed,
              ScenarioWorldOptions(options, 0.6, 0.03, absl::Seconds(3)));

  SimRandom setup = world.Stream("scenario");
  const int server_count = 1 + static_cast<int>(setup.Uniform(3));
  const int client_count = 2 + static_cast<int>(setup.Uniform(3));
  const absl::Duration fault_end =
      std::max(absl::Seconds(1), kFaultPhase * options.scale);

  std::vector<Node*> servers;
  std::vector<std::string> server_names;
  for (int s = 0; s < server_count; ++s) {
    server_names.push_back(absl::StrCat("s", s));
    servers.push_back(
        &world.AddNode(server_names.back(), absl::StrCat("10.0.0.", s + 1)));
  }
  std::vector<Node*> client_nodes;
  for (int i = 0; i < client_count; ++i) {
    client_nodes.push_back(
        &world.AddNode(absl::StrCat("c", i), absl::StrCat("10.0.1.", i + 1)));
  }
  run_holder = std::make_unique<RunState>(world, servers, sabotage_);
  RunState& run = *run_holder;

  for (Node* s : servers) {
    s->SetBoot([&run](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<ServerProcess>(node, run);
    });
  }
  for (int i = 0; i < client_count; ++i) {
    SimRandom settings_random = world.Stream(absl::StrCat("client:c", i));
    Settings settings = DrawSettings(settings_random);
    const uint64_t workload_seed =
        StreamSeed(options.seed, absl::StrCat("workload:c", i));
    client_nodes[i]->SetBoot([&run, i, settings, workload_seed](
                                 Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<ClientProcess>(node, run, i, settings,
                                             workload_seed);
    });
  }

  SimRandom swarm = world.Stream("swarm");
  FaultConfig faults = FaultConfig::Swarm(swarm);
  // Crashes and pauses hit servers only: clients never crash.
  faults.process_targets = server_names;
  // Swarm turns crashes on in half the seeds, often rarely: make them
  // common, as restarts are what reconnection is about.
  if (swarm.Bernoulli(0.5)) {
    faults.rate_of(FaultKind::kCrash) = LogUniform(swarm, 0.05, 0.5);
  }
  if (options.event_log) world.EnableEventLog();

  for (Node* s : servers) s->Boot();
  for (Node* c : client_nodes) c->Boot();
  StartOrReplayFaults(world, faults, options);

  auto failed = [&run] { return run.Halt(); };
  auto client = [&](int i) {
    return client_nodes[i]->process_as<ClientProcess>();
  };
  auto all = [&](auto pred) {
    for (int i = 0; i < client_count; ++i) {
      if (!pred(*client(i))) return false;
    }
    return true;
  };
  auto states = [&] {
    std::vector<std::string> s;
    for (int i = 0; i < server_count; ++i) {
      s.push_back(absl::StrCat("s", i, servers[i]->up() ? " up" : " down"));
    }
    for (int i = 0; i < client_count; ++i) s.push_back(client(i)->DebugState());
    return absl::StrJoin(s, "; ");
  };
  auto wait_for = [&](absl::string_view what, absl::Duration limit,
                      auto done) {
    WaitForPhase(world, run, what, limit, done, states);
  };

  // Pauses of the client nodes (the fault driver's process faults would
  // crash them too): drawn from the seed, so replays of the fault record
  // have them as well.
  SimRandom pauses = world.Stream("client-pauses");
  if (pauses.Bernoulli(0.5)) {
    const double rate = LogUniform(pauses, 0.05, 0.5);  // per node, per s
    for (Node* c : client_nodes) {
      absl::Duration at = absl::ZeroDuration();
      for (;;) {
        at += ExponentialDuration(pauses, absl::Seconds(1 / rate));
        if (at >= fault_end) break;
        const absl::Duration d =
            UniformDuration(pauses, absl::Milliseconds(10), absl::Seconds(3));
        world.Enqueue(at, World::kNoNode, EventKind::kFault,
                      [c, d] { c->Pause(d); });
        ++run.stats.client_pauses;
      }
    }
  }

  // 1. Faults.
  world.RunUntil(failed, fault_end);

  // 2. Heal; every Client and Pool must get a request through.
  if (!run.failed()) {
    EndFaults(world, servers);
    for (int i = 0; i < client_count; ++i) {
      ClientProcess* c = client(i);
      PostTo(*client_nodes[i], [c] { c->StartLiveness(); });
    }
    wait_for("liveness (a fresh ECHO through every client and pool after "
             "healing)",
             kLivenessLimit,
             [&] { return all([](ClientProcess& c) { return c.live(); }); });
  }

  // 3. Close everything, with whatever is still in flight.
  if (!run.failed()) {
    for (int i = 0; i < client_count; ++i) {
      ClientProcess* c = client(i);
      PostTo(*client_nodes[i], [c] { c->CloseAll(); });
    }
    wait_for("closing (every Close's done)", kCloseLimit,
             [&] { return all([](ClientProcess& c) { return c.closed(); }); });
  }
  if (!run.failed()) {
    for (int i = 0; i < client_count; ++i) client(i)->FinalChecks();
  }
  if (!run.failed()) {
    std::vector<std::string> missing;
    size_t missing_count = 0;
    for (uint64_t id = 1; id <= run.requests.size(); ++id) {
      if (run.req(id).completions != 0) continue;
      if (++missing_count <= 3) missing.push_back(run.Describe(id));
    }
    if (missing_count > 0) {
      run.Fail(absl::StrCat(missing_count,
                            " requests never completed, e.g. ",
                            absl::StrJoin(missing, "; ")));
    }
  }

  ScenarioResult result;
  result.failure = run.failure;
  FillWorldResult(world, faults, options, &result);

  const Stats& s = run.stats;
  uint64_t connects = 0;
  for (int i = 0; i < client_count; ++i) connects += client(i)->connects();
  int crashes = 0;
  for (Node* n : servers) crashes += n->crashes();
  result.stats = absl::StrCat(
      "servers=", server_count, " clients=", client_count,
      " requests=", s.requests, " replies=", s.replies,
      " deadline=", s.deadline, " unknown=", s.unknown,
      " cancelled=", s.cancelled, " exhausted=", s.exhausted,
      " nil_gets=", s.nil_gets, " borrows=", s.borrows, " leases=", s.leases,
      " borrow_timeouts=", s.borrow_timeouts,
      " borrow_cancelled=", s.borrow_cancelled, " broken=", s.broken,
      " early_returns=", s.early_returns,
      " liveness_retries=", s.liveness_retries, " max_open=", s.max_open,
      " connects=", connects, " server_crashes=", crashes,
      " client_pauses=", s.client_pauses);
  if (sabotage_ != Sabotage::kNone) {
    absl::StrAppend(&result.stats,
                    " sabotage=", run.sabotage_fired ? "fired" : "idle");
  }
  sabotage_fired_ = run.sabotage_fired;
  run.tearing_down = true;
  return result;
}

}  // namespace twinkv::sim
