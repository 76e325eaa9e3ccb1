#include "sim/scenarios/aof_scenario.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/aof.h"
#include "core/aof_format.h"
#include "core/config.h"
#include "core/fault_points.h"
#include "core/resp/reply.h"
#include "core/server_node.h"
#include "sim/faults.h"
#include "sim/mem_files.h"
#include "sim/prng.h"
#include "sim/scenarios/scenario_support.h"

namespace twinkv::sim {
namespace {

using Policy = AofScenario::Policy;
using Sabotage = AofScenario::Sabotage;

constexpr uint16_t kPort = 6379;
constexpr char kServerIp[] = "10.0.0.1";
constexpr char kDataDir[] = "/data";
// Longest an everysec server may leave an acknowledged write unsynced
// (one second of timer, plus the fsync, plus slack for clock drift).
constexpr absl::Duration kEverysecBound = absl::Milliseconds(2500);
constexpr absl::Duration kLivenessLimit = absl::Seconds(60);
constexpr absl::Duration kPhaseLimit = absl::Seconds(30);
// A live server that answers nothing for this long is stuck.
constexpr absl::Duration kHangLimit = absl::Seconds(60);
constexpr absl::Duration kWatchdogPeriod = absl::Milliseconds(250);
constexpr absl::Duration kConnectTimeout = absl::Seconds(1);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(500);
constexpr absl::Duration kSupervisorRestart = absl::Milliseconds(300);
// PEXPIRE's argument: about 115 days, beyond any clock jump of a run.
constexpr char kFarTtlMs[] = "9999999999";
// Histories of appendfsync-always keys are cut below their floor once
// they are this long.
constexpr size_t kTrimAt = 256;
// This many events at one instant is a livelock, not a busy moment.
constexpr uint64_t kLivelockEvents = 2000000;

// ---------------------------------------------------------------------------
// The model of one key.

enum class KeyType : uint8_t { kString, kCounter, kList, kHash, kSet, kZset };
constexpr int kKeyTypes = 6;
constexpr absl::string_view kTypeNames[kKeyTypes] = {"str",  "ctr", "list",
                                                     "hash", "set", "zset"};

struct State {
  bool present = false;
  bool ttl = false;
  std::string str;  // string, counter
  std::deque<std::string> list;
  std::map<std::string, std::string> hash;
  std::set<std::string> set;
  std::map<std::string, int64_t> zset;  // member -> score
};

// A key's value in a form both the model and a read give: presence, TTL
// presence, and the items in the order the reads return them (hash fields
// and set members sorted, sorted-set members by score as ZRANGE has them,
// scores as integers).
struct Canon {
  bool present = false;
  bool ttl = false;
  std::vector<std::string> items;

