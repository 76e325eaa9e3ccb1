// Internals shared by router.cc and router_txn.cc (not for other users).

#ifndef TWINKV_CORE_CLUSTER_ROUTER_INTERNAL_H_
#define TWINKV_CORE_CLUSTER_ROUTER_INTERNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/cluster/router.h"

namespace twinkv {

enum TxKind { kTxMset = 0, kTxMsetNx = 1, kTxMget = 2 };

// MOVED/ASK hops a forwarded request follows at most.
constexpr int kMaxRedirects = 4;

// One routed command: its client (nullptr once the client is gone), the
// replies of its parts, and how they combine into the client's reply.
struct ClusterRouter::Op {
  ClientState* client = nullptr;
  int protocol = 2;
  int outstanding = 0;
  absl::string_view command;  // its name (the command table's), for reports
  // Nonzero: the reply goes into this reply slot of the client's
  // (BlockedClientSink::ReserveReply) and the client is not blocked;
  // key_slots are the slots of its keys (a later command on one of them
  // waits, see MayRunAhead).
  uint64_t slot = 0;
  std::vector<int> key_slots;
  // Set while Route() is still sending parts: a part that completes then
  // (the local one) must not finish the op under Route's feet.
  bool in_route = true;
  std::vector<Reply> parts;
  absl::AnyInvocable<Reply(std::vector<Reply>&)> combine;
  // A blocking command's own connection: closed if the client leaves, so
  // the owner stops waiting (else it would pop data for nobody).
  Client* dedicated = nullptr;
};

// A prepared transaction on a participant.
struct ClusterRouter::Prepared {
  bool write = true;         // staged values; else a read lock
  std::string coordinator;   // "host:port"
  std::vector<std::string> keys;
  std::vector<std::string> values;  // write only
  TimerId timer = 0;
  bool asking = false;  // a STATUS query is in flight
  // Staged by TWINKV.STAGE (router_cross.cc): `values` hold per key its
  // new state, not a string to SET.
  bool cross = false;
};

// A decided transaction on its coordinator: the owners, and which have
// confirmed the commit.
struct ClusterRouter::Decided {
  std::vector<std::string> nodes;  // ids
  std::vector<bool> acked;
  int in_flight = 0;  // COMMITs sent and not answered
};

// A client whose command waits for its keys to be unlocked.
struct ClusterRouter::Parked {
  std::vector<std::string> args;
  absl::Duration deadline;
  TimerId timer = 0;
};

// One cross-node MSET, MSETNX or MGET being coordinated here.
struct ClusterRouter::Tx {
  int kind = kTxMset;
  std::shared_ptr<Op> op;  // the client's
  // The command (MSET/MSETNX: keys and values; MGET: keys).
  std::vector<std::string> args;
  int step = 2;
  // Slots a MOVED or ASK sent elsewhere (a membership change is moving
  // them): the node id, and whether it must be asked (ASK).
  absl::flat_hash_map<int, std::pair<std::string, bool>> asked;
  // This attempt's participants (node ids, ascending), and per
  // participant the PREPARE tail (keys, with values for writes) and the
  // argument positions of its keys. Grouped again for every attempt: the
  // owners may change between attempts.
  std::vector<std::string> nodes;
  std::vector<std::vector<std::string>> parts;
  std::vector<std::vector<int>> positions;
  size_t nkeys = 0;
  absl::Duration deadline;
  std::string txid;
  int outstanding = 0;
  std::vector<Reply> replies;
  bool finished = false;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_CLUSTER_ROUTER_INTERNAL_H_
