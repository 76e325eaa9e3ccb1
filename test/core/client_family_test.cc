// CLIENT (ID SETNAME GETNAME INFO LIST KILL PAUSE UNPAUSE NO-EVICT), the
// pre-AUTH request limits, the idle `timeout`, INFO clients/commandstats and
// SLOWLOG: through a real Server on the simulated network, several clients
// at once, and against the engine alone.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/config.h"
#include "core/families.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "sim/world.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

using sim::Node;
using sim::Process;
using sim::World;

constexpr uint16_t kPort = 6379;

class ServerProcess final : public Process {
 public:
  ServerProcess(Node& node, const Config& config) : server_(node, config) {
    absl::Status status = server_.Start();
    EXPECT_TRUE(status.ok()) << status;
  }
  ServerNode& node() { return server_; }

 private:
  ServerNode server_;
};

std::string Encode(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  }
  return out;
}

// One client connection that keeps reading whatever arrives.
struct Client {
  std::unique_ptr<Stream> stream;
  std::string in;
  bool closed = false;
  char buf[4096];
  std::string local;
  void ReadLoop() {
    stream->Read(absl::Span<char>(buf, sizeof(buf)),
                 [this](NetError error, size_t n) {
                   if (error != NetError::kOk) {
                     closed = true;
                     return;
                   }
                   in.append(buf, n);
                   ReadLoop();
                 });
  }
};

class ClientServerTest : public ::testing::Test {
 protected:
  void Start(Config config = Config()) {
    config.bind = {"0.0.0.0"};
    // Clients come from other (simulated) hosts, without a password.
    config.protected_mode = false;
    config.port = kPort;
    config.protected_mode = false;
    world_ = std::make_unique<World>(1, sim::WorldOptions());
    srv_ = &world_->AddNode("srv", "10.0.0.1");
    cli_ = &world_->AddNode("cli", "10.0.0.2");
    srv_->SetBoot([config](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<ServerProcess>(node, config);
    });
    srv_->Boot();
  }
  void TearDown() override {
    for (auto& c : clients_) {
      if (c->stream != nullptr && !c->closed) c->stream->Close();
    }
  }
  // Connects a new client; returns its index.
  size_t Connect() {
    auto c = std::make_unique<Client>();
    Client* raw = c.get();
    clients_.push_back(std::move(c));
    cli_->network().Connect(
        Address{"10.0.0.1", kPort}, absl::Seconds(1),
        [raw](NetError error, std::unique_ptr<Stream> stream) {
          ASSERT_EQ(error, NetError::kOk);
          raw->stream = std::move(stream);
          raw->local = raw->stream->LocalName();
          raw->ReadLoop();
        });
    world_->RunFor(absl::Milliseconds(10));
    EXPECT_NE(raw->stream, nullptr);
    return clients_.size() - 1;
  }
  // Sends a command; returns what arrived within `wait`.
  std::string Send(size_t i, const std::vector<std::string>& args,
                   absl::Duration wait = absl::Milliseconds(10)) {
    return SendRaw(i, Encode(args), wait);
  }
  std::string SendRaw(size_t i, std::string bytes,
                      absl::Duration wait = absl::Milliseconds(10)) {
    Client& c = *clients_[i];
    c.in.clear();
    sent_.push_back(std::move(bytes));
    c.stream->Write(sent_.back(), [](NetError) {});
    world_->RunFor(wait);
    return c.in;
  }
  std::string Take(size_t i) {
    std::string s;
    s.swap(clients_[i]->in);
    return s;
  }
  ServerNode& server() { return srv_->process_as<ServerProcess>()->node(); }

  std::unique_ptr<World> world_;
  Node* srv_ = nullptr;
  Node* cli_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::string> sent_;
};

// The value of `field` in a CLIENT LIST line.
std::string FieldOf(absl::string_view line, absl::string_view field) {
  for (absl::string_view part : absl::StrSplit(line, ' ')) {
    if (absl::StartsWith(part, absl::StrCat(field, "="))) {
      return std::string(part.substr(field.size() + 1));
    }
  }
  return "<missing>";
}

