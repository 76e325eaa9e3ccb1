// The string commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX
// STRLEN MGET MSET MSETNX APPEND INCR DECR INCRBY DECRBY INCRBYFLOAT
// GETRANGE SUBSTR SETRANGE, with Redis 7.0's argument checks, error
// strings and error precedence (t_string.c is the reference).
//
// Hot paths (GET, SET without options, INCR) do one hash lookup and no
// allocation beyond the key of a new entry; values are written into the
// reply straight from the keyspace.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/family_util.h"
#include "core/numbers.h"

namespace twinkv {
namespace {

// Redis's checkStringLength: the result of growing a string of `size`
// bytes by `append` must stay within proto-max-bulk-len.
bool CheckStringLength(CommandContext& ctx, uint64_t size, uint64_t append) {
  uint64_t max = static_cast<uint64_t>(ctx.engine.config().proto_max_bulk_len);
  if (size > max || append > max - size) {
    ctx.reply.Error(kStringTooLongErr);
    return false;
  }
  return true;
}

// --- SET and its options (parseExtendedStringArgumentsOrReply). ---

enum SetFlag : uint32_t {
  kSetNx = 1u << 0,
  kSetXx = 1u << 1,
  kSetGet = 1u << 2,
  kSetKeepTtl = 1u << 3,
  kSetPersist = 1u << 4,
  kSetEx = 1u << 5,
  kSetPx = 1u << 6,
  kSetExAt = 1u << 7,
  kSetPxAt = 1u << 8,
};
constexpr uint32_t kAnyExpire = kSetEx | kSetPx | kSetExAt | kSetPxAt;

struct SetOptions {
  uint32_t flags = 0;
  absl::string_view expire;  // the EX/PX/EXAT/PXAT argument
};

// Parses the options from args[first] on, for SET (`for_set`) or GETEX.
// As in Redis, an option that conflicts with one already seen, or an
// expiry option without an argument, is a syntax error; a repeated option
// is accepted (the last expiry wins).
bool ParseSetOptions(ArgList args, size_t first, bool for_set,
                     SetOptions* opt) {
  uint32_t& f = opt->flags;
  for (size_t j = first; j < args.size(); ++j) {
    absl::string_view a = args[j];
    const bool has_next = j + 1 < args.size();
    uint32_t expire_flag = 0;
    if (for_set && EqualsIgnoreCase(a, "NX") && !(f & kSetXx)) {
      f |= kSetNx;
    } else if (for_set && EqualsIgnoreCase(a, "XX") && !(f & kSetNx)) {
      f |= kSetXx;
    } else if (for_set && EqualsIgnoreCase(a, "GET")) {
      f |= kSetGet;
    } else if (for_set && EqualsIgnoreCase(a, "KEEPTTL") &&
               !(f & (kSetPersist | kAnyExpire))) {
      f |= kSetKeepTtl;
    } else if (!for_set && EqualsIgnoreCase(a, "PERSIST") &&
               !(f & (kSetKeepTtl | kAnyExpire))) {
      f |= kSetPersist;
    } else if (EqualsIgnoreCase(a, "EX")) {
      expire_flag = kSetEx;
    } else if (EqualsIgnoreCase(a, "PX")) {
      expire_flag = kSetPx;
    } else if (EqualsIgnoreCase(a, "EXAT")) {
      expire_flag = kSetExAt;
    } else if (EqualsIgnoreCase(a, "PXAT")) {
      expire_flag = kSetPxAt;
    } else {
      return false;
    }
    if (expire_flag != 0) {
      // The same expiry option again is fine; another one is not.
      if ((f & (kSetKeepTtl | kSetPersist | (kAnyExpire & ~expire_flag))) ||
          !has_next) {
        return false;
      }
      f |= expire_flag;
      opt->expire = args[++j];
    }
  }
  return true;
}

// Redis's getExpireMillisecondsOrReply: the absolute expiry time in Unix ms
// for an EX/PX/EXAT/PXAT argument, or false after replying the error.
bool ExpireTime(CommandContext& ctx, absl::string_view arg, uint32_t flag,
                absl::string_view command, int64_t* expire_ms) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.reply.Error(kNotIntegerErr);
    return false;
  }
  const bool seconds = flag == kSetEx || flag == kSetExAt;
  const bool relative = flag == kSetEx || flag == kSetPx;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (v <= 0 || (seconds && v > kMax / 1000)) {
    ctx.reply.Error(InvalidExpireError(command));
    return false;
  }
  if (seconds) v *= 1000;
  if (relative) {
    // Redis adds and then sees the wrapped sum as <= 0.
    if (ctx.now_ms > 0 && v > kMax - ctx.now_ms) {
      ctx.reply.Error(InvalidExpireError(command));
      return false;
    }
    v += ctx.now_ms;
  }
  *expire_ms = v;
  return true;
}

