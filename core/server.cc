#include "core/server.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "core/fault_points.h"
#include "core/resp/request_parser.h"
#include "core/resp/reply_writer.h"

namespace twinkv {
namespace {

// Bytes asked for per read when nothing better is known.
constexpr size_t kReadChunk = 16 * 1024;
// Largest read we size for a big bulk string being received.
constexpr size_t kMaxReadChunk = 1 << 20;
// An output buffer whose capacity grew past this is released once drained,
// so one large reply does not pin memory for the connection's lifetime.
constexpr size_t kKeepOutputCapacity = 64 * 1024;

// Replies a connection may have still to come (reply slots) before it
// runs no further command: bounds the forwards one client keeps in flight.
constexpr size_t kMaxOpenSlots = 256;

// The connection's input: bytes [begin_, end_) are unconsumed. Unlike a
// std::string it does not zero-fill the space a read may use.
class InputBuffer {
 public:
  absl::string_view pending() const {
    return absl::string_view(data_.get() + begin_, end_ - begin_);
  }
  size_t pending_size() const { return end_ - begin_; }

  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_ && !reading_) begin_ = end_ = 0;
  }

  // While a read is in flight, the span Space() gave it must stay where
  // it is: no rewinding, shrinking or reallocating (a blocked or paused
  // client's input is consumed on resume while its next read waits).
  void set_reading(bool reading) { reading_ = reading; }

  // Room for at least `want` more bytes at the end; compacts or grows.
  absl::Span<char> Space(size_t want) {
    if (capacity_ - end_ >= want) return Tail();
    if (begin_ > 0) {
      memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (capacity_ - end_ >= want) return Tail();
    }
    size_t new_capacity = std::max(capacity_ * 2, end_ + want);
    std::unique_ptr<char[]> bigger(new char[new_capacity]);
    if (end_ > 0) memcpy(bigger.get(), data_.get(), end_);
    data_ = std::move(bigger);
    capacity_ = new_capacity;
    return Tail();
  }

  void Commit(size_t n) { end_ += n; }

  // Gives back a large allocation once it is empty.
  void MaybeShrink() {
    if (begin_ == end_ && capacity_ > 4 * kReadChunk && !reading_) {
      data_.reset();
      capacity_ = begin_ = end_ = 0;
    }
  }

  // Moves the pending bytes into an allocation of exactly their size (none
  // when empty), for kFaultServerCompactInput.
  void Reallocate() {
    if (reading_) return;
    const size_t n = end_ - begin_;
    std::unique_ptr<char[]> exact(n > 0 ? new char[n] : nullptr);
    if (n > 0) memcpy(exact.get(), data_.get() + begin_, n);
    data_ = std::move(exact);
    capacity_ = end_ = n;
    begin_ = 0;
  }

 private:
  absl::Span<char> Tail() {
    return absl::Span<char>(data_.get() + end_, capacity_ - end_);
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool reading_ = false;
};

// Parses the canonical client-output-buffer-limit string (three classes of
// "<class> <hard> <soft> <seconds>", as ConfigTable writes it).
void ParseOutputLimits(absl::string_view text,
                       Server::OutputLimit (&limits)[3]) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(text, ' ', absl::SkipEmpty());
  for (size_t i = 0; i + 3 < parts.size(); i += 4) {
    int cls = -1;
    if (parts[i] == "normal") cls = Server::kNormalClass;
    if (parts[i] == "pubsub") cls = Server::kPubSubClass;
    if (parts[i] == "slave" || parts[i] == "replica") cls = 1;
    if (cls < 0) continue;
    Server::OutputLimit& l = limits[cls];
    if (!absl::SimpleAtoi(parts[i + 1], &l.hard_bytes)) l.hard_bytes = 0;
    if (!absl::SimpleAtoi(parts[i + 2], &l.soft_bytes)) l.soft_bytes = 0;
    if (!absl::SimpleAtoi(parts[i + 3], &l.soft_seconds)) l.soft_seconds = 0;
  }
}

