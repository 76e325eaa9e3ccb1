// The sorted-set commands: ZADD ZINCRBY ZSCORE ZMSCORE ZCARD ZCOUNT
// ZLEXCOUNT ZRANK ZREVRANK ZRANGE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE
// ZRANGEBYLEX ZREVRANGEBYLEX ZRANGESTORE ZREM ZREMRANGEBYRANK
// ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZRANDMEMBER ZUNIONSTORE
// ZINTERSTORE ZDIFFSTORE ZUNION ZINTER ZDIFF ZSCAN, with Redis 7.0's
// parsing, error strings and error precedence (t_zset.c is the reference).
//
// Scores reply through ReplyWriter::Double (a bulk "%.17g" string in RESP2,
// a RESP3 double otherwise); member/score pairs are flat in RESP2 and
// nested two-element arrays in RESP3, as Redis 7 does. A sorted set never
// exists empty: removing its last member deletes the key, and the STORE
// variants delete the destination when the result is empty.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/db.h"
#include "core/dict.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/family_util.h"
#include "core/glob.h"
#include "core/numbers.h"
#include "core/resp/reply_writer.h"
#include "core/set_object.h"
#include "core/skiplist.h"
#include "core/zset_object.h"

namespace twinkv {
namespace {


bool ParseScoreRange(absl::string_view min, absl::string_view max,
                     ScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->min_exclusive) &&
         ParseScoreBound(max, &r->max, &r->max_exclusive);
}

// One bound of zslParseLexRange: "+", "-", "(x" or "[x".
bool ParseLexBound(absl::string_view s, std::string* v, LexRange::Bound* b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
    case '-':
      if (s.size() != 1) return false;
      *b = s[0] == '+' ? LexRange::Bound::kPlusInf : LexRange::Bound::kMinusInf;
      return true;
    case '(':
    case '[':
      *b = s[0] == '(' ? LexRange::Bound::kExclusive
                       : LexRange::Bound::kInclusive;
      v->assign(s.data() + 1, s.size() - 1);
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(absl::string_view min, absl::string_view max, LexRange* r) {
  return ParseLexBound(min, &r->min, &r->min_bound) &&
         ParseLexBound(max, &r->max, &r->max_bound);
}

// --- Lookups. ---

// The sorted set at `key` or nullptr; *wrong_type after replying WRONGTYPE.
ZSetObject* GetZSet(CommandContext& ctx, absl::string_view key, bool read,
                    bool* wrong_type) {
  return LookupObject<ZSetObject>(ctx, key, ValueType::kZSet, read,
                                  wrong_type);
}

Random& Rng(CommandContext& ctx) { return ctx.engine.runtime().random(); }

// --- Replies. ---

using Element = std::pair<std::string, double>;

// Members, or members with scores (nested pairs in RESP3).
void ReplyElements(CommandContext& ctx, const std::vector<Element>& elems,
                   bool with_scores) {
  ReplyWriter& r = ctx.reply;
  const bool nested = with_scores && r.protocol() > 2;
  r.ArrayHeader(with_scores && !nested ? elems.size() * 2 : elems.size());
  for (const Element& e : elems) {
    if (nested) r.ArrayHeader(2);
    r.Bulk(e.first);
    if (with_scores) r.Double(e.second);
  }
}

// Replaces `dst` by a sorted set of `elems` (deletes it if there are none)
// and replies the count.
void StoreElements(CommandContext& ctx, absl::string_view dst,
                   const std::vector<Element>& elems) {
  if (elems.empty()) {
    // Deleting the destination is a change only if it lived.
    if (ctx.db().Erase(dst, ctx.now_ms)) ctx.AddDirty();
    return ctx.reply.Integer(0);
  }
  auto z = std::make_unique<ZSetObject>();
  for (const Element& e : elems) z->Set(e.first, e.second, Rng(ctx));
  const int64_t n = static_cast<int64_t>(z->size());
  ctx.db().Set(dst, Value(std::move(z)), ctx.now_ms);
  ctx.AddDirty();
  ctx.engine.SignalKeyReady(ctx.client.db_index, dst);  // BZPOPMIN waiters
  ctx.reply.Integer(n);
}

// --- ZADD / ZINCRBY. ---

// ZADD's options are ZSetObject's Add flags, plus CH (which only changes
// the reply).
constexpr uint32_t kZAddNx = ZSetObject::kAddNx;
constexpr uint32_t kZAddXx = ZSetObject::kAddXx;
constexpr uint32_t kZAddGt = ZSetObject::kAddGt;
constexpr uint32_t kZAddLt = ZSetObject::kAddLt;
constexpr uint32_t kZAddIncr = ZSetObject::kAddIncr;
constexpr uint32_t kZAddCh = 1u << 8;

// zaddGenericCommand with the options already known; args[first] on are
// score/member pairs.
void ZAddGeneric(CommandContext& ctx, ArgList args, size_t first,
                 uint32_t flags) {
  const bool nx = flags & kZAddNx, xx = flags & kZAddXx;
  const bool gt = flags & kZAddGt, lt = flags & kZAddLt;
  const bool incr = flags & kZAddIncr;
  size_t elements = args.size() - first;
  if (elements == 0 || elements % 2 != 0) return ctx.reply.Error(kSyntaxErr);
  elements /= 2;
  if (nx && xx) return ctx.reply.Error(kXxNxErr);
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return ctx.reply.Error(kGtLtNxErr);
  }
  if (incr && elements > 1) return ctx.reply.Error(kIncrPairErr);
  // All scores are checked before anything changes.
  absl::InlinedVector<double, 4> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!ParseDouble(args[first + 2 * j], &scores[j])) {
      return ctx.reply.Error(kNotFloatErr);
    }
  }
  Db& db = ctx.db();
  const absl::string_view key = args[1];
  Value* v = db.Find(key, ctx.now_ms);
  if (WrongType(ctx, v, ValueType::kZSet)) return;
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (v == nullptr && !xx) {
    v = db.Set(key, Value(std::make_unique<ZSetObject>()), ctx.now_ms);
    // Waiters are served after this command, so a set that stays empty
    // (nothing added) only makes them look and wait again.
    ctx.engine.SignalKeyReady(ctx.client.db_index, key);
  }
  if (v != nullptr) {
    ZSetObject* z = v->object_as<ZSetObject>();
    const uint32_t add_flags = flags & ~kZAddCh;
    for (size_t j = 0; j < elements; ++j) {
      switch (z->Add(args[first + 2 * j + 1], scores[j], add_flags, Rng(ctx),
                     &score)) {
        case ZSetObject::AddResult::kAdded:
          ++added;
          ++processed;
          break;
        case ZSetObject::AddResult::kUpdated:
          ++updated;
          ++processed;
          break;
        case ZSetObject::AddResult::kUnchanged:
          ++processed;
          break;
        case ZSetObject::AddResult::kSkipped:
          break;
        case ZSetObject::AddResult::kNan:
          return ctx.reply.Error(kNanScoreErr);
      }
    }
  }
  // Logged as received: the same additions replay to the same scores.
  if (added + updated > 0) ctx.AddDirty(added + updated);
  if (incr) {
    processed ? ctx.reply.Double(score) : ctx.reply.Null();
  } else {
    ctx.reply.Integer((flags & kZAddCh) ? added + updated : added);
  }
}

