// The keyspace: numbered databases mapping binary-safe keys to typed values,
// with per-key expiry times.
//
// Expiry is lazy here: every lookup takes the caller's `now_ms` (Unix
// milliseconds) and a key whose expiry time is <= now_ms is deleted and
// reported missing, exactly as if it had been deleted. (Active expiry on a
// time wheel comes with the keyspace issue; it will call DeleteExpired.)
//
// The storage layout is private so that it can change (compact strings,
// incremental rehashing, SCAN cursors) without touching command code.
//
// Single-threaded.

#ifndef TWINKV_CORE_DB_H_
#define TWINKV_CORE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace twinkv {

enum class ValueType : uint8_t { kString, kList, kHash, kSet, kZSet };

// "string", "list", "hash", "set", "zset" (TYPE's replies).
absl::string_view ValueTypeName(ValueType type);

// Declared here, defined by the implementation (core/db.cc); see the
// "Db" and "Keyspace" classes below for the operations.
class Db;

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
