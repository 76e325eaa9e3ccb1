#include "core/db.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace twinkv {

absl::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kHash:
      return "hash";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
  }
  return "none";
}

Value::Value(absl::string_view s) {
  rep_[kTagByte] = 0;
  AssignString(s);
}

Value::Value(std::unique_ptr<ValueObject> object) {
  rep_[kTagByte] = 0;
  AssignObject(std::move(object));
}

void Value::Release() {
  switch (tag()) {
    case kHeapTag:
      delete[] heap_data();
      break;
    case kObjectTag:
      delete object();
      break;
    default:
      break;
  }
}

void Value::SetHeap(char* data, size_t size, size_t cap) {
  assert(cap < (uint64_t{1} << 56));
  std::memcpy(rep_, &data, sizeof(data));
  SetHeapSize(size);
  for (int i = 0; i < 7; ++i) {
    rep_[16 + i] = static_cast<char>((cap >> (8 * i)) & 0xff);
  }
  rep_[kTagByte] = static_cast<char>(kHeapTag);
}

char* Value::Reserve(size_t n, size_t cap) {
  assert(is_string() && cap >= n);
  if (tag() == kHeapTag) {
    if (cap <= heap_cap()) {
      SetHeapSize(n);
      return heap_data();
    }
  } else if (cap <= kInlineCapacity) {
    rep_[kTagByte] = static_cast<char>(n);
    return rep_;
  }
  char* data = new char[cap];
  const size_t keep = std::min(n, str_size());
  std::memcpy(data, str().data(), keep);
  Release();
  SetHeap(data, n, cap);
  return data;
}

// Redis's sdsMakeRoomFor: double while small, then grow by 1 MB at a time.
static size_t GrowthCapacity(size_t n) {
  constexpr size_t kMaxPrealloc = 1024 * 1024;
  return n < kMaxPrealloc ? 2 * n : n + kMaxPrealloc;
}

void Value::AssignString(absl::string_view s) {
  if (tag() == kObjectTag) {
    Release();
    rep_[kTagByte] = 0;
  }
  if (tag() == kHeapTag) {
    const size_t cap = heap_cap();
    // Reuse the buffer (INCR and SET of similar sizes allocate nothing), but
    // do not let a once-large value pin its memory under a small one.
    const bool reuse = s.size() <= cap && !(cap > 64 && cap / 2 > s.size());
    if (reuse) {
      std::memmove(heap_data(), s.data(), s.size());
      SetHeapSize(s.size());
      return;
    }
    // `s` may view this buffer: build the new string aside first.
    Value fresh;
    fresh.AssignString(s);
    *this = std::move(fresh);
    return;
  }
  // Now an inline string; `s` may point into it, hence memmove.
  if (s.size() <= kInlineCapacity) {
    std::memmove(rep_, s.data(), s.size());
    rep_[kTagByte] = static_cast<char>(s.size());
    return;
  }
  char* data = new char[s.size()];
  std::memcpy(data, s.data(), s.size());
  SetHeap(data, s.size(), s.size());
}

void Value::AppendString(absl::string_view s) {
  assert(is_string());
  if (s.empty()) return;
  const size_t old = str_size();
  const size_t n = old + s.size();
  size_t cap = tag() == kHeapTag ? heap_cap() : kInlineCapacity;
  if (n > cap) cap = GrowthCapacity(n);
  // `s` may be a view of this very string: copy it before any reallocation
  // frees it.
  if (s.data() >= str().data() && s.data() < str().data() + old) {
    std::string copy(s.data(), s.size());
    std::memcpy(Reserve(n, cap) + old, copy.data(), copy.size());
    return;
  }
  std::memcpy(Reserve(n, cap) + old, s.data(), s.size());
}

char* Value::ResizeString(size_t n) {
  assert(is_string());
  const size_t old = str_size();
  size_t cap = tag() == kHeapTag ? heap_cap() : kInlineCapacity;
  if (n > cap) cap = GrowthCapacity(n);
  char* data = Reserve(n, cap);
  if (n > old) std::memset(data + old, 0, n - old);
  return data;
}

