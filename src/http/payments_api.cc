// Route table and handlers of deposits through the payment provider and of withdrawals.
#include "http/payments_api.h"

#include "domain/rules.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

Json order_json(const store::PaymentOrder& o) {
  Json out = {{"orderId", o.order_id}, {"amount", o.amount},        {"status", o.status},
              {"orderName", "예치금 충전"}, {"createdAt", o.created_at}};
  if (!o.message.empty()) out["message"] = o.message;
  return out;
}

Json confirmed_json(const app::ConfirmedOrder& c) {
  return {{"orderId", c.order.order_id}, {"amount", c.order.amount}, {"balance", c.balance},
          {"status", c.order.status},    {"paymentKey", c.order.payment_key}};
}

Json withdrawal_json(const store::Withdrawal& w) {
  Json out = {{"withdrawalId", w.id},         {"userId", w.user_id},       {"amount", w.amount},
              {"status", w.status},           {"bankCode", w.bank_code},   {"accountNumber", w.account_number},
              {"holderName", w.holder_name},  {"createdAt", w.created_at}, {"updatedAt", w.updated_at}};
  if (!w.reason.empty()) out["reason"] = w.reason;
  return out;
}

// The answer to a withdrawal request: the withdrawal and the balance right after its debit.
Json requested_json(const store::Withdrawal& w) {
  Json out = withdrawal_json(w);
  out["balance"] = w.balance_after;
  return out;
}

Result<std::string> required_text(const Json& body, const char* name, size_t max_len) {
  auto v = string_field(body, name, max_len);
  if (!v.ok()) return v.error();
  if (!*v || (*v)->empty()) return make_error(ErrorCode::kInvalidRequest, std::string(name) + " 값이 필요합니다.");
  return **v;
}

// A query parameter or JSON amount as the predecessor's front end sends it: a positive integer.
std::optional<long long> positive_integer(const std::string& s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const long long n = std::stoll(s);
  return n > 0 ? std::optional<long long>(n) : std::nullopt;
}

Result<long long> withdrawal_id(const std::string& s) {
  auto n = positive_integer(s);
  if (!n) return make_error(ErrorCode::kNotFound, "출금 요청을 찾을 수 없습니다.");
  return *n;
}

// {amount, bankCode, accountNumber, holderName} of a withdrawal request; app::Payments checks
// what the values must be.
Result<app::WithdrawalRequest> withdrawal_request(const Request& req, const Json& body) {
  app::WithdrawalRequest w;
  auto amount = int_field(body, "amount", 1, kMaxBalance, true);
  if (!amount.ok()) return amount.error();
  w.amount = **amount;
  for (auto [name, out] : {std::pair{"bankCode", &w.bank_code}, std::pair{"accountNumber", &w.account_number},
                           std::pair{"holderName", &w.holder_name}}) {
    auto v = required_text(body, name, 200);
    if (!v.ok()) return v.error();
    *out = *v;
  }
  auto key = idempotency_key(req);
  if (!key.ok()) return key.error();
  w.idem_key = *key;
  w.idem_hash = request_hash(req, body, *key);
  return w;
}

}  // namespace

