#include "sim/scenarios/cluster_scenario.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/client/client.h"
#include "core/cluster/slots.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/future.h"
#include "core/resp/reply.h"
#include "core/server_node.h"
#include "sim/faults.h"
#include "sim/linearizability.h"
#include "sim/mem_files.h"
#include "sim/prng.h"
#include "sim/scenarios/scenario_support.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

using Sabotage = ClusterScenario::Sabotage;

constexpr uint16_t kPort = 6379;
constexpr char kDataDir[] = "/data";
constexpr int kStringKeys = 9;
constexpr int kCounterKeys = 3;
constexpr int kGroups = 2;
constexpr int kGroupSize = 3;
constexpr int kPairs = 2;
constexpr int kMaxHops = 5;
// A cluster-aware client gives a command up ("not run") after following
// redirects for this long: during a membership change a slot's old and
// new owner may send it back and forth until the change reaches both.
constexpr absl::Duration kRedirectDeadline = absl::Seconds(4);
constexpr absl::Duration kSettleLimit = absl::Seconds(30);
constexpr absl::Duration kEligiblePoll = absl::Milliseconds(100);
constexpr absl::Duration kDrainLimit = absl::Seconds(15);
constexpr absl::Duration kLivenessLimit = absl::Seconds(20);
constexpr absl::Duration kSweepRetry = absl::Milliseconds(50);
constexpr absl::Duration kTryAgainDelay = absl::Milliseconds(20);
constexpr uint64_t kLivelockEvents = 2000000;
constexpr int64_t kCheckerSteps = 3'000'000;

std::string ServerIp(int s) { return absl::StrCat("10.0.0.", s + 1); }
std::string ServerId(int s) { return absl::StrCat(ServerIp(s), ":", kPort); }

enum class KeyClass { kString, kCounter, kTag, kGroup };

struct KeyInfo {
  std::string name;
  KeyClass cls = KeyClass::kString;
  int owner = 0;  // server index
};

// What the command does to one of its keys.
struct KeyOp {
  int key = 0;  // index in RunState::keys
  OpKind kind = OpKind::kGet;
  std::string value;
  int64_t incr_by = 0;
};

enum class Shape { kSingle, kMget, kMset, kMultiDel };

struct Command {
  std::vector<std::string> args;
  std::vector<KeyOp> ops;
  Shape shape = Shape::kSingle;
  bool multi_node = false;
  int group = -1;  // an atomicity group's MSET/MGET
  int pair = -1;   // proxy: a RENAME pair's RENAME or MGET
  int slot = 0;    // redirect mode: the slot of its keys
};

// Where an op went, for failure reports.
struct OpOrigin {
  std::string who;  // "c1/l2"
  std::string route;
  std::string command;
};

struct Stats {
  uint64_t commands = 0;
  uint64_t changes = 0;         // membership changes accepted
  uint64_t change_attempts = 0;
  uint64_t renames = 0;         // RENAMEs of a pair answered OK
  uint64_t pair_reads = 0;      // MGETs of a pair checked
  uint64_t redirect_giveups = 0;
  uint64_t proxy_redirects = 0;  // MOVED/ASK passed on to a proxy client
  uint64_t known = 0;
  uint64_t unknown = 0;
  uint64_t not_run = 0;
  uint64_t unknown_reads = 0;
  uint64_t group_mgets = 0;
  uint64_t moved = 0;
  uint64_t asks = 0;
  uint64_t tryagain = 0;
  uint64_t clusterdown = 0;
  uint64_t unknown_replies = 0;
  uint64_t switches = 0;
  uint64_t sweep_reads = 0;
  uint64_t sweep_retries = 0;
  uint64_t server_starts = 0;
};

struct RunState {
  RunState(World& w, bool proxy, bool atomic, Sabotage sab)
      : world(w), proxy(proxy), check_atomicity(atomic), sabotage(sab) {}

  void Fail(absl::string_view message) {
    if (failure.empty()) {
      failure = absl::StrCat("t=", absl::FormatDuration(world.now()), " ",
                             message);
    }
  }
  bool failed() const { return !failure.empty(); }
  bool Halt() {
    if (livelock.Stuck(world)) {
      Fail(absl::StrCat("livelock: ", kLivelockEvents,
                        " events ran without time passing"));
    }
    return failed();
  }
  int64_t NowUs() const { return absl::ToInt64Microseconds(world.now()); }
  // The cluster as server `s` sees it (nullptr while it is down).
  const ClusterView* ViewOf(int s) const;
  Engine* EngineOf(int s) const;
  // The node's ClusterRouter::DebugState(), "" if it is down.
  std::string RouterStateOf(int s) const;
  int RandomEligible(Random& random) const {
    return eligible[random.Uniform(eligible.size())];
  }
  int ServerOf(absl::string_view address) const {
    for (int s = 0; s < server_count; ++s) {
      if (address == ServerId(s)) return s;
    }
    return -1;
  }

  World& world;
  const bool proxy;
  const bool check_atomicity;
  bool strict_proxy_redirects = false;
  const Sabotage sabotage;
  int server_count = 0;    // every server: members and spares
  int initial_members = 0;  // servers 0..initial_members-1
  std::vector<Node*> server_nodes;
  // Membership as the driver made it: current members (server indices,
  // sorted), the epoch every member should reach, servers ever members.
  std::vector<int> members;
  uint64_t epoch = 0;
  std::set<int> ever_members;
  // Servers clients may talk to: members of the first map, and spares
  // once they know they joined. Only grows (forgotten nodes still answer).
  std::vector<int> eligible;
  std::vector<std::string> change_log;
  // Proxy mode: RENAME pairs, each a token in exactly one of its two keys.
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> pair_tokens;
  std::vector<KeyInfo> keys;
  std::vector<int> string_keys, counter_keys, tag_keys;
  std::vector<std::vector<int>> groups;
  bool workload_on = true;
  uint64_t next_value = 0;
  std::vector<Operation> history;
  std::vector<OpOrigin> origins;  // by op id
  std::string failure;
  Stats stats;
  LivelockGuard livelock{kLivelockEvents};
};

// The real server: ServerNode with its AOF, in the seed's cluster mode.
class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, RunState& run, Config config)
      : server_(node, std::move(config)) {
    ++run.stats.server_starts;
    absl::Status status = server_.Start();
    if (!status.ok()) {
      run.Fail(absl::StrCat(node.name(), " refuses to start: ",
                            status.ToString()));
    }
  }

 ServerNode& server() { return server_; }

 private:
  ServerNode server_;
};

Engine* RunState::EngineOf(int s) const {
  Node* node = server_nodes[s];
  if (!node->up()) return nullptr;
  ServerProcess* p = node->process_as<ServerProcess>();
  return p == nullptr ? nullptr : &p->server().engine();
}

std::string RunState::RouterStateOf(int s) const {
  Node* node = server_nodes[s];
  if (!node->up()) return "";
  ServerProcess* p = node->process_as<ServerProcess>();
  if (p == nullptr || p->server().router() == nullptr) return "";
  return absl::StrCat("[", p->server().router()->DebugState(), "]");
}

const ClusterView* RunState::ViewOf(int s) const {
  const Engine* e = EngineOf(s);
  return e == nullptr ? nullptr : e->cluster();
}

// What a reply or failure tells about whether a command ran.
enum class Fate { kKnown, kNotRun, kUnknown };

Fate FateOfStatus(const absl::Status& status) {
  if (absl::IsCancelled(status) || absl::IsResourceExhausted(status)) {
    return Fate::kNotRun;
  }
  if (absl::IsDeadlineExceeded(status) &&
      absl::StrContains(status.message(), "before it was sent")) {
    return Fate::kNotRun;
  }
  return Fate::kUnknown;
}

// "MOVED 3999 10.0.0.2:6379" / "ASK ...": the slot and the address.
bool ParseRedirect(const std::string& error, int* slot, std::string* address) {
  std::vector<std::string> parts = absl::StrSplit(error, ' ');
  return parts.size() == 3 && absl::SimpleAtoi(parts[1], slot) &&
         (*address = parts[2], true);
}

// Redirect mode's cluster-aware client: one core Client per server, a
// slot -> server cache, MOVED/ASK/TRYAGAIN followed at most kMaxHops times.
class RedirectClient {
 public:
  using Done = absl::AnyInvocable<void(ReplyOrError, std::string route)>;

