// Store over any SqlConnection (SQLite or MariaDB): the store's operations, as SQL. Every write
// runs as a job of the group-commit engine (write_engine.h: batches, savepoints, retries,
// answering; reads on its reader pool); what differs between the databases is in dialect.h and
// the SQL texts are named in queries.h.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "store/dialect.h"
#include "store/sql.h"
#include "store/store.h"
#include "store/write_engine.h"

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
  SqlStore(const SqlStore&) = delete;
  SqlStore& operator=(const SqlStore&) = delete;

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
  void set_answer_executor(const Executor& executor) override;
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
  // The engine's job (write_engine.h). Kept under this name for purchase_together.
  using Job = WriteEngine::Job;
  // Runs `body` in a writer's next batch and waits for the commit. `key` (a user id) picks the
  // writer, so one user's writes are serialised; "" = any.
  template <class T>
  Result<T> write(const std::function<Result<T>(SqlConnection&)>& body, const std::string& key = "") {
    return engine_->write<T>(body, key);
  }
  template <class T>
  Result<T> read(const std::function<Result<T>(SqlConnection&)>& body) {
    return engine_->read<T>(body);
  }
  // write() and read() for the other source files of SqlStore: `body` fills its own results.
  Status write_job(const std::function<Status(SqlConnection&)>& body, const std::string& key = "");
  Status read_job(const std::function<Status(SqlConnection&)>& body);
  // Lock-then-change on a row a user owns (an order, a withdrawal): `owner` reads, unlocked, who
  // owns it ("" = no such row: `missing`); `change` then runs on that owner's writer, so it queues
  // behind the owner's other writes, and re-reads the row locked (for_update: orders it against
  // other instances; it may have gone meanwhile).
  Status change_owned(const std::function<std::string(SqlConnection&)>& owner, const Error& missing,
                      const std::function<Status(SqlConnection&)>& change);
  // How the engine runs a purchase: one under an Idempotency-Key always on its own, under a
  // savepoint (it claims its key first and may have to replay); the others set-based with the
  // batch (purchase_together), or decided before they are written (single writer: purchase_tx).
  Job::Run run_of(const PurchaseCommand& cmd) const;
  Result<PurchaseRecord> purchase_tx(SqlConnection& c, const PurchaseCommand& cmd);
  // After a lock-wait timeout (purchase_together): see WriteEngine::stop_waiting.
  void stop_waiting(SqlConnection& conn, const SqlError& e) { engine_->stop_waiting(conn, e); }
  // MariaDB: writes the purchases of `jobs` together — locks and reads the buyers' wallets and
  // limits once, decides each purchase in order as purchase_tx would, then writes every row of
  // the accepted ones in one multi-row statement per table (one round trip for all). A job's
  // result goes to its `take`. False when a ticket was sold concurrently: then nothing was
  // written and no job was answered. `whole`: the batch has no other jobs, so this also opens
  // the transaction in its first round trip. The caller commits. (WriteEngine::SetWriter.)
  bool purchase_together(SqlConnection& conn, const std::vector<Job*>& jobs, bool whole);

  bool outbox_;
  Dialect dialect_;        // which database (purchase_tx); what differs is in sql_
  const SqlDialect* sql_;  // the dialect's SQL and transactions (dialect.h)
  // purchase_together is used (MariaDB, whose auto-increment hands out consecutive ids to a
  // multi-row insert: innodb_autoinc_lock_mode 0 or 1).
  bool batch_purchases_ = false;

  // Purchases decided by purchase_together, and its fall-backs to one by one.
  std::atomic<long long> together_{0}, together_fallbacks_{0};

  std::mutex tax_mu_;
  TaxRules tax_;  // guarded by tax_mu_

  // Last: destroyed first, so no writer runs a job once the members above are gone.
  std::unique_ptr<WriteEngine> engine_;
};

}  // namespace p720::store
