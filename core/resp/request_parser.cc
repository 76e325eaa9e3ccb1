#include "core/resp/request_parser.h"

#include "core/numbers.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace twinkv {
namespace {

// Vectors that grew past this for one huge command are released when the
// next command starts, so a connection does not keep megabytes of spans.
constexpr size_t kKeepArgsCapacity = 1024;

// Keeps `max + 2` from overflowing when a caller configures a huge limit.
constexpr size_t kLineLimitCap = size_t{1} << 40;

// isspace() in the C locale, which is what sdssplitargs() skips between
// arguments and accepts after a closing quote.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace


size_t RequestParser::bulk_bytes_pending() const {
  if (failed_ || bulk_len_ < 0) return 0;
  uint64_t end = pos_ + static_cast<uint64_t>(bulk_len_) + 2;
  return end > seen_ ? static_cast<size_t>(end - seen_) : 0;
}

void RequestParser::Reset() {
  multibulk_len_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  scan_ = 0;
  seen_ = 0;
  arg_spans_.clear();
}

RequestParser::Result RequestParser::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  consumed_ = 0;
  args_.clear();
  Reset();
  return kError;
}

RequestParser::Result RequestParser::Parse(absl::string_view input) {
  consumed_ = 0;
  if (failed_) return kError;
  if (args_.capacity() > kKeepArgsCapacity) {
    std::vector<absl::string_view>().swap(args_);
  }
  if (inline_storage_.size() > kKeepArgsCapacity) {
    std::vector<std::string>().swap(inline_storage_);
  }
  args_.clear();
  size_t skipped = 0;  // bytes of empty commands skipped in this call
  for (;;) {
    absl::string_view rest = input.substr(skipped);
    if (rest.empty()) {
      consumed_ = skipped;
      return kNeedMore;
    }
    Result r = rest[0] == '*' ? ParseMultibulk(rest) : ParseInline(rest);
    if (r == kError) return r;
    if (r == kNeedMore) {
      if (skipped > 0) {
        // The progress just made is relative to the byte after the empties;
        // forget it so the next call is right whether or not the caller
        // drops the skipped bytes.
        Reset();
      }
      consumed_ = skipped;
      return kNeedMore;
    }
    if (!args_.empty()) {
      consumed_ += skipped;
      return kCommand;
    }
    skipped += consumed_;
    consumed_ = 0;
  }
}

RequestParser::Result RequestParser::ParseInline(absl::string_view input) {
  if (input.size() < seen_) Reset();  // misuse; see the header
  const size_t max = std::min(limits_.max_inline_len, kLineLimitCap);
  // The terminating LF may sit at offset max + 1 only if a CR precedes it.
  const size_t limit = std::min(input.size(), max + 2);
  const char* nl = nullptr;
  if (pos_ < limit) {
    nl = static_cast<const char*>(
        memchr(input.data() + pos_, '\n', limit - pos_));
  }
  if (nl == nullptr) {
    pos_ = limit;
    seen_ = input.size();
    if (input.size() > max + 1 ||
        (input.size() == max + 1 && input[max] != '\r')) {
      return Fail("Protocol error: too big inline request");
    }
    return kNeedMore;
  }
  const size_t eol = static_cast<size_t>(nl - input.data());
  size_t len = eol;
  if (len > 0 && input[len - 1] == '\r') --len;
  if (len > max) return Fail("Protocol error: too big inline request");
  if (!SplitInline(input.substr(0, len))) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  Reset();
  consumed_ = eol + 1;
  return kCommand;
}

// sdssplitargs() rules, byte for byte, except that NUL is an ordinary byte.
// Fills inline_storage_ (reusing its strings) and points args_ at it.
bool RequestParser::SplitInline(absl::string_view line) {
  const size_t n = line.size();
  size_t argc = 0;
  size_t i = 0;
  for (;;) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i == n) break;
    if (argc == inline_storage_.size()) inline_storage_.emplace_back();
    std::string& cur = inline_storage_[argc++];
    cur.clear();
    bool in_double = false;
    bool in_single = false;
    for (bool done = false; !done;) {
      if (in_double) {
        if (i == n) return false;  // unterminated quotes
        const char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' &&
            IsHexDigit(line[i + 2]) && IsHexDigit(line[i + 3])) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 +
                                          HexValue(line[i + 3])));
          i += 4;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[i + 1];
          switch (e) {
            case 'n':
              e = '\n';
              break;
            case 'r':
              e = '\r';
              break;
            case 't':
              e = '\t';
              break;
            case 'b':
              e = '\b';
              break;
            case 'a':
              e = '\a';
              break;
            default:
              break;
          }
          cur.push_back(e);
          i += 2;
        } else if (c == '"') {
          // A closing quote must be followed by a space or the line's end.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          ++i;
          done = true;
        } else {
          cur.push_back(c);
          ++i;
        }
      } else if (in_single) {
        if (i == n) return false;
        const char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          cur.push_back('\'');
          i += 2;
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          ++i;
          done = true;
        } else {
          cur.push_back(c);
          ++i;
        }
      } else {
        if (i == n) break;
        const char c = line[i];
        // Only these end a bare word; \v and \f do not (but are skipped
        // between words), as in sdssplitargs().
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
          ++i;
          done = true;
        } else if (c == '"') {
          in_double = true;
          ++i;
        } else if (c == '\'') {
          in_single = true;
          ++i;
        } else {
          cur.push_back(c);
          ++i;
        }
      }
    }
  }
  args_.clear();
  for (size_t k = 0; k < argc; ++k) args_.emplace_back(inline_storage_[k]);
  return true;
}

