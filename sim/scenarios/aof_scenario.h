// The "aof-crash" and "aof-crash-everysec" scenarios: no acknowledged write
// is lost. One node runs the real server with its append-only file
// (core's ServerNode: engine, Aof, Server; appendonly yes, dir /data,
// appendfsync always or everysec, automatic rewrites at a small size, 1 to
// 16 KB per seed, so that rewrites happen all the time); 2 to 4 client
// nodes send it pipelined writes over a reliable network while the server
// crashes (kill -9 and power cuts, rebooting from its disk) and, with
// appendfsync always, its disk fails (EIO on write and fsync, ENOSPC, slow
// operations) and it pauses. The everysec variant has crashes only (and
// clock faults), so that its one-second bound is what is checked.
//
// Workload. Each client owns 6 to 10 keys "c<i>:<type>:<n>" of fixed types
// (string: SET, APPEND; counter: INCRBY; list: RPUSH, LPUSH, LPOP, RPOP;
// hash: HSET, HDEL, HINCRBY; set: SADD, SREM; zset: ZADD, ZINCRBY, ZREM;
// any: DEL, PEXPIRE far in the future, PERSIST), keeps 1 to 4 requests in
// flight and now and then asks for BGREWRITEAOF.
//
// Oracle (per key: one writer, one FIFO connection at a time). The key's
// history is the list of model states S[0..n] (S[0] absent), one per
// operation sent, with a durable floor. A reply is checked exactly against
// the model (the state before the operation is known: every earlier
// operation was answered or resolved) and marks the operation acknowledged;
// "-MISCONF" means it was not applied (it leaves the history); any other
// error fails the run. When a connection drops, its operations in flight
// are unknown; the client then first resolves every key (reads its whole
// value and PTTL) before anything else: the value must be S[j] for some j
// at or above the floor, and the history is cut after j.
//   - Same server process (the AOF failed and closed the connection):
//     j >= the last acknowledged operation (memory loses nothing).
//   - The server rebooted since the key was last resolved: the floor is
//     the last operation acknowledged before the first crash since then
//     (everysec, if a power cut was among those crashes: acknowledged
//     before that crash - 2.5 s); after the resolution the loaded state is
//     durable (the loader fsyncs it), so the floor moves to j.
// Crashes are observed as an omniscient oracle: each server process
// records, when it is destroyed, the time, whether the machine lost power
// and the node's incarnation. A client's connection belongs to the
// incarnation that accepted it (a connect that straddles a crash is
// dropped unused), and a client drops a connection whose server process
// died (a power cut leaves it silent), so nothing it sent can execute
// after it resolved.
//
// Phases (simulated time; `scale` stretches the first):
//  1. Faults, 20 to 30 s * scale.
//  2. StopFaults; the server booted if down. Liveness: every client gets
//     a write acknowledged within 60 s (MISCONF must clear by the recovery
//     rewrite once the disk behaves).
//  3. The workload stops; every client resolves every key again; then
//     KEYS * and DBSIZE must list exactly the keys the models hold.
//  4. 3 s later the server loses power on purpose and reboots; every
//     client resolves again (every acknowledged write must be there, also
//     with everysec), then KEYS * and DBSIZE again.
// A server that refuses to start because its AOF is corrupt fails the run;
// one that fails to start on a disk error is restarted (as a supervisor
// would) after 300 ms.
//
// Only the fault schedule is recorded for replay and shrinking: the
// workload comes from the seed (ScenarioOptions::workload is ignored).
//
// Threading contract: single-threaded; Run() may be called again.

#ifndef TWINKV_SIM_SCENARIOS_AOF_SCENARIO_H_
#define TWINKV_SIM_SCENARIOS_AOF_SCENARIO_H_

#include "absl/strings/string_view.h"
#include "sim/scenario.h"

namespace twinkv::sim {

class AofScenario final : public Scenario {
 public:
  enum class Policy { kAlways, kEverysec };

  // Planted bugs, for tests that show the oracle catches them.
  enum class Sabotage {
    kNone,
    // When a connection drops, the oracle takes the first state-changing
    // operation in flight for acknowledged, as if its reply had come
    // (caught when that operation was in fact lost).
    kForgetAck,
    // Just before the final power cut, the last command of the current
    // incr file is cut off and the cut made durable, as a server that
    // lost an acknowledged, fsynced write would.
    kServerLosesLastWrite,
  };

  explicit AofScenario(Policy policy) : policy_(policy) {}

  absl::string_view name() const override {
    return policy_ == Policy::kAlways ? "aof-crash" : "aof-crash-everysec";
  }
  absl::string_view description() const override {
    return policy_ == Policy::kAlways
               ? "one AOF server (appendfsync always) and 2-4 clients under "
                 "crashes, power cuts and disk faults; no acknowledged write "
                 "may be lost"
               : "one AOF server (appendfsync everysec) and 2-4 clients under "
                 "crashes and power cuts; no write acknowledged 2.5 s before "
                 "a power cut may be lost";
  }
  ScenarioResult Run(const ScenarioOptions& options) override;

  // --- Test hooks. ---
  void set_sabotage(Sabotage sabotage) { sabotage_ = sabotage; }
  // Whether the last run's sabotage took effect.
  bool sabotage_fired() const { return sabotage_fired_; }
  // Automatic rewrites (auto-aof-rewrite-percentage 100 at a small
  // auto-aof-rewrite-min-size), on by default; without them clients ask for
  // BGREWRITEAOF more often.
  void set_auto_rewrite(bool on) { auto_rewrite_ = on; }

 private:
  const Policy policy_;
  Sabotage sabotage_ = Sabotage::kNone;
  bool sabotage_fired_ = false;
  bool auto_rewrite_ = true;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_AOF_SCENARIO_H_
