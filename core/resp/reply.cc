#include "core/resp/reply.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/numbers.h"
#include "core/resp/reply_writer.h"
#include "core/resp/request_parser.h"

namespace twinkv {
namespace {

// Lines that carry a length, a number or a boolean are short; only simple
// strings, errors and big numbers may be long.
constexpr size_t kMaxShortLine = 64 * 1024;

// Aggregates reserve at most this many elements before they arrive.
constexpr int64_t kMaxReserve = 64;

// DebugString() shortens strings beyond this many bytes.
constexpr size_t kDebugStringMax = 200;

bool HasCrLf(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

bool ValidBigNumber(absl::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ParseResp3Double(absl::string_view s, double* out) {
  // The RESP3 grammar allows a '+' sign, which from_chars does not.
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  // Out of range ("1e999") is still a well-formed double; RESP3 peers send
  // "inf" for infinities, but be lenient and take the saturated value.
  if (ec == std::errc::result_out_of_range) {
    *out = std::strtod(std::string(s).c_str(), nullptr);
    return ptr == end;
  }
  return ec == std::errc() && ptr == end;
}

void AppendLength(char type, size_t n, std::string* out) {
  out->push_back(type);
  absl::StrAppend(out, n, "\r\n");
}

void Encode(const Reply& r, ReplyWriter* w, std::string* out) {
  switch (r.type) {
    case Reply::Type::kStatus:
      if (HasCrLf(r.str)) {
        std::string s = r.str;
        std::replace(s.begin(), s.end(), '\r', ' ');
        std::replace(s.begin(), s.end(), '\n', ' ');
        w->Status(s);
      } else {
        w->Status(r.str);
      }
      return;
    case Reply::Type::kError:
      if (HasCrLf(r.str) && w->protocol() == 3) {
        AppendLength('!', r.str.size(), out);
        out->append(r.str);
        out->append("\r\n");
      } else {
        w->Error(r.str);
      }
      return;
    case Reply::Type::kInteger:
      w->Integer(r.integer);
      return;
    case Reply::Type::kBulk:
      w->Bulk(r.str);
      return;
    case Reply::Type::kNull:
      if (r.null_array) {
        w->NullArray();
      } else {
        w->Null();
      }
      return;
    case Reply::Type::kDouble:
      if (r.str.empty() || HasCrLf(r.str)) {
        w->Double(r.number);
      } else {
        out->push_back(',');
        out->append(r.str);
        out->append("\r\n");
      }
      return;
    case Reply::Type::kBool:
      w->Bool(r.integer != 0);
      return;
    case Reply::Type::kBigNumber:
      out->push_back('(');
      out->append(r.str);
      out->append("\r\n");
      return;
    case Reply::Type::kVerbatim:
      AppendLength('=', r.str.size(), out);
      out->append(r.str);
      out->append("\r\n");
      return;
    case Reply::Type::kArray:
      w->ArrayHeader(r.elements.size());
      break;
    case Reply::Type::kMap:
      w->MapHeader(r.elements.size() / 2);
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        Encode(r.elements[i], w, out);
        Encode(r.elements[i + 1], w, out);
      }
      return;
    case Reply::Type::kSet:
      w->SetHeader(r.elements.size());
      break;
    case Reply::Type::kPush:
      w->PushHeader(r.elements.size());
      break;
  }
  for (const Reply& e : r.elements) Encode(e, w, out);
}

std::string Shorten(absl::string_view s) {
  if (s.size() <= kDebugStringMax) return absl::CHexEscape(s);
  return absl::StrCat(absl::CHexEscape(s.substr(0, kDebugStringMax)), "...(",
                      s.size(), " bytes)");
}

void AppendDebug(const Reply& r, std::string* out) {
  auto list = [&](const char* open, const char* close) {
    out->append(open);
    for (size_t i = 0; i < r.elements.size(); ++i) {
      if (i > 0) out->append(", ");
      AppendDebug(r.elements[i], out);
    }
    out->append(close);
  };
  switch (r.type) {
    case Reply::Type::kStatus:
      out->append(Shorten(r.str));
      return;
    case Reply::Type::kError:
      absl::StrAppend(out, "(error) ", Shorten(r.str));
      return;
    case Reply::Type::kInteger:
      absl::StrAppend(out, "(integer) ", r.integer);
      return;
    case Reply::Type::kBulk:
      absl::StrAppend(out, "\"", Shorten(r.str), "\"");
      return;
    case Reply::Type::kNull:
      out->append("(nil)");
      return;
    case Reply::Type::kDouble:
      absl::StrAppend(out, "(double) ", Shorten(r.str));
      return;
    case Reply::Type::kBool:
      out->append(r.integer ? "(true)" : "(false)");
      return;
    case Reply::Type::kBigNumber:
      absl::StrAppend(out, "(big number) ", Shorten(r.str));
      return;
    case Reply::Type::kVerbatim:
      absl::StrAppend(out, "(verbatim) \"", Shorten(r.str), "\"");
      return;
    case Reply::Type::kArray:
      list("[", "]");
      return;
    case Reply::Type::kSet:
      list("(set) [", "]");
      return;
    case Reply::Type::kPush:
      list("(push) [", "]");
      return;
    case Reply::Type::kMap:
      out->append("{");
      for (size_t i = 0; i < r.elements.size(); ++i) {
        if (i > 0) out->append(i % 2 ? ": " : ", ");
        AppendDebug(r.elements[i], out);
      }
      out->append("}");
      return;
  }
}

Reply WithElements(Reply::Type type, std::vector<Reply> elements) {
  Reply r;
  r.type = type;
  r.elements = std::move(elements);
  return r;
}

Reply WithString(Reply::Type type, absl::string_view s) {
  Reply r;
  r.type = type;
  r.str.assign(s.data(), s.size());
  return r;
}

}  // namespace

Reply Reply::Status(absl::string_view s) {
  return WithString(Type::kStatus, s);
}
Reply Reply::Error(absl::string_view s) { return WithString(Type::kError, s); }
Reply Reply::Bulk(absl::string_view s) { return WithString(Type::kBulk, s); }
Reply Reply::BigNumber(absl::string_view digits) {
  return WithString(Type::kBigNumber, digits);
}
Reply Reply::Verbatim(absl::string_view s) {
  return WithString(Type::kVerbatim, s);
}

Reply Reply::Integer(int64_t v) {
  Reply r;
  r.type = Type::kInteger;
  r.integer = v;
  return r;
}

Reply Reply::Null() { return Reply(); }

Reply Reply::Double(double v) {
  Reply r;
  r.type = Type::kDouble;
  r.number = v;
  char buf[64];
  r.str.assign(buf, FormatDouble(v, buf));
  return r;
}

Reply Reply::Bool(bool v) {
  Reply r;
  r.type = Type::kBool;
  r.integer = v ? 1 : 0;
  return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
  return WithElements(Type::kArray, std::move(elements));
}
Reply Reply::Map(std::vector<Reply> elements) {
  return WithElements(Type::kMap, std::move(elements));
}
Reply Reply::Set(std::vector<Reply> elements) {
  return WithElements(Type::kSet, std::move(elements));
}
Reply Reply::Push(std::vector<Reply> elements) {
  return WithElements(Type::kPush, std::move(elements));
}

bool operator==(const Reply& a, const Reply& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Reply::Type::kStatus:
    case Reply::Type::kError:
    case Reply::Type::kBulk:
    case Reply::Type::kBigNumber:
    case Reply::Type::kVerbatim:
      return a.str == b.str;
    case Reply::Type::kInteger:
    case Reply::Type::kBool:
      return a.integer == b.integer;
    case Reply::Type::kNull:
      return true;
    case Reply::Type::kDouble:
      return a.str == b.str && (a.number == b.number ||
                                (std::isnan(a.number) && std::isnan(b.number)));
    case Reply::Type::kArray:
    case Reply::Type::kMap:
    case Reply::Type::kSet:
    case Reply::Type::kPush:
      return a.elements == b.elements;
  }
  return false;
}

std::string Reply::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

void EncodeReply(const Reply& reply, std::string* out) {
  ReplyWriter writer(out, /*protocol=*/3);
  Encode(reply, &writer, out);
}

void WriteReply(const Reply& reply, ReplyWriter& out) {
  Encode(reply, &out, out.buffer());
}

ReplyDecoder::Result ReplyDecoder::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  consumed_ = 0;
  Reset();
  return kError;
}

