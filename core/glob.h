// Glob-style pattern matching with Redis's semantics (stringmatchlen), used
// by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET.
//
// Pattern syntax, byte for byte as Redis 7.0 reads it:
//   *        any run of bytes (consecutive stars count as one)
//   ?        exactly one byte
//   [abc]    one byte of the set; [^abc] one byte not in it; [a-z] a range
//            (ends in either order); \x inside a set is the literal x.
//            "[]" is an empty set (matches nothing); a set missing its "]"
//            runs to the end of the pattern; in "[a-]" the "]" is taken as
//            the end of the range, as Redis does.
//   \x       the literal x (a trailing backslash is literal)
//   anything else matches itself; with `nocase`, ASCII letters ignore case
//            (except a backslash-escaped byte inside a set, as in Redis).
// Redis quirks kept on purpose: an empty subject matches only the empty
// pattern (so "*" does not match "": KEYS special-cases a lone "*"), and a
// pattern whose match needs more than 1000 star groups, not counting a
// final one, never matches (Redis's guard against abusive patterns).
//
// Unlike Redis's recursive matcher, this one backtracks only to the last
// star, so it runs in O(|pattern| * |subject|) time and constant space on
// any input ("*a*a*a*a*b" included).
//
// Pure function; safe to call from any thread.

#ifndef TWINKV_CORE_GLOB_H_
#define TWINKV_CORE_GLOB_H_

#include "absl/strings/string_view.h"

namespace twinkv {

// True if `subject` matches the glob `pattern` (see above).
bool GlobMatch(absl::string_view pattern, absl::string_view subject,
               bool nocase = false);

}  // namespace twinkv

#endif  // TWINKV_CORE_GLOB_H_
