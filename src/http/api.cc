// make_api: the route files' tables on one Router (the routes themselves are in http/*_api.cc).
#include "http/api.h"

namespace p720::http {

std::unique_ptr<Router> make_api(ApiDeps deps) {
  auto router = std::make_unique<Router>(deps.auth);
  Router& r = *router;
  const Deps d = std::make_shared<const ApiDeps>(std::move(deps));
  add_round_routes(r, d);
  add_wallet_routes(r, d);
  add_cart_routes(r, d);
  add_purchase_routes(r, d);
  add_draw_routes(r, d);
  if (d->demo) add_demo_routes(r, d);
  if (d->accounts) add_auth_routes(r, d);
  if (d->payments) add_payment_routes(r, d);
  if (d->annuities) add_annuity_routes(r, d);
  add_ops_routes(r, d);
  return router;
}

}  // namespace p720::http
