#include "sim/scenarios/pubsub_scenario.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/config.h"
#include "core/glob.h"
#include "core/resp/reply.h"
#include "core/server_node.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/prng.h"
#include "sim/scenarios/scenario_support.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

using Sabotage = PubSubScenario::Sabotage;

constexpr uint16_t kPort = 6379;
constexpr char kServerIp[] = "10.0.0.1";
constexpr absl::Duration kFaultPhase = absl::Seconds(20);
constexpr absl::Duration kLivenessLimit = absl::Seconds(30);
constexpr absl::Duration kConnectTimeout = absl::Seconds(1);
constexpr absl::Duration kPublishTimeout = absl::Seconds(2);
constexpr absl::Duration kPingTimeout = absl::Seconds(3);
constexpr int kChannels = 3;
constexpr int kWindow = 4;
constexpr int64_t kHardLimit = 256 * 1024;
constexpr int64_t kSoftLimit = 64 * 1024;
constexpr size_t kBulkMessage = 8 * 1024;
constexpr const char* kPatterns[] = {"ch*", "ch[12]"};

struct Stats {
  uint64_t published = 0;
  uint64_t messages = 0;
  uint64_t pmessages = 0;
  uint64_t unsubscribes = 0;
  uint64_t reconnects = 0;
  uint64_t bulk_delivered = 0;  // bytes PUBLISH reported delivered to slow
  size_t max_output = 0;
};

struct RunState {
  explicit RunState(World& w) : world(w) {}
  void Fail(absl::string_view message) {
    if (!failure.empty()) return;
    failure = absl::StrCat("t=", absl::FormatDuration(world.now()), " ",
                           message);
  }
  bool failed() const { return !failure.empty(); }
  World& world;
  std::string failure;
  Stats stats;
  Sabotage sabotage = Sabotage::kNone;
  bool sabotage_fired = false;
};

// One RESP connection to the server from a client node: connects, writes
// what it is given in order, and hands every decoded reply to on_reply.
class RespConn {
 public:
  RespConn(Node& node, std::function<void(const Reply&)> on_reply,
           std::function<void()> on_open, std::function<void()> on_broken)
      : node_(node),
        on_reply_(std::move(on_reply)),
        on_open_(std::move(on_open)),
        on_broken_(std::move(on_broken)) {}
  ~RespConn() {
    if (stream_ != nullptr) stream_->Close();
  }

  bool open() const { return stream_ != nullptr; }
  bool connecting() const { return connecting_; }

  void Connect() {
    if (stream_ != nullptr || connecting_) return;
    connecting_ = true;
    node_.network().Connect(
        Address{kServerIp, kPort}, kConnectTimeout,
        [this](NetError error, std::unique_ptr<Stream> stream) {
          connecting_ = false;
          if (error != NetError::kOk) {
            on_broken_();
            return;
          }
          stream_ = std::move(stream);
          decoder_ = ReplyDecoder();
          input_.clear();
          ReadMore();
          on_open_();
        });
  }

  void Send(const std::vector<std::string>& args) {
    if (stream_ == nullptr) return;
    EncodeCommand(args, &pending_);
    Flush();
  }

  // Stops reading for good (the slow subscriber).
  void set_reading(bool reading) { reading_ = reading; }

  // Drops the connection; the owner decides when to reconnect.
  void Close() {
    if (stream_ == nullptr) return;
    stream_->Close();
    // Freed later: this may run inside the stream's own callback.
    graveyard_.push_back(std::move(stream_));
    old_buffers_.push_back(std::move(writing_));
    writing_.clear();
    pending_.clear();
    node_.executor().Post([this] {
      graveyard_.clear();
      old_buffers_.clear();
    });
  }

