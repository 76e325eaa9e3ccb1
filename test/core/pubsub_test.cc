// Pub/sub commands against the engine: reply shapes and error strings as
// redis-server 7.0.15 gives them, delivery into subscribers' sinks, and a
// model-based property test of who receives what.

#include "core/pubsub.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/glob.h"
#include "core/families.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

// A client with its own output, which is also where its messages go.
class TestClient : public PushSink {
 public:
  TestClient(Engine& engine, uint64_t id, int protocol = 2)
      : engine_(engine) {
    state_.id = id;
    state_.protocol = protocol;
    state_.push_sink = this;
  }
  ~TestClient() override { engine_.pubsub().RemoveClient(state_); }

  ReplyWriter& push_writer() override { return writer_; }
  void OnPushWritten() override { ++pushes_; }

  // Runs a command; returns every reply (and message) written since the
  // last call, rendered, joined by " | ".
  std::string Run(std::vector<absl::string_view> args) {
    writer_.set_protocol(state_.protocol);
    engine_.Execute(state_, args, writer_);
    return Take();
  }
  std::string RunRaw(std::vector<absl::string_view> args) {
    writer_.set_protocol(state_.protocol);
    engine_.Execute(state_, args, writer_);
    return TakeRaw();
  }
  // Renders and clears what the output holds.
  std::string Take() {
    std::string rendered;
    size_t pos = 0;
    while (pos < out_.size()) {
      ReplyDecoder decoder;
      Reply reply;
      if (decoder.Decode(absl::string_view(out_).substr(pos), &reply) !=
          ReplyDecoder::kReply) {
        ADD_FAILURE() << "undecodable output: " << out_.substr(pos);
        break;
      }
      pos += decoder.consumed();
      if (!rendered.empty()) rendered += " | ";
      rendered += RenderReply(reply);
    }
    out_.clear();
    return rendered;
  }
  std::string TakeRaw() {
    std::string raw;
    raw.swap(out_);
    return raw;
  }
  ClientState& state() { return state_; }
  int pushes() const { return pushes_; }

 private:
  Engine& engine_;
  ClientState state_;
  std::string out_;
  ReplyWriter writer_{&out_};
  int pushes_ = 0;
};

class PubSubTest : public ::testing::Test {
 protected:
  EngineHarness h_{RegisterAllFamilies};
  Engine& engine() { return h_.engine(); }
};

constexpr char kContextError[] =
    "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
    "allowed in this context";

TEST_F(PubSubTest, SubscribeConfirmsEachChannelWithTheCount) {
  TestClient a(engine(), 1);
  EXPECT_EQ(a.Run({"SUBSCRIBE", "a", "b", "a"}),
            "[subscribe, a, (integer) 1] | [subscribe, b, (integer) 2] | "
            "[subscribe, a, (integer) 2]");
  EXPECT_EQ(a.Run({"PSUBSCRIBE", "h*"}), "[psubscribe, h*, (integer) 3]");
  EXPECT_EQ(a.state().subscriptions, 3u);
  EXPECT_EQ(a.Run({"PUNSUBSCRIBE", "h*", "z"}),
            "[punsubscribe, h*, (integer) 2] | [punsubscribe, z, (integer) 2]");
  EXPECT_EQ(a.Run({"UNSUBSCRIBE"}),
            "[unsubscribe, a, (integer) 1] | [unsubscribe, b, (integer) 0]");
  EXPECT_EQ(a.state().subscriptions, 0u);
}

