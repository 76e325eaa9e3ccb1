// Helpers shared by the RESP tests: drive a RequestParser or ReplyDecoder
// the way a connection does (append chunks, parse, drop consumed bytes), and
// encode commands as RESP.

#ifndef TWINKV_TEST_CORE_RESP_RESP_TEST_UTIL_H_
#define TWINKV_TEST_CORE_RESP_RESP_TEST_UTIL_H_

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/resp/reply.h"
#include "core/resp/request_parser.h"

namespace twinkv {

// (GoogleTest prints replies readably through core/resp/reply.h's PrintTo.)

namespace resp_test {

using Command = std::vector<std::string>;

// What a connection saw: the commands in order, then maybe an error.
struct ParseRun {
  std::vector<Command> commands;
  bool failed = false;
  std::string error;
  size_t unconsumed = 0;  // bytes left in the buffer at the end

  bool operator==(const ParseRun& o) const {
    return commands == o.commands && failed == o.failed && error == o.error &&
           unconsumed == o.unconsumed;
  }
};

inline std::string Describe(const ParseRun& run) {
  std::string s = "[";
  for (const Command& c : run.commands) {
    s += "(";
    for (const std::string& a : c) absl::StrAppend(&s, "\"", a, "\" ");
    s += ") ";
  }
  absl::StrAppend(&s, "] failed=", run.failed, " error=", run.error,
                  " unconsumed=", run.unconsumed);
  return s;
}

// Feeds `chunks` one after the other, as reads of one connection. After each
// read, parses every complete command and compacts the buffer (so the parser
// sees its unconsumed bytes move). With `drop_skipped` false, bytes of empty
// commands consumed on kNeedMore are kept, as a careless caller would.
inline ParseRun ParseChunks(const std::vector<std::string>& chunks,
                            RequestLimits limits = RequestLimits(),
                            bool drop_skipped = true) {
  RequestParser parser(limits);
  ParseRun run;
  std::string buf;
  for (const std::string& chunk : chunks) {
    buf += chunk;
    size_t pos = 0;
    for (;;) {
      absl::string_view input = absl::string_view(buf).substr(pos);
      RequestParser::Result r = parser.Parse(input);
      if (parser.consumed() > input.size()) {
        run.failed = true;
        run.error = "consumed() beyond input";
        return run;
      }
      if (r == RequestParser::kError) {
        run.failed = true;
        run.error = parser.error();
        run.unconsumed = buf.size() - pos;
        return run;
      }
      if (r == RequestParser::kNeedMore) {
        if (drop_skipped) pos += parser.consumed();
        break;
      }
      Command cmd;
      for (absl::string_view a : parser.args()) cmd.emplace_back(a);
      run.commands.push_back(std::move(cmd));
      pos += parser.consumed();
    }
    buf.erase(0, pos);
  }
  run.unconsumed = buf.size();
  return run;
}

inline ParseRun ParseWhole(absl::string_view stream,
                           RequestLimits limits = RequestLimits()) {
  return ParseChunks({std::string(stream)}, limits);
}

// Cuts `s` at the given offsets (any order, duplicates and out-of-range
// values allowed) into consecutive chunks.
inline std::vector<std::string> SplitAt(absl::string_view s,
                                        std::vector<size_t> cuts) {
  for (size_t& c : cuts) c = s.empty() ? 0 : c % (s.size() + 1);
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::string> chunks;
  size_t prev = 0;
  for (size_t c : cuts) {
    chunks.emplace_back(s.substr(prev, c - prev));
    prev = c;
  }
  chunks.emplace_back(s.substr(prev));
  return chunks;
}

inline std::string EncodeMultibulk(const Command& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  }
  return out;
}

// An inline line that any bytes survive: each argument double-quoted, with
// every byte that is not alphanumeric written as \xHH.
inline std::string EncodeInlineQuoted(const Command& args) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    out += '"';
    for (unsigned char c : args[i]) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')) {
        out += static_cast<char>(c);
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

// What a pipeline client saw: the replies in order, then maybe an error.
struct DecodeRun {
  std::vector<Reply> replies;
  bool failed = false;
  std::string error;
  size_t unconsumed = 0;
};

// Feeds chunks to one ReplyDecoder following its contract: on kNeedMore the
// same bytes are passed again with more appended; on kReply the consumed
// bytes are dropped.
inline DecodeRun DecodeChunks(const std::vector<std::string>& chunks) {
  ReplyDecoder decoder;
  DecodeRun run;
  std::string buf;
  for (const std::string& chunk : chunks) {
    buf += chunk;
    size_t pos = 0;
    for (;;) {
      Reply reply;
      absl::string_view input = absl::string_view(buf).substr(pos);
      ReplyDecoder::Result r = decoder.Decode(input, &reply);
      if (r == ReplyDecoder::kError) {
        run.failed = true;
        run.error = decoder.error();
        run.unconsumed = buf.size() - pos;
        return run;
      }
      if (r == ReplyDecoder::kNeedMore) break;
      if (decoder.consumed() == 0 || decoder.consumed() > input.size()) {
        run.failed = true;
        run.error = "bad consumed()";
        return run;
      }
      run.replies.push_back(std::move(reply));
      pos += decoder.consumed();
    }
    buf.erase(0, pos);
  }
  run.unconsumed = buf.size();
  return run;
}

inline std::string DescribeReplies(const std::vector<Reply>& replies) {
  std::string s;
  for (const Reply& r : replies) absl::StrAppend(&s, r.DebugString(), "\n");
  return s;
}

}  // namespace resp_test
}  // namespace twinkv

#endif  // TWINKV_TEST_CORE_RESP_RESP_TEST_UTIL_H_
