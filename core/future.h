// Future<T> / Promise<T>: the project's single-threaded futures, and the
// coroutine glue to co_await them.
//
// A Promise is the producer's end: SetValue() once. A Future is the
// consumer's end: Then(fn) registers what runs with the value (at most one
// continuation). Everything runs on one node's loop, so there are no locks:
// shared state is a plain reference-counted block.
//
//   Future<int> f = DoSomething();
//   f.Then([](int v) { ... });          // runs when the value is set
//
// Contracts:
// - SetValue runs the continuation inline if one is registered; Then runs
//   fn inline if the value is already there. Callers that must not be
//   re-entered (they hold half-updated state) post the work themselves.
// - A Promise destroyed without a value leaves its Future pending forever;
//   producers that can fail carry the failure in T (absl::StatusOr).
// - Futures are move-only; Then consumes the future.
//
// Coroutines: `co_await future` works in any coroutine whose resumption is
// fine from inside SetValue (the loop), e.g. CoTask below. CoTask is a
// fire-and-forget coroutine type: it starts at once and destroys itself
// when it finishes; exceptions are not used (the project builds without
// relying on them), so an exception escaping a CoTask terminates. (Not
// named Task: that is transport/runtime.h's unit of work for executors.)
//
//   CoTask Example(Client& c) {
//     absl::StatusOr<Reply> r = co_await c.Send({"GET", "k"});
//     ...
//   }
//
// Thread-compatible (one loop).

#ifndef TWINKV_CORE_FUTURE_H_
#define TWINKV_CORE_FUTURE_H_

#include <cassert>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "absl/functional/any_invocable.h"

namespace twinkv {

namespace future_internal {

template <typename T>
struct State {
  std::optional<T> value;
  absl::AnyInvocable<void(T)> then;
};

}  // namespace future_internal

template <typename T>
class Future;

template <typename T>
class Promise {
 public:
  Promise() : state_(std::make_shared<future_internal::State<T>>()) {}
  Promise(Promise&&) = default;
  Promise& operator=(Promise&&) = default;
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;

  // The future of this promise. Call once.
  Future<T> GetFuture() { return Future<T>(state_); }

  // Sets the value: runs the continuation now if there is one. Call once.
  void SetValue(T value) {
    assert(!state_->value.has_value() && "SetValue called twice");
    if (state_->then) {
      absl::AnyInvocable<void(T)> then = std::move(state_->then);
      state_->then = nullptr;
      std::move(then)(std::move(value));
      return;
    }
    state_->value.emplace(std::move(value));
  }

  bool has_value() const { return state_->value.has_value(); }

 private:
  std::shared_ptr<future_internal::State<T>> state_;
};

template <typename T>
class Future {
 public:
  // A future that is ready with `value`.
  static Future Ready(T value) {
    Promise<T> p;
    Future f = p.GetFuture();
    p.SetValue(std::move(value));
    return f;
  }

  Future(Future&&) = default;
  Future& operator=(Future&&) = default;
  Future(const Future&) = delete;
  Future& operator=(const Future&) = delete;

  bool ready() const { return state_ && state_->value.has_value(); }
  // The value; requires ready().
  T& value() { return *state_->value; }

  // Runs fn(value) when the value is set (now, if it is). Consumes the
  // future.
  void Then(absl::AnyInvocable<void(T)> fn) && {
    auto state = std::move(state_);
    if (state->value.has_value()) {
      T v = std::move(*state->value);
      state->value.reset();
      std::move(fn)(std::move(v));
      return;
    }
    state->then = std::move(fn);
  }

  // co_await support.
  struct Awaiter {
    Future future;
    std::optional<T> result;
    bool await_ready() {
      if (future.ready()) {
        result.emplace(std::move(future.value()));
        return true;
      }
      return false;
    }
    void await_suspend(std::coroutine_handle<> h) {
      std::move(future).Then([this, h](T v) {
        result.emplace(std::move(v));
        h.resume();
      });
    }
    T await_resume() { return std::move(*result); }
  };
  Awaiter operator co_await() && { return Awaiter{std::move(*this), {}}; }

 private:
  friend class Promise<T>;
  explicit Future(std::shared_ptr<future_internal::State<T>> state)
      : state_(std::move(state)) {}
  std::shared_ptr<future_internal::State<T>> state_;
};

// A fire-and-forget coroutine: runs eagerly, frees itself at the end.
struct CoTask {
  struct promise_type {
    CoTask get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

}  // namespace twinkv

#endif  // TWINKV_CORE_FUTURE_H_
