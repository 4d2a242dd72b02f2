"""No buyer told "failed" when it worked (SPEC §4): commits whose reply is lost, on MariaDB.

pension720 talks to MariaDB through tests/e2e/mysql_proxy.py, which loses the reply to a COMMIT
after the server committed, or the COMMIT itself. Every purchase and deposit must then be answered
with what really happened: 201 and a charge once, or a true refusal and no charge. Error bodies
never carry SQL or other buyers' data. The server is PENSION_TEST_MYSQL's (scripts/test.sh starts
it); each module run gets a database of its own.
"""
import threading

import pytest

from conftest import ROUND, Server, new_user
from mysql_db import MysqlDatabase
from mysql_proxy import MysqlProxy


class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World()
    w.db = MysqlDatabase("outcome")
    w.proxy = MysqlProxy(w.db.u.hostname, w.db.u.port).start()
    w.srv = Server(tmp_path_factory.mktemp("outcome"), "outcome", db_url=w.db.url(w.proxy.port))
    w.srv.start()
    yield w
    w.srv.stop()
    w.proxy.stop()
    w.db.close()


def sql(w, query):
    return w.db.admin(query, w.db.name)


def tickets_of(w, user):
    return int(sql(w, f"SELECT COUNT(*) FROM tickets WHERE user_id = '{user}'")[0][0])


def balance_in_db(w, user):
    rows = sql(w, f"SELECT balance FROM wallets WHERE user_id = '{user}'")
    return int(rows[0][0]) if rows else 0


def assert_money_conserved(w):
    """Every wallet equals its ledger lines; sales are 1,000 won per ticket sold; no ticket twice."""
    w.db.assert_money_conserved()


def buy_at_once(srv, buyers, group, first):
    """Buyer i buys ticket `first + i` of `group`, all released at once: {buyer: response}."""
    answers = {}
    start = threading.Barrier(len(buyers))

    def buy(i, u):
        start.wait()
        answers[u] = srv.buy(u, [{"group": group, "number": f"{first + i:06d}"}])

    threads = [threading.Thread(target=buy, args=(i, u)) for i, u in enumerate(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_a_purchase_whose_commit_reply_is_lost_is_answered_201(world):
    w, srv = world, world.srv
    u = new_user("lost-reply")
    srv.deposit(u, 5000)
    w.proxy.lose_replies(1)
    r = srv.buy(u, [{"group": 1, "number": "100001"}])
    assert r.status_code == 201, r.text
    assert w.proxy.replies_lost >= 1
    assert r.json()["balance"] == 4000 and len(r.json()["tickets"]) == 1
    assert tickets_of(w, u) == 1 and balance_in_db(w, u) == 4000
    # What the buyer was told is what the database holds.
    assert [t["ticketId"] for t in srv.my_tickets(u)] == [r.json()["tickets"][0]["ticketId"]]


def test_a_deposit_whose_commit_reply_is_lost_is_credited_once(world):
    w, srv = world, world.srv
    u = new_user("lost-deposit")
    before = w.proxy.replies_lost
    w.proxy.lose_replies(1)
    r = srv.post("/api/v1/wallet/deposit", user=u, json={"amount": 7000})
    assert r.status_code == 200, r.text
    assert r.json()["balance"] == 7000
    assert w.proxy.replies_lost == before + 1
    assert balance_in_db(w, u) == 7000 == srv.balance(u)


def test_a_keyed_purchase_whose_commit_reply_is_lost_replays_the_same_receipt(world):
    w, srv = world, world.srv
    u = new_user("lost-keyed")
    srv.deposit(u, 5000)
    w.proxy.lose_replies(1)
    first = srv.buy(u, [{"group": 2, "number": "200002"}], key="receipt-1")
    assert first.status_code == 201, first.text
    again = srv.buy(u, [{"group": 2, "number": "200002"}], key="receipt-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert tickets_of(w, u) == 1 and balance_in_db(w, u) == 4000


def test_a_commit_that_never_reached_the_server_is_done_again_once(world):
    w, srv = world, world.srv
    u = new_user("lost-commit")
    srv.deposit(u, 5000)
    before = w.proxy.commits_lost
    w.proxy.lose_commits(1)
    r = srv.buy(u, [{"group": 3, "number": "300003"}])
    # The transaction was rolled back; the writer found that out and ran the purchase again.
    assert w.proxy.commits_lost == before + 1
    assert r.status_code == 201, r.text
    assert tickets_of(w, u) == 1 and balance_in_db(w, u) == 4000


def test_concurrent_buyers_whose_batches_lose_replies_are_all_told_the_truth(world):
    w, srv = world, world.srv
    buyers = [new_user("crowd") for _ in range(40)]
    for i, u in enumerate(buyers):
        srv.deposit(u, 1000 if i % 4 else 500)  # every fourth cannot pay
    w.proxy.lose_replies(3)
    w.proxy.lose_commits(2)
    answers = buy_at_once(srv, buyers, 4, 400000)
    for i, u in enumerate(buyers):
        r = answers[u]
        if i % 4:
            assert r.status_code == 201, (u, r.text)
            assert tickets_of(w, u) == 1 and balance_in_db(w, u) == 0
        else:
            assert r.status_code == 400 and r.json()["errorCode"] == "NOT_ENOUGH_MONEY", r.text
            assert tickets_of(w, u) == 0 and balance_in_db(w, u) == 500
    assert_money_conserved(w)


def test_an_outage_answers_503_without_sql_or_other_buyers_data(world):
    w, srv = world, world.srv
    buyers = [new_user("outage") for _ in range(8)]
    for u in buyers:
        srv.deposit(u, 3000)
    srv.allow_5xx = True
    w.proxy.refuse()
    answers = buy_at_once(srv, buyers, 5, 500000)
    w.proxy.resume()
    for u, r in answers.items():
        if r.status_code == 201:  # bought before the cut reached its connection
            continue
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["errorCode"] == "SERVICE_UNAVAILABLE"
        text = r.text.lower()
        for leak in ("select", "insert", "update", "wallets", "tickets", "commit", "mysql", "mariadb", "error "):
            assert leak not in text, (leak, r.text)
        assert not any(other in r.text for other in buyers), r.text
    # The store answers again once the database can be reached, and nothing was half done.
    for i, u in enumerate(buyers):
        if answers[u].status_code != 201:
            r = srv.buy(u, [{"group": 5, "number": f"{500000 + i:06d}"}])
            assert r.status_code == 201, r.text
        assert tickets_of(w, u) == 1 and balance_in_db(w, u) == 2000
    assert_money_conserved(w)


def test_an_idempotency_key_that_is_not_plain_ascii_is_400_and_changes_nothing(world):
    w, srv = world, world.srv
    u = new_user("bad-key")
    srv.deposit(u, 2000)
    for key in (b"\xff\xfe", "키".encode(), b"a b", b"tab\there"):
        r = srv.session.post(srv.url("/api/v1/pension/purchases"),
                             headers={"Authorization": f"Bearer {srv.token(u)}", "Idempotency-Key": key},
                             json={"round": ROUND, "tickets": [{"group": 1, "auto": True}]}, timeout=30)
        assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_REQUEST", (key, r.text)
    assert tickets_of(w, u) == 0 and balance_in_db(w, u) == 2000
