// The Store is the source of truth for who owns which ticket and for money. Every write is one
// atomic transaction that is durable when the call returns successfully; a failed write changes
// nothing. Implementations are thread-safe: any number of threads may call any method.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"
#include "domain/tax.h"

namespace p720::store {

struct LedgerEntry {
  long long id = 0;
  std::string user_id;
  std::string
      kind;  // DEPOSIT, PURCHASE, PRIZE, INSTALLMENT (net), WITHDRAWAL (negative), REFUND (a failed withdrawal's)
  long long amount = 0;  // signed: credits positive, debits negative
  long long balance_after = 0;
  std::string ref;  // purchase id, round, who deposited, or annuity:<ticket>:<YYYY-MM>
  std::string created_at;
  // PRIZE and INSTALLMENT lines: the gross before withholding and the tax withheld (amount is the
  // net). `taxed` is false for the other kinds.
  bool taxed = false;
  long long gross = 0;
  long long tax = 0;
};

struct CartItem {
  long long id = 0;
  std::string user_id;
  int round = 0;
  int ticket = 0;  // ticket index
  std::string created_at;
};

struct TicketRow {
  long long id = 0;
  long long purchase_id = 0;
  std::string user_id;
  int round = 0;
  int ticket = 0;
  std::string created_at;
  int result = 0;         // 0 = not drawn yet
  std::string draw_date;  // empty until drawn
};

struct PurchaseRecord {
  long long id = 0;
  std::string user_id;
  int round = 0;
  long long amount = 0;
  long long balance_after = 0;
  std::string created_at;
  std::vector<TicketRow> tickets;
  bool replayed = false;  // true when returned for a repeated Idempotency-Key
};

struct PurchaseCommand {
  std::string user_id;
  int round = 0;
  std::vector<int> tickets;  // distinct ticket indexes
  long long price = 0;       // per ticket
  int round_limit = 0;       // max tickets this user may own in the round
  std::string created_at;
  std::string idem_key;   // empty: no idempotency
  std::string idem_hash;  // fingerprint of the request under idem_key
};

struct DrawRecord {
  int round = 0;
  int group = 0;
  int digits = 0;
  int bonus = 0;
  std::string draw_date;
  bool settled = false;
};

struct WinnerCount {
  int result = 0;
  long long count = 0;
};

struct Winning {
  int round = 0;
  long long ticket_id = 0;
  int ticket = 0;
  int result = 0;
  std::string draw_date;
  // Paid so far: a one-time prize its gross, tax withheld and net at settlement; an annuity the
  // sums over its installments paid.
  long long gross_paid = 0;
  long long tax_withheld = 0;
};

// An event waiting in the transactional outbox (kind "purchase" or "prize"; payload is JSON).
// An outbox row holds one event, or all the purchase events of a MariaDB group-commit batch
// (one row instead of one per purchase); `index` tells them apart.
struct OutboxEvent {
  long long id = 0;  // the outbox row (what ack_events deletes)
  std::string kind;
  std::string payload;
  std::string created_at;
  int index = -1;  // the event's place in its row, or -1 when the row holds only it
  // Unique per event: "<row>" for a row of one event, "<row>.<index>" for one of a batch's.
  std::string event_id() const { return std::to_string(id) + (index < 0 ? "" : "." + std::to_string(index)); }
};

// One page of a list read newest first (keyset paging, SPEC §3): rows with id < `before` (0: from
// the newest), at most `limit` of them (0: all — only for internal callers; the HTTP edge always
// pages).
struct Page {
  long long before = 0;
  int limit = 0;
};

// Which tickets a list read returns, newest first (by ticket id).
struct TicketQuery {
  std::optional<std::string> user;  // the buyer's, or every buyer's
  std::optional<int> round;         // of one round, or of all
  std::optional<int> result;        // > 0: any prize; 0: not drawn yet; -1: drawn, no prize; nullopt: all
  Page page;
};

struct Totals {  // for money conservation checks
  long long deposits = 0, balances = 0, sales = 0, prizes = 0;
  long long installments = 0;  // net credited by annuity installments
};

// --- Annuities (SPEC "Annuity installments and tax"; sql_store_annuities.cc) ----------------
// An entitlement created at settlement, with what has been paid of it.
struct AnnuityRow {
  long long ticket_id = 0;
  std::string user_id;
  int round = 0;
  int result = 0;
  long long monthly = 0;
  int months = 0;
  std::string first_payment_month;  // YYYY-MM
  int paid_months = 0;
  long long gross_paid = 0, tax_withheld = 0, net_paid = 0;
};

// One installment: the (ticket_id, for_month) pair is paid at most once.
struct InstallmentPayment {
  long long ticket_id = 0;
  std::string for_month;  // YYYY-MM the installment belongs to
  long long gross = 0, income_tax = 0, local_tax = 0;
  std::string paid_at;  // service clock, KST instant; its month is the month the tax is withheld in
  long long net() const { return gross - income_tax - local_tax; }
};

// Which annuities a read returns, in ticket id order: one user's or everyone's, optionally one
// ticket; at most `limit` (0: all) with ticket_id > `after`.
struct AnnuityQuery {
  std::optional<std::string> user;
  std::optional<long long> ticket_id;
  long long after = 0;
  int limit = 0;
};

// Tax withheld in one month (by the month of payment), per kind of payment.
struct TaxSum {
  long long count = 0, gross = 0, income = 0, local = 0;
};
struct TaxReport {
  TaxSum installments, one_time;
};

// --- Accounts and sign-in (SPEC §3 "Accounts and sign-in") ---------------------------------
// Times here are Unix seconds of the service clock. Only hashes of passwords, e-mail codes and
// refresh tokens reach these methods.
struct Account {
  long long id = 0;
  std::string email;          // normalised (lower case), unique
  std::string password_hash;  // Argon2id, libsodium's crypto_pwhash_str form
  std::string name;
  std::string birth_date;  // YYYY-MM-DD
  bool verified = false;   // the e-mail was confirmed with a code
  std::string created_at;
};

enum class CodeCheck { kConfirmed, kWrong, kExpired };  // kExpired: none, expired, or out of tries
struct CodeResult {
  CodeCheck check = CodeCheck::kExpired;
  int tries_left = 0;
};

// --- Money in and out (SPEC §3 "Money in and out"): sql_store_payments.cc ------------------
// A deposit through the payment provider. status: PENDING, then DONE (credited once, with a
// DEPOSIT ledger line whose ref is "order:<orderId>") or FAILED.
struct PaymentOrder {
  std::string order_id;
  std::string user_id;
  long long amount = 0;
  std::string status;
  std::string payment_key;  // the provider's, once it confirmed
  std::string message;      // the provider's refusal, for FAILED
  std::string created_at;
  std::string settled_at;
};

// What settle_order did: the order as it is now, the owner's balance, and whether this call
// credited it (false for every call but the one that did).
struct OrderSettlement {
  PaymentOrder order;
  long long balance = 0;
  bool credited = false;
};

// A withdrawal: REQUESTED (debited, WITHDRAWAL ledger line, ref "withdrawal:<id>"), then PAID,
// or FAILED with a REFUND line of the same ref.
struct Withdrawal {
  long long id = 0;
  std::string user_id;
  long long amount = 0;
  std::string bank_code, account_number, holder_name;
  std::string status;
  std::string reason;
  long long balance_after = 0;  // the wallet right after the debit
  std::string created_at, updated_at;
  bool replayed = false;  // returned for a repeated Idempotency-Key
};

struct WithdrawalCommand {
  std::string user_id;
  long long amount = 0;
  std::string bank_code, account_number, holder_name;
  std::string created_at;
  std::string idem_key;   // empty: no idempotency
  std::string idem_hash;  // fingerprint of the request under idem_key
};

enum class RefreshState { kRotated, kReused, kInvalid };
struct RefreshResult {
  RefreshState state = RefreshState::kInvalid;
  long long account_id = 0;
  long long session_id = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Wallet. A user never seen has balance 0.
  virtual Result<long long> balance(const std::string& user) = 0;
  // Credits `amount` (> 0) and records it in the ledger; returns the new balance.
  virtual Result<long long> deposit(const std::string& user, long long amount, const std::string& ref,
                                    const std::string& now) = 0;
  // The user's ledger lines, newest first: at most `limit`, ids below `before` (0: the newest).
  virtual Result<std::vector<LedgerEntry>> ledger(const std::string& user, int limit, long long before = 0) = 0;

