#include "sim/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace twinkv::sim {
namespace {

constexpr int64_t kInfinity = std::numeric_limits<int64_t>::max();

using State = std::optional<std::string>;  // nullopt: the key is absent

// Redis's string2ll accepts exactly the canonical decimal form of an int64
// ("01", "+1", " 1", "-0" are not integers to INCR), so parse, then compare
// with the printed form.
bool ParseRedisInt(const std::string& s, int64_t* out) {
  return absl::SimpleAtoi(s, out) && absl::StrCat(*out) == s;
}

std::string Quote(const std::string& s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return absl::StrCat("\"", absl::CHexEscape(s), "\"");
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMax)), "\"...(",
                      s.size(), " bytes)");
}

std::string DescribeState(const State& s) {
  return s.has_value() ? Quote(*s) : "nil";
}

enum class Step { kIllegal, kSame, kChanged };

// Applies `op` to `state`. kChanged sets *next; kSame means the state is
// unchanged; kIllegal means the op's recorded output contradicts the model.
// Unknown ops are never illegal: their output is unconstrained, and a write
// that would fail (INCR of a non-integer) simply has no effect.
Step Apply(const State& state, const Operation& op, State* next) {
  // Whether the op's output is checked (a known op whose output we have).
  const bool checked = !op.unknown && !op.output_unchecked;
  switch (op.kind) {
    case OpKind::kGet:
      if (!checked || op.output_value == state) return Step::kSame;
      return Step::kIllegal;
    case OpKind::kSet:
      if (state == op.value) return Step::kSame;
      *next = op.value;
      return Step::kChanged;
    case OpKind::kDel: {
      const int64_t existed = state.has_value() ? 1 : 0;
      if (checked && op.output_int != existed) return Step::kIllegal;
      if (!existed) return Step::kSame;
      *next = std::nullopt;
      return Step::kChanged;
    }
    case OpKind::kIncr: {
      int64_t current = 0;
      int64_t sum = 0;
      if ((state.has_value() && !ParseRedisInt(*state, &current)) ||
          __builtin_add_overflow(current, op.incr_by, &sum)) {
        return op.unknown ? Step::kSame : Step::kIllegal;
      }
      if (checked && op.output_int != sum) return Step::kIllegal;
      *next = absl::StrCat(sum);
      return state == *next ? Step::kSame : Step::kChanged;
    }
    case OpKind::kAppend: {
      std::string appended = absl::StrCat(state.value_or(""), op.value);
      if (checked && op.output_int != static_cast<int64_t>(appended.size())) {
        return Step::kIllegal;
      }
      if (state.has_value() && op.value.empty()) return Step::kSame;
      *next = std::move(appended);
      return Step::kChanged;
    }
    case OpKind::kSetNx: {
      const int64_t wrote = state.has_value() ? 0 : 1;
      if (checked && op.output_int != wrote) return Step::kIllegal;
      if (!wrote) return Step::kSame;
      *next = op.value;
      return Step::kChanged;
    }
  }
  return Step::kIllegal;
}

// What the model would answer to `op` in `state`, for reports.
std::string ModelReply(const State& state, const Operation& op) {
  State next = state;
  switch (op.kind) {
    case OpKind::kGet:
      return DescribeState(state);
    case OpKind::kSet:
      return "OK";
    case OpKind::kDel:
      return state.has_value() ? "1" : "0";
    case OpKind::kIncr: {
      int64_t current = 0;
      int64_t sum = 0;
      if (state.has_value() && !ParseRedisInt(*state, &current)) {
        return "ERR value is not an integer or out of range";
      }
      if (__builtin_add_overflow(current, op.incr_by, &sum)) {
        return "ERR increment or decrement would overflow";
      }
      return absl::StrCat(sum);
    }
    case OpKind::kAppend:
      return absl::StrCat(state.value_or("").size() + op.value.size());
    case OpKind::kSetNx:
      return state.has_value() ? "0" : "1";
  }
  return "?";
}

using Bits = std::vector<uint64_t>;

void Flip(Bits& b, int i) { b[i / 64] ^= uint64_t{1} << (i % 64); }
bool IsSubset(const Bits& a, const Bits& b) {  // a ⊆ b
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] & ~b[i]) return false;
  }
  return true;
}

// The memo's key: which known ops are placed, and the model state. The set
// of placed unknown ops is kept beside it, see KeyChecker::Visit().
struct MemoKey {
  Bits known;
  int32_t state;

  template <typename H>
  friend H AbslHashValue(H h, const MemoKey& k) {
    return H::combine(std::move(h), k.known, k.state);
  }
  friend bool operator==(const MemoKey& a, const MemoKey& b) {
    return a.state == b.state && a.known == b.known;
  }
};

