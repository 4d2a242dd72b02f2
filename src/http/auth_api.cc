// Route table and handlers of sign-up, verification, login, refresh, logout and the account read,
// in the new shape (/api/v1/auth/…) and the predecessor's (/auth/…). Passwords, codes and tokens
// in these requests are never logged (the access log has method, path and status only).
#include "http/auth_api.h"

#include <charconv>
#include <cstdio>
#include <tuple>

#include "http/errors.h"
#include "http/json_codec.h"

namespace p720::http {
namespace {

// A required string field; generous limits here, the rules (app::Accounts) say what is valid.
Result<std::string> text(const Json& body, const char* name, size_t max_len) {
  auto v = string_field(body, name, max_len);
  if (!v.ok()) return v.error();
  if (!*v) return make_error(ErrorCode::kInvalidRequest, std::string(name) + " 값이 필요합니다.");
  return **v;
}

// Where the request came from, for the per-address sign-in limit: the peer, or behind a proxy
// the header it sets (auth.client-address-header), last entry — the one the proxy added; the
// entries before it are whatever the client sent (nginx's $proxy_add_x_forwarded_for appends).
std::string client_of(const Request& req, const std::string& header) {
  if (!header.empty())
    if (auto h = req.header(header); h && !h->empty()) {
      const auto comma = h->rfind(',');
      auto v = comma == std::string_view::npos ? *h : h->substr(comma + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return std::string(v.substr(0, 64));
    }
  return req.remote_address;
}

Json account_json(const store::Account& a) {
  return {{"userId", app::Accounts::user_id_of(a.id)},
          {"email", a.email},
          {"name", a.name},
          {"birthDate", a.birth_date},
          {"verified", a.verified}};
}

// The answer to a sign-in or refresh: the token pair in the body and the access token in the
// Authorization header (the predecessor's front end reads it there).
Response signed_in(const app::SignIn& s, const TokenAuthority& auth, std::chrono::seconds ttl) {
  Claims claims{app::Accounts::user_id_of(s.account.id), s.account.name, s.account.email, false,
                std::to_string(s.session_id)};
  const std::string access = auth.issue(claims, ttl);
  Response r = json_response(200, {{"accessToken", access},
                                   {"refreshToken", s.refresh_token},
                                   {"expiresIn", ttl.count()},
                                   {"tokenType", "Bearer"}});
  r.headers.emplace_back("Authorization", "Bearer " + access);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// The predecessor's front end may send the code as a number: 12345 means "012345".
Result<std::string> code_of(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it != body.end() && it->is_number_unsigned() && it->get<unsigned long long>() < 1'000'000) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06llu", it->get<unsigned long long>());
    return std::string(buf);
  }
  return text(body, name, 16);
}

}  // namespace

void add_auth_routes(Router& r, app::Accounts& accounts, const TokenAuthority& auth) {
  const auto ttl = accounts.config().access_ttl;
  const std::string address_header = accounts.config().client_address_header;

  auto sign_up = [&accounts](const Json& body, bool predecessor) -> Result<store::Account> {
    app::SignUpRequest req;
    for (auto [name, out, max] : {std::tuple{"email", &req.email, 1024}, std::tuple{"password", &req.password, 1024},
                                  std::tuple{"name", &req.name, 1024}}) {
      auto v = text(body, name, max);
      if (!v.ok()) return v.error();
      *out = *v;
    }
    auto birth = text(body, "birthDate", 64);
    if (!birth.ok())
      return predecessor ? make_error(ErrorCode::kInvalidRequest,
                                      "birthDate(YYYY-MM-DD) 값이 필요합니다: 만 19세 미만에게는 복권을 판매할 수 없습니다.")
                         : birth.error();
    req.birth_date = *birth;
    return accounts.sign_up(req);
  };
  auto log_in = [&accounts, &auth, ttl, address_header](Context& c) {
    auto body = parse_object(c.req.body);
    if (!body.ok()) return error_response(body.error());
    auto email = text(*body, "email", 1024);
    if (!email.ok()) return error_response(email.error());
    auto password = text(*body, "password", 1024);
    if (!password.ok()) return error_response(password.error());
    auto s = accounts.log_in(*email, *password, client_of(c.req, address_header));
    if (!s.ok()) return error_response(s.error());
    return signed_in(*s, auth, ttl);
  };
  auto send_code = [&accounts, address_header](Context& c) -> Status {
    auto body = parse_object(c.req.body);
    if (!body.ok()) return body.error();
    auto email = text(*body, "email", 1024);
    if (!email.ok()) return email.error();
    return accounts.send_code(*email, client_of(c.req, address_header));
  };
  auto confirm = [&accounts](Context& c, const char* code_field) -> Result<std::string> {
    auto body = parse_object(c.req.body);
    if (!body.ok()) return body.error();
    auto email = text(*body, "email", 1024);
    if (!email.ok()) return email.error();
    auto code = code_of(*body, code_field);
    if (!code.ok()) return code.error();
    auto st = accounts.confirm_code(*email, *code);
    if (!st.ok()) return st.error();
    return *email;
  };
  auto me = [&accounts](Context& c) {
    auto a = accounts.account_of(c.actor().user_id);
    if (!a.ok()) return error_response(a.error());
    return json_response(200, account_json(*a));
  };

  // --- /api/v1/auth ---------------------------------------------------------------------------
  r.add({"POST", "/api/v1/auth/signup", Access::kPublic, [sign_up](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto a = sign_up(*body, false);
           if (!a.ok()) return error_response(a.error());
           return json_response(201, {{"userId", app::Accounts::user_id_of(a->id)}, {"email", a->email}});
         }});
  r.add({"POST", "/api/v1/auth/verification", Access::kPublic, [send_code, &accounts](Context& c) {
           auto st = send_code(c);
           if (!st.ok()) return error_response(st.error());
           return json_response(200, {{"message", "인증 코드를 보냈습니다."},
                             {"expiresIn", accounts.config().code_ttl.count()}});
         }});
  r.add({"POST", "/api/v1/auth/verification/confirm", Access::kPublic, [confirm](Context& c) {
           auto email = confirm(c, "code");
           if (!email.ok()) return error_response(email.error());
           return json_response(200, {{"email", *email}, {"verified", true}});
         }});
  r.add({"POST", "/api/v1/auth/login", Access::kPublic, log_in});
  r.add({"POST", "/api/v1/auth/refresh", Access::kPublic, [&accounts, &auth, ttl](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto token = text(*body, "refreshToken", 256);
           if (!token.ok()) return error_response(token.error());
           auto s = accounts.refresh(*token);
           if (!s.ok()) return error_response(s.error());
           return signed_in(*s, auth, ttl);
         }});
  r.add({"POST", "/api/v1/auth/logout", Access::kUser, [&accounts](Context& c) {
           Status st = Status::Ok();
           long long sid = 0;
           const auto& text_sid = c.claims->session_id;
           if (!text_sid.empty() &&
               std::from_chars(text_sid.data(), text_sid.data() + text_sid.size(), sid).ec == std::errc()) {
             st = accounts.log_out(sid);
           } else if (auto body = parse_object(c.req.body, true); body.ok() && body->contains("refreshToken")) {
             auto token = text(*body, "refreshToken", 256);
             st = token.ok() ? accounts.log_out_refresh(*token) : Status(token.error());
           }
           if (!st.ok()) return error_response(st.error());
           Response resp;
           resp.status = 204;
           resp.content_type.clear();
           return resp;
         }});
  r.add({"GET", "/api/v1/auth/me", Access::kUser, me});

  // --- The predecessor's auth server ----------------------------------------------------------
  r.add({"POST", "/auth/signUp", Access::kPublic, [sign_up](Context& c) {
           auto body = parse_object(c.req.body);
           if (!body.ok()) return error_response(body.error());
           auto a = sign_up(*body, true);
           if (!a.ok()) return error_response(a.error());
           return json_response(201, {{"message", "회원가입이 완료되었습니다."},
                             {"userId", app::Accounts::user_id_of(a->id)},
                             {"email", a->email}});
         }});
  r.add({"POST", "/auth/certification", Access::kPublic, [send_code](Context& c) {
           auto st = send_code(c);
           if (!st.ok()) return error_response(st.error());
           return json_response(200, {{"message", "인증 코드를 보냈습니다."}});
         }});
  r.add({"POST", "/auth/certification/request", Access::kPublic, [confirm](Context& c) {
           auto email = confirm(c, "confirmationRequest");
           if (email.ok())
             return json_response(200, {{"message", "이메일 인증이 완료되었습니다."}, {"certification", {{"certification", true}}}});
           const auto code = email.error().code;
           // A wrong or spent code is an answer of this route, not an error (the predecessor's shape).
           if (code != ErrorCode::kVerificationFailed && code != ErrorCode::kVerificationExpired)
             return error_response(email.error());
           const auto& m = email.error().message;
           return json_response(200, {{"message", m.empty() ? "인증 코드가 만료되었습니다. 새 코드를 요청해 주세요." : m},
                             {"certification", {{"certification", false}}}});
         }});
  r.add({"POST", "/auth/login", Access::kPublic, log_in});
  r.add({"GET", "/auth/mypage", Access::kUser, me});
}

}  // namespace p720::http
