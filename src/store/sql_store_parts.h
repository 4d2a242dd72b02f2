// Pieces of SqlStore shared by its two source files: sql_store.cc (the writer, transactions and
// reads) and sql_store_batch.cc (MariaDB's set-based purchases). Not part of any interface.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "domain/prize.h"
#include "domain/purchase.h"
#include "store/sql_store.h"

namespace p720::store {

// A queued write: what the writer runs, and how it answers.
struct SqlStore::Job {
  // Runs inside the batch transaction; returns false when its changes must be rolled back.
  std::function<bool(SqlConnection&)> body;
  // Called when the job could not be done (its batch could not commit, or its SQL failed): the
  // job's result becomes that error, which a client sees (never SQL: see unavailable()).
  std::function<void(Error)> fail;
  // Runs after the batch committed (or failed), on the writer thread. May delete the job, so it
  // is moved out before it is called.
  std::function<void()> finish;
  std::string key;  // the user whose rows it writes ("" = any writer)
  // A purchase: its command, screened before the batch runs (`take` receives a refusal).
  // `together` (MariaDB, no Idempotency-Key): written with the batch's other such purchases in
  // a few set-based statements (purchase_together), `take` receiving the result; `body` still
  // runs it on its own when the batch must fall back or be re-run.
  std::shared_ptr<const PurchaseCommand> purchase;
  bool together = false;
  // The body decides before it writes, so when it fails it has written nothing: it needs no
  // savepoint of its own (SQLite purchases without an Idempotency-Key; see purchase_tx). SQLite
  // only: run_unguarded's guard against a failure midway needs total_changes().
  bool decides_first = false;
  std::function<void(Result<PurchaseRecord>)> take;
  bool probe = false;  // a health probe (probe_async): its batch's outcome says nothing of real writes
};

namespace parts {

using Params = std::vector<SqlValue>;

inline SqlValue v(long long x) { return SqlValue{x}; }
inline SqlValue v(const std::string& s) { return SqlValue{s}; }

// "?, ?, ?" for an IN list of n values.
inline std::string placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
  return s;
}

// A purchase as the domain decides it (domain/purchase.h), and the Error of a refusal.
inline PurchaseRequest purchase_request(const PurchaseCommand& cmd) {
  return PurchaseRequest{cmd.round, cmd.tickets, cmd.price, cmd.round_limit};
}
inline Error not_enough_money() { return make_error(ErrorCode::kNotEnoughMoney, Subject::kNone); }
inline Error already_sold(std::vector<int> tickets) {
  return make_error(ErrorCode::kPurchaseDuplicated, Subject::kNone, {}, std::move(tickets));
}
inline Error refused(const PurchaseRefused& r) {
  switch (r.reason) {
    case PurchaseRefusal::kNoTickets:
      return make_error(ErrorCode::kInvalidRequest, Subject::kTickets);
    case PurchaseRefusal::kBadPrice:
      return make_error(ErrorCode::kInternal, Subject::kAmount);
    case PurchaseRefusal::kNotEnoughMoney:
      return not_enough_money();
    case PurchaseRefusal::kLimitExceeded:
      return make_error(ErrorCode::kLimitExceeded, Subject::kNone);
    case PurchaseRefusal::kSold:
      return already_sold(r.sold);
  }
  return make_error(ErrorCode::kInternal, Subject::kNone);
}

// The wallet's balance (0 for a user never seen).
long long balance_of(SqlConnection& c, const std::string& user);
// Adds `delta` (may be negative) to the wallet and writes the ledger line; returns the balance.
// The ledger line's id is then c.last_insert_id().
long long credit(SqlConnection& c, const std::string& user, long long delta, const std::string& kind,
                 const std::string& ref, const std::string& now);
// Writes an event to the outbox, in the caller's transaction.
void add_event(SqlConnection& c, const std::string& kind, const std::string& payload, const std::string& now);
// MariaDB reads a row it will change with a lock, so a concurrent transaction of another
// instance waits and then sees the change; SQLite's one writer needs nothing.
inline const char* for_update(const SqlConnection& c) { return c.dialect() == Dialect::kMysql ? " FOR UPDATE" : ""; }
// The SQL condition on `ticket` that every possible winner under `rules` meets (the OR of
// domain winning_filter(rules)), its values appended to `p`: the settlement's prefilter.
std::string winning_condition(const std::vector<ResultRule>& rules, Params& p);
// Keeps a PRIZE or INSTALLMENT ledger line's gross and tax (the line's amount is the net).
void add_ledger_tax(SqlConnection& c, long long ledger_id, long long gross, long long income, long long local);

// The outbox payload of a purchase (JSON, camelCase as in the API).
std::string purchase_event(const PurchaseRecord& rec);
// The same without its ids (purchaseId, and each ticket's ticketId).
nlohmann::json purchase_event_body(const std::string& user, int round, long long amount, long long balance,
                                   const std::string& created_at, const std::vector<int>& tickets);
// The kind of an outbox row holding a batch's purchase events (purchase_together):
// {"purchaseId": first id, "ticketId": first ticket id, "events": [each purchase_event_body, in
// id order]} — ids are consecutive within a batch.
inline constexpr const char* kBatchEventsKind = "purchases";
// Appends the events of such a row, each exactly as purchase_event() writes it.
void expand_batch_events(long long row, const std::string& payload, std::vector<OutboxEvent>& out);

}  // namespace parts
}  // namespace p720::store
