// Counts heap allocations (by replacing the global operator new in this test
// binary) to check two promises of the RESP layer: the multibulk hot path
// allocates nothing per command once warm, and nothing is allocated from a
// length the peer merely claims.

#include <cstdlib>
#include <new>
#include <string>

#include "core/resp/reply.h"
#include "core/resp/request_parser.h"
#include "gtest/gtest.h"
#include "test/core/resp/resp_test_util.h"

namespace {
// Single-threaded test; plain counters suffice.
size_t g_allocations = 0;
size_t g_allocated_bytes = 0;
}  // namespace

void* operator new(size_t n) {
  ++g_allocations;
  g_allocated_bytes += n;
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace twinkv {
namespace {

struct AllocationCounter {
  size_t allocations_at_start = g_allocations;
  size_t bytes_at_start = g_allocated_bytes;
  size_t allocations() const { return g_allocations - allocations_at_start; }
  size_t bytes() const { return g_allocated_bytes - bytes_at_start; }
};

TEST(RequestParserAllocations, SteadyStateMultibulkAllocatesNothing) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) {
    stream += resp_test::EncodeMultibulk(
        {"SET", "key:" + std::to_string(i), std::string(i % 50, 'v')});
  }
  RequestParser parser;
  auto parse_all = [&] {
    size_t pos = 0;
    size_t commands = 0;
    for (;;) {
      RequestParser::Result r =
          parser.Parse(absl::string_view(stream).substr(pos));
      if (r != RequestParser::kCommand) break;
      pos += parser.consumed();
      ++commands;
    }
    return commands;
  };
  ASSERT_EQ(parse_all(), 1000u);  // warm up: vectors reach their capacity
  AllocationCounter counter;
  EXPECT_EQ(parse_all(), 1000u);
  EXPECT_EQ(counter.allocations(), 0u);
}

TEST(RequestParserAllocations, ClaimedLengthsAllocateNothingUpFront) {
  RequestParser parser;
  AllocationCounter counter;
  EXPECT_EQ(parser.Parse("*1048576\r\n$536870912\r\nabc"),
            RequestParser::kNeedMore);
  EXPECT_LT(counter.bytes(), 4096u);
}

TEST(ReplyDecoderAllocations, ClaimedLengthsAllocateLittleUpFront) {
  ReplyDecoder decoder;
  Reply reply;
  AllocationCounter counter;
  EXPECT_EQ(
      decoder.Decode("*4294967296\r\n%4294967296\r\n$536870912\r\nab", &reply),
      ReplyDecoder::kNeedMore);
  EXPECT_LT(counter.bytes(), 64u * 1024);
}

}  // namespace
}  // namespace twinkv
