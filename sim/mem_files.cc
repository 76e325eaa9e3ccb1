#include "sim/mem_files.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sim/prng.h"

namespace twinkv::sim {

namespace {
constexpr uint64_t kSector = 512;
// A SyncAsync's latency: uniform in [kSyncLatencyMin, kSyncLatencyMax].
constexpr absl::Duration kSyncLatencyMin = absl::Microseconds(50);
constexpr absl::Duration kSyncLatencyMax = absl::Milliseconds(2);
}  // namespace

// A SyncAsync between its call and its completion.
struct PendingSync {
  uint64_t id = 0;
  // Null when the outcome was decided at the call (`early`).
  std::shared_ptr<MemFileSystem::Inode> inode;
  absl::Status early;
  std::string path;
  uint64_t seq = 0;  // see Inode::synced_seq
  // The snapshot size, lowered by every cut of the file since the call
  // (the inode holds a weak reference to apply them).
  std::shared_ptr<uint64_t> limit;
  bool ready = false;  // its latency has passed
  std::function<void(absl::Status)> done;
};

// State shared by the file system and its open files (which may outlive
// it): fault switches, byte accounting, the handle generation.
struct MemFileSystem::Shared {
  explicit Shared(uint64_t seed) : random(seed) {}
  SimRandom random;
  uint64_t generation = 0;  // handles of older generations are dead
  uint64_t used = 0;
  uint64_t capacity = kUnlimited;
  int full_episodes = 0;
  uint64_t capacity_before_full = kUnlimited;
  int fail_appends = 0;
  int fail_syncs = 0;
  int slow_ops = 0;
  absl::Duration slow_each = absl::ZeroDuration();
  std::function<void(absl::Duration)> stall;
  std::function<void(absl::Duration, std::function<void()>)> scheduler;
  CrashReport last_crash;
  // SyncAsyncs in call order; each completes once it and all before it
  // are ready.
  std::deque<PendingSync> syncs;
  uint64_t next_sync_id = 1;
  uint64_t sync_seq = 0;  // numbers Syncs and SyncAsyncs in call order
  bool alive = true;      // the MemFileSystem exists

  void MaybeSlow() {
    if (slow_ops == 0) return;
    --slow_ops;
    if (stall) stall(slow_each);
  }
  uint64_t space() const { return used >= capacity ? 0 : capacity - used; }

  // Completes the ready prefix of `syncs`, in order; returns how many.
  size_t DrainSyncs();
  // Drops every pending SyncAsync: its callback and its effect.
  void DropSyncs() {
    std::deque<PendingSync> dropped = std::move(syncs);
    syncs.clear();
    // `dropped` dies here, after `syncs` is consistent: a callback's
    // destructor may reach back in.
  }
};

struct MemFileSystem::Inode {
  explicit Inode(std::shared_ptr<Shared> s) : shared(std::move(s)) {}
  ~Inode() { shared->used -= data.size(); }

  std::shared_ptr<Shared> shared;
  bool is_dir = false;

  // Files. data[0, stable_size) is unchanged since the last Sync; the
  // durable content is data[0, synced_size) unless a truncation below it
  // since made a copy necessary.
  std::string data;
  uint64_t synced_size = 0;
  uint64_t stable_size = 0;
  std::optional<std::string> durable;
  // Shared::sync_seq of the Sync or SyncAsync call whose state is durable:
  // a SyncAsync completing after a later successful Sync changes nothing.
  uint64_t synced_seq = 0;
  // The snapshots of this file's pending SyncAsyncs (see PendingSync).
  std::vector<std::weak_ptr<uint64_t>> sync_limits;
  // Ranges whose writeback failed (fsync EIO): zeros after a power cut.
  std::vector<std::pair<uint64_t, uint64_t>> lost;

  // Directories: the entries, those as of the last SyncDir, and the
  // changes since, in order (nullptr: the name was removed).
  using Change = std::pair<std::string, std::shared_ptr<Inode>>;
  std::map<std::string, std::shared_ptr<Inode>> entries;
  std::map<std::string, std::shared_ptr<Inode>> synced_entries;
  std::vector<std::vector<Change>> pending;