// `authenticated`: whether the client may skip Redis's pre-AUTH limits.
// "ip" or "[ip]" (or a bind entry, with its optional "-") -> whether it is
// a loopback address.
bool IsLoopbackHost(absl::string_view host) {
  if (!host.empty() && host.front() == '-') host.remove_prefix(1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return absl::StartsWith(host, "127.") || host == "::1" ||
         host == "localhost" || absl::StartsWith(host, "::ffff:127.");
}

// "ip:port" -> "ip".
absl::string_view HostOf(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  return colon == absl::string_view::npos ? peer : peer.substr(0, colon);
}

// Redis's protected mode: on, no password, some bind address beyond
// loopback, and the peer not on loopback.
bool ProtectedModeRefuses(const Config& config, absl::string_view peer) {
  if (!config.protected_mode || !config.requirepass.empty()) return false;
  bool beyond_loopback = false;
  for (const std::string& host : config.bind) {
    if (host.empty() || !IsLoopbackHost(host)) beyond_loopback = true;
  }
  const absl::string_view peer_host = HostOf(peer);
  return beyond_loopback && !peer_host.empty() && !IsLoopbackHost(peer_host);
}

RequestLimits LimitsFrom(const Config& config, bool authenticated) {
  RequestLimits limits;
  limits.max_bulk_len = config.proto_max_bulk_len;
  limits.unauthenticated = !authenticated;
  return limits;
}

}  // namespace

// A Connection is its client's BlockedClientSink: while a blocking command
// waits, the connection keeps reading (to notice a disconnect) but runs
// none of the client's further commands; once the engine has written the
// reply into writer_, a fresh task flushes it and resumes the input. It
// holds reply slots too: a routed command's reply may get a place in out_
// (ReserveReply) while the client's next commands run, their replies
// appended behind it; Flush sends only what lies before the first open
// slot, and a command the engine does not let run ahead (MayRunAhead)
// waits, unparsed, until a slot is filled.
//
// It is also its client's PushSink: a published message lands in out_ with
// the replies, and a fresh task writes it. Whatever is appended to out_
// (replies and messages) is checked against client-output-buffer-limit for
// the client's class (pubsub while it has subscriptions, else normal): past
// the hard limit, or past the soft limit for longer than its seconds, the
// client is closed at once, its pending output dropped, as Redis does.
class Server::Connection : public BlockedClientSink, public PushSink {
 public:
  Connection(Server& server, std::unique_ptr<Stream> stream, uint64_t id)
      : server_(server),
        stream_(std::move(stream)),
        parser_(LimitsFrom(server.engine_.config(),
                           server.engine_.config().requirepass.empty())),
        writer_(&out_) {
    client_.id = id;
    client_.peer = stream_->PeerName();
    client_.local = stream_->LocalName();
    client_.sink = this;
    client_.push_sink = this;
    // As Redis: a client that connects while no password is set stays
    // authenticated if one is set later.
    client_.authenticated = server.engine_.config().requirepass.empty();
    client_.created_ms = client_.last_interaction_ms =
        server.engine_.NowMs();
    client_.kill = [this] {
      // CLIENT KILL from another client's command: close from a fresh
      // task, never under the engine's feet.
      client_.close_after_reply = true;
      std::weak_ptr<bool> alive = alive_;
      server_.runtime_.executor().Post([this, alive] {
        if (!alive.expired()) Finish();
      });
    };
    server.engine_.RegisterClient(&client_);
  }

  ~Connection() override {
    server_.engine_.UnregisterClient(&client_);
    server_.engine_.UnblockClient(client_);
    server_.engine_.pubsub().RemoveClient(client_);
    if (read_pause_timer_ != 0) {
      server_.runtime_.executor().Cancel(read_pause_timer_);
    }
  }

  void Start() { ReadMore(); }

  // Shutdown: no more reads; close once what was already produced is sent.
  void Drain() {
    draining_ = true;
    if (!write_in_flight_ && out_.empty() && slots_.empty()) Finish();
    Flush();
  }

  // Closes now, whatever is pending.
  void Abort() { Finish(); }

  bool finished() const { return finished_; }
  const ClientState& client() const { return client_; }

  ReplyWriter& blocked_reply_writer() override { return writer_; }

  ReplyWriter& push_writer() override { return writer_; }

  void OnPushWritten() override {
    if (EnforceOutputLimits()) return;
    // Not from here: we are inside the publisher's command. One task
    // writes however many messages arrive before it runs.
    DeferFlush();
  }

  size_t pending_output() const { return out_.size() + writing_.size(); }

  void OnUnblocked() override {
    NoteLogPosition();  // the served command's change is logged by now
    if (EnforceOutputLimits()) return;
    PostResume();
  }

  uint64_t ReserveReply() override {
    if (finished_ || obuf_closing_) return 0;
    slots_.push_back(ReplySlot{++next_slot_, out_.size()});
    return next_slot_;
  }

