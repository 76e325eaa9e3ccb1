#include "core/client/client.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace twinkv {
namespace {

// Bytes asked for per read.
constexpr size_t kReadChunk = 16 * 1024;
// The consumed prefix of the input is dropped once it is this large and
// more than half of the buffer.
constexpr size_t kCompactInput = 64 * 1024;

// A command as a RESP array of bulk strings, as clients send it. (The AOF
// has the same encoder, but depending on //core:aof would pull the engine
// into every client.)
constexpr absl::string_view kNotSentTimeout =
    "request timed out before it was sent";

std::string EncodeCommand(const std::vector<std::string>& args) {
  size_t size = 16;
  for (const std::string& a : args) size += a.size() + 16;
  std::string out;
  out.reserve(size);
  absl::StrAppend(&out, "*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(&out, "$", a.size(), "\r\n");
    out.append(a);
    out.append("\r\n");
  }
  return out;
}

}  // namespace

// Requests live in two queues: `queue` (not yet handed to a Write) and
// `sent` (written, or being written, and not yet answered), each in send
// order. A request that completes early (timeout) stays in its queue as a
// tombstone (`done`): an unwritten one is skipped by the writer, a written
// one has its reply read and dropped, so later replies stay matched.
//
// Completions (and Close's `done`s) are never run where they arise: they
// are appended to `completions` and run from a posted task (or at the end
// of the destructor), once the client's state is consistent. A
// continuation may therefore call Send, Close, or destroy the client.
struct Client::Impl {
  struct Request {
    std::string bytes;
    Promise<ReplyOrError> promise;
    TimerId timer = 0;
    bool heartbeat = false;
    bool handshake = false;  // ClientOptions::handshake: internal too
    bool done = false;  // completed (timed out); only a tombstone remains
  };
  using RequestPtr = std::unique_ptr<Request>;

  Impl(Runtime& runtime, ClientOptions options)
      : runtime(runtime), options(std::move(options)) {}

  Executor& executor() { return runtime.executor(); }
  absl::Duration Now() { return runtime.clock().Monotonic(); }

  // --- Requests. ---

  Future<ReplyOrError> Send(std::vector<std::string> args,
                            absl::Duration timeout) {
    if (closing || state == State::kClosed) {
      ++stats.cancelled;
      return Future<ReplyOrError>::Ready(
          absl::CancelledError("client closed: the request was not sent"));
    }
    if (args.empty()) {
      return Future<ReplyOrError>::Ready(
          absl::InvalidArgumentError("empty command"));
    }
    auto req = std::make_unique<Request>();
    req->bytes = EncodeCommand(args);
    if (queued_bytes + req->bytes.size() > options.max_queued_bytes) {
      return Future<ReplyOrError>::Ready(absl::ResourceExhaustedError(
          absl::StrCat("client queue full: ", queued_bytes,
                       " bytes of commands wait to be sent (max ",
                       options.max_queued_bytes, ")")));
    }
    if (timeout <= absl::ZeroDuration()) timeout = options.request_timeout;
    Future<ReplyOrError> future = req->promise.GetFuture();
    Request* raw = req.get();
    raw->timer = executor().Schedule(timeout, [this, raw] { OnTimeout(raw); });
    queued_bytes += raw->bytes.size();
    ++pending_count;
    queue.push_back(std::move(req));
    ScheduleWrite();
    return future;
  }

  // Writes from a posted task, so the requests sent in one turn of the
  // loop (a pipeline, a proxy's forwards) leave in one write, not one
  // system call each.
  void ScheduleWrite() {
    PostOnce(&write_posted, [this](const std::weak_ptr<bool>&) {
      MaybeWrite();
    });
  }

  // Posts `run` unless a task of the same `*posted` flag is pending (or
  // the client is being destroyed); the task clears the flag first.
  template <typename Fn>
  void PostOnce(bool* posted, Fn run) {
    if (*posted || destroying) return;
    *posted = true;
    std::weak_ptr<bool> weak = alive;
    executor().Post([this, weak, posted, run = std::move(run)]() mutable {
      if (weak.expired()) return;
      *posted = false;
      run(weak);
    });
  }

