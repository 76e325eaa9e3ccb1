// Connection administration: AUTH, HELLO, RESET and the CLIENT container
// (ID SETNAME GETNAME LIST INFO KILL PAUSE UNPAUSE NO-EVICT), with Redis
// 7.0's replies and error strings. There are no ACL users: the only user
// is "default", whose password is requirepass (none: any password works,
// as for Redis's nopass default user).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/engine.h"
#include "core/family_util.h"
#include "core/errors.h"

namespace twinkv {
namespace {

// The version HELLO reports; INFO's redis_version says the same.
constexpr absl::string_view kRedisVersion = "7.0.0";

// Checks `user`/`password` against the default user; on success the
// client is authenticated.
bool Authenticate(CommandContext& ctx, absl::string_view user,
                  absl::string_view password) {
  if (user != "default") return false;
  const std::string& required = ctx.engine.config().requirepass;
  if (!required.empty() && password != required) return false;
  ctx.client.authenticated = true;
  return true;
}

void AuthCommand(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return ctx.reply.Error(kSyntaxErr);
  if (args.size() == 2 && ctx.engine.config().requirepass.empty()) {
    return ctx.reply.Error(kAuthNoPasswordErr);
  }
  const absl::string_view user = args.size() == 3 ? args[1] : "default";
  if (!Authenticate(ctx, user, args.back())) {
    return ctx.reply.Error(kWrongPassErr);
  }
  ctx.reply.Ok();
}

// Redis's validateClientName: printable ASCII without spaces.
bool ValidClientName(absl::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void HelloCommand(CommandContext& ctx, ArgList args) {
  int64_t version = ctx.client.protocol;
  if (args.size() >= 2) {
    if (!absl::SimpleAtoi(args[1], &version)) {
      return ctx.reply.Error(
          "ERR Protocol version is not an integer or out of range");
    }
    if (version < 2 || version > 3) return ctx.reply.Error(kNoProtoErr);
  }
  absl::string_view name;
  bool set_name = false;
  for (size_t i = 2; i < args.size(); ++i) {
    const size_t more = args.size() - 1 - i;
    if (absl::EqualsIgnoreCase(args[i], "AUTH") && more >= 2) {
      if (!Authenticate(ctx, args[i + 1], args[i + 2])) {
        return ctx.reply.Error(kWrongPassErr);
      }
      i += 2;
    } else if (absl::EqualsIgnoreCase(args[i], "SETNAME") && more >= 1) {
      name = args[i + 1];
      set_name = true;
      if (!ValidClientName(name)) return ctx.reply.Error(kClientNameErr);
      ++i;
    } else {
      return ctx.reply.Error(
          absl::StrCat("ERR Syntax error in HELLO option '", args[i], "'"));
    }
  }
  if (!ctx.client.authenticated && !ctx.engine.config().requirepass.empty()) {
    return ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, "
        "otherwise the HELLO AUTH <user> <pass> option can be used to "
        "authenticate the client and select the RESP protocol version at the "
        "same time");
  }
  if (set_name) ctx.client.name = std::string(name);
  ctx.client.protocol = static_cast<int>(version);
  ctx.reply.set_protocol(ctx.client.protocol);
  ReplyWriter& r = ctx.reply;
  r.MapHeader(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisVersion);
  r.Bulk("proto");
  r.Integer(version);
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(ctx.client.id));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("modules");
  r.ArrayHeader(0);
}

void ResetCommand(CommandContext& ctx, ArgList) {
  ClientState& client = ctx.client;
  ctx.engine.DiscardTransaction(client);  // also unwatches
  ctx.engine.pubsub().RemoveClient(client);
  client.db_index = 0;
  client.protocol = 2;
  ctx.reply.set_protocol(2);
  client.name.clear();
  client.authenticated = ctx.engine.config().requirepass.empty();
  ctx.reply.Status("RESET");
}

// --- CLIENT ---

bool IsPubSubClient(const ClientState& c) { return c.subscriptions > 0; }

// Redis's getClientTypeByName: -1 unknown, 0 normal, 1 replica, 2 pubsub,
// 3 master.
int ClientTypeByName(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, "normal")) return 0;
  if (absl::EqualsIgnoreCase(name, "slave") ||
      absl::EqualsIgnoreCase(name, "replica")) {
    return 1;
  }
  if (absl::EqualsIgnoreCase(name, "pubsub")) return 2;
  if (absl::EqualsIgnoreCase(name, "master")) return 3;
  return -1;
}

