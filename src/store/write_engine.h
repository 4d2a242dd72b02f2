// The group-commit engine under SqlStore: write queue, lanes, linger, savepoints, retries,
// reconnects, commit outcome checks, answering, and the reader pool — none of the store's SQL.
//
// Contract. A write is a Job whose body runs inside a writer's next batch: one transaction holding
// many jobs, each under its own SAVEPOINT (Job::Run says when it needs none), so a job's failure
// rolls back only its own changes. Every job is answered — its `finish` runs — only after the
// whole batch committed durably, or with the error that stopped it (never SQL text: the cause
// goes to the log). A batch rolled back by a deadlock, a lock wait or a lost connection is run
// again job by job, each in its own transaction; when a connection is lost after COMMIT was sent,
// the engine reads the writer's commit mark on a new connection to learn whether it committed
// before anyone is answered (SPEC §4). Reads run on pooled connections and are tried once more
// when a pooled connection turns out closed.
//
// Threads. `writers` writer threads (1 on SQLite), each with its own connection and its own lane
// (queue); a job's key (a user id) picks the lane, so one user's writes are serialised and stay
// in order. Bodies, the purchase screen, the set-based writer and `finish` run on a writer thread;
// write_async's `done` runs on the answer executor when one is set (else on the writer thread).
// SQLite adds a background checkpoint thread. Every public member is thread-safe; a job's body
// must use only the connection it is given. The destructor drains the queues and joins.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/dialect.h"
#include "store/sql.h"
#include "store/store.h"

namespace p720::store {

class WriteEngine {
 public:
  using ConnectionFactory = std::function<std::unique_ptr<SqlConnection>()>;
  using PurchaseScreen = Store::PurchaseScreen;
  using Executor = Store::Executor;

  // A queued write: what the writer runs, and how it answers.
  struct Job {
    // How the job runs inside its batch.
    enum class Run {
      // Under a SAVEPOINT of its own: its failure rolls back only its changes.
      kSavepoint,
      // Without one: the body decides before it writes, so when it fails it has written nothing
      // (SQLite purchases without an Idempotency-Key). Guarded by total_changes(): if it failed
      // after writing all the same, the batch is rolled back and run job by job.
      kDecidesFirst,
      // Written with the batch's other such purchases by the set-based writer (SetWriter), which
      // answers through `take`; `body` still runs it alone when the batch falls back or re-runs.
      kTogether,
    };
    // Runs inside the batch transaction; returns false when its changes must be rolled back.
    std::function<bool(SqlConnection&)> body;
    // Called when the job could not be done (its batch could not commit, or its SQL failed): the
    // job's result becomes that error, which a client sees.
    std::function<void(Error)> fail;
    // Runs after the batch committed (or failed), on the writer thread; returns what must then run
    // for the caller (its callback), which the engine hands to the answer executor with the
    // batch's other answers, or nothing. May delete the job, so it is moved out before it is called.
    std::function<std::function<void()>()> finish;
    std::string key;  // the user whose rows it writes ("" = any writer)
    // A purchase: its command, screened before the batch runs (`take` receives a refusal).
    std::shared_ptr<const PurchaseCommand> purchase;
    Run run = Run::kSavepoint;
    std::function<void(Result<PurchaseRecord>)> take;
    bool probe = false;  // a health probe: its batch's outcome says nothing of real writes
  };

  // Writes the kTogether jobs of a batch in a few set-based statements, answering each through
  // its `take`. False when it wrote nothing and answered no job (the engine then runs them one by
  // one). `whole`: the batch has no other jobs, so it also opens the transaction ("START
  // TRANSACTION" first). The engine commits.
  using SetWriter = std::function<bool(SqlConnection& c, const std::vector<Job*>& jobs, bool whole)>;

  struct Options {
    size_t max_batch = 256;
    int writers = 1;  // always 1 when the dialect has a single writer
    // How long a writer may wait for more jobs before it starts a batch, once its previous batch
    // held more than one (buyers are concurrent); 0 starts at once.
    std::chrono::microseconds linger{};
  };