// Finds the CR that ends the "*N" / "$N" line starting at `start`, resuming
// the scan where the last call stopped. kCommand means found, with the byte
// after the CR present too.
RequestParser::Result RequestParser::FindLengthLine(absl::string_view input,
                                                    size_t start,
                                                    const char* too_big_message,
                                                    size_t* cr) {
  const size_t max = std::min(limits_.max_inline_len, kLineLimitCap);
  const size_t avail = input.size() - start;
  // The CR may sit at offset `max` at the latest (the line is max bytes).
  const size_t limit = std::min(avail, max + 1);
  const char* base = input.data() + start;
  const char* p = nullptr;
  if (scan_ < limit) {
    p = static_cast<const char*>(memchr(base + scan_, '\r', limit - scan_));
  }
  if (p == nullptr) {
    scan_ = limit;
    if (avail > max) return Fail(too_big_message);
    return kNeedMore;
  }
  scan_ = static_cast<size_t>(p - base);
  if (scan_ + 1 >= avail) return kNeedMore;
  *cr = start + scan_;
  return kCommand;
}

RequestParser::Result RequestParser::ParseMultibulk(absl::string_view input) {
  if (input.size() < seen_) Reset();  // misuse; see the header
  seen_ = input.size();
  if (multibulk_len_ == 0) {
    if (arg_spans_.capacity() > kKeepArgsCapacity) {
      std::vector<std::pair<size_t, size_t>>().swap(arg_spans_);
    }
    size_t cr = 0;
    Result r = FindLengthLine(
        input, 0, "Protocol error: too big mbulk count string", &cr);
    if (r != kCommand) return r;
    int64_t n = 0;
    if (input[cr + 1] != '\n' ||
        !ParseInt64(input.substr(1, cr - 1), &n) ||
        n > limits_.max_multibulk_len) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (n > 10 && limits_.unauthenticated) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    if (n <= 0) {
      // "*0" and "*-1" are empty commands, skipped like Redis does.
      Reset();
      consumed_ = cr + 2;
      return kCommand;
    }
    multibulk_len_ = n;
    pos_ = cr + 2;
    scan_ = 0;
    arg_spans_.clear();
  }
  while (static_cast<int64_t>(arg_spans_.size()) < multibulk_len_) {
    if (bulk_len_ < 0) {
      size_t cr = 0;
      Result r = FindLengthLine(
          input, pos_, "Protocol error: too big bulk count string", &cr);
      if (r != kCommand) return r;
      const char type = input[pos_];
      if (type != '$') {
        // Redis formats the byte with %c and then blanks CR/LF in errors.
        char shown = (type == '\r' || type == '\n') ? ' ' : type;
        return Fail(std::string("Protocol error: expected '$', got '") + shown +
                    "'");
      }
      int64_t len = 0;
      if (input[cr + 1] != '\n' ||
          !ParseInt64(input.substr(pos_ + 1, cr - pos_ - 1), &len) ||
          len < 0 || len > limits_.max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (len > 16384 && limits_.unauthenticated) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = cr + 2;
      scan_ = 0;
    }
    // Unsigned arithmetic: bulk_len_ + 2 cannot overflow uint64_t.
    const uint64_t need = static_cast<uint64_t>(bulk_len_) + 2;
    if (input.size() - pos_ < need) return kNeedMore;
    const size_t end = pos_ + static_cast<size_t>(bulk_len_);
    if (input[end] != '\r' || input[end + 1] != '\n') {
      return Fail("Protocol error: invalid bulk length");
    }
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = end + 2;
    bulk_len_ = -1;
  }
  args_.clear();
  for (const auto& [offset, length] : arg_spans_) {
    args_.push_back(input.substr(offset, length));
  }
  consumed_ = pos_;
  Reset();
  return kCommand;
}

namespace {
size_t DecimalDigits(size_t n) {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}
}  // namespace

absl::string_view CanonicalCommandBytes(
    absl::string_view consumed, absl::Span<const absl::string_view> args) {
  if (args.empty()) return {};
  size_t n = 3 + DecimalDigits(args.size());
  for (absl::string_view arg : args) {
    n += 3 + DecimalDigits(arg.size()) + arg.size() + 2;
  }
  if (n > consumed.size()) return {};
  const absl::string_view raw = consumed.substr(consumed.size() - n);
  if (raw[0] != '*') return {};
  size_t off = 3 + DecimalDigits(args.size());
  for (absl::string_view arg : args) {
    off += 3 + DecimalDigits(arg.size());
    if (arg.data() != raw.data() + off) return {};
    off += arg.size() + 2;
  }
  return raw;
}

}  // namespace twinkv
