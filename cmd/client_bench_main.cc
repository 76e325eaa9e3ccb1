// twinkv-client-bench: throughput of core's pipelined Client against a real
// server, on the production runtime (Boost.Asio).
//
// Opens --clients Clients to --host:--port, waits until each answered a
// PING, then sends --requests SETs in total (split evenly over the
// clients), each client keeping --inflight of them outstanding, and prints
// the rate:
//   clients=1 inflight=16 requests=1000000 value_size=3 errors=0
//   seconds=4.2 requests_per_second=238095
// Every SET goes to key "key:__rand_int__" (redis-benchmark's key without
// -r) with a value of --value_size bytes, so the numbers compare with
// `redis-benchmark -t set -P <inflight> -c <clients>`.
//
// Exit status: 0 on success, 1 if a client could not connect or any
// request failed.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/future.h"
#include "core/resp/reply.h"
#include "transport/asio_runtime.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "Server address.");
ABSL_FLAG(int, port, 6379, "Server port.");
ABSL_FLAG(int64_t, requests, 1000000, "SETs to send in total.");
ABSL_FLAG(int, inflight, 16, "SETs each client keeps outstanding.");
ABSL_FLAG(int, clients, 1, "Clients (connections).");
ABSL_FLAG(int, value_size, 3, "Bytes per value.");
ABSL_FLAG(double, timeout_s, 60, "Per-request timeout, seconds.");

namespace twinkv {
namespace {

class Driver {
 public:
  Driver(Client& client, int64_t quota, int inflight,
         const std::string& value, absl::Duration timeout)
      : client_(client),
        quota_(quota),
        inflight_(inflight),
        value_(value),
        timeout_(timeout) {}

  // Fills the window; each completion sends the next SET.
  void Start() {
    while (sent_ < quota_ && sent_ - done_ < inflight_) SendOne();
  }
  bool finished() const { return done_ == quota_; }
  int64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void SendOne() {
    ++sent_;
    client_.Send({"SET", "key:__rand_int__", value_}, timeout_)
        .Then([this](ReplyOrError r) {
          ++done_;
          if (!r.ok() || r->is_error()) {
            if (errors_++ == 0) {
              first_error_ =
                  r.ok() ? r->DebugString() : r.status().ToString();
            }
          }
          if (sent_ < quota_) SendOne();
        });
  }

  Client& client_;
  const int64_t quota_;
  const int inflight_;
  const std::string& value_;
  const absl::Duration timeout_;
  int64_t sent_ = 0;
  int64_t done_ = 0;
  int64_t errors_ = 0;
  std::string first_error_;
};

int Main() {
  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  const int inflight = std::max(1, absl::GetFlag(FLAGS_inflight));
  const int64_t requests = std::max<int64_t>(1, absl::GetFlag(FLAGS_requests));
  const std::string value(std::max(0, absl::GetFlag(FLAGS_value_size)), 'x');
  const absl::Duration timeout =
      absl::Seconds(absl::GetFlag(FLAGS_timeout_s));

  AsioRuntime runtime;
  ClientOptions options;
  options.address = Address{absl::GetFlag(FLAGS_host),
                            static_cast<uint16_t>(absl::GetFlag(FLAGS_port))};
  options.request_timeout = timeout;
  std::vector<std::unique_ptr<Client>> conns;
  for (int i = 0; i < clients; ++i) {
    conns.push_back(std::make_unique<Client>(runtime, options));
  }

  // Connected: every client answered a PING.
  int pinged = 0;
  int ping_errors = 0;
  for (auto& c : conns) {
    c->Send({"PING"}, absl::Seconds(5)).Then([&](ReplyOrError r) {
      ++pinged;
      if (!r.ok() || r->is_error()) {
        ++ping_errors;
        std::fprintf(stderr, "PING failed: %s\n",
                     r.ok() ? r->DebugString().c_str()
                            : r.status().ToString().c_str());
      }
    });
  }
  runtime.RunUntil([&] { return pinged == clients; }, absl::Seconds(10));
  if (pinged < clients || ping_errors > 0) {
    std::fprintf(stderr, "could not reach %s:%d\n",
                 options.address.host.c_str(), options.address.port);
    return 1;
  }

  std::vector<std::unique_ptr<Driver>> drivers;
  for (int i = 0; i < clients; ++i) {
    const int64_t quota = requests / clients + (i < requests % clients);
    drivers.push_back(std::make_unique<Driver>(*conns[i], quota, inflight,
                                               value, timeout));
  }
  auto all_finished = [&] {
    for (auto& d : drivers) {
      if (!d->finished()) return false;
    }
    return true;
  };
  const absl::Duration start = runtime.clock().Monotonic();
  for (auto& d : drivers) d->Start();
  runtime.RunUntil(all_finished, absl::Hours(1));
  const absl::Duration elapsed = runtime.clock().Monotonic() - start;

  int64_t errors = 0;
  std::string first_error;
  for (auto& d : drivers) {
    if (errors == 0 && d->errors() > 0) first_error = d->first_error();
    errors += d->errors();
  }
  const double seconds = absl::ToDoubleSeconds(elapsed);
  std::printf(
      "clients=%d inflight=%d requests=%lld value_size=%zu errors=%lld "
      "seconds=%.3f requests_per_second=%.0f\n",
      clients, inflight, static_cast<long long>(requests), value.size(),
      static_cast<long long>(errors), seconds,
      seconds > 0 ? static_cast<double>(requests) / seconds : 0.0);
  if (errors > 0) {
    std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  }

  bool closed_all = false;
  int closed = 0;
  for (auto& c : conns) {
    c->Close([&] {
      if (++closed == clients) closed_all = true;
    });
  }
  runtime.RunUntil([&] { return closed_all; }, absl::Seconds(5));
  return all_finished() && errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace twinkv

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Throughput of twinkv's pipelined client: --host --port --requests "
      "--inflight --clients --value_size");
  absl::ParseCommandLine(argc, argv);
  return twinkv::Main();
}
