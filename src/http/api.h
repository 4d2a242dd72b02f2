// The pension720 REST API: builds the Router with every route of SPEC §3. The routes live in one
// file per resource (http/rounds_api.cc, wallet_api.cc, cart_api.cc, purchases_api.cc,
// draws_api.cc, auth_api.cc, payments_api.cc, annuity_api.cc, demo_api.cc, ops_api.cc), each a
// table of named handlers that parse, call an application service and render — nothing else.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/accounts.h"
#include "app/annuities.h"
#include "app/draws.h"
#include "app/payments.h"
#include "app/sales.h"
#include "http/auth.h"
#include "http/router.h"
#include "store/store.h"

namespace p720::http {

struct ApiDeps {
  app::Sales& sales;
  app::Draws& draws;
  store::Store& store;
  const TokenAuthority& auth;
  const RoundCalendar& calendar;
  const app::Clock& clock;
  bool demo = false;
  // Extra health components (e.g. Redis): name → up?
  std::function<std::vector<std::pair<std::string, bool>>()> health_extras;
  // Prometheus text of the server's metrics.
  std::function<std::string()> metrics_text;
  // Accounts and sign-in (http/auth_api.cc); no sign-in routes when null.
  app::Accounts* accounts = nullptr;
  // Money in and out (http/payments_api.cc); no such routes when null.
  app::Payments* payments = nullptr;
  // Annuity installments and tax (http/annuity_api.cc); no such routes when null.
  app::Annuities* annuities = nullptr;
};

std::unique_ptr<Router> make_api(ApiDeps deps);

// --- For the route files ----------------------------------------------------------------------
// The dependencies, shared by every handler of the router (they live as long as it does).
using Deps = std::shared_ptr<const ApiDeps>;
// A named handler of a route file, given the dependencies.
using DepsHandler = Response (*)(const ApiDeps&, Context&);
using DepsAsyncHandler = void (*)(const ApiDeps&, std::shared_ptr<Context>, Reply);
inline Handler with(Deps d, DepsHandler fn) {
  return [d = std::move(d), fn](Context& c) { return fn(*d, c); };
}
inline AsyncHandler with(Deps d, DepsAsyncHandler fn) {
  return [d = std::move(d), fn](std::shared_ptr<Context> c, Reply reply) { fn(*d, std::move(c), std::move(reply)); };
}

// Each route file's table, added to `r` by make_api.
void add_round_routes(Router& r, const Deps& d);     // http/rounds_api.cc
void add_wallet_routes(Router& r, const Deps& d);    // http/wallet_api.cc
void add_cart_routes(Router& r, const Deps& d);      // http/cart_api.cc
void add_purchase_routes(Router& r, const Deps& d);  // http/purchases_api.cc
void add_draw_routes(Router& r, const Deps& d);      // http/draws_api.cc
void add_demo_routes(Router& r, const Deps& d);      // http/demo_api.cc (demo mode only)
void add_auth_routes(Router& r, const Deps& d);      // http/auth_api.cc (d->accounts set)
void add_payment_routes(Router& r, const Deps& d);   // http/payments_api.cc (d->payments set)
void add_annuity_routes(Router& r, const Deps& d);   // http/annuity_api.cc (d->annuities set)
void add_ops_routes(Router& r, const Deps& d);       // http/ops_api.cc: health, metrics, web page, OpenAPI

}  // namespace p720::http