int ClientType(const ClientState& c) { return IsPubSubClient(c) ? 2 : 0; }

// One line of CLIENT LIST / CLIENT INFO in Redis 7.0's field order;
// buffer and memory fields twinkv does not track are zero.
std::string ClientLine(Engine& engine, const ClientState& c, int64_t now_ms) {
  std::string flags;
  if (IsPubSubClient(c)) flags += 'P';
  const bool in_multi = c.txn != nullptr && c.txn->in_multi;
  if (in_multi) flags += 'x';
  if (c.blocked) flags += 'b';
  if (c.txn != nullptr && c.txn->dirty_cas) flags += 'd';
  if (c.close_after_reply) flags += 'c';
  if (flags.empty()) flags = "N";
  const size_t channels = engine.pubsub().ChannelsOf(c).size();
  const size_t patterns = engine.pubsub().PatternsOf(c).size();
  return absl::StrCat(
      "id=", c.id, " addr=", c.peer, " laddr=", c.local, " fd=-1 name=",
      c.name, " age=", (now_ms - c.created_ms) / 1000,
      " idle=", (now_ms - c.last_interaction_ms) / 1000, " flags=", flags,
      " db=", c.db_index, " sub=", channels, " psub=", patterns,
      " ssub=0 multi=",
      in_multi ? static_cast<int64_t>(c.txn->queued.size()) : int64_t{-1},
      " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 "
      "omem=0 tot-mem=0 events=r cmd=",
      c.last_command != nullptr ? c.last_command->full_name : "NULL",
      " user=default redir=-1 resp=", c.protocol, "\n");
}

void ClientIdCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
}

void ClientSetNameCommand(CommandContext& ctx, ArgList args) {
  if (!ValidClientName(args[2])) return ctx.reply.Error(kClientNameErr);
  ctx.client.name = std::string(args[2]);
  ctx.reply.Ok();
}

void ClientGetNameCommand(CommandContext& ctx, ArgList) {
  if (ctx.client.name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(ctx.client.name);
}

void ClientInfoCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Bulk(ClientLine(ctx.engine, ctx.client, ctx.now_ms));
}

void ClientListCommand(CommandContext& ctx, ArgList args) {
  int type = -1;
  std::vector<uint64_t> ids;
  if (args.size() == 4 && absl::EqualsIgnoreCase(args[2], "type")) {
    type = ClientTypeByName(args[3]);
    if (type == -1) {
      return ctx.reply.Error(
          absl::StrCat("ERR Unknown client type '", args[3], "'"));
    }
  } else if (args.size() > 3 && absl::EqualsIgnoreCase(args[2], "id")) {
    for (size_t i = 3; i < args.size(); ++i) {
      int64_t id = 0;
      if (!absl::SimpleAtoi(args[i], &id) || id <= 0) {
        return ctx.reply.Error(kInvalidClientIdErr);
      }
      ids.push_back(static_cast<uint64_t>(id));
    }
  } else if (args.size() != 2) {
    return ctx.reply.Error(kSyntaxErr);
  }
  std::string out;
  const auto& clients = ctx.engine.clients();
  if (!ids.empty()) {
    for (uint64_t id : ids) {
      auto it = clients.find(id);
      if (it != clients.end()) {
        out += ClientLine(ctx.engine, *it->second, ctx.now_ms);
      }
    }
  } else {
    for (const auto& [id, c] : clients) {
      if (type != -1 && ClientType(*c) != type) continue;
      out += ClientLine(ctx.engine, *c, ctx.now_ms);
    }
  }
  ctx.reply.Bulk(out);
}

// Closes `target`: itself once this reply is written, another client from
// a fresh task (its owner's kill hook).
void Kill(CommandContext& ctx, ClientState* target) {
  if (target == &ctx.client) {
    target->close_after_reply = true;
  } else if (target->kill) {
    target->kill();
  }
}

