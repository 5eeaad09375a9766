// Collects what arrives from another thread (a simulator's JSON lines, PDUs a peer received) and
// lets a test wait for a matching item.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace mail2sms::testing {

template <class T>
class inbox {
 public:
  static constexpr std::chrono::seconds generous{20};  // an upper bound for what takes milliseconds

  void push(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    changed_.notify_all();
  }

  std::optional<T> wait_for(const std::function<bool(const T&)>& match,
                            std::chrono::milliseconds timeout = generous) {
    std::unique_lock lock(mutex_);
    std::optional<T> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& item : items_) {
        if (match(item)) {
          found = item;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  std::size_t count_if(const std::function<bool(const T&)>& match) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& item : items_) n += match(item) ? 1 : 0;
    return n;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> items_;
};

}  // namespace mail2sms::testing
