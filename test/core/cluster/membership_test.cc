// Membership changes (CLUSTER MEET / FORGET) on real ServerNodes in the
// simulator, in both cluster modes: the slots that change owner move their
// keys, clients are sent where the keys are (ASK while moving, MOVED
// after), and no acknowledged write is lost — also across a crash of the
// node handing keys over.

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/client/client.h"
#include "core/cluster/router.h"
#include "core/cluster/slots.h"
#include "core/config.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "sim/network.h"
#include "sim/world.h"
#include "test/core/cluster/sim_cluster.h"

namespace twinkv {
namespace {

using sim::CrashKind;
using sim::Node;
using sim::Process;
using sim::World;

using cluster_test::Id;
using cluster_test::kPort;
using cluster_test::NodeConfig;
using cluster_test::ServerProcess;
const char* const kIps[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"};

// Nodes 0-2 form the cluster; node 3 starts empty, as no member
// (cluster-join), to join.
Config MembershipConfig(int index, const std::string& mode) {
  Config config = NodeConfig(mode, cluster_test::Ids(3), Id(index));
  config.cluster_join = index == 3;
  return config;
}


class MembershipTest : public ::testing::TestWithParam<std::string> {
 protected:
  MembershipTest() : world_(11, Options()) {
    for (int i = 0; i < 4; ++i) {
      Node& node = world_.AddNode(absl::StrCat("n", i), kIps[i]);
      const std::string mode = GetParam();
      node.SetBoot([i, mode](Node& n) -> std::unique_ptr<Process> {
        return std::make_unique<ServerProcess>(n, MembershipConfig(i, mode));
      });
      node.Boot();
      nodes_.push_back(&node);
    }
    client_node_ = &world_.AddNode("client", "10.0.0.9");
    for (int i = 0; i < 4; ++i) {
      ClientOptions options;
      options.address = Address{kIps[i], kPort};
      options.request_timeout = absl::Seconds(60);
      clients_.push_back(std::make_unique<Client>(*client_node_, options));
    }
  }

  static sim::WorldOptions Options() {
    sim::WorldOptions options;
    options.keep_logs = false;
    return options;
  }

  bool proxy() const { return GetParam() == "proxy"; }
  ServerNode& server(int i) {
    return nodes_[i]->process_as<ServerProcess>()->server();
  }

  ReplyOrError Call(int node, std::vector<std::string> args) {
    bool done = false;
    ReplyOrError result = absl::InternalError("none");
    clients_[node]->Send(std::move(args)).Then([&](ReplyOrError r) {
      done = true;
      result = std::move(r);
    });
    EXPECT_TRUE(world_.RunUntil([&] { return done; }, absl::Seconds(120)));
    return result;
  }

  // Runs a command the way the mode's clients do: proxy clients ask any
  // node (`via`); cluster-aware clients follow MOVED and ASK.
  Reply Run(int via, std::vector<std::string> args) {
    int node = via;
    bool asking = false;
    for (int hop = 0; hop < 8; ++hop) {
      if (asking) {
        ReplyOrError ok = Call(node, {"ASKING"});
        EXPECT_TRUE(ok.ok());
      }
      ReplyOrError r = Call(node, args);
      if (!r.ok() && r.status().code() == absl::StatusCode::kUnknown) {
        // The connection died with a crashed node; the tests only retry
        // what is safe to run twice.
        r = Call(node, args);
      }
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) return Reply::Error("client failure");
      if (!r->is_error()) return *r;
      if (absl::StartsWith(r->str, "TRYAGAIN")) {
        ++tryagains_;
        world_.RunFor(absl::Milliseconds(20));
        asking = false;
        continue;
      }
      const bool moved = absl::StartsWith(r->str, "MOVED ");
      const bool ask = absl::StartsWith(r->str, "ASK ");
      if (proxy() || (!moved && !ask)) return *r;
      moved ? ++moveds_ : ++asks_;
      std::vector<std::string> parts = absl::StrSplit(r->str, ' ');
      node = -1;
      for (int i = 0; i < 4; ++i) {
        if (parts[2] == Id(i)) node = i;
      }
      EXPECT_GE(node, 0) << r->str;
      if (node < 0) return *r;
      asking = ask;
    }
    ADD_FAILURE() << "too many redirects for " << args[0] << " " << args[1];
    return Reply::Error("too many redirects");
  }

  bool AllSettled() {
    for (int i = 0; i < 4; ++i) {
      if (!nodes_[i]->up()) return false;
      if (server(i).engine().cluster()->migrating()) return false;
    }
    return true;
  }

  std::string Where(const std::string& key) {
    std::string out;
    for (int i = 0; i < 4; ++i) {
      const ClusterView* v = server(i).engine().cluster();
      const int slot = KeySlot(key);
      absl::StrAppend(&out, " n", i, ":has=",
                      server(i).engine().keyspace().db(0).Exists(
                          key, server(i).engine().NowMs()),
                      ",epoch=", v->epoch(), ",mig=", v->migrating(),
                      ",owner=", v->slots.owner_id(slot), ",old=",
                      v->old_owner(slot), ",new=", v->new_owner(slot));
    }
    return out;
  }

  int64_t KeysOn(int i) {
    return static_cast<int64_t>(server(i).engine().keyspace().db(0).size());
  }

  World world_;
  std::vector<Node*> nodes_;
  Node* client_node_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  int asks_ = 0, moveds_ = 0, tryagains_ = 0;
};

TEST_P(MembershipTest, MeetMovesAboutAQuarterOfTheKeysAndLosesNone) {
  constexpr int kKeys = 400;
  std::map<std::string, std::string> expected;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("key:", i);
    const std::string value = absl::StrCat("v", i);
    EXPECT_EQ(Run(i % 3, {"SET", key, value}), Reply::Status("OK"));
    expected[key] = value;
  }
  EXPECT_EQ(Run(0, {"CLUSTER", "MEET", kIps[3], "6379"}),
            Reply::Status("OK"));
  // While keys move: every read finds the latest value, every write
  // lands, wherever the client asks.
  for (int round = 0; round < 3; ++round) {
    for (int i = round; i < kKeys; i += 7) {
      const std::string key = absl::StrCat("key:", i);
      Reply got = Run(i % 4, {"GET", key});
      EXPECT_EQ(got, Reply::Bulk(expected[key])) << key << Where(key);
      expected[key] = absl::StrCat("w", round, "-", i);
      EXPECT_EQ(Run((i + 1) % 4, {"SET", key, expected[key]}),
                Reply::Status("OK"));
    }
  }
  ASSERT_TRUE(world_.RunUntil([&] { return AllSettled(); },
                              absl::Seconds(60)));
  // Every node agrees on the new map, and each key lives on its owner.
  SlotMap map({Id(0), Id(1), Id(2), Id(3)});
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(server(i).engine().cluster()->epoch(), 1u);
    ReplyOrError info = Call(i, {"CLUSTER", "INFO"});
    ASSERT_TRUE(info.ok());
    EXPECT_TRUE(absl::StrContains(info->str, "twinkv_membership_epoch:1\r\n"))
        << info->str;
    EXPECT_TRUE(
        absl::StrContains(info->str, "twinkv_membership_changing:0\r\n"));
  }
  int64_t total = 0;
  for (int i = 0; i < 4; ++i) total += KeysOn(i);
  EXPECT_EQ(total, kKeys);
  EXPECT_GT(KeysOn(3), kKeys / 8);
  EXPECT_LT(KeysOn(3), kKeys / 2);
  for (const auto& [key, value] : expected) {
    const int owner = map.OwnerOfKey(key);
    EXPECT_TRUE(server(owner).engine().keyspace().db(0).Exists(
        key, server(owner).engine().NowMs()))
        << key << " not on " << Id(owner);
    EXPECT_EQ(Run(3, {"GET", key}), Reply::Bulk(value)) << key;
  }
  if (!proxy()) {
    EXPECT_GT(moveds_, 0);
    // CLUSTER SLOTS shows four masters now.
    Reply slots = Run(3, {"CLUSTER", "SLOTS"});
    std::set<std::string> hosts;
    for (const Reply& range : slots.elements) {
      ASSERT_GE(range.elements.size(), 3u);
      hosts.insert(range.elements[2].elements[0].str);
    }
    EXPECT_EQ(hosts.size(), 4u);
  }
}

