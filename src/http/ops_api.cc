// Routes of operations and of the web page: health, Prometheus metrics, the OpenAPI document and
// the page's static files.
#include <future>

#include "http/api.h"
#include "http/handler_util.h"
#include "http/web_assets.h"

namespace p720::http {
namespace {

// How long a health check waits for the store's write probe (SPEC §3: health answers promptly
// whatever the store does; a load balancer's check usually gives up after 1–2 s).
constexpr auto kHealthDeadline = std::chrono::milliseconds(900);

// The web page's own rules for the browser: scripts, styles and requests from this origin only
// (no inline code, no other server to send a token to), never framed, no referrer, no sniffing.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

Response static_asset(std::string_view name, std::string content_type) {
  for (const auto& a : web_assets())
    if (a.name == name) {
      Response r;
      r.body = std::string(a.body);
      r.content_type = std::move(content_type);
      r.headers = {{"Content-Security-Policy", kContentSecurityPolicy},
                   {"X-Content-Type-Options", "nosniff"},
                   {"X-Frame-Options", "DENY"},
                   {"Referrer-Policy", "no-referrer"}};
      return r;
    }
  return error_response(make_error(ErrorCode::kNotFound, Subject::kFile));
}

// The store is UP when a write can commit now: a probe through the writer's queue and commit (a
// full disk or a lost database fails it), answered within kHealthDeadline whatever the store
// does — UNKNOWN when it has not answered by then.
Json store_health(store::Store& s) {
  auto probe = std::make_shared<std::promise<Status>>();
  auto answer = probe->get_future();
  s.probe_async([probe](Status st) { probe->set_value(std::move(st)); });
  if (answer.wait_for(kHealthDeadline) != std::future_status::ready)
    return {{"status", "UNKNOWN"}, {"reason", "TIMEOUT"}};
  if (const Status st = answer.get(); !st.ok())
    return {{"status", "DOWN"}, {"reason", error_code_name(st.error().code)}};
  return {{"status", "UP"}};
}

Response health(const ApiDeps& d, Context&) {
  Json store = store_health(d.store);
  const bool store_up = store["status"] == "UP";
  Json components = {{"store", store}};
  // Redis is optional: its outage degrades holds but the service still sells.
  if (d.health_extras)
    for (const auto& [name, up] : d.health_extras()) components[name] = {{"status", up ? "UP" : "DOWN"}};
  return json(store_up ? 200 : 503, {{"status", store_up ? "UP" : "DOWN"}, {"components", components}});
}

Response metrics(const ApiDeps& d, Context&) {
  Response resp;
  resp.body = d.metrics_text ? d.metrics_text() : "";
  resp.content_type = "text/plain; version=0.0.4";
  return resp;
}

Response openapi(const ApiDeps&, Context&) { return static_asset("openapi.json", "application/json; charset=utf-8"); }
Response index_html(const ApiDeps&, Context&) { return static_asset("index.html", "text/html; charset=utf-8"); }
Response app_js(const ApiDeps&, Context&) { return static_asset("app.js", "text/javascript; charset=utf-8"); }
Response style_css(const ApiDeps&, Context&) { return static_asset("style.css", "text/css; charset=utf-8"); }

}  // namespace

void add_ops_routes(Router& r, const Deps& d) {
  r.get("/actuator/health").handle(with(d, health));
  r.get("/metrics").handle(with(d, metrics));
  r.get("/openapi.json").handle(with(d, openapi));
  r.get("/").handle(with(d, index_html));
  r.get("/app.js").handle(with(d, app_js));
  r.get("/style.css").handle(with(d, style_css));
}

}  // namespace p720::http
