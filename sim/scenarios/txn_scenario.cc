#include "sim/scenarios/txn_scenario.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/client/client.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/future.h"
#include "core/resp/reply.h"
#include "core/resp/reply_writer.h"
#include "core/server_node.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/prng.h"
#include "sim/scenarios/scenario_support.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

using Sabotage = TxnScenario::Sabotage;

constexpr uint16_t kPort = 6379;
constexpr int kKeys = 3;
constexpr absl::Duration kFaultPhase = absl::Seconds(20);
constexpr absl::Duration kCalmPhase = absl::Seconds(5);
constexpr absl::Duration kLivenessLimit = absl::Seconds(30);
constexpr absl::Duration kDrainLimit = absl::Seconds(30);
constexpr absl::Duration kSabotageDelay = absl::Milliseconds(20);

// Keys rotate: a transaction uses the key group of the second it starts
// in, so that lists (and reads, which return them whole) stay short.
constexpr absl::Duration kGroupPeriod = absl::Seconds(1);

std::string KeyName(int64_t group, int k) {
  return absl::StrCat("g", group, ":l", k);
}

struct Write {
  int64_t group = 0;
  std::vector<int> keys;
  bool committed = false;
  uint64_t incarnation = 0;
  std::vector<int64_t> index;  // per keys[j]: where its value went
  absl::Duration acked;        // world time of the EXEC reply
};

// What the oracle keeps of one server incarnation, per key: the longest
// list read so far (every read must be a prefix of it) and where each of
// its values sits.
struct History {
  std::vector<std::string> order;
  absl::flat_hash_map<std::string, int64_t> index;
};

struct ReadRecord {
  uint64_t id = 0;
  uint64_t incarnation = 0;
  int64_t group = 0;
  absl::Duration sent;
  std::vector<int64_t> lengths;  // per key
};

struct Stats {
  uint64_t writes = 0;
  uint64_t committed = 0;
  uint64_t unknown = 0;
  uint64_t reads = 0;
  uint64_t reads_ok = 0;
  uint64_t read_values = 0;
  uint64_t replaced_clients = 0;
  size_t longest = 0;
};

struct RunState {
  RunState(World& world, Sabotage sabotage)
      : world(world), sabotage(sabotage) {}

  void Fail(std::string message) {
    if (failure.empty()) failure = std::move(message);
  }
  bool failed() const { return !failure.empty(); }

  World& world;
  const Sabotage sabotage;
  std::string failure;
  bool workload_on = true;
  uint64_t next_id = 0;
  std::map<uint64_t, Write> writes;
  std::vector<ReadRecord> reads;
  // Per (incarnation, key group), per key.
  std::map<std::pair<uint64_t, int64_t>, std::vector<History>> histories;
  Stats stats;

  History& history(uint64_t incarnation, int64_t group, int k) {
    std::vector<History>& h = histories[{incarnation, group}];
    if (h.empty()) h.resize(kKeys);
    return h[k];
  }

  // Parses "w<id>" into the write it names, or nullptr.
  const Write* WriterOf(absl::string_view value, uint64_t* id) const {
    if (value.size() < 2 || value[0] != 'w') return nullptr;
    if (!absl::SimpleAtoi(value.substr(1), id)) return nullptr;
    auto it = writes.find(*id);
    return it == writes.end() ? nullptr : &it->second;
  }

