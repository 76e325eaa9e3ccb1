// The engine: keyspace, configuration and command table of one server node,
// and the dispatcher that runs one command against them.
//
// Engine knows nothing of connections; the network server (core/server.h)
// and tests feed it parsed commands. Everything it needs from the world
// (the clock, timers) comes from the Runtime it is given.
//
// Active expiry: the engine keeps at most one runtime timer, armed for the
// earliest expiry time recorded in any database (none when no key has a
// TTL: an idle server does no periodic work). When it fires, a cycle
// deletes due keys for at most kExpireCycleBudget of monotonic time or
// kExpireCycleMaxRecords wheel records, then re-arms: at once (a zero-delay
// timer, so clients get their turn in between) if more is due, else at the
// next expiry time.
//
// Single-threaded: all calls from the node's loop.

#ifndef TWINKV_CORE_ENGINE_H_
#define TWINKV_CORE_ENGINE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "core/command.h"
#include "core/config.h"
#include "core/db.h"
#include "core/resp/reply_writer.h"
#include "transport/runtime.h"

namespace twinkv {

// Implemented by whatever owns a client's connection (the Server's
// Connection, a test's fake client), so the engine can answer a client that
// a blocking command (BLPOP & co.) left waiting.
class BlockedClientSink {
 public:
  virtual ~BlockedClientSink() = default;
  // Where the blocked command's eventual reply goes. Must stay valid while
  // the client is blocked.
  virtual ReplyWriter& blocked_reply_writer() = 0;
  // The reply has been written and the client is no longer blocked: it may
  // run its next command. Called from inside the engine (while it serves
  // another client's command or a timer), so the owner must not call back
  // into the engine from here; it should post a task.
  virtual void OnUnblocked() = 0;
};

// Per-connection state that commands read and change.
struct ClientState {
  uint64_t id = 0;
  int db_index = 0;
  int protocol = 2;
  std::string name;
  std::string peer;   // "ip:port"
  std::string local;  // "ip:port"
  // Set by QUIT (and by protocol errors): the server closes the connection
  // once the replies so far are written.
  bool close_after_reply = false;
  // Who answers for the client once it blocked; nullptr: the client cannot
  // block, and blocking commands time out at once (as inside MULTI).
  BlockedClientSink* sink = nullptr;
  // Set by a blocking command that found no data: the command's reply is
  // still to come (through `sink`), and the owner must not run the
  // client's further commands until OnUnblocked().
  bool blocked = false;
};

struct EngineStats {
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_keys = 0;         // deleted by the active cycle
  uint64_t expire_cycles = 0;        // active cycles run
  uint64_t expire_cycle_max_keys = 0;  // most keys one cycle deleted
};

class Engine {
 public:
  // `runtime` must outlive the engine. `register_families` adds the
  // command rows (RegisterAllFamilies from core/families.h for the real
  // server; tests may register only the families they exercise).
  Engine(Runtime& runtime, Config config,
         absl::FunctionRef<void(CommandTable&)> register_families);

  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Limits of one active-expiry cycle.
  static constexpr absl::Duration kExpireCycleBudget = absl::Milliseconds(1);
  static constexpr size_t kExpireCycleMaxRecords = 10000;

  // Runs one command (args[0] is the name) and appends exactly one reply.
  // Unknown commands, unknown subcommands and wrong arity get Redis's
  // errors. `now_ms` is the batch's wall-clock time (see NowMs()).
  void Execute(ClientState& client, ArgList args, ReplyWriter& reply,
               int64_t now_ms);
  // The same, reading the clock itself.
  void Execute(ClientState& client, ArgList args, ReplyWriter& reply) {
    Execute(client, args, reply, NowMs());
  }

  // Milliseconds since the Unix epoch on the engine's clock: the wall
  // clock read once when the engine was made, plus the monotonic time
  // elapsed since. Key expiry runs on this clock, so relative TTLs
  // (EX/PX/EXPIRE) last exactly their duration however the wall clock jumps
  // (NTP, operators). The trade-off: once the wall clock has jumped,
  // absolute times (EXAT/PXAT/EXPIREAT, EXPIRETIME's replies) are read
  // against the engine's clock, off by the jump, until a restart re-reads
  // the wall clock. TIME reports the real wall clock.
  int64_t NowMs();

  // --- Blocking commands (BLPOP BRPOP BLMOVE BLMPOP). ---
  //
  // A blocking command's handler that finds no data calls BlockClient()
  // instead of replying. A command that creates a key a client may wait
  // on calls SignalKeyReady(); once that command has finished (before
  // Execute returns), the engine serves the clients waiting on the ready
  // keys, first come first served per key: it re-runs each one's command
  // against the current data, until the key runs out (the re-run calls
  // BlockClient again) — as Redis's handleClientsBlockedOnKeys. A timer on
  // the runtime answers a client whose timeout passes first.

