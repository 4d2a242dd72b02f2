"""Fixtures of the black-box HTTP suite: a real pension720 process per module, tokens, clients.

The binary comes from $PENSION_BIN (default <repo>/build/pension720). Each server gets a free
port and a fresh SQLite file under pytest's tmp_path. Startup is detected by polling
GET /actuator/health a bounded number of times; that poll is the only wait in the suite.
"""
import itertools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import jwt as pyjwt
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PENSION_BIN", str(REPO / "build" / "pension720"))
SECRET = "e2e-secret-0123456789abcdef"
ON_SALE = "2026-11-24T12:00:00+09:00"  # round 343 on sale
CLOSED = "2026-11-26T18:00:00+09:00"   # draw day of 343, between close (17:00) and next open (21:00)
ROUND = 343
PRICE = 1000

# The browser test lives under web/ (node); pytest must not wander into node_modules.
collect_ignore = ["web"]

_counter = itertools.count(1)


def new_user(prefix="u"):
    """A user id no other test uses (servers are shared by the tests of a module)."""
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:8]}"


def make_token(user, role=None, ttl=3600, secret=SECRET, algorithm="HS256", extra=None, drop_id=False):
    claims = {"id": user, "name": "테스트", "email": f"{user}@example.com", "iat": int(time.time())}
    if ttl is not None:
        claims["exp"] = int(time.time()) + ttl
    if role:
        claims["role"] = role
    if drop_id:
        del claims["id"]
    if extra:
        claims.update(extra)
    return pyjwt.encode(claims, secret, algorithm=algorithm)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll_until(cond, what, bound=60.0, interval=0.01):
    """Waits until cond() is true, polling every `interval` s for at most `bound` s (the suite's
    only kind of wait); fails naming `what`."""
    deadline = time.monotonic() + bound
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)  # polling interval of a bounded poll


def mariadb_cli(host, port, user, password, sql, database=None):
    """Rows (lists of strings) of `sql` run by the mariadb client over TCP; fails on an error."""
    cmd = ["mariadb", "--no-defaults", "--protocol=TCP", "-h", host, "-P", str(port), "-u", user,
           f"-p{password}", "-N", "-B", "-e", sql]
    if database:
        cmd.append(database)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [line.split("\t") for line in out.stdout.splitlines()]


def error_of(resp):
    """Asserts the SPEC's error shape and returns errorCode."""
    body = resp.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("errorCode"), str) and body["errorCode"], body
    assert isinstance(body.get("errorMessage"), str), body
    # Messages are in Korean (SPEC §3).
    assert any("\uac00" <= ch <= "\ud7a3" for ch in body["errorMessage"]), body
    return body["errorCode"]


def expect_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert error_of(resp) == code, resp.text
    return resp.json()


def digits_of(number):
    return {name: int(ch) for name, ch in zip(("first", "second", "third", "fourth", "fifth", "sixth"), number)}


def ticket_index(group, number):
    """The server's dense ticket index (tickets.ticket in SQLite)."""
    return (group - 1) * 1_000_000 + int(number)


def ticket_of_index(index):
    return index // 1_000_000 + 1, f"{index % 1_000_000:06d}"


