#include "core/engine.h"

#include "core/errors.h"

namespace twinkv {

Engine::Engine(Runtime& runtime, Config config,
               absl::FunctionRef<void(CommandTable&)> register_families)
    : runtime_(runtime),
      config_(std::move(config)),
      config_table_(&config_),
      keyspace_(config_.databases) {
  register_families(commands_);
}

int64_t Engine::NowMs() { return absl::ToUnixMillis(runtime_.clock().Now()); }

void Engine::Execute(ClientState& client, ArgList args, ReplyWriter& reply,
                     int64_t now_ms) {
  if (args.empty()) return;
  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec == nullptr) {
    reply.Error(UnknownCommandError(args[0], args.subspan(1)));
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (sub == nullptr) {
      reply.Error(UnknownSubcommandError(spec->name, args[1]));
      return;
    }
    spec = sub;
  }
  if (!spec->AcceptsArgCount(args.size())) {
    reply.Error(WrongArgsError(spec->full_name));
    return;
  }
  if (spec->handler == nullptr) {
    // A container called without a subcommand: Redis reports arity.
    reply.Error(WrongArgsError(spec->full_name));
    return;
  }
  ++stats_.commands_processed;
  CommandContext ctx{*this, client, reply, now_ms};
  spec->handler(ctx, args);
}

}  // namespace twinkv