  // Appends a completion; runs it from a posted task.
  void Complete(Request& req, ReplyOrError value) {
    req.done = true;
    if (req.timer != 0) {
      executor().Cancel(req.timer);
      req.timer = 0;
    }
    if (req.heartbeat || req.handshake) return;
    --pending_count;
    completions.push_back(
        [p = std::move(req.promise), v = std::move(value)]() mutable {
          p.SetValue(std::move(v));
        });
    ScheduleFlush();
  }

  void ScheduleFlush() {
    PostOnce(&flush_posted, [this](const std::weak_ptr<bool>& weak) {
      RunCompletions(weak);
    });
  }

  // Runs completions in order. A continuation may destroy the client (the
  // destructor then runs the rest) or append more (they run here too).
  void RunCompletions(const std::weak_ptr<bool>& weak) {
    while (!weak.expired() && !completions.empty()) {
      Task next = std::move(completions.front());
      completions.pop_front();
      std::move(next)();
    }
  }

  void OnTimeout(Request* req) {
    req->timer = 0;
    ++stats.timeouts;
    if (req->bytes.empty()) {
      // Written (the writer frees the bytes it hands over).
      Complete(*req, absl::DeadlineExceededError(
                         "request timed out after it was sent: the server "
                         "may still run it"));
    } else {
      queued_bytes -= req->bytes.size();
      std::string().swap(req->bytes);
      Complete(*req, absl::DeadlineExceededError(
                         kNotSentTimeout));
    }
    MaybeFinishClose();
  }

  // --- Writing. ---

  void MaybeWrite() {
    if (state != State::kConnected && state != State::kClosing) return;
    if (stream == nullptr || write_in_flight) return;
    writing.clear();
    size_t count = 0;
    while (!queue.empty()) {
      // Requests wait for the handshake's replies: none may run on a
      // connection that refused it.
      if (handshake_pending > 0 && !queue.front()->handshake) break;
      RequestPtr req = std::move(queue.front());
      queue.pop_front();
      if (req->done) continue;  // timed out before it was sent
      queued_bytes -= req->bytes.size();
      writing.append(req->bytes);
      std::string().swap(req->bytes);
      if (!req->heartbeat && !req->handshake) ++count;
      sent.push_back(std::move(req));
    }
    if (writing.empty()) return;
    stats.sent += count;
    ++stats.writes;
    last_activity = Now();
    write_in_flight = true;
    stream->Write(writing, [this](NetError error) {
      write_in_flight = false;
      if (error != NetError::kOk) {
        ConnectionLost(absl::StrCat("write failed: ", NetErrorName(error)));
        return;
      }
      if (writing.capacity() > kCompactInput) std::string().swap(writing);
      MaybeWrite();
    });
  }

  // --- Reading. ---

  void ReadMore() {
    if (stream == nullptr || read_in_flight) return;
    if (input.size() - input_pos < kReadChunk) {
      if (input_pos > kCompactInput && input_pos * 2 > input.size()) {
        input.erase(0, input_pos);
        input_pos = 0;
      }
    }
    const size_t old = input.size();
    input.resize(old + kReadChunk);
    read_in_flight = true;
    stream->Read(absl::MakeSpan(input.data() + old, kReadChunk),
                 [this, old](NetError error, size_t n) {
                   read_in_flight = false;
                   input.resize(old + n);
                   if (error != NetError::kOk) {
                     ConnectionLost(absl::StrCat("read failed: ",
                                                 NetErrorName(error)));
                     return;
                   }
                   last_activity = last_received = Now();
                   if (!ProcessInput()) return;
                   ReadMore();
                 });
  }

