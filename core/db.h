// The keyspace: numbered databases mapping binary-safe keys to typed values,
// with per-key expiry times.
//
// Expiry is both lazy and active. Lazy: every lookup takes the caller's
// `now_ms` (Unix milliseconds) and a key whose expiry time is <= now_ms is
// deleted and reported missing, exactly as if it had been deleted. Active:
// every expiry time set is also recorded, with the key's bytes, on a
// TimeWheel (core/time_wheel.h); the engine's timer calls ExpireDue, which
// pops due records and deletes those keys that are still expired. Records
// are validated when they pop (the key may have been deleted, renamed or
// given another TTL since), so no path that drops or changes a key has to
// touch the wheel, and the wheel never points into freed memory. Stale
// records are swept once they outnumber the live TTLs (amortised O(1)).
// Note: Redis 7.0 expires a key only once now > expiry time, one millisecond
// later than we do.
//
// The table is a Dict (core/dict.h: incremental rehashing, SCAN cursor);
// an entry is one allocation holding the key, the Value (short strings
// inline) and the expiry time. The layout is private so that it can change
// without touching command code:
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
#include <cstring>
#include <limits>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/dict.h"
#include "core/time_wheel.h"
#include "transport/runtime.h"

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

  // OBJECT ENCODING's reply for this representation: "listpack",
  // "quicklist", "hashtable", "intset", "skiplist"... Families override it;
  // the default is "hashtable".
  virtual absl::string_view Encoding() const { return "hashtable"; }

  // A deep copy (COPY). Families override it; the default returns nullptr,
  // meaning "this representation cannot be copied" (COPY then refuses).
  virtual std::unique_ptr<ValueObject> Clone() const { return nullptr; }

  // Elements held, and bytes owned, for the maxmemory estimate
  // (core/evict.h). The families' objects already declare `size()` (and
  // lists and hashes `AllocatedBytes()`) with these signatures, which thereby
  // override these. A representation that declares neither counts as empty.
  virtual size_t size() const { return 0; }
  virtual size_t AllocatedBytes() const { return 0; }

 private:
  ValueType type_;
};

// What a key holds: a binary-safe string, or one aggregate object.
//
// 24 bytes, for the keyspace's memory target (a key with a short value is
// one allocation): a string of up to kInlineCapacity bytes lives inside the
// Value itself; a longer one in a heap buffer (pointer, size, 56-bit
// capacity); an aggregate as an owning pointer. The last byte tells which.
class Value {
 public:
  // Strings of up to this many bytes take no allocation of their own.
  static constexpr size_t kInlineCapacity = 23;

  // The empty string.
  Value() { rep_[kTagByte] = 0; }
  explicit Value(absl::string_view s);
  // Requires object != nullptr and object->type() != kString.
  explicit Value(std::unique_ptr<ValueObject> object);
  Value(Value&& other) noexcept {
    std::memcpy(rep_, other.rep_, sizeof(rep_));
    other.rep_[kTagByte] = 0;
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      Release();
      std::memcpy(rep_, other.rep_, sizeof(rep_));
      other.rep_[kTagByte] = 0;
    }
    return *this;
  }
  ~Value() { Release(); }

  ValueType type() const {
    if (tag() != kObjectTag) return ValueType::kString;
    ValueObject* p;
    std::memcpy(&p, rep_, sizeof(p));
    return p->type();
  }
  bool is_string() const { return tag() != kObjectTag; }

  // A copy: the same string, or a deep copy of the object made by its
  // Clone() (then nullopt-like: *ok is false and the Value is the empty
  // string when the object cannot be copied).
  Value Clone(bool* ok) const;

  // --- Strings. The accessors require is_string(). ---

  // Valid until the value is next changed or moved.
  absl::string_view str() const {
    return tag() == kHeapTag ? absl::string_view(heap_data(), heap_size())
                             : absl::string_view(rep_, tag());
  }
  size_t str_size() const {
    return tag() == kHeapTag ? heap_size() : tag();
  }
  // Makes this value the string `s` (whatever it was before).
  void AssignString(absl::string_view s);
  // Appends `s`; amortised O(|s|) (the buffer grows geometrically).
  void AppendString(absl::string_view s);
  // Resizes the string to `n` bytes, zero-filling any growth, and returns
  // its bytes for the caller to overwrite (SETRANGE); valid until the value
  // is next changed.
  char* ResizeString(size_t n);

  // Heap bytes this value owns beyond its 24 (0 for inline strings and,
  // as an estimate, for objects).
  size_t HeapBytes() const { return tag() == kHeapTag ? heap_cap() : 0; }

  // --- Aggregates. The accessors require !is_string(). ---

  // (nullptr for a string.)
  ValueObject* object() const {
    if (tag() != kObjectTag) return nullptr;
    ValueObject* p;
    std::memcpy(&p, rep_, sizeof(p));
    return p;
  }
  template <typename T>
  T* object_as() const {
    return static_cast<T*>(object());
  }
  // Makes this value `object` (same requirements as the constructor).
  void AssignObject(std::unique_ptr<ValueObject> object);

 private:
  // Byte 23: 0..23 is an inline string's length; else one of these.
  static constexpr size_t kTagByte = 23;
  static constexpr unsigned char kHeapTag = 0x40;
  static constexpr unsigned char kObjectTag = 0x80;

  unsigned char tag() const { return static_cast<unsigned char>(rep_[kTagByte]); }
  char* heap_data() const {
    char* p;
    std::memcpy(&p, rep_, sizeof(p));
    return p;
  }
  size_t heap_size() const {
    uint64_t n;
    std::memcpy(&n, rep_ + 8, sizeof(n));
    return n;
  }
  size_t heap_cap() const {
    uint64_t c = 0;
    for (int i = 6; i >= 0; --i) {
      c = (c << 8) | static_cast<unsigned char>(rep_[16 + i]);
    }
    return c;
  }
  void SetHeap(char* data, size_t size, size_t cap);
  void SetHeapSize(size_t size) {
    uint64_t n = size;
    std::memcpy(rep_ + 8, &n, sizeof(n));
  }
  // Frees what the value owns; leaves the representation stale.
  void Release();
  // Makes the string `n` bytes long with room for at least `cap`, keeping
  // the first min(old size, n) bytes; returns its bytes. Growth is not
  // zero-filled.
  char* Reserve(size_t n, size_t cap);

  alignas(8) char rep_[24];
};

