"""Withdrawals (SPEC §3 "Money in and out"): a request debits at once (Idempotency-Key honoured),
at least wallet.min-withdrawal and at most the balance; the caller lists its own; an ADMIN marks
one paid or failed exactly once — a failed one is refunded once, a second transition is 409; the
predecessor's GET /api/v1/accounts/{userId} and PUT …/withdraw. Bad input changes nothing."""
import threading

import pytest
import requests

from conftest import Server, expect_error, new_user

ACCOUNT = {"bankCode": "088", "accountNumber": "110-123-456789", "holderName": "홍길동"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("wd"), "wd", demo=False, env={"PENSION_MIN_WITHDRAWAL": "2000"}).start()
    yield s
    s.stop()


def admin(srv):
    return {"user": "ops-admin", "admin": True}


def withdraw(srv, user, amount, key=None, **override):
    body = {"amount": amount, **ACCOUNT, **override}
    return srv.post("/api/v1/wallet/withdrawals", user=user, json=body,
                    headers={"Idempotency-Key": key} if key else None)


def ledger(srv, user):
    r = srv.get("/api/v1/wallet/transactions", user=user)
    assert r.status_code == 200, r.text
    return [(e["kind"], e["amount"], e["ref"]) for e in r.json()]


def test_request_debits_at_once_and_is_listed(srv):
    user = new_user()
    srv.deposit(user, 10000)
    r = withdraw(srv, user, 4000)
    assert r.status_code == 201, r.text
    w = r.json()
    assert (w["status"], w["amount"], w["balance"]) == ("REQUESTED", 4000, 6000), w
    assert srv.balance(user) == 6000
    assert ledger(srv, user)[0] == ("WITHDRAWAL", -4000, f"withdrawal:{w['withdrawalId']}")
    r = srv.get("/api/v1/wallet/withdrawals", user=user)
    assert r.status_code == 200, r.text
    assert [(x["withdrawalId"], x["status"], x["amount"], x["bankCode"], x["holderName"]) for x in r.json()] == \
        [(w["withdrawalId"], "REQUESTED", 4000, "088", "홍길동")]
    r = srv.get("/api/v1/admin/withdrawals?status=REQUESTED", **admin(srv))
    assert r.status_code == 200 and w["withdrawalId"] in [x["withdrawalId"] for x in r.json()], r.text


def test_idempotency_key_debits_once(srv):
    user = new_user()
    srv.deposit(user, 10000)
    first = withdraw(srv, user, 3000, key="wd-key-1")
    again = withdraw(srv, user, 3000, key="wd-key-1")
    assert first.status_code == 201 and again.status_code == 201, (first.text, again.text)
    assert again.json()["withdrawalId"] == first.json()["withdrawalId"]
    assert srv.balance(user) == 7000
    expect_error(withdraw(srv, user, 3500, key="wd-key-1"), 409, "IDEMPOTENCY_CONFLICT")
    assert srv.balance(user) == 7000


def test_concurrent_requests_never_overdraw(srv):
    user = new_user()
    srv.deposit(user, 10000)
    out = []
    barrier = threading.Barrier(8)

    def run_own():  # each on its own connection (the server's Session is not shared across threads)
        barrier.wait()
        out.append(requests.post(srv.url("/api/v1/wallet/withdrawals"), json={"amount": 3000, **ACCOUNT},
                                 headers={"Authorization": f"Bearer {srv.token(user)}"}, timeout=30))

    threads = [threading.Thread(target=run_own) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in out)
    assert codes == [201] * 3 + [400] * 5, [r.text for r in out]
    assert srv.balance(user) == 1000
    srv.assert_money_conserved()


def test_paid_then_no_second_transition(srv):
    user = new_user()
    srv.deposit(user, 5000)
    wid = withdraw(srv, user, 5000).json()["withdrawalId"]
    r = srv.post(f"/api/v1/admin/withdrawals/{wid}/paid", **admin(srv))
    assert r.status_code == 200 and r.json()["status"] == "PAID", r.text
    expect_error(srv.post(f"/api/v1/admin/withdrawals/{wid}/paid", **admin(srv)), 409, "ALREADY_PROCESSED")
    expect_error(srv.post(f"/api/v1/admin/withdrawals/{wid}/failed", json={"reason": "x"}, **admin(srv)), 409,
                 "ALREADY_PROCESSED")
    assert srv.balance(user) == 0
    assert [k for k, _, _ in ledger(srv, user)] == ["WITHDRAWAL", "DEPOSIT"]


