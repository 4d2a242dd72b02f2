// MariaDB's set-based purchases: a group-commit batch's purchases decided and written together in
// two round trips (SqlStore::purchase_together; see docs/DESIGN.md, "Group commit").
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "store/sql_store.h"
#include "store/sql_store_parts.h"

namespace p720::store {
using namespace parts;

bool SqlStore::purchase_together(SqlConnection& c, const std::vector<Job*>& jobs, bool whole) {
  // 1. Lock the buyers' wallets (in key order: every instance locks them in the same order), then
  //    read their round counts and which of the tickets are sold. The wallet lock serialises a
  //    buyer's purchases across instances, as purchase_tx's locking read does.
  std::set<std::string> users;
  std::set<int> rounds, tickets;
  for (const Job* j : jobs) {
    users.insert(j->purchase->user_id);
    rounds.insert(j->purchase->round);
    tickets.insert(j->purchase->tickets.begin(), j->purchase->tickets.end());
  }
  Params by_user, by_user_round, by_round_ticket;
  for (const auto& u : users) by_user.push_back(v(u));
  by_user_round = by_user;
  for (int r : rounds) by_user_round.push_back(v(r)), by_round_ticket.push_back(v(r));
  for (int t : tickets) by_round_ticket.push_back(v(t));
  std::vector<SqlStatement> reads;
  if (whole) reads.push_back({"START TRANSACTION", {}});
  reads.push_back({"SAVEPOINT together", {}});
  // FORCE INDEX: on a small table the optimizer prefers a full scan, and a scan FOR UPDATE waits
  // for every row another batch holds, which serialised all instances' batches.
  reads.push_back({"SELECT user_id, balance FROM wallets FORCE INDEX (PRIMARY) WHERE user_id IN (" +
                       placeholders(users.size()) + ") ORDER BY user_id FOR UPDATE",
                   by_user});
  reads.push_back({"SELECT user_id, round, tickets FROM user_rounds FORCE INDEX (PRIMARY) WHERE user_id IN (" +
                       placeholders(users.size()) + ") AND round IN (" + placeholders(rounds.size()) + ") FOR UPDATE",
                   by_user_round});
  reads.push_back({"SELECT round, ticket FROM tickets WHERE round IN (" + placeholders(rounds.size()) +
                       ") AND ticket IN (" + placeholders(tickets.size()) + ")",
                   by_round_ticket});
  std::vector<std::vector<SqlRow>> found;
  try {
    found = c.query_multi(reads);
  } catch (const SqlError& e) {
    if (e.kind != SqlError::Kind::kLockWait) throw;
    // A buyer's wallet is held by another transaction: go one by one, without waiting again.
    stop_waiting(c, e);
    c.exec("ROLLBACK TO SAVEPOINT together");
    ++together_fallbacks_;
    return false;
  }
  if (found.size() != 3) throw SqlError(SqlError::Kind::kOther, "purchase batch: unexpected read results");
  // 2. Decide each purchase in order against the running state (domain PurchaseRun): as purchase_tx
  //    would one by one, each seeing the earlier ones' debits, round counts and sold tickets.
  PurchaseRun run;
  for (const auto& r : found[0]) run.set_balance(r.s(0), r.i(1));
  for (const auto& r : found[1]) run.set_owned(r.s(0), static_cast<int>(r.i(1)), r.i(2));
  for (const auto& r : found[2]) run.set_sold(static_cast<int>(r.i(0)), static_cast<int>(r.i(1)));

  together_ += static_cast<long long>(jobs.size());
  struct Accepted {
    const Job* job;
    long long amount, balance_after;
  };
  std::vector<Accepted> accepted;
  std::vector<std::optional<Result<PurchaseRecord>>> answers(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    const PurchaseCommand& cmd = *jobs[i]->purchase;
    const auto decision = run.decide(cmd.user_id, purchase_request(cmd));
    if (const auto* no = std::get_if<PurchaseRefused>(&decision)) {
      answers[i] = refused(*no);
      continue;
    }
    const auto& ok = std::get<PurchaseAccepted>(decision);
    accepted.push_back({jobs[i], ok.amount, ok.balance_after});
  }
  const auto& debits = run.debits();
  const auto& added = run.added();

  // 3. Write the accepted purchases, one multi-row statement per table. A multi-row insert gets
  //    consecutive ids (checked at start), so purchase k is @p + k and its tickets @t + m.
  long long first_purchase = 0, first_ticket = 0;
  if (!accepted.empty()) {
    std::vector<SqlStatement> writes(9);
    auto& [wallets_sql, wallets_p] = writes[0];
    wallets_sql = "INSERT INTO wallets (user_id, balance) VALUES ";
    for (const auto& [user, amount] : debits) {
      wallets_sql += wallets_p.empty() ? "(?, ?)" : ", (?, ?)";
      wallets_p.insert(wallets_p.end(), {v(user), v(-amount)});
    }
    wallets_sql += " ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)";
    auto& [rounds_sql, rounds_p] = writes[1];
    rounds_sql = "INSERT INTO user_rounds (user_id, round, tickets) VALUES ";
    for (const auto& [key, n] : added) {
      rounds_sql += rounds_p.empty() ? "(?, ?, ?)" : ", (?, ?, ?)";
      rounds_p.insert(rounds_p.end(), {v(key.first), v(key.second), v(n)});
    }
    rounds_sql += " ON DUPLICATE KEY UPDATE tickets = tickets + VALUES(tickets)";
    auto& [purchases_sql, purchases_p] = writes[2];
    purchases_sql = "INSERT INTO purchases (user_id, round, amount, balance_after, created_at) VALUES ";
    writes[3].sql = "SET @p720_p = LAST_INSERT_ID()";
    auto& [tickets_sql, tickets_p] = writes[4];
    tickets_sql = "INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at) VALUES ";
    writes[5].sql = "SET @p720_t = LAST_INSERT_ID()";
    auto& [ledger_sql, ledger_p] = writes[6];
    ledger_sql = "INSERT INTO ledger (user_id, kind, amount, balance_after, ref, created_at) VALUES ";
    auto& [cart_sql, cart_p] = writes[7];
    cart_sql = "DELETE FROM cart_items WHERE ";
    // One outbox row for the whole batch (expand_batch_events): its events without their ids,
    // which follow from the batch's first purchase and ticket ids.
    auto& [outbox_sql, outbox_p] = writes[8];
    outbox_sql = std::string("INSERT INTO outbox (kind, payload, created_at) VALUES ('") + kBatchEventsKind +
                 "', CONCAT('{\"purchaseId\":', @p720_p, ',\"ticketId\":', @p720_t, ',\"events\":', ?, '}'), ?)";
    nlohmann::json events = nlohmann::json::array();
    size_t m = 0;  // tickets so far
    for (size_t k = 0; k < accepted.size(); ++k) {
      const PurchaseCommand& cmd = *accepted[k].job->purchase;
      const std::string sep = k ? ", " : "";
      const std::string pid = "@p720_p + " + std::to_string(k);
      purchases_sql += sep + "(?, ?, ?, ?, ?)";
      purchases_p.insert(purchases_p.end(), {v(cmd.user_id), v(cmd.round), v(accepted[k].amount),
                                             v(accepted[k].balance_after), v(cmd.created_at)});
      ledger_sql += sep;
      ledger_sql += "(?, 'PURCHASE', ?, ?, CONCAT('purchase:', " + pid + "), ?)";
      ledger_p.insert(ledger_p.end(),
                      {v(cmd.user_id), v(-accepted[k].amount), v(accepted[k].balance_after), v(cmd.created_at)});
      cart_sql += std::string(k ? " OR " : "") + "(user_id = ? AND round = ? AND ticket IN (" +
                  placeholders(cmd.tickets.size()) + "))";
      cart_p.insert(cart_p.end(), {v(cmd.user_id), v(cmd.round)});
      if (outbox_)
        events.push_back(purchase_event_body(cmd.user_id, cmd.round, accepted[k].amount, accepted[k].balance_after,
                                             cmd.created_at, cmd.tickets));
      for (size_t i = 0; i < cmd.tickets.size(); ++i, ++m) {
        const int t = cmd.tickets[i];
        tickets_sql += std::string(m ? ", " : "") + "(" + pid + ", ?, ?, ?, ?)";
        tickets_p.insert(tickets_p.end(), {v(cmd.user_id), v(cmd.round), v(t), v(cmd.created_at)});
        cart_p.push_back(v(t));
      }
    }
    if (outbox_) {
      outbox_p.push_back(v(events.dump()));
      outbox_p.push_back(v(accepted.front().job->purchase->created_at));
    } else {
      writes.pop_back();
    }
    writes.push_back({"SELECT @p720_p, @p720_t", {}});
    std::vector<std::vector<SqlRow>> ids;
    try {
      ids = c.query_multi(writes);
    } catch (const SqlError& e) {
      if (e.kind != SqlError::Kind::kUnique && e.kind != SqlError::Kind::kLockWait) throw;
      // Sold by a transaction that committed after our read, or held by one still open (a dead
      // instance's, say): undo and let the caller go one by one — the purchase whose ticket is
      // held then fails at once (stop_waiting), and the others of the batch are written.
      if (e.kind == SqlError::Kind::kLockWait) stop_waiting(c, e);
      c.exec("ROLLBACK TO SAVEPOINT together");
      ++together_fallbacks_;
      return false;
    }
    if (ids.size() != 1 || ids[0].size() != 1) throw SqlError(SqlError::Kind::kOther, "purchase batch: no ids");
    first_purchase = ids[0][0].i(0);
    first_ticket = ids[0][0].i(1);
  }

  // 4. Answer every job.
  size_t k = 0, m = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (answers[i]) {
      jobs[i]->take(std::move(*answers[i]));
      continue;
    }
    const PurchaseCommand& cmd = *jobs[i]->purchase;
    PurchaseRecord rec{first_purchase + static_cast<long long>(k),
                       cmd.user_id,
                       cmd.round,
                       accepted[k].amount,
                       accepted[k].balance_after,
                       cmd.created_at,
                       {},
                       false};
    for (int t : cmd.tickets)
      rec.tickets.push_back(TicketRow{first_ticket + static_cast<long long>(m++), rec.id, cmd.user_id, cmd.round, t,
                                      cmd.created_at, 0, ""});
    ++k;
    jobs[i]->take(std::move(rec));
  }
  return true;
}

}  // namespace p720::store
