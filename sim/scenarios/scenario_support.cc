#include "sim/scenarios/scenario_support.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/network.h"

namespace twinkv::sim {

WorldOptions ScenarioWorldOptions(const ScenarioOptions& options,
                                  double spike_chance,
                                  double max_spike_probability,
                                  absl::Duration max_spike) {
  SimRandom latency_random(StreamSeed(options.seed, "latency"));
  WorldOptions world_options;
  world_options.keep_logs = false;
  world_options.echo_logs = options.verbose;
  if (latency_random.Bernoulli(spike_chance)) {
    LatencyModel& l = world_options.network.latency;
    l.spike_probability =
        LogUniform(latency_random, 0.001, max_spike_probability);
    l.spike_min = absl::Milliseconds(1);
    l.spike_max =
        UniformDuration(latency_random, absl::Milliseconds(50), max_spike);
  }
  return world_options;
}

Config ScenarioServerConfig(uint16_t port) {
  Config config;
  config.port = port;
  config.bind = {"0.0.0.0"};
  config.protected_mode = false;
  return config;
}

void EncodeCommand(const std::vector<std::string>& args, std::string* out) {
  absl::StrAppend(out, "*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(out, "$", a.size(), "\r\n", a, "\r\n");
  }
}

void PostTo(Node& node, absl::AnyInvocable<void() &&> fn) {
  node.executor().Post(std::move(fn));
}

absl::Duration ReconnectDelay(Random& random, absl::Duration max_backoff,
                              int* attempts) {
  absl::Duration delay =
      std::min(max_backoff, absl::Milliseconds(10) * (1 << *attempts));
  delay = delay / 2 + UniformDuration(random, absl::ZeroDuration(), delay / 2);
  *attempts = std::min(*attempts + 1, 10);
  return delay;
}

DecodeStatus DecodeReplies(ReplyDecoder& decoder, std::string* in,
                           absl::FunctionRef<bool(Reply)> on_reply) {
  size_t pos = 0;
  for (;;) {
    Reply reply;
    const ReplyDecoder::Result r =
        decoder.Decode(absl::string_view(*in).substr(pos), &reply);
    if (r == ReplyDecoder::kNeedMore) break;
    if (r == ReplyDecoder::kError) return DecodeStatus::kUndecodable;
    pos += decoder.consumed();
    if (!on_reply(std::move(reply))) return DecodeStatus::kStopped;
  }
  in->erase(0, pos);
  return DecodeStatus::kNeedMore;
}

bool LivelockGuard::Stuck(const World& world) {
  if (world.now() != still_at_) {
    still_at_ = world.now();
    still_since_event_ = world.events_run();
    return false;
  }
  return world.events_run() - still_since_event_ > max_events_;
}

void StartOrReplayFaults(World& world, const FaultConfig& faults,
                         const ScenarioOptions& options) {
  if (options.schedule.has_value()) {
    world.ReplayFaults(faults, *options.schedule);
  } else {
    world.StartFaults(faults);
  }
}

void EndFaults(World& world, const std::vector<Node*>& servers) {
  world.StopFaults();
  world.fabric().HealAll();
  for (Node* s : servers) {
    if (!s->up()) s->Boot();
  }
}

void FillWorldResult(World& world, const FaultConfig& faults,
                     const ScenarioOptions& options, ScenarioResult* result) {
  result->trace_hash = world.trace_hash();
  result->simulated = world.now();
  result->events = world.events_run();
  result->fault_config = faults.ToString();
  result->fault_record = world.fault_record();
  if (options.event_log) result->event_log = world.event_log();
  result->buggify = world.buggify().Report();
}

}  // namespace twinkv::sim
