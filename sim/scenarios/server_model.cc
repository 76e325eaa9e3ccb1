#include "sim/scenarios/server_model.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/glob.h"

namespace twinkv::sim {
namespace {

// Redis 7.0's replies, spelled as redis-server sends them.
constexpr absl::string_view kSyntaxErr = "ERR syntax error";
constexpr absl::string_view kNotIntErr =
    "ERR value is not an integer or out of range";
constexpr absl::string_view kNotFloatErr = "ERR value is not a valid float";
constexpr absl::string_view kOverflowErr =
    "ERR increment or decrement would overflow";
constexpr absl::string_view kDecrOverflowErr = "ERR decrement would overflow";
constexpr absl::string_view kNanErr =
    "ERR increment would produce NaN or Infinity";
constexpr absl::string_view kNoSuchKeyErr = "ERR no such key";
constexpr absl::string_view kOffsetErr = "ERR offset is out of range";
constexpr absl::string_view kTooLongErr =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
constexpr absl::string_view kDbRangeErr = "ERR DB index is out of range";
constexpr absl::string_view kWrongTypeErr =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr absl::string_view kMustBePositiveErr =
    "ERR value is out of range, must be positive";
constexpr absl::string_view kHashNotIntErr = "ERR hash value is not an integer";
constexpr absl::string_view kMinMaxErr = "ERR min or max is not a float";
constexpr absl::string_view kZaddNxXxErr =
    "ERR XX and NX options at the same time are not compatible";
constexpr absl::string_view kZaddGtLtNxErr =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
constexpr absl::string_view kZaddIncrErr =
    "ERR INCR option supports a single increment-element pair";
constexpr absl::string_view kZscoreNanErr =
    "ERR resulting score is not a number (NaN)";
constexpr absl::string_view kLimitErr =
    "ERR syntax error, LIMIT is only supported in combination with either "
    "BYSCORE or BYLEX";
constexpr absl::string_view kWithScoresLexErr =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;

Reply InvalidExpire(absl::string_view command) {
  return Reply::Error(absl::StrCat("ERR invalid expire time in '",
                                   absl::AsciiStrToLower(command),
                                   "' command"));
}

Reply ArityError(absl::string_view command) {
  return Reply::Error(absl::StrCat("ERR wrong number of arguments for '",
                                   absl::AsciiStrToLower(command),
                                   "' command"));
}

// a + b for b >= 0, saturating at kNoTtl.
int64_t SatAdd(int64_t a, int64_t b) { return a > kNoTtl - b ? kNoTtl : a + b; }

struct Arity {
  const char* name;
  int arity;  // Redis's convention: -n means at least n
};
constexpr Arity kArities[] = {
    {"GET", 2},      {"SET", -3},    {"SETNX", 3},       {"GETSET", 3},
    {"STRLEN", 2},   {"APPEND", 3},  {"INCR", 2},        {"DECR", 2},
    {"INCRBY", 3},   {"DECRBY", 3},  {"INCRBYFLOAT", 3}, {"GETRANGE", 4},
    {"SETRANGE", 4}, {"GETDEL", 2},  {"GETEX", -2},      {"SETEX", 4},
    {"PSETEX", 4},   {"MGET", -2},   {"MSET", -3},       {"MSETNX", -3},
    {"DEL", -2},     {"EXISTS", -2}, {"TYPE", 2},        {"RENAME", 3},
    {"RENAMENX", 3}, {"KEYS", 2},    {"PING", -1},       {"ECHO", 2},
    {"SELECT", 2},   {"DBSIZE", 1},   {"EXPIRE", -3},     {"PEXPIRE", -3},
    {"PERSIST", 2},  {"LPUSH", -3},   {"RPUSH", -3},      {"LPOP", -2},
    {"RPOP", -2},    {"LRANGE", 4},   {"LLEN", 2},        {"LINDEX", 3},
    {"LREM", 4},     {"LTRIM", 4},    {"LMOVE", 5},       {"HSET", -4},
    {"HGET", 3},     {"HDEL", -3},    {"HGETALL", 2},     {"HLEN", 2},
    {"HINCRBY", 4},  {"SADD", -3},    {"SREM", -3},       {"SMEMBERS", 2},
    {"SCARD", 2},    {"SISMEMBER", 3}, {"SINTER", -2},    {"SUNIONSTORE", -3},
    {"ZADD", -4},    {"ZREM", -3},    {"ZSCORE", 3},      {"ZRANGE", -4},
    {"ZRANK", 3},    {"ZCARD", 2},    {"ZINCRBY", 4},     {"ZPOPMIN", -2},
};

const Arity* FindArity(absl::string_view name) {
  for (const Arity& a : kArities) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

bool IsOneOf(absl::string_view name,
             std::initializer_list<absl::string_view> names) {
  for (absl::string_view n : names) {
    if (name == n) return true;
  }
  return false;
}

// The flags of SET and GETEX options (parseExtendedStringArgumentsOrReply).
enum : uint32_t {
  kNx = 1,
  kXx = 2,
  kGet = 4,
  kKeepTtl = 8,
  kPersist = 16,
  kEx = 32,
  kPx = 64,
  kExAt = 128,
  kPxAt = 256,
};

bool ParseExtended(absl::Span<const std::string> args, size_t first,
                   bool for_set, uint32_t* flags, std::string* expire) {
  uint32_t& f = *flags;
  for (size_t j = first; j < args.size(); ++j) {
    const std::string opt = absl::AsciiStrToUpper(args[j]);
    const bool has_next = j + 1 < args.size();
    if (opt == "NX" && !(f & kXx) && for_set) {
      f |= kNx;
    } else if (opt == "XX" && !(f & kNx) && for_set) {
      f |= kXx;
    } else if (opt == "GET" && for_set) {
      f |= kGet;
    } else if (opt == "KEEPTTL" &&
               !(f & (kPersist | kEx | kExAt | kPx | kPxAt)) && for_set) {
      f |= kKeepTtl;
    } else if (opt == "PERSIST" && !for_set &&
               !(f & (kEx | kExAt | kPx | kPxAt | kKeepTtl))) {
      f |= kPersist;
    } else if (opt == "EX" &&
               !(f & (kKeepTtl | kPersist | kExAt | kPx | kPxAt)) && has_next) {
      f |= kEx;
      *expire = args[++j];
    } else if (opt == "PX" &&
               !(f & (kKeepTtl | kPersist | kEx | kExAt | kPxAt)) && has_next) {
      f |= kPx;
      *expire = args[++j];
    } else if (opt == "EXAT" &&
               !(f & (kKeepTtl | kPersist | kEx | kPx | kPxAt)) && has_next) {
      f |= kExAt;
      *expire = args[++j];
    } else if (opt == "PXAT" &&
               !(f & (kKeepTtl | kPersist | kEx | kExAt | kPx)) && has_next) {
      f |= kPxAt;
      *expire = args[++j];
    } else {
      return false;
    }
  }
  return true;
}

// getExpireMillisecondsOrReply: the expiry as an interval of Unix ms, or an
// error reply.
bool ExpireInterval(absl::string_view arg, uint32_t flags,
                    absl::string_view command, ExecWindow window, int64_t* lo,
                    int64_t* hi, Reply* error) {
  int64_t v;
  if (!RedisParseInt(arg, &v)) {
    *error = Reply::Error(kNotIntErr);
    return false;
  }
  const bool seconds = flags & (kEx | kExAt);
  if (v <= 0 || (seconds && v > kNoTtl / 1000)) {
    *error = InvalidExpire(command);
    return false;
  }
  if (seconds) v *= 1000;
  if (flags & (kEx | kPx)) {
    // Relative: from whenever the command ran. (A sum that wraps is an
    // error in Redis; the scenario's TTLs are far from that.)
    *lo = SatAdd(window.lo, v);
    *hi = SatAdd(window.hi, v);
  } else {
    *lo = *hi = v;
  }
  return true;
}

class Eval {
 public:
  Eval(absl::Span<const std::string> args, absl::Span<const KeyCell> cells,
       ExecWindow window)
      : args_(args),
        keys_(CommandKeys(args)),
        cells_(cells.begin(), cells.end()),
        window_(window) {}

  std::vector<ModelOutcome> Run();

 private:
  KeyCell& Cell(absl::string_view key) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == key) return cells_[i];
    }
    static KeyCell none;  // unreachable: every key of args is in keys_
    return none;
  }
  std::vector<ModelOutcome> One(Reply reply) {
    return {ModelOutcome{std::move(reply), cells_}};
  }
  static Reply BulkOrNull(const KeyCell& c) {
    return c.present ? Reply::Bulk(c.value) : Reply::Null();
  }
  static bool WrongType(const KeyCell& c, KeyType type) {
    return c.present && c.type != type;
  }
  static Reply WrongTypeError() { return Reply::Error(kWrongTypeErr); }
  // The cell of `key` as an aggregate of `type`, created if absent; the
  // caller checked the type.
  KeyCell& Create(absl::string_view key, KeyType type) {
    KeyCell& c = Cell(key);
    if (!c.present) c = KeyCell::Aggregate(type);
    return c;
  }