// One event in a doubly linked list of the search. Nodes are indices into a
// vector; 0 is the list's head sentinel, -1 is "none".
struct Node {
  int op = -1;
  bool is_call = false;
  int match = -1;  // a call's return node (known ops only)
  int prev = -1;
  int next = -1;
};

// The search for one key. Known ops live in `main_`, a list of call and
// return events in time order (Wing & Gong). Unknown ops have no return;
// their calls live in `unknown_`, in call order. At each level the
// candidates are the known calls before the first remaining return R, then
// the unknown calls at or before R's time: trying "without the unknown op"
// first lets the memo's dominance rule prune the rest (see Visit()).
class KeyChecker {
 public:
  KeyChecker(std::vector<const Operation*> ops, const CheckOptions& options)
      : options_(options) {
    // Known ops first: index i < num_known_ is known, else unknown bit
    // i - num_known_.
    std::stable_partition(ops.begin(), ops.end(),
                          [](const Operation* op) { return !op->unknown; });
    ops_ = std::move(ops);
    while (num_known_ < static_cast<int>(ops_.size()) &&
           !ops_[num_known_]->unknown) {
      ++num_known_;
    }
    states_.push_back(std::nullopt);  // id 0: absent
  }

  CheckResult Run() {
    CheckResult result;
    BuildLists();
    Bits known((num_known_ + 63) / 64, 0);
    Bits unknown((ops_.size() - num_known_ + 63) / 64, 0);
    struct Frame {
      bool in_main;
      int node;
      int32_t prev_state;
      int64_t deadline;  // unknown candidates only: R's time at that level
    };
    std::vector<Frame> stack;
    int remaining_known = num_known_;
    int32_t state = 0;
    State next;
    bool in_main = true;
    int entry = main_[0].next;
    int64_t deadline = 0;
    while (remaining_known > 0) {
      if (++result.steps > options_.max_steps) {
        return GiveUp(absl::StrCat("gave up after ", options_.max_steps,
                                   " steps (the step budget)"),
                      result.steps);
      }
      if (memo_bytes_ > options_.max_cache_bytes) {
        return GiveUp(absl::StrCat("gave up after ", result.steps,
                                   " steps: the memo table outgrew its budget",
                                   " of ", options_.max_cache_bytes, " bytes"),
                      result.steps);
      }
      // Pick the next candidate at this level, or -1 to backtrack.
      int candidate = -1;
      if (in_main) {
        const Node& node = main_[entry];
        if (node.is_call) {
          candidate = entry;
          entry = node.next;
        } else {
          in_main = false;
          deadline = ops_[node.op]->return_us;
          entry = unknown_[0].next;
          continue;
        }
      } else if (entry != -1 && ops_[unknown_[entry].op]->call_us <= deadline) {
        candidate = entry;
        entry = unknown_[entry].next;
      }
      if (candidate != -1) {
        const int op_index = (in_main ? main_ : unknown_)[candidate].op;
        const Operation& op = *ops_[op_index];
        if (!in_main && !IsFirstOfTwins(op_index)) continue;
        const Step step = Apply(states_[state], op, &next);
        if (step == Step::kIllegal) continue;
        // An unknown op that changes nothing yields a configuration the
        // current one dominates (see Visit()): skip the memo lookup.
        if (!in_main && step == Step::kSame) continue;
        const int32_t next_state =
            step == Step::kSame ? state : Intern(std::move(next));
        Bits& bits = in_main ? known : unknown;
        const int bit = in_main ? op_index : op_index - num_known_;
        Flip(bits, bit);
        if (!Visit(known, unknown, next_state)) {
          Flip(bits, bit);
          continue;
        }
        stack.push_back({in_main, candidate, state, deadline});
        state = next_state;
        if (in_main) {
          Lift(main_, candidate);
          --remaining_known;
        } else {
          Lift(unknown_, candidate);
          ++twins_placed_[twin_group_[op_index - num_known_]];
        }
        // The most informative prefix places the most known ops: one that
        // places unknown ops to go deeper may get stuck somewhere else.
        if (num_known_ - remaining_known > best_known_) {
          best_known_ = num_known_ - remaining_known;
          best_prefix_.clear();
          for (const Frame& f : stack) {
            best_prefix_.push_back((f.in_main ? main_ : unknown_)[f.node].op);
          }
        }
        in_main = true;
        entry = main_[0].next;
        continue;
      }
      // No candidate fits: the op returning at R cannot be placed in time
      // after this prefix. Undo the last placement; try the next candidate.
      if (stack.empty()) {
        result.verdict = Verdict::kViolation;
        result.explanation = ExplainViolation();
        return result;
      }
      const Frame frame = stack.back();
      stack.pop_back();
      state = frame.prev_state;
      in_main = frame.in_main;
      deadline = frame.deadline;
      const int op_index = (in_main ? main_ : unknown_)[frame.node].op;
      if (in_main) {
        Flip(known, op_index);
        Unlift(main_, frame.node);
        ++remaining_known;
      } else {
        Flip(unknown, op_index - num_known_);
        Unlift(unknown_, frame.node);
        --twins_placed_[twin_group_[op_index - num_known_]];
      }
      entry = (in_main ? main_ : unknown_)[frame.node].next;
    }
    return result;
  }