  // A committed read: checks it against everything read before in its
  // incarnation (prefix order, known values, no duplicates, atomic
  // visibility) and keeps its lengths for the real-time check.
  void CheckRead(uint64_t read_id, uint64_t incarnation, int64_t group,
                 absl::Duration sent,
                 const std::vector<std::vector<std::string>>& lists) {
    ReadRecord record{read_id, incarnation, group, sent, {}};
    for (int k = 0; k < kKeys; ++k) {
      const std::vector<std::string>& list = lists[k];
      History& h = history(incarnation, group, k);
      const size_t common = std::min(list.size(), h.order.size());
      for (size_t i = 0; i < common; ++i) {
        if (list[i] != h.order[i]) {
          return Fail(absl::StrCat(
              "prefix order violated: read #", read_id, " of ", KeyName(group, k),
              " (incarnation ", incarnation, ") has ", list[i], " at index ",
              i, " where an earlier read had ", h.order[i], "; read: [",
              absl::StrJoin(list, " "), "]"));
        }
      }
      for (size_t i = h.order.size(); i < list.size(); ++i) {
        uint64_t id = 0;
        const Write* w = WriterOf(list[i], &id);
        if (w == nullptr || w->group != group ||
            std::find(w->keys.begin(), w->keys.end(), k) == w->keys.end()) {
          return Fail(absl::StrCat("read #", read_id, " of ", KeyName(group, k),
                                   " has ", list[i],
                                   ", which no transaction appended there"));
        }
        if (!h.index.emplace(list[i], static_cast<int64_t>(i)).second) {
          return Fail(absl::StrCat("read #", read_id, " of ", KeyName(group, k),
                                   " has ", list[i], " twice"));
        }
        h.order.push_back(list[i]);
      }
      stats.longest = std::max(stats.longest, h.order.size());
      stats.read_values += list.size();
      record.lengths.push_back(static_cast<int64_t>(list.size()));
    }
    // Atomic visibility: every value seen means its writer's other
    // appends are seen too.
    for (int k = 0; k < kKeys; ++k) {
      for (const std::string& value : lists[k]) {
        uint64_t id = 0;
        const Write* w = WriterOf(value, &id);
        for (int k2 : w->keys) {
          if (k2 == k) continue;
          const History& h2 = history(incarnation, group, k2);
          auto at = h2.index.find(value);
          if (at == h2.index.end() || at->second >= record.lengths[k2]) {
            return Fail(absl::StrCat(
                "atomic visibility violated: read #", read_id,
                " (incarnation ", incarnation, ") sees ", value, " in ",
                KeyName(group, k), " but not in ", KeyName(group, k2),
                ", which the same transaction appended to; ", KeyName(group, k2),
                ": [", absl::StrJoin(lists[k2], " "), "]"));
          }
        }
      }
    }
    reads.push_back(std::move(record));
  }

  // At the end: committed writes sit where their replies said, and every
  // read sent after a write's EXEC reply (same incarnation) contains it.
  void FinalChecks() {
    // Per incarnation and key: (acked, required length), by acked.
    std::map<std::pair<uint64_t, int64_t>,
             std::vector<std::vector<std::pair<absl::Duration, int64_t>>>>
        needs;
    for (const auto& [id, w] : writes) {
      if (!w.committed) continue;
      const int64_t group = w.group;
      auto& per_key = needs[{w.incarnation, group}];
      if (per_key.empty()) per_key.resize(kKeys);
      for (size_t j = 0; j < w.index.size(); ++j) {
        const int k = w.keys[j];
        const History& h = history(w.incarnation, group, k);
        const int64_t i = w.index[j];
        const std::string value = absl::StrCat("w", id);
        if (i < static_cast<int64_t>(h.order.size()) && h.order[i] != value) {
          return Fail(absl::StrCat("committed write ", value, " was told index ",
                                   i, " of ", KeyName(group, k), " (incarnation ",
                                   w.incarnation, ") but reads have ",
                                   h.order[i], " there"));
        }
        per_key[k].emplace_back(w.acked, i + 1);
      }
    }
    for (auto& [where, per_key] : needs) {
      for (auto& v : per_key) {
        std::sort(v.begin(), v.end());
        for (size_t i = 1; i < v.size(); ++i) {
          v[i].second = std::max(v[i].second, v[i - 1].second);
        }
      }
    }
    for (const ReadRecord& r : reads) {
      const int64_t group = r.group;
      auto it = needs.find({r.incarnation, group});
      if (it == needs.end()) continue;
      for (int k = 0; k < kKeys; ++k) {
        const auto& v = it->second[k];
        // Writes acknowledged strictly before the read was sent.
        auto end = std::lower_bound(
            v.begin(), v.end(), std::make_pair(r.sent, int64_t{0}),
            [](const auto& a, const auto& b) { return a.first < b.first; });
        if (end == v.begin()) continue;
        const int64_t need = std::prev(end)->second;
        if (r.lengths[k] < need) {
          return Fail(absl::StrCat(
              "real-time order violated: read #", r.id, " of ", KeyName(group, k),
              " sent at ", absl::FormatDuration(r.sent), " has ",
              r.lengths[k], " values, but a write committed before needs ",
              need));
        }
      }
    }
  }
};