  bool operator==(const Canon& o) const {
    return present == o.present && ttl == o.ttl && items == o.items;
  }
  std::string ToString() const {
    if (!present) return "(absent)";
    std::string out = absl::StrCat("[", absl::StrJoin(items, ","), "]");
    if (ttl) absl::StrAppend(&out, "+ttl");
    return out;
  }
};

Canon CanonOf(KeyType type, const State& s) {
  Canon c;
  c.present = s.present;
  c.ttl = s.ttl;
  if (!s.present) return c;
  switch (type) {
    case KeyType::kString:
    case KeyType::kCounter:
      c.items.push_back(s.str);
      break;
    case KeyType::kList:
      c.items.assign(s.list.begin(), s.list.end());
      break;
    case KeyType::kHash:
      for (const auto& [f, v] : s.hash) {
        c.items.push_back(f);
        c.items.push_back(v);
      }
      break;
    case KeyType::kSet:
      c.items.assign(s.set.begin(), s.set.end());
      break;
    case KeyType::kZset: {
      std::vector<std::pair<int64_t, std::string>> by_score;
      for (const auto& [m, score] : s.zset) by_score.emplace_back(score, m);
      std::sort(by_score.begin(), by_score.end());
      for (const auto& [score, m] : by_score) {
        c.items.push_back(m);
        c.items.push_back(absl::StrCat(score));
      }
      break;
    }
  }
  return c;
}

struct Applied {
  State state;
  Reply reply;
};

// What `args` (one of the workload's writes) does to `before`, and the
// reply Redis gives.
Applied Apply(const State& before, const std::vector<std::string>& a) {
  Applied out{before, Reply::Null()};
  State& s = out.state;
  const std::string& cmd = a[0];
  auto create = [&s] {
    if (!s.present) {
      s = State();
      s.present = true;
    }
  };
  auto delete_if_empty = [&s](bool empty) {
    if (empty) s = State();
  };
  auto number = [](const std::string& text) {
    int64_t v = 0;
    (void)absl::SimpleAtoi(text, &v);
    return v;
  };
  if (cmd == "SET") {
    s = State();
    s.present = true;
    s.str = a[2];
    out.reply = Reply::Status("OK");
  } else if (cmd == "APPEND") {
    create();
    s.str += a[2];
    out.reply = Reply::Integer(static_cast<int64_t>(s.str.size()));
  } else if (cmd == "INCRBY") {
    create();
    const int64_t v = number(s.str) + number(a[2]);
    s.str = absl::StrCat(v);
    out.reply = Reply::Integer(v);
  } else if (cmd == "RPUSH" || cmd == "LPUSH") {
    create();
    if (cmd == "RPUSH") {
      s.list.push_back(a[2]);
    } else {
      s.list.push_front(a[2]);
    }
    out.reply = Reply::Integer(static_cast<int64_t>(s.list.size()));
  } else if (cmd == "LPOP" || cmd == "RPOP") {
    if (s.present) {
      if (cmd == "LPOP") {
        out.reply = Reply::Bulk(s.list.front());
        s.list.pop_front();
      } else {
        out.reply = Reply::Bulk(s.list.back());
        s.list.pop_back();
      }
      delete_if_empty(s.list.empty());
    }
  } else if (cmd == "HSET") {
    create();
    const bool added = s.hash.insert_or_assign(a[2], a[3]).second;
    out.reply = Reply::Integer(added ? 1 : 0);
  } else if (cmd == "HDEL") {
    const size_t n = s.present ? s.hash.erase(a[2]) : 0;
    delete_if_empty(s.present && s.hash.empty());
    out.reply = Reply::Integer(static_cast<int64_t>(n));
  } else if (cmd == "HINCRBY") {
    create();
    auto it = s.hash.find(a[2]);
    const int64_t v = (it == s.hash.end() ? 0 : number(it->second)) +
                      number(a[3]);
    s.hash[a[2]] = absl::StrCat(v);
    out.reply = Reply::Integer(v);
  } else if (cmd == "SADD") {
    create();
    out.reply = Reply::Integer(s.set.insert(a[2]).second ? 1 : 0);
  } else if (cmd == "SREM") {
    const size_t n = s.present ? s.set.erase(a[2]) : 0;
    delete_if_empty(s.present && s.set.empty());
    out.reply = Reply::Integer(static_cast<int64_t>(n));
  } else if (cmd == "ZADD") {
    create();
    const bool added = s.zset.insert_or_assign(a[3], number(a[2])).second;
    out.reply = Reply::Integer(added ? 1 : 0);
  } else if (cmd == "ZINCRBY") {
    create();
    const int64_t v = (s.zset[a[3]] += number(a[2]));
    out.reply = Reply::Bulk(absl::StrCat(v));
  } else if (cmd == "ZREM") {
    const size_t n = s.present ? s.zset.erase(a[2]) : 0;
    delete_if_empty(s.present && s.zset.empty());
    out.reply = Reply::Integer(static_cast<int64_t>(n));
  } else if (cmd == "DEL") {
    out.reply = Reply::Integer(s.present ? 1 : 0);
    s = State();
  } else if (cmd == "PEXPIRE") {
    out.reply = Reply::Integer(s.present ? 1 : 0);
    if (s.present) s.ttl = true;
  } else if (cmd == "PERSIST") {
    out.reply = Reply::Integer(s.present && s.ttl ? 1 : 0);
    s.ttl = false;
  }
  return out;
}

std::vector<std::string> ReadArgs(KeyType type, const std::string& key) {
  switch (type) {
    case KeyType::kString:
    case KeyType::kCounter:
      return {"GET", key};
    case KeyType::kList:
      return {"LRANGE", key, "0", "-1"};
    case KeyType::kHash:
      return {"HGETALL", key};
    case KeyType::kSet:
      return {"SMEMBERS", key};
    case KeyType::kZset:
      return {"ZRANGE", key, "0", "-1", "WITHSCORES"};
  }
  return {};
}

// The key's value as a read (ReadArgs) and PTTL show it; an error message
// if the replies are malformed or disagree with each other.
std::string CanonOfRead(KeyType type, const Reply& data, const Reply& pttl,
                        Canon* out) {
  if (pttl.type != Reply::Type::kInteger) {
    return absl::StrCat("PTTL replied ", pttl.DebugString());
  }
  const bool exists = pttl.integer != -2;
  out->ttl = pttl.integer >= 0;
  if (type == KeyType::kString || type == KeyType::kCounter) {
    if (data.type == Reply::Type::kBulk) {
      out->present = true;
      out->items.push_back(data.str);
    } else if (data.type != Reply::Type::kNull) {
      return absl::StrCat("GET replied ", data.DebugString());
    }
  } else {
    if (data.type != Reply::Type::kArray) {
      return absl::StrCat("the read replied ", data.DebugString());
    }
    for (const Reply& e : data.elements) {
      if (e.type != Reply::Type::kBulk) {
        return absl::StrCat("the read replied ", data.DebugString());
      }
      out->items.push_back(e.str);
    }
    out->present = !out->items.empty();
    if (type == KeyType::kSet) {
      std::sort(out->items.begin(), out->items.end());
    } else if (type == KeyType::kHash) {
      if (out->items.size() % 2 != 0) {
        return absl::StrCat("HGETALL replied ", data.DebugString());
      }
      std::vector<std::pair<std::string, std::string>> pairs;
      for (size_t i = 0; i < out->items.size(); i += 2) {
        pairs.emplace_back(out->items[i], out->items[i + 1]);
      }
      std::sort(pairs.begin(), pairs.end());
      out->items.clear();
      for (auto& [f, v] : pairs) {
        out->items.push_back(std::move(f));
        out->items.push_back(std::move(v));
      }
    }
  }
  if (out->present != exists) {
    return absl::StrCat("the read (", data.DebugString(), ") and PTTL (",
                        pttl.integer, ") disagree on whether the key exists");
  }
  if (!exists) out->ttl = false;
  return "";
}

// One operation of a key's history and the state it led to.
struct Step {
  uint64_t id = 0;
  std::vector<std::string> args;  // empty for the base state
  State after;
  bool acked = false;
  absl::Duration ack_at;
};

struct KeyOracle {
  std::string name;
  KeyType type = KeyType::kString;
  // hist[0] is the base state (absent at first, or the state the floor was
  // at when the history was last cut); hist[i] the state after the i-th
  // operation since.
  std::vector<Step> hist;
  size_t floor = 0;       // no crash may take the key below this state
  size_t last_acked = 0;  // the last acknowledged operation (or 0)

  const State& current() const { return hist.back().after; }
  size_t Find(uint64_t id) const {
    for (size_t i = hist.size(); i-- > 1;) {
      if (hist[i].id == id) return i;
    }
    return 0;
  }
  // Recomputes the states from `from` on (after an operation left).
  void Recompute(size_t from) {
    for (size_t i = std::max<size_t>(from, 1); i < hist.size(); ++i) {
      hist[i].after = Apply(hist[i - 1].after, hist[i].args).state;
    }
  }
  // Drops the history below the floor.
  void Trim() {
    if (floor == 0) return;
    last_acked = std::max(last_acked, floor) - floor;
    hist.erase(hist.begin(), hist.begin() + static_cast<ptrdiff_t>(floor));
    hist[0].args.clear();
    hist[0].acked = true;
    floor = 0;
  }
  // The last operation acknowledged at or before `t` (or the floor).
  size_t LastAckedBy(absl::Duration t) const {
    for (size_t i = hist.size(); i-- > floor + 1;) {
      if (hist[i].acked && hist[i].ack_at <= t) return i;
    }
    return floor;
  }
  std::string Describe(size_t i) const {
    const Step& s = hist[i];
    return absl::StrCat(
        "#", i, " ", s.args.empty() ? "(base)" : absl::StrJoin(s.args, " "),
        " -> ", CanonOf(type, s.after).ToString(),
        s.acked && !s.args.empty()
            ? absl::StrCat(" acked@", absl::FormatDuration(s.ack_at))
            : "");
  }
  // The last few states, and a few around `lo`.
  std::string DescribeHistory(size_t lo) const {
    std::vector<std::string> lines;
    const size_t n = hist.size();
    size_t from = n > 8 ? n - 8 : 0;
    if (lo + 2 < from) {
      for (size_t i = lo > 2 ? lo - 2 : 0; i <= lo + 2; ++i) {
        lines.push_back(Describe(i));
      }
      lines.push_back("...");
    } else {
      from = std::min(from, lo > 2 ? lo - 2 : 0);
    }
    for (size_t i = from; i < n; ++i) lines.push_back(Describe(i));
    return absl::StrJoin(lines, "; ");
  }
};

// ---------------------------------------------------------------------------
// What the driver, the processes and the oracle share.

struct Stats {
  uint64_t ops = 0;      // writes sent
  uint64_t acked = 0;    // ... acknowledged
  uint64_t misconf = 0;  // ... refused with MISCONF
  uint64_t unknown = 0;  // ... in flight when their connection dropped
  uint64_t resolutions = 0;
  uint64_t reboot_resolutions = 0;
  uint64_t rewrite_requests = 0;  // BGREWRITEAOF sent
  uint64_t start_failures = 0;    // boots whose ServerNode::Start failed
  uint64_t rewrites_done = 0;
  uint64_t truncated_bytes = 0;
  uint64_t loaded_commands = 0;
  uint64_t reconnects = 0;
  uint64_t global_checks = 0;
  uint64_t missed_crashes = 0;
  uint64_t disk_full_stuck = 0;  // disks still full after every fault ended
  size_t max_history = 0;
};

struct CrashEvent {
  absl::Duration at;
  bool power_cut = false;
  uint64_t incarnation = 0;  // the node's, after the crash
};

// The crashes that ended incarnations from..to-1.
struct CrashSpan {
  size_t count = 0;
  absl::Duration first_at;
  bool power_cut = false;
};

struct RunState {
  RunState(World& w, Node& s, Policy p, Sabotage sab)
      : world(w), server(s), policy(p), sabotage(sab) {}