  // What a blocked client gets when its timeout passes.
  enum class TimeoutReply { kNullArray, kNull };

  // Blocks the client of `ctx` on `keys` (in its selected database) until
  // one holds a value of `type` or `timeout_ms` passes (0: forever). As in
  // Redis 7.0, a key that comes back with another type does not wake the
  // client. Copies `args` (the whole command, to re-run it) and `keys`. Writes no reply, except when
  // the client has no sink: then it replies the timeout reply at once.
  void BlockClient(CommandContext& ctx, ArgList args,
                   absl::Span<const absl::string_view> keys,
                   int64_t timeout_ms, TimeoutReply on_timeout,
                   ValueType type);

  // `key` in database `db` may now serve waiting clients.
  void SignalKeyReady(int db, absl::string_view key);

  // Forgets a blocked client without replying (it disconnected). No-op if
  // it is not blocked.
  void UnblockClient(ClientState& client);

  size_t blocked_clients() const { return blocked_.size(); }

  // Test hooks: whether the expiry timer is armed, and for which time.
  bool expiry_timer_armed() const { return expiry_timer_ != 0; }
  int64_t expiry_deadline_ms() const { return expiry_deadline_ms_; }

  Runtime& runtime() { return runtime_; }
  Keyspace& keyspace() { return keyspace_; }
  Config& config() { return config_; }
  ConfigTable& config_table() { return config_table_; }
  const CommandTable& commands() const { return commands_; }
  EngineStats& stats() { return stats_; }

 private:
  Runtime& runtime_;
  Config config_;
  ConfigTable config_table_;
  Keyspace keyspace_;
  CommandTable commands_;
  EngineStats stats_;

  // Re-arms the expiry timer if a TTL earlier than its deadline was set.
  void MaybeArmExpiry();
  // (Re)arms the expiry timer for `deadline_ms` (may be past: fires at once).
  void ArmExpiry(int64_t deadline_ms);
  void RunExpireCycle();

  struct Blocked {
    ClientState* client = nullptr;
    const CommandSpec* spec = nullptr;
    std::vector<std::string> args;
    std::vector<std::string> keys;  // distinct
    int db = 0;
    TimerId timer = 0;
    TimeoutReply on_timeout = TimeoutReply::kNullArray;
    ValueType type = ValueType::kList;  // what the keys must hold
  };
  using DbKey = std::pair<int, std::string>;

  // Serves the clients waiting on ready keys (see BlockClient).
  void ServeReadyKeys();
  // Re-runs `client`'s blocked command; true if it was served (and is
  // unblocked now), false if it still finds no data.
  bool Rerun(ClientState* client);
  // Drops `client` from the wait queues and cancels its timer.
  void RemoveBlocked(ClientState* client);
  void OnBlockTimeout(ClientState* client);

  absl::flat_hash_map<ClientState*, std::unique_ptr<Blocked>> blocked_;
  // Per key, the clients waiting on it in arrival order.
  absl::flat_hash_map<DbKey, std::deque<ClientState*>> waiters_;
  std::vector<DbKey> ready_keys_;
  absl::flat_hash_set<DbKey> ready_set_;
  // The client whose command Rerun() is re-running, and whether that
  // re-run asked to block again.
  ClientState* rerunning_ = nullptr;
  bool rerun_blocked_ = false;

  const absl::Time wall_anchor_;
  const absl::Duration monotonic_anchor_;
  TimerId expiry_timer_ = 0;
  int64_t expiry_deadline_ms_ = Db::kNoExpire;
  int expire_next_db_ = 0;  // round robin across cycles
};

// Family registration, one per source file of commands.
void RegisterServerFamily(CommandTable& table);  // PING ECHO SELECT COMMAND ...
void RegisterStringFamily(CommandTable& table);  // GET SET INCR ...
void RegisterKeyFamily(CommandTable& table);     // DEL EXISTS TYPE KEYS ...
void RegisterListFamily(CommandTable& table);    // LPUSH LPOP LRANGE ...
void RegisterHashFamily(CommandTable& table);    // HSET HGET HSCAN ...
void RegisterSetFamily(CommandTable& table);     // SADD SINTER SSCAN ...
void RegisterZSetFamily(CommandTable& table);    // ZADD ZRANGE ZSCAN ...

}  // namespace twinkv

#endif  // TWINKV_CORE_ENGINE_H_
