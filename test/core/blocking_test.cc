// The blocking commands (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN
// BZPOPMAX) against
// an engine with several fake clients: one blocks, another pushes.

#include <initializer_list>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/resp/reply.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

// A client with a persistent reply buffer, as a connection has: a blocked
// command's reply arrives in it later.
class FakeClient : public BlockedClientSink {
 public:
  FakeClient(Engine& engine, uint64_t id) : engine_(engine), writer_(&out_) {
    state_.id = id;
    state_.sink = this;
  }
  ~FakeClient() override { engine_.UnblockClient(state_); }

  // Runs a command: its rendered reply, or "(blocked)" if it blocked.
  std::string Run(std::initializer_list<absl::string_view> args) {
    EXPECT_FALSE(state_.blocked) << "a blocked client ran a command";
    writer_.set_protocol(state_.protocol);
    engine_.Execute(state_, std::vector<absl::string_view>(args), writer_);
    if (state_.blocked) {
      EXPECT_EQ(out_, "") << "a blocking command replied and blocked";
      return "(blocked)";
    }
    return Take();
  }

  // The reply that arrived since, or "(none)".
  std::string Take() {
    if (out_.empty()) return "(none)";
    ReplyDecoder decoder;
    Reply reply;
    EXPECT_EQ(decoder.Decode(out_, &reply), ReplyDecoder::kReply) << out_;
    EXPECT_EQ(decoder.consumed(), out_.size()) << "more than one reply";
    out_.clear();
    return RenderReply(reply);
  }
  std::string raw() const { return out_; }

  ReplyWriter& blocked_reply_writer() override { return writer_; }
  void OnUnblocked() override {
    EXPECT_FALSE(state_.blocked);
    ++unblocked_;
  }

  ClientState& state() { return state_; }
  int unblocked() const { return unblocked_; }

 private:
  Engine& engine_;
  ClientState state_;
  std::string out_;
  ReplyWriter writer_;
  int unblocked_ = 0;
};

class BlockingTest : public ::testing::Test {
 protected:
  BlockingTest()
      : h_([](CommandTable& t) {
          RegisterListFamily(t);
          RegisterKeyFamily(t);
          RegisterStringFamily(t);
          RegisterZSetFamily(t);
        }),
        a_(h_.engine(), 1),
        b_(h_.engine(), 2),
        c_(h_.engine(), 3) {}

  EngineHarness h_;
  FakeClient a_, b_, c_;
};

