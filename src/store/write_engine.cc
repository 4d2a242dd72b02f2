// The group-commit engine (write_engine.h): writer threads, batches, savepoints, retries, commit
// outcome checks, answering, and the reader pool.
#include "store/write_engine.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "store/queries.h"

namespace p720::store {
namespace {

SqlValue v(long long x) { return SqlValue{x}; }

Error storage_full() { return make_error(ErrorCode::kStorageFull, Subject::kNone); }
// A write that waited store.lock-wait-timeout-seconds for a row another transaction holds:
// nothing of it was written.
Error busy() { return make_error(ErrorCode::kUnavailable, Subject::kLockWait); }
// A commit whose reply was lost, and the database could not be asked afterwards.
Error outcome_unknown() { return make_error(ErrorCode::kUnavailable, Subject::kCommitOutcome); }

// How long a writer keeps asking the database whether a commit whose reply was lost took effect.
constexpr auto kOutcomeWait = std::chrono::seconds(15);

}  // namespace

// The cause (SQL, statement text, other buyers' values) goes only to the server's log: a batch's
// error would otherwise reach every caller in it.
Error store_unavailable() { return make_error(ErrorCode::kUnavailable, Subject::kStore); }

WriteEngine::WriteEngine(ConnectionFactory factory, const SqlDialect& dialect, Options options,
                         std::unique_ptr<SqlConnection> first, SetWriter together)
    : factory_(std::move(factory)), dialect_(dialect), options_(options), together_(std::move(together)) {
  if (dialect_.single_writer()) options_.writers = 1;
  if (options_.writers < 1) options_.writers = 1;
  // A separate connection does the dialect's upkeep in the background (SQLite: checkpoints, which
  // would otherwise stall a commit).
  if (dialect_.background_upkeep()) checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
  for (int i = 0; i < options_.writers; ++i) lanes_.push_back(std::make_unique<Lane>());
  writer_threads_.emplace_back([this, c = std::move(first)]() mutable { writer_loop(std::move(c), *lanes_[0]); });
  for (int i = 1; i < options_.writers; ++i) {
    auto c = factory_();
    writer_threads_.emplace_back([this, i, c = std::move(c)]() mutable { writer_loop(std::move(c), *lanes_[i]); });
  }
}

WriteEngine::~WriteEngine() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  for (auto& lane : lanes_) lane->cv.notify_all();
  stop_cv_.notify_all();
  for (auto& t : writer_threads_) t.join();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

void WriteEngine::checkpoint_loop() {
  pthread_setname_np(pthread_self(), "p720-checkpoint");
  std::unique_ptr<SqlConnection> conn;
  std::unique_lock lock(mu_);
  // Its own condition variable: sharing cv_ would let a notify_one meant for the writer wake
  // this thread instead, leaving a queued write unserved.
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; })) {
    lock.unlock();
    try {
      if (!conn) conn = factory_();
      if (conn->background_upkeep()) finish_upkeep_.store(true);
    } catch (const SqlError& e) {
      conn.reset();
      spdlog::warn("wal checkpoint failed: {}", e.what());
    }
    lock.lock();
  }
}

bool WriteEngine::enqueue(Job* job) {
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

void WriteEngine::set_answer_executor(Executor executor) {
  std::lock_guard lock(answer_mu_);
  answer_on_ = std::move(executor);
}

void WriteEngine::complete(Job* job, Answers& answers) {
  auto finish = std::move(job->finish);
  if (auto answer = finish()) answers.push_back(std::move(answer));
}

void WriteEngine::deliver(Answers& answers) {
  if (answers.empty()) return;
  Executor on;
  {
    std::lock_guard lock(answer_mu_);
    on = answer_on_;
  }
  if (!on) {
    for (auto& answer : answers) answer();
    answers.clear();
    return;
  }
  // A handful per task: fewer wake-ups than one each, and still spread over the I/O threads.
  constexpr size_t kPerTask = 8;
  for (size_t at = 0; at < answers.size(); at += kPerTask) {
    auto part = std::make_shared<Answers>();
    for (size_t i = at; i < std::min(at + kPerTask, answers.size()); ++i) part->push_back(std::move(answers[i]));
    on([part] {
      for (auto& answer : *part) answer();
    });
  }
  answers.clear();
}

void WriteEngine::writer_loop(std::unique_ptr<SqlConnection> conn, Lane& lane) {
  pthread_setname_np(pthread_self(), "p720-writer");  // for top -H and perf
  // This writer's commit mark: a random id, so writers of every instance (and of every start of
  // one) have rows of their own.
  Mark mark;
  std::random_device rd;
  mark.writer = static_cast<long long>(((static_cast<unsigned long long>(rd()) << 31) ^ rd()) & 0x7fffffffffffffffULL);
  try {
    conn->query(q::kAddCommitMark, {v(mark.writer)});
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
          if (conn) conn->query(q::kDropCommitMark, {v(mark.writer)});
        } catch (const SqlError&) {
        }  // a row left behind is harmless
        return;
      }
      // Linger (like PostgreSQL's commit_delay): while buyers are concurrent, a batch that waits
      // a little for the purchases on their way costs the database less per purchase (its round
      // trips and commit are per batch). A lone buyer (last batch of one) never waits. The
      // writer is woken only when the batch is full (or at stop), not by every job meanwhile.
      if (options_.linger.count() > 0 && lane.last_batch > 1 && lane.queue.size() < options_.max_batch && !stop_) {
        lane.wake_at = options_.max_batch;
        lane.cv.wait_for(lock, options_.linger, [&] { return stop_ || lane.queue.size() >= options_.max_batch; });
        lane.wake_at = 1;
      }
      while (!lane.queue.empty() && batch.size() < options_.max_batch) {
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
      if (conn) {
        if (finish_upkeep_.exchange(false)) conn->finish_upkeep();
        conn->maintain();  // the fallback: a no-op just after finish_upkeep
      }
    } catch (const SqlError& e) {
      spdlog::warn("store upkeep failed: {}", e.what());
    }
  }
}

