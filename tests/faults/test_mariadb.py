"""MariaDB dies or freezes under load (issue 20, item 5): mariadbd SIGKILLed and restarted, then
SIGSTOPped and continued, while two instances sell. Health must notice, selling must resume, and
afterwards no answer is ambiguous, no ticket is sold twice and every won is accounted for.

The server is the suite's own (scripts/topology.sh start-db; TOPO_* select it), signalled with
`topology.sh signal-db`; each test has a database of its own.
"""
import pytest

from faultlib import (LOAD_ENV, Answers, Buyers, MysqlDatabase, Server, assert_invariants,
                      health, poll, topology)

HOT = [3_000_000 + n for n in range(8)]


@pytest.fixture
def instances(tmp_path):
    db = MysqlDatabase("dbfault")
    servers = []
    try:
        for name in ("m1", "m2"):
            servers.append(Server(tmp_path, name, db_url=db.url(), env=LOAD_ENV).start())
            servers[-1].allow_5xx = True  # while the database is gone, purchases are 503
        yield db, servers
    finally:
        for s in servers:
            s.stop()
        db.close()


def store_down(srv):
    status, body = health(srv)
    return status == 503 and body["components"]["store"]["status"] != "UP"


def sell_through(db, servers, fault, recover):
    """Buyers on every instance; the fault once they sell, recovery once health says the store is
    down, then the invariant check once they sell again."""
    answers = Answers()
    buyers = Buyers(servers, answers, per_server=6, hot=lambda: HOT, hot_every=5).start()
    try:
        poll(lambda: answers.count(201) >= 100, 120, "selling")
        fault()
        poll(lambda: all(store_down(s) for s in servers), 60, "health reports the store down")
        recover()
        poll(lambda: all(health(s)[0] == 200 for s in servers), 120, "health UP again")
        resumed = answers.count(201)
        poll(lambda: answers.count(201, where={s.name for s in servers}) >= resumed + 100, 120, "selling again")
    finally:
        users = buyers.users()
        buyers.stop()
    assert_invariants(answers, users, db)


def test_mariadb_sigkill_under_load(instances):
    db, servers = instances
    # Purchases in flight at the kill wait for the restart (the writer asks whether their commit
    # happened) or are refused; either way sell_through checks every answer against the database.
    sell_through(db, servers, lambda: topology("signal-db", "KILL"), lambda: topology("start-db"))


def test_mariadb_sigstop_under_load(instances):
    db, servers = instances
    try:
        sell_through(db, servers, lambda: topology("signal-db", "STOP"), lambda: topology("signal-db", "CONT"))
    finally:
        topology("signal-db", "CONT")  # never leave the suite's database frozen
