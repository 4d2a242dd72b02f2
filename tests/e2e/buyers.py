"""Background buyers for the backup tests: one thread per user, each buying one new ticket per
request over its own connection until stopped; every 201 is recorded with the number of its request
(numbered in the order they are sent), every other answer as a failure."""
import http.client
import json
import threading

from conftest import ROUND, new_user, poll_until

# The servers' environment: buyers buy more than the 100 tickets a user may buy in a round, and
# faster than the per-user rate limit allows on a fast machine.
UNLIMITED = {"PENSION_ROUND_LIMIT": "5000000", "PENSION_RATE_PER_SECOND": "0"}


class Buyers:
    def __init__(self, srv, users, per_user=5000, ticket=None):
        """ticket(i, j): the (group, number) user i buys at its j-th request (default: its own)."""
        self.srv, self.users, self.per_user = srv, users, per_user
        self.ticket = ticket or (lambda i, j: (1 + i % 5, f"{i:02d}{j:04d}"))
        self.lock = threading.Lock()
        self.acked = []    # (seq, user, receipt)
        self.failed = []   # (status, body)
        self.sent = 0      # requests sent so far; the seq of the latest one
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._buy, args=(i, u)) for i, u in enumerate(users)]

    @classmethod
    def selling(cls, srv, count, prefix, first=100):
        """`count` new users, each with 10,000,000 won, buying on `srv` until `first` were sold."""
        users = [new_user(prefix) for _ in range(count)]
        for user in users:
            srv.deposit(user, 10_000_000)
        buyers = cls(srv, users).start()
        poll_until(lambda: buyers.count() >= first, f"the first {first} purchases")
        return buyers

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def count(self):
        with self.lock:
            return len(self.acked)

    def snapshot(self):
        """The 201s received so far."""
        with self.lock:
            return list(self.acked)

    def last_sent(self):
        with self.lock:
            return self.sent

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(120)
        assert not any(t.is_alive() for t in self._threads)

    def _buy(self, i, user):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.srv.token(user)}", "Content-Type": "application/json"}
        for j in range(self.per_user):
            if self._stop.is_set():
                break
            group, number = self.ticket(i, j)
            body = {"round": ROUND, "tickets": [{"group": group, "number": number}]}
            with self.lock:
                self.sent += 1
                seq = self.sent
            try:
                conn.request("POST", "/api/v1/pension/purchases", body=json.dumps(body), headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException) as e:  # a test that stops the server
                with self.lock:
                    self.failed.append((0, repr(e).encode()))
                return
            with self.lock:
                if resp.status == 201:
                    self.acked.append((seq, user, json.loads(raw)))
                else:
                    self.failed.append((resp.status, raw))
        conn.close()
