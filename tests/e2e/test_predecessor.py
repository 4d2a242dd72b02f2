"""Predecessor mode and the predecessor's shapes, read the way its React front end reads them.

Two servers share one scenario: `on` runs with PENSION_COMPAT=predecessor, `off` with the default.
Both sell tickets on 2026-11-24 (round 343 on sale), are restarted at 2026-11-26 18:00 KST and
record the draws of rounds 341 and 343. The front end's reads are pinned on both (the shapes do not
depend on the mode); its `alert(error.response.data)` needs plain-text errors, which only `on` gives.
"""
from datetime import date, datetime

import pytest
import requests

from conftest import CLOSED, ROUND, Server, expect_error, new_user

DIGITS = ("firstNum", "secondNum", "thirdNum", "fourthNum", "fifthNum", "sixthNum")
WIN_KEYS = {"id", "drawRound", "groupNum", *DIGITS, "drawDate"}
TEXT = "text/plain; charset=utf-8"
RATE = {"PENSION_RATE_PER_SECOND": "20", "PENSION_RATE_BURST": "100"}


class World:
    pass


def _scenario(tmp_path_factory, name, env):
    w = World()
    srv = Server(tmp_path_factory.mktemp(name), name, env=env)
    srv.start()
    w.buyer = new_user("buyer")
    srv.deposit(w.buyer, 10_000)
    assert srv.buy(w.buyer, [{"group": 3, "number": "111111"}]).status_code == 201
    assert srv.select(w.buyer, 4, "222222").status_code == 201
    assert srv.checkout(w.buyer).status_code == 201
    srv.stop()
    srv.start(now=CLOSED)
    for body in ({"round": 341, "group": 4, "number": "090807", "bonus": "010203"},
                 {"round": ROUND, "group": 3, "number": "111111", "bonus": "654321"}):
        r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=body)
        assert r.status_code == 201, r.text
    w.srv = srv
    return w


@pytest.fixture(scope="module")
def on(tmp_path_factory):
    w = _scenario(tmp_path_factory, "compat-on", {"PENSION_COMPAT": "predecessor", **RATE})
    yield w
    w.srv.stop()


@pytest.fixture(scope="module")
def off(tmp_path_factory):
    w = _scenario(tmp_path_factory, "compat-off", RATE)
    yield w
    w.srv.stop()


@pytest.fixture(params=["on", "off"])
def world(request, on, off):
    return on if request.param == "on" else off


