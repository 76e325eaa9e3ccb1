// Unit tests for RequestParser: the examples Redis 7.0 answers in a known way
// (checked against redis-server 7.0.15), every error message, and the
// incremental contract.

#include "core/resp/request_parser.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test/core/resp/resp_test_util.h"

namespace twinkv {
namespace {

using resp_test::Command;
using resp_test::EncodeMultibulk;
using resp_test::ParseChunks;
using resp_test::ParseRun;
using resp_test::ParseWhole;
using resp_test::SplitAt;

// Parses a stream that must hold exactly one command and nothing else.
Command One(absl::string_view stream) {
  ParseRun run = ParseWhole(stream);
  EXPECT_FALSE(run.failed) << run.error;
  EXPECT_EQ(run.commands.size(), 1u) << resp_test::Describe(run);
  EXPECT_EQ(run.unconsumed, 0u);
  return run.commands.empty() ? Command() : run.commands[0];
}

// The error a stream provokes ("" if none).
std::string ErrorOf(absl::string_view stream,
                    RequestLimits limits = RequestLimits()) {
  ParseRun run = ParseWhole(stream, limits);
  return run.failed ? run.error : "";
}

TEST(RequestParser, MultibulkCommand) {
  RequestParser p;
  std::string in = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  ASSERT_EQ(p.Parse(in), RequestParser::kCommand);
  EXPECT_EQ(p.consumed(), in.size());
  ASSERT_EQ(p.args().size(), 2u);
  EXPECT_EQ(p.args()[0], "GET");
  EXPECT_EQ(p.args()[1], "k");
}

TEST(RequestParser, MultibulkArgsAreViewsIntoInput) {
  RequestParser p;
  std::string in = "*2\r\n$3\r\nSET\r\n$5\r\nvalue\r\n";
  ASSERT_EQ(p.Parse(in), RequestParser::kCommand);
  EXPECT_EQ(p.args()[0].data(), in.data() + 8);
  EXPECT_EQ(p.args()[1].data(), in.data() + 17);
}

TEST(RequestParser, PipelinedCommandsOneAtATime) {
  RequestParser p;
  std::string in = "*1\r\n$4\r\nPING\r\nECHO hi\r\n*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(p.Parse(in), RequestParser::kCommand);
  EXPECT_EQ(p.consumed(), 14u);
  absl::string_view rest = absl::string_view(in).substr(14);
  ASSERT_EQ(p.Parse(rest), RequestParser::kCommand);
  EXPECT_EQ(p.consumed(), 9u);
  EXPECT_EQ(p.args().size(), 2u);
  rest.remove_prefix(9);
  ASSERT_EQ(p.Parse(rest), RequestParser::kCommand);
  EXPECT_EQ(p.consumed(), rest.size());
  rest.remove_prefix(p.consumed());
  EXPECT_EQ(p.Parse(rest), RequestParser::kNeedMore);
  EXPECT_EQ(p.consumed(), 0u);
}

TEST(RequestParser, BinarySafeBulk) {
  std::string value("a\0b\r\nc\n\r$*", 10);
  EXPECT_EQ(One(EncodeMultibulk({"SET", "k", value})),
            (Command{"SET", "k", value}));
  EXPECT_EQ(One("*2\r\n$0\r\n\r\n$0\r\n\r\n"), (Command{"", ""}));
}

// A stream mixing every request shape; any split must give the same result.
const char kSample[] =
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nv\x01\r\n"
    "*0\r\n"
    "PING\r\n"
    "\r\n"
    "ECHO \"a\\x41\\n\" 'b\\'c'\n"
    "*-1\r\n"
    "   \t\r\n"
    "*1\r\n$4\r\nPING\r\n"
    "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";

const std::vector<Command> kSampleCommands = {{"SET", "k", "v\r\nv\x01"},
                                              {"PING"},
                                              {"ECHO", "aA\n", "b'c"},
                                              {"PING"},
                                              {"ECHO", ""}};

TEST(RequestParser, SampleStreamWhole) {
  ParseRun run = ParseWhole(kSample);
  EXPECT_FALSE(run.failed) << run.error;
  EXPECT_EQ(run.commands, kSampleCommands);
  EXPECT_EQ(run.unconsumed, 0u);
}

TEST(RequestParser, SampleStreamSplitAtEveryByte) {
  const std::string sample = kSample;
  for (size_t cut = 0; cut <= sample.size(); ++cut) {
    for (bool drop : {true, false}) {
      ParseRun run = ParseChunks(SplitAt(sample, {cut}), RequestLimits(), drop);
      EXPECT_EQ(run.commands, kSampleCommands) << "cut " << cut;
      EXPECT_FALSE(run.failed) << "cut " << cut << ": " << run.error;
      EXPECT_EQ(run.unconsumed, 0u) << "cut " << cut;
    }
  }
}

TEST(RequestParser, SampleStreamOneByteAtATime) {
  const std::string sample = kSample;
  std::vector<size_t> cuts;
  for (size_t i = 1; i < sample.size(); ++i) cuts.push_back(i);
  for (bool drop : {true, false}) {
    ParseRun run = ParseChunks(SplitAt(sample, cuts), RequestLimits(), drop);
    EXPECT_EQ(run.commands, kSampleCommands);
    EXPECT_FALSE(run.failed) << run.error;
  }
}

TEST(RequestParser, IncompleteCommandNeedsMoreAndConsumesNothing) {
  const std::string full = "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n";
  for (size_t n = 0; n < full.size(); ++n) {
    RequestParser p;
    EXPECT_EQ(p.Parse(absl::string_view(full).substr(0, n)),
              RequestParser::kNeedMore)
        << n;
    EXPECT_EQ(p.consumed(), 0u);
    ASSERT_EQ(p.Parse(full), RequestParser::kCommand) << n;
    EXPECT_EQ(p.consumed(), full.size());
  }
}

TEST(RequestParser, BulkBytesPending) {
  RequestParser p;
  std::string in = "*2\r\n$3\r\nGET\r\n$10\r\n0123";
  EXPECT_EQ(p.Parse(in), RequestParser::kNeedMore);
  EXPECT_EQ(p.bulk_bytes_pending(), 8u);  // 6 bytes of value + CRLF
  in += "456789\r";
  EXPECT_EQ(p.Parse(in), RequestParser::kNeedMore);
  EXPECT_EQ(p.bulk_bytes_pending(), 1u);
  in += "\n";
  EXPECT_EQ(p.Parse(in), RequestParser::kCommand);
  EXPECT_EQ(p.bulk_bytes_pending(), 0u);
}

TEST(RequestParser, HugeClaimedBulkWaitsWithoutError) {
  RequestParser p;
  EXPECT_EQ(p.Parse("*1\r\n$536870912\r\nab"), RequestParser::kNeedMore);
  EXPECT_EQ(p.bulk_bytes_pending(), 536870912u);
}

// The parser keeps its progress as offsets: bytes it has already parsed are
// not looked at again. Corrupting them after the fact proves it (a parser
// that restarted from the first byte would now see garbage).
TEST(RequestParser, ResumesWithoutRescanningParsedBytes) {
  RequestParser p;
  std::string in = "*2\r\n$3\r\nGET\r\n$6\r\nabc";
  ASSERT_EQ(p.Parse(in), RequestParser::kNeedMore);
  in[0] = '*';  // still a multibulk
  in[1] = 'X';
  in[13] = 'Z';  // the '$' of the second argument's header
  in += "def\r\n";
  ASSERT_EQ(p.Parse(in), RequestParser::kCommand);
  EXPECT_EQ(p.args()[1], "abcdef");
}

TEST(RequestParser, StateSurvivesBufferMove) {
  RequestParser p;
  std::string a = "XX*2\r\n$3\r\nGET\r\n$2\r\nk";
  ASSERT_EQ(p.Parse(absl::string_view(a).substr(2)), RequestParser::kNeedMore);
  std::string b = "*2\r\n$3\r\nGET\r\n$2\r\nkk\r\n";  // compacted + appended
  ASSERT_EQ(p.Parse(b), RequestParser::kCommand);
  EXPECT_EQ(p.args()[1], "kk");
  EXPECT_EQ(p.args()[1].data(), b.data() + 17);
}

// Inline commands, as checked against redis-server 7.0.15.
TEST(RequestParserInline, Basic) {
  EXPECT_EQ(One("PING\r\n"), (Command{"PING"}));
  EXPECT_EQ(One("PING\n"), (Command{"PING"}));
  EXPECT_EQ(One("  SET\tk   v  \r\n"), (Command{"SET", "k", "v"}));
  EXPECT_EQ(One("PING\r\r\n"), (Command{"PING"}));
  EXPECT_EQ(One("\vPING\r\n"), (Command{"PING"}));
  // \v and \f are skipped between words but do not end one.
  EXPECT_EQ(One("ECHO a\vb\r\n"), (Command{"ECHO", "a\vb"}));
  EXPECT_EQ(One("ECHO a\fb\r\n"), (Command{"ECHO", "a\fb"}));
}

TEST(RequestParserInline, DoubleQuotes) {
  EXPECT_EQ(One("ECHO \"a b\"\r\n"), (Command{"ECHO", "a b"}));
  EXPECT_EQ(One("ECHO \"a\\x41\\n\"\r\n"), (Command{"ECHO", "aA\n"}));
  EXPECT_EQ(One("ECHO \"\\xFf\\x00\"\r\n"),
            (Command{"ECHO", std::string("\xff\0", 2)}));
  EXPECT_EQ(One("ECHO \"\\n\\r\\t\\b\\a\\\\\\\"\"\r\n"),
            (Command{"ECHO", "\n\r\t\b\a\\\""}));
  EXPECT_EQ(One("ECHO \"\\q\"\r\n"), (Command{"ECHO", "q"}));
  EXPECT_EQ(One("ECHO \"\\x4\"\r\n"), (Command{"ECHO", "x4"}));
  EXPECT_EQ(One("ECHO \"\\x4g\"\r\n"), (Command{"ECHO", "x4g"}));
  EXPECT_EQ(One("ECHO \"a'b\"\r\n"), (Command{"ECHO", "a'b"}));
  EXPECT_EQ(One("ECHO \"\"\r\n"), (Command{"ECHO", ""}));
  // A quote may open inside a word; the word then continues inside it.
  EXPECT_EQ(One("ECHO a\"b c\"\r\n"), (Command{"ECHO", "ab c"}));
  // Any isspace() byte may follow a closing quote, \v included.
  EXPECT_EQ(One("ECHO \"a\"\vx\r\n"), (Command{"ECHO", "a", "x"}));
  EXPECT_EQ(One("ECHO \"a\"\r\r\n"), (Command{"ECHO", "a"}));
}

TEST(RequestParserInline, SingleQuotes) {
  EXPECT_EQ(One("ECHO 'a\\'b'\r\n"), (Command{"ECHO", "a'b"}));
  EXPECT_EQ(One("ECHO 'a\\nb'\r\n"), (Command{"ECHO", "a\\nb"}));
  EXPECT_EQ(One("ECHO 'a\"b'\r\n"), (Command{"ECHO", "a\"b"}));
  EXPECT_EQ(One("ECHO ''\r\n"), (Command{"ECHO", ""}));
}

TEST(RequestParserInline, NulIsAnOrdinaryByte) {
  EXPECT_EQ(One(std::string("EC\0HO a\0\r\n", 10)),
            (Command{std::string("EC\0HO", 5), std::string("a\0", 2)}));
}

TEST(RequestParserInline, UnbalancedQuotes) {
  const std::string kErr = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorOf("ECHO \"abc\r\n"), kErr);
  EXPECT_EQ(ErrorOf("ECHO 'abc\r\n"), kErr);
  EXPECT_EQ(ErrorOf("ECHO \"a\"b\r\n"), kErr);
  EXPECT_EQ(ErrorOf("ECHO 'a'b\r\n"), kErr);
  EXPECT_EQ(ErrorOf("ECHO a\"b c\"d\r\n"), kErr);
  EXPECT_EQ(ErrorOf("ECHO \"abc\\\r\n"), kErr);
  EXPECT_EQ(ErrorOf("ECHO 'abc\\'\r\n"), kErr);
}

TEST(RequestParserInline, TooBig) {
  const std::string kErr = "Protocol error: too big inline request";
  RequestLimits limits;
  limits.max_inline_len = 16;
  // Content of exactly the limit is fine, with CRLF or a lone LF.
  EXPECT_EQ(ErrorOf(std::string(16, 'a') + "\r\n", limits), "");
  EXPECT_EQ(ErrorOf(std::string(16, 'a') + "\n", limits), "");
  EXPECT_EQ(ErrorOf(std::string(17, 'a') + "\r\n", limits), kErr);
  EXPECT_EQ(ErrorOf(std::string(17, 'a') + "\n", limits), kErr);
  // Without a line end: waits up to the limit (and a CR), fails beyond it.
  EXPECT_EQ(ErrorOf(std::string(16, 'a'), limits), "");
  EXPECT_EQ(ErrorOf(std::string(16, 'a') + "\r", limits), "");
  EXPECT_EQ(ErrorOf(std::string(17, 'a'), limits), kErr);
  EXPECT_EQ(ErrorOf(std::string(16, 'a') + "\rx", limits), kErr);
  // Default limit: 64 KiB, as Redis's PROTO_INLINE_MAX_SIZE.
  EXPECT_EQ(ErrorOf(std::string(64 * 1024, 'a') + "\r\n"), "");
  EXPECT_EQ(ErrorOf(std::string(64 * 1024 + 1, 'a')), kErr);
  // The verdict does not depend on how the line arrived.
  std::string line = std::string(20, 'a') + "\r\n";
  for (size_t cut = 0; cut <= line.size(); ++cut) {
    EXPECT_EQ(ParseChunks(SplitAt(line, {cut}), limits).error, kErr) << cut;
  }
}

TEST(RequestParser, EmptyCommandsAreSkipped) {
  for (const char* empty :
       {"\r\n", "\n", "   \r\n", "\t\n", "*0\r\n", "*-1\r\n", "*-10\r\n"}) {
    std::string in = std::string(empty) + "PING\r\n";
    RequestParser p;
    ASSERT_EQ(p.Parse(in), RequestParser::kCommand) << empty;
    EXPECT_EQ(p.consumed(), in.size()) << empty;
    EXPECT_EQ(p.args().size(), 1u);
  }
}

TEST(RequestParser, EmptyCommandsThenIncompleteReportConsumed) {
  RequestParser p;
  std::string in = "*0\r\n\r\n*1\r\n$4\r\nPI";
  EXPECT_EQ(p.Parse(in), RequestParser::kNeedMore);
  EXPECT_EQ(p.consumed(), 6u);
  // A caller that drops them...
  {
    RequestParser q = p;
    std::string rest = in.substr(6) + "NG\r\n";
    ASSERT_EQ(q.Parse(rest), RequestParser::kCommand);
    EXPECT_EQ(q.consumed(), rest.size());
  }
  // ...and one that does not are both served.
  std::string all = in + "NG\r\n";
  ASSERT_EQ(p.Parse(all), RequestParser::kCommand);
  EXPECT_EQ(p.consumed(), all.size());
  EXPECT_EQ(p.args()[0], "PING");
}

TEST(RequestParser, OnlyEmptyCommands) {
  RequestParser p;
  EXPECT_EQ(p.Parse("*0\r\n\n*-1\r\n"), RequestParser::kNeedMore);
  EXPECT_EQ(p.consumed(), 10u);
  EXPECT_EQ(p.Parse(""), RequestParser::kNeedMore);
  EXPECT_EQ(p.consumed(), 0u);
}

TEST(RequestParserErrors, InvalidMultibulkLength) {
  const std::string kErr = "Protocol error: invalid multibulk length";
  for (const char* in :
       {"*abc\r\n", "*01\r\n", "*+1\r\n", "*-0\r\n", "*\r\n", "* 1\r\n",
        "*1 \r\n", "*3000000000\r\n", "*99999999999999999999\r\n",
        // Redis would skip the byte after CR; we require LF.
        "*1\rX$4\r\nPING\r\n"}) {
    EXPECT_EQ(ErrorOf(in), kErr) << in;
  }
  RequestLimits limits;
  limits.max_multibulk_len = 3;
  EXPECT_EQ(ErrorOf("*4\r\n", limits), kErr);
  EXPECT_EQ(ErrorOf("*3\r\n", limits), "");
  // The default limit is 1048576 elements (the project's spec).
  EXPECT_EQ(ErrorOf("*1048576\r\n"), "");
  EXPECT_EQ(ErrorOf("*1048577\r\n"), kErr);
  // Raised, it still waits for the data without reserving anything.
  limits.max_multibulk_len = 2147483647;
  EXPECT_EQ(ErrorOf("*2147483647\r\n", limits), "");
}

TEST(RequestParserErrors, TooBigMbulkCountString) {
  const std::string kErr = "Protocol error: too big mbulk count string";
  RequestLimits limits;
  limits.max_inline_len = 8;
  EXPECT_EQ(ErrorOf("*1234567", limits), "");
  EXPECT_EQ(ErrorOf("*12345678", limits), kErr);
  EXPECT_EQ(ErrorOf("*12345678\r\n", limits), kErr);
  EXPECT_EQ(ErrorOf("*" + std::string(64 * 1024, '1')), kErr);
}

TEST(RequestParserErrors, ExpectedDollar) {
  EXPECT_EQ(ErrorOf("*1\r\nfooz\r\n"), "Protocol error: expected '$', got 'f'");
  EXPECT_EQ(ErrorOf("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"),
            "Protocol error: expected '$', got 'f'");
  // Redis blanks a CR in the message (it would break the reply's framing).
  EXPECT_EQ(ErrorOf("*1\r\n\r\n"), "Protocol error: expected '$', got ' '");
  EXPECT_EQ(ErrorOf("*1\r\n*1\r\n"), "Protocol error: expected '$', got '*'");
  // Like Redis, the verdict waits for the line's end.
  EXPECT_EQ(ErrorOf("*1\r\nfoo"), "");
}

TEST(RequestParserErrors, TooBigBulkCountString) {
  const std::string kErr = "Protocol error: too big bulk count string";
  RequestLimits limits;
  limits.max_inline_len = 8;
  EXPECT_EQ(ErrorOf("*1\r\n$1234567", limits), "");
  EXPECT_EQ(ErrorOf("*1\r\n$12345678", limits), kErr);
  EXPECT_EQ(ErrorOf("*1\r\n$" + std::string(64 * 1024, '1')), kErr);
}

TEST(RequestParserErrors, InvalidBulkLength) {
  const std::string kErr = "Protocol error: invalid bulk length";
  for (const char* in :
       {"*1\r\n$-1\r\n", "*1\r\n$04\r\nPING\r\n", "*1\r\n$ 4\r\nPING\r\n",
        "*1\r\n$\r\nPING\r\n", "*1\r\n$abc\r\n", "*1\r\n$+4\r\nPING\r\n",
        "*1\r\n$536870913\r\n",
        // Stricter than Redis: CRLF must follow the length and the data.
        "*1\r\n$4\rXPING\r\n", "*1\r\n$4\r\nPINGxx", "*1\r\n$4\r\nPING\rx",
        "*1\r\n$4\r\nPING\n\r", "*1\r\n$3\r\nPING\r\n"}) {
    EXPECT_EQ(ErrorOf(in), kErr) << in;
  }
  EXPECT_EQ(ErrorOf("*1\r\n$536870912\r\n"), "");
  RequestLimits limits;
  limits.max_bulk_len = 4;
  EXPECT_EQ(ErrorOf("*1\r\n$5\r\n", limits), kErr);
  EXPECT_EQ(ErrorOf("*1\r\n$4\r\nPING\r\n", limits), "");
}

// Before AUTH (requirepass set), as redis-server 7.0.15 answers.
TEST(RequestParserErrors, Unauthenticated) {
  RequestLimits limits;
  limits.unauthenticated = true;
  EXPECT_EQ(ErrorOf("*11\r\n", limits),
            "Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(ErrorOf("*-1\r\n*11\r\n", limits),
            "Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(ErrorOf("*10\r\n", limits), "");
  EXPECT_EQ(ErrorOf("*1\r\n$16385\r\n", limits),
            "Protocol error: unauthenticated bulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$16384\r\n", limits), "");
  EXPECT_EQ(ErrorOf("*12x\r\n", limits),
            "Protocol error: invalid multibulk length");
  // Authenticating lifts the limits for the next command.
  RequestParser p(limits);
  ASSERT_EQ(p.Parse("AUTH pw\r\n"), RequestParser::kCommand);
  limits.unauthenticated = false;
  p.set_limits(limits);
  EXPECT_EQ(p.Parse(resp_test::EncodeMultibulk(Command(11, "x"))),
            RequestParser::kCommand);
}

// Passing fewer bytes than before breaks the contract; the parser must still
// not read out of bounds (ASan in the fuzzers would catch it) and recovers.
TEST(RequestParser, ShorterInputThanBeforeStartsOver) {
  RequestParser p;
  const std::string full = "*2\r\n$3\r\nGET\r\n$5\r\nabcde\r\n";
  ASSERT_EQ(p.Parse(absl::string_view(full).substr(0, 20)),
            RequestParser::kNeedMore);
  EXPECT_EQ(p.Parse(absl::string_view(full).substr(0, 3)),
            RequestParser::kNeedMore);
  ASSERT_EQ(p.Parse(full), RequestParser::kCommand);
  EXPECT_EQ(p.args()[1], "abcde");
}

TEST(RequestParserErrors, ErrorIsSticky) {
  RequestParser p;
  EXPECT_EQ(p.Parse("*x\r\n"), RequestParser::kError);
  const std::string error = p.error();
  EXPECT_EQ(error, "Protocol error: invalid multibulk length");
  EXPECT_EQ(p.Parse("PING\r\n"), RequestParser::kError);
  EXPECT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n"), RequestParser::kError);
  EXPECT_EQ(p.consumed(), 0u);
  EXPECT_EQ(p.error(), error);
}

TEST(RequestParserErrors, CommandsBeforeTheErrorAreDelivered) {
  ParseRun run = ParseWhole("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\nX\r\n");
  EXPECT_EQ(run.commands.size(), 2u);
  EXPECT_TRUE(run.failed);
  EXPECT_EQ(run.error, "Protocol error: expected '$', got 'X'");
}

TEST(RequestParser, ManyArgumentsThenSmallCommands) {
  Command big(5000, "x");
  big[0] = "RPUSH";
  std::string stream = EncodeMultibulk(big) + EncodeMultibulk({"PING"});
  ParseRun run = ParseWhole(stream);
  ASSERT_EQ(run.commands.size(), 2u);
  EXPECT_EQ(run.commands[0], big);
  EXPECT_EQ(run.commands[1], (Command{"PING"}));
}

TEST(RequestParser, LargeValueTricklingIn) {
  const std::string value(3 * 1024 * 1024 + 7, 'v');
  const std::string stream = EncodeMultibulk({"SET", "k", value});
  std::vector<size_t> cuts;
  for (size_t i = 1000; i < stream.size(); i += 1000) cuts.push_back(i);
  ParseRun run = ParseChunks(SplitAt(stream, cuts));
  ASSERT_EQ(run.commands.size(), 1u);
  EXPECT_EQ(run.commands[0][2], value);
}

}  // namespace
}  // namespace twinkv

