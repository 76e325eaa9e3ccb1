// A linearizability checker for histories of string-register operations, as
// recorded by the simulator's `cluster` scenario: Wing & Gong's search with
// Lowe's memoization, the algorithm of Porcupine (Athalye).
//
// The model is one Redis string key: its state is a value or "absent" (nil).
// A history is a set of operations, each seen by one client between its call
// and its return (virtual microseconds). It is linearizable if every
// operation can be given a point inside its [call, return] interval such
// that, applied in that order to the model, each produces the output the
// client saw. Linearizability is local (Herlihy & Wing), so a history over
// many keys is checked one key at a time: CheckHistory() groups by key.
//
// "Unknown" operations: a client whose request timed out or whose connection
// died never learns whether the write happened. Such an operation has no
// return (its interval is [call, +inf)) and no output: the search may place
// it anywhere after its call, or not at all; the search succeeds as soon as
// every operation with a known return is placed. An unknown GET says nothing
// and is dropped.
//
// Verdicts: kOk (a linearization exists), kViolation (none exists; the
// explanation shows the longest linearizable prefix found, the model's state
// after it, and the operations that could not be placed next), kUnknown (the
// step or memory budget ran out first: not a failure, but say so).
// A malformed history (a known op returning before its call, or at
// INT64_MAX) is reported as kViolation with an explanation containing
// "malformed history", so that a scenario bug fails loudly, not quietly.
//
// Unknown ops stay placeable forever, so an exact memo (Porcupine's) would
// grow as 2^(unknown ops). Instead a configuration that placed the same
// known ops, reached the same state and placed a SUBSET of the unknown ops
// dominates (and prunes) one that placed more; candidates are tried known
// first, unknown last, so the dominating configurations come first; and
// unknown ops with identical inputs are tried in one fixed order.
//
// Cost: with c concurrent clients and n operations per key, an ok history
// takes about n * c steps (2,000 ops, 5 clients, 3% unknown: ~12k steps,
// milliseconds). Refuting a violation must rule out every linearization of
// the prefix before it: cheap without unknown ops (~100k steps for a bad
// read at the end of 2,000 ops), but with dozens of unknown ops pending it
// can exceed the default budget (~2 s) and return kUnknown.
//
// Threading contract: pure functions over their arguments; no shared state.

#ifndef TWINKV_SIM_LINEARIZABILITY_H_
#define TWINKV_SIM_LINEARIZABILITY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace twinkv::sim {

enum class OpKind {
  kGet,     // output_value: the value read, nullopt for nil.
  kSet,     // writes `value`; reply OK (nothing to check). Also one key of
            // an MSET.
  kDel,     // output_int: 1 if the key existed, else 0.
  kIncr,    // adds `incr_by`; output_int: the new value. Only successful
            // replies are recorded, so a known INCR requires the state to be
            // absent or a canonical int64 and the sum not to overflow.
  kAppend,  // appends `value`; output_int: the new length.
  kSetNx,   // writes `value` if absent; output_int: 1 if it did, else 0.
};

// One operation on one key, as one client saw it.
struct Operation {
  int64_t id = 0;   // the caller's label (e.g. index in its log), for reports
  int client = 0;   // for reports only: the checker needs no client order
  std::string key;  // used by CheckHistory() only
  OpKind kind = OpKind::kGet;
  std::string value;    // kSet, kSetNx: the value; kAppend: the suffix
  int64_t incr_by = 0;  // kIncr
  int64_t call_us = 0;
  int64_t return_us = 0;  // ignored if unknown (taken as +infinity)
  bool unknown = false;   // the client never learned the outcome
  // Known to have run (inside [call, return]) but its own output is not
  // known: one key of a multi-key DEL, whose reply counts every key.
  // Ignored for unknown ops; a kGet so marked constrains nothing.
  bool output_unchecked = false;
  // The output the client saw (ignored if unknown); which one per kind above.
  std::optional<std::string> output_value;
  int64_t output_int = 0;
};

enum class Verdict { kOk, kViolation, kUnknown };

struct CheckOptions {
  // One step is one attempt to place an operation or one backtrack.
  int64_t max_steps = 10'000'000;
  // Approximate bound on the memo table (it stores one bitset per entry).
  int64_t max_cache_bytes = int64_t{256} << 20;
  // How many operations of the prefix and of the candidates a violation
  // report lists (the rest are counted).
  int max_report_ops = 20;
};

struct CheckResult {
  Verdict verdict = Verdict::kOk;
  int64_t steps = 0;  // summed over keys for CheckHistory()
  // Empty for kOk. Otherwise human-readable, one paragraph per key that is
  // not kOk, each starting with the key.
  std::string explanation;
};

// Checks the history of ONE key (every op's `key` is ignored). Requires
// call_us <= return_us for known ops and return_us < INT64_MAX.
CheckResult CheckKeyHistory(absl::Span<const Operation> ops,
                            const CheckOptions& options = {});

// Groups `ops` by key and checks each key. The verdict is kViolation if any
// key is, else kUnknown if any key is, else kOk. Keys are checked in sorted
// order, so the explanation is deterministic; each key gets the full budget.
CheckResult CheckHistory(absl::Span<const Operation> ops,
                         const CheckOptions& options = {});

absl::string_view VerdictName(Verdict verdict);

// One line, e.g. `#12 c3 [100,250] GET -> "v"` or
// `#13 c1 [120,inf) SET "w" (unknown)`.
std::string DescribeOperation(const Operation& op);

}  // namespace twinkv::sim

#endif  // TWINKV_SIM_LINEARIZABILITY_H_