 private:
  void ReadMore() {
    if (stream_ == nullptr || !reading_) return;
    stream_->Read(absl::MakeSpan(buf_, sizeof(buf_)),
                  [this](NetError error, size_t n) {
                    if (error != NetError::kOk) return Broken();
                    input_.append(buf_, n);
                    size_t pos = 0;
                    while (stream_ != nullptr) {
                      Reply reply;
                      auto r = decoder_.Decode(
                          absl::string_view(input_).substr(pos), &reply);
                      if (r == ReplyDecoder::kNeedMore) break;
                      if (r == ReplyDecoder::kError) return Broken();
                      pos += decoder_.consumed();
                      on_reply_(reply);
                    }
                    if (stream_ == nullptr) return;
                    input_.erase(0, pos);
                    ReadMore();
                  });
  }

  void Flush() {
    if (stream_ == nullptr || write_in_flight_ || pending_.empty()) return;
    writing_.swap(pending_);
    write_in_flight_ = true;
    stream_->Write(writing_, [this](NetError error) {
      write_in_flight_ = false;
      if (error != NetError::kOk) return Broken();
      writing_.clear();
      Flush();
    });
  }

  void Broken() {
    write_in_flight_ = false;
    Close();
    on_broken_();
  }

  Node& node_;
  std::function<void(const Reply&)> on_reply_;
  std::function<void()> on_open_;
  std::function<void()> on_broken_;
  std::unique_ptr<Stream> stream_;
  std::vector<std::unique_ptr<Stream>> graveyard_;
  std::vector<std::string> old_buffers_;
  bool connecting_ = false;
  bool write_in_flight_ = false;
  bool reading_ = true;
  char buf_[16 * 1024];
  std::string input_;
  ReplyDecoder decoder_;
  std::string pending_;
  std::string writing_;
};

Config ServerConfig(bool limit) {
  Config config = ScenarioServerConfig(kPort);
  config.client_output_buffer_limit = absl::StrCat(
      "normal 0 0 0 slave 268435456 67108864 60 pubsub ",
      limit ? kHardLimit : 0, " ", limit ? kSoftLimit : 0, " 1");
  return config;
}

class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, RunState& run, bool limit)
      : server_(node, ServerConfig(limit)) {
    absl::Status status = server_.Start();
    if (!status.ok()) run.Fail(absl::StrCat("server: ", status.ToString()));
  }
  ServerNode& server() { return server_; }

 private:
  ServerNode server_;
};

// Publishes numbered messages; `bulk` publishes big ones to "bulk".
class Publisher final : public Process {
 public:
  Publisher(Node& node, RunState& run, int index, bool bulk)
      : node_(node),
        run_(run),
        index_(index),
        bulk_(bulk),
        conn_(
            node, [this](const Reply& r) { OnReply(r); },
            [this] { ++epoch_; Pump(); }, [this] { Reconnect(); }) {
    conn_.Connect();
    Tick();
  }

 private:
  void Tick() {
    node_.executor().Schedule(
        bulk_ ? absl::Milliseconds(2)
              : absl::Milliseconds(1 + node_.random().Uniform(20)),
        [this] {
          if (conn_.open() && !inflight_.empty() &&
              node_.clock().Monotonic() - inflight_.front() > kPublishTimeout) {
            Reconnect();
          }
          Pump();
          Tick();
        });
  }

  void Pump() {
    if (!conn_.open() || inflight_.size() >= kWindow) return;
    if (bulk_) {
      conn_.Send({"PUBLISH", "bulk", std::string(kBulkMessage, 'x')});
    } else {
      const int ch = static_cast<int>(node_.random().Uniform(kChannels));
      const uint64_t seq = ++seq_[ch];
      conn_.Send({"PUBLISH", absl::StrCat("ch", ch),
                  absl::StrCat("p", index_, ":", epoch_, ":", seq)});
    }
    inflight_.push_back(node_.clock().Monotonic());
    ++run_.stats.published;
  }

  void OnReply(const Reply& r) {
    if (r.type != Reply::Type::kInteger || inflight_.empty()) {
      run_.Fail(absl::StrCat(node_.name(), ": PUBLISH replied ",
                             r.DebugString()));
      return;
    }
    inflight_.pop_front();
    if (bulk_ && r.integer > 0) run_.stats.bulk_delivered += kBulkMessage;
  }