  void Fail(absl::string_view message) {
    if (!failure.empty()) return;
    const std::vector<std::string>& log = server.log_lines();
    const size_t from = log.size() > 12 ? log.size() - 12 : 0;
    std::vector<std::string> tail(log.begin() + static_cast<ptrdiff_t>(from),
                                  log.end());
    failure = absl::StrCat("t=", absl::FormatDuration(world.now()), " ",
                           message, "\n  server log tail: ",
                           absl::StrJoin(tail, "\n    "));
  }
  bool failed() const { return !failure.empty(); }

  // For the driver's RunUntil conditions (checked before every event):
  // true once the run failed, or when events keep running without time
  // passing (a livelock: no timer can ever fire again).
  bool Halt() {
    if (livelock.Stuck(world)) {
      Fail(absl::StrCat("livelock: ", kLivelockEvents,
                        " events ran without time passing"));
    }
    return failed();
  }

  CrashSpan CrashesBetween(uint64_t from, uint64_t to) {
    CrashSpan span;
    for (const CrashEvent& c : crashes) {
      if (c.incarnation <= from || c.incarnation > to) continue;
      if (span.count == 0) span.first_at = c.at;
      ++span.count;
      span.power_cut |= c.power_cut;
    }
    if (span.count != to - from) {
      // A crash of a node without a process (a power cut after a kill):
      // whatever it did, assume the worst of it.
      ++stats.missed_crashes;
      span.power_cut = true;
    }
    return span;
  }

  World& world;
  Node& server;
  const Policy policy;
  const Sabotage sabotage;
  bool sabotage_fired = false;
  bool tearing_down = false;

  std::vector<std::vector<KeyOracle>> keys;  // per client
  std::vector<CrashEvent> crashes;
  absl::Duration liveness_from = absl::InfiniteDuration();
  std::string last_start_error;
  std::string failure;
  Stats stats;
  LivelockGuard livelock{kLivelockEvents};
};

// The real server: ServerNode with the AOF, loaded from the node's disk.
class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, RunState& run, Config config)
      : node_(node), run_(run), server_(node, std::move(config)) {
    absl::Status status = server_.Start();
    if (Aof* aof = server_.aof()) {
      run.stats.truncated_bytes += aof->truncated_bytes();
      run.stats.loaded_commands += aof->loaded_commands();
    }
    if (!status.ok()) OnStartFailure(status);
  }

  ~ServerProcess() override {
    if (run_.tearing_down) return;
    if (Aof* aof = server_.aof()) run_.stats.rewrites_done += aof->rewrites_done();
    run_.crashes.push_back(
        CrashEvent{run_.world.now(), !node_.powered(), node_.incarnation()});
  }

  ServerNode& server() { return server_; }

 private:
  // A disk error may stop a start (the process exits, a supervisor starts
  // it again); an AOF the server cannot read is a lost write.
  void OnStartFailure(const absl::Status& status) {
    ++run_.stats.start_failures;
    const std::string message(status.message());
    run_.last_start_error = message;
    if (!absl::StrContains(message, "Input/output error") &&
        !absl::StrContains(message, "No space left on device")) {
      run_.Fail(absl::StrCat("the server refuses to start: ", message));
      return;
    }
    Node* node = &node_;
    const uint64_t incarnation = node_.incarnation();
    run_.world.Enqueue(run_.world.now(), World::kNoNode, EventKind::kFault,
                       [node, incarnation] {
                         if (node->incarnation() != incarnation || !node->up()) {
                           return;
                         }
                         node->Crash(CrashKind::kKill);
                         node->BootAfter(kSupervisorRestart);
                       });
  }

  Node& node_;
  RunState& run_;
  ServerNode server_;
};

struct ClientSettings {
  int window = 1;  // requests in flight at most
  absl::Duration mean_think;
  double rewrite_probability = 0;  // of BGREWRITEAOF instead of a write
};

ClientSettings DrawSettings(Random& r, bool auto_rewrite) {
  ClientSettings s;
  s.window = 1 + static_cast<int>(r.Uniform(4));
  s.mean_think =
      UniformDuration(r, absl::Milliseconds(1), absl::Milliseconds(8));
  const bool asks = r.Bernoulli(auto_rewrite ? 0.5 : 0.8);
  const double p = LogUniform(r, 0.002, 0.02);
  s.rewrite_probability = asks ? (auto_rewrite ? p / 5 : p) : 0.0;
  return s;
}

// One client: owns its keys, sends them writes, resolves them after every
// reconnection, and feeds every reply to their oracles.
class Client final : public Process {
 public:
  Client(Node& node, RunState& run, int index, ClientSettings settings,
         uint64_t workload_seed)
      : node_(node),
        run_(run),
        index_(index),
        name_(absl::StrCat("c", index)),
        settings_(settings),
        random_(workload_seed) {
    ArmWatchdog();
    Connect();
  }

  ~Client() override {
    for (TimerId* t : {&think_timer_, &reconnect_timer_, &watchdog_timer_}) {
      if (*t != 0) node_.executor().Cancel(*t);
    }
  }

