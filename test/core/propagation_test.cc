// What write commands hand to the command log (the AOF): whether they are
// logged at all (a command that changed nothing is not), and as what (the
// rewrites that make a replay deterministic: relative times to absolute,
// random picks to the removals they made, floats to the values they
// produced, blocking pops to plain pops). Expected logs follow Redis 7.0's
// propagation (t_string.c, expire.c, t_list.c, t_set.c, t_zset.c).
//
// Ends with the property that matters: replaying the log of a random
// workload on a fresh engine (loading mode on) rebuilds the same data set.
// RapidCheck prints its seed on failure; RC_PARAMS="seed=N" replays it.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/resp/reply.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

// The harness clock's wall time at start (test_runtime.h), in Unix ms.
constexpr int64_t kStartMs = int64_t{1767225600} * 1000;

std::string At(int64_t delta_ms) { return absl::StrCat(kStartMs + delta_ms); }
std::string AtSeconds(int64_t delta_s) {
  return absl::StrCat(kStartMs / 1000 + delta_s);
}

// Records every logged command as "db NAME arg ...".
class RecordingLog : public CommandLog {
 public:
  void Append(int db, ArgList args) override {
    entries_.push_back(absl::StrCat(db, " ", absl::StrJoin(args, " ")));
    raw_.emplace_back(db, std::vector<std::string>(args.begin(), args.end()));
    ++appended_;
  }
  // Everything is "acknowledged" at once: these tests look only at what
  // is appended.
  uint64_t appended() const override { return appended_; }
  uint64_t acknowledged() const override { return appended_; }
  void WhenAcknowledged(uint64_t, std::function<void(bool)> done) override {
    done(true);
  }
  absl::Status StartRewrite() override { return absl::OkStatus(); }
  void AppendInfo(std::string*) override {}
  std::vector<std::string> Take() {
    raw_.clear();
    return std::exchange(entries_, {});
  }
  const std::vector<std::pair<int, std::vector<std::string>>>& raw() const {
    return raw_;
  }

 private:
  std::vector<std::string> entries_;
  std::vector<std::pair<int, std::vector<std::string>>> raw_;
  uint64_t appended_ = 0;
};

// A client with its own reply buffer, which can block (as blocking_test's).
class FakeClient : public BlockedClientSink {
 public:
  FakeClient(Engine& engine, uint64_t id) : engine_(engine), writer_(&out_) {
    state_.id = id;
    state_.sink = this;
  }
  ~FakeClient() override { engine_.UnblockClient(state_); }

  // The rendered reply, or "(blocked)".
  std::string Run(const std::vector<std::string>& args) {
    out_.clear();  // a reply served earlier and not taken
    std::vector<absl::string_view> views(args.begin(), args.end());
    engine_.Execute(state_, views, writer_);
    if (state_.blocked) return "(blocked)";
    return Take();
  }
  std::string Take() {
    if (out_.empty()) return "(none)";
    ReplyDecoder decoder;
    Reply reply;
    EXPECT_EQ(decoder.Decode(out_, &reply), ReplyDecoder::kReply) << out_;
    out_.clear();
    return RenderReply(reply);
  }
  ReplyWriter& blocked_reply_writer() override { return writer_; }
  void OnUnblocked() override {}
  ClientState& state() { return state_; }

 private:
  Engine& engine_;
  ClientState state_;
  std::string out_;
  ReplyWriter writer_;
};

using Cmd = std::vector<std::string>;

struct Case {
  std::vector<Cmd> setup;
  Cmd command;
  std::vector<std::string> logged;  // "db NAME args..."
};

// Runs setup (logged, then forgotten), then the command; returns its log.
std::vector<std::string> LogOf(const Case& c, std::string* reply = nullptr) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  for (const Cmd& s : c.setup) h.Run(s);
  log.Take();
  std::string r = h.Run(c.command);
  if (reply != nullptr) *reply = r;
  h.engine().set_command_log(nullptr);
  return log.Take();
}

void ExpectCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    std::string reply;
    EXPECT_EQ(LogOf(c, &reply), c.logged)
        << absl::StrJoin(c.command, " ") << " (reply " << reply << ")";
  }
}

using Logs = std::vector<std::string>;
const Logs kNothing;

