// Route table and handlers of the annuity installments and the tax report.
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

Json annuity_json(const app::AnnuityView& a) {
  return {{"ticketId", a.row.ticket_id},
          {"round", a.row.round},
          {"result", a.row.result},
          {"monthlyAmount", a.row.monthly},
          {"monthlyTax", a.monthly.tax()},
          {"monthlyNet", a.monthly.net()},
          {"months", a.row.months},
          {"firstPaymentMonth", a.row.first_payment_month},
          {"paidMonths", a.row.paid_months},
          {"remainingMonths", a.remaining_months},
          {"nextPaymentDate", a.next_payment_date.empty() ? Json(nullptr) : Json(a.next_payment_date)},
          {"grossPaid", a.row.gross_paid},
          {"taxWithheld", a.row.tax_withheld},
          {"netPaid", a.row.net_paid}};
}

Json payment_json(const store::InstallmentPayment& p) {
  return {{"month", p.for_month},      {"gross", p.gross},        {"tax", p.income_tax + p.local_tax},
          {"incomeTax", p.income_tax}, {"localTax", p.local_tax}, {"net", p.net()},
          {"paidAt", p.paid_at}};
}

Json tax_sum_json(const store::TaxSum& s) {
  return {{"count", s.count}, {"gross", s.gross}, {"tax", s.income + s.local}, {"net", s.gross - s.income - s.local}};
}

Response pay(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto month = string_field(*body, "month", 16);
  if (!month.ok() || !*month) return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kMonth));
  return reply(d.annuities->pay_up_to(c.actor(), **month), 200, [](const app::PayRun& run) {
    return Json{{"month", run.month},
                {"installments", run.installments},
                {"gross", run.gross},
                {"tax", run.tax},
                {"net", run.net}};
  });
}

Response my_annuities(const ApiDeps& d, Context& c) {
  return reply(d.annuities->annuities_of(c.actor()), 200, [](const auto& v) { return array_of(v, annuity_json); });
}

Response installments(const ApiDeps& d, Context& c) {
  const auto ticket = id_segment(c.params[0]);
  if (!ticket) return error_response(make_error(ErrorCode::kNotFound, Subject::kAnnuityTicket));
  return reply(d.annuities->payments(c.actor(), *ticket), 200, [](const auto& v) { return array_of(v, payment_json); });
}

Response tax_report(const ApiDeps& d, Context& c) {
  const std::string month = c.req.query_param("month").value_or("");
  return reply(d.annuities->tax_report(c.actor(), month), 200, [&](const store::TaxReport& t) {
    return Json{
        {"month", month},
        {"withheld",
         {{"income", t.installments.income + t.one_time.income}, {"local", t.installments.local + t.one_time.local}}},
        {"installments", tax_sum_json(t.installments)},
        {"oneTimePrizes", tax_sum_json(t.one_time)}};
  });
}

}  // namespace

void add_annuity_routes(Router& r, const Deps& d) {
  r.post("/api/v1/pension/annuities/payments").admin().handle(with(d, pay));
  r.get("/api/v1/pension/annuities").user().handle(with(d, my_annuities));
  r.get("/api/v1/pension/annuities/{ticketId}/payments").user().handle(with(d, installments));
  r.get("/api/v1/admin/tax").admin().handle(with(d, tax_report));
}

}  // namespace p720::http
