// pension720: `serve` wires the layers from configuration and runs the HTTP server; `token`
// prints a signed JWT; `backup` copies the SQLite store online. Nothing here but wiring.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/accounts.h"
#include "app/annuities.h"
#include "app/draws.h"
#include "app/holds.h"
#include "app/payments.h"
#include "app/sales.h"
#include "app/sold_cache.h"
#include "config.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/errors.h"
#include "http/rate_limiter.h"
#include "http/server.h"
#include "logging.h"
#include "net/smtp_client.h"
#include "net/toss_provider.h"
#include "redis/event_relay.h"
#include "redis/redis_client.h"
#include "redis/redis_holds.h"
#include "redis/redis_sold_cache.h"
#include "store/backup.h"
#include "store/factory.h"

namespace {

// Runs `task` every `period` on its own thread until destroyed (which waits for a run in progress).
class Periodic {
 public:
  Periodic(std::chrono::seconds period, std::function<void()> task)
      : thread_([this, period, task = std::move(task)] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
            lock.unlock();
            task();
            lock.lock();
          }
        }) {}
  ~Periodic() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

void raise_fd_limit() {
  // The connection cap (10,000 by default) needs as many descriptors.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int serve(const p720::Flags& flags) {
  using namespace p720;
  const Config cfg = load_config(flags);
  setup_json_logging();
  if (cfg.token_secret_default)
    spdlog::warn("WARNING: using the built-in development token secret. Anyone can mint tokens. "
                 "Set --token-secret or PENSION_TOKEN_SECRET in production.");
  raise_fd_limit();

  // With Redis: holds and the sold index are shared by every instance, and purchases and prizes
  // go to the outbox for the event stream. Without: both live in this process.
  std::unique_ptr<redis::RedisClient> redis_client;
  if (!cfg.redis.empty()) redis_client = std::make_unique<redis::RedisClient>(redis::parse_redis_url(cfg.redis));
  auto store = store::open_store(cfg.db, {.outbox = redis_client != nullptr,
                                          .mysql_writers = cfg.db_writers,
                                          .batch_linger = std::chrono::microseconds(cfg.batch_linger_us),
                                          .mysql = cfg.mysql});
  RoundCalendar calendar(cfg.calendar);
  app::RunningClock clock = cfg.now ? app::RunningClock(*cfg.now) : app::RunningClock();
  std::unique_ptr<app::HoldRegistry> holds_impl;
  std::unique_ptr<app::SoldCache> sold_impl;
  std::unique_ptr<redis::EventRelay> relay;
  if (redis_client) {
    holds_impl = std::make_unique<redis::RedisHolds>(*redis_client);
    sold_impl = std::make_unique<redis::RedisSoldCache>(*redis_client, *store);
    relay = std::make_unique<redis::EventRelay>(*redis_client, *store);
    if (!redis_client->ping()) spdlog::warn("redis unreachable at start; holds degraded until it answers");
  } else {
    holds_impl = std::make_unique<app::MemoryHolds>();
    sold_impl = std::make_unique<app::MemorySoldCache>(*store);
  }
  app::HoldRegistry& holds = *holds_impl;
  app::SoldCache& sold = *sold_impl;
  app::Sales sales(*store, holds, sold, calendar, clock, cfg.sales);
  store->set_tax_rules(cfg.annuity.tax);  // before settle_pending: one-time prizes are taxed at settlement
  app::Draws draws(*store, calendar, clock);
  if (auto s = draws.settle_pending(); !s.ok())
    spdlog::error("settling pending draws failed: {}", http::error_message(s.error()));
  // Load the current round's sold index now rather than on the first purchase.
  sold.sold_count(calendar.current_round(clock.now()));

  http::TokenAuthority auth(cfg.token_secret);
  auth.set_demo_tokens(cfg.sales.demo);
  if (!cfg.jwks_file.empty()) {
    try {
      auth.load_jwks(cfg.jwks_file);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("설정 오류 (config error): token.jwks-file: ") + e.what());
    }
  }
  // Accounts: codes go out by SMTP when mail.smtp-url is set.
  std::unique_ptr<net::SmtpClient> mailer;
  if (!cfg.accounts.smtp_url.empty())
    mailer = std::make_unique<net::SmtpClient>(*net::parse_smtp_url(cfg.accounts.smtp_url), cfg.accounts.mail_from);
  else if (cfg.accounts.require_verified_email)
    spdlog::warn("mail.smtp-url is not set: verification codes cannot be sent, so new accounts cannot sign in "
                 "(set auth.require-verified-email: false for a demo)");
  app::Accounts accounts(*store, mailer.get(), clock, cfg.token_secret, cfg.accounts);
  auth.set_session_check([&accounts](const std::string& sid) {
    long long id = 0;
    const auto [end, ec] = std::from_chars(sid.data(), sid.data() + sid.size(), id);
    return ec == std::errc() && end == sid.data() + sid.size() && accounts.session_active(id);
  });
  // SIGHUP re-reads token.jwks-file (a bad file keeps the keys in use). Its own io_context:
  // the server's signal set stays SIGINT/SIGTERM only.
  boost::asio::io_context hup_ioc;
  boost::asio::signal_set hup(hup_ioc, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (!cfg.jwks_file.empty()) {
        const std::string why = auth.reload_jwks();
        if (why.empty()) spdlog::info(R"({{"msg":"jwks reloaded","file":"{}"}})", cfg.jwks_file);
        else
          spdlog::error("{}", nlohmann::json({{"msg", "jwks reload failed; keeping the keys in use"}, {"error", why}})
                                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      } else {
        spdlog::info(R"({{"msg":"SIGHUP: nothing to reload, token.jwks-file is not set"}})");
      }
      wait_hup();
    });
  };
  wait_hup();
  std::thread hup_thread([&hup_ioc] { hup_ioc.run(); });
  struct StopHup {  // NOLINT(cppcoreguidelines-special-member-functions): a scope guard, never copied
    boost::asio::io_context& ioc;
    std::thread& t;
    ~StopHup() {
      ioc.stop();
      t.join();
    }
  } stop_hup{hup_ioc, hup_thread};

  // Money in and out: the payment provider when psp.url is set, and its reconciler.
  std::unique_ptr<net::TossProvider> provider;
  if (!cfg.psp_url.empty()) {
    const auto timeout = std::chrono::seconds(cfg.psp_timeout_seconds);
    try {
      provider = std::make_unique<net::TossProvider>(cfg.psp_url, cfg.psp_secret_key,
                                                     net::HttpClientOptions{timeout, timeout, cfg.psp_ca_file});
    } catch (const std::exception& e) {
      // psp.url was checked by load_config: what is left to fail here is the CA file.
      throw std::invalid_argument(std::string("설정 오류 (config error): psp.ca-file: ") + e.what());
    }
  }
  app::Payments payments(*store, provider.get(), clock, cfg.payments);
  std::unique_ptr<Periodic> reconciler;
  if (provider && cfg.psp_reconcile_seconds > 0)
    reconciler = std::make_unique<Periodic>(std::chrono::seconds(cfg.psp_reconcile_seconds), [&payments] {
      if (const int n = payments.reconcile(); n > 0)
        spdlog::info(R"({{"msg":"reconciler settled pending payment orders","orders":{}}})", n);
    });

  http::Metrics metrics;
  metrics.add_source([&store] { return store->metrics_text(); });
  metrics.add_source(http::sales_metrics(sales, holds, sold, calendar, clock));
  if (redis_client) metrics.add_source(http::redis_metrics([&redis_client] { return redis_client->ping(); }));
  std::function<std::vector<std::pair<std::string, bool>>()> health_extras;
  if (redis_client)
    health_extras = [&redis_client] {
      return std::vector<std::pair<std::string, bool>>{{"redis", redis_client->ping()}};
    };
  http::ApiDeps deps{sales,          draws,         *store,
                     auth,           calendar,      clock,
                     cfg.sales.demo, health_extras, [&metrics] { return metrics.text(); }};
  deps.accounts = &accounts;
  deps.payments = &payments;
  // Annuity installments: the payer runs now and at every pay day, on the instance holding the lease.
  const app::RunningClock real_clock;
  app::Annuities annuities(*store, clock, real_clock, cfg.annuity);
  deps.annuities = &annuities;
  annuities.start_payer();
  auto router = http::make_api(deps);
  http::RateLimiter limiter(cfg.rate_per_second, cfg.rate_burst);
  router->set_limiter([&limiter](const std::string& user) { return limiter.acquire(user); });

  http::Server server(cfg.server, *router, metrics);
  // Purchases' answers (JSON, metrics, the access log line) are made on the I/O threads, not on
  // the store's writer thread, which only decides, writes and commits (docs/DESIGN.md, threads).
  store->set_answer_executor([&server](std::function<void()> fn) { server.post(std::move(fn)); });
  // A purchase's checks that may wait on the network (the cart, an auto pick's holds and sold
  // index, a replay: MariaDB or Redis) leave the I/O thread. On the embedded store they are local
  // reads that never wait for a writer (SQLite WAL), cheaper than the hand-over: they stay.
  if (cfg.db.rfind("sqlite:", 0) != 0 || redis_client)
    sales.set_wait_executor([&server](std::function<void()> fn) { server.post_work(std::move(fn)); });
  server.start();
  spdlog::info(R"({{"msg":"listening","port":{},"db":"{}","demo":{},"compat":"{}","now":"{}"}})", server.port(),
               cfg.db.rfind("sqlite:", 0) == 0 ? cfg.db : std::string("mysql://…"), cfg.sales.demo,
               cfg.server.predecessor_compat ? "predecessor" : "none", format_kst(clock.now()));
  server.run();
  store->set_answer_executor({});  // the I/O threads have stopped
  annuities.stop_payer();
  // Finish (and answer) any write still queued while everything it calls back into is alive.
  reconciler.reset();
  relay.reset();
  store.reset();
  spdlog::info("stopped");
  return 0;
}