void ReplyDecoder::Reset() {
  stack_.clear();
  pos_ = 0;
  scan_ = 0;
  seen_ = 0;
}

ReplyDecoder::Result ReplyDecoder::Decode(absl::string_view input, Reply* out) {
  consumed_ = 0;
  if (failed_) return kError;
  if (input.size() < seen_) Reset();  // misuse; see the header
  seen_ = input.size();
  for (;;) {
    if (pos_ >= input.size()) return kNeedMore;
    const char type = input[pos_];
    if (strchr("+-:_,#($!=*%~>|", type) == nullptr || type == '\0') {
      return Fail(absl::StrCat("Protocol error: unknown reply type '",
                               absl::CHexEscape(absl::string_view(&type, 1)),
                               "'"));
    }
    const bool long_line = type == '+' || type == '-' || type == '(';
    const size_t max_line =
        long_line ? static_cast<size_t>(kMaxBulkLen) : kMaxShortLine;

    // Find the CR ending this element's first line, resuming where the last
    // call stopped; a lone LF inside the line is malformed.
    const size_t start = pos_ + 1;
    const size_t avail = input.size() - start;
    const size_t limit = std::min(avail, max_line + 1);
    const char* base = input.data() + start;
    const char* cr = nullptr;
    if (scan_ < limit) {
      cr = static_cast<const char*>(memchr(base + scan_, '\r', limit - scan_));
      const size_t end = cr ? static_cast<size_t>(cr - base) : limit;
      if (memchr(base + scan_, '\n', end - scan_) != nullptr) {
        return Fail("Protocol error: LF inside a line");
      }
      scan_ = end;
    }
    if (cr == nullptr) {
      if (avail > max_line) return Fail("Protocol error: line too long");
      return kNeedMore;
    }
    if (scan_ + 1 >= avail) return kNeedMore;
    if (base[scan_ + 1] != '\n') return Fail("Protocol error: CR without LF");
    const absl::string_view line(base, scan_);
    size_t next = start + scan_ + 2;

    Reply value;
    bool complete = true;  // false: an aggregate was opened
    bool skip = false;     // true: an empty attribute, nothing to attach
    switch (type) {
      case '+':
        value = Reply::Status(line);
        break;
      case '-':
        value = Reply::Error(line);
        break;
      case ':':
        value.type = Reply::Type::kInteger;
        if (!ParseInt64(line, &value.integer)) {
          return Fail("Protocol error: invalid integer");
        }
        break;
      case '_':
        if (!line.empty()) return Fail("Protocol error: invalid null");
        break;
      case ',':
        value.type = Reply::Type::kDouble;
        if (!ParseResp3Double(line, &value.number)) {
          return Fail("Protocol error: invalid double");
        }
        value.str.assign(line.data(), line.size());
        break;
      case '#':
        if (line != "t" && line != "f") {
          return Fail("Protocol error: invalid boolean");
        }
        value = Reply::Bool(line == "t");
        break;
      case '(':
        if (!ValidBigNumber(line)) {
          return Fail("Protocol error: invalid big number");
        }
        value = Reply::BigNumber(line);
        break;
      case '$':
      case '!':
      case '=': {
        int64_t len = 0;
        if (!ParseInt64(line, &len) || len < -1 ||
            (len == -1 && type != '$') || len > kMaxBulkLen) {
          return Fail("Protocol error: invalid bulk length");
        }
        if (len == -1) break;  // the RESP2 null bulk string
        const uint64_t need = static_cast<uint64_t>(len) + 2;
        // Wait without consuming; the header is found again in O(1) since
        // scan_ points at its CR.
        if (input.size() - next < need) return kNeedMore;
        const absl::string_view body = input.substr(next, len);
        if (input[next + len] != '\r' || input[next + len + 1] != '\n') {
          return Fail("Protocol error: bulk string not followed by CRLF");
        }
        if (type == '=' && (body.size() < 4 || body[3] != ':')) {
          return Fail("Protocol error: invalid verbatim string");
        }
        value = WithString(type == '$'   ? Reply::Type::kBulk
                           : type == '!' ? Reply::Type::kError
                                         : Reply::Type::kVerbatim,
                           body);
        next += need;
        break;
      }
      case '*':
      case '%':
      case '~':
      case '>':
      case '|': {
        int64_t len = 0;
        if (!ParseInt64(line, &len) || len < -1 ||
            (len == -1 && type != '*') || len > kMaxAggregateLen) {
          return Fail("Protocol error: invalid aggregate length");
        }
        if (len == -1) {  // the RESP2 null array
          value.null_array = true;
          break;
        }
        if (stack_.size() >= static_cast<size_t>(kMaxDepth)) {
          return Fail("Protocol error: nesting too deep");
        }
        const int64_t count = (type == '%' || type == '|') ? 2 * len : len;
        value.type = type == '*'   ? Reply::Type::kArray
                     : type == '~' ? Reply::Type::kSet
                     : type == '>' ? Reply::Type::kPush
                                   : Reply::Type::kMap;
        if (count == 0) {
          skip = type == '|';
          break;
        }
        Frame frame;
        frame.reply = std::move(value);
        if (type != '|') {
          frame.reply.elements.reserve(
              static_cast<size_t>(std::min(count, kMaxReserve)));
        }
        frame.remaining = count;
        frame.attribute = type == '|';
        stack_.push_back(std::move(frame));
        complete = false;
        break;
      }
      default:
        return Fail("Protocol error: unknown reply type");  // checked above
    }
    pos_ = next;
    scan_ = 0;
    if (!complete || skip) continue;

    // Attach the finished value to the open aggregates, closing those it
    // completes.
    for (;;) {
      if (stack_.empty()) {
        *out = std::move(value);
        consumed_ = pos_;
        Reset();
        return kReply;
      }
      Frame& top = stack_.back();
      if (!top.attribute) top.reply.elements.push_back(std::move(value));
      if (--top.remaining > 0) break;
      Frame done = std::move(top);
      stack_.pop_back();
      // A finished attribute annotates the element that follows; it is not
      // an element itself.
      if (done.attribute) break;
      value = std::move(done.reply);
    }
  }
}

}  // namespace twinkv
