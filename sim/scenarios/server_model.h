// The keyspace oracle of the "server" scenario: a model of what a Redis 7.0
// server may answer, given what is known about the past, for the string and
// key commands, and the list, hash, set and sorted-set commands the
// scenario's clients send (see server_scenario.h).
//
// What the model knows is a set of possible states per key, not one state:
//  - Time. A command runs at one server wall-clock instant that the
//    observer only bounds (an ExecWindow, in Unix ms): somewhere between the
//    request leaving the client and its reply arriving, as the server's own
//    clock (drifting, jumping) showed it. A key with a TTL therefore has an
//    expiry time known to lie in an interval, and a read may find it live or
//    expired; both are allowed when the windows overlap.
//  - Lost replies. A request whose connection died (or timed out) may have
//    run or not, and may still run later (bytes held by a partition or a
//    clog, a paused server). Its keys get the union of "before" and every
//    "after" of the connection's unanswered requests (a prefix of them ran,
//    in order, at unknown times), and are *retired*: the workload never
//    writes them again, and later observations check them without narrowing
//    their sets (a late write may still land after the observation).
//  - Lazy expiry. An expired key may linger (counted by DBSIZE) until
//    something touches it; once the wall clock passed its expiry it may
//    also be gone for good, even if the clock later jumps back. A read may
//    see it absent iff the server's clock may have reached its expiry by
//    then (the "high water" mark of the clock), and present iff the read
//    may have run before its expiry. The boundary is lenient by 1 ms (Redis
//    expires once now > when, twinkv once now >= when).
// Replies that the sets allow narrow the sets of keys that are not retired,
// so every later reply is checked against what the earlier ones revealed.
// A key whose set grows beyond kMaxCells becomes unknown (anything goes, and
// the caller retires it); this is counted, and rare.
//
// The command semantics follow Redis 7.0's t_string.c, t_list.c, t_hash.c,
// t_set.c, t_zset.c, expire.c and db.c (argument parsing order, type checks,
// error strings, string2ll/string2ld, ld2string, "%.17g" scores), written
// here from Redis's behaviour, independently of core/. Non-idempotent
// writes (INCR, LPUSH, LPOP, ZINCRBY, ...) need nothing special: a lost one
// is evaluated like any other write on every state its key may be in, and
// the key keeps both the "ran" and "did not run" states (Uncertain).
//
// Single-threaded; no I/O.

#ifndef TWINKV_SIM_SCENARIOS_SERVER_MODEL_H_
#define TWINKV_SIM_SCENARIOS_SERVER_MODEL_H_

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/resp/reply.h"

namespace twinkv::sim {

// Expiry time of a key without a TTL (it never comes).
inline constexpr int64_t kNoTtl = std::numeric_limits<int64_t>::max();
// The upper end of a window that is not bounded (a request that may still
// run at any later time).
inline constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max() / 4;

// Server wall-clock Unix milliseconds at which a command may have run,
// inclusive; lo <= hi.
struct ExecWindow {
  int64_t lo = 0;
  int64_t hi = 0;
};

// The type of a key's value, as TYPE names it.
enum class KeyType : uint8_t { kString, kList, kHash, kSet, kZset };
absl::string_view KeyTypeName(KeyType type);

// One possible state of a key: absent, or holding a value of `type` (a
// string in `value`, or the elements of an aggregate in the member of its
// type; an aggregate is never empty, as Redis deletes an emptied one) with
// an expiry time somewhere in [expire_lo, expire_hi] (kNoTtl: none).
struct KeyCell {
  bool present = false;
  std::string value;
  int64_t expire_lo = kNoTtl;
  int64_t expire_hi = kNoTtl;
  KeyType type = KeyType::kString;
  std::vector<std::string> list;
  std::map<std::string, std::string> hash;
  std::set<std::string> set;
  std::map<std::string, double> zset;  // member -> score

