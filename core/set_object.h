// The set representation: a hash table of members (core/dict.h), and the
// map type the sorted set shares for member -> score.
//
// Redis's small encodings (intset, listpack) are not implemented: every set
// is a hash table, so OBJECT ENCODING would say "hashtable". SSCAN and the
// random picks of SPOP/SRANDMEMBER rely on the table's SCAN cursor and
// random entry.
//
// Single-threaded.

#ifndef TWINKV_CORE_SET_OBJECT_H_
#define TWINKV_CORE_SET_OBJECT_H_

#include <cstddef>
#include <memory>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/db.h"
#include "core/dict.h"
#include "transport/runtime.h"

namespace twinkv {

// Member -> V: the hand-written hash table with Redis's SCAN cursor.
template <typename V>
using MemberMap = Dict<V>;

class SetObject : public ValueObject {
 public:
  struct Empty {};

  SetObject() : ValueObject(ValueType::kSet) {}

  size_t size() const { return members_.size(); }
  bool Contains(absl::string_view m) const {
    return members_.Find(m) != nullptr;
  }
  // True if `m` was new.
  bool Add(absl::string_view m) {
    bool inserted;
    members_.FindOrInsert(m, &inserted);
    return inserted;
  }
  // True if `m` was there.
  bool Remove(absl::string_view m) { return members_.Erase(m); }
  void ForEach(absl::FunctionRef<void(absl::string_view)> fn) {
    members_.ForEach([&](absl::string_view k, Empty&) { fn(k); });
  }
  // A random member; requires size() > 0. The view is valid until the set
  // changes.
  absl::string_view Random(twinkv::Random& random) {
    return members_.RandomEntry(random).first;
  }
  uint64_t Scan(uint64_t cursor,
                absl::FunctionRef<void(absl::string_view)> fn) {
    return members_.Scan(cursor, [&](absl::string_view k, Empty&) { fn(k); });
  }
  // A deep copy (COPY, MULTI rollback snapshots).
  std::unique_ptr<ValueObject> Clone() const override {
    auto copy = std::make_unique<SetObject>();
    const_cast<MemberMap<Empty>&>(members_).ForEach(
        [&](absl::string_view m, Empty&) { copy->Add(m); });
    return copy;
  }
  std::vector<std::string> Members() {
    std::vector<std::string> out;
    out.reserve(size());
    ForEach([&](absl::string_view m) { out.emplace_back(m); });
    return out;
  }

 private:
  MemberMap<Empty> members_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_SET_OBJECT_H_
