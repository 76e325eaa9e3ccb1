// The simulated network's fault model (sim/network.h): latency model,
// backpressure, resets at a byte offset, refused and lost SYNs, partitions
// (symmetric and one-way) with TCP's timeouts, clogging, black holes,
// dropped connections, and what process crashes do to connections.

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "sim/network.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

// Reads until the stream ends.
class Collector {
 public:
  explicit Collector(Stream& s) : s_(s) {}
  void Start() {
    s_.Read(absl::MakeSpan(buf_), [this](NetError e, size_t n) {
      if (e != NetError::kOk) {
        end_ = e;
        ended_ = true;
        return;
      }
      got_.append(buf_, n);
      Start();
    });
  }
  std::string got_;
  NetError end_ = NetError::kOk;
  bool ended_ = false;

 private:
  Stream& s_;
  char buf_[1 << 14];
};

// Writes `data` in one Write and remembers the outcome. Keeps the bytes
// alive until the callback, as the Stream contract requires.
struct Writer {
  bool done = false;
  NetError error = NetError::kOther;
  std::string data;
  void Write(Stream& s, std::string bytes) {
    data = std::move(bytes);
    s.Write(data, [this](NetError e) {
      done = true;
      error = e;
    });
  }
};

class NetFaults : public ::testing::Test {
 protected:
  void Make(WorldOptions o = WorldOptions(), uint64_t seed = 1) {
    world_ = std::make_unique<World>(seed, o);
    a_ = &world_->AddNode("a", "10.0.0.1");
    b_ = &world_->AddNode("b", "10.0.0.2");
  }
  // a connects to b:6379.
  void Connect() {
    client_.reset();
    server_.reset();
    auto l = b_->network().Listen({"", 6379}, [this](std::unique_ptr<Stream> s) {
      server_ = std::move(s);
    });
    ASSERT_TRUE(l.ok());
    listener_ = std::move(*l);
    NetError error = NetError::kOther;
    a_->network().Connect({"b", 6379}, absl::Seconds(5),
                          [&](NetError e, std::unique_ptr<Stream> s) {
                            error = e;
                            client_ = std::move(s);
                          });
    ASSERT_TRUE(world_->RunUntil([&] { return client_ && server_; },
                                 absl::Seconds(10)));
    ASSERT_EQ(error, NetError::kOk);
  }
  // Connect attempt from a; returns its outcome and when it came.
  NetError TryConnect(absl::Duration timeout, absl::Duration* took = nullptr) {
    bool done = false;
    NetError error = NetError::kOk;
    const absl::Duration start = world_->now();
    absl::Duration end;
    a_->network().Connect({"b", 6379}, timeout,
                          [&](NetError e, std::unique_ptr<Stream> s) {
                            done = true;
                            error = e;
                            end = world_->now();
                            if (s) extra_.push_back(std::move(s));
                          });
    EXPECT_TRUE(world_->RunUntil([&] { return done; }, absl::Minutes(10)));
    if (took) *took = end - start;
    return error;
  }

  Fabric& fabric() { return world_->fabric(); }

  std::unique_ptr<World> world_;
  Node* a_ = nullptr;
  Node* b_ = nullptr;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Stream> server_;
  std::unique_ptr<Stream> client_;
  std::vector<std::unique_ptr<Stream>> extra_;
};

// --- Latency ---------------------------------------------------------------

