// The keyspace: numbered databases mapping binary-safe keys to typed values,
// with per-key expiry times.
//
// Expiry is lazy here: every lookup takes the caller's `now_ms` (Unix
// milliseconds) and a key whose expiry time is <= now_ms is deleted and
// reported missing, exactly as if it had been deleted. (Active expiry on a
// time wheel comes with the keyspace issue; it will call DeleteExpired.)
// Note: Redis 7.0 expires a key only once now > expiry time, one millisecond
// later than we do.
//
// The storage layout is private so that it can change (compact strings,
// incremental rehashing, SCAN cursors) without touching command code:
// commands see values only through Value's accessors and change strings
// only through its mutators, never through a std::string.
//
// A Value* (and a view of its string) stays valid until the next call on
// the same Db: a handler writes what it read into the reply, or changes it,
// before it looks up another key.
//
// Single-threaded.

#ifndef TWINKV_CORE_DB_H_
#define TWINKV_CORE_DB_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace twinkv {

enum class ValueType : uint8_t { kString, kList, kHash, kSet, kZSet };

// "string", "list", "hash", "set", "zset" (TYPE's replies).
absl::string_view ValueTypeName(ValueType type);

// Base of the representations of the aggregate types (list, hash, set,
// zset), which their families define. The type tag is fixed at
// construction; a family casts back with Value::object_as<T>() after
// checking Value::type().
class ValueObject {
 public:
  explicit ValueObject(ValueType type) : type_(type) {}
  virtual ~ValueObject() = default;
  ValueObject(const ValueObject&) = delete;
  ValueObject& operator=(const ValueObject&) = delete;

  ValueType type() const { return type_; }

 private:
  ValueType type_;
};

// What a key holds: a binary-safe string, or one aggregate object.
class Value {
 public:
  // The empty string.
  Value() = default;
  explicit Value(absl::string_view s) : str_(s.data(), s.size()) {}
  // Requires object != nullptr and object->type() != kString.
  explicit Value(std::unique_ptr<ValueObject> object)
      : object_(std::move(object)) {}
  Value(Value&&) = default;
  Value& operator=(Value&&) = default;

  ValueType type() const {
    return object_ == nullptr ? ValueType::kString : object_->type();
  }
  bool is_string() const { return object_ == nullptr; }

  // --- Strings. The accessors require is_string(). ---

  // Valid until the value is next changed.
  absl::string_view str() const { return str_; }
  size_t str_size() const { return str_.size(); }
  // Makes this value the string `s` (whatever it was before).
  void AssignString(absl::string_view s);
  // Appends `s`; amortised O(|s|) (the buffer grows geometrically).
  void AppendString(absl::string_view s);
  // Resizes the string to `n` bytes, zero-filling any growth, and returns
  // its bytes for the caller to overwrite (SETRANGE); valid until the value
  // is next changed.
  char* ResizeString(size_t n);

  // --- Aggregates. The accessors require !is_string(). ---

  ValueObject* object() const { return object_.get(); }
  template <typename T>
  T* object_as() const {
    return static_cast<T*>(object_.get());
  }
  // Makes this value `object` (same requirements as the constructor).
  void AssignObject(std::unique_ptr<ValueObject> object);

 private:
  std::string str_;
  std::unique_ptr<ValueObject> object_;
};

// One database: keys to values, with expiry times.
class Db {
 public:
  // Expiry time of a key without a TTL. (A PXAT of exactly INT64_MAX ms is
  // therefore the same as no TTL; that is about 292 million years away.)
  static constexpr int64_t kNoExpire = std::numeric_limits<int64_t>::max();

  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Number of keys, counting expired keys not yet deleted (like DBSIZE).
  size_t size() const { return map_.size(); }
  // Number of keys with a TTL (INFO keyspace's "expires"), same caveat.
  size_t expires_size() const { return expires_; }
  // FLUSHDB.
  void Clear();

  // The live value of `key`, or nullptr. Deletes the key if it expired.
  Value* Find(absl::string_view key, int64_t now_ms);
  bool Exists(absl::string_view key, int64_t now_ms) {
    return Find(key, now_ms) != nullptr;
  }

  // The live value of `key`; if there is none, creates `key` holding the
  // empty string, without TTL, and sets *created. One hash lookup.
  Value* FindOrCreate(absl::string_view key, int64_t now_ms, bool* created);

  // Makes `key` hold the string `value` (replacing a value of any type).
  // Its expiry time becomes `expire_ms` (kNoExpire: none), or with
  // `keep_ttl` stays what it was (none if the key did not live). One hash
  // lookup.
  void SetString(absl::string_view key, absl::string_view value, int64_t now_ms,
                 int64_t expire_ms = kNoExpire, bool keep_ttl = false);
  // The same for any value; returns where it now lives.
  Value* Set(absl::string_view key, Value value, int64_t now_ms,
             int64_t expire_ms = kNoExpire, bool keep_ttl = false);

  // Deletes `key`. Returns true if it was live (an expired key is deleted
  // too but reported as not there).
  bool Erase(absl::string_view key, int64_t now_ms);

  // The expiry time of live `key`, kNoExpire if it has none, or kMissing if
  // the key does not live (TTL's -1 and -2).
  static constexpr int64_t kMissing = std::numeric_limits<int64_t>::min();
  int64_t GetExpire(absl::string_view key, int64_t now_ms);
  // Sets the expiry time of live `key` (kNoExpire removes the TTL). Returns
  // false if the key does not live. An expiry time <= now_ms makes the key
  // expire at its next lookup; callers that must delete it at once (EXPIRE
  // with a past time) call Erase instead.
  bool SetExpire(absl::string_view key, int64_t expire_ms, int64_t now_ms);

  enum class RenameResult { kOk, kNoSuchKey, kTargetExists };
  // Moves the value and expiry time of `from` to `to`, replacing what `to`
  // held unless `nx` (then kTargetExists and nothing changes). kNoSuchKey if
  // `from` does not live. Renaming a live key onto itself is kOk (or
  // kTargetExists with nx) and changes nothing.
  RenameResult Rename(absl::string_view from, absl::string_view to,
                      int64_t now_ms, bool nx = false);

  // Calls fn(key) for every live key, in no particular order; deletes the
  // expired keys it meets. `fn` must not call this Db. The views it gets
  // stay valid until the next call on this Db (KEYS collects them, then
  // writes its reply).
  void ForEachKey(int64_t now_ms,
                  absl::FunctionRef<void(absl::string_view key)> fn);

 private:
  struct Entry {
    Value value;
    int64_t expire_ms = kNoExpire;
  };
  using Map = absl::flat_hash_map<std::string, Entry>;

  static bool Expired(const Entry& e, int64_t now_ms) {
    return e.expire_ms <= now_ms;
  }
  // Erases *it, keeping expires_ right.
  void EraseEntry(Map::iterator it);
  // Changes an entry's expiry time, keeping expires_ right.
  void SetEntryExpire(Entry& e, int64_t expire_ms) {
    expires_ += (expire_ms != kNoExpire) - (e.expire_ms != kNoExpire);
    e.expire_ms = expire_ms;
  }

  Map map_;
  size_t expires_ = 0;
};

class Keyspace {
 public:
  // `databases` >= 1.
  explicit Keyspace(int databases);
  ~Keyspace();

  int size() const { return static_cast<int>(dbs_.size()); }
  Db& db(int index) { return *dbs_[index]; }
  // FLUSHALL.
  void Clear();

 private:
  std::vector<std::unique_ptr<Db>> dbs_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_DB_H_
