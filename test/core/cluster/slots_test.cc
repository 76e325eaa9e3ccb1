// Cluster placement: Redis Cluster's key -> slot (CRC16/XMODEM, hash tags)
// and our consistent-hash slot -> node map (stable, balanced, minimal
// movement on membership change).

#include "core/cluster/slots.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

TEST(KeySlotTest, Crc16IsXmodem) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(Crc16(""), 0);
}

TEST(KeySlotTest, MatchesRedisCluster) {
  // CLUSTER KEYSLOT on redis-server 7.0.15.
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("key:000000012345"), KeySlot("key:000000012345"));
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(KeySlotTest, HashTags) {
  EXPECT_EQ(HashTagOf("{user1}.name"), "user1");
  EXPECT_EQ(KeySlot("{user1}.name"), KeySlot("{user1}.mail"));
  EXPECT_EQ(KeySlot("{user1}.name"), KeySlot("user1"));
  // The first '{' and the first '}' after it.
  EXPECT_EQ(HashTagOf("a{b}{c}"), "b");
  EXPECT_EQ(HashTagOf("a{{b}}"), "{b");
  EXPECT_EQ(HashTagOf("a}{b}"), "b");
  // An empty tag, or none closed: the whole key.
  EXPECT_EQ(HashTagOf("{}.x"), "{}.x");
  EXPECT_EQ(HashTagOf("{x"), "{x");
  EXPECT_EQ(HashTagOf("x}"), "x}");
}

TEST(SlotMapTest, SameMembersSameMapWhateverTheOrder) {
  SlotMap a({"n1", "n2", "n3"});
  SlotMap b({"n3", "n1", "n2", "n1"});
  ASSERT_EQ(a.nodes(), b.nodes());
  for (int s = 0; s < kClusterSlots; ++s) ASSERT_EQ(a.owner(s), b.owner(s));
}

TEST(SlotMapTest, NoNodesNoOwners) {
  SlotMap empty({});
  EXPECT_EQ(empty.owner(0), -1);
  EXPECT_EQ(empty.owner_id(123), "");
}

TEST(SlotMapTest, EverySlotOwnedAndRangesCoverThem) {
  SlotMap map({"a", "b", "c"});
  int total = 0;
  for (int n = 0; n < 3; ++n) {
    int in_ranges = 0;
    int last = -2;
    for (auto [first, end] : map.RangesOf(n)) {
      EXPECT_LE(first, end);
      EXPECT_GT(first, last + 1);  // ascending, and maximal (not adjacent)
      for (int s = first; s <= end; ++s) EXPECT_EQ(map.owner(s), n);
      in_ranges += end - first + 1;
      last = end;
    }
    EXPECT_EQ(in_ranges, map.CountOf(n));
    total += map.CountOf(n);
  }
  EXPECT_EQ(total, kClusterSlots);
}

TEST(SlotMapTest, BalancedWithinAQuarterOfTheMean) {
  for (int n = 2; n <= 16; ++n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(absl::StrCat("127.0.0.1:", 7000 + i));
    SlotMap map(ids);
    const double mean = static_cast<double>(kClusterSlots) / n;
    for (int i = 0; i < n; ++i) {
      EXPECT_GT(map.CountOf(i), 0.75 * mean) << n << " nodes, node " << i;
      EXPECT_LT(map.CountOf(i), 1.25 * mean) << n << " nodes, node " << i;
    }
  }
}

// Consistent hashing: a new node only takes slots (from anyone), about
// 1/(N+1) of them; a removed node's slots only go elsewhere, and nobody
// else's move.
RC_GTEST_PROP(SlotMapProperty, MembershipChangesMoveOnlyWhatTheyMust,
              (std::set<std::string> members, std::string added)) {
  RC_PRE(!members.empty() && members.size() <= 12);
  RC_PRE(!members.count(added));
  std::vector<std::string> before_ids(members.begin(), members.end());
  std::vector<std::string> after_ids = before_ids;
  after_ids.push_back(added);
  SlotMap before(before_ids);
  SlotMap after(after_ids);
  int moved = 0;
  for (int s = 0; s < kClusterSlots; ++s) {
    const std::string& was = before.owner_id(s);
    const std::string& now = after.owner_id(s);
    if (was != now) {
      RC_ASSERT(now == added);
      ++moved;
    }
  }
  const double expected = static_cast<double>(kClusterSlots) / after_ids.size();
  RC_ASSERT(moved > 0.5 * expected);
  RC_ASSERT(moved < 1.6 * expected);
}

}  // namespace
}  // namespace twinkv
