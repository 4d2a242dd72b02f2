// Pooled hiredis client with timeouts and back-off.
#include "redis/redis_client.h"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <stdexcept>
#include <string_view>

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
    default: out.type = Reply::Type::kNil;
  }
  return out;
}

// Sends all of `data` on c's socket. Not through hiredis, which uses write(2): on a socket Redis
// has closed (a restart) that raises SIGPIPE and kills the process; send(MSG_NOSIGNAL) fails.
bool send_all(redisContext* c, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(c->fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the connection failed, or the timeout (SO_SNDTIMEO) passed
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Whether a failed exchange may be sent again on another connection: only when the socket was
// found closed before Redis answered anything of it (a connection Redis dropped while it sat in
// the pool). A timeout, or a connection lost after some answers, may have run the commands, and
// scripts are not all idempotent: those are failures, never resent.
bool closed_unanswered(int err, int sys_errno, size_t answered) {
  if (answered > 0) return false;
  if (err == REDIS_ERR_EOF) return true;
  return err == REDIS_ERR_IO && (sys_errno == ECONNRESET || sys_errno == EPIPE || sys_errno == ENOTCONN);
}

// Sends `cmds` from index replies.size() on in one write, then reads their replies into
// `replies`: one round trip. False when the connection failed; c is unusable then, `replies`
// holds those that came back, and `resend` says whether the rest may be sent again elsewhere.
bool exchange(redisContext* c, const std::vector<std::vector<std::string>>& cmds, std::vector<Reply>& replies,
              bool& resend) {
  resend = false;
  const size_t first = replies.size();
  std::string out;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (size_t i = first; i < cmds.size(); ++i) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmds[i]) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    char* formatted = nullptr;
    const int len = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (len < 0) return false;
    out.append(formatted, static_cast<size_t>(len));
    redisFreeCommand(formatted);
  }
  if (!send_all(c, out)) {
    resend = closed_unanswered(REDIS_ERR_IO, errno, 0);
    return false;
  }
  for (size_t i = first; i < cmds.size(); ++i) {
    void* raw = nullptr;  // hiredis's output buffer is empty, so this only reads
    if (redisGetReply(c, &raw) != REDIS_OK || !raw) {
      resend = closed_unanswered(c->err, errno, i - first);
      return false;
    }
    auto* r = static_cast<redisReply*>(raw);
    replies.push_back(copy(r));
    freeReplyObject(r);
  }
  return true;
}

// The name EVALSHA knows a script by: its SHA1, in lower-case hex.
std::string sha1_hex(const std::string& script) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{2} * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

bool is_noscript(const Reply& r) { return r.error() && r.str.rfind("NOSCRIPT", 0) == 0; }

// Bounds one background pipeline (memory, and how long one read may take); a longer queue,
// e.g. after a stall, goes out in several.
constexpr size_t kMaxPipeline = 1000;
// Bounds the elements of one merged call: one script run blocks Redis while it runs.
constexpr size_t kMaxMerged = 1000;

}  // namespace

// Folds each mergeable call into an earlier one of the same script and KEYS[1] (see
// eval_later), keeping the order of the calls it cannot merge.
std::vector<RedisClient::ScriptCall> RedisClient::merge(std::vector<ScriptCall> calls) {
  std::vector<ScriptCall> out;
  out.reserve(calls.size());
  for (auto& call : calls) {
    auto into = std::find_if(out.begin(), out.end(), [&](const ScriptCall& m) {
      return call.mergeable && m.mergeable && !call.keys.empty() && !m.keys.empty() && m.keys[0] == call.keys[0] &&
             m.script == call.script && m.keys.size() + m.args.size() < kMaxMerged;
    });
    if (into == out.end()) {
      out.push_back(std::move(call));
      continue;
    }
    std::move(call.keys.begin() + 1, call.keys.end(), std::back_inserter(into->keys));
    std::move(call.args.begin(), call.args.end(), std::back_inserter(into->args));
  }
  return out;
}

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