// Parses a SCAN/HSCAN/SSCAN/ZSCAN cursor as Redis does (strtoull, base
// 10): an optional sign, digits; a '-' wraps modulo 2^64; the empty string
// is 0; leading space, trailing bytes or overflow are errors (false; reply
// kInvalidCursorErr).
bool ParseCursor(absl::string_view s, uint64_t* cursor);

// What the databases of one Keyspace share.
struct KeyspaceShared {
  // Earliest expiry time set since the engine last looked.
  int64_t earliest_added = std::numeric_limits<int64_t>::max();
  // While true no key expires (AOF loading).
  bool loading = false;
  // Called with (database index, key) for every key removed because it
  // expired, lazily or actively, before it is gone. The key view is valid
  // for the call only.
  std::function<void(int, absl::string_view)> on_expired;
  // Called with (database index, key) for every key removed by eviction
  // (Db::Evict), before it is gone.
  std::function<void(int, absl::string_view)> on_evicted;
  // The coarse access clock stamped on keys by lookups (LRU eviction):
  // units of kLruClockMs of the engine's clock, wrapping modulo 2^32
  // (every ~13.6 years; idle times are computed modulo 2^32 too).
  uint32_t lru_clock = 0;
  // Non-null while memory accounting is on (see Db::UsedBytes): the bytes
  // a value owns beyond the Entry that holds it.
  size_t (*sizer)(const Value&) = nullptr;
};

// Resolution of KeyspaceShared::lru_clock.
inline constexpr int64_t kLruClockMs = 100;

// One database: keys to values, with expiry times.
class Db {
 public:
  // Expiry time of a key without a TTL. (A PXAT of exactly INT64_MAX ms is
  // therefore the same as no TTL; that is about 292 million years away.)
  static constexpr int64_t kNoExpire = std::numeric_limits<int64_t>::max();

  Db() : shared_(&own_shared_) {}
  // Database `index` of a Keyspace: reports new expiry times and expired
  // keys through *shared (see Keyspace).
  Db(KeyspaceShared* shared, int index) : shared_(shared), index_(index) {}
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

  // One SCAN step from `cursor` (0 starts an iteration): calls
  // fn(key, value) for the live keys of the bucket(s) at the cursor and
  // returns the next cursor (0: done). Expired keys met are deleted after
  // the step and not reported. Every key that lives for the whole
  // iteration is reported at least once (Dict's guarantee); a key may be
  // reported twice. `fn` must not call this Db; its views stay valid until
  // the next call on this Db.
  uint64_t Scan(uint64_t cursor, int64_t now_ms,
                absl::FunctionRef<void(absl::string_view key,
                                       const Value& value)> fn);

  // --- For the AOF rewrite: raw access that never expires anything. ---

