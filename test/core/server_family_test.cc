// Tests for the server family: PING ECHO SELECT QUIT DBSIZE FLUSHDB
// FLUSHALL TIME INFO COMMAND CONFIG FUNCTION SCRIPT, against Redis 7.0's replies.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/resp/reply.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

// Rows shaped like Redis's GET and MSET, so that COMMAND has keys to show.
// Their handlers are never run.
void NoopHandler(CommandContext& ctx, ArgList) { ctx.reply.Ok(); }

void RegisterWithKeyedRows(CommandTable& t) {
  RegisterServerFamily(t);
  CommandSpec get;
  get.name = "get";
  get.arity = 2;
  get.flags = kCmdReadOnly | kCmdFast;
  get.first_key = 1;
  get.last_key = 1;
  get.key_step = 1;
  get.handler = NoopHandler;
  get.summary = "Get the value of a key";
  get.group = "string";
  get.complexity = "O(1)";
  get.acl_categories = {"@read", "@string", "@fast"};
  t.Add(get);
  CommandSpec mset;
  mset.name = "mset";
  mset.arity = -3;
  mset.flags = kCmdWrite | kCmdDenyOom;
  mset.first_key = 1;
  mset.last_key = -1;
  mset.key_step = 2;
  mset.handler = NoopHandler;
  mset.acl_categories = {"@write", "@string", "@slow"};
  t.Add(mset);
}

// Commands RegisterServerFamily adds, and their subcommands.
constexpr size_t kServerCommands = 17;
constexpr size_t kServerSubcommands = 7 + 5 + 2 + 2 + 4;

class ServerFamilyTest : public ::testing::Test {
 protected:
  ServerFamilyTest() : h_(RegisterWithKeyedRows) {}

  void AddKeys(int db, int n) {
    for (int i = 0; i < n; ++i) {
      h_.engine().keyspace().db(db).SetString(absl::StrCat("k", i), "v",
                                              h_.engine().NowMs());
    }
  }
  std::string Raw(std::vector<absl::string_view> args) {
    return h_.RunRaw(args);
  }

  EngineHarness h_;
};

// ---- PING ECHO SELECT QUIT. ----

