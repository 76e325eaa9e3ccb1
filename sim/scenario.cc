#include "sim/scenario.h"

#include <cassert>

namespace twinkv::sim {

void ScenarioRegistry::Add(std::string name, std::string description,
                           Factory factory) {
  for (const Entry& e : entries_) {
    assert(e.name != name && "scenario registered twice");
    (void)e;
  }
  entries_.push_back(
      Entry{std::move(name), std::move(description), std::move(factory)});
}

std::unique_ptr<Scenario> ScenarioRegistry::Create(
    absl::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return e.factory();
  }
  return nullptr;
}

}  // namespace twinkv::sim
