// SkipList: the ordered half of a sorted set, after Redis's zskiplist.
//
// Elements are (score, member) pairs ordered by score, ties broken by the
// member's bytes (memcmp order, shorter first on a common prefix). Every
// forward link carries a span (how many elements it skips), so the rank of
// an element and the element at a rank are found in O(log n); every node has
// a backward pointer, so reverse iteration is O(1) a step.
//
// The list does not know which members it holds: the sorted set pairs it
// with a hash map member -> score and calls Delete/UpdateScore with the score
// it found there. Inserting a member twice is a caller bug.
//
// Levels are drawn from the Random the caller passes (the runtime's), with
// Redis's p = 1/4 and at most kMaxLevel levels, so a simulation run stays
// reproducible from its seed.
//
// Node pointers stay valid until their element is deleted (UpdateScore may
// move an element to a new node: use the node it returns).
//
// Single-threaded.

#ifndef TWINKV_CORE_SKIPLIST_H_
#define TWINKV_CORE_SKIPLIST_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "transport/runtime.h"

namespace twinkv {

// A score interval; bounds may be +-inf. Empty when min > max, or min == max
// with an exclusive bound.
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool AboveMin(double score) const {
    return min_exclusive ? score > min : score >= min;
  }
  bool BelowMax(double score) const {
    return max_exclusive ? score < max : score <= max;
  }
  bool Contains(double score) const {
    return AboveMin(score) && BelowMax(score);
  }
  bool Empty() const {
    return min > max || (min == max && (min_exclusive || max_exclusive));
  }
};

// A member interval in byte order; either bound may be "-" (below every
// member) or "+" (above every member).
struct LexRange {
  enum class Bound : uint8_t { kInclusive, kExclusive, kMinusInf, kPlusInf };
  std::string min;
  std::string max;
  Bound min_bound = Bound::kMinusInf;
  Bound max_bound = Bound::kPlusInf;

  bool AboveMin(absl::string_view member) const;
  bool BelowMax(absl::string_view member) const;
  bool Contains(absl::string_view member) const {
    return AboveMin(member) && BelowMax(member);
  }
  bool Empty() const;
};

class SkipList {
 public:
  static constexpr int kMaxLevel = 32;

  class Node {
   public:
    double score() const { return score_; }
    absl::string_view member() const {
      return absl::string_view(member_data_, member_size_);
    }
    // The next element in order (nullptr after the last).
    const Node* next() const { return level(0).forward; }
    // The previous element (nullptr before the first).
    const Node* prev() const { return backward_; }

   private:
    friend class SkipList;
    struct Level {
      Node* forward;
      size_t span;
    };
    Node(int height, double score, absl::string_view member)
        : score_(score),
          backward_(nullptr),
          member_data_(member.data()),
          member_size_(static_cast<uint32_t>(member.size())),
          height_(height) {}
    Level& level(int i) { return reinterpret_cast<Level*>(this + 1)[i]; }
    const Level& level(int i) const {
      return reinterpret_cast<const Level*>(this + 1)[i];
    }

    double score_;
    Node* backward_;
    // The member's bytes belong to the caller (the sorted set's member
    // dict): a node only views them.
    const char* member_data_;
    uint32_t member_size_;
    int height_;
  };

  SkipList();
  ~SkipList();
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Adds (score, member). Requires: member not already in the list, score
  // not NaN, and `member`'s bytes to stay valid and unchanged until the
  // element is removed (the node views them; ZSetObject passes its member
  // dict's own key).
  const Node* Insert(double score, absl::string_view member, Random& random);
  // Removes (score, member); false if it is not there.
  bool Delete(double score, absl::string_view member);
  // Changes the score of (cur_score, member), which must be in the list, to
  // new_score; returns the element's node (possibly a new one).
  const Node* UpdateScore(double cur_score, absl::string_view member,
                          double new_score, Random& random);
  void Clear();

  // 0-based rank of (score, member), or -1 if it is not in the list.
  int64_t Rank(double score, absl::string_view member) const;
  // The element at 0-based `rank`, or nullptr if rank >= size().
  const Node* ByRank(size_t rank) const;
  const Node* First() const { return header_->level(0).forward; }
  const Node* Last() const { return tail_; }

  // First/last element within the range, or nullptr if none.
  const Node* FirstInRange(const ScoreRange& range) const;
  const Node* LastInRange(const ScoreRange& range) const;
  const Node* FirstInLexRange(const LexRange& range) const;
  const Node* LastInLexRange(const LexRange& range) const;

  // Number of elements ordered before the first element that is not below
  // `range`'s min, i.e. the rank where the range starts (ZCOUNT helpers).
  size_t CountBelow(const ScoreRange& range) const;
  size_t CountAbove(const ScoreRange& range) const;
  size_t CountBelowLex(const LexRange& range) const;
  size_t CountAboveLex(const LexRange& range) const;

  // Delete every element in the range, calling on_delete(member) for each
  // before its node goes (so the caller can drop it from its map). Return
  // how many were deleted.
  using DeleteFn = absl::FunctionRef<void(absl::string_view member)>;
  size_t DeleteRangeByScore(const ScoreRange& range, DeleteFn on_delete);
  size_t DeleteRangeByLex(const LexRange& range, DeleteFn on_delete);
  // 0-based inclusive ranks; requires start <= end < size().
  size_t DeleteRangeByRank(size_t start, size_t end, DeleteFn on_delete);

  // Bytes the nodes take (MEMORY USAGE estimates).
  size_t AllocatedBytes() const;

 private:
  static Node* NewNode(int height, double score, absl::string_view member);
  static void FreeNode(Node* node);
  static int RandomLevel(Random& random);
  // True if node's element orders before (score, member): by score, then
  // by bytes (memcmp, shorter first). Inline: the searches call it at
  // every step.
  static bool Less(const Node* node, double score, absl::string_view member) {
    return node->score_ < score ||
           (node->score_ == score &&
            node->member().compare(member) < 0);
  }
  // Bytes one node accounts for in bytes_.
  static size_t NodeBytes(const Node* x) {
    return sizeof(Node) + x->height_ * sizeof(Node::Level);
  }
  // Links the unlinked node `x` (any height <= kMaxLevel) at the place of
  // its (score, member); counts it in size_ and bytes_.
  void Link(Node* x);
  // Unlinks `x`, given the update vector of its place; uncounts it.
  void DeleteNode(Node* x, Node** update);
  // The last node of the prefix of nodes that satisfy `pass` (which must
  // hold for a prefix of the list); header_ if none does.
  template <typename Pred>
  const Node* LastWhile(Pred pass) const;
  // How many nodes from the start satisfy `pass` (which must hold for a
  // prefix of the list).
  template <typename Pred>
  size_t CountWhile(Pred pass) const;
  // Deletes the run of nodes that satisfy `in_range`, starting after the
  // prefix of nodes that satisfy `before`.
  template <typename Before, typename InRange>
  size_t DeleteRange(Before before, InRange in_range, DeleteFn on_delete);
  // Delete every node from `x` on while keep_going(x), given the update
  // vector for x.
  template <typename Pred>
  size_t DeleteWhile(Node* x, Node** update, Pred keep_going,
                     DeleteFn on_delete);

  Node* header_;
  Node* tail_ = nullptr;
  size_t size_ = 0;
  int level_ = 1;
  size_t bytes_ = 0;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_SKIPLIST_H_