def test_failed_is_refunded_exactly_once(srv):
    user = new_user()
    srv.deposit(user, 5000)
    wid = withdraw(srv, user, 2500).json()["withdrawalId"]
    r = srv.post(f"/api/v1/admin/withdrawals/{wid}/failed", json={"reason": "계좌 정보 불일치"}, **admin(srv))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["reason"]) == ("FAILED", "계좌 정보 불일치")
    assert srv.balance(user) == 5000
    # Two more tries at once: neither refunds again.
    out = []
    threads = [threading.Thread(target=lambda: out.append(
        requests.post(srv.url(f"/api/v1/admin/withdrawals/{wid}/failed"), json={"reason": "again"},
                                    headers={"Authorization": f"Bearer {srv.token('ops-admin', True)}"},
                                    timeout=30))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in out] == [409, 409]
    assert srv.balance(user) == 5000
    assert ledger(srv, user)[:2] == [("REFUND", 2500, f"withdrawal:{wid}"), ("WITHDRAWAL", -2500, f"withdrawal:{wid}")]
    mine = srv.get("/api/v1/wallet/withdrawals", user=user).json()
    assert [(x["withdrawalId"], x["status"]) for x in mine] == [(wid, "FAILED")]


def test_predecessor_routes(srv):
    user = new_user()
    srv.deposit(user, 9000)
    r = srv.get(f"/api/v1/accounts/{user}", user=user)
    assert r.status_code == 200 and r.json() == {"userId": user, "point": 9000}, r.text
    r = srv.request("PUT", f"/api/v1/accounts/{user}/withdraw", user=user, json={"amount": 4000, **ACCOUNT})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "REQUESTED" and r.json()["balance"] == 5000
    assert srv.get(f"/api/v1/accounts/{user}", user=user).json()["point"] == 5000
    other = new_user()
    expect_error(srv.request("PUT", f"/api/v1/accounts/{other}/withdraw", user=user, json={"amount": 2000, **ACCOUNT}),
                 404, "NOT_FOUND")
    expect_error(srv.get(f"/api/v1/accounts/{other}", user=user), 404, "NOT_FOUND")
    assert srv.balance(user) == 5000


def test_bad_input_is_4xx_and_changes_nothing(srv):
    user, other = new_user(), new_user()
    srv.deposit(user, 10000)
    srv.deposit(other, 10000)
    theirs = withdraw(srv, other, 2000).json()["withdrawalId"]
    rows = srv.sql("SELECT COUNT(*) FROM withdrawals")[0][0]
    for amount in (0, -1, 1999, "3000", 2.5, None, 10**16):
        expect_error(withdraw(srv, user, amount), 400, "INVALID_REQUEST")
    expect_error(withdraw(srv, user, 10001), 400, "NOT_ENOUGH_MONEY")
    for override in ({"bankCode": "abc"}, {"bankCode": "1234"}, {"bankCode": ""}, {"accountNumber": "12-34"},
                     {"accountNumber": "123456789012345678901"}, {"accountNumber": "--123456"},
                     {"holderName": ""}, {"holderName": "a\u0001b"}, {"holderName": "가" * 51}, {"holderName": 7},
                     {"bankCode": None}):
        expect_error(withdraw(srv, user, 3000, **override), 400, "INVALID_REQUEST")
    expect_error(srv.post("/api/v1/wallet/withdrawals", user=user, data="[1,2"), 400, "INVALID_REQUEST")
    expect_error(withdraw(srv, user, 3000, key="has space"), 400, "INVALID_REQUEST")
    expect_error(srv.post("/api/v1/wallet/withdrawals", json={"amount": 3000, **ACCOUNT}), 401, "UNAUTHORIZED")
    # Someone else's withdrawal: not in the caller's list, and only an ADMIN may change it.
    assert theirs not in [x["withdrawalId"] for x in srv.get("/api/v1/wallet/withdrawals", user=user).json()]
    expect_error(srv.post(f"/api/v1/admin/withdrawals/{theirs}/failed", user=user, json={}), 403, "FORBIDDEN")
    expect_error(srv.post(f"/api/v1/admin/withdrawals/{theirs}/paid", user=user), 403, "FORBIDDEN")
    expect_error(srv.get("/api/v1/admin/withdrawals", user=user), 403, "FORBIDDEN")
    for bad in ("0", "abc", "99999999999", "-1", "1" * 30):
        expect_error(srv.post(f"/api/v1/admin/withdrawals/{bad}/paid", **admin(srv)), 404, "NOT_FOUND")
    expect_error(srv.get("/api/v1/admin/withdrawals?status=DONE", **admin(srv)), 400, "INVALID_REQUEST")
    expect_error(srv.post(f"/api/v1/admin/withdrawals/{theirs}/failed", json={"reason": 5}, **admin(srv)), 400,
                 "INVALID_REQUEST")
    assert srv.sql("SELECT COUNT(*) FROM withdrawals")[0][0] == rows
    assert srv.balance(user) == 10000 and srv.balance(other) == 8000
    assert srv.sql("SELECT status FROM withdrawals WHERE id = ?", (theirs,)) == [("REQUESTED",)]


def test_lists_are_paged(srv):
    user = new_user()
    srv.deposit(user, 20000)
    ids = [withdraw(srv, user, 2000).json()["withdrawalId"] for _ in range(5)]
    r = srv.get("/api/v1/wallet/withdrawals?limit=2", user=user)
    assert r.status_code == 200 and [x["withdrawalId"] for x in r.json()] == ids[::-1][:2]
    assert 'rel="next"' in r.headers.get("Link", "")
    nxt = r.headers["Link"].split(";")[0].strip("<>")
    r = srv.get(nxt, user=user)
    assert [x["withdrawalId"] for x in r.json()] == ids[::-1][2:4]


def test_a_restart_keeps_everything(srv):
    user = new_user()
    srv.deposit(user, 6000)
    wid = withdraw(srv, user, 6000, key="restart-key").json()["withdrawalId"]
    srv.kill()  # SIGKILL right after the 201: nothing is lost (the money check runs here too)
    srv.start()
    assert srv.balance(user) == 0
    again = withdraw(srv, user, 6000, key="restart-key")
    assert again.status_code == 201 and again.json()["withdrawalId"] == wid
    r = srv.post(f"/api/v1/admin/withdrawals/{wid}/failed", json={"reason": "x"}, **admin(srv))
    assert r.status_code == 200 and srv.balance(user) == 6000
