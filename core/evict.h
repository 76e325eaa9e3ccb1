// maxmemory: the keyspace's memory estimate and eviction (Redis 7.0's
// maxmemory / maxmemory-policy / maxmemory-samples).
//
// Memory measure. core/ cannot ask the allocator, and the check runs before
// every command while maxmemory is set, so "used memory" here is the
// keyspace's own deterministic estimate (the same in production and in the
// simulator): per database, Dict::AllocatedBytes (tables, nodes, keys,
// expiry times, inline strings) plus EstimateValueBytes of every value,
// kept as a running total by Db (see Db::UsedBytes: O(keys changed), not
// O(keys)). It leaves out client buffers, the AOF buffers and allocator
// overhead, as Redis leaves out the replication and AOF buffers.
// Accounting is on only while maxmemory > 0 (turning it on costs one pass
// over the keyspace).
//
// Eviction. Before a command, if used > maxmemory, keys are deleted one at a
// time until used <= maxmemory or no candidate is left:
//   allkeys-lru / volatile-lru: of maxmemory-samples random keys per
//     database (every key when the database has no more), the one idle
//     longest (KeyspaceShared::lru_clock, 100 ms units);
//   allkeys-lfu / volatile-lfu: approximated by LRU (no access counters);
//   allkeys-random / volatile-random: a random key;
//   volatile-ttl: of the sampled keys with a TTL, the one expiring first;
//   noeviction: nothing.
// volatile-* never evict a key without TTL. An evicted key goes through
// Db::Evict: the engine's listener logs it as DEL, touches its watchers
// and counts evicted_keys.
//
// Single-threaded.

#ifndef TWINKV_CORE_EVICT_H_
#define TWINKV_CORE_EVICT_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/config.h"
#include "core/db.h"
#include "transport/runtime.h"

namespace twinkv {

// Redis's shared.oomerr.
inline constexpr absl::string_view kOomErr =
    "OOM command not allowed when used memory > 'maxmemory'.";

enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kVolatileLru,
  kAllKeysRandom,
  kVolatileRandom,
  kVolatileTtl,
};

// The policy named by maxmemory-policy (case-insensitive; *-lfu map to
// *-lru; anything unknown is noeviction).
EvictionPolicy ParseEvictionPolicy(absl::string_view name);

// Bytes `value` owns beyond the 24 of its Value: a heap string's buffer;
// a list's nodes (ListObject::AllocatedBytes, O(nodes)); for hashes, sets
// and sorted sets an O(1) estimate per element (their exact measure would
// be O(elements) per write).
size_t EstimateValueBytes(const Value& value);

// Turns the keyspace's accounting on or off to match config.maxmemory,
// then, if maxmemory > 0 and the estimate exceeds it, evicts per the
// policy. Returns false if memory is still over the limit (the caller
// refuses denyoom commands with kOomErr). *evicted (may be null) gets the
// number of keys evicted added.
bool PerformEvictions(Keyspace& keyspace, const Config& config,
                      Random& random, uint64_t* evicted);

}  // namespace twinkv

#endif  // TWINKV_CORE_EVICT_H_