// A client blocked (BLPOP) on a key whose slot moves to the new node is
// sent there, as Redis does: a cluster-aware client gets MOVED or ASK; a
// proxy node follows it itself, so the client's BLPOP is served by the
// push that lands on the new owner.
TEST_P(MembershipTest, ClientsBlockedOnAMovingKeyFollowIt) {
  SlotMap before(cluster_test::Ids(3));
  SlotMap after({Id(0), Id(1), Id(2), Id(3)});
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    std::string k = absl::StrCat("list:", i);
    if (after.owner_id(KeySlot(k)) == Id(3)) key = k;
  }
  const int owner = before.OwnerOfKey(key);
  // Proxy: through another node (a forwarded blocking command).
  const int via = proxy() ? (owner + 1) % 3 : owner;
  ClientOptions options;
  options.address = Address{kIps[via], kPort};
  options.request_timeout = absl::Seconds(120);
  Client waiter(*client_node_, options);
  bool done = false;
  ReplyOrError popped = absl::InternalError("none");
  waiter.Send({"BLPOP", key, "0"}).Then([&](ReplyOrError r) {
    done = true;
    popped = std::move(r);
  });
  world_.RunFor(absl::Milliseconds(200));
  ASSERT_FALSE(done);
  EXPECT_EQ(server(owner).engine().blocked_clients(), 1u);
  EXPECT_EQ(Run(0, {"CLUSTER", "MEET", kIps[3], "6379"}),
            Reply::Status("OK"));
  ASSERT_TRUE(world_.RunUntil([&] { return AllSettled(); },
                              absl::Seconds(60)));
  EXPECT_EQ(server(owner).engine().blocked_clients(), 0u);
  if (!proxy()) {
    // Sent where the slot went (ASK while it moved, or MOVED after).
    ASSERT_TRUE(done);
    ASSERT_TRUE(popped.ok()) << popped.status();
    EXPECT_TRUE(popped->is_error());
    EXPECT_TRUE(absl::StartsWith(popped->str, "MOVED ") ||
                absl::StartsWith(popped->str, "ASK "))
        << popped->str;
    EXPECT_TRUE(absl::StrContains(popped->str, Id(3))) << popped->str;
    return;
  }
  // Proxy: the BLPOP now waits on the new owner, and a push wakes it.
  ASSERT_TRUE(world_.RunUntil(
      [&] { return server(3).engine().blocked_clients() == 1; },
      absl::Seconds(5)));
  EXPECT_FALSE(done);
  EXPECT_EQ(Run(1, {"RPUSH", key, "x"}), Reply::Integer(1));
  ASSERT_TRUE(world_.RunUntil([&] { return done; }, absl::Seconds(5)));
  ASSERT_TRUE(popped.ok()) << popped.status();
  EXPECT_EQ(*popped, Reply::Array({Reply::Bulk(key), Reply::Bulk("x")}));
  EXPECT_EQ(Run(2, {"LLEN", key}), Reply::Integer(0));
}

