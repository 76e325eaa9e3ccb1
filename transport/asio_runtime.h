// AsioRuntime: the production Runtime, one single-threaded
// boost::asio::io_context per node, POSIX files, the system clocks.
//
// Threading contract: every method, and every method of the interfaces it
// hands out, is called from the thread that runs the loop (Run, RunFor,
// RunUntil, Poll), or before the loop starts. The one exception is Stop(),
// which any thread may call. Callbacks run on that thread, from the loop,
// never inline from the call that registered them.
//
// Lifetime: every Stream, Listener and File obtained from a runtime must be
// destroyed before the runtime. Pending callbacks are dropped, not invoked,
// when the runtime is destroyed; File::SyncAsync jobs already queued still
// run (the destructor waits for them), but their callbacks are dropped too.
//
// Files: File::SyncAsync runs fdatasync on the file system's background
// thread (posix_files.h), which posts each result to this loop; it is the
// one thread besides the loop's.
//
// Timers: the executor keeps its own queue ordered by (deadline, schedule
// order) behind a single asio steady_timer, so timers due at the same instant
// run in the order they were scheduled and Cancel() is exact: a cancelled
// task is destroyed and never runs. (Plain asio steady_timers only give that
// order on a best-effort basis.)
//
// Boost headers stay in the .cc: including this header is cheap.

#ifndef TWINKV_TRANSPORT_ASIO_RUNTIME_H_
#define TWINKV_TRANSPORT_ASIO_RUNTIME_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "transport/runtime.h"

namespace twinkv {

// Writes lines in Redis's format:
//   <pid>:<role> 21 Nov 2026 05:33:12.123 * message
// where the level mark is '.' debug, '-' verbose, '*' notice, '#' warning.
// Lines below `min_level` are dropped. Each line is one fwrite + fflush.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kNotice,
                        char role = 'M', std::FILE* out = stderr);

  void Log(LogLevel level, absl::string_view message) override;

  void set_min_level(LogLevel level) { min_level_ = level; }
  LogLevel min_level() const { return min_level_; }

  // One formatted line with its trailing newline, in local time.
  static std::string FormatLine(int pid, char role, absl::Time time,
                                LogLevel level, absl::string_view message);
  static char LevelMark(LogLevel level);

 private:
  LogLevel min_level_;
  const char role_;
  std::FILE* const out_;
  const int pid_;
};

class AsioRuntime final : public Runtime {
 public:
  struct Options {
    // The seed of random(); drawn from std::random_device when unset.
    std::optional<uint64_t> seed;
    LogLevel min_log_level = LogLevel::kNotice;
    // Redis's role mark in log lines ('M' for a server, 'C' for a child).
    char log_role = 'M';
    // How long the accept loop waits before retrying after running out of
    // file descriptors (EMFILE/ENFILE/ENOBUFS/ENOMEM).
    absl::Duration accept_retry_delay = absl::Milliseconds(100);
  };

  AsioRuntime();
  explicit AsioRuntime(Options options);
  ~AsioRuntime() override;

  AsioRuntime(const AsioRuntime&) = delete;
  AsioRuntime& operator=(const AsioRuntime&) = delete;

  Executor& executor() override;
  Clock& clock() override;
  Random& random() override;
  Network& network() override;
  FileSystem& files() override;
  Logger& logger() override;

  // The seed random() was built from (log it to replay a run).
  uint64_t seed() const;

  // Runs the loop until Stop(); the loop does not stop when it runs out of
  // work. A Stop() that came before Run() makes Run() return at once.
  void Run();
  // Makes Run() (or RunFor/RunUntil) return after the handler in progress.
  // Safe from any thread and from signal callbacks.
  void Stop();

  // Runs the loop for about `d` of real time (or until Stop()). Returns the
  // number of handlers run. For tests and tools.
  size_t RunFor(absl::Duration d);
  // Runs the loop until `done()` is true, checking it after every handler,
  // or until `limit` of real time has passed. Returns done().
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit);
  // Runs the handlers that are ready now, without blocking. Returns the
  // number run.
  size_t Poll();

  // Delivers `signals` (e.g. SIGINT, SIGTERM) to `handler` on the loop,
  // instead of their default action, until the runtime is destroyed. At
  // most one registration per signal number.
  void OnSignal(std::vector<int> signals,
                absl::AnyInvocable<void(int)> handler);
  // The usual case: SIGINT and SIGTERM, Redis's shutdown signals.
  void OnSignal(absl::AnyInvocable<void(int)> handler);

  // Not part of Runtime, for tests: the StderrLogger behind logger().
  StderrLogger& stderr_logger();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinkv

#endif  // TWINKV_TRANSPORT_ASIO_RUNTIME_H_
