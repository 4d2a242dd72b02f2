// The pension720 REST API: builds the Router with every route of SPEC §3. Each handler parses,
// calls an application service, and serialises — nothing else.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/accounts.h"
#include "app/annuities.h"
#include "app/draws.h"
#include "app/payments.h"
#include "app/sales.h"
#include "http/auth.h"
#include "http/router.h"
#include "store/store.h"

namespace p720::http {

struct ApiDeps {
  app::Sales& sales;
  app::Draws& draws;
  store::Store& store;
  const TokenAuthority& auth;
  const RoundCalendar& calendar;
  const app::Clock& clock;
  bool demo = false;
  // Extra health components (e.g. Redis): name → up?
  std::function<std::vector<std::pair<std::string, bool>>()> health_extras;
  // Prometheus text of the server's metrics.
  std::function<std::string()> metrics_text;
  // Accounts and sign-in (http/auth_api.cc); no sign-in routes when null.
  app::Accounts* accounts = nullptr;
  // Money in and out (http/payments_api.cc); no such routes when null.
  app::Payments* payments = nullptr;
  // Annuity installments and tax (http/annuity_api.cc); no such routes when null.
  app::Annuities* annuities = nullptr;
};

std::unique_ptr<Router> make_api(ApiDeps deps);

}  // namespace p720::http