// FORGET moves a node's slots to the others. Proxy mode: a forwarded
// BLPOP whose key moves to the forwarding node itself blocks there, and a
// BLPOP of the forgotten node's own client is forwarded to the key's new
// owner. Redirect mode: the blocked client is sent there.
TEST_P(MembershipTest, BlockedClientsOfAForgottenNodeFollowTheirKeys) {
  SlotMap before(cluster_test::Ids(3));
  SlotMap after({Id(0), Id(1)});
  auto find = [&](int to) {
    for (int i = 0;; ++i) {
      std::string k = absl::StrCat("list:", i);
      if (before.owner_id(KeySlot(k)) == Id(2) &&
          after.owner_id(KeySlot(k)) == Id(to)) {
        return k;
      }
    }
  };
  const std::string to_forwarder = find(0);
  const std::string to_other = find(1);
  struct Waiter {
    std::unique_ptr<Client> client;
    bool done = false;
    ReplyOrError result = absl::InternalError("none");
  };
  auto wait = [&](int via, const std::string& key) {
    auto w = std::make_unique<Waiter>();
    ClientOptions options;
    options.address = Address{kIps[via], kPort};
    options.request_timeout = absl::Seconds(120);
    w->client = std::make_unique<Client>(*client_node_, options);
    Waiter* raw = w.get();
    w->client->Send({"BLPOP", key, "0"}).Then([raw](ReplyOrError r) {
      raw->done = true;
      raw->result = std::move(r);
    });
    return w;
  };
  // Proxy: one forwarded from node 0, one blocked on node 2 itself.
  auto forwarded = wait(proxy() ? 0 : 2, to_forwarder);
  auto local = wait(2, to_other);
  world_.RunFor(absl::Milliseconds(200));
  EXPECT_EQ(server(2).engine().blocked_clients(), 2u);
  EXPECT_EQ(Run(0, {"CLUSTER", "FORGET", Id(2)}), Reply::Status("OK"));
  ASSERT_TRUE(world_.RunUntil([&] { return AllSettled(); },
                              absl::Seconds(60)));
  EXPECT_EQ(server(2).engine().blocked_clients(), 0u);
  if (!proxy()) {
    ASSERT_TRUE(world_.RunUntil(
        [&] { return forwarded->done && local->done; }, absl::Seconds(5)));
    for (auto* w : {forwarded.get(), local.get()}) {
      ASSERT_TRUE(w->result.ok()) << w->result.status();
      EXPECT_TRUE(absl::StartsWith(w->result->str, "MOVED ") ||
                  absl::StartsWith(w->result->str, "ASK "))
          << w->result->str;
    }
    EXPECT_TRUE(absl::StrContains(forwarded->result->str, Id(0)));
    EXPECT_TRUE(absl::StrContains(local->result->str, Id(1)));
    return;
  }
  // Blocked where the keys went: node 0 itself, and node 1 (forwarded).
  ASSERT_TRUE(world_.RunUntil(
      [&] {
        return server(0).engine().blocked_clients() == 1 &&
               server(1).engine().blocked_clients() == 1;
      },
      absl::Seconds(5)));
  EXPECT_FALSE(forwarded->done);
  EXPECT_FALSE(local->done);
  EXPECT_EQ(Run(1, {"RPUSH", to_forwarder, "a"}), Reply::Integer(1));
  EXPECT_EQ(Run(0, {"RPUSH", to_other, "b"}), Reply::Integer(1));
  ASSERT_TRUE(world_.RunUntil([&] { return forwarded->done && local->done; },
                              absl::Seconds(5)));
  ASSERT_TRUE(forwarded->result.ok()) << forwarded->result.status();
  EXPECT_EQ(*forwarded->result,
            Reply::Array({Reply::Bulk(to_forwarder), Reply::Bulk("a")}));
  ASSERT_TRUE(local->result.ok()) << local->result.status();
  EXPECT_EQ(*local->result,
            Reply::Array({Reply::Bulk(to_other), Reply::Bulk("b")}));
}

