#include "test/sim/kv_scenario.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sim/buggify.h"

namespace twinkv::sim::testing {

class KvServer::Conn {
 public:
  Conn(KvServer& server, std::unique_ptr<Stream> stream)
      : server_(server), stream_(std::move(stream)) {}
  ~Conn() {
    if (timer_ != 0) server_.node_.executor().Cancel(timer_);
  }

  void Start() { Read(); }
  bool dead() const { return dead_; }

 private:
  void Read() {
    stream_->Read(absl::MakeSpan(buf_), [this](NetError e, size_t n) {
      if (e != NetError::kOk) return Die();
      in_.append(buf_, n);
      size_t pos;
      while ((pos = in_.find('\n')) != std::string::npos) {
        out_ += server_.Execute(absl::string_view(in_).substr(0, pos));
        in_.erase(0, pos + 1);
      }
      Flush();
      Read();
    });
  }

  void Flush() {
    if (writing_ || out_.empty() || dead_) return;
    if (server_.node_.Buggify("kv.slow_reply")) {
      // A legal but rare path: the reply goes out a little later.
      writing_ = true;
      timer_ = server_.node_.executor().Schedule(absl::Milliseconds(3), [this] {
        timer_ = 0;
        writing_ = false;
        Flush();
      });
      return;
    }
    writing_ = true;
    sending_ = std::move(out_);
    out_.clear();
    stream_->Write(sending_, [this](NetError e) {
      writing_ = false;
      if (e != NetError::kOk) return Die();
      Flush();
    });
  }

  void Die() {
    dead_ = true;
    server_.Sweep();
  }