TEST_F(PubSubTest, UnsubscribeWithNothingSubscribedRepliesNil) {
  TestClient a(engine(), 1);
  EXPECT_EQ(a.Run({"UNSUBSCRIBE"}), "[unsubscribe, (nil), (integer) 0]");
  EXPECT_EQ(a.Run({"PUNSUBSCRIBE"}), "[punsubscribe, (nil), (integer) 0]");
  EXPECT_EQ(a.RunRaw({"UNSUBSCRIBE"}),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  // RESP3: a push, and the null is "_".
  TestClient b(engine(), 2, 3);
  EXPECT_EQ(b.RunRaw({"UNSUBSCRIBE"}),
            ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
}

TEST_F(PubSubTest, Resp2SubscribedContextAllowsOnlySubscriptionCommands) {
  TestClient a(engine(), 1);
  a.Run({"SUBSCRIBE", "a"});
  EXPECT_EQ(a.Run({"GET", "k"}),
            absl::StrCat("(error) ERR Can't execute 'get", kContextError));
  EXPECT_EQ(a.Run({"CONFIG", "GET", "port"}),
            absl::StrCat("(error) ERR Can't execute 'config|get",
                         kContextError));
  EXPECT_EQ(a.Run({"PUBLISH", "a", "x"}),
            absl::StrCat("(error) ERR Can't execute 'publish",
                         kContextError));
  // Unknown commands and arity are checked first, as in Redis.
  EXPECT_EQ(a.Run({"FOO"}),
            "(error) ERR unknown command 'FOO', with args beginning with: ");
  EXPECT_EQ(a.Run({"GET"}),
            "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(a.Run({"PING"}), "[pong, ]");
  EXPECT_EQ(a.Run({"PING", "x"}), "[pong, x]");
  EXPECT_EQ(a.Run({"PING", "x", "y"}),
            "(error) ERR wrong number of arguments for 'ping' command");
  EXPECT_EQ(a.Run({"PSUBSCRIBE", "p*"}), "[psubscribe, p*, (integer) 2]");
  a.Run({"UNSUBSCRIBE"});
  EXPECT_EQ(a.Run({"GET", "k"}), "(error) ERR Can't execute 'get" +
                                     std::string(kContextError));
  a.Run({"PUNSUBSCRIBE"});
  // Out of the context once nothing is left.
  EXPECT_EQ(a.Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(a.Run({"PING"}), "PONG");
}

TEST_F(PubSubTest, Resp3HasNoRestrictedContextAndPushes) {
  TestClient a(engine(), 1, 3);
  a.Run({"SUBSCRIBE", "c1"});
  EXPECT_EQ(a.RunRaw({"SUBSCRIBE", "c2"}), ">3\r\n$9\r\nsubscribe\r\n$2\r\nc2\r\n:2\r\n");
  EXPECT_EQ(a.Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(a.Run({"PING"}), "PONG");
  // Publishing to itself: the message comes before PUBLISH's reply.
  a.Run({"PSUBSCRIBE", "c*"});
  EXPECT_EQ(a.Run({"PUBLISH", "c2", "self"}),
            "[message, c2, self] | [pmessage, c*, c2, self] | (integer) 2");
  TestClient b(engine(), 2);
  b.Run({"PUBLISH", "c1", "hi"});
  EXPECT_EQ(a.TakeRaw(),
            ">3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$2\r\nhi\r\n"
            ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$2\r\nhi\r\n");
}

TEST_F(PubSubTest, PublishDeliversToChannelsThenPatterns) {
  TestClient a(engine(), 1), b(engine(), 2), c(engine(), 3), p(engine(), 4);
  a.Run({"SUBSCRIBE", "news"});
  b.Run({"PSUBSCRIBE", "n*", "ne?s", "x*"});
  c.Run({"SUBSCRIBE", "news", "other"});
  EXPECT_EQ(p.Run({"PUBLISH", "news", "hello"}), "(integer) 4");
  EXPECT_EQ(a.Take(), "[message, news, hello]");
  EXPECT_EQ(b.Take(),
            "[pmessage, n*, news, hello] | [pmessage, ne?s, news, hello]");
  EXPECT_EQ(c.Take(), "[message, news, hello]");
  EXPECT_EQ(b.pushes(), 2);
  EXPECT_EQ(p.Run({"PUBLISH", "nobody", "x"}), "(integer) 1");
  EXPECT_EQ(p.Run({"PUBLISH", "zzz", "x"}), "(integer) 0");
  // Binary-safe payloads.
  const std::string payload("a\r\n\0b", 5);
  EXPECT_EQ(p.Run({"PUBLISH", "other", payload}), "(integer) 1");
  EXPECT_EQ(c.TakeRaw(), "*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n$5\r\n" +
                             payload + "\r\n");
  // Nothing after an unsubscription.
  a.Run({"UNSUBSCRIBE", "news"});
  EXPECT_EQ(p.Run({"PUBLISH", "news", "late"}), "(integer) 3");
  EXPECT_EQ(a.Take(), "");
}

TEST_F(PubSubTest, PubSubIntrospection) {
  TestClient a(engine(), 1), b(engine(), 2), q(engine(), 3);
  a.Run({"SUBSCRIBE", "c1", "c2"});
  b.Run({"SUBSCRIBE", "c1"});
  b.Run({"PSUBSCRIBE", "c*", "d*"});
  a.Run({"PSUBSCRIBE", "c*"});
  EXPECT_EQ(q.Run({"PUBSUB", "NUMSUB", "c1", "c2", "nope"}),
            "[c1, (integer) 2, c2, (integer) 1, nope, (integer) 0]");
  EXPECT_EQ(q.Run({"PUBSUB", "NUMSUB"}), "[]");
  EXPECT_EQ(q.Run({"PUBSUB", "NUMPAT"}), "(integer) 2");
  EXPECT_EQ(q.Run({"PUBSUB", "CHANNELS"}), "[c1, c2]");
  EXPECT_EQ(q.Run({"PUBSUB", "CHANNELS", "*1"}), "[c1]");
  EXPECT_EQ(q.Run({"PUBSUB", "channels", "z*"}), "[]");
  EXPECT_EQ(q.Run({"PUBSUB"}),
            "(error) ERR wrong number of arguments for 'pubsub' command");
  EXPECT_EQ(q.Run({"PUBSUB", "FOO"}),
            "(error) ERR unknown subcommand 'FOO'. Try PUBSUB HELP.");
  EXPECT_EQ(q.Run({"PUBLISH", "x"}),
            "(error) ERR wrong number of arguments for 'publish' command");
  EXPECT_EQ(q.Run({"SUBSCRIBE"}),
            "(error) ERR wrong number of arguments for 'subscribe' command");
  engine().pubsub().RemoveClient(a.state());
  EXPECT_EQ(a.state().subscriptions, 0u);
  EXPECT_EQ(q.Run({"PUBSUB", "NUMSUB", "c1", "c2"}),
            "[c1, (integer) 1, c2, (integer) 0]");
  EXPECT_EQ(q.Run({"PUBSUB", "CHANNELS"}), "[c1]");
  EXPECT_EQ(q.Run({"PUBSUB", "NUMPAT"}), "(integer) 2");
  b.Run({"PUNSUBSCRIBE", "d*"});
  EXPECT_EQ(q.Run({"PUBSUB", "NUMPAT"}), "(integer) 1");
}

TEST_F(PubSubTest, PublishIsNotADataChange) {
  TestClient a(engine(), 1), p(engine(), 2);
  a.Run({"SUBSCRIBE", "c"});
  const uint64_t dirty = engine().dirty();
  EXPECT_EQ(p.Run({"PUBLISH", "c", "m"}), "(integer) 1");
  EXPECT_EQ(engine().dirty(), dirty);
  const CommandSpec* publish = engine().commands().Find("publish");
  ASSERT_NE(publish, nullptr);
  EXPECT_EQ(publish->flags & kCmdWrite, 0u);
  EXPECT_NE(publish->flags & kCmdPubSub, 0u);
}

// Random (un)subscriptions and publishes by a few clients, against a model
// of who listens to what.
RC_GTEST_PROP(PubSubProperty, DeliveriesMatchModel, ()) {
  EngineHarness h(RegisterAllFamilies);
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(h.engine(), i + 1));
  }
  std::vector<std::set<std::string>> channels(kClients), patterns(kClients);
  const std::vector<std::string> names = {"a", "b", "ab", "ba", "abc"};
  const std::vector<std::string> globs = {"a*", "?b", "*", "[ab]", "b*c"};
  const int steps = *rc::gen::inRange(1, 60);
  for (int step = 0; step < steps; ++step) {
    const int who = *rc::gen::inRange(0, kClients);
    TestClient& c = *clients[who];
    const int op = *rc::gen::inRange(0, 5);
    const std::string& name = names[*rc::gen::inRange<size_t>(0, names.size())];
    const std::string& glob = globs[*rc::gen::inRange<size_t>(0, globs.size())];
    switch (op) {
      case 0:
        c.Run({"SUBSCRIBE", name});
        channels[who].insert(name);
        break;
      case 1:
        c.Run({"UNSUBSCRIBE", name});
        channels[who].erase(name);
        break;
      case 2:
        c.Run({"PSUBSCRIBE", glob});
        patterns[who].insert(glob);
        break;
      case 3:
        c.Run({"PUNSUBSCRIBE", glob});
        patterns[who].erase(glob);
        break;
      default: {
        // Publish from a client that is not subscribed (RESP2 context).
        TestClient publisher(h.engine(), 100);
        const std::string msg = absl::StrCat("m", step);
        int64_t expected = 0;
        std::vector<std::string> want(kClients);
        for (int i = 0; i < kClients; ++i) {
          std::vector<std::string> got;
          if (channels[i].contains(name)) {
            got.push_back(absl::StrCat("[message, ", name, ", ", msg, "]"));
          }
          for (const std::string& g : patterns[i]) {
            if (GlobMatch(g, name)) {
              got.push_back(
                  absl::StrCat("[pmessage, ", g, ", ", name, ", ", msg, "]"));
            }
          }
          expected += got.size();
          std::sort(got.begin(), got.end());
          want[i] = absl::StrJoin(got, " | ");
        }
        RC_ASSERT(publisher.Run({"PUBLISH", name, msg}) ==
                  absl::StrCat("(integer) ", expected));
        for (int i = 0; i < kClients; ++i) {
          std::string got = clients[i]->Take();
          std::vector<std::string> parts = absl::StrSplit(got, " | ");
          if (got.empty()) parts.clear();
          std::sort(parts.begin(), parts.end());
          RC_ASSERT(absl::StrJoin(parts, " | ") == want[i]);
        }
        break;
      }
    }
    c.Take();
    RC_ASSERT(c.state().subscriptions ==
              channels[who].size() + patterns[who].size());
  }
}

}  // namespace
}  // namespace twinkv