TEST_F(ClientServerTest, IdNameAndList) {
  Start();
  const size_t a = Connect();
  const size_t b = Connect();
  EXPECT_EQ(Send(a, {"CLIENT", "ID"}), ":1\r\n");
  EXPECT_EQ(Send(b, {"CLIENT", "ID"}), ":2\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "SETNAME", "bad name"}),
            "-ERR Client names cannot contain spaces, newlines or special "
            "characters.\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "SETNAME", "alpha"}), "+OK\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "GETNAME"}), "$5\r\nalpha\r\n");
  EXPECT_EQ(Send(b, {"SUBSCRIBE", "ch"}).substr(0, 4), "*3\r\n");

  std::string list = Send(a, {"CLIENT", "LIST"});
  ASSERT_EQ(list[0], '$');
  list = list.substr(list.find("\r\n") + 2);
  std::vector<std::string> lines =
      absl::StrSplit(list.substr(0, list.rfind("\r\n")), '\n',
                     absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << list;
  EXPECT_EQ(FieldOf(lines[0], "id"), "1");
  EXPECT_EQ(FieldOf(lines[0], "addr"), clients_[a]->local);
  EXPECT_EQ(FieldOf(lines[0], "laddr"), "10.0.0.1:6379");
  EXPECT_EQ(FieldOf(lines[0], "name"), "alpha");
  EXPECT_EQ(FieldOf(lines[0], "flags"), "N");
  EXPECT_EQ(FieldOf(lines[0], "cmd"), "client|list");
  EXPECT_EQ(FieldOf(lines[0], "multi"), "-1");
  EXPECT_EQ(FieldOf(lines[1], "id"), "2");
  EXPECT_EQ(FieldOf(lines[1], "flags"), "P");
  EXPECT_EQ(FieldOf(lines[1], "sub"), "1");
  EXPECT_EQ(FieldOf(lines[1], "cmd"), "subscribe");
  // Redis's field order.
  const std::vector<std::string> fields = {
      "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db",
      "sub", "psub", "ssub", "multi", "qbuf", "qbuf-free", "argv-mem",
      "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events",
      "cmd", "user", "redir", "resp"};
  std::vector<std::string> got;
  for (absl::string_view part : absl::StrSplit(lines[0], ' ')) {
    got.emplace_back(part.substr(0, part.find('=')));
  }
  EXPECT_EQ(got, fields);

  std::string pubsub = Send(a, {"CLIENT", "LIST", "TYPE", "pubsub"});
  EXPECT_TRUE(absl::StrContains(pubsub, "id=2 ")) << pubsub;
  EXPECT_FALSE(absl::StrContains(pubsub, "id=1 ")) << pubsub;
  std::string normal = Send(a, {"CLIENT", "LIST", "TYPE", "normal"});
  EXPECT_TRUE(absl::StrContains(normal, "id=1 ")) << normal;
  EXPECT_FALSE(absl::StrContains(normal, "id=2 ")) << normal;
  std::string by_id = Send(a, {"CLIENT", "LIST", "ID", "2", "99"});
  EXPECT_TRUE(absl::StrContains(by_id, "id=2 ")) << by_id;
  EXPECT_FALSE(absl::StrContains(by_id, "id=1 ")) << by_id;
  EXPECT_EQ(Send(a, {"CLIENT", "LIST", "ID", "x"}),
            "-ERR Invalid client ID\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "LIST", "TYPE", "foo"}),
            "-ERR Unknown client type 'foo'\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "LIST", "foo"}), "-ERR syntax error\r\n");

  std::string info = Send(a, {"CLIENT", "INFO"});
  EXPECT_TRUE(absl::StartsWith(info.substr(info.find("\r\n") + 2),
                               "id=1 addr="))
      << info;
  std::string clients = Send(a, {"INFO", "clients"});
  EXPECT_TRUE(absl::StrContains(clients, "connected_clients:2\r\n"))
      << clients;
}

TEST_F(ClientServerTest, Kill) {
  Start();
  const size_t a = Connect();
  const size_t b = Connect();
  const size_t c = Connect();
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "1.2.3.4:5"}),
            "-ERR No such client\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "ID", "0"}),
            "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "ID", "99"}), ":0\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "USER", "bob"}),
            "-ERR No such user 'bob'\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "SKIPME", "maybe"}),
            "-ERR syntax error\r\n");
  // New form: by id, the count of killed clients.
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "ID", "2"}), ":1\r\n");
  EXPECT_TRUE(clients_[b]->closed);
  EXPECT_EQ(server().server().connection_count(), 2u);
  // Old form: by address, +OK.
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", clients_[c]->local}), "+OK\r\n");
  EXPECT_TRUE(clients_[c]->closed);
  EXPECT_FALSE(clients_[a]->closed);
  // SKIPME yes (the default) spares the caller; SKIPME no does not.
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "TYPE", "normal"}), ":0\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"}),
            ":1\r\n");
  EXPECT_TRUE(clients_[a]->closed);
  EXPECT_EQ(server().server().connection_count(), 0u);
  EXPECT_TRUE(server().engine().clients().empty());
}

