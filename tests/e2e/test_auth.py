"""Authentication, authorisation, error shape, request ids and CORS."""
import base64
import json
import subprocess
import time

import pytest

from conftest import BIN, ROUND, SECRET, Server, error_of, expect_error, make_token, new_user

PROTECTED = [
    ("GET", "/api/v1/wallet", None),
    ("GET", "/api/v1/wallet/transactions", None),
    ("POST", "/api/v1/wallet/deposit", {"amount": 1000}),
    ("GET", "/api/v1/pension/selected", None),
    ("POST", "/api/v1/pension/selected", {"round": ROUND, "group": 1, "number": "123456"}),
    ("DELETE", "/api/v1/pension/selected", None),
    ("DELETE", "/api/v1/pension/selected/1", None),
    ("POST", "/api/v1/pension/purchased", None),
    ("GET", "/api/v1/pension/purchased", None),
    ("POST", "/api/v1/pension/purchases", {"round": ROUND, "tickets": [{"group": 1, "number": "123456"}]}),
    ("GET", "/api/v1/pension", None),
    ("GET", "/api/v1/pension/winnings", None),
    ("POST", "/api/v1/pension/draws", {"round": ROUND, "random": True}),
    ("POST", "/api/v1/pension/matching", {}),
]

PUBLIC = [
    "/api/v1/pension/round",
    "/api/v1/pension/rounds/current",
    "/api/v1/pension-win/all",
    "/api/v1/pension-bonus/all",
    "/api/v1/statistics/pension/groupNum",
    "/api/v1/statistics/pension/sixthNum",
    "/api/v1/statistics/bonus/firstNum",
    "/actuator/health",
    "/metrics",
    "/openapi.json",
    "/",
]


def b64(obj):
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def alg_none_token(user):
    return b64({"alg": "none", "typ": "JWT"}) + "." + b64({"id": user, "exp": int(time.time()) + 3600}) + "."


def bad_tokens():
    u = "mallory"
    valid = make_token(u)
    head, payload, sig = valid.split(".")
    return {
        "garbage": "not-a-jwt",
        "two-parts": f"{head}.{payload}",
        "bad-base64": "%%%.###.$$$",
        "tampered-payload": f"{head}.{b64({'id': 'admin', 'role': 'ADMIN'})}.{sig}",
        "expired": make_token(u, ttl=-60),
        "alg-none": alg_none_token(u),
        "hs512": make_token(u, algorithm="HS512"),
        "hs384": make_token(u, algorithm="HS384"),
        "wrong-secret": make_token(u, secret="another-secret-of-length"),
        "no-id": make_token(u, drop_id=True),
        "empty-id": make_token("", extra={"id": ""}),
        "null-id": make_token(u, extra={"id": None}),
        "id-too-long": make_token("x" * 65),
        "exp-not-number": make_token(u, ttl=None, extra={"exp": "tomorrow"}),
        "huge": make_token(u, extra={"pad": "x" * 5000}),
    }


@pytest.mark.parametrize("method,path,body", PROTECTED)
def test_protected_route_without_token_is_401(server, method, path, body):
    r = server.request(method, path, json=body)
    expect_error(r, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("name", sorted(bad_tokens()))
def test_invalid_tokens_are_401(server, name):
    token = bad_tokens()[name]
    r = server.get("/api/v1/wallet", token=token)
    expect_error(r, 401, "UNAUTHORIZED")
    # Also on a write route: nothing is done for an unauthenticated caller.
    r = server.post("/api/v1/wallet/deposit", token=token, json={"amount": 1000, "userId": "mallory"})
    expect_error(r, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Token {tok}",
    "{tok}",
    "Bearer {tok} extra",
])
def test_malformed_authorization_header_is_401(server, header):
    tok = make_token("someone")
    r = server.get("/api/v1/wallet", headers={"Authorization": header.format(tok=tok)})
    expect_error(r, 401, "UNAUTHORIZED")


def test_invalid_token_changes_nothing(server):
    u = new_user()
    r = server.post("/api/v1/wallet/deposit", token=make_token(u, secret="another-secret-of-length"),
                    json={"amount": 5000})
    expect_error(r, 401, "UNAUTHORIZED")
    assert server.balance(u) == 0


