// MULTI EXEC DISCARD WATCH UNWATCH against Redis 7.0's replies (checked
// with redis-server 7.0.15), what the command log receives for a
// transaction (one MULTI ... EXEC block, nothing for an empty or rolled
// back one), and multi-rollback's all-or-nothing.
//
// The property at the end runs random transactions with multi-rollback on
// and checks each against a twin engine that runs the same commands one by
// one: a committed EXEC leaves the twin's state, a rolled-back one the
// state from before. RapidCheck prints its seed on failure;
// RC_PARAMS="seed=N" replays it.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
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

using Cmd = std::vector<std::string>;

// Records every logged command as "db NAME arg ...".
class RecordingLog : public CommandLog {
 public:
  void Append(int db, ArgList args) override {
    entries_.push_back(absl::StrCat(db, " ", absl::StrJoin(args, " ")));
    ++appended_;
  }
  uint64_t appended() const override { return appended_; }
  uint64_t acknowledged() const override { return appended_; }
  void WhenAcknowledged(uint64_t, std::function<void(bool)> done) override {
    done(true);
  }
  absl::Status StartRewrite() override { return absl::OkStatus(); }
  void AppendInfo(std::string*) override {}
  std::vector<std::string> Take() { return std::exchange(entries_, {}); }

 private:
  std::vector<std::string> entries_;
  uint64_t appended_ = 0;
};

// A second client on the same engine.
class OtherClient {
 public:
  OtherClient(Engine& engine, uint64_t id) : engine_(engine), writer_(&out_) {
    state_ = std::make_unique<ClientState>();
    state_->id = id;
  }
  std::string Run(const Cmd& args) {
    out_.clear();
    std::vector<absl::string_view> views(args.begin(), args.end());
    engine_.Execute(*state_, views, writer_);
    ReplyDecoder decoder;
    Reply reply;
    EXPECT_EQ(decoder.Decode(out_, &reply), ReplyDecoder::kReply) << out_;
    return RenderReply(reply);
  }
  // Disconnects (the state goes, as when a Connection is destroyed).
  void Drop() { state_.reset(); }

 private:
  Engine& engine_;
  std::unique_ptr<ClientState> state_;
  std::string out_;
  ReplyWriter writer_;
};

class MultiTest : public ::testing::Test {
 protected:
  explicit MultiTest(bool rollback = false) : h_(RegisterAllFamilies, Cfg(rollback)) {
    h_.engine().set_command_log(&log_);
  }
  ~MultiTest() override { h_.engine().set_command_log(nullptr); }
  static Config Cfg(bool rollback) {
    Config c;
    c.multi_rollback = rollback;
    return c;
  }
  std::string Run(std::initializer_list<absl::string_view> args) {
    return h_.Run(args);
  }
  std::string Raw(std::initializer_list<absl::string_view> args) {
    return h_.RunRaw(std::vector<absl::string_view>(args));
  }

  RecordingLog log_;
  EngineHarness h_;
};

class MultiRollbackTest : public MultiTest {
 protected:
  MultiRollbackTest() : MultiTest(/*rollback=*/true) {}
};

TEST_F(MultiTest, QueuesAndExecutesInOrder) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"INCR", "a"}), "QUEUED");
  EXPECT_EQ(Run({"GET", "a"}), "QUEUED");
  EXPECT_EQ(Raw({"EXEC"}), "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n");
  EXPECT_EQ(Run({"GET", "a"}), "2");
}

TEST_F(MultiTest, EmptyTransactionRepliesEmptyArray) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*0\r\n");
  EXPECT_TRUE(log_.Take().empty());
}

TEST_F(MultiTest, ErrorStringsMatchRedis) {
  EXPECT_EQ(Run({"EXEC"}), "(error) ERR EXEC without MULTI");
  EXPECT_EQ(Run({"DISCARD"}), "(error) ERR DISCARD without MULTI");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "(error) ERR MULTI calls can not be nested");
  EXPECT_EQ(Run({"WATCH", "x"}),
            "(error) ERR WATCH inside MULTI is not allowed");
  EXPECT_EQ(Run({"SET", "q", "1"}), "QUEUED");
  // Neither error above dooms the transaction (Redis 7.0).
  EXPECT_EQ(Run({"EXEC"}), "[OK]");
  EXPECT_EQ(Run({"WATCH"}),
            "(error) ERR wrong number of arguments for 'watch' command");
}

