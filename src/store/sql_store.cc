// SqlStore: transaction logic of pension720 over SqlConnection, with group commit.
#include "store/sql_store.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "domain/calendar.h"
#include "domain/prize.h"
#include "domain/rules.h"
#include "domain/ticket.h"
#include "store/migrations.h"
#include "store/sql_store_parts.h"

namespace p720::store {

void parts::expand_batch_events(long long row, const std::string& payload, std::vector<OutboxEvent>& out) {
  const auto batch = nlohmann::json::parse(payload);
  const long long first_purchase = batch.at("purchaseId").get<long long>();
  long long ticket_id = batch.at("ticketId").get<long long>();
  int index = 0;
  for (auto event : batch.at("events")) {
    event["purchaseId"] = first_purchase + index;
    for (auto& t : event.at("tickets")) t["ticketId"] = ticket_id++;
    const std::string created_at = event.at("createdAt").get<std::string>();
    out.push_back(OutboxEvent{row, "purchase", event.dump(), created_at, index++});
  }
}

nlohmann::json parts::purchase_event_body(const std::string& user, int round, long long amount, long long balance,
                                         const std::string& created_at, const std::vector<int>& tickets) {
  nlohmann::json rows = nlohmann::json::array();
  for (int t : tickets) {
    const Ticket tk = Ticket::from_index(t);
    rows.push_back({{"group", tk.group}, {"number", tk.number()}});
  }
  return nlohmann::json{{"userId", user},       {"round", round},           {"amount", amount},
                        {"balance", balance},   {"createdAt", created_at}, {"tickets", std::move(rows)}};
}

std::string parts::purchase_event(const PurchaseRecord& rec) {
  std::vector<int> tickets;
  for (const auto& t : rec.tickets) tickets.push_back(t.ticket);
  auto event = purchase_event_body(rec.user_id, rec.round, rec.amount, rec.balance_after, rec.created_at, tickets);
  event["purchaseId"] = rec.id;
  for (size_t i = 0; i < rec.tickets.size(); ++i) event["tickets"][i]["ticketId"] = rec.tickets[i].id;
  return event.dump();
}

// Shared with the other source files of SqlStore (sql_store_parts.h).
long long parts::balance_of(SqlConnection& c, const std::string& user) {
  auto rows = c.query("SELECT balance FROM wallets WHERE user_id = ?", {v(user)});
  return rows.empty() ? 0 : rows[0].i(0);
}

// Adds `delta` (may be negative) to the wallet and writes the ledger line; returns the balance.
long long parts::credit(SqlConnection& c, const std::string& user, long long delta, const std::string& kind,
                 const std::string& ref, const std::string& now) {
  if (c.dialect() == Dialect::kSqlite) {
    c.query("INSERT INTO wallets (user_id, balance) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET balance = balance + excluded.balance",
            {v(user), v(delta)});
  } else {
    c.query("INSERT INTO wallets (user_id, balance) VALUES (?, ?) "
            "ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)",
            {v(user), v(delta)});
  }
  long long after = balance_of(c, user);
  c.query("INSERT INTO ledger (user_id, kind, amount, balance_after, ref, created_at) VALUES (?, ?, ?, ?, ?, ?)",
          {v(user), v(kind), v(delta), v(after), v(ref), v(now)});
  return after;
}

void parts::add_event(SqlConnection& c, const std::string& kind, const std::string& payload, const std::string& now) {
  c.query("INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)", {v(kind), v(payload), v(now)});
}

using namespace parts;
namespace {

// What a client is told when its write or read could not be done. The cause (SQL, statement
// text, other buyers' values) goes only to the server's log: a batch's error would otherwise
// reach every caller in it.
Error unavailable() { return make_error(ErrorCode::kUnavailable, "저장소에 연결할 수 없습니다."); }
Error storage_full() { return make_error(ErrorCode::kStorageFull); }
// A purchase (or other write) that waited store.lock-wait-timeout-seconds for a row another
// transaction holds: nothing of it was written.
Error busy() {
  return make_error(ErrorCode::kUnavailable,
                    "다른 거래가 같은 티켓이나 지갑을 사용하고 있습니다. 잠시 후 다시 시도하세요.");
}
// A commit whose reply was lost, and the database could not be asked afterwards.
Error outcome_unknown() {
  return make_error(ErrorCode::kUnavailable,
                    "처리 결과를 확인할 수 없습니다. 구매 내역을 확인하거나 같은 Idempotency-Key로 다시 요청하세요.");
}

// How long a writer keeps asking the database whether a commit whose reply was lost took effect.
constexpr auto kOutcomeWait = std::chrono::seconds(15);

// Ticket rows with their result as clients see it: a ticket of a settled round that won nothing
// is stored with result 0 (settlement writes winners only) and reads as -1; the draw date comes
// from the draw. Append a WHERE on `t.`.
constexpr const char* kTicketSelect =
    "SELECT t.id, t.purchase_id, t.user_id, t.round, t.ticket, t.created_at,"
    " CASE WHEN d.round IS NOT NULL AND t.result = 0 THEN -1 ELSE t.result END, COALESCE(d.draw_date, '')"
    " FROM tickets t LEFT JOIN draws d ON d.round = t.round AND d.settled = 1";

TicketRow ticket_row(const SqlRow& r) {
  return TicketRow{r.i(0), r.i(1), r.s(2), static_cast<int>(r.i(3)), static_cast<int>(r.i(4)),
                   r.s(5), static_cast<int>(r.i(6)), r.s(7)};
}

CartItem cart_item(const SqlRow& r) {
  return CartItem{r.i(0), r.s(1), static_cast<int>(r.i(2)), static_cast<int>(r.i(3)), r.s(4)};
}

DrawRecord draw_record(const SqlRow& r) {
  return DrawRecord{static_cast<int>(r.i(0)), static_cast<int>(r.i(1)), static_cast<int>(r.i(2)),
                    static_cast<int>(r.i(3)), r.s(4), r.i(5) != 0};
}

// The sold ones among `tickets`, not counting those of purchase `own` (being inserted now).
std::vector<int> sold_among(SqlConnection& c, int round, const std::vector<int>& tickets, long long own = 0) {
  Params p{v(round), v(own)};
  for (int t : tickets) p.push_back(v(t));
  auto rows = c.query("SELECT ticket FROM tickets WHERE round = ? AND purchase_id <> ? AND ticket IN (" +
                          placeholders(tickets.size()) + ") ORDER BY ticket",
                      p);
  std::vector<int> sold;
  for (auto& r : rows) sold.push_back(static_cast<int>(r.i(0)));
  return sold;
}

// MariaDB: takes `amount` from the wallet if it holds that much (locking the row); the new
// balance, or nullopt. (SQLite decides before writing: purchase_tx.)
std::optional<long long> debit(SqlConnection& c, const std::string& user, long long amount) {
  c.query("UPDATE wallets SET balance = balance - ? WHERE user_id = ? AND balance >= ?", {v(amount), v(user), v(amount)});
  if (c.changes() != 1) return std::nullopt;
  return balance_of(c, user);
}

// MariaDB: adds n to the tickets the user owns in the round; returns the new count.
long long add_owned(SqlConnection& c, const std::string& user, int round, long long n) {
  c.query("INSERT INTO user_rounds (user_id, round, tickets) VALUES (?, ?, ?) "
          "ON DUPLICATE KEY UPDATE tickets = tickets + VALUES(tickets)",
          {v(user), v(round), v(n)});
  return c.query("SELECT tickets FROM user_rounds WHERE user_id = ? AND round = ?", {v(user), v(round)}).at(0).i(0);
}

PurchaseRecord load_purchase(SqlConnection& c, long long id) {
  PurchaseRecord rec;
  auto rows = c.query("SELECT id, user_id, round, amount, balance_after, created_at FROM purchases WHERE id = ?",
                      {v(id)});
  if (rows.empty()) return rec;
  rec = PurchaseRecord{rows[0].i(0), rows[0].s(1), static_cast<int>(rows[0].i(2)), rows[0].i(3), rows[0].i(4),
                       rows[0].s(5), {}, false};
  for (auto& r : c.query(std::string(kTicketSelect) + " WHERE t.purchase_id = ? ORDER BY t.id",
                         {v(id)}))
    rec.tickets.push_back(ticket_row(r));
  return rec;
}

Result<std::optional<PurchaseRecord>> find_replay(SqlConnection& c, const std::string& user, const std::string& key,
                                                  const std::string& hash) {
  auto rows = c.query("SELECT request_hash, purchase_id FROM idempotency WHERE user_id = ? AND idem_key = ?",
                      {v(user), v(key)});
  if (rows.empty()) return std::optional<PurchaseRecord>();
  if (rows[0].s(0) != hash)
    return make_error(ErrorCode::kIdempotencyConflict, "같은 Idempotency-Key로 다른 요청을 보냈습니다.");
  auto rec = load_purchase(c, rows[0].i(1));
  rec.replayed = true;
  return std::optional<PurchaseRecord>(std::move(rec));
}

}  // namespace

void parts::add_ledger_tax(SqlConnection& c, long long ledger_id, long long gross, long long income, long long local) {
  c.query("INSERT INTO ledger_tax (ledger_id, gross, income_tax, local_tax) VALUES (?, ?, ?, ?)",
          {v(ledger_id), v(gross), v(income), v(local)});
}

SqlStore::SqlStore(ConnectionFactory factory, size_t max_batch, bool outbox, int writers,
                   std::chrono::microseconds linger)
    : factory_(std::move(factory)), max_batch_(max_batch), linger_(linger), outbox_(outbox) {
  auto first = factory_();
  dialect_ = first->dialect();
  apply_migrations(*first);
  if (dialect_ == Dialect::kSqlite) {
    // SQLite has one writer at a time: more writer threads would only queue on its lock.
    writers = 1;
    // SQLite would checkpoint the WAL inside a commit every 1000 pages, stalling the writer (and
    // every caller in its batch). Here a separate connection checkpoints in the background;
    // PASSIVE never blocks the writer or readers. (SqliteConnection's WAL hook replaces the
    // automatic checkpoint; the writer finishes the job between batches: maintain().)
    checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
  }
  if (dialect_ == Dialect::kMysql) {
    // The set-based batch numbers a multi-row INSERT's rows first, first+1, ...: only true with
    // consecutive auto-increment locks and a step of 1. Galera needs lock mode 2 and sets the
    // step to its node count (and may change it as nodes come and go): then each purchase is
    // written with its own LAST_INSERT_ID.
    auto mode = first->query("SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment", {});
    batch_purchases_ = !mode.empty() && mode[0].i(0) != 2 && mode[0].i(1) == 1;
    if (!batch_purchases_)
      spdlog::warn("innodb_autoinc_lock_mode=2 or auto_increment_increment>1: purchases are written one by one");
  }
  for (int i = 0; i < writers; ++i) lanes_.push_back(std::make_unique<Lane>());
  writer_threads_.emplace_back([this, c = std::move(first)]() mutable { writer_loop(std::move(c), *lanes_[0]); });
  for (int i = 1; i < writers; ++i) {
    auto c = factory_();
    writer_threads_.emplace_back([this, i, c = std::move(c)]() mutable { writer_loop(std::move(c), *lanes_[i]); });
  }
}

SqlStore::~SqlStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  for (auto& lane : lanes_) lane->cv.notify_all();
  stop_cv_.notify_all();
  for (auto& t : writer_threads_) t.join();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

void SqlStore::checkpoint_loop() {
  std::unique_ptr<SqlConnection> conn;
  std::unique_lock lock(mu_);
  // Its own condition variable: sharing cv_ would let a notify_one meant for the writer wake
  // this thread instead, leaving a queued write unserved.
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; })) {
    lock.unlock();
    try {
      if (!conn) conn = factory_();
      conn->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const SqlError& e) {
      conn.reset();
      spdlog::warn("wal checkpoint failed: {}", e.what());
    }
    lock.lock();
  }
}

