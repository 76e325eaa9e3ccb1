// Incremental parser for client requests: RESP multibulk ("*2\r\n$3\r\nGET\r\n
// $1\r\nk\r\n") and inline commands ("GET k\r\n", as typed in telnet).
//
// Contract: for any valid byte stream and any way of splitting it into
// chunks, the sequence of commands parsed is the same. Bulk strings are
// binary-safe. Nothing is allocated from a length the client merely claims:
// memory grows only with bytes that actually arrived.
//
// Usage (one parser per connection, single-threaded):
//
//   std::string buf;  // the connection's input; new bytes are appended
//   size_t pos = 0;   // start of the first unconsumed byte
//   for (;;) {
//     auto r = parser.Parse(absl::string_view(buf).substr(pos));
//     if (r == RequestParser::kError) { reply "-ERR " + parser.error(); close }
//     pos += parser.consumed();      // also on kNeedMore (skipped empties)
//     if (r == RequestParser::kNeedMore) break;  // read more, call again
//     run(parser.args());            // views valid until the next Parse()
//   }
//
// Between calls the caller may move the unconsumed bytes (compact the buffer)
// and append new ones, but must pass them again from the same first byte:
// the parser remembers its progress through the current command as offsets
// from that byte, so a huge value trickling in is scanned once, not once per
// read.
//
// Where we differ from Redis 7.0 (networking.c), on purpose:
//  - Redis skips the two bytes after a "*N"/"$N" line or a bulk payload
//    without looking at them; we require CRLF there. A mismatch means the
//    client's announced length is wrong, and everything after it would be
//    framed differently from what the client meant (Redis would run a
//    truncated value). It is reported with the message Redis uses for that
//    field: "invalid multibulk length" / "invalid bulk length".
//  - Redis scans with strchr, so a NUL byte before the line end stalls it
//    until the 64 KiB limit; we are binary-safe: NUL is an ordinary byte,
//    also inside inline arguments.
//  - The 64 KiB line limit counts the line's bytes before its CR/LF whether
//    or not the terminator has arrived, so the verdict does not depend on how
//    the stream was split (Redis accepts a longer line if it all arrived in
//    one read).
//
// Limits are Redis 7.0's (proto-max-bulk-len, INT_MAX multibulk elements,
// 64 KiB of inline request or of a length line). Exceeding one is kError
// with Redis's message, after which the connection must be closed: the
// parser's state is undefined and Parse() must not be called again (it
// returns kError).
//
// Passing fewer bytes than a previous kNeedMore call saw breaks the contract
// above; the parser then starts the command over rather than read out of
// bounds.

#ifndef TWINKV_CORE_RESP_REQUEST_PARSER_H_
#define TWINKV_CORE_RESP_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace twinkv {

struct RequestLimits {
  // proto-max-bulk-len: a bulk string longer than this is a protocol error.
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // A multibulk with more elements than this is a protocol error. The
  // project's spec fixes 1048576 (Redis 6's limit; 7.0 allows INT_MAX).
  // Memory grows only with bytes that arrive either way, since nothing is
  // reserved from the announced count.
  int64_t max_multibulk_len = 1024 * 1024;
  // An inline request, or a "*N"/"$N" line, of more bytes than this before
  // its CR/LF is a protocol error (Redis's PROTO_INLINE_MAX_SIZE).
  size_t max_inline_len = 64 * 1024;
  // Set while the connection must authenticate (requirepass) and has not:
  // like Redis, a multibulk of more than 10 elements or a bulk string over
  // 16384 bytes is then refused ("Protocol error: unauthenticated multibulk
  // length" / "... bulk length"), so an anonymous peer cannot make the
  // server buffer much. Inline requests are bounded by max_inline_len.
  bool unauthenticated = false;
};

class RequestParser {
 public:
  enum Result {
    kCommand,   // args() holds a complete command of >= 1 argument
    kNeedMore,  // input holds no complete command yet
    kError,     // protocol error; see error(); close the connection
  };

  explicit RequestParser(RequestLimits limits = RequestLimits())
      : limits_(limits) {}

  // Parses the next command at the start of `input` (the unconsumed bytes).
  // Empty commands ("*0\r\n", "*-1\r\n", blank inline lines) are skipped and
  // counted in consumed(). On kNeedMore, consumed() is 0 unless such empty
  // commands were skipped; the caller should drop those consumed bytes before
  // the next call (passing them again is harmless: they are skipped again,
  // and the partial command after them is rescanned once).
  Result Parse(absl::string_view input);

  // The arguments of the last kCommand: views into `input` (multibulk) or
  // into parser-owned storage (inline). Valid until the next Parse() call.
  absl::Span<const absl::string_view> args() const { return args_; }

  // Bytes of input used by the last call (see Parse()).
  size_t consumed() const { return consumed_; }

  // The message of the last kError, without the "ERR " prefix, e.g.
  // "Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Bytes still missing to complete the bulk string being read, including
  // its CRLF, as of the last kNeedMore (a hint to size the next read); 0 when
  // not known.
  size_t bulk_bytes_pending() const;

  const RequestLimits& limits() const { return limits_; }
  void set_limits(const RequestLimits& limits) { limits_ = limits; }

 private:
  // Implementation state; see request_parser.cc. ParseInline/ParseMultibulk
  // parse one command at the start of `input`; kCommand with empty args_
  // means an empty command to skip.
  Result ParseInline(absl::string_view input);
  Result ParseMultibulk(absl::string_view input);
  Result FindLengthLine(absl::string_view input, size_t start,
                        const char* too_big_message, size_t* cr);
  bool SplitInline(absl::string_view line);
  Result Fail(std::string message);
  void Reset();

  RequestLimits limits_;
  std::vector<absl::string_view> args_;
  std::vector<std::string> inline_storage_;
  // Progress through the current command, as offsets from its first byte.
  int64_t multibulk_len_ = 0;  // elements announced; 0 = not yet known
  int64_t bulk_len_ = -1;      // length of the bulk being read, -1 none
  size_t pos_ = 0;             // offset of the next byte to scan
  size_t scan_ = 0;            // bytes of the current line without CR/LF
  size_t seen_ = 0;            // bytes of the command seen so far
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length)
  size_t consumed_ = 0;
  bool failed_ = false;
  std::string error_;
};

// The bytes of a command just parsed, if they are exactly the canonical
// RESP encoding of `args` ("*<n>\r\n" then "$<len>\r\n<arg>\r\n" each, no
// leading zeros), else empty. `consumed` is what the parser consumed for
// it (skipped empty commands first, then the command); `args` its args(),
// which for a multibulk command view the consumed bytes themselves. The
// check is exact: every argument must sit where the canonical encoding puts
// it, so an inline command or any other spelling gives empty.
absl::string_view CanonicalCommandBytes(
    absl::string_view consumed, absl::Span<const absl::string_view> args);

}  // namespace twinkv

#endif  // TWINKV_CORE_RESP_REQUEST_PARSER_H_
