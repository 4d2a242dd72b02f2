"""Hostile and malformed traffic: limits, garbage, odd encodings. The server must answer with a
clear 4xx (or drop the connection) and keep serving."""
import json
import socket

import pytest

from conftest import ROUND, Server, expect_error, new_user


def connect(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return s


def read_response(sock):
    """Reads one HTTP response; returns (status, headers, body) or None if the server closed first."""
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
    except (ConnectionResetError, BrokenPipeError):
        return None
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    try:
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    except ConnectionResetError:
        pass
    return status, headers, rest[:length], rest[length:]


def exchange(server, data):
    with connect(server) as s:
        try:
            s.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            return None
        return read_response(s)


def assert_healthy(server):
    assert server.alive(), server.log()
    r = server.get("/actuator/health")
    assert r.status_code == 200 and r.json()["status"] == "UP"


def assert_json_error(resp, status, code=None):
    assert resp is not None, "connection closed without a response"
    got_status, headers, body, _ = resp
    assert got_status == status, (got_status, body)
    doc = json.loads(body)
    assert isinstance(doc["errorMessage"], str)
    if code:
        assert doc["errorCode"] == code, doc
    assert headers.get("x-request-id")


def request_bytes(server, method, path, body=b"", headers=None, user=None):
    h = {"Host": f"127.0.0.1:{server.port}"}
    if user:
        h["Authorization"] = f"Bearer {server.token(user)}"
    if body:
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(body))
    h.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    return head.encode("latin-1") + body


# --- size limits ---------------------------------------------------------------------------------

def test_body_over_64k_is_413(server):
    u = new_user()
    body = json.dumps({"amount": 1000, "pad": "x" * (64 * 1024)}).encode()
    resp = exchange(server, request_bytes(server, "POST", "/api/v1/wallet/deposit", body, user=u))
    assert_json_error(resp, 413, "PAYLOAD_TOO_LARGE")
    assert server.balance(u) == 0
    # Through an ordinary client as well.
    r = server.post("/api/v1/wallet/deposit", user=u, data=body, headers={"Content-Type": "application/json"})
    expect_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert server.balance(u) == 0
    assert_healthy(server)


def test_chunked_body_over_64k_is_413(server):
    u = new_user()
    payload = json.dumps({"amount": 1000, "pad": "y" * (70 * 1024)}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 8192]), payload[i:i + 8192]) for i in range(0, len(payload), 8192))
    data = request_bytes(server, "POST", "/api/v1/wallet/deposit", headers={"Transfer-Encoding": "chunked"}, user=u)
    resp = exchange(server, data + chunks + b"0\r\n\r\n")
    assert_json_error(resp, 413, "PAYLOAD_TOO_LARGE")
    assert server.balance(u) == 0


def test_body_just_under_the_limit_is_served(server):
    u = new_user()
    body = json.dumps({"amount": 1000, "pad": "z" * (60 * 1024)}).encode()
    r = server.post("/api/v1/wallet/deposit", user=u, data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert server.balance(u) == 1000


def test_headers_over_16k_are_431(server):
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/pension/round", headers={"X-Big": "a" * (17 * 1024)}))
    assert resp is not None and resp[0] == 431, resp
    assert resp[1].get("x-request-id") and "errorMessage" in json.loads(resp[2])
    many = {f"X-H{i}": "b" * 100 for i in range(200)}
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/pension/round", headers=many))
    assert resp is not None and resp[0] == 431, resp
    # A long URL counts too.
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/pension/round?pad=" + "c" * (17 * 1024)))
    assert resp is not None and resp[0] in (414, 431), resp
    assert_healthy(server)


def _count_431(server):
    needle = 'pension_http_requests_total{route="unmatched",method="GET",status="431"} '
    for line in server.get("/metrics").text.splitlines():
        if line.startswith(needle):
            return int(line[len(needle):])
    return 0


def test_431_takes_the_normal_answer_path(server):
    """The 431 answer is an error response like any other: CORS headers, the request id, the
    JSON body, and a count in the request metrics."""
    before = _count_431(server)
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/pension/round",
                                          headers={"Origin": "http://shop.example", "X-Request-Id": "big-431",
                                                   "X-Big": "a" * (17 * 1024)}))
    assert resp is not None and resp[0] == 431, resp
    assert resp[1].get("access-control-allow-origin") == "*", resp[1]
    assert resp[1].get("x-request-id"), resp[1]
    assert json.loads(resp[2]) == {"errorCode": "INVALID_REQUEST", "errorMessage": "요청 헤더가 너무 큽니다."}
    assert _count_431(server) == before + 1