  void StopWorkload() {
    workload_on_ = false;
    if (think_timer_ != 0) node_.executor().Cancel(think_timer_);
    think_timer_ = 0;
  }
  // Reads every key again before sending anything else.
  void Resolve() {
    needs_resolution_ = true;
    Pump();
  }
  // KEYS * and DBSIZE, checked against every client's models.
  void AddGlobalChecks() {
    checks_.push_back({"KEYS", "*"});
    checks_.push_back({"DBSIZE"});
    Pump();
  }

  bool idle() const {
    return stream_ != nullptr && !needs_resolution_ && !resolving_ &&
           inflight_.empty() && checks_.empty();
  }
  bool live() const { return live_; }
  uint64_t resolutions() const { return resolutions_; }
  uint64_t incarnation() const { return conn_incarnation_; }
  int global_checks_done() const { return global_checks_done_; }

  std::string DebugState() const {
    return absl::StrCat(name_, ": ",
                        stream_ ? "connected" : "disconnected",
                        connecting_ ? " (connecting)" : "",
                        resolving_ ? ", resolving" : "",
                        needs_resolution_ ? ", must resolve" : "", ", ",
                        inflight_.size(), " in flight, ", checks_.size(),
                        " checks queued", live_ ? ", live" : "");
  }

 private:
  enum class Kind { kWrite, kRewrite, kRead, kPttl, kKeys, kDbsize };
  struct Request {
    Kind kind = Kind::kWrite;
    std::vector<std::string> args;
    int key = -1;
    uint64_t step = 0;  // kWrite: the Step's id
    absl::Duration sent;
  };
  struct Reads {
    Reply data;
    Reply pttl;
  };
  // A closed stream and the buffer it may still point into; freed from a
  // timer, never inside the stream's own callback.
  struct Dead {
    std::unique_ptr<Stream> stream;
    std::string buffer;
  };

  std::vector<KeyOracle>& keys() { return run_.keys[index_]; }

  void Connect() {
    graveyard_.clear();
    if (stream_ != nullptr || connecting_) return;
    connecting_ = true;
    const uint64_t before = run_.server.incarnation();
    node_.network().Connect(
        Address{kServerIp, kPort}, kConnectTimeout,
        [this, before](NetError error, std::unique_ptr<Stream> stream) {
          connecting_ = false;
          if (error != NetError::kOk) return ScheduleReconnect();
          if (run_.server.incarnation() != before) {
            // Which process accepted it is unclear: do not use it.
            stream->Close();
            graveyard_.push_back(Dead{std::move(stream), ""});
            return ScheduleReconnect();
          }
          stream_ = std::move(stream);
          conn_incarnation_ = before;
          stale_ticks_ = 0;
          needs_resolution_ = true;
          ReadMore();
          Pump();
        });
  }

  void ScheduleReconnect() {
    ++run_.stats.reconnects;
    const absl::Duration delay =
        ReconnectDelay(node_.random(), kMaxBackoff, &attempts_);
    reconnect_timer_ = node_.executor().Schedule(delay, [this] {
      reconnect_timer_ = 0;
      Connect();
    });
  }

  // Drops a connection whose server process died (a power cut leaves it
  // silent), and fails the run if a live server stops answering.
  void ArmWatchdog() {
    watchdog_timer_ = node_.executor().Schedule(kWatchdogPeriod, [this] {
      watchdog_timer_ = 0;
      if (stream_ != nullptr &&
          run_.server.incarnation() != conn_incarnation_) {
        // One period lets the replies a killed process sent arrive.
        if (++stale_ticks_ >= 2) Fail();
      } else {
        stale_ticks_ = 0;
        if (stream_ != nullptr && !inflight_.empty() &&
            node_.clock().Monotonic() - inflight_.front().sent > kHangLimit) {
          run_.Fail(absl::StrCat(name_, ": no reply to `",
                                 absl::StrJoin(inflight_.front().args, " "),
                                 "` from a live server within ",
                                 absl::FormatDuration(kHangLimit)));
        }
      }
      ArmWatchdog();
    });
  }

