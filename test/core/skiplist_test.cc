// Tests of the skip list: examples, then RapidCheck properties that rank,
// range, count and range deletion agree with a sorted std::vector model
// under random operations. RapidCheck prints the seed of a failing run
// (replay with RC_PARAMS="seed=N").

#include "core/skiplist.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "test/core/test_runtime.h"

namespace twinkv {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using Elem = std::pair<double, std::string>;  // (score, member): sort order

std::vector<Elem> Contents(const SkipList& l) {
  std::vector<Elem> out;
  for (const SkipList::Node* n = l.First(); n != nullptr; n = n->next()) {
    out.emplace_back(n->score(), std::string(n->member()));
  }
  return out;
}

std::vector<Elem> ContentsBackward(const SkipList& l) {
  std::vector<Elem> out;
  for (const SkipList::Node* n = l.Last(); n != nullptr; n = n->prev()) {
    out.emplace_back(n->score(), std::string(n->member()));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

TEST(SkipListTest, OrdersByScoreThenMemberBytes) {
  TestRuntime rt(7);
  SkipList l;
  l.Insert(2, "b", rt.random());
  l.Insert(1, "z", rt.random());
  l.Insert(2, "a", rt.random());
  l.Insert(2, "ab", rt.random());
  l.Insert(-kInf, "m", rt.random());
  static const std::string kNul("a\0", 2);  // nodes view members' bytes
  l.Insert(2, kNul, rt.random());
  std::vector<Elem> want = {{-kInf, "m"}, {1, "z"},
                            {2, "a"},     {2, std::string("a\0", 2)},
                            {2, "ab"},    {2, "b"}};
  EXPECT_EQ(Contents(l), want);
  EXPECT_EQ(ContentsBackward(l), want);
  EXPECT_EQ(l.size(), 6u);
  EXPECT_EQ(l.Rank(2, "ab"), 4);
  EXPECT_EQ(l.Rank(2, "zz"), -1);
  EXPECT_EQ(l.Rank(3, "ab"), -1);
  EXPECT_EQ(l.ByRank(0)->member(), "m");
  EXPECT_EQ(l.ByRank(5)->member(), "b");
  EXPECT_EQ(l.ByRank(6), nullptr);
}

TEST(SkipListTest, DeleteAndUpdate) {
  TestRuntime rt(3);
  SkipList l;
  // The list views its members' bytes: keep them alive.
  std::deque<std::string> names;
  for (int i = 0; i < 100; ++i) {
    l.Insert(i, names.emplace_back(std::to_string(i)), rt.random());
  }
  EXPECT_TRUE(l.Delete(50, "50"));
  EXPECT_FALSE(l.Delete(50, "50"));
  EXPECT_FALSE(l.Delete(51, "52"));  // right member, wrong score
  EXPECT_EQ(l.size(), 99u);
  EXPECT_EQ(l.Rank(51, "51"), 50);
  const SkipList::Node* n = l.UpdateScore(0, "0", 1000, rt.random());
  EXPECT_EQ(n->score(), 1000);
  EXPECT_EQ(l.Last()->member(), "0");
  EXPECT_EQ(l.First()->member(), "1");
  n = l.UpdateScore(1, "1", 1.5, rt.random());  // stays in place
  EXPECT_EQ(l.First(), n);
  EXPECT_EQ(l.Rank(1000, "0"), 98);
}

TEST(SkipListTest, ScoreRanges) {
  TestRuntime rt(5);
  SkipList l;
  std::deque<std::string> names;  // the list views its members' bytes
  for (int i = 1; i <= 5; ++i)
    l.Insert(i, names.emplace_back(1, 'a' + i), rt.random());
  ScoreRange r{2, 4, false, false};
  EXPECT_EQ(l.FirstInRange(r)->score(), 2);
  EXPECT_EQ(l.LastInRange(r)->score(), 4);
  r = {2, 4, true, true};
  EXPECT_EQ(l.FirstInRange(r)->score(), 3);
  EXPECT_EQ(l.LastInRange(r)->score(), 3);
  r = {3, 3, true, false};
  EXPECT_TRUE(r.Empty());
  EXPECT_EQ(l.FirstInRange(r), nullptr);
  r = {-kInf, kInf, false, false};
  EXPECT_EQ(l.FirstInRange(r)->score(), 1);
  EXPECT_EQ(l.LastInRange(r)->score(), 5);
  EXPECT_EQ(l.CountBelow(r) + l.CountAbove(r), 0u);
  r = {6, kInf, false, false};
  EXPECT_EQ(l.FirstInRange(r), nullptr);
  EXPECT_EQ(l.LastInRange(r), nullptr);
  r = {2, 3, false, false};
  EXPECT_EQ(l.CountBelow(r), 1u);
  EXPECT_EQ(l.CountAbove(r), 2u);
}

TEST(SkipListTest, LexRanges) {
  TestRuntime rt(5);
  SkipList l;
  for (const char* m : {"a", "b", "c", "d", "e"}) l.Insert(0, m, rt.random());
  LexRange r;
  r.min = "b";
  r.min_bound = LexRange::Bound::kInclusive;
  r.max = "d";
  r.max_bound = LexRange::Bound::kExclusive;
  EXPECT_EQ(l.FirstInLexRange(r)->member(), "b");
  EXPECT_EQ(l.LastInLexRange(r)->member(), "c");
  EXPECT_EQ(l.CountBelowLex(r), 1u);
  EXPECT_EQ(l.CountAboveLex(r), 2u);
  r.min_bound = LexRange::Bound::kPlusInf;
  EXPECT_TRUE(r.Empty());
  EXPECT_EQ(l.FirstInLexRange(r), nullptr);
  r.min_bound = LexRange::Bound::kMinusInf;
  r.max_bound = LexRange::Bound::kPlusInf;
  EXPECT_FALSE(r.Empty());
  std::vector<std::string> deleted;
  EXPECT_EQ(l.DeleteRangeByLex(
                r, [&](absl::string_view m) { deleted.emplace_back(m); }),
            5u);
  EXPECT_EQ(deleted, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.First(), nullptr);
  EXPECT_EQ(l.Last(), nullptr);
}

TEST(SkipListTest, LexRangeEmptiness) {
  using B = LexRange::Bound;
  auto make = [](B a, const char* x, B b, const char* y) {
    LexRange r;
    r.min_bound = a;
    r.min = x;
    r.max_bound = b;
    r.max = y;
    return r;
  };
  EXPECT_FALSE(make(B::kInclusive, "a", B::kInclusive, "a").Empty());
  EXPECT_TRUE(make(B::kExclusive, "a", B::kInclusive, "a").Empty());
  EXPECT_TRUE(make(B::kInclusive, "b", B::kInclusive, "a").Empty());
  EXPECT_TRUE(make(B::kPlusInf, "", B::kPlusInf, "").Empty());
  EXPECT_TRUE(make(B::kPlusInf, "", B::kInclusive, "z").Empty());
  EXPECT_FALSE(make(B::kMinusInf, "", B::kInclusive, "").Empty());
  EXPECT_TRUE(make(B::kInclusive, "a", B::kMinusInf, "").Empty());
}

// --- Properties against a sorted vector. ---

rc::Gen<double> GenScore() {
  return rc::gen::elementOf(
      std::vector<double>{-kInf, -2, -1.5, 0, 1, 2, 2.5, 3, kInf});
}
rc::Gen<std::string> GenMember() {
  return rc::gen::elementOf(
      std::vector<std::string>{"", "a", "b", "aa", "ab", "ba", "bb", "aab",
                               "abb", "b\xff", std::string("a\0", 2)});
}

struct Op {
  int kind;  // 0 insert/update, 1 delete, 2 delete range by score,
             // 3 delete range by rank
  double score;
  std::string member;
  ScoreRange range;
  size_t a, b;
};

rc::Gen<ScoreRange> GenRange() {
  return rc::gen::map(
      rc::gen::tuple(GenScore(), GenScore(), rc::gen::arbitrary<bool>(),
                     rc::gen::arbitrary<bool>()),
      [](const std::tuple<double, double, bool, bool>& t) {
        return ScoreRange{std::get<0>(t), std::get<1>(t), std::get<2>(t),
                          std::get<3>(t)};
      });
}

// Checks every query of `l` against the sorted model.
void CheckAgainst(const SkipList& l, const std::vector<Elem>& model,
                  const std::vector<ScoreRange>& ranges) {
  RC_ASSERT(l.size() == model.size());
  RC_ASSERT(Contents(l) == model);
  RC_ASSERT(ContentsBackward(l) == model);
  for (size_t i = 0; i < model.size(); ++i) {
    RC_ASSERT(l.Rank(model[i].first, model[i].second) ==
              static_cast<int64_t>(i));
    const SkipList::Node* n = l.ByRank(i);
    RC_ASSERT(n != nullptr);
    RC_ASSERT(n->member() == model[i].second);
  }
  RC_ASSERT(l.ByRank(model.size()) == nullptr);
  for (const ScoreRange& r : ranges) {
    std::vector<size_t> in;
    size_t below = 0, above = 0;
    for (size_t i = 0; i < model.size(); ++i) {
      if (r.Contains(model[i].first)) in.push_back(i);
      if (!r.AboveMin(model[i].first)) ++below;
      if (!r.BelowMax(model[i].first)) ++above;
    }
    const SkipList::Node* first = l.FirstInRange(r);
    const SkipList::Node* last = l.LastInRange(r);
    if (in.empty()) {
      RC_ASSERT(first == nullptr);
      RC_ASSERT(last == nullptr);
    } else {
      RC_ASSERT(first != nullptr);
      RC_ASSERT(last != nullptr);
      RC_ASSERT(first->member() == model[in.front()].second);
      RC_ASSERT(first->score() == model[in.front()].first);
      RC_ASSERT(last->member() == model[in.back()].second);
      RC_ASSERT(last->score() == model[in.back()].first);
    }
    RC_ASSERT(l.CountBelow(r) == below);
    RC_ASSERT(l.CountAbove(r) == above);
  }
}

RC_GTEST_PROP(SkipListProperty, AgreesWithSortedVector, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  RC_TAG(seed);  // the level draws; shown with the failing case
  TestRuntime rt(seed);
  SkipList l;
  std::vector<Elem> model;
  std::deque<std::string> storage;
  const int ops = *rc::gen::inRange(0, 120);
  for (int k = 0; k < ops; ++k) {
    const int kind =
        *rc::gen::weightedElement<int>({{6, 0}, {3, 1}, {1, 2}, {1, 3}});
    if (kind == 0) {
      double score = *GenScore();
      std::string member = *GenMember();
      auto it = std::find_if(model.begin(), model.end(),
                             [&](const Elem& e) { return e.second == member; });
      if (it == model.end()) {
        // The list views the member's bytes: keep them alive (a deque
        // never moves its elements).
        l.Insert(score, storage.emplace_back(member), rt.random());
      } else {
        const SkipList::Node* n =
            l.UpdateScore(it->first, member, score, rt.random());
        RC_ASSERT(n->score() == score);
        RC_ASSERT(n->member() == member);
        model.erase(it);
      }
      model.emplace_back(score, member);
    } else if (kind == 1) {
      double score = *GenScore();
      std::string member = *GenMember();
      auto it = std::find(model.begin(), model.end(), Elem(score, member));
      RC_ASSERT(l.Delete(score, member) == (it != model.end()));
      if (it != model.end()) model.erase(it);
    } else if (kind == 2) {
      ScoreRange r = *GenRange();
      std::vector<std::string> want, got;
      std::vector<Elem> kept;
      std::sort(model.begin(), model.end());
      for (const Elem& e : model) {
        (r.Contains(e.first) ? want.push_back(e.second) : kept.push_back(e));
      }
      RC_ASSERT(l.DeleteRangeByScore(r, [&](absl::string_view m) {
        got.emplace_back(m);
      }) == want.size());
      RC_ASSERT(got == want);
      model = kept;
    } else if (!model.empty()) {
      std::sort(model.begin(), model.end());
      size_t a = *rc::gen::inRange<size_t>(0, model.size());
      size_t b = *rc::gen::inRange<size_t>(a, model.size());
      std::vector<std::string> got;
      RC_ASSERT(l.DeleteRangeByRank(a, b, [&](absl::string_view m) {
        got.emplace_back(m);
      }) == b - a + 1);
      for (size_t i = a; i <= b; ++i) RC_ASSERT(got[i - a] == model[i].second);
      model.erase(model.begin() + a, model.begin() + b + 1);
    }
    std::sort(model.begin(), model.end());
  }
  std::vector<ScoreRange> ranges =
      *rc::gen::container<std::vector<ScoreRange>>(8, GenRange());
  CheckAgainst(l, model, ranges);
}

// Lex queries are defined when every score is equal (Redis's contract).
RC_GTEST_PROP(SkipListProperty, LexRangesAgreeWithSortedVector, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  RC_TAG(seed);
  TestRuntime rt(seed);
  std::set<std::string> members =
      *rc::gen::container<std::set<std::string>>(GenMember());
  SkipList l;
  for (const std::string& m : members) l.Insert(1, m, rt.random());
  std::vector<std::string> model(members.begin(), members.end());
  auto gen_bound = rc::gen::elementOf(std::vector<LexRange::Bound>{
      LexRange::Bound::kInclusive, LexRange::Bound::kExclusive,
      LexRange::Bound::kMinusInf, LexRange::Bound::kPlusInf});
  for (int k = 0; k < 10; ++k) {
    LexRange r;
    r.min_bound = *gen_bound;
    r.max_bound = *gen_bound;
    r.min = *GenMember();
    r.max = *GenMember();
    std::vector<size_t> in;
    size_t below = 0, above = 0;
    for (size_t i = 0; i < model.size(); ++i) {
      if (!r.Empty() && r.Contains(model[i])) in.push_back(i);
      below += !r.AboveMin(model[i]);
      above += !r.BelowMax(model[i]);
    }
    const SkipList::Node* first = l.FirstInLexRange(r);
    const SkipList::Node* last = l.LastInLexRange(r);
    if (in.empty()) {
      RC_ASSERT(first == nullptr);
      RC_ASSERT(last == nullptr);
    } else {
      RC_ASSERT(first != nullptr && first->member() == model[in.front()]);
      RC_ASSERT(last != nullptr && last->member() == model[in.back()]);
    }
    RC_ASSERT(l.CountBelowLex(r) == below);
    RC_ASSERT(l.CountAboveLex(r) == above);
  }
  // Delete one random lex range and compare what is left.
  LexRange r;
  r.min_bound = *gen_bound;
  r.max_bound = *gen_bound;
  r.min = *GenMember();
  r.max = *GenMember();
  std::vector<std::string> kept, want, got;
  for (const std::string& m : model) {
    (!r.Empty() && r.Contains(m) ? want : kept).push_back(m);
  }
  RC_ASSERT(l.DeleteRangeByLex(r, [&](absl::string_view m) {
    got.emplace_back(m);
  }) == want.size());
  RC_ASSERT(got == want);
  std::vector<std::string> left;
  for (const SkipList::Node* n = l.First(); n != nullptr; n = n->next()) {
    left.emplace_back(n->member());
  }
  RC_ASSERT(left == kept);
}

}  // namespace
}  // namespace twinkv
