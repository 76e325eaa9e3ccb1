// The set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
// SRANDMEMBER SMOVE SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE
// SINTERCARD SSCAN, with Redis 7.0's argument checks, error strings and
// reply types (t_set.c is the reference): whole sets reply as RESP3 sets,
// SRANDMEMBER (which may repeat members) as an array.
//
// A set never exists empty: commands that remove the last member delete the
// key, and the *STORE variants delete the destination when the result is
// empty.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
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
#include "core/set_object.h"

namespace twinkv {

namespace {


// --- Lookups. ---

// The set at `key`, or nullptr if there is none. With *wrong_type set when
// the key holds another type (and WRONGTYPE already replied).
SetObject* GetSet(CommandContext& ctx, absl::string_view key, bool read,
                  bool* wrong_type) {
  return LookupObject<SetObject>(ctx, key, ValueType::kSet, read, wrong_type);
}

// The set at `key`, created if absent; nullptr after WRONGTYPE.
SetObject* GetOrCreateSet(CommandContext& ctx, absl::string_view key) {
  Value* v = ctx.db().Find(key, ctx.now_ms);
  if (v == nullptr) {
    v = ctx.db().Set(key, Value(std::make_unique<SetObject>()), ctx.now_ms);
  } else if (v->type() != ValueType::kSet) {
    ctx.reply.Error(kWrongTypeErr);
    return nullptr;
  }
  return v->object_as<SetObject>();
}

void ReplySet(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply.SetHeader(members.size());
  for (const std::string& m : members) ctx.reply.Bulk(m);
}

// --- Single-set commands. ---

void SAddCommand(CommandContext& ctx, ArgList args) {
  SetObject* set = GetOrCreateSet(ctx, args[1]);
  if (set == nullptr) return;
  int64_t added = 0;
  for (size_t i = 2; i < args.size(); ++i) added += set->Add(args[i]);
  if (added > 0) ctx.AddDirty(added);
  ctx.reply.Integer(added);
}

void SRemCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], false, &wrong);
  if (wrong) return;
  if (set == nullptr) return ctx.reply.Integer(0);
  int64_t removed = 0;
  for (size_t i = 2; i < args.size() && set->size() > 0; ++i) {
    removed += set->Remove(args[i]);
  }
  if (removed > 0) ctx.AddDirty(removed);
  DeleteIfEmpty(ctx, args[1], set);
  ctx.reply.Integer(removed);
}

void SMembersCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  if (set == nullptr) return ctx.reply.SetHeader(0);
  ctx.reply.SetHeader(set->size());
  set->ForEach([&](absl::string_view m) { ctx.reply.Bulk(m); });
}

void SIsMemberCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  ctx.reply.Integer(set != nullptr && set->Contains(args[2]));
}

void SMIsMemberCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.reply.Integer(set != nullptr && set->Contains(args[i]));
  }
}

void SCardCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  ctx.reply.Integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
}