  // One step of a Dict SCAN over every entry, expired or not: calls
  // fn(key, value, expire_ms) and returns the next cursor (0: done).
  uint64_t ScanRaw(uint64_t cursor,
                   absl::FunctionRef<void(absl::string_view key,
                                          const Value& value,
                                          int64_t expire_ms)> fn) {
    return map_.Scan(cursor, [&](absl::string_view key, Entry& e) {
      fn(key, e.value, e.expire_ms);
    });
  }
  // Dict::ScanVisited for this database's table.
  bool ScanVisited(absl::string_view key, uint64_t cursor) const {
    return map_.ScanVisited(key, cursor);
  }
  // The entry of `key`, expired or not; false if there is none.
  bool PeekRaw(absl::string_view key, const Value** value,
               int64_t* expire_ms) const {
    const Entry* e = map_.Find(key);
    if (e == nullptr) return false;
    *value = &e->value;
    *expire_ms = e->expire_ms;
    return true;
  }
  // See Dict::set_shrink_allowed.
  void set_shrink_allowed(bool allowed) { map_.set_shrink_allowed(allowed); }

  // A random live key (RANDOMKEY), or nullopt if there is none; deletes
  // the expired keys it picks on the way. The view stays valid until the
  // next call on this Db.
  std::optional<absl::string_view> RandomKey(Random& random, int64_t now_ms);

  // Removes live `key` and hands back its value and expiry time (MOVE:
  // the caller Sets them in another Db). Returns false if the key does not
  // live (deleting it if it expired) and leaves the outputs alone.
  bool Take(absl::string_view key, int64_t now_ms, Value* value,
            int64_t* expire_ms);

  // --- Active expiry. ---

  // Pops up to `max_records` due records (expiry time <= now_ms) off the
  // wheel and deletes the keys among them that are still expired at
  // now_ms, adding their number to *deleted. Returns the records popped
  // (fewer than max_records: nothing more is due now).
  size_t ExpireDue(int64_t now_ms, size_t max_records, size_t* deleted);
  // The earliest expiry time recorded on the wheel (possibly of a record
  // gone stale), or kNoExpire if none.
  int64_t NextExpiry() const {
    if (wheel_ == nullptr) return kNoExpire;
    return wheel_->NextDue().value_or(kNoExpire);
  }
  // Records on the wheel, stale ones included (for tests and INFO).
  size_t wheel_size() const { return wheel_ == nullptr ? 0 : wheel_->size(); }

  // Bytes of the table and its nodes (keys, expiry times, inline strings),
  // not counting longer strings' buffers or what aggregate objects own.
  size_t AllocatedBytes() const { return map_.AllocatedBytes(); }

  // --- Memory accounting and eviction (core/evict.h). ---
  //
  // While the keyspace's sizer is set, the Db keeps value_bytes_, the sum
  // over its entries of sizer(value) as last measured, so that UsedBytes()
  // costs O(changed keys), not O(keys). Values change in place through the
  // Value* that Find/FindOrCreate/Set hand out, which the Db cannot see; so
  // every entry handed out (or changed by the Db) is first noted as
  // pending with its size at that moment, and Settle() re-measures the
  // pending entries and adds the differences. Erasing a pending entry
  // subtracts the size it was noted with. Entries never move (Dict nodes
  // are stable), so a pending Entry* stays valid until it is erased.

  // AllocatedBytes() plus the values' bytes; requires accounting on.
  // Settles first.
  size_t UsedBytes() {
    Settle();
    return map_.AllocatedBytes() + value_bytes_;
  }
  // The same, recomputed from scratch in O(keys) (tests; turning
  // accounting on).
  size_t RecomputeUsedBytes();
  // Re-measures the entries handed out since the last call.
  void Settle();

  // A candidate for eviction: a key's bytes (valid until the next call on
  // this Db), its last access (lru_clock units) and its expiry time.
  struct Sample {
    absl::string_view key;
    uint32_t lru = 0;
    int64_t expire_ms = kNoExpire;
  };
  // Calls fn for `count` random entries (with replacement; expired ones
  // included), or for every entry when count >= size(). With
  // `volatile_only`, only entries with a TTL count: at most 3 * count
  // draws, then, if none had a TTL, a walk over the table until some do
  // (so fn is called at least once whenever a key has a TTL). `fn` must
  // not call this Db.
  void SampleEntries(Random& random, size_t count, bool volatile_only,
                     absl::FunctionRef<void(const Sample&)> fn);
  // Deletes `key` because of memory pressure: tells on_evicted, then
  // erases it (expired or not). Returns false if there was no such key.
  bool Evict(absl::string_view key);
  // The access clock of `key`'s entry (tests), or nullopt.
  std::optional<uint32_t> LruOf(absl::string_view key) const {
    const Entry* e = map_.Find(key);
    if (e == nullptr) return std::nullopt;
    return e->lru;
  }

