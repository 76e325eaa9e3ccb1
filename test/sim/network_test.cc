// The simulated network beyond what test/conformance/ checks in both worlds:
// addressing between nodes, seeded chunking and latency, connect timeouts,
// and TCP's answers to traffic after a close.

#include "sim/network.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

// Reads until the stream ends, recording each read's size.
class Collector {
 public:
  explicit Collector(Stream& s) : s_(s) {}
  void Start() {
    s_.Read(absl::MakeSpan(buf_), [this](NetError e, size_t n) {
      if (e != NetError::kOk) {
        end_ = e;
        return;
      }
      got_.append(buf_, n);
      sizes_.push_back(n);
      Start();
    });
  }
  std::string got_;
  std::vector<size_t> sizes_;
  NetError end_ = NetError::kOk;

 private:
  Stream& s_;
  char buf_[1 << 16];
};

struct Pair {
  std::unique_ptr<Listener> listener;
  std::unique_ptr<Stream> server;
  std::unique_ptr<Stream> client;
};

// Connects node `from` to `to` at `host`:6379.
void ConnectPair(World& world, Node& from, Node& to, const std::string& host, Pair* p) {
  auto l = to.network().Listen({"", 6379}, [p](std::unique_ptr<Stream> s) {
    p->server = std::move(s);
  });
  ASSERT_TRUE(l.ok()) << l.status();
  p->listener = std::move(*l);
  NetError error = NetError::kOther;
  from.network().Connect({host, 6379}, absl::Seconds(1),
                         [&, p](NetError e, std::unique_ptr<Stream> s) {
                           error = e;
                           p->client = std::move(s);
                         });
  ASSERT_TRUE(world.RunUntil([&] { return p->client && p->server; }, absl::Seconds(2)));
  ASSERT_EQ(error, NetError::kOk);
}

TEST(SimNetworkTest, NodesReachEachOtherByIpOrName) {
  World world(1);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  Node& b = world.AddNode("beta", "10.0.0.2");
  for (const std::string host : {"10.0.0.2", "beta"}) {
    Pair p;
    ASSERT_NO_FATAL_FAILURE(ConnectPair(world, a, b, host, &p));
    EXPECT_EQ(p.server->LocalName(), "10.0.0.2:6379");
    EXPECT_TRUE(absl::StartsWith(p.server->PeerName(), "10.0.0.1:"));
    EXPECT_EQ(p.client->PeerName(), "10.0.0.2:6379");
  }
}

TEST(SimNetworkTest, ANodeReachesItselfOnLoopback) {
  World world(1);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  Pair p;
  ASSERT_NO_FATAL_FAILURE(ConnectPair(world, a, a, "127.0.0.1", &p));
  Pair q;
  p.listener.reset();
  ASSERT_NO_FATAL_FAILURE(ConnectPair(world, a, a, "localhost", &q));
}

TEST(SimNetworkTest, UnknownHostIsOther) {
  World world(1);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  NetError error = NetError::kOk;
  bool done = false;
  a.network().Connect({"10.9.9.9", 1}, absl::Seconds(1),
                      [&](NetError e, std::unique_ptr<Stream>) {
                        error = e;
                        done = true;
                      });
  EXPECT_FALSE(done);
  world.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_EQ(error, NetError::kOther);
}

TEST(SimNetworkTest, ListenErrors) {
  World world(1);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  world.AddNode("beta", "10.0.0.2");
  auto accept = [](std::unique_ptr<Stream>) {};
  EXPECT_EQ(a.network().Listen({"10.0.0.2", 80}, accept).status().code(),
            absl::StatusCode::kUnavailable);  // not our address
  auto first = a.network().Listen({"10.0.0.1", 80}, accept);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(a.network().Listen({"0.0.0.0", 80}, accept).status().code(),
            absl::StatusCode::kUnavailable);  // in use
  auto e1 = a.network().Listen({"", 0}, accept);
  auto e2 = a.network().Listen({"", 0}, accept);
  ASSERT_TRUE(e1.ok() && e2.ok());
  EXPECT_GE((*e1)->port(), 32768);
  EXPECT_NE((*e1)->port(), (*e2)->port());
}

TEST(SimNetworkTest, SegmentsTakeTheConfiguredLatency) {
  WorldOptions o;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(10));
  World world(1, o);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  Node& b = world.AddNode("beta", "10.0.0.2");
  Pair p;
  ASSERT_NO_FATAL_FAILURE(ConnectPair(world, a, b, "beta", &p));
  EXPECT_EQ(world.now(), absl::Milliseconds(20));  // SYN there, answer back
  const absl::Duration sent = world.now();
  absl::Duration arrived;
  char buf[8];
  p.server->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) { arrived = world.now(); });
  p.client->Write("x", [](NetError) {});
  world.RunUntilIdle();
  EXPECT_EQ(arrived - sent, absl::Milliseconds(10));
}