void ZAddCommand(CommandContext& ctx, ArgList args) {
  uint32_t flags = 0;
  size_t j = 2;
  for (; j < args.size(); ++j) {
    absl::string_view a = args[j];
    if (EqualsIgnoreCase(a, "nx")) {
      flags |= kZAddNx;
    } else if (EqualsIgnoreCase(a, "xx")) {
      flags |= kZAddXx;
    } else if (EqualsIgnoreCase(a, "ch")) {
      flags |= kZAddCh;
    } else if (EqualsIgnoreCase(a, "incr")) {
      flags |= kZAddIncr;
    } else if (EqualsIgnoreCase(a, "gt")) {
      flags |= kZAddGt;
    } else if (EqualsIgnoreCase(a, "lt")) {
      flags |= kZAddLt;
    } else {
      break;
    }
  }
  ZAddGeneric(ctx, args, j, flags);
}

void ZIncrByCommand(CommandContext& ctx, ArgList args) {
  ZAddGeneric(ctx, args, 2, kZAddIncr);
}

// --- Point reads. ---

void ZScoreCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  const double* s = z == nullptr ? nullptr : z->Score(args[2]);
  s == nullptr ? ctx.reply.Null() : ctx.reply.Double(*s);
}

void ZMScoreCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const double* s = z == nullptr ? nullptr : z->Score(args[i]);
    s == nullptr ? ctx.reply.Null() : ctx.reply.Double(*s);
  }
}

void ZCardCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  ctx.reply.Integer(z == nullptr ? 0 : static_cast<int64_t>(z->size()));
}

template <bool kReverse>
void ZRankCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  const double* s = z == nullptr ? nullptr : z->Score(args[2]);
  if (s == nullptr) return ctx.reply.Null();
  int64_t rank = z->list().Rank(*s, args[2]);
  if (kReverse) rank = static_cast<int64_t>(z->size()) - 1 - rank;
  ctx.reply.Integer(rank);
}

void ZCountCommand(CommandContext& ctx, ArgList args) {
  ScoreRange range;
  if (!ParseScoreRange(args[2], args[3], &range)) {
    return ctx.reply.Error(kMinMaxNotFloatErr);
  }
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  if (z == nullptr || range.Empty()) return ctx.reply.Integer(0);
  const SkipList& l = z->list();
  size_t outside = l.CountBelow(range) + l.CountAbove(range);
  ctx.reply.Integer(
      outside >= l.size() ? 0 : static_cast<int64_t>(l.size() - outside));
}

void ZLexCountCommand(CommandContext& ctx, ArgList args) {
  LexRange range;
  if (!ParseLexRange(args[2], args[3], &range)) {
    return ctx.reply.Error(kMinMaxNotStringErr);
  }
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  if (z == nullptr || range.Empty()) return ctx.reply.Integer(0);
  const SkipList& l = z->list();
  size_t outside = l.CountBelowLex(range) + l.CountAboveLex(range);
  ctx.reply.Integer(
      outside >= l.size() ? 0 : static_cast<int64_t>(l.size() - outside));
}

