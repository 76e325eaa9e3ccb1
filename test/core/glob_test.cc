// Tests of GlobMatch: cases checked against redis-server 7.0 (KEYS), the
// quirks Redis keeps, the running time on patterns that make a naive
// recursive matcher explode, and RapidCheck properties against a
// transliteration of Redis's recursive stringmatchlen and against
// std::regex on the plain subset.

#include "core/glob.h"

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

// Redis 7.0's stringmatchlen_impl (util.c), transliterated: recursive, without
// the skip-longer-matches shortcut (which only saves time), and with the
// reads past the pattern's end that C gets from the NUL terminator made
// explicit. Exponential: small inputs only.
bool RedisReference(const char* p, int plen, const char* s, int slen,
                    bool nocase, int nesting) {
  if (nesting > 1000) return false;
  auto lower = [](int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  while (plen > 0 && slen > 0) {
    switch (p[0]) {
      case '*':
        while (plen > 1 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return true;
        while (slen > 0) {
          if (RedisReference(p + 1, plen - 1, s, slen, nocase, nesting + 1)) {
            return true;
          }
          ++s;
          --slen;
        }
        return false;
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        bool negate = plen > 0 && p[0] == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool match = false;
        while (true) {
          if (plen >= 2 && p[0] == '\\') {
            ++p;
            --plen;
            if (p[0] == s[0]) match = true;
          } else if (plen > 0 && p[0] == ']') {
            break;
          } else if (plen == 0) {
            --p;
            ++plen;
            break;
          } else if (plen >= 3 && p[1] == '-') {
            int start = static_cast<signed char>(p[0]);
            int end = static_cast<signed char>(p[2]);
            int c = static_cast<signed char>(s[0]);
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? lower(static_cast<signed char>(p[0])) ==
                                  lower(static_cast<signed char>(s[0]))
                            : p[0] == s[0]) {
            match = true;
          }
          ++p;
          --plen;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (nocase ? lower(static_cast<signed char>(p[0])) !=
                         lower(static_cast<signed char>(s[0]))
                   : p[0] != s[0]) {
          return false;
        }
        ++s;
        --slen;
        break;
    }
    ++p;
    --plen;
    if (slen == 0) {
      while (plen > 0 && p[0] == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

bool Reference(const std::string& pattern, const std::string& subject,
               bool nocase) {
  return RedisReference(pattern.data(), static_cast<int>(pattern.size()),
                        subject.data(), static_cast<int>(subject.size()),
                        nocase, 0);
}

struct Case {
  const char* pattern;
  const char* subject;
  bool match;
};

// Each verdict below is what redis-server 7.0.15 answered to KEYS <pattern>
// in a database holding only <subject>.
TEST(GlobTest, AgreesWithRedisServer) {
  const Case kCases[] = {
      {"*", "hello", true},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h[ae]llo", "hello", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[b-a]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"[]a]", "a", false},
      {"[]a]", "]", false},
      {"[]a]", "a]", false},
      {"[]", "a", false},
      {"[^]", "a", true},
      {"[a-]", "a", true},
      {"[a-]x", "a", true},
      {"[a-]x", "]x", false},
      {"[a-]x]", "bx", false},
      {"[abc", "b", true},
      {"[abc", "[abc", false},
      {"[\\]]", "]", true},
      {"[\\", "\\", true},
      {"[a\\", "\\", true},
      {"a\\", "a\\", true},
      {"a\\*", "a*", true},
      {"a\\*", "ab", false},
      {"\\a", "a", true},
      {"\\", "\\", true},
      {"HELLO", "hello", false},
      {"[A-Z]", "q", false},
      {"[a-z]ello", "Hello", false},
      {"*a*a*a*a*b", "aaaaaaaaab", true},
      {"*a*a*a*a*b", "aaaaaaaaaa", false},
      {"a*b*c", "abc", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "acb", false},
      {"*?", "x", true},
      {"?*", "x", true},
      {"**", "x", true},
      {"*x*", "abxcd", true},
      {"[!a]", "b", false},
      {"[^a-c]", "d", true},
      {"[^a-c]", "b", false},
      {"[--z]", "-", true},
      {"[\\-]", "-", true},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.subject), c.match)
        << "pattern '" << c.pattern << "' subject '" << c.subject << "'";
    EXPECT_EQ(Reference(c.pattern, c.subject, false), c.match)
        << "reference disagrees with Redis on pattern '" << c.pattern
        << "' subject '" << c.subject << "'";
  }
}

TEST(GlobTest, EmptySubjectMatchesOnlyEmptyPattern) {
  // Redis's loop never starts on an empty subject (KEYS * special-cases a
  // lone "*" to list an empty key; "**" does not list it).
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
}

TEST(GlobTest, NoCase) {
  EXPECT_TRUE(GlobMatch("HELLO", "hello", true));
  EXPECT_TRUE(GlobMatch("h?LLo", "HeLlO", true));
  EXPECT_TRUE(GlobMatch("[A-Z]ello", "hello", true));
  EXPECT_TRUE(GlobMatch("[^X]", "y", true));
  EXPECT_FALSE(GlobMatch("[^X]", "x", true));
  // Redis compares an escaped byte in a set case-sensitively.
  EXPECT_FALSE(GlobMatch("[\\A]", "a", true));
  EXPECT_TRUE(GlobMatch("\\A", "a", true));
  // Range ends are swapped before lower-casing: [Z-a] becomes z..a, empty.
  EXPECT_FALSE(GlobMatch("[Z-a]", "z", true));
  EXPECT_TRUE(GlobMatch("[Z-a]", "_", false));
}

TEST(GlobTest, BinarySafe) {
  std::string subject("a\0b", 3);
  std::string pattern("a\0*", 3);
  EXPECT_TRUE(GlobMatch(pattern, subject));
  EXPECT_FALSE(GlobMatch(std::string("a\0c", 3), subject));
  EXPECT_TRUE(GlobMatch("a?b", subject));
  // Bytes >= 0x80 compare as signed chars in ranges, as in Redis.
  EXPECT_TRUE(GlobMatch("[\xff-a]", "\xff"));
  EXPECT_TRUE(GlobMatch("[\xff-a]", "Q"));
  EXPECT_FALSE(GlobMatch("[\xff-a]", "\x80"));
}

TEST(GlobTest, PathologicalPatternsStayFast) {
  // A recursive matcher takes exponential time on these; ours is
  // O(|pattern| * |subject|) (the test would time out otherwise).
  std::string subject(20000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", subject));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*", subject));
  std::string stars;
  for (int i = 0; i < 200; ++i) stars += "*?";
  EXPECT_FALSE(GlobMatch(stars + "b", subject));
  EXPECT_TRUE(GlobMatch(stars, subject));
}

TEST(GlobTest, MoreThanAThousandStarGroupsNeverMatch) {
  // Redis stops recursing past depth 1000 and reports no match.
  std::string subject(3000, 'a');
  std::string pattern;
  for (int i = 0; i < 1000; ++i) pattern += "*a";
  EXPECT_TRUE(GlobMatch(pattern, subject));
  EXPECT_TRUE(GlobMatch(pattern + "*", subject));  // a final star is free
  EXPECT_FALSE(GlobMatch(pattern + "*a", subject));
}

// Patterns and subjects over small alphabets rich in special characters, so
// that quirky sets and escapes come up often.
std::string Draw(const std::string& alphabet, int max_len) {
  int len = *rc::gen::inRange(0, max_len + 1);
  std::string s;
  for (int i = 0; i < len; ++i) s += *rc::gen::elementOf(alphabet);
  return s;
}

// Pieces of pattern that make the interesting shapes likely (sets, ranges
// in both orders, escapes, unterminated sets), each with the bytes a subject
// would typically offer at that point.
struct Piece {
  std::string pattern;
  std::string near;  // bytes to draw the subject's counterpart from
};

const std::vector<Piece>& Pieces() {
  static const auto* const kPieces =
      new std::vector<Piece>{{"a", "aAb"},
                             {"b", "bBa"},
                             {"A", "aA"},
                             {"x", "xX"},
                             {"\xe9", "\xe9\x80"},
                             {"*", ""},
                             {"?", "ab"},
                             {"[", "[a"},
                             {"]", "]a"},
                             {"^", "^a"},
                             {"-", "-a"},
                             {"\\", "\\a"},
                             {"[ab]", "abAc"},
                             {"[^a]", "abA^"},
                             {"[a-b]", "abBc-"},
                             {"[b-a]", "abBc-"},
                             {"[A-b]", "AaZ_c"},
                             {"[]", "]a"},
                             {"[a-]", "a]b-^"},
                             {"\\*", "*a"},
                             {"[\\]]", "]\\"},
                             {"[^", "^a["},
                             {"[a-\xe9]", "a\xe9\x80Z"},
                             {"[\\A]", "aA\\"},
                             {"[^]", "a]^"}};
  return *kPieces;
}

RC_GTEST_PROP(GlobProperty, MatchesRedisTransliteration, ()) {
  static const std::string kAlphabet = "abAB-]\\^x\xe9";
  // Several pairs per case: the interesting ones are rare, and each is cheap.
  for (int round = 0; round < 20; ++round) {
    // The subject is built alongside the pattern, piece by piece, so that
    // it nearly matches more often than not; now and then a piece gets a
    // random byte, nothing, or an extra byte.
    std::string pattern;
    std::string subject;
    int pieces = *rc::gen::inRange(0, 6);
    for (int i = 0; i < pieces; ++i) {
      const Piece& piece = *rc::gen::elementOf(Pieces());
      pattern += piece.pattern;
      int mutation = *rc::gen::inRange(0, 8);
      if (piece.pattern == "*" || mutation == 0) {
        subject += Draw(kAlphabet, 2);
      } else if (mutation != 1) {
        subject += *rc::gen::elementOf(piece.near);
      }
      if (mutation == 2) subject += *rc::gen::elementOf(kAlphabet);
    }
    const bool nocase = *rc::gen::arbitrary<bool>();
    RC_ASSERT(GlobMatch(pattern, subject, nocase) ==
              Reference(pattern, subject, nocase));
  }
}

// On the plain subset (letters, '?', '*') a glob is the regex with '.' and
// '.*', except that Redis's empty subject matches only the empty pattern.
RC_GTEST_PROP(GlobProperty, MatchesRegexOnPlainPatterns, ()) {
  const std::string pattern = Draw("ab?*", 10);
  const std::string subject = Draw("ab", 12);
  std::string regex;
  for (char c : pattern) {
    regex += c == '*'   ? std::string(".*")
             : c == '?' ? std::string(".")
                        : std::string(1, c);
  }
  bool expected = subject.empty()
                      ? pattern.empty()
                      : std::regex_match(subject, std::regex(regex));
  RC_ASSERT(GlobMatch(pattern, subject) == expected);
}

}  // namespace
}  // namespace twinkv
