// Redis's number grammar (util.c): string2ll, string2ld, ld2string.

#include "core/numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"

namespace twinkv {
namespace {

TEST(ParseInt64Test, AcceptsCanonicalIntegers) {
  int64_t v = 1;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("-17", &v));
  EXPECT_EQ(v, -17);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
}

TEST(ParseInt64Test, RejectsWhatString2llRejects) {
  int64_t v = 0;
  for (absl::string_view bad :
       {"", "-", "+1", " 1", "1 ", "01", "-0", "00", "1.0", "0x10", "1e3",
        "9223372036854775808", "-9223372036854775809", "abc", "1a",
        "99999999999999999999", "123456789012345678901"}) {
    EXPECT_FALSE(ParseInt64(bad, &v)) << bad;
  }
}

RC_GTEST_PROP(ParseInt64Property, RoundTripsEveryInt64, (int64_t n)) {
  int64_t v = 0;
  RC_ASSERT(ParseInt64(absl::StrCat(n), &v));
  RC_ASSERT(v == n);
  RC_ASSERT(!ParseInt64(absl::StrCat("+", n), &v));
  RC_ASSERT(!ParseInt64(absl::StrCat(" ", n), &v));
  if (n > 0) RC_ASSERT(!ParseInt64(absl::StrCat("0", n), &v));
}

TEST(ParseLongDoubleTest, AcceptsWhatStrtoldAcceptsWhole) {
  long double v = 0;
  EXPECT_TRUE(ParseLongDouble("1.5", &v));
  EXPECT_EQ(v, 1.5L);
  EXPECT_TRUE(ParseLongDouble("-3e2", &v));
  EXPECT_EQ(v, -300.0L);
  EXPECT_TRUE(ParseLongDouble("inf", &v));
  for (absl::string_view bad : {"", " 1", "1 ", "abc", "nan", "1e99999", "1.5x"}) {
    EXPECT_FALSE(ParseLongDouble(bad, &v)) << bad;
  }
}

TEST(FormatLongDoubleTest, TrimsLikeIncrbyfloat) {
  char buf[kMaxLongDoubleChars];
  auto fmt = [&](long double v) {
    return std::string(buf, FormatLongDouble(v, buf));
  };
  EXPECT_EQ(fmt(10.5L), "10.5");
  EXPECT_EQ(fmt(3.0L), "3");
  EXPECT_EQ(fmt(-0.0L), "0");
  EXPECT_EQ(fmt(5.0e3L), "5000");
}

// The strtod-only reader ParseDouble replaced (Redis's getDoubleFromObject
// verbatim): the model its from_chars fast path must agree with.
bool ModelParseDouble(absl::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  std::string copy(s);
  char* end;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || std::isnan(v) ||
      (errno == ERANGE && (std::isinf(v) || v == 0))) {
    return false;
  }
  *out = v;
  return true;
}

TEST(ParseDoubleTest, AcceptsWhatGetDoubleFromObjectAccepts) {
  double v = 0;
  EXPECT_TRUE(ParseDouble("12345", &v));
  EXPECT_EQ(v, 12345);
  EXPECT_TRUE(ParseDouble("-1.5e3", &v));
  EXPECT_EQ(v, -1500);
  EXPECT_TRUE(ParseDouble("+2", &v));
  EXPECT_EQ(v, 2);
  EXPECT_TRUE(ParseDouble("0x10", &v));
  EXPECT_EQ(v, 16);
  EXPECT_TRUE(ParseDouble("-inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_TRUE(ParseDouble("1e-310", &v));  // subnormal, not zero
  EXPECT_GT(v, 0);
  EXPECT_TRUE(ParseDouble("-0", &v));
  EXPECT_TRUE(v == 0 && std::signbit(v));
}

TEST(ParseDoubleTest, RejectsWhatGetDoubleFromObjectRejects) {
  double v = 0;
  for (absl::string_view bad : std::initializer_list<absl::string_view>{
           "", " 1", "1 ", "nan", "-nan", "1e999", "1e-400", "abc", "1e", ".",
           "1.2.3", absl::string_view("1\0002", 3)}) {
    EXPECT_FALSE(ParseDouble(bad, &v)) << bad;
  }
}

// Strings near the grammar: digits, signs, dots, exponents, hex, inf, NUL.
rc::Gen<std::string> DoubleLikeString() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::arbitrary<double>(),
                   [](double d) { return absl::StrFormat("%.17g", d); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(),
                   [](int64_t n) { return absl::StrCat(n); }),
      rc::gen::container<std::string>(rc::gen::elementOf(
          std::string("0123456789+-.eExXpinfINFa \t", 27) + '\0')));
}

RC_GTEST_PROP(ParseDoubleProperty, AgreesWithStrtodModel, ()) {
  const std::string s = *DoubleLikeString();
  double got = 0, want = 0;
  const bool ok = ParseDouble(s, &got);
  RC_ASSERT(ok == ModelParseDouble(s, &want));
  if (ok) RC_ASSERT(std::memcmp(&got, &want, sizeof(got)) == 0);
}

TEST(ParseScoreBoundTest, ReadsZslParseRangeBounds) {
  double v = 1;
  bool exclusive = true;
  EXPECT_TRUE(ParseScoreBound("1.5", &v, &exclusive));
  EXPECT_EQ(v, 1.5);
  EXPECT_FALSE(exclusive);
  EXPECT_TRUE(ParseScoreBound("(-inf", &v, &exclusive));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_TRUE(exclusive);
  // strtod's leniency, as Redis: "" and "(" are 0, leading space is fine,
  // and an embedded NUL ends the number.
  EXPECT_TRUE(ParseScoreBound("", &v, &exclusive));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseScoreBound(" 7", &v, &exclusive));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(ParseScoreBound(absl::string_view("3\0x", 3), &v, &exclusive));
  EXPECT_EQ(v, 3);
  EXPECT_FALSE(ParseScoreBound("1x", &v, &exclusive));
  EXPECT_FALSE(ParseScoreBound("nan", &v, &exclusive));
  EXPECT_FALSE(ParseScoreBound("[1", &v, &exclusive));
}

}  // namespace
}  // namespace twinkv
