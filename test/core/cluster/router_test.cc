// Proxy mode (core/cluster/router.h) on three real ServerNodes in the
// simulator: a client that knows nothing of clusters talks to one node and
// reaches every key.

#include "core/cluster/router.h"

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/client/client.h"
#include "core/cluster/slots.h"
#include "core/config.h"
#include "core/server_node.h"
#include "gtest/gtest.h"
#include "sim/network.h"
#include "test/core/cluster/sim_cluster.h"
#include "sim/world.h"

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

std::vector<std::string> Members() { return cluster_test::Ids(3); }


// One reply (or failure) with the time it came.
struct Outcome {
  bool done = false;
  ReplyOrError result = absl::InternalError("not completed");
};

// A raw connection that sends bytes and collects whatever comes back
// (pub/sub messages are not replies to requests).
class RawConn {
 public:
  RawConn(Node& from, const char* ip) {
    from.network().Connect(Address{ip, kPort}, absl::Seconds(1),
                           [this](NetError e, std::unique_ptr<Stream> s) {
                             ASSERT_EQ(e, NetError::kOk);
                             stream_ = std::move(s);
                             Read();
                           });
  }
  void Send(const std::string& bytes) {
    sending_ = bytes;
    stream_->Write(sending_, [](NetError) {});
  }
  bool connected() const { return stream_ != nullptr; }
  std::string in;

 private:
  void Read() {
    stream_->Read(absl::MakeSpan(buf_, sizeof(buf_)),
                  [this](NetError e, size_t n) {
                    if (e != NetError::kOk) return;
                    in.append(buf_, n);
                    Read();
                  });
  }
  std::unique_ptr<Stream> stream_;
  std::string sending_;
  char buf_[4096];
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : world_(7, Options()), map_(Members()) {
    for (int i = 0; i < 3; ++i) {
      Node& node = world_.AddNode(absl::StrCat("n", i), kIps[i]);
      node.SetBoot([i](Node& n) -> std::unique_ptr<Process> {
        return std::make_unique<ServerProcess>(
            n, NodeConfig("proxy", Members(), Members()[i]));
      });
      node.Boot();
      nodes_.push_back(&node);
    }
    client_node_ = &world_.AddNode("client", "10.0.0.9");
    // Keys by owner (an index into kIps: map_.nodes() is sorted as they are).
    cluster_test::KeysByOwner(map_, 8, keys_);
  }

  static sim::WorldOptions Options() {
    sim::WorldOptions options;
    options.keep_logs = false;
    return options;
  }

  ServerNode& server(int i) {
    return nodes_[i]->process_as<ServerProcess>()->server();
  }

  std::unique_ptr<Client> Connect(int node, bool peer = false) {
    ClientOptions options;
    if (peer) options.handshake = {{"TWINKV.PEER"}};
    options.address = Address{kIps[node], kPort};
    // Longer than a forward's own timeout, so the node's answer comes.
    options.request_timeout = absl::Seconds(60);
    return std::make_unique<Client>(*client_node_, options);
  }

  // Sends and runs the world until the reply (or failure) comes.
  ReplyOrError Call(Client& c, std::vector<std::string> args,
                    absl::Duration limit = absl::Seconds(30)) {
    Outcome out;
    c.Send(std::move(args)).Then([&out](ReplyOrError r) {
      out.done = true;
      out.result = std::move(r);
    });
    EXPECT_TRUE(world_.RunUntil([&] { return out.done; }, limit));
    return out.result;
  }
  Reply Must(Client& c, std::vector<std::string> args) {
    ReplyOrError r = Call(c, args);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : Reply::Error("client failure");
  }
  // Whether node `i` holds `key` in its own keyspace.
  bool Holds(int i, const std::string& key) {
    return server(i).engine().keyspace().db(0).Exists(
        key, server(i).engine().NowMs());
  }

  World world_;
  SlotMap map_;
  std::vector<Node*> nodes_;
  Node* client_node_ = nullptr;
  std::vector<std::string> keys_[3];
};

