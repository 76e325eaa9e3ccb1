// Dict: the hash table behind the keyspace and the hash, set and sorted-set
// types. Hand-written (it is the product): chained buckets in a power-of-two
// table, incremental rehashing (a resize moves a few buckets per operation,
// so no single command pays for a whole table), and Redis's reverse-binary
// SCAN cursor.
//
// Sizing follows Redis: the table doubles once it holds as many entries as
// buckets (load 1) and halves (to the smallest power of two >= the entry
// count, at least 4 buckets) once fewer than 1/8 of the buckets are used.
// While a resize is under way there are two tables; every Find, insert and
// erase first moves one bucket (visiting at most 10 empty ones) from the old
// table to the new one.
//
// SCAN guarantee (Redis's): a full iteration (cursor 0 back to 0) returns
// every entry that exists for the whole iteration at least once, even while
// the table grows, shrinks or rehashes between calls; an entry may be
// returned more than once.
//
// Keys are binary-safe strings owned by the dict; lookups take
// absl::string_view and never allocate. V is any movable value type.
//
// Memory: one allocation per entry, the node: a next pointer, the value, a
// 32-bit key length and the key bytes right after it (in the padding of the
// node struct when there is any). No hash is cached: a rehash recomputes
// it, as Redis does. The bucket arrays add 8 bytes per bucket.
//
// Hashing is seeded and deterministic: the same seed and the same operations
// give the same layout, hence the same SCAN order and random picks, in every
// run (the simulator replays seeds). The seed never comes from a global
// random source; the default is a fixed constant.
//
// Pointers to values (and key views) stay valid until the entry is erased
// or the dict is destroyed; rehashing moves nodes between buckets, never the
// nodes themselves.
//
// Single-threaded. Randomness comes from the caller (the runtime's Random).

#ifndef TWINKV_CORE_DICT_H_
#define TWINKV_CORE_DICT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "transport/runtime.h"

