// libFuzzer target for ReplyDecoder and EncodeReply.
//
// Input: one byte choosing a split point, then a stream of replies.
// Invariants checked on every input:
//  - consumed() is within the input and > 0 on kReply; kNeedMore and kError
//    consume nothing; after kError, Decode() keeps returning kError;
//  - decoding the stream whole, split in two, or byte by byte (same bytes
//    plus more on kNeedMore, as the contract says) gives the same replies
//    and the same error;
//  - every decoded reply, re-encoded with EncodeReply, decodes to itself.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/resp/reply.h"

namespace {

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

struct Outcome {
  std::vector<twinkv::Reply> replies;
  bool failed = false;
  std::string error;
};

Outcome Run(const std::vector<absl::string_view>& chunks) {
  twinkv::ReplyDecoder decoder;
  Outcome out;
  std::string buf;
  for (absl::string_view chunk : chunks) {
    buf.append(chunk.data(), chunk.size());
    size_t pos = 0;
    for (;;) {
      absl::string_view input = absl::string_view(buf).substr(pos);
      twinkv::Reply reply;
      twinkv::ReplyDecoder::Result r = decoder.Decode(input, &reply);
      if (r == twinkv::ReplyDecoder::kError) {
        FUZZ_CHECK(decoder.consumed() == 0);
        FUZZ_CHECK(!decoder.error().empty());
        FUZZ_CHECK(decoder.Decode(input, &reply) ==
                   twinkv::ReplyDecoder::kError);
        out.failed = true;
        out.error = decoder.error();
        return out;
      }
      if (r == twinkv::ReplyDecoder::kNeedMore) {
        FUZZ_CHECK(decoder.consumed() == 0);
        break;
      }
      FUZZ_CHECK(decoder.consumed() > 0 && decoder.consumed() <= input.size());
      pos += decoder.consumed();
      out.replies.push_back(std::move(reply));
    }
    buf.erase(0, pos);
  }
  return out;
}

bool Same(const Outcome& a, const Outcome& b) {
  return a.replies == b.replies && a.failed == b.failed && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view stream(reinterpret_cast<const char*>(data + 1),
                                 size - 1);
  const Outcome whole = Run({stream});

  const size_t cut = data[0] * stream.size() / 255;
  FUZZ_CHECK(Same(whole, Run({stream.substr(0, cut), stream.substr(cut)})));

  if (stream.size() <= 512) {
    std::vector<absl::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i) {
      bytes.push_back(stream.substr(i, 1));
    }
    FUZZ_CHECK(Same(whole, Run(bytes)));
  }

  for (const twinkv::Reply& r : whole.replies) {
    std::string encoded;
    twinkv::EncodeReply(r, &encoded);
    twinkv::ReplyDecoder decoder;
    twinkv::Reply back;
    FUZZ_CHECK(decoder.Decode(encoded, &back) == twinkv::ReplyDecoder::kReply);
    FUZZ_CHECK(decoder.consumed() == encoded.size());
    FUZZ_CHECK(back == r);
  }
  return 0;
}
