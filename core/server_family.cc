// The server and connection commands: PING ECHO SELECT QUIT DBSIZE FLUSHDB
// FLUSHALL TIME INFO, the COMMAND introspection family (what redis-cli 7 asks
// for its hints), CONFIG, and the FLUSH subcommands of FUNCTION and SCRIPT
// (answered so that tools resetting a server between tests work; twinkv has
// no scripting).

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/command.h"
#include "core/config.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/family_util.h"
#include "core/errors.h"
#include "core/numbers.h"
#include "core/glob.h"

namespace twinkv {
namespace {

// Redis's addReplyHelp: the header line, the given lines, then HELP, all as
// status replies.
void ReplyHelp(ReplyWriter& reply, absl::string_view container,
               std::initializer_list<absl::string_view> lines) {
  reply.ArrayHeader(lines.size() + 3);
  reply.Status(absl::StrCat(container,
                            " <subcommand> [<arg> [value] [opt] ...]. "
                            "Subcommands are:"));
  for (absl::string_view line : lines) reply.Status(line);
  reply.Status("HELP");
  reply.Status("    Prints this help.");
}

bool IsFlushMode(absl::string_view arg) {
  return absl::EqualsIgnoreCase(arg, "async") || absl::EqualsIgnoreCase(arg, "sync");
}

// ---- Connection and keyspace commands. ----

void PingCommand(CommandContext& ctx, ArgList args) {
  if (args.size() > 2) {
    ctx.reply.Error(WrongArgsError("ping"));
  } else if (args.size() == 1) {
    ctx.reply.Status("PONG");
  } else {
    ctx.reply.Bulk(args[1]);
  }
}

void EchoCommand(CommandContext& ctx, ArgList args) { ctx.reply.Bulk(args[1]); }

void SelectCommand(CommandContext& ctx, ArgList args) {
  int64_t index = 0;
  if (!ParseInt64(args[1], &index) || index < INT32_MIN ||
      index > INT32_MAX) {
    ctx.reply.Error(kNotIntegerErr);
    return;
  }
  if (index < 0 || index >= ctx.engine.keyspace().size()) {
    ctx.reply.Error(kDbIndexOutOfRangeErr);
    return;
  }
  ctx.client.db_index = static_cast<int>(index);
  ctx.reply.Ok();
}

void QuitCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
}

void DbSizeCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.db().size()));
}

// FLUSHDB/FLUSHALL take one optional ASYNC|SYNC; both flush synchronously
// here (the keyspace is freed in the loop either way).
bool CheckFlushArgs(CommandContext& ctx, ArgList args) {
  if (args.size() > 2 || (args.size() == 2 && !IsFlushMode(args[1]))) {
    ctx.reply.Error(kSyntaxErr);
    return false;
  }
  return true;
}

void FlushDbCommand(CommandContext& ctx, ArgList args) {
  if (!CheckFlushArgs(ctx, args)) return;
  ctx.db().Clear();
  // Logged even when the database was empty, as Redis 7 does.
  ctx.AddDirty();
  ctx.reply.Ok();
}

void FlushAllCommand(CommandContext& ctx, ArgList args) {
  if (!CheckFlushArgs(ctx, args)) return;
  ctx.engine.keyspace().Clear();
  ctx.AddDirty();
  ctx.reply.Ok();
}

void LastSaveCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(absl::ToUnixSeconds(ctx.engine.start_time()));
}

void TimeCommand(CommandContext& ctx, ArgList) {
  // The runtime's wall clock, never the system's: in simulation TIME
  // follows virtual time and its jumps.
  int64_t micros = absl::ToUnixMicros(ctx.engine.runtime().clock().Now());
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(absl::StrCat(seconds));
  ctx.reply.Bulk(absl::StrCat(rest));
}

// ---- COMMAND. ----

// COMMAND GETKEYS on arguments its key specs cannot follow (a numkeys of
// 0, or past the end). TODO: belongs in core/errors.h with the others.
constexpr absl::string_view kInvalidGetKeysArgsErr =
    "ERR Invalid arguments specified for command";

// Flag names in the order Redis 7.0 prints them.
struct FlagName {
  uint32_t bit;
  char name[16];
};
constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},          {kCmdReadOnly, "readonly"},
    {kCmdDenyOom, "denyoom"},      {kCmdAdmin, "admin"},
    {kCmdPubSub, "pubsub"},        {kCmdNoScript, "noscript"},
    {kCmdBlocking, "blocking"},    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},          {kCmdSkipMonitor, "skip_monitor"},
    {kCmdSkipSlowlog, "skip_slowlog"}, {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},       {kCmdMayReplicate, "may_replicate"},
    {kCmdNoMulti, "no_multi"},     {kCmdAllowBusy, "allow_busy"},
};

std::vector<absl::string_view> FlagNames(uint32_t flags) {
  std::vector<absl::string_view> names;
  for (const FlagName& f : kFlagNames) {
    if (flags & f.bit) names.push_back(f.name);
  }
  return names;
}

void WriteKeySpecFlags(ReplyWriter& reply, uint32_t flags) {
  std::vector<absl::string_view> names = KeySpecFlagNames(flags);
  reply.SetHeader(names.size());
  for (absl::string_view f : names) reply.Status(f);
}

