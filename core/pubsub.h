// Pub/sub: who listens to which channel and pattern, and delivery of
// PUBLISH into the listeners' output (Redis 7.0 semantics).
//
// Subscribers are ClientStates. A client that wants to receive messages
// sets ClientState::push_sink (the Server's Connection does; a client
// without one may subscribe, and its messages are dropped, as a test that
// only counts receivers wants). The confirmations of (P)(UN)SUBSCRIBE are
// the command's own replies; messages written by Publish go through the
// receiver's sink, which must then get them to its peer.
//
// Order is deterministic (the simulator hashes every event): a channel's
// subscribers are served in subscription order, channel subscribers before
// pattern subscribers (as Redis does), patterns in subscription order. A
// client's own subscriptions are kept in insertion order, except that
// removing one moves the last into its place.
//
// Single-threaded: all calls from the node's loop. No call may be made
// from inside PushSink::OnPushWritten (see there).

#ifndef TWINKV_CORE_PUBSUB_H_
#define TWINKV_CORE_PUBSUB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/resp/reply_writer.h"

namespace twinkv {

struct ClientState;
struct CommandSpec;

// Implemented by whatever owns a subscriber's connection.
class PushSink {
 public:
  virtual ~PushSink() = default;
  // Where pushed messages go (the connection's output, in order with its
  // replies). Must stay valid while the client has subscriptions.
  virtual ReplyWriter& push_writer() = 0;
  // One message was appended to push_writer(). Called from inside another
  // client's command: the owner must neither call into the engine nor
  // change subscriptions from here (post a task instead). This is where
  // output buffer limits are enforced.
  virtual void OnPushWritten() = 0;
};

// A sorted-by-arrival set of strings: insertion order, O(1) membership.
class OrderedStringSet {
 public:
  bool contains(absl::string_view s) const { return index_.contains(s); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<std::string>& items() const { return items_; }
  // False if already present.
  bool Insert(absl::string_view s);
  // False if absent. Moves the last item into the removed one's place.
  bool Erase(absl::string_view s);

 private:
  std::vector<std::string> items_;
  absl::flat_hash_map<std::string, size_t> index_;
};

class PubSub {
 public:
  PubSub() = default;
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // Each returns whether the subscription set changed, and keeps
  // ClientState::subscriptions (channels + patterns) up to date.
  bool Subscribe(ClientState& client, absl::string_view channel);
  bool Unsubscribe(ClientState& client, absl::string_view channel);
  bool PSubscribe(ClientState& client, absl::string_view pattern);
  bool PUnsubscribe(ClientState& client, absl::string_view pattern);

  // The client's channels / patterns, in the order above; empty if none.
  std::vector<std::string> ChannelsOf(const ClientState& client) const;
  std::vector<std::string> PatternsOf(const ClientState& client) const;

  // Forgets every subscription of `client` without replying (it went
  // away). Must not be called from inside Publish (a PushSink callback).
  void RemoveClient(ClientState& client);

  // Writes `message` to every subscriber of `channel` and every client
  // with a matching pattern (once per matching pattern). Returns the number
  // of deliveries (PUBLISH's reply).
  int64_t Publish(absl::string_view channel, absl::string_view message);

  // PUBSUB CHANNELS: active channels matching `pattern` (all when empty).
  std::vector<std::string> Channels(absl::string_view pattern) const;
  // PUBSUB NUMSUB for one channel.
  size_t NumSub(absl::string_view channel) const;
  // PUBSUB NUMPAT: distinct patterns with at least one subscriber.
  size_t NumPat() const { return patterns_.size(); }

  uint64_t messages_delivered() const { return messages_delivered_; }

 private:
  struct Subs {
    OrderedStringSet channels;
    OrderedStringSet patterns;
  };
  static void EraseClient(std::vector<ClientState*>& list,
                          ClientState* client);
  void Recount(ClientState& client);

  // Channel -> subscribers, in subscription order.
  absl::flat_hash_map<std::string, std::vector<ClientState*>> channels_;
  // Pattern -> subscribers; pattern_order_ gives the patterns' order.
  absl::flat_hash_map<std::string, std::vector<ClientState*>> patterns_;
  OrderedStringSet pattern_order_;
  absl::flat_hash_map<const ClientState*, Subs> clients_;
  uint64_t messages_delivered_ = 0;
};

// The RESP2 subscribed-context rule, for Engine::Execute: a client with
// subscriptions speaking RESP2 may only run (P|S)(UN)SUBSCRIBE, PING, QUIT
// and RESET. Returns true when it wrote the reply for `spec` itself (Redis's
// error for any other command, or PING's ["pong", arg] form); false when
// the command runs normally.
bool PubSubContextReply(const CommandSpec& spec, const ClientState& client,
                        absl::Span<const absl::string_view> args,
                        ReplyWriter& reply);

}  // namespace twinkv

#endif  // TWINKV_CORE_PUBSUB_H_
