// Commands nodes send each other in proxy mode (core/cluster/router.h).
// They are not for clients; their names carry the project's prefix so they
// cannot clash with Redis's.
//
// TWINKV.PEER: the connection belongs to another node of the cluster: its
// commands run on this node and are never routed again. Needs cluster-mode
// proxy, and authentication like any command.

#include "core/engine.h"
#include "core/family_util.h"

namespace twinkv {

namespace {

void PeerCommand(CommandContext& ctx, ArgList args) {
  if (!ctx.engine.proxy_mode()) {
    ctx.reply.Error("ERR TWINKV.PEER needs cluster-mode proxy");
    return;
  }
  ctx.client.cluster_peer = true;
  ctx.reply.Ok();
}

}  // namespace

void RegisterPeerFamily(CommandTable& table) {
  table.Add(MakeRow("twinkv.peer", 1,
                    kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast, 0, 0,
                    0, PeerCommand,
                    "Marks the connection as another cluster node's",
                    "7.0.0", "cluster", "O(1)", {"@fast", "@connection"}));
}

}  // namespace twinkv
