#include "transport/asio_runtime.h"

#include <errno.h>
#include <unistd.h>

// Boost 1.74 Asio uses std::exchange etc. without including <utility>; GCC
// 12 in C++20 mode no longer pulls it in transitively.
#include <utility>

#include <atomic>
#include <csignal>
#include <cassert>
#include <chrono>
#include <map>
#include <random>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "transport/posix_files.h"

namespace twinkv {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

// Durations beyond this are treated as "never" (and keep time_point
// arithmetic from overflowing).
constexpr absl::Duration kMaxDelay = absl::Hours(24 * 365 * 100);

SteadyClock::duration ToSteady(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d > kMaxDelay) d = kMaxDelay;
  return std::chrono::duration_cast<SteadyClock::duration>(
      absl::ToChronoNanoseconds(d));
}

NetError MapError(const ErrorCode& ec) {
  namespace e = asio::error;
  if (!ec) return NetError::kOk;
  if (ec == e::eof) return NetError::kClosed;
  if (ec == e::connection_reset || ec == e::broken_pipe ||
      ec == e::connection_aborted) {
    return NetError::kReset;
  }
  if (ec == e::connection_refused) return NetError::kRefused;
  if (ec == e::timed_out) return NetError::kTimedOut;
  // Only seen after our own close, whose callbacks are dropped anyway.
  if (ec == e::operation_aborted || ec == e::bad_descriptor) {
    return NetError::kClosed;
  }
  return NetError::kOther;
}

// "ip:port", or "[ip6]:port" as Redis's anetFormatAddr writes it.
std::string FormatEndpoint(const tcp::endpoint& ep) {
  asio::ip::address addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  if (addr.is_v6()) return absl::StrCat("[", addr.to_string(), "]:", ep.port());
  return absl::StrCat(addr.to_string(), ":", ep.port());
}

// ---------------------------------------------------------------------------
// Executor

class AsioExecutor final : public Executor {
 public:
  explicit AsioExecutor(asio::io_context& io) : io_(io), timer_(io) {}

  void Post(Task task) override {
    asio::post(io_, [t = std::move(task)]() mutable { std::move(t)(); });
  }

  TimerId Schedule(absl::Duration delay, Task task) override {
    const SteadyClock::time_point deadline = SteadyClock::now() + ToSteady(delay);
    const TimerId id = next_id_++;
    queue_.emplace(Key{deadline, id}, std::move(task));
    deadlines_.emplace(id, deadline);
    Arm();
    return id;
  }

  bool Cancel(TimerId id) override {
    auto it = deadlines_.find(id);
    if (it == deadlines_.end()) return false;
    auto node = queue_.extract(Key{it->second, id});
    deadlines_.erase(it);
    // `node` (and the task it holds) dies here, after the bookkeeping is
    // consistent: the task's destructor may itself Cancel or Schedule. The
    // asio timer stays armed; its wake-up finds nothing due and re-arms.
    return true;
  }

 private:
  struct Key {
    SteadyClock::time_point deadline;
    TimerId id;  // ids grow in schedule order: ties run FIFO
    bool operator<(const Key& o) const {
      return deadline != o.deadline ? deadline < o.deadline : id < o.id;
    }
  };

  // Makes sure a wake-up is pending no later than the earliest deadline.
  void Arm() {
    if (queue_.empty()) return;
    const SteadyClock::time_point first = queue_.begin()->first.deadline;
    if (wait_pending_ && armed_ <= first) return;
    armed_ = first;
    wait_pending_ = true;
    const uint64_t generation = ++generation_;
    timer_.expires_at(first);  // aborts the previous wait, if any
    timer_.async_wait([this, generation](const ErrorCode&) {
      // A superseded wait (aborted, or already queued when re-armed) does
      // nothing: the newer one is still pending.
      if (generation != generation_) return;
      wait_pending_ = false;
      RunDue();
      Arm();
    });
  }

