// TimeWheel: a hierarchical timing wheel of deadlines in milliseconds, for
// active expiry (core/db.h keeps one per database, keyed by key bytes).
//
// Shape: 11 levels of 64 slots. An item is placed by the highest 6-bit
// group in which its deadline differs from the wheel's cursor (the time up
// to which the wheel has been drained): level L holds items whose deadline
// shares every group above L with the cursor, slot = the deadline's group
// L. Hence every item of level L is earlier than every item of level L+1,
// and within a level slots are in time order: the earliest item is in the
// first occupied slot (a 64-bit occupancy mask per level) of the lowest
// occupied level. Level 0 slots hold one exact millisecond each. When the
// cursor reaches a slot of level L >= 1 its items move down ("cascade");
// an item cascades at most 10 times in its life. Items added with a
// deadline before the cursor go to a small overdue list.
//
// Complexity (n items): Add O(1) amortised; NextDue O(1) (each slot of
// level >= 1 keeps its minimum); PopDue O(k + cascaded items) for k items
// returned (amortised O(1) per item over its life); Remove O(items in the
// item's slot); RemoveIf O(n). Memory: one Item per entry plus 2 KB per
// level in use (levels are allocated on first use).
//
// Deadlines are int64 milliseconds in any range (mapped order-preservingly
// to uint64). Duplicate (deadline, value) pairs are allowed.
//
// Single-threaded; reads no clock: callers pass the time.

#ifndef TWINKV_CORE_TIME_WHEEL_H_
#define TWINKV_CORE_TIME_WHEEL_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace twinkv {

template <typename T>
class TimeWheel {
 public:
  struct Item {
    int64_t when_ms;
    T value;
  };

  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;
  static constexpr int kLevels = 11;  // 11 * 6 >= 64 bits

  TimeWheel() = default;
  TimeWheel(const TimeWheel&) = delete;
  TimeWheel& operator=(const TimeWheel&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Adds an item due at `when_ms` (which may already be past).
  void Add(int64_t when_ms, T value) {
    ++size_;
    Place(Item{when_ms, std::move(value)});
  }

  // Removes one item equal to (when_ms, value); false if there is none.
  bool Remove(int64_t when_ms, const T& value) {
    const uint64_t u = Biased(when_ms);
    if (u < cursor_) {
      for (size_t i = 0; i < overdue_.size(); ++i) {
        if (overdue_[i].when_ms == when_ms && overdue_[i].value == value) {
          overdue_[i] = std::move(overdue_.back());
          overdue_.pop_back();
          --size_;
          RecomputeOverdueMin();
          return true;
        }
      }
      return false;
    }
    const auto [level, slot_index] = Position(u);
    if (levels_[level] == nullptr) return false;
    Slot& slot = levels_[level]->slots[slot_index];
    for (size_t i = 0; i < slot.items.size(); ++i) {
      if (slot.items[i].when_ms == when_ms && slot.items[i].value == value) {
        slot.items[i] = std::move(slot.items.back());
        slot.items.pop_back();
        --size_;
        AfterShrink(level, slot_index,
                    /*recompute_min=*/level > 0 && when_ms == slot.min_ms);
        return true;
      }
    }
    return false;
  }

  // Removes every item for which pred(when_ms, value) is true; returns how
  // many. O(n).
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    size_t removed = 0;
    auto sweep = [&](std::vector<Item>& items) {
      const size_t before = items.size();
      items.erase(std::remove_if(items.begin(), items.end(),
                                 [&](const Item& it) {
                                   return pred(it.when_ms, it.value);
                                 }),
                  items.end());
      removed += before - items.size();
    };
    sweep(overdue_);
    RecomputeOverdueMin();
    for (int level = 0; level < kLevels; ++level) {
      if (levels_[level] == nullptr) continue;
      uint64_t mask = levels_[level]->occupied;
      while (mask != 0) {
        const int s = __builtin_ctzll(mask);
        mask &= mask - 1;
        sweep(levels_[level]->slots[s].items);
        AfterShrink(level, s, /*recompute_min=*/level > 0);
      }
    }
    size_ -= removed;
    return removed;
  }

  // The earliest deadline held, or nullopt when empty.
  std::optional<int64_t> NextDue() const {
    if (!overdue_.empty()) return overdue_min_;
    if (level_mask_ == 0) return std::nullopt;
    const int level = __builtin_ctz(level_mask_);
    const Level& lv = *levels_[level];
    return lv.slots[__builtin_ctzll(lv.occupied)].min_ms;
  }

