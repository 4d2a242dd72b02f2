// Pooled hiredis client with timeouts and back-off.
#include "redis/redis_client.h"

#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <cstdlib>
#include <stdexcept>

namespace p720::redis {
namespace {

long long steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

Reply copy(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

}  // namespace

RedisTarget parse_redis_url(const std::string& url) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("not a redis:// URL: " + url);
  std::string rest = url.substr(scheme.size());
  RedisTarget t;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string cred = rest.substr(0, at);
    if (auto colon = cred.find(':'); colon != std::string::npos) t.password = cred.substr(colon + 1);
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    if (!db.empty()) {
      char* end = nullptr;
      long n = std::strtol(db.c_str(), &end, 10);
      if (*end != '\0' || n < 0 || n > 1000) throw std::invalid_argument("bad database number in redis URL");
      t.db = static_cast<int>(n);
    }
    rest.resize(slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    char* end = nullptr;
    long n = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || n <= 0 || n > 65535) throw std::invalid_argument("bad port in redis URL");
    t.port = static_cast<int>(n);
    rest.resize(colon);
  }
  if (rest.empty()) throw std::invalid_argument("redis URL needs a host");
  t.host = rest;
  return t;
}

RedisClient::RedisClient(RedisTarget target, std::chrono::milliseconds timeout, std::chrono::milliseconds backoff)
    : target_(std::move(target)), timeout_(timeout), backoff_(backoff), background_([this] { background_loop(); }) {}

RedisClient::~RedisClient() {
  {
    std::lock_guard lock(later_mu_);
    stopping_ = true;
  }
  later_cv_.notify_all();
  background_.join();  // sends what is queued first
  for (auto* c : idle_) redisFree(c);
}

void RedisClient::eval_later(std::string script, std::vector<std::string> keys, std::vector<std::string> args) {
  {
    std::lock_guard lock(later_mu_);
    if (later_.size() >= 100'000) return;  // Redis far behind or down: advisory, so drop
    later_.push_back({std::move(script), std::move(keys), std::move(args)});
    ++queued_;
  }
  later_cv_.notify_one();
}

void RedisClient::background_loop() {
  std::unique_lock lock(later_mu_);
  for (;;) {
    later_cv_.wait(lock, [&] { return stopping_ || !later_.empty(); });
    if (later_.empty()) return;  // stopping, nothing left
    auto work = std::move(later_);
    later_.clear();
    lock.unlock();
    for (auto& d : work) (void)eval(d.script, d.keys, d.args);
    lock.lock();
    done_ += static_cast<long long>(work.size());
    later_cv_.notify_all();
  }
}

void RedisClient::flush() {
  std::unique_lock lock(later_mu_);
  const long long target = queued_;
  later_cv_.wait(lock, [&] { return done_ >= target || stopping_; });
}

void RedisClient::mark_down() {
  if (healthy_.exchange(false)) spdlog::warn("redis unreachable; degrading");
  down_until_ms_ = steady_ms() + backoff_.count();
}

redisContext* RedisClient::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  if (steady_ms() < down_until_ms_.load()) return nullptr;
  const timeval tv = to_timeval(timeout_);
  redisContext* c = redisConnectWithTimeout(target_.host.c_str(), target_.port, tv);
  if (!c || c->err) {
    if (c) redisFree(c);
    mark_down();
    return nullptr;
  }
  redisSetTimeout(c, tv);
  redisEnableKeepAlive(c);
  auto setup = [&](std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    const bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    return ok;
  };
  if ((!target_.password.empty() && !setup({"AUTH", target_.password})) ||
      (target_.db != 0 && !setup({"SELECT", std::to_string(target_.db)}))) {
    redisFree(c);
    mark_down();
    return nullptr;
  }
  return c;
}

void RedisClient::release(redisContext* c) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 64) idle_.push_back(c);
  else redisFree(c);
}

std::optional<Reply> RedisClient::command(const std::vector<std::string>& args) {
  // A pooled connection may have died since its last use (Redis restarted): one more try on a
  // fresh connection tells a stale socket from a Redis that is really down.
  for (int attempt = 0; attempt < 2; ++attempt) {
    redisContext* c = acquire();
    if (!c) return std::nullopt;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (!r || c->err) {
      if (r) freeReplyObject(r);
      redisFree(c);
      // The other pooled connections are most likely just as dead: drop them all.
      std::vector<redisContext*> stale;
      {
        std::lock_guard lock(mu_);
        stale.swap(idle_);
      }
      for (auto* s : stale) redisFree(s);
      continue;
    }
    Reply out = copy(r);
    freeReplyObject(r);
    release(c);
    healthy_ = true;
    return out;
  }
  mark_down();
  return std::nullopt;
}

std::optional<Reply> RedisClient::eval(const std::string& script, const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> cmd{"EVAL", script, std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto r = command(cmd);
  if (r && r->error()) spdlog::error("redis script error: {}", r->str);
  return r;
}

bool RedisClient::ping() {
  auto r = command({"PING"});
  return r && !r->error();
}

}  // namespace p720::redis
