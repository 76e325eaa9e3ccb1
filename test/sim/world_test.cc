// The simulator's loop: virtual time, FIFO ties, the Run* helpers, clocks
// (drift, jumps), pauses and stalls, per-node random streams, logs, the
// trace hash's determinism and the event log.

#include "sim/world.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace twinkv::sim {
namespace {

using ::testing::ElementsAre;

TEST(WorldTest, AnHourPassesInOneEvent) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  bool fired = false;
  n.executor().Schedule(absl::Hours(1), [&] { fired = true; });
  EXPECT_EQ(world.RunUntilIdle(), 1u);
  EXPECT_TRUE(fired);
  EXPECT_EQ(world.now(), absl::Hours(1));
  EXPECT_EQ(n.clock().Monotonic(), absl::Hours(1));
}

TEST(WorldTest, PeriodicTimerForAnHour) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    n.executor().Schedule(absl::Seconds(1), tick);
  };
  n.executor().Schedule(absl::Seconds(1), tick);
  EXPECT_EQ(world.RunFor(absl::Hours(1)), 3600u);
  EXPECT_EQ(ticks, 3600);
  EXPECT_EQ(world.now(), absl::Hours(1));
  EXPECT_EQ(world.pending_events(), 1u);  // the next tick
}

TEST(WorldTest, TiesRunInFifoOrderAcrossNodes) {
  World world(1);
  Node& a = world.AddNode("a", "10.0.0.1");
  Node& b = world.AddNode("b", "10.0.0.2");
  std::vector<std::string> order;
  auto log = [&](std::string s) { return [&order, s] { order.push_back(s); }; };
  a.executor().Schedule(absl::Milliseconds(5), [&] {
    order.push_back("a1");
    // Posted at 5 ms: after everything already due at 5 ms.
    b.executor().Post(log("post"));
  });
  b.executor().Schedule(absl::Milliseconds(5), log("b1"));
  a.executor().Schedule(absl::Milliseconds(5), log("a2"));
  b.executor().Schedule(absl::Milliseconds(4), log("early"));
  world.RunUntilIdle();
  EXPECT_THAT(order, ElementsAre("early", "a1", "b1", "a2", "post"));
}

TEST(WorldTest, RunForIncludesTheLimitAndAdvancesTime) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  std::vector<int> fired;
  for (int s : {1, 2, 3}) {
    n.executor().Schedule(absl::Seconds(s), [&, s] { fired.push_back(s); });
  }
  EXPECT_EQ(world.RunFor(absl::Seconds(2)), 2u);
  EXPECT_THAT(fired, ElementsAre(1, 2));
  EXPECT_EQ(world.now(), absl::Seconds(2));
  EXPECT_EQ(world.RunFor(absl::ZeroDuration()), 0u);
  EXPECT_EQ(world.RunFor(absl::Milliseconds(500)), 0u);
  EXPECT_EQ(world.now(), absl::Milliseconds(2500));
  world.RunFor(absl::Seconds(1));
  EXPECT_THAT(fired, ElementsAre(1, 2, 3));
}

TEST(WorldTest, RunUntilStopsWhenDoneOrAtTheLimit) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  int count = 0;
  for (int s = 1; s <= 10; ++s) {
    n.executor().Schedule(absl::Seconds(s), [&] { ++count; });
  }
  EXPECT_TRUE(world.RunUntil([&] { return count == 3; }, absl::Hours(1)));
  EXPECT_EQ(world.now(), absl::Seconds(3));
  EXPECT_FALSE(world.RunUntil([&] { return count == 100; }, absl::Seconds(2)));
  EXPECT_EQ(count, 5);
  EXPECT_EQ(world.now(), absl::Seconds(5));
  EXPECT_EQ(world.pending_events(), 5u);
}

TEST(WorldTest, CancelledTimersNeitherRunNorCount) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  bool ran = false;
  TimerId id = n.executor().Schedule(absl::Seconds(1), [&] { ran = true; });
  EXPECT_EQ(world.pending_events(), 1u);
  EXPECT_TRUE(n.executor().Cancel(id));
  EXPECT_EQ(world.pending_events(), 0u);
  EXPECT_EQ(world.RunUntilIdle(), 0u);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(n.executor().Cancel(id));
  EXPECT_EQ(world.events_run(), 0u);
}