  void Append(const char* bytes, size_t n) {
    data.append(bytes, n);
    shared->used += n;
  }
  void Resize(uint64_t size) {
    shared->used -= data.size();
    data.resize(size, '\0');
    shared->used += data.size();
  }
  // A cut below the stable prefix: keep a copy of the durable content.
  // A pending SyncAsync then covers at most the bytes below the cut.
  void CutTo(uint64_t size) {
    std::erase_if(sync_limits, [size](const std::weak_ptr<uint64_t>& w) {
      std::shared_ptr<uint64_t> limit = w.lock();
      if (limit == nullptr) return true;
      *limit = std::min(*limit, size);
      return false;
    });
    if (size < stable_size) {
      if (!durable) durable = data.substr(0, synced_size);
      stable_size = size;
    }
    // Pages whose writeback failed and that the cut removes are gone;
    // bytes written there later are new pages with a writeback of their
    // own.
    std::erase_if(lost, [size](std::pair<uint64_t, uint64_t>& range) {
      range.second = std::min(range.second, size);
      return range.first >= range.second;
    });
  }
  void Record(std::vector<Change> change) {
    for (const Change& c : change) {
      if (c.second) {
        entries[c.first] = c.second;
      } else {
        entries.erase(c.first);
      }
    }
    pending.push_back(std::move(change));
  }
};

namespace {

using Inode = MemFileSystem::Inode;
using Shared = MemFileSystem::Shared;

std::vector<std::string> Components(absl::string_view path) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.emplace_back(part);
  }
  return out;
}

class MemFile final : public File {
 public:
  MemFile(std::shared_ptr<Inode> inode, std::string path, bool writable)
      : inode_(std::move(inode)),
        shared_(inode_->shared),
        path_(std::move(path)),
        writable_(writable),
        generation_(shared_->generation) {}

  absl::Status Append(absl::string_view data) override {
    if (Stale() || !writable_) return ErrnoToStatus(EBADF, "write", path_);
    shared_->MaybeSlow();
    if (shared_->fail_appends > 0) {
      --shared_->fail_appends;
      // EIO after an unknown prefix.
      const size_t n = data.empty() ? 0 : shared_->random.Uniform(data.size());
      inode_->Append(data.data(), std::min<uint64_t>(n, shared_->space()));
      return ErrnoToStatus(EIO, "write", path_);
    }
    const uint64_t space = shared_->space();
    if (data.size() > space) {
      inode_->Append(data.data(), space);
      return ErrnoToStatus(ENOSPC, "write", path_);
    }
    inode_->Append(data.data(), data.size());
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadAt(uint64_t offset,
                                absl::Span<char> out) override {
    if (Stale()) return ErrnoToStatus(EBADF, "pread", path_);
    shared_->MaybeSlow();
    const std::string& data = inode_->data;
    if (offset >= data.size()) return size_t{0};
    const size_t n = std::min<uint64_t>(out.size(), data.size() - offset);
    std::memcpy(out.data(), data.data() + offset, n);
    return n;
  }

  absl::Status Sync() override {
    if (Stale()) return ErrnoToStatus(EBADF, "fsync", path_);
    shared_->MaybeSlow();
    Inode& f = *inode_;
    if (shared_->fail_syncs > 0) {
      --shared_->fail_syncs;
      // The failed writeback's pages are marked clean: never written.
      if (f.data.size() > f.stable_size) {
        f.lost.emplace_back(f.stable_size, f.data.size());
      }
      return ErrnoToStatus(EIO, "fsync", path_);
    }
    f.synced_size = f.stable_size = f.data.size();
    f.durable.reset();
    f.synced_seq = ++shared_->sync_seq;
    return absl::OkStatus();
  }

  void SyncAsync(std::function<void(absl::Status)> done) override {
    Shared& s = *shared_;
    if (!s.alive) return;  // the node is gone: nothing calls back
    PendingSync job;
    job.id = s.next_sync_id++;
    job.path = path_;
    job.done = std::move(done);
    absl::Duration latency = absl::ZeroDuration();
    if (Stale()) {
      job.early = ErrnoToStatus(EBADF, "fsync", path_);
    } else {
      job.inode = inode_;
      job.seq = ++s.sync_seq;
      job.limit = std::make_shared<uint64_t>(inode_->data.size());
      inode_->sync_limits.push_back(job.limit);
      latency = kSyncLatencyMin +
                absl::Nanoseconds(s.random.Uniform(
                    absl::ToInt64Nanoseconds(kSyncLatencyMax -
                                             kSyncLatencyMin) + 1));
      // Slow, but in the background: the node does not stall.
      if (s.slow_ops > 0) {
        --s.slow_ops;
        latency += s.slow_each;
      }
    }
    const uint64_t id = job.id;
    s.syncs.push_back(std::move(job));
    if (s.scheduler) {
      s.scheduler(latency, [weak = std::weak_ptr<Shared>(shared_), id] {
        std::shared_ptr<Shared> shared = weak.lock();
        if (shared == nullptr) return;
        for (PendingSync& p : shared->syncs) {
          if (p.id == id) {
            p.ready = true;
            shared->DrainSyncs();
            return;
          }
        }
        // Dropped by a crash, or completed early by CompleteSyncs.
      });
    }
  }

  absl::Status Truncate(uint64_t size) override {
    if (Stale()) return ErrnoToStatus(EBADF, "ftruncate", path_);
    if (!writable_) return ErrnoToStatus(EINVAL, "ftruncate", path_);
    shared_->MaybeSlow();
    Inode& f = *inode_;
    if (size > f.data.size() && size - f.data.size() > shared_->space()) {
      return ErrnoToStatus(ENOSPC, "ftruncate", path_);
    }
    f.CutTo(size);
    f.Resize(size);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    if (Stale()) return ErrnoToStatus(EBADF, "fstat", path_);
    return inode_->data.size();
  }

 private:
  bool Stale() const { return generation_ != shared_->generation; }

  const std::shared_ptr<Inode> inode_;
  const std::shared_ptr<Shared> shared_;
  const std::string path_;
  const bool writable_;
  const uint64_t generation_;
};

}  // namespace

