"""Concurrency over real sockets: many clients, one connection each, released together."""
import http.client
import json
import random
import sqlite3
import threading
from collections import Counter, defaultdict

import pytest

from conftest import ROUND, Server, expect_error, new_user, ticket_index

CLIENTS = 220


class Client:
    """One user on its own keep-alive connection."""

    def __init__(self, server, user):
        self.user = user
        self.token = server.token(user)
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        self.conn.connect()

    def call(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=h)
        resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)

    def close(self):
        self.conn.close()


def run_together(server, users, work):
    """Opens one connection per user, then releases every work(client) at once with a barrier.
    Returns (user, result) pairs; an exception in any thread fails the test."""
    clients = [Client(server, u) for u in users]
    barrier = threading.Barrier(len(clients), timeout=120)
    results, errors = [None] * len(clients), []

    def run(i, c):
        try:
            barrier.wait()
            results[i] = work(c)
        except Exception as e:  # reported below
            errors.append(repr(e))
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for c in clients:
        c.close()
    assert not any(t.is_alive() for t in threads), "client threads did not finish"
    assert not errors, errors[:5]
    return list(zip(users, results))


def test_many_clients_one_ticket(server):
    users = [new_user("race") for _ in range(CLIENTS)]
    for u in users:
        server.deposit(u, 1000)
    body = {"round": ROUND, "tickets": [{"group": 3, "number": "271828"}]}
    out = run_together(server, users, lambda c: c.call("POST", "/api/v1/pension/purchases", body))
    statuses = Counter(status for _, (status, _) in out)
    assert statuses[201] == 1, statuses
    assert statuses[409] == CLIENTS - 1, statuses
    codes = Counter(b["errorCode"] for _, (s, b) in out if s == 409)
    assert set(codes) <= {"PURCHASE_DUPLICATED", "TICKET_HELD"}, codes
    winner = next(u for u, (s, _) in out if s == 201)
    owners = server.sql("SELECT user_id FROM tickets WHERE round = ? AND ticket = ?", (ROUND, ticket_index(3, "271828")))
    assert owners == [(winner,)]
    marks = ",".join("?" * len(users))
    balances = dict(server.sql(f"SELECT user_id, balance FROM wallets WHERE user_id IN ({marks})", users))
    assert balances[winner] == 0
    assert all(balances[u] == 1000 for u in users if u != winner)
    server.assert_money_conserved()


