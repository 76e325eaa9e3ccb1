// The "cluster" scenario: a twinkv cluster of 3 to 5 real server nodes
// (core's ServerNode, appendonly yes, appendfsync always: every reply to a
// write comes after its fsync) under network faults and crashes, checked
// for per-key linearizability, durability of acknowledged writes,
// atomicity of cross-node MSET and liveness after healing.
//
// Mode, per seed: odd seeds cluster-mode proxy, even seeds redirect, so a
// sweep covers both.
//   proxy:    each client node runs core's Client (pipelined, reconnecting)
//             to one random server, and moves to another random server
//             every few seconds; any node takes any command.
//   redirect: each client node runs a small cluster-aware client (here):
//             one core Client per server, a slot -> node cache, starts at
//             a random node, follows -MOVED (updating the cache) and -ASK
//             (ASKING, then the command, at the named node), retries
//             -TRYAGAIN, at most kMaxHops hops per command.
//
// Workload. 2 to 4 client nodes with 2 to 4 lanes each; a lane sends one
// command at a time. Keys: 9 string keys and 3 counters spread over the
// nodes, 3 keys of one hash tag ("{t}a".."{t}c", one node), and in proxy
// mode 2 "atomicity groups" of 3 keys on 3 different nodes. Commands:
// GET SET DEL APPEND SETNX on strings; GET INCRBY SET DEL on counters;
// MGET, MSET (strings only), multi-key DEL over keys of different nodes
// (proxy) or of the hash tag (redirect); and, on the groups, MSET of the
// whole group to one fresh token and MGET of the whole group. Every value
// written is unique in the run.
//
// Oracles.
//  1. Linearizability per key (sim/linearizability.h), over the whole run
//     (so it spans crashes and restarts: with appendfsync always, a read
//     after a restart must still see every acknowledged write). Times are
//     the world's (omniscient). A reply is a known outcome; an error that
//     says the command did not run (-CLUSTERDOWN, -MOVED not followed,
//     a request timed out before it was written, a cancelled one) drops
//     the op; -UNKNOWN, timeouts after writing and lost connections make
//     unknown-outcome ops; -TRYAGAIN (proxy: a key stayed locked by a
//     cross-node transaction) is "not run". MSET is a SET per key, MGET a
//     GET per key; a
//     multi-key DEL is a DEL per key whose own output is not known.
//     A split command's -CLUSTERDOWN means "not run" only for MSET and only
//     when check_mset_atomicity is on (the atomic protocol's promise);
//     otherwise (DEL, or MSET without the promise) some parts may have run,
//     so it is unknown per key.
//  2. Cross-node MSET atomicity (proxy, option check_mset_atomicity): every
//     MGET of a group shows one token in all positions, or nil in all.
//  3. Liveness: once the faults stop and everything heals, within
//     kLivenessLimit every key is read successfully through every node
//     (proxy) or starting at every node and following redirects; then
//     every server loses power at once, reboots, and the same sweep must
//     succeed again (those reads are in the history: oracle 1 checks them).
//  Any reply of an unexpected shape, or an unexpected error, fails the run.
//
// Faults (the "swarm" stream picks the mix): partitions symmetric and one
// way between any nodes (servers among themselves, clients and servers),
// clogged nodes and links, black holes, resets, refused and lost SYNs,
// latency spikes, clock drift, pauses, kills and power cuts of servers
// with a restart after a delay. No disk errors (the AOF scenarios cover
// them); clients never crash.
//
// Phases: faults for 20 to 30 s * scale; heal (EndFaults); the workload
// stops and the lanes drain; the liveness sweep; a power cut of every
// server, reboot, the sweep again; then the history check. Only the fault
// schedule is recorded for replay.
//
// Threading contract: single-threaded; Run() may be called again.

#ifndef TWINKV_SIM_SCENARIOS_CLUSTER_SCENARIO_H_
#define TWINKV_SIM_SCENARIOS_CLUSTER_SCENARIO_H_

#include "absl/strings/string_view.h"
#include "sim/scenario.h"

namespace twinkv::sim {

class ClusterScenario final : public Scenario {
 public:
  enum class Sabotage {
    kNone,
    // Before the check, a fabricated GET is added to the history after the
    // final reads, returning an acknowledged value that was overwritten: a
    // stale read the linearizability check must catch.
    kStaleRead,
  };

  explicit ClusterScenario(bool check_mset_atomicity = true)
      : check_mset_atomicity_(check_mset_atomicity) {}

  absl::string_view name() const override {
    return check_mset_atomicity_ ? "cluster" : "cluster-nonatomic-mset";
  }
  absl::string_view description() const override {
    return "3-5 AOF nodes in proxy (odd seeds) or redirect (even seeds) "
           "mode under partitions, clogs, crashes and power cuts; per-key "
           "linearizability, durable acks, cross-node MSET atomicity, "
           "every key readable through every node after healing";
  }
  ScenarioResult Run(const ScenarioOptions& options) override;

  // --- Test hooks. ---
  void set_sabotage(Sabotage sabotage) { sabotage_ = sabotage; }
  bool sabotage_fired() const { return sabotage_fired_; }
  void set_check_mset_atomicity(bool on) { check_mset_atomicity_ = on; }
  bool check_mset_atomicity() const { return check_mset_atomicity_; }

 private:
  bool check_mset_atomicity_;
  Sabotage sabotage_ = Sabotage::kNone;
  bool sabotage_fired_ = false;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_CLUSTER_SCENARIO_H_
