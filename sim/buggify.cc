#include "sim/buggify.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace twinkv::sim {

BuggifyRegistry::Point& BuggifyRegistry::Find(absl::string_view point) {
  auto it = points_.find(point);
  if (it != points_.end()) return it->second;
  Point p(StreamSeed(seed_, absl::StrCat("buggify:", point)));
  // The first two draws of the point's stream decide the run's behaviour:
  // whether it is on, and how often it fires (1% to 50%, log-uniform).
  p.enabled = p.random.Bernoulli(enable_fraction_);
  p.probability = LogUniform(p.random, 0.01, 0.5);
  return points_.emplace(std::string(point), std::move(p)).first->second;
}

bool BuggifyRegistry::Evaluate(absl::string_view point) {
  Point& p = Find(point);
  ++p.reached;
  if (!active_ || !p.enabled) return false;
  if (!p.random.Bernoulli(p.probability)) return false;
  ++p.fired;
  return true;
}

void BuggifyRegistry::Force(absl::string_view point, double probability) {
  Point& p = Find(point);
  p.enabled = probability > 0;
  p.probability = probability;
}

std::vector<BuggifyPointReport> BuggifyRegistry::Report() const {
  std::vector<BuggifyPointReport> out;
  out.reserve(points_.size());
  for (const auto& [name, p] : points_) {
    out.push_back({name, p.enabled, p.probability, p.reached, p.fired});
  }
  // The map's order is not deterministic; the report's is.
  std::sort(out.begin(), out.end(),
            [](const BuggifyPointReport& a, const BuggifyPointReport& b) {
              return a.point < b.point;
            });
  return out;
}

std::string BuggifyRegistry::ReportText() const {
  std::string out;
  for (const BuggifyPointReport& r : Report()) {
    absl::StrAppendFormat(&out, "%s %s p=%.3f reached=%d fired=%d\n", r.point,
                          r.enabled ? "on" : "off", r.probability, r.reached,
                          r.fired);
  }
  return out;
}

}  // namespace twinkv::sim