void WriteEngine::set_purchase_screen(PurchaseScreen screen) {
  std::lock_guard lock(screen_mu_);
  screen_ = screen ? std::make_shared<const PurchaseScreen>(std::move(screen)) : nullptr;
}

void WriteEngine::screen(std::vector<Job*>& batch, Answers& answers) {
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
  for (Job* job : refused) complete(job, answers);
}

void WriteEngine::run_batch(std::unique_ptr<SqlConnection>& conn, Mark& mark, std::vector<Job*>& batch) {
  Answers answers;
  screen(batch, answers);
  if (batch.empty()) return deliver(answers);
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
      if (job->run == Job::Run::kTogether) together.push_back(job);
    // A batch of such purchases only: the set-based writer opens the transaction in its first
    // round trip.
    const bool whole = !together.empty() && together.size() == batch.size();
    if (!whole) conn->exec(dialect_.begin_write());
    for (Job* job : batch) {
      switch (job->run) {
        case Job::Run::kDecidesFirst: run_unguarded(*conn, job); break;
        case Job::Run::kSavepoint: run_in_savepoint(*conn, job); break;
        case Job::Run::kTogether: break;  // below, all at once
      }
    }
    if (!together.empty() && !together_(*conn, together, whole)) {
      // A ticket was sold by a concurrent transaction meanwhile: nothing of the set-based
      // writes is left (rolled back to their savepoint); run the purchases one by one.
      for (Job* job : together) run_in_savepoint(*conn, job);
    }
    commit_sent = true;
    commit(*conn, mark);
  } catch (const SqlError& e) {
    ++errors_;
    spdlog::error("store batch of {} failed: {}", batch.size(), e.what());
    if (conn) try {
        conn->exec("ROLLBACK");
      } catch (const SqlError&) {
      }
    if (e.kind == SqlError::Kind::kRetry || e.kind == SqlError::Kind::kLockWait) {
      retry_alone = true;
    } else if (e.kind == SqlError::Kind::kConnection) {
      // Lost before COMMIT was sent, nothing committed. Lost after, the server may have
      // committed before its reply was lost (SPEC §4): find out before anyone is answered.
      Outcome outcome = Outcome::kNotCommitted;
      if (commit_sent) outcome = check_commit(conn, mark);
      else reconnect(conn);
      if (outcome == Outcome::kUnknown) failure = outcome_unknown();
      else if (outcome == Outcome::kCommitted)
        spdlog::warn("store: the batch of {} committed although its reply was lost", batch.size());
      // Nothing of it committed and the database answers again: each job runs on its own, for
      // a true answer.
      else if (conn) retry_alone = true;
      else failure = store_unavailable();
    } else if (e.kind == SqlError::Kind::kFull) {
      failure = storage_full();  // refused by the database, so not committed
    } else {
      failure = store_unavailable();
    }
  }
  if (retry_alone) {
    // Nothing of the batch committed: run each job again in its own transaction, so every
    // caller gets a real answer, never a half-applied one.
    for (Job* job : batch) {
      run_alone(conn, mark, job);
      complete(job, answers);
    }
    return deliver(answers);
  }
  if (std::any_of(batch.begin(), batch.end(), [](const Job* j) { return !j->probe; }))
    last_failure_ = failure ? static_cast<int>(failure->code) : -1;
  // Committed (every job keeps the answer its part of the transaction gave), or failed whole.
  for (Job* job : batch) {
    if (failure) job->fail(*failure);
    complete(job, answers);
  }
  deliver(answers);
}

void WriteEngine::reconnect(std::unique_ptr<SqlConnection>& conn) {
  conn.reset();  // the broken session goes first: the server then rolls back what it left open
  try {
    conn = factory_();
  } catch (const SqlError& e) {
    spdlog::error("store: reconnect failed: {}", e.what());
  }
}

void WriteEngine::commit(SqlConnection& conn, const Mark& mark) {
  dialect_.commit_after(conn, {std::string(q::kSetCommitMark), {v(mark.seq), v(mark.writer)}});
}