namespace twinkv {
namespace {

// Parses the first command of `input`; returns CanonicalCommandBytes.
std::string Canonical(absl::string_view input) {
  RequestParser parser;
  EXPECT_EQ(parser.Parse(input), RequestParser::kCommand) << input;
  return std::string(CanonicalCommandBytes(input.substr(0, parser.consumed()),
                                           parser.args()));
}

TEST(CanonicalCommandBytesTest, OnlyTheExactEncodingIsReturned) {
  const std::string set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n";
  EXPECT_EQ(Canonical(set + "*1\r\n$4\r\nPING\r\n"), set);
  // Empty commands skipped before it are not part of it.
  EXPECT_EQ(Canonical("*0\r\n*-1\r\n" + set), set);
  EXPECT_EQ(Canonical("*1\r\n$0\r\n\r\n"), "*1\r\n$0\r\n\r\n");
  // An inline command is no RESP at all. (Lengths with leading zeros,
  // the other way to spell the same arguments, are protocol errors.)
  EXPECT_EQ(Canonical("SET k v\r\n"), "");
  // Arguments that do not view the bytes (as after an inline parse).
  const std::vector<absl::string_view> copies = {"SET", "k", "0123456789"};
  EXPECT_EQ(CanonicalCommandBytes(set, copies), "");
}

}  // namespace
}  // namespace twinkv
