// One suite of Runtime behaviour, written once against the abstract
// interfaces and run in both worlds: the Asio/POSIX runtime and the
// simulator (with several seeds and network settings). Whatever the
// simulator gets wrong about the real world shows up here as a test that
// passes in one world and fails in the other.
//
// A Harness hides the only things that differ: how to run the loop until a
// condition holds, how to let in-flight activity settle, which host names
// reach the server, and where a scratch directory lives.
//
// The simulator's seeds are printed; TWINKV_SEED=<n> adds one more world
// with that seed.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/world.h"
#include "transport/asio_runtime.h"
#include "transport/runtime.h"

namespace twinkv {
namespace {

using ::testing::ElementsAre;

class Harness {
 public:
  virtual ~Harness() = default;
  virtual Runtime& server() = 0;
  virtual Runtime& client() = 0;
  // Where the server listens, and how the client reaches it.
  virtual std::string ListenHost() = 0;
  virtual std::string ServerHost() = 0;
  // Runs the loop until done() holds (checked between events) or a generous
  // limit passes. Returns done().
  virtual bool RunUntil(const std::function<bool()>& done) = 0;
  // Lets in-flight activity finish, so that "no callback ran" is meaningful.
  virtual void Settle() = 0;
  // An empty directory on server().files().
  virtual std::string Dir() = 0;
};

class AsioHarness final : public Harness {
 public:
  AsioHarness() : rt_(Options()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp ? tmp : "/tmp", "/conformance.XXXXXX");
    dir_ = mkdtemp(templ.data()) ? templ : "";
  }
  ~AsioHarness() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Runtime& server() override { return rt_; }
  Runtime& client() override { return rt_; }
  std::string ListenHost() override { return "127.0.0.1"; }
  std::string ServerHost() override { return "127.0.0.1"; }
  bool RunUntil(const std::function<bool()>& done) override {
    return rt_.RunUntil(done, absl::Seconds(10));
  }
  void Settle() override {
    bool fired = false;
    rt_.executor().Schedule(absl::Milliseconds(50), [&] { fired = true; });
    rt_.RunUntil([&] { return fired; }, absl::Seconds(10));
  }
  std::string Dir() override { return dir_; }

 private:
  static AsioRuntime::Options Options() {
    AsioRuntime::Options o;
    o.seed = 1;
    o.min_log_level = LogLevel::kWarning;
    return o;
  }
  AsioRuntime rt_;
  std::string dir_;
};

class SimHarness final : public Harness {
 public:
  SimHarness(uint64_t seed, sim::WorldOptions options, int64_t drift_ppm)
      : world_(seed, options),
        server_(world_.AddNode("server", "10.0.0.1")),
        client_(world_.AddNode("client", "10.0.0.2")) {
    (void)server_.files().CreateDir("/data");
    // Clocks that run off in opposite directions: timers still keep their
    // promises by each node's own clock.
    server_.sim_clock().SetDriftPpm(drift_ppm);
    client_.sim_clock().SetDriftPpm(-drift_ppm);
  }
  Runtime& server() override { return server_; }
  Runtime& client() override { return client_; }
  std::string ListenHost() override { return ""; }
  std::string ServerHost() override { return "10.0.0.1"; }
  bool RunUntil(const std::function<bool()>& done) override {
    return world_.RunUntil(done, absl::Hours(1));
  }
  void Settle() override { world_.RunUntilIdle(1000000); }
  std::string Dir() override { return "/data"; }