void SPopCommand(CommandContext& ctx, ArgList args) {
  Random& random = ctx.engine.runtime().random();
  if (args.size() > 3) return ctx.reply.Error(kSyntaxErr);
  if (args.size() == 2) {
    bool wrong;
    SetObject* set = GetSet(ctx, args[1], false, &wrong);
    if (wrong) return;
    if (set == nullptr) return ctx.reply.Null();
    std::string m(set->Random(random));
    set->Remove(m);
    DeleteIfEmpty(ctx, args[1], set);
    // The pick was random: replay the removal it made.
    ctx.AddDirty();
    ctx.Propagate({"SREM", args[1], m});
    return ctx.reply.Bulk(m);
  }
  int64_t count;
  // Redis's getPositiveLongFromObjectOrReply: one message for both.
  if (!ParseInt64(args[2], &count) || count < 0) {
    return ctx.reply.Error(kMustBePositiveErr);
  }
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], false, &wrong);
  if (wrong) return;
  if (set == nullptr || count == 0) return ctx.reply.SetHeader(0);
  if (static_cast<uint64_t>(count) >= set->size()) {
    // The whole set: reply it and drop the key.
    ctx.reply.SetHeader(set->size());
    set->ForEach([&](absl::string_view m) { ctx.reply.Bulk(m); });
    ctx.db().Erase(args[1], ctx.now_ms);
    ctx.AddDirty();
    ctx.Propagate({"DEL", args[1]});
    return;
  }
  // The picks were random: replay the removals, as SREMs of at most
  // kSPopBatch members each (Redis's spopWithCountCommand).
  constexpr size_t kSPopBatch = 1024;
  std::vector<std::string> popped;
  popped.reserve(count);
  ctx.reply.SetHeader(count);
  for (int64_t i = 0; i < count; ++i) {
    popped.emplace_back(set->Random(random));
    set->Remove(popped.back());
    ctx.reply.Bulk(popped.back());
  }
  ctx.AddDirty(count);
  std::vector<absl::string_view> srem;
  for (size_t begin = 0; begin < popped.size(); begin += kSPopBatch) {
    srem.assign({"SREM", args[1]});
    const size_t end = std::min(popped.size(), begin + kSPopBatch);
    srem.insert(srem.end(), popped.begin() + begin, popped.begin() + end);
    ctx.Propagate(srem);
  }
}

void SRandMemberCommand(CommandContext& ctx, ArgList args) {
  Random& random = ctx.engine.runtime().random();
  if (args.size() > 3) return ctx.reply.Error(kSyntaxErr);
  if (args.size() == 2) {
    bool wrong;
    SetObject* set = GetSet(ctx, args[1], true, &wrong);
    if (wrong) return;
    if (set == nullptr) return ctx.reply.Null();
    return ctx.reply.Bulk(set->Random(random));
  }
  int64_t l;
  if (!ParseInt64(args[2], &l)) return ctx.reply.Error(kNotIntegerErr);
  if (l == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error(kCountRangeErr);
  }
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  if (set == nullptr || l == 0) return ctx.reply.ArrayHeader(0);
  if (l < 0) {
    // Repetitions allowed: -l independent picks.
    ctx.reply.ArrayHeader(-l);
    for (int64_t i = 0; i < -l; ++i) ctx.reply.Bulk(set->Random(random));
    return;
  }
  const size_t size = set->size();
  if (static_cast<uint64_t>(l) >= size) {
    ctx.reply.ArrayHeader(size);
    set->ForEach([&](absl::string_view m) { ctx.reply.Bulk(m); });
    return;
  }
  // l distinct members: a partial Fisher-Yates shuffle over a snapshot.
  std::vector<std::string> members = set->Members();
  ctx.reply.ArrayHeader(l);
  for (int64_t i = 0; i < l; ++i) {
    size_t j = i + random.Uniform(members.size() - i);
    std::swap(members[i], members[j]);
    ctx.reply.Bulk(members[i]);
  }
}

void SMoveCommand(CommandContext& ctx, ArgList args) {
  Db& db = ctx.db();
  Value* sv = db.Find(args[1], ctx.now_ms);
  if (sv == nullptr) {
    // Redis answers 0 before it looks at the destination's type.
    return ctx.reply.Integer(0);
  }
  if (sv->type() != ValueType::kSet) return ctx.reply.Error(kWrongTypeErr);
  SetObject* src = sv->object_as<SetObject>();
  Value* dv = db.Find(args[2], ctx.now_ms);
  if (dv != nullptr && dv->type() != ValueType::kSet) {
    return ctx.reply.Error(kWrongTypeErr);
  }
  SetObject* dst = dv == nullptr ? nullptr : dv->object_as<SetObject>();
  // Moving within one set changes nothing.
  if (src == dst) return ctx.reply.Integer(src->Contains(args[3]));
  if (!src->Remove(args[3])) return ctx.reply.Integer(0);
  DeleteIfEmpty(ctx, args[1], src);
  if (dst == nullptr) {
    dst = db.Set(args[2], Value(std::make_unique<SetObject>()), ctx.now_ms)
              ->object_as<SetObject>();
  }
  // Two changes when the member is new in dst, as Redis counts them.
  ctx.AddDirty(dst->Add(args[3]) ? 2 : 1);
  ctx.reply.Integer(1);
}