TEST_F(BlockingTest, ServedAtOnceWhenDataExists) {
  EXPECT_EQ(c_.Run({"RPUSH", "q", "x", "y"}), "(integer) 2");
  EXPECT_EQ(a_.Run({"BLPOP", "none", "q", "0"}), "[q, x]");
  EXPECT_EQ(a_.Run({"BRPOP", "q", "0"}), "[q, y]");
  EXPECT_EQ(c_.Run({"EXISTS", "q"}), "(integer) 0");
  EXPECT_EQ(c_.Run({"RPUSH", "q", "1", "2", "3"}), "(integer) 3");
  EXPECT_EQ(a_.Run({"BLMPOP", "0", "2", "none", "q", "RIGHT", "COUNT", "2"}),
            "[q, [3, 2]]");
  EXPECT_EQ(a_.Run({"BLMOVE", "q", "d", "LEFT", "RIGHT", "0"}), "1");
  EXPECT_EQ(c_.Run({"LRANGE", "d", "0", "-1"}), "[1]");
  EXPECT_EQ(a_.Run({"BRPOPLPUSH", "d", "e", "0"}), "1");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(BlockingTest, BlocksThenServedOnPush) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  EXPECT_EQ(h_.engine().blocked_clients(), 1u);
  h_.runtime().Advance(absl::Hours(1));  // 0: forever
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_EQ(c_.Run({"RPUSH", "q", "x", "y"}), "(integer) 2");
  EXPECT_EQ(a_.unblocked(), 1);
  EXPECT_FALSE(a_.state().blocked);
  EXPECT_EQ(a_.Take(), "[q, x]");
  EXPECT_EQ(c_.Run({"LRANGE", "q", "0", "-1"}), "[y]");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

// Regression: a list arriving by RENAME or COPY (not by a push) left its
// waiters blocked.
TEST_F(BlockingTest, RenameAndCopyServeWaiters) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "src", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_EQ(c_.Run({"RENAME", "src", "q"}), "OK");
  EXPECT_EQ(a_.Take(), "[q, x]");
  EXPECT_EQ(a_.Run({"BLPOP", "r", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "src2", "y"}), "(integer) 1");
  EXPECT_EQ(c_.Run({"COPY", "src2", "r"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[r, y]");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(BlockingTest, WaitersServedInArrivalOrderAsManyAsElements) {
  EXPECT_EQ(a_.Run({"BRPOP", "q", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"BLPOP", "other", "q", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"LPUSH", "q", "1"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[q, 1]");
  EXPECT_EQ(b_.Take(), "(none)");  // one element, one waiter served
  EXPECT_EQ(c_.Run({"EXISTS", "q"}), "(integer) 0");
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");  // now behind b
  EXPECT_EQ(c_.Run({"RPUSH", "q", "2", "3", "4"}), "(integer) 3");
  EXPECT_EQ(b_.Take(), "[q, 2]");
  EXPECT_EQ(a_.Take(), "[q, 3]");
  EXPECT_EQ(c_.Run({"LRANGE", "q", "0", "-1"}), "[4]");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(BlockingTest, TimeoutRepliesNullAtExactlyTheTimeout) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "1.5"}), "(blocked)");
  EXPECT_EQ(b_.Run({"BLMOVE", "q", "d", "LEFT", "LEFT", "0.25"}),
            "(blocked)");
  h_.runtime().Advance(absl::Milliseconds(249));
  EXPECT_EQ(b_.Take(), "(none)");
  h_.runtime().Advance(absl::Milliseconds(1));
  EXPECT_EQ(b_.raw(), "$-1\r\n");  // null bulk
  EXPECT_EQ(b_.Take(), "(nil)");
  h_.runtime().Advance(absl::Milliseconds(1249));
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_TRUE(a_.state().blocked);
  h_.runtime().Advance(absl::Milliseconds(1));
  EXPECT_EQ(a_.raw(), "*-1\r\n");  // null array
  EXPECT_FALSE(a_.state().blocked);
  EXPECT_EQ(a_.unblocked(), 1);
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
  // A later push serves nobody.
  EXPECT_EQ(c_.Run({"RPUSH", "q", "x"}), "(integer) 1");
  EXPECT_EQ(c_.Run({"LLEN", "q"}), "(integer) 1");
}

TEST_F(BlockingTest, BLMPopTimesOutWithNullArrayAndIsServed) {
  EXPECT_EQ(a_.Run({"BLMPOP", "0.01", "2", "p", "q", "LEFT"}), "(blocked)");
  h_.runtime().Advance(absl::Milliseconds(10));
  EXPECT_EQ(a_.raw(), "*-1\r\n");
  a_.Take();
  EXPECT_EQ(a_.Run({"BLMPOP", "0", "2", "p", "q", "RIGHT", "COUNT", "5"}),
            "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "q", "1", "2", "3"}), "(integer) 3");
  EXPECT_EQ(a_.Take(), "[q, [3, 2, 1]]");
  EXPECT_EQ(c_.Run({"EXISTS", "q"}), "(integer) 0");
}

TEST_F(BlockingTest, ServedClientCancelsItsTimer) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "1"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "q", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[q, x]");
  h_.runtime().Advance(absl::Seconds(2));
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_EQ(a_.unblocked(), 1);
}

TEST_F(BlockingTest, BLMoveBlocksAndMovesAndChainsToOtherWaiters) {
  EXPECT_EQ(a_.Run({"BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"}),
            "(blocked)");
  EXPECT_EQ(b_.Run({"BLPOP", "dst", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "src", "a", "b"}), "(integer) 2");
  EXPECT_EQ(a_.Take(), "b");
  // The move created dst, which then served b in the same round.
  EXPECT_EQ(b_.Take(), "[dst, b]");
  EXPECT_EQ(c_.Run({"LRANGE", "src", "0", "-1"}), "[a]");
  EXPECT_EQ(c_.Run({"EXISTS", "dst"}), "(integer) 0");
}

TEST_F(BlockingTest, DisconnectRemovesTheWaiter) {
  {
    FakeClient gone(h_.engine(), 9);
    EXPECT_EQ(gone.Run({"BLPOP", "q", "5"}), "(blocked)");
    EXPECT_EQ(h_.engine().blocked_clients(), 1u);
  }  // the destructor unregisters, as a closing connection does
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "q", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[q, x]");
  h_.runtime().Advance(absl::Seconds(10));  // the cancelled timer is gone
  EXPECT_EQ(a_.Take(), "(none)");
}

TEST_F(BlockingTest, WrongTypeAndSelectedDatabase) {
  EXPECT_EQ(c_.Run({"SET", "s", "v"}), "OK");
  EXPECT_EQ(a_.Run({"BLPOP", "none", "s", "0"}),
            "(error) WRONGTYPE Operation against a key holding the wrong "
            "kind of value");
  EXPECT_EQ(a_.Run({"BLMOVE", "s", "d", "LEFT", "LEFT", "0"}),
            "(error) WRONGTYPE Operation against a key holding the wrong "
            "kind of value");
  EXPECT_EQ(a_.Run({"BLMPOP", "0", "1", "s", "LEFT"}),
            "(error) WRONGTYPE Operation against a key holding the wrong "
            "kind of value");
  // A push in another database does not serve.
  a_.state().db_index = 1;
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "q", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "(none)");
  c_.state().db_index = 1;
  EXPECT_EQ(c_.Run({"RPUSH", "q", "y"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[q, y]");
}

TEST_F(BlockingTest, TimeoutErrors) {
  const std::string not_float =
      "(error) ERR timeout is not a float or out of range";
  const std::string negative = "(error) ERR timeout is negative";
  EXPECT_EQ(a_.Run({"BLPOP", "q", "abc"}), not_float);
  EXPECT_EQ(a_.Run({"BLPOP", "q", " 1"}), not_float);
  EXPECT_EQ(a_.Run({"BLPOP", "q", "nan"}), not_float);
  EXPECT_EQ(a_.Run({"BLPOP", "q", "-1"}), negative);
  EXPECT_EQ(a_.Run({"BRPOP", "q", "inf"}), negative);
  EXPECT_EQ(a_.Run({"BRPOP", "q", "1e30"}), negative);
  EXPECT_EQ(a_.Run({"BLMOVE", "q", "d", "LEFT", "LEFT", "x"}), not_float);
  EXPECT_EQ(a_.Run({"BLMOVE", "q", "d", "UP", "LEFT", "x"}),
            "(error) ERR syntax error");
  EXPECT_EQ(a_.Run({"BLMPOP", "-2", "1", "q", "LEFT"}), negative);
  EXPECT_EQ(a_.Run({"BLMPOP", "0", "0", "q", "LEFT"}),
            "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(a_.Run({"BLPOP", "q"}),
            "(error) ERR wrong number of arguments for 'blpop' command");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
  // Truncated to 0 ms: forever, as in Redis.
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0.0001"}), "(blocked)");
  h_.runtime().Advance(absl::Hours(1));
  EXPECT_EQ(a_.Take(), "(none)");
}

TEST_F(BlockingTest, ClientWithoutSinkGetsNullAtOnce) {
  EXPECT_EQ(h_.Run({"BLPOP", "q", "0"}), "(nil)");
  EXPECT_EQ(h_.RunRaw({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"}), "$-1\r\n");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(BlockingTest, Resp3NullOnTimeout) {
  a_.state().protocol = 3;
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0.1"}), "(blocked)");
  h_.runtime().Advance(absl::Milliseconds(100));
  EXPECT_EQ(a_.raw(), "_\r\n");
}

TEST_F(BlockingTest, BZPopServedAtOnceOrOnZAdd) {
  EXPECT_EQ(c_.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}),
            "(integer) 3");
  EXPECT_EQ(a_.Run({"BZPOPMIN", "none", "z", "0"}), "[z, a, 1]");
  EXPECT_EQ(a_.Run({"BZPOPMAX", "z", "0"}), "[z, c, 3]");
  EXPECT_EQ(a_.Run({"BZPOPMAX", "z", "0"}), "[z, b, 2]");
  EXPECT_EQ(c_.Run({"EXISTS", "z"}), "(integer) 0");
  EXPECT_EQ(a_.Run({"BZPOPMAX", "z", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"BZPOPMIN", "z", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"ZADD", "z", "XX", "1", "a"}), "(integer) 0");
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_EQ(c_.Run({"ZADD", "z", "5", "x", "7", "y", "6", "w"}),
            "(integer) 3");
  EXPECT_EQ(a_.Take(), "[z, y, 7]");
  EXPECT_EQ(b_.Take(), "[z, x, 5]");
  EXPECT_EQ(c_.Run({"ZRANGE", "z", "0", "-1"}), "[w]");
  // A store that creates the key serves too.
  EXPECT_EQ(a_.Run({"BZPOPMIN", "dst", "0.5"}), "(blocked)");
  EXPECT_EQ(c_.Run({"ZUNIONSTORE", "dst", "1", "z"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[dst, w, 6]");
  // Timeout: a null array; wrong type and bad timeouts.
  EXPECT_EQ(a_.Run({"BZPOPMIN", "dst", "0.5"}), "(blocked)");
  h_.runtime().Advance(absl::Milliseconds(500));
  EXPECT_EQ(a_.raw(), "*-1\r\n");
  a_.Take();
  EXPECT_EQ(c_.Run({"SET", "s", "v"}), "OK");
  EXPECT_EQ(a_.Run({"BZPOPMIN", "s", "0"}),
            "(error) WRONGTYPE Operation against a key holding the wrong "
            "kind of value");
  EXPECT_EQ(a_.Run({"BZPOPMAX", "z", "-1"}),
            "(error) ERR timeout is negative");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(BlockingTest, BZMPopServedAtOnceOrOnZAdd) {
  EXPECT_EQ(c_.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}),
            "(integer) 3");
  EXPECT_EQ(a_.Run({"BZMPOP", "0", "2", "none", "z", "MIN", "COUNT", "2"}),
            "[z, [[a, 1], [b, 2]]]");
  EXPECT_EQ(a_.Run({"BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"}),
            "[z, [[c, 3]]]");
  EXPECT_EQ(c_.Run({"EXISTS", "z"}), "(integer) 0");
  // Two waiters on two keys; the ZADD serves the one that waits on it.
  EXPECT_EQ(a_.Run({"BZMPOP", "0", "2", "x", "z", "MAX"}), "(blocked)");
  EXPECT_EQ(b_.Run({"BZMPOP", "0", "1", "y", "MIN", "COUNT", "9"}),
            "(blocked)");
  EXPECT_EQ(c_.Run({"ZADD", "z", "5", "p", "7", "q"}), "(integer) 2");
  EXPECT_EQ(a_.Take(), "[z, [[q, 7]]]");
  EXPECT_EQ(b_.Take(), "(none)");
  EXPECT_EQ(c_.Run({"ZADD", "y", "1", "m", "2", "n"}), "(integer) 2");
  EXPECT_EQ(b_.Take(), "[y, [[m, 1], [n, 2]]]");
  EXPECT_EQ(c_.Run({"EXISTS", "y"}), "(integer) 0");
  // A list does not wake a BZMPOP; the timeout answers a null array.
  EXPECT_EQ(a_.Run({"BZMPOP", "0.5", "1", "l", "MIN"}), "(blocked)");
  EXPECT_EQ(c_.Run({"RPUSH", "l", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "(none)");
  h_.runtime().Advance(absl::Milliseconds(500));
  EXPECT_EQ(a_.raw(), "*-1\r\n");
  a_.Take();
  // Errors come before the timeout is read, as in Redis.
  EXPECT_EQ(a_.Run({"BZMPOP", "x", "1", "z", "FOO"}),
            "(error) ERR syntax error");
  EXPECT_EQ(a_.Run({"BZMPOP", "-1", "1", "z", "MIN"}),
            "(error) ERR timeout is negative");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

// Regression: BLMPOP read its timeout first, so a bad timeout hid the
// syntax error Redis reports.
TEST_F(BlockingTest, BLMPopChecksSyntaxBeforeTimeout) {
  EXPECT_EQ(a_.Run({"BLMPOP", "x", "1", "q", "FOO"}),
            "(error) ERR syntax error");
  EXPECT_EQ(a_.Run({"BLMPOP", "x", "1", "q", "LEFT"}),
            "(error) ERR timeout is not a float or out of range");
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(BlockingTest, KeyOfAnotherTypeDoesNotWakeTheWaiter) {
  // BLPOP on a key that becomes a sorted set keeps waiting (Redis 7.0's
  // handleClientsBlockedOnKeys checks the type), while a BZPOPMIN behind
  // it on the same key is served.
  EXPECT_EQ(a_.Run({"BLPOP", "k", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"BZPOPMIN", "k", "0"}), "(blocked)");
  EXPECT_EQ(c_.Run({"ZADD", "k", "1", "m"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_TRUE(a_.state().blocked);
  EXPECT_EQ(b_.Take(), "[k, m, 1]");
  EXPECT_EQ(c_.Run({"RPUSH", "k", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "[k, x]");
}

}  // namespace
}  // namespace twinkv

namespace twinkv {
namespace {

// SWAPDB brings another database's keys under waiting clients: they are
// served from the swapped-in data at once, as Redis 7 does.
TEST_F(BlockingTest, SwapDbServesClientsWaitingOnASwappedInKey) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  b_.state().db_index = 1;
  EXPECT_EQ(b_.Run({"RPUSH", "q", "x", "y"}), "(integer) 2");
  EXPECT_EQ(a_.Take(), "(none)");  // a waits in database 0
  EXPECT_EQ(b_.Run({"SWAPDB", "0", "1"}), "OK");
  EXPECT_EQ(a_.Take(), "[q, x]");
  EXPECT_EQ(a_.unblocked(), 1);
  // The rest stays, now in database 0.
  EXPECT_EQ(c_.Run({"LRANGE", "q", "0", "-1"}), "[y]");
}

TEST_F(BlockingTest, SwapDbDoesNotServeAKeyOfAnotherType) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  b_.state().db_index = 1;
  EXPECT_EQ(b_.Run({"SET", "q", "s"}), "OK");
  EXPECT_EQ(b_.Run({"SWAPDB", "1", "0"}), "OK");
  EXPECT_EQ(a_.Take(), "(none)");
  EXPECT_TRUE(a_.state().blocked);
}

}  // namespace
}  // namespace twinkv
