// Redis's number grammar (util.c): string2ll, string2ld, ld2string.

#include "core/numbers.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace twinkv
