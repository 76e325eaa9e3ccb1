// Enforces the one rule: nothing under core/ touches the world directly.
//
// Two checks, each shown able to fail on a planted violation:
//  1. The sources under core/ are grepped for banned includes and calls
//     (Boost, system clocks, rand/random_device, files, sockets, threads,
//     sleeping, environment).
//  2. The compiled core/ libraries' symbol tables are read with objdump:
//     any symbol in a writable data section (.data/.bss: a global or static
//     variable that can change) is global state, which core/ must not have.

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace {

std::vector<std::string> g_files;  // from the command line ($(locations))

struct Rule {
  const char* what;
  const char* regex;
};

// Each rule is a regular expression over one line of source, comments
// excluded.
const Rule kRules[] = {
    {"Boost", R"(#\s*include\s*[<"]boost/)"},
    {"standard clock", R"(\b(system_clock|steady_clock|high_resolution_clock)\b)"},
    {"C time", R"((\bgettimeofday|\bclock_gettime|\btime\s*\(\s*(NULL|nullptr|0)?\s*\)))"},
    {"absl clock", R"(\babsl::(Now|GetCurrentTimeNanos|SleepFor)\b)"},
    {"randomness", R"((\bstd::random_device\b|\brand\s*\(|\bsrand\s*\(|(^|[^.>\w])random\s*\(\s*\)|\babsl::(BitGen|InsecureBitGen)\b|#\s*include\s*<random>))"},
    {"files", R"((\bfopen\s*\(|\bstd::[io]?fstream\b|#\s*include\s*<fstream>|(^|[^.>\w])open\s*\(|\bopendir\s*\(|#\s*include\s*<(fcntl\.h|unistd\.h|dirent\.h|sys/stat\.h|filesystem)>))"},
    {"sockets", R"((\bsocket\s*\(|#\s*include\s*<(sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h)))"},
    {"threads", R"((\bstd::(thread|jthread|async|mutex)\b|\bpthread_|\babsl::Mutex\b|\bstd::this_thread\b|#\s*include\s*<(thread|mutex|future|condition_variable)>))"},
    {"sleeping", R"(\b(sleep|usleep|nanosleep)\s*\()"},
    {"environment", R"(\b(getenv|setenv|putenv)\s*\()"},
    {"signals", R"(\b(signal|sigaction|raise)\s*\()"},
};

// Strips // comments (good enough: banned names inside string literals are
// still caught, which errs on the safe side).
std::string StripComment(const std::string& line) {
  size_t pos = line.find("//");
  return pos == std::string::npos ? line : line.substr(0, pos);
}

// Returns one message per violation in `text` (the contents of `path`).
std::vector<std::string> SourceViolations(const std::string& path,
                                          const std::string& text) {
  static const auto* compiled = [] {
    auto* v = new std::vector<std::regex>();
    for (const Rule& r : kRules) v->emplace_back(r.regex);
    return v;
  }();
  std::vector<std::string> out;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    std::string line = StripComment(std::string(raw));
    for (size_t i = 0; i < std::size(kRules); ++i) {
      if (std::regex_search(line, (*compiled)[i])) {
        out.push_back(absl::StrCat(path, ":", line_no, ": ", kRules[i].what,
                                   ": ", raw));
      }
    }
  }
  return out;
}

