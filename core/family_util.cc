#include "core/family_util.h"

#include <limits>

#include "core/numbers.h"

namespace twinkv {

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

}  // namespace twinkv
