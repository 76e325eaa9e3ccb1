// Tests of what is specific to the Asio runtime: running and stopping the
// loop, timer re-arming, name resolution, IPv6 names, signals, the log
// format, surviving EMFILE, connect timeouts and full-duplex bulk transfer.
// Behaviour shared with the simulator is in test/conformance/.
//
// Waits are bounded by generous real-time limits; nothing asserts on how
// long anything took.

#include "transport/asio_runtime.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace twinkv {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;

constexpr absl::Duration kLimit = absl::Seconds(10);

AsioRuntime::Options Quiet() {
  AsioRuntime::Options o;
  o.min_log_level = LogLevel::kWarning;
  return o;
}

TEST(AsioRuntimeTest, StopEndsRun) {
  AsioRuntime rt(Quiet());
  int ran = 0;
  rt.executor().Post([&] { ++ran; });
  rt.executor().Schedule(absl::Milliseconds(1), [&] {
    ++ran;
    rt.Stop();
  });
  rt.Run();  // returns only because of Stop()
  EXPECT_EQ(ran, 2);
  // The loop runs again afterwards.
  rt.executor().Post([&] { ++ran; });
  EXPECT_EQ(rt.Poll(), 1u);
  EXPECT_EQ(ran, 3);
}

TEST(AsioRuntimeTest, StopBeforeRunIsNotLost) {
  AsioRuntime rt(Quiet());
  rt.Stop();
  rt.Run();  // must return at once instead of blocking forever
  SUCCEED();
}

TEST(AsioRuntimeTest, RunForReturnsWithoutWork) {
  AsioRuntime rt(Quiet());
  EXPECT_EQ(rt.RunFor(absl::Milliseconds(5)), 0u);
  bool ran = false;
  rt.executor().Post([&] { ran = true; });
  EXPECT_GE(rt.RunFor(absl::Milliseconds(5)), 1u);
  EXPECT_TRUE(ran);
}

TEST(AsioRuntimeTest, PollRunsOnlyReadyWork) {
  AsioRuntime rt(Quiet());
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) rt.executor().Post([&, i] { order.push_back(i); });
  bool timer = false;
  rt.executor().Schedule(absl::Hours(1), [&] { timer = true; });
  EXPECT_EQ(rt.Poll(), 3u);
  EXPECT_THAT(order, ElementsAre(0, 1, 2));
  EXPECT_FALSE(timer);
}

TEST(AsioRuntimeTest, ExplicitSeedReproducesRandom) {
  AsioRuntime::Options o = Quiet();
  o.seed = 42;
  AsioRuntime a(o), b(o);
  EXPECT_EQ(a.seed(), 42u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.random().Next64(), b.random().Next64());
  AsioRuntime c(Quiet());  // from random_device
  AsioRuntime d(Quiet());
  EXPECT_NE(c.seed(), d.seed());  // 2^-64 chance of a false failure
}

TEST(AsioRuntimeTest, EarlierTimerRearmsTheWakeUp) {
  AsioRuntime rt(Quiet());
  std::vector<std::string> order;
  rt.executor().Schedule(absl::Hours(1), [&] { order.push_back("hour"); });
  rt.executor().Schedule(absl::Milliseconds(30), [&] { order.push_back("30"); });
  rt.executor().Schedule(absl::Milliseconds(1), [&] { order.push_back("1"); });
  ASSERT_TRUE(rt.RunUntil([&] { return order.size() == 2; }, kLimit));
  EXPECT_THAT(order, ElementsAre("1", "30"));
}

TEST(AsioRuntimeTest, CancellingTheEarliestTimerKeepsLaterOnes) {
  AsioRuntime rt(Quiet());
  bool first = false, second = false;
  TimerId id = rt.executor().Schedule(absl::Milliseconds(1), [&] { first = true; });
  rt.executor().Schedule(absl::Milliseconds(3), [&] { second = true; });
  ASSERT_TRUE(rt.executor().Cancel(id));
  ASSERT_TRUE(rt.RunUntil([&] { return second; }, kLimit));
  EXPECT_FALSE(first);
}

