#include "core/cluster/slots.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace twinkv {

namespace {

// A fixed 64-bit hash: FNV-1a, then SplitMix64's finalizer (FNV alone
// mixes the last bytes poorly, and the ring needs well-spread points).
uint64_t StableHash(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

}  // namespace

uint16_t Crc16(absl::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

absl::string_view HashTagOf(absl::string_view key) {
  const size_t open = key.find('{');
  if (open == absl::string_view::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == absl::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int KeySlot(absl::string_view key) {
  return Crc16(HashTagOf(key)) & (kClusterSlots - 1);
}

SlotMap::SlotMap(std::vector<std::string> ids, int virtual_nodes)
    : nodes_(std::move(ids)), owner_(kClusterSlots, -1) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
  if (nodes_.empty()) return;
  // The ring: (point, node), sorted. Ties (vanishingly rare) go to the
  // smaller node index, deterministically.
  std::vector<std::pair<uint64_t, int>> ring;
  ring.reserve(nodes_.size() * virtual_nodes);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (int v = 0; v < virtual_nodes; ++v) {
      ring.emplace_back(StableHash(absl::StrCat(nodes_[n], "#", v)),
                        static_cast<int>(n));
    }
  }
  std::sort(ring.begin(), ring.end());
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    const uint64_t point = StableHash(absl::StrCat("slot:", slot));
    auto it = std::lower_bound(
        ring.begin(), ring.end(), std::make_pair(point, -1));
    if (it == ring.end()) it = ring.begin();
    owner_[slot] = static_cast<int16_t>(it->second);
  }
}

const std::string& SlotMap::owner_id(int slot) const {
  const int n = owner_[slot];
  return n < 0 ? none_ : nodes_[n];
}

int SlotMap::CountOf(int node) const {
  return static_cast<int>(std::count(owner_.begin(), owner_.end(), node));
}

std::vector<std::pair<int, int>> SlotMap::RangesOf(int node) const {
  std::vector<std::pair<int, int>> out;
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    if (owner_[slot] != node) continue;
    if (!out.empty() && out.back().second == slot - 1) {
      out.back().second = slot;
    } else {
      out.emplace_back(slot, slot);
    }
  }
  return out;
}

}  // namespace twinkv
