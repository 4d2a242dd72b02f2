// Routing: method + path pattern ("/api/v1/pension/selected/{id}") → handler, with the access
// check (public / user / admin) done here, before any handler runs. Handlers never see sockets.
// Thread-safe after construction (add() only during setup).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/sales.h"
#include "http/auth.h"
#include "http/message.h"

namespace p720::http {

enum class Access { kPublic, kUser, kAdmin };

struct Context {
  const Request& req;
  std::vector<std::string> params;  // the {…} segments of the pattern, in order
  std::optional<Claims> claims;     // set for kUser / kAdmin routes
  app::Actor actor() const { return claims ? app::Actor{claims->user_id, claims->admin} : app::Actor{}; }
};

using Handler = std::function<Response(Context&)>;
// An asynchronous handler answers through `reply`, possibly later and from another thread. The
// Context lives until reply is called. Used by the purchase routes, which wait for a group commit
// without holding a thread.
using Reply = std::function<void(Response)>;
using AsyncHandler = std::function<void(std::shared_ptr<Context>, Reply)>;

struct Route {
  std::string method;
  std::string pattern;
  Access access;
  Handler handler;
  bool rate_limited = false;  // counted against the caller's rate limit
  AsyncHandler async_handler = nullptr;  // when set, used instead of `handler`
  // The handler never waits (no store, no network, no lock held long): run it on the I/O thread
  // that read the request instead of handing it to the worker pool and back.
  bool io_thread = false;
};

class Router {
 public:
  // 0 → go on; otherwise 429 with Retry-After of that many seconds.
  using Limiter = std::function<int(const std::string& user)>;

  explicit Router(const TokenAuthority& auth) : auth_(auth) {}
  void add(Route route) { routes_.push_back(std::move(route)); }
  void set_limiter(Limiter limiter) { limiter_ = std::move(limiter); }

  // Finds the route, checks access and runs the handler; `reply` gets the response (at once for
  // a synchronous handler or an error). `route_out` receives the pattern matched ("" for none),
  // for metrics. `req` must stay alive until reply is called.
  void dispatch(const Request& req, std::string* route_out, Reply reply) const;
  // The same, waiting for the response.
  Response dispatch(const Request& req, std::string* route_out = nullptr) const;
  // True when the request's route starts on the I/O thread: an asynchronous handler (it waits
  // without holding a thread) or one marked io_thread. Other routes run on the worker pool.
  bool on_io_thread(const Request& req) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  const TokenAuthority& auth_;
  std::vector<Route> routes_;
  Limiter limiter_;
};

}  // namespace p720::http
