// Route table and handlers of sign-up, verification, login, refresh, logout and the account read,
// in the new shape (/api/v1/auth/…) and the predecessor's (/auth/…), on the same accounts.
// Passwords, codes and tokens in these requests are never logged (the access log has method,
// path and status only).

#include <charconv>
#include <cstdio>
#include <tuple>

#include "http/api.h"
#include "http/errors.h"
#include "http/json_codec.h"

namespace p720::http {
namespace {

// A required string field; generous limits here, the rules (app::Accounts) say what is valid.
Result<std::string> text(const Json& body, const char* name, size_t max_len) {
  auto v = string_field(body, name, max_len);
  if (!v.ok()) return v.error();
  if (!*v) return make_error(ErrorCode::kInvalidRequest, Subject::kField, name);
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
Response signed_in(const ApiDeps& d, const app::SignIn& s) {
  const auto ttl = d.accounts->config().access_ttl;
  Claims claims{app::Accounts::user_id_of(s.account.id), s.account.name, s.account.email, false,
                std::to_string(s.session_id)};
  const std::string access = d.auth.issue(claims, ttl);
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

Result<store::Account> sign_up(app::Accounts& accounts, const Json& body, bool predecessor) {
  app::SignUpRequest req;
  for (auto [name, out, max] : {std::tuple{"email", &req.email, 1024}, std::tuple{"password", &req.password, 1024},
                                std::tuple{"name", &req.name, 1024}}) {
    auto v = text(body, name, max);
    if (!v.ok()) return v.error();
    *out = *v;
  }
  auto birth = text(body, "birthDate", 64);
  if (!birth.ok())
    return predecessor ? make_error(ErrorCode::kInvalidRequest, Subject::kBirthDateRequired) : birth.error();
  req.birth_date = *birth;
  return accounts.sign_up(req);
}

Status send_code(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return body.error();
  auto email = text(*body, "email", 1024);
  if (!email.ok()) return email.error();
  return d.accounts->send_code(*email, client_of(c.req, d.accounts->config().client_address_header));
}

// Confirms the code in `code_field`; the e-mail confirmed.
Result<std::string> confirm(const ApiDeps& d, Context& c, const char* code_field) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return body.error();
  auto email = text(*body, "email", 1024);
  if (!email.ok()) return email.error();
  auto code = code_of(*body, code_field);
  if (!code.ok()) return code.error();
  auto st = d.accounts->confirm_code(*email, *code);
  if (!st.ok()) return st.error();
  return *email;
}

Response log_in(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto email = text(*body, "email", 1024);
  if (!email.ok()) return error_response(email.error());
  auto password = text(*body, "password", 1024);
  if (!password.ok()) return error_response(password.error());
  auto s = d.accounts->log_in(*email, *password, client_of(c.req, d.accounts->config().client_address_header));
  if (!s.ok()) return error_response(s.error());
  return signed_in(d, *s);
}

Response me(const ApiDeps& d, Context& c) {
  auto a = d.accounts->account_of(c.actor().user_id);
  if (!a.ok()) return error_response(a.error());
  return json_response(200, account_json(*a));
}

// --- /api/v1/auth ---------------------------------------------------------------------------

Response signup(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto a = sign_up(*d.accounts, *body, false);
  if (!a.ok()) return error_response(a.error());
  return json_response(201, {{"userId", app::Accounts::user_id_of(a->id)}, {"email", a->email}});
}

Response verification(const ApiDeps& d, Context& c) {
  auto st = send_code(d, c);
  if (!st.ok()) return error_response(st.error());
  return json_response(200,
                       {{"message", "인증 코드를 보냈습니다."}, {"expiresIn", d.accounts->config().code_ttl.count()}});
}

Response verification_confirm(const ApiDeps& d, Context& c) {
  auto email = confirm(d, c, "code");
  if (!email.ok()) return error_response(email.error());
  return json_response(200, {{"email", *email}, {"verified", true}});
}

Response refresh(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto token = text(*body, "refreshToken", 256);
  if (!token.ok()) return error_response(token.error());
  auto s = d.accounts->refresh(*token);
  if (!s.ok()) return error_response(s.error());
  return signed_in(d, *s);
}

Response logout(const ApiDeps& d, Context& c) {
  Status st = Status::Ok();
  long long sid = 0;
  const auto& text_sid = c.claims->session_id;
  if (!text_sid.empty() && std::from_chars(text_sid.data(), text_sid.data() + text_sid.size(), sid).ec == std::errc()) {
    st = d.accounts->log_out(sid);
  } else if (auto body = parse_object(c.req.body, true); body.ok() && body->contains("refreshToken")) {
    auto token = text(*body, "refreshToken", 256);
    st = token.ok() ? d.accounts->log_out_refresh(*token) : Status(token.error());
  }
  if (!st.ok()) return error_response(st.error());
  Response resp;
  resp.status = 204;
  resp.content_type.clear();
  return resp;
}

// --- The predecessor's auth server ----------------------------------------------------------

Response predecessor_sign_up(const ApiDeps& d, Context& c) {
  auto body = parse_object(c.req.body);
  if (!body.ok()) return error_response(body.error());
  auto a = sign_up(*d.accounts, *body, true);
  if (!a.ok()) return error_response(a.error());
  return json_response(
      201,
      {{"message", "회원가입이 완료되었습니다."}, {"userId", app::Accounts::user_id_of(a->id)}, {"email", a->email}});
}

Response certification(const ApiDeps& d, Context& c) {
  auto st = send_code(d, c);
  if (!st.ok()) return error_response(st.error());
  return json_response(200, {{"message", "인증 코드를 보냈습니다."}});
}

Response certification_request(const ApiDeps& d, Context& c) {
  auto email = confirm(d, c, "confirmationRequest");
  if (email.ok())
    return json_response(200,
                         {{"message", "이메일 인증이 완료되었습니다."}, {"certification", {{"certification", true}}}});
  const auto code = email.error().code;
  // A wrong or spent code is an answer of this route, not an error (the predecessor's shape).
  if (code != ErrorCode::kVerificationFailed && code != ErrorCode::kVerificationExpired)
    return error_response(email.error());
  return json_response(200, {{"message", error_message(email.error())}, {"certification", {{"certification", false}}}});
}

}  // namespace

void add_auth_routes(Router& r, const Deps& d) {
  r.post("/api/v1/auth/signup").handle(with(d, signup));
  r.post("/api/v1/auth/verification").handle(with(d, verification));
  r.post("/api/v1/auth/verification/confirm").handle(with(d, verification_confirm));
  r.post("/api/v1/auth/login").handle(with(d, log_in));
  r.post("/api/v1/auth/refresh").handle(with(d, refresh));
  r.post("/api/v1/auth/logout").user().handle(with(d, logout));
  r.get("/api/v1/auth/me").user().handle(with(d, me));
  r.post("/auth/signUp").handle(with(d, predecessor_sign_up));
  r.post("/auth/certification").handle(with(d, certification));
  r.post("/auth/certification/request").handle(with(d, certification_request));
  r.post("/auth/login").handle(with(d, log_in));
  r.get("/auth/mypage").user().handle(with(d, me));
}

}  // namespace p720::http
