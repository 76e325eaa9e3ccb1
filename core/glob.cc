#include "core/glob.h"

#include <cstddef>

namespace twinkv {
namespace {

// Redis gives up on patterns that need more star groups than this (its
// recursion depth limit); we keep the answer the same.
constexpr int kMaxStarGroups = 1000;

// Redis compares bytes as (signed) chars and lower-cases with tolower() in
// the C locale; ranges over bytes >= 0x80 depend on the sign, so we keep it.
int Byte(char c) { return static_cast<signed char>(c); }
int Lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// Matches the one-byte element of `p` at `pi` (anything but a star) against
// `c`. Sets *next to the index just past the element; where the element
// ends never depends on `c`, which is what makes backtracking to the last
// star sound.
bool MatchElement(absl::string_view p, size_t pi, char c, bool nocase,
                  size_t* next) {
  const size_t n = p.size();
  switch (p[pi]) {
    case '?':
      *next = pi + 1;
      return true;
    case '[': {
      size_t i = pi + 1;
      const bool negate = i < n && p[i] == '^';
      if (negate) ++i;
      bool match = false;
      // Mirrors Redis's scan: the order of these tests decides the quirks
      // ("[a-]" takes the "]" as the range end, a trailing "\" is literal).
      while (i < n && p[i] != ']') {
        if (p[i] == '\\' && i + 1 < n) {
          ++i;
          if (p[i] == c) match = true;  // case-sensitive even with nocase
        } else if (i + 2 < n && p[i + 1] == '-') {
          int start = Byte(p[i]);
          int end = Byte(p[i + 2]);
          int b = Byte(c);
          if (start > end) {
            int t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = Lower(start);
            end = Lower(end);
            b = Lower(b);
          }
          i += 2;
          if (b >= start && b <= end) match = true;
        } else if (nocase ? Lower(Byte(p[i])) == Lower(Byte(c)) : p[i] == c) {
          match = true;
        }
        ++i;
      }
      // i is at the closing "]" or, for an unterminated set, at the end.
      *next = i < n ? i + 1 : n;
      return match != negate;
    }
    case '\\':
      if (pi + 1 < n) ++pi;
      [[fallthrough]];
    default:
      *next = pi + 1;
      return nocase ? Lower(Byte(p[pi])) == Lower(Byte(c)) : p[pi] == c;
  }
}

}  // namespace

bool GlobMatch(absl::string_view pattern, absl::string_view subject,
               bool nocase) {
  const size_t n = pattern.size();
  if (subject.empty()) return n == 0;  // Redis never enters its loop.

  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t pi = 0;
  size_t si = 0;
  // Where to resume when an element fails: just after the last star group,
  // with that star swallowing one more byte of the subject.
  size_t star_pi = kNone;
  size_t star_si = 0;
  int star_groups = 0;
  while (si < subject.size()) {
    if (pi < n && pattern[pi] == '*') {
      while (pi < n && pattern[pi] == '*') ++pi;
      if (pi == n) return true;  // a final star takes the (non-empty) rest
      if (++star_groups > kMaxStarGroups) return false;
      star_pi = pi;
      star_si = si;
      continue;
    }
    size_t next;
    if (pi < n && MatchElement(pattern, pi, subject[si], nocase, &next)) {
      pi = next;
      ++si;
      continue;
    }
    if (star_pi == kNone) return false;
    // Any earlier star could only take more bytes if this one could not,
    // so retrying the last star alone is enough (the classic argument for
    // elements that each consume exactly one byte).
    pi = star_pi;
    si = ++star_si;
  }
  while (pi < n && pattern[pi] == '*') ++pi;
  return pi == n;
}

}  // namespace twinkv
