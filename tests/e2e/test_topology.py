"""Scale-out under fire: MariaDB, Redis, three pension720 instances and nginx, started by
scripts/topology.sh (the same script a person uses). Hundreds of concurrent buyers race through
nginx for the same tickets and for random overlapping sets while one instance is SIGKILLed and
Redis is stopped and started again. The chaos is triggered by counting responses, never by
sleeping. Afterwards the database must show no ticket sold twice, every ticket of every 201
receipt owned by its buyer, money conserved exactly (per user and in total), and the Redis
event stream one purchase event per purchase row.
"""
import json
import os
import random
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import BIN, ON_SALE, PRICE, REPO, ROUND, SECRET, make_token, ticket_index

TOPO = str(REPO / "scripts" / "topology.sh")
BUYERS = 200
ATTEMPTS_EACH = 6
DEPOSIT = 50_000
HOT = [("1", f"{n:06d}") for n in range(8)]  # eight tickets everybody wants
POOL = [(str(g), f"{700000 + n:06d}") for g in range(1, 6) for n in range(60)]  # 300 overlapping
RETRYABLE = {502, 503, 504}


def topo(*args, check=True, timeout=240):
    env = dict(os.environ, PENSION_BIN=BIN, PENSION_TOKEN_SECRET=SECRET, PENSION_NOW=ON_SALE)
    return subprocess.run([TOPO, *args], env=env, check=check, timeout=timeout, capture_output=True, text=True)


@pytest.fixture(scope="module")
def topology():
    # Leave MariaDB and Redis as we found them (scripts/test.sh starts them for the unit tests).
    services_were_up = topo("db-running", check=False).returncode == 0
    started = topo("start", "--instances", "3", "--fresh", check=False)
    if started.returncode != 0:
        topo("stop", check=False)
        pytest.fail(f"topology did not start:\n{started.stdout}\n{started.stderr}")
    env = dict(line.split("=", 1) for line in started.stdout.split() if "=" in line)
    try:
        yield env
    finally:
        topo("stop", *(["--keep-services"] if services_were_up else []), check=False)


def sql(env, query):
    out = subprocess.run(["mariadb", "--no-defaults", "-S", env["TOPO_DB_SOCKET"], "-uroot", "-N", "-B",
                          "-e", query, "pension720"], check=True, capture_output=True, text=True, timeout=60)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def redis_json(env, *args):
    port = env["PENSION_REDIS"].rsplit(":", 1)[1]
    out = subprocess.run(["redis-cli", "-p", port, "--json", *args], check=True, capture_output=True, text=True,
                         timeout=30)
    return json.loads(out.stdout)


class Chaos:
    """Counts responses; at set counts SIGKILLs instance 2, stops Redis, checks health says so,
    lets buyers work against the outage, and starts Redis again."""

    def __init__(self, env, total):
        self.env = env
        self.lock = threading.Lock()
        self.count = 0
        self.kill_at, self.redis_down_at = total // 4, total * 2 // 5
        self.redis_up_after = 150  # responses served while Redis is down
        self.killed = threading.Event()
        self.down = threading.Event()
        self.served_while_down = threading.Event()
        self.down_count = None
        self.done = threading.Event()
        self.health_during_outage = None
        self.errors = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def tick(self):
        with self.lock:
            self.count += 1
            if self.count == self.kill_at:
                self.killed.set()
            if self.count == self.redis_down_at:
                self.down.set()
            if self.down_count is not None and self.count >= self.down_count + self.redis_up_after:
                self.served_while_down.set()

    def run(self):
        try:
            self.killed.wait()
            topo("kill-instance", "2")
            self.down.wait()
            topo("stop-redis")
            with self.lock:
                self.down_count = self.count
            r = requests.get(self.env["PENSION_URL"] + "/actuator/health", timeout=10)
            self.health_during_outage = (r.status_code, r.json())
            # Buyers finishing early also release this (see finish()).
            self.served_while_down.wait()
            topo("start-redis")
        except Exception as e:  # reported by the test
            self.errors.append(repr(e))
        finally:
            self.done.set()

    def finish(self):
        """After the buyers: make sure every step ran even if they finished first."""
        self.killed.set()
        self.down.set()
        self.served_while_down.set()
        assert self.done.wait(120), "chaos thread did not finish"
        assert not self.errors, self.errors