TEST(LatencyTest, ModelHasBaseTailAndSpikes) {
  WorldOptions o;
  o.network.latency.base = absl::Microseconds(100);
  o.network.latency.tail_mean = absl::Microseconds(50);
  o.network.latency.tail_max = absl::Milliseconds(1);
  o.network.latency.spike_probability = 0.01;
  o.network.latency.spike_min = absl::Milliseconds(10);
  o.network.latency.spike_max = absl::Milliseconds(20);
  World world(7, o);
  world.AddNode("a", "10.0.0.1");
  world.AddNode("b", "10.0.0.2");
  const int kN = 100000;
  int spikes = 0;
  double tail_sum = 0;
  int tails = 0;
  for (int i = 0; i < kN; ++i) {
    absl::Duration d = world.fabric().Latency(0, 1);
    ASSERT_GE(d, absl::Microseconds(100));
    if (d >= absl::Milliseconds(10)) {
      ++spikes;
      ASSERT_LE(d, absl::Microseconds(100) + absl::Milliseconds(21));
    } else {
      ASSERT_LE(d, absl::Microseconds(1100));
      tail_sum += absl::ToDoubleMicroseconds(d - absl::Microseconds(100));
      ++tails;
    }
  }
  EXPECT_NEAR(spikes, kN / 100, kN / 1000);  // ~1%
  EXPECT_NEAR(tail_sum / tails, 50, 3);      // exponential mean
}

TEST_F(NetFaults, PerLinkLatencyOverridesTheDefault) {
  WorldOptions o;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(1));
  Make(o);
  fabric().SetLinkLatency(*a_, *b_, LatencyModel::Fixed(absl::Milliseconds(30)));
  absl::Duration took;
  // SYN a->b takes 30 ms, the answer b->a 1 ms.
  EXPECT_EQ(TryConnect(absl::Seconds(1), &took), NetError::kRefused);
  EXPECT_EQ(took, absl::Milliseconds(31));
}

// --- Backpressure ----------------------------------------------------------

TEST_F(NetFaults, AReaderThatStopsReadingStallsTheWriter) {
  WorldOptions o;
  o.network.send_buffer = 64 * 1024;
  o.network.recv_buffer = 32 * 1024;
  Make(o);
  ASSERT_NO_FATAL_FAILURE(Connect());
  const std::string big(1 << 20, 'x');
  Writer w;
  w.Write(*client_, big);
  const uint64_t events_before = world_->events_run();
  world_->RunFor(absl::Seconds(10));
  // Nobody reads: the window and the send buffer fill, the write hangs,
  // and the world goes quiet (no busy polling while stalled).
  EXPECT_FALSE(w.done);
  EXPECT_LT(world_->events_run() - events_before, 100u);
  std::vector<ConnectionInfo> conns = fabric().Connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].client_to_server, 32u * 1024);  // exactly one window
  // Reading drains it all, and the write completes.
  Collector c(*server_);
  c.Start();
  const uint64_t events_reading = world_->events_run();
  ASSERT_TRUE(world_->RunUntil([&] { return w.done && c.got_.size() == big.size(); },
                               absl::Seconds(60)));
  std::printf("events: %llu stalled, %llu to drain 1 MiB\n",
              static_cast<unsigned long long>(events_reading - events_before),
              static_cast<unsigned long long>(world_->events_run() - events_reading));
  EXPECT_EQ(w.error, NetError::kOk);
  EXPECT_TRUE(c.got_ == big);
}

TEST_F(NetFaults, WriteCompletesOnceTheBytesFitTheSendBuffer) {
  WorldOptions o;
  o.network.send_buffer = 10000;
  o.network.recv_buffer = 10000;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(5));
  Make(o);
  ASSERT_NO_FATAL_FAILURE(Connect());
  Writer small, large;
  small.Write(*client_, std::string(8000, 's'));
  world_->RunUntil([&] { return small.done; }, absl::Seconds(1));
  // Accepted at once: no round trip needed.
  EXPECT_TRUE(small.done);
  const absl::Duration t0 = world_->now();
  large.Write(*client_, std::string(30000, 'l'));
  // Needs acknowledgements (and a reader) before all of it fits.
  Collector c(*server_);
  c.Start();
  ASSERT_TRUE(world_->RunUntil([&] { return large.done; }, absl::Seconds(10)));
  EXPECT_GE(world_->now() - t0, absl::Milliseconds(10));
}

