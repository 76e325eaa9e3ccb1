// A small scenario for the simulator's own tests: a line-protocol key-value
// server process that logs its writes to disk and replays the log at boot,
// and client processes that issue requests, time out, and reconnect. It
// exercises every part of the runtime (network, timers, files, buggify) the
// way a real server does, without depending on core/.
//
// Protocol: "SET <k> <v>\n" -> "OK\n"; "GET <k>\n" -> "<v>\n" or "NIL\n".
//
// Single-threaded: everything runs on the nodes' loops.

#ifndef TWINKV_TEST_SIM_KV_SCENARIO_H_
#define TWINKV_TEST_SIM_KV_SCENARIO_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "sim/faults.h"
#include "sim/world.h"
#include "transport/runtime.h"

namespace twinkv::sim::testing {

inline constexpr uint16_t kKvPort = 7000;

class KvServer final : public Process {
 public:
  explicit KvServer(Node& node);
  ~KvServer() override;

  size_t keys() const { return data_.size(); }
  uint64_t requests() const { return requests_; }

 private:
  class Conn;
  void OnAccept(std::unique_ptr<Stream> stream);
  std::string Execute(absl::string_view line);
  void Sweep();

  Node& node_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<File> log_;
  absl::flat_hash_map<std::string, std::string> data_;
  std::vector<std::unique_ptr<Conn>> conns_;
  bool sweep_posted_ = false;
  uint64_t requests_ = 0;
};

class KvClient final : public Process {
 public:
  KvClient(Node& node, std::string server, absl::Duration think_max);
  ~KvClient() override;

  uint64_t ok() const { return ok_; }
  uint64_t errors() const { return errors_; }

 private:
  void Connect();
  void SendNext();
  void ReadReply();
  void Fail();
  void Arm(absl::Duration d, void (KvClient::*what)());

  Node& node_;
  const std::string server_;
  const absl::Duration think_max_;
  std::unique_ptr<Stream> stream_;
  std::string request_;
  std::string reply_;
  char buf_[512];
  TimerId timer_ = 0;
  uint64_t generation_ = 0;  // bumped per connection: stale callbacks quit
  uint64_t ok_ = 0;
  uint64_t errors_ = 0;
};

struct ScenarioOptions {
  int clients = 3;
  absl::Duration duration = absl::Seconds(30);
  absl::Duration think_max = absl::Milliseconds(5);
  bool event_log = false;
  // The generator, or a replay of a schedule (with the same config).
  std::optional<FaultConfig> faults;
  std::optional<std::vector<ScheduledFault>> replay;
  WorldOptions world;
};

struct ScenarioResult {
  uint64_t hash = 0;
  uint64_t events = 0;
  uint64_t ok = 0;
  uint64_t errors = 0;
  int server_boots = 0;
  std::vector<ScheduledFault> record;
  std::vector<EventRecord> log;
  std::string buggify_report;
};

// Runs a server ("server", 10.0.0.1) and `clients` clients for `duration`.
ScenarioResult RunKvScenario(uint64_t seed, const ScenarioOptions& options);

}  // namespace twinkv::sim::testing

#endif  // TWINKV_TEST_SIM_KV_SCENARIO_H_
