// Redis hold registry.
#include "redis/redis_holds.h"

namespace p720::redis {
namespace {

// KEYS[1] = expiry index, KEYS[2..] = hold keys; ARGV[1] = user, ARGV[2] = ttl in ms.
// Returns the 0-based positions of tickets held by someone else; holds none of them then.
constexpr const char* kAcquire = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local taken = {}
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and v ~= ARGV[1] then taken[#taken + 1] = i - 2 end
end
if #taken > 0 then return taken end
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ttl)
  redis.call('ZADD', KEYS[1], now + ttl, KEYS[i])
end
return taken
)lua";

// KEYS[1] = expiry index, KEYS[2..] = hold keys; ARGV[i - 1] = the user releasing KEYS[i].
// Deletes only holds of the user releasing them; per key, so queued calls merge into one.
constexpr const char* kRelease = R"lua(
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i - 1] then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], KEYS[i])
  end
end
return 0
)lua";

// KEYS = hold keys. Returns holder and remaining ms per key ('' and -2 when not held).
constexpr const char* kLookup = R"lua(
local out = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v then
    out[#out + 1] = v
    out[#out + 1] = redis.call('PTTL', KEYS[i])
  else
    out[#out + 1] = ''
    out[#out + 1] = -2
  end
end
return out
)lua";

// KEYS[1] = expiry index. Drops expired entries, returns how many remain.
constexpr const char* kActive = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
)lua";

}  // namespace

RedisHolds::RedisHolds(RedisClient& client, std::string prefix)
    : client_(client), prefix_(std::move(prefix)), index_(prefix_ + "holds") {}

std::string RedisHolds::key(int round, int ticket) const {
  return prefix_ + "hold:" + std::to_string(round) + ":" + std::to_string(ticket);
}

std::vector<int> RedisHolds::acquire(int round, const std::vector<int>& tickets, const std::string& user, Instant now,
                                     Instant until) {
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
  if (tickets.empty() || ttl <= 0) return {};
  std::vector<std::string> keys{index_};
  for (int t : tickets) keys.push_back(key(round, t));
  auto r = client_.eval(kAcquire, keys, {user, std::to_string(ttl)});
  std::vector<int> taken;
  if (!r || r->type != Reply::Type::kArray) return taken;  // degraded: proceed unheld
  for (const auto& e : r->elements)
    if (e.integer >= 0 && e.integer < static_cast<long long>(tickets.size())) taken.push_back(tickets[e.integer]);
  return taken;
}

void RedisHolds::release(int round, const std::vector<int>& tickets, const std::string& user) {
  if (tickets.empty()) return;
  std::vector<std::string> keys{index_};
  for (int t : tickets) keys.push_back(key(round, t));
  // Off the caller's thread (the store's writer); a hold not released lapses by itself.
  client_.eval_later(kRelease, std::move(keys), std::vector<std::string>(tickets.size(), user), true);
}

std::vector<std::optional<app::Hold>> RedisHolds::lookup(int round, const std::vector<int>& tickets, Instant now) {
  std::vector<std::optional<app::Hold>> out(tickets.size());
  if (tickets.empty()) return out;
  std::vector<std::string> keys;
  keys.reserve(tickets.size());
  for (int t : tickets) keys.push_back(key(round, t));
  auto r = client_.eval(kLookup, keys, {});
  if (!r || r->type != Reply::Type::kArray || r->elements.size() != 2 * tickets.size()) return out;
  for (size_t i = 0; i < tickets.size(); ++i) {
    const auto& holder = r->elements[2 * i];
    const long long ms = r->elements[2 * i + 1].integer;
    if (holder.str.empty() || ms <= 0) continue;
    out[i] = app::Hold{holder.str, now + std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(ms))};
  }
  return out;
}

size_t RedisHolds::active(Instant) {
  auto r = client_.eval(kActive, {index_}, {});
  if (!r || r->type != Reply::Type::kInteger) return 0;
  return static_cast<size_t>(r->integer);
}

}  // namespace p720::redis
