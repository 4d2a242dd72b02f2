// Store over any SqlConnection (SQLite or MariaDB). All writes go through one writer thread that
// groups concurrent requests into a single transaction (group commit): each request runs inside
// its own SAVEPOINT, so one request's failure rolls back only its own changes, and every caller is
// answered only after the whole batch has committed durably. Reads use a pool of connections.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "store/sql.h"
#include "store/store.h"

namespace p720::store {

class SqlStore final : public Store {
 public:
  using ConnectionFactory = std::function<std::unique_ptr<SqlConnection>()>;

  // Opens the writer connection and applies migrations; throws SqlError when that fails.
  // `outbox`: also write purchase and prize events to the outbox table (see Store).
  // `writers` group-commit threads, each with its own connection, take batches from one queue:
  // MariaDB runs their transactions in parallel (row locks; deadlocks are retried). Always 1 on
  // SQLite, which has a single writer anyway.
  // `linger`: how long a writer may wait for more jobs before it starts a batch, once its previous
  // batch held more than one (buyers are concurrent); 0 starts at once (see writer_loop).
  explicit SqlStore(ConnectionFactory factory, size_t max_batch = 256, bool outbox = false, int writers = 1,
                    std::chrono::microseconds linger = {});
  ~SqlStore() override;

  Result<long long> balance(const std::string& user) override;
  Result<long long> deposit(const std::string& user, long long amount, const std::string& ref,
                            const std::string& now) override;
  Result<std::vector<LedgerEntry>> ledger(const std::string& user, int limit, long long before = 0) override;
  Result<std::vector<CartItem>> cart(const std::string& user) override;
  Result<std::vector<CartItem>> add_to_cart(const std::string& user, int round, const std::vector<int>& tickets,
                                            int max_items, const std::string& now) override;
  Result<CartItem> remove_cart_item(const std::string& user, long long id) override;
  Result<std::vector<CartItem>> clear_cart(const std::string& user, std::optional<int> keep_round) override;
  Result<PurchaseRecord> purchase(const PurchaseCommand& cmd) override;
  void purchase_async(PurchaseCommand cmd, std::function<void(Result<PurchaseRecord>)> done) override;
  void set_purchase_screen(PurchaseScreen screen) override;
  void set_answer_executor(Executor executor) override;
  Result<std::optional<PurchaseRecord>> replay(const std::string& user, const std::string& key,
                                               const std::string& hash) override;
  Result<std::vector<TicketRow>> tickets(const TicketQuery& query) override;
  Result<std::vector<int>> sold_tickets(int round) override;
  Result<DrawRecord> record_draw(const DrawRecord& draw) override;
  Result<std::optional<DrawRecord>> find_draw(int round) override;
  Result<std::vector<DrawRecord>> draws() override;
  Status settle_draw(int round, const std::string& now) override;
  Result<std::vector<WinnerCount>> winners(int round) override;
  Result<std::vector<Winning>> winnings_of(const std::string& user) override;
  Result<Totals> totals() override;
  Status ping() override;
  void probe_async(std::function<void(Status)> done) override;
  std::string metrics_text() const override;
  Result<std::vector<OutboxEvent>> pending_events(int limit) override;
  Status ack_events(const std::vector<long long>& ids) override;
  void set_tax_rules(const TaxRules& rules) override;

  // Annuity installments, tax and leases: sql_store_annuities.cc.
  Result<std::vector<AnnuityRow>> annuities(const AnnuityQuery& q) override;
  Result<bool> pay_installment(const InstallmentPayment& p) override;
  Result<std::vector<InstallmentPayment>> installments_of(long long ticket_id) override;
  Result<TaxReport> tax_report(const std::string& month) override;
  Result<bool> take_lease(const std::string& name, const std::string& holder, long long now, long long ttl) override;
  Status release_lease(const std::string& name, const std::string& holder) override;

