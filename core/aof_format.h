// The on-disk formats of the append-only file, shared by the server
// (core/aof.h) and the check tool (//cmd:twinkv-check-aof).
//
// Layout, as Redis 7's multi-part AOF: a directory (appenddirname) under
// `dir` holds
//   <appendfilename>.<seq>.base.aof   commands that rebuild the data set as
//                                     it was when a rewrite started,
//   <appendfilename>.<seq>.incr.aof   commands logged since, in order,
//   <appendfilename>.manifest         which files make up the log, one line
//                                     each: "file <name> seq <n> type <b|i>".
// Loading replays the base, then every incr file in manifest order. Files
// are plain RESP arrays of bulk strings, as clients send commands; SELECT
// appears whenever the database changes (each file starts with none
// selected, meaning database 0).
//
// Thread-compatible; no I/O here.

#ifndef TWINKV_CORE_AOF_FORMAT_H_
#define TWINKV_CORE_AOF_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/db.h"

namespace twinkv {

// Appends `args` as a RESP array of bulk strings.
void AppendRespCommand(ArgList args, std::string* out);

struct AofManifest {
  struct Entry {
    std::string name;
    int64_t seq = 0;
  };
  bool has_base = false;
  Entry base;
  std::vector<Entry> incrs;  // in replay order

  // Parses a manifest file's text. Unknown keys are ignored (forward
  // compatibility, as Redis does); history entries ("type h") are dropped.
  // A malformed line is an error naming it.
  static absl::StatusOr<AofManifest> Parse(absl::string_view text);
  std::string Format() const;

  static std::string BaseName(absl::string_view filename, int64_t seq);
  static std::string IncrName(absl::string_view filename, int64_t seq);
  static std::string ManifestName(absl::string_view filename);
};

// Splits an AOF's bytes into commands, knowing exactly where each ends and
// where a broken one went wrong.
//
// Feed() the file's bytes in order; Next() yields the commands. The views
// from args() point into the fed data and stay valid until the next
// Feed() or Next() (feed the whole file, or keep unconsumed bytes alive:
// Next never needs bytes before the command it is parsing).
class AofParser {
 public:
  enum Result {
    kCommand,   // args() holds one; end_offset() is just past it
    kNeedMore,  // the rest is an incomplete command (or nothing)
    kCorrupt,   // not an AOF command: error(), error_offset()
  };

  // `data` continues the bytes fed so far; must stay valid until Next()
  // has returned kNeedMore or kCorrupt.
  void Feed(absl::string_view data);
  Result Next();

  ArgList args() const { return args_; }
  // File offset just past the last complete command.
  uint64_t end_offset() const { return end_offset_; }
  // File offset of the first byte that cannot be part of a valid command,
  // after kCorrupt.
  uint64_t error_offset() const { return error_offset_; }
  const std::string& error() const { return error_; }
  // Bytes fed but not consumed by complete commands (to keep, or to
  // report as a torn tail).
  absl::string_view unconsumed() const { return data_.substr(pos_); }

  // Largest bulk or argument count accepted (Redis's limits).
  static constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;
  static constexpr int64_t kMaxArgs = 1024 * 1024;

 private:
  // Parses "<prefix><digits>\r\n" at pos; kNeedMore / kCorrupt as Next.
  Result ParseLength(size_t* pos, char prefix, int64_t max, int64_t* out);
  Result Fail(size_t at, std::string error);

  absl::string_view data_;   // unconsumed + newly fed bytes
  std::string carry_;        // unconsumed bytes kept across Feed calls
  size_t pos_ = 0;           // start of the next command in data_
  uint64_t data_offset_ = 0; // file offset of data_[0]
  uint64_t end_offset_ = 0;
  uint64_t error_offset_ = 0;
  std::string error_;
  std::vector<absl::string_view> args_;
};

// Appends the commands that recreate `key` holding `value` (of any type),
// with its expiry time (Db::kNoExpire: none) as PEXPIREAT: SET, or RPUSH /
// HSET / SADD / ZADD with at most kRewriteItemsPerCommand items each, as
// Redis's rewrite does.
constexpr size_t kRewriteItemsPerCommand = 64;
void AppendKeyRewrite(absl::string_view key, const Value& value,
                      int64_t expire_ms, std::string* out);

}  // namespace twinkv

#endif  // TWINKV_CORE_AOF_FORMAT_H_
