// Draw recording, settlement and result reads.
#include "app/draws.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "domain/ticket.h"

namespace p720::app {
namespace {

uint32_t secure_below(uint32_t bound) {
  // Rejection sampling keeps the result uniform.
  const uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
  for (;;) {
    uint32_t x = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&x), sizeof x) != 1) throw std::runtime_error("RAND_bytes failed");
    if (x < limit) return x % bound;
  }
}

}  // namespace

DrawNumbers random_draw() {
  DrawNumbers d{static_cast<int>(secure_below(kGroups)) + 1, static_cast<int>(secure_below(kNumbersPerGroup)), 0};
  do d.bonus = static_cast<int>(secure_below(kNumbersPerGroup));
  while (d.bonus == d.digits);
  return d;
}

Draws::Draws(store::Store& store, const RoundCalendar& calendar, const Clock& clock)
    : store_(store), calendar_(calendar), clock_(clock) {}

Result<RecordedDraw> Draws::record(const Actor& actor, int round, std::optional<DrawNumbers> numbers) {
  if (!actor.admin) return make_error(ErrorCode::kForbidden, Subject::kDraw);
  if (round < 1 || round > kMaxRound) return make_error(ErrorCode::kInvalidRequest, Subject::kRound);
  if (clock_.now() < calendar_.sales_close_at(round)) return make_error(ErrorCode::kTimeOut, Subject::kDraw);
  auto existing = store_.find_draw(round);
  if (!existing.ok()) return existing.error();
  if (!numbers) {
    if (*existing) return make_error(ErrorCode::kAlreadyDrawn, Subject::kDraw);
    numbers = random_draw();
  }
  if (numbers->digits == numbers->bonus) return make_error(ErrorCode::kInvalidRequest, Subject::kBonus);
  store::DrawRecord want{round, numbers->group, numbers->digits, numbers->bonus, calendar_.draw_date(round), false};
  auto rec = store_.record_draw(want);
  if (!rec.ok()) return rec.error();
  if (auto s = store_.settle_draw(round, format_kst(clock_.now())); !s.ok()) return s.error();
  rec->settled = true;
  return RecordedDraw{*rec, !existing->has_value()};
}

Status Draws::settle_pending() {
  auto all = store_.draws();
  if (!all.ok()) return all.error();
  for (const auto& d : *all)
    if (!d.settled)
      if (auto s = store_.settle_draw(d.round, format_kst(clock_.now())); !s.ok()) return s;
  return Status::Ok();
}

Result<DrawSummary> Draws::summary(int round) {
  auto d = store_.find_draw(round);
  if (!d.ok()) return d.error();
  if (!*d) return make_error(ErrorCode::kNotFound, Subject::kDraw);
  auto w = store_.winners(round);
  if (!w.ok()) return w.error();
  return DrawSummary{**d, std::move(*w)};
}

Result<std::vector<store::DrawRecord>> Draws::all() { return store_.draws(); }

Result<std::vector<store::TicketRow>> Draws::tickets(const Actor& actor, std::optional<int> result, store::Page page) {
  return store_.tickets(store::TicketQuery{actor.user_id, std::nullopt, result, page});
}

Result<std::vector<store::Winning>> Draws::winnings(const Actor& actor) { return store_.winnings_of(actor.user_id); }

Result<std::vector<std::pair<int, long long>>> Draws::statistics(bool bonus, int position) {
  auto all = store_.draws();
  if (!all.ok()) return all.error();
  const bool group = position == 0;
  std::vector<std::pair<int, long long>> counts;
  for (int value = group ? 1 : 0; value <= (group ? kGroups : 9); ++value) counts.emplace_back(value, 0);
  for (const auto& d : *all) {
    int value = 0;
    if (group) value = d.group;
    else value = Ticket{1, bonus ? d.bonus : d.digits}.digit(position - 1);
    for (auto& [v, c] : counts)
      if (v == value) ++c;
  }
  return counts;
}

}  // namespace p720::app
