// PosixFileSystem: the production FileSystem, on POSIX file descriptors.
//
// Paths are used as given (relative ones resolve against the process's
// working directory). Append uses O_APPEND, ReadAt uses pread, Sync is
// fdatasync, SyncDir fsyncs a directory descriptor. errno maps to the codes
// runtime.h promises: ENOENT -> kNotFound, ENOSPC -> kResourceExhausted,
// EIO -> kDataLoss, EEXIST -> kAlreadyExists, anything else -> kInternal; the
// message reads "<operation> <path>: <strerror>".
//
// Threading contract: an object is used from one node's loop only. Calls
// block (they are plain syscalls), like Redis's own AOF writes. The one
// exception is File::SyncAsync: its fdatasync runs on the file system's
// background thread (one per PosixFileSystem, like Redis's bio thread for
// AOF fsyncs; started by the first SyncAsync, drained and joined by the
// destructor), which runs the jobs in call order and hands each result to
// the loop through the `post_to_loop` function given at construction.

#ifndef TWINKV_TRANSPORT_POSIX_FILES_H_
#define TWINKV_TRANSPORT_POSIX_FILES_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "transport/runtime.h"

namespace twinkv {

class PosixFileSystem final : public FileSystem {
 public:
  // Runs a task on the node's loop, after the tasks already posted (FIFO).
  // Called from the background thread: must be thread-safe.
  using PostToLoop = std::function<void(Task)>;

  // For tools without a loop: SyncAsync runs the fdatasync inline (the
  // caller blocks, as with Sync) and queues `done`, which runs only when the
  // owner calls RunCompletions(); completions still queued when the file
  // system is destroyed are dropped.
  PosixFileSystem();
  // For a node with a loop (AsioRuntime): SyncAsync never blocks; results
  // come back through `post_to_loop`.
  explicit PosixFileSystem(PostToLoop post_to_loop);
  // Waits for the queued SyncAsync jobs to run (their results are still
  // posted to the loop, which must outlive this), then joins the thread.
  // Files must be destroyed before their file system.
  ~PosixFileSystem() override;

  PosixFileSystem(const PosixFileSystem&) = delete;
  PosixFileSystem& operator=(const PosixFileSystem&) = delete;

  // Opening a directory fails with kInternal ("Is a directory") in every
  // mode, so that both worlds agree.
  absl::StatusOr<std::unique_ptr<File>> Open(absl::string_view path,
                                             OpenMode mode) override;
  absl::Status Rename(absl::string_view from, absl::string_view to) override;
  absl::Status SyncDir(absl::string_view dir) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view dir) override;
  // Removes a file or an empty directory (like remove(3)).
  absl::Status Remove(absl::string_view path) override;
  absl::Status CreateDir(absl::string_view dir) override;
  bool Exists(absl::string_view path) override;

  // Only without a loop: runs the queued SyncAsync completions, in call
  // order, and returns how many ran. Those their callbacks queue wait for
  // the next call.
  size_t RunCompletions();

  // The background sync thread and its queue (shared with the open files).
  class SyncWorker;

 private:
  std::shared_ptr<SyncWorker> worker_;
};

}  // namespace twinkv

#endif  // TWINKV_TRANSPORT_POSIX_FILES_H_
