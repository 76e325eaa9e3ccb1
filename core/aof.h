// Aof: the append-only file of one server node — logging, fsync policy,
// loading at startup, and rewriting (compaction) without blocking the loop.
//
// All file access goes through the runtime's FileSystem, so the simulator
// can crash it (core/aof_format.h describes the files).
//
// Logging. The engine hands every data change to Append (Aof is its
// CommandLog). Appends collect in a buffer; one task per loop turn writes
// the buffer with a single File::Append ("group commit"). Replies wait for
// that (Server's connections ask WhenAcknowledged) so a reply never
// reports a change the file does not have:
//   appendfsync always    a reply leaves only after an fsync covering its
//                         changes completed (SyncAsync: the loop serves
//                         other clients meanwhile; one fsync covers every
//                         change written before it started);
//   appendfsync everysec  replies wait for the write only; an fsync runs
//                         in the background about once a second when there
//                         is something to sync (none on an idle server);
//   appendfsync no        the same, with no fsync (the OS decides).
//
// Errors. A failed write or fsync is never ignored: the Aof fails the
// replies still waiting (their connections close without them), and the
// engine refuses writes with "-MISCONF Errors writing to the AOF file:
// <reason>" until a rewrite succeeds; one is retried every second. After a
// failed fsync the file's unsynced pages may be gone for good (Linux marks
// them clean), so only a fresh base can restore the guarantee.
//
// Rewrite (BGREWRITEAOF, or automatic when the log has grown by
// auto-aof-rewrite-percentage over its size after the last rewrite and is
// at least auto-aof-rewrite-min-size). Without fork(), the base must still
// be the data set as of one moment T0:
//   1. At T0 the current incr file is fsynced, a new incr file is created
//      and a manifest listing old base + old incrs + new incr is made
//      durable (write, fsync, rename, fsync dir); from then on changes go
//      to the new incr file.
//   2. Steps of at most ~1 ms walk each database with the Dict's SCAN
//      cursor and write every key's commands to a temporary base file.
//      Copy-on-write per key keeps this a T0 snapshot: before any change
//      to a key the walk has not reached yet, the key's T0 value is
//      written first (BeforeWrite); a set of those keys makes the walk skip
//      them later. Dict shrinking is paused so the cursor stays exact.
//      FLUSHDB, FLUSHALL and SWAPDB abort the rewrite; it starts again
//      from step 1 a second later (at most one restart per second).
//   3. The temporary base is fsynced (in the background), renamed to its
//      name, the directory fsynced, and a manifest of new base + new incr
//      replaces the old one the same atomic way; old files are removed.
// A crash at any point leaves a manifest whose files hold every
// acknowledged change.
//
// Loading (Load, at startup, before the server listens) replays the base
// and incr files through the normal command code, with expiry paused (see
// Engine::set_loading). A torn tail — the last file ends in an incomplete
// command, or garbage that starts in its last 4 KiB (a torn sector) — is
// cut off with a log line when aof-load-truncated is yes; anything else
// broken refuses to start, naming the file, the offset and
// twinkv-check-aof.
//
// Single-threaded: everything on the node's loop.

#ifndef TWINKV_CORE_AOF_H_
#define TWINKV_CORE_AOF_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "core/aof_format.h"
#include "core/engine.h"
#include "transport/runtime.h"

namespace twinkv {

class Aof final : public CommandLog {
 public:
  // Garbage starting this close to the end of the last file is a torn
  // write, not corruption.
  static constexpr uint64_t kTornTailBytes = 4096;
  // Longest a rewrite step runs before giving the loop back.
  static constexpr absl::Duration kRewriteStepBudget = absl::Milliseconds(1);

  enum class FsyncPolicy { kAlways, kEverysec, kNo };

  // Reads the policy, file names and rewrite settings from the engine's
  // config. `runtime` and `engine` must outlive the Aof.
  Aof(Runtime& runtime, Engine& engine);
  ~Aof() override;

  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // Loads the log into the engine if there is one (else creates an empty
  // base, an incr file and a manifest), then opens the last incr file for
  // appending and attaches itself to the engine (set_command_log). An
  // error means the server must not start; its message says why.
  absl::Status Open();

  // Writes what is buffered and fsyncs it, synchronously (shutdown).
  absl::Status Close();

  // CommandLog.
  void Append(int db, ArgList args) override;
  void AppendRaw(int db, absl::string_view resp, ArgList args) override;
  uint64_t appended() const override { return appended_; }
  uint64_t acknowledged() const override {
    if (!error_.ok()) return acknowledged_at_failure_;
    return policy() == FsyncPolicy::kAlways ? synced_ : written_;
  }
  void WhenAcknowledged(uint64_t position,
                        std::function<void(bool)> done) override;
  bool wants_before_write() const override { return rewrite_ != nullptr; }
  void BeforeWrite(int db, absl::string_view key) override;
  void BeforeWholeDbWrite() override;
  absl::Status StartRewrite() override;
  void AppendInfo(std::string* out) override;

