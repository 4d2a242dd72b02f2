// JSON line formatter for spdlog.
#include "logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

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

}  // namespace

void setup_json_logging() {
  auto logger = spdlog::stderr_logger_mt("pension720");
  logger->set_formatter(std::make_unique<JsonFormatter>());
  spdlog::set_default_logger(logger);
}

}  // namespace p720