class Buyer:
    def __init__(self, url, n, chaos, rng, barrier):
        self.url = url
        self.barrier = barrier
        self.user = f"topo{n}-{uuid.uuid4().hex[:6]}"
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + make_token(self.user, ttl=3600)
        self.chaos = chaos
        self.rng = rng
        self.receipts = {}  # purchaseId -> body
        self.unexpected = []

    def call(self, method, path, body=None, key=None, allowed=()):
        """One request. Re-sent while nginx or an instance fails only when that is safe: with an
        Idempotency-Key, or for GET/DELETE. A keyless POST that fails has an unknown outcome,
        which is only acceptable where `allowed` says so (the cart's select)."""
        headers = {"Idempotency-Key": key} if key else {}
        safe = key is not None or method != "POST"
        for _ in range(40):
            try:
                r = self.http.request(method, self.url + path, json=body, headers=headers, timeout=30)
            except requests.ConnectionError:
                r = None
            finally:
                self.chaos.tick()
            if safe and (r is None or r.status_code in RETRYABLE):
                continue
            status = r.status_code if r is not None else "connection error"
            if status not in allowed:
                self.unexpected.append((method, path, body, status, r.text[:300] if r is not None else ""))
            return r
        self.unexpected.append((method, path, body, "gave up"))
        return None

    def buy(self, tickets):
        r = self.call("POST", "/api/v1/pension/purchases", {"round": ROUND, "tickets": tickets},
                      key=str(uuid.uuid4()), allowed=(201, 409))
        if r is not None and r.status_code == 201:
            body = r.json()
            self.receipts[body["purchaseId"]] = body

    def run(self):
        # Every deposit lands before the chaos can start (kill_at is past BUYERS responses).
        self.call("POST", "/api/v1/wallet/deposit", {"amount": DEPOSIT}, allowed=(200,))
        self.barrier.wait(120)
        for _ in range(ATTEMPTS_EACH):
            kind = self.rng.random()
            if kind < 0.3:
                g, n = self.rng.choice(HOT)
                self.buy([{"group": int(g), "number": n}])
            elif kind < 0.8:
                picks = self.rng.sample(POOL, self.rng.randint(1, 4))
                self.buy([{"group": int(g), "number": n} for g, n in picks])
            elif kind < 0.9:
                self.buy([{"group": self.rng.randint(1, 5), "auto": True}])
            else:
                # Through the cart: hold, then check out (holds live in Redis, when it is up).
                g, n = self.rng.choice(POOL)
                body = {"round": ROUND, "group": int(g), **{k: int(c) for k, c in zip(
                    ("first", "second", "third", "fourth", "fifth", "sixth"), n)}}
                sel = self.call("POST", "/api/v1/pension/selected", body,
                                allowed=(201, 409, "connection error", *RETRYABLE))
                if sel is not None and sel.status_code == 201:
                    r = self.call("POST", "/api/v1/pension/purchased", {}, key=str(uuid.uuid4()),
                                  allowed=(201, 400, 409))
                    if r is not None and r.status_code == 201:
                        self.receipts[r.json()["purchaseId"]] = r.json()
                self.call("DELETE", "/api/v1/pension/selected", allowed=(204,))


