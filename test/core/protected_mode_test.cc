// Redis's protected mode in the Server: with protected-mode yes, no
// password and a bind beyond loopback, a client from another host gets the
// DENIED error and is disconnected; loopback clients, or any client once a
// password is set (or protected mode is off, or the bind is loopback only),
// are served.

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/errors.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "sim/world.h"

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

 private:
  ServerNode server_;
};

class ProtectedModeTest : public ::testing::Test {
 protected:
  // Boots a server with `config` on 10.0.0.1 and sends PING from `from`
  // (a node of its own, or the server's node itself via 127.0.0.1); returns
  // what came back before the connection closed (or 1 s passed).
  std::string PingFrom(Config config, bool from_loopback) {
    config.port = kPort;
    World world(3);
    Node& srv = world.AddNode("srv", "10.0.0.1");
    Node& cli = world.AddNode("cli", "10.0.0.2");
    srv.SetBoot([config](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<ServerProcess>(node, config);
    });
    srv.Boot();
    Node& client_node = from_loopback ? srv : cli;
    const std::string host = from_loopback ? "127.0.0.1" : "10.0.0.1";
    std::unique_ptr<Stream> stream;
    std::string got;
    bool closed = false;
    char buf[1024];
    std::function<void()> read_more = [&] {
      stream->Read(absl::MakeSpan(buf), [&](NetError error, size_t n) {
        if (error != NetError::kOk) {
          closed = true;
          return;
        }
        got.append(buf, n);
        read_more();
      });
    };
    const std::string ping = "*1\r\n$4\r\nPING\r\n";
    client_node.executor().Post([&] {
      client_node.network().Connect(
          Address{host, kPort}, absl::Seconds(1),
          [&](NetError error, std::unique_ptr<Stream> s) {
            ASSERT_EQ(error, NetError::kOk);
            stream = std::move(s);
            stream->Write(ping, [](NetError) {});
            read_more();
          });
    });
    world.RunFor(absl::Seconds(1));
    if (stream != nullptr && !closed) stream->Close();
    return closed ? got + "<closed>" : got;
  }
};

TEST_F(ProtectedModeTest, RemoteClientWithoutPasswordIsDenied) {
  Config config;
  config.bind = {"0.0.0.0"};
  EXPECT_EQ(PingFrom(config, /*from_loopback=*/false),
            absl::StrCat("-", kProtectedModeErr, "\r\n<closed>"));
}

TEST_F(ProtectedModeTest, LoopbackClientIsServed) {
  Config config;
  config.bind = {"0.0.0.0"};
  EXPECT_EQ(PingFrom(config, /*from_loopback=*/true), "+PONG\r\n");
}

TEST_F(ProtectedModeTest, PasswordOrProtectedModeOffOrLoopbackBindServes) {
  Config with_password;
  with_password.bind = {"0.0.0.0"};
  with_password.requirepass = "secret";
  EXPECT_EQ(PingFrom(with_password, false),
            "-NOAUTH Authentication required.\r\n");
  Config off;
  off.bind = {"0.0.0.0"};
  off.protected_mode = false;
  EXPECT_EQ(PingFrom(off, false), "+PONG\r\n");
  // Bound only to loopback: remote clients cannot reach it at all; a
  // loopback one is served.
  Config loopback;
  loopback.bind = {"127.0.0.1"};
  EXPECT_EQ(PingFrom(loopback, true), "+PONG\r\n");
}

}  // namespace
}  // namespace twinkv