TEST_F(RouterTest, SingleKeyCommandsReachTheOwnerFromAnyNode) {
  auto c0 = Connect(0);
  auto c2 = Connect(2);
  for (int owner = 0; owner < 3; ++owner) {
    const std::string& key = keys_[owner][0];
    EXPECT_EQ(Must(*c0, {"SET", key, "v"}), Reply::Status("OK"));
    EXPECT_EQ(Must(*c2, {"GET", key}), Reply::Bulk("v"));
    EXPECT_EQ(Must(*c2, {"APPEND", key, "w"}), Reply::Integer(2));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(Holds(i, key), i == owner) << key;
  }
  // Errors of the owner come back as they are.
  EXPECT_EQ(Must(*c0, {"LPUSH", keys_[1][0], "x"}).str,
            "WRONGTYPE Operation against a key holding the wrong kind of "
            "value");
  EXPECT_EQ(Must(*c0, {"GET", keys_[2][5]}), Reply::Null());
  const RouterStats& stats = server(0).router()->stats();
  EXPECT_GE(stats.forwarded, 4u);
  EXPECT_GE(stats.local, 1u);
}

// A pipelining client's forwards travel together (reply slots), and the
// replies still come in request order: local ones, forwarded ones, and
// those of commands that must wait for the earlier ones (same key; PING).
TEST_F(RouterTest, PipelinedForwardsTravelTogetherAndAnswerInOrder) {
  auto c = Connect(0);
  Must(*c, {"SET", keys_[1][7], "warm"});  // the pool has a connection
  // Every hop between the proxy and the owner takes 10 ms each way.
  for (auto [a, b] : {std::pair{0, 1}, std::pair{1, 0}}) {
    world_.fabric().SetLinkLatency(
        *nodes_[a], *nodes_[b],
        sim::LatencyModel::Fixed(absl::Milliseconds(10)));
  }
  struct Sent {
    std::vector<std::string> args;
    Reply expected;
  };
  std::vector<Sent> batch;
  for (int i = 0; i < 6; ++i) {
    batch.push_back({{"SET", keys_[1][i], absl::StrCat("r", i)},
                     Reply::Status("OK")});
    batch.push_back({{"SET", keys_[0][i], absl::StrCat("l", i)},
                     Reply::Status("OK")});
  }
  for (int i = 1; i <= 5; ++i) {  // one remote key: strictly in order
    batch.push_back({{"INCR", keys_[1][6]}, Reply::Integer(i)});
  }
  batch.push_back({{"GET", keys_[1][2]}, Reply::Bulk("r2")});
  batch.push_back({{"PING"}, Reply::Status("PONG")});
  batch.push_back({{"GET", keys_[1][6]}, Reply::Bulk("5")});
  batch.push_back({{"GET", keys_[0][3]}, Reply::Bulk("l3")});
  std::vector<Outcome> out(batch.size());
  std::vector<size_t> order;
  const absl::Duration start = world_.now();
  for (size_t i = 0; i < batch.size(); ++i) {
    c->Send(batch[i].args).Then([&, i](ReplyOrError r) {
      out[i].done = true;
      out[i].result = std::move(r);
      order.push_back(i);
    });
  }
  ASSERT_TRUE(world_.RunUntil([&] { return order.size() == batch.size(); },
                              absl::Seconds(10)));
  const absl::Duration took = world_.now() - start;
  for (size_t i = 0; i < batch.size(); ++i) {
    ASSERT_TRUE(out[i].result.ok()) << i << ": " << out[i].result.status();
    EXPECT_EQ(*out[i].result, batch[i].expected) << i;
    EXPECT_EQ(order[i], i);
  }
  // One by one, the 13 remote commands would take 13 round trips of
  // 20 ms. Together: the SETs take one (plus one to connect the pool's
  // new connections), the INCRs five (each waits for the one before,
  // beside the SETs), the GET before PING one, the GET after it one.
  EXPECT_LT(took, absl::Milliseconds(9 * 20)) << took;
  EXPECT_GE(took, absl::Milliseconds(6 * 20)) << took;
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(Holds(1, keys_[1][i]));
    EXPECT_TRUE(Holds(0, keys_[0][i]));
  }
}

