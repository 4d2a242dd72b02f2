// SqlStore: the store operations of pension720 as SQL, run by the group-commit engine (write_engine.h).
#include "store/sql_store.h"

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
#include "domain/purchase.h"
#include "domain/rules.h"
#include "domain/ticket.h"
#include "store/migrations.h"
#include "store/queries.h"
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
  return nlohmann::json{{"userId", user},     {"round", round},          {"amount", amount},
                        {"balance", balance}, {"createdAt", created_at}, {"tickets", std::move(rows)}};
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
  auto rows = c.query(q::kBalance, {v(user)});
  return rows.empty() ? 0 : rows[0].i(0);
}

bool parts::fits_wallet(SqlConnection& c, const std::string& user, long long amount) {
  return amount <= kMaxBalance - balance_of(c, user);
}

// Adds `delta` (may be negative) to the wallet and writes the ledger line; returns the balance.
long long parts::credit(SqlConnection& c, const std::string& user, long long delta, const std::string& kind,
                        const std::string& ref, const std::string& now) {
  // Built once per dialect: query() prepares a text once and reuses it.
  static const std::string sqlite_add = q::kAddToWallet + sqlite_dialect().add_on_conflict("user_id", "balance");
  static const std::string mysql_add = q::kAddToWallet + mysql_dialect().add_on_conflict("user_id", "balance");
  c.query(c.dialect() == Dialect::kSqlite ? sqlite_add : mysql_add, {v(user), v(delta)});
  long long after = balance_of(c, user);
  c.query(q::kAddLedgerLine, {v(user), v(kind), v(delta), v(after), v(ref), v(now)});
  return after;
}

void parts::add_event(SqlConnection& c, const std::string& kind, const std::string& payload, const std::string& now) {
  c.query(q::kAddEvent, {v(kind), v(payload), v(now)});
}

