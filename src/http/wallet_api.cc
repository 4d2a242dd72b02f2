// Routes of the wallet: its balance, its ledger and deposits (deposits through the payment
// provider and withdrawals are in http/payments_api.cc).
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

Response balance(const ApiDeps& d, Context& c) {
  auto actor = c.actor();
  return reply(d.sales.balance(actor), 200, [&](long long b) {
    return Json{{"userId", actor.user_id}, {"balance", b}};
  });
}

Response transactions(const ApiDeps& d, Context& c) {
  return paged(
      c.req, [&](store::Page p) { return d.sales.transactions(c.actor(), p); }, ledger_json,
      [](const store::LedgerEntry& e) { return e.id; });
}

// The wallet to credit: userId (a string, or the predecessor's integer), the caller's by default.
Result<std::string> deposit_target(const Json& body, const app::Actor& actor) {
  auto target = string_field(body, "userId", 64);
  if (!target.ok()) {
    auto n = int_field(body, "userId", 0, INT64_MAX, false);
    if (!n.ok()) return target.error();
    target = std::optional<std::string>(std::to_string(**n));
  }
  std::string user = target->value_or(actor.user_id);
  if (user.empty()) return make_error(ErrorCode::kInvalidRequest, Subject::kFieldEmpty, "userId");
  return user;
}

Response deposit(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto amount = deposit_amount(*body);
  if (!amount.ok()) return error_response(amount.error());
  auto user = deposit_target(*body, c.actor());
  if (!user.ok()) return error_response(user.error());
  return reply(d.sales.deposit(c.actor(), *user, *amount), 200, [&](long long b) {
    return Json{{"userId", *user}, {"balance", b}};
  });
}

}  // namespace

void add_wallet_routes(Router& r, const Deps& d) {
  r.get("/api/v1/wallet").user().handle(with(d, balance));
  r.get("/api/v1/wallet/transactions").user().handle(with(d, transactions));
  r.post("/api/v1/wallet/deposit").user().rate_limited().handle(with(d, deposit));
}

}  // namespace p720::http
