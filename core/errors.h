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

// Counts and ranges (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, LPOP...).
inline constexpr absl::string_view kOutOfRangeErr = "ERR value is out of range";
inline constexpr absl::string_view kMustBePositiveErr =
    "ERR value is out of range, must be positive";
// A count whose negation must stay an int64 (-LLONG_MAX..LLONG_MAX).
inline constexpr absl::string_view kCountRangeErr =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
// Hashes.
inline constexpr absl::string_view kHashNotIntegerErr =
    "ERR hash value is not an integer";
inline constexpr absl::string_view kHashNotFloatErr =
    "ERR hash value is not a float";
inline constexpr absl::string_view kNanOrInfinityErr =
    "ERR value is NaN or Infinity";
// Lists.
inline constexpr absl::string_view kIndexOutOfRangeErr =
    "ERR index out of range";
inline constexpr absl::string_view kRankZeroErr =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
    "second ... or use negative to start from the end of the list";
inline constexpr absl::string_view kCountNegativeErr =
    "ERR COUNT can't be negative";
inline constexpr absl::string_view kMaxLenNegativeErr =
    "ERR MAXLEN can't be negative";
inline constexpr absl::string_view kNumKeysErr =
    "ERR numkeys should be greater than 0";
inline constexpr absl::string_view kCountPositiveErr =
    "ERR count should be greater than 0";
// Blocking commands (getTimeoutFromObjectOrReply).
inline constexpr absl::string_view kTimeoutNotFloatErr =
    "ERR timeout is not a float or out of range";
inline constexpr absl::string_view kTimeoutNegativeErr =
    "ERR timeout is negative";
inline constexpr absl::string_view kTimeoutOutOfRangeErr =
    "ERR timeout is out of range";
// Sorted sets.
inline constexpr absl::string_view kMinMaxNotFloatErr =
    "ERR min or max is not a float";
inline constexpr absl::string_view kMinMaxNotStringErr =
    "ERR min or max not valid string range item";
inline constexpr absl::string_view kNanScoreErr =
    "ERR resulting score is not a number (NaN)";
inline constexpr absl::string_view kXxNxErr =
    "ERR XX and NX options at the same time are not compatible";
inline constexpr absl::string_view kGtLtNxErr =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr absl::string_view kIncrPairErr =
    "ERR INCR option supports a single increment-element pair";
inline constexpr absl::string_view kLimitErr =
    "ERR syntax error, LIMIT is only supported in combination with either "
    "BYSCORE or BYLEX";
inline constexpr absl::string_view kWithScoresLexErr =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
inline constexpr absl::string_view kWeightErr =
    "ERR weight value is not a float";

// COMMAND GETKEYS, FUNCTION/SCRIPT FLUSH, CONFIG REWRITE.
inline constexpr absl::string_view kInvalidCommandErr =
    "ERR Invalid command specified";
inline constexpr absl::string_view kInvalidArgCountErr =
    "ERR Invalid number of arguments specified for command";
inline constexpr absl::string_view kNoKeyArgsErr =
    "ERR The command has no key arguments";
inline constexpr absl::string_view kFunctionFlushErr =
    "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
inline constexpr absl::string_view kFunctionFlushArgsErr =
    "ERR unknown subcommand or wrong number of arguments for 'flush'. Try "
    "FUNCTION HELP.";
inline constexpr absl::string_view kScriptFlushErr =
    "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
inline constexpr absl::string_view kNoConfigFileErr =
    "ERR The server is running without a config file";

// Cluster (core/cluster_family.cc and the engine's redirection). MOVED has
// a variable part: "MOVED <slot> <host>:<port>".
inline constexpr absl::string_view kCrossSlotErr =
    "CROSSSLOT Keys in request don't hash to the same slot";
inline constexpr absl::string_view kClusterDisabledErr =
    "ERR This instance has cluster support disabled";
inline constexpr absl::string_view kSelectInClusterErr =
    "ERR SELECT is not allowed in cluster mode";
inline constexpr absl::string_view kMoveInClusterErr =
    "ERR MOVE is not allowed in cluster mode";
inline constexpr absl::string_view kSwapDbInClusterErr =
    "ERR SWAPDB is not allowed in cluster mode";
inline constexpr absl::string_view kInvalidSlotErr = "ERR Invalid slot";
inline constexpr absl::string_view kInvalidSlotOrCountErr =
    "ERR Invalid slot or number of keys";

// Authentication and connection administration (AUTH HELLO CLIENT).
inline constexpr absl::string_view kNoAuthErr =
    "NOAUTH Authentication required.";
inline constexpr absl::string_view kWrongPassErr =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr absl::string_view kAuthNoPasswordErr =
    "ERR AUTH <password> called without any password configured for the "
    "default user. Are you sure your configuration is correct?";
inline constexpr absl::string_view kNoProtoErr =
    "NOPROTO unsupported protocol version";
inline constexpr absl::string_view kClientNameErr =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr absl::string_view kNoSuchClientErr = "ERR No such client";
inline constexpr absl::string_view kInvalidClientIdErr =
    "ERR Invalid client ID";
inline constexpr absl::string_view kPauseModeErr =
    "ERR CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr absl::string_view kTimeoutNotIntegerErr =
    "ERR timeout is not an integer or out of range";
// Sent (with its leading '-') to a connection refused by protected mode,
// which is then closed.
inline constexpr absl::string_view kProtectedModeErr =
    "DENIED Redis is running in protected mode because protected mode is "
    "enabled and no password is set for the default user. In this mode "
    "connections are only accepted from the loopback interface. If you want "
    "to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however "
    "MAKE SURE Redis is not publicly accessible from internet if you do so. "
    "Use CONFIG REWRITE to make this change permanent. 2) Alternatively you "
    "can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Setup a "
    "an authentication password for the default user. NOTE: You only need "
    "to do one of the above things in order for the server to start "
    "accepting connections from the outside.";

// COPY of a value whose representation cannot be cloned.
inline constexpr absl::string_view kCopyUnsupportedErr =
    "ERR COPY is not supported for this value type";

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

// Transactions (MULTI/EXEC), as Redis 7.0 says them.
inline constexpr absl::string_view kNotInMultiErr =
    "ERR Command not allowed inside a transaction";
inline constexpr absl::string_view kExecAbortErr =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr absl::string_view kExecWithoutMultiErr =
    "ERR EXEC without MULTI";
inline constexpr absl::string_view kNestedMultiErr =
    "ERR MULTI calls can not be nested";
inline constexpr absl::string_view kDiscardWithoutMultiErr =
    "ERR DISCARD without MULTI";
inline constexpr absl::string_view kWatchInMultiErr =
    "ERR WATCH inside MULTI is not allowed";

}  // namespace twinkv

#endif  // TWINKV_CORE_ERRORS_H_
