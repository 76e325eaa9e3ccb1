// Unit tests for ReplyWriter: exact bytes in RESP2 and RESP3.

#include "core/resp/reply_writer.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace twinkv {
namespace {

template <typename F>
std::string Write(int protocol, F f) {
  std::string out;
  ReplyWriter w(&out, protocol);
  f(w);
  return out;
}

TEST(ReplyWriter, SameInBothProtocols) {
  for (int proto : {2, 3}) {
    EXPECT_EQ(Write(proto, [](ReplyWriter& w) { w.Ok(); }), "+OK\r\n");
    EXPECT_EQ(Write(proto, [](ReplyWriter& w) { w.Status("PONG"); }),
              "+PONG\r\n");
    EXPECT_EQ(Write(proto, [](ReplyWriter& w) { w.Integer(INT64_MIN); }),
              ":-9223372036854775808\r\n");
    EXPECT_EQ(
        Write(proto, [](ReplyWriter& w) { w.Bulk(std::string("a\0", 2)); }),
        std::string("$2\r\na\0\r\n", 8));
    EXPECT_EQ(Write(proto, [](ReplyWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
    EXPECT_EQ(Write(proto, [](ReplyWriter& w) { w.ArrayHeader(3); }), "*3\r\n");
    EXPECT_EQ(Write(proto,
                    [](ReplyWriter& w) {
                      w.BulkArray(std::vector<std::string>{"a", "bc"});
                    }),
              "*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
  }
}

TEST(ReplyWriter, ErrorKeepsFramingIntact) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("ERR a\r\nb\nc"); }),
            "-ERR a  b c\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error(""); }), "-\r\n");
  // Sanitizing only touches the new reply, not what was already written.
  std::string out = "$2\r\n\r\n\r\n";
  ReplyWriter w(&out);
  w.Error("E\r");
  EXPECT_EQ(out, "$2\r\n\r\n\r\n-E \r\n");
}

TEST(ReplyWriter, Resp2Forms) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.SetHeader(2); }), "*2\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bool(true); }), ":1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bool(false); }), ":0\r\n");
}

TEST(ReplyWriter, Resp3Forms) {
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.SetHeader(2); }), "~2\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.PushHeader(3); }), ">3\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(-INFINITY); }), ",-inf\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bool(true); }), "#t\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bool(false); }), "#f\r\n");
}

TEST(FormatDouble, MatchesRedis70) {
  auto fmt = [](double v) {
    std::string s;
    AppendDouble(v, &s);
    return s;
  };
  EXPECT_EQ(fmt(1.5), "1.5");
  EXPECT_EQ(fmt(0.1), "0.10000000000000001");  // %.17g, as 7.0 prints
  EXPECT_EQ(fmt(10), "10");
  EXPECT_EQ(fmt(1e20), "1e+20");
  EXPECT_EQ(fmt(INFINITY), "inf");
  EXPECT_EQ(fmt(-INFINITY), "-inf");
  EXPECT_EQ(fmt(NAN), "nan");
  char buf[64];
  EXPECT_LE(FormatDouble(-1.2345678901234567e-300, buf), 32u);
}

}  // namespace
}  // namespace twinkv