  void Reconnect() {
    conn_.Close();
    inflight_.clear();
    for (uint64_t& s : seq_) s = 0;  // a new epoch starts over
    ++run_.stats.reconnects;
    node_.executor().Schedule(absl::Milliseconds(50), [this] {
      conn_.Connect();
    });
  }

  Node& node_;
  RunState& run_;
  const int index_;
  const bool bulk_;
  RespConn conn_;
  uint64_t epoch_ = 0;
  uint64_t seq_[kChannels] = {};
  std::deque<absl::Duration> inflight_;
};

class Subscriber final : public Process {
 public:
  Subscriber(Node& node, RunState& run, bool slow)
      : node_(node),
        run_(run),
        slow_(slow),
        conn_(
            node, [this](const Reply& r) { OnReply(r); }, [this] { OnOpen(); },
            [this] { Reconnect(); }) {
    conn_.Connect();
    if (!slow_) Tick();
  }

  absl::Duration last_message() const { return last_message_; }
  std::string DebugState() const {
    return absl::StrCat(node_.name(), conn_.open() ? " open" : " closed",
                        " last message at ",
                        absl::FormatDuration(last_message_));
  }

 private:
  void OnOpen() {
    subscribed_.clear();
    last_seq_.clear();
    ping_sent_ = absl::InfiniteDuration();
    if (slow_) {
      conn_.Send({"SUBSCRIBE", "bulk"});
      conn_.set_reading(false);
      return;
    }
    conn_.Send({"SUBSCRIBE", "ch0"});
  }

  void Tick() {
    node_.executor().Schedule(
        absl::Milliseconds(20 + node_.random().Uniform(200)), [this] {
          Act();
          Tick();
        });
  }

  void Act() {
    const absl::Duration now = node_.clock().Monotonic();
    if (!conn_.open()) return;
    if (ping_sent_ != absl::InfiniteDuration() &&
        now - ping_sent_ > kPingTimeout) {
      return Reconnect();
    }
    Random& r = node_.random();
    const uint64_t what = r.Uniform(6);
    if (what == 0 && ping_sent_ == absl::InfiniteDuration()) {
      ping_sent_ = now;
      conn_.Send({"PING", "alive"});
    } else if (what <= 2) {
      const std::string ch = absl::StrCat("ch", 1 + r.Uniform(kChannels - 1));
      conn_.Send({r.Bernoulli(0.5) ? "SUBSCRIBE" : "UNSUBSCRIBE", ch});
    } else if (what == 3) {
      const std::string p = kPatterns[r.Uniform(2)];
      conn_.Send({r.Bernoulli(0.5) ? "PSUBSCRIBE" : "PUNSUBSCRIBE", p});
    }
  }

  void Reconnect() {
    conn_.Close();
    ++run_.stats.reconnects;
    node_.executor().Schedule(absl::Milliseconds(50),
                              [this] { conn_.Connect(); });
  }

  void Bad(const Reply& r, absl::string_view why) {
    run_.Fail(absl::StrCat(node_.name(), ": ", why, ": ", r.DebugString()));
  }

