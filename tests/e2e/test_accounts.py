"""Accounts and sign-in (SPEC §3): sign-up with the age check, e-mail codes over real SMTP (an
aiosmtpd sink on 127.0.0.1), login and its limits, refresh-token rotation and reuse, logout, the
account read, the predecessor's /auth routes, bad input, and no secret in clear in the database
or the log."""
import json
import re
import sqlite3
import time

import jwt as pyjwt
import pytest
import requests

from conftest import ON_SALE, ROUND, SECRET, Server, error_of, expect_error, make_token, new_user
from smtp_sink import SmtpSink

PASSWORD = "correct horse 배터리 staple"
ADULT = "1990-05-17"
# Secrets the tests handled: none may appear in the database or the log (last test).
SEEN = {"passwords": {PASSWORD}, "codes": set(), "refresh": set(), "access": set()}


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, sink):
    server = Server(tmp_path_factory.mktemp("accounts"), "accounts", demo=False,
                    env={"PENSION_SMTP_URL": sink.url}).start()
    yield server
    server.stop()


def new_email(prefix="buyer"):
    return f"{new_user(prefix)}@example.com"


def signup(srv, email, password=PASSWORD, name="홍길동", birth=ADULT, path="/api/v1/auth/signup"):
    return srv.post(path, json={"email": email, "password": password, "name": name, "birthDate": birth})


def verify(srv, sink, email):
    r = srv.post("/api/v1/auth/verification", json={"email": email})
    assert r.status_code == 200, r.text
    code = sink.code_for(email)
    SEEN["codes"].add(code)
    r = srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": code})
    assert r.status_code == 200, r.text
    return code


def login(srv, email, password=PASSWORD, path="/api/v1/auth/login", **kw):
    r = srv.post(path, json={"email": email, "password": password}, **kw)
    if r.status_code == 200 and path.startswith("/api"):
        SEEN["refresh"].add(r.json()["refreshToken"])
        SEEN["access"].add(r.json()["accessToken"])
    return r


def account(srv, sink, email=None):
    """A verified account: (email, userId)."""
    email = email or new_email()
    r = signup(srv, email)
    assert r.status_code == 201, r.text
    verify(srv, sink, email)
    return email, r.json()["userId"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def count_accounts(srv):
    return srv.sql("SELECT COUNT(*) FROM accounts")[0][0]


# --- sign-up, verification, login, buying ------------------------------------------------------
def test_sign_up_verify_log_in_read_me_and_buy(srv, sink):
    email = new_email()
    r = signup(srv, email.upper())  # stored in lower case
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"userId", "email"} and body["email"] == email
    assert re.fullmatch(r"acct-\d+", body["userId"]), body
    user_id = body["userId"]

    expect_error(login(srv, email), 403, "EMAIL_NOT_VERIFIED")

    r = srv.post("/api/v1/auth/verification", json={"email": email})
    assert r.status_code == 200, r.text
    mail = sink.to(email)[-1]
    assert mail["to"] == [email] and "인증 코드" in mail["subject"], mail
    code = mail["code"]
    SEEN["codes"].add(code)
    assert re.fullmatch(r"\d{6}", code)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    expect_error(srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": wrong}),
                 400, "VERIFICATION_FAILED")
    r = srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": code})
    assert r.status_code == 200 and r.json() == {"email": email, "verified": True}, r.text
    # A code works once.
    expect_error(srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": code}),
                 400, "VERIFICATION_EXPIRED")

    r = login(srv, email)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert set(tokens) == {"accessToken", "refreshToken", "expiresIn", "tokenType"}, tokens
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 900
    assert r.headers["Authorization"] == f"Bearer {tokens['accessToken']}"
    claims = pyjwt.decode(tokens["accessToken"], SECRET, algorithms=["HS256"])
    assert claims["id"] == user_id and claims["email"] == email and claims["name"] == "홍길동"
    assert claims["exp"] - claims["iat"] == 900
    assert "role" not in claims
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", tokens["refreshToken"])

    r = srv.get("/api/v1/auth/me", headers=bearer(tokens["accessToken"]))
    assert r.status_code == 200, r.text
    assert r.json() == {"userId": user_id, "email": email, "name": "홍길동", "birthDate": ADULT, "verified": True}

    # The account buys with its access token (deposit by an ADMIN: the server is not in demo mode).
    admin = make_token("admin-accounts", role="ADMIN")
    r = srv.post("/api/v1/wallet/deposit", token=admin, json={"amount": 2000, "userId": user_id})
    assert r.status_code == 200, r.text
    r = srv.post("/api/v1/pension/purchases", headers=bearer(tokens["accessToken"]),
                 json={"round": ROUND, "tickets": [{"group": 2, "number": "135790"}]})
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == 1000
    r = srv.get("/api/v1/wallet", headers=bearer(tokens["accessToken"]))
    assert r.json() == {"userId": user_id, "balance": 1000}