  static KeyCell Absent() { return KeyCell(); }
  static KeyCell Live(std::string v, int64_t lo = kNoTtl, int64_t hi = kNoTtl) {
    KeyCell c;
    c.present = true;
    c.value = std::move(v);
    c.expire_lo = lo;
    c.expire_hi = hi;
    return c;
  }
  // A present, still empty aggregate of `type` without a TTL.
  static KeyCell Aggregate(KeyType type) {
    KeyCell c;
    c.present = true;
    c.type = type;
    return c;
  }
  // Whether the two hold the same thing (presence, type and contents),
  // whatever their expiry.
  bool SameValue(const KeyCell& o) const;
  // A present aggregate without elements (about to be deleted).
  bool EmptyAggregate() const;
  bool operator==(const KeyCell& o) const {
    return SameValue(o) && expire_lo == o.expire_lo &&
           expire_hi == o.expire_hi;
  }
  // "absent", "\"v\"", "list[\"a\",\"b\"] ttl@[lo,hi]".
  std::string DebugString() const;
};

// What a command does to concrete key states.
struct ModelOutcome {
  Reply reply;
  std::vector<KeyCell> cells;  // after, one per CommandKeys() entry
};

// Upper-cased command name.
std::string CommandName(absl::Span<const std::string> args);
// The keys `args` touches, distinct, in order of first appearance (none for
// KEYS, DBSIZE, PING, ...).
std::vector<std::string> CommandKeys(absl::Span<const std::string> args);
// Whether the command may change the keyspace.
bool IsWriteCommand(absl::Span<const std::string> args);

// Runs `args` as Redis 7.0 would, on keys in the states `cells` (one per
// CommandKeys(args) entry; a present cell is live at the time the command
// runs), at a time within `window`. Returns every possible outcome: more
// than one only when the outcome depends on where in the window the
// command ran (GETEX with an absolute time). Commands outside the
// scenario's set reply an error the server would not send, which any
// check then reports.
std::vector<ModelOutcome> EvalCommand(absl::Span<const std::string> args,
                                      absl::Span<const KeyCell> cells,
                                      ExecWindow window);

// Redis's string2ll and string2ld (as INCR and INCRBYFLOAT parse).
bool RedisParseInt(absl::string_view s, int64_t* out);
// Redis's getDoubleFromObject (ZADD scores, ZINCRBY increments).
bool RedisParseDouble(absl::string_view s, double* out);
// A score as Redis 7.0 replies it in RESP2 ("%.17g", "inf", "-inf").
std::string RedisFormatDouble(double v);
// `reply` with the elements of an unordered reply (SMEMBERS, SINTER:
// members; HGETALL: field-value pairs) sorted, as the model produces it,
// so that replies compare as multisets. Other replies are returned as is.
Reply CanonicalReply(absl::Span<const std::string> args, Reply reply);
bool RedisParseLongDouble(absl::string_view s, long double* out);
// Redis's ld2string in "human" mode (INCRBYFLOAT's reply).
std::string RedisFormatLongDouble(long double v);

class KeyspaceModel {
 public:
  // Larger sets of possible states make a key unknown.
  static constexpr size_t kMaxCells = 24;
  // Larger products of key states make a command's outcome unknown.
  static constexpr size_t kMaxCombinations = 4096;

  struct KeyState {
    std::vector<KeyCell> cells{KeyCell::Absent()};
    bool retired = false;
    bool unknown = false;
  };

  // Checks `reply`, the answer to `args`, which ran once within `window`;
  // `high_water` bounds the server's wall clock up to the reply. Returns ""
  // if the model allows it (and narrows the sets of unretired keys), else a
  // description of the violation. Keys that became unknown are appended
  // to `retire` (the caller stops writing them).
  std::string Observe(absl::Span<const std::string> args, ExecWindow window,
                      int64_t high_water, const Reply& reply,
                      std::vector<std::string>* retire);

  // The distinct replies the model allows for `args` (empty when unknown).
  std::vector<Reply> Predict(absl::Span<const std::string> args,
                             ExecWindow window, int64_t high_water);

  // `commands` were sent, in order, on one connection that died before
  // answering them: any prefix of them ran, at any later time. Widens the
  // sets of the keys they write and retires those keys (appended to
  // `retire`).
  void Uncertain(const std::vector<std::vector<std::string>>& commands,
                 std::vector<std::string>* retire);

  // The state of `key` (Absent when never touched).
  const KeyState& state(absl::string_view key) const;
  // For sabotage tests: overwrite what the model believes.
  void set_cells(const std::string& key, std::vector<KeyCell> cells);
  const std::map<std::string, KeyState>& keys() const { return keys_; }
  // "{"a", absent}" for messages.
  std::string Describe(absl::string_view key) const;

  uint64_t unknown_keys() const { return unknown_keys_; }
  uint64_t unknown_outcomes() const { return unknown_outcomes_; }

 private:
  KeyState& Get(const std::string& key);
  void MakeUnknown(const std::string& key, std::vector<std::string>* retire);
  // Every outcome of `args` over the product of the keys' branches.
  // Returns false if the product is too large or a key is unknown.
  bool Enumerate(
      absl::Span<const std::string> args, const std::vector<std::string>& keys,
      const std::vector<std::vector<KeyCell>>& inputs, ExecWindow window,
      int64_t high_water,
      std::vector<std::pair<std::vector<KeyCell>, ModelOutcome>>* outcomes);
  std::string ObserveKeys(absl::string_view pattern, ExecWindow window,
                          int64_t high_water, const Reply& reply);
  std::string ObserveDbSize(int64_t high_water, const Reply& reply);

  std::map<std::string, KeyState> keys_;
  uint64_t unknown_keys_ = 0;
  uint64_t unknown_outcomes_ = 0;
};

// The states `cell` may be in when a command runs within `window`, given
// that the clock may have reached `high_water` by then: live (with the
// expiry interval narrowed to what "still live" implies) and/or absent
// (expired).
std::vector<KeyCell> Branches(const KeyCell& cell, ExecWindow window,
                              int64_t high_water);
// Adds `cell` to `cells`, merging it with a cell of the same presence and
// value (expiry intervals join into their hull).
void AddCell(std::vector<KeyCell>& cells, const KeyCell& cell);

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_SCENARIOS_SERVER_MODEL_H_
