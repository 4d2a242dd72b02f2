"""Defences against clients that take more than their share, and honest health under faults:
a per-address connection cap, the read timeout for every request (not only the first), strict
framing, balances that cannot overflow, and health that tells whether a write can commit — a full
disk (a real tmpfs, filled) answers 503 STORAGE_FULL and health DOWN, and both recover."""
import os
import re
import socket
import subprocess

import pytest

from conftest import Server, expect_error, new_user
from test_hostile import assert_json_error, exchange, read_response, request_bytes, wait_closed


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("capped"), "capped",
                 env={"PENSION_MAX_CONNECTIONS_PER_ADDRESS": "20", "PENSION_READ_TIMEOUT": "1",
                      "PENSION_IDLE_TIMEOUT": "3600"}).start()
    yield srv
    srv.stop()


def connect_from(srv, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.bind((source, 0))
    s.connect(("127.0.0.1", srv.port))
    return s


def served(sock):
    """Whether a request on this connection is answered (False: the server closed it)."""
    try:
        sock.sendall(b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = read_response(sock)
    except OSError:
        return False
    return resp is not None and resp[0] == 200


def test_one_address_cannot_take_every_connection(capped):
    srv = capped
    hog = [connect_from(srv, "127.0.0.2") for _ in range(40)]
    try:
        answered = [served(s) for s in hog]
        # Exactly the cap is served from that address; the rest are closed without an answer.
        assert answered.count(True) == 20, answered
        # Another client, from another address, is served meanwhile, on many connections.
        honest = [connect_from(srv, "127.0.0.3") for _ in range(15)]
        try:
            assert all(served(s) for s in honest)
        finally:
            for s in honest:
                s.close()
    finally:
        for s in hog:
            s.close()
    # Once the hog's connections close, its address may connect again.
    again = connect_from(srv, "127.0.0.2")
    try:
        for _ in range(100):  # bounded: the server counts closes as it notices them
            if served(again):
                break
            again.close()
            again = connect_from(srv, "127.0.0.2")
        else:
            raise AssertionError("address still refused after its connections closed")
    finally:
        again.close()


def test_a_keep_alive_request_must_arrive_within_the_read_timeout(capped):
    """The idle timeout is an hour here: a trickled second request is cut by the 1 s read timeout."""
    srv = capped
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, _, rest = read_response(s)
        assert status == 200 and rest == b""
        s.sendall(b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finishes
        assert wait_closed(s) == b""  # closed by the read timeout, long before the idle one


@pytest.mark.parametrize("headers", [
    {"Transfer-Encoding": "xchunked", "Content-Length": "2"},
    {"Transfer-Encoding": "chunked, identity", "Content-Length": "2"},
    {"Transfer-Encoding": "gzip", "Content-Length": "2"},
])
def test_ambiguous_framing_is_400_and_changes_nothing(server, headers):
    u = new_user()
    server.deposit(u, 100)
    data = request_bytes(server, "POST", "/api/v1/wallet/deposit", body=b"{}", user=u, headers=headers)
    resp = exchange(server, data)
    assert resp is None or resp[0] == 400, resp
    if resp is not None:
        assert_json_error(resp, 400)
    assert server.balance(u) == 100


def test_chunked_with_a_content_length_is_400(server):
    u = new_user()
    body = b'{"amount": 10}'
    data = (f"POST /api/v1/wallet/deposit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token(u)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode() + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    resp = exchange(server, data)
    assert resp is None or resp[0] == 400, resp
    assert server.balance(u) == 0


def test_a_balance_cannot_pass_the_cap_or_overflow(server):
    import sqlite3
    u = new_user()
    cap = 10**15
    # A wallet 5 won under the cap, written as a deposit would be (balance and its ledger line).
    with sqlite3.connect(server.db, timeout=30) as conn:
        conn.execute("INSERT INTO wallets (user_id, balance) VALUES (?, ?)", (u, cap - 5))
        conn.execute("INSERT INTO ledger (user_id, kind, amount, balance_after, ref, created_at)"
                     " VALUES (?, 'DEPOSIT', ?, ?, 'test', '2026-11-24T12:00:00+09:00')", (u, cap - 5, cap - 5))
    expect_error(server.post("/api/v1/wallet/deposit", user=u, json={"amount": 6}), 400, "INVALID_REQUEST")
    expect_error(server.post("/api/v1/wallet/deposit", user=u, json={"amount": 2**63 - 1}), 400, "INVALID_REQUEST")
    assert server.balance(u) == cap - 5
    r = server.post("/api/v1/wallet/deposit", user=u, json={"amount": 5})
    assert r.status_code == 200 and r.json()["balance"] == cap, r.text
    expect_error(server.post("/api/v1/wallet/deposit", user=u, json={"amount": 1}), 400, "INVALID_REQUEST")
    (bal, kind), = server.sql("SELECT balance, typeof(balance) FROM wallets WHERE user_id = ?", (u,))
    assert bal == cap and kind == "integer"
    server.assert_money_conserved()


def test_health_reports_the_store_by_a_write(server):
    h = server.get("/actuator/health")
    assert h.status_code == 200 and h.json()["components"]["store"]["status"] == "UP"


# --- a full disk -----------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True)
    assert r.returncode == 0, f"cannot mount a tmpfs (the suite runs as root): {r.stderr}"
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(path):
    """Writes zeros to `path` until the disk is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        block = b"\0" * 4096
        while True:
            try:
                if os.write(fd, block) < len(block):
                    break
            except OSError:
                break
    finally:
        os.close(fd)


def test_a_full_disk_is_storage_full_and_health_down_until_space_returns(tmp_path, small_disk):
    srv = Server(tmp_path, "full", db=small_disk / "full.db")
    srv.start()
    srv.allow_5xx = True
    try:
        buyers = [new_user("full") for _ in range(400)]
        for u in buyers[:5]:
            srv.deposit(u, 5000)
        filler = small_disk / "filler"
        fill(filler)
        refused = None
        for u in buyers[5:]:  # bounded: each write needs new pages sooner or later
            r = srv.post("/api/v1/wallet/deposit", user=u, json={"amount": 1000})
            if r.status_code != 200:
                refused = (u, r)
                break
        assert refused, "no write was refused on a full disk"
        expect_error(refused[1], 503, "STORAGE_FULL")
        h = srv.get("/actuator/health")
        assert h.status_code == 503, h.text
        assert h.json()["status"] == "DOWN"
        assert h.json()["components"]["store"] == {"status": "DOWN", "reason": "STORAGE_FULL"}
        # Reads still work, and the refused deposit left nothing.
        assert srv.balance(refused[0]) == 0
        # Space again: health stays DOWN until a write has committed, then is UP.
        filler.unlink()
        assert srv.get("/actuator/health").status_code == 503
        r = srv.post("/api/v1/wallet/deposit", user=refused[0], json={"amount": 1000})
        assert r.status_code == 200, r.text
        h = srv.get("/actuator/health")
        assert h.status_code == 200 and h.json()["status"] == "UP", h.text
        srv.assert_money_conserved()
        (ok,), = srv.sql("PRAGMA integrity_check")
        assert ok == "ok"
    finally:
        srv.stop()


@pytest.mark.parametrize("raw", [
    b"GET /api/v1/pension/round?x=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/v1/pension-win/all\xc3( HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\nX-Name: \xed\xa0\x80\r\n\r\n",
    b"POST /api/v1/pension/purchases HTTP/1.1\r\nHost: x\r\nIdempotency-Key: \xc0\xaf\r\nContent-Length: 2\r\n\r\n{}",
])
def test_invalid_utf8_anywhere_in_the_head_is_400(server, raw):
    resp = exchange(server, raw)
    assert_json_error(resp, 400, "INVALID_REQUEST")


def test_utf8_in_a_header_is_served(server):
    resp = exchange(server, "GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\nX-Name: 연금\r\n\r\n".encode())
    assert resp is not None and resp[0] == 200


# --- demo tokens ---------------------------------------------------------------------------------
def test_a_demo_token_does_not_outlive_the_demo(tmp_path):
    """Issue 20 S2: every demo sign-in is a new visitor with an id the server chose — never an
    account, never another visitor, whatever id is asked for — and its token works only while the
    server runs in demo mode, not after a restart without --demo on the same database and secret."""
    srv = Server(tmp_path, "demo-then-real", demo=True)
    srv.start()
    try:
        r = srv.post("/api/v1/demo/token", json={"name": "방문자"})
        assert r.status_code == 201, r.text
        demo, visitor = r.json()["token"], r.json()["userId"]
        assert re.fullmatch(r"demo-[0-9a-f]{16}", visitor), visitor
        assert srv.get("/api/v1/wallet", token=demo).status_code == 200
        # An id asked for is not given: not an account's, not another visitor's, not this one's again.
        assert srv.deposit(visitor, 5000) == 5000
        for asked in ("acct-1", visitor, "alice"):
            r = srv.post("/api/v1/demo/token", json={"userId": asked})
            assert r.status_code == 201, r.text
            assert r.json()["userId"] not in (asked, visitor)
            assert srv.get("/api/v1/wallet", token=r.json()["token"]).json()["balance"] == 0
        expect_error(srv.post("/api/v1/demo/token", json={"name": 7}), 400, "INVALID_REQUEST")
        srv.stop()
        srv.demo = False
        srv.start()
        expect_error(srv.get("/api/v1/wallet", token=demo), 401, "UNAUTHORIZED")
        # The same user with a token the operator issued is served as ever.
        assert srv.get("/api/v1/wallet", user=visitor).status_code == 200
        expect_error(srv.post("/api/v1/demo/token", json={"name": "x"}), 404, "NOT_FOUND")
    finally:
        srv.stop()