// A pipeline longer than the replies a connection keeps open (256): the
// rest waits for room, and every reply still comes, in order.
TEST_F(RouterTest, ALongPipelineOfForwardsAnswersInOrder) {
  std::vector<std::string> keys[3];
  cluster_test::KeysByOwner(map_, 400, keys);
  auto c = Connect(0);
  std::vector<Outcome> out(800);
  std::vector<size_t> order;
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string& key = keys[1 + i % 2][i / 2];
    std::vector<std::string> args =
        i < 400 ? std::vector<std::string>{"SET", key, absl::StrCat(i)}
                : std::vector<std::string>{"GET", keys[1 + i % 2][(i - 400) / 2]};
    c->Send(std::move(args)).Then([&, i](ReplyOrError r) {
      out[i].done = true;
      out[i].result = std::move(r);
      order.push_back(i);
    });
  }
  ASSERT_TRUE(world_.RunUntil([&] { return order.size() == out.size(); },
                              absl::Seconds(30)));
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(order[i], i);
    ASSERT_TRUE(out[i].result.ok()) << i << ": " << out[i].result.status();
    EXPECT_EQ(*out[i].result, i < 400 ? Reply::Status("OK")
                                      : Reply::Bulk(absl::StrCat(i - 400)))
        << i;
  }
}

// A client that leaves with forwards in flight: their replies go nowhere,
// and the node serves on.
TEST_F(RouterTest, ClientLeavingWithForwardsInFlightIsForgotten) {
  {
    auto c = Connect(0);
    Must(*c, {"SET", keys_[2][0], "x"});
    for (auto [a, b] : {std::pair{0, 2}, std::pair{2, 0}}) {
      world_.fabric().SetLinkLatency(
          *nodes_[a], *nodes_[b],
          sim::LatencyModel::Fixed(absl::Milliseconds(50)));
    }
    for (int i = 0; i < 8; ++i) c->Send({"INCR", keys_[2][1 + i % 3]});
    world_.RunFor(absl::Milliseconds(20));
  }  // disconnects with the INCRs on their way
  world_.RunFor(absl::Seconds(1));
  auto c = Connect(0);
  // Every INCR ran (they were sent) or none of a key's later ones did.
  int64_t total = 0;
  for (int k = 1; k <= 3; ++k) {
    Reply r = Must(*c, {"GET", keys_[2][k]});
    int64_t v = 0;
    if (r.type != Reply::Type::kNull) ASSERT_TRUE(absl::SimpleAtoi(r.str, &v));
    total += v;
  }
  EXPECT_LE(total, 8);
  EXPECT_EQ(Must(*c, {"GET", keys_[2][0]}), Reply::Bulk("x"));
  EXPECT_EQ(server(0).router()->DebugState().find("slotted=0") !=
                std::string::npos,
            true)
      << server(0).router()->DebugState();
}

TEST_F(RouterTest, MultiKeyCommandsAreSplitAndGatheredInOrder) {
  auto c = Connect(1);
  std::vector<std::string> mset{"MSET"};
  std::vector<std::string> mget{"MGET"};
  std::vector<Reply> expected;
  for (int i = 0; i < 4; ++i) {
    for (int owner : {2, 0, 1}) {
      const std::string& key = keys_[owner][i];
      mset.push_back(key);
      mset.push_back(absl::StrCat("v", owner, i));
      mget.push_back(key);
      expected.push_back(Reply::Bulk(absl::StrCat("v", owner, i)));
    }
    mget.push_back(keys_[i % 3][7]);  // missing
    expected.push_back(Reply::Null());
  }
  EXPECT_EQ(Must(*c, mset), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, mget), Reply::Array(expected));
  EXPECT_TRUE(Holds(2, keys_[2][0]));
  EXPECT_TRUE(Holds(0, keys_[0][3]));

  // EXISTS counts repeats; DEL counts what it removed.
  EXPECT_EQ(Must(*c, {"EXISTS", keys_[0][0], keys_[1][0], keys_[0][0],
                      keys_[2][7]}),
            Reply::Integer(3));
  EXPECT_EQ(Must(*c, {"DEL", keys_[0][0], keys_[1][0], keys_[2][0],
                      keys_[2][7], keys_[1][0]}),
            Reply::Integer(3));
  EXPECT_EQ(Must(*c, {"EXISTS", keys_[0][0], keys_[1][0], keys_[2][0]}),
            Reply::Integer(0));
  EXPECT_GE(server(1).router()->stats().split, 4u);
}