template <class T>
Result<T> SqlStore::write(const std::function<Result<T>(SqlConnection&)>& body, const std::string& key) {
  std::optional<Result<T>> out;
  Job job;
  job.body = [&](SqlConnection& c) {
    out.emplace(body(c));
    return out->ok();
  };
  job.fail = [&](Error why) { out.emplace(std::move(why)); };
  std::promise<void> done;
  job.finish = [&done] { done.set_value(); };
  auto fut = done.get_future();
  job.key = key;
  if (!enqueue(&job)) return unavailable();
  fut.wait();
  return std::move(*out);
}

bool SqlStore::enqueue(Job* job) {
  std::lock_guard lock(mu_);
  if (stop_) return false;
  // One user's writes always go to the same writer: no two writers of this process contend for
  // that user's rows, and the user's writes stay in order.
  const size_t n = lanes_.size();
  Lane& lane = *lanes_[job->key.empty() ? next_lane_++ % n : std::hash<std::string>{}(job->key) % n];
  lane.queue.push_back(job);
  if (lane.queue.size() >= lane.wake_at) lane.cv.notify_one();
  return true;
}

template <class T>
void SqlStore::write_async(std::function<Result<T>(SqlConnection&)> body, std::function<void(Result<T>)> done,
                           const std::string& key, std::shared_ptr<const PurchaseCommand> purchase, bool probe) {
  struct AsyncJob : Job {
    std::optional<Result<T>> out;
  };
  auto* job = new AsyncJob;
  job->body = [job, body = std::move(body)](SqlConnection& c) {
    job->out.emplace(body(c));
    return job->out->ok();
  };
  if constexpr (std::is_same_v<T, PurchaseRecord>) {
    if (purchase) {
      // A purchase under an Idempotency-Key always runs on its own, under a savepoint: it claims
      // its key first and may have to replay. The others are written set-based with the batch
      // (MariaDB), or decided before they are written (SQLite, purchase_tx).
      const bool plain = purchase->idem_key.empty();
      job->together = plain && batch_purchases_;
      job->decides_first = plain && dialect_ == Dialect::kSqlite;
      job->purchase = std::move(purchase);
      job->take = [job](Result<PurchaseRecord> r) { job->out.emplace(std::move(r)); };
    }
  }
  job->fail = [job](Error why) { job->out.emplace(std::move(why)); };
  job->finish = [this, job, done = std::move(done)]() mutable {
    auto answer = [done = std::move(done), result = std::move(*job->out)]() mutable { done(std::move(result)); };
    delete job;
    Executor on;
    {
      std::lock_guard lock(answer_mu_);
      on = answer_on_;
    }
    if (on) return on(std::move(answer));
    answer();
  };
  job->key = key;
  job->probe = probe;
  if (enqueue(job)) return;
  job->fail(unavailable());
  complete(job);
}

