// The Client against a real twinkv server over real sockets (AsioRuntime,
// 127.0.0.1, an OS-picked port): the same code the simulator tests, in the
// production world. Pipelining and in-order matching only; faults are the
// simulator's business (client_test.cc).

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/config.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "transport/asio_runtime.h"

namespace twinkv {
namespace {

TEST(ClientAsioTest, PipelinesAgainstARealServer) {
  AsioRuntime runtime;
  std::printf("seed %llu\n", static_cast<unsigned long long>(runtime.seed()));
  Config config;
  config.bind = {"127.0.0.1"};
  config.port = 0;
  ServerNode server(runtime, config);
  ASSERT_TRUE(server.Start().ok());
  const uint16_t port = server.server().port();
  ASSERT_NE(port, 0);

  ClientOptions options;
  options.address = Address{"127.0.0.1", port};
  auto client = std::make_unique<Client>(runtime, options);
  constexpr int kCount = 2000;
  std::vector<int64_t> values;
  int errors = 0;
  for (int i = 0; i < kCount; ++i) {
    client->Send({"INCR", "n"}).Then([&](ReplyOrError r) {
      if (!r.ok() || r->type != Reply::Type::kInteger) {
        ++errors;
        return;
      }
      values.push_back(r->integer);
    });
  }
  ASSERT_TRUE(runtime.RunUntil(
      [&] { return values.size() + errors == kCount; }, absl::Seconds(20)));
  EXPECT_EQ(errors, 0);
  for (int i = 0; i < static_cast<int>(values.size()); ++i) {
    ASSERT_EQ(values[i], i + 1);
  }
  EXPECT_LT(client->stats().writes, static_cast<uint64_t>(kCount) / 10);

  ReplyOrError get = absl::InternalError("not completed");
  bool got = false;
  client->Send({"GET", "n"}).Then([&](ReplyOrError r) {
    get = std::move(r);
    got = true;
  });
  ASSERT_TRUE(runtime.RunUntil([&] { return got; }, absl::Seconds(10)));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(*get, Reply::Bulk(std::to_string(kCount)));

  bool closed = false;
  client->Close([&] { closed = true; });
  ASSERT_TRUE(runtime.RunUntil([&] { return closed; }, absl::Seconds(10)));
  EXPECT_EQ(client->state(), Client::State::kClosed);
  client.reset();

  bool down = false;
  server.Shutdown([&] { down = true; });
  ASSERT_TRUE(runtime.RunUntil([&] { return down; }, absl::Seconds(10)));
}

}  // namespace
}  // namespace twinkv
