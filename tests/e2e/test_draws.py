"""Draws and settlement.

Scenario: a server on 2026-11-24 (round 343 on sale) sells tickets built to hit every result;
it is stopped with SIGTERM and restarted on the same SQLite file at 2026-11-26 18:00 KST (sales
closed, draw allowed), where the official result of round 343 is recorded.
"""
import pytest

from conftest import CLOSED, ROUND, Server, expect_error, new_user, ticket_index

WIN_GROUP, WIN_NUMBER, BONUS = 2, "123456", "723456"  # the bonus ends like the winner: 8 must beat 3
DRAW = {"round": ROUND, "group": WIN_GROUP, "number": WIN_NUMBER, "bonus": BONUS}

ONCE = {3: 1_000_000, 4: 100_000, 5: 50_000, 6: 5_000, 7: 1_000}
ANNUITY = {1: (7_000_000, 240), 2: (1_000_000, 120), 8: (1_000_000, 120)}

# user → [(group, number, expected result)]
PLAN = {
    "alice": [(2, "123456", 1), (3, "123456", 2), (1, "000000", -1)],
    "bob": [(4, "723456", 8), (1, "023456", 3)],
    "carol": [(5, "993456", 4), (1, "999456", 5), (2, "999956", 6), (3, "999996", 7), (4, "999990", -1)],
    "dave": [(1, "000006", 7), (5, "100000", -1), (5, "777777", -1)],
    "frank": [(g, "523456", 3) for g in range(1, 6)],  # bought as group 0
}


def expected_credit(name):
    return sum(ONCE.get(res, 0) for _, _, res in PLAN[name])


class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World()
    w.users = {name: new_user(name) for name in PLAN}
    w.eve = new_user("eve")  # leaves an item in her cart
    srv = Server(tmp_path_factory.mktemp("draws"), "draws")
    srv.start()
    w.deposits = {}
    for name, tickets in PLAN.items():
        u = w.users[name]
        w.deposits[u] = 10_000 * (1 + len(tickets))
        srv.deposit(u, w.deposits[u])
        if name == "frank":
            specs = [{"group": 0, "number": "523456"}]
        else:
            specs = [{"group": g, "number": n} for g, n, _ in tickets]
        r = srv.buy(u, specs)
        assert r.status_code == 201, r.text
    srv.deposit(w.eve, 5000)
    w.deposits[w.eve] = 5000
    assert srv.select(w.eve, 1, "424242").status_code == 201
    # A keyed purchase, replayed after the sales close.
    w.keyed_body = [{"group": 1, "number": "424244"}]
    w.keyed = srv.buy(w.eve, w.keyed_body, key="before-close")
    assert w.keyed.status_code == 201, w.keyed.text
    # While round 343 is on sale: no draw, nothing to read.
    w.draw_on_sale = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=DRAW)
    w.random_on_sale = srv.post("/api/v1/pension/draws", user="boss", admin=True, json={"round": ROUND, "random": True})
    w.summary_before = srv.get(f"/api/v1/pension/draws/{ROUND}")
    w.win_before = srv.get(f"/api/v1/pension-win/round?round={ROUND}")
    w.bonus_before = srv.get(f"/api/v1/pension-bonus/round?round={ROUND}")
    w.results_before = {u: srv.my_tickets(u) for u in w.users.values()}
    srv.stop()

    srv.start(now=CLOSED)
    w.srv = srv
    w.eve_checkout = srv.checkout(w.eve)
    w.eve_cart = srv.cart(w.eve)
    w.buy_closed = srv.buy(w.eve, [{"group": 1, "number": "424243"}])
    w.keyed_replay = srv.buy(w.eve, w.keyed_body, key="before-close")
    w.keyed_other = srv.buy(w.eve, [{"group": 2, "number": "424244"}], key="before-close")
    w.summary_closed = srv.get(f"/api/v1/pension/draws/{ROUND}")
    w.future = srv.post("/api/v1/pension/draws", user="boss", admin=True, json={**DRAW, "round": ROUND + 1})
    w.draw = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=DRAW)
    yield w
    srv.stop()


def test_no_draw_while_on_sale(world):
    expect_error(world.draw_on_sale, 409, "TIME_OUT")
    expect_error(world.random_on_sale, 409, "TIME_OUT")
    expect_error(world.summary_before, 404, "NOT_FOUND")
    # The predecessor's List<…> reads: a round not drawn is an empty list, not a 404.
    assert world.win_before.status_code == 200 and world.win_before.json() == []
    assert world.bonus_before.status_code == 200 and world.bonus_before.json() == []
    for rows in world.results_before.values():
        assert rows and all(r["result"] == 0 and r["drawDate"] is None for r in rows)