TEST(PropagationTest, StringCommands) {
  const Cmd kv = {"SET", "k", "v"};
  const Cmd kttl = {"SET", "k", "v", "EX", "100"};
  ExpectCases({
      {{}, {"SET", "k", "v"}, {"0 SET k v"}},
      {{kv}, {"SET", "k", "w"}, {"0 SET k w"}},  // always, as Redis
      {{kv}, {"SET", "k", "w", "NX"}, kNothing},
      {{}, {"SET", "k", "w", "XX"}, kNothing},
      {{}, {"SET", "k", "v", "XX", "GET"}, kNothing},
      {{kv}, {"SET", "k", "w", "GET"}, {"0 SET k w GET"}},
      {{}, {"SET", "k", "v", "EX", "10"}, {"0 SET k v PXAT " + At(10000)}},
      {{},
       {"SET", "k", "v", "PX", "500", "GET"},
       {"0 SET k v PXAT " + At(500)}},
      {{},
       {"SET", "k", "v", "NX", "EXAT", AtSeconds(20)},
       {"0 SET k v PXAT " + At(20000)}},
      {{}, {"SET", "k", "v", "PXAT", At(5)}, {"0 SET k v PXAT " + At(5)}},
      {{kttl}, {"SET", "k", "v", "KEEPTTL"}, {"0 SET k v KEEPTTL"}},
      {{}, {"SET", "k", "v", "EX", "0"}, kNothing},  // error
      {{}, {"SETEX", "k", "10", "v"}, {"0 SET k v PXAT " + At(10000)}},
      {{}, {"PSETEX", "k", "100", "v"}, {"0 SET k v PXAT " + At(100)}},
      {{}, {"SETNX", "k", "v"}, {"0 SETNX k v"}},
      {{kv}, {"SETNX", "k", "w"}, kNothing},
      {{}, {"GETSET", "k", "v"}, {"0 GETSET k v"}},
      {{kv}, {"GETDEL", "k"}, {"0 GETDEL k"}},
      {{}, {"GETDEL", "k"}, kNothing},
      {{kv}, {"GETEX", "k"}, kNothing},
      {{}, {"GETEX", "k", "EX", "10"}, kNothing},
      {{kv}, {"GETEX", "k", "EX", "10"}, {"0 PEXPIREAT k " + At(10000)}},
      {{kv}, {"GETEX", "k", "PX", "10"}, {"0 PEXPIREAT k " + At(10)}},
      {{kv},
       {"GETEX", "k", "EXAT", AtSeconds(30)},
       {"0 PEXPIREAT k " + At(30000)}},
      {{kv}, {"GETEX", "k", "PXAT", At(7)}, {"0 PEXPIREAT k " + At(7)}},
      {{kv}, {"GETEX", "k", "PXAT", "1"}, {"0 DEL k"}},
      {{kv}, {"GETEX", "k", "EXAT", AtSeconds(0)}, {"0 DEL k"}},
      {{kttl}, {"GETEX", "k", "PERSIST"}, {"0 PERSIST k"}},
      {{kv}, {"GETEX", "k", "PERSIST"}, kNothing},
      {{}, {"MSET", "a", "1", "b", "2"}, {"0 MSET a 1 b 2"}},
      {{}, {"MSETNX", "a", "1", "b", "2"}, {"0 MSETNX a 1 b 2"}},
      {{{"SET", "b", "x"}}, {"MSETNX", "a", "1", "b", "2"}, kNothing},
      {{}, {"APPEND", "k", "x"}, {"0 APPEND k x"}},
      {{kv}, {"APPEND", "k", ""}, {"0 APPEND k "}},
      {{}, {"INCR", "n"}, {"0 INCR n"}},
      {{}, {"DECR", "n"}, {"0 DECR n"}},
      {{}, {"INCRBY", "n", "5"}, {"0 INCRBY n 5"}},
      {{}, {"DECRBY", "n", "5"}, {"0 DECRBY n 5"}},
      {{kv}, {"INCR", "k"}, kNothing},
      {{{"SET", "n", "1"}},
       {"INCRBYFLOAT", "n", "1.5"},
       {"0 SET n 2.5 KEEPTTL"}},
      {{}, {"INCRBYFLOAT", "n", "0.1"}, {"0 SET n 0.1 KEEPTTL"}},
      {{kv}, {"INCRBYFLOAT", "k", "1"}, kNothing},
      {{kv}, {"SETRANGE", "k", "2", "xy"}, {"0 SETRANGE k 2 xy"}},
      {{}, {"SETRANGE", "k", "2", ""}, kNothing},
      {{kv}, {"SETRANGE", "k", "0", ""}, kNothing},
  });
}

TEST(PropagationTest, KeyCommands) {
  const Cmd kv = {"SET", "k", "v"};
  const Cmd kttl = {"SET", "k", "v", "EX", "100"};
  ExpectCases({
      {{kv}, {"DEL", "k", "missing"}, {"0 DEL k missing"}},
      {{}, {"DEL", "k"}, kNothing},
      {{kv}, {"UNLINK", "k"}, {"0 UNLINK k"}},
      {{}, {"UNLINK", "k"}, kNothing},
      {{kv}, {"EXPIRE", "k", "100"}, {"0 PEXPIREAT k " + At(100000)}},
      {{kv}, {"PEXPIRE", "k", "100"}, {"0 PEXPIREAT k " + At(100)}},
      {{kv},
       {"EXPIREAT", "k", AtSeconds(100)},
       {"0 PEXPIREAT k " + At(100000)}},
      {{kv}, {"PEXPIREAT", "k", At(100)}, {"0 PEXPIREAT k " + At(100)}},
      // The options stay: Redis rewrites only the name and the time.
      {{kv},
       {"EXPIRE", "k", "100", "NX"},
       {"0 PEXPIREAT k " + At(100000) + " NX"}},
      {{kttl}, {"EXPIRE", "k", "200", "NX"}, kNothing},
      {{kv}, {"EXPIRE", "k", "200", "XX"}, kNothing},
      {{kttl}, {"EXPIRE", "k", "50", "GT"}, kNothing},
      {{kttl}, {"EXPIRE", "k", "500", "LT"}, kNothing},
      {{}, {"EXPIRE", "k", "100"}, kNothing},
      {{kv}, {"EXPIRE", "k", "x"}, kNothing},
      {{kv}, {"EXPIRE", "k", "-1"}, {"0 DEL k"}},
      {{kv}, {"PEXPIRE", "k", "0"}, {"0 DEL k"}},
      {{kv}, {"EXPIREAT", "k", "1"}, {"0 DEL k"}},
      {{kv}, {"PEXPIREAT", "k", At(0)}, {"0 DEL k"}},
      {{kttl}, {"PERSIST", "k"}, {"0 PERSIST k"}},
      {{kv}, {"PERSIST", "k"}, kNothing},
      {{}, {"PERSIST", "k"}, kNothing},
      {{kv}, {"RENAME", "k", "j"}, {"0 RENAME k j"}},
      {{kv}, {"RENAME", "k", "k"}, kNothing},
      {{}, {"RENAME", "k", "j"}, kNothing},
      {{kv}, {"RENAMENX", "k", "j"}, {"0 RENAMENX k j"}},
      {{kv, {"SET", "j", "x"}}, {"RENAMENX", "k", "j"}, kNothing},
      {{kv}, {"MOVE", "k", "1"}, {"0 MOVE k 1"}},
      {{}, {"MOVE", "k", "1"}, kNothing},
      {{kv}, {"COPY", "k", "j"}, {"0 COPY k j"}},
      {{kv}, {"COPY", "k", "j", "DB", "2"}, {"0 COPY k j DB 2"}},
      {{kv, {"SET", "j", "x"}}, {"COPY", "k", "j"}, kNothing},
      {{}, {"COPY", "k", "j"}, kNothing},
      {{}, {"SWAPDB", "0", "1"}, {"0 SWAPDB 0 1"}},
      {{}, {"FLUSHDB"}, {"0 FLUSHDB"}},
  });
}