  void OnReply(const Reply& r) {
    if (slow_) return;  // its one read may hold anything
    if (r.type != Reply::Type::kArray || r.elements.size() < 2 ||
        r.elements[0].type != Reply::Type::kBulk) {
      return Bad(r, "unexpected reply");
    }
    const std::string& kind = r.elements[0].str;
    const size_t n = r.elements.size();
    if (kind == "pong" && n == 2) {
      if (r.elements[1].str != "alive") return Bad(r, "wrong PING echo");
      ping_sent_ = absl::InfiniteDuration();
      return;
    }
    if ((kind == "subscribe" || kind == "psubscribe" ||
         kind == "unsubscribe" || kind == "punsubscribe") &&
        n == 3 && r.elements[2].type == Reply::Type::kInteger) {
      const std::string key =
          absl::StrCat(kind[0] == 'p' ? "p:" : "c:",
                       r.elements[1].str);
      if (kind == "subscribe" || kind == "psubscribe") {
        subscribed_[key] = true;
      } else {
        subscribed_.erase(key);
        ++run_.stats.unsubscribes;
      }
      if (run_.sabotage == Sabotage::kForgetSubscription &&
          !run_.sabotage_fired && kind == "subscribe" &&
          r.elements[1].str != "ch0") {
        run_.sabotage_fired = true;
        subscribed_.erase(key);
      }
      int64_t count = 0;
      for (const auto& [k, on] : subscribed_) count += on;
      if (run_.sabotage == Sabotage::kNone && count != r.elements[2].integer) {
        return Bad(r, absl::StrCat("subscription count, expected ", count));
      }
      return;
    }
    std::string pattern;
    size_t at = 1;
    if (kind == "pmessage" && n == 4) {
      pattern = r.elements[1].str;
      at = 2;
      if (!subscribed_.contains(absl::StrCat("p:", pattern))) {
        return Bad(r, "pmessage for a pattern not subscribed");
      }
      if (!GlobMatch(pattern, r.elements[2].str)) {
        return Bad(r, "pmessage channel does not match its pattern");
      }
      ++run_.stats.pmessages;
    } else if (kind == "message" && n == 3) {
      if (!subscribed_.contains(absl::StrCat("c:", r.elements[1].str))) {
        return Bad(r, "message for a channel not subscribed");
      }
      ++run_.stats.messages;
    } else {
      return Bad(r, "unexpected reply");
    }
    const std::string& channel = r.elements[at].str;
    const std::vector<absl::string_view> parts =
        absl::StrSplit(r.elements[at + 1].str, ':');
    uint64_t seq = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[2], &seq)) {
      return Bad(r, "malformed payload");
    }
    uint64_t& last = last_seq_[absl::StrCat(pattern, "|", channel, "|",
                                            parts[0], ":", parts[1])];
    if (seq <= last) {
      return Bad(r, absl::StrCat("out of publish order or duplicate (last ",
                                 last, ")"));
    }
    last = seq;
    last_message_ = node_.world().now();
  }

  Node& node_;
  RunState& run_;
  const bool slow_;
  RespConn conn_;
  std::map<std::string, bool> subscribed_;  // "c:ch1", "p:ch*"
  std::map<std::string, uint64_t> last_seq_;
  absl::Duration ping_sent_ = absl::InfiniteDuration();
  absl::Duration last_message_ = absl::ZeroDuration();
};

}  // namespace