def test_cart_of_a_closed_round_is_dropped(world):
    expect_error(world.eve_checkout, 409, "TIME_OUT")
    assert world.eve_cart == []
    expect_error(world.buy_closed, 409, "TIME_OUT")
    # A purchase acknowledged while on sale replays after the close, and is charged once.
    assert world.keyed_replay.status_code == 201 and world.keyed_replay.json() == world.keyed.json()
    expect_error(world.keyed_other, 409, "IDEMPOTENCY_CONFLICT")
    assert world.srv.balance(world.eve) == 4000


def test_draw_of_a_future_round_is_time_out(world):
    expect_error(world.future, 409, "TIME_OUT")
    expect_error(world.srv.get(f"/api/v1/pension/draws/{ROUND + 1}"), 404, "NOT_FOUND")


def test_draw_summary_404_before_and_recorded_after(world):
    expect_error(world.summary_closed, 404, "NOT_FOUND")
    assert world.draw.status_code == 201, world.draw.text
    body = world.draw.json()
    assert {k: body[k] for k in ("round", "drawDate", "group", "number", "bonus")} == {
        "round": ROUND, "drawDate": "2026-11-26", "group": WIN_GROUP, "number": WIN_NUMBER, "bonus": BONUS}
    assert world.srv.get(f"/api/v1/pension/draws/{ROUND}").json() == body


def test_winner_counts(world):
    counts = {}
    for tickets in PLAN.values():
        for _, _, res in tickets:
            if res > 0:
                counts[res] = counts.get(res, 0) + 1
    winners = world.srv.get(f"/api/v1/pension/draws/{ROUND}").json()["winners"]
    by_result = {w["result"]: w for w in winners}
    assert set(by_result) == {1, 2, 8, 3, 4, 5, 6, 7}
    for res, w in by_result.items():
        assert w["count"] == counts.get(res, 0), (res, w)
        assert w["amount"] == (ANNUITY[res][0] if res in ANNUITY else ONCE[res]), w


@pytest.mark.parametrize("name", sorted(PLAN))
def test_every_ticket_gets_its_result(world, name):
    srv, u = world.srv, world.users[name]
    expected = sorted((g, n, res) for g, n, res in PLAN[name])
    rows = srv.my_tickets(u)
    assert sorted((r["group"], r["number"], r["result"]) for r in rows) == expected
    # Between close and the next opening the current round is the one drawn.
    assert srv.get("/api/v1/pension/purchased", user=u).json() == rows
    assert all(r["drawDate"] == "2026-11-26" for r in rows)
    hist = srv.get("/api/v1/pension", user=u).json()
    assert sorted((h["groupNum"], h["number"], h["result"]) for h in hist) == expected
    winning = srv.get("/api/v1/pension?result=1", user=u).json()
    assert sorted((h["group"], h["number"]) for h in winning) == sorted((g, n) for g, n, res in PLAN[name] if res > 0)
    losing = srv.get("/api/v1/pension?result=-1", user=u).json()
    assert sorted((h["group"], h["number"]) for h in losing) == sorted((g, n) for g, n, res in PLAN[name] if res == -1)
    assert srv.get("/api/v1/pension?result=0", user=u).json() == []
    # The SQLite file agrees. Settlement writes winners only: a settled loser is stored as 0.
    assert srv.sql("SELECT settled FROM draws WHERE round = ?", (ROUND,)) == [(1,)]
    db = dict(((t,), r if r != 0 else -1) for t, r in srv.sql("SELECT ticket, result FROM tickets WHERE user_id = ?", (u,)))
    for g, n, res in PLAN[name]:
        assert db[(ticket_index(g, n),)] == res


@pytest.mark.parametrize("name", sorted(PLAN))
def test_one_time_prizes_are_credited_exactly(world, name):
    srv, u = world.srv, world.users[name]
    spent = 1000 * len(PLAN[name])
    assert srv.balance(u) == world.deposits[u] - spent + expected_credit(name)
    prizes = [t for t in srv.get("/api/v1/wallet/transactions", user=u).json() if t["kind"] == "PRIZE"]
    if expected_credit(name):
        assert len(prizes) == 1 and prizes[0]["amount"] == expected_credit(name)
    else:
        assert prizes == []