  RedirectClient(Node& node, RunState& run, ClientOptions options,
                 const bool* dying)
      : node_(node), run_(run), options_(std::move(options)), dying_(dying) {
    clients_.resize(run.server_count);
  }

  // Sends `args` (keys in `slot`) starting at server `start`, or at the
  // cached owner (a random server if none) when start < 0.
  void Send(std::vector<std::string> args, int slot, int start, Done done) {
    auto req = std::make_shared<Req>();
    req->deadline = run_.world.now() + kRedirectDeadline;
    req->args = std::move(args);
    req->slot = slot;
    req->done = std::move(done);
    int server = start;
    if (server < 0) {
      auto it = cache_.find(slot);
      server = it != cache_.end()
                   ? it->second
                   : run_.RandomEligible(node_.random());
    }
    Try(req, server, false);
  }

 private:
  struct Req {
    std::vector<std::string> args;
    int slot = 0;
    int hops = 0;
    absl::Duration deadline;
    std::string route;
    Done done;
  };

  Client& ClientFor(int s) {
    if (clients_[s] == nullptr) {
      ClientOptions o = options_;
      o.address = Address{ServerIp(s), kPort};
      clients_[s] = std::make_unique<Client>(node_, o);
    }
    return *clients_[s];
  }

  void Try(std::shared_ptr<Req> req, int server, bool asking) {
    absl::StrAppend(&req->route, req->route.empty() ? "" : "->", "s", server,
                    asking ? "(ASKING)" : "");
    Client& c = ClientFor(server);
    if (asking) c.Send({"ASKING"}).Then([](ReplyOrError) {});
    c.Send(req->args).Then([this, req, server](ReplyOrError r) mutable {
      if (*dying_) return;
      if (r.ok() && r->type == Reply::Type::kError) {
        const std::string& e = r->str;
        const bool moved = absl::StartsWith(e, "MOVED ");
        const bool ask = absl::StartsWith(e, "ASK ");
        const bool again = absl::StartsWith(e, "TRYAGAIN");
        if (moved || ask || again) {
          // Every reply so far refused the command (it ran nowhere): give
          // up once past the deadline, as a real client would.
          if (run_.world.now() >= req->deadline) {
            ++run_.stats.redirect_giveups;
            return req->done(std::move(r), req->route);
          }
          if (again) {
            ++run_.stats.tryagain;
            node_.executor().Schedule(kTryAgainDelay, [this, req, server] {
              if (!*dying_) Try(req, server, false);
            });
            return;
          }
          int slot = 0;
          std::string address;
          const int target =
              ParseRedirect(e, &slot, &address) ? run_.ServerOf(address) : -1;
          if (target < 0) {
            run_.Fail(absl::StrCat("redirect client: malformed redirect `",
                                   e, "`"));
            return req->done(std::move(r), req->route);
          }
          if (moved) {
            ++run_.stats.moved;
            cache_[slot] = target;
          } else {
            ++run_.stats.asks;
          }
          if (++req->hops > kMaxHops) {
            // Old and new owner disagree (one has not heard of the change
            // yet): slow down rather than spin.
            node_.executor().Schedule(
                kTryAgainDelay, [this, req, target, ask] {
                  if (!*dying_) Try(req, target, ask);
                });
            return;
          }
          return Try(req, target, ask);
        }
      }
      // An answer after ASK says nothing of who owns the slot (a real
      // client caches only MOVED).
      if (r.ok() && req->route.find("(ASKING)") == std::string::npos) {
        cache_[req->slot] = server;
      }
      req->done(std::move(r), req->route);
    });
  }

  Node& node_;
  RunState& run_;
  ClientOptions options_;
  const bool* dying_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::map<int, int> cache_;  // slot -> server
};

class ClientProcess final : public Process {
 public:
  ClientProcess(Node& node, RunState& run, int index, uint64_t seed)
      : node_(node), run_(run), index_(index), random_(seed) {
    options_.connect_timeout =
        UniformDuration(random_, absl::Milliseconds(200), absl::Seconds(1));
    // Short timeouts make unknown outcomes at the client; long ones (past
    // the proxy's own forward timeout) let the router's CLUSTERDOWN and
    // UNKNOWN replies through.
    options_.request_timeout =
        random_.Bernoulli(0.5)
            ? UniformDuration(random_, absl::Milliseconds(800),
                              absl::Seconds(3))
            : UniformDuration(random_, absl::Seconds(7), absl::Seconds(10));
    options_.heartbeat_interval =
        UniformDuration(random_, absl::Milliseconds(200), absl::Seconds(1));
    options_.heartbeat_timeout =
        UniformDuration(random_, absl::Milliseconds(300), absl::Seconds(2));
    options_.backoff_initial =
        UniformDuration(random_, absl::Milliseconds(2), absl::Milliseconds(50));
    options_.backoff_max =
        UniformDuration(random_, absl::Milliseconds(100), absl::Seconds(1));
    mean_think_ =
        UniformDuration(random_, absl::Milliseconds(4), absl::Milliseconds(30));
    switch_every_ =
        UniformDuration(random_, absl::Seconds(2), absl::Seconds(6));
    if (run_.proxy) {
      SwitchServer();
    } else {
      redirect_ = std::make_unique<RedirectClient>(node_, run_, options_,
                                                   &dying_);
    }
    const int lanes = 2 + static_cast<int>(random_.Uniform(3));
    lanes_.resize(lanes);
    for (int l = 0; l < lanes; ++l) Think(l);
  }

  ~ClientProcess() override {
    dying_ = true;
    for (Lane& lane : lanes_) {
      if (lane.timer != 0) node_.executor().Cancel(lane.timer);
    }
    if (switch_timer_ != 0) node_.executor().Cancel(switch_timer_);
    for (TimerId t : sweep_timers_) node_.executor().Cancel(t);
    current_.reset();
    retired_.clear();
    sweep_clients_.clear();
    redirect_.reset();
  }

  int lanes() const { return static_cast<int>(lanes_.size()); }
  bool idle() const {
    for (const Lane& lane : lanes_) {
      if (lane.busy) return false;
    }
    return true;
  }

  // The liveness sweep: every key read through (or starting at) every
  // server until each read succeeded once.
  void StartSweep() {
    ++sweep_generation_;
    sweep_left_ = 0;
    sweep_.clear();
    // Proxy mode without strict_proxy_redirects: through the members only
    // (a forgotten proxy never learns of later members, and passes their
    // MOVED on).
    const bool members_only = run_.proxy && !run_.strict_proxy_redirects;
    for (int s : members_only ? run_.members : run_.eligible) {
      for (int k = 0; k < static_cast<int>(run_.keys.size()); ++k) {
        sweep_.push_back(SweepEntry{s, k, false, "not tried"});
        ++sweep_left_;
      }
    }
    for (size_t i = 0; i < sweep_.size(); ++i) SweepRead(i);
  }
  // Sweeps completed so far.
  int sweeps_done() const { return sweeps_done_; }
  std::string SweepState() const {
    std::vector<std::string> pending;
    for (const SweepEntry& e : sweep_) {
      if (e.done) continue;
      if (pending.size() < 6) {
        pending.push_back(absl::StrCat(run_.keys[e.key].name, " via s",
                                       e.server, " (", e.last_error, ")"));
      }
    }
    return absl::StrCat(sweep_left_, " reads not done: ",
                        absl::StrJoin(pending, "; "));
  }

 private:
  struct Lane {
    TimerId timer = 0;
    bool busy = false;
  };
  struct SweepEntry {
    int server = 0;
    int key = 0;
    bool done = false;
    std::string last_error;
  };

  // --- Proxy mode's connection: one server at a time. ---

  void SwitchServer() {
    switch_timer_ = 0;
    if (dying_) return;
    if (current_ != nullptr) {
      ++run_.stats.switches;
      current_->Close([] {});
      retired_.push_back(std::move(current_));
    }
    server_ = run_.RandomEligible(random_);
    ClientOptions o = options_;
    o.address = Address{ServerIp(server_), kPort};
    current_ = std::make_unique<Client>(node_, o);
    if (run_.workload_on) {
      switch_timer_ =
          node_.executor().Schedule(switch_every_, [this] { SwitchServer(); });
    }
  }