  // The connection is gone: its writes in flight have unknown outcomes,
  // and every key must be resolved on the next one.
  void Fail() {
    if (stream_ == nullptr) return;
    stream_->Close();
    graveyard_.push_back(Dead{std::move(stream_), std::move(writing_)});
    std::deque<std::vector<std::string>> requeue;
    for (Request& r : inflight_) {
      if (r.kind == Kind::kWrite) {
        ++run_.stats.unknown;
        MaybeForgetAck(r);
      } else if (r.kind == Kind::kKeys || r.kind == Kind::kDbsize) {
        requeue.push_back(std::move(r.args));
      }
    }
    for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) {
      checks_.push_front(std::move(*it));
    }
    inflight_.clear();
    recent_.clear();
    resolving_ = false;
    needs_resolution_ = true;
    in_.clear();
    decoder_ = ReplyDecoder();
    out_.clear();
    writing_.clear();
    write_in_flight_ = false;
    ScheduleReconnect();
  }

  // Sabotage::kForgetAck.
  void MaybeForgetAck(const Request& r) {
    if (run_.sabotage != Sabotage::kForgetAck || run_.sabotage_fired) return;
    KeyOracle& o = keys()[r.key];
    const size_t i = o.Find(r.step);
    if (i == 0 || CanonOf(o.type, o.hist[i].after) ==
                      CanonOf(o.type, o.hist[i - 1].after)) {
      return;
    }
    o.hist[i].acked = true;
    o.hist[i].ack_at = run_.world.now();
    o.last_acked = i;
    if (run_.policy == Policy::kAlways) o.floor = i;
    run_.sabotage_fired = true;
  }

  void ReadMore() {
    stream_->Read(absl::MakeSpan(buf_), [this](NetError error, size_t n) {
      if (error != NetError::kOk) return Fail();
      in_.append(buf_, n);
      if (!Decode()) return;
      ReadMore();
    });
  }

  // Handles every complete reply; false if the connection was failed.
  bool Decode() {
    const DecodeStatus status =
        DecodeReplies(decoder_, &in_,
                      [this](Reply reply) { return OnReply(std::move(reply)); });
    if (status == DecodeStatus::kNeedMore) return true;
    if (status == DecodeStatus::kUndecodable) {
      run_.Fail(absl::StrCat(name_, ": undecodable reply: ", decoder_.error()));
      Fail();
    }
    return false;
  }

  // False if the connection was failed.
  bool OnReply(Reply reply) {
    if (inflight_.empty()) {
      run_.Fail(absl::StrCat(name_,
                             ": a reply to no request: ", reply.DebugString()));
      Fail();
      return false;
    }
    Request req = std::move(inflight_.front());
    inflight_.pop_front();
    attempts_ = 0;
    recent_.push_back(absl::StrCat(absl::StrJoin(req.args, " "), " -> ",
                                   reply.DebugString()));
    if (recent_.size() > 8) recent_.pop_front();
    const size_t failures_before = run_.failure.size();
    switch (req.kind) {
      case Kind::kWrite:
        OnWriteReply(req, reply);
        break;
      case Kind::kRewrite:
        if (reply.is_error()
                ? !absl::StrContains(reply.str, "already in progress") &&
                      !absl::StrContains(reply.str, "Input/output error") &&
                      !absl::StrContains(reply.str, "No space left on device")
                : reply != Reply::Status(
                               "Background append only file rewriting "
                               "started")) {
          run_.Fail(absl::StrCat(name_, ": BGREWRITEAOF replied ",
                                 reply.DebugString()));
        }
        break;
      case Kind::kRead:
        reads_[req.key].data = std::move(reply);
        if (--reads_left_ == 0) FinishResolution();
        break;
      case Kind::kPttl:
        reads_[req.key].pttl = std::move(reply);
        if (--reads_left_ == 0) FinishResolution();
        break;
      case Kind::kKeys:
      case Kind::kDbsize:
        CheckGlobal(req, reply);
        break;
    }
    if (failures_before == 0 && run_.failed()) {
      absl::StrAppend(&run_.failure, "\n  ", name_,
                      "'s last replies on this connection: ",
                      absl::StrJoin(recent_, "; "), "; in flight next: ",
                      inflight_.empty()
                          ? "nothing"
                          : absl::StrJoin(inflight_.front().args, " "));
    }
    Pump();
    return true;
  }

  void OnWriteReply(const Request& req, const Reply& reply) {
    KeyOracle& o = keys()[req.key];
    const size_t i = o.Find(req.step);
    if (i == 0) {
      run_.Fail(absl::StrCat(name_, ": oracle lost write `",
                             absl::StrJoin(req.args, " "), "`"));
      return;
    }
    if (reply.is_error()) {
      if (absl::StartsWith(reply.str, "MISCONF ")) {
        // Refused: the write never happened.
        ++run_.stats.misconf;
        o.hist.erase(o.hist.begin() + static_cast<ptrdiff_t>(i));
        o.Recompute(i);
        return;
      }
      run_.Fail(absl::StrCat(name_, ": `", absl::StrJoin(req.args, " "),
                             "` replied ", reply.DebugString()));
      return;
    }
    const Applied expected = Apply(o.hist[i - 1].after, req.args);
    if (reply != expected.reply) {
      run_.Fail(absl::StrCat(
          name_, ": `", absl::StrJoin(req.args, " "), "` replied ",
          reply.DebugString(), ", the model says ",
          expected.reply.DebugString(), " (history: ",
          o.DescribeHistory(i), ")"));
      return;
    }
    o.hist[i].acked = true;
    o.hist[i].ack_at = run_.world.now();
    o.last_acked = i;
    ++run_.stats.acked;
    if (run_.world.now() >= run_.liveness_from) live_ = true;
    if (run_.policy == Policy::kAlways) {
      // Acknowledged means fsynced: no crash can take it back.
      o.floor = i;
      if (o.hist.size() > kTrimAt) o.Trim();
    }
  }

  void CheckGlobal(const Request& req, const Reply& reply) {
    std::vector<std::string> expected;
    for (const std::vector<KeyOracle>& client : run_.keys) {
      for (const KeyOracle& o : client) {
        if (o.current().present) expected.push_back(o.name);
      }
    }
    std::sort(expected.begin(), expected.end());
    if (req.kind == Kind::kDbsize) {
      if (reply.type != Reply::Type::kInteger ||
          reply.integer != static_cast<int64_t>(expected.size())) {
        run_.Fail(absl::StrCat("DBSIZE replied ", reply.DebugString(),
                               ", the models hold ", expected.size(),
                               " keys"));
      }
    } else {
      std::vector<std::string> got;
      if (reply.type == Reply::Type::kArray) {
        for (const Reply& e : reply.elements) got.push_back(e.str);
      }
      std::sort(got.begin(), got.end());
      if (reply.type != Reply::Type::kArray || got != expected) {
        run_.Fail(absl::StrCat("KEYS * replied ", reply.DebugString(),
                               ", the models hold [",
                               absl::StrJoin(expected, ", "), "]"));
      }
    }
    ++run_.stats.global_checks;
    ++global_checks_done_;
  }

  // Sends what it can: a resolution first when one is due, then the
  // driver's checks, then workload operations within the window and the
  // think times.
  void Pump() {
    if (stream_ == nullptr || run_.failed()) return;
    if (needs_resolution_ || resolving_) {
      if (!resolving_ && inflight_.empty()) StartResolution();
      return;
    }
    while (!checks_.empty()) {
      Request r;
      r.args = std::move(checks_.front());
      checks_.pop_front();
      r.kind = r.args[0] == "KEYS" ? Kind::kKeys : Kind::kDbsize;
      Issue(std::move(r));
    }
    while (workload_on_ && think_timer_ == 0 &&
           inflight_.size() < static_cast<size_t>(settings_.window)) {
      IssueWorkloadOp();
      const absl::Duration think = UniformDuration(
          random_, absl::ZeroDuration(), settings_.mean_think * 2);
      think_timer_ = node_.executor().Schedule(think, [this] {
        think_timer_ = 0;
        Pump();
      });
    }
  }

  void StartResolution() {
    resolving_ = true;
    std::vector<KeyOracle>& ks = keys();
    reads_.assign(ks.size(), Reads());
    reads_left_ = 2 * static_cast<int>(ks.size());
    for (size_t k = 0; k < ks.size(); ++k) {
      Request read;
      read.kind = Kind::kRead;
      read.args = ReadArgs(ks[k].type, ks[k].name);
      read.key = static_cast<int>(k);
      Issue(std::move(read));
      Request pttl;
      pttl.kind = Kind::kPttl;
      pttl.args = {"PTTL", ks[k].name};
      pttl.key = static_cast<int>(k);
      Issue(std::move(pttl));
    }
  }

  void FinishResolution() {
    resolving_ = false;
    needs_resolution_ = false;
    const bool reboot =
        resolved_once_ && conn_incarnation_ != ops_incarnation_;
    CrashSpan span;
    if (reboot) span = run_.CrashesBetween(ops_incarnation_, conn_incarnation_);
    const bool lossy = reboot && run_.policy == Policy::kEverysec &&
                       span.power_cut;
    std::vector<KeyOracle>& ks = keys();
    for (size_t k = 0; k < ks.size(); ++k) {
      KeyOracle& o = ks[k];
      Canon read;
      const std::string bad =
          CanonOfRead(o.type, reads_[k].data, reads_[k].pttl, &read);
      if (!bad.empty()) {
        run_.Fail(absl::StrCat(name_, ": resolving ", o.name, ": ", bad));
        return;
      }
      size_t lo;
      if (!reboot) {
        lo = std::max(o.floor, o.last_acked);
      } else if (lossy) {
        lo = o.LastAckedBy(span.first_at - kEverysecBound);
      } else {
        lo = std::max(o.floor, o.last_acked);
      }
      size_t j = o.hist.size();
      for (size_t i = o.hist.size(); i-- > lo;) {
        if (CanonOf(o.type, o.hist[i].after) == read) {
          j = i;
          break;
        }
      }
      if (j == o.hist.size()) {
        run_.Fail(absl::StrCat(
            name_, ": key ", o.name, " reads ", read.ToString(),
            ", which is no state at or after #", lo, " of its history (",
            reboot ? absl::StrCat("server rebooted: incarnation ",
                                  ops_incarnation_, " -> ", conn_incarnation_,
                                  ", first crash at ",
                                  absl::FormatDuration(span.first_at),
                                  span.power_cut ? " with a power cut"
                                                 : " (kills only)")
                   : absl::StrCat("same server process, incarnation ",
                                  conn_incarnation_),
            "; floor #", o.floor, ", last acked #", o.last_acked,
            "): ", o.DescribeHistory(lo)));
        return;
      }
      o.hist.resize(j + 1);
      o.last_acked = std::min(o.last_acked, j);
      if (reboot) {
        // The loader fsynced what it loaded: durable from now on.
        o.floor = j;
        o.Trim();
      }
    }
    if (reboot) ++run_.stats.reboot_resolutions;
    ++run_.stats.resolutions;
    ++resolutions_;
    resolved_once_ = true;
    ops_incarnation_ = conn_incarnation_;
  }

  void IssueWorkloadOp() {
    std::vector<KeyOracle>& ks = keys();
    if (random_.Bernoulli(settings_.rewrite_probability)) {
      ++run_.stats.rewrite_requests;
      Request r;
      r.kind = Kind::kRewrite;
      r.args = {"BGREWRITEAOF"};
      Issue(std::move(r));
      return;
    }
    const int k = static_cast<int>(random_.Uniform(ks.size()));
    KeyOracle& o = ks[k];
    std::vector<std::string> args = DrawOp(o);
    Step step;
    step.id = ++step_ids_;
    step.after = Apply(o.current(), args).state;
    step.args = args;
    o.hist.push_back(std::move(step));
    run_.stats.max_history = std::max(run_.stats.max_history, o.hist.size());
    Request r;
    r.kind = Kind::kWrite;
    r.args = std::move(args);
    r.key = k;
    r.step = step_ids_;
    ++run_.stats.ops;
    Issue(std::move(r));
  }

  std::vector<std::string> DrawOp(const KeyOracle& o) {
    Random& r = random_;
    const std::string& key = o.name;
    const uint64_t any = r.Uniform(100);
    if (any < 4) return {"DEL", key};
    if (any < 8) return {"PEXPIRE", key, kFarTtlMs};
    if (any < 12) return {"PERSIST", key};
    auto value = [this] { return absl::StrCat("v", index_, ".", ++values_); };
    auto pick = [&r](absl::string_view prefix, int n) {
      return absl::StrCat(prefix, r.Uniform(n));
    };
    const uint64_t u = r.Uniform(100);
    switch (o.type) {
      case KeyType::kString:
        if (u < 65) return {"SET", key, value()};
        return {"APPEND", key, absl::StrCat(".", values_++)};
      case KeyType::kCounter:
        return {"INCRBY", key, absl::StrCat(1 + r.Uniform(5))};
      case KeyType::kList: {
        const size_t len = o.current().list.size();
        const uint64_t push = len < 4 ? 70 : len > 12 ? 30 : 50;
        if (u < push) {
          return {u % 2 == 0 ? "RPUSH" : "LPUSH", key, value()};
        }
        return {u % 2 == 0 ? "LPOP" : "RPOP", key};
      }
      case KeyType::kHash:
        if (u < 50) return {"HSET", key, pick("f", 4), value()};
        if (u < 75) return {"HDEL", key, pick("f", 4)};
        return {"HINCRBY", key, "n", absl::StrCat(1 + r.Uniform(5))};
      case KeyType::kSet:
        if (u < 55) return {"SADD", key, pick("m", 6)};
        return {"SREM", key, pick("m", 6)};
      case KeyType::kZset:
        if (u < 40) {
          return {"ZADD", key, absl::StrCat(r.Uniform(50)), pick("z", 6)};
        }
        if (u < 70) return {"ZINCRBY", key, "2", pick("z", 6)};
        return {"ZREM", key, pick("z", 6)};
    }
    return {"DEL", key};
  }

  void Issue(Request r) {
    r.sent = node_.clock().Monotonic();
    EncodeCommand(r.args, &out_);
    inflight_.push_back(std::move(r));
    StartWrite();
  }

  void StartWrite() {
    if (write_in_flight_ || out_.empty() || stream_ == nullptr) return;
    writing_.swap(out_);
    out_.clear();
    write_in_flight_ = true;
    stream_->Write(writing_, [this](NetError error) {
      write_in_flight_ = false;
      if (error != NetError::kOk) return Fail();
      writing_.clear();
      StartWrite();
    });
  }

  Node& node_;
  RunState& run_;
  const int index_;
  const std::string name_;
  const ClientSettings settings_;
  SimRandom random_;
  uint64_t step_ids_ = 0;
  uint64_t values_ = 0;
  bool workload_on_ = true;
  bool live_ = false;

  // Resolution.
  bool needs_resolution_ = true;
  bool resolving_ = false;
  bool resolved_once_ = false;
  // The server incarnation the histories' last operations were sent to.
  uint64_t ops_incarnation_ = 0;
  std::vector<Reads> reads_;
  int reads_left_ = 0;
  uint64_t resolutions_ = 0;
  std::deque<std::vector<std::string>> checks_;
  int global_checks_done_ = 0;

  // Connection.
  std::unique_ptr<Stream> stream_;
  bool connecting_ = false;
  uint64_t conn_incarnation_ = 0;
  int stale_ticks_ = 0;
  int attempts_ = 0;
  std::vector<Dead> graveyard_;
  char buf_[4096];
  std::string in_;
  ReplyDecoder decoder_;
  std::string out_;
  std::string writing_;
  bool write_in_flight_ = false;
  std::deque<Request> inflight_;
  std::deque<std::string> recent_;  // the last requests and their replies
  TimerId think_timer_ = 0;
  TimerId reconnect_timer_ = 0;
  TimerId watchdog_timer_ = 0;
};