namespace {

// The outcome of a SyncAsync whose turn came (see mem_files.h).
absl::Status FinishSync(Shared& s, PendingSync& job) {
  if (job.inode == nullptr) return job.early;
  Inode& f = *job.inode;
  const uint64_t end = std::min<uint64_t>(*job.limit, f.data.size());
  // Whether our snapshot is newer than what is durable already.
  const bool newer = job.seq > f.synced_seq;
  if (s.fail_syncs > 0) {
    --s.fail_syncs;
    if (newer && end > f.stable_size) f.lost.emplace_back(f.stable_size, end);
    return ErrnoToStatus(EIO, "fsync", job.path);
  }
  if (newer) {
    // data[0, end) is unchanged since the call (or since the lowest cut):
    // the file as it was then becomes what a power cut keeps.
    f.synced_size = f.stable_size = end;
    f.durable.reset();
    f.synced_seq = job.seq;
  }
  return absl::OkStatus();
}

}  // namespace

size_t MemFileSystem::Shared::DrainSyncs() {
  size_t n = 0;
  while (!syncs.empty() && syncs.front().ready) {
    PendingSync job = std::move(syncs.front());
    syncs.pop_front();
    absl::Status status = FinishSync(*this, job);
    job.limit.reset();  // no more cuts to follow
    std::function<void(absl::Status)> done = std::move(job.done);
    job = PendingSync();
    ++n;
    if (done) done(std::move(status));
  }
  return n;
}

MemFileSystem::MemFileSystem(uint64_t seed)
    : shared_(std::make_shared<Shared>(seed)),
      root_(std::make_shared<Inode>(shared_)) {
  root_->is_dir = true;
}

MemFileSystem::~MemFileSystem() {
  // Pending syncs hold inodes, which hold `shared_`: break the cycle.
  shared_->alive = false;
  shared_->DropSyncs();
}

int MemFileSystem::Find(absl::string_view path, std::shared_ptr<Inode>* out) {
  std::shared_ptr<Inode> node = root_;
  for (const std::string& part : Components(path)) {
    if (!node->is_dir) return ENOTDIR;
    auto it = node->entries.find(part);
    if (it == node->entries.end()) return ENOENT;
    node = it->second;
  }
  *out = std::move(node);
  return 0;
}