TEST(PropagationTest, ListCommands) {
  const Cmd l3 = {"RPUSH", "l", "a", "b", "c"};
  ExpectCases({
      {{}, {"LPUSH", "l", "a", "b"}, {"0 LPUSH l a b"}},
      {{}, {"RPUSH", "l", "a"}, {"0 RPUSH l a"}},
      {{}, {"LPUSHX", "l", "a"}, kNothing},
      {{}, {"RPUSHX", "l", "a"}, kNothing},
      {{l3}, {"RPUSHX", "l", "d"}, {"0 RPUSHX l d"}},
      {{l3}, {"LPOP", "l"}, {"0 LPOP l"}},
      {{l3}, {"RPOP", "l", "2"}, {"0 RPOP l 2"}},
      {{l3}, {"LPOP", "l", "0"}, kNothing},
      {{}, {"LPOP", "l"}, kNothing},
      {{l3}, {"LSET", "l", "0", "x"}, {"0 LSET l 0 x"}},
      {{l3}, {"LSET", "l", "9", "x"}, kNothing},
      {{l3}, {"LINSERT", "l", "BEFORE", "b", "x"}, {"0 LINSERT l BEFORE b x"}},
      {{l3}, {"LINSERT", "l", "BEFORE", "zz", "x"}, kNothing},
      {{l3}, {"LREM", "l", "0", "b"}, {"0 LREM l 0 b"}},
      {{l3}, {"LREM", "l", "0", "zz"}, kNothing},
      {{l3}, {"LTRIM", "l", "1", "-1"}, {"0 LTRIM l 1 -1"}},
      {{l3}, {"LTRIM", "l", "0", "-1"}, kNothing},
      {{}, {"LTRIM", "l", "0", "1"}, kNothing},
      {{l3}, {"RPOPLPUSH", "l", "d"}, {"0 RPOPLPUSH l d"}},
      {{}, {"RPOPLPUSH", "l", "d"}, kNothing},
      {{l3, {"SET", "d", "x"}}, {"RPOPLPUSH", "l", "d"}, kNothing},
      {{l3}, {"LMOVE", "l", "l", "LEFT", "RIGHT"}, {"0 LMOVE l l LEFT RIGHT"}},
      {{l3},
       {"LMPOP", "2", "x", "l", "LEFT", "COUNT", "5"},
       {"0 LPOP l 3"}},
      {{l3}, {"LMPOP", "1", "l", "RIGHT"}, {"0 RPOP l 1"}},
      {{}, {"LMPOP", "1", "l", "RIGHT"}, kNothing},
      // Blocking commands served at once replay as the plain command.
      {{l3}, {"BLPOP", "x", "l", "0"}, {"0 LPOP l"}},
      {{l3}, {"BRPOP", "l", "0"}, {"0 RPOP l"}},
      {{l3},
       {"BLMOVE", "l", "d", "LEFT", "RIGHT", "0"},
       {"0 LMOVE l d LEFT RIGHT"}},
      {{l3}, {"BRPOPLPUSH", "l", "d", "0"}, {"0 RPOPLPUSH l d"}},
      {{l3},
       {"BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2"},
       {"0 RPOP l 2"}},
      // No sink: times out at once, nothing changed.
      {{}, {"BLPOP", "l", "0"}, kNothing},
  });
}

TEST(PropagationTest, HashCommands) {
  const Cmd h = {"HSET", "h", "f", "1"};
  ExpectCases({
      {{}, {"HSET", "h", "f", "v", "g", "w"}, {"0 HSET h f v g w"}},
      {{h}, {"HSET", "h", "f", "1"}, {"0 HSET h f 1"}},  // always
      {{}, {"HMSET", "h", "f", "v"}, {"0 HMSET h f v"}},
      {{}, {"HSETNX", "h", "f", "v"}, {"0 HSETNX h f v"}},
      {{h}, {"HSETNX", "h", "f", "v"}, kNothing},
      {{h}, {"HDEL", "h", "f", "g"}, {"0 HDEL h f g"}},
      {{h}, {"HDEL", "h", "g"}, kNothing},
      {{}, {"HDEL", "h", "g"}, kNothing},
      {{h}, {"HINCRBY", "h", "f", "2"}, {"0 HINCRBY h f 2"}},
      {{h}, {"HINCRBYFLOAT", "h", "f", "0.5"}, {"0 HSET h f 1.5"}},
      {{{"HSET", "h", "f", "x"}}, {"HINCRBYFLOAT", "h", "f", "1"}, kNothing},
  });
}