TEST(AsioRuntimeTest, TimerCallbackCanScheduleAndCancel) {
  AsioRuntime rt(Quiet());
  int chain = 0;
  std::function<void()> step = [&] {
    if (++chain < 50) {
      TimerId doomed = rt.executor().Schedule(absl::ZeroDuration(), [&] { chain = 1000; });
      EXPECT_TRUE(rt.executor().Cancel(doomed));
      rt.executor().Schedule(absl::ZeroDuration(), step);
    }
  };
  rt.executor().Schedule(absl::ZeroDuration(), step);
  ASSERT_TRUE(rt.RunUntil([&] { return chain >= 50; }, kLimit));
  EXPECT_EQ(chain, 50);
}

// Echo through `host`, for the name-resolution and IPv6 paths.
void EchoThrough(AsioRuntime& rt, const std::string& listen_host,
                 const std::string& connect_host, std::string* peer_name) {
  std::unique_ptr<Stream> server;
  auto listener = rt.network().Listen(
      {listen_host, 0}, [&](std::unique_ptr<Stream> s) { server = std::move(s); });
  ASSERT_TRUE(listener.ok()) << listener.status();
  std::unique_ptr<Stream> client;
  NetError error = NetError::kOther;
  bool connected = false;
  rt.network().Connect({connect_host, (*listener)->port()}, absl::Seconds(5),
                       [&](NetError e, std::unique_ptr<Stream> s) {
                         error = e;
                         client = std::move(s);
                         connected = true;
                       });
  ASSERT_TRUE(rt.RunUntil([&] { return connected && server; }, kLimit));
  ASSERT_EQ(error, NetError::kOk) << NetErrorName(error);
  *peer_name = server->PeerName();
  char buf[16];
  size_t got = 0;
  bool read = false;
  server->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
    ASSERT_EQ(e, NetError::kOk);
    got = n;
    read = true;
  });
  client->Write("ping", [](NetError e) { EXPECT_EQ(e, NetError::kOk); });
  ASSERT_TRUE(rt.RunUntil([&] { return read; }, kLimit));
  EXPECT_EQ(absl::string_view(buf, got), absl::string_view("ping").substr(0, got));
}

TEST(AsioRuntimeTest, ConnectsByName) {
  AsioRuntime rt(Quiet());
  std::string peer;
  ASSERT_NO_FATAL_FAILURE(EchoThrough(rt, "127.0.0.1", "localhost", &peer));
  EXPECT_TRUE(absl::StartsWith(peer, "127.0.0.1:")) << peer;
}

TEST(AsioRuntimeTest, ListensOnAllInterfaces) {
  AsioRuntime rt(Quiet());
  std::string peer;
  ASSERT_NO_FATAL_FAILURE(EchoThrough(rt, "0.0.0.0", "127.0.0.1", &peer));
  EXPECT_TRUE(absl::StartsWith(peer, "127.0.0.1:")) << peer;
}

TEST(AsioRuntimeTest, Ipv6LoopbackNamesUseBrackets) {
  AsioRuntime rt(Quiet());
  auto probe = rt.network().Listen({"::1", 0}, [](std::unique_ptr<Stream>) {});
  if (!probe.ok()) GTEST_SKIP() << "no IPv6 here: " << probe.status();
  std::string peer;
  ASSERT_NO_FATAL_FAILURE(EchoThrough(rt, "::1", "::1", &peer));
  EXPECT_TRUE(absl::StartsWith(peer, "[::1]:")) << peer;
}

TEST(AsioRuntimeTest, ListenOnAForeignAddressFails) {
  AsioRuntime rt(Quiet());
  // TEST-NET-1 (RFC 5737) is never a local address.
  auto l = rt.network().Listen({"192.0.2.1", 0}, [](std::unique_ptr<Stream>) {});
  EXPECT_EQ(l.status().code(), absl::StatusCode::kUnavailable) << l.status();
  EXPECT_TRUE(absl::StrContains(l.status().message(), "192.0.2.1"));
}