// --- Multi-set operations. ---

enum class SetOp { kInter, kUnion, kDiff };

// Looks up every key (read lookups); missing keys become nullptr. Returns
// false after replying WRONGTYPE.
bool CollectSets(CommandContext& ctx, ArgList keys,
                 std::vector<SetObject*>* sets) {
  sets->clear();
  for (absl::string_view key : keys) {
    bool wrong;
    SetObject* s = GetSet(ctx, key, true, &wrong);
    if (wrong) return false;
    sets->push_back(s);
  }
  return true;
}

// Members of the intersection, stopping at `limit` members (0: none).
std::vector<std::string> Intersect(std::vector<SetObject*> sets, size_t limit) {
  std::vector<std::string> out;
  for (SetObject* s : sets) {
    if (s == nullptr) return out;  // an empty set empties the result
  }
  // Walk the smallest set, probing the others.
  std::sort(sets.begin(), sets.end(),
            [](SetObject* a, SetObject* b) { return a->size() < b->size(); });
  bool done = false;
  sets[0]->ForEach([&](absl::string_view m) {
    if (done) return;
    for (size_t i = 1; i < sets.size(); ++i) {
      if (!sets[i]->Contains(m)) return;
    }
    out.emplace_back(m);
    if (limit != 0 && out.size() >= limit) done = true;
  });
  return out;
}

std::vector<std::string> Combine(const std::vector<SetObject*>& sets,
                                 SetOp op) {
  if (op == SetOp::kInter) return Intersect(sets, 0);
  SetObject result;
  if (op == SetOp::kUnion) {
    for (SetObject* s : sets) {
      if (s != nullptr) s->ForEach([&](absl::string_view m) { result.Add(m); });
    }
  } else {
    if (sets[0] == nullptr) return {};
    std::vector<std::string> out;
    sets[0]->ForEach([&](absl::string_view m) {
      for (size_t i = 1; i < sets.size(); ++i) {
        if (sets[i] != nullptr && sets[i]->Contains(m)) return;
      }
      out.emplace_back(m);
    });
    return out;
  }
  return result.Members();
}

template <SetOp kOp>
void SetOpCommand(CommandContext& ctx, ArgList args) {
  std::vector<SetObject*> sets;
  if (!CollectSets(ctx, args.subspan(1), &sets)) return;
  ReplySet(ctx, Combine(sets, kOp));
}

template <SetOp kOp>
void SetOpStoreCommand(CommandContext& ctx, ArgList args) {
  std::vector<SetObject*> sets;
  if (!CollectSets(ctx, args.subspan(2), &sets)) return;
  std::vector<std::string> members = Combine(sets, kOp);
  if (members.empty()) {
    // An empty result deletes the destination: a change only if it lived.
    if (ctx.db().Erase(args[1], ctx.now_ms)) ctx.AddDirty();
    return ctx.reply.Integer(0);
  }
  auto obj = std::make_unique<SetObject>();
  for (const std::string& m : members) obj->Add(m);
  ctx.db().Set(args[1], Value(std::move(obj)), ctx.now_ms);
  ctx.AddDirty();
  ctx.reply.Integer(static_cast<int64_t>(members.size()));
}

