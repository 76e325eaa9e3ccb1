// The generic key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX
// KEYS SCAN RANDOMKEY, the expiry commands EXPIRE PEXPIRE EXPIREAT PEXPIREAT
// TTL PTTL EXPIRETIME PEXPIRETIME PERSIST, MOVE COPY SWAPDB and OBJECT
// ENCODING, with Redis 7.0's replies and errors (db.c, expire.c and
// object.c are the reference).

#include <climits>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/family_util.h"
#include "core/glob.h"
#include "core/numbers.h"

namespace twinkv {
namespace {

void DelCommand(CommandContext& ctx, ArgList args) {
  Db& db = ctx.db();
  int64_t deleted = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    deleted += db.Erase(args[i], ctx.now_ms);
  }
  if (deleted > 0) ctx.AddDirty(deleted);
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
      // Renaming a key onto itself changes nothing (Redis does not log it).
      if (args[1] != args[2]) ctx.AddDirty();
      // A list or sorted set arriving under a new name may serve waiters.
      ctx.engine.SignalKeyReady(ctx.client.db_index, args[2]);
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

void TouchCommand(CommandContext& ctx, ArgList args) {
  // Counts the keys that exist (no access times to update here).
  int64_t count = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    count += LookupRead(ctx, args[i]) != nullptr;
  }
  ctx.reply.Integer(count);
}

// --- Expiry. ---

enum ExpireFlag : uint32_t {
  kExpireNx = 1u << 0,
  kExpireXx = 1u << 1,
  kExpireGt = 1u << 2,
  kExpireLt = 1u << 3,
};

// expireGenericCommand: EXPIRE (basetime now, seconds), PEXPIRE (now, ms),
// EXPIREAT (0, seconds), PEXPIREAT (0, ms). Options are checked before the
// time, the time before the key.
void ExpireGeneric(CommandContext& ctx, ArgList args, absl::string_view name,
                   int64_t basetime_ms, bool seconds) {
  uint32_t flags = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "NX")) {
      flags |= kExpireNx;
    } else if (EqualsIgnoreCase(args[j], "XX")) {
      flags |= kExpireXx;
    } else if (EqualsIgnoreCase(args[j], "GT")) {
      flags |= kExpireGt;
    } else if (EqualsIgnoreCase(args[j], "LT")) {
      flags |= kExpireLt;
    } else {
      return ctx.reply.Error(absl::StrCat(kUnsupportedOptionPrefix, args[j]));
    }
  }
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    return ctx.reply.Error(kExpireNxConflictErr);
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    return ctx.reply.Error(kExpireGtLtErr);
  }
  int64_t when;
  if (!ParseInt64(args[2], &when)) return ctx.reply.Error(kNotIntegerErr);
  // Negative times are allowed (the key is deleted); only overflow of the
  // unit conversion or of the addition is an error.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (seconds) {
    if (when > kMax / 1000 || when < kMin / 1000) {
      return ctx.reply.Error(InvalidExpireError(name));
    }
    when *= 1000;
  }
  if (when > kMax - basetime_ms) {
    return ctx.reply.Error(InvalidExpireError(name));
  }
  when += basetime_ms;

  Db& db = ctx.db();
  const int64_t current = db.GetExpire(args[1], ctx.now_ms);
  if (current == Db::kMissing) return ctx.reply.Integer(0);
  const bool has_ttl = current != Db::kNoExpire;
  // No TTL counts as an infinite one: GT never beats it, LT always does.
  if (((flags & kExpireNx) && has_ttl) || ((flags & kExpireXx) && !has_ttl) ||
      ((flags & kExpireGt) && (!has_ttl || when <= current)) ||
      ((flags & kExpireLt) && has_ttl && when >= current)) {
    return ctx.reply.Integer(0);
  }
  ctx.AddDirty();
  // A time in the past deletes the key, except while loading the AOF
  // (Redis's checkAlreadyExpired): the logged commands that follow expect
  // the key, and it goes once loading ends.
  if (when <= ctx.now_ms && !ctx.engine.loading()) {
    db.Erase(args[1], ctx.now_ms);
    ctx.Propagate({"DEL", args[1]});
  } else {
    db.SetExpire(args[1], when, ctx.now_ms);
    // Relative times and seconds replay as the absolute time in ms; the
    // options stay, as Redis rewrites only the name and the time.
    if (basetime_ms != 0 || seconds) {
      const std::string when_text = absl::StrCat(when);
      std::vector<absl::string_view> out(args.begin(), args.end());
      out[0] = "PEXPIREAT";
      out[2] = when_text;
      ctx.Propagate(out);
    }
  }
  ctx.reply.Integer(1);
}

