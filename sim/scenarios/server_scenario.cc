#include "sim/scenarios/server_scenario.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/fault_points.h"
#include "core/resp/reply.h"
#include "core/server.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/prng.h"
#include "sim/scenarios/scenario_support.h"
#include "sim/scenarios/server_model.h"
#include "sim/scenarios/server_workload.h"

namespace twinkv::sim {
namespace {

constexpr uint16_t kPort = 6379;
constexpr char kServerIp[] = "10.0.0.1";
constexpr int kSlots = 8;
constexpr absl::Duration kFaultPhase = absl::Seconds(25);
constexpr absl::Duration kLivenessLimit = absl::Seconds(60);
constexpr absl::Duration kSettle = absl::Seconds(60);
constexpr absl::Duration kCheckLimit = absl::Seconds(60);
constexpr absl::Duration kCheckTimeout = absl::Seconds(5);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);

// The server's wall clock as an omniscient observer sees it: its monotonic
// clock (read directly) plus its wall offset, whose every change is a
// clock-jump entry of the fault record. Gives the window of wall time in
// which a command ran (its request left at a stamp, its reply is here now)
// and the highest wall time the server's clock may have shown so far.
// The engine's clock (Engine::NowMs) reads the wall offset only when the
// engine is made (at boot) and then follows the monotonic clock, so the
// windows span every offset the node has had, not just recent ones.
class ServerClock {
 public:
  struct Stamp {
    absl::Duration monotonic;
    size_t jumps = 0;  // jumps seen so far
    absl::Duration offset;
  };

  ServerClock(World& world, Node& server)
      : world_(world),
        server_(server),
        epoch_(world.options().wall_epoch),
        high_water_(epoch_) {}

  Stamp Now() {
    Sync();
    return Stamp{Monotonic(), offsets_.size(), offset_};
  }

  // Wall ms at which a command sent at `since` and answered now ran.
  ExecWindow Since(const Stamp& since) {
    Sync();
    return ExecWindow{absl::ToUnixMillis(epoch_ + since.monotonic + min_offset_),
                      absl::ToUnixMillis(epoch_ + Monotonic() + max_offset_)};
  }

  int64_t HighWaterMs() {
    Sync();
    return absl::ToUnixMillis(high_water_);
  }

  // False if the wall offset changed without a fault-record entry (the
  // oracle's windows would then be wrong).
  bool in_sync() {
    Sync();
    return in_sync_;
  }

 private:
  absl::Duration Monotonic() { return server_.clock().Monotonic(); }

  void Sync() {
    const std::vector<ScheduledFault>& record = world_.fault_record();
    for (; seen_ < record.size(); ++seen_) {
      const Fault& f = record[seen_].fault;
      if (f.kind != FaultKind::kClockJump || f.a != server_.id()) continue;
      // The clock showed at most this just before the jump.
      high_water_ = std::max(high_water_, epoch_ + Monotonic() + offset_);
      offset_ += absl::Nanoseconds(f.amount);
      offsets_.push_back(offset_);
      min_offset_ = std::min(min_offset_, offset_);
      max_offset_ = std::max(max_offset_, offset_);
    }
    high_water_ = std::max(high_water_, epoch_ + Monotonic() + max_offset_);
    if (offset_ != server_.sim_clock().wall_offset()) in_sync_ = false;
  }

