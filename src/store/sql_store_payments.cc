// SqlStore's money in and out: payment-provider orders (credited once, in the transaction that
// settles them) and withdrawals (debited when requested, refunded once when they fail).
#include <nlohmann/json.hpp>
#include <optional>

#include "domain/rules.h"
#include "store/queries.h"
#include "store/sql_store.h"
#include "store/sql_store_parts.h"

namespace p720::store {
using namespace parts;
namespace {

constexpr const char* kOrderColumns = "order_id, user_id, amount, status, payment_key, message, created_at, settled_at";
constexpr const char* kWithdrawalColumns =
    "id, user_id, amount, bank_code, account_number, holder_name, status, reason, balance_after, created_at,"
    " updated_at";

PaymentOrder order_of(const SqlRow& r) {
  return PaymentOrder{r.s(0), r.s(1), r.i(2), r.s(3), r.s(4), r.s(5), r.s(6), r.s(7)};
}

Withdrawal withdrawal_of(const SqlRow& r) {
  return Withdrawal{r.i(0), r.s(1), r.i(2), r.s(3), r.s(4), r.s(5), r.s(6), r.s(7), r.i(8), r.s(9), r.s(10), false};
}

std::optional<PaymentOrder> load_order(SqlConnection& c, const std::string& id, bool lock) {
  auto rows = c.query(
      std::string("SELECT ") + kOrderColumns + " FROM payment_orders WHERE order_id = ?" + (lock ? for_update(c) : ""),
      {v(id)});
  if (rows.empty()) return std::nullopt;
  return order_of(rows[0]);
}

std::optional<Withdrawal> load_withdrawal(SqlConnection& c, long long id, bool lock) {
  auto rows = c.query(
      std::string("SELECT ") + kWithdrawalColumns + " FROM withdrawals WHERE id = ?" + (lock ? for_update(c) : ""),
      {v(id)});
  if (rows.empty()) return std::nullopt;
  return withdrawal_of(rows[0]);
}

std::string withdrawal_ref(long long id) { return "withdrawal:" + std::to_string(id); }

std::string withdrawal_event(const Withdrawal& w, long long balance, const std::string& at) {
  return nlohmann::json{{"userId", w.user_id}, {"withdrawalId", w.id}, {"amount", w.amount},
                        {"status", w.status},  {"balance", balance},   {"createdAt", at}}
      .dump();
}

Error order_not_found() { return make_error(ErrorCode::kNotFound, Subject::kOrder); }
Error over_cap() { return make_error(ErrorCode::kInvalidRequest, Subject::kBalanceCap); }
Error withdrawal_not_found() { return make_error(ErrorCode::kNotFound, Subject::kWithdrawal); }

}  // namespace

Result<PaymentOrder> SqlStore::create_order(const PaymentOrder& o) {
  PaymentOrder out = o;
  out.status = "PENDING";
  auto st = write_job(
      [&](SqlConnection& c) -> Status {
        if (!fits_wallet(c, o.user_id, o.amount)) return over_cap();
        c.query(
            "INSERT INTO payment_orders (order_id, user_id, amount, status, created_at) VALUES (?, ?, ?, 'PENDING', ?)",
            {v(o.order_id), v(o.user_id), v(o.amount), v(o.created_at)});
        return Status::Ok();
      },
      o.user_id);
  if (!st.ok()) return st.error();
  return out;
}

Result<std::optional<PaymentOrder>> SqlStore::find_order(const std::string& order_id) {
  std::optional<PaymentOrder> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    out = load_order(c, order_id, false);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<OrderSettlement> SqlStore::settle_order(const std::string& order_id, bool done, const std::string& payment_key,
                                               const std::string& message, const std::string& now) {
  OrderSettlement out;
  auto owner = [&](SqlConnection& c) {
    auto o = load_order(c, order_id, false);
    return o ? o->user_id : std::string();
  };
  auto st = change_owned(owner, order_not_found(), [&](SqlConnection& c) -> Status {
    auto order = load_order(c, order_id, true);
    if (!order) return order_not_found();
    out = OrderSettlement{*order, 0, false};
    if (done && order->status != "DONE") {
      if (!fits_wallet(c, order->user_id, order->amount)) return over_cap();
      c.query(
          "UPDATE payment_orders SET status = 'DONE', payment_key = ?, message = '', settled_at = ? WHERE order_id = ?",
          {v(payment_key), v(now), v(order_id)});
      out.balance = credit(c, order->user_id, order->amount, "DEPOSIT", "order:" + order_id, now);
      out.order.status = "DONE";
      out.order.payment_key = payment_key;
      out.order.message.clear();
      out.order.settled_at = now;
      out.credited = true;
      if (outbox_)
        add_event(c, "deposit",
                  nlohmann::json{{"userId", order->user_id},
                                 {"orderId", order_id},
                                 {"amount", order->amount},
                                 {"balance", out.balance},
                                 {"createdAt", now}}
                      .dump(),
                  now);
      return Status::Ok();
    }
    if (!done && order->status == "PENDING") {
      c.query("UPDATE payment_orders SET status = 'FAILED', message = ?, settled_at = ? WHERE order_id = ?",
              {v(message), v(now), v(order_id)});
      out.order.status = "FAILED";
      out.order.message = message;
      out.order.settled_at = now;
    }
    out.balance = balance_of(c, order->user_id);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<std::vector<PaymentOrder>> SqlStore::pending_orders(const std::string& created_before, int limit) {
  std::vector<PaymentOrder> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    for (auto& r : c.query(std::string("SELECT ") + kOrderColumns +
                               " FROM payment_orders WHERE status = 'PENDING' AND created_at <= ?"
                               " ORDER BY created_at LIMIT ?",
                           {v(created_before), v(static_cast<long long>(limit))}))
      out.push_back(order_of(r));
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<Withdrawal> SqlStore::request_withdrawal(const WithdrawalCommand& cmd) {
  Withdrawal out;
  auto st = write_job(
      [&](SqlConnection& c) -> Status {
        if (!cmd.idem_key.empty()) {
          auto rows =
              c.query(std::string("SELECT request_hash, withdrawal_id FROM withdrawal_keys WHERE user_id = ? AND "
                                  "idem_key = ?") +
                          for_update(c),
                      {v(cmd.user_id), v(cmd.idem_key)});
          if (!rows.empty()) {
            if (rows[0].s(0) != cmd.idem_hash) return make_error(ErrorCode::kIdempotencyConflict, Subject::kNone);
            out = *load_withdrawal(c, rows[0].i(1), false);
            out.replayed = true;
            return Status::Ok();
          }
        }
        // The wallet row is locked (MariaDB) before the balance is compared, so two requests of
        // one user on two instances cannot both pass the check.
        auto wallet = c.query(q::kBalance + std::string(for_update(c)), {v(cmd.user_id)});
        const long long balance = wallet.empty() ? 0 : wallet[0].i(0);
        if (balance < cmd.amount) return not_enough_money();
        c.query("INSERT INTO withdrawals (user_id, amount, bank_code, account_number, holder_name, status, reason,"
                " balance_after, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'REQUESTED', '', ?, ?, ?)",
                {v(cmd.user_id), v(cmd.amount), v(cmd.bank_code), v(cmd.account_number), v(cmd.holder_name),
                 v(balance - cmd.amount), v(cmd.created_at), v(cmd.created_at)});
        const long long id = c.last_insert_id();
        const long long after = credit(c, cmd.user_id, -cmd.amount, "WITHDRAWAL", withdrawal_ref(id), cmd.created_at);
        if (!cmd.idem_key.empty())
          c.query("INSERT INTO withdrawal_keys (user_id, idem_key, request_hash, withdrawal_id) VALUES (?, ?, ?, ?)",
                  {v(cmd.user_id), v(cmd.idem_key), v(cmd.idem_hash), v(id)});
        out = Withdrawal{id,          cmd.user_id, cmd.amount, cmd.bank_code,  cmd.account_number, cmd.holder_name,
                         "REQUESTED", "",          after,      cmd.created_at, cmd.created_at,     false};
        if (outbox_) add_event(c, "withdrawal", withdrawal_event(out, after, cmd.created_at), cmd.created_at);
        return Status::Ok();
      },
      cmd.user_id);
  if (!st.ok()) return st.error();
  return out;
}

Result<std::vector<Withdrawal>> SqlStore::withdrawals(const std::optional<std::string>& user,
                                                      const std::optional<std::string>& status, Page page) {
  std::vector<Withdrawal> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    std::string sql = std::string("SELECT ") + kWithdrawalColumns + " FROM withdrawals WHERE id < ?";
    Params p{v(page.before > 0 ? page.before : INT64_MAX)};
    if (user) {
      sql += " AND user_id = ?";
      p.push_back(v(*user));
    }
    if (status) {
      sql += " AND status = ?";
      p.push_back(v(*status));
    }
    sql += " ORDER BY id DESC";
    if (page.limit > 0) {
      sql += " LIMIT ?";
      p.push_back(v(static_cast<long long>(page.limit)));
    }
    for (auto& r : c.query(sql, p)) out.push_back(withdrawal_of(r));
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<Withdrawal> SqlStore::finish_withdrawal(long long id, bool paid, const std::string& reason,
                                               const std::string& now) {
  Withdrawal out;
  auto owner = [&](SqlConnection& c) {
    auto w = load_withdrawal(c, id, false);
    return w ? w->user_id : std::string();
  };
  auto st = change_owned(owner, withdrawal_not_found(), [&](SqlConnection& c) -> Status {
    auto w = load_withdrawal(c, id, true);
    if (!w) return withdrawal_not_found();
    if (w->status != "REQUESTED") return make_error(ErrorCode::kAlreadyProcessed, Subject::kWithdrawal, w->status);
    c.query("UPDATE withdrawals SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = 'REQUESTED'",
            {v(std::string(paid ? "PAID" : "FAILED")), v(reason), v(now), v(id)});
    out = *w;
    out.status = paid ? "PAID" : "FAILED";
    out.reason = reason;
    out.updated_at = now;
    // The refund is always credited: it returns what this wallet gave. It may lift a wallet past
    // kMaxBalance by what is being withdrawn, which stays far below 64-bit overflow.
    const long long balance =
        paid ? balance_of(c, w->user_id) : credit(c, w->user_id, w->amount, "REFUND", withdrawal_ref(id), now);
    if (outbox_) add_event(c, "withdrawal", withdrawal_event(out, balance, now), now);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

}  // namespace p720::store