  // Accounts and sign-in: sql_store_accounts.cc.
  Result<Account> create_account(const Account& a, long long now, const std::string& created_at) override;
  Result<std::optional<Account>> account_by_email(const std::string& email) override;
  Result<std::optional<Account>> account_by_id(long long id) override;
  Status put_email_code(const std::string& email, const std::string& code_hash, long long expires_at) override;
  Result<CodeResult> check_email_code(const std::string& email, const std::string& code_hash, long long now,
                                      int max_tries, long long confirmed_until) override;
  Result<long long> open_session(long long account_id, const std::string& refresh_hash, long long expires_at,
                                 const std::string& created_at) override;
  Result<RefreshResult> rotate_refresh(const std::string& old_hash, const std::string& new_hash, long long now,
                                       long long new_expires_at) override;
  Status revoke_session(long long session_id) override;
  Result<std::optional<long long>> session_of_refresh(const std::string& refresh_hash) override;
  Result<bool> session_active(long long session_id) override;

  // Money in and out: sql_store_payments.cc.
  Result<PaymentOrder> create_order(const PaymentOrder& o) override;
  Result<std::optional<PaymentOrder>> find_order(const std::string& order_id) override;
  Result<OrderSettlement> settle_order(const std::string& order_id, bool done, const std::string& payment_key,
                                       const std::string& message, const std::string& now) override;
  Result<std::vector<PaymentOrder>> pending_orders(const std::string& created_before, int limit) override;
  Result<Withdrawal> request_withdrawal(const WithdrawalCommand& cmd) override;
  Result<std::vector<Withdrawal>> withdrawals(const std::optional<std::string>& user,
                                              const std::optional<std::string>& status, Page page) override;
  Result<Withdrawal> finish_withdrawal(long long id, bool paid, const std::string& reason,
                                       const std::string& now) override;