  // Sends `c` the mode's way; `done` gets the outcome and the route.
  void Dispatch(const Command& c, int start,
                absl::AnyInvocable<void(ReplyOrError, std::string)> done) {
    if (run_.proxy) {
      Client* client = current_.get();
      int server = server_;
      if (start >= 0) {
        client = &SweepClient(start);
        server = start;
      }
      client->Send(c.args).Then(
          [this, server, done = std::move(done)](ReplyOrError r) mutable {
            if (dying_) return;
            done(std::move(r), absl::StrCat("s", server));
          });
      return;
    }
    redirect_->Send(c.args, c.slot, start, std::move(done));
  }

  Client& SweepClient(int s) {
    auto& c = sweep_clients_[s];
    if (c == nullptr) {
      ClientOptions o = options_;
      o.address = Address{ServerIp(s), kPort};
      c = std::make_unique<Client>(node_, o);
    }
    return *c;
  }

  // --- The workload. ---

  void Think(int l) {
    lanes_[l].timer = node_.executor().Schedule(
        ExponentialDuration(random_, mean_think_), [this, l] {
          lanes_[l].timer = 0;
          Step(l);
        });
  }

  int Pick(const std::vector<int>& v) {
    return v[random_.Uniform(v.size())];
  }
  // `n` distinct keys of `v` (n <= v.size()).
  std::vector<int> PickDistinct(std::vector<int> v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      std::swap(v[i], v[i + random_.Uniform(v.size() - i)]);
    }
    v.resize(n);
    return v;
  }
  std::string NewValue() {
    return absl::StrCat("c", index_, ".", ++run_.next_value);
  }

  Command SingleOn(int k) {
    Command c;
    const std::string& key = run_.keys[k].name;
    KeyOp op;
    op.key = k;
    const uint64_t u = random_.Uniform(100);
    if (run_.keys[k].cls == KeyClass::kCounter) {
      if (u < 35) {
        op.kind = OpKind::kGet;
        c.args = {"GET", key};
      } else if (u < 75) {
        op.kind = OpKind::kIncr;
        op.incr_by = 1 + static_cast<int64_t>(random_.Uniform(3));
        c.args = {"INCRBY", key, absl::StrCat(op.incr_by)};
      } else if (u < 85) {
        op.kind = OpKind::kSet;
        op.value = absl::StrCat(++run_.next_value * 100);
        c.args = {"SET", key, op.value};
      } else {
        op.kind = OpKind::kDel;
        c.args = {"DEL", key};
      }
    } else if (u < 35) {
      op.kind = OpKind::kGet;
      c.args = {"GET", key};
    } else if (u < 60) {
      op.kind = OpKind::kSet;
      op.value = NewValue();
      c.args = {"SET", key, op.value};
    } else if (u < 75) {
      op.kind = OpKind::kAppend;
      op.value = absl::StrCat("+", ++run_.next_value);
      c.args = {"APPEND", key, op.value};
    } else if (u < 85) {
      op.kind = OpKind::kSetNx;
      op.value = NewValue();
      c.args = {"SETNX", key, op.value};
    } else {
      op.kind = OpKind::kDel;
      c.args = {"DEL", key};
    }
    c.ops.push_back(std::move(op));
    return c;
  }

  Command Multi(Shape shape, const std::vector<int>& keys) {
    Command c;
    c.shape = shape;
    c.args = {shape == Shape::kMget   ? "MGET"
              : shape == Shape::kMset ? "MSET"
                                      : "DEL"};
    for (int k : keys) {
      KeyOp op;
      op.key = k;
      c.args.push_back(run_.keys[k].name);
      if (shape == Shape::kMget) {
        op.kind = OpKind::kGet;
      } else if (shape == Shape::kMset) {
        op.kind = OpKind::kSet;
        op.value = NewValue();
        c.args.push_back(op.value);
      } else {
        op.kind = OpKind::kDel;
      }
      // Split over nodes under some map (owners change with membership).
      if (KeySlot(run_.keys[k].name) != KeySlot(run_.keys[keys[0]].name)) {
        c.multi_node = true;
      }
      c.ops.push_back(std::move(op));
    }
    return c;
  }

  Command NextCommand() {
    const uint64_t u = random_.Uniform(100);
    if (run_.proxy && u >= 95 && !run_.pairs.empty()) {
      Command c;
      c.pair = static_cast<int>(random_.Uniform(run_.pairs.size()));
      const auto& [a, b] = run_.pairs[c.pair];
      const uint64_t v = random_.Uniform(3);
      c.args = v == 0   ? std::vector<std::string>{"MGET", a, b}
               : v == 1 ? std::vector<std::string>{"RENAME", a, b}
                        : std::vector<std::string>{"RENAME", b, a};
      return c;
    }
    if (run_.proxy && u < 15) {
      const int g = static_cast<int>(random_.Uniform(run_.groups.size()));
      Command c = Multi(random_.Bernoulli(0.5) ? Shape::kMset : Shape::kMget,
                        run_.groups[g]);
      c.group = g;
      if (c.shape == Shape::kMset) {
        // One token for the whole group.
        const std::string token = NewValue();
        for (size_t i = 0; i < c.ops.size(); ++i) {
          c.ops[i].value = token;
          c.args[2 + 2 * i] = token;
        }
      }
      return c;
    }
    if (u < 28) {
      const uint64_t v = random_.Uniform(100);
      const size_t n = 2 + random_.Uniform(2);
      if (!run_.proxy) {
        const Shape shape =
            v < 50 ? Shape::kMget : v < 80 ? Shape::kMset : Shape::kMultiDel;
        Command c = Multi(shape, PickDistinct(run_.tag_keys, n));
        c.slot = KeySlot(run_.keys[run_.tag_keys[0]].name);
        return c;
      }
      if (v < 50) {
        std::vector<int> pool = run_.string_keys;
        pool.insert(pool.end(), run_.counter_keys.begin(),
                    run_.counter_keys.end());
        pool.insert(pool.end(), run_.tag_keys.begin(), run_.tag_keys.end());
        return Multi(Shape::kMget, PickDistinct(pool, n + 1));
      }
      if (v < 80) return Multi(Shape::kMset, PickDistinct(run_.string_keys, n));
      std::vector<int> pool = run_.string_keys;
      pool.insert(pool.end(), run_.counter_keys.begin(),
                  run_.counter_keys.end());
      return Multi(Shape::kMultiDel, PickDistinct(pool, n));
    }
    const uint64_t w = random_.Uniform(100);
    const int k = w < 65   ? Pick(run_.string_keys)
                  : w < 85 ? Pick(run_.counter_keys)
                           : Pick(run_.tag_keys);
    Command c = SingleOn(k);
    c.slot = KeySlot(run_.keys[k].name);
    return c;
  }

  void Step(int l) {
    if (!run_.workload_on || run_.failed() || dying_) return;
    lanes_[l].busy = true;
    ++run_.stats.commands;
    auto c = std::make_shared<Command>(NextCommand());
    const int64_t call = run_.NowUs();
    Dispatch(*c, -1, [this, l, c, call](ReplyOrError r, std::string route) {
      Record(*c, call, r, route, l);
      lanes_[l].busy = false;
      if (run_.workload_on) Think(l);
    });
  }

  // --- Outcomes into the history. ---

  void Add(const Command& c, const KeyOp& kop, int64_t call, Fate fate,
           const std::string& route, int lane, const Reply* out) {
    if (fate == Fate::kNotRun) return;
    if (fate == Fate::kUnknown && kop.kind == OpKind::kGet) {
      ++run_.stats.unknown_reads;
      return;
    }
    Operation op;
    op.id = static_cast<int64_t>(run_.history.size());
    op.client = index_ * 10 + (lane >= 0 ? lane : 9);  // 9: the sweep
    op.key = run_.keys[kop.key].name;
    op.kind = kop.kind;
    op.value = kop.value;
    op.incr_by = kop.incr_by;
    op.call_us = call;
    op.return_us = run_.NowUs();
    if (fate == Fate::kUnknown) {
      op.unknown = true;
      ++run_.stats.unknown;
    } else {
      ++run_.stats.known;
      if (c.shape == Shape::kMultiDel) {
        op.output_unchecked = true;
      } else if (kop.kind == OpKind::kGet) {
        if (out->type == Reply::Type::kBulk) op.output_value = out->str;
      } else if (out != nullptr && out->type == Reply::Type::kInteger) {
        op.output_int = out->integer;
      }
    }
    run_.history.push_back(std::move(op));
    run_.origins.push_back(OpOrigin{
        absl::StrCat("c", index_, lane >= 0 ? absl::StrCat("/l", lane)
                                            : std::string("/sweep")),
        route, absl::StrJoin(c.args, " ")});
  }

  // Returns false (and fails the run) if `reply` has the wrong shape.
  bool Expect(const Command& c, bool ok, const Reply& reply,
              const std::string& route) {
    if (ok) return true;
    run_.Fail(absl::StrCat("unexpected reply to `", absl::StrJoin(c.args, " "),
                           "` via ", route, ": ", reply.DebugString()));
    return false;
  }

  // A RENAME pair's command (oracle 4): not in the history; its MGET (atomic
  // across nodes) must show the pair's token in exactly one key.
  void RecordPair(const Command& c, const ReplyOrError& r,
                  const std::string& route) {
    if (!r.ok()) return;
    const Reply& reply = *r;
    if (reply.type == Reply::Type::kError) {
      if (absl::StartsWith(reply.str, "CLUSTERDOWN ") ||
          absl::StartsWith(reply.str, "UNKNOWN ") ||
          absl::StartsWith(reply.str, "TRYAGAIN") ||
          (c.args[0] == "RENAME" && reply.str == "ERR no such key")) {
        return;
      }
      if (!run_.strict_proxy_redirects &&
          (absl::StartsWith(reply.str, "MOVED ") ||
           absl::StartsWith(reply.str, "ASK "))) {
        ++run_.stats.proxy_redirects;  // see Record
        return;
      }
      Expect(c, false, reply, route);
      return;
    }
    if (c.args[0] == "RENAME") {
      if (Expect(c, reply == Reply::Status("OK"), reply, route)) {
        ++run_.stats.renames;
      }
      return;
    }
    bool ok = reply.type == Reply::Type::kArray && reply.elements.size() == 2;
    if (!Expect(c, ok, reply, route)) return;
    ++run_.stats.pair_reads;
    const std::string& token = run_.pair_tokens[c.pair];
    int with_token = 0, nil = 0;
    for (const Reply& e : reply.elements) {
      with_token += e.type == Reply::Type::kBulk && e.str == token;
      nil += e.type == Reply::Type::kNull;
    }
    if (with_token != 1 || nil != 1) {
      run_.Fail(absl::StrCat("cross-node RENAME atomicity violated: `",
                             absl::StrJoin(c.args, " "), "` via ", route,
                             " from c", index_, " saw ", reply.DebugString(),
                             "; the pair's token ", token,
                             " lives in exactly one of its keys"));
    }
  }

  void Record(const Command& c, int64_t call, const ReplyOrError& r,
              const std::string& route, int lane) {
    if (c.pair >= 0) return RecordPair(c, r, route);
    Fate fate = Fate::kKnown;
    if (!r.ok()) {
      fate = FateOfStatus(r.status());
      if (fate == Fate::kNotRun) ++run_.stats.not_run;
      for (const KeyOp& op : c.ops) Add(c, op, call, fate, route, lane, nullptr);
      return;
    }
    const Reply& reply = *r;
    if (reply.type == Reply::Type::kError) {
      if (absl::StartsWith(reply.str, "CLUSTERDOWN ")) {
        ++run_.stats.clusterdown;
        // A split command reports its first failure: other parts may have
        // run, unless the command is an MSET under the atomic protocol.
        fate = c.multi_node && (c.shape == Shape::kMultiDel ||
                                (c.shape == Shape::kMset &&
                                 !run_.check_atomicity))
                   ? Fate::kUnknown
                   : Fate::kNotRun;
      } else if (absl::StartsWith(reply.str, "UNKNOWN ")) {
        ++run_.stats.unknown_replies;
        fate = Fate::kUnknown;
      } else if (run_.proxy && !run_.strict_proxy_redirects &&
                 (absl::StartsWith(reply.str, "MOVED ") ||
                  absl::StartsWith(reply.str, "ASK "))) {
        // Known weakness (see ClusterScenario::set_strict_proxy_redirects):
        // a proxy passes on a redirect to a node its view does not know.
        // The part it was for did not run; other parts of a split command
        // may have.
        ++run_.stats.proxy_redirects;
        fate = c.multi_node ? Fate::kUnknown : Fate::kNotRun;
      } else if (run_.proxy && absl::StartsWith(reply.str, "TRYAGAIN")) {
        // A key stayed locked by a cross-node transaction past the
        // router's request timeout: the command did not run.
        ++run_.stats.tryagain;
        fate = Fate::kNotRun;
      } else if (!run_.proxy && (absl::StartsWith(reply.str, "MOVED ") ||
                                 absl::StartsWith(reply.str, "ASK ") ||
                                 absl::StartsWith(reply.str, "TRYAGAIN"))) {
        // Redirected past the client's deadline: it ran nowhere.
        fate = Fate::kNotRun;
      } else {
        Expect(c, false, reply, route);
        return;
      }
      if (fate == Fate::kNotRun) ++run_.stats.not_run;
      for (const KeyOp& op : c.ops) Add(c, op, call, fate, route, lane, nullptr);
      return;
    }
    switch (c.shape) {
      case Shape::kSingle: {
        const KeyOp& op = c.ops[0];
        bool ok = false;
        switch (op.kind) {
          case OpKind::kGet:
            ok = reply.type == Reply::Type::kBulk ||
                 reply.type == Reply::Type::kNull;
            break;
          case OpKind::kSet:
            ok = reply == Reply::Status("OK");
            break;
          default:
            ok = reply.type == Reply::Type::kInteger;
        }
        if (!Expect(c, ok, reply, route)) return;
        Add(c, op, call, Fate::kKnown, route, lane, &reply);
        return;
      }
      case Shape::kMset:
        if (!Expect(c, reply == Reply::Status("OK"), reply, route)) return;
        for (const KeyOp& op : c.ops) {
          Add(c, op, call, Fate::kKnown, route, lane, &reply);
        }
        return;
      case Shape::kMultiDel:
        if (!Expect(c,
                    reply.type == Reply::Type::kInteger && reply.integer >= 0 &&
                        reply.integer <= static_cast<int64_t>(c.ops.size()),
                    reply, route)) {
          return;
        }
        for (const KeyOp& op : c.ops) {
          Add(c, op, call, Fate::kKnown, route, lane, &reply);
        }
        return;
      case Shape::kMget: {
        bool ok = reply.type == Reply::Type::kArray &&
                  reply.elements.size() == c.ops.size();
        for (size_t i = 0; ok && i < reply.elements.size(); ++i) {
          ok = reply.elements[i].type == Reply::Type::kBulk ||
               reply.elements[i].type == Reply::Type::kNull;
        }
        if (!Expect(c, ok, reply, route)) return;
        for (size_t i = 0; i < c.ops.size(); ++i) {
          Add(c, c.ops[i], call, Fate::kKnown, route, lane,
              &reply.elements[i]);
        }
        if (c.group >= 0) CheckGroupRead(c, reply, route);
        return;
      }
    }
  }

  // Oracle 2: one token in every position of a group's MGET, or nil in all.
  void CheckGroupRead(const Command& c, const Reply& reply,
                      const std::string& route) {
    ++run_.stats.group_mgets;
    if (!run_.check_atomicity) return;
    const Reply& first = reply.elements[0];
    for (const Reply& e : reply.elements) {
      if (e.type == first.type && e.str == first.str) continue;
      std::vector<std::string> shown;
      for (size_t i = 0; i < c.ops.size(); ++i) {
        const KeyInfo& k = run_.keys[c.ops[i].key];
        shown.push_back(absl::StrCat(k.name, "(s", k.owner, ")=",
                                     reply.elements[i].DebugString()));
      }
      run_.Fail(absl::StrCat(
          "cross-node MSET atomicity violated: `", absl::StrJoin(c.args, " "),
          "` via ", route, " from c", index_, " saw ",
          absl::StrJoin(shown, ", "),
          "; every MSET of the group writes one token to all its keys"));
      return;
    }
  }

  void SweepRead(size_t i) {
    if (dying_ || run_.failed()) return;
    const int generation = sweep_generation_;
    SweepEntry& e = sweep_[i];
    auto c = std::make_shared<Command>();
    const std::string& key = run_.keys[e.key].name;
    c->args = {"GET", key};
    c->slot = KeySlot(key);
    c->ops.push_back(KeyOp{e.key, OpKind::kGet, "", 0});
    const int64_t call = run_.NowUs();
    ++run_.stats.sweep_reads;
    Dispatch(*c, e.server, [this, i, c, call, generation](ReplyOrError r,
                                                            std::string route) {
      if (generation != sweep_generation_) return;
      SweepEntry& e = sweep_[i];
      const bool good = r.ok() && (r->type == Reply::Type::kBulk ||
                                   r->type == Reply::Type::kNull);
      if (good) {
        Record(*c, call, r, route, -1);
        e.done = true;
        if (--sweep_left_ == 0) ++sweeps_done_;
        return;
      }
      e.last_error = r.ok() ? r->DebugString() : r.status().ToString();
      if (r.ok() && r->type == Reply::Type::kError &&
          !absl::StartsWith(r->str, "CLUSTERDOWN ") &&
          !absl::StartsWith(r->str, "TRYAGAIN") &&
          !absl::StartsWith(r->str, "MOVED ") &&
          !absl::StartsWith(r->str, "ASK ") &&
          !absl::StartsWith(r->str, "UNKNOWN ")) {
        Record(*c, call, r, route, -1);  // fails the run: unexpected
        return;
      }
      ++run_.stats.sweep_retries;
      sweep_timers_.push_back(node_.executor().Schedule(
          kSweepRetry, [this, i, generation] {
            if (generation == sweep_generation_) SweepRead(i);
          }));
    });
  }

  Node& node_;
  RunState& run_;
  const int index_;
  SimRandom random_;
  ClientOptions options_;
  absl::Duration mean_think_;
  absl::Duration switch_every_;
  std::vector<Lane> lanes_;
  bool dying_ = false;
  // Proxy mode.
  int server_ = 0;
  std::unique_ptr<Client> current_;
  std::vector<std::unique_ptr<Client>> retired_;
  TimerId switch_timer_ = 0;
  // Redirect mode.
  std::unique_ptr<RedirectClient> redirect_;
  // The sweep.
  std::vector<SweepEntry> sweep_;
  int sweep_left_ = 0;
  int sweep_generation_ = 0;
  int sweeps_done_ = 0;
  std::map<int, std::unique_ptr<Client>> sweep_clients_;
  std::vector<TimerId> sweep_timers_;
};

