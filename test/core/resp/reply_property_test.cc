// Property tests for EncodeReply / ReplyDecoder (RapidCheck).
//
// RapidCheck prints "Using configuration: seed=N" when the binary starts and
// the seed of a failing case with it. Replay one with
//   RC_PARAMS="seed=N" bazel-bin/test/core/resp/reply_property_test
// or bazel test ... --test_env=RC_PARAMS="seed=N".

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "core/resp/reply.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "test/core/resp/resp_test_util.h"

namespace twinkv {
namespace {

using resp_test::DecodeChunks;
using resp_test::DecodeRun;
using resp_test::DescribeReplies;
using resp_test::SplitAt;

rc::Gen<std::string> BinaryString() {
  return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
}

// Bytes a simple string may hold: anything but CR and LF.
rc::Gen<std::string> LineString() {
  return rc::gen::container<std::string>(
      rc::gen::suchThat(rc::gen::arbitrary<char>(),
                        [](char c) { return c != '\r' && c != '\n'; }));
}

rc::Gen<double> AnyDouble() {
  return rc::gen::oneOf(
      rc::gen::arbitrary<double>(),
      rc::gen::element(0.0, -0.0, std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::denorm_min(),
                       std::numeric_limits<double>::max()));
}

rc::Gen<Reply> Scalar() {
  return rc::gen::oneOf(
      rc::gen::map(LineString(),
                   [](const std::string& s) { return Reply::Status(s); }),
      // Errors may hold CR/LF: they travel as RESP3 blob errors.
      rc::gen::map(BinaryString(),
                   [](const std::string& s) { return Reply::Error(s); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), Reply::Integer),
      rc::gen::map(BinaryString(),
                   [](const std::string& s) { return Reply::Bulk(s); }),
      rc::gen::just(Reply::Null()), rc::gen::map(AnyDouble(), Reply::Double),
      rc::gen::map(rc::gen::arbitrary<bool>(), Reply::Bool),
      rc::gen::map(rc::gen::pair(
                       rc::gen::arbitrary<bool>(),
                       rc::gen::nonEmpty(rc::gen::container<std::string>(
                           rc::gen::inRange('0', static_cast<char>('9' + 1))))),
                   [](const std::pair<bool, std::string>& p) {
                     return Reply::BigNumber((p.first ? "-" : "") + p.second);
                   }),
      rc::gen::map(rc::gen::pair(rc::gen::elementOf(std::vector<std::string>{
                                     "txt", "mkd", "raw"}),
                                 BinaryString()),
                   [](const std::pair<std::string, std::string>& p) {
                     return Reply::Verbatim(p.first + ":" + p.second);
                   }));
}

// Reply trees of at most `depth` levels of aggregates, each of at most 5
// elements (maps: 5 pairs).
rc::Gen<Reply> AnyReply(int depth) {
  if (depth == 0) return Scalar();
  rc::Gen<Reply> child = AnyReply(depth - 1);
  return rc::gen::weightedOneOf<Reply>({
      {3, Scalar()},
      {1, rc::gen::exec([child] {
         const int kind = *rc::gen::inRange(0, 4);
         const int n = *rc::gen::inRange(0, 6);
         std::vector<Reply> elements = *rc::gen::container<std::vector<Reply>>(
             kind == 3 ? 2 * n : n, child);
         switch (kind) {
           case 0:
             return Reply::Array(std::move(elements));
           case 1:
             return Reply::Set(std::move(elements));
           case 2:
             return Reply::Push(std::move(elements));
           default:
             return Reply::Map(std::move(elements));
         }
       })},
  });
}

std::string Encode(const std::vector<Reply>& replies) {
  std::string out;
  for (const Reply& r : replies) EncodeReply(r, &out);
  return out;
}

// (c) encode then decode is the identity.
RC_GTEST_PROP(ReplyProperty, EncodeThenDecodeRoundTrips, ()) {
  const Reply reply = *AnyReply(4);
  std::string bytes;
  EncodeReply(reply, &bytes);
  ReplyDecoder d;
  Reply back;
  RC_ASSERT(d.Decode(bytes, &back) == ReplyDecoder::kReply);
  RC_ASSERT(d.consumed() == bytes.size());
  RC_ASSERT(back == reply);
  // Every strict prefix is incomplete, and consumes nothing.
  const size_t cut = *rc::gen::inRange<size_t>(0, bytes.size());
  ReplyDecoder fresh;
  RC_ASSERT(fresh.Decode(absl::string_view(bytes).substr(0, cut), &back) ==
            ReplyDecoder::kNeedMore);
  RC_ASSERT(fresh.consumed() == 0u);
}

// (d) a pipeline of replies decodes the same whatever the chunking.
RC_GTEST_PROP(ReplyProperty, ChunkingDoesNotMatter, ()) {
  const auto replies = *rc::gen::container<std::vector<Reply>>(AnyReply(3));
  const std::string bytes = Encode(replies);
  const auto cuts =
      *rc::gen::container<std::vector<size_t>>(rc::gen::arbitrary<size_t>());
  const DecodeRun whole = DecodeChunks({bytes});
  RC_ASSERT(!whole.failed);
  RC_ASSERT(whole.replies == replies);
  const DecodeRun split = DecodeChunks(SplitAt(bytes, cuts));
  RC_ASSERT(!split.failed);
  RC_LOG() << DescribeReplies(split.replies);
  RC_ASSERT(split.replies == replies);
  RC_ASSERT(split.unconsumed == 0u);
}

// Bytes that look like RESP replies often enough to reach deep states.
rc::Gen<std::string> RespishBytes() {
  static const std::vector<std::string> kTokens = {
      "*",      "$",       "%",      "~",
      ">",      "|",       "+",      "-",
      ":",      "_",       ",",      "#",
      "(",      "=",       "!",      "\r\n",
      "\r",     "\n",      "0",      "1",
      "2",      "3",       "-1",     "10",
      "t",      "f",       "inf",    "nan",
      "1.5",    "txt:",    "abc",    std::string(1, '\0'),
      "*1\r\n", "$3\r\n",  "%1\r\n", "|1\r\n",
      ":1\r\n", "+OK\r\n", "_\r\n"};
  return rc::gen::oneOf(
      BinaryString(),
      rc::gen::map(rc::gen::container<std::vector<std::string>>(
                       rc::gen::elementOf(kTokens)),
                   [](const std::vector<std::string>& v) {
                     return absl::StrJoin(v, "");
                   }),
      // Valid replies with one byte overwritten.
      rc::gen::exec([] {
        std::string bytes =
            Encode(*rc::gen::container<std::vector<Reply>>(AnyReply(2)));
        if (!bytes.empty()) {
          bytes[*rc::gen::inRange<size_t>(0, bytes.size())] =
              *rc::gen::arbitrary<char>();
        }
        return bytes;
      }));
}

// (b) arbitrary bytes: no crash, consumed() within the input, the outcome
// does not depend on chunking, and whatever decodes re-encodes to bytes that
// decode to the same reply.
RC_GTEST_PROP(ReplyProperty, ArbitraryBytes, ()) {
  const std::string bytes = *RespishBytes();
  const auto cuts =
      *rc::gen::container<std::vector<size_t>>(rc::gen::arbitrary<size_t>());
  const DecodeRun whole = DecodeChunks({bytes});
  RC_ASSERT(whole.error != "bad consumed()");
  RC_CLASSIFY(!whole.replies.empty(), "some replies");
  RC_CLASSIFY(whole.failed, "error");
  const DecodeRun split = DecodeChunks(SplitAt(bytes, cuts));
  RC_ASSERT(split.replies == whole.replies);
  RC_ASSERT(split.failed == whole.failed);
  RC_ASSERT(split.error == whole.error);
  // After an error, how much was buffered depends on the chunking.
  if (!whole.failed) RC_ASSERT(split.unconsumed == whole.unconsumed);
  for (const Reply& r : whole.replies) {
    std::string again;
    EncodeReply(r, &again);
    ReplyDecoder d;
    Reply back;
    RC_ASSERT(d.Decode(again, &back) == ReplyDecoder::kReply);
    RC_ASSERT(d.consumed() == again.size());
    RC_ASSERT(back == r);
  }
}

}  // namespace
}  // namespace twinkv