def test_a_taken_email_is_409_in_any_case(srv, sink):
    email = new_email()
    assert signup(srv, email).status_code == 201
    before = count_accounts(srv)
    expect_error(signup(srv, email), 409, "EMAIL_TAKEN")
    expect_error(signup(srv, email.replace("buyer", "BUYER"), password="another password"), 409, "EMAIL_TAKEN")
    assert count_accounts(srv) == before


@pytest.mark.parametrize("birth,ok", [
    ("2007-11-24", True),    # 19 today (the service clock: 2026-11-24 KST)
    ("2007-11-25", False),   # 19 tomorrow
    ("2008-01-01", False),
    ("1930-01-01", True),
])
def test_buyers_must_be_19_on_the_kst_calendar(srv, birth, ok):
    before = count_accounts(srv)
    r = signup(srv, new_email(), birth=birth)
    if ok:
        assert r.status_code == 201, r.text
    else:
        expect_error(r, 403, "AGE_RESTRICTED")
        assert count_accounts(srv) == before


def test_the_kst_date_decides_the_age_not_utc(tmp_path, sink):
    # 2026-11-24 23:30 UTC is already the 25th in Korea: someone born 2007-11-25 is 19 there.
    s = Server(tmp_path, "kst", demo=False, now="2026-11-24T23:30:00Z", env={"PENSION_SMTP_URL": sink.url}).start()
    try:
        assert signup(s, new_email(), birth="2007-11-25").status_code == 201
        expect_error(signup(s, new_email(), birth="2007-11-26"), 403, "AGE_RESTRICTED")
    finally:
        s.stop()


LONG = "x" * 10_000
BAD_SIGNUPS = {
    "email-no-at": {"email": "no-at.example.com"},
    "email-two-ats": {"email": "a@@example.com"},
    "email-no-dot-domain": {"email": "a@localhost"},
    "email-space": {"email": "a b@example.com"},
    "email-double-dot": {"email": "a..b@example.com"},
    "email-leading-dot": {"email": ".a@example.com"},
    "email-local-65": {"email": "x" * 65 + "@example.com"},
    "email-255": {"email": "a@" + "b" * 240 + ".example.com"},
    "email-crlf": {"email": "a@example.com\r\nBcc: x@example.com"},
    "email-10k": {"email": LONG + "@example.com"},
    "email-number": {"email": 12345},
    "password-short": {"password": "1234567"},
    "password-10k": {"password": LONG},
    "password-257-bytes": {"password": "p" * 257},
    "password-control": {"password": "abcdefgh\x00ij"},
    "password-number": {"password": 12345678},
    "name-empty": {"name": ""},
    "name-spaces": {"name": "   "},
    "name-51": {"name": "가" * 51},
    "name-10k": {"name": LONG},
    "name-newline": {"name": "홍\n길동"},
    "birth-future": {"birthDate": "2026-11-25"},
    "birth-far-future": {"birthDate": "2999-01-01"},
    "birth-not-a-day": {"birthDate": "1990-02-30"},
    "birth-month-13": {"birthDate": "1990-13-01"},
    "birth-compact": {"birthDate": "19900101"},
    "birth-words": {"birthDate": "yesterday"},
    "birth-with-time": {"birthDate": "1990-01-01T00:00:00Z"},
    "birth-number": {"birthDate": 19900101},
    "birth-before-1900": {"birthDate": "1899-12-31"},
    "missing-email": {"email": None},
    "missing-password": {"password": None},
    "missing-name": {"name": None},
    "missing-birth": {"birthDate": None},
}


