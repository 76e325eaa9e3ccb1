// twinkv-sim: runs simulation scenarios — the same core/ code as the real
// server, in a deterministic simulated world with faults, from one seed.
//
//   twinkv-sim --list
//   twinkv-sim --scenario=server --seed=42
//   twinkv-sim --scenario=server --seeds=1..1000
//   twinkv-sim --scenario=server --seed=42 --schedule=F --workload=W
//
// Every seed runs twice and the trace hashes are compared (turn off with
// --check_determinism=false). A failing seed prints one line that replays
// it; with --shrink (default) the runner also shrinks the failure's fault
// schedule and workload and prints the line that replays the small case.
// Exit status: 0 if every seed passed, 1 if any failed, 2 on bad usage.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/fault_points.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/scenarios/scenarios.h"

ABSL_FLAG(bool, list, false, "Print the scenario names and exit.");
ABSL_FLAG(std::string, scenario, "", "Scenario to run (see --list).");
ABSL_FLAG(std::string, seed, "", "Run one seed.");
ABSL_FLAG(std::string, seeds, "", "Sweep seeds A..B (inclusive).");
ABSL_FLAG(bool, check_determinism, true,
          "Run each seed twice and compare the trace hashes.");
ABSL_FLAG(bool, shrink, true, "Shrink a failing seed's schedule and workload.");
ABSL_FLAG(int, shrink_runs, 300, "At most this many runs when shrinking.");
ABSL_FLAG(std::string, schedule, "",
          "Replay this fault schedule file instead of generating faults.");
ABSL_FLAG(std::string, workload, "",
          "Replay this workload file instead of generating one.");
ABSL_FLAG(double, scale, 1.0, "Length of each run relative to the default.");
ABSL_FLAG(bool, verbose, false, "Echo the nodes' log lines.");
ABSL_FLAG(bool, faults_report, true,
          "After a sweep, report which fault points fired.");
ABSL_FLAG(std::string, artifacts, "/tmp",
          "Where failing runs' schedules and workloads are written.");

