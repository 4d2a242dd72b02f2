// Routes of draws and results: recording a draw (ADMIN, new and predecessor shapes), a round's
// summary, the caller's history and winnings, the predecessor's draw lists, and statistics.
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

// Records the draw of `round` (random when `nums` is empty) and answers its summary.
Response record(const ApiDeps& d, Context& c, int round, std::optional<DrawNumbers> nums) {
  auto rec = d.draws.record(c.actor(), round, nums);
  if (!rec.ok()) return error_response(rec.error());
  auto summary = d.draws.summary(round);
  if (!summary.ok()) return error_response(summary.error());
  return json(rec->created ? 201 : 200, draw_json(*summary));
}

// POST /pension/draws: {round, random: true} or {round, group, number, bonus}.
Response record_draw(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto round = round_field(*body);
  if (!round.ok()) return error_response(round.error());
  auto random = bool_field(*body, "random");
  if (!random.ok()) return error_response(random.error());
  if (random->value_or(false)) return record(d, c, *round, std::nullopt);
  auto group = int_field(*body, "group", 1, kGroups, true);
  if (!group.ok()) return error_response(group.error());
  auto number = string_field(*body, "number", 16);
  auto bonus = string_field(*body, "bonus", 16);
  if (!number.ok() || !bonus.ok() || !*number || !*bonus || !parse_number(**number) || !parse_number(**bonus))
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kDrawNumbers));
  return record(d, c, *round, DrawNumbers{static_cast<int>(**group), *parse_number(**number), *parse_number(**bonus)});
}

// POST /pension/matching: the predecessor's {pensionWinNum: {...}, pensionBonusNum: {...}}.
Response record_matching(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto win = body->find("pensionWinNum");
  auto bonus = body->find("pensionBonusNum");
  if (win == body->end() || bonus == body->end() || !win->is_object() || !bonus->is_object())
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kWinAndBonus));
  auto round = round_field(*win, "drawRound");
  if (!round.ok()) return error_response(round.error());
  auto bround = int_field(*bonus, "drawRound", 1, app::kMaxRound, false);
  if (!bround.ok()) return error_response(bround.error());
  if (*bround && **bround != *round)
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kRoundMismatch));
  auto group = int_field(*win, "groupNum", 1, kGroups, true);
  if (!group.ok()) return error_response(group.error());
  auto wd = digits_of(*win, "Num");
  if (!wd.ok()) return error_response(wd.error());
  auto bd = digits_of(*bonus, "Num");
  if (!bd.ok()) return error_response(bd.error());
  if (!*wd || !*bd)
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kDigitFields, "firstNum~sixthNum"));
  return record(d, c, *round, DrawNumbers{static_cast<int>(**group), **wd, **bd});
}

Response draw_summary(const ApiDeps& d, Context& c) {
  auto round = round_segment(c.params[0]);
  if (!round.ok()) return error_response(round.error());
  return reply(d.draws.summary(*round), 200, draw_json);
}

// GET /pension: the caller's tickets, optionally of one result (-1: not drawn yet).
Response history(const ApiDeps& d, Context& c) {
  std::optional<int> result;
  if (auto q = c.req.query_param("result"); q && !q->empty()) {
    if (*q != "-1" && (q->size() > 2 || q->find_first_not_of("0123456789") != std::string::npos))
      return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kParam, "result"));
    result = std::stoi(*q);
  }
  return paged(
      c.req, [&](store::Page p) { return d.draws.tickets(c.actor(), result, p); }, history_json,
      [](const store::TicketRow& t) { return t.id; });
}

Response winnings(const ApiDeps& d, Context& c) {
  return reply(d.draws.winnings(c.actor()), 200, [](const auto& v) { return array_of(v, winning_json); });
}

// The predecessor's draw reads answer List<…>: one row for a drawn round (or date), [] otherwise.
using DrawRender = Json (*)(const store::DrawRecord&);

Response draw_list(const ApiDeps& d, int round, DrawRender render) {
  auto summary = d.draws.summary(round);
  if (!summary.ok() && summary.error().code == ErrorCode::kNotFound) return json(200, Json::array());
  return reply(summary, 200, [&](const app::DrawSummary& s) { return Json::array({render(s.draw)}); });
}

Response draw_of_round(const ApiDeps& d, Context& c, DrawRender render) {
  auto round = round_param(c.req, std::nullopt);
  if (!round.ok()) return error_response(round.error());
  return draw_list(d, *round, render);
}

Response draw_of_date(const ApiDeps& d, Context& c, DrawRender render) {
  const auto date = c.req.query_param("date");
  if (!date || !parse_date(*date))
    return error_response(make_error(ErrorCode::kInvalidRequest, Subject::kDate, "date"));
  const auto round = d.calendar.round_drawn_on(*date);
  return round ? draw_list(d, *round, render) : json(200, Json::array());
}

Response all_draws(const ApiDeps& d, DrawRender render) {
  return reply(d.draws.all(), 200, [&](const auto& v) { return array_of(v, render); });
}

// How often each digit came at `position` (0: the group, 1–6: the digits) of the first or bonus number.
Response statistics(const ApiDeps& d, bool bonus, int position) {
  return reply(d.draws.statistics(bonus, position), 200, [](const auto& v) {
    Json out = Json::array();
    // `frequency` is the predecessor's column name; `count` stays for newer clients.
    for (const auto& [number, count] : v) out.push_back({{"number", number}, {"frequency", count}, {"count", count}});
    return out;
  });
}

}  // namespace

void add_draw_routes(Router& r, const Deps& d) {
  r.post("/api/v1/pension/draws").admin().handle(with(d, record_draw));
  r.post("/api/v1/pension/matching").admin().handle(with(d, record_matching));
  r.get("/api/v1/pension/draws/{round}").handle(with(d, draw_summary));
  r.get("/api/v1/pension").user().handle(with(d, history));
  r.get("/api/v1/pension/winnings").user().handle(with(d, winnings));
  // The same three reads of the first number (pension-win) and of the bonus (pension-bonus).
  for (const auto& [base, each] : {std::pair<std::string, DrawRender>{"/api/v1/pension-win", win_json},
                                   std::pair<std::string, DrawRender>{"/api/v1/pension-bonus", bonus_json}}) {
    const DrawRender render = each;  // a lambda cannot capture a structured binding in clang 14
    r.get(base + "/round").handle([d, render](Context& c) { return draw_of_round(*d, c, render); });
    r.get(base + "/date").handle([d, render](Context& c) { return draw_of_date(*d, c, render); });
    r.get(base + "/all").handle([d, render](Context&) { return all_draws(*d, render); });
  }
  const char* positions[] = {"groupNum", "firstNum", "secondNum", "thirdNum", "fourthNum", "fifthNum", "sixthNum"};
  for (int pos = 0; pos < 7; ++pos)
    for (bool bonus : {false, true}) {
      if (bonus && pos == 0) continue;  // the bonus has no group
      const std::string path = std::string("/api/v1/statistics/") + (bonus ? "bonus/" : "pension/") + positions[pos];
      r.get(path).handle([d, bonus, pos](Context&) { return statistics(*d, bonus, pos); });
    }
}

}  // namespace p720::http