TEST_F(RouterTest, WholeKeyspaceCommandsAreBroadcast) {
  auto c = Connect(0);
  std::set<std::string> all;
  for (int owner = 0; owner < 3; ++owner) {
    for (int i = 0; i < 5; ++i) {
      Must(*c, {"SET", keys_[owner][i], "x"});
      all.insert(keys_[owner][i]);
    }
  }
  EXPECT_EQ(Must(*c, {"DBSIZE"}), Reply::Integer(15));
  Reply keys = Must(*c, {"KEYS", "key:*"});
  std::set<std::string> got;
  for (const Reply& k : keys.elements) got.insert(k.str);
  EXPECT_EQ(got, all);
  EXPECT_EQ(keys.elements.size(), 15u);

  // SCAN walks every node, each key once.
  std::multiset<std::string> scanned;
  std::string cursor = "0";
  int calls = 0;
  do {
    Reply r = Must(*c, {"SCAN", cursor, "COUNT", "3"});
    ASSERT_EQ(r.type, Reply::Type::kArray) << r.DebugString();
    cursor = r.elements[0].str;
    for (const Reply& k : r.elements[1].elements) scanned.insert(k.str);
    ASSERT_LT(++calls, 100);
  } while (cursor != "0");
  EXPECT_EQ(std::set<std::string>(scanned.begin(), scanned.end()), all);
  EXPECT_EQ(scanned.size(), 15u);
  EXPECT_EQ(Must(*c, {"SCAN", "x"}), Reply::Error("ERR invalid cursor"));

  Reply random = Must(*c, {"RANDOMKEY"});
  EXPECT_TRUE(all.count(random.str)) << random.DebugString();

  EXPECT_EQ(Must(*c, {"FLUSHALL"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"DBSIZE"}), Reply::Integer(0));
  EXPECT_EQ(Must(*c, {"RANDOMKEY"}), Reply::Null());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(server(i).engine().keyspace().db(0).size(), 0u);
  }
}

TEST_F(RouterTest, PublishReachesSubscribersOfEveryNode) {
  RawConn sub1(*client_node_, kIps[1]);
  RawConn sub2(*client_node_, kIps[2]);
  ASSERT_TRUE(world_.RunUntil(
      [&] { return sub1.connected() && sub2.connected(); },
      absl::Seconds(5)));
  sub1.Send("SUBSCRIBE news\r\n");
  sub2.Send("PSUBSCRIBE n*\r\n");
  world_.RunFor(absl::Milliseconds(50));
  auto c = Connect(0);
  EXPECT_EQ(Must(*c, {"PUBLISH", "news", "hello"}), Reply::Integer(2));
  world_.RunFor(absl::Milliseconds(50));
  EXPECT_TRUE(absl::StrContains(sub1.in, "$7\r\nmessage\r\n$4\r\nnews\r\n"
                                         "$5\r\nhello\r\n"))
      << sub1.in;
  EXPECT_TRUE(absl::StrContains(sub2.in, "$8\r\npmessage\r\n$2\r\nn*\r\n"
                                         "$4\r\nnews\r\n$5\r\nhello\r\n"))
      << sub2.in;
  EXPECT_EQ(Must(*c, {"PUBLISH", "other", "x"}), Reply::Integer(0));
}