  // Matches every complete reply; false if the connection was dropped.
  bool ProcessInput() {
    while (input_pos < input.size()) {
      Reply reply;
      const ReplyDecoder::Result result = decoder.Decode(
          absl::string_view(input).substr(input_pos), &reply);
      if (result == ReplyDecoder::kNeedMore) break;
      if (result == ReplyDecoder::kError) {
        ConnectionLost(absl::StrCat("bad reply: ", decoder.error()));
        return false;
      }
      input_pos += decoder.consumed();
      if (sent.empty()) {
        ConnectionLost("reply without a request");
        return false;
      }
      RequestPtr req = std::move(sent.front());
      sent.pop_front();
      if (req->heartbeat) {
        heartbeat_outstanding = false;
        if (heartbeat_timer != 0) {
          executor().Cancel(heartbeat_timer);
          heartbeat_timer = 0;
        }
        continue;
      }
      if (req->handshake) {
        if (reply.is_error()) {
          ConnectionLost(absl::StrCat("handshake refused: ", reply.str));
          return false;
        }
        if (--handshake_pending == 0) MaybeWrite();
        continue;
      }
      if (req->done) continue;  // timed out: the reply is dropped
      ++stats.replies;
      Complete(*req, std::move(reply));
    }
    if (input_pos == input.size()) {
      input.clear();
      input_pos = 0;
    }
    MaybeFinishClose();
    return stream != nullptr;
  }

  // --- Connection. ---

  void StartConnect() {
    state = closing ? State::kClosing : State::kConnecting;
    const uint64_t gen = ++connect_gen;
    std::weak_ptr<bool> weak = alive;
    runtime.network().Connect(
        options.address, options.connect_timeout,
        [this, weak, gen](NetError error, std::unique_ptr<Stream> s) {
          if (weak.expired() || gen != connect_gen || stream != nullptr ||
              state == State::kClosed) {
            if (s) s->Close();
            return;
          }
          if (error != NetError::kOk) {
            ++stats.connect_failures;
            StartBackoff();
            return;
          }
          OnConnected(std::move(s));
        });
  }

  void OnConnected(std::unique_ptr<Stream> s) {
    ++stats.connects;
    stream = std::move(s);
    // The handshake goes first on every connection, ahead of whatever
    // waits (requests queued during the backoff included).
    for (auto it = options.handshake.rbegin(); it != options.handshake.rend();
         ++it) {
      auto req = std::make_unique<Request>();
      req->handshake = true;
      ++handshake_pending;
      req->bytes = EncodeCommand(*it);
      queued_bytes += req->bytes.size();
      queue.push_front(std::move(req));
    }
    state = closing ? State::kClosing : State::kConnected;
    attempts = 0;
    last_activity = last_received = Now();
    ArmIdleTimer(options.heartbeat_interval);
    ReadMore();
    MaybeWrite();
  }

