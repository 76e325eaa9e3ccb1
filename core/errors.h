// Every RESP error string the server sends, spelled exactly as Redis 7 spells
// it (without the leading '-'). Handlers use these constants, never literals,
// so a wording fix happens in one place. Strings with a variable part have a
// builder function.

#ifndef TWINKV_CORE_ERRORS_H_
#define TWINKV_CORE_ERRORS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace twinkv {

inline constexpr absl::string_view kSyntaxErr = "ERR syntax error";
inline constexpr absl::string_view kWrongTypeErr =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr absl::string_view kNotIntegerErr =
    "ERR value is not an integer or out of range";
inline constexpr absl::string_view kNotFloatErr =
    "ERR value is not a valid float";
inline constexpr absl::string_view kOverflowErr =
    "ERR increment or decrement would overflow";
inline constexpr absl::string_view kIncrFloatNanErr =
    "ERR increment would produce NaN or Infinity";
inline constexpr absl::string_view kNoSuchKeyErr = "ERR no such key";
inline constexpr absl::string_view kDbIndexOutOfRangeErr =
    "ERR DB index is out of range";
inline constexpr absl::string_view kInvalidExpireErr =
    "ERR invalid expire time in '%s' command";  // see InvalidExpireError()
inline constexpr absl::string_view kStringTooLongErr =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr absl::string_view kOffsetOutOfRangeErr =
    "ERR offset is out of range";
// DECRBY of LLONG_MIN (its negation overflows before any addition).
inline constexpr absl::string_view kDecrementOverflowErr =
    "ERR decrement would overflow";
// Key commands (MOVE, COPY, SWAPDB, SCAN, EXPIRE's options).
inline constexpr absl::string_view kSameObjectErr =
    "ERR source and destination objects are the same";
inline constexpr absl::string_view kIntOutOfRangeErr =
    "ERR value is out of range, value must between -2147483648 and "
    "2147483647";
inline constexpr absl::string_view kInvalidFirstDbIndexErr =
    "ERR invalid first DB index";
inline constexpr absl::string_view kInvalidSecondDbIndexErr =
    "ERR invalid second DB index";
inline constexpr absl::string_view kInvalidCursorErr = "ERR invalid cursor";
inline constexpr absl::string_view kExpireNxConflictErr =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr absl::string_view kExpireGtLtErr =
    "ERR GT and LT options at the same time are not compatible";
// Followed by the option as given: "ERR Unsupported option foo".
inline constexpr absl::string_view kUnsupportedOptionPrefix =
    "ERR Unsupported option ";

// "ERR wrong number of arguments for 'get' command" (name as given, lower).
std::string WrongArgsError(absl::string_view command);
// "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
std::string UnknownCommandError(absl::string_view name,
                                absl::Span<const absl::string_view> args);
// "ERR unknown subcommand 'foo'. Try CONFIG HELP."
std::string UnknownSubcommandError(absl::string_view container,
                                   absl::string_view subcommand);
// "ERR invalid expire time in 'set' command"
std::string InvalidExpireError(absl::string_view command);

}  // namespace twinkv

#endif  // TWINKV_CORE_ERRORS_H_