  std::vector<ModelOutcome> Set();
  std::vector<ModelOutcome> GetEx();
  std::vector<ModelOutcome> IncrBy(absl::string_view key, int64_t incr);
  std::vector<ModelOutcome> IncrByFloat();
  std::vector<ModelOutcome> GetRange();
  std::vector<ModelOutcome> SetRange();
  std::vector<ModelOutcome> Rename(bool nx);
  std::vector<ModelOutcome> Expire();
  std::vector<ModelOutcome> Lists(absl::string_view name);
  std::vector<ModelOutcome> Hashes(absl::string_view name);
  std::vector<ModelOutcome> Sets(absl::string_view name);
  std::vector<ModelOutcome> ZAdd();
  std::vector<ModelOutcome> ZRange();
  std::vector<ModelOutcome> SortedSets(absl::string_view name);

  absl::Span<const std::string> args_;
  std::vector<std::string> keys_;
  std::vector<KeyCell> cells_;
  ExecWindow window_;
};

std::vector<ModelOutcome> Eval::Run() {
  const std::string name = CommandName(args_);
  const Arity* arity = FindArity(name);
  if (arity == nullptr) {
    return One(Reply::Error(
        absl::StrCat("ERR model: unsupported command '", name, "'")));
  }
  const int argc = static_cast<int>(args_.size());
  if ((arity->arity > 0 && argc != arity->arity) ||
      (arity->arity < 0 && argc < -arity->arity)) {
    return One(ArityError(name));
  }
  if (name == "GET") {
    const KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
    return One(BulkOrNull(c));
  }
  if (name == "SET") return Set();
  if (name == "SETNX") {
    KeyCell& c = Cell(args_[1]);
    if (c.present) return One(Reply::Integer(0));
    c = KeyCell::Live(args_[2]);
    return One(Reply::Integer(1));
  }
  if (name == "SETEX" || name == "PSETEX") {
    int64_t lo, hi;
    Reply error;
    if (!ExpireInterval(args_[2], name == "SETEX" ? kEx : kPx, name, window_,
                        &lo, &hi, &error)) {
      return One(error);
    }
    Cell(args_[1]) = KeyCell::Live(args_[3], lo, hi);
    return One(Reply::Status("OK"));
  }
  if (name == "GETSET") {
    KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
    Reply r = BulkOrNull(c);
    c = KeyCell::Live(args_[2]);
    return One(std::move(r));
  }
  if (name == "STRLEN") {
    const KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
    return One(
        Reply::Integer(c.present ? static_cast<int64_t>(c.value.size()) : 0));
  }
  if (name == "APPEND") {
    KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
    if (!c.present) {
      c = KeyCell::Live(args_[2]);
    } else {
      if (static_cast<int64_t>(c.value.size() + args_[2].size()) > kMaxBulk) {
        return One(Reply::Error(kTooLongErr));
      }
      c.value += args_[2];
    }
    return One(Reply::Integer(static_cast<int64_t>(c.value.size())));
  }
  if (name == "INCR") return IncrBy(args_[1], 1);
  if (name == "DECR") return IncrBy(args_[1], -1);
  if (name == "INCRBY" || name == "DECRBY") {
    int64_t incr;
    if (!RedisParseInt(args_[2], &incr)) return One(Reply::Error(kNotIntErr));
    if (name == "DECRBY") {
      if (incr == std::numeric_limits<int64_t>::min()) {
        return One(Reply::Error(kDecrOverflowErr));
      }
      incr = -incr;
    }
    return IncrBy(args_[1], incr);
  }
  if (name == "INCRBYFLOAT") return IncrByFloat();
  if (name == "GETRANGE") return GetRange();
  if (name == "SETRANGE") return SetRange();
  if (name == "GETDEL") {
    KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
    Reply r = BulkOrNull(c);
    c = KeyCell::Absent();
    return One(std::move(r));
  }
  if (name == "GETEX") return GetEx();
  if (name == "MGET") {
    std::vector<Reply> out;
    for (size_t i = 1; i < args_.size(); ++i) {
      const KeyCell& c = Cell(args_[i]);
      out.push_back(c.present && c.type == KeyType::kString ? Reply::Bulk(c.value)
                                                            : Reply::Null());
    }
    return One(Reply::Array(std::move(out)));
  }
  if (name == "MSET" || name == "MSETNX") {
    if (args_.size() % 2 == 0) return One(ArityError(name));
    if (name == "MSETNX") {
      for (size_t i = 1; i < args_.size(); i += 2) {
        if (Cell(args_[i]).present) return One(Reply::Integer(0));
      }
    }
    for (size_t i = 1; i < args_.size(); i += 2) {
      Cell(args_[i]) = KeyCell::Live(args_[i + 1]);
    }
    return One(name == "MSET" ? Reply::Status("OK") : Reply::Integer(1));
  }
  if (name == "DEL") {
    int64_t n = 0;
    for (size_t i = 1; i < args_.size(); ++i) {
      KeyCell& c = Cell(args_[i]);
      if (c.present) {
        ++n;
        c = KeyCell::Absent();
      }
    }
    return One(Reply::Integer(n));
  }
  if (name == "EXISTS") {
    int64_t n = 0;
    for (size_t i = 1; i < args_.size(); ++i) n += Cell(args_[i]).present;
    return One(Reply::Integer(n));
  }
  if (name == "TYPE") {
    const KeyCell& c = Cell(args_[1]);
    return One(Reply::Status(
        c.present ? std::string(KeyTypeName(c.type)) : std::string("none")));
  }
  if (name == "RENAME") return Rename(false);
  if (name == "RENAMENX") return Rename(true);
  if (name == "PING") {
    return One(args_.size() == 1 ? Reply::Status("PONG")
                                 : Reply::Bulk(args_[1]));
  }
  if (name == "ECHO") return One(Reply::Bulk(args_[1]));
  if (name == "EXPIRE" || name == "PEXPIRE") return Expire();
  if (name == "PERSIST") {
    KeyCell& c = Cell(args_[1]);
    if (!c.present || c.expire_lo == kNoTtl) return One(Reply::Integer(0));
    // An expiry interval open to "never" is a merge (AddCell) of states
    // with and without a TTL: either reply, and no TTL after.
    const bool maybe_none = c.expire_hi == kNoTtl;
    c.expire_lo = c.expire_hi = kNoTtl;
    std::vector<ModelOutcome> out = One(Reply::Integer(1));
    if (maybe_none) out.push_back(ModelOutcome{Reply::Integer(0), cells_});
    return out;
  }
  if (name[0] == 'L' || name == "RPUSH" || name == "RPOP") return Lists(name);
  if (name[0] == 'H') return Hashes(name);
  if (name[0] == 'S' && name != "SELECT") return Sets(name);
  if (name == "ZADD") return ZAdd();
  if (name == "ZRANGE") return ZRange();
  if (name[0] == 'Z') return SortedSets(name);
  if (name == "SELECT") {
    int64_t db;
    if (!RedisParseInt(args_[1], &db)) return One(Reply::Error(kNotIntErr));
    if (db < 0 || db >= 16) return One(Reply::Error(kDbRangeErr));
    return One(Reply::Status("OK"));
  }
  return One(Reply::Error(
      absl::StrCat("ERR model: '", name, "' is checked elsewhere")));
}

