// Outbox → Redis stream relay.
#include "redis/event_relay.h"

#include <spdlog/spdlog.h>

namespace p720::redis {
namespace {

// KEYS[1] = stream, KEYS[2] = per-event marker; ARGV = id, kind, payload, createdAt.
// 1 when published, 0 when it had been already.
constexpr const char* kPublish = R"lua(
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', 3600) then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000000', '*',
           'id', ARGV[1], 'kind', ARGV[2], 'payload', ARGV[3], 'createdAt', ARGV[4])
return 1
)lua";

}  // namespace

EventRelay::EventRelay(RedisClient& client, store::Store& store, std::string stream,
                       std::chrono::milliseconds idle_poll, std::chrono::milliseconds retry)
    : client_(client), store_(store), stream_(std::move(stream)), idle_poll_(idle_poll), retry_(retry) {
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
  std::vector<long long> done;
  for (const auto& e : *events) {
    // The marker names the row and its time, so a database reset (ids restarting) within the
    // hour cannot be mistaken for duplicates.
    const std::string marker = stream_ + ":sent:" + std::to_string(e.id) + ":" + e.created_at;
    auto r = client_.eval(kPublish, {stream_, marker}, {std::to_string(e.id), e.kind, e.payload, e.created_at});
    if (!r || r->error()) {
      failed_ = true;
      break;
    }
    done.push_back(e.id);
  }
  if (!done.empty() && !store_.ack_events(done).ok()) {
    failed_ = true;  // published but not deleted: the markers keep a retry from duplicating them
    return 0;
  }
  return static_cast<int>(done.size());
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
    if (n == kBatch && !failed_) continue;  // more waiting
    cv_.wait_for(lock, failed_ ? retry_ : idle_poll_, [&] { return stop_; });
    if (stop_) return;
  }
}

}  // namespace p720::redis
