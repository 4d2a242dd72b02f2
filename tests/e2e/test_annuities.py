"""Annuity installments and tax (SPEC "Annuity installments and tax", §4 money conservation).

Winners are made as in test_draws.py: tickets bought while round 343 is on sale, the official
result recorded after its sales close (2026-11-26, so annuities pay from 2026-12). The server is
then started years later: the payer pays what fell due while it was down, by itself, once.
"""
import json
import os
import signal
import subprocess
import threading
import time
from urllib.parse import urlparse

from conftest import CLOSED, ROUND, Server, expect_error, new_user
from test_accounts_mysql import mariadb, new_database

DRAW = {"round": ROUND, "group": 2, "number": "123456", "bonus": "723456"}
FIRST = (7_000_000, 1_400_000, 140_000, 5_460_000)   # gross, income tax, local tax, net
SECOND = (1_000_000, 200_000, 20_000, 780_000)
LATER = "2046-12-21T09:00:00+09:00"  # 20 years on: every month of every annuity of round 343 is due
ALL_WINNERS = [{"group": 0, "number": "123456"}, {"group": 0, "number": "723456"}]  # 1st, 4× 2nd, 5× bonus
ALL_COUNT = 240 + 9 * 120
ALL_NET = 240 * FIRST[3] + 9 * 120 * SECOND[3]


def wait_for(probe, what, attempts=3000, interval=0.01):
    """Polls `probe` (bounded) until it returns something true, and returns that."""
    for _ in range(attempts):
        value = probe()
        if value:
            return value
        time.sleep(interval)  # polling interval of a bounded poll
    raise AssertionError(f"timed out waiting for {what}")


def drawn(srv, purchases):
    """Buys `purchases` ({user: ticket specs}) on sale, then records DRAW after the close; stopped."""
    srv.start()
    for user, specs in purchases.items():
        srv.deposit(user, 20_000)
        r = srv.buy(user, specs)
        assert r.status_code == 201, r.text
    srv.stop()
    srv.start(now=CLOSED)
    r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=DRAW)
    assert r.status_code == 201, r.text
    srv.stop()
    return srv


def paid_count(srv):
    return srv.sql("SELECT COUNT(*) FROM annuity_payments")[0][0]


def assert_each_paid_once(srv, count, net):
    """`count` installments, each with exactly one INSTALLMENT ledger line of its net."""
    assert paid_count(srv) == count
    lines = srv.sql("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'INSTALLMENT'")[0]
    assert lines == (count, net), lines
    joined = srv.sql("SELECT COUNT(*) FROM annuity_payments p JOIN ledger l ON l.id = p.ledger_id"
                     " WHERE l.kind = 'INSTALLMENT' AND l.amount = p.gross - p.income_tax - p.local_tax")[0][0]
    assert joined == count
    srv.assert_money_conserved()


def pay(srv, month):
    return srv.post("/api/v1/pension/annuities/payments", user="boss", admin=True, json={"month": month}, timeout=120)


