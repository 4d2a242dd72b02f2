"""Deposits through the payment provider (SPEC §3 "Money in and out") against the provider's
stand-in (tests/psp_standin.py) over https: an order's amount is fixed by the server, a confirm
credits it exactly once, a refusal is 402 PAYMENT_FAILED with the provider's message, no answer
is 503 with the order left pending, and the reconciler settles pending orders from the
provider's record; two confirms of one order racing on two instances on MariaDB credit once."""
import json
import os
import random
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import Server, expect_error, new_user
from psp import Psp
from test_accounts_mysql import mariadb


@pytest.fixture(scope="module")
def psp(tmp_path_factory):
    p = Psp(tmp_path_factory.mktemp("psp")).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, psp):
    """Reconciler off: every settlement here comes from a confirm."""
    s = Server(tmp_path_factory.mktemp("pay"), "pay", demo=False, env=psp.env()).start()
    s.allow_5xx = True  # the provider's silence is answered 503 on purpose
    yield s
    s.stop()


@pytest.fixture(scope="module")
def rsrv(tmp_path_factory, psp):
    """Reconciler every second, for orders pending any time at all."""
    env = psp.env(PENSION_PSP_RECONCILE_SECONDS="1", PENSION_PSP_RECONCILE_AFTER="0")
    s = Server(tmp_path_factory.mktemp("rec"), "rec", demo=False, env=env).start()
    s.allow_5xx = True
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def approving(psp):
    psp.mode("approve", lookup="answer")
    yield
    psp.release()
    psp.mode("approve", lookup="answer")


def order(srv, user, amount):
    r = srv.post("/api/v1/payments/orders", user=user, json={"amount": amount})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["amount"] == amount and body["status"] == "PENDING", body
    assert isinstance(body["orderId"], str) and 6 <= len(body["orderId"]) <= 64, body
    return body["orderId"]


def confirm(srv, user, order_id, amount, key=None):
    return srv.post("/api/v1/payments/confirm", user=user,
                    json={"paymentKey": key or f"pk_{uuid.uuid4().hex}", "orderId": order_id, "amount": amount})


def order_status(srv, user, order_id):
    r = srv.get(f"/api/v1/payments/orders/{order_id}", user=user)
    assert r.status_code == 200, r.text
    return r.json()["status"]


def poll(check, attempts=600):
    """Bounded poll of a condition the reconciler (a timer in the server) makes true."""
    for _ in range(attempts):
        if check():
            return True
        time.sleep(0.05)  # polling interval, not a synchronisation
    return False


def test_confirm_credits_once_and_repeats_answer_the_same(srv, psp):
    user = new_user()
    oid = order(srv, user, 5000)
    before = psp.stats()["confirms"]
    r = confirm(srv, user, oid, 5000, key="pk_first")
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("orderId", "amount", "balance", "status")} == \
        {"orderId": oid, "amount": 5000, "balance": 5000, "status": "DONE"}
    assert psp.stats()["payments"][oid]["status"] == "DONE"
    for again in (confirm(srv, user, oid, 5000, key="pk_first"), confirm(srv, user, oid, 5000, key="pk_other"),
                  srv.post(f"/api/v1/payments/success?orderId={oid}&amount=5000&paymentKey=pk_first", user=user)):
        assert again.status_code == 200, again.text
        assert again.json()["balance"] == 5000 and again.json()["status"] == "DONE"
    assert psp.stats()["confirms"] == before + 1  # a DONE order does not go back to the provider
    assert srv.balance(user) == 5000
    deposits = [e for e in srv.get("/api/v1/wallet/transactions", user=user).json() if e["kind"] == "DEPOSIT"]
    assert [(e["amount"], e["ref"]) for e in deposits] == [(5000, f"order:{oid}")]


def test_predecessor_success_route_confirms(srv):
    user = new_user()
    oid = order(srv, user, 12000)
    r = srv.post(f"/api/v1/payments/success?orderId={oid}&amount=12000&paymentKey=pk_{uuid.uuid4().hex}", user=user)
    assert r.status_code == 200, r.text
    assert r.json()["balance"] == 12000
    r = srv.get(f"/api/v1/accounts/{user}", user=user)
    assert r.status_code == 200 and r.json() == {"userId": user, "point": 12000}, r.text