// The key specs as Redis 7.0 writes them (a set of maps in RESP3).
void WriteKeySpecs(ReplyWriter& reply, const CommandSpec& spec) {
  reply.SetHeader(spec.key_specs.size());
  for (const KeySpec& ks : spec.key_specs) {
    const bool has_notes = !ks.notes.empty();
    reply.MapHeader(3 + (has_notes ? 1 : 0));
    if (has_notes) {
      reply.Bulk("notes");
      reply.Bulk(ks.notes);
    }
    reply.Bulk("flags");
    WriteKeySpecFlags(reply, ks.flags);
    reply.Bulk("begin_search");
    reply.MapHeader(2);
    reply.Bulk("type");
    if (ks.keyword.empty()) {
      reply.Bulk("index");
      reply.Bulk("spec");
      reply.MapHeader(1);
      reply.Bulk("index");
      reply.Integer(ks.begin_index);
    } else {
      reply.Bulk("keyword");
      reply.Bulk("spec");
      reply.MapHeader(2);
      reply.Bulk("keyword");
      reply.Bulk(ks.keyword);
      reply.Bulk("startfrom");
      reply.Integer(ks.startfrom);
    }
    reply.Bulk("find_keys");
    reply.MapHeader(2);
    reply.Bulk("type");
    if (!ks.keynum) {
      reply.Bulk("range");
      reply.Bulk("spec");
      reply.MapHeader(3);
      reply.Bulk("lastkey");
      reply.Integer(ks.lastkey);
      reply.Bulk("keystep");
      reply.Integer(ks.keystep);
      reply.Bulk("limit");
      reply.Integer(ks.limit);
    } else {
      reply.Bulk("keynum");
      reply.Bulk("spec");
      reply.MapHeader(3);
      reply.Bulk("keynumidx");
      reply.Integer(ks.keynumidx);
      reply.Bulk("firstkey");
      reply.Integer(ks.firstkey);
      reply.Bulk("keystep");
      reply.Integer(ks.keystep);
    }
  }
}

// One entry of COMMAND / COMMAND INFO, Redis 7.0's ten fields.
void WriteCommandInfo(ReplyWriter& reply, const CommandSpec& spec) {
  reply.ArrayHeader(10);
  reply.Bulk(spec.full_name);
  reply.Integer(spec.arity);
  std::vector<absl::string_view> flags = FlagNames(spec.flags);
  if (spec.find_keys != nullptr) {
    // Redis prints it between no_multi and allow_busy.
    flags.insert(std::find(flags.begin(), flags.end(), "allow_busy"),
                 "movablekeys");
  }
  reply.SetHeader(flags.size());
  for (absl::string_view f : flags) reply.Status(f);
  reply.Integer(spec.first_key);
  reply.Integer(spec.last_key);
  reply.Integer(spec.key_step);
  reply.SetHeader(spec.acl_categories.size());
  for (const std::string& c : spec.acl_categories) reply.Status(c);
  reply.SetHeader(spec.tips.size());
  for (const std::string& tip : spec.tips) reply.Status(tip);
  WriteKeySpecs(reply, spec);
  // Redis writes "no subcommands" as an empty set, but a list of them as
  // an array (they differ in RESP3).
  if (spec.subcommands.empty()) {
    reply.SetHeader(0);
    return;
  }
  reply.ArrayHeader(spec.subcommands.size());
  for (const CommandSpec& sub : spec.subcommands) {
    WriteCommandInfo(reply, sub);
  }
}

// One value of COMMAND DOCS: a map of summary, since, group, complexity
// and, for a container, its subcommands' docs.
void WriteCommandDocs(ReplyWriter& reply, const CommandSpec& spec) {
  bool has_subs = !spec.subcommands.empty();
  reply.MapHeader(4 + (has_subs ? 1 : 0));
  reply.Bulk("summary");
  reply.Bulk(spec.summary);
  reply.Bulk("since");
  reply.Bulk(spec.since);
  reply.Bulk("group");
  reply.Bulk(spec.group);
  reply.Bulk("complexity");
  reply.Bulk(spec.complexity);
  if (has_subs) {
    reply.Bulk("subcommands");
    reply.MapHeader(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) {
      reply.Bulk(sub.full_name);
      WriteCommandDocs(reply, sub);
    }
  }
}

// Looks up "get" or "config|get" as COMMAND INFO/DOCS accept them.
const CommandSpec* LookupByFullName(const CommandTable& table,
                                    absl::string_view name) {
  size_t bar = name.find('|');
  if (bar == absl::string_view::npos) return table.Find(name);
  const CommandSpec* parent = table.Find(name.substr(0, bar));
  if (parent == nullptr) return nullptr;
  return CommandTable::FindSubcommand(*parent, name.substr(bar + 1));
}

void CommandCommand(CommandContext& ctx, ArgList) {
  const CommandTable& table = ctx.engine.commands();
  ctx.reply.ArrayHeader(table.size());
  for (const auto& row : table.all()) WriteCommandInfo(ctx.reply, *row);
}

void CommandCountCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.engine.commands().size()));
}

void CommandInfoCommand(CommandContext& ctx, ArgList args) {
  if (args.size() == 2) {
    CommandCommand(ctx, args);
    return;
  }
  const CommandTable& table = ctx.engine.commands();
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* spec = LookupByFullName(table, args[i]);
    if (spec == nullptr) {
      ctx.reply.Null();
    } else {
      WriteCommandInfo(ctx.reply, *spec);
    }
  }
}

void CommandDocsCommand(CommandContext& ctx, ArgList args) {
  const CommandTable& table = ctx.engine.commands();
  std::vector<const CommandSpec*> specs;
  if (args.size() == 2) {
    for (const auto& row : table.all()) specs.push_back(row.get());
  } else {
    for (size_t i = 2; i < args.size(); ++i) {
      const CommandSpec* spec = LookupByFullName(table, args[i]);
      if (spec != nullptr) specs.push_back(spec);
    }
  }
  ctx.reply.MapHeader(specs.size());
  for (const CommandSpec* spec : specs) {
    ctx.reply.Bulk(spec->full_name);
    WriteCommandDocs(ctx.reply, *spec);
  }
}

