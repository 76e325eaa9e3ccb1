#include "core/aof_format.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/hash_object.h"
#include "core/list_object.h"
#include "core/numbers.h"
#include "core/resp/reply_writer.h"
#include "core/set_object.h"
#include "core/zset_object.h"

namespace twinkv {

namespace {

inline size_t Digits(size_t n) {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// Writes "<prefix><n>\r\n" at p (2 + Digits(n) + 1 bytes); returns the end.
inline char* PutLength(char prefix, size_t n, char* p) {
  *p++ = prefix;
  char* const end = p + Digits(n);
  for (char* q = end; q != p;) {
    *--q = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  end[0] = '\r';
  end[1] = '\n';
  return end + 2;
}

}  // namespace

void AppendRespCommand(ArgList args, std::string* out) {
  // One resize, then plain stores: this runs for every logged command (a
  // StrAppend version was a third of the server's instructions under a
  // write load).
  size_t n = 3 + Digits(args.size());
  for (absl::string_view arg : args) {
    n += 3 + Digits(arg.size()) + arg.size() + 2;
  }
  const size_t old = out->size();
  // Grow geometrically: resize alone may allocate exactly, every time.
  if (old + n > out->capacity()) {
    out->reserve(std::max(old + n, 2 * out->capacity()));
  }
  out->resize(old + n);
  char* p = out->data() + old;
  p = PutLength('*', args.size(), p);
  for (absl::string_view arg : args) {
    p = PutLength('$', arg.size(), p);
    if (!arg.empty()) std::memcpy(p, arg.data(), arg.size());
    p += arg.size();
    *p++ = '\r';
    *p++ = '\n';
  }
}

// ---- Manifest. ----

std::string AofManifest::BaseName(absl::string_view filename, int64_t seq) {
  return absl::StrCat(filename, ".", seq, ".base.aof");
}
std::string AofManifest::IncrName(absl::string_view filename, int64_t seq) {
  return absl::StrCat(filename, ".", seq, ".incr.aof");
}
std::string AofManifest::ManifestName(absl::string_view filename) {
  return absl::StrCat(filename, ".manifest");
}

absl::StatusOr<AofManifest> AofManifest::Parse(absl::string_view text) {
  AofManifest m;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() % 2 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid AOF manifest file format at line ", line_no));
    }
    Entry e;
    std::string type;
    for (size_t i = 0; i < parts.size(); i += 2) {
      if (parts[i] == "file") {
        e.name = std::string(parts[i + 1]);
      } else if (parts[i] == "seq") {
        if (!absl::SimpleAtoi(parts[i + 1], &e.seq)) {
          return absl::InvalidArgumentError(
              absl::StrCat("Invalid AOF manifest seq at line ", line_no));
        }
      } else if (parts[i] == "type") {
        type = std::string(parts[i + 1]);
      }
    }
    if (e.name.empty() || e.name.find('/') != std::string::npos ||
        (type != "b" && type != "i" && type != "h")) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid AOF manifest entry at line ", line_no));
    }
    if (type == "b") {
      if (m.has_base) {
        return absl::InvalidArgumentError(
            "Found duplicate base file information in the AOF manifest");
      }
      m.has_base = true;
      m.base = std::move(e);
    } else if (type == "i") {
      if (!m.incrs.empty() && e.seq <= m.incrs.back().seq) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Found a non-monotonic sequence number at line ", line_no));
      }
      m.incrs.push_back(std::move(e));
    }
  }
  if (!m.has_base && m.incrs.empty()) {
    return absl::InvalidArgumentError("Found an empty AOF manifest");
  }
  return m;
}

std::string AofManifest::Format() const {
  std::string out;
  if (has_base) {
    absl::StrAppend(&out, "file ", base.name, " seq ", base.seq, " type b\n");
  }
  for (const Entry& e : incrs) {
    absl::StrAppend(&out, "file ", e.name, " seq ", e.seq, " type i\n");
  }
  return out;
}

// ---- Parser. ----

void AofParser::Feed(absl::string_view data) {
  data_offset_ += pos_;
  if (pos_ >= data_.size()) {
    carry_.assign(data.data(), data.size());
  } else {
    std::string next;
    next.reserve(data_.size() - pos_ + data.size());
    next.append(data_.data() + pos_, data_.size() - pos_);
    next.append(data.data(), data.size());
    carry_ = std::move(next);
  }
  data_ = carry_;
  pos_ = 0;
}

AofParser::Result AofParser::Fail(size_t at, std::string error) {
  error_offset_ = data_offset_ + at;
  error_ = std::move(error);
  return kCorrupt;
}

