// Cluster mode "redirect": MOVED and CROSSSLOT routing in the engine, the
// cluster-mode refusals (SELECT n, MOVE, SWAPDB), the CLUSTER subcommands'
// shapes, and the disabled-mode errors. The expected owners come from
// SlotMap (tested on its own in test/core/cluster/); these tests check that
// the engine and the replies agree with it.

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/cluster/slots.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/families.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

const std::vector<std::string> kNodes = {"10.0.0.1:7000", "10.0.0.2:7001",
                                         "10.0.0.3:7002"};
constexpr char kSelf[] = "10.0.0.2:7001";

Config ClusterConfig() {
  Config config;
  config.cluster_mode = "redirect";
  config.cluster_nodes = kNodes;
  config.cluster_self = kSelf;
  return config;
}

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest() : h_(RegisterAllFamilies, ClusterConfig()) {}

  const ClusterView& view() { return *h_.engine().cluster(); }
  bool Local(absl::string_view key) {
    return view().slots.OwnerOfKey(key) == view().self;
  }
  // The first key "<prefix><i>" that is (or is not) local.
  std::string FindKey(absl::string_view prefix, bool local) {
    for (int i = 0;; ++i) {
      std::string key = absl::StrCat(prefix, i);
      if (Local(key) == local) return key;
    }
  }
  std::string Moved(absl::string_view key) {
    const int slot = KeySlot(key);
    return absl::StrCat("(error) MOVED ", slot, " ",
                        view().slots.owner_id(slot));
  }

  EngineHarness h_;
};

TEST_F(ClusterTest, ViewHasEveryMemberAndSelf) {
  ASSERT_NE(h_.engine().cluster(), nullptr);
  EXPECT_EQ(view().slots.nodes().size(), 3u);
  EXPECT_EQ(view().slots.nodes()[view().self], kSelf);
  EXPECT_EQ(view().hosts[view().self], "10.0.0.2");
  EXPECT_EQ(view().ports[view().self], 7001);
}

TEST_F(ClusterTest, LocalKeysRunForeignKeysAreMoved) {
  const std::string local = FindKey("k", true);
  const std::string foreign = FindKey("k", false);
  EXPECT_EQ(h_.Run({"SET", local, "v"}), "OK");
  EXPECT_EQ(h_.Run({"GET", local}), "v");
  const std::string moved = Moved(foreign);
  EXPECT_NE(moved.find(":700"), std::string::npos);
  EXPECT_EQ(moved.find(kSelf), std::string::npos);
  EXPECT_EQ(h_.Run({"SET", foreign, "v"}), moved);
  EXPECT_EQ(h_.Run({"GET", foreign}), moved);
  // Nothing was written for the refused command.
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 1");
  // As in Redis, a redirected command counts as rejected.
  const std::string stats = h_.Run({"INFO", "commandstats"});
  for (const char* name : {"get", "set"}) {
    const size_t at = stats.find(absl::StrCat("cmdstat_", name, ":"));
    ASSERT_NE(at, std::string::npos) << stats;
    const std::string line = stats.substr(at, stats.find('\r', at) - at);
    EXPECT_TRUE(absl::StrContains(line, ":calls=1,")) << line;
    EXPECT_TRUE(absl::StrContains(line, ",rejected_calls=1,")) << line;
  }
  // Keyless commands always run; arity comes first.
  EXPECT_EQ(h_.Run({"PING"}), "PONG");
  EXPECT_EQ(h_.Run({"GET"}),
            "(error) ERR wrong number of arguments for 'get' command");
}

TEST_F(ClusterTest, MovedUsesRedisSlotOfKnownKeys) {
  // Slot numbers as redis-server 7.0 computes them (CLUSTER KEYSLOT).
  EXPECT_EQ(h_.Run({"CLUSTER", "KEYSLOT", "foo"}), "(integer) 12182");
  EXPECT_EQ(h_.Run({"CLUSTER", "KEYSLOT", "{a}b"}), "(integer) 15495");
  if (!Local("foo")) {
    EXPECT_EQ(h_.Run({"GET", "foo"}),
              absl::StrCat("(error) MOVED 12182 ",
                           view().slots.owner_id(12182)));
  }
}

