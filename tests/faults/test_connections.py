"""5,000 concurrent connections (issue 20, item 5): while buyers keep buying, 5,000 more clients
(from ten loopback addresses, under the per-address cap) each open a connection and send a
request at once. Every one of them is answered, the buyers keep being served while the 5,000 stay
open, and the invariant check holds afterwards.
"""
import selectors
import socket
import struct
import time

from faultlib import LOAD_ENV, Answers, Buyers, Server, assert_invariants, poll

CONNECTIONS = 5000
SOURCES = [f"127.0.0.{n}" for n in range(2, 12)]
REQUEST = b"GET /api/v1/pension/round HTTP/1.1\r\nHost: x\r\n\r\n"


def open_and_ask(srv):
    """Opens CONNECTIONS connections, sends one request on each, and reads every answer's status
    line; returns the sockets (still open) and the statuses."""
    sel = selectors.DefaultSelector()
    socks, statuses = [], {}
    for i in range(CONNECTIONS):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((SOURCES[i % len(SOURCES)], 0))
        s.settimeout(30)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(REQUEST)
        s.setblocking(False)
        socks.append(s)
        sel.register(s, selectors.EVENT_READ, bytearray())
    deadline = time.monotonic() + 120
    while len(statuses) < CONNECTIONS and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            buf = key.data
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            buf += data
            if b"\r\n" in buf or not data:
                statuses[key.fileobj] = bytes(buf.split(b"\r\n", 1)[0]) if data or buf else b"closed"
                sel.unregister(key.fileobj)
    sel.close()
    return socks, statuses


def test_5000_connections_under_load(tmp_path):
    srv = Server(tmp_path, "crowd", env={**LOAD_ENV, "PENSION_IDLE_TIMEOUT": "600"}).start()
    socks = []
    try:
        answers = Answers()
        buyers = Buyers([srv], answers, per_server=6).start()
        try:
            poll(lambda: answers.count(201) >= 50, 120, "selling")
            socks, statuses = open_and_ask(srv)
            assert len(statuses) == CONNECTIONS, f"{CONNECTIONS - len(statuses)} connections never answered"
            bad = [s for s in statuses.values() if not s.startswith(b"HTTP/1.1 200")]
            assert not bad, bad[:5]
            # With all of them still open, the buyers are served.
            held = answers.count(201)
            poll(lambda: answers.count(201) >= held + 50, 120, "buyers served beside 5,000 open connections")
        finally:
            users = buyers.users()
            buyers.stop()
        assert_invariants(answers, users, srv)
    finally:
        for s in socks:
            # Reset, not closed: 5,000 ports in TIME_WAIT (without SO_REUSEADDR) would keep the
            # next tests' servers from binding the ports free_port() hands out.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        srv.stop()