TEST(WorldTest, ClocksStartAtTheEpochAndFollowVirtualTime) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  EXPECT_EQ(n.clock().Now(), absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0),
                                             absl::UTCTimeZone()));
  EXPECT_EQ(n.clock().Monotonic(), absl::ZeroDuration());
  world.RunFor(absl::Minutes(90));
  EXPECT_EQ(n.clock().Now(), world.options().wall_epoch + absl::Minutes(90));
  n.sim_clock().set_wall_offset(-absl::Hours(2));  // a wall clock jump
  EXPECT_EQ(n.clock().Now(), world.options().wall_epoch - absl::Minutes(30));
  EXPECT_EQ(n.clock().Monotonic(), absl::Minutes(90));  // unaffected
}

TEST(WorldTest, NodeRandomDependsOnSeedAndNameOnly) {
  World w1(9), w2(9), w3(10);
  Node& a1 = w1.AddNode("a", "10.0.0.1");
  w2.AddNode("b", "10.0.0.2");  // a different creation order
  Node& a2 = w2.AddNode("a", "10.0.0.1");
  Node& b2 = w2.node(0);
  Node& a3 = w3.AddNode("a", "10.0.0.1");
  bool name_differs = false, seed_differs = false;
  for (int i = 0; i < 32; ++i) {
    uint64_t x = a1.random().Next64();
    EXPECT_EQ(x, a2.random().Next64());
    name_differs |= x != b2.random().Next64();
    seed_differs |= x != a3.random().Next64();
  }
  EXPECT_TRUE(name_differs);
  EXPECT_TRUE(seed_differs);
}

TEST(WorldTest, LoggerKeepsLinesWithTimeNodeAndLevel) {
  World world(1);
  Node& n = world.AddNode("a", "10.0.0.1");
  world.RunFor(absl::Milliseconds(1500));
  n.logger().Log(LogLevel::kWarning, "disk full");
  n.logger().Log(LogLevel::kDebug, "detail");
  EXPECT_THAT(n.log_lines(), ElementsAre("1.500000 a # disk full", "1.500000 a . detail"));
  WorldOptions quiet;
  quiet.keep_logs = false;
  World silent(1, quiet);
  Node& s = silent.AddNode("s", "10.0.0.1");
  s.logger().Log(LogLevel::kWarning, "dropped");
  EXPECT_TRUE(s.log_lines().empty());
}

TEST(WorldTest, DestroyingTheWorldReleasesPendingTasks) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  {
    World world(1);
    Node& n = world.AddNode("a", "10.0.0.1");
    n.executor().Schedule(absl::Hours(1), [t = token] {});
    n.executor().Post([t = std::move(token)] {});
  }
  EXPECT_TRUE(weak.expired());
}

// A small workload with network traffic, timers and random draws. Returns
// the trace hash and a transcript of what the client saw.
struct Outcome {
  uint64_t hash;
  uint64_t events;
  std::string transcript;
};

Outcome RunScenario(uint64_t seed) {
  World world(seed);
  Node& server = world.AddNode("server", "10.0.0.1");
  Node& client = world.AddNode("client", "10.0.0.2");
  std::vector<std::unique_ptr<Stream>> conns;
  char sbuf[256];
  std::function<void(Stream*)> echo = [&](Stream* s) {
    s->Read(absl::MakeSpan(sbuf), [&, s](NetError e, size_t n) {
      if (e != NetError::kOk) return;
      s->Write(absl::string_view(sbuf, n), [&, s](NetError e) {
        if (e == NetError::kOk) echo(s);
      });
    });
  };
  auto listener = server.network().Listen({"", 6379}, [&](std::unique_ptr<Stream> s) {
    echo(s.get());
    conns.push_back(std::move(s));
  });
  std::unique_ptr<Stream> c;
  std::string transcript;
  char cbuf[256];
  std::function<void()> read = [&] {
    c->Read(absl::MakeSpan(cbuf), [&](NetError e, size_t n) {
      if (e != NetError::kOk) return;
      absl::StrAppend(&transcript, "[", absl::string_view(cbuf, n), "]");
      read();
    });
  };
  client.network().Connect({"server", 6379}, absl::Seconds(1),
                           [&](NetError e, std::unique_ptr<Stream> s) {
                             c = std::move(s);
                             read();
                           });
  // At most one write outstanding (the Stream contract): messages queue.
  std::vector<std::string> outbox;
  bool writing = false;
  std::function<void()> flush = [&] {
    if (writing || outbox.empty() || c == nullptr) return;
    writing = true;
    auto msg = std::make_shared<std::string>(std::move(outbox.front()));
    outbox.erase(outbox.begin());
    c->Write(*msg, [&, msg](NetError e) {
      writing = false;
      if (e == NetError::kOk) flush();
    });
  };
  for (int i = 0; i < 20; ++i) {
    client.executor().Schedule(absl::Milliseconds(1 + client.random().Uniform(50)), [&, i] {
      outbox.push_back(absl::StrCat("msg", i, ";"));
      flush();
    });
  }
  world.RunUntilIdle();
  c.reset();
  conns.clear();
  return {world.trace_hash(), world.events_run(), transcript};
}