TEST_F(RouterTest, TransactionsRunOnTheNodeOwningAllTheirKeys) {
  auto c = Connect(0);
  // Keys of this node: MULTI works as usual.
  EXPECT_EQ(Must(*c, {"MULTI"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"SET", keys_[0][0], "1"}), Reply::Status("QUEUED"));
  EXPECT_EQ(Must(*c, {"INCR", keys_[0][0]}), Reply::Status("QUEUED"));
  EXPECT_EQ(Must(*c, {"EXEC"}),
            Reply::Array({Reply::Status("OK"), Reply::Integer(2)}));
  // Keys of one other node: EXEC runs the block there.
  EXPECT_EQ(Must(*c, {"MULTI"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"SET", keys_[1][0], "5"}), Reply::Status("QUEUED"));
  EXPECT_EQ(Must(*c, {"PING"}), Reply::Status("QUEUED"));
  EXPECT_EQ(Must(*c, {"INCRBY", keys_[1][1], "3"}), Reply::Status("QUEUED"));
  EXPECT_EQ(Must(*c, {"EXEC"}),
            Reply::Array({Reply::Status("OK"), Reply::Status("PONG"),
                          Reply::Integer(3)}));
  EXPECT_TRUE(Holds(1, keys_[1][0]));
  EXPECT_TRUE(Holds(1, keys_[1][1]));
  EXPECT_FALSE(Holds(0, keys_[1][0]));
  // The block's own errors come back as the owner's EXEC gives them.
  EXPECT_EQ(Must(*c, {"MULTI"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"LPUSH", keys_[1][0], "x"}), Reply::Status("QUEUED"));
  Reply mixed = Must(*c, {"EXEC"});
  ASSERT_EQ(mixed.elements.size(), 1u) << mixed.DebugString();
  EXPECT_TRUE(absl::StartsWith(mixed.elements[0].str, "WRONGTYPE"));
  // Keys of two nodes doom the transaction.
  EXPECT_EQ(Must(*c, {"MULTI"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"SET", keys_[2][0], "1"}), Reply::Status("QUEUED"));
  Reply refused = Must(*c, {"SET", keys_[1][2], "1"});
  EXPECT_TRUE(absl::StartsWith(refused.str, "CROSSSLOT")) << refused.str;
  EXPECT_TRUE(absl::StartsWith(Must(*c, {"EXEC"}).str, "EXECABORT"));
  EXPECT_FALSE(Holds(2, keys_[2][0]));
  EXPECT_FALSE(Holds(1, keys_[1][2]));
  // The connection is usable after all of it.
  EXPECT_EQ(Must(*c, {"GET", keys_[1][0]}), Reply::Bulk("5"));
  EXPECT_TRUE(Must(*c, {"WATCH", keys_[2][0]}).is_error());
  // Same-node multi-key commands are forwarded whole; LMPOP spanning
  // nodes is refused.
  Must(*c, {"SADD", "{t}a", "1", "2"});
  Must(*c, {"SADD", "{t}b", "2", "3"});
  EXPECT_EQ(Must(*c, {"SINTERSTORE", "{t}c", "{t}a", "{t}b"}),
            Reply::Integer(1));
  EXPECT_EQ(Must(*c, {"LMPOP", "2", keys_[1][1], keys_[2][1], "LEFT"}),
            Reply::Error(
                "CROSSSLOT Keys in request don't hash to the same slot"));
  // DBSIZE inside MULTI would only count this node.
  EXPECT_EQ(Must(*c, {"MULTI"}), Reply::Status("OK"));
  EXPECT_TRUE(Must(*c, {"DBSIZE"}).is_error());
  EXPECT_EQ(Must(*c, {"DISCARD"}), Reply::Status("OK"));
}

TEST_F(RouterTest, Resp3ClientsGetResp3Replies) {
  auto c = Connect(0);
  Must(*c, {"HELLO", "3"});
  Must(*c, {"HSET", keys_[1][0], "f", "v"});
  Reply map = Must(*c, {"HGETALL", keys_[1][0]});
  EXPECT_EQ(map.type, Reply::Type::kMap) << map.DebugString();
  EXPECT_EQ(map, Reply::Map({Reply::Bulk("f"), Reply::Bulk("v")}));
  Reply nil = Must(*c, {"GET", keys_[2][0]});
  EXPECT_EQ(nil.type, Reply::Type::kNull);
  // Gathered replies too.
  Reply both = Must(*c, {"MGET", keys_[2][0], keys_[0][0]});
  EXPECT_EQ(both, Reply::Array({Reply::Null(), Reply::Null()}));
}

TEST_F(RouterTest, BlockingCommandsWaitOnTheOwner) {
  auto waiter = Connect(0);
  auto pusher = Connect(2);
  const std::string& list = keys_[1][0];
  Outcome popped;
  waiter->Send({"BLPOP", list, "0"}).Then([&](ReplyOrError r) {
    popped.done = true;
    popped.result = std::move(r);
  });
  world_.RunFor(absl::Seconds(7));  // longer than a forward's timeout
  EXPECT_FALSE(popped.done);
  EXPECT_EQ(Must(*pusher, {"RPUSH", list, "a", "b"}), Reply::Integer(2));
  ASSERT_TRUE(world_.RunUntil([&] { return popped.done; }, absl::Seconds(5)));
  ASSERT_TRUE(popped.result.ok()) << popped.result.status();
  EXPECT_EQ(*popped.result,
            Reply::Array({Reply::Bulk(list), Reply::Bulk("a")}));
  // A timeout comes back as the owner's null array.
  Reply timed_out = Must(*waiter, {"BLPOP", keys_[2][3], "0.2"});
  EXPECT_EQ(timed_out.type, Reply::Type::kNull);
  EXPECT_TRUE(timed_out.null_array);
}