TEST(PropagationTest, SetCommands) {
  const Cmd s = {"SADD", "s", "a", "b"};
  ExpectCases({
      {{}, {"SADD", "s", "a"}, {"0 SADD s a"}},
      {{s}, {"SADD", "s", "a", "b"}, kNothing},
      {{s}, {"SREM", "s", "a", "x"}, {"0 SREM s a x"}},
      {{s}, {"SREM", "s", "x"}, kNothing},
      {{{"SADD", "s", "only"}}, {"SPOP", "s"}, {"0 SREM s only"}},
      {{}, {"SPOP", "s"}, kNothing},
      {{s}, {"SPOP", "s", "5"}, {"0 DEL s"}},
      {{s}, {"SPOP", "s", "2"}, {"0 DEL s"}},
      {{s}, {"SPOP", "s", "0"}, kNothing},
      {{s}, {"SMOVE", "s", "d", "a"}, {"0 SMOVE s d a"}},
      {{s}, {"SMOVE", "s", "d", "x"}, kNothing},
      {{s}, {"SMOVE", "s", "s", "a"}, kNothing},
      {{s}, {"SINTERSTORE", "d", "s"}, {"0 SINTERSTORE d s"}},
      {{s}, {"SINTERSTORE", "d", "s", "x"}, kNothing},
      {{s, {"SET", "d", "x"}},
       {"SINTERSTORE", "d", "s", "x"},
       {"0 SINTERSTORE d s x"}},
      {{s}, {"SUNIONSTORE", "d", "s", "x"}, {"0 SUNIONSTORE d s x"}},
      {{s}, {"SDIFFSTORE", "d", "s", "s"}, kNothing},
      {{s}, {"SRANDMEMBER", "s", "2"}, kNothing},
  });
}

TEST(PropagationTest, SPopWithCountLogsTheRemovedMembers) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  h.Run({"SADD", "s", "a", "b", "c", "d", "e"});
  log.Take();
  Reply reply = h.RunReply({"SPOP", "s", "3"});
  ASSERT_EQ(reply.elements.size(), 3u);
  ASSERT_EQ(log.raw().size(), 1u);
  const auto& [db, srem] = log.raw()[0];
  EXPECT_EQ(db, 0);
  ASSERT_EQ(srem.size(), 5u);
  EXPECT_EQ(srem[0], "SREM");
  EXPECT_EQ(srem[1], "s");
  std::vector<std::string> popped;
  for (const Reply& e : reply.elements) popped.push_back(e.str);
  std::vector<std::string> removed(srem.begin() + 2, srem.end());
  std::sort(popped.begin(), popped.end());
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, popped);
  EXPECT_EQ(h.Run({"SCARD", "s"}), "(integer) 2");
}

TEST(PropagationTest, SPopOfManyIsLoggedInBatchesOf1024) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  std::vector<std::string> sadd = {"SADD", "s"};
  for (int i = 0; i < 3000; ++i) sadd.push_back(absl::StrCat(i));
  h.Run(sadd);
  log.Take();
  h.Run({"SPOP", "s", "2500"});
  ASSERT_EQ(log.raw().size(), 3u);
  EXPECT_EQ(log.raw()[0].second.size(), 2u + 1024);
  EXPECT_EQ(log.raw()[1].second.size(), 2u + 1024);
  EXPECT_EQ(log.raw()[2].second.size(), 2u + 452);
}

