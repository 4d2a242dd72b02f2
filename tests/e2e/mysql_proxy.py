"""A TCP proxy between pension720 and MariaDB that loses a COMMIT's reply, or the COMMIT itself,
on request: the faults of a network that drops a connection at the worst moment (SPEC §4).

It reads the MySQL protocol's packet framing from the client (3-byte length, 1-byte sequence) to
find COM_QUERY packets whose last statement is COMMIT; everything else passes through unchanged.
  lose_replies(n): the next n COMMITs reach the server, which commits; the proxy reads the whole
                   reply (up to the final OK/ERR without SERVER_MORE_RESULTS_EXISTS), throws it
                   away and closes both sides. The client cannot know the commit happened.
  lose_commits(n): the next n COMMITs are not forwarded; both sides are closed, so the server
                   rolls the transaction back.
  refuse(): closes every connection and refuses new ones until resume().
  partition(after=b"..."): a network partition. Once a query containing `after` has been
                   forwarded (at once without it), nothing more passes either way, on any
                   connection, new ones included; neither side sees a close (a peer that closes
                   is not told to the other). `partitioned` is set then. heal() closes all of
                   them and forwards again.
Threads, not asyncio, so a test drives it with plain calls; stop() ends every thread.
"""
import re
import socket
import threading

COM_QUERY = 0x03
SERVER_MORE_RESULTS_EXISTS = 0x0008
COMMIT_LAST = re.compile(rb"(^|;)\s*COMMIT\s*$", re.IGNORECASE)


def _lenenc(buf, pos):
    """A length-encoded integer at buf[pos]: (value, next position)."""
    first = buf[pos]
    if first < 0xFB:
        return first, pos + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(buf[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def _packets(buf):
    """Splits complete packets off `buf` (a bytearray): yields payloads, leaves the rest."""
    while len(buf) >= 4:
        n = buf[0] | buf[1] << 8 | buf[2] << 16
        if len(buf) < 4 + n:
            return
        payload = bytes(buf[4:4 + n])
        raw = bytes(buf[:4 + n])
        del buf[:4 + n]
        yield payload, raw


def _reply_done(payload):
    """True when a server packet ends the reply to a query: ERR, or OK without more results."""
    if payload[:1] == b"\xff":
        return True
    if payload[:1] != b"\x00" or len(payload) < 7:
        return False
    _, pos = _lenenc(payload, 1)
    _, pos = _lenenc(payload, pos)
    status = int.from_bytes(payload[pos:pos + 2], "little")
    return not status & SERVER_MORE_RESULTS_EXISTS


class MysqlProxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.replies_to_lose = 0
        self.commits_to_lose = 0
        self.replies_lost = 0
        self.commits_lost = 0
        self.refusing = False
        self.partition_after = None  # bytes: partition once a query containing them has passed
        self.frozen = False  # partitioned: nothing is forwarded
        self.partitioned = threading.Event()
        self.healed = threading.Event()
        self.conns = set()
        self.threads = []
        self.stopped = False

    # --- control -------------------------------------------------------------------------------
    def start(self):
        self._spawn(self._accept_loop)
        return self

    def lose_replies(self, n):
        with self.lock:
            self.replies_to_lose += n

    def lose_commits(self, n):
        with self.lock:
            self.commits_to_lose += n

    def refuse(self):
        with self.lock:
            self.refusing = True
            conns = list(self.conns)
        for pair in conns:
            self._close(pair)

    def resume(self):
        with self.lock:
            self.refusing = False

    def partition(self, after=None):
        with self.lock:
            self.healed.clear()
            self.partitioned.clear()
            self.partition_after = after
        if after is None:
            self._freeze()

    def heal(self):
        with self.lock:
            self.frozen = False
            self.partition_after = None
            conns = list(self.conns)
        for pair in conns:
            self._close(pair)
        self.healed.set()

    def _freeze(self):
        with self.lock:
            self.frozen = True
            self.partition_after = None
        self.partitioned.set()

    def stop(self):
        self.stopped = True
        self.heal()
        self.listener.close()
        self.refuse()
        for t in self.threads:
            t.join(timeout=10)

    # --- plumbing ------------------------------------------------------------------------------
    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        self.threads.append(t)
        t.start()

    def _accept_loop(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                refusing, frozen = self.refusing, self.frozen
            if refusing:
                client.close()
                continue
            if frozen:
                # Across the partition: the connection opens, and nothing ever answers.
                self._spawn(self._hold, client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, server)
            with self.lock:
                self.conns.add(pair)
            self._spawn(self._client_to_server, pair)
            self._spawn(self._server_to_client, pair)

    def _hold(self, client):
        self.healed.wait()
        client.close()

    def _end(self, pair):
        """A side closed or failed: the other side is told, except across a partition."""
        if self.frozen:
            self.healed.wait()
        self._close(pair)

    def _close(self, pair):
        for s in (pair.client, pair.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with self.lock:
            self.conns.discard(pair)

    def _client_to_server(self, pair):
        buf = bytearray()
        try:
            while True:
                data = pair.client.recv(65536)
                if not data:
                    break
                buf += data
                for payload, raw in _packets(buf):
                    if self.frozen:
                        continue  # lost in the partition
                    marker = self.partition_after
                    if marker and payload[:1] == bytes([COM_QUERY]) and marker in payload:
                        self._freeze()  # before the server can answer: its reply is lost
                        pair.server.sendall(raw)
                        continue
                    if payload[:1] == bytes([COM_QUERY]) and COMMIT_LAST.search(payload[1:]):
                        with self.lock:
                            lose_commit = self.commits_to_lose > 0
                            lose_reply = not lose_commit and self.replies_to_lose > 0
                            if lose_commit:
                                self.commits_to_lose -= 1
                                self.commits_lost += 1
                            elif lose_reply:
                                self.replies_to_lose -= 1
                        if lose_commit:
                            self._close(pair)
                            return
                        if lose_reply:
                            pair.drop_reply = True  # set before the server can answer
                    pair.server.sendall(raw)
        except OSError:
            pass
        self._end(pair)

    def _server_to_client(self, pair):
        buf = bytearray()
        try:
            while True:
                data = pair.server.recv(65536)
                if not data:
                    break
                if self.frozen:
                    continue  # lost in the partition
                if not pair.drop_reply:
                    pair.client.sendall(data)
                    continue
                buf += data
                for payload, _ in _packets(buf):
                    if _reply_done(payload):
                        # The server has committed (or refused) and said so; the client never hears it.
                        with self.lock:
                            self.replies_lost += 1
                        self._close(pair)
                        return
        except OSError:
            pass
        self._end(pair)


class _Pair:
    """One client connection and its own connection to the server."""

    def __init__(self, client, server):
        self.client = client
        self.server = server
        self.drop_reply = False  # the reply now coming is to be lost
