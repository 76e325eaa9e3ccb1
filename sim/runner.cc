#include "sim/runner.h"

#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace twinkv::sim {
namespace {

absl::Duration RealNow() {
  // The runner measures its own speed; only scenario code must not see
  // real time, and it never reaches this.
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

std::string DescribeDivergence(Scenario& scenario, ScenarioOptions options) {
  options.event_log = true;
  ScenarioResult a = scenario.Run(options);
  ScenarioResult b = scenario.Run(options);
  std::optional<size_t> at = FirstDivergence(a.event_log, b.event_log);
  if (!at.has_value()) {
    return "the event logs agree although the hashes differed (the "
           "difference is outside the logged events)";
  }
  auto describe = [](const std::vector<EventRecord>& log, size_t i) {
    if (i >= log.size()) return std::string("(no event: the run ended)");
    const EventRecord& r = log[i];
    return absl::StrCat("#", r.index, " t=", absl::FormatDuration(absl::Nanoseconds(r.at_ns)),
                        " node=", r.node, " kind=", EventKindName(r.kind),
                        " detail=", r.detail, " hash=", absl::Hex(r.hash, absl::kZeroPad16));
  };
  return absl::StrCat("first divergent event #", *at, ": run 1 ",
                      describe(a.event_log, *at), " / run 2 ",
                      describe(b.event_log, *at));
}

// Delta debugging over one list: drops chunks while `fails` holds, halving
// the chunk size when no chunk of the current size can go.
template <typename T>
void ShrinkList(std::vector<T>& items,
                const std::function<bool(const std::vector<T>&)>& fails,
                int& budget) {
  size_t chunk = items.size() / 2;
  if (chunk == 0) chunk = 1;
  while (!items.empty() && budget > 0) {
    bool removed = false;
    for (size_t start = 0; start < items.size() && budget > 0;) {
      std::vector<T> candidate;
      candidate.reserve(items.size());
      for (size_t i = 0; i < items.size(); ++i) {
        if (i < start || i >= start + chunk) candidate.push_back(items[i]);
      }
      --budget;
      if (fails(candidate)) {
        items = std::move(candidate);
        removed = true;
      } else {
        start += chunk;
      }
    }
    if (!removed) {
      if (chunk == 1) break;
      chunk /= 2;
    }
  }
}

}  // namespace

std::string SeedRun::Problem() const {
  if (!result.ok()) return result.failure;
  if (!deterministic) return absl::StrCat("nondeterministic: ", divergence);
  return "";
}

SeedRun RunSeed(Scenario& scenario, const ScenarioOptions& options,
                bool check_determinism) {
  SeedRun run;
  absl::Duration start = RealNow();
  run.result = scenario.Run(options);
  if (check_determinism) {
    ScenarioResult again = scenario.Run(options);
    if (again.trace_hash != run.result.trace_hash ||
        again.failure != run.result.failure) {
      run.deterministic = false;
      run.divergence = absl::StrCat(
          "hash ", absl::Hex(run.result.trace_hash, absl::kZeroPad16), " vs ",
          absl::Hex(again.trace_hash, absl::kZeroPad16), "; ",
          DescribeDivergence(scenario, options));
    }
  }
  run.real_time = RealNow() - start;
  return run;
}

ShrinkOutcome Shrink(Scenario& scenario, const ScenarioOptions& options,
                     const ScenarioResult& failed, int max_runs) {
  ShrinkOutcome out;
  out.options = options;
  out.options.event_log = false;
  out.options.schedule = failed.fault_record;
  out.options.workload = failed.workload;
  out.result = failed;
  out.schedule_before = failed.fault_record.size();
  out.workload_before = failed.workload.size();
  int budget = max_runs;

  // The records must replay to a failure, or there is nothing to shrink.
  ScenarioResult replay = scenario.Run(out.options);
  --budget;
  if (replay.ok()) {
    out.runs = max_runs - budget;
    out.schedule_after = out.schedule_before;
    out.workload_after = out.workload_before;
    return out;
  }
  out.result = replay;

  std::vector<ScheduledFault> schedule = *out.options.schedule;
  std::vector<std::string> workload = *out.options.workload;
  auto try_run = [&](const std::vector<ScheduledFault>& s,
                     const std::vector<std::string>& w) {
    ScenarioOptions candidate = out.options;
    candidate.schedule = s;
    candidate.workload = w;
    ScenarioResult r = scenario.Run(candidate);
    if (r.ok()) return false;
    out.result = std::move(r);
    return true;
  };
  // Faults first (fewer, and each one perturbs a lot), then the workload,
  // then faults again: a shorter workload may need fewer faults.
  for (int round = 0; round < 2 && budget > 0; ++round) {
    std::function<bool(const std::vector<ScheduledFault>&)> fails_schedule =
        [&](const std::vector<ScheduledFault>& s) { return try_run(s, workload); };
    ShrinkList(schedule, fails_schedule, budget);
    if (round == 0) {
      std::function<bool(const std::vector<std::string>&)> fails_workload =
          [&](const std::vector<std::string>& w) { return try_run(schedule, w); };
      ShrinkList(workload, fails_workload, budget);
    }
  }
  out.options.schedule = schedule;
  out.options.workload = workload;
  out.schedule_after = schedule.size();
  out.workload_after = workload.size();
  out.runs = max_runs - budget;
  return out;
}

void AccumulateBuggify(const std::vector<BuggifyPointReport>& report,
                       std::map<std::string, PointSweep>* sweep) {
  for (const BuggifyPointReport& p : report) {
    PointSweep& s = (*sweep)[p.point];
    if (p.reached > 0) ++s.seeds_reached;
    if (p.fired > 0) ++s.seeds_fired;
    s.reached += p.reached;
    s.fired += p.fired;
  }
}

bool ParseSeedRange(absl::string_view text, uint64_t* first, uint64_t* last) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, "..");
  if (parts.size() == 1) {
    if (!absl::SimpleAtoi(parts[0], first)) return false;
    *last = *first;
    return true;
  }
  if (parts.size() != 2) return false;
  return absl::SimpleAtoi(parts[0], first) &&
         absl::SimpleAtoi(parts[1], last) && *first <= *last;
}

}  // namespace twinkv::sim
