#include "core/numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

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

}  // namespace twinkv
