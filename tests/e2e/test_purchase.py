"""Purchases: checkout, direct purchase, money, limits, conflicts, idempotency and reads."""
import pytest

from conftest import ROUND, Server, assert_ticket, digits_of, expect_error, new_user

DIGIT_NAMES = ("first", "second", "third", "fourth", "fifth", "sixth")

_numbers = iter(range(200_003, 999_999, 6151))


def fresh_number():
    return f"{next(_numbers):06d}"


@pytest.fixture(scope="module")
def limit_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("limit"), "limit", env={"PENSION_ROUND_LIMIT": "3"}).start()
    yield srv
    srv.stop()


def pairs(tickets):
    return sorted((t["group"], t["number"]) for t in tickets)


def assert_receipt(body, n, balance):
    assert set(body) >= {"purchaseId", "round", "amount", "balance", "tickets"}
    assert isinstance(body["purchaseId"], int)
    assert body["round"] == ROUND
    assert body["amount"] == 1000 * n
    assert body["balance"] == balance
    assert len(body["tickets"]) == n
    for t in body["tickets"]:
        assert set(t) >= {"ticketId", "round", "group", *DIGIT_NAMES, "number"}
        assert isinstance(t["ticketId"], int) and t["round"] == ROUND
        assert_ticket(t)
    assert len({t["ticketId"] for t in body["tickets"]}) == n
    assert len({(t["group"], t["number"]) for t in body["tickets"]}) == n


def test_checkout_of_the_cart(server):
    u = new_user()
    server.deposit(u, 10_000)
    a, b = fresh_number(), fresh_number()
    assert server.select(u, 2, a).status_code == 201
    assert server.select(u, 0, b).status_code == 201
    r = server.checkout(u)
    assert r.status_code == 201, r.text
    body = r.json()
    assert_receipt(body, 6, 4000)
    assert pairs(body["tickets"]) == sorted([(2, a)] + [(g, b) for g in range(1, 6)])
    assert server.cart(u) == []
    assert server.balance(u) == 4000
    mine = server.my_tickets(u)
    assert sorted(t["ticketId"] for t in mine) == sorted(t["ticketId"] for t in body["tickets"])
    # Sold now: nobody may select or buy them.
    other = new_user()
    expect_error(server.select(other, 2, a), 409, "PURCHASE_DUPLICATED")


def test_checkout_accepts_an_empty_json_object(server):
    u = new_user()
    server.deposit(u, 1000)
    server.select(u, 1, fresh_number())
    r = server.post("/api/v1/pension/purchased", user=u, json={})
    assert r.status_code == 201, r.text
    assert_receipt(r.json(), 1, 0)


def test_checkout_with_malformed_body_is_400_and_changes_nothing(server):
    u = new_user()
    server.deposit(u, 1000)
    server.select(u, 1, fresh_number())
    cart = server.cart(u)
    r = server.post("/api/v1/pension/purchased", user=u, data=b"{oops", headers={"Content-Type": "application/json"})
    expect_error(r, 400, "INVALID_REQUEST")
    assert server.cart(u) == cart and server.balance(u) == 1000 and server.my_tickets(u) == []


def test_direct_purchase_in_every_form(server):
    u = new_user()
    server.deposit(u, 20_000)
    n1, n2, n3 = fresh_number(), fresh_number(), fresh_number()
    r = server.buy(u, [
        {"group": 1, "number": n1},
        {"group": 3, **digits_of(n2)},
        {"group": 4, "auto": True},
        {"group": 0, "number": n3},
        {"group": 0, "auto": True},
    ])
    assert r.status_code == 201, r.text
    body = r.json()
    assert_receipt(body, 13, 7000)
    got = pairs(body["tickets"])
    assert (1, n1) in got and (3, n2) in got
    assert all((g, n3) in got for g in range(1, 6))
    rest = [p for p in got if p not in [(1, n1), (3, n2)] + [(g, n3) for g in range(1, 6)]]
    assert len(rest) == 6
    autos_by_number = {}
    for g, n in rest:
        autos_by_number.setdefault(n, []).append(g)
    # The group-0 auto is five groups of one number; the group-4 auto one more ticket.
    assert sorted(len(v) for v in autos_by_number.values()) in ([1, 5], [6])
    assert any(sorted(v) == [1, 2, 3, 4, 5] or sorted(v) == [1, 2, 3, 4, 4, 5] for v in autos_by_number.values())
    assert server.balance(u) == 7000
    assert pairs(server.my_tickets(u)) == got


