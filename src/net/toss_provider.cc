// TossProvider: the two calls, and the provider's JSON turned into ProviderAnswer.
#include "net/toss_provider.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace p720::net {
namespace {

std::string base64_of(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// orderId as the provider allows it, so it can go into a URL path as it is.
bool plain_order_id(const std::string& id) {
  if (id.size() < 6 || id.size() > 64) return false;
  for (unsigned char ch : id)
    if (!std::isalnum(ch) && ch != '-' && ch != '_') return false;
  return true;
}

std::string text_of(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

TossProvider::TossProvider(const std::string& url, const std::string& secret_key, HttpClientOptions options)
    : authorization_("Basic " + base64_of(secret_key + ":")), client_(std::move(options)) {
  auto parsed = parse_url(url);
  if (!parsed) throw std::invalid_argument("psp.url must be http(s)://host[:port][/path], got '" + url + "'");
  url_ = *parsed;
}

app::ProviderAnswer TossProvider::confirm(const std::string& payment_key, const std::string& order_id,
                                          long long amount) {
  return call("POST", "/v1/payments/confirm",
              nlohmann::json{{"paymentKey", payment_key}, {"orderId", order_id}, {"amount", amount}}.dump());
}

app::ProviderAnswer TossProvider::lookup(const std::string& order_id) {
  if (!plain_order_id(order_id))
    return app::ProviderAnswer{app::ProviderAnswer::Kind::kRefused, {}, "NOT_FOUND_PAYMENT", ""};
  return call("GET", "/v1/payments/orders/" + order_id, "");
}

app::ProviderAnswer TossProvider::call(const std::string& method, const std::string& target, const std::string& body) {
  using Kind = app::ProviderAnswer::Kind;
  std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", authorization_},
                                                              {"Accept", "application/json"}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto answer = client_.send(url_, method, target, headers, body);
  if (!answer.ok()) return {};
  auto json = nlohmann::json::parse(answer->body, nullptr, false);
  auto log_odd = [&](const char* why) {
    spdlog::warn("{}", nlohmann::json({{"msg", why}, {"target", target}, {"status", answer->status}})
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return app::ProviderAnswer{};
  };
  if (!json.is_object()) return log_odd("payment provider answered something that is not a JSON object");
  if (answer->status == 200) {
    app::ProviderPayment p;
    p.payment_key = text_of(json, "paymentKey");
    p.order_id = text_of(json, "orderId");
    p.status = text_of(json, "status");
    p.approved_at = text_of(json, "approvedAt");
    p.method = text_of(json, "method");
    auto total = json.find("totalAmount");
    if (total == json.end() || !total->is_number_integer() || p.status.empty())
      return log_odd("payment provider's payment lacks status or totalAmount");
    p.total_amount = total->get<long long>();
    return app::ProviderAnswer{Kind::kPayment, std::move(p), "", ""};
  }
  // 401 (UNAUTHORIZED_KEY, INVALID_API_KEY) means our key is wrong: the operator's fault, not the
  // buyer's, so like no answer (the order stays PENDING until the key is fixed). 403 is a refusal
  // of the payment (REJECT_CARD_COMPANY, …).
  const std::string code = text_of(json, "code");
  if (answer->status == 401 || code == "UNAUTHORIZED_KEY" || code == "INVALID_API_KEY")
    return log_odd("payment provider refused our credentials");
  if (answer->status >= 400 && answer->status < 500 && answer->status != 408 && answer->status != 429) {
    return app::ProviderAnswer{Kind::kRefused, {}, code, text_of(json, "message")};
  }
  return log_odd("payment provider answered an unexpected status");
}

}  // namespace p720::net