def test_winnings(world):
    srv = world.srv
    alice = srv.get("/api/v1/pension/winnings", user=world.users["alice"]).json()
    assert sorted(w["result"] for w in alice) == [1, 2]
    for w in alice:
        monthly, months = ANNUITY[w["result"]]
        assert w["kind"] == "ANNUITY"
        assert (w["monthlyAmount"], w["months"], w["firstPaymentMonth"]) == (monthly, months, "2026-12")
        assert w["amount"] == monthly * months
        assert w["round"] == ROUND and isinstance(w["ticketId"], int)
    assert {(w["group"], w["number"]) for w in alice} == {(2, "123456"), (3, "123456")}
    bob = {w["result"]: w for w in srv.get("/api/v1/pension/winnings", user=world.users["bob"]).json()}
    assert set(bob) == {8, 3}
    assert (bob[8]["kind"], bob[8]["monthlyAmount"], bob[8]["months"], bob[8]["firstPaymentMonth"]) == (
        "ANNUITY", 1_000_000, 120, "2026-12")
    assert (bob[3]["kind"], bob[3]["amount"]) == ("ONCE", 1_000_000)
    carol = srv.get("/api/v1/pension/winnings", user=world.users["carol"]).json()
    assert sorted((w["result"], w["kind"], w["amount"]) for w in carol) == [
        (4, "ONCE", 100_000), (5, "ONCE", 50_000), (6, "ONCE", 5_000), (7, "ONCE", 1_000)]
    assert srv.get("/api/v1/pension/winnings", user=world.eve).json() == []
    # Annuities are stored as entitlements.
    rows = srv.sql("SELECT user_id, result, monthly, months, first_payment_month FROM annuities WHERE round = ?", (ROUND,))
    assert sorted(rows) == sorted([
        (world.users["alice"], 1, 7_000_000, 240, "2026-12"),
        (world.users["alice"], 2, 1_000_000, 120, "2026-12"),
        (world.users["bob"], 8, 1_000_000, 120, "2026-12"),
    ])


def balances(world):
    return {u: world.srv.balance(u) for u in world.users.values()}


def test_same_result_again_is_200_and_credits_nothing(world):
    srv = world.srv
    before = balances(world)
    prize_lines = srv.sql("SELECT COUNT(*) FROM ledger WHERE kind = 'PRIZE'")[0][0]
    r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json=DRAW)
    assert r.status_code == 200, r.text
    assert r.json() == world.draw.json()
    assert balances(world) == before
    assert srv.sql("SELECT COUNT(*) FROM ledger WHERE kind = 'PRIZE'")[0][0] == prize_lines
    assert srv.sql("SELECT COUNT(*) FROM annuities")[0][0] == 3


@pytest.mark.parametrize("change", [{"group": 3}, {"number": "123457"}, {"bonus": "777775"}])
def test_different_result_is_already_drawn(world, change):
    before = balances(world)
    r = world.srv.post("/api/v1/pension/draws", user="boss", admin=True, json={**DRAW, **change})
    expect_error(r, 409, "ALREADY_DRAWN")
    assert balances(world) == before
    assert world.srv.get(f"/api/v1/pension/draws/{ROUND}").json() == world.draw.json()


def test_random_on_a_drawn_round_is_already_drawn(world):
    expect_error(world.srv.post("/api/v1/pension/draws", user="boss", admin=True, json={"round": ROUND, "random": True}),
                 409, "ALREADY_DRAWN")


@pytest.mark.parametrize("body", [
    {"round": 340, "group": 1, "number": "12345", "bonus": "654321"},
    {"round": 340, "group": 1, "number": "123456", "bonus": "65432a"},
    {"round": 340, "group": 1, "number": 123456, "bonus": "654321"},
    {"round": 340, "group": 0, "number": "123456", "bonus": "654321"},
    {"round": 340, "group": 6, "number": "123456", "bonus": "654321"},
    {"round": 340, "group": 1, "number": "123456"},
    {"round": 340, "group": 1, "number": "123456", "bonus": "123456"},  # bonus must differ
    {"group": 1, "number": "123456", "bonus": "654321"},
    {"round": 0, "random": True},
    {"round": 340, "random": "yes"},
])
def test_bad_draw_requests_are_400(world, body):
    expect_error(world.srv.post("/api/v1/pension/draws", user="boss", admin=True, json=body), 400, "INVALID_REQUEST")
    expect_error(world.srv.get("/api/v1/pension/draws/340"), 404, "NOT_FOUND")


