// Payments: the order → confirm → credit flow, the reconciler's read-back, and withdrawals.
#include "app/payments.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "app/random_id.h"
#include "domain/rules.h"
#include "domain/text.h"

namespace p720::app {
namespace {

// "order-" and 32 random hex digits: within the provider's orderId rules (6–64 of [A-Za-z0-9_-]).
std::string new_order_id() { return random_id("order-", 16); }

Error no_provider() { return make_error(ErrorCode::kUnavailable, Subject::kPaymentService); }
Error provider_silent() { return make_error(ErrorCode::kUnavailable, Subject::kProvider); }
Error payment_failed(const std::string& message) {
  return make_error(ErrorCode::kPaymentFailed, Subject::kProvider, message);
}

// Provider statuses after which the payment will never be DONE.
bool ended_unpaid(const std::string& status) {
  return status == "CANCELED" || status == "PARTIAL_CANCELED" || status == "ABORTED" || status == "EXPIRED";
}

}  // namespace

Payments::Payments(store::Store& store, PaymentProvider* provider, const Clock& clock, PaymentsConfig config)
    : store_(store), provider_(provider), clock_(clock), config_(config) {}

std::string Payments::now_text() const { return format_kst(clock_.now()); }

Result<store::PaymentOrder> Payments::create_order(const Actor& actor, long long amount) {
  if (amount <= 0 || amount > kMaxDeposit) return make_error(ErrorCode::kInvalidRequest, Subject::kAmount);
  if (!provider_) return no_provider();
  store::PaymentOrder order;
  order.order_id = new_order_id();
  order.user_id = actor.user_id;
  order.amount = amount;
  order.created_at = now_text();
  return store_.create_order(order);
}

std::optional<Result<store::OrderSettlement>> Payments::settle_from(const store::PaymentOrder& order,
                                                                    const ProviderPayment& payment,
                                                                    const std::string& failure) {
  if (payment.status == "DONE") {
    if (payment.order_id != order.order_id || payment.total_amount != order.amount) {
      // Never credit what the order did not ask for; an operator must look at it.
      spdlog::error("{}", nlohmann::json({{"msg", "provider payment does not match its order"},
                                          {"orderId", order.order_id},
                                          {"paymentOrderId", payment.order_id},
                                          {"orderAmount", order.amount},
                                          {"paidAmount", payment.total_amount}})
                              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      return std::nullopt;
    }
    return store_.settle_order(order.order_id, true, payment.payment_key, "", now_text());
  }
  if (ended_unpaid(payment.status))
    return store_.settle_order(order.order_id, false, "", failure.empty() ? "결제가 취소되었습니다." : failure,
                               now_text());
  return std::nullopt;
}

Result<store::PaymentOrder> Payments::order(const Actor& actor, const std::string& order_id) {
  auto found = store_.find_order(order_id);
  if (!found.ok()) return found.error();
  if (!*found || (*found)->user_id != actor.user_id) return make_error(ErrorCode::kNotFound, Subject::kOrder);
  return **found;
}

Result<ConfirmedOrder> Payments::confirm(const Actor& actor, const std::string& order_id,
                                         const std::string& payment_key, long long amount) {
  auto found = this->order(actor, order_id);
  if (!found.ok()) return found.error();
  const store::PaymentOrder order = *found;
  if (amount != order.amount) return make_error(ErrorCode::kInvalidRequest, Subject::kOrderAmount);
  auto answer_of = [](const store::OrderSettlement& s) -> Result<ConfirmedOrder> {
    if (s.order.status == "DONE") return ConfirmedOrder{s.order, s.balance};
    if (s.order.status == "FAILED") return payment_failed(s.order.message);
    return provider_silent();
  };
  if (order.status == "DONE") {
    auto balance = store_.balance(order.user_id);
    if (!balance.ok()) return balance.error();
    return ConfirmedOrder{order, *balance};
  }
  if (order.status == "FAILED") return payment_failed(order.message);
  if (!provider_) return no_provider();

  const ProviderAnswer confirmed = provider_->confirm(payment_key, order_id, amount);
  if (confirmed.kind == ProviderAnswer::Kind::kNoAnswer) return provider_silent();
  if (confirmed.kind == ProviderAnswer::Kind::kPayment) {
    auto settled = settle_from(order, confirmed.payment, "");
    if (!settled) return provider_silent();
    if (!settled->ok()) return settled->error();
    return answer_of(**settled);
  }
  // Refused. The payment may still be DONE — confirmed a moment ago by another request or
  // instance (the provider then says ALREADY_PROCESSED_PAYMENT) — so the provider's record of
  // the order decides; without one the order failed with the refusal's message.
  const ProviderAnswer record = provider_->lookup(order_id);
  if (record.kind == ProviderAnswer::Kind::kNoAnswer) return provider_silent();
  if (record.kind == ProviderAnswer::Kind::kPayment) {
    auto settled = settle_from(order, record.payment, confirmed.message);
    // Still in progress (another confirm is being processed): the outcome is not known yet, so
    // the buyer is not told it failed; the order stays PENDING for a later confirm or the reconciler.
    if (!settled) return provider_silent();
    if (!settled->ok()) return settled->error();
    return answer_of(**settled);
  }
  // "Already processed / processing" without a record to show for it: not a refusal of the
  // payment, so the same — unknown, PENDING.
  if (confirmed.code.rfind("ALREADY_PROCESS", 0) == 0) return provider_silent();
  auto settled = store_.settle_order(order_id, false, "", confirmed.message, now_text());
  if (!settled.ok()) return settled.error();
  return answer_of(*settled);
}

int Payments::reconcile() {
  if (!provider_) return 0;
  const std::string before = format_kst(clock_.now() - config_.reconcile_after);
  auto pending = store_.pending_orders(before, 100);
  if (!pending.ok()) return 0;
  int settled = 0;
  for (const auto& order : *pending) {
    const ProviderAnswer record = provider_->lookup(order.order_id);
    std::optional<Result<store::OrderSettlement>> done;
    if (record.kind == ProviderAnswer::Kind::kNoAnswer) break;  // try again at the next run
    if (record.kind == ProviderAnswer::Kind::kPayment) {
      done = settle_from(order, record.payment, "");
    } else {
      done = store_.settle_order(order.order_id, false, "", "결제가 완료되지 않았습니다 (" + record.code + ").",
                                 now_text());
    }
    if (done && done->ok() && (**done).order.status != "PENDING") ++settled;
  }
  return settled;
}

Result<store::Withdrawal> Payments::withdraw(const Actor& actor, const WithdrawalRequest& request) {
  if (request.amount < config_.min_withdrawal || request.amount > kMaxBalance)
    return make_error(ErrorCode::kInvalidRequest, Subject::kWithdrawalAmount, std::to_string(config_.min_withdrawal));
  auto digits = [](const std::string& s, size_t lo, size_t hi, bool hyphens) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] >= '0' && s[i] <= '9') ++n;
      else if (!(hyphens && s[i] == '-' && i > 0 && i + 1 < s.size() && s[i - 1] != '-')) return false;
    }
    return n >= lo && n <= hi;
  };
  if (!digits(request.bank_code, 2, 3, false)) return make_error(ErrorCode::kInvalidRequest, Subject::kBankCode);
  if (!digits(request.account_number, 6, 20, true))
    return make_error(ErrorCode::kInvalidRequest, Subject::kAccountNumber);
  const auto name_length = utf8_code_points(request.holder_name, false);
  if (!name_length || *name_length < 1 || *name_length > 50)
    return make_error(ErrorCode::kInvalidRequest, Subject::kHolderName);
  store::WithdrawalCommand cmd{actor.user_id,       request.amount, request.bank_code, request.account_number,
                               request.holder_name, now_text(),     request.idem_key,  request.idem_hash};
  return store_.request_withdrawal(cmd);
}

Result<std::vector<store::Withdrawal>> Payments::withdrawals(const Actor& actor, store::Page page) {
  return store_.withdrawals(actor.user_id, std::nullopt, page);
}

Result<std::vector<store::Withdrawal>> Payments::all_withdrawals(const std::optional<std::string>& status,
                                                                 store::Page page) {
  return store_.withdrawals(std::nullopt, status, page);
}

Result<store::Withdrawal> Payments::finish(long long id, bool paid, const std::string& reason) {
  return store_.finish_withdrawal(id, paid, reason, now_text());
}

Result<long long> Payments::point(const Actor& actor, const std::string& user) {
  if (!actor.admin && user != actor.user_id) return make_error(ErrorCode::kNotFound, Subject::kAccount);
  return store_.balance(user);
}

}  // namespace p720::app