// Logs a SET that took place. A relative or seconds expiry (EX, PX, EXAT,
// SETEX, PSETEX) replays as `SET key value PXAT ms`, as Redis 7.0's
// setGenericCommand rewrites it (the NX/XX/GET options go: the write
// happened); anything else is logged as received.
void NoteSet(CommandContext& ctx, absl::string_view key,
             absl::string_view value, uint32_t flags, int64_t expire_ms) {
  ctx.AddDirty();
  if ((flags & kAnyExpire) && !(flags & kSetPxAt)) {
    const std::string ms = absl::StrCat(expire_ms);
    ctx.Propagate({"SET", key, value, "PXAT", ms});
  }
}

// setGenericCommand: the work of SET, SETNX, SETEX and PSETEX once the
// options are known. `ok`/`abort` write the reply on success and when NX or
// XX stop the write; nullptr means Redis's defaults (+OK / null).
void SetGeneric(CommandContext& ctx, absl::string_view key,
                absl::string_view value, uint32_t flags, int64_t expire_ms,
                void (*ok)(ReplyWriter&), void (*abort)(ReplyWriter&)) {
  Db& db = ctx.db();
  const bool keep_ttl = flags & kSetKeepTtl;
  if (!(flags & (kSetNx | kSetXx | kSetGet))) {
    db.SetString(key, value, ctx.now_ms, expire_ms, keep_ttl);
    NoteSet(ctx, key, value, flags, expire_ms);
    ok ? ok(ctx.reply) : ctx.reply.Ok();
    return;
  }
  Value* old;
  if (flags & kSetGet) {
    old = LookupRead(ctx, key);
    if (WrongType(ctx, old, ValueType::kString)) return;
    // The old value goes into the reply before it is overwritten.
    old ? ctx.reply.Bulk(old->str()) : ctx.reply.Null();
  } else {
    old = db.Find(key, ctx.now_ms);
  }
  const bool found = old != nullptr;
  if (((flags & kSetNx) && found) || ((flags & kSetXx) && !found)) {
    if (!(flags & kSetGet)) abort ? abort(ctx.reply) : ctx.reply.Null();
    return;
  }
  db.SetString(key, value, ctx.now_ms, expire_ms, keep_ttl);
  NoteSet(ctx, key, value, flags, expire_ms);
  if (!(flags & kSetGet)) ok ? ok(ctx.reply) : ctx.reply.Ok();
}

void ReplyOne(ReplyWriter& r) { r.Integer(1); }
void ReplyZero(ReplyWriter& r) { r.Integer(0); }

// --- Handlers. ---

void GetCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Null();
  if (WrongType(ctx, v, ValueType::kString)) return;
  ctx.reply.Bulk(v->str());
}

void SetCommand(CommandContext& ctx, ArgList args) {
  SetOptions opt;
  if (!ParseSetOptions(args, 3, /*for_set=*/true, &opt)) {
    return ctx.reply.Error(kSyntaxErr);
  }
  int64_t expire_ms = Db::kNoExpire;
  if ((opt.flags & kAnyExpire) &&
      !ExpireTime(ctx, opt.expire, opt.flags & kAnyExpire, "set", &expire_ms)) {
    return;
  }
  SetGeneric(ctx, args[1], args[2], opt.flags, expire_ms, nullptr, nullptr);
}

