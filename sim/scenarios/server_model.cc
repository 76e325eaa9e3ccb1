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
    {"SELECT", 2},   {"DBSIZE", 1},
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

  std::vector<ModelOutcome> Set();
  std::vector<ModelOutcome> GetEx();
  std::vector<ModelOutcome> IncrBy(absl::string_view key, int64_t incr);
  std::vector<ModelOutcome> IncrByFloat();
  std::vector<ModelOutcome> GetRange();
  std::vector<ModelOutcome> SetRange();
  std::vector<ModelOutcome> Rename(bool nx);

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
  if (name == "GET") return One(BulkOrNull(Cell(args_[1])));
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
    Reply r = BulkOrNull(c);
    c = KeyCell::Live(args_[2]);
    return One(std::move(r));
  }
  if (name == "STRLEN") {
    const KeyCell& c = Cell(args_[1]);
    return One(
        Reply::Integer(c.present ? static_cast<int64_t>(c.value.size()) : 0));
  }
  if (name == "APPEND") {
    KeyCell& c = Cell(args_[1]);
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
    Reply r = BulkOrNull(c);
    c = KeyCell::Absent();
    return One(std::move(r));
  }
  if (name == "GETEX") return GetEx();
  if (name == "MGET") {
    std::vector<Reply> out;
    for (size_t i = 1; i < args_.size(); ++i) {
      out.push_back(BulkOrNull(Cell(args_[i])));
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
    return One(Reply::Status(Cell(args_[1]).present ? "string" : "none"));
  }
  if (name == "RENAME") return Rename(false);
  if (name == "RENAMENX") return Rename(true);
  if (name == "PING") {
    return One(args_.size() == 1 ? Reply::Status("PONG")
                                 : Reply::Bulk(args_[1]));
  }
  if (name == "ECHO") return One(Reply::Bulk(args_[1]));
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

std::string DescribeCells(const std::vector<KeyCell>& cells) {
  std::vector<std::string> parts;
  for (const KeyCell& c : cells) parts.push_back(c.DebugString());
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

}  // namespace

std::string KeyCell::DebugString() const {
  if (!present) return "absent";
  if (expire_lo == kNoTtl) return Quote(value);
  return absl::StrCat(
      Quote(value), " ttl@[", expire_lo, ",",
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
       "RENAMENX", "FLUSHDB", "FLUSHALL"});
}

std::vector<ModelOutcome> EvalCommand(absl::Span<const std::string> args,
                                      absl::Span<const KeyCell> cells,
                                      ExecWindow window) {
  return Eval(args, cells, window).Run();
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
    if (c.present == cell.present && c.value == cell.value) {
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
                                   const Reply& reply,
                                   std::vector<std::string>* retire) {
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