// --- ZRANGE and its older forms. ---

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Elements of `z` between ranks start..end (Redis's index rules), walking
// backwards from the end with `reverse`.
std::vector<Element> RankRange(const ZSetObject& z, int64_t start, int64_t end,
                               bool reverse) {
  std::vector<Element> out;
  const int64_t llen = static_cast<int64_t>(z.size());
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return out;
  if (end >= llen) end = llen - 1;
  const SkipList& l = z.list();
  const SkipList::Node* n = l.ByRank(reverse ? llen - 1 - start : start);
  for (int64_t i = start; i <= end && n != nullptr; ++i) {
    out.emplace_back(std::string(n->member()), n->score());
    n = reverse ? n->prev() : n->next();
  }
  return out;
}

// Elements from `first` on (towards `reverse`), skipping `offset`, at most
// `limit` of them (negative: no limit), while in_range holds.
template <typename InRange>
std::vector<Element> WalkRange(const SkipList::Node* n, bool reverse,
                               int64_t offset, int64_t limit,
                               InRange in_range) {
  std::vector<Element> out;
  // Redis's `while (ln && offset--)`: a negative offset skips everything.
  while (n != nullptr && offset != 0) {
    n = reverse ? n->prev() : n->next();
    --offset;
  }
  while (n != nullptr && limit != 0 && in_range(n)) {
    out.emplace_back(std::string(n->member()), n->score());
    n = reverse ? n->prev() : n->next();
    if (limit > 0) --limit;
  }
  return out;
}

// zrangeGenericCommand: args[src_index] is the source key, the next two
// the range; with `store`, args[1] is the destination.
void ZRangeGeneric(CommandContext& ctx, ArgList args, size_t src_index,
                   bool store, RangeType type, Direction dir) {
  size_t min_index = src_index + 1, max_index = src_index + 2;
  bool with_scores = false;
  int64_t offset = 0, limit = -1;
  bool has_limit = false;
  for (size_t j = src_index + 3; j < args.size(); ++j) {
    const size_t left = args.size() - j - 1;
    absl::string_view a = args[j];
    if (!store && EqualsIgnoreCase(a, "withscores")) {
      with_scores = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseInt64(args[j + 1], &offset) ||
          !ParseInt64(args[j + 2], &limit)) {
        return ctx.reply.Error(kNotIntegerErr);
      }
      has_limit = true;
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // Redis checks limit != -1, so "LIMIT 0 -1" passes with a rank range.
  if (has_limit && limit != -1 && type == RangeType::kRank) {
    return ctx.reply.Error(kLimitErr);
  }
  if (with_scores && type == RangeType::kLex) {
    return ctx.reply.Error(kWithScoresLexErr);
  }
  const bool reverse = dir == Direction::kReverse;
  if (reverse && type != RangeType::kRank) std::swap(min_index, max_index);

  int64_t start = 0, end = 0;
  ScoreRange score_range;
  LexRange lex_range;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!ParseInt64(args[min_index], &start) ||
          !ParseInt64(args[max_index], &end)) {
        return ctx.reply.Error(kNotIntegerErr);
      }
      break;
    case RangeType::kScore:
      if (!ParseScoreRange(args[min_index], args[max_index], &score_range)) {
        return ctx.reply.Error(kMinMaxNotFloatErr);
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRange(args[min_index], args[max_index], &lex_range)) {
        return ctx.reply.Error(kMinMaxNotStringErr);
      }
      break;
  }

  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[src_index], true, &wrong);
  if (wrong) return;
  std::vector<Element> result;
  if (z != nullptr) {
    const SkipList& l = z->list();
    switch (type) {
      case RangeType::kAuto:
      case RangeType::kRank:
        result = RankRange(*z, start, end, reverse);
        break;
      case RangeType::kScore:
        result = WalkRange(
            reverse ? l.LastInRange(score_range) : l.FirstInRange(score_range),
            reverse, offset, limit, [&](const SkipList::Node* n) {
              return reverse ? score_range.AboveMin(n->score())
                             : score_range.BelowMax(n->score());
            });
        break;
      case RangeType::kLex:
        result =
            WalkRange(reverse ? l.LastInLexRange(lex_range)
                              : l.FirstInLexRange(lex_range),
                      reverse, offset, limit, [&](const SkipList::Node* n) {
                        return reverse ? lex_range.AboveMin(n->member())
                                       : lex_range.BelowMax(n->member());
                      });
        break;
    }
  }
  if (store) return StoreElements(ctx, args[1], result);
  ReplyElements(ctx, result, with_scores);
}

template <RangeType kType, Direction kDir>
void ZRangeCommand(CommandContext& ctx, ArgList args) {
  ZRangeGeneric(ctx, args, 1, false, kType, kDir);
}

void ZRangeStoreCommand(CommandContext& ctx, ArgList args) {
  ZRangeGeneric(ctx, args, 2, true, RangeType::kAuto, Direction::kAuto);
}

// --- Removal. ---

void ZRemCommand(CommandContext& ctx, ArgList args) {
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], false, &wrong);
  if (wrong) return;
  if (z == nullptr) return ctx.reply.Integer(0);
  int64_t removed = 0;
  for (size_t i = 2; i < args.size() && z->size() > 0; ++i) {
    removed += z->Remove(args[i]);
  }
  if (removed > 0) ctx.AddDirty(removed);
  DeleteIfEmpty(ctx, args[1], z);
  ctx.reply.Integer(removed);
}

template <RangeType kType>
void ZRemRangeCommand(CommandContext& ctx, ArgList args) {
  int64_t start = 0, end = 0;
  ScoreRange score_range;
  LexRange lex_range;
  if (kType == RangeType::kRank) {
    if (!ParseInt64(args[2], &start) || !ParseInt64(args[3], &end)) {
      return ctx.reply.Error(kNotIntegerErr);
    }
  } else if (kType == RangeType::kScore) {
    if (!ParseScoreRange(args[2], args[3], &score_range)) {
      return ctx.reply.Error(kMinMaxNotFloatErr);
    }
  } else if (!ParseLexRange(args[2], args[3], &lex_range)) {
    return ctx.reply.Error(kMinMaxNotStringErr);
  }
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], false, &wrong);
  if (wrong) return;
  if (z == nullptr) return ctx.reply.Integer(0);
  size_t removed = 0;
  if (kType == RangeType::kRank) {
    const int64_t llen = static_cast<int64_t>(z->size());
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return ctx.reply.Integer(0);
    if (end >= llen) end = llen - 1;
    removed = z->RemoveRangeByRank(start, end);
  } else if (kType == RangeType::kScore) {
    removed = z->RemoveRangeByScore(score_range);
  } else {
    removed = z->RemoveRangeByLex(lex_range);
  }
  if (removed > 0) ctx.AddDirty(removed);
  DeleteIfEmpty(ctx, args[1], z);
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// Removes up to `count` members from the low (or, with `max`, the high)
// end of `z`, in pop order.
std::vector<Element> PopEnd(ZSetObject* z, bool max, int64_t count) {
  std::vector<Element> popped;
  while (count-- > 0 && z->size() > 0) {
    const SkipList::Node* n = max ? z->list().Last() : z->list().First();
    popped.emplace_back(std::string(n->member()), n->score());
    z->Remove(popped.back().first);
  }
  return popped;
}

