#include "core/command.h"

#include <cassert>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/engine.h"
#include "core/numbers.h"

namespace twinkv {
namespace {

// Longest command name we look up without allocating; longer names cannot
// be commands anyway.
constexpr size_t kMaxNameLen = 64;

// Redis 7.0's key specifications, one row per command that has any,
// sorted by full name (checked against redis-server 7.0.15's COMMAND INFO
// by test/core/command_test.cc's expectations and by hand). A row holds
// specs separated by ';', each "FLAGS / BEGIN / FIND [/ NOTES]": BEGIN is
// "index I" or "keyword WORD STARTFROM"; FIND is "range LASTKEY KEYSTEP
// LIMIT" or "keynum KEYNUMIDX FIRSTKEY KEYSTEP".
struct KeySpecRow {
  const char* name;
  const char* specs;
};
constexpr KeySpecRow kRedisKeySpecs[] = {
    {"append", "RW insert / index 1 / range 0 1 0"},
    {"blmove",
     "RW access delete / index 1 / range 0 1 0; RW insert / index 2 "
     "/ range 0 1 0"},
    {"blmpop", "RW access delete / index 2 / keynum 0 1 1"},
    {"blpop", "RW access delete / index 1 / range -2 1 0"},
    {"brpop", "RW access delete / index 1 / range -2 1 0"},
    {"brpoplpush",
     "RW access delete / index 1 / range 0 1 0; RW insert / "
     "index 2 / range 0 1 0"},
    {"bzmpop", "RW access delete / index 2 / keynum 0 1 1"},
    {"bzpopmax", "RW access delete / index 1 / range -2 1 0"},
    {"bzpopmin", "RW access delete / index 1 / range -2 1 0"},
    {"copy",
     "RO access / index 1 / range 0 1 0; OW update / index 2 / range 0 1 0"},
    {"decr", "RW access update / index 1 / range 0 1 0"},
    {"decrby", "RW access update / index 1 / range 0 1 0"},
    {"del", "RM delete / index 1 / range -1 1 0"},
    {"exists", "RO / index 1 / range -1 1 0"},
    {"expire", "RW update / index 1 / range 0 1 0"},
    {"expireat", "RW update / index 1 / range 0 1 0"},
    {"expiretime", "RO access / index 1 / range 0 1 0"},
    {"get", "RO access / index 1 / range 0 1 0"},
    {"getdel", "RW access delete / index 1 / range 0 1 0"},
    {"getex",
     "RW access update / index 1 / range 0 1 0 / RW and UPDATE "
     "because it changes the TTL"},
    {"getrange", "RO access / index 1 / range 0 1 0"},
    {"getset", "RW access update / index 1 / range 0 1 0"},
    {"hdel", "RW delete / index 1 / range 0 1 0"},
    {"hexists", "RO / index 1 / range 0 1 0"},
    {"hget", "RO access / index 1 / range 0 1 0"},
    {"hgetall", "RO access / index 1 / range 0 1 0"},
    {"hincrby", "RW access update / index 1 / range 0 1 0"},
    {"hincrbyfloat", "RW access update / index 1 / range 0 1 0"},
    {"hkeys", "RO access / index 1 / range 0 1 0"},
    {"hlen", "RO / index 1 / range 0 1 0"},
    {"hmget", "RO access / index 1 / range 0 1 0"},
    {"hmset", "RW update / index 1 / range 0 1 0"},
    {"hrandfield", "RO access / index 1 / range 0 1 0"},
    {"hscan", "RO access / index 1 / range 0 1 0"},
    {"hset", "RW update / index 1 / range 0 1 0"},
    {"hsetnx", "RW insert / index 1 / range 0 1 0"},
    {"hstrlen", "RO / index 1 / range 0 1 0"},
    {"hvals", "RO access / index 1 / range 0 1 0"},
    {"incr", "RW access update / index 1 / range 0 1 0"},
    {"incrby", "RW access update / index 1 / range 0 1 0"},
    {"incrbyfloat", "RW access update / index 1 / range 0 1 0"},
    {"lindex", "RO access / index 1 / range 0 1 0"},
    {"linsert", "RW insert / index 1 / range 0 1 0"},
    {"llen", "RO / index 1 / range 0 1 0"},
    {"lmove",
     "RW access delete / index 1 / range 0 1 0; RW insert / index 2 / "
     "range 0 1 0"},
    {"lmpop", "RW access delete / index 1 / keynum 0 1 1"},
    {"lpop", "RW access delete / index 1 / range 0 1 0"},
    {"lpos", "RO access / index 1 / range 0 1 0"},
    {"lpush", "RW insert / index 1 / range 0 1 0"},
    {"lpushx", "RW insert / index 1 / range 0 1 0"},
    {"lrange", "RO access / index 1 / range 0 1 0"},
    {"lrem", "RW delete / index 1 / range 0 1 0"},
    {"lset", "RW update / index 1 / range 0 1 0"},
    {"ltrim", "RW delete / index 1 / range 0 1 0"},
    {"mget", "RO access / index 1 / range -1 1 0"},
    {"move", "RW access update / index 1 / range 0 1 0"},
    {"mset", "OW update / index 1 / range -1 2 0"},
    {"msetnx", "OW insert / index 1 / range -1 2 0"},
    {"object|encoding", "RO / index 2 / range 0 1 0"},
    {"persist", "RW update / index 1 / range 0 1 0"},
    {"pexpire", "RW update / index 1 / range 0 1 0"},
    {"pexpireat", "RW update / index 1 / range 0 1 0"},
    {"pexpiretime", "RO access / index 1 / range 0 1 0"},
    {"psetex", "OW update / index 1 / range 0 1 0"},
    {"pttl", "RO access / index 1 / range 0 1 0"},
    {"rename",
     "RW access delete / index 1 / range 0 1 0; OW update / index 2 "
     "/ range 0 1 0"},
    {"renamenx",
     "RW access delete / index 1 / range 0 1 0; OW insert / index "
     "2 / range 0 1 0"},
    {"rpop", "RW access delete / index 1 / range 0 1 0"},
    {"rpoplpush",
     "RW access delete / index 1 / range 0 1 0; RW insert / index "
     "2 / range 0 1 0"},
    {"rpush", "RW insert / index 1 / range 0 1 0"},
    {"rpushx", "RW insert / index 1 / range 0 1 0"},
    {"sadd", "RW insert / index 1 / range 0 1 0"},
    {"scard", "RO / index 1 / range 0 1 0"},
    {"sdiff", "RO access / index 1 / range -1 1 0"},
    {"sdiffstore",
     "OW update / index 1 / range 0 1 0; RO access / index 2 / range -1 1 0"},
    {"set",
     "RW access update variable_flags / index 1 / range 0 1 0 / RW and "
     "ACCESS due to the optional `GET` argument"},
    {"setex", "OW update / index 1 / range 0 1 0"},
    {"setnx", "OW insert / index 1 / range 0 1 0"},
    {"setrange", "RW update / index 1 / range 0 1 0"},
    {"sinter", "RO access / index 1 / range -1 1 0"},
    {"sintercard", "RO access / index 1 / keynum 0 1 1"},
    {"sinterstore",
     "RW update / index 1 / range 0 1 0; RO access / index 2 / range -1 1 0"},
    {"sismember", "RO / index 1 / range 0 1 0"},
    {"smembers", "RO access / index 1 / range 0 1 0"},
    {"smismember", "RO access / index 1 / range 0 1 0"},
    {"smove",
     "RW access delete / index 1 / range 0 1 0; RW insert / index 2 / "
     "range 0 1 0"},
    {"spop", "RW access delete / index 1 / range 0 1 0"},
    {"srandmember", "RO access / index 1 / range 0 1 0"},
    {"srem", "RW delete / index 1 / range 0 1 0"},
    {"sscan", "RO access / index 1 / range 0 1 0"},
    {"strlen", "RO / index 1 / range 0 1 0"},
    {"substr", "RO access / index 1 / range 0 1 0"},
    {"sunion", "RO access / index 1 / range -1 1 0"},
    {"sunionstore",
     "OW update / index 1 / range 0 1 0; RO access / index 2 / range -1 1 0"},
    {"touch", "RO / index 1 / range -1 1 0"},
    {"ttl", "RO access / index 1 / range 0 1 0"},
    {"type", "RO / index 1 / range 0 1 0"},
    {"unlink", "RM delete / index 1 / range -1 1 0"},
    {"watch", "RO / index 1 / range -1 1 0"},
    {"zadd", "RW update / index 1 / range 0 1 0"},
    {"zcard", "RO / index 1 / range 0 1 0"},
    {"zcount", "RO access / index 1 / range 0 1 0"},
    {"zdiff", "RO access / index 1 / keynum 0 1 1"},
    {"zdiffstore",
     "OW update / index 1 / range 0 1 0; RO access / index 2 / keynum 0 1 1"},
    {"zincrby", "RW access update / index 1 / range 0 1 0"},
    {"zinter", "RO access / index 1 / keynum 0 1 1"},
    {"zinterstore",
     "OW update / index 1 / range 0 1 0; RO access / index 2 / keynum 0 1 1"},
    {"zlexcount", "RO access / index 1 / range 0 1 0"},
    {"zmpop", "RW access delete / index 1 / keynum 0 1 1"},
    {"zmscore", "RO access / index 1 / range 0 1 0"},
    {"zpopmax", "RW access delete / index 1 / range 0 1 0"},
    {"zpopmin", "RW access delete / index 1 / range 0 1 0"},
    {"zrandmember", "RO access / index 1 / range 0 1 0"},
    {"zrange", "RO access / index 1 / range 0 1 0"},
    {"zrangebylex", "RO access / index 1 / range 0 1 0"},
    {"zrangebyscore", "RO access / index 1 / range 0 1 0"},
    {"zrangestore",
     "OW update / index 1 / range 0 1 0; RO access / index 2 / range 0 1 0"},
    {"zrank", "RO access / index 1 / range 0 1 0"},
    {"zrem", "RW delete / index 1 / range 0 1 0"},
    {"zremrangebylex", "RW delete / index 1 / range 0 1 0"},
    {"zremrangebyrank", "RW delete / index 1 / range 0 1 0"},
    {"zremrangebyscore", "RW delete / index 1 / range 0 1 0"},
    {"zrevrange", "RO access / index 1 / range 0 1 0"},
    {"zrevrangebylex", "RO access / index 1 / range 0 1 0"},
    {"zrevrangebyscore", "RO access / index 1 / range 0 1 0"},
    {"zrevrank", "RO access / index 1 / range 0 1 0"},
    {"zscan", "RO access / index 1 / range 0 1 0"},
    {"zscore", "RO access / index 1 / range 0 1 0"},
    {"zunion", "RO access / index 1 / keynum 0 1 1"},
    {"zunionstore",
     "OW update / index 1 / range 0 1 0; RO access / index 2 / keynum 0 1 1"},
};

// Redis 7.0's command tips, space-separated, in Redis's order.
struct TipsRow {
  const char* name;
  const char* tips;
};
constexpr TipsRow kRedisTips[] = {
    {"client|info", "nondeterministic_output"},
    {"client|list", "nondeterministic_output"},
    {"cluster|getkeysinslot", "nondeterministic_output"},
    {"cluster|info", "nondeterministic_output"},
    {"cluster|nodes", "nondeterministic_output"},
    {"cluster|shards", "nondeterministic_output"},
    {"cluster|slots", "nondeterministic_output"},
    {"command", "nondeterministic_output_order"},
    {"command|docs", "nondeterministic_output_order"},
    {"command|info", "nondeterministic_output_order"},
    {"command|list", "nondeterministic_output_order"},
    {"config|set", "request_policy:all_nodes response_policy:all_succeeded"},
    {"dbsize", "request_policy:all_shards response_policy:agg_sum"},
    {"del", "request_policy:multi_shard response_policy:agg_sum"},
    {"exists", "request_policy:multi_shard response_policy:agg_sum"},
    {"flushall", "request_policy:all_shards response_policy:all_succeeded"},
    {"flushdb", "request_policy:all_shards response_policy:all_succeeded"},
    {"function|flush",
     "request_policy:all_shards response_policy:all_succeeded"},
    {"hgetall", "nondeterministic_output_order"},
    {"hkeys", "nondeterministic_output_order"},
    {"hrandfield", "nondeterministic_output"},
    {"hscan", "nondeterministic_output"},
    {"hvals", "nondeterministic_output_order"},
    {"info",
     "nondeterministic_output request_policy:all_shards "
     "response_policy:special"},
    {"keys", "request_policy:all_shards nondeterministic_output_order"},
    {"lastsave", "nondeterministic_output"},
    {"mget", "request_policy:multi_shard"},
    {"mset", "request_policy:multi_shard response_policy:all_succeeded"},
    {"msetnx", "request_policy:multi_shard response_policy:agg_min"},
    {"object|encoding", "nondeterministic_output"},
    {"ping", "request_policy:all_shards response_policy:all_succeeded"},
    {"pttl", "nondeterministic_output"},
    {"randomkey", "request_policy:all_shards nondeterministic_output"},
    {"scan", "nondeterministic_output request_policy:special"},
    {"script|flush", "request_policy:all_nodes response_policy:all_succeeded"},
    {"sdiff", "nondeterministic_output_order"},
    {"sinter", "nondeterministic_output_order"},
    {"slowlog|get", "request_policy:all_nodes nondeterministic_output"},
    {"slowlog|len",
     "request_policy:all_nodes response_policy:agg_sum "
     "nondeterministic_output"},
    {"slowlog|reset", "request_policy:all_nodes response_policy:all_succeeded"},
    {"smembers", "nondeterministic_output_order"},
    {"spop", "nondeterministic_output"},
    {"srandmember", "nondeterministic_output"},
    {"sscan", "nondeterministic_output"},
    {"sunion", "nondeterministic_output_order"},
    {"time", "nondeterministic_output"},
    {"touch", "request_policy:multi_shard response_policy:agg_sum"},
    {"ttl", "nondeterministic_output"},
    {"unlink", "request_policy:multi_shard response_policy:agg_sum"},
    {"zrandmember", "nondeterministic_output"},
    {"zscan", "nondeterministic_output"},
};

struct KeyFlagName {
  uint32_t bit;
  const char* name;
};
// In the order Redis prints them (addReplyFlagsForKeyArgs).
constexpr KeyFlagName kKeyFlagNames[] = {
    {kKeyRO, "RO"},
    {kKeyRW, "RW"},
    {kKeyOW, "OW"},
    {kKeyRM, "RM"},
    {kKeyAccess, "access"},
    {kKeyUpdate, "update"},
    {kKeyInsert, "insert"},
    {kKeyDelete, "delete"},
    {kKeyNotKey, "not_key"},
    {kKeyIncomplete, "incomplete"},
    {kKeyVariableFlags, "variable_flags"},
};

int ToInt(absl::string_view s) {
  int v = 0;
  bool ok = absl::SimpleAtoi(s, &v);
  assert(ok && "bad number in the key-spec table");
  (void)ok;
  return v;
}

// One "FLAGS / BEGIN / FIND [/ NOTES]" of kRedisKeySpecs.
KeySpec ParseKeySpec(absl::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits(" / ", 3));
  assert(parts.size() >= 3 && "bad key-spec row");
  KeySpec spec;
  for (absl::string_view flag :
       absl::StrSplit(parts[0], ' ', absl::SkipEmpty())) {
    bool known = false;
    for (const KeyFlagName& f : kKeyFlagNames) {
      if (flag == f.name) {
        spec.flags |= f.bit;
        known = true;
      }
    }
    assert(known && "unknown key-spec flag");
    (void)known;
  }
  std::vector<absl::string_view> begin =
      absl::StrSplit(parts[1], ' ', absl::SkipEmpty());
  if (begin[0] == "index") {
    spec.begin_index = ToInt(begin[1]);
  } else {
    assert(begin[0] == "keyword" && begin.size() == 3);
    spec.keyword = std::string(begin[1]);
    spec.startfrom = ToInt(begin[2]);
  }
  std::vector<absl::string_view> find =
      absl::StrSplit(parts[2], ' ', absl::SkipEmpty());
  assert(find.size() == 4);
  if (find[0] == "range") {
    spec.lastkey = ToInt(find[1]);
    spec.keystep = ToInt(find[2]);
    spec.limit = ToInt(find[3]);
  } else {
    assert(find[0] == "keynum");
    spec.keynum = true;
    spec.keynumidx = ToInt(find[1]);
    spec.firstkey = ToInt(find[2]);
    spec.keystep = ToInt(find[3]);
  }
  if (parts.size() == 4) spec.notes = std::string(parts[3]);
  return spec;
}

// One spec from the legacy triple, for a command Redis does not have.
// The rows carry no per-key access flags, so they are derived from the
// command flags: a write is the general "RW update", a read "RO access".
KeySpec DerivedKeySpec(const CommandSpec& spec) {
  KeySpec ks;
  if (spec.flags & kCmdWrite) {
    ks.flags = kKeyRW | kKeyUpdate;
  } else if (spec.flags & kCmdReadOnly) {
    ks.flags = kKeyRO | kKeyAccess;
  } else {
    ks.flags = kKeyRO;
  }
  ks.begin_index = spec.first_key;
  ks.lastkey =
      spec.last_key >= 0 ? spec.last_key - spec.first_key : spec.last_key;
  ks.keystep = spec.key_step > 0 ? spec.key_step : 1;
  return ks;
}

void FillFullNames(CommandSpec& spec, absl::string_view parent) {
  spec.full_name =
      parent.empty() ? spec.name : std::string(parent) + "|" + spec.name;
  for (CommandSpec& sub : spec.subcommands) FillFullNames(sub, spec.name);
}

void FillKeySpecsAndTips(CommandSpec& spec) {
  if (spec.key_specs.empty()) spec.key_specs = RedisKeySpecs(spec.full_name);
  if (spec.key_specs.empty() && spec.first_key > 0) {
    spec.key_specs.push_back(DerivedKeySpec(spec));
  }
  if (spec.tips.empty()) spec.tips = RedisCommandTips(spec.full_name);
  for (CommandSpec& sub : spec.subcommands) FillKeySpecsAndTips(sub);
}

// Redis's setGetKeys: SET reads the old value only with its GET option.
uint32_t ResolveVariableFlags(const CommandSpec& spec, ArgList args,
                              uint32_t flags) {
  if (spec.full_name == "set") {
    for (size_t i = 3; i < args.size(); ++i) {
      if (absl::EqualsIgnoreCase(args[i], "get")) {
        return kKeyRW | kKeyAccess | kKeyUpdate;
      }
    }
    return kKeyOW | kKeyUpdate;
  }
  return flags & ~kKeyVariableFlags;
}

}  // namespace

