// Outbox → Redis stream relay.
#include "redis/event_relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace p720::redis {
namespace {

// KEYS[1] = stream, KEYS[2] = the relay lease, KEYS[2 + i] = event i's marker; ARGV[1] = this
// relay's id, ARGV[2] = lease in ms, ARGV[4i - 1 .. 4i + 2] = event i's id, kind, payload,
// createdAt. -1 when another relay holds the lease; else takes or renews it and publishes, in
// order, each event whose marker was not set yet, returning how many.
constexpr const char* kPublish = R"lua(
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local published = 0
for i = 3, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', 3600) then
    local a = (i - 3) * 4 + 2
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000000', '*',
               'id', ARGV[a + 1], 'kind', ARGV[a + 2], 'payload', ARGV[a + 3], 'createdAt', ARGV[a + 4])
    published = published + 1
  end
end
return published
)lua";

// Names this relay in the lease: unique per process and relay.
std::string random_id() {
  std::random_device rd;
  return std::to_string(rd()) + "-" + std::to_string(rd());
}

}  // namespace

EventRelay::EventRelay(RedisClient& client, store::Store& store, std::string stream,
                       std::chrono::milliseconds idle_poll, std::chrono::milliseconds retry)
    : client_(client),
      store_(store),
      stream_(std::move(stream)),
      idle_poll_(idle_poll),
      retry_(retry),
      lease_(std::max(std::chrono::milliseconds(1000), 10 * idle_poll)),
      id_(random_id()) {
  thread_ = std::thread([this] { loop(); });
}

EventRelay::~EventRelay() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int EventRelay::pump(int limit) {
  failed_ = false;
  auto events = store_.pending_events(limit);
  if (!events.ok()) {
    failed_ = true;
    return 0;
  }
  if (events->empty()) return 0;
  // The whole batch in one script call (one round trip), run by Redis atomically and in order.
  std::vector<std::string> keys{stream_, stream_ + ":relay"};
  std::vector<std::string> args{id_, std::to_string(lease_.count())};
  std::vector<long long> ids;
  for (const auto& e : *events) {
    // The marker names the event and its time, so a database reset (ids restarting) within the
    // hour cannot be mistaken for duplicates.
    const std::string id = e.event_id();
    keys.push_back(stream_ + ":sent:" + id + ":" + e.created_at);
    args.insert(args.end(), {id, e.kind, e.payload, e.created_at});
    if (ids.empty() || ids.back() != e.id) ids.push_back(e.id);  // a row's events are adjacent
  }
  auto r = client_.eval(kPublish, keys, args);
  if (!r || r->error()) {
    failed_ = true;  // all kept; the markers keep any the script did publish from going twice
    return 0;
  }
  if (r->integer < 0) return -1;  // another instance relays: it will publish these
  if (!store_.ack_events(ids).ok()) {
    failed_ = true;  // published but not deleted: the markers keep a retry from duplicating them
    return 0;
  }
  return static_cast<int>(events->size());
}

void EventRelay::loop() {
  constexpr int kBatch = 200;
  for (;;) {
    int n = 0;
    try {
      n = pump(kBatch);
    } catch (const std::exception& e) {
      spdlog::error("event relay: {}", e.what());
      failed_ = true;
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (n >= kBatch && !failed_) continue;  // more waiting
    // Another instance relays: look again when its lease could have lapsed (it renews it on
    // every pass with events, so it lapses only when that instance stops).
    const auto pause = n < 0 ? lease_ : failed_ ? retry_ : idle_poll_;
    cv_.wait_for(lock, pause, [&] { return stop_; });
    if (stop_) return;
  }
}

}  // namespace p720::redis
