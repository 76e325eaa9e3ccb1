#include "sim/scenarios/scenarios.h"

#include <memory>

#include "sim/scenarios/server_scenario.h"

namespace twinkv::sim {

void RegisterAllScenarios(ScenarioRegistry& registry) {
  registry.Add("server",
               "one server and several clients under network, process and "
               "clock faults; replies checked against a keyspace model",
               [] { return std::make_unique<ServerScenario>(); });
}

}  // namespace twinkv::sim