Db& CommandContext::db() { return engine.keyspace().db(client.db_index); }

void CommandContext::AddDirty(uint64_t n) { engine.AddDirty(n); }

void CommandContext::Propagate(ArgList args) { engine.Propagate(args); }

absl::string_view AsciiLowerInto(absl::string_view in, char* buf) {
  for (size_t i = 0; i < in.size(); ++i) buf[i] = absl::ascii_tolower(in[i]);
  return absl::string_view(buf, in.size());
}

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

void CommandTable::Add(CommandSpec spec) {
  spec.name = absl::AsciiStrToLower(spec.name);
  FillFullNames(spec, "");
  FillKeySpecsAndTips(spec);
  auto row = std::make_unique<CommandSpec>(std::move(spec));
  bool inserted = by_name_.emplace(row->name, row.get()).second;
  assert(inserted && "command registered twice");
  (void)inserted;
  rows_.push_back(std::move(row));
}

const CommandSpec* CommandTable::Find(absl::string_view name) const {
  if (name.size() > kMaxNameLen) return nullptr;
  char buf[kMaxNameLen];
  auto it = by_name_.find(AsciiLowerInto(name, buf));
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& parent,
                                                absl::string_view name) {
  for (const CommandSpec& sub : parent.subcommands) {
    if (absl::EqualsIgnoreCase(sub.name, name)) return &sub;
  }
  return nullptr;
}

