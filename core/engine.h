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
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "core/command.h"
#include "core/cluster/slots.h"
#include "core/config.h"
#include "core/db.h"
#include "core/pubsub.h"
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

  // Reply slots, for owners that can hold a reply's place (optional). A
  // router (core/cluster/router.h) that forwards a command may, instead of
  // blocking the client, reserve the place of its reply at the current end
  // of the client's output and let the client's next commands run; their
  // replies queue behind the slot, and nothing behind it is sent before it
  // is filled. ReserveReply returns the slot's id, or 0 if the owner cannot
  // hold one (the command then blocks the client as above). FillReply
  // writes the reply into its slot (`write` gets a writer in the client's
  // protocol); every slot is filled exactly once, unless the client goes
  // away first (CommandRouter::ClientGone). Before running each further
  // command while slots are open, the owner asks Engine::MayRunAhead; when
  // it says no, the owner holds that command (and the ones after it) until
  // a slot is filled and asks again. FillReply is called from inside the
  // engine, like OnUnblocked: the owner must not call back into it there.
  virtual uint64_t ReserveReply() { return 0; }
  virtual void FillReply(uint64_t slot,
                         absl::FunctionRef<void(ReplyWriter&)> write) {
    (void)slot;
    (void)write;
  }
};

class Engine;

// One client's transaction state (MULTI's queue, WATCH's keys), created on
// its first MULTI or WATCH (core/multi_family.cc). Owned by ClientState;
// destroying it forgets its watched keys in the engine.
struct Transaction {
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  struct Queued {
    const CommandSpec* spec = nullptr;
    std::vector<std::string> args;
  };
  struct Watched {
    int db = 0;
    std::string key;
    // The key was there but logically expired when WATCHed: as in Redis
    // 7.0, its deletion by expiry is no change.
    bool expired = false;
  };

  bool in_multi = false;
  // A command was rejected while queueing: EXEC answers EXECABORT.
  bool dirty_exec = false;
  // A watched key was touched: EXEC answers a null array.
  bool dirty_cas = false;
  std::vector<Queued> queued;
  uint32_t queued_flags = 0;  // union of the queued commands' flags
  std::vector<Watched> watched;
  // Proxy mode: the node (id) owning every key queued so far; EXEC runs
  // the block there (empty: no key yet).
  std::string proxy_node;
  // The engine that knows the watched keys (nullptr once it is gone).
  Engine* engine = nullptr;
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
  // MULTI/WATCH state; nullptr until the client first uses them.
  std::unique_ptr<Transaction> txn;
  // The command being executed exactly as it arrived, if that is the
  // canonical RESP encoding of its arguments (what CommandLog::Append would
  // write), else empty. Set by the connection around Execute; lets the log
  // copy the bytes instead of encoding them again.
  absl::string_view raw_request;
  // Set by a blocking command that found no data: the command's reply is
  // still to come (through `sink`), and the owner must not run the
  // client's further commands until OnUnblocked().
  bool blocked = false;
  // Pub/sub (core/pubsub.h): where published messages for this client go
  // (nullptr: dropped), and how many channels and patterns it listens to
  // (kept by PubSub; non-zero puts a RESP2 client in subscribed context).
  PushSink* push_sink = nullptr;
  size_t subscriptions = 0;
  // Proxy mode: the connection is another node's (TWINKV.PEER); its
  // commands run here, never routed again (core/cluster/router.h).
  bool cluster_peer = false;
  // Cluster: the client sent ASKING; its next command may run on a slot
  // this node is receiving.
  bool asking = false;

  // --- Connection administration (AUTH, CLIENT; core/client_family.cc). ---

