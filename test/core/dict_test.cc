// Tests of the hash table (core/dict.h): lookups, growth and shrinking with
// incremental rehashing, pointer stability, SCAN, random picks, memory
// accounting; and two RapidCheck properties: a Dict behaves like a std::map,
// and SCAN returns every key present for the whole iteration while the
// table grows and shrinks under it.

#include "core/dict.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

// splitmix64, seeded by the test (printed by the tests that use it).
class SeededRandom : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next64() override {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// All keys of one full SCAN iteration, with multiplicity.
std::multiset<std::string> FullScan(Dict<int>& d) {
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = d.Scan(cursor, [&](absl::string_view k, int&) {
      seen.emplace(k);
    });
  } while (cursor != 0);
  return seen;
}

TEST(DictHashTest, DeterministicAndSeeded) {
  EXPECT_EQ(DictHash("hello", 1), DictHash("hello", 1));
  EXPECT_NE(DictHash("hello", 1), DictHash("hello", 2));
  EXPECT_NE(DictHash("hello", 1), DictHash("hellp", 1));
  // Every length path (0, 1-3, 4-16, > 16) sees every byte.
  for (size_t len = 0; len < 40; ++len) {
    std::string s(len, 'a');
    for (size_t i = 0; i < len; ++i) {
      std::string t = s;
      t[i] = 'b';
      EXPECT_NE(DictHash(s, 7), DictHash(t, 7)) << len << " " << i;
    }
    EXPECT_NE(DictHash(s, 7), DictHash(s + '\0', 7)) << len;
  }
}

TEST(DictHashTest, LowBitsSpreadSequentialKeys) {
  // 4096 sequential keys into 4096 buckets: a good hash leaves about 1/e
  // of the buckets empty; a bad one (low bits ignoring the key) far more.
  constexpr int kN = 4096;
  std::vector<int> buckets(kN);
  for (int i = 0; i < kN; ++i) {
    ++buckets[DictHash(absl::StrCat("key:", i), 0) & (kN - 1)];
  }
  int empty = 0;
  for (int b : buckets) empty += b == 0;
  EXPECT_GT(empty, kN * 0.30);
  EXPECT_LT(empty, kN * 0.44);
}

TEST(DictTest, SetFindEraseTake) {
  Dict<std::string> d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.Find("a"), nullptr);
  EXPECT_FALSE(d.Erase("a"));
  EXPECT_TRUE(d.Set("a", "1"));
  EXPECT_FALSE(d.Set("a", "2"));
  ASSERT_NE(d.Find("a"), nullptr);
  EXPECT_EQ(*d.Find("a"), "2");
  const Dict<std::string>& cd = d;
  EXPECT_EQ(*cd.Find("a"), "2");
  bool inserted = false;
  std::string* v = d.FindOrInsert("b", &inserted);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(*v, "");
  *v = "3";
  EXPECT_EQ(d.FindOrInsert("b", &inserted), v);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(d.size(), 2u);
  std::string out = "untouched";
  EXPECT_FALSE(d.Take("zz", &out));
  EXPECT_EQ(out, "untouched");
  EXPECT_TRUE(d.Take("b", &out));
  EXPECT_EQ(out, "3");
  EXPECT_TRUE(d.Erase("a"));
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.Find("a"), nullptr);
}

TEST(DictTest, KeysAreBinarySafeAndMayBeEmpty) {
  Dict<int> d;
  std::string k1("a\0b", 3);
  std::string k2("a\0c", 3);
  d.Set(k1, 1);
  d.Set(k2, 2);
  d.Set("", 3);
  d.Set("a", 4);
  EXPECT_EQ(*d.Find(k1), 1);
  EXPECT_EQ(*d.Find(k2), 2);
  EXPECT_EQ(*d.Find(""), 3);
  EXPECT_EQ(*d.Find("a"), 4);
  EXPECT_EQ(d.Find(absl::string_view("a\0", 2)), nullptr);
  std::multiset<std::string> all = FullScan(d);
  EXPECT_EQ(all, (std::multiset<std::string>{"", "a", k1, k2}));
}

