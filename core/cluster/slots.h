// Cluster placement: key -> slot -> node.
//
// Key to slot is Redis Cluster's: CRC16 (XMODEM: polynomial 0x1021, initial
// value 0, no reflection; CRC16("123456789") = 0x31C3) of the key modulo
// 16384, where a key with a hash tag — the bytes between its first '{' and
// the first '}' after it, when there is at least one byte between them —
// hashes only the tag, so "{user1}.name" and "{user1}.mail" share a slot.
//
// Slot to node is consistent hashing: every node puts kVirtualNodes points
// on a 64-bit ring (a fixed hash of "<node id>#<i>"), every slot sits at a
// fixed point of its own, and a slot belongs to the first node point at or
// after it (wrapping). So:
//   - the map is a function of the set of node ids alone: every node that
//     knows the same members computes the same map, whatever order it got
//     them in;
//   - adding a node moves slots only to it, and about 1/N of them; removing
//     one moves only its slots, spread over the others;
//   - with 160 points per node the share of the largest node stays within
//     about 25% of the mean for up to 16 nodes (see the tests).
// The hashes are our own (FNV-1a with a SplitMix64 finish) so the map is
// the same on every platform and build.
//
// Thread-compatible; a SlotMap is immutable once built.

#ifndef TWINKV_CORE_CLUSTER_SLOTS_H_
#define TWINKV_CORE_CLUSTER_SLOTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace twinkv {

inline constexpr int kClusterSlots = 16384;

// CRC16/XMODEM of `data`.
uint16_t Crc16(absl::string_view data);

// The part of `key` that is hashed: its hash tag if it has a non-empty
// one, else the whole key.
absl::string_view HashTagOf(absl::string_view key);

// The slot of `key`, in [0, kClusterSlots).
int KeySlot(absl::string_view key);

class SlotMap {
 public:
  static constexpr int kVirtualNodes = 160;

  // The map for the nodes `ids` (any order; duplicates count once). With
  // no nodes, no slot has an owner.
  explicit SlotMap(std::vector<std::string> ids,
                   int virtual_nodes = kVirtualNodes);

  // The node ids, sorted, without duplicates; owners index into this.
  const std::vector<std::string>& nodes() const { return nodes_; }

  // Index in nodes() of the owner of `slot`, or -1 if there are no nodes.
  int owner(int slot) const { return owner_[slot]; }
  // Its id ("" if none).
  const std::string& owner_id(int slot) const;
  // The owner of `key`'s slot.
  int OwnerOfKey(absl::string_view key) const { return owner(KeySlot(key)); }

  // How many slots node `node` (an index in nodes()) owns.
  int CountOf(int node) const;
  // Its slots as inclusive ranges [first, last], ascending (CLUSTER SLOTS).
  std::vector<std::pair<int, int>> RangesOf(int node) const;

 private:
  std::vector<std::string> nodes_;
  std::vector<int16_t> owner_;  // per slot
  std::string none_;            // owner_id() of an unowned slot
};

}  // namespace twinkv

#endif  // TWINKV_CORE_CLUSTER_SLOTS_H_
