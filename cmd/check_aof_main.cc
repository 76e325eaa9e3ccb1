// twinkv-check-aof: checks (and, with --fix, repairs) an append-only file,
// as Redis 7's redis-check-aof does for its multi-part AOF.
//
// Usage: twinkv-check-aof [--fix] <file.manifest | file.aof>
//
// Given a manifest, checks every file it lists, base first, then the incr
// files in replay order (the order the server loads them); given one AOF
// file, checks just that. For each file it prints how many complete
// commands it holds and up to which offset it is valid, then what is wrong
// if anything is: the last command cut short (a torn write), or a format
// error at some offset with the parser's reason. Exits 0 if every file is
// valid, 1 if not.
//
// --fix cuts a broken file back to the end of its last complete command
// (then fdatasyncs it). Only the last file of the log, or the single file
// given, may be cut: the files after a broken middle one hold changes that
// were made on top of what the cut would drop, so replaying them would
// build a data set that never existed. For that case the tool refuses
// (exit 1) and leaves the files alone, as redis-check-aof does. Unlike
// redis-check-aof it does not ask for confirmation: running it with --fix
// is the confirmation.
//
// The files are parsed with the server's own AofParser (core/aof_format.h),
// so the tool accepts exactly what the server loads. Single-threaded.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/aof_format.h"
#include "transport/posix_files.h"
#include "transport/runtime.h"