 private:
  sim::World world_;
  sim::Node& server_;
  sim::Node& client_;
};

struct WorldParam {
  std::string name;
  std::function<std::unique_ptr<Harness>()> make;
  std::string description;
};

// gtest prints parameters of failing tests; a name beats a byte dump.
void PrintTo(const WorldParam& p, std::ostream* os) { *os << p.description; }

std::vector<WorldParam> Worlds() {
  std::vector<WorldParam> worlds;
  worlds.push_back({"Asio", [] { return std::make_unique<AsioHarness>(); },
                    "asio on loopback"});
  auto sim = [&](std::string name, uint64_t seed, sim::WorldOptions o,
                 int64_t drift_ppm = 0) {
    const sim::NetworkOptions& n = o.network;
    worlds.push_back(
        {name, [=] { return std::make_unique<SimHarness>(seed, o, drift_ppm); },
         absl::StrCat("sim seed ", seed, " max_chunk ", n.max_chunk,
                      " buffers ", n.send_buffer, "/", n.recv_buffer,
                      " drift ", drift_ppm, "ppm")});
  };
  sim("Sim1", 1, sim::WorldOptions());
  sim("Sim2", 2, sim::WorldOptions());
  // Small chunks and widely spread latencies: more interleavings.
  sim::WorldOptions torn;
  torn.network.max_chunk = 100;
  torn.network.latency =
      sim::LatencyModel::Spread(absl::Nanoseconds(1), absl::Milliseconds(5));
  sim("SimSmallChunks", 3, torn);
  // Tiny socket buffers: every large write waits for the reader (window
  // and send-buffer backpressure on every path).
  sim::WorldOptions tiny;
  tiny.network.max_chunk = 700;
  tiny.network.send_buffer = 1000;
  tiny.network.recv_buffer = 1500;
  sim("SimTinyBuffers", 4, tiny);
  // Frequent latency spikes and drifting clocks.
  sim::WorldOptions spiky;
  spiky.network.latency.spike_probability = 0.05;
  sim("SimSpikesDrift", 5, spiky, 500);
  uint64_t env_seed;
  if (const char* s = std::getenv("TWINKV_SEED");
      s != nullptr && absl::SimpleAtoi(s, &env_seed)) {
    sim("SimEnvSeed", env_seed, sim::WorldOptions());
  }
  return worlds;
}

// Reads until the stream ends, keeping every byte and each read's size.
class Collector {
 public:
  explicit Collector(Stream& stream) : stream_(stream) {}
  void Start() {
    stream_.Read(absl::MakeSpan(buf_), [this](NetError e, size_t n) {
      if (e != NetError::kOk) {
        end_ = e;
        ended_ = true;
        return;
      }
      got_.append(buf_, n);
      sizes_.push_back(n);
      Start();
    });
  }
  const std::string& got() const { return got_; }
  const std::vector<size_t>& sizes() const { return sizes_; }
  bool ended() const { return ended_; }
  NetError end() const { return end_; }

 private:
  Stream& stream_;
  char buf_[4096];
  std::string got_;
  std::vector<size_t> sizes_;
  bool ended_ = false;
  NetError end_ = NetError::kOk;
};

// Writes each buffer after the previous one completed.
class Sequencer {
 public:
  Sequencer(Stream& stream, std::vector<std::string> chunks)
      : stream_(stream), chunks_(std::move(chunks)) {}
  void Start() {
    if (next_ == chunks_.size()) {
      done_ = true;
      return;
    }
    stream_.Write(chunks_[next_], [this](NetError e) {
      if (e != NetError::kOk) {
        error_ = e;
        done_ = true;
        return;
      }
      ++next_;
      Start();
    });
  }
  bool done() const { return done_; }
  NetError error() const { return error_; }

 private:
  Stream& stream_;
  std::vector<std::string> chunks_;
  size_t next_ = 0;
  bool done_ = false;
  NetError error_ = NetError::kOk;
};

class RuntimeConformance : public ::testing::TestWithParam<WorldParam> {
 protected:
  void SetUp() override {
    std::printf("world: %s\n", GetParam().description.c_str());
    h_ = GetParam().make();
  }

  // A connected pair: server_ is the accepted end, client_ the connected
  // one.
  void Connect() {
    auto listener = h_->server().network().Listen(
        {h_->ListenHost(), 0},
        [this](std::unique_ptr<Stream> s) { server_ = std::move(s); });
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = std::move(*listener);
    ASSERT_NE(listener_->port(), 0);
    bool connected = false;
    NetError error = NetError::kOther;
    h_->client().network().Connect(
        {h_->ServerHost(), listener_->port()}, absl::Seconds(5),
        [&](NetError e, std::unique_ptr<Stream> s) {
          error = e;
          client_ = std::move(s);
          connected = true;
        });
    ASSERT_TRUE(h_->RunUntil([&] { return connected && server_ != nullptr; }));
    ASSERT_EQ(error, NetError::kOk) << NetErrorName(error);
    ASSERT_NE(client_, nullptr);
  }

  void WriteAndWait(Stream& s, absl::string_view data) {
    bool done = false;
    NetError error = NetError::kOther;
    s.Write(data, [&](NetError e) {
      error = e;
      done = true;
    });
    ASSERT_TRUE(h_->RunUntil([&] { return done; }));
    ASSERT_EQ(error, NetError::kOk) << NetErrorName(error);
  }

  std::string Path(absl::string_view name) {
    return absl::StrCat(h_->Dir(), "/", name);
  }

  std::string ReadAll(File& f) {
    std::string out;
    char buf[1000];
    for (;;) {
      auto n = f.ReadAt(out.size(), absl::MakeSpan(buf));
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return out;
      out.append(buf, *n);
    }
  }

  std::unique_ptr<File> OpenOrDie(absl::string_view name, OpenMode mode) {
    auto f = h_->server().files().Open(Path(name), mode);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : nullptr;
  }