def test_many_clients_overlapping_sets(server):
    rng = random.Random(720)
    numbers = [f"{rng.randrange(1_000_000):06d}" for _ in range(12)]
    pool = [(g, n) for g in range(1, 6) for n in numbers]  # 60 tickets
    users = [new_user("mix") for _ in range(CLIENTS)]
    plans, deposits = {}, {}
    for i, u in enumerate(users):
        deposits[u] = 2000 if i % 10 == 0 else 5000  # some cannot pay for everything they want
        server.deposit(u, deposits[u])
        mode = ("cart", "direct", "group0")[i % 3]
        if mode == "group0":
            plans[u] = (mode, [{"group": 0, "number": rng.choice(numbers)}])
        else:
            picks = rng.sample(pool, rng.randint(2, 5))
            plans[u] = (mode, [{"group": g, "number": n} for g, n in picks])

    def work(c):
        mode, specs = plans[c.user]
        log = []
        if mode == "cart":
            for s in specs:
                status, body = c.call("POST", "/api/v1/pension/selected", {"round": ROUND, **s})
                log.append(("select", status, body))
            status, body = c.call("POST", "/api/v1/pension/purchased")
            log.append(("checkout", status, body))
            if status != 201:
                c.call("DELETE", "/api/v1/pension/selected")
        else:
            status, body = c.call("POST", "/api/v1/pension/purchases", {"round": ROUND, "tickets": specs})
            log.append(("buy", status, body))
        return log

    out = run_together(server, users, work)

    allowed = {
        "select": {(201, None), (409, "TICKET_HELD"), (409, "PURCHASE_DUPLICATED")},
        "checkout": {(201, None), (400, "SELECT_NO_TICKET"), (400, "NOT_ENOUGH_MONEY"), (409, "TICKET_HELD"),
                     (409, "PURCHASE_DUPLICATED")},
        "buy": {(201, None), (400, "NOT_ENOUGH_MONEY"), (409, "TICKET_HELD"), (409, "PURCHASE_DUPLICATED")},
    }
    receipts = defaultdict(list)  # user → tickets acknowledged with 201
    outcomes = Counter()
    for u, log in out:
        for step, status, body in log:
            key = (status, None if status < 300 else body.get("errorCode"))
            assert key in allowed[step], (u, step, status, body)
            outcomes[(step,) + key] += 1
            if step in ("checkout", "buy") and status == 201:
                assert body["round"] == ROUND and body["amount"] == 1000 * len(body["tickets"])
                receipts[u].extend(ticket_index(t["group"], t["number"]) for t in body["tickets"])
                if step == "buy":
                    want = plans[u][1]
                    if want[0]["group"] == 0:
                        assert sorted(receipts[u][-5:]) == [ticket_index(g, want[0]["number"]) for g in range(1, 6)]
                    else:
                        assert sorted(receipts[u][-len(want):]) == sorted(ticket_index(s["group"], s["number"]) for s in want)
    # The contest was real: some succeeded and some lost.
    assert sum(v for k, v in outcomes.items() if k[1] == 201 and k[0] != "select") > 0, outcomes
    assert sum(v for k, v in outcomes.items() if k[1] == 409) > 0, outcomes

    # The SQLite file is the truth.
    dupes = server.sql("SELECT round, ticket, COUNT(*) FROM tickets GROUP BY round, ticket HAVING COUNT(*) > 1")
    assert dupes == []
    pool_idx = {ticket_index(g, n) for g, n in pool}
    sold = dict(((t, u) for t, u in server.sql("SELECT ticket, user_id FROM tickets WHERE round = ?", (ROUND,))
                 if t in pool_idx))
    acknowledged = {t: u for u, ts in receipts.items() for t in ts}
    assert sum(len(ts) for ts in receipts.values()) == len(acknowledged), "a ticket acknowledged twice"
    assert acknowledged == sold, "sold tickets and 201 receipts disagree"
    marks = ",".join("?" * len(users))
    balances = dict(server.sql(f"SELECT user_id, balance FROM wallets WHERE user_id IN ({marks})", users))
    owned = Counter(sold.values())
    for u in users:
        assert balances[u] == deposits[u] - 1000 * owned[u], u
    # Failed checkouts left nothing behind: carts were emptied and no hold blocks the next buyer.
    assert server.sql(f"SELECT COUNT(*) FROM cart_items WHERE user_id IN ({marks})", users) == [(0,)]
    server.assert_money_conserved()


def run_same_user(server, user, n, work):
    """n connections of one user, released together."""
    return [res for _, res in run_together(server, [user] * n, work)]


def test_double_clicked_select_keeps_the_hold(server):
    holder, other = new_user("dbl"), new_user("dbl")
    body = {"round": ROUND, "group": 5, "number": "161803"}
    out = run_same_user(server, holder, 30, lambda c: c.call("POST", "/api/v1/pension/selected", body))
    statuses = Counter((s, None if s == 201 else b["errorCode"]) for s, b in out)
    assert statuses == Counter({(201, None): 1, (409, "SELECT_DUPLICATED"): 29}), statuses
    assert len(server.cart(holder)) == 1
    # The one cart item is still held: nobody else may take it.
    r = server.select(other, 5, "161803")
    assert r.status_code == 409 and r.json()["errorCode"] == "TICKET_HELD", r.text
    server.deposit(other, 1000)
    r = server.buy(other, [{"group": 5, "number": "161803"}])
    assert r.status_code == 409 and r.json()["errorCode"] == "TICKET_HELD", r.text
    assert server.cart(holder)[0]["holdExpiresAt"] is not None