TEST(WorldTest, SameSeedSameTrace) {
  for (uint64_t seed : {1, 2, 3}) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    Outcome a = RunScenario(seed), b = RunScenario(seed);
    EXPECT_EQ(a.hash, b.hash);
    EXPECT_EQ(a.events, b.events);
    EXPECT_EQ(a.transcript, b.transcript);
    EXPECT_GT(a.events, 40u);
  }
}

TEST(WorldTest, DifferentSeedsUsuallyDifferentTraces) {
  std::set<uint64_t> hashes;
  std::set<std::string> transcripts;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Outcome o = RunScenario(seed);
    hashes.insert(o.hash);
    transcripts.insert(o.transcript);
  }
  EXPECT_GE(hashes.size(), 7u);
  EXPECT_GE(transcripts.size(), 2u);  // chunking shows in what reads return
}

TEST(WorldTest, DriftingClockRunsFastOrSlowAndTimersFollowIt) {
  World world(1);
  Node& fast = world.AddNode("fast", "10.0.0.1");
  Node& slow = world.AddNode("slow", "10.0.0.2");
  fast.sim_clock().SetDriftPpm(1000);
  slow.sim_clock().SetDriftPpm(-1000);
  absl::Duration fast_fired, slow_fired;
  absl::Duration fast_mono, slow_mono;
  fast.executor().Schedule(absl::Seconds(1), [&] {
    fast_fired = world.now();
    fast_mono = fast.clock().Monotonic();
  });
  slow.executor().Schedule(absl::Seconds(1), [&] {
    slow_fired = world.now();
    slow_mono = slow.clock().Monotonic();
  });
  world.RunUntilIdle();
  // By their own clocks both waited one second: never less, and more only
  // by the clock's granularity (a fast clock skips nanoseconds).
  EXPECT_GE(fast_mono, absl::Seconds(1));
  EXPECT_LE(fast_mono, absl::Seconds(1) + absl::Nanoseconds(1));
  EXPECT_EQ(slow_mono, absl::Seconds(1));
  // By true time, the fast clock's second was shorter.
  EXPECT_NEAR(absl::ToDoubleSeconds(fast_fired), 1 / 1.001, 1e-9);
  EXPECT_NEAR(absl::ToDoubleSeconds(slow_fired), 1 / 0.999, 1e-9);
  world.RunFor(absl::Seconds(1000) - world.now());
  EXPECT_EQ(fast.clock().Monotonic(), absl::Seconds(1001));
  EXPECT_EQ(slow.clock().Monotonic(), absl::Seconds(999));
  EXPECT_EQ(fast.clock().Now(), world.options().wall_epoch + absl::Seconds(1001));
}

TEST(WorldTest, DriftChangesNeverMakeATimerFireEarlyByTheNodesClock) {
  World world(1);
  Node& n = world.AddNode("n", "10.0.0.1");
  n.sim_clock().SetDriftPpm(200000);  // +20%
  absl::Duration fired_mono;
  n.executor().Schedule(absl::Seconds(1), [&] { fired_mono = n.clock().Monotonic(); });
  // Half way, the clock turns slow: the timer's true deadline moves out.
  world.RunFor(absl::Milliseconds(400));
  n.sim_clock().SetDriftPpm(-200000);
  world.RunUntilIdle();
  EXPECT_GE(fired_mono, absl::Seconds(1));
  EXPECT_LE(fired_mono, absl::Seconds(1) + absl::Nanoseconds(1));
}

