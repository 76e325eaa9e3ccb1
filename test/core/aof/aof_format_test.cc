// The AOF's formats: RESP commands and their parser (exact offsets of
// where a broken file goes wrong), the manifest, and the per-key rewrite
// commands (replayed, they rebuild the key exactly).

#include "core/aof_format.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/families.h"
#include "core/resp/reply.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

std::string Encode(std::vector<absl::string_view> args) {
  std::string out;
  AppendRespCommand(args, &out);
  return out;
}

std::vector<std::vector<std::string>> ParseAll(absl::string_view data,
                                               AofParser& parser,
                                               AofParser::Result* last) {
  std::vector<std::vector<std::string>> out;
  parser.Feed(data);
  while ((*last = parser.Next()) == AofParser::kCommand) {
    out.emplace_back(parser.args().begin(), parser.args().end());
  }
  return out;
}

TEST(AofParserTest, ParsesCommandsAndKnowsWhereTheyEnd) {
  const std::string a = Encode({"SET", "k", "v"});
  const std::string b = Encode({"RPUSH", "l", std::string("a\r\nb\0c", 6)});
  AofParser parser;
  AofParser::Result r;
  auto cmds = ParseAll(a + b, parser, &r);
  EXPECT_EQ(r, AofParser::kNeedMore);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[1][2], std::string("a\r\nb\0c", 6));
  EXPECT_EQ(parser.end_offset(), a.size() + b.size());
  EXPECT_TRUE(parser.unconsumed().empty());
}

TEST(AofParserTest, EveryCutOfACommandIsIncomplete) {
  const std::string a = Encode({"SET", "key", "value"});
  const std::string b = Encode({"INCR", "counter"});
  const std::string all = a + b;
  for (size_t cut = a.size() + 1; cut < all.size(); ++cut) {
    AofParser parser;
    AofParser::Result r;
    auto cmds = ParseAll(all.substr(0, cut), parser, &r);
    EXPECT_EQ(r, AofParser::kNeedMore) << cut;
    EXPECT_EQ(cmds.size(), 1u) << cut;
    EXPECT_EQ(parser.end_offset(), a.size()) << cut;
    EXPECT_EQ(parser.unconsumed().size(), cut - a.size()) << cut;
  }
}

TEST(AofParserTest, FeedingByteByByteGivesTheSameCommands) {
  std::string all;
  for (int i = 0; i < 20; ++i) {
    all += Encode({"HSET", absl::StrCat("h", i), "f", std::string(i * 7, 'x')});
  }
  AofParser parser;
  int n = 0;
  for (char c : all) {
    parser.Feed(absl::string_view(&c, 1));
    while (parser.Next() == AofParser::kCommand) ++n;
  }
  EXPECT_EQ(n, 20);
  EXPECT_EQ(parser.end_offset(), all.size());
}

TEST(AofParserTest, CorruptionIsReportedAtItsOffset) {
  const std::string a = Encode({"SET", "k", "v"});
  struct Case {
    std::string tail;
    size_t bad_at;  // relative to the tail
  } cases[] = {
      {"garbage", 0},
      {std::string(8, '\0'), 0},
      {"*2\r\n$3\r\nGET\r\nX1\r\nk\r\n", 13},    // '$' expected
      {"*1\r\n$3\r\nGETxx", 11},                // no CRLF after the bulk
      {"*x\r\n", 1},                            // no count
      {"*0\r\n", 0},                            // empty command
      {"*1\r\n$-1\r\n", 5},
  };
  for (const Case& c : cases) {
    AofParser parser;
    AofParser::Result r;
    auto cmds = ParseAll(a + c.tail, parser, &r);
    EXPECT_EQ(r, AofParser::kCorrupt) << c.tail;
    EXPECT_EQ(cmds.size(), 1u);
    EXPECT_EQ(parser.end_offset(), a.size());
    EXPECT_EQ(parser.error_offset(), a.size() + c.bad_at) << c.tail;
    EXPECT_FALSE(parser.error().empty());
  }
}

TEST(AofManifestTest, FormatsAndParsesBack) {
  AofManifest m;
  m.has_base = true;
  m.base = {AofManifest::BaseName("appendonly.aof", 3), 3};
  m.incrs.push_back({AofManifest::IncrName("appendonly.aof", 4), 4});
  m.incrs.push_back({AofManifest::IncrName("appendonly.aof", 5), 5});
  const std::string text = m.Format();
  EXPECT_EQ(text,
            "file appendonly.aof.3.base.aof seq 3 type b\n"
            "file appendonly.aof.4.incr.aof seq 4 type i\n"
            "file appendonly.aof.5.incr.aof seq 5 type i\n");
  absl::StatusOr<AofManifest> back = AofManifest::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Format(), text);
  // History entries (left by Redis) are dropped; unknown keys ignored.
  back = AofManifest::Parse(
      "file a.1.base.rdb seq 1 type b extra x\n"
      "file a.1.incr.aof seq 1 type h\n"
      "file a.2.incr.aof seq 2 type i\n");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->incrs.size(), 1u);
  EXPECT_EQ(back->base.name, "a.1.base.rdb");
}

