// CLUSTER (KEYSLOT MYID INFO SLOTS SHARDS NODES COUNTKEYSINSLOT
// GETKEYSINSLOT), ASKING, READONLY, READWRITE: Redis Cluster's protocol
// over twinkv's placement (core/cluster/slots.h), for cluster-mode
// redirect. The routing itself (MOVED, CROSSSLOT) is in Engine::Execute.
//
// Differences from Redis 7.0: the members and their slots come from the
// configuration (cluster-nodes), not from a gossip bus, so every member is
// a master that is always "connected", epochs are the members' positions
// (1..N in id order), and there are no replicas, migrations (ASK) or
// failures (CLUSTERDOWN). A node's 40-hex id is ClusterNodeName of its
// "host:port". The bus port shown by NODES is port + 10000, as Redis's
// default, though nothing listens there. COUNTKEYSINSLOT and GETKEYSINSLOT
// walk the whole of database 0 (O(keys)): there is no per-slot index yet.
//
// With cluster-mode no, every command here answers "ERR This instance has
// cluster support disabled", as a Redis without cluster-enabled does.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/cluster/slots.h"
#include "core/command.h"
#include "core/db.h"
#include "core/engine.h"
#include "core/errors.h"
#include "core/family_util.h"
#include "core/numbers.h"