void SInterCardCommand(CommandContext& ctx, ArgList args) {
  int64_t numkeys;
  if (!ParseInt64(args[1], &numkeys) || numkeys < 1) {
    return ctx.reply.Error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > args.size() - 2) {
    return ctx.reply.Error(
        "ERR Number of keys can't be greater than number of args");
  }
  int64_t limit = 0;
  for (size_t j = 2 + numkeys; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "limit") && j + 1 < args.size()) {
      ++j;
      if (!ParseInt64(args[j], &limit) || limit < 0) {
        return ctx.reply.Error("ERR LIMIT can't be negative");
      }
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  std::vector<SetObject*> sets;
  if (!CollectSets(ctx, args.subspan(2, numkeys), &sets)) return;
  ctx.reply.Integer(
      static_cast<int64_t>(Intersect(sets, static_cast<size_t>(limit)).size()));
}

void SScanCommand(CommandContext& ctx, ArgList args) {
  ScanArgs scan;
  if (!ParseCursor(args[2], &scan.cursor)) {
    return ctx.reply.Error(kInvalidCursorErr);
  }
  bool wrong;
  SetObject* set = GetSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  // Redis answers an empty scan before it parses the options.
  if (set == nullptr) return ReplyEmptyScan(ctx);
  absl::string_view err = ParseScanOptions(args, 3, /*allow_type=*/false, &scan);
  if (!err.empty()) return ctx.reply.Error(err);
  std::vector<std::string> found;
  uint64_t cursor = scan.cursor;
  int64_t budget = ScanStepBudget(scan.count);
  do {
    cursor =
        set->Scan(cursor, [&](absl::string_view m) { found.emplace_back(m); });
  } while (cursor != 0 && budget-- > 0 &&
           found.size() < static_cast<uint64_t>(scan.count));
  if (scan.use_pattern) {
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const std::string& m) {
                                 return !GlobMatch(scan.pattern, m);
                               }),
                found.end());
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(absl::StrCat(cursor));
  ctx.reply.BulkArray(found);
}

CommandSpec Row(const char* name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                const char* summary, const char* since, const char* complexity,
                std::vector<std::string> acl, KeyFinder find_keys = nullptr) {
  return MakeRow(name, arity, flags, first_key, last_key, key_step, handler,
                 summary, since, "set", complexity, std::move(acl), find_keys);
}

}  // namespace