// The real server without persistence; it records its incarnation in
// "boot" before it serves.
class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, RunState& run)
      : server_(node, ScenarioServerConfig(kPort)) {
    ClientState self;
    std::string out;
    ReplyWriter writer(&out);
    const std::string incarnation = absl::StrCat(node.incarnation());
    const absl::string_view set[] = {"SET", "boot", incarnation};
    server_.engine().Execute(self, set, writer);
    absl::Status status = server_.Start();
    if (!status.ok()) {
      run.Fail(absl::StrCat(node.name(), " refuses to start: ",
                            status.ToString()));
    }
  }

 private:
  ServerNode server_;
};

class ClientProcess final : public Process {
 public:
  ClientProcess(Node& node, RunState& run, int index, uint64_t seed,
                std::string server_ip)
      : node_(node), run_(run), index_(index), random_(seed) {
    options_.address = Address{std::move(server_ip), kPort};
    options_.connect_timeout =
        UniformDuration(random_, absl::Milliseconds(200), absl::Seconds(2));
    options_.heartbeat_interval =
        UniformDuration(random_, absl::Milliseconds(200), absl::Seconds(1));
    options_.heartbeat_timeout =
        UniformDuration(random_, absl::Milliseconds(300), absl::Seconds(2));
    options_.backoff_initial =
        UniformDuration(random_, absl::Milliseconds(2), absl::Milliseconds(50));
    options_.backoff_max =
        UniformDuration(random_, absl::Milliseconds(100), absl::Seconds(1));
    timeout_lo_ = UniformDuration(random_, absl::Milliseconds(200),
                                  absl::Milliseconds(1500));
    mean_think_ =
        UniformDuration(random_, absl::Milliseconds(5), absl::Milliseconds(40));
    write_fraction_ = 0.3 + 0.01 * static_cast<double>(random_.Uniform(51));
    const int lanes = 1 + static_cast<int>(random_.Uniform(3));
    for (int l = 0; l < lanes; ++l) {
      lanes_.push_back(std::make_unique<Lane>());
      lanes_.back()->client = std::make_unique<Client>(node_, options_);
      Think(l);
    }
  }

  ~ClientProcess() override {
    dying_ = true;
    for (auto& lane : lanes_) {
      if (lane->timer != 0) node_.executor().Cancel(lane->timer);
    }
    for (TimerId t : sabotage_timers_) node_.executor().Cancel(t);
    lanes_.clear();
  }

  bool idle() const {
    for (const auto& lane : lanes_) {
      if (lane->busy) return false;
    }
    return true;
  }
  bool live() const { return live_; }
  // From now on, a committed read makes this client live.
  void StartLiveness() {
    live_ = false;
    liveness_ = true;
  }

 private:
  struct Lane {
    std::unique_ptr<Client> client;
    TimerId timer = 0;
    bool busy = false;
  };
  struct Txn {
    uint64_t id = 0;
    int64_t group = 0;
    bool write = false;
    size_t remaining = 0;
    bool failed = false;
    size_t queued = 0;  // commands between MULTI and EXEC
    absl::Duration sent;
  };

  void Think(int l) {
    Lane& lane = *lanes_[l];
    lane.timer = node_.executor().Schedule(
        ExponentialDuration(random_, mean_think_), [this, l] {
          lanes_[l]->timer = 0;
          StartTxn(l);
        });
  }