 private:
  CheckResult GiveUp(std::string why, int64_t steps) const {
    CheckResult result;
    result.verdict = Verdict::kUnknown;
    result.steps = steps;
    result.explanation =
        absl::StrCat(std::move(why), "; placed at most ", best_known_, " of ",
                     num_known_, " ops with a known outcome");
    return result;
  }

  // Records a configuration; false if it is dominated by one seen before.
  // Configuration D dominates C if both placed the same known ops, reached
  // the same state, and D placed a subset of C's unknown ops: unknown ops
  // never have to be placed and, once called, stay available, so every way
  // C can finish, D can too. (Porcupine's exact match is the special case.)
  // Pruning C is sound whether D failed already or is still on the stack:
  // D's exploration covers C's.
  bool Visit(const Bits& known, const Bits& unknown, int32_t state) {
    auto [it, inserted] = memo_.try_emplace(MemoKey{known, state});
    if (inserted) {
      memo_bytes_ += static_cast<int64_t>(known.size() * 8 + 64);
    }
    std::vector<Bits>& seen = it->second;
    for (const Bits& s : seen) {
      if (IsSubset(s, unknown)) return false;
    }
    // Keep an antichain: drop what the new set dominates.
    seen.erase(std::remove_if(seen.begin(), seen.end(),
                              [&](const Bits& s) {
                                return IsSubset(unknown, s);
                              }),
               seen.end());
    seen.push_back(unknown);
    memo_bytes_ += static_cast<int64_t>(unknown.size() * 8 + 32);
    return true;
  }

  // Unknown ops with the same input ("twins") are interchangeable once both
  // are called, so only the earliest unplaced one of a group is tried.
  bool IsFirstOfTwins(int op_index) const {
    const int u = op_index - num_known_;
    return twin_rank_[u] == twins_placed_[twin_group_[u]];
  }