  void RunDue() {
    const SteadyClock::time_point now = SteadyClock::now();
    // Re-read the queue every time: a task may cancel or add timers.
    while (!queue_.empty() && queue_.begin()->first.deadline <= now) {
      auto node = queue_.extract(queue_.begin());
      deadlines_.erase(node.key().id);
      std::move(node.mapped())();
    }
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  std::map<Key, Task> queue_;
  absl::flat_hash_map<TimerId, SteadyClock::time_point> deadlines_;
  TimerId next_id_ = 1;
  bool wait_pending_ = false;
  SteadyClock::time_point armed_;
  uint64_t generation_ = 0;
};

// ---------------------------------------------------------------------------
// Clock and Random

class SystemClock final : public Clock {
 public:
  absl::Duration Monotonic() override {
    return absl::FromChrono(SteadyClock::now().time_since_epoch());
  }
  absl::Time Now() override { return absl::Now(); }
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t Next64() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

uint64_t RandomSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

// ---------------------------------------------------------------------------
// Streams

// Shared between the Stream object and every pending handler, so that a
// handler that runs after Close() (with operation_aborted, or with a result
// that was already queued) finds `closed` set and drops the user callback.
struct StreamState {
  explicit StreamState(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  bool closed = false;
};

class AsioStream final : public Stream {
 public:
  explicit AsioStream(tcp::socket socket)
      : state_(std::make_shared<StreamState>(std::move(socket))) {
    ErrorCode ec;
    state_->socket.set_option(tcp::no_delay(true), ec);
    tcp::endpoint peer = state_->socket.remote_endpoint(ec);
    peer_ = ec ? "?:0" : FormatEndpoint(peer);
    tcp::endpoint local = state_->socket.local_endpoint(ec);
    local_ = ec ? "?:0" : FormatEndpoint(local);
  }

  ~AsioStream() override { Close(); }

  void Read(absl::Span<char> buf, ReadCallback done) override {
    assert(!buf.empty());  // a zero-byte read would complete with n == 0
    if (state_->closed) return;
    state_->socket.async_read_some(
        asio::buffer(buf.data(), buf.size()),
        [s = state_, done = std::move(done)](const ErrorCode& ec,
                                             size_t n) mutable {
          if (s->closed) return;
          if (ec) {
            std::move(done)(MapError(ec), 0);
          } else {
            std::move(done)(NetError::kOk, n);
          }
        });
  }

  void Write(absl::string_view data, WriteCallback done) override {
    if (state_->closed) return;
    asio::async_write(
        state_->socket, asio::buffer(data.data(), data.size()),
        [s = state_, done = std::move(done)](const ErrorCode& ec,
                                             size_t) mutable {
          if (s->closed) return;
          std::move(done)(MapError(ec));
        });
  }

  void Close() override {
    if (state_->closed) return;
    state_->closed = true;
    ErrorCode ec;
    state_->socket.close(ec);  // aborts pending operations
  }

  std::string PeerName() const override { return peer_; }
  std::string LocalName() const override { return local_; }

 private:
  std::shared_ptr<StreamState> state_;
  std::string peer_;
  std::string local_;
};

// ---------------------------------------------------------------------------
// Listeners

struct ListenerState : std::enable_shared_from_this<ListenerState> {
  ListenerState(asio::io_context& io, Network::AcceptCallback cb,
                absl::Duration delay, Logger& log)
      : acceptor(io),
        retry(io),
        on_accept(std::move(cb)),
        retry_delay(delay),
        logger(log) {}

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](const ErrorCode& ec,
                                                      tcp::socket socket) {
      if (self->closed) return;
      if (ec) {
        self->OnAcceptError(ec);
        return;
      }
      self->on_accept(std::make_unique<AsioStream>(std::move(socket)));
      // on_accept may have closed or destroyed the listener.
      if (!self->closed) self->Accept();
    });
  }

  void OnAcceptError(const ErrorCode& ec) {
    if (ec == asio::error::connection_aborted) {
      Accept();  // that one connection died before we took it
      return;
    }
    // Out of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM) or anything
    // unexpected: retrying at once would spin, since the pending connection
    // stays in the backlog.
    logger.Log(LogLevel::kWarning,
               absl::StrCat("Error accepting a client connection: ",
                            ec.message()));
    retry.expires_after(ToSteady(retry_delay));
    retry.async_wait([self = shared_from_this()](const ErrorCode&) {
      if (!self->closed) self->Accept();
    });
  }

  void Close() {
    if (closed) return;
    closed = true;
    ErrorCode ec;
    acceptor.close(ec);
    retry.cancel();
  }

  tcp::acceptor acceptor;
  asio::steady_timer retry;
  Network::AcceptCallback on_accept;
  const absl::Duration retry_delay;
  Logger& logger;
  bool closed = false;
  uint16_t port = 0;
};

class AsioListener final : public Listener {
 public:
  explicit AsioListener(std::shared_ptr<ListenerState> state)
      : state_(std::move(state)) {}
  ~AsioListener() override { Close(); }
  uint16_t port() const override { return state_->port; }
  void Close() override { state_->Close(); }

 private:
  std::shared_ptr<ListenerState> state_;
};

// ---------------------------------------------------------------------------
// Network

