// ServerNode: one whole server process's logic, assembled — the engine,
// the append-only file when the config enables it, and the network server —
// started and stopped in the right order. The production binary
// (cmd/server_main.cc) and the simulator's scenarios build the same thing
// from the same config, so what the simulator proves is what ships.
//
// Start order: load the AOF (the data must be whole before any client sees
// it), then route (proxy mode), then listen. Shutdown order: stop taking
// commands and send the replies already produced, close the connections
// to the other nodes, then write and fsync what the AOF buffers.
//
// Single-threaded: everything on the runtime's loop.

#ifndef TWINKV_CORE_SERVER_NODE_H_
#define TWINKV_CORE_SERVER_NODE_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/aof.h"
#include "core/cluster/router.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/server.h"
#include "transport/runtime.h"

namespace twinkv {

class ServerNode {
 public:
  // `runtime` must outlive the node.
  ServerNode(Runtime& runtime, Config config);
  ~ServerNode();

  // Loads the AOF if appendonly is yes, then listens. An error means the
  // process must not serve (its message is for the operator).
  absl::Status Start();

  // Server::Shutdown, then closes the AOF (write + fsync), then `done`.
  void Shutdown(absl::AnyInvocable<void() &&> done);

  Engine& engine() { return engine_; }
  Server& server() { return server_; }
  Aof* aof() { return aof_.get(); }  // nullptr without appendonly
  // nullptr unless a cluster mode is set.
  ClusterRouter* router() { return router_.get(); }

 private:
  Runtime& runtime_;
  Engine engine_;
  std::unique_ptr<Aof> aof_;
  std::unique_ptr<ClusterRouter> router_;
  Server server_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_SERVER_NODE_H_