void Value::AssignObject(std::unique_ptr<ValueObject> object) {
  assert(object != nullptr && object->type() != ValueType::kString);
  Release();
  ValueObject* p = object.release();
  std::memcpy(rep_, &p, sizeof(p));
  rep_[kTagByte] = static_cast<char>(kObjectTag);
}

Value Value::Clone(bool* ok) const {
  *ok = true;
  if (is_string()) return Value(str());
  std::unique_ptr<ValueObject> copy = object()->Clone();
  if (copy == nullptr) {
    *ok = false;
    return Value();
  }
  return Value(std::move(copy));
}

bool ParseCursor(absl::string_view s, uint64_t* cursor) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  if (i == s.size()) {
    // strtoull parses nothing: fine for "", not for a lone sign.
    *cursor = 0;
    return s.empty();
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;  // ERANGE
    v = v * 10 + d;
  }
  *cursor = negative ? ~v + 1 : v;
  return true;
}

void Db::Clear() {
  map_.Clear();
  value_bytes_ = 0;
  pending_.clear();
  expires_ = 0;
  wheel_.reset();
  compact_at_ = 0;
}

// Below this many records the wheel is never swept.
constexpr size_t kMinCompactRecords = 1024;

void Db::Track(absl::string_view key, int64_t expire_ms) {
  if (wheel_ == nullptr) wheel_ = std::make_unique<TimeWheel<std::string>>();
  wheel_->Add(expire_ms, std::string(key.data(), key.size()));
  if (expire_ms < shared_->earliest_added) shared_->earliest_added = expire_ms;
  // Every TTL change adds a record and leaves the old one stale; sweeping
  // when the wheel doubles bounds its size by ~2x the live records plus a
  // constant, and each sweep is paid for by the adds since the last one.
  if (wheel_->size() > std::max(compact_at_, kMinCompactRecords)) {
    CompactWheel();
  }
}

void Db::CompactWheel() {
  wheel_->RemoveIf([this](int64_t when_ms, const std::string& key) {
    const Entry* e = map_.Find(key);
    return e == nullptr || e->expire_ms != when_ms;
  });
  compact_at_ = 2 * wheel_->size();
}

size_t Db::ExpireDue(int64_t now_ms, size_t max_records, size_t* deleted) {
  if (wheel_ == nullptr) return 0;
  std::vector<TimeWheel<std::string>::Item> due;
  const size_t popped = wheel_->PopDue(now_ms, max_records, &due);
  for (const auto& record : due) {
    // The record may be stale: check the key as it is now.
    Entry* e = map_.Find(record.value);
    if (e != nullptr && Expired(*e, now_ms)) {
      NoteExpired(record.value);
      EraseEntry(record.value, *e);
      ++*deleted;
    }
  }
  return popped;
}

void Db::NotePending(Entry& e) {
  pending_.try_emplace(&e, shared_->sizer(e.value));
}

void Db::Unaccount(const Entry& e) {
  if (shared_->sizer == nullptr) return;
  auto it = pending_.find(&e);
  if (it != pending_.end()) {
    value_bytes_ -= it->second;
    pending_.erase(it);
  } else {
    value_bytes_ -= shared_->sizer(e.value);
  }
}

void Db::Settle() {
  if (shared_->sizer == nullptr) return;
  for (const auto& [e, noted] : pending_) {
    value_bytes_ += shared_->sizer(e->value);
    value_bytes_ -= noted;
  }
  pending_.clear();
}

size_t Db::RecomputeUsedBytes() {
  size_t total = map_.AllocatedBytes();
  if (shared_->sizer == nullptr) return total;
  map_.ForEach([&](absl::string_view, Entry& e) {
    total += shared_->sizer(e.value);
  });
  return total;
}