TEST(WorldTest, MonotonicNeverGoesBackWhateverTheDrift) {
  World world(5);
  Node& n = world.AddNode("n", "10.0.0.1");
  SimRandom r = world.Stream("test");
  absl::Duration last = n.clock().Monotonic();
  for (int i = 0; i < 2000; ++i) {
    world.RunFor(absl::Microseconds(r.Uniform(1000)));
    if (r.Uniform(10) == 0) {
      n.sim_clock().SetDriftPpm(static_cast<int64_t>(r.Uniform(2001)) - 1000);
    }
    const absl::Duration now = n.clock().Monotonic();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(WorldTest, WallClockJumpsBothWays) {
  World world(1);
  Node& n = world.AddNode("n", "10.0.0.1");
  world.RunFor(absl::Seconds(10));
  const absl::Time before = n.clock().Now();
  n.sim_clock().JumpWall(-absl::Hours(1));
  EXPECT_EQ(n.clock().Now(), before - absl::Hours(1));
  n.sim_clock().JumpWall(absl::Minutes(90));
  EXPECT_EQ(n.clock().Now(), before + absl::Minutes(30));
  EXPECT_EQ(n.clock().Monotonic(), absl::Seconds(10));  // untouched
}

TEST(WorldTest, PauseDefersProcessEventsInOrderButNotOthers) {
  World world(1);
  Node& a = world.AddNode("a", "10.0.0.1");
  Node& b = world.AddNode("b", "10.0.0.2");
  std::vector<std::string> order;
  auto at = [&](Node& n, int ms, std::string name) {
    n.executor().Schedule(absl::Milliseconds(ms), [&, name] {
      order.push_back(absl::StrCat(name, "@", absl::ToInt64Milliseconds(world.now())));
    });
  };
  at(a, 1, "a1");
  at(a, 3, "a3");
  at(b, 2, "b2");
  at(a, 10, "a10");  // due when the pause ends: runs after the deferred
  a.Pause(absl::Milliseconds(10));
  EXPECT_TRUE(a.paused());
  at(a, 5, "a5");  // scheduled during the pause
  world.RunUntilIdle();
  EXPECT_THAT(order, ElementsAre("b2@2", "a1@10", "a3@10", "a5@10", "a10@10"));
  EXPECT_FALSE(a.paused());
}

TEST(WorldTest, StallOutsideAnEventIsAPause) {
  World world(1);
  Node& a = world.AddNode("a", "10.0.0.1");
  absl::Duration ran;
  a.executor().Post([&] { ran = world.now(); });
  a.Stall(absl::Milliseconds(7));
  world.RunUntilIdle();
  EXPECT_EQ(ran, absl::Milliseconds(7));
}

TEST(WorldTest, StreamsAreNamedAndIndependent) {
  World w1(3), w2(3);
  SimRandom x = w1.Stream("workload"), y = w2.Stream("workload"), z = w1.Stream("other");
  bool differs = false;
  for (int i = 0; i < 8; ++i) {
    uint64_t v = x.Next64();
    EXPECT_EQ(v, y.Next64());
    differs |= v != z.Next64();
  }
  EXPECT_TRUE(differs);
}

TEST(EventLogTest, RecordsEveryEventWithARunningHash) {
  World world(1);
  Node& n = world.AddNode("n", "10.0.0.1");
  n.executor().Post([] {});
  world.Step();  // before the log is on: not recorded
  world.EnableEventLog();
  n.executor().Schedule(absl::Milliseconds(5), [] {});
  n.executor().Post([] {});
  world.RunUntilIdle();
  const auto& log = world.event_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].index, 1u);
  EXPECT_EQ(log[0].kind, EventKind::kPost);
  EXPECT_EQ(log[1].kind, EventKind::kTimer);
  EXPECT_EQ(log[1].at_ns, 5000000);
  EXPECT_EQ(log[1].hash, world.trace_hash());
  EXPECT_NE(log[0].hash, log[1].hash);
  EXPECT_EQ(world.DescribeEvent(log[1]).substr(0, 30), "#2 t=0.005000000s node=n timer");
}

TEST(EventLogTest, FirstDivergence) {
  auto rec = [](uint64_t i, uint64_t hash) {
    return EventRecord{i, static_cast<int64_t>(i), 0, EventKind::kPost, 0, hash};
  };
  std::vector<EventRecord> a = {rec(0, 1), rec(1, 2), rec(2, 3)};
  std::vector<EventRecord> b = a;
  EXPECT_EQ(FirstDivergence(a, b), std::nullopt);
  b[1].hash = 9;
  EXPECT_EQ(FirstDivergence(a, b), 1u);
  b = a;
  b.pop_back();
  EXPECT_EQ(FirstDivergence(a, b), 2u);  // one run stopped early
  b = a;
  b[2].detail = 1;
  EXPECT_EQ(FirstDivergence(a, b), 2u);
}

}  // namespace
}  // namespace twinkv::sim