  // --- Introspection, for tests and INFO. ---
  bool rewriting() const { return rewrite_ != nullptr; }
  bool failed() const { return !error_.ok(); }
  uint64_t rewrites_done() const { return rewrites_done_; }
  // Bytes in the base and incr files now.
  uint64_t current_size() const { return base_size_ + incr_bytes_; }
  const std::string& aof_dir() const { return aof_dir_; }
  const AofManifest& manifest() const { return manifest_; }
  // Commands replayed by Load, and bytes cut off a torn tail.
  uint64_t loaded_commands() const { return loaded_commands_; }
  uint64_t truncated_bytes() const { return truncated_bytes_; }

 private:
  struct Rewrite;
  struct Waiter {
    uint64_t position;
    std::function<void(bool)> done;
  };

  FsyncPolicy policy() const;
  std::string PathOf(absl::string_view name) const;
  absl::Status Load();
  // Replays one file; `last` allows a torn tail.
  absl::Status LoadFile(const std::string& name, bool last,
                        ClientState& client);
  // Creates a new empty incr file, lists it in the manifest (durably) and
  // makes it the current one.
  absl::Status SwitchToNewIncr();
  // Writes `manifest` durably in place of the current one.
  absl::Status WriteManifest(const AofManifest& manifest);

  // SELECTs `db` in the current file if it is not selected.
  void Select(int db);
  void ScheduleFlush();
  void PostFlush();
  // Writes the buffer; then, if `may_rewrite`, starts an automatic rewrite
  // when the log has grown enough.
  void Flush(bool may_rewrite = true);
  void MaybeStartSync();
  void OnSynced(uint64_t target, uint64_t file_size, uint64_t epoch,
                absl::Status status);
  void ReleaseWaiters();
  // Runs `dones` with `ok`: at once inside RunOwnTask, else from a posted
  // task (the caller may be a command in the middle of a connection's
  // input, which the callbacks must not re-enter).
  void Complete(std::vector<std::function<void(bool)>> dones, bool ok);
  template <typename F>
  void RunOwnTask(F f) {
    own_task_ = true;
    f();
    own_task_ = false;
  }
  void ArmEverysec();
  // The log failed (a write, or with `fsync_failed` an fsync): refuse
  // writes, fail waiting replies, arm recovery.
  void Fail(const absl::Status& status, bool fsync_failed = false);
  void ArmRecovery();
  void MaybeAutoRewrite();

  absl::Status StartRewriteImpl();
  void RewriteStep();
  // Writes `key`'s current value of database `db` into the rewrite.
  void RewriteKey(int db, absl::string_view key, const Value& value,
                  int64_t expire_ms);
  void FlushRewriteBuffer();
  void FinishRewrite();
  void OnBaseSynced(uint64_t generation, absl::Status status);
  void AbortRewrite(const absl::Status& why);

  Runtime& runtime_;
  Engine& engine_;
  std::string aof_dir_;
  std::string filename_;

  AofManifest manifest_;
  int64_t next_seq_ = 1;  // for the next incr file
  std::unique_ptr<File> file_;  // the current incr file
  int selected_db_ = -1;        // in the current incr file (-1: none yet)
  uint64_t file_size_ = 0;      // of the current incr file
  uint64_t file_synced_size_ = 0;  // ... covered by a successful fsync
  uint64_t file_epoch_ = 0;     // bumped whenever file_ changes
  bool file_broken_ = false;    // a write or fsync to it failed
  uint64_t base_size_ = 0;
  uint64_t incr_bytes_ = 0;     // all incr files of the manifest
  uint64_t rewrite_base_size_ = 0;  // current_size() after the last rewrite

  std::string buffer_;     // appended, not yet written
  uint64_t appended_ = 0;  // positions: bytes ever appended...
  uint64_t written_ = 0;   // ... written to a file
  uint64_t synced_ = 0;    // ... fsynced
  bool flush_posted_ = false;
  bool own_task_ = false;  // see Complete
  bool sync_in_flight_ = false;
  TimerId everysec_timer_ = 0;
  TimerId recovery_timer_ = 0;
  TimerId restart_timer_ = 0;  // a rewrite restart after FLUSHDB & co.
  std::deque<Waiter> waiters_;
  absl::Status error_;
  uint64_t acknowledged_at_failure_ = 0;  // acknowledged() while failed
  uint64_t failed_at_ = 0;  // appended_ when the log failed

  std::unique_ptr<Rewrite> rewrite_;
  uint64_t rewrite_generation_ = 0;
  uint64_t rewrites_done_ = 0;
  bool last_rewrite_ok_ = true;

  uint64_t loaded_commands_ = 0;
  uint64_t truncated_bytes_ = 0;

  // Callbacks that may outlive this object check it is still there.
  std::shared_ptr<Aof*> self_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_AOF_H_