def test_random_draw_of_another_closed_round(world):
    srv = world.srv
    expect_error(srv.get("/api/v1/pension/draws/342"), 404, "NOT_FOUND")
    r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json={"round": 342, "random": True})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["round"] == 342 and body["drawDate"] == "2026-11-19"
    assert 1 <= body["group"] <= 5
    assert len(body["number"]) == 6 and body["number"].isdigit()
    assert len(body["bonus"]) == 6 and body["bonus"].isdigit()
    assert body["bonus"] != body["number"]
    assert all(w["count"] == 0 for w in body["winners"])
    assert srv.get("/api/v1/pension/draws/342").json() == body
    expect_error(srv.post("/api/v1/pension/draws", user="boss", admin=True, json={"round": 342, "random": True}),
                 409, "ALREADY_DRAWN")
    # Recording the drawn numbers explicitly is "the same result".
    same = {"round": 342, "group": body["group"], "number": body["number"], "bonus": body["bonus"]}
    assert srv.post("/api/v1/pension/draws", user="boss", admin=True, json=same).status_code == 200


def test_random_draws_differ(world):
    srv = world.srv
    draws = []
    for round_ in (330, 331, 332, 333, 334):
        r = srv.post("/api/v1/pension/draws", user="boss", admin=True, json={"round": round_, "random": True})
        assert r.status_code == 201, r.text
        assert r.json()["bonus"] != r.json()["number"]
        draws.append((r.json()["group"], r.json()["number"], r.json()["bonus"]))
    assert len(set(draws)) == 5


def matching_body(round_, group, number, bonus, bonus_round=None):
    names = ("firstNum", "secondNum", "thirdNum", "fourthNum", "fifthNum", "sixthNum")
    # A drawDate that is not the calendar's: the server must use the calendar's date.
    win = {"drawRound": round_, "groupNum": group, **{k: int(c) for k, c in zip(names, number)}, "drawDate": "1999-01-01"}
    bon = {"drawRound": round_ if bonus_round is None else bonus_round, **{k: int(c) for k, c in zip(names, bonus)},
           "drawDate": "1999-01-01"}
    return {"pensionWinNum": win, "pensionBonusNum": bon}