TEST_F(ServerFamilyTest, Ping) {
  EXPECT_EQ(Raw({"PING"}), "+PONG\r\n");
  // With a message the reply is a bulk string, not a status.
  EXPECT_EQ(Raw({"ping", "hello world"}), "$11\r\nhello world\r\n");
  EXPECT_EQ(h_.Run({"PING", "a", "b"}),
            "(error) ERR wrong number of arguments for 'ping' command");
  h_.client().protocol = 3;
  EXPECT_EQ(Raw({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Raw({"PING", "x"}), "$1\r\nx\r\n");
}

TEST_F(ServerFamilyTest, Echo) {
  EXPECT_EQ(Raw({"ECHO", std::string("a\0b", 3)}),
            std::string("$3\r\na\0b\r\n", 9));
  EXPECT_EQ(h_.Run({"ECHO"}),
            "(error) ERR wrong number of arguments for 'echo' command");
  EXPECT_EQ(h_.Run({"ECHO", "a", "b"}),
            "(error) ERR wrong number of arguments for 'echo' command");
}

TEST_F(ServerFamilyTest, SelectChangesTheClientsDb) {
  AddKeys(3, 2);
  EXPECT_EQ(h_.Run({"SELECT", "3"}), "OK");
  EXPECT_EQ(h_.client().db_index, 3);
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 2");
  EXPECT_EQ(h_.Run({"SELECT", "15"}), "OK");
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 0");
  EXPECT_EQ(h_.Run({"SELECT", "0"}), "OK");
  EXPECT_EQ(h_.client().db_index, 0);
}

TEST_F(ServerFamilyTest, SelectErrors) {
  h_.client().db_index = 2;
  for (absl::string_view bad : {"16", "-1", "2147483647", "-2147483648"}) {
    EXPECT_EQ(h_.Run({"SELECT", bad}), "(error) ERR DB index is out of range")
        << bad;
  }
  for (absl::string_view bad :
       {"x", "1.0", " 1", "01", "+1", "", "99999999999999999999",
        "2147483648"}) {
    EXPECT_EQ(h_.Run({"SELECT", bad}),
              "(error) ERR value is not an integer or out of range")
        << bad;
  }
  EXPECT_EQ(h_.client().db_index, 2);
  EXPECT_EQ(h_.Run({"SELECT"}),
            "(error) ERR wrong number of arguments for 'select' command");
}

TEST_F(ServerFamilyTest, SelectHonoursTheDatabasesSetting) {
  Config config;
  config.databases = 2;
  EngineHarness h(RegisterServerFamily, config);
  EXPECT_EQ(h.Run({"SELECT", "1"}), "OK");
  EXPECT_EQ(h.Run({"SELECT", "2"}), "(error) ERR DB index is out of range");
}

TEST_F(ServerFamilyTest, QuitRepliesOkAndAsksToClose) {
  EXPECT_FALSE(h_.client().close_after_reply);
  EXPECT_EQ(Raw({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(h_.client().close_after_reply);
}

// ---- DBSIZE FLUSHDB FLUSHALL. ----

TEST_F(ServerFamilyTest, DbSize) {
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 0");
  AddKeys(0, 5);
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 5");
  EXPECT_EQ(h_.Run({"DBSIZE", "x"}),
            "(error) ERR wrong number of arguments for 'dbsize' command");
}

TEST_F(ServerFamilyTest, FlushDbEmptiesOnlyTheSelectedDb) {
  AddKeys(0, 3);
  AddKeys(1, 4);
  EXPECT_EQ(h_.Run({"FLUSHDB"}), "OK");
  EXPECT_EQ(h_.engine().keyspace().db(0).size(), 0u);
  EXPECT_EQ(h_.engine().keyspace().db(1).size(), 4u);
  h_.client().db_index = 1;
  EXPECT_EQ(h_.Run({"FLUSHDB", "async"}), "OK");
  EXPECT_EQ(h_.engine().keyspace().db(1).size(), 0u);
  AddKeys(1, 1);
  EXPECT_EQ(h_.Run({"FLUSHDB", "SYNC"}), "OK");
  EXPECT_EQ(h_.engine().keyspace().db(1).size(), 0u);
}

TEST_F(ServerFamilyTest, FlushAllEmptiesEveryDb) {
  AddKeys(0, 3);
  AddKeys(7, 4);
  EXPECT_EQ(h_.Run({"FLUSHALL"}), "OK");
  EXPECT_EQ(h_.engine().keyspace().db(0).size(), 0u);
  EXPECT_EQ(h_.engine().keyspace().db(7).size(), 0u);
  AddKeys(15, 1);
  EXPECT_EQ(h_.Run({"FLUSHALL", "ASYNC"}), "OK");
  EXPECT_EQ(h_.engine().keyspace().db(15).size(), 0u);
  EXPECT_EQ(h_.Run({"FLUSHALL", "sync"}), "OK");
}

TEST_F(ServerFamilyTest, FlushOptionErrorsLeaveKeys) {
  AddKeys(0, 2);
  for (absl::string_view cmd : {"FLUSHDB", "FLUSHALL"}) {
    EXPECT_EQ(h_.Run({cmd, "foo"}), "(error) ERR syntax error");
    EXPECT_EQ(h_.Run({cmd, "async", "sync"}), "(error) ERR syntax error");
  }
  EXPECT_EQ(h_.engine().keyspace().db(0).size(), 2u);
}

// ---- TIME. ----

TEST_F(ServerFamilyTest, TimeFollowsTheRuntimeClock) {
  // TestRuntime starts at 2026-01-01T00:00:00Z.
  EXPECT_EQ(h_.Run({"TIME"}), "[1767225600, 0]");
  h_.runtime().Advance(absl::Microseconds(1500123));
  EXPECT_EQ(h_.Run({"TIME"}), "[1767225601, 500123]");
  h_.runtime().JumpWall(absl::Seconds(-100));
  EXPECT_EQ(h_.Run({"TIME"}), "[1767225501, 500123]");
  EXPECT_EQ(Raw({"TIME"}),
            "*2\r\n$10\r\n1767225501\r\n$6\r\n500123\r\n");
  EXPECT_EQ(h_.Run({"TIME", "x"}),
            "(error) ERR wrong number of arguments for 'time' command");
}

// ---- COMMAND. ----

TEST_F(ServerFamilyTest, CommandInfoMatchesRedisBytes) {
  // Captured from redis-server 7.0.15: COMMAND INFO get select.
  const std::string redis_get =
      "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n"
      ":1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n"
      "$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n"
      "$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
      "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
      "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n"
      ":0\r\n*0\r\n";
  const std::string redis_select =
      "*10\r\n$6\r\nselect\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n"
      ":0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n";
  EXPECT_EQ(Raw({"COMMAND", "INFO", "get", "SELECT", "nosuch"}),
            absl::StrCat("*3\r\n", redis_get, redis_select, "$-1\r\n"));
}

TEST_F(ServerFamilyTest, CommandInfoMatchesRedisBytesInResp3) {
  // Captured from redis-server 7.0.15 after HELLO 3: COMMAND INFO get.
  h_.client().protocol = 3;
  EXPECT_EQ(
      Raw({"COMMAND", "INFO", "get"}),
      "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n"
      ":1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n"
      "$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n"
      "$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n"
      "$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
      "%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n"
      ":0\r\n~0\r\n");
}

TEST_F(ServerFamilyTest, CommandInfoOfAContainerListsSubcommands) {
  EXPECT_EQ(
      h_.Run({"COMMAND", "INFO", "config"}),
      "[[config, (integer) -2, [], (integer) 0, (integer) 0, (integer) 0, "
      "[@slow], [], [], "
      "[[config|get, (integer) -3, [admin, noscript, loading, stale], "
      "(integer) 0, (integer) 0, (integer) 0, [@admin, @slow, @dangerous], "
      "[], [], []], "
      "[config|set, (integer) -4, [admin, noscript, loading, stale], "
      "(integer) 0, (integer) 0, (integer) 0, [@admin, @slow, @dangerous], "
      "[request_policy:all_nodes, response_policy:all_succeeded], [], []], "
      "[config|resetstat, (integer) 2, [admin, noscript, loading, stale], "
      "(integer) 0, (integer) 0, (integer) 0, [@admin, @slow, @dangerous], "
      "[], [], []], "
      "[config|rewrite, (integer) 2, [admin, noscript, loading, stale], "
      "(integer) 0, (integer) 0, (integer) 0, [@admin, @slow, @dangerous], "
      "[], [], []], "
      "[config|help, (integer) 2, [loading, stale], (integer) 0, "
      "(integer) 0, (integer) 0, [@slow], [], [], []]]]]");
  // A subcommand by its full name.
  EXPECT_EQ(h_.Run({"COMMAND", "INFO", "CONFIG|GET", "config|nosuch"}),
            "[[config|get, (integer) -3, [admin, noscript, loading, stale], "
            "(integer) 0, (integer) 0, (integer) 0, "
            "[@admin, @slow, @dangerous], [], [], []], (nil)]");
}

TEST_F(ServerFamilyTest, CommandInfoFlagsAndNegativeLastKey) {
  EXPECT_EQ(h_.Run({"COMMAND", "INFO", "quit"}),
            "[[quit, (integer) -1, [noscript, loading, stale, fast, no_auth, "
            "allow_busy], (integer) 0, (integer) 0, (integer) 0, "
            "[@fast, @connection], [], [], []]]");
  Reply mset = h_.RunReply({"COMMAND", "INFO", "mset"});
  ASSERT_EQ(mset.elements.size(), 1u);
  EXPECT_EQ(RenderReply(mset.elements[0].elements[8]),
            "[[flags, [OW, update], begin_search, [type, index, spec, "
            "[index, (integer) 1]], find_keys, [type, range, spec, "
            "[lastkey, (integer) -1, keystep, (integer) 2, limit, "
            "(integer) 0]]]]");
  // Command tips, as Redis 7.0 lists MSET's.
  EXPECT_EQ(RenderReply(mset.elements[0].elements[7]),
            "[request_policy:multi_shard, response_policy:all_succeeded]");
}

TEST_F(ServerFamilyTest, CommandWithoutArgumentsListsEveryCommand) {
  Reply all = h_.RunReply({"COMMAND"});
  ASSERT_EQ(all.type, Reply::Type::kArray);
  ASSERT_EQ(all.elements.size(), kServerCommands + 2);
  std::vector<std::string> names;
  for (const Reply& e : all.elements) {
    ASSERT_EQ(e.elements.size(), 10u);
    names.push_back(e.elements[0].str);
  }
  EXPECT_EQ(names.front(), "ping");
  EXPECT_EQ(names.back(), "mset");
  EXPECT_NE(std::find(names.begin(), names.end(), "config"), names.end());
  // COMMAND INFO without names is the same.
  EXPECT_EQ(RenderReply(h_.RunReply({"COMMAND", "INFO"})), RenderReply(all));
}

TEST_F(ServerFamilyTest, CommandCount) {
  EXPECT_EQ(h_.Run({"COMMAND", "COUNT"}),
            absl::StrCat("(integer) ", kServerCommands + 2));
  EXPECT_EQ(h_.Run({"COMMAND", "COUNT", "x"}),
            "(error) ERR wrong number of arguments for 'command|count' "
            "command");
}

TEST_F(ServerFamilyTest, CommandDocs) {
  EXPECT_EQ(h_.Run({"COMMAND", "DOCS", "select", "nosuch"}),
            "[select, [summary, Change the selected database for the current "
            "connection, since, 1.0.0, group, connection, complexity, O(1)]]");
  EXPECT_EQ(h_.Run({"COMMAND", "DOCS", "nosuch"}), "[]");
  EXPECT_EQ(h_.Run({"COMMAND", "DOCS", "script"}),
            "[script, [summary, A container for Lua scripts management "
            "commands, since, 2.6.0, group, scripting, complexity, Depends on "
            "subcommand., subcommands, [script|flush, [summary, Remove all "
            "the scripts from the script cache., since, 2.6.0, group, "
            "scripting, complexity, O(N) with N being the number of scripts "
            "in cache], script|help, [summary, Show helpful text about the "
            "different subcommands, since, 5.0.0, group, scripting, "
            "complexity, O(1)]]]]");
  Reply all = h_.RunReply({"COMMAND", "DOCS"});
  EXPECT_EQ(all.elements.size(), 2 * (kServerCommands + 2));
  // RESP3: maps all the way down.
  h_.client().protocol = 3;
  EXPECT_EQ(Raw({"COMMAND", "DOCS", "time"}),
            "%1\r\n$4\r\ntime\r\n%4\r\n$7\r\nsummary\r\n$30\r\nReturn the "
            "current server time\r\n$5\r\nsince\r\n$5\r\n2.6.0\r\n$5\r\n"
            "group\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n");
}

TEST_F(ServerFamilyTest, CommandList) {
  Reply all = h_.RunReply({"COMMAND", "LIST"});
  EXPECT_EQ(all.elements.size(), kServerCommands + 2 + kServerSubcommands);
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"}),
            "[config, config|get, config|set, config|resetstat, "
            "config|rewrite, config|help]");
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "filterby", "aclcat", "CONNECTION"}),
            "[ping, echo, select, quit, command, command|count, command|list, "
            "command|info, command|docs, command|getkeys, "
            "command|getkeysandflags, command|help]");
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "scripting"}),
            "[function|flush, function|help, script|flush, script|help]");
  // As in Redis, the category is named without its '@'.
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "@scripting"}),
            "[]");
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), "[]");
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}),
            "(error) ERR syntax error");
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(h_.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN"}),
            "(error) ERR syntax error");
}