ScenarioResult PubSubScenario::Run(const ScenarioOptions& options) {
  std::unique_ptr<RunState> run_holder;
  WorldOptions world_options;
  world_options.keep_logs = false;
  world_options.echo_logs = options.verbose;
  World world(options.seed, world_options);
  run_holder = std::make_unique<RunState>(world);
  RunState& run = *run_holder;
  run.sabotage = sabotage_;

  SimRandom setup = world.Stream("scenario");
  const int publishers = 1 + static_cast<int>(setup.Uniform(2));
  const int subscribers = 2 + static_cast<int>(setup.Uniform(2));
  const absl::Duration fault_end =
      std::max(absl::Seconds(1), kFaultPhase * options.scale);
  const bool limit = sabotage_ != Sabotage::kNoOutputLimit;

  Node& srv = world.AddNode("srv", kServerIp);
  srv.SetBoot([&run, limit](Node& node) -> std::unique_ptr<Process> {
    return std::make_unique<ServerProcess>(node, run, limit);
  });
  std::vector<Node*> pubs;
  for (int i = 0; i < publishers; ++i) {
    pubs.push_back(&world.AddNode(absl::StrCat("p", i),
                                  absl::StrCat("10.0.1.", i + 1)));
    pubs.back()->SetBoot([&run, i](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<Publisher>(node, run, i, false);
    });
  }
  std::vector<Node*> subs;
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(&world.AddNode(absl::StrCat("s", i),
                                  absl::StrCat("10.0.2.", i + 1)));
    subs.back()->SetBoot([&run](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<Subscriber>(node, run, false);
    });
  }
  Node& slow = world.AddNode("slow", "10.0.3.1");
  slow.SetBoot([&run](Node& node) -> std::unique_ptr<Process> {
    return std::make_unique<Subscriber>(node, run, true);
  });
  Node& bulk = world.AddNode("bulk", "10.0.3.2");
  bulk.SetBoot([&run](Node& node) -> std::unique_ptr<Process> {
    return std::make_unique<Publisher>(node, run, 99, true);
  });

  SimRandom swarm = world.Stream("swarm");
  FaultConfig faults = FaultConfig::Swarm(swarm);
  faults.process_targets = {"srv"};
  faults.rate_of(FaultKind::kCrash) = 0;
  if (options.event_log) world.EnableEventLog();

  srv.Boot();
  for (Node* n : pubs) n->Boot();
  for (Node* n : subs) n->Boot();
  slow.Boot();
  bulk.Boot();
  StartOrReplayFaults(world, faults, options);

  // The memory oracle, before every event.
  const size_t bound = static_cast<size_t>(kHardLimit) + kBulkMessage + 1024;
  auto halt = [&] {
    if (run.failed()) return true;
    ServerProcess* p = srv.process_as<ServerProcess>();
    if (p != nullptr) {
      const size_t most = p->server().server().max_client_output_bytes();
      run.stats.max_output = std::max(run.stats.max_output, most);
      if (most > bound) {
        run.Fail(absl::StrCat("a connection holds ", most,
                              " bytes of pending output, over the bound ",
                              bound, " (pubsub hard limit ", kHardLimit,
                              " + one message)"));
      }
    }
    return run.failed();
  };

  // 1. Faults.
  world.RunUntil(halt, fault_end);

  // 2. Heal; every subscriber must receive a fresh message.
  if (!run.failed()) {
    EndFaults(world, /*servers=*/{});  // crashes are off: srv stays up
    const absl::Duration healed = world.now();
    auto all_live = [&] {
      for (Node* n : subs) {
        if (n->process_as<Subscriber>()->last_message() <= healed) {
          return false;
        }
      }
      return true;
    };
    world.RunUntil([&] { return halt() || all_live(); }, kLivenessLimit);
    if (!run.failed() && !all_live()) {
      std::vector<std::string> states;
      for (Node* n : subs) {
        states.push_back(n->process_as<Subscriber>()->DebugState());
      }
      run.Fail(absl::StrCat("liveness: not every subscriber got a message "
                            "within ",
                            absl::FormatDuration(kLivenessLimit),
                            " of healing (", absl::StrJoin(states, "; "),
                            ")"));
    }
  }

  // 3. The slow subscriber must have been cut off once more was delivered
  // to it than the network's buffers and the limit hold.
  const NetworkOptions& net = world_options.network;
  const uint64_t holdable =
      net.send_buffer + net.recv_buffer + kHardLimit + 4 * kBulkMessage +
      16 * 1024;  // the slow subscriber's one read
  Server& server = srv.process_as<ServerProcess>()->server().server();
  if (!run.failed() && run.stats.bulk_delivered > holdable &&
      server.output_limit_disconnections() == 0) {
    run.Fail(absl::StrCat(run.stats.bulk_delivered,
                          " bytes delivered to the slow subscriber, which "
                          "was never disconnected for its output limit"));
  }

  ScenarioResult result;
  result.failure = run.failure;
  FillWorldResult(world, faults, options, &result);
  const Stats& s = run.stats;
  result.stats = absl::StrCat(
      "publishers=", publishers, " subscribers=", subscribers,
      " published=", s.published, " messages=", s.messages,
      " pmessages=", s.pmessages, " unsubscribes=", s.unsubscribes,
      " reconnects=", s.reconnects, " bulk_delivered=", s.bulk_delivered,
      " limit_disconnects=", server.output_limit_disconnections(),
      " max_output=", s.max_output);
  return result;
}

}  // namespace twinkv::sim
