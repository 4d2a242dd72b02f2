"""Paging of the lists that can grow without bound (SPEC §3): `limit`, the next page in a
`Link: <…>; rel="next"` header, the body a bare JSON array. Pages follow one another without a gap
or a repeat, newest first, and listing a round of a million tickets keeps the server's memory flat.
"""
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import ROUND, Server, expect_error, new_user

NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


def pages(srv, path, user, admin=False, **params):
    """Follows the Link headers from `path`; returns the list of pages (each a list of rows)."""
    out = []
    resp = srv.get(path, user=user, admin=admin, params=params or None)
    for _ in range(10_000):  # bounded: a broken Link chain must not loop for ever
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert isinstance(body, list)
        out.append(body)
        link = resp.headers.get("Link")
        if not link:
            return out
        m = NEXT.match(link)
        assert m, link
        assert m.group(1).startswith(path + "?"), link  # a relative reference to the same list
        resp = srv.get(m.group(1), user=user, admin=admin)
    raise AssertionError("the Link chain does not end")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("paging"), "paging", env={"PENSION_ROUND_LIMIT": "1000"}).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def buyer(srv):
    u = new_user("pager")
    srv.deposit(u, 250_000)
    for i in range(0, 250, 20):
        tickets = [{"group": 1 + (n % 5), "number": f"{n:06d}"} for n in range(i, min(i + 20, 250))]
        r = srv.buy(u, tickets)
        assert r.status_code == 201, r.text
    return u


def test_purchased_tickets_come_in_pages_newest_first(srv, buyer):
    got = pages(srv, "/api/v1/pension/purchased", buyer, round=ROUND, limit=100)
    assert [len(p) for p in got] == [100, 100, 50]
    ids = [t["ticketId"] for p in got for t in p]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 250
    assert {t["number"] for p in got for t in p} == {f"{n:06d}" for n in range(250)}


def test_the_default_page_is_100_rows(srv, buyer):
    r = srv.get(f"/api/v1/pension/purchased?round={ROUND}", user=buyer)
    assert len(r.json()) == 100 and 'rel="next"' in r.headers["Link"]
    assert "round=343" in r.headers["Link"] and "limit=100" in r.headers["Link"]


def test_history_pages_keep_their_filter(srv, buyer):
    got = pages(srv, "/api/v1/pension", buyer, result=0, limit=70)
    assert [len(p) for p in got] == [70, 70, 70, 40]
    assert all(row["result"] == 0 for p in got for row in p)
    assert all("result=0" in link for link in [srv.get("/api/v1/pension", user=buyer,
                                                           params={"result": 0, "limit": 70}).headers["Link"]])
    # A filter that matches nothing is one empty page without a Link.
    r = srv.get("/api/v1/pension", user=buyer, params={"result": -1})
    assert r.json() == [] and "Link" not in r.headers


def test_the_ledger_comes_in_pages(srv, buyer):
    got = pages(srv, "/api/v1/wallet/transactions", buyer, limit=5)
    assert [len(p) for p in got] == [5, 5, 4]  # one deposit and 13 purchases of 20 (the last of 10)
    lines = [e for p in got for e in p]
    ids = [e["id"] for e in lines]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert [e["kind"] for e in lines] == ["PURCHASE"] * 13 + ["DEPOSIT"]
    assert sum(e["amount"] for e in lines) == srv.balance(buyer)


def test_an_admin_lists_every_buyer_of_a_round_in_pages(srv, buyer):
    other = new_user("other")
    srv.deposit(other, 5000)
    assert srv.buy(other, [{"group": 5, "number": "999999"}]).status_code == 201
    got = pages(srv, "/api/v1/pension/purchased", "boss", admin=True, round=ROUND, all="true", limit=120)
    rows = [t for p in got for t in p]
    assert [len(p) for p in got] == [120, 120, 11]
    assert {t["userId"] for t in rows} == {buyer, other}
    assert rows[0]["userId"] == other  # newest first
    # Paging does not open the list to others.
    expect_error(srv.get("/api/v1/pension/purchased", user=buyer, params={"round": ROUND, "all": "true"}),
                 403, "FORBIDDEN")


