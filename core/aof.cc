#include "core/aof.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/fault_points.h"
#include "core/resp/reply_writer.h"

namespace twinkv {

namespace {

constexpr size_t kReadChunk = 1 << 20;
// The rewrite writes its output in pieces of about this size.
constexpr size_t kRewriteWriteChunk = 1 << 20;

// "write /d/f: Input/output error" -> "Input/output error".
std::string Reason(const absl::Status& status) {
  absl::string_view m = status.message();
  const size_t colon = m.rfind(": ");
  return std::string(colon == absl::string_view::npos ? m
                                                      : m.substr(colon + 2));
}

absl::StatusOr<std::string> ReadWholeFile(FileSystem& fs,
                                          const std::string& path) {
  absl::StatusOr<std::unique_ptr<File>> f = fs.Open(path, OpenMode::kRead);
  if (!f.ok()) return f.status();
  std::string out;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = (*f)->ReadAt(out.size(), absl::Span<char>(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

}  // namespace

struct Aof::Rewrite {
  int64_t base_seq = 0;
  std::string temp_path;
  std::unique_ptr<File> temp;
  std::string buffer;
  uint64_t base_bytes = 0;
  int selected_db = -1;
  int db = 0;           // database the walk is in
  uint64_t cursor = 0;  // its SCAN cursor (0: not started)
  bool finishing = false;  // the walk is complete
  absl::Status failed;
  // Keys written ahead of the walk (db, key).
  absl::flat_hash_set<std::pair<int, std::string>> done;
  absl::Duration started;
};

Aof::Aof(Runtime& runtime, Engine& engine)
    : runtime_(runtime),
      engine_(engine),
      self_(std::make_shared<Aof*>(this)) {
  const Config& c = engine.config();
  aof_dir_ = c.dir.empty() ? c.appenddirname
                           : absl::StrCat(c.dir, "/", c.appenddirname);
  filename_ = c.appendfilename;
}

Aof::~Aof() {
  if (engine_.command_log() == this) engine_.set_command_log(nullptr);
  if (everysec_timer_ != 0) runtime_.executor().Cancel(everysec_timer_);
  if (recovery_timer_ != 0) runtime_.executor().Cancel(recovery_timer_);
  if (restart_timer_ != 0) runtime_.executor().Cancel(restart_timer_);
  if (rewrite_ != nullptr) {
    for (int i = 0; i < engine_.keyspace().size(); ++i) {
      engine_.keyspace().db(i).set_shrink_allowed(true);
    }
  }
}

std::string Aof::PathOf(absl::string_view name) const {
  return absl::StrCat(aof_dir_, "/", name);
}

// ---- Startup. ----

absl::Status Aof::Open() {
  FileSystem& fs = runtime_.files();
  if (absl::Status s = fs.CreateDir(aof_dir_); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("Can't create the AOF directory: ",
                                     s.message()));
  }
  // The directory's own entry must be durable too, or a power cut takes
  // the whole log with it (the simulator's disk showed this).
  const std::string& parent = engine_.config().dir;
  if (absl::Status s = fs.SyncDir(parent.empty() ? "." : parent); !s.ok()) {
    return s;
  }
  const std::string manifest_path =
      PathOf(AofManifest::ManifestName(filename_));
  if (fs.Exists(manifest_path)) {
    absl::StatusOr<std::string> text = ReadWholeFile(fs, manifest_path);
    if (!text.ok()) return text.status();
    absl::StatusOr<AofManifest> m = AofManifest::Parse(*text);
    if (!m.ok()) {
      return absl::Status(m.status().code(),
                          absl::StrCat(m.status().message(), " (",
                                       manifest_path, ")"));
    }
    manifest_ = *std::move(m);
    next_seq_ = manifest_.has_base ? manifest_.base.seq + 1 : 1;
    for (const auto& e : manifest_.incrs) {
      next_seq_ = std::max(next_seq_, e.seq + 1);
    }
    if (absl::Status s = Load(); !s.ok()) return s;
  } else {
    // A fresh log: an empty base and an empty incr file.
    AofManifest m;
    m.has_base = true;
    m.base = {AofManifest::BaseName(filename_, 1), 1};
    absl::StatusOr<std::unique_ptr<File>> base =
        fs.Open(PathOf(m.base.name), OpenMode::kTruncate);
    if (!base.ok()) return base.status();
    if (absl::Status s = (*base)->Sync(); !s.ok()) return s;
    manifest_ = m;
    next_seq_ = 1;
    runtime_.logger().Log(
        LogLevel::kNotice,
        absl::StrCat("Creating AOF base file ", m.base.name, " on server start"));
  }
  // Sizes, for the automatic rewrite and INFO.
  auto size_of = [&](const std::string& name) -> uint64_t {
    absl::StatusOr<std::unique_ptr<File>> f =
        fs.Open(PathOf(name), OpenMode::kRead);
    if (!f.ok()) return 0;
    absl::StatusOr<uint64_t> n = (*f)->Size();
    return n.ok() ? *n : 0;
  };
  base_size_ = manifest_.has_base ? size_of(manifest_.base.name) : 0;
  incr_bytes_ = 0;
  if (manifest_.incrs.empty()) {
    // Always append to a file of our own making: a new one.
    if (absl::Status s = SwitchToNewIncr(); !s.ok()) return s;
  } else {
    for (const auto& e : manifest_.incrs) incr_bytes_ += size_of(e.name);
    absl::StatusOr<std::unique_ptr<File>> f =
        fs.Open(PathOf(manifest_.incrs.back().name), OpenMode::kAppend);
    if (!f.ok()) return f.status();
    file_ = *std::move(f);
    absl::StatusOr<uint64_t> size = file_->Size();
    if (!size.ok()) return size.status();
    file_size_ = *size;
    file_synced_size_ = *size;  // after the Sync below
    ++file_epoch_;
    // What was just loaded may sit unsynced in the page cache (a killed
    // process's last writes): make it durable, so that whatever clients
    // read from now on survives a power cut too.
    if (absl::Status s = file_->Sync(); !s.ok()) return s;
  }
  rewrite_base_size_ = current_size();
  engine_.set_command_log(this);
  return absl::OkStatus();
}

absl::Status Aof::Load() {
  const absl::Duration start = runtime_.clock().Monotonic();
  std::vector<std::string> files;
  if (manifest_.has_base) files.push_back(manifest_.base.name);
  for (const auto& e : manifest_.incrs) files.push_back(e.name);
  engine_.set_loading(true);
  ClientState client;
  absl::Status status;
  for (size_t i = 0; i < files.size() && status.ok(); ++i) {
    client.db_index = 0;  // every file starts in database 0
    status = LoadFile(files[i], i + 1 == files.size(), client);
  }
  engine_.set_loading(false);
  if (!status.ok()) return status;
  runtime_.logger().Log(
      LogLevel::kNotice,
      absl::StrCat("DB loaded from append only file: ",
                   absl::StrFormat("%.3f", absl::ToDoubleSeconds(
                                               runtime_.clock().Monotonic() -
                                               start)),
                   " seconds (", loaded_commands_, " commands)"));
  return absl::OkStatus();
}

absl::Status Aof::LoadFile(const std::string& name, bool last,
                           ClientState& client) {
  FileSystem& fs = runtime_.files();
  const std::string path = PathOf(name);
  absl::StatusOr<std::unique_ptr<File>> f = fs.Open(path, OpenMode::kRead);
  if (!f.ok()) {
    return absl::Status(f.status().code(),
                        absl::StrCat("Can't open the append-only file ", name,
                                     ": ", f.status().message()));
  }
  absl::StatusOr<uint64_t> size = (*f)->Size();
  if (!size.ok()) return size.status();
  const std::string manifest_path =
      PathOf(AofManifest::ManifestName(filename_));
  AofParser parser;
  std::string chunk(kReadChunk, '\0');
  std::string scratch;
  ReplyWriter writer(&scratch);
  uint64_t offset = 0;
  uint64_t errors = 0;
  // Where the MULTI of a transaction block still open began: a block cut
  // off by a crash is not applied (its commands stay queued) and must be
  // cut from the file too, or later appends would join it.
  std::optional<uint64_t> multi_start;
  uint64_t command_start = 0;
  AofParser::Result r = AofParser::kNeedMore;
  while (true) {
    absl::StatusOr<size_t> n = (*f)->ReadAt(offset, absl::Span<char>(chunk));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    offset += *n;
    parser.Feed(absl::string_view(chunk.data(), *n));
    while ((r = parser.Next()) == AofParser::kCommand) {
      scratch.clear();
      writer.set_protocol(2);
      engine_.Execute(client, parser.args(), writer);
      const bool in_multi = client.txn != nullptr && client.txn->in_multi;
      if (!in_multi) {
        multi_start.reset();
      } else if (!multi_start.has_value()) {
        multi_start = command_start;
      }
      command_start = parser.end_offset();
      ++loaded_commands_;
      if (!scratch.empty() && scratch[0] == '-' && ++errors <= 5) {
        runtime_.logger().Log(
            LogLevel::kWarning,
            absl::StrCat("Command from the append only file ", name,
                         " failed: ", absl::StripAsciiWhitespace(scratch)));
      }
    }
    if (r == AofParser::kCorrupt) break;
  }
  uint64_t bad_at;
  std::string what;
  if (r == AofParser::kCorrupt) {
    bad_at = parser.error_offset();
    what = parser.error();
    const bool torn = last && *size - bad_at <= kTornTailBytes;
    if (!torn || !engine_.config().aof_load_truncated) {
      return absl::DataLossError(absl::StrCat(
          "Bad file format reading the append only file ", name,
          " at offset ", bad_at, " (", what,
          "; the last valid command ends at offset ", parser.end_offset(),
          "): make a backup of your AOF file, then use twinkv-check-aof "
          "--fix ", manifest_path));
    }
  } else if (!parser.unconsumed().empty()) {
    bad_at = *size;
    what = "short read";
    if (!last) {
      return absl::DataLossError(absl::StrCat(
          "Unexpected end of file reading the append only file ", name,
          " (not the last file) at offset ", parser.end_offset(),
          ": make a backup of your AOF file, then use twinkv-check-aof "
          "--fix ", manifest_path));
    }
    if (!engine_.config().aof_load_truncated) {
      return absl::DataLossError(absl::StrCat(
          "Unexpected end of file reading the append only file ", name,
          " at offset ", parser.end_offset(),
          ". You can: 1) Make a backup of your AOF file, then use "
          "twinkv-check-aof --fix ", manifest_path,
          ". 2) Alternatively you can set the 'aof-load-truncated' "
          "configuration option to yes and restart the server."));
    }
  } else if (multi_start.has_value() && last) {
    bad_at = *multi_start;
    what = "incomplete MULTI/EXEC block";
    if (!engine_.config().aof_load_truncated) {
      return absl::DataLossError(absl::StrCat(
          "Unexpected end of file reading the append only file ", name,
          " at offset ", parser.end_offset(),
          " (an incomplete MULTI/EXEC block starts at offset ", bad_at,
          "): make a backup of your AOF file, then use twinkv-check-aof "
          "--fix ", manifest_path));
    }
  } else {
    return absl::OkStatus();
  }
  // A torn tail of the last file: cut it off (from the MULTI of a block
  // left open).
  const uint64_t keep =
      multi_start.has_value() ? *multi_start : parser.end_offset();
  engine_.DiscardTransaction(client);
  runtime_.logger().Log(
      LogLevel::kWarning,
      absl::StrCat("!!! Warning: ", what, " at offset ", bad_at,
                   " while loading the AOF file ", name, "!!!"));
  runtime_.logger().Log(
      LogLevel::kWarning,
      absl::StrCat("!!! Truncating the AOF ", name, " at offset ", keep,
                   " (cutting ", *size - keep, " bytes) !!!"));
  absl::StatusOr<std::unique_ptr<File>> w = fs.Open(path, OpenMode::kAppend);
  if (!w.ok()) return w.status();
  if (absl::Status s = (*w)->Truncate(keep); !s.ok()) return s;
  if (absl::Status s = (*w)->Sync(); !s.ok()) return s;
  truncated_bytes_ += *size - keep;
  runtime_.logger().Log(
      LogLevel::kWarning,
      absl::StrCat("AOF ", name,
                   " loaded anyway because aof-load-truncated is enabled"));
  return absl::OkStatus();
}

absl::Status Aof::WriteManifest(const AofManifest& manifest) {
  FileSystem& fs = runtime_.files();
  const std::string name = AofManifest::ManifestName(filename_);
  const std::string temp = PathOf(absl::StrCat("temp-", name));
  {
    absl::StatusOr<std::unique_ptr<File>> f =
        fs.Open(temp, OpenMode::kTruncate);
    if (!f.ok()) return f.status();
    if (absl::Status s = (*f)->Append(manifest.Format()); !s.ok()) return s;
    if (absl::Status s = (*f)->Sync(); !s.ok()) return s;
  }
  if (absl::Status s = fs.Rename(temp, PathOf(name)); !s.ok()) return s;
  return fs.SyncDir(aof_dir_);
}

absl::Status Aof::SwitchToNewIncr() {
  FileSystem& fs = runtime_.files();
  // Everything in the old file is durable before a successor is listed:
  // else a crash could keep the new file's changes and lose earlier ones.
  if (file_ != nullptr && !file_broken_) {
    if (absl::Status s = file_->Sync(); !s.ok()) {
      Fail(s, /*fsync_failed=*/true);
    } else {
      synced_ = std::max(synced_, written_);
      ReleaseWaiters();
    }
  }
  const int64_t seq = next_seq_;
  const std::string name = AofManifest::IncrName(filename_, seq);
  absl::StatusOr<std::unique_ptr<File>> f =
      fs.Open(PathOf(name), OpenMode::kTruncate);
  if (!f.ok()) return f.status();
  AofManifest m = manifest_;
  m.incrs.push_back({name, seq});
  if (absl::Status s = WriteManifest(m); !s.ok()) {
    f->reset();
    fs.Remove(PathOf(name)).IgnoreError();
    return s;
  }
  ++next_seq_;
  manifest_ = std::move(m);
  file_ = *std::move(f);
  file_size_ = 0;
  file_synced_size_ = 0;
  ++file_epoch_;
  file_broken_ = false;
  selected_db_ = -1;
  return absl::OkStatus();
}

absl::Status Aof::Close() {
  if (rewrite_ != nullptr) AbortRewrite(absl::CancelledError("shutting down"));
  Flush();
  if (file_ != nullptr && !file_broken_) {
    if (absl::Status s = file_->Sync(); !s.ok()) {
      Fail(s, /*fsync_failed=*/true);
      return s;
    }
    file_synced_size_ = file_size_;
    synced_ = written_;
    ReleaseWaiters();
  }
  return error_;
}

// ---- Logging. ----

void Aof::Select(int db) {
  if (db == selected_db_) return;
  const std::string index = absl::StrCat(db);
  const absl::string_view select[] = {"SELECT", index};
  AppendRespCommand(select, &buffer_);
  selected_db_ = db;
}

void Aof::Append(int db, ArgList args) {
  const size_t before = buffer_.size();
  Select(db);
  AppendRespCommand(args, &buffer_);
  appended_ += buffer_.size() - before;
  ScheduleFlush();
}

void Aof::AppendRaw(int db, absl::string_view resp, ArgList) {
  const size_t before = buffer_.size();
  Select(db);
  buffer_.append(resp.data(), resp.size());
  appended_ += buffer_.size() - before;
  ScheduleFlush();
}

void Aof::ScheduleFlush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  std::weak_ptr<Aof*> weak = self_;
  const bool defer_again = runtime_.Buggify(kFaultAofDeferFlush);
  runtime_.executor().Post([weak, defer_again] {
    auto self = weak.lock();
    if (self == nullptr) return;
    if (defer_again) {
      (*self)->PostFlush();
      return;
    }
    (*self)->flush_posted_ = false;
    (*self)->RunOwnTask([&] { (*self)->Flush(); });
  });
}

void Aof::PostFlush() {
  std::weak_ptr<Aof*> weak = self_;
  runtime_.executor().Post([weak] {
    if (auto self = weak.lock()) {
      (*self)->flush_posted_ = false;
      (*self)->RunOwnTask([&] { (*self)->Flush(); });
    }
  });
}

Aof::FsyncPolicy Aof::policy() const {
  // Read at every use: CONFIG SET appendfsync takes effect at once.
  const std::string& p = engine_.config().appendfsync;
  return p == "always" ? FsyncPolicy::kAlways
         : p == "no"   ? FsyncPolicy::kNo
                       : FsyncPolicy::kEverysec;
}

void Aof::Flush(bool may_rewrite) {
  if (file_broken_ || file_ == nullptr) return;
  if (!buffer_.empty()) {
    if (absl::Status s = file_->Append(buffer_); !s.ok()) {
      // Fail takes back the partial write (and all unsynced bytes), so the
      // file ends on a command boundary for whoever reads it.
      Fail(s);
      return;
    }
    file_size_ += buffer_.size();
    incr_bytes_ += buffer_.size();
    if (buffer_.capacity() > (4u << 20)) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
  }
  // Everything appended is in the file now, or was dropped after a failure
  // for a recovery base that holds its effect.
  written_ = appended_;
  switch (policy()) {
    case FsyncPolicy::kAlways:
      MaybeStartSync();
      break;
    case FsyncPolicy::kEverysec:
      if (written_ > synced_) ArmEverysec();
      ReleaseWaiters();
      break;
    case FsyncPolicy::kNo:
      ReleaseWaiters();
      break;
  }
  if (may_rewrite) MaybeAutoRewrite();
}

void Aof::MaybeStartSync() {
  if (sync_in_flight_ || synced_ >= written_ || file_broken_) return;
  sync_in_flight_ = true;
  const uint64_t target = written_;
  const uint64_t file_size = file_size_;
  const uint64_t epoch = file_epoch_;
  std::weak_ptr<Aof*> weak = self_;
  file_->SyncAsync([weak, target, file_size, epoch](absl::Status status) {
    if (auto self = weak.lock()) {
      (*self)->RunOwnTask([&] {
        (*self)->OnSynced(target, file_size, epoch, std::move(status));
      });
    }
  });
}

void Aof::OnSynced(uint64_t target, uint64_t file_size, uint64_t epoch,
                   absl::Status status) {
  sync_in_flight_ = false;
  if (!status.ok()) {
    // A file the log has since moved away from was fully synced
    // (SwitchToNewIncr) before the move; this is the current one's.
    if (target > synced_) Fail(status, /*fsync_failed=*/true);
    return;
  }
  if (epoch == file_epoch_) {
    file_synced_size_ = std::max(file_synced_size_, file_size);
  }
  synced_ = std::max(synced_, target);
  ReleaseWaiters();
  if (policy() == FsyncPolicy::kAlways) {
    MaybeStartSync();
  } else if (written_ > synced_) {
    ArmEverysec();
  }
}

void Aof::ArmEverysec() {
  if (everysec_timer_ != 0) return;
  std::weak_ptr<Aof*> weak = self_;
  everysec_timer_ =
      runtime_.executor().Schedule(absl::Seconds(1), [weak] {
        if (auto self = weak.lock()) {
          (*self)->everysec_timer_ = 0;
          (*self)->MaybeStartSync();
        }
      });
}

void Aof::ReleaseWaiters() {
  const uint64_t ack = acknowledged();
  std::vector<std::function<void(bool)>> ready;
  while (!waiters_.empty() && waiters_.front().position <= ack) {
    ready.push_back(std::move(waiters_.front().done));
    waiters_.pop_front();
  }
  Complete(std::move(ready), true);
}

void Aof::Complete(std::vector<std::function<void(bool)>> dones, bool ok) {
  if (dones.empty()) return;
  if (own_task_) {
    // In a task of our own (the batched flush, an fsync completion):
    // nobody up the stack is in the middle of anything.
    for (const auto& done : dones) done(ok);
    return;
  }
  // Never inline: this may run inside a command (BGREWRITEAOF starting a
  // rewrite), and a connection's callback sends replies and reads more.
  runtime_.executor().Post([dones = std::move(dones), ok] {
    for (const auto& done : dones) done(ok);
  });
}

void Aof::WhenAcknowledged(uint64_t position,
                           std::function<void(bool)> done) {
  if (position <= acknowledged()) {
    Complete({std::move(done)}, true);
    return;
  }
  if (!error_.ok()) {
    // Failed: changes up to failed_at_ may never be logged, and a reply
    // that reports or saw them must not go out. A reply made after the
    // failure (positions past it: Fail adds one) may: writes are refused
    // then, so it reports no change.
    Complete({std::move(done)}, position > failed_at_);
    return;
  }
  waiters_.push_back({position, std::move(done)});
  ScheduleFlush();
}

void Aof::Fail(const absl::Status& status, bool fsync_failed) {
  if (!file_broken_ && file_ != nullptr) {
    // A failed write may have left part of its data: cut it, so the file
    // ends on a command boundary for whoever reads it (Redis does too).
    // After a failed fsync, whatever was written since the last good one
    // may never reach the disk (Linux marks the pages clean: they read
    // back until the machine goes down, then they are gone): cut that too,
    // so that a restarted process cannot load it and serve it as durable.
    // It only holds changes nobody was told about with appendfsync always;
    // everysec may lose its last second, as it may anyway.
    const uint64_t keep = fsync_failed ? file_synced_size_ : file_size_;
    file_->Truncate(keep).IgnoreError();
    file_size_ = keep;
  }
  file_broken_ = true;
  const bool first = error_.ok();
  if (first) {
    acknowledged_at_failure_ = acknowledged();
    failed_at_ = appended_;
    // A virtual byte: every reply made from now on waits for a position
    // past failed_at_ (see WhenAcknowledged).
    ++appended_;
  }
  error_ = status;
  runtime_.logger().Log(
      LogLevel::kWarning,
      absl::StrCat("Error writing to the AOF file: ", status.message(),
                   first ? "; refusing writes until a rewrite succeeds" : ""));
  engine_.set_write_error(
      absl::StrCat("MISCONF Errors writing to the AOF file: ", Reason(status)));
  // Replies waiting for what failed must never go out.
  std::vector<std::function<void(bool)>> failed;
  for (Waiter& w : waiters_) failed.push_back(std::move(w.done));
  waiters_.clear();
  Complete(std::move(failed), false);
  if (rewrite_ != nullptr) {
    // The new incr file misses changes now: this rewrite cannot be used.
    AbortRewrite(status);
  }
  ArmRecovery();
}

void Aof::ArmRecovery() {
  if (recovery_timer_ != 0 || error_.ok()) return;
  std::weak_ptr<Aof*> weak = self_;
  recovery_timer_ = runtime_.executor().Schedule(absl::Seconds(1), [weak] {
    if (auto self = weak.lock()) {
      Aof& aof = **self;
      aof.recovery_timer_ = 0;
      if (aof.rewrite_ != nullptr || aof.error_.ok()) return;
      if (!aof.StartRewrite().ok()) aof.ArmRecovery();
    }
  });
}

void Aof::MaybeAutoRewrite() {
  const Config& c = engine_.config();
  if (rewrite_ != nullptr || !error_.ok() || c.aof_rewrite_percentage <= 0) {
    return;
  }
  const uint64_t size = current_size();
  if (size < static_cast<uint64_t>(c.aof_rewrite_min_size)) return;
  const uint64_t base = std::max<uint64_t>(rewrite_base_size_, 1);
  const uint64_t growth = size * 100 / base - 100;
  if (size <= base || growth < static_cast<uint64_t>(c.aof_rewrite_percentage)) {
    return;
  }
  runtime_.logger().Log(
      LogLevel::kNotice,
      absl::StrCat("Starting automatic rewriting of AOF on ", growth,
                   "% growth"));
  if (absl::Status s = StartRewrite(); !s.ok()) {
    runtime_.logger().Log(LogLevel::kWarning,
                          absl::StrCat("Can't rewrite the AOF: ", s.message()));
  }
}

// ---- Rewrite. ----

absl::Status Aof::StartRewrite() {
  // Callbacks released while starting run later (see Complete).
  const bool own_task = std::exchange(own_task_, false);
  absl::Status status = StartRewriteImpl();
  own_task_ = own_task;
  return status;
}

absl::Status Aof::StartRewriteImpl() {
  if (rewrite_ != nullptr) {
    return absl::FailedPreconditionError(
        "Background append only file rewriting already in progress");
  }
  if (file_ == nullptr) {
    return absl::FailedPreconditionError("The AOF is not open");
  }
  // Changes so far belong to the old files; with a failed log they are
  // lost there anyway, and the new base will hold their effect.
  Flush(/*may_rewrite=*/false);
  if (file_broken_) buffer_.clear();
  if (absl::Status s = SwitchToNewIncr(); !s.ok()) {
    runtime_.logger().Log(
        LogLevel::kWarning,
        absl::StrCat("Can't start the AOF rewrite: ", s.message()));
    return s;
  }
  auto rw = std::make_unique<Rewrite>();
  rw->base_seq = next_seq_++;
  rw->temp_path = PathOf(absl::StrCat(
      "temp-rewrite-", AofManifest::BaseName(filename_, rw->base_seq)));
  absl::StatusOr<std::unique_ptr<File>> temp =
      runtime_.files().Open(rw->temp_path, OpenMode::kTruncate);
  if (!temp.ok()) return temp.status();
  rw->temp = *std::move(temp);
  rw->started = runtime_.clock().Monotonic();
  // State outside the keyspace that must survive (cross-node transactions
  // in flight), as it is now: later changes go to the new incr file.
  if (CommandRouter* router = engine_.router()) {
    router->AppendDurableState(&rw->buffer);
  }
  rewrite_ = std::move(rw);
  ++rewrite_generation_;
  for (int i = 0; i < engine_.keyspace().size(); ++i) {
    engine_.keyspace().db(i).set_shrink_allowed(false);
  }
  runtime_.logger().Log(LogLevel::kNotice,
                        "Background append only file rewriting started");
  const uint64_t generation = rewrite_generation_;
  std::weak_ptr<Aof*> weak = self_;
  runtime_.executor().Post([weak, generation] {
    if (auto self = weak.lock()) {
      if ((*self)->rewrite_generation_ == generation) (*self)->RewriteStep();
    }
  });
  return absl::OkStatus();
}

void Aof::RewriteStep() {
  if (rewrite_ == nullptr || rewrite_->finishing) return;
  Rewrite& rw = *rewrite_;
  if (!rw.failed.ok()) return AbortRewrite(rw.failed);
  Keyspace& keyspace = engine_.keyspace();
  const absl::Duration start = runtime_.clock().Monotonic();
  int buckets = 0;
  const bool tiny = runtime_.Buggify(kFaultAofRewriteTinyStep);
  while (rw.db < keyspace.size()) {
    const int db = rw.db;
    rw.cursor = keyspace.db(db).ScanRaw(
        rw.cursor, [&](absl::string_view key, const Value& value,
                       int64_t expire_ms) {
          if (!rw.done.empty() &&
              rw.done.contains(std::make_pair(db, std::string(key)))) {
            return;
          }
          RewriteKey(db, key, value, expire_ms);
        });
    if (rw.cursor == 0) ++rw.db;
    if (tiny) break;
    if (++buckets % 32 == 0 &&
        runtime_.clock().Monotonic() - start >= kRewriteStepBudget) {
      break;
    }
  }
  if (!rw.failed.ok()) return AbortRewrite(rw.failed);
  if (rw.db >= keyspace.size()) return FinishRewrite();
  const uint64_t generation = rewrite_generation_;
  std::weak_ptr<Aof*> weak = self_;
  runtime_.executor().Post([weak, generation] {
    if (auto self = weak.lock()) {
      if ((*self)->rewrite_generation_ == generation) (*self)->RewriteStep();
    }
  });
}

void Aof::RewriteKey(int db, absl::string_view key, const Value& value,
                     int64_t expire_ms) {
  Rewrite& rw = *rewrite_;
  if (db != rw.selected_db) {
    const std::string index = absl::StrCat(db);
    const absl::string_view select[] = {"SELECT", index};
    AppendRespCommand(select, &rw.buffer);
    rw.selected_db = db;
  }
  AppendKeyRewrite(key, value, expire_ms, &rw.buffer);
  if (rw.buffer.size() >= kRewriteWriteChunk) FlushRewriteBuffer();
}

void Aof::FlushRewriteBuffer() {
  Rewrite& rw = *rewrite_;
  if (rw.buffer.empty() || !rw.failed.ok()) return;
  rw.failed = rw.temp->Append(rw.buffer);
  rw.base_bytes += rw.buffer.size();
  rw.buffer.clear();
}

void Aof::BeforeWrite(int db, absl::string_view key) {
  Rewrite& rw = *rewrite_;
  if (rw.finishing || db < rw.db) return;  // the walk has been there
  Db& d = engine_.keyspace().db(db);
  if (db == rw.db && d.ScanVisited(key, rw.cursor)) return;
  if (!rw.done.insert(std::make_pair(db, std::string(key))).second) return;
  const Value* value;
  int64_t expire_ms;
  // Absent now means absent at the snapshot: nothing to write, but the
  // walk must not write the key it finds later either.
  if (d.PeekRaw(key, &value, &expire_ms)) {
    RewriteKey(db, key, *value, expire_ms);
  }
}

void Aof::BeforeWholeDbWrite() {
  if (rewrite_ == nullptr || rewrite_->finishing) return;
  // Copying whole databases ahead of the walk could take long; start over
  // instead, a second later: each start adds an incr file to the manifest
  // (until a rewrite completes), so a stream of FLUSHDBs must not start
  // one per command.
  runtime_.logger().Log(LogLevel::kNotice,
                        "Restarting the AOF rewrite: whole databases change");
  AbortRewrite(absl::OkStatus());
  if (restart_timer_ != 0) return;
  std::weak_ptr<Aof*> weak = self_;
  restart_timer_ = runtime_.executor().Schedule(absl::Seconds(1), [weak] {
    if (auto self = weak.lock()) {
      Aof& aof = **self;
      aof.restart_timer_ = 0;
      if (aof.rewrite_ == nullptr && aof.error_.ok()) {
        aof.StartRewrite().IgnoreError();
      }
    }
  });
}

void Aof::FinishRewrite() {
  Rewrite& rw = *rewrite_;
  FlushRewriteBuffer();
  if (!rw.failed.ok()) return AbortRewrite(rw.failed);
  rw.finishing = true;
  for (int i = 0; i < engine_.keyspace().size(); ++i) {
    engine_.keyspace().db(i).set_shrink_allowed(true);
  }
  rw.done.clear();
  const uint64_t generation = rewrite_generation_;
  std::weak_ptr<Aof*> weak = self_;
  rw.temp->SyncAsync([weak, generation](absl::Status status) {
    if (auto self = weak.lock()) {
      (*self)->OnBaseSynced(generation, std::move(status));
    }
  });
}

void Aof::OnBaseSynced(uint64_t generation, absl::Status status) {
  if (rewrite_ == nullptr || generation != rewrite_generation_) return;
  if (!status.ok()) return AbortRewrite(status);
  FileSystem& fs = runtime_.files();
  Rewrite& rw = *rewrite_;
  rw.temp.reset();
  const std::string base_name = AofManifest::BaseName(filename_, rw.base_seq);
  if (absl::Status s = fs.Rename(rw.temp_path, PathOf(base_name)); !s.ok()) {
    return AbortRewrite(s);
  }
  rw.temp_path = PathOf(base_name);  // removed if the rest fails
  if (absl::Status s = fs.SyncDir(aof_dir_); !s.ok()) return AbortRewrite(s);
  AofManifest m;
  m.has_base = true;
  m.base = {base_name, rw.base_seq};
  m.incrs.push_back(manifest_.incrs.back());
  if (absl::Status s = WriteManifest(m); !s.ok()) return AbortRewrite(s);
  // The old files are history now.
  std::vector<std::string> old;
  if (manifest_.has_base) old.push_back(manifest_.base.name);
  for (size_t i = 0; i + 1 < manifest_.incrs.size(); ++i) {
    old.push_back(manifest_.incrs[i].name);
  }
  for (const std::string& name : old) fs.Remove(PathOf(name)).IgnoreError();
  fs.SyncDir(aof_dir_).IgnoreError();
  manifest_ = std::move(m);
  base_size_ = rw.base_bytes;
  incr_bytes_ = file_size_;
  rewrite_base_size_ = current_size();
  const absl::Duration took = runtime_.clock().Monotonic() - rw.started;
  rewrite_.reset();
  ++rewrite_generation_;
  ++rewrites_done_;
  last_rewrite_ok_ = true;
  runtime_.logger().Log(
      LogLevel::kNotice,
      absl::StrCat("Background AOF rewrite finished successfully (",
                   absl::FormatDuration(took), ", base ", base_size_,
                   " bytes)"));
  if (!error_.ok() && !file_broken_) {
    error_ = absl::OkStatus();
    engine_.set_write_error("");
    runtime_.logger().Log(LogLevel::kWarning,
                          "AOF write error looks solved. Redis can write again.");
  }
}

void Aof::AbortRewrite(const absl::Status& why) {
  if (rewrite_ == nullptr) return;
  if (!why.ok()) {
    runtime_.logger().Log(
        LogLevel::kWarning,
        absl::StrCat("Background AOF rewrite terminated with error: ",
                     why.message()));
    last_rewrite_ok_ = false;
  }
  rewrite_->temp.reset();
  runtime_.files().Remove(rewrite_->temp_path).IgnoreError();
  for (int i = 0; i < engine_.keyspace().size(); ++i) {
    engine_.keyspace().db(i).set_shrink_allowed(true);
  }
  rewrite_.reset();
  ++rewrite_generation_;
  ArmRecovery();
}

void Aof::AppendInfo(std::string* out) {
  absl::StrAppend(
      out, "aof_enabled:1\r\n",
      "aof_rewrite_in_progress:", rewrite_ != nullptr ? 1 : 0, "\r\n",
      "aof_rewrite_scheduled:0\r\n",
      "aof_last_bgrewrite_status:", last_rewrite_ok_ ? "ok" : "err", "\r\n",
      "aof_rewrites:", rewrites_done_, "\r\n",
      "aof_last_write_status:", error_.ok() ? "ok" : "err", "\r\n",
      "aof_current_size:", current_size(), "\r\n",
      "aof_base_size:", base_size_, "\r\n",
      "aof_buffer_length:", buffer_.size(), "\r\n",
      "aof_pending_bio_fsync:", sync_in_flight_ ? 1 : 0, "\r\n");
}

}  // namespace twinkv