using namespace parts;
namespace {

TicketRow ticket_row(const SqlRow& r) {
  return TicketRow{
      r.i(0), r.i(1), r.s(2), static_cast<int>(r.i(3)), static_cast<int>(r.i(4)), r.s(5), static_cast<int>(r.i(6)),
      r.s(7)};
}

CartItem cart_item(const SqlRow& r) {
  return CartItem{r.i(0), r.s(1), static_cast<int>(r.i(2)), static_cast<int>(r.i(3)), r.s(4)};
}

DrawRecord draw_record(const SqlRow& r) {
  return DrawRecord{static_cast<int>(r.i(0)),
                    static_cast<int>(r.i(1)),
                    static_cast<int>(r.i(2)),
                    static_cast<int>(r.i(3)),
                    r.s(4),
                    r.i(5) != 0};
}

// The round's draw (q::kDrawOfRound), if it was drawn.
std::optional<DrawRecord> draw_of(SqlConnection& c, int round) {
  auto rows = c.query(q::kDrawOfRound, {v(round)});
  if (rows.empty()) return std::nullopt;
  return draw_record(rows[0]);
}

// The sold ones among `tickets`, not counting those of purchase `own` (being inserted now).
std::vector<int> sold_among(SqlConnection& c, int round, const std::vector<int>& tickets, long long own = 0) {
  Params p{v(round), v(own)};
  for (int t : tickets) p.push_back(v(t));
  auto rows = c.query("SELECT ticket FROM tickets WHERE round = ? AND purchase_id <> ? AND ticket IN (" +
                          placeholders(tickets.size()) + ") ORDER BY ticket",
                      p);
  std::vector<int> sold;
  sold.reserve(rows.size());
  for (auto& r : rows) sold.push_back(static_cast<int>(r.i(0)));
  return sold;
}

// What a purchase is decided on (domain/purchase.h), read with the locks that keep it true until
// the transaction ends: the buyer's balance and tickets owned in the round, the sold ones among
// the request, and whether the cart may hold any of them (else there is nothing to take out).
struct PurchaseRead {
  BuyerState buyer;  // balance 0 without a wallet
  std::vector<int> sold;
  bool in_cart = true;
  // SQLite: the wallet row counts the buyer's latest round (migration 7, domain/purchase.h
  // WalletRoundCount); MariaDB keeps every round in user_rounds, which its set-based batch reads.
  std::optional<WalletRoundCount> wallet_count;
};

PurchaseRead read_for_purchase(SqlConnection& c, const PurchaseCommand& cmd) {
  PurchaseRead out;
  if (cmd.tickets.empty()) return out;  // refused before anything is read (no "IN ()" either)
  Params in;
  for (int t : cmd.tickets) in.push_back(v(t));
  if (c.dialect() == Dialect::kSqlite) {
    // SQLite: this transaction is the database's only writer, so what it reads stays true until
    // it commits. One statement reads it all; the sold ones are listed only when there are some.
    // (No RETURNING in the writes: SQLite implements it with a temporary table, ~20,000
    // instructions a statement.)
    Params p{v(cmd.round)};
    p.insert(p.end(), in.begin(), in.end());
    p.insert(p.end(), {v(cmd.round), v(cmd.round), v(cmd.user_id)});
    auto rows =
        c.query(std::string(q::kPurchaseStateHead) + placeholders(cmd.tickets.size()) + q::kPurchaseStateTail, p);
    if (rows.empty()) return out;
    const WalletRoundCount wallet{static_cast<int>(rows[0].i(2)), rows[0].i(3)};
    out.buyer = BuyerState{rows[0].i(0), owned_in_round(rows[0].i(1), wallet, cmd.round)};
    out.wallet_count = wallet;
    if (rows[0].i(4)) out.sold = sold_among(c, cmd.round, cmd.tickets);
    out.in_cart = rows[0].i(5) != 0;
    return out;
  }
  // MariaDB: lock the buyer's wallet (then the round count) first, which serialises this buyer's
  // purchases across instances; the sold ones are read in the same round trip, after the lock. A
  // ticket sold by a transaction not yet committed is not seen: its insert then fails on
  // UNIQUE (round, ticket) and purchase_tx reports it.
  Params by_round{v(cmd.round)};
  by_round.insert(by_round.end(), in.begin(), in.end());
  auto found = c.query_multi({
      {"SELECT w.balance, COALESCE(r.tickets, 0) FROM wallets w FORCE INDEX (PRIMARY)"
       " LEFT JOIN user_rounds r FORCE INDEX (PRIMARY) ON r.user_id = w.user_id AND r.round = ?"
       " WHERE w.user_id = ? FOR UPDATE",
       {v(cmd.round), v(cmd.user_id)}},
      {"SELECT ticket FROM tickets WHERE round = ? AND ticket IN (" + placeholders(cmd.tickets.size()) +
           ") ORDER BY ticket",
       by_round},
  });
  if (found.size() != 2) throw SqlError(SqlError::Kind::kOther, "purchase: unexpected read results");
  if (!found[0].empty()) out.buyer = BuyerState{found[0][0].i(0), found[0][0].i(1)};
  for (const auto& r : found[1]) out.sold.push_back(static_cast<int>(r.i(0)));
  return out;
}

PurchaseRecord load_purchase(SqlConnection& c, long long id) {
  PurchaseRecord rec;
  auto rows = c.query(q::kPurchase, {v(id)});
  if (rows.empty()) return rec;
  rec = PurchaseRecord{
      rows[0].i(0), rows[0].s(1), static_cast<int>(rows[0].i(2)), rows[0].i(3), rows[0].i(4), rows[0].s(5), {}, false};
  for (auto& r : c.query(std::string(q::kTicketRows) + " WHERE t.purchase_id = ? ORDER BY t.id", {v(id)}))
    rec.tickets.push_back(ticket_row(r));
  return rec;
}

Result<std::optional<PurchaseRecord>> find_replay(SqlConnection& c, const std::string& user, const std::string& key,
                                                  const std::string& hash) {
  auto rows = c.query(q::kIdempotencyKey, {v(user), v(key)});
  if (rows.empty()) return std::optional<PurchaseRecord>();
  if (rows[0].s(0) != hash) return make_error(ErrorCode::kIdempotencyConflict, Subject::kNone);
  auto rec = load_purchase(c, rows[0].i(1));
  rec.replayed = true;
  return std::optional<PurchaseRecord>(std::move(rec));
}

}  // namespace

