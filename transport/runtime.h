// The runtime seam: everything core/ may know about the world.
//
// One Runtime per node (a server process or a client process), passed
// explicitly; never a global. It offers an executor with timers, a monotonic
// and a wall clock, seeded randomness, a byte-stream network, files and a log
// sink. Production implements it with Boost.Asio and POSIX (transport/
// asio_runtime.h); tests implement it with a deterministic simulator (sim/).
//
// Threading contract: a node is single-threaded, like Redis. Every method of
// every interface here is called from the node's loop, and every callback is
// invoked from that loop, never inline from the call that registered it
// (callbacks never re-enter their caller). No interface carries a backend type.
//
// Strings are absl::string_view: Debian's Abseil is built with its own
// string_view type, so the whole project uses that one.

#ifndef TWINKV_TRANSPORT_RUNTIME_H_
#define TWINKV_TRANSPORT_RUNTIME_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace twinkv {

// A one-shot unit of work.
using Task = absl::AnyInvocable<void() &&>;

// Identifies a scheduled timer; 0 is never a valid id.
using TimerId = uint64_t;

class Executor {
 public:
  virtual ~Executor() = default;

  // Runs `task` on the loop after every task already posted (FIFO).
  virtual void Post(Task task) = 0;

  // Runs `task` once `delay` (>= 0) has passed on the monotonic clock.
  // Timers due at the same instant run in the order they were scheduled.
  virtual TimerId Schedule(absl::Duration delay, Task task) = 0;

  // Cancels a timer that has not run. Returns false if it already ran, was
  // already cancelled, or never existed. Safe to call from any task.
  virtual bool Cancel(TimerId id) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;

  // Time since an arbitrary epoch; never decreases. Timers run on this clock.
  virtual absl::Duration Monotonic() = 0;

  // Wall-clock time; may jump forwards or backwards (NTP, operators).
  virtual absl::Time Now() = 0;
};

// Seeded randomness. In simulation it derives from the run's seed.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next64() = 0;

  // Uniform in [0, n); n must be > 0. (Multiply-shift: bias is negligible
  // for the n we use.)
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(Next64()) * n) >> 64);
  }
  // True with probability p.
  bool Bernoulli(double p) {
    return static_cast<double>(Next64() >> 11) * 0x1.0p-53 < p;
  }
};

// Why a network operation ended. kOk means success.
enum class NetError : uint8_t {
  kOk = 0,
  kClosed,    // the peer closed its side cleanly (EOF), or we closed
  kReset,     // the connection was reset (RST, broken pipe)
  kRefused,   // nothing listens at the address
  kTimedOut,  // connect or operation timed out
  kOther,     // anything else (unreachable, bad address, out of sockets)
};

// "ok", "closed", "reset", "refused", "timed out", "other".
absl::string_view NetErrorName(NetError e);

struct Address {
  std::string host;  // numeric IP or a name the backend resolves
  uint16_t port = 0;
};

// A connected, ordered, reliable byte stream (TCP semantics).
//
// At most one Read and one Write may be outstanding at a time. Destroying the
// stream or calling Close() cancels what is outstanding: after Close() returns
// (or the destructor runs) no callback of this stream is ever invoked, so a
// callback may safely capture the stream's owner; Read and Write called after
// Close() never call back either. Closing with unread input resets the peer
// (the peer sees kReset, as on Linux); otherwise the peer reads what was
// written, then kClosed.
class Stream {
 public:
  using ReadCallback = absl::AnyInvocable<void(NetError, size_t) &&>;
  using WriteCallback = absl::AnyInvocable<void(NetError) &&>;

  virtual ~Stream() = default;

  // Requires buf.size() >= 1.
  // Waits until at least one byte is available (or an error), copies up to
  // buf.size() bytes into `buf` (which must stay valid until the callback)
  // and calls done(kOk, n) with n >= 1; or done(error, 0). A clean EOF is
  // kClosed. After a reset, bytes that had already arrived are still
  // returned before kReset (as on Linux).
  virtual void Read(absl::Span<char> buf, ReadCallback done) = 0;

  // Writes all of `data` (which must stay valid until the callback), then
  // calls done(kOk); or done(error) if the stream broke first, in which case
  // an unknown prefix of `data` may have reached the peer.
  virtual void Write(absl::string_view data, WriteCallback done) = 0;

  // Closes both directions at once. Idempotent.
  virtual void Close() = 0;

  // The peer as "ip:port", for logs and CLIENT LIST.
  virtual std::string PeerName() const = 0;
  // Our end as "ip:port".
  virtual std::string LocalName() const = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;  // stops accepting
  // The port actually bound (useful after listening on port 0).
  virtual uint16_t port() const = 0;
  // Stops accepting; already accepted streams are unaffected. Idempotent.
  virtual void Close() = 0;
};

class Network {
 public:
  using AcceptCallback = absl::AnyInvocable<void(std::unique_ptr<Stream>)>;
  using ConnectCallback =
      absl::AnyInvocable<void(NetError, std::unique_ptr<Stream>) &&>;