TEST_F(RouterTest, ClientLeavingWhileBlockedLosesNoData) {
  const std::string& list = keys_[1][0];
  {
    auto waiter = Connect(0);
    waiter->Send({"BLPOP", list, "0"});
    world_.RunFor(absl::Milliseconds(100));
  }  // disconnects
  world_.RunFor(absl::Seconds(3));
  auto c = Connect(2);
  EXPECT_EQ(Must(*c, {"RPUSH", list, "kept"}), Reply::Integer(1));
  world_.RunFor(absl::Milliseconds(100));
  EXPECT_EQ(Must(*c, {"LRANGE", list, "0", "-1"}),
            Reply::Array({Reply::Bulk("kept")}));
}

TEST_F(RouterTest, UnreachableOwnerIsReportedAndOthersStillServe) {
  auto c = Connect(0);
  Must(*c, {"SET", keys_[1][0], "v"});  // the pool has a connection now
  nodes_[1]->Crash(CrashKind::kPowerCut);
  ReplyOrError r = Call(*c, {"GET", keys_[1][0]});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->is_error());
  EXPECT_TRUE(absl::StartsWith(r->str, "UNKNOWN 10.0.0.2:6379") ||
              absl::StartsWith(r->str, "CLUSTERDOWN 10.0.0.2:6379"))
      << r->str;
  EXPECT_EQ(Must(*c, {"SET", keys_[2][0], "w"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"GET", keys_[0][0]}), Reply::Null());
  // A split command reports the failed part.
  Reply mget = Must(*c, {"MGET", keys_[2][0], keys_[1][0]});
  EXPECT_TRUE(mget.is_error()) << mget.DebugString();
  EXPECT_GE(server(0).router()->stats().failed, 2u);
  // Back up (without an AOF: empty), it serves again.
  nodes_[1]->Boot();
  ASSERT_TRUE(world_.RunUntil(
      [&] {
        ReplyOrError g = Call(*c, {"GET", keys_[1][0]});
        return g.ok() && !g->is_error();
      },
      absl::Seconds(30)));
}

TEST_F(RouterTest, PeersRunCommandsHereOrSayMoved) {
  auto c = Connect(0);
  EXPECT_EQ(Must(*c, {"TWINKV.PEER"}), Reply::Status("OK"));
  EXPECT_EQ(Must(*c, {"SET", keys_[0][0], "v"}), Reply::Status("OK"));
  const int slot = KeySlot(keys_[2][0]);
  EXPECT_EQ(Must(*c, {"GET", keys_[2][0]}),
            Reply::Error(absl::StrCat("MOVED ", slot, " 10.0.0.3:6379")));
  EXPECT_EQ(Must(*c, {"DBSIZE"}), Reply::Integer(1));  // this node only
}

TEST_F(RouterTest, CrossNodeMsetIsAtomicAndMgetReadsOneMoment) {
  auto c = Connect(0);
  std::vector<std::string> mset{"MSET"};
  std::vector<std::string> mget{"MGET"};
  for (int owner : {1, 2, 0, 1}) {
    const std::string& key = keys_[owner][mset.size()];
    mset.push_back(key);
    mset.push_back(absl::StrCat("v", key));
    mget.push_back(key);
  }
  EXPECT_EQ(Must(*c, mset), Reply::Status("OK"));
  Reply got = Must(*c, mget);
  ASSERT_EQ(got.elements.size(), 4u) << got.DebugString();
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(got.elements[i], Reply::Bulk(absl::StrCat("v", mget[i + 1])));
  }
  const RouterStats& stats = server(0).router()->stats();
  EXPECT_EQ(stats.tx_committed, 1u);
  EXPECT_EQ(stats.atomic_reads, 1u);
  // Nothing stays locked: a plain write of each key goes through.
  for (size_t i = 1; i < mget.size(); ++i) {
    EXPECT_EQ(Must(*c, {"SET", mget[i], "w"}), Reply::Status("OK"));
  }
  EXPECT_EQ(stats.lock_waits, 0u);
}