  // Cart. add_to_cart is all-or-none: SELECT_DUPLICATED when any ticket is already in the user's
  // cart for that round, MAX_SELECTED when the cart would exceed `max_items`, PURCHASE_DUPLICATED
  // when any ticket is sold.
  virtual Result<std::vector<CartItem>> cart(const std::string& user) = 0;
  virtual Result<std::vector<CartItem>> add_to_cart(const std::string& user, int round, const std::vector<int>& tickets,
                                                    int max_items, const std::string& now) = 0;
  // Removes one item; NOT_FOUND when it is not the user's.
  virtual Result<CartItem> remove_cart_item(const std::string& user, long long id) = 0;
  // Removes the user's items, all of them or all but those of `keep_round`; returns them.
  virtual Result<std::vector<CartItem>> clear_cart(const std::string& user, std::optional<int> keep_round) = 0;

  // Buys cmd.tickets atomically with the debit; removes them from the buyer's cart.
  // Fails with IDEMPOTENCY_CONFLICT, PURCHASE_DUPLICATED (tickets = the sold ones),
  // NOT_ENOUGH_MONEY or LIMIT_EXCEEDED, changing nothing. A repeated (key, hash) returns the
  // original record with replayed = true.
  virtual Result<PurchaseRecord> purchase(const PurchaseCommand& cmd) = 0;
  // The same, returning at once: `done` runs once the purchase is durable or has failed — on
  // the store's writer thread, so it must be quick and must not call the store's writes.
  virtual void purchase_async(PurchaseCommand cmd, std::function<void(Result<PurchaseRecord>)> done) {
    const auto owned = std::move(cmd);
    const auto answer = std::move(done);
    answer(purchase(owned));
  }
  // A last check of purchases just before they are written, given the whole group-commit batch
  // at once (so a check against a shared service costs one round trip per batch): one entry
  // per command, an error refuses that purchase. Called from the store's writer threads, outside
  // any transaction; it must be thread-safe. The application checks holds here.
  using PurchaseScreen = std::function<std::vector<std::optional<Error>>(const std::vector<const PurchaseCommand*>&)>;
  // Installs (or, with nullptr, removes) the screen; every purchase made after this goes through it.
  virtual void set_purchase_screen(PurchaseScreen screen) = 0;
  // Where the answers of asynchronous writes (purchase_async, probe_async) run. Unset, they run on
  // the writer thread right after the commit; main hands them to the HTTP server's I/O threads, so
  // the writer only decides, writes and commits while the answers are rendered, counted and logged
  // elsewhere. Set before serving; cleared (empty) when the server has stopped.
  using Executor = std::function<void(std::function<void()>)>;
  virtual void set_answer_executor(const Executor& /*executor*/) {}
  // The purchase made earlier under (user, key): nullopt when there is none, IDEMPOTENCY_CONFLICT
  // when it was made with a different request hash.
  virtual Result<std::optional<PurchaseRecord>> replay(const std::string& user, const std::string& key,
                                                       const std::string& hash) = 0;
  // The tickets `query` names, newest first, one page of them.
  virtual Result<std::vector<TicketRow>> tickets(const TicketQuery& query) = 0;
  // Shorthands: every ticket of the user (optionally of one round), every ticket of a round.
  Result<std::vector<TicketRow>> tickets_of(const std::string& user, std::optional<int> round) {
    return tickets(TicketQuery{user, round, std::nullopt, {}});
  }
  Result<std::vector<TicketRow>> tickets_of_round(int round) {
    return tickets(TicketQuery{std::nullopt, round, std::nullopt, {}});
  }
  // Indexes of every sold ticket of the round, for rebuilding in-memory indexes.
  virtual Result<std::vector<int>> sold_tickets(int round) = 0;

