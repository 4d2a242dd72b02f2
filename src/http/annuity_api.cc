// Route table and handlers of the annuity installments and the tax report.
#include "http/annuity_api.h"

#include "http/errors.h"
#include "http/json_codec.h"

namespace p720::http {
namespace {

template <class T, class F>
Response reply(const Result<T>& result, F&& render) {
  if (!result.ok()) return error_response(result.error());
  return json_response(200, render(result.value()));
}

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
  return {{"month", p.for_month},        {"gross", p.gross},          {"tax", p.income_tax + p.local_tax},
          {"incomeTax", p.income_tax},   {"localTax", p.local_tax},   {"net", p.net()},
          {"paidAt", p.paid_at}};
}

Json tax_sum_json(const store::TaxSum& s) {
  return {{"count", s.count}, {"gross", s.gross}, {"tax", s.income + s.local}, {"net", s.gross - s.income - s.local}};
}

}  // namespace

void add_annuity_routes(Router& r, app::Annuities& annuities) {
  r.add({"POST", "/api/v1/pension/annuities/payments", Access::kAdmin, [&annuities](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto month = string_field(*body, "month", 16);
           if (!month.ok() || !*month)
             return error_response(ErrorCode::kInvalidRequest, "month는 YYYY-MM 형식이어야 합니다.");
           return reply(annuities.pay_up_to(c.actor(), **month), [](const app::PayRun& run) {
             return Json{{"month", run.month}, {"installments", run.installments}, {"gross", run.gross},
                         {"tax", run.tax},     {"net", run.net}};
           });
         }});
  r.add({"GET", "/api/v1/pension/annuities", Access::kUser, [&annuities](Context& c) {
           return reply(annuities.annuities_of(c.actor()), [](const std::vector<app::AnnuityView>& v) {
             Json out = Json::array();
             for (const auto& a : v) out.push_back(annuity_json(a));
             return out;
           });
         }});
  r.add({"GET", "/api/v1/pension/annuities/{ticketId}/payments", Access::kUser, [&annuities](Context& c) {
           const auto& s = c.params[0];
           if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
             return error_response(ErrorCode::kNotFound, "연금 당첨 내역을 찾을 수 없습니다.");
           return reply(annuities.payments(c.actor(), std::stoll(s)),
                        [](const std::vector<store::InstallmentPayment>& v) {
                          Json out = Json::array();
                          for (const auto& p : v) out.push_back(payment_json(p));
                          return out;
                        });
         }});
  r.add({"GET", "/api/v1/admin/tax", Access::kAdmin, [&annuities](Context& c) {
           const std::string month = c.req.query_param("month").value_or("");
           return reply(annuities.tax_report(c.actor(), month), [&](const store::TaxReport& t) {
             return Json{{"month", month},
                         {"withheld",
                          {{"income", t.installments.income + t.one_time.income},
                           {"local", t.installments.local + t.one_time.local}}},
                         {"installments", tax_sum_json(t.installments)},
                         {"oneTimePrizes", tax_sum_json(t.one_time)}};
           });
         }});
}

}  // namespace p720::http