TEST(SimNetworkTest, ConnectTimesOutBeforeTheAnswer) {
  WorldOptions o;
  o.network.latency = LatencyModel::Fixed(absl::Milliseconds(10));
  World world(1, o);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  Node& b = world.AddNode("beta", "10.0.0.2");
  std::vector<std::unique_ptr<Stream>> accepted;
  auto l = b.network().Listen({"", 6379}, [&](std::unique_ptr<Stream> s) {
    accepted.push_back(std::move(s));
  });
  ASSERT_TRUE(l.ok());
  // 5 ms: gives up before the SYN even arrives; the server never accepts.
  // 15 ms: the server accepted, the answer is still on its way: the client's
  // kernel, which gave up, answers it with a reset.
  for (absl::Duration timeout : {absl::Milliseconds(5), absl::Milliseconds(15)}) {
    int calls = 0;
    NetError error = NetError::kOk;
    a.network().Connect({"beta", 6379}, timeout, [&](NetError e, std::unique_ptr<Stream> s) {
      ++calls;
      error = e;
      EXPECT_EQ(s, nullptr);
    });
    world.RunUntilIdle();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(error, NetError::kTimedOut);
  }
  ASSERT_EQ(accepted.size(), 1u);
  Collector c(*accepted[0]);
  c.Start();
  world.RunUntilIdle();
  EXPECT_EQ(c.end_, NetError::kReset);
}

TEST(SimNetworkTest, BytesAfterTheFinDrawAReset) {
  World world(1);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  Node& b = world.AddNode("beta", "10.0.0.2");
  Pair p;
  ASSERT_NO_FATAL_FAILURE(ConnectPair(world, a, b, "beta", &p));
  p.server->Close();
  Collector first(*p.client);
  first.Start();
  world.RunUntilIdle();
  EXPECT_EQ(first.end_, NetError::kClosed);  // the FIN
  NetError write_error = NetError::kOther;
  p.client->Write("anyone?", [&](NetError e) { write_error = e; });
  world.RunUntilIdle();
  EXPECT_EQ(write_error, NetError::kOk);  // accepted locally, like send(2)
  Collector second(*p.client);
  second.Start();
  world.RunUntilIdle();
  EXPECT_EQ(second.end_, NetError::kReset);  // the peer's RST
}

// Sends `writes` from a to b in world `seed`; returns the sizes b's reads saw.
std::vector<size_t> Transfer(uint64_t seed, const std::vector<std::string>& writes,
                             std::string* received) {
  World world(seed);
  Node& a = world.AddNode("alpha", "10.0.0.1");
  Node& b = world.AddNode("beta", "10.0.0.2");
  Pair p;
  ConnectPair(world, a, b, "beta", &p);
  if (p.client == nullptr) return {};
  Collector c(*p.server);
  c.Start();
  size_t next = 0;
  std::function<void()> write = [&] {
    if (next == writes.size()) {
      p.client->Close();
      return;
    }
    p.client->Write(writes[next++], [&](NetError e) {
      if (e == NetError::kOk) write();
    });
  };
  write();
  world.RunUntilIdle();
  *received = c.got_;
  if (c.end_ != NetError::kClosed) received->append("<no clean close>");
  return c.sizes_;
}

TEST(SimNetworkTest, ChunkingDependsOnTheSeed) {
  std::vector<std::string> writes = {std::string(5000, 'a'), std::string(300, 'b'),
                                     std::string(70000, 'c')};
  std::string all = writes[0] + writes[1] + writes[2];
  std::set<std::vector<size_t>> shapes;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    std::string got;
    std::vector<size_t> sizes = Transfer(seed, writes, &got);
    EXPECT_TRUE(got == all);
    std::string again;
    EXPECT_EQ(Transfer(seed, writes, &again), sizes);  // same seed, same shape
    shapes.insert(sizes);
  }
  EXPECT_GE(shapes.size(), 5u);
}

RC_GTEST_PROP(SimNetworkProp, BytesArriveIntactAndInOrder,
              (uint64_t seed, std::vector<std::string> writes)) {
  std::string expected;
  for (const std::string& w : writes) expected += w;
  std::string got;
  Transfer(seed, writes, &got);
  RC_ASSERT(got == expected);
}

}  // namespace
}  // namespace twinkv::sim
