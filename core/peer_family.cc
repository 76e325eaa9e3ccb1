// Commands nodes send each other in proxy mode (core/cluster/router.h).
// They are not for clients; their names carry the project's prefix so they
// cannot clash with Redis's.
//
// TWINKV.PEER: the connection belongs to another node of the cluster: its
// commands run on this node and are never routed again. Needs cluster-mode
// proxy, and authentication like any command.
//
// TWINKV.PREPARE COMMIT ABORT STATUS DECIDE FORGET: the two-phase commit
// of cross-node MSET, MSETNX and MGET (core/cluster/router.h).
//
// TWINKV.FETCH STAGE: cross-node RENAME, SMOVE, *STORE & co. lock and read
// their keys, then stage their new states; COMMIT, ABORT and the rest as
// above (core/cluster/router_cross.cc).

#include "core/engine.h"
#include "core/family_util.h"

namespace twinkv {

namespace {

void PeerCommand(CommandContext& ctx, ArgList args) {
  if (ctx.engine.cluster() == nullptr) {
    ctx.reply.Error("ERR TWINKV.PEER needs a cluster mode");
    return;
  }
  ctx.client.cluster_peer = true;
  ctx.reply.Ok();
}

// The transaction commands live with the router's state.
void TxCommand(CommandContext& ctx, ArgList args) {
  CommandRouter* router = ctx.engine.router();
  if (router == nullptr) {
    ctx.reply.Error("ERR TWINKV commands need a cluster mode");
    return;
  }
  router->RunPeerCommand(ctx, args);
}

}  // namespace

void RegisterPeerFamily(CommandTable& table) {
  constexpr uint32_t kTxFlags =
      kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdSkipSlowlog;
  struct Row {
    const char* name;
    int arity;
    const char* summary;
  };
  const Row kRows[] = {
      {"twinkv.prepare", -5, "Locks keys for a cross-node transaction"},
      {"twinkv.commit", 2, "Commits a prepared cross-node transaction"},
      {"twinkv.abort", 2, "Rolls back a prepared cross-node transaction"},
      {"twinkv.status", 2, "Asks a coordinator for a transaction's outcome"},
      {"twinkv.decide", -2, "A coordinator's logged commit decision"},
      {"twinkv.forget", 2, "Ends a participant's logged transaction"},
      {"twinkv.done", 2, "Ends a coordinator's logged decision"},
      {"twinkv.members", -4, "Announces a membership change"},
      {"twinkv.migrated", 3, "A node handed over the slots it loses"},
      {"twinkv.outbox", -6, "Keys on their way to a new owner (log only)"},
      {"twinkv.outdone", 2, "Keys delivered to their new owner (log only)"},
      {"twinkv.import", -5, "Keys handed over to this node, applied once"},
      {"twinkv.imported", 2, "A hand-over batch applied here (log only)"},
      {"twinkv.fetch", -4,
       "Locks keys for a cross-node command and reads their values"},
      {"twinkv.stage", -5, "Stages the new values of a cross-node command"},
  };
  for (const Row& row : kRows) {
    table.Add(MakeRow(row.name, row.arity, kTxFlags, 0, 0, 0, TxCommand,
                      row.summary, "7.0.0", "cluster", "O(N)",
                      {"@slow", "@admin", "@dangerous"}));
  }
  table.Add(MakeRow("twinkv.peer", 1,
                    kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast, 0, 0,
                    0, PeerCommand,
                    "Marks the connection as another cluster node's",
                    "7.0.0", "cluster", "O(1)", {"@fast", "@connection"}));
}

}  // namespace twinkv