  void FillReply(uint64_t slot,
                 absl::FunctionRef<void(ReplyWriter&)> write) override {
    auto it = std::find_if(slots_.begin(), slots_.end(),
                           [&](const ReplySlot& s) { return s.id == slot; });
    if (it == slots_.end()) return;  // dropped (output limit)
    const size_t at = it->offset;
    std::string bytes;
    ReplyWriter writer(&bytes, client_.protocol);
    write(writer);
    out_.insert(at, bytes);
    for (auto later = it + 1; later != slots_.end(); ++later) {
      later->offset += bytes.size();
    }
    slots_.erase(it);
    NoteLogPosition();  // a local part's change is logged by now
    if (EnforceOutputLimits()) return;
    PostResume();
  }

  bool has_open_slots() const { return !slots_.empty(); }

 private:
  void ReadMore() {
    if (read_in_flight_ || read_pause_timer_ != 0 || finished_ || draining_ ||
        client_.close_after_reply)
      return;
    if (out_.size() + writing_.size() > kMaxPendingOutput) return;
    Runtime& runtime = server_.runtime_;
    if (runtime.Buggify(kFaultServerReadPause)) {
      read_pause_timer_ = runtime.executor().Schedule(
          absl::Milliseconds(1 + runtime.random().Uniform(20)), [this] {
            read_pause_timer_ = 0;
            ReadMore();
          });
      return;
    }
    size_t want = kReadChunk;
    if (size_t pending = parser_.bulk_bytes_pending(); pending > want) {
      want = std::min(pending, kMaxReadChunk);
    }
    absl::Span<char> space = input_.Space(want);
    if (runtime.Buggify(kFaultServerShortRead)) {
      space = space.subspan(0, 1 + runtime.random().Uniform(7));
    }
    read_in_flight_ = true;
    input_.set_reading(true);
    stream_->Read(space, [this](NetError error, size_t n) {
      read_in_flight_ = false;
      input_.set_reading(false);
      OnRead(error, n);
    });
  }

  void OnRead(NetError error, size_t n) {
    if (error != NetError::kOk) {
      // The peer went away (or closed its sending side). Replies already
      // produced still go out if the stream lets them.
      client_.close_after_reply = true;
      if (!write_in_flight_ && out_.empty() && slots_.empty()) Finish();
      return;
    }
    if (draining_) return;
    client_.last_interaction_ms = server_.engine_.NowMs();
    input_.Commit(n);
    ProcessInput();
    server_.MaybeArmIdleTimer();
    if (server_.runtime_.Buggify(kFaultServerDeferFlush)) {
      DeferFlush();
    } else {
      Flush();
    }
    ReadMore();
  }

  // Runs the held input, flushes and reads on, from a fresh task (we may
  // be inside the engine). The task runs before the one that would
  // destroy this connection (FIFO).
  void PostResume() {
    if (resume_posted_) return;
    resume_posted_ = true;
    server_.runtime_.executor().Post([this] {
      resume_posted_ = false;
      if (finished_) return;
      ProcessInput();
      Flush();
      ReadMore();
    });
  }

  // Flushes from a fresh task. The task runs before the one that would
  // destroy this connection: Finish() posts that one later (FIFO).
  void DeferFlush() {
    if (flush_posted_) return;
    flush_posted_ = true;
    server_.runtime_.executor().Post([this] {
      flush_posted_ = false;
      Flush();
    });
  }