// --- Resets ----------------------------------------------------------------

TEST_F(NetFaults, ResetCutsTheStreamAtTheChosenByte) {
  WorldOptions o;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(10));
  o.network.max_chunk = 1000;
  Make(o);
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector server_reads(*server_), client_reads(*client_);
  server_reads.Start();
  client_reads.Start();
  Writer w;
  std::string data;
  for (int i = 0; i < 10000; ++i) data += static_cast<char>('a' + i % 26);
  w.Write(*client_, data);
  world_->RunFor(absl::Milliseconds(1));  // all on the wire, none arrived
  ASSERT_EQ(fabric().Connections().size(), 1u);
  const uint64_t id = fabric().Connections()[0].id;
  ASSERT_TRUE(fabric().ResetConnectionById(id, /*side=*/0, /*cut=*/4321));
  world_->RunUntilIdle();
  // The owner knows at once; the peer after the bytes before the cut.
  EXPECT_EQ(client_reads.end_, NetError::kReset);
  EXPECT_EQ(server_reads.end_, NetError::kReset);
  EXPECT_EQ(server_reads.got_, data.substr(0, 4321));
  // The stream stays broken both ways.
  Writer after;
  after.Write(*client_, "more");
  world_->RunUntilIdle();
  EXPECT_EQ(after.error, NetError::kReset);
}

RC_GTEST_PROP(NetFaultsProp, ResetDeliversExactlyAPrefix,
              (uint64_t seed, uint64_t pick)) {
  World world(seed);
  Node& a = world.AddNode("a", "10.0.0.1");
  Node& b = world.AddNode("b", "10.0.0.2");
  std::unique_ptr<Stream> server, client;
  auto l = b.network().Listen({"", 1}, [&](std::unique_ptr<Stream> s) { server = std::move(s); });
  a.network().Connect({"b", 1}, absl::Seconds(5),
                      [&](NetError, std::unique_ptr<Stream> s) { client = std::move(s); });
  world.RunUntil([&] { return client && server; }, absl::Seconds(10));
  RC_ASSERT(client && server);
  Collector got(*server);
  got.Start();
  std::string data(*rc::gen::inRange<size_t>(1, 300000), 'z');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 251);
  client->Write(data, [](NetError) {});
  world.RunFor(absl::Microseconds(*rc::gen::inRange(0, 2000)));
  const bool reset = world.fabric().ResetConnection(pick);
  RC_ASSERT(reset);
  world.RunUntilIdle();
  RC_ASSERT(got.ended_);
  // Whatever arrived is a prefix of what was sent, and the end is a reset
  // (or, if the cut fell after the last byte, still a reset after it all).
  RC_ASSERT(got.got_.size() <= data.size());
  RC_ASSERT(data.compare(0, got.got_.size(), got.got_) == 0);
  RC_ASSERT(got.end_ == NetError::kReset);
}

// --- SYNs ------------------------------------------------------------------

TEST_F(NetFaults, RefusedConnectsThenAccepted) {
  Make();
  auto l = b_->network().Listen({"", 6379}, [this](std::unique_ptr<Stream> s) {
    extra_.push_back(std::move(s));
  });
  ASSERT_TRUE(l.ok());
  fabric().RefuseConnects(*b_, 2);
  EXPECT_EQ(TryConnect(absl::Seconds(1)), NetError::kRefused);
  EXPECT_EQ(TryConnect(absl::Seconds(1)), NetError::kRefused);
  EXPECT_EQ(TryConnect(absl::Seconds(1)), NetError::kOk);
}

