// The list type (ListObject, see core/list_object.h) and the list commands:
// LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM
// LTRIM LPOS RPOPLPUSH LMOVE LMPOP and the blocking BLPOP BRPOP BRPOPLPUSH
// BLMOVE BLMPOP, with Redis 7.0's argument checks, error strings and error
// precedence (t_list.c is the reference). A list that becomes empty is
// deleted, as in Redis.
//
// Blocking: a blocking command that finds no data hands itself to
// Engine::BlockClient (see core/engine.h). ListKeyReceivedElements() below
// is called whenever a command creates a list key (the only moment a
// blocked client can become servable, since clients block only on missing
// keys); the engine then re-runs the waiting commands once the creating
// command is done.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/family_util.h"
#include "core/list_object.h"
#include "core/numbers.h"

namespace twinkv {

// --- ListObject. ---

size_t ListObject::AllocatedBytes() const {
  size_t total = sizeof(*this) + nodes_.size() * sizeof(Listpack);
  for (const Listpack& n : nodes_) total += n.capacity();
  return total;
}

std::unique_ptr<ValueObject> ListObject::Clone() const {
  auto copy = std::make_unique<ListObject>(max_node_bytes_);
  copy->nodes_ = nodes_;
  copy->size_ = size_;
  return copy;
}

void ListObject::PushFront(absl::string_view s) {
  if (nodes_.empty() ||
      (!nodes_.front().empty() &&
       nodes_.front().bytes() + Listpack::EntrySize(s.size()) >
           max_node_bytes_)) {
    // The full node will not grow again at this end: give back its slack.
    if (!nodes_.empty()) nodes_.front().ShrinkToFit();
    nodes_.emplace_front();
  }
  nodes_.front().PushFront(s);
  ++size_;
}

void ListObject::PushBack(absl::string_view s) {
  if (nodes_.empty() || (!nodes_.back().empty() &&
                         nodes_.back().bytes() + Listpack::EntrySize(s.size()) >
                             max_node_bytes_)) {
    if (!nodes_.empty()) nodes_.back().ShrinkToFit();
    nodes_.emplace_back();
  }
  nodes_.back().PushBack(s);
  ++size_;
}

std::string ListObject::PopFront() {
  Listpack& n = nodes_.front();
  std::string out(n.Get(0));
  n.Erase(0);
  --size_;
  if (n.empty()) nodes_.pop_front();
  return out;
}

std::string ListObject::PopBack() {
  Listpack& n = nodes_.back();
  size_t pos = n.Prev(n.end());
  std::string out(n.Get(pos));
  n.Erase(pos);
  --size_;
  if (n.empty()) nodes_.pop_back();
  return out;
}

void ListObject::Locate(size_t index, size_t* node, size_t* pos) const {
  // Walk nodes from the nearer end, then entries from the nearer end.
  size_t i;
  size_t in_node;
  if (index < size_ / 2) {
    i = 0;
    while (index >= nodes_[i].size()) index -= nodes_[i++].size();
    in_node = index;
  } else {
    size_t from_tail = size_ - 1 - index;
    i = nodes_.size() - 1;
    while (from_tail >= nodes_[i].size()) from_tail -= nodes_[i--].size();
    in_node = nodes_[i].size() - 1 - from_tail;
  }
  const Listpack& n = nodes_[i];
  size_t p;
  if (in_node < n.size() / 2) {
    p = 0;
    for (size_t k = 0; k < in_node; ++k) p = n.Next(p);
  } else {
    p = n.end();
    for (size_t k = n.size(); k > in_node; --k) p = n.Prev(p);
  }
  *node = i;
  *pos = p;
}

absl::string_view ListObject::At(size_t index) const {
  size_t node, pos;
  Locate(index, &node, &pos);
  return nodes_[node].Get(pos);
}

void ListObject::Set(size_t index, absl::string_view s) {
  size_t node, pos;
  Locate(index, &node, &pos);
  nodes_[node].Replace(pos, s);
  MaybeSplit(node);
}

void ListObject::InsertAt(size_t index, absl::string_view s) {
  if (index == 0) return PushFront(s);
  if (index == size_) return PushBack(s);
  size_t node, pos;
  Locate(index, &node, &pos);
  nodes_[node].Insert(pos, s);
  ++size_;
  MaybeSplit(node);
}

void ListObject::MaybeSplit(size_t i) {
  Listpack& n = nodes_[i];
  if (n.bytes() <= max_node_bytes_ || n.size() < 2) return;
  // Split at the first entry past half the bytes (at least one each side).
  size_t pos = n.Next(0);
  size_t before = 1;
  while (before + 1 < n.size() && pos < n.bytes() / 2) {
    pos = n.Next(pos);
    ++before;
  }
  Listpack tail = n.SplitAt(pos, before);
  nodes_.insert(nodes_.begin() + i + 1, std::move(tail));
  // Both halves may still be over the bound (one huge element); splitting
  // again converges because each split leaves >= 1 entry per side.
  MaybeSplit(i + 1);
  MaybeSplit(i);
}

void ListObject::DropEmptyNode(size_t i) {
  if (nodes_[i].empty()) nodes_.erase(nodes_.begin() + i);
}

void ListObject::Walk(size_t index, bool reverse,
                      absl::FunctionRef<bool(absl::string_view)> fn) const {
  if (index >= size_) return;
  size_t node, pos;
  Locate(index, &node, &pos);
  if (!reverse) {
    for (size_t i = node; i < nodes_.size(); ++i, pos = 0) {
      const Listpack& n = nodes_[i];
      for (; pos < n.end(); pos = n.Next(pos)) {
        if (!fn(n.Get(pos))) return;
      }
    }
  } else {
    for (size_t i = node + 1; i-- > 0;) {
      const Listpack& n = nodes_[i];
      if (i != node) pos = n.Prev(n.end());
      while (true) {
        if (!fn(n.Get(pos))) return;
        if (pos == 0) break;
        pos = n.Prev(pos);
      }
    }
  }
}

size_t ListObject::RemoveEqual(absl::string_view value, size_t limit,
                               bool from_tail) {
  size_t removed = 0;
  const auto remaining = [&] { return limit == 0 || removed < limit; };
  if (!from_tail) {
    for (size_t i = 0; i < nodes_.size() && remaining();) {
      nodes_[i].Filter([&](size_t, absl::string_view e) {
        if (remaining() && e == value) {
          ++removed;
          return false;
        }
        return true;
      });
      if (nodes_[i].empty()) {
        DropEmptyNode(i);
      } else {
        ++i;
      }
    }
  } else {
    for (size_t i = nodes_.size(); i-- > 0 && remaining();) {
      Listpack& n = nodes_[i];
      // Which entries go, counted from the node's tail.
      std::vector<size_t> doomed;
      for (size_t pos = n.end(); pos > 0 && remaining();) {
        pos = n.Prev(pos);
        if (n.Get(pos) == value) {
          doomed.push_back(pos);
          ++removed;
        }
      }
      if (doomed.empty()) continue;
      std::reverse(doomed.begin(), doomed.end());
      size_t k = 0;
      n.Filter([&](size_t pos, absl::string_view) {
        if (k < doomed.size() && doomed[k] == pos) {
          ++k;
          return false;
        }
        return true;
      });
      DropEmptyNode(i);
    }
  }
  size_ -= removed;
  return removed;
}

void ListObject::RemoveFront(size_t n) {
  size_ -= n;
  while (n > 0 && n >= nodes_.front().size()) {
    n -= nodes_.front().size();
    nodes_.pop_front();
  }
  if (n == 0) return;
  Listpack& node = nodes_.front();
  size_t pos = 0;
  for (size_t k = 0; k < n; ++k) pos = node.Next(pos);
  node.EraseRange(0, pos, n);
}

void ListObject::RemoveBack(size_t n) {
  size_ -= n;
  while (n > 0 && n >= nodes_.back().size()) {
    n -= nodes_.back().size();
    nodes_.pop_back();
  }
  if (n == 0) return;
  Listpack& node = nodes_.back();
  size_t pos = node.end();
  for (size_t k = 0; k < n; ++k) pos = node.Prev(pos);
  node.EraseRange(pos, node.end(), n);
}

// --- The commands. ---

namespace {


// The blocking-commands hook (see the file comment): `key` in the client's
// database now holds a list that was just created.
void ListKeyReceivedElements(CommandContext& ctx, absl::string_view key) {
  ctx.engine.SignalKeyReady(ctx.client.db_index, key);
}

// Creates `key` as an empty list (the caller fills it at once).
ListObject* CreateList(CommandContext& ctx, absl::string_view key) {
  Value* v =
      ctx.db().Set(key, Value(std::make_unique<ListObject>()), ctx.now_ms);
  return v->object_as<ListObject>();
}

// Redis's getPositiveLongFromObjectOrReply / getRangeLongFromObjectOrReply:
// one message for "not a number" and "out of range".
bool ParseRange(CommandContext& ctx, absl::string_view arg, int64_t min,
                int64_t max, absl::string_view error, int64_t* out) {
  if (!ParseInt64(arg, out) || *out < min || *out > max) {
    ctx.reply.Error(error);
    return false;
  }
  return true;
}

bool ParseIndex(CommandContext& ctx, absl::string_view arg, int64_t* out) {
  if (!ParseInt64(arg, out)) {
    ctx.reply.Error(kNotIntegerErr);
    return false;
  }
  return true;
}

// LEFT / RIGHT (getListPositionFromObjectOrReply); true for LEFT.
bool ParseSide(CommandContext& ctx, absl::string_view arg, bool* left) {
  if (EqualsIgnoreCase(arg, "left")) {
    *left = true;
  } else if (EqualsIgnoreCase(arg, "right")) {
    *left = false;
  } else {
    ctx.reply.Error(kSyntaxErr);
    return false;
  }
  return true;
}

void Push(ListObject* list, absl::string_view s, bool left) {
  left ? list->PushFront(s) : list->PushBack(s);
}

std::string Pop(ListObject* list, bool left) {
  return left ? list->PopFront() : list->PopBack();
}

// LPUSH RPUSH LPUSHX RPUSHX (pushGenericCommand).
template <bool kLeft, bool kOnlyIfExists>
void PushCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupWrite(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kList)) return;
  ListObject* list = ObjectOf<ListObject>(v);
  bool created = false;
  if (list == nullptr) {
    if (kOnlyIfExists) return ctx.reply.Integer(0);
    list = CreateList(ctx, args[1]);
    created = true;
  }
  for (size_t i = 2; i < args.size(); ++i) Push(list, args[i], kLeft);
  ctx.AddDirty(args.size() - 2);
  ctx.reply.Integer(static_cast<int64_t>(list->size()));
  if (created) ListKeyReceivedElements(ctx, args[1]);
}