def expect_text(resp, status, message):
    """The predecessor's ResponseEntity<String>: the Korean message alone, as text/plain."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"] == TEXT, resp.headers
    assert resp.content.decode("utf-8") == message, resp.text
    assert "X-Request-Id" in resp.headers


# --- shapes, the same in both modes ------------------------------------------------------------
def test_win_and_bonus_by_round_are_lists_as_the_front_end_reads_them(world):
    srv = world.srv
    for base, keys in (("pension-win", WIN_KEYS), ("pension-bonus", WIN_KEYS - {"groupNum"})):
        body = srv.get(f"/api/v1/{base}/round", params={"round": ROUND}).json()
        # response.data[0].drawDate, then results.map(...)
        assert body[0]["drawDate"] == "2026-11-26"
        assert [set(row) for row in body] == [keys]
        assert body[0]["drawRound"] == body[0]["id"] == ROUND
    win = srv.get("/api/v1/pension-win/round", params={"round": ROUND}).json()[0]
    assert win["groupNum"] == 3 and "".join(str(win[k]) for k in DIGITS) == "111111"
    bonus = srv.get("/api/v1/pension-bonus/round", params={"round": ROUND}).json()[0]
    assert "".join(str(bonus[k]) for k in DIGITS) == "654321"


def test_a_round_or_date_not_drawn_is_an_empty_list(world):
    srv = world.srv
    for base in ("pension-win", "pension-bonus"):
        for path, params in (("round", {"round": 342}), ("round", {"round": ROUND + 1}),
                             ("date", {"date": "2026-11-19"}),   # round 342's draw day, not drawn
                             ("date", {"date": "2026-11-25"}),   # not a draw day
                             ("date", {"date": "1999-01-07"})):  # before round 1
            r = srv.get(f"/api/v1/{base}/{path}", params=params)
            assert r.status_code == 200 and r.json() == [], (base, path, params, r.text)


def test_win_and_bonus_by_date(world):
    srv = world.srv
    for base in ("pension-win", "pension-bonus"):
        by_date = srv.get(f"/api/v1/{base}/date", params={"date": "2026-11-12"}).json()
        assert by_date == srv.get(f"/api/v1/{base}/round", params={"round": 341}).json()
        assert by_date[0]["drawRound"] == 341 and date.fromisoformat(by_date[0]["drawDate"]) == date(2026, 11, 12)


def test_all_lists_every_drawn_round(world):
    srv = world.srv
    wins = srv.get("/api/v1/pension-win/all").json()
    bonuses = srv.get("/api/v1/pension-bonus/all").json()
    assert sorted(row["drawRound"] for row in wins) == [341, ROUND]
    assert all(set(row) == WIN_KEYS for row in wins)
    assert all(set(row) == WIN_KEYS - {"groupNum"} for row in bonuses)


def test_statistics_rows_carry_frequency(world):
    srv = world.srv
    rows = srv.get("/api/v1/statistics/pension/groupNum").json()
    # item.frequency is what the front end draws its tables from.
    by_number = {row["number"]: row["frequency"] for row in rows}
    assert by_number[3] == 1 and by_number[4] == 1 and sum(by_number.values()) == 2
    assert all(row["count"] == row["frequency"] for row in rows)
    bonus = srv.get("/api/v1/statistics/bonus/firstNum").json()
    assert {row["number"]: row["frequency"] for row in bonus}[6] == 1


def test_history_rows_carry_the_kst_date_and_the_instant(world):
    srv = world.srv
    rows = srv.get("/api/v1/pension", user=world.buyer).json()
    assert len(rows) == 2
    for row in rows:
        # new Date(item.createAt) <= new Date(endDate), endDate "YYYY-MM-DD": today's tickets count.
        assert date.fromisoformat(row["createAt"]) == date(2026, 11, 24)
        assert date.fromisoformat(row["createAt"]) <= date.fromisoformat("2026-11-24")
        created = datetime.fromisoformat(row["createdAt"])
        assert created.utcoffset().total_seconds() == 9 * 3600 and created.date() == date(2026, 11, 24)
        assert row["groupNum"] == row["group"]


def test_a_bad_date_is_400(world):
    for bad in ("2026-11-31", "26-11-26", "", "2026-11-26T19:05:00+09:00", "abc"):
        r = world.srv.get("/api/v1/pension-win/date", params={"date": bad})
        assert r.status_code == 400, (bad, r.text)
    assert world.srv.get("/api/v1/pension-bonus/date").status_code == 400


# --- errors: plain text on the predecessor's routes with the mode on, JSON otherwise -----------
def _errors_on_predecessor_routes(srv, user):
    """(response, status, errorCode, message or None) of errors on the predecessor's routes; the
    servers' clock is past round 343's close, so selecting answers TIME_OUT."""
    yield srv.get("/api/v1/pension-win/round", params={"round": "abc"}), 400, "INVALID_REQUEST", "round 값이 올바르지 않습니다."
    yield srv.get("/api/v1/pension-win/date", params={"date": "x"}), 400, "INVALID_REQUEST", \
        "date 값은 YYYY-MM-DD 형식의 날짜여야 합니다."
    yield srv.get("/api/v1/pension"), 401, "UNAUTHORIZED", None
    yield srv.get("/api/v1/pension/selected"), 401, "UNAUTHORIZED", None
    yield srv.get("/api/v1/pension", user=user, params={"result": "x"}), 400, "INVALID_REQUEST", "result 값이 올바르지 않습니다."
    yield srv.post("/api/v1/pension/selected", user=user, json={"round": ROUND, "group": 1, "number": "123456"}), \
        409, "TIME_OUT", "지금은 선택/구매할 수 없습니다."
    yield srv.post("/api/v1/pension/purchased", user=user), 409, "TIME_OUT", "지금은 선택/구매할 수 없습니다."
    yield srv.delete("/api/v1/pension/selected/99999999", user=user), 404, "NOT_FOUND", None
    yield srv.get("/api/v1/statistics/pension/seventhNum"), 404, "NOT_FOUND", None
    yield srv.get("/api/v1/pension-bonus/nothing"), 404, "NOT_FOUND", None
    yield srv.get("/api/v1/accounts/someone-else", user=user), 404, "NOT_FOUND", "계정을 찾을 수 없습니다."
    yield srv.request("PUT", f"/api/v1/accounts/{user}/withdraw", user=user,
                      json={"amount": 5000, "bankCode": "088", "accountNumber": "110123456789", "holderName": "홍"}), \
        400, "NOT_ENOUGH_MONEY", "예치금이 부족합니다."
    yield srv.post("/api/v1/payments/success?orderId=order-unknown0&amount=1000&paymentKey=pk", user=user), \
        404, "NOT_FOUND", "주문을 찾을 수 없습니다."


def test_errors_on_predecessor_routes_are_plain_text_when_the_mode_is_on(on):
    srv = on.srv
    for resp, status, code, message in _errors_on_predecessor_routes(srv, new_user()):
        assert resp.status_code == status, (resp.url, resp.text)
        assert resp.headers["Content-Type"] == TEXT, (resp.url, resp.headers)
        text = resp.content.decode("utf-8")
        assert not text.startswith("{") and any("\uac00" <= ch <= "\ud7a3" for ch in text), (resp.url, text)
        if message:
            assert text == message, (resp.url, text)


def test_the_same_errors_are_json_when_the_mode_is_off(off):
    for resp, status, code, message in _errors_on_predecessor_routes(off.srv, new_user()):
        body = expect_error(resp, status, code)
        if message:
            assert body["errorMessage"] == message


def test_plain_text_error_equals_the_json_message(on, off):
    """The text is exactly the errorMessage the JSON mode gives for the same request."""
    u = new_user()
    for srv in (on.srv, off.srv):
        srv.deposit(u, 5000)
    a = on.srv.post("/api/v1/pension/purchased", user=u)
    b = off.srv.post("/api/v1/pension/purchased", user=u)
    assert a.status_code == b.status_code == 409
    assert a.text == b.json()["errorMessage"] == "지금은 선택/구매할 수 없습니다."


def test_other_routes_stay_json_in_predecessor_mode(on):
    srv = on.srv
    u = new_user()
    expect_error(srv.post("/api/v1/pension/purchases", user=u, json={"round": ROUND}), 400, "INVALID_REQUEST")
    expect_error(srv.post("/api/v1/wallet/deposit", user=u, json={"amount": -1}), 400, "INVALID_REQUEST")
    expect_error(srv.get("/api/v1/wallet"), 401, "UNAUTHORIZED")
    expect_error(srv.post("/api/v1/pension/draws", user=u, json={"round": 1}), 403, "FORBIDDEN")
    expect_error(srv.post("/api/v1/pension/draws", user="boss", admin=True, json={"round": ROUND, "group": 1,
                                                                                   "number": "000000", "bonus": "111111"}),
                 409, "ALREADY_DRAWN")
    expect_error(srv.get("/api/v1/nowhere"), 404, "NOT_FOUND")
    expect_error(srv.get("/api/v1/pension-winners"), 404, "NOT_FOUND")  # a prefix, not the route
    # Successful answers are JSON as ever.
    assert srv.get("/api/v1/pension/round").json() == ROUND


def test_too_large_a_body_on_the_cart_is_text_in_the_mode(on, off):
    big = b'{"round":343,"pad":"' + b"x" * (70 * 1024) + b'"}'
    a = requests.post(on.srv.url("/api/v1/pension/selected"), data=big,
                      headers={"Authorization": f"Bearer {on.srv.token('big')}", "Content-Type": "application/json"})
    expect_text(a, 413, "요청 본문이 너무 큽니다.")
    b = requests.post(off.srv.url("/api/v1/pension/selected"), data=big,
                      headers={"Authorization": f"Bearer {off.srv.token('big')}", "Content-Type": "application/json"})
    expect_error(b, 413, "PAYLOAD_TOO_LARGE")


def test_every_429_has_retry_after_in_both_modes(on, off):
    for srv, text in ((on.srv, True), (off.srv, False)):
        u = new_user()
        limited = []
        for _ in range(300):
            r = srv.delete("/api/v1/pension/selected", user=u)  # a rate-limited predecessor route
            if r.status_code == 429:
                limited.append(r)
            else:
                assert r.status_code == 204, r.text
        assert limited, "the flood was never limited"
        for r in limited:
            assert int(r.headers["Retry-After"]) >= 1, r.headers
            if text:
                expect_text(r, 429, "요청이 너무 많습니다. 잠시 후 다시 시도하세요.")
            else:
                expect_error(r, 429, "TOO_MANY_REQUESTS")


def test_cors_preflight_and_errors_reach_another_origin(on):
    """The predecessor's front end runs on another origin: its error alerts need CORS on errors too."""
    r = on.srv.get("/api/v1/pension/selected", headers={"Origin": "http://front.example"})
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Content-Type"] == TEXT


def test_money_is_conserved(on, off):
    on.srv.assert_money_conserved()
    off.srv.assert_money_conserved()