def test_empty_cart_checkout_is_select_no_ticket(server):
    u = new_user()
    server.deposit(u, 1000)
    body = expect_error(server.checkout(u), 400, "SELECT_NO_TICKET")
    assert body["errorMessage"] == "선택된 번호가 없습니다."
    assert server.balance(u) == 1000


def test_not_enough_money_on_checkout_changes_nothing(server):
    u = new_user()
    server.deposit(u, 2000)
    for g in (1, 2, 3):
        server.select(u, g, fresh_number())
    cart = server.cart(u)
    body = expect_error(server.checkout(u), 400, "NOT_ENOUGH_MONEY")
    assert body["errorMessage"] == "예치금이 부족합니다."
    assert server.cart(u) == cart
    assert server.balance(u) == 2000
    assert server.my_tickets(u) == []
    assert [t["kind"] for t in server.get("/api/v1/wallet/transactions", user=u).json()] == ["DEPOSIT"]
    # Holds are kept: another user still cannot take them.
    expect_error(server.select(new_user(), cart[0]["group"], cart[0]["number"]), 409, "TICKET_HELD")
    # One more deposit and the same cart goes through.
    server.deposit(u, 1000)
    r = server.checkout(u)
    assert r.status_code == 201, r.text
    assert_receipt(r.json(), 3, 0)


def test_not_enough_money_on_direct_purchase(server):
    u, never_deposited = new_user(), new_user()
    server.deposit(u, 4000)
    n = fresh_number()
    expect_error(server.buy(u, [{"group": 0, "number": n}]), 400, "NOT_ENOUGH_MONEY")
    assert server.balance(u) == 4000 and server.my_tickets(u) == []
    expect_error(server.buy(never_deposited, [{"group": 1, "number": n}]), 400, "NOT_ENOUGH_MONEY")
    assert server.balance(never_deposited) == 0
    # Nothing was sold.
    other = new_user()
    server.deposit(other, 5000)
    assert server.buy(other, [{"group": 0, "number": n}]).status_code == 201


def test_round_limit(limit_server):
    srv = limit_server
    u = new_user()
    srv.deposit(u, 10_000)
    assert srv.buy(u, [{"group": 1, "number": fresh_number()}, {"group": 2, "number": fresh_number()}]).status_code == 201
    expect_error(srv.buy(u, [{"group": 1, "number": fresh_number()}, {"group": 2, "number": fresh_number()}]),
                 409, "LIMIT_EXCEEDED")
    assert srv.balance(u) == 8000
    assert srv.buy(u, [{"group": 3, "number": fresh_number()}]).status_code == 201
    expect_error(srv.buy(u, [{"group": 3, "auto": True}]), 409, "LIMIT_EXCEEDED")
    # Checkout counts too.
    srv.select(u, 4, fresh_number())
    expect_error(srv.checkout(u), 409, "LIMIT_EXCEEDED")
    assert len(srv.cart(u)) == 1
    assert srv.balance(u) == 7000
    assert len(srv.my_tickets(u)) == 3
    # The limit is per user.
    v = new_user()
    srv.deposit(v, 5000)
    expect_error(srv.buy(v, [{"group": 0, "number": fresh_number()}]), 409, "LIMIT_EXCEEDED")
    assert srv.buy(v, [{"group": g, "number": fresh_number()} for g in (1, 2, 3)]).status_code == 201
    srv.assert_money_conserved()