  // Whether the client may run commands without the no_auth flag while
  // requirepass is set. Clients of the server start unauthenticated when a
  // password is set (Server::Connection); internal clients (the AOF
  // loader, tests) are trusted.
  bool authenticated = true;
  // Engine-clock milliseconds (Engine::NowMs) of the connection's start
  // and of its last read or command (CLIENT LIST's age and idle, and the
  // `timeout` config).
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // The last command run (CLIENT LIST's cmd); nullptr: none yet.
  const CommandSpec* last_command = nullptr;
  // Closes the client's connection (CLIENT KILL), from a fresh task: never
  // destroys it from inside the engine. Unset: the client cannot be killed.
  std::function<void()> kill;
  // Set while the client waits for CLIENT PAUSE to end (see
  // Engine::PauseClients); its command is re-run then.
  bool postponed = false;
};

// Where the engine sends the commands that changed data, in the order
// they took effect, to be replayed later (the AOF; later replicas). Every
// command arrives with the database it ran in; the log writes SELECT when
// that changes.
class CommandLog {
 public:
  virtual ~CommandLog() = default;
  // `args` (args[0] the command name) changed database `db`. The views are
  // valid for the call only.
  virtual void Append(int db, ArgList args) = 0;
  // The same, for a command given as its canonical RESP encoding.
  virtual void AppendRaw(int db, absl::string_view resp, ArgList args) {
    Append(db, args);
  }

  // --- Acknowledgement: replies wait until the log has what they report.

  // Position just past everything appended so far (never decreases).
  virtual uint64_t appended() const = 0;
  // How far the log may be acknowledged: written to the file, and with
  // appendfsync always also fsynced.
  virtual uint64_t acknowledged() const = 0;
  // Calls done(true) once acknowledged() >= position, or done(false) if it
  // never will be (the log failed: the replies must not go out). Runs from
  // the loop, never inside this call.
  virtual void WhenAcknowledged(uint64_t position,
                                std::function<void(bool)> done) = 0;

  // --- Snapshot support (the AOF rewrite copies the keyspace in steps).

  // Whether the engine must call BeforeWrite/BeforeWholeDbWrite now.
  virtual bool wants_before_write() const { return false; }
  // `key` in `db` is about to change (or be created, or removed).
  virtual void BeforeWrite(int db, absl::string_view key) {}
  // Whole databases are about to change (FLUSHDB, FLUSHALL, SWAPDB).
  virtual void BeforeWholeDbWrite() {}

  // BGREWRITEAOF: starts compacting the log.
  virtual absl::Status StartRewrite() = 0;
  // INFO's "# Persistence" fields, "name:value\r\n" each.
  virtual void AppendInfo(std::string* out) = 0;
};

// Cluster modes: decides for each command whether it runs on this node
// (core/cluster/router.h implements it). The engine asks after the arity and
// auth checks, before anything else (MULTI queueing, pause, maxmemory,
// MISCONF: the node that runs the command checks those).
class CommandRouter {
 public:
  virtual ~CommandRouter() = default;
  // True if the router took the command: it either replied through
  // `reply` already, or set client.blocked and will reply through
  // client.sink (then OnUnblocked). False: run it here as usual. Never
  // called while loading.
  virtual bool Route(const CommandSpec& spec, ClientState& client,
                     ArgList args, bool queueing, ReplyWriter& reply) = 0;
  // `client` is going away: whatever the router does for it ends without a
  // reply.
  virtual void ClientGone(ClientState& client) = 0;
  // Whether `client`'s command may run now although replies of its earlier
  // commands are still to come (reply slots, BlockedClientSink): it cannot
  // change how those run or what they see.
  virtual bool MayRunAhead(const CommandSpec& spec, const ClientState& client,
                           ArgList args) {
    (void)spec;
    (void)client;
    (void)args;
    return false;
  }
  // Runs one of the TWINKV.* commands nodes send each other (also while
  // loading: the AOF replays the durable ones).
  virtual void RunPeerCommand(CommandContext& ctx, ArgList args) = 0;
  // Appends, as RESP commands, the records an AOF rewrite's base must hold
  // so that replaying it restores the router's durable state.
  virtual void AppendDurableState(std::string* out) = 0;
  // CLUSTER MEET / CLUSTER FORGET.
  virtual void ChangeMembership(CommandContext& ctx, ArgList args) = 0;
};