TEST_F(NetFaults, LostSynsAreRetriedLikeTcpOrTimeOut) {
  WorldOptions o;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(1));
  Make(o);
  auto l = b_->network().Listen({"", 6379}, [this](std::unique_ptr<Stream> s) {
    extra_.push_back(std::move(s));
  });
  ASSERT_TRUE(l.ok());
  // Two SYNs lost: retries after 1 s and 3 s; the third gets through.
  fabric().DropSyns(*b_, 2);
  absl::Duration took;
  EXPECT_EQ(TryConnect(absl::Seconds(10), &took), NetError::kOk);
  EXPECT_EQ(took, absl::Seconds(3) + absl::Milliseconds(2));
  // A timeout shorter than the retry: the connect gives up.
  fabric().DropSyns(*b_, 1);
  EXPECT_EQ(TryConnect(absl::Milliseconds(500), &took), NetError::kTimedOut);
  EXPECT_EQ(took, absl::Milliseconds(500));
}

// --- Partitions ------------------------------------------------------------

WorldOptions TcpOptions() {
  WorldOptions o;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(1));
  o.network.retransmit_timeout = absl::Seconds(20);
  o.network.keepalive_timeout = absl::Seconds(60);
  return o;
}

TEST_F(NetFaults, PartitionHeldTrafficIsDeliveredInOrderAfterHeal) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector c(*server_);
  c.Start();
  fabric().Partition(*a_, *b_);
  const absl::Duration stalled = world_->now();
  Writer w1, w2;
  w1.Write(*client_, "first,");
  world_->RunFor(absl::Seconds(2));
  w2.Write(*client_, "second");
  world_->RunFor(absl::Seconds(3));
  EXPECT_TRUE(w1.done && w2.done);  // into the send buffer
  EXPECT_EQ(c.got_, "");             // nothing crossed
  fabric().Heal(*a_, *b_);
  ASSERT_TRUE(world_->RunUntil([&] { return !c.got_.empty(); }, absl::Seconds(30)));
  // Delivered by a retransmission, not at the heal: retries go out 0.2,
  // 0.6, 1.4, 3.0, 6.2 s after the stall began; the heal came at 5 s.
  EXPECT_EQ(world_->now() - stalled, absl::Milliseconds(6201));
  world_->RunFor(absl::Seconds(30));
  EXPECT_EQ(c.got_, "first,second");
  EXPECT_FALSE(c.ended_);
}

TEST_F(NetFaults, PartitionedWriterTimesOutIdlePeerByKeepalive) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_client(*client_), at_server(*server_);
  at_client.Start();
  at_server.Start();
  const absl::Duration start = world_->now();
  fabric().Partition(*a_, *b_);
  Writer w;
  w.Write(*client_, "lost in the partition");
  absl::Duration client_failed, server_failed;
  ASSERT_TRUE(world_->RunUntil([&] { return at_client.ended_; }, absl::Minutes(5)));
  client_failed = world_->now() - start;
  ASSERT_TRUE(world_->RunUntil([&] { return at_server.ended_; }, absl::Minutes(5)));
  server_failed = world_->now() - start;
  // The writer: unacknowledged data for retransmit_timeout.
  EXPECT_EQ(at_client.end_, NetError::kTimedOut);
  EXPECT_EQ(client_failed, absl::Seconds(20));
  // The idle end: only keepalive tells it.
  EXPECT_EQ(at_server.end_, NetError::kTimedOut);
  EXPECT_EQ(server_failed, absl::Seconds(60));
  EXPECT_EQ(at_server.got_, "");
}

TEST_F(NetFaults, WithoutKeepaliveAnIdleEndWaitsForever) {
  WorldOptions o = TcpOptions();
  o.network.keepalive_timeout = absl::InfiniteDuration();
  Make(o);
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_server(*server_);
  at_server.Start();
  fabric().Partition(*a_, *b_);
  world_->RunFor(absl::Hours(2));
  EXPECT_FALSE(at_server.ended_);
}

