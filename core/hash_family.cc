// The hash type (HashObject, see core/hash_object.h) and its commands:
// HSET HSETNX HGET HMSET HMGET HDEL HLEN HEXISTS HKEYS HVALS HGETALL HINCRBY
// HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN, with Redis 7.0's argument checks,
// error strings and error precedence (t_hash.c and db.c's scanGenericCommand
// are the reference). A hash that becomes empty is deleted, as in Redis.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/db.h"
#include "core/dict.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/family_util.h"
#include "core/glob.h"
#include "core/hash_object.h"
#include "core/numbers.h"

namespace twinkv {

// --- HashObject. ---

std::unique_ptr<ValueObject> HashObject::Clone() const {
  auto copy = std::make_unique<HashObject>();
  if (dict_ == nullptr) {
    copy->listpack_ = listpack_;
  } else {
    copy->dict_ = std::make_unique<Dict<std::string>>();
    const_cast<Dict<std::string>&>(*dict_).ForEach(
        [&](absl::string_view f, std::string& v) { copy->dict_->Set(f, v); });
  }
  return copy;
}

size_t HashObject::AllocatedBytes() const {
  size_t total = sizeof(*this) + listpack_.capacity();
  if (dict_ != nullptr) {
    total += dict_->AllocatedBytes();
    const_cast<Dict<std::string>&>(*dict_).ForEach(
        [&](absl::string_view, std::string& v) {
          if (v.capacity() > 15) total += v.capacity() + 1;
        });
  }
  return total;
}

bool HashObject::Get(absl::string_view field, absl::string_view* value) {
  if (dict_ != nullptr) {
    const std::string* v = dict_->Find(field);
    if (v == nullptr) return false;
    *value = *v;
    return true;
  }
  for (size_t pos = 0; pos < listpack_.end();) {
    size_t next = listpack_.Next(pos);
    if (listpack_.Get(pos) == field) {
      *value = listpack_.Get(next);
      return true;
    }
    pos = listpack_.Next(next);
  }
  return false;
}

bool HashObject::Set(absl::string_view field, absl::string_view value) {
  if (dict_ == nullptr &&
      (field.size() > kMaxListpackValue || value.size() > kMaxListpackValue)) {
    ConvertToDict();
  }
  if (dict_ != nullptr) {
    bool inserted;
    std::string* v = dict_->FindOrInsert(field, &inserted);
    v->assign(value.data(), value.size());
    return inserted;
  }
  for (size_t pos = 0; pos < listpack_.end();) {
    size_t next = listpack_.Next(pos);
    if (listpack_.Get(pos) == field) {
      listpack_.Replace(next, value);
      return false;
    }
    pos = listpack_.Next(next);
  }
  listpack_.PushBack(field);
  listpack_.PushBack(value);
  if (listpack_.size() / 2 > kMaxListpackEntries) ConvertToDict();
  return true;
}

bool HashObject::Erase(absl::string_view field) {
  if (dict_ != nullptr) return dict_->Erase(field);
  for (size_t pos = 0; pos < listpack_.end();) {
    size_t next = listpack_.Next(pos);
    size_t after = listpack_.Next(next);
    if (listpack_.Get(pos) == field) {
      listpack_.EraseRange(pos, after, 2);
      return true;
    }
    pos = after;
  }
  return false;
}

void HashObject::ForEach(
    absl::FunctionRef<void(absl::string_view, absl::string_view)> fn) {
  if (dict_ != nullptr) {
    dict_->ForEach([&](absl::string_view f, std::string& v) { fn(f, v); });
    return;
  }
  for (size_t pos = 0; pos < listpack_.end();) {
    size_t next = listpack_.Next(pos);
    fn(listpack_.Get(pos), listpack_.Get(next));
    pos = listpack_.Next(next);
  }
}

uint64_t HashObject::Scan(
    uint64_t cursor,
    absl::FunctionRef<void(absl::string_view, absl::string_view)> fn) {
  if (dict_ == nullptr) {
    ForEach(fn);
    return 0;
  }
  return dict_->Scan(cursor,
                     [&](absl::string_view f, std::string& v) { fn(f, v); });
}

std::pair<absl::string_view, absl::string_view> HashObject::RandomEntry(
    Random& random) {
  if (dict_ != nullptr) {
    auto [field, value] = dict_->RandomEntry(random);
    return {field, *value};
  }
  size_t k = random.Uniform(size());
  size_t pos = 0;
  for (size_t i = 0; i < 2 * k; ++i) pos = listpack_.Next(pos);
  return {listpack_.Get(pos), listpack_.Get(listpack_.Next(pos))};
}

void HashObject::ConvertToDict() {
  auto dict = std::make_unique<Dict<std::string>>();
  ForEach([&](absl::string_view f, absl::string_view v) {
    dict->Set(f, std::string(v));
  });
  dict_ = std::move(dict);
  listpack_ = Listpack();
}

// --- The commands. ---

namespace {

// hashTypeLookupWriteOrCreate: the hash at `key`, created empty if missing
// (the caller adds a field at once), or nullptr after replying WRONGTYPE.
HashObject* LookupOrCreate(CommandContext& ctx, absl::string_view key) {
  Value* v = LookupWrite(ctx, key);
  if (WrongType(ctx, v, ValueType::kHash)) return nullptr;
  if (v == nullptr) {
    v = ctx.db().Set(key, Value(std::make_unique<HashObject>()), ctx.now_ms);
  }
  return ObjectOf<HashObject>(v);
}

// HSET key field value [field value ...] / HMSET.
template <bool kMulti>
void HSetCommand(CommandContext& ctx, ArgList args) {
  if (args.size() % 2 == 1) {
    return ctx.reply.Error(WrongArgsError(kMulti ? "hmset" : "hset"));
  }
  HashObject* hash = LookupOrCreate(ctx, args[1]);
  if (hash == nullptr) return;
  int64_t created = 0;
  for (size_t i = 2; i < args.size(); i += 2) {
    created += hash->Set(args[i], args[i + 1]);
  }
  // Every pair counts, changed or not, as in Redis.
  ctx.AddDirty((args.size() - 2) / 2);
  kMulti ? ctx.reply.Ok() : ctx.reply.Integer(created);
}

void HSetNxCommand(CommandContext& ctx, ArgList args) {
  HashObject* hash = LookupOrCreate(ctx, args[1]);
  if (hash == nullptr) return;
  absl::string_view old;
  if (hash->Get(args[2], &old)) return ctx.reply.Integer(0);
  hash->Set(args[2], args[3]);
  ctx.AddDirty();
  ctx.reply.Integer(1);
}

void HGetCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Null();
  if (WrongType(ctx, v, ValueType::kHash)) return;
  absl::string_view value;
  ObjectOf<HashObject>(v)->Get(args[2], &value) ? ctx.reply.Bulk(value) : ctx.reply.Null();
}

void HMGetCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  HashObject* hash = ObjectOf<HashObject>(v);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    absl::string_view value;
    if (hash != nullptr && hash->Get(args[i], &value)) {
      ctx.reply.Bulk(value);
    } else {
      ctx.reply.Null();
    }
  }
}

void HDelCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupWrite(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Integer(0);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  HashObject* hash = ObjectOf<HashObject>(v);
  int64_t deleted = 0;
  for (size_t i = 2; i < args.size() && !hash->empty(); ++i) {
    deleted += hash->Erase(args[i]);
  }
  if (deleted > 0) ctx.AddDirty(deleted);
  ctx.reply.Integer(deleted);
  DeleteIfEmpty(ctx, args[1], hash);
}

void HLenCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  ctx.reply.Integer(v ? static_cast<int64_t>(ObjectOf<HashObject>(v)->size()) : 0);
}

void HExistsCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  absl::string_view value;
  ctx.reply.Integer(v != nullptr && ObjectOf<HashObject>(v)->Get(args[2], &value) ? 1 : 0);
}

void HStrLenCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  absl::string_view value;
  ctx.reply.Integer(v != nullptr && ObjectOf<HashObject>(v)->Get(args[2], &value)
                        ? static_cast<int64_t>(value.size())
                        : 0);
}

// HKEYS HVALS HGETALL (genericHgetallCommand).
template <bool kFields, bool kValues>
void HGetAllCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  HashObject* hash = ObjectOf<HashObject>(v);
  const size_t n = hash ? hash->size() : 0;
  kFields&& kValues ? ctx.reply.MapHeader(n) : ctx.reply.ArrayHeader(n);
  if (hash == nullptr) return;
  hash->ForEach([&](absl::string_view f, absl::string_view value) {
    if (kFields) ctx.reply.Bulk(f);
    if (kValues) ctx.reply.Bulk(value);
  });
}