// What the process's memory looks like, as the server's owner measures it
// (core/ cannot ask the allocator or the OS itself).
struct MemoryUsage {
  uint64_t used_bytes = 0;  // allocated by the program (INFO used_memory)
  uint64_t rss_bytes = 0;   // resident set size (used_memory_rss)
  // CPU time the process used so far (INFO cpu), in seconds.
  double cpu_sys_seconds = 0;
  double cpu_user_seconds = 0;
};

// Per-command counters (INFO commandstats).
struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;  // refused before running (arity, NOAUTH...)
  uint64_t failed_calls = 0;    // ran and replied an error
};

// One SLOWLOG entry, as Redis 7.0 keeps it.
struct SlowLogEntry {
  uint64_t id = 0;
  int64_t time_s = 0;  // Unix seconds when the command ran
  int64_t duration_us = 0;
  std::vector<std::string> args;  // at most 32, each cut at 128 bytes
  std::string peer;
  std::string name;
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
  uint64_t expired_total = 0;  // keys removed by expiry, lazy or active
  uint64_t evicted_keys = 0;   // keys removed by maxmemory eviction
};

// Which node serves each slot, as this node knows it: the effective owners
// (ClusterView::slots), with SlotMap's accessors.
class SlotTable {
 public:
  // Every node known, sorted; owners index into this.
  const std::vector<std::string>& nodes() const { return nodes_; }
  // Index in nodes() of the node serving `slot`, or -1 if none.
  int owner(int slot) const { return owner_[slot]; }
  // Its id ("" if none).
  const std::string& owner_id(int slot) const {
    return owner_[slot] < 0 ? none_ : nodes_[owner_[slot]];
  }
  int OwnerOfKey(absl::string_view key) const { return owner(KeySlot(key)); }
  int CountOf(int node) const;
  // Its slots as inclusive ranges [first, last], ascending.
  std::vector<std::pair<int, int>> RangesOf(int node) const;

 private:
  friend struct ClusterView;
  std::vector<std::string> nodes_;
  std::vector<int16_t> owner_ = std::vector<int16_t>(kClusterSlots, -1);
  std::string none_;
};

// The cluster as this node sees it (cluster-mode redirect or proxy).
//
// Membership. Epoch 0 is the configuration (cluster-nodes plus self). A
// membership change (CLUSTER MEET / FORGET, see core/cluster/router.h)
// moves to a new epoch with an old and a new member set: slots whose
// owner differs between the two maps are handed over by their old owner,
// which keeps serving the keys it still has and sends clients to the new
// owner (ASK) for the others, until it has handed over all of them and
// says so (MarkMigrated); once every old member that loses slots has, the
// new map is the map and the change is complete.
struct ClusterView {
  explicit ClusterView(const Config& config);

  // Who serves each slot now; nodes() are every node known: old and new
  // members and this node (which stays known even once it is no member).
  SlotTable slots;
  int self = -1;  // index of this node in slots.nodes()
  // Per node, in slots.nodes() order.
  std::vector<std::string> hosts;
  std::vector<int> ports;
  std::vector<std::string> names;  // 40-hex CLUSTER MYID (ClusterNodeName)

  uint64_t epoch() const { return epoch_; }
  bool migrating() const { return migrating_; }
  const std::vector<std::string>& old_members() const { return old_map_.nodes(); }
  const std::vector<std::string>& new_members() const { return new_map_.nodes(); }
  bool is_member() const;  // of the new member set

  // Starts the change to `epoch` (> epoch()) from `old_members` to
  // `new_members`; complete at once if no slot changes owner.
  void Adopt(uint64_t epoch, std::vector<std::string> old_members,
             std::vector<std::string> new_members);
  // Old member `id` has handed over every slot it loses.
  void MarkMigrated(absl::string_view id);
  bool migrated(absl::string_view id) const { return migrated_.contains(id); }
  // Old members that lose slots and have not handed them over yet.
  std::vector<std::string> PendingMigrations() const;
  // A node said `slot` is served by `node` (a MOVED): believe it until the
  // change completes.
  void NoteMoved(int slot, int node);