bool HasAclCategory(const CommandSpec& spec, absl::string_view category) {
  for (const std::string& c : spec.acl_categories) {
    absl::string_view name = c;
    if (absl::StartsWith(name, "@")) name.remove_prefix(1);
    if (absl::EqualsIgnoreCase(name, category)) return true;
  }
  return false;
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]:
// names of commands and subcommands ("config|get").
void CommandListCommand(CommandContext& ctx, ArgList args) {
  enum class Filter { kNone, kModule, kAclCat, kPattern };
  Filter filter = Filter::kNone;
  absl::string_view value;
  if (args.size() == 5 && absl::EqualsIgnoreCase(args[2], "filterby")) {
    value = args[4];
    if (absl::EqualsIgnoreCase(args[3], "module")) {
      filter = Filter::kModule;
    } else if (absl::EqualsIgnoreCase(args[3], "aclcat")) {
      filter = Filter::kAclCat;
    } else if (absl::EqualsIgnoreCase(args[3], "pattern")) {
      filter = Filter::kPattern;
    } else {
      ctx.reply.Error(kSyntaxErr);
      return;
    }
  } else if (args.size() != 2) {
    ctx.reply.Error(kSyntaxErr);
    return;
  }
  std::vector<absl::string_view> names;
  auto consider = [&](const CommandSpec& spec) {
    bool keep = false;
    switch (filter) {
      case Filter::kNone:
        keep = true;
        break;
      case Filter::kModule:
        keep = false;  // no modules
        break;
      case Filter::kAclCat:
        keep = HasAclCategory(spec, value);
        break;
      case Filter::kPattern:
        keep = GlobMatch(value, spec.full_name, /*nocase=*/true);
        break;
    }
    if (keep) names.push_back(spec.full_name);
  };
  for (const auto& row : ctx.engine.commands().all()) {
    consider(*row);
    for (const CommandSpec& sub : row->subcommands) consider(sub);
  }
  ctx.reply.ArrayHeader(names.size());
  for (absl::string_view name : names) ctx.reply.Bulk(name);
}

// Redis's doesCommandHaveKeys: a key finder or a spec for real keys.
bool CommandHasKeys(const CommandSpec& spec) {
  if (spec.find_keys != nullptr) return true;
  for (const KeySpec& ks : spec.key_specs) {
    if (!(ks.flags & kKeyNotKey)) return true;
  }
  return false;
}

// The keys, with their flags, of the command in args[2..], checked in
// Redis 7.0's order (command, has keys, arity, arguments); nullptr after
// replying the error.
const CommandSpec* ResolveForGetKeys(CommandContext& ctx, ArgList args,
                                     std::vector<KeyRef>* keys) {
  ArgList command = args.subspan(2);
  const CommandSpec* spec = ctx.engine.commands().Find(command[0]);
  // A container named alone is itself (and has no keys), as in Redis.
  if (spec != nullptr && !spec->subcommands.empty() && command.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, command[1]);
  }
  if (spec == nullptr) {
    ctx.reply.Error(kInvalidCommandErr);
    return nullptr;
  }
  if (!CommandHasKeys(*spec)) {
    ctx.reply.Error(kNoKeyArgsErr);
    return nullptr;
  }
  if (!spec->AcceptsArgCount(command.size())) {
    ctx.reply.Error(kInvalidArgCountErr);
    return nullptr;
  }
  if (!KeysWithFlags(*spec, command, keys) || keys->empty()) {
    ctx.reply.Error(kInvalidGetKeysArgsErr);
    return nullptr;
  }
  return spec;
}

void CommandGetKeysCommand(CommandContext& ctx, ArgList args) {
  std::vector<KeyRef> keys;
  if (ResolveForGetKeys(ctx, args, &keys) == nullptr) return;
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) ctx.reply.Bulk(args[2 + k.pos]);
}

void CommandGetKeysAndFlagsCommand(CommandContext& ctx, ArgList args) {
  std::vector<KeyRef> keys;
  if (ResolveForGetKeys(ctx, args, &keys) == nullptr) return;
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(args[2 + k.pos]);
    WriteKeySpecFlags(ctx.reply, k.flags);
  }
}

void CommandHelpCommand(CommandContext& ctx, ArgList) {
  ReplyHelp(ctx.reply, "COMMAND",
            {"(no subcommand)",
             "    Return details about all Redis commands.",
             "COUNT",
             "    Return the total number of commands in this Redis server.",
             "LIST",
             "    Return a list of all commands in this Redis server.",
             "INFO [<command-name> ...]",
             "    Return details about multiple Redis commands.",
             "    If no command names are given, documentation details for "
             "all",
             "    commands are returned.",
             "DOCS [<command-name> ...]",
             "    Return documentation details about multiple Redis commands.",
             "    If no command names are given, documentation details for "
             "all",
             "    commands are returned.",
             "GETKEYS <full-command>",
             "    Return the keys from a full Redis command.",
             "GETKEYSANDFLAGS <full-command>",
             "    Return the keys and the access flags from a full Redis "
             "command."});
}

// ---- CONFIG. ----

