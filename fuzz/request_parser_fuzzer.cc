// libFuzzer target for RequestParser.
//
// Input: one mode byte, then the bytes of a client stream. Bit 0 of the mode
// selects tiny limits (to reach the limit paths); the other bits choose where
// to split the stream in two. Invariants checked on every input:
//  - consumed() never exceeds the bytes passed in;
//  - kCommand always carries >= 1 argument and consumes >= 1 byte;
//  - after kError, Parse() keeps returning kError;
//  - the commands and error are the same whether the stream arrives whole,
//    split in two (with the buffer compacted in between), or byte by byte.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/resp/request_parser.h"

namespace {

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  bool failed = false;
  std::string error;
};

// Plays the chunks as successive reads of one connection.
Outcome Run(const std::vector<absl::string_view>& chunks,
            const twinkv::RequestLimits& limits) {
  twinkv::RequestParser parser(limits);
  Outcome out;
  std::string buf;
  for (absl::string_view chunk : chunks) {
    buf.append(chunk.data(), chunk.size());
    size_t pos = 0;
    for (;;) {
      absl::string_view input = absl::string_view(buf).substr(pos);
      twinkv::RequestParser::Result r = parser.Parse(input);
      FUZZ_CHECK(parser.consumed() <= input.size());
      if (r == twinkv::RequestParser::kError) {
        FUZZ_CHECK(!parser.error().empty());
        FUZZ_CHECK(parser.Parse(input) == twinkv::RequestParser::kError);
        out.failed = true;
        out.error = parser.error();
        return out;
      }
      pos += parser.consumed();
      if (r == twinkv::RequestParser::kNeedMore) break;
      FUZZ_CHECK(!parser.args().empty());
      FUZZ_CHECK(parser.consumed() > 0);
      std::vector<std::string> cmd;
      for (absl::string_view a : parser.args()) cmd.emplace_back(a);
      out.commands.push_back(std::move(cmd));
    }
    buf.erase(0, pos);
  }
  return out;
}

bool Same(const Outcome& a, const Outcome& b) {
  return a.commands == b.commands && a.failed == b.failed && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const absl::string_view stream(reinterpret_cast<const char*>(data + 1),
                                 size - 1);
  twinkv::RequestLimits limits;
  if (mode & 1) {
    limits.max_inline_len = 16;
    limits.max_bulk_len = 16;
    limits.max_multibulk_len = 4;
  }
  const Outcome whole = Run({stream}, limits);

  const size_t cut = (mode >> 1) * stream.size() / 127;
  const Outcome split =
      Run({stream.substr(0, cut), stream.substr(cut)}, limits);
  FUZZ_CHECK(Same(whole, split));

  if (stream.size() <= 512) {
    std::vector<absl::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i) {
      bytes.push_back(stream.substr(i, 1));
    }
    FUZZ_CHECK(Same(whole, Run(bytes, limits)));
  }
  return 0;
}