  // Indices in slots.nodes() (-1: none).
  int IndexOf(absl::string_view id) const;
  int old_owner(int slot) const { return old_owner_[slot]; }
  int new_owner(int slot) const { return new_owner_[slot]; }
  // The slot is being handed over: its old owner serves the keys it still
  // has, its new owner (asked) the others.
  bool moving(int slot) const {
    return migrating_ && slots.owner(slot) != new_owner(slot);
  }

 private:
  void SetNodes(std::vector<std::string> ids);
  void Recompute();

  std::string self_id_;
  uint64_t epoch_ = 0;
  bool migrating_ = false;
  SlotMap old_map_{{}};
  SlotMap new_map_{{}};
  // Per slot, the old and new owner as indices in slots.nodes().
  std::vector<int16_t> old_owner_ = std::vector<int16_t>(kClusterSlots, -1);
  std::vector<int16_t> new_owner_ = std::vector<int16_t>(kClusterSlots, -1);
  absl::flat_hash_set<std::string> migrated_;
  absl::flat_hash_map<int, int> moved_;  // slot -> node, from MOVED replies
};

// A node's 40-hex-digit name (Redis's node id format) for CLUSTER MYID,
// NODES, SLOTS: a fixed 160-bit hash of its "host:port", so every member
// computes the same names without talking to the others.
std::string ClusterNodeName(absl::string_view address);

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
  // errors; then an unauthenticated client (requirepass) gets NOAUTH for
  // any command without kCmdNoAuth. During CLIENT PAUSE the command may
  // be postponed instead (no reply yet; see PauseClients). `now_ms` is the batch's wall-clock time (see NowMs()).
  void Execute(ClientState& client, ArgList args, ReplyWriter& reply,
               int64_t now_ms);
  // The same, reading the clock itself.
  void Execute(ClientState& client, ArgList args, ReplyWriter& reply) {
    Execute(client, args, reply, NowMs());
  }
  // Whether `client`'s next command `args` may run while replies of its
  // earlier ones are still to come (BlockedClientSink's reply slots): only
  // what the router allows (CommandRouter::MayRunAhead).
  bool MayRunAhead(const ClientState& client, ArgList args) const;

  // Milliseconds since the Unix epoch on the engine's clock: the wall
  // clock read once when the engine was made, plus the monotonic time
  // elapsed since. Key expiry runs on this clock, so relative TTLs
  // (EX/PX/EXPIRE) last exactly their duration however the wall clock jumps
  // (NTP, operators). The trade-off: once the wall clock has jumped,
  // absolute times (EXAT/PXAT/EXPIREAT, EXPIRETIME's replies) are read
  // against the engine's clock, off by the jump, until a restart re-reads
  // the wall clock. TIME reports the real wall clock.
  int64_t NowMs();
  // When the engine was made, by the wall clock (LASTSAVE: there is no RDB
  // snapshot, so the data was last "saved" at startup, as Redis reports).
  absl::Time start_time() const { return wall_anchor_; }

  // --- Propagation (see CommandContext::AddDirty). ---

  // Sends every data change from now on to `log` (nullptr: nowhere).
  // `log` must outlive the engine or be unset first. A key that expires
  // (lazily or by the active cycle) is logged as DEL in its database,
  // before the command that noticed it.
  void set_command_log(CommandLog* log) { log_ = log; }
  CommandLog* command_log() const { return log_; }
  // Tells the command log (if it wants to know) that `key` in `db` is
  // about to change. The engine calls it for the keys of every write
  // command; handlers call it for keys outside their key positions (MOVE
  // and COPY into another database).
  // In a transaction with multi-rollback, it also saves the key for the
  // undo log; and the key's watchers are touched once the command changed
  // something.
  void BeforeWrite(int db, absl::string_view key);

  // While `error` is not empty, write commands (and PING, as Redis does)
  // are refused with it: the log cannot take them ("MISCONF Errors writing
  // to the AOF file: ..."). Empty: writes are accepted again.
  void set_write_error(std::string error) { write_error_ = std::move(error); }
  const std::string& write_error() const { return write_error_; }
  // Changes made so far (Redis's server.dirty).
  uint64_t dirty() const { return dirty_; }
  void AddDirty(uint64_t n) { dirty_ += n; }
  // See CommandContext::Propagate.
  void Propagate(ArgList args);

  // While loading (replaying the AOF at startup) no key expires: commands
  // replay against the data as it was when they were logged, whatever the
  // time is now (a key whose logged expiry time has passed still receives
  // the commands logged before it expired). Keys whose time has passed go
  // when loading ends, through the usual paths, and are logged as DEL.
  void set_loading(bool loading);
  bool loading() const { return loading_; }

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
  // Every key of database `db` that clients wait on may serve them now
  // (SWAPDB brought in another database's contents).
  void SignalDbReady(int db);

  // Forgets a blocked client without replying (it disconnected). No-op if
  // it is not blocked.
  void UnblockClient(ClientState& client);

  size_t blocked_clients() const { return blocked_.size(); }

  // Cluster: unblocks every client blocked on a key this node no longer
  // serves (Redis's clusterRedirectBlockedClientIfNeeded). `redirect`
  // says, per blocked client and key, what to do: nothing (the key is
  // served here), answer `error` ("MOVED ..."), or `rerun` the blocked
  // command through Execute (a proxy node then forwards it to the key's
  // new owner). Returns how many were unblocked.
  struct BlockedRedirect {
    std::string error;
    bool rerun = false;
  };
  size_t RedirectBlockedClients(
      absl::FunctionRef<BlockedRedirect(const ClientState& client, int db,
                                        absl::string_view key)>
          redirect);

  // --- Transactions (MULTI EXEC DISCARD WATCH UNWATCH; multi_family.cc). ---
  //
  // While a client is in MULTI, Execute queues its commands (reply QUEUED)
  // except EXEC DISCARD MULTI WATCH QUIT RESET; a command rejected while queueing
  // (unknown, wrong arity, no-multi, MISCONF) dooms EXEC to EXECABORT.
  // EXEC runs the queue with nothing else in between; blocking commands
  // inside it time out at once. The log gets the changes as one block:
  // MULTI, the commands, EXEC (nothing if nothing changed).
  //
  // WATCH: a watched key is touched by any command that changed something
  // and names it (over-approximation: DEL a b with only a present touches
  // b too), by its expiry (unless it was already expired at WATCH time), by
  // FLUSHDB/FLUSHALL/SWAPDB if it exists in an affected database, and by
  // MOVE/COPY into it. EXEC also fails if a watched key expired logically
  // since WATCH.
  //
  // multi-rollback yes: before each command of an EXEC block writes a key,
  // the key's value and TTL are saved; if a command replies an error, every
  // saved key is put back (newest first), EXEC answers
  // "EXECABORT Transaction rolled back ..." and the log gets nothing of the
  // block (only DELs of keys that expired on the way). Keyless writes
  // (FLUSHDB, FLUSHALL, SWAPDB) are refused while queueing; EXEC is
  // refused before it runs anything if a key it writes holds a value that
  // cannot be copied.

  // Watches `key` in database `db` for `client`.
  void Watch(ClientState& client, int db, absl::string_view key,
             int64_t now_ms);
  // Forgets every key `txn` watches.
  void Unwatch(Transaction& txn);
  // EXEC (called by Execute, never through RunHandler: EXEC itself is not
  // logged).
  void ExecTransaction(CommandContext& ctx);
  // Leaves MULTI and forgets the watched keys (DISCARD, and after EXEC).
  void DiscardTransaction(ClientState& client);
  // Clients watching at least one key (tests).
  size_t watched_keys() const { return watched_keys_.size(); }

  // Test hooks: whether the expiry timer is armed, and for which time.
  bool expiry_timer_armed() const { return expiry_timer_ != 0; }
  int64_t expiry_deadline_ms() const { return expiry_deadline_ms_; }

  // What SHUTDOWN asks for: the owner stops the process gracefully (as on
  // SIGTERM). Unset (tests, the simulator): SHUTDOWN replies an error.
  void set_shutdown_handler(std::function<void()> handler) {
    shutdown_handler_ = std::move(handler);
  }
  const std::function<void()>& shutdown_handler() const {
    return shutdown_handler_;
  }

  // How INFO memory learns the process's memory use; unset: zeros.
  void set_memory_probe(std::function<MemoryUsage()> probe) {
    memory_probe_ = std::move(probe);
  }
  MemoryUsage memory_usage() const {
    return memory_probe_ ? memory_probe_() : MemoryUsage{};
  }

  // --- Clients (CLIENT LIST/KILL/PAUSE, INFO clients, commandstats). ---

  // The server registers each connection's client when it is accepted and
  // unregisters it before destroying it (ids must be unique).
  void RegisterClient(ClientState* client);
  void UnregisterClient(ClientState* client);
  // Registered clients by id (CLIENT LIST's order: connection order).
  const std::map<uint64_t, ClientState*>& clients() const { return clients_; }

  // CLIENT PAUSE: until `end_ms` (engine clock), commands of every client
  // (`all`) or write commands (else) wait: Execute leaves the client
  // postponed (ClientState::postponed, and blocked for its owner) and runs
  // the command once the pause ends, replying through the client's sink.
  // A later pause may extend it; a shorter one does not shorten it, as in
  // Redis. Clients without a sink are never paused.
  void PauseClients(int64_t end_ms, bool all);
  void UnpauseClients();
  bool paused() const { return pause_timer_ != 0; }

  // Counters of `spec` (a subcommand has its own).
  const absl::flat_hash_map<const CommandSpec*, CommandStats>& command_stats()
      const {
    return command_stats_;
  }
  void ResetCommandStats() { command_stats_.clear(); }
  // A command refused before it ran (the router's MOVED, CROSSSLOT...):
  // INFO commandstats' rejected_calls.
  void CountRejected(const CommandSpec& spec) {
    ++command_stats_[&spec].rejected_calls;
  }

  // SLOWLOG: newest first.
  const std::deque<SlowLogEntry>& slowlog() const { return slowlog_; }
  void ResetSlowLog() { slowlog_.clear(); }

  // The cluster view (cluster-mode redirect or proxy), or nullptr (a
  // standalone node). The router (set_router; core/cluster/router.h)
  // decides where each command runs, after the arity and auth checks and
  // before MULTI queueing; without one every command runs here. SELECT of
  // a database other than 0, MOVE and SWAPDB are refused.
  const ClusterView* cluster() const { return cluster_.get(); }
  // For the router, which changes the membership.
  ClusterView* mutable_cluster() { return cluster_.get(); }
  // cluster-mode proxy: a cluster view, and commands go through the router
  // (unset: they all run here).
  bool proxy_mode() const { return proxy_mode_; }
  void set_router(CommandRouter* router) { router_ = router; }
  CommandRouter* router() const { return router_; }

  Runtime& runtime() { return runtime_; }
  Keyspace& keyspace() { return keyspace_; }
  PubSub& pubsub() { return pubsub_; }
  Config& config() { return config_; }
  ConfigTable& config_table() { return config_table_; }
  const CommandTable& commands() const { return commands_; }
  EngineStats& stats() { return stats_; }

 private:
  // Runs `spec`'s handler and logs what it changed.
  void RunHandler(const CommandSpec& spec, CommandContext& ctx, ArgList args);
  // Keyspace's expiry listener: logs DEL.
  void OnKeyExpired(int db, absl::string_view key);

  Runtime& runtime_;
  Config config_;
  ConfigTable config_table_;
  Keyspace keyspace_;
  CommandTable commands_;
  PubSub pubsub_;
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

  // Transactions (see "Transactions" above).
  // Queues a command of a client in MULTI (or rejects it).
  void QueueCommand(const CommandSpec& spec, Transaction& txn, ArgList args,
                    ReplyWriter& reply);
  // Sends one logged command to the log, or to exec_log_ inside EXEC.
  void LogAppend(int db, ArgList args, absl::string_view raw, bool expiry);
  // Marks the watchers of `key` in `db`; `expiry`: it is being deleted
  // because it expired.
  void TouchWatched(int db, absl::string_view key, bool expiry);
  // Before a keyless write (FLUSHDB FLUSHALL SWAPDB): the watchers it will
  // touch if it changes anything.
  void CollectWholeDbWatchers(const CommandSpec& spec, ClientState& client,
                              ArgList args, std::vector<Transaction*>* out);
  // Restores the undo log, newest first.
  void Rollback(int64_t now_ms);
  absl::flat_hash_map<DbKey, std::vector<Transaction*>> watched_keys_;
  const CommandSpec* exec_spec_ = nullptr;
  const CommandSpec* discard_spec_ = nullptr;
  const CommandSpec* multi_spec_ = nullptr;
  const CommandSpec* watch_spec_ = nullptr;
  const CommandSpec* quit_spec_ = nullptr;
  const CommandSpec* reset_spec_ = nullptr;
  const CommandSpec* asking_spec_ = nullptr;
  // Keys the running command will have touched if it changes anything.
  std::vector<DbKey> pending_touch_;
  // Inside EXEC: the log entries of the block, sent at its end.
  struct LoggedCommand {
    int db = 0;
    std::vector<std::string> args;
    bool expiry = false;  // a DEL of an expired key
  };
  bool in_exec_ = false;
  std::vector<LoggedCommand> exec_log_;
  // multi-rollback: the saved keys of the running EXEC block.
  struct UndoRecord {
    int db = 0;
    std::string key;
    bool existed = false;
    Value value;
    int64_t expire_ms = Db::kNoExpire;
  };
  bool undo_active_ = false;
  int64_t undo_now_ms_ = 0;
  std::vector<UndoRecord> undo_log_;
  absl::flat_hash_set<DbKey> undo_saved_;

  // Clients, pause, command stats, slow log (see their accessors).
  void PostponeClient(ClientState& client, ArgList args);
  void ResumePostponed();
  void RecordSlowLog(ClientState& client, ArgList args, int64_t duration_us,
                     int64_t now_ms);
  std::map<uint64_t, ClientState*> clients_;
  TimerId pause_timer_ = 0;
  TimerId resume_timer_ = 0;
  int64_t pause_end_ms_ = 0;
  bool pause_all_ = false;
  struct Postponed {
    ClientState* client = nullptr;
    std::vector<std::string> args;
  };
  std::deque<Postponed> postponed_;
  absl::flat_hash_map<const CommandSpec*, CommandStats> command_stats_;
  std::deque<SlowLogEntry> slowlog_;
  uint64_t slowlog_next_id_ = 0;

  // Cluster-mode refusals inside commands (SELECT n, MOVE, SWAPDB): true
  // if it replied an error.
  bool ClusterRefuses(const CommandSpec& spec, ArgList args,
                      ReplyWriter& reply);
  std::unique_ptr<ClusterView> cluster_;
  bool proxy_mode_ = false;
  CommandRouter* router_ = nullptr;

  std::function<MemoryUsage()> memory_probe_;
  std::function<void()> shutdown_handler_;
  CommandLog* log_ = nullptr;
  std::string write_error_;
  uint64_t dirty_ = 0;
  bool loading_ = false;
  // Commands a handler asked to log in place of itself: one buffer of
  // arguments and the end offset of each command, reused.
  std::vector<std::string> propagate_args_;
  std::vector<size_t> propagate_ends_;

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
void RegisterMultiFamily(CommandTable& table);   // MULTI EXEC WATCH ...
void RegisterPubSubFamily(CommandTable& table);  // SUBSCRIBE PUBLISH ...
void RegisterClientFamily(CommandTable& table);  // AUTH HELLO RESET CLIENT
void RegisterClusterFamily(CommandTable& table);  // CLUSTER ASKING READONLY
void RegisterPeerFamily(CommandTable& table);     // TWINKV.PEER

}  // namespace twinkv

#endif  // TWINKV_CORE_ENGINE_H_
