#include "core/config.h"

#include "core/numbers.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/glob.h"

namespace twinkv {
namespace {

enum ParamFlag : uint32_t {
  kImmutable = 1u << 0,  // CONFIG SET refuses it
  kProtected = 1u << 1,  // CONFIG SET only as enable-protected-configs says
  kMultiArg = 1u << 2,   // takes any number of arguments
};

using Args = absl::Span<const std::string>;
using Getter = std::function<std::string(const Config&)>;
// Validates `args` and stores the value. On error `config` is unchanged and
// the message is Redis's wording for that case.
using Setter = std::function<absl::Status(Config&, Args)>;

constexpr char kBanner[] = "*** FATAL CONFIG FILE ERROR (twinkv) ***";
constexpr size_t kMaxBindAddresses = 16;  // Redis's CONFIG_BINDADDR_MAX

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

std::string RangeError(int64_t lo, int64_t hi) {
  return absl::StrCat("argument must be between ", lo, " and ", hi,
                      " inclusive");
}

absl::StatusOr<bool> ParseYesNo(absl::string_view s) {
  if (absl::EqualsIgnoreCase(s, "yes")) return true;
  if (absl::EqualsIgnoreCase(s, "no")) return false;
  return Invalid("argument must be 'yes' or 'no'");
}

absl::StatusOr<int64_t> ParseBounded(absl::string_view s, int64_t lo,
                                     int64_t hi, bool memory) {
  int64_t v = 0;
  if (memory) {
    absl::StatusOr<int64_t> m = ParseMemory(s);
    if (!m.ok()) return Invalid("argument must be a memory value");
    v = *m;
  } else if (!ParseInt64(s, &v)) {
    return Invalid("argument couldn't be parsed into an integer");
  }
  if (v < lo || v > hi) return Invalid(RangeError(lo, hi));
  return v;
}

std::string EnumError(const std::vector<std::string>& values) {
  return absl::StrCat("argument(s) must be one of the following: ",
                      absl::StrJoin(values, ", "));
}

absl::StatusOr<std::string> ParseEnum(absl::string_view s,
                                      const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    if (absl::EqualsIgnoreCase(s, v)) return v;
  }
  return Invalid(EnumError(values));
}

// Redis's strtoll-with-end-check as used for "save" and buffer-limit
// seconds: surrounding whitespace and '+' are tolerated, "" is 0.
bool ParseLenientInt(absl::string_view s, int64_t* out) {
  if (s.empty()) {
    *out = 0;
    return true;
  }
  if (absl::ascii_isspace(static_cast<unsigned char>(s.back()))) return false;
  return absl::SimpleAtoi(s, out);
}

// keyspace notification classes, in the order Redis prints them.
struct NotifyClass {
  char letter;
  uint32_t bit;
};
constexpr uint32_t kNotifyKeyspace = 1u << 0;
constexpr uint32_t kNotifyKeyevent = 1u << 1;
constexpr uint32_t kNotifyKeyMiss = 1u << 2;
constexpr NotifyClass kNotifyClasses[] = {
    {'g', 1u << 3},  {'$', 1u << 4},  {'l', 1u << 5},  {'s', 1u << 6},
    {'h', 1u << 7},  {'z', 1u << 8},  {'x', 1u << 9},  {'e', 1u << 10},
    {'t', 1u << 11}, {'d', 1u << 12}, {'n', 1u << 13},
};
// "A": every class but key-miss and new-key.
constexpr uint32_t kNotifyAll = ((1u << 13) - 1) & ~7u;

absl::StatusOr<std::string> CanonicalNotifyFlags(absl::string_view s) {
  uint32_t flags = 0;
  for (char c : s) {
    switch (c) {
      case 'A':
        flags |= kNotifyAll;
        continue;
      case 'K':
        flags |= kNotifyKeyspace;
        continue;
      case 'E':
        flags |= kNotifyKeyevent;
        continue;
      case 'm':
        flags |= kNotifyKeyMiss;
        continue;
      default:
        break;
    }
    bool found = false;
    for (const NotifyClass& nc : kNotifyClasses) {
      if (nc.letter == c) {
        flags |= nc.bit;
        found = true;
      }
    }
    if (!found) {
      return Invalid(
          "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    }
  }
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    for (const NotifyClass& nc : kNotifyClasses) {
      if (flags & nc.bit) out += nc.letter;
    }
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

// client-output-buffer-limit: three classes, each hard/soft bytes and soft
// seconds.
struct BufferLimit {
  int64_t hard = 0;
  int64_t soft = 0;
  int64_t soft_seconds = 0;
};
// Fixed-size char arrays rather than string_views: no relocated pointers.
constexpr char kBufferClasses[][8] = {"normal", "slave", "pubsub"};

absl::StatusOr<std::string> UpdateBufferLimits(absl::string_view current,
                                               Args args) {
  BufferLimit limits[3];
  std::vector<absl::string_view> parts =
      absl::StrSplit(current, ' ', absl::SkipEmpty());
  for (size_t i = 0; i + 3 < parts.size() && i / 4 < 3; i += 4) {
    BufferLimit& l = limits[i / 4];
    (void)absl::SimpleAtoi(parts[i + 1], &l.hard);
    (void)absl::SimpleAtoi(parts[i + 2], &l.soft);
    (void)absl::SimpleAtoi(parts[i + 3], &l.soft_seconds);
  }
  if (args.size() % 4 != 0) {
    return Invalid("Wrong number of arguments in buffer limit configuration.");
  }
  for (size_t i = 0; i < args.size(); i += 4) {
    int cls = -1;
    if (absl::EqualsIgnoreCase(args[i], "normal")) {
      cls = 0;
    } else if (absl::EqualsIgnoreCase(args[i], "slave") ||
               absl::EqualsIgnoreCase(args[i], "replica")) {
      cls = 1;
    } else if (absl::EqualsIgnoreCase(args[i], "pubsub")) {
      cls = 2;
    }
    if (cls < 0) {
      return Invalid(
          "Invalid client class specified in buffer limit configuration.");
    }
    absl::StatusOr<int64_t> hard = ParseMemory(args[i + 1]);
    absl::StatusOr<int64_t> soft = ParseMemory(args[i + 2]);
    int64_t seconds = 0;
    if (!hard.ok() || !soft.ok() ||
        !ParseLenientInt(args[i + 3], &seconds) || seconds < 0) {
      return Invalid(
          "Error in hard, soft or soft_seconds setting in buffer limit "
          "configuration.");
    }
    limits[cls] = BufferLimit{*hard, *soft, seconds};
  }
  std::vector<std::string> out;
  for (int c = 0; c < 3; ++c) {
    out.push_back(absl::StrCat(kBufferClasses[c], " ", limits[c].hard, " ",
                               limits[c].soft, " ", limits[c].soft_seconds));
  }
  return absl::StrJoin(out, " ");
}

absl::StatusOr<std::string> CanonicalSave(Args args) {
  if (args.size() % 2 != 0) return Invalid("Invalid save parameters");
  std::vector<std::string> out;
  for (size_t j = 0; j < args.size(); ++j) {
    int64_t v = 0;
    if (!ParseLenientInt(args[j], &v) || (j % 2 == 0 && v < 1) ||
        (j % 2 == 1 && v < 0)) {
      return Invalid("Invalid save parameters");
    }
    out.push_back(absl::StrCat(v));
  }
  return absl::StrJoin(out, " ");
}

bool IsBaseName(absl::string_view s) {
  return !absl::StrContains(s, '/');
}

// ---- Parameters. ----
//
// A parameter is plain data (no closures, so the table holds no type
// information or relocated constants): its kind says how to parse and
// format it, and at most one member pointer says where its value lives;
// with none it lives formatted in Config::other. kCustom parameters bring
// their own functions.

enum class Kind : uint8_t { kBool, kInt, kMemory, kString, kEnum, kCustom };

using CustomGet = std::string (*)(const Config&);
using CustomSet = absl::Status (*)(Config&, Args);

struct ParamDef {
  std::string name;
  std::string alias;  // a second name, or ""
  uint32_t flags = 0;
  Kind kind = Kind::kString;
  bool Config::*bool_field = nullptr;
  int Config::*int_field = nullptr;
  int64_t Config::*int64_field = nullptr;
  std::string Config::*string_field = nullptr;
  std::string default_value;  // for values kept in Config::other
  int64_t lo = 0;             // kInt, kMemory: accepted range
  int64_t hi = 0;
  int64_t (*adjust)(int64_t) = nullptr;  // kInt: accepted -> stored value
  std::vector<std::string> values;       // kEnum, in Redis's order
  // kString: an error message, or "" if the value is acceptable.
  std::string (*validate)(absl::string_view) = nullptr;
  CustomGet get = nullptr;  // kCustom
  CustomSet set = nullptr;  // kCustom: validates, stores, or errs unchanged
};

std::string GetValue(const ParamDef& p, const Config& c) {
  if (p.kind == Kind::kCustom) return p.get(c);
  if (p.bool_field != nullptr) return c.*p.bool_field ? "yes" : "no";
  if (p.int_field != nullptr) return absl::StrCat(c.*p.int_field);
  if (p.int64_field != nullptr) return absl::StrCat(c.*p.int64_field);
  if (p.string_field != nullptr) return c.*p.string_field;
  auto it = c.other.find(p.name);
  return it == c.other.end() ? p.default_value : it->second;
}

// Validates `a` (exactly one argument unless kCustom) and stores it. On
// error `c` is unchanged.
absl::Status SetValue(const ParamDef& p, Config& c, Args a) {
  if (p.kind == Kind::kCustom) return p.set(c, a);
  std::string canonical;
  int64_t number = 0;
  bool flag = false;
  switch (p.kind) {
    case Kind::kBool: {
      absl::StatusOr<bool> v = ParseYesNo(a[0]);
      if (!v.ok()) return v.status();
      flag = *v;
      canonical = flag ? "yes" : "no";
      break;
    }
    case Kind::kInt:
    case Kind::kMemory: {
      absl::StatusOr<int64_t> v =
          ParseBounded(a[0], p.lo, p.hi, p.kind == Kind::kMemory);
      if (!v.ok()) return v.status();
      number = p.adjust != nullptr ? p.adjust(*v) : *v;
      canonical = absl::StrCat(number);
      break;
    }
    case Kind::kString:
      if (p.validate != nullptr) {
        std::string error = p.validate(a[0]);
        if (!error.empty()) return Invalid(error);
      }
      canonical = a[0];
      break;
    case Kind::kEnum: {
      absl::StatusOr<std::string> v = ParseEnum(a[0], p.values);
      if (!v.ok()) return v.status();
      canonical = *std::move(v);
      break;
    }
    case Kind::kCustom:
      break;
  }
  if (p.bool_field != nullptr) {
    c.*p.bool_field = flag;
  } else if (p.int_field != nullptr) {
    c.*p.int_field = static_cast<int>(number);
  } else if (p.int64_field != nullptr) {
    c.*p.int64_field = number;
  } else if (p.string_field != nullptr) {
    c.*p.string_field = std::move(canonical);
  } else {
    c.other[p.name] = std::move(canonical);
  }
  return absl::OkStatus();
}

ParamDef Base(std::string name, Kind kind, uint32_t flags, std::string alias) {
  ParamDef p;
  p.name = std::move(name);
  p.alias = std::move(alias);
  p.kind = kind;
  p.flags = flags;
  return p;
}

ParamDef BoolParam(std::string name, bool Config::*field, uint32_t flags = 0) {
  ParamDef p = Base(std::move(name), Kind::kBool, flags, "");
  p.bool_field = field;
  return p;
}

ParamDef IntParam(std::string name, int Config::*field, int64_t lo, int64_t hi,
                  uint32_t flags = 0) {
  ParamDef p = Base(std::move(name), Kind::kInt, flags, "");
  p.int_field = field;
  p.lo = lo;
  p.hi = hi;
  return p;
}

ParamDef Int64Param(std::string name, int64_t Config::*field, int64_t lo,
                    int64_t hi, uint32_t flags = 0, bool memory = false) {
  ParamDef p =
      Base(std::move(name), memory ? Kind::kMemory : Kind::kInt, flags, "");
  p.int64_field = field;
  p.lo = lo;
  p.hi = hi;
  return p;
}

ParamDef StringParam(std::string name, std::string Config::*field,
                     uint32_t flags = 0,
                     std::string (*validate)(absl::string_view) = nullptr) {
  ParamDef p = Base(std::move(name), Kind::kString, flags, "");
  p.string_field = field;
  p.validate = validate;
  return p;
}

ParamDef EnumParam(std::string name, std::string Config::*field,
                   std::vector<std::string> values, uint32_t flags = 0) {
  ParamDef p = Base(std::move(name), Kind::kEnum, flags, "");
  p.string_field = field;
  p.values = std::move(values);
  return p;
}

ParamDef CustomParam(std::string name, uint32_t flags, CustomGet get,
                     CustomSet set) {
  ParamDef p = Base(std::move(name), Kind::kCustom, flags, "");
  p.get = get;
  p.set = set;
  return p;
}

// Parameters kept only for compatibility, stored in Config::other.
ParamDef OtherBool(std::string name, bool def, uint32_t flags = 0,
                   std::string alias = "") {
  ParamDef p = Base(std::move(name), Kind::kBool, flags, std::move(alias));
  p.default_value = def ? "yes" : "no";
  return p;
}

ParamDef OtherInt(std::string name, int64_t def, int64_t lo, int64_t hi,
                  uint32_t flags = 0, std::string alias = "",
                  bool memory = false) {
  ParamDef p = Base(std::move(name), memory ? Kind::kMemory : Kind::kInt,
                    flags, std::move(alias));
  p.default_value = absl::StrCat(def);
  p.lo = lo;
  p.hi = hi;
  return p;
}

ParamDef OtherMemory(std::string name, int64_t def, int64_t lo, int64_t hi,
                     uint32_t flags = 0, std::string alias = "") {
  return OtherInt(std::move(name), def, lo, hi, flags, std::move(alias),
                  /*memory=*/true);
}

ParamDef OtherString(std::string name, std::string def, uint32_t flags = 0) {
  ParamDef p = Base(std::move(name), Kind::kString, flags, "");
  p.default_value = std::move(def);
  return p;
}

ParamDef OtherEnum(std::string name, std::string def,
                   std::vector<std::string> values, uint32_t flags = 0) {
  ParamDef p = Base(std::move(name), Kind::kEnum, flags, "");
  p.default_value = std::move(def);
  p.values = std::move(values);
  return p;
}

// ---- The parameters with their own parsing. ----

std::string GetBind(const Config& c) { return absl::StrJoin(c.bind, " "); }
absl::Status SetBind(Config& c, Args a) {
  if (a.size() > kMaxBindAddresses) {
    return Invalid("Too many bind addresses specified.");
  }
  std::vector<std::string> bind;
  for (const std::string& addr : a) {
    if (!addr.empty()) bind.push_back(addr);
  }
  c.bind = std::move(bind);
  return absl::OkStatus();
}

std::string GetClusterNodes(const Config& c) {
  return absl::StrJoin(c.cluster_nodes, " ");
}
absl::Status SetClusterNodes(Config& c, Args a) {
  std::vector<std::string> nodes;
  for (const std::string& node : a) {
    if (node.empty()) continue;
    std::string host;
    int port = 0;
    if (!ParseHostPort(node, &host, &port)) {
      return Invalid(absl::StrCat("Invalid cluster node address '", node,
                                  "', expected host:port"));
    }
    nodes.push_back(node);
  }
  c.cluster_nodes = std::move(nodes);
  return absl::OkStatus();
}
std::string ValidateClusterSelf(absl::string_view s) {
  std::string host;
  int port = 0;
  return s.empty() || ParseHostPort(s, &host, &port)
             ? ""
             : "cluster-self must be host:port";
}

std::string GetBufferLimits(const Config& c) {
  return c.client_output_buffer_limit;
}
absl::Status SetBufferLimits(Config& c, Args a) {
  absl::StatusOr<std::string> v =
      UpdateBufferLimits(c.client_output_buffer_limit, a);
  if (!v.ok()) return v.status();
  c.client_output_buffer_limit = *std::move(v);
  return absl::OkStatus();
}

std::string GetDaemonize(const Config&) { return "no"; }
absl::Status SetDaemonize(Config&, Args a) {
  if (a.size() != 1) return Invalid("wrong number of arguments");
  absl::StatusOr<bool> v = ParseYesNo(a[0]);
  if (!v.ok()) return v.status();
  if (*v) {
    return Invalid(
        "daemonize yes is not supported: run twinkv in the foreground under "
        "a supervisor");
  }
  return absl::OkStatus();
}

std::string GetSave(const Config& c) { return c.save; }
absl::Status SetSave(Config& c, Args a) {
  // A single "" means "no snapshots".
  if (a.size() == 1 && a[0].empty()) a = Args();
  absl::StatusOr<std::string> v = CanonicalSave(a);
  if (!v.ok()) return v.status();
  c.save = *std::move(v);
  return absl::OkStatus();
}

std::string GetNotify(const Config& c) { return c.notify_keyspace_events; }
absl::Status SetNotify(Config& c, Args a) {
  if (a.size() != 1) return Invalid("wrong number of arguments");
  absl::StatusOr<std::string> v = CanonicalNotifyFlags(a[0]);
  if (!v.ok()) return v.status();
  c.notify_keyspace_events = *std::move(v);
  return absl::OkStatus();
}

int64_t ClampHz(int64_t hz) {
  // Redis's updateHZ: CONFIG_MIN_HZ 1, CONFIG_MAX_HZ 500.
  return hz < 1 ? 1 : (hz > 500 ? 500 : hz);
}

std::string ValidateDbFilename(absl::string_view s) {
  return IsBaseName(s) ? "" : "dbfilename can't be a path, just a filename";
}
std::string ValidateAppendFilename(absl::string_view s) {
  return IsBaseName(s) ? ""
                       : "appendfilename can't be a path, just a filename";
}
std::string ValidateAppendDirname(absl::string_view s) {
  return IsBaseName(s) ? "" : "appenddirname can't be a path, just a dirname";
}
std::string ValidateDir(absl::string_view s) {
  // Redis chdir()s here; an empty path is what chdir refuses regardless of
  // the file system, so only that is checked without touching the world.
  return s.empty() ? "No such file or directory" : "";
}

std::vector<ParamDef> BuildParams() {
  constexpr int64_t kIntMax = INT_MAX;
  constexpr int64_t kIntMin = INT_MIN;
  constexpr int64_t kLongMax = INT64_MAX;
  constexpr int64_t kMb = 1024 * 1024;
  const std::vector<std::string> kProtectedEnum = {"no", "yes", "local"};

  std::vector<ParamDef> p;
  // Network.
  p.push_back(IntParam("port", &Config::port, 0, 65535, kImmutable));
  p.push_back(CustomParam("bind", kImmutable | kMultiArg, GetBind, SetBind));
  p.push_back(StringParam("unixsocket", &Config::unixsocket, kImmutable));
  p.push_back(OtherInt("unixsocketperm", 0, 0, 0777, kImmutable));
  p.push_back(BoolParam("protected-mode", &Config::protected_mode));
  p.push_back(IntParam("tcp-keepalive", &Config::tcp_keepalive_s, 0, kIntMax));
  p.push_back(OtherInt("tcp-backlog", 511, 0, kIntMax, kImmutable));
  p.push_back(Int64Param("timeout", &Config::timeout_s, 0, kIntMax));
  p.push_back(IntParam("maxclients", &Config::maxclients, 1, kIntMax));
  p.push_back(Int64Param("proto-max-bulk-len", &Config::proto_max_bulk_len,
                         kMb, kLongMax, 0, /*memory=*/true));
  p.push_back(Int64Param("client-query-buffer-limit",
                         &Config::client_query_buffer_limit, kMb, kLongMax, 0,
                         /*memory=*/true));
  p.push_back(CustomParam("client-output-buffer-limit", kMultiArg,
                          GetBufferLimits, SetBufferLimits));
  p.push_back(StringParam("requirepass", &Config::requirepass));
  p.push_back(OtherString("masterauth", ""));
  p.push_back(OtherString("masteruser", ""));
  p.push_back(OtherString("aclfile", "", kImmutable));
  p.push_back(OtherInt("acllog-max-len", 128, 0, kLongMax));
  p.push_back(OtherEnum("acl-pubsub-default", "resetchannels",
                        {"allchannels", "resetchannels"}));

  // General.
  p.push_back(IntParam("databases", &Config::databases, 1, kIntMax,
                       kImmutable));
  p.push_back(CustomParam("daemonize", kImmutable, GetDaemonize,
                          SetDaemonize));
  p.push_back(OtherEnum("supervised", "no", {"upstart", "systemd", "auto", "no"},
                        kImmutable));
  p.push_back(OtherString("pidfile", "", kImmutable));
  p.push_back(EnumParam("loglevel", &Config::loglevel,
                        {"debug", "verbose", "notice", "warning"}));
  p.push_back(StringParam("logfile", &Config::logfile, kImmutable));
  p.push_back(OtherBool("syslog-enabled", false, kImmutable));
  p.push_back(OtherString("syslog-ident", "redis", kImmutable));
  p.push_back(OtherEnum("syslog-facility", "local0",
                        {"user", "local0", "local1", "local2", "local3",
                         "local4", "local5", "local6", "local7"},
                        kImmutable));
  p.push_back(OtherBool("always-show-logo", false, kImmutable));
  p.push_back(OtherBool("set-proc-title", true, kImmutable));
  p.push_back(OtherString("proc-title-template",
                          "{title} {listen-addr} {server-mode}"));
  p.push_back(OtherEnum("enable-protected-configs", "no", kProtectedEnum,
                        kImmutable));
  p.push_back(OtherEnum("enable-debug-command", "no", kProtectedEnum,
                        kImmutable));
  p.push_back(OtherEnum("enable-module-command", "no", kProtectedEnum,
                        kImmutable));
  p.push_back(IntParam("hz", &Config::hz, 0, kIntMax));
  p.back().adjust = &ClampHz;
  p.push_back(OtherBool("dynamic-hz", true));
  p.push_back(OtherInt("io-threads", 1, 1, 128, kImmutable));
  p.push_back(OtherBool("io-threads-do-reads", false, kImmutable));
  p.push_back(OtherInt("shutdown-timeout", 10, 0, kIntMax));
  p.push_back(OtherBool("crash-log-enabled", true));
  p.push_back(OtherBool("crash-memcheck-enabled", true));
  p.push_back(OtherBool("disable-thp", true, kImmutable));
  p.push_back(OtherBool("jemalloc-bg-thread", true));
  p.push_back(OtherEnum("oom-score-adj", "no",
                        {"no", "yes", "relative", "absolute"}));
  p.push_back(OtherString("ignore-warnings", ""));

  // Snapshots and the append-only file.
  p.push_back(CustomParam("save", kMultiArg, GetSave, SetSave));
  p.push_back(StringParam("dir", &Config::dir, kProtected, &ValidateDir));
  p.push_back(StringParam("dbfilename", &Config::dbfilename, kProtected,
                          &ValidateDbFilename));
  p.push_back(OtherBool("stop-writes-on-bgsave-error", true));
  p.push_back(OtherBool("rdbcompression", true));
  p.push_back(OtherBool("rdbchecksum", true, kImmutable));
  p.push_back(OtherBool("rdb-del-sync-files", false));
  p.push_back(OtherBool("rdb-save-incremental-fsync", true));
  p.push_back(OtherEnum("sanitize-dump-payload", "no",
                        {"no", "yes", "clients"}));
  // Immutable until CONFIG SET can start and stop the AOF at run time.
  p.push_back(BoolParam("appendonly", &Config::appendonly, kImmutable));
  p.push_back(EnumParam("appendfsync", &Config::appendfsync,
                        {"everysec", "always", "no"}));
  p.push_back(StringParam("appendfilename", &Config::appendfilename,
                          kImmutable, &ValidateAppendFilename));
  p.push_back(StringParam("appenddirname", &Config::appenddirname, kImmutable,
                          &ValidateAppendDirname));
  p.push_back(OtherBool("no-appendfsync-on-rewrite", false));
  p.push_back(IntParam("auto-aof-rewrite-percentage",
                       &Config::aof_rewrite_percentage, 0, kIntMax));
  p.push_back(Int64Param("auto-aof-rewrite-min-size",
                         &Config::aof_rewrite_min_size, 0, kLongMax, 0,
                         /*memory=*/true));
  p.push_back(BoolParam("aof-load-truncated", &Config::aof_load_truncated));
  // Transactions (twinkv's own parameter; Redis never rolls back).
  p.push_back(BoolParam("multi-rollback", &Config::multi_rollback));
  p.push_back(OtherBool("aof-use-rdb-preamble", true));
  p.push_back(OtherBool("aof-timestamp-enabled", false));
  p.push_back(OtherBool("aof-rewrite-incremental-fsync", true));
  p.push_back(OtherBool("aof-disable-auto-gc", false));

  // Memory.
  p.push_back(Int64Param("maxmemory", &Config::maxmemory, 0, kLongMax, 0,
                         /*memory=*/true));
  p.push_back(EnumParam(
      "maxmemory-policy", &Config::maxmemory_policy,
      {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
       "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}));
  p.push_back(IntParam("maxmemory-samples", &Config::maxmemory_samples, 1,
                       kIntMax));
  p.push_back(OtherInt("maxmemory-eviction-tenacity", 10, 0, 100));
  p.push_back(OtherMemory("maxmemory-clients", 0, 0, kLongMax));
  p.push_back(OtherInt("lfu-log-factor", 10, 0, kIntMax));
  p.push_back(OtherInt("lfu-decay-time", 1, 0, kIntMax));
  p.push_back(OtherInt("active-expire-effort", 1, 1, 10));
  p.push_back(OtherBool("activerehashing", true));
  p.push_back(OtherBool("activedefrag", false));
  p.push_back(OtherBool("lazyfree-lazy-eviction", false));
  p.push_back(OtherBool("lazyfree-lazy-expire", false));
  p.push_back(OtherBool("lazyfree-lazy-server-del", false));
  p.push_back(OtherBool("lazyfree-lazy-user-del", false));
  p.push_back(BoolParam("lazyfree-lazy-user-flush",
                        &Config::lazyfree_lazy_user_flush));

  // Encodings (accepted; the keyspace chooses its own representations).
  p.push_back(OtherInt("hash-max-listpack-entries", 512, 0, kLongMax, 0,
                       "hash-max-ziplist-entries"));
  p.push_back(OtherMemory("hash-max-listpack-value", 64, 0, kLongMax, 0,
                          "hash-max-ziplist-value"));
  p.push_back(OtherInt("list-max-listpack-size", -2, kIntMin, kIntMax, 0,
                       "list-max-ziplist-size"));
  p.push_back(OtherInt("list-compress-depth", 0, 0, kIntMax));
  p.push_back(OtherInt("set-max-intset-entries", 512, 0, kLongMax));
  p.push_back(OtherInt("zset-max-listpack-entries", 128, 0, kLongMax, 0,
                       "zset-max-ziplist-entries"));
  p.push_back(OtherMemory("zset-max-listpack-value", 64, 0, kLongMax, 0,
                          "zset-max-ziplist-value"));
  p.push_back(OtherMemory("hll-sparse-max-bytes", 3000, 0, kLongMax));
  p.push_back(OtherMemory("stream-node-max-bytes", 4096, 0, kLongMax));
  p.push_back(OtherInt("stream-node-max-entries", 100, 0, kLongMax));

  // Diagnostics.
  p.push_back(Int64Param("slowlog-log-slower-than",
                         &Config::slowlog_log_slower_than_us, -1, kLongMax));
  p.push_back(Int64Param("slowlog-max-len", &Config::slowlog_max_len, 0,
                         kLongMax));
  p.push_back(OtherInt("latency-monitor-threshold", 0, 0, kLongMax));
  p.push_back(OtherBool("latency-tracking", true));
  p.push_back(OtherInt("busy-reply-threshold", 5000, 0, kLongMax, 0,
                       "lua-time-limit"));
  p.push_back(CustomParam("notify-keyspace-events", 0, GetNotify, SetNotify));
  p.push_back(OtherInt("tracking-table-max-keys", 1000000, 0, kLongMax));

  // Replication and cluster (accepted; twinkv has its own cluster model).
  p.push_back(OtherBool("replica-read-only", true, 0, "slave-read-only"));
  p.push_back(OtherBool("replica-serve-stale-data", true, 0,
                        "slave-serve-stale-data"));
  p.push_back(OtherBool("replica-lazy-flush", false, 0, "slave-lazy-flush"));
  p.push_back(OtherInt("replica-priority", 100, 0, kIntMax, 0,
                       "slave-priority"));
  p.push_back(OtherInt("min-replicas-to-write", 0, 0, kIntMax, 0,
                       "min-slaves-to-write"));
  p.push_back(OtherInt("min-replicas-max-lag", 10, 0, kIntMax, 0,
                       "min-slaves-max-lag"));
  p.push_back(OtherMemory("repl-backlog-size", kMb, 1, kLongMax));
  p.push_back(OtherInt("repl-backlog-ttl", 3600, 0, kIntMax));
  p.push_back(OtherInt("repl-timeout", 60, 1, kIntMax));
  p.push_back(OtherBool("repl-diskless-sync", true));
  p.push_back(OtherEnum("repl-diskless-load", "disabled",
                        {"disabled", "on-empty-db", "swapdb"}));
  p.push_back(OtherBool("cluster-enabled", false, kImmutable));
  p.push_back(OtherString("cluster-config-file", "nodes.conf", kImmutable));
  p.push_back(OtherInt("cluster-node-timeout", 15000, 0, kLongMax));
  p.push_back(OtherInt("tls-port", 0, 0, 65535));
  // twinkv's own cluster (see Config::cluster_mode).
  p.push_back(EnumParam("cluster-mode", &Config::cluster_mode,
                        {"no", "redirect", "proxy"}, kImmutable));
  p.push_back(CustomParam("cluster-nodes", kImmutable | kMultiArg,
                          GetClusterNodes, SetClusterNodes));
  p.push_back(StringParam("cluster-self", &Config::cluster_self, kImmutable,
                          &ValidateClusterSelf));
  p.push_back(BoolParam("cluster-join", &Config::cluster_join, kImmutable));
  return p;
}

// Redis's deprecated directives, accepted and ignored in a config file.
constexpr char kDeprecatedDirectives[][32] = {
    "list-max-ziplist-entries", "list-max-ziplist-value",
    "lua-replicate-commands"};

bool HasGlobChars(absl::string_view s) {
  return s.find_first_of("[*?") != absl::string_view::npos;
}

std::string FatalError(absl::string_view where, absl::string_view line,
                       absl::string_view message) {
  return absl::StrCat(kBanner, "\n", where, "\n>>> '", line, "'\n", message);
}

}  // namespace

struct ConfigTable::Param : ParamDef {};


absl::StatusOr<int64_t> ParseMemory(absl::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && absl::ascii_isdigit(s[digits])) ++digits;
  absl::string_view unit = s.substr(digits);
  int64_t mul = 0;
  if (unit.empty() || absl::EqualsIgnoreCase(unit, "b")) {
    mul = 1;
  } else if (absl::EqualsIgnoreCase(unit, "k")) {
    mul = 1000;
  } else if (absl::EqualsIgnoreCase(unit, "kb")) {
    mul = 1024;
  } else if (absl::EqualsIgnoreCase(unit, "m")) {
    mul = 1000 * 1000;
  } else if (absl::EqualsIgnoreCase(unit, "mb")) {
    mul = 1024 * 1024;
  } else if (absl::EqualsIgnoreCase(unit, "g")) {
    mul = 1000LL * 1000 * 1000;
  } else if (absl::EqualsIgnoreCase(unit, "gb")) {
    mul = 1024LL * 1024 * 1024;
  } else {
    return Invalid(absl::StrCat("invalid memory value '", s, "'"));
  }
  uint64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (static_cast<uint64_t>(INT64_MAX) - d) / 10) {
      return Invalid(absl::StrCat("memory value out of range '", s, "'"));
    }
    v = v * 10 + d;
  }
  if (v > static_cast<uint64_t>(INT64_MAX / mul)) {
    return Invalid(absl::StrCat("memory value out of range '", s, "'"));
  }
  return static_cast<int64_t>(v) * mul;
}

std::string QuoteRepr(absl::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (absl::ascii_isprint(c)) {
          out += ch;
        } else {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
    }
  }
  out += '"';
  return out;
}

absl::StatusOr<std::vector<std::string>> SplitArgs(absl::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  const size_t n = line.size();
  auto is_space = [](char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' ||
           c == '\f';
  };
  auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const absl::Status unbalanced = Invalid("Unbalanced quotes");
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) return out;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (i >= n) return unbalanced;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' &&
            hex_value(line[i + 2]) >= 0 && hex_value(line[i + 3]) >= 0) {
          current += static_cast<char>(hex_value(line[i + 2]) * 16 +
                                        hex_value(line[i + 3]));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n':
              current += '\n';
              break;
            case 'r':
              current += '\r';
              break;
            case 't':
              current += '\t';
              break;
            case 'b':
              current += '\b';
              break;
            case 'a':
              current += '\a';
              break;
            default:
              current += line[i];
          }
        } else if (c == '"') {
          // The closing quote must be followed by a space or the end.
          if (i + 1 < n && !is_space(line[i + 1])) return unbalanced;
          done = true;
        } else {
          current += c;
        }
      } else if (in_single) {
        if (i >= n) return unbalanced;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          current += '\'';
        } else if (c == '\'') {
          if (i + 1 < n && !is_space(line[i + 1])) return unbalanced;
          done = true;
        } else {
          current += c;
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        if (is_space(c)) {
          done = true;
        } else if (c == '"') {
          in_double = true;
        } else if (c == '\'') {
          in_single = true;
        } else {
          current += c;
        }
      }
      if (i < n) ++i;
    }
    out.push_back(std::move(current));
  }
}