void SetNxCommand(CommandContext& ctx, ArgList args) {
  SetGeneric(ctx, args[1], args[2], kSetNx, Db::kNoExpire, ReplyOne, ReplyZero);
}

// SETEX key seconds value / PSETEX key milliseconds value.
template <uint32_t kUnitFlag>
void SetExCommand(CommandContext& ctx, ArgList args) {
  int64_t expire_ms;
  if (!ExpireTime(ctx, args[2], kUnitFlag,
                  kUnitFlag == kSetEx ? "setex" : "psetex", &expire_ms)) {
    return;
  }
  SetGeneric(ctx, args[1], args[3], kUnitFlag, expire_ms, nullptr, nullptr);
}

void GetSetCommand(CommandContext& ctx, ArgList args) {
  Value* old = LookupRead(ctx, args[1]);
  if (WrongType(ctx, old, ValueType::kString)) return;
  old ? ctx.reply.Bulk(old->str()) : ctx.reply.Null();
  ctx.db().SetString(args[1], args[2], ctx.now_ms);
  ctx.AddDirty();
}

void GetDelCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Null();
  if (WrongType(ctx, v, ValueType::kString)) return;
  ctx.reply.Bulk(v->str());
  ctx.db().Erase(args[1], ctx.now_ms);
  ctx.AddDirty();
}

void GetExCommand(CommandContext& ctx, ArgList args) {
  SetOptions opt;
  if (!ParseSetOptions(args, 2, /*for_set=*/false, &opt)) {
    return ctx.reply.Error(kSyntaxErr);
  }
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Null();
  if (WrongType(ctx, v, ValueType::kString)) return;
  const uint32_t expire_flag = opt.flags & kAnyExpire;
  int64_t expire_ms = Db::kNoExpire;
  if (expire_flag &&
      !ExpireTime(ctx, opt.expire, expire_flag, "getex", &expire_ms)) {
    return;
  }
  ctx.reply.Bulk(v->str());
  Db& db = ctx.db();
  // Logged as the plain key command it amounts to (Redis 7.0's getexCommand).
  if ((expire_flag & (kSetExAt | kSetPxAt)) && expire_ms <= ctx.now_ms &&
      !ctx.engine.loading()) {
    // An absolute time already passed (not while loading: see EXPIRE).
    db.Erase(args[1], ctx.now_ms);
    ctx.AddDirty();
    ctx.Propagate({"DEL", args[1]});
  } else if (expire_flag) {
    db.SetExpire(args[1], expire_ms, ctx.now_ms);
    ctx.AddDirty();
    const std::string ms = absl::StrCat(expire_ms);
    ctx.Propagate({"PEXPIREAT", args[1], ms});
  } else if (opt.flags & kSetPersist) {
    if (db.GetExpire(args[1], ctx.now_ms) != Db::kNoExpire) {
      db.SetExpire(args[1], Db::kNoExpire, ctx.now_ms);
      ctx.AddDirty();
      ctx.Propagate({"PERSIST", args[1]});
    }
  }
}

void StrLenCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kString)) return;
  ctx.reply.Integer(v ? static_cast<int64_t>(v->str_size()) : 0);
}

void MGetCommand(CommandContext& ctx, ArgList args) {
  ctx.reply.ArrayHeader(args.size() - 1);
  for (size_t i = 1; i < args.size(); ++i) {
    Value* v = LookupRead(ctx, args[i]);
    // MGET answers null for a key of another type, never WRONGTYPE.
    if (v != nullptr && v->is_string()) {
      ctx.reply.Bulk(v->str());
    } else {
      ctx.reply.Null();
    }
  }
}