  void ProcessInput() {
    Engine& engine = server_.engine_;
    int64_t now_ms = engine.NowMs();
    if ((client_.blocked || !slots_.empty()) &&
        input_.pending_size() >
            static_cast<size_t>(engine.config().client_query_buffer_limit)) {
      // Pipelining behind a blocked command still has the buffer limit.
      client_.close_after_reply = true;
      return;
    }
    while (!client_.close_after_reply && !client_.blocked) {
      RequestParser::Result result = parser_.Parse(input_.pending());
      if (result == RequestParser::kCommand) {
        // Replies still to come (reply slots): the command runs ahead of
        // them only if the engine allows it; else it waits, unconsumed,
        // and is parsed again once a slot is filled.
        if (!slots_.empty() && (slots_.size() >= kMaxOpenSlots ||
                                !engine.MayRunAhead(client_, parser_.args()))) {
          break;
        }
        writer_.set_protocol(client_.protocol);
        if (server_.engine_.command_log() != nullptr) {
          client_.raw_request = CanonicalCommandBytes(
              input_.pending().substr(0, parser_.consumed()), parser_.args());
        }
        engine.Execute(client_, parser_.args(), writer_, now_ms);
        client_.raw_request = absl::string_view();
        if (parser_.limits().unauthenticated == client_.authenticated) {
          parser_.set_limits(
              LimitsFrom(engine.config(), client_.authenticated));
        }
        NoteLogPosition();
        input_.Consume(parser_.consumed());
        if (EnforceOutputLimits()) return;
        continue;
      }
      if (result == RequestParser::kNeedMore) {
        input_.Consume(parser_.consumed());
        if (input_.pending_size() >
            static_cast<size_t>(engine.config().client_query_buffer_limit)) {
          server_.runtime_.logger().Log(
              LogLevel::kWarning,
              absl::StrCat("Closing client that reached max query buffer "
                           "length: id=", client_.id, " addr=", client_.peer));
          client_.close_after_reply = true;
        }
        if (server_.runtime_.Buggify(kFaultServerCompactInput)) {
          input_.Reallocate();
        } else {
          input_.MaybeShrink();
        }
        break;
      }
      // Protocol error: answer, then close once the answer is out.
      writer_.Error(absl::StrCat("ERR ", parser_.error()));
      server_.runtime_.logger().Log(
          LogLevel::kVerbose,
          absl::StrCat("Protocol error (", parser_.error(), ") from client: id=",
                       client_.id, " addr=", client_.peer));
      client_.close_after_reply = true;
    }
  }

  // The replies produced so far may go out once the command log is
  // acknowledged up to here.
  void NoteLogPosition() {
    if (CommandLog* log = server_.engine_.command_log()) {
      wait_pos_ = std::max(wait_pos_, log->appended());
    }
  }

  void Flush() {
    if (write_in_flight_ || finished_ || awaiting_log_) return;
    // What may go out: everything before the first open reply slot.
    const size_t ready = slots_.empty() ? out_.size() : slots_.front().offset;
    if (ready == 0) {
      if (out_.empty() && slots_.empty() &&
          (client_.close_after_reply || draining_)) {
        Finish();
      }
      return;
    }
    // A reply goes out only once the log has the changes it reports, and
    // any change it may have seen (no dirty reads): with appendfsync
    // always, fsynced.
    CommandLog* log = server_.engine_.command_log();
    if (log != nullptr &&
        wait_pos_ > std::max(acked_pos_, log->acknowledged())) {
      awaiting_log_ = true;
      const uint64_t pos = wait_pos_;
      std::weak_ptr<bool> alive = alive_;
      log->WhenAcknowledged(pos, [this, alive, pos](bool ok) {
        if (alive.expired()) return;
        awaiting_log_ = false;
        if (!ok) {
          // The log failed: these replies must never be seen. The client
          // sees the connection drop, an unknown outcome, as after a crash.
          Finish();
          return;
        }
        acked_pos_ = std::max(acked_pos_, pos);
        Flush();
        ReadMore();
      });
      return;
    }
    size_t cut = ready;
    if (ready >= 2 && server_.runtime_.Buggify(kFaultServerSplitWrite)) {
      // The tail goes out with the next write (OnWritten flushes again).
      cut = 1 + server_.runtime_.random().Uniform(ready - 1);
    }
    if (cut == out_.size()) {
      writing_.swap(out_);
    } else {
      writing_.assign(out_, 0, cut);
      out_.erase(0, cut);
    }
    for (ReplySlot& slot : slots_) slot.offset -= cut;
    write_in_flight_ = true;
    stream_->Write(writing_, [this](NetError error) {
      write_in_flight_ = false;
      OnWritten(error);
    });
  }

  void OnWritten(NetError error) {
    if (error != NetError::kOk) {
      Finish();
      return;
    }
    writing_.clear();
    if (writing_.capacity() > kKeepOutputCapacity) {
      std::string().swap(writing_);
    }
    Flush();
    ReadMore();  // reading may have paused on pending output
  }