WriteEngine::Outcome WriteEngine::check_commit(std::unique_ptr<SqlConnection>& conn, const Mark& mark) {
  const auto deadline = std::chrono::steady_clock::now() + kOutcomeWait;
  // FOR UPDATE (MariaDB): a plain read would see the mark as it was while the lost transaction
  // may still be committing; the locking read waits for its lock, so it sees the final state.
  const std::string read_mark = std::string(q::kReadCommitMark) + std::string(dialect_.for_update());
  for (int attempt = 1;; ++attempt) {
    try {
      conn.reset();
      conn = factory_();
      auto rows = conn->query(read_mark, {v(mark.writer)});
      return !rows.empty() && rows[0].i(0) == mark.seq ? Outcome::kCommitted : Outcome::kNotCommitted;
    } catch (const SqlError& e) {
      spdlog::warn("store: cannot tell yet whether a transaction committed (attempt {}): {}", attempt, e.what());
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 50 * attempt)));
    }
  }
  spdlog::error("store: whether a transaction committed is unknown after {} s", kOutcomeWait.count());
  return Outcome::kUnknown;
}

void WriteEngine::run_in_savepoint(SqlConnection& conn, Job* job) {
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

void WriteEngine::stop_waiting(SqlConnection& conn, const SqlError& e) {
  spdlog::warn("store: a write waited too long for a lock; the rest of the batch does not wait: {}", e.what());
  conn.wait_for_locks(false);
}

void WriteEngine::run_unguarded(SqlConnection& conn, Job* job) {
  const long long before = conn.total_changes();
  if (!run_job(conn, job) && conn.total_changes() != before)
    // It failed after writing (an SQL error midway): without a savepoint its half cannot be
    // taken back alone, so the whole batch is rolled back and runs again job by job.
    throw SqlError(SqlError::Kind::kRetry, "a write failed midway without a savepoint");
}

bool WriteEngine::run_job(SqlConnection& conn, Job* job) {
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
    job->fail(store_unavailable());
    return false;
  }
}

void WriteEngine::run_alone(std::unique_ptr<SqlConnection>& conn, Mark& mark, Job* job) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    bool commit_sent = false, refused = false;
    ++mark.seq;
    try {
      if (!conn) conn = factory_();
      conn->exec(dialect_.begin_write());
      if (!run_job(*conn, job)) {
        refused = true;  // its answer is set, and nothing of it is to stay
        conn->exec("ROLLBACK");
        return;
      }
      commit_sent = true;
      commit(*conn, mark);
      return;
    } catch (const SqlError& e) {
      if (conn) try {
          conn->exec("ROLLBACK");
        } catch (const SqlError&) {
        }
      Outcome outcome = Outcome::kNotCommitted;
      if (e.kind == SqlError::Kind::kConnection) {
        if (commit_sent) outcome = check_commit(conn, mark);
        else reconnect(conn);
      }
      // It took effect although the reply was lost, or it was a refusal whose ROLLBACK was lost:
      // its answer stands.
      if (refused || outcome == Outcome::kCommitted) return;
      // Nothing of it committed: after a deadlock, or a connection lost and open again, try again.
      // Never after a lock wait: the row's holder may keep it for seconds, and this writer's
      // other buyers are waiting (docs/DESIGN.md, "Bounded blast radius").
      const bool again = outcome == Outcome::kNotCommitted && conn && e.kind != SqlError::Kind::kOther &&
                         e.kind != SqlError::Kind::kUnique && e.kind != SqlError::Kind::kLockWait;
      if (again && attempt < kAttempts) continue;
      if (e.kind == SqlError::Kind::kLockWait) ++lock_waits_;
      ++errors_;
      spdlog::error("store write failed after {} attempt(s): {}", attempt, e.what());
      job->fail(outcome == Outcome::kUnknown          ? outcome_unknown()
                : e.kind == SqlError::Kind::kFull     ? storage_full()
                : e.kind == SqlError::Kind::kLockWait ? busy()
                                                      : store_unavailable());
      return;
    }
  }
}

std::unique_ptr<SqlConnection> WriteEngine::acquire_reader() {
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

void WriteEngine::release_reader(std::unique_ptr<SqlConnection> c) {
  std::lock_guard lock(readers_mu_);
  if (readers_.size() < 64) readers_.push_back(std::move(c));
}

Error WriteEngine::failed(const char* what, const SqlError& e) {
  ++errors_;
  spdlog::error("store {} failed: {}", what, e.what());
  return store_unavailable();
}

void WriteEngine::probe_async(std::function<void(Status)> done) {
  write_async<bool>([](SqlConnection&) -> Result<bool> { return true; },
                    [this, done = std::move(done)](const Result<bool>& r) {
                      if (!r.ok()) return done(Status(r.error()));
                      const int last = last_failure_;
                      done(last < 0 ? Status::Ok() : Status(make_error(static_cast<ErrorCode>(last), Subject::kNone)));
                    },
                    "", nullptr, Job::Run::kSavepoint, /*probe=*/true);
}

std::string WriteEngine::metrics_text() const {
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

}  // namespace p720::store