TEST_F(NetFaults, OneWayPartitionLetsTheOtherDirectionDeliverButNotAck) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_client(*client_), at_server(*server_);
  at_client.Start();
  at_server.Start();
  // a -> b is cut: a's data and a's acknowledgements stay at a.
  fabric().Partition(*a_, *b_, /*one_way=*/true);
  EXPECT_TRUE(fabric().IsCut(*a_, *b_));
  EXPECT_FALSE(fabric().IsCut(*b_, *a_));
  Writer from_a, from_b;
  from_a.Write(*client_, "from a");
  from_b.Write(*server_, "from b");
  world_->RunFor(absl::Seconds(1));
  EXPECT_EQ(at_client.got_, "from b");  // b -> a works
  EXPECT_EQ(at_server.got_, "");        // a -> b does not
  // Both writers wait for acks that cannot come: both time out.
  world_->RunFor(absl::Seconds(25));
  EXPECT_EQ(at_client.end_, NetError::kTimedOut);
  EXPECT_EQ(at_server.end_, NetError::kTimedOut);
}

TEST_F(NetFaults, ConnectAcrossAPartition) {
  Make(TcpOptions());
  auto l = b_->network().Listen({"", 6379}, [this](std::unique_ptr<Stream> s) {
    extra_.push_back(std::move(s));
  });
  ASSERT_TRUE(l.ok());
  fabric().Partition(*a_, *b_);
  EXPECT_EQ(TryConnect(absl::Seconds(2)), NetError::kTimedOut);
  // Healed while the SYN is being retried: the next retry (3 s) connects.
  bool done = false;
  NetError error = NetError::kOther;
  absl::Duration start = world_->now(), took;
  a_->network().Connect({"b", 6379}, absl::Seconds(10),
                        [&](NetError e, std::unique_ptr<Stream> s) {
                          done = true;
                          error = e;
                          took = world_->now() - start;
                          if (s) extra_.push_back(std::move(s));
                        });
  world_->RunFor(absl::Milliseconds(1500));
  fabric().Heal(*a_, *b_);
  ASSERT_TRUE(world_->RunUntil([&] { return done; }, absl::Seconds(20)));
  EXPECT_EQ(error, NetError::kOk);
  EXPECT_EQ(took, absl::Seconds(3) + absl::Milliseconds(2));
}

TEST_F(NetFaults, IsolateCutsANodeOffFromAll) {
  Make(TcpOptions());
  Node& c = world_->AddNode("c", "10.0.0.3");
  fabric().Isolate(*b_);
  EXPECT_TRUE(fabric().IsCut(*a_, *b_) && fabric().IsCut(*b_, c));
  EXPECT_FALSE(fabric().IsCut(*a_, c));
  fabric().Rejoin(*b_);
  EXPECT_FALSE(fabric().IsCut(*a_, *b_) || fabric().IsCut(*b_, c));
}

// --- Clogging and black holes ---------------------------------------------

TEST_F(NetFaults, ClogHoldsTrafficThenReleasesItInOrder) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector c(*server_);
  c.Start();
  const absl::Duration t0 = world_->now();
  fabric().ClogNode(*a_, absl::Seconds(3));
  std::vector<std::string> pieces;
  for (int i = 0; i < 50; ++i) pieces.push_back(absl::StrCat(i, ";"));
  std::function<void(int)> write = [&](int i) {
    if (i == 50) return;
    client_->Write(pieces[i], [&, i](NetError) { write(i + 1); });
  };
  write(0);
  absl::Duration first_byte;
  ASSERT_TRUE(world_->RunUntil([&] { return !c.got_.empty(); }, absl::Seconds(10)));
  first_byte = world_->now() - t0;
  world_->RunFor(absl::Seconds(60));
  std::string expected;
  for (int i = 0; i < 50; ++i) absl::StrAppend(&expected, i, ";");
  EXPECT_EQ(c.got_, expected);
  EXPECT_FALSE(c.ended_);  // a clog never times out a connection
  EXPECT_GE(first_byte, absl::Seconds(3));
  EXPECT_LE(first_byte, absl::Seconds(3) + absl::Milliseconds(1));
}

