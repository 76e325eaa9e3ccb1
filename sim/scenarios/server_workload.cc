#include "sim/scenarios/server_workload.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace twinkv::sim {

std::string FormatWorkloadOp(const WorkloadOp& op) {
  return absl::StrCat("c", op.client, " ", op.think_us, " ",
                      absl::StrJoin(op.args, " "));
}

std::optional<WorkloadOp> ParseWorkloadOp(absl::string_view line) {
  std::vector<std::string> tokens =
      absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (tokens.size() < 3) return std::nullopt;
  WorkloadOp op;
  absl::string_view client = tokens[0];
  if (!absl::ConsumePrefix(&client, "c") ||
      !absl::SimpleAtoi(client, &op.client) || op.client < 0 ||
      !absl::SimpleAtoi(tokens[1], &op.think_us) || op.think_us < 0) {
    return std::nullopt;
  }
  op.args.assign(tokens.begin() + 2, tokens.end());
  return op;
}

WorkloadGenerator::WorkloadGenerator(int client, uint64_t stream_seed,
                                     int slots, absl::Duration mean_think)
    : client_(client),
      slots_(slots),
      mean_think_(mean_think),
      random_(stream_seed) {}

std::string WorkloadGenerator::Key() {
  return absl::StrCat("@", random_.Uniform(static_cast<uint64_t>(slots_)));
}

std::string WorkloadGenerator::TypedKey(int type) {
  // Slots s with s % 5 == type are the type's own (strings 0 and 5, lists
  // 1 and 6, ...), so that aggregates grow; one time in ten (a string one
  // time in twelve) any slot, so that types mix (WRONGTYPE, and SET or
  // RENAME over an aggregate) without strings taking over every slot.
  std::vector<int> own;
  for (int s = type; s < slots_; s += 5) own.push_back(s);
  if (own.empty() || random_.Uniform(type == 0 ? 12 : 10) == 0) return Key();
  return absl::StrCat("@", own[random_.Uniform(own.size())]);
}

std::string WorkloadGenerator::Element() {
  // A small alphabet, so that pushes, removals and lookups meet.
  if (random_.Bernoulli(0.3)) return Tag();
  return absl::StrCat("e", random_.Uniform(5));
}

std::string WorkloadGenerator::SmallInt(int lo, int hi) {
  return absl::StrCat(lo + static_cast<int64_t>(random_.Uniform(
                               static_cast<uint64_t>(hi - lo + 1))));
}

std::string WorkloadGenerator::Score() {
  // Exact binary fractions, and 1.1 for "%.17g" (1.1000000000000001).
  static constexpr const char* kScores[] = {"-2", "-1",  "0",    "1",
                                            "2",  "3",   "5",    "0.5",
                                            "2.25", "-1.5", "1.1", "10"};
  return kScores[random_.Uniform(std::size(kScores))];
}

