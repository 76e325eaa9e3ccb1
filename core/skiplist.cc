#include "core/skiplist.h"

#include <cassert>
#include <cstring>
#include <new>

namespace twinkv {
namespace {

// memcmp order, shorter first on a common prefix (Redis's sdscmp).
int CompareBytes(absl::string_view a, absl::string_view b) {
  return a.compare(b);
}

}  // namespace

bool LexRange::AboveMin(absl::string_view member) const {
  switch (min_bound) {
    case Bound::kMinusInf:
      return true;
    case Bound::kPlusInf:
      return false;
    case Bound::kInclusive:
      return CompareBytes(member, min) >= 0;
    case Bound::kExclusive:
      return CompareBytes(member, min) > 0;
  }
  return false;
}

bool LexRange::BelowMax(absl::string_view member) const {
  switch (max_bound) {
    case Bound::kMinusInf:
      return false;
    case Bound::kPlusInf:
      return true;
    case Bound::kInclusive:
      return CompareBytes(member, max) <= 0;
    case Bound::kExclusive:
      return CompareBytes(member, max) < 0;
  }
  return false;
}

bool LexRange::Empty() const {
  // Redis's zslIsInLexRange: "-" is below and "+" above every string, and
  // an equal pair is empty unless both bounds are inclusive.
  auto rank = [](Bound b) {
    return b == Bound::kMinusInf ? 0 : b == Bound::kPlusInf ? 2 : 1;
  };
  int rmin = rank(min_bound), rmax = rank(max_bound);
  int cmp = rmin != rmax ? (rmin < rmax ? -1 : 1)
                         : (rmin == 1 ? CompareBytes(min, max) : 0);
  return cmp > 0 || (cmp == 0 && (min_bound != Bound::kInclusive ||
                                  max_bound != Bound::kInclusive));
}

SkipList::SkipList() : header_(NewNode(kMaxLevel, 0, "")) {}

SkipList::~SkipList() {
  Clear();
  FreeNode(header_);
}

SkipList::Node* SkipList::NewNode(int height, double score,
                                  absl::string_view member) {
  void* mem = ::operator new(sizeof(Node) + height * sizeof(Node::Level));
  Node* n = new (mem) Node(height, score, member);
  for (int i = 0; i < height; ++i) n->level(i) = {nullptr, 0};
  return n;
}

void SkipList::FreeNode(Node* node) {
  node->~Node();
  ::operator delete(node);
}

int SkipList::RandomLevel(Random& random) {
  // Each further level with probability 1/4: two random bits at a time.
  uint64_t bits = random.Next64();
  int level = 1;
  while (level < kMaxLevel && (bits & 3) == 0) {
    ++level;
    bits >>= 2;
  }
  return level;
}

void SkipList::Clear() {
  Node* x = header_->level(0).forward;
  while (x != nullptr) {
    Node* next = x->level(0).forward;
    FreeNode(x);
    x = next;
  }
  for (int i = 0; i < kMaxLevel; ++i) header_->level(i) = {nullptr, 0};
  tail_ = nullptr;
  size_ = 0;
  level_ = 1;
  bytes_ = 0;
}

const SkipList::Node* SkipList::Insert(double score, absl::string_view member,
                                       Random& random) {
  Node* x = NewNode(RandomLevel(random), score, member);
  Link(x);
  return x;
}

void SkipList::Link(Node* x) {
  const double score = x->score_;
  const absl::string_view member = x->member();
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  Node* p = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (p->level(i).forward != nullptr &&
           Less(p->level(i).forward, score, member)) {
      rank[i] += p->level(i).span;
      p = p->level(i).forward;
    }
    update[i] = p;
  }
  const int height = x->height_;
  if (height > level_) {
    for (int i = level_; i < height; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->level(i).span = size_;
    }
    level_ = height;
  }
  bytes_ += NodeBytes(x);
  for (int i = 0; i < height; ++i) {
    x->level(i).forward = update[i]->level(i).forward;
    update[i]->level(i).forward = x;
    // rank[0] - rank[i] elements lie between update[i] and x's position.
    x->level(i).span = update[i]->level(i).span - (rank[0] - rank[i]);
    update[i]->level(i).span = (rank[0] - rank[i]) + 1;
  }
  for (int i = height; i < level_; ++i) ++update[i]->level(i).span;
  x->backward_ = update[0] == header_ ? nullptr : update[0];
  if (x->level(0).forward != nullptr) {
    x->level(0).forward->backward_ = x;
  } else {
    tail_ = x;
  }
  ++size_;
}

