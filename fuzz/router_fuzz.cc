// libFuzzer target: the whole request path below the socket — Router::dispatch over the real API
// (make_api) with a real SqlStore on a temporary SQLite file, in demo mode. Any method, path,
// query, headers and body must give a well-formed answer: a status the API uses, a JSON body
// that parses, the SPEC's error shape, and no 5xx (the store is local and healthy).
//
// Input format (so the seeds stay readable and mutations stay meaningful):
//   line 1:  <auth> <METHOD> <target>      auth: 'U' user token, 'A' admin token, '-' none
//   then:    <name>: <value>               header lines, until an empty line
//   rest:    the body
// A validly signed token cannot be found by mutation, so 'U'/'A' add one (claims fixed here).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/accounts.h"
#include "app/draws.h"
#include "app/holds.h"
#include "app/sales.h"
#include "app/sold_cache.h"
#include "http/api.h"
#include "store/factory.h"

namespace {

using namespace p720;

// The service clock stands still at a time when round 343 is on sale: runs are reproducible.
class FixedClock final : public app::Clock {
 public:
  Instant now() const override { return *parse_instant("2026-11-24T12:00:00+09:00"); }
};

// The harness's mail relay takes every message: mail is not what is fuzzed here (the SMTP
// client has its own tests against real sockets), and a 503 would read as a failure.
class AcceptingMailer final : public app::Mailer {
 public:
  Status send(const app::MailMessage&) override { return Status::Ok(); }
};

struct World {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  RoundCalendar calendar;
  FixedClock clock;
  app::MemoryHolds holds;
  std::unique_ptr<app::MemorySoldCache> sold;
  std::unique_ptr<app::Sales> sales;
  std::unique_ptr<app::Draws> draws;
  AcceptingMailer mailer;
  std::unique_ptr<app::Accounts> accounts;
  http::TokenAuthority auth{"fuzz-secret-0123456789abcdef"};
  std::unique_ptr<http::Router> router;
  std::string user_token, admin_token;

  World() {
    // /dev/shm when there is one: the store syncs every commit, and the fuzzer commits a lot.
    std::filesystem::path base =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    std::string tmpl = (base / "pension720-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    store = store::open_store("sqlite:" + (dir / "fuzz.db").string());
    sold = std::make_unique<app::MemorySoldCache>(*store);
    app::SalesConfig cfg;
    cfg.demo = true;
    sales = std::make_unique<app::Sales>(*store, holds, *sold, calendar, clock, cfg);
    draws = std::make_unique<app::Draws>(*store, calendar, clock);
    app::AccountsConfig accounts_cfg;
    accounts_cfg.require_verified_email = false;  // so that a fuzzed login can get through
    accounts = std::make_unique<app::Accounts>(*store, &mailer, clock, "fuzz-code-secret", accounts_cfg);
    auth.set_session_check([this](const std::string& sid) {
      return sid.find_first_not_of("0123456789") == std::string::npos && sid.size() < 18 &&
             accounts->session_active(std::stoll(sid));
    });
    http::ApiDeps deps{
        *sales, *draws, *store, auth, calendar, clock, true, nullptr, [] { return std::string("# none\n"); }};
    deps.accounts = accounts.get();
    router = http::make_api(deps);
    user_token = "Bearer " + auth.issue({"fuzz-user", "퍼즈", "fuzz@example.com", false}, std::chrono::seconds(0));
    admin_token = "Bearer " + auth.issue({"fuzz-admin", "", "", true}, std::chrono::seconds(0));
  }
};

// Never destroyed: the store's writer thread may still be running when the fuzzer exits.
World& world() {
  static World* w = new World;
  return *w;
}

std::string_view take_line(std::string_view& in) {
  const auto nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world();
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(world().dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view first = take_line(in);
  if (first.empty()) return 0;
  const char auth = first[0];
  first.remove_prefix(1);
  if (!first.empty() && first[0] == ' ') first.remove_prefix(1);

  http::Request req;
  const auto sp = first.find(' ');
  req.method = std::string(first.substr(0, sp));
  const std::string_view target = sp == std::string_view::npos ? std::string_view() : first.substr(sp + 1);
  const auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (std::string_view line = take_line(in); !line.empty(); line = take_line(in)) {
    const auto colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.emplace_back(std::move(name), std::string(value));
  }
  if (auth == 'U') req.headers.emplace_back("authorization", w.user_token);
  if (auth == 'A') req.headers.emplace_back("authorization", w.admin_token);
  req.body = std::string(in);
  req.request_id = "fuzz";

  std::string route;
  const http::Response res = w.router->dispatch(req, &route);
  // FUZZ_TRACE=1: one line per input, to see what the seeds reach.
  static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
  if (trace)
    std::fprintf(stderr, "%s %s -> %d %.200s\n", req.method.c_str(), req.path.c_str(), res.status, res.body.c_str());

  if (res.status < 200 || res.status > 499) std::abort();
  if (res.content_type.rfind("application/json", 0) == 0) {
    const auto body = nlohmann::json::parse(res.body, nullptr, false);
    if (body.is_discarded()) std::abort();
    if (res.status >= 400) {
      if (!body.is_object() || !body.contains("errorCode") || !body["errorCode"].is_string() ||
          !body.contains("errorMessage") || !body["errorMessage"].is_string())
        std::abort();
    }
  } else if (res.status >= 400 || (res.status != 204 && res.content_type.empty())) {
    std::abort();  // errors are JSON; only 204 has no body type
  }
  return 0;
}