TEST(AofManifestTest, RejectsMalformedManifests) {
  for (const char* text : {
           "",
           "file x seq 1\n",  // no type
           "file x seq 1 type z\n",
           "file ../x seq 1 type i\n",
           "file x seq y type i\n",
           "file x seq 1 type b\nfile y seq 2 type b\n",
           "file x seq 2 type i\nfile y seq 1 type i\n",
           "file x seq 1 type",
       }) {
    EXPECT_FALSE(AofManifest::Parse(text).ok()) << text;
  }
}

// Replays `commands` (RESP) into a fresh engine.
void Replay(const std::string& commands, EngineHarness& h) {
  AofParser parser;
  parser.Feed(commands);
  while (parser.Next() == AofParser::kCommand) {
    std::vector<std::string> args(parser.args().begin(), parser.args().end());
    EXPECT_EQ(h.Run(args).rfind("(error)", 0), std::string::npos);
  }
}

// The elements of an array reply, sorted (for unordered replies).
std::string Sorted(EngineHarness& h, std::vector<absl::string_view> args,
                   size_t group) {
  Reply r = h.RunReply(args);
  std::vector<std::string> items;
  for (size_t i = 0; i + group <= r.elements.size(); i += group) {
    std::string item;
    for (size_t j = 0; j < group; ++j) {
      absl::StrAppend(&item, r.elements[i + j].str, "|");
    }
    items.push_back(item);
  }
  std::sort(items.begin(), items.end());
  return absl::StrJoin(items, ",");
}

// Everything about a key, through commands.
std::string Dump(EngineHarness& h, const std::string& key) {
  const std::string type = h.Run({"TYPE", key});
  std::string out = type + " ";
  if (type == "string") out += h.Run({"GET", key});
  if (type == "list") out += h.Run({"LRANGE", key, "0", "-1"});
  if (type == "hash") out += Sorted(h, {"HGETALL", key}, 2);
  if (type == "set") out += Sorted(h, {"SMEMBERS", key}, 1);
  if (type == "zset") out += h.Run({"ZRANGE", key, "0", "-1", "WITHSCORES"});
  return out + " ttl=" + h.Run({"PEXPIRETIME", key});
}

TEST(AofRewriteTest, EveryTypeRebuildsExactly) {
  EngineHarness live(RegisterAllFamilies);
  live.Run({"SET", "s", std::string("bin\0\r\nary", 9)});
  for (int i = 0; i < 150; ++i) {
    const std::string n = absl::StrCat(i);
    live.Run({"RPUSH", "l", n});
    live.Run({"HSET", "h", "f" + n, n});
    live.Run({"SADD", "set", "m" + n});
    live.Run({"ZADD", "z", absl::StrCat(i * 0.1), "m" + n});
  }
  live.Run({"ZADD", "z", "inf", "top", "-inf", "bottom", "-0", "zero"});
  live.Run({"ZADD", "z", "0.30000000000000004", "tricky"});
  live.Run({"PEXPIREAT", "l", "9999999999999"});
  std::string out;
  for (const char* key : {"s", "l", "h", "set", "z"}) {
    const Value* v = live.engine().keyspace().db(0).Find(key, 0);
    ASSERT_NE(v, nullptr);
    AppendKeyRewrite(key, *v, live.engine().keyspace().db(0).GetExpire(key, 0),
                     &out);
  }
  EngineHarness replayed(RegisterAllFamilies);
  Replay(out, replayed);
  for (const char* key : {"s", "l", "h", "set", "z"}) {
    EXPECT_EQ(Dump(replayed, key), Dump(live, key)) << key;
  }
  // Big aggregates are split into commands of at most 64 items.
  AofParser parser;
  parser.Feed(out);
  size_t max_args = 0;
  while (parser.Next() == AofParser::kCommand) {
    max_args = std::max(max_args, parser.args().size());
  }
  EXPECT_EQ(max_args, 2 + 2 * kRewriteItemsPerCommand);
}

RC_GTEST_PROP(AofRewriteProperty, RandomKeysRebuildExactly,
              (std::vector<std::pair<uint8_t, std::string>> ops)) {
  EngineHarness live(RegisterAllFamilies);
  for (const auto& [op, member] : ops) {
    switch (op % 6) {
      case 0: live.Run({"APPEND", "s", member}); break;
      case 1: live.Run({"LPUSH", "l", member}); break;
      case 2: live.Run({"HSET", "h", member, member + "v"}); break;
      case 3: live.Run({"SADD", "set", member}); break;
      case 4: live.Run({"ZINCRBY", "z", absl::StrCat(op / 6 - 20), member}); break;
      case 5: live.Run({"PEXPIREAT", "h", absl::StrCat(1000000 + op)}); break;
    }
  }
  std::string out;
  Db& db = live.engine().keyspace().db(0);
  for (const char* key : {"s", "l", "h", "set", "z"}) {
    if (const Value* v = db.Find(key, 0)) {
      AppendKeyRewrite(key, *v, db.GetExpire(key, 0), &out);
    }
  }
  EngineHarness replayed(RegisterAllFamilies);
  Replay(out, replayed);
  for (const char* key : {"s", "l", "h", "set", "z"}) {
    RC_ASSERT(Dump(replayed, key) == Dump(live, key));
  }
}

}  // namespace
}  // namespace twinkv