TEST_F(RouterTest, CrossNodeMsetnxSetsAllOrNothing) {
  auto c = Connect(2);
  Must(*c, {"SET", keys_[1][0], "old"});
  EXPECT_EQ(Must(*c, {"MSETNX", keys_[0][0], "a", keys_[1][0], "b",
                      keys_[2][0], "c"}),
            Reply::Integer(0));
  EXPECT_EQ(Must(*c, {"MGET", keys_[0][0], keys_[1][0], keys_[2][0]}),
            Reply::Array({Reply::Null(), Reply::Bulk("old"), Reply::Null()}));
  EXPECT_EQ(Must(*c, {"MSETNX", keys_[0][0], "a", keys_[1][1], "b",
                      keys_[2][0], "c"}),
            Reply::Integer(1));
  EXPECT_EQ(Must(*c, {"MGET", keys_[0][0], keys_[1][1], keys_[2][0]}),
            Reply::Array({Reply::Bulk("a"), Reply::Bulk("b"),
                          Reply::Bulk("c")}));
}

TEST_F(RouterTest, LockedKeysWaitForTheCommitWhereverTheyAreRead) {
  auto peer1 = Connect(1, /*peer=*/true);
  const std::string& key = keys_[1][0];
  Must(*peer1, {"SET", key, "before"});
  EXPECT_EQ(Must(*peer1, {"TWINKV.PREPARE", "t1", "10.0.0.1:6379", "WRITE",
                          key, "after"}),
            Reply::Status("OK"));
  // A second transaction on the key is refused at once.
  EXPECT_EQ(Must(*peer1, {"TWINKV.PREPARE", "t2", "10.0.0.1:6379", "WRITE",
                          key, "x"})
                .str,
            "TRYAGAIN Key locked by a cross-node transaction");
  auto via0 = Connect(0);
  auto via1 = Connect(1);
  Outcome remote, local;
  via0->Send({"GET", key}).Then([&](ReplyOrError r) {
    remote.done = true;
    remote.result = std::move(r);
  });
  via1->Send({"GET", key}).Then([&](ReplyOrError r) {
    local.done = true;
    local.result = std::move(r);
  });
  world_.RunFor(absl::Milliseconds(300));
  EXPECT_FALSE(remote.done);
  EXPECT_FALSE(local.done);
  EXPECT_EQ(Must(*peer1, {"TWINKV.COMMIT", "t1"}), Reply::Integer(1));
  ASSERT_TRUE(world_.RunUntil([&] { return remote.done && local.done; },
                              absl::Seconds(1)));
  EXPECT_EQ(*remote.result, Reply::Bulk("after"));
  EXPECT_EQ(*local.result, Reply::Bulk("after"));
  EXPECT_EQ(Must(*peer1, {"TWINKV.COMMIT", "t1"}), Reply::Integer(0));
  EXPECT_GE(server(1).router()->stats().lock_waits, 1u);
}

TEST_F(RouterTest, AnUndecidedPreparedWriteIsAbortedByItsCoordinator) {
  auto peer1 = Connect(1, /*peer=*/true);
  const std::string& key = keys_[1][0];
  Must(*peer1, {"SET", key, "before"});
  // Node 0 never heard of t9: when node 1 asks, it was never committed.
  Must(*peer1, {"TWINKV.PREPARE", "t9", "10.0.0.1:6379", "WRITE", key, "x"});
  // Survives a restart (it was logged before it was acknowledged).
  nodes_[1]->Crash(CrashKind::kPowerCut);
  nodes_[1]->Boot();
  auto c = Connect(2);
  Outcome got;
  c->Send({"GET", key}, absl::Seconds(60)).Then([&](ReplyOrError r) {
    got.done = true;
    got.result = std::move(r);
  });
  world_.RunFor(absl::Milliseconds(1500));
  EXPECT_FALSE(got.done);  // still locked
  ASSERT_TRUE(world_.RunUntil([&] { return got.done; }, absl::Seconds(10)));
  ASSERT_TRUE(got.result.ok()) << got.result.status();
  EXPECT_EQ(*got.result, Reply::Bulk("before"));
}

