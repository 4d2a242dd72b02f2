// The service clock. Time is a parameter of the domain; only this reads the real clock.
// Thread-safe.
#pragma once

#include <chrono>

#include "domain/calendar.h"

namespace p720::app {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

// Real time, optionally started at a chosen instant (--now) and then running at normal speed.
class RunningClock final : public Clock {
 public:
  RunningClock() : offset_(0) {}
  explicit RunningClock(Instant start)
      : offset_(start.time_since_epoch() -
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())) {
  }
  Instant now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + offset_;
  }

 private:
  std::chrono::seconds offset_;
};

}  // namespace p720::app