def test_no_double_sale_and_exact_money_under_instance_and_redis_failures(topology):
    env = topology
    url = env["PENSION_URL"]
    total = BUYERS * (ATTEMPTS_EACH + 1)
    chaos = Chaos(env, total)
    chaos.thread.start()
    barrier = threading.Barrier(BUYERS)
    buyers = [Buyer(url, i, chaos, random.Random(i), barrier) for i in range(BUYERS)]
    threads = [threading.Thread(target=b.run) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
        assert not t.is_alive(), "a buyer hung"
    chaos.finish()

    unexpected = [u for b in buyers for u in b.unexpected]
    assert not unexpected, "\n".join(map(repr, unexpected[:20]))
    status, health = chaos.health_during_outage
    assert status == 200 and health["status"] == "UP", health
    assert health["components"]["redis"]["status"] == "DOWN", health
    assert health["components"]["store"]["status"] == "UP", health

    # The killed instance comes back and joins again.
    topo("start-instance", "2")

    # 1. No ticket sold twice.
    assert sql(env, "SELECT round, ticket, COUNT(*) FROM tickets GROUP BY round, ticket HAVING COUNT(*) > 1") == []

    # 2. Every ticket of every 201 receipt exists and belongs to its buyer and purchase.
    rows = {int(r[0]): r for r in sql(env, "SELECT id, purchase_id, user_id, round, ticket FROM tickets")}
    receipts = 0
    for b in buyers:
        for pid, rec in b.receipts.items():
            receipts += 1
            assert rec["amount"] == PRICE * len(rec["tickets"])
            for t in rec["tickets"]:
                row = rows.get(t["ticketId"])
                assert row is not None, (b.user, rec)
                assert row[1:] == [str(pid), b.user, str(ROUND), str(ticket_index(t["group"], t["number"]))], (row, t)
    hot_sold = sql(env, "SELECT COUNT(*) FROM tickets WHERE round = %d AND ticket IN (%s)" % (
        ROUND, ",".join(str(ticket_index(int(g), n)) for g, n in HOT)))
    assert hot_sold == [[str(len(HOT))]]  # each hot ticket went to exactly one buyer
    purchases = sql(env, "SELECT id, user_id, amount FROM purchases")
    assert receipts == len(purchases), "a purchase row without a 201 receipt (or the reverse)"

    # 3. Money: deposits = balances + sales - prizes exactly, and per user.
    (deposits, sales, prizes), = sql(env, "SELECT "
                                          "(SELECT COALESCE(SUM(amount),0) FROM ledger WHERE kind='DEPOSIT'),"
                                          "(SELECT -COALESCE(SUM(amount),0) FROM ledger WHERE kind='PURCHASE'),"
                                          "(SELECT COALESCE(SUM(amount),0) FROM ledger WHERE kind='PRIZE')")
    (balances,), = sql(env, "SELECT COALESCE(SUM(balance),0) FROM wallets")
    assert int(deposits) == int(balances) + int(sales) - int(prizes)
    assert int(deposits) == BUYERS * DEPOSIT
    assert int(sales) == PRICE * len(rows)
    owned = {u: int(c) for u, c in sql(env, "SELECT user_id, COUNT(*) FROM tickets GROUP BY user_id")}
    for u, bal in sql(env, "SELECT user_id, balance FROM wallets"):
        assert int(bal) + PRICE * owned.get(u, 0) == DEPOSIT, u

    # 4. The event stream: one purchase event per purchase row, once the relays caught up
    # (bounded polling: they retry every half second while Redis was down).
    expected = {int(p[0]) for p in purchases}
    published = []
    for _ in range(300):
        if sql(env, "SELECT COUNT(*) FROM outbox") == [["0"]]:
            entries = redis_json(env, "XRANGE", "pension720:events", "-", "+")
            published = [json.loads(dict(zip(e[1][::2], e[1][1::2]))["payload"])["purchaseId"]
                         for e in entries if dict(zip(e[1][::2], e[1][1::2]))["kind"] == "purchase"]
            if len(published) >= len(expected):
                break
        time.sleep(0.1)  # polling interval of a bounded poll (at most 300 tries)
    assert sorted(published) == sorted(expected)