  void WriteFile(absl::string_view name, absl::string_view data) {
    auto f = OpenOrDie(name, OpenMode::kTruncate);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->Append(data).ok());
  }

  // Declared first: destroyed after the streams and files below.
  std::unique_ptr<Harness> h_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Stream> server_;
  std::unique_ptr<Stream> client_;
};

// ---------------------------------------------------------------------------
// Executor and clock

TEST_P(RuntimeConformance, PostRunsInFifoOrderAndNeverInline) {
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) {
    h_->server().executor().Post([&order, i] { order.push_back(i); });
  }
  EXPECT_TRUE(order.empty());
  ASSERT_TRUE(h_->RunUntil([&] { return order.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST_P(RuntimeConformance, TasksPostedByTasksRunAfterEarlierPosts) {
  std::vector<std::string> order;
  Executor& ex = h_->server().executor();
  ex.Post([&] {
    order.push_back("a");
    ex.Post([&] { order.push_back("c"); });
  });
  ex.Post([&] { order.push_back("b"); });
  ASSERT_TRUE(h_->RunUntil([&] { return order.size() == 3; }));
  EXPECT_THAT(order, ElementsAre("a", "b", "c"));
}

TEST_P(RuntimeConformance, TimersFireInDeadlineOrderTiesInScheduleOrder) {
  std::vector<std::string> order;
  Executor& ex = h_->server().executor();
  auto add = [&](int ms, std::string name) {
    TimerId id = ex.Schedule(absl::Milliseconds(ms),
                             [&order, name] { order.push_back(name); });
    EXPECT_NE(id, 0u);
  };
  add(30, "30");
  add(10, "10a");
  add(20, "20");
  add(10, "10b");
  add(0, "0");
  add(10, "10c");
  EXPECT_TRUE(order.empty());  // not even the zero delay runs inline
  ASSERT_TRUE(h_->RunUntil([&] { return order.size() == 6; }));
  EXPECT_THAT(order, ElementsAre("0", "10a", "10b", "10c", "20", "30"));
}

TEST_P(RuntimeConformance, TimerNeverFiresEarly) {
  Clock& clock = h_->server().clock();
  const absl::Duration start = clock.Monotonic();
  absl::Duration fired_at;
  bool fired = false;
  h_->server().executor().Schedule(absl::Milliseconds(20), [&] {
    fired_at = clock.Monotonic();
    fired = true;
  });
  ASSERT_TRUE(h_->RunUntil([&] { return fired; }));
  EXPECT_GE(fired_at - start, absl::Milliseconds(20));
}

TEST_P(RuntimeConformance, MonotonicNeverDecreases) {
  Clock& clock = h_->server().clock();
  absl::Duration last = clock.Monotonic();
  int ticks = 0;
  bool ok = true;
  std::function<void()> tick = [&] {
    absl::Duration now = clock.Monotonic();
    if (now < last) ok = false;
    last = now;
    if (++ticks < 20) h_->server().executor().Schedule(absl::Microseconds(100), tick);
  };
  h_->server().executor().Post(tick);
  ASSERT_TRUE(h_->RunUntil([&] { return ticks == 20; }));
  EXPECT_TRUE(ok);
  // Both worlds' wall clocks are in this decade.
  EXPECT_GT(clock.Now(), absl::FromUnixSeconds(1577836800));  // 2020
  EXPECT_LT(clock.Now(), absl::FromUnixSeconds(4102444800));  // 2100
}

TEST_P(RuntimeConformance, CancelledTimerNeverRuns) {
  Executor& ex = h_->server().executor();
  bool cancelled_ran = false, later_ran = false;
  TimerId x = ex.Schedule(absl::Milliseconds(5), [&] { cancelled_ran = true; });
  TimerId y = ex.Schedule(absl::Milliseconds(10), [&] { later_ran = true; });
  EXPECT_NE(x, y);
  EXPECT_TRUE(ex.Cancel(x));
  EXPECT_FALSE(ex.Cancel(x));  // already cancelled
  EXPECT_FALSE(ex.Cancel(0));  // never valid
  ASSERT_TRUE(h_->RunUntil([&] { return later_ran; }));
  EXPECT_FALSE(cancelled_ran);
  EXPECT_FALSE(ex.Cancel(y));  // already ran
}

TEST_P(RuntimeConformance, TaskCanCancelATimerDueAtTheSameInstant) {
  Executor& ex = h_->server().executor();
  bool b_ran = false, end = false;
  TimerId b = 0;
  bool cancel_result = false;
  ex.Schedule(absl::Milliseconds(5), [&] { cancel_result = ex.Cancel(b); });
  b = ex.Schedule(absl::Milliseconds(5), [&] { b_ran = true; });
  ex.Schedule(absl::Milliseconds(8), [&] { end = true; });
  ASSERT_TRUE(h_->RunUntil([&] { return end; }));
  // In Asio the two deadlines differ by the time between the calls; either
  // way b is due no earlier than a, so a runs first and cancels it.
  EXPECT_TRUE(cancel_result);
  EXPECT_FALSE(b_ran);
}

TEST_P(RuntimeConformance, CancelledTaskIsDestroyed) {
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> weak = token;
  TimerId id = h_->server().executor().Schedule(absl::Hours(1),
                                               [token = std::move(token)] {});
  EXPECT_FALSE(weak.expired());
  EXPECT_TRUE(h_->server().executor().Cancel(id));
  EXPECT_TRUE(weak.expired());
}

TEST_P(RuntimeConformance, RandomStaysInRange) {
  Random& r = h_->server().random();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(r.Uniform(7), 7u);
    EXPECT_EQ(r.Uniform(1), 0u);
    EXPECT_FALSE(r.Bernoulli(0.0));
    EXPECT_TRUE(r.Bernoulli(1.0));
  }
  // 64 draws all equal would mean a stuck generator.
  uint64_t first = r.Next64();
  bool varied = false;
  for (int i = 0; i < 64; ++i) varied |= r.Next64() != first;
  EXPECT_TRUE(varied);
}

// ---------------------------------------------------------------------------
// Network

TEST_P(RuntimeConformance, Echo) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // The server echoes what it reads.
  char buf[64];
  std::function<void()> echo = [&] {
    server_->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
      if (e != NetError::kOk) return;
      server_->Write(absl::string_view(buf, n), [&](NetError e) {
        if (e == NetError::kOk) echo();
      });
    });
  };
  echo();
  Collector c(*client_);
  c.Start();
  const std::string msg = "hello, twin world";
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*client_, msg));
  ASSERT_TRUE(h_->RunUntil([&] { return c.got().size() >= msg.size(); }));
  EXPECT_EQ(c.got(), msg);
}