void WorkloadGenerator::NextAggregate(int which, std::vector<std::string>& a) {
  enum { kString, kList, kHash, kSet, kZset };
  const std::string side[] = {"LEFT", "RIGHT"};
  switch (which) {
    case 0:
    case 1: {
      a = {which == 0 ? "LPUSH" : "RPUSH", TypedKey(kList)};
      const int n = 1 + static_cast<int>(random_.Uniform(3));
      for (int i = 0; i < n; ++i) a.push_back(Element());
      return;
    }
    case 2:
    case 3:
      a = {which == 2 ? "LPOP" : "RPOP", TypedKey(kList)};
      if (random_.Bernoulli(0.4)) {
        a.push_back(random_.Bernoulli(0.05) ? "-1" : SmallInt(0, 3));
      }
      return;
    case 4:
      a = {"LRANGE", TypedKey(kList), SmallInt(-4, 3), SmallInt(-4, 5)};
      return;
    case 5:
      a = {"LLEN", TypedKey(kList)};
      return;
    case 6:
      a = {"LINDEX", TypedKey(kList), SmallInt(-4, 4)};
      return;
    case 7:
      a = {"LREM", TypedKey(kList), SmallInt(-2, 2), Element()};
      return;
    case 8:
      a = {"LTRIM", TypedKey(kList), SmallInt(-1, 2), SmallInt(-2, 6)};
      return;
    case 9:
      a = {"LMOVE", TypedKey(kList), TypedKey(kList),
           random_.Bernoulli(0.03) ? "UP" : side[random_.Uniform(2)],
           side[random_.Uniform(2)]};
      return;
    case 10: {
      a = {"HSET", TypedKey(kHash)};
      const int n = 1 + static_cast<int>(random_.Uniform(3));
      for (int i = 0; i < n; ++i) {
        a.push_back(absl::StrCat("f", random_.Uniform(5)));
        a.push_back(Value());
      }
      if (random_.Bernoulli(0.03)) a.push_back("f9");  // arity error
      return;
    }
    case 11:
      a = {"HGET", TypedKey(kHash), absl::StrCat("f", random_.Uniform(6))};
      return;
    case 12:
      a = {"HDEL", TypedKey(kHash), absl::StrCat("f", random_.Uniform(6))};
      if (random_.Bernoulli(0.3)) {
        a.push_back(absl::StrCat("f", random_.Uniform(6)));
      }
      return;
    case 13:
      a = {"HGETALL", TypedKey(kHash)};
      return;
    case 14:
      a = {"HLEN", TypedKey(kHash)};
      return;
    case 15:
      a = {"HINCRBY", TypedKey(kHash), absl::StrCat("f", random_.Uniform(5)),
           random_.Bernoulli(0.04) ? "x1" : SmallInt(-10, 10)};
      return;
    case 16:
    case 17: {
      a = {which == 16 ? "SADD" : "SREM", TypedKey(kSet)};
      const int n = 1 + static_cast<int>(random_.Uniform(3));
      for (int i = 0; i < n; ++i) a.push_back(Element());
      return;
    }
    case 18:
      a = {"SMEMBERS", TypedKey(kSet)};
      return;
    case 19:
      a = {"SCARD", TypedKey(kSet)};
      return;
    case 20:
      a = {"SISMEMBER", TypedKey(kSet), Element()};
      return;
    case 21:
    case 22: {
      a = {which == 21 ? "SINTER" : "SUNIONSTORE", TypedKey(kSet)};
      const int n = (which == 21 ? 0 : 1) + static_cast<int>(random_.Uniform(3));
      for (int i = 0; i < n; ++i) a.push_back(TypedKey(kSet));
      return;
    }
    case 23: {
      a = {"ZADD", TypedKey(kZset)};
      static constexpr const char* kFlags[][2] = {
          {"", ""},     {"", ""},      {"", ""},     {"NX", ""},
          {"XX", ""},   {"GT", ""},    {"LT", ""},   {"CH", ""},
          {"GT", "CH"}, {"LT", "CH"},  {"XX", "CH"}, {"NX", "CH"},
          {"XX", "GT"}, {"INCR", ""},  {"INCR", ""}, {"GT", "INCR"},
      };
      static constexpr const char* kBad[][2] = {
          {"NX", "XX"}, {"GT", "LT"}, {"NX", "GT"}, {"NX", "LT"}};
      const bool bad = random_.Bernoulli(0.04);
      for (const char* f : bad ? kBad[random_.Uniform(std::size(kBad))]
                               : kFlags[random_.Uniform(std::size(kFlags))]) {
        if (*f != '\0') a.push_back(f);
      }
      const bool incr = std::find(a.begin(), a.end(), "INCR") != a.end();
      int pairs = incr ? 1 : 1 + static_cast<int>(random_.Uniform(3));
      if (random_.Bernoulli(0.03)) ++pairs;  // INCR with two: an error
      for (int i = 0; i < pairs; ++i) {
        a.push_back(random_.Bernoulli(0.02) ? "abc" : Score());
        a.push_back(absl::StrCat("m", random_.Uniform(6)));
      }
      if (random_.Bernoulli(0.02)) a.push_back("m9");  // odd: syntax error
      return;
    }
    case 24:
      a = {"ZREM", TypedKey(kZset), absl::StrCat("m", random_.Uniform(6))};
      if (random_.Bernoulli(0.3)) {
        a.push_back(absl::StrCat("m", random_.Uniform(6)));
      }
      return;
    case 25:
      a = {"ZSCORE", TypedKey(kZset), absl::StrCat("m", random_.Uniform(7))};
      return;
    case 26: {
      a = {"ZRANGE", TypedKey(kZset)};
      const bool by_score = random_.Bernoulli(0.45);
      if (by_score) {
        static constexpr const char* kBounds[] = {
            "-inf", "+inf", "(1", "0", "2", "(3", "1.5", "5", "(0.5", "1.1"};
        a.push_back(kBounds[random_.Uniform(std::size(kBounds))]);
        a.push_back(random_.Bernoulli(0.02)
                        ? "x"
                        : kBounds[random_.Uniform(std::size(kBounds))]);
      } else {
        a.push_back(SmallInt(-3, 3));
        a.push_back(SmallInt(-3, 4));
      }
      std::vector<std::vector<std::string>> opts;
      if (by_score) opts.push_back({"BYSCORE"});
      if (random_.Bernoulli(0.3)) opts.push_back({"REV"});
      if (random_.Bernoulli(0.4)) opts.push_back({"WITHSCORES"});
      if ((by_score && random_.Bernoulli(0.4)) || random_.Bernoulli(0.02)) {
        // Without BYSCORE a LIMIT is an error (unless its count is -1).
        opts.push_back({"LIMIT", SmallInt(0, 2),
                        by_score ? SmallInt(-1, 3) : SmallInt(0, 3)});
      }
      for (size_t i = opts.size(); i > 1; --i) {
        std::swap(opts[i - 1], opts[random_.Uniform(i)]);
      }
      for (auto& o : opts) {
        for (auto& t : o) a.push_back(std::move(t));
      }
      return;
    }
    case 27:
      a = {"ZRANK", TypedKey(kZset), absl::StrCat("m", random_.Uniform(7))};
      return;
    case 28:
      a = {"ZCARD", TypedKey(kZset)};
      return;
    case 29: {
      static constexpr const char* kIncr[] = {"1",     "-1", "0.5",
                                              "2.5", "-0.25", "abc"};
      a = {"ZINCRBY", TypedKey(kZset), kIncr[random_.Uniform(std::size(kIncr))],
           absl::StrCat("m", random_.Uniform(6))};
      return;
    }
    case 30:
      a = {"ZPOPMIN", TypedKey(kZset)};
      if (random_.Bernoulli(0.5)) {
        a.push_back(random_.Bernoulli(0.05) ? "-2" : SmallInt(0, 3));
      }
      return;
    case 31:
      a = {"EXPIRE", TypedKey(static_cast<int>(random_.Uniform(5))),
           random_.Bernoulli(0.05) ? "-1" : Ttl(true)};
      return;
    case 32:
      a = {"PEXPIRE", TypedKey(static_cast<int>(random_.Uniform(5))),
           random_.Bernoulli(0.05) ? "0" : Ttl(false)};
      return;
    default:
      a = {"PERSIST", TypedKey(static_cast<int>(random_.Uniform(5)))};
      return;
  }
}