void ExpireCommand(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, "expire", ctx.now_ms, /*seconds=*/true);
}
void PExpireCommand(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, "pexpire", ctx.now_ms, /*seconds=*/false);
}
void ExpireAtCommand(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, "expireat", 0, /*seconds=*/true);
}
void PExpireAtCommand(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, "pexpireat", 0, /*seconds=*/false);
}

// ttlGenericCommand: -2 missing, -1 no TTL; else the remaining time (or
// the absolute time), seconds rounded to nearest.
void TtlGeneric(CommandContext& ctx, ArgList args, bool ms, bool absolute) {
  if (LookupRead(ctx, args[1]) == nullptr) return ctx.reply.Integer(-2);
  const int64_t expire = ctx.db().GetExpire(args[1], ctx.now_ms);
  if (expire == Db::kNoExpire) return ctx.reply.Integer(-1);
  int64_t t = absolute ? expire : expire - ctx.now_ms;
  if (t < 0) t = 0;
  ctx.reply.Integer(ms ? t : (t + 500) / 1000);
}

void TtlCommand(CommandContext& ctx, ArgList args) {
  TtlGeneric(ctx, args, /*ms=*/false, /*absolute=*/false);
}
void PTtlCommand(CommandContext& ctx, ArgList args) {
  TtlGeneric(ctx, args, /*ms=*/true, /*absolute=*/false);
}
void ExpireTimeCommand(CommandContext& ctx, ArgList args) {
  TtlGeneric(ctx, args, /*ms=*/false, /*absolute=*/true);
}
void PExpireTimeCommand(CommandContext& ctx, ArgList args) {
  TtlGeneric(ctx, args, /*ms=*/true, /*absolute=*/true);
}

void PersistCommand(CommandContext& ctx, ArgList args) {
  Db& db = ctx.db();
  const int64_t expire = db.GetExpire(args[1], ctx.now_ms);
  if (expire == Db::kMissing || expire == Db::kNoExpire) {
    return ctx.reply.Integer(0);
  }
  db.SetExpire(args[1], Db::kNoExpire, ctx.now_ms);
  ctx.AddDirty();
  ctx.reply.Integer(1);
}

// --- Iteration and random picks. ---

void ScanCommand(CommandContext& ctx, ArgList args) {
  uint64_t cursor;
  if (!ParseCursor(args[1], &cursor)) {
    return ctx.reply.Error(kInvalidCursorErr);
  }
  ScanArgs scan;
  absl::string_view err = ParseScanOptions(args, 2, /*allow_type=*/true, &scan);
  if (!err.empty()) return ctx.reply.Error(err);
  // As Redis: up to 10 * COUNT bucket steps, until COUNT keys are
  // gathered (before filtering), so a sparse table still answers fast.
  std::vector<std::string> keys;
  Db& db = ctx.db();
  int64_t steps_left = ScanStepBudget(scan.count);
  do {
    cursor = db.Scan(cursor, ctx.now_ms,
                     [&](absl::string_view key, const Value& value) {
                       if (scan.use_pattern && !GlobMatch(scan.pattern, key)) {
                         return;
                       }
                       if (scan.use_type &&
                           !EqualsIgnoreCase(scan.type,
                                             ValueTypeName(value.type()))) {
                         return;
                       }
                       keys.emplace_back(key);
                     });
  } while (cursor != 0 && steps_left-- > 0 &&
           keys.size() < static_cast<uint64_t>(scan.count));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(absl::StrCat(cursor));
  ctx.reply.BulkArray(keys);
}

void RandomKeyCommand(CommandContext& ctx, ArgList args) {
  std::optional<absl::string_view> key =
      ctx.db().RandomKey(ctx.engine.runtime().random(), ctx.now_ms);
  key ? ctx.reply.Bulk(*key) : ctx.reply.Null();
}

// --- Between databases. ---

// getIntFromObjectOrReply: an int, or false after replying `not_int`
// (Redis's default when nullptr) or the range error.
bool ParseIntArg(CommandContext& ctx, absl::string_view arg, int* out,
                 absl::string_view not_int = {}) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.reply.Error(not_int.empty() ? kNotIntegerErr : not_int);
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    ctx.reply.Error(not_int.empty() ? kIntOutOfRangeErr : not_int);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

bool ValidDb(CommandContext& ctx, int index) {
  return index >= 0 && index < ctx.engine.keyspace().size();
}

