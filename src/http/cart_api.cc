// Routes of the cart (the predecessor's "selected" numbers): select, list, remove one, clear.
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

Json cart_json(const std::vector<app::CartEntry>& v) { return array_of(v, cart_entry_json); }

Response select(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto round = round_field(*body);
  if (!round.ok()) return error_response(round.error());
  auto spec = ticket_spec(*body);
  if (!spec.ok()) return error_response(spec.error());
  return reply(d.sales.select(c.actor(), *round, *spec), 201, cart_json);
}

Response list(const ApiDeps& d, Context& c) { return reply(d.sales.cart(c.actor()), 200, cart_json); }

Response remove(const ApiDeps& d, Context& c) {
  const auto id = id_segment(c.params[0]);
  if (!id) return error_response(make_error(ErrorCode::kNotFound, Subject::kCartItem));
  auto st = d.sales.remove(c.actor(), *id);
  return st.ok() ? no_content() : error_response(st.error());
}

Response clear(const ApiDeps& d, Context& c) {
  auto st = d.sales.clear(c.actor());
  return st.ok() ? no_content() : error_response(st.error());
}

}  // namespace

void add_cart_routes(Router& r, const Deps& d) {
  r.post("/api/v1/pension/selected").user().rate_limited().handle(with(d, select));
  r.get("/api/v1/pension/selected").user().handle(with(d, list));
  r.del("/api/v1/pension/selected/{id}").user().rate_limited().handle(with(d, remove));
  r.del("/api/v1/pension/selected").user().rate_limited().handle(with(d, clear));
}

}  // namespace p720::http
