// JSON line formatter for spdlog.
#include "logging.h"

#include <pthread.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace p720 {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char time[40];
    std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ms % 1000));
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string line =
        std::string(R"({"time":")") + time + R"(","level":")" + std::string(level.data(), level.size()) + "\"";
    if (payload.size() >= 2 && payload.front() == '{' && payload.back() == '}') {
      // Already a JSON object (built with nlohmann::json by the caller): splice its members in.
      if (payload.size() > 2) line += "," + std::string(payload.substr(1));
      else line += "}";
    } else {
      line += ",\"msg\":" +
              nlohmann::json(std::string(payload)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}";
    }
    line += "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// Writes to stderr from a thread of its own, so that an I/O thread logging a request never waits
// for the write(2): lines queue in memory and the writer sends all queued at once (under load, many
// lines per system call). Warnings and errors are written before the logging call returns, after
// the lines queued before them, so what a failure logs is on disk before anything else happens.
// How long the log writer lets lines gather after a write (see write_loop).
constexpr auto kGather = std::chrono::milliseconds(1);

class BatchedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BatchedStderrSink() : writer_([this] { write_loop(); }) {}
  BatchedStderrSink(const BatchedStderrSink&) = delete;
  BatchedStderrSink& operator=(const BatchedStderrSink&) = delete;
  ~BatchedStderrSink() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    ready_.notify_one();
    writer_.join();
  }

 protected:
  // Runs under the base sink's mutex_.
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    queued_.append(line.data(), line.size());
    if (msg.level >= spdlog::level::warn) {
      write_queued();
    } else {
      ready_.notify_one();
    }
  }
  void flush_() override { write_queued(); }

 private:
  // With mutex_ held: takes what is queued and writes it, in order with the writer thread's writes.
  void write_queued() {
    std::string out;
    out.swap(queued_);
    std::lock_guard order(write_mutex_);
    write_all(out);
  }

  void write_loop() {
    pthread_setname_np(pthread_self(), "p720-log");
    std::unique_lock lock(mutex_);
    while (true) {
      ready_.wait(lock, [this] { return stop_ || !queued_.empty(); });
      if (queued_.empty() && stop_) return;
      std::string out;
      out.swap(queued_);
      // Taken before mutex_ is released, so a warning logged meanwhile is written after these lines.
      std::unique_lock order(write_mutex_);
      lock.unlock();
      write_all(out);
      order.unlock();
      // Let the next lines gather for a moment: under load one write(2) (and one wake-up of this
      // thread) then carries many lines, instead of one wake-up per request; an idle server's
      // line is still written at once.
      std::this_thread::sleep_for(kGather);
      lock.lock();
    }
  }

  static void write_all(const std::string& out) {
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // stderr is gone: nothing better to do with a log line
      done += static_cast<size_t>(n);
    }
  }

  std::string queued_;
  bool stop_ = false;
  std::condition_variable ready_;
  std::mutex write_mutex_;
  std::thread writer_;  // last: starts after the members it uses
};

}  // namespace

void setup_json_logging() {
  auto logger = std::make_shared<spdlog::logger>("pension720", std::make_shared<BatchedStderrSink>());
  logger->set_formatter(std::make_unique<JsonFormatter>());
  spdlog::set_default_logger(logger);
}

}  // namespace p720
