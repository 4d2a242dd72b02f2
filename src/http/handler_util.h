// Pieces every route handler shares: JSON answers, Idempotency-Key and its request fingerprint,
// the paging of unbounded lists (SPEC §3), and the validation of rounds and ids — written once
// here for every route file (http/*_api.cc).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/draws.h"
#include "http/errors.h"
#include "http/json_codec.h"
#include "http/message.h"
#include "store/store.h"

namespace p720::http {

inline Response json(int status, const Json& body) { return json_response(status, body); }

inline Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

template <class T, class F>
Response reply(const Result<T>& result, int status, F&& render) {
  if (!result.ok()) return error_response(result.error());
  return json(status, render(result.value()));
}

template <class T, class F>
Json array_of(const std::vector<T>& items, F&& render) {
  Json out = Json::array();
  for (const auto& i : items) out.push_back(render(i));
  return out;
}

// Fingerprint of a request for Idempotency-Key: method, path and canonical JSON body. Empty
// when the request carries no key (nothing to compare against).
std::string request_hash(const Request& req, const Json& body, const std::string& key);
// The request's Idempotency-Key ("" when it has none); INVALID_REQUEST for a malformed one.
Result<std::string> idempotency_key(const Request& req);

// Paging of the lists that can grow without bound (SPEC §3): `limit` rows a page (default and
// maximum below, also in the OpenAPI document), the next page named by `before` (a row id).
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

Result<store::Page> page_param(const Request& req);

// A row id from a path segment or query value: 1–18 decimal digits, positive; nullopt otherwise
// (callers answer with their resource's NOT_FOUND or INVALID_REQUEST).
std::optional<long long> id_segment(std::string_view s);
// A round from a path segment: 1–6 decimal digits, at least 1 (INVALID_REQUEST otherwise).
Result<int> round_segment(std::string_view s);
// The `round` query parameter, the same way; `fallback` when absent (INVALID_REQUEST without one).
Result<int> round_param(const Request& req, std::optional<int> fallback);
// A deposit's "amount" of a JSON body: an integer in [1, kMaxDeposit] won, required.
Result<long long> deposit_amount(const Json& body);
// A round of a JSON body: an integer in [1, app::kMaxRound], required.
Result<int> round_field(const Json& obj, const char* name = "round");

// One page as a bare JSON array. `rows` was read with limit + 1: a row beyond the page means
// more follow, named in `Link: <path?…&limit=L&before=ID>; rel="next"` (RFC 8288), ID being the
// last row's on this page.
template <class T, class F, class Id>
Response page_reply(const Request& req, Result<std::vector<T>> rows, const store::Page& page, F&& render, Id&& id_of) {
  if (!rows.ok()) return error_response(rows.error());
  const bool more = rows->size() > static_cast<size_t>(page.limit);
  if (more) rows->resize(static_cast<size_t>(page.limit));
  Json out = Json::array();
  for (const auto& row : *rows) out.push_back(render(row));
  Response r = json(200, out);
  if (more) {
    std::string query;
    for (size_t start = 0; start <= req.query.size();) {
      const size_t amp = std::min(req.query.find('&', start), req.query.size());
      const std::string_view part(req.query.data() + start, amp - start);
      const auto name = part.substr(0, part.find('='));
      if (!part.empty() && name != "limit" && name != "before") query.append(part).append("&");
      start = amp + 1;
    }
    query += "limit=" + std::to_string(page.limit) + "&before=" + std::to_string(id_of(rows->back()));
    r.headers.emplace_back("Link", "<" + req.path + "?" + query + ">; rel=\"next\"");
  }
  return r;
}

// The page to read from the store: one row more than the client's, to tell whether more follow.
inline store::Page one_more(store::Page page) {
  ++page.limit;
  return page;
}

// A paged list route's answer: the client's page (page_param), `read` of one row more, rendered.
template <class Read, class F, class Id>
Response paged(const Request& req, Read&& read, F&& render, Id&& id_of) {
  auto page = page_param(req);
  if (!page.ok()) return error_response(page.error());
  return page_reply(req, read(one_more(*page)), *page, render, id_of);
}

}  // namespace p720::http
