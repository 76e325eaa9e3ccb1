// BuggifyRegistry: the simulator's answers to Runtime::Buggify(point), in
// the manner of FoundationDB's BUGGIFY.
//
// Per run, each point is enabled or not, and an enabled point fires with a
// per-run probability; both are drawn from the seed and the point's name
// (stream "buggify:<point>") the first time the point is reached, so they
// do not depend on which point was reached first, and adding a point
// changes no other point's decisions. Each point's firing draws come from
// its own stream too. The registry counts, per point, how often it was
// reached and fired, for a sweep report ("which points did this batch of
// seeds never fire?").
//
// Fault model: a point fires only while the registry is active (FaultConfig
// ::buggify); inactive, every point answers false but is still counted as
// reached. Buggify itself breaks nothing: it only lets production code take
// a rare but legal path.
//
// Threading contract: the World's (single-threaded).

#ifndef TWINKV_SIM_BUGGIFY_H_
#define TWINKV_SIM_BUGGIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "sim/prng.h"

namespace twinkv::sim {

struct BuggifyPointReport {
  std::string point;
  bool enabled = false;
  double probability = 0;  // of firing when reached, if enabled
  uint64_t reached = 0;
  uint64_t fired = 0;
};

class BuggifyRegistry {
 public:
  explicit BuggifyRegistry(uint64_t seed) : seed_(seed) {}

  // Whether enabled points may fire in this run. Off by default.
  void set_active(bool on) { active_ = on; }
  bool active() const { return active_; }
  // The share of points enabled (decided when a point is first reached, so
  // set it before the run starts). Default 0.25, as in FoundationDB.
  void set_enable_fraction(double f) { enable_fraction_ = f; }

  // Counts a visit of `point` and says whether it fires now.
  bool Evaluate(absl::string_view point);

  // Overrides the seed's decision for `point`: enabled, firing with
  // `probability` (0 disables it). Counts are kept.
  void Force(absl::string_view point, double probability);

  // Every point reached or forced so far, sorted by name.
  std::vector<BuggifyPointReport> Report() const;
  // One line per point: "<point> on p=0.123 reached=10 fired=2".
  std::string ReportText() const;

 private:
  struct Point {
    explicit Point(uint64_t stream_seed) : random(stream_seed) {}
    SimRandom random;
    bool enabled = false;
    double probability = 0;
    uint64_t reached = 0;
    uint64_t fired = 0;
  };
  Point& Find(absl::string_view point);

  const uint64_t seed_;
  bool active_ = false;
  double enable_fraction_ = 0.25;
  absl::flat_hash_map<std::string, Point> points_;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_BUGGIFY_H_
