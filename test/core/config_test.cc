// Tests for the configuration table: redis.conf parsing, the command line,
// CONFIG GET globbing and CONFIG SET semantics, with Redis 7.0's wording.

#include "core/config.h"
#include "core/numbers.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// A Config with its table, as the server holds them.
struct Fixture {
  Config config;
  ConfigTable table{&config};

  std::string GetOne(absl::string_view name) {
    auto found = table.Get(name);
    EXPECT_EQ(found.size(), 1u) << name;
    return found.empty() ? "<missing>" : found[0].second;
  }
  // The error message of CONFIG SET name value, or "OK".
  std::string SetOne(absl::string_view name, absl::string_view value) {
    std::pair<absl::string_view, absl::string_view> pair(name, value);
    absl::Status s = table.SetAtRuntime({pair}, /*local_client=*/true);
    return s.ok() ? "OK" : std::string(s.message());
  }
  std::string SetMany(
      std::vector<std::pair<absl::string_view, absl::string_view>> pairs) {
    absl::Status s = table.SetAtRuntime(pairs, /*local_client=*/true);
    return s.ok() ? "OK" : std::string(s.message());
  }
  std::string Load(absl::string_view text) {
    absl::Status s = table.LoadText(text);
    return s.ok() ? "OK" : std::string(s.message());
  }
  std::string Args(std::vector<std::string> args) {
    absl::Status s = table.LoadArgs(args);
    return s.ok() ? "OK" : std::string(s.message());
  }
};

std::string FileError(int line, absl::string_view text,
                      absl::string_view message) {
  return absl::StrCat("*** FATAL CONFIG FILE ERROR (twinkv) ***\n",
                      "Reading the configuration file, at line ", line,
                      "\n>>> '", text, "'\n", message);
}

std::string ArgError(absl::string_view option, absl::string_view shown,
                     absl::string_view message) {
  return absl::StrCat("*** FATAL CONFIG FILE ERROR (twinkv) ***\n",
                      "Reading the command line, at option '--", option,
                      "'\n>>> '", shown, "'\n", message);
}

std::string SetFailed(absl::string_view name, absl::string_view why) {
  return absl::StrCat("ERR CONFIG SET failed (possibly related to argument '",
                      name, "') - ", why);
}

// ---- SplitArgs. ----

std::vector<std::string> Split(absl::string_view line) {
  absl::StatusOr<std::vector<std::string>> r = SplitArgs(line);
  EXPECT_TRUE(r.ok()) << line << ": " << r.status();
  return r.ok() ? *r : std::vector<std::string>{"<error>"};
}

TEST(SplitArgsTest, SpacesSeparate) {
  EXPECT_THAT(Split("  port   6379  "), ElementsAre("port", "6379"));
  EXPECT_THAT(Split("a\tb\r\nc"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Split(""), ElementsAre());
  EXPECT_THAT(Split("   "), ElementsAre());
}

TEST(SplitArgsTest, DoubleQuotesAndEscapes) {
  EXPECT_THAT(Split(R"(save "" x)"), ElementsAre("save", "", "x"));
  EXPECT_THAT(Split(R"("a b" "c\"d")"), ElementsAre("a b", "c\"d"));
  EXPECT_THAT(Split(R"("\n\r\t\b\a\\\z")"),
              ElementsAre(std::string("\n\r\t\b\a\\z")));
  EXPECT_THAT(Split(R"("\x41\x7a\x00!")"),
              ElementsAre(std::string("Az\0!", 4)));
  // Not a valid hex escape: the x is taken literally.
  EXPECT_THAT(Split(R"("\xZZ")"), ElementsAre("xZZ"));
  // A quote inside a word opens a quoted part of the same word.
  EXPECT_THAT(Split(R"(foo"bar baz")"), ElementsAre("foobar baz"));
}

TEST(SplitArgsTest, SingleQuotes) {
  EXPECT_THAT(Split(R"('it\'s' 'a\nb')"), ElementsAre("it's", "a\\nb"));
  EXPECT_THAT(Split("''"), ElementsAre(""));
}

TEST(SplitArgsTest, UnbalancedQuotesAreErrors) {
  EXPECT_FALSE(SplitArgs(R"("abc)").ok());
  EXPECT_FALSE(SplitArgs(R"('abc)").ok());
  EXPECT_FALSE(SplitArgs(R"("abc"def)").ok());
  EXPECT_FALSE(SplitArgs(R"('abc'def)").ok());
  EXPECT_FALSE(SplitArgs(R"("abc\")").ok());
}

// QuoteRepr's output splits back to the original bytes, for any bytes.
RC_GTEST_PROP(SplitArgsProperty, QuoteReprRoundTrips,
              (const std::vector<std::string>& args)) {
  std::vector<std::string> quoted;
  for (const std::string& a : args) quoted.push_back(QuoteRepr(a));
  absl::StatusOr<std::vector<std::string>> back =
      SplitArgs(absl::StrJoin(quoted, " "));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == args);
}

