#include "core/command.h"

#include <cassert>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/engine.h"
#include "core/numbers.h"

namespace twinkv {
namespace {

// Longest command name we look up without allocating; longer names cannot
// be commands anyway.
constexpr size_t kMaxNameLen = 64;

void FillFullNames(CommandSpec& spec, absl::string_view parent) {
  spec.full_name =
      parent.empty() ? spec.name : std::string(parent) + "|" + spec.name;
  for (CommandSpec& sub : spec.subcommands) FillFullNames(sub, spec.name);
}

}  // namespace

Db& CommandContext::db() { return engine.keyspace().db(client.db_index); }

void CommandContext::AddDirty(uint64_t n) { engine.AddDirty(n); }

void CommandContext::Propagate(ArgList args) { engine.Propagate(args); }

absl::string_view AsciiLowerInto(absl::string_view in, char* buf) {
  for (size_t i = 0; i < in.size(); ++i) buf[i] = absl::ascii_tolower(in[i]);
  return absl::string_view(buf, in.size());
}

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

void CommandTable::Add(CommandSpec spec) {
  spec.name = absl::AsciiStrToLower(spec.name);
  FillFullNames(spec, "");
  auto row = std::make_unique<CommandSpec>(std::move(spec));
  bool inserted = by_name_.emplace(row->name, row.get()).second;
  assert(inserted && "command registered twice");
  (void)inserted;
  rows_.push_back(std::move(row));
}

const CommandSpec* CommandTable::Find(absl::string_view name) const {
  if (name.size() > kMaxNameLen) return nullptr;
  char buf[kMaxNameLen];
  auto it = by_name_.find(AsciiLowerInto(name, buf));
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& parent,
                                                absl::string_view name) {
  for (const CommandSpec& sub : parent.subcommands) {
    if (absl::EqualsIgnoreCase(sub.name, name)) return &sub;
  }
  return nullptr;
}

std::vector<int> CommandKeyPositions(const CommandSpec& spec, ArgList args) {
  std::vector<int> keys;
  if (spec.find_keys != nullptr) {
    spec.find_keys(args, &keys);
    return keys;
  }
  if (spec.first_key <= 0) return keys;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key >= 0 ? spec.last_key : argc + spec.last_key;
  int step = spec.key_step > 0 ? spec.key_step : 1;
  for (int i = spec.first_key; i <= last && i < argc; i += step) {
    keys.push_back(i);
  }
  return keys;
}

void NumKeysPositions(ArgList args, int fixed_keys, int numkeys_index,
                      std::vector<int>* keys) {
  const int argc = static_cast<int>(args.size());
  if (numkeys_index >= argc || fixed_keys >= argc) return;
  int64_t numkeys;
  if (!ParseInt64(args[numkeys_index], &numkeys) || numkeys < 1 ||
      numkeys > argc - numkeys_index - 1) {
    return;
  }
  for (int i = 1; i <= fixed_keys; ++i) keys->push_back(i);
  for (int i = 0; i < numkeys; ++i) keys->push_back(numkeys_index + 1 + i);
}

}  // namespace twinkv