TEST_F(ServerFamilyTest, CommandGetKeys) {
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "GET", "k"}), "[k]");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}),
            "[a, b]");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "nosuch", "k"}),
            "(error) ERR Invalid command specified");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "config", "nosuch"}),
            "(error) ERR Invalid command specified");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "get", "a", "b"}),
            "(error) ERR Invalid number of arguments specified for command");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "config", "get", "x"}),
            "(error) ERR The command has no key arguments");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "get"}),
            "(error) ERR wrong number of arguments for 'command|getkeys' "
            "command");
  // Redis tells "no keys" before a wrong argument count.
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "ping", "a", "b", "c"}),
            "(error) ERR The command has no key arguments");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYS", "config", "help", "x"}),
            "(error) ERR The command has no key arguments");
}

// A row Redis does not know gets one key spec derived from its
// first/last/step and command flags.
TEST(ServerFamilyKeySpecTest, UnknownCommandsGetADerivedKeySpec) {
  CommandTable t;
  CommandSpec row;
  row.name = "twinkvonly";
  row.arity = -2;
  row.flags = kCmdWrite;
  row.first_key = 1;
  row.last_key = -1;
  row.key_step = 1;
  t.Add(row);
  const CommandSpec* spec = t.Find("twinkvonly");
  ASSERT_NE(spec, nullptr);
  ASSERT_EQ(spec->key_specs.size(), 1u);
  EXPECT_EQ(spec->key_specs[0].flags, kKeyRW | kKeyUpdate);
  EXPECT_EQ(spec->key_specs[0].begin_index, 1);
  EXPECT_EQ(spec->key_specs[0].lastkey, -1);
  EXPECT_TRUE(spec->tips.empty());
}