void ConfigGetCommand(CommandContext& ctx, ArgList args) {
  std::vector<std::pair<std::string, std::string>> found =
      ctx.engine.config_table().GetMany(args.subspan(2));
  ctx.reply.MapHeader(found.size());
  for (const auto& [name, value] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

// Redis's islocalClient: a Unix socket or the loopback address.
bool IsLocalPeer(absl::string_view peer) {
  return peer.empty() || absl::StartsWith(peer, "/") ||
         absl::StartsWith(peer, "127.0.0.1:") ||
         absl::StartsWith(peer, "[::1]:") || absl::StartsWith(peer, "::1:");
}

void ConfigSetCommand(CommandContext& ctx, ArgList args) {
  if (args.size() % 2 != 0) {
    ctx.reply.Error(kSyntaxErr);
    return;
  }
  std::vector<std::pair<absl::string_view, absl::string_view>> pairs;
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    pairs.emplace_back(args[i], args[i + 1]);
  }
  absl::Status status = ctx.engine.config_table().SetAtRuntime(
      pairs, IsLocalPeer(ctx.client.peer));
  if (!status.ok()) {
    ctx.reply.Error(status.message());
    return;
  }
  ctx.reply.Ok();
}

void ConfigResetStatCommand(CommandContext& ctx, ArgList) {
  ctx.engine.stats() = EngineStats();
  ctx.engine.ResetCommandStats();
  ctx.reply.Ok();
}

// SLOWLOG GET [count] (default 10, -1 all), LEN, RESET.
void SlowLogGetCommand(CommandContext& ctx, ArgList args) {
  int64_t count = 10;
  if (args.size() == 3 &&
      (!absl::SimpleAtoi(args[2], &count) || count < -1)) {
    return ctx.reply.Error("ERR count should be greater than or equal to -1");
  }
  const std::deque<SlowLogEntry>& log = ctx.engine.slowlog();
  const size_t n = count == -1 ? log.size()
                               : std::min(log.size(), static_cast<size_t>(count));
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = log[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.args.size());
    for (const std::string& arg : e.args) ctx.reply.Bulk(arg);
    ctx.reply.Bulk(e.peer);
    ctx.reply.Bulk(e.name);
  }
}

void SlowLogLenCommand(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.engine.slowlog().size()));
}

void SlowLogResetCommand(CommandContext& ctx, ArgList) {
  ctx.engine.ResetSlowLog();
  ctx.reply.Ok();
}

void SlowLogHelpCommand(CommandContext& ctx, ArgList) {
  ReplyHelp(ctx.reply, "SLOWLOG",
            {"GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, "
             "-1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, "
             "client IP and port,",
             "    client name",
             "LEN", "    Return the length of the slowlog.",
             "RESET", "    Reset the slowlog."});
}

// Reads the file at `path` whole through the runtime.
absl::StatusOr<std::string> ReadConfigFile(FileSystem& fs,
                                           const std::string& path) {
  absl::StatusOr<std::unique_ptr<File>> f = fs.Open(path, OpenMode::kRead);
  if (!f.ok()) return f.status();
  std::string text;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = (*f)->ReadAt(text.size(), absl::Span<char>(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return text;
    text.append(buf, *n);
  }
}

// Writes `text` in place of `path` atomically: a temporary file in the same
// directory, fsync, rename, fsync the directory.
absl::Status ReplaceConfigFile(FileSystem& fs, const std::string& path,
                               absl::string_view text) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string temp = absl::StrCat(dir, "/.twinkv-config-rewrite.tmp");
  {
    absl::StatusOr<std::unique_ptr<File>> f = fs.Open(temp, OpenMode::kTruncate);
    if (!f.ok()) return f.status();
    if (absl::Status s = (*f)->Append(text); !s.ok()) return s;
    if (absl::Status s = (*f)->Sync(); !s.ok()) return s;
  }
  if (absl::Status s = fs.Rename(temp, path); !s.ok()) return s;
  return fs.SyncDir(dir.empty() ? "/" : dir);
}

// "write /etc/x: No space left on device" -> "No space left on device".
absl::string_view StatusReason(const absl::Status& status) {
  absl::string_view m = status.message();
  const size_t colon = m.rfind(": ");
  return colon == absl::string_view::npos ? m : m.substr(colon + 2);
}

void ConfigRewriteCommand(CommandContext& ctx, ArgList) {
  const std::string& path = ctx.engine.config().config_file;
  if (path.empty()) return ctx.reply.Error(kNoConfigFileErr);
  FileSystem& fs = ctx.engine.runtime().files();
  absl::StatusOr<std::string> old_text = ReadConfigFile(fs, path);
  absl::Status status = old_text.status();
  if (status.ok()) {
    status = ReplaceConfigFile(
        fs, path, ctx.engine.config_table().RewriteText(*old_text));
  }
  if (!status.ok()) {
    ctx.engine.runtime().logger().Log(
        LogLevel::kWarning,
        absl::StrCat("CONFIG REWRITE failed: ", status.message()));
    return ctx.reply.Error(
        absl::StrCat("ERR Rewriting config file: ", StatusReason(status)));
  }
  ctx.engine.runtime().logger().Log(LogLevel::kNotice,
                                    "CONFIG REWRITE executed with success.");
  ctx.reply.Ok();
}

void ConfigHelpCommand(CommandContext& ctx, ArgList) {
  ReplyHelp(ctx.reply, "CONFIG",
            {"GET <pattern>",
             "    Return parameters matching the glob-like <pattern> and "
             "their values.",
             "SET <directive> <value>",
             "    Set the configuration <directive> to <value>.",
             "RESETSTAT",
             "    Reset statistics reported by the INFO command.",
             "REWRITE",
             "    Rewrite the configuration file."});
}