int MemFileSystem::FindParent(absl::string_view path,
                              std::shared_ptr<Inode>* dir, std::string* name) {
  std::vector<std::string> parts = Components(path);
  name->clear();
  if (parts.empty()) {
    *dir = nullptr;
    return 0;
  }
  std::shared_ptr<Inode> node = root_;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto it = node->entries.find(parts[i]);
    if (it == node->entries.end()) return ENOENT;
    node = it->second;
    if (!node->is_dir) return ENOTDIR;
  }
  *dir = std::move(node);
  *name = std::move(parts.back());
  return 0;
}

absl::StatusOr<std::unique_ptr<File>> MemFileSystem::Open(
    absl::string_view path, OpenMode mode) {
  std::shared_ptr<Inode> dir;
  std::string name;
  if (int err = FindParent(path, &dir, &name); err != 0) {
    return ErrnoToStatus(err, "open", path);
  }
  if (dir == nullptr) return ErrnoToStatus(EISDIR, "open", path);  // the root
  shared_->MaybeSlow();
  std::shared_ptr<Inode> file;
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) {
    if (mode == OpenMode::kRead) return ErrnoToStatus(ENOENT, "open", path);
    file = std::make_shared<Inode>(shared_);
    dir->Record({{name, file}});
  } else {
    file = it->second;
    if (file->is_dir) return ErrnoToStatus(EISDIR, "open", path);
    if (mode == OpenMode::kTruncate) {
      file->CutTo(0);
      file->Resize(0);
    }
  }
  return std::unique_ptr<File>(
      new MemFile(std::move(file), std::string(path), mode != OpenMode::kRead));
}

absl::Status MemFileSystem::Rename(absl::string_view from,
                                   absl::string_view to) {
  const std::string what = absl::StrCat(from, " -> ", to);
  std::shared_ptr<Inode> from_dir, to_dir;
  std::string from_name, to_name;
  if (int err = FindParent(from, &from_dir, &from_name); err != 0) {
    return ErrnoToStatus(err, "rename", what);
  }
  if (int err = FindParent(to, &to_dir, &to_name); err != 0) {
    return ErrnoToStatus(err, "rename", what);
  }
  if (from_dir == nullptr || to_dir == nullptr) {
    return ErrnoToStatus(EBUSY, "rename", what);  // the root
  }
  auto src_it = from_dir->entries.find(from_name);
  if (src_it == from_dir->entries.end()) {
    return ErrnoToStatus(ENOENT, "rename", what);
  }
  std::shared_ptr<Inode> src = src_it->second;
  if (from_dir == to_dir && from_name == to_name) return absl::OkStatus();
  if (src->is_dir) {
    // A directory cannot move below itself.
    std::vector<std::string> f = Components(from), t = Components(to);
    if (t.size() > f.size() && std::equal(f.begin(), f.end(), t.begin())) {
      return ErrnoToStatus(EINVAL, "rename", what);
    }
  }
  auto dst_it = to_dir->entries.find(to_name);
  if (dst_it != to_dir->entries.end()) {
    const Inode& dst = *dst_it->second;
    if (dst.is_dir && !src->is_dir) return ErrnoToStatus(EISDIR, "rename", what);
    if (!dst.is_dir && src->is_dir) return ErrnoToStatus(ENOTDIR, "rename", what);
    if (dst.is_dir && !dst.entries.empty()) {
      return ErrnoToStatus(ENOTEMPTY, "rename", what);
    }
  }
  shared_->MaybeSlow();
  if (from_dir == to_dir) {
    // One directory change: atomic across a crash.
    from_dir->Record({{from_name, nullptr}, {to_name, std::move(src)}});
  } else {
    from_dir->Record({{from_name, nullptr}});
    to_dir->Record({{to_name, std::move(src)}});
  }
  return absl::OkStatus();
}

