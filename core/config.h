// Server configuration: one table of parameters shared by the config file,
// the command line and CONFIG GET/SET.
//
// A parameter has a name (lower case, as in redis.conf), a type (integer with
// bounds, memory size such as "512mb", yes/no, string, enum, list of
// strings), a default, and whether CONFIG SET may change it at run time.
// The config file is redis.conf syntax: one directive per line, arguments
// split like Redis's sdssplitargs (quotes, escapes), '#' comments. The
// command line takes "--name value ..." or "--name=value" for any
// parameter, and the command line wins over the file.
//
// Errors name the line, the way redis-server does:
//   *** FATAL CONFIG FILE ERROR (twinkv) ***
//   Reading the configuration file, at line 3
//   >>> 'port 99999'
//   argument must be between 0 and 65535 inclusive
//
// Single-threaded.

#ifndef TWINKV_CORE_CONFIG_H_
#define TWINKV_CORE_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace twinkv {

// Typed values the rest of the server reads directly.
struct Config {
  int port = 6379;
  std::vector<std::string> bind = {"127.0.0.1"};
  int databases = 16;
  int maxclients = 10000;
  int64_t timeout_s = 0;                  // "timeout": idle client timeout
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  std::string loglevel = "notice";        // debug|verbose|notice|warning
  std::string logfile = "";               // empty: stderr
  std::string dir = ".";
  bool appendonly = false;
  std::string appendfsync = "everysec";   // always|everysec|no
  std::string appendfilename = "appendonly.aof";
  std::string appenddirname = "appendonlydir";
  int aof_rewrite_percentage = 100;               // auto-aof-rewrite-percentage
  int64_t aof_rewrite_min_size = 64LL << 20;      // auto-aof-rewrite-min-size
  bool aof_load_truncated = true;                 // aof-load-truncated
  std::string save = "";                  // accepted for compatibility
  std::string requirepass = "";
  bool protected_mode = true;
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int hz = 10;
  std::string config_file;                // absolute path, "" if none

  // Canonical flag string, as CONFIG GET shows it ("" = off; "AKE" ...).
  std::string notify_keyspace_events = "";
  std::string dbfilename = "dump.rdb";
  std::string unixsocket = "";
  int tcp_keepalive_s = 300;
  int64_t slowlog_log_slower_than_us = 10000;  // -1 disables the slow log
  int64_t slowlog_max_len = 128;
  int maxmemory_samples = 5;
  bool lazyfree_lazy_user_flush = false;
  // multi-rollback (twinkv's own): a transaction whose command fails at
  // run time is undone as a whole (core/engine.h, "Transactions").
  bool multi_rollback = false;
  // Cluster (issue 8; all immutable). cluster-mode: "no" (a standalone
  // server: CLUSTER answers "cluster support disabled") or "redirect"
  // (Redis Cluster's protocol: keys of slots owned by other members get
  // -MOVED, see core/cluster_family.cc) or "proxy" (any node serves any
  // key, forwarding to its owner: core/cluster/router.h). cluster-nodes:
  // every member,
  // this node included, as "host:port"; a node's id is that string, and
  // the slots are spread over the ids by core/cluster/slots.h. cluster-self:
  // this node's "host:port"; empty means "<first bind address>:<port>".
  // A self missing from cluster-nodes is added to the members, unless
  // cluster-join: then the node starts as no member (serving no slot;
  // cluster-nodes are the cluster's members, possibly none) until a
  // member's CLUSTER MEET adds it, as a fresh Redis Cluster node owns no
  // slot until it is given some.
  std::string cluster_mode = "no";
  std::vector<std::string> cluster_nodes;
  std::string cluster_self = "";
  bool cluster_join = false;
  // "normal <hard> <soft> <secs> slave ... pubsub ...", bytes and seconds.
  std::string client_output_buffer_limit =
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  // Parameters accepted for compatibility with Redis tools and clients but
  // without effect here, by canonical name, formatted as CONFIG GET shows
  // them. A parameter missing from the map has its default.
  std::map<std::string, std::string> other;
};

// The parameter table. It follows Redis 7.0 (names, ranges, which ones
// CONFIG SET may change, error wording) with these differences: port and
// bind are immutable (the server binds once), daemonize only accepts "no",
// and parameters twinkv has no use for are accepted and shown but kept in
// Config::other without effect.
class ConfigTable {
 public:
  // Builds the table over `config`, which must outlive it.
  explicit ConfigTable(Config* config);
  ~ConfigTable();  // out of line: Param is private to config.cc
  ConfigTable(const ConfigTable&) = delete;
  ConfigTable& operator=(const ConfigTable&) = delete;

  // Applies "name value...". `args` excludes the name. Errors carry
  // Redis's wording for that case ("argument must be between ...",
  // "Bad directive or wrong number of arguments", "argument must be
  // 'yes' or 'no'", "Invalid argument ...").
  //
  // A parameter that takes several arguments (save, bind,
  // client-output-buffer-limit) also accepts them as one space-separated
  // argument. While loading (at_runtime false), "save" lines accumulate
  // (the first one replaces the default), as in redis-server; at run time
  // immutable parameters are refused ("can't set immutable config").
  absl::Status Set(absl::string_view name, absl::Span<const std::string> args,
                   bool at_runtime);