@pytest.mark.parametrize("name", sorted(BAD_SIGNUPS))
def test_bad_sign_up_input_is_400_and_changes_nothing(srv, name):
    body = {"email": new_email(), "password": PASSWORD, "name": "홍길동", "birthDate": ADULT}
    for k, v in BAD_SIGNUPS[name].items():
        if v is None:
            del body[k]
        else:
            body[k] = v
    before = count_accounts(srv)
    r = srv.post("/api/v1/auth/signup", json=body)
    expect_error(r, 400, "INVALID_REQUEST")
    assert count_accounts(srv) == before


@pytest.mark.parametrize("data", ["", "{", "[]", '"x"', "null", '{"email": "a@example.com"'])
def test_a_body_that_is_not_an_object_is_400(srv, data):
    for path in ("/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/verification",
                 "/api/v1/auth/verification/confirm", "/api/v1/auth/refresh", "/auth/signUp", "/auth/login"):
        expect_error(srv.post(path, data=data, headers={"Content-Type": "application/json"}), 400, "INVALID_REQUEST")


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456", 123456.5, None])
def test_a_malformed_code_is_400(srv, code):
    body = {"email": new_email()}
    if code is not None:
        body["code"] = code
    expect_error(srv.post("/api/v1/auth/verification/confirm", json=body), 400, "INVALID_REQUEST")


def test_a_code_allows_five_tries(srv, sink):
    email = new_email()
    assert signup(srv, email).status_code == 201
    assert srv.post("/api/v1/auth/verification", json={"email": email}).status_code == 200
    code = sink.code_for(email)
    SEEN["codes"].add(code)
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        body = expect_error(srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": wrong}),
                            400, "VERIFICATION_FAILED")
        assert f"남은 시도 {left}회" in body["errorMessage"], body
    expect_error(srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": wrong}),
                 400, "VERIFICATION_EXPIRED")
    # The right code after five tries: spent.
    expect_error(srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": code}),
                 400, "VERIFICATION_EXPIRED")
    expect_error(login(srv, email), 403, "EMAIL_NOT_VERIFIED")
    # A new code starts again.
    verify(srv, sink, email)
    assert login(srv, email).status_code == 200


def test_a_new_code_replaces_the_old_one(srv, sink):
    email = new_email()
    assert signup(srv, email).status_code == 201
    assert srv.post("/api/v1/auth/verification", json={"email": email}).status_code == 200
    first = sink.code_for(email)
    assert srv.post("/api/v1/auth/verification", json={"email": email}).status_code == 200
    second = sink.code_for(email)
    SEEN["codes"] |= {first, second}
    if first != second:
        expect_error(srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": first}),
                     400, "VERIFICATION_FAILED")
    assert srv.post("/api/v1/auth/verification/confirm", json={"email": email, "code": second}).status_code == 200


def test_a_code_is_valid_ten_minutes(tmp_path, sink):
    """The service clock moves by restarting on the same database (no waiting)."""
    start = "2026-11-24T12:00:00+09:00"
    s = Server(tmp_path, "ttl", demo=False, now=start, env={"PENSION_SMTP_URL": sink.url}).start()
    early, late = new_email("early"), new_email("late")
    try:
        for e in (early, late):
            assert signup(s, e).status_code == 201
            assert s.post("/api/v1/auth/verification", json={"email": e}).status_code == 200
        s.stop()
        s.start(now="2026-11-24T12:09:50+09:00")
        code = sink.code_for(early)
        assert s.post("/api/v1/auth/verification/confirm", json={"email": early, "code": code}).status_code == 200
        s.stop()
        s.start(now="2026-11-24T12:10:10+09:00")
        code = sink.code_for(late)
        SEEN["codes"].add(code)
        expect_error(s.post("/api/v1/auth/verification/confirm", json={"email": late, "code": code}),
                     400, "VERIFICATION_EXPIRED")
    finally:
        s.stop()


def test_code_mails_are_limited_per_email(srv, sink):
    email = new_email()
    for _ in range(5):
        assert srv.post("/api/v1/auth/verification", json={"email": email}).status_code == 200
    sent = len(sink.to(email))
    r = srv.post("/api/v1/auth/verification", json={"email": email})
    expect_error(r, 429, "TOO_MANY_REQUESTS")
    assert 1 <= int(r.headers["Retry-After"]) <= 900
    assert len(sink.to(email)) == sent