def test_matching_predecessor_body(world):
    srv = world.srv
    r = srv.post("/api/v1/pension/matching", user="boss", admin=True, json=matching_body(341, 4, "090807", "010203"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["round"], body["group"], body["number"], body["bonus"], body["drawDate"]) == (
        341, 4, "090807", "010203", "2026-11-12")
    win = srv.get("/api/v1/pension-win/round?round=341").json()
    assert win == [{"id": 341, "drawRound": 341, "groupNum": 4, "firstNum": 0, "secondNum": 9, "thirdNum": 0,
                    "fourthNum": 8, "fifthNum": 0, "sixthNum": 7, "drawDate": "2026-11-12"}]
    bonus = srv.get("/api/v1/pension-bonus/round?round=341").json()
    assert bonus == [{"id": 341, "drawRound": 341, "firstNum": 0, "secondNum": 1, "thirdNum": 0, "fourthNum": 2,
                      "fifthNum": 0, "sixthNum": 3, "drawDate": "2026-11-12"}]
    assert srv.get("/api/v1/pension-win/date?date=2026-11-12").json() == win
    assert srv.get("/api/v1/pension-bonus/date?date=2026-11-12").json() == bonus
    # Same again → 200; different → 409; the same on round 343 → 200.
    again = srv.post("/api/v1/pension/matching", user="boss", admin=True, json=matching_body(341, 4, "090807", "010203"))
    assert again.status_code == 200 and again.json() == body
    expect_error(srv.post("/api/v1/pension/matching", user="boss", admin=True,
                          json=matching_body(341, 4, "090808", "010203")), 409, "ALREADY_DRAWN")
    r343 = srv.post("/api/v1/pension/matching", user="boss", admin=True, json=matching_body(ROUND, WIN_GROUP, WIN_NUMBER, BONUS))
    assert r343.status_code == 200 and r343.json() == world.draw.json()


@pytest.mark.parametrize("body", [
    {},
    {"pensionWinNum": matching_body(339, 1, "111111", "222222")["pensionWinNum"]},
    matching_body(339, 1, "111111", "222222", bonus_round=338),
    matching_body(339, 7, "111111", "222222"),
    {"pensionWinNum": {**matching_body(339, 1, "111111", "222222")["pensionWinNum"], "thirdNum": 10},
     "pensionBonusNum": matching_body(339, 1, "111111", "222222")["pensionBonusNum"]},
    {"pensionWinNum": "339", "pensionBonusNum": {}},
])
def test_bad_matching_is_400(world, body):
    expect_error(world.srv.post("/api/v1/pension/matching", user="boss", admin=True, json=body), 400, "INVALID_REQUEST")
    expect_error(world.srv.get("/api/v1/pension/draws/339"), 404, "NOT_FOUND")


def test_matching_while_on_sale_is_time_out(tmp_path):
    srv = Server(tmp_path, "match-open").start()
    try:
        expect_error(srv.post("/api/v1/pension/matching", user="boss", admin=True,
                              json=matching_body(ROUND, 1, "111111", "222222")), 409, "TIME_OUT")
    finally:
        srv.stop()


def test_win_and_bonus_lists_and_statistics(world):
    srv = world.srv
    wins = srv.get("/api/v1/pension-win/all").json()
    bonuses = srv.get("/api/v1/pension-bonus/all").json()
    rounds = [w["drawRound"] for w in wins]
    assert ROUND in rounds and len(rounds) == len(set(rounds))
    assert [b["drawRound"] for b in bonuses] == rounds
    digit_names = ("firstNum", "secondNum", "thirdNum", "fourthNum", "fifthNum", "sixthNum")
    w343 = next(w for w in wins if w["drawRound"] == ROUND)
    assert w343["groupNum"] == WIN_GROUP and "".join(str(w343[k]) for k in digit_names) == WIN_NUMBER
    b343 = next(b for b in bonuses if b["drawRound"] == ROUND)
    assert "".join(str(b343[k]) for k in digit_names) == BONUS and "groupNum" not in b343
    assert w343["drawDate"] == b343["drawDate"] == "2026-11-26"
    # Statistics agree with the lists, read in the same state.
    for pos in ("groupNum",) + digit_names:
        stats = srv.get(f"/api/v1/statistics/pension/{pos}").json()
        values = list(range(1, 6)) if pos == "groupNum" else list(range(10))
        assert [s["number"] for s in stats] == values
        expected = {v: sum(1 for w in wins if w[pos] == v) for v in values}
        assert {s["number"]: s["count"] for s in stats} == expected, pos
        assert all(s["frequency"] == s["count"] for s in stats), pos
    for pos in digit_names:
        stats = srv.get(f"/api/v1/statistics/bonus/{pos}").json()
        assert [s["number"] for s in stats] == list(range(10))
        expected = {v: sum(1 for b in bonuses if b[pos] == v) for v in range(10)}
        assert {s["number"]: s["count"] for s in stats} == expected, pos
    expect_error(srv.get("/api/v1/statistics/bonus/groupNum"), 404, "NOT_FOUND")
    expect_error(srv.get("/api/v1/statistics/pension/seventhNum"), 404, "NOT_FOUND")
    expect_error(srv.get("/api/v1/pension-win/round"), 400, "INVALID_REQUEST")
    expect_error(srv.get("/api/v1/pension-win/round?round=abc"), 400, "INVALID_REQUEST")
    assert srv.get("/api/v1/pension-win/round?round=999").json() == []


def test_money_is_conserved_and_survives_a_restart(world):
    srv = world.srv
    deposits, balances_, sales, prizes = srv.assert_money_conserved()
    assert prizes == sum(expected_credit(n) for n in PLAN)
    assert sales == 1000 * (sum(len(t) for t in PLAN.values()) + 1)  # + eve's keyed purchase
    assert deposits == sum(world.deposits.values())
    # Each user's wallet in the file: deposits − purchases + prizes.
    for name, u in world.users.items():
        (bal,), = srv.sql("SELECT balance FROM wallets WHERE user_id = ?", (u,))
        assert bal == world.deposits[u] - 1000 * len(PLAN[name]) + expected_credit(name)
    # A restart does not settle again.
    before = balances(world)
    srv.stop()
    srv.start(now=CLOSED)
    assert balances(world) == before
    assert srv.assert_money_conserved()[3] == prizes
    assert srv.get(f"/api/v1/pension/draws/{ROUND}").json() == world.draw.json()
