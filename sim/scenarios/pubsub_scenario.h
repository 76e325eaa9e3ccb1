// The "pubsub" scenario: publishers and subscribers of the real server
// (core's ServerNode, no AOF) through network faults.
//
// Nodes: the server "srv"; 1-2 publisher nodes; 2-3 subscriber nodes; a
// slow subscriber "slow" and its bulk publisher "bulk".
//   - A publisher keeps one connection at a time (epoch e, bumped on every
//     reconnect) and pipelines up to 4 PUBLISH ch<k> "p<i>:<e>:<seq>", the
//     sequence counting per epoch and channel; a reply missing for 2 s
//     makes it reconnect.
//   - A subscriber (raw RESP2 stream: messages are unsolicited) subscribes
//     to ch0 always, to ch1/ch2 and the patterns "ch*" and "ch[12]" now and
//     then, unsubscribes again, and PINGs; a PING unanswered for 3 s makes
//     it reconnect and subscribe again.
//   - "slow" subscribes to "bulk" and never reads again; "bulk" publishes
//     8 KiB messages to it as fast as its window of 4 allows.
//
// Oracle:
//   - Per subscriber connection, the messages of one publisher connection
//     on one channel (and pattern) arrive in strictly increasing sequence:
//     in publish order, without duplicates.
//   - A message (pmessage) only arrives for a channel (pattern) that the
//     connection's confirmations say it is subscribed to: nothing after an
//     acknowledged UNSUBSCRIBE. A pmessage's channel matches its pattern.
//   - Replies have the shapes of Redis 7.0 (confirmations, ["pong", x],
//     integers for PUBLISH); an error reply fails.
//   - Memory: before every event no connection of the server holds more
//     pending output than the pubsub hard limit plus one message (the
//     slow subscriber cannot grow the server's memory), and once more was
//     delivered to "slow" than the network buffers and the limit can hold,
//     the server must have closed it for client-output-buffer-limit.
//   - Liveness: after healing, every subscriber receives a message within
//     30 s.
//
// Faults (FaultConfig::Swarm from the "swarm" stream): network faults on
// every link, clock faults; pauses of the server; no crashes (the server
// has no persistence and pub/sub none either, so a crash would only
// exercise reconnection, which the reconnect scenario covers).
//
// Only the fault schedule is recorded for replay and shrinking.
//
// Threading contract: single-threaded; Run() may be called again.

#ifndef TWINKV_SIM_SCENARIOS_PUBSUB_SCENARIO_H_
#define TWINKV_SIM_SCENARIOS_PUBSUB_SCENARIO_H_

#include "absl/strings/string_view.h"
#include "sim/scenario.h"

namespace twinkv::sim {

class PubSubScenario final : public Scenario {
 public:
  // Planted bugs, for tests that show the oracle catches them.
  enum class Sabotage {
    kNone,
    // The pubsub output limit is off: the slow subscriber's output grows.
    kNoOutputLimit,
    // One subscriber ignores one UNSUBSCRIBE confirmation's effect in its
    // bookkeeping the other way round: it forgets a subscription it still
    // has, so the next message on it looks like one after unsubscribing.
    kForgetSubscription,
  };

  absl::string_view name() const override { return "pubsub"; }
  absl::string_view description() const override {
    return "publishers and subscribers through network faults; messages "
           "in publish order per connection, nothing after an "
           "acknowledged unsubscribe, a slow subscriber is disconnected by "
           "the pubsub output limit and memory stays bounded";
  }
  ScenarioResult Run(const ScenarioOptions& options) override;

  void set_sabotage(Sabotage sabotage) { sabotage_ = sabotage; }

 private:
  Sabotage sabotage_ = Sabotage::kNone;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_PUBSUB_SCENARIO_H_
