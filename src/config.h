// Configuration of `pension720 serve`: defaults, then the YAML file, then environment variables,
// then flags — each later source overrides the earlier. Validated in one place with a clear
// message for every bad value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/accounts.h"
#include "app/annuities.h"
#include "app/payments.h"
#include "app/sales.h"
#include "domain/calendar.h"
#include "http/server.h"
#include "store/mysql_session.h"

namespace p720 {

struct Config {
  http::ServerConfig server;
  std::string db = "sqlite:data/pension720.db";
  int batch_linger_us = 0;    // group commit: wait up to this for more purchases (0 = never)
  int db_writers = 1;         // group-commit writer threads on MariaDB (SQLite: always 1)
  store::MysqlSession mysql;  // MariaDB session limits: store.*-timeout-seconds, store.keepalive-seconds
  std::string redis;          // empty: no Redis
  std::string token_secret;
  bool token_secret_default = false;
  std::optional<Instant> now;
  app::SalesConfig sales;
  CalendarConfig calendar = CalendarConfig::defaults();
  double rate_per_second = 50;
  double rate_burst = 200;
  app::AccountsConfig accounts;  // auth.*, mail.*
  std::string jwks_file;         // token.jwks-file: the operator's identity-provider keys
  // Money in and out: the payment provider (psp.*) and withdrawals (wallet.*).
  std::string psp_url;  // empty: no provider (orders answer 503)
  std::string psp_secret_key;
  std::string psp_ca_file;         // trusted CAs for an https psp.url; empty: the system's
  int psp_timeout_seconds = 10;    // connect, and then read, deadline of each provider call
  int psp_reconcile_seconds = 60;  // how often the reconciler runs; 0: never
  app::PaymentsConfig payments;    // wallet.min-withdrawal, psp.reconcile-after-seconds
  app::AnnuityConfig annuity;      // annuity.pay-day, tax.*
};

// Raw values from flags (empty optional = not given).
struct Flags {
  std::optional<int> port;
  std::optional<std::string> db, redis, token_secret, now, config, compat;
  bool demo = false;
};

// Builds the configuration; throws std::invalid_argument with a message naming the bad key.
Config load_config(const Flags& flags);

inline constexpr const char* kDevSecret = "pension720-development-secret-do-not-use-in-production";

}  // namespace p720
