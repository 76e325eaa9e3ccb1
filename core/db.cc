#include "core/db.h"

#include <cassert>
#include <utility>

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

void Value::AssignString(absl::string_view s) {
  object_.reset();
  // Reuse the buffer (INCR and SET of similar sizes allocate nothing), but
  // do not let a once-large value pin its memory under a small one.
  if (str_.capacity() > 64 && str_.capacity() / 2 > s.size()) {
    std::string(s.data(), s.size()).swap(str_);
  } else {
    str_.assign(s.data(), s.size());
  }
}

void Value::AppendString(absl::string_view s) {
  assert(is_string());
  str_.append(s.data(), s.size());
}

char* Value::ResizeString(size_t n) {
  assert(is_string());
  str_.resize(n);
  return str_.data();
}

void Value::AssignObject(std::unique_ptr<ValueObject> object) {
  assert(object != nullptr && object->type() != ValueType::kString);
  object_ = std::move(object);
  std::string().swap(str_);
}

void Db::Clear() {
  Map().swap(map_);
  expires_ = 0;
}

void Db::EraseEntry(Map::iterator it) {
  if (it->second.expire_ms != kNoExpire) --expires_;
  map_.erase(it);
}

Value* Db::Find(absl::string_view key, int64_t now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (Expired(it->second, now_ms)) {
    EraseEntry(it);
    return nullptr;
  }
  return &it->second.value;
}

Value* Db::FindOrCreate(absl::string_view key, int64_t now_ms, bool* created) {
  auto [it, inserted] = map_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && Expired(e, now_ms)) {
    // The old key is gone; this is a new one.
    e.value = Value();
    SetEntryExpire(e, kNoExpire);
    inserted = true;
  }
  *created = inserted;
  return &e.value;
}

void Db::SetString(absl::string_view key, absl::string_view value,
                   int64_t now_ms, int64_t expire_ms, bool keep_ttl) {
  auto [it, inserted] = map_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && keep_ttl && Expired(e, now_ms)) keep_ttl = false;
  e.value.AssignString(value);
  if (!keep_ttl) SetEntryExpire(e, expire_ms);  // a new entry has none
}

Value* Db::Set(absl::string_view key, Value value, int64_t now_ms,
               int64_t expire_ms, bool keep_ttl) {
  auto [it, inserted] = map_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && keep_ttl && Expired(e, now_ms)) keep_ttl = false;
  e.value = std::move(value);
  if (!keep_ttl) SetEntryExpire(e, expire_ms);
  return &e.value;
}

bool Db::Erase(absl::string_view key, int64_t now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  bool live = !Expired(it->second, now_ms);
  EraseEntry(it);
  return live;
}

int64_t Db::GetExpire(absl::string_view key, int64_t now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) return kMissing;
  if (Expired(it->second, now_ms)) {
    EraseEntry(it);
    return kMissing;
  }
  return it->second.expire_ms;
}

bool Db::SetExpire(absl::string_view key, int64_t expire_ms, int64_t now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  if (Expired(it->second, now_ms)) {
    EraseEntry(it);
    return false;
  }
  SetEntryExpire(it->second, expire_ms);
  return true;
}

Db::RenameResult Db::Rename(absl::string_view from, absl::string_view to,
                            int64_t now_ms, bool nx) {
  auto src = map_.find(from);
  if (src == map_.end()) return RenameResult::kNoSuchKey;
  if (Expired(src->second, now_ms)) {
    EraseEntry(src);
    return RenameResult::kNoSuchKey;
  }
  if (from == to) return nx ? RenameResult::kTargetExists : RenameResult::kOk;
  auto dst = map_.find(to);
  if (dst != map_.end()) {
    if (Expired(dst->second, now_ms)) {
      EraseEntry(dst);
    } else if (nx) {
      return RenameResult::kTargetExists;
    } else {
      EraseEntry(dst);
    }
  }
  // Move the node: the value is not copied, only the key is rewritten.
  // (Erasing never moves other elements, so `src` is still valid.)
  auto node = map_.extract(src);
  node.key().assign(to.data(), to.size());
  map_.insert(std::move(node));
  return RenameResult::kOk;
}

void Db::ForEachKey(int64_t now_ms,
                    absl::FunctionRef<void(absl::string_view key)> fn) {
  for (auto it = map_.begin(); it != map_.end();) {
    auto cur = it++;
    if (Expired(cur->second, now_ms)) {
      EraseEntry(cur);
    } else {
      fn(cur->first);
    }
  }
}

Keyspace::Keyspace(int databases) {
  assert(databases >= 1);
  dbs_.reserve(databases);
  for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<Db>());
}

Keyspace::~Keyspace() = default;

void Keyspace::Clear() {
  for (auto& db : dbs_) db->Clear();
}

}  // namespace twinkv
