// Runs commands against an Engine the way the protocol does, for tests that
// read like the protocol:
//
//   EngineHarness h(RegisterStringFamily);  // or RegisterAllFamilies
//   EXPECT_EQ(h.Run({"SET", "k", "v"}), "OK");
//   EXPECT_EQ(h.Run({"GET", "k"}), "v");
//   EXPECT_EQ(h.Run({"GET", "nokey"}), "(nil)");
//   EXPECT_EQ(h.Run({"INCR", "k"}), "(error) ERR value is not an integer or out of range");
//
// Run() encodes the reply through ReplyWriter, decodes it with ReplyDecoder
// and renders it compactly: status and bulk as their text, integers as
// "(integer) N", null as "(nil)", errors as "(error) MSG", arrays as
// "[a, b, ...]". RunReply() returns the decoded Reply for finer checks, and
// RunRaw() the raw RESP bytes.

#ifndef TWINKV_TEST_CORE_ENGINE_TEST_UTIL_H_
#define TWINKV_TEST_CORE_ENGINE_TEST_UTIL_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/cluster/router.h"
#include "core/engine.h"
#include "core/resp/reply.h"
#include "test/core/test_runtime.h"

namespace twinkv {

std::string RenderReply(const Reply& reply);

class EngineHarness {
 public:
  // An engine with the given families (a function or a lambda that calls
  // several Register*Family) over a TestRuntime.
  explicit EngineHarness(
      absl::FunctionRef<void(CommandTable&)> register_families,
      Config config = Config());
  ~EngineHarness();

  std::string Run(std::initializer_list<absl::string_view> args) {
    return RenderReply(RunReply(std::vector<absl::string_view>(args)));
  }
  std::string Run(const std::vector<std::string>& args);
  Reply RunReply(const std::vector<absl::string_view>& args);
  std::string RunRaw(const std::vector<absl::string_view>& args);

  Engine& engine() { return engine_; }
  TestRuntime& runtime() { return runtime_; }
  ClientState& client() { return client_; }

 private:
  TestRuntime runtime_;
  Engine engine_;
  // In cluster mode, the router a node has (core/cluster/router.h).
  std::unique_ptr<ClusterRouter> router_;
  ClientState client_;
};

}  // namespace twinkv

#endif  // TWINKV_TEST_CORE_ENGINE_TEST_UTIL_H_
