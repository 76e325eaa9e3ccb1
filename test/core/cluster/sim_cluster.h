// Real ServerNodes in the simulator for the cluster tests: node addresses,
// their configuration, and the process that runs one.

#ifndef TWINKV_TEST_CORE_CLUSTER_SIM_CLUSTER_H_
#define TWINKV_TEST_CORE_CLUSTER_SIM_CLUSTER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/cluster/slots.h"
#include "core/config.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "sim/world.h"

namespace twinkv::cluster_test {

inline constexpr uint16_t kPort = 6379;

// Node i's address and id: 10.0.0.<i + 1>, port kPort.
inline std::string Ip(int i) { return absl::StrCat("10.0.0.", i + 1); }
inline std::string Id(int i) { return absl::StrCat(Ip(i), ":", kPort); }
// The ids of nodes 0 .. n-1.
inline std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(Id(i));
  return ids;
}

// A node reachable from the other simulated hosts, durable (appendfsync
// always: transactions and hand-overs must survive crashes), in cluster
// mode `mode` with `members` and itself `self` ("" mode: standalone).
inline Config NodeConfig(const std::string& mode,
                         std::vector<std::string> members,
                         const std::string& self) {
  Config config;
  config.bind = {"0.0.0.0"};
  config.protected_mode = false;
  config.port = kPort;
  config.appendonly = true;
  config.appendfsync = "always";
  if (!mode.empty()) {
    config.cluster_mode = mode;
    config.cluster_nodes = std::move(members);
    config.cluster_self = self;
  }
  return config;
}

// Fills keys[i] with keys "key:0", "key:1", ... that `map` gives node i,
// until every node has at least `at_least` of them.
template <size_t N>
void KeysByOwner(const SlotMap& map, size_t at_least,
                 std::vector<std::string> (&keys)[N]) {
  auto short_of = [&] {
    for (const auto& k : keys) {
      if (k.size() < at_least) return true;
    }
    return false;
  };
  for (int i = 0; short_of(); ++i) {
    std::string key = absl::StrCat("key:", i);
    keys[map.OwnerOfKey(key)].push_back(std::move(key));
  }
}

class ServerProcess final : public sim::Process {
 public:
  ServerProcess(sim::Node& node, Config config)
      : server_(node, std::move(config)) {
    absl::Status status = server_.Start();
    EXPECT_TRUE(status.ok()) << status;
  }
  ServerNode& server() { return server_; }

 private:
  ServerNode server_;
};

}  // namespace twinkv::cluster_test

#endif  // TWINKV_TEST_CORE_CLUSTER_SIM_CLUSTER_H_
