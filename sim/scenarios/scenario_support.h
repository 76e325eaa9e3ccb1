// Pieces every simulation scenario in sim/scenarios/ needs the same way:
// the server configuration clients on other simulated hosts can reach, raw
// RESP request encoding and reply decoding for the scenarios that talk to
// the server without core's Client, posting work onto a node's loop, the
// livelock guard of the driver's RunUntil conditions, and the fault-phase
// and result bookkeeping around World.
//
// Threading: like sim::World, single-threaded; everything here runs on the
// world's one event loop (or before it starts). None of these helpers draws
// randomness or schedules events of its own beyond what each one states, so
// using them leaves a run's trace hash as the inlined code left it.

#ifndef TWINKV_SIM_SCENARIOS_SCENARIO_SUPPORT_H_
#define TWINKV_SIM_SCENARIOS_SCENARIO_SUPPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/config.h"
#include "core/resp/reply.h"
#include "sim/faults.h"
#include "sim/prng.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace twinkv::sim {

// A server Config listening on every address at `port` with protected mode
// off: clients come from other (simulated) hosts, without a password.
// Every other field keeps its default; callers add their own on top.
Config ScenarioServerConfig(uint16_t port);

// The World options of a scenario run: logs echoed when `options.verbose`,
// and with probability `spike_chance` latency spikes — a probability
// log-uniform in [0.001, max_spike_probability], each spike from 1 ms to a
// maximum uniform in [50 ms, max_spike] — all drawn from the seed's own
// "latency" stream (before the World exists, since its options hold them).
WorldOptions ScenarioWorldOptions(const ScenarioOptions& options,
                                  double spike_chance,
                                  double max_spike_probability,
                                  absl::Duration max_spike);

// Appends `args` to `*out` as one RESP array of bulk strings (the form a
// client sends a command in).
void EncodeCommand(const std::vector<std::string>& args, std::string* out);

// Runs `fn` on `node`'s loop, as the node's own code (one Post on the
// node's executor, nothing else).
void PostTo(Node& node, absl::AnyInvocable<void() &&> fn);

// The delay before a client's next reconnect attempt: 10 ms doubled per
// earlier attempt (`*attempts`, reset by the caller once a reply arrives),
// at most `max_backoff`, jittered uniformly over its upper half with one
// draw from `random`. Counts the attempt in `*attempts` (capped at 10).
absl::Duration ReconnectDelay(Random& random, absl::Duration max_backoff,
                              int* attempts);

// How DecodeReplies ended.
enum class DecodeStatus {
  kNeedMore,     // every complete reply was handled and erased from *in
  kStopped,      // on_reply returned false; *in is left as it was
  kUndecodable,  // not RESP (decoder.error() says why); *in left as it was
};

// Decodes every complete reply at the front of `*in` with `decoder`, and
// hands each to `on_reply` in order. Only when it runs out of complete
// replies (kNeedMore) does it erase the bytes it handled from `*in`; after
// kStopped or kUndecodable the caller is expected to drop the connection
// (and its buffer) anyway.
DecodeStatus DecodeReplies(ReplyDecoder& decoder, std::string* in,
                           absl::FunctionRef<bool(Reply)> on_reply);

// Notices a livelock: events that keep running while simulated time stands
// still (no timer can ever fire again). Poll it from the driver's RunUntil
// condition, which World checks before every event.
class LivelockGuard {
 public:
  explicit LivelockGuard(uint64_t max_events) : max_events_(max_events) {}

  // True once more than max_events() events ran since `world`'s clock
  // last moved (as seen by the previous polls); stays true until it moves.
  bool Stuck(const World& world);

  uint64_t max_events() const { return max_events_; }

 private:
  const uint64_t max_events_;
  absl::Duration still_at_ = absl::InfiniteDuration();
  uint64_t still_since_event_ = 0;
};

// Starts `faults` on `world`, or, if `options` carries a fault schedule,
// replays exactly that schedule instead.
void StartOrReplayFaults(World& world, const FaultConfig& faults,
                         const ScenarioOptions& options);

// Ends the fault phase: stops new faults, heals the whole network fabric
// and boots every one of `servers` that is down, in that order.
void EndFaults(World& world, const std::vector<Node*>& servers);

// One phase of a driver: unless the run already failed, runs `world` until
// `run.Halt()` (the run failed or livelocked) or `done()`, for at most
// `limit`; if it ended with neither, fails the run with
// "<what>: not done within <limit> (<states()>)". `RunT` has failed(),
// Halt() and Fail(absl::string_view); `done` and `states` are re-evaluated
// on every call, exactly as the driver's own RunUntil condition would be.
template <typename RunT, typename Done, typename States>
void WaitForPhase(World& world, RunT& run, absl::string_view what,
                  absl::Duration limit, Done done, States states) {
  if (run.failed()) return;
  world.RunUntil([&] { return run.Halt() || done(); }, limit);
  if (!run.failed() && !done()) {
    run.Fail(absl::StrCat(what, ": not done within ",
                          absl::FormatDuration(limit), " (", states(), ")"));
  }
}

// Fills what every scenario reports the same way from its world: trace
// hash, simulated time, events run, the fault config and record, the event
// log (if `options` asked for it) and the buggify report. Leaves failure,
// stats, workload and the rest to the caller.
void FillWorldResult(World& world, const FaultConfig& faults,
                     const ScenarioOptions& options, ScenarioResult* result);

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_SCENARIO_SUPPORT_H_