TEST_F(ServerFamilyTest, CommandGetKeysAndFlags) {
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYSANDFLAGS", "get", "k"}),
            "[[k, [RO, access]]]");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"}),
            "[[a, [OW, update]], [b, [OW, update]]]");
  EXPECT_EQ(h_.Run({"COMMAND", "GETKEYSANDFLAGS", "ping", "x"}),
            "(error) ERR The command has no key arguments");
}

TEST_F(ServerFamilyTest, CommandHelpAndUnknownSubcommand) {
  Reply help = h_.RunReply({"COMMAND", "HELP"});
  ASSERT_GE(help.elements.size(), 3u);
  EXPECT_EQ(help.elements[0].type, Reply::Type::kStatus);
  EXPECT_EQ(help.elements[0].str,
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands "
            "are:");
  EXPECT_EQ(help.elements[help.elements.size() - 2].str, "HELP");
  EXPECT_EQ(help.elements.back().str, "    Prints this help.");
  EXPECT_EQ(help.elements.size(), 21u);  // as redis-server 7.0.15
  EXPECT_EQ(h_.Run({"COMMAND", "foo"}),
            "(error) ERR unknown subcommand 'foo'. Try COMMAND HELP.");
}

// ---- CONFIG. ----

TEST_F(ServerFamilyTest, ConfigGet) {
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "maxmemory"}), "[maxmemory, 0]");
  EXPECT_EQ(h_.Run({"config", "get", "maxmemory", "hz", "max*ory", "nosuch"}),
            "[maxmemory, 0, hz, 10]");
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "appendf*"}),
            "[appendfsync, everysec, appendfilename, appendonly.aof]");
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "nosuch*"}), "[]");
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "save"}), "[save, ]");
  h_.client().protocol = 3;
  EXPECT_EQ(Raw({"CONFIG", "GET", "port"}),
            "%1\r\n$4\r\nport\r\n$4\r\n6379\r\n");
}

