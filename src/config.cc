// Loading and validating configuration.
#include "config.h"

#include "domain/rules.h"
#include "domain/tax.h"
#include "net/https_client.h"
#include "net/smtp_client.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace p720 {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw std::invalid_argument("설정 오류 (config error): " + key + ": " + why);
}

long long to_int(const std::string& key, const std::string& text, long long lo, long long hi) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    bad(key, "not an integer: '" + text + "'");
  }
  if (used != text.size()) bad(key, "not an integer: '" + text + "'");
  if (v < lo || v > hi) bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

// The YAML value at a dotted path ("server.port"), if present.
std::optional<std::string> yaml_at(const YAML::Node& root, const std::string& path) {
  if (!root) return std::nullopt;
  YAML::Node node = YAML::Clone(root);
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot - start);
    if (!node.IsMap() || !node[part]) return std::nullopt;
    node = node[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!node.IsScalar()) bad(path, "must be a single value");
  return node.as<std::string>();
}

int minutes(const std::string& key, const std::string& text) {
  auto m = parse_hhmm(text);
  if (!m) bad(key, "must be HH:MM, got '" + text + "'");
  return *m;
}

}  // namespace

Config load_config(const Flags& flags) {
  Config c;
  YAML::Node yaml;
  if (auto path = flags.config ? flags.config : env("PENSION_CONFIG")) {
    try {
      yaml = YAML::LoadFile(*path);
    } catch (const std::exception& e) {
      bad("--config", "cannot read " + *path + ": " + e.what());
    }
  }
  // One setting: flag, then environment, then YAML.
  auto pick = [&](const std::optional<std::string>& flag, const char* env_name, const std::string& key) {
    if (flag) return flag;
    if (auto e = env_name ? env(env_name) : std::nullopt) return e;
    return yaml_at(yaml, key);
  };
  std::optional<std::string> port_flag;
  if (flags.port) port_flag = std::to_string(*flags.port);

  if (auto v = pick(port_flag, "PENSION_PORT", "server.port"))
    c.server.port = static_cast<unsigned short>(to_int("server.port", *v, 0, 65535));
  if (auto v = pick({}, "PENSION_ADDRESS", "server.address")) c.server.address = *v;
  if (auto v = pick({}, "PENSION_IO_THREADS", "server.io-threads"))
    c.server.io_threads = static_cast<int>(to_int("server.io-threads", *v, 1, 64));
  if (auto v = pick({}, "PENSION_WORKERS", "server.workers"))
    c.server.workers = static_cast<int>(to_int("server.workers", *v, 1, 1024));
  if (auto v = pick({}, "PENSION_MAX_BODY", "server.max-body-bytes"))
    c.server.body_limit = to_int("server.max-body-bytes", *v, 1024, 64 << 20);
  if (auto v = pick({}, "PENSION_MAX_CONNECTIONS", "server.max-connections"))
    c.server.max_connections = to_int("server.max-connections", *v, 1, 1'000'000);
  if (auto v = pick({}, "PENSION_MAX_CONNECTIONS_PER_ADDRESS", "server.max-connections-per-address"))
    c.server.max_connections_per_address = to_int("server.max-connections-per-address", *v, 1, 1'000'000);
  if (auto v = pick({}, "PENSION_READ_TIMEOUT", "server.read-timeout-seconds"))
    c.server.read_timeout = std::chrono::seconds(to_int("server.read-timeout-seconds", *v, 1, 3600));
  if (auto v = pick({}, "PENSION_IDLE_TIMEOUT", "server.idle-timeout-seconds"))
    c.server.idle_timeout = std::chrono::seconds(to_int("server.idle-timeout-seconds", *v, 1, 3600));
  if (auto v = pick({}, "PENSION_ACCESS_LOG", "server.access-log")) c.server.access_log = *v == "true" || *v == "1";
  if (auto v = pick({}, "PENSION_CORS_ORIGINS", "server.cors-origins")) {
    c.server.cors_origins.clear();
    size_t start = 0;
    for (;;) {
      size_t comma = v->find(',', start);
      auto o = v->substr(start, comma - start);
      if (!o.empty()) c.server.cors_origins.push_back(o);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (c.server.cors_origins.empty()) bad("server.cors-origins", "must list at least one origin or *");
  }

  if (auto v = pick(flags.compat, "PENSION_COMPAT", "compat")) {
    if (*v != "predecessor" && *v != "none")
      bad("compat (--compat, PENSION_COMPAT)", "must be predecessor or none, got '" + *v + "'");
    c.server.predecessor_compat = *v == "predecessor";
  }

  if (auto v = pick(flags.db, "PENSION_DB", "store.url")) c.db = *v;
  if (c.db.rfind("sqlite:", 0) != 0 && c.db.rfind("mysql://", 0) != 0)
    bad("store.url (--db)", "must start with sqlite: or mysql://, got '" + c.db + "'");
  if (auto v = pick({}, "PENSION_BATCH_LINGER_US", "store.batch-linger-us"))
    c.batch_linger_us = static_cast<int>(to_int("store.batch-linger-us", *v, 0, 100'000));
  if (auto v = pick({}, "PENSION_DB_WRITERS", "store.writers"))
    c.db_writers = static_cast<int>(to_int("store.writers", *v, 1, 64));
  // MariaDB session limits (docs/DEPLOY.md): how soon a dead instance's locks are released.
  auto& m = c.mysql;
  if (auto v = pick({}, "PENSION_MYSQL_LOCK_WAIT_TIMEOUT", "store.lock-wait-timeout-seconds"))
    m.lock_wait_seconds = static_cast<int>(to_int("store.lock-wait-timeout-seconds", *v, 0, 600));
  if (auto v = pick({}, "PENSION_MYSQL_IDLE_TRANSACTION_TIMEOUT", "store.idle-transaction-timeout-seconds"))
    m.idle_transaction_seconds = static_cast<int>(to_int("store.idle-transaction-timeout-seconds", *v, 1, 3600));
  if (auto v = pick({}, "PENSION_MYSQL_WAIT_TIMEOUT", "store.wait-timeout-seconds"))
    m.idle_connection_seconds = static_cast<int>(to_int("store.wait-timeout-seconds", *v, 10, 31'536'000));
  if (auto v = pick({}, "PENSION_MYSQL_IO_TIMEOUT", "store.io-timeout-seconds"))
    m.io_timeout_seconds = static_cast<int>(to_int("store.io-timeout-seconds", *v, 2, 3600));
  if (auto v = pick({}, "PENSION_MYSQL_KEEPALIVE", "store.keepalive-seconds"))
    m.keepalive_seconds = static_cast<int>(to_int("store.keepalive-seconds", *v, 0, 3600));
  // A statement may wait lock-wait seconds, and the migration lock 5 s, before it answers.
  if (m.io_timeout_seconds <= std::max(m.lock_wait_seconds, 5))
    bad("store.io-timeout-seconds", "must be more than store.lock-wait-timeout-seconds and more than 5");
  if (auto v = pick(flags.redis, "PENSION_REDIS", "redis.url")) c.redis = *v;
  if (!c.redis.empty() && c.redis.rfind("redis://", 0) != 0) bad("redis.url (--redis)", "must start with redis://");

  if (auto v = pick(flags.token_secret, "PENSION_TOKEN_SECRET", "token.secret")) c.token_secret = *v;
  if (c.token_secret.empty()) {
    c.token_secret = kDevSecret;
    c.token_secret_default = true;
  } else if (c.token_secret.size() < 8) {
    bad("token.secret (--token-secret)", "must be at least 8 characters");
  }

  if (auto v = pick(flags.now, "PENSION_NOW", "clock.now")) {
    c.now = parse_instant(*v);
    if (!c.now) bad("clock.now (--now, PENSION_NOW)", "not an ISO-8601 instant with offset: '" + *v + "'");
  }
  c.sales.demo = flags.demo;
  if (auto v = env("PENSION_DEMO")) c.sales.demo = c.sales.demo || *v == "1" || *v == "true";
  if (auto v = yaml_at(yaml, "demo")) c.sales.demo = c.sales.demo || *v == "true";

  if (auto v = pick({}, "PENSION_HOLD_SECONDS", "sales.hold-seconds"))
    c.sales.hold_seconds = static_cast<int>(to_int("sales.hold-seconds", *v, 0, 86400));
  if (auto v = pick({}, "PENSION_ROUND_LIMIT", "sales.round-limit"))
    c.sales.round_limit = static_cast<int>(to_int("sales.round-limit", *v, 1, 5'000'000));
  if (auto v = pick({}, "PENSION_SALES_OPEN", "sales.open")) c.calendar.sales_open_minute = minutes("sales.open", *v);
  if (auto v = pick({}, "PENSION_SALES_CLOSE", "sales.close"))
    c.calendar.sales_close_minute = minutes("sales.close", *v);
  if (auto v = pick({}, "PENSION_DRAW_TIME", "sales.draw")) c.calendar.draw_minute = minutes("sales.draw", *v);
  if (c.calendar.sales_close_minute > c.calendar.draw_minute) bad("sales.close", "must not be after the draw time");
  if (c.calendar.sales_open_minute <= c.calendar.sales_close_minute)
    bad("sales.open", "must be after sales.close on the draw day");

  if (auto v = pick({}, "PENSION_RATE_PER_SECOND", "limits.rate-per-second"))
    c.rate_per_second = static_cast<double>(to_int("limits.rate-per-second", *v, 0, 1'000'000));
  if (auto v = pick({}, "PENSION_RATE_BURST", "limits.rate-burst"))
    c.rate_burst = static_cast<double>(to_int("limits.rate-burst", *v, 1, 1'000'000));
  if (c.rate_per_second > 0 && (c.rate_per_second < 20 || c.rate_burst < 100))
    bad("limits",
        "rate-per-second must be 0 (off) or >= 20, and rate-burst >= 100, so honest clients are never limited");

  // Accounts and sign-in.
  auto boolean = [](const std::string& key, const std::string& v) {
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    bad(key, "must be true or false, got '" + v + "'");
  };
  auto& a = c.accounts;
  if (auto v = pick({}, "PENSION_REQUIRE_VERIFIED_EMAIL", "auth.require-verified-email"))
    a.require_verified_email = boolean("auth.require-verified-email", *v);
  if (auto v = pick({}, "PENSION_ACCESS_TTL", "auth.access-ttl-seconds"))
    a.access_ttl = std::chrono::seconds(to_int("auth.access-ttl-seconds", *v, 60, 86400));
  if (auto v = pick({}, "PENSION_REFRESH_TTL", "auth.refresh-ttl-seconds"))
    a.refresh_ttl = std::chrono::seconds(to_int("auth.refresh-ttl-seconds", *v, 300, 365LL * 86400));
  if (auto v = pick({}, "PENSION_LOGIN_FAILURES_PER_EMAIL", "auth.login-failures-per-email"))
    a.failures_per_email = static_cast<int>(to_int("auth.login-failures-per-email", *v, 1, 1000));
  if (auto v = pick({}, "PENSION_LOGIN_FAILURES_PER_ADDRESS", "auth.login-failures-per-address"))
    a.failures_per_address = static_cast<int>(to_int("auth.login-failures-per-address", *v, 1, 100000));
  if (auto v = pick({}, "PENSION_LOGIN_FAILURE_WINDOW", "auth.login-failure-window-seconds"))
    a.failure_window = std::chrono::seconds(to_int("auth.login-failure-window-seconds", *v, 1, 86400));
  if (auto v = pick({}, "PENSION_CLIENT_ADDRESS_HEADER", "auth.client-address-header")) {
    a.client_address_header = *v;
    for (auto& ch : a.client_address_header) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (auto v = pick({}, "PENSION_SMTP_URL", "mail.smtp-url"); v && !v->empty()) {
    if (!net::parse_smtp_url(*v)) bad("mail.smtp-url", "must be smtp://host[:port], got '" + *v + "'");
    a.smtp_url = *v;
  }
  if (auto v = pick({}, "PENSION_MAIL_FROM", "mail.from")) {
    if (v->find_first_of("\r\n<> ") != std::string::npos || v->find('@') == std::string::npos)
      bad("mail.from", "must be a bare address like no-reply@example.com");
    a.mail_from = *v;
  }
  if (auto v = pick({}, "PENSION_JWKS_FILE", "token.jwks-file")) c.jwks_file = *v;

  // Money in and out.
  if (auto v = pick({}, "PENSION_PSP_URL", "psp.url")) c.psp_url = *v;
  if (!c.psp_url.empty() && !net::parse_url(c.psp_url))
    bad("psp.url", "must be http(s)://host[:port][/path], got '" + c.psp_url + "'");
  if (auto v = pick({}, "PENSION_PSP_SECRET_KEY", "psp.secret-key")) c.psp_secret_key = *v;
  if (!c.psp_url.empty() && c.psp_secret_key.empty()) bad("psp.secret-key", "is required when psp.url is set");
  if (auto v = pick({}, "PENSION_PSP_CA_FILE", "psp.ca-file")) c.psp_ca_file = *v;
  if (auto v = pick({}, "PENSION_PSP_TIMEOUT", "psp.timeout-seconds"))
    c.psp_timeout_seconds = static_cast<int>(to_int("psp.timeout-seconds", *v, 1, 120));
  if (auto v = pick({}, "PENSION_PSP_RECONCILE_SECONDS", "psp.reconcile-seconds"))
    c.psp_reconcile_seconds = static_cast<int>(to_int("psp.reconcile-seconds", *v, 0, 86400));
  if (auto v = pick({}, "PENSION_PSP_RECONCILE_AFTER", "psp.reconcile-after-seconds"))
    c.payments.reconcile_after = std::chrono::seconds(to_int("psp.reconcile-after-seconds", *v, 0, 7 * 86400));
  if (auto v = pick({}, "PENSION_MIN_WITHDRAWAL", "wallet.min-withdrawal"))
    c.payments.min_withdrawal = to_int("wallet.min-withdrawal", *v, 1, kMaxDeposit);
  // Annuity installments and withholding tax (the rules themselves: domain/tax.h).
  if (auto v = pick({}, "PENSION_ANNUITY_PAY_DAY", "annuity.pay-day"))
    c.annuity.pay_day = static_cast<int>(to_int("annuity.pay-day", *v, 1, 31));
  std::string why;
  if (auto v = pick({}, "PENSION_TAX_ANNUITY_RATES", "tax.annuity-rates")) {
    auto rate = parse_tax_rate(*v, &why);
    if (!rate) bad("tax.annuity-rates", why + ", got '" + *v + "'");
    c.annuity.tax.annuity = *rate;
  }
  if (auto v = pick({}, "PENSION_TAX_FREE_UP_TO", "tax.free-up-to"))
    c.annuity.tax.free_up_to = to_int("tax.free-up-to", *v, 0, kMaxBalance);
  if (auto v = pick({}, "PENSION_TAX_BRACKETS", "tax.brackets")) {
    auto brackets = parse_tax_brackets(*v, &why);
    if (!brackets) bad("tax.brackets", why + ", got '" + *v + "'");
    c.annuity.tax.brackets = *brackets;
  }
  return c;
}

}  // namespace p720