void MSetCommand(CommandContext& ctx, ArgList args) {
  if (args.size() % 2 == 0) return ctx.reply.Error(WrongArgsError("mset"));
  Db& db = ctx.db();
  for (size_t i = 1; i < args.size(); i += 2) {
    db.SetString(args[i], args[i + 1], ctx.now_ms);
  }
  ctx.AddDirty((args.size() - 1) / 2);
  ctx.reply.Ok();
}

void MSetNxCommand(CommandContext& ctx, ArgList args) {
  if (args.size() % 2 == 0) return ctx.reply.Error(WrongArgsError("msetnx"));
  Db& db = ctx.db();
  for (size_t i = 1; i < args.size(); i += 2) {
    if (db.Exists(args[i], ctx.now_ms)) return ctx.reply.Integer(0);
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    db.SetString(args[i], args[i + 1], ctx.now_ms);
  }
  ctx.AddDirty((args.size() - 1) / 2);
  ctx.reply.Integer(1);
}

void AppendCommand(CommandContext& ctx, ArgList args) {
  bool created;
  Value* v = ctx.db().FindOrCreate(args[1], ctx.now_ms, &created);
  if (!created) {
    if (WrongType(ctx, v, ValueType::kString)) return;
    if (!CheckStringLength(ctx, v->str_size(), args[2].size())) return;
  }
  v->AppendString(args[2]);
  ctx.AddDirty();  // even for an empty suffix, as Redis
  ctx.reply.Integer(static_cast<int64_t>(v->str_size()));
}

// incrDecrCommand: adds `incr` to the integer at args[1], keeping its TTL.
void IncrDecr(CommandContext& ctx, absl::string_view key, int64_t incr) {
  bool created;
  Value* v = ctx.db().FindOrCreate(key, ctx.now_ms, &created);
  int64_t value = 0;
  if (!created) {
    if (WrongType(ctx, v, ValueType::kString)) return;
    if (!ParseInt64(v->str(), &value)) return ctx.reply.Error(kNotIntegerErr);
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if ((incr < 0 && value < 0 && incr < kMin - value) ||
        (incr > 0 && value > 0 && incr > kMax - value)) {
      return ctx.reply.Error(kOverflowErr);
    }
  }
  value += incr;
  char buf[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(value, buf);
  v->AssignString(absl::string_view(buf, end - buf));
  ctx.AddDirty();
  ctx.reply.Integer(value);
}

void IncrCommand(CommandContext& ctx, ArgList args) {
  IncrDecr(ctx, args[1], 1);
}

void DecrCommand(CommandContext& ctx, ArgList args) {
  IncrDecr(ctx, args[1], -1);
}

void IncrByCommand(CommandContext& ctx, ArgList args) {
  int64_t incr;
  if (!ParseInt64(args[2], &incr)) return ctx.reply.Error(kNotIntegerErr);
  IncrDecr(ctx, args[1], incr);
}

void DecrByCommand(CommandContext& ctx, ArgList args) {
  int64_t decr;
  if (!ParseInt64(args[2], &decr)) return ctx.reply.Error(kNotIntegerErr);
  if (decr == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error(kDecrementOverflowErr);
  }
  IncrDecr(ctx, args[1], -decr);
}

void IncrByFloatCommand(CommandContext& ctx, ArgList args) {
  Db& db = ctx.db();
  Value* v = db.Find(args[1], ctx.now_ms);
  if (WrongType(ctx, v, ValueType::kString)) return;
  long double value = 0;
  long double incr;
  if ((v != nullptr && !ParseLongDouble(v->str(), &value)) ||
      !ParseLongDouble(args[2], &incr)) {
    return ctx.reply.Error(kNotFloatErr);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    return ctx.reply.Error(kIncrFloatNanErr);
  }
  char buf[kMaxLongDoubleChars];
  absl::string_view text(buf, FormatLongDouble(value, buf));
  if (v != nullptr) {
    v->AssignString(text);  // keeps the TTL, as Redis's dbOverwrite does
  } else {
    db.SetString(args[1], text, ctx.now_ms);
  }
  // Replays as the value it produced: long double arithmetic and its
  // formatting may differ where the log is replayed (incrbyfloatCommand).
  ctx.AddDirty();
  ctx.Propagate({"SET", args[1], text, "KEEPTTL"});
  ctx.reply.Bulk(text);
}

void GetRangeCommand(CommandContext& ctx, ArgList args) {
  int64_t start, end;
  if (!ParseInt64(args[2], &start) || !ParseInt64(args[3], &end)) {
    return ctx.reply.Error(kNotIntegerErr);
  }
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Bulk("");
  if (WrongType(ctx, v, ValueType::kString)) return;
  absl::string_view s = v->str();
  const int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) return ctx.reply.Bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.reply.Bulk("");
  ctx.reply.Bulk(s.substr(start, end - start + 1));
}