class Server:
    """One pension720 process on a free port with its own SQLite file."""

    def __init__(self, tmp_path, name="srv", now=ON_SALE, demo=True, env=None, db=None, secret=SECRET,
                 db_url=None):
        self.dir = Path(tmp_path)
        self.name = name
        self.db = Path(db) if db else self.dir / f"{name}.db"
        self.db_url = db_url or f"sqlite:{self.db}"  # e.g. mysql://…; then sql() and the money check do not apply
        self.allow_5xx = False  # a test that makes the store fail on purpose sets it
        # stop() and kill() check the money invariant; off only for a file a test filled with
        # rows written straight into it rather than through the server.
        self.check_money_at_stop = True
        self.now = now
        self.demo = demo
        self.env = dict(env or {})
        self.secret = secret
        self.proc = None
        self.port = None
        self.log_path = None
        self._starts = 0
        self.session = requests.Session()
        self._tokens = {}

    # --- lifecycle --------------------------------------------------------------------------
    def start(self, now=None, env=None):
        if now is not None:
            self.now = now
        if env is not None:
            self.env = dict(env)
        for _ in range(3):  # a port taken between free_port() and bind: try another one
            self._starts += 1
            self.port = free_port()
            self.log_path = self.dir / f"{self.name}.{self._starts}.log"
            cmd = [BIN, "serve", "--port", str(self.port), "--db", self.db_url,
                   "--now", self.now, "--token-secret", self.secret]
            if self.demo:
                cmd.append("--demo")
            env = {k: v for k, v in os.environ.items() if not k.startswith("PENSION_")}
            env.update(self.env)
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            if self._wait_healthy():
                self.session = requests.Session()
                return self
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        raise AssertionError(f"server did not become healthy; log:\n{self.log()}")

    def _wait_healthy(self, attempts=300):
        for _ in range(attempts):
            if self.proc.poll() is not None:
                return False
            try:
                r = requests.get(self.url("/actuator/health"), timeout=1)
                if r.status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)  # polling interval of the bounded startup poll
        return False

    def stop(self):
        """SIGTERM: drains and must exit with status 0."""
        if self.proc is None:
            return
        self.session.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server ignored SIGTERM; log:\n{self.log()}")
        self.proc = None
        assert code == 0, f"exit status {code} after SIGTERM; log:\n{self.log()}"
        # No request of this run ended in a server error (5xx answers are always logged).
        errors = [line for line in Path(self.log_path).read_text(errors="replace").splitlines()
                  if '"status":5' in line.replace(" ", "")]
        assert self.allow_5xx or not errors, errors[:5]
        self.check_money()

    def check_money(self):
        """The money invariant, for servers on their own SQLite file (MariaDB ones are checked by their tests)."""
        if self.check_money_at_stop and self.db_url.startswith("sqlite:") and self.db.exists():
            self.assert_money_conserved()

    def kill(self):
        """SIGKILL, for crash tests."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self.session.close()
        self.check_money()  # a crash leaves every won accounted for

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            return Path(self.log_path).read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # --- HTTP -------------------------------------------------------------------------------
    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def token(self, user, admin=False):
        key = (user, admin)
        if key not in self._tokens:
            self._tokens[key] = make_token(user, role="ADMIN" if admin else None, ttl=86400, secret=self.secret)
        return self._tokens[key]

    def request(self, method, path, user=None, admin=False, token=None, headers=None, **kw):
        h = dict(headers or {})
        if token is None and user is not None:
            token = self.token(user, admin)
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # --- domain helpers ---------------------------------------------------------------------
    def deposit(self, user, amount):
        """Self-deposit (demo mode) or, on a non-demo server, an ADMIN deposit."""
        if self.demo:
            r = self.post("/api/v1/wallet/deposit", user=user, json={"amount": amount})
        else:
            r = self.post("/api/v1/wallet/deposit", user="admin-" + user, admin=True,
                          json={"amount": amount, "userId": user})
        assert r.status_code == 200, r.text
        return r.json()["balance"]

    def balance(self, user):
        r = self.get("/api/v1/wallet", user=user)
        assert r.status_code == 200, r.text
        return r.json()["balance"]

    def cart(self, user):
        r = self.get("/api/v1/pension/selected", user=user)
        assert r.status_code == 200, r.text
        return r.json()

    def select(self, user, group, number=None, round_=ROUND, **extra):
        body = {"round": round_, "group": group}
        if number is not None:
            body["number"] = number
        body.update(extra)
        return self.post("/api/v1/pension/selected", user=user, json=body)

    def buy(self, user, tickets, round_=ROUND, key=None):
        headers = {"Idempotency-Key": key} if key else None
        return self.post("/api/v1/pension/purchases", user=user, headers=headers,
                         json={"round": round_, "tickets": tickets})

    def checkout(self, user, key=None):
        headers = {"Idempotency-Key": key} if key else None
        return self.post("/api/v1/pension/purchased", user=user, headers=headers)

    def my_tickets(self, user, round_=ROUND):
        r = self.get(f"/api/v1/pension/purchased?round={round_}", user=user)
        assert r.status_code == 200, r.text
        return r.json()

    # --- the SQLite file --------------------------------------------------------------------
    def sql(self, query, params=()):
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(query, params).fetchall()
        finally:
            conn.close()

    def assert_money_conserved(self):
        """SPEC §4, read in one snapshot of the file: deposits (ADMIN and payment provider) + prizes
        + installments credited (net) = balances + sales + withdrawals not failed, where
        withdrawals not failed = −sum(WITHDRAWAL) − sum(REFUND); every wallet is the sum of its
        ledger lines; every ledger line is of a known kind; every DONE payment order was credited
        once, every withdrawal debited once and refunded once when (and only when) it failed."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("BEGIN")
            one = lambda q: conn.execute(q).fetchone()[0]
            kind = lambda k: one(f"SELECT COALESCE(SUM(amount),0) FROM ledger WHERE kind='{k}'")
            kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM ledger")}
            deposits, prizes, installments = kind("DEPOSIT"), kind("PRIZE"), kind("INSTALLMENT")
            sales = -kind("PURCHASE")
            withdrawn = -kind("WITHDRAWAL") - kind("REFUND")
            # A taxed line's amount is its net: gross − income tax − local tax.
            untrue_tax = one("SELECT COUNT(*) FROM ledger l JOIN ledger_tax t ON t.ledger_id = l.id"
                             " WHERE l.amount <> t.gross - t.income_tax - t.local_tax")
            balances = one("SELECT COALESCE(SUM(balance),0) FROM wallets")
            sold = one("SELECT COUNT(*) FROM tickets")
            purchased = one("SELECT COALESCE(SUM(amount),0) FROM purchases")
            # Every wallet equals the sum of its ledger lines (and no ledger line lacks a wallet).
            drift = conn.execute(
                "SELECT w.user_id, w.balance, COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.user_id = w.user_id), 0)"
                " FROM wallets w").fetchall()
            orphans = one("SELECT COUNT(*) FROM ledger l WHERE NOT EXISTS"
                          " (SELECT 1 FROM wallets w WHERE w.user_id = l.user_id)")
            tables = {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            orders = withdrawals = None
            if "payment_orders" in tables:
                # Each order: its status, and the ledger lines naming it (count, sum).
                orders = conn.execute(
                    "SELECT o.order_id, o.status, o.amount, o.user_id,"
                    " (SELECT COUNT(*) FROM ledger l WHERE l.ref = 'order:' || o.order_id),"
                    " (SELECT COALESCE(SUM(amount),0) FROM ledger l WHERE l.ref = 'order:' || o.order_id"
                    "  AND l.kind = 'DEPOSIT' AND l.user_id = o.user_id) FROM payment_orders o").fetchall()
                order_lines = one("SELECT COUNT(*) FROM ledger WHERE ref LIKE 'order:%'")
                withdrawals = conn.execute(
                    "SELECT w.id, w.status, w.amount,"
                    " (SELECT COALESCE(SUM(amount),0) FROM ledger l WHERE l.ref = 'withdrawal:' || w.id"
                    "  AND l.kind = 'WITHDRAWAL' AND l.user_id = w.user_id),"
                    " (SELECT COALESCE(SUM(amount),0) FROM ledger l WHERE l.ref = 'withdrawal:' || w.id"
                    "  AND l.kind = 'REFUND' AND l.user_id = w.user_id),"
                    " (SELECT COUNT(*) FROM ledger l WHERE l.ref = 'withdrawal:' || w.id) FROM withdrawals w").fetchall()
                withdrawal_lines = one("SELECT COUNT(*) FROM ledger WHERE kind IN ('WITHDRAWAL', 'REFUND')")
            conn.execute("COMMIT")
        finally:
            conn.close()
        unknown = kinds - {"DEPOSIT", "PURCHASE", "PRIZE", "INSTALLMENT", "WITHDRAWAL", "REFUND"}
        assert not unknown, f"ledger lines of unknown kinds: {unknown}"
        assert deposits + prizes + installments == balances + sales + withdrawn, \
            (deposits, prizes, installments, balances, sales, withdrawn)
        assert untrue_tax == 0, untrue_tax
        assert sales == PRICE * sold == purchased, (sales, sold, purchased)
        assert all(b == s for _, b, s in drift), [d for d in drift if d[1] != d[2]]
        assert orphans == 0, f"{orphans} ledger lines of users without a wallet"
        if orders is not None:
            for order_id, status, amount, _, lines, credited in orders:
                expected = (1, amount) if status == "DONE" else (0, 0)
                assert (lines, credited) == expected, (order_id, status, amount, lines, credited)
            assert order_lines == sum(1 for o in orders if o[1] == "DONE"), order_lines
            for wid, status, amount, debit, refund, lines in withdrawals:
                assert debit == -amount, (wid, status, amount, debit)
                assert (refund, lines) == ((amount, 2) if status == "FAILED" else (0, 1)), (wid, status, refund, lines)
            assert withdrawal_lines == sum(w[5] for w in withdrawals), withdrawal_lines
            assert withdrawn == sum(w[2] for w in withdrawals if w[1] != "FAILED"), withdrawn
        return deposits, balances, sales, prizes


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A demo server with round 343 on sale, shared by the tests of one module."""
    srv = Server(tmp_path_factory.mktemp("srv")).start()
    yield srv
    srv.stop()


@pytest.fixture
def user():
    return new_user()


def assert_ticket(t, group=None, number=None):
    """A ticket in JSON: group, first..sixth and number agree."""
    assert 1 <= t["group"] <= 5
    assert isinstance(t["number"], str) and len(t["number"]) == 6 and t["number"].isdigit(), t
    assert [t[k] for k in ("first", "second", "third", "fourth", "fifth", "sixth")] == [int(c) for c in t["number"]], t
    if group is not None:
        assert t["group"] == group, t
    if number is not None:
        assert t["number"] == number, t


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False)
