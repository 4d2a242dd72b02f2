// Route table and handlers of the REST API.
#include "http/api.h"

#include <algorithm>
#include <future>

#include "app/random_id.h"
#include "domain/ticket.h"
#include "http/annuity_api.h"
#include "http/auth_api.h"
#include "http/csv.h"
#include "http/errors.h"
#include "http/handler_util.h"
#include "http/json_codec.h"
#include "http/payments_api.h"
#include "http/web_assets.h"

namespace p720::http {
namespace {

Result<int> round_param(const Request& req, std::optional<int> fallback) {
  auto r = req.query_param("round");
  if (!r || r->empty()) {
    if (fallback) return *fallback;
    return make_error(ErrorCode::kInvalidRequest, "round 값이 필요합니다.");
  }
  if (r->size() > 6 || r->find_first_not_of("0123456789") != std::string::npos || std::stoi(*r) < 1)
    return make_error(ErrorCode::kInvalidRequest, "round 값이 올바르지 않습니다.");
  return std::stoi(*r);
}

Result<int> round_segment(const std::string& s) {
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos || std::stoi(s) < 1)
    return make_error(ErrorCode::kInvalidRequest, "round 값이 올바르지 않습니다.");
  return std::stoi(s);
}

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
  return error_response(ErrorCode::kNotFound, "없는 파일입니다.");
}

}  // namespace

