// The annuity payer and the annuity reads.
#include "app/annuities.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "app/random_id.h"

namespace p720::app {
namespace {

constexpr const char* kLeaseName = "annuity-payer";
constexpr int kPageSize = 1000;

std::string random_holder() { return random_id("payer-", 12); }

Error bad_month() { return make_error(ErrorCode::kInvalidRequest, Subject::kMonth); }

long long unix_seconds(Instant t) { return t.time_since_epoch().count(); }

}  // namespace

Annuities::Annuities(store::Store& store, const Clock& clock, const Clock& real_clock, AnnuityConfig config)
    : store_(store), clock_(clock), real_clock_(real_clock), config_(std::move(config)), holder_(random_holder()) {}

Annuities::~Annuities() { stop_payer(); }

Result<PayRun> Annuities::pay_up_to(const Actor& actor, const std::string& month) {
  if (!actor.admin) return make_error(ErrorCode::kForbidden, Subject::kAnnuity);
  auto m = parse_year_month(month);
  if (!m) return bad_month();
  if (*m > latest_due_month(clock_.now(), config_.pay_day)) return make_error(ErrorCode::kTimeOut, Subject::kAnnuity);
  return pay(*m, false);
}

Result<std::optional<PayRun>> Annuities::run_due() {
  auto got = store_.take_lease(kLeaseName, holder_, unix_seconds(real_clock_.now()), kLeaseSeconds);
  if (!got.ok()) return got.error();
  if (!*got) return std::optional<PayRun>();
  auto run = pay(latest_due_month(clock_.now(), config_.pay_day), true);
  (void)store_.release_lease(kLeaseName, holder_);  // else it simply expires
  if (!run.ok()) return run.error();
  return std::optional<PayRun>(*run);
}

bool Annuities::renew_lease() {
  auto got = store_.take_lease(kLeaseName, holder_, unix_seconds(real_clock_.now()), kLeaseSeconds);
  return got.ok() && *got;
}

Result<PayRun> Annuities::pay(YearMonth up_to, bool lease) {
  PayRun run;
  run.month = format_year_month(up_to);
  // What is owed: for every annuity with fewer installments paid than are due, the months not paid.
  struct Owed {
    YearMonth month;
    long long ticket_id;
    long long monthly;
  };
  std::vector<Owed> owed;
  for (long long after = 0;;) {
    auto page = store_.annuities(store::AnnuityQuery{std::nullopt, std::nullopt, after, kPageSize});
    if (!page.ok()) return page.error();
    for (const auto& a : *page) {
      after = a.ticket_id;
      auto first = parse_year_month(a.first_payment_month);
      if (!first) continue;
      const AnnuityTerms terms{a.monthly, a.months, *first};
      const int due = terms.months_due_by(up_to);
      if (a.paid_months >= due) continue;
      auto paid = store_.installments_of(a.ticket_id);
      if (!paid.ok()) return paid.error();
      std::vector<int> done;
      for (const auto& p : *paid)
        if (auto pm = parse_year_month(p.for_month)) done.push_back(pm->serial());
      std::sort(done.begin(), done.end());
      for (int i = 0; i < due; ++i) {
        const YearMonth m = first->plus(i);
        if (!std::binary_search(done.begin(), done.end(), m.serial())) owed.push_back({m, a.ticket_id, a.monthly});
      }
    }
    if (page->size() < static_cast<size_t>(kPageSize)) break;
  }
  // Oldest month first, so a run cut short has paid everyone's earlier months.
  std::stable_sort(owed.begin(), owed.end(), [](const Owed& a, const Owed& b) { return a.month < b.month; });
  auto last_renew = real_clock_.now();
  for (const auto& o : owed) {
    {
      std::lock_guard lock(mu_);
      if (stop_ && lease) break;  // shutting down: the next start finishes
    }
    if (lease && real_clock_.now() - last_renew >= std::chrono::seconds(kLeaseSeconds / 3)) {
      if (!renew_lease()) break;  // another instance took over; it pays the rest
      last_renew = real_clock_.now();
    }
    const Withholding w = config_.tax.installment(o.monthly);
    store::InstallmentPayment p{o.ticket_id, format_year_month(o.month), w.gross, w.income,
                                w.local,     format_kst(clock_.now())};
    auto paid = store_.pay_installment(p);
    if (!paid.ok()) return paid.error();
    if (!*paid) continue;  // paid meanwhile by another instance or request
    ++run.installments;
    run.gross += w.gross;
    run.tax += w.tax();
    run.net += w.net();
  }
  return run;
}

Result<std::vector<AnnuityView>> Annuities::annuities_of(const Actor& actor) {
  auto rows = store_.annuities(store::AnnuityQuery{actor.user_id, std::nullopt, 0, 0});
  if (!rows.ok()) return rows.error();
  std::vector<AnnuityView> out;
  for (auto& a : *rows) {
    AnnuityView view{a, std::max(0, a.months - a.paid_months), "", config_.tax.installment(a.monthly)};
    // Installments are paid oldest first, so the next is the one after those paid.
    if (auto first = parse_year_month(a.first_payment_month); first && view.remaining_months > 0)
      view.next_payment_date = due_date(first->plus(a.paid_months), config_.pay_day);
    out.push_back(std::move(view));
  }
  return out;
}

Result<std::vector<store::InstallmentPayment>> Annuities::payments(const Actor& actor, long long ticket_id) {
  auto rows = store_.annuities(store::AnnuityQuery{std::nullopt, ticket_id, 0, 1});
  if (!rows.ok()) return rows.error();
  if (rows->empty() || (!actor.admin && rows->front().user_id != actor.user_id))
    return make_error(ErrorCode::kNotFound, Subject::kAnnuityTicket);
  return store_.installments_of(ticket_id);
}

Result<store::TaxReport> Annuities::tax_report(const Actor& actor, const std::string& month) {
  if (!actor.admin) return make_error(ErrorCode::kForbidden, Subject::kTaxReport);
  if (!parse_year_month(month)) return bad_month();
  return store_.tax_report(month);
}

void Annuities::start_payer() {
  std::lock_guard lock(mu_);
  if (payer_.joinable()) return;
  stop_ = false;
  payer_ = std::thread([this] { payer_loop(); });
}

void Annuities::stop_payer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (payer_.joinable()) payer_.join();
}

void Annuities::payer_loop() {
  for (;;) {
    auto run = run_due();
    if (!run.ok())
      spdlog::error("annuity payer: error {} ({})", static_cast<int>(run.error().code), run.error().detail);
    else if (*run && (*run)->installments > 0)
      spdlog::info(R"({{"msg":"annuity installments paid","month":"{}","installments":{},"net":{}}})", (*run)->month,
                   (*run)->installments, (*run)->net);
    // Wake at the next pay day, or sooner: another instance may hold the lease, or the run may
    // have stopped early; checking costs one small query.
    const YearMonth next = latest_due_month(clock_.now(), config_.pay_day).plus(1);
    const auto until_due = due_at(next, config_.pay_day) - clock_.now();
    const auto wait =
        std::min<std::chrono::seconds>(std::max<std::chrono::seconds>(until_due, std::chrono::seconds(1)), kCheckEvery);
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, wait, [this] { return stop_; })) return;
  }
}

}  // namespace p720::app