  void BuildLists() {
    struct Event {
      int64_t time;
      bool is_call;
      int op;
    };
    std::vector<Event> events;
    events.reserve(2 * num_known_);
    for (int i = 0; i < num_known_; ++i) {
      events.push_back({ops_[i]->call_us, true, i});
      events.push_back({ops_[i]->return_us, false, i});
    }
    // Calls before returns at the same instant: touching intervals count as
    // concurrent, the lenient reading of a clock with finite resolution.
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      if (a.is_call != b.is_call) return a.is_call;
      return a.op < b.op;
    });
    main_.assign(events.size() + 1, Node{});
    std::vector<int> call_node(num_known_, -1);
    std::vector<int> return_node(num_known_, -1);
    for (size_t i = 0; i < events.size(); ++i) {
      Node& n = main_[i + 1];
      n.op = events[i].op;
      n.is_call = events[i].is_call;
      (n.is_call ? call_node : return_node)[n.op] = static_cast<int>(i + 1);
    }
    Link(main_);
    for (int i = 0; i < num_known_; ++i) {
      main_[call_node[i]].match = return_node[i];
    }

    std::vector<int> unknown_ops;
    for (int i = num_known_; i < static_cast<int>(ops_.size()); ++i) {
      unknown_ops.push_back(i);
    }
    std::sort(unknown_ops.begin(), unknown_ops.end(), [&](int a, int b) {
      if (ops_[a]->call_us != ops_[b]->call_us) {
        return ops_[a]->call_us < ops_[b]->call_us;
      }
      return a < b;
    });
    unknown_.assign(unknown_ops.size() + 1, Node{});
    for (size_t i = 0; i < unknown_ops.size(); ++i) {
      unknown_[i + 1].op = unknown_ops[i];
      unknown_[i + 1].is_call = true;
    }
    Link(unknown_);
    // Twin groups, ranked in call order.
    std::map<std::tuple<OpKind, std::string, int64_t>, int> groups;
    twin_group_.assign(unknown_ops.size(), 0);
    twin_rank_.assign(unknown_ops.size(), 0);
    std::vector<int> group_size;
    for (int i : unknown_ops) {
      const Operation& op = *ops_[i];
      auto [it, inserted] = groups.try_emplace(
          std::make_tuple(op.kind, op.value, op.incr_by),
          static_cast<int>(groups.size()));
      if (inserted) group_size.push_back(0);
      twin_group_[i - num_known_] = it->second;
      twin_rank_[i - num_known_] = group_size[it->second]++;
    }
    twins_placed_.assign(group_size.size(), 0);
  }

  static void Link(std::vector<Node>& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      list[i].prev = static_cast<int>(i) - 1;
      list[i].next = i + 1 < list.size() ? static_cast<int>(i + 1) : -1;
    }
  }

  static void Remove(std::vector<Node>& list, int i) {
    const Node& n = list[i];
    list[n.prev].next = n.next;
    if (n.next != -1) list[n.next].prev = n.prev;
  }

  // Exactly undoes Remove(list, i): the removed node kept its own links.
  static void Restore(std::vector<Node>& list, int i) {
    const Node& n = list[i];
    list[n.prev].next = i;
    if (n.next != -1) list[n.next].prev = i;
  }

  static void Lift(std::vector<Node>& list, int call) {
    Remove(list, call);
    if (list[call].match != -1) Remove(list, list[call].match);
  }

  static void Unlift(std::vector<Node>& list, int call) {
    if (list[call].match != -1) Restore(list, list[call].match);
    Restore(list, call);
  }

  int32_t Intern(State s) {
    if (!s.has_value()) return 0;
    auto [it, inserted] =
        state_ids_.try_emplace(*s, static_cast<int32_t>(states_.size()));
    if (inserted) {
      memo_bytes_ += static_cast<int64_t>(2 * s->size() + 64);
      states_.push_back(std::move(s));
    }
    return it->second;
  }

  std::string ExplainViolation() const {
    const int max_ops = std::max(options_.max_report_ops, 1);
    std::string out = absl::StrCat(
        "not linearizable (", ops_.size(), " ops). Longest linearizable ",
        "prefix (by known ops): ", best_prefix_.size(), " ops");
    std::vector<bool> placed(ops_.size(), false);
    State state;
    const size_t shown_from =
        best_prefix_.size() > static_cast<size_t>(max_ops)
            ? best_prefix_.size() - max_ops
            : 0;
    if (shown_from > 0) absl::StrAppend(&out, ", the last ", max_ops);
    absl::StrAppend(&out, ":\n");
    for (size_t i = 0; i < best_prefix_.size(); ++i) {
      const Operation& op = *ops_[best_prefix_[i]];
      placed[best_prefix_[i]] = true;
      State next;
      if (Apply(state, op, &next) == Step::kChanged) state = std::move(next);
      if (i >= shown_from) {
        absl::StrAppend(&out, "  ", DescribeOperation(op), "  => ",
                        DescribeState(state), "\n");
      }
    }
    absl::StrAppend(&out, "State after the prefix: ", DescribeState(state),
                    "\n");
    // The known op that must be placed first: the earliest unplaced return.
    int blocker = -1;
    for (int i = 0; i < num_known_; ++i) {
      if (placed[i]) continue;
      if (blocker == -1 || ops_[i]->return_us < ops_[blocker]->return_us) {
        blocker = i;
      }
    }
    if (blocker == -1) return out;  // cannot happen: a known op was unplaced
    const int64_t deadline = ops_[blocker]->return_us;
    absl::StrAppend(&out, "Stuck: ", DescribeOperation(*ops_[blocker]),
                    " must be placed by t=", deadline,
                    ", but no op pending by then leads to a linearization. ",
                    "Pending ops (model's reply in that state):\n");
    std::vector<int> pending;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!placed[i] && ops_[i]->call_us <= deadline) pending.push_back(i);
    }
    std::sort(pending.begin(), pending.end(), [&](int a, int b) {
      return ops_[a]->call_us < ops_[b]->call_us;
    });
    for (size_t k = 0; k < pending.size() && k < static_cast<size_t>(max_ops);
         ++k) {
      const Operation& op = *ops_[pending[k]];
      State next;
      const bool fits = Apply(state, op, &next) != Step::kIllegal;
      absl::StrAppend(&out, "  ", DescribeOperation(op), "  model: ",
                      ModelReply(state, op),
                      fits ? " (fits, but leads nowhere)" : " (contradicts)",
                      "\n");
    }
    if (pending.size() > static_cast<size_t>(max_ops)) {
      absl::StrAppend(&out, "  ... and ", pending.size() - max_ops, " more\n");
    }
    return out;
  }

  std::vector<const Operation*> ops_;
  int num_known_ = 0;
  const CheckOptions& options_;
  std::vector<Node> main_;     // known ops' calls and returns, by time
  std::vector<Node> unknown_;  // unknown ops' calls, by call time
  std::vector<int> twin_group_;    // by unknown bit
  std::vector<int> twin_rank_;     // by unknown bit: rank in its group
  std::vector<int> twins_placed_;  // by group: how many are placed
  // Known-placed bitset and state -> antichain of unknown-placed bitsets.
  absl::flat_hash_map<MemoKey, std::vector<Bits>> memo_;
  int64_t memo_bytes_ = 0;     // an estimate, for max_cache_bytes
  std::vector<State> states_;  // by interned id; 0 is absent
  absl::flat_hash_map<std::string, int32_t> state_ids_;
  std::vector<int> best_prefix_;  // op indices, in linearization order
  int best_known_ = 0;            // known ops in best_prefix_
};

