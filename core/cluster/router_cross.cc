// Multi-key commands across nodes beyond MSET/MSETNX/MGET (see router.h).

#include "core/cluster/router.h"
#include "core/cluster/router_internal.h"

namespace twinkv {

bool ClusterRouter::CrossNode(const CommandSpec& spec, ClientState& client,
                              ArgList args, const std::vector<int>& positions,
                              const std::vector<int>& owners) {
  return false;
}

bool ClusterRouter::RunCrossCommand(CommandContext& ctx, ArgList args) {
  return false;
}

}  // namespace twinkv