void SetRangeCommand(CommandContext& ctx, ArgList args) {
  int64_t offset;
  if (!ParseInt64(args[2], &offset)) return ctx.reply.Error(kNotIntegerErr);
  if (offset < 0) return ctx.reply.Error(kOffsetOutOfRangeErr);
  absl::string_view data = args[3];
  Db& db = ctx.db();
  Value* v = db.Find(args[1], ctx.now_ms);
  if (v == nullptr) {
    // Setting nothing on a missing key creates nothing.
    if (data.empty()) return ctx.reply.Integer(0);
    if (!CheckStringLength(ctx, offset, data.size())) return;
    bool created;
    v = db.FindOrCreate(args[1], ctx.now_ms, &created);
  } else {
    if (WrongType(ctx, v, ValueType::kString)) return;
    if (data.empty()) {
      return ctx.reply.Integer(static_cast<int64_t>(v->str_size()));
    }
    if (!CheckStringLength(ctx, offset, data.size())) return;
  }
  const size_t need = static_cast<size_t>(offset) + data.size();
  char* bytes = v->ResizeString(std::max(need, v->str_size()));
  memcpy(bytes + offset, data.data(), data.size());
  ctx.AddDirty();
  ctx.reply.Integer(static_cast<int64_t>(v->str_size()));
}

// --- The rows. ---

// ACL categories, as COMMAND INFO lists them.
enum Acl { kReadFast, kReadSlow, kWriteFast, kWriteSlow };

std::vector<std::string> AclCategories(Acl acl) {
  switch (acl) {
    case kReadFast:
      return {"@read", "@string", "@fast"};
    case kReadSlow:
      return {"@read", "@string", "@slow"};
    case kWriteFast:
      return {"@write", "@string", "@fast"};
    case kWriteSlow:
      break;
  }
  return {"@write", "@string", "@slow"};
}

CommandSpec Row(const char* name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                const char* summary, const char* since, const char* complexity,
                Acl acl) {
  return MakeRow(name, arity, flags, first_key, last_key, key_step, handler,
                 summary, since, "string", complexity, AclCategories(acl));
}

}  // namespace