  virtual ~Network() = default;

  // Binds and listens; on_accept runs once per accepted connection until the
  // listener is closed or destroyed. Fails with kUnavailable when the
  // address cannot be bound (in use, not local). Transient accept failures (out of file
  // descriptors) are retried by the backend, not reported.
  virtual absl::StatusOr<std::unique_ptr<Listener>> Listen(
      const Address& address, AcceptCallback on_accept) = 0;

  // Connects; calls done(kOk, stream) or done(error, nullptr). Gives up with
  // kTimedOut after `timeout`.
  virtual void Connect(const Address& address, absl::Duration timeout,
                       ConnectCallback done) = 0;
};

// An open file. Writes go to the end (Append); reads are positional.
// Durability only at Sync(): until then a crash may keep, drop or tear any
// appended bytes (the simulator does all three).
//
// Errors are absl::Status with codes: kNotFound (ENOENT), kResourceExhausted
// (ENOSPC), kDataLoss (EIO), kAlreadyExists, kInternal (anything else); the
// message names the path and the OS error.
class File {
 public:
  virtual ~File() = default;  // closes

  // Appends all of `data`. On error an unknown prefix may have been written.
  virtual absl::Status Append(absl::string_view data) = 0;

  // Reads up to out.size() bytes at `offset`; returns the count, 0 at EOF.
  virtual absl::StatusOr<size_t> ReadAt(uint64_t offset,
                                        absl::Span<char> out) = 0;

  // Makes everything appended so far durable (fdatasync).
  virtual absl::Status Sync() = 0;

  // Sync without blocking the node's loop: starts making everything
  // appended so far durable and returns at once; `done` runs later, on the
  // node's loop (never inside this call), with what Sync() would have
  // returned. Appends made after the call may or may not be covered. Several
  // may be in flight; their `done`s run in call order. `done` runs even if
  // the File is destroyed first (the sync still happens); it never runs if
  // the node dies first (a simulated crash, the loop stopped for good).
  // Production runs the fdatasync on a background thread, like Redis's
  // bio; the simulator completes it after a simulated disk latency.
  virtual void SyncAsync(std::function<void(absl::Status)> done) = 0;

  // Cuts or extends the file to `size` bytes.
  virtual absl::Status Truncate(uint64_t size) = 0;

  // Current size, including unsynced appends.
  virtual absl::StatusOr<uint64_t> Size() = 0;
};

// The Status a file operation `op` on `path` failing with errno `err`
// returns, with the codes above and the message "<op> <path>: <strerror>".
// Both worlds use it, so they fail alike.
absl::Status ErrnoToStatus(int err, absl::string_view op,
                           absl::string_view path);

enum class OpenMode : uint8_t {
  kRead,      // existing file, read only
  kAppend,    // read and append; created empty if missing
  kTruncate,  // read and append; created, or emptied if it exists
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens a regular file; opening a directory fails (kInternal).
  virtual absl::StatusOr<std::unique_ptr<File>> Open(absl::string_view path,
                                                     OpenMode mode) = 0;
  // Atomically replaces `to` with `from` (POSIX rename). Durable only after
  // SyncDir of the directory.
  virtual absl::Status Rename(absl::string_view from, absl::string_view to) = 0;
  // Makes creations, renames and removals in `dir` durable.
  virtual absl::Status SyncDir(absl::string_view dir) = 0;
  // Names (not paths) of the entries of `dir`, sorted, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> List(
      absl::string_view dir) = 0;
  // Removes a file or an empty directory.
  virtual absl::Status Remove(absl::string_view path) = 0;
  // Creates `dir`; OK if it already exists as a directory.
  virtual absl::Status CreateDir(absl::string_view dir) = 0;
  virtual bool Exists(absl::string_view path) = 0;
};

// Redis's log levels.
enum class LogLevel : uint8_t { kDebug, kVerbose, kNotice, kWarning };

// Where a node's log lines go. Production writes them to stderr with a
// timestamp and level; the simulator keeps or drops them.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, absl::string_view message) = 0;
};

// The world as one node sees it.
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual Executor& executor() = 0;
  virtual Clock& clock() = 0;
  virtual Random& random() = 0;
  virtual Network& network() = 0;
  virtual FileSystem& files() = 0;
  virtual Logger& logger() = 0;

  // A named fault-injection point, like FoundationDB's BUGGIFY: production
  // code asks "should this point misbehave now?" at a place where a rare
  // but legal behaviour can be forced (a short write, a slow path, an early
  // timeout). Always false outside the simulator; the simulator decides per
  // run which points are enabled and how often they fire, and reports which
  // fired. `point` names a row of kFaultPoints (core/fault_points.h).
  virtual bool Buggify(absl::string_view point) { return false; }
};

}  // namespace twinkv

#endif  // TWINKV_TRANSPORT_RUNTIME_H_
