// SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB: the
// commands over core/pubsub.h, with Redis 7.0's reply shapes. A
// (un)subscription is confirmed per channel as ["subscribe", channel,
// count] (a push in RESP3), count being the client's channels plus
// patterns afterwards. PUBLISH is not a data change: it is never logged.

#include <iterator>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/family_util.h"
#include "core/pubsub.h"

namespace twinkv {
namespace {

void Confirm(CommandContext& ctx, absl::string_view kind,
             absl::string_view name) {
  ReplyWriter& r = ctx.reply;
  r.PushHeader(3);
  r.Bulk(kind);
  if (name.data() == nullptr) {
    r.Null();
  } else {
    r.Bulk(name);
  }
  r.Integer(static_cast<int64_t>(ctx.client.subscriptions));
}

void SubscribeCommand(CommandContext& ctx, ArgList args) {
  PubSub& ps = ctx.engine.pubsub();
  for (size_t i = 1; i < args.size(); ++i) {
    ps.Subscribe(ctx.client, args[i]);
    Confirm(ctx, "subscribe", args[i]);
  }
}

void PSubscribeCommand(CommandContext& ctx, ArgList args) {
  PubSub& ps = ctx.engine.pubsub();
  for (size_t i = 1; i < args.size(); ++i) {
    ps.PSubscribe(ctx.client, args[i]);
    Confirm(ctx, "psubscribe", args[i]);
  }
}

// UNSUBSCRIBE / PUNSUBSCRIBE: the named ones, or with no names all of the
// client's (and with none at all, one confirmation with a nil name).
template <bool kPattern>
void UnsubscribeCommand(CommandContext& ctx, ArgList args) {
  PubSub& ps = ctx.engine.pubsub();
  const absl::string_view kind = kPattern ? "punsubscribe" : "unsubscribe";
  auto remove = [&](absl::string_view name) {
    if (kPattern) {
      ps.PUnsubscribe(ctx.client, name);
    } else {
      ps.Unsubscribe(ctx.client, name);
    }
    Confirm(ctx, kind, name);
  };
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) remove(args[i]);
    return;
  }
  const std::vector<std::string> all =
      kPattern ? ps.PatternsOf(ctx.client) : ps.ChannelsOf(ctx.client);
  if (all.empty()) {
    Confirm(ctx, kind, absl::string_view());
    return;
  }
  for (const std::string& name : all) remove(name);
}

void PublishCommand(CommandContext& ctx, ArgList args) {
  ctx.reply.Integer(ctx.engine.pubsub().Publish(args[1], args[2]));
}

void PubSubChannelsCommand(CommandContext& ctx, ArgList args) {
  ctx.reply.BulkArray(ctx.engine.pubsub().Channels(
      args.size() >= 3 ? args[2] : absl::string_view()));
}

void PubSubNumSubCommand(CommandContext& ctx, ArgList args) {
  // An array in RESP3 as well, as Redis 7.0 replies.
  ctx.reply.ArrayHeader(2 * (args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.reply.Bulk(args[i]);
    ctx.reply.Integer(
        static_cast<int64_t>(ctx.engine.pubsub().NumSub(args[i])));
  }
}

void PubSubNumPatCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.engine.pubsub().NumPat()));
}

void PubSubHelpCommand(CommandContext& ctx, ArgList) {
  static constexpr absl::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> "
      "(default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, "
      "excluding",
      "    pattern subscriptions(default: no channels).",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (absl::string_view line : kLines) ctx.reply.Status(line);
}

CommandSpec Row(std::string name, int arity, uint32_t flags,
                CommandHandler handler, std::string summary, std::string since,
                std::string complexity, std::vector<std::string> acl) {
  return MakeRow(std::move(name), arity, flags, 0, 0, 0, handler,
                 std::move(summary), std::move(since), "pubsub",
                 std::move(complexity), std::move(acl));
}

}  // namespace

void RegisterPubSubFamily(CommandTable& table) {
  constexpr uint32_t kSub = kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale;
  const std::vector<std::string> kSlow = {"@pubsub", "@slow"};
  table.Add(Row("subscribe", -2, kSub, SubscribeCommand,
                "Listen for messages published to the given channels", "2.0.0",
                "O(N) where N is the number of channels to subscribe to.",
                kSlow));
  table.Add(Row("unsubscribe", -1, kSub, UnsubscribeCommand<false>,
                "Stop listening for messages posted to the given channels",
                "2.0.0", "O(N) where N is the number of clients already "
                "subscribed to a channel.", kSlow));
  table.Add(Row("psubscribe", -2, kSub, PSubscribeCommand,
                "Listen for messages published to channels matching the "
                "given patterns", "2.0.0",
                "O(N) where N is the number of patterns the client is "
                "already subscribed to.", kSlow));
  table.Add(Row("punsubscribe", -1, kSub, UnsubscribeCommand<true>,
                "Stop listening for messages posted to channels matching "
                "the given patterns", "2.0.0",
                "O(N+M) where N is the number of patterns the client is "
                "already subscribed and M is the number of total patterns "
                "subscribed in the system (by any client).", kSlow));
  table.Add(Row("publish", 3,
                kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast |
                    kCmdMayReplicate,
                PublishCommand, "Post a message to a channel", "2.0.0",
                "O(N+M) where N is the number of clients subscribed to the "
                "receiving channel and M is the total number of subscribed "
                "patterns (by any client).", {"@pubsub", "@fast"}));
  CommandSpec pubsub = Row("pubsub", -2, 0, nullptr,
                           "A container for Pub/Sub commands", "2.8.0",
                           "Depends on subcommand.", {"@slow"});
  constexpr uint32_t kSubFlags = kCmdPubSub | kCmdLoading | kCmdStale;
  pubsub.subcommands.push_back(
      Row("channels", -2, kSubFlags, PubSubChannelsCommand,
          "List active channels", "2.8.0",
          "O(N) where N is the number of active channels, and assuming "
          "constant time pattern matching (relatively short channels and "
          "patterns)", kSlow));
  pubsub.subcommands.push_back(
      Row("numsub", -2, kSubFlags, PubSubNumSubCommand,
          "Get the count of subscribers for channels", "2.8.0",
          "O(N) for the NUMSUB subcommand, where N is the requested "
          "channels", kSlow));
  pubsub.subcommands.push_back(
      Row("numpat", 2, kSubFlags, PubSubNumPatCommand,
          "Get the count of unique patterns pattern subscriptions", "2.8.0",
          "O(1)", kSlow));
  pubsub.subcommands.push_back(
      Row("help", 2, kCmdLoading | kCmdStale, PubSubHelpCommand,
          "Show helpful text about the different subcommands", "6.2.0",
          "O(1)", {"@slow"}));
  table.Add(std::move(pubsub));
}

}  // namespace twinkv