def test_concurrent_selects_of_one_ticket_by_many_users(server):
    users = [new_user("sel") for _ in range(100)]
    body = {"round": ROUND, "group": 1, "number": "141421"}
    out = run_together(server, users, lambda c: c.call("POST", "/api/v1/pension/selected", body))
    winners = [u for u, (s, _) in out if s == 201]
    assert len(winners) == 1
    assert all(s == 409 and b["errorCode"] == "TICKET_HELD" for u, (s, b) in out if u not in winners)
    rows = server.sql("SELECT user_id FROM cart_items WHERE round = ? AND ticket = ?", (ROUND, ticket_index(1, "141421")))
    assert rows == [(winners[0],)]


def test_same_idempotency_key_in_parallel_charges_once(server):
    u = new_user("idem")
    server.deposit(u, 5000)
    body = {"round": ROUND, "tickets": [{"group": 2, "number": "173205"}, {"group": 4, "auto": True}]}
    out = run_same_user(server, u, 40, lambda c: c.call("POST", "/api/v1/pension/purchases", body,
                                                        {"Idempotency-Key": "same-key"}))
    assert all(s == 201 for s, _ in out), Counter(s for s, _ in out)
    assert all(b == out[0][1] for _, b in out)
    assert server.balance(u) == 3000
    assert len(server.my_tickets(u)) == 2


def test_parallel_spending_never_overdraws(server):
    u = new_user("spend")
    server.deposit(u, 3000)
    counter = iter(range(10_000))
    lock = threading.Lock()

    def work(c):
        with lock:
            n = next(counter)
        return c.call("POST", "/api/v1/pension/purchases",
                      {"round": ROUND, "tickets": [{"group": 3, "number": f"{600000 + n:06d}"}]})

    out = run_same_user(server, u, 40, work)
    statuses = Counter((s, None if s == 201 else b["errorCode"]) for s, b in out)
    assert statuses == Counter({(201, None): 3, (400, "NOT_ENOUGH_MONEY"): 37}), statuses
    assert server.balance(u) == 0
    assert len(server.my_tickets(u)) == 3
    assert server.sql("SELECT balance FROM wallets WHERE user_id = ?", (u,)) == [(0,)]


def test_parallel_deposits_all_count(server):
    u = new_user("dep")
    out = run_same_user(server, u, 60, lambda c: c.call("POST", "/api/v1/wallet/deposit", {"amount": 1234}))
    assert all(s == 200 for s, _ in out)
    assert sorted(b["balance"] for _, b in out) == [1234 * k for k in range(1, 61)]
    assert server.balance(u) == 1234 * 60


def test_round_limit_holds_under_concurrency(tmp_path):
    srv = Server(tmp_path, "climit", env={"PENSION_ROUND_LIMIT": "5"}).start()
    try:
        u = new_user("lim")
        srv.deposit(u, 100_000)
        counter = iter(range(10_000))
        lock = threading.Lock()

        def work(c):
            with lock:
                n = next(counter)
            return c.call("POST", "/api/v1/pension/purchases",
                          {"round": ROUND, "tickets": [{"group": 1, "number": f"{700000 + n:06d}"}]})

        out = run_same_user(srv, u, 40, work)
        statuses = Counter((s, None if s == 201 else b["errorCode"]) for s, b in out)
        assert statuses == Counter({(201, None): 5, (409, "LIMIT_EXCEEDED"): 35}), statuses
        assert srv.balance(u) == 95_000
        srv.assert_money_conserved()
    finally:
        srv.stop()