  // Starts the writers; `first` (migrated already) becomes the first writer's connection.
  WriteEngine(ConnectionFactory factory, const SqlDialect& dialect, Options options,
              std::unique_ptr<SqlConnection> first, SetWriter together);
  ~WriteEngine();
  WriteEngine(const WriteEngine&) = delete;
  WriteEngine& operator=(const WriteEngine&) = delete;

  // Runs `body` in a writer's next batch and waits for the commit. `key` picks the writer.
  template <class T>
  Result<T> write(const std::function<Result<T>(SqlConnection&)>& body, const std::string& key = "");
  // The same without waiting: `done` gets the result after the commit (see Threads). `purchase`:
  // the job is that purchase (screened first), run as `run` says.
  template <class T>
  void write_async(std::function<Result<T>(SqlConnection&)> body, std::function<void(Result<T>)> done,
                   const std::string& key = "", std::shared_ptr<const PurchaseCommand> purchase = nullptr,
                   Job::Run run = Job::Run::kSavepoint, bool probe = false);
  // Runs `body` on a pooled reader connection.
  template <class T>
  Result<T> read(const std::function<Result<T>(SqlConnection&)>& body);

  // A write through the queue that answers how the last batch of real writes ended.
  void probe_async(std::function<void(Status)> done);
  void set_purchase_screen(PurchaseScreen screen);
  void set_answer_executor(Executor executor);
  // After a lock-wait timeout on `conn` (a writer's): has it fail at once on a held lock until
  // its next batch, so a batch waits at most once. For SetWriter, which handles its own waits.
  void stop_waiting(SqlConnection& conn, const SqlError& e);
  // Prometheus text of the engine's counters.
  std::string metrics_text() const;

 private:
  struct Lane {
    std::deque<Job*> queue;
    std::condition_variable cv;
    size_t wake_at = 1;     // enqueue wakes the writer when the queue is this long
    size_t last_batch = 0;  // jobs the writer took last time
  };
  // A writer's row in commit_marks and the seq its latest transaction carries.
  struct Mark {
    long long writer = 0;
    long long seq = 0;
  };
  // Whether a transaction whose connection was lost after COMMIT was sent took effect.
  enum class Outcome { kCommitted, kNotCommitted, kUnknown };

  using Answers = std::vector<std::function<void()>>;
  bool enqueue(Job* job);  // false when stopping
  // Finishes the job, adding its answer (if it has one) to `answers`.
  static void complete(Job* job, Answers& answers);
  // Runs the answers on the answer executor, a few per task (one wake-up of an I/O thread
  // answers several callers), or here when there is none.
  void deliver(Answers& answers);
  // Answers and takes out of `batch` the purchases the screen refuses.
  void screen(std::vector<Job*>& batch, Answers& answers);
  void writer_loop(std::unique_ptr<SqlConnection> conn, Lane& lane);
  void checkpoint_loop();
  void run_batch(std::unique_ptr<SqlConnection>& conn, Mark& mark, std::vector<Job*>& batch);
  // Commits the open transaction, writing the mark's seq (the transaction's own, advanced when it
  // began) to the writer's row in it: one round trip on MariaDB.
  void commit(SqlConnection& conn, const Mark& mark);
  // Drops a broken connection and opens another; `conn` is null when that fails too.
  void reconnect(std::unique_ptr<SqlConnection>& conn);
  // After a connection was lost in a transaction: whether that transaction committed, read from
  // its mark on a new connection (`conn` is replaced). MariaDB's locking read waits until the lost
  // session's lock on the mark is gone, so the answer is final. Keeps trying while the database
  // cannot be reached, for up to kOutcomeWait; kUnknown when it still cannot tell.
  Outcome check_commit(std::unique_ptr<SqlConnection>& conn, const Mark& mark);
  // Runs a job's body; false (and the job failed) on an ordinary SQL error. Rethrows lost
  // connections and deadlocks, which end the whole transaction, and lock waits.
  bool run_job(SqlConnection& conn, Job* job);
  // Run::kSavepoint. A lock wait refuses that job alone (busy) and stops the rest of the batch
  // from waiting for locks (stop_waiting); the batch goes on.
  void run_in_savepoint(SqlConnection& conn, Job* job);
  // Run::kDecidesFirst: throws kRetry (the batch then runs job by job) if it failed after writing.
  void run_unguarded(SqlConnection& conn, Job* job);
  // Runs one job in its own transaction, retrying deadlocks (not lock waits: busy at once); used
  // after a batch was rolled back.
  void run_alone(std::unique_ptr<SqlConnection>& conn, Mark& mark, Job* job);
  std::unique_ptr<SqlConnection> acquire_reader();
  void release_reader(std::unique_ptr<SqlConnection> c);
  // A read or write the engine could not do: counted and logged, the caller told unavailable.
  Error failed(const char* what, const SqlError& e);