// Returns one message per writable data symbol in `objdump -t` output:
// a symbol in .data, .bss or their thread-local forms. (.data.rel.ro holds
// constants that only need relocating; it is read-only at run time.)
std::vector<std::string> GlobalStateViolations(const std::string& objdump) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(objdump, '\n')) {
    // "0000000000000000 l     O .bss\t0000000000000004 counter"
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() < 4) continue;
    absl::string_view section;
    for (size_t i = 1; i < parts.size(); ++i) {
      if (absl::StartsWith(parts[i], ".") || absl::StartsWith(parts[i], "*")) {
        section = parts[i];
        break;
      }
    }
    bool writable =
        section == ".data" || section == ".bss" || section == ".tdata" ||
        section == ".tbss" || absl::StartsWith(section, ".bss.") ||
        absl::StartsWith(section, ".tbss.") ||
        absl::StartsWith(section, ".tdata.") ||
        (absl::StartsWith(section, ".data.") &&
         !absl::StartsWith(section, ".data.rel.ro"));
    if (!writable) continue;
    // Section symbols ("l d .bss 0 .bss") name no variable.
    if (parts.back() == section) continue;
    // <iostream>'s per-file initializer, pulled in by absl/status/status.h:
    // not state core/ can read or change.
    if (absl::StrContains(line, "std::__ioinit")) continue;
    // The compiler's pointers for exception handling (DW.ref.__gxx_
    // personality_v0, DW.ref.__forced_unwind ...): not program state.
    if (absl::StrContains(line, " DW.ref.")) continue;
    out.push_back(std::string(line));
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RunObjdump(const std::string& archive) {
  std::string cmd = absl::StrCat("objdump -t -C ", archive, " 2>/dev/null");
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(LayeringTest, CoreSourcesTouchNoWorld) {
  int sources = 0;
  std::vector<std::string> violations;
  for (const std::string& f : g_files) {
    if (!absl::EndsWith(f, ".h") && !absl::EndsWith(f, ".cc")) continue;
    ++sources;
    for (auto& v : SourceViolations(f, ReadFile(f))) violations.push_back(v);
  }
  EXPECT_GT(sources, 5) << "the test saw no core sources";
  for (const auto& v : violations) ADD_FAILURE() << v;
}

TEST(LayeringTest, CoreLibrariesHoldNoGlobalState) {
  int archives = 0;
  for (const std::string& f : g_files) {
    if (!absl::EndsWith(f, ".a") && !absl::EndsWith(f, ".pic.a")) continue;
    ++archives;
    std::string table = RunObjdump(f);
    ASSERT_FALSE(table.empty()) << "objdump printed nothing for " << f;
    for (auto& v : GlobalStateViolations(table)) {
      ADD_FAILURE() << f << ": writable global or static: " << v;
    }
  }
  EXPECT_GT(archives, 0) << "the test saw no core libraries";
}

// The checks must be able to fail.
TEST(LayeringTest, PlantedViolationsAreCaught) {
  const char* bad[] = {
      "#include <boost/asio.hpp>",
      "auto t = std::chrono::steady_clock::now();",
      "int x = rand();",
      "std::random_device rd;",
      "FILE* f = fopen(\"x\", \"r\");",
      "int fd = open(path, O_RDONLY);",
      "int s = socket(AF_INET, SOCK_STREAM, 0);",
      "std::thread t([]{});",
      "usleep(10);",
      "absl::Time t = absl::Now();",
      "#include <fstream>",
      "long r = random();",
  };
  for (const char* line : bad) {
    EXPECT_FALSE(SourceViolations("planted.cc", line).empty()) << line;
  }
  const char* fine[] = {
      "auto file = runtime.files().Open(path, OpenMode::kRead);",
      "absl::Duration d = clock.Monotonic();",
      "uint64_t r = runtime.random().Next64();",
      "stream->Read(buf, cb);  // rand() in a comment is fine",
      "bool opened = IsOpen(x);",
  };
  for (const char* line : fine) {
    for (const std::string& v : SourceViolations("planted.cc", line)) {
      ADD_FAILURE() << "false positive: " << v;
    }
  }
  EXPECT_EQ(
      GlobalStateViolations(
          "0000000000000000 l     O .bss\t0000000000000008 counter\n"
          "0000000000000000 l     O .data\t0000000000000004 twinkv::hits\n"
          "0000000000000000 l    d  .bss\t0000000000000000 .bss\n"
          "0000000000000000 l     O .bss\t0000000000000001 std::__ioinit\n"
          "0000000000000000 l     O .data.rel.ro.local\t0000000000000010 kName\n"
          "0000000000000000 g     F .text\t0000000000000010 Function()\n"
          "0000000000000000 l     O .rodata\t0000000000000010 kTable\n")
          .size(),
      2u);
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    for (absl::string_view f : absl::StrSplit(argv[i], ' ', absl::SkipEmpty())) {
      g_files.emplace_back(f);
    }
  }
  return RUN_ALL_TESTS();
}
