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
    double* s = scores_.FindOrInsert(member, &inserted);
    if (inserted) {
      *s = score;
      zsl_.Insert(score, member, random);
    } else if (*s != score) {
      zsl_.UpdateScore(*s, member, score, random);
      *s = score;
    }
    return inserted;
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
