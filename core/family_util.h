// What the command families share: keyspace lookups as Redis's
// lookupKeyRead/lookupKeyWrite do them, typed lookups that reply WRONGTYPE,
// deleting an aggregate that became empty, and the [MATCH] [COUNT] [TYPE]
// options of SCAN, HSCAN, SSCAN and ZSCAN.
//
// Single-threaded: called from command handlers on the engine's thread.

#ifndef TWINKV_CORE_FAMILY_UTIL_H_
#define TWINKV_CORE_FAMILY_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/errors.h"

namespace twinkv {

// --- Lookups. ---

// A read lookup: the live value of `key` or nullptr, counting a keyspace
// hit or miss (INFO stats) as Redis's lookupKeyRead does.
inline Value* LookupRead(CommandContext& ctx, absl::string_view key) {
  Value* v = ctx.db().Find(key, ctx.now_ms);
  EngineStats& stats = ctx.engine.stats();
  ++(v != nullptr ? stats.keyspace_hits : stats.keyspace_misses);
  return v;
}

// A write lookup: the same without counting (lookupKeyWrite).
inline Value* LookupWrite(CommandContext& ctx, absl::string_view key) {
  return ctx.db().Find(key, ctx.now_ms);
}

// Replies WRONGTYPE and returns true if `v` exists and is not of `type`.
// (Inline: GET and friends call it on every request.)
inline bool WrongType(CommandContext& ctx, const Value* v, ValueType type) {
  if (v != nullptr && v->type() != type) {
    ctx.reply.Error(kWrongTypeErr);
    return true;
  }
  return false;
}

// The aggregate `v` holds, or nullptr for no value. Requires that `v` (if
// any) holds a T (checked with WrongType first).
template <typename T>
T* ObjectOf(Value* v) {
  return v == nullptr ? nullptr : v->object_as<T>();
}

// The object of type T (tagged `type`) at `key`, or nullptr if there is
// none. If the key holds another type, replies WRONGTYPE, sets *wrong_type
// and returns nullptr. `read` chooses LookupRead over LookupWrite.
template <typename T>
T* LookupObject(CommandContext& ctx, absl::string_view key, ValueType type,
                bool read, bool* wrong_type) {
  Value* v = read ? LookupRead(ctx, key) : LookupWrite(ctx, key);
  *wrong_type = WrongType(ctx, v, type);
  return *wrong_type ? nullptr : ObjectOf<T>(v);
}

// Deletes `key` if its aggregate `object` (anything with size()) became
// empty: Redis never keeps an empty list, hash, set or sorted set.
template <typename T>
void DeleteIfEmpty(CommandContext& ctx, absl::string_view key,
                   const T* object) {
  if (object->size() == 0) ctx.db().Erase(key, ctx.now_ms);
}

// --- Blocking commands. ---

// Parses a blocking command's timeout (seconds, a float) into milliseconds
// as Redis's getTimeoutFromObjectOrReply: truncated, 0 meaning forever.
// Replies the error and returns false if it is not a float, negative or
// too large.
bool ParseBlockTimeout(CommandContext& ctx, absl::string_view arg,
                       int64_t* timeout_ms);

// --- SCAN options (Redis's scanGenericCommand). ---

struct ScanArgs {
  uint64_t cursor = 0;
  int64_t count = 10;
  bool use_pattern = false;  // MATCH given, and not "*"
  absl::string_view pattern;
  bool use_type = false;  // TYPE given (SCAN only)
  absl::string_view type;
};

// Parses [MATCH pattern] [COUNT count] (and [TYPE type] if `allow_type`)
// from args[first] on into *out. Returns the error to reply (Redis's exact
// text), or an empty view on success.
absl::string_view ParseScanOptions(ArgList args, size_t first, bool allow_type,
                                   ScanArgs* out);

// How many bucket steps one SCAN call may take: as Redis, 10 * COUNT (so a
// sparse table still answers fast), saturating.
int64_t ScanStepBudget(int64_t count);

// The reply of a scan over a missing key: cursor "0", no elements.
void ReplyEmptyScan(CommandContext& ctx);

// One command-table row. Each family's own Row() helper passes its group
// and its defaults (key positions, complexity, ACL categories) here, so the
// fields are filled in one place.
CommandSpec MakeRow(std::string name, int arity, uint32_t flags,
                    int first_key, int last_key, int key_step,
                    CommandHandler handler, std::string summary,
                    std::string since, std::string group,
                    std::string complexity, std::vector<std::string> acl,
                    KeyFinder find_keys = nullptr);

}  // namespace twinkv

#endif  // TWINKV_CORE_FAMILY_UTIL_H_
