#include "core/families.h"

#include "core/engine.h"

namespace twinkv {

void RegisterAllFamilies(CommandTable& table) {
  RegisterServerFamily(table);
  RegisterStringFamily(table);
  RegisterKeyFamily(table);
  RegisterListFamily(table);
  RegisterHashFamily(table);
  RegisterSetFamily(table);
  RegisterZSetFamily(table);
  RegisterMultiFamily(table);
  RegisterPubSubFamily(table);
  RegisterClientFamily(table);
  RegisterClusterFamily(table);
  RegisterPeerFamily(table);
}

}  // namespace twinkv
