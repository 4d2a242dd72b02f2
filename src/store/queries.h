// The SQL texts of SqlStore and its write engine, each named once (dialect differences come from
// SqlDialect, dialect.h). A text ending in a table name takes an appended WHERE.
#pragma once

#include <string>

namespace p720::store::q {

// --- Commit marks (write_engine.cc): a writer's row, whose seq its every commit writes ---------
// A writer's row, made when it starts and dropped when it stops.
inline constexpr const char* kAddCommitMark = "INSERT INTO commit_marks (writer, seq) VALUES (?, 0)";
inline constexpr const char* kDropCommitMark = "DELETE FROM commit_marks WHERE writer = ?";
// Written last in every transaction; read after a lost COMMIT reply (plus SqlDialect::for_update).
inline constexpr const char* kSetCommitMark = "UPDATE commit_marks SET seq = ? WHERE writer = ?";
inline constexpr const char* kReadCommitMark = "SELECT seq FROM commit_marks WHERE writer = ?";

// --- Wallets and ledger ---------------------------------------------------------------------
inline constexpr const char* kBalance = "SELECT balance FROM wallets WHERE user_id = ?";
// Followed by SqlDialect::add_on_conflict("user_id", "balance").
inline constexpr const char* kAddToWallet = "INSERT INTO wallets (user_id, balance) VALUES (?, ?) ";
inline constexpr const char* kAddLedgerLine =
    "INSERT INTO ledger (user_id, kind, amount, balance_after, ref, created_at) VALUES (?, ?, ?, ?, ?, ?)";
inline constexpr const char* kAddLedgerTax =
    "INSERT INTO ledger_tax (ledger_id, gross, income_tax, local_tax) VALUES (?, ?, ?, ?)";
inline constexpr const char* kLedgerPage =
    "SELECT l.id, l.user_id, l.kind, l.amount, l.balance_after, l.ref, l.created_at,"
    " t.gross, t.income_tax + t.local_tax FROM ledger l LEFT JOIN ledger_tax t ON t.ledger_id = l.id"
    " WHERE l.user_id = ? AND l.id < ? ORDER BY l.id DESC LIMIT ?";
inline constexpr const char* kAddEvent = "INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)";
inline constexpr const char* kPendingEvents = "SELECT id, kind, payload, created_at FROM outbox ORDER BY id LIMIT ?";
inline constexpr const char* kAckEvents = "DELETE FROM outbox WHERE id IN ";  // + "(?, ...)"

// --- Purchases (sql_store.cc purchase_tx) --------------------------------------------------
// SQLite's one read of a purchase: balance, user_rounds' count, the wallet's round counter
// (migration 7), whether any ticket is sold, whether the cart holds any ticket of the round.
// Head + "(?, ...)" for the tickets + tail; parameters: round, tickets…, round, round, user.
inline constexpr const char* kPurchaseStateHead =
    "SELECT w.balance, COALESCE(r.tickets, 0), w.cur_round, w.cur_round_tickets,"
    " EXISTS (SELECT 1 FROM tickets t WHERE t.round = ? AND t.ticket IN (";
inline constexpr const char* kPurchaseStateTail =
    ")), EXISTS (SELECT 1 FROM cart_items k WHERE k.user_id = w.user_id AND k.round = ?)"
    " FROM wallets w LEFT JOIN user_rounds r ON r.user_id = w.user_id AND r.round = ? WHERE w.user_id = ?";
inline constexpr const char* kSetBalance = "UPDATE wallets SET balance = ? WHERE user_id = ?";
// The balance and the wallet's round counter together (domain/purchase.h count_purchase).
inline constexpr const char* kDebitCounting =
    "UPDATE wallets SET balance = ?, cur_round = ?, cur_round_tickets = ? WHERE user_id = ?";
// Followed by SqlDialect::add_on_conflict("user_id, round", "tickets").
inline constexpr const char* kAddRoundTickets = "INSERT INTO user_rounds (user_id, round, tickets) VALUES (?, ?, ?) ";

// --- Cart (cart_item() reads these columns) -----------------------------------------------
inline constexpr const char* kCartItems = "SELECT id, user_id, round, ticket, created_at FROM cart_items";
inline constexpr const char* kDeleteCartItems = "DELETE FROM cart_items";
// + "(?, ...)": which of the tickets the user's cart holds already for the round.
inline constexpr const char* kCartDuplicates =
    "SELECT ticket FROM cart_items WHERE user_id = ? AND round = ? AND ticket IN ";
// How many entries the user's cart holds (every round).
inline constexpr const char* kCartCount = "SELECT COUNT(*) FROM cart_items WHERE user_id = ?";
inline constexpr const char* kAddCartItem =
    "INSERT INTO cart_items (user_id, round, ticket, created_at) VALUES (?, ?, ?, ?)";

// --- Tickets and purchases ------------------------------------------------------------------
// Ticket rows with their result as clients see it: a ticket of a settled round that won nothing
// is stored with result 0 (settlement writes winners only) and reads as -1; the draw date comes
// from the draw. Append a WHERE on `t.`.
inline constexpr const char* kTicketRows =
    "SELECT t.id, t.purchase_id, t.user_id, t.round, t.ticket, t.created_at,"
    " CASE WHEN d.round IS NOT NULL AND t.result = 0 THEN -1 ELSE t.result END, COALESCE(d.draw_date, '')"
    " FROM tickets t LEFT JOIN draws d ON d.round = t.round AND d.settled = 1";
// Every sold ticket of a round.
inline constexpr const char* kSoldTickets = "SELECT ticket FROM tickets WHERE round = ?";
inline constexpr const char* kPurchase =
    "SELECT id, user_id, round, amount, balance_after, created_at FROM purchases WHERE id = ?";
inline constexpr const char* kIdempotencyKey =
    "SELECT request_hash, purchase_id FROM idempotency WHERE user_id = ? AND idem_key = ?";

// --- Draws (draw_record() reads these columns) ----------------------------------------------
inline constexpr const char* kDraws = "SELECT round, grp, digits, bonus, draw_date, settled FROM draws";
inline const std::string kDrawOfRound = std::string(kDraws) + " WHERE round = ?";
inline const std::string kAllDraws = std::string(kDraws) + " ORDER BY round";
// A user's winning tickets with what was paid so far: a one-time prize's withholding
// (prize_taxes, when it was taxed); an annuity's installments, gross and tax.
inline constexpr const char* kWinningsOf =
    "SELECT t.round, t.id, t.ticket, t.result, d.draw_date,"
    " pt.income_tax + pt.local_tax,"
    " (SELECT SUM(p.gross) FROM annuity_payments p WHERE p.ticket_id = t.id),"
    " (SELECT SUM(p.income_tax + p.local_tax) FROM annuity_payments p WHERE p.ticket_id = t.id)"
    " FROM tickets t JOIN draws d ON d.round = t.round"
    " LEFT JOIN prize_taxes pt ON pt.ticket_id = t.id WHERE t.user_id = ? AND t.result > 0"
    " ORDER BY t.round DESC, t.id";

// --- Totals (one snapshot) ------------------------------------------------------------------
inline constexpr const char* kLedgerSum = "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = ?";
inline constexpr const char* kBalanceSum = "SELECT COALESCE(SUM(balance), 0) FROM wallets";

inline constexpr const char* kPing = "SELECT 1";

}  // namespace p720::store::q