std::string WorkloadGenerator::Tag() {
  const char letter = "abcdefgh"[random_.Uniform(8)];
  return absl::StrCat("c", client_, "_", seq_, absl::string_view(&letter, 1));
}

std::string WorkloadGenerator::Value() {
  const uint64_t r = random_.Uniform(100);
  if (r < 60) return Tag();
  if (r < 90)
    return absl::StrCat(static_cast<int64_t>(random_.Uniform(121)) - 20);
  static constexpr const char* kFloats[] = {"0.5", "2.25", "-1.75", "10",
                                            "3.5", "007",  "1.0"};
  return kFloats[random_.Uniform(std::size(kFloats))];
}

std::string WorkloadGenerator::Ttl(bool seconds) {
  return seconds ? absl::StrCat(1 + random_.Uniform(3))
                 : absl::StrCat(1 + random_.Uniform(3000));
}

void WorkloadGenerator::AddSetOptions(std::vector<std::string>& args,
                                      int64_t wall_ms) {
  const uint64_t r = random_.Uniform(100);
  if (r < 40) return;
  if (r < 43) {
    // Invalid on purpose: the error replies are part of the contract.
    static constexpr const char* kBad[][3] = {
        {"PX", "0", ""},     {"EX", "-5", ""},         {"NX", "XX", ""},
        {"PX", "1x", ""},    {"KEEPTTL", "PX", "100"}, {"EX", "", ""},
        {"PERSIST", "", ""}, {"PX", "10", "EX"},
    };
    for (const char* t : kBad[random_.Uniform(std::size(kBad))]) {
      if (*t != '\0') args.push_back(t);
    }
    return;
  }
  std::vector<std::vector<std::string>> opts;
  const uint64_t cond = random_.Uniform(10);
  if (cond < 2) opts.push_back({"NX"});
  if (cond >= 2 && cond < 4) opts.push_back({"XX"});
  if (random_.Bernoulli(0.25)) opts.push_back({"GET"});
  switch (random_.Uniform(8)) {
    case 0:
      opts.push_back({"EX", Ttl(true)});
      break;
    case 1:
    case 2:
    case 3:
      opts.push_back({"PX", Ttl(false)});
      break;
    case 4:
      opts.push_back(
          {"EXAT", absl::StrCat(wall_ms / 1000 + 1 + random_.Uniform(3))});
      break;
    case 5:
      opts.push_back(
          {"PXAT", absl::StrCat(wall_ms - 200 +
                                static_cast<int64_t>(random_.Uniform(3000)))});
      break;
    case 6:
      opts.push_back({"KEEPTTL"});
      break;
    default:
      break;
  }
  // Options may come in any order.
  for (size_t i = opts.size(); i > 1; --i) {
    std::swap(opts[i - 1], opts[random_.Uniform(i)]);
  }
  for (auto& o : opts) {
    for (auto& t : o) args.push_back(std::move(t));
  }
}