// The store named by the configuration (as `serve` reads it) into `to`; one JSON line on stdout.
int backup(const p720::Flags& flags, const std::string& to) {
  const p720::Config cfg = p720::load_config(flags);
  if (cfg.db.rfind("sqlite:", 0) != 0)
    throw std::invalid_argument("backup copies a sqlite: store; back up MariaDB with mariadb-backup (docs/DEPLOY.md)");
  const auto r = p720::store::backup_sqlite(cfg.db.substr(7), to);
  std::cout << nlohmann::json({{"msg", "backup done"}, {"to", to}, {"pages", r.pages}, {"bytes", r.bytes}}).dump()
            << "\n";
  return 0;
}

}  // namespace

// The command line: serve, token, backup. Exceptions of start-up end it with a message.
int run(int argc, char** argv) {
  CLI::App app{"pension720 — Pension Lottery 720+ online sales server"};
  app.require_subcommand(1);

  p720::Flags flags;
  auto* serve_cmd = app.add_subcommand("serve", "Start the HTTP server");
  serve_cmd->add_option("--port", flags.port, "Port to listen on (PENSION_PORT, default 8080)");
  serve_cmd->add_option("--db", flags.db, "sqlite:PATH or mysql://user:pass@host:port/db (PENSION_DB)");
  serve_cmd->add_option("--redis", flags.redis, "redis://host:port (PENSION_REDIS), optional");
  serve_cmd->add_option("--token-secret", flags.token_secret, "HS256 secret (PENSION_TOKEN_SECRET)");
  serve_cmd->add_option("--now", flags.now, "Start the service clock at this ISO-8601 instant (PENSION_NOW)");
  serve_cmd->add_flag("--demo", flags.demo, "Demo mode: users may deposit to themselves (PENSION_DEMO=1)");
  serve_cmd->add_option("--config", flags.config, "YAML configuration file (PENSION_CONFIG)");
  serve_cmd->add_option("--compat", flags.compat,
                        "predecessor: errors on the predecessor's routes as plain text (PENSION_COMPAT)");

  std::string user, name, email, role;
  long long ttl = 86400;
  std::optional<std::string> secret;
  std::optional<std::string> config_path;
  auto* token_cmd = app.add_subcommand("token", "Print a signed JWT");
  token_cmd->add_option("--user", user, "User id (claim id)")->required();
  token_cmd->add_option("--name", name, "Claim name");
  token_cmd->add_option("--email", email, "Claim email");
  token_cmd->add_option("--role", role, "ADMIN for an administrator")->check(CLI::IsMember({"ADMIN", "USER"}));
  token_cmd->add_option("--ttl", ttl, "Seconds until exp (0: no exp)")->check(CLI::Range(0LL, 10LL * 365 * 86400));
  token_cmd->add_option("--token-secret", secret, "HS256 secret (PENSION_TOKEN_SECRET)");
  token_cmd->add_option("--config", config_path, "YAML configuration file (PENSION_CONFIG)");

  p720::Flags bflags;
  std::string backup_to;
  auto* backup_cmd = app.add_subcommand("backup", "Copy the SQLite store into a new file while the server sells");
  backup_cmd->add_option("--to", backup_to, "The backup file to create (must not exist)")->required();
  backup_cmd->add_option("--db", bflags.db, "sqlite:PATH of the store (PENSION_DB)");
  backup_cmd->add_option("--config", bflags.config, "YAML configuration file (PENSION_CONFIG)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd) return serve(flags);
    if (*backup_cmd) return backup(bflags, backup_to);
    p720::Flags tflags;
    tflags.token_secret = secret;
    tflags.config = config_path;
    const auto cfg = p720::load_config(tflags);
    if (cfg.token_secret_default) std::cerr << "WARNING: signing with the built-in development secret.\n";
    if (user.empty() || user.size() > 64) throw std::invalid_argument("--user must be 1..64 characters");
    p720::http::TokenAuthority auth(cfg.token_secret);
    std::cout << auth.issue({user, name, email, role == "ADMIN"}, std::chrono::seconds(ttl)) << "\n";
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "pension720: " << e.what() << "\n";
    return 1;
  }
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pension720: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "pension720: unknown exception\n";
  }
  return 1;
}
