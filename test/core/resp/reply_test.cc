// Unit tests for Reply, EncodeReply and ReplyDecoder.

#include "core/resp/reply.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test/core/resp/resp_test_util.h"

namespace twinkv {
namespace {

using resp_test::DecodeChunks;
using resp_test::DecodeRun;
using resp_test::SplitAt;

// Decodes a stream that must hold exactly one reply.
Reply One(absl::string_view in) {
  ReplyDecoder d;
  Reply r;
  EXPECT_EQ(d.Decode(in, &r), ReplyDecoder::kReply) << d.error();
  EXPECT_EQ(d.consumed(), in.size());
  return r;
}

std::string ErrorOf(absl::string_view in) {
  ReplyDecoder d;
  Reply r;
  for (;;) {
    ReplyDecoder::Result res = d.Decode(in, &r);
    if (res == ReplyDecoder::kError) return d.error();
    if (res == ReplyDecoder::kNeedMore) return "";
    in.remove_prefix(d.consumed());
  }
}

std::string Encoded(const Reply& r) {
  std::string out;
  EncodeReply(r, &out);
  return out;
}

TEST(ReplyDecoder, Resp2Types) {
  EXPECT_EQ(One("+OK\r\n"), Reply::Status("OK"));
  EXPECT_EQ(One("+\r\n"), Reply::Status(""));
  EXPECT_EQ(One("-ERR bad\r\n"), Reply::Error("ERR bad"));
  EXPECT_EQ(One(":-42\r\n"), Reply::Integer(-42));
  EXPECT_EQ(One(":9223372036854775807\r\n"), Reply::Integer(INT64_MAX));
  EXPECT_EQ(One(std::string("$3\r\na\0b\r\n", 9)),
            Reply::Bulk(std::string("a\0b", 3)));
  EXPECT_EQ(One("$0\r\n\r\n"), Reply::Bulk(""));
  EXPECT_EQ(One("$4\r\n\r\n\r\n\r\n"), Reply::Bulk("\r\n\r\n"));
  EXPECT_EQ(One("$-1\r\n"), Reply::Null());
  EXPECT_EQ(One("*-1\r\n"), Reply::Null());
  EXPECT_EQ(One("*0\r\n"), Reply::Array({}));
  EXPECT_EQ(One("*3\r\n:1\r\n*1\r\n+x\r\n$-1\r\n"),
            Reply::Array({Reply::Integer(1), Reply::Array({Reply::Status("x")}),
                          Reply::Null()}));
}

TEST(ReplyDecoder, Resp3Types) {
  EXPECT_EQ(One("_\r\n"), Reply::Null());
  Reply d = One(",3.25\r\n");
  EXPECT_EQ(d.type, Reply::Type::kDouble);
  EXPECT_EQ(d.str, "3.25");
  EXPECT_EQ(d.number, 3.25);
  EXPECT_EQ(One(",inf\r\n").number, INFINITY);
  EXPECT_EQ(One(",-inf\r\n").number, -INFINITY);
  EXPECT_TRUE(std::isnan(One(",nan\r\n").number));
  EXPECT_EQ(One(",1e3\r\n").number, 1000);
  EXPECT_EQ(One(",+1.5\r\n").number, 1.5);
  EXPECT_EQ(One(",-0\r\n").str, "-0");
  EXPECT_EQ(One("#t\r\n"), Reply::Bool(true));
  EXPECT_EQ(One("#f\r\n"), Reply::Bool(false));
  EXPECT_EQ(One("(-123456789012345678901234567890\r\n"),
            Reply::BigNumber("-123456789012345678901234567890"));
  EXPECT_EQ(One("=8\r\ntxt:a\r\nb\r\n"), Reply::Verbatim("txt:a\r\nb"));
  EXPECT_EQ(One("!7\r\nERR a\nb\r\n"), Reply::Error("ERR a\nb"));
  EXPECT_EQ(One("%2\r\n+a\r\n:1\r\n+b\r\n_\r\n"),
            Reply::Map({Reply::Status("a"), Reply::Integer(1),
                        Reply::Status("b"), Reply::Null()}));
  EXPECT_EQ(One("%0\r\n"), Reply::Map({}));
  EXPECT_EQ(One("~2\r\n:1\r\n:2\r\n"),
            Reply::Set({Reply::Integer(1), Reply::Integer(2)}));
  EXPECT_EQ(One(">2\r\n+message\r\n$2\r\nhi\r\n"),
            Reply::Push({Reply::Status("message"), Reply::Bulk("hi")}));
}

TEST(ReplyDecoder, AttributesAreSkipped) {
  EXPECT_EQ(One("|1\r\n+key\r\n*2\r\n:1\r\n:2\r\n:7\r\n"), Reply::Integer(7));
  EXPECT_EQ(One("|0\r\n:7\r\n"), Reply::Integer(7));
  EXPECT_EQ(One("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n"),
            Reply::Array({Reply::Integer(1), Reply::Integer(2)}));
  EXPECT_EQ(One("|1\r\n+a\r\n+x\r\n|1\r\n+b\r\n+c\r\n:3\r\n"),
            Reply::Integer(3));
  // An attribute may annotate a value inside another attribute.
  EXPECT_EQ(One("|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n:3\r\n:4\r\n"),
            Reply::Integer(4));
  // An attribute alone is not a reply yet.
  ReplyDecoder d;
  Reply r;
  EXPECT_EQ(d.Decode("|1\r\n+a\r\n+b\r\n", &r), ReplyDecoder::kNeedMore);
  EXPECT_EQ(d.consumed(), 0u);
}

TEST(ReplyDecoder, PipelinedReplies) {
  DecodeRun run = DecodeChunks({"+OK\r\n:1\r\n$1\r\nx\r\n*1\r\n_\r\n:2"});
  ASSERT_EQ(run.replies.size(), 4u);
  EXPECT_FALSE(run.failed);
  EXPECT_EQ(run.replies[3], Reply::Array({Reply::Null()}));
  EXPECT_EQ(run.unconsumed, 2u);
}

TEST(ReplyDecoder, EveryPrefixNeedsMoreWithoutConsuming) {
  const std::string full =
      "*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n~1\r\n,1.5\r\n|1\r\n+a\r\n+b\r\n#t\r\n";
  for (size_t n = 0; n < full.size(); ++n) {
    ReplyDecoder d;
    Reply r;
    // Growing prefixes, as a connection delivers them.
    for (size_t k = 0; k <= n; ++k) {
      ASSERT_EQ(d.Decode(absl::string_view(full).substr(0, k), &r),
                ReplyDecoder::kNeedMore)
          << n << " " << k;
      EXPECT_EQ(d.consumed(), 0u);
    }
    ASSERT_EQ(d.Decode(full, &r), ReplyDecoder::kReply) << n;
    EXPECT_EQ(d.consumed(), full.size());
    EXPECT_EQ(r, One(full)) << r.DebugString();
  }
}

// Progress is kept between calls: elements already decoded are not decoded
// again (corrupting them afterwards changes nothing).
TEST(ReplyDecoder, KeepsProgressBetweenCalls) {
  ReplyDecoder d;
  Reply r;
  std::string in = "*3\r\n:1\r\n$5\r\nabc";
  ASSERT_EQ(d.Decode(in, &r), ReplyDecoder::kNeedMore);
  in[5] = '9';  // the first element, already decoded
  in += "de\r\n+end\r\n";
  ASSERT_EQ(d.Decode(in, &r), ReplyDecoder::kReply);
  EXPECT_EQ(r, Reply::Array({Reply::Integer(1), Reply::Bulk("abcde"),
                             Reply::Status("end")}));
}

TEST(ReplyDecoder, ShorterInputThanBeforeStartsOver) {
  ReplyDecoder d;
  Reply r;
  const std::string full = "*2\r\n:1\r\n$5\r\nabcde\r\n";
  ASSERT_EQ(d.Decode(absl::string_view(full).substr(0, 14), &r),
            ReplyDecoder::kNeedMore);
  EXPECT_EQ(d.Decode(absl::string_view(full).substr(0, 2), &r),
            ReplyDecoder::kNeedMore);
  ASSERT_EQ(d.Decode(full, &r), ReplyDecoder::kReply);
  EXPECT_EQ(r, Reply::Array({Reply::Integer(1), Reply::Bulk("abcde")}));
}

TEST(ReplyDecoder, DepthLimit) {
  const int max = ReplyDecoder::kMaxDepth;
  std::string ok;
  for (int i = 0; i < max; ++i) ok += "*1\r\n";
  ok += ":1\r\n";
  Reply r = One(ok);
  for (int i = 0; i < max; ++i) {
    ASSERT_EQ(r.type, Reply::Type::kArray);
    ASSERT_EQ(r.elements.size(), 1u);
    Reply inner = r.elements[0];
    r = inner;
  }
  EXPECT_EQ(r, Reply::Integer(1));
  std::string deep;
  for (int i = 0; i <= max; ++i) deep += "*1\r\n";
  EXPECT_EQ(ErrorOf(deep + ":1\r\n"), "Protocol error: nesting too deep");
  std::string deep_empty;
  for (int i = 0; i < max; ++i) deep_empty += "*1\r\n";
  EXPECT_EQ(ErrorOf(deep_empty + "*0\r\n"), "Protocol error: nesting too deep");
  EXPECT_EQ(ErrorOf(deep_empty + "%0\r\n"), "Protocol error: nesting too deep");
}

TEST(ReplyDecoder, LengthLimits) {
  // Large claims wait for data without allocating for them.
  EXPECT_EQ(ErrorOf("$536870912\r\nabc"), "");
  EXPECT_EQ(ErrorOf("*4294967296\r\n:1\r\n"), "");
  EXPECT_EQ(ErrorOf("%4294967296\r\n"), "");
  EXPECT_EQ(ErrorOf("$536870913\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("*4294967297\r\n"),
            "Protocol error: invalid aggregate length");
  EXPECT_EQ(ErrorOf("+" + std::string(70000, 'a')), "");
  EXPECT_EQ(ErrorOf(":" + std::string(70000, '1')),
            "Protocol error: line too long");
}

TEST(ReplyDecoder, MalformedInput) {
  struct Case {
    const char* in;
    const char* error;
  };
  const Case cases[] = {
      {"?x\r\n", "Protocol error: unknown reply type '?'"},
      {"\x01\r\n", "Protocol error: unknown reply type '\\x01'"},
      {"$?\r\n", "Protocol error: invalid bulk length"},
      {"*?\r\n", "Protocol error: invalid aggregate length"},
      {":\r\n", "Protocol error: invalid integer"},
      {":01\r\n", "Protocol error: invalid integer"},
      {":1.5\r\n", "Protocol error: invalid integer"},
      {":99999999999999999999\r\n", "Protocol error: invalid integer"},
      {"$-2\r\n", "Protocol error: invalid bulk length"},
      {"!-1\r\n", "Protocol error: invalid bulk length"},
      {"=-1\r\n", "Protocol error: invalid bulk length"},
      {"$3\r\nabcd\r\n", "Protocol error: bulk string not followed by CRLF"},
      {"=3\r\ntxt\r\n", "Protocol error: invalid verbatim string"},
      {"=4\r\ntxta\r\n", "Protocol error: invalid verbatim string"},
      {"*-2\r\n", "Protocol error: invalid aggregate length"},
      {"%-1\r\n", "Protocol error: invalid aggregate length"},
      {"~-1\r\n", "Protocol error: invalid aggregate length"},
      {"_x\r\n", "Protocol error: invalid null"},
      {",\r\n", "Protocol error: invalid double"},
      {",1.5x\r\n", "Protocol error: invalid double"},
      {", 1\r\n", "Protocol error: invalid double"},
      {"#x\r\n", "Protocol error: invalid boolean"},
      {"#\r\n", "Protocol error: invalid boolean"},
      {"(12a\r\n", "Protocol error: invalid big number"},
      {"(\r\n", "Protocol error: invalid big number"},
      {"+a\nb\r\n", "Protocol error: LF inside a line"},
      {"+ab\rc\r\n", "Protocol error: CR without LF"},
      {"*1\r\n+ok\n", "Protocol error: LF inside a line"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.in), c.error) << c.in;
}

TEST(ReplyDecoder, ErrorIsSticky) {
  ReplyDecoder d;
  Reply r;
  EXPECT_EQ(d.Decode("?\r\n", &r), ReplyDecoder::kError);
  EXPECT_EQ(d.Decode("+OK\r\n", &r), ReplyDecoder::kError);
  EXPECT_EQ(d.consumed(), 0u);
  EXPECT_FALSE(d.error().empty());
}

TEST(EncodeReply, ExactBytes) {
  EXPECT_EQ(Encoded(Reply::Status("OK")), "+OK\r\n");
  EXPECT_EQ(Encoded(Reply::Status("a\r\nb")), "+a  b\r\n");
  EXPECT_EQ(Encoded(Reply::Error("ERR x")), "-ERR x\r\n");
  EXPECT_EQ(Encoded(Reply::Error("ERR a\nb")), "!7\r\nERR a\nb\r\n");
  EXPECT_EQ(Encoded(Reply::Integer(-3)), ":-3\r\n");
  EXPECT_EQ(Encoded(Reply::Bulk("ab")), "$2\r\nab\r\n");
  EXPECT_EQ(Encoded(Reply::Null()), "_\r\n");
  EXPECT_EQ(Encoded(Reply::Double(1.5)), ",1.5\r\n");
  EXPECT_EQ(Encoded(Reply::Double(-INFINITY)), ",-inf\r\n");
  EXPECT_EQ(Encoded(Reply::Bool(true)), "#t\r\n");
  EXPECT_EQ(Encoded(Reply::Bool(false)), "#f\r\n");
  EXPECT_EQ(Encoded(Reply::BigNumber("123")), "(123\r\n");
  EXPECT_EQ(Encoded(Reply::Verbatim("txt:hi")), "=6\r\ntxt:hi\r\n");
  EXPECT_EQ(Encoded(Reply::Array({Reply::Integer(1), Reply::Bulk("")})),
            "*2\r\n:1\r\n$0\r\n\r\n");
  EXPECT_EQ(Encoded(Reply::Map({Reply::Bulk("k"), Reply::Integer(1)})),
            "%1\r\n$1\r\nk\r\n:1\r\n");
  EXPECT_EQ(Encoded(Reply::Map({Reply::Bulk("k")})), "%0\r\n");
  EXPECT_EQ(Encoded(Reply::Set({Reply::Integer(1)})), "~1\r\n:1\r\n");
  EXPECT_EQ(Encoded(Reply::Push({})), ">0\r\n");
  Reply hand_made;
  hand_made.type = Reply::Type::kDouble;
  hand_made.number = 2.5;
  EXPECT_EQ(Encoded(hand_made), ",2.5\r\n");
}

TEST(Reply, Equality) {
  EXPECT_EQ(Reply::Double(NAN), Reply::Double(NAN));
  EXPECT_NE(Reply::Status("a"), Reply::Bulk("a"));
  EXPECT_NE(Reply::Integer(1), Reply::Bool(true));
  EXPECT_NE(Reply::Array({}), Reply::Set({}));
  EXPECT_NE(Reply::Array({Reply::Integer(1)}),
            Reply::Array({Reply::Integer(2)}));
  Reply with_stray_str = Reply::Integer(5);
  with_stray_str.str = "ignored";
  EXPECT_EQ(with_stray_str, Reply::Integer(5));
}

TEST(Reply, DebugString) {
  EXPECT_EQ(
      Reply::Array({Reply::Bulk("v"), Reply::Status("OK"),
                    Reply::Error("ERR x"), Reply::Integer(3), Reply::Null()})
          .DebugString(),
      "[\"v\", OK, (error) ERR x, (integer) 3, (nil)]");
  EXPECT_EQ(Reply::Map({Reply::Bulk("k"), Reply::Double(1.5), Reply::Bulk("b"),
                        Reply::Bool(true)})
                .DebugString(),
            "{\"k\": (double) 1.5, \"b\": (true)}");
  EXPECT_EQ(Reply::Set({Reply::BigNumber("12")}).DebugString(),
            "(set) [(big number) 12]");
  EXPECT_EQ(Reply::Push({Reply::Verbatim("txt:x")}).DebugString(),
            "(push) [(verbatim) \"txt:x\"]");
  EXPECT_EQ(Reply::Bulk(std::string("\0\n", 2)).DebugString(), "\"\\x00\\n\"");
  EXPECT_EQ(Reply::Bulk(std::string(300, 'a')).DebugString(),
            "\"" + std::string(200, 'a') + "...(300 bytes)\"");
}

TEST(ReplyDecoder, LargeBulkInChunks) {
  const std::string value(2 * 1024 * 1024 + 3, 'z');
  std::string stream;
  EncodeReply(Reply::Array({Reply::Bulk(value), Reply::Integer(1)}), &stream);
  std::vector<size_t> cuts;
  for (size_t i = 777; i < stream.size(); i += 777) cuts.push_back(i);
  DecodeRun run = DecodeChunks(SplitAt(stream, cuts));
  ASSERT_EQ(run.replies.size(), 1u) << run.error;
  EXPECT_EQ(run.replies[0].elements[0].str, value);
}

// What a proxy relays: a RESP2 reply decoded and written again is the same
// bytes, nulls of both kinds included; RESP3 nulls are "_".
TEST(WriteReply, RelaysResp2RepliesByteForByte) {
  const std::string inputs[] = {
      "+OK\r\n", "-ERR x y\r\n", ":-7\r\n", "$3\r\nabc\r\n", "$-1\r\n",
      "*-1\r\n", "*0\r\n", "*3\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n*-1\r\n"};
  for (const std::string& in : inputs) {
    std::string out;
    ReplyWriter w(&out, 2);
    WriteReply(One(in), w);
    EXPECT_EQ(out, in);
  }
  std::string out3;
  ReplyWriter w3(&out3, 3);
  WriteReply(One("*2\r\n$-1\r\n*-1\r\n"), w3);
  EXPECT_EQ(out3, "*2\r\n_\r\n_\r\n");
  // An error holding CR/LF (possible only from RESP3's blob errors) cannot
  // be a RESP2 simple error: they become spaces.
  std::string out2;
  ReplyWriter w2(&out2, 2);
  WriteReply(Reply::Error("ERR a\r\nb"), w2);
  EXPECT_EQ(out2, "-ERR a  b\r\n");
}

}  // namespace
}  // namespace twinkv
