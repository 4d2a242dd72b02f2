// Publishes the store's outbox to the Redis stream `pension720:events`, in outbox order, and
// deletes what was published. Retries while Redis is down, so no event is lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "redis/redis_client.h"
#include "store/store.h"

namespace p720::redis {

// Owns one background thread, started by the constructor and joined by the destructor.
//
// Delivery is exactly-once in practice: a pass publishes its whole batch with one Lua script
// (one round trip) that XADDs each event after setting a per-event marker (SET NX, kept an
// hour), so several instances relaying the same outbox, or a relay that died between XADD and
// deleting the rows, never publish an event twice. Stream entries carry fields id
// (OutboxEvent::event_id), kind ("purchase" | "prize"), payload (JSON) and createdAt.
//
// One relay at a time does the work: the script also takes a lease (renewed by each pass that
// publishes), and the other instances' relays wait until it could have lapsed, so they do not
// all read and delete the same outbox rows. The lease is only about cost: the markers keep
// delivery exactly-once whoever publishes.
class EventRelay {
 public:
  EventRelay(RedisClient& client, store::Store& store, std::string stream = "pension720:events",
             std::chrono::milliseconds idle_poll = std::chrono::milliseconds(200),
             std::chrono::milliseconds retry = std::chrono::milliseconds(500));
  ~EventRelay();
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

  // Publishes about `limit` pending events (whole outbox rows: a row holds one event, or a
  // MariaDB batch's purchase events) with one script call; returns how many were published (for
  // tests and the loop), or -1 when another relay holds the lease. When Redis does not take the
  // batch, all of it stays for the next pass.
  int pump(int limit = 200);
  // Whether the latest pass stopped on an error (Redis or the store unreachable).
  bool last_pass_failed() const { return failed_.load(); }

 private:
  void loop();

  RedisClient& client_;
  store::Store& store_;
  std::string stream_;
  std::chrono::milliseconds idle_poll_;
  std::chrono::milliseconds retry_;
  std::chrono::milliseconds lease_;  // how long a relay that stopped keeps the others waiting
  std::string id_;
  std::atomic<bool> failed_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace p720::redis