void ClientKillCommand(CommandContext& ctx, ArgList args) {
  const auto& clients = ctx.engine.clients();
  if (args.size() == 3) {  // old form: CLIENT KILL ip:port
    for (const auto& [id, c] : clients) {
      if (c->peer == args[2]) {
        ctx.reply.Ok();
        Kill(ctx, c);
        return;
      }
    }
    return ctx.reply.Error(kNoSuchClientErr);
  }
  if (args.size() % 2 != 0) return ctx.reply.Error(kSyntaxErr);
  uint64_t id = 0;
  int type = -1;
  absl::string_view addr, laddr;
  bool have_addr = false, have_laddr = false, skipme = true;
  int64_t max_age_s = 0;
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    const absl::string_view opt = args[i], val = args[i + 1];
    if (absl::EqualsIgnoreCase(opt, "id")) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(val, &v) || v <= 0) {
        return ctx.reply.Error("ERR client-id should be greater than 0");
      }
      id = static_cast<uint64_t>(v);
    } else if (absl::EqualsIgnoreCase(opt, "type")) {
      type = ClientTypeByName(val);
      if (type == -1) {
        return ctx.reply.Error(
            absl::StrCat("ERR Unknown client type '", val, "'"));
      }
    } else if (absl::EqualsIgnoreCase(opt, "addr")) {
      addr = val;
      have_addr = true;
    } else if (absl::EqualsIgnoreCase(opt, "laddr")) {
      laddr = val;
      have_laddr = true;
    } else if (absl::EqualsIgnoreCase(opt, "user")) {
      if (val != "default") {
        return ctx.reply.Error(absl::StrCat("ERR No such user '", val, "'"));
      }
    } else if (absl::EqualsIgnoreCase(opt, "skipme")) {
      if (absl::EqualsIgnoreCase(val, "yes")) {
        skipme = true;
      } else if (absl::EqualsIgnoreCase(val, "no")) {
        skipme = false;
      } else {
        return ctx.reply.Error(kSyntaxErr);
      }
    } else if (absl::EqualsIgnoreCase(opt, "maxage")) {
      if (!absl::SimpleAtoi(val, &max_age_s)) {
        return ctx.reply.Error(kNotIntegerErr);
      }
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  std::vector<ClientState*> victims;
  for (const auto& [cid, c] : clients) {
    if (id != 0 && c->id != id) continue;
    if (type != -1 && ClientType(*c) != type) continue;
    if (have_addr && c->peer != addr) continue;
    if (have_laddr && c->local != laddr) continue;
    if (skipme && c == &ctx.client) continue;
    if (max_age_s != 0 && (ctx.now_ms - c->created_ms) / 1000 < max_age_s) {
      continue;
    }
    victims.push_back(c);
  }
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
  for (ClientState* c : victims) Kill(ctx, c);
}

void ClientPauseCommand(CommandContext& ctx, ArgList args) {
  bool all = true;
  if (args.size() > 4) {
    return ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'pause'. "
        "Try CLIENT HELP.");
  }
  if (args.size() == 4) {
    if (absl::EqualsIgnoreCase(args[3], "write")) {
      all = false;
    } else if (!absl::EqualsIgnoreCase(args[3], "all")) {
      return ctx.reply.Error(kPauseModeErr);
    }
  }
  int64_t timeout_ms = 0;
  if (!absl::SimpleAtoi(args[2], &timeout_ms)) {
    return ctx.reply.Error(kTimeoutNotIntegerErr);
  }
  if (timeout_ms < 0) return ctx.reply.Error(kTimeoutNegativeErr);
  if (timeout_ms > INT64_MAX - ctx.now_ms) {
    return ctx.reply.Error(kTimeoutOutOfRangeErr);
  }
  ctx.engine.PauseClients(ctx.now_ms + timeout_ms, all);
  ctx.reply.Ok();
}

void ClientUnpauseCommand(CommandContext& ctx, ArgList) {
  ctx.engine.UnpauseClients();
  ctx.reply.Ok();
}

void ClientNoEvictCommand(CommandContext& ctx, ArgList args) {
  // Accepted and ignored: client eviction (maxmemory-clients) is not
  // implemented, so no client is ever evicted anyway.
  if (!absl::EqualsIgnoreCase(args[2], "on") &&
      !absl::EqualsIgnoreCase(args[2], "off")) {
    return ctx.reply.Error(kSyntaxErr);
  }
  ctx.reply.Ok();
}