template <bool kMax>
void ZPopCommand(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return ctx.reply.Error(kSyntaxErr);
  int64_t count = 1;
  const bool has_count = args.size() == 3;
  // Redis's getPositiveLongFromObjectOrReply: one message for both.
  if (has_count && (!ParseInt64(args[2], &count) || count < 0)) {
    return ctx.reply.Error(kMustBePositiveErr);
  }
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], false, &wrong);
  if (wrong) return;
  if (z == nullptr || count == 0) return ctx.reply.ArrayHeader(0);
  std::vector<Element> popped = PopEnd(z, kMax, count);
  ctx.AddDirty(popped.size());
  DeleteIfEmpty(ctx, args[1], z);
  if (!has_count) {
    // One element: a flat [member, score] even in RESP3.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(popped[0].first);
    return ctx.reply.Double(popped[0].second);
  }
  ReplyElements(ctx, popped, true);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout (blockingGenericZpopCommand):
// the first non-empty set's [key, member, score], or block on them all.
template <bool kMax>
void BZPopCommand(CommandContext& ctx, ArgList args) {
  int64_t timeout_ms;
  if (!ParseBlockTimeout(ctx, args.back(), &timeout_ms)) return;
  for (size_t k = 1; k + 1 < args.size(); ++k) {
    bool wrong;
    ZSetObject* z = GetZSet(ctx, args[k], false, &wrong);
    if (wrong) return;
    if (z == nullptr) continue;
    const SkipList::Node* n = kMax ? z->list().Last() : z->list().First();
    const std::string member(n->member());
    const double score = n->score();
    z->Remove(member);
    DeleteIfEmpty(ctx, args[k], z);
    // Replays as the pop it was, whether served at once or after waiting.
    ctx.AddDirty();
    ctx.Propagate({kMax ? "ZPOPMAX" : "ZPOPMIN", args[k]});
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(args[k]);
    ctx.reply.Bulk(member);
    return ctx.reply.Double(score);
  }
  ctx.engine.BlockClient(ctx, args, args.subspan(1, args.size() - 2),
                         timeout_ms, Engine::TimeoutReply::kNullArray,
                         ValueType::kZSet);
}

// [B]ZMPOP's tail from args[first]: numkeys key [key ...] MIN|MAX
// [COUNT count] (zmpopGenericCommand). BZMPOP (`blocking`) reads its
// timeout at args[1] only after the rest parsed, as Redis does, and blocks
// when every key is missing.
void ZMPop(CommandContext& ctx, ArgList args, size_t first, bool blocking) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t numkeys;
  if (!ParseInt64(args[first], &numkeys) || numkeys < 1) {
    return ctx.reply.Error(kNumKeysErr);
  }
  if (static_cast<uint64_t>(numkeys) >= args.size() - first - 1) {
    return ctx.reply.Error(kSyntaxErr);
  }
  const size_t keys = first + 1;
  const size_t where = keys + static_cast<size_t>(numkeys);
  bool max;
  if (EqualsIgnoreCase(args[where], "min")) {
    max = false;
  } else if (EqualsIgnoreCase(args[where], "max")) {
    max = true;
  } else {
    return ctx.reply.Error(kSyntaxErr);
  }
  int64_t count = -1;
  for (size_t j = where + 1; j < args.size(); ++j) {
    if (count == -1 && EqualsIgnoreCase(args[j], "count") &&
        j + 1 < args.size()) {
      if (!ParseInt64(args[++j], &count) || count < 1 || count > kMax) {
        return ctx.reply.Error(kCountPositiveErr);
      }
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  if (count == -1) count = 1;
  int64_t timeout_ms = 0;
  if (blocking && !ParseBlockTimeout(ctx, args[1], &timeout_ms)) return;
  for (size_t k = keys; k < where; ++k) {
    bool wrong;
    ZSetObject* z = GetZSet(ctx, args[k], false, &wrong);
    if (wrong) return;
    if (z == nullptr) continue;
    const std::vector<Element> popped = PopEnd(z, max, count);
    DeleteIfEmpty(ctx, args[k], z);
    // [key, [[member, score], ...]]: pairs nested in RESP2 too.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(args[k]);
    ctx.reply.ArrayHeader(popped.size());
    for (const Element& e : popped) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(e.first);
      ctx.reply.Double(e.second);
    }
    // Logged as ZPOPMIN/ZPOPMAX with the count it amounted to, served at
    // once or after waiting, as Redis 7.0 does.
    ctx.AddDirty(popped.size());
    const std::string n = absl::StrCat(popped.size());
    ctx.Propagate({max ? "ZPOPMAX" : "ZPOPMIN", args[k], n});
    return;
  }
  if (!blocking) return ctx.reply.NullArray();
  ctx.engine.BlockClient(ctx, args, args.subspan(keys, where - keys),
                         timeout_ms, Engine::TimeoutReply::kNullArray,
                         ValueType::kZSet);
}

