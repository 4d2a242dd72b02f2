// Sliding-window failure counters for sign-in (per e-mail, per client address) and code mails:
// at most `max` events per key within `window`. In memory, so per instance. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace p720::app {

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  // max 0 turns it off.
  Throttle(int max, std::chrono::seconds window) : max_(max), window_(window) {}

  // Seconds until `key` may act again: 0 while it has fewer than `max` events in the window.
  long long retry_after(const std::string& key, Clock::time_point now = Clock::now());
  void record(const std::string& key, Clock::time_point now = Clock::now());
  void reset(const std::string& key);

 private:
  void sweep(Clock::time_point now);  // drops keys whose events all left the window

  int max_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> events_;
  Clock::time_point last_sweep_{};
  size_t sweep_at_ = 100'000;  // also sweep when this many keys are held (doubles while they are live)
};

}  // namespace p720::app