TEST_F(NetFaults, LinkClogIsOneWayAndHealAllEndsEveryCut) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_server(*server_), at_client(*client_);
  at_server.Start();
  at_client.Start();
  fabric().ClogLink(*a_, *b_, absl::Seconds(2));
  Writer w1, w2;
  w1.Write(*client_, "a->b");
  w2.Write(*server_, "b->a");
  world_->RunFor(absl::Seconds(1));
  EXPECT_EQ(at_server.got_, "");      // held
  EXPECT_EQ(at_client.got_, "b->a");  // the other way is free
  world_->RunFor(absl::Seconds(2));
  EXPECT_EQ(at_server.got_, "a->b");
  // Nested partitions and a black hole, all ended at once.
  fabric().Partition(*a_, *b_);
  fabric().Partition(*a_, *b_, /*one_way=*/true);
  fabric().BlackHole(*b_, *a_, true);
  fabric().HealAll();
  EXPECT_FALSE(fabric().IsCut(*a_, *b_) || fabric().IsCut(*b_, *a_));
  Writer w3, w4;
  w3.Write(*client_, "!");
  w4.Write(*server_, "?");
  world_->RunFor(absl::Seconds(1));
  EXPECT_EQ(at_server.got_, "a->b!");
  EXPECT_EQ(at_client.got_, "b->a?");
}

TEST_F(NetFaults, BlackHoleAcceptsEverythingAndDeliversNothing) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector c(*server_);
  c.Start();
  fabric().BlackHole(*a_, *b_, true);
  Writer w;
  w.Write(*client_, std::string(5 << 20, 'b'));  // far beyond every buffer
  world_->RunFor(absl::Hours(1));
  EXPECT_TRUE(w.done);
  EXPECT_EQ(w.error, NetError::kOk);
  EXPECT_EQ(c.got_, "");
  EXPECT_FALSE(c.ended_);
  // Ending the black hole does not revive a stream with a gap in it.
  fabric().BlackHole(*a_, *b_, false);
  Writer later;
  later.Write(*client_, "after");
  world_->RunFor(absl::Hours(1));
  EXPECT_EQ(c.got_, "");
  // SYNs into a black hole are never answered.
  fabric().BlackHole(*a_, *b_, true);
  EXPECT_EQ(TryConnect(absl::Seconds(3)), NetError::kTimedOut);
}

TEST_F(NetFaults, BlackHoleOfOneConnectionDirection) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_server(*server_), at_client(*client_);
  at_server.Start();
  at_client.Start();
  ASSERT_TRUE(fabric().BlackHoleConnectionById(fabric().Connections()[0].id, 0));
  Writer w1, w2;
  w1.Write(*client_, "into the void");
  w2.Write(*server_, "still fine");
  world_->RunFor(absl::Minutes(10));
  EXPECT_TRUE(w1.done);
  EXPECT_EQ(at_server.got_, "");
  EXPECT_FALSE(at_server.ended_);
  // The other direction delivers, but its bytes are never acknowledged
  // (acks ride the swallowed direction): a silent stall, no error.
  EXPECT_EQ(at_client.got_, "still fine");
  EXPECT_FALSE(at_client.ended_);
}

// --- Dropped connections ---------------------------------------------------

TEST_F(NetFaults, DroppedConnectionAnswersTheNextSegmentWithAReset) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_client(*client_), at_server(*server_);
  at_client.Start();
  at_server.Start();
  ASSERT_TRUE(fabric().DropConnection(0));
  EXPECT_EQ(fabric().open_connections(), 0u);
  world_->RunFor(absl::Seconds(5));
  EXPECT_FALSE(at_client.ended_);  // silence until someone sends
  const absl::Duration t0 = world_->now();
  Writer w;
  w.Write(*client_, "hello?");
  ASSERT_TRUE(world_->RunUntil([&] { return at_client.ended_; }, absl::Seconds(5)));
  EXPECT_EQ(at_client.end_, NetError::kReset);
  EXPECT_EQ(world_->now() - t0, absl::Milliseconds(2));  // one round trip
  EXPECT_EQ(at_server.got_, "");
  // The idle end finds out by keepalive.
  ASSERT_TRUE(world_->RunUntil([&] { return at_server.ended_; }, absl::Minutes(5)));
  EXPECT_EQ(at_server.end_, NetError::kReset);
}