TEST(QuoteReprTest, EscapesLikeSdsCatRepr) {
  EXPECT_EQ(QuoteRepr("abc"), "\"abc\"");
  EXPECT_EQ(QuoteRepr(""), "\"\"");
  EXPECT_EQ(QuoteRepr("a\"b\\c\n\r\t\a\b"),
            "\"a\\\"b\\\\c\\n\\r\\t\\a\\b\"");
  EXPECT_EQ(QuoteRepr(std::string("\x01\xff", 2)), "\"\\x01\\xff\"");
}

// ---- ParseMemory. ----

TEST(ParseMemoryTest, Units) {
  EXPECT_EQ(*ParseMemory("100"), 100);
  EXPECT_EQ(*ParseMemory("100b"), 100);
  EXPECT_EQ(*ParseMemory("1k"), 1000);
  EXPECT_EQ(*ParseMemory("1K"), 1000);
  EXPECT_EQ(*ParseMemory("1kb"), 1024);
  EXPECT_EQ(*ParseMemory("1KB"), 1024);
  EXPECT_EQ(*ParseMemory("2m"), 2000000);
  EXPECT_EQ(*ParseMemory("5mb"), 5 * 1024 * 1024);
  EXPECT_EQ(*ParseMemory("3g"), 3000000000LL);
  EXPECT_EQ(*ParseMemory("2Gb"), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(*ParseMemory("9223372036854775807"), INT64_MAX);
  // As Redis's memtoull: no digits reads as 0.
  EXPECT_EQ(*ParseMemory(""), 0);
  EXPECT_EQ(*ParseMemory("mb"), 0);
}

TEST(ParseMemoryTest, Rejects) {
  for (absl::string_view bad :
       {"-1", "+1", "1.5mb", "1xb", "1 mb", " 1", "1tb", "1kbb", "abc",
        "9223372036854775808", "8589934592gb", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseMemory(bad).ok()) << bad;
  }
}

RC_GTEST_PROP(ParseMemoryProperty, MatchesModel, ()) {
  const int64_t n = *rc::gen::inRange<int64_t>(0, 1LL << 40);
  const std::vector<std::pair<std::string, int64_t>> units = {
      {"", 1},           {"b", 1},          {"k", 1000},
      {"kb", 1024},      {"m", 1000000},    {"MB", 1048576},
      {"g", 1000000000}, {"gB", 1073741824}};
  const auto unit = *rc::gen::elementOf(units);
  absl::StatusOr<int64_t> v = ParseMemory(absl::StrCat(n, unit.first));
  if (n <= INT64_MAX / unit.second) {
    RC_ASSERT(v.ok());
    RC_ASSERT(*v == n * unit.second);
  } else {
    RC_ASSERT(!v.ok());
  }
}

// ---- Defaults and CONFIG GET. ----

TEST(ConfigTableTest, DefaultsAsConfigGetShowsThem) {
  Fixture f;
  EXPECT_EQ(f.GetOne("port"), "6379");
  EXPECT_EQ(f.GetOne("bind"), "127.0.0.1");
  EXPECT_EQ(f.GetOne("databases"), "16");
  EXPECT_EQ(f.GetOne("maxclients"), "10000");
  EXPECT_EQ(f.GetOne("timeout"), "0");
  EXPECT_EQ(f.GetOne("proto-max-bulk-len"), "536870912");
  EXPECT_EQ(f.GetOne("client-query-buffer-limit"), "1073741824");
  EXPECT_EQ(f.GetOne("loglevel"), "notice");
  EXPECT_EQ(f.GetOne("logfile"), "");
  EXPECT_EQ(f.GetOne("dir"), ".");
  EXPECT_EQ(f.GetOne("appendonly"), "no");
  EXPECT_EQ(f.GetOne("appendfsync"), "everysec");
  EXPECT_EQ(f.GetOne("appendfilename"), "appendonly.aof");
  EXPECT_EQ(f.GetOne("appenddirname"), "appendonlydir");
  EXPECT_EQ(f.GetOne("save"), "");
  EXPECT_EQ(f.GetOne("requirepass"), "");
  EXPECT_EQ(f.GetOne("protected-mode"), "yes");
  EXPECT_EQ(f.GetOne("maxmemory"), "0");
  EXPECT_EQ(f.GetOne("maxmemory-policy"), "noeviction");
  EXPECT_EQ(f.GetOne("hz"), "10");
  EXPECT_EQ(f.GetOne("daemonize"), "no");
  EXPECT_EQ(f.GetOne("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 "
            "8388608 60");
  EXPECT_EQ(f.GetOne("slave-read-only"), "yes");
  EXPECT_EQ(f.GetOne("list-max-ziplist-size"), "-2");
  EXPECT_EQ(f.GetOne("notify-keyspace-events"), "");
}

TEST(ConfigTableTest, GetGlobIsCaseInsensitiveAndInTableOrder) {
  Fixture f;
  std::vector<std::string> names;
  for (const auto& [name, value] : f.table.Get("MAXMEM*")) {
    names.push_back(name);
  }
  EXPECT_THAT(names, ElementsAre("maxmemory", "maxmemory-policy",
                                 "maxmemory-samples",
                                 "maxmemory-eviction-tenacity",
                                 "maxmemory-clients"));
  EXPECT_THAT(f.table.Get("appendf?*"),
              ElementsAre(Pair("appendfsync", "everysec"),
                          Pair("appendfilename", "appendonly.aof")));
  EXPECT_THAT(f.table.Get("[pq]ort"), ElementsAre(Pair("port", "6379")));
  EXPECT_TRUE(f.table.Get("nomatch*").empty());
  EXPECT_TRUE(f.table.Get("nosuch").empty());
}

TEST(ConfigTableTest, GetGlobMatchesAliasesAsNamesOfTheirOwn) {
  Fixture f;
  EXPECT_THAT(f.table.Get("*ziplist-entries"),
              ElementsAre(Pair("hash-max-ziplist-entries", "512"),
                          Pair("zset-max-ziplist-entries", "128")));
  EXPECT_THAT(f.table.Get("*read-only"),
              ElementsAre(Pair("replica-read-only", "yes"),
                          Pair("slave-read-only", "yes")));
}

TEST(ConfigTableTest, GetExactNameComesBackAsGiven) {
  Fixture f;
  EXPECT_THAT(f.table.Get("MAXMEMORY"), ElementsAre(Pair("MAXMEMORY", "0")));
}

TEST(ConfigTableTest, GetManyIsTheUnionWithoutDuplicates) {
  Fixture f;
  std::vector<absl::string_view> patterns = {"maxmemory", "hz", "max*ory",
                                             "HZ"};
  EXPECT_THAT(f.table.GetMany(patterns),
              ElementsAre(Pair("maxmemory", "0"), Pair("hz", "10")));
}

TEST(ConfigTableTest, KnownAndMutable) {
  Fixture f;
  EXPECT_TRUE(f.table.Known("port"));
  EXPECT_TRUE(f.table.Known("SLAVE-READ-ONLY"));
  EXPECT_FALSE(f.table.Known("nosuch"));
  EXPECT_FALSE(f.table.Mutable("port"));
  EXPECT_FALSE(f.table.Mutable("databases"));
  EXPECT_FALSE(f.table.Mutable("bind"));
  EXPECT_FALSE(f.table.Mutable("daemonize"));
  EXPECT_TRUE(f.table.Mutable("maxmemory"));
  EXPECT_TRUE(f.table.Mutable("dir"));  // protected, but not immutable
  EXPECT_FALSE(f.table.Mutable("nosuch"));
  std::vector<std::string> names = f.table.Names();
  EXPECT_EQ(names.front(), "port");
  EXPECT_EQ(std::count(names.begin(), names.end(), "slave-read-only"), 0);
}

// ---- CONFIG SET. ----

TEST(ConfigSetTest, TypedValuesReachTheConfig) {
  Fixture f;
  EXPECT_EQ(f.SetOne("maxmemory", "1mb"), "OK");
  EXPECT_EQ(f.config.maxmemory, 1048576);
  EXPECT_EQ(f.GetOne("maxmemory"), "1048576");
  EXPECT_EQ(f.SetOne("lazyfree-lazy-user-flush", "YES"), "OK");
  EXPECT_TRUE(f.config.lazyfree_lazy_user_flush);
  EXPECT_EQ(f.GetOne("lazyfree-lazy-user-flush"), "yes");
  EXPECT_EQ(f.SetOne("loglevel", "WARNING"), "OK");
  EXPECT_EQ(f.config.loglevel, "warning");
  EXPECT_EQ(f.SetOne("timeout", "300"), "OK");
  EXPECT_EQ(f.config.timeout_s, 300);
  EXPECT_EQ(f.SetOne("requirepass", "s3cret"), "OK");
  EXPECT_EQ(f.config.requirepass, "s3cret");
  EXPECT_EQ(f.SetOne("maxmemory-policy", "allkeys-lru"), "OK");
  EXPECT_EQ(f.config.maxmemory_policy, "allkeys-lru");
  EXPECT_EQ(f.SetOne("protected-mode", "no"), "OK");
  EXPECT_FALSE(f.config.protected_mode);
  EXPECT_EQ(f.SetOne("slave-read-only", "no"), "OK");
  EXPECT_EQ(f.GetOne("replica-read-only"), "no");
  EXPECT_EQ(f.SetOne("lazyfree-lazy-user-flush", "yes"), "OK");
  EXPECT_TRUE(f.config.lazyfree_lazy_user_flush);
}

TEST(ConfigSetTest, IntegerAndMemoryErrors) {
  Fixture f;
  EXPECT_EQ(f.SetOne("hz", "abc"),
            SetFailed("hz", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(f.SetOne("hz", "05"),
            SetFailed("hz", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(f.SetOne("timeout", "-1"),
            SetFailed("timeout",
                      "argument must be between 0 and 2147483647 inclusive"));
  EXPECT_EQ(f.SetOne("maxclients", "0"),
            SetFailed("maxclients",
                      "argument must be between 1 and 2147483647 inclusive"));
  EXPECT_EQ(f.SetOne("maxmemory", "abc"),
            SetFailed("maxmemory", "argument must be a memory value"));
  EXPECT_EQ(f.SetOne("maxmemory", "-1"),
            SetFailed("maxmemory", "argument must be a memory value"));
  EXPECT_EQ(f.SetOne("proto-max-bulk-len", "10"),
            SetFailed("proto-max-bulk-len",
                      "argument must be between 1048576 and "
                      "9223372036854775807 inclusive"));
  EXPECT_EQ(f.SetOne("slowlog-log-slower-than", "-2"),
            SetFailed("slowlog-log-slower-than",
                      "argument must be between -1 and 9223372036854775807 "
                      "inclusive"));
  EXPECT_EQ(f.config.hz, 10);
  EXPECT_EQ(f.config.maxmemory, 0);
}

TEST(ConfigSetTest, BoolAndEnumErrors) {
  Fixture f;
  EXPECT_EQ(f.SetOne("lazyfree-lazy-user-flush", "maybe"),
            SetFailed("lazyfree-lazy-user-flush",
                      "argument must be 'yes' or 'no'"));
  EXPECT_EQ(f.SetOne("loglevel", "x"),
            SetFailed("loglevel",
                      "argument(s) must be one of the following: debug, "
                      "verbose, notice, warning"));
  EXPECT_EQ(f.SetOne("appendfsync", "sometimes"),
            SetFailed("appendfsync",
                      "argument(s) must be one of the following: everysec, "
                      "always, no"));
  EXPECT_EQ(f.SetOne("maxmemory-policy", "foo"),
            SetFailed("maxmemory-policy",
                      "argument(s) must be one of the following: "
                      "volatile-lru, volatile-lfu, volatile-random, "
                      "volatile-ttl, allkeys-lru, allkeys-lfu, "
                      "allkeys-random, noeviction"));
}

TEST(ConfigSetTest, ValueErrorsNameTheParameterAsLookedUp) {
  Fixture f;
  // As redis-server 7.0.15: lower case, the alias when given by alias.
  EXPECT_EQ(f.SetOne("SLAVE-read-only", "maybe"),
            SetFailed("slave-read-only", "argument must be 'yes' or 'no'"));
  EXPECT_EQ(f.SetOne("MAXMEMORY", "abc"),
            SetFailed("maxmemory", "argument must be a memory value"));
  // Problems with the names quote them as given.
  EXPECT_EQ(f.SetMany({{"maxmemory", "5"}, {"MAXMEMORY", "6"}}),
            SetFailed("MAXMEMORY", "duplicate parameter"));
  EXPECT_EQ(f.SetOne("DIR", "/x"),
            SetFailed("DIR", "can't set protected config"));
}

TEST(ConfigSetTest, HzIsClampedLikeRedis) {
  Fixture f;
  EXPECT_EQ(f.SetOne("hz", "0"), "OK");
  EXPECT_EQ(f.config.hz, 1);
  EXPECT_EQ(f.SetOne("hz", "1000"), "OK");
  EXPECT_EQ(f.config.hz, 500);
  EXPECT_EQ(f.SetOne("hz", "20"), "OK");
  EXPECT_EQ(f.GetOne("hz"), "20");
}

TEST(ConfigSetTest, ImmutableParametersAreRefused) {
  Fixture f;
  for (absl::string_view name :
       {"port", "bind", "databases", "daemonize", "logfile", "appendfilename",
        "appenddirname", "unixsocket"}) {
    EXPECT_EQ(f.SetOne(name, "1"),
              SetFailed(name, "can't set immutable config"));
  }
  // The name is quoted as given.
  EXPECT_EQ(f.SetOne("DATABASES", "3"),
            SetFailed("DATABASES", "can't set immutable config"));
  EXPECT_EQ(f.config.databases, 16);
  EXPECT_EQ(f.config.port, 6379);
}

TEST(ConfigSetTest, UnknownParameter) {
  Fixture f;
  EXPECT_EQ(f.SetOne("foo", "1"),
            "ERR Unknown option or number of arguments for CONFIG SET - "
            "'foo'");
}

TEST(ConfigSetTest, TheFirstProblemInArgumentOrderIsReported) {
  Fixture f;
  const std::string unknown =
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'";
  EXPECT_EQ(f.SetMany({{"foo", "1"}, {"databases", "1"}}), unknown);
  EXPECT_EQ(f.SetMany({{"databases", "1"}, {"foo", "1"}}),
            SetFailed("databases", "can't set immutable config"));
  EXPECT_EQ(f.SetMany({{"maxmemory", "1"}, {"foo", "1"}, {"maxmemory", "2"}}),
            unknown);
  EXPECT_EQ(f.SetMany({{"maxmemory", "1"}, {"maxmemory", "2"}, {"foo", "1"}}),
            SetFailed("maxmemory", "duplicate parameter"));
  EXPECT_EQ(f.SetMany({{"dir", "/x"}, {"foo", "1"}}),
            SetFailed("dir", "can't set protected config"));
  EXPECT_EQ(f.SetMany({{"databases", "1"}, {"dir", "/x"}}),
            SetFailed("databases", "can't set immutable config"));
  // Problems of names come before problems of values.
  EXPECT_EQ(f.SetMany({{"hz", "abc"}, {"foo", "1"}}), unknown);
  EXPECT_EQ(f.config.maxmemory, 0);
}

TEST(ConfigSetTest, DuplicateParameter) {
  Fixture f;
  EXPECT_EQ(f.SetMany({{"maxmemory", "1"}, {"maxmemory", "2"}}),
            SetFailed("maxmemory", "duplicate parameter"));
  EXPECT_EQ(f.SetMany({{"replica-read-only", "no"},
                       {"slave-read-only", "yes"}}),
            SetFailed("slave-read-only", "duplicate parameter"));
  EXPECT_EQ(f.config.maxmemory, 0);
}

TEST(ConfigSetTest, ProtectedParametersFollowEnableProtectedConfigs) {
  Fixture f;
  EXPECT_EQ(f.SetOne("dir", "/tmp"),
            SetFailed("dir", "can't set protected config"));
  EXPECT_EQ(f.SetOne("dbfilename", "x.rdb"),
            SetFailed("dbfilename", "can't set protected config"));
  EXPECT_EQ(f.Load("enable-protected-configs local"), "OK");
  std::pair<absl::string_view, absl::string_view> dir("dir", "/data");
  EXPECT_FALSE(f.table.SetAtRuntime({dir}, /*local_client=*/false).ok());
  EXPECT_TRUE(f.table.SetAtRuntime({dir}, /*local_client=*/true).ok());
  EXPECT_EQ(f.config.dir, "/data");
  EXPECT_EQ(f.Load("enable-protected-configs yes"), "OK");
  EXPECT_EQ(f.SetOne("dbfilename", "a/b"),
            SetFailed("dbfilename",
                      "dbfilename can't be a path, just a filename"));
  EXPECT_EQ(f.SetOne("dbfilename", "x.rdb"), "OK");
  EXPECT_EQ(f.config.dbfilename, "x.rdb");
}

TEST(ConfigSetTest, MultiSetIsAtomic) {
  Fixture f;
  EXPECT_EQ(f.SetMany({{"maxmemory", "1mb"}, {"hz", "20"}}), "OK");
  EXPECT_EQ(f.config.maxmemory, 1048576);
  EXPECT_EQ(f.config.hz, 20);
  // The second value is bad: the first one is rolled back.
  EXPECT_EQ(f.SetMany({{"maxmemory", "2mb"},
                       {"save", "100 1"},
                       {"hz", "abc"}}),
            SetFailed("hz", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(f.config.maxmemory, 1048576);
  EXPECT_EQ(f.config.save, "");
  EXPECT_EQ(f.config.hz, 20);
  // An immutable one anywhere: nothing is applied.
  EXPECT_EQ(f.SetMany({{"maxmemory", "2mb"}, {"port", "1"}}),
            SetFailed("port", "can't set immutable config"));
  EXPECT_EQ(f.config.maxmemory, 1048576);
  // Compat parameters roll back too.
  EXPECT_EQ(f.SetMany({{"tcp-keepalive", "1"},
                       {"activerehashing", "no"},
                       {"lazyfree-lazy-user-flush", "x"}}),
            SetFailed("lazyfree-lazy-user-flush",
                      "argument must be 'yes' or 'no'"));
  EXPECT_EQ(f.GetOne("activerehashing"), "yes");
  EXPECT_EQ(f.config.tcp_keepalive_s, 300);
}

TEST(ConfigSetTest, Save) {
  Fixture f;
  EXPECT_EQ(f.SetOne("save", "3600 1 300 100"), "OK");
  EXPECT_EQ(f.GetOne("save"), "3600 1 300 100");
  // At run time a new value replaces the old one.
  EXPECT_EQ(f.SetOne("save", "60 5"), "OK");
  EXPECT_EQ(f.GetOne("save"), "60 5");
  EXPECT_EQ(f.SetOne("save", ""), "OK");
  EXPECT_EQ(f.GetOne("save"), "");
  for (absl::string_view bad : {"1 2 3", "abc 1", "0 1", "1 -1", "1"}) {
    EXPECT_EQ(f.SetOne("save", bad),
              SetFailed("save", "Invalid save parameters"))
        << bad;
  }
}

TEST(ConfigSetTest, NotifyKeyspaceEventsIsCanonicalized) {
  Fixture f;
  const std::vector<std::pair<absl::string_view, absl::string_view>> cases = {
      {"KEA", "AKE"}, {"KEAn", "AKE"}, {"Ex", "xE"},
      {"nmK", "nKm"}, {"", ""},        {"Agn", "A"},
      {"g$lshzxetd", "A"}, {"Kg$", "g$K"}};
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(f.SetOne("notify-keyspace-events", in), "OK") << in;
    EXPECT_EQ(f.config.notify_keyspace_events, out) << in;
  }
  EXPECT_EQ(f.SetOne("notify-keyspace-events", "Kq"),
            SetFailed("notify-keyspace-events",
                      "Invalid event class character. Use "
                      "'Ag$lshzxeKEtmdn'."));
  EXPECT_EQ(f.config.notify_keyspace_events, "g$K");
}

TEST(ConfigSetTest, ClientOutputBufferLimit) {
  Fixture f;
  EXPECT_EQ(f.SetOne("client-output-buffer-limit", "normal 1mb 2mb 3"), "OK");
  EXPECT_EQ(f.GetOne("client-output-buffer-limit"),
            "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub "
            "33554432 8388608 60");
  EXPECT_EQ(f.SetOne("client-output-buffer-limit", "replica 1 2 3"), "OK");
  EXPECT_EQ(f.GetOne("client-output-buffer-limit"),
            "normal 1048576 2097152 3 slave 1 2 3 pubsub 33554432 8388608 "
            "60");
  EXPECT_EQ(f.SetOne("client-output-buffer-limit", "normal 1mb 2mb"),
            SetFailed("client-output-buffer-limit",
                      "Wrong number of arguments in buffer limit "
                      "configuration."));
  EXPECT_EQ(f.SetOne("client-output-buffer-limit", "foo 1 2 3"),
            SetFailed("client-output-buffer-limit",
                      "Invalid client class specified in buffer limit "
                      "configuration."));
  EXPECT_EQ(f.SetOne("client-output-buffer-limit", "normal x 2 3"),
            SetFailed("client-output-buffer-limit",
                      "Error in hard, soft or soft_seconds setting in buffer "
                      "limit configuration."));
  EXPECT_EQ(f.SetOne("client-output-buffer-limit", ""), "OK");
  EXPECT_EQ(f.GetOne("client-output-buffer-limit"),
            "normal 1048576 2097152 3 slave 1 2 3 pubsub 33554432 8388608 "
            "60");
}

// ---- redis.conf. ----

TEST(LoadTextTest, DirectivesCommentsQuotesAndUnits) {
  Fixture f;
  EXPECT_EQ(f.Load("# a comment\n"
                   "\n"
                   "   port 7000   \r\n"
                   "\t# indented comment\n"
                   "bind 127.0.0.1 ::1\n"
                   "MAXMEMORY 100MB\n"
                   "maxmemory-policy ALLKEYS-LRU\n"
                   "appendonly yes\n"
                   "dir \"/var/lib/twin kv\"\n"
                   "requirepass 'pa ss'\n"
                   "logfile \"\"\n"
                   "timeout 0\n"
                   "list-max-ziplist-entries 512\n"  // deprecated: ignored
                   "client-output-buffer-limit pubsub 1 2 3\n"
                   "save 900 1\n"
                   "save 300 10\n"),
            "OK");
  EXPECT_EQ(f.config.port, 7000);
  EXPECT_THAT(f.config.bind, ElementsAre("127.0.0.1", "::1"));
  EXPECT_EQ(f.config.maxmemory, 100LL * 1024 * 1024);
  EXPECT_EQ(f.config.maxmemory_policy, "allkeys-lru");
  EXPECT_TRUE(f.config.appendonly);
  EXPECT_EQ(f.config.dir, "/var/lib/twin kv");
  EXPECT_EQ(f.config.requirepass, "pa ss");
  EXPECT_EQ(f.config.logfile, "");
  // Save lines accumulate while loading.
  EXPECT_EQ(f.config.save, "900 1 300 10");
  EXPECT_EQ(f.GetOne("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1 2 3");
}

TEST(LoadTextTest, ImmutableParametersLoad) {
  Fixture f;
  EXPECT_EQ(f.Load("databases 4\nappendfilename x.aof\ndaemonize no\n"),
            "OK");
  EXPECT_EQ(f.config.databases, 4);
  EXPECT_EQ(f.config.appendfilename, "x.aof");
}

TEST(LoadTextTest, FirstSaveReplacesTheDefaultAndEmptyClears) {
  Fixture f;
  f.config.save = "3600 1";
  EXPECT_EQ(f.Load("save 10 1\nsave 20 2\n"), "OK");
  EXPECT_EQ(f.config.save, "10 1 20 2");
  EXPECT_EQ(f.Load("save \"\"\n"), "OK");
  EXPECT_EQ(f.config.save, "");
  EXPECT_EQ(f.Load("save \"30 3 40 4\"\n"), "OK");
  EXPECT_EQ(f.config.save, "30 3 40 4");
}

TEST(LoadTextTest, ErrorsNameTheLine) {
  Fixture f;
  EXPECT_EQ(f.Load("# comment\nport 99999\n"),
            FileError(2, "port 99999",
                      "argument must be between 0 and 65535 inclusive"));
  EXPECT_EQ(f.Load("  \n\nfoo bar\n"),
            FileError(3, "foo bar",
                      "Bad directive or wrong number of arguments"));
  EXPECT_EQ(f.Load("port \"123\n"),
            FileError(1, "port \"123",
                      "Unbalanced quotes in configuration line"));
  EXPECT_EQ(f.Load("port 1 2"),
            FileError(1, "port 1 2", "wrong number of arguments"));
  EXPECT_EQ(f.Load("port"), FileError(1, "port", "wrong number of arguments"));
  EXPECT_EQ(f.Load("appendonly maybe"),
            FileError(1, "appendonly maybe",
                      "argument must be 'yes' or 'no'"));
  EXPECT_EQ(f.Load("save 1"),
            FileError(1, "save 1", "Invalid save parameters"));
  EXPECT_EQ(f.Load("maxmemory 1xb"),
            FileError(1, "maxmemory 1xb", "argument must be a memory value"));
  EXPECT_EQ(f.Load("hz abc   \r\n"),
            FileError(1, "hz abc",
                      "argument couldn't be parsed into an integer"));
  EXPECT_EQ(f.Load("loglevel nope"),
            FileError(1, "loglevel nope",
                      "argument(s) must be one of the following: debug, "
                      "verbose, notice, warning"));
  EXPECT_EQ(f.Load("appendfilename a/b"),
            FileError(1, "appendfilename a/b",
                      "appendfilename can't be a path, just a filename"));
  EXPECT_EQ(f.Load("appenddirname a/b"),
            FileError(1, "appenddirname a/b",
                      "appenddirname can't be a path, just a dirname"));
  EXPECT_EQ(f.Load("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"),
            FileError(1, "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
                      "Too many bind addresses specified."));
  EXPECT_EQ(f.Load("port=5"),
            FileError(1, "port=5",
                      "Bad directive or wrong number of arguments"));
}

TEST(LoadTextTest, DaemonizeYesIsRefused) {
  Fixture f;
  std::string error = f.Load("daemonize yes");
  EXPECT_TRUE(absl::StartsWith(
      error, "*** FATAL CONFIG FILE ERROR (twinkv) ***\n"
             "Reading the configuration file, at line 1\n"
             ">>> 'daemonize yes'\n"
             "daemonize yes is not supported"))
      << error;
  EXPECT_EQ(f.Load("daemonize maybe"),
            FileError(1, "daemonize maybe", "argument must be 'yes' or 'no'"));
}

TEST(LoadTextTest, IncludeIsRefusedByName) {
  Fixture f;
  std::string error = f.Load("include /etc/other.conf");
  EXPECT_TRUE(absl::StrContains(error, "include is not supported")) << error;
  EXPECT_TRUE(absl::StrContains(error, "at line 1")) << error;
}

// ---- Command line. ----

TEST(LoadArgsTest, NameValueForms) {
  Fixture f;
  EXPECT_EQ(f.Args({"--port", "7001", "--maxmemory=2mb", "--bind", "1.2.3.4",
                    "5.6.7.8", "--appendonly", "yes", "--save", "--hz", "20"}),
            "OK");
  EXPECT_EQ(f.config.port, 7001);
  EXPECT_EQ(f.config.maxmemory, 2 * 1024 * 1024);
  EXPECT_THAT(f.config.bind, ElementsAre("1.2.3.4", "5.6.7.8"));
  EXPECT_TRUE(f.config.appendonly);
  EXPECT_EQ(f.config.save, "");
  EXPECT_EQ(f.config.hz, 20);
}

TEST(LoadArgsTest, OneArgumentHoldingNameAndValue) {
  Fixture f;
  EXPECT_EQ(f.Args({"--port 7002", "--save", "60 1 30 2"}), "OK");
  EXPECT_EQ(f.config.port, 7002);
  EXPECT_EQ(f.config.save, "60 1 30 2");
}

TEST(LoadArgsTest, BareSaveAtTheEndMeansNoSnapshots) {
  Fixture f;
  f.config.save = "3600 1";
  EXPECT_EQ(f.Args({"--save"}), "OK");
  EXPECT_EQ(f.config.save, "");
}

TEST(LoadArgsTest, ValueMayStartWithDashesRightAfterTheName) {
  Fixture f;
  EXPECT_EQ(f.Args({"--requirepass", "--x--"}), "OK");
  EXPECT_EQ(f.config.requirepass, "--x--");
}

TEST(LoadArgsTest, CommandLineWinsOverTheFile) {
  Fixture f;
  ASSERT_EQ(f.Load("port 7000\nhz 5\nsave 100 1\n"), "OK");
  ASSERT_EQ(f.Args({"--port", "7001", "--save", "200", "2"}), "OK");
  EXPECT_EQ(f.config.port, 7001);
  EXPECT_EQ(f.config.hz, 5);
  // Like redis-server, the command line's save adds to the file's.
  EXPECT_EQ(f.config.save, "100 1 200 2");
}

TEST(LoadArgsTest, ErrorsNameTheOption) {
  Fixture f;
  EXPECT_EQ(f.Args({"--port", "99999"}),
            ArgError("port", "port \"99999\"",
                     "argument must be between 0 and 65535 inclusive"));
  EXPECT_EQ(f.Args({"--port", "1", "--loglevel", "nope"}),
            ArgError("loglevel", "loglevel \"nope\"",
                     "argument(s) must be one of the following: debug, "
                     "verbose, notice, warning"));
  EXPECT_EQ(f.Args({"--hz=abc"}),
            ArgError("hz", "hz \"abc\"",
                     "argument couldn't be parsed into an integer"));
  EXPECT_EQ(f.Args({"--nosuch", "1"}),
            ArgError("nosuch", "nosuch \"1\"",
                     "Bad directive or wrong number of arguments"));
  EXPECT_EQ(f.Args({"--port"}),
            ArgError("port", "port", "wrong number of arguments"));
  EXPECT_EQ(f.Args({"--port", "1", "2"}),
            ArgError("port", "port \"1\" \"2\"", "wrong number of arguments"));
  std::string stray = f.Args({"6379"});
  EXPECT_TRUE(absl::StrContains(stray, ">>> '6379'")) << stray;
}

}  // namespace
}  // namespace twinkv

namespace twinkv {
namespace {

// ---- CONFIG REWRITE. ----

TEST(ConfigRewriteTest, KeepsTheFileAndUpdatesWhatChanged) {
  const std::string file =
      "# my server\n"
      "port 7000\n"
      "\n"
      "maxmemory 1mb   # trailing words are part of the line\n"
      "save 900 1\n"
      "save 300 10\n"
      "some-unknown-thing yes\n";
  Config config;
  ConfigTable table(&config);
  // (the unknown line would stop LoadText; load the rest)
  ASSERT_TRUE(table.LoadText("port 7000\nmaxmemory 1mb\nsave 900 1\n"
                             "save 300 10\n").ok());
  std::pair<absl::string_view, absl::string_view> set[] = {
      {"maxmemory", "2mb"}, {"hz", "20"}, {"requirepass", "two words"}};
  ASSERT_TRUE(table.SetAtRuntime(set, /*local_client=*/true).ok());
  EXPECT_EQ(table.RewriteText(file),
            "# my server\n"
            "port 7000\n"
            "\n"
            "maxmemory 2097152\n"
            "save 900 1 300 10\n"
            "some-unknown-thing yes\n"
            "# Generated by CONFIG REWRITE\n"
            "requirepass \"two words\"\n"
            "hz 20\n");
}

TEST(ConfigRewriteTest, UnchangedDefaultsAreNotAdded) {
  Config config;
  ConfigTable table(&config);
  EXPECT_EQ(table.RewriteText(""), "");
  EXPECT_EQ(table.RewriteText("# only a comment\n"), "# only a comment\n");
}

TEST(ConfigRewriteTest, LoadingTheResultGivesTheSameValues) {
  Config config;
  ConfigTable table(&config);
  std::pair<absl::string_view, absl::string_view> set[] = {
      {"maxmemory", "3mb"},
      {"requirepass", "p\"a ss\\w\n"},
      {"save", ""},
      {"notify-keyspace-events", "KEA"},
      {"client-output-buffer-limit", "pubsub 64mb 16mb 90"}};
  ASSERT_TRUE(table.SetAtRuntime(set, /*local_client=*/true).ok());
  const std::string text = table.RewriteText("bind 127.0.0.1\n");
  Config loaded;
  ConfigTable reloaded(&loaded);
  ASSERT_TRUE(reloaded.LoadText(text).ok()) << text;
  for (const std::string& name : table.Names()) {
    EXPECT_EQ(reloaded.Get(name), table.Get(name)) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace twinkv
