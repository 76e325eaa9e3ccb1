// Registers every command family the server offers.

#ifndef TWINKV_CORE_FAMILIES_H_
#define TWINKV_CORE_FAMILIES_H_

#include "core/command.h"

namespace twinkv {

void RegisterAllFamilies(CommandTable& table);

}  // namespace twinkv

#endif  // TWINKV_CORE_FAMILIES_H_
