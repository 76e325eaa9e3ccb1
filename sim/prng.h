// Deterministic pseudo-random numbers for the simulator, written by hand so
// that a seed means the same run on every platform and library version.
//
// SplitMix64 expands seeds; Xoshiro256** (Blackman & Vigna) is the stream
// generator. StreamSeed() derives an independent seed per named subsystem
// from the run's seed, so adding a draw in one subsystem does not reshuffle
// the others. The streams in use: "network" (latencies, segment sizes),
// "faults" (the fault generator), "disk:<node>" (crash outcomes, sizes of
// failed writes), "buggify:<point>" (one per point), "node:<node>" (what a
// node's Runtime::random() returns), and whatever a scenario asks for with
// World::Stream(name) ("workload", "swarm", ...).
//
// Distributions (exponential, log-uniform) use only exact or IEEE-rounded
// arithmetic, never libm's approximations, so they too are the same on
// every platform. Fault model: none; this file only draws numbers.
//
// Threading contract: plain values, no shared state.

#ifndef TWINKV_SIM_PRNG_H_
#define TWINKV_SIM_PRNG_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "transport/runtime.h"

namespace twinkv::sim {

// The SplitMix64 finalizer: a bijective 64-bit mix.
constexpr uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  explicit constexpr SplitMix64(uint64_t seed) : state_(seed) {}
  constexpr uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }

 private:
  uint64_t state_;
};

class Xoshiro256 {
 public:
  // The four words of state come from SplitMix64(seed), as the authors
  // recommend; they are never all zero.
  explicit constexpr Xoshiro256(uint64_t seed) : s_{} {
    SplitMix64 sm(seed);
    for (uint64_t& word : s_) word = sm.Next();
  }

  constexpr uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }
  uint64_t s_[4];
};

// A seed for the subsystem called `stream`, a stable function of both
// arguments (FNV-1a of the name, mixed with the seed).
constexpr uint64_t StreamSeed(uint64_t seed, absl::string_view stream) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : stream) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix64(seed ^ Mix64(h));
}

// ln(x) for x > 0 from IEEE-754 +, -, * and the exact frexp only (no libm
// approximation), so that draws derived from it are identical on every
// platform and libm version. Accurate to a few ulps, which is all a
// distribution needs.
inline double DeterministicLog(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
  int e = 0;
  double m = std::frexp(x, &e);  // m in [1/2, 1): exact
  if (m < 0.7071067811865476) {
    m *= 2.0;
    --e;
  }
  // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716, s^2 < 0.0295: the
  // odd series to s^23 is exact to double precision (Horner form, with
  // the reciprocals as constants).
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 23;
  p = p * s2 + 1.0 / 21;
  p = p * s2 + 1.0 / 19;
  p = p * s2 + 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  p = p * s2 + 1.0;
  return 2.0 * s * p + e * 0.6931471805599453;
}

// A uniform double in (0, 1]: never 0, so its log is finite.
inline double UnitInterval(Random& random) {
  return static_cast<double>((random.Next64() >> 11) + 1) * 0x1.0p-53;
}

// -ln(u) for u uniform in (0, 1], i.e. an exponential draw of mean 1, from
// one Next64(). Hot (a draw per network segment), so: the exponent by
// counting bits, ln of the top 8 mantissa bits from a table built once with
// DeterministicLog, and a 4-term series for the rest (relative error below
// 1e-12, plenty for a distribution; every step is exact or IEEE-rounded, so
// the result is the same everywhere).
inline double ExponentialUnit(Random& random) {
  struct Tables {
    double ln[256];   // ln(1 + i/256)
    double inv[256];  // 1 / (256 + i)
    Tables() {
      for (int i = 0; i < 256; ++i) {
        ln[i] = DeterministicLog(1.0 + i / 256.0);
        inv[i] = 1.0 / (256 + i);
      }
    }
  };
  static const Tables t;
  // x in [1, 2^53], u = x * 2^-53.
  const uint64_t x = (random.Next64() >> 11) + 1;
  const int k = 63 - __builtin_clzll(x);  // x = 2^k * m, m in [1, 2)
  if (k < 8) return -DeterministicLog(static_cast<double>(x) * 0x1.0p-53);
  const int idx = static_cast<int>((x >> (k - 8)) & 0xff);
  const uint64_t base = static_cast<uint64_t>(256 + idx) << (k - 8);
  // m = (1 + idx/256)(1 + f), 0 <= f < 1/256.
  const double f = std::ldexp(static_cast<double>(x - base) * t.inv[idx], 8 - k);
  const double ln_1f = f * (1.0 + f * (-0.5 + f * (1.0 / 3 + f * -0.25)));
  const double ln_x = k * 0.6931471805599453 + t.ln[idx] + ln_1f;
  return 53 * 0.6931471805599453 - ln_x;
}

// An exponentially distributed duration with the given mean (0 if the mean
// is not positive), capped at `cap`.
inline absl::Duration ExponentialDuration(
    Random& random, absl::Duration mean,
    absl::Duration cap = absl::InfiniteDuration()) {
  if (mean <= absl::ZeroDuration()) return absl::ZeroDuration();
  const double ns = ExponentialUnit(random) * absl::ToDoubleNanoseconds(mean);
  if (ns >= 9.0e18) return cap;
  return std::min(absl::Nanoseconds(static_cast<int64_t>(ns)), cap);
}

// A duration uniform in [lo, hi] at nanosecond resolution; lo if hi <= lo.
inline absl::Duration UniformDuration(Random& random, absl::Duration lo,
                                      absl::Duration hi) {
  if (hi <= lo) return lo;
  const uint64_t span = static_cast<uint64_t>(absl::ToInt64Nanoseconds(hi - lo));
  return lo + absl::Nanoseconds(static_cast<int64_t>(random.Uniform(span + 1)));
}

// A value log-uniform in [lo, hi] (both > 0): as likely to fall in [1, 10]
// as in [10, 100]. Used to spread fault rates over orders of magnitude.
inline double LogUniform(Random& random, double lo, double hi) {
  if (hi <= lo) return lo;
  // exp(ln lo + u (ln hi - ln lo)) without libm's exp: repeated squaring of
  // the ratio would be overkill; lo * (hi/lo)^u via the series of exp.
  const double t = UnitInterval(random) * DeterministicLog(hi / lo);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 40; ++k) {
    term *= t / k;
    sum += term;
  }
  return lo * sum;
}

// The Random interface over one Xoshiro256 stream.
class SimRandom final : public Random {
 public:
  explicit SimRandom(uint64_t seed) : gen_(seed) {}
  uint64_t Next64() override { return gen_.Next(); }

 private:
  Xoshiro256 gen_;
};

// An order-sensitive 64-bit fold of a sequence of values.
class TraceHash {
 public:
  void Fold(uint64_t v) { h_ = Mix64(h_ ^ v) + 0x9e3779b97f4a7c15ULL; }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_PRNG_H_