def test_verification_without_a_mail_server_is_503(tmp_path, sink):
    dead = f"smtp://127.0.0.1:{__import__('conftest').free_port()}"
    s = Server(tmp_path, "nomail", demo=False, env={"PENSION_SMTP_URL": dead}).start()
    try:
        email = new_email()
        assert signup(s, email).status_code == 201
        expect_error(s.post("/api/v1/auth/verification", json={"email": email}), 503, "SERVICE_UNAVAILABLE")
    finally:
        s.kill()  # a 503 is expected here; stop() would flag it


def test_require_verified_email_can_be_turned_off(tmp_path):
    s = Server(tmp_path, "demo-accounts", env={"PENSION_REQUIRE_VERIFIED_EMAIL": "false"}).start()
    try:
        email = new_email()
        assert signup(s, email).status_code == 201
        r = login(s, email)
        assert r.status_code == 200, r.text
        me = s.get("/api/v1/auth/me", headers=bearer(r.json()["accessToken"])).json()
        assert me["verified"] is False
    finally:
        s.stop()


# --- login failures ------------------------------------------------------------------------------
def test_unknown_email_and_wrong_password_answer_the_same(srv, sink):
    email, _ = account(srv, sink)
    unknown = login(srv, new_email("nobody"))
    wrong = login(srv, email, password="not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content  # byte-identical
    assert error_of(unknown) == "UNAUTHORIZED"
    same = lambda r: {k: v for k, v in r.headers.items() if k not in ("X-Request-Id", "Date")}
    assert same(unknown) == same(wrong)
    # Both did one Argon2id verify: the log shows no difference either (no timing asserted here).
    assert login(srv, email).status_code == 200


@pytest.mark.parametrize("body", [
    {"email": "a@example.com"}, {"password": "x" * 8}, {"email": "not-an-email", "password": "x" * 8},
    {"email": "a@example.com", "password": "x" * 10_000}, {"email": "a@example.com", "password": 12345678},
    {"email": "a@example.com", "password": ""},
])
def test_bad_login_input_is_400(srv, body):
    expect_error(srv.post("/api/v1/auth/login", json=body), 400, "INVALID_REQUEST")


def test_five_failures_for_one_email_then_429(srv, sink):
    email, _ = account(srv, sink)
    for _ in range(5):
        expect_error(login(srv, email, password="wrong password"), 401, "UNAUTHORIZED")
    r = login(srv, email)  # even the right password
    expect_error(r, 429, "TOO_MANY_REQUESTS")
    assert 1 <= int(r.headers["Retry-After"]) <= 900
    # Another e-mail from the same address is not affected.
    other, _ = account(srv, sink)
    assert login(srv, other).status_code == 200


def test_a_success_clears_the_failures_of_its_email(srv, sink):
    email, _ = account(srv, sink)
    for _ in range(4):
        expect_error(login(srv, email, password="wrong password"), 401, "UNAUTHORIZED")
    assert login(srv, email).status_code == 200
    for _ in range(4):
        expect_error(login(srv, email, password="wrong password"), 401, "UNAUTHORIZED")
    assert login(srv, email).status_code == 200


def test_fifty_failures_from_one_address_then_429(tmp_path):
    s = Server(tmp_path, "per-address", env={"PENSION_REQUIRE_VERIFIED_EMAIL": "false"}).start()
    try:
        email = new_email()
        assert signup(s, email).status_code == 201
        for i in range(50):  # 50 e-mails, one failure each: under the per-e-mail limit
            expect_error(login(s, f"nobody{i}@example.com"), 401, "UNAUTHORIZED")
        r = login(s, email)
        expect_error(r, 429, "TOO_MANY_REQUESTS")
        assert 1 <= int(r.headers["Retry-After"]) <= 900
    finally:
        s.stop()


def test_behind_a_proxy_the_configured_header_names_the_client(tmp_path):
    s = Server(tmp_path, "proxy", env={"PENSION_REQUIRE_VERIFIED_EMAIL": "false",
                                       "PENSION_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",
                                       "PENSION_LOGIN_FAILURES_PER_ADDRESS": "3"}).start()
    try:
        email = new_email()
        assert signup(s, email).status_code == 201
        # The proxy appends the address it saw; what the client put before it does not count.
        for i in range(3):
            expect_error(login(s, f"x{i}@example.com", headers={"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.7"}),
                         401, "UNAUTHORIZED")
        expect_error(login(s, email, headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}), 429, "TOO_MANY_REQUESTS")
        expect_error(login(s, email, headers={"X-Forwarded-For": "203.0.113.7"}), 429, "TOO_MANY_REQUESTS")
        assert login(s, email, headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}).status_code == 200
    finally:
        s.stop()