// The fault mix of a seed: crashes always; with appendfsync always also
// disk errors, a full disk, a slow disk and pauses; clock faults both.
FaultConfig DrawFaults(Random& r, Policy policy) {
  FaultConfig c;
  c.rate_of(FaultKind::kCrash) = LogUniform(r, 0.03, 0.4);
  c.power_cut_fraction = static_cast<double>(r.Uniform(101)) / 100;
  c.downtime_min = absl::Milliseconds(100);
  c.downtime_max =
      UniformDuration(r, absl::Milliseconds(200), absl::Seconds(3));
  if (policy == Policy::kAlways) {
    if (r.Bernoulli(0.5)) {
      c.rate_of(FaultKind::kDiskWriteErrors) = LogUniform(r, 0.02, 0.5);
    }
    if (r.Bernoulli(0.5)) {
      c.rate_of(FaultKind::kDiskSyncErrors) = LogUniform(r, 0.02, 0.5);
    }
    if (r.Bernoulli(0.3)) {
      c.rate_of(FaultKind::kDiskFull) = LogUniform(r, 0.01, 0.1);
      c.disk_full_max =
          UniformDuration(r, absl::Milliseconds(200), absl::Seconds(5));
    }
    if (r.Bernoulli(0.4)) {
      c.rate_of(FaultKind::kDiskSlow) = LogUniform(r, 0.02, 0.5);
      c.slow_max =
          UniformDuration(r, absl::Milliseconds(5), absl::Milliseconds(300));
    }
    if (r.Bernoulli(0.4)) {
      c.rate_of(FaultKind::kPause) = LogUniform(r, 0.02, 0.3);
      c.pause_max = UniformDuration(r, absl::Milliseconds(50), absl::Seconds(2));
    }
  }
  if (r.Bernoulli(0.4)) {
    c.rate_of(FaultKind::kClockJump) = LogUniform(r, 0.01, 0.2);
  }
  if (r.Bernoulli(0.4)) {
    c.rate_of(FaultKind::kClockDrift) = LogUniform(r, 0.01, 0.2);
  }
  c.buggify = r.Bernoulli(0.85);
  c.process_targets = {"server"};
  return c;
}