def test_valid_token_works_and_integer_id_is_accepted(server):
    u = new_user()
    r = server.get("/api/v1/wallet", token=make_token(u))
    assert r.status_code == 200
    assert r.json() == {"userId": u, "balance": 0}
    # The predecessor's ids are numbers: an integer id claim names the user "<digits>".
    r = server.get("/api/v1/wallet", token=make_token(u, extra={"id": 987654321}))
    assert r.status_code == 200
    assert r.json()["userId"] == "987654321"


def test_token_without_exp_is_accepted(server):
    r = server.get("/api/v1/wallet", token=make_token(new_user(), ttl=None))
    assert r.status_code == 200, r.text


def test_cli_token_is_accepted_and_carries_role(server):
    u = new_user()
    out = subprocess.run([BIN, "token", "--user", u, "--role", "ADMIN", "--ttl", "600", "--token-secret", SECRET],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    import jwt as pyjwt
    claims = pyjwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["id"] == u and claims["role"] == "ADMIN"
    assert 0 < claims["exp"] - time.time() <= 601
    # An ADMIN token from the CLI may deposit for someone else.
    other = new_user()
    r = server.post("/api/v1/wallet/deposit", token=token, json={"amount": 3000, "userId": other})
    assert r.status_code == 200, r.text
    assert server.balance(other) == 3000
    # A token signed with another secret by the CLI is refused.
    out = subprocess.run([BIN, "token", "--user", u, "--token-secret", "some-other-secret"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    expect_error(server.get("/api/v1/wallet", token=out.stdout.strip()), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/v1/pension/draws", {"round": 342, "random": True}),
    ("POST", "/api/v1/pension/draws", {"round": 342, "group": 1, "number": "123456", "bonus": "654321"}),
    ("POST", "/api/v1/pension/matching", {
        "pensionWinNum": {"drawRound": 342, "groupNum": 1, "firstNum": 1, "secondNum": 2, "thirdNum": 3,
                          "fourthNum": 4, "fifthNum": 5, "sixthNum": 6},
        "pensionBonusNum": {"drawRound": 342, "firstNum": 6, "secondNum": 5, "thirdNum": 4, "fourthNum": 3,
                            "fifthNum": 2, "sixthNum": 1}}),
])
def test_admin_routes_with_user_token_are_403(server, method, path, body):
    u = new_user()
    expect_error(server.request(method, path, user=u, json=body), 403, "FORBIDDEN")
    # A role that is not exactly ADMIN is not an admin.
    expect_error(server.request(method, path, token=make_token(u, role="admin"), json=body), 403, "FORBIDDEN")
    expect_error(server.request(method, path, token=make_token(u, role="USER"), json=body), 403, "FORBIDDEN")
    # Nothing was drawn.
    expect_error(server.get("/api/v1/pension/draws/342"), 404, "NOT_FOUND")


def test_admin_route_without_token_is_401_not_403(server):
    expect_error(server.post("/api/v1/pension/draws", json={"round": 342, "random": True}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("path", PUBLIC)
def test_public_routes_need_no_token(server, path):
    r = server.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text)
    assert r.headers.get("X-Request-Id")


def test_public_route_ignores_a_bad_token(server):
    r = server.get("/api/v1/pension/round", token="garbage")
    assert r.status_code == 200
    assert r.json() == ROUND


def test_public_draw_read_is_not_401_before_the_draw(server):
    expect_error(server.get(f"/api/v1/pension/draws/{ROUND}"), 404, "NOT_FOUND")
    for base in ("pension-win", "pension-bonus"):
        r = server.get(f"/api/v1/{base}/round?round={ROUND}")
        assert r.status_code == 200 and r.json() == []


def test_operations_shapes(server):
    h = server.get("/actuator/health")
    assert h.json()["status"] == "UP"
    assert h.json()["components"]["store"]["status"] == "UP"
    m = server.get("/metrics")
    assert m.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE" in m.text
    o = server.get("/openapi.json").json()
    assert o["openapi"].startswith("3")
    # Only the document's shape here; test_openapi.py checks its content.
    assert isinstance(o["paths"], dict) and o["info"]["title"] == "pension720"
    page = server.get("/")
    assert page.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method,path,kw,status", [
    ("GET", "/no/such/route", {}, 404),
    ("GET", "/api/v1/pension/purchases", {"user": "x"}, 404),  # wrong method on a known path
    ("PUT", "/api/v1/wallet", {"user": "x"}, 404),
    ("GET", "/api/v1/wallet", {}, 401),
    ("POST", "/api/v1/pension/draws", {"user": "x", "json": {"round": 1, "random": True}}, 403),
    ("POST", "/api/v1/wallet/deposit", {"user": "x", "data": "{"}, 400),
    ("POST", "/api/v1/pension/purchases", {"user": "x", "json": {"round": 1, "tickets": [{"group": 1, "number": "000001"}]}}, 409),
    ("GET", "/api/v1/pension/draws/abc", {}, 400),
])
def test_every_error_has_code_and_message_and_request_id(server, method, path, kw, status):
    r = server.request(method, path, **kw)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert set(r.json()) >= {"errorCode", "errorMessage"}
    error_of(r)
    assert r.headers.get("X-Request-Id")


def test_request_ids_are_unique_and_echoed(server):
    ids = {server.get("/api/v1/pension/round").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    r = server.get("/api/v1/pension/round", headers={"X-Request-Id": "trace-abc.123_x"})
    assert r.headers["X-Request-Id"] == "trace-abc.123_x"
    # An unacceptable id is replaced, never reflected.
    r = server.get("/api/v1/pension/round", headers={"X-Request-Id": "bad id<script>"})
    assert r.headers["X-Request-Id"] and r.headers["X-Request-Id"] != "bad id<script>"
    r = server.get("/api/v1/wallet")  # an error
    assert r.status_code == 401 and r.headers.get("X-Request-Id")
    r = server.delete("/api/v1/pension/selected", user=new_user())  # a 204
    assert r.status_code == 204 and r.headers.get("X-Request-Id")


@pytest.mark.parametrize("path", ["/api/v1/pension/purchases", "/api/v1/wallet", "/api/v1/pension/selected/7"])
def test_cors_preflight(server, path):
    r = server.request("OPTIONS", path, headers={
        "Origin": "http://frontend.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    })
    assert r.status_code in (200, 204), r.text
    assert r.headers.get("Access-Control-Allow-Origin") in ("*", "http://frontend.example")
    allowed = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    methods = {m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert {"GET", "POST", "DELETE"} <= methods
    assert r.headers.get("X-Request-Id")


def test_cors_on_normal_and_error_responses(server):
    origin = {"Origin": "http://frontend.example"}
    r = server.get("/api/v1/pension/round", headers=origin)
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") in ("*", "http://frontend.example")
    # The browser must be able to read errors (401) too.
    r = server.get("/api/v1/wallet", headers=origin)
    assert r.status_code == 401
    assert r.headers.get("Access-Control-Allow-Origin") in ("*", "http://frontend.example")
    assert "x-request-id" in r.headers.get("Access-Control-Expose-Headers", "").lower()


def test_cors_origins_from_configuration(tmp_path):
    srv = Server(tmp_path, "cors", env={"PENSION_CORS_ORIGINS": "http://good.example,http://also.example"}).start()
    try:
        r = srv.get("/api/v1/pension/round", headers={"Origin": "http://good.example"})
        assert r.headers.get("Access-Control-Allow-Origin") == "http://good.example"
        assert "Origin" in r.headers.get("Vary", "")
        r = srv.request("OPTIONS", "/api/v1/wallet", headers={"Origin": "http://also.example",
                                                             "Access-Control-Request-Method": "GET"})
        assert r.status_code in (200, 204)
        assert r.headers.get("Access-Control-Allow-Origin") == "http://also.example"
        r = srv.get("/api/v1/pension/round", headers={"Origin": "http://evil.example"})
        assert r.status_code == 200
        assert "Access-Control-Allow-Origin" not in r.headers
    finally:
        srv.stop()


@pytest.mark.parametrize("now", ["2030-06-01T12:00:00+09:00", "2020-05-07T12:00:00+09:00"])
def test_token_exp_uses_the_real_clock_not_the_service_clock(tmp_path, now):
    srv = Server(tmp_path, "clock", now=now).start()
    try:
        u = new_user()
        # Valid for an hour of real time, whatever the service clock says.
        assert srv.get("/api/v1/wallet", token=make_token(u, ttl=3600)).status_code == 200
        # Expired a minute ago in real time, even if the service clock is years earlier.
        expect_error(srv.get("/api/v1/wallet", token=make_token(u, ttl=-60)), 401, "UNAUTHORIZED")
    finally:
        srv.stop()
