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

// Flags of a key specification (Redis 7's key-spec flags, the names
// COMMAND INFO and COMMAND GETKEYSANDFLAGS print).
enum KeySpecFlag : uint32_t {
  kKeyRO = 1u << 0,              // read only ("RO")
  kKeyRW = 1u << 1,              // read and write ("RW")
  kKeyOW = 1u << 2,              // overwrite, the old value is not read ("OW")
  kKeyRM = 1u << 3,              // removes the key ("RM")
  kKeyAccess = 1u << 4,          // returns or copies user data ("access")
  kKeyUpdate = 1u << 5,          // updates the value ("update")
  kKeyInsert = 1u << 6,          // only adds data ("insert")
  kKeyDelete = 1u << 7,          // only removes data ("delete")
  kKeyNotKey = 1u << 8,          // not really a key ("not_key")
  kKeyIncomplete = 1u << 9,      // may not find every key ("incomplete")
  kKeyVariableFlags = 1u << 10,  // flags depend on arguments
                                 // ("variable_flags")
};

// One Redis 7 key specification: where a run of keys starts
// (begin_search) and how far it goes (find_keys). Positions count from
// args[0], the command name (for a subcommand too, as Redis counts).
struct KeySpec {
  uint32_t flags = 0;  // KeySpecFlag bits
  // begin_search: "index" (the first key is args[begin_index]) when
  // keyword is empty; else "keyword": the first key follows `keyword`,
  // searched from args[startfrom] (a negative startfrom searches backwards
  // from the end).
  int begin_index = 0;
  std::string keyword;
  int startfrom = 0;
  // find_keys, relative to the begin position: "range" (lastkey: the last
  // key's offset, negative counts from the end of args; keystep; limit:
  // with lastkey -1, take only 1/limit of the rest) or, when keynum is
  // set, "keynum" (the count is at offset keynumidx, the first key at
  // offset firstkey, then every keystep).
  bool keynum = false;
  int lastkey = 0;
  int keystep = 1;
  int limit = 0;
  int keynumidx = 0;
  int firstkey = 1;
  std::string notes;  // shown by COMMAND INFO when not empty
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
  // Key specifications and command tips for COMMAND INFO and COMMAND
  // GETKEYSANDFLAGS. Left empty by the families: CommandTable::Add fills
  // them with Redis 7.0's (RedisKeySpecs, RedisCommandTips), or, for a
  // command Redis does not have, derives one spec from first/last/step.
  std::vector<KeySpec> key_specs;
  std::vector<std::string> tips;

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
  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return rows_; }
  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::unique_ptr<CommandSpec>> rows_;
  absl::flat_hash_map<std::string, const CommandSpec*> by_name_;
};

// Positions of the keys in `args` according to the spec's key positions
// (or its find_keys). Returns indices into args.
std::vector<int> CommandKeyPositions(const CommandSpec& spec, ArgList args);

// Redis 7.0's key specifications of the command named `full_name`
// ("zunionstore", "object|encoding"); empty if Redis gives it none or
// does not know it.
std::vector<KeySpec> RedisKeySpecs(absl::string_view full_name);
// Redis 7.0's command tips ("request_policy:multi_shard", ...) of the
// command named `full_name`; empty if none.
std::vector<std::string> RedisCommandTips(absl::string_view full_name);

// Names of the KeySpecFlag bits in `flags`, in the order Redis prints them.
std::vector<absl::string_view> KeySpecFlagNames(uint32_t flags);

// A key found in a command's arguments and what the command does to it.
struct KeyRef {
  int pos;         // index into args (args[0] the name)
  uint32_t flags;  // KeySpecFlag bits
};

// The keys of `args` with their flags, as Redis 7.0's COMMAND
// GETKEYSANDFLAGS finds them: by the key specs, in spec order; a spec
// with variable_flags resolves its flags from the arguments (SET ... GET
// reads the key: RW access update; without GET it only writes: OW
// update); a spec marked incomplete falls back to find_keys. Returns
// false (and no keys) when the arguments are malformed for the specs (a
// numkeys that is not a positive count, or runs past the arguments), as
// Redis answers "Invalid arguments specified for command". The caller has
// checked the arity.
bool KeysWithFlags(const CommandSpec& spec, ArgList args,
                   std::vector<KeyRef>* keys);

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
