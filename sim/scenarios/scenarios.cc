#include "sim/scenarios/scenarios.h"

#include <memory>

#include "sim/scenarios/aof_scenario.h"
#include "sim/scenarios/cluster_scenario.h"
#include "sim/scenarios/pubsub_scenario.h"
#include "sim/scenarios/reconnect_scenario.h"
#include "sim/scenarios/server_scenario.h"
#include "sim/scenarios/txn_scenario.h"

namespace twinkv::sim {

void RegisterAllScenarios(ScenarioRegistry& registry) {
  registry.Add("server",
               "one server and several clients under network, process and "
               "clock faults; replies checked against a keyspace model",
               [] { return std::make_unique<ServerScenario>(); });
  registry.Add("aof-crash",
               "one AOF server (appendfsync always) and 2-4 clients under "
               "crashes, power cuts and disk faults; no acknowledged write "
               "may be lost",
               [] {
                 return std::make_unique<AofScenario>(
                     AofScenario::Policy::kAlways);
               });
  registry.Add("aof-crash-everysec",
               "one AOF server (appendfsync everysec) and 2-4 clients under "
               "crashes and power cuts; no write acknowledged 2.5 s before a "
               "power cut may be lost",
               [] {
                 return std::make_unique<AofScenario>(
                     AofScenario::Policy::kEverysec);
               });
  registry.Add("reconnect",
               "pipelined clients and pools against 1-3 servers under "
               "resets, partitions, clogs, latency spikes and server "
               "crashes; every request completes exactly once with its own "
               "reply, nothing hangs after healing, pools stay bounded and "
               "leak nothing",
               [] { return std::make_unique<ReconnectScenario>(); });
  registry.Add("pubsub",
               "publishers and subscribers through network faults; "
               "messages in publish order per connection, nothing after an "
               "acknowledged unsubscribe, a slow subscriber is disconnected "
               "by the pubsub output limit and memory stays bounded",
               [] { return std::make_unique<PubSubScenario>(); });
  registry.Add("txn",
               "MULTI/EXEC list-append transactions from many clients under "
               "network faults and server crashes; Elle-style checks of "
               "prefix order, atomic visibility and real-time order",
               [] { return std::make_unique<TxnScenario>(); });
  registry.Add("cluster",
               "3-5 AOF nodes in proxy (odd seeds) or redirect (even seeds) "
               "mode under partitions, clogs, crashes, power cuts and "
               "membership changes; per-key linearizability, durable acks, "
               "atomic cross-node MSET and RENAME, every key readable "
               "through every node after healing",
               [] { return std::make_unique<ClusterScenario>(true); });
  registry.Add("cluster-nonatomic-mset",
               "the cluster scenario without the cross-node MSET atomicity "
               "oracle (a split MSET's CLUSTERDOWN counts as unknown per key)",
               [] { return std::make_unique<ClusterScenario>(false); });
  registry.Add("cluster-no-proxy-membership",
               "the cluster scenario without membership changes on proxy "
               "seeds",
               [] {
                 auto s = std::make_unique<ClusterScenario>(true);
                 s->set_proxy_membership_changes(false);
                 return s;
               });
  registry.Add("cluster-strict-proxy-redirects",
               "the cluster scenario where a MOVED/ASK reaching a proxy "
               "client fails the run",
               [] {
                 auto s = std::make_unique<ClusterScenario>(true);
                 s->set_strict_proxy_redirects(true);
                 return s;
               });
}

}  // namespace twinkv::sim
