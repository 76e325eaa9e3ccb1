// The transaction commands: MULTI EXEC DISCARD WATCH UNWATCH. The state
// lives on the client (ClientState::txn) and the queueing, WATCH registry
// and EXEC live in the engine (core/engine.h, "Transactions"), because
// every command must pass through them; these rows are the commands'
// entry points and table entries.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/command.h"
#include "core/engine.h"
#include "core/family_util.h"
#include "core/errors.h"

namespace twinkv {
namespace {


Transaction& TxnOf(ClientState& client) {
  if (client.txn == nullptr) client.txn = std::make_unique<Transaction>();
  return *client.txn;
}

void MultiCommand(CommandContext& ctx, ArgList) {
  Transaction& txn = TxnOf(ctx.client);
  if (txn.in_multi) {
    // Not flagged: the transaction goes on (Redis 7.0).
    return ctx.reply.Error(kNestedMultiErr);
  }
  txn.in_multi = true;
  ctx.reply.Ok();
}

void ExecCommand(CommandContext& ctx, ArgList) {
  ctx.engine.ExecTransaction(ctx);
}

void DiscardCommand(CommandContext& ctx, ArgList) {
  if (ctx.client.txn == nullptr || !ctx.client.txn->in_multi) {
    return ctx.reply.Error(kDiscardWithoutMultiErr);
  }
  ctx.engine.DiscardTransaction(ctx.client);
  ctx.reply.Ok();
}

void WatchCommand(CommandContext& ctx, ArgList args) {
  if (ctx.client.txn != nullptr && ctx.client.txn->in_multi) {
    return ctx.reply.Error(kWatchInMultiErr);
  }
  for (size_t i = 1; i < args.size(); ++i) {
    ctx.engine.Watch(ctx.client, ctx.client.db_index, args[i], ctx.now_ms);
  }
  ctx.reply.Ok();
}

void UnwatchCommand(CommandContext& ctx, ArgList) {
  if (ctx.client.txn != nullptr) ctx.engine.Unwatch(*ctx.client.txn);
  ctx.reply.Ok();
}

CommandSpec Row(std::string name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                std::string summary, std::string since, bool fast) {
  return MakeRow(std::move(name), arity, flags, first_key, last_key, key_step,
                 handler, std::move(summary), std::move(since), "transactions",
                 "O(1)", {fast ? "@fast" : "@slow", "@transaction"});
}

}  // namespace

void RegisterMultiFamily(CommandTable& table) {
  constexpr uint32_t kBase = kCmdNoScript | kCmdLoading | kCmdStale;
  constexpr uint32_t kFastBusy = kBase | kCmdFast | kCmdAllowBusy;
  table.Add(Row("multi", 1, kFastBusy, 0, 0, 0, MultiCommand,
                "Mark the start of a transaction block", "1.2.0", true));
  CommandSpec exec = Row("exec", 1, kBase | kCmdSkipSlowlog, 0, 0, 0,
                         ExecCommand,
                         "Execute all commands issued after MULTI", "1.2.0",
                         false);
  exec.complexity = "Depends on commands in the transaction";
  table.Add(std::move(exec));
  CommandSpec discard = Row("discard", 1, kFastBusy, 0, 0, 0, DiscardCommand,
                            "Discard all commands issued after MULTI", "2.0.0",
                            true);
  discard.complexity = "O(N), when N is the number of queued commands";
  table.Add(std::move(discard));
  CommandSpec watch = Row("watch", -2, kFastBusy, 1, -1, 1, WatchCommand,
                          "Watch the given keys to determine execution of "
                          "the MULTI/EXEC block",
                          "2.2.0", true);
  watch.complexity = "O(1) for every key.";
  table.Add(std::move(watch));
  table.Add(Row("unwatch", 1, kFastBusy, 0, 0, 0, UnwatchCommand,
                "Forget about all watched keys", "2.2.0", true));
}

}  // namespace twinkv
