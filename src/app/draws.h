// Draws: recording a round's official (or CSPRNG) result, settling it exactly once, and the
// result reads. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/clock.h"
#include "app/sales.h"
#include "domain/calendar.h"
#include "domain/prize.h"
#include "domain/status.h"
#include "store/store.h"

namespace p720::app {

// The largest round number a request may name (the API's bound, SPEC §3).
inline constexpr int kMaxRound = 100000;

struct DrawSummary {
  store::DrawRecord draw;
  std::vector<store::WinnerCount> winners;  // one per result that has winners
};

struct RecordedDraw {
  store::DrawRecord draw;
  bool created = false;  // false when the same result had been recorded before
};

class Draws {
 public:
  Draws(store::Store& store, const RoundCalendar& calendar, const Clock& clock);

  // Records the result of a round whose sales have closed (TIME_OUT otherwise) and settles it.
  // numbers empty = draw at random (ALREADY_DRAWN if the round has a result). ADMIN only.
  Result<RecordedDraw> record(const Actor& actor, int round, std::optional<DrawNumbers> numbers);
  // Settles every recorded draw not yet settled (after a crash). Called at start.
  Status settle_pending();

  Result<DrawSummary> summary(int round);
  Result<std::vector<store::DrawRecord>> all();
  // The actor's tickets across rounds: no filter = all; > 0 winners; 0 undrawn; -1 no prize.
  Result<std::vector<store::TicketRow>> tickets(const Actor& actor, std::optional<int> result, store::Page page = {});
  Result<std::vector<store::Winning>> winnings(const Actor& actor);
  // How often each value occurred at a position over all draws. position: 0 = group (values 1..5),
  // 1..6 = first..sixth digit (values 0..9); bonus uses the bonus digits (positions 1..6).
  Result<std::vector<std::pair<int, long long>>> statistics(bool bonus, int position);

 private:
  store::Store& store_;
  const RoundCalendar& calendar_;
  const Clock& clock_;
};

// Uniform random draw numbers from a CSPRNG; the bonus never equals the winning digits.
DrawNumbers random_draw();

}  // namespace p720::app
