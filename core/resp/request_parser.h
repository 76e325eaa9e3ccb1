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
//     if (r == RequestParser::kNeedMore) break;  // read more, call again
//     if (r == RequestParser::kError) { reply "-ERR " + parser.error(); close }
//     run(parser.args());            // views valid until the next Parse()
//     pos += parser.consumed();      // bytes of this command
//   }
//
// Between calls the caller may move the unconsumed bytes (compact the buffer)
// and append new ones, but must pass them again from the same first byte:
// the parser remembers its progress through the current command as offsets
// from that byte, so a huge value trickling in is scanned once, not once per
// read.
//
// Limits are Redis's (proto-max-bulk-len, 1M multibulk elements, 64 KiB of
// inline request or of a length line). Exceeding one is kError with Redis's
// message, after which the connection must be closed: the parser's state is
// undefined and Parse() must not be called again (it returns kError).

#ifndef TWINKV_CORE_RESP_REQUEST_PARSER_H_
#define TWINKV_CORE_RESP_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace twinkv {

struct RequestLimits {
  // proto-max-bulk-len: a bulk string longer than this is a protocol error.
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // A multibulk with more elements than this is a protocol error.
  int64_t max_multibulk_len = 1024 * 1024;
  // An inline request, or a "*N"/"$N" line, without CRLF within this many
  // bytes is a protocol error (Redis's PROTO_INLINE_MAX_SIZE).
  size_t max_inline_len = 64 * 1024;
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
  // commands were skipped; the caller must drop those consumed bytes before
  // the next call.
  Result Parse(absl::string_view input);

  // The arguments of the last kCommand: views into `input` (multibulk) or
  // into parser-owned storage (inline). Valid until the next Parse() call.
  absl::Span<const absl::string_view> args() const { return args_; }

  // Bytes of input used by the last call (see Parse()).
  size_t consumed() const { return consumed_; }

  // The message of the last kError, without the "ERR " prefix, e.g.
  // "Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Bytes still missing to complete the bulk string being read, when known
  // (a hint to size the next read); 0 otherwise.
  size_t bulk_bytes_pending() const;

  const RequestLimits& limits() const { return limits_; }
  void set_limits(const RequestLimits& limits) { limits_ = limits; }

 private:
  // Implementation state; see request_parser.cc.
  Result ParseInline(absl::string_view input);
  Result ParseMultibulk(absl::string_view input);
  Result Fail(std::string message);
  void Reset();

  RequestLimits limits_;
  std::vector<absl::string_view> args_;
  std::vector<std::string> inline_storage_;
  // Progress through the current multibulk command, as offsets from the
  // first byte of the command.
  int64_t multibulk_len_ = 0;      // elements announced; 0 = not yet known
  int64_t bulk_len_ = -1;          // length of the bulk being read, -1 none
  size_t pos_ = 0;                 // offset of the next byte to scan
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length)
  size_t consumed_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_RESP_REQUEST_PARSER_H_