TEST_F(RouterTest, PreparedWritesSurviveAnAofRewriteAndCommitLater) {
  auto peer1 = Connect(1, /*peer=*/true);
  const std::string& key = keys_[1][0];
  // Node 1 coordinates itself here, so its STATUS answer is its own: keep
  // the transaction undecided for longer than the test by pretending the
  // coordinator is node 2, which will say ABORT — so commit before then.
  Must(*peer1, {"TWINKV.PREPARE", "t5", "10.0.0.3:6379", "WRITE", key, "v5"});
  EXPECT_EQ(Must(*peer1, {"BGREWRITEAOF"}).type, Reply::Type::kStatus);
  world_.RunFor(absl::Milliseconds(200));
  nodes_[1]->Crash(CrashKind::kKill);
  nodes_[1]->Boot();
  auto peer1b = Connect(1, /*peer=*/true);
  EXPECT_EQ(Must(*peer1b, {"TWINKV.COMMIT", "t5"}), Reply::Integer(1));
  nodes_[1]->Crash(CrashKind::kPowerCut);
  nodes_[1]->Boot();
  auto c = Connect(0);
  EXPECT_EQ(Must(*c, {"GET", key}), Reply::Bulk("v5"));
}

TEST_F(RouterTest, CrossNodeMsetRollsBackWhenAnOwnerIsUnreachable) {
  auto c = Connect(0);
  const std::string& a = keys_[1][0];
  const std::string& b = keys_[2][0];
  world_.fabric().Partition(*nodes_[0], *nodes_[2], /*one_way=*/false);
  Reply r = Must(*c, {"MSET", a, "1", b, "1"});
  // Node 2 never got the PREPARE: rolled back, nothing applied.
  EXPECT_TRUE(r.is_error()) << r.DebugString();
  world_.fabric().HealAll();
  EXPECT_EQ(Must(*c, {"MGET", a, b}),
            Reply::Array({Reply::Null(), Reply::Null()}));
  EXPECT_EQ(Must(*c, {"MSET", a, "2", b, "2"}), Reply::Status("OK"));
  nodes_[0]->Crash(CrashKind::kPowerCut);
  nodes_[0]->Boot();
  auto c2 = Connect(1);
  EXPECT_EQ(Must(*c2, {"MGET", a, b}),
            Reply::Array({Reply::Bulk("2"), Reply::Bulk("2")}));
}

// Regression (sim seed 83): the coordinator, also a participant, logs its
// own commit's end; replaying that after a restart must not drop its
// decision, or an owner that never got COMMIT would be told to roll back.
TEST_F(RouterTest, ADecisionSurvivesTheCoordinatorsRestartWhileAnOwnerWaits) {
  auto c = Connect(0);
  const std::string& mine = keys_[0][0];
  const std::string& theirs = keys_[1][0];
  Must(*c, {"MSET", mine, "old", theirs, "old"});
  Outcome mset;
  c->Send({"MSET", mine, "new", theirs, "new"}).Then([&](ReplyOrError r) {
    mset.done = true;
    mset.result = std::move(r);
  });
  // Once node 1 has prepared, nothing more from node 0 reaches it: its
  // COMMIT is lost.
  ASSERT_TRUE(world_.RunUntil(
      [&] { return server(1).router()->prepared_count() == 1; },
      absl::Seconds(5)));
  world_.fabric().Partition(*nodes_[0], *nodes_[1], /*one_way=*/true);
  ASSERT_TRUE(world_.RunUntil([&] { return mset.done; }, absl::Seconds(10)));
  ASSERT_TRUE(mset.result.ok()) << mset.result.status();
  EXPECT_EQ(*mset.result, Reply::Status("OK"));
  EXPECT_EQ(server(0).router()->decided_count(), 1u);
  // The coordinator restarts (from its AOF) before node 1 learns.
  nodes_[0]->Crash(CrashKind::kKill);
  nodes_[0]->Boot();
  EXPECT_EQ(server(0).router()->decided_count(), 1u);
  world_.fabric().HealAll();
  auto c2 = Connect(2);
  EXPECT_EQ(Must(*c2, {"MGET", mine, theirs}),
            Reply::Array({Reply::Bulk("new"), Reply::Bulk("new")}));
  ASSERT_TRUE(world_.RunUntil(
      [&] { return server(0).router()->decided_count() == 0; },
      absl::Seconds(10)));
}

}  // namespace
}  // namespace twinkv