def test_max_selected_per_request(server):
    u = new_user()
    server.deposit(u, 30_000)
    expect_error(server.buy(u, [{"group": 1, "number": fresh_number()} for _ in range(21)]), 409, "MAX_SELECTED")
    expect_error(server.buy(u, [{"group": 0, "number": fresh_number()} for _ in range(5)]), 409, "MAX_SELECTED")
    expect_error(server.buy(u, [{"group": 2, "auto": True} for _ in range(101)]), 409, "MAX_SELECTED")
    assert server.balance(u) == 30_000 and server.my_tickets(u) == []
    r = server.buy(u, [{"group": 0, "number": fresh_number()} for _ in range(4)])
    assert r.status_code == 201, r.text
    assert_receipt(r.json(), 20, 10_000)


def test_purchase_duplicated_lists_the_sold_ones(server):
    a, b = new_user(), new_user()
    server.deposit(a, 5000)
    server.deposit(b, 5000)
    t1, t2, t3 = fresh_number(), fresh_number(), fresh_number()
    assert server.buy(a, [{"group": 1, "number": t1}, {"group": 5, "number": t3}]).status_code == 201
    body = expect_error(server.buy(b, [{"group": 1, "number": t1}, {"group": 2, "number": t2},
                                       {"group": 5, "number": t3}]), 409, "PURCHASE_DUPLICATED")
    assert body["errorMessage"] == "이미 구매된 번호입니다."
    assert sorted((t["group"], t["number"]) for t in body["tickets"]) == [(1, t1), (5, t3)]
    assert server.balance(b) == 5000 and server.my_tickets(b) == []
    # The unsold one was not taken by the failed request.
    assert server.buy(b, [{"group": 2, "number": t2}]).status_code == 201
    # Group 0 lists exactly the sold groups.
    body = expect_error(server.buy(b, [{"group": 0, "number": t1}]), 409, "PURCHASE_DUPLICATED")
    assert body["tickets"] == [{"group": 1, "number": t1}]


def test_ticket_held_by_another_buyer(server):
    holder, buyer = new_user(), new_user()
    server.deposit(buyer, 5000)
    n = fresh_number()
    assert server.select(holder, 3, n).status_code == 201
    body = expect_error(server.buy(buyer, [{"group": 3, "number": n}]), 409, "TICKET_HELD")
    assert body["errorCode"] == "TICKET_HELD"
    expect_error(server.buy(buyer, [{"group": 0, "number": n}]), 409, "TICKET_HELD")
    assert server.balance(buyer) == 5000 and server.my_tickets(buyer) == []
    # The holder itself may buy it directly.
    server.deposit(holder, 1000)
    assert server.buy(holder, [{"group": 3, "number": n}]).status_code == 201


def test_direct_purchase_leaves_the_buyers_cart(server):
    u = new_user()
    server.deposit(u, 6000)
    keep, take = fresh_number(), fresh_number()
    server.select(u, 1, keep)
    server.select(u, 0, take)
    assert len(server.cart(u)) == 6
    r = server.buy(u, [{"group": 2, "number": take}, {"group": 4, "number": take}])
    assert r.status_code == 201, r.text
    assert sorted((i["group"], i["number"]) for i in server.cart(u)) == sorted(
        [(1, keep), (1, take), (3, take), (5, take)])
    # The rest still checks out.
    r = server.checkout(u)
    assert r.status_code == 201, r.text
    assert_receipt(r.json(), 4, 0)
    assert server.cart(u) == []


def test_auto_never_picks_what_the_buyer_holds_in_its_cart(server):
    u = new_user()
    server.deposit(u, 20_000)
    for _ in range(5):
        server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": 5, "auto": True})
    in_cart = {(i["group"], i["number"]) for i in server.cart(u)}
    r = server.buy(u, [{"group": 5, "auto": True} for _ in range(15)])
    assert r.status_code == 201, r.text
    assert not in_cart & set(pairs(r.json()["tickets"]))
    assert len(server.cart(u)) == 5