TEST(DictTest, GrowsAtLoadOneIncrementallyAndShrinksBelowAnEighth) {
  Dict<int> d;
  EXPECT_EQ(d.bucket_count(), 0u);
  for (int i = 0; i < 4; ++i) d.Set(absl::StrCat(i), i);
  EXPECT_EQ(d.bucket_count(), 4u);
  EXPECT_FALSE(d.rehashing());
  d.Set("4", 4);  // load reached 1: a resize to 8 starts
  EXPECT_TRUE(d.rehashing());
  // Each operation moves a bucket; a few lookups finish the resize.
  for (int i = 0; i < 20 && d.rehashing(); ++i) d.Find("0");
  EXPECT_FALSE(d.rehashing());
  EXPECT_EQ(d.bucket_count(), 8u);
  for (int i = 5; i < 1000; ++i) d.Set(absl::StrCat(i), i);
  while (d.rehashing()) d.Find("x");
  EXPECT_EQ(d.bucket_count(), 1024u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(*d.Find(absl::StrCat(i)), i);
  // Down to 128 entries (1/8 of 1024): no shrink yet.
  for (int i = 128; i < 1000; ++i) ASSERT_TRUE(d.Erase(absl::StrCat(i)));
  EXPECT_EQ(d.bucket_count(), 1024u);
  EXPECT_FALSE(d.rehashing());
  ASSERT_TRUE(d.Erase("127"));  // 127 < 128: shrink to 128 buckets
  EXPECT_TRUE(d.rehashing());
  while (d.rehashing()) d.Find("x");
  EXPECT_EQ(d.bucket_count(), 128u);
  for (int i = 0; i < 127; ++i) ASSERT_EQ(*d.Find(absl::StrCat(i)), i);
  EXPECT_EQ(d.size(), 127u);
}

TEST(DictTest, ValuePointersSurviveRehashing) {
  Dict<int> d;
  std::vector<int*> ptrs;
  for (int i = 0; i < 500; ++i) {
    bool inserted;
    int* p = d.FindOrInsert(absl::StrCat("k", i), &inserted);
    *p = i;
    ptrs.push_back(p);
  }
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(d.Find(absl::StrCat("k", i)), ptrs[i]);
    EXPECT_EQ(*ptrs[i], i);
  }
}

TEST(DictTest, MoveAndClear) {
  Dict<std::string> a;
  for (int i = 0; i < 100; ++i) a.Set(absl::StrCat(i), absl::StrCat("v", i));
  Dict<std::string> b(std::move(a));
  EXPECT_EQ(b.size(), 100u);
  EXPECT_EQ(*b.Find("42"), "v42");
  Dict<std::string> c;
  c.Set("x", "y");
  c = std::move(b);
  EXPECT_EQ(c.size(), 100u);
  EXPECT_EQ(c.Find("x"), nullptr);
  c.Clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.AllocatedBytes(), 0u);
  c.Set("again", "ok");
  EXPECT_EQ(*c.Find("again"), "ok");
}

TEST(DictTest, OwnsItsValues) {
  Dict<std::unique_ptr<int>> d;
  d.Set("a", std::make_unique<int>(1));
  d.Set("a", std::make_unique<int>(2));
  d.Set("b", std::make_unique<int>(3));
  EXPECT_EQ(**d.Find("a"), 2);
  std::unique_ptr<int> out;
  EXPECT_TRUE(d.Take("b", &out));
  EXPECT_EQ(*out, 3);
  // The rest is freed by the destructor (a leak checker would see it).
}

TEST(DictTest, AllocatedBytesTracksNodesAndTables) {
  Dict<int64_t> d;
  EXPECT_EQ(d.AllocatedBytes(), 0u);
  d.Set("k", 1);
  const size_t one = d.AllocatedBytes();
  EXPECT_GE(one, 4 * sizeof(void*) + 8 + 8 + 4 + 1);
  d.Set(std::string(100, 'x'), 1);
  EXPECT_GE(d.AllocatedBytes(), one + 100);
  d.Erase(std::string(100, 'x'));
  EXPECT_EQ(d.AllocatedBytes(), one);
}

TEST(DictTest, ScanVisitsEverythingOnAStableTable) {
  Dict<int> d;
  EXPECT_EQ(d.Scan(0, [](absl::string_view, int&) { FAIL(); }), 0u);
  for (int i = 0; i < 1000; ++i) d.Set(absl::StrCat(i), i);
  while (d.rehashing()) d.Find("x");
  std::multiset<std::string> seen = FullScan(d);
  // Without resizes in between, every key exactly once.
  EXPECT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen.count(absl::StrCat(i)), 1u);
}

TEST(DictTest, ScanWhileRehashingVisitsEverything) {
  Dict<int> d;
  for (int i = 0; i < 64; ++i) d.Set(absl::StrCat(i), i);
  while (d.rehashing()) d.Find("x");
  d.Set("64", 64);  // starts 64 -> 128
  ASSERT_TRUE(d.rehashing());
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = d.Scan(cursor, [&](absl::string_view k, int&) {
      seen.emplace(k);
    });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 65u);
}

TEST(DictTest, RandomEntryCoversEveryKey) {
  const uint64_t seed = 20240611;
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  SeededRandom random(seed);
  Dict<int> d;
  EXPECT_EQ(d.RandomEntry(random).second, nullptr);
  for (int i = 0; i < 50; ++i) d.Set(absl::StrCat(i), i);
  std::map<std::string, int> counts;
  for (int i = 0; i < 5000; ++i) {
    auto [key, value] = d.RandomEntry(random);
    ASSERT_NE(value, nullptr);
    ASSERT_EQ(absl::StrCat(*value), key);
    ++counts[std::string(key)];
  }
  EXPECT_EQ(counts.size(), 50u);
  for (const auto& [key, n] : counts) EXPECT_GT(n, 20) << key;
  // Also while rehashing, and in a sparse table after a shrink started.
  for (int i = 50; i < 200; ++i) d.Erase(absl::StrCat(i));
  for (int i = 1; i < 50; ++i) d.Erase(absl::StrCat(i));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(d.RandomEntry(random).first, "0");
  }
}

