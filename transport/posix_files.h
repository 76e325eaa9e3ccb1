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
// block (they are plain syscalls), like Redis's own AOF writes.

#ifndef TWINKV_TRANSPORT_POSIX_FILES_H_
#define TWINKV_TRANSPORT_POSIX_FILES_H_

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
  PosixFileSystem() = default;

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
};

}  // namespace twinkv

#endif  // TWINKV_TRANSPORT_POSIX_FILES_H_