def test_refusal_is_402_with_the_providers_message_and_credits_nothing(srv, psp):
    user = new_user()
    oid = order(srv, user, 3000)
    psp.mode("refuse", code="REJECT_CARD_COMPANY", message="카드사에서 승인을 거절했습니다.", status=403)
    body = expect_error(confirm(srv, user, oid, 3000), 402, "PAYMENT_FAILED")
    assert body["errorMessage"] == "카드사에서 승인을 거절했습니다."
    assert order_status(srv, user, oid) == "FAILED"
    psp.mode("approve")
    body = expect_error(confirm(srv, user, oid, 3000), 402, "PAYMENT_FAILED")  # failed stays failed
    assert body["errorMessage"] == "카드사에서 승인을 거절했습니다."
    assert srv.balance(user) == 0


def test_no_answer_is_503_and_the_order_stays_pending_until_a_later_confirm(srv, psp):
    user = new_user()
    oid = order(srv, user, 7000)
    psp.mode("hang")
    expect_error(confirm(srv, user, oid, 7000), 503, "SERVICE_UNAVAILABLE")
    assert order_status(srv, user, oid) == "PENDING"
    assert srv.balance(user) == 0
    assert oid not in psp.stats()["payments"]
    psp.release()
    psp.mode("approve")
    r = confirm(srv, user, oid, 7000)
    assert r.status_code == 200 and r.json()["balance"] == 7000, r.text


def test_answer_lost_after_payment_then_confirm_again_credits_once(srv, psp):
    user = new_user()
    oid = order(srv, user, 9000)
    psp.mode("lost")
    expect_error(confirm(srv, user, oid, 9000, key="pk_lost"), 503, "SERVICE_UNAVAILABLE")
    assert psp.stats()["payments"][oid]["status"] == "DONE"  # the provider took the money
    assert order_status(srv, user, oid) == "PENDING" and srv.balance(user) == 0
    psp.mode("approve")  # the provider now says ALREADY_PROCESSED_PAYMENT; its record decides
    r = confirm(srv, user, oid, 9000, key="pk_lost")
    assert r.status_code == 200 and r.json()["balance"] == 9000, r.text
    r = confirm(srv, user, oid, 9000, key="pk_lost")
    assert r.status_code == 200 and r.json()["balance"] == 9000, r.text
    assert srv.balance(user) == 9000
    srv.assert_money_conserved()


def test_reconciler_credits_a_payment_whose_answer_was_lost(rsrv, psp):
    user = new_user()
    psp.lookups("hang")  # until the confirm has been tried, the reconciler learns nothing
    oid = order(rsrv, user, 4000)
    psp.mode("lost")
    expect_error(confirm(rsrv, user, oid, 4000), 503, "SERVICE_UNAVAILABLE")
    assert order_status(rsrv, user, oid) == "PENDING"
    psp.mode("approve", lookup="answer")  # read-backs answered again
    psp.release()
    assert poll(lambda: rsrv.balance(user) == 4000), rsrv.log()
    assert order_status(rsrv, user, oid) == "DONE"
    r = confirm(rsrv, user, oid, 4000)  # the buyer's retry answers the same, credits nothing
    assert r.status_code == 200 and r.json()["balance"] == 4000, r.text
    rsrv.assert_money_conserved()


def test_sigkill_while_the_provider_holds_a_paid_confirm_then_the_reconciler_credits(tmp_path, psp):
    """The provider took the money and the server dies (SIGKILL) before its answer arrives: the
    order is still PENDING after the restart, and the reconciler credits it exactly once."""
    env = psp.env(PENSION_PSP_RECONCILE_SECONDS="1", PENSION_PSP_RECONCILE_AFTER="0", PENSION_PSP_TIMEOUT="30")
    s = Server(tmp_path, "crash", demo=False, env=env).start()
    s.allow_5xx = True
    try:
        user = new_user()
        psp.lookups("hang")  # the reconciler learns nothing before the crash
        oid = order(s, user, 11000)
        psp.mode("hang", pay=True, lookup="hang")
        out = []
        t = threading.Thread(target=lambda: out.append(_confirm_or_cut(s, user, oid, 11000)))
        t.start()
        assert poll(lambda: oid in psp.stats()["payments"]), "the confirm never reached the provider"
        s.kill()  # checks the money too: nothing was credited, nothing lost
        t.join()
        assert out == ["cut"], out
        assert s.sql("SELECT status FROM payment_orders WHERE order_id = ?", (oid,)) == [("PENDING",)]
        psp.mode("approve", lookup="answer")
        psp.release()
        s.start()
        assert poll(lambda: s.balance(user) == 11000), s.log()
        assert order_status(s, user, oid) == "DONE"
        assert s.sql("SELECT COUNT(*) FROM ledger WHERE ref = ?", (f"order:{oid}",)) == [(1,)]
    finally:
        s.stop()