// The operator: writes the RENAME pairs' tokens before the workload starts,
// then makes `changes` membership changes during the fault phase, one at a
// time: CLUSTER MEET of a spare (never a member before) or CLUSTER FORGET
// of a member (at least two stay), sent to a random member. A refusal
// ("still moving slots") or a lost reply is retried after a backoff, at a
// random member again (the same change gives the same record everywhere:
// a retried MEET is "already a member", a retried FORGET "Unknown node").
// With `careful`, it only sends to a member that is up, knows the latest
// epoch the driver made and is not moving slots (read from the node, as an
// operator would check CLUSTER state first); otherwise it sends blindly.
// Keeps polling which spares know they joined (RunState::eligible).
class MembershipDriver final : public Process {
 public:
  MembershipDriver(Node& node, RunState& run, uint64_t seed, int changes,
                   bool careful)
      : node_(node),
        run_(run),
        random_(seed),
        changes_left_(changes),
        careful_(careful) {
    clients_.resize(run.server_count);
    WritePairs();
    Poll();
  }
  ~MembershipDriver() override {
    dying_ = true;
    for (TimerId t : {timer_, poll_timer_}) {
      if (t != 0) node_.executor().Cancel(t);
    }
    clients_.clear();
  }

  bool setup_done() const { return pairs_left_ == 0; }
  // Starts the changes (after the setup).
  void Begin() {
    timer_ = node_.executor().Schedule(
        UniformDuration(random_, absl::Seconds(1), absl::Seconds(6)),
        [this] { Next(); });
  }
  // No change is under way (one whose outcome is not known yet counts).
  bool idle() const { return !busy_; }
  int changes_left() const { return changes_left_; }
  std::string State() const {
    return absl::StrCat("driver: ", busy_ ? "busy with " : "idle, last ",
                        what_, ", attempts ", attempts_, ", last reply ",
                        last_reply_);
  }