// ---- FUNCTION and SCRIPT: no scripting, so flushing succeeds trivially. ----

void FunctionFlushCommand(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) {
    ctx.reply.Error(kFunctionFlushArgsErr);
  } else if (args.size() == 3 && !IsFlushMode(args[2])) {
    ctx.reply.Error(kFunctionFlushErr);
  } else {
    ctx.reply.Ok();
  }
}

void FunctionHelpCommand(CommandContext& ctx, ArgList) {
  ReplyHelp(ctx.reply, "FUNCTION",
            {"FLUSH [ASYNC|SYNC]", "    Delete all the libraries."});
}

void ScriptFlushCommand(CommandContext& ctx, ArgList args) {
  if (args.size() > 3 || (args.size() == 3 && !IsFlushMode(args[2]))) {
    ctx.reply.Error(kScriptFlushErr);
  } else {
    ctx.reply.Ok();
  }
}

void ScriptHelpCommand(CommandContext& ctx, ArgList) {
  ReplyHelp(ctx.reply, "SCRIPT",
            {"FLUSH [ASYNC|SYNC]",
             "    Flush the Lua scripts cache. Very dangerous on replicas."});
}

// ---- INFO. ----

// Redis's bytesToHuman: "893.12K", "11.50M", "0B"; from 1024P on, plain
// bytes again.
std::string BytesToHuman(uint64_t n) {
  if (n < 1024) return absl::StrCat(n, "B");
  uint64_t unit_bytes = 1024;
  for (char unit : {'K', 'M', 'G', 'T', 'P'}) {
    if (n / 1024 < unit_bytes) {  // n < 1024 * unit_bytes, without overflow
      return absl::StrFormat(
          "%.2f%c", static_cast<double>(n) / static_cast<double>(unit_bytes),
          unit);
    }
    unit_bytes *= 1024;
  }
  return absl::StrCat(n, "B");
}

// One INFO section: "# Name" and its "field:value" lines.
struct InfoSection {
  const char* name;  // as printed; matched case-insensitively
  void (*write)(Engine& engine, std::string* out);
  // In "INFO" and "INFO default" (Redis shows commandstats only for
  // "all", "everything" and by name).
  bool in_default = true;
};

void Field(std::string* out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(out, name, ":", value, "\r\n");
}
void Field(std::string* out, absl::string_view name, uint64_t value) {
  absl::StrAppend(out, name, ":", value, "\r\n");
}

void InfoServer(Engine& engine, std::string* out) {
  // The Redis version whose protocol and replies twinkv follows: clients
  // read this field to decide which commands they may use.
  Field(out, "redis_version", "7.0.0");
  Field(out, "redis_mode", "standalone");
  Field(out, "tcp_port", engine.config().port);
  Field(out, "hz", engine.config().hz);
  Field(out, "configured_hz", engine.config().hz);
  Field(out, "config_file", engine.config().config_file);
}

void InfoClients(Engine& engine, std::string* out) {
  // Redis 7.0's fields; buffer peaks are not tracked (zero).
  Field(out, "connected_clients", engine.clients().size());
  Field(out, "cluster_connections", uint64_t{0});
  Field(out, "maxclients", engine.config().maxclients);
  Field(out, "client_recent_max_input_buffer", uint64_t{0});
  Field(out, "client_recent_max_output_buffer", uint64_t{0});
  Field(out, "blocked_clients", engine.blocked_clients());
  Field(out, "tracking_clients", uint64_t{0});
  Field(out, "clients_in_timeout_table", engine.blocked_clients());
}

void InfoCommandStats(Engine& engine, std::string* out) {
  // Redis's order is its command dict's; ours is the table's, with each
  // container's subcommands after it ("cmdstat_client|list").
  auto line = [&](const CommandSpec& spec) {
    auto it = engine.command_stats().find(&spec);
    if (it == engine.command_stats().end()) return;
    const CommandStats& cs = it->second;
    if (cs.calls == 0 && cs.rejected_calls == 0 && cs.failed_calls == 0) {
      return;
    }
    absl::StrAppend(
        out, "cmdstat_", spec.full_name, ":calls=", cs.calls,
        ",usec=", cs.usec, ",usec_per_call=",
        absl::StrFormat("%.2f", cs.calls == 0
                                    ? 0.0
                                    : static_cast<double>(cs.usec) /
                                          static_cast<double>(cs.calls)),
        ",rejected_calls=", cs.rejected_calls,
        ",failed_calls=", cs.failed_calls, "\r\n");
  };
  for (const auto& row : engine.commands().all()) {
    line(*row);
    for (const CommandSpec& sub : row->subcommands) line(sub);
  }
}

void InfoMemory(Engine& engine, std::string* out) {
  const MemoryUsage usage = engine.memory_usage();
  const uint64_t maxmemory = static_cast<uint64_t>(engine.config().maxmemory);
  Field(out, "used_memory", usage.used_bytes);
  Field(out, "used_memory_human", BytesToHuman(usage.used_bytes));
  Field(out, "used_memory_rss", usage.rss_bytes);
  Field(out, "used_memory_rss_human", BytesToHuman(usage.rss_bytes));
  // No peak is tracked (the engine keeps no memory history): the peak
  // reported is the current use.
  Field(out, "used_memory_peak", usage.used_bytes);
  Field(out, "used_memory_peak_human", BytesToHuman(usage.used_bytes));
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", BytesToHuman(maxmemory));
  Field(out, "maxmemory_policy", engine.config().maxmemory_policy);
  // As Redis 7.0: RSS over the allocator's bytes in use, and their
  // difference (negative when part of the heap is swapped out or untouched).
  Field(out, "mem_fragmentation_ratio",
        absl::StrFormat("%.2f", usage.used_bytes == 0
                                    ? 0.0
                                    : static_cast<double>(usage.rss_bytes) /
                                          static_cast<double>(usage.used_bytes)));
  absl::StrAppend(out, "mem_fragmentation_bytes:",
                  static_cast<int64_t>(usage.rss_bytes - usage.used_bytes),
                  "\r\n");
  // twinkv links no other allocator than the C library's malloc.
  Field(out, "mem_allocator", "libc");
}

