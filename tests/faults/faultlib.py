"""What the fault tests share: buyers that keep buying over real sockets and record every answer,
the MariaDB database of one test, and the invariant check that follows every fault.

The servers, tokens and the SQLite money check are tests/e2e/conftest.py's (imported, not
copied); the TCP proxy is tests/e2e/mysql_proxy.py; MariaDB and Redis are scripts/topology.sh's.
"""
import itertools
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from conftest import PRICE, REPO, ROUND, Server, new_user, ticket_index, ticket_of_index  # noqa: E402
from mysql_db import MysqlDatabase  # noqa: E402,F401  (re-exported for the tests)
from mysql_proxy import MysqlProxy  # noqa: E402,F401

TOPOLOGY = str(REPO / "scripts" / "topology.sh")
# Every fault test's servers: no per-user rate limit or round limit in the way of the load, and
# MariaDB sessions that give up on a silent peer within seconds (store.mysql.*).
LOAD_ENV = {"PENSION_RATE_PER_SECOND": "0", "PENSION_ROUND_LIMIT": "1000000",
            "PENSION_MYSQL_LOCK_WAIT_TIMEOUT": "1", "PENSION_MYSQL_IDLE_TRANSACTION_TIMEOUT": "2",
            "PENSION_MYSQL_IO_TIMEOUT": "6"}
DEPOSIT = 100_000_000
REFUSALS = {409}  # definite answers that leave nothing behind (the ticket was sold already)