def test_first_prize_paid_once_restart_after_restart(tmp_path):
    alice = new_user("alice")
    env = {"PENSION_TAX_FREE_UP_TO": "500000"}  # so the 1,000,000 won of a 3rd prize is taxed
    srv = drawn(Server(tmp_path, "first", env=env), {alice: [{"group": 2, "number": "123456"},
                                                              {"group": 1, "number": "023456"}]})
    srv.start(now=CLOSED)
    # The 3rd prize at settlement: 22% withheld, the ledger line carries the net.
    assert srv.balance(alice) == 20_000 - 2_000 + 780_000
    prize = [e for e in srv.get("/api/v1/wallet/transactions", user=alice).json() if e["kind"] == "PRIZE"]
    assert [(e["gross"], e["tax"], e["net"], e["amount"]) for e in prize] == [(1_000_000, 220_000, 780_000, 780_000)]
    wins = {w["result"]: w for w in srv.get("/api/v1/pension/winnings", user=alice).json()}
    assert (wins[3]["gross"], wins[3]["tax"], wins[3]["net"]) == (1_000_000, 220_000, 780_000)
    assert (wins[1]["kind"], wins[1]["gross"], wins[1]["net"]) == ("ANNUITY", 0, 0)
    tax = srv.get("/api/v1/admin/tax?month=2026-11", user="boss", admin=True).json()
    assert tax == {"month": "2026-11", "withheld": {"income": 200_000, "local": 20_000},
                   "installments": {"count": 0, "gross": 0, "tax": 0, "net": 0},
                   "oneTimePrizes": {"count": 1, "gross": 1_000_000, "tax": 220_000, "net": 780_000}}
    expect_error(pay(srv, "2026-12"), 409, "TIME_OUT")  # its pay day (2026-12-20) has not come
    assert paid_count(srv) == 0
    srv.stop()

    # Four months later: 2026-12 … 2027-03 are paid by themselves.
    srv.start(now="2027-03-25T10:00:00+09:00")
    wait_for(lambda: paid_count(srv) == 4, "four installments")
    (a,) = srv.get("/api/v1/pension/annuities", user=alice).json()
    assert a["ticketId"] == wins[1]["ticketId"] and a["round"] == ROUND and a["result"] == 1
    assert (a["monthlyAmount"], a["monthlyTax"], a["monthlyNet"]) == (FIRST[0], FIRST[1] + FIRST[2], FIRST[3])
    assert (a["months"], a["firstPaymentMonth"], a["paidMonths"], a["remainingMonths"]) == (240, "2026-12", 4, 236)
    assert a["nextPaymentDate"] == "2027-04-20"
    assert (a["grossPaid"], a["taxWithheld"], a["netPaid"]) == (4 * FIRST[0], 4 * (FIRST[1] + FIRST[2]), 4 * FIRST[3])
    payments = srv.get(f"/api/v1/pension/annuities/{a['ticketId']}/payments", user=alice).json()
    assert [p["month"] for p in payments] == ["2026-12", "2027-01", "2027-02", "2027-03"]
    assert all((p["gross"], p["incomeTax"], p["localTax"], p["net"]) == FIRST for p in payments)
    assert all(p["tax"] == FIRST[1] + FIRST[2] and p["paidAt"].startswith("2027-03-25") for p in payments)
    line = [e for e in srv.get("/api/v1/wallet/transactions", user=alice).json() if e["kind"] == "INSTALLMENT"][0]
    assert (line["amount"], line["gross"], line["tax"], line["net"]) == (FIRST[3], FIRST[0], 1_540_000, FIRST[3])
    r = pay(srv, "2027-03")
    assert r.status_code == 200, r.text
    assert r.json() == {"month": "2027-03", "installments": 0, "gross": 0, "tax": 0, "net": 0}
    expect_error(pay(srv, "2027-04"), 409, "TIME_OUT")
    tax = srv.get("/api/v1/admin/tax?month=2027-03", user="boss", admin=True).json()
    assert tax["withheld"] == {"income": 4 * FIRST[1], "local": 4 * FIRST[2]}
    assert tax["installments"] == {"count": 4, "gross": 4 * FIRST[0], "tax": 4 * 1_540_000, "net": 4 * FIRST[3]}
    assert_each_paid_once(srv, 4, 4 * FIRST[3])
    srv.stop()

    # Twenty years after the draw, restart after restart: the other 236 months, once.
    for _ in range(3):
        srv.start(now=LATER)
        wait_for(lambda: paid_count(srv) == 240, "240 installments")
        r = pay(srv, "2046-11")
        assert r.status_code == 200 and r.json()["installments"] == 0, r.text
        assert_each_paid_once(srv, 240, 240 * FIRST[3])
        (a,) = srv.get("/api/v1/pension/annuities", user=alice).json()
        assert (a["paidMonths"], a["remainingMonths"], a["nextPaymentDate"]) == (240, 0, None)
        assert a["netPaid"] == 240 * FIRST[3] == 1_310_400_000
        assert srv.balance(alice) == 20_000 - 2_000 + 780_000 + 240 * FIRST[3]
        months = [p["month"] for p in srv.get(f"/api/v1/pension/annuities/{a['ticketId']}/payments", user=alice).json()]
        assert len(months) == len(set(months)) == 240 and months[0] == "2026-12" and months[-1] == "2046-11"
        srv.stop()


