// A small, thread-safe Redis client over hiredis: a pool of connections, a timeout on every
// call, and a short back-off after a failure so a dead Redis costs requests almost nothing.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
//
// A round trip to Redis costs far more CPU (~80-100 µs here) than Redis's own work, so scripts
// are sent as EVALSHA (the script text only when Redis lacks it) and background scripts are
// pipelined: whatever is queued goes out in one round trip.
class RedisClient {
 public:
  explicit RedisClient(RedisTarget target, std::chrono::milliseconds timeout = std::chrono::milliseconds(200),
                       std::chrono::milliseconds backoff = std::chrono::milliseconds(500));
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  std::optional<Reply> command(const std::vector<std::string>& args);
  // Runs a Lua script: EVALSHA of its SHA1, or EVAL when Redis answers NOSCRIPT (its script
  // cache is empty after a restart or SCRIPT FLUSH), which caches it again.
  std::optional<Reply> eval(const std::string& script, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args);
  // The same from a background thread, without waiting: for advisory writes (marking a ticket
  // sold, releasing holds) that must not slow the caller — the store's writer thread, which
  // answers purchases. Everything queued meanwhile is sent as one pipeline, in order (except
  // that a script Redis had forgotten runs after the rest of its pipeline: the queued writes
  // are idempotent and commute). Dropped while Redis is down or when far behind.
  //
  // `mergeable`: the script does the same to each of KEYS[2..] and ARGV in turn, so queued calls
  // of it with the same KEYS[1] may run as one call with their KEYS[2..] and ARGV concatenated
  // (a script run costs Redis far more than one more element in it).
  void eval_later(std::string script, std::vector<std::string> keys, std::vector<std::string> args,
                  bool mergeable = false);
  // Waits until everything queued by eval_later before this call has been sent (or dropped).
  void flush();
  // PING; true when Redis answered.
  bool ping();
  // The outcome of the latest call.
  bool healthy() const { return healthy_.load(); }
  // Round trips made so far for commands and scripts, including failed attempts (a connection's
  // set-up is not counted). A pipeline of many commands is one.
  long long round_trips() const { return round_trips_.load(); }

  struct ScriptCall {
    std::string script;
    std::vector<std::string> keys, args;
    bool mergeable = false;
  };
  // What the background thread sends for `calls`: each mergeable call folded into the first
  // earlier one it may join (same script and KEYS[1], under a size bound), the rest in order.
  static std::vector<ScriptCall> merge(std::vector<ScriptCall> calls);

 private:
  using Command = std::vector<std::string>;

  redisContext* acquire();  // pooled or new; nullptr when Redis is unreachable or backing off
  void release(redisContext* c);
  void mark_down();
  // Sends `cmds` in one round trip (a pipeline; one more when a pooled connection turns out
  // dead) and returns their replies in order; nullopt when Redis could not be reached.
  std::optional<std::vector<Reply>> pipeline(const std::vector<Command>& cmds);
  // Runs the scripts as one pipeline of EVALSHA, plus one of EVAL for those Redis did not know.
  std::optional<std::vector<Reply>> eval_all(std::vector<ScriptCall> calls);

  void background_loop();

  RedisTarget target_;
  std::mutex later_mu_;
  std::condition_variable later_cv_;
  std::deque<ScriptCall> later_;
  bool stopping_ = false;
  long long queued_ = 0, done_ = 0;  // eval_later calls queued / finished, under later_mu_
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds backoff_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
  std::atomic<bool> healthy_{true};
  std::atomic<long long> down_until_ms_{0};
  std::atomic<long long> round_trips_{0};
  std::thread background_;  // last: starts after every member it uses is built
};

}  // namespace p720::redis