void SkipList::DeleteNode(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (update[i]->level(i).forward == x) {
      update[i]->level(i).span += x->level(i).span - 1;
      update[i]->level(i).forward = x->level(i).forward;
    } else {
      --update[i]->level(i).span;
    }
  }
  if (x->level(0).forward != nullptr) {
    x->level(0).forward->backward_ = x->backward_;
  } else {
    tail_ = x->backward_;
  }
  while (level_ > 1 && header_->level(level_ - 1).forward == nullptr) {
    --level_;
  }
  --size_;
  bytes_ -= NodeBytes(x);
}

bool SkipList::Delete(double score, absl::string_view member) {
  Node* update[kMaxLevel];
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr &&
           Less(x->level(i).forward, score, member)) {
      x = x->level(i).forward;
    }
    update[i] = x;
  }
  x = x->level(0).forward;
  if (x == nullptr || x->score_ != score || x->member() != member) return false;
  DeleteNode(x, update);
  FreeNode(x);
  return true;
}

const SkipList::Node* SkipList::UpdateScore(double cur_score,
                                            absl::string_view member,
                                            double new_score, Random& random) {
  Node* update[kMaxLevel];
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr &&
           Less(x->level(i).forward, cur_score, member)) {
      x = x->level(i).forward;
    }
    update[i] = x;
  }
  x = x->level(0).forward;
  assert(x != nullptr && x->score_ == cur_score && x->member() == member);
  // If the node stays between its neighbours, change it in place (the
  // common case for small increments), as Redis does.
  const Node* prev = x->backward_;
  const Node* next = x->level(0).forward;
  if ((prev == nullptr || Less(prev, new_score, x->member())) &&
      (next == nullptr || !Less(next, new_score, x->member()))) {
    x->score_ = new_score;
    return x;
  }
  // Otherwise move the node itself (Redis allocates a new one): its height
  // was drawn independently of its score, so keeping it keeps the level
  // distribution, and the member is not copied.
  (void)random;
  DeleteNode(x, update);
  x->score_ = new_score;
  Link(x);
  return x;
}

int64_t SkipList::Rank(double score, absl::string_view member) const {
  const Node* x = header_;
  size_t rank = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr &&
           (Less(x->level(i).forward, score, member) ||
            (x->level(i).forward->score_ == score &&
             x->level(i).forward->member() == member))) {
      rank += x->level(i).span;
      x = x->level(i).forward;
    }
    if (x != header_ && x->score_ == score && x->member() == member) {
      return static_cast<int64_t>(rank) - 1;
    }
  }
  return -1;
}

const SkipList::Node* SkipList::ByRank(size_t rank) const {
  if (rank >= size_) return nullptr;
  const size_t target = rank + 1;  // spans count from the header
  const Node* x = header_;
  size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr &&
           traversed + x->level(i).span <= target) {
      traversed += x->level(i).span;
      x = x->level(i).forward;
    }
    if (traversed == target) return x;
  }
  return nullptr;
}

template <typename Pred>
const SkipList::Node* SkipList::LastWhile(Pred pass) const {
  // `pass` holds for a prefix of the list: descend to its last node.
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr && pass(x->level(i).forward)) {
      x = x->level(i).forward;
    }
  }
  return x;
}

const SkipList::Node* SkipList::FirstInRange(const ScoreRange& range) const {
  if (range.Empty() || tail_ == nullptr || !range.AboveMin(tail_->score_) ||
      !range.BelowMax(First()->score_)) {
    return nullptr;
  }
  const Node* x =
      LastWhile([&](const Node* n) { return !range.AboveMin(n->score_); })
          ->level(0)
          .forward;
  return x != nullptr && range.BelowMax(x->score_) ? x : nullptr;
}

const SkipList::Node* SkipList::LastInRange(const ScoreRange& range) const {
  if (range.Empty() || tail_ == nullptr || !range.AboveMin(tail_->score_) ||
      !range.BelowMax(First()->score_)) {
    return nullptr;
  }
  const Node* x =
      LastWhile([&](const Node* n) { return range.BelowMax(n->score_); });
  return x != header_ && range.AboveMin(x->score_) ? x : nullptr;
}