namespace {

constexpr size_t kReadChunk = 1 << 20;

// What checking one file found.
struct FileCheck {
  std::string name;  // as listed in the manifest, or the path given
  std::string path;
  uint64_t size = 0;
  uint64_t commands = 0;
  uint64_t valid_up_to = 0;  // end of the last complete command
  enum Verdict { kValid, kTruncated, kCorrupt } verdict = kValid;
  uint64_t error_offset = 0;  // kCorrupt only
  std::string error;          // kCorrupt only
};

// Reads up to `limit` bytes from the start of `path`.
absl::StatusOr<std::string> ReadHead(twinkv::FileSystem& fs,
                                     const std::string& path, size_t limit) {
  absl::StatusOr<std::unique_ptr<twinkv::File>> f =
      fs.Open(path, twinkv::OpenMode::kRead);
  if (!f.ok()) return f.status();
  std::string out;
  std::string chunk(kReadChunk, '\0');
  while (out.size() < limit) {
    absl::StatusOr<size_t> n =
        (*f)->ReadAt(out.size(), absl::Span<char>(chunk));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    out.append(chunk.data(), *n);
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

// Parses the whole file at `path`; an error only when it cannot be read.
absl::StatusOr<FileCheck> CheckFile(twinkv::FileSystem& fs,
                                    const std::string& name,
                                    const std::string& path) {
  FileCheck check;
  check.name = name;
  check.path = path;
  absl::StatusOr<std::unique_ptr<twinkv::File>> f =
      fs.Open(path, twinkv::OpenMode::kRead);
  if (!f.ok()) return f.status();
  absl::StatusOr<uint64_t> size = (*f)->Size();
  if (!size.ok()) return size.status();
  check.size = *size;

  twinkv::AofParser parser;
  std::string chunk(kReadChunk, '\0');
  uint64_t offset = 0;
  twinkv::AofParser::Result r = twinkv::AofParser::kNeedMore;
  while (r != twinkv::AofParser::kCorrupt) {
    absl::StatusOr<size_t> n = (*f)->ReadAt(offset, absl::Span<char>(chunk));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    offset += *n;
    parser.Feed(absl::string_view(chunk.data(), *n));
    while ((r = parser.Next()) == twinkv::AofParser::kCommand) {
      ++check.commands;
    }
  }
  // The file may have changed size while we read it (a running server);
  // what was read is what was checked.
  check.size = std::max(check.size, offset);
  check.valid_up_to = parser.end_offset();
  if (r == twinkv::AofParser::kCorrupt) {
    check.verdict = FileCheck::kCorrupt;
    check.error_offset = parser.error_offset();
    check.error = parser.error();
  } else if (!parser.unconsumed().empty() || check.valid_up_to < offset) {
    check.verdict = FileCheck::kTruncated;
  }
  return check;
}

void PrintCheck(const FileCheck& c) {
  printf("%s: %llu commands, valid up to offset %llu of %llu\n", c.name.c_str(),
         static_cast<unsigned long long>(c.commands),
         static_cast<unsigned long long>(c.valid_up_to),
         static_cast<unsigned long long>(c.size));
  switch (c.verdict) {
    case FileCheck::kValid:
      break;
    case FileCheck::kTruncated:
      printf(
          "%s: truncated: the last command, at offset %llu, is "
          "incomplete (short read, %llu bytes)\n",
          c.name.c_str(), static_cast<unsigned long long>(c.valid_up_to),
          static_cast<unsigned long long>(c.size - c.valid_up_to));
      break;
    case FileCheck::kCorrupt:
      printf("%s: format error at offset %llu: %s\n", c.name.c_str(),
             static_cast<unsigned long long>(c.error_offset), c.error.c_str());
      break;
  }
}

// Cuts `c`'s file back to its valid prefix, durably. Returns the exit code.
int Fix(twinkv::FileSystem& fs, const FileCheck& c) {
  printf(
      "This will shrink the AOF %s from %llu bytes, with %llu bytes, to "
      "%llu bytes\n",
      c.name.c_str(), static_cast<unsigned long long>(c.size),
      static_cast<unsigned long long>(c.size - c.valid_up_to),
      static_cast<unsigned long long>(c.valid_up_to));
  absl::StatusOr<std::unique_ptr<twinkv::File>> f =
      fs.Open(c.path, twinkv::OpenMode::kAppend);
  absl::Status s = f.status();
  if (s.ok()) s = (*f)->Truncate(c.valid_up_to);
  if (s.ok()) s = (*f)->Sync();
  if (!s.ok()) {
    printf("Failed to truncate AOF %s: %s\n", c.name.c_str(),
           std::string(s.message()).c_str());
    return 1;
  }
  printf("Successfully truncated AOF %s\n", c.name.c_str());
  return 0;
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A manifest is named so, or is text that parses as one (an AOF starts
// with '*').
bool LooksLikeManifest(const std::string& path, const std::string& text) {
  if (absl::EndsWith(path, ".manifest")) return true;
  if (text.empty() || text[0] == '*') return false;
  return twinkv::AofManifest::Parse(text).ok();
}

int Usage(const char* argv0) {
  fprintf(stderr, "Usage: %s [--fix] <file.manifest | file.aof>\n", argv0);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (a == "--fix") {
      fix = true;
    } else if (a == "-h" || a == "--help") {
      Usage(argv[0]);
      return 0;
    } else if (absl::StartsWith(a, "-") || !path.empty()) {
      fprintf(stderr, "Invalid argument: %s\n", argv[i]);
      return Usage(argv[0]);
    } else {
      path = std::string(a);
    }
  }
  if (path.empty()) return Usage(argv[0]);

  twinkv::PosixFileSystem fs;
  // Manifests are a few lines; more than this is an AOF.
  constexpr size_t kMaxManifestBytes = 1 << 20;
  absl::StatusOr<std::string> head = ReadHead(fs, path, kMaxManifestBytes);
  if (!head.ok()) {
    printf("Cannot open file %s: %s\n", path.c_str(),
           std::string(head.status().message()).c_str());
    return 1;
  }

  // The files to check, in replay order: {name, path}.
  std::vector<std::pair<std::string, std::string>> files;
  if (LooksLikeManifest(path, *head)) {
    absl::StatusOr<twinkv::AofManifest> m =
        head->size() < kMaxManifestBytes
            ? twinkv::AofManifest::Parse(*head)
            : absl::InvalidArgumentError("too large for a manifest");
    if (!m.ok()) {
      printf("Invalid AOF manifest %s: %s\n", path.c_str(),
             std::string(m.status().message()).c_str());
      return 1;
    }
    const std::string dir = DirOf(path);
    printf("Checking the multi-part AOF of manifest %s\n", path.c_str());
    if (m->has_base) {
      files.emplace_back(m->base.name, absl::StrCat(dir, "/", m->base.name));
    }
    for (const auto& e : m->incrs) {
      files.emplace_back(e.name, absl::StrCat(dir, "/", e.name));
    }
  } else {
    files.emplace_back(path, path);
  }
  head->clear();

  std::vector<FileCheck> checks;
  bool unreadable = false;
  for (const auto& [name, file_path] : files) {
    absl::StatusOr<FileCheck> c = CheckFile(fs, name, file_path);
    if (!c.ok()) {
      printf("%s: cannot read: %s\n", name.c_str(),
             std::string(c.status().message()).c_str());
      unreadable = true;
      continue;
    }
    PrintCheck(*c);
    checks.push_back(*std::move(c));
  }

  // The first broken file, if any.
  const FileCheck* broken = nullptr;
  size_t broken_count = 0;
  for (const FileCheck& c : checks) {
    if (c.verdict == FileCheck::kValid) continue;
    if (broken == nullptr) broken = &c;
    ++broken_count;
  }
  if (unreadable) {
    printf("AOF is not valid: a file it lists cannot be read\n");
    return 1;
  }
  if (broken == nullptr) {
    printf("AOF is valid\n");
    return 0;
  }
  const bool broken_is_last = broken_count == 1 && broken == &checks.back();
  if (!fix) {
    printf("AOF is not valid.%s\n",
           broken_is_last ? " Use the --fix option to try fixing it." : "");
    return 1;
  }
  if (!broken_is_last) {
    printf(
        "AOF %s is broken but it is not the last file of the AOF: "
        "truncating it would drop the changes the files after it were "
        "made on top of. It cannot be fixed with --fix; restore it from a "
        "backup.\n",
        broken->name.c_str());
    return 1;
  }
  return Fix(fs, *broken);
}
