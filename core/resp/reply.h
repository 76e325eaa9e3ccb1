// A decoded RESP reply, as a client sees it, and an incremental decoder.
//
// The decoder understands every RESP2 type (simple string, error, integer,
// bulk string, array, their nulls, arbitrarily nested arrays) and the RESP3
// types (null, double, boolean, big number, verbatim string, map, set,
// attribute (skipped), push). It never allocates from a claimed length
// before the bytes arrive, bounds nesting depth, and reports malformed input
// as an error instead of crashing. Used by the pipeline client, the tests
// and the fuzzer.
//
// EncodeReply() writes a Reply back as RESP (through ReplyWriter for the
// RESP2 types), so encode(decode(x)) round-trips.

#ifndef TWINKV_CORE_RESP_REPLY_H_
#define TWINKV_CORE_RESP_REPLY_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/resp/reply_writer.h"

namespace twinkv {

struct Reply {
  enum class Type : uint8_t {
    kStatus,     // +OK            -> str
    kError,      // -ERR ...       -> str (without '-')
    kInteger,    // :42            -> integer
    kBulk,       // $3\r\nabc      -> str
    kNull,       // $-1, *-1, _
    kArray,      // *N             -> elements
    kDouble,     // ,3.14          -> str (as sent) and number
    kBool,       // #t / #f        -> integer (1/0)
    kBigNumber,  // (123...        -> str
    kVerbatim,   // =15\r\ntxt:... -> str (with the "txt:" prefix)
    kMap,        // %N             -> elements (2N: key, value, ...)
    kSet,        // ~N             -> elements
    kPush,       // >N             -> elements
  };

  Type type = Type::kNull;
  std::string str;
  int64_t integer = 0;
  double number = 0;
  std::vector<Reply> elements;
  // kNull only: it came as RESP2's null array ("*-1"), not the null bulk
  // string ("$-1") — so a relayed reply keeps its kind. Not compared.
  bool null_array = false;

  static Reply Status(absl::string_view s);
  static Reply Error(absl::string_view s);
  static Reply Integer(int64_t v);
  static Reply Bulk(absl::string_view s);
  static Reply Null();
  static Reply Array(std::vector<Reply> elements);
  // RESP3 constructors. Double() keeps `str` as FormatDouble() prints it.
  static Reply Double(double v);
  static Reply Bool(bool v);
  static Reply BigNumber(absl::string_view digits);
  // `s` includes the three-letter format and ':', e.g. "txt:hello".
  static Reply Verbatim(absl::string_view s);
  // `elements` alternates key, value.
  static Reply Map(std::vector<Reply> elements);
  static Reply Set(std::vector<Reply> elements);
  static Reply Push(std::vector<Reply> elements);

  bool is_error() const { return type == Type::kError; }
  // Compares what the type carries (str, integer, elements; for kDouble the
  // text and the number, NaN equal to NaN); fields the type does not use are
  // ignored.
  friend bool operator==(const Reply& a, const Reply& b);
  friend bool operator!=(const Reply& a, const Reply& b) { return !(a == b); }
  // A compact human-readable form for test failures, in redis-cli's spirit,
  // e.g. `["v", OK, (error) ERR x, (integer) 3, (nil)]`.
  std::string DebugString() const;
};

// gtest prints a Reply in DebugString's form.
inline void PrintTo(const Reply& reply, std::ostream* os) {
  *os << reply.DebugString();
}

// Appends the RESP encoding of `reply` to `out` (RESP3 types in RESP3 form;
// nulls as "_"). Errors holding CR or LF go out as RESP3 blob errors ("!N")
// so they survive the trip; CR/LF in a status (which RESP cannot carry) are
// replaced by spaces. A map with an odd number of elements loses the last.
void EncodeReply(const Reply& reply, std::string* out);

// Appends `reply` through `out`, in `out`'s protocol: what a proxy relays
// to its own client. RESP2 nulls keep their kind (null_array); RESP3-only
// types (maps, doubles...) only come from a RESP3 peer, for a RESP3 client.
// Errors with CR/LF have them replaced by spaces in RESP2.
void WriteReply(const Reply& reply, ReplyWriter& out);

class ReplyDecoder {
 public:
  enum Result { kReply, kNeedMore, kError };

  static constexpr int kMaxDepth = 128;
  static constexpr int64_t kMaxBulkLen = 512LL * 1024 * 1024;
  static constexpr int64_t kMaxAggregateLen = 1LL << 32;

  // Decodes the next complete reply at the start of `input`. On kReply,
  // *out holds it and consumed() the bytes it used. On kNeedMore nothing is
  // consumed; call again with the same bytes plus more. On kError, error()
  // says why; the stream is unusable afterwards.
  //
  // Progress through a partial reply is kept between kNeedMore calls (as
  // offsets from the reply's first byte and the aggregates built so far), so
  // a reply arriving in many chunks is scanned once in total. Accepted but
  // not kept: attributes ("|N", skipped with their contents) and RESP3 blob
  // errors ("!N", decoded as kError). Streamed strings/aggregates ("$?",
  // "*?") are rejected: Redis never sends them. Passing fewer bytes than a
  // previous kNeedMore call saw breaks the contract; the decoder then starts
  // the reply over rather than read out of bounds.
  Result Decode(absl::string_view input, Reply* out);

  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }

 private:
  // An aggregate whose elements are still arriving.
  struct Frame {
    Reply reply;
    int64_t remaining = 0;   // elements still to come
    bool attribute = false;  // an attribute map: dropped when complete
  };

  Result Fail(std::string message);
  void Reset();

  size_t consumed_ = 0;
  std::string error_;
  bool failed_ = false;
  std::vector<Frame> stack_;  // open aggregates, outermost first
  size_t pos_ = 0;            // offset of the next element's type byte
  size_t scan_ = 0;           // bytes of the current line without CR/LF
  size_t seen_ = 0;           // input size at the last kNeedMore
};

}  // namespace twinkv

#endif  // TWINKV_CORE_RESP_REPLY_H_