 private:
  struct Entry {
    Value value;
    int64_t expire_ms = kNoExpire;
    uint32_t lru = 0;  // KeyspaceShared::lru_clock at the last lookup
  };
  using Map = Dict<Entry>;

  bool Expired(const Entry& e, int64_t now_ms) const {
    return e.expire_ms <= now_ms && !shared_->loading;
  }
  // `key` expired and is about to be removed: tell the listener.
  void NoteExpired(absl::string_view key) {
    if (shared_->on_expired) shared_->on_expired(index_, key);
  }
  // Erases `key` (whose entry is `e`), keeping expires_ right.
  void EraseEntry(absl::string_view key, const Entry& e);
  // `e` was just looked up and may change: stamps its access clock and,
  // with accounting on, notes it pending (see Settle).
  void Touch(Entry& e) {
    e.lru = shared_->lru_clock;
    if (shared_->sizer != nullptr) NotePending(e);
  }
  void NotePending(Entry& e);
  // `e` leaves the table: takes its bytes off value_bytes_.
  void Unaccount(const Entry& e);
  // Changes the expiry time of `key`'s entry `e`, keeping expires_ and the
  // wheel right.
  void SetEntryExpire(absl::string_view key, Entry& e, int64_t expire_ms) {
    expires_ += (expire_ms != kNoExpire) - (e.expire_ms != kNoExpire);
    const bool changed = e.expire_ms != expire_ms;
    e.expire_ms = expire_ms;
    if (changed && expire_ms != kNoExpire) Track(key, expire_ms);
  }
  // Records that `key` expires at `expire_ms` on the wheel.
  void Track(absl::string_view key, int64_t expire_ms);
  // Drops the wheel's stale records (O(records)).
  void CompactWheel();

  Map map_;
  size_t expires_ = 0;
  std::unique_ptr<TimeWheel<std::string>> wheel_;  // created on first TTL
  size_t compact_at_ = 0;  // wheel size that triggers CompactWheel
  KeyspaceShared own_shared_;
  KeyspaceShared* shared_;
  int index_ = 0;
  // Memory accounting (see UsedBytes).
  size_t value_bytes_ = 0;
  absl::flat_hash_map<const Entry*, size_t> pending_;

  friend class Keyspace;
};

class Keyspace {
 public:
  // `databases` >= 1.
  explicit Keyspace(int databases);
  ~Keyspace();

  int size() const { return static_cast<int>(dbs_.size()); }
  Db& db(int index) { return *dbs_[index]; }
  // SWAPDB: databases i and j trade contents (clients that selected i now
  // see what j held). Requires valid indices; i == j changes nothing.
  void Swap(int i, int j) {
    std::swap(dbs_[i], dbs_[j]);
    dbs_[i]->index_ = i;
    dbs_[j]->index_ = j;
  }
  // FLUSHALL.
  void Clear();

  // The earliest expiry time set in any database since the last call
  // (kNoExpire if none), and forgets it: the engine re-arms its expiry
  // timer when this is earlier than the deadline it is armed for.
  int64_t TakeEarliestAdded() {
    return std::exchange(shared_.earliest_added, Db::kNoExpire);
  }

  // See KeyspaceShared.
  void set_loading(bool loading) { shared_.loading = loading; }
  bool loading() const { return shared_.loading; }
  void set_expiry_listener(std::function<void(int, absl::string_view)> fn) {
    shared_.on_expired = std::move(fn);
  }
  void set_eviction_listener(std::function<void(int, absl::string_view)> fn) {
    shared_.on_evicted = std::move(fn);
  }
  // The access clock from the engine's time (Unix ms).
  void set_lru_clock_ms(int64_t now_ms) {
    shared_.lru_clock = static_cast<uint32_t>(now_ms / kLruClockMs);
  }
  uint32_t lru_clock() const { return shared_.lru_clock; }

  // Turns memory accounting on with `sizer` (recomputing every database's
  // total, O(keys)) or off (nullptr).
  void SetSizer(size_t (*sizer)(const Value&));
  bool accounting() const { return shared_.sizer != nullptr; }
  // Sum of the databases' UsedBytes(); requires accounting on.
  size_t UsedBytes() {
    size_t total = 0;
    for (auto& db : dbs_) total += db->UsedBytes();
    return total;
  }

 private:
  KeyspaceShared shared_;
  std::vector<std::unique_ptr<Db>> dbs_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_DB_H_