TEST(PropagationTest, SortedSetCommands) {
  const Cmd z = {"ZADD", "z", "1", "a", "2", "b"};
  ExpectCases({
      {{}, {"ZADD", "z", "1", "a"}, {"0 ZADD z 1 a"}},
      {{z}, {"ZADD", "z", "1", "a"}, kNothing},
      {{z}, {"ZADD", "z", "NX", "5", "a"}, kNothing},
      {{}, {"ZADD", "z", "XX", "5", "a"}, kNothing},
      {{z}, {"ZADD", "z", "GT", "0", "a"}, kNothing},
      {{z}, {"ZADD", "z", "CH", "5", "a"}, {"0 ZADD z CH 5 a"}},
      {{z}, {"ZADD", "z", "INCR", "1", "a"}, {"0 ZADD z INCR 1 a"}},
      {{z}, {"ZINCRBY", "z", "1.5", "a"}, {"0 ZINCRBY z 1.5 a"}},
      {{z}, {"ZREM", "z", "a", "x"}, {"0 ZREM z a x"}},
      {{z}, {"ZREM", "z", "x"}, kNothing},
      {{z}, {"ZREMRANGEBYSCORE", "z", "1", "1"}, {"0 ZREMRANGEBYSCORE z 1 1"}},
      {{z}, {"ZREMRANGEBYSCORE", "z", "5", "9"}, kNothing},
      {{z}, {"ZREMRANGEBYRANK", "z", "0", "0"}, {"0 ZREMRANGEBYRANK z 0 0"}},
      {{z}, {"ZREMRANGEBYRANK", "z", "5", "9"}, kNothing},
      {{z}, {"ZREMRANGEBYLEX", "z", "-", "+"}, {"0 ZREMRANGEBYLEX z - +"}},
      {{z}, {"ZREMRANGEBYLEX", "z", "[x", "+"}, kNothing},
      {{z}, {"ZPOPMIN", "z"}, {"0 ZPOPMIN z"}},
      {{z}, {"ZPOPMAX", "z", "5"}, {"0 ZPOPMAX z 5"}},
      {{z}, {"ZPOPMAX", "z", "0"}, kNothing},
      {{}, {"ZPOPMIN", "z"}, kNothing},
      {{z}, {"BZPOPMIN", "x", "z", "0"}, {"0 ZPOPMIN z"}},
      {{z}, {"BZPOPMAX", "z", "0"}, {"0 ZPOPMAX z"}},
      {{z}, {"ZMPOP", "1", "z", "MIN", "COUNT", "10"}, {"0 ZPOPMIN z 2"}},
      {{z}, {"ZMPOP", "2", "x", "z", "MAX"}, {"0 ZPOPMAX z 1"}},
      {{}, {"ZMPOP", "1", "z", "MAX"}, kNothing},
      {{z}, {"BZMPOP", "0", "1", "z", "MAX"}, {"0 ZPOPMAX z 1"}},
      {{z}, {"ZUNIONSTORE", "d", "1", "z"}, {"0 ZUNIONSTORE d 1 z"}},
      {{z}, {"ZINTERSTORE", "d", "2", "z", "x"}, kNothing},
      {{z, {"SET", "d", "x"}},
       {"ZINTERSTORE", "d", "2", "z", "x"},
       {"0 ZINTERSTORE d 2 z x"}},
      {{z}, {"ZDIFFSTORE", "d", "1", "z"}, {"0 ZDIFFSTORE d 1 z"}},
      {{z}, {"ZRANGESTORE", "d", "z", "0", "-1"}, {"0 ZRANGESTORE d z 0 -1"}},
      {{z}, {"ZRANGESTORE", "d", "z", "5", "9"}, kNothing},
      {{z}, {"ZRANDMEMBER", "z", "2"}, kNothing},
  });
}

TEST(PropagationTest, LoggedInTheClientsDatabase) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  h.Run({"SELECT", "3"});
  h.Run({"SET", "k", "v"});
  h.Run({"GET", "k"});
  EXPECT_EQ(log.Take(), Logs({"3 SET k v"}));
}

// --- Blocking commands served later: the push, then the pop it fed. ---

class BlockedServedLaterTest : public ::testing::Test {
 protected:
  BlockedServedLaterTest()
      : h_(RegisterAllFamilies), a_(h_.engine(), 1), b_(h_.engine(), 2) {
    h_.engine().set_command_log(&log_);
  }
  ~BlockedServedLaterTest() override {
    h_.engine().set_command_log(nullptr);
  }
  EngineHarness h_;
  RecordingLog log_;
  FakeClient a_, b_;
};

TEST_F(BlockedServedLaterTest, BLPopAndBRPop) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "0"}), "(blocked)");
  EXPECT_EQ(log_.Take(), kNothing);
  EXPECT_EQ(b_.Run({"RPUSH", "q", "x", "y"}), "(integer) 2");
  EXPECT_EQ(a_.Take(), "[q, x]");
  EXPECT_EQ(log_.Take(), Logs({"0 RPUSH q x y", "0 LPOP q"}));
  EXPECT_EQ(a_.Run({"BRPOP", "r", "q2", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"LPUSH", "q2", "z"}), "(integer) 1");
  EXPECT_EQ(log_.Take(), Logs({"0 LPUSH q2 z", "0 RPOP q2"}));
}

TEST_F(BlockedServedLaterTest, BLMoveAndBRPopLPush) {
  EXPECT_EQ(a_.Run({"BLMOVE", "q", "d", "RIGHT", "LEFT", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"RPUSH", "q", "x"}), "(integer) 1");
  EXPECT_EQ(a_.Take(), "x");
  EXPECT_EQ(log_.Take(), Logs({"0 RPUSH q x", "0 LMOVE q d RIGHT LEFT"}));
  EXPECT_EQ(a_.Run({"BRPOPLPUSH", "q", "d", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"RPUSH", "q", "y"}), "(integer) 1");
  EXPECT_EQ(log_.Take(), Logs({"0 RPUSH q y", "0 RPOPLPUSH q d"}));
}

TEST_F(BlockedServedLaterTest, BLMPop) {
  EXPECT_EQ(a_.Run({"BLMPOP", "0", "2", "p", "q", "LEFT", "COUNT", "5"}),
            "(blocked)");
  EXPECT_EQ(b_.Run({"RPUSH", "q", "x", "y"}), "(integer) 2");
  EXPECT_EQ(a_.Take(), "[q, [x, y]]");
  EXPECT_EQ(log_.Take(), Logs({"0 RPUSH q x y", "0 LPOP q 2"}));
}

TEST_F(BlockedServedLaterTest, BZPopAndBZMPop) {
  EXPECT_EQ(a_.Run({"BZPOPMAX", "z", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"ZADD", "z", "1", "a", "2", "b"}), "(integer) 2");
  EXPECT_EQ(log_.Take(), Logs({"0 ZADD z 1 a 2 b", "0 ZPOPMAX z"}));
  EXPECT_EQ(a_.Run({"BZPOPMIN", "y", "0"}), "(blocked)");
  EXPECT_EQ(b_.Run({"ZADD", "y", "1", "a"}), "(integer) 1");
  EXPECT_EQ(log_.Take(), Logs({"0 ZADD y 1 a", "0 ZPOPMIN y"}));
  EXPECT_EQ(a_.Run({"BZMPOP", "0", "1", "x", "MIN", "COUNT", "3"}),
            "(blocked)");
  EXPECT_EQ(b_.Run({"ZADD", "x", "1", "a", "2", "b"}), "(integer) 2");
  EXPECT_EQ(log_.Take(), Logs({"0 ZADD x 1 a 2 b", "0 ZPOPMIN x 2"}));
}