TEST_F(ClientServerTest, RequirePassAndPreAuthLimits) {
  Config config;
  config.requirepass = "pw";
  Start(config);
  const size_t a = Connect();
  EXPECT_EQ(Send(a, {"GET", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(Send(a, {"AUTH", "nope"}),
            "-WRONGPASS invalid username-password pair or user is "
            "disabled.\r\n");
  // Before AUTH, a multibulk of more than 10 elements is a protocol error.
  std::vector<std::string> big(11, "x");
  big[0] = "ECHO";
  std::string reply = Send(a, big);
  EXPECT_TRUE(absl::StartsWith(reply, "-ERR Protocol error: unauthenticated"))
      << reply;
  EXPECT_TRUE(clients_[a]->closed);

  const size_t b = Connect();
  EXPECT_EQ(Send(b, {"AUTH", "default", "pw"}), "+OK\r\n");
  std::vector<std::string> many(12, "v");
  many[0] = "RPUSH";
  many[1] = "l";
  EXPECT_EQ(Send(b, many), ":10\r\n");
  EXPECT_EQ(Send(b, {"SET", "k", std::string(20000, 'x')}), "+OK\r\n");
  EXPECT_FALSE(clients_[b]->closed);
}

TEST_F(ClientServerTest, PauseWriteHoldsWritesOnly) {
  Start();
  const size_t a = Connect();
  const size_t b = Connect();
  EXPECT_EQ(Send(a, {"CLIENT", "PAUSE", "10", "foo"}),
            "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "PAUSE", "abc"}),
            "-ERR timeout is not an integer or out of range\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "PAUSE", "-1"}),
            "-ERR timeout is negative\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "PAUSE", "1000", "WRITE"}), "+OK\r\n");
  EXPECT_EQ(Send(b, {"GET", "k"}), "$-1\r\n");
  // The write waits, and so does what the client sent after it.
  EXPECT_EQ(SendRaw(b, Encode({"SET", "k", "v"}) + Encode({"GET", "k"}),
                    absl::Milliseconds(500)),
            "");
  EXPECT_EQ(Send(a, {"GET", "k"}), "$-1\r\n");
  world_->RunFor(absl::Milliseconds(600));
  EXPECT_EQ(Take(b), "+OK\r\n$1\r\nv\r\n");

  // UNPAUSE releases the waiting client early.
  EXPECT_EQ(Send(a, {"CLIENT", "PAUSE", "100000", "WRITE"}), "+OK\r\n");
  EXPECT_EQ(Send(b, {"DEL", "k"}, absl::Seconds(1)), "");
  EXPECT_TRUE(server().engine().paused());
  EXPECT_TRUE(server().engine().clients().at(2)->postponed);
  EXPECT_EQ(Send(a, {"CLIENT", "UNPAUSE"}), "+OK\r\n");
  EXPECT_FALSE(server().engine().clients().at(2)->postponed);
  EXPECT_FALSE(server().engine().clients().at(2)->blocked);
  EXPECT_FALSE(server().engine().paused());
  EXPECT_EQ(Take(b), ":1\r\n");
}

TEST_F(ClientServerTest, PauseAllHoldsEverything) {
  Start();
  const size_t a = Connect();
  const size_t b = Connect();
  EXPECT_EQ(Send(a, {"CLIENT", "PAUSE", "300"}), "+OK\r\n");
  EXPECT_EQ(Send(b, {"GET", "k"}, absl::Milliseconds(200)), "");
  // A client that disconnects while paused is forgotten.
  const size_t c = Connect();
  EXPECT_EQ(Send(c, {"PING"}), "");
  clients_[c]->stream->Close();
  clients_[c]->closed = true;
  world_->RunFor(absl::Milliseconds(200));
  EXPECT_EQ(Take(b), "$-1\r\n");
  EXPECT_EQ(server().server().connection_count(), 2u);
  EXPECT_EQ(Send(a, {"CLIENT", "NO-EVICT", "on"}), "+OK\r\n");
  EXPECT_EQ(Send(a, {"CLIENT", "NO-EVICT", "maybe"}), "-ERR syntax error\r\n");
}

TEST_F(ClientServerTest, IdleTimeoutClosesIdleClientsOnly) {
  Config config;
  config.timeout_s = 2;
  Start(config);
  const size_t idle = Connect();
  const size_t busy = Connect();
  const size_t sub = Connect();
  const size_t blocked = Connect();
  EXPECT_EQ(Send(idle, {"PING"}), "+PONG\r\n");
  Send(sub, {"SUBSCRIBE", "ch"});
  EXPECT_EQ(Send(blocked, {"BLPOP", "nokey", "0"}), "");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Send(busy, {"PING"}, absl::Milliseconds(900)), "+PONG\r\n");
  }
  EXPECT_TRUE(clients_[idle]->closed);
  EXPECT_FALSE(clients_[busy]->closed);
  EXPECT_FALSE(clients_[sub]->closed);
  EXPECT_FALSE(clients_[blocked]->closed);
  EXPECT_EQ(server().server().connection_count(), 3u);
}

TEST_F(ClientServerTest, NoTimeoutByDefault) {
  Start();
  const size_t a = Connect();
  world_->RunFor(absl::Seconds(30));
  EXPECT_FALSE(clients_[a]->closed);
  EXPECT_EQ(Send(a, {"PING"}), "+PONG\r\n");
}

// --- Against the engine alone. ---

TEST(CommandStatsTest, CountsCallsRejectionsAndFailures) {
  EngineHarness h(RegisterAllFamilies);
  h.Run({"SET", "k", "v"});
  h.Run({"SET", "k", "v", "XX"});
  h.Run({"SET"});                 // rejected: arity
  h.Run({"INCR", "k"});           // failed: not an integer
  h.Run({"CLIENT", "ID"});
  const std::string info = h.Run({"INFO", "commandstats"});
  EXPECT_TRUE(absl::StartsWith(info, "# Commandstats\r\n")) << info;
  EXPECT_TRUE(absl::StrContains(
      info, "cmdstat_set:calls=2,usec=0,usec_per_call=0.00,rejected_calls=1,"
            "failed_calls=0\r\n"))
      << info;
  EXPECT_TRUE(absl::StrContains(
      info, "cmdstat_incr:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,"
            "failed_calls=1\r\n"))
      << info;
  EXPECT_TRUE(absl::StrContains(info, "cmdstat_client|id:calls=1,")) << info;
  EXPECT_FALSE(absl::StrContains(info, "cmdstat_get:")) << info;
  // Not in the default sections; in "all".
  EXPECT_FALSE(absl::StrContains(h.Run({"INFO"}), "cmdstat_"));
  EXPECT_TRUE(absl::StrContains(h.Run({"INFO", "all"}), "cmdstat_set:"));
  EXPECT_EQ(h.Run({"CONFIG", "RESETSTAT"}), "OK");
  EXPECT_FALSE(
      absl::StrContains(h.Run({"INFO", "commandstats"}), "cmdstat_set:"));
}

TEST(SlowLogTest, LogsWithRedisFormatAndLimits) {
  Config config;
  config.slowlog_log_slower_than_us = 0;  // everything
  config.slowlog_max_len = 3;
  EngineHarness h(RegisterAllFamilies, config);
  h.client().peer = "1.2.3.4:5";
  h.client().name = "me";
  EXPECT_EQ(h.Run({"SLOWLOG", "RESET"}), "OK");
  h.Run({"SET", "k", std::string(130, 'x')});
  std::vector<std::string> many = {"DEL"};
  for (int i = 0; i < 40; ++i) many.push_back(absl::StrCat("k", i));
  h.Run(many);
  EXPECT_EQ(h.Run({"SLOWLOG", "LEN"}), "(integer) 3");  // RESET, SET, DEL
  // Newest first: SLOWLOG LEN itself, DEL, SET (RESET fell off).
  Reply get = h.RunReply({"SLOWLOG", "GET", "3"});
  ASSERT_EQ(get.elements.size(), 3u);
  EXPECT_EQ(get.elements[0].elements[3].elements[1].str, "LEN");
  const Reply& del = get.elements[1];
  ASSERT_EQ(del.elements.size(), 6u);
  EXPECT_EQ(del.elements[0].integer, 2);
  ASSERT_EQ(del.elements[3].elements.size(), 32u);
  EXPECT_EQ(del.elements[3].elements[30].str, "k29");
  EXPECT_EQ(del.elements[3].elements[31].str, "... (10 more arguments)");
  EXPECT_EQ(del.elements[4].str, "1.2.3.4:5");
  EXPECT_EQ(del.elements[5].str, "me");
  const Reply& set = get.elements[2];
  EXPECT_EQ(set.elements[3].elements[2].str,
            std::string(128, 'x') + "... (2 more bytes)");
  // max len 3: the oldest goes.
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"SLOWLOG", "LEN"}), "(integer) 3");
  EXPECT_EQ(h.RunReply({"SLOWLOG", "GET", "-1"}).elements.size(), 3u);
  EXPECT_EQ(h.Run({"SLOWLOG", "GET", "-2"}),
            "(error) ERR count should be greater than or equal to -1");
  EXPECT_EQ(h.Run({"SLOWLOG", "GET", "abc"}),
            "(error) ERR count should be greater than or equal to -1");
  // AUTH is never logged (it carries a password).
  h.Run({"SLOWLOG", "RESET"});
  h.Run({"AUTH", "default", "x"});
  EXPECT_EQ(h.Run({"SLOWLOG", "LEN"}), "(integer) 1");  // the RESET
}

TEST(SlowLogTest, DisabledByNegativeThreshold) {
  Config config;
  config.slowlog_log_slower_than_us = -1;
  EngineHarness h(RegisterAllFamilies, config);
  h.Run({"SET", "a", "b"});
  EXPECT_EQ(h.Run({"SLOWLOG", "LEN"}), "(integer) 0");
}

}  // namespace
}  // namespace twinkv

namespace twinkv {
namespace {

// A half frame and then nothing is an idle client like any other: the
// timeout drops it (and its partial input with it).
TEST_F(ClientServerTest, IdleTimeoutDropsAHalfFrame) {
  Config config;
  config.timeout_s = 2;
  Start(config);
  const size_t half = Connect();
  EXPECT_EQ(SendRaw(half, "*2\r\n$3\r\nGET\r\n$10\r\nabc"), "");
  world_->RunFor(absl::Seconds(4));
  EXPECT_TRUE(clients_[half]->closed);
  EXPECT_EQ(server().server().connection_count(), 0u);
}

}  // namespace
}  // namespace twinkv