void ZMPopCommand(CommandContext& ctx, ArgList args) {
  ZMPop(ctx, args, 1, /*blocking=*/false);
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
void BZMPopCommand(CommandContext& ctx, ArgList args) {
  ZMPop(ctx, args, 2, /*blocking=*/true);
}

void ZRandMemberCommand(CommandContext& ctx, ArgList args) {
  Random& random = Rng(ctx);
  if (args.size() == 2) {
    bool wrong;
    ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
    if (wrong) return;
    if (z == nullptr) return ctx.reply.Null();
    return ctx.reply.Bulk(z->Random(random).first);
  }
  int64_t l;
  if (!ParseInt64(args[2], &l)) return ctx.reply.Error(kNotIntegerErr);
  if (l == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error(kCountRangeErr);
  }
  bool with_scores = false;
  if (args.size() > 4 ||
      (args.size() == 4 && !EqualsIgnoreCase(args[3], "withscores"))) {
    return ctx.reply.Error(kSyntaxErr);
  }
  if (args.size() == 4) {
    with_scores = true;
    constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
    if (l < -kHalf || l > kHalf) return ctx.reply.Error(kOutOfRangeErr);
  }
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  if (z == nullptr || l == 0) return ctx.reply.ArrayHeader(0);
  std::vector<Element> out;
  if (l < 0) {
    for (int64_t i = 0; i < -l; ++i) {
      auto [m, s] = z->Random(random);
      out.emplace_back(std::string(m), s);
    }
    return ReplyElements(ctx, out, with_scores);
  }
  for (const SkipList::Node* n = z->list().First(); n != nullptr;
       n = n->next()) {
    out.emplace_back(std::string(n->member()), n->score());
  }
  if (static_cast<uint64_t>(l) < out.size()) {
    // l distinct members: a partial Fisher-Yates shuffle.
    for (int64_t i = 0; i < l; ++i) {
      size_t j = i + random.Uniform(out.size() - i);
      std::swap(out[i], out[j]);
    }
    out.resize(l);
  }
  ReplyElements(ctx, out, with_scores);
}

// --- ZUNION / ZINTER / ZDIFF and their STORE forms. ---

enum class ZSetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input of a set operation: a sorted set, a plain set (every score 1),
// or a missing key (empty).
struct OpSource {
  ZSetObject* zset = nullptr;
  SetObject* set = nullptr;
  double weight = 1;

  size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
  // Score of `member`, or nullptr-equivalent false.
  bool Score(absl::string_view member, double* score) const {
    if (zset) {
      const double* s = zset->Score(member);
      if (s == nullptr) return false;
      *score = *s;
      return true;
    }
    if (set && set->Contains(member)) {
      *score = 1;
      return true;
    }
    return false;
  }
  void ForEach(absl::FunctionRef<void(absl::string_view, double)> fn) const {
    if (zset) {
      for (const SkipList::Node* n = zset->list().First(); n != nullptr;
           n = n->next()) {
        fn(n->member(), n->score());
      }
    } else if (set) {
      set->ForEach([&](absl::string_view m) { fn(m, 1); });
    }
  }
};

double Weighted(double weight, double score) {
  double v = weight * score;
  return std::isnan(v) ? 0 : v;  // inf * 0
}

void AggregateInto(Aggregate agg, double* target, double v) {
  switch (agg) {
    case Aggregate::kSum:
      *target += v;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *target = std::min(*target, v);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, v);
      break;
  }
}