TEST_F(BlockedServedLaterTest, TimeoutLogsNothing) {
  EXPECT_EQ(a_.Run({"BLPOP", "q", "1"}), "(blocked)");
  h_.runtime().Advance(absl::Seconds(2));
  EXPECT_EQ(a_.Take(), "(nil)");
  EXPECT_EQ(log_.Take(), kNothing);
}

// --- Expiry. ---

TEST(PropagationTest, LazilyExpiredKeyIsLoggedAsDelBeforeTheCommand) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  h.Run({"SET", "k", "v", "PX", "100"});
  log.Take();
  // A command that runs later than the active cycle would have got to it.
  std::string out;
  ReplyWriter writer(&out);
  const std::vector<absl::string_view> set = {"SET", "k", "w", "NX"};
  h.engine().Execute(h.client(), set, writer, h.engine().NowMs() + 200);
  EXPECT_EQ(log.Take(), Logs({"0 DEL k", "0 SET k w NX"}));
}

TEST(PropagationTest, ActivelyExpiredKeyIsLoggedAsDel) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  h.Run({"SELECT", "2"});
  h.Run({"SET", "k", "v", "PX", "100"});
  log.Take();
  h.runtime().Advance(absl::Milliseconds(200));
  EXPECT_EQ(log.Take(), Logs({"2 DEL k"}));
}

// While loading, an absolute time already past keeps the key (the logged
// commands after it expect it); it goes once loading ends, logged as DEL.
TEST(PropagationTest, LoadingKeepsKeysWithPastTimesUntilItEnds) {
  EngineHarness h(RegisterAllFamilies);
  RecordingLog log;
  h.engine().set_command_log(&log);
  h.engine().set_loading(true);
  h.Run({"SET", "a", "v"});
  EXPECT_EQ(h.Run({"PEXPIREAT", "a", "1"}), "(integer) 1");
  h.Run({"SET", "b", "v"});
  EXPECT_EQ(h.Run({"EXPIREAT", "b", "1"}), "(integer) 1");
  h.Run({"SET", "c", "v"});
  EXPECT_EQ(h.Run({"EXPIRE", "c", "-5"}), "(integer) 1");
  h.Run({"SET", "d", "v", "PXAT", "5"});
  h.Run({"SET", "e", "v"});
  EXPECT_EQ(h.Run({"GETEX", "e", "PXAT", "7"}), "v");
  EXPECT_EQ(h.Run({"EXISTS", "a", "b", "c", "d", "e"}), "(integer) 5");
  EXPECT_EQ(h.Run({"APPEND", "a", "w"}), "(integer) 2");
  EXPECT_EQ(log.Take(),
            Logs({"0 SET a v", "0 PEXPIREAT a 1", "0 SET b v",
                  "0 PEXPIREAT b 1000", "0 SET c v",
                  "0 PEXPIREAT c " + At(-5000), "0 SET d v PXAT 5",
                  "0 SET e v", "0 PEXPIREAT e 7", "0 APPEND a w"}));
  h.engine().set_loading(false);
  h.runtime().Advance(absl::Milliseconds(1));
  std::vector<std::string> dels = log.Take();
  std::sort(dels.begin(), dels.end());
  EXPECT_EQ(dels,
            Logs({"0 DEL a", "0 DEL b", "0 DEL c", "0 DEL d", "0 DEL e"}));
  EXPECT_EQ(h.Run({"DBSIZE"}), "(integer) 0");
}

// --- The property: replaying the log rebuilds the data set. ---

const char* const kElems[] = {"a", "b", "c", "d"};

// One random step of the workload: ints that BuildStep turns into a
// command (ints shrink well).
struct Step {
  int op = 0;
  int k1 = 0, k2 = 0, e = 0;
  int n = 0;
  bool blocker = false;  // run by the second client (may block)
};

std::ostream& operator<<(std::ostream& os, const Step& s);

// Key i of a family ('s'trings, 'l'ists, 'h'ashes, s'e'ts, 'z'sets): one
// of three of its own, or the shared "x".
std::string F(char family, int i) {
  if (i % 4 == 3) return "x";
  return absl::StrCat(std::string(1, family), i % 4);
}
std::string Any(int i) { return F("slhez"[(i / 4) % 5], i); }
constexpr int kKeyChoices = 20;
std::string E(int i) { return kElems[i % 4]; }

// A command for `s`; an empty one means "advance the clock by s.n * 37 ms".
Cmd BuildBlocker(const Step& s);