namespace twinkv {
namespace {

// The cluster, or nullptr after replying the disabled error.
const ClusterView* ClusterOrReply(CommandContext& ctx) {
  const ClusterView* cluster = ctx.engine.cluster();
  if (cluster == nullptr) ctx.reply.Error(kClusterDisabledErr);
  return cluster;
}

// Node `node`'s slot ranges, adjacent ones merged.
std::vector<std::pair<int, int>> MergedRanges(const ClusterView& cluster,
                                              int node) {
  std::vector<std::pair<int, int>> merged;
  for (const auto& [first, last] : cluster.slots.RangesOf(node)) {
    if (!merged.empty() && merged.back().second + 1 == first) {
      merged.back().second = last;
    } else {
      merged.emplace_back(first, last);
    }
  }
  return merged;
}

void KeySlotCommand(CommandContext& ctx, ArgList args) {
  if (ClusterOrReply(ctx) == nullptr) return;
  ctx.reply.Integer(KeySlot(args[2]));
}

void MyIdCommand(CommandContext& ctx, ArgList) {
  const ClusterView* cluster = ClusterOrReply(ctx);
  if (cluster == nullptr) return;
  ctx.reply.Bulk(cluster->names[cluster->self]);
}

void InfoCommand(CommandContext& ctx, ArgList) {
  const ClusterView* cluster = ClusterOrReply(ctx);
  if (cluster == nullptr) return;
  const int nodes = static_cast<int>(cluster->slots.nodes().size());
  int size = 0;  // masters serving at least one slot
  for (int i = 0; i < nodes; ++i) size += cluster->slots.CountOf(i) > 0;
  std::string out;
  auto field = [&out](absl::string_view name, auto value) {
    absl::StrAppend(&out, name, ":", value, "\r\n");
  };
  field("cluster_state", "ok");
  field("cluster_slots_assigned", kClusterSlots);
  field("cluster_slots_ok", kClusterSlots);
  field("cluster_slots_pfail", 0);
  field("cluster_slots_fail", 0);
  field("cluster_known_nodes", nodes);
  field("cluster_size", size);
  field("cluster_current_epoch", nodes);
  field("cluster_my_epoch", cluster->self + 1);
  field("cluster_stats_messages_sent", 0);
  field("cluster_stats_messages_received", 0);
  field("total_cluster_links_buffer_limit_exceeded", 0);
  // twinkv's own: the membership epoch (CLUSTER MEET / FORGET), and whether
  // its change is still moving slots.
  field("twinkv_membership_epoch", cluster->epoch());
  field("twinkv_membership_changing", cluster->migrating() ? 1 : 0);
  ctx.reply.Bulk(out);
}

// [host, port, id, {}] as CLUSTER SLOTS describes a node (the empty map
// holds hostname metadata in Redis 7.0).
void WriteSlotsNode(const ClusterView& cluster, int node, ReplyWriter& reply) {
  reply.ArrayHeader(4);
  reply.Bulk(cluster.hosts[node]);
  reply.Integer(cluster.ports[node]);
  reply.Bulk(cluster.names[node]);
  reply.MapHeader(0);
}

void SlotsCommand(CommandContext& ctx, ArgList) {
  const ClusterView* cluster = ClusterOrReply(ctx);
  if (cluster == nullptr) return;
  struct Range {
    int first;
    int last;
    int node;
  };
  std::vector<Range> ranges;
  for (int i = 0; i < static_cast<int>(cluster->slots.nodes().size()); ++i) {
    for (const auto& [first, last] : MergedRanges(*cluster, i)) {
      ranges.push_back({first, last, i});
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  ctx.reply.ArrayHeader(ranges.size());
  for (const Range& r : ranges) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Integer(r.first);
    ctx.reply.Integer(r.last);
    WriteSlotsNode(*cluster, r.node, ctx.reply);
  }
}

void ShardsCommand(CommandContext& ctx, ArgList) {
  const ClusterView* cluster = ClusterOrReply(ctx);
  if (cluster == nullptr) return;
  const int nodes = static_cast<int>(cluster->slots.nodes().size());
  ctx.reply.ArrayHeader(nodes);
  for (int i = 0; i < nodes; ++i) {
    const std::vector<std::pair<int, int>> ranges = MergedRanges(*cluster, i);
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("slots");
    ctx.reply.ArrayHeader(ranges.size() * 2);
    for (const auto& [first, last] : ranges) {
      ctx.reply.Integer(first);
      ctx.reply.Integer(last);
    }
    ctx.reply.Bulk("nodes");
    ctx.reply.ArrayHeader(1);
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("id");
    ctx.reply.Bulk(cluster->names[i]);
    ctx.reply.Bulk("port");
    ctx.reply.Integer(cluster->ports[i]);
    ctx.reply.Bulk("ip");
    ctx.reply.Bulk(cluster->hosts[i]);
    ctx.reply.Bulk("endpoint");
    ctx.reply.Bulk(cluster->hosts[i]);
    ctx.reply.Bulk("role");
    ctx.reply.Bulk("master");
    ctx.reply.Bulk("replication-offset");
    ctx.reply.Integer(0);
    ctx.reply.Bulk("health");
    ctx.reply.Bulk("online");
  }
}

void NodesCommand(CommandContext& ctx, ArgList) {
  const ClusterView* cluster = ClusterOrReply(ctx);
  if (cluster == nullptr) return;
  std::string out;
  for (int i = 0; i < static_cast<int>(cluster->slots.nodes().size()); ++i) {
    absl::StrAppend(&out, cluster->names[i], " ", cluster->hosts[i], ":",
                    cluster->ports[i], "@", cluster->ports[i] + 10000, " ",
                    i == cluster->self ? "myself,master" : "master", " - 0 0 ",
                    i + 1, " connected");
    for (const auto& [first, last] : MergedRanges(*cluster, i)) {
      if (first == last) {
        absl::StrAppend(&out, " ", first);
      } else {
        absl::StrAppend(&out, " ", first, "-", last);
      }
    }
    out.push_back('\n');
  }
  ctx.reply.Bulk(out);
}

// Redis parses the slot as a long long first, then checks its range.
bool ParseSlot(CommandContext& ctx, absl::string_view arg, int64_t* slot) {
  if (!ParseInt64(arg, slot)) {
    ctx.reply.Error(kNotIntegerErr);
    return false;
  }
  return true;
}

void CountKeysInSlotCommand(CommandContext& ctx, ArgList args) {
  if (ClusterOrReply(ctx) == nullptr) return;
  int64_t slot = 0;
  if (!ParseSlot(ctx, args[2], &slot)) return;
  if (slot < 0 || slot >= kClusterSlots) {
    ctx.reply.Error(kInvalidSlotErr);
    return;
  }
  int64_t count = 0;
  ctx.engine.keyspace().db(0).ForEachKey(
      ctx.now_ms,
      [&](absl::string_view key) { count += KeySlot(key) == slot; });
  ctx.reply.Integer(count);
}

void GetKeysInSlotCommand(CommandContext& ctx, ArgList args) {
  if (ClusterOrReply(ctx) == nullptr) return;
  int64_t slot = 0;
  int64_t max_keys = 0;
  if (!ParseSlot(ctx, args[2], &slot) || !ParseSlot(ctx, args[3], &max_keys)) {
    return;
  }
  if (max_keys < 0 || slot < 0 || slot >= kClusterSlots) {
    ctx.reply.Error(kInvalidSlotOrCountErr);
    return;
  }
  std::vector<std::string> keys;
  ctx.engine.keyspace().db(0).ForEachKey(
      ctx.now_ms, [&](absl::string_view key) {
        if (static_cast<int64_t>(keys.size()) < max_keys &&
            KeySlot(key) == slot) {
          keys.emplace_back(key);
        }
      });
  std::sort(keys.begin(), keys.end());  // a stable answer
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.reply.Bulk(key);
}

// READONLY READWRITE: there are no replicas to read from, so they only
// acknowledge.
void OkInClusterCommand(CommandContext& ctx, ArgList) {
  if (ClusterOrReply(ctx) == nullptr) return;
  ctx.reply.Ok();
}

// ASKING: the next command may run on a slot this node is receiving.
void AskingCommand(CommandContext& ctx, ArgList) {
  if (ClusterOrReply(ctx) == nullptr) return;
  ctx.client.asking = true;
  ctx.reply.Ok();
}

// CLUSTER MEET ip port [bus-port] / CLUSTER FORGET node: membership
// changes, carried out by the router (core/cluster/router.h).
void MembershipCommand(CommandContext& ctx, ArgList args) {
  if (ClusterOrReply(ctx) == nullptr) return;
  CommandRouter* router = ctx.engine.router();
  if (router == nullptr) {
    ctx.reply.Error("ERR membership changes need a running cluster node");
    return;
  }
  router->ChangeMembership(ctx, args);
}

CommandSpec Row(std::string name, int arity, uint32_t flags,
                CommandHandler handler, std::string summary, std::string since,
                std::string complexity, std::vector<std::string> acl) {
  return MakeRow(std::move(name), arity, flags, 0, 0, 0, handler,
                 std::move(summary), std::move(since), "cluster",
                 std::move(complexity), std::move(acl));
}

constexpr uint32_t kLoadingStale = kCmdLoading | kCmdStale;
// Redis 7.0 flags the read-only CLUSTER subcommands "stale" but not
// "loading".
constexpr uint32_t kStale = kCmdStale;

}  // namespace

void RegisterClusterFamily(CommandTable& table) {
  const std::vector<std::string> kSlow = {"@slow"};
  const std::vector<std::string> kFastConn = {"@fast", "@connection"};
  CommandSpec cluster =
      Row("cluster", -2, 0, nullptr, "A container for Redis Cluster commands",
          "3.0.0", "Depends on subcommand.", kSlow);
  cluster.subcommands = {
      Row("keyslot", 3, kStale, KeySlotCommand,
          "Returns the hash slot for a key", "3.0.0",
          "O(N) where N is the number of bytes in the key", kSlow),
      Row("myid", 2, kStale, MyIdCommand, "Returns the ID of a node", "3.0.0",
          "O(1)", kSlow),
      Row("info", 2, kStale, InfoCommand,
          "Returns information about the state of a node", "3.0.0", "O(1)",
          kSlow),
      Row("slots", 2, kStale, SlotsCommand,
          "Returns the mapping of cluster slots to nodes", "3.0.0",
          "O(N) where N is the total number of Cluster nodes", kSlow),
      Row("shards", 2, kStale, ShardsCommand,
          "Returns the mapping of cluster slots to shards", "7.0.0",
          "O(N) where N is the total number of cluster nodes", kSlow),
      Row("nodes", 2, kStale, NodesCommand,
          "Returns the cluster configuration for a node", "3.0.0",
          "O(N) where N is the total number of Cluster nodes", kSlow),
      Row("countkeysinslot", 3, kCmdStale, CountKeysInSlotCommand,
          "Returns the number of keys in a hash slot", "3.0.0",
          "O(N) where N is the number of keys in database 0", kSlow),
      Row("getkeysinslot", 4, kCmdStale, GetKeysInSlotCommand,
          "Returns the key names in a hash slot", "3.0.0",
          "O(N) where N is the number of keys in database 0", kSlow),
      Row("meet", -4, kCmdAdmin | kCmdNoScript | kCmdStale,
          MembershipCommand, "Forces a node to handshake with another node",
          "3.0.0", "O(1)", {"@admin", "@slow", "@dangerous"}),
      Row("forget", 3, kCmdAdmin | kCmdNoScript | kCmdStale,
          MembershipCommand, "Removes a node from the nodes table", "3.0.0",
          "O(1)", {"@admin", "@slow", "@dangerous"}),
  };
  table.Add(std::move(cluster));
  table.Add(Row("asking", 1, kCmdFast, AskingCommand,
                "Signals that a cluster client is following an -ASK redirect",
                "3.0.0", "O(1)", kFastConn));
  table.Add(Row("readonly", 1, kLoadingStale | kCmdFast, OkInClusterCommand,
                "Enables read-only queries for a connection to a Redis "
                "Cluster replica node",
                "3.0.0", "O(1)", kFastConn));
  table.Add(Row("readwrite", 1, kLoadingStale | kCmdFast, OkInClusterCommand,
                "Enables read-write queries for a connection to a Redis "
                "Cluster replica node",
                "3.0.0", "O(1)", kFastConn));
}

}  // namespace twinkv