void RegisterSetFamily(CommandTable& table) {
  // Rows as redis-server 7.0.15's COMMAND INFO and COMMAND DOCS give them.
  // SINTERCARD's keys are "movablekeys" (a numkeys argument), which the
  // legacy first/last/step triple shows as 0 0 0.
  table.Add(Row("sadd", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1,
                SAddCommand, "Add one or more members to a set", "1.0.0",
                "O(1) for each element added, so O(N) to add N elements when "
                "the command is called with multiple arguments.",
                {"@write", "@set", "@fast"}));
  table.Add(Row("srem", -3, kCmdWrite | kCmdFast, 1, 1, 1, SRemCommand,
                "Remove one or more members from a set", "1.0.0",
                "O(N) where N is the number of members to be removed.",
                {"@write", "@set", "@fast"}));
  table.Add(Row("smembers", 2, kCmdReadOnly, 1, 1, 1, SMembersCommand,
                "Get all the members in a set", "1.0.0",
                "O(N) where N is the set cardinality.",
                {"@read", "@set", "@slow"}));
  table.Add(Row("sismember", 3, kCmdReadOnly | kCmdFast, 1, 1, 1,
                SIsMemberCommand,
                "Determine if a given value is a member of a set", "1.0.0",
                "O(1)", {"@read", "@set", "@fast"}));
  table.Add(
      Row("smismember", -3, kCmdReadOnly | kCmdFast, 1, 1, 1, SMIsMemberCommand,
          "Returns the membership associated with the given elements for a set",
          "6.2.0",
          "O(N) where N is the number of elements being checked for membership",
          {"@read", "@set", "@fast"}));
  table.Add(Row("scard", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, SCardCommand,
                "Get the number of members in a set", "1.0.0", "O(1)",
                {"@read", "@set", "@fast"}));
  table.Add(Row("spop", -2, kCmdWrite | kCmdFast, 1, 1, 1, SPopCommand,
                "Remove and return one or multiple random members from a set",
                "1.0.0",
                "Without the count argument O(1), otherwise O(N) where N is "
                "the value of the passed count.",
                {"@write", "@set", "@fast"}));
  table.Add(Row("srandmember", -2, kCmdReadOnly, 1, 1, 1, SRandMemberCommand,
                "Get one or multiple random members from a set", "1.0.0",
                "Without the count argument O(1), otherwise O(N) where N is "
                "the absolute value of the passed count.",
                {"@read", "@set", "@slow"}));
  table.Add(Row("smove", 4, kCmdWrite | kCmdFast, 1, 2, 1, SMoveCommand,
                "Move a member from one set to another", "1.0.0", "O(1)",
                {"@write", "@set", "@fast"}));
  table.Add(Row("sinter", -2, kCmdReadOnly, 1, -1, 1,
                SetOpCommand<SetOp::kInter>, "Intersect multiple sets", "1.0.0",
                "O(N*M) worst case where N is the cardinality of the smallest "
                "set and M is the number of sets.",
                {"@read", "@set", "@slow"}));
  table.Add(
      Row("sunion", -2, kCmdReadOnly, 1, -1, 1, SetOpCommand<SetOp::kUnion>,
          "Add multiple sets", "1.0.0",
          "O(N) where N is the total number of elements in all given sets.",
          {"@read", "@set", "@slow"}));
  table.Add(
      Row("sdiff", -2, kCmdReadOnly, 1, -1, 1, SetOpCommand<SetOp::kDiff>,
          "Subtract multiple sets", "1.0.0",
          "O(N) where N is the total number of elements in all given sets.",
          {"@read", "@set", "@slow"}));
  table.Add(Row("sinterstore", -3, kCmdWrite | kCmdDenyOom, 1, -1, 1,
                SetOpStoreCommand<SetOp::kInter>,
                "Intersect multiple sets and store the resulting set in a key",
                "1.0.0",
                "O(N*M) worst case where N is the cardinality of the smallest "
                "set and M is the number of sets.",
                {"@write", "@set", "@slow"}));
  table.Add(
      Row("sunionstore", -3, kCmdWrite | kCmdDenyOom, 1, -1, 1,
          SetOpStoreCommand<SetOp::kUnion>,
          "Add multiple sets and store the resulting set in a key", "1.0.0",
          "O(N) where N is the total number of elements in all given sets.",
          {"@write", "@set", "@slow"}));
  table.Add(Row(
      "sdiffstore", -3, kCmdWrite | kCmdDenyOom, 1, -1, 1,
      SetOpStoreCommand<SetOp::kDiff>,
      "Subtract multiple sets and store the resulting set in a key", "1.0.0",
      "O(N) where N is the total number of elements in all given sets.",
      {"@write", "@set", "@slow"}));
  table.Add(
      Row("sintercard", -3, kCmdReadOnly, 0, 0, 0, SInterCardCommand,
          "Intersect multiple sets and return the cardinality of the result",
          "7.0.0",
          "O(N*M) worst case where N is the cardinality of the smallest set "
          "and M is the number of sets.",
          {"@read", "@set", "@slow"},
          // Movable keys: SINTERCARD numkeys key [key ...] [LIMIT limit].
          [](ArgList a, std::vector<int>* k) {
            NumKeysPositions(a, 0, 1, k);
          }));
  table.Add(Row("sscan", -3, kCmdReadOnly, 1, 1, 1, SScanCommand,
                "Incrementally iterate Set elements", "2.8.0",
                "O(1) for every call. O(N) for a complete iteration, including "
                "enough command calls for the cursor to return back to 0. N is "
                "the number of elements inside the collection..",
                {"@read", "@set", "@slow"}));
}

}  // namespace twinkv