Cmd BuildStep(const Step& s) {
  // Keys by family (a shared "x" lets types clash now and then), and any
  // key for the generic commands.
  const std::string ks = F('s', s.k1), ks2 = F('s', s.k2);
  const std::string kl = F('l', s.k1), kl2 = F('l', s.k2);
  const std::string kh = F('h', s.k1);
  const std::string ke = F('e', s.k1), ke2 = F('e', s.k2);
  const std::string kz = F('z', s.k1), kz2 = F('z', s.k2);
  const std::string ka = Any(s.k1), ka2 = Any(s.k2);
  const std::string e = E(s.e);
  const std::string n = absl::StrCat(s.n);
  switch (s.op) {
    case 0: return {};
    case 1: return {"SET", ks, e};
    case 2: return {"SET", ks, e, "PX", absl::StrCat(1 + s.n * 50)};
    case 3: return {"SET", ks, e, "EX", "1", "NX"};
    case 4: return {"SET", ks, e, "KEEPTTL", "GET"};
    case 5: return {"SETEX", ks, "1", e};
    case 6: return {"GETEX", ks, "PX", absl::StrCat(1 + s.n * 40)};
    case 7: return {"GETEX", ks, "PERSIST"};
    case 8: return {"GETDEL", ks};
    case 9: return {"APPEND", ks, e};
    case 10: return {"INCRBY", ks, n};
    case 11: return {"INCRBYFLOAT", ks, s.n % 2 ? "0.1" : "-1.7e-3"};
    case 12: return {"SETRANGE", ks, absl::StrCat(s.n % 3), e};
    case 13: return {"MSETNX", ks, e, ks2, e};
    case 14: return {"DEL", ka, ka2};
    case 15: return {"EXPIRE", ka, absl::StrCat(s.n % 3 - 1)};
    case 16: return {"PEXPIRE", ka, absl::StrCat(s.n * 30), s.n % 2 ? "GT" : "LT"};
    case 17: return {"PERSIST", ka};
    case 18: return {"RENAME", ka, ka2};
    case 19: return {"MOVE", ka, "1"};
    case 20: return {"COPY", ka, ka2, "DB", absl::StrCat(s.n % 2), "REPLACE"};
    case 21: return {"SELECT", absl::StrCat(s.n % 2)};
    case 22: return {"LPUSH", kl, e, E(s.e + 1)};
    case 23: return {"RPUSH", kl, e};
    case 24: return {"LPOP", kl};
    case 25: return {"RPOP", kl, n};
    case 26: return {"LMOVE", kl, kl2, s.n % 2 ? "LEFT" : "RIGHT", "LEFT"};
    case 27: return {"LMPOP", "2", kl, kl2, "RIGHT", "COUNT", absl::StrCat(1 + s.n)};
    case 28: return {"LTRIM", kl, "1", n};
    case 29: return {"LREM", kl, "0", e};
    case 30: return {"LINSERT", kl, "AFTER", e, E(s.e + 2)};
    case 31: return {"HSET", kh, e, n};
    case 32: return {"HDEL", kh, e};
    case 33: return {"HINCRBYFLOAT", kh, e, "0.3"};
    case 34: return {"HINCRBY", kh, e, n};
    case 35: return {"SADD", ke, e, E(s.e + 1), E(s.e + 2)};
    case 36: return {"SREM", ke, e};
    case 37: return {"SPOP", ke};
    case 38: return {"SPOP", ke, absl::StrCat(s.n % 4)};
    case 39: return {"SMOVE", ke, ke2, e};
    case 40: return {"SUNIONSTORE", ke, ke2, F('e', s.k1 + 1)};
    case 41: return {"ZADD", kz, n, e};
    case 42: return {"ZADD", kz, "INCR", "0.1", e};
    case 43: return {"ZINCRBY", kz, "2.5", e};
    case 44: return {"ZREM", kz, e};
    case 45: return {"ZPOPMIN", kz, absl::StrCat(s.n % 3)};
    case 46: return {"ZMPOP", "2", kz, kz2, s.n % 2 ? "MIN" : "MAX"};
    case 47: return {"ZUNIONSTORE", kz, "2", kz2, F('z', s.k1 + 1), "WEIGHTS", "0.5", "3"};
    case 48: return {"ZRANGESTORE", kz, kz2, "0", n};
    case 49: return {"SWAPDB", "0", "1"};
    case 50: return {"EXPIREAT", ka, absl::StrCat(kStartMs / 1000 + s.n - 2)};
    case 51: return {"SET", ks, e, "PXAT", At(s.n * 100 - 200)};
    case 52: return {"GETEX", ks, "EXAT", AtSeconds(s.n - 1)};
    case 53: return {"SINTERSTORE", ke, ke2, F('e', s.k1 + 1)};
    case 54: return {"RANDOMKEY"};  // burns randomness (SPOP's picks vary)
  }
  return {"PING"};
}
constexpr int kOps = 55;

std::ostream& operator<<(std::ostream& os, const Step& s) {
  if (s.blocker) return os << "blocker: " << absl::StrJoin(BuildBlocker(s), " ");
  const Cmd cmd = BuildStep(s);
  if (cmd.empty()) return os << "advance " << (s.n * 37 + s.e * 211) << "ms";
  return os << absl::StrJoin(cmd, " ");
}

// What the second client runs: blocking pops, served at once or later.
Cmd BuildBlocker(const Step& s) {
  const std::string kl = F('l', s.k1), kl2 = F('l', s.k2);
  const std::string kz = F('z', s.k1), kz2 = F('z', s.k2);
  const std::string timeout = s.n % 2 ? "0.5" : "0";
  switch (s.op % 6) {
    case 0: return {"BLPOP", kl, kl2, timeout};
    case 1: return {"BRPOPLPUSH", kl, kl2, timeout};
    case 2: return {"BLMOVE", kl, kl2, "RIGHT", "RIGHT", timeout};
    case 3: return {"BLMPOP", timeout, "1", kl, "LEFT", "COUNT", "2"};
    case 4: return {"BZPOPMIN", kz, timeout};
    default: return {"BZMPOP", timeout, "2", kz, kz2, "MAX", "COUNT", "2"};
  }
}

