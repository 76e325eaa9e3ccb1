// twinkv-cluster: starts a cluster of the real server on loopback, for
// trying the cluster modes by hand.
//
//   bazel run //cmd:twinkv-cluster -- --nodes=3 --port=7000 --mode=proxy
//
// Runs one twinkv-server process per node (the binary next to this one)
// on ports port, port+1, ..., all configured with the same member list,
// prints how to reach them, and on SIGINT/SIGTERM stops them (SIGTERM:
// each shuts down gracefully) and exits 0 once all have exited. If a node
// dies on its own, the others are stopped too and the exit status is 1.
// Extra arguments after the flags are passed to every server (e.g.
// --appendonly yes).

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

ABSL_FLAG(int, nodes, 3, "Number of nodes.");
ABSL_FLAG(int, port, 7000, "Port of the first node; the others follow.");
ABSL_FLAG(std::string, mode, "redirect",
          "Cluster mode: redirect (Redis Cluster protocol: clients follow "
          "-MOVED, e.g. redis-cli -c) or proxy (any node serves any key)");

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

std::string ServerPath() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "twinkv-server";
  self[n] = '\0';
  std::string dir(self);
  dir.resize(dir.rfind('/'));
  return dir + "/twinkv-server";
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Starts a twinkv cluster on loopback: twinkv-cluster --nodes=3 "
      "--port=7000 --mode=redirect|proxy [-- extra server options]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  const int nodes = absl::GetFlag(FLAGS_nodes);
  const int port = absl::GetFlag(FLAGS_port);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "redirect" && mode != "proxy") {
    fprintf(stderr, "--mode=%s: must be redirect or proxy\n", mode.c_str());
    return 2;
  }
  if (nodes < 1 || nodes > 64 || port < 1 || port + nodes - 1 > 65535) {
    fprintf(stderr, "bad --nodes or --port\n");
    return 2;
  }
  std::vector<std::string> members;
  for (int i = 0; i < nodes; ++i) {
    members.push_back(absl::StrCat("127.0.0.1:", port + i));
  }
  const std::string member_list = absl::StrJoin(members, " ");
  const std::string server = ServerPath();

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<pid_t> children;
  for (int i = 0; i < nodes; ++i) {
    std::vector<std::string> args = {
        server, "--port", absl::StrCat(port + i), "--cluster-mode", mode,
        "--cluster-nodes", member_list, "--cluster-self", members[i]};
    for (size_t j = 1; j < rest.size(); ++j) args.push_back(rest[j]);
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> cargs;
      for (std::string& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      execv(server.c_str(), cargs.data());
      fprintf(stderr, "exec %s: %s\n", server.c_str(), strerror(errno));
      _exit(127);
    }
    if (pid < 0) {
      perror("fork");
      g_stop = 1;
      break;
    }
    children.push_back(pid);
  }
  printf("twinkv cluster (%s mode): %s\n", mode.c_str(), member_list.c_str());
  if (mode == "proxy") {
    printf("try: redis-cli -p %d set foo bar; redis-cli -p %d mget foo x\n",
           port, port + nodes - 1);
  } else {
    printf("try: redis-cli -c -p %d set foo bar; redis-cli -p %d cluster "
           "slots\n",
           port, port);
  }
  printf("Ctrl-C stops it.\n");
  fflush(stdout);

  int status_code = 0;
  size_t running = children.size();
  while (running > 0) {
    if (g_stop) {
      for (pid_t pid : children) {
        if (pid > 0) kill(pid, SIGTERM);
      }
      g_stop = 2;
    }
    int status = 0;
    const pid_t done = waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (pid_t& pid : children) {
      if (pid != done) continue;
      pid = -1;
      --running;
      if (g_stop == 0) {
        fprintf(stderr, "node exited on its own (status %d); stopping all\n",
                status);
        status_code = 1;
        g_stop = 1;
      }
    }
  }
  return status_code;
}