  World& world_;
  Node& server_;
  const absl::Time epoch_;
  size_t seen_ = 0;
  absl::Duration offset_ = absl::ZeroDuration();
  std::vector<absl::Duration> offsets_;  // after each jump, in order
  absl::Duration min_offset_ = absl::ZeroDuration();  // over all offsets
  absl::Duration max_offset_ = absl::ZeroDuration();
  absl::Time high_water_;
  bool in_sync_ = true;
};

struct Stats {
  uint64_t ops = 0;      // workload requests sent
  uint64_t replies = 0;  // workload replies checked
  uint64_t error_replies = 0;
  uint64_t unknown = 0;  // workload requests whose outcome is unknown
  uint64_t retired = 0;  // keys retired
  uint64_t reconnects = 0;
  uint64_t timeouts = 0;
  uint64_t checks = 0;     // liveness and final-check replies
  uint64_t bad_lines = 0;  // unparsable replayed workload lines
};

// What the driver, the clients and the oracle share during one run.
struct RunState {
  RunState(World& w, Node& s, absl::Duration end, ServerScenario::Sabotage sab)
      : world(w), server(s), clock(w, s), fault_end(end), sabotage(sab) {}

  void Fail(absl::string_view message) {
    if (failure.empty()) {
      failure =
          absl::StrCat("t=", absl::FormatDuration(world.now()), " ", message);
    }
  }
  bool failed() const { return !failure.empty(); }
  // The model of the keyspace of server incarnation `incarnation`.
  KeyspaceModel& model(uint64_t incarnation) { return models[incarnation]; }

  World& world;
  Node& server;
  ServerClock clock;
  const absl::Duration fault_end;
  const ServerScenario::Sabotage sabotage;
  bool sabotage_fired = false;

  // Replay: each client's recorded operations, in order.
  bool replaying = false;
  std::vector<std::deque<WorkloadOp>> replay;
  // The lines the clients fetched, in the order they fetched them.
  std::vector<std::string> workload;

  std::map<uint64_t, KeyspaceModel> models;
  std::string failure;
  Stats stats;
  int liveness_done = 0;
  int checks_expected = 0;
  int checks_done = 0;
};

// The real server: core's Engine and Server, built from nothing at every
// boot (no persistence yet).
class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, RunState& run)
      : engine_(node, ScenarioServerConfig(kPort), RegisterAllFamilies),
        server_(node, engine_) {
    absl::Status status = server_.Start();
    if (!status.ok()) run.Fail(absl::StrCat("server: ", status.ToString()));
  }

  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  Server server_;
};

struct ClientSettings {
  int window = 1;          // requests in flight at most
  absl::Duration timeout;  // per workload request
  absl::Duration connect_timeout;
  absl::Duration mean_think;
};

ClientSettings DrawSettings(Random& r) {
  ClientSettings s;
  s.window = 1 + static_cast<int>(r.Uniform(4));
  s.timeout = UniformDuration(r, absl::Milliseconds(300), absl::Seconds(3));
  s.mean_think =
      UniformDuration(r, absl::Milliseconds(1), absl::Milliseconds(8));
  // Below or above the first SYN retransmission (1 s).
  s.connect_timeout =
      UniformDuration(r, absl::Milliseconds(500), absl::Seconds(4));
  return s;
}

// One client process: a pipelined RESP client that runs its share of the
// workload and the checks the driver hands it, and feeds every reply to
// the oracle.
class Client final : public Process {
 public:
  enum class Kind { kWorkload, kLiveness, kFinal };

  Client(Node& node, RunState& run, int index, ClientSettings settings,
         uint64_t workload_seed)
      : node_(node),
        run_(run),
        index_(index),
        name_(absl::StrCat("c", index)),
        prefix_(absl::StrCat("c", index, ":")),
        settings_(settings) {
    if (!run.replaying) {
      generator_.emplace(index, workload_seed, kSlots, settings.mean_think);
    }
    Connect();
  }

  ~Client() override {
    for (TimerId* t : {&think_timer_, &timeout_timer_, &reconnect_timer_}) {
      if (*t != 0) node_.executor().Cancel(*t);
    }
  }

  // No more workload operations (the one waiting is dropped).
  void StopWorkload() {
    workload_on_ = false;
    next_op_.reset();
    if (think_timer_ != 0) node_.executor().Cancel(think_timer_);
    think_timer_ = 0;
  }