  // Draws. record_draw inserts the draw once (ALREADY_DRAWN if a different one exists; the same
  // one returns the existing record). settle_draw applies results and prizes exactly once.
  virtual Result<DrawRecord> record_draw(const DrawRecord& draw) = 0;
  virtual Result<std::optional<DrawRecord>> find_draw(int round) = 0;
  virtual Result<std::vector<DrawRecord>> draws() = 0;
  virtual Status settle_draw(int round, const std::string& now) = 0;
  virtual Result<std::vector<WinnerCount>> winners(int round) = 0;
  virtual Result<std::vector<Winning>> winnings_of(const std::string& user) = 0;

  virtual Result<Totals> totals() = 0;
  virtual Status ping() = 0;

  // Tax rules settle_draw applies to one-time prizes (the domain's defaults until set). Set once
  // at start, before any settlement.
  virtual void set_tax_rules(const TaxRules& /*rules*/) {}

  // Annuities. Reads of the entitlements with their paid sums.
  virtual Result<std::vector<AnnuityRow>> annuities(const AnnuityQuery& /*q*/) { return unsupported(); }
  // Pays one installment in one transaction: the installment row (UNIQUE (ticket_id, for_month)),
  // the net credited to the annuity's owner with an INSTALLMENT ledger line (gross and tax kept
  // with it), and an `installment` outbox event. false, changing nothing, when that month of that
  // annuity was paid before (by any instance); NOT_FOUND for an unknown annuity.
  virtual Result<bool> pay_installment(const InstallmentPayment& /*p*/) { return unsupported(); }
  // The installments paid of one annuity, by month.
  virtual Result<std::vector<InstallmentPayment>> installments_of(long long /*ticket_id*/) { return unsupported(); }
  // What was withheld in the KST month "YYYY-MM".
  virtual Result<TaxReport> tax_report(const std::string& /*month*/) { return unsupported(); }
  // A lease in the database, so one instance at a time does a job: true when `holder` has it
  // now until `now` + `ttl` seconds (taken, renewed, or taken over after expiry). Times in Unix
  // seconds of the real clock. release_lease gives it up (only if `holder` has it).
  virtual Result<bool> take_lease(const std::string& /*name*/, const std::string& /*holder*/, long long /*now*/,
                                  long long /*ttl*/) {
    return unsupported();
  }
  virtual Status release_lease(const std::string& /*name*/, const std::string& /*holder*/) { return unsupported(); }
  // A write that commits nothing but the writer's own mark, through the same queue, batch and
  // commit as every write: `done` (on the writer thread, quick) gets whether writes can commit
  // (STORAGE_FULL, UNAVAILABLE): an error when the probe fails, or when the last batch of real
  // writes failed (a full disk may still take the probe's one page) until a batch succeeds again.
  // For health checks, which wait for it with a deadline.
  virtual void probe_async(std::function<void(Status)> done) = 0;
  // Prometheus lines about the store (batches, errors); empty by default.
  virtual std::string metrics_text() const { return {}; }

