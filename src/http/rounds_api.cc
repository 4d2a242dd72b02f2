// Routes of the round calendar: the current round and its sales window. Computed from the
// calendar and the clock alone, so they answer on the I/O thread.
#include "http/api.h"
#include "http/handler_util.h"

namespace p720::http {
namespace {

Response round_number(const ApiDeps& d, Context&) { return json(200, d.calendar.current_round(d.clock.now())); }

Response current_round(const ApiDeps& d, Context&) {
  const auto now = d.clock.now();
  const int round = d.calendar.current_round(now);
  return json(200, {{"round", round},
                    {"drawAt", format_kst(d.calendar.draw_at(round))},
                    {"salesOpen", d.calendar.on_sale(round, now)},
                    {"salesOpenAt", format_kst(d.calendar.sales_open_at(round))},
                    {"salesCloseAt", format_kst(d.calendar.sales_close_at(round))},
                    {"now", format_kst(now)}});
}

}  // namespace

void add_round_routes(Router& r, const Deps& d) {
  r.get("/api/v1/pension/round").on_io_thread().handle(with(d, round_number));
  r.get("/api/v1/pension/rounds/current").on_io_thread().handle(with(d, current_round));
}

}  // namespace p720::http
