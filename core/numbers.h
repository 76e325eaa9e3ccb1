// Numbers exactly as Redis reads and writes them (its util.c), shared by the
// protocol parser, the config table and the command families.
//
// Pure functions; thread-compatible.

#ifndef TWINKV_CORE_NUMBERS_H_
#define TWINKV_CORE_NUMBERS_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace twinkv {

// Redis's string2ll: an optional '-', then digits without leading zeros
// ("0" alone is fine, "-0" is not), no '+', no spaces, at most 20 bytes, no
// overflow. Returns false if `s` is not such a number.
bool ParseInt64(absl::string_view s, int64_t* out);

// Redis's MAX_LONG_DOUBLE_CHARS: the longest float text it parses, and the
// size of the buffer FormatLongDouble needs.
inline constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// Redis's string2ld: strtold over the whole string, rejecting leading
// space, trailing bytes, NaN, overflow and underflow to zero ("inf" is
// accepted; callers check the result for NaN/Infinity).
bool ParseLongDouble(absl::string_view s, long double* out);

// Redis's ld2string in human mode (INCRBYFLOAT): %.17Lf with trailing zeros
// (and a bare '.') removed, "-0" as "0". `buf` must hold
// kMaxLongDoubleChars bytes. Returns the length (0 if it does not fit).
size_t FormatLongDouble(long double v, char* buf);

// Redis's getDoubleFromObject (ZADD scores, ZUNIONSTORE weights...): the
// whole of `s` must be a strtod double; no leading space, no NaN, no
// overflow or underflow to zero ("inf", "-inf" and hex floats are fine).
// Returns false otherwise.
bool ParseDouble(absl::string_view s, double* out);

// One bound of Redis's zslParseRange (ZRANGEBYSCORE min/max): "(x" is
// exclusive (*exclusive set), anything else inclusive. strtod's leniency
// is Redis's too: leading space, "" as 0, and text after an embedded NUL is
// ignored; other trailing bytes or NaN make it false.
bool ParseScoreBound(absl::string_view s, double* v, bool* exclusive);

}  // namespace twinkv

#endif  // TWINKV_CORE_NUMBERS_H_