std::vector<int> CommandKeyPositions(const CommandSpec& spec, ArgList args) {
  std::vector<int> keys;
  if (spec.find_keys != nullptr) {
    spec.find_keys(args, &keys);
    return keys;
  }
  if (spec.first_key <= 0) return keys;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key >= 0 ? spec.last_key : argc + spec.last_key;
  int step = spec.key_step > 0 ? spec.key_step : 1;
  for (int i = spec.first_key; i <= last && i < argc; i += step) {
    keys.push_back(i);
  }
  return keys;
}

std::vector<KeySpec> RedisKeySpecs(absl::string_view full_name) {
  std::vector<KeySpec> specs;
  for (const KeySpecRow& row : kRedisKeySpecs) {
    if (full_name != row.name) continue;
    for (absl::string_view text : absl::StrSplit(row.specs, "; ")) {
      specs.push_back(ParseKeySpec(text));
    }
    break;
  }
  return specs;
}

std::vector<std::string> RedisCommandTips(absl::string_view full_name) {
  for (const TipsRow& row : kRedisTips) {
    if (full_name == row.name) {
      return absl::StrSplit(row.tips, ' ', absl::SkipEmpty());
    }
  }
  return {};
}

std::vector<absl::string_view> KeySpecFlagNames(uint32_t flags) {
  std::vector<absl::string_view> names;
  for (const KeyFlagName& f : kKeyFlagNames) {
    if (flags & f.bit) names.push_back(f.name);
  }
  return names;
}

