// The pipelined Client (core/client/client.h) on the simulator: a real
// twinkv server (ServerNode) on one node, or a scripted fake RESP server
// for precise faults, and the client on another node. Everything is in
// virtual time, so timeouts, backoff and heartbeats are checked to the
// instant. Every test's seed is printed.

#include "core/client/client.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/config.h"
#include "core/resp/request_parser.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "sim/network.h"
#include "sim/world.h"

namespace twinkv {
namespace {

using sim::CrashKind;
using sim::Node;
using sim::Process;
using sim::World;

constexpr uint16_t kPort = 6379;

class ServerProcess final : public Process {
 public:
  explicit ServerProcess(Node& node) : server_(node, MakeConfig()) {
    absl::Status status = server_.Start();
    EXPECT_TRUE(status.ok()) << status;
  }

 private:
  static Config MakeConfig() {
    Config config;
    config.bind = {"0.0.0.0"};
    // Clients come from other (simulated) hosts, without a password.
    config.protected_mode = false;
    config.port = kPort;
    return config;
  }
  ServerNode server_;
};

// A scripted RESP server: answers each command with what `respond` returns
// (nothing: no reply yet; the test may Reply() later). One connection at a
// time is enough here.
class FakeServer {
 public:
  using Respond = std::function<std::string(const std::vector<std::string>&)>;

  FakeServer(Node& node, Respond respond) : respond_(std::move(respond)) {
    auto listener = node.network().Listen(
        {"0.0.0.0", kPort},
        [this](std::unique_ptr<Stream> s) { OnAccept(std::move(s)); });
    EXPECT_TRUE(listener.ok()) << listener.status();
    listener_ = std::move(*listener);
  }

  // Writes raw bytes to the current connection.
  void Reply(std::string bytes) {
    out_ += bytes;
    Flush();
  }
  // Drops the current connection.
  void Drop() {
    if (stream_) stream_->Close();
    stream_.reset();
  }

  std::vector<std::vector<std::string>> commands;  // as received, in order
  int accepted = 0;

 private:
  void OnAccept(std::unique_ptr<Stream> s) {
    ++accepted;
    Drop();
    stream_ = std::move(s);
    parser_ = RequestParser();
    in_.clear();
    out_.clear();
    writing_ = false;
    Read();
  }
  void Read() {
    Stream* s = stream_.get();
    s->Read(absl::MakeSpan(buf_, sizeof(buf_)), [this](NetError e, size_t n) {
      if (e != NetError::kOk) return;
      in_.append(buf_, n);
      while (true) {
        RequestParser::Result r = parser_.Parse(in_);
        if (r != RequestParser::kCommand) break;
        std::vector<std::string> args(parser_.args().begin(),
                                      parser_.args().end());
        in_.erase(0, parser_.consumed());
        commands.push_back(args);
        out_ += respond_(args);
      }
      Flush();
      Read();
    });
  }
  void Flush() {
    if (!stream_ || writing_ || out_.empty()) return;
    writing_ = true;
    pending_.swap(out_);
    out_.clear();
    stream_->Write(pending_, [this](NetError) {
      writing_ = false;
      pending_.clear();
      Flush();
    });
  }

  Respond respond_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Stream> stream_;
  RequestParser parser_;
  std::string in_;
  std::string out_;
  std::string pending_;
  bool writing_ = false;
  char buf_[4096];
};

// Answers PING with PONG and anything else with "+<first argument>".
std::string EchoFirst(const std::vector<std::string>& args) {
  if (args[0] == "PING") return "+PONG\r\n";
  return absl::StrCat("+", args[0], "\r\n");
}

// One request's outcome, filled in by the continuation.
struct Outcome {
  bool done = false;
  ReplyOrError result = absl::InternalError("not completed");
  absl::Duration at;
};

class ClientTest : public ::testing::Test {
 protected:
  explicit ClientTest(uint64_t seed = 1)
      : world_(seed, WorldOptionsForTest()),
        server_(world_.AddNode("server", "10.0.0.1")),
        client_node_(world_.AddNode("client", "10.0.0.2")) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  }

  static sim::WorldOptions WorldOptionsForTest() {
    sim::WorldOptions options;
    options.network.latency = sim::LatencyModel::Fixed(absl::Microseconds(100));
    options.keep_logs = false;
    return options;
  }

  void BootRealServer() {
    server_.SetBoot([](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<ServerProcess>(node);
    });
    server_.Boot();
  }