def test_sigkill_in_the_middle_of_a_catch_up(tmp_path):
    carol = new_user("carol")
    srv = drawn(Server(tmp_path, "kill"), {carol: ALL_WINNERS})
    srv.start(now=LATER)
    # Freeze the payer as soon as it has paid something, see that it is midway, then kill it.
    wait_for(lambda: paid_count(srv) > 0, "a first installment", attempts=20000, interval=0.001)
    srv.proc.send_signal(signal.SIGSTOP)
    midway = paid_count(srv)
    srv.kill()
    assert 0 < midway < ALL_COUNT, midway
    # Whatever was paid is paid whole: its row, its credit and its ledger line.
    n, net = srv.sql("SELECT COUNT(*), COALESCE(SUM(gross - income_tax - local_tax), 0) FROM annuity_payments")[0]
    assert_each_paid_once(srv, n, net)

    srv.start(now=LATER)
    wait_for(lambda: paid_count(srv) == ALL_COUNT, "every installment", attempts=12000)
    r = pay(srv, "2046-11")
    assert r.status_code == 200 and r.json()["installments"] == 0, r.text
    assert_each_paid_once(srv, ALL_COUNT, ALL_NET)
    assert srv.balance(carol) == 20_000 - 10_000 + ALL_NET
    views = srv.get("/api/v1/pension/annuities", user=carol).json()
    assert sorted(v["result"] for v in views) == [1, 2, 2, 2, 2, 8, 8, 8, 8, 8]
    assert all(v["remainingMonths"] == 0 and v["paidMonths"] == v["months"] for v in views)
    srv.stop()


def test_two_instances_on_mariadb_pay_each_installment_once(tmp_path):
    base, name, url = new_database("p720ann")
    sql = lambda q: mariadb(base, q, name)
    redis = os.environ.get("PENSION_TEST_REDIS")
    assert redis, "PENSION_TEST_REDIS is not set: start Redis with `scripts/topology.sh start-db` and export it"
    dave = new_user("dave")
    # With Redis, every installment is also an `installment` event on the stream (outbox relay).
    # A Redis database of this test's own: the relay's per-event markers are named by outbox row
    # id, which a fresh MariaDB database hands out again from 1.
    redis_port = str(urlparse(redis).port or 6379)
    redis_cli = ["redis-cli", "-p", redis_port, "-n", "7"]
    subprocess.run([*redis_cli, "FLUSHDB"], check=True, capture_output=True, timeout=60)
    env = {"PENSION_REDIS": f"redis://127.0.0.1:{redis_port}/7"}
    a = Server(tmp_path, "a", db_url=url, env=env)
    b = Server(tmp_path, "b", db_url=url, env=env)
    try:
        drawn(a, {dave: ALL_WINNERS})
        # Both start at once, each with its payer, and an ADMIN asks both for the same month at once.
        starts = [threading.Thread(target=s.start, kwargs={"now": LATER}) for s in (a, b)]
        for t in starts:
            t.start()
        for t in starts:
            t.join()
        assert a.alive() and b.alive()
        answers = [None, None]
        barrier = threading.Barrier(2)

        def ask(i, srv):
            barrier.wait()
            answers[i] = pay(srv, "2046-11")

        asks = [threading.Thread(target=ask, args=(i, s)) for i, s in enumerate((a, b))]
        for t in asks:
            t.start()
        for t in asks:
            t.join()
        assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
        assert sum(r.json()["installments"] for r in answers) <= ALL_COUNT
        wait_for(lambda: sql("SELECT COUNT(*) FROM annuity_payments") == [[str(ALL_COUNT)]], "every installment",
                 attempts=12000)
        # Once each: the primary key, and exactly one ledger line per installment, of its net.
        assert sql("SELECT COUNT(*), SUM(amount) FROM ledger WHERE kind = 'INSTALLMENT'") == [[str(ALL_COUNT),
                                                                                                str(ALL_NET)]]
        assert sql("SELECT COUNT(*) FROM annuity_payments p JOIN ledger l ON l.id = p.ledger_id"
                   " WHERE l.amount = p.gross - p.income_tax - p.local_tax") == [[str(ALL_COUNT)]]
        assert a.balance(dave) == b.balance(dave) == 20_000 - 10_000 + ALL_NET
        # Money conserved: deposits + prizes + installments = balances + sales.
        ((deposits, prizes, installments, sales),) = sql(
            "SELECT SUM(CASE WHEN kind = 'DEPOSIT' THEN amount ELSE 0 END), SUM(CASE WHEN kind = 'PRIZE' THEN amount"
            " ELSE 0 END), SUM(CASE WHEN kind = 'INSTALLMENT' THEN amount ELSE 0 END),"
            " -SUM(CASE WHEN kind = 'PURCHASE' THEN amount ELSE 0 END) FROM ledger")
        ((balances,),) = sql("SELECT SUM(balance) FROM wallets")
        assert int(deposits) + int(prizes) + int(installments) == int(balances) + int(sales)
        for srv in (a, b):
            r = pay(srv, "2046-11")
            assert r.status_code == 200 and r.json()["installments"] == 0, r.text
        # The stream: one `installment` event per installment, once the relays emptied the outbox.
        wait_for(lambda: sql("SELECT COUNT(*) FROM outbox") == [["0"]], "the outbox relayed", attempts=12000)
        out = subprocess.run([*redis_cli, "--json", "XRANGE", "pension720:events", "-", "+"],
                             check=True, capture_output=True, text=True, timeout=60)
        fields = [dict(zip(e[1][::2], e[1][1::2])) for e in json.loads(out.stdout)]
        mine = [json.loads(f["payload"]) for f in fields if f["kind"] == "installment"]
        mine = [e for e in mine if e["userId"] == dave]
        assert len(mine) == len({(e["ticketId"], e["month"]) for e in mine}) == ALL_COUNT
        assert sum(e["net"] for e in mine) == ALL_NET
    finally:
        a.stop()
        b.stop()
        mariadb(base, f"DROP DATABASE IF EXISTS {name}")