TEST_F(MultiTest, QueueingErrorsAbortExec) {
  for (const Cmd& bad : {Cmd{"GET"}, Cmd{"NOSUCHCMD", "x"},
                         Cmd{"CONFIG", "NOSUCHSUB"}}) {
    SCOPED_TRACE(bad[0]);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"SET", "k", "v"}), "QUEUED");
    EXPECT_TRUE(absl::StartsWith(h_.Run(bad), "(error) ERR ")) << h_.Run(bad);
    EXPECT_EQ(Run({"EXEC"}),
              "(error) EXECABORT Transaction discarded because of previous "
              "errors.");
    EXPECT_EQ(Run({"GET", "k"}), "(nil)");
    EXPECT_EQ(Run({"EXEC"}), "(error) ERR EXEC without MULTI");
  }
  EXPECT_TRUE(log_.Take().empty());
}

TEST_F(MultiTest, DiscardDropsTheQueue) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v"}), "QUEUED");
  EXPECT_EQ(Run({"DISCARD"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"EXEC"}), "(error) ERR EXEC without MULTI");
}

TEST_F(MultiTest, RuntimeErrorDoesNotRollBack) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"LPUSH", "a", "x"}), "QUEUED");
  EXPECT_EQ(Run({"SET", "b", "2"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}),
            "[OK, (error) WRONGTYPE Operation against a key holding the "
            "wrong kind of value, OK]");
  EXPECT_EQ(Run({"GET", "a"}), "1");
  EXPECT_EQ(Run({"GET", "b"}), "2");
  EXPECT_EQ(log_.Take(), (std::vector<std::string>{
                             "0 MULTI", "0 SET a 1", "0 SET b 2", "0 EXEC"}));
}

TEST_F(MultiTest, LogGetsOneBlockWithSelects) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"GET", "nothing"}), "QUEUED");
  EXPECT_EQ(Run({"SELECT", "2"}), "QUEUED");
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b"}), "QUEUED");
  EXPECT_EQ(Run({"SELECT", "0"}), "QUEUED");
  EXPECT_EQ(Run({"SET", "k", "v"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[(nil), OK, (integer) 2, OK, OK]");
  EXPECT_EQ(log_.Take(),
            (std::vector<std::string>{"2 MULTI", "2 RPUSH l a b", "0 SET k v",
                                      "0 EXEC"}));
  // Reads only: nothing logged.
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "QUEUED");
  EXPECT_EQ(Run({"DEL", "nokey"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[v, (integer) 0]");
  EXPECT_TRUE(log_.Take().empty());
}

TEST_F(MultiTest, BlockingCommandInsideMultiTimesOutAtOnce) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"BLPOP", "empty", "0"}), "QUEUED");
  EXPECT_EQ(Run({"RPUSH", "full", "x"}), "QUEUED");
  EXPECT_EQ(Run({"BLPOP", "full", "0"}), "QUEUED");
  EXPECT_EQ(Raw({"EXEC"}),
            "*3\r\n*-1\r\n:1\r\n*2\r\n$4\r\nfull\r\n$1\r\nx\r\n");
  EXPECT_FALSE(h_.client().blocked);
  EXPECT_EQ(h_.engine().blocked_clients(), 0u);
}

TEST_F(MultiTest, WatchedKeyWrittenByAnotherClientAbortsExec) {
  OtherClient other(h_.engine(), 2);
  EXPECT_EQ(Run({"SET", "k", "1"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(other.Run({"INCR", "k"}), "(integer) 2");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "mine"}), "QUEUED");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "2");
  // EXEC unwatched: the next transaction runs.
  EXPECT_EQ(other.Run({"INCR", "k"}), "(integer) 3");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[3]");
  EXPECT_EQ(h_.engine().watched_keys(), 0u);
}

