// Sales: the cart (selected numbers with holds), purchases (checkout and direct) and the wallet.
// Applies the domain rules in order — sales window, request size, idempotency, auto picks,
// holds, the sold cache — and leaves the final, atomic decision to the store. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/clock.h"
#include "app/holds.h"
#include "app/sold_cache.h"
#include "domain/calendar.h"
#include "domain/rules.h"
#include "domain/status.h"
#include "domain/ticket.h"
#include "store/store.h"

namespace p720::app {

struct Actor {
  std::string user_id;
  bool admin = false;
};

// Defaults are the domain's (domain/rules.h, domain/ticket.h); config.cc may override them.
struct SalesConfig {
  int hold_seconds = 600;  // 0 turns holds off
  int max_cart_items = kMaxCartItems;
  int max_tickets_per_request = kMaxTicketsPerRequest;
  int round_limit = kDefaultRoundLimit;
  long long price = kTicketPrice;
  bool demo = false;
};

// One ticket of a request: explicit digits, or auto (digits empty). group 0 = all five groups.
struct TicketSpec {
  int group = 0;
  std::optional<int> digits;
};

struct CartEntry {
  store::CartItem item;
  std::optional<Instant> hold_expires;
};

class Sales {
 public:
  Sales(store::Store& store, HoldRegistry& holds, SoldCache& sold, const RoundCalendar& calendar, const Clock& clock,
        SalesConfig config);
  // Installs its purchase screen (holds) in `store`: the store must not take purchases after
  // this object is gone (main drains and destroys the store first).
  Sales(const Sales&) = delete;
  Sales& operator=(const Sales&) = delete;
  ~Sales() = default;

  // Wallet.
  Result<long long> balance(const Actor& actor);
  // Credits `amount` to `target` (the actor when empty). ADMIN may credit anyone; a plain user
  // only itself and only in demo mode (FORBIDDEN otherwise).
  Result<long long> deposit(const Actor& actor, const std::string& target, long long amount);
  // One page of the actor's ledger, newest first.
  Result<std::vector<store::LedgerEntry>> transactions(const Actor& actor, store::Page page);

  // Cart.
  Result<std::vector<CartEntry>> select(const Actor& actor, int round, const TicketSpec& spec);
  Result<std::vector<CartEntry>> cart(const Actor& actor);
  Status remove(const Actor& actor, long long id);
  Status clear(const Actor& actor);

  // Purchases. idem_key may be empty; idem_hash fingerprints the request.
  // Each purchase has an asynchronous form, used by the HTTP layer (on an I/O thread): the checks
  // that need no waiting run on the calling thread; those that may wait — a checkout's cart, an
  // `auto` pick (the buyer's cart, the hold registry, a shared sold index), an Idempotency-Key's
  // replay — run on the executor given to set_wait_executor (the server's worker pool, when they
  // may wait on the network: MariaDB or Redis), or on the calling thread when none was given. `done` runs once the purchase is durable or failed, where
  // the store answers (Store::set_answer_executor), or at once where a check failed. `done` must
  // not block.
  using PurchaseDone = std::function<void(Result<store::PurchaseRecord>)>;
  using Executor = std::function<void(std::function<void()>)>;
  void set_wait_executor(Executor executor) { wait_on_ = std::move(executor); }
  void checkout_async(const Actor& actor, const std::string& idem_key, const std::string& idem_hash, PurchaseDone done);
  void buy_async(const Actor& actor, int round, const std::vector<TicketSpec>& specs, const std::string& idem_key,
                 const std::string& idem_hash, PurchaseDone done);
  Result<store::PurchaseRecord> checkout(const Actor& actor, const std::string& idem_key, const std::string& idem_hash);
  Result<store::PurchaseRecord> buy(const Actor& actor, int round, const std::vector<TicketSpec>& specs,
                                    const std::string& idem_key, const std::string& idem_hash);
  // The actor's tickets of a round, or everyone's when `all` (ADMIN only).
  // One page of the actor's tickets of a round, or (ADMIN, `all`) of every buyer's; newest first.
  Result<std::vector<store::TicketRow>> tickets(const Actor& actor, int round, bool all, store::Page page = {});

  const SalesConfig& config() const { return config_; }
  // Purchases and tickets sold by this process since it started (for metrics).
  long long purchases_made() const { return purchases_made_.load(); }
  long long tickets_sold() const { return tickets_sold_.load(); }

 private:
  void checkout_now(const Actor& actor, const std::string& idem_key, const std::string& idem_hash, PurchaseDone done);
  void buy_now(const Actor& actor, int round, const std::vector<TicketSpec>& specs, const std::string& idem_key,
               const std::string& idem_hash, PurchaseDone done);
  // Resolves specs (auto picks avoid `exclude`) and commits; an auto pick that lost its ticket to
  // a concurrent purchase picks again, `tries` picks in all, before PURCHASE_DUPLICATED.
  void buy_picked(const Actor& actor, int round, const std::vector<TicketSpec>& specs, std::vector<int> exclude,
                  const std::string& idem_key, const std::string& idem_hash, PurchaseDone done, int tries);
  // The round on sale now, or TIME_OUT.
  Result<int> open_round(int requested) const;
  // Expands specs (group 0 → five tickets, auto → picked digits) into distinct ticket indexes.
  // Auto picks skip `exclude` and every held ticket.
  Result<std::vector<int>> resolve(int round, const std::vector<TicketSpec>& specs, const std::vector<int>& exclude);
  // True when every live cart item is held by its buyer, so auto picks need not read the cart.
  bool holds_can_tell_carts();
  // Sold, or held by another buyer? (For selection; purchases: known_sold and the screen.)
  Status check_available(const Actor& actor, int round, const std::vector<int>& tickets);
  // The store's purchase screen: TICKET_HELD for a purchase of a ticket another buyer holds.
  std::vector<std::optional<Error>> held_by_others(const std::vector<const store::PurchaseCommand*>& cmds);
  void commit(const Actor& actor, int round, std::vector<int> tickets, const std::string& idem_key,
              const std::string& idem_hash, PurchaseDone done);
  // The user's cart items of the round on sale now; items of other rounds (sales closed) are
  // removed from the store, and counted in *dropped when given.
  Result<std::vector<store::CartItem>> live_cart(const Actor& actor, size_t* dropped);
  // True when (idem_key, idem_hash) was answered before: `done` has then been called with the
  // earlier purchase, or with IDEMPOTENCY_CONFLICT.
  bool replayed(const Actor& actor, const std::string& idem_key, const std::string& idem_hash, PurchaseDone& done);
  std::string now_text() const;
  // Serialises one user's cart changes (select, remove, clear): otherwise a concurrent duplicate
  // select, failing in the store, releases the hold that the successful one just took.
  std::mutex& cart_lock(const std::string& user);

  store::Store& store_;
  HoldRegistry& holds_;
  SoldCache& sold_;
  const RoundCalendar& calendar_;
  const Clock& clock_;
  SalesConfig config_;
  std::atomic<long long> purchases_made_{0}, tickets_sold_{0};
  Executor wait_on_;  // where purchase checks that may wait run (set before serving)
  std::array<std::mutex, 64> cart_locks_;
};

}  // namespace p720::app
