// SqlStore's annuity installments, tax report and leases. Each installment is one group-commit
// job: its row (primary key (ticket_id, for_month)), the credit of the net with its ledger line and
// the outbox event commit together or not at all, so a crash leaves it paid once or not at all.
#include <nlohmann/json.hpp>

#include "domain/rules.h"
#include "store/sql_store.h"
#include "store/sql_store_parts.h"

namespace p720::store {
using namespace parts;
namespace {

// Annuities with their paid sums; append a WHERE on `a.` and the GROUP BY below.
constexpr const char* kAnnuitySelect =
    "SELECT a.ticket_id, a.user_id, a.round, a.result, a.monthly, a.months, a.first_payment_month,"
    " COUNT(p.ticket_id), COALESCE(SUM(p.gross), 0), COALESCE(SUM(p.income_tax + p.local_tax), 0)"
    " FROM annuities a LEFT JOIN annuity_payments p ON p.ticket_id = a.ticket_id";
constexpr const char* kAnnuityGroup =
    " GROUP BY a.ticket_id, a.user_id, a.round, a.result, a.monthly, a.months, a.first_payment_month"
    " ORDER BY a.ticket_id";

AnnuityRow annuity_of(const SqlRow& r) {
  AnnuityRow a{r.i(0),
               r.s(1),
               static_cast<int>(r.i(2)),
               static_cast<int>(r.i(3)),
               r.i(4),
               static_cast<int>(r.i(5)),
               r.s(6),
               static_cast<int>(r.i(7)),
               r.i(8),
               r.i(9),
               0};
  a.net_paid = a.gross_paid - a.tax_withheld;
  return a;
}

}  // namespace

Result<std::vector<AnnuityRow>> SqlStore::annuities(const AnnuityQuery& q) {
  std::vector<AnnuityRow> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    std::string sql = std::string(kAnnuitySelect) + " WHERE a.ticket_id > ?";
    Params p{v(q.after)};
    if (q.user) sql += " AND a.user_id = ?", p.push_back(v(*q.user));
    if (q.ticket_id) sql += " AND a.ticket_id = ?", p.push_back(v(*q.ticket_id));
    sql += kAnnuityGroup;
    if (q.limit > 0) sql += " LIMIT ?", p.push_back(v(static_cast<long long>(q.limit)));
    for (auto& r : c.query(sql, p)) out.push_back(annuity_of(r));
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<bool> SqlStore::pay_installment(const InstallmentPayment& p) {
  if (p.gross < 0 || p.income_tax < 0 || p.local_tax < 0 || p.net() < 0 || p.for_month.size() != 7 ||
      p.paid_at.size() < 7)
    return make_error(ErrorCode::kInvalidRequest, Subject::kAnnuity);
  // The owner's writer, so the credit is ordered with the owner's other wallet writes.
  std::string user;
  auto found = read_job([&](SqlConnection& c) -> Status {
    auto rows = c.query("SELECT user_id FROM annuities WHERE ticket_id = ?", {v(p.ticket_id)});
    if (rows.empty()) return make_error(ErrorCode::kNotFound, Subject::kAnnuity);
    user = rows[0].s(0);
    return Status::Ok();
  });
  if (!found.ok()) return found.error();
  bool paid = false;
  auto st = write_job(
      [&](SqlConnection& c) -> Status {
        paid = false;  // a batch re-run runs the body again
        if (!c.query("SELECT ticket_id FROM annuity_payments WHERE ticket_id = ? AND for_month = ?",
                     {v(p.ticket_id), v(p.for_month)})
                 .empty())
          return Status::Ok();
        if (!fits_wallet(c, user, p.net()))
          return make_error(ErrorCode::kInvalidRequest, Subject::kBalanceCap, "INSTALLMENT");
        try {
          // Claimed first: a concurrent payer of another instance waits on this key and then
          // finds it taken, having written nothing.
          c.query("INSERT INTO annuity_payments (ticket_id, for_month, user_id, gross, income_tax, local_tax,"
                  " ledger_id, paid_at, paid_month) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                  {v(p.ticket_id), v(p.for_month), v(user), v(p.gross), v(p.income_tax), v(p.local_tax), v(p.paid_at),
                   v(p.paid_at.substr(0, 7))});
        } catch (const SqlError& e) {
          if (e.kind == SqlError::Kind::kUnique) return Status::Ok();
          throw;
        }
        const std::string ref = "annuity:" + std::to_string(p.ticket_id) + ":" + p.for_month;
        const long long after = credit(c, user, p.net(), "INSTALLMENT", ref, p.paid_at);
        const long long ledger_id = c.last_insert_id();
        add_ledger_tax(c, ledger_id, p.gross, p.income_tax, p.local_tax);
        c.query("UPDATE annuity_payments SET ledger_id = ? WHERE ticket_id = ? AND for_month = ?",
                {v(ledger_id), v(p.ticket_id), v(p.for_month)});
        if (outbox_)
          add_event(c, "installment",
                    nlohmann::json{{"userId", user},
                                   {"ticketId", p.ticket_id},
                                   {"month", p.for_month},
                                   {"gross", p.gross},
                                   {"tax", p.income_tax + p.local_tax},
                                   {"net", p.net()},
                                   {"balance", after},
                                   {"paidAt", p.paid_at}}
                        .dump(),
                    p.paid_at);
        paid = true;
        return Status::Ok();
      },
      user);
  if (!st.ok()) return st.error();
  return paid;
}

Result<std::vector<InstallmentPayment>> SqlStore::installments_of(long long ticket_id) {
  std::vector<InstallmentPayment> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    for (auto& r : c.query("SELECT ticket_id, for_month, gross, income_tax, local_tax, paid_at FROM annuity_payments"
                           " WHERE ticket_id = ? ORDER BY for_month",
                           {v(ticket_id)}))
      out.push_back(InstallmentPayment{r.i(0), r.s(1), r.i(2), r.i(3), r.i(4), r.s(5)});
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<TaxReport> SqlStore::tax_report(const std::string& month) {
  TaxReport out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    auto sum = [&](const char* table, TaxSum& into) {
      auto rows = c.query(std::string("SELECT COUNT(*), COALESCE(SUM(gross), 0), COALESCE(SUM(income_tax), 0),"
                                      " COALESCE(SUM(local_tax), 0) FROM ") +
                              table + " WHERE paid_month = ?",
                          {v(month)});
      if (!rows.empty()) into = TaxSum{rows[0].i(0), rows[0].i(1), rows[0].i(2), rows[0].i(3)};
    };
    sum("annuity_payments", out.installments);
    sum("prize_taxes", out.one_time);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<bool> SqlStore::take_lease(const std::string& name, const std::string& holder, long long now, long long ttl) {
  bool got = false;
  auto st = write_job([&](SqlConnection& c) -> Status {
    got = false;  // a batch re-run runs the body again
    auto rows = c.query(std::string("SELECT holder, expires_at FROM leases WHERE name = ?") + for_update(c), {v(name)});
    if (rows.empty()) {
      try {
        c.query("INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)", {v(name), v(holder), v(now + ttl)});
        got = true;
      } catch (const SqlError& e) {
        if (e.kind != SqlError::Kind::kUnique) throw;  // another instance took it meanwhile
      }
      return Status::Ok();
    }
    if (rows[0].s(0) != holder && rows[0].i(1) > now) return Status::Ok();
    c.query("UPDATE leases SET holder = ?, expires_at = ? WHERE name = ?", {v(holder), v(now + ttl), v(name)});
    got = true;
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return got;
}

Status SqlStore::release_lease(const std::string& name, const std::string& holder) {
  return write_job([&](SqlConnection& c) -> Status {
    c.query("UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?", {v(name), v(holder)});
    return Status::Ok();
  });
}

}  // namespace p720::store