  // Sends `args` when it can; resent on a new connection if the old one
  // dies first. Its reply is checked like any other.
  void AddCheck(std::vector<std::string> args, Kind kind) {
    Request r;
    r.args = std::move(args);
    r.kind = kind;
    checks_.push_back(std::move(r));
    Pump();
  }

  // Every key this client may ever have written.
  std::vector<std::string> AllKeys() const {
    std::vector<std::string> keys;
    for (int s = 0; s < kSlots; ++s) {
      for (int g = 0; g <= generation_[s]; ++g) keys.push_back(KeyName(s, g));
    }
    return keys;
  }

  const std::string& prefix() const { return prefix_; }

  std::string DebugState() const {
    return absl::StrCat(name_, ": ", stream_ ? "connected" : "disconnected",
                        connecting_ ? " (connecting)" : "", ", ",
                        inflight_.size(), " in flight, ", checks_.size(),
                        " checks queued");
  }

 private:
  struct Request {
    std::vector<std::string> args;
    Kind kind = Kind::kWorkload;
    uint64_t seq = 0;
    ServerClock::Stamp stamp;
    absl::Duration deadline;  // on this node's monotonic clock
  };
  // A closed stream and the buffer it may still point into; freed from a
  // timer, never inside the stream's own callback.
  struct Dead {
    std::unique_ptr<Stream> stream;
    std::string buffer;
  };

  std::string KeyName(int slot, int generation) const {
    return absl::StrCat(prefix_, "k", slot, ".", generation);
  }

