// The Redis adapters against a real Redis (PENSION_TEST_REDIS, which scripts/test.sh always
// starts and sets; without it these tests fail, never skip) and a real SQLite store: shared holds, the shared sold index, the event relay,
// and how each degrades when Redis cannot be reached (a closed port).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "domain/ticket.h"
#include "redis/event_relay.h"
#include "redis/redis_client.h"
#include "redis/redis_holds.h"
#include "redis/redis_sold_cache.h"
#include "store/factory.h"

namespace p720::redis {
namespace {

constexpr int kRound = 343;
const Instant kNow = Instant(std::chrono::seconds(1'795'000'000));

// Polls `done` every 10 ms for at most 10 s: waiting for an asynchronous effect without
// assuming how long it takes.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class RedisAdapters : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PENSION_TEST_REDIS");
    ASSERT_NE(url, nullptr) << "PENSION_TEST_REDIS is not set: start Redis with `scripts/topology.sh start-db` "
                               "and export what it prints (scripts/test.sh does both)";
    target_ = parse_redis_url(url);
    static std::atomic<int> n{0};
    prefix_ = "p720test:" + std::to_string(::getpid()) + ":" + std::to_string(std::random_device{}()) + ":" +
              std::to_string(n++) + ":";
    client_ = std::make_unique<RedisClient>(target_);
    ASSERT_TRUE(client_->ping());
    auto dir = std::filesystem::temp_directory_path() / ("p720redis-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    db_ = (dir / ("t" + std::to_string(n) + ".db")).string();
    std::filesystem::remove(db_);
    store_ = store::open_store("sqlite:" + db_, {.outbox = true});
  }
  void TearDown() override {
    if (!client_) return;  // SetUp failed
    auto keys = client_->command({"KEYS", prefix_ + "*"});
    if (keys)
      for (const auto& k : keys->elements) (void)client_->command({"DEL", k.str});
    store_.reset();
    std::filesystem::remove(db_);
  }

  store::PurchaseCommand buy(const std::string& user, std::vector<int> tickets) {
    return store::PurchaseCommand{user, kRound, std::move(tickets), 1000, 100, "2026-11-24T12:00:00+09:00", "", ""};
  }

  // Appends ARGV[1] to the list KEYS[1]; returns the list's length. The prefix in its text makes
  // it a script Redis has never seen before this test.
  std::string append_script() const { return "-- " + prefix_ + "\nreturn redis.call('RPUSH', KEYS[1], ARGV[1])"; }

  // Redis holds back every script (they may write) until the returned guard is destroyed
  // (CLIENT UNPAUSE): what a background thread queues meanwhile goes out together after it.
  struct PausedWrites {
    PausedWrites(RedisClient& c, bool paused) : client(c), ok(paused) {}
    // Not copyable: a copy would unpause when it dies.
    PausedWrites(const PausedWrites&) = delete;
    PausedWrites& operator=(const PausedWrites&) = delete;
    ~PausedWrites() { (void)client.command({"CLIENT", "UNPAUSE"}); }
    RedisClient& client;
    bool ok;
  };
  std::unique_ptr<PausedWrites> pause_writes() {
    auto r = client_->command({"CLIENT", "PAUSE", "5000", "WRITE"});
    return std::make_unique<PausedWrites>(*client_, r.has_value() && !r->error());
  }

  std::vector<std::string> list(const std::string& key) {
    std::vector<std::string> out;
    auto r = client_->command({"LRANGE", key, "0", "-1"});
    if (r)
      for (const auto& e : r->elements) out.push_back(e.str);
    return out;
  }

  // The stream holds one purchase event per id, in this order.
  void expect_published(const std::string& stream, const std::vector<long long>& ids) {
    auto entries = client_->command({"XRANGE", stream, "-", "+"});
    ASSERT_TRUE(entries.has_value());
    ASSERT_EQ(entries->elements.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto& fields = entries->elements[i].elements[1].elements;
      ASSERT_EQ(fields.size(), 8u);
      EXPECT_EQ(fields[2].str, "kind");
      EXPECT_EQ(fields[3].str, "purchase");
      EXPECT_NE(fields[5].str.find("\"purchaseId\":" + std::to_string(ids[i]) + ","), std::string::npos)
          << fields[5].str;
    }
  }

  // `n` purchases of one ticket each by alice; their ids, in order (each leaves one event).
  std::vector<long long> purchases(int n) {
    std::vector<long long> ids;
    if (!store_->deposit("alice", 100'000, "t", "t").ok()) return ids;
    for (int i = 0; i < n; ++i) {
      auto r = store_->purchase(buy("alice", {100 + i}));
      if (r.ok()) ids.push_back(r->id);
    }
    return ids;
  }

  RedisTarget target_;
  std::string prefix_;
  std::string db_;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<store::Store> store_;
};

// A client whose Redis is never there.
std::unique_ptr<RedisClient> dead_client() {
  RedisTarget t;
  t.host = "127.0.0.1";
  t.port = 1;
  return std::make_unique<RedisClient>(t);
}

TEST_F(RedisAdapters, HoldsAreAllOrNoneSharedAndOwnerReleased) {
  RedisHolds a(*client_, prefix_);
  RedisHolds b(*client_, prefix_);  // another instance
  const Instant until = kNow + std::chrono::seconds(600);
  EXPECT_TRUE(a.acquire(kRound, {1, 2}, "alice", kNow, until).empty());
  EXPECT_TRUE(a.acquire(kRound, {2}, "alice", kNow, until).empty());  // own hold: extended
  EXPECT_EQ(b.acquire(kRound, {3, 2}, "bob", kNow, until), std::vector<int>{2});
  auto seen = b.lookup(kRound, {1, 2, 3}, kNow);
  ASSERT_TRUE(seen[0].has_value());
  EXPECT_EQ(seen[0]->user_id, "alice");
  EXPECT_GT(seen[0]->expires, kNow + std::chrono::seconds(590));
  EXPECT_LE(seen[0]->expires, until);
  EXPECT_FALSE(seen[2].has_value());  // bob's failed acquire held nothing
  EXPECT_EQ(b.active(kNow), 2u);

  b.release(kRound, {1, 2}, "bob");  // not bob's: untouched
  client_->flush();                  // releases are sent in the background
  EXPECT_TRUE(a.lookup(kRound, {1}, kNow)[0].has_value());
  a.release(kRound, {1, 2}, "alice");
  client_->flush();
  EXPECT_FALSE(b.lookup(kRound, {1}, kNow)[0].has_value());
  EXPECT_TRUE(b.acquire(kRound, {2, 3}, "bob", kNow, until).empty());
  EXPECT_EQ(a.active(kNow), 2u);
  EXPECT_TRUE(a.healthy());
}

TEST_F(RedisAdapters, HoldsLapseByThemselves) {
  RedisHolds holds(*client_, prefix_);
  // A hold of one second: Redis itself expires it (PX), so no instance has to be alive to end
  // it. Checked without waiting: the key carries a TTL of at most the hold's length.
  ASSERT_TRUE(holds.acquire(kRound, {9}, "alice", kNow, kNow + std::chrono::seconds(1)).empty());
  auto seen = holds.lookup(kRound, {9}, kNow);
  ASSERT_TRUE(seen[0].has_value());
  EXPECT_LE(seen[0]->expires, kNow + std::chrono::seconds(1));
  auto pttl = client_->command({"PTTL", prefix_ + "hold:343:9"});
  ASSERT_TRUE(pttl.has_value());
  EXPECT_GT(pttl->integer, 0);
  EXPECT_LE(pttl->integer, 1000);
  // Once the key is gone (as after the TTL), the ticket is free for anyone.
  ASSERT_TRUE(client_->command({"DEL", prefix_ + "hold:343:9"}).has_value());
  EXPECT_FALSE(holds.lookup(kRound, {9}, kNow)[0].has_value());
  EXPECT_TRUE(holds.acquire(kRound, {9}, "bob", kNow, kNow + std::chrono::seconds(60)).empty());
}

TEST_F(RedisAdapters, HoldsDegradeWhenRedisIsDown) {
  auto dead = dead_client();
  RedisHolds holds(*dead, prefix_);
  EXPECT_TRUE(holds.acquire(kRound, {1}, "alice", kNow, kNow + std::chrono::seconds(60)).empty());
  EXPECT_FALSE(holds.healthy());
  EXPECT_FALSE(holds.lookup(kRound, {1}, kNow)[0].has_value());
  EXPECT_EQ(holds.active(kNow), 0u);
  holds.release(kRound, {1}, "alice");  // no throw, no hang
}

TEST_F(RedisAdapters, SoldIndexIsSeededFromTheStoreAndShared) {
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  ASSERT_TRUE(store_->purchase(buy("alice", {10, 20})).ok());
  RedisSoldCache a(*client_, *store_, prefix_);
  RedisSoldCache b(*client_, *store_, prefix_);  // another instance
  EXPECT_EQ(*a.sold_among(kRound, {10, 11, 20}), (std::vector<int>{10, 20}));
  ASSERT_TRUE(store_->purchase(buy("alice", {30})).ok());
  a.mark_sold(kRound, {30});
  client_->flush();  // the shared bitmap is written in the background
  EXPECT_EQ(*b.sold_among(kRound, {30, 31}), std::vector<int>{30});
  EXPECT_EQ(b.sold_count(kRound), 3);

  // Redis loses the bitmap (a restart without persistence): it is seeded again from the store.
  (void)client_->command(
      {"DEL", prefix_ + "sold:" + std::to_string(kRound), prefix_ + "sold:" + std::to_string(kRound) + ":ready"});
  EXPECT_EQ(*b.sold_among(kRound, {10, 30, 40}), (std::vector<int>{10, 30}));
}

TEST_F(RedisAdapters, PicksNeverReturnSoldTickets) {
  // Group 5 with every ticket but three sold would take a while to buy; instead sell a few
  // and check picks avoid them while the snapshot is stale and after it refreshes.
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  RedisSoldCache cache(*client_, *store_, prefix_, std::chrono::milliseconds(0));
  std::vector<int> sold;
  sold.reserve(20);
  for (int d = 0; d < 20; ++d) sold.push_back(Ticket{5, d}.index());
  ASSERT_TRUE(store_->purchase(buy("alice", sold)).ok());
  cache.mark_sold(kRound, sold);
  client_->flush();
  const std::set<int> sold_set(sold.begin(), sold.end());
  for (int i = 0; i < 200; ++i) {
    auto p = cache.pick(kRound, 5, [](int) { return false; });
    ASSERT_TRUE(p.ok() && p->has_value());
    EXPECT_EQ(Ticket::from_index(**p).group, 5);
    EXPECT_FALSE(sold_set.count(**p));
  }
  // group 0: digits unsold in all five groups; `reject` is honoured.
  auto p = cache.pick(kRound, 0, [](int digits) { return digits % 2 == 0; });
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ(**p % 2, 1);
  EXPECT_GE(**p, 20);
}

TEST_F(RedisAdapters, SoldCacheFallsBackToTheStoreWhenRedisIsDown) {
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  ASSERT_TRUE(store_->purchase(buy("alice", {10})).ok());
  auto dead = dead_client();
  RedisSoldCache cache(*dead, *store_, prefix_);
  EXPECT_EQ(*cache.sold_among(kRound, {10, 11}), std::vector<int>{10});
  cache.mark_sold(kRound, {11});
  client_->flush();
  EXPECT_EQ(*cache.sold_among(kRound, {10, 11}), (std::vector<int>{10, 11}));
  auto p = cache.pick(kRound, 1, [](int) { return false; });
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_NE(**p, 10);
  EXPECT_EQ(cache.sold_count(kRound), 2);
}

TEST_F(RedisAdapters, RelayPublishesEveryEventOnceInOrder) {
  const auto ids = purchases(5);
  ASSERT_EQ(ids.size(), 5u);
  const std::string stream = prefix_ + "events";
  {
    // Two relays on one outbox, as with several instances.
    EventRelay r1(*client_, *store_, stream, std::chrono::milliseconds(10));
    EventRelay r2(*client_, *store_, stream, std::chrono::milliseconds(10));
    EXPECT_TRUE(eventually([&] { return store_->pending_events(10)->empty(); }));
  }
  expect_published(stream, ids);
}

TEST_F(RedisAdapters, OneRelayAtATimeHoldsTheLease) {
  const std::string stream = prefix_ + "events";
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  ASSERT_TRUE(store_->purchase(buy("alice", {100})).ok());
  // A's loop makes one pass (publishing the event and taking the lease), then sleeps an hour.
  EventRelay a(*client_, *store_, stream, std::chrono::hours(1));
  ASSERT_TRUE(eventually([&] { return store_->pending_events(10)->empty(); }));
  ASSERT_TRUE(store_->purchase(buy("alice", {101})).ok());
  ASSERT_TRUE(store_->purchase(buy("alice", {102})).ok());
  // B finds the lease taken: it publishes nothing and leaves the rows to A.
  EventRelay b(*client_, *store_, stream, std::chrono::hours(1));
  EXPECT_EQ(b.pump(), -1);
  EXPECT_EQ(store_->pending_events(10)->size(), 2u);
  EXPECT_EQ(a.pump(), 2);
  EXPECT_TRUE(store_->pending_events(10)->empty());
  auto len = client_->command({"XLEN", stream});
  ASSERT_TRUE(len.has_value());
  EXPECT_EQ(len->integer, 3);
}

TEST_F(RedisAdapters, RelayPublishesABatchInOneRoundTrip) {
  const auto ids = purchases(20);
  ASSERT_EQ(ids.size(), 20u);
  const std::string stream = prefix_ + "events";
  RedisClient relay_client(target_);  // its own, to count the relay's round trips alone
  {
    EventRelay relay(relay_client, *store_, stream, std::chrono::milliseconds(10));
    EXPECT_TRUE(eventually([&] { return store_->pending_events(10)->empty(); }));
  }
  expect_published(stream, ids);
  // Every event was pending when the relay started, so its first pass took all twenty: one
  // script call, which is one round trip (two when Redis did not have the script yet). Later
  // passes found nothing and did not call Redis.
  EXPECT_LE(relay_client.round_trips(), 2);
  EXPECT_GE(relay_client.round_trips(), 1);
}

TEST_F(RedisAdapters, RelayKeepsEventsWhileRedisIsDown) {
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  ASSERT_TRUE(store_->purchase(buy("alice", {7})).ok());
  auto dead = dead_client();
  {
    EventRelay relay(*dead, *store_, prefix_ + "events", std::chrono::milliseconds(10), std::chrono::milliseconds(10));
    EXPECT_TRUE(eventually([&] { return relay.last_pass_failed(); }));
  }
  EXPECT_EQ(store_->pending_events(10)->size(), 1u);
  // Redis is back (here: a live client): the event goes out.
  EventRelay relay(*client_, *store_, prefix_ + "events", std::chrono::milliseconds(10));
  EXPECT_TRUE(eventually([&] { return store_->pending_events(10)->empty(); }));
  auto len = client_->command({"XLEN", prefix_ + "events"});
  ASSERT_TRUE(len.has_value());
  EXPECT_EQ(len->integer, 1);
}

TEST_F(RedisAdapters, QueuedScriptsGoOutAsOnePipelineInOrder) {
  // Its own client, to count its round trips, with a timeout that outlasts the pause below.
  RedisClient queue(target_, std::chrono::seconds(10));
  const std::string key = prefix_ + "list";
  const std::string script = append_script();
  constexpr int kCalls = 500;
  {
    // What the background thread sent first waits in Redis, so all queued meanwhile must go out
    // together after it.
    auto paused = pause_writes();
    ASSERT_TRUE(paused->ok);
    for (int i = 0; i < kCalls; ++i) queue.eval_later(script, {key}, {std::to_string(i)});
  }
  queue.flush();
  std::vector<std::string> expected;
  expected.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i) expected.push_back(std::to_string(i));
  EXPECT_EQ(list(key), expected);  // every call applied once, in order
  // At most two pipelines (what the thread took before the pause ended, then all the rest),
  // each followed by one of EVAL when Redis did not know the script: not one per call.
  EXPECT_LE(queue.round_trips(), 4);
  EXPECT_TRUE(queue.healthy());
}

TEST_F(RedisAdapters, ReleasesAndMarksQueuedTogetherRunMergedAndEachDoesItsOwn) {
  RedisClient queue(target_, std::chrono::seconds(10));
  RedisHolds holds(queue, prefix_);
  RedisSoldCache sold(queue, *store_, prefix_);
  const Instant until = kNow + std::chrono::seconds(600);
  ASSERT_TRUE(holds.acquire(kRound, {1, 2}, "alice", kNow, until).empty());
  ASSERT_TRUE(holds.acquire(kRound, {3, 4}, "bob", kNow, until).empty());
  ASSERT_EQ(sold.sold_count(kRound), 0);  // seeds the round's bitmap
  {
    auto paused = pause_writes();  // everything below is queued together
    ASSERT_TRUE(paused->ok);
    holds.release(kRound, {1, 3}, "alice");  // 3 is bob's: stays
    holds.release(kRound, {4}, "bob");
    holds.release(kRound, {2}, "carol");  // not carol's: stays
    for (int t = 10; t < 20; ++t) sold.mark_sold(kRound, {t});
  }
  queue.flush();
  auto seen = holds.lookup(kRound, {1, 2, 3, 4}, kNow);
  EXPECT_FALSE(seen[0].has_value());
  ASSERT_TRUE(seen[1].has_value());
  EXPECT_EQ(seen[1]->user_id, "alice");
  ASSERT_TRUE(seen[2].has_value());
  EXPECT_EQ(seen[2]->user_id, "bob");
  EXPECT_FALSE(seen[3].has_value());
  EXPECT_EQ(sold.sold_count(kRound), 10);
}

TEST(RedisClientMerge, FoldsMergeableCallsOfOneScriptAndFirstKeyKeepingTheRestInOrder) {
  using Call = RedisClient::ScriptCall;
  std::vector<Call> calls{
      {"mark", {"bitmap:1"}, {"5"}, true},      {"release", {"index", "hold:7"}, {"alice"}, true},
      {"other", {"bitmap:1"}, {"x"}, false},    {"mark", {"bitmap:2"}, {"6"}, true},  // another round: its own call
      {"mark", {"bitmap:1"}, {"8", "9"}, true}, {"release", {"index", "hold:3", "hold:4"}, {"bob", "bob"}, true},
      {"other", {"bitmap:1"}, {"y"}, false},  // not mergeable: stays a call of its own
  };
  auto merged = RedisClient::merge(calls);
  ASSERT_EQ(merged.size(), 5u);
  EXPECT_EQ(merged[0].script, "mark");
  EXPECT_EQ(merged[0].keys, (std::vector<std::string>{"bitmap:1"}));
  EXPECT_EQ(merged[0].args, (std::vector<std::string>{"5", "8", "9"}));
  EXPECT_EQ(merged[1].keys, (std::vector<std::string>{"index", "hold:7", "hold:3", "hold:4"}));
  EXPECT_EQ(merged[1].args, (std::vector<std::string>{"alice", "bob", "bob"}));
  EXPECT_EQ(merged[2].args, (std::vector<std::string>{"x"}));
  EXPECT_EQ(merged[3].keys, (std::vector<std::string>{"bitmap:2"}));
  EXPECT_EQ(merged[4].args, (std::vector<std::string>{"y"}));

  // One merged call stays bounded: a long queue becomes several calls.
  std::vector<Call> many(3000, Call{"mark", {"bitmap:1"}, {"1"}, true});
  merged = RedisClient::merge(many);
  EXPECT_GT(merged.size(), 2u);
  size_t args = 0;
  for (const auto& m : merged) {
    EXPECT_LE(m.args.size(), 1000u);
    args += m.args.size();
  }
  EXPECT_EQ(args, 3000u);
}

TEST_F(RedisAdapters, ScriptsRunAgainAfterRedisForgetsThem) {
  RedisClient c(target_);  // its own, to count its round trips
  const std::string key = prefix_ + "list";
  const std::string script = append_script();
  auto r = c.eval(script, {key}, {"a"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->integer, 1);
  EXPECT_EQ(c.round_trips(), 2);  // EVALSHA answered NOSCRIPT, then EVAL, which cached it
  r = c.eval(script, {key}, {"b"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->integer, 2);
  EXPECT_EQ(c.round_trips(), 3);  // EVALSHA alone

  // Redis empties its script cache, as on a restart.
  ASSERT_TRUE(client_->command({"SCRIPT", "FLUSH"}).has_value());
  r = c.eval(script, {key}, {"c"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->integer, 3);
  ASSERT_TRUE(client_->command({"SCRIPT", "FLUSH"}).has_value());
  for (const char* v : {"d", "e", "f"}) c.eval_later(script, {key}, {v});  // the pipelined path
  c.flush();
  EXPECT_EQ(list(key), (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_TRUE(c.healthy());
}

TEST_F(RedisAdapters, AConnectionRedisClosedIsReplaced) {
  // Its own, with one pooled connection, and a timeout long enough for a 4 MB command under the
  // sanitizers: this is about a closed connection, not a slow one.
  RedisClient c(target_, std::chrono::seconds(10));
  auto id = c.command({"CLIENT", "ID"});
  ASSERT_TRUE(id.has_value() && id->type == Reply::Type::kInteger);
  // Redis closes it (as on a restart). Writing a large command to it must neither raise SIGPIPE
  // (which would end this process) nor fail the call: it is sent again on a new connection.
  ASSERT_TRUE(client_->command({"CLIENT", "KILL", "ID", std::to_string(id->integer)}).has_value());
  auto r = c.eval(append_script(), {prefix_ + "list"}, {std::string(4'000'000, 'x')});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->integer, 1);
  EXPECT_TRUE(c.healthy());
}

TEST_F(RedisAdapters, ACommandThatTimedOutIsNotSentAgain) {
  // The script appends, then keeps Redis busy for 120 ms of Redis's own clock: the client (30 ms
  // timeout) gives up while it runs. It may have run (here it did), so it must not be sent again
  // on another connection, which would append twice. (Short enough that the other tests' clients,
  // 200 ms, never time out behind it.)
  RedisClient c(target_, std::chrono::milliseconds(30));
  const std::string slow = "-- " + prefix_ +
                           "\nredis.call('RPUSH', KEYS[1], ARGV[1])"
                           "\nlocal t = redis.call('TIME') local start = t[1] * 1000000 + t[2]"
                           "\nrepeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 120000"
                           "\nreturn 1";
  ASSERT_TRUE(client_->command({"SCRIPT", "LOAD", slow}).has_value());  // EVALSHA finds it at once
  EXPECT_FALSE(c.eval(slow, {prefix_ + "list"}, {"once"}).has_value());
  EXPECT_EQ(c.round_trips(), 1);  // sent once: no second try on a fresh connection
  // Redis runs one thing at a time: this is answered after the script ended.
  EXPECT_EQ(list(prefix_ + "list"), (std::vector<std::string>{"once"}));
}

TEST_F(RedisAdapters, QueuedScriptsAreDroppedWhileRedisIsDown) {
  auto dead = dead_client();
  for (int i = 0; i < 100; ++i) dead->eval_later(append_script(), {prefix_ + "list"}, {std::to_string(i)});
  dead->flush();  // returns: the calls were dropped, not kept waiting
  EXPECT_FALSE(dead->healthy());
}

TEST(RedisUrl, Parses) {
  auto t = parse_redis_url("redis://:s3cret@cache.local:6380/2");
  EXPECT_EQ(t.host, "cache.local");
  EXPECT_EQ(t.port, 6380);
  EXPECT_EQ(t.password, "s3cret");
  EXPECT_EQ(t.db, 2);
  EXPECT_EQ(parse_redis_url("redis://127.0.0.1").port, 6379);
  EXPECT_THROW(parse_redis_url("http://x"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://h:0"), std::invalid_argument);
}

}  // namespace
}  // namespace p720::redis
