#include "core/errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace twinkv {

std::string WrongArgsError(absl::string_view command) {
  return absl::StrCat("ERR wrong number of arguments for '", command,
                      "' command");
}

std::string UnknownCommandError(absl::string_view name,
                                absl::Span<const absl::string_view> args) {
  // Redis quotes the arguments until the quoted text reaches 128 bytes, each
  // cut so the running total stays under 128, and truncates the name at 128.
  std::string quoted;
  for (absl::string_view arg : args) {
    if (quoted.size() >= 128) break;
    absl::StrAppend(&quoted, "'", arg.substr(0, 128 - quoted.size()), "' ");
  }
  return absl::StrCat("ERR unknown command '", name.substr(0, 128),
                      "', with args beginning with: ", quoted);
}

std::string UnknownSubcommandError(absl::string_view container,
                                   absl::string_view subcommand) {
  return absl::StrCat("ERR unknown subcommand '", subcommand.substr(0, 128),
                      "'. Try ", absl::AsciiStrToUpper(container), " HELP.");
}

std::string InvalidExpireError(absl::string_view command) {
  return absl::StrCat("ERR invalid expire time in '", command, "' command");
}

}  // namespace twinkv