def test_every_429_carries_retry_after_also_the_per_user_rate_limit(tmp_path):
    s = Server(tmp_path, "rate", env={"PENSION_RATE_PER_SECOND": "20", "PENSION_RATE_BURST": "100"}).start()
    try:
        u = new_user()
        for _ in range(1000):  # the bucket holds 100 and refills 20/s: a tight loop empties it
            r = s.post("/api/v1/wallet/deposit", user=u, json={"amount": 1000})
            if r.status_code == 429:
                break
        expect_error(r, 429, "TOO_MANY_REQUESTS")
        assert int(r.headers["Retry-After"]) >= 1
    finally:
        s.stop()


# --- refresh, logout -------------------------------------------------------------------------------
def test_refresh_rotates_and_a_reused_token_revokes_the_sign_in(srv, sink):
    email, user_id = account(srv, sink)
    first = login(srv, email).json()
    r = srv.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert r.status_code == 200, r.text
    second = r.json()
    SEEN["refresh"].add(second["refreshToken"])
    assert second["refreshToken"] != first["refreshToken"]
    assert r.headers["Authorization"] == f"Bearer {second['accessToken']}"
    assert pyjwt.decode(second["accessToken"], SECRET, algorithms=["HS256"])["id"] == user_id
    assert srv.get("/api/v1/auth/me", headers=bearer(second["accessToken"])).status_code == 200

    # The spent token again: refused, and the whole sign-in with it.
    expect_error(srv.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}), 401, "UNAUTHORIZED")
    expect_error(srv.post("/api/v1/auth/refresh", json={"refreshToken": second["refreshToken"]}), 401, "UNAUTHORIZED")
    for t in (first["accessToken"], second["accessToken"]):
        expect_error(srv.get("/api/v1/auth/me", headers=bearer(t)), 401, "UNAUTHORIZED")
    # Another sign-in of the same account is untouched.
    other = login(srv, email).json()
    assert srv.get("/api/v1/auth/me", headers=bearer(other["accessToken"])).status_code == 200


