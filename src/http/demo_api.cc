// Route of demo mode: a sign-in for a new visitor (SPEC §3 "Demo"). Registered only in demo mode.
#include "app/random_id.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

// How long a demo token lasts.
constexpr auto kDemoTokenLife = std::chrono::hours(24);

Response demo_token(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body.empty() ? std::string("{}") : c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto name = string_field(*body, "name", 64);
  if (!name.ok()) return error_response(name.error());
  // Every demo sign-in is a new visitor with an id of its own: the demo never signs in as
  // anyone else — neither a real account nor another visitor (a userId sent is ignored).
  const std::string user = app::random_id("demo-", 8);
  Claims claims{user, *name ? **name : "", "", false};
  claims.demo = true;
  return json(201, {{"token", d.auth.issue(claims, kDemoTokenLife)}, {"userId", user}});
}

}  // namespace

void add_demo_routes(Router& r, const Deps& d) {
  r.post("/api/v1/demo/token").rate_limited().handle(with(d, demo_token));
}

}  // namespace p720::http