// Follows Redis 7.0's getKeysUsingKeySpecs: any spec that cannot be
// followed makes the whole answer invalid.
bool KeysWithFlags(const CommandSpec& spec, ArgList args,
                   std::vector<KeyRef>* keys) {
  keys->clear();
  const int argc = static_cast<int>(args.size());
  for (const KeySpec& ks : spec.key_specs) {
    if (ks.flags & kKeyNotKey) continue;
    int first = 0;
    if (ks.keyword.empty()) {
      first = ks.begin_index;
    } else {
      // Forwards from startfrom, or backwards from argc + startfrom.
      const bool forward = ks.startfrom > 0;
      int i = forward ? ks.startfrom : argc + ks.startfrom;
      for (; i >= 1 && i < argc; i += forward ? 1 : -1) {
        if (absl::EqualsIgnoreCase(args[i], ks.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // no keyword: no keys from this spec
    }
    int last = 0;
    int step = ks.keystep > 0 ? ks.keystep : 1;
    if (!ks.keynum) {
      if (ks.lastkey >= 0) {
        last = first + ks.lastkey;
      } else if (ks.limit == 0) {
        last = argc + ks.lastkey;
      } else {
        last = first + ((argc - first) / ks.limit + ks.lastkey);
      }
    } else {
      const int numkeys_at = first + ks.keynumidx;
      int64_t numkeys = 0;
      if (numkeys_at >= argc || !ParseInt64(args[numkeys_at], &numkeys) ||
          numkeys < 0 || numkeys > argc) {
        keys->clear();
        return false;
      }
      first += ks.firstkey;
      last = first + static_cast<int>(numkeys) - 1;
    }
    if (last >= argc || last < first || first >= argc) {
      keys->clear();
      return false;
    }
    const uint32_t flags = (ks.flags & kKeyVariableFlags)
                               ? ResolveVariableFlags(spec, args, ks.flags)
                               : ks.flags;
    for (int i = first; i <= last; i += step) keys->push_back({i, flags});
    if (ks.flags & kKeyIncomplete) {
      // Redis then asks the command's own key finder.
      keys->clear();
      if (spec.find_keys == nullptr) return false;
      for (int pos : CommandKeyPositions(spec, args)) {
        keys->push_back({pos, ks.flags & ~kKeyIncomplete});
      }
      return !keys->empty();
    }
  }
  return true;
}

void NumKeysPositions(ArgList args, int fixed_keys, int numkeys_index,
                      std::vector<int>* keys) {
  const int argc = static_cast<int>(args.size());
  if (numkeys_index >= argc || fixed_keys >= argc) return;
  int64_t numkeys;
  if (!ParseInt64(args[numkeys_index], &numkeys) || numkeys < 1 ||
      numkeys > argc - numkeys_index - 1) {
    return;
  }
  for (int i = 1; i <= fixed_keys; ++i) keys->push_back(i);
  for (int i = 0; i < numkeys; ++i) keys->push_back(numkeys_index + 1 + i);
}

}  // namespace twinkv
