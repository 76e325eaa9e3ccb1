#include "transport/posix_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace twinkv {
namespace {

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  absl::Status Append(absl::string_view data) override {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "write", path_);
      }
      // A short write is not an error by itself; the next write reports one
      // if the disk is really full.
      p += n;
      left -= static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadAt(uint64_t offset,
                                absl::Span<char> out) override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                          static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "read", path_);
      }
      if (n == 0) break;  // EOF
      done += static_cast<size_t>(n);
    }
    return done;
  }

  absl::Status Sync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return ErrnoToStatus(errno, "fdatasync", path_);
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return ErrnoToStatus(errno, "ftruncate", path_);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoToStatus(errno, "fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  const int fd_;
  const std::string path_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<File>> PosixFileSystem::Open(
    absl::string_view path, OpenMode mode) {
  std::string p(path);
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kRead:
      flags |= O_RDONLY;
      break;
    case OpenMode::kAppend:
      flags |= O_RDWR | O_APPEND | O_CREAT;
      break;
    case OpenMode::kTruncate:
      flags |= O_RDWR | O_APPEND | O_CREAT | O_TRUNC;
      break;
  }
  int fd;
  do {
    fd = ::open(p.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, "open", p);
  // open(O_RDONLY) succeeds on a directory; reads would then fail with
  // EISDIR. Fail now instead, as the write modes do.
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return ErrnoToStatus(EISDIR, "open", p);
  }
  return std::unique_ptr<File>(new PosixFile(fd, std::move(p)));
}

absl::Status PosixFileSystem::Rename(absl::string_view from,
                                     absl::string_view to) {
  std::string f(from), t(to);
  if (::rename(f.c_str(), t.c_str()) != 0) {
    return ErrnoToStatus(errno, "rename", absl::StrCat(f, " -> ", t));
  }
  return absl::OkStatus();
}

absl::Status PosixFileSystem::SyncDir(absl::string_view dir) {
  std::string d(dir);
  int fd;
  do {
    fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, "open", d);
  absl::Status status;
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      status = ErrnoToStatus(errno, "fsync", d);
      break;
    }
  }
  ::close(fd);
  return status;
}

absl::StatusOr<std::vector<std::string>> PosixFileSystem::List(
    absl::string_view dir) {
  std::string d(dir);
  DIR* handle = ::opendir(d.c_str());
  if (handle == nullptr) return ErrnoToStatus(errno, "opendir", d);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(handle);
    if (entry == nullptr) {
      if (errno != 0) {
        int err = errno;
        ::closedir(handle);
        return ErrnoToStatus(err, "readdir", d);
      }
      break;
    }
    absl::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status PosixFileSystem::Remove(absl::string_view path) {
  std::string p(path);
  if (::unlink(p.c_str()) == 0) return absl::OkStatus();
  int err = errno;
  if (err == EISDIR || err == EPERM) {
    // Linux reports EISDIR for a directory; POSIX allows EPERM.
    if (::rmdir(p.c_str()) == 0) return absl::OkStatus();
    err = errno;
  }
  return ErrnoToStatus(err, "remove", p);
}

absl::Status PosixFileSystem::CreateDir(absl::string_view dir) {
  std::string d(dir);
  if (::mkdir(d.c_str(), 0755) == 0) return absl::OkStatus();
  int err = errno;
  if (err == EEXIST) {
    struct stat st;
    if (::stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
  }
  return ErrnoToStatus(err, "mkdir", d);
}

bool PosixFileSystem::Exists(absl::string_view path) {
  std::string p(path);
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

}  // namespace twinkv