TEST(DictTest, SameSeedSameLayout) {
  // The simulator replays seeds: SCAN order must not depend on the run.
  Dict<int> a(42), b(42), c(43);
  for (int i = 0; i < 300; ++i) {
    a.Set(absl::StrCat(i), i);
    b.Set(absl::StrCat(i), i);
    c.Set(absl::StrCat(i), i);
  }
  auto order = [](Dict<int>& d) {
    std::vector<std::string> keys;
    d.ForEach([&](absl::string_view k, int&) { keys.emplace_back(k); });
    return keys;
  };
  EXPECT_EQ(order(a), order(b));
  EXPECT_NE(order(a), order(c));
}

// (a) Under random inserts, erases, takes and lookups, a Dict holds exactly
// what a std::map does.
RC_GTEST_PROP(DictProperty, BehavesLikeStdMap, ()) {
  Dict<int> d;
  std::map<std::string, int> model;
  const int key_space = *rc::gen::inRange(1, 400);
  const int steps = *rc::gen::inRange(1, 2000);
  const std::vector<int> ops =
      *rc::gen::container<std::vector<int>>(steps, rc::gen::inRange(0, 100));
  for (int step = 0; step < steps; ++step) {
    const int op = ops[step];
    const std::string k = absl::StrCat("k", (op * 7919 + step) % key_space);
    if (op < 45) {
      RC_ASSERT(d.Set(k, step) == (model.count(k) == 0));
      model[k] = step;
    } else if (op < 75) {
      RC_ASSERT(d.Erase(k) == (model.erase(k) == 1));
    } else if (op < 85) {
      int out = -1;
      const bool had = model.count(k) > 0;
      RC_ASSERT(d.Take(k, &out) == had);
      if (had) {
        RC_ASSERT(out == model[k]);
        model.erase(k);
      }
    } else if (op < 99) {
      const int* v = d.Find(k);
      auto it = model.find(k);
      RC_ASSERT((v != nullptr) == (it != model.end()));
      if (v != nullptr) RC_ASSERT(*v == it->second);
    } else {
      d.Clear();
      model.clear();
    }
    RC_ASSERT(d.size() == model.size());
  }
  std::map<std::string, int> contents;
  d.ForEach([&](absl::string_view k, int& v) {
    RC_ASSERT(contents.emplace(std::string(k), v).second);
  });
  RC_ASSERT(contents == model);
  // The table is never overloaded beyond a resize in flight, nor too sparse.
  if (!d.rehashing() && d.bucket_count() > Dict<int>::kMinBuckets) {
    RC_ASSERT(d.size() * 8 >= d.bucket_count());
  }
}

// (b) SCAN's guarantee: between scan steps, random bursts of inserts and
// erases make the table grow and shrink (and rehash across steps); every
// key present from the first step to the last is returned at least once,
// and nothing that was never inserted is. (The operations come from a
// splitmix stream seeded by RapidCheck, so a failing case replays.)
RC_GTEST_PROP(DictProperty, ScanReturnsEveryKeyPresentThroughout, ()) {
  SeededRandom random(*rc::gen::arbitrary<uint64_t>());
  const int initial = *rc::gen::inRange(0, 600);
  const int burst_percent = *rc::gen::inRange(0, 30);
  Dict<int> d;
  std::vector<std::string> present;  // current contents, in any order
  for (int i = 0; i < initial; ++i) {
    std::string k = absl::StrCat("base", i);
    d.Set(k, i);
    present.push_back(k);
  }
  // Keys that must be returned: present at the start and never erased.
  std::set<std::string> stable(present.begin(), present.end());
  std::set<std::string> ever = stable;
  std::set<std::string> seen;
  int next_key = 0;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = d.Scan(cursor, [&](absl::string_view k, int&) {
      seen.emplace(k);
    });
    RC_ASSERT(++steps < 1000000);
    // A burst that grows or shrinks the table, or a few single operations.
    int n = static_cast<int>(random.Uniform(4));
    int kind = 2;  // mixed
    if (random.Uniform(100) < static_cast<uint64_t>(burst_percent)) {
      kind = static_cast<int>(random.Uniform(2));
      n = static_cast<int>(random.Uniform(400));
    }
    for (int i = 0; i < n; ++i) {
      const bool insert = kind == 0 || (kind == 2 && random.Uniform(2) == 0);
      if (insert) {
        std::string k = absl::StrCat("new", next_key++);
        d.Set(k, 0);
        present.push_back(k);
        ever.insert(k);
      } else if (!present.empty()) {
        // Stable keys may go too: they then leave `stable`.
        const size_t j = random.Uniform(present.size());
        RC_ASSERT(d.Erase(present[j]));
        stable.erase(present[j]);
        present[j] = std::move(present.back());
        present.pop_back();
      }
    }
    if (random.Uniform(2) == 0) d.Find("nokey");  // a rehash step
  } while (cursor != 0);
  for (const std::string& k : stable) RC_ASSERT(seen.count(k) == 1u);
  for (const std::string& k : seen) RC_ASSERT(ever.count(k) == 1u);
  RC_ASSERT(d.size() == present.size());
}

}  // namespace
}  // namespace twinkv