const SkipList::Node* SkipList::FirstInLexRange(const LexRange& range) const {
  if (range.Empty() || tail_ == nullptr) return nullptr;
  const Node* x =
      LastWhile([&](const Node* n) { return !range.AboveMin(n->member()); })
          ->level(0)
          .forward;
  return x != nullptr && range.BelowMax(x->member()) ? x : nullptr;
}

const SkipList::Node* SkipList::LastInLexRange(const LexRange& range) const {
  if (range.Empty() || tail_ == nullptr) return nullptr;
  const Node* x =
      LastWhile([&](const Node* n) { return range.BelowMax(n->member()); });
  return x != header_ && range.AboveMin(x->member()) ? x : nullptr;
}

template <typename Pred>
size_t SkipList::CountWhile(Pred pass) const {
  // The nodes for which `pass` holds form a prefix of the list (the
  // predicates are monotone in its order), so a descent counts them in
  // O(log n) by their spans.
  const Node* x = header_;
  size_t n = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr && pass(x->level(i).forward)) {
      n += x->level(i).span;
      x = x->level(i).forward;
    }
  }
  return n;
}

size_t SkipList::CountBelow(const ScoreRange& range) const {
  return CountWhile([&](const Node* n) { return !range.AboveMin(n->score_); });
}

size_t SkipList::CountAbove(const ScoreRange& range) const {
  return size_ -
         CountWhile([&](const Node* n) { return range.BelowMax(n->score_); });
}

size_t SkipList::CountBelowLex(const LexRange& range) const {
  return CountWhile([&](const Node* n) { return !range.AboveMin(n->member()); });
}

size_t SkipList::CountAboveLex(const LexRange& range) const {
  return size_ -
         CountWhile([&](const Node* n) { return range.BelowMax(n->member()); });
}

template <typename Pred>
size_t SkipList::DeleteWhile(Node* x, Node** update, Pred keep_going,
                             DeleteFn on_delete) {
  size_t removed = 0;
  while (x != nullptr && keep_going(x)) {
    Node* next = x->level(0).forward;
    on_delete(x->member());
    DeleteNode(x, update);
    FreeNode(x);
    ++removed;
    x = next;
  }
  return removed;
}

template <typename Before, typename InRange>
size_t SkipList::DeleteRange(Before before, InRange in_range,
                             DeleteFn on_delete) {
  Node* update[kMaxLevel];
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr && before(x->level(i).forward)) {
      x = x->level(i).forward;
    }
    update[i] = x;
  }
  return DeleteWhile(x->level(0).forward, update, in_range, on_delete);
}

size_t SkipList::DeleteRangeByScore(const ScoreRange& range,
                                    DeleteFn on_delete) {
  if (range.Empty()) return 0;
  return DeleteRange(
      [&](const Node* n) { return !range.AboveMin(n->score_); },
      [&](const Node* n) { return range.BelowMax(n->score_); }, on_delete);
}

size_t SkipList::DeleteRangeByLex(const LexRange& range, DeleteFn on_delete) {
  if (range.Empty()) return 0;
  return DeleteRange(
      [&](const Node* n) { return !range.AboveMin(n->member()); },
      [&](const Node* n) { return range.BelowMax(n->member()); }, on_delete);
}

size_t SkipList::DeleteRangeByRank(size_t start, size_t end,
                                   DeleteFn on_delete) {
  assert(start <= end && end < size_);
  Node* update[kMaxLevel];
  Node* x = header_;
  size_t traversed = 0;
  // Spans count from the header: the element at 0-based rank r is r + 1
  // steps away.
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level(i).forward != nullptr &&
           traversed + x->level(i).span <= start) {
      traversed += x->level(i).span;
      x = x->level(i).forward;
    }
    update[i] = x;
  }
  size_t rank = start;
  return DeleteWhile(
      x->level(0).forward, update, [&](const Node*) { return rank++ <= end; },
      on_delete);
}

size_t SkipList::AllocatedBytes() const {
  return bytes_ + sizeof(Node) + kMaxLevel * sizeof(Node::Level);
}

}  // namespace twinkv