std::vector<ModelOutcome> Eval::Set() {
  uint32_t flags = 0;
  std::string expire;
  if (!ParseExtended(args_, 3, /*for_set=*/true, &flags, &expire)) {
    return One(Reply::Error(kSyntaxErr));
  }
  int64_t lo = kNoTtl, hi = kNoTtl;
  if (flags & (kEx | kPx | kExAt | kPxAt)) {
    Reply error;
    if (!ExpireInterval(expire, flags, "set", window_, &lo, &hi, &error)) {
      return One(error);
    }
  }
  KeyCell& c = Cell(args_[1]);
  if ((flags & kGet) && WrongType(c, KeyType::kString)) {
    return One(WrongTypeError());
  }
  Reply old = BulkOrNull(c);
  if (((flags & kNx) && c.present) || ((flags & kXx) && !c.present)) {
    return One((flags & kGet) ? old : Reply::Null());
  }
  if ((flags & kKeepTtl) && c.present && lo == kNoTtl) {
    lo = c.expire_lo;
    hi = c.expire_hi;
  }
  c = KeyCell::Live(args_[2], lo, hi);
  return One((flags & kGet) ? old : Reply::Status("OK"));
}

std::vector<ModelOutcome> Eval::GetEx() {
  uint32_t flags = 0;
  std::string expire;
  if (!ParseExtended(args_, 2, /*for_set=*/false, &flags, &expire)) {
    return One(Reply::Error(kSyntaxErr));
  }
  KeyCell& c = Cell(args_[1]);
  if (!c.present) return One(Reply::Null());
  if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
  int64_t lo = kNoTtl, hi = kNoTtl;
  if (flags & (kEx | kPx | kExAt | kPxAt)) {
    Reply error;
    if (!ExpireInterval(expire, flags, "getex", window_, &lo, &hi, &error)) {
      return One(error);
    }
  }
  const Reply value = Reply::Bulk(c.value);
  if (flags & (kExAt | kPxAt)) {
    // An absolute time already passed deletes the key (checkAlreadyExpired:
    // when <= now); whether it passed depends on when the command ran.
    std::vector<ModelOutcome> out;
    const KeyCell before = c;
    if (lo <= window_.hi) {
      c = KeyCell::Absent();
      out.push_back(ModelOutcome{value, cells_});
    }
    if (lo > window_.lo) {
      c = KeyCell::Live(before.value, lo, hi);
      out.push_back(ModelOutcome{value, cells_});
    }
    return out;
  }
  if (flags & (kEx | kPx)) {
    c.expire_lo = lo;
    c.expire_hi = hi;
  } else if (flags & kPersist) {
    c.expire_lo = c.expire_hi = kNoTtl;
  }
  return One(value);
}

std::vector<ModelOutcome> Eval::IncrBy(absl::string_view key, int64_t incr) {
  KeyCell& c = Cell(key);
  if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
  int64_t value = 0;
  if (c.present && !RedisParseInt(c.value, &value)) {
    return One(Reply::Error(kNotIntErr));
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if ((incr < 0 && value < 0 && incr < kMin - value) ||
      (incr > 0 && value > 0 && incr > kMax - value)) {
    return One(Reply::Error(kOverflowErr));
  }
  value += incr;
  if (c.present) {
    c.value = absl::StrCat(value);  // the TTL stays
  } else {
    c = KeyCell::Live(absl::StrCat(value));
  }
  return One(Reply::Integer(value));
}

std::vector<ModelOutcome> Eval::IncrByFloat() {
  KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
  long double value = 0;
  long double incr;
  if ((c.present && !RedisParseLongDouble(c.value, &value)) ||
      !RedisParseLongDouble(args_[2], &incr)) {
    return One(Reply::Error(kNotFloatErr));
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return One(Reply::Error(kNanErr));
  std::string text = RedisFormatLongDouble(value);
  if (c.present) {
    c.value = text;
  } else {
    c = KeyCell::Live(text);
  }
  return One(Reply::Bulk(text));
}

std::vector<ModelOutcome> Eval::GetRange() {
  int64_t start, end;
  if (!RedisParseInt(args_[2], &start) || !RedisParseInt(args_[3], &end)) {
    return One(Reply::Error(kNotIntErr));
  }
  const KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
  if (!c.present) return One(Reply::Bulk(""));
  const int64_t len = static_cast<int64_t>(c.value.size());
  if (start < 0 && end < 0 && start > end) return One(Reply::Bulk(""));
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return One(Reply::Bulk(""));
  return One(Reply::Bulk(absl::string_view(c.value).substr(
      static_cast<size_t>(start), static_cast<size_t>(end - start + 1))));
}

std::vector<ModelOutcome> Eval::SetRange() {
  int64_t offset;
  if (!RedisParseInt(args_[2], &offset)) return One(Reply::Error(kNotIntErr));
  if (offset < 0) return One(Reply::Error(kOffsetErr));
  const std::string& data = args_[3];
  KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kString)) return One(WrongTypeError());
  if (!c.present) {
    if (data.empty()) return One(Reply::Integer(0));
    if (offset + static_cast<int64_t>(data.size()) > kMaxBulk) {
      return One(Reply::Error(kTooLongErr));
    }
    c = KeyCell::Live(std::string());
  } else {
    if (data.empty()) {
      return One(Reply::Integer(static_cast<int64_t>(c.value.size())));
    }
    if (offset + static_cast<int64_t>(data.size()) > kMaxBulk) {
      return One(Reply::Error(kTooLongErr));
    }
  }
  const size_t need = static_cast<size_t>(offset) + data.size();
  if (c.value.size() < need) c.value.resize(need, '\0');
  c.value.replace(static_cast<size_t>(offset), data.size(), data);
  return One(Reply::Integer(static_cast<int64_t>(c.value.size())));
}

std::vector<ModelOutcome> Eval::Rename(bool nx) {
  KeyCell& src = Cell(args_[1]);
  if (!src.present) return One(Reply::Error(kNoSuchKeyErr));
  if (args_[1] == args_[2]) {
    return One(nx ? Reply::Integer(0) : Reply::Status("OK"));
  }
  KeyCell& dst = Cell(args_[2]);
  if (dst.present && nx) return One(Reply::Integer(0));
  dst = src;  // value and expiry move together
  src = KeyCell::Absent();
  return One(nx ? Reply::Integer(1) : Reply::Status("OK"));
}

std::vector<ModelOutcome> Eval::Expire() {
  // expireGenericCommand: the number, then the key; a time already passed
  // (here: a non-positive relative one) deletes the key.
  int64_t v;
  if (!RedisParseInt(args_[2], &v)) return One(Reply::Error(kNotIntErr));
  if (args_.size() > 3) return One(Reply::Error(kSyntaxErr));  // not sent
  const bool seconds = CommandName(args_) == "EXPIRE";
  if (seconds && (v > kNoTtl / 1000 || v < -(kNoTtl / 1000))) {
    return One(InvalidExpire(CommandName(args_)));
  }
  if (seconds) v *= 1000;
  KeyCell& c = Cell(args_[1]);
  if (!c.present) return One(Reply::Integer(0));
  if (v <= 0) {
    c = KeyCell::Absent();
  } else {
    c.expire_lo = SatAdd(window_.lo, v);
    c.expire_hi = SatAdd(window_.hi, v);
  }
  return One(Reply::Integer(1));
}

// Redis's LRANGE/ZRANGE index arithmetic: [start, end] clamped to a
// sequence of `len`; false when the range is empty.
bool ClampRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

Reply BulkArray(const std::vector<std::string>& items) {
  std::vector<Reply> out;
  out.reserve(items.size());
  for (const std::string& s : items) out.push_back(Reply::Bulk(s));
  return Reply::Array(std::move(out));
}