void ClientHelpCommand(CommandContext& ctx, ArgList) {
  static constexpr absl::string_view kLines[] = {
      "GETNAME", "    Return the name of the current connection.",
      "ID", "    Return the ID of the current connection.",
      "INFO", "    Return information about the current client connection.",
      "KILL <ip:port>", "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, "
      "SKIPME, MAXAGE.",
      "LIST [options ...]",
      "    Return information about client connections (TYPE or ID).",
      "UNPAUSE", "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "SETNAME <name>", "    Assign the name <name> to the current connection.",
      "NO-EVICT (ON|OFF)", "    Accepted; client eviction is not implemented.",
  };
  ctx.reply.ArrayHeader(std::size(kLines) + 3);
  ctx.reply.Status(
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (absl::string_view line : kLines) ctx.reply.Status(line);
  ctx.reply.Status("HELP");
  ctx.reply.Status("    Prints this help.");
}

CommandSpec Row(std::string name, int arity, uint32_t flags,
                CommandHandler handler, std::string summary,
                std::string since, std::vector<std::string> acl) {
  return MakeRow(std::move(name), arity, flags, 0, 0, 0, handler,
                 std::move(summary), std::move(since), "connection", "O(1)",
                 std::move(acl));
}

constexpr uint32_t kLoadingStale = kCmdLoading | kCmdStale;
constexpr uint32_t kClientAdmin = kCmdAdmin | kCmdNoScript | kLoadingStale;

}  // namespace

void RegisterClientFamily(CommandTable& table) {
  const std::vector<std::string> kFastConn = {"@fast", "@connection"};
  const std::vector<std::string> kSlowConn = {"@slow", "@connection"};
  const std::vector<std::string> kAdminConn = {"@admin", "@slow", "@dangerous",
                                               "@connection"};
  constexpr uint32_t kAuthFlags = kCmdNoScript | kLoadingStale | kCmdFast |
                                  kCmdNoAuth | kCmdAllowBusy;
  table.Add(Row("auth", -2, kAuthFlags | kCmdSkipSlowlog, AuthCommand,
                "Authenticate to the server", "1.0.0", kFastConn));
  table.Add(Row("hello", -1, kAuthFlags, HelloCommand, "Handshake with Redis",
                "6.0.0", kFastConn));
  table.Add(Row("reset", 1, kAuthFlags, ResetCommand,
                "Reset the connection", "6.2.0", kFastConn));

  CommandSpec client = Row("client", -2, 0, nullptr,
                           "A container for client connection commands",
                           "2.4.0", {"@slow"});
  client.complexity = "Depends on subcommand.";
  client.subcommands = {
      Row("id", 2, kCmdNoScript | kLoadingStale, ClientIdCommand,
          "Returns the client ID for the current connection", "5.0.0",
          kSlowConn),
      Row("setname", 3, kCmdNoScript | kLoadingStale, ClientSetNameCommand,
          "Set the current connection name", "2.6.9", kSlowConn),
      Row("getname", 2, kCmdNoScript | kLoadingStale, ClientGetNameCommand,
          "Get the current connection name", "2.6.9", kSlowConn),
      Row("info", 2, kCmdNoScript | kLoadingStale, ClientInfoCommand,
          "Returns information about the current client connection.",
          "6.2.0", kSlowConn),
      Row("list", -2, kClientAdmin, ClientListCommand,
          "Get the list of client connections", "2.4.0", kAdminConn),
      Row("kill", -3, kClientAdmin, ClientKillCommand,
          "Kill the connection of a client", "2.4.0", kAdminConn),
      Row("pause", -3, kClientAdmin, ClientPauseCommand,
          "Stop processing commands from clients for some time", "2.9.50",
          kAdminConn),
      Row("unpause", 2, kClientAdmin, ClientUnpauseCommand,
          "Resume processing of clients that were paused", "6.2.0",
          kAdminConn),
      Row("no-evict", 3, kClientAdmin, ClientNoEvictCommand,
          "Set client eviction mode for the current connection", "7.0.0",
          kAdminConn),
      Row("help", 2, kLoadingStale, ClientHelpCommand,
          "Show helpful text about the different subcommands", "5.0.0",
          kSlowConn),
  };
  table.Add(std::move(client));
}

}  // namespace twinkv