void MoveCommand(CommandContext& ctx, ArgList args) {
  int dst_index;
  if (!ParseIntArg(ctx, args[2], &dst_index)) return;
  if (!ValidDb(ctx, dst_index)) return ctx.reply.Error(kDbIndexOutOfRangeErr);
  if (dst_index == ctx.client.db_index) return ctx.reply.Error(kSameObjectErr);
  Db& src = ctx.db();
  Db& dst = ctx.engine.keyspace().db(dst_index);
  if (!src.Exists(args[1], ctx.now_ms) || dst.Exists(args[1], ctx.now_ms)) {
    return ctx.reply.Integer(0);
  }
  Value value;
  int64_t expire_ms;
  // The engine announced the key in this database only.
  ctx.engine.BeforeWrite(dst_index, args[1]);
  src.Take(args[1], ctx.now_ms, &value, &expire_ms);
  dst.Set(args[1], std::move(value), ctx.now_ms, expire_ms);
  ctx.AddDirty();
  ctx.engine.SignalKeyReady(dst_index, args[1]);
  ctx.reply.Integer(1);
}

void CopyCommand(CommandContext& ctx, ArgList args) {
  int dst_index = ctx.client.db_index;
  bool replace = false;
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[j], "DB") && j + 1 < args.size()) {
      if (!ParseIntArg(ctx, args[j + 1], &dst_index)) return;
      if (!ValidDb(ctx, dst_index)) {
        return ctx.reply.Error(kDbIndexOutOfRangeErr);
      }
      ++j;
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  if (ctx.engine.cluster() != nullptr &&
      (ctx.client.db_index != 0 || dst_index != 0)) {
    return ctx.reply.Error(
        "ERR Copying to another database is not allowed in cluster mode");
  }
  if (dst_index == ctx.client.db_index && args[1] == args[2]) {
    return ctx.reply.Error(kSameObjectErr);
  }
  Db& src = ctx.db();
  Db& dst = ctx.engine.keyspace().db(dst_index);
  const Value* from = LookupRead(ctx, args[1]);
  if (from == nullptr) return ctx.reply.Integer(0);
  const int64_t expire_ms = src.GetExpire(args[1], ctx.now_ms);
  bool ok;
  Value copy = from->Clone(&ok);
  if (!ok) {
    // Only a family that has not implemented ValueObject::Clone gets here.
    return ctx.reply.Error(kCopyUnsupportedErr);
  }
  if (dst.Exists(args[2], ctx.now_ms) && !replace) {
    return ctx.reply.Integer(0);
  }
  // The engine announced the key in this database only.
  if (dst_index != ctx.client.db_index) {
    ctx.engine.BeforeWrite(dst_index, args[2]);
  }
  dst.Set(args[2], std::move(copy), ctx.now_ms, expire_ms);
  ctx.AddDirty();
  ctx.engine.SignalKeyReady(dst_index, args[2]);
  ctx.reply.Integer(1);
}

void SwapDbCommand(CommandContext& ctx, ArgList args) {
  int a, b;
  if (!ParseIntArg(ctx, args[1], &a, kInvalidFirstDbIndexErr) ||
      !ParseIntArg(ctx, args[2], &b, kInvalidSecondDbIndexErr)) {
    return;
  }
  if (!ValidDb(ctx, a) || !ValidDb(ctx, b)) {
    return ctx.reply.Error(kDbIndexOutOfRangeErr);
  }
  ctx.engine.keyspace().Swap(a, b);
  ctx.AddDirty();
  // Clients blocked on a key of either database may find it there now.
  ctx.engine.SignalDbReady(a);
  ctx.engine.SignalDbReady(b);
  ctx.reply.Ok();
}

// --- OBJECT. ---

// A string's encoding as Redis would pick it on SET: "int" for a canonical
// 64-bit integer, "embstr" up to 44 bytes, "raw" beyond. (Redis also makes
// strings "raw" once APPEND or SETRANGE touch them; we do not track that.)
absl::string_view StringEncoding(absl::string_view s) {
  int64_t unused;
  if (s.size() <= 20 && ParseInt64(s, &unused)) return "int";
  return s.size() <= 44 ? "embstr" : "raw";
}