def test_bad_input_changes_nothing(tmp_path):
    erin, mallory = new_user("erin"), new_user("mallory")
    srv = drawn(Server(tmp_path, "bad"), {erin: [{"group": 2, "number": "123456"}],
                                          mallory: [{"group": 1, "number": "555555"}]})
    srv.start(now="2027-01-25T10:00:00+09:00")
    wait_for(lambda: paid_count(srv) == 2, "two installments")
    (a,) = srv.get("/api/v1/pension/annuities", user=erin).json()
    before = (srv.balance(erin), srv.balance(mallory), srv.sql("SELECT COUNT(*) FROM ledger"))
    for body in ({"month": "2027-13"}, {"month": "202701"}, {"month": "2027-1"}, {"month": 202701}, {},
                 {"month": "2027-01-01"}, {"month": " 2027-01"}, {"month": "１０２７-01"}, {"month": None}):
        expect_error(srv.post("/api/v1/pension/annuities/payments", user="boss", admin=True, json=body),
                     400, "INVALID_REQUEST")
    expect_error(srv.post("/api/v1/pension/annuities/payments", user="boss", admin=True, data="not json"),
                 400, "INVALID_REQUEST")
    expect_error(pay(srv, "2027-02"), 409, "TIME_OUT")
    expect_error(pay(srv, "9999-12"), 409, "TIME_OUT")
    expect_error(srv.post("/api/v1/pension/annuities/payments", user=erin, json={"month": "2027-01"}), 403, "FORBIDDEN")
    expect_error(srv.post("/api/v1/pension/annuities/payments", json={"month": "2027-01"}), 401, "UNAUTHORIZED")
    # Someone else's ticket, an unknown one, a ticket that is not an annuity, not a number.
    expect_error(srv.get(f"/api/v1/pension/annuities/{a['ticketId']}/payments", user=mallory), 404, "NOT_FOUND")
    loser = srv.my_tickets(mallory)[0]["ticketId"]
    for tid in (loser, 999999, "abc", "-1", "1" * 30):
        expect_error(srv.get(f"/api/v1/pension/annuities/{tid}/payments", user=erin), 404, "NOT_FOUND")
    assert srv.get("/api/v1/pension/annuities", user=mallory).json() == []
    for q in ("", "?month=", "?month=2027-1", "?month=2027-00", "?month=abcd-ef"):
        expect_error(srv.get("/api/v1/admin/tax" + q, user="boss", admin=True), 400, "INVALID_REQUEST")
    expect_error(srv.get("/api/v1/admin/tax?month=2027-01", user=erin), 403, "FORBIDDEN")
    assert (srv.balance(erin), srv.balance(mallory), srv.sql("SELECT COUNT(*) FROM ledger")) == before
    assert_each_paid_once(srv, 2, 2 * FIRST[3])
    srv.stop()