// Every key of databases 0 and 1 with its type, value and expiry time,
// read through commands.
std::string Dump(EngineHarness& h) {
  std::string out;
  const int saved = h.client().db_index;
  for (int db = 0; db < 2; ++db) {
    h.Run({"SELECT", absl::StrCat(db)});
    Reply keys = h.RunReply({"KEYS", "*"});
    std::vector<std::string> names;
    for (const Reply& r : keys.elements) names.push_back(r.str);
    std::sort(names.begin(), names.end());
    for (const std::string& k : names) {
      const std::string type = h.Run({"TYPE", k});
      std::string value;
      if (type == "string") {
        value = h.Run({"GET", k});
      } else if (type == "list") {
        value = h.Run({"LRANGE", k, "0", "-1"});
      } else if (type == "hash") {
        Reply r = h.RunReply({"HGETALL", k});
        std::map<std::string, std::string> m;
        for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
          m[r.elements[i].str] = r.elements[i + 1].str;
        }
        for (const auto& [f, v] : m) absl::StrAppend(&value, f, "=", v, " ");
      } else if (type == "set") {
        Reply r = h.RunReply({"SMEMBERS", k});
        std::vector<std::string> m;
        for (const Reply& e : r.elements) m.push_back(e.str);
        std::sort(m.begin(), m.end());
        value = absl::StrJoin(m, ",");
      } else {
        value = h.Run({"ZRANGE", k, "0", "-1", "WITHSCORES"});
      }
      absl::StrAppend(&out, db, " ", k, " ", type, " ", value, " expires ",
                      h.Run({"PEXPIRETIME", k}), "\n");
    }
  }
  h.client().db_index = saved;
  return out;
}

RC_GTEST_PROP(PropagationProperty, ReplayingTheLogRebuildsTheDataSet, ()) {
  // Up to 400 steps: long enough for keys to change type, expire and be
  // waited on.
  const auto steps = *rc::gen::scale(4.0, rc::gen::container<std::vector<Step>>(
      rc::gen::build<Step>(
          rc::gen::set(&Step::op, rc::gen::inRange(0, kOps)),
          rc::gen::set(&Step::k1, rc::gen::inRange(0, kKeyChoices)),
          rc::gen::set(&Step::k2, rc::gen::inRange(0, kKeyChoices)),
          rc::gen::set(&Step::e, rc::gen::inRange(0, 4)),
          rc::gen::set(&Step::n, rc::gen::inRange(0, 6)),
          rc::gen::set(&Step::blocker,
                       rc::gen::map(rc::gen::inRange(0, 8),
                                    [](int x) { return x == 0; })))));

  EngineHarness a(RegisterAllFamilies);
  RecordingLog log;
  a.engine().set_command_log(&log);
  FakeClient blocker(a.engine(), 2);
  int64_t advanced_ms = 0;
  for (const Step& s : steps) {
    if (s.blocker) {
      if (!blocker.state().blocked) {
        blocker.Run(BuildBlocker(s));
      }
      continue;
    }
    Cmd cmd = BuildStep(s);
    if (cmd.empty()) {
      const int64_t ms = s.n * 37 + s.e * 211;
      a.runtime().Advance(absl::Milliseconds(ms));
      advanced_ms += ms;
      continue;
    }
    a.Run(cmd);
  }
  // A client still waiting has changed nothing; its timeout changes
  // nothing either.
  a.engine().UnblockClient(blocker.state());
  a.engine().set_command_log(nullptr);

  // Replay on a fresh engine whose clock starts where A's did, so that the
  // logged absolute times are in the past of neither or both.
  EngineHarness b(RegisterAllFamilies);
  // B's random stream must not repeat A's, or a random pick logged as
  // received (not as what it removed) would replay the same by luck.
  for (int i = 0; i < 3; ++i) b.runtime().Next64();
  b.engine().set_loading(true);
  for (const auto& [db, args] : log.raw()) {
    b.client().db_index = db;
    const std::string reply = b.Run(args);
    RC_ASSERT(reply.rfind("(error)", 0) == std::string::npos);
  }
  b.client().db_index = 0;
  b.engine().set_loading(false);
  b.runtime().Advance(absl::Milliseconds(advanced_ms));

  a.client().db_index = 0;
  const std::string want = Dump(a);
  const std::string got = Dump(b);
  RC_ASSERT(got == want);
  // How much of the log the rewrites make up (the property is only as
  // strong as the workload that reaches them).
  int rewritten = 0, dels = 0;
  for (const auto& [db, args] : log.raw()) {
    const std::string& name = args[0];
    rewritten += name == "PEXPIREAT" || name == "SREM" || name == "LPOP" ||
                 name == "RPOP" || name == "ZPOPMIN" || name == "ZPOPMAX" ||
                 name == "PERSIST" || (name == "SET" && args.size() > 3);
    dels += name == "DEL";
  }
  RC_TAG(log.raw().size() > 100 ? "log > 100" : "log <= 100");
  RC_TAG(rewritten > 10 ? "rewrites > 10" : "rewrites <= 10");
  RC_TAG(dels > 5 ? "DELs > 5" : "DELs <= 5");
  RC_TAG(want.size() > 200 ? "big data set" : "small data set");
}

}  // namespace
}  // namespace twinkv