def topology(*args):
    """scripts/topology.sh with this environment's TOPO_* settings (the suite's MariaDB and Redis)."""
    r = subprocess.run(["bash", TOPOLOGY, *args], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"topology.sh {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r.stdout


def poll(condition, seconds, what):
    """Polls `condition` every 50 ms until it is true, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)  # polling interval of a bounded wait


def health(srv):
    try:
        r = requests.get(srv.url("/actuator/health"), timeout=5)
        return r.status_code, r.json()
    except (requests.RequestException, ValueError):
        return None, None


# --- load ----------------------------------------------------------------------------------
class Answers:
    """Every purchase answer of a test: (time, instance, user, ticket indexes, status, body)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []
        self.unanswered = []  # (instance, user, tickets, key, error): no answer at all

    def add(self, row):
        with self.lock:
            self.rows.append(row)

    def count(self, status=201, since=None, until=None, where=None):
        with self.lock:
            return sum(1 for t, inst, _, _, s, _ in self.rows if s == status and (since is None or t >= since)
                       and (until is None or t < until) and (where is None or inst in where))


class Buyers:
    """`per_server` buyers on each server, each with a wallet of its own, buying one ticket at a
    time over a keep-alive connection until stop(). Tickets are fresh (from `first`, never asked
    twice) except every `hot_every`-th purchase, which asks for one of hot() (sold once at most)."""

    def __init__(self, servers, answers, per_server=8, first=0, hot=None, hot_every=4, keyed=False):
        # keyed: every purchase carries an Idempotency-Key (settle_unanswered can then ask again).
        self.answers = answers
        self.hot, self.hot_every, self.keyed = hot, hot_every, keyed
        self.fresh = itertools.count(first)
        self.fresh_lock = threading.Lock()
        self.stopping = threading.Event()
        self.buyers = []
        for srv in servers:
            for _ in range(per_server):
                user = new_user("fault")
                srv.deposit(user, DEPOSIT)
                self.buyers.append((srv, user))
        self.threads = [threading.Thread(target=self._run, args=b, daemon=True) for b in self.buyers]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        """Stops every buyer (again: a no-op)."""
        self.stopping.set()
        for t in self.threads:
            t.join(120)
            assert not t.is_alive(), "a buyer hung"

    def users(self):
        return {u for _, u in self.buyers}

    def _next(self, n):
        if self.hot and n % self.hot_every == self.hot_every - 1:
            hot = self.hot()
            return hot[n // self.hot_every % len(hot)]
        with self.fresh_lock:
            return next(self.fresh)

    def _run(self, srv, user):
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {srv.token(user)}"
        for n in itertools.count():
            if self.stopping.is_set():
                return
            index = self._next(n)
            group, number = ticket_of_index(index)
            key = str(uuid.uuid4()) if self.keyed else None
            body = {"round": ROUND, "tickets": [{"group": group, "number": number}]}
            headers = {"Idempotency-Key": key} if key else {}
            try:
                r = http.post(srv.url("/api/v1/pension/purchases"), json=body, headers=headers, timeout=60)
            except requests.RequestException as e:
                # No answer (the server died): the outcome is for the test to settle; this buyer stops.
                with self.answers.lock:
                    self.answers.unanswered.append((srv, user, [index], key, repr(e)))
                return
            try:
                parsed = r.json()
            except ValueError:
                parsed = r.text
            self.answers.add((time.monotonic(), srv.name, user, [index], r.status_code, parsed))


def settle_unanswered(answers):
    """Asks again, with the same Idempotency-Key, every purchase that got no answer (the server
    died with it in flight), as a buyer would: the answer is then definite."""
    for srv, user, indexes, key, _ in answers.unanswered:
        assert key, "a purchase without an Idempotency-Key got no answer: its outcome is unknown"
        r = srv.buy(user, [dict(zip(("group", "number"), ticket_of_index(i))) for i in indexes], key=key)
        answers.add((time.monotonic(), srv.name, user, indexes, r.status_code, r.json()))
    answers.unanswered.clear()


def assert_no_ambiguous_answer(answers, owned_rows, users):
    """After a fault: no ticket twice; every 201's tickets in the database, owned by its buyer;
    every other answer a definite refusal (nothing written) or a 503 whose purchase is proven not
    to exist — the buyer owns no ticket that no 201 gave them. owned_rows: (user, round, ticket,
    purchase_id) of every ticket in the database."""
    assert not answers.unanswered, answers.unanswered[:5]
    tickets = [(r, t) for _, r, t, _ in owned_rows]
    assert len(tickets) == len(set(tickets)), "a ticket sold twice"
    owned = {(u, t) for u, r, t, _ in owned_rows if r == ROUND and u in users}
    told = set()
    for _, inst, user, indexes, status, body in answers.rows:
        if status == 201:
            assert sorted(ticket_index(x["group"], x["number"]) for x in body["tickets"]) == sorted(indexes), body
            told.update((user, i) for i in indexes)
        elif status == 503:
            assert isinstance(body, dict) and body.get("errorCode") in ("SERVICE_UNAVAILABLE", "STORAGE_FULL"), (inst, body)
            text = repr(body).upper()
            assert "SELECT" not in text and "INSERT" not in text and "MYSQL" not in text, body
        else:
            assert status in REFUSALS, (inst, user, indexes, status, body)
    assert told <= owned, f"201 without its tickets: {sorted(told - owned)[:10]}"
    assert owned <= told, f"sold without a 201 (a 503 or refusal that took effect): {sorted(owned - told)[:10]}"


def assert_wallets(sql, users):
    """Per buyer: balance = deposit − price × tickets owned (sql: a query function)."""
    owned = {u: c for u, c in sql("SELECT user_id, COUNT(*) FROM tickets GROUP BY user_id")}
    balances = {u: b for u, b in sql("SELECT user_id, balance FROM wallets")}
    for u in users:
        assert balances.get(u) == DEPOSIT - PRICE * owned.get(u, 0), (u, balances.get(u), owned.get(u, 0))


def assert_invariants(answers, users, store):
    """The check after every fault. `store`: a Server (SQLite) or a MysqlDatabase — both have
    sql() and assert_money_conserved()."""
    assert_no_ambiguous_answer(answers, store.sql("SELECT user_id, round, ticket, purchase_id FROM tickets"), users)
    assert_wallets(store.sql, users)
    store.assert_money_conserved()