  void StartTxn(int l) {
    if (!run_.workload_on || run_.failed()) return;
    Lane& lane = *lanes_[l];
    auto txn = std::make_shared<Txn>();
    txn->id = ++run_.next_id;
    txn->write = random_.Bernoulli(write_fraction_);
    txn->group = run_.world.now() / kGroupPeriod;
    const int64_t group = txn->group;
    std::vector<std::vector<std::string>> cmds;
    cmds.push_back({"MULTI"});
    cmds.push_back({"GET", "boot"});
    std::vector<std::string> split;  // kSplitTransaction's late RPUSH
    const std::string value = absl::StrCat("w", txn->id);
    if (txn->write) {
      std::vector<int> keys;
      for (int k = 0; k < kKeys; ++k) keys.push_back(k);
      for (int i = kKeys - 1; i > 0; --i) {
        std::swap(keys[i], keys[random_.Uniform(i + 1)]);
      }
      keys.resize(1 + random_.Uniform(kKeys));
      Write& w = run_.writes[txn->id];
      w.group = group;
      w.keys = keys;
      for (int k : keys) cmds.push_back({"RPUSH", KeyName(group, k), value});
      ++run_.stats.writes;
      if (run_.sabotage == Sabotage::kSplitTransaction && keys.size() >= 2) {
        split = cmds.back();
        cmds.pop_back();
      }
    } else {
      for (int k = 0; k < kKeys; ++k) {
        cmds.push_back({"LRANGE", KeyName(group, k), "0", "-1"});
      }
      ++run_.stats.reads;
    }
    cmds.push_back({"EXEC"});
    txn->queued = cmds.size() - 2;
    txn->remaining = cmds.size();
    txn->sent = run_.world.now();
    lane.busy = true;
    const absl::Duration base =
        timeout_lo_ + absl::Milliseconds(random_.Uniform(1000));
    std::vector<Future<ReplyOrError>> futures;
    for (size_t i = 0; i < cmds.size(); ++i) {
      // Shrinking deadlines: see the header.
      const absl::Duration timeout =
          base + absl::Milliseconds(static_cast<int64_t>(cmds.size() - 1 - i));
      futures.push_back(lane.client->Send(std::move(cmds[i]), timeout));
    }
    for (size_t i = 0; i < futures.size(); ++i) {
      const bool is_exec = i + 1 == futures.size();
      std::move(futures[i])
          .Then([this, l, txn, is_exec, split](ReplyOrError r) mutable {
            if (dying_) return;
            if (!r.ok()) txn->failed = true;
            if (is_exec) {
              OnExec(*txn, r);
              if (!split.empty() && r.ok()) SendLate(l, std::move(split));
            }
            if (--txn->remaining == 0) Finish(l, txn->failed);
          });
    }
  }

  void SendLate(int l, std::vector<std::string> cmd) {
    sabotage_timers_.push_back(node_.executor().Schedule(
        kSabotageDelay, [this, l, cmd = std::move(cmd)]() mutable {
          lanes_[l]->client->Send(std::move(cmd)).Then([](ReplyOrError) {});
        }));
  }

  void OnExec(const Txn& txn, const ReplyOrError& r) {
    if (!r.ok()) {
      if (txn.write) ++run_.stats.unknown;
      return;
    }
    const Reply& reply = *r;
    if (reply.type != Reply::Type::kArray ||
        reply.elements.size() != txn.queued ||
        reply.elements[0].type != Reply::Type::kBulk) {
      return run_.Fail(absl::StrCat("client c", index_, ": transaction ",
                                    txn.id, " got an unexpected EXEC reply (",
                                    static_cast<int>(reply.type), " ",
                                    reply.str, ", ", reply.elements.size(),
                                    " elements)"));
    }
    uint64_t incarnation = 0;
    if (!absl::SimpleAtoi(reply.elements[0].str, &incarnation)) {
      return run_.Fail(absl::StrCat("bad boot value ", reply.elements[0].str));
    }
    if (txn.write) {
      Write& w = run_.writes[txn.id];
      for (size_t j = 1; j < reply.elements.size(); ++j) {
        if (reply.elements[j].type != Reply::Type::kInteger) {
          return run_.Fail(absl::StrCat("transaction ", txn.id,
                                        ": RPUSH replied ",
                                        reply.elements[j].str));
        }
        w.index.push_back(reply.elements[j].integer - 1);
      }
      w.committed = true;
      w.incarnation = incarnation;
      w.acked = run_.world.now();
      ++run_.stats.committed;
      return;
    }
    std::vector<std::vector<std::string>> lists(kKeys);
    for (int k = 0; k < kKeys; ++k) {
      const Reply& list = reply.elements[1 + k];
      if (list.type != Reply::Type::kArray) {
        return run_.Fail(absl::StrCat("transaction ", txn.id,
                                      ": LRANGE replied ", list.str));
      }
      for (const Reply& e : list.elements) lists[k].push_back(e.str);
    }
    ++run_.stats.reads_ok;
    run_.CheckRead(txn.id, incarnation, txn.group, txn.sent, lists);
    if (liveness_) live_ = true;
  }

  void Finish(int l, bool failed) {
    Lane& lane = *lanes_[l];
    lane.busy = false;
    if (!failed) return Think(l);
    // A fresh connection, so that no half transaction can merge into the
    // next one. Not from inside the client's own continuation.
    ++run_.stats.replaced_clients;
    node_.executor().Post([this, l] {
      if (dying_) return;
      lanes_[l]->client = std::make_unique<Client>(node_, options_);
      Think(l);
    });
  }

