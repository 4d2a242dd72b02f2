"""Round reads and the deposit wallet."""
import json

import pytest

from conftest import CLOSED, ROUND, Server, expect_error, new_user


# --- rounds ------------------------------------------------------------------------------------

def test_round_is_a_bare_integer(server):
    r = server.get("/api/v1/pension/round")
    assert r.status_code == 200
    assert r.text.strip() == str(ROUND)
    assert r.json() == ROUND


def test_current_round_details_while_on_sale(server):
    r = server.get("/api/v1/pension/rounds/current")
    assert r.status_code == 200
    body = r.json()
    assert body["round"] == ROUND
    assert body["drawAt"] == "2026-11-26T19:05:00+09:00"
    assert body["salesCloseAt"] == "2026-11-26T17:00:00+09:00"
    assert body["salesOpen"] is True


@pytest.mark.parametrize("now,round_,open_,draw_at,close_at", [
    (CLOSED, 343, False, "2026-11-26T19:05:00+09:00", "2026-11-26T17:00:00+09:00"),
    ("2026-11-26T16:58:00+09:00", 343, True, "2026-11-26T19:05:00+09:00", "2026-11-26T17:00:00+09:00"),
    ("2026-11-26T21:01:00+09:00", 344, True, "2026-12-03T19:05:00+09:00", "2026-12-03T17:00:00+09:00"),
    # The same instant written in UTC.
    ("2026-11-26T09:00:00Z", 343, False, "2026-11-26T19:05:00+09:00", "2026-11-26T17:00:00+09:00"),
    ("2025-11-27T20:00:00+09:00", 291, False, "2025-11-27T19:05:00+09:00", "2025-11-27T17:00:00+09:00"),
    ("2020-05-07T12:00:00+09:00", 1, True, "2020-05-07T19:05:00+09:00", "2020-05-07T17:00:00+09:00"),
])
def test_rounds_follow_the_kst_calendar(tmp_path, now, round_, open_, draw_at, close_at):
    srv = Server(tmp_path, "cal", now=now).start()
    try:
        assert srv.get("/api/v1/pension/round").json() == round_
        body = srv.get("/api/v1/pension/rounds/current").json()
        assert (body["round"], body["salesOpen"], body["drawAt"], body["salesCloseAt"]) == (round_, open_, draw_at, close_at)
        # Selling follows salesOpen.
        u = new_user()
        srv.deposit(u, 1000)
        r = srv.buy(u, [{"group": 1, "number": "111111"}], round_=round_)
        if open_:
            assert r.status_code == 201, r.text
        else:
            expect_error(r, 409, "TIME_OUT")
            assert srv.balance(u) == 1000
    finally:
        srv.stop()


# --- wallet ------------------------------------------------------------------------------------

def test_unseen_user_has_zero_balance_and_no_transactions(server):
    u = new_user()
    r = server.get("/api/v1/wallet", user=u)
    assert r.status_code == 200
    assert r.json() == {"userId": u, "balance": 0}
    r = server.get("/api/v1/wallet/transactions", user=u)
    assert r.status_code == 200
    assert r.json() == []


def test_self_deposit_in_demo_mode(server):
    u = new_user()
    r = server.post("/api/v1/wallet/deposit", user=u, json={"amount": 5000})
    assert r.status_code == 200, r.text
    assert r.json() == {"userId": u, "balance": 5000}
    # userId naming oneself is the same thing.
    r = server.post("/api/v1/wallet/deposit", user=u, json={"amount": 2500, "userId": u})
    assert r.status_code == 200, r.text
    assert r.json() == {"userId": u, "balance": 7500}
    assert server.balance(u) == 7500


def test_user_cannot_deposit_for_someone_else(server):
    u, other = new_user(), new_user()
    server.deposit(u, 1000)
    expect_error(server.post("/api/v1/wallet/deposit", user=u, json={"amount": 5000, "userId": other}),
                 403, "FORBIDDEN")
    assert server.balance(other) == 0
    assert server.balance(u) == 1000


def test_admin_deposits_for_anyone(server):
    admin, other = new_user("admin"), new_user()
    r = server.post("/api/v1/wallet/deposit", user=admin, admin=True, json={"amount": 12345, "userId": other})
    assert r.status_code == 200, r.text
    assert r.json() == {"userId": other, "balance": 12345}
    assert server.balance(other) == 12345
    assert server.balance(admin) == 0
    # The predecessor's numeric ids are accepted.
    r = server.post("/api/v1/wallet/deposit", user=admin, admin=True, json={"amount": 1000, "userId": 4242})
    assert r.status_code == 200, r.text
    assert r.json()["userId"] == "4242"
    assert server.get("/api/v1/wallet", token=server.token("4242")).json()["balance"] >= 1000
    # Without userId an admin credits itself.
    r = server.post("/api/v1/wallet/deposit", user=admin, admin=True, json={"amount": 700})
    assert r.json() == {"userId": admin, "balance": 700}


