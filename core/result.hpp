// A value or an error: how core and sql report failures across module boundaries
// (std::expected is C++23; GCC 12 in C++20 mode does not have it).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace mail2sms {

template <class E>
struct failure {
  E error;
};

template <class E>
failure<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}

template <class T, class E>
class result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class F>
  result(failure<F> f) : state_(std::in_place_index<1>, E(std::move(f.error))) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  const E& error() const {
    assert(!has_value());
    return std::get<1>(state_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> state_;
};

// For operations that succeed with nothing to say.
struct ok_t {};
inline constexpr ok_t ok{};

}  // namespace mail2sms
