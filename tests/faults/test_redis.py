"""Redis SIGKILLed under load (issue 20, item 5): two instances on MariaDB with Redis as their event
stream keep selling while Redis is dead; health names Redis DOWN and the store UP; once Redis is
back, the outbox drains and the stream holds exactly one event per purchase. Then the invariant
check. Redis is the suite's own (scripts/topology.sh start-db), emptied first: this test reads
its whole stream.
"""
import contextlib
import json
import os
import subprocess

from faultlib import (LOAD_ENV, Answers, Buyers, MysqlDatabase, Server, assert_invariants,
                      health, poll, topology)
from test_topology import redis_json

REDIS = os.environ.get("PENSION_TEST_REDIS", "")


def purchase_events(env):
    ids = []
    for _, fields in redis_json(env, "XRANGE", "pension720:events", "-", "+"):
        entry = dict(zip(fields[::2], fields[1::2]))
        if entry["kind"] == "purchase":
            ids.append(json.loads(entry["payload"])["purchaseId"])
    return ids


def redis_down(srv):
    """Health's body when it names Redis DOWN, else None."""
    _, body = health(srv)
    return body if body and body["components"].get("redis", {}).get("status") == "DOWN" else None


def test_redis_sigkill_under_load(tmp_path):
    assert REDIS, "PENSION_TEST_REDIS is not set: start Redis with `scripts/topology.sh start-db`"
    env = {"PENSION_REDIS": REDIS}
    port = REDIS.rsplit(":", 1)[1]
    subprocess.run(["redis-cli", "-p", port, "FLUSHALL"], check=True, capture_output=True, timeout=30)
    with contextlib.ExitStack() as cleanup:
        db = MysqlDatabase("redisfault")
        cleanup.callback(db.close)
        servers = []
        for name in ("r1", "r2"):
            servers.append(Server(tmp_path, name, db_url=db.url(), env={**LOAD_ENV, **env}).start())
            cleanup.callback(servers[-1].stop)
        answers = Answers()
        buyers = Buyers(servers, answers, per_server=6).start()
        cleanup.callback(buyers.stop)
        poll(lambda: answers.count(201) >= 100, 120, "selling")
        topology("signal-redis", "KILL")
        for s in servers:
            # Redis is optional for selling: health says which part is down, the store stays UP.
            body = poll(lambda: redis_down(s), 60, "health reports Redis down")
            assert body["components"]["store"]["status"] == "UP", body
        dead = answers.count(201)
        poll(lambda: answers.count(201) >= dead + 100, 120, "selling without Redis")
        topology("start-redis")
        resumed = answers.count(201)
        poll(lambda: answers.count(201) >= resumed + 100, 120, "selling after Redis is back")
        buyers.stop()
        assert_invariants(answers, buyers.users(), db)
        # The relays publish what waited in the outbox: one event per purchase, none twice.
        purchases = sorted(p for (p,) in db.sql("SELECT id FROM purchases"))
        poll(lambda: db.sql("SELECT COUNT(*) FROM outbox") == [(0,)] and len(purchase_events(env)) >= len(purchases),
             120, "the outbox drained into the stream")
        assert sorted(purchase_events(env)) == purchases
        assert all(answers.count(s) == 0 for s in (500, 502, 503, 504)), "a purchase failed because Redis did"