  // Applies client-output-buffer-limit to what waits in out_ and writing_.
  // Returns true if the client is (now or already) being closed for it:
  // its output is dropped and it is closed from a fresh task (this may run
  // inside the engine, which must not see the client vanish under it).
  bool EnforceOutputLimits() {
    if (obuf_closing_) {
      out_.clear();
      return true;
    }
    const Server::OutputLimit& limit = server_.output_limit(
        client_.subscriptions > 0 ? kPubSubClass : kNormalClass);
    if (limit.hard_bytes == 0 && limit.soft_bytes == 0) return false;
    const int64_t used = static_cast<int64_t>(pending_output());
    bool over = limit.hard_bytes > 0 && used >= limit.hard_bytes;
    if (!over && limit.soft_bytes > 0 && used >= limit.soft_bytes) {
      const absl::Duration now = server_.runtime_.clock().Monotonic();
      if (!soft_limit_since_.has_value()) {
        soft_limit_since_ = now;
      } else {
        over = now - *soft_limit_since_ > absl::Seconds(limit.soft_seconds);
      }
    } else if (!over) {
      soft_limit_since_.reset();
    }
    if (!over) return false;
    obuf_closing_ = true;
    ++server_.output_limit_disconnections_;
    server_.runtime_.logger().Log(
        LogLevel::kWarning,
        absl::StrCat("Client id=", client_.id, " addr=", client_.peer,
                     " name=", client_.name, " omem=", used,
                     " scheduled to be closed ASAP for overcoming of output "
                     "buffer limits."));
    client_.close_after_reply = true;
    std::string().swap(out_);
    slots_.clear();
    std::weak_ptr<bool> alive = alive_;
    server_.runtime_.executor().Post([this, alive] {
      if (!alive.expired()) Finish();
    });
    return true;
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    server_.engine_.UnregisterClient(&client_);
    server_.engine_.UnblockClient(client_);
    server_.engine_.pubsub().RemoveClient(client_);
    stream_->Close();
    server_.Release(this);
  }