def test_headers_under_the_limit_are_served(server):
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/pension/round", headers={"X-Big": "a" * (12 * 1024)}))
    assert resp is not None and resp[0] == 200 and resp[2] == str(ROUND).encode()


# --- garbage and broken HTTP ---------------------------------------------------------------------

GARBAGE = [
    b"GARBAGE\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /api/v1/pension/round HTTP/1.1\r\nHost x\r\n\r\n",
    b"GET /api/v1/pension/round HTTP/1.1\r\n: empty-name\r\n\r\n",
    b"POST /api/v1/wallet/deposit HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/v1/wallet/deposit HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    b"POST /api/v1/wallet/deposit HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n",  # a TLS ClientHello
    b"GET /\x01\x02 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /api/v1/wallet/deposit HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
    b"POST /api/v1/wallet/deposit HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",
]


@pytest.mark.parametrize("data", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_gets_4xx_or_a_closed_connection(server, data):
    resp = exchange(server, data)
    if resp is not None:
        assert 400 <= resp[0] < 500, resp
        if resp[2]:
            assert "errorCode" in json.loads(resp[2])
    assert_healthy(server)


def test_abandoned_and_truncated_requests(server):
    for data in (b"", b"GET /api/v1/pension/round HTTP/1.1\r\nHo",
                 request_bytes(server, "POST", "/api/v1/wallet/deposit", b'{"amount": 1000}', user=new_user())[:-5]):
        s = connect(server)
        s.sendall(data)
        s.close()
    # Many connections opened and dropped at once.
    socks = [connect(server) for _ in range(200)]
    for s in socks:
        s.close()
    assert_healthy(server)


def test_pipelined_requests_are_answered_in_order(server):
    u = new_user()
    one = request_bytes(server, "GET", "/api/v1/pension/round")
    two = request_bytes(server, "GET", "/api/v1/wallet", user=u)
    with connect(server) as s:
        s.sendall(one + two)
        first = read_response(s)
        assert first[0] == 200 and first[2] == str(ROUND).encode()
        leftover = first[3]
        if leftover:
            # The second response arrived in the same read.
            status = int(leftover.split(b" ", 2)[1])
        else:
            status = read_response(s)[0]
        assert status == 200


def test_unknown_method_and_http10(server):
    resp = exchange(server, b"BREW /api/v1/pension/round HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_json_error(resp, 404, "NOT_FOUND")
    resp = exchange(server, b"GET /api/v1/pension/round HTTP/1.0\r\n\r\n")
    assert resp is not None and resp[0] == 200 and resp[2] == str(ROUND).encode()


# --- JSON oddities -------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [100, 5000, 30000])
def test_deep_json_nesting(server, depth):
    u = new_user()
    server.deposit(u, 2000)
    # As an unknown field of a valid purchase: still a valid request.
    nested = "[" * depth + "]" * depth
    body = '{"round": %d, "tickets": [{"group": 1, "number": "%06d"}], "extra": %s}' % (ROUND, 400000 + depth, nested)
    r = server.post("/api/v1/pension/purchases", user=u, data=body.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code in (201, 400), r.text
    if r.status_code == 400:
        assert r.json()["errorCode"] == "INVALID_REQUEST"
    # As the value of a field the server reads: 400.
    body = '{"amount": %s}' % nested
    expect_error(server.post("/api/v1/wallet/deposit", user=u, data=body.encode(),
                             headers={"Content-Type": "application/json"}), 400, "INVALID_REQUEST")
    # Unbalanced: not JSON.
    expect_error(server.post("/api/v1/pension/selected", user=u, data=("{" * depth).encode(),
                             headers={"Content-Type": "application/json"}), 400, "INVALID_REQUEST")
    expect_error(server.post("/api/v1/pension/selected", user=u, data=('{"a":' * (depth // 3)).encode(),
                             headers={"Content-Type": "application/json"}), 400, "INVALID_REQUEST")
    assert_healthy(server)


@pytest.mark.parametrize("raw", [
    b'{"round": 343, "group": 1, "number": "12\xff456"}',
    b'{"round": 343, "group": 1, "number": "123456", "note": "\xc3\x28"}',
    b'{"round": 343, "group": 1, "number": "123456", "note": "\xed\xa0\x80"}',  # UTF-8 encoded surrogate
    b'{"round": 343, "group": 1, "number": "123456", "note": "\\ud800"}',       # lone surrogate escape
    b'{"round": 343, "group": 1, "number": "12\\u00003456"}',
    b'{"round": 343, "group": 1, "number": "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96"}',
    b'\xef\xbb\xbf\xff{"round": 343}',
])
def test_invalid_utf8_and_odd_strings_are_400(server, raw):
    u = new_user()
    r = server.post("/api/v1/pension/selected", user=u, data=raw, headers={"Content-Type": "application/json"})
    expect_error(r, 400, "INVALID_REQUEST")
    assert server.cart(u) == []


def test_invalid_utf8_in_path_and_query(server):
    # Invalid UTF-8 anywhere in a request is 400 (issue 20), unknown path or not.
    resp = exchange(server, b"GET /api/v1/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_json_error(resp, 400, "INVALID_REQUEST")
    json.loads(resp[2].decode("utf-8"))  # the error body itself is valid UTF-8
    resp = exchange(server, b"GET /api/v1/pension-win/round?round=\xff HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_json_error(resp, 400, "INVALID_REQUEST")
    resp = exchange(server, b"GET /api/v1/pension/draws/\xc3\x28 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_json_error(resp, 400, "INVALID_REQUEST")
    assert_healthy(server)


def test_invalid_utf8_in_headers(server):
    u = new_user()
    server.deposit(u, 1000)
    body = json.dumps({"round": ROUND, "tickets": [{"group": 2, "number": "404404"}]}).encode()
    resp = exchange(server, request_bytes(server, "POST", "/api/v1/pension/purchases", body, user=u,
                                          headers={"Idempotency-Key": "k\xff\xfe"}))
    assert_json_error(resp, 400, "INVALID_REQUEST")
    assert server.balance(u) == 1000  # nothing bought
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/wallet",
                                          headers={"Authorization": "Bearer \xff\xfe.\xc3\x28.x"}))
    assert_json_error(resp, 400, "INVALID_REQUEST")
    resp = exchange(server, request_bytes(server, "GET", "/api/v1/pension/round", headers={"X-Request-Id": "\xff\xfe"}))
    assert_json_error(resp, 400, "INVALID_REQUEST")
    assert resp[1]["x-request-id"].isascii()
    assert_healthy(server)


# --- idempotency keys and query parameters --------------------------------------------------------

def test_idempotency_key_length(server):
    u = new_user()
    server.deposit(u, 3000)
    for key in ("k" * 129, "k" * 5000, ""):
        r = server.post("/api/v1/pension/purchases", user=u, headers={"Idempotency-Key": key},
                    json={"round": ROUND, "tickets": [{"group": 3, "number": "505050"}]})
        expect_error(r, 400, "INVALID_REQUEST")
    assert server.balance(u) == 3000
    r = server.post("/api/v1/pension/purchases", user=u, headers={"Idempotency-Key": "k" * 128},
                    json={"round": ROUND, "tickets": [{"group": 3, "number": "505050"}]})
    assert r.status_code == 201, r.text
    again = server.post("/api/v1/pension/purchases", user=u, headers={"Idempotency-Key": "k" * 128},
                        json={"round": ROUND, "tickets": [{"group": 3, "number": "505050"}]})
    assert again.status_code == 201 and again.json() == r.json()
    assert server.balance(u) == 2000
    # Over the header limit altogether.
    resp = exchange(server, request_bytes(server, "POST", "/api/v1/pension/purchased", user=u,
                                          headers={"Idempotency-Key": "k" * (20 * 1024)}))
    assert resp is not None and resp[0] == 431
    assert server.balance(u) == 2000


@pytest.mark.parametrize("query", ["round=abc", "round=-1", "round=0", "round=1e3", "round=99999999",
                                   "round=3.5", "round=343abc", "round=%2B343", "round=34%003"])
def test_bad_round_query_is_400(server, query):
    u = new_user()
    expect_error(server.get(f"/api/v1/pension/purchased?{query}", user=u), 400, "INVALID_REQUEST")
    expect_error(server.get(f"/api/v1/pension-win/round?{query}"), 400, "INVALID_REQUEST")
    expect_error(server.get(f"/api/v1/pension-bonus/round?{query}"), 400, "INVALID_REQUEST")


@pytest.mark.parametrize("segment", ["abc", "-1", "0", "1e3", "9999999", "%2B343"])
def test_bad_round_path_segment_is_400(server, segment):
    expect_error(server.get(f"/api/v1/pension/draws/{segment}"), 400, "INVALID_REQUEST")


# --- flooding ------------------------------------------------------------------------------------

def test_honest_burst_is_never_limited(server):
    u = new_user()
    for _ in range(150):
        r = server.post("/api/v1/wallet/deposit", user=u, json={"amount": 10})
        assert r.status_code == 200, r.text
    assert server.balance(u) == 1500


def test_flooding_user_gets_429_and_nothing_more(tmp_path):
    srv = Server(tmp_path, "flood", env={"PENSION_RATE_PER_SECOND": "20", "PENSION_RATE_BURST": "100"}).start()
    try:
        u = new_user()
        ok = limited = 0
        for _ in range(400):
            r = srv.post("/api/v1/wallet/deposit", user=u, json={"amount": 10})
            if r.status_code == 200:
                ok += 1
            else:
                expect_error(r, 429, "TOO_MANY_REQUESTS")
                # RFC 9110: when to come back, in whole seconds.
                assert int(r.headers["Retry-After"]) >= 1, r.headers
                limited += 1
        assert ok >= 100 and limited > 0, (ok, limited)
        assert srv.balance(u) == 10 * ok
        # Other users are not affected, and reads are not limited.
        assert srv.post("/api/v1/wallet/deposit", user=new_user(), json={"amount": 10}).status_code == 200
        assert srv.get("/api/v1/wallet", user=u).status_code == 200
        srv.assert_money_conserved()
    finally:
        srv.stop()


def test_still_healthy_at_the_end(server):
    assert_healthy(server)
    # Nothing above crashed a handler.
    assert '"status":500' not in server.log().replace(" ", "")
    server.assert_money_conserved()


# --- slow clients ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def short_timeouts(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("slow"), env={"PENSION_READ_TIMEOUT": "1", "PENSION_IDLE_TIMEOUT": "2"}).start()
    yield srv
    srv.stop()


def wait_closed(sock):
    """Blocks until the server closes the connection; the socket timeout is only a guard."""
    sock.settimeout(20)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data


def test_slow_loris_is_cut_off_and_others_are_served(short_timeouts):
    srv = short_timeouts
    lorises = []
    for _ in range(20):
        s = connect(srv)
        s.sendall(b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finishes
        lorises.append(s)
    # While they hang, an honest client is served.
    assert srv.get("/api/v1/pension/round").status_code == 200
    for s in lorises:
        assert wait_closed(s) == b""  # cut off by the read timeout, nothing answered
        s.close()
    assert_healthy(srv)


def test_idle_keep_alive_connection_is_closed(short_timeouts):
    srv = short_timeouts
    with connect(srv) as s:
        s.sendall(b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body, rest = read_response(s)
        assert status == 200 and body == str(ROUND).encode()
        assert wait_closed(s) == rest  # then idle: closed by the idle timeout