  ClientOptions Options() {
    ClientOptions options;
    options.address = Address{"10.0.0.1", kPort};
    return options;
  }

  // Sends and records the outcome (and its virtual time) in `out`.
  void SendTo(Client& c, std::vector<std::string> args, Outcome* out,
              absl::Duration timeout = absl::ZeroDuration()) {
    c.Send(std::move(args), timeout).Then([this, out](ReplyOrError r) {
      out->done = true;
      out->result = std::move(r);
      out->at = world_.now();
    });
  }

  bool RunUntil(std::function<bool()> done,
                absl::Duration limit = absl::Seconds(30)) {
    return world_.RunUntil(done, limit);
  }

  World world_;
  Node& server_;
  Node& client_node_;
};

TEST_F(ClientTest, PipelinesThousandRequestsInOrderWithFewWrites) {
  BootRealServer();
  Client client(client_node_, Options());
  ASSERT_TRUE(RunUntil([&] { return client.state() == Client::State::kConnected; }));
  constexpr int kCount = 1000;
  std::vector<int64_t> values;
  std::vector<int> order;
  for (int i = 0; i < kCount; ++i) {
    client.Send({"INCR", "counter"}).Then([&, i](ReplyOrError r) {
      order.push_back(i);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->type, Reply::Type::kInteger) << r->DebugString();
      values.push_back(r->integer);
    });
  }
  // Nothing completes inside Send.
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(client.pending(), static_cast<size_t>(kCount));
  ASSERT_TRUE(RunUntil([&] { return order.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(order[i], i);
    EXPECT_EQ(values[i], i + 1);
  }
  EXPECT_EQ(client.stats().sent, static_cast<uint64_t>(kCount));
  EXPECT_EQ(client.stats().replies, static_cast<uint64_t>(kCount));
  EXPECT_LE(client.stats().writes, 5u);
  EXPECT_EQ(client.pending(), 0u);
}

TEST_F(ClientTest, TypedReplies) {
  BootRealServer();
  Client client(client_node_, Options());
  Outcome set, err, incr, get, missing, rpush, lrange;
  SendTo(client, {"SET", "k", "v"}, &set);
  SendTo(client, {"INCR", "k"}, &err);
  SendTo(client, {"INCR", "n"}, &incr);
  SendTo(client, {"GET", "k"}, &get);
  SendTo(client, {"GET", "nope"}, &missing);
  SendTo(client, {"RPUSH", "l", "a", "b"}, &rpush);
  SendTo(client, {"LRANGE", "l", "0", "-1"}, &lrange);
  ASSERT_TRUE(RunUntil([&] { return lrange.done; }));
  for (Outcome* o : {&set, &err, &incr, &get, &missing, &rpush, &lrange}) {
    ASSERT_TRUE(o->done);
    ASSERT_TRUE(o->result.ok()) << o->result.status();
  }
  EXPECT_EQ(*set.result, Reply::Status("OK"));
  // A RESP error is a reply, not a failed status.
  EXPECT_EQ(*err.result,
            Reply::Error("ERR value is not an integer or out of range"));
  EXPECT_EQ(*incr.result, Reply::Integer(1));
  EXPECT_EQ(*get.result, Reply::Bulk("v"));
  EXPECT_EQ(*missing.result, Reply::Null());
  EXPECT_EQ(*rpush.result, Reply::Integer(2));
  EXPECT_EQ(*lrange.result,
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
}

TEST_F(ClientTest, TimedOutRequestsLateReplyIsDroppedAndNextGetsItsOwn) {
  BootRealServer();
  Client client(client_node_, Options());
  Outcome setup;
  SendTo(client, {"MSET", "a", "1", "b", "2"}, &setup);
  ASSERT_TRUE(RunUntil([&] { return setup.done; }));
  ASSERT_TRUE(setup.result.ok());

  server_.Pause(absl::Milliseconds(500));
  const absl::Duration t0 = world_.now();
  Outcome a, b;
  SendTo(client, {"GET", "a"}, &a, absl::Milliseconds(100));
  ASSERT_TRUE(RunUntil([&] { return a.done; }));
  EXPECT_EQ(a.at - t0, absl::Milliseconds(100));
  EXPECT_EQ(a.result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(NeverSent(a.result.status())) << a.result.status();
  EXPECT_EQ(client.stats().timeouts, 1u);
  SendTo(client, {"GET", "b"}, &b);
  ASSERT_TRUE(RunUntil([&] { return b.done; }));
  ASSERT_TRUE(b.result.ok()) << b.result.status();
  EXPECT_EQ(*b.result, Reply::Bulk("2"));  // not a's "1"
  EXPECT_GE(b.at - t0, absl::Milliseconds(500));
  EXPECT_EQ(client.stats().replies, 2u);  // setup and b; a's was dropped
  EXPECT_EQ(client.stats().connects, 1u);
}

TEST_F(ClientTest, UnwrittenRequestTimesOutWhileDisconnected) {
  // Nothing listens: the client keeps failing to connect.
  Client client(client_node_, Options());
  Outcome a;
  SendTo(client, {"GET", "a"}, &a, absl::Milliseconds(300));
  ASSERT_TRUE(RunUntil([&] { return a.done; }));
  EXPECT_EQ(a.result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(NeverSent(a.result.status())) << a.result.status();
  EXPECT_EQ(client.stats().sent, 0u);
  EXPECT_GT(client.stats().connect_failures, 0u);
  EXPECT_TRUE(client.healthy());
}

TEST_F(ClientTest, ServerCrashWrittenBecomeUnknownQueuedGoOutAfterReconnect) {
  BootRealServer();
  Client client(client_node_, Options());
  ASSERT_TRUE(RunUntil([&] { return client.state() == Client::State::kConnected; }));
  // Stopped, the server answers nothing; all ten get written (in one
  // write: what one turn of the loop sends leaves together), then it dies.
  server_.Pause(absl::Seconds(10));
  std::vector<Outcome> written(10);
  for (int i = 0; i < 10; ++i) {
    SendTo(client, {"SET", absl::StrCat("k", i), "v"}, &written[i]);
  }
  ASSERT_TRUE(RunUntil([&] { return client.stats().sent == 10; }));
  EXPECT_EQ(client.stats().writes, 1u);
  world_.RunFor(absl::Milliseconds(5));
  EXPECT_FALSE(written[0].done);
  server_.Crash(CrashKind::kKill);
  ASSERT_TRUE(RunUntil([&] { return written.back().done; }));
  for (const Outcome& o : written) {
    ASSERT_TRUE(o.done);
    EXPECT_EQ(o.result.status().code(), absl::StatusCode::kUnknown)
        << o.result.status();
    EXPECT_NE(o.result.status().message().find("may or may not"),
              std::string::npos);
  }
  EXPECT_EQ(client.stats().unknown, 10u);

  // Queued while down; the server comes back after 300 ms.
  std::vector<Outcome> queued(5);
  for (int i = 0; i < 5; ++i) {
    SendTo(client, {"INCR", "c"}, &queued[i]);
  }
  server_.BootAfter(absl::Milliseconds(300));
  ASSERT_TRUE(RunUntil([&] { return queued.back().done; }));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(queued[i].result.ok()) << queued[i].result.status();
    EXPECT_EQ(*queued[i].result, Reply::Integer(i + 1));
  }
  EXPECT_EQ(client.stats().connects, 2u);
  EXPECT_GT(client.stats().connect_failures, 0u);
  EXPECT_EQ(client.stats().sent, 15u);  // never resent
  // The crashed requests were never resent: the new server has no k0.
  Outcome exists;
  SendTo(client, {"EXISTS", "k0"}, &exists);
  ASSERT_TRUE(RunUntil([&] { return exists.done; }));
  EXPECT_EQ(*exists.result, Reply::Integer(0));
}

TEST_F(ClientTest, HandshakeRunsFirstOnEveryConnection) {
  FakeServer fake(server_, EchoFirst);
  ClientOptions options = Options();
  options.handshake = {{"AUTH", "pw"}, {"CLIENT", "SETNAME", "peer"}};
  Client client(client_node_, options);
  Outcome first;
  SendTo(client, {"GET", "a"}, &first);  // queued before the connection
  ASSERT_TRUE(RunUntil([&] { return first.done; }));
  ASSERT_TRUE(first.result.ok()) << first.result.status();
  EXPECT_EQ(*first.result, Reply::Status("GET"));  // not a handshake reply
  ASSERT_EQ(fake.commands.size(), 3u);
  EXPECT_EQ(fake.commands[0], (std::vector<std::string>{"AUTH", "pw"}));
  EXPECT_EQ(fake.commands[1][0], "CLIENT");
  EXPECT_EQ(fake.commands[2][0], "GET");
  EXPECT_EQ(client.stats().sent, 1u);  // handshakes are not requests

  // A new connection repeats it before the next request.
  fake.Drop();
  ASSERT_TRUE(RunUntil([&] { return fake.accepted == 2; }));
  Outcome second;
  SendTo(client, {"SET", "a", "1"}, &second);
  ASSERT_TRUE(RunUntil([&] { return second.done; }));
  EXPECT_EQ(*second.result, Reply::Status("SET"));
  ASSERT_EQ(fake.commands.size(), 6u);
  EXPECT_EQ(fake.commands[3][0], "AUTH");
  EXPECT_EQ(fake.commands[4][0], "CLIENT");
  EXPECT_EQ(fake.commands[5][0], "SET");
}

TEST_F(ClientTest, RefusedHandshakeDropsTheConnectionBeforeAnyRequest) {
  int auths = 0;
  FakeServer fake(server_, [&](const std::vector<std::string>& args) {
    if (args[0] == "AUTH") {
      // Refused twice, then accepted.
      return std::string(++auths <= 2 ? "-WRONGPASS invalid\r\n"
                                      : "+OK\r\n");
    }
    return EchoFirst(args);
  });
  ClientOptions options = Options();
  options.handshake = {{"AUTH", "pw"}};
  Client client(client_node_, options);
  Outcome out;
  SendTo(client, {"GET", "a"}, &out);
  ASSERT_TRUE(RunUntil([&] { return out.done; }));
  ASSERT_TRUE(out.result.ok()) << out.result.status();
  EXPECT_EQ(*out.result, Reply::Status("GET"));
  EXPECT_EQ(auths, 3);
  EXPECT_EQ(fake.accepted, 3);
  // GET waited for the handshake's replies: it reached the server once,
  // on the connection that accepted AUTH.
  int gets = 0;
  for (const auto& c : fake.commands) gets += c[0] == "GET";
  EXPECT_EQ(gets, 1);
  EXPECT_EQ(client.stats().replies, 1u);
}

TEST_F(ClientTest, BackoffGrowsWithFullJitter) {
  // Nothing listens on the server node: every connect is refused at once
  // (one round trip), so the gaps between failures are the backoff delays.
  ClientOptions options = Options();
  options.backoff_initial = absl::Milliseconds(10);
  options.backoff_max = absl::Milliseconds(1000);
  Client client(client_node_, options);
  std::vector<absl::Duration> failures;
  while (failures.size() < 14) {
    const uint64_t before = client.stats().connect_failures;
    ASSERT_TRUE(RunUntil(
        [&] { return client.stats().connect_failures > before; }));
    failures.push_back(world_.now());
  }
  const absl::Duration rtt = absl::Microseconds(200);
  std::vector<absl::Duration> gaps;
  for (size_t i = 1; i < failures.size(); ++i) {
    const absl::Duration delay = failures[i] - failures[i - 1] - rtt;
    const absl::Duration cap = std::min(
        options.backoff_max,
        options.backoff_initial * static_cast<double>(1 << (i - 1)));
    EXPECT_GE(delay, absl::ZeroDuration()) << "attempt " << i;
    EXPECT_LE(delay, cap) << "attempt " << i;
    gaps.push_back(delay);
  }
  // Jittered: not every delay sits at its cap, and no two are equal.
  int at_cap = 0;
  for (size_t i = 0; i < gaps.size(); ++i) {
    const absl::Duration cap = std::min(
        options.backoff_max,
        options.backoff_initial * static_cast<double>(1 << i));
    if (gaps[i] == cap) ++at_cap;
  }
  EXPECT_LT(at_cap, 3);
  // Growing: the last five waited far longer than the first five.
  absl::Duration first, last;
  for (int i = 0; i < 5; ++i) first += gaps[i];
  for (size_t i = gaps.size() - 5; i < gaps.size(); ++i) last += gaps[i];
  EXPECT_GT(last, 4 * first) << "first " << first << " last " << last;
  EXPECT_EQ(client.stats().connects, 0u);
  EXPECT_TRUE(client.healthy());
  EXPECT_EQ(client.state(), Client::State::kBackoff);
}

TEST_F(ClientTest, HeartbeatNoticesPausedPeer) {
  BootRealServer();
  Client client(client_node_, Options());
  ASSERT_TRUE(RunUntil([&] { return client.state() == Client::State::kConnected; }));
  // Idle for a while: heartbeats go out and come back.
  world_.RunFor(absl::Seconds(5));
  EXPECT_GE(client.stats().heartbeats, 3u);
  EXPECT_EQ(client.stats().connects, 1u);
  EXPECT_EQ(client.stats().sent, 0u);  // heartbeats are not requests
  EXPECT_EQ(client.pending(), 0u);

  server_.Pause(absl::Seconds(60));
  const absl::Duration t0 = world_.now();
  ASSERT_TRUE(RunUntil([&] {
    return client.state() != Client::State::kConnected;
  }));
  // At most idle 1 s, PING, no answer for 2 s: dead.
  EXPECT_GE(world_.now() - t0, absl::Seconds(2));
  EXPECT_LE(world_.now() - t0, absl::Seconds(3) + absl::Milliseconds(10));
}

// A peer that stops answering right after the connect, before the
// handshake's reply: the connection is replaced (the requests waiting
// behind the handshake were never sent), and once the peer answers again
// they go out (cluster sim seed 1335: a node's forwards to a peer power-cut
// just after it reconnected stayed queued forever).
TEST_F(ClientTest, UnansweredHandshakeIsNoticed) {
  BootRealServer();
  ClientOptions options = Options();
  options.handshake = {{"PING"}};
  options.request_timeout = absl::Seconds(30);
  server_.Pause(absl::Seconds(5));
  Client client(client_node_, options);
  Outcome queued;
  SendTo(client, {"SET", "k", "v"}, &queued, absl::Seconds(30));
  world_.RunFor(absl::Seconds(4));
  EXPECT_FALSE(queued.done);
  // Connected (the kernel accepts), the handshake unanswered: dropped.
  EXPECT_GE(client.stats().connects, 1u);
  EXPECT_GE(client.stats().connects + client.stats().connect_failures, 2u);
  ASSERT_TRUE(RunUntil([&] { return queued.done; }));
  ASSERT_TRUE(queued.result.ok()) << queued.result.status();
  EXPECT_EQ(*queued.result, Reply::Status("OK"));
}

// A request awaiting its reply is watched by its own timeout, not by the
// heartbeat: a PING queued behind a BLPOP 0 would wait as long as it.
TEST_F(ClientTest, BlockingCommandOutlivesTheHeartbeat) {
  BootRealServer();
  Client waiter(client_node_, Options());
  Client pusher(client_node_, Options());
  Outcome popped;
  SendTo(waiter, {"BLPOP", "q", "0"}, &popped, absl::Seconds(60));
  world_.RunFor(absl::Seconds(20));
  EXPECT_FALSE(popped.done);
  Outcome pushed;
  SendTo(pusher, {"RPUSH", "q", "x"}, &pushed);
  ASSERT_TRUE(RunUntil([&] { return popped.done && pushed.done; }));
  ASSERT_TRUE(popped.result.ok()) << popped.result.status();
  EXPECT_EQ(popped.result->elements.size(), 2u);
  EXPECT_EQ(waiter.stats().connects, 1u);
}

TEST_F(ClientTest, HeartbeatNoticesBlackHole) {
  BootRealServer();
  Client client(client_node_, Options());
  ASSERT_TRUE(RunUntil([&] { return client.state() == Client::State::kConnected; }));
  world_.fabric().BlackHole(server_, client_node_, true);
  world_.fabric().BlackHole(client_node_, server_, true);
  const absl::Duration t0 = world_.now();
  const uint64_t heartbeats = client.stats().heartbeats;
  ASSERT_TRUE(RunUntil([&] {
    return client.state() != Client::State::kConnected;
  }));
  EXPECT_EQ(client.stats().heartbeats, heartbeats + 1);
  EXPECT_LE(world_.now() - t0, absl::Seconds(3) + absl::Milliseconds(10));
  EXPECT_GE(world_.now() - t0, absl::Seconds(2));
  // Healed: it reconnects and serves.
  world_.fabric().HealAll();
  Outcome a;
  SendTo(client, {"PING"}, &a);
  ASSERT_TRUE(RunUntil([&] { return a.done; }));
  ASSERT_TRUE(a.result.ok()) << a.result.status();
  EXPECT_EQ(*a.result, Reply::Status("PONG"));
  EXPECT_EQ(client.stats().connects, 2u);
}

TEST_F(ClientTest, GracefulCloseWaitsForInFlightRequests) {
  BootRealServer();
  Client client(client_node_, Options());
  std::vector<Outcome> outcomes(20);
  for (int i = 0; i < 20; ++i) {
    SendTo(client, {"INCR", "c"}, &outcomes[i]);
  }
  bool closed = false;
  int done_calls = 0;
  absl::Duration closed_at;
  client.Close([&] {
    closed = true;
    ++done_calls;
    closed_at = world_.now();
    // Every request completed before done runs.
    for (const Outcome& o : outcomes) EXPECT_TRUE(o.done);
  });
  client.Close([&] { ++done_calls; });
  EXPECT_FALSE(closed);
  EXPECT_EQ(client.state(), Client::State::kClosing);
  EXPECT_FALSE(client.healthy());
  Outcome late;
  SendTo(client, {"PING"}, &late);  // refused at once: closing
  EXPECT_TRUE(late.done);
  EXPECT_EQ(late.result.status().code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(RunUntil([&] { return closed; }));
  world_.RunFor(absl::Milliseconds(1));
  EXPECT_EQ(done_calls, 2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(outcomes[i].result.ok()) << outcomes[i].result.status();
    EXPECT_EQ(*outcomes[i].result, Reply::Integer(i + 1));
  }
  EXPECT_EQ(client.state(), Client::State::kClosed);
  EXPECT_LT(closed_at, absl::Milliseconds(100));
  // Close after closed: done still runs (later, not inside Close).
  bool again = false;
  client.Close([&] { again = true; });
  EXPECT_FALSE(again);
  world_.RunFor(absl::Milliseconds(1));
  EXPECT_TRUE(again);
}

TEST_F(ClientTest, CloseGraceExpiresOnStuckServer) {
  BootRealServer();
  Client client(client_node_, Options());
  ASSERT_TRUE(RunUntil([&] { return client.state() == Client::State::kConnected; }));
  server_.Pause(absl::Seconds(30));
  Outcome a;
  SendTo(client, {"GET", "a"}, &a, absl::Seconds(20));
  const absl::Duration t0 = world_.now();
  bool closed = false;
  client.Close([&] { closed = true; });
  ASSERT_TRUE(RunUntil([&] { return closed; }));
  EXPECT_EQ(world_.now() - t0, client.options().close_grace);
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.result.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(client.state(), Client::State::kClosed);
  // Let the pause end: a World destroyed while a node is paused leaks the
  // simulated connections whose events it deferred (a sim/ issue).
  world_.RunFor(absl::Seconds(30));
}

TEST_F(ClientTest, DestructorCompletesEverythingAndLeavesNothingBehind) {
  FakeServer fake(server_, [](const std::vector<std::string>&) {
    return std::string();  // never answers
  });
  auto client = std::make_unique<Client>(client_node_, Options());
  ASSERT_TRUE(RunUntil([&] { return client->state() == Client::State::kConnected; }));
  std::vector<Outcome> written(3);
  for (Outcome& o : written) SendTo(*client, {"GET", "x"}, &o);
  ASSERT_TRUE(RunUntil([&] { return fake.commands.size() == 3; }));
  fake.Drop();  // the client will be disconnected: new requests queue up
  ASSERT_TRUE(RunUntil([&] { return client->stats().unknown == 3; }));
  ASSERT_TRUE(RunUntil([&] { return written.back().done; }));
  std::vector<Outcome> queued(2);
  for (Outcome& o : queued) SendTo(*client, {"GET", "y"}, &o);
  Outcome sent_again;
  // Reconnected: this one is written and unanswered.
  ASSERT_TRUE(RunUntil([&] { return fake.commands.size() == 5; }));
  SendTo(*client, {"GET", "z"}, &sent_again);
  ASSERT_TRUE(RunUntil([&] { return fake.commands.size() == 6; }));
  for (Outcome& o : queued) EXPECT_FALSE(o.done);  // written, unanswered
  Outcome never_written;
  fake.Drop();
  // Completion of the drop is posted; destroy before it lands, with one
  // more request queued.
  SendTo(*client, {"GET", "w"}, &never_written);
  client.reset();
  for (Outcome& o : queued) {
    ASSERT_TRUE(o.done);
    EXPECT_EQ(o.result.status().code(), absl::StatusCode::kUnknown);
  }
  ASSERT_TRUE(sent_again.done);
  EXPECT_EQ(sent_again.result.status().code(), absl::StatusCode::kUnknown);
  ASSERT_TRUE(never_written.done);
  EXPECT_TRUE(never_written.result.status().code() ==
                  absl::StatusCode::kCancelled ||
              never_written.result.status().code() ==
                  absl::StatusCode::kUnknown)
      << never_written.result.status();
  // Nothing of the client is left: the world goes idle (no heartbeat,
  // backoff or request timer survives), and nothing crashes.
  EXPECT_LT(world_.RunUntilIdle(100000), 100000u);
}

TEST_F(ClientTest, DestructorCancelsQueuedRequests) {
  // Nothing listens: requests stay queued.
  auto client = std::make_unique<Client>(client_node_, Options());
  std::vector<Outcome> queued(4);
  for (Outcome& o : queued) SendTo(*client, {"GET", "y"}, &o);
  world_.RunFor(absl::Milliseconds(50));
  for (Outcome& o : queued) EXPECT_FALSE(o.done);
  EXPECT_EQ(client->pending(), 4u);
  client.reset();
  for (Outcome& o : queued) {
    ASSERT_TRUE(o.done);
    EXPECT_EQ(o.result.status().code(), absl::StatusCode::kCancelled);
  }
  EXPECT_LT(world_.RunUntilIdle(100000), 100000u);
}

TEST_F(ClientTest, ContinuationMayDestroyTheClient) {
  FakeServer fake(server_, [](const std::vector<std::string>& args) {
    return args[0] == "FIRST" ? std::string("+first\r\n") : std::string();
  });
  auto client = std::make_unique<Client>(client_node_, Options());
  Outcome second;
  bool first_seen = false;
  client->Send({"FIRST"}).Then([&](ReplyOrError r) {
    first_seen = true;
    EXPECT_TRUE(r.ok());
    client.reset();  // from inside the client's own completion
    // The destructor completed the other request synchronously.
    EXPECT_TRUE(second.done);
  });
  SendTo(*client, {"SECOND"}, &second);
  ASSERT_TRUE(RunUntil([&] { return first_seen; }));
  EXPECT_EQ(client, nullptr);
  EXPECT_EQ(second.result.status().code(), absl::StatusCode::kUnknown);
  EXPECT_LT(world_.RunUntilIdle(100000), 100000u);
}

TEST_F(ClientTest, ContinuationMaySendAgain) {
  FakeServer fake(server_, EchoFirst);
  Client client(client_node_, Options());
  std::vector<std::string> got;
  std::function<void(int)> chain = [&](int i) {
    client.Send({absl::StrCat("c", i)}).Then([&, i](ReplyOrError r) {
      ASSERT_TRUE(r.ok());
      got.push_back(r->str);
      if (i < 5) chain(i + 1);
    });
  };
  chain(0);
  ASSERT_TRUE(RunUntil([&] { return got.size() == 6; }));
  EXPECT_EQ(got, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4", "c5"}));
}

TEST_F(ClientTest, QueueLimitFailsAtOnce) {
  ClientOptions options = Options();
  options.max_queued_bytes = 100;
  Outcome a, b;  // outlive the client: its destructor completes `a`
  Client client(client_node_, options);  // nothing listens: all queue up
  SendTo(client, {"SET", "k", std::string(40, 'x')}, &a);
  EXPECT_FALSE(a.done);
  SendTo(client, {"SET", "k", std::string(60, 'x')}, &b);
  ASSERT_TRUE(b.done);
  EXPECT_EQ(b.result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(client.pending(), 1u);
}

TEST_F(ClientTest, GarbageFromServerDropsTheConnection) {
  FakeServer fake(server_, [](const std::vector<std::string>& args) {
    return args[0] == "BAD" ? std::string("?garbage\r\n")
                            : std::string("+ok\r\n");
  });
  Client client(client_node_, Options());
  Outcome bad, after;
  SendTo(client, {"BAD"}, &bad);
  ASSERT_TRUE(RunUntil([&] { return bad.done; }));
  EXPECT_EQ(bad.result.status().code(), absl::StatusCode::kUnknown);
  SendTo(client, {"GOOD"}, &after);
  ASSERT_TRUE(RunUntil([&] { return after.done; }));
  ASSERT_TRUE(after.result.ok()) << after.result.status();
  EXPECT_EQ(*after.result, Reply::Status("ok"));
  EXPECT_EQ(fake.accepted, 2);
}

}  // namespace
}  // namespace twinkv
