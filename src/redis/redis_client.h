// A small, thread-safe Redis client over hiredis: a pool of connections, a timeout on every
// call, and a short back-off after a failure so a dead Redis costs requests almost nothing.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <thread>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace p720::redis {

struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Parses redis://[:password@]host[:port][/db]. Throws std::invalid_argument when malformed.
RedisTarget parse_redis_url(const std::string& url);

// A reply, copied out of hiredis.
struct Reply {
  enum class Type { kString, kInteger, kArray, kNil, kStatus, kError };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool error() const { return type == Type::kError; }
  bool nil() const { return type == Type::kNil; }
};

// Thread-safe. Every call either returns the server's reply (which may be a kError reply, e.g.
// a script error) or nullopt when Redis could not be reached or timed out; then healthy() turns
// false and calls fail fast (without touching the network) for the back-off period.
class RedisClient {
 public:
  explicit RedisClient(RedisTarget target, std::chrono::milliseconds timeout = std::chrono::milliseconds(200),
                       std::chrono::milliseconds backoff = std::chrono::milliseconds(500));
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  std::optional<Reply> command(const std::vector<std::string>& args);
  // EVAL script numkeys keys... args...
  std::optional<Reply> eval(const std::string& script, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args);
  // The same EVAL from a background thread, in order, without waiting: for advisory writes
  // (marking a ticket sold, releasing holds) that must not slow the caller — the store's
  // writer thread, which answers purchases. Dropped while Redis is down.
  void eval_later(std::string script, std::vector<std::string> keys, std::vector<std::string> args);
  // Waits until everything queued by eval_later before this call has been sent (or dropped).
  void flush();
  // PING; true when Redis answered.
  bool ping();
  // The outcome of the latest call.
  bool healthy() const { return healthy_.load(); }

 private:
  redisContext* acquire();  // pooled or new; nullptr when Redis is unreachable or backing off
  void release(redisContext* c);
  void mark_down();

  void background_loop();

  RedisTarget target_;
  struct Deferred {
    std::string script;
    std::vector<std::string> keys, args;
  };
  std::mutex later_mu_;
  std::condition_variable later_cv_;
  std::deque<Deferred> later_;
  bool stopping_ = false;
  long long queued_ = 0, done_ = 0;  // eval_later calls queued / finished, under later_mu_
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds backoff_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
  std::atomic<bool> healthy_{true};
  std::atomic<long long> down_until_ms_{0};
  std::thread background_;  // last: starts after every member it uses is built
};

}  // namespace p720::redis