std::string parts::winning_condition(const std::vector<ResultRule>& rules, Params& p) {
  std::string sql;
  for (const auto& f : winning_filter(rules)) {
    sql += sql.empty() ? "(" : " OR ";
    if (f.modulus == 0) {
      sql += "ticket = ?";
    } else {
      sql += "ticket % ? = ?";
      p.push_back(v(f.modulus));
    }
    p.push_back(v(f.value));
  }
  return sql.empty() ? "0 = 1" : sql + ")";
}

void parts::add_ledger_tax(SqlConnection& c, long long ledger_id, long long gross, long long income, long long local) {
  c.query(q::kAddLedgerTax, {v(ledger_id), v(gross), v(income), v(local)});
}

SqlStore::SqlStore(ConnectionFactory factory, size_t max_batch, bool outbox, int writers,
                   std::chrono::microseconds linger)
    : outbox_(outbox) {
  auto first = factory();
  dialect_ = first->dialect();
  sql_ = &dialect_of(dialect_);  // NOLINT(cppcoreguidelines-prefer-member-initializer): needs the first connection
  apply_migrations(*first);
  // The set-based batch numbers a multi-row INSERT's rows first, first+1, ...
  batch_purchases_ = sql_->consecutive_insert_ids(*first);
  engine_ = std::make_unique<WriteEngine>(std::move(factory), *sql_, WriteEngine::Options{max_batch, writers, linger},
                                          std::move(first),
                                          [this](SqlConnection& c, const std::vector<Job*>& jobs, bool whole) {
                                            return purchase_together(c, jobs, whole);
                                          });
}

SqlStore::~SqlStore() { engine_.reset(); }

void SqlStore::set_purchase_screen(PurchaseScreen screen) { engine_->set_purchase_screen(std::move(screen)); }
void SqlStore::set_answer_executor(const Executor& executor) { engine_->set_answer_executor(executor); }
void SqlStore::probe_async(std::function<void(Status)> done) { engine_->probe_async(std::move(done)); }

WriteEngine::Job::Run SqlStore::run_of(const PurchaseCommand& cmd) const {
  if (!cmd.idem_key.empty()) return Job::Run::kSavepoint;
  if (batch_purchases_) return Job::Run::kTogether;
  return sql_->single_writer() ? Job::Run::kDecidesFirst : Job::Run::kSavepoint;
}

Status SqlStore::write_job(const std::function<Status(SqlConnection&)>& body, const std::string& key) {
  auto r = write<int>(
      [&](SqlConnection& c) -> Result<int> {
        auto s = body(c);
        if (!s.ok()) return s.error();
        return 0;
      },
      key);
  return r.ok() ? Status::Ok() : Status(r.error());
}

Status SqlStore::change_owned(const std::function<std::string(SqlConnection&)>& owner, const Error& missing,
                              const std::function<Status(SqlConnection&)>& change) {
  std::string user;
  auto found = read_job([&](SqlConnection& c) -> Status {
    user = owner(c);
    return Status::Ok();
  });
  if (!found.ok()) return found;
  if (user.empty()) return missing;
  return write_job(change, user);
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
        if (!fits_wallet(c, user, amount)) return make_error(ErrorCode::kInvalidRequest, Subject::kBalanceCap);
        return credit(c, user, amount, "DEPOSIT", ref, now);
      },
      user);
}