 private:
  Client& ClientFor(int s) {
    if (clients_[s] == nullptr) {
      ClientOptions o;
      o.address = Address{ServerIp(s), kPort};
      o.connect_timeout = absl::Seconds(1);
      o.request_timeout = absl::Seconds(3);
      clients_[s] = std::make_unique<Client>(node_, o);
    }
    return *clients_[s];
  }

  void WritePairs() {
    pairs_left_ = static_cast<int>(run_.pairs.size());
    for (size_t p = 0; p < run_.pairs.size(); ++p) WritePair(p);
  }
  void WritePair(size_t p) {
    if (dying_) return;
    const int s = static_cast<int>(random_.Uniform(run_.initial_members));
    ClientFor(s)
        .Send({"SET", run_.pairs[p].first, run_.pair_tokens[p]})
        .Then([this, p](ReplyOrError r) {
          if (dying_) return;
          if (r.ok() && *r == Reply::Status("OK")) {
            --pairs_left_;
            return;
          }
          // No faults yet: only a slow start. SET is safe to repeat.
          timer_ = node_.executor().Schedule(absl::Milliseconds(100), [this, p] {
            timer_ = 0;
            WritePair(p);
          });
        });
  }

  void Poll() {
    poll_timer_ = 0;
    if (dying_) return;
    for (int s : run_.members) {
      if (std::find(run_.eligible.begin(), run_.eligible.end(), s) !=
          run_.eligible.end()) {
        continue;
      }
      const ClusterView* v = run_.ViewOf(s);
      if (v != nullptr && v->epoch() > 0) run_.eligible.push_back(s);
    }
    poll_timer_ = node_.executor().Schedule(kEligiblePoll, [this] { Poll(); });
  }

  void Next() {
    timer_ = 0;
    if (dying_ || !run_.workload_on || changes_left_ == 0) return;
    std::vector<int> spares;
    for (int s = 0; s < run_.server_count; ++s) {
      if (!run_.ever_members.contains(s)) spares.push_back(s);
    }
    const int n = static_cast<int>(run_.members.size());
    meet_ = !spares.empty() && (n < 3 || random_.Bernoulli(0.6));
    if (meet_) {
      target_ = spares[random_.Uniform(spares.size())];
      args_ = {"CLUSTER", "MEET", ServerIp(target_), absl::StrCat(kPort)};
    } else {
      target_ = run_.members[random_.Uniform(n)];
      args_ = {"CLUSTER", "FORGET", ServerId(target_)};
    }
    what_ = absl::StrJoin(args_, " ");
    busy_ = true;
    unknown_ = false;
    attempts_ = 0;
    Attempt();
  }

  void Attempt() {
    timer_ = 0;
    if (dying_) return;
    std::vector<int> to;
    for (int s : run_.members) {
      if (meet_ || s != target_) to.push_back(s);
    }
    const int s = to[random_.Uniform(to.size())];
    if (careful_) {
      const ClusterView* v = run_.ViewOf(s);
      const bool current = v != nullptr && v->epoch() == run_.epoch &&
                           !v->migrating();
      // Past the change already (an earlier attempt's reply was lost).
      const bool past = v != nullptr && unknown_ && v->epoch() == run_.epoch + 1;
      if (!current && !past) return Retry();
    }
    ++attempts_;
    ++run_.stats.change_attempts;
    ClientFor(s).Send(args_).Then([this, s](ReplyOrError r) {
      if (dying_) return;
      if (!r.ok()) {
        last_reply_ = absl::StrCat("s", s, ": ", r.status().ToString());
        unknown_ = true;
        return Retry();
      }
      last_reply_ = absl::StrCat("s", s, ": ", r->DebugString());
      if (*r == Reply::Status("OK")) return Done(s);
      if (r->is_error() && unknown_ && !meet_ &&
          absl::StartsWith(r->str, "ERR Unknown node")) {
        return Done(s);  // an earlier attempt's FORGET went through
      }
      if (r->is_error() &&
          (absl::StartsWith(r->str, "ERR a membership change is still") ||
           absl::StartsWith(r->str, "CLUSTERDOWN ") ||
           absl::StartsWith(r->str, "UNKNOWN ") ||
           absl::StartsWith(r->str, "TRYAGAIN"))) {
        return Retry();
      }
      run_.Fail(absl::StrCat("membership driver: `", what_, "` sent to s", s,
                             " got ", r->DebugString()));
    });
  }