AofParser::Result AofParser::ParseLength(size_t* pos, char prefix,
                                         int64_t max, int64_t* out) {
  // "<prefix><1..19 digits>\r\n": anything longer is not a length.
  constexpr size_t kLongest = 1 + 19 + 2;
  size_t p = *pos;
  if (p >= data_.size()) return kNeedMore;
  if (data_[p] != prefix) {
    return Fail(p, absl::StrCat("expected '", std::string(1, prefix), "'"));
  }
  const size_t limit = std::min(data_.size(), p + kLongest);
  size_t cr = p + 1;
  while (cr < limit && data_[cr] >= '0' && data_[cr] <= '9') ++cr;
  if (cr == limit) {
    if (limit == data_.size() && limit < p + kLongest) return kNeedMore;
    return Fail(cr, "length too long");
  }
  if (cr == p + 1) return Fail(cr, "expected a length");
  if (data_[cr] != '\r') return Fail(cr, "bad length");
  if (cr + 1 >= data_.size()) return kNeedMore;
  if (data_[cr + 1] != '\n') return Fail(cr + 1, "expected '\\n'");
  int64_t n = 0;
  for (size_t i = p + 1; i < cr; ++i) {
    n = n * 10 + (data_[i] - '0');
    if (n > max) return Fail(p, "length out of range");
  }
  *out = n;
  *pos = cr + 2;
  return kCommand;
}

AofParser::Result AofParser::Next() {
  args_.clear();
  size_t p = pos_;
  int64_t argc = 0;
  Result r = ParseLength(&p, '*', kMaxArgs, &argc);
  if (r != kCommand) return r;
  if (argc == 0) return Fail(pos_, "empty command");
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    r = ParseLength(&p, '$', kMaxBulk, &len);
    if (r != kCommand) {
      args_.clear();
      return r;
    }
    const size_t need = static_cast<size_t>(len) + 2;
    if (data_.size() - p < need) {
      args_.clear();
      return kNeedMore;
    }
    if (data_[p + len] != '\r' || data_[p + len + 1] != '\n') {
      args_.clear();
      return Fail(p + len, "bulk string not followed by CRLF");
    }
    args_.push_back(data_.substr(p, len));
    p += need;
  }
  pos_ = p;
  end_offset_ = data_offset_ + pos_;
  return kCommand;
}

// ---- Rewrite. ----

namespace {

// Collects items and flushes them as "<cmd> key item..." commands of at
// most kRewriteItemsPerCommand items.
class Batcher {
 public:
  Batcher(absl::string_view cmd, absl::string_view key, size_t per_item,
          std::string* out)
      : cmd_(cmd), key_(key), per_item_(per_item), out_(out) {}
  ~Batcher() { Flush(); }

  void Add(absl::string_view a) { parts_.emplace_back(a); MaybeFlush(); }
  void Add(absl::string_view a, absl::string_view b) {
    parts_.emplace_back(a);
    parts_.emplace_back(b);
    MaybeFlush();
  }

 private:
  void MaybeFlush() {
    if (parts_.size() >= kRewriteItemsPerCommand * per_item_) Flush();
  }
  void Flush() {
    if (parts_.empty()) return;
    std::vector<absl::string_view> args;
    args.reserve(parts_.size() + 2);
    args.push_back(cmd_);
    args.push_back(key_);
    for (const std::string& s : parts_) args.push_back(s);
    AppendRespCommand(args, out_);
    parts_.clear();
  }

  absl::string_view cmd_;
  absl::string_view key_;
  size_t per_item_;
  std::string* out_;
  std::vector<std::string> parts_;
};

}  // namespace

void AppendKeyRewrite(absl::string_view key, const Value& value,
                      int64_t expire_ms, std::string* out) {
  switch (value.type()) {
    case ValueType::kString: {
      const absl::string_view args[] = {"SET", key, value.str()};
      AppendRespCommand(args, out);
      break;
    }
    case ValueType::kList: {
      const auto* list = value.object_as<ListObject>();
      Batcher b("RPUSH", key, 1, out);
      if (!list->empty()) {
        list->Walk(0, false, [&](absl::string_view e) {
          b.Add(e);
          return true;
        });
      }
      break;
    }
    case ValueType::kHash: {
      auto* hash = value.object_as<HashObject>();
      Batcher b("HSET", key, 2, out);
      hash->ForEach(
          [&](absl::string_view f, absl::string_view v) { b.Add(f, v); });
      break;
    }
    case ValueType::kSet: {
      auto* set = value.object_as<SetObject>();
      Batcher b("SADD", key, 1, out);
      set->ForEach([&](absl::string_view m) { b.Add(m); });
      break;
    }
    case ValueType::kZSet: {
      const auto* zset = value.object_as<ZSetObject>();
      Batcher b("ZADD", key, 2, out);
      char buf[64];
      for (const SkipList::Node* n = zset->list().First(); n != nullptr;
           n = n->next()) {
        // %.17g: parses back to the same double.
        b.Add(absl::string_view(buf, FormatDouble(n->score(), buf)),
              n->member());
      }
      break;
    }
  }
  if (expire_ms != Db::kNoExpire) {
    const std::string when = absl::StrCat(expire_ms);
    const absl::string_view args[] = {"PEXPIREAT", key, when};
    AppendRespCommand(args, out);
  }
}

}  // namespace twinkv