BAD_PURCHASES = [
    ("no-tickets", {"round": ROUND}),
    ("empty-tickets", {"round": ROUND, "tickets": []}),
    ("tickets-object", {"round": ROUND, "tickets": {"group": 1, "number": "123456"}}),
    ("ticket-not-object", {"round": ROUND, "tickets": ["123456"]}),
    ("bad-number", {"round": ROUND, "tickets": [{"group": 1, "number": "12a456"}]}),
    ("one-bad-among-good", {"round": ROUND, "tickets": [{"group": 1, "number": "123456"}, {"group": 7, "number": "123456"}]}),
    ("no-digits", {"round": ROUND, "tickets": [{"group": 1}]}),
    ("same-ticket-twice", {"round": ROUND, "tickets": [{"group": 1, "number": "765432"}, {"group": 1, "number": "765432"}]}),
    ("group0-overlaps", {"round": ROUND, "tickets": [{"group": 0, "number": "765431"}, {"group": 2, "number": "765431"}]}),
    ("round-missing", {"tickets": [{"group": 1, "number": "123456"}]}),
    ("round-string", {"round": "343", "tickets": [{"group": 1, "number": "123456"}]}),
]


@pytest.mark.parametrize("name,body", BAD_PURCHASES, ids=[n for n, _ in BAD_PURCHASES])
def test_bad_direct_purchase_is_400_and_changes_nothing(server, name, body):
    u = new_user()
    server.deposit(u, 5000)
    expect_error(server.post("/api/v1/pension/purchases", user=u, json=body), 400, "INVALID_REQUEST")
    assert server.balance(u) == 5000 and server.my_tickets(u) == []


def test_wrong_round_is_time_out(server):
    u = new_user()
    server.deposit(u, 5000)
    for round_ in (ROUND - 1, ROUND + 1):
        expect_error(server.buy(u, [{"group": 1, "number": fresh_number()}], round_=round_), 409, "TIME_OUT")
    assert server.balance(u) == 5000


# --- Idempotency-Key -----------------------------------------------------------------------------

def test_idempotent_repeat_returns_the_same_and_charges_once(server):
    u = new_user()
    server.deposit(u, 10_000)
    tickets = [{"group": 1, "number": fresh_number()}, {"group": 2, "auto": True}]
    first = server.buy(u, tickets, key="order-1")
    assert first.status_code == 201, first.text
    for _ in range(3):
        again = server.buy(u, tickets, key="order-1")
        assert again.status_code == 201
        assert again.json() == first.json()
    assert server.balance(u) == 8000
    assert len(server.my_tickets(u)) == 2
    assert [t["kind"] for t in server.get("/api/v1/wallet/transactions", user=u).json()] == ["PURCHASE", "DEPOSIT"]