  void StartBackoff() {
    if (state == State::kClosed) return;
    const absl::Duration cap = std::min(
        options.backoff_max,
        options.backoff_initial * static_cast<double>(uint64_t{1}
                                                      << std::min(attempts, 40)));
    ++attempts;
    const int64_t cap_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(cap));
    const absl::Duration delay = absl::Nanoseconds(static_cast<int64_t>(
        runtime.random().Uniform(static_cast<uint64_t>(cap_ns) + 1)));
    state = closing ? State::kClosing : State::kBackoff;
    backoff_timer = executor().Schedule(delay, [this] {
      backoff_timer = 0;
      StartConnect();
    });
  }

  // The connection is gone: written requests become unknown, unwritten
  // ones wait for the next connection.
  void ConnectionLost(absl::string_view why) {
    runtime.logger().Log(
        LogLevel::kVerbose,
        absl::StrCat("client of ", options.address.host, ":",
                     options.address.port, ": connection lost: ", why));
    DropStream();
    for (RequestPtr& req : sent) {
      if (req->done) continue;
      if (req->heartbeat || req->handshake) {
        req->done = true;
        continue;
      }
      ++stats.unknown;
      Complete(*req, absl::UnknownError(
                         "connection lost before the reply: the outcome is "
                         "unknown, the command may or may not have run"));
    }
    sent.clear();
    // A heartbeat not yet written is pointless on a new connection.
    for (RequestPtr& req : queue) {
      if ((req->heartbeat || req->handshake) && !req->done) {
        queued_bytes -= req->bytes.size();
        req->done = true;
      }
    }
    if (closing && MaybeFinishClose()) return;
    if (state != State::kClosed) StartBackoff();
  }

  // Closes the stream (deleted from a fresh task: we may be inside its
  // callback) and stops the per-connection timers.
  void DropStream() {
    if (idle_timer != 0) executor().Cancel(idle_timer);
    if (heartbeat_timer != 0) executor().Cancel(heartbeat_timer);
    idle_timer = heartbeat_timer = 0;
    heartbeat_outstanding = false;
    handshake_pending = 0;
    read_in_flight = write_in_flight = false;
    input.clear();
    input_pos = 0;
    decoder = ReplyDecoder();
    if (stream != nullptr) {
      stream->Close();
      if (destroying) {
        stream.reset();  // not inside one of its callbacks
      } else {
        Stream* raw = stream.release();
        executor().Post([raw] { delete raw; });
      }
    }
  }

  // --- Heartbeat. ---

  void ArmIdleTimer(absl::Duration delay) {
    idle_timer = executor().Schedule(delay, [this] {
      idle_timer = 0;
      OnIdleTimer();
    });
  }

  void OnIdleTimer() {
    if (stream == nullptr) return;
    // The oldest request awaiting a reply has timed out (its caller has
    // given up) and nothing at all came back for heartbeat_timeout: the
    // connection is silent (a black hole, a dead peer behind a live route).
    // Requests keep being written, so it never looks idle; replace it.
    if (!sent.empty() && sent.front()->done &&
        Now() - last_received >= options.heartbeat_timeout) {
      ConnectionLost("no reply since the oldest request timed out");
      return;
    }
    // A handshake has no timeout of its own, and the requests wait behind
    // it unsent: a peer that went silent right after the connect (a power
    // cut) would hold them for good.
    if (handshake_pending > 0 &&
        Now() - last_received >= options.heartbeat_timeout) {
      ConnectionLost("no reply to the handshake");
      return;
    }
    const absl::Duration idle = Now() - last_activity;
    // Only a connection with nothing to wait for is pinged: a PING queued
    // behind a blocking command (BLPOP 0) would wait as long as it does and
    // kill a healthy connection. Requests in flight have their timeouts.
    if (!sent.empty() || heartbeat_outstanding) {
      ArmIdleTimer(options.heartbeat_interval);
      return;
    }
    if (idle < options.heartbeat_interval) {
      ArmIdleTimer(std::max(options.heartbeat_interval - idle,
                            absl::Milliseconds(1)));
      return;
    }
    auto req = std::make_unique<Request>();
    req->heartbeat = true;
    req->bytes = EncodeCommand({"PING"});
    queued_bytes += req->bytes.size();
    queue.push_back(std::move(req));
    ++stats.heartbeats;
    heartbeat_outstanding = true;
    heartbeat_timer =
        executor().Schedule(options.heartbeat_timeout, [this] {
          heartbeat_timer = 0;
          ConnectionLost("heartbeat timed out");
        });
    MaybeWrite();
    ArmIdleTimer(options.heartbeat_interval);
  }

  // --- Close. ---

  void Close(absl::AnyInvocable<void() &&> done) {
    close_waiters.push_back(std::move(done));
    if (state == State::kClosed) {
      FlushCloseWaiters();
      return;
    }
    if (closing) return;
    closing = true;
    state = State::kClosing;
    grace_timer = executor().Schedule(options.close_grace, [this] {
      grace_timer = 0;
      Abort();
      FinishClose();
    });
    if (!MaybeFinishClose()) MaybeWrite();
  }

  // Completes everything still pending: kUnknown if written, else
  // kCancelled.
  void Abort() {
    for (RequestPtr& req : sent) {
      if (req->done || req->heartbeat || req->handshake) continue;
      ++stats.unknown;
      Complete(*req, absl::UnknownError(
                         "client closed before the reply: the outcome is "
                         "unknown, the command may or may not have run"));
    }
    for (RequestPtr& req : queue) {
      if (req->done || req->heartbeat || req->handshake) continue;
      ++stats.cancelled;
      queued_bytes -= req->bytes.size();
      Complete(*req, absl::CancelledError(
                         "client closed: the request was not sent"));
    }
  }

  // Finishes a graceful close once nothing is pending. True if closed.
  bool MaybeFinishClose() {
    if (state == State::kClosed) return true;
    if (!closing || pending_count > 0) return false;
    FinishClose();
    return true;
  }

  void FinishClose() {
    state = State::kClosed;
    DropStream();
    if (backoff_timer != 0) executor().Cancel(backoff_timer);
    if (grace_timer != 0) executor().Cancel(grace_timer);
    backoff_timer = grace_timer = 0;
    ++connect_gen;  // a connect under way is dropped when it answers
    for (RequestPtr& req : sent) {
      if (req->timer != 0) executor().Cancel(req->timer);
    }
    for (RequestPtr& req : queue) {
      if (req->timer != 0) executor().Cancel(req->timer);
    }
    sent.clear();
    queue.clear();
    queued_bytes = 0;
    FlushCloseWaiters();
  }

  void FlushCloseWaiters() {
    for (auto& done : close_waiters) completions.push_back(std::move(done));
    close_waiters.clear();
    if (!completions.empty()) ScheduleFlush();
  }

  // The destructor's half: everything completes now, nothing runs later.
  void Destroy() {
    destroying = true;
    closing = true;
    Abort();
    FinishClose();
    // Continuations may still call Send (it fails: closed), not destroy
    // the client a second time.
    while (!completions.empty()) {
      Task next = std::move(completions.front());
      completions.pop_front();
      std::move(next)();
    }
    alive.reset();
  }

  Runtime& runtime;
  const ClientOptions options;
  ClientStats stats;
  State state = State::kConnecting;
  bool closing = false;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  std::unique_ptr<Stream> stream;
  uint64_t connect_gen = 0;
  int attempts = 0;  // consecutive connect attempts since the last success
  TimerId backoff_timer = 0;

  std::deque<RequestPtr> queue;  // not yet written
  std::deque<RequestPtr> sent;   // written, reply not yet read
  size_t queued_bytes = 0;
  size_t pending_count = 0;  // callers' requests not yet completed

  std::string writing;
  bool write_in_flight = false;
  std::string input;  // [input_pos, size) not yet decoded
  size_t input_pos = 0;
  bool read_in_flight = false;
  ReplyDecoder decoder;

  absl::Duration last_activity;  // last byte sent or received
  absl::Duration last_received;  // last byte received
  TimerId idle_timer = 0;
  TimerId heartbeat_timer = 0;
  bool heartbeat_outstanding = false;
  // Handshake commands of the current connection not yet answered;
  // requests are not written before it is zero.
  int handshake_pending = 0;

  TimerId grace_timer = 0;
  std::vector<absl::AnyInvocable<void() &&>> close_waiters;

  std::deque<Task> completions;
  bool flush_posted = false;
  bool write_posted = false;
  bool destroying = false;  // nothing may be posted any more
};

Client::Client(Runtime& runtime, ClientOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {
  impl_->StartConnect();
}

Client::~Client() { impl_->Destroy(); }

Future<ReplyOrError> Client::Send(std::vector<std::string> args,
                                  absl::Duration timeout) {
  return impl_->Send(std::move(args), timeout);
}

void Client::Close(absl::AnyInvocable<void() &&> done) {
  impl_->Close(std::move(done));
}

Client::State Client::state() const { return impl_->state; }

bool Client::healthy() const {
  return !impl_->closing && impl_->state != State::kClosed;
}

size_t Client::pending() const { return impl_->pending_count; }

const ClientStats& Client::stats() const { return impl_->stats; }

const ClientOptions& Client::options() const { return impl_->options; }

bool NeverSent(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kResourceExhausted:
      return true;
    case absl::StatusCode::kDeadlineExceeded:
      return status.message() == kNotSentTimeout;
    default:
      return false;
  }
}

}  // namespace twinkv