Result<std::vector<LedgerEntry>> SqlStore::ledger(const std::string& user, int limit, long long before) {
  return read<std::vector<LedgerEntry>>([&](SqlConnection& c) -> Result<std::vector<LedgerEntry>> {
    std::vector<LedgerEntry> out;
    for (auto& r : c.query(q::kLedgerPage, {v(user), v(before > 0 ? before : INT64_MAX), v(limit)})) {
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
    for (auto& r : c.query(std::string(q::kCartItems) + " WHERE user_id = ? ORDER BY id", {v(user)}))
      out.push_back(cart_item(r));
    return out;
  });
}

Result<std::vector<CartItem>> SqlStore::add_to_cart(const std::string& user, int round, const std::vector<int>& tickets,
                                                    int max_items, const std::string& now) {
  return write<std::vector<CartItem>>(
      [&](SqlConnection& c) -> Result<std::vector<CartItem>> {
        Params p{v(user), v(round)};
        for (int t : tickets) p.push_back(v(t));
        auto dup = c.query(q::kCartDuplicates + ("(" + placeholders(tickets.size()) + ")"), p);
        if (!dup.empty()) return make_error(ErrorCode::kSelectDuplicated, Subject::kNone);
        auto count = c.query(q::kCartCount, {v(user)});
        if (count[0].i(0) + static_cast<long long>(tickets.size()) > max_items)
          return make_error(ErrorCode::kMaxSelected, Subject::kNone);
        if (auto sold = sold_among(c, round, tickets); !sold.empty()) return already_sold(std::move(sold));
        std::vector<CartItem> out;
        for (int t : tickets) {
          try {
            c.query(q::kAddCartItem, {v(user), v(round), v(t), v(now)});
          } catch (const SqlError& e) {
            // The same user selected it through another instance meanwhile.
            if (e.kind != SqlError::Kind::kUnique) throw;
            return make_error(ErrorCode::kSelectDuplicated, Subject::kNone);
          }
          out.push_back(CartItem{c.last_insert_id(), user, round, t, now});
        }
        return out;
      },
      user);
}

Result<CartItem> SqlStore::remove_cart_item(const std::string& user, long long id) {
  return write<CartItem>(
      [&](SqlConnection& c) -> Result<CartItem> {
        auto rows = c.query(std::string(q::kCartItems) + " WHERE id = ? AND user_id = ?", {v(id), v(user)});
        if (rows.empty()) return make_error(ErrorCode::kNotFound, Subject::kCartItem);
        c.query(std::string(q::kDeleteCartItems) + " WHERE id = ?", {v(id)});
        return cart_item(rows[0]);
      },
      user);
}

Result<std::vector<CartItem>> SqlStore::clear_cart(const std::string& user, std::optional<int> keep_round) {
  return write<std::vector<CartItem>>(
      [&](SqlConnection& c) -> Result<std::vector<CartItem>> {
        std::string where = " WHERE user_id = ?" + std::string(keep_round ? " AND round <> ?" : "");
        Params p{v(user)};
        if (keep_round) p.push_back(v(*keep_round));
        std::vector<CartItem> out;
        for (auto& r : c.query(q::kCartItems + where, p)) out.push_back(cart_item(r));
        if (!out.empty()) c.query(q::kDeleteCartItems + where, p);
        return out;
      },
      user);
}

Result<PurchaseRecord> SqlStore::purchase(const PurchaseCommand& cmd) {
  std::promise<Result<PurchaseRecord>> promise;
  auto future = promise.get_future();
  purchase_async(cmd, [&promise](Result<PurchaseRecord> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void SqlStore::purchase_async(PurchaseCommand cmd, std::function<void(Result<PurchaseRecord>)> done) {
  auto shared = std::make_shared<const PurchaseCommand>(std::move(cmd));
  const auto run = run_of(*shared);
  engine_->write_async<PurchaseRecord>([this, shared](SqlConnection& c) { return purchase_tx(c, *shared); },
                                       std::move(done), shared->user_id, shared, run);
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
    // Read what the decision needs, decide (domain/purchase.h), then write what it answers. The
    // refusals write nothing, so a purchase without an Idempotency-Key needs no savepoint on SQLite.
    const PurchaseRead state = read_for_purchase(c, cmd);
    const auto decision = decide_purchase(state.buyer, purchase_request(cmd), state.sold);
    if (const auto* no = std::get_if<PurchaseRefused>(&decision)) return refused(*no);
    const auto& ok = std::get<PurchaseAccepted>(decision);
    const long long amount = ok.amount, after = ok.balance_after;
    const auto count = static_cast<long long>(cmd.tickets.size());
    const std::string add_round_tickets =
        std::string(q::kAddRoundTickets) + sql_->add_on_conflict("user_id, round", "tickets");
    if (state.wallet_count) {
      const RoundCountUpdate u = count_purchase(*state.wallet_count, cmd.round, count);
      c.query(q::kDebitCounting, {v(after), v(u.wallet.round), v(u.wallet.tickets), v(cmd.user_id)});
      if (u.moved_tickets > 0) c.query(add_round_tickets, {v(cmd.user_id), v(u.moved_round), v(u.moved_tickets)});
    } else {
      c.query(q::kSetBalance, {v(after), v(cmd.user_id)});
      c.query(add_round_tickets, {v(cmd.user_id), v(cmd.round), v(count)});
    }
    c.query("INSERT INTO purchases (user_id, round, amount, balance_after, created_at) VALUES (?, ?, ?, ?, ?)",
            {v(cmd.user_id), v(cmd.round), v(amount), v(after), v(cmd.created_at)});
    PurchaseRecord rec{c.last_insert_id(), cmd.user_id, cmd.round, amount, after, cmd.created_at, {}, false};
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
    c.query(
        "INSERT INTO ledger (user_id, kind, amount, balance_after, ref, created_at) VALUES (?, 'PURCHASE', ?, ?, ?, ?)",
        {v(cmd.user_id), v(-amount), v(after), v("purchase:" + std::to_string(rec.id)), v(cmd.created_at)});
    if (state.in_cart) {
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
  return read<std::optional<PurchaseRecord>>([&](SqlConnection& c) { return find_replay(c, user, key, hash); });
}

Result<std::vector<TicketRow>> SqlStore::tickets(const TicketQuery& q) {
  return read<std::vector<TicketRow>>([&](SqlConnection& c) -> Result<std::vector<TicketRow>> {
    // Every buyer's tickets of a round (ADMIN): walk the primary key down from `before` and filter
    // by round — a round's tickets are close together in id order — rather than let the planner
    // take the (round, ticket) index and sort the whole round for every page. A buyer's tickets
    // come from tickets_user (user_id, round), which holds them in id order already.
    const bool walk_ids = !q.user;
    std::string sql = q::kTicketRows;
    if (walk_ids) sql.insert(sql.find(" t LEFT JOIN") + 2, sql_->force_primary());
    sql += " WHERE t.id < ?";
    Params p{v(q.page.before > 0 ? q.page.before : INT64_MAX)};
    if (q.user) sql += " AND t.user_id = ?", p.push_back(v(*q.user));
    if (q.round)
      sql += " AND " + (walk_ids ? sql_->unindexed("t.round") : std::string("t.round")) + " = ?",
          p.push_back(v(*q.round));
    // The result as kTicketRows reports it: settlement writes winners only, so an unwon ticket
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
    for (auto& r : c.query(q::kSoldTickets, {v(round)})) out.push_back(static_cast<int>(r.i(0)));
    return out;
  });
}

Result<DrawRecord> SqlStore::record_draw(const DrawRecord& d) {
  return write<DrawRecord>([&](SqlConnection& c) -> Result<DrawRecord> {
    auto rows =
        c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws WHERE round = ?", {v(d.round)});
    if (!rows.empty()) {
      auto existing = draw_record(rows[0]);
      if (existing.group != d.group || existing.digits != d.digits || existing.bonus != d.bonus)
        return make_error(ErrorCode::kAlreadyDrawn, Subject::kDraw);
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
        return make_error(ErrorCode::kAlreadyDrawn, Subject::kDraw);
      return existing;
    }
    auto rec = d;
    rec.settled = false;
    return rec;
  });
}

Result<std::optional<DrawRecord>> SqlStore::find_draw(int round) {
  return read<std::optional<DrawRecord>>(
      [&](SqlConnection& c) -> Result<std::optional<DrawRecord>> { return draw_of(c, round); });
}

Result<std::vector<DrawRecord>> SqlStore::draws() {
  return read<std::vector<DrawRecord>>([&](SqlConnection& c) -> Result<std::vector<DrawRecord>> {
    std::vector<DrawRecord> out;
    for (auto& r : c.query(q::kAllDraws, {})) out.push_back(draw_record(r));
    return out;
  });
}

Status SqlStore::settle_draw(int round, const std::string& now) {
  auto r = write<bool>([&](SqlConnection& c) -> Result<bool> {
    auto rows = c.query("SELECT round, grp, digits, bonus, draw_date, settled FROM draws WHERE round = ?", {v(round)});
    if (rows.empty()) return make_error(ErrorCode::kNotFound, Subject::kDraw);
    auto d = draw_record(rows[0]);
    if (d.settled) return true;
    // Claim the settlement: another instance settling concurrently waits on this row lock and
    // then finds it settled, so prizes are credited once (rolled back with the job on failure).
    c.query("UPDATE draws SET settled = 1 WHERE round = ? AND settled = 0", {v(round)});
    if (c.changes() != 1) return true;
    // The domain's rules give each ticket its result, and the read is narrowed to the tickets
    // that can win (winning_filter: ~10% of the round). Losers are not written (see kTicketSelect).
    const auto rules = result_rules(DrawNumbers{d.group, d.digits, d.bonus});
    struct Winner {
      long long id;
      int ticket;
      int result;
      std::string user;
    };
    std::vector<Winner> winners;
    Params p{v(round)};
    const std::string may_win = winning_condition(rules, p);
    c.each("SELECT id, ticket, user_id FROM tickets WHERE round = ? AND " + may_win, p, [&](SqlRow& row) {
      const int t = static_cast<int>(row.i(1));
      if (int res = result_among(t, rules); res > 0) winners.push_back({row.i(0), t, res, row.s(2)});
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
                  nlohmann::json{{"kind", "ONCE"},
                                 {"round", round},
                                 {"userId", user},
                                 {"amount", amount},
                                 {"gross", held.gross},
                                 {"tax", held.tax()},
                                 {"balance", after}}
                      .dump(),
                  now);
    }

    const std::string first_month = first_payment_month(d.draw_date);
    for (const auto& w : winners) {
      auto prize = prize_for(w.result);
      if (!prize || !prize->annuity) continue;
      c.query(
          "INSERT INTO annuities (ticket_id, user_id, round, result, monthly, months, first_payment_month) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {v(w.id), v(w.user), v(round), v(w.result), v(prize->monthly), v((long long)prize->months), v(first_month)});
    }
    if (outbox_) {
      for (auto& a : c.query("SELECT ticket_id, user_id, result, monthly, months, first_payment_month FROM annuities "
                             "WHERE round = ? ORDER BY ticket_id",
                             {v(round)}))
        add_event(c, "prize",
                  nlohmann::json{{"kind", "ANNUITY"},
                                 {"round", round},
                                 {"ticketId", a.i(0)},
                                 {"userId", a.s(1)},
                                 {"result", a.i(2)},
                                 {"monthlyAmount", a.i(3)},
                                 {"months", a.i(4)},
                                 {"firstPaymentMonth", a.s(5)}}
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
    for (auto& r : c.query(q::kWinningsOf, {v(user)})) {
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
    // One read transaction so the sums are of the same instant.
    sql_->begin_snapshot(c);
    Totals t;
    auto sum = [&](const char* sql, const Params& p) {
      auto rows = c.query(sql, p);
      return rows.empty() ? 0 : rows[0].i(0);
    };
    t.deposits = sum(q::kLedgerSum, {v(std::string("DEPOSIT"))});
    t.sales = -sum(q::kLedgerSum, {v(std::string("PURCHASE"))});
    t.prizes = sum(q::kLedgerSum, {v(std::string("PRIZE"))});
    t.installments = sum(q::kLedgerSum, {v(std::string("INSTALLMENT"))});
    t.balances = sum(q::kBalanceSum, {});
    c.exec("COMMIT");
    return t;
  });
}

Result<std::vector<OutboxEvent>> SqlStore::pending_events(int limit) {
  return read<std::vector<OutboxEvent>>([&](SqlConnection& c) -> Result<std::vector<OutboxEvent>> {
    std::vector<OutboxEvent> out;
    // Every row holds at least one event, so `limit` rows are enough; whole rows only.
    for (auto& r : c.query(q::kPendingEvents, {v(limit)})) {
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
    c.query(q::kAckEvents + ("(" + placeholders(ids.size()) + ")"), p);
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
  return engine_->metrics_text() +
         counter("pension_store_purchases_together_total", "Purchases decided together by the set-based batch path.",
                 together_.load()) +
         counter("pension_store_together_fallbacks_total",
                 "Set-based batches that fell back to one purchase at a time (a ticket sold concurrently).",
                 together_fallbacks_.load());
}

Status SqlStore::ping() {
  auto r = read<bool>([](SqlConnection& c) -> Result<bool> {
    c.query(q::kPing, {});
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

}  // namespace p720::store
