// Active and lazy expiry through the engine, on TestRuntime's clocks
// (Advance runs the engine's expiry timer when it comes due).

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/engine.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

void Families(CommandTable& t) {
  RegisterServerFamily(t);
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

class ExpiryTest : public ::testing::Test {
 protected:
  ExpiryTest() : h_(Families) {}
  Engine& engine() { return h_.engine(); }
  TestRuntime& rt() { return h_.runtime(); }
  EngineHarness h_;
};

TEST_F(ExpiryTest, NoTimerWithoutTtls) {
  EXPECT_FALSE(engine().expiry_timer_armed());
  EXPECT_EQ(h_.Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(h_.Run({"GET", "k"}), "v");
  EXPECT_FALSE(engine().expiry_timer_armed());
  rt().Advance(absl::Hours(1));
  EXPECT_EQ(engine().stats().expire_cycles, 0u);
}

TEST_F(ExpiryTest, ActivePathDeletesAtDeadlineWithoutAccess) {
  const int64_t t0 = engine().NowMs();
  EXPECT_EQ(h_.Run({"SET", "k", "v", "PX", "100"}), "OK");
  ASSERT_TRUE(engine().expiry_timer_armed());
  EXPECT_EQ(engine().expiry_deadline_ms(), t0 + 100);
  rt().Advance(absl::Milliseconds(99));
  EXPECT_EQ(engine().keyspace().db(0).size(), 1u);
  EXPECT_EQ(engine().stats().expired_keys, 0u);
  rt().Advance(absl::Milliseconds(1));
  // Gone without any lookup: DBSIZE counts keys not yet deleted.
  EXPECT_EQ(engine().stats().expired_keys, 1u);
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 0");
  EXPECT_FALSE(engine().expiry_timer_armed());
  EXPECT_EQ(engine().stats().expire_cycles, 1u);
}

TEST_F(ExpiryTest, LazyPathAtExactlyTheDeadline) {
  const int64_t t0 = engine().NowMs();
  EXPECT_EQ(h_.Run({"SET", "k", "v", "PX", "100"}), "OK");
  Db& db = engine().keyspace().db(0);
  // No time passes on the runtime (the timer cannot fire); lookups at
  // explicit times.
  EXPECT_NE(db.Find("k", t0 + 99), nullptr);
  EXPECT_EQ(db.Find("k", t0 + 100), nullptr);
  EXPECT_EQ(db.size(), 0u);
  // The timer then finds a stale record and disarms.
  rt().Advance(absl::Milliseconds(100));
  EXPECT_EQ(engine().stats().expired_keys, 0u);
  EXPECT_FALSE(engine().expiry_timer_armed());
}

TEST_F(ExpiryTest, EarlierTtlRearmsTheTimer) {
  const int64_t t0 = engine().NowMs();
  h_.Run({"SET", "a", "v", "PX", "1000"});
  EXPECT_EQ(engine().expiry_deadline_ms(), t0 + 1000);
  h_.Run({"SET", "b", "v", "PX", "10"});
  EXPECT_EQ(engine().expiry_deadline_ms(), t0 + 10);
  rt().Advance(absl::Milliseconds(10));
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 1");
  EXPECT_EQ(engine().expiry_deadline_ms(), t0 + 1000);
  rt().Advance(absl::Milliseconds(990));
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 0");
  EXPECT_FALSE(engine().expiry_timer_armed());
}

TEST_F(ExpiryTest, ChangedTtlsAreRespected) {
  h_.Run({"SET", "p", "v", "PX", "100"});
  h_.Run({"PERSIST", "p"});
  h_.Run({"SET", "l", "v", "PX", "100"});
  h_.Run({"PEXPIRE", "l", "500"});
  h_.Run({"SET", "r", "v", "PX", "100"});
  h_.Run({"RENAME", "r", "r2"});
  h_.Run({"SET", "d", "v", "PX", "100"});
  h_.Run({"DEL", "d"});
  h_.Run({"SET", "d", "v"});  // same name, no TTL now
  rt().Advance(absl::Milliseconds(100));
  EXPECT_EQ(h_.Run({"EXISTS", "p", "l", "r2", "d"}), "(integer) 3");
  EXPECT_EQ(engine().stats().expired_keys, 1u);  // r2
  rt().Advance(absl::Milliseconds(400));
  EXPECT_EQ(h_.Run({"EXISTS", "p", "l", "d"}), "(integer) 2");
  EXPECT_FALSE(engine().expiry_timer_armed());
}

TEST_F(ExpiryTest, SwapAndFlushNeverDangle) {
  h_.Run({"SET", "k", "v", "PX", "100"});
  engine().keyspace().Swap(0, 1);
  rt().Advance(absl::Milliseconds(100));
  EXPECT_EQ(engine().keyspace().db(1).size(), 0u);
  EXPECT_EQ(engine().stats().expired_keys, 1u);
  h_.Run({"SET", "k", "v", "PX", "100"});
  engine().keyspace().Clear();
  rt().Advance(absl::Milliseconds(100));
  EXPECT_EQ(engine().stats().expired_keys, 1u);
  EXPECT_FALSE(engine().expiry_timer_armed());
}

TEST_F(ExpiryTest, WallClockJumpsDoNotMoveRelativeTtls) {
  EXPECT_EQ(h_.Run({"SET", "back", "v", "PX", "100"}), "OK");
  rt().JumpWall(-absl::Hours(1));
  rt().Advance(absl::Milliseconds(99));
  EXPECT_EQ(h_.Run({"PTTL", "back"}), "(integer) 1");
  rt().Advance(absl::Milliseconds(1));
  EXPECT_EQ(h_.Run({"EXISTS", "back"}), "(integer) 0");
  EXPECT_EQ(engine().stats().expired_keys, 1u);

  EXPECT_EQ(h_.Run({"SET", "fwd", "v", "PX", "100"}), "OK");
  rt().JumpWall(absl::Hours(1));
  EXPECT_EQ(h_.Run({"PTTL", "fwd"}), "(integer) 100");
  rt().Advance(absl::Milliseconds(99));
  EXPECT_EQ(h_.Run({"GET", "fwd"}), "v");
  rt().Advance(absl::Milliseconds(1));
  EXPECT_EQ(engine().stats().expired_keys, 2u);
  EXPECT_EQ(h_.Run({"DBSIZE"}), "(integer) 0");
}

TEST_F(ExpiryTest, NowMsIsAnchoredToTheMonotonicClock) {
  const int64_t t0 = engine().NowMs();
  rt().JumpWall(absl::Hours(5));
  EXPECT_EQ(engine().NowMs(), t0);
  rt().Advance(absl::Milliseconds(1234));
  EXPECT_EQ(engine().NowMs(), t0 + 1234);
}

TEST_F(ExpiryTest, AMillionKeysExpireOverBoundedCycles) {
  constexpr int kKeys = 1'000'000;
  const int64_t now = engine().NowMs();
  Db& db = engine().keyspace().db(0);
  for (int i = 0; i < kKeys; ++i) {
    db.SetString(absl::StrCat("key:", i), "v", now, now + 100);
  }
  // One command lets the engine see the new deadlines.
  EXPECT_EQ(h_.Run({"DBSIZE"}), absl::StrCat("(integer) ", kKeys));
  ASSERT_TRUE(engine().expiry_timer_armed());
  rt().Advance(absl::Milliseconds(100));
  const EngineStats& s = engine().stats();
  EXPECT_EQ(s.expired_keys, static_cast<uint64_t>(kKeys));
  EXPECT_LE(s.expire_cycle_max_keys, Engine::kExpireCycleMaxRecords);
  EXPECT_GE(s.expire_cycles, kKeys / Engine::kExpireCycleMaxRecords);
  EXPECT_EQ(db.size(), 0u);
  EXPECT_FALSE(engine().expiry_timer_armed());
}

TEST_F(ExpiryTest, TtlChurnKeepsTheWheelSmall) {
  h_.Run({"SET", "k", "v"});
  for (int i = 0; i < 100'000; ++i) {
    h_.Run({"PEXPIRE", "k", absl::StrCat(1'000'000 + i)});
  }
  const size_t records = engine().keyspace().db(0).wheel_size();
  EXPECT_GE(records, 1u);
  EXPECT_LE(records, 2100u);
  EXPECT_EQ(h_.Run({"PTTL", "k"}), "(integer) 1099999");
}

// Regression: NowMs() once truncated the wall anchor and the elapsed
// monotonic time to milliseconds separately, so it could lag the wall clock
// by 1 ms and a PX key expired 1 ms early by the wall clock (found by the
// simulator's server scenario, seed 172).
TEST(ExpiryRegressionTest, PxKeyNeverExpiresBeforeItsWallClockDeadline) {
  for (int start_us : {0, 300, 600, 999}) {
    for (int step_us : {0, 400, 700}) {
      TestRuntime runtime;
      runtime.Advance(absl::Microseconds(start_us));
      Engine engine(runtime, Config(), [](CommandTable&) {});
      runtime.Advance(absl::Microseconds(step_us));
      EXPECT_EQ(engine.NowMs(), absl::ToUnixMillis(runtime.Now()))
          << "start " << start_us << "us, step " << step_us << "us";
    }
  }
}

}  // namespace
}  // namespace twinkv