TEST_F(ClusterTest, CrossSlotAndHashTags) {
  const std::string a = FindKey("a", true);
  std::string b;
  for (int i = 0;; ++i) {
    b = absl::StrCat("b", i);
    if (KeySlot(b) != KeySlot(a)) break;
  }
  EXPECT_EQ(h_.Run({"MSET", a, "1", b, "2"}),
            "(error) CROSSSLOT Keys in request don't hash to the same slot");
  EXPECT_EQ(h_.Run({"DEL", a, b}),
            "(error) CROSSSLOT Keys in request don't hash to the same slot");
  // Hash tags keep multi-key commands in one slot.
  const std::string tag = FindKey("user", true);
  const std::string k1 = absl::StrCat("{", tag, "}.name");
  const std::string k2 = absl::StrCat("{", tag, "}.mail");
  EXPECT_EQ(h_.Run({"MSET", k1, "n", k2, "m"}), "OK");
  EXPECT_EQ(h_.Run({"MGET", k1, k2}), "[n, m]");
  EXPECT_EQ(h_.Run({"RENAME", k1, absl::StrCat("{", tag, "}.x")}), "OK");
  // A foreign tag: MOVED for the whole command.
  const std::string far = FindKey("user", false);
  const std::string f1 = absl::StrCat("{", far, "}1");
  EXPECT_EQ(h_.Run({"MSET", f1, "1", absl::StrCat("{", far, "}2"), "2"}),
            Moved(f1));
  // Movable keys (numkeys) are checked too.
  EXPECT_EQ(h_.Run({"SINTERCARD", "2", a, b}),
            "(error) CROSSSLOT Keys in request don't hash to the same slot");
}

TEST_F(ClusterTest, TransactionsAreRedirected) {
  const std::string local = FindKey("t", true);
  const std::string foreign = FindKey("t", false);
  EXPECT_EQ(h_.Run({"MULTI"}), "OK");
  EXPECT_EQ(h_.Run({"SET", local, "1"}), "QUEUED");
  EXPECT_EQ(h_.Run({"SET", foreign, "1"}), Moved(foreign));
  EXPECT_EQ(h_.Run({"EXEC"}),
            "(error) EXECABORT Transaction discarded because of previous "
            "errors.");
  EXPECT_EQ(h_.Run({"EXISTS", local}), "(integer) 0");

  // Local keys of different slots: each command alone is fine, EXEC is not.
  std::string other;
  for (int i = 0;; ++i) {
    other = absl::StrCat("o", i);
    if (Local(other) && KeySlot(other) != KeySlot(local)) break;
  }
  EXPECT_EQ(h_.Run({"MULTI"}), "OK");
  EXPECT_EQ(h_.Run({"SET", local, "1"}), "QUEUED");
  EXPECT_EQ(h_.Run({"SET", other, "1"}), "QUEUED");
  EXPECT_EQ(h_.Run({"EXEC"}),
            "(error) CROSSSLOT Keys in request don't hash to the same slot");
  EXPECT_EQ(h_.Run({"EXEC"}), "(error) ERR EXEC without MULTI");
  EXPECT_EQ(h_.Run({"EXISTS", local, other}), "(error) CROSSSLOT Keys in "
                                              "request don't hash to the "
                                              "same slot");
  // One slot: EXEC runs.
  EXPECT_EQ(h_.Run({"MULTI"}), "OK");
  EXPECT_EQ(h_.Run({"SET", local, "1"}), "QUEUED");
  EXPECT_EQ(h_.Run({"INCR", local}), "QUEUED");
  EXPECT_EQ(h_.Run({"EXEC"}), "[OK, (integer) 2]");
}

