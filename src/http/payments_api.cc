// Route table and handlers of deposits through the payment provider, of withdrawals, and of the
// predecessor's accounts.
#include "domain/rules.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

Json order_json(const store::PaymentOrder& o) {
  Json out = {{"orderId", o.order_id},
              {"amount", o.amount},
              {"status", o.status},
              {"orderName", "예치금 충전"},
              {"createdAt", o.created_at}};
  if (!o.message.empty()) out["message"] = o.message;
  return out;
}

Json confirmed_json(const app::ConfirmedOrder& c) {
  return {{"orderId", c.order.order_id},
          {"amount", c.order.amount},
          {"balance", c.balance},
          {"status", c.order.status},
          {"paymentKey", c.order.payment_key}};
}

Json withdrawal_json(const store::Withdrawal& w) {
  Json out = {{"withdrawalId", w.id},        {"userId", w.user_id},       {"amount", w.amount},
              {"status", w.status},          {"bankCode", w.bank_code},   {"accountNumber", w.account_number},
              {"holderName", w.holder_name}, {"createdAt", w.created_at}, {"updatedAt", w.updated_at}};
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
  if (!*v || (*v)->empty()) return make_error(ErrorCode::kInvalidRequest, Subject::kField, name);
  return **v;
}

Result<long long> withdrawal_id(const std::string& s) {
  auto n = id_segment(s);
  if (!n) return make_error(ErrorCode::kNotFound, Subject::kWithdrawal);
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

// --- Deposits through the payment provider ---------------------------------------------------

Response create_order(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto amount = deposit_amount(*body);
  if (!amount.ok()) return error_response(amount.error());
  return reply(d.payments->create_order(c.actor(), *amount), 201, order_json);
}

Response confirm(const ApiDeps& d, Context& c, const std::string& order_id, const std::string& payment_key,
                 long long amount) {
  return reply(d.payments->confirm(c.actor(), order_id, payment_key, amount), 200, confirmed_json);
}

Response confirm_order(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto order_id = required_text(*body, "orderId", 64);
  if (!order_id.ok()) return error_response(order_id.error());
  auto payment_key = required_text(*body, "paymentKey", 200);
  if (!payment_key.ok()) return error_response(payment_key.error());
  auto amount = deposit_amount(*body);
  if (!amount.ok()) return error_response(amount.error());
  return confirm(d, c, *order_id, *payment_key, *amount);
}

// The predecessor's success redirect: the same confirmation from the query string.
Response payment_success(const ApiDeps& d, Context& c) {
  const auto order_id = c.req.query_param("orderId");
  const auto payment_key = c.req.query_param("paymentKey");
  const auto amount = c.req.query_param("amount");
  if (!order_id || order_id->empty() || order_id->size() > 64 || !payment_key || payment_key->empty() ||
      payment_key->size() > 200)
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kOrderRequest));
  const auto n = amount ? id_segment(*amount) : std::nullopt;
  if (!n || *n > kMaxDeposit) return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kAmount));
  return confirm(d, c, *order_id, *payment_key, *n);
}

Response order(const ApiDeps& d, Context& c) {
  return reply(d.payments->order(c.actor(), c.params[0]), 200, order_json);
}

// --- Withdrawals -------------------------------------------------------------------------------

Response withdraw(const ApiDeps& d, Context& c, int status) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto request = withdrawal_request(c.req, *body);
  if (!request.ok()) return error_response(request.error());
  return reply(d.payments->withdraw(c.actor(), *request), status, requested_json);
}

Response request_withdrawal(const ApiDeps& d, Context& c) { return withdraw(d, c, 201); }

long long withdrawal_id_of(const store::Withdrawal& w) { return w.id; }

Response my_withdrawals(const ApiDeps& d, Context& c) {
  return paged(
      c.req, [&](store::Page p) { return d.payments->withdrawals(c.actor(), p); }, withdrawal_json, withdrawal_id_of);
}

Response all_withdrawals(const ApiDeps& d, Context& c) {
  std::optional<std::string> status = c.req.query_param("status");
  if (status && status->empty()) status.reset();
  if (status && *status != "REQUESTED" && *status != "PAID" && *status != "FAILED")
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kWithdrawalStatus));
  return paged(
      c.req, [&](store::Page p) { return d.payments->all_withdrawals(status, p); }, withdrawal_json, withdrawal_id_of);
}

Response withdrawal_paid(const ApiDeps& d, Context& c) {
  auto id = withdrawal_id(c.params[0]);
  if (!id.ok()) return error_response(id.error());
  return reply(d.payments->finish(*id, true, ""), 200, withdrawal_json);
}

Response withdrawal_failed(const ApiDeps& d, Context& c) {
  auto id = withdrawal_id(c.params[0]);
  if (!id.ok()) return error_response(id.error());
  auto body = parse_object(c.req.body, true);
  if (!body.ok()) return error_response(body.error());
  auto reason = string_field(*body, "reason", 200);
  if (!reason.ok()) return error_response(reason.error());
  return reply(d.payments->finish(*id, false, reason->value_or("")), 200, withdrawal_json);
}

// --- The predecessor's accounts ----------------------------------------------------------------

Response account_point(const ApiDeps& d, Context& c) {
  const std::string user = c.params[0];
  return reply(d.payments->point(c.actor(), user), 200, [&](long long point) {
    return Json{{"userId", user}, {"point", point}};
  });
}

Response account_withdraw(const ApiDeps& d, Context& c) {
  // A buyer withdraws from its own account only.
  if (c.params[0] != c.actor().user_id) return error_response(make_error(ErrorCode::kNotFound, Subject::kAccount));
  return withdraw(d, c, 200);
}

}  // namespace

void add_payment_routes(Router& r, const Deps& d) {
  r.post("/api/v1/payments/orders").user().rate_limited().handle(with(d, create_order));
  r.post("/api/v1/payments/confirm").user().rate_limited().handle(with(d, confirm_order));
  r.post("/api/v1/payments/success").user().rate_limited().handle(with(d, payment_success));
  r.get("/api/v1/payments/orders/{orderId}").user().handle(with(d, order));
  r.post("/api/v1/wallet/withdrawals").user().rate_limited().handle(with(d, request_withdrawal));
  r.get("/api/v1/wallet/withdrawals").user().handle(with(d, my_withdrawals));
  r.get("/api/v1/admin/withdrawals").admin().handle(with(d, all_withdrawals));
  r.post("/api/v1/admin/withdrawals/{id}/paid").admin().handle(with(d, withdrawal_paid));
  r.post("/api/v1/admin/withdrawals/{id}/failed").admin().handle(with(d, withdrawal_failed));
  r.get("/api/v1/accounts/{userId}").user().handle(with(d, account_point));
  r.put("/api/v1/accounts/{userId}/withdraw").user().rate_limited().handle(with(d, account_withdraw));
}

}  // namespace p720::http