def test_logout_ends_the_sign_in(srv, sink):
    email, _ = account(srv, sink)
    t = login(srv, email).json()
    r = srv.post("/api/v1/auth/logout", headers=bearer(t["accessToken"]))
    assert r.status_code == 204, r.text
    expect_error(srv.get("/api/v1/auth/me", headers=bearer(t["accessToken"])), 401, "UNAUTHORIZED")
    expect_error(srv.get("/api/v1/wallet", headers=bearer(t["accessToken"])), 401, "UNAUTHORIZED")
    expect_error(srv.post("/api/v1/auth/refresh", json={"refreshToken": t["refreshToken"]}), 401, "UNAUTHORIZED")
    expect_error(srv.post("/api/v1/auth/logout"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("body,status", [
    ({}, 400), ({"refreshToken": 5}, 400), ({"refreshToken": "x" * 300}, 400),
    ({"refreshToken": ""}, 401), ({"refreshToken": "not-a-token"}, 401), ({"refreshToken": "A" * 43}, 401),
])
def test_bad_refresh_tokens(srv, body, status):
    expect_error(srv.post("/api/v1/auth/refresh", json=body), status,
                 "INVALID_REQUEST" if status == 400 else "UNAUTHORIZED")


def test_me_needs_an_account_token(srv):
    expect_error(srv.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    expect_error(srv.get("/api/v1/auth/me", token=make_token("cli-user")), 404, "NOT_FOUND")
    expect_error(srv.get("/api/v1/auth/me", token=make_token("acct-999999")), 404, "NOT_FOUND")


def test_an_access_token_with_a_forged_session_is_401(srv):
    expect_error(srv.get("/api/v1/wallet", token=make_token("acct-1", extra={"sid": "987654"})), 401, "UNAUTHORIZED")
    expect_error(srv.get("/api/v1/wallet", token=make_token("acct-1", extra={"sid": "x"})), 401, "UNAUTHORIZED")
    expect_error(srv.get("/api/v1/wallet", token=make_token("acct-1", extra={"sid": 5})), 401, "UNAUTHORIZED")


# --- the predecessor's routes ------------------------------------------------------------------------
def test_predecessor_certification_then_sign_up_then_login(srv, sink):
    email = new_email("pred")
    r = srv.post("/auth/certification", json={"email": email})
    assert r.status_code == 200 and r.json()["message"], r.text
    code = sink.code_for(email)
    SEEN["codes"].add(code)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = srv.post("/auth/certification/request", json={"email": email, "confirmationRequest": wrong})
    assert r.status_code == 200, r.text
    assert r.json()["certification"] == {"certification": False} and r.json()["message"], r.json()
    r = srv.post("/auth/certification/request", json={"email": email, "confirmationRequest": code})
    assert r.status_code == 200, r.text
    assert r.json()["certification"] == {"certification": True}, r.json()

    # The predecessor's sign-up had no birth date; the law needs one.
    body = {"name": "김철수", "email": email, "password": PASSWORD, "confirmationRequest": code}
    expect_error(srv.post("/auth/signUp", json=body), 400, "INVALID_REQUEST")
    expect_error(srv.post("/auth/signUp", json={**body, "birthDate": "2010-01-01"}), 403, "AGE_RESTRICTED")
    r = srv.post("/auth/signUp", json={**body, "birthDate": ADULT})
    assert r.status_code == 201, r.text
    expect_error(srv.post("/auth/signUp", json={**body, "birthDate": ADULT}), 409, "EMAIL_TAKEN")

    # Verified before sign-up: the login works at once, the token in the Authorization header,
    # readable by a browser on another origin.
    r = srv.post("/auth/login", json={"email": email, "password": PASSWORD},
                 headers={"Origin": "http://frontend.example"})
    assert r.status_code == 200, r.text
    token = r.headers["Authorization"].removeprefix("Bearer ")
    SEEN["access"].add(token)
    SEEN["refresh"].add(r.json()["refreshToken"])
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert "authorization" in exposed
    r = srv.get("/auth/mypage", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == email and r.json()["name"] == "김철수" and r.json()["verified"] is True


def test_predecessor_code_may_be_a_number(srv, sink):
    email = new_email("prednum")
    assert srv.post("/auth/certification", json={"email": email}).status_code == 200
    code = sink.code_for(email)
    SEEN["codes"].add(code)
    r = srv.post("/auth/certification/request", json={"email": email, "confirmationRequest": int(code)})
    assert r.json()["certification"] == {"certification": True}, r.text


def test_predecessor_login_failures_are_the_same_401(srv, sink):
    email, _ = account(srv, sink)
    unknown = srv.post("/auth/login", json={"email": new_email("nobody"), "password": PASSWORD})
    wrong = srv.post("/auth/login", json={"email": email, "password": "wrong password"})
    assert unknown.status_code == wrong.status_code == 401  # not the predecessor's 406
    assert unknown.content == wrong.content
    expect_error(srv.get("/auth/mypage"), 401, "UNAUTHORIZED")


def test_cors_preflight_of_the_auth_routes(srv):
    r = srv.request("OPTIONS", "/auth/login", headers={"Origin": "http://frontend.example",
                                                        "Access-Control-Request-Method": "POST",
                                                        "Access-Control-Request-Headers": "content-type"})
    assert r.status_code in (200, 204)
    assert r.headers.get("Access-Control-Allow-Origin") in ("*", "http://frontend.example")


# --- nothing in clear -------------------------------------------------------------------------------
def test_no_password_code_or_token_in_clear_in_the_database_or_the_log(srv):
    conn = sqlite3.connect(f"file:{srv.db}?mode=ro", uri=True, timeout=30)
    try:
        hashes = [h for (h,) in conn.execute("SELECT password_hash FROM accounts")]
        cells = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                cells.extend(str(c) for c in row if c is not None)
    finally:
        conn.close()
    assert hashes and all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes), hashes[:3]
    text = "\n".join(cells)
    log = srv.log_path.read_text(errors="replace")
    assert SEEN["codes"] and SEEN["refresh"] and SEEN["access"]
    for kind, values in SEEN.items():
        for v in values:
            assert v not in text, f"a {kind} is stored in clear"
            assert v not in log, f"a {kind} is in the log"
    # Nor the bodies of any request: the access log has method, path and status only.
    assert "password" not in log.lower()
