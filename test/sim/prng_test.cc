#include "sim/prng.h"

#include <cmath>
#include <set>

#include "gtest/gtest.h"

namespace twinkv::sim {
namespace {

TEST(SplitMix64Test, MatchesTheReferenceSequence) {
  // Reference outputs of Vigna's splitmix64.c for seed 0.
  SplitMix64 sm(0);
  EXPECT_EQ(sm.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(sm.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(sm.Next(), 0x06c45d188009454fULL);
}

TEST(Xoshiro256Test, IsAFunctionOfTheSeed) {
  Xoshiro256 a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(Xoshiro256Test, LooksUniform) {
  // 64 buckets, 64k draws: every bucket within 25% of its mean (a broken
  // rotation or state update fails this by far).
  Xoshiro256 x(12345);
  int buckets[64] = {};
  for (int i = 0; i < 65536; ++i) ++buckets[x.Next() >> 58];
  for (int b : buckets) {
    EXPECT_GT(b, 768);
    EXPECT_LT(b, 1280);
  }
}

TEST(StreamSeedTest, SeparatesNamesAndSeeds) {
  std::set<uint64_t> seeds;
  for (uint64_t seed : {0, 1, 2}) {
    for (const char* name : {"network", "disk", "node:a", "node:b", ""}) {
      seeds.insert(StreamSeed(seed, name));
    }
  }
  EXPECT_EQ(seeds.size(), 15u);
  EXPECT_EQ(StreamSeed(5, "network"), StreamSeed(5, "network"));
}

TEST(TraceHashTest, DependsOnOrder) {
  TraceHash a, b, c;
  a.Fold(1);
  a.Fold(2);
  b.Fold(2);
  b.Fold(1);
  c.Fold(1);
  c.Fold(2);
  EXPECT_NE(a.value(), b.value());
  EXPECT_EQ(a.value(), c.value());
  TraceHash empty, zero;
  zero.Fold(0);
  EXPECT_NE(empty.value(), zero.value());
}

TEST(PrngTest, DeterministicLogMatchesLibm) {
  SimRandom r(3);
  for (int i = 0; i < 100000; ++i) {
    // Values across many binades, including tiny and huge ones.
    const double x = UnitInterval(r) * std::ldexp(1.0, static_cast<int>(r.Uniform(200)) - 100);
    const double want = std::log(x);
    ASSERT_NEAR(DeterministicLog(x), want, 4e-16 * std::max(1.0, std::fabs(want))) << x;
  }
  EXPECT_EQ(DeterministicLog(1.0), 0.0);
}

TEST(PrngTest, ExponentialUnitIsMinusLogOfItsUniform) {
  // The same draw through the slow exact path and the fast table path.
  for (uint64_t seed = 0; seed < 20000; ++seed) {
    SimRandom a(seed), b(seed);
    const double fast = ExponentialUnit(a);
    const double exact = -DeterministicLog(UnitInterval(b));
    ASSERT_NEAR(fast, exact, 1e-12 * std::max(1.0, exact)) << seed;
    ASSERT_GE(fast, 0.0);
  }
}

TEST(PrngTest, ExponentialHasItsMeanAndCap) {
  SimRandom r(4);
  double sum = 0;
  const int kN = 200000;
  for (int i = 0; i < kN; ++i) {
    const absl::Duration d = ExponentialDuration(r, absl::Microseconds(100), absl::Milliseconds(1));
    ASSERT_GE(d, absl::ZeroDuration());
    ASSERT_LE(d, absl::Milliseconds(1));
    sum += absl::ToDoubleMicroseconds(d);
  }
  // Mean of an exponential capped at 10 means: 100 * (1 - e^-10).
  EXPECT_NEAR(sum / kN, 100 * (1 - std::exp(-10.0)), 1.0);
  EXPECT_EQ(ExponentialDuration(r, absl::ZeroDuration()), absl::ZeroDuration());
}

TEST(PrngTest, UniformAndLogUniformStayInRange) {
  SimRandom r(5);
  int low_decade = 0;
  for (int i = 0; i < 10000; ++i) {
    const absl::Duration d = UniformDuration(r, absl::Milliseconds(2), absl::Milliseconds(3));
    ASSERT_GE(d, absl::Milliseconds(2));
    ASSERT_LE(d, absl::Milliseconds(3));
    const double v = LogUniform(r, 0.01, 1.0);
    ASSERT_GE(v, 0.01 * (1 - 1e-12));
    ASSERT_LE(v, 1.0 * (1 + 1e-12));
    low_decade += v < 0.1;
  }
  EXPECT_NEAR(low_decade, 5000, 300);  // as likely in [0.01, 0.1) as in [0.1, 1]
  EXPECT_EQ(UniformDuration(r, absl::Seconds(1), absl::Seconds(1)), absl::Seconds(1));
}

}  // namespace
}  // namespace twinkv::sim