void WorkloadGenerator::AddGetExOptions(std::vector<std::string>& args,
                                        int64_t wall_ms) {
  switch (random_.Uniform(12)) {
    case 0:
    case 1:
    case 2:
      return;
    case 3:
      args.insert(args.end(), {"EX", Ttl(true)});
      return;
    case 4:
    case 5:
      args.insert(args.end(), {"PX", Ttl(false)});
      return;
    case 6:
      args.insert(args.end(),
                  {"EXAT", absl::StrCat(wall_ms / 1000 + random_.Uniform(3))});
      return;
    case 7:
    case 8:
      // Sometimes already in the past: GETEX then deletes the key.
      args.insert(
          args.end(),
          {"PXAT", absl::StrCat(wall_ms - 1000 +
                                static_cast<int64_t>(random_.Uniform(4000)))});
      return;
    case 9:
    case 10:
      args.push_back("PERSIST");
      return;
    default:
      // Invalid on purpose.
      if (random_.Bernoulli(0.5)) {
        args.insert(args.end(), {"PX", "-1"});
      } else {
        args.insert(args.end(), {"PERSIST", "EX", "5"});
      }
      return;
  }
}

WorkloadOp WorkloadGenerator::Next(int64_t wall_ms) {
  ++seq_;
  WorkloadOp op;
  op.client = client_;
  op.think_us = absl::ToInt64Microseconds(
      ExponentialDuration(random_, mean_think_, absl::Milliseconds(200)));
  std::vector<std::string>& a = op.args;
  // Weights per command, in the order of the cases below.
  static constexpr int kWeights[] = {
      14,  // GET
      18,  // SET
      3,   // SETNX
      3,   // GETSET
      3,   // STRLEN
      4,   // MGET
      4,   // MSET
      2,   // MSETNX
      6,   // APPEND
      5,   // INCR
      2,   // DECR
      3,   // INCRBY
      2,   // DECRBY
      3,   // INCRBYFLOAT
      3,   // GETRANGE
      3,   // SETRANGE
      3,   // GETDEL
      5,   // GETEX
      2,   // SETEX
      4,   // PSETEX
      5,   // DEL
      4,   // EXISTS
      2,   // TYPE
      3,   // RENAME
      2,   // RENAMENX
      2,   // KEYS
      1,   // PING
      1,   // ECHO
      1,   // SELECT
      // Aggregates, from case 29 on (NextAggregate).
      5,  // LPUSH
      4,  // RPUSH
      3,  // LPOP
      3,  // RPOP
      4,  // LRANGE
      2,  // LLEN
      2,  // LINDEX
      2,  // LREM
      2,  // LTRIM
      3,  // LMOVE
      5,  // HSET
      4,  // HGET
      2,  // HDEL
      3,  // HGETALL
      2,  // HLEN
      3,  // HINCRBY
      5,  // SADD
      3,  // SREM
      3,  // SMEMBERS
      2,  // SCARD
      3,  // SISMEMBER
      2,  // SINTER
      2,  // SUNIONSTORE
      7,  // ZADD
      2,  // ZREM
      3,  // ZSCORE
      5,  // ZRANGE
      2,  // ZRANK
      2,  // ZCARD
      3,  // ZINCRBY
      2,  // ZPOPMIN
      2,  // EXPIRE
      3,  // PEXPIRE
      1,  // PERSIST
  };
  int total = 0;
  for (int w : kWeights) total += w;
  int pick = static_cast<int>(random_.Uniform(static_cast<uint64_t>(total)));
  int which = 0;
  while (pick >= kWeights[which]) pick -= kWeights[which++];
  if (which >= kFirstAggregate) {
    NextAggregate(which - kFirstAggregate, a);
    return op;
  }
  auto keys = [&](int lo, int hi) {
    const int n = lo + static_cast<int>(random_.Uniform(hi - lo + 1));
    for (int i = 0; i < n; ++i) a.push_back(Key());
  };
  switch (which) {
    case 0:
      a = {"GET", TypedKey(0)};
      break;
    case 1:
      a = {"SET", TypedKey(0), Value()};
      AddSetOptions(a, wall_ms);
      break;
    case 2:
      a = {"SETNX", TypedKey(0), Value()};
      break;
    case 3:
      a = {"GETSET", TypedKey(0), Value()};
      break;
    case 4:
      a = {"STRLEN", TypedKey(0)};
      break;
    case 5:
      a = {"MGET"};
      keys(1, 4);
      break;
    case 6:
    case 7: {
      a = {which == 6 ? "MSET" : "MSETNX"};
      const int pairs = 1 + static_cast<int>(random_.Uniform(3));
      for (int i = 0; i < pairs; ++i) {
        a.push_back(TypedKey(0));
        a.push_back(Value());
      }
      break;
    }
    case 8:
      a = {"APPEND", TypedKey(0),
           random_.Bernoulli(0.7) ? absl::StrCat("_", Tag())
                                  : absl::StrCat(random_.Uniform(10))};
      break;
    case 9:
      a = {"INCR", TypedKey(0)};
      break;
    case 10:
      a = {"DECR", TypedKey(0)};
      break;
    case 11:
    case 12:
      a = {which == 11 ? "INCRBY" : "DECRBY", TypedKey(0),
           absl::StrCat(static_cast<int64_t>(random_.Uniform(201)) - 100)};
      break;
    case 13: {
      static constexpr const char* kIncr[] = {"0.25", "-1.5", "2",   "0.75",
                                              "-0.5", "10.5", "1e2", "abc"};
      a = {"INCRBYFLOAT", TypedKey(0), kIncr[random_.Uniform(std::size(kIncr))]};
      break;
    }
    case 14:
      a = {"GETRANGE", TypedKey(0),
           absl::StrCat(static_cast<int64_t>(random_.Uniform(21)) - 8),
           absl::StrCat(static_cast<int64_t>(random_.Uniform(21)) - 8)};
      break;
    case 15:
      a = {"SETRANGE", TypedKey(0), absl::StrCat(random_.Uniform(12)),
           random_.Bernoulli(0.5) ? Tag() : absl::StrCat(random_.Uniform(10))};
      break;
    case 16:
      a = {"GETDEL", TypedKey(0)};
      break;
    case 17:
      a = {"GETEX", TypedKey(0)};
      AddGetExOptions(a, wall_ms);
      break;
    case 18:
      a = {"SETEX", TypedKey(0), Ttl(true), Value()};
      break;
    case 19:
      a = {"PSETEX", TypedKey(0), random_.Bernoulli(0.05) ? "0" : Ttl(false),
           Value()};
      break;
    case 20:
      a = {"DEL"};
      keys(1, 3);
      break;
    case 21:
      a = {"EXISTS"};
      keys(1, 3);
      break;
    case 22:
      a = {"TYPE", Key()};
      break;
    case 23:
    case 24:
      a = {which == 23 ? "RENAME" : "RENAMENX", Key(), Key()};
      break;
    case 25:
      a = {"KEYS", random_.Bernoulli(0.7) ? "@*" : "@k[0-3]*"};
      break;
    case 26:
      a = {"PING"};
      if (random_.Bernoulli(0.5)) a.push_back(Tag());
      break;
    case 27:
      a = {"ECHO", Tag()};
      break;
    default:
      a = {"SELECT", "0"};
      break;
  }
  return op;
}

}  // namespace twinkv::sim
