// Router: pattern matching and access control.
#include "http/router.h"

#include <future>

#include "http/errors.h"

namespace p720::http {
namespace {

// Matches "/a/{x}/b" against "/a/7/b", collecting "7".
bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pseg = pattern.substr(0, pattern.find('/'));
    auto seg = path.substr(0, path.find('/'));
    if (!pseg.empty() && pseg.front() == '{') {
      if (seg.empty()) return false;
      params.emplace_back(seg);
    } else if (pseg != seg) {
      return false;
    }
    pattern.remove_prefix(pseg.size());
    path.remove_prefix(seg.size());
  }
  return true;
}

}  // namespace

void Router::dispatch(const Request& req, std::string* route_out, Reply reply) const {
  std::vector<std::string> params;
  bool path_known = false;
  for (const auto& route : routes_) {
    if (!match(route.pattern(), req.path, params)) continue;
    path_known = true;
    if (route.method() != req.method) continue;
    if (route_out) *route_out = route.pattern();
    auto ctx = std::make_shared<Context>(Context{req, std::move(params), std::nullopt});
    if (route.access() != Access::kPublic) {
      auto claims = auth_.verify_header(req.header("authorization"));
      if (!claims.ok()) return reply(error_response(claims.error()));
      if (route.access() == Access::kAdmin && !claims->admin)
        return reply(error_response(make_error(ErrorCode::kForbidden, Subject::kAdminRoute)));
      if (route.is_rate_limited() && limiter_)
        if (const int wait = limiter_(claims->user_id); wait > 0) {
          Error e = make_error(ErrorCode::kTooManyRequests, Subject::kNone);
          e.retry_after = wait;
          return reply(error_response(e));
        }
      ctx->claims = std::move(*claims);
    }
    if (route.is_async()) return route.async_handler()(std::move(ctx), std::move(reply));
    return reply(route.handler()(*ctx));
  }
  if (route_out) *route_out = "";
  if (path_known) return reply(error_response(make_error(ErrorCode::kNotFound, Subject::kMethod, req.method)));
  reply(error_response(make_error(ErrorCode::kNotFound, Subject::kPath, req.path)));
}

Response Router::dispatch(const Request& req, std::string* route_out) const {
  std::promise<Response> promise;
  auto future = promise.get_future();
  dispatch(req, route_out, [&promise](Response r) { promise.set_value(std::move(r)); });
  return future.get();
}

bool Router::on_io_thread(const Request& req) const {
  std::vector<std::string> params;
  for (const auto& route : routes_)
    if (route.method() == req.method && match(route.pattern(), req.path, params)) return route.starts_on_io_thread();
  return false;
}

}  // namespace p720::http
