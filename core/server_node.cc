#include "core/server_node.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/families.h"

namespace twinkv {

ServerNode::ServerNode(Runtime& runtime, Config config)
    : runtime_(runtime),
      engine_(runtime, std::move(config), RegisterAllFamilies),
      server_(runtime, engine_) {}

ServerNode::~ServerNode() {
  // The engine must not keep a pointer to the destroyed log. (Members go
  // in reverse order: the server's connections before the router they
  // may be waiting on, the router before the engine.)
  engine_.set_command_log(nullptr);
}

absl::Status ServerNode::Start() {
  // The router first: the AOF may hold its transactions' records.
  if (engine_.cluster() != nullptr) {
    router_ = std::make_unique<ClusterRouter>(runtime_, engine_);
  }
  if (engine_.config().appendonly) {
    aof_ = std::make_unique<Aof>(runtime_, engine_);
    if (absl::Status s = aof_->Open(); !s.ok()) {
      aof_.reset();
      return s;
    }
  }
  if (router_ != nullptr) router_->Start();
  return server_.Start();
}

void ServerNode::Shutdown(absl::AnyInvocable<void() &&> done) {
  server_.Shutdown([this, done = std::move(done)]() mutable {
    if (router_ != nullptr) {
      // Connections to peers close in the background; nothing waits on
      // them once the clients are gone.
      router_->Close([] {});
    }
    if (aof_ != nullptr) {
      if (absl::Status s = aof_->Close(); !s.ok()) {
        runtime_.logger().Log(
            LogLevel::kWarning,
            absl::StrCat("Error trying to flush the AOF on shutdown: ",
                         s.message()));
      }
    }
    std::move(done)();
  });
}

}  // namespace twinkv