  // Event outbox, filled only when the store was opened with the outbox on: purchases and prize
  // settlements write their events in the same transaction. pending_events returns the oldest
  // unpublished events in order, whole outbox rows (at least one) until there are `limit`;
  // ack_events deletes published rows (unknown ids are ignored, so several relays may ack the
  // same row).
  virtual Result<std::vector<OutboxEvent>> pending_events(int /*limit*/) { return std::vector<OutboxEvent>{}; }
  virtual Status ack_events(const std::vector<long long>& /*ids*/) { return Status::Ok(); }

  // Accounts (SPEC §3 "Accounts and sign-in"). Each write is one transaction, so what is
  // decided here holds across every instance on the same database. The defaults refuse (a store
  // without accounts).
  //
  // Inserts the account (id, verified and created_at of `a` are ignored): EMAIL_TAKEN when the
  // e-mail has one. It is created verified when the e-mail was confirmed with a code before
  // (confirmed until `now` or later).
  virtual Result<Account> create_account(const Account& /*a*/, long long /*now*/, const std::string& /*created_at*/) {
    return unsupported();
  }
  virtual Result<std::optional<Account>> account_by_email(const std::string& /*email*/) { return unsupported(); }
  virtual Result<std::optional<Account>> account_by_id(long long /*id*/) { return unsupported(); }
  // Replaces the e-mail's code (its tries start again at 0); a confirmation it had stays.
  virtual Status put_email_code(const std::string& /*email*/, const std::string& /*code_hash*/,
                                long long /*expires_at*/) {
    return unsupported();
  }
  // Checks a code. A wrong one uses up a try (committed, although the answer is a refusal); the
  // right one, before `now` reaches its expiry and with tries left, is spent, marks the e-mail
  // confirmed until `confirmed_until` and its account (if any) verified.
  virtual Result<CodeResult> check_email_code(const std::string& /*email*/, const std::string& /*code_hash*/,
                                              long long /*now*/, int /*max_tries*/, long long /*confirmed_until*/) {
    return unsupported();
  }
  // A new sign-in with its first refresh token; returns the session id.
  virtual Result<long long> open_session(long long /*account_id*/, const std::string& /*refresh_hash*/,
                                         long long /*expires_at*/, const std::string& /*created_at*/) {
    return unsupported();
  }
  // Spends a refresh token and stores its successor in one transaction: kRotated; kReused when it
  // was spent already (the whole session is then revoked, and that is committed); kInvalid when
  // unknown, expired or of a revoked session.
  virtual Result<RefreshResult> rotate_refresh(const std::string& /*old_hash*/, const std::string& /*new_hash*/,
                                               long long /*now*/, long long /*new_expires_at*/) {
    return unsupported();
  }
  // Money in and out (sql_store_payments.cc). The defaults refuse.
  //
  // Inserts a PENDING order (INVALID_REQUEST when the wallet could not take it: kMaxBalance).
  virtual Result<PaymentOrder> create_order(const PaymentOrder& /*o*/) { return unsupported(); }
  virtual Result<std::optional<PaymentOrder>> find_order(const std::string& /*order_id*/) { return unsupported(); }
  // Settles the order in one transaction with its credit. `done`: the provider took the money —
  // the order becomes DONE and the wallet is credited, unless it was DONE already (any earlier
  // state, FAILED too, gives way: the money was taken). Not `done`: a PENDING order becomes FAILED
  // with `message`; a settled one stays as it is. NOT_FOUND for an unknown order.
  virtual Result<OrderSettlement> settle_order(const std::string& /*order_id*/, bool /*done*/,
                                               const std::string& /*payment_key*/, const std::string& /*message*/,
                                               const std::string& /*now*/) {
    return unsupported();
  }
  // PENDING orders created at or before `created_before` (an instant as stored), oldest first.
  virtual Result<std::vector<PaymentOrder>> pending_orders(const std::string& /*created_before*/, int /*limit*/) {
    return unsupported();
  }
  // Debits the amount and records the withdrawal: NOT_ENOUGH_MONEY when the wallet holds less,
  // IDEMPOTENCY_CONFLICT for a key reused with another request; a repeated (key, hash) returns
  // the original with replayed = true and debits nothing.
  virtual Result<Withdrawal> request_withdrawal(const WithdrawalCommand& /*cmd*/) { return unsupported(); }
  // Withdrawals newest first, of one user or all, of one status or any.
  virtual Result<std::vector<Withdrawal>> withdrawals(const std::optional<std::string>& /*user*/,
                                                      const std::optional<std::string>& /*status*/, Page /*page*/) {
    return unsupported();
  }
  // REQUESTED → PAID, or → FAILED with the refund, once: NOT_FOUND for an unknown id,
  // ALREADY_PROCESSED (409) when it is not REQUESTED any more.
  virtual Result<Withdrawal> finish_withdrawal(long long /*id*/, bool /*paid*/, const std::string& /*reason*/,
                                               const std::string& /*now*/) {
    return unsupported();
  }

  // Revokes a session (idempotent). The session of a refresh token: session_of_refresh.
  virtual Status revoke_session(long long /*session_id*/) { return unsupported(); }
  virtual Result<std::optional<long long>> session_of_refresh(const std::string& /*refresh_hash*/) {
    return unsupported();
  }
  // True when the session exists and is not revoked.
  virtual Result<bool> session_active(long long /*session_id*/) { return unsupported(); }

 protected:
  static Error unsupported() { return make_error(ErrorCode::kInternal, Subject::kAccount); }
};

}  // namespace p720::store