def _confirm_or_cut(srv, user, order_id, amount):
    """A confirm on its own connection: its status, or "cut" when the server died under it."""
    try:
        return requests.post(srv.url("/api/v1/payments/confirm"), timeout=60,
                             headers={"Authorization": f"Bearer {srv.token(user)}"},
                             json={"paymentKey": "pk_crash", "orderId": order_id, "amount": amount}).status_code
    except requests.ConnectionError:
        return "cut"


def test_reconciler_fails_an_order_the_provider_never_paid(rsrv, psp):
    user = new_user()
    oid = order(rsrv, user, 6000)
    assert poll(lambda: order_status(rsrv, user, oid) == "FAILED"), rsrv.log()
    assert rsrv.balance(user) == 0
    expect_error(confirm(rsrv, user, oid, 6000), 402, "PAYMENT_FAILED")
    assert rsrv.balance(user) == 0


def test_bad_input_is_4xx_and_changes_nothing(srv, psp):
    user, other = new_user(), new_user()
    oid = order(srv, user, 2000)
    theirs = order(srv, other, 2000)
    orders_before = srv.sql("SELECT COUNT(*) FROM payment_orders")[0][0]
    confirms_before = psp.stats()["confirms"]
    for amount in (0, -1, 10_000_000_001, "1000", 1.5, None, True):
        expect_error(srv.post("/api/v1/payments/orders", user=user, json={"amount": amount}), 400, "INVALID_REQUEST")
    expect_error(srv.post("/api/v1/payments/orders", user=user, data="{not json"), 400, "INVALID_REQUEST")
    expect_error(srv.post("/api/v1/payments/orders", json={"amount": 1000}), 401, "UNAUTHORIZED")
    expect_error(confirm(srv, user, "order-unknown-000", 2000), 404, "NOT_FOUND")
    expect_error(confirm(srv, user, theirs, 2000), 404, "NOT_FOUND")  # someone else's order
    expect_error(srv.get(f"/api/v1/payments/orders/{theirs}", user=user), 404, "NOT_FOUND")
    expect_error(confirm(srv, user, oid, 2001), 400, "INVALID_REQUEST")  # not the order's amount
    expect_error(confirm(srv, user, oid, 0), 400, "INVALID_REQUEST")
    for body in ({"orderId": oid, "amount": 2000}, {"paymentKey": "pk", "amount": 2000},
                 {"paymentKey": "", "orderId": oid, "amount": 2000}, {"paymentKey": 5, "orderId": oid, "amount": 2000},
                 {"paymentKey": "pk", "orderId": oid * 3, "amount": 2000}):
        expect_error(srv.post("/api/v1/payments/confirm", user=user, json=body), 400, "INVALID_REQUEST")
    for query in (f"orderId={oid}&amount=abc&paymentKey=pk", f"orderId={oid}&paymentKey=pk",
                  f"orderId={oid}&amount=-5&paymentKey=pk", "amount=2000&paymentKey=pk"):
        expect_error(srv.post(f"/api/v1/payments/success?{query}", user=user), 400, "INVALID_REQUEST")
    expect_error(srv.get(f"/api/v1/accounts/{other}", user=user), 404, "NOT_FOUND")
    assert srv.sql("SELECT COUNT(*) FROM payment_orders")[0][0] == orders_before
    assert psp.stats()["confirms"] == confirms_before  # nothing reached the provider
    assert order_status(srv, user, oid) == "PENDING" and order_status(srv, other, theirs) == "PENDING"
    assert srv.balance(user) == 0 and srv.balance(other) == 0
    # An ADMIN reads anyone's point.
    r = srv.get(f"/api/v1/accounts/{user}", user="admin-" + user, admin=True)
    assert r.status_code == 200 and r.json()["point"] == 0


@pytest.mark.parametrize("wrong", ["certificate", "secret-key"])
def test_a_wrong_certificate_or_key_is_no_answer(tmp_path, psp, wrong):
    """The provider's certificate is verified: with another CA the call gets no answer (503). A key
    the provider does not know (401) is the operator's fault, not the buyer's: 503 too, and the
    order stays pending."""
    from psp import make_cert
    if wrong == "certificate":
        other_ca, _ = make_cert(tmp_path, "other")
        env = psp.env(PENSION_PSP_CA_FILE=str(other_ca))
    else:
        env = psp.env(PENSION_PSP_SECRET_KEY="test_sk_not_the_standins")
    s = Server(tmp_path, "wrong", demo=False, env=env).start()
    s.allow_5xx = True
    try:
        user = new_user()
        oid = order(s, user, 1000)
        expect_error(confirm(s, user, oid, 1000), 503, "SERVICE_UNAVAILABLE")
        assert oid not in psp.stats()["payments"]
        assert order_status(s, user, oid) == "PENDING"
    finally:
        s.stop()


