// The payment provider of SPEC §3 "Money in and out": Toss Payments' confirm API over
// HttpsClient — POST {url}/v1/payments/confirm and GET {url}/v1/payments/orders/{orderId}, HTTP
// Basic with the secret key and an empty password. Thread-safe.
#pragma once

#include <string>

#include "app/payments.h"
#include "net/https_client.h"

namespace p720::net {

class TossProvider final : public app::PaymentProvider {
 public:
  // Throws std::invalid_argument for a URL parse_url refuses, std::runtime_error for a CA file
  // that cannot be loaded.
  TossProvider(const std::string& url, const std::string& secret_key, HttpClientOptions options);
  app::ProviderAnswer confirm(const std::string& payment_key, const std::string& order_id, long long amount) override;
  app::ProviderAnswer lookup(const std::string& order_id) override;

 private:
  // 200 with a Payment object → kPayment; 4xx with {code, message} → kRefused; anything else
  // (no answer, 401 — our key —, 5xx, a body that is not such JSON) → kNoAnswer.
  app::ProviderAnswer call(const std::string& method, const std::string& target, const std::string& body);

  Url url_;
  std::string authorization_;
  HttpsClient client_;
};

}  // namespace p720::net
