// Money in and out (SPEC §3 "Money in and out"): deposits through the payment provider — orders
// whose amount the server fixes, confirmed with the provider and credited exactly once, pending
// ones settled later by the reconciler — and withdrawals, debited when requested and refunded
// once when they fail. The final, atomic decisions are the store's. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/clock.h"
#include "app/sales.h"
#include "domain/status.h"
#include "store/store.h"

namespace p720::app {

// A payment as the provider reports it (Toss: the Payment object's fields we use).
struct ProviderPayment {
  std::string payment_key;
  std::string order_id;
  std::string status;  // DONE when the money was taken; IN_PROGRESS, WAITING_FOR_DEPOSIT, CANCELED, ABORTED, EXPIRED, …
  long long total_amount = 0;
  std::string approved_at;
  std::string method;
};

// What one call to the provider gave: its payment, its refusal ({code, message}), or nothing.
struct ProviderAnswer {
  enum class Kind { kPayment, kRefused, kNoAnswer };
  Kind kind = Kind::kNoAnswer;
  ProviderPayment payment;  // kPayment
  std::string code;         // kRefused
  std::string message;      // kRefused
};

// The payment provider's API (net::TossProvider speaks Toss Payments'). Thread-safe.
class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // Confirms (captures) the payment the buyer authorised.
  virtual ProviderAnswer confirm(const std::string& payment_key, const std::string& order_id, long long amount) = 0;
  // Reads the payment of an order back; kRefused (e.g. NOT_FOUND_PAYMENT) when there is none.
  virtual ProviderAnswer lookup(const std::string& order_id) = 0;
};

struct PaymentsConfig {
  long long min_withdrawal = 1000;  // wallet.min-withdrawal
  // The reconciler reads back orders pending at least this long (psp.reconcile-after-seconds);
  // one the provider has no finished payment for is then marked FAILED. The provider lets a
  // buyer's authorisation be confirmed for 10 minutes, hence the default.
  std::chrono::seconds reconcile_after{600};
};

struct ConfirmedOrder {
  store::PaymentOrder order;
  long long balance = 0;
};

// A withdrawal request as a client gives it.
struct WithdrawalRequest {
  long long amount = 0;
  std::string bank_code, account_number, holder_name;
  std::string idem_key, idem_hash;
};

class Payments {
 public:
  // `provider` may be null (psp.url not set): orders and confirms then answer UNAVAILABLE.
  Payments(store::Store& store, PaymentProvider* provider, const Clock& clock, PaymentsConfig config);

  // A new PENDING order of `amount` (1 … kMaxDeposit) for the actor, with a fresh orderId.
  Result<store::PaymentOrder> create_order(const Actor& actor, long long amount);
  // The actor's order (NOT_FOUND for an unknown one or another's).
  Result<store::PaymentOrder> order(const Actor& actor, const std::string& order_id);
  // Confirms the actor's order with the provider and credits it, exactly once. NOT_FOUND for an
  // unknown order or another's, INVALID_REQUEST when `amount` is not the order's,
  // PAYMENT_FAILED (the provider's message) when it refused, UNAVAILABLE when it did not answer
  // (the order stays PENDING). A DONE order answers the same again without asking the provider.
  Result<ConfirmedOrder> confirm(const Actor& actor, const std::string& order_id, const std::string& payment_key,
                                 long long amount);
  // Reads back PENDING orders old enough (PaymentsConfig::reconcile_after) and settles them:
  // credited once when the provider took the money, FAILED when it has no such payment. Returns
  // how many it settled. Safe on several instances at once.
  int reconcile();

  // Debits the actor's wallet: INVALID_REQUEST below min_withdrawal or for a bank code that is
  // not 2–3 digits, an account number not of 6–20 digits (hyphens allowed between them) or a
  // holder name not of 1–50 characters; NOT_ENOUGH_MONEY above the balance; a repeated Idempotency-Key answers the first request's withdrawal.
  Result<store::Withdrawal> withdraw(const Actor& actor, const WithdrawalRequest& request);
  // The actor's withdrawals; an ADMIN's view of everyone's (optionally of one status).
  Result<std::vector<store::Withdrawal>> withdrawals(const Actor& actor, store::Page page);
  Result<std::vector<store::Withdrawal>> all_withdrawals(const std::optional<std::string>& status, store::Page page);
  // ADMIN: REQUESTED → PAID, or → FAILED with the refund; ALREADY_PROCESSED after the first.
  Result<store::Withdrawal> finish(long long id, bool paid, const std::string& reason);

  // The balance of `user` for the predecessor's GET /accounts/{userId}: the actor's own, or any
  // for an ADMIN (NOT_FOUND otherwise).
  Result<long long> point(const Actor& actor, const std::string& user);

  long long min_withdrawal() const { return config_.min_withdrawal; }

 private:
  // Settles `order` from the provider's payment: credited when it is DONE for this order and
  // amount; FAILED when it ended otherwise (`failure`: the message to keep); nullopt while it is
  // still in progress.
  std::optional<Result<store::OrderSettlement>> settle_from(const store::PaymentOrder& order,
                                                            const ProviderPayment& payment, const std::string& failure);
  std::string now_text() const;

  store::Store& store_;
  PaymentProvider* provider_;
  const Clock& clock_;
  PaymentsConfig config_;
};

}  // namespace p720::app