// Sabotage::kServerLosesLastWrite: cuts the last command off the current
// incr file, durably. Returns whether there was one.
bool DropLastLoggedCommand(RunState& run) {
  ServerProcess* process = run.server.process_as<ServerProcess>();
  Aof* aof = process == nullptr ? nullptr : process->server().aof();
  if (aof == nullptr || aof->manifest().incrs.empty()) return false;
  const std::string path =
      absl::StrCat(aof->aof_dir(), "/", aof->manifest().incrs.back().name);
  MemFileSystem& fs = run.server.mem_files();
  absl::StatusOr<std::unique_ptr<File>> f = fs.Open(path, OpenMode::kAppend);
  if (!f.ok()) return false;
  std::string data;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = (*f)->ReadAt(data.size(), absl::MakeSpan(buf));
    if (!n.ok() || *n == 0) break;
    data.append(buf, *n);
  }
  AofParser parser;
  parser.Feed(data);
  uint64_t before_last = 0, last = 0;
  bool is_write = false;
  while (parser.Next() == AofParser::kCommand) {
    before_last = last;
    last = parser.end_offset();
    is_write = !parser.args().empty() && parser.args()[0] != "SELECT" &&
               parser.args()[0] != "select";
  }
  if (last == 0 || !is_write) return false;
  return (*f)->Truncate(before_last).ok() && (*f)->Sync().ok();
}

}  // namespace