std::vector<ModelOutcome> Eval::Lists(absl::string_view name) {
  if (name == "LPUSH" || name == "RPUSH") {
    if (WrongType(Cell(args_[1]), KeyType::kList)) {
      return One(WrongTypeError());
    }
    KeyCell& c = Create(args_[1], KeyType::kList);
    for (size_t i = 2; i < args_.size(); ++i) {
      if (name == "LPUSH") {
        c.list.insert(c.list.begin(), args_[i]);
      } else {
        c.list.push_back(args_[i]);
      }
    }
    return One(Reply::Integer(static_cast<int64_t>(c.list.size())));
  }
  if (name == "LPOP" || name == "RPOP") {
    if (args_.size() > 3) return One(ArityError(name));
    const bool has_count = args_.size() == 3;
    int64_t count = 1;
    if (has_count && (!RedisParseInt(args_[2], &count) || count < 0)) {
      return One(Reply::Error(kMustBePositiveErr));
    }
    KeyCell& c = Cell(args_[1]);
    if (!c.present) return One(Reply::Null());
    if (WrongType(c, KeyType::kList)) return One(WrongTypeError());
    std::vector<std::string> popped;
    while (static_cast<int64_t>(popped.size()) < count && !c.list.empty()) {
      if (name == "LPOP") {
        popped.push_back(c.list.front());
        c.list.erase(c.list.begin());
      } else {
        popped.push_back(c.list.back());
        c.list.pop_back();
      }
    }
    if (!has_count) return One(Reply::Bulk(popped[0]));
    return One(BulkArray(popped));
  }
  if (name == "LLEN") {
    const KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kList)) return One(WrongTypeError());
    return One(Reply::Integer(static_cast<int64_t>(c.list.size())));
  }
  if (name == "LINDEX") {
    const KeyCell& c = Cell(args_[1]);
    if (!c.present) return One(Reply::Null());
    if (WrongType(c, KeyType::kList)) return One(WrongTypeError());
    int64_t index;
    if (!RedisParseInt(args_[2], &index)) return One(Reply::Error(kNotIntErr));
    const int64_t len = static_cast<int64_t>(c.list.size());
    if (index < 0) index += len;
    if (index < 0 || index >= len) return One(Reply::Null());
    return One(Reply::Bulk(c.list[static_cast<size_t>(index)]));
  }
  if (name == "LRANGE" || name == "LTRIM") {
    int64_t start, end;
    if (!RedisParseInt(args_[2], &start) || !RedisParseInt(args_[3], &end)) {
      return One(Reply::Error(kNotIntErr));
    }
    KeyCell& c = Cell(args_[1]);
    const bool trim = name == "LTRIM";
    if (!c.present) {
      return One(trim ? Reply::Status("OK") : Reply::Array({}));
    }
    if (WrongType(c, KeyType::kList)) return One(WrongTypeError());
    std::vector<std::string> kept;
    if (ClampRange(static_cast<int64_t>(c.list.size()), &start, &end)) {
      kept.assign(c.list.begin() + start, c.list.begin() + end + 1);
    }
    if (!trim) return One(BulkArray(kept));
    c.list = std::move(kept);
    return One(Reply::Status("OK"));
  }
  if (name == "LREM") {
    int64_t count;
    if (!RedisParseInt(args_[2], &count)) return One(Reply::Error(kNotIntErr));
    KeyCell& c = Cell(args_[1]);
    if (!c.present) return One(Reply::Integer(0));
    if (WrongType(c, KeyType::kList)) return One(WrongTypeError());
    int64_t removed = 0;
    std::vector<std::string>& l = c.list;
    if (count >= 0) {
      for (size_t i = 0; i < l.size();) {
        if (l[i] == args_[3] && (count == 0 || removed < count)) {
          l.erase(l.begin() + static_cast<std::ptrdiff_t>(i));
          ++removed;
        } else {
          ++i;
        }
      }
    } else {
      for (size_t i = l.size(); i-- > 0;) {
        if (l[i] == args_[3] && removed < -count) {
          l.erase(l.begin() + static_cast<std::ptrdiff_t>(i));
          ++removed;
        }
      }
    }
    return One(Reply::Integer(removed));
  }
  if (name == "LMOVE") {
    const std::string from = absl::AsciiStrToUpper(args_[3]);
    const std::string to = absl::AsciiStrToUpper(args_[4]);
    if ((from != "LEFT" && from != "RIGHT") || (to != "LEFT" && to != "RIGHT")) {
      return One(Reply::Error(kSyntaxErr));
    }
    KeyCell& src = Cell(args_[1]);
    if (!src.present) return One(Reply::Null());
    if (WrongType(src, KeyType::kList)) return One(WrongTypeError());
    if (WrongType(Cell(args_[2]), KeyType::kList)) {
      return One(WrongTypeError());
    }
    std::string v;
    if (from == "LEFT") {
      v = src.list.front();
      src.list.erase(src.list.begin());
    } else {
      v = src.list.back();
      src.list.pop_back();
    }
    // Same key: `src` stays present while empty, so the element goes back.
    KeyCell& dst = Create(args_[2], KeyType::kList);
    if (to == "LEFT") {
      dst.list.insert(dst.list.begin(), v);
    } else {
      dst.list.push_back(v);
    }
    return One(Reply::Bulk(v));
  }
  return One(Reply::Error(absl::StrCat("ERR model: no '", name, "'")));
}

std::vector<ModelOutcome> Eval::Hashes(absl::string_view name) {
  if (name == "HSET") {
    if (args_.size() % 2 != 0) return One(ArityError(name));
    if (WrongType(Cell(args_[1]), KeyType::kHash)) {
      return One(WrongTypeError());
    }
    KeyCell& c = Create(args_[1], KeyType::kHash);
    int64_t created = 0;
    for (size_t i = 2; i + 1 < args_.size(); i += 2) {
      created += c.hash.count(args_[i]) == 0;
      c.hash[args_[i]] = args_[i + 1];
    }
    return One(Reply::Integer(created));
  }
  if (name == "HINCRBY") {
    int64_t incr;
    if (!RedisParseInt(args_[3], &incr)) return One(Reply::Error(kNotIntErr));
    if (WrongType(Cell(args_[1]), KeyType::kHash)) {
      return One(WrongTypeError());
    }
    KeyCell& c = Create(args_[1], KeyType::kHash);
    int64_t value = 0;
    auto it = c.hash.find(args_[2]);
    if (it != c.hash.end() && !RedisParseInt(it->second, &value)) {
      return One(Reply::Error(kHashNotIntErr));
    }
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if ((incr < 0 && value < 0 && incr < kMin - value) ||
        (incr > 0 && value > 0 && incr > kMax - value)) {
      return One(Reply::Error(kOverflowErr));
    }
    value += incr;
    c.hash[args_[2]] = absl::StrCat(value);
    return One(Reply::Integer(value));
  }
  KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kHash)) return One(WrongTypeError());
  if (name == "HGET") {
    auto it = c.hash.find(args_[2]);
    return One(it == c.hash.end() ? Reply::Null() : Reply::Bulk(it->second));
  }
  if (name == "HDEL") {
    int64_t removed = 0;
    for (size_t i = 2; i < args_.size(); ++i) removed += c.hash.erase(args_[i]);
    return One(Reply::Integer(removed));
  }
  if (name == "HLEN") {
    return One(Reply::Integer(static_cast<int64_t>(c.hash.size())));
  }
  if (name == "HGETALL") {
    std::vector<std::string> flat;
    for (const auto& [f, v] : c.hash) {
      flat.push_back(f);
      flat.push_back(v);
    }
    return One(BulkArray(flat));
  }
  return One(Reply::Error(absl::StrCat("ERR model: no '", name, "'")));
}