void ObjectEncodingCommand(CommandContext& ctx, ArgList args) {
  const Value* v = LookupRead(ctx, args[2]);
  if (v == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(v->is_string() ? StringEncoding(v->str())
                                : v->object()->Encoding());
}

void ObjectHelpCommand(CommandContext& ctx, ArgList args) {
  constexpr absl::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store "
      "the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned "
      "integer is",
      "    proportional to the logarithm of the recent access frequency of "
      "the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated "
      "number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the "
      "specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (absl::string_view line : kLines) ctx.reply.Status(line);
}

CommandSpec Row(const char* name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                const char* summary, const char* complexity,
                std::vector<std::string> acl, const char* since = "1.0.0",
                const char* group = "generic") {
  return MakeRow(name, arity, flags, first_key, last_key, key_step, handler,
                 summary, since, group, complexity, std::move(acl));
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

  const std::vector<std::string> kWriteFast = {"@keyspace", "@write", "@fast"};
  const std::vector<std::string> kReadFast = {"@keyspace", "@read", "@fast"};
  constexpr uint32_t kWF = kCmdWrite | kCmdFast;
  constexpr uint32_t kRF = kCmdReadOnly | kCmdFast;
  table.Add(Row("unlink", -2, kWF, 1, -1, 1, DelCommand,
                "Delete a key asynchronously in another thread. Otherwise it "
                "is just as DEL, but non blocking.",
                "O(1) for each key removed regardless of its size. Then the "
                "command does O(N) work in a different thread in order to "
                "reclaim memory, where N is the number of allocations the "
                "deleted objects where composed of.",
                kWriteFast, "4.0.0"));
  table.Add(Row("touch", -2, kRF, 1, -1, 1, TouchCommand,
                "Alters the last access time of a key(s). Returns the number "
                "of existing keys specified.",
                "O(N) where N is the number of keys that will be touched.",
                kReadFast, "3.2.1"));
  table.Add(Row("expire", -3, kWF, 1, 1, 1, ExpireCommand,
                "Set a key's time to live in seconds", "O(1)", kWriteFast));
  table.Add(Row("pexpire", -3, kWF, 1, 1, 1, PExpireCommand,
                "Set a key's time to live in milliseconds", "O(1)", kWriteFast,
                "2.6.0"));
  table.Add(Row("expireat", -3, kWF, 1, 1, 1, ExpireAtCommand,
                "Set the expiration for a key as a UNIX timestamp", "O(1)",
                kWriteFast, "1.2.0"));
  table.Add(Row("pexpireat", -3, kWF, 1, 1, 1, PExpireAtCommand,
                "Set the expiration for a key as a UNIX timestamp specified "
                "in milliseconds",
                "O(1)", kWriteFast, "2.6.0"));
  table.Add(Row("ttl", 2, kRF, 1, 1, 1, TtlCommand,
                "Get the time to live for a key in seconds", "O(1)",
                kReadFast));
  table.Add(Row("pttl", 2, kRF, 1, 1, 1, PTtlCommand,
                "Get the time to live for a key in milliseconds", "O(1)",
                kReadFast, "2.6.0"));
  table.Add(Row("expiretime", 2, kRF, 1, 1, 1, ExpireTimeCommand,
                "Get the expiration Unix timestamp for a key", "O(1)",
                kReadFast, "7.0.0"));
  table.Add(Row("pexpiretime", 2, kRF, 1, 1, 1, PExpireTimeCommand,
                "Get the expiration Unix timestamp for a key in milliseconds",
                "O(1)", kReadFast, "7.0.0"));
  table.Add(Row("persist", 2, kWF, 1, 1, 1, PersistCommand,
                "Remove the expiration from a key", "O(1)", kWriteFast,
                "2.2.0"));
  table.Add(Row("scan", -2, kCmdReadOnly, 0, 0, 0, ScanCommand,
                "Incrementally iterate the keys space",
                "O(1) for every call. O(N) for a complete iteration, "
                "including enough command calls for the cursor to return "
                "back to 0. N is the number of elements inside the "
                "collection.",
                {"@keyspace", "@read", "@slow"}, "2.8.0"));
  table.Add(Row("randomkey", 1, kCmdReadOnly, 0, 0, 0, RandomKeyCommand,
                "Return a random key from the keyspace", "O(1)",
                {"@keyspace", "@read", "@slow"}));
  table.Add(Row("move", 3, kWF, 1, 1, 1, MoveCommand,
                "Move a key to another database", "O(1)", kWriteFast));
  table.Add(Row("copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, CopyCommand,
                "Copy a key",
                "O(N) worst case for collections, where N is the number of "
                "nested items. O(1) for string values.",
                {"@keyspace", "@write", "@slow"}, "6.2.0"));
  table.Add(Row("swapdb", 3, kWF, 0, 0, 0, SwapDbCommand,
                "Swaps two Redis databases",
                "O(N) where N is the count of clients watching or blocking on "
                "keys from both databases.",
                {"@keyspace", "@write", "@fast", "@dangerous"}, "4.0.0",
                "server"));

  CommandSpec object =
      Row("object", -2, 0, 0, 0, 0, nullptr,
          "A container for object introspection commands",
          "Depends on subcommand.", {"@slow"}, "2.2.3");
  object.subcommands = {
      Row("encoding", 3, kCmdReadOnly, 2, 2, 1, ObjectEncodingCommand,
          "Inspect the internal encoding of a Redis object", "O(1)",
          {"@keyspace", "@read", "@slow"}, "2.2.3"),
      Row("help", 2, kCmdLoading | kCmdStale, 0, 0, 0, ObjectHelpCommand,
          "Show helpful text about the different subcommands", "O(1)",
          {"@keyspace", "@slow"}, "6.2.0"),
  };
  table.Add(std::move(object));
}

}  // namespace twinkv
