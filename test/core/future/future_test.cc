// Future/Promise and the coroutine glue (core/future.h).

#include "core/future.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace twinkv {
namespace {

TEST(FutureTest, ThenBeforeSetValueRunsInsideSetValue) {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  EXPECT_FALSE(f.ready());
  int got = 0;
  std::move(f).Then([&](int v) { got = v; });
  EXPECT_EQ(got, 0);
  EXPECT_FALSE(p.has_value());
  p.SetValue(7);
  EXPECT_EQ(got, 7);
}

TEST(FutureTest, ThenAfterSetValueRunsInline) {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  p.SetValue(9);
  EXPECT_TRUE(p.has_value());
  ASSERT_TRUE(f.ready());
  EXPECT_EQ(f.value(), 9);
  int got = 0;
  std::move(f).Then([&](int v) { got = v; });
  EXPECT_EQ(got, 9);
}

TEST(FutureTest, ReadyFuture) {
  Future<std::string> f = Future<std::string>::Ready("x");
  ASSERT_TRUE(f.ready());
  std::string got;
  std::move(f).Then([&](std::string v) { got = std::move(v); });
  EXPECT_EQ(got, "x");
}

TEST(FutureTest, MoveOnlyValues) {
  Promise<std::unique_ptr<int>> p;
  Future<std::unique_ptr<int>> f = p.GetFuture();
  Future<std::unique_ptr<int>> moved = std::move(f);
  std::unique_ptr<int> got;
  std::move(moved).Then([&](std::unique_ptr<int> v) { got = std::move(v); });
  p.SetValue(std::make_unique<int>(5));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, 5);

  // Ready first, then a move-only continuation (it captures a unique_ptr).
  Promise<std::unique_ptr<int>> p2;
  Future<std::unique_ptr<int>> f2 = p2.GetFuture();
  p2.SetValue(std::make_unique<int>(6));
  int seen = 0;
  std::move(f2).Then([s = std::make_unique<int>(1), &seen](
                         std::unique_ptr<int> v) { seen = *s + *v; });
  EXPECT_EQ(seen, 7);
}

TEST(FutureTest, PromiseDestroyedWithoutValueLeavesFuturePending) {
  bool ran = false;
  {
    Promise<int> p;
    std::move(p.GetFuture()).Then([&](int) { ran = true; });
  }
  EXPECT_FALSE(ran);
}

// Coroutines.

CoTask AwaitTwo(Future<int> a, Future<int> b, std::vector<int>* log) {
  log->push_back(-1);  // CoTask starts eagerly
  int x = co_await std::move(a);
  log->push_back(x);
  int y = co_await std::move(b);
  log->push_back(y);
}

TEST(FutureTest, CoAwaitReadyDoesNotSuspend) {
  std::vector<int> log;
  AwaitTwo(Future<int>::Ready(1), Future<int>::Ready(2), &log);
  EXPECT_EQ(log, (std::vector<int>{-1, 1, 2}));
}

TEST(FutureTest, CoAwaitPendingResumesInSetValue) {
  std::vector<int> log;
  Promise<int> a;
  Promise<int> b;
  AwaitTwo(a.GetFuture(), b.GetFuture(), &log);
  EXPECT_EQ(log, (std::vector<int>{-1}));
  b.SetValue(20);  // b's value waits: the coroutine still awaits a
  EXPECT_EQ(log, (std::vector<int>{-1}));
  a.SetValue(10);  // resumes, takes b's value at once, finishes
  EXPECT_EQ(log, (std::vector<int>{-1, 10, 20}));
}

CoTask AwaitOwned(Future<std::unique_ptr<std::string>> f,
                  std::unique_ptr<std::string>* out, bool* finished) {
  *out = co_await std::move(f);
  *finished = true;
}

TEST(FutureTest, CoAwaitMoveOnly) {
  Promise<std::unique_ptr<std::string>> p;
  std::unique_ptr<std::string> out;
  bool finished = false;
  AwaitOwned(p.GetFuture(), &out, &finished);
  EXPECT_FALSE(finished);
  p.SetValue(std::make_unique<std::string>("hello"));
  EXPECT_TRUE(finished);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(*out, "hello");
}

// A coroutine's locals are destroyed when it finishes (the frame frees
// itself), seen through a shared_ptr's use count.
CoTask HoldUntilResumed(std::shared_ptr<int> held, Future<int> f) {
  co_await std::move(f);
}

TEST(FutureTest, CoTaskFrameIsFreedWhenItFinishes) {
  auto shared = std::make_shared<int>(0);
  Promise<int> p;
  HoldUntilResumed(shared, p.GetFuture());
  EXPECT_EQ(shared.use_count(), 2);  // the suspended frame holds one
  p.SetValue(1);
  EXPECT_EQ(shared.use_count(), 1);
}

}  // namespace
}  // namespace twinkv