std::vector<ModelOutcome> Eval::Sets(absl::string_view name) {
  if (name == "SADD") {
    if (WrongType(Cell(args_[1]), KeyType::kSet)) return One(WrongTypeError());
    KeyCell& c = Create(args_[1], KeyType::kSet);
    int64_t added = 0;
    for (size_t i = 2; i < args_.size(); ++i) {
      added += c.set.insert(args_[i]).second;
    }
    return One(Reply::Integer(added));
  }
  if (name == "SINTER" || name == "SUNIONSTORE") {
    // Every source is looked up and type-checked first (7.0 checks the
    // ones after a missing key too); missing ones are empty sets.
    const bool store = name == "SUNIONSTORE";
    const size_t first = store ? 2 : 1;
    for (size_t i = first; i < args_.size(); ++i) {
      if (WrongType(Cell(args_[i]), KeyType::kSet)) {
        return One(WrongTypeError());
      }
    }
    std::set<std::string> result;
    if (store) {
      for (size_t i = first; i < args_.size(); ++i) {
        const KeyCell& c = Cell(args_[i]);
        result.insert(c.set.begin(), c.set.end());
      }
      KeyCell& dst = Cell(args_[1]);
      dst = KeyCell::Aggregate(KeyType::kSet);  // any old type and TTL go
      dst.set = result;
      return One(Reply::Integer(static_cast<int64_t>(result.size())));
    }
    result = Cell(args_[first]).set;
    for (size_t i = first + 1; i < args_.size(); ++i) {
      const std::set<std::string>& other = Cell(args_[i]).set;
      for (auto it = result.begin(); it != result.end();) {
        it = other.count(*it) ? std::next(it) : result.erase(it);
      }
    }
    return One(
        BulkArray(std::vector<std::string>(result.begin(), result.end())));
  }
  KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kSet)) return One(WrongTypeError());
  if (name == "SREM") {
    int64_t removed = 0;
    for (size_t i = 2; i < args_.size(); ++i) removed += c.set.erase(args_[i]);
    return One(Reply::Integer(removed));
  }
  if (name == "SMEMBERS") {
    return One(BulkArray(std::vector<std::string>(c.set.begin(), c.set.end())));
  }
  if (name == "SCARD") {
    return One(Reply::Integer(static_cast<int64_t>(c.set.size())));
  }
  if (name == "SISMEMBER") return One(Reply::Integer(c.set.count(args_[2])));
  return One(Reply::Error(absl::StrCat("ERR model: no '", name, "'")));
}

// A sorted set's elements in Redis's order: by score, then member bytes.
std::vector<std::pair<std::string, double>> Ordered(const KeyCell& c) {
  std::vector<std::pair<std::string, double>> out(c.zset.begin(),
                                                  c.zset.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second < b.second;  // ties keep the map's member order
  });
  return out;
}

std::vector<ModelOutcome> Eval::ZAdd() {
  enum : uint32_t { kZNx = 1, kZXx = 2, kZGt = 4, kZLt = 8, kZCh = 16,
                    kZIncr = 32 };
  uint32_t f = 0;
  size_t j = 2;
  for (; j < args_.size(); ++j) {
    const std::string opt = absl::AsciiStrToUpper(args_[j]);
    if (opt == "NX") f |= kZNx;
    else if (opt == "XX") f |= kZXx;
    else if (opt == "GT") f |= kZGt;
    else if (opt == "LT") f |= kZLt;
    else if (opt == "CH") f |= kZCh;
    else if (opt == "INCR") f |= kZIncr;
    else break;
  }
  const size_t elements = args_.size() - j;
  if (elements == 0 || elements % 2 != 0) return One(Reply::Error(kSyntaxErr));
  if ((f & kZNx) && (f & kZXx)) return One(Reply::Error(kZaddNxXxErr));
  if (((f & kZGt) && (f & kZNx)) || ((f & kZLt) && (f & kZNx)) ||
      ((f & kZGt) && (f & kZLt))) {
    return One(Reply::Error(kZaddGtLtNxErr));
  }
  if ((f & kZIncr) && elements > 2) return One(Reply::Error(kZaddIncrErr));
  std::vector<double> scores;
  for (size_t i = j; i < args_.size(); i += 2) {
    double d;
    if (!RedisParseDouble(args_[i], &d)) return One(Reply::Error(kNotFloatErr));
    scores.push_back(d);
  }
  KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kZset)) return One(WrongTypeError());
  if (!c.present && (f & kZXx)) {
    return One((f & kZIncr) ? Reply::Null() : Reply::Integer(0));
  }
  Create(args_[1], KeyType::kZset);
  int64_t added = 0, updated = 0;
  bool processed = false;
  double last = 0;
  for (size_t e = 0; e < scores.size(); ++e) {
    const std::string& member = args_[j + 2 * e + 1];
    double score = scores[e];
    auto it = c.zset.find(member);
    if (it != c.zset.end()) {
      if (f & kZNx) continue;
      if (f & kZIncr) {
        score += it->second;
        if (std::isnan(score)) return One(Reply::Error(kZscoreNanErr));
      }
      if (((f & kZGt) && score <= it->second) ||
          ((f & kZLt) && score >= it->second)) {
        continue;
      }
      processed = true;
      last = score;
      if (score != it->second) {
        it->second = score;
        ++updated;
      }
    } else {
      if (f & kZXx) continue;
      c.zset[member] = score;
      ++added;
      processed = true;
      last = score;
    }
  }
  if (f & kZIncr) {
    return One(processed ? Reply::Bulk(RedisFormatDouble(last))
                         : Reply::Null());
  }
  return One(Reply::Integer((f & kZCh) ? added + updated : added));
}

// zslParseRange's half of a score range: "(x" exclusive, else inclusive.
bool ParseScoreBound(absl::string_view s, double* v, bool* exclusive) {
  *exclusive = !s.empty() && s[0] == '(';
  if (*exclusive) s.remove_prefix(1);
  std::string buf(s);
  char* end;
  *v = strtod(buf.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

std::vector<ModelOutcome> Eval::ZRange() {
  bool with_scores = false, rev = false, by_score = false, by_lex = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = 4; j < args_.size(); ++j) {
    const std::string opt = absl::AsciiStrToUpper(args_[j]);
    const size_t left = args_.size() - j - 1;
    if (opt == "WITHSCORES") {
      with_scores = true;
    } else if (opt == "LIMIT" && left >= 2) {
      if (!RedisParseInt(args_[j + 1], &offset) ||
          !RedisParseInt(args_[j + 2], &limit)) {
        return One(Reply::Error(kNotIntErr));
      }
      j += 2;
    } else if (!rev && opt == "REV") {
      rev = true;
    } else if (!by_score && !by_lex && opt == "BYLEX") {
      by_lex = true;
    } else if (!by_score && !by_lex && opt == "BYSCORE") {
      by_score = true;
    } else {
      return One(Reply::Error(kSyntaxErr));
    }
  }
  if (limit != -1 && !by_score && !by_lex) return One(Reply::Error(kLimitErr));
  if (with_scores && by_lex) return One(Reply::Error(kWithScoresLexErr));
  if (by_lex) return One(Reply::Error("ERR model: BYLEX is not modelled"));
  std::vector<std::pair<std::string, double>> picked;
  auto elements = [&](const KeyCell& c) {
    std::vector<std::pair<std::string, double>> all = Ordered(c);
    if (rev) std::reverse(all.begin(), all.end());
    return all;
  };
  if (by_score) {
    double min, max;
    bool min_ex, max_ex;
    // REV takes the range as max, min.
    const std::string& lo_arg = rev ? args_[3] : args_[2];
    const std::string& hi_arg = rev ? args_[2] : args_[3];
    if (!ParseScoreBound(lo_arg, &min, &min_ex) ||
        !ParseScoreBound(hi_arg, &max, &max_ex)) {
      return One(Reply::Error(kMinMaxErr));
    }
    const KeyCell& c = Cell(args_[1]);
    if (!c.present) return One(Reply::Array({}));
    if (WrongType(c, KeyType::kZset)) return One(WrongTypeError());
    if (offset < 0) return One(Reply::Array({}));
    int64_t skip = offset;
    for (const auto& e : elements(c)) {
      const bool in = (min_ex ? e.second > min : e.second >= min) &&
                      (max_ex ? e.second < max : e.second <= max);
      if (!in) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      if (limit >= 0 && static_cast<int64_t>(picked.size()) >= limit) break;
      picked.push_back(e);
    }
  } else {
    int64_t start, end;
    if (!RedisParseInt(args_[2], &start) || !RedisParseInt(args_[3], &end)) {
      return One(Reply::Error(kNotIntErr));
    }
    const KeyCell& c = Cell(args_[1]);
    if (!c.present) return One(Reply::Array({}));
    if (WrongType(c, KeyType::kZset)) return One(WrongTypeError());
    const auto all = elements(c);
    if (ClampRange(static_cast<int64_t>(all.size()), &start, &end)) {
      picked.assign(all.begin() + start, all.begin() + end + 1);
    }
  }
  std::vector<Reply> out;
  for (const auto& [member, score] : picked) {
    out.push_back(Reply::Bulk(member));
    if (with_scores) out.push_back(Reply::Bulk(RedisFormatDouble(score)));
  }
  return One(Reply::Array(std::move(out)));
}

std::vector<ModelOutcome> Eval::SortedSets(absl::string_view name) {
  if (name == "ZINCRBY") {
    double incr;
    if (!RedisParseDouble(args_[2], &incr)) {
      return One(Reply::Error(kNotFloatErr));
    }
    KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kZset)) return One(WrongTypeError());
    Create(args_[1], KeyType::kZset);
    auto it = c.zset.find(args_[3]);
    const double score = (it == c.zset.end() ? 0 : it->second) + incr;
    if (std::isnan(score)) return One(Reply::Error(kZscoreNanErr));
    c.zset[args_[3]] = score;
    return One(Reply::Bulk(RedisFormatDouble(score)));
  }
  if (name == "ZPOPMIN") {
    if (args_.size() > 3) return One(Reply::Error(kSyntaxErr));
    int64_t count = 1;
    if (args_.size() == 3 && (!RedisParseInt(args_[2], &count) || count < 0)) {
      return One(Reply::Error(kMustBePositiveErr));
    }
    KeyCell& c = Cell(args_[1]);
    if (WrongType(c, KeyType::kZset)) return One(WrongTypeError());
    std::vector<std::string> flat;
    const auto all = Ordered(c);
    for (int64_t i = 0; i < count && i < static_cast<int64_t>(all.size());
         ++i) {
      flat.push_back(all[i].first);
      flat.push_back(RedisFormatDouble(all[i].second));
      c.zset.erase(all[i].first);
    }
    return One(BulkArray(flat));
  }
  KeyCell& c = Cell(args_[1]);
  if (WrongType(c, KeyType::kZset)) return One(WrongTypeError());
  if (name == "ZREM") {
    int64_t removed = 0;
    for (size_t i = 2; i < args_.size(); ++i) removed += c.zset.erase(args_[i]);
    return One(Reply::Integer(removed));
  }
  if (name == "ZSCORE") {
    auto it = c.zset.find(args_[2]);
    return One(it == c.zset.end() ? Reply::Null()
                                  : Reply::Bulk(RedisFormatDouble(it->second)));
  }
  if (name == "ZCARD") {
    return One(Reply::Integer(static_cast<int64_t>(c.zset.size())));
  }
  if (name == "ZRANK") {
    const auto all = Ordered(c);
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].first == args_[2]) {
        return One(Reply::Integer(static_cast<int64_t>(i)));
      }
    }
    return One(Reply::Null());
  }
  return One(Reply::Error(absl::StrCat("ERR model: no '", name, "'")));
}

