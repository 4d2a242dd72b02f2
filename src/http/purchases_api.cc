// Routes of purchases: checkout of the cart, direct purchase, the caller's tickets, and a
// round's sold tickets as CSV (ADMIN). The two purchase routes are asynchronous: they wait for
// their group commit without holding a thread, and answer on an I/O thread.
#include "http/api.h"
#include "http/csv.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

// The most tickets one direct purchase may name.
constexpr size_t kMaxTicketsPerPurchase = 100;
// Rows of the CSV export read from the store at a time.
constexpr int kExportPage = 5000;

std::function<void(Result<store::PurchaseRecord>)> purchase_reply(Reply reply) {
  return [reply = std::move(reply)](Result<store::PurchaseRecord> rec) {
    reply(rec.ok() ? json(201, purchase_json(*rec)) : error_response(rec.error()));
  };
}

// The async handler's signature (router.h AsyncHandler) takes the context by value.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void checkout(const ApiDeps& d, std::shared_ptr<Context> c, Reply reply) {
  auto body = parse_object(c->req.body, true);
  if (!body.ok()) return reply(error_response(body.error()));
  auto key = idempotency_key(c->req);
  if (!key.ok()) return reply(error_response(key.error()));
  d.sales.checkout_async(c->actor(), *key, request_hash(c->req, *body, *key), purchase_reply(std::move(reply)));
}

// The "tickets" of a direct purchase: a non-empty array of at most kMaxTicketsPerPurchase.
Result<std::vector<app::TicketSpec>> ticket_specs(const Json& body) {
  auto list = body.find("tickets");
  if (list == body.end() || !list->is_array() || list->empty())
    return make_error(ErrorCode::kInvalidRequest, Subject::kTicketList);
  if (list->size() > kMaxTicketsPerPurchase) return make_error(ErrorCode::kMaxSelected, Subject::kTickets);
  std::vector<app::TicketSpec> specs;
  for (const auto& t : *list) {
    auto spec = ticket_spec(t);
    if (!spec.ok()) return spec.error();
    specs.push_back(*spec);
  }
  return specs;
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): the async handler signature
void buy(const ApiDeps& d, std::shared_ptr<Context> c, Reply reply) {
  auto body = parse_object(c->req.body);
  if (!body.ok()) return reply(error_response(body.error()));
  auto key = idempotency_key(c->req);
  if (!key.ok()) return reply(error_response(key.error()));
  auto round = round_field(*body);
  if (!round.ok()) return reply(error_response(round.error()));
  auto specs = ticket_specs(*body);
  if (!specs.ok()) return reply(error_response(specs.error()));
  d.sales.buy_async(c->actor(), *round, *specs, *key, request_hash(c->req, *body, *key),
                    purchase_reply(std::move(reply)));
}

Response purchased(const ApiDeps& d, Context& c) {
  auto round = round_param(c.req, d.calendar.current_round(d.clock.now()));
  if (!round.ok()) return error_response(round.error());
  const auto all = c.req.query_param("all");
  return paged(
      c.req, [&](store::Page p) { return d.sales.tickets(c.actor(), *round, all && *all == "true", p); },
      purchased_json, [](const store::TicketRow& t) { return t.id; });
}

// A round's sold tickets as CSV, streamed: a page of the store at a time, newest first, from the
// tickets sold when the export began (later ones have higher ids), so memory holds one page.
Response tickets_csv(const ApiDeps& d, Context& c) {
  auto round = round_segment(c.params[0]);
  if (!round.ok()) return error_response(round.error());
  auto first = d.sales.tickets(c.actor(), *round, true, store::Page{0, kExportPage});
  if (!first.ok()) return error_response(first.error());
  Response res;
  res.content_type = "text/csv; charset=utf-8";
  res.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"round-" + std::to_string(*round) + "-tickets.csv\"");
  res.body = ticket_csv_header() + ticket_csv_lines(*first);
  struct Cursor {
    long long before;
    bool done;
  };
  auto cursor = std::make_shared<Cursor>(
      Cursor{first->empty() ? 0 : first->back().id, first->size() < static_cast<size_t>(kExportPage)});
  res.next_chunk = [&sales = d.sales, actor = c.actor(), round = *round, cursor]() -> std::optional<std::string> {
    if (cursor->done) return std::string();
    auto rows = sales.tickets(actor, round, true, store::Page{cursor->before, kExportPage});
    if (!rows.ok()) return std::nullopt;
    cursor->done = rows->size() < static_cast<size_t>(kExportPage);
    if (rows->empty()) return std::string();
    cursor->before = rows->back().id;
    return ticket_csv_lines(*rows);
  };
  return res;
}

}  // namespace

void add_purchase_routes(Router& r, const Deps& d) {
  r.post("/api/v1/pension/purchased").user().rate_limited().handle_async(with(d, checkout));
  r.post("/api/v1/pension/purchases").user().rate_limited().handle_async(with(d, buy));
  r.get("/api/v1/pension/purchased").user().handle(with(d, purchased));
  r.get("/api/v1/admin/rounds/{round}/tickets.csv").admin().handle(with(d, tickets_csv));
}

}  // namespace p720::http