TEST_P(RuntimeConformance, PeerNamesMatch) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  EXPECT_EQ(client_->LocalName(), server_->PeerName());
  EXPECT_EQ(client_->PeerName(), server_->LocalName());
  EXPECT_TRUE(absl::EndsWith(server_->LocalName(),
                             absl::StrCat(":", listener_->port())))
      << server_->LocalName();
}

TEST_P(RuntimeConformance, ManyWritesArriveIntactAndInOrder) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  std::vector<std::string> chunks;
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    // Sizes 1..~3000, contents that reveal any reordering.
    std::string chunk = absl::StrCat("<", i, ":");
    chunk.append((i * 37) % 3000, static_cast<char>('a' + i % 26));
    chunk += ">";
    expected += chunk;
    chunks.push_back(std::move(chunk));
  }
  Collector c(*server_);
  c.Start();
  Sequencer w(*client_, std::move(chunks));
  w.Start();
  ASSERT_TRUE(h_->RunUntil(
      [&] { return w.done() && c.got().size() >= expected.size(); }));
  EXPECT_EQ(w.error(), NetError::kOk);
  EXPECT_EQ(c.got().size(), expected.size());
  EXPECT_TRUE(c.got() == expected);  // not EXPECT_EQ: 450 kB of diff
}

TEST_P(RuntimeConformance, LargeWriteArrivesWhole) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  std::string big(4 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 >> 3);
  Collector c(*server_);
  c.Start();
  bool written = false;
  NetError error = NetError::kOther;
  client_->Write(big, [&](NetError e) {
    error = e;
    written = true;
  });
  ASSERT_TRUE(h_->RunUntil(
      [&] { return written && c.got().size() >= big.size(); }));
  EXPECT_EQ(error, NetError::kOk);
  EXPECT_TRUE(c.got() == big);
  for (size_t n : c.sizes()) EXPECT_GE(n, 1u);
}

TEST_P(RuntimeConformance, ReadReturnsWhateverIsAvailable) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*client_, "abcde"));
  // A 1 kB read must not wait for 1 kB: it completes with 1..5 bytes.
  char buf[1024];
  std::string got;
  bool done = false;
  std::function<void()> read = [&] {
    server_->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
      ASSERT_EQ(e, NetError::kOk);
      ASSERT_GE(n, 1u);
      ASSERT_LE(n, 5u - got.size());
      got.append(buf, n);
      if (got.size() == 5) {
        done = true;
      } else {
        read();
      }
    });
  };
  read();
  ASSERT_TRUE(h_->RunUntil([&] { return done; }));
  EXPECT_EQ(got, "abcde");
}

