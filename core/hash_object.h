// The hash representation: field -> value, both binary-safe strings.
//
// Two encodings, as in Redis 7.0: a small hash is a listpack of alternating
// fields and values (linear lookups over a few hundred bytes beat hashing,
// and it costs 4 bytes of overhead per pair); it becomes a Dict ("hashtable")
// for good once it holds more than kMaxListpackEntries fields or any field
// or value longer than kMaxListpackValue bytes (Redis's defaults of
// hash-max-listpack-entries and hash-max-listpack-value).
//
// Single-threaded. Views returned by accessors stay valid until the next
// change to the same object.

#ifndef TWINKV_CORE_HASH_OBJECT_H_
#define TWINKV_CORE_HASH_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/db.h"
#include "core/dict.h"
#include "core/list_object.h"
#include "transport/runtime.h"

namespace twinkv {

class HashObject : public ValueObject {
 public:
  static constexpr size_t kMaxListpackEntries = 512;
  static constexpr size_t kMaxListpackValue = 64;

  HashObject() : ValueObject(ValueType::kHash) {}

  size_t size() const { return dict_ ? dict_->size() : listpack_.size() / 2; }
  bool empty() const { return size() == 0; }
  bool is_listpack() const { return dict_ == nullptr; }
  absl::string_view Encoding() const override {
    return dict_ ? "hashtable" : "listpack";
  }
  std::unique_ptr<ValueObject> Clone() const override;
  // Bytes owned, for memory reports.
  size_t AllocatedBytes() const;

  // The value of `field`, or false.
  bool Get(absl::string_view field, absl::string_view* value);
  // Sets `field` to `value`; returns true if the field is new.
  bool Set(absl::string_view field, absl::string_view value);
  // Returns true if the field was there.
  bool Erase(absl::string_view field);

  // Calls fn(field, value) for every field, in the encoding's order.
  void ForEach(
      absl::FunctionRef<void(absl::string_view, absl::string_view)> fn);

  // One HSCAN step from `cursor`: a listpack is visited whole (returns 0,
  // as Redis does); a hashtable a bucket at a time with Dict's cursor.
  uint64_t Scan(
      uint64_t cursor,
      absl::FunctionRef<void(absl::string_view, absl::string_view)> fn);

  // A random field and its value (requires !empty()).
  std::pair<absl::string_view, absl::string_view> RandomEntry(Random& random);

 private:
  void ConvertToDict();

  Listpack listpack_;  // field, value, field, value... while dict_ is null
  std::unique_ptr<Dict<std::string>> dict_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_HASH_OBJECT_H_
