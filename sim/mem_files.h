// MemFileSystem: one simulated node's disk, in memory, and its faults.
//
// POSIX semantics as PosixFileSystem shows them, down to the status codes and
// messages ("<operation> <path>: <strerror>"): files are inodes, so an open
// File keeps working after its name is renamed or removed; Remove takes files
// and empty directories; paths are absolute or relative to "/", "." and ".."
// are understood.
//
// Durability model. Reads always see every write (the page cache). What
// survives a power cut (PowerCut(), called by Node::Crash) is:
// - File contents: everything up to the last successful File::Sync
//   ("synced"), exactly. A File::SyncAsync counts as a Sync of the file as
//   it was when SyncAsync was called (its size then: "the snapshot"), done
//   when it completes (see below). Of what was appended since ("the
//   unsynced tail", which starts where the file was last synced, or lower
//   if it was truncated below that since), one of, at random:
//     * all of it;
//     * none of it (the file is as of its last Sync; a truncation since is
//       undone);
//     * a prefix cut at a 512-byte sector boundary (absolute file offset, or
//       the tail's start), optionally followed by one torn sector: the
//       bytes from the cut to the next sector boundary (at most to the old
//       end) replaced by garbage (all zeros, or seeded random bytes).
//   So a crash never reorders appends (a later byte survives only if every
//   earlier one does, torn sector aside), never touches synced bytes, and
//   the file's length ends up between its synced and current lengths.
// - Directory entries: each directory keeps, in order, the changes made to
//   it since its last SyncDir (creations, renames into/out of it, removals,
//   mkdir). A crash keeps a random prefix of that list (all, none, or
//   some), per directory, independently. A rename within one directory is
//   one change (atomic: old or new, never both, never neither); a rename
//   across directories is two changes, one per directory, so without a
//   SyncDir of both the file may end up under both names or neither, as
//   POSIX allows. A file whose entry is not durable is gone, however well
//   its data was synced. Files reachable by no name are freed.
// - Process kills (Kill()) lose nothing: the kernel keeps the page cache.
//   Handles of the dead process stop working either way (kInternal, EBADF).
//
// File::SyncAsync. The call records the snapshot and returns; the sync
// completes after a seeded latency (uniform in [50us, 2ms], from the disk's
// own stream), through the scheduler hook (Node schedules a process event
// of its node, so a crash or kill drops it). Completions run in call order
// across the whole disk (like production's one sync thread), and only then
// is the outcome decided:
// - success: the bytes up to the snapshot become durable, not the appends
//   made since. If the file was cut below the snapshot in between, only
//   the bytes below the lowest cut (and that shorter length) become
//   durable: the file as it was right after that cut. A Sync that
//   succeeded after the call already covered it: the completion changes
//   nothing.
// - EIO (an armed FailSyncs, consumed at completion): as for Sync, but the
//   bytes lost for good are the unsynced ones below the snapshot.
// - a crash or kill first (InvalidateHandles, PowerCut): the callback is
//   dropped and nothing becomes durable.
// A SyncAsync on a dead handle completes (later, in order) with EBADF.
// Without a scheduler (plain unit tests) a SyncAsync completes only when
// the owner calls CompleteSyncs().
//
// Injected faults (armed by FailAppends/FailSyncs/SlowOps/set_capacity, or
// by the fault generator through them):
// - EIO on Append: the next n appends write a random prefix (possibly
//   empty) of their data, then fail with kDataLoss.
// - EIO on fsync (File::Sync, SyncAsync and SyncDir): the next n fail with
//   kDataLoss and make nothing durable. As on Linux after a failed
//   writeback, the file's unsynced bytes at that moment are lost for good:
//   the page cache still shows them, a later Sync succeeds, and yet after a
//   power cut they read as zeros ("fsyncgate").
// - ENOSPC: a capacity in bytes (sum of the files' sizes, counted until the
//   last handle and name are gone and the removal is durable: before a
//   SyncDir a crash could bring the file back, so, as in a journaling file
//   system, its space is not free yet); an Append that does not fit writes
//   what fits, then fails with kResourceExhausted; a Truncate that grows
//   past it fails.
// - Slow operations: the File API is synchronous, so "slow" means the node
//   is busy: the next n operations each call the stall hook (Node::Stall),
//   which advances the node's clock by the delay within the running event
//   and holds its next events until then, while the rest of the world
//   moves on. A slow SyncAsync is the exception, and the point of it: the
//   delay adds to its latency; the node does not stall.
// Promised never to happen: corruption or loss of synced data (except by
// "fsyncgate" above); reads that disagree with writes before a crash; an
// error without an armed fault, except for real POSIX errors.
//
// Threading contract: the World's (single-threaded).