void SqlStore::set_answer_executor(Executor executor) {
  std::lock_guard lock(answer_mu_);
  answer_on_ = std::move(executor);
}

void SqlStore::complete(Job* job) {
  auto finish = std::move(job->finish);
  finish();
}

void SqlStore::writer_loop(std::unique_ptr<SqlConnection> conn, Lane& lane) {
  pthread_setname_np(pthread_self(), "p720-writer");  // for top -H and perf
  // This writer's commit mark: a random id, so writers of every instance (and of every start of
  // one) have rows of their own.
  Mark mark;
  std::random_device rd;
  mark.writer = static_cast<long long>(((static_cast<unsigned long long>(rd()) << 31) ^ rd()) & 0x7fffffffffffffffULL);
  try {
    conn->query("INSERT INTO commit_marks (writer, seq) VALUES (?, 0)", {v(mark.writer)});
  } catch (const SqlError& e) {
    // Not fatal: the first batch's commit() fails the same way and the batch is answered 503.
    spdlog::error("store: cannot create the writer's commit mark: {}", e.what());
  }
  std::vector<Job*> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      lane.cv.wait(lock, [&] { return stop_ || !lane.queue.empty(); });
      if (lane.queue.empty() && stop_) {
        lock.unlock();
        try {
          if (conn) conn->query("DELETE FROM commit_marks WHERE writer = ?", {v(mark.writer)});
        } catch (const SqlError&) {}  // a row left behind is harmless
        return;
      }
      // Linger (like PostgreSQL's commit_delay): while buyers are concurrent, a batch that waits
      // a little for the purchases on their way costs the database less per purchase (its round
      // trips and commit are per batch). A lone buyer (last batch of one) never waits. The
      // writer is woken only when the batch is full (or at stop), not by every job meanwhile.
      if (linger_.count() > 0 && lane.last_batch > 1 && lane.queue.size() < max_batch_ && !stop_) {
        lane.wake_at = max_batch_;
        lane.cv.wait_for(lock, linger_, [&] { return stop_ || lane.queue.size() >= max_batch_; });
        lane.wake_at = 1;
      }
      while (!lane.queue.empty() && batch.size() < max_batch_) {
        batch.push_back(lane.queue.front());
        lane.queue.pop_front();
      }
      lane.last_batch = batch.size();
    }
    // The same lock order in every transaction (wallets by user) keeps concurrent writers of
    // other instances from deadlocking with this one; jobs of a batch are independent.
    std::stable_sort(batch.begin(), batch.end(), [](const Job* a, const Job* b) { return a->key < b->key; });
    run_batch(conn, mark, batch);
    batch.clear();
    try {
      if (conn) conn->maintain();
    } catch (const SqlError& e) {
      spdlog::warn("store upkeep failed: {}", e.what());
    }
  }
}

void SqlStore::set_purchase_screen(PurchaseScreen screen) {
  std::lock_guard lock(screen_mu_);
  screen_ = screen ? std::make_shared<const PurchaseScreen>(std::move(screen)) : nullptr;
}

void SqlStore::screen(std::vector<Job*>& batch) {
  std::shared_ptr<const PurchaseScreen> check;
  {
    std::lock_guard lock(screen_mu_);
    check = screen_;
  }
  if (!check) return;
  std::vector<Job*> purchases;
  std::vector<const PurchaseCommand*> cmds;
  for (Job* job : batch)
    if (job->purchase) {
      purchases.push_back(job);
      cmds.push_back(job->purchase.get());
    }
  if (cmds.empty()) return;
  auto verdicts = (*check)(cmds);
  std::vector<Job*> refused;
  for (size_t i = 0; i < purchases.size() && i < verdicts.size(); ++i)
    if (verdicts[i]) {
      purchases[i]->take(std::move(*verdicts[i]));
      refused.push_back(purchases[i]);
    }
  if (refused.empty()) return;
  std::erase_if(batch, [&](Job* j) { return std::find(refused.begin(), refused.end(), j) != refused.end(); });
  for (Job* job : refused) complete(job);
}

void SqlStore::run_batch(std::unique_ptr<SqlConnection>& conn, Mark& mark, std::vector<Job*>& batch) {
  screen(batch);
  if (batch.empty()) return;
  ++batches_;
  batch_jobs_ += static_cast<long long>(batch.size());
  ++batch_sizes_[std::lower_bound(kBatchBuckets.begin(), kBatchBuckets.end(), batch.size()) - kBatchBuckets.begin()];
  std::optional<Error> failure;
  bool retry_alone = false;
  bool commit_sent = false;
  ++mark.seq;  // what this transaction's commit writes to the mark
  try {
    if (!conn) conn = factory_();
    conn->wait_for_locks(true);  // a previous batch may have stopped waiting
    std::vector<Job*> together;
    for (Job* job : batch)
      if (job->together) together.push_back(job);
    // A batch of such purchases only: purchase_together opens the transaction in its first
    // round trip.
    const bool whole = !together.empty() && together.size() == batch.size();
    if (!whole) conn->exec(dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
    for (Job* job : batch)
      if (job->decides_first) run_unguarded(*conn, job);
      else if (!job->together) run_in_savepoint(*conn, job);
    if (!together.empty() && !purchase_together(*conn, together, whole)) {
      // A ticket was sold by a concurrent transaction meanwhile: nothing of the set-based
      // writes is left (rolled back to their savepoint); run the purchases one by one.
      for (Job* job : together) run_in_savepoint(*conn, job);
    }
    commit_sent = true;
    commit(*conn, mark);
  } catch (const SqlError& e) {
    ++errors_;
    spdlog::error("store batch of {} failed: {}", batch.size(), e.what());
    if (conn) try { conn->exec("ROLLBACK"); } catch (const SqlError&) {}
    if (e.kind == SqlError::Kind::kRetry || e.kind == SqlError::Kind::kLockWait) {
      retry_alone = true;
    } else if (e.kind == SqlError::Kind::kConnection) {
      // Lost before COMMIT was sent, nothing committed. Lost after, the server may have
      // committed before its reply was lost (SPEC §4): find out before anyone is answered.
      std::optional<bool> outcome = false;
      if (commit_sent) outcome = committed(conn, mark);
      else reconnect(conn);
      if (!outcome) failure = outcome_unknown();
      else if (*outcome) spdlog::warn("store: the batch of {} committed although its reply was lost", batch.size());
      // Nothing of it committed and the database answers again: each job runs on its own, for
      // a true answer.
      else if (conn) retry_alone = true;
      else failure = unavailable();
    } else if (e.kind == SqlError::Kind::kFull) {
      failure = storage_full();  // refused by the database, so not committed
    } else {
      failure = unavailable();
    }
  }
  if (retry_alone) {
    // Nothing of the batch committed: run each job again in its own transaction, so every
    // caller gets a real answer, never a half-applied one.
    for (Job* job : batch) {
      run_alone(conn, mark, job);
      complete(job);
    }
    return;
  }
  if (std::any_of(batch.begin(), batch.end(), [](const Job* j) { return !j->probe; }))
    last_failure_ = failure ? static_cast<int>(failure->code) : -1;
  // Committed (every job keeps the answer its part of the transaction gave), or failed whole.
  for (Job* job : batch) {
    if (failure) job->fail(*failure);
    complete(job);
  }
}

void SqlStore::reconnect(std::unique_ptr<SqlConnection>& conn) {
  conn.reset();  // the broken session goes first: the server then rolls back what it left open
  try {
    conn = factory_();
  } catch (const SqlError& e) {
    spdlog::error("store: reconnect failed: {}", e.what());
  }
}

void SqlStore::commit(SqlConnection& conn, const Mark& mark) {
  const std::string set_mark = "UPDATE commit_marks SET seq = ? WHERE writer = ?";
  if (dialect_ == Dialect::kMysql) {
    conn.query_multi({{set_mark, {v(mark.seq), v(mark.writer)}}, {"COMMIT", {}}});
  } else {
    conn.query(set_mark, {v(mark.seq), v(mark.writer)});
    conn.exec("COMMIT");
  }
}

std::optional<bool> SqlStore::committed(std::unique_ptr<SqlConnection>& conn, const Mark& mark) {
  const auto deadline = std::chrono::steady_clock::now() + kOutcomeWait;
  // FOR UPDATE (MariaDB): a plain read would see the mark as it was while the lost transaction
  // may still be committing; the locking read waits for its lock, so it sees the final state.
  const std::string read_mark = std::string("SELECT seq FROM commit_marks WHERE writer = ?") +
                                (dialect_ == Dialect::kMysql ? " FOR UPDATE" : "");
  for (int attempt = 1;; ++attempt) {
    try {
      conn.reset();
      conn = factory_();
      auto rows = conn->query(read_mark, {v(mark.writer)});
      return !rows.empty() && rows[0].i(0) == mark.seq;
    } catch (const SqlError& e) {
      spdlog::warn("store: cannot tell yet whether a transaction committed (attempt {}): {}", attempt, e.what());
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 50 * attempt)));
    }
  }
  spdlog::error("store: whether a transaction committed is unknown after {} s", kOutcomeWait.count());
  return std::nullopt;
}