TEST_P(RuntimeConformance, OneByteBufferReadsOneByteAtATime) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*client_, "xyz"));
  char c;
  std::string got;
  std::function<void()> read = [&] {
    server_->Read(absl::MakeSpan(&c, 1), [&](NetError e, size_t n) {
      ASSERT_EQ(e, NetError::kOk);
      ASSERT_EQ(n, 1u);
      got += c;
      if (got.size() < 3) read();
    });
  };
  read();
  ASSERT_TRUE(h_->RunUntil([&] { return got.size() == 3; }));
  EXPECT_EQ(got, "xyz");
}

TEST_P(RuntimeConformance, ReadOfBufferedBytesIsNotInline) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*client_, "data"));
  h_->Settle();  // the bytes are now waiting at the server
  char buf[16];
  bool called = false;
  server_->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
    EXPECT_EQ(e, NetError::kOk);
    called = true;
  });
  EXPECT_FALSE(called);
  bool wrote = false;
  server_->Write("x", [&](NetError) { wrote = true; });
  EXPECT_FALSE(wrote);
  ASSERT_TRUE(h_->RunUntil([&] { return called && wrote; }));
}

TEST_P(RuntimeConformance, PeerCloseReadsClosedAfterTheData) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector c(*server_);
  c.Start();
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*client_, "last words"));
  client_->Close();
  client_->Close();  // idempotent
  ASSERT_TRUE(h_->RunUntil([&] { return c.ended(); }));
  EXPECT_EQ(c.got(), "last words");
  EXPECT_EQ(c.end(), NetError::kClosed) << NetErrorName(c.end());
}

TEST_P(RuntimeConformance, ClosedReadsKeepReportingClosed) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  client_.reset();  // the destructor closes too
  char buf[8];
  std::vector<NetError> results;
  std::function<void()> read = [&] {
    server_->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
      EXPECT_EQ(n, 0u);
      results.push_back(e);
      if (results.size() < 2) read();
    });
  };
  read();
  ASSERT_TRUE(h_->RunUntil([&] { return results.size() == 2; }));
  EXPECT_EQ(results[0], NetError::kClosed);
  EXPECT_EQ(results[1], NetError::kClosed);
}

TEST_P(RuntimeConformance, ClosingWithUnreadInputResetsThePeer) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*client_, "unread"));
  h_->Settle();  // the bytes wait, unread, at the server
  Collector c(*client_);
  c.Start();
  server_->Close();
  ASSERT_TRUE(h_->RunUntil([&] { return c.ended(); }));
  EXPECT_EQ(c.end(), NetError::kReset) << NetErrorName(c.end());
  // Writing into a reset connection fails.
  bool done = false;
  NetError error = NetError::kOk;
  client_->Write("more", [&](NetError e) {
    error = e;
    done = true;
  });
  ASSERT_TRUE(h_->RunUntil([&] { return done; }));
  EXPECT_EQ(error, NetError::kReset) << NetErrorName(error);
}

TEST_P(RuntimeConformance, ConnectToAClosedPortIsRefused) {
  auto listener = h_->server().network().Listen({h_->ListenHost(), 0},
                                                [](std::unique_ptr<Stream>) {});
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->port();
  (*listener)->Close();
  (*listener)->Close();  // idempotent
  bool done = false;
  NetError error = NetError::kOk;
  bool got_stream = true;
  h_->client().network().Connect({h_->ServerHost(), port}, absl::Seconds(5),
                                 [&](NetError e, std::unique_ptr<Stream> s) {
                                   error = e;
                                   got_stream = s != nullptr;
                                   done = true;
                                 });
  EXPECT_FALSE(done);
  ASSERT_TRUE(h_->RunUntil([&] { return done; }));
  EXPECT_EQ(error, NetError::kRefused) << NetErrorName(error);
  EXPECT_FALSE(got_stream);
}