TEST_F(ClusterTest, DatabasesOtherThanZeroAreRefused) {
  EXPECT_EQ(h_.Run({"SELECT", "1"}),
            "(error) ERR SELECT is not allowed in cluster mode");
  EXPECT_EQ(h_.Run({"SELECT", "abc"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(h_.Run({"SELECT", "0"}), "OK");
  EXPECT_EQ(h_.Run({"SWAPDB", "0", "1"}),
            "(error) ERR SWAPDB is not allowed in cluster mode");
  const std::string local = FindKey("m", true);
  EXPECT_EQ(h_.Run({"MOVE", local, "1"}),
            "(error) ERR MOVE is not allowed in cluster mode");
  // COPY within database 0 is fine (if both keys are ours); DB n is not.
  EXPECT_EQ(h_.Run({"SET", local, "v"}), "OK");
  EXPECT_EQ(h_.Run({"COPY", local, local, "DB", "1"}),
            "(error) ERR Copying to another database is not allowed in "
            "cluster mode");
  EXPECT_EQ(h_.client().db_index, 0);
}

TEST_F(ClusterTest, AskingReadonlyReadwrite) {
  EXPECT_EQ(h_.Run({"ASKING"}), "OK");
  EXPECT_EQ(h_.Run({"READONLY"}), "OK");
  EXPECT_EQ(h_.Run({"READWRITE"}), "OK");
}

TEST_F(ClusterTest, MyIdIsStable40Hex) {
  const std::string id = h_.Run({"CLUSTER", "MYID"});
  ASSERT_EQ(id.size(), 40u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(id, ClusterNodeName(kSelf));
  std::set<std::string> names;
  for (const std::string& node : kNodes) names.insert(ClusterNodeName(node));
  EXPECT_EQ(names.size(), 3u);
}

TEST_F(ClusterTest, InfoFields) {
  const std::string info = h_.Run({"CLUSTER", "INFO"});
  for (const char* line :
       {"cluster_state:ok\r\n", "cluster_slots_assigned:16384\r\n",
        "cluster_slots_ok:16384\r\n", "cluster_slots_pfail:0\r\n",
        "cluster_slots_fail:0\r\n", "cluster_known_nodes:3\r\n",
        "cluster_size:3\r\n"}) {
    EXPECT_NE(info.find(line), std::string::npos) << line << " in " << info;
  }
  EXPECT_EQ(info.rfind("cluster_state:ok", 0), 0u);
  // INFO's own cluster section says so too (what clients probe first).
  EXPECT_NE(h_.Run({"INFO", "cluster"}).find("cluster_enabled:1"),
            std::string::npos);
}

TEST_F(ClusterTest, SlotsCoverEverySlotOnceWithOwners) {
  const Reply reply = h_.RunReply({"CLUSTER", "SLOTS"});
  ASSERT_EQ(reply.type, Reply::Type::kArray);
  int next = 0;
  int prev_owner = -1;
  for (const Reply& range : reply.elements) {
    ASSERT_EQ(range.elements.size(), 3u);
    const int first = static_cast<int>(range.elements[0].integer);
    const int last = static_cast<int>(range.elements[1].integer);
    EXPECT_EQ(first, next);
    ASSERT_LE(first, last);
    const Reply& node = range.elements[2];
    ASSERT_EQ(node.elements.size(), 4u);
    const int owner = view().slots.owner(first);
    EXPECT_EQ(view().slots.owner(last), owner);
    EXPECT_NE(owner, prev_owner) << "adjacent ranges of one node not merged";
    EXPECT_EQ(absl::StrCat(node.elements[0].str, ":", node.elements[1].integer),
              view().slots.nodes()[owner]);
    EXPECT_EQ(node.elements[2].str, view().names[owner]);
    EXPECT_EQ(node.elements[3].elements.size(), 0u);
    prev_owner = owner;
    next = last + 1;
  }
  EXPECT_EQ(next, kClusterSlots);
}

TEST_F(ClusterTest, NodesLines) {
  const std::string nodes = h_.Run({"CLUSTER", "NODES"});
  std::vector<std::string> lines =
      absl::StrSplit(nodes, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nodes.back(), '\n');
  int myself = 0;
  int slots = 0;
  for (const std::string& line : lines) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    ASSERT_GE(f.size(), 8u) << line;
    int node = -1;
    for (int i = 0; i < 3; ++i) {
      if (view().names[i] == f[0]) node = i;
    }
    ASSERT_GE(node, 0) << line;
    EXPECT_EQ(f[1], absl::StrCat(view().slots.nodes()[node], "@",
                                 view().ports[node] + 10000));
    EXPECT_EQ(f[2], node == view().self ? "myself,master" : "master");
    myself += node == view().self;
    EXPECT_EQ(f[3], "-");
    EXPECT_EQ(f[7], "connected");
    for (size_t i = 8; i < f.size(); ++i) {
      std::vector<std::string> r = absl::StrSplit(f[i], '-');
      int first = 0;
      int last = 0;
      ASSERT_TRUE(absl::SimpleAtoi(r[0], &first));
      ASSERT_TRUE(absl::SimpleAtoi(r.size() == 2 ? r[1] : r[0], &last));
      for (int s = first; s <= last; ++s) {
        EXPECT_EQ(view().slots.owner(s), node);
        ++slots;
      }
    }
  }
  EXPECT_EQ(myself, 1);
  EXPECT_EQ(slots, kClusterSlots);
}

TEST_F(ClusterTest, ShardsShape) {
  const Reply reply = h_.RunReply({"CLUSTER", "SHARDS"});
  ASSERT_EQ(reply.elements.size(), 3u);
  for (const Reply& shard : reply.elements) {
    ASSERT_EQ(shard.elements.size(), 4u);
    EXPECT_EQ(shard.elements[0].str, "slots");
    EXPECT_EQ(shard.elements[1].elements.size() % 2, 0u);
    EXPECT_EQ(shard.elements[2].str, "nodes");
    ASSERT_EQ(shard.elements[3].elements.size(), 1u);
    EXPECT_EQ(shard.elements[3].elements[0].elements[0].str, "id");
  }
}

TEST_F(ClusterTest, KeysInSlot) {
  const std::string tag = FindKey("s", true);
  const int slot = KeySlot(tag);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(h_.Run({"SET", absl::StrCat("{", tag, "}", i), "v"}), "OK");
  }
  EXPECT_EQ(h_.Run({"SET", FindKey("z", true), "v"}), "OK");
  const std::string s = absl::StrCat(slot);
  EXPECT_EQ(h_.Run({"CLUSTER", "COUNTKEYSINSLOT", s}), "(integer) 5");
  const Reply two = h_.RunReply({"CLUSTER", "GETKEYSINSLOT", s, "2"});
  ASSERT_EQ(two.elements.size(), 2u);
  EXPECT_NE(two.elements[0].str, two.elements[1].str);
  for (const Reply& key : two.elements) {
    EXPECT_EQ(KeySlot(key.str), slot) << key.str;
  }
  EXPECT_EQ(h_.RunReply({"CLUSTER", "GETKEYSINSLOT", s, "10"}).elements.size(),
            5u);
  EXPECT_EQ(h_.Run({"CLUSTER", "COUNTKEYSINSLOT", "16384"}),
            "(error) ERR Invalid slot");
  EXPECT_EQ(h_.Run({"CLUSTER", "COUNTKEYSINSLOT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(h_.Run({"CLUSTER", "GETKEYSINSLOT", "1", "-1"}),
            "(error) ERR Invalid slot or number of keys");
}

// As Redis 7.0.15's COMMAND INFO: the read-only subcommands are "stale"
// (not "loading") and tell clients their output is nondeterministic.
TEST_F(ClusterTest, CommandInfoOfClusterSubcommandsMatchesRedis) {
  EXPECT_EQ(h_.Run({"COMMAND", "INFO", "cluster|slots"}),
            "[[cluster|slots, (integer) 2, [stale], (integer) 0, "
            "(integer) 0, (integer) 0, [@slow], [nondeterministic_output], "
            "[], []]]");
  EXPECT_EQ(h_.Run({"COMMAND", "INFO", "cluster|keyslot"}),
            "[[cluster|keyslot, (integer) 3, [stale], (integer) 0, "
            "(integer) 0, (integer) 0, [@slow], [], [], []]]");
  for (absl::string_view sub : {"info", "myid", "nodes", "shards"}) {
    const std::string info =
        h_.Run({"COMMAND", "INFO", absl::StrCat("cluster|", sub)});
    EXPECT_TRUE(absl::StrContains(info, "[stale]")) << info;
    EXPECT_FALSE(absl::StrContains(info, "loading")) << info;
  }
}

TEST(ClusterDisabledTest, ClusterCommandsAreRefused) {
  EngineHarness h(RegisterAllFamilies);
  EXPECT_EQ(h.engine().cluster(), nullptr);
  constexpr char kDisabled[] =
      "(error) ERR This instance has cluster support disabled";
  EXPECT_EQ(h.Run({"CLUSTER", "INFO"}), kDisabled);
  EXPECT_EQ(h.Run({"CLUSTER", "KEYSLOT", "foo"}), kDisabled);
  EXPECT_EQ(h.Run({"ASKING"}), kDisabled);
  EXPECT_EQ(h.Run({"READONLY"}), kDisabled);
  EXPECT_EQ(h.Run({"CLUSTER", "FOO"}),
            "(error) ERR unknown subcommand 'FOO'. Try CLUSTER HELP.");
  EXPECT_NE(h.Run({"INFO", "cluster"}).find("cluster_enabled:0"),
            std::string::npos);
  // Standalone behaviour is unchanged.
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(h.Run({"SELECT", "1"}), "OK");
}

TEST(ClusterConfigTest, Parameters) {
  Config config;
  ConfigTable table(&config);
  EXPECT_TRUE(table.LoadText("cluster-mode redirect\n"
                             "cluster-nodes 127.0.0.1:7000 127.0.0.1:7001\n"
                             "cluster-self 127.0.0.1:7001\n")
                  .ok());
  EXPECT_EQ(config.cluster_mode, "redirect");
  EXPECT_EQ(config.cluster_nodes,
            (std::vector<std::string>{"127.0.0.1:7000", "127.0.0.1:7001"}));
  EXPECT_EQ(ClusterSelfId(config), "127.0.0.1:7001");
  EXPECT_FALSE(table.Set("cluster-mode", {"forward"}, false).ok());
  EXPECT_TRUE(table.Set("cluster-mode", {"proxy"}, false).ok());
  EXPECT_EQ(config.cluster_mode, "proxy");
  EXPECT_FALSE(table.Set("cluster-nodes", {"127.0.0.1"}, false).ok());
  EXPECT_FALSE(table.Set("cluster-nodes", {"h:0"}, false).ok());
  EXPECT_FALSE(table.Set("cluster-self", {"nope"}, false).ok());
  EXPECT_FALSE(table.Set("cluster-mode", {"no"}, true).ok());  // immutable
  EXPECT_EQ(table.Get("cluster-nodes")[0].second,
            "127.0.0.1:7000 127.0.0.1:7001");
  // Without cluster-self: the first bind address and the port.
  Config derived;
  derived.bind = {"10.1.2.3", "127.0.0.1"};
  derived.port = 7005;
  EXPECT_EQ(ClusterSelfId(derived), "10.1.2.3:7005");
}

}  // namespace
}  // namespace twinkv