TEST(AsioRuntimeTest, ConnectTimesOutWhenTheBacklogIsFull) {
  // A raw listener with backlog 0 that never accepts: once its queue is full
  // Linux drops further SYNs, so a connect hangs until our timeout.
  int l = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(l, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(l, 0), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(c);
  }
  AsioRuntime rt(Quiet());
  bool done = false;
  NetError error = NetError::kOk;
  rt.network().Connect({"127.0.0.1", ntohs(addr.sin_port)}, absl::Milliseconds(100),
                       [&](NetError e, std::unique_ptr<Stream> s) {
                         error = e;
                         EXPECT_EQ(s, nullptr);
                         done = true;
                       });
  EXPECT_TRUE(rt.RunUntil([&] { return done; }, kLimit));
  EXPECT_EQ(error, NetError::kTimedOut) << NetErrorName(error);
  for (int c : fillers) close(c);
  close(l);
}

TEST(AsioRuntimeTest, AcceptSurvivesRunningOutOfDescriptors) {
  AsioRuntime::Options o = Quiet();
  o.accept_retry_delay = absl::Milliseconds(5);
  AsioRuntime rt(o);
  std::vector<std::unique_ptr<Stream>> accepted;
  auto listener = rt.network().Listen(
      {"127.0.0.1", 0}, [&](std::unique_ptr<Stream> s) { accepted.push_back(std::move(s)); });
  ASSERT_TRUE(listener.ok());
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(c, 0);
  // Use up every descriptor.
  std::vector<int> hog;
  for (;;) {
    int fd = dup(c);
    if (fd < 0) break;
    hog.push_back(fd);
  }
  ASSERT_FALSE(hog.empty());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((*listener)->port());
  // Completes in the kernel's backlog; accepting it needs a descriptor.
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  rt.RunFor(absl::Milliseconds(30));  // several failed attempts
  EXPECT_TRUE(accepted.empty());
  for (int fd : hog) close(fd);
  EXPECT_TRUE(rt.RunUntil([&] { return accepted.size() == 1; }, kLimit));
  // The accepted stream works.
  ASSERT_EQ(write(c, "x", 1), 1);
  char buf[4];
  bool read = false;
  accepted[0]->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
    EXPECT_EQ(e, NetError::kOk);
    read = true;
  });
  EXPECT_TRUE(rt.RunUntil([&] { return read; }, kLimit));
  close(c);
}

TEST(AsioRuntimeTest, FullDuplexBulkTransfer) {
  // Both ends write 8 MB at once, more than the socket buffers hold, while
  // reading: neither may block the other.
  AsioRuntime rt(Quiet());
  std::unique_ptr<Stream> server, client;
  auto listener = rt.network().Listen(
      {"127.0.0.1", 0}, [&](std::unique_ptr<Stream> s) { server = std::move(s); });
  ASSERT_TRUE(listener.ok());
  rt.network().Connect({"127.0.0.1", (*listener)->port()}, absl::Seconds(5),
                       [&](NetError e, std::unique_ptr<Stream> s) { client = std::move(s); });
  ASSERT_TRUE(rt.RunUntil([&] { return server && client; }, kLimit));
  const size_t kSize = 8 << 20;
  std::string a(kSize, 'a'), b(kSize, 'b');
  a[kSize - 1] = 'A';
  b[kSize - 1] = 'B';
  struct Sink {
    std::string got;
    char buf[65536];
  };
  auto sink_a = std::make_unique<Sink>(), sink_b = std::make_unique<Sink>();
  std::function<void(Stream&, Sink&)> drain = [&](Stream& s, Sink& k) {
    s.Read(absl::MakeSpan(k.buf), [&](NetError e, size_t n) {
      if (e != NetError::kOk) return;
      k.got.append(k.buf, n);
      drain(s, k);
    });
  };
  drain(*server, *sink_a);
  drain(*client, *sink_b);
  int writes_done = 0;
  client->Write(a, [&](NetError e) { EXPECT_EQ(e, NetError::kOk); ++writes_done; });
  server->Write(b, [&](NetError e) { EXPECT_EQ(e, NetError::kOk); ++writes_done; });
  ASSERT_TRUE(rt.RunUntil(
      [&] { return writes_done == 2 && sink_a->got.size() == kSize && sink_b->got.size() == kSize; },
      kLimit));
  EXPECT_TRUE(sink_a->got == a);
  EXPECT_TRUE(sink_b->got == b);
}

