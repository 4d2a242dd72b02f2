// Predecessor mode: the predecessor's routes and its plain-text error bodies.
#include "http/compat.h"

namespace p720::http {
namespace {

// `path` is `prefix` or lies under it ("/a" matches "/a" and "/a/b", not "/ab").
bool under(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

bool is_predecessor_route(std::string_view method, std::string_view path) {
  // Every method: the cart, the draw and statistics reads, the auth server, accounts, payments.
  for (std::string_view prefix : {"/api/v1/pension/selected", "/api/v1/pension-win", "/api/v1/pension-bonus",
                                  "/api/v1/statistics", "/auth", "/api/v1/accounts", "/api/v1/payments/success"})
    if (under(path, prefix)) return true;
  // Checkout, and the predecessor's reads under /api/v1/pension (history, purchased, round).
  if (path == "/api/v1/pension/purchased") return true;
  return method == "GET" && under(path, "/api/v1/pension");
}

void render_predecessor_error(std::string_view method, std::string_view path, Response& res) {
  if (res.status < 400 || res.error_message.empty() || !is_predecessor_route(method, path)) return;
  res.body = res.error_message;
  res.content_type = "text/plain; charset=utf-8";
}

}  // namespace p720::http
