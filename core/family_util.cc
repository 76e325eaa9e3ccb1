#include "core/family_util.h"

#include <limits>
#include <utility>

#include "core/numbers.h"

namespace twinkv {

bool ParseBlockTimeout(CommandContext& ctx, absl::string_view arg,
                       int64_t* timeout_ms) {
  long double seconds;
  if (!ParseLongDouble(arg, &seconds)) {
    ctx.reply.Error(kTimeoutNotFloatErr);
    return false;
  }
  const long double ms = seconds * 1000.0L;
  // Redis casts to long long: out of range (inf, 1e30) comes out as
  // LLONG_MIN on its platforms, hence "negative"; we say so without the
  // undefined behaviour.
  constexpr long double kLimit = 9223372036854775807.0L;
  if (!(ms < kLimit) || !(ms > -kLimit)) {
    ctx.reply.Error(kTimeoutNegativeErr);
    return false;
  }
  const int64_t truncated = static_cast<int64_t>(ms);
  if (truncated < 0) {
    ctx.reply.Error(kTimeoutNegativeErr);
    return false;
  }
  if (truncated > std::numeric_limits<int64_t>::max() - ctx.now_ms) {
    ctx.reply.Error(kTimeoutOutOfRangeErr);
    return false;
  }
  *timeout_ms = truncated;
  return true;
}

absl::string_view ParseScanOptions(ArgList args, size_t first, bool allow_type,
                                   ScanArgs* out) {
  for (size_t i = first; i < args.size(); i += 2) {
    const bool has_value = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "count") && has_value) {
      if (!ParseInt64(args[i + 1], &out->count)) return kNotIntegerErr;
      if (out->count < 1) return kSyntaxErr;
    } else if (EqualsIgnoreCase(args[i], "match") && has_value) {
      out->pattern = args[i + 1];
      out->use_pattern = out->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(args[i], "type") && has_value) {
      out->type = args[i + 1];
      out->use_type = true;
    } else {
      return kSyntaxErr;
    }
  }
  return {};
}

int64_t ScanStepBudget(int64_t count) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  return count > kMax / 10 ? kMax : count * 10;
}

void ReplyEmptyScan(CommandContext& ctx) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk("0");
  ctx.reply.ArrayHeader(0);
}

CommandSpec MakeRow(std::string name, int arity, uint32_t flags,
                    int first_key, int last_key, int key_step,
                    CommandHandler handler, std::string summary,
                    std::string since, std::string group,
                    std::string complexity, std::vector<std::string> acl,
                    KeyFinder find_keys) {
  CommandSpec spec;
  spec.name = std::move(name);
  spec.arity = arity;
  spec.flags = flags;
  spec.first_key = first_key;
  spec.last_key = last_key;
  spec.key_step = key_step;
  spec.handler = handler;
  spec.find_keys = find_keys;
  spec.summary = std::move(summary);
  spec.since = std::move(since);
  spec.group = std::move(group);
  spec.complexity = std::move(complexity);
  spec.acl_categories = std::move(acl);
  return spec;
}

}  // namespace twinkv
