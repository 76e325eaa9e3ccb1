// The workload of the "server" scenario as data: one line per client
// operation, generated from a client's own PRNG stream or replayed from a
// recorded (and possibly shrunk) list.
//
// Line format: "c<client> <think_us> <command> <args...>", e.g.
//   "c3 1520 SET @2 c3_17 PX 250"
// where <think_us> is how long the client waits, once it could send, before
// sending this operation. Tokens starting with '@' are resolved by the
// client when it sends: "@<digit>" names the client's key slot <digit>
// (today's key of that slot, e.g. "c3:k2.0"; a slot gets a fresh key when
// its old one is retired by the oracle), and "@<rest>" is the client's key
// prefix followed by <rest> (a KEYS pattern: "@*" is "c3:*"). Values are
// tagged with the client and the operation's number ("c3_17") so that a
// reply holding another key's or client's value stands out. No token holds
// a space, and no value starts with '@'.
//
// Because keys are slots and every line stands alone, any subset of a
// recorded workload, in the recorded order per client, is a valid workload.
//
// Single-threaded.

#ifndef TWINKV_SIM_SCENARIOS_SERVER_WORKLOAD_H_
#define TWINKV_SIM_SCENARIOS_SERVER_WORKLOAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sim/prng.h"

namespace twinkv::sim {

struct WorkloadOp {
  int client = 0;
  int64_t think_us = 0;
  std::vector<std::string> args;  // '@' tokens unresolved
};

// "c3 1520 SET @2 c3_17 PX 250".
std::string FormatWorkloadOp(const WorkloadOp& op);
// The inverse; nullopt for a malformed line.
std::optional<WorkloadOp> ParseWorkloadOp(absl::string_view line);

// Draws one client's operations: a weighted mix of the string, key, list,
// hash, set and sorted-set commands (with valid and, rarely, invalid
// options), over `slots` key slots, with exponential think times of mean
// `mean_think`. Each aggregate type prefers its own slots but sometimes
// lands on another type's, and strings and RENAME land anywhere, so every
// seed mixes types on shared keys.
class WorkloadGenerator {
 public:
  WorkloadGenerator(int client, uint64_t stream_seed, int slots,
                    absl::Duration mean_think);

  // The next operation. `wall_ms` is the client's guess of the server's
  // wall clock (Unix ms), for EXAT/PXAT arguments near "now".
  WorkloadOp Next(int64_t wall_ms);

 private:
  // Where the aggregate commands start in Next()'s weight table.
  static constexpr int kFirstAggregate = 29;

  std::string Key();
  // A key of a slot that prefers `type` (0 string, 1 list, 2 hash, 3 set,
  // 4 zset), or sometimes any slot.
  std::string TypedKey(int type);
  std::string Element();
  std::string SmallInt(int lo, int hi);
  std::string Score();
  // The list, hash, set, sorted-set and expiry commands; `which` counts
  // from kFirstAggregate.
  void NextAggregate(int which, std::vector<std::string>& args);
  std::string Tag();
  std::string Value();
  std::string Ttl(bool seconds);
  void AddSetOptions(std::vector<std::string>& args, int64_t wall_ms);
  void AddGetExOptions(std::vector<std::string>& args, int64_t wall_ms);

  const int client_;
  const int slots_;
  const absl::Duration mean_think_;
  SimRandom random_;
  int seq_ = 0;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_SERVER_WORKLOAD_H_
