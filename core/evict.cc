#include "core/evict.h"

#include <limits>
#include <string>

#include "absl/strings/ascii.h"

namespace twinkv {

EvictionPolicy ParseEvictionPolicy(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "allkeys-lru" || n == "allkeys-lfu") return EvictionPolicy::kAllKeysLru;
  if (n == "volatile-lru" || n == "volatile-lfu") {
    return EvictionPolicy::kVolatileLru;
  }
  if (n == "allkeys-random") return EvictionPolicy::kAllKeysRandom;
  if (n == "volatile-random") return EvictionPolicy::kVolatileRandom;
  if (n == "volatile-ttl") return EvictionPolicy::kVolatileTtl;
  return EvictionPolicy::kNoEviction;
}

// Per-element estimates for the hashtable encodings: a Dict node with a
// short member (~48 bytes as malloc rounds it), its bucket slot, and for
// hashes a value, for sorted sets a skip list node.
constexpr size_t kObjectHeaderBytes = 64;
constexpr size_t kHashFieldBytes = 80;
constexpr size_t kSetMemberBytes = 56;
constexpr size_t kZSetMemberBytes = 112;

size_t EstimateValueBytes(const Value& value) {
  if (value.is_string()) return value.HeapBytes();
  const ValueObject* o = value.object();
  switch (o->type()) {
    case ValueType::kList:
      return o->AllocatedBytes();
    case ValueType::kHash:
      // A listpack is measured in O(1); a hashtable exactly only in O(n).
      if (o->Encoding() == "listpack") return o->AllocatedBytes();
      return kObjectHeaderBytes + o->size() * kHashFieldBytes;
    case ValueType::kSet:
      return kObjectHeaderBytes + o->size() * kSetMemberBytes;
    case ValueType::kZSet:
      return kObjectHeaderBytes + o->size() * kZSetMemberBytes;
    case ValueType::kString:
      break;
  }
  return 0;
}

namespace {

struct Victim {
  int db = -1;
  std::string key;
  uint32_t idle = 0;
  int64_t expire_ms = Db::kNoExpire;
};

// Picks the next key to evict, or returns false if there is none.
bool PickVictim(Keyspace& keyspace, EvictionPolicy policy, size_t samples,
                Random& random, Victim* out) {
  const bool volatile_only = policy == EvictionPolicy::kVolatileLru ||
                             policy == EvictionPolicy::kVolatileRandom ||
                             policy == EvictionPolicy::kVolatileTtl;
  if (policy == EvictionPolicy::kAllKeysRandom ||
      policy == EvictionPolicy::kVolatileRandom) {
    // Databases in turn from a random start; the first that has a
    // candidate gives a random one.
    const int n = keyspace.size();
    const int start = static_cast<int>(random.Uniform(n));
    for (int k = 0; k < n; ++k) {
      const int i = (start + k) % n;
      bool found = false;
      keyspace.db(i).SampleEntries(random, 1, volatile_only,
                                   [&](const Db::Sample& s) {
                                     found = true;
                                     out->db = i;
                                     out->key.assign(s.key.data(), s.key.size());
                                   });
      if (found) return true;
    }
    return false;
  }
  const uint32_t now = keyspace.lru_clock();
  bool found = false;
  for (int i = 0; i < keyspace.size(); ++i) {
    keyspace.db(i).SampleEntries(
        random, samples, volatile_only, [&](const Db::Sample& s) {
          const uint32_t idle = now - s.lru;  // modulo 2^32
          bool better;
          if (policy == EvictionPolicy::kVolatileTtl) {
            better = !found || s.expire_ms < out->expire_ms;
          } else {
            better = !found || idle > out->idle;
          }
          if (!better) return;
          found = true;
          out->db = i;
          out->key.assign(s.key.data(), s.key.size());
          out->idle = idle;
          out->expire_ms = s.expire_ms;
        });
  }
  return found;
}

}  // namespace

bool PerformEvictions(Keyspace& keyspace, const Config& config,
                      Random& random, uint64_t* evicted) {
  if (config.maxmemory <= 0) {
    if (keyspace.accounting()) keyspace.SetSizer(nullptr);
    return true;
  }
  if (!keyspace.accounting()) keyspace.SetSizer(&EstimateValueBytes);
  const size_t limit = static_cast<size_t>(config.maxmemory);
  if (keyspace.UsedBytes() <= limit) return true;
  const EvictionPolicy policy = ParseEvictionPolicy(config.maxmemory_policy);
  if (policy == EvictionPolicy::kNoEviction) return false;
  const size_t samples =
      static_cast<size_t>(config.maxmemory_samples > 0
                              ? config.maxmemory_samples
                              : 1);
  Victim victim;
  while (keyspace.UsedBytes() > limit) {
    if (!PickVictim(keyspace, policy, samples, random, &victim)) return false;
    keyspace.db(victim.db).Evict(victim.key);
    if (evicted != nullptr) ++*evicted;
  }
  return true;
}

}  // namespace twinkv