void SqlStore::run_in_savepoint(SqlConnection& conn, Job* job) {
  conn.query("SAVEPOINT job", {});  // query(): prepared once, reused
  bool keep = false;
  try {
    keep = run_job(conn, job);
  } catch (const SqlError& e) {
    if (e.kind != SqlError::Kind::kLockWait) throw;
    // Another transaction holds a row this job needs — a dead or partitioned instance's until
    // MariaDB ends it (idle_transaction_timeout). Only the statement was undone: this job alone
    // is refused, the rest of the batch goes on, and no later statement of the batch waits.
    stop_waiting(conn, e);
    ++lock_waits_;
    job->fail(busy());
  }
  if (!keep) conn.query("ROLLBACK TO SAVEPOINT job", {});
  conn.query("RELEASE SAVEPOINT job", {});
}

void SqlStore::stop_waiting(SqlConnection& conn, const SqlError& e) {
  spdlog::warn("store: a write waited too long for a lock; the rest of the batch does not wait: {}", e.what());
  conn.wait_for_locks(false);
}

void SqlStore::run_unguarded(SqlConnection& conn, Job* job) {
  const long long before = conn.total_changes();
  if (!run_job(conn, job) && conn.total_changes() != before)
    // It failed after writing (an SQL error midway): without a savepoint its half cannot be
    // taken back alone, so the whole batch is rolled back and runs again job by job.
    throw SqlError(SqlError::Kind::kRetry, "a write failed midway without a savepoint");
}

bool SqlStore::run_job(SqlConnection& conn, Job* job) {
  try {
    return job->body(conn);
  } catch (const SqlError& e) {
    // A lost connection, or a deadlock (MariaDB then rolls back the whole transaction,
    // savepoints included), ends the transaction: the caller handles those.
    if (e.kind == SqlError::Kind::kConnection || e.kind == SqlError::Kind::kRetry || e.kind == SqlError::Kind::kFull ||
        e.kind == SqlError::Kind::kLockWait)
      throw;
    ++errors_;
    spdlog::error("store write failed: {}", e.what());
    job->fail(unavailable());
    return false;
  }
}

void SqlStore::run_alone(std::unique_ptr<SqlConnection>& conn, Mark& mark, Job* job) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    bool commit_sent = false, refused = false;
    ++mark.seq;
    try {
      if (!conn) conn = factory_();
      conn->exec(dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
      if (!run_job(*conn, job)) {
        refused = true;  // its answer is set, and nothing of it is to stay
        conn->exec("ROLLBACK");
        return;
      }
      commit_sent = true;
      commit(*conn, mark);
      return;
    } catch (const SqlError& e) {
      if (conn) try { conn->exec("ROLLBACK"); } catch (const SqlError&) {}
      std::optional<bool> outcome = false;
      if (e.kind == SqlError::Kind::kConnection) {
        if (commit_sent) outcome = committed(conn, mark);
        else reconnect(conn);
      }
      // It took effect although the reply was lost, or it was a refusal whose ROLLBACK was lost:
      // its answer stands.
      if (refused || (outcome && *outcome)) return;
      // Nothing of it committed: after a deadlock, or a connection lost and open again, try again.
      // Never after a lock wait: the row's holder may keep it for seconds, and this writer's
      // other buyers are waiting (docs/DESIGN.md, "Bounded blast radius").
      const bool again = outcome && conn && e.kind != SqlError::Kind::kOther && e.kind != SqlError::Kind::kUnique &&
                         e.kind != SqlError::Kind::kLockWait;
      if (again && attempt < kAttempts) continue;
      if (e.kind == SqlError::Kind::kLockWait) ++lock_waits_;
      ++errors_;
      spdlog::error("store write failed after {} attempt(s): {}", attempt, e.what());
      job->fail(!outcome                              ? outcome_unknown()
                : e.kind == SqlError::Kind::kFull     ? storage_full()
                : e.kind == SqlError::Kind::kLockWait ? busy()
                                                      : unavailable());
      return;
    }
  }
}


std::unique_ptr<SqlConnection> SqlStore::acquire_reader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return c;
    }
  }
  return factory_();
}

void SqlStore::release_reader(std::unique_ptr<SqlConnection> c) {
  std::lock_guard lock(readers_mu_);
  if (readers_.size() < 64) readers_.push_back(std::move(c));
}

template <class T>
Result<T> SqlStore::read(const std::function<Result<T>(SqlConnection&)>& body) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<SqlConnection> c;
    try {
      c = acquire_reader();
      auto r = body(*c);
      release_reader(std::move(c));
      return r;
    } catch (const SqlError& e) {
      // A connection that threw is dropped, not returned to the pool. A pooled one may have
      // been closed by the server (restart, idle timeout): reads are safe to try once more.
      if (e.kind == SqlError::Kind::kConnection && attempt == 0) continue;
      ++errors_;
      spdlog::error("store read failed: {}", e.what());
      return unavailable();
    }
  }
}

Status SqlStore::write_job(const std::function<Status(SqlConnection&)>& body, const std::string& key) {
  auto r = write<int>([&](SqlConnection& c) -> Result<int> {
    auto s = body(c);
    if (!s.ok()) return s.error();
    return 0;
  }, key);
  return r.ok() ? Status::Ok() : Status(r.error());
}