void RedisClient::eval_later(std::string script, std::vector<std::string> keys, std::vector<std::string> args,
                             bool mergeable) {
  {
    std::lock_guard lock(later_mu_);
    if (later_.size() >= 100'000) return;  // Redis far behind or down: advisory, so drop
    later_.push_back({std::move(script), std::move(keys), std::move(args), mergeable});
    ++queued_;
  }
  later_cv_.notify_one();
}

void RedisClient::background_loop() {
  std::unique_lock lock(later_mu_);
  for (;;) {
    later_cv_.wait(lock, [&] { return stopping_ || !later_.empty(); });
    if (later_.empty()) return;  // stopping, nothing left
    // Everything queued (up to the bound) in one round trip; what is queued meanwhile goes next.
    const auto n = static_cast<std::ptrdiff_t>(std::min(later_.size(), kMaxPipeline));
    std::vector<ScriptCall> batch(std::make_move_iterator(later_.begin()), std::make_move_iterator(later_.begin() + n));
    later_.erase(later_.begin(), later_.begin() + n);
    lock.unlock();
    (void)eval_all(merge(std::move(batch)));  // nullopt when Redis is down: the batch is dropped
    lock.lock();
    done_ += n;
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
    std::vector<Reply> r;
    bool resend = false;  // a new connection: its set-up is not retried
    return exchange(c, {std::move(args)}, r, resend) && !r[0].error();
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
  auto r = pipeline({args});
  if (!r) return std::nullopt;
  return std::move(r->front());
}

std::optional<std::vector<Reply>> RedisClient::pipeline(const std::vector<Command>& cmds) {
  std::vector<Reply> replies;
  replies.reserve(cmds.size());
  // A pooled connection may have died since its last use (Redis restarted): one more try on a
  // fresh connection tells a stale socket from a Redis that is really down. It sends only the
  // commands not answered yet, and only when the old socket was found closed before any answer
  // (closed_unanswered): a command that may have run is never sent twice.
  for (int attempt = 0; attempt < 2; ++attempt) {
    redisContext* c = acquire();
    if (!c) return std::nullopt;
    ++round_trips_;
    bool resend = false;
    if (exchange(c, cmds, replies, resend)) {
      release(c);
      healthy_ = true;
      return replies;
    }
    redisFree(c);
    if (!resend) attempt = 1;  // no second try
    // The other pooled connections are most likely just as dead: drop them all.
    std::vector<redisContext*> stale;
    {
      std::lock_guard lock(mu_);
      stale.swap(idle_);
    }
    for (auto* s : stale) redisFree(s);
  }
  mark_down();
  return std::nullopt;
}

std::optional<std::vector<Reply>> RedisClient::eval_all(std::vector<ScriptCall> calls) {
  std::vector<Command> cmds;
  cmds.reserve(calls.size());
  for (auto& call : calls) {
    Command cmd{"EVALSHA", sha1_hex(call.script), std::to_string(call.keys.size())};
    std::move(call.keys.begin(), call.keys.end(), std::back_inserter(cmd));
    std::move(call.args.begin(), call.args.end(), std::back_inserter(cmd));
    cmds.push_back(std::move(cmd));
  }
  auto replies = pipeline(cmds);
  if (!replies) return std::nullopt;
  // Scripts Redis does not know (yet, or since a restart or SCRIPT FLUSH): the same calls with
  // the script's text, in one more round trip, which also caches them for the next calls.
  std::vector<size_t> unknown;
  std::vector<Command> retry;
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (!is_noscript((*replies)[i])) continue;
    unknown.push_back(i);
    cmds[i][0] = "EVAL";
    cmds[i][1] = std::move(calls[i].script);
    retry.push_back(std::move(cmds[i]));
  }
  if (!retry.empty()) {
    auto again = pipeline(retry);
    if (!again) return std::nullopt;
    for (size_t k = 0; k < unknown.size(); ++k) (*replies)[unknown[k]] = std::move((*again)[k]);
  }
  for (const auto& r : *replies)
    if (r.error()) spdlog::error("redis script error: {}", r.str);
  return replies;
}

std::optional<Reply> RedisClient::eval(const std::string& script, const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) {
  std::vector<ScriptCall> call;
  call.push_back({script, keys, args});
  auto r = eval_all(std::move(call));
  if (!r) return std::nullopt;
  return std::move(r->front());
}

bool RedisClient::ping() {
  auto r = command({"PING"});
  return r && !r->error();
}

}  // namespace p720::redis
