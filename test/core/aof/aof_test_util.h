// A simulated node running an engine with its AOF (no network), for the
// AOF tests: boot, crash and restart it, run commands, read its files.
// The node's disk is the simulator's, so a power cut loses unsynced data.

#ifndef TWINKV_TEST_CORE_AOF_AOF_TEST_UTIL_H_
#define TWINKV_TEST_CORE_AOF_AOF_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/aof.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/resp/reply_writer.h"
#include "gtest/gtest.h"
#include "sim/mem_files.h"
#include "sim/world.h"

namespace twinkv {

// A server process without the network: an engine and its AOF.
struct AofProcess : public sim::Process {
  AofProcess(sim::Node& node, const Config& config)
      : engine(node, config, RegisterAllFamilies), aof(node, engine) {
    open_status = aof.Open();
  }
  ~AofProcess() override { engine.set_command_log(nullptr); }
  Engine engine;
  Aof aof;
  absl::Status open_status;
};

class AofNodeTest : public ::testing::Test {
 protected:
  explicit AofNodeTest(uint64_t seed)
      : world_(seed), node_(world_.AddNode("server", "10.0.0.1")) {
    config_.appendonly = true;
    config_.appendfsync = "always";
    config_.dir = "/data";
    node_.mem_files().CreateDir("/data").IgnoreError();
    node_.mem_files().SyncDir("/").IgnoreError();
    node_.SetBoot([this](sim::Node& node) {
      return std::make_unique<AofProcess>(node, config_);
    });
  }

  void Boot() {
    node_.Boot();
    world_.RunFor(absl::ZeroDuration());
  }
  void Restart(sim::CrashKind kind) {
    node_.Crash(kind);
    Boot();
  }
  AofProcess& p() { return *node_.process_as<AofProcess>(); }

  // Runs a command on the node's loop; returns the raw reply once it may
  // go out (the AOF acknowledged it), or "<dropped>" if it never may.
  std::string Run(std::vector<std::string> args) {
    auto out = std::make_shared<std::string>();
    auto state = std::make_shared<int>(0);  // 0 pending, 1 ok, 2 dropped
    node_.executor().Post([this, args, out, state] {
      std::vector<absl::string_view> views(args.begin(), args.end());
      ReplyWriter reply(out.get());
      p().engine.Execute(client_, ArgList(views), reply);
      CommandLog* log = p().engine.command_log();
      if (log == nullptr || log->acknowledged() >= log->appended()) {
        *state = 1;
        return;
      }
      log->WhenAcknowledged(log->appended(),
                            [state](bool ok) { *state = ok ? 1 : 2; });
    });
    world_.RunUntil([&] { return *state != 0; }, absl::Seconds(10));
    if (*state == 2) return "<dropped>";
    return *out;
  }

  std::string ReadFile(const std::string& path) {
    auto f = node_.mem_files().Open(path, OpenMode::kRead);
    if (!f.ok()) return "";
    std::string data(1 << 20, '\0');
    absl::StatusOr<size_t> n = (*f)->ReadAt(0, absl::Span<char>(data));
    data.resize(n.ok() ? *n : 0);
    return data;
  }
  std::string IncrPath() {
    return absl::StrCat("/data/appendonlydir/",
                        p().aof.manifest().incrs.back().name);
  }

  sim::World world_;
  sim::Node& node_;
  Config config_;
  ClientState client_;
};

}  // namespace twinkv

#endif  // TWINKV_TEST_CORE_AOF_AOF_TEST_UTIL_H_
