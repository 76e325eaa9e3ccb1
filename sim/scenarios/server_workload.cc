#include "sim/scenarios/server_workload.h"

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
  };
  int total = 0;
  for (int w : kWeights) total += w;
  int pick = static_cast<int>(random_.Uniform(static_cast<uint64_t>(total)));
  int which = 0;
  while (pick >= kWeights[which]) pick -= kWeights[which++];
  auto keys = [&](int lo, int hi) {
    const int n = lo + static_cast<int>(random_.Uniform(hi - lo + 1));
    for (int i = 0; i < n; ++i) a.push_back(Key());
  };
  switch (which) {
    case 0:
      a = {"GET", Key()};
      break;
    case 1:
      a = {"SET", Key(), Value()};
      AddSetOptions(a, wall_ms);
      break;
    case 2:
      a = {"SETNX", Key(), Value()};
      break;
    case 3:
      a = {"GETSET", Key(), Value()};
      break;
    case 4:
      a = {"STRLEN", Key()};
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
        a.push_back(Key());
        a.push_back(Value());
      }
      break;
    }
    case 8:
      a = {"APPEND", Key(),
           random_.Bernoulli(0.7) ? absl::StrCat("_", Tag())
                                  : absl::StrCat(random_.Uniform(10))};
      break;
    case 9:
      a = {"INCR", Key()};
      break;
    case 10:
      a = {"DECR", Key()};
      break;
    case 11:
    case 12:
      a = {which == 11 ? "INCRBY" : "DECRBY", Key(),
           absl::StrCat(static_cast<int64_t>(random_.Uniform(201)) - 100)};
      break;
    case 13: {
      static constexpr const char* kIncr[] = {"0.25", "-1.5", "2",   "0.75",
                                              "-0.5", "10.5", "1e2", "abc"};
      a = {"INCRBYFLOAT", Key(), kIncr[random_.Uniform(std::size(kIncr))]};
      break;
    }
    case 14:
      a = {"GETRANGE", Key(),
           absl::StrCat(static_cast<int64_t>(random_.Uniform(21)) - 8),
           absl::StrCat(static_cast<int64_t>(random_.Uniform(21)) - 8)};
      break;
    case 15:
      a = {"SETRANGE", Key(), absl::StrCat(random_.Uniform(12)),
           random_.Bernoulli(0.5) ? Tag() : absl::StrCat(random_.Uniform(10))};
      break;
    case 16:
      a = {"GETDEL", Key()};
      break;
    case 17:
      a = {"GETEX", Key()};
      AddGetExOptions(a, wall_ms);
      break;
    case 18:
      a = {"SETEX", Key(), Ttl(true), Value()};
      break;
    case 19:
      a = {"PSETEX", Key(), random_.Bernoulli(0.05) ? "0" : Ttl(false),
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
