// Appends RESP replies to a connection's output buffer.
//
// The writer never allocates per reply beyond growing the caller's buffer
// (amortised, the buffer is reused across batches). It speaks RESP2 by
// default; with protocol 3 the aggregate and scalar helpers that differ
// (maps, sets, doubles, booleans, nulls, push) use the RESP3 types, so command
// handlers write one shape and the wire format follows the client's HELLO.
//
// Not thread-safe; one writer per connection, used from the node's loop.

#ifndef TWINKV_CORE_RESP_REPLY_WRITER_H_
#define TWINKV_CORE_RESP_REPLY_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace twinkv {

class ReplyWriter {
 public:
  // `out` must outlive the writer; replies are appended to it.
  explicit ReplyWriter(std::string* out, int protocol = 2)
      : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }
  void set_protocol(int protocol) { protocol_ = protocol; }
  std::string* buffer() { return out_; }

  // "+OK\r\n". `s` must not contain CR or LF.
  void Status(absl::string_view s);
  void Ok() { Status("OK"); }
  // `message` starts with the error code, e.g. "ERR syntax error" or
  // "WRONGTYPE Operation ...". CR/LF inside it are replaced by spaces so a
  // message quoting client bytes cannot break the framing.
  void Error(absl::string_view message);
  void Integer(int64_t v);
  void Bulk(absl::string_view v);
  // The null bulk string: "$-1" (RESP2) or "_" (RESP3).
  void Null();
  // The null array: "*-1" (RESP2) or "_" (RESP3).
  void NullArray();
  void ArrayHeader(size_t n);
  // A map of n pairs: "*2n" (RESP2) or "%n" (RESP3); then 2n elements.
  void MapHeader(size_t n);
  // A set of n elements: "*n" (RESP2) or "~n" (RESP3).
  void SetHeader(size_t n);
  // A push message: "*n" (RESP2) or ">n" (RESP3).
  void PushHeader(size_t n);
  // A double formatted by FormatDouble: a bulk string in
  // RESP2, ",<d>" in RESP3.
  void Double(double v);
  // RESP2: integer 1/0; RESP3: "#t"/"#f".
  void Bool(bool v);
  // Bulk strings for each element of a range of string-like values.
  template <typename Range>
  void BulkArray(const Range& items) {
    ArrayHeader(items.size());
    for (const auto& item : items) Bulk(item);
  }

 private:
  void Line(char type, absl::string_view body);
  void Length(char type, int64_t n);

  std::string* out_;
  int protocol_;
};

// Formats a double as Redis 7.0 replies do: "inf", "-inf", "nan", else
// %.17g. FormatDouble writes at most 32 bytes to `buf` (which must hold 64)
// and returns the length; AppendDouble appends to `out`.
size_t FormatDouble(double v, char* buf);
void AppendDouble(double v, std::string* out);

}  // namespace twinkv

#endif  // TWINKV_CORE_RESP_REPLY_WRITER_H_