TEST_F(MultiTest, NullArrayInResp3) {
  h_.client().protocol = 3;
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "1"}), "OK");  // own writes count too
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "_\r\n");
}

TEST_F(MultiTest, WriteThatChangesNothingDoesNotTouch) {
  OtherClient other(h_.engine(), 2);
  EXPECT_EQ(Run({"WATCH", "nokey"}), "OK");
  EXPECT_EQ(other.Run({"DEL", "nokey"}), "(integer) 0");
  EXPECT_EQ(other.Run({"FLUSHDB"}), "OK");  // nokey does not exist
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"EXEC"}), "[]");
  EXPECT_EQ(Run({"WATCH", "nokey"}), "OK");
  EXPECT_EQ(other.Run({"SET", "nokey", "1", "NX"}), "OK");
  EXPECT_EQ(other.Run({"DEL", "nokey"}), "(integer) 1");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");
}

TEST_F(MultiTest, UnwatchAndDiscardForgetWatchedKeys) {
  OtherClient other(h_.engine(), 2);
  EXPECT_EQ(Run({"WATCH", "a", "b"}), "OK");
  EXPECT_EQ(h_.engine().watched_keys(), 2u);
  EXPECT_EQ(Run({"UNWATCH"}), "OK");
  EXPECT_EQ(h_.engine().watched_keys(), 0u);
  EXPECT_EQ(other.Run({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"EXEC"}), "[]");
  EXPECT_EQ(Run({"WATCH", "a"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"DISCARD"}), "OK");
  EXPECT_EQ(h_.engine().watched_keys(), 0u);
}

TEST_F(MultiTest, DisconnectedWatcherIsForgotten) {
  auto other = std::make_unique<OtherClient>(h_.engine(), 2);
  EXPECT_EQ(other->Run({"WATCH", "a", "b"}), "OK");
  EXPECT_EQ(h_.engine().watched_keys(), 2u);
  other->Drop();
  EXPECT_EQ(h_.engine().watched_keys(), 0u);
  EXPECT_EQ(Run({"SET", "a", "1"}), "OK");  // would touch a dead client
}