TEST_P(MembershipTest, ForgetDrainsTheNodeThroughACrash) {
  constexpr int kKeys = 300;
  std::map<std::string, std::string> expected;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("key:", i);
    expected[key] = absl::StrCat("v", i);
    EXPECT_EQ(Run(i % 3, {"SET", key, expected[key]}), Reply::Status("OK"));
  }
  const int64_t on_1 = KeysOn(1);
  ASSERT_GT(on_1, 0);
  EXPECT_EQ(Run(0, {"CLUSTER", "FORGET", Id(1)}), Reply::Status("OK"));
  EXPECT_EQ(Run(0, {"CLUSTER", "FORGET", Id(0)}).str,
            "ERR I tried hard but I can't forget myself...");
  // Node 1 loses power while handing its keys over, and comes back.
  ASSERT_TRUE(world_.RunUntil([&] { return KeysOn(1) < on_1; },
                              absl::Seconds(10)));
  nodes_[1]->Crash(CrashKind::kPowerCut);
  world_.RunFor(absl::Milliseconds(500));
  nodes_[1]->Boot();
  ASSERT_TRUE(world_.RunUntil([&] { return AllSettled(); },
                              absl::Seconds(60)));
  EXPECT_EQ(KeysOn(1), 0);
  EXPECT_EQ(KeysOn(0) + KeysOn(2), kKeys);
  for (const auto& [key, value] : expected) {
    EXPECT_EQ(Run(2, {"GET", key}), Reply::Bulk(value)) << key;
  }
  // The forgotten node still answers (its clients are sent on).
  EXPECT_EQ(Run(1, {"GET", "key:7"}), Reply::Bulk(expected["key:7"]));
  // A restart of a member keeps the new membership (from its AOF).
  nodes_[2]->Crash(CrashKind::kKill);
  nodes_[2]->Boot();
  EXPECT_EQ(server(2).engine().cluster()->epoch(), 1u);
  EXPECT_EQ(server(2).engine().cluster()->new_members(),
            (std::vector<std::string>{Id(0), Id(2)}));
}

INSTANTIATE_TEST_SUITE_P(Modes, MembershipTest,
                         ::testing::Values("proxy", "redirect"));

}  // namespace
}  // namespace twinkv
