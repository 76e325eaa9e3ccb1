#include "core/pubsub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/engine.h"
#include "core/glob.h"

namespace twinkv {

bool OrderedStringSet::Insert(absl::string_view s) {
  if (index_.contains(s)) return false;
  index_.emplace(std::string(s), items_.size());
  items_.emplace_back(s);
  return true;
}

bool OrderedStringSet::Erase(absl::string_view s) {
  auto it = index_.find(s);
  if (it == index_.end()) return false;
  const size_t pos = it->second;
  index_.erase(it);
  if (pos + 1 != items_.size()) {
    items_[pos] = std::move(items_.back());
    index_[items_[pos]] = pos;
  }
  items_.pop_back();
  return true;
}

void PubSub::EraseClient(std::vector<ClientState*>& list,
                         ClientState* client) {
  // Order-preserving: delivery order is subscription order.
  auto it = std::find(list.begin(), list.end(), client);
  if (it != list.end()) list.erase(it);
}

void PubSub::Recount(ClientState& client) {
  auto it = clients_.find(&client);
  if (it == clients_.end()) {
    client.subscriptions = 0;
    return;
  }
  client.subscriptions =
      it->second.channels.size() + it->second.patterns.size();
  if (client.subscriptions == 0) clients_.erase(it);
}

bool PubSub::Subscribe(ClientState& client, absl::string_view channel) {
  Subs& subs = clients_[&client];
  const bool added = subs.channels.Insert(channel);
  if (added) channels_[channel].push_back(&client);
  Recount(client);
  return added;
}

bool PubSub::Unsubscribe(ClientState& client, absl::string_view channel) {
  auto c = clients_.find(&client);
  if (c == clients_.end() || !c->second.channels.Erase(channel)) return false;
  auto it = channels_.find(channel);
  EraseClient(it->second, &client);
  if (it->second.empty()) channels_.erase(it);
  Recount(client);
  return true;
}

bool PubSub::PSubscribe(ClientState& client, absl::string_view pattern) {
  Subs& subs = clients_[&client];
  const bool added = subs.patterns.Insert(pattern);
  if (added) {
    std::vector<ClientState*>& list = patterns_[pattern];
    if (list.empty()) pattern_order_.Insert(pattern);
    list.push_back(&client);
  }
  Recount(client);
  return added;
}

bool PubSub::PUnsubscribe(ClientState& client, absl::string_view pattern) {
  auto c = clients_.find(&client);
  if (c == clients_.end() || !c->second.patterns.Erase(pattern)) return false;
  auto it = patterns_.find(pattern);
  EraseClient(it->second, &client);
  if (it->second.empty()) {
    patterns_.erase(it);
    pattern_order_.Erase(pattern);
  }
  Recount(client);
  return true;
}

std::vector<std::string> PubSub::ChannelsOf(const ClientState& client) const {
  auto it = clients_.find(&client);
  if (it == clients_.end()) return {};
  return it->second.channels.items();
}

std::vector<std::string> PubSub::PatternsOf(const ClientState& client) const {
  auto it = clients_.find(&client);
  if (it == clients_.end()) return {};
  return it->second.patterns.items();
}

void PubSub::RemoveClient(ClientState& client) {
  for (const std::string& channel : ChannelsOf(client)) {
    Unsubscribe(client, channel);
  }
  for (const std::string& pattern : PatternsOf(client)) {
    PUnsubscribe(client, pattern);
  }
  client.subscriptions = 0;
}

namespace {

void Deliver(ClientState* client, absl::string_view pattern,
             absl::string_view channel, absl::string_view message) {
  PushSink* sink = client->push_sink;
  if (sink == nullptr) return;
  ReplyWriter& out = sink->push_writer();
  out.set_protocol(client->protocol);
  if (pattern.data() == nullptr) {
    out.PushHeader(3);
    out.Bulk("message");
  } else {
    out.PushHeader(4);
    out.Bulk("pmessage");
    out.Bulk(pattern);
  }
  out.Bulk(channel);
  out.Bulk(message);
  sink->OnPushWritten();
}

}  // namespace

int64_t PubSub::Publish(absl::string_view channel, absl::string_view message) {
  int64_t receivers = 0;
  if (auto it = channels_.find(channel); it != channels_.end()) {
    for (ClientState* client : it->second) {
      Deliver(client, absl::string_view(), channel, message);
      ++receivers;
    }
  }
  for (const std::string& pattern : pattern_order_.items()) {
    if (!GlobMatch(pattern, channel)) continue;
    for (ClientState* client : patterns_.find(pattern)->second) {
      Deliver(client, pattern, channel, message);
      ++receivers;
    }
  }
  messages_delivered_ += receivers;
  return receivers;
}

std::vector<std::string> PubSub::Channels(absl::string_view pattern) const {
  std::vector<std::string> out;
  for (const auto& [channel, subscribers] : channels_) {
    if (pattern.empty() || GlobMatch(pattern, channel)) out.push_back(channel);
  }
  // The map's order depends on its hashing; sorted is as valid a "some
  // order" as Redis's and is the same on every run.
  std::sort(out.begin(), out.end());
  return out;
}

size_t PubSub::NumSub(absl::string_view channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.size();
}

bool PubSubContextReply(const CommandSpec& spec, const ClientState& client,
                        absl::Span<const absl::string_view> args,
                        ReplyWriter& reply) {
  if (client.subscriptions == 0 || client.protocol != 2) return false;
  const std::string& name = spec.full_name;
  if (name == "subscribe" || name == "unsubscribe" || name == "psubscribe" ||
      name == "punsubscribe" || name == "ssubscribe" ||
      name == "sunsubscribe" || name == "quit" || name == "reset") {
    return false;
  }
  if (name == "ping" && args.size() <= 2) {
    // Redis answers PING in this context as a message-shaped array, so a
    // subscriber can tell it from the pushes around it.
    reply.ArrayHeader(2);
    reply.Bulk("pong");
    reply.Bulk(args.size() == 2 ? args[1] : absl::string_view(""));
    return true;
  }
  if (name == "ping") return false;  // its own arity error
  reply.Error(absl::StrCat(
      "ERR Can't execute '", name,
      "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
      "allowed in this context"));
  return true;
}

}  // namespace twinkv