// zunionInterDiffGenericCommand: args[numkeys_index] is numkeys; with
// `store`, args[1] is the destination.
void ZSetOpGeneric(CommandContext& ctx, ArgList args, size_t numkeys_index,
                   bool store, ZSetOp op) {
  int64_t numkeys;
  if (!ParseInt64(args[numkeys_index], &numkeys)) {
    return ctx.reply.Error(kNotIntegerErr);
  }
  if (numkeys < 1) {
    char name[32];
    absl::string_view cmd = args[0];
    if (cmd.size() > sizeof(name)) cmd = cmd.substr(0, sizeof(name));
    return ctx.reply.Error(
        absl::StrCat("ERR at least 1 input key is needed for '",
                     AsciiLowerInto(cmd, name), "' command"));
  }
  if (static_cast<uint64_t>(numkeys) > args.size() - numkeys_index - 1) {
    return ctx.reply.Error(kSyntaxErr);
  }
  std::vector<OpSource> src(numkeys);
  size_t j = numkeys_index + 1;
  for (int64_t i = 0; i < numkeys; ++i, ++j) {
    Value* v =
        store ? ctx.db().Find(args[j], ctx.now_ms) : LookupRead(ctx, args[j]);
    if (v == nullptr) continue;
    if (v->type() == ValueType::kZSet) {
      src[i].zset = v->object_as<ZSetObject>();
    } else if (v->type() == ValueType::kSet) {
      src[i].set = v->object_as<SetObject>();
    } else {
      return ctx.reply.Error(kWrongTypeErr);
    }
  }
  Aggregate agg = Aggregate::kSum;
  bool with_scores = false;
  while (j < args.size()) {
    const size_t remaining = args.size() - j;
    if (op != ZSetOp::kDiff && remaining >= static_cast<size_t>(numkeys) + 1 &&
        EqualsIgnoreCase(args[j], "weights")) {
      ++j;
      for (int64_t i = 0; i < numkeys; ++i, ++j) {
        if (!ParseDouble(args[j], &src[i].weight)) {
          return ctx.reply.Error(kWeightErr);
        }
      }
    } else if (op != ZSetOp::kDiff && remaining >= 2 &&
               EqualsIgnoreCase(args[j], "aggregate")) {
      absl::string_view a = args[j + 1];
      if (EqualsIgnoreCase(a, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(a, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(a, "max")) {
        agg = Aggregate::kMax;
      } else {
        return ctx.reply.Error(kSyntaxErr);
      }
      j += 2;
    } else if (!store && EqualsIgnoreCase(args[j], "withscores")) {
      with_scores = true;
      ++j;
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }

  Dict<double> acc;
  if (op == ZSetOp::kDiff) {
    src[0].ForEach([&](absl::string_view m, double s) {
      double ignored;
      for (size_t i = 1; i < src.size(); ++i) {
        if (src[i].Score(m, &ignored)) return;
      }
      acc.Set(m, s);
    });
  } else {
    // Smallest inputs first, as Redis does (it bounds an intersection's
    // work by its smallest input).
    std::stable_sort(src.begin(), src.end(),
                     [](const OpSource& a, const OpSource& b) {
                       return a.size() < b.size();
                     });
    if (op == ZSetOp::kInter) {
      src[0].ForEach([&](absl::string_view m, double s) {
        double score = Weighted(src[0].weight, s);
        for (size_t i = 1; i < src.size(); ++i) {
          double other;
          if (!src[i].Score(m, &other)) return;
          AggregateInto(agg, &score, Weighted(src[i].weight, other));
        }
        acc.Set(m, score);
      });
    } else {
      for (const OpSource& s : src) {
        s.ForEach([&](absl::string_view m, double score) {
          const double v = Weighted(s.weight, score);
          bool inserted;
          double* target = acc.FindOrInsert(m, &inserted);
          if (inserted) {
            *target = v;
          } else {
            AggregateInto(agg, target, v);
          }
        });
      }
    }
  }
  if (store) {
    if (acc.empty()) {
      // Deleting the destination is a change only if it lived.
      if (ctx.db().Erase(args[1], ctx.now_ms)) ctx.AddDirty();
      return ctx.reply.Integer(0);
    }
    auto z = std::make_unique<ZSetObject>();
    acc.ForEach(
        [&](absl::string_view m, double& s) { z->Set(m, s, Rng(ctx)); });
    const int64_t n = static_cast<int64_t>(z->size());
    ctx.db().Set(args[1], Value(std::move(z)), ctx.now_ms);
    ctx.AddDirty();
    ctx.engine.SignalKeyReady(ctx.client.db_index, args[1]);
    return ctx.reply.Integer(n);
  }
  std::vector<Element> out;
  out.reserve(acc.size());
  acc.ForEach([&](absl::string_view m, double& s) {
    out.emplace_back(std::string(m), s);
  });
  std::sort(out.begin(), out.end(), [](const Element& a, const Element& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  ReplyElements(ctx, out, with_scores);
}

template <ZSetOp kOp>
void ZSetOpCommand(CommandContext& ctx, ArgList args) {
  ZSetOpGeneric(ctx, args, 1, false, kOp);
}

template <ZSetOp kOp>
void ZSetOpStoreCommand(CommandContext& ctx, ArgList args) {
  ZSetOpGeneric(ctx, args, 2, true, kOp);
}

// --- ZSCAN. ---

void ZScanCommand(CommandContext& ctx, ArgList args) {
  ScanArgs scan;
  if (!ParseCursor(args[2], &scan.cursor)) {
    return ctx.reply.Error(kInvalidCursorErr);
  }
  bool wrong;
  ZSetObject* z = GetZSet(ctx, args[1], true, &wrong);
  if (wrong) return;
  if (z == nullptr) return ReplyEmptyScan(ctx);
  absl::string_view err = ParseScanOptions(args, 3, /*allow_type=*/false, &scan);
  if (!err.empty()) return ctx.reply.Error(err);
  std::vector<Element> found;
  uint64_t cursor = scan.cursor;
  int64_t budget = ScanStepBudget(scan.count);
  do {
    cursor = z->Scan(cursor, [&](absl::string_view m, double s) {
      found.emplace_back(std::string(m), s);
    });
  } while (cursor != 0 && budget-- > 0 &&
           found.size() < static_cast<uint64_t>(scan.count));
  if (scan.use_pattern) {
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Element& e) {
                                 return !GlobMatch(scan.pattern, e.first);
                               }),
                found.end());
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(absl::StrCat(cursor));
  ctx.reply.ArrayHeader(found.size() * 2);
  char buf[64];
  for (const Element& e : found) {
    ctx.reply.Bulk(e.first);
    // A score inside a scan reply is a plain bulk string, in RESP3 too.
    ctx.reply.Bulk(absl::string_view(buf, FormatDouble(e.second, buf)));
  }
}

CommandSpec Row(const char* name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                const char* summary, const char* since, const char* complexity,
                std::vector<std::string> acl, KeyFinder find_keys = nullptr) {
  return MakeRow(name, arity, flags, first_key, last_key, key_step, handler,
                 summary, since, "sorted-set", complexity, std::move(acl),
                 find_keys);
}

// Movable keys: ZUNIONSTORE dest numkeys key ..., ZUNION numkeys key ...
void StoreOpKeys(ArgList args, std::vector<int>* keys) {
  NumKeysPositions(args, 1, 2, keys);
}
void OpKeys(ArgList args, std::vector<int>* keys) {
  NumKeysPositions(args, 0, 1, keys);
}

}  // namespace

void RegisterZSetFamily(CommandTable& table) {
  using RT = RangeType;
  using D = Direction;
  // Rows as redis-server 7.0.15's COMMAND INFO and COMMAND DOCS give them.
  // Commands with a numkeys argument are "movablekeys" in Redis; the legacy
  // first/last/step triple shows only what is fixed.
  table.Add(Row("zadd", -4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1,
                ZAddCommand,
                "Add one or more members to a sorted set, or update its score "
                "if it already exists",
                "1.2.0",
                "O(log(N)) for each item added, where N is the number of "
                "elements in the sorted set.",
                {"@write", "@sortedset", "@fast"}));
  table.Add(Row(
      "zincrby", 4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, ZIncrByCommand,
      "Increment the score of a member in a sorted set", "1.2.0",
      "O(log(N)) where N is the number of elements in the sorted set.",
      {"@write", "@sortedset", "@fast"}));
  table.Add(
      Row("zscore", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, ZScoreCommand,
          "Get the score associated with the given member in a sorted set",
          "1.2.0", "O(1)", {"@read", "@sortedset", "@fast"}));
  table.Add(
      Row("zmscore", -3, kCmdReadOnly | kCmdFast, 1, 1, 1, ZMScoreCommand,
          "Get the score associated with the given members in a sorted set",
          "6.2.0", "O(N) where N is the number of members being requested.",
          {"@read", "@sortedset", "@fast"}));
  table.Add(Row("zcard", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, ZCardCommand,
                "Get the number of members in a sorted set", "1.2.0", "O(1)",
                {"@read", "@sortedset", "@fast"}));
  table.Add(Row(
      "zcount", 4, kCmdReadOnly | kCmdFast, 1, 1, 1, ZCountCommand,
      "Count the members in a sorted set with scores within the given values",
      "2.0.0",
      "O(log(N)) with N being the number of elements in the sorted set.",
      {"@read", "@sortedset", "@fast"}));
  table.Add(
      Row("zlexcount", 4, kCmdReadOnly | kCmdFast, 1, 1, 1, ZLexCountCommand,
          "Count the number of members in a sorted set between a given "
          "lexicographical range",
          "2.8.9",
          "O(log(N)) with N being the number of elements in the sorted set.",
          {"@read", "@sortedset", "@fast"}));
  table.Add(Row("zrank", 3, kCmdReadOnly | kCmdFast, 1, 1, 1,
                ZRankCommand<false>,
                "Determine the index of a member in a sorted set", "2.0.0",
                "O(log(N))", {"@read", "@sortedset", "@fast"}));
  table.Add(Row("zrevrank", 3, kCmdReadOnly | kCmdFast, 1, 1, 1,
                ZRankCommand<true>,
                "Determine the index of a member in a sorted set, with scores "
                "ordered from high to low",
                "2.0.0", "O(log(N))", {"@read", "@sortedset", "@fast"}));
  table.Add(Row("zrange", -4, kCmdReadOnly, 1, 1, 1,
                ZRangeCommand<RT::kAuto, D::kAuto>,
                "Return a range of members in a sorted set", "1.2.0",
                "O(log(N)+M) with N being the number of elements in the sorted "
                "set and M the number of elements returned.",
                {"@read", "@sortedset", "@slow"}));
  table.Add(Row("zrevrange", -4, kCmdReadOnly, 1, 1, 1,
                ZRangeCommand<RT::kRank, D::kReverse>,
                "Return a range of members in a sorted set, by index, with "
                "scores ordered from high to low",
                "1.2.0",
                "O(log(N)+M) with N being the number of elements in the sorted "
                "set and M the number of elements returned.",
                {"@read", "@sortedset", "@slow"}));
  table.Add(Row("zrangebyscore", -4, kCmdReadOnly, 1, 1, 1,
                ZRangeCommand<RT::kScore, D::kForward>,
                "Return a range of members in a sorted set, by score", "1.0.5",
                "O(log(N)+M) with N being the number of elements in the sorted "
                "set and M the number of elements being returned. If M is "
                "constant (e.g. always asking for the first 10 elements with "
                "LIMIT), you can consider it O(log(N)).",
                {"@read", "@sortedset", "@slow"}));
  table.Add(Row("zrevrangebyscore", -4, kCmdReadOnly, 1, 1, 1,
                ZRangeCommand<RT::kScore, D::kReverse>,
                "Return a range of members in a sorted set, by score, with "
                "scores ordered from high to low",
                "2.2.0",
                "O(log(N)+M) with N being the number of elements in the sorted "
                "set and M the number of elements being returned. If M is "
                "constant (e.g. always asking for the first 10 elements with "
                "LIMIT), you can consider it O(log(N)).",
                {"@read", "@sortedset", "@slow"}));
  table.Add(
      Row("zrangebylex", -4, kCmdReadOnly, 1, 1, 1,
          ZRangeCommand<RT::kLex, D::kForward>,
          "Return a range of members in a sorted set, by lexicographical range",
          "2.8.9",
          "O(log(N)+M) with N being the number of elements in the sorted set "
          "and M the number of elements being returned. If M is constant (e.g. "
          "always asking for the first 10 elements with LIMIT), you can "
          "consider it O(log(N)).",
          {"@read", "@sortedset", "@slow"}));
  table.Add(Row("zrevrangebylex", -4, kCmdReadOnly, 1, 1, 1,
                ZRangeCommand<RT::kLex, D::kReverse>,
                "Return a range of members in a sorted set, by lexicographical "
                "range, ordered from higher to lower strings.",
                "2.8.9",
                "O(log(N)+M) with N being the number of elements in the sorted "
                "set and M the number of elements being returned. If M is "
                "constant (e.g. always asking for the first 10 elements with "
                "LIMIT), you can consider it O(log(N)).",
                {"@read", "@sortedset", "@slow"}));
  table.Add(Row(
      "zrangestore", -5, kCmdWrite | kCmdDenyOom, 1, 2, 1, ZRangeStoreCommand,
      "Store a range of members from sorted set into another key", "6.2.0",
      "O(log(N)+M) with N being the number of elements in the sorted set and M "
      "the number of elements stored into the destination key.",
      {"@write", "@sortedset", "@slow"}));
  table.Add(Row("zrem", -3, kCmdWrite | kCmdFast, 1, 1, 1, ZRemCommand,
                "Remove one or more members from a sorted set", "1.2.0",
                "O(M*log(N)) with N being the number of elements in the sorted "
                "set and M the number of elements to be removed.",
                {"@write", "@sortedset", "@fast"}));
  table.Add(Row(
      "zremrangebyrank", 4, kCmdWrite, 1, 1, 1, ZRemRangeCommand<RT::kRank>,
      "Remove all members in a sorted set within the given indexes", "2.0.0",
      "O(log(N)+M) with N being the number of elements in the sorted set and M "
      "the number of elements removed by the operation.",
      {"@write", "@sortedset", "@slow"}));
  table.Add(Row(
      "zremrangebyscore", 4, kCmdWrite, 1, 1, 1, ZRemRangeCommand<RT::kScore>,
      "Remove all members in a sorted set within the given scores", "1.2.0",
      "O(log(N)+M) with N being the number of elements in the sorted set and M "
      "the number of elements removed by the operation.",
      {"@write", "@sortedset", "@slow"}));
  table.Add(Row("zremrangebylex", 4, kCmdWrite, 1, 1, 1,
                ZRemRangeCommand<RT::kLex>,
                "Remove all members in a sorted set between the given "
                "lexicographical range",
                "2.8.9",
                "O(log(N)+M) with N being the number of elements in the sorted "
                "set and M the number of elements removed by the operation.",
                {"@write", "@sortedset", "@slow"}));
  table.Add(
      Row("zpopmin", -2, kCmdWrite | kCmdFast, 1, 1, 1, ZPopCommand<false>,
          "Remove and return members with the lowest scores in a sorted set",
          "5.0.0",
          "O(log(N)*M) with N being the number of elements in the sorted set, "
          "and M being the number of elements popped.",
          {"@write", "@sortedset", "@fast"}));
  table.Add(
      Row("zpopmax", -2, kCmdWrite | kCmdFast, 1, 1, 1, ZPopCommand<true>,
          "Remove and return members with the highest scores in a sorted set",
          "5.0.0",
          "O(log(N)*M) with N being the number of elements in the sorted set, "
          "and M being the number of elements popped.",
          {"@write", "@sortedset", "@fast"}));
  table.Add(Row("bzpopmin", -3,
                kCmdWrite | kCmdNoScript | kCmdBlocking | kCmdFast, 1, -2, 1,
                BZPopCommand<false>,
                "Remove and return the member with the lowest score from one "
                "or more sorted sets, or block until one is available",
                "5.0.0",
                "O(log(N)) with N being the number of elements in the sorted "
                "set.",
                {"@write", "@sortedset", "@fast", "@blocking"}));
  table.Add(Row("bzpopmax", -3,
                kCmdWrite | kCmdNoScript | kCmdBlocking | kCmdFast, 1, -2, 1,
                BZPopCommand<true>,
                "Remove and return the member with the highest score from one "
                "or more sorted sets, or block until one is available",
                "5.0.0",
                "O(log(N)) with N being the number of elements in the sorted "
                "set.",
                {"@write", "@sortedset", "@fast", "@blocking"}));
  // Movable keys (numkeys), as the list family's LMPOP.
  CommandSpec zmpop = Row(
      "zmpop", -4, kCmdWrite, 0, 0, 0, ZMPopCommand,
      "Remove and return members with scores in a sorted set", "7.0.0",
      "O(K) + O(N*log(M)) where K is the number of provided keys, N being the "
      "number of elements in the sorted set, and M being the number of "
      "elements popped.",
      {"@write", "@sortedset", "@slow"});
  zmpop.find_keys = [](ArgList a, std::vector<int>* k) {
    NumKeysPositions(a, 0, 1, k);
  };
  table.Add(std::move(zmpop));
  CommandSpec bzmpop = Row(
      "bzmpop", -5, kCmdWrite | kCmdBlocking, 0, 0, 0, BZMPopCommand,
      "Remove and return members with scores in a sorted set or block until "
      "one is available",
      "7.0.0",
      "O(K) + O(N*log(M)) where K is the number of provided keys, N being the "
      "number of elements in the sorted set, and M being the number of "
      "elements popped.",
      {"@write", "@sortedset", "@slow", "@blocking"});
  bzmpop.find_keys = [](ArgList a, std::vector<int>* k) {
    NumKeysPositions(a, 0, 2, k);
  };
  table.Add(std::move(bzmpop));
  table.Add(Row("zrandmember", -2, kCmdReadOnly, 1, 1, 1, ZRandMemberCommand,
                "Get one or multiple random elements from a sorted set",
                "6.2.0", "O(N) where N is the number of elements returned",
                {"@read", "@sortedset", "@slow"}));
  table.Add(Row(
      "zunionstore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1,
      ZSetOpStoreCommand<ZSetOp::kUnion>,
      "Add multiple sorted sets and store the resulting sorted set in a new "
      "key",
      "2.0.0",
      "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted "
      "sets, and M being the number of elements in the resulting sorted set.",
      {"@write", "@sortedset", "@slow"},
      StoreOpKeys));
  table.Add(Row("zinterstore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1,
                ZSetOpStoreCommand<ZSetOp::kInter>,
                "Intersect multiple sorted sets and store the resulting sorted "
                "set in a new key",
                "2.0.0",
                "O(N*K)+O(M*log(M)) worst case with N being the smallest input "
                "sorted set, K being the number of input sorted sets and M "
                "being the number of elements in the resulting sorted set.",
                {"@write", "@sortedset", "@slow"},
      StoreOpKeys));
  table.Add(Row("zdiffstore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1,
                ZSetOpStoreCommand<ZSetOp::kDiff>,
                "Subtract multiple sorted sets and store the resulting sorted "
                "set in a new key",
                "6.2.0",
                "O(L + (N-K)log(N)) worst case where L is the total number of "
                "elements in all the sets, N is the size of the first set, and "
                "K is the size of the result set.",
                {"@write", "@sortedset", "@slow"},
      StoreOpKeys));
  table.Add(Row(
      "zunion", -3, kCmdReadOnly, 0, 0, 0, ZSetOpCommand<ZSetOp::kUnion>,
      "Add multiple sorted sets", "6.2.0",
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted "
      "sets, and M being the number of elements in the resulting sorted set.",
      {"@read", "@sortedset", "@slow"},
      OpKeys));
  table.Add(Row("zinter", -3, kCmdReadOnly, 0, 0, 0,
                ZSetOpCommand<ZSetOp::kInter>, "Intersect multiple sorted sets",
                "6.2.0",
                "O(N*K)+O(M*log(M)) worst case with N being the smallest input "
                "sorted set, K being the number of input sorted sets and M "
                "being the number of elements in the resulting sorted set.",
                {"@read", "@sortedset", "@slow"},
      OpKeys));
  table.Add(Row("zdiff", -3, kCmdReadOnly, 0, 0, 0,
                ZSetOpCommand<ZSetOp::kDiff>, "Subtract multiple sorted sets",
                "6.2.0",
                "O(L + (N-K)log(N)) worst case where L is the total number of "
                "elements in all the sets, N is the size of the first set, and "
                "K is the size of the result set.",
                {"@read", "@sortedset", "@slow"},
      OpKeys));
  table.Add(
      Row("zscan", -3, kCmdReadOnly, 1, 1, 1, ZScanCommand,
          "Incrementally iterate sorted sets elements and associated scores",
          "2.8.0",
          "O(1) for every call. O(N) for a complete iteration, including "
          "enough command calls for the cursor to return back to 0. N is the "
          "number of elements inside the collection..",
          {"@read", "@sortedset", "@slow"}));
}

}  // namespace twinkv