#ifndef TWINKV_SIM_MEM_FILES_H_
#define TWINKV_SIM_MEM_FILES_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "transport/runtime.h"

namespace twinkv::sim {

class MemFileSystem final : public FileSystem {
 public:
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  // `seed` drives the crash outcomes and the sizes of failed writes (a
  // node passes its "disk:<name>" stream seed).
  explicit MemFileSystem(uint64_t seed = 0);
  ~MemFileSystem() override;

  absl::StatusOr<std::unique_ptr<File>> Open(absl::string_view path,
                                             OpenMode mode) override;
  absl::Status Rename(absl::string_view from, absl::string_view to) override;
  absl::Status SyncDir(absl::string_view dir) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view dir) override;
  absl::Status Remove(absl::string_view path) override;
  absl::Status CreateDir(absl::string_view dir) override;
  bool Exists(absl::string_view path) override;

  // For tests and fault models: the length of the file at `path` that a
  // power cut would keep for sure (its length at the last Sync).
  absl::StatusOr<uint64_t> SyncedSize(absl::string_view path);
  // Whether `name` in `dir` was there at the last SyncDir(dir).
  bool EntrySynced(absl::string_view dir, absl::string_view name);

  // --- Faults. ---

  // The next `n` appends / fsyncs (File::Sync or SyncDir) fail with EIO.
  void FailAppends(int n);
  void FailSyncs(int n);
  // The next `n` operations each stall the node by `each`.
  void SlowOps(int n, absl::Duration each);
  // Disk capacity in bytes (kUnlimited by default).
  void set_capacity(uint64_t bytes);
  // A disk-full episode (FaultKind::kDiskFull): the capacity drops to
  // `bytes` until the matching EndFull. Episodes may overlap: the last one
  // to end restores the capacity from before the first (a plain
  // save-and-restore per episode would restore a full disk for good).
  void BeginFull(uint64_t bytes);
  void EndFull();
  uint64_t capacity() const;
  uint64_t used_bytes() const;
  // Called with the delay of each slow operation (the node's Stall).
  void set_stall(std::function<void(absl::Duration)> stall);
  // Runs a task after a delay, on the node's loop (Node wires it to a
  // process event: dropped if the node crashes first). SyncAsync
  // completions come through it.
  void set_scheduler(
      std::function<void(absl::Duration, std::function<void()>)> scheduler);
  // Completes every SyncAsync pending now, at once and in call order (those
  // started by their callbacks wait for the next call); returns how many.
  // The way to complete them without a scheduler; with one, their
  // scheduled events then find nothing left to do.
  size_t CompleteSyncs();
  // SyncAsyncs called and not yet completed (nor dropped by a crash).
  size_t pending_syncs() const;

  // --- Crashes (Node::Crash calls these). ---

  // Handles opened so far stop working; pending SyncAsync callbacks are
  // dropped, their syncs undone. Nothing else is lost.
  void InvalidateHandles();
  // A power cut: resolves every unsynced change by the rules above. Also
  // invalidates handles.
  void PowerCut();

  // What the last PowerCut did, for tests and logs.
  struct CrashReport {
    int files_kept = 0;     // unsynced tails kept whole
    int files_dropped = 0;  // ... lost whole (reverted to the last Sync)
    int files_torn = 0;     // ... cut at a sector, maybe with garbage
    int dir_changes_kept = 0;
    int dir_changes_lost = 0;
  };
  const CrashReport& last_crash() const;

  struct Inode;
  struct Shared;

 private:
  // Resolves `path` to its inode, or returns an errno value.
  int Find(absl::string_view path, std::shared_ptr<Inode>* out);
  // Resolves the directory holding `path`'s last component, or returns an
  // errno value. `name` receives that component ("" for the root).
  int FindParent(absl::string_view path, std::shared_ptr<Inode>* dir,
                 std::string* name);

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<Inode> root_;
};

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_MEM_FILES_H_