std::string Malformed(const Operation& op) {
  return absl::StrCat("malformed history: ", DescribeOperation(op),
                      " returns before its call or at INT64_MAX");
}

}  // namespace

absl::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kViolation:
      return "violation";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string DescribeOperation(const Operation& op) {
  std::string out = absl::StrCat("#", op.id, " c", op.client, " [",
                                 op.call_us, ",");
  if (op.unknown) {
    absl::StrAppend(&out, "inf) ");
  } else {
    absl::StrAppend(&out, op.return_us, "] ");
  }
  switch (op.kind) {
    case OpKind::kGet:
      absl::StrAppend(&out, "GET");
      if (!op.unknown && !op.output_unchecked) {
        absl::StrAppend(&out, " -> ",
                        op.output_value.has_value() ? Quote(*op.output_value)
                                                    : "nil");
      }
      break;
    case OpKind::kSet:
      absl::StrAppend(&out, "SET ", Quote(op.value));
      break;
    case OpKind::kDel:
      absl::StrAppend(&out, "DEL");
      break;
    case OpKind::kIncr:
      absl::StrAppend(&out, "INCRBY ", op.incr_by);
      break;
    case OpKind::kAppend:
      absl::StrAppend(&out, "APPEND ", Quote(op.value));
      break;
    case OpKind::kSetNx:
      absl::StrAppend(&out, "SETNX ", Quote(op.value));
      break;
  }
  if (op.unknown) {
    absl::StrAppend(&out, " (unknown)");
  } else if (op.output_unchecked) {
    absl::StrAppend(&out, " (output unchecked)");
  } else if (op.kind != OpKind::kGet && op.kind != OpKind::kSet) {
    absl::StrAppend(&out, " -> ", op.output_int);
  }
  return out;
}

CheckResult CheckKeyHistory(absl::Span<const Operation> ops,
                            const CheckOptions& options) {
  std::vector<const Operation*> kept;
  kept.reserve(ops.size());
  for (const Operation& op : ops) {
    if (!op.unknown &&
        (op.return_us < op.call_us || op.return_us == kInfinity)) {
      CheckResult result;
      result.verdict = Verdict::kViolation;
      result.explanation = Malformed(op);
      return result;
    }
    // An unknown read neither constrains nor changes anything.
    if (op.unknown && op.kind == OpKind::kGet) continue;
    kept.push_back(&op);
  }
  return KeyChecker(std::move(kept), options).Run();
}

CheckResult CheckHistory(absl::Span<const Operation> ops,
                         const CheckOptions& options) {
  std::map<absl::string_view, std::vector<Operation>> by_key;
  for (const Operation& op : ops) by_key[op.key].push_back(op);
  CheckResult total;
  bool any_violation = false;
  bool any_unknown = false;
  for (const auto& [key, key_ops] : by_key) {
    CheckResult r = CheckKeyHistory(key_ops, options);
    total.steps += r.steps;
    if (r.verdict == Verdict::kOk) continue;
    any_violation |= r.verdict == Verdict::kViolation;
    any_unknown |= r.verdict == Verdict::kUnknown;
    absl::StrAppend(&total.explanation, "key ", Quote(std::string(key)), ": ",
                    VerdictName(r.verdict), ": ", r.explanation,
                    r.explanation.empty() || r.explanation.back() != '\n'
                        ? "\n"
                        : "");
  }
  total.verdict = any_violation ? Verdict::kViolation
                  : any_unknown ? Verdict::kUnknown
                                : Verdict::kOk;
  return total;
}

}  // namespace twinkv::sim
