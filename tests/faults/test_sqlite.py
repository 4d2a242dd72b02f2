"""The SQLite server under load (issue 20, item 5): SIGKILLed with purchases in flight and started
again, and a full disk (a real tmpfs, filled) under load. Buyers use Idempotency-Keys, so a
purchase the kill left unanswered is asked again and answered for certain; then the invariant
check, SQLite's money check (Server.assert_money_conserved) and integrity_check.
"""
from faultlib import (LOAD_ENV, Answers, Buyers, Server, assert_invariants, health, poll,
                      settle_unanswered)
from test_defences import fill, small_disk  # noqa: F401  (small_disk is a fixture)

HOT = [2_000_000 + n for n in range(8)]


def check(srv, answers, users):
    assert_invariants(answers, users, srv)
    assert srv.sql("PRAGMA integrity_check") == [("ok",)]


def test_sqlite_sigkill_under_load(tmp_path):
    srv = Server(tmp_path, "killed", env=LOAD_ENV).start()
    try:
        answers = Answers()
        buyers = Buyers([srv], answers, per_server=12, hot=lambda: HOT, hot_every=5, keyed=True).start()
        poll(lambda: answers.count(201) >= 200, 120, "selling")
        srv.kill()
        buyers.stop()  # each buyer stops at its first unanswered purchase
        assert answers.unanswered, "no purchase was in flight at the kill: the test tested nothing"
        srv.start()
        settle_unanswered(answers)
        check(srv, answers, buyers.users())
    finally:
        srv.stop()


def test_full_disk_under_load(tmp_path, small_disk):  # noqa: F811
    srv = Server(tmp_path, "full", db=small_disk / "full.db", env=LOAD_ENV).start()
    srv.allow_5xx = True  # STORAGE_FULL is a 503
    try:
        answers = Answers()
        buyers = Buyers([srv], answers, per_server=6, hot=lambda: HOT, hot_every=5).start()
        try:
            poll(lambda: answers.count(201) >= 50, 120, "selling")
            filler = small_disk / "filler"
            fill(filler)
            poll(lambda: any(s == 503 and b.get("errorCode") == "STORAGE_FULL"
                             for _, _, _, _, s, b in list(answers.rows)), 120, "a purchase refused: disk full")
            poll(lambda: health(srv)[0] == 503, 60, "health DOWN on a full disk")
            filler.unlink()
            resumed = answers.count(201)
            poll(lambda: answers.count(201) >= resumed + 50, 120, "selling once there is space again")
            poll(lambda: health(srv)[0] == 200, 60, "health UP again")
        finally:
            users = buyers.users()
            buyers.stop()
        check(srv, answers, users)
    finally:
        srv.stop()
