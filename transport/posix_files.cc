#include "transport/posix_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace twinkv {
namespace {

// An open descriptor and its path, shared by a File and its queued
// SyncAsync jobs: the descriptor closes when the last of them is done, so a
// job never syncs a closed (or reused) descriptor number.
struct Handle {
  Handle(int fd, std::string path) : fd(fd), path(std::move(path)) {}
  ~Handle() { ::close(fd); }
  const int fd;
  const std::string path;
};

absl::Status SyncHandle(const Handle& h) {
  while (::fdatasync(h.fd) != 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, "fdatasync", h.path);
  }
  return absl::OkStatus();
}

}  // namespace

class PosixFileSystem::SyncWorker {
 public:
  explicit SyncWorker(PostToLoop post) : post_(std::move(post)) {}
  ~SyncWorker() { Shutdown(); }

  // Queues an fdatasync of `handle`; `done` gets its result on the loop.
  void Submit(std::shared_ptr<const Handle> handle,
              std::function<void(absl::Status)> done) {
    absl::MutexLock lock(&mu_);
    // After Shutdown the node is gone: nothing may call back (runtime.h).
    if (stopping_) return;
    if (!post_) {
      // No loop: sync now, report when the owner asks.
      completions_.emplace_back(std::move(done), SyncHandle(*handle));
      return;
    }
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    jobs_.push_back(Job{std::move(handle), std::move(done)});
  }

  // Lets the thread finish the queued jobs, then joins it. Idempotent.
  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
    std::deque<std::pair<std::function<void(absl::Status)>, absl::Status>>
        dropped;
    absl::MutexLock lock(&mu_);
    dropped.swap(completions_);
  }

  size_t RunCompletions() {
    // Those queued by the callbacks wait for the next call.
    std::deque<std::pair<std::function<void(absl::Status)>, absl::Status>>
        ready;
    {
      absl::MutexLock lock(&mu_);
      ready.swap(completions_);
    }
    for (auto& [done, status] : ready) done(std::move(status));
    return ready.size();
  }

 private:
  struct Job {
    std::shared_ptr<const Handle> handle;
    std::function<void(absl::Status)> done;
  };

  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !jobs_.empty();
  }

  void Loop() {
    for (;;) {
      Job job;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &SyncWorker::HasWorkOrStopping));
        if (jobs_.empty()) return;  // stopping, and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      absl::Status status = SyncHandle(*job.handle);
      job.handle.reset();  // may close the descriptor, off the loop
      // One thread posting in job order: the loop sees them in call order.
      post_([done = std::move(job.done), status = std::move(status)]() mutable {
        done(std::move(status));
      });
    }
  }

  const PostToLoop post_;
  absl::Mutex mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Started by the first Submit; touched by the loop's thread only.
  std::thread thread_;
  // Without a loop only.
  std::deque<std::pair<std::function<void(absl::Status)>, absl::Status>>
      completions_ ABSL_GUARDED_BY(mu_);
};

namespace {

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path,
            std::shared_ptr<PosixFileSystem::SyncWorker> worker)
      : handle_(std::make_shared<Handle>(fd, std::move(path))),
        fd_(handle_->fd),
        path_(handle_->path),
        worker_(std::move(worker)) {}

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

  absl::Status Sync() override { return SyncHandle(*handle_); }

  void SyncAsync(std::function<void(absl::Status)> done) override {
    worker_->Submit(handle_, std::move(done));
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
  const std::shared_ptr<const Handle> handle_;
  const int fd_;
  const std::string& path_;
  const std::shared_ptr<PosixFileSystem::SyncWorker> worker_;
};

}  // namespace

PosixFileSystem::PosixFileSystem() : PosixFileSystem(PostToLoop()) {}

PosixFileSystem::PosixFileSystem(PostToLoop post_to_loop)
    : worker_(std::make_shared<SyncWorker>(std::move(post_to_loop))) {}

PosixFileSystem::~PosixFileSystem() { worker_->Shutdown(); }

size_t PosixFileSystem::RunCompletions() { return worker_->RunCompletions(); }

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
  return std::unique_ptr<File>(new PosixFile(fd, std::move(p), worker_));
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