  // Moves up to `max_items` items with when_ms <= now_ms to the end of
  // *out, earliest first (ties in no particular order), and returns how
  // many. Items not returned stay. `now_ms` may be earlier than a previous
  // call's (then fewer items are due); the wheel never un-drains.
  size_t PopDue(int64_t now_ms, size_t max_items, std::vector<Item>* out) {
    size_t n = 0;
    const uint64_t un = Biased(now_ms);
    if (!overdue_.empty() && overdue_min_ <= now_ms && max_items > 0) {
      std::sort(overdue_.begin(), overdue_.end(),
                [](const Item& a, const Item& b) { return a.when_ms < b.when_ms; });
      size_t take = 0;
      while (take < overdue_.size() && take < max_items &&
             overdue_[take].when_ms <= now_ms) {
        out->push_back(std::move(overdue_[take]));
        ++take;
      }
      overdue_.erase(overdue_.begin(), overdue_.begin() + take);
      RecomputeOverdueMin();
      n += take;
      size_ -= take;
    }
    // Overdue items left are all due (and earlier than anything below);
    // the structure must wait for them to keep the output ordered.
    if (!overdue_.empty() && overdue_min_ <= now_ms) return n;
    while (n < max_items) {
      if (level_mask_ == 0) {
        if (un > cursor_ && overdue_.empty()) cursor_ = un;
        break;
      }
      const int level = __builtin_ctz(level_mask_);
      Level& lv = *levels_[level];
      const int s = __builtin_ctzll(lv.occupied);
      const uint64_t start = BlockStart(level, s);
      if (start > un) break;
      Slot& slot = lv.slots[s];
      if (level == 0) {
        while (n < max_items && !slot.items.empty()) {
          out->push_back(std::move(slot.items.back()));
          slot.items.pop_back();
          --size_;
          ++n;
        }
        if (slot.items.empty()) {
          AfterShrink(0, s, /*recompute_min=*/false);
          cursor_ = start;
        }
      } else {
        // Everything earlier is gone: the cursor may move to the slot's
        // start, and its items then belong to lower levels.
        cursor_ = start;
        std::vector<Item> items = std::move(slot.items);
        slot.items.clear();
        AfterShrink(level, s, /*recompute_min=*/false);
        for (Item& item : items) Place(std::move(item));
      }
    }
    return n;
  }

  void Clear() {
    for (auto& level : levels_) level.reset();
    level_mask_ = 0;
    overdue_.clear();
    size_ = 0;
  }

 private:
  struct Slot {
    std::vector<Item> items;
    int64_t min_ms = 0;  // valid while items is non-empty
  };
  struct Level {
    uint64_t occupied = 0;
    std::array<Slot, kSlots> slots;
  };

  // int64 order as uint64 order.
  static uint64_t Biased(int64_t ms) {
    return static_cast<uint64_t>(ms) ^ (uint64_t{1} << 63);
  }

  // Requires u >= cursor_.
  std::pair<int, int> Position(uint64_t u) const {
    const uint64_t x = u ^ cursor_;
    const int level = x == 0 ? 0 : (63 - __builtin_clzll(x)) / kSlotBits;
    const int slot = static_cast<int>((u >> (kSlotBits * level)) & (kSlots - 1));
    return {level, slot};
  }

  // The first millisecond (biased) of slot `s` of `level` at the cursor.
  uint64_t BlockStart(int level, int s) const {
    const int shift = kSlotBits * (level + 1);
    const uint64_t high = shift >= 64 ? 0 : (cursor_ >> shift) << shift;
    return high | (static_cast<uint64_t>(s) << (kSlotBits * level));
  }

  void Place(Item item) {
    const uint64_t u = Biased(item.when_ms);
    if (u < cursor_) {
      if (overdue_.empty() || item.when_ms < overdue_min_) {
        overdue_min_ = item.when_ms;
      }
      overdue_.push_back(std::move(item));
      return;
    }
    const auto [level, s] = Position(u);
    if (levels_[level] == nullptr) levels_[level] = std::make_unique<Level>();
    Level& lv = *levels_[level];
    Slot& slot = lv.slots[s];
    if (slot.items.empty() || item.when_ms < slot.min_ms) {
      slot.min_ms = item.when_ms;
    }
    slot.items.push_back(std::move(item));
    lv.occupied |= uint64_t{1} << s;
    level_mask_ |= 1u << level;
  }

  // After items left slot `s` of `level`: fixes the masks, and the
  // slot's minimum if asked (O(slot); a level-0 slot's items all share one
  // deadline, so it never needs it).
  void AfterShrink(int level, int s, bool recompute_min) {
    Level& lv = *levels_[level];
    Slot& slot = lv.slots[s];
    if (slot.items.empty()) {
      std::vector<Item>().swap(slot.items);  // a drained burst frees memory
      lv.occupied &= ~(uint64_t{1} << s);
      if (lv.occupied == 0) level_mask_ &= ~(1u << level);
      return;
    }
    if (!recompute_min) return;
    int64_t m = slot.items[0].when_ms;
    for (const Item& it : slot.items) m = std::min(m, it.when_ms);
    slot.min_ms = m;
  }

  void RecomputeOverdueMin() {
    if (overdue_.empty()) return;
    int64_t m = overdue_[0].when_ms;
    for (const Item& it : overdue_) m = std::min(m, it.when_ms);
    overdue_min_ = m;
  }

  std::array<std::unique_ptr<Level>, kLevels> levels_;
  uint32_t level_mask_ = 0;
  uint64_t cursor_ = 0;  // biased; every structured item is >= it
  std::vector<Item> overdue_;  // items whose deadline is < cursor_
  int64_t overdue_min_ = 0;    // valid while overdue_ is non-empty
  size_t size_ = 0;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_TIME_WHEEL_H_