  ConnectionFactory factory_;
  const SqlDialect& dialect_;
  Options options_;
  SetWriter together_;

  std::mutex mu_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // one per writer thread, guarded by mu_
  size_t next_lane_ = 0;
  bool stop_ = false;
  std::vector<std::thread> writer_threads_;
  std::thread checkpoint_thread_;           // background upkeep (SQLite's WAL checkpoints)
  std::atomic<bool> finish_upkeep_{false};  // set by checkpoint_thread_: the writer finishes it
  std::condition_variable stop_cv_;         // wakes checkpoint_thread_ at stop

  // Counters for metrics_text(): group-commit batches, the jobs in them, and SQL errors that
  // reached a caller (or failed a whole batch).
  std::atomic<long long> batches_{0}, batch_jobs_{0}, errors_{0};
  // How the last batch of real writes (not only probes) ended: -1 committed, else the ErrorCode
  // it failed with (probe_async reports it).
  std::atomic<int> last_failure_{-1};
  // Batches by size: batch_sizes_[i] counts those of at most kBatchBuckets[i] jobs (and more
  // than the bound before); the last slot those larger than every bound.
  static constexpr std::array<size_t, 9> kBatchBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::array<std::atomic<long long>, kBatchBuckets.size() + 1> batch_sizes_{};
  // Writes refused after a lock wait (stop_waiting).
  std::atomic<long long> lock_waits_{0};

  std::mutex screen_mu_;
  std::shared_ptr<const PurchaseScreen> screen_;  // guarded by screen_mu_
  std::mutex answer_mu_;                          // guards answer_on_ (set and cleared by main while writers run)
  Executor answer_on_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqlConnection>> readers_;
};

// What a client is told when its write or read could not be done.
Error store_unavailable();

template <class T>
Result<T> WriteEngine::write(const std::function<Result<T>(SqlConnection&)>& body, const std::string& key) {
  std::optional<Result<T>> out;
  Job job;
  job.body = [&](SqlConnection& c) {
    out.emplace(body(c));
    return out->ok();
  };
  job.fail = [&](Error why) { out.emplace(std::move(why)); };
  std::promise<void> done;
  job.finish = [&done] {
    done.set_value();
    return std::function<void()>();
  };
  auto fut = done.get_future();
  job.key = key;
  if (!enqueue(&job)) return store_unavailable();
  fut.wait();
  return std::move(*out);
}

template <class T>
// `purchase` is moved from when T is PurchaseRecord, unused otherwise.
void WriteEngine::write_async(
    std::function<Result<T>(SqlConnection&)> body, std::function<void(Result<T>)> done, const std::string& key,
    std::shared_ptr<const PurchaseCommand> purchase,  // NOLINT(performance-unnecessary-value-param)
    Job::Run run, bool probe) {
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
      job->purchase = std::move(purchase);
      job->take = [job](Result<PurchaseRecord> r) { job->out.emplace(std::move(r)); };
    }
  }
  job->run = run;
  job->fail = [job](Error why) { job->out.emplace(std::move(why)); };
  job->finish = [job, done = std::move(done)]() mutable -> std::function<void()> {
    auto answer = [done = std::move(done), result = std::move(*job->out)]() mutable { done(std::move(result)); };
    delete job;
    return answer;
  };
  job->key = key;
  job->probe = probe;
  if (enqueue(job)) return;
  job->fail(store_unavailable());
  Answers answers;
  complete(job, answers);
  deliver(answers);
}

template <class T>
Result<T> WriteEngine::read(const std::function<Result<T>(SqlConnection&)>& body) {
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
      return failed("read", e);
    }
  }
}

}  // namespace p720::store