  void Retry() {
    const absl::Duration backoff = UniformDuration(
        random_, absl::Milliseconds(100),
        absl::Milliseconds(100) * (1 << std::min(attempts_, 4)));
    timer_ = node_.executor().Schedule(backoff, [this] { Attempt(); });
  }

  void Done(int via) {
    ++run_.epoch;
    ++run_.stats.changes;
    if (meet_) {
      run_.members.push_back(target_);
      std::sort(run_.members.begin(), run_.members.end());
      run_.ever_members.insert(target_);
    } else {
      run_.members.erase(
          std::find(run_.members.begin(), run_.members.end(), target_));
    }
    run_.change_log.push_back(absl::StrCat(
        "epoch ", run_.epoch, ": ", what_, " via s", via, " at ",
        absl::FormatDuration(run_.world.now()), " after ", attempts_,
        " attempts"));
    busy_ = false;
    --changes_left_;
    if (changes_left_ > 0) {
      timer_ = node_.executor().Schedule(
          UniformDuration(random_, absl::Seconds(1), absl::Seconds(5)),
          [this] { Next(); });
    }
  }

  Node& node_;
  RunState& run_;
  SimRandom random_;
  int changes_left_;
  const bool careful_;
  bool dying_ = false;
  std::vector<std::unique_ptr<Client>> clients_;
  TimerId timer_ = 0;
  TimerId poll_timer_ = 0;
  int pairs_left_ = 0;
  // The change under way.
  bool busy_ = false;
  bool meet_ = false;
  int target_ = -1;
  std::vector<std::string> args_;
  std::string what_ = "none";
  bool unknown_ = false;
  int attempts_ = 0;
  std::string last_reply_ = "none";
};

// Keys named `prefix`<n> for n = 0, 1, ..., taking one only while its owner
// has fewer than `per_node` of this kind, until `count` are taken.
void ChooseKeys(RunState& run, const SlotMap& map, absl::string_view prefix,
                KeyClass cls, int count, std::vector<int>* out) {
  const int per_node = (count + run.initial_members - 1) / run.initial_members;
  std::vector<int> taken(run.initial_members, 0);
  for (int n = 0; static_cast<int>(out->size()) < count; ++n) {
    KeyInfo k;
    k.name = absl::StrCat(prefix, n);
    k.cls = cls;
    k.owner = run.ServerOf(map.owner_id(KeySlot(k.name)));
    if (taken[k.owner] >= per_node) continue;
    ++taken[k.owner];
    out->push_back(static_cast<int>(run.keys.size()));
    run.keys.push_back(std::move(k));
  }
}

FaultConfig DrawFaults(Random& r, const std::vector<std::string>& servers) {
  FaultConfig c;
  auto maybe = [&r, &c](FaultKind kind, double p, double lo, double hi) {
    if (r.Bernoulli(p)) c.rate_of(kind) = LogUniform(r, lo, hi);
  };
  maybe(FaultKind::kPartition, 0.8, 0.05, 0.6);
  c.one_way_fraction = static_cast<double>(r.Uniform(61)) / 100;
  c.partition_max = UniformDuration(r, absl::Seconds(1), absl::Seconds(6));
  maybe(FaultKind::kClogNode, 0.4, 0.05, 0.5);
  maybe(FaultKind::kClogLink, 0.4, 0.05, 0.5);
  c.clog_max = UniformDuration(r, absl::Milliseconds(50), absl::Seconds(2));
  maybe(FaultKind::kBlackHoleLink, 0.25, 0.02, 0.2);
  c.black_hole_max = UniformDuration(r, absl::Milliseconds(200),
                                     absl::Seconds(4));
  maybe(FaultKind::kResetConnection, 0.5, 0.1, 2.0);
  maybe(FaultKind::kRefuseConnects, 0.3, 0.05, 0.5);
  maybe(FaultKind::kDropSyns, 0.3, 0.05, 0.5);
  maybe(FaultKind::kPause, 0.3, 0.02, 0.3);
  c.pause_max = UniformDuration(r, absl::Milliseconds(50), absl::Seconds(2));
  maybe(FaultKind::kClockDrift, 0.3, 0.01, 0.2);
  // Crashes always: durability across restarts is half the point.
  c.rate_of(FaultKind::kCrash) = LogUniform(r, 0.05, 0.4);
  c.power_cut_fraction = static_cast<double>(r.Uniform(101)) / 100;
  c.downtime_min = absl::Milliseconds(100);
  c.downtime_max = UniformDuration(r, absl::Milliseconds(300), absl::Seconds(4));
  c.buggify = r.Bernoulli(0.5);
  c.process_targets = servers;
  return c;
}

std::string KeyTable(const RunState& run) {
  std::vector<std::string> parts;
  for (const KeyInfo& k : run.keys) {
    parts.push_back(absl::StrCat(k.name, "@s", k.owner));
  }
  return absl::StrJoin(parts, " ");
}

// The ops an explanation names ("#<id> "), with where they went.
std::string DescribeOrigins(const RunState& run, const std::string& text) {
  std::set<int64_t> ids;
  for (size_t at = text.find('#'); at != std::string::npos;
       at = text.find('#', at + 1)) {
    size_t end = at + 1;
    while (end < text.size() && absl::ascii_isdigit(text[end])) ++end;
    int64_t id = 0;
    if (end > at + 1 && absl::SimpleAtoi(text.substr(at + 1, end - at - 1), &id) &&
        id >= 0 && id < static_cast<int64_t>(run.origins.size())) {
      ids.insert(id);
    }
  }
  std::string out;
  int n = 0;
  for (int64_t id : ids) {
    if (++n > 40) break;
    const OpOrigin& o = run.origins[id];
    absl::StrAppend(&out, "\n    #", id, ": ", o.who, " via ", o.route, ": `",
                    o.command.substr(0, 120), "`");
  }
  return out;
}

// Sabotage::kStaleRead: a GET after everything, returning the value of an
// acknowledged SET that a later read showed overwritten.
bool InjectStaleRead(RunState& run) {
  std::map<std::string, const Operation*> last_read;
  for (const Operation& op : run.history) {
    if (op.kind == OpKind::kGet && !op.unknown && op.output_value.has_value()) {
      last_read[op.key] = &op;
    }
  }
  // On the key with the fewest unknown-outcome ops: refuting a stale read
  // past many of them can exceed the checker's budget (kUnknown).
  std::map<std::string, int> unknowns;
  for (const Operation& op : run.history) unknowns[op.key] += op.unknown;
  const Operation* best = nullptr;
  for (const Operation& op : run.history) {
    if (op.kind != OpKind::kSet || op.unknown) continue;
    auto it = last_read.find(op.key);
    if (it == last_read.end() || *it->second->output_value == op.value ||
        it->second->call_us <= op.return_us) {
      continue;
    }
    if (best == nullptr || unknowns[op.key] < unknowns[best->key]) best = &op;
  }
  if (best != nullptr) {
    const Operation& op = *best;
    Operation stale;
    stale.id = static_cast<int64_t>(run.history.size());
    stale.client = 999;
    stale.key = op.key;
    stale.kind = OpKind::kGet;
    stale.call_us = run.NowUs() + 1;
    stale.return_us = stale.call_us + 1;
    stale.output_value = op.value;
    run.history.push_back(std::move(stale));
    run.origins.push_back(OpOrigin{"sabotage", "-", "fabricated stale GET"});
    return true;
  }
  return false;
}