void add_payment_routes(Router& r, app::Payments& payments) {
  // --- Deposits through the payment provider ---------------------------------------------------
  r.add({"POST", "/api/v1/payments/orders", Access::kUser, [&payments](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto amount = int_field(*body, "amount", 1, kMaxDeposit, true);
           if (!amount.ok()) return error_response(amount.error());
           return reply(payments.create_order(c.actor(), **amount), 201, order_json);
         }, true});
  auto confirm = [&payments](Context& c, const std::string& order_id, const std::string& payment_key,
                             long long amount) {
    return reply(payments.confirm(c.actor(), order_id, payment_key, amount), 200, confirmed_json);
  };
  r.add({"POST", "/api/v1/payments/confirm", Access::kUser, [confirm](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto order_id = required_text(*body, "orderId", 64);
           if (!order_id.ok()) return error_response(order_id.error());
           auto payment_key = required_text(*body, "paymentKey", 200);
           if (!payment_key.ok()) return error_response(payment_key.error());
           auto amount = int_field(*body, "amount", 1, kMaxDeposit, true);
           if (!amount.ok()) return error_response(amount.error());
           return confirm(c, *order_id, *payment_key, **amount);
         }, true});
  // The predecessor's success redirect: the same confirmation from the query string.
  r.add({"POST", "/api/v1/payments/success", Access::kUser, [confirm](Context& c) {
           const auto order_id = c.req.query_param("orderId");
           const auto payment_key = c.req.query_param("paymentKey");
           const auto amount = c.req.query_param("amount");
           if (!order_id || order_id->empty() || order_id->size() > 64 || !payment_key || payment_key->empty() ||
               payment_key->size() > 200)
             return error_response(ErrorCode::kInvalidRequest, "orderId와 paymentKey가 필요합니다.");
           const auto n = amount ? positive_integer(*amount) : std::nullopt;
           if (!n || *n > kMaxDeposit)
             return error_response(ErrorCode::kInvalidRequest, "amount는 1 이상 10,000,000,000 이하의 정수여야 합니다.");
           return confirm(c, *order_id, *payment_key, *n);
         }, true});
  r.add({"GET", "/api/v1/payments/orders/{orderId}", Access::kUser, [&payments](Context& c) {
           return reply(payments.order(c.actor(), c.params[0]), 200, order_json);
         }});

  // --- Withdrawals -------------------------------------------------------------------------------
  auto withdraw = [&payments](Context& c, int status) {
    auto body = parse_object(c.req.body);
    if (!body.ok()) return error_response(body.error());
    auto request = withdrawal_request(c.req, *body);
    if (!request.ok()) return error_response(request.error());
    return reply(payments.withdraw(c.actor(), *request), status, requested_json);
  };
  r.add({"POST", "/api/v1/wallet/withdrawals", Access::kUser, [withdraw](Context& c) { return withdraw(c, 201); },
         true});
  auto withdrawal_id_of = [](const store::Withdrawal& w) { return w.id; };
  r.add({"GET", "/api/v1/wallet/withdrawals", Access::kUser, [&payments, withdrawal_id_of](Context& c) {
           return paged(c.req, [&](store::Page p) { return payments.withdrawals(c.actor(), p); }, withdrawal_json,
                        withdrawal_id_of);
         }});
  r.add({"GET", "/api/v1/admin/withdrawals", Access::kAdmin, [&payments, withdrawal_id_of](Context& c) {
           std::optional<std::string> status = c.req.query_param("status");
           if (status && status->empty()) status.reset();
           if (status && *status != "REQUESTED" && *status != "PAID" && *status != "FAILED")
             return error_response(ErrorCode::kInvalidRequest, "status는 REQUESTED, PAID, FAILED 중 하나여야 합니다.");
           return paged(c.req, [&](store::Page p) { return payments.all_withdrawals(status, p); }, withdrawal_json,
                        withdrawal_id_of);
         }});
  r.add({"POST", "/api/v1/admin/withdrawals/{id}/paid", Access::kAdmin, [&payments](Context& c) {
           auto id = withdrawal_id(c.params[0]);
           if (!id.ok()) return error_response(id.error());
           return reply(payments.finish(*id, true, ""), 200, withdrawal_json);
         }});
  r.add({"POST", "/api/v1/admin/withdrawals/{id}/failed", Access::kAdmin, [&payments](Context& c) {
           auto id = withdrawal_id(c.params[0]);
           if (!id.ok()) return error_response(id.error());
           auto body = parse_object(c.req.body, true);
           if (!body.ok()) return error_response(body.error());
           auto reason = string_field(*body, "reason", 200);
           if (!reason.ok()) return error_response(reason.error());
           return reply(payments.finish(*id, false, reason->value_or("")), 200, withdrawal_json);
         }});

  // --- The predecessor's accounts ----------------------------------------------------------------
  r.add({"GET", "/api/v1/accounts/{userId}", Access::kUser, [&payments](Context& c) {
           const std::string user = c.params[0];
           return reply(payments.point(c.actor(), user), 200,
                        [&](long long point) { return Json{{"userId", user}, {"point", point}}; });
         }});
  r.add({"PUT", "/api/v1/accounts/{userId}/withdraw", Access::kUser, [withdraw](Context& c) {
           // A buyer withdraws from its own account only.
           if (c.params[0] != c.actor().user_id) return error_response(ErrorCode::kNotFound, "계정을 찾을 수 없습니다.");
           return withdraw(c, 200);
         }, true});
}

}  // namespace p720::http
