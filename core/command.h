// The command table: one declarative row per command.
//
// A row gives the name, the arity (Redis's rule: N means exactly N arguments
// including the name; -N means at least N), flags, and the key positions
// (first, last, step; last -1 means "the last argument", 0/0/0 means no
// keys). Key positions drive cluster routing and COMMAND output; flags drive
// AOF logging, MULTI queueing and read-only checks. Families register their
// rows with an explicit call (RegisterStringFamily(table)); there is no
// static self-registration.
//
// A container command (CONFIG, COMMAND, CLIENT, ...) has subcommand rows;
// the dispatcher picks the subcommand from argv[1] and checks its arity with
// the full name ("config|get") in errors, as Redis 7 does.
//
// Single-threaded: built once at startup, then only read.

#ifndef TWINKV_CORE_COMMAND_H_
#define TWINKV_CORE_COMMAND_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/resp/reply_writer.h"

namespace twinkv {

class Engine;
struct ClientState;
class Db;

// Redis's command flags (the names COMMAND INFO prints).
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,       // may modify the keyspace ("write")
  kCmdReadOnly = 1u << 1,    // reads only ("readonly")
  kCmdDenyOom = 1u << 2,     // may grow memory ("denyoom")
  kCmdAdmin = 1u << 3,       // administrative ("admin")
  kCmdPubSub = 1u << 4,      // pub/sub ("pubsub")
  kCmdNoScript = 1u << 5,    // ("noscript")
  kCmdBlocking = 1u << 6,    // may block the client ("blocking")
  kCmdLoading = 1u << 7,     // allowed while loading ("loading")
  kCmdStale = 1u << 8,       // ("stale")
  kCmdFast = 1u << 9,        // O(1) or O(log N) ("fast")
  kCmdNoAuth = 1u << 10,     // allowed before AUTH ("no_auth")
  kCmdNoMulti = 1u << 11,    // not allowed inside MULTI ("no_multi")
  kCmdAllowBusy = 1u << 12,  // ("allow_busy")
  kCmdSkipMonitor = 1u << 13,
  kCmdSkipSlowlog = 1u << 14,
  kCmdMayReplicate = 1u << 15,
};

// Arguments of one command; args[0] is the command name as the client sent
// it. Views stay valid for the duration of the handler call only.
using ArgList = absl::Span<const absl::string_view>;

// What a handler sees.
struct CommandContext {
  Engine& engine;
  ClientState& client;
  ReplyWriter& reply;
  // Wall-clock milliseconds since the Unix epoch, read once per command
  // batch (expiry decisions within one command agree with each other).
  int64_t now_ms;

  Db& db();  // the client's selected database

  // --- What the command did, for the AOF (and later replicas). ---
  //
  // A handler that changed the data set says so with AddDirty (Redis's
  // server.dirty): by how many changes (keys or elements written). A
  // command that added nothing is not logged. A write that changed
  // something is logged as received, unless the handler called Propagate:
  // then exactly the commands given to Propagate are logged, in order, in
  // place of it. Handlers rewrite what would not replay the same way later:
  // relative times (EXPIRE -> PEXPIREAT, SET EX -> SET PXAT), randomness
  // (SPOP -> SREM), floats (INCRBYFLOAT -> SET KEEPTTL), waiting (BLPOP ->
  // LPOP). Propagate copies its arguments.
  void AddDirty(uint64_t n = 1);
  void Propagate(ArgList args);
  void Propagate(std::initializer_list<absl::string_view> args) {
    Propagate(ArgList(args.begin(), args.size()));
  }
};

using CommandHandler = void (*)(CommandContext& ctx, ArgList args);

// Finds the keys of a command whose keys cannot be told by first/last/step
// alone (Redis's "movablekeys": ZUNIONSTORE dest numkeys key ...): appends
// their indices in `args` (args[0] the name) to *keys, in order. Appends
// nothing when the arguments are malformed (a numkeys that is not a
// number, or runs past the arguments), as Redis's getKeysFromCommand fails.
using KeyFinder = void (*)(ArgList args, std::vector<int>* keys);

struct CommandSpec {
  // Lower case; for a subcommand, just the subcommand ("get").
  std::string name;
  int arity = 0;
  uint32_t flags = 0;
  int first_key = 0;
  int last_key = 0;
  int key_step = 0;
  CommandHandler handler = nullptr;
  // Set for movablekeys commands: then it, not first/last/step, gives the
  // keys (CommandKeyPositions), and COMMAND INFO shows "movablekeys". The
  // triple still shows what is fixed, as Redis's legacy fields do.
  KeyFinder find_keys = nullptr;
  // Documentation for COMMAND DOCS (redis-cli shows it as hints).
  std::string summary;
  std::string since = "1.0.0";
  std::string group = "generic";  // "string", "keyspace"(generic), "server"...
  std::string complexity;
  // ACL categories for COMMAND INFO, e.g. {"@write", "@string", "@slow"}.
  std::vector<std::string> acl_categories;
  std::vector<CommandSpec> subcommands;

  // Filled by CommandTable::Add: "get", or "config|get" for a subcommand.
  std::string full_name;

  bool AcceptsArgCount(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity)
                      : argc >= static_cast<size_t>(-arity);
  }
};

class CommandTable {
 public:
  // Adds a row (and its subcommands). The name must be new.
  void Add(CommandSpec spec);

  // Case-insensitive lookup without allocating; nullptr if unknown.
  const CommandSpec* Find(absl::string_view name) const;
  // Subcommand of `parent`, case-insensitive; nullptr if unknown.
  static const CommandSpec* FindSubcommand(const CommandSpec& parent,
                                           absl::string_view name);

  // All top-level rows, in registration order.
  const std::vector<std::unique_ptr<CommandSpec>>& all() const {
    return rows_;
  }
  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::unique_ptr<CommandSpec>> rows_;
  absl::flat_hash_map<std::string, const CommandSpec*> by_name_;
};

// Positions of the keys in `args` according to the spec's key positions
// (or its find_keys). Returns indices into args.
std::vector<int> CommandKeyPositions(const CommandSpec& spec, ArgList args);

// A KeyFinder's usual work: `fixed_keys` keys at args[1..fixed_keys] (a
// destination), then args[numkeys_index] keys right after it. Appends
// nothing if numkeys is not an integer >= 1 (Redis's key specs reject 0
// too) or names more keys than follow.
void NumKeysPositions(ArgList args, int fixed_keys, int numkeys_index,
                      std::vector<int>* keys);

// ASCII lower-case of `in` into `buf` (which must hold in.size() bytes);
// returns a view of buf. Used for allocation-free case-insensitive lookups.
absl::string_view AsciiLowerInto(absl::string_view in, char* buf);

// Case-insensitive ASCII equality (option names like "EX", "NX").
bool EqualsIgnoreCase(absl::string_view a, absl::string_view b);

}  // namespace twinkv

#endif  // TWINKV_CORE_COMMAND_H_