TEST(AsioRuntimeTest, CallbackMayDestroyItsStream) {
  AsioRuntime rt(Quiet());
  std::unique_ptr<Stream> server, client;
  auto listener = rt.network().Listen(
      {"127.0.0.1", 0}, [&](std::unique_ptr<Stream> s) { server = std::move(s); });
  ASSERT_TRUE(listener.ok());
  rt.network().Connect({"127.0.0.1", (*listener)->port()}, absl::Seconds(5),
                       [&](NetError e, std::unique_ptr<Stream> s) { client = std::move(s); });
  ASSERT_TRUE(rt.RunUntil([&] { return server && client; }, kLimit));
  char buf[8];
  bool called = false;
  client->Read(absl::MakeSpan(buf), [&](NetError e, size_t) {
    called = true;
    client.reset();
  });
  server->Write("bye", [](NetError) {});
  ASSERT_TRUE(rt.RunUntil([&] { return called; }, kLimit));
  EXPECT_EQ(client, nullptr);
  rt.RunFor(absl::Milliseconds(10));  // nothing left behind may crash
}

TEST(AsioRuntimeTest, SignalsArriveOnTheLoop) {
  AsioRuntime rt(Quiet());
  std::vector<int> got;
  rt.OnSignal({SIGUSR1, SIGUSR2}, [&](int s) { got.push_back(s); });
  ASSERT_EQ(raise(SIGUSR2), 0);
  ASSERT_TRUE(rt.RunUntil([&] { return got.size() == 1; }, kLimit));
  ASSERT_EQ(raise(SIGUSR1), 0);  // the watch re-arms
  ASSERT_TRUE(rt.RunUntil([&] { return got.size() == 2; }, kLimit));
  EXPECT_THAT(got, ElementsAre(SIGUSR2, SIGUSR1));
}

TEST(AsioRuntimeTest, ShutdownSignalsByDefault) {
  AsioRuntime rt(Quiet());
  std::vector<int> got;
  rt.OnSignal([&](int s) { got.push_back(s); });
  ASSERT_EQ(raise(SIGTERM), 0);
  ASSERT_TRUE(rt.RunUntil([&] { return got.size() == 1; }, kLimit));
  ASSERT_EQ(raise(SIGINT), 0);
  ASSERT_TRUE(rt.RunUntil([&] { return got.size() == 2; }, kLimit));
  EXPECT_THAT(got, ElementsAre(SIGTERM, SIGINT));
}

TEST(StderrLoggerTest, LinesLookLikeRedis) {
  absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 11, 21, 5, 33, 12),
                                 absl::LocalTimeZone()) +
                 absl::Milliseconds(123);
  EXPECT_EQ(StderrLogger::FormatLine(4242, 'M', t, LogLevel::kNotice, "Ready to accept connections"),
            "4242:M 21 Nov 2026 05:33:12.123 * Ready to accept connections\n");
  EXPECT_EQ(StderrLogger::LevelMark(LogLevel::kDebug), '.');
  EXPECT_EQ(StderrLogger::LevelMark(LogLevel::kVerbose), '-');
  EXPECT_EQ(StderrLogger::LevelMark(LogLevel::kNotice), '*');
  EXPECT_EQ(StderrLogger::LevelMark(LogLevel::kWarning), '#');
}

TEST(StderrLoggerTest, DropsLinesBelowTheMinimumLevel) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  StderrLogger logger(LogLevel::kNotice, 'C', out);
  logger.Log(LogLevel::kDebug, "hidden debug");
  logger.Log(LogLevel::kVerbose, "hidden verbose");
  logger.Log(LogLevel::kNotice, "shown notice");
  logger.Log(LogLevel::kWarning, "shown warning");
  std::rewind(out);
  std::string text;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), out)) > 0) text.append(buf, n);
  std::fclose(out);
  EXPECT_FALSE(absl::StrContains(text, "hidden"));
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << text;
  const std::string pid = absl::StrCat(getpid());
  EXPECT_THAT(lines[0], MatchesRegex(pid + ":C [0-9]{2} [A-Z][a-z]{2} [0-9]{4} "
                                           "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} \\* shown notice"));
  EXPECT_THAT(lines[1], MatchesRegex(".* # shown warning"));
}

}  // namespace
}  // namespace twinkv