void InfoPersistence(Engine& engine, std::string* out) {
  Field(out, "loading", uint64_t{engine.loading() ? 1u : 0u});
  Field(out, "rdb_changes_since_last_save", engine.dirty());
  if (CommandLog* log = engine.command_log()) {
    log->AppendInfo(out);
  } else {
    Field(out, "aof_enabled", uint64_t{0});
    Field(out, "aof_rewrite_in_progress", uint64_t{0});
    Field(out, "aof_last_write_status", "ok");
  }
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. There is no RDB to save
// and no replica to wait for, so the options change nothing but are
// checked. On success there is no reply, as in Redis: the connection
// closes once the shutdown has drained the replies before it.
void ShutdownCommand(CommandContext& ctx, ArgList args) {
  bool nosave = false, save = false, abort = false, other = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (absl::EqualsIgnoreCase(args[i], "NOSAVE")) {
      nosave = true;
    } else if (absl::EqualsIgnoreCase(args[i], "SAVE")) {
      save = true;
    } else if (absl::EqualsIgnoreCase(args[i], "NOW") ||
               absl::EqualsIgnoreCase(args[i], "FORCE")) {
      other = true;
    } else if (absl::EqualsIgnoreCase(args[i], "ABORT")) {
      abort = true;
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  if ((nosave && save) || (abort && (nosave || save || other))) {
    return ctx.reply.Error(kSyntaxErr);
  }
  if (abort) return ctx.reply.Error("ERR No shutdown in progress.");
  const std::function<void()>& handler = ctx.engine.shutdown_handler();
  if (!handler) return ctx.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
  ctx.engine.runtime().logger().Log(LogLevel::kWarning,
                                    "User requested shutdown...");
  ctx.client.close_after_reply = true;
  // Not from inside the command: the handler stops the server.
  ctx.engine.runtime().executor().Post([handler] { handler(); });
}

void BgRewriteAofCommand(CommandContext& ctx, ArgList) {
  CommandLog* log = ctx.engine.command_log();
  if (log == nullptr) {
    return ctx.reply.Error(
        "ERR Background append only file rewriting is not possible: "
        "appendonly is no");
  }
  if (absl::Status s = log->StartRewrite(); !s.ok()) {
    return ctx.reply.Error(absl::StrCat("ERR ", s.message()));
  }
  ctx.reply.Status("Background append only file rewriting started");
}

void InfoStats(Engine& engine, std::string* out) {
  const EngineStats& s = engine.stats();
  Field(out, "total_connections_received", s.connections_received);
  Field(out, "total_commands_processed", s.commands_processed);
  Field(out, "rejected_connections", s.rejected_connections);
  // Redis's expired_keys counts lazy and active expiry alike.
  Field(out, "expired_keys", s.expired_total);
  Field(out, "evicted_keys", s.evicted_keys);
  Field(out, "keyspace_hits", s.keyspace_hits);
  Field(out, "keyspace_misses", s.keyspace_misses);
  // Not sampled (Redis measures it in serverCron).
  Field(out, "instantaneous_ops_per_sec", uint64_t{0});
  Field(out, "pubsub_channels", engine.pubsub().Channels("").size());
  Field(out, "pubsub_patterns", engine.pubsub().NumPat());
}

void InfoReplication(Engine&, std::string* out) {
  Field(out, "role", "master");
  Field(out, "connected_slaves", uint64_t{0});
}

void InfoCluster(Engine& engine, std::string* out) {
  Field(out, "cluster_enabled",
        uint64_t{engine.cluster() != nullptr ? 1u : 0u});
}

void InfoKeyspace(Engine& engine, std::string* out) {
  Keyspace& keyspace = engine.keyspace();
  for (int i = 0; i < keyspace.size(); ++i) {
    const Db& db = keyspace.db(i);
    if (db.size() == 0) continue;
    // avg_ttl is not tracked; Redis too prints 0 until it has sampled.
    absl::StrAppend(out, "db", i, ":keys=", db.size(),
                    ",expires=", db.expires_size(), ",avg_ttl=0\r\n");
  }
}

// Redis's CPU section: the process's own times (one thread does the work:
// the main-thread figures are the same); no children (no fork).
void InfoCpu(Engine& engine, std::string* out) {
  const MemoryUsage usage = engine.memory_usage();
  auto seconds = [](double s) { return absl::StrFormat("%.6f", s); };
  Field(out, "used_cpu_sys", seconds(usage.cpu_sys_seconds));
  Field(out, "used_cpu_user", seconds(usage.cpu_user_seconds));
  Field(out, "used_cpu_sys_children", seconds(0));
  Field(out, "used_cpu_user_children", seconds(0));
  Field(out, "used_cpu_sys_main_thread", seconds(usage.cpu_sys_seconds));
  Field(out, "used_cpu_user_main_thread", seconds(usage.cpu_user_seconds));
}

// Redis 7.0's order. All of them are "default" sections.
constexpr InfoSection kInfoSections[] = {
    {"Server", InfoServer},           {"Clients", InfoClients},
    {"Memory", InfoMemory},           {"Persistence", InfoPersistence},
    {"Stats", InfoStats},             {"Replication", InfoReplication},
    {"CPU", InfoCpu},
    {"Commandstats", InfoCommandStats, false},
    {"Cluster", InfoCluster},         {"Keyspace", InfoKeyspace},
};

// INFO [section ...]: the named sections (or "default", "all",
// "everything": every section here) in Redis's order, each once; unknown
// names add nothing, so only unknown names give an empty reply.
void InfoCommand(CommandContext& ctx, ArgList args) {
  bool wanted[std::size(kInfoSections)] = {};
  for (size_t s = 0; s < std::size(kInfoSections); ++s) {
    wanted[s] = args.size() == 1 && kInfoSections[s].in_default;
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const bool every = absl::EqualsIgnoreCase(args[i], "all") ||
                       absl::EqualsIgnoreCase(args[i], "everything");
    const bool group = every || absl::EqualsIgnoreCase(args[i], "default");
    for (size_t s = 0; s < std::size(kInfoSections); ++s) {
      if ((group && kInfoSections[s].in_default) || every ||
          absl::EqualsIgnoreCase(args[i], kInfoSections[s].name)) {
        wanted[s] = true;
      }
    }
  }
  std::string out;
  for (size_t s = 0; s < std::size(kInfoSections); ++s) {
    if (!wanted[s]) continue;
    if (!out.empty()) out += "\r\n";
    absl::StrAppend(&out, "# ", kInfoSections[s].name, "\r\n");
    kInfoSections[s].write(ctx.engine, &out);
  }
  ctx.reply.Bulk(out);
}

// ---- Rows. ----

CommandSpec Row(std::string name, int arity, uint32_t flags,
                CommandHandler handler, std::string summary,
                std::string since, std::string group, std::string complexity,
                std::vector<std::string> acl) {
  return MakeRow(std::move(name), arity, flags, 0, 0, 0, handler,
                 std::move(summary), std::move(since), std::move(group),
                 std::move(complexity), std::move(acl));
}

constexpr uint32_t kLoadingStale = kCmdLoading | kCmdStale;
constexpr uint32_t kConfigFlags =
    kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
constexpr char kHelpSummary[] =
    "Show helpful text about the different subcommands";

}  // namespace

void RegisterServerFamily(CommandTable& table) {
  const std::vector<std::string> kConnFast = {"@fast", "@connection"};
  const std::vector<std::string> kDangerousWrite = {"@keyspace", "@write",
                                                    "@slow", "@dangerous"};
  const std::vector<std::string> kAdmin = {"@admin", "@slow", "@dangerous"};
  const std::vector<std::string> kSlowConn = {"@slow", "@connection"};
  const std::vector<std::string> kSlowScripting = {"@slow", "@scripting"};

  table.Add(Row("ping", -1, kCmdFast, PingCommand, "Ping the server", "1.0.0",
                "connection", "O(1)", kConnFast));
  table.Add(Row("echo", 2, kLoadingStale | kCmdFast, EchoCommand,
                "Echo the given string", "1.0.0", "connection", "O(1)",
                kConnFast));
  table.Add(Row("select", 2, kLoadingStale | kCmdFast, SelectCommand,
                "Change the selected database for the current connection",
                "1.0.0", "connection", "O(1)", kConnFast));
  table.Add(Row("quit", -1,
                kCmdNoScript | kLoadingStale | kCmdFast | kCmdNoAuth |
                    kCmdAllowBusy,
                QuitCommand, "Close the connection", "1.0.0", "connection",
                "O(1)", kConnFast));
  table.Add(Row("dbsize", 1, kCmdReadOnly | kCmdFast, DbSizeCommand,
                "Return the number of keys in the selected database", "1.0.0",
                "server", "O(1)", {"@keyspace", "@read", "@fast"}));
  table.Add(Row("flushdb", -1, kCmdWrite, FlushDbCommand,
                "Remove all keys from the current database", "1.0.0",
                "server",
                "O(N) where N is the number of keys in the selected database",
                kDangerousWrite));
  table.Add(Row("flushall", -1, kCmdWrite, FlushAllCommand,
                "Remove all keys from all databases", "1.0.0", "server",
                "O(N) where N is the total number of keys in all databases",
                kDangerousWrite));
  table.Add(Row("shutdown", -1,
                kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale |
                    kCmdNoMulti | kCmdAllowBusy,
                ShutdownCommand,
                "Synchronously save the dataset to disk and then shut down "
                "the server",
                "1.0.0", "server",
                "O(N) when saving, where N is the total number of keys in "
                "all databases when saving data, otherwise O(1)",
                {"@admin", "@slow", "@dangerous"}));
  table.Add(Row("bgrewriteaof", 1, kCmdAdmin | kCmdNoScript,
                BgRewriteAofCommand,
                "Asynchronously rewrite the append-only file", "1.0.0",
                "server", "O(1)", {"@admin", "@slow", "@dangerous"}));
  table.Add(Row("lastsave", 1, kLoadingStale | kCmdFast, LastSaveCommand,
                "Get the Unix timestamp of the last successful save to disk",
                "1.0.0", "server", "O(1)", {"@admin", "@fast", "@dangerous"}));
  table.Add(Row("time", 1, kLoadingStale | kCmdFast, TimeCommand,
                "Return the current server time", "2.6.0", "server", "O(1)",
                {"@fast"}));
  table.Add(Row("info", -1, kLoadingStale, InfoCommand,
                "Get information and statistics about the server", "1.0.0",
                "server", "O(1)", {"@slow", "@dangerous"}));

  CommandSpec command =
      Row("command", -1, kLoadingStale, CommandCommand,
          "Get array of Redis command details", "2.8.13", "server",
          "O(N) where N is the total number of Redis commands", kSlowConn);
  command.subcommands = {
      Row("count", 2, kLoadingStale, CommandCountCommand,
          "Get total number of Redis commands", "2.8.13", "server", "O(1)",
          kSlowConn),
      Row("list", -2, kLoadingStale, CommandListCommand,
          "Get an array of Redis command names", "7.0.0", "server",
          "O(N) where N is the total number of Redis commands", kSlowConn),
      Row("info", -2, kLoadingStale, CommandInfoCommand,
          "Get array of specific Redis command details, or all when no "
          "argument is given.",
          "2.8.13", "server",
          "O(N) where N is the number of commands to look up", kSlowConn),
      Row("docs", -2, kLoadingStale, CommandDocsCommand,
          "Get array of specific Redis command documentation", "7.0.0",
          "server", "O(N) where N is the number of commands to look up",
          kSlowConn),
      Row("getkeys", -4, kLoadingStale, CommandGetKeysCommand,
          "Extract keys given a full Redis command", "2.8.13", "server",
          "O(N) where N is the number of arguments to the command",
          kSlowConn),
      Row("getkeysandflags", -4, kLoadingStale, CommandGetKeysAndFlagsCommand,
          "Extract keys and access flags given a full Redis command", "7.0.0",
          "server", "O(N) where N is the number of arguments to the command",
          kSlowConn),
      Row("help", 2, kLoadingStale, CommandHelpCommand,
          std::string(kHelpSummary), "5.0.0", "server", "O(1)", kSlowConn),
  };
  table.Add(std::move(command));

  CommandSpec config =
      Row("config", -2, 0, nullptr,
          "A container for server configuration commands", "2.0.0", "server",
          "Depends on subcommand.", {"@slow"});
  config.subcommands = {
      Row("get", -3, kConfigFlags, ConfigGetCommand,
          "Get the values of configuration parameters", "2.0.0", "server",
          "O(N) when N is the number of configuration parameters provided",
          kAdmin),
      Row("set", -4, kConfigFlags, ConfigSetCommand,
          "Set configuration parameters to the given values", "2.0.0",
          "server",
          "O(N) when N is the number of configuration parameters provided",
          kAdmin),
      Row("resetstat", 2, kConfigFlags, ConfigResetStatCommand,
          "Reset the stats returned by INFO", "2.0.0", "server", "O(1)",
          kAdmin),
      Row("rewrite", 2, kConfigFlags, ConfigRewriteCommand,
          "Rewrite the configuration file with the in memory configuration",
          "2.8.0", "server", "O(1)", kAdmin),
      Row("help", 2, kLoadingStale, ConfigHelpCommand,
          std::string(kHelpSummary), "5.0.0", "server", "O(1)", {"@slow"}),
  };
  table.Add(std::move(config));

  CommandSpec slowlog =
      Row("slowlog", -2, 0, nullptr,
          "A container for slow log commands", "2.2.12", "server",
          "Depends on subcommand.", {"@slow"});
  slowlog.subcommands = {
      Row("get", -2, kCmdAdmin | kLoadingStale, SlowLogGetCommand,
          "Get the slow log's entries", "2.2.12", "server",
          "O(N) where N is the number of entries returned", kAdmin),
      Row("len", 2, kCmdAdmin | kLoadingStale, SlowLogLenCommand,
          "Get the slow log's length", "2.2.12", "server", "O(1)", kAdmin),
      Row("reset", 2, kCmdAdmin | kLoadingStale, SlowLogResetCommand,
          "Clear all entries from the slow log", "2.2.12", "server",
          "O(N) where N is the number of entries in the slowlog", kAdmin),
      Row("help", 2, kLoadingStale, SlowLogHelpCommand,
          std::string(kHelpSummary), "6.2.0", "server", "O(1)", {"@slow"}),
  };
  table.Add(std::move(slowlog));

  CommandSpec function =
      Row("function", -2, 0, nullptr, "A container for function commands",
          "7.0.0", "scripting", "Depends on subcommand.", {"@slow"});
  function.subcommands = {
      Row("flush", -2, kCmdWrite | kCmdNoScript, FunctionFlushCommand,
          "Deleting all functions", "7.0.0", "scripting",
          "O(N) where N is the number of functions deleted",
          {"@write", "@slow", "@scripting"}),
      Row("help", 2, kLoadingStale, FunctionHelpCommand,
          std::string(kHelpSummary), "7.0.0", "scripting", "O(1)",
          kSlowScripting),
  };
  table.Add(std::move(function));

  CommandSpec script =
      Row("script", -2, 0, nullptr,
          "A container for Lua scripts management commands", "2.6.0",
          "scripting", "Depends on subcommand.", {"@slow"});
  script.subcommands = {
      Row("flush", -2, kCmdNoScript, ScriptFlushCommand,
          "Remove all the scripts from the script cache.", "2.6.0",
          "scripting", "O(N) with N being the number of scripts in cache",
          kSlowScripting),
      Row("help", 2, kLoadingStale, ScriptHelpCommand,
          std::string(kHelpSummary), "5.0.0", "scripting", "O(1)",
          kSlowScripting),
  };
  table.Add(std::move(script));
}

}  // namespace twinkv
