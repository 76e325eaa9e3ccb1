// Expiry in the simulator: an Engine on a simulated node (the node's
// runtime: virtual clocks and timers). A key set with PX 100 is gone at
// virtual t+100 ms through both paths, active (no access: the engine's
// timer) and lazy (a lookup at exactly t+100), and wall-clock jumps of the
// node (the kClockJump fault) do not move relative TTLs.

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/engine.h"
#include "core/families.h"
#include "core/resp/reply_writer.h"
#include "gtest/gtest.h"
#include "sim/faults.h"
#include "sim/world.h"

namespace twinkv {
namespace {

using sim::Fault;
using sim::FaultKind;
using sim::Node;
using sim::World;

class ExpirySimTest : public ::testing::TestWithParam<int64_t> {
 protected:
  ExpirySimTest()
      : world_(/*seed=*/7),
        node_(world_.AddNode("server", "10.0.0.1")),
        engine_(std::make_unique<Engine>(node_, Config(),
                                         RegisterAllFamilies)) {}

  // Runs one command on the node's loop, now; returns the raw RESP reply.
  std::string Run(std::vector<std::string> args) {
    std::string out;
    node_.executor().Post([&] {
      std::vector<absl::string_view> views(args.begin(), args.end());
      ReplyWriter reply(&out);
      engine_->Execute(client_, ArgList(views), reply);
    });
    world_.RunFor(absl::ZeroDuration());
    return out;
  }
  size_t DbSize() { return engine_->keyspace().db(0).size(); }
  void JumpWall(absl::Duration d) {
    Fault f;
    f.kind = FaultKind::kClockJump;
    f.a = node_.id();
    f.amount = absl::ToInt64Nanoseconds(d);
    world_.ApplyFault(f);
  }

  World world_;
  Node& node_;
  std::unique_ptr<Engine> engine_;
  ClientState client_;
};

TEST_P(ExpirySimTest, ActivePathAtVirtualDeadline) {
  const absl::Duration jump = absl::Milliseconds(GetParam());
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "+OK\r\n");
  const absl::Duration t0 = world_.now();
  JumpWall(jump);
  world_.RunFor(absl::Milliseconds(99));
  EXPECT_EQ(DbSize(), 1u);
  // Only the engine's timer may delete it: no command in between.
  world_.RunFor(absl::Milliseconds(1));
  EXPECT_EQ(world_.now() - t0, absl::Milliseconds(100));
  EXPECT_EQ(DbSize(), 0u);
  EXPECT_EQ(engine_->stats().expired_keys, 1u);
  EXPECT_FALSE(engine_->expiry_timer_armed());
  // Idle from now on: no timer, no events.
  EXPECT_EQ(world_.pending_events(), 0u);
}

TEST_P(ExpirySimTest, LazyPathAtVirtualDeadline) {
  const absl::Duration jump = absl::Milliseconds(GetParam());
  // Set behind the engine's back, so that no timer is armed and only a
  // lookup can delete the key.
  Db& db = engine_->keyspace().db(0);
  const int64_t now = engine_->NowMs();
  db.SetString("k", "v", now, now + 100);
  JumpWall(jump);
  world_.RunFor(absl::Milliseconds(99));
  EXPECT_NE(db.Find("k", engine_->NowMs()), nullptr);
  world_.RunFor(absl::Milliseconds(1));
  EXPECT_FALSE(engine_->expiry_timer_armed());
  EXPECT_EQ(DbSize(), 1u);
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(DbSize(), 0u);
  EXPECT_EQ(engine_->stats().expired_keys, 0u);
}

// No jump, the wall clock an hour back, an hour forward.
INSTANTIATE_TEST_SUITE_P(WallJumps, ExpirySimTest,
                         ::testing::Values(0, -3'600'000, 3'600'000));

}  // namespace
}  // namespace twinkv