  KvServer& server_;
  std::unique_ptr<Stream> stream_;
  char buf_[4096];
  std::string in_, out_, sending_;
  bool writing_ = false;
  bool dead_ = false;
  TimerId timer_ = 0;
};

KvServer::KvServer(Node& node) : node_(node) {
  FileSystem& fs = node.files();
  (void)fs.CreateDir("/data");
  (void)fs.SyncDir("/");
  // Replay the log: whole "k v" lines only; a torn tail is ignored.
  if (auto f = fs.Open("/data/log", OpenMode::kRead); f.ok()) {
    std::string all;
    char buf[4096];
    for (;;) {
      auto n = (*f)->ReadAt(all.size(), absl::MakeSpan(buf));
      if (!n.ok() || *n == 0) break;
      all.append(buf, *n);
    }
    for (absl::string_view line : absl::StrSplit(all, '\n')) {
      std::vector<absl::string_view> kv = absl::StrSplit(line, ' ');
      if (kv.size() == 2 && !kv[0].empty()) data_[kv[0]] = std::string(kv[1]);
    }
  }
  if (auto f = fs.Open("/data/log", OpenMode::kAppend); f.ok()) {
    log_ = std::move(*f);
    (void)fs.SyncDir("/data");
  }
  auto l = node.network().Listen(
      {"", kKvPort},
      [this](std::unique_ptr<Stream> s) { OnAccept(std::move(s)); });
  if (l.ok()) listener_ = std::move(*l);
}

KvServer::~KvServer() = default;

void KvServer::OnAccept(std::unique_ptr<Stream> stream) {
  conns_.push_back(std::make_unique<Conn>(*this, std::move(stream)));
  conns_.back()->Start();
}

void KvServer::Sweep() {
  // Never destroy a connection from inside its own callback.
  if (sweep_posted_) return;
  sweep_posted_ = true;
  node_.executor().Post([this] {
    sweep_posted_ = false;
    std::erase_if(conns_, [](const auto& c) { return c->dead(); });
  });
}

std::string KvServer::Execute(absl::string_view line) {
  ++requests_;
  std::vector<absl::string_view> args = absl::StrSplit(line, ' ');
  if (args.size() == 3 && args[0] == "SET") {
    if (log_ != nullptr) {
      (void)log_->Append(absl::StrCat(args[1], " ", args[2], "\n"));
      if (node_.Buggify("kv.fsync_each_write")) (void)log_->Sync();
    }
    data_[args[1]] = std::string(args[2]);
    return "OK\n";
  }
  if (args.size() == 2 && args[0] == "GET") {
    auto it = data_.find(args[1]);
    return it == data_.end() ? "NIL\n" : absl::StrCat(it->second, "\n");
  }
  return "ERR\n";
}

// ---------------------------------------------------------------------------

KvClient::KvClient(Node& node, std::string server, absl::Duration think_max)
    : node_(node), server_(std::move(server)), think_max_(think_max) {
  Connect();
}

KvClient::~KvClient() {
  if (timer_ != 0) node_.executor().Cancel(timer_);
}

void KvClient::Arm(absl::Duration d, void (KvClient::*what)()) {
  if (timer_ != 0) node_.executor().Cancel(timer_);
  timer_ = node_.executor().Schedule(d, [this, what] {
    timer_ = 0;
    (this->*what)();
  });
}

void KvClient::Connect() {
  const uint64_t gen = ++generation_;
  node_.network().Connect(
      {server_, kKvPort}, absl::Milliseconds(500),
      [this, gen](NetError e, std::unique_ptr<Stream> s) {
        if (gen != generation_) return;
        if (e != NetError::kOk) return Fail();
        stream_ = std::move(s);
        SendNext();
      });
}

void KvClient::Fail() {
  ++errors_;
  ++generation_;
  stream_.reset();
  Arm(absl::Milliseconds(50), &KvClient::Connect);
}

void KvClient::SendNext() {
  Random& r = node_.random();
  const uint64_t key = r.Uniform(100);
  request_ = r.Uniform(2) == 0
                 ? absl::StrCat("SET k", key, " v", r.Uniform(1000), "\n")
                 : absl::StrCat("GET k", key, "\n");
  reply_.clear();
  const uint64_t gen = generation_;
  // A request that takes too long means a broken path: start over.
  Arm(absl::Seconds(2), &KvClient::Fail);
  stream_->Write(request_, [this, gen](NetError e) {
    if (gen != generation_) return;
    if (e != NetError::kOk) return Fail();
  });
  ReadReply();
}

void KvClient::ReadReply() {
  const uint64_t gen = generation_;
  stream_->Read(absl::MakeSpan(buf_), [this, gen](NetError e, size_t n) {
    if (gen != generation_) return;
    if (e != NetError::kOk) return Fail();
    reply_.append(buf_, n);
    if (reply_.find('\n') == std::string::npos) return ReadReply();
    ++ok_;
    Arm(UniformDuration(node_.random(), absl::ZeroDuration(), think_max_),
        &KvClient::SendNext);
  });
}

// ---------------------------------------------------------------------------

ScenarioResult RunKvScenario(uint64_t seed, const ScenarioOptions& options) {
  World world(seed, options.world);
  Node& server = world.AddNode("server", "10.0.0.1");
  server.SetBoot([](Node& n) { return std::make_unique<KvServer>(n); });
  std::vector<Node*> clients;
  for (int i = 0; i < options.clients; ++i) {
    Node& c = world.AddNode(absl::StrCat("c", i), absl::StrCat("10.0.1.", i));
    const absl::Duration think = options.think_max;
    c.SetBoot([think](Node& n) {
      return std::make_unique<KvClient>(n, "server", think);
    });
    clients.push_back(&c);
  }
  if (options.event_log) world.EnableEventLog();
  server.Boot();
  for (Node* c : clients) c->Boot();
  if (options.replay) {
    world.ReplayFaults(options.faults.value_or(FaultConfig()), *options.replay);
  } else if (options.faults) {
    world.StartFaults(*options.faults);
  }
  world.RunFor(options.duration);

  ScenarioResult result;
  for (Node* c : clients) {
    if (KvClient* k = c->process_as<KvClient>()) {
      result.ok += k->ok();
      result.errors += k->errors();
    }
  }
  result.hash = world.trace_hash();
  result.events = world.events_run();
  result.server_boots = server.boots();
  result.record = world.fault_record();
  result.log = world.event_log();
  result.buggify_report = world.buggify().ReportText();
  return result;
}

}  // namespace twinkv::sim::testing