TEST_P(RuntimeConformance, ListeningTwiceOnOnePortFails) {
  auto first = h_->server().network().Listen({h_->ListenHost(), 0},
                                             [](std::unique_ptr<Stream>) {});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = h_->server().network().Listen(
      {h_->ListenHost(), (*first)->port()}, [](std::unique_ptr<Stream>) {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << second.status();
}

TEST_P(RuntimeConformance, ListenerAcceptsManyConnections) {
  std::vector<std::unique_ptr<Stream>> accepted;
  auto listener = h_->server().network().Listen(
      {h_->ListenHost(), 0},
      [&](std::unique_ptr<Stream> s) { accepted.push_back(std::move(s)); });
  ASSERT_TRUE(listener.ok()) << listener.status();
  std::vector<std::unique_ptr<Stream>> clients;
  for (int i = 0; i < 10; ++i) {
    h_->client().network().Connect(
        {h_->ServerHost(), (*listener)->port()}, absl::Seconds(5),
        [&](NetError e, std::unique_ptr<Stream> s) {
          EXPECT_EQ(e, NetError::kOk);
          clients.push_back(std::move(s));
        });
  }
  ASSERT_TRUE(h_->RunUntil(
      [&] { return accepted.size() == 10 && clients.size() == 10; }));
}

TEST_P(RuntimeConformance, CloseMeansNoCallbacks) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  bool client_read = false, client_write = false;
  char buf[16];
  client_->Read(absl::MakeSpan(buf),
                [&](NetError, size_t) { client_read = true; });
  client_->Write("pending", [&](NetError) { client_write = true; });
  client_->Close();
  // Provoke everything that could complete the callbacks: data, then the
  // peer's close.
  server_->Write("hello", [](NetError) {});
  server_->Close();
  // Reads and writes issued after Close() never call back either.
  bool late = false;
  client_->Read(absl::MakeSpan(buf), [&](NetError, size_t) { late = true; });
  client_->Write("late", [&](NetError) { late = true; });
  h_->Settle();
  EXPECT_FALSE(client_read);
  EXPECT_FALSE(client_write);
  EXPECT_FALSE(late);
}

TEST_P(RuntimeConformance, DestroyingAStreamMeansNoCallbacks) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  bool called = false;
  char buf[16];
  client_->Read(absl::MakeSpan(buf), [&](NetError, size_t) { called = true; });
  ASSERT_NO_FATAL_FAILURE(WriteAndWait(*server_, "data"));  // completes it
  client_.reset();
  h_->Settle();
  EXPECT_FALSE(called);
}

TEST_P(RuntimeConformance, ClosedListenerAcceptsNoMore) {
  int accepted = 0;
  auto listener = h_->server().network().Listen(
      {h_->ListenHost(), 0}, [&](std::unique_ptr<Stream>) { ++accepted; });
  ASSERT_TRUE(listener.ok());
  const uint16_t port = (*listener)->port();
  listener->reset();  // destroying it stops accepting
  bool done = false;
  NetError error = NetError::kOk;
  h_->client().network().Connect({h_->ServerHost(), port}, absl::Seconds(5),
                                 [&](NetError e, std::unique_ptr<Stream>) {
                                   error = e;
                                   done = true;
                                 });
  ASSERT_TRUE(h_->RunUntil([&] { return done; }));
  h_->Settle();
  EXPECT_EQ(accepted, 0);
  EXPECT_EQ(error, NetError::kRefused) << NetErrorName(error);
}

// ---------------------------------------------------------------------------
// Files

TEST_P(RuntimeConformance, AppendReadAtAndSize) {
  auto f = OpenOrDie("f", OpenMode::kAppend);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->Size(), 0u);
  ASSERT_TRUE(f->Append("hello").ok());
  ASSERT_TRUE(f->Append(" world").ok());
  ASSERT_TRUE(f->Append("").ok());
  EXPECT_EQ(*f->Size(), 11u);
  EXPECT_TRUE(f->Sync().ok());
  char buf[100];
  auto n = f->ReadAt(0, absl::MakeSpan(buf, 5));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(absl::string_view(buf, *n), "hello");
  n = f->ReadAt(6, absl::MakeSpan(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(absl::string_view(buf, *n), "world");
  EXPECT_EQ(*f->ReadAt(11, absl::MakeSpan(buf)), 0u);
  EXPECT_EQ(*f->ReadAt(1000, absl::MakeSpan(buf)), 0u);
}

TEST_P(RuntimeConformance, LargeFileReadsBack) {
  auto f = OpenOrDie("big", OpenMode::kTruncate);
  ASSERT_NE(f, nullptr);
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    std::string piece = absl::StrCat(i, std::string(i % 700, 'z'), ";");
    ASSERT_TRUE(f->Append(piece).ok());
    expected += piece;
  }
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(*f->Size(), expected.size());
  EXPECT_TRUE(ReadAll(*f) == expected);
}

TEST_P(RuntimeConformance, OpenModes) {
  ASSERT_NO_FATAL_FAILURE(WriteFile("m", "abc"));
  {
    auto f = OpenOrDie("m", OpenMode::kAppend);  // keeps and appends
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->Append("def").ok());
    EXPECT_EQ(ReadAll(*f), "abcdef");
  }
  {
    auto f = OpenOrDie("m", OpenMode::kRead);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(ReadAll(*f), "abcdef");
    // A read-only file refuses changes.
    EXPECT_EQ(f->Append("x").code(), absl::StatusCode::kInternal);
    EXPECT_EQ(f->Truncate(0).code(), absl::StatusCode::kInternal);
    EXPECT_EQ(ReadAll(*f), "abcdef");
  }
  {
    auto f = OpenOrDie("m", OpenMode::kTruncate);  // empties
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(*f->Size(), 0u);
  }
}

