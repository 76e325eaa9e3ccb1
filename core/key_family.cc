// The generic key commands: DEL EXISTS TYPE RENAME RENAMENX KEYS, with
// Redis 7.0's replies and errors (db.c is the reference).

#include <string>
#include <vector>

#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/glob.h"

namespace twinkv {
namespace {

// Counts keyspace hits and misses as Redis's read lookups do (EXISTS and
// TYPE look up for reading; DEL and RENAME for writing, uncounted).
Value* LookupRead(CommandContext& ctx, absl::string_view key) {
  Value* v = ctx.db().Find(key, ctx.now_ms);
  EngineStats& stats = ctx.engine.stats();
  if (v != nullptr) {
    ++stats.keyspace_hits;
  } else {
    ++stats.keyspace_misses;
  }
  return v;
}

void DelCommand(CommandContext& ctx, ArgList args) {
  Db& db = ctx.db();
  int64_t deleted = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    deleted += db.Erase(args[i], ctx.now_ms);
  }
  ctx.reply.Integer(deleted);
}

void ExistsCommand(CommandContext& ctx, ArgList args) {
  int64_t count = 0;  // a key named twice counts twice
  for (size_t i = 1; i < args.size(); ++i) {
    count += LookupRead(ctx, args[i]) != nullptr;
  }
  ctx.reply.Integer(count);
}

void TypeCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  ctx.reply.Status(v == nullptr ? "none" : ValueTypeName(v->type()));
}

void RenameGeneric(CommandContext& ctx, ArgList args, bool nx) {
  switch (ctx.db().Rename(args[1], args[2], ctx.now_ms, nx)) {
    case Db::RenameResult::kNoSuchKey:
      return ctx.reply.Error(kNoSuchKeyErr);
    case Db::RenameResult::kTargetExists:
      return ctx.reply.Integer(0);
    case Db::RenameResult::kOk:
      return nx ? ctx.reply.Integer(1) : ctx.reply.Ok();
  }
}

void RenameCommand(CommandContext& ctx, ArgList args) {
  RenameGeneric(ctx, args, /*nx=*/false);
}

void RenameNxCommand(CommandContext& ctx, ArgList args) {
  RenameGeneric(ctx, args, /*nx=*/true);
}

void KeysCommand(CommandContext& ctx, ArgList args) {
  absl::string_view pattern = args[1];
  // A lone "*" lists every key, the empty one included (GlobMatch, like
  // Redis's matcher, does not match an empty key).
  const bool all = pattern == "*";
  // Views into the keyspace: valid until the next call on the Db, and the
  // reply is written before that.
  std::vector<absl::string_view> keys;
  ctx.db().ForEachKey(ctx.now_ms, [&](absl::string_view key) {
    if (all || GlobMatch(pattern, key)) keys.push_back(key);
  });
  ctx.reply.BulkArray(keys);
}

CommandSpec Row(const char* name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                const char* summary, const char* complexity,
                std::vector<std::string> acl) {
  return CommandSpec{.name = name,
                     .arity = arity,
                     .flags = flags,
                     .first_key = first_key,
                     .last_key = last_key,
                     .key_step = key_step,
                     .handler = handler,
                     .summary = summary,
                     .since = "1.0.0",
                     .group = "generic",
                     .complexity = complexity,
                     .acl_categories = std::move(acl)};
}

}  // namespace

void RegisterKeyFamily(CommandTable& table) {
  table.Add(Row(
      "del", -2, kCmdWrite, 1, -1, 1, DelCommand, "Delete a key",
      "O(N) where N is the number of keys that will be removed. When a key to "
      "remove holds a value other than a string, the individual complexity "
      "for this key is O(M) where M is the number of elements in the list, "
      "set, sorted set or hash. Removing a single key that holds a string "
      "value is O(1).",
      {"@keyspace", "@write", "@slow"}));
  table.Add(Row("exists", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, ExistsCommand,
                "Determine if a key exists",
                "O(N) where N is the number of keys to check.",
                {"@keyspace", "@read", "@fast"}));
  table.Add(Row("type", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, TypeCommand,
                "Determine the type stored at key", "O(1)",
                {"@keyspace", "@read", "@fast"}));
  table.Add(Row("rename", 3, kCmdWrite, 1, 2, 1, RenameCommand, "Rename a key",
                "O(1)", {"@keyspace", "@write", "@slow"}));
  table.Add(Row("renamenx", 3, kCmdWrite | kCmdFast, 1, 2, 1, RenameNxCommand,
                "Rename a key, only if the new key does not exist", "O(1)",
                {"@keyspace", "@write", "@fast"}));
  table.Add(Row("keys", 2, kCmdReadOnly, 0, 0, 0, KeysCommand,
                "Find all keys matching the given pattern",
                "O(N) with N being the number of keys in the database, under "
                "the assumption that the key names in the database and the "
                "given pattern have limited length.",
                {"@keyspace", "@read", "@slow", "@dangerous"}));
}

}  // namespace twinkv