absl::Status MemFileSystem::SyncDir(absl::string_view dir) {
  std::shared_ptr<Inode> node;
  if (int err = Find(dir, &node); err != 0) {
    return ErrnoToStatus(err, "open", dir);
  }
  if (!node->is_dir) return ErrnoToStatus(ENOTDIR, "open", dir);
  shared_->MaybeSlow();
  if (shared_->fail_syncs > 0) {
    --shared_->fail_syncs;
    return ErrnoToStatus(EIO, "fsync", dir);
  }
  node->synced_entries = node->entries;
  node->pending.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemFileSystem::List(
    absl::string_view dir) {
  std::shared_ptr<Inode> node;
  if (int err = Find(dir, &node); err != 0) {
    return ErrnoToStatus(err, "opendir", dir);
  }
  if (!node->is_dir) return ErrnoToStatus(ENOTDIR, "opendir", dir);
  std::vector<std::string> names;
  names.reserve(node->entries.size());
  for (const auto& [name, inode] : node->entries) names.push_back(name);
  return names;  // std::map keeps them sorted
}

absl::Status MemFileSystem::Remove(absl::string_view path) {
  std::shared_ptr<Inode> dir;
  std::string name;
  if (int err = FindParent(path, &dir, &name); err != 0) {
    return ErrnoToStatus(err, "remove", path);
  }
  if (dir == nullptr) return ErrnoToStatus(EBUSY, "remove", path);  // the root
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) return ErrnoToStatus(ENOENT, "remove", path);
  if (it->second->is_dir && !it->second->entries.empty()) {
    return ErrnoToStatus(ENOTEMPTY, "remove", path);
  }
  shared_->MaybeSlow();
  dir->Record({{name, nullptr}});
  return absl::OkStatus();
}

absl::Status MemFileSystem::CreateDir(absl::string_view path) {
  std::shared_ptr<Inode> dir;
  std::string name;
  if (int err = FindParent(path, &dir, &name); err != 0) {
    return ErrnoToStatus(err, "mkdir", path);
  }
  if (dir == nullptr) return absl::OkStatus();  // the root exists
  auto it = dir->entries.find(name);
  if (it != dir->entries.end()) {
    if (it->second->is_dir) return absl::OkStatus();
    return ErrnoToStatus(EEXIST, "mkdir", path);
  }
  shared_->MaybeSlow();
  auto node = std::make_shared<Inode>(shared_);
  node->is_dir = true;
  dir->Record({{name, std::move(node)}});
  return absl::OkStatus();
}

bool MemFileSystem::Exists(absl::string_view path) {
  std::shared_ptr<Inode> node;
  return Find(path, &node) == 0;
}

absl::StatusOr<uint64_t> MemFileSystem::SyncedSize(absl::string_view path) {
  std::shared_ptr<Inode> node;
  if (int err = Find(path, &node); err != 0) {
    return ErrnoToStatus(err, "stat", path);
  }
  return node->durable ? node->durable->size() : node->synced_size;
}

bool MemFileSystem::EntrySynced(absl::string_view dir,
                                absl::string_view name) {
  std::shared_ptr<Inode> node;
  if (Find(dir, &node) != 0 || !node->is_dir) return false;
  return node->synced_entries.contains(std::string(name));
}

void MemFileSystem::FailAppends(int n) {
  shared_->fail_appends += std::max(n, 0);
}
void MemFileSystem::FailSyncs(int n) { shared_->fail_syncs += std::max(n, 0); }
void MemFileSystem::SlowOps(int n, absl::Duration each) {
  shared_->slow_ops += std::max(n, 0);
  shared_->slow_each = each;
}
void MemFileSystem::set_capacity(uint64_t bytes) { shared_->capacity = bytes; }

void MemFileSystem::BeginFull(uint64_t bytes) {
  if (shared_->full_episodes++ == 0) {
    shared_->capacity_before_full = shared_->capacity;
  }
  shared_->capacity = bytes;
}

void MemFileSystem::EndFull() {
  if (shared_->full_episodes == 0) return;
  if (--shared_->full_episodes == 0) {
    shared_->capacity = shared_->capacity_before_full;
  }
}
uint64_t MemFileSystem::capacity() const { return shared_->capacity; }
uint64_t MemFileSystem::used_bytes() const { return shared_->used; }
void MemFileSystem::set_stall(std::function<void(absl::Duration)> stall) {
  shared_->stall = std::move(stall);
}
void MemFileSystem::set_scheduler(
    std::function<void(absl::Duration, std::function<void()>)> scheduler) {
  shared_->scheduler = std::move(scheduler);
}
size_t MemFileSystem::CompleteSyncs() {
  // Callbacks may start more; those stay pending (not ready).
  for (PendingSync& p : shared_->syncs) p.ready = true;
  return shared_->DrainSyncs();
}
size_t MemFileSystem::pending_syncs() const { return shared_->syncs.size(); }
void MemFileSystem::InvalidateHandles() {
  ++shared_->generation;
  shared_->DropSyncs();
}
const MemFileSystem::CrashReport& MemFileSystem::last_crash() const {
  return shared_->last_crash;
}