TEST_F(ServerFamilyTest, ConfigArityErrors) {
  EXPECT_EQ(h_.Run({"CONFIG"}),
            "(error) ERR wrong number of arguments for 'config' command");
  EXPECT_EQ(h_.Run({"CONFIG", "GET"}),
            "(error) ERR wrong number of arguments for 'config|get' command");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "maxmemory"}),
            "(error) ERR wrong number of arguments for 'config|set' command");
  EXPECT_EQ(h_.Run({"CONFIG", "RESETSTAT", "x"}),
            "(error) ERR wrong number of arguments for 'config|resetstat' "
            "command");
  EXPECT_EQ(h_.Run({"CONFIG", "nosuch"}),
            "(error) ERR unknown subcommand 'nosuch'. Try CONFIG HELP.");
}

TEST_F(ServerFamilyTest, ConfigSet) {
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "maxmemory", "1mb", "hz", "20"}), "OK");
  EXPECT_EQ(h_.engine().config().maxmemory, 1048576);
  EXPECT_EQ(h_.engine().config().hz, 20);
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "maxmemory"}), "[maxmemory, 1048576]");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "save", "3600 1 300 100"}), "OK");
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "save"}), "[save, 3600 1 300 100]");
}

TEST_F(ServerFamilyTest, ConfigSetErrors) {
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "maxmemory", "1", "hz"}),
            "(error) ERR syntax error");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "databases", "3"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'databases') - can't set immutable config");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "port", "7000"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'port') - can't set immutable config");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "foo", "1"}),
            "(error) ERR Unknown option or number of arguments for CONFIG SET "
            "- 'foo'");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "maxmemory", "abc"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'maxmemory') - argument must be a memory value");
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'maxmemory') - duplicate parameter");
}

TEST_F(ServerFamilyTest, ConfigSetRollsBackOnFailure) {
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "maxmemory", "2mb", "timeout", "30",
                    "lazyfree-lazy-user-flush", "perhaps"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'lazyfree-lazy-user-flush') - argument must be 'yes' or 'no'");
  EXPECT_EQ(h_.engine().config().maxmemory, 0);
  EXPECT_EQ(h_.engine().config().timeout_s, 0);
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "maxmemory", "timeout"}),
            "[maxmemory, 0, timeout, 0]");
}

// The AOF is started and stopped only at startup for now.
TEST_F(ServerFamilyTest, AppendonlyCannotChangeAtRunTime) {
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "appendonly", "yes"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'appendonly') - can't set immutable config");
  EXPECT_EQ(h_.Run({"CONFIG", "GET", "appendonly"}), "[appendonly, no]");
}