def test_two_confirms_racing_on_two_instances_credit_once(tmp_path, psp):
    base = os.environ.get("PENSION_TEST_MYSQL")
    assert base, "PENSION_TEST_MYSQL is not set: start MariaDB with `scripts/topology.sh start-db` and export it"
    name = f"p720pay_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    mariadb(base, f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin")
    url = base.rsplit("/", 1)[0] + "/" + name
    a = Server(tmp_path, "a", demo=False, env=psp.env(), db_url=url).start()
    b = Server(tmp_path, "b", demo=False, env=psp.env(), db_url=url).start()
    try:
        for _ in range(5):
            user = new_user()
            oid = order(a, user, 8000)
            out = [None, None]
            barrier = threading.Barrier(2)

            def run(i, s):
                barrier.wait()
                out[i] = confirm(s, user, oid, 8000, key=f"pk_{oid}")

            threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate((a, b))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for r in out:
                assert r.status_code == 200 and r.json()["status"] == "DONE", r.text
            assert a.balance(user) == 8000 and b.balance(user) == 8000
            lines = mariadb(base, f"SELECT COUNT(*), SUM(amount) FROM ledger WHERE ref = 'order:{oid}'", name)
            assert lines == [["1", "8000"]], lines
        totals = mariadb(base, "SELECT (SELECT SUM(amount) FROM ledger WHERE kind = 'DEPOSIT'),"
                               " (SELECT SUM(balance) FROM wallets),"
                               " (SELECT SUM(amount) FROM payment_orders WHERE status = 'DONE')", name)
        assert totals == [["40000", "40000", "40000"]], totals
    finally:
        a.stop()
        b.stop()
        mariadb(base, f"DROP DATABASE IF EXISTS {name}")


def stream_events(redis_url, user):
    """The (kind, payload) of every event on the stream about `user`, oldest first."""
    port = redis_url.rsplit(":", 1)[1]
    out = subprocess.run(["redis-cli", "-p", port, "--json", "XRANGE", "pension720:events", "-", "+"], check=True,
                         capture_output=True, text=True, timeout=30)
    events = []
    for _, fields in json.loads(out.stdout):
        f = dict(zip(fields[::2], fields[1::2]))
        payload = json.loads(f["payload"])
        if payload.get("userId") == user:
            events.append((f["kind"], payload))
    return events


def test_deposit_and_withdrawal_events_reach_the_stream(tmp_path, psp):
    redis_url = os.environ.get("PENSION_TEST_REDIS")
    assert redis_url, "PENSION_TEST_REDIS is not set: start Redis with `scripts/topology.sh start-db` and export it"
    # The relay skips an outbox row it has published before (a marker per row id and time, for an
    # hour), and a fresh file numbers its rows from 1 again: a random instant (round 343 on sale)
    # keeps this run's events apart from an earlier run's on the same Redis.
    now = datetime(2026, 11, 24, tzinfo=timezone(timedelta(hours=9))) + timedelta(seconds=random.randrange(2 * 86400))
    s = Server(tmp_path, "events", now=now.isoformat(), demo=False, env=psp.env(PENSION_REDIS=redis_url)).start()
    try:
        user = new_user()
        oid = order(s, user, 7000)
        assert confirm(s, user, oid, 7000).status_code == 200
        r = s.post("/api/v1/wallet/withdrawals", user=user,
                   json={"amount": 3000, "bankCode": "004", "accountNumber": "123456789", "holderName": "김"})
        assert r.status_code == 201, r.text
        wid = r.json()["withdrawalId"]
        r = s.post(f"/api/v1/admin/withdrawals/{wid}/failed", user="ops", admin=True, json={"reason": "bank"})
        assert r.status_code == 200, r.text
        assert poll(lambda: len(stream_events(redis_url, user)) >= 3), stream_events(redis_url, user)
        events = stream_events(redis_url, user)
        assert [(k, p.get("orderId") or p["status"], p["amount"], p["balance"]) for k, p in events] == [
            ("deposit", oid, 7000, 7000), ("withdrawal", "REQUESTED", 3000, 4000), ("withdrawal", "FAILED", 3000, 7000)]
        assert all(p["withdrawalId"] == wid for k, p in events if k == "withdrawal")
    finally:
        s.stop()