TEST_P(RuntimeConformance, TruncateCutsAndExtendsWithZeros) {
  auto f = OpenOrDie("t", OpenMode::kTruncate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append("0123456789").ok());
  ASSERT_TRUE(f->Truncate(4).ok());
  EXPECT_EQ(*f->Size(), 4u);
  EXPECT_EQ(ReadAll(*f), "0123");
  ASSERT_TRUE(f->Append("x").ok());  // appends go to the new end
  EXPECT_EQ(ReadAll(*f), "0123x");
  ASSERT_TRUE(f->Truncate(8).ok());
  EXPECT_EQ(ReadAll(*f), std::string("0123x\0\0\0", 8));
}

TEST_P(RuntimeConformance, RenameReplacesTheTarget) {
  FileSystem& fs = h_->server().files();
  ASSERT_NO_FATAL_FAILURE(WriteFile("a", "A"));
  ASSERT_NO_FATAL_FAILURE(WriteFile("b", "B"));
  ASSERT_TRUE(fs.Rename(Path("a"), Path("b")).ok());
  EXPECT_FALSE(fs.Exists(Path("a")));
  EXPECT_TRUE(fs.Exists(Path("b")));
  auto f = OpenOrDie("b", OpenMode::kRead);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(ReadAll(*f), "A");
  EXPECT_TRUE(fs.SyncDir(h_->Dir()).ok());
  EXPECT_THAT(*fs.List(h_->Dir()), ElementsAre("b"));
}

TEST_P(RuntimeConformance, OpenFileOutlivesRenameAndRemove) {
  FileSystem& fs = h_->server().files();
  auto f = OpenOrDie("x", OpenMode::kTruncate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append("one").ok());
  ASSERT_TRUE(fs.Rename(Path("x"), Path("y")).ok());
  ASSERT_TRUE(f->Append("two").ok());
  auto g = OpenOrDie("y", OpenMode::kRead);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(ReadAll(*g), "onetwo");
  ASSERT_TRUE(fs.Remove(Path("y")).ok());
  EXPECT_FALSE(fs.Exists(Path("y")));
  ASSERT_TRUE(f->Append("three").ok());
  EXPECT_EQ(ReadAll(*f), "onetwothree");
}

TEST_P(RuntimeConformance, ListIsSortedNamesOnly) {
  FileSystem& fs = h_->server().files();
  for (const char* name : {"b", "a", "c.aof", "A"}) {
    ASSERT_NO_FATAL_FAILURE(WriteFile(name, name));
  }
  ASSERT_TRUE(fs.CreateDir(Path("d")).ok());
  ASSERT_NO_FATAL_FAILURE(WriteFile("d/inner", "i"));
  auto names = fs.List(h_->Dir());
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("A", "a", "b", "c.aof", "d"));
  EXPECT_THAT(*fs.List(Path("d")), ElementsAre("inner"));
  ASSERT_TRUE(fs.CreateDir(Path("empty")).ok());
  EXPECT_TRUE(fs.List(Path("empty"))->empty());
}

