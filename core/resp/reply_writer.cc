#include "core/resp/reply_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"

namespace twinkv {
namespace {

// Appends the decimal form of v without a temporary string.
void AppendInt(int64_t v, std::string* out) {
  char buf[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(v, buf);
  out->append(buf, end - buf);
}

}  // namespace

size_t FormatDouble(double v, char* buf) {
  if (std::isinf(v)) {
    memcpy(buf, v > 0 ? "inf" : "-inf", v > 0 ? 3 : 4);
    return v > 0 ? 3 : 4;
  }
  if (std::isnan(v)) {
    memcpy(buf, "nan", 3);
    return 3;
  }
  // Redis 7.0 replies with %.17g (7.2 moved to the shortest round-trip form);
  // we match the 7.0 server the benchmarks and conformance runs compare with.
  return static_cast<size_t>(snprintf(buf, 64, "%.17g", v));
}

void ReplyWriter::Line(char type, absl::string_view body) {
  out_->push_back(type);
  out_->append(body.data(), body.size());
  out_->append("\r\n", 2);
}

void ReplyWriter::Length(char type, int64_t n) {
  out_->push_back(type);
  AppendInt(n, out_);
  out_->append("\r\n", 2);
}

void ReplyWriter::Status(absl::string_view s) { Line('+', s); }

void ReplyWriter::Error(absl::string_view message) {
  size_t start = out_->size();
  Line('-', message);
  // Keep the framing intact whatever the message quotes.
  for (size_t i = start + 1; i < out_->size() - 2; ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
}

void ReplyWriter::Integer(int64_t v) { Length(':', v); }

void ReplyWriter::Bulk(absl::string_view v) {
  Length('$', static_cast<int64_t>(v.size()));
  out_->append(v.data(), v.size());
  out_->append("\r\n", 2);
}

void ReplyWriter::Null() {
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyWriter::NullArray() {
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyWriter::ArrayHeader(size_t n) {
  Length('*', static_cast<int64_t>(n));
}

void ReplyWriter::MapHeader(size_t n) {
  if (protocol_ >= 3) {
    Length('%', static_cast<int64_t>(n));
  } else {
    Length('*', static_cast<int64_t>(2 * n));
  }
}

void ReplyWriter::SetHeader(size_t n) {
  Length(protocol_ >= 3 ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::PushHeader(size_t n) {
  Length(protocol_ >= 3 ? '>' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::Double(double v) {
  char buf[64];
  size_t len = FormatDouble(v, buf);
  if (protocol_ >= 3) {
    Line(',', absl::string_view(buf, len));
  } else {
    Bulk(absl::string_view(buf, len));
  }
}

void ReplyWriter::Bool(bool v) {
  if (protocol_ >= 3) {
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    Integer(v ? 1 : 0);
  }
}

void AppendDouble(double v, std::string* out) {
  char buf[64];
  out->append(buf, FormatDouble(v, buf));
}

}  // namespace twinkv
