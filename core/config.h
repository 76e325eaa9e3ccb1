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
//   *** FATAL CONFIG FILE ERROR ***
//   Reading the configuration file, at line 3
//   >>> 'port 99999'
//   argument must be between 0 and 65535 inclusive
//
// Single-threaded.

#ifndef TWINKV_CORE_CONFIG_H_
#define TWINKV_CORE_CONFIG_H_

#include <cstdint>
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
  std::string save = "";                  // accepted for compatibility
  std::string requirepass = "";
  bool protected_mode = true;
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int hz = 10;
  std::string config_file;                // absolute path, "" if none
};

// The parameter table.
class ConfigTable {
 public:
  // Builds the table over `config`, which must outlive it.
  explicit ConfigTable(Config* config);

  // Applies "name value...". `args` excludes the name. Errors carry
  // Redis's wording for that case ("argument must be between ...",
  // "Bad directive or wrong number of arguments", "argument must be
  // 'yes' or 'no'", "Invalid argument ...").
  absl::Status Set(absl::string_view name, absl::Span<const std::string> args,
                   bool at_runtime);

  // (name, value) of every parameter whose name matches the glob `pattern`
  // (case-insensitive), in table order. Values formatted as CONFIG GET
  // shows them (memory sizes as plain bytes, yes/no, lists space-joined).
  std::vector<std::pair<std::string, std::string>> Get(
      absl::string_view pattern) const;

  bool Known(absl::string_view name) const;
  bool Mutable(absl::string_view name) const;

  // Applies the text of a redis.conf. On failure nothing is promised about
  // the partially applied state; the error is the full redis-server style
  // multi-line message naming the line.
  absl::Status LoadText(absl::string_view text);

  // Applies "--name value..." / "--name=value" arguments (argv without the
  // program name and without a leading config-file path). Same error style,
  // naming the option.
  absl::Status LoadArgs(absl::Span<const std::string> args);

 private:
  struct Param;
  const Param* FindParam(absl::string_view name) const;
  Config* config_;
  std::vector<Param> params_;
};

// Splits a line the way Redis's sdssplitargs does: spaces separate
// arguments; "double quotes" support \n \r \t \b \a \\ \" and \xHH escapes;
// 'single quotes' support \'. Returns an error for unbalanced quotes (or a
// closing quote not followed by a space).
absl::StatusOr<std::vector<std::string>> SplitArgs(absl::string_view line);

// Parses a memory size: "100", "1k" (1000), "1kb" (1024), "5mb", "2gb",
// case-insensitive. Error on anything else.
absl::StatusOr<int64_t> ParseMemory(absl::string_view s);

}  // namespace twinkv

#endif  // TWINKV_CORE_CONFIG_H_