void RegisterStringFamily(CommandTable& table) {
  constexpr uint32_t kRo = kCmdReadOnly;
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kWd = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kFast = kCmdFast;
  const char* kRangeComplexity =
      "O(N) where N is the length of the returned string. The complexity is "
      "ultimately determined by the returned length, but because creating a "
      "substring from an existing string is very cheap, it can be considered "
      "O(1) for small strings.";

  table.Add(Row("get", 2, kRo | kFast, 1, 1, 1, GetCommand,
                "Get the value of a key", "1.0.0", "O(1)", kReadFast));
  table.Add(Row("set", -3, kWd, 1, 1, 1, SetCommand,
                "Set the string value of a key", "1.0.0", "O(1)", kWriteSlow));
  table.Add(Row("setnx", 3, kWd | kFast, 1, 1, 1, SetNxCommand,
                "Set the value of a key, only if the key does not exist",
                "1.0.0", "O(1)", kWriteFast));
  table.Add(Row("setex", 4, kWd, 1, 1, 1, SetExCommand<kSetEx>,
                "Set the value and expiration of a key", "2.0.0", "O(1)",
                kWriteSlow));
  table.Add(Row("psetex", 4, kWd, 1, 1, 1, SetExCommand<kSetPx>,
                "Set the value and expiration in milliseconds of a key",
                "2.6.0", "O(1)", kWriteSlow));
  table.Add(Row("getset", 3, kWd | kFast, 1, 1, 1, GetSetCommand,
                "Set the string value of a key and return its old value",
                "1.0.0", "O(1)", kWriteFast));
  table.Add(Row("getdel", 2, kW | kFast, 1, 1, 1, GetDelCommand,
                "Get the value of a key and delete the key", "6.2.0", "O(1)",
                kWriteFast));
  table.Add(Row("getex", -2, kW | kFast, 1, 1, 1, GetExCommand,
                "Get the value of a key and optionally set its expiration",
                "6.2.0", "O(1)", kWriteFast));
  table.Add(Row("strlen", 2, kRo | kFast, 1, 1, 1, StrLenCommand,
                "Get the length of the value stored in a key", "2.2.0", "O(1)",
                kReadFast));
  table.Add(Row("mget", -2, kRo | kFast, 1, -1, 1, MGetCommand,
                "Get the values of all the given keys", "1.0.0",
                "O(N) where N is the number of keys to retrieve.", kReadFast));
  table.Add(Row("mset", -3, kWd, 1, -1, 2, MSetCommand,
                "Set multiple keys to multiple values", "1.0.1",
                "O(N) where N is the number of keys to set.", kWriteSlow));
  table.Add(Row("msetnx", -3, kWd, 1, -1, 2, MSetNxCommand,
                "Set multiple keys to multiple values, only if none of the "
                "keys exist",
                "1.0.1", "O(N) where N is the number of keys to set.",
                kWriteSlow));
  table.Add(Row("append", 3, kWd | kFast, 1, 1, 1, AppendCommand,
                "Append a value to a key", "2.0.0",
                "O(1). The amortized time complexity is O(1) assuming the "
                "appended value is small and the already present value is of "
                "any size, since the dynamic string library used by Redis "
                "will double the free space available on every reallocation.",
                kWriteFast));
  table.Add(Row("incr", 2, kWd | kFast, 1, 1, 1, IncrCommand,
                "Increment the integer value of a key by one", "1.0.0", "O(1)",
                kWriteFast));
  table.Add(Row("decr", 2, kWd | kFast, 1, 1, 1, DecrCommand,
                "Decrement the integer value of a key by one", "1.0.0", "O(1)",
                kWriteFast));
  table.Add(Row("incrby", 3, kWd | kFast, 1, 1, 1, IncrByCommand,
                "Increment the integer value of a key by the given amount",
                "1.0.0", "O(1)", kWriteFast));
  table.Add(Row("decrby", 3, kWd | kFast, 1, 1, 1, DecrByCommand,
                "Decrement the integer value of a key by the given number",
                "1.0.0", "O(1)", kWriteFast));
  table.Add(Row("incrbyfloat", 3, kWd | kFast, 1, 1, 1, IncrByFloatCommand,
                "Increment the float value of a key by the given amount",
                "2.6.0", "O(1)", kWriteFast));
  table.Add(Row("getrange", 4, kRo, 1, 1, 1, GetRangeCommand,
                "Get a substring of the string stored at a key", "2.4.0",
                kRangeComplexity, kReadSlow));
  table.Add(Row("substr", 4, kRo, 1, 1, 1, GetRangeCommand,
                "Get a substring of the string stored at a key", "1.0.0",
                kRangeComplexity, kReadSlow));
  table.Add(Row("setrange", 4, kWd, 1, 1, 1, SetRangeCommand,
                "Overwrite part of a string at key starting at the specified "
                "offset",
                "2.2.0",
                "O(1), not counting the time taken to copy the new string in "
                "place. Usually, this string is very small so the amortized "
                "complexity is O(1). Otherwise, complexity is O(M) with M "
                "being the length of the value argument.",
                kWriteSlow));
}

}  // namespace twinkv
