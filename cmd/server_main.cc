// twinkv-server: the production server. The only place (with the other
// cmd/ binaries) that picks a world: here, Boost.Asio and POSIX files.
//
// Usage, as redis-server:
//   twinkv-server [/path/to/twinkv.conf] [--name value ...] [--name=value]
//   twinkv-server --config /path/to/twinkv.conf --port 7000
// Every config-file parameter can be given on the command line, which wins
// over the file. SIGINT/SIGTERM stop accepting, finish the replies in
// flight, close connections and exit 0.

#include <climits>
#include <csignal>
#include <cstring>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/server_node.h"
#include "transport/asio_runtime.h"

namespace {

constexpr char kVersion[] = "0.1.0";

void PrintUsage() {
  fprintf(stderr,
          "Usage: twinkv-server [/path/to/twinkv.conf] [options]\n"
          "       twinkv-server --config /path/to/twinkv.conf [options]\n"
          "       twinkv-server -v or --version\n"
          "       twinkv-server -h or --help\n\n"
          "Any configuration parameter is an option: --port 7000,\n"
          "--bind 127.0.0.1, --databases=16, --maxclients 100 ...\n"
          "Options given on the command line win over the file.\n");
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// INFO memory's numbers, read only when INFO asks (a few microseconds).
// used_bytes: what glibc malloc has handed out and not taken back, chunk
// headers and rounding included (heap chunks in use plus mmapped blocks,
// such as a large table's bucket array). rss_bytes: resident pages.
twinkv::MemoryUsage ProbeMemory() {
  twinkv::MemoryUsage usage;
  struct mallinfo2 m = mallinfo2();
  usage.used_bytes = m.uordblks + m.hblkhd;
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    usage.cpu_sys_seconds = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    usage.cpu_user_seconds = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  }
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    unsigned long long size_pages = 0, resident_pages = 0;
    if (fscanf(f, "%llu %llu", &size_pages, &resident_pages) == 2) {
      usage.rss_bytes = resident_pages * sysconf(_SC_PAGESIZE);
    }
    fclose(f);
  }
  return usage;
}

twinkv::LogLevel ParseLevel(const std::string& level) {
  if (level == "debug") return twinkv::LogLevel::kDebug;
  if (level == "verbose") return twinkv::LogLevel::kVerbose;
  if (level == "warning") return twinkv::LogLevel::kWarning;
  return twinkv::LogLevel::kNotice;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path;
  // A first argument that is not an option is the config file, as with
  // redis-server; "--config PATH" / "--config=PATH" say it explicitly.
  std::vector<std::string> options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      PrintUsage();
      return 0;
    }
    if (a == "-v" || a == "--version") {
      printf("twinkv-server v=%s (Redis protocol 7.0 compatible)\n", kVersion);
      return 0;
    }
    if (i == 0 && !absl::StartsWith(a, "-")) {
      config_path = a;
    } else if (a == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (absl::StartsWith(a, "--config=")) {
      config_path = a.substr(strlen("--config="));
    } else {
      options.push_back(a);
    }
  }

  twinkv::Config config;
  twinkv::ConfigTable table(&config);
  if (!config_path.empty()) {
    std::string text;
    if (!ReadWholeFile(config_path, &text)) {
      fprintf(stderr, "Fatal error, can't open config file '%s': %s\n",
              config_path.c_str(), strerror(errno));
      return 1;
    }
    if (absl::Status s = table.LoadText(text); !s.ok()) {
      fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    char resolved[PATH_MAX];
    config.config_file =
        realpath(config_path.c_str(), resolved) ? resolved : config_path;
  }
  if (absl::Status s = table.LoadArgs(options); !s.ok()) {
    fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }

  twinkv::AsioRuntime runtime;
  runtime.stderr_logger().set_min_level(ParseLevel(config.loglevel));
  twinkv::Logger& log = runtime.logger();
  log.Log(twinkv::LogLevel::kNotice,
          absl::StrCat("twinkv ", kVersion, " starting, pid=", getpid()));

  twinkv::ServerNode node(runtime, config);
  node.engine().set_memory_probe(ProbeMemory);
  if (absl::Status s = node.Start(); !s.ok()) {
    log.Log(twinkv::LogLevel::kWarning, s.message());
    return 1;
  }
  log.Log(twinkv::LogLevel::kNotice,
          absl::StrCat("Ready to accept connections tcp on port ",
                       node.server().port()));

  bool stopping = false;
  auto shutdown = [&] {
    if (stopping) return;
    stopping = true;
    node.Shutdown([&] {
      log.Log(twinkv::LogLevel::kWarning, "twinkv is now ready to exit, bye bye...");
      runtime.Stop();
    });
  };
  node.engine().set_shutdown_handler(shutdown);
  runtime.OnSignal([&](int signal_number) {
    if (stopping) return;
    log.Log(twinkv::LogLevel::kWarning,
            absl::StrCat("Received ",
                         signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                         " scheduling shutdown..."));
    shutdown();
  });
  runtime.Run();
  return 0;
}