  Server& server_;
  std::unique_ptr<Stream> stream_;
  RequestParser parser_;
  InputBuffer input_;
  std::string out_;      // replies not yet handed to the stream
  std::string writing_;  // replies being written
  ReplyWriter writer_;
  ClientState client_;
  bool read_in_flight_ = false;
  bool write_in_flight_ = false;
  bool draining_ = false;
  bool finished_ = false;
  bool flush_posted_ = false;
  bool resume_posted_ = false;
  // Reply slots (BlockedClientSink::ReserveReply): where in out_ each
  // reply still to come goes, in output order.
  struct ReplySlot {
    uint64_t id = 0;
    size_t offset = 0;
  };
  std::deque<ReplySlot> slots_;
  uint64_t next_slot_ = 0;
  bool awaiting_log_ = false;  // replies wait for CommandLog acknowledgement
  uint64_t wait_pos_ = 0;      // log position the unsent replies need
  uint64_t acked_pos_ = 0;     // log position acknowledged to us
  TimerId read_pause_timer_ = 0;  // kFaultServerReadPause
  // Since when the output has been over the soft limit (unset: it is not).
  std::optional<absl::Duration> soft_limit_since_;
  bool obuf_closing_ = false;  // closing for client-output-buffer-limit
  // Callbacks that may outlive the connection check it is still there.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

Server::Server(Runtime& runtime, Engine& engine)
    : runtime_(runtime), engine_(engine) {}

const Server::OutputLimit& Server::output_limit(int client_class) {
  const std::string& text = engine_.config().client_output_buffer_limit;
  if (text != output_limits_text_) {
    output_limits_text_ = text;
    for (OutputLimit& l : output_limits_) l = OutputLimit();
    ParseOutputLimits(text, output_limits_);
  }
  return output_limits_[client_class];
}

size_t Server::max_client_output_bytes() const {
  size_t most = 0;
  for (const auto& [raw, owned] : connections_) {
    most = std::max(most, raw->pending_output());
  }
  return most;
}

size_t Server::total_client_output_bytes() const {
  size_t total = 0;
  for (const auto& [raw, owned] : connections_) total += raw->pending_output();
  return total;
}

Server::~Server() {
  if (shutdown_timer_ != 0) runtime_.executor().Cancel(shutdown_timer_);
  if (idle_timer_ != 0) runtime_.executor().Cancel(idle_timer_);
}

void Server::MaybeArmIdleTimer() {
  if (idle_timer_ != 0 || shutting_down_ || connections_.empty() ||
      engine_.config().timeout_s <= 0) {
    return;
  }
  // Redis's clientsCron checks about once a second too.
  idle_timer_ = runtime_.executor().Schedule(absl::Seconds(1), [this] {
    idle_timer_ = 0;
    CloseIdleClients();
  });
}

void Server::CloseIdleClients() {
  const int64_t timeout_s = engine_.config().timeout_s;
  if (timeout_s <= 0) return;
  const int64_t now_ms = engine_.NowMs();
  std::vector<Connection*> idle;
  for (const auto& [raw, owned] : connections_) {
    const ClientState& c = raw->client();
    // Blocked clients have their own timeout; subscribers wait for
    // messages by design (Redis's clientsCronHandleTimeout).
    if (raw->finished() || c.blocked || raw->has_open_slots() ||
        c.subscriptions > 0) {
      continue;
    }
    if (now_ms - c.last_interaction_ms > timeout_s * 1000) idle.push_back(raw);
  }
  for (Connection* c : idle) {
    runtime_.logger().Log(LogLevel::kVerbose, "Closing idle client");
    c->Abort();
  }
  MaybeArmIdleTimer();
}

absl::Status Server::Start() {
  const Config& config = engine_.config();
  for (const std::string& host : config.bind) {
    // Listening on port 0 picks a port; the other addresses then follow it.
    uint16_t port = port_ != 0 ? port_ : static_cast<uint16_t>(config.port);
    absl::StatusOr<std::unique_ptr<Listener>> listener =
        runtime_.network().Listen(
            Address{host, port},
            [this](std::unique_ptr<Stream> stream) {
              OnAccept(std::move(stream));
            });
    if (!listener.ok()) {
      listeners_.clear();
      port_ = 0;
      return absl::Status(
          listener.status().code(),
          absl::StrCat("Could not create server TCP listening socket ", host,
                       ":", port, ": ", listener.status().message()));
    }
    if (port_ == 0) port_ = (*listener)->port();
    listeners_.push_back(std::move(*listener));
  }
  return absl::OkStatus();
}

void Server::OnAccept(std::unique_ptr<Stream> stream) {
  if (shutting_down_) {
    stream->Close();
    return;
  }
  ++engine_.stats().connections_received;
  if (connections_.size() >= static_cast<size_t>(engine_.config().maxclients)) {
    // Like Redis: tell the client why, best effort, then drop it. The
    // stream is deleted from a fresh task, never inside its own callback.
    static constexpr absl::string_view kMaxClients =
        "-ERR max number of clients reached\r\n";
    ++engine_.stats().rejected_connections;
    Stream* raw = stream.release();
    raw->Write(kMaxClients, [this, raw](NetError) {
      raw->Close();
      runtime_.executor().Post([raw] { delete raw; });
    });
    return;
  }
  if (ProtectedModeRefuses(engine_.config(), stream->PeerName())) {
    // Redis's protected mode: no password, listening beyond loopback, and
    // a client from elsewhere: say why, then drop it.
    ++engine_.stats().rejected_connections;
    auto message = std::make_shared<std::string>(
        absl::StrCat("-", kProtectedModeErr, "\r\n"));
    Stream* raw = stream.release();
    raw->Write(*message, [this, raw, message](NetError) {
      raw->Close();
      runtime_.executor().Post([raw] { delete raw; });
    });
    return;
  }
  auto connection =
      std::make_unique<Connection>(*this, std::move(stream), next_client_id_++);
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  raw->Start();
  MaybeArmIdleTimer();
}

void Server::Release(Connection* connection) {
  runtime_.executor().Post([this, connection] {
    connections_.erase(connection);
    MaybeFinishShutdown();
  });
}

void Server::Shutdown(absl::AnyInvocable<void() &&> done) {
  shutdown_waiters_.push_back(std::move(done));
  if (shutting_down_) return;
  shutting_down_ = true;
  for (auto& listener : listeners_) listener->Close();
  listeners_.clear();
  std::vector<Connection*> all;
  all.reserve(connections_.size());
  for (auto& [raw, owned] : connections_) all.push_back(raw);
  for (Connection* c : all) c->Drain();
  shutdown_timer_ = runtime_.executor().Schedule(kShutdownGrace, [this] {
    shutdown_timer_ = 0;
    std::vector<Connection*> stragglers;
    for (auto& [raw, owned] : connections_) stragglers.push_back(raw);
    for (Connection* c : stragglers) c->Abort();
  });
  // With no connections at all, finish from a fresh task.
  runtime_.executor().Post([this] { MaybeFinishShutdown(); });
}

void Server::MaybeFinishShutdown() {
  if (!shutting_down_ || !connections_.empty() || shutdown_waiters_.empty()) {
    return;
  }
  if (shutdown_timer_ != 0) {
    runtime_.executor().Cancel(shutdown_timer_);
    shutdown_timer_ = 0;
  }
  std::vector<absl::AnyInvocable<void() &&>> waiters;
  waiters.swap(shutdown_waiters_);
  for (auto& waiter : waiters) std::move(waiter)();
}

}  // namespace twinkv