namespace twinkv {

namespace dict_internal {

inline uint64_t Mix(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Reverses the bits of v (SCAN's cursor counts in bit-reversed order).
inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

}  // namespace dict_internal

// A fast seeded hash of a byte string (multiply-mix in the style of wyhash:
// 16 bytes per step, short keys with overlapping loads). Good in the low
// bits, which is what a power-of-two table uses.
inline uint64_t DictHash(absl::string_view s, uint64_t seed) {
  using dict_internal::Load32;
  using dict_internal::Load64;
  using dict_internal::Mix;
  constexpr uint64_t kP0 = 0xa0761d6478bd642full;
  constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
  constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = seed ^ kP0;
  uint64_t a = 0;
  uint64_t b = 0;
  if (n <= 16) {
    if (n >= 4) {
      const size_t mid = (n >> 3) << 2;
      a = (Load32(p) << 32) | Load32(p + mid);
      b = (Load32(p + n - 4) << 32) | Load32(p + n - 4 - mid);
    } else if (n > 0) {
      a = (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
          (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) |
          static_cast<uint8_t>(p[n - 1]);
    }
  } else {
    while (n > 16) {
      h = Mix(Load64(p) ^ kP1, Load64(p + 8) ^ h);
      p += 16;
      n -= 16;
    }
    a = Load64(p + n - 16);
    b = Load64(p + n - 8);
  }
  return Mix(kP2 ^ s.size(), Mix(a ^ kP1, b ^ h));
}

template <typename V>
class Dict {
 public:
  static constexpr uint64_t kDefaultSeed = 0x9e3779b97f4a7c15ull;
  static constexpr size_t kMinBuckets = 4;

  explicit Dict(uint64_t seed = kDefaultSeed) : seed_(seed) {}
  ~Dict() { Clear(); }
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  Dict(Dict&& other) noexcept { StealFrom(other); }
  Dict& operator=(Dict&& other) noexcept {
    if (this != &other) {
      Clear();
      StealFrom(other);
    }
    return *this;
  }

  size_t size() const { return ht_[0].used + ht_[1].used; }
  bool empty() const { return size() == 0; }

  // The value of `key`, or nullptr. (The non-const form also advances a
  // resize under way.)
  V* Find(absl::string_view key) {
    if (empty()) return nullptr;
    RehashStep();
    Node* n = FindNode(key, Hash(key));
    return n == nullptr ? nullptr : n->value();
  }
  const V* Find(absl::string_view key) const {
    if (empty()) return nullptr;
    Node* n = FindNode(key, Hash(key));
    return n == nullptr ? nullptr : n->value();
  }

  // The value of `key`, inserting a default-constructed V if absent (then
  // *inserted is true). One hash computation.
  V* FindOrInsert(absl::string_view key, bool* inserted) {
    RehashStep();
    const uint64_t hash = Hash(key);
    if (Node* n = FindNode(key, hash)) {
      *inserted = false;
      return n->value();
    }
    *inserted = true;
    return InsertNew(key, hash)->value();
  }

  // FindOrInsert that also returns the key as the dict stores it: the view
  // stays valid, at the same address, until the key is erased (nodes never
  // move, not even when the table resizes). Sorted sets point their skip
  // list nodes at it instead of keeping a second copy of each member.
  std::pair<absl::string_view, V*> FindOrInsertEntry(absl::string_view key,
                                                     bool* inserted) {
    RehashStep();
    const uint64_t hash = Hash(key);
    Node* n = FindNode(key, hash);
    *inserted = n == nullptr;
    if (n == nullptr) n = InsertNew(key, hash);
    return {n->key(), n->value()};
  }

  // Inserts or replaces; returns true if the key was new.
  bool Set(absl::string_view key, V value) {
    bool inserted;
    *FindOrInsert(key, &inserted) = std::move(value);
    return inserted;
  }

  // Erases `key`; returns true if it was there.
  bool Erase(absl::string_view key) {
    Node* n = Unlink(key);
    if (n == nullptr) return false;
    FreeNode(n);
    MaybeShrink();
    return true;
  }
  // Erases `key` and hands back its value; returns false if absent and
  // leaves *out alone.
  bool Take(absl::string_view key, V* out) {
    Node* n = Unlink(key);
    if (n == nullptr) return false;
    *out = std::move(*n->value());
    FreeNode(n);
    MaybeShrink();
    return true;
  }

  // Erases every entry and gives the tables back.
  void Clear() {
    for (Table& t : ht_) {
      for (size_t i = 0; i < t.buckets_size(); ++i) {
        for (Node* n = t.buckets[i]; n != nullptr;) {
          Node* next = n->next;
          FreeNode(n);
          n = next;
        }
      }
      delete[] t.buckets;
      t = Table();
    }
    rehash_idx_ = -1;
  }

  // One SCAN step: visits the entries of the bucket(s) at `cursor` (in
  // both tables while rehashing), calling fn(key, value) for each, and
  // returns the next cursor; 0 means the iteration is complete. `fn` must
  // not change the dict.
  //
  // The cursor is a bucket index with its bits reversed, incremented from
  // the top bit down (Redis's dictScan): growing the table splits a bucket
  // into buckets that the cursor reaches next, and shrinking merges buckets
  // the cursor has already covered, so nothing present throughout is
  // skipped. While two tables exist, a step visits the smaller table's
  // bucket and every bucket of the larger one that it expands to.
  uint64_t Scan(uint64_t cursor,
                absl::FunctionRef<void(absl::string_view key, V& value)> fn) {
    using dict_internal::ReverseBits;
    if (empty()) return 0;
    uint64_t v = cursor;
    if (!rehashing()) {
      const uint64_t m0 = ht_[0].mask;
      VisitBucket(ht_[0].buckets[v & m0], fn);
      v |= ~m0;
      v = ReverseBits(ReverseBits(v) + 1);
      return v;
    }
    const Table* t0 = &ht_[0];
    const Table* t1 = &ht_[1];
    if (t0->mask > t1->mask) std::swap(t0, t1);
    const uint64_t m0 = t0->mask;
    const uint64_t m1 = t1->mask;
    VisitBucket(t0->buckets[v & m0], fn);
    do {
      VisitBucket(t1->buckets[v & m1], fn);
      v |= ~m1;
      v = ReverseBits(ReverseBits(v) + 1);
    } while (v & (m0 ^ m1));
    return v;
  }

  // Whether an iteration whose next cursor is `cursor` (as Scan returned
  // it; not 0) has already visited `key`'s bucket. Exact as long as the
  // table has not started shrinking since the iteration began (growing is
  // fine: the cursor's order refines with the table size); callers that
  // need it keep shrinking off (set_shrink_allowed). The AOF rewrite uses
  // it to tell whether its pass over the keyspace already wrote a key.
  bool ScanVisited(absl::string_view key, uint64_t cursor) const {
    using dict_internal::ReverseBits;
    if (cursor == 0 || ht_[0].buckets == nullptr) return false;
    uint64_t m = ht_[0].mask;
    if (rehashing()) m = std::min(m, ht_[1].mask);
    return ReverseBits(Hash(key) & m) < ReverseBits(cursor);
  }

  // While false, erasing never starts a shrink (a shrink already under way
  // finishes).
  void set_shrink_allowed(bool allowed) { shrink_allowed_ = allowed; }

  // A random entry, or {"", nullptr} if empty: a random non-empty bucket,
  // then a random entry of its chain (Redis's dictGetRandomKey; entries in
  // long chains are a little less likely, which is fine at load <= 1).
  std::pair<absl::string_view, V*> RandomEntry(Random& random) {
    if (empty()) return {absl::string_view(), nullptr};
    RehashStep();
    Node* head = nullptr;
    if (rehashing()) {
      // Buckets of the old table below rehash_idx_ are empty.
      const uint64_t s0 = ht_[0].buckets_size();
      const uint64_t first = static_cast<uint64_t>(rehash_idx_);
      const uint64_t span = s0 + ht_[1].buckets_size() - first;
      while (head == nullptr) {
        const uint64_t i = first + random.Uniform(span);
        head = i >= s0 ? ht_[1].buckets[i - s0] : ht_[0].buckets[i];
      }
    } else {
      while (head == nullptr) {
        head = ht_[0].buckets[random.Uniform(ht_[0].buckets_size())];
      }
    }
    size_t len = 0;
    for (Node* n = head; n != nullptr; n = n->next) ++len;
    Node* n = head;
    for (uint64_t k = random.Uniform(len); k > 0; --k) n = n->next;
    return {n->key(), n->value()};
  }

  // Calls fn(key, value) for every entry, in no particular order. `fn` must
  // not change the dict.
  void ForEach(absl::FunctionRef<void(absl::string_view key, V& value)> fn) {
    for (Table& t : ht_) {
      for (size_t i = 0; i < t.buckets_size(); ++i) VisitBucket(t.buckets[i], fn);
    }
  }

  // Bytes allocated by the dict itself (tables and nodes with their keys),
  // for INFO memory / MEMORY USAGE estimates; not counting what V owns.
  size_t AllocatedBytes() const {
    return node_bytes_ +
           (ht_[0].buckets_size() + ht_[1].buckets_size()) * sizeof(Node*);
  }

  // --- Introspection, for tests and INFO. ---

  // Buckets of the main table (the old one while rehashing).
  size_t bucket_count() const { return ht_[0].buckets_size(); }
  bool rehashing() const { return rehash_idx_ >= 0; }
  uint64_t Hash(absl::string_view key) const { return DictHash(key, seed_); }

 private:
  // Standard layout (the value lives in raw storage), so that the key bytes
  // can start right after key_len, inside the struct's tail padding.
  struct Node {
    Node* next;
    alignas(V) unsigned char value_storage[sizeof(V)];
    uint32_t key_len;

    V* value() { return std::launder(reinterpret_cast<V*>(value_storage)); }
    char* key_data() {
      return reinterpret_cast<char*>(this) + kKeyOffset;
    }
    absl::string_view key() { return absl::string_view(key_data(), key_len); }
    bool KeyIs(absl::string_view k) {
      return key_len == k.size() &&
             (k.empty() || std::memcmp(key_data(), k.data(), k.size()) == 0);
    }
  };
  static constexpr size_t kKeyOffset = offsetof(Node, key_len) + sizeof(uint32_t);
  static size_t NodeBytes(size_t key_len) {
    const size_t n = kKeyOffset + key_len;
    return n < sizeof(Node) ? sizeof(Node) : n;
  }

  struct Table {
    Node** buckets = nullptr;
    uint64_t mask = 0;
    size_t used = 0;
    size_t buckets_size() const { return buckets == nullptr ? 0 : mask + 1; }
  };

  static void VisitBucket(
      Node* n, absl::FunctionRef<void(absl::string_view key, V& value)> fn) {
    while (n != nullptr) {
      Node* next = n->next;
      fn(n->key(), *n->value());
      n = next;
    }
  }

  void StealFrom(Dict& other) {
    ht_[0] = other.ht_[0];
    ht_[1] = other.ht_[1];
    rehash_idx_ = other.rehash_idx_;
    seed_ = other.seed_;
    node_bytes_ = other.node_bytes_;
    other.ht_[0] = Table();
    other.ht_[1] = Table();
    other.rehash_idx_ = -1;
    other.node_bytes_ = 0;
  }

  Node* NewNode(absl::string_view key) {
    const size_t bytes = NodeBytes(key.size());
    Node* n = new (::operator new(bytes)) Node;
    n->next = nullptr;
    new (n->value_storage) V();
    n->key_len = static_cast<uint32_t>(key.size());
    if (!key.empty()) std::memcpy(n->key_data(), key.data(), key.size());
    node_bytes_ += bytes;
    return n;
  }
  void FreeNode(Node* n) {
    node_bytes_ -= NodeBytes(n->key_len);
    n->value()->~V();
    n->~Node();
    ::operator delete(static_cast<void*>(n));
  }

  Node* FindNode(absl::string_view key, uint64_t hash) const {
    for (int t = 0; t < 2; ++t) {
      const Table& table = ht_[t];
      if (table.buckets == nullptr) break;
      for (Node* n = table.buckets[hash & table.mask]; n != nullptr;
           n = n->next) {
        if (n->KeyIs(key)) return n;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Inserts a node for `key` (known absent), growing first if needed.
  Node* InsertNew(absl::string_view key, uint64_t hash) {
    ExpandIfNeeded();
    Table& t = rehashing() ? ht_[1] : ht_[0];
    Node* n = NewNode(key);
    Node*& head = t.buckets[hash & t.mask];
    n->next = head;
    head = n;
    ++t.used;
    return n;
  }

  // Removes `key`'s node from its chain and returns it, or nullptr.
  Node* Unlink(absl::string_view key) {
    if (empty()) return nullptr;
    RehashStep();
    const uint64_t hash = Hash(key);
    for (int t = 0; t < 2; ++t) {
      Table& table = ht_[t];
      if (table.buckets == nullptr) break;
      Node** link = &table.buckets[hash & table.mask];
      for (Node* n = *link; n != nullptr; link = &n->next, n = n->next) {
        if (n->KeyIs(key)) {
          *link = n->next;
          --table.used;
          return n;
        }
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  static size_t PowerOfTwoAtLeast(size_t n) {
    size_t s = kMinBuckets;
    while (s < n) s <<= 1;
    return s;
  }

  void ExpandIfNeeded() {
    if (rehashing()) return;
    if (ht_[0].buckets == nullptr) {
      ResizeTo(kMinBuckets);
    } else if (ht_[0].used >= ht_[0].buckets_size()) {
      ResizeTo(PowerOfTwoAtLeast(ht_[0].used + 1));
    }
  }

  void MaybeShrink() {
    if (rehashing() || !shrink_allowed_) return;
    const size_t buckets = ht_[0].buckets_size();
    if (buckets > kMinBuckets && ht_[0].used * 8 < buckets) {
      ResizeTo(PowerOfTwoAtLeast(ht_[0].used));
    }
  }

  // Starts a resize to `buckets` (a power of two), or creates the first
  // table.
  void ResizeTo(size_t buckets) {
    if (buckets == ht_[0].buckets_size()) return;
    Table t;
    t.buckets = new Node*[buckets]();
    t.mask = buckets - 1;
    if (ht_[0].buckets == nullptr) {
      ht_[0] = t;
      return;
    }
    ht_[1] = t;
    rehash_idx_ = 0;
  }

  void RehashStep() {
    if (rehashing()) Rehash(1);
  }

  // Moves up to `n` non-empty buckets (visiting at most 10 * n empty ones)
  // from the old table to the new one; finishes the resize when the old
  // table is empty.
  void Rehash(int n) {
    int empty_visits = n * 10;
    Table& from = ht_[0];
    Table& to = ht_[1];
    while (n-- > 0 && from.used != 0) {
      while (from.buckets[rehash_idx_] == nullptr) {
        ++rehash_idx_;
        if (--empty_visits == 0) return;
      }
      for (Node* node = from.buckets[rehash_idx_]; node != nullptr;) {
        Node* next = node->next;
        Node*& head = to.buckets[Hash(node->key()) & to.mask];
        node->next = head;
        head = node;
        --from.used;
        ++to.used;
        node = next;
      }
      from.buckets[rehash_idx_] = nullptr;
      ++rehash_idx_;
    }
    if (from.used == 0) {
      delete[] from.buckets;
      ht_[0] = ht_[1];
      ht_[1] = Table();
      rehash_idx_ = -1;
      // Erases during a growth could not start a shrink; check now.
      MaybeShrink();
    }
  }

  Table ht_[2];
  int64_t rehash_idx_ = -1;  // next old bucket to move; -1: not rehashing
  uint64_t seed_;
  size_t node_bytes_ = 0;
  bool shrink_allowed_ = true;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_DICT_H_
