#include "transport/runtime.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace twinkv {
namespace {

TEST(NetErrorNameTest, NamesEveryError) {
  EXPECT_EQ(NetErrorName(NetError::kOk), "ok");
  EXPECT_EQ(NetErrorName(NetError::kClosed), "closed");
  EXPECT_EQ(NetErrorName(NetError::kReset), "reset");
  EXPECT_EQ(NetErrorName(NetError::kRefused), "refused");
  EXPECT_EQ(NetErrorName(NetError::kTimedOut), "timed out");
  EXPECT_EQ(NetErrorName(NetError::kOther), "other");
}

// A Random whose output we choose, to check the helpers' arithmetic.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(uint64_t v) : v_(v) {}
  uint64_t Next64() override { return v_; }

 private:
  uint64_t v_;
};

TEST(RandomTest, UniformScalesTheFullRange) {
  EXPECT_EQ(FixedRandom(0).Uniform(10), 0u);
  EXPECT_EQ(FixedRandom(~uint64_t{0}).Uniform(10), 9u);
  EXPECT_EQ(FixedRandom(uint64_t{1} << 63).Uniform(10), 5u);
  EXPECT_FALSE(FixedRandom(~uint64_t{0}).Bernoulli(0.0));
  EXPECT_TRUE(FixedRandom(0).Bernoulli(1e-9));
  EXPECT_FALSE(FixedRandom(uint64_t{1} << 63).Bernoulli(0.5));
  EXPECT_TRUE(FixedRandom((uint64_t{1} << 63) - 4096).Bernoulli(0.5));
}

}  // namespace
}  // namespace twinkv