void HIncrByCommand(CommandContext& ctx, ArgList args) {
  int64_t incr;
  if (!ParseInt64(args[3], &incr)) return ctx.reply.Error(kNotIntegerErr);
  HashObject* hash = LookupOrCreate(ctx, args[1]);
  if (hash == nullptr) return;
  int64_t value = 0;
  absl::string_view old;
  if (hash->Get(args[2], &old) && !ParseInt64(old, &value)) {
    return ctx.reply.Error(kHashNotIntegerErr);
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if ((incr < 0 && value < 0 && incr < kMin - value) ||
      (incr > 0 && value > 0 && incr > kMax - value)) {
    return ctx.reply.Error(kOverflowErr);
  }
  value += incr;
  char buf[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(value, buf);
  hash->Set(args[2], absl::string_view(buf, end - buf));
  ctx.AddDirty();
  ctx.reply.Integer(value);
}

void HIncrByFloatCommand(CommandContext& ctx, ArgList args) {
  long double incr;
  if (!ParseLongDouble(args[3], &incr)) return ctx.reply.Error(kNotFloatErr);
  if (std::isnan(incr) || std::isinf(incr)) {
    return ctx.reply.Error(kNanOrInfinityErr);
  }
  HashObject* hash = LookupOrCreate(ctx, args[1]);
  if (hash == nullptr) return;
  long double value = 0;
  absl::string_view old;
  if (hash->Get(args[2], &old) && !ParseLongDouble(old, &value)) {
    return ctx.reply.Error(kHashNotFloatErr);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    return ctx.reply.Error(kIncrFloatNanErr);
  }
  char buf[kMaxLongDoubleChars];
  absl::string_view text(buf, FormatLongDouble(value, buf));
  hash->Set(args[2], text);
  // Replays as the value it produced (hincrbyfloatCommand): long double
  // arithmetic and formatting may differ where the log is replayed.
  ctx.AddDirty();
  ctx.Propagate({"HSET", args[1], args[2], text});
  ctx.reply.Bulk(text);
}

// HRANDFIELD key [count [WITHVALUES]].
void HRandFieldCommand(CommandContext& ctx, ArgList args) {
  Random& random = ctx.engine.runtime().random();
  if (args.size() == 2) {
    Value* v = LookupRead(ctx, args[1]);
    if (v == nullptr) return ctx.reply.Null();
    if (WrongType(ctx, v, ValueType::kHash)) return;
    return ctx.reply.Bulk(ObjectOf<HashObject>(v)->RandomEntry(random).first);
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t count;
  if (!ParseInt64(args[2], &count)) return ctx.reply.Error(kNotIntegerErr);
  if (count < -kMax) return ctx.reply.Error(kCountRangeErr);
  const bool with_values = args.size() == 4;
  if (args.size() > 4 ||
      (with_values && !EqualsIgnoreCase(args[3], "withvalues"))) {
    return ctx.reply.Error(kSyntaxErr);
  }
  if (with_values && (count < -kMax / 2 || count > kMax / 2)) {
    return ctx.reply.Error(kOutOfRangeErr);
  }
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.ArrayHeader(0);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  if (count == 0) return ctx.reply.ArrayHeader(0);
  HashObject* hash = ObjectOf<HashObject>(v);
  const bool resp3 = ctx.reply.protocol() >= 3;
  // RESP2 flattens field/value pairs; RESP3 nests each pair in an array.
  const auto header = [&](uint64_t n) {
    ctx.reply.ArrayHeader(with_values && !resp3 ? 2 * n : n);
  };
  const auto entry = [&](absl::string_view f, absl::string_view value) {
    if (with_values && resp3) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(f);
    if (with_values) ctx.reply.Bulk(value);
  };
  if (count < 0) {
    // Repeats allowed: independent picks.
    const uint64_t n = static_cast<uint64_t>(-count);
    header(n);
    for (uint64_t i = 0; i < n; ++i) {
      auto [f, value] = hash->RandomEntry(random);
      entry(f, value);
    }
    return;
  }
  const size_t size = hash->size();
  std::vector<std::pair<absl::string_view, absl::string_view>> all;
  all.reserve(size);
  hash->ForEach([&](absl::string_view f, absl::string_view value) {
    all.emplace_back(f, value);
  });
  if (static_cast<uint64_t>(count) >= size) {
    header(size);
    for (const auto& [f, value] : all) entry(f, value);
    return;
  }
  // Distinct picks: a partial Fisher-Yates shuffle.
  const size_t n = static_cast<size_t>(count);
  for (size_t i = 0; i < n; ++i) {
    std::swap(all[i], all[i + random.Uniform(size - i)]);
  }
  header(n);
  for (size_t i = 0; i < n; ++i) entry(all[i].first, all[i].second);
}

// HSCAN key cursor [MATCH pattern] [COUNT count].
void HScanCommand(CommandContext& ctx, ArgList args) {
  uint64_t cursor;
  if (!ParseCursor(args[2], &cursor)) {
    return ctx.reply.Error(kInvalidCursorErr);
  }
  Value* v = LookupRead(ctx, args[1]);
  // Redis answers an empty scan before it parses the options.
  if (v == nullptr) return ReplyEmptyScan(ctx);
  if (WrongType(ctx, v, ValueType::kHash)) return;
  ScanArgs scan;
  absl::string_view err = ParseScanOptions(args, 3, /*allow_type=*/false, &scan);
  if (!err.empty()) return ctx.reply.Error(err);
  HashObject* hash = ObjectOf<HashObject>(v);
  std::vector<std::pair<absl::string_view, absl::string_view>> found;
  // As Redis: visit buckets until COUNT entries were seen or 10*COUNT
  // buckets were visited, then filter by the pattern.
  int64_t max_steps = ScanStepBudget(scan.count);
  uint64_t visited = 0;
  do {
    cursor =
        hash->Scan(cursor, [&](absl::string_view f, absl::string_view val) {
          ++visited;
          if (!scan.use_pattern || GlobMatch(scan.pattern, f)) {
            found.emplace_back(f, val);
          }
        });
  } while (cursor != 0 && max_steps-- > 0 &&
           visited < static_cast<uint64_t>(scan.count));
  char buf[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(cursor, buf);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(absl::string_view(buf, end - buf));
  ctx.reply.ArrayHeader(2 * found.size());
  for (const auto& [f, val] : found) {
    ctx.reply.Bulk(f);
    ctx.reply.Bulk(val);
  }
}

// --- The rows. ---

CommandSpec Row(const char* name, int arity, uint32_t flags,
                CommandHandler handler, const char* summary, const char* since,
                const char* complexity) {
  const bool write = flags & kCmdWrite;
  const bool fast = flags & kCmdFast;
  return MakeRow(name, arity, flags, 1, 1, 1, handler, summary, since, "hash",
                 complexity,
                 {write ? "@write" : "@read", "@hash", fast ? "@fast" : "@slow"});
}

}  // namespace

void RegisterHashFamily(CommandTable& table) {
  constexpr uint32_t kRo = kCmdReadOnly;
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kWd = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kFast = kCmdFast;
  constexpr const char* kAllComplexity =
      "O(N) where N is the size of the hash.";

  table.Add(Row("hset", -4, kWd | kFast, HSetCommand<false>,
                "Set the string value of a hash field", "2.0.0",
                "O(1) for each field/value pair added, so O(N) to add N "
                "field/value pairs when the command is called with multiple "
                "field/value pairs."));
  table.Add(Row("hsetnx", 4, kWd | kFast, HSetNxCommand,
                "Set the value of a hash field, only if the field does not "
                "exist",
                "2.0.0", "O(1)"));
  table.Add(Row("hget", 3, kRo | kFast, HGetCommand,
                "Get the value of a hash field", "2.0.0", "O(1)"));
  table.Add(Row("hmset", -4, kWd | kFast, HSetCommand<true>,
                "Set multiple hash fields to multiple values", "2.0.0",
                "O(N) where N is the number of fields being set."));
  table.Add(Row("hmget", -3, kRo | kFast, HMGetCommand,
                "Get the values of all the given hash fields", "2.0.0",
                "O(N) where N is the number of fields being requested."));
  table.Add(Row("hdel", -3, kW | kFast, HDelCommand,
                "Delete one or more hash fields", "2.0.0",
                "O(N) where N is the number of fields to be removed."));
  table.Add(Row("hlen", 2, kRo | kFast, HLenCommand,
                "Get the number of fields in a hash", "2.0.0", "O(1)"));
  table.Add(Row("hexists", 3, kRo | kFast, HExistsCommand,
                "Determine if a hash field exists", "2.0.0", "O(1)"));
  table.Add(Row("hkeys", 2, kRo, HGetAllCommand<true, false>,
                "Get all the fields in a hash", "2.0.0", kAllComplexity));
  table.Add(Row("hvals", 2, kRo, HGetAllCommand<false, true>,
                "Get all the values in a hash", "2.0.0", kAllComplexity));
  table.Add(Row("hgetall", 2, kRo, HGetAllCommand<true, true>,
                "Get all the fields and values in a hash", "2.0.0",
                kAllComplexity));
  table.Add(Row("hincrby", 4, kWd | kFast, HIncrByCommand,
                "Increment the integer value of a hash field by the given "
                "number",
                "2.0.0", "O(1)"));
  table.Add(Row("hincrbyfloat", 4, kWd | kFast, HIncrByFloatCommand,
                "Increment the float value of a hash field by the given amount",
                "2.6.0", "O(1)"));
  table.Add(Row("hstrlen", 3, kRo | kFast, HStrLenCommand,
                "Get the length of the value of a hash field", "3.2.0",
                "O(1)"));
  table.Add(Row("hrandfield", -2, kRo, HRandFieldCommand,
                "Get one or multiple random fields from a hash", "6.2.0",
                "O(N) where N is the number of fields returned"));
  table.Add(Row("hscan", -3, kRo, HScanCommand,
                "Incrementally iterate hash fields and associated values",
                "2.8.0",
                "O(1) for every call. O(N) for a complete iteration, "
                "including enough command calls for the cursor to return back "
                "to 0. N is the number of elements inside the collection.."));
}

}  // namespace twinkv