void AddReply(std::vector<Reply>& replies, const Reply& r) {
  for (const Reply& x : replies) {
    if (x == r) return;
  }
  replies.push_back(r);
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, ch));
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

struct QuoteFormatter {
  void operator()(std::string* out, const std::string& s) const {
    out->append(Quote(s));
  }
};

std::string DescribeCells(const std::vector<KeyCell>& cells) {
  std::vector<std::string> parts;
  for (const KeyCell& c : cells) parts.push_back(c.DebugString());
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

}  // namespace

absl::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kString:
      return "string";
    case KeyType::kList:
      return "list";
    case KeyType::kHash:
      return "hash";
    case KeyType::kSet:
      return "set";
    case KeyType::kZset:
      return "zset";
  }
  return "?";
}

bool KeyCell::SameValue(const KeyCell& o) const {
  if (present != o.present) return false;
  if (!present) return true;
  if (type != o.type) return false;
  switch (type) {
    case KeyType::kString:
      return value == o.value;
    case KeyType::kList:
      return list == o.list;
    case KeyType::kHash:
      return hash == o.hash;
    case KeyType::kSet:
      return set == o.set;
    case KeyType::kZset:
      return zset == o.zset;
  }
  return false;
}

bool KeyCell::EmptyAggregate() const {
  switch (type) {
    case KeyType::kString:
      return false;
    case KeyType::kList:
      return present && list.empty();
    case KeyType::kHash:
      return present && hash.empty();
    case KeyType::kSet:
      return present && set.empty();
    case KeyType::kZset:
      return present && zset.empty();
  }
  return false;
}

std::string KeyCell::DebugString() const {
  if (!present) return "absent";
  std::string shown;
  switch (type) {
    case KeyType::kString:
      shown = Quote(value);
      break;
    case KeyType::kList:
      shown = absl::StrCat("list[", absl::StrJoin(list, ",", QuoteFormatter()),
                           "]");
      break;
    case KeyType::kHash: {
      std::vector<std::string> parts;
      for (const auto& [f, v] : hash) {
        parts.push_back(absl::StrCat(Quote(f), ":", Quote(v)));
      }
      shown = absl::StrCat("hash{", absl::StrJoin(parts, ","), "}");
      break;
    }
    case KeyType::kSet:
      shown = absl::StrCat("set{", absl::StrJoin(set, ",", QuoteFormatter()),
                           "}");
      break;
    case KeyType::kZset: {
      std::vector<std::string> parts;
      for (const auto& [m, sc] : Ordered(*this)) {
        parts.push_back(absl::StrCat(Quote(m), ":", RedisFormatDouble(sc)));
      }
      shown = absl::StrCat("zset{", absl::StrJoin(parts, ","), "}");
      break;
    }
  }
  if (expire_lo == kNoTtl) return shown;
  return absl::StrCat(
      shown, " ttl@[", expire_lo, ",",
      expire_hi == kNoTtl ? std::string("never") : absl::StrCat(expire_hi),
      "]");
}

std::string CommandName(absl::Span<const std::string> args) {
  return args.empty() ? std::string() : absl::AsciiStrToUpper(args[0]);
}

std::vector<std::string> CommandKeys(absl::Span<const std::string> args) {
  std::vector<std::string> keys;
  auto add = [&](const std::string& k) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  const std::string name = CommandName(args);
  if (args.size() < 2) return keys;
  if (IsOneOf(name, {"MGET", "DEL", "EXISTS"})) {
    for (size_t i = 1; i < args.size(); ++i) add(args[i]);
  } else if (IsOneOf(name, {"MSET", "MSETNX"})) {
    for (size_t i = 1; i < args.size(); i += 2) add(args[i]);
  } else if (IsOneOf(name, {"RENAME", "RENAMENX"})) {
    add(args[1]);
    if (args.size() > 2) add(args[2]);
  } else if (IsOneOf(name, {"SINTER", "SUNIONSTORE"})) {
    for (size_t i = 1; i < args.size(); ++i) add(args[i]);
  } else if (name == "LMOVE") {
    add(args[1]);
    if (args.size() > 2) add(args[2]);
  } else if (IsOneOf(name, {"EXPIRE", "PEXPIRE", "PERSIST", "LPUSH", "RPUSH",
                            "LPOP", "RPOP", "LRANGE", "LLEN", "LINDEX", "LREM",
                            "LTRIM", "HSET", "HGET", "HDEL", "HGETALL", "HLEN",
                            "HINCRBY", "SADD", "SREM", "SMEMBERS", "SCARD",
                            "SISMEMBER", "ZADD", "ZREM", "ZSCORE", "ZRANGE",
                            "ZRANK", "ZCARD", "ZINCRBY", "ZPOPMIN"})) {
    add(args[1]);
  } else if (IsOneOf(name, {"GET", "SET", "SETNX", "GETSET", "STRLEN", "APPEND",
                            "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT",
                            "GETRANGE", "SETRANGE", "GETDEL", "GETEX", "SETEX",
                            "PSETEX", "TYPE"})) {
    add(args[1]);
  }
  return keys;
}

