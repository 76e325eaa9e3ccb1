#include "core/families.h"

#include "core/engine.h"

namespace twinkv {

void RegisterAllFamilies(CommandTable& table) {
  RegisterServerFamily(table);
  RegisterStringFamily(table);
  RegisterKeyFamily(table);
}

}  // namespace twinkv
