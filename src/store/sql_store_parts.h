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

// SqlStore::Job is WriteEngine::Job (write_engine.h).

namespace p720::store::parts {

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
    case PurchaseRefusal::kNoTickets: return make_error(ErrorCode::kInvalidRequest, Subject::kTickets);
    case PurchaseRefusal::kBadPrice: return make_error(ErrorCode::kInternal, Subject::kAmount);
    case PurchaseRefusal::kNotEnoughMoney: return not_enough_money();
    case PurchaseRefusal::kLimitExceeded: return make_error(ErrorCode::kLimitExceeded, Subject::kNone);
    case PurchaseRefusal::kSold: return already_sold(r.sold);
  }
  return make_error(ErrorCode::kInternal, Subject::kNone);
}

// The wallet's balance (0 for a user never seen).
long long balance_of(SqlConnection& c, const std::string& user);
// Whether the wallet can take `amount` more without passing kMaxBalance (domain/rules.h).
bool fits_wallet(SqlConnection& c, const std::string& user, long long amount);
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

}  // namespace p720::store::parts
