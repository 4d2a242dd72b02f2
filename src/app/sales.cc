// Sales: cart, purchase and wallet use cases.
#include "app/sales.h"

#include <algorithm>
#include <future>
#include <map>
#include <unordered_set>

#include "domain/rules.h"
#include "domain/ticket.h"

namespace p720::app {
namespace {

// Picks an `auto` purchase makes, in all, when its picks keep losing to concurrent purchases of
// the same tickets (each loss is another buyer's sale, so a round almost sold out needs several).
constexpr int kAutoPickTries = 10;

Error time_out() { return make_error(ErrorCode::kTimeOut, Subject::kRound); }
Error held() { return make_error(ErrorCode::kTicketHeld, Subject::kNone); }
Error max_selected() { return make_error(ErrorCode::kMaxSelected, Subject::kTickets); }

// Does the request let the server pick any of its tickets?
bool has_auto(const std::vector<TicketSpec>& specs) {
  return std::any_of(specs.begin(), specs.end(), [](const TicketSpec& s) { return !s.digits; });
}

std::vector<int> five_groups(int digits) {
  std::vector<int> out;
  for (const auto& t : expand_group(0, digits)) out.push_back(t.index());
  return out;
}

}  // namespace

Sales::Sales(store::Store& store, HoldRegistry& holds, SoldCache& sold, const RoundCalendar& calendar,
             const Clock& clock, SalesConfig config)
    : store_(store), holds_(holds), sold_(sold), calendar_(calendar), clock_(clock), config_(config) {
  store_.set_purchase_screen(
      [this](const std::vector<const store::PurchaseCommand*>& cmds) { return held_by_others(cmds); });
}

std::vector<std::optional<Error>> Sales::held_by_others(const std::vector<const store::PurchaseCommand*>& cmds) {
  // One lookup per round for every ticket of the batch: one round trip to a shared registry.
  std::map<int, std::vector<int>> by_round;
  for (const auto* cmd : cmds) {
    auto& tickets = by_round[cmd->round];
    tickets.insert(tickets.end(), cmd->tickets.begin(), cmd->tickets.end());
  }
  std::map<std::pair<int, int>, std::string> holder;
  const Instant now = clock_.now();
  for (const auto& [round, tickets] : by_round) {
    auto holds = holds_.lookup(round, tickets, now);
    for (size_t i = 0; i < tickets.size() && i < holds.size(); ++i)
      if (holds[i]) holder[{round, tickets[i]}] = holds[i]->user_id;
  }
  std::vector<std::optional<Error>> out(cmds.size());
  if (holder.empty()) return out;
  for (size_t i = 0; i < cmds.size(); ++i)
    for (int t : cmds[i]->tickets)
      if (auto it = holder.find({cmds[i]->round, t}); it != holder.end() && it->second != cmds[i]->user_id) {
        out[i] = held();
        break;
      }
  return out;
}

std::string Sales::now_text() const { return format_kst(clock_.now()); }

std::mutex& Sales::cart_lock(const std::string& user) {
  return cart_locks_[std::hash<std::string>{}(user) % cart_locks_.size()];
}

Result<int> Sales::open_round(int requested) const {
  const Instant now = clock_.now();
  const int current = calendar_.current_round(now);
  if (requested != current || !calendar_.on_sale(current, now)) return time_out();
  return current;
}

Result<long long> Sales::balance(const Actor& actor) { return store_.balance(actor.user_id); }

Result<long long> Sales::deposit(const Actor& actor, const std::string& target, long long amount) {
  const std::string& user = target.empty() ? actor.user_id : target;
  if (!actor.admin && (user != actor.user_id || !config_.demo))
    return make_error(ErrorCode::kForbidden, Subject::kDeposit);
  if (amount <= 0 || amount > kMaxDeposit) return make_error(ErrorCode::kInvalidRequest, Subject::kAmount);
  return store_.deposit(user, amount, "by:" + actor.user_id, now_text());
}

Result<std::vector<store::LedgerEntry>> Sales::transactions(const Actor& actor, store::Page page) {
  return store_.ledger(actor.user_id, page.limit, page.before);
}

Result<std::vector<store::CartItem>> Sales::live_cart(const Actor& actor, size_t* dropped) {
  const Instant now = clock_.now();
  const int current = calendar_.current_round(now);
  const bool open = calendar_.on_sale(current, now);
  auto items = store_.cart(actor.user_id);
  if (!items.ok()) return items.error();
  std::vector<store::CartItem> live;
  for (auto& item : *items)
    if (open && item.round == current) live.push_back(std::move(item));
  if (dropped) *dropped = items->size() - live.size();
  if (live.size() == items->size()) return live;  // nothing stale: no write, no group commit wait
  std::optional<int> keep;
  if (open) keep = current;
  auto removed = store_.clear_cart(actor.user_id, keep);
  if (!removed.ok()) return removed.error();
  for (const auto& item : *removed) holds_.release(item.round, {item.ticket}, actor.user_id);
  return live;
}

bool Sales::replayed(const Actor& actor, const std::string& idem_key, const std::string& idem_hash,
                     PurchaseDone& done) {
  if (idem_key.empty()) return false;
  auto earlier = store_.replay(actor.user_id, idem_key, idem_hash);
  if (!earlier.ok()) done(earlier.error());
  else if (*earlier) done(std::move(**earlier));
  else return false;
  return true;
}

// Every live cart item is held by its buyer (select() holds what it adds, remove/clear/purchase
// release) — unless holds are off or the registry cannot hold right now (then select() adds
// unheld, and the cart itself must be read).
bool Sales::holds_can_tell_carts() { return config_.hold_seconds > 0 && holds_.healthy(); }

Result<std::vector<int>> Sales::resolve(int round, const std::vector<TicketSpec>& specs,
                                        const std::vector<int>& exclude) {
  const std::unordered_set<int> avoid(exclude.begin(), exclude.end());
  std::unordered_set<int> seen;
  std::vector<int> out;
  const Instant now = clock_.now();
  // What `auto` must never pick: excluded, already in this request, or held by anyone — by
  // someone else (theirs), or by this buyer (a ticket in its own cart: holds_can_tell_carts()).
  auto unavailable = [&](int ticket) {
    if (avoid.count(ticket) || seen.count(ticket)) return true;
    return holds_.lookup(round, {ticket}, now)[0].has_value();
  };
  for (const auto& spec : specs) {
    std::vector<int> tickets;
    if (spec.digits) {
      for (const auto& t : expand_group(spec.group, *spec.digits)) tickets.push_back(t.index());
      if (tickets.empty()) return make_error(ErrorCode::kInvalidRequest, Subject::kGroup);
    } else {
      auto reject = [&](int candidate) {
        if (spec.group != 0) return unavailable(candidate);
        const auto all = five_groups(candidate);
        return std::any_of(all.begin(), all.end(), unavailable);
      };
      auto picked = sold_.pick(round, spec.group, reject);
      if (!picked.ok()) return picked.error();
      if (!*picked) return make_error(ErrorCode::kPurchaseDuplicated, Subject::kSoldOut);
      tickets = spec.group == 0 ? five_groups(**picked) : std::vector<int>{**picked};
    }
    for (int t : tickets) {
      if (!seen.insert(t).second) return make_error(ErrorCode::kInvalidRequest, Subject::kDuplicateTicket);
      out.push_back(t);
    }
  }
  return out;
}

Status Sales::check_available(const Actor& actor, int round, const std::vector<int>& tickets) {
  auto sold = sold_.sold_among(round, tickets);
  if (!sold.ok()) return sold.error();
  if (!sold->empty()) return make_error(ErrorCode::kPurchaseDuplicated, Subject::kNone, {}, std::move(*sold));
  auto holds = holds_.lookup(round, tickets, clock_.now());
  for (const auto& h : holds)
    if (h && h->user_id != actor.user_id) return held();
  return Status::Ok();
}

Result<std::vector<CartEntry>> Sales::select(const Actor& actor, int round, const TicketSpec& spec) {
  std::lock_guard cart_guard(cart_lock(actor.user_id));
  auto r = open_round(round);
  if (!r.ok()) return r.error();
  auto cart = live_cart(actor, nullptr);
  if (!cart.ok()) return cart.error();
  std::vector<int> in_cart;
  for (const auto& item : *cart) in_cart.push_back(item.ticket);

  auto tickets = resolve(round, {spec}, in_cart);  // auto never picks what is already selected
  if (!tickets.ok()) return tickets.error();
  for (int t : *tickets)
    if (std::find(in_cart.begin(), in_cart.end(), t) != in_cart.end())
      return make_error(ErrorCode::kSelectDuplicated, Subject::kNone);
  if (in_cart.size() + tickets->size() > static_cast<size_t>(config_.max_cart_items)) return max_selected();
  if (auto s = check_available(actor, round, *tickets); !s.ok()) return s.error();

  std::optional<Instant> until;
  if (config_.hold_seconds > 0) {
    const Instant now = clock_.now();
    until = now + std::chrono::seconds(config_.hold_seconds);
    if (!holds_.acquire(round, *tickets, actor.user_id, now, *until).empty()) return held();
    // A registry that cannot hold right now (Redis down) lets the selection through unheld;
    // say so instead of promising a hold.
    if (!holds_.healthy()) until.reset();
  }
  auto added = store_.add_to_cart(actor.user_id, round, *tickets, config_.max_cart_items, now_text());
  if (!added.ok()) {
    if (until) holds_.release(round, *tickets, actor.user_id);
    if (added.error().code == ErrorCode::kPurchaseDuplicated) sold_.mark_sold(round, added.error().tickets);
    return added.error();
  }
  std::vector<CartEntry> out;
  for (auto& item : *added) out.push_back(CartEntry{std::move(item), until});
  return out;
}

Result<std::vector<CartEntry>> Sales::cart(const Actor& actor) {
  auto items = live_cart(actor, nullptr);
  if (!items.ok()) return items.error();
  std::vector<CartEntry> out;
  const Instant now = clock_.now();
  for (auto& item : *items) {
    auto h = holds_.lookup(item.round, {item.ticket}, now);
    std::optional<Instant> until;
    if (h[0] && h[0]->user_id == actor.user_id) until = h[0]->expires;
    out.push_back(CartEntry{std::move(item), until});
  }
  return out;
}

Status Sales::remove(const Actor& actor, long long id) {
  std::lock_guard cart_guard(cart_lock(actor.user_id));
  auto removed = store_.remove_cart_item(actor.user_id, id);
  if (!removed.ok()) return removed.error();
  holds_.release(removed->round, {removed->ticket}, actor.user_id);
  return Status::Ok();
}

Status Sales::clear(const Actor& actor) {
  std::lock_guard cart_guard(cart_lock(actor.user_id));
  auto removed = store_.clear_cart(actor.user_id, std::nullopt);
  if (!removed.ok()) return removed.error();
  for (const auto& item : *removed) holds_.release(item.round, {item.ticket}, actor.user_id);
  return Status::Ok();
}

void Sales::commit(const Actor& actor, int round, std::vector<int> tickets, const std::string& idem_key,
                   const std::string& idem_hash, PurchaseDone done) {
  // The store refuses sold tickets itself, and checks holds for its whole batch at once (the
  // screen above): here only what this process knows, to turn away sure failures early
  // without a round trip to a shared cache on every purchase.
  auto sold = sold_.known_sold(round, tickets);
  if (!sold.ok() || !sold->empty()) {
    // The same key may have just been committed by a concurrent request (which is what made
    // the tickets sold): that answer wins.
    if (replayed(actor, idem_key, idem_hash, done)) return;
    if (!sold.ok()) return done(sold.error());
    return done(make_error(ErrorCode::kPurchaseDuplicated, Subject::kNone, {}, std::move(*sold)));
  }
  store::PurchaseCommand cmd{actor.user_id,       round,      tickets,  config_.price,
                             config_.round_limit, now_text(), idem_key, idem_hash};
  store_.purchase_async(std::move(cmd), [this, user = actor.user_id, round, tickets = std::move(tickets),
                                         done = std::move(done)](Result<store::PurchaseRecord> rec) {
    if (rec.ok() && !rec->replayed) {
      ++purchases_made_;
      tickets_sold_ += static_cast<long long>(tickets.size());
    }
    if (rec.ok()) {
      sold_.mark_sold(round, tickets);
      holds_.release(round, tickets, user);
    } else if (rec.error().code == ErrorCode::kPurchaseDuplicated) {
      sold_.mark_sold(round, rec.error().tickets);  // sold by another instance: learn it
    }
    done(std::move(rec));
  });
}

namespace {

// Runs an asynchronous purchase and waits for it (the synchronous API, used by tests and tools).
template <class F>
Result<store::PurchaseRecord> wait_for(F&& start) {
  std::promise<Result<store::PurchaseRecord>> promise;
  auto future = promise.get_future();
  start([&promise](Result<store::PurchaseRecord> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace

Result<store::PurchaseRecord> Sales::checkout(const Actor& actor, const std::string& idem_key,
                                              const std::string& idem_hash) {
  return wait_for([&](PurchaseDone done) { checkout_async(actor, idem_key, idem_hash, std::move(done)); });
}

Result<store::PurchaseRecord> Sales::buy(const Actor& actor, int round, const std::vector<TicketSpec>& specs,
                                         const std::string& idem_key, const std::string& idem_hash) {
  return wait_for([&](PurchaseDone done) { buy_async(actor, round, specs, idem_key, idem_hash, std::move(done)); });
}

void Sales::checkout_async(const Actor& actor, const std::string& idem_key, const std::string& idem_hash,
                           PurchaseDone done) {
  if (!wait_on_) return checkout_now(actor, idem_key, idem_hash, std::move(done));
  wait_on_([this, actor, idem_key, idem_hash, done = std::move(done)]() mutable {
    checkout_now(actor, idem_key, idem_hash, std::move(done));
  });
}

void Sales::checkout_now(const Actor& actor, const std::string& idem_key, const std::string& idem_hash,
                         PurchaseDone done) {
  if (replayed(actor, idem_key, idem_hash, done)) return;
  size_t stale = 0;
  auto cart = live_cart(actor, &stale);
  if (!cart.ok()) return done(cart.error());
  auto round = open_round(calendar_.current_round(clock_.now()));
  if (!round.ok()) return done(round.error());
  if (cart->empty()) {
    if (stale > 0) return done(time_out());
    return done(make_error(ErrorCode::kSelectNoTicket, Subject::kNone));
  }
  if (cart->size() > static_cast<size_t>(config_.max_tickets_per_request)) return done(max_selected());
  std::vector<int> tickets;
  for (const auto& item : *cart) tickets.push_back(item.ticket);
  commit(actor, *round, std::move(tickets), idem_key, idem_hash, std::move(done));
}

void Sales::buy_async(const Actor& actor, int round, const std::vector<TicketSpec>& specs, const std::string& idem_key,
                      const std::string& idem_hash, PurchaseDone done) {
  const bool waits = !idem_key.empty() || has_auto(specs);
  if (!waits || !wait_on_) return buy_now(actor, round, specs, idem_key, idem_hash, std::move(done));
  wait_on_([this, actor, round, specs, idem_key, idem_hash, done = std::move(done)]() mutable {
    buy_now(actor, round, specs, idem_key, idem_hash, std::move(done));
  });
}

void Sales::buy_now(const Actor& actor, int round, const std::vector<TicketSpec>& specs, const std::string& idem_key,
                    const std::string& idem_hash, PurchaseDone done) {
  if (replayed(actor, idem_key, idem_hash, done)) return;
  auto r = open_round(round);
  if (!r.ok()) return done(r.error());
  if (specs.empty()) return done(make_error(ErrorCode::kInvalidRequest, Subject::kTickets));
  size_t count = 0;
  for (const auto& s : specs) count += s.group == 0 ? kGroups : 1;
  if (count > static_cast<size_t>(config_.max_tickets_per_request)) return done(max_selected());
  std::vector<int> exclude;
  // An auto pick must not choose a ticket of the buyer's own cart. While holds are kept, each of
  // those is held by the buyer and resolve() skips it without reading the cart.
  if (!holds_can_tell_carts() && has_auto(specs)) {
    auto cart = store_.cart(actor.user_id);
    if (!cart.ok()) return done(cart.error());
    for (const auto& item : *cart)
      if (item.round == round) exclude.push_back(item.ticket);
  }
  buy_picked(actor, round, specs, std::move(exclude), idem_key, idem_hash, std::move(done), kAutoPickTries);
}

void Sales::buy_picked(const Actor& actor, int round, const std::vector<TicketSpec>& specs, std::vector<int> exclude,
                       const std::string& idem_key, const std::string& idem_hash, PurchaseDone done, int tries) {
  auto tickets = resolve(round, specs, exclude);
  if (!tickets.ok()) return done(tickets.error());
  const bool picks = has_auto(specs);
  if (!picks || tries <= 1) return commit(actor, round, std::move(*tickets), idem_key, idem_hash, std::move(done));
  // An auto pick can lose its ticket to a concurrent purchase between the pick and the commit:
  // the refusal names it (and the sold cache has learnt it), so pick again rather than answer
  // PURCHASE_DUPLICATED — unless a ticket the buyer chose by its digits is among the sold ones.
  std::unordered_set<int> chosen;
  for (const auto& spec : specs)
    if (spec.digits)
      for (const auto& t : expand_group(spec.group, *spec.digits)) chosen.insert(t.index());
  auto again = [this, actor, round, specs, exclude = std::move(exclude), idem_key, idem_hash, done = std::move(done),
                chosen = std::move(chosen), tries](Result<store::PurchaseRecord> rec) mutable {
    const bool lost_pick = !rec.ok() && rec.error().code == ErrorCode::kPurchaseDuplicated &&
                           !rec.error().tickets.empty() &&
                           std::none_of(rec.error().tickets.begin(), rec.error().tickets.end(),
                                        [&](int t) { return chosen.count(t) > 0; });
    if (!lost_pick) return done(std::move(rec));
    auto pick_again = [this, actor, round, specs, exclude = std::move(exclude), idem_key, idem_hash,
                       done = std::move(done), tries]() mutable {
      buy_picked(actor, round, specs, std::move(exclude), idem_key, idem_hash, std::move(done), tries - 1);
    };
    if (wait_on_) wait_on_(std::move(pick_again));  // the pick may wait (holds, shared sold index)
    else pick_again();
  };
  commit(actor, round, std::move(*tickets), idem_key, idem_hash, std::move(again));
}

Result<std::vector<store::TicketRow>> Sales::tickets(const Actor& actor, int round, bool all, store::Page page) {
  if (all && !actor.admin) return make_error(ErrorCode::kForbidden, Subject::kTickets);
  return store_.tickets(
      store::TicketQuery{all ? std::nullopt : std::optional(actor.user_id), round, std::nullopt, page});
}

}  // namespace p720::app