// --- Process crashes -------------------------------------------------------

TEST_F(NetFaults, KilledProcessSocketsCloseLikeClose) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_client(*client_);
  at_client.Start();
  Writer w;
  w.Write(*server_, "last words");
  world_->RunUntilIdle();
  // The stream objects of b's "process" are now dead: no callbacks ever.
  bool called = false;
  char buf[8];
  server_->Read(absl::MakeSpan(buf), [&](NetError, size_t) { called = true; });
  b_->Crash(CrashKind::kKill);
  world_->RunFor(absl::Seconds(1));
  EXPECT_FALSE(called);
  EXPECT_EQ(at_client.got_, "last words");
  EXPECT_EQ(at_client.end_, NetError::kClosed);
  // Nothing listens any more: refused, until it boots and listens again.
  EXPECT_EQ(TryConnect(absl::Seconds(1)), NetError::kRefused);
  server_.reset();  // destroying a dead stream sends nothing
  world_->RunUntilIdle();
}

TEST_F(NetFaults, PowerCutIsSilentThenTimesOutOrResets) {
  Make(TcpOptions());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector at_client(*client_);
  at_client.Start();
  const absl::Duration t0 = world_->now();
  b_->Crash(CrashKind::kPowerCut);
  world_->RunFor(absl::Seconds(10));
  EXPECT_FALSE(at_client.ended_);  // nobody said anything
  // SYNs to a powered-off machine go unanswered.
  EXPECT_EQ(TryConnect(absl::Seconds(2)), NetError::kTimedOut);
  // Writing into the void: retransmissions, then a timeout.
  Writer w;
  w.Write(*client_, "anyone?");
  ASSERT_TRUE(world_->RunUntil([&] { return at_client.ended_; }, absl::Minutes(5)));
  EXPECT_EQ(at_client.end_, NetError::kTimedOut);
  EXPECT_EQ(world_->now() - t0, absl::Seconds(20));

  // A second connection, to a machine that comes back: the next
  // retransmission meets the new kernel, which resets it.
  b_->Boot();
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector again(*client_);
  again.Start();
  b_->Crash(CrashKind::kPowerCut);
  Writer w2;
  w2.Write(*client_, "still there?");
  world_->RunFor(absl::Seconds(2));
  b_->Boot();
  ASSERT_TRUE(world_->RunUntil([&] { return again.ended_; }, absl::Minutes(5)));
  EXPECT_EQ(again.end_, NetError::kReset);
}

TEST_F(NetFaults, PausedReceiverKernelStillFillsItsWindow) {
  WorldOptions o = TcpOptions();
  o.network.recv_buffer = 4096;
  o.network.send_buffer = 4096;
  Make(o);
  ASSERT_NO_FATAL_FAILURE(Connect());
  Collector c(*server_);
  c.Start();
  b_->Pause(absl::Seconds(5));
  Writer w;
  w.Write(*client_, std::string(20000, 'p'));
  world_->RunFor(absl::Seconds(4));
  EXPECT_EQ(c.got_, "");  // the process is stopped
  EXPECT_EQ(fabric().Connections()[0].client_to_server, 4096u);  // one window
  EXPECT_FALSE(w.done);
  world_->RunFor(absl::Seconds(2));
  EXPECT_EQ(c.got_.size(), 20000u);
  EXPECT_TRUE(w.done);
}

}  // namespace
}  // namespace twinkv::sim
