// Tests of the keyspace (core/db.h): values, lazy expiry at the boundary,
// the TTL bookkeeping, rename, iteration, and a RapidCheck run of random
// operations against a std::map model with a clock.

#include "core/db.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

// A stand-in aggregate for type checks until the list family exists.
class FakeList : public ValueObject {
 public:
  FakeList() : ValueObject(ValueType::kList) {}
  int items = 0;
};

constexpr int64_t kNow = 1'000'000;

std::vector<std::string> Keys(Db& db, int64_t now_ms) {
  std::vector<std::string> keys;
  db.ForEachKey(now_ms, [&](absl::string_view k) { keys.emplace_back(k); });
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(ValueTest, StringMutators) {
  Value v("abc");
  EXPECT_TRUE(v.is_string());
  EXPECT_EQ(v.type(), ValueType::kString);
  EXPECT_EQ(v.str(), "abc");
  v.AppendString("de");
  EXPECT_EQ(v.str(), "abcde");
  EXPECT_EQ(v.str_size(), 5u);
  char* p = v.ResizeString(8);
  EXPECT_EQ(v.str(), absl::string_view("abcde\0\0\0", 8));
  p[7] = 'z';
  EXPECT_EQ(v.str(), absl::string_view("abcde\0\0z", 8));
  v.ResizeString(2);
  EXPECT_EQ(v.str(), "ab");
  v.AssignString("");
  EXPECT_EQ(v.str(), "");
  // A large value replaced by a small one gives its memory back; the
  // contents must be right either way.
  v.AssignString(std::string(10000, 'x'));
  v.AssignString("small");
  EXPECT_EQ(v.str(), "small");
}

TEST(ValueTest, ObjectsAndBackToString) {
  Value v(std::make_unique<FakeList>());
  EXPECT_FALSE(v.is_string());
  EXPECT_EQ(v.type(), ValueType::kList);
  v.object_as<FakeList>()->items = 3;
  EXPECT_EQ(v.object_as<FakeList>()->items, 3);
  v.AssignString("s");
  EXPECT_TRUE(v.is_string());
  EXPECT_EQ(v.object(), nullptr);
  EXPECT_EQ(v.str(), "s");
  v.AssignObject(std::make_unique<FakeList>());
  EXPECT_EQ(v.type(), ValueType::kList);
}

TEST(ValueTest, TypeNames) {
  EXPECT_EQ(ValueTypeName(ValueType::kString), "string");
  EXPECT_EQ(ValueTypeName(ValueType::kList), "list");
  EXPECT_EQ(ValueTypeName(ValueType::kHash), "hash");
  EXPECT_EQ(ValueTypeName(ValueType::kSet), "set");
  EXPECT_EQ(ValueTypeName(ValueType::kZSet), "zset");
}

TEST(DbTest, SetFindErase) {
  Db db;
  EXPECT_EQ(db.Find("k", kNow), nullptr);
  db.SetString("k", "v", kNow);
  ASSERT_NE(db.Find("k", kNow), nullptr);
  EXPECT_EQ(db.Find("k", kNow)->str(), "v");
  EXPECT_EQ(db.size(), 1u);
  db.SetString("k", "w", kNow);
  EXPECT_EQ(db.Find("k", kNow)->str(), "w");
  EXPECT_EQ(db.size(), 1u);
  EXPECT_TRUE(db.Erase("k", kNow));
  EXPECT_FALSE(db.Erase("k", kNow));
  EXPECT_EQ(db.size(), 0u);
}

TEST(DbTest, KeysAreBinarySafe) {
  Db db;
  std::string k1("a\0b", 3);
  std::string k2("a\0c", 3);
  db.SetString(k1, "1", kNow);
  db.SetString(k2, "2", kNow);
  EXPECT_EQ(db.Find(k1, kNow)->str(), "1");
  EXPECT_EQ(db.Find(k2, kNow)->str(), "2");
  EXPECT_EQ(db.Find("a", kNow), nullptr);
}

TEST(DbTest, ExpiresAtItsTimeNotBefore) {
  Db db;
  db.SetString("k", "v", kNow, kNow + 100);
  EXPECT_NE(db.Find("k", kNow + 99), nullptr);
  EXPECT_EQ(db.GetExpire("k", kNow + 99), kNow + 100);
  EXPECT_EQ(db.expires_size(), 1u);
  EXPECT_EQ(db.Find("k", kNow + 100), nullptr);
  // The lookup deleted it.
  EXPECT_EQ(db.size(), 0u);
  EXPECT_EQ(db.expires_size(), 0u);
  EXPECT_EQ(db.GetExpire("k", kNow), Db::kMissing);
}

TEST(DbTest, ExpiredKeyIsGoneForEveryOperation) {
  Db db;
  db.SetString("k", "v", kNow, kNow + 10);
  EXPECT_FALSE(db.Exists("k", kNow + 10));

  db.SetString("k", "v", kNow, kNow + 10);
  EXPECT_FALSE(db.Erase("k", kNow + 10));  // deleted, but was not live
  EXPECT_EQ(db.size(), 0u);

  db.SetString("k", "v", kNow, kNow + 10);
  EXPECT_FALSE(db.SetExpire("k", kNow + 1000, kNow + 10));
  EXPECT_EQ(db.size(), 0u);

  db.SetString("k", "old", kNow, kNow + 10);
  bool created = false;
  Value* v = db.FindOrCreate("k", kNow + 10, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v->str(), "");
  EXPECT_EQ(db.GetExpire("k", kNow + 10), Db::kNoExpire);
  EXPECT_EQ(db.expires_size(), 0u);
}

TEST(DbTest, FindOrCreate) {
  Db db;
  bool created = false;
  Value* v = db.FindOrCreate("k", kNow, &created);
  EXPECT_TRUE(created);
  v->AppendString("x");
  v = db.FindOrCreate("k", kNow, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(v->str(), "x");
}

TEST(DbTest, KeepTtl) {
  Db db;
  db.SetString("k", "v", kNow, kNow + 100);
  db.SetString("k", "w", kNow, Db::kNoExpire, /*keep_ttl=*/true);
  EXPECT_EQ(db.GetExpire("k", kNow), kNow + 100);
  EXPECT_EQ(db.Find("k", kNow)->str(), "w");
  // Without keep_ttl the TTL goes.
  db.SetString("k", "x", kNow);
  EXPECT_EQ(db.GetExpire("k", kNow), Db::kNoExpire);
  EXPECT_EQ(db.expires_size(), 0u);
  // keep_ttl on a new key, or on an expired one, gives no TTL.
  db.SetString("n", "v", kNow, Db::kNoExpire, true);
  EXPECT_EQ(db.GetExpire("n", kNow), Db::kNoExpire);
  db.SetString("e", "v", kNow, kNow + 5);
  db.SetString("e", "w", kNow + 5, Db::kNoExpire, true);
  EXPECT_EQ(db.GetExpire("e", kNow + 5), Db::kNoExpire);
  EXPECT_EQ(db.Find("e", kNow + 5)->str(), "w");
  EXPECT_EQ(db.expires_size(), 0u);
}

TEST(DbTest, SetReplacesAnyType) {
  Db db;
  db.Set("l", Value(std::make_unique<FakeList>()), kNow, kNow + 50);
  EXPECT_EQ(db.Find("l", kNow)->type(), ValueType::kList);
  EXPECT_EQ(db.expires_size(), 1u);
  db.SetString("l", "s", kNow);
  EXPECT_TRUE(db.Find("l", kNow)->is_string());
  EXPECT_EQ(db.expires_size(), 0u);
  Value* v = db.Set("l", Value(std::make_unique<FakeList>()), kNow,
                    Db::kNoExpire, true);
  EXPECT_EQ(v, db.Find("l", kNow));
  EXPECT_EQ(v->type(), ValueType::kList);
}

TEST(DbTest, SetExpireAndPersist) {
  Db db;
  EXPECT_FALSE(db.SetExpire("k", kNow + 5, kNow));
  db.SetString("k", "v", kNow);
  EXPECT_TRUE(db.SetExpire("k", kNow + 5, kNow));
  EXPECT_EQ(db.expires_size(), 1u);
  EXPECT_TRUE(db.SetExpire("k", kNow + 7, kNow));
  EXPECT_EQ(db.expires_size(), 1u);
  EXPECT_EQ(db.GetExpire("k", kNow), kNow + 7);
  EXPECT_TRUE(db.SetExpire("k", Db::kNoExpire, kNow));
  EXPECT_EQ(db.expires_size(), 0u);
  EXPECT_NE(db.Find("k", kNow + 1000000), nullptr);
}

TEST(DbTest, RenameMovesValueAndTtl) {
  Db db;
  db.SetString("a", "va", kNow, kNow + 100);
  db.SetString("b", "vb", kNow);
  EXPECT_EQ(db.Rename("a", "b", kNow), Db::RenameResult::kOk);
  EXPECT_EQ(db.Find("a", kNow), nullptr);
  EXPECT_EQ(db.Find("b", kNow)->str(), "va");
  EXPECT_EQ(db.GetExpire("b", kNow), kNow + 100);
  EXPECT_EQ(db.size(), 1u);
  EXPECT_EQ(db.expires_size(), 1u);

  // The target's TTL does not survive.
  db.SetString("c", "vc", kNow);
  db.SetString("d", "vd", kNow, kNow + 9);
  EXPECT_EQ(db.Rename("c", "d", kNow), Db::RenameResult::kOk);
  EXPECT_EQ(db.GetExpire("d", kNow), Db::kNoExpire);
  EXPECT_EQ(db.expires_size(), 1u);
}

TEST(DbTest, RenameEdgeCases) {
  Db db;
  EXPECT_EQ(db.Rename("x", "y", kNow), Db::RenameResult::kNoSuchKey);
  db.SetString("x", "1", kNow);
  db.SetString("y", "2", kNow);
  EXPECT_EQ(db.Rename("x", "y", kNow, true), Db::RenameResult::kTargetExists);
  EXPECT_EQ(db.Find("x", kNow)->str(), "1");
  EXPECT_EQ(db.Rename("x", "x", kNow), Db::RenameResult::kOk);
  EXPECT_EQ(db.Rename("x", "x", kNow, true), Db::RenameResult::kTargetExists);
  EXPECT_EQ(db.Find("x", kNow)->str(), "1");
  // An expired target counts as missing, also for nx.
  db.SetString("z", "3", kNow, kNow + 1);
  EXPECT_EQ(db.Rename("x", "z", kNow + 1, true), Db::RenameResult::kOk);
  EXPECT_EQ(db.Find("z", kNow + 1)->str(), "1");
  EXPECT_EQ(db.GetExpire("z", kNow + 1), Db::kNoExpire);
  // An expired source is missing.
  db.SetString("s", "4", kNow, kNow + 1);
  EXPECT_EQ(db.Rename("s", "t", kNow + 1), Db::RenameResult::kNoSuchKey);
  EXPECT_EQ(db.Find("t", kNow + 1), nullptr);
  EXPECT_EQ(db.expires_size(), 0u);
}

TEST(DbTest, ForEachKeySkipsAndDeletesExpired) {
  Db db;
  for (int i = 0; i < 100; ++i) {
    db.SetString("k" + std::to_string(i), "v", kNow,
                 i % 2 ? kNow + 10 : Db::kNoExpire);
  }
  EXPECT_EQ(Keys(db, kNow).size(), 100u);
  std::vector<std::string> live = Keys(db, kNow + 10);
  EXPECT_EQ(live.size(), 50u);
  for (const std::string& k : live) {
    EXPECT_EQ((std::stoi(k.substr(1)) % 2), 0) << k;
  }
  EXPECT_EQ(db.size(), 50u);
  EXPECT_EQ(db.expires_size(), 0u);
}

TEST(KeyspaceTest, DatabasesAreSeparate) {
  Keyspace ks(3);
  EXPECT_EQ(ks.size(), 3);
  ks.db(0).SetString("k", "0", kNow);
  ks.db(2).SetString("k", "2", kNow, kNow + 5);
  EXPECT_EQ(ks.db(1).Find("k", kNow), nullptr);
  EXPECT_EQ(ks.db(2).Find("k", kNow)->str(), "2");
  ks.db(0).Clear();
  EXPECT_EQ(ks.db(0).size(), 0u);
  EXPECT_EQ(ks.db(2).size(), 1u);
  ks.Clear();
  EXPECT_EQ(ks.db(2).size(), 0u);
  EXPECT_EQ(ks.db(2).expires_size(), 0u);
}

TEST(DbMemoryTest, MillionShortStringKeysFitInRedissMemory) {
  // The target: 1M string keys with 16-byte values use at most what
  // Redis 7.0 uses. Measured on redis-server 7.0.15 (jemalloc) with
  //   redis-server --port 16399 --save ''
  //   redis-benchmark -p 16399 -t set -n 1000000 -r 100000000 -d 16
  //   INFO memory: used_memory 120865424 for 994991 keys, 939072 empty
  // i.e. 120.5 bytes per key. Same load here: 16-byte keys
  // "key:000012345678" and 16-byte values; glibc malloc's bytes in use
  // (mallinfo2: heap chunks with their headers and rounding, plus mmapped
  // blocks such as the bucket array).
  constexpr int kKeys = 1000000;
  constexpr double kRedisBytesPerKey = 120.5;
  const std::string value(16, 'x');
  auto in_use = [] {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  const size_t before = in_use();
  {
    Db db;
    char key[32];
    // The same pseudo-random spread as redis-benchmark -r (a multiplicative
    // sequence over 10^8, no repeats for 1M steps).
    uint64_t x = 1;
    for (int i = 0; i < kKeys; ++i) {
      x = (x * 48271) % 2147483647;
      std::snprintf(key, sizeof(key), "key:%012llu",
                    static_cast<unsigned long long>(x % 100000000));
      db.SetString(key, value, kNow);
    }
    const size_t after = in_use();
    const double per_key =
        static_cast<double>(after - before) / static_cast<double>(db.size());
    const double dict_per_key = static_cast<double>(db.AllocatedBytes()) /
                                static_cast<double>(db.size());
    std::printf("keys=%zu malloc bytes/key=%.1f dict bytes/key=%.1f "
                "(redis 7.0: %.1f)\n",
                db.size(), per_key, dict_per_key, kRedisBytesPerKey);
    RecordProperty("bytes_per_key", absl::StrFormat("%.1f", per_key));
    EXPECT_GT(db.size(), kKeys * 99u / 100);
    EXPECT_LE(per_key, kRedisBytesPerKey);
  }
  // Everything is given back.
  EXPECT_LE(in_use(), before + 4096);
}

// Random operations on a Db and on a model (key -> (value, expiry)) with a
// clock that moves forward; after each step every key must agree.
RC_GTEST_PROP(DbProperty, AgreesWithModel, ()) {
  struct Item {
    std::string value;
    int64_t expire_ms;
  };
  std::map<std::string, Item> model;
  Db db;
  int64_t now = kNow;
  const std::vector<std::string> keys = {"a", "b", "c", "d"};
  auto live = [&](const std::string& k) {
    auto it = model.find(k);
    if (it != model.end() && it->second.expire_ms <= now) model.erase(it);
    return model.count(k) > 0;
  };
  const int steps = *rc::gen::inRange(1, 60);
  for (int step = 0; step < steps; ++step) {
    const std::string k = *rc::gen::elementOf(keys);
    const std::string k2 = *rc::gen::elementOf(keys);
    const std::string v = *rc::gen::elementOf(
        std::vector<std::string>{"", "x", "yy", std::string(40, 'z')});
    const int64_t ttl = *rc::gen::inRange<int64_t>(1, 20);
    switch (*rc::gen::inRange(0, 8)) {
      case 0: {
        bool with_ttl = *rc::gen::arbitrary<bool>();
        bool keep = !with_ttl && *rc::gen::arbitrary<bool>();
        int64_t expire = with_ttl ? now + ttl : Db::kNoExpire;
        db.SetString(k, v, now, expire, keep);
        bool had = live(k);
        int64_t old = had ? model[k].expire_ms : Db::kNoExpire;
        model[k] = Item{v, keep ? old : expire};
        break;
      }
      case 1:
        RC_ASSERT(db.Erase(k, now) == live(k));
        model.erase(k);
        break;
      case 2: {
        bool created = false;
        Value* val = db.FindOrCreate(k, now, &created);
        RC_ASSERT(created == !live(k));
        if (created) model[k] = Item{"", Db::kNoExpire};
        val->AppendString(v);
        model[k].value += v;
        break;
      }
      case 3: {
        bool ok = db.SetExpire(k, now + ttl, now);
        RC_ASSERT(ok == live(k));
        if (ok) model[k].expire_ms = now + ttl;
        break;
      }
      case 4: {
        bool nx = *rc::gen::arbitrary<bool>();
        Db::RenameResult r = db.Rename(k, k2, now, nx);
        if (!live(k)) {
          RC_ASSERT(r == Db::RenameResult::kNoSuchKey);
        } else if (nx && live(k2)) {
          RC_ASSERT(r == Db::RenameResult::kTargetExists);
        } else {
          RC_ASSERT(r == Db::RenameResult::kOk);
          Item item = model[k];
          model.erase(k);
          model[k2] = item;
        }
        break;
      }
      case 5:
        now += *rc::gen::inRange<int64_t>(0, 10);
        break;
      case 6: {
        Value* val = db.Find(k, now);
        RC_ASSERT((val != nullptr) == live(k));
        if (val != nullptr) {
          size_t n = *rc::gen::inRange<size_t>(0, 50);
          val->ResizeString(n);
          model[k].value.resize(n);
        }
        break;
      }
      case 7:
        RC_ASSERT(db.GetExpire(k, now) ==
                  (live(k) ? model[k].expire_ms : Db::kMissing));
        break;
    }
    std::vector<std::string> expected;
    size_t with_ttl = 0;
    for (const std::string& key : keys) {
      Value* val = db.Find(key, now);
      RC_ASSERT((val != nullptr) == live(key));
      if (val == nullptr) continue;
      RC_ASSERT(std::string(val->str()) == model[key].value);
      RC_ASSERT(db.GetExpire(key, now) == model[key].expire_ms);
      expected.push_back(key);
      with_ttl += model[key].expire_ms != Db::kNoExpire;
    }
    RC_ASSERT(Keys(db, now) == expected);
    RC_ASSERT(db.size() == expected.size());
    RC_ASSERT(db.expires_size() == with_ttl);
  }
}

}  // namespace
}  // namespace twinkv