def export(srv, round_, admin=True, user="boss"):
    """GET the round's ticket export, streamed; returns (response, lines without the header)."""
    resp = srv.get(f"/api/v1/admin/rounds/{round_}/tickets.csv", user=user, admin=admin, stream=True)
    if resp.status_code != 200:
        return resp, None
    lines = [line for line in resp.iter_lines(decode_unicode=True) if line]
    assert lines[0] == "ticketId,purchaseId,userId,round,group,number,createdAt,result"
    return resp, [line.split(",") for line in lines[1:]]


def test_an_admin_exports_a_rounds_tickets_as_streamed_csv(srv, buyer):
    listed = [t for p in pages(srv, "/api/v1/pension/purchased", "boss", admin=True, round=ROUND, all="true",
                               limit=1000) for t in p]
    resp, rows = export(srv, ROUND)
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in resp.headers
    assert f'filename="round-{ROUND}-tickets.csv"' in resp.headers["Content-Disposition"]
    # The same tickets as the list, in the same order (newest first), field by field.
    assert [int(r[0]) for r in rows] == [t["ticketId"] for t in listed]
    assert [(r[2], int(r[3]), int(r[4]), r[5], int(r[7])) for r in rows] == \
        [(t["userId"], t["round"], t["group"], t["number"], t["result"]) for t in listed]
    # A round nobody bought is the header alone.
    resp, rows = export(srv, ROUND + 1)
    assert resp.status_code == 200 and rows == []


def test_only_an_admin_exports_and_the_round_must_be_a_round(srv, buyer):
    expect_error(srv.get(f"/api/v1/admin/rounds/{ROUND}/tickets.csv", user=buyer), 403, "FORBIDDEN")
    for bad in ("0", "x", "-1", "1234567"):
        expect_error(srv.get(f"/api/v1/admin/rounds/{bad}/tickets.csv", user="boss", admin=True), 400,
                     "INVALID_REQUEST")


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"limit": "-1"},
                                    {"limit": ""}, {"before": "0"}, {"before": "abc"}, {"before": "1e3"}])
def test_bad_paging_parameters_are_400(srv, buyer, params):
    for path in ("/api/v1/pension/purchased", "/api/v1/pension", "/api/v1/wallet/transactions"):
        expect_error(srv.get(path, user=buyer, params=params), 400, "INVALID_REQUEST")


# --- a round of a million tickets --------------------------------------------------------------
def vm_hwm_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_listing_a_million_tickets_keeps_memory_flat(tmp_path):
    srv = Server(tmp_path, "million")
    srv.check_money_at_stop = False  # a million tickets planted without purchases or ledger lines
    srv.start()
    srv.stop()  # the schema is there; the tickets are written straight into the file
    with sqlite3.connect(srv.db) as conn:
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999)"
            " INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at)"
            " SELECT 1 + x / 20, 'buyer' || (x % 1000), ?, x * 5, '2026-11-24T12:00:00+09:00' FROM n", (ROUND,))
    srv.start()
    try:
        before = vm_hwm_kb(srv.proc.pid)
        count, last, pages_seen = 0, None, 0
        resp = srv.get("/api/v1/pension/purchased", user="boss", admin=True,
                       params={"round": ROUND, "all": "true", "limit": 1000})
        for _ in range(2000):
            assert resp.status_code == 200, resp.text
            rows = resp.json()
            assert rows, "an empty page before the end"
            ids = [t["ticketId"] for t in rows]
            assert last is None or ids[0] < last
            assert ids == sorted(ids, reverse=True)
            last = ids[-1]
            count += len(rows)
            pages_seen += 1
            link = resp.headers.get("Link")
            if not link:
                break
            resp = srv.get(NEXT.match(link).group(1), user="boss", admin=True)
        assert count == 1_000_000 and pages_seen == 1000
        grown_mb = (vm_hwm_kb(srv.proc.pid) - before) / 1024
        assert grown_mb <= 50, f"peak RSS grew by {grown_mb:.1f} MB listing a million tickets"
        # The export streams the same million, one page of the store at a time.
        resp, rows = export(srv, ROUND)
        ids = [int(r[0]) for r in rows]
        assert len(ids) == 1_000_000 and len(set(ids)) == 1_000_000 and ids == sorted(ids, reverse=True)
        assert {int(r[4]) * 1_000_000 + int(r[5]) - 1_000_000 for r in rows} == {x * 5 for x in range(1_000_000)}
        grown_mb = (vm_hwm_kb(srv.proc.pid) - before) / 1024
        assert grown_mb <= 50, f"peak RSS grew by {grown_mb:.1f} MB listing and exporting a million tickets"
    finally:
        srv.stop()
