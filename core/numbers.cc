#include "core/numbers.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace twinkv {

// Redis's string2ll: optional '-', then digits without leading zeros (a lone
// "0" is fine, "-0" is not), no '+', no spaces, fitting in int64.
bool ParseInt64(absl::string_view s, int64_t* out) {
  // LONG_STR_SIZE: 20 digits and a sign at most.
  if (s.empty() || s.size() >= 21) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = s[i++] - '0';
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = s[i] - '0';
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return false;
    }
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// Redis's string2ld: strtold over the whole string, rejecting leading
// space, trailing bytes, NaN, overflow and underflow to zero ("inf" is
// accepted; the sum then fails the NaN/Infinity check).
bool ParseLongDouble(absl::string_view s, long double* out) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return false;
  char buf[kMaxLongDoubleChars];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  // isspace() in the C locale, without the locale lookup.
  if (strchr(" \t\n\v\f\r", buf[0]) != nullptr) return false;
  errno = 0;
  char* end = nullptr;
  long double v = strtold(buf, &end);
  if (static_cast<size_t>(end - buf) != s.size()) return false;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0.0L)) {
    return false;
  }
  if (errno == EINVAL || std::isnan(v)) return false;
  *out = v;
  return true;
}

// Redis's ld2string in LD_STR_HUMAN mode (INCRBYFLOAT): %.17Lf with the
// trailing zeros (and a bare '.') removed, "-0" as "0". `buf` must hold
// kMaxLongDoubleChars bytes. Returns the length.
size_t FormatLongDouble(long double v, char* buf) {
  int n = snprintf(buf, kMaxLongDoubleChars, "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) >= kMaxLongDoubleChars) return 0;
  size_t len = static_cast<size_t>(n);
  if (memchr(buf, '.', len) != nullptr) {
    while (buf[len - 1] == '0') --len;
    if (buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    len = 1;
  }
  return len;
}

namespace {

// strtod over `s` (copied to be NUL-terminated). *full: it consumed all of
// `s`; *stopped_at_nul: it stopped at a NUL (the end or an embedded one, as
// Redis's C-string view of the argument would); *erange: errno was ERANGE.
double StrToD(absl::string_view s, bool* full, bool* stopped_at_nul,
              bool* erange) {
  char small[128];
  std::string big;
  char* buf = small;
  if (s.size() >= sizeof(small)) {
    big.assign(s.data(), s.size());
    buf = big.data();
  } else {
    std::memcpy(small, s.data(), s.size());
    small[s.size()] = '\0';
  }
  char* end;
  errno = 0;
  double v = std::strtod(buf, &end);
  *erange = errno == ERANGE;
  *full = end == buf + s.size();
  *stopped_at_nul = *end == '\0';
  return v;
}

}  // namespace

bool ParseDouble(absl::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  // Fast path (ZADD's scores): from_chars reads the plain decimal forms,
  // correctly rounded like glibc's strtod, without strtod's copy, locale
  // and multi-precision set-up. Anything it does not take whole ('+',
  // hex, out of range, trailing bytes) goes to strtod, which decides.
  {
    double v;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) {
      if (std::isnan(v)) return false;
      *out = v;
      return true;
    }
  }
  bool full, at_nul, erange;
  double v = StrToD(s, &full, &at_nul, &erange);
  if (!full || std::isnan(v) || (erange && (std::isinf(v) || v == 0))) {
    return false;
  }
  *out = v;
  return true;
}

bool ParseScoreBound(absl::string_view s, double* v, bool* exclusive) {
  *exclusive = !s.empty() && s[0] == '(';
  if (*exclusive) s.remove_prefix(1);
  bool full, at_nul, erange;
  *v = StrToD(s, &full, &at_nul, &erange);
  return at_nul && !std::isnan(*v);
}

}  // namespace twinkv
