// A hand-driven Runtime for engine and command tests: a clock the test sets,
// a task queue the test drains, a seeded random stream. No network or files
// (those methods fail the test); network tests use sim/ or the Asio runtime.

#ifndef TWINKV_TEST_CORE_TEST_RUNTIME_H_
#define TWINKV_TEST_CORE_TEST_RUNTIME_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "transport/runtime.h"

namespace twinkv {

class TestRuntime : public Runtime, Executor, Clock, Random, Logger {
 public:
  explicit TestRuntime(uint64_t seed = 1) : state_(seed) {}

  Executor& executor() override { return *this; }
  Clock& clock() override { return *this; }
  Random& random() override { return *this; }
  Logger& logger() override { return *this; }
  Network& network() override {
    ADD_FAILURE() << "TestRuntime has no network";
    std::abort();
  }
  FileSystem& files() override {
    ADD_FAILURE() << "TestRuntime has no files";
    std::abort();
  }

  // Executor.
  void Post(Task task) override { posted_.push_back(std::move(task)); }
  TimerId Schedule(absl::Duration delay, Task task) override {
    TimerId id = ++next_timer_;
    timers_.emplace(std::make_pair(monotonic_ + delay, id), std::move(task));
    return id;
  }
  bool Cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    }
    return false;
  }
  // Runs posted tasks until none is left.
  void RunPosted() {
    while (!posted_.empty()) {
      Task t = std::move(posted_.front());
      posted_.pop_front();
      std::move(t)();
    }
  }
  // Moves both clocks forward by `d`, running timers that come due.
  void Advance(absl::Duration d) {
    absl::Duration end = monotonic_ + d;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      absl::Duration due = it->first.first;
      wall_ += due - monotonic_;
      monotonic_ = due;
      Task t = std::move(it->second);
      timers_.erase(it);
      std::move(t)();
      RunPosted();
    }
    wall_ += end - monotonic_;
    monotonic_ = end;
  }

  // Clock.
  absl::Duration Monotonic() override { return monotonic_; }
  absl::Time Now() override { return wall_; }
  // Jumps only the wall clock (like an operator or NTP).
  void JumpWall(absl::Duration d) { wall_ += d; }

  // Random: splitmix64.
  uint64_t Next64() override {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Logger.
  void Log(LogLevel level, absl::string_view message) override {
    log_.emplace_back(message);
  }
  const std::vector<std::string>& log() const { return log_; }

 private:
  uint64_t state_;
  absl::Duration monotonic_ = absl::Seconds(1000);
  absl::Time wall_ = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  std::deque<Task> posted_;
  std::map<std::pair<absl::Duration, TimerId>, Task> timers_;
  TimerId next_timer_ = 0;
  std::vector<std::string> log_;
};

}  // namespace twinkv

#endif  // TWINKV_TEST_CORE_TEST_RUNTIME_H_