bool IsWriteCommand(absl::Span<const std::string> args) {
  return IsOneOf(
      CommandName(args),
      {"SET",      "SETNX",   "GETSET",      "APPEND",   "INCR",   "DECR",
       "INCRBY",   "DECRBY",  "INCRBYFLOAT", "SETRANGE", "GETDEL", "GETEX",
       "SETEX",    "PSETEX",  "MSET",        "MSETNX",   "DEL",    "RENAME",
       "RENAMENX", "FLUSHDB", "FLUSHALL", "EXPIRE", "PEXPIRE", "PERSIST",
       "LPUSH",    "RPUSH",   "LPOP",        "RPOP",     "LREM",   "LTRIM",
       "LMOVE",    "HSET",    "HDEL",        "HINCRBY",  "SADD",   "SREM",
       "SUNIONSTORE", "ZADD", "ZREM",        "ZINCRBY",  "ZPOPMIN"});
}

std::vector<ModelOutcome> EvalCommand(absl::Span<const std::string> args,
                                      absl::Span<const KeyCell> cells,
                                      ExecWindow window) {
  std::vector<ModelOutcome> out = Eval(args, cells, window).Run();
  // Redis deletes an aggregate that a command emptied.
  for (ModelOutcome& o : out) {
    for (KeyCell& c : o.cells) {
      if (c.EmptyAggregate()) c = KeyCell::Absent();
    }
  }
  return out;
}

bool RedisParseDouble(absl::string_view s, double* out) {
  if (s.empty() || s.size() >= 5 * 1024) return false;
  std::string buf(s);
  char* end;
  errno = 0;
  const double v = strtod(buf.c_str(), &end);
  if (isspace(static_cast<unsigned char>(buf[0])) ||
      end != buf.c_str() + buf.size() ||
      (errno == ERANGE &&
       (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) ||
      std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

std::string RedisFormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const int n = snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, static_cast<size_t>(std::max(n, 0)));
}

Reply CanonicalReply(absl::Span<const std::string> args, Reply reply) {
  const std::string name = CommandName(args);
  if (reply.type != Reply::Type::kArray) return reply;
  for (const Reply& e : reply.elements) {
    if (e.type != Reply::Type::kBulk) return reply;
  }
  auto by_str = [](const Reply& a, const Reply& b) { return a.str < b.str; };
  if (name == "SMEMBERS" || name == "SINTER") {
    std::sort(reply.elements.begin(), reply.elements.end(), by_str);
  } else if (name == "HGETALL" && reply.elements.size() % 2 == 0) {
    std::vector<std::pair<Reply, Reply>> pairs;
    for (size_t i = 0; i < reply.elements.size(); i += 2) {
      pairs.emplace_back(reply.elements[i], reply.elements[i + 1]);
    }
    std::sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
      return a.first.str != b.first.str ? a.first.str < b.first.str
                                        : a.second.str < b.second.str;
    });
    reply.elements.clear();
    for (auto& [f, v] : pairs) {
      reply.elements.push_back(std::move(f));
      reply.elements.push_back(std::move(v));
    }
  }
  return reply;
}