  void Connect() {
    graveyard_.clear();
    if (stream_ != nullptr || connecting_) return;
    connecting_ = true;
    node_.network().Connect(
        Address{kServerIp, kPort}, settings_.connect_timeout,
        [this](NetError error, std::unique_ptr<Stream> stream) {
          connecting_ = false;
          if (error != NetError::kOk) return ScheduleReconnect();
          stream_ = std::move(stream);
          // A connection belongs to the incarnation it reached (one that
          // died in the meantime answers nothing, so any tag is sound).
          incarnation_ = run_.server.incarnation();
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

  // The connection is unusable: whatever is in flight has an unknown
  // outcome.
  void Fail() {
    if (stream_ == nullptr) return;
    stream_->Close();
    graveyard_.push_back(Dead{std::move(stream_), std::move(writing_)});
    std::vector<std::vector<std::string>> lost;
    for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it) {
      if (it->kind != Kind::kWorkload) checks_.push_front(std::move(*it));
    }
    for (Request& r : inflight_) {
      if (r.kind != Kind::kWorkload) continue;
      ++run_.stats.unknown;
      lost.push_back(std::move(r.args));
    }
    inflight_.clear();
    if (!lost.empty()) {
      std::vector<std::string> retire;
      run_.model(incarnation_).Uncertain(lost, &retire);
      Retire(retire);
    }
    in_.clear();
    decoder_ = ReplyDecoder();
    out_.clear();
    writing_.clear();
    write_in_flight_ = false;
    if (timeout_timer_ != 0) node_.executor().Cancel(timeout_timer_);
    timeout_timer_ = 0;
    ScheduleReconnect();
  }

  // Keys the oracle retired get a fresh name in their slot.
  void Retire(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
      absl::string_view rest = key;
      if (!absl::ConsumePrefix(&rest, prefix_) ||
          !absl::ConsumePrefix(&rest, "k") || rest.size() < 3) {
        continue;
      }
      const int slot = rest[0] - '0';
      int gen;
      if (slot < 0 || slot >= kSlots || rest[1] != '.' ||
          !absl::SimpleAtoi(rest.substr(2), &gen)) {
        continue;
      }
      if (gen == generation_[slot]) {
        ++generation_[slot];
        ++run_.stats.retired;
      }
    }
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
        DecodeReplies(decoder_, &in_, [this](Reply reply) {
          OnReply(std::move(reply));
          return true;
        });
    if (status != DecodeStatus::kUndecodable) return true;
    run_.Fail(absl::StrCat(name_, ": undecodable reply: ", decoder_.error()));
    Fail();
    return false;
  }

  void OnReply(Reply reply) {
    if (inflight_.empty()) {
      run_.Fail(absl::StrCat(name_,
                             ": a reply to no request: ", reply.DebugString()));
      return;
    }
    Request req = std::move(inflight_.front());
    inflight_.pop_front();
    attempts_ = 0;
    const ExecWindow window = run_.clock.Since(req.stamp);
    const int64_t high_water = run_.clock.HighWaterMs();
    KeyspaceModel& model = run_.model(incarnation_);
    MaybeCorrupt(req, model, window, high_water, reply);
    std::optional<std::pair<std::string, std::vector<KeyCell>>> forget =
        MaybeForget(req, model, reply);
    std::vector<std::string> retire;
    const std::string error =
        model.Observe(req.args, window, high_water, reply, &retire);
    if (!error.empty()) {
      run_.Fail(absl::StrCat(name_, " request #", req.seq, " `",
                             absl::StrJoin(req.args, " "), "` (server ",
                             "incarnation ", incarnation_, "): ", error));
    } else if (forget.has_value()) {
      model.set_cells(forget->first, std::move(forget->second));
      run_.sabotage_fired = true;
    }
    Retire(retire);
    if (req.kind == Kind::kWorkload) {
      ++run_.stats.replies;
      if (reply.is_error()) ++run_.stats.error_replies;
    } else {
      ++run_.stats.checks;
      if (req.kind == Kind::kLiveness) ++run_.liveness_done;
      if (req.kind == Kind::kFinal) ++run_.checks_done;
    }
    ArmTimeout();
    Pump();
  }

  // Sabotage::kCorruptReply: alters the first reply the model fully
  // determines to be a bulk string.
  void MaybeCorrupt(const Request& req, KeyspaceModel& model, ExecWindow window,
                    int64_t high_water, Reply& reply) {
    if (run_.sabotage != ServerScenario::Sabotage::kCorruptReply ||
        run_.sabotage_fired || req.kind != Kind::kWorkload) {
      return;
    }
    std::vector<Reply> allowed = model.Predict(req.args, window, high_water);
    if (allowed.size() == 1 && allowed[0].type == Reply::Type::kBulk &&
        reply == allowed[0]) {
      reply.str += "~";
      run_.sabotage_fired = true;
    }
  }

  // Sabotage::kDropModelWrite: the model's state before the first plain
  // SET that changes a surely-known key, to restore after the SET.
  std::optional<std::pair<std::string, std::vector<KeyCell>>> MaybeForget(
      const Request& req, KeyspaceModel& model, const Reply& reply) {
    if (run_.sabotage != ServerScenario::Sabotage::kDropModelWrite ||
        run_.sabotage_fired || req.args.size() != 3 ||
        CommandName(req.args) != "SET" || reply != Reply::Status("OK")) {
      return std::nullopt;
    }
    const KeyspaceModel::KeyState& st = model.state(req.args[1]);
    if (st.retired || st.unknown || st.cells.size() != 1 ||
        st.cells[0] == KeyCell::Live(req.args[2])) {
      return std::nullopt;
    }
    return std::make_pair(req.args[1], st.cells);
  }

  void ArmTimeout() {
    if (timeout_timer_ != 0) node_.executor().Cancel(timeout_timer_);
    timeout_timer_ = 0;
    if (inflight_.empty()) return;
    const absl::Duration wait =
        std::max(absl::ZeroDuration(),
                 inflight_.front().deadline - node_.clock().Monotonic());
    timeout_timer_ = node_.executor().Schedule(wait, [this] {
      timeout_timer_ = 0;
      if (inflight_.empty()) return;
      if (inflight_.front().deadline > node_.clock().Monotonic()) {
        return ArmTimeout();
      }
      ++run_.stats.timeouts;
      Fail();
    });
  }

  // Sends what it can: queued checks first, then workload operations, as
  // long as the window allows and think times have passed.
  void Pump() {
    if (stream_ == nullptr) return;
    while (inflight_.size() < static_cast<size_t>(settings_.window)) {
      if (!checks_.empty()) {
        Request r = std::move(checks_.front());
        checks_.pop_front();
        Issue(std::move(r));
        continue;
      }
      if (!workload_on_) break;
      if (!next_op_.has_value() && !Fetch()) break;
      if (think_timer_ != 0) break;
      Request r;
      r.args = Resolve(next_op_->args);
      next_op_.reset();
      Issue(std::move(r));
    }
  }

  // Takes the next workload operation, if any, and starts its think time.
  bool Fetch() {
    if (run_.world.now() >= run_.fault_end) {
      workload_on_ = false;
      return false;
    }
    WorkloadOp op;
    if (generator_.has_value()) {
      op = generator_->Next(absl::ToUnixMillis(node_.clock().Now()));
    } else {
      std::deque<WorkloadOp>& mine = run_.replay[index_];
      if (mine.empty()) return false;
      op = std::move(mine.front());
      mine.pop_front();
      op.client = index_;
    }
    run_.workload.push_back(FormatWorkloadOp(op));
    if (op.think_us > 0) {
      think_timer_ =
          node_.executor().Schedule(absl::Microseconds(op.think_us), [this] {
            think_timer_ = 0;
            Pump();
          });
    }
    next_op_ = std::move(op);
    return true;
  }

  std::vector<std::string> Resolve(const std::vector<std::string>& args) const {
    std::vector<std::string> out;
    out.reserve(args.size());
    for (const std::string& a : args) {
      if (a.size() >= 2 && a[0] == '@' && a[1] >= '0' && a[1] <= '9') {
        const int slot = (a[1] - '0') % kSlots;
        out.push_back(KeyName(slot, generation_[slot]));
      } else if (!a.empty() && a[0] == '@') {
        out.push_back(absl::StrCat(prefix_, a.substr(1)));
      } else {
        out.push_back(a);
      }
    }
    return out;
  }

  void Issue(Request r) {
    r.seq = ++seq_;
    r.stamp = run_.clock.Now();
    r.deadline =
        node_.clock().Monotonic() +
        (r.kind == Kind::kWorkload ? settings_.timeout : kCheckTimeout);
    if (r.kind == Kind::kWorkload) ++run_.stats.ops;
    EncodeCommand(r.args, &out_);
    inflight_.push_back(std::move(r));
    if (inflight_.size() == 1) ArmTimeout();
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
  const std::string prefix_;
  const ClientSettings settings_;
  std::optional<WorkloadGenerator> generator_;
  std::array<int, kSlots> generation_{};
  bool workload_on_ = true;
  std::optional<WorkloadOp> next_op_;
  uint64_t seq_ = 0;

  std::unique_ptr<Stream> stream_;
  bool connecting_ = false;
  uint64_t incarnation_ = 0;
  int attempts_ = 0;
  std::vector<Dead> graveyard_;
  char buf_[4096];
  std::string in_;
  ReplyDecoder decoder_;
  std::string out_;
  std::string writing_;
  bool write_in_flight_ = false;
  std::deque<Request> inflight_;
  std::deque<Request> checks_;
  TimerId think_timer_ = 0;
  TimerId timeout_timer_ = 0;
  TimerId reconnect_timer_ = 0;
};

// Sabotage::kServerDropsKey: deletes behind the model's back a key it
// says surely exists. Returns whether there was one.
bool DropKeyBehindModel(RunState& run) {
  ServerProcess* server = run.server.process_as<ServerProcess>();
  if (server == nullptr) return false;
  const KeyspaceModel& model = run.model(run.server.incarnation());
  for (const auto& [key, st] : model.keys()) {
    if (st.retired || st.unknown || st.cells.size() != 1 ||
        !st.cells[0].present || st.cells[0].expire_lo != kNoTtl) {
      continue;
    }
    Engine& engine = server->engine();
    return engine.keyspace().db(0).Erase(key, engine.NowMs());
  }
  return false;
}

}  // namespace

ScenarioResult ServerScenario::Run(const ScenarioOptions& options) {
  sabotage_fired_ = false;
  WorldOptions world_options;
  world_options.keep_logs = false;
  world_options.echo_logs = options.verbose;
  World world(options.seed, world_options);

  SimRandom setup = world.Stream("scenario");
  const int client_count = 3 + static_cast<int>(setup.Uniform(4));
  const absl::Duration fault_end =
      std::max(absl::Seconds(1), kFaultPhase * options.scale);

  Node& server = world.AddNode("server", kServerIp);
  std::vector<Node*> client_nodes;
  for (int i = 0; i < client_count; ++i) {
    client_nodes.push_back(
        &world.AddNode(absl::StrCat("c", i), absl::StrCat("10.0.1.", i + 1)));
  }
  RunState run(world, server, fault_end, sabotage_);
  if (options.workload.has_value()) {
    run.replaying = true;
    run.replay.resize(client_count);
    for (const std::string& line : *options.workload) {
      std::optional<WorkloadOp> op = ParseWorkloadOp(line);
      if (!op.has_value() || op->client >= client_count) {
        ++run.stats.bad_lines;
        continue;
      }
      run.replay[op->client].push_back(std::move(*op));
    }
  }

  server.SetBoot([&run](Node& node) -> std::unique_ptr<Process> {
    return std::make_unique<ServerProcess>(node, run);
  });
  for (int i = 0; i < client_count; ++i) {
    const std::string stream = absl::StrCat("c", i);
    SimRandom settings_random = world.Stream(absl::StrCat("client:", stream));
    const ClientSettings settings = DrawSettings(settings_random);
    const uint64_t workload_seed =
        StreamSeed(options.seed, absl::StrCat("workload:", stream));
    client_nodes[i]->SetBoot([&run, i, settings, workload_seed](
                                 Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<Client>(node, run, i, settings, workload_seed);
    });
  }

  SimRandom swarm = world.Stream("swarm");
  FaultConfig config = FaultConfig::Swarm(swarm);
  config.process_targets = {"server"};
  if (force_buggify_ > 0) {
    config.buggify = true;
    for (absl::string_view point : kFaultPoints) {
      world.buggify().Force(point, force_buggify_);
    }
  }
  if (options.event_log) world.EnableEventLog();

  server.Boot();
  for (Node* c : client_nodes) c->Boot();
  StartOrReplayFaults(world, config, options);

  auto failed = [&run] { return run.failed(); };
  auto client = [&](int i) { return client_nodes[i]->process_as<Client>(); };

  // 1. Faults.
  world.RunUntil(failed, fault_end);

  // 2. Faults stop; every client must get through again.
  if (!run.failed()) {
    EndFaults(world, {&server});
    for (int i = 0; i < client_count; ++i) {
      Client* c = client(i);
      PostTo(*client_nodes[i], [c] {
        c->StopWorkload();
        c->AddCheck({"PING"}, Client::Kind::kLiveness);
      });
    }
    world.RunUntil(
        [&] { return run.failed() || run.liveness_done == client_count; },
        kLivenessLimit);
    if (!run.failed() && run.liveness_done < client_count) {
      std::vector<std::string> states;
      for (int i = 0; i < client_count; ++i) {
        states.push_back(client(i)->DebugState());
      }
      run.Fail(absl::StrCat("liveness: only ", run.liveness_done, " of ",
                            client_count, " clients completed a PING within ",
                            absl::FormatDuration(kLivenessLimit),
                            " after the faults stopped (server ",
                            server.up() ? "up" : "down", "; ",
                            absl::StrJoin(states, "; "), ")"));
    }
  }

  // 3. Settle: nothing sent during the faults may still be under way.
  if (!run.failed() && world.now() < fault_end + kSettle) {
    world.RunUntil(failed, fault_end + kSettle - world.now());
  }

  if (!run.failed() && sabotage_ == Sabotage::kServerDropsKey) {
    run.sabotage_fired = DropKeyBehindModel(run);
  }

  // 4. Final check: every key of every client, then the whole keyspace.
  auto run_checks = [&](absl::string_view what) {
    world.RunUntil(
        [&] { return run.failed() || run.checks_done == run.checks_expected; },
        kCheckLimit);
    if (!run.failed() && run.checks_done < run.checks_expected) {
      run.Fail(absl::StrCat("final check (", what, "): ", run.checks_done,
                            " of ", run.checks_expected,
                            " requests answered within ",
                            absl::FormatDuration(kCheckLimit)));
    }
  };
  if (!run.failed()) {
    for (int i = 0; i < client_count; ++i) {
      Client* c = client(i);
      std::vector<std::string> keys = c->AllKeys();
      // One read per type: four of them reply WRONGTYPE, which the model
      // checks too, and the fifth shows the whole value.
      run.checks_expected += 5 * static_cast<int>(keys.size()) + 1;
      PostTo(*client_nodes[i], [c, keys = std::move(keys)] {
        for (const std::string& k : keys) {
          c->AddCheck({"GET", k}, Client::Kind::kFinal);
          c->AddCheck({"LRANGE", k, "0", "-1"}, Client::Kind::kFinal);
          c->AddCheck({"HGETALL", k}, Client::Kind::kFinal);
          c->AddCheck({"SMEMBERS", k}, Client::Kind::kFinal);
          c->AddCheck({"ZRANGE", k, "0", "-1", "WITHSCORES"},
                      Client::Kind::kFinal);
        }
        c->AddCheck({"KEYS", absl::StrCat(c->prefix(), "*")},
                    Client::Kind::kFinal);
      });
    }
    run_checks("per client");
  }
  if (!run.failed()) {
    Client* c = client(0);
    run.checks_expected += 2;
    PostTo(*client_nodes[0], [c] {
      c->AddCheck({"KEYS", "*"}, Client::Kind::kFinal);
      c->AddCheck({"DBSIZE"}, Client::Kind::kFinal);
    });
    run_checks("global");
  }
  if (!run.failed() && !run.clock.in_sync()) {
    run.Fail(
        "the server's wall clock moved without a clock-jump fault; "
        "the oracle's time windows are unsound");
  }

  ScenarioResult result;
  result.failure = run.failure;
  FillWorldResult(world, config, options, &result);
  result.workload = run.workload;
  uint64_t unknown_keys = 0, unknown_outcomes = 0;
  for (const auto& [incarnation, model] : run.models) {
    unknown_keys += model.unknown_keys();
    unknown_outcomes += model.unknown_outcomes();
  }
  const Stats& s = run.stats;
  result.stats = absl::StrCat(
      "clients=", client_count, " ops=", s.ops, " replies=", s.replies,
      " error_replies=", s.error_replies, " unknown=", s.unknown,
      " retired=", s.retired, " unknown_keys=", unknown_keys,
      " unknown_outcomes=", unknown_outcomes, " reconnects=", s.reconnects,
      " timeouts=", s.timeouts, " server_boots=", server.boots(),
      " crashes=", server.crashes(), " checks=", s.checks);
  if (s.bad_lines > 0)
    absl::StrAppend(&result.stats, " bad_lines=", s.bad_lines);
  if (sabotage_ != Sabotage::kNone) {
    absl::StrAppend(&result.stats,
                    " sabotage=", run.sabotage_fired ? "fired" : "idle");
  }
  sabotage_fired_ = run.sabotage_fired;
  return result;
}

}  // namespace twinkv::sim