def test_idempotent_checkout_replays_after_the_cart_is_empty(server):
    u = new_user()
    server.deposit(u, 10_000)
    server.select(u, 0, fresh_number())
    first = server.checkout(u, key="cart-1")
    assert first.status_code == 201, first.text
    again = server.checkout(u, key="cart-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert server.balance(u) == 5000
    # Without the key an empty cart is an error again.
    expect_error(server.checkout(u), 400, "SELECT_NO_TICKET")


def test_idempotency_conflict(server):
    u = new_user()
    server.deposit(u, 10_000)
    n = fresh_number()
    assert server.buy(u, [{"group": 1, "number": n}], key="k-conflict").status_code == 201
    body = expect_error(server.buy(u, [{"group": 2, "number": n}], key="k-conflict"), 409, "IDEMPOTENCY_CONFLICT")
    assert body["errorMessage"]
    # The same key on the other purchase route is another request too.
    server.select(u, 3, n)
    expect_error(server.checkout(u, key="k-conflict"), 409, "IDEMPOTENCY_CONFLICT")
    assert server.balance(u) == 9000
    assert len(server.cart(u)) == 1


def test_failed_request_key_may_be_reused(server):
    u = new_user()
    n = fresh_number()
    expect_error(server.buy(u, [{"group": 1, "number": n}], key="retry-me"), 400, "NOT_ENOUGH_MONEY")
    server.deposit(u, 1000)
    r = server.buy(u, [{"group": 1, "number": n}], key="retry-me")
    assert r.status_code == 201, r.text
    assert server.balance(u) == 0
    # And a key whose request failed on a conflict may carry a different request later.
    v = new_user()
    server.deposit(v, 2000)
    expect_error(server.buy(v, [{"group": 1, "number": n}], key="k2"), 409, "PURCHASE_DUPLICATED")
    r = server.buy(v, [{"group": 2, "number": n}], key="k2")
    assert r.status_code == 201, r.text
    assert server.buy(v, [{"group": 2, "number": n}], key="k2").json() == r.json()
    assert server.balance(v) == 1000


def test_idempotency_keys_are_per_user(server):
    a, b = new_user(), new_user()
    server.deposit(a, 1000)
    server.deposit(b, 1000)
    ra = server.buy(a, [{"group": 1, "number": fresh_number()}], key="shared-key")
    rb = server.buy(b, [{"group": 1, "number": fresh_number()}], key="shared-key")
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["purchaseId"] != rb.json()["purchaseId"]
    assert server.balance(a) == server.balance(b) == 0


# --- reads --------------------------------------------------------------------------------------

def test_purchased_list_shape_and_default_round(server):
    u = new_user()
    server.deposit(u, 3000)
    n = fresh_number()
    receipt = server.buy(u, [{"group": 1, "number": n}, {"group": 2, "number": n}]).json()
    rows = server.my_tickets(u, ROUND)
    assert len(rows) == 2
    for row in rows:
        assert set(row) >= {"ticketId", "userId", "round", "group", *DIGIT_NAMES, "number", "createAt", "result",
                            "drawDate"}
        assert row["userId"] == u and row["round"] == ROUND and row["result"] == 0 and row["drawDate"] is None
        assert row["createAt"].endswith("+09:00")
        assert_ticket(row, number=n)
    assert sorted(r["ticketId"] for r in rows) == sorted(t["ticketId"] for t in receipt["tickets"])
    default = server.get("/api/v1/pension/purchased", user=u)
    assert default.status_code == 200 and default.json() == rows
    assert server.my_tickets(u, ROUND - 1) == []
    expect_error(server.get("/api/v1/pension/purchased?round=abc", user=u), 400, "INVALID_REQUEST")
    expect_error(server.get("/api/v1/pension/purchased?round=0", user=u), 400, "INVALID_REQUEST")
    # History across rounds carries groupNum.
    hist = server.get("/api/v1/pension", user=u).json()
    assert len(hist) == 2 and all(h["groupNum"] == h["group"] and h["result"] == 0 for h in hist)
    assert len(server.get("/api/v1/pension?result=0", user=u).json()) == 2
    assert server.get("/api/v1/pension?result=-1", user=u).json() == []
    assert server.get("/api/v1/pension?result=3", user=u).json() == []
    expect_error(server.get("/api/v1/pension?result=abc", user=u), 400, "INVALID_REQUEST")


def test_all_buyers_for_admin_only(server):
    a, b = new_user(), new_user()
    for x in (a, b):
        server.deposit(x, 1000)
        assert server.buy(x, [{"group": 4, "number": fresh_number()}]).status_code == 201
    r = server.get(f"/api/v1/pension/purchased?round={ROUND}&all=true", user="boss", admin=True)
    assert r.status_code == 200
    owners = {row["userId"] for row in r.json()}
    assert {a, b} <= owners
    assert len(r.json()) == server.sql("SELECT COUNT(*) FROM tickets WHERE round = ?", (ROUND,))[0][0]
    expect_error(server.get(f"/api/v1/pension/purchased?round={ROUND}&all=true", user=a), 403, "FORBIDDEN")
    # all=false is the caller's own list.
    r = server.get(f"/api/v1/pension/purchased?round={ROUND}&all=false", user=a)
    assert {row["userId"] for row in r.json()} == {a}


def test_money_is_conserved_after_this_module(server):
    server.assert_money_conserved()