ScenarioResult AofScenario::Run(const ScenarioOptions& options) {
  sabotage_fired_ = false;
  // Declared before the World so that it outlives the processes the
  // World destroys.
  std::unique_ptr<RunState> run_holder;
  WorldOptions world_options;
  world_options.keep_logs = true;
  world_options.echo_logs = options.verbose;
  World world(options.seed, world_options);

  SimRandom setup = world.Stream("scenario");
  const int client_count = 2 + static_cast<int>(setup.Uniform(3));
  const absl::Duration fault_phase =
      UniformDuration(setup, absl::Seconds(20), absl::Seconds(30));
  const absl::Duration fault_end =
      std::max(absl::Seconds(1), fault_phase * options.scale);

  Config config = ScenarioServerConfig(kPort);
  config.dir = kDataDir;
  config.appendonly = true;
  config.appendfsync = policy_ == Policy::kAlways ? "always" : "everysec";
  config.aof_rewrite_min_size =
      1024 * (1 + static_cast<int64_t>(setup.Uniform(16)));
  config.aof_rewrite_percentage = auto_rewrite_ ? 100 : 0;

  Node& server = world.AddNode("server", kServerIp);
  std::vector<Node*> client_nodes;
  for (int i = 0; i < client_count; ++i) {
    client_nodes.push_back(
        &world.AddNode(absl::StrCat("c", i), absl::StrCat("10.0.1.", i + 1)));
  }
  run_holder = std::make_unique<RunState>(world, server, policy_, sabotage_);
  RunState& run = *run_holder;

  // The machine comes with its data directory.
  (void)server.mem_files().CreateDir(kDataDir);
  (void)server.mem_files().SyncDir("/");

  // Each client's keys and their fixed types.
  run.keys.resize(client_count);
  for (int i = 0; i < client_count; ++i) {
    SimRandom r = world.Stream(absl::StrCat("keys:c", i));
    const int n = 6 + static_cast<int>(r.Uniform(5));
    for (int k = 0; k < n; ++k) {
      const int type =
          k < kKeyTypes ? k : static_cast<int>(r.Uniform(kKeyTypes));
      KeyOracle o;
      o.name = absl::StrCat("c", i, ":", kTypeNames[type], ":", k);
      o.type = static_cast<KeyType>(type);
      o.hist.resize(1);
      o.hist[0].acked = true;
      run.keys[i].push_back(std::move(o));
    }
  }

  server.SetBoot([&run, config](Node& node) -> std::unique_ptr<Process> {
    return std::make_unique<ServerProcess>(node, run, config);
  });
  for (int i = 0; i < client_count; ++i) {
    SimRandom settings_random = world.Stream(absl::StrCat("client:c", i));
    const ClientSettings settings =
        DrawSettings(settings_random, auto_rewrite_);
    const uint64_t workload_seed =
        StreamSeed(options.seed, absl::StrCat("workload:c", i));
    client_nodes[i]->SetBoot([&run, i, settings, workload_seed](
                                 Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<Client>(node, run, i, settings, workload_seed);
    });
  }

  SimRandom swarm = world.Stream("swarm");
  FaultConfig faults = DrawFaults(swarm, policy_);
  if (faults.buggify && swarm.Bernoulli(0.8)) {
    // Multi-step rewrites, so that writes meet a rewrite half done.
    world.buggify().Force(
        kFaultAofRewriteTinyStep,
        static_cast<double>(20 + swarm.Uniform(81)) / 100);
  }
  if (options.event_log) world.EnableEventLog();

  server.Boot();
  for (Node* c : client_nodes) c->Boot();
  StartOrReplayFaults(world, faults, options);

  auto failed = [&run] { return run.Halt(); };
  auto client = [&](int i) { return client_nodes[i]->process_as<Client>(); };
  auto states = [&] {
    std::vector<std::string> s;
    for (int i = 0; i < client_count; ++i) s.push_back(client(i)->DebugState());
    return absl::StrCat("server ", server.up() ? "up" : "down",
                        run.last_start_error.empty()
                            ? ""
                            : absl::StrCat(", last start error: ",
                                           run.last_start_error),
                        "; ", absl::StrJoin(s, "; "));
  };
  // Runs until `done` or a failure; fails the run naming `what` if neither
  // came within `limit`.
  auto wait_for = [&](absl::string_view what, absl::Duration limit,
                      auto done) {
    WaitForPhase(world, run, what, limit, done, states);
  };
  auto all = [&](auto pred) {
    for (int i = 0; i < client_count; ++i) {
      if (!pred(*client(i))) return false;
    }
    return true;
  };
  // Every client resolves its keys (again) and goes idle.
  auto resolve_all = [&](absl::string_view what) {
    std::vector<uint64_t> before;
    for (int i = 0; i < client_count; ++i) {
      Client* c = client(i);
      before.push_back(c->resolutions());
      PostTo(*client_nodes[i], [c] { c->Resolve(); });
    }
    wait_for(what, kPhaseLimit, [&] {
      for (int i = 0; i < client_count; ++i) {
        Client& c = *client(i);
        if (c.resolutions() <= before[i] || !c.idle()) return false;
      }
      return true;
    });
  };
  auto global_check = [&](absl::string_view what) {
    Client* c = client(0);
    const int target = c->global_checks_done() + 2;
    PostTo(*client_nodes[0], [c] { c->AddGlobalChecks(); });
    wait_for(what, kPhaseLimit,
             [&] { return c->global_checks_done() >= target && c->idle(); });
  };

  // 1. Faults.
  world.RunUntil(failed, fault_end);

  // 2. Faults stop; every client must get a write through.
  if (!run.failed()) {
    world.StopFaults();
    if (!server.up()) server.Boot();
    // Overlapping disk-full faults can leave the disk full for good: each
    // restores the capacity it found (sim/faults.cc), the last to end that
    // of the first. Once every one of them has ended, the space comes back.
    Node* server_node = &server;
    Stats* stats = &run.stats;
    world.Enqueue(world.now() + faults.disk_full_max + absl::Milliseconds(1),
                  World::kNoNode, EventKind::kFault, [server_node, stats] {
                    MemFileSystem& disk = server_node->mem_files();
                    if (disk.capacity() != MemFileSystem::kUnlimited) {
                      disk.set_capacity(MemFileSystem::kUnlimited);
                      ++stats->disk_full_stuck;
                    }
                  });
    run.liveness_from = world.now();
    wait_for("liveness (an acknowledged write per client)", kLivenessLimit,
             [&] { return all([](Client& c) { return c.live(); }); });
  }

  // 3. Quiet: the workload stops, every key is resolved, the keyspace
  // holds exactly the models' keys.
  if (!run.failed()) {
    for (int i = 0; i < client_count; ++i) {
      Client* c = client(i);
      PostTo(*client_nodes[i], [c] { c->StopWorkload(); });
    }
    wait_for("quiescing", kPhaseLimit,
             [&] { return all([](Client& c) { return c.idle(); }); });
    resolve_all("final resolution");
    global_check("final KEYS/DBSIZE");
  }

  // 4. A power cut on purpose, so that every run ends with a recovery
  // check: everything acknowledged (over 2.5 s ago, for everysec) must be
  // loaded again.
  if (!run.failed()) {
    world.RunUntil(failed, absl::Seconds(3));
    if (sabotage_ == Sabotage::kServerLosesLastWrite) {
      run.sabotage_fired = DropLastLoggedCommand(run);
    }
    if (server.up()) server.Crash(CrashKind::kPowerCut);
    world.RunUntil(failed, absl::Milliseconds(200));
    server.Boot();
    const uint64_t incarnation = server.incarnation();
    wait_for("resolution after the final power cut", kPhaseLimit, [&] {
      return all([incarnation](Client& c) {
        return c.incarnation() == incarnation && c.idle();
      });
    });
    global_check("KEYS/DBSIZE after the final power cut");
  }

  ScenarioResult result;
  result.failure = run.failure;
  FillWorldResult(world, faults, options, &result);

  Stats s = run.stats;
  if (ServerProcess* p = server.process_as<ServerProcess>()) {
    if (Aof* aof = p->server().aof()) s.rewrites_done += aof->rewrites_done();
  }
  int power_cuts = 0, kills = 0;
  for (const CrashEvent& c : run.crashes) (c.power_cut ? power_cuts : kills)++;
  result.stats = absl::StrCat(
      "clients=", client_count, " ops=", s.ops, " acked=", s.acked,
      " misconf=", s.misconf, " unknown=", s.unknown,
      " resolutions=", s.resolutions,
      " reboot_resolutions=", s.reboot_resolutions,
      " reboots=", server.boots() - 1, " power_cuts=", power_cuts,
      " kills=", kills, " start_failures=", s.start_failures,
      " rewrites=", s.rewrites_done, " bgrewriteaof=", s.rewrite_requests,
      " truncated_bytes=", s.truncated_bytes,
      " loaded_commands=", s.loaded_commands,
      " max_history=", s.max_history, " reconnects=", s.reconnects);
  if (s.disk_full_stuck > 0) {
    absl::StrAppend(&result.stats, " disk_full_stuck=", s.disk_full_stuck);
  }
  if (s.missed_crashes > 0) {
    absl::StrAppend(&result.stats, " missed_crashes=", s.missed_crashes);
  }
  if (sabotage_ != Sabotage::kNone) {
    absl::StrAppend(&result.stats,
                    " sabotage=", run.sabotage_fired ? "fired" : "idle");
  }
  sabotage_fired_ = run.sabotage_fired;
  run.tearing_down = true;
  return result;
}

}  // namespace twinkv::sim