struct ConnectOp {
  explicit ConnectOp(asio::io_context& io)
      : resolver(io), socket(io), timer(io) {}
  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  bool finished = false;
  Network::ConnectCallback done;

  void Finish(NetError error) {
    if (finished) return;
    finished = true;
    timer.cancel();
    if (error != NetError::kOk) {
      ErrorCode ec;
      socket.close(ec);
      std::move(done)(error, nullptr);
      return;
    }
    std::move(done)(NetError::kOk,
                    std::make_unique<AsioStream>(std::move(socket)));
  }
};

class AsioNetwork final : public Network {
 public:
  AsioNetwork(asio::io_context& io, Logger& logger,
              absl::Duration accept_retry_delay)
      : io_(io), logger_(logger), accept_retry_delay_(accept_retry_delay) {}

  absl::StatusOr<std::unique_ptr<Listener>> Listen(
      const Address& address, AcceptCallback on_accept) override {
    const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
    std::vector<tcp::endpoint> endpoints;
    ErrorCode ec;
    asio::ip::address ip = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(ip, address.port);
    } else {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(host, std::to_string(address.port),
                                      tcp::resolver::passive, ec);
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat("resolve ", host, ": ", ec.message()));
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    auto state = std::make_shared<ListenerState>(
        io_, std::move(on_accept), accept_retry_delay_, logger_);
    ErrorCode last = asio::error::host_not_found;
    for (const tcp::endpoint& ep : endpoints) {
      tcp::acceptor& acceptor = state->acceptor;
      acceptor.open(ep.protocol(), last);
      if (last) continue;
      acceptor.set_option(tcp::acceptor::reuse_address(true), last);
      if (!last) acceptor.bind(ep, last);
      // 511 is Redis's default tcp-backlog.
      if (!last) acceptor.listen(511, last);
      if (!last) break;
      ErrorCode ignored;
      acceptor.close(ignored);
    }
    if (!state->acceptor.is_open()) {
      return absl::UnavailableError(absl::StrCat(
          "listen ", host, ":", address.port, ": ", last.message()));
    }
    state->port = state->acceptor.local_endpoint(ec).port();
    state->Accept();
    return std::unique_ptr<Listener>(new AsioListener(std::move(state)));
  }

  void Connect(const Address& address, absl::Duration timeout,
               ConnectCallback done) override {
    auto op = std::make_shared<ConnectOp>(io_);
    op->done = std::move(done);
    op->timer.expires_after(ToSteady(timeout));
    op->timer.async_wait([op](const ErrorCode&) {
      op->resolver.cancel();
      op->Finish(NetError::kTimedOut);  // no-op if already finished
    });
    ErrorCode ec;
    asio::ip::address ip = asio::ip::make_address(address.host, ec);
    if (!ec) {
      // Numeric: skip the resolver, whose async form runs on a thread.
      op->socket.async_connect(tcp::endpoint(ip, address.port),
                               [op](const ErrorCode& ec) {
                                 if (op->finished) return;
                                 op->Finish(MapError(ec));
                               });
      return;
    }
    op->resolver.async_resolve(
        address.host, std::to_string(address.port),
        [op](const ErrorCode& ec, tcp::resolver::results_type results) {
          if (op->finished) return;
          if (ec) {
            op->Finish(NetError::kOther);
            return;
          }
          asio::async_connect(
              op->socket, results,
              [op](const ErrorCode& ec, const tcp::endpoint&) {
                if (op->finished) return;
                op->Finish(MapError(ec));
              });
        });
  }

 private:
  asio::io_context& io_;
  Logger& logger_;
  const absl::Duration accept_retry_delay_;
};

struct SignalWatch {
  SignalWatch(asio::io_context& io, absl::AnyInvocable<void(int)> h)
      : set(io), handler(std::move(h)) {}

  void Wait() {
    set.async_wait([this](const ErrorCode& ec, int signal) {
      if (ec) return;  // cancelled: the runtime is going away
      handler(signal);
      Wait();
    });
  }

  asio::signal_set set;
  absl::AnyInvocable<void(int)> handler;
};

}  // namespace

// ---------------------------------------------------------------------------
// StderrLogger

StderrLogger::StderrLogger(LogLevel min_level, char role, std::FILE* out)
    : min_level_(min_level), role_(role), out_(out), pid_(::getpid()) {}

char StderrLogger::LevelMark(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return '.';
    case LogLevel::kVerbose:
      return '-';
    case LogLevel::kNotice:
      return '*';
    case LogLevel::kWarning:
      return '#';
  }
  return '?';
}