ConfigTable::ConfigTable(Config* config) : config_(config) {
  for (ParamDef& def : BuildParams()) {
    params_.push_back(Param{std::move(def)});
  }
}

ConfigTable::~ConfigTable() = default;

const ConfigTable::Param* ConfigTable::FindParam(absl::string_view name) const {
  for (const Param& p : params_) {
    if (absl::EqualsIgnoreCase(p.name, name) ||
        (!p.alias.empty() && absl::EqualsIgnoreCase(p.alias, name))) {
      return &p;
    }
  }
  return nullptr;
}

bool ConfigTable::Known(absl::string_view name) const {
  return FindParam(name) != nullptr;
}

bool ConfigTable::Mutable(absl::string_view name) const {
  const Param* p = FindParam(name);
  return p != nullptr && (p->flags & kImmutable) == 0;
}

std::vector<std::string> ConfigTable::Names() const {
  std::vector<std::string> names;
  for (const Param& p : params_) names.push_back(p.name);
  return names;
}

namespace {

// A value as a config-file token: bare if SplitArgs reads it back as one
// token unchanged, else double-quoted with escapes.
std::string ConfigToken(absl::string_view v) {
  bool bare = !v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '\'' || c == '\\' || c == '#' ||
        static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      bare = false;
    }
  }
  if (bare) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 ||
            static_cast<unsigned char>(c) >= 0x7f) {
          out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace

std::string ConfigTable::RewriteText(absl::string_view old_text) const {
  Config defaults_config;
  ConfigTable defaults(&defaults_config);
  auto line_for = [&](const Param& p) {
    const std::string value = GetValue(p, *config_);
    if ((p.flags & kMultiArg) != 0) {
      // Space-joined values, each a token of its own ("save 3600 1").
      std::string out = p.name;
      if (value.empty()) return out + " \"\"";
      for (absl::string_view part : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
        absl::StrAppend(&out, " ", ConfigToken(part));
      }
      return out;
    }
    return absl::StrCat(p.name, " ", ConfigToken(value));
  };
  std::vector<const Param*> written;
  auto was_written = [&](const Param* p) {
    return std::find(written.begin(), written.end(), p) != written.end();
  };
  std::string out;
  std::vector<absl::string_view> lines = absl::StrSplit(old_text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (absl::string_view raw : lines) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    const Param* p = nullptr;
    if (!line.empty() && line[0] != '#') {
      absl::StatusOr<std::vector<std::string>> argv = SplitArgs(line);
      if (argv.ok() && !argv->empty()) p = FindParam((*argv)[0]);
    }
    if (p == nullptr) {
      absl::StrAppend(&out, raw, "\n");
      continue;
    }
    if (was_written(p)) continue;  // a later line of the same parameter
    written.push_back(p);
    absl::StrAppend(&out, line_for(*p), "\n");
  }
  bool header = false;
  for (const Param& p : params_) {
    if (was_written(&p)) continue;
    const Param* d = defaults.FindParam(p.name);
    if (d != nullptr && GetValue(*d, defaults_config) == GetValue(p, *config_)) {
      continue;
    }
    if (!header) {
      out += "# Generated by CONFIG REWRITE\n";
      header = true;
    }
    absl::StrAppend(&out, line_for(p), "\n");
  }
  return out;
}

absl::Status ConfigTable::Apply(const Param& param,
                                std::vector<std::string> args,
                                bool at_runtime) {
  if ((param.flags & kMultiArg) == 0) {
    if (args.size() != 1) return Invalid("wrong number of arguments");
    return SetValue(param, *config_, args);
  }
  if (param.name == "save" && !at_runtime) {
    // redis-server: the first "save" while loading replaces the default,
    // the following ones add to it; a lone "" clears.
    bool clear = args.size() == 1 && args[0].empty();
    std::vector<std::string> combined;
    if (save_loaded_ && !clear && !config_->save.empty()) {
      combined = absl::StrSplit(config_->save, ' ');
    }
    if (!clear) combined.insert(combined.end(), args.begin(), args.end());
    else combined = {""};
    absl::Status status = SetValue(param, *config_, combined);
    if (status.ok()) save_loaded_ = true;
    return status;
  }
  return SetValue(param, *config_, args);
}

absl::Status ConfigTable::Set(absl::string_view name,
                              absl::Span<const std::string> args,
                              bool at_runtime) {
  const Param* param = FindParam(name);
  if (param == nullptr) {
    return Invalid("Bad directive or wrong number of arguments");
  }
  if (at_runtime && (param->flags & kImmutable)) {
    return Invalid("can't set immutable config");
  }
  std::vector<std::string> values(args.begin(), args.end());
  if ((param->flags & kMultiArg) && values.size() == 1 &&
      !values[0].empty()) {
    // "save '900 1 300 10'" means "save 900 1 300 10".
    absl::StatusOr<std::vector<std::string>> split = SplitArgs(values[0]);
    if (!split.ok()) return Invalid("Unbalanced quotes in configuration line");
    values = *std::move(split);
  }
  return Apply(*param, std::move(values), at_runtime);
}

absl::Status ConfigTable::SetAtRuntime(
    absl::Span<const std::pair<absl::string_view, absl::string_view>> pairs,
    bool local_client) {
  // Validate the whole request first, as Redis does, so that unknown or
  // immutable names fail before anything changes.
  std::vector<const Param*> params;
  std::string error_arg;
  std::string error;
  absl::string_view protection = "no";
  auto protected_it = config_->other.find("enable-protected-configs");
  if (protected_it != config_->other.end()) protection = protected_it->second;
  bool allow_protected =
      protection == "yes" || (protection == "local" && local_client);
  // The first problem in argument order is the one reported.
  for (const auto& [name, value] : pairs) {
    const Param* param = FindParam(name);
    if (param == nullptr) {
      return Invalid(absl::StrCat(
          "ERR Unknown option or number of arguments for CONFIG SET - '",
          name, "'"));
    }
    if (param->flags & kImmutable) {
      error = "can't set immutable config";
      error_arg = std::string(name);
    } else if ((param->flags & kProtected) && !allow_protected) {
      error = "can't set protected config";
      error_arg = std::string(name);
    } else {
      for (const Param* seen : params) {
        if (seen == param) {
          error = "duplicate parameter";
          error_arg = std::string(name);
        }
      }
    }
    if (!error.empty()) break;
    params.push_back(param);
  }
  auto failure = [](absl::string_view arg, absl::string_view why) {
    return Invalid(absl::StrCat("ERR CONFIG SET failed (possibly related to "
                                "argument '",
                                arg, "') - ", why));
  };
  if (!error.empty()) return failure(error_arg, error);

  // Apply in order; on failure restore the whole Config as it was. Config
  // is a plain value, so the snapshot is simply a copy.
  Config backup = *config_;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Param& param = *params[i];
    std::vector<std::string> args;
    if (param.flags & kMultiArg) {
      if (!pairs[i].second.empty()) {
        args = absl::StrSplit(pairs[i].second, ' ');
      }
    } else {
      args.emplace_back(pairs[i].second);
    }
    absl::Status status = Apply(param, std::move(args), /*at_runtime=*/true);
    if (!status.ok()) {
      *config_ = std::move(backup);
      // Redis names the parameter as it looked it up: lower case, the
      // alias if that is what was given.
      bool by_alias = !param.alias.empty() &&
                      absl::EqualsIgnoreCase(param.alias, pairs[i].first);
      return failure(by_alias ? param.alias : param.name, status.message());
    }
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> ConfigTable::Get(
    absl::string_view pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!HasGlobChars(pattern)) {
    const Param* p = FindParam(pattern);
    if (p != nullptr) out.emplace_back(std::string(pattern), GetValue(*p, *config_));
    return out;
  }
  for (const Param& p : params_) {
    if (GlobMatch(pattern, p.name, /*nocase=*/true)) {
      out.emplace_back(p.name, GetValue(p, *config_));
    }
    if (!p.alias.empty() && GlobMatch(pattern, p.alias, /*nocase=*/true)) {
      out.emplace_back(p.alias, GetValue(p, *config_));
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ConfigTable::GetMany(
    absl::Span<const absl::string_view> patterns) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> seen;  // lower-case names already in `out`
  for (absl::string_view pattern : patterns) {
    for (auto& entry : Get(pattern)) {
      std::string key = absl::AsciiStrToLower(entry.first);
      bool dup = false;
      for (const std::string& s : seen) dup = dup || s == key;
      if (dup) continue;
      seen.push_back(std::move(key));
      out.push_back(std::move(entry));
    }
  }
  return out;
}

absl::Status ConfigTable::LoadText(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    // sdstrim(" \t\r\n").
    while (!line.empty() && absl::string_view(" \t\r\n").find(line.front()) !=
                                absl::string_view::npos) {
      line.remove_prefix(1);
    }
    while (!line.empty() && absl::string_view(" \t\r\n").find(line.back()) !=
                                absl::string_view::npos) {
      line.remove_suffix(1);
    }
    if (line.empty() || line[0] == '#') continue;
    std::string where =
        absl::StrCat("Reading the configuration file, at line ", i + 1);
    absl::StatusOr<std::vector<std::string>> argv = SplitArgs(line);
    if (!argv.ok()) {
      return Invalid(FatalError(where, line,
                                "Unbalanced quotes in configuration line"));
    }
    if (argv->empty()) continue;
    std::string name = absl::AsciiStrToLower((*argv)[0]);
    absl::Span<const std::string> args(*argv);
    args.remove_prefix(1);
    if (FindParam(name) == nullptr) {
      bool deprecated = false;
      for (absl::string_view d : kDeprecatedDirectives) {
        deprecated = deprecated || d == name;
      }
      if (deprecated) continue;
      if (name == "include" && args.size() == 1) {
        return Invalid(FatalError(
            where, line,
            "include is not supported: pass the included file's "
            "directives in one file"));
      }
      return Invalid(FatalError(where, line,
                                "Bad directive or wrong number of arguments"));
    }
    absl::Status status = Set(name, args, /*at_runtime=*/false);
    if (!status.ok()) {
      return Invalid(FatalError(where, line, status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ConfigTable::LoadArgs(absl::Span<const std::string> args) {
  struct Option {
    std::string name;
    std::vector<std::string> values;
  };
  std::vector<Option> options;
  // Whether the last option got at least one value: until then the next
  // argument is its value even if it starts with "--" (redis-server's rule).
  bool last_has_value = true;
  for (size_t j = 0; j < args.size(); ++j) {
    const std::string& arg = args[j];
    if (last_has_value && absl::StartsWith(arg, "--")) {
      absl::string_view body = absl::string_view(arg).substr(2);
      size_t eq = body.find('=');
      if (eq != absl::string_view::npos) {
        options.push_back(Option{std::string(body.substr(0, eq)),
                                 {std::string(body.substr(eq + 1))}});
        last_has_value = true;
        continue;
      }
      // "--port 6380" as one argument.
      absl::StatusOr<std::vector<std::string>> parts = SplitArgs(body);
      if (!parts.ok() || parts->empty()) {
        return Invalid(FatalError(
            absl::StrCat("Reading the command line, at option '", arg, "'"),
            body, "Bad directive or wrong number of arguments"));
      }
      Option option;
      option.name = (*parts)[0];
      option.values.assign(parts->begin() + 1, parts->end());
      last_has_value = !option.values.empty();
      if (!last_has_value && absl::EqualsIgnoreCase(option.name, "save") &&
          (j + 1 == args.size() || absl::StartsWith(args[j + 1], "--"))) {
        // "--save" alone, or followed by another option: save "".
        option.values.push_back("");
        last_has_value = true;
      }
      options.push_back(std::move(option));
    } else if (options.empty()) {
      return Invalid(FatalError("Reading the command line", arg,
                                "Bad directive or wrong number of arguments"));
    } else {
      options.back().values.push_back(arg);
      last_has_value = true;
    }
  }
  for (const Option& option : options) {
    std::string shown = option.name;
    for (const std::string& v : option.values) {
      absl::StrAppend(&shown, " ", QuoteRepr(v));
    }
    std::string where = absl::StrCat("Reading the command line, at option '--",
                                     option.name, "'");
    if (FindParam(option.name) == nullptr) {
      return Invalid(FatalError(where, shown,
                                "Bad directive or wrong number of arguments"));
    }
    absl::Status status = Set(option.name, option.values, /*at_runtime=*/false);
    if (!status.ok()) return Invalid(FatalError(where, shown, status.message()));
  }
  return absl::OkStatus();
}

bool ParseHostPort(absl::string_view s, std::string* host, int* port) {
  const size_t colon = s.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  int p = 0;
  if (!absl::SimpleAtoi(s.substr(colon + 1), &p) || p < 1 || p > 65535) {
    return false;
  }
  *host = std::string(s.substr(0, colon));
  *port = p;
  return true;
}

std::string ClusterSelfId(const Config& config) {
  if (!config.cluster_self.empty()) return config.cluster_self;
  std::string host = "127.0.0.1";
  if (!config.bind.empty() && config.bind[0] != "*" &&
      config.bind[0] != "-::*") {
    host = config.bind[0];
    // "-addr" binds optionally in Redis; the address is what follows.
    if (!host.empty() && host[0] == '-') host = host.substr(1);
  }
  return absl::StrCat(host, ":", config.port);
}

}  // namespace twinkv
