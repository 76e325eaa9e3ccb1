// Cross-node RENAME, SMOVE, LMOVE, *STORE & co. in proxy mode
// (core/cluster/router_cross.cc), on three real ServerNodes in the
// simulator, compared with a fourth, standalone node running the same
// commands.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

using cluster_test::kPort;
using cluster_test::NodeConfig;
using cluster_test::ServerProcess;
const char* const kIps[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
const char kStandaloneIp[] = "10.0.0.4";

std::vector<std::string> Members() { return cluster_test::Ids(3); }


// A random seed, or TWINKV_SEED's to replay a run.
unsigned TestSeed(const char* test) {
  unsigned seed = 0;
  const char* env = std::getenv("TWINKV_SEED");
  if (env == nullptr || !absl::SimpleAtoi(env, &seed)) {
    seed = std::random_device()();
  }
  std::printf("%s seed=%u (replay: TWINKV_SEED=%u)\n", test, seed, seed);
  return seed;
}

struct Outcome {
  bool done = false;
  ReplyOrError result = absl::InternalError("not completed");
};

class RouterCrossTest : public ::testing::Test {
 protected:
  RouterCrossTest() : world_(11, Options()), map_(Members()) {
    for (int i = 0; i < 3; ++i) {
      Node& node = world_.AddNode(absl::StrCat("n", i), kIps[i]);
      node.SetBoot([i](Node& n) -> std::unique_ptr<Process> {
        return std::make_unique<ServerProcess>(
            n, NodeConfig("proxy", Members(), Members()[i]));
      });
      node.Boot();
      nodes_.push_back(&node);
    }
    standalone_ = &world_.AddNode("solo", kStandaloneIp);
    standalone_->SetBoot([](Node& n) -> std::unique_ptr<Process> {
      return std::make_unique<ServerProcess>(n, NodeConfig("", {}, ""));
    });
    standalone_->Boot();
    client_node_ = &world_.AddNode("client", "10.0.0.9");
    cluster_test::KeysByOwner(map_, 12, keys_);
  }

  static sim::WorldOptions Options() {
    sim::WorldOptions options;
    options.keep_logs = false;
    return options;
  }

  ServerNode& server(int i) {
    return nodes_[i]->process_as<ServerProcess>()->server();
  }

  std::unique_ptr<Client> ConnectTo(const char* ip, bool peer = false) {
    ClientOptions options;
    if (peer) options.handshake = {{"TWINKV.PEER"}};
    options.address = Address{ip, kPort};
    options.request_timeout = absl::Seconds(60);
    return std::make_unique<Client>(*client_node_, options);
  }
  std::unique_ptr<Client> Connect(int node, bool peer = false) {
    return ConnectTo(kIps[node], peer);
  }

  Reply Must(Client& c, std::vector<std::string> args) {
    Outcome out;
    c.Send(std::move(args)).Then([&out](ReplyOrError r) {
      out.done = true;
      out.result = std::move(r);
    });
    EXPECT_TRUE(world_.RunUntil([&] { return out.done; }, absl::Seconds(30)));
    EXPECT_TRUE(out.result.ok()) << out.result.status();
    return out.result.ok() ? *out.result : Reply::Error("client failure");
  }
  // Sends without waiting.
  std::shared_ptr<Outcome> Start(Client& c, std::vector<std::string> args) {
    auto out = std::make_shared<Outcome>();
    c.Send(std::move(args)).Then([out](ReplyOrError r) {
      out->done = true;
      out->result = std::move(r);
    });
    return out;
  }

  bool Holds(int i, const std::string& key) {
    return server(i).engine().keyspace().db(0).Exists(
        key, server(i).engine().NowMs());
  }
  size_t KeysOn(int i) { return server(i).engine().keyspace().db(0).size(); }

  // The value of `key` in a form that does not depend on set or hash
  // order, and whether it has a TTL.
  std::string Dump(Client& c, const std::string& key) {
    const std::string type = Must(c, {"TYPE", key}).str;
    std::vector<std::string> items;
    Reply r;
    if (type == "string") {
      r = Must(c, {"GET", key});
      items.push_back(r.str);
    } else if (type == "list") {
      r = Must(c, {"LRANGE", key, "0", "-1"});
    } else if (type == "set") {
      r = Must(c, {"SMEMBERS", key});
    } else if (type == "hash") {
      r = Must(c, {"HGETALL", key});
    } else if (type == "zset") {
      r = Must(c, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
    }
    for (const Reply& e : r.elements) items.push_back(e.str);
    if (type == "set") std::sort(items.begin(), items.end());
    const int64_t ttl = Must(c, {"PTTL", key}).integer;
    return absl::StrCat(type, "[", absl::StrJoin(items, ","), "] ",
                        ttl > 0 ? "ttl" : absl::StrCat(ttl));
  }

  World world_;
  SlotMap map_;
  std::vector<Node*> nodes_;
  Node* standalone_ = nullptr;
  Node* client_node_ = nullptr;
  std::vector<std::string> keys_[3];
};

// A reply with its set-like elements sorted (SUNION & co. answer in hash
// order, which copies need not keep).
Reply Sorted(Reply r) {
  std::sort(r.elements.begin(), r.elements.end(),
            [](const Reply& a, const Reply& b) { return a.str < b.str; });
  return r;
}

TEST_F(RouterCrossTest, CommandsAcrossNodesReplyAndStoreAsOneNodeWould) {
  auto proxy = Connect(0);
  auto solo = ConnectTo(kStandaloneIp);
  auto k = [&](int owner, int i) { return keys_[owner][i]; };
  struct Step {
    std::vector<std::string> args;
    bool sort = false;
  };
  const std::vector<Step> script = {
      // Setup.
      {{"SET", k(1, 0), "hello", "EX", "1000"}},
      {{"RPUSH", k(2, 0), "a", "b", "c", "d"}},
      {{"RPUSH", k(0, 0), "x"}},
      {{"SADD", k(0, 1), "a", "b", "c", "1", "2"}},
      {{"SADD", k(1, 1), "b", "c", "d"}},
      {{"SADD", k(2, 1), "c", "d", "e"}},
      {{"ZADD", k(1, 2), "1", "a", "2", "b", "2.5", "c"}},
      {{"ZADD", k(2, 2), "3", "b", "4", "c", "-1", "z"}},
      {{"HSET", k(2, 3), "f", "v", "g", "w"}},
      {{"SET", k(0, 3), "old"}},
      // RENAME & co.
      {{"RENAME", k(1, 0), k(2, 4)}},
      {{"RENAME", k(1, 5), k(0, 5)}},      // no such key
      {{"RENAME", k(2, 3), k(0, 3)}},      // overwrites a string
      {{"RENAMENX", k(2, 0), k(0, 0)}},    // 0: exists
      {{"RENAMENX", k(0, 3), k(1, 6)}},    // 1
      {{"COPY", k(1, 2), k(0, 6)}},        // 1
      {{"COPY", k(1, 2), k(0, 6)}},        // 0: exists
      {{"COPY", k(2, 2), k(0, 6), "REPLACE"}},
      {{"COPY", k(1, 9), k(0, 9)}},        // 0: no source
      // SMOVE.
      {{"SMOVE", k(0, 1), k(1, 1), "a"}},
      {{"SMOVE", k(0, 1), k(1, 1), "zz"}},
      {{"SMOVE", k(0, 1), k(2, 7), "1"}},  // creates the destination
      {{"SMOVE", k(0, 1), k(0, 0), "2"}},  // same node: forwarded
      {{"SMOVE", k(0, 1), k(2, 0), "b"}},  // WRONGTYPE
      // LMOVE, RPOPLPUSH.
      {{"LMOVE", k(2, 0), k(0, 0), "LEFT", "RIGHT"}},
      {{"RPOPLPUSH", k(2, 0), k(0, 0)}},
      {{"LMOVE", k(1, 7), k(0, 0), "LEFT", "LEFT"}},  // nil
      {{"LMOVE", k(2, 0), k(1, 1), "LEFT", "LEFT"}},  // WRONGTYPE
      {{"RPOPLPUSH", k(2, 0), k(1, 8)}},
      {{"RPOPLPUSH", k(2, 0), k(1, 8)}},  // the source is gone now
      {{"RPOPLPUSH", k(2, 0), k(1, 8)}},  // nil
      // *STORE.
      {{"SUNIONSTORE", k(0, 8), k(0, 1), k(1, 1), k(2, 1)}},
      {{"SINTERSTORE", k(2, 8), k(1, 1), k(2, 1)}},
      {{"SDIFFSTORE", k(1, 9), k(1, 1), k(2, 1)}},
      {{"SINTERSTORE", k(2, 8), k(0, 1), k(2, 1)}},  // empty: deletes
      {{"SUNIONSTORE", k(1, 10), k(0, 0), k(2, 1)}},  // WRONGTYPE
      {{"ZUNIONSTORE", k(0, 10), "2", k(1, 2), k(2, 2), "WEIGHTS", "1",
        "2"}},
      {{"ZINTERSTORE", k(2, 10), "2", k(1, 2), k(2, 2), "AGGREGATE",
        "MAX"}},
      {{"ZDIFFSTORE", k(1, 11), "2", k(1, 2), k(2, 2)}},
      {{"ZRANGESTORE", k(0, 11), k(2, 2), "0", "1"}},
      {{"ZRANGESTORE", k(0, 11), k(2, 2), "5", "9"}},  // empty: deletes
      // Read-only ones.
      {{"SUNION", k(0, 1), k(1, 1), k(2, 1)}, true},
      {{"SINTER", k(1, 1), k(2, 1)}, true},
      {{"SDIFF", k(1, 1), k(2, 1)}, true},
      {{"SINTERCARD", "2", k(1, 1), k(2, 1)}},
      {{"ZUNION", "2", k(1, 2), k(2, 2), "WITHSCORES"}},
      {{"ZINTER", "2", k(1, 2), k(2, 2)}},
      {{"ZDIFF", "2", k(2, 2), k(1, 2)}},
      {{"ZINTERCARD", "2", k(1, 2), k(2, 2)}},
  };
  for (const Step& step : script) {
    Reply want = Must(*solo, step.args);
    Reply got = Must(*proxy, step.args);
    if (step.sort) {
      want = Sorted(want);
      got = Sorted(got);
    }
    EXPECT_EQ(got, want) << absl::StrJoin(step.args, " ") << "\n got "
                         << got.DebugString() << "\n want "
                         << want.DebugString();
  }
  // Spot checks that the comparison means something.
  EXPECT_EQ(Must(*proxy, {"RENAME", k(1, 5), k(0, 5)}),
            Reply::Error("ERR no such key"));
  EXPECT_EQ(Must(*proxy, {"GET", k(2, 4)}), Reply::Bulk("hello"));

  // The same data, each key on its owner only, no temporaries left.
  size_t live = 0;
  for (int owner = 0; owner < 3; ++owner) {
    for (const std::string& key : keys_[owner]) {
      EXPECT_EQ(Dump(*proxy, key), Dump(*solo, key)) << key;
      for (int i = 0; i < 3; ++i) {
        if (i != owner) {
          EXPECT_FALSE(Holds(i, key)) << key << " on " << i;
        }
      }
      if (Holds(owner, key)) ++live;
    }
  }
  EXPECT_GT(live, 10u);
  EXPECT_EQ(KeysOn(0) + KeysOn(1) + KeysOn(2), live);
  EXPECT_EQ(Must(*solo, {"DBSIZE"}), Reply::Integer(live));
  EXPECT_EQ(Must(*proxy, {"DBSIZE"}), Reply::Integer(live));
  EXPECT_GE(server(0).router()->stats().tx_committed, 15u);
  // Nothing stays locked.
  for (int owner = 0; owner < 3; ++owner) {
    for (const std::string& key : keys_[owner]) {
      EXPECT_EQ(Must(*proxy, {"SET", key, "w"}), Reply::Status("OK"));
    }
  }
  EXPECT_EQ(server(0).router()->stats().lock_waits, 0u);
}

TEST_F(RouterCrossTest, RenameCarriesTheTtlAcrossNodes) {
  auto c = Connect(1);
  const std::string& src = keys_[0][0];
  const std::string& dst = keys_[2][0];
  EXPECT_EQ(Must(*c, {"SET", dst, "old", "EX", "50"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"SET", src, "v", "PX", "100000"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"RENAME", src, dst}), Reply::Status("OK"));
  const int64_t ttl = Must(*c, {"PTTL", dst}).integer;
  EXPECT_GT(ttl, 99000);
  EXPECT_LE(ttl, 100000);
  EXPECT_EQ(Must(*c, {"EXISTS", src}), Reply::Integer(0));
  // A key without a TTL drops the destination's.
  Must(*c, {"SET", src, "plain"});
  EXPECT_EQ(Must(*c, {"RENAME", src, dst}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"PTTL", dst}), Reply::Integer(-1));
  // It expires on its new owner as it would have on the old one.
  Must(*c, {"RPUSH", src, "a", "b"});
  Must(*c, {"PEXPIRE", src, "300"});
  EXPECT_EQ(Must(*c, {"RENAME", src, dst}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"LRANGE", dst, "0", "-1"}),
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  world_.RunFor(absl::Milliseconds(400));
  EXPECT_EQ(Must(*c, {"EXISTS", dst}), Reply::Integer(0));
  EXPECT_FALSE(Holds(2, dst));
}

TEST_F(RouterCrossTest, ReadersWaitWhileARenameIsUnderWay) {
  auto c = Connect(0);
  auto via1 = Connect(1);
  auto via2 = Connect(2);
  const std::string& src = keys_[1][0];
  const std::string& dst = keys_[2][0];
  Must(*c, {"SET", src, "v"});
  Must(*c, {"SET", dst, "old"});
  // Warm up the pools so that the timing below is the clog's.
  Must(*c, {"GET", dst});
  // Node 0's messages to node 2 are held: src is locked on node 1 at once,
  // dst only once they arrive.
  world_.fabric().ClogLink(*nodes_[0], *nodes_[2], absl::Milliseconds(400));
  auto rename = Start(*c, {"RENAME", src, dst});
  world_.RunFor(absl::Milliseconds(50));
  auto get_src = Start(*via1, {"GET", src});
  auto get_src_remote = Start(*via2, {"GET", src});
  world_.RunFor(absl::Milliseconds(250));
  EXPECT_FALSE(rename->done);
  EXPECT_FALSE(get_src->done);
  EXPECT_FALSE(get_src_remote->done);
  ASSERT_TRUE(world_.RunUntil(
      [&] {
        return rename->done && get_src->done && get_src_remote->done;
      },
      absl::Seconds(5)));
  ASSERT_TRUE(rename->result.ok());
  EXPECT_EQ(*rename->result, Reply::Status("OK"));
  // They waited for the commit, and saw it.
  EXPECT_EQ(*get_src->result, Reply::Null());
  EXPECT_EQ(*get_src_remote->result, Reply::Null());
  EXPECT_EQ(Must(*via1, {"GET", dst}), Reply::Bulk("v"));
  EXPECT_GE(server(1).router()->stats().lock_waits +
                server(2).router()->stats().lock_waits,
            1u);
}

// Readers read src then dst (or dst then src) through every node while
// renames go back and forth and their commits reach the two owners at
// different times: a reader never finds the value in neither place, nor
// in both.
TEST_F(RouterCrossTest, NoReaderSeesHalfARename) {
  const unsigned seed = TestSeed("NoReaderSeesHalfARename");
  std::mt19937 rng(seed);
  const std::string a = keys_[1][0];
  const std::string b = keys_[2][0];
  auto writer = Connect(0);
  Must(*writer, {"SET", a, "v"});
  std::vector<std::unique_ptr<Client>> readers;
  for (int i = 0; i < 4; ++i) readers.push_back(Connect(i % 3));
  int violations = 0;
  int reads = 0;
  std::string where = a;  // where the value is
  for (int round = 0; round < 30; ++round) {
    const std::string from = where;
    const std::string to = where == a ? b : a;
    const uint64_t committed = server(0).router()->stats().tx_committed;
    auto rename = Start(*writer, {"RENAME", from, to});
    // Once decided, hold the commit to one owner a while: without the
    // locks, readers would find one half done and the other not.
    ASSERT_TRUE(world_.RunUntil(
        [&] {
          return server(0).router()->stats().tx_committed > committed;
        },
        absl::Seconds(5)));
    world_.fabric().ClogLink(*nodes_[0], *nodes_[1 + rng() % 2],
                             absl::Milliseconds(1 + rng() % 8));
    // Each reader reads both keys one after the other, from a random
    // moment on.
    struct Read {
      std::shared_ptr<Outcome> first, second;
      bool a_first;
    };
    std::vector<Read> rs(readers.size());
    std::vector<int> delays(readers.size());
    for (int& d : delays) d = static_cast<int>(rng() % 10);
    for (int ms = 0; ms < 10; ++ms) {
      for (size_t i = 0; i < readers.size(); ++i) {
        if (delays[i] != ms) continue;
        rs[i].a_first = rng() % 2 == 0;
        rs[i].first = Start(*readers[i], {"GET", rs[i].a_first ? a : b});
        rs[i].second = Start(*readers[i], {"GET", rs[i].a_first ? b : a});
      }
      world_.RunFor(absl::Milliseconds(1));
    }
    ASSERT_TRUE(world_.RunUntil(
        [&] {
          if (!rename->done) return false;
          for (const Read& r : rs) {
            if (!r.second->done) return false;
          }
          return true;
        },
        absl::Seconds(10)));
    ASSERT_EQ(*rename->result, Reply::Status("OK")) << "seed=" << seed;
    where = to;
    for (const Read& r : rs) {
      ASSERT_TRUE(r.first->result.ok() && r.second->result.ok());
      const bool first_has = r.first->result->type == Reply::Type::kBulk;
      const bool second_has = r.second->result->type == Reply::Type::kBulk;
      ++reads;
      // The first key read is the source: empty means the rename was done,
      // so the second must have it. The first is the destination: holding
      // it means the rename was done, so the source must be empty.
      const std::string first_key = r.a_first ? a : b;
      if (first_key == from && !first_has && !second_has) ++violations;
      if (first_key == to && first_has && second_has) ++violations;
    }
  }
  EXPECT_EQ(violations, 0) << "seed=" << seed;
  EXPECT_EQ(reads, 120);
}

TEST_F(RouterCrossTest, AnUnreachableOwnerRollsBackAndKeepsBothKeys) {
  auto c = Connect(0);
  const std::string& src = keys_[1][0];
  const std::string& dst = keys_[2][0];
  Must(*c, {"RPUSH", src, "a", "b"});
  Must(*c, {"SET", dst, "old"});
  world_.fabric().Partition(*nodes_[0], *nodes_[2], /*one_way=*/false);
  Reply r = Must(*c, {"RENAME", src, dst});
  ASSERT_TRUE(r.is_error()) << r.DebugString();
  EXPECT_TRUE(absl::StrContains(r.str, "rolled back")) << r.str;
  r = Must(*c, {"SMOVE", keys_[2][1], keys_[1][1], "m"});
  EXPECT_TRUE(r.is_error()) << r.DebugString();
  world_.fabric().HealAll();
  // Both keys intact, and not locked (these would wait otherwise).
  auto c1 = Connect(1);
  EXPECT_EQ(Must(*c1, {"LRANGE", src, "0", "-1"}),
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  EXPECT_EQ(Must(*c1, {"GET", dst}), Reply::Bulk("old"));
  EXPECT_EQ(Must(*c, {"RENAME", src, dst}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c1, {"LRANGE", dst, "0", "-1"}),
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  EXPECT_EQ(Must(*c1, {"EXISTS", src}), Reply::Integer(0));
  // Durable: the owners' logs have it.
  for (int i = 0; i < 3; ++i) {
    nodes_[i]->Crash(CrashKind::kPowerCut);
    nodes_[i]->Boot();
  }
  auto c2 = Connect(2);
  EXPECT_EQ(Must(*c2, {"LRANGE", dst, "0", "-1"}),
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  EXPECT_EQ(Must(*c2, {"EXISTS", src}), Reply::Integer(0));
}

TEST_F(RouterCrossTest, StagedStatesSurviveARewriteAndARestart) {
  auto peer1 = Connect(1, /*peer=*/true);
  const std::string& key = keys_[1][0];
  const std::string& other = keys_[1][1];
  Must(*peer1, {"SET", key, "before"});
  Must(*peer1, {"SET", other, "kept"});
  Reply fetched =
      Must(*peer1, {"TWINKV.FETCH", "x1", "10.0.0.3:6379", key, other});
  ASSERT_EQ(fetched.type, Reply::Type::kArray) << fetched.DebugString();
  EXPECT_EQ(fetched.elements[0],
            Reply::Bulk(absl::StrCat("*3\r\n$3\r\nSET\r\n$", key.size(),
                                     "\r\n", key, "\r\n$6\r\nbefore\r\n")));
  // Locked: a second fetch fails at once.
  EXPECT_EQ(Must(*peer1, {"TWINKV.FETCH", "x2", "10.0.0.3:6379", key}).str,
            "TRYAGAIN Key locked by a cross-node transaction");
  // Other keys than fetched: refused.
  EXPECT_TRUE(
      Must(*peer1, {"TWINKV.STAGE", "x1", "10.0.0.3:6379", key, "="}).is_error());
  const std::string list = absl::StrCat(
      "*4\r\n$5\r\nRPUSH\r\n$", key.size(), "\r\n", key,
      "\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Must(*peer1, {"TWINKV.STAGE", "x1", "10.0.0.3:6379", key,
                          absl::StrCat("+", list), other, "="}),
            Reply::Status("OK"));
  EXPECT_EQ(Must(*peer1, {"BGREWRITEAOF"}).type, Reply::Type::kStatus);
  world_.RunFor(absl::Milliseconds(200));
  nodes_[1]->Crash(CrashKind::kKill);
  nodes_[1]->Boot();
  auto peer1b = Connect(1, /*peer=*/true);
  EXPECT_EQ(Must(*peer1b, {"TWINKV.COMMIT", "x1"}), Reply::Integer(1));
  EXPECT_EQ(Must(*peer1b, {"TWINKV.COMMIT", "x1"}), Reply::Integer(0));
  nodes_[1]->Crash(CrashKind::kPowerCut);
  nodes_[1]->Boot();
  auto c = Connect(0);
  EXPECT_EQ(Must(*c, {"LRANGE", key, "0", "-1"}),
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  EXPECT_EQ(Must(*c, {"GET", other}), Reply::Bulk("kept"));
  EXPECT_EQ(server(1).router()->stats().lock_waits, 0u);
}

TEST_F(RouterCrossTest, AStagedCommandWhoseCoordinatorNeverDecidedIsAborted) {
  auto peer1 = Connect(1, /*peer=*/true);
  const std::string& key = keys_[1][0];
  Must(*peer1, {"SET", key, "before"});
  Must(*peer1, {"TWINKV.FETCH", "y1", "10.0.0.1:6379", key});
  EXPECT_EQ(
      Must(*peer1, {"TWINKV.STAGE", "y1", "10.0.0.1:6379", key, "+"}),
      Reply::Status("OK"));
  auto c = Connect(2);
  auto got = Start(*c, {"GET", key});
  world_.RunFor(absl::Milliseconds(1500));
  EXPECT_FALSE(got->done);  // locked until node 0 says ABORT
  ASSERT_TRUE(world_.RunUntil([&] { return got->done; }, absl::Seconds(10)));
  EXPECT_EQ(*got->result, Reply::Bulk("before"));
}

TEST_F(RouterCrossTest, BlockingMovesStayRefused) {
  auto c = Connect(0);
  EXPECT_EQ(Must(*c, {"BLMOVE", keys_[1][0], keys_[2][0], "LEFT", "LEFT",
                      "0.1"}),
            Reply::Error(
                "CROSSSLOT Keys in request don't hash to the same slot"));
  EXPECT_EQ(Must(*c, {"COPY", keys_[1][0], keys_[2][0], "DB", "0"}),
            Reply::Error(
                "CROSSSLOT Keys in request don't hash to the same slot"));
}

// Clients move members between sets of three nodes at once: conflicts are
// retried, and no member is lost or doubled.
TEST_F(RouterCrossTest, ConcurrentSmovesConserveMembers) {
  const unsigned seed = TestSeed("ConcurrentSmovesConserveMembers");
  std::mt19937 rng(seed);
  const std::string sets[] = {keys_[0][0], keys_[1][0], keys_[2][0]};
  auto setup = Connect(0);
  for (int m = 0; m < 6; ++m) Must(*setup, {"SADD", sets[m % 3], absl::StrCat("m", m)});
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 6; ++i) clients.push_back(Connect(i % 3));
  int moved = 0;
  for (int round = 0; round < 15; ++round) {
    std::vector<std::shared_ptr<Outcome>> outs;
    for (auto& client : clients) {
      const int from = static_cast<int>(rng() % 3);
      const int to = (from + 1 + static_cast<int>(rng() % 2)) % 3;
      outs.push_back(Start(*client, {"SMOVE", sets[from], sets[to],
                                     absl::StrCat("m", rng() % 6)}));
    }
    ASSERT_TRUE(world_.RunUntil(
        [&] {
          for (auto& o : outs) {
            if (!o->done) return false;
          }
          return true;
        },
        absl::Seconds(20)));
    for (auto& o : outs) {
      ASSERT_TRUE(o->result.ok());
      ASSERT_EQ(o->result->type, Reply::Type::kInteger)
          << o->result->DebugString() << " seed=" << seed;
      moved += static_cast<int>(o->result->integer);
    }
  }
  Reply all = Must(*setup, {"SUNION", sets[0], sets[1], sets[2]});
  EXPECT_EQ(all.elements.size(), 6u) << "seed=" << seed;
  int64_t total = 0;
  for (const std::string& s : sets) total += Must(*setup, {"SCARD", s}).integer;
  EXPECT_EQ(total, 6) << "seed=" << seed;
  EXPECT_GT(moved, 0);
  // They did meet each other's locks.
  uint64_t conflicts = 0;
  for (int i = 0; i < 3; ++i) {
    conflicts += server(i).router()->stats().tx_conflicts;
  }
  EXPECT_GT(conflicts, 0u) << "seed=" << seed;
}

}  // namespace
}  // namespace twinkv