  // CONFIG SET: applies every (name, value) pair or none; when one fails
  // the values changed so far are restored. A value is one string;
  // multi-argument parameters split it at spaces. Protected parameters
  // (dir, dbfilename) follow enable-protected-configs; `local_client` says
  // whether the request came from a local connection (for "local").
  // The error message is Redis's full reply text without the '-', e.g.
  //   ERR Unknown option or number of arguments for CONFIG SET - 'foo'
  //   ERR CONFIG SET failed (possibly related to argument 'port') - can't
  //   set immutable config
  absl::Status SetAtRuntime(
      absl::Span<const std::pair<absl::string_view, absl::string_view>> pairs,
      bool local_client);

  // (name, value) of every parameter whose name matches the glob `pattern`
  // (case-insensitive), in table order; an alias ("slave-read-only" for
  // "replica-read-only") is a name of its own. Values formatted as CONFIG
  // GET shows them (memory sizes as plain bytes, yes/no, lists
  // space-joined). A pattern without glob characters is a plain lookup and
  // comes back spelled as given, as Redis 7.0 does.
  std::vector<std::pair<std::string, std::string>> Get(
      absl::string_view pattern) const;
  // CONFIG GET with several patterns: the union, each parameter name once,
  // in the order of first match.
  std::vector<std::pair<std::string, std::string>> GetMany(
      absl::Span<const absl::string_view> patterns) const;

  bool Known(absl::string_view name) const;
  bool Mutable(absl::string_view name) const;

  // Applies the text of a redis.conf. On failure nothing is promised about
  // the partially applied state; the error is the full redis-server style
  // multi-line message naming the line. "include", "rename-command" and
  // the like are refused (core/ reads no files; cmd/ may resolve include).
  absl::Status LoadText(absl::string_view text);

  // Applies "--name value..." / "--name=value" arguments (argv without the
  // program name and without a leading config-file path). Same error style,
  // naming the option:
  //   *** FATAL CONFIG FILE ERROR (twinkv) ***
  //   Reading the command line, at option '--port'
  //   >>> 'port "99999"'
  //   argument must be between 0 and 65535 inclusive
  // As in redis-server, an option's values run up to the next argument
  // starting with "--", and a bare "--save" means save "".
  absl::Status LoadArgs(absl::Span<const std::string> args);

  // The parameters' canonical names, in table order (aliases excluded).
  std::vector<std::string> Names() const;

  // CONFIG REWRITE: the text of config file `old_text` brought up to date
  // with the current values, as Redis does it: comments, blank lines and
  // lines it does not know stay as they are; the first line of a parameter
  // gets its current value ("name value", quoted where needed, multi-value
  // parameters on one line) and later lines of the same parameter go;
  // parameters that are not in the file and differ from their defaults are
  // appended after a "# Generated by CONFIG REWRITE" line. Loading the
  // result gives the current values.
  std::string RewriteText(absl::string_view old_text) const;

 private:
  struct Param;
  const Param* FindParam(absl::string_view name) const;
  absl::Status Apply(const Param& param, std::vector<std::string> args,
                     bool at_runtime);
  Config* config_;
  std::vector<Param> params_;
  // Whether a "save" line was loaded yet: the first one replaces the
  // default, later ones add to it.
  bool save_loaded_ = false;
};

// Splits a line the way Redis's sdssplitargs does: spaces separate
// arguments; "double quotes" support \n \r \t \b \a \\ \" and \xHH escapes;
// 'single quotes' support \'. Returns an error for unbalanced quotes (or a
// closing quote not followed by a space).
absl::StatusOr<std::vector<std::string>> SplitArgs(absl::string_view line);

// Parses a memory size: "100", "1k" (1000), "1kb" (1024), "5mb", "2gb",
// case-insensitive. As Redis's memtoull, an empty number counts as 0 ("" and
// "kb" are 0). Error on anything else, on a sign and on values above
// INT64_MAX.
absl::StatusOr<int64_t> ParseMemory(absl::string_view s);

// Splits "host:port" at its last ':' (so "::1:7000" is host "::1"); false
// unless the host is non-empty and the port is in [1, 65535].
bool ParseHostPort(absl::string_view s, std::string* host, int* port);

// This node's cluster id: cluster-self, or "<first bind>:<port>" when it is
// empty (bind "*" or none: 127.0.0.1).
std::string ClusterSelfId(const Config& config);

// Redis's sdscatrepr: `s` in double quotes with \\, \", \n, \r, \t, \a,
// \b escaped and other unprintable bytes as \xHH.
std::string QuoteRepr(absl::string_view s);

}  // namespace twinkv

#endif  // TWINKV_CORE_CONFIG_H_
