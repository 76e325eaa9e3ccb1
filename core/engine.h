// The engine: keyspace, configuration and command table of one server node,
// and the dispatcher that runs one command against them.
//
// Engine knows nothing of connections; the network server (core/server.h)
// and tests feed it parsed commands. Everything it needs from the world
// (the clock) comes from the Runtime it is given.
//
// Single-threaded: all calls from the node's loop.

#ifndef TWINKV_CORE_ENGINE_H_
#define TWINKV_CORE_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "core/command.h"
#include "core/config.h"
#include "core/db.h"
#include "core/resp/reply_writer.h"
#include "transport/runtime.h"

namespace twinkv {

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
};

struct EngineStats {
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
};

class Engine {
 public:
  // `runtime` must outlive the engine. `register_families` adds the
  // command rows (RegisterAllFamilies from core/families.h for the real
  // server; tests may register only the families they exercise).
  Engine(Runtime& runtime, Config config,
         absl::FunctionRef<void(CommandTable&)> register_families);

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one command (args[0] is the name) and appends exactly one reply.
  // Unknown commands, unknown subcommands and wrong arity get Redis's
  // errors. `now_ms` is the batch's wall-clock time (see NowMs()).
  void Execute(ClientState& client, ArgList args, ReplyWriter& reply,
               int64_t now_ms);
  // The same, reading the clock itself.
  void Execute(ClientState& client, ArgList args, ReplyWriter& reply) {
    Execute(client, args, reply, NowMs());
  }

  // Wall-clock milliseconds since the Unix epoch, from the runtime.
  int64_t NowMs();

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
