// client-output-buffer-limit in the Server: the pubsub class's hard and
// soft limits and the normal class's, on a simulated network whose buffers
// are small so that a client that does not read backs up into the server.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/config.h"
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
  ServerProcess(Node& node, std::string limits)
      : server_(node, MakeConfig(std::move(limits))) {
    absl::Status status = server_.Start();
    EXPECT_TRUE(status.ok()) << status;
  }
  ServerNode& node() { return server_; }

 private:
  static Config MakeConfig(std::string limits) {
    Config config;
    config.bind = {"0.0.0.0"};
    // Clients come from other (simulated) hosts, without a password.
    config.protected_mode = false;
    config.port = kPort;
    config.client_output_buffer_limit = std::move(limits);
    return config;
  }
  ServerNode server_;
};

std::string Encode(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  }
  return out;
}

class OutputLimitTest : public ::testing::Test {
 protected:
  void Start(std::string limits) {
    sim::WorldOptions options;
    options.network.send_buffer = 4096;
    options.network.recv_buffer = 4096;
    world_ = std::make_unique<World>(1, options);
    srv_ = &world_->AddNode("srv", "10.0.0.1");
    cli_ = &world_->AddNode("cli", "10.0.0.2");
    srv_->SetBoot([limits](Node& node) -> std::unique_ptr<Process> {
      return std::make_unique<ServerProcess>(node, limits);
    });
    srv_->Boot();
    cli_->network().Connect(
        Address{"10.0.0.1", kPort}, absl::Seconds(1),
        [this](NetError error, std::unique_ptr<Stream> stream) {
          ASSERT_EQ(error, NetError::kOk);
          stream_ = std::move(stream);
        });
    world_->RunFor(absl::Milliseconds(10));
    ASSERT_NE(stream_, nullptr);
  }
  void TearDown() override {
    if (stream_ != nullptr) stream_->Close();
  }

  // Sends a command and does not read the reply.
  void Send(const std::vector<std::string>& args) {
    out_.push_back(Encode(args));
    stream_->Write(out_.back(), [](NetError) {});
    world_->RunFor(absl::Milliseconds(5));
  }
  // Publishes from inside the server's loop.
  void Publish(const std::string& channel, const std::string& message) {
    srv_->executor().Post([this, channel, message] {
      server().engine().pubsub().Publish(channel, message);
    });
    world_->RunFor(absl::Milliseconds(5));
  }
  ServerNode& server() { return srv_->process_as<ServerProcess>()->node(); }
  uint64_t disconnections() {
    return server().server().output_limit_disconnections();
  }
  bool Logged() {
    for (const std::string& line : srv_->log_lines()) {
      if (line.find("scheduled to be closed ASAP for overcoming of output "
                    "buffer limits.") != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  std::unique_ptr<World> world_;
  Node* srv_ = nullptr;
  Node* cli_ = nullptr;
  std::unique_ptr<Stream> stream_;
  std::vector<std::string> out_;
};

TEST_F(OutputLimitTest, PubSubHardLimitDisconnectsAtOnce) {
  Start("normal 0 0 0 slave 0 0 0 pubsub 65536 0 0");
  Send({"SUBSCRIBE", "ch"});
  ASSERT_EQ(server().engine().pubsub().NumSub("ch"), 1u);
  const std::string message(1000, 'm');
  size_t most = 0;
  int published = 0;
  while (disconnections() == 0 && published < 1000) {
    Publish("ch", message);
    ++published;
    most = std::max(most, server().server().max_client_output_bytes());
  }
  EXPECT_EQ(disconnections(), 1u);
  // The buffers hold ~8 KiB; the rest waited in the server, up to the limit.
  EXPECT_GT(published, 65536 / 1000);
  EXPECT_LT(published, 65536 / 1000 + 20);
  EXPECT_LE(most, 65536u + 1100u);
  world_->RunFor(absl::Milliseconds(10));
  EXPECT_EQ(server().engine().pubsub().NumSub("ch"), 0u);
  EXPECT_EQ(server().server().connection_count(), 0u);
  EXPECT_TRUE(Logged());
}

TEST_F(OutputLimitTest, PubSubSoftLimitNeedsItsSeconds) {
  Start("normal 0 0 0 slave 0 0 0 pubsub 0 16384 2");
  Send({"SUBSCRIBE", "ch"});
  const std::string message(1000, 'm');
  // Fill past the soft limit.
  for (int i = 0; i < 40; ++i) Publish("ch", message);
  EXPECT_GE(server().server().max_client_output_bytes(), 16384u);
  EXPECT_EQ(disconnections(), 0u);
  // Over the limit for 1.5 s: still there.
  for (int i = 0; i < 3; ++i) {
    world_->RunFor(absl::Milliseconds(500));
    Publish("ch", "x");
  }
  EXPECT_EQ(disconnections(), 0u);
  EXPECT_EQ(server().engine().pubsub().NumSub("ch"), 1u);
  // Past 2 s: the next message closes it.
  world_->RunFor(absl::Milliseconds(600));
  Publish("ch", "x");
  EXPECT_EQ(disconnections(), 1u);
  world_->RunFor(absl::Milliseconds(10));
  EXPECT_EQ(server().engine().pubsub().NumSub("ch"), 0u);
}

TEST_F(OutputLimitTest, PubSubLimitDoesNotApplyToNormalClients) {
  // A tiny pubsub limit, none for normal clients: big replies are fine.
  Start("normal 0 0 0 slave 0 0 0 pubsub 1024 0 0");
  Send({"SET", "big", std::string(20000, 'v')});
  for (int i = 0; i < 5; ++i) Send({"GET", "big"});
  EXPECT_EQ(disconnections(), 0u);
  EXPECT_GT(server().server().max_client_output_bytes(), 1024u);
}

TEST_F(OutputLimitTest, NormalHardLimitDisconnects) {
  Start("normal 32768 0 0 slave 0 0 0 pubsub 0 0 0");
  Send({"SET", "big", std::string(10000, 'v')});
  EXPECT_EQ(disconnections(), 0u);
  for (int i = 0; i < 10 && disconnections() == 0; ++i) Send({"GET", "big"});
  EXPECT_EQ(disconnections(), 1u);
  world_->RunFor(absl::Milliseconds(10));
  EXPECT_EQ(server().server().connection_count(), 0u);
  EXPECT_TRUE(Logged());
}

}  // namespace
}  // namespace twinkv