TEST_F(ServerFamilyTest, ConfigSetProtectedDependsOnThePeer) {
  Config config;
  config.other["enable-protected-configs"] = "local";
  EngineHarness h(RegisterServerFamily, config);
  h.client().peer = "10.1.2.3:5000";
  EXPECT_EQ(h.Run({"CONFIG", "SET", "dir", "/data"}),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'dir') - can't set protected config");
  h.client().peer = "127.0.0.1:5000";
  EXPECT_EQ(h.Run({"CONFIG", "SET", "dir", "/data"}), "OK");
  EXPECT_EQ(h.engine().config().dir, "/data");
}

TEST_F(ServerFamilyTest, ConfigResetStat) {
  h_.Run({"PING"});
  h_.engine().stats().keyspace_hits = 5;
  h_.engine().stats().connections_received = 7;
  EXPECT_GT(h_.engine().stats().commands_processed, 0u);
  EXPECT_EQ(h_.Run({"CONFIG", "RESETSTAT"}), "OK");
  EXPECT_EQ(h_.engine().stats().keyspace_hits, 0u);
  EXPECT_EQ(h_.engine().stats().connections_received, 0u);
  EXPECT_EQ(h_.engine().stats().commands_processed, 0u);
}

// (Rewriting a real file: config_test for the text, server_cli_test for
// the file with the real binary.)
TEST_F(ServerFamilyTest, ConfigRewriteWithoutAConfigFile) {
  EXPECT_EQ(h_.Run({"CONFIG", "REWRITE"}),
            "(error) ERR The server is running without a config file");
}

TEST_F(ServerFamilyTest, ConfigHelp) {
  // As redis-server 7.0.15.
  EXPECT_EQ(h_.Run({"CONFIG", "HELP"}),
            "[CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
            ", GET <pattern>, "
            "    Return parameters matching the glob-like <pattern> and their "
            "values., SET <directive> <value>, "
            "    Set the configuration <directive> to <value>., RESETSTAT, "
            "    Reset statistics reported by the INFO command., REWRITE, "
            "    Rewrite the configuration file., HELP, "
            "    Prints this help.]");
}

// ---- FUNCTION and SCRIPT. ----

TEST_F(ServerFamilyTest, FunctionFlush) {
  EXPECT_EQ(h_.Run({"FUNCTION", "FLUSH"}), "OK");
  EXPECT_EQ(h_.Run({"FUNCTION", "FLUSH", "async"}), "OK");
  EXPECT_EQ(h_.Run({"function", "flush", "SYNC"}), "OK");
  EXPECT_EQ(h_.Run({"FUNCTION", "FLUSH", "foo"}),
            "(error) ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  EXPECT_EQ(h_.Run({"FUNCTION", "FLUSH", "sync", "async"}),
            "(error) ERR unknown subcommand or wrong number of arguments for "
            "'flush'. Try FUNCTION HELP.");
  EXPECT_EQ(h_.Run({"FUNCTION"}),
            "(error) ERR wrong number of arguments for 'function' command");
  EXPECT_EQ(h_.Run({"FUNCTION", "LOAD", "x"}),
            "(error) ERR unknown subcommand 'LOAD'. Try FUNCTION HELP.");
  EXPECT_TRUE(absl::StartsWith(h_.Run({"FUNCTION", "HELP"}),
                               "[FUNCTION <subcommand>"));
}