bool RedisParseInt(absl::string_view s, int64_t* out) {
  // string2ll: no spaces, no '+', no leading zeros, at most 20 bytes.
  if (s.empty() || s.size() >= 21) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  unsigned long long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const unsigned d = static_cast<unsigned>(s[i] - '0');
    if (v > ~0ULL / 10) return false;
    v *= 10;
    if (v > ~0ULL - d) return false;
    v += d;
  }
  if (negative) {
    if (v > static_cast<unsigned long long>(
                -(std::numeric_limits<int64_t>::min() + 1)) +
                1) {
      return false;
    }
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v >
        static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool RedisParseLongDouble(absl::string_view s, long double* out) {
  // string2ld: strtold over a NUL-terminated copy, which must consume every
  // byte (an embedded NUL ends the parse early and is refused, as
  // redis-server 7.0.15 does); no leading space, no overflow, no NaN.
  constexpr size_t kMaxChars = 5 * 1024;
  if (s.empty() || s.size() >= kMaxChars) return false;
  std::string buf(s);
  char* end;
  errno = 0;
  const long double v = strtold(buf.c_str(), &end);
  if (isspace(static_cast<unsigned char>(buf[0])) ||
      end != buf.c_str() + buf.size() ||
      (errno == ERANGE &&
       (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) ||
      errno == EINVAL || std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

std::string RedisFormatLongDouble(long double v) {
  char buf[5 * 1024];
  int n = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n < 0 || n + 1 > static_cast<int>(sizeof(buf))) return std::string();
  if (memchr(buf, '.', n) != nullptr) {
    while (n > 0 && buf[n - 1] == '0') --n;
    if (n > 0 && buf[n - 1] == '.') --n;
  }
  if (n == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, n);
}

std::vector<KeyCell> Branches(const KeyCell& cell, ExecWindow window,
                              int64_t high_water) {
  if (!cell.present || cell.expire_lo == kNoTtl) return {cell};
  std::vector<KeyCell> out;
  // Live: the command ran no later than the expiry (lenient by 1 ms).
  if (window.lo <= cell.expire_hi) {
    KeyCell live = cell;
    live.expire_lo = std::max(live.expire_lo, window.lo);
    out.push_back(std::move(live));
  }
  // Gone: the clock may have reached the expiry by then.
  if (high_water >= cell.expire_lo || out.empty()) {
    out.push_back(KeyCell::Absent());
  }
  return out;
}

void AddCell(std::vector<KeyCell>& cells, const KeyCell& cell) {
  for (KeyCell& c : cells) {
    if (c.SameValue(cell)) {
      c.expire_lo = std::min(c.expire_lo, cell.expire_lo);
      c.expire_hi = std::max(c.expire_hi, cell.expire_hi);
      return;
    }
  }
  cells.push_back(cell);
}

// ---------------------------------------------------------------------------
// KeyspaceModel

const KeyspaceModel::KeyState& KeyspaceModel::state(
    absl::string_view key) const {
  static const KeyState* const kUntouched = new KeyState();
  auto it = keys_.find(std::string(key));
  return it == keys_.end() ? *kUntouched : it->second;
}

KeyspaceModel::KeyState& KeyspaceModel::Get(const std::string& key) {
  return keys_[key];
}

void KeyspaceModel::set_cells(const std::string& key,
                              std::vector<KeyCell> cells) {
  Get(key).cells = std::move(cells);
}

std::string KeyspaceModel::Describe(absl::string_view key) const {
  const KeyState& st = state(key);
  if (st.unknown) return "unknown";
  return absl::StrCat(DescribeCells(st.cells), st.retired ? " (retired)" : "");
}

void KeyspaceModel::MakeUnknown(const std::string& key,
                                std::vector<std::string>* retire) {
  KeyState& st = Get(key);
  if (!st.unknown) ++unknown_keys_;
  st.unknown = true;
  st.retired = true;
  st.cells.clear();
  if (retire != nullptr) retire->push_back(key);
}

bool KeyspaceModel::Enumerate(
    absl::Span<const std::string> args, const std::vector<std::string>& keys,
    const std::vector<std::vector<KeyCell>>& inputs, ExecWindow window,
    int64_t high_water,
    std::vector<std::pair<std::vector<KeyCell>, ModelOutcome>>* outcomes) {
  std::vector<std::vector<KeyCell>> branches(keys.size());
  size_t product = 1;
  for (size_t i = 0; i < keys.size(); ++i) {
    for (const KeyCell& c : inputs[i]) {
      for (const KeyCell& b : Branches(c, window, high_water)) {
        AddCell(branches[i], b);
      }
    }
    if (branches[i].empty()) return false;
    product *= branches[i].size();
    if (product > kMaxCombinations) return false;
  }
  std::vector<size_t> pick(keys.size(), 0);
  std::vector<KeyCell> combo(keys.size());
  for (;;) {
    for (size_t i = 0; i < keys.size(); ++i) combo[i] = branches[i][pick[i]];
    for (ModelOutcome& o : EvalCommand(args, combo, window)) {
      outcomes->emplace_back(combo, std::move(o));
    }
    size_t i = 0;
    while (i < keys.size() && ++pick[i] == branches[i].size()) pick[i++] = 0;
    if (i == keys.size()) break;
  }
  return true;
}

std::vector<Reply> KeyspaceModel::Predict(absl::Span<const std::string> args,
                                          ExecWindow window,
                                          int64_t high_water) {
  const std::string name = CommandName(args);
  if (name == "KEYS" || name == "DBSIZE") return {};
  const std::vector<std::string> keys = CommandKeys(args);
  std::vector<std::vector<KeyCell>> inputs;
  for (const std::string& k : keys) {
    const KeyState& st = state(k);
    if (st.unknown) return {};
    inputs.push_back(st.cells);
  }
  std::vector<std::pair<std::vector<KeyCell>, ModelOutcome>> outcomes;
  if (!Enumerate(args, keys, inputs, window, high_water, &outcomes)) return {};
  std::vector<Reply> replies;
  for (const auto& [combo, o] : outcomes) AddReply(replies, o.reply);
  return replies;
}

std::string KeyspaceModel::Observe(absl::Span<const std::string> args,
                                   ExecWindow window, int64_t high_water,
                                   const Reply& observed,
                                   std::vector<std::string>* retire) {
  // Unordered replies compare as multisets.
  const Reply reply = CanonicalReply(args, observed);
  const std::string name = CommandName(args);
  if (name == "KEYS" && args.size() == 2) {
    return ObserveKeys(args[1], window, high_water, reply);
  }
  if (name == "DBSIZE" && args.size() == 1) {
    return ObserveDbSize(high_water, reply);
  }
  const std::vector<std::string> keys = CommandKeys(args);
  const bool write = IsWriteCommand(args);
  auto give_up = [&] {
    ++unknown_outcomes_;
    if (write) {
      for (const std::string& k : keys) MakeUnknown(k, retire);
    }
    return std::string();
  };
  std::vector<std::vector<KeyCell>> inputs;
  for (const std::string& k : keys) {
    const KeyState& st = state(k);
    if (st.unknown) return give_up();
    inputs.push_back(st.cells);
  }
  std::vector<std::pair<std::vector<KeyCell>, ModelOutcome>> outcomes;
  if (!Enumerate(args, keys, inputs, window, high_water, &outcomes)) {
    return give_up();
  }
  std::vector<std::vector<KeyCell>> after(keys.size());
  std::vector<Reply> allowed;
  bool matched = false;
  for (const auto& [combo, o] : outcomes) {
    AddReply(allowed, o.reply);
    if (o.reply != reply) continue;
    matched = true;
    for (size_t i = 0; i < keys.size(); ++i) AddCell(after[i], o.cells[i]);
  }
  if (!matched) {
    std::vector<std::string> shown;
    for (const Reply& r : allowed) shown.push_back(r.DebugString());
    std::string msg = absl::StrCat(
        "replied ", reply.DebugString(), "; the model allows ",
        absl::StrJoin(shown, " | "), "; ran in wall ms [", window.lo, ",",
        window.hi, "], clock high water ", high_water);
    for (const std::string& k : keys) {
      absl::StrAppend(&msg, "; ", k, " = ", Describe(k));
    }
    return msg;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    KeyState& st = Get(keys[i]);
    if (st.retired) continue;  // a late write may still land: keep it wide
    st.cells = std::move(after[i]);
    if (st.cells.size() > kMaxCells) MakeUnknown(keys[i], retire);
  }
  return "";
}

std::string KeyspaceModel::ObserveKeys(absl::string_view pattern,
                                       ExecWindow window, int64_t high_water,
                                       const Reply& reply) {
  if (reply.type != Reply::Type::kArray) {
    return absl::StrCat("KEYS replied ", reply.DebugString(),
                        "; expected an array");
  }
  std::set<std::string> listed;
  for (const Reply& e : reply.elements) {
    if (e.type != Reply::Type::kBulk) {
      return absl::StrCat("KEYS listed a non-string ", e.DebugString());
    }
    if (!listed.insert(e.str).second) {
      return absl::StrCat("KEYS listed ", Quote(e.str), " twice");
    }
  }
  for (auto& [key, st] : keys_) {
    if (!GlobMatch(pattern, key)) continue;
    const bool in = listed.erase(key) > 0;
    if (st.unknown) continue;
    bool can_present = false, can_absent = false;
    std::vector<KeyCell> kept;
    for (const KeyCell& c : st.cells) {
      for (const KeyCell& b : Branches(c, window, high_water)) {
        (b.present ? can_present : can_absent) = true;
        if (b.present == in) AddCell(kept, b);
      }
    }
    if (in && !can_present) {
      return absl::StrCat("KEYS ", pattern, " lists ", Quote(key),
                          ", which cannot exist: ", Describe(key),
                          "; ran in wall ms [", window.lo, ",", window.hi, "]");
    }
    if (!in && !can_absent) {
      return absl::StrCat("KEYS ", pattern, " misses ", Quote(key), ": ",
                          Describe(key), "; ran in wall ms [", window.lo, ",",
                          window.hi, "], clock high water ", high_water);
    }
    if (!st.retired) st.cells = std::move(kept);
  }
  if (!listed.empty()) {
    std::vector<std::string> names;
    for (const std::string& k : listed) names.push_back(Quote(k));
    return absl::StrCat("KEYS ", pattern, " lists keys never written: ",
                        absl::StrJoin(names, ", "));
  }
  return "";
}

std::string KeyspaceModel::ObserveDbSize(int64_t high_water,
                                         const Reply& reply) {
  if (reply.type != Reply::Type::kInteger) {
    return absl::StrCat("DBSIZE replied ", reply.DebugString());
  }
  // Expired keys count until something deletes them: a key with any
  // present state may count; one that is surely present and whose expiry
  // the clock cannot have reached must.
  int64_t must = 0, can = 0;
  for (const auto& [key, st] : keys_) {
    if (st.unknown) {
      ++can;
      continue;
    }
    bool any = false, all = !st.cells.empty();
    for (const KeyCell& c : st.cells) {
      if (c.present) any = true;
      if (!c.present || c.expire_lo <= high_water) all = false;
    }
    can += any;
    must += all;
  }
  if (reply.integer < must || reply.integer > can) {
    return absl::StrCat("DBSIZE replied ", reply.integer,
                        "; the model allows [", must, ",", can, "]");
  }
  return "";
}

void KeyspaceModel::Uncertain(
    const std::vector<std::vector<std::string>>& commands,
    std::vector<std::string>* retire) {
  // after[k]: k's states if every write so far in the chain ran;
  // total[k]: k's states whatever prefix ran.
  std::map<std::string, std::vector<KeyCell>> after, total;
  std::set<std::string> unknown;
  // It may run at any time from now on, also after the clock jumps back.
  const ExecWindow any{0, kUnbounded};
  for (const std::vector<std::string>& cmd : commands) {
    if (!IsWriteCommand(cmd)) continue;
    const std::vector<std::string> keys = CommandKeys(cmd);
    bool give_up = false;
    std::vector<std::vector<KeyCell>> inputs;
    for (const std::string& k : keys) {
      if (state(k).unknown || unknown.count(k)) give_up = true;
      auto it = after.find(k);
      inputs.push_back(it != after.end() ? it->second : state(k).cells);
    }
    std::vector<std::pair<std::vector<KeyCell>, ModelOutcome>> outcomes;
    if (give_up || !Enumerate(cmd, keys, inputs, any, kUnbounded, &outcomes)) {
      ++unknown_outcomes_;
      for (const std::string& k : keys) unknown.insert(k);
      continue;
    }
    std::vector<std::vector<KeyCell>> next(keys.size());
    for (const auto& [combo, o] : outcomes) {
      for (size_t i = 0; i < keys.size(); ++i) AddCell(next[i], o.cells[i]);
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      auto [it, fresh] = total.try_emplace(keys[i]);
      if (fresh) it->second = state(keys[i]).cells;
      for (const KeyCell& c : next[i]) AddCell(it->second, c);
      after[keys[i]] = std::move(next[i]);
    }
  }
  for (auto& [k, cells] : total) {
    if (unknown.count(k)) continue;
    KeyState& st = Get(k);
    st.cells = std::move(cells);
    st.retired = true;
    if (retire != nullptr) retire->push_back(k);
    if (st.cells.size() > kMaxCells) MakeUnknown(k, nullptr);
  }
  for (const std::string& k : unknown) MakeUnknown(k, retire);
}

}  // namespace twinkv::sim