TEST_P(RuntimeConformance, RemoveFilesAndEmptyDirectories) {
  FileSystem& fs = h_->server().files();
  ASSERT_NO_FATAL_FAILURE(WriteFile("f", "x"));
  ASSERT_TRUE(fs.CreateDir(Path("d")).ok());
  ASSERT_NO_FATAL_FAILURE(WriteFile("d/g", "y"));
  EXPECT_EQ(fs.Remove(Path("d")).code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(fs.Exists(Path("d/g")));
  ASSERT_TRUE(fs.Remove(Path("d/g")).ok());
  ASSERT_TRUE(fs.Remove(Path("d")).ok());
  ASSERT_TRUE(fs.Remove(Path("f")).ok());
  EXPECT_FALSE(fs.Exists(Path("d")));
  EXPECT_FALSE(fs.Exists(Path("f")));
  EXPECT_TRUE(fs.List(h_->Dir())->empty());
}

TEST_P(RuntimeConformance, CreateDir) {
  FileSystem& fs = h_->server().files();
  ASSERT_TRUE(fs.CreateDir(Path("d")).ok());
  EXPECT_TRUE(fs.Exists(Path("d")));
  EXPECT_TRUE(fs.CreateDir(Path("d")).ok());  // already there: fine
  EXPECT_TRUE(fs.CreateDir(Path("d/e")).ok());
  EXPECT_TRUE(fs.SyncDir(Path("d")).ok());
  ASSERT_NO_FATAL_FAILURE(WriteFile("file", "x"));
  EXPECT_EQ(fs.CreateDir(Path("file")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(fs.CreateDir(Path("no/such")).code(), absl::StatusCode::kNotFound);
}

TEST_P(RuntimeConformance, DirectoriesAreNotFiles) {
  FileSystem& fs = h_->server().files();
  ASSERT_TRUE(fs.CreateDir(Path("d")).ok());
  for (OpenMode mode :
       {OpenMode::kRead, OpenMode::kAppend, OpenMode::kTruncate}) {
    EXPECT_EQ(fs.Open(Path("d"), mode).status().code(),
              absl::StatusCode::kInternal);
  }
  ASSERT_NO_FATAL_FAILURE(WriteFile("f", "x"));
  EXPECT_EQ(fs.List(Path("f")).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(fs.Open(Path("f/g"), OpenMode::kAppend).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(fs.Rename(Path("f"), Path("d")).code(),
            absl::StatusCode::kInternal);
}

TEST_P(RuntimeConformance, MissingThingsAreNotFoundAndNamed) {
  FileSystem& fs = h_->server().files();
  const std::string missing = Path("missing");
  auto expect_not_found = [&](const absl::Status& s, const std::string& path) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
  };
  expect_not_found(fs.Open(missing, OpenMode::kRead).status(), missing);
  expect_not_found(fs.Open(missing + "/f", OpenMode::kAppend).status(),
                   missing + "/f");
  expect_not_found(fs.Rename(missing, Path("other")), missing);
  expect_not_found(fs.Remove(missing), missing);
  expect_not_found(fs.List(missing).status(), missing);
  expect_not_found(fs.SyncDir(missing), missing);
  EXPECT_FALSE(fs.Exists(missing));
  EXPECT_FALSE(fs.Exists(Path("missing/deeper")));
  // A failed kRead open creates nothing.
  EXPECT_TRUE(fs.List(h_->Dir())->empty());
}

TEST_P(RuntimeConformance, SyncAsyncCompletesLaterInCallOrder) {
  auto a = OpenOrDie("a", OpenMode::kTruncate);
  auto b = OpenOrDie("b", OpenMode::kTruncate);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<int> order;
  std::vector<absl::Status> results;
  for (int i = 0; i < 20; ++i) {
    File& f = i % 3 == 0 ? *b : *a;
    ASSERT_TRUE(f.Append(absl::StrCat(i, ";")).ok());
    f.SyncAsync([&order, &results, i](absl::Status s) {
      order.push_back(i);
      results.push_back(std::move(s));
    });
  }
  EXPECT_TRUE(order.empty());  // never inline
  ASSERT_TRUE(h_->RunUntil([&] { return order.size() == 20; }));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(order[i], i);
    EXPECT_TRUE(results[i].ok()) << results[i];
  }
  // What was synced reads back.
  EXPECT_EQ(ReadAll(*b), "0;3;6;9;12;15;18;");
}

TEST_P(RuntimeConformance, SyncAsyncCallsBackAfterTheFileIsGone) {
  bool called = false;
  absl::Status status = absl::UnknownError("not called");
  {
    auto f = OpenOrDie("gone", OpenMode::kTruncate);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->Append("bytes").ok());
    f->SyncAsync([&](absl::Status s) {
      called = true;
      status = std::move(s);
    });
  }
  EXPECT_FALSE(called);
  ASSERT_TRUE(h_->RunUntil([&] { return called; }));
  EXPECT_TRUE(status.ok()) << status;
  auto g = OpenOrDie("gone", OpenMode::kRead);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(ReadAll(*g), "bytes");
}

TEST_P(RuntimeConformance, SyncAsyncCallbackMayStartAnother) {
  auto f = OpenOrDie("chain", OpenMode::kTruncate);
  ASSERT_NE(f, nullptr);
  int done = 0;
  std::function<void(absl::Status)> next = [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    if (++done < 5) {
      ASSERT_TRUE(f->Append("x").ok());
      f->SyncAsync(next);
      EXPECT_LT(done, 5);
    }
  };
  f->SyncAsync(next);
  ASSERT_TRUE(h_->RunUntil([&] { return done == 5; }));
  EXPECT_EQ(*f->Size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Worlds, RuntimeConformance,
                         ::testing::ValuesIn(Worlds()),
                         [](const ::testing::TestParamInfo<WorldParam>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace twinkv