// Sabotage::kStrayCopy: a copy of a key written straight into the
// keyspace of a node that does not own it (as a hand-over that forgot to
// delete would leave it).
bool InjectStrayCopy(RunState& run) {
  std::vector<std::string> ids;
  for (int s : run.members) ids.push_back(ServerId(s));
  const SlotMap map(ids);
  const std::string& key = run.keys[0].name;
  const int owner = run.ServerOf(map.owner_id(KeySlot(key)));
  for (int s : run.members) {
    Engine* e = run.EngineOf(s);
    if (s == owner || e == nullptr) continue;
    e->keyspace().db(0).SetString(key, "stray", e->NowMs());
    return true;
  }
  return false;
}

// Every member knows the driver's last epoch and its member set and moves
// no slot; every node forgotten on the way has finished handing over.
bool Settled(const RunState& run) {
  std::vector<std::string> ids;
  for (int s : run.members) ids.push_back(ServerId(s));
  std::sort(ids.begin(), ids.end());
  for (int s : run.ever_members) {
    const ClusterView* v = run.ViewOf(s);
    if (v == nullptr || v->migrating()) return false;
    const bool member =
        std::find(run.members.begin(), run.members.end(), s) != run.members.end();
    if (member && (v->epoch() != run.epoch || v->new_members() != ids)) {
      return false;
    }
  }
  return true;
}

// Oracle 5 (omniscient, from the nodes' keyspaces): no copy of a key on a
// node that does not own it under the final map (a hand-over that left one
// behind would serve it again after the next change); each RENAME pair's
// token in exactly one key, on that key's owner.
void CheckPlacement(RunState& run) {
  std::vector<std::string> ids;
  for (int s : run.members) ids.push_back(ServerId(s));
  const SlotMap map(ids);
  auto where = [&run](const std::string& key) {
    std::vector<std::pair<int, std::string>> found;
    for (int s = 0; s < run.server_count; ++s) {
      Engine* e = run.EngineOf(s);
      if (e == nullptr) continue;
      const Value* v = e->keyspace().db(0).Find(key, e->NowMs());
      if (v != nullptr) {
        found.emplace_back(s, v->is_string() ? std::string(v->str())
                                             : std::string("<not a string>"));
      }
    }
    return found;
  };
  auto describe = [](const std::vector<std::pair<int, std::string>>& found) {
    std::vector<std::string> parts;
    for (const auto& [s, v] : found) parts.push_back(absl::StrCat("s", s, "=", v));
    return absl::StrJoin(parts, " ");
  };
  std::vector<std::string> keys;
  for (const KeyInfo& k : run.keys) keys.push_back(k.name);
  for (const auto& [a, b] : run.pairs) {
    keys.push_back(a);
    keys.push_back(b);
  }
  for (const std::string& key : keys) {
    const int owner = run.ServerOf(map.owner_id(KeySlot(key)));
    for (const auto& [s, value] : where(key)) {
      if (s == owner) continue;
      return run.Fail(absl::StrCat(
          "key ", key, " found on s", s, " but its owner under the final map (",
          absl::StrJoin(ids, ","), ") is s", owner, ": ", describe(where(key)),
          "; membership: ", absl::StrJoin(run.change_log, "; ")));
    }
  }
  for (size_t p = 0; p < run.pairs.size(); ++p) {
    std::vector<std::pair<int, std::string>> a = where(run.pairs[p].first);
    std::vector<std::pair<int, std::string>> b = where(run.pairs[p].second);
    const bool one = a.size() + b.size() == 1 &&
                     (a.empty() ? b : a)[0].second == run.pair_tokens[p];
    if (!one) {
      return run.Fail(absl::StrCat(
          "RENAME pair ", run.pairs[p].first, "/", run.pairs[p].second,
          " should hold ", run.pair_tokens[p], " exactly once, holds ",
          run.pairs[p].first, ": [", describe(a), "] ", run.pairs[p].second,
          ": [", describe(b), "]"));
    }
  }
}

}  // namespace