void Db::SampleEntries(Random& random, size_t count, bool volatile_only,
                       absl::FunctionRef<void(const Sample&)> fn) {
  if (map_.empty() || count == 0) return;
  if (volatile_only && expires_ == 0) return;
  if (count >= map_.size()) {
    map_.ForEach([&](absl::string_view key, Entry& e) {
      if (volatile_only && e.expire_ms == kNoExpire) return;
      fn(Sample{key, e.lru, e.expire_ms});
    });
    return;
  }
  size_t found = 0;
  const size_t draws = volatile_only ? 3 * count : count;
  for (size_t i = 0; i < draws && found < count; ++i) {
    auto [key, e] = map_.RandomEntry(random);
    if (volatile_only && e->expire_ms == kNoExpire) continue;
    ++found;
    fn(Sample{key, e->lru, e->expire_ms});
  }
  if (found > 0 || !volatile_only) return;
  // Keys with a TTL are rare here: walk the table until some turn up
  // (there is at least one), so that volatile policies never give up while
  // a candidate exists. O(keys) at worst.
  uint64_t cursor = 0;
  do {
    cursor = map_.Scan(cursor, [&](absl::string_view key, Entry& e) {
      if (e.expire_ms == kNoExpire) return;
      ++found;
      fn(Sample{key, e.lru, e.expire_ms});
    });
  } while (cursor != 0 && found < count);
}

bool Db::Evict(absl::string_view key) {
  Entry* e = map_.Find(key);
  if (e == nullptr) return false;
  // `key` may view the node's own bytes: the listener reads it before the
  // entry goes.
  if (shared_->on_evicted) shared_->on_evicted(index_, key);
  EraseEntry(key, *e);
  return true;
}

void Db::EraseEntry(absl::string_view key, const Entry& e) {
  Unaccount(e);
  if (e.expire_ms != kNoExpire) --expires_;
  map_.Erase(key);
}

Value* Db::Find(absl::string_view key, int64_t now_ms) {
  Entry* e = map_.Find(key);
  if (e == nullptr) return nullptr;
  if (Expired(*e, now_ms)) {
    NoteExpired(key);
    EraseEntry(key, *e);
    return nullptr;
  }
  Touch(*e);
  return &e->value;
}

Value* Db::FindOrCreate(absl::string_view key, int64_t now_ms, bool* created) {
  bool inserted;
  Entry& e = *map_.FindOrInsert(key, &inserted);
  Touch(e);
  if (!inserted && Expired(e, now_ms)) {
    // The old key is gone; this is a new one.
    NoteExpired(key);
    e.value = Value();
    SetEntryExpire(key, e, kNoExpire);
    inserted = true;
  }
  *created = inserted;
  return &e.value;
}

void Db::SetString(absl::string_view key, absl::string_view value,
                   int64_t now_ms, int64_t expire_ms, bool keep_ttl) {
  bool inserted;
  Entry& e = *map_.FindOrInsert(key, &inserted);
  Touch(e);
  if (!inserted && Expired(e, now_ms)) {
    NoteExpired(key);
    keep_ttl = false;
  }
  e.value.AssignString(value);
  if (!keep_ttl) SetEntryExpire(key, e, expire_ms);  // a new entry has none
}

Value* Db::Set(absl::string_view key, Value value, int64_t now_ms,
               int64_t expire_ms, bool keep_ttl) {
  bool inserted;
  Entry& e = *map_.FindOrInsert(key, &inserted);
  Touch(e);
  if (!inserted && Expired(e, now_ms)) {
    NoteExpired(key);
    keep_ttl = false;
  }
  e.value = std::move(value);
  if (!keep_ttl) SetEntryExpire(key, e, expire_ms);
  return &e.value;
}

bool Db::Erase(absl::string_view key, int64_t now_ms) {
  Entry* found = map_.Find(key);
  if (found == nullptr) return false;
  const bool live = !Expired(*found, now_ms);
  if (!live) NoteExpired(key);
  EraseEntry(key, *found);
  return live;
}

int64_t Db::GetExpire(absl::string_view key, int64_t now_ms) {
  Entry* e = map_.Find(key);
  if (e == nullptr) return kMissing;
  if (Expired(*e, now_ms)) {
    NoteExpired(key);
    EraseEntry(key, *e);
    return kMissing;
  }
  return e->expire_ms;
}

bool Db::SetExpire(absl::string_view key, int64_t expire_ms, int64_t now_ms) {
  Entry* e = map_.Find(key);
  if (e == nullptr) return false;
  if (Expired(*e, now_ms)) {
    NoteExpired(key);
    EraseEntry(key, *e);
    return false;
  }
  SetEntryExpire(key, *e, expire_ms);
  return true;
}

