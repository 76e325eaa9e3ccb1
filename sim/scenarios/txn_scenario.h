// The "txn" scenario: MULTI/EXEC isolation and atomicity, checked in the
// style of Jepsen's Elle list-append workload. One node runs the real
// server (core's ServerNode, no AOF: a crash empties it); 3 to 6 client
// nodes each run 1 to 3 "lanes", a lane being one core Client running one
// transaction at a time:
//   write: MULTI; GET boot; RPUSH l<k> w<id> (1 to 3 distinct keys of
//          kKeys); EXEC
//   read:  MULTI; GET boot; LRANGE l<k> 0 -1 (every key); EXEC
// <id> is the transaction's run-wide id, so every appended value is unique
// and names its writer. "boot" holds the server's incarnation (set by the
// server process itself at start), so that every committed transaction
// knows which incarnation ran it.
//
// Transactions and the client. A transaction's commands are sent in one
// loop turn (the Client writes them in one Stream::Write, all on one
// connection) with deadlines that shrink along the transaction (EXEC's is
// the shortest, MULTI's the longest): if one of them is dropped unwritten,
// so is everything after it, and the server discards a MULTI without EXEC
// when the connection goes. A lane whose transaction saw any failure
// replaces its Client, so no half transaction can merge into the next.
//
// Oracle, per server incarnation (reads and committed writes carry it):
//   - Prefix order: for each key, every read's list is a prefix of the
//     longest one read (one total order of appends per key).
//   - Every value read was written by a transaction that appended to that
//     key; no value appears twice in a list.
//   - Atomic visibility: a read that sees write T's value in one key sees
//     T's value in every other key T appended to (reads cover every key).
//     This holds for transactions of unknown outcome too.
//   - Positions: a committed write's RPUSH reply n puts its value at index
//     n-1 in every read that is long enough.
//   - Real time: a read sent after a committed write's EXEC reply came
//     (omniscient simulated time) in the same incarnation contains it.
//   - Any EXEC reply other than an array of the expected shape fails.
// Liveness: after healing, every client must commit a read within 30 s.
//
// Faults (FaultConfig::Swarm from the "swarm" stream): network faults on
// every link, clock faults, and crashes (kill -9, power cuts) and pauses
// of the server only; clients never crash.
//
// Phases: faults for 20 s * scale; heal (StopFaults, HealAll, boot the
// server) and run 5 s more; stop the workload and drain (30 s); check.
// Only the fault schedule is recorded for replay.
//
// Threading contract: single-threaded; Run() may be called again.

#ifndef TWINKV_SIM_SCENARIOS_TXN_SCENARIO_H_
#define TWINKV_SIM_SCENARIOS_TXN_SCENARIO_H_

#include "absl/strings/string_view.h"
#include "sim/scenario.h"

namespace twinkv::sim {

class TxnScenario final : public Scenario {
 public:
  enum class Sabotage {
    kNone,
    // Write transactions with two or more keys send their last RPUSH
    // outside the transaction, 20 ms after EXEC: a non-atomic apply that
    // the atomic-visibility check must catch.
    kSplitTransaction,
  };

  absl::string_view name() const override { return "txn"; }
  absl::string_view description() const override {
    return "MULTI/EXEC list-append transactions from many clients under "
           "network faults and server crashes; Elle-style checks of prefix "
           "order, atomic visibility and real-time order";
  }
  ScenarioResult Run(const ScenarioOptions& options) override;

  void set_sabotage(Sabotage sabotage) { sabotage_ = sabotage; }

 private:
  Sabotage sabotage_ = Sabotage::kNone;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_TXN_SCENARIO_H_
