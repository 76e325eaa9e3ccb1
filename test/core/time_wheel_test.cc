// TimeWheel against a std::multimap model: PopDue returns exactly the due
// items, earliest first; NextDue is the minimum; removals are respected.
// RapidCheck prints the seed of a failing run (and reproduces it with
// RC_PARAMS="reproduce=...").

#include "core/time_wheel.h"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

using Wheel = TimeWheel<int>;

TEST(TimeWheelTest, EmptyHasNoDeadline) {
  Wheel w;
  EXPECT_FALSE(w.NextDue().has_value());
  std::vector<Wheel::Item> out;
  EXPECT_EQ(w.PopDue(1000, 10, &out), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(TimeWheelTest, PopsAtDeadlineNotBefore) {
  Wheel w;
  std::vector<Wheel::Item> out;
  EXPECT_EQ(w.PopDue(1'767'225'600'000, 10, &out), 0u);  // moves the cursor
  w.Add(1'767'225'600'100, 7);
  EXPECT_EQ(w.NextDue(), 1'767'225'600'100);
  EXPECT_EQ(w.PopDue(1'767'225'600'099, 10, &out), 0u);
  EXPECT_EQ(w.PopDue(1'767'225'600'100, 10, &out), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, 7);
  EXPECT_TRUE(w.empty());
}

TEST(TimeWheelTest, BudgetSplitsABurst) {
  Wheel w;
  for (int i = 0; i < 1000; ++i) w.Add(5000, i);
  std::vector<Wheel::Item> out;
  EXPECT_EQ(w.PopDue(5000, 300, &out), 300u);
  EXPECT_EQ(w.size(), 700u);
  EXPECT_EQ(w.NextDue(), 5000);
  EXPECT_EQ(w.PopDue(6000, 1000, &out), 700u);
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_TRUE(w.empty());
}

TEST(TimeWheelTest, FarAndNegativeDeadlines) {
  Wheel w;
  w.Add(INT64_MAX - 1, 1);
  w.Add(-5, 2);
  w.Add(INT64_MIN, 3);
  EXPECT_EQ(w.NextDue(), INT64_MIN);
  std::vector<Wheel::Item> out;
  EXPECT_EQ(w.PopDue(0, 10, &out), 2u);
  EXPECT_EQ(out[0].value, 3);
  EXPECT_EQ(out[1].value, 2);
  EXPECT_EQ(w.NextDue(), INT64_MAX - 1);
  EXPECT_EQ(w.PopDue(INT64_MAX, 10, &out), 1u);
  EXPECT_EQ(out[2].value, 1);
}

// Random operations on a wheel and a multimap (when -> value): after each
// step the wheel's size and NextDue agree with the model, and PopDue
// returns the model's due items, earliest first.
RC_GTEST_PROP(TimeWheelProperty, AgreesWithMultimap, ()) {
  Wheel w;
  std::multimap<int64_t, int> model;
  // Times cluster around a base so slots collide, with occasional far ones
  // to exercise the upper levels and cascades.
  const int64_t base = *rc::gen::inRange<int64_t>(-1'000'000, 2'000'000'000'000);
  int64_t now = base;
  int next_value = 0;
  const int steps = *rc::gen::inRange(1, 200);
  for (int step = 0; step < steps; ++step) {
    switch (*rc::gen::inRange(0, 5)) {
      case 0:
      case 1: {  // add (possibly already past)
        const int64_t delta = *rc::gen::oneOf(
            rc::gen::inRange<int64_t>(-100, 200),
            rc::gen::inRange<int64_t>(-100'000, 10'000'000),
            rc::gen::inRange<int64_t>(0, int64_t{1} << 40));
        const int64_t when = now + delta;
        w.Add(when, next_value);
        model.emplace(when, next_value);
        ++next_value;
        break;
      }
      case 2: {  // remove one present item, or an absent one
        if (!model.empty() && *rc::gen::arbitrary<bool>()) {
          auto it = model.begin();
          std::advance(it, *rc::gen::inRange<size_t>(0, model.size()));
          RC_ASSERT(w.Remove(it->first, it->second));
          model.erase(it);
        } else {
          RC_ASSERT(!w.Remove(now + 3, -1));
        }
        break;
      }
      case 3: {  // time passes (never backwards, like the engine's clock)
        now += *rc::gen::oneOf(rc::gen::inRange<int64_t>(0, 300),
                               rc::gen::inRange<int64_t>(0, 50'000'000));
        const size_t budget = *rc::gen::inRange<size_t>(0, 20);
        std::vector<Wheel::Item> out;
        const size_t n = w.PopDue(now, budget, &out);
        RC_ASSERT(n == out.size());
        const size_t due = static_cast<size_t>(std::distance(
            model.begin(), model.upper_bound(now)));
        RC_ASSERT(n == std::min(budget, due));
        int64_t prev = INT64_MIN;
        for (const Wheel::Item& item : out) {
          RC_ASSERT(item.when_ms <= now);
          RC_ASSERT(item.when_ms >= prev);  // earliest first
          prev = item.when_ms;
          auto range = model.equal_range(item.when_ms);
          auto found = range.first;
          while (found != range.second && found->second != item.value) ++found;
          RC_ASSERT(found != range.second);
          model.erase(found);
        }
        // What stayed is no earlier than what was returned.
        if (!model.empty() && !out.empty()) {
          RC_ASSERT(model.begin()->first >= out.back().when_ms);
        }
        break;
      }
      case 4: {  // RemoveIf on a value predicate
        const int mod = *rc::gen::inRange(2, 5);
        const size_t removed =
            w.RemoveIf([&](int64_t, int v) { return v % mod == 0; });
        size_t expected = 0;
        for (auto it = model.begin(); it != model.end();) {
          if (it->second % mod == 0) {
            it = model.erase(it);
            ++expected;
          } else {
            ++it;
          }
        }
        RC_ASSERT(removed == expected);
        break;
      }
    }
    RC_ASSERT(w.size() == model.size());
    if (model.empty()) {
      RC_ASSERT(!w.NextDue().has_value());
    } else {
      RC_ASSERT(w.NextDue().has_value());
      RC_ASSERT(*w.NextDue() == model.begin()->first);
    }
  }
  // Draining at the end of time returns everything.
  std::vector<Wheel::Item> out;
  w.PopDue(INT64_MAX, SIZE_MAX, &out);
  RC_ASSERT(out.size() == model.size());
  RC_ASSERT(w.empty());
}

}  // namespace
}  // namespace twinkv