TEST_F(MultiTest, FlushAndSwapTouchWatchersOfExistingKeys) {
  OtherClient other(h_.engine(), 2);
  EXPECT_EQ(Run({"SET", "k", "1"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(other.Run({"FLUSHALL"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");

  // FLUSHDB of another database leaves db 0's watchers alone.
  EXPECT_EQ(Run({"SET", "k", "1"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(other.Run({"SELECT", "3"}), "OK");
  EXPECT_EQ(other.Run({"SET", "x", "1"}), "OK");
  EXPECT_EQ(other.Run({"FLUSHDB"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"EXEC"}), "[]");

  // SWAPDB: the watched key vanishes from db 0.
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(other.Run({"SWAPDB", "0", "5"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");
}

TEST_F(MultiTest, MoveIntoWatchedKeyTouchesIt) {
  OtherClient other(h_.engine(), 2);
  EXPECT_EQ(Run({"SELECT", "1"}), "OK");
  EXPECT_EQ(Run({"WATCH", "m"}), "OK");
  EXPECT_EQ(other.Run({"SET", "m", "v"}), "OK");  // db 0: not watched
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"EXEC"}), "[]");
  EXPECT_EQ(Run({"WATCH", "m"}), "OK");
  EXPECT_EQ(other.Run({"MOVE", "m", "1"}), "(integer) 1");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");
}

TEST_F(MultiTest, WatchedKeyThatExpiresAbortsExec) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  h_.runtime().Advance(absl::Milliseconds(300));  // active expiry deletes it
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");
}

TEST_F(MultiTest, WatchedKeyExpiredButNotDeletedAbortsExec) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  // Time passes without the expiry timer running (the key stays in memory).
  h_.engine().set_loading(true);  // no expiry at all for a moment
  h_.runtime().Advance(absl::Milliseconds(300));
  h_.engine().set_loading(false);
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Raw({"EXEC"}), "*-1\r\n");
}

TEST_F(MultiTest, KeyAlreadyExpiredAtWatchIsNoChangeWhenDeleted) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  h_.engine().set_loading(true);  // keeps the expired key in memory
  h_.runtime().Advance(absl::Milliseconds(300));
  h_.engine().set_loading(false);
  // set_loading(false) armed the cycle but it has not run yet.
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  h_.runtime().Advance(absl::Milliseconds(10));  // now it is deleted
  EXPECT_EQ(Run({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"EXEC"}), "[]");
}

TEST_F(MultiTest, NoMultiCommandsAreRejectedWhileQueueing) {
  // No row of the current families is no-multi; add one to see the rule.
  Engine engine(h_.runtime(), Config(), [](CommandTable& t) {
    RegisterMultiFamily(t);
    CommandSpec spec;
    spec.name = "nomulti";
    spec.arity = 1;
    spec.flags = kCmdNoMulti;
    spec.handler = [](CommandContext& ctx, ArgList) { ctx.reply.Ok(); };
    t.Add(std::move(spec));
  });
  OtherClient c(engine, 9);
  EXPECT_EQ(c.Run({"MULTI"}), "OK");
  EXPECT_EQ(c.Run({"NOMULTI"}),
            "(error) ERR Command not allowed inside a transaction");
  EXPECT_EQ(c.Run({"EXEC"}),
            "(error) EXECABORT Transaction discarded because of previous "
            "errors.");
}

TEST_F(MultiTest, MisconfAbortsExecOfWrites) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v"}), "QUEUED");
  h_.engine().set_write_error("MISCONF Errors writing to the AOF file: x");
  EXPECT_EQ(Run({"EXEC"}),
            "(error) EXECABORT Transaction discarded because of: MISCONF "
            "Errors writing to the AOF file: x");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v"}),
            "(error) MISCONF Errors writing to the AOF file: x");
  EXPECT_EQ(Run({"EXEC"}),
            "(error) EXECABORT Transaction discarded because of previous "
            "errors.");
  h_.engine().set_write_error("");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
}

// --- multi-rollback ---

TEST_F(MultiTest, MultiRollbackConfigDefaultsOff) {
  EXPECT_EQ(Run({"CONFIG", "GET", "multi-rollback"}), "[multi-rollback, no]");
  EXPECT_EQ(Run({"CONFIG", "SET", "multi-rollback", "yes"}), "OK");
  EXPECT_TRUE(h_.engine().config().multi_rollback);
}

TEST_F(MultiRollbackTest, RuntimeErrorUndoesEverything) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Run({"RPUSH", "l", "x"}), "(integer) 1");
  EXPECT_EQ(Run({"PEXPIRE", "l", "100000"}), "(integer) 1");
  log_.Take();
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "2"}), "QUEUED");
  EXPECT_EQ(Run({"RPUSH", "l", "y"}), "QUEUED");
  EXPECT_EQ(Run({"PERSIST", "l"}), "QUEUED");
  EXPECT_EQ(Run({"SET", "new", "n"}), "QUEUED");
  EXPECT_EQ(Run({"DEL", "a"}), "QUEUED");
  EXPECT_EQ(Run({"INCR", "l"}), "QUEUED");  // WRONGTYPE
  EXPECT_EQ(Run({"SET", "after", "z"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}),
            "(error) EXECABORT Transaction rolled back because command #6 "
            "(incr) failed: WRONGTYPE Operation against a key holding the "
            "wrong kind of value");
  EXPECT_EQ(Run({"GET", "a"}), "1");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[x]");
  EXPECT_EQ(Run({"PTTL", "l"}), "(integer) 100000");
  EXPECT_EQ(Run({"EXISTS", "new", "after"}), "(integer) 0");
  EXPECT_TRUE(log_.Take().empty());
}

TEST_F(MultiRollbackTest, SuccessfulTransactionCommits) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"INCR", "a"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[OK, (integer) 2]");
  EXPECT_EQ(Run({"GET", "a"}), "2");
  EXPECT_EQ(log_.Take(), (std::vector<std::string>{"0 MULTI", "0 SET a 1",
                                                   "0 INCR a", "0 EXEC"}));
}