namespace twinkv::sim {
namespace {

absl::Duration RealNow() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

std::string Hex16(uint64_t v) {
  return absl::StrCat(absl::Hex(v, absl::kZeroPad16));
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string ReplayLine(const std::string& scenario, uint64_t seed) {
  return absl::StrCat("twinkv-sim --scenario=", scenario, " --seed=", seed);
}

// Writes the shrunk case next to the artifacts and returns its replay line.
std::string ReportShrunk(const std::string& scenario,
                         const ShrinkOutcome& shrunk) {
  std::string base = absl::StrCat(absl::GetFlag(FLAGS_artifacts), "/twinkv-sim-",
                                  scenario, "-", shrunk.options.seed);
  std::string schedule_path = base + ".schedule";
  std::string workload_path = base + ".workload";
  WriteFile(schedule_path, SerializeSchedule(*shrunk.options.schedule));
  std::string workload;
  for (const std::string& line : *shrunk.options.workload) {
    absl::StrAppend(&workload, line, "\n");
  }
  WriteFile(workload_path, workload);
  return absl::StrCat(ReplayLine(scenario, shrunk.options.seed),
                      " --schedule=", schedule_path, " --workload=",
                      workload_path);
}

void PrintFailure(Scenario& scenario, const ScenarioOptions& options,
                  const SeedRun& run) {
  const std::string name(scenario.name());
  printf("FAIL seed=%llu: %s\n", static_cast<unsigned long long>(options.seed),
         run.Problem().c_str());
  printf("  replay: %s\n", ReplayLine(name, options.seed).c_str());
  printf("  faults: %s\n", run.result.fault_config.c_str());
  if (run.result.ok() || !absl::GetFlag(FLAGS_shrink) ||
      options.schedule.has_value() || options.workload.has_value()) {
    return;
  }
  ShrinkOutcome shrunk = Shrink(scenario, options, run.result,
                                absl::GetFlag(FLAGS_shrink_runs));
  printf("  shrunk in %d runs: faults %zu -> %zu, workload %zu -> %zu: %s\n",
         shrunk.runs, shrunk.schedule_before, shrunk.schedule_after,
         shrunk.workload_before, shrunk.workload_after,
         shrunk.result.failure.c_str());
  printf("  replay shrunk: %s\n", ReportShrunk(name, shrunk).c_str());
  fflush(stdout);
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs twinkv simulation scenarios.\n"
      "  twinkv-sim --list\n"
      "  twinkv-sim --scenario=NAME --seed=N\n"
      "  twinkv-sim --scenario=NAME --seeds=A..B");
  absl::ParseCommandLine(argc, argv);

  ScenarioRegistry registry;
  RegisterAllScenarios(registry);
  if (absl::GetFlag(FLAGS_list)) {
    for (const auto& e : registry.entries()) {
      printf("%-12s %s\n", e.name.c_str(), e.description.c_str());
    }
    return 0;
  }
  const std::string name = absl::GetFlag(FLAGS_scenario);
  std::unique_ptr<Scenario> scenario = registry.Create(name);
  if (scenario == nullptr) {
    fprintf(stderr, "unknown scenario '%s' (see --list)\n", name.c_str());
    return 2;
  }
  uint64_t first = 0, last = 0;
  const std::string one = absl::GetFlag(FLAGS_seed);
  const std::string range = absl::GetFlag(FLAGS_seeds);
  if (one.empty() == range.empty() ||
      !ParseSeedRange(one.empty() ? range : one, &first, &last) ||
      (!one.empty() && first != last)) {
    fprintf(stderr, "give exactly one of --seed=N or --seeds=A..B\n");
    return 2;
  }

  ScenarioOptions base;
  base.scale = absl::GetFlag(FLAGS_scale);
  base.verbose = absl::GetFlag(FLAGS_verbose);
  if (const std::string path = absl::GetFlag(FLAGS_schedule); !path.empty()) {
    std::string text;
    if (!ReadFile(path, &text)) {
      fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    absl::StatusOr<std::vector<ScheduledFault>> schedule = ParseSchedule(text);
    if (!schedule.ok()) {
      fprintf(stderr, "%s: %s\n", path.c_str(),
              std::string(schedule.status().message()).c_str());
      return 2;
    }
    base.schedule = *std::move(schedule);
  }
  if (const std::string path = absl::GetFlag(FLAGS_workload); !path.empty()) {
    std::string text;
    if (!ReadFile(path, &text)) {
      fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    base.workload = absl::StrSplit(text, '\n', absl::SkipEmpty());
  }
  const bool twice = absl::GetFlag(FLAGS_check_determinism);

  if (!one.empty()) {
    ScenarioOptions options = base;
    options.seed = first;
    SeedRun run = RunSeed(*scenario, options, twice);
    printf("scenario=%s seed=%llu simulated=%s hash=%s events=%llu real=%s%s\n",
           name.c_str(), static_cast<unsigned long long>(first),
           absl::FormatDuration(run.result.simulated).c_str(),
           Hex16(run.result.trace_hash).c_str(),
           static_cast<unsigned long long>(run.result.events),
           absl::FormatDuration(run.real_time).c_str(),
           twice ? (run.deterministic ? " deterministic" : " NONDETERMINISTIC")
                 : "");
    printf("  faults: %s\n  stats: %s\n", run.result.fault_config.c_str(),
           run.result.stats.c_str());
    if (!run.ok()) {
      PrintFailure(*scenario, options, run);
      return 1;
    }
    return 0;
  }

  // A sweep.
  const uint64_t count = last - first + 1;
  const uint64_t progress_every = count >= 50 ? count / 10 : 1;
  uint64_t failures = 0, done = 0;
  absl::Duration simulated = absl::ZeroDuration();
  absl::Duration start = RealNow();
  std::map<std::string, PointSweep> points;
  for (uint64_t seed = first; seed <= last; ++seed) {
    ScenarioOptions options = base;
    options.seed = seed;
    SeedRun run = RunSeed(*scenario, options, twice);
    ++done;
    simulated += run.result.simulated;
    AccumulateBuggify(run.result.buggify, &points);
    if (!run.ok()) {
      ++failures;
      PrintFailure(*scenario, options, run);
    }
    if (done % progress_every == 0 || seed == last) {
      absl::Duration real = RealNow() - start;
      printf("[%llu/%llu] seeds, %llu failed, simulated %s in %s real\n",
             static_cast<unsigned long long>(done),
             static_cast<unsigned long long>(count),
             static_cast<unsigned long long>(failures),
             absl::FormatDuration(absl::Trunc(simulated, absl::Seconds(1))).c_str(),
             absl::FormatDuration(absl::Trunc(real, absl::Milliseconds(1))).c_str());
      fflush(stdout);
    }
  }
  absl::Duration real = RealNow() - start;
  double real_s = absl::ToDoubleSeconds(real);
  // Each seed ran `runs` times; speed counts every simulated run.
  double runs = twice ? 2.0 : 1.0;
  printf("summary: scenario=%s seeds=%llu failures=%llu simulated=%.0fs "
         "real=%.1fs speed=%.0fx seeds/min=%.0f%s\n",
         name.c_str(), static_cast<unsigned long long>(count),
         static_cast<unsigned long long>(failures),
         absl::ToDoubleSeconds(simulated), real_s,
         real_s > 0 ? runs * absl::ToDoubleSeconds(simulated) / real_s : 0.0,
         real_s > 0 ? 60.0 * count / real_s : 0.0,
         twice ? " (each seed run twice)" : "");
  if (absl::GetFlag(FLAGS_faults_report)) {
    printf("fault points (seeds fired/reached of %llu; times fired):\n",
           static_cast<unsigned long long>(count));
    for (absl::string_view point : kFaultPoints) {
      points.try_emplace(std::string(point));
    }
    std::vector<std::string> never;
    for (const auto& [point, s] : points) {
      printf("  %-32s %4d/%-4d %llu\n", point.c_str(), s.seeds_fired,
             s.seeds_reached, static_cast<unsigned long long>(s.fired));
      if (s.fired == 0) never.push_back(point);
    }
    if (!never.empty()) {
      printf("  never fired: %s\n", absl::StrJoin(never, ", ").c_str());
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace twinkv::sim

int main(int argc, char** argv) { return twinkv::sim::Main(argc, argv); }