Status SqlStore::read_job(const std::function<Status(SqlConnection&)>& body) {
  auto r = read<int>([&](SqlConnection& c) -> Result<int> {
    auto s = body(c);
    if (!s.ok()) return s.error();
    return 0;
  });
  return r.ok() ? Status::Ok() : Status(r.error());
}

Result<long long> SqlStore::balance(const std::string& user) {
  return read<long long>([&](SqlConnection& c) -> Result<long long> { return balance_of(c, user); });
}

Result<long long> SqlStore::deposit(const std::string& user, long long amount, const std::string& ref,
                                    const std::string& now) {
  return write<long long>(
      [&](SqlConnection& c) -> Result<long long> {
        if (amount > kMaxBalance - balance_of(c, user))
          return make_error(ErrorCode::kInvalidRequest, "예치금 한도(1,000조 원)를 넘게 충전할 수 없습니다.");
        return credit(c, user, amount, "DEPOSIT", ref, now);
      },
      user);
}

Result<std::vector<LedgerEntry>> SqlStore::ledger(const std::string& user, int limit, long long before) {
  return read<std::vector<LedgerEntry>>([&](SqlConnection& c) -> Result<std::vector<LedgerEntry>> {
    std::vector<LedgerEntry> out;
    for (auto& r : c.query("SELECT l.id, l.user_id, l.kind, l.amount, l.balance_after, l.ref, l.created_at,"
                           " t.gross, t.income_tax + t.local_tax FROM ledger l LEFT JOIN ledger_tax t ON t.ledger_id = l.id"
                           " WHERE l.user_id = ? AND l.id < ? ORDER BY l.id DESC LIMIT ?",
                           {v(user), v(before > 0 ? before : INT64_MAX), v(limit)})) {
      LedgerEntry e{r.i(0), r.s(1), r.s(2), r.i(3), r.i(4), r.s(5), r.s(6)};
      // Lines of a prize or an installment carry gross and tax (written since schema 5; older
      // prize lines were paid untaxed, so their gross is their amount).
      e.taxed = e.kind == "PRIZE" || e.kind == "INSTALLMENT";
      e.gross = r.null(7) ? e.amount : r.i(7);
      e.tax = r.null(8) ? 0 : r.i(8);
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<std::vector<CartItem>> SqlStore::cart(const std::string& user) {
  return read<std::vector<CartItem>>([&](SqlConnection& c) -> Result<std::vector<CartItem>> {
    std::vector<CartItem> out;
    for (auto& r : c.query("SELECT id, user_id, round, ticket, created_at FROM cart_items WHERE user_id = ? ORDER BY id",
                           {v(user)}))
      out.push_back(cart_item(r));
    return out;
  });
}

Result<std::vector<CartItem>> SqlStore::add_to_cart(const std::string& user, int round,
                                                    const std::vector<int>& tickets, int max_items,
                                                    const std::string& now) {
  return write<std::vector<CartItem>>([&](SqlConnection& c) -> Result<std::vector<CartItem>> {
    Params p{v(user), v(round)};
    for (int t : tickets) p.push_back(v(t));
    auto dup = c.query("SELECT ticket FROM cart_items WHERE user_id = ? AND round = ? AND ticket IN (" +
                           placeholders(tickets.size()) + ")",
                       p);
    if (!dup.empty()) return make_error(ErrorCode::kSelectDuplicated, "이미 선택한 번호입니다.");
    auto count = c.query("SELECT COUNT(*) FROM cart_items WHERE user_id = ?", {v(user)});
    if (count[0].i(0) + static_cast<long long>(tickets.size()) > max_items)
      return make_error(ErrorCode::kMaxSelected, "최대 구매 수량을 초과했습니다.");
    if (auto sold = sold_among(c, round, tickets); !sold.empty())
      return already_sold(std::move(sold));
    std::vector<CartItem> out;
    for (int t : tickets) {
      try {
        c.query("INSERT INTO cart_items (user_id, round, ticket, created_at) VALUES (?, ?, ?, ?)",
                {v(user), v(round), v(t), v(now)});
      } catch (const SqlError& e) {
        // The same user selected it through another instance meanwhile.
        if (e.kind != SqlError::Kind::kUnique) throw;
        return make_error(ErrorCode::kSelectDuplicated, "이미 선택한 번호입니다.");
      }
      out.push_back(CartItem{c.last_insert_id(), user, round, t, now});
    }
    return out;
  }, user);
}

Result<CartItem> SqlStore::remove_cart_item(const std::string& user, long long id) {
  return write<CartItem>([&](SqlConnection& c) -> Result<CartItem> {
    auto rows = c.query("SELECT id, user_id, round, ticket, created_at FROM cart_items WHERE id = ? AND user_id = ?",
                        {v(id), v(user)});
    if (rows.empty()) return make_error(ErrorCode::kNotFound, "선택한 번호를 찾을 수 없습니다.");
    c.query("DELETE FROM cart_items WHERE id = ?", {v(id)});
    return cart_item(rows[0]);
  }, user);
}

Result<std::vector<CartItem>> SqlStore::clear_cart(const std::string& user, std::optional<int> keep_round) {
  return write<std::vector<CartItem>>([&](SqlConnection& c) -> Result<std::vector<CartItem>> {
    std::string where = " WHERE user_id = ?" + std::string(keep_round ? " AND round <> ?" : "");
    Params p{v(user)};
    if (keep_round) p.push_back(v(*keep_round));
    std::vector<CartItem> out;
    for (auto& r : c.query("SELECT id, user_id, round, ticket, created_at FROM cart_items" + where, p))
      out.push_back(cart_item(r));
    if (!out.empty()) c.query("DELETE FROM cart_items" + where, p);
    return out;
  }, user);
}

Result<PurchaseRecord> SqlStore::purchase(const PurchaseCommand& cmd) {
  std::promise<Result<PurchaseRecord>> promise;
  auto future = promise.get_future();
  purchase_async(cmd, [&promise](Result<PurchaseRecord> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void SqlStore::purchase_async(PurchaseCommand cmd, std::function<void(Result<PurchaseRecord>)> done) {
  auto shared = std::make_shared<const PurchaseCommand>(std::move(cmd));
  write_async<PurchaseRecord>([this, shared](SqlConnection& c) { return purchase_tx(c, *shared); }, std::move(done),
                              shared->user_id, shared);
}

Result<PurchaseRecord> SqlStore::purchase_tx(SqlConnection& c, const PurchaseCommand& cmd) {
  {
    if (!cmd.idem_key.empty()) {
      auto earlier = find_replay(c, cmd.user_id, cmd.idem_key, cmd.idem_hash);
      if (!earlier.ok()) return earlier.error();
      if (*earlier) return std::move(**earlier);
      // Claim the key first: the same key sent to another instance at the same time waits on
      // this row until we commit, then fails here and replays our result.
      try {
        c.query("INSERT INTO idempotency (user_id, idem_key, request_hash, purchase_id) VALUES (?, ?, ?, 0)",
                {v(cmd.user_id), v(cmd.idem_key), v(cmd.idem_hash)});
      } catch (const SqlError& e) {
        if (e.kind != SqlError::Kind::kUnique) throw;
        auto again = find_replay(c, cmd.user_id, cmd.idem_key, cmd.idem_hash);
        if (!again.ok()) return again.error();
        if (!*again) throw;
        return std::move(**again);
      }
    }
    const long long amount = cmd.price * static_cast<long long>(cmd.tickets.size());
    const auto count = static_cast<long long>(cmd.tickets.size());
    std::optional<long long> after;
    bool in_cart = true;  // the cart may hold some of the tickets
    if (dialect_ == Dialect::kSqlite) {
      // SQLite: this transaction is the database's only writer, so what it reads stays true
      // until it commits. Decide first, in the order of the checks below, so that a refused
      // purchase writes nothing (it needs no savepoint), then write plainly: no RETURNING,
      // which SQLite implements with a temporary table (~20,000 instructions a statement).
      // One statement reads all it needs: balance, tickets owned, whether any ticket is sold,
      // whether the cart holds any ticket of the round (else there is nothing to take out).
      Params p{v(cmd.round)};
      for (int t : cmd.tickets) p.push_back(v(t));
      p.insert(p.end(), {v(cmd.round), v(cmd.round), v(cmd.user_id)});
      auto read = c.query("SELECT w.balance, COALESCE(r.tickets, 0), w.cur_round, w.cur_round_tickets,"
                          " EXISTS (SELECT 1 FROM tickets t WHERE t.round = ? AND t.ticket IN (" +
                              placeholders(cmd.tickets.size()) +
                              ")),"
                              " EXISTS (SELECT 1 FROM cart_items k WHERE k.user_id = w.user_id AND k.round = ?)"
                              " FROM wallets w LEFT JOIN user_rounds r ON r.user_id = w.user_id AND r.round = ?"
                              " WHERE w.user_id = ?",
                          p);
      const long long balance = read.empty() ? 0 : read[0].i(0);
      if (read.empty() || balance < amount) return not_enough_money();
      // Tickets owned in the round: user_rounds' row plus the wallet's count if the wallet's
      // round is this one (migration 7). The wallet keeps the latest round the buyer bought in;
      // a purchase in a later round moves the earlier round's count to user_rounds, one in an
      // earlier round (instances' clocks apart at a round's end) adds to user_rounds.
      const long long wallet_round = read[0].i(2), wallet_count = read[0].i(3);
      const long long owned_after = read[0].i(1) + (wallet_round == cmd.round ? wallet_count : 0) + count;
      if (owned_after > cmd.round_limit) return limit_exceeded();
      if (read[0].i(4)) return already_sold(sold_among(c, cmd.round, cmd.tickets));
      in_cart = read[0].i(5) != 0;
      const bool later = cmd.round > wallet_round, earlier = cmd.round < wallet_round;
      c.query("UPDATE wallets SET balance = ?, cur_round = ?, cur_round_tickets = ? WHERE user_id = ?",
              {v(balance - amount), v(earlier ? wallet_round : cmd.round),
               v(earlier ? wallet_count : later ? count : wallet_count + count), v(cmd.user_id)});
      if ((later && wallet_count > 0) || earlier)
        c.query("INSERT INTO user_rounds (user_id, round, tickets) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id, round) DO UPDATE SET tickets = tickets + excluded.tickets",
                {v(cmd.user_id), v(earlier ? cmd.round : wallet_round), v(earlier ? count : wallet_count)});
      after = balance - amount;
    } else {
      // The conditional debit locks the buyer's wallet row (MariaDB), which also serialises this
      // buyer's limit check below across instances.
      after = debit(c, cmd.user_id, amount);
      if (!after) return not_enough_money();
      if (add_owned(c, cmd.user_id, cmd.round, count) > cmd.round_limit) return limit_exceeded();
    }
    c.query("INSERT INTO purchases (user_id, round, amount, balance_after, created_at) VALUES (?, ?, ?, ?, ?)",
            {v(cmd.user_id), v(cmd.round), v(amount), v(*after), v(cmd.created_at)});
    PurchaseRecord rec{c.last_insert_id(), cmd.user_id, cmd.round, amount, *after, cmd.created_at, {}, false};
    for (int t : cmd.tickets) {
      try {
        c.query("INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at) VALUES (?, ?, ?, ?, ?)",
                {v(rec.id), v(cmd.user_id), v(cmd.round), v(t), v(cmd.created_at)});
      } catch (const SqlError& e) {
        // UNIQUE (round, ticket): sold already. The savepoint is rolled back; report every sold one.
        if (e.kind != SqlError::Kind::kUnique) throw;
        return already_sold(sold_among(c, cmd.round, cmd.tickets, rec.id));
      }
      rec.tickets.push_back(TicketRow{c.last_insert_id(), rec.id, cmd.user_id, cmd.round, t, cmd.created_at, 0, ""});
    }
    c.query("INSERT INTO ledger (user_id, kind, amount, balance_after, ref, created_at) VALUES (?, 'PURCHASE', ?, ?, ?, ?)",
            {v(cmd.user_id), v(-amount), v(*after), v("purchase:" + std::to_string(rec.id)), v(cmd.created_at)});
    if (in_cart) {
      Params p{v(cmd.user_id), v(cmd.round)};
      for (int t : cmd.tickets) p.push_back(v(t));
      c.query("DELETE FROM cart_items WHERE user_id = ? AND round = ? AND ticket IN (" +
                  placeholders(cmd.tickets.size()) + ")",
              p);
    }
    if (!cmd.idem_key.empty())
      c.query("UPDATE idempotency SET purchase_id = ? WHERE user_id = ? AND idem_key = ?",
              {v(rec.id), v(cmd.user_id), v(cmd.idem_key)});
    if (outbox_) add_event(c, "purchase", purchase_event(rec), cmd.created_at);
    return rec;
  }
}

Result<std::optional<PurchaseRecord>> SqlStore::replay(const std::string& user, const std::string& key,
                                                       const std::string& hash) {
  return read<std::optional<PurchaseRecord>>(
      [&](SqlConnection& c) { return find_replay(c, user, key, hash); });
}

Result<std::vector<TicketRow>> SqlStore::tickets(const TicketQuery& q) {
  return read<std::vector<TicketRow>>([&](SqlConnection& c) -> Result<std::vector<TicketRow>> {
    // Every buyer's tickets of a round (ADMIN): walk the primary key down from `before` and filter
    // by round — a round's tickets are close together in id order — rather than let the planner
    // take the (round, ticket) index and sort the whole round for every page. A buyer's tickets
    // come from tickets_user (user_id, round), which holds them in id order already.
    const bool walk_ids = !q.user;
    std::string sql = std::string(kTicketSelect);
    if (walk_ids && dialect_ == Dialect::kMysql) sql.insert(sql.find(" t LEFT JOIN") + 2, " FORCE INDEX (PRIMARY)");
    sql += " WHERE t.id < ?";
    Params p{v(q.page.before > 0 ? q.page.before : INT64_MAX)};
    if (q.user) sql += " AND t.user_id = ?", p.push_back(v(*q.user));
    if (q.round) sql += walk_ids && dialect_ == Dialect::kSqlite ? " AND +t.round = ?" : " AND t.round = ?",
                 p.push_back(v(*q.round));
    // The result as kTicketSelect reports it: settlement writes winners only, so an unwon ticket
    // of a settled round is 0 in the table and -1 to clients.
    if (q.result && *q.result > 0) sql += " AND t.result > 0";
    else if (q.result && *q.result == 0) sql += " AND d.round IS NULL";
    else if (q.result && *q.result < 0) sql += " AND d.round IS NOT NULL AND t.result = 0";
    sql += " ORDER BY t.id DESC";
    if (q.page.limit > 0) sql += " LIMIT ?", p.push_back(v(q.page.limit));
    std::vector<TicketRow> out;
    c.each(sql, p, [&](SqlRow& r) { out.push_back(ticket_row(r)); });
    return out;
  });
}

Result<std::vector<int>> SqlStore::sold_tickets(int round) {
  return read<std::vector<int>>([&](SqlConnection& c) -> Result<std::vector<int>> {
    std::vector<int> out;
    for (auto& r : c.query("SELECT ticket FROM tickets WHERE round = ?", {v(round)}))
      out.push_back(static_cast<int>(r.i(0)));
    return out;
  });
}

Result<DrawRecord> SqlStore::record_draw(const DrawRecord& d) {
  return write<DrawRecord>([&](SqlConnection& c) -> Result<DrawRecord> {
    auto rows = c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws WHERE round = ?", {v(d.round)});
    if (!rows.empty()) {
      auto existing = draw_record(rows[0]);
      if (existing.group != d.group || existing.digits != d.digits || existing.bonus != d.bonus)
        return make_error(ErrorCode::kAlreadyDrawn, "이미 추첨된 회차입니다.");
      return existing;
    }
    try {
      c.query("INSERT INTO draws (round, grp, digits, bonus, draw_date, settled) VALUES (?, ?, ?, ?, ?, 0)",
              {v(d.round), v(d.group), v(d.digits), v(d.bonus), v(d.draw_date)});
    } catch (const SqlError& e) {
      // Another instance recorded it meanwhile: answer as if we had read its row above.
      if (e.kind != SqlError::Kind::kUnique) throw;
      rows = c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws WHERE round = ?", {v(d.round)});
      if (rows.empty()) throw;
      auto existing = draw_record(rows[0]);
      if (existing.group != d.group || existing.digits != d.digits || existing.bonus != d.bonus)
        return make_error(ErrorCode::kAlreadyDrawn, "이미 추첨된 회차입니다.");
      return existing;
    }
    auto rec = d;
    rec.settled = false;
    return rec;
  });
}

Result<std::optional<DrawRecord>> SqlStore::find_draw(int round) {
  return read<std::optional<DrawRecord>>([&](SqlConnection& c) -> Result<std::optional<DrawRecord>> {
    auto rows = c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws WHERE round = ?", {v(round)});
    if (rows.empty()) return std::optional<DrawRecord>();
    return std::optional<DrawRecord>(draw_record(rows[0]));
  });
}

Result<std::vector<DrawRecord>> SqlStore::draws() {
  return read<std::vector<DrawRecord>>([&](SqlConnection& c) -> Result<std::vector<DrawRecord>> {
    std::vector<DrawRecord> out;
    for (auto& r : c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws ORDER BY round", {}))
      out.push_back(draw_record(r));
    return out;
  });
}

Status SqlStore::settle_draw(int round, const std::string& now) {
  auto r = write<bool>([&](SqlConnection& c) -> Result<bool> {
    auto rows = c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws WHERE round = ?", {v(round)});
    if (rows.empty()) return make_error(ErrorCode::kNotFound, "추첨 결과가 없습니다.");
    auto d = draw_record(rows[0]);
    if (d.settled) return true;
    // Claim the settlement: another instance settling concurrently waits on this row lock and
    // then finds it settled, so prizes are credited once (rolled back with the job on failure).
    c.query("UPDATE draws SET settled = 1 WHERE round = ? AND settled = 0", {v(round)});
    if (c.changes() != 1) return true;
    const DrawNumbers nums{d.group, d.digits, d.bonus};
    // Every winner of results 1..7 shares the winning number's last digit, and result 8 is the
    // bonus digits: SQLite filters the round's tickets to those (~10%), and the domain's rules
    // give each its exact result. Losers are not written at all (see kTicketSelect).
    const auto rules = result_rules(nums);
    auto result_for = [&](int t) {
      for (const auto& r : rules)
        if (r.modulus == 0 ? t == r.value : t % r.modulus == r.value) return r.result;
      return -1;
    };
    struct Winner {
      long long id;
      int ticket;
      int result;
      std::string user;
    };
    std::vector<Winner> winners;
    c.each("SELECT id, ticket, user_id FROM tickets WHERE round = ? AND (ticket % 10 = ? OR ticket % 1000000 = ?)",
           {v(round), v(d.digits % 10), v(d.bonus)}, [&](SqlRow& row) {
             const int t = static_cast<int>(row.i(1));
             if (int res = result_for(t); res > 0) winners.push_back({row.i(0), t, res, row.s(2)});
           });
    // One-time prizes are withheld per ticket (tax.* rules); a ticket taxed keeps a prize_taxes
    // row, and each winner's one PRIZE line carries the net with its gross and tax.
    const TaxRules tax = [&] {
      std::lock_guard lock(tax_mu_);
      return tax_;
    }();
    const std::string tax_month = now.size() >= 7 ? now.substr(0, 7) : now;
    std::map<std::string, Withholding> credits;
    std::map<int, long long> counts;
    for (const auto& w : winners) {
      c.query("UPDATE tickets SET result = ? WHERE id = ?", {v(w.result), v(w.id)});
      ++counts[w.result];
      auto prize = prize_for(w.result);
      if (!prize || prize->annuity) continue;
      const Withholding held = tax.one_time(prize->amount);
      auto& sum = credits[w.user];
      sum.gross += held.gross;
      sum.income += held.income;
      sum.local += held.local;
      if (held.tax() > 0)
        c.query("INSERT INTO prize_taxes (ticket_id, round, user_id, gross, income_tax, local_tax, paid_month,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                {v(w.id), v(round), v(w.user), v(held.gross), v(held.income), v(held.local), v(tax_month), v(now)});
    }
    for (const auto& [result, n] : counts)
      c.query("INSERT INTO draw_winners (round, result, winners) VALUES (?, ?, ?)", {v(round), v(result), v(n)});
    for (const auto& [user, held] : credits) {
      const long long amount = held.net();
      const long long after = credit(c, user, amount, "PRIZE", "round:" + std::to_string(round), now);
      add_ledger_tax(c, c.last_insert_id(), held.gross, held.income, held.local);
      if (outbox_)
        add_event(c, "prize",
                  nlohmann::json{{"kind", "ONCE"}, {"round", round}, {"userId", user}, {"amount", amount},
                                 {"gross", held.gross}, {"tax", held.tax()}, {"balance", after}}
                      .dump(),
                  now);
    }

    const std::string first_month = first_payment_month(d.draw_date);
    for (const auto& w : winners) {
      auto prize = prize_for(w.result);
      if (!prize || !prize->annuity) continue;
      c.query("INSERT INTO annuities (ticket_id, user_id, round, result, monthly, months, first_payment_month) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              {v(w.id), v(w.user), v(round), v(w.result), v(prize->monthly), v((long long)prize->months),
               v(first_month)});
    }
    if (outbox_) {
      for (auto& a : c.query("SELECT ticket_id, user_id, result, monthly, months, first_payment_month FROM annuities "
                             "WHERE round = ? ORDER BY ticket_id",
                             {v(round)}))
        add_event(c, "prize",
                  nlohmann::json{{"kind", "ANNUITY"}, {"round", round},           {"ticketId", a.i(0)},
                                 {"userId", a.s(1)},  {"result", a.i(2)},         {"monthlyAmount", a.i(3)},
                                 {"months", a.i(4)},  {"firstPaymentMonth", a.s(5)}}
                      .dump(),
                  now);
    }
    c.query("UPDATE draws SET settled = 1 WHERE round = ?", {v(round)});
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Result<std::vector<WinnerCount>> SqlStore::winners(int round) {
  return read<std::vector<WinnerCount>>([&](SqlConnection& c) -> Result<std::vector<WinnerCount>> {
    std::vector<WinnerCount> out;
    for (auto& r : c.query("SELECT result, winners FROM draw_winners WHERE round = ? ORDER BY result", {v(round)}))
      out.push_back(WinnerCount{static_cast<int>(r.i(0)), r.i(1)});
    return out;
  });
}

Result<std::vector<Winning>> SqlStore::winnings_of(const std::string& user) {
  return read<std::vector<Winning>>([&](SqlConnection& c) -> Result<std::vector<Winning>> {
    std::vector<Winning> out;
    // Paid so far: a one-time prize's gross less its withholding (prize_taxes, when it was
    // taxed); an annuity's installments.
    for (auto& r : c.query("SELECT t.round, t.id, t.ticket, t.result, d.draw_date,"
                           " pt.income_tax + pt.local_tax,"
                           " (SELECT SUM(p.gross) FROM annuity_payments p WHERE p.ticket_id = t.id),"
                           " (SELECT SUM(p.income_tax + p.local_tax) FROM annuity_payments p WHERE p.ticket_id = t.id)"
                           " FROM tickets t JOIN draws d ON d.round = t.round"
                           " LEFT JOIN prize_taxes pt ON pt.ticket_id = t.id WHERE t.user_id = ? AND t.result > 0"
                           " ORDER BY t.round DESC, t.id",
                           {v(user)})) {
      Winning w{static_cast<int>(r.i(0)), r.i(1), static_cast<int>(r.i(2)), static_cast<int>(r.i(3)), r.s(4)};
      const auto prize = prize_for(w.result);
      if (prize && !prize->annuity) {
        w.gross_paid = prize->amount;
        w.tax_withheld = r.i(5);
      } else {
        w.gross_paid = r.i(6);
        w.tax_withheld = r.i(7);
      }
      out.push_back(std::move(w));
    }
    return out;
  });
}

Result<Totals> SqlStore::totals() {
  return read<Totals>([&](SqlConnection& c) -> Result<Totals> {
    // One read transaction so the four sums are of the same instant.
    // (Connections run READ COMMITTED, where a snapshot lasts one statement: ask for more.)
    if (dialect_ == Dialect::kMysql) c.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    c.exec(dialect_ == Dialect::kSqlite ? "BEGIN" : "START TRANSACTION WITH CONSISTENT SNAPSHOT");
    Totals t;
    auto sum = [&](const std::string& sql) {
      auto rows = c.query(sql, {});
      return rows.empty() ? 0 : rows[0].i(0);
    };
    t.deposits = sum("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'DEPOSIT'");
    t.sales = -sum("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'PURCHASE'");
    t.prizes = sum("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'PRIZE'");
    t.installments = sum("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'INSTALLMENT'");
    t.balances = sum("SELECT COALESCE(SUM(balance), 0) FROM wallets");
    c.exec("COMMIT");
    return t;
  });
}

Result<std::vector<OutboxEvent>> SqlStore::pending_events(int limit) {
  return read<std::vector<OutboxEvent>>([&](SqlConnection& c) -> Result<std::vector<OutboxEvent>> {
    std::vector<OutboxEvent> out;
    // Every row holds at least one event, so `limit` rows are enough; whole rows only.
    for (auto& r : c.query("SELECT id, kind, payload, created_at FROM outbox ORDER BY id LIMIT ?", {v(limit)})) {
      if (r.s(1) == kBatchEventsKind) expand_batch_events(r.i(0), r.s(2), out);
      else out.push_back(OutboxEvent{r.i(0), r.s(1), r.s(2), r.s(3)});
      if (out.size() >= static_cast<size_t>(limit)) break;
    }
    return out;
  });
}

void SqlStore::set_tax_rules(const TaxRules& rules) {
  std::lock_guard lock(tax_mu_);
  tax_ = rules;
}

Status SqlStore::ack_events(const std::vector<long long>& ids) {
  if (ids.empty()) return Status::Ok();
  auto r = write<bool>([&](SqlConnection& c) -> Result<bool> {
    Params p;
    for (long long id : ids) p.push_back(v(id));
    c.query("DELETE FROM outbox WHERE id IN (" + placeholders(ids.size()) + ")", p);
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

std::string SqlStore::metrics_text() const {
  auto counter = [](const char* name, const char* help, long long value) {
    return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(value) + "\n";
  };
  std::string out =
      counter("pension_store_batches_total", "Group-commit transactions (batches) the writers ran.", batches_.load()) +
      counter("pension_store_batch_jobs_total",
              "Writes (jobs) run in those batches; jobs/batches is the mean batch size.", batch_jobs_.load()) +
      counter("pension_store_errors_total",
              "SQL errors: failed batches, and writes or reads that failed for their caller.", errors_.load()) +
      counter("pension_store_purchases_together_total", "Purchases decided together by the set-based batch path.",
              together_.load()) +
      counter("pension_store_together_fallbacks_total",
              "Set-based batches that fell back to one purchase at a time (a ticket sold concurrently).",
              together_fallbacks_.load()) +
      counter("pension_store_lock_waits_total",
              "Writes refused after waiting store.lock-wait-timeout-seconds for another transaction's lock.",
              lock_waits_.load());
  // Buckets read one by one while writers run: _count is their sum, so it always equals +Inf.
  out += "# HELP pension_store_batch_size Jobs per group-commit batch.\n# TYPE pension_store_batch_size histogram\n";
  long long cumulative = 0;
  for (size_t i = 0; i < kBatchBuckets.size(); ++i) {
    cumulative += batch_sizes_[i].load();
    out += "pension_store_batch_size_bucket{le=\"" + std::to_string(kBatchBuckets[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += batch_sizes_.back().load();
  out += "pension_store_batch_size_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += "pension_store_batch_size_sum " + std::to_string(batch_jobs_.load()) + "\n";
  out += "pension_store_batch_size_count " + std::to_string(cumulative) + "\n";
  return out;
}

void SqlStore::probe_async(std::function<void(Status)> done) {
  write_async<bool>(
      [](SqlConnection&) -> Result<bool> { return true; },
      [this, done = std::move(done)](Result<bool> r) {
        if (!r.ok()) return done(Status(r.error()));
        const int last = last_failure_;
        done(last < 0 ? Status::Ok() : Status(make_error(static_cast<ErrorCode>(last))));
      },
      "", nullptr, /*probe=*/true);
}

Status SqlStore::ping() {
  auto r = read<bool>([](SqlConnection& c) -> Result<bool> {
    c.query("SELECT 1", {});
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

}  // namespace p720::store