def test_non_demo_server_refuses_self_deposit(tmp_path):
    srv = Server(tmp_path, "nodemo", demo=False).start()
    try:
        u = new_user()
        expect_error(srv.post("/api/v1/wallet/deposit", user=u, json={"amount": 5000}), 403, "FORBIDDEN")
        expect_error(srv.post("/api/v1/wallet/deposit", user=u, json={"amount": 5000, "userId": u}), 403, "FORBIDDEN")
        assert srv.balance(u) == 0
        assert srv.get("/api/v1/wallet/transactions", user=u).json() == []
        # An admin still credits users.
        r = srv.post("/api/v1/wallet/deposit", user="boss", admin=True, json={"amount": 5000, "userId": u})
        assert r.status_code == 200, r.text
        assert srv.balance(u) == 5000
        # The demo-only token route is absent.
        assert srv.post("/api/v1/demo/token", json={"userId": "x"}).status_code == 404
    finally:
        srv.stop()


def test_transactions_newest_first(server):
    u = new_user()
    for amount in (1000, 2000, 3000):
        server.deposit(u, amount)
    r = server.buy(u, [{"group": 2, "number": "314159"}, {"group": 3, "number": "314159"}])
    assert r.status_code == 201, r.text
    purchase_id = r.json()["purchaseId"]
    txs = server.get("/api/v1/wallet/transactions", user=u).json()
    assert [t["kind"] for t in txs] == ["PURCHASE", "DEPOSIT", "DEPOSIT", "DEPOSIT"]
    assert [t["amount"] for t in txs] == [-2000, 3000, 2000, 1000]
    assert [t["balanceAfter"] for t in txs] == [4000, 6000, 3000, 1000]
    ids = [t["id"] for t in txs]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert str(purchase_id) in txs[0]["ref"]
    assert all(t["createdAt"].endswith("+09:00") for t in txs)
    # Only the caller's lines.
    assert server.get("/api/v1/wallet/transactions", user=new_user()).json() == []


BAD_AMOUNTS = [
    ("zero", {"amount": 0}),
    ("negative", {"amount": -1}),
    ("fraction", {"amount": 1.5}),
    ("float-integral", {"amount": 100.0}),
    ("string", {"amount": "100"}),
    ("huge-float", {"amount": 1e30}),
    ("over-max", {"amount": 10_000_000_001}),
    ("int64-max", {"amount": 2**63 - 1}),
    ("uint64", {"amount": 2**64 - 1}),
    ("bool", {"amount": True}),
    ("array", {"amount": [100]}),
    ("object", {"amount": {"v": 100}}),
    ("missing", {}),
    ("null", {"amount": None}),
    ("bad-userId-type", {"amount": 100, "userId": {"id": 1}}),
    ("empty-userId", {"amount": 100, "userId": ""}),
]


@pytest.mark.parametrize("name,body", BAD_AMOUNTS, ids=[n for n, _ in BAD_AMOUNTS])
def test_bad_deposit_is_400_and_changes_nothing(server, name, body):
    u = new_user()
    server.deposit(u, 1000)
    expect_error(server.post("/api/v1/wallet/deposit", user=u, json=body), 400, "INVALID_REQUEST")
    assert server.balance(u) == 1000
    assert len(server.get("/api/v1/wallet/transactions", user=u).json()) == 1


@pytest.mark.parametrize("raw", [
    "",
    "{",
    "not json",
    "[1000]",
    "1000",
    '{"amount": 1000000000000000000000000000000}',
    '{"amount": 1000,}',
    '{"amount": 01000}',
    '{"amount": NaN}',
])
def test_malformed_deposit_body_is_400(server, raw):
    u = new_user()
    server.deposit(u, 1000)
    r = server.post("/api/v1/wallet/deposit", user=u, data=raw.encode(), headers={"Content-Type": "application/json"})
    expect_error(r, 400, "INVALID_REQUEST")
    assert server.balance(u) == 1000


def test_admin_bad_amount_for_other_is_400(server):
    other = new_user()
    r = server.post("/api/v1/wallet/deposit", user="boss", admin=True, json={"amount": -5000, "userId": other})
    expect_error(r, 400, "INVALID_REQUEST")
    assert server.balance(other) == 0


def test_maximum_single_deposit_is_accepted(server):
    u = new_user()
    r = server.post("/api/v1/wallet/deposit", user=u, json={"amount": 10_000_000_000})
    assert r.status_code == 200, r.text
    assert server.balance(u) == 10_000_000_000
    server.assert_money_conserved()
