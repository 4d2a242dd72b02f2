// Routing: method + path pattern ("/api/v1/pension/selected/{id}") → handler, with the access
// check (public / user / admin) done here, before any handler runs. Handlers never see sockets.
// Thread-safe after construction (add() only during setup).
#pragma once

#include <deque>
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

// One route, built by name rather than by position:
//   r.get("/api/v1/wallet").user().handle(...)      r.post(...).user().rate_limited().handle_async(...)
// Public, rate-unlimited and run on the worker pool unless said otherwise.
class Route {
 public:
  Route(std::string method, std::string pattern) : method_(std::move(method)), pattern_(std::move(pattern)) {}
  Route& user() { return access(Access::kUser); }    // a signed-in caller
  Route& admin() { return access(Access::kAdmin); }  // an ADMIN caller
  Route& access(Access a) {
    access_ = a;
    return *this;
  }
  // Counted against the caller's rate limit.
  Route& rate_limited() {
    rate_limited_ = true;
    return *this;
  }
  // The handler never waits (no store, no network, no lock held long): run it on the I/O thread
  // that read the request instead of handing it to the worker pool and back.
  Route& on_io_thread() {
    io_thread_ = true;
    return *this;
  }
  Route& handle(Handler h) {
    handler_ = std::move(h);
    return *this;
  }
  // An asynchronous handler: it starts on the I/O thread and answers through its Reply.
  Route& handle_async(AsyncHandler h) {
    async_handler_ = std::move(h);
    return *this;
  }

  const std::string& method() const { return method_; }
  const std::string& pattern() const { return pattern_; }
  Access access() const { return access_; }
  bool is_rate_limited() const { return rate_limited_; }
  bool is_async() const { return async_handler_ != nullptr; }
  // Starts on the I/O thread: asynchronous, or marked on_io_thread.
  bool starts_on_io_thread() const { return is_async() || io_thread_; }
  const Handler& handler() const { return handler_; }
  const AsyncHandler& async_handler() const { return async_handler_; }

 private:
  std::string method_;
  std::string pattern_;
  Access access_ = Access::kPublic;
  bool rate_limited_ = false;
  bool io_thread_ = false;
  Handler handler_;
  AsyncHandler async_handler_;
};

class Router {
 public:
  // 0 → go on; otherwise 429 with Retry-After of that many seconds.
  using Limiter = std::function<int(const std::string& user)>;

  explicit Router(const TokenAuthority& auth) : auth_(auth) {}
  // A new route of `method` and `pattern`, to be finished by the caller (see Route).
  Route& add(std::string method, std::string pattern) {
    return routes_.emplace_back(std::move(method), std::move(pattern));
  }
  Route& get(std::string pattern) { return add("GET", std::move(pattern)); }
  Route& post(std::string pattern) { return add("POST", std::move(pattern)); }
  Route& put(std::string pattern) { return add("PUT", std::move(pattern)); }
  Route& del(std::string pattern) { return add("DELETE", std::move(pattern)); }
  void set_limiter(Limiter limiter) { limiter_ = std::move(limiter); }

  // Finds the route, checks access and runs the handler; `reply` gets the response (at once for
  // a synchronous handler or an error). `route_out` receives the pattern matched ("" for none),
  // for metrics. `req` must stay alive until reply is called.
  void dispatch(const Request& req, std::string* route_out, Reply reply) const;
  // The same, waiting for the response.
  Response dispatch(const Request& req, std::string* route_out = nullptr) const;
  // True when the request's route starts on the I/O thread: an asynchronous handler (it waits
  // without holding a thread) or one marked on_io_thread. Other routes run on the worker pool.
  bool on_io_thread(const Request& req) const;
  const std::deque<Route>& routes() const { return routes_; }

 private:
  const TokenAuthority& auth_;
  std::deque<Route> routes_;  // a deque: add() hands out references that stay valid
  Limiter limiter_;
};

}  // namespace p720::http
