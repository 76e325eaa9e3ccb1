// Every scenario the runner offers.

#ifndef TWINKV_SIM_SCENARIOS_SCENARIOS_H_
#define TWINKV_SIM_SCENARIOS_SCENARIOS_H_

#include "sim/scenario.h"

namespace twinkv::sim {

void RegisterAllScenarios(ScenarioRegistry& registry);

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_SCENARIOS_H_
