// Predecessor mode (SPEC §3): which routes are the predecessor's, and how their errors look in
// that mode — the Korean message alone as text/plain, as its ResponseEntity<String> handlers
// answered — so its React front end (`alert(error.response.data)`) works unchanged.
#pragma once

#include <string_view>

#include "http/message.h"

namespace p720::http {

// True for the routes the predecessor's front end calls: the cart, checkout, GET /api/v1/pension…,
// pension-win, pension-bonus, statistics, /auth/…, /api/v1/accounts/…, /api/v1/payments/success.
// Matched on the path (and method), so unknown paths and refusals before routing count as well.
bool is_predecessor_route(std::string_view method, std::string_view path);

// When `res` is an error of a predecessor route: its body becomes the message alone, as
// text/plain; charset=utf-8, with the same status and headers. Anything else is left as it is.
void render_predecessor_error(std::string_view method, std::string_view path, Response& res);

}  // namespace p720::http