// LPOP RPOP key [count] (popGenericCommand).
template <bool kLeft>
void PopCommand(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) {
    return ctx.reply.Error(WrongArgsError(kLeft ? "lpop" : "rpop"));
  }
  const bool has_count = args.size() == 3;
  int64_t count = 1;
  if (has_count &&
      !ParseRange(ctx, args[2], 0, std::numeric_limits<int64_t>::max(),
                  kMustBePositiveErr, &count)) {
    return;
  }
  Value* v = LookupWrite(ctx, args[1]);
  if (v == nullptr) return has_count ? ctx.reply.NullArray() : ctx.reply.Null();
  if (WrongType(ctx, v, ValueType::kList)) return;
  ListObject* list = ObjectOf<ListObject>(v);
  if (!has_count) {
    ctx.reply.Bulk(Pop(list, kLeft));
    ctx.AddDirty();
  } else {
    const size_t n = std::min<uint64_t>(count, list->size());
    ctx.reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) ctx.reply.Bulk(Pop(list, kLeft));
    if (n > 0) ctx.AddDirty(n);  // COUNT 0 changes nothing
  }
  DeleteIfEmpty(ctx, args[1], list);
}

void LLenCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (WrongType(ctx, v, ValueType::kList)) return;
  ctx.reply.Integer(v ? static_cast<int64_t>(ObjectOf<ListObject>(v)->size()) : 0);
}

