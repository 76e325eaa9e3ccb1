// The "server" scenario: one server under fire. One node runs the real
// server (core's Engine with every command family, behind core's Server);
// 3 to 6 client nodes (drawn from the seed) send it pipelined RESP
// requests from a random workload (strings, keys, lists, hashes, sets,
// sorted sets, TTLs on all of them) while the fault generator strikes, and
// every reply is checked against a model of the keyspace
// (server_model.h).
//
// Phases of a run (simulated time; `scale` stretches the first):
//  1. Faults, 25 s * scale: FaultConfig::Swarm from the "swarm" stream, with
//     the server as the only process target (crashes, pauses; clients never
//     crash), plus network faults on every link and clock faults on every
//     node, the server included. Clients run the workload (server_
//     workload.h): each keeps 1 to 4 requests in flight, times a request out
//     after 0.3 to 3 s, then closes the connection and reconnects with
//     backoff (connect timeout 0.5 to 4 s). A request whose connection died
//     has an unknown outcome.
//  2. StopFaults, HealAll, armed SYN drops and refusals disarmed (HealAll
//     leaves them, and at high rates they pile up for minutes of connects),
//     and the server booted if it is down. Liveness: every client must
//     complete a PING within 60 s.
//  3. Settle until 60 s after the faults stopped: nothing sent during the
//     faults can still arrive (retransmissions of held bytes come at most
//     ~30 s after a heal, pauses and clogs end within 10 s), so the final
//     check sees a still keyspace.
//  4. Final check (within 60 s): each client reads every key it ever used
//     as each type (GET, LRANGE, HGETALL, SMEMBERS, ZRANGE WITHSCORES) and
//     lists its keys with KEYS; then one client lists all keys and asks
//     DBSIZE. Each answer must fit the model.
// The run stops at the first violation; ScenarioResult::failure says which
// client, which request, what came back and what the model allowed.
//
// Crashes: there is no persistence yet, so a crash loses every key. Models
// are kept per server incarnation (Node::incarnation()); a connection
// belongs to the incarnation that was current when it was established,
// and its replies are checked against that incarnation's model (which
// starts empty).
//
// Clocks: the oracle reads the server node's clock as an observer (its
// monotonic clock at send and at reply, and every wall-clock jump the
// fault record lists for it), so the wall-clock window in which a command
// ran is exact even under drift and jumps, and TTLs are checked against
// the server's own clock. Jumps and drift therefore stay on for the
// server.
//
// Workload and faults are data: ScenarioResult::workload holds the lines the
// clients fetched (server_workload.h) and fault_record the faults applied;
// ScenarioOptions::workload and ::schedule replay them (any subset stays a
// valid run). The client count and the clients' settings come from the
// seed alone.
//
// Threading contract: single-threaded; Run() may be called again.

#ifndef TWINKV_SIM_SCENARIOS_SERVER_SCENARIO_H_
#define TWINKV_SIM_SCENARIOS_SERVER_SCENARIO_H_

#include "absl/strings/string_view.h"
#include "sim/scenario.h"

namespace twinkv::sim {

class ServerScenario final : public Scenario {
 public:
  // Planted bugs, for tests that show the oracle catches them.
  enum class Sabotage {
    kNone,
    // One reply that the model fully determines (a bulk string) is altered
    // on its way to the checker, as a server returning a wrong value would.
    kCorruptReply,
    // The model forgets one acknowledged plain SET that changed a key, as
    // if the server had lost the write (caught if the key is read again
    // before it is overwritten or the server crashes).
    kDropModelWrite,
    // Just before the final check, one key that the model says surely
    // exists is deleted from the server's keyspace behind its back.
    kServerDropsKey,
  };

  absl::string_view name() const override { return "server"; }
  absl::string_view description() const override {
    return "one server and 3-6 pipelining clients under network, process and "
           "clock faults; every reply checked against a keyspace model";
  }
  ScenarioResult Run(const ScenarioOptions& options) override;

  // --- Test hooks. ---
  void set_sabotage(Sabotage sabotage) { sabotage_ = sabotage; }
  // Whether the last run's sabotage took effect.
  bool sabotage_fired() const { return sabotage_fired_; }
  // Turns buggify on and forces every point of core/fault_points.h on with
  // `probability` in every run (0: the seed decides, the default).
  void set_force_buggify(double probability) { force_buggify_ = probability; }

 private:
  Sabotage sabotage_ = Sabotage::kNone;
  bool sabotage_fired_ = false;
  double force_buggify_ = 0;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_SERVER_SCENARIO_H_