TEST_F(MultiRollbackTest, KeylessWritesRefusedWhileQueueing) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"FLUSHDB"}),
            "(error) ERR FLUSHDB is not allowed in a transaction with "
            "multi-rollback enabled");
  EXPECT_EQ(Run({"EXEC"}),
            "(error) EXECABORT Transaction discarded because of previous "
            "errors.");
}

TEST_F(MultiRollbackTest, MoveIsUndoneInBothDatabases) {
  EXPECT_EQ(Run({"SET", "m", "v"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"MOVE", "m", "1"}), "QUEUED");
  EXPECT_EQ(Run({"LPUSH", "m2", "x"}), "QUEUED");
  EXPECT_EQ(Run({"INCR", "m2"}), "QUEUED");
  EXPECT_TRUE(absl::StartsWith(Run({"EXEC"}), "(error) EXECABORT"));
  EXPECT_EQ(Run({"GET", "m"}), "v");
  EXPECT_EQ(Run({"SELECT", "1"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "m"}), "(integer) 0");
}

// Random transactions over a few keys with multi-rollback on, compared with
// a twin engine running the same commands one by one (no MULTI).
Cmd RandomCommand() {
  const std::string key =
      *rc::gen::element<std::string>("s", "l", "h", "n");
  const std::string val = *rc::gen::element<std::string>("1", "x", "-2");
  switch (*rc::gen::inRange(0, 9)) {
    case 0: return {"SET", key, val};
    case 1: return {"INCR", key};
    case 2: return {"RPUSH", key, val};
    case 3: return {"LPOP", key};
    case 4: return {"HSET", key, "f", val};
    case 5: return {"DEL", key};
    case 6: return {"APPEND", key, val};
    case 7: return {"PEXPIRE", key, "50000"};
    case 8: return {"RENAME", key, *rc::gen::element<std::string>("s", "l")};
    default: return {"GET", key};
  }
}

std::string StateOf(EngineHarness& h) {
  std::string out;
  for (const char* k : {"s", "l", "h", "n"}) {
    const std::string type = h.Run({"TYPE", k});
    std::string value;
    if (type == "string") value = h.Run({"GET", k});
    if (type == "list") value = h.Run({"LRANGE", k, "0", "-1"});
    if (type == "hash") value = h.Run({"HGETALL", k});
    absl::StrAppend(&out, k, "=", type, ":", value, " ttl=",
                    h.Run({"PTTL", k}), "; ");
  }
  return out;
}

RC_GTEST_PROP(MultiRollbackProperty, AllOrNothing, ()) {
  Config on;
  on.multi_rollback = true;
  EngineHarness h(RegisterAllFamilies, on);
  EngineHarness twin(RegisterAllFamilies);
  const int txns = *rc::gen::inRange(1, 6);
  for (int t = 0; t < txns; ++t) {
    const auto cmds = *rc::gen::container<std::vector<Cmd>>(
        *rc::gen::inRange(1, 6), rc::gen::exec(RandomCommand));
    const std::string before = StateOf(twin);
    RC_ASSERT(StateOf(h) == before);
    RC_ASSERT(h.Run({"MULTI"}) == "OK");
    std::vector<std::string> expected;
    bool failed = false;
    for (const Cmd& c : cmds) {
      RC_ASSERT(h.Run(c) == "QUEUED");
      const std::string r = twin.Run(c);
      failed = failed || absl::StartsWith(r, "(error)");
      if (!failed) expected.push_back(r);
    }
    const std::string exec = h.Run({"EXEC"});
    if (failed) {
      RC_ASSERT(absl::StartsWith(exec, "(error) EXECABORT Transaction rolled back"));
      RC_ASSERT(StateOf(h) == before);
      // The twin has the partial effects: restart both from empty.
      RC_ASSERT(twin.Run({"FLUSHALL"}) == "OK");
      RC_ASSERT(h.Run({"FLUSHALL"}) == "OK");
    } else {
      RC_ASSERT(exec == absl::StrCat("[", absl::StrJoin(expected, ", "), "]"));
      RC_ASSERT(StateOf(h) == StateOf(twin));
    }
  }
}

}  // namespace
}  // namespace twinkv
