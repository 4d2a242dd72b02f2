"""SIGKILL with purchases in flight: every acknowledged (201) purchase survives the restart."""
import http.client
import json
import socket
import threading

from conftest import CLOSED, ROUND, Server, new_user, ticket_index

THREADS = 32
KILL_AFTER = 120  # 201s received before the kill
MAX_PER_THREAD = 400


def test_acknowledged_purchases_survive_sigkill(tmp_path):
    srv = Server(tmp_path, "crash").start()
    users = [new_user("crash") for _ in range(THREADS)]
    for u in users:
        srv.deposit(u, 1_000_000)

    lock = threading.Lock()
    acked = []      # (user, key, path, body, response json)
    unknown = []    # (user, key, path, body): no answer, outcome unknown
    failed = []     # (user, status, body): answered with an error
    count = [0]
    enough = threading.Event()
    barrier = threading.Barrier(THREADS, timeout=60)

    def worker(i, user):
        token = srv.token(user)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        conn.connect()
        barrier.wait()
        for j in range(MAX_PER_THREAD):
            key = f"crash-{i}-{j}"
            number = f"{i:02d}{j:04d}"
            if j % 4 == 3:
                # Cart flow: select then checkout with the key.
                path, body = "/api/v1/pension/purchased", None
                steps = [("/api/v1/pension/selected", {"round": ROUND, "group": 1 + j % 5, "number": number}, None)]
            else:
                path = "/api/v1/pension/purchases"
                tickets = [{"group": 1 + (j + k) % 5, "number": number} for k in range(1 + j % 3)]
                body = {"round": ROUND, "tickets": tickets}
                steps = []
            steps.append((path, body, key))
            try:
                for p, b, k in steps:
                    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                    if k:
                        headers["Idempotency-Key"] = k
                    conn.request("POST", p, body=json.dumps(b) if b is not None else None, headers=headers)
                    resp = conn.getresponse()
                    status, raw = resp.status, resp.read()
                    if status >= 300:
                        with lock:
                            failed.append((user, status, raw))
                        break
                else:
                    with lock:
                        acked.append((user, key, path, body, json.loads(raw)))
                        count[0] += 1
                        if count[0] >= KILL_AFTER:
                            enough.set()
            except (OSError, http.client.HTTPException):
                # The server died under this request: its outcome is unknown.
                with lock:
                    unknown.append((user, key, path, body))
                return
            finally:
                pass
        conn.close()

    threads = [threading.Thread(target=worker, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    assert enough.wait(120), f"only {count[0]} purchases acknowledged"
    srv.kill()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert len(acked) >= KILL_AFTER
    # Errors other than the rate limiter would be bugs: nothing here conflicts.
    assert all(s == 429 for _, s, _ in failed), failed[:3]
    assert unknown, "the kill should have caught requests in flight"

    srv.start()
    # Every acknowledged purchase is there, with its tickets, owner and amount.
    for user, key, path, body, receipt in acked:
        rows = srv.sql("SELECT user_id, round, amount, balance_after FROM purchases WHERE id = ?", (receipt["purchaseId"],))
        assert rows == [(user, ROUND, receipt["amount"], receipt["balance"])], (key, rows)
        stored = srv.sql("SELECT id, user_id, ticket FROM tickets WHERE purchase_id = ? ORDER BY id", (receipt["purchaseId"],))
        assert stored == [(t["ticketId"], user, ticket_index(t["group"], t["number"])) for t in receipt["tickets"]], key
    # And visible through the API.
    by_user = {}
    for user, _, _, _, receipt in acked:
        by_user.setdefault(user, set()).update(t["ticketId"] for t in receipt["tickets"])
    for user, ids in by_user.items():
        assert ids <= {t["ticketId"] for t in srv.my_tickets(user)}
    srv.assert_money_conserved()

    # Idempotency across the restart: an acknowledged request repeated with its key → same body.
    for user, key, path, body, receipt in (acked[0], acked[-1]):
        r = srv.post(path, user=user, json=body, headers={"Idempotency-Key": key}) if body is not None else \
            srv.post(path, user=user, headers={"Idempotency-Key": key})
        assert r.status_code == 201, r.text
        assert r.json() == receipt
    # Retrying the requests whose outcome was unknown, with their keys, charges at most once.
    for user, key, path, body in unknown:
        if body is None:
            continue  # a checkout's cart may or may not still hold the item: nothing to compare
        first = srv.post(path, user=user, json=body, headers={"Idempotency-Key": key})
        assert first.status_code == 201, first.text
        again = srv.post(path, user=user, json=body, headers={"Idempotency-Key": key})
        assert again.status_code == 201 and again.json() == first.json()
    # Every purchase of this test carried a key; each key names exactly one purchase.
    (purchases,), = srv.sql("SELECT COUNT(*) FROM purchases")
    (keys,), = srv.sql("SELECT COUNT(DISTINCT purchase_id) FROM idempotency")
    (key_rows,), = srv.sql("SELECT COUNT(*) FROM idempotency")
    assert purchases == keys == key_rows
    srv.assert_money_conserved()
    for user in users:
        (bal,), = srv.sql("SELECT balance FROM wallets WHERE user_id = ?", (user,))
        (n,), = srv.sql("SELECT COUNT(*) FROM tickets WHERE user_id = ?", (user,))
        assert bal == 1_000_000 - 1000 * n
    # The server still sells, and sold tickets stay sold.
    user, _, _, _, receipt = acked[0]
    t = receipt["tickets"][0]
    r = srv.buy(users[0], [{"group": t["group"], "number": t["number"]}])
    assert r.status_code == 409 and r.json()["errorCode"] == "PURCHASE_DUPLICATED"
    assert srv.buy(users[0], [{"group": 5, "number": "999999"}]).status_code == 201
    srv.stop()


def test_sigterm_drains_and_loses_nothing(tmp_path):
    """SIGTERM with purchases in flight: exit status 0, every 201 is in the file afterwards."""
    srv = Server(tmp_path, "drain").start()
    users = [new_user("drain") for _ in range(16)]
    for u in users:
        srv.deposit(u, 1_000_000)
    lock = threading.Lock()
    acked, answered_errors = [], []
    enough = threading.Event()
    barrier = threading.Barrier(len(users), timeout=60)

    def worker(i, user):
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        conn.connect()
        headers = {"Authorization": f"Bearer {srv.token(user)}", "Content-Type": "application/json"}
        barrier.wait()
        for j in range(MAX_PER_THREAD):
            body = {"round": ROUND, "tickets": [{"group": 1 + i % 5, "number": f"{50 + i:02d}{j:04d}"}]}
            try:
                conn.request("POST", "/api/v1/pension/purchases", body=json.dumps(body), headers=headers)
                resp = conn.getresponse()
                status, raw = resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                return  # closed by the draining server
            with lock:
                if status == 201:
                    acked.append((user, json.loads(raw)))
                    if len(acked) >= 60:
                        enough.set()
                else:
                    answered_errors.append((status, raw))

    threads = [threading.Thread(target=worker, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    assert enough.wait(120)
    srv.stop()  # SIGTERM; asserts exit status 0
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert all(s == 429 for s, _ in answered_errors), answered_errors[:3]
    srv.start()
    for user, receipt in acked:
        rows = srv.sql("SELECT user_id, amount FROM purchases WHERE id = ?", (receipt["purchaseId"],))
        assert rows == [(user, receipt["amount"])]
        ids = [r[0] for r in srv.sql("SELECT id FROM tickets WHERE purchase_id = ? ORDER BY id", (receipt["purchaseId"],))]
        assert ids == [t["ticketId"] for t in receipt["tickets"]]
    srv.assert_money_conserved()
    srv.stop()


ONCE_PRIZE = {3: 1_000_000, 4: 100_000, 5: 50_000, 6: 5_000, 7: 1_000}


def oracle_result(group, digits, win_group, win_digits, bonus_digits):
    """SPEC §1: the best result in the order 1 > 2 > 8 > 3 > 4 > 5 > 6 > 7."""
    if digits == win_digits:
        return 1 if group == win_group else 2
    if digits == bonus_digits:
        return 8
    for result, mod in zip((3, 4, 5, 6, 7), (100_000, 10_000, 1_000, 100, 10)):
        if digits % mod == win_digits % mod:
            return result
    return -1


def test_settlement_is_exactly_once_across_a_kill(tmp_path):
    import random
    rng = random.Random(343)
    win_group, win, bonus = 3, 583_920, 111_111
    srv = Server(tmp_path, "settle").start()
    users = [new_user("settle") for _ in range(12)]
    wanted = set()
    # Designed winners of every result, then random tickets.
    for g, d in [(3, win), (1, win), (5, bonus), (2, 483_920), (4, 993_920), (1, 999_920), (2, 999_990), (3, 999_990)]:
        wanted.add((g, d))
    while len(wanted) < 12 * 20:
        wanted.add((rng.randint(1, 5), rng.choice([rng.randrange(1_000_000), win % 1000 + 1000 * rng.randrange(1000)])))
    wanted = sorted(wanted)
    for i, u in enumerate(users):
        srv.deposit(u, 20_000)
        mine = wanted[i * 20:(i + 1) * 20]
        r = srv.buy(u, [{"group": g, "number": f"{d:06d}"} for g, d in mine])
        assert r.status_code == 201, r.text
    srv.stop()

    srv.start(now=CLOSED)
    body = json.dumps({"round": ROUND, "group": win_group, "number": f"{win:06d}", "bonus": f"{bonus:06d}"}).encode()
    raw = (f"POST /api/v1/pension/draws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {srv.token('boss', admin=True)}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    # Kill as soon as the draw row is in the file (recorded, settlement maybe not yet), or the
    # answer is back: a busy poll of the file, no sleeping.
    import select
    import sqlite3
    db = sqlite3.connect(f"file:{srv.db}?mode=ro", uri=True)
    with socket.create_connection(("127.0.0.1", srv.port)) as s:
        s.sendall(raw)
        for _ in range(200_000):
            if db.execute("SELECT 1 FROM draws WHERE round = ?", (ROUND,)).fetchall():
                break
            if select.select([s], [], [], 0)[0]:
                break
        srv.kill()
    db.close()

    srv.start(now=CLOSED)
    if srv.get(f"/api/v1/pension/draws/{ROUND}").status_code == 404:
        r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=json.loads(body))
        assert r.status_code == 201, r.text
    else:  # recorded before the kill: the same result again is a no-op
        r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=json.loads(body))
        assert r.status_code == 200, r.text
    # A second restart must not settle again.
    srv.stop()
    srv.start(now=CLOSED)

    expected_credit, annuities = {}, []
    assert srv.sql("SELECT settled FROM draws WHERE round = ?", (ROUND,)) == [(1,)]
    for tid, user, ticket, result in srv.sql("SELECT id, user_id, ticket, result FROM tickets WHERE round = ?", (ROUND,)):
        result = result if result != 0 else -1  # settlement writes winners only
        group, digits = ticket // 1_000_000 + 1, ticket % 1_000_000
        want = oracle_result(group, digits, win_group, win, bonus)
        assert result == want, (group, digits, result, want)
        expected_credit[user] = expected_credit.get(user, 0) + ONCE_PRIZE.get(want, 0)
        if want in (1, 2, 8):
            annuities.append((tid, user, want))
    assert {r for _, _, r in annuities} == {1, 2, 8}
    assert sorted(srv.sql("SELECT ticket_id, user_id, result FROM annuities WHERE round = ?", (ROUND,))) == sorted(annuities)
    for u in users:
        prizes = srv.sql("SELECT amount FROM ledger WHERE user_id = ? AND kind = 'PRIZE'", (u,))
        assert prizes == ([(expected_credit[u],)] if expected_credit[u] else []), u
        assert srv.balance(u) == 20_000 - 20 * 1000 + expected_credit[u]
    assert srv.sql("SELECT settled FROM draws WHERE round = ?", (ROUND,)) == [(1,)]
    srv.assert_money_conserved()
    srv.stop()