void LRangeCommand(CommandContext& ctx, ArgList args) {
  int64_t start, end;
  if (!ParseIndex(ctx, args[2], &start) || !ParseIndex(ctx, args[3], &end)) {
    return;
  }
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.ArrayHeader(0);
  if (WrongType(ctx, v, ValueType::kList)) return;
  const ListObject* list = ObjectOf<ListObject>(v);
  const int64_t len = static_cast<int64_t>(list->size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return ctx.reply.ArrayHeader(0);
  if (end >= len) end = len - 1;
  size_t n = static_cast<size_t>(end - start + 1);
  ctx.reply.ArrayHeader(n);
  list->Walk(start, /*reverse=*/false, [&](absl::string_view e) {
    ctx.reply.Bulk(e);
    return --n > 0;
  });
}

void LIndexCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Null();
  if (WrongType(ctx, v, ValueType::kList)) return;
  int64_t index;
  if (!ParseIndex(ctx, args[2], &index)) return;
  const ListObject* list = ObjectOf<ListObject>(v);
  const int64_t len = static_cast<int64_t>(list->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return ctx.reply.Null();
  ctx.reply.Bulk(list->At(index));
}

void LSetCommand(CommandContext& ctx, ArgList args) {
  Value* v = LookupWrite(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Error(kNoSuchKeyErr);
  if (WrongType(ctx, v, ValueType::kList)) return;
  int64_t index;
  if (!ParseIndex(ctx, args[2], &index)) return;
  ListObject* list = ObjectOf<ListObject>(v);
  const int64_t len = static_cast<int64_t>(list->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return ctx.reply.Error(kIndexOutOfRangeErr);
  list->Set(index, args[3]);
  ctx.AddDirty();
  ctx.reply.Ok();
}

void LInsertCommand(CommandContext& ctx, ArgList args) {
  bool after;
  if (EqualsIgnoreCase(args[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(args[2], "before")) {
    after = false;
  } else {
    return ctx.reply.Error(kSyntaxErr);
  }
  Value* v = LookupWrite(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Integer(0);
  if (WrongType(ctx, v, ValueType::kList)) return;
  ListObject* list = ObjectOf<ListObject>(v);
  size_t index = 0;
  bool found = false;
  list->Walk(0, /*reverse=*/false, [&](absl::string_view e) {
    if (e == args[3]) {
      found = true;
      return false;
    }
    ++index;
    return true;
  });
  if (!found) return ctx.reply.Integer(-1);
  list->InsertAt(index + (after ? 1 : 0), args[4]);
  ctx.AddDirty();
  ctx.reply.Integer(static_cast<int64_t>(list->size()));
}

void LRemCommand(CommandContext& ctx, ArgList args) {
  int64_t count;
  if (!ParseIndex(ctx, args[2], &count)) return;
  Value* v = LookupWrite(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Integer(0);
  if (WrongType(ctx, v, ValueType::kList)) return;
  ListObject* list = ObjectOf<ListObject>(v);
  // |INT64_MIN| fits in uint64_t.
  const uint64_t limit = count < 0 ? 0 - static_cast<uint64_t>(count)
                                   : static_cast<uint64_t>(count);
  const size_t removed = list->RemoveEqual(
      args[3], static_cast<size_t>(std::min<uint64_t>(limit, list->size())),
      count < 0);
  if (removed > 0) ctx.AddDirty(removed);
  ctx.reply.Integer(static_cast<int64_t>(removed));
  DeleteIfEmpty(ctx, args[1], list);
}

void LTrimCommand(CommandContext& ctx, ArgList args) {
  int64_t start, end;
  if (!ParseIndex(ctx, args[2], &start) || !ParseIndex(ctx, args[3], &end)) {
    return;
  }
  Value* v = LookupWrite(ctx, args[1]);
  if (v == nullptr) return ctx.reply.Ok();
  if (WrongType(ctx, v, ValueType::kList)) return;
  ListObject* list = ObjectOf<ListObject>(v);
  const int64_t len = static_cast<int64_t>(list->size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  int64_t ltrim, rtrim;
  if (start > end || start >= len) {
    ltrim = len;  // everything goes
    rtrim = 0;
  } else {
    if (end >= len) end = len - 1;
    ltrim = start;
    rtrim = len - end - 1;
  }
  list->RemoveFront(ltrim);
  list->RemoveBack(rtrim);
  // A trim that removes nothing is not logged (Redis counts the removed).
  if (ltrim + rtrim > 0) ctx.AddDirty(ltrim + rtrim);
  ctx.reply.Ok();
  DeleteIfEmpty(ctx, args[1], list);
}

void LPosCommand(CommandContext& ctx, ArgList args) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t rank = 1;
  int64_t count = -1;  // -1: COUNT not given
  int64_t maxlen = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    const bool more = j + 1 < args.size();
    if (EqualsIgnoreCase(args[j], "rank") && more) {
      if (!ParseIndex(ctx, args[++j], &rank)) return;
      if (rank == 0) return ctx.reply.Error(kRankZeroErr);
    } else if (EqualsIgnoreCase(args[j], "count") && more) {
      if (!ParseRange(ctx, args[++j], 0, kMax, kCountNegativeErr, &count)) {
        return;
      }
    } else if (EqualsIgnoreCase(args[j], "maxlen") && more) {
      if (!ParseRange(ctx, args[++j], 0, kMax, kMaxLenNegativeErr, &maxlen)) {
        return;
      }
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  const bool from_tail = rank < 0;
  // Redis negates a negative rank; LLONG_MIN stays negative there, so every
  // match qualifies: the same as -1.
  uint64_t want_rank = rank == std::numeric_limits<int64_t>::min() ? 1
                       : from_tail ? static_cast<uint64_t>(-rank)
                                   : static_cast<uint64_t>(rank);
  Value* v = LookupRead(ctx, args[1]);
  if (v == nullptr) {
    return count != -1 ? ctx.reply.ArrayHeader(0) : ctx.reply.Null();
  }
  if (WrongType(ctx, v, ValueType::kList)) return;
  const ListObject* list = ObjectOf<ListObject>(v);
  const size_t len = list->size();
  std::vector<int64_t> found;
  uint64_t matches = 0;
  uint64_t scanned = 0;
  const absl::string_view wanted = args[2];
  if (len > 0) {
    list->Walk(from_tail ? len - 1 : 0, from_tail, [&](absl::string_view e) {
      if (maxlen != 0 && scanned >= static_cast<uint64_t>(maxlen)) return false;
      const uint64_t index = scanned++;
      if (e != wanted || ++matches < want_rank) return true;
      found.push_back(from_tail ? static_cast<int64_t>(len - 1 - index)
                                : static_cast<int64_t>(index));
      // Without COUNT one match is enough; COUNT 0 means all.
      return count > 0 ? found.size() < static_cast<uint64_t>(count)
                       : count == 0;
    });
  }
  if (count == -1) {
    return found.empty() ? ctx.reply.Null() : ctx.reply.Integer(found[0]);
  }
  ctx.reply.ArrayHeader(found.size());
  for (int64_t i : found) ctx.reply.Integer(i);
}

// lmoveGenericCommand: pops from `src` on one side, pushes onto `dst` on
// the other, replies the element (null if src is missing). Returns whether
// an element moved.
bool Move(CommandContext& ctx, absl::string_view src, absl::string_view dst,
          bool from_left, bool to_left) {
  Value* sv = LookupWrite(ctx, src);
  if (sv == nullptr) {
    ctx.reply.Null();
    return false;
  }
  if (WrongType(ctx, sv, ValueType::kList)) return false;
  if (src == dst) {
    // A rotation within one list: never empty in between.
    ListObject* list = ObjectOf<ListObject>(sv);
    std::string e = Pop(list, from_left);
    Push(list, e, to_left);
    ctx.AddDirty();
    ctx.reply.Bulk(e);
    return true;
  }
  Value* dv = LookupWrite(ctx, dst);
  if (WrongType(ctx, dv, ValueType::kList)) return false;
  // The lookup of dst may have invalidated sv (db.h's contract).
  ListObject* from = ObjectOf<ListObject>(LookupWrite(ctx, src));
  std::string e = Pop(from, from_left);
  DeleteIfEmpty(ctx, src, from);
  dv = LookupWrite(ctx, dst);
  ListObject* to = ObjectOf<ListObject>(dv);
  const bool created = to == nullptr;
  if (created) to = CreateList(ctx, dst);
  Push(to, e, to_left);
  ctx.AddDirty();
  ctx.reply.Bulk(e);
  if (created) ListKeyReceivedElements(ctx, dst);
  return true;
}

void RPopLPushCommand(CommandContext& ctx, ArgList args) {
  Move(ctx, args[1], args[2], /*from_left=*/false, /*to_left=*/true);
}

void LMoveCommand(CommandContext& ctx, ArgList args) {
  bool from_left, to_left;
  if (!ParseSide(ctx, args[3], &from_left) ||
      !ParseSide(ctx, args[4], &to_left)) {
    return;
  }
  Move(ctx, args[1], args[2], from_left, to_left);
}

// [B]LMPOP's tail from args[first]: numkeys key [key ...] LEFT|RIGHT
// [COUNT count] (lmpopGenericCommand). BLMPOP (`blocking`) reads its
// timeout at args[1] only after the rest parsed, as Redis does, and blocks
// when every key is missing.
void MPop(CommandContext& ctx, ArgList args, size_t first, bool blocking) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t numkeys;
  if (!ParseRange(ctx, args[first], 1, kMax, kNumKeysErr, &numkeys)) return;
  if (static_cast<uint64_t>(numkeys) >= args.size() - first - 1) {
    return ctx.reply.Error(kSyntaxErr);
  }
  const size_t keys = first + 1;
  const size_t where = keys + static_cast<size_t>(numkeys);
  bool left;
  if (!ParseSide(ctx, args[where], &left)) return;
  int64_t count = -1;
  for (size_t j = where + 1; j < args.size(); ++j) {
    if (count == -1 && EqualsIgnoreCase(args[j], "count") &&
        j + 1 < args.size()) {
      if (!ParseRange(ctx, args[++j], 1, kMax, kCountPositiveErr, &count)) {
        return;
      }
    } else {
      return ctx.reply.Error(kSyntaxErr);
    }
  }
  if (count == -1) count = 1;
  int64_t timeout_ms = 0;
  if (blocking && !ParseBlockTimeout(ctx, args[1], &timeout_ms)) return;
  for (size_t k = keys; k < where; ++k) {
    Value* v = LookupWrite(ctx, args[k]);
    if (v == nullptr) continue;
    if (WrongType(ctx, v, ValueType::kList)) return;
    ListObject* list = ObjectOf<ListObject>(v);
    const size_t n = std::min<uint64_t>(count, list->size());
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(args[k]);
    ctx.reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) ctx.reply.Bulk(Pop(list, left));
    DeleteIfEmpty(ctx, args[k], list);
    // Logged as the [LR]POP with the count it amounted to, as Redis 7.0
    // does, served at once or after blocking.
    ctx.AddDirty(n);
    const std::string popped = absl::StrCat(n);
    ctx.Propagate({left ? "LPOP" : "RPOP", args[k], popped});
    return;
  }
  if (!blocking) return ctx.reply.NullArray();
  ctx.engine.BlockClient(ctx, args, args.subspan(keys, where - keys),
                         timeout_ms, Engine::TimeoutReply::kNullArray,
                         ValueType::kList);
}

void LMPopCommand(CommandContext& ctx, ArgList args) {
  MPop(ctx, args, 1, /*blocking=*/false);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
void BLMPopCommand(CommandContext& ctx, ArgList args) {
  MPop(ctx, args, 2, /*blocking=*/true);
}

// BLPOP / BRPOP key [key ...] timeout (blockingPopGenericCommand).
template <bool kLeft>
void BlockingPopCommand(CommandContext& ctx, ArgList args) {
  int64_t timeout_ms;
  if (!ParseBlockTimeout(ctx, args.back(), &timeout_ms)) return;
  for (size_t k = 1; k + 1 < args.size(); ++k) {
    Value* v = LookupWrite(ctx, args[k]);
    if (v == nullptr) continue;
    if (WrongType(ctx, v, ValueType::kList)) return;
    ListObject* list = ObjectOf<ListObject>(v);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(args[k]);
    ctx.reply.Bulk(Pop(list, kLeft));
    DeleteIfEmpty(ctx, args[k], list);
    // Replays as the pop it was, whether served at once or after waiting.
    ctx.AddDirty();
    ctx.Propagate({kLeft ? "LPOP" : "RPOP", args[k]});
    return;
  }
  ctx.engine.BlockClient(ctx, args, args.subspan(1, args.size() - 2),
                         timeout_ms, Engine::TimeoutReply::kNullArray,
                         ValueType::kList);
}

// blmoveGenericCommand: the timeout at args.back().
void BlockingMove(CommandContext& ctx, ArgList args, bool from_left,
                  bool to_left) {
  int64_t timeout_ms;
  if (!ParseBlockTimeout(ctx, args.back(), &timeout_ms)) return;
  Value* sv = LookupWrite(ctx, args[1]);
  if (WrongType(ctx, sv, ValueType::kList)) return;
  if (sv != nullptr) {
    // Replays as the non-blocking move, whether served at once or after
    // waiting (the re-run comes through here too).
    if (Move(ctx, args[1], args[2], from_left, to_left)) {
      if (args.size() == 4) {
        ctx.Propagate({"RPOPLPUSH", args[1], args[2]});
      } else {
        ctx.Propagate({"LMOVE", args[1], args[2], args[3], args[4]});
      }
    }
    return;
  }
  ctx.engine.BlockClient(ctx, args, args.subspan(1, 1), timeout_ms,
                         Engine::TimeoutReply::kNull,
                         ValueType::kList);
}

// BRPOPLPUSH source destination timeout.
void BRPopLPushCommand(CommandContext& ctx, ArgList args) {
  BlockingMove(ctx, args, /*from_left=*/false, /*to_left=*/true);
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
void BLMoveCommand(CommandContext& ctx, ArgList args) {
  bool from_left, to_left;
  if (!ParseSide(ctx, args[3], &from_left) ||
      !ParseSide(ctx, args[4], &to_left)) {
    return;
  }
  BlockingMove(ctx, args, from_left, to_left);
}

// --- The rows. ---

CommandSpec Row(const char* name, int arity, uint32_t flags, int first_key,
                int last_key, int key_step, CommandHandler handler,
                const char* summary, const char* since, const char* complexity,
                bool fast) {
  const bool write = flags & kCmdWrite;
  CommandSpec spec = MakeRow(
      name, arity, flags, first_key, last_key, key_step, handler, summary,
      since, "list", complexity,
      {write ? "@write" : "@read", "@list", fast ? "@fast" : "@slow"});
  if (flags & kCmdBlocking) spec.acl_categories.push_back("@blocking");
  return spec;
}

}  // namespace

void RegisterListFamily(CommandTable& table) {
  constexpr uint32_t kRo = kCmdReadOnly;
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kWd = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kFast = kCmdFast;
  constexpr const char* kPushComplexity =
      "O(1) for each element added, so O(N) to add N elements when the "
      "command is called with multiple arguments.";
  constexpr const char* kPopComplexity =
      "O(N) where N is the number of elements returned";

  table.Add(Row("lpush", -3, kWd | kFast, 1, 1, 1, PushCommand<true, false>,
                "Prepend one or multiple elements to a list", "1.0.0",
                kPushComplexity, true));
  table.Add(Row("rpush", -3, kWd | kFast, 1, 1, 1, PushCommand<false, false>,
                "Append one or multiple elements to a list", "1.0.0",
                kPushComplexity, true));
  table.Add(Row("lpushx", -3, kWd | kFast, 1, 1, 1, PushCommand<true, true>,
                "Prepend an element to a list, only if the list exists",
                "2.2.0", kPushComplexity, true));
  table.Add(Row("rpushx", -3, kWd | kFast, 1, 1, 1, PushCommand<false, true>,
                "Append an element to a list, only if the list exists", "2.2.0",
                kPushComplexity, true));
  table.Add(Row("lpop", -2, kW | kFast, 1, 1, 1, PopCommand<true>,
                "Remove and get the first elements in a list", "1.0.0",
                kPopComplexity, true));
  table.Add(Row("rpop", -2, kW | kFast, 1, 1, 1, PopCommand<false>,
                "Remove and get the last elements in a list", "1.0.0",
                kPopComplexity, true));
  table.Add(Row("llen", 2, kRo | kFast, 1, 1, 1, LLenCommand,
                "Get the length of a list", "1.0.0", "O(1)", true));
  table.Add(Row("lrange", 4, kRo, 1, 1, 1, LRangeCommand,
                "Get a range of elements from a list", "1.0.0",
                "O(S+N) where S is the distance of start offset from HEAD for "
                "small lists, from nearest end (HEAD or TAIL) for large "
                "lists; and N is the number of elements in the specified "
                "range.",
                false));
  table.Add(Row("lindex", 3, kRo, 1, 1, 1, LIndexCommand,
                "Get an element from a list by its index", "1.0.0",
                "O(N) where N is the number of elements to traverse to get to "
                "the element at index. This makes asking for the first or the "
                "last element of the list O(1).",
                false));
  table.Add(Row("lset", 4, kWd, 1, 1, 1, LSetCommand,
                "Set the value of an element in a list by its index", "1.0.0",
                "O(N) where N is the length of the list. Setting either the "
                "first or the last element of the list is O(1).",
                false));
  table.Add(Row("linsert", 5, kWd, 1, 1, 1, LInsertCommand,
                "Insert an element before or after another element in a list",
                "2.2.0",
                "O(N) where N is the number of elements to traverse before "
                "seeing the value pivot. This means that inserting somewhere "
                "on the left end on the list (head) can be considered O(1) "
                "and inserting somewhere on the right end (tail) is O(N).",
                false));
  table.Add(Row("lrem", 4, kW, 1, 1, 1, LRemCommand,
                "Remove elements from a list", "1.0.0",
                "O(N+M) where N is the length of the list and M is the number "
                "of elements removed.",
                false));
  table.Add(Row("ltrim", 4, kW, 1, 1, 1, LTrimCommand,
                "Trim a list to the specified range", "1.0.0",
                "O(N) where N is the number of elements to be removed by the "
                "operation.",
                false));
  table.Add(Row("lpos", -3, kRo, 1, 1, 1, LPosCommand,
                "Return the index of matching elements on a list", "6.0.6",
                "O(N) where N is the number of elements in the list, for the "
                "average case. When searching for elements near the head or "
                "the tail of the list, or when the MAXLEN option is provided, "
                "the command may run in constant time.",
                false));
  table.Add(Row("rpoplpush", 3, kWd, 1, 2, 1, RPopLPushCommand,
                "Remove the last element in a list, prepend it to another list "
                "and return it",
                "1.2.0", "O(1)", false));
  table.Add(Row("lmove", 5, kWd, 1, 2, 1, LMoveCommand,
                "Pop an element from a list, push it to another list and "
                "return it",
                "6.2.0", "O(1)", false));
  // Movable keys (numkeys): Redis reports 0 0 0, as here.
  CommandSpec lmpop = Row("lmpop", -4, kW, 0, 0, 0, LMPopCommand,
                          "Pop elements from a list", "7.0.0",
                          "O(N+M) where N is the number of provided keys and "
                          "M is the number of elements returned.",
                          false);
  lmpop.find_keys = [](ArgList a, std::vector<int>* k) {
    NumKeysPositions(a, 0, 1, k);
  };
  table.Add(std::move(lmpop));
  constexpr uint32_t kBlock = kCmdNoScript | kCmdBlocking;
  table.Add(Row("blpop", -3, kW | kBlock, 1, -2, 1, BlockingPopCommand<true>,
                "Remove and get the first element in a list, or block until "
                "one is available",
                "2.0.0", "O(N) where N is the number of provided keys.",
                false));
  table.Add(Row("brpop", -3, kW | kBlock, 1, -2, 1, BlockingPopCommand<false>,
                "Remove and get the last element in a list, or block until "
                "one is available",
                "2.0.0", "O(N) where N is the number of provided keys.",
                false));
  table.Add(Row("brpoplpush", 4, kWd | kBlock, 1, 2, 1, BRPopLPushCommand,
                "Pop an element from a list, push it to another list and "
                "return it; or block until one is available",
                "2.2.0", "O(1)", false));
  table.Add(Row("blmove", 6, kWd | kBlock, 1, 2, 1, BLMoveCommand,
                "Pop an element from a list, push it to another list and "
                "return it; or block until one is available",
                "6.2.0", "O(1)", false));
  CommandSpec blmpop =
      Row("blmpop", -5, kW | kCmdBlocking, 0, 0, 0, BLMPopCommand,
          "Pop elements from a list, or block until one is available",
          "7.0.0",
          "O(N+M) where N is the number of provided keys and M is the number "
          "of elements returned.",
          false);
  blmpop.find_keys = [](ArgList a, std::vector<int>* k) {
    NumKeysPositions(a, 0, 2, k);
  };
  table.Add(std::move(blmpop));
}

}  // namespace twinkv