Db::RenameResult Db::Rename(absl::string_view from, absl::string_view to,
                            int64_t now_ms, bool nx) {
  Entry* src = map_.Find(from);
  if (src == nullptr) return RenameResult::kNoSuchKey;
  if (Expired(*src, now_ms)) {
    NoteExpired(from);
    EraseEntry(from, *src);
    return RenameResult::kNoSuchKey;
  }
  if (from == to) return nx ? RenameResult::kTargetExists : RenameResult::kOk;
  if (Entry* dst = map_.Find(to)) {
    if (Expired(*dst, now_ms) || !nx) {
      if (Expired(*dst, now_ms)) NoteExpired(to);
      EraseEntry(to, *dst);
    } else {
      return RenameResult::kTargetExists;
    }
  }
  // The value moves (24 bytes, no copy of what it owns); the key is new.
  // `from` or `to` may view a key inside the Dict, which Take frees: copy
  // `to` first.
  std::string to_key(to.data(), to.size());
  Entry e;
  Unaccount(*src);
  map_.Take(from, &e);
  bool inserted;
  const int64_t expire_ms = e.expire_ms;
  Entry& dst = *map_.FindOrInsert(to_key, &inserted);
  dst = std::move(e);
  dst.lru = shared_->lru_clock;
  if (shared_->sizer != nullptr) value_bytes_ += shared_->sizer(dst.value);
  // The record under `from` goes stale; the key lives on under `to`.
  if (expire_ms != kNoExpire) Track(to_key, expire_ms);
  return RenameResult::kOk;
}

void Db::ForEachKey(int64_t now_ms,
                    absl::FunctionRef<void(absl::string_view key)> fn) {
  std::vector<std::string> expired;
  map_.ForEach([&](absl::string_view key, Entry& e) {
    if (Expired(e, now_ms)) {
      expired.emplace_back(key);
    } else {
      fn(key);
    }
  });
  for (const std::string& key : expired) Erase(key, now_ms);
}

uint64_t Db::Scan(
    uint64_t cursor, int64_t now_ms,
    absl::FunctionRef<void(absl::string_view key, const Value& value)> fn) {
  std::vector<std::string> expired;
  cursor = map_.Scan(cursor, [&](absl::string_view key, Entry& e) {
    if (Expired(e, now_ms)) {
      expired.emplace_back(key);
    } else {
      fn(key, e.value);
    }
  });
  for (const std::string& key : expired) Erase(key, now_ms);
  return cursor;
}

std::optional<absl::string_view> Db::RandomKey(Random& random,
                                               int64_t now_ms) {
  while (!map_.empty()) {
    auto [key, e] = map_.RandomEntry(random);
    if (!Expired(*e, now_ms)) return key;
    // `key` views the node's own bytes; Erase reads them before it frees.
    NoteExpired(key);
    EraseEntry(key, *e);
  }
  return std::nullopt;
}

bool Db::Take(absl::string_view key, int64_t now_ms, Value* value,
              int64_t* expire_ms) {
  Entry* found = map_.Find(key);
  if (found == nullptr) return false;
  if (Expired(*found, now_ms)) {
    NoteExpired(key);
    EraseEntry(key, *found);
    return false;
  }
  Entry e;
  Unaccount(*found);
  map_.Take(key, &e);
  if (e.expire_ms != kNoExpire) --expires_;
  *value = std::move(e.value);
  *expire_ms = e.expire_ms;
  return true;
}

Keyspace::Keyspace(int databases) {
  assert(databases >= 1);
  dbs_.reserve(databases);
  for (int i = 0; i < databases; ++i) {
    dbs_.push_back(std::make_unique<Db>(&shared_, i));
  }
}

Keyspace::~Keyspace() = default;

void Keyspace::Clear() {
  for (auto& db : dbs_) db->Clear();
}

void Keyspace::SetSizer(size_t (*sizer)(const Value&)) {
  shared_.sizer = sizer;
  for (auto& db : dbs_) {
    db->pending_.clear();
    db->value_bytes_ = 0;
    if (sizer != nullptr) {
      db->value_bytes_ = db->RecomputeUsedBytes() - db->map_.AllocatedBytes();
    }
  }
}

}  // namespace twinkv