TEST_F(ServerFamilyTest, ScriptFlush) {
  EXPECT_EQ(h_.Run({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(h_.Run({"SCRIPT", "FLUSH", "ASYNC"}), "OK");
  EXPECT_EQ(h_.Run({"script", "flush", "sync"}), "OK");
  EXPECT_EQ(h_.Run({"SCRIPT", "FLUSH", "foo"}),
            "(error) ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  EXPECT_EQ(h_.Run({"SCRIPT", "FLUSH", "a", "b"}),
            "(error) ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  EXPECT_EQ(h_.Run({"SCRIPT", "LOAD", "x"}),
            "(error) ERR unknown subcommand 'LOAD'. Try SCRIPT HELP.");
  EXPECT_TRUE(
      absl::StartsWith(h_.Run({"SCRIPT", "HELP"}), "[SCRIPT <subcommand>"));
}

// ---- INFO. ----

// The text of INFO's bulk reply for `args`.
std::string InfoText(EngineHarness& h, std::vector<absl::string_view> args) {
  Reply r = h.RunReply(args);
  EXPECT_EQ(r.type, Reply::Type::kBulk);
  return r.str;
}

// The "# Name" lines of an INFO reply, in order.
std::vector<std::string> SectionNames(absl::string_view info) {
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(info, "\r\n")) {
    if (absl::StartsWith(line, "# ")) names.emplace_back(line.substr(2));
  }
  return names;
}

TEST_F(ServerFamilyTest, InfoMemoryReportsTheProbe) {
  h_.engine().set_memory_probe(
      [] { return MemoryUsage{/*used_bytes=*/1234567, /*rss_bytes=*/7654321}; });
  EXPECT_EQ(InfoText(h_, {"INFO", "memory"}),
            "# Memory\r\n"
            "used_memory:1234567\r\n"
            "used_memory_human:1.18M\r\n"
            "used_memory_rss:7654321\r\n"
            "used_memory_rss_human:7.30M\r\n"
            "used_memory_peak:1234567\r\n"
            "used_memory_peak_human:1.18M\r\n"
            "maxmemory:0\r\n"
            "maxmemory_human:0B\r\n"
            "maxmemory_policy:noeviction\r\n"
            "mem_fragmentation_ratio:6.20\r\n"
            "mem_fragmentation_bytes:6419754\r\n"
            "mem_allocator:libc\r\n");
}

TEST_F(ServerFamilyTest, InfoMemoryAsksTheProbeEachTime) {
  uint64_t used = 100;
  h_.engine().set_memory_probe([&used] { return MemoryUsage{used, 4096}; });
  EXPECT_TRUE(absl::StrContains(InfoText(h_, {"INFO", "memory"}),
                                "\r\nused_memory:100\r\n"));
  used = 2048;
  std::string info = InfoText(h_, {"INFO", "memory"});
  EXPECT_TRUE(absl::StrContains(info, "\r\nused_memory:2048\r\n")) << info;
  EXPECT_TRUE(absl::StrContains(info, "\r\nused_memory_human:2.00K\r\n"));
  // RSS below the bytes in use: negative fragmentation, as Redis prints it.
  used = 5000;
  info = InfoText(h_, {"INFO", "memory"});
  EXPECT_TRUE(absl::StrContains(info, "\r\nmem_fragmentation_ratio:0.82\r\n"))
      << info;
  EXPECT_TRUE(absl::StrContains(info, "\r\nmem_fragmentation_bytes:-904\r\n"))
      << info;
}

TEST_F(ServerFamilyTest, InfoMemoryWithoutAProbeIsZero) {
  std::string info = InfoText(h_, {"INFO", "MEMORY"});
  EXPECT_TRUE(absl::StartsWith(info, "# Memory\r\nused_memory:0\r\n"
                                     "used_memory_human:0B\r\n"
                                     "used_memory_rss:0\r\n"))
      << info;
  EXPECT_TRUE(absl::StrContains(info, "\r\nmem_fragmentation_ratio:0.00\r\n"));
}

TEST_F(ServerFamilyTest, InfoHumanSizesFollowRedis) {
  uint64_t used = 0;
  h_.engine().set_memory_probe([&used] { return MemoryUsage{used, 0}; });
  const std::vector<std::pair<uint64_t, std::string>> cases = {
      {1023, "1023B"},
      {1024, "1.00K"},
      {1024 * 1024 - 1, "1024.00K"},
      {1024 * 1024, "1.00M"},
      {120865424, "115.27M"},
      {3ULL << 30, "3.00G"},
      {5ULL << 40, "5.00T"},
      {7ULL << 50, "7.00P"},
      {(uint64_t{1} << 60) - (uint64_t{1} << 49), "1023.50P"},
      // Redis's last resort: bytes again.
      {uint64_t{1} << 60, "1152921504606846976B"},
      {~uint64_t{0}, "18446744073709551615B"},
  };
  for (const auto& [bytes, human] : cases) {
    used = bytes;
    EXPECT_TRUE(absl::StrContains(InfoText(h_, {"INFO", "memory"}),
                                  absl::StrCat("\r\nused_memory_human:", human,
                                               "\r\n")))
        << bytes;
  }
  h_.engine().config().maxmemory = 100 << 20;
  EXPECT_TRUE(absl::StrContains(InfoText(h_, {"INFO", "memory"}),
                                "\r\nmaxmemory:104857600\r\n"
                                "maxmemory_human:100.00M\r\n"));
}

TEST_F(ServerFamilyTest, InfoDefaultSectionsInRedisOrder) {
  const std::vector<std::string> all = {
      "Server",      "Clients",     "Memory",  "Persistence", "Stats",
      "Replication", "CPU",         "Cluster", "Keyspace"};
  EXPECT_EQ(SectionNames(InfoText(h_, {"INFO"})), all);
  EXPECT_EQ(SectionNames(InfoText(h_, {"INFO", "default"})), all);
  // "all" adds commandstats, in Redis 7.0's place.
  const std::vector<std::string> every = {
      "Server",      "Clients", "Memory",       "Persistence", "Stats",
      "Replication", "CPU",     "Commandstats", "Cluster",     "Keyspace"};
  EXPECT_EQ(SectionNames(InfoText(h_, {"info", "ALL"})), every);
  EXPECT_EQ(SectionNames(InfoText(h_, {"INFO", "everything"})), every);
  // Named sections come in Redis's order, each once, whatever the order
  // asked; unknown names add nothing.
  EXPECT_EQ(SectionNames(InfoText(
                h_, {"INFO", "keyspace", "nosuch", "Memory", "memory"})),
            (std::vector<std::string>{"Memory", "Keyspace"}));
  // Sections are separated by one empty line.
  EXPECT_TRUE(absl::StrContains(InfoText(h_, {"INFO", "memory", "keyspace"}),
                                "mem_allocator:libc\r\n\r\n# Keyspace\r\n"));
  EXPECT_EQ(Raw({"INFO", "nosuch"}), "$0\r\n\r\n");
  EXPECT_EQ(Raw({"INFO", "keyspace"}), "$12\r\n# Keyspace\r\n\r\n");
}

TEST_F(ServerFamilyTest, LastSaveIsTheStartTime) {
  EXPECT_EQ(h_.Run({"LASTSAVE"}),
            absl::StrCat("(integer) ",
                         absl::ToUnixSeconds(h_.engine().start_time())));
  EXPECT_GT(absl::ToUnixSeconds(h_.engine().start_time()), 0);
}

TEST_F(ServerFamilyTest, InfoCpuFromTheProbe) {
  h_.engine().set_memory_probe([] {
    MemoryUsage u;
    u.cpu_sys_seconds = 1.5;
    u.cpu_user_seconds = 0.25;
    return u;
  });
  EXPECT_EQ(InfoText(h_, {"INFO", "cpu"}),
            "# CPU\r\n"
            "used_cpu_sys:1.500000\r\nused_cpu_user:0.250000\r\n"
            "used_cpu_sys_children:0.000000\r\n"
            "used_cpu_user_children:0.000000\r\n"
            "used_cpu_sys_main_thread:1.500000\r\n"
            "used_cpu_user_main_thread:0.250000\r\n");
  EXPECT_TRUE(absl::StrContains(InfoText(h_, {"INFO", "stats"}),
                                "\r\nevicted_keys:0\r\n"));
}

TEST_F(ServerFamilyTest, InfoKeyspaceListsNonEmptyDbs) {
  AddKeys(0, 3);
  const int64_t now = h_.engine().NowMs();
  h_.engine().keyspace().db(2).SetString("a", "v", now, now + 100000);
  h_.engine().keyspace().db(2).SetString("b", "v", now);
  EXPECT_EQ(InfoText(h_, {"INFO", "keyspace"}),
            "# Keyspace\r\n"
            "db0:keys=3,expires=0,avg_ttl=0\r\n"
            "db2:keys=2,expires=1,avg_ttl=0\r\n");
}

TEST_F(ServerFamilyTest, InfoStatsAndServer) {
  h_.engine().stats().keyspace_hits = 7;
  h_.engine().stats().expired_total = 5;
  std::string info = InfoText(h_, {"INFO", "stats", "server", "persistence"});
  EXPECT_TRUE(absl::StrContains(info, "\r\nkeyspace_hits:7\r\n")) << info;
  EXPECT_TRUE(absl::StrContains(info, "\r\nexpired_keys:5\r\n")) << info;
  EXPECT_TRUE(absl::StrContains(info, "\r\ntcp_port:6379\r\n")) << info;
  EXPECT_TRUE(absl::StrContains(info, "# Persistence\r\nloading:0\r\n"))
      << info;
}

}  // namespace
}  // namespace twinkv