std::unique_ptr<Router> make_api(ApiDeps d) {
  auto router = std::make_unique<Router>(d.auth);
  Router& r = *router;
  auto& sales = d.sales;
  auto& draws = d.draws;

  // --- Rounds ---------------------------------------------------------------------------------
  // Computed from the calendar and the clock alone, so they answer on the I/O thread.
  r.add({.method = "GET", .pattern = "/api/v1/pension/round", .access = Access::kPublic,
         .handler = [d](Context&) { return json(200, d.calendar.current_round(d.clock.now())); }, .io_thread = true});
  r.add({.method = "GET", .pattern = "/api/v1/pension/rounds/current", .access = Access::kPublic,
         .handler = [d](Context&) {
           const auto now = d.clock.now();
           const int round = d.calendar.current_round(now);
           return json(200, {{"round", round},
                             {"drawAt", format_kst(d.calendar.draw_at(round))},
                             {"salesOpen", d.calendar.on_sale(round, now)},
                             {"salesOpenAt", format_kst(d.calendar.sales_open_at(round))},
                             {"salesCloseAt", format_kst(d.calendar.sales_close_at(round))},
                             {"now", format_kst(now)}});
         },
         .io_thread = true});

  // --- Wallet ---------------------------------------------------------------------------------
  r.add({"GET", "/api/v1/wallet", Access::kUser, [&sales](Context& c) {
           auto actor = c.actor();
           return reply(sales.balance(actor), 200,
                        [&](long long b) { return Json{{"userId", actor.user_id}, {"balance", b}}; });
         }});
  r.add({"GET", "/api/v1/wallet/transactions", Access::kUser, [&sales](Context& c) {
           auto page = page_param(c.req);
           if (!page.ok()) return error_response(page.error());
           return page_reply(c.req, sales.transactions(c.actor(), one_more(*page)), *page, ledger_json,
                             [](const store::LedgerEntry& e) { return e.id; });
         }});
  r.add({"POST", "/api/v1/wallet/deposit", Access::kUser, [&sales](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto amount = int_field(*body, "amount", 1, 10'000'000'000LL, true);
           if (!amount.ok()) return error_response(amount.error());
           auto target = string_field(*body, "userId", 64);
           if (!target.ok()) {
             // The predecessor's ids are numbers; accept an integer userId too.
             auto n = int_field(*body, "userId", 0, INT64_MAX, false);
             if (!n.ok()) return error_response(target.error());
             target = std::optional<std::string>(std::to_string(**n));
           }
           const std::string user = target->value_or(c.actor().user_id);
           if (user.empty()) return error_response(ErrorCode::kInvalidRequest, "userId가 비어 있습니다.");
           return reply(sales.deposit(c.actor(), user, **amount), 200,
                        [&](long long b) { return Json{{"userId", user}, {"balance", b}}; });
         }, true});

  // --- Cart -----------------------------------------------------------------------------------
  r.add({"POST", "/api/v1/pension/selected", Access::kUser, [&sales](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto round = int_field(*body, "round", 1, 100000, true);
           if (!round.ok()) return error_response(round.error());
           auto spec = ticket_spec(*body);
           if (!spec.ok()) return error_response(spec.error());
           return reply(sales.select(c.actor(), static_cast<int>(**round), *spec), 201,
                        [](const auto& v) { return array_of(v, cart_entry_json); });
         }, true});
  r.add({"GET", "/api/v1/pension/selected", Access::kUser, [&sales](Context& c) {
           return reply(sales.cart(c.actor()), 200, [](const auto& v) { return array_of(v, cart_entry_json); });
         }});
  r.add({"DELETE", "/api/v1/pension/selected/{id}", Access::kUser, [&sales](Context& c) {
           const auto& s = c.params[0];
           if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
             return error_response(ErrorCode::kNotFound, "선택한 번호를 찾을 수 없습니다.");
           auto st = sales.remove(c.actor(), std::stoll(s));
           return st.ok() ? no_content() : error_response(st.error());
         }, true});
  r.add({"DELETE", "/api/v1/pension/selected", Access::kUser, [&sales](Context& c) {
           auto st = sales.clear(c.actor());
           return st.ok() ? no_content() : error_response(st.error());
         }, true});

  // --- Purchases ------------------------------------------------------------------------------
  // The two purchase routes are asynchronous: they wait for their group commit without holding a
  // thread, and answer from the store's writer thread.
  auto purchase_reply = [](Reply reply) {
    return [reply = std::move(reply)](Result<store::PurchaseRecord> rec) {
      reply(rec.ok() ? json(201, purchase_json(*rec)) : error_response(rec.error()));
    };
  };
  r.add({"POST", "/api/v1/pension/purchased", Access::kUser, nullptr, true,
         [&sales, purchase_reply](std::shared_ptr<Context> c, Reply reply) {
           auto body = parse_object(c->req.body, true);
           if (!body.ok()) return reply(error_response(body.error()));
           auto key = idempotency_key(c->req);
           if (!key.ok()) return reply(error_response(key.error()));
           sales.checkout_async(c->actor(), *key, request_hash(c->req, *body, *key), purchase_reply(std::move(reply)));
         }});
  r.add({"POST", "/api/v1/pension/purchases", Access::kUser, nullptr, true,
         [&sales, purchase_reply](std::shared_ptr<Context> c, Reply reply) {
           auto body = parse_object(c->req.body);
           if (!body.ok()) return reply(error_response(body.error()));
           auto key = idempotency_key(c->req);
           if (!key.ok()) return reply(error_response(key.error()));
           auto round = int_field(*body, "round", 1, 100000, true);
           if (!round.ok()) return reply(error_response(round.error()));
           auto list = body->find("tickets");
           if (list == body->end() || !list->is_array() || list->empty())
             return reply(error_response(ErrorCode::kInvalidRequest, "tickets는 비어 있지 않은 배열이어야 합니다."));
           if (list->size() > 100) return reply(error_response(ErrorCode::kMaxSelected, ""));
           std::vector<app::TicketSpec> specs;
           for (const auto& t : *list) {
             auto spec = ticket_spec(t);
             if (!spec.ok()) return reply(error_response(spec.error()));
             specs.push_back(*spec);
           }
           sales.buy_async(c->actor(), static_cast<int>(**round), specs, *key, request_hash(c->req, *body, *key),
                           purchase_reply(std::move(reply)));
         }});
  r.add({"GET", "/api/v1/pension/purchased", Access::kUser, [d, &sales](Context& c) {
           auto round = round_param(c.req, d.calendar.current_round(d.clock.now()));
           if (!round.ok()) return error_response(round.error());
           const auto all = c.req.query_param("all");
           auto page = page_param(c.req);
           if (!page.ok()) return error_response(page.error());
           return page_reply(c.req, sales.tickets(c.actor(), *round, all && *all == "true", one_more(*page)), *page,
                             purchased_json, [](const store::TicketRow& t) { return t.id; });
         }});

  // A round's sold tickets as CSV, streamed: a page of the store at a time, newest first, from the
  // tickets sold when the export began (later ones have higher ids), so memory holds one page.
  r.add({"GET", "/api/v1/admin/rounds/{round}/tickets.csv", Access::kAdmin, [&sales](Context& c) {
           auto round = round_segment(c.params[0]);
           if (!round.ok()) return error_response(round.error());
           constexpr int kExportPage = 5000;
           auto first = sales.tickets(c.actor(), *round, true, store::Page{0, kExportPage});
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
           auto cursor = std::make_shared<Cursor>(Cursor{first->empty() ? 0 : first->back().id,
                                                         first->size() < static_cast<size_t>(kExportPage)});
           res.next_chunk = [&sales, actor = c.actor(), round = *round, cursor]() -> std::optional<std::string> {
             if (cursor->done) return std::string();
             auto rows = sales.tickets(actor, round, true, store::Page{cursor->before, kExportPage});
             if (!rows.ok()) return std::nullopt;
             cursor->done = rows->size() < static_cast<size_t>(kExportPage);
             if (rows->empty()) return std::string();
             cursor->before = rows->back().id;
             return ticket_csv_lines(*rows);
           };
           return res;
         }});

  // --- Draws and results ----------------------------------------------------------------------
  auto record = [&draws](Context& c, int round, std::optional<DrawNumbers> nums) {
    auto rec = draws.record(c.actor(), round, nums);
    if (!rec.ok()) return error_response(rec.error());
    auto summary = draws.summary(round);
    if (!summary.ok()) return error_response(summary.error());
    return json(rec->created ? 201 : 200, draw_json(*summary));
  };
  r.add({"POST", "/api/v1/pension/draws", Access::kAdmin, [record](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto round = int_field(*body, "round", 1, 100000, true);
           if (!round.ok()) return error_response(round.error());
           auto random = bool_field(*body, "random");
           if (!random.ok()) return error_response(random.error());
           if (random->value_or(false)) return record(c, static_cast<int>(**round), std::nullopt);
           auto group = int_field(*body, "group", 1, kGroups, true);
           if (!group.ok()) return error_response(group.error());
           auto number = string_field(*body, "number", 16);
           auto bonus = string_field(*body, "bonus", 16);
           if (!number.ok() || !bonus.ok() || !*number || !*bonus || !parse_number(**number) || !parse_number(**bonus))
             return error_response(ErrorCode::kInvalidRequest, "number와 bonus는 숫자 6자리 문자열이어야 합니다.");
           return record(c, static_cast<int>(**round),
                         DrawNumbers{static_cast<int>(**group), *parse_number(**number), *parse_number(**bonus)});
         }});
  r.add({"POST", "/api/v1/pension/matching", Access::kAdmin, [record](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto win = body->find("pensionWinNum");
           auto bonus = body->find("pensionBonusNum");
           if (win == body->end() || bonus == body->end() || !win->is_object() || !bonus->is_object())
             return error_response(ErrorCode::kInvalidRequest, "pensionWinNum과 pensionBonusNum이 필요합니다.");
           auto round = int_field(*win, "drawRound", 1, 100000, true);
           if (!round.ok()) return error_response(round.error());
           auto bround = int_field(*bonus, "drawRound", 1, 100000, false);
           if (!bround.ok()) return error_response(bround.error());
           if (*bround && **bround != **round)
             return error_response(ErrorCode::kInvalidRequest, "두 drawRound가 다릅니다.");
           auto group = int_field(*win, "groupNum", 1, kGroups, true);
           if (!group.ok()) return error_response(group.error());
           auto wd = digits_of(*win, "Num");
           if (!wd.ok()) return error_response(wd.error());
           auto bd = digits_of(*bonus, "Num");
           if (!bd.ok()) return error_response(bd.error());
           if (!*wd || !*bd) return error_response(ErrorCode::kInvalidRequest, "firstNum~sixthNum이 필요합니다.");
           return record(c, static_cast<int>(**round), DrawNumbers{static_cast<int>(**group), **wd, **bd});
         }});
  r.add({"GET", "/api/v1/pension/draws/{round}", Access::kPublic, [&draws](Context& c) {
           auto round = round_segment(c.params[0]);
           if (!round.ok()) return error_response(round.error());
           return reply(draws.summary(*round), 200, draw_json);
         }});
  r.add({"GET", "/api/v1/pension", Access::kUser, [&draws](Context& c) {
           std::optional<int> result;
           if (auto q = c.req.query_param("result"); q && !q->empty()) {
             if (*q != "-1" && (q->size() > 2 || q->find_first_not_of("0123456789") != std::string::npos))
               return error_response(ErrorCode::kInvalidRequest, "result 값이 올바르지 않습니다.");
             result = std::stoi(*q);
           }
           auto page = page_param(c.req);
           if (!page.ok()) return error_response(page.error());
           return page_reply(c.req, draws.tickets(c.actor(), result, one_more(*page)), *page, history_json,
                             [](const store::TicketRow& t) { return t.id; });
         }});
  r.add({"GET", "/api/v1/pension/winnings", Access::kUser, [&draws](Context& c) {
           return reply(draws.winnings(c.actor()), 200, [](const auto& v) { return array_of(v, winning_json); });
         }});
  // The predecessor's draw reads answer List<…>: one row for a drawn round (or date), [] otherwise.
  auto draw_list = [&draws](int round, Json (*render)(const store::DrawRecord&)) {
    auto summary = draws.summary(round);
    if (!summary.ok() && summary.error().code == ErrorCode::kNotFound) return json(200, Json::array());
    return reply(summary, 200, [&](const app::DrawSummary& s) { return Json::array({render(s.draw)}); });
  };
  for (bool is_bonus : {false, true}) {
    const std::string base = is_bonus ? "/api/v1/pension-bonus" : "/api/v1/pension-win";
    auto render = is_bonus ? bonus_json : win_json;
    r.add({"GET", base + "/round", Access::kPublic, [draw_list, render](Context& c) {
             auto round = round_param(c.req, std::nullopt);
             if (!round.ok()) return error_response(round.error());
             return draw_list(*round, render);
           }});
    r.add({"GET", base + "/date", Access::kPublic, [d, draw_list, render](Context& c) {
             const auto date = c.req.query_param("date");
             if (!date || !parse_date(*date))
               return error_response(ErrorCode::kInvalidRequest, "date 값은 YYYY-MM-DD 형식의 날짜여야 합니다.");
             const auto round = d.calendar.round_drawn_on(*date);
             return round ? draw_list(*round, render) : json(200, Json::array());
           }});
    r.add({"GET", base + "/all", Access::kPublic, [&draws, render](Context&) {
             return reply(draws.all(), 200, [&](const auto& v) { return array_of(v, render); });
           }});
  }
  const char* positions[] = {"groupNum", "firstNum", "secondNum", "thirdNum", "fourthNum", "fifthNum", "sixthNum"};
  for (int pos = 0; pos < 7; ++pos) {
    for (bool is_bonus : {false, true}) {
      if (is_bonus && pos == 0) continue;
      const std::string path =
          std::string("/api/v1/statistics/") + (is_bonus ? "bonus/" : "pension/") + positions[pos];
      r.add({"GET", path, Access::kPublic, [&draws, is_bonus, pos](Context&) {
               return reply(draws.statistics(is_bonus, pos), 200, [](const auto& v) {
                 Json out = Json::array();
                 // `frequency` is the predecessor's column name; `count` stays for newer clients.
                 for (const auto& [number, count] : v)
                   out.push_back({{"number", number}, {"frequency", count}, {"count", count}});
                 return out;
               });
             }});
    }
  }

  // --- Demo -----------------------------------------------------------------------------------
  if (d.demo) {
    r.add({"POST", "/api/v1/demo/token", Access::kPublic, [d](Context& c) {
             auto body = parse_object(c.req.body.empty() ? std::string("{}") : c.req.body);
             if (!body.ok()) return error_response(body.error());
             auto name = string_field(*body, "name", 64);
             if (!name.ok()) return error_response(name.error());
             // Every demo sign-in is a new visitor with an id of its own: the demo never signs in as
             // anyone else — neither a real account nor another visitor (a userId sent is ignored).
             const std::string user = app::random_id("demo-", 8);
             Claims claims{user, *name ? **name : "", "", false};
             claims.demo = true;
             return json(201, {{"token", d.auth.issue(claims, std::chrono::hours(24))}, {"userId", user}});
           }, true});
  }

  // --- Accounts and sign-in: http/auth_api.cc --------------------------------------------------
  if (d.accounts) add_auth_routes(r, *d.accounts, d.auth);
  // --- Money in and out: http/payments_api.cc --------------------------------------------------
  if (d.payments) add_payment_routes(r, *d.payments);
  if (d.annuities) add_annuity_routes(r, *d.annuities);  // http/annuity_api.cc

  // --- Operations -----------------------------------------------------------------------------
  r.add({"GET", "/actuator/health", Access::kPublic, [d](Context&) {
           // The store is UP when a write can commit now: a probe through the writer's queue and
           // commit (a full disk or a lost database fails it), answered within kHealthDeadline
           // whatever the store does — UNKNOWN when it has not answered by then.
           auto probe = std::make_shared<std::promise<Status>>();
           auto answer = probe->get_future();
           d.store.probe_async([probe](Status s) { probe->set_value(std::move(s)); });
           Json store = {{"status", "UP"}};
           if (answer.wait_for(kHealthDeadline) != std::future_status::ready) {
             store = {{"status", "UNKNOWN"}, {"reason", "TIMEOUT"}};
           } else if (const Status s = answer.get(); !s.ok()) {
             store = {{"status", "DOWN"}, {"reason", error_code_name(s.error().code)}};
           }
           const bool store_up = store["status"] == "UP";
           Json components = {{"store", store}};
           bool all_up = store_up;
           if (d.health_extras)
             for (const auto& [name, up] : d.health_extras()) {
               components[name] = {{"status", up ? "UP" : "DOWN"}};
             }
           // Redis is optional: its outage degrades holds but the service still sells.
           return json(all_up ? 200 : 503, {{"status", all_up ? "UP" : "DOWN"}, {"components", components}});
         }});
  r.add({"GET", "/metrics", Access::kPublic, [d](Context&) {
           Response resp;
           resp.body = d.metrics_text ? d.metrics_text() : "";
           resp.content_type = "text/plain; version=0.0.4";
           return resp;
         }});
  r.add({"GET", "/openapi.json", Access::kPublic,
         [](Context&) { return static_asset("openapi.json", "application/json; charset=utf-8"); }});
  r.add({"GET", "/", Access::kPublic,
         [](Context&) { return static_asset("index.html", "text/html; charset=utf-8"); }});
  r.add({"GET", "/app.js", Access::kPublic,
         [](Context&) { return static_asset("app.js", "text/javascript; charset=utf-8"); }});
  r.add({"GET", "/style.css", Access::kPublic,
         [](Context&) { return static_asset("style.css", "text/css; charset=utf-8"); }});
  return router;
}

}  // namespace p720::http
