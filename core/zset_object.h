// The sorted-set representation: a hash map member -> score for O(1)
// ZSCORE and membership, and a SkipList ordered by (score, member) for
// ranks and ranges. Both always hold the same elements.
//
// Redis's small listpack encoding is not implemented: every sorted set is
// the map plus the skip list, so OBJECT ENCODING would say "skiplist".
//
// Single-threaded.

#ifndef TWINKV_CORE_ZSET_OBJECT_H_
#define TWINKV_CORE_ZSET_OBJECT_H_

#include <cmath>
#include <memory>
#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/db.h"
#include "core/set_object.h"
#include "core/skiplist.h"
#include "transport/runtime.h"

namespace twinkv {

class ZSetObject : public ValueObject {
 public:
  ZSetObject() : ValueObject(ValueType::kZSet) {}

  size_t size() const { return zsl_.size(); }
  const SkipList& list() const { return zsl_; }

  // The score of `member`, or nullptr.
  const double* Score(absl::string_view member) const {
    return scores_.Find(member);
  }
  // Inserts `member` with `score` or changes its score. Requires score not
  // NaN. Returns true if the member was new.
  bool Set(absl::string_view member, double score, Random& random) {
    // -0 is stored as 0, as Redis's listpack encoding (which holds every
    // small sorted set) does: ZSCORE then says "0".
    if (score == 0) score = 0;
    bool inserted;
    auto [key, s] = scores_.FindOrInsertEntry(member, &inserted);
    if (inserted) {
      *s = score;
      zsl_.Insert(score, key, random);  // the node views the dict's key
    } else if (*s != score) {
      zsl_.UpdateScore(*s, member, score, random);
      *s = score;
    }
    return inserted;
  }
  // ZADD's flags (Redis's ZADD_IN_*).
  enum AddFlag : uint32_t {
    kAddNx = 1u << 0,    // only add new members
    kAddXx = 1u << 1,    // only update existing members
    kAddGt = 1u << 2,    // update only to a greater score
    kAddLt = 1u << 3,    // update only to a lesser score
    kAddIncr = 1u << 4,  // `score` is an increment
  };
  enum class AddResult {
    kAdded,      // a new member
    kUpdated,    // its score changed
    kUnchanged,  // processed, same score
    kSkipped,    // refused by NX, XX, GT or LT
    kNan,        // the increment made NaN; nothing changed
  };
  // Redis's zsetAdd, with one hash lookup (ZADD's hot path): adds or
  // updates `member` as `flags` allow. Requires score not NaN and not both
  // NX and XX. *new_score is the member's score afterwards (with INCR, the
  // sum; -0 as computed, though it is stored as 0), set unless kSkipped or
  // kNan.
  AddResult Add(absl::string_view member, double score, uint32_t flags,
                Random& random, double* new_score) {
    double* cur;
    if (flags & kAddXx) {
      cur = scores_.Find(member);
      if (cur == nullptr) return AddResult::kSkipped;
    } else {
      bool inserted;
      auto [key, found] = scores_.FindOrInsertEntry(member, &inserted);
      cur = found;
      if (inserted) {
        *new_score = score;
        if (score == 0) score = 0;  // see Set
        *cur = score;
        zsl_.Insert(score, key, random);  // the node views the dict's key
        return AddResult::kAdded;
      }
    }
    if (flags & kAddNx) return AddResult::kSkipped;
    const double old = *cur;
    if (flags & kAddIncr) {
      score += old;
      if (std::isnan(score)) return AddResult::kNan;
    }
    if (((flags & kAddLt) && score >= old) ||
        ((flags & kAddGt) && score <= old)) {
      return AddResult::kSkipped;
    }
    *new_score = score;
    if (score == old) return AddResult::kUnchanged;
    if (score == 0) score = 0;
    zsl_.UpdateScore(old, member, score, random);
    *cur = score;
    return AddResult::kUpdated;
  }
  // True if `member` was there.
  bool Remove(absl::string_view member) {
    const double* s = scores_.Find(member);
    if (s == nullptr) return false;
    zsl_.Delete(*s, member);
    scores_.Erase(member);
    return true;
  }

  size_t RemoveRangeByScore(const ScoreRange& r) {
    return zsl_.DeleteRangeByScore(
        r, [&](absl::string_view m) { scores_.Erase(m); });
  }
  size_t RemoveRangeByLex(const LexRange& r) {
    return zsl_.DeleteRangeByLex(
        r, [&](absl::string_view m) { scores_.Erase(m); });
  }
  // 0-based inclusive; requires start <= end < size().
  size_t RemoveRangeByRank(size_t start, size_t end) {
    return zsl_.DeleteRangeByRank(
        start, end, [&](absl::string_view m) { scores_.Erase(m); });
  }

  // A deep copy (COPY, MULTI rollback snapshots). The copy's skip list
  // draws its node heights from a generator of its own, seeded by the
  // size: heights only need to be random-looking, and a copy must not
  // touch the runtime's random stream from here (no Random is at hand).
  std::unique_ptr<ValueObject> Clone() const override {
    class SplitMix final : public twinkv::Random {
     public:
      explicit SplitMix(uint64_t seed) : state_(seed) {}
      uint64_t Next64() override {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
      }

     private:
      uint64_t state_;
    };
    SplitMix random(zsl_.size());
    auto copy = std::make_unique<ZSetObject>();
    for (const SkipList::Node* n = zsl_.First(); n != nullptr; n = n->next()) {
      copy->Set(n->member(), n->score(), random);
    }
    return copy;
  }

  uint64_t Scan(uint64_t cursor,
                absl::FunctionRef<void(absl::string_view, double)> fn) {
    return scores_.Scan(cursor,
                        [&](absl::string_view k, double& s) { fn(k, s); });
  }
  // A random member and its score; requires size() > 0.
  std::pair<absl::string_view, double> Random(twinkv::Random& random) {
    auto e = scores_.RandomEntry(random);
    return {e.first, *e.second};
  }

 private:
  MemberMap<double> scores_;
  SkipList zsl_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_ZSET_OBJECT_H_