std::string StderrLogger::FormatLine(int pid, char role, absl::Time time,
                                     LogLevel level,
                                     absl::string_view message) {
  return absl::StrCat(
      pid, ":", absl::string_view(&role, 1), " ",
      absl::FormatTime("%d %b %Y %H:%M:%E3S", time, absl::LocalTimeZone()),
      " ", std::string(1, LevelMark(level)), " ", message, "\n");
}

void StderrLogger::Log(LogLevel level, absl::string_view message) {
  if (level < min_level_) return;
  std::string line = FormatLine(pid_, role_, absl::Now(), level, message);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

// ---------------------------------------------------------------------------
// AsioRuntime

struct AsioRuntime::Impl {
  explicit Impl(Options o)
      : options(o),
        io(1),
        work(asio::make_work_guard(io)),
        executor(io),
        seed(o.seed.has_value() ? *o.seed : RandomSeed()),
        random(seed),
        logger(o.min_log_level, o.log_role),
        network(io, logger, o.accept_retry_delay),
        // Thread-safe: the file system's sync thread hands results back.
        files([this](Task task) {
          asio::post(io, [t = std::move(task)]() mutable { std::move(t)(); });
        }) {}

  // A Stop() is consumed by the run call it interrupts, or by the next one.
  bool BeginRun() {
    if (stop_requested.exchange(false)) return false;
    io.restart();
    return true;
  }
  void EndRun() {
    if (io.stopped()) stop_requested.store(false);
  }

  const Options options;
  // Declared first so that it is destroyed last: sockets and timers below
  // deregister from it, and its destructor drops pending handlers.
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::atomic<bool> stop_requested{false};
  AsioExecutor executor;
  SystemClock clock;
  const uint64_t seed;
  SeededRandom random;
  StderrLogger logger;
  AsioNetwork network;
  // Destroyed before `io`: its destructor drains its sync thread, whose
  // last results are posted to `io` and dropped with it, never run.
  PosixFileSystem files;
  std::vector<std::unique_ptr<SignalWatch>> signals;
};

AsioRuntime::AsioRuntime() : AsioRuntime(Options()) {}
AsioRuntime::AsioRuntime(Options options)
    : impl_(std::make_unique<Impl>(options)) {}

AsioRuntime::~AsioRuntime() {
  for (auto& watch : impl_->signals) {
    ErrorCode ec;
    watch->set.cancel(ec);
  }
}

Executor& AsioRuntime::executor() { return impl_->executor; }
Clock& AsioRuntime::clock() { return impl_->clock; }
Random& AsioRuntime::random() { return impl_->random; }
Network& AsioRuntime::network() { return impl_->network; }
FileSystem& AsioRuntime::files() { return impl_->files; }
Logger& AsioRuntime::logger() { return impl_->logger; }
StderrLogger& AsioRuntime::stderr_logger() { return impl_->logger; }
uint64_t AsioRuntime::seed() const { return impl_->seed; }

void AsioRuntime::Run() {
  if (!impl_->BeginRun()) return;
  impl_->io.run();
  impl_->EndRun();
}

void AsioRuntime::Stop() {
  impl_->stop_requested.store(true);
  impl_->io.stop();
}

size_t AsioRuntime::RunFor(absl::Duration d) {
  if (!impl_->BeginRun()) return 0;
  size_t n = impl_->io.run_for(ToSteady(d));
  impl_->EndRun();
  return n;
}

bool AsioRuntime::RunUntil(const std::function<bool()>& done,
                           absl::Duration limit) {
  if (done()) return true;
  const SteadyClock::time_point deadline = SteadyClock::now() + ToSteady(limit);
  if (!impl_->BeginRun()) return done();
  while (!done()) {
    if (SteadyClock::now() >= deadline) return false;
    impl_->io.run_one_until(deadline);
    if (impl_->io.stopped()) {
      impl_->EndRun();
      return done();
    }
  }
  return true;
}

size_t AsioRuntime::Poll() {
  if (!impl_->BeginRun()) return 0;
  size_t n = impl_->io.poll();
  impl_->EndRun();
  return n;
}

void AsioRuntime::OnSignal(std::vector<int> signals,
                           absl::AnyInvocable<void(int)> handler) {
  auto watch = std::make_unique<SignalWatch>(impl_->io, std::move(handler));
  for (int s : signals) watch->set.add(s);
  watch->Wait();
  impl_->signals.push_back(std::move(watch));
}

void AsioRuntime::OnSignal(absl::AnyInvocable<void(int)> handler) {
  OnSignal({SIGINT, SIGTERM}, std::move(handler));
}

}  // namespace twinkv
