// The "reconnect" scenario: core's pipelined Client and connection Pool
// (core/client/) under fire. 1 to 3 server nodes run the real server
// (core's ServerNode, no AOF); 2 to 4 client nodes each run one process
// holding a Client and a Pool per server (pool bounds, client timeouts,
// heartbeats and backoff drawn from the seed) and a workload from the
// node's own stream: tagged requests sent straight on a Client or through
// a pool lease (borrow, send 1 to 4, return at once or after the replies,
// sometimes MarkBroken), each with its own timeout.
//
// Requests and their tags, so that a reply given to the wrong request is
// visible:
//   ECHO e<id>           the reply must be exactly e<id>;
//   SET n<i>:k<j> v<id>  the reply must be OK;
//   GET n<i>:k<j>        nil, or v<m> where request m is a SET of that key;
//   INCR n<i>:c<j>       an integer from 1 to the number of INCRs of that
//                        key sent so far (a crash starts it over).
// <id> is the request's run-wide id; only node i writes keys n<i>:*.
//
// Oracle (the contracts of core/client/client.h and pool.h):
//   - Every request and every Borrow completes exactly once (a second
//     completion fails at once; a missing one at the end).
//   - A reply fits its request as above; a RESP error reply fails.
//   - A failed request carries one of the contract's codes:
//     kDeadlineExceeded (not before its timeout passed), kUnknown,
//     kResourceExhausted, or kCancelled (only once its client was closed,
//     or for requests on a lease already returned); anything else fails.
//     A Borrow fails only with kDeadlineExceeded (not early) or, once the
//     pool closes, kCancelled.
//   - Nothing completes inside Send() or Borrow() (the future comes back
//     pending).
//   - Nothing hangs: a request or a Borrow still pending 1 s (node clock)
//     after its deadline fails the run.
//   - Pool bounds after every pool call and every completion:
//     open <= max_connections, idle <= max_idle, idle + lent <= open.
//
// Faults (FaultConfig::Swarm from the "swarm" stream): network faults on
// every link (partitions, clogs, black holes, resets, dropped
// connections, refused and lost SYNs), clock faults on every node, and
// crashes (kill -9 and power cuts; every key is lost, there is no AOF) and
// pauses of the servers only (process_targets); clients never crash.
// Latency spikes come from the world's latency model (spike probability
// and size drawn per seed).
//
// Phases (simulated time; `scale` stretches the first):
//  1. Faults, 20 s * scale, with the workload running.
//  2. Heal: StopFaults, HealAll, down servers booted, the workload stops.
//     Liveness: every Client and every Pool of every node must get a fresh
//     ECHO answered within 30 s (retrying after failures); a hang names
//     the target and its state.
//  3. Close every Client and Pool (with whatever is still in flight) and
//     run until every done callback ran (limit 30 s). Then: each done ran
//     once, every request completed exactly once, every pool reports
//     open == idle == lent == waiting == 0 (no leaked connections), every
//     client is closed with nothing pending.
//
// Only the fault schedule is recorded for replay and shrinking: the
// workload comes from the seed (ScenarioOptions::workload is ignored).
//
// Threading contract: single-threaded; Run() may be called again.

#ifndef TWINKV_SIM_SCENARIOS_RECONNECT_SCENARIO_H_
#define TWINKV_SIM_SCENARIOS_RECONNECT_SCENARIO_H_

#include "absl/strings/string_view.h"
#include "sim/scenario.h"

namespace twinkv::sim {

class ReconnectScenario final : public Scenario {
 public:
  // Planted bugs, for tests that show the oracle catches them.
  enum class Sabotage {
    kNone,
    // One successful ECHO is checked against the previous ECHO's reply, as
    // a client that matched replies to the wrong requests would deliver.
    kSwapReplies,
    // One completion is not recorded (caught at the end: it never came).
    kDropCompletion,
    // One completion is recorded twice (caught at once).
    kDoubleCompletion,
    // One lease is never returned (caught when its pool never finishes
    // closing, or reports an open connection).
    kLeakLease,
  };

  absl::string_view name() const override { return "reconnect"; }
  absl::string_view description() const override {
    return "pipelined clients and pools against 1-3 servers under resets, "
           "partitions, clogs, latency spikes and server crashes; every "
           "request completes exactly once with its own reply, nothing "
           "hangs after healing, pools stay bounded and leak nothing";
  }
  ScenarioResult Run(const ScenarioOptions& options) override;

  // --- Test hooks. ---
  void set_sabotage(Sabotage sabotage) { sabotage_ = sabotage; }
  // Whether the last run's sabotage took effect.
  bool sabotage_fired() const { return sabotage_fired_; }

 private:
  Sabotage sabotage_ = Sabotage::kNone;
  bool sabotage_fired_ = false;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_RECONNECT_SCENARIO_H_
