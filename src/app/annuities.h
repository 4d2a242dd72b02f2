// Annuity installments (SPEC "Annuity installments and tax"): the payer that pays what is due by
// the service clock — by itself on whichever instance holds the database lease, or when an ADMIN
// asks — and the reads of the schedule, the payments and the tax withheld. Exactly once per
// (annuity, month) rests on the store's unique installment key; the lease only keeps instances
// from doing the same work at once. Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/clock.h"
#include "app/sales.h"
#include "domain/annuity.h"
#include "domain/tax.h"
#include "store/store.h"

namespace p720::app {

struct AnnuityConfig {
  int pay_day = kDefaultPayDay;  // annuity.pay-day, 1..31 (KST)
  TaxRules tax;                  // tax.*
};

// What one run paid: installments newly paid by it (not those paid before) and their sums.
struct PayRun {
  std::string month;  // paid up to this month, YYYY-MM
  long long installments = 0, gross = 0, tax = 0, net = 0;
};

// An annuity as its owner sees it.
struct AnnuityView {
  store::AnnuityRow row;
  int remaining_months = 0;
  std::string next_payment_date;  // KST date of the next unpaid installment; empty when all are paid
  Withholding monthly;            // one installment's gross, tax and net under the current rules
};

class Annuities {
 public:
  // `clock` is the service clock (what is due); `real_clock` times the lease, which instances
  // with different service clocks (--now) share.
  Annuities(store::Store& store, const Clock& clock, const Clock& real_clock, AnnuityConfig config);
  ~Annuities();
  Annuities(const Annuities&) = delete;
  Annuities& operator=(const Annuities&) = delete;

  // ADMIN: pays now every installment due up to `month` ("YYYY-MM"): INVALID_REQUEST for another
  // form, TIME_OUT when its pay day has not come by the service clock.
  Result<PayRun> pay_up_to(const Actor& actor, const std::string& month);
  // The payer's run: when this instance gets the lease, pays everything due by the service clock
  // (months missed while the service was down included) and gives the lease back; nullopt when
  // another instance holds it.
  Result<std::optional<PayRun>> run_due();

  // The caller's annuities; the installments of one of them (NOT_FOUND when it is not the
  // caller's, unless ADMIN); ADMIN: the tax withheld in a month.
  Result<std::vector<AnnuityView>> annuities_of(const Actor& actor);
  Result<std::vector<store::InstallmentPayment>> payments(const Actor& actor, long long ticket_id);
  Result<store::TaxReport> tax_report(const Actor& actor, const std::string& month);

  // The payer thread: runs run_due() at once and again whenever a pay day passes (checking at
  // least every kCheckEvery). stop_payer() waits for a run in progress to end its installment.
  void start_payer();
  void stop_payer();

  static constexpr auto kCheckEvery = std::chrono::seconds(60);
  static constexpr long long kLeaseSeconds = 60;

 private:
  // Pays every unpaid installment up to `up_to`, oldest month first, one transaction each. With
  // `lease`, renews it as it goes and stops when it is lost.
  Result<PayRun> pay(YearMonth up_to, bool lease);
  bool renew_lease();
  void payer_loop();

  store::Store& store_;
  const Clock& clock_;
  const Clock& real_clock_;
  const AnnuityConfig config_;
  const std::string holder_;  // this instance's name in the lease table

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread payer_;
};

}  // namespace p720::app