def test_same_key_different_bodies_in_parallel(server):
    u = new_user("idem2")
    server.deposit(u, 5000)
    bodies = [{"round": ROUND, "tickets": [{"group": g, "number": "223606"}]} for g in (1, 2)]
    counter = iter(range(10_000))
    lock = threading.Lock()

    def work(c):
        with lock:
            n = next(counter)
        body = bodies[n % 2]
        return body, c.call("POST", "/api/v1/pension/purchases", body, {"Idempotency-Key": "contested"})

    out = run_same_user(server, u, 40, work)
    winners = [(b, r) for b, (s, r) in out if s == 201]
    assert winners
    win_body = winners[0][0]
    assert all(r == winners[0][1] for _, r in winners)
    for body, (status, resp) in out:
        if body == win_body:
            assert status == 201, resp
        else:
            assert status == 409 and resp["errorCode"] == "IDEMPOTENCY_CONFLICT", resp
    assert server.balance(u) == 4000
    assert len(server.my_tickets(u)) == 1


def test_auto_picks_that_lose_a_race_pick_again(tmp_path):
    """A round almost sold out: group 1 has LEFT unsold tickets, and LEFT buyers, released together,
    each auto-pick one. Every pick chooses among the same few tickets, so picks collide; a pick that
    loses its ticket to a concurrent purchase picks again instead of answering 409 — every buyer gets
    a ticket and the group is sold out. Only then is an auto pick PURCHASE_DUPLICATED."""
    left_count = 8  # each buyer can lose at most left_count - 1 races: within the server's bound
    srv = Server(tmp_path, "almost")
    srv.check_money_at_stop = False  # the sold tickets are planted without purchases or ledger lines
    srv.start()
    srv.stop()  # the schema is there; the sold tickets are written straight into the file
    left = sorted(random.Random(16).sample(range(1_000_000), left_count))
    with sqlite3.connect(srv.db) as conn:
        conn.execute("CREATE TEMP TABLE unsold (x INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO unsold VALUES (?)", [(x,) for x in left])
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999)"
            " INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at)"
            " SELECT 1 + x / 20, 'planted', ?, x, '2026-11-24T12:00:00+09:00' FROM n"
            " WHERE x NOT IN (SELECT x FROM unsold)", (ROUND,))
    srv.start()
    try:
        users = [new_user("last") for _ in range(left_count)]
        for u in users:
            srv.deposit(u, 1000)
        body = {"round": ROUND, "tickets": [{"group": 1, "auto": True}]}
        out = run_together(srv, users, lambda c: c.call("POST", "/api/v1/pension/purchases", body))
        assert [(u, s, b) for u, (s, b) in out if s != 201] == []
        got = {u: [ticket_index(t["group"], t["number"]) for t in b["tickets"]] for u, (_, b) in out}
        assert sorted(t for ts in got.values() for t in ts) == left  # each of the last tickets once
        marks = ",".join("?" * len(users))
        owners = dict(srv.sql(f"SELECT ticket, user_id FROM tickets WHERE round = ? AND user_id IN ({marks})",
                              (ROUND, *users)))
        assert owners == {ts[0]: u for u, ts in got.items()}
        balances = dict(srv.sql(f"SELECT user_id, balance FROM wallets WHERE user_id IN ({marks})", users))
        assert balances == {u: 0 for u in users}
        # Group 1 is sold out now: an auto pick there has nothing left to pick, and charges nothing.
        late = new_user("late")
        srv.deposit(late, 1000)
        expect_error(srv.post("/api/v1/pension/purchases", user=late, json=body), 409, "PURCHASE_DUPLICATED")
        assert srv.balance(late) == 1000
        # Other groups are untouched by that: the same buyer's auto pick in group 2 is sold.
        resp = srv.post("/api/v1/pension/purchases", user=late, json={"round": ROUND, "tickets": [{"group": 2, "auto": True}]})
        assert resp.status_code == 201, resp.text
        assert [t["group"] for t in resp.json()["tickets"]] == [2]
    finally:
        srv.stop()