ScenarioResult ClusterScenario::Run(const ScenarioOptions& options) {
  sabotage_fired_ = false;
  const bool proxy = options.seed % 2 == 1;
  std::unique_ptr<RunState> run_holder;

  World world(options.seed,
              ScenarioWorldOptions(options, 0.5, 0.02, absl::Seconds(2)));
  run_holder = std::make_unique<RunState>(world, proxy, check_mset_atomicity_,
                                          sabotage_);
  RunState& run = *run_holder;
  run.strict_proxy_redirects = strict_proxy_redirects_;

  SimRandom setup = world.Stream("scenario");
  run.initial_members = 3 + static_cast<int>(setup.Uniform(3));
  const int spares = 1 + static_cast<int>(setup.Uniform(2));
  run.server_count = run.initial_members + spares;
  int changes = 1 + static_cast<int>(setup.Uniform(3));
  // Proxy mode changes membership only when asked (see
  // set_proxy_membership_changes): it fails today.
  if (proxy && !proxy_membership_changes_) changes = 0;
  const int client_count = 2 + static_cast<int>(setup.Uniform(3));
  const absl::Duration fault_phase =
      UniformDuration(setup, absl::Seconds(20), absl::Seconds(30));
  const absl::Duration fault_end =
      std::max(absl::Seconds(1), fault_phase * options.scale);

  std::vector<std::string> ids, server_names;
  for (int s = 0; s < run.server_count; ++s) {
    if (s < run.initial_members) {
      ids.push_back(ServerId(s));
      run.members.push_back(s);
      run.ever_members.insert(s);
      run.eligible.push_back(s);
    }
    server_names.push_back(absl::StrCat("s", s));
  }
  // The keys, placed by the same map every member computes.
  const SlotMap map(ids);
  ChooseKeys(run, map, "k", KeyClass::kString, kStringKeys, &run.string_keys);
  ChooseKeys(run, map, "n", KeyClass::kCounter, kCounterKeys,
             &run.counter_keys);
  for (absl::string_view suffix : {"a", "b", "c"}) {
    KeyInfo k;
    k.name = absl::StrCat("{t}", suffix);
    k.cls = KeyClass::kTag;
    k.owner = run.ServerOf(map.owner_id(KeySlot(k.name)));
    run.tag_keys.push_back(static_cast<int>(run.keys.size()));
    run.keys.push_back(std::move(k));
  }
  if (proxy) {
    for (int g = 0; g < kGroups; ++g) {
      std::vector<int> group;
      std::set<int> owners;
      for (int n = 0; static_cast<int>(group.size()) < kGroupSize; ++n) {
        KeyInfo k;
        k.name = absl::StrCat("g", g, ":", n);
        k.cls = KeyClass::kGroup;
        k.owner = run.ServerOf(map.owner_id(KeySlot(k.name)));
        if (!owners.insert(k.owner).second) continue;
        group.push_back(static_cast<int>(run.keys.size()));
        run.keys.push_back(std::move(k));
      }
      run.groups.push_back(std::move(group));
    }
    // RENAME pairs: two keys of different nodes, one token between them.
    for (int p = 0; cross_node_renames_ && p < kPairs; ++p) {
      std::vector<std::string> names;
      std::set<int> owners;
      for (int n = 0; names.size() < 2; ++n) {
        std::string name = absl::StrCat("p", p, ":", n);
        if (!owners.insert(map.OwnerOfKey(name)).second) continue;
        names.push_back(std::move(name));
      }
      run.pairs.emplace_back(names[0], names[1]);
      run.pair_tokens.push_back(absl::StrCat("token-of-pair-", p));
    }
  }

  std::vector<Node*> servers;
  for (int s = 0; s < run.server_count; ++s) {
    servers.push_back(&world.AddNode(server_names[s], ServerIp(s)));
    run.server_nodes.push_back(servers.back());
    Config config = ScenarioServerConfig(kPort);
    config.dir = kDataDir;
    config.appendonly = true;
    config.appendfsync = "always";
    config.cluster_mode = proxy ? "proxy" : "redirect";
    // Spares start empty as no members (cluster-join: they know the first
    // members and serve no slot), and join by CLUSTER MEET.
    config.cluster_nodes = ids;
    config.cluster_join = s >= run.initial_members;
    config.cluster_self = ServerId(s);
    (void)servers.back()->mem_files().CreateDir(kDataDir);
    (void)servers.back()->mem_files().SyncDir("/");
    servers.back()->SetBoot(
        [&run, config](Node& node) -> std::unique_ptr<Process> {
          return std::make_unique<ServerProcess>(node, run, config);
        });
  }
  std::vector<Node*> clients;
  for (int i = 0; i < client_count; ++i) {
    clients.push_back(
        &world.AddNode(absl::StrCat("c", i), absl::StrCat("10.0.1.", i + 1)));
    const uint64_t seed =
        StreamSeed(options.seed, absl::StrCat("workload:c", i));
    clients.back()->SetBoot(
        [&run, i, seed](Node& node) -> std::unique_ptr<Process> {
          return std::make_unique<ClientProcess>(node, run, i, seed);
        });
  }

  Node& op = world.AddNode("op", "10.0.2.1");
  {
    const uint64_t seed = StreamSeed(options.seed, "membership");
    const bool careful = !blind_membership_driver_;
    op.SetBoot([&run, seed, changes,
                careful](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<MembershipDriver>(node, run, seed, changes,
                                                careful);
    });
  }

  SimRandom swarm = world.Stream("swarm");
  FaultConfig faults = DrawFaults(swarm, server_names);
  if (options.event_log) world.EnableEventLog();

  auto failed = [&run] { return run.Halt(); };
  auto driver = [&] { return op.process_as<MembershipDriver>(); };
  for (Node* s : servers) s->Boot();
  op.Boot();
  // Before the workload: the RENAME pairs get their tokens.
  WaitForPhase(
      world, run, "writing the RENAME pairs' tokens", absl::Seconds(10),
      [&] { return driver()->setup_done(); }, [] { return std::string(); });
  for (Node* c : clients) c->Boot();
  driver()->Begin();
  StartOrReplayFaults(world, faults, options);

  auto client = [&](int i) { return clients[i]->process_as<ClientProcess>(); };
  auto states = [&] {
    std::vector<std::string> s;
    for (int i = 0; i < run.server_count; ++i) {
      const ClusterView* v = run.ViewOf(i);
      s.push_back(absl::StrCat(
          "s", i, servers[i]->up() ? " up" : " down",
          v == nullptr ? ""
                       : absl::StrCat(" epoch ", v->epoch(),
                                      v->migrating() ? " migrating" : "",
                                      " members ",
                                      absl::StrJoin(v->new_members(), "+"),
                                      " ", run.RouterStateOf(i))));
    }
    return absl::StrCat(absl::StrJoin(s, ", "), "; ", driver()->State(),
                        "; changes: ", absl::StrJoin(run.change_log, "; "));
  };
  int sweeps = 0;
  auto sweep = [&](absl::string_view what) {
    if (run.failed()) return;
    const int target = ++sweeps;
    for (int i = 0; i < client_count; ++i) {
      ClientProcess* c = client(i);
      PostTo(*clients[i], [c] { c->StartSweep(); });
    }
    WaitForPhase(
        world, run, what, kLivenessLimit,
        [&] {
          for (int i = 0; i < client_count; ++i) {
            if (client(i)->sweeps_done() < target) return false;
          }
          return true;
        },
        [&] {
          std::vector<std::string> s = {states()};
          for (int i = 0; i < client_count; ++i) {
            if (client(i)->sweeps_done() < target) {
              s.push_back(absl::StrCat("c", i, ": ", client(i)->SweepState()));
            }
          }
          return absl::StrJoin(s, "; ");
        });
  };

  // 1. Faults.
  world.RunUntil(failed, fault_end);

  // 2. Heal, stop the workload, drain.
  if (!run.failed()) {
    EndFaults(world, servers);
    run.workload_on = false;
    WaitForPhase(
        world, run, "draining the lanes after healing", kDrainLimit,
        [&] {
          for (int i = 0; i < client_count; ++i) {
            if (!client(i)->idle()) return false;
          }
          return true;
        },
        states);
  }

  // 3. Liveness: the membership change under way completes, every node
  // agrees on the driver's last epoch and moves no slot; then every key
  // through every node.
  WaitForPhase(
      world, run, "membership changes complete after healing", kSettleLimit,
      [&] { return driver()->idle() && Settled(run); }, states);
  sweep("liveness after healing (every key read through every node)");

  // 4. Every server loses power at once; everything acknowledged must be
  // read back through every node.
  if (!run.failed()) {
    for (Node* s : servers) {
      if (s->up()) s->Crash(CrashKind::kPowerCut);
    }
    world.RunUntil(failed, absl::Milliseconds(200));
    for (Node* s : servers) {
      if (!s->up()) s->Boot();
    }
    sweep("liveness after a power cut of every server");
  }

  // 4b. Every key lives on its owner under the final map only, and each
  // RENAME pair's token in exactly one place.
  if (!run.failed() && sabotage_ == Sabotage::kStrayCopy) {
    sabotage_fired_ = InjectStrayCopy(run);
  }
  if (!run.failed()) CheckPlacement(run);

  // 5. The history.
  CheckResult check;
  if (!run.failed()) {
    if (sabotage_ == Sabotage::kStaleRead) {
      sabotage_fired_ = InjectStaleRead(run);
    }
    CheckOptions check_options;
    check_options.max_steps = kCheckerSteps;
    check = CheckHistory(run.history, check_options);
    if (check.verdict == Verdict::kViolation) {
      std::string explanation = check.explanation;
      if (explanation.size() > 6000) {
        explanation = absl::StrCat(explanation.substr(0, 6000), "...");
      }
      run.Fail(absl::StrCat(
          "linearizability violated (", proxy ? "proxy" : "redirect",
          " mode):\n", explanation, "\n  keys@owner: ", KeyTable(run),
          "\n  the ops named above:", DescribeOrigins(run, explanation),
          "\n  membership: ", absl::StrJoin(run.change_log, "; ")));
    }
  }

  ScenarioResult result;
  result.failure = run.failure;
  if (run.failed()) {
    absl::StrAppend(&result.failure, "\n  membership (s<i> is 10.0.0.<i+1>; ",
                    run.initial_members, " first members): ",
                    run.change_log.empty() ? "no change"
                                           : absl::StrJoin(run.change_log, "; "));
  }
  FillWorldResult(world, faults, options, &result);
  const Stats& s = run.stats;
  int crashes = 0;
  for (Node* n : servers) crashes += n->crashes();
  int unknown_keys = 0;
  for (size_t at = check.explanation.find(": unknown: ");
       check.verdict == Verdict::kUnknown && at != std::string::npos;
       at = check.explanation.find(": unknown: ", at + 1)) {
    ++unknown_keys;
  }
  int lanes = 0;
  for (int i = 0; i < client_count; ++i) {
    if (client(i) != nullptr) lanes += client(i)->lanes();
  }
  result.stats = absl::StrCat(
      "mode=", proxy ? "proxy" : "redirect", " servers=", run.initial_members,
      " clients=", client_count, " lanes=", lanes, " commands=", s.commands,
      " known=", s.known, " unknown=", s.unknown, " not_run=", s.not_run,
      " unknown_reads=", s.unknown_reads, " clusterdown=", s.clusterdown,
      " unknown_replies=", s.unknown_replies, " moved=", s.moved,
      " asks=", s.asks, " tryagain=", s.tryagain, " switches=", s.switches,
      " group_mgets=", s.group_mgets, " sweep_reads=", s.sweep_reads,
      " sweep_retries=", s.sweep_retries, " crashes=", crashes,
      " restarts=", s.server_starts - run.server_count,
      " spares=", spares, " changes=", s.changes,
      " change_attempts=", s.change_attempts,
      " final_members=", run.members.size(), " eligible=", run.eligible.size(),
      " renames=", s.renames, " pair_reads=", s.pair_reads,
      " redirect_giveups=", s.redirect_giveups,
      " proxy_redirects=", s.proxy_redirects,
      " faults=", world.fault_record().size(), " history=", run.history.size(),
      " checker_steps=", check.steps, " checker_unknown_keys=", unknown_keys);
  if (sabotage_ != Sabotage::kNone) {
    absl::StrAppend(&result.stats,
                    " sabotage=", sabotage_fired_ ? "fired" : "idle");
  }
  return result;
}

}  // namespace twinkv::sim