 private:
  struct Job;
  struct Lane;
  // Runs `body` in a writer's next batch and waits for the commit. `key` (a user id) picks the
  // writer, so one user's writes are serialised; "" = any.
  template <class T>
  Result<T> write(const std::function<Result<T>(SqlConnection&)>& body, const std::string& key = "");
  bool enqueue(Job* job);  // false when stopping
  // The same without waiting: `done` runs on the writer thread after the commit. `purchase`:
  // the job is that purchase (screened first), and how the batch runs it follows from it and the
  // dialect (Job::together, Job::decides_first).
  template <class T>
  void write_async(std::function<Result<T>(SqlConnection&)> body, std::function<void(Result<T>)> done,
                   const std::string& key = "", std::shared_ptr<const PurchaseCommand> purchase = nullptr,
                   bool probe = false);
  // Answers and takes out of `batch` the purchases the screen refuses.
  void screen(std::vector<Job*>& batch);
  static void complete(Job* job);
  Result<PurchaseRecord> purchase_tx(SqlConnection& c, const PurchaseCommand& cmd);
  template <class T>
  Result<T> read(const std::function<Result<T>(SqlConnection&)>& body);
  // A writer's row in commit_marks and the seq its latest transaction carries.
  struct Mark {
    long long writer = 0;
    long long seq = 0;
  };
  // write() and read() for the other source files of SqlStore: `body` fills its own results.
  Status write_job(const std::function<Status(SqlConnection&)>& body, const std::string& key = "");
  Status read_job(const std::function<Status(SqlConnection&)>& body);
  void writer_loop(std::unique_ptr<SqlConnection> conn, Lane& lane);
  void run_batch(std::unique_ptr<SqlConnection>& conn, Mark& mark, std::vector<Job*>& batch);
  // Commits the open transaction, writing the mark's seq (the transaction's own, advanced when it
  // began) to the writer's row in it: one round trip on MariaDB.
  void commit(SqlConnection& conn, const Mark& mark);
  // Drops a broken connection and opens another; `conn` is null when that fails too.
  void reconnect(std::unique_ptr<SqlConnection>& conn);
  // After a connection was lost in a transaction: whether that transaction committed, read from
  // its mark on a new connection (`conn` is replaced). MariaDB's locking read waits until the lost
  // session's lock on the mark is gone, so the answer is final. Keeps trying while the database
  // cannot be reached, for up to kOutcomeWait; nullopt when it still cannot tell.
  std::optional<bool> committed(std::unique_ptr<SqlConnection>& conn, const Mark& mark);
  // Runs a job's body; false (and the job failed) on an ordinary SQL error. Rethrows lost
  // connections and deadlocks, which end the whole transaction, and lock waits.
  bool run_job(SqlConnection& conn, Job* job);
  // Runs a job under a savepoint. A lock wait refuses that job alone (busy) and stops the rest
  // of the batch from waiting for locks (stop_waiting); the batch goes on.
  void run_in_savepoint(SqlConnection& conn, Job* job);
  // After a lock-wait timeout: has the connection fail at once on a held lock until the next
  // batch (run_batch turns waiting back on), so a batch waits at most once.
  void stop_waiting(SqlConnection& conn, const SqlError& e);
  // Runs a job that decides before it writes (Job::decides_first) without a savepoint; throws
  // kRetry (the batch then runs job by job) if it failed after writing all the same.
  void run_unguarded(SqlConnection& conn, Job* job);
  // MariaDB: writes the purchases of `jobs` together — locks and reads the buyers' wallets and
  // limits once, decides each purchase in order as purchase_tx would, then writes every row of
  // the accepted ones in one multi-row statement per table (one round trip for all). A job's
  // result goes to its `take`. False when a ticket was sold concurrently: then nothing was
  // written and no job was answered. `whole`: the batch has no other jobs, so this also opens
  // the transaction in its first round trip. The caller commits.
  bool purchase_together(SqlConnection& conn, const std::vector<Job*>& jobs, bool whole);
  // Runs one job in its own transaction, retrying deadlocks (not lock waits: busy at once); used
  // after a batch was rolled back.
  void run_alone(std::unique_ptr<SqlConnection>& conn, Mark& mark, Job* job);
  std::unique_ptr<SqlConnection> acquire_reader();
  void release_reader(std::unique_ptr<SqlConnection> c);

  ConnectionFactory factory_;
  size_t max_batch_;
  std::chrono::microseconds linger_;
  bool outbox_;
  Dialect dialect_;
  // purchase_together is used (MariaDB, whose auto-increment hands out consecutive ids to a
  // multi-row insert: innodb_autoinc_lock_mode 0 or 1).
  bool batch_purchases_ = false;

  std::mutex mu_;
  struct Lane {
    std::deque<Job*> queue;
    std::condition_variable cv;
    size_t wake_at = 1;      // enqueue wakes the writer when the queue is this long
    size_t last_batch = 0;   // jobs the writer took last time
  };
  std::vector<std::unique_ptr<Lane>> lanes_;  // one per writer thread, guarded by mu_
  size_t next_lane_ = 0;
  bool stop_ = false;
  std::vector<std::thread> writer_threads_;
  std::thread checkpoint_thread_;  // SQLite only: background WAL checkpoints
  std::condition_variable stop_cv_;  // wakes checkpoint_thread_ at stop
  void checkpoint_loop();

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
  // Purchases decided by purchase_together, and its fall-backs to one by one.
  std::atomic<long long> together_{0}, together_fallbacks_{0};
  // Writes refused after a lock wait (stop_waiting).
  std::atomic<long long> lock_waits_{0};

  std::mutex tax_mu_;
  TaxRules tax_;  // guarded by tax_mu_

  std::mutex screen_mu_;
  std::shared_ptr<const PurchaseScreen> screen_;  // guarded by screen_mu_
  std::mutex answer_mu_;  // guards answer_on_ (set and cleared by main while writers run)
  Executor answer_on_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqlConnection>> readers_;
};

}  // namespace p720::store