  Node& node_;
  RunState& run_;
  const int index_;
  SimRandom random_;
  ClientOptions options_;
  absl::Duration timeout_lo_;
  absl::Duration mean_think_;
  double write_fraction_ = 0.5;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<TimerId> sabotage_timers_;
  bool dying_ = false;
  bool liveness_ = false;
  bool live_ = false;
};

}  // namespace

ScenarioResult TxnScenario::Run(const ScenarioOptions& options) {
  // Declared before the World so that it outlives the processes.
  std::unique_ptr<RunState> run_holder;
  WorldOptions world_options;
  world_options.keep_logs = false;
  world_options.echo_logs = options.verbose;
  World world(options.seed, world_options);
  run_holder = std::make_unique<RunState>(world, sabotage_);
  RunState& run = *run_holder;

  SimRandom setup = world.Stream("scenario");
  const int client_count = 3 + static_cast<int>(setup.Uniform(4));
  const absl::Duration fault_end =
      std::max(absl::Seconds(1), kFaultPhase * options.scale);

  Node& server = world.AddNode("s0", "10.0.0.1");
  server.SetBoot([&run](Node& node) -> std::unique_ptr<Process> {
    return std::make_unique<ServerProcess>(node, run);
  });
  std::vector<Node*> clients;
  for (int i = 0; i < client_count; ++i) {
    clients.push_back(
        &world.AddNode(absl::StrCat("c", i), absl::StrCat("10.0.1.", i + 1)));
    const uint64_t seed = StreamSeed(options.seed, absl::StrCat("workload:c", i));
    clients.back()->SetBoot([&run, i, seed](Node& node)
                                -> std::unique_ptr<Process> {
      return std::make_unique<ClientProcess>(node, run, i, seed, "10.0.0.1");
    });
  }

  SimRandom swarm = world.Stream("swarm");
  FaultConfig faults = FaultConfig::Swarm(swarm);
  faults.process_targets = {"s0"};
  if (swarm.Bernoulli(0.5)) {
    faults.rate_of(FaultKind::kCrash) = LogUniform(swarm, 0.05, 0.5);
  }
  if (options.event_log) world.EnableEventLog();

  server.Boot();
  for (Node* c : clients) c->Boot();
  StartOrReplayFaults(world, faults, options);
  auto failed = [&run] { return run.failed(); };
  auto client = [&](int i) { return clients[i]->process_as<ClientProcess>(); };

  // 1. Faults.
  world.RunUntil(failed, fault_end);

  // 2. Heal; the workload goes on; every client must commit a read.
  if (!run.failed()) {
    EndFaults(world, {&server});
    for (int i = 0; i < client_count; ++i) client(i)->StartLiveness();
    world.RunUntil(
        [&] {
          if (run.failed()) return true;
          for (int i = 0; i < client_count; ++i) {
            if (!client(i)->live()) return false;
          }
          return true;
        },
        kLivenessLimit);
    for (int i = 0; i < client_count && !run.failed(); ++i) {
      if (!client(i)->live()) {
        run.Fail(absl::StrCat("liveness: client c", i,
                              " committed no read within ",
                              absl::FormatDuration(kLivenessLimit),
                              " of healing"));
      }
    }
    if (!run.failed()) world.RunUntil(failed, kCalmPhase);
  }

  // 3. Stop and drain.
  if (!run.failed()) {
    run.workload_on = false;
    world.RunUntil(
        [&] {
          if (run.failed()) return true;
          for (int i = 0; i < client_count; ++i) {
            if (!client(i)->idle()) return false;
          }
          return true;
        },
        kDrainLimit);
  }
  if (!run.failed()) run.FinalChecks();

  ScenarioResult result;
  result.failure = run.failure;
  FillWorldResult(world, faults, options, &result);
  const Stats& s = run.stats;
  result.stats = absl::StrCat(
      "clients=", client_count, " writes=", s.writes,
      " committed=", s.committed, " unknown=", s.unknown, " reads=", s.reads,
      " reads_ok=", s.reads_ok, " read_values=", s.read_values,
      " longest=", s.longest, " key_groups=", run.histories.size(),
      " replaced_clients=", s.replaced_clients,
      " server_crashes=", server.crashes());
  return result;
}

}  // namespace twinkv::sim
