// Property tests for RequestParser (RapidCheck).
//
// RapidCheck prints "Using configuration: seed=N" when the binary starts and
// the seed of a failing case with it. Replay one with
//   RC_PARAMS="seed=N" bazel-bin/test/core/resp/request_parser_property_test
// or bazel test ... --test_env=RC_PARAMS="seed=N" (add max_success=1000 for a
// longer run).

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "core/resp/request_parser.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "test/core/resp/resp_test_util.h"

namespace twinkv {
namespace {

using resp_test::Command;
using resp_test::EncodeInlineQuoted;
using resp_test::EncodeMultibulk;
using resp_test::ParseChunks;
using resp_test::ParseRun;
using resp_test::ParseWhole;
using resp_test::SplitAt;

rc::Gen<std::string> BinaryString() {
  return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
}

rc::Gen<std::string> Word() {
  return rc::gen::nonEmpty(rc::gen::container<std::string>(
      rc::gen::elementOf(std::string("abcXYZ019_-:.{}"))));
}

// Bytes a parser may only skip: empty commands of every shape.
const std::vector<std::string> kEmptyCommands = {
    "*0\r\n", "*-1\r\n", "*-42\r\n", "\r\n", "\n", "  \t\r\n", "\v\n"};

struct Stream {
  std::string bytes;
  std::vector<Command> commands;
};

// A stream of commands, each written as multibulk, as a quoted inline line
// (any bytes survive \xHH) or as a plain inline line (for plain words), with
// empty commands sprinkled in.
rc::Gen<Stream> CommandStream() {
  return rc::gen::exec([] {
    Stream s;
    const int n = *rc::gen::inRange(0, 12);
    for (int i = 0; i < n; ++i) {
      if (*rc::gen::inRange(0, 5) == 0) {
        s.bytes += *rc::gen::elementOf(kEmptyCommands);
      }
      const int style = *rc::gen::inRange(0, 3);
      Command cmd;
      if (style == 2) {
        cmd = *rc::gen::nonEmpty(rc::gen::container<Command>(Word()));
        s.bytes += absl::StrJoin(cmd, " ") +
                   *rc::gen::elementOf(
                       std::vector<std::string>{"\r\n", "\n", " \r\n"});
      } else {
        cmd = *rc::gen::nonEmpty(rc::gen::container<Command>(BinaryString()));
        std::string quoted = EncodeInlineQuoted(cmd);
        s.bytes += (style == 1 && quoted.size() < 60000) ? quoted
                                                         : EncodeMultibulk(cmd);
      }
      s.commands.push_back(std::move(cmd));
    }
    return s;
  });
}

RC_GTEST_PROP(RequestParserProperty, AnySplitGivesTheEncodedCommands, ()) {
  const Stream s = *CommandStream();
  const auto cuts =
      *rc::gen::container<std::vector<size_t>>(rc::gen::arbitrary<size_t>());
  const bool drop_skipped = *rc::gen::arbitrary<bool>();
  const ParseRun whole = ParseWhole(s.bytes);
  RC_ASSERT(!whole.failed);
  RC_ASSERT(whole.commands == s.commands);
  RC_ASSERT(whole.unconsumed == 0u);
  const ParseRun split =
      ParseChunks(SplitAt(s.bytes, cuts), RequestLimits(), drop_skipped);
  RC_ASSERT(!split.failed);
  RC_ASSERT(split.commands == s.commands);
}

RC_GTEST_PROP(RequestParserProperty, TruncatedStreamNeverInventsCommands, ()) {
  const Stream s = *CommandStream();
  const size_t keep = *rc::gen::inRange<size_t>(0, s.bytes.size() + 1);
  const ParseRun run = ParseWhole(s.bytes.substr(0, keep));
  RC_ASSERT(!run.failed);
  RC_ASSERT(run.commands.size() <= s.commands.size());
  for (size_t i = 0; i < run.commands.size(); ++i) {
    RC_ASSERT(run.commands[i] == s.commands[i]);
  }
}

// Bytes that look like RESP often enough to reach deep parser states.
rc::Gen<std::string> RespishBytes() {
  static const std::vector<std::string> kTokens = {
      "*",      "$",
      "\r\n",   "\r",
      "\n",     "0",
      "1",      "2",
      "3",      "-1",
      "-",      "10",
      " ",      "\t",
      "\"",     "'",
      "\\",     "\\x",
      "4f",     "a",
      "PING",   std::string(1, '\0'),
      "+",      "99999999999",
      "\v",     "*1\r\n",
      "$3\r\n", "abc\r\n"};
  return rc::gen::oneOf(
      BinaryString(),
      rc::gen::map(rc::gen::container<std::vector<std::string>>(
                       rc::gen::elementOf(kTokens)),
                   [](const std::vector<std::string>& v) {
                     return absl::StrJoin(v, "");
                   }),
      // A valid stream with one byte overwritten.
      rc::gen::exec([] {
        std::string bytes = (*CommandStream()).bytes;
        if (!bytes.empty()) {
          bytes[*rc::gen::inRange<size_t>(0, bytes.size())] =
              *rc::gen::arbitrary<char>();
        }
        return bytes;
      }));
}

rc::Gen<RequestLimits> SmallLimits() {
  return rc::gen::exec([] {
    RequestLimits l;
    l.unauthenticated = *rc::gen::inRange(0, 8) == 0;
    if (*rc::gen::arbitrary<bool>()) {
      l.max_inline_len = *rc::gen::inRange<size_t>(0, 40);
      l.max_bulk_len = *rc::gen::inRange<int64_t>(0, 40);
      l.max_multibulk_len = *rc::gen::inRange<int64_t>(0, 10);
    }
    return l;
  });
}

// Arbitrary bytes: no crash, consumed() within the input (checked by
// ParseChunks), and the outcome -- commands, then the error if any -- does
// not depend on how the bytes were split.
RC_GTEST_PROP(RequestParserProperty, ArbitraryBytesSplitInvariant, ()) {
  const std::string bytes = *RespishBytes();
  const RequestLimits limits = *SmallLimits();
  const auto cuts =
      *rc::gen::container<std::vector<size_t>>(rc::gen::arbitrary<size_t>());
  const ParseRun whole = ParseWhole(bytes, limits);
  RC_ASSERT(whole.error != "consumed() beyond input");
  RC_CLASSIFY(!whole.commands.empty(), "some commands");
  RC_CLASSIFY(whole.failed, "error");
  const ParseRun split = ParseChunks(SplitAt(bytes, cuts), limits);
  RC_ASSERT(split.commands == whole.commands);
  RC_ASSERT(split.failed == whole.failed);
  RC_ASSERT(split.error == whole.error);
  // After an error, how much was buffered depends on the chunking.
  if (!whole.failed) RC_ASSERT(split.unconsumed == whole.unconsumed);
  // A careless caller that keeps skipped bytes still sees the same commands.
  const ParseRun careless =
      ParseChunks(SplitAt(bytes, cuts), limits, /*drop_skipped=*/false);
  RC_ASSERT(careless.commands == whole.commands);
  RC_ASSERT(careless.error == whole.error);
}

// Direct use of the raw API on arbitrary bytes, one call per prefix.
RC_GTEST_PROP(RequestParserProperty, ConsumedNeverExceedsInput, ()) {
  const std::string bytes = *RespishBytes();
  RequestParser parser(*SmallLimits());
  size_t pos = 0;
  for (size_t end = 0; end <= bytes.size(); ++end) {
    for (;;) {
      absl::string_view input = absl::string_view(bytes).substr(pos, end - pos);
      RequestParser::Result r = parser.Parse(input);
      RC_ASSERT(parser.consumed() <= input.size());
      if (r == RequestParser::kError) {
        RC_ASSERT(!parser.error().empty());
        RC_ASSERT(parser.Parse(input) == RequestParser::kError);
        return;
      }
      pos += parser.consumed();
      if (r == RequestParser::kNeedMore) break;
      RC_ASSERT(!parser.args().empty());
      RC_ASSERT(parser.consumed() > 0u);
    }
  }
}

}  // namespace
}  // namespace twinkv