namespace {

// Keeps a random prefix of each directory's unsynced changes, recursively,
// in name order (deterministic).
void ResolveDir(Inode& dir, Random& random, MemFileSystem::CrashReport& report,
                absl::flat_hash_set<const Inode*>& seen) {
  const size_t n = dir.pending.size();
  if (n > 0) {
    size_t keep;
    switch (random.Uniform(3)) {
      case 0:
        keep = n;
        break;
      case 1:
        keep = 0;
        break;
      default:
        keep = random.Uniform(n + 1);
        break;
    }
    auto entries = std::move(dir.synced_entries);
    for (size_t i = 0; i < keep; ++i) {
      for (auto& [name, inode] : dir.pending[i]) {
        if (inode) {
          entries[name] = inode;
        } else {
          entries.erase(name);
        }
      }
    }
    report.dir_changes_kept += static_cast<int>(keep);
    report.dir_changes_lost += static_cast<int>(n - keep);
    dir.pending.clear();
    dir.entries = entries;
    dir.synced_entries = std::move(entries);
  }
  for (auto& [name, child] : dir.entries) {
    if (child->is_dir && seen.insert(child.get()).second) {
      ResolveDir(*child, random, report, seen);
    }
  }
}

void ResolveFile(Inode& f, Random& random,
                 MemFileSystem::CrashReport& report) {
  const uint64_t stable = f.stable_size, end = f.data.size();
  if (end == stable && !f.durable && f.lost.empty()) return;
  std::string content;
  if (end == stable && !f.durable) {
    content = f.data;
  } else if (f.durable && random.Bernoulli(0.5)) {
    content = *f.durable;
    ++report.files_dropped;
  } else {
    switch (random.Uniform(4)) {
      case 0:
        content = f.data;
        ++report.files_kept;
        break;
      case 1:
        content = f.data.substr(0, stable);
        ++report.files_dropped;
        break;
      default: {
        // Cut points: the tail's start, and each sector boundary inside it.
        const uint64_t first = stable / kSector + 1;
        const uint64_t last = (end + kSector - 1) / kSector - 1;
        const uint64_t boundaries = last >= first ? last - first + 1 : 0;
        const uint64_t i = random.Uniform(boundaries + 1);
        const uint64_t cut = i == 0 ? stable : (first + i - 1) * kSector;
        content = f.data.substr(0, cut);
        if (random.Bernoulli(0.5)) {
          // One torn sector: its bytes never made it; the length did.
          const uint64_t torn_end = std::min(end, (cut / kSector + 1) * kSector);
          const bool zeros = random.Bernoulli(0.5);
          for (uint64_t k = cut; k < torn_end; ++k) {
            content.push_back(
                zeros ? '\0' : static_cast<char>(random.Next64() & 0xff));
          }
        }
        ++report.files_torn;
        break;
      }
    }
  }
  for (const auto& [lo, hi] : f.lost) {
    for (uint64_t k = lo; k < std::min<uint64_t>(hi, content.size()); ++k) {
      content[k] = '\0';
    }
  }
  f.shared->used -= f.data.size();
  f.data = std::move(content);
  f.shared->used += f.data.size();
  f.synced_size = f.stable_size = f.data.size();
  f.durable.reset();
  f.lost.clear();
}

void ResolveFiles(Inode& dir, Random& random,
                  MemFileSystem::CrashReport& report,
                  absl::flat_hash_set<const Inode*>& seen) {
  for (auto& [name, child] : dir.entries) {
    if (!seen.insert(child.get()).second) continue;
    if (child->is_dir) {
      ResolveFiles(*child, random, report, seen);
    } else {
      ResolveFile(*child, random, report);
    }
  }
}

}  // namespace

void MemFileSystem::PowerCut() {
  InvalidateHandles();
  CrashReport report;
  absl::flat_hash_set<const Inode*> seen;
  ResolveDir(*root_, shared_->random, report, seen);
  seen.clear();
  ResolveFiles(*root_, shared_->random, report, seen);
  shared_->last_crash = report;
}

}  // namespace twinkv::sim
