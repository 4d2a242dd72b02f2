"""The cart (selected numbers): selection forms, holds, limits and bad input."""
from datetime import datetime

import pytest

from conftest import CLOSED, ROUND, Server, assert_ticket, digits_of, expect_error, new_user

DIGIT_NAMES = ("first", "second", "third", "fourth", "fifth", "sixth")


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("closed"), "closed", now=CLOSED).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def nohold_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("nohold"), "nohold", env={"PENSION_HOLD_SECONDS": "0"}).start()
    yield srv
    srv.stop()


_numbers = iter(range(100_000, 999_999, 7919))


def fresh_number():
    """A six-digit number no other test of this module selects."""
    return f"{next(_numbers):06d}"


def assert_item(item, user, group, number=None, held=True):
    assert set(item) >= {"selectedNumberId", "userId", "round", "group", *DIGIT_NAMES, "number", "holdExpiresAt"}
    assert isinstance(item["selectedNumberId"], int)
    assert item["userId"] == user
    assert item["round"] == ROUND
    assert_ticket(item, group, number)
    if held:
        assert isinstance(item["holdExpiresAt"], str) and item["holdExpiresAt"].endswith("+09:00")
    else:
        assert item["holdExpiresAt"] is None


def cart_tickets(server, user):
    return sorted((i["group"], i["number"]) for i in server.cart(user))


def test_select_with_number(server):
    u, n = new_user(), fresh_number()
    now = datetime.fromisoformat(server.get("/api/v1/pension/rounds/current").json()["now"])
    r = server.select(u, 3, n)
    assert r.status_code == 201, r.text
    items = r.json()
    assert len(items) == 1
    assert_item(items[0], u, 3, n)
    # Held for ten minutes (the default).
    held_for = (datetime.fromisoformat(items[0]["holdExpiresAt"]) - now).total_seconds()
    assert 540 <= held_for <= 660, held_for
    cart = server.cart(u)
    assert cart == items


def test_select_with_first_to_sixth(server):
    u, n = new_user(), fresh_number()
    r = server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": 5, **digits_of(n)})
    assert r.status_code == 201, r.text
    assert_item(r.json()[0], u, 5, n)
    # Both forms together must agree.
    n2 = fresh_number()
    r = server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": 5, "number": n2, **digits_of(n2)})
    assert r.status_code == 201, r.text
    assert cart_tickets(server, u) == sorted([(5, n), (5, n2)])


def test_leading_zeros_are_kept(server):
    u = new_user()
    r = server.select(u, 1, "000007")
    assert r.status_code == 201, r.text
    item = r.json()[0]
    assert item["number"] == "000007"
    assert [item[k] for k in DIGIT_NAMES] == [0, 0, 0, 0, 0, 7]


def test_group_zero_selects_all_five_groups(server):
    u, n = new_user(), fresh_number()
    r = server.select(u, 0, n)
    assert r.status_code == 201, r.text
    items = r.json()
    assert sorted(i["group"] for i in items) == [1, 2, 3, 4, 5]
    for i in items:
        assert_item(i, u, i["group"], n)
    assert len({i["selectedNumberId"] for i in items}) == 5
    assert cart_tickets(server, u) == [(g, n) for g in range(1, 6)]


@pytest.mark.parametrize("group", [1, 2, 3, 4, 5])
def test_auto_in_a_group(server, group):
    u = new_user()
    r = server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": group, "auto": True})
    assert r.status_code == 201, r.text
    items = r.json()
    assert len(items) == 1
    assert_item(items[0], u, group)
    assert server.cart(u) == items


def test_auto_group_zero_gives_one_number_in_five_groups(server):
    u = new_user()
    r = server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": 0, "auto": True})
    assert r.status_code == 201, r.text
    items = r.json()
    assert sorted(i["group"] for i in items) == [1, 2, 3, 4, 5]
    assert len({i["number"] for i in items}) == 1
    # Auto picks are ordinary cart items: checkout buys them.
    server.deposit(u, 5000)
    r = server.checkout(u)
    assert r.status_code == 201, r.text
    assert sorted((t["group"], t["number"]) for t in r.json()["tickets"]) == sorted((i["group"], i["number"]) for i in items)


def test_auto_picks_differ_and_never_repeat_a_cart_item(server):
    u = new_user()
    for _ in range(10):
        r = server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": 4, "auto": True})
        assert r.status_code == 201, r.text
    tickets = cart_tickets(server, u)
    assert len(tickets) == 10 and len(set(tickets)) == 10


def test_select_duplicated(server):
    u, n = new_user(), fresh_number()
    assert server.select(u, 2, n).status_code == 201
    body = expect_error(server.select(u, 2, n), 409, "SELECT_DUPLICATED")
    assert body["errorMessage"] == "이미 선택한 번호입니다."
    # Group 0 overlapping one selected ticket: all or none.
    expect_error(server.select(u, 0, n), 409, "SELECT_DUPLICATED")
    assert cart_tickets(server, u) == [(2, n)]


def test_ticket_held_by_another_user(server):
    a, b, n = new_user(), new_user(), fresh_number()
    assert server.select(a, 1, n).status_code == 201
    expect_error(server.select(b, 1, n), 409, "TICKET_HELD")
    # Group 0 touching the held ticket is refused as a whole.
    expect_error(server.select(b, 0, n), 409, "TICKET_HELD")
    assert server.cart(b) == []
    # Another group of the same digits is a different ticket.
    assert server.select(b, 2, n).status_code == 201
    # Once A removes it, the hold is released.
    item = server.cart(a)[0]
    assert server.delete(f"/api/v1/pension/selected/{item['selectedNumberId']}", user=a).status_code == 204
    r = server.select(b, 1, n)
    assert r.status_code == 201, r.text
    assert cart_tickets(server, b) == [(1, n), (2, n)]


def test_max_selected_beyond_twenty(server):
    u = new_user()
    numbers = [fresh_number() for _ in range(4)]
    for n in numbers:
        assert server.select(u, 0, n).status_code == 201  # 4 × 5 = 20
    assert len(server.cart(u)) == 20
    body = expect_error(server.select(u, 1, fresh_number()), 409, "MAX_SELECTED")
    assert body["errorMessage"] == "최대 구매 수량을 초과했습니다."
    expect_error(server.post("/api/v1/pension/selected", user=u, json={"round": ROUND, "group": 3, "auto": True}),
                 409, "MAX_SELECTED")
    assert len(server.cart(u)) == 20
    # Making room for one is not room for five.
    first = server.cart(u)[0]
    assert server.delete(f"/api/v1/pension/selected/{first['selectedNumberId']}", user=u).status_code == 204
    expect_error(server.select(u, 0, fresh_number()), 409, "MAX_SELECTED")
    assert len(server.cart(u)) == 19
    assert server.select(u, 1, fresh_number()).status_code == 201
    assert len(server.cart(u)) == 20


@pytest.mark.parametrize("round_", [ROUND - 1, ROUND + 1, 1, 100000])
def test_wrong_round_is_time_out(server, round_):
    u = new_user()
    body = expect_error(server.select(u, 1, fresh_number(), round_=round_), 409, "TIME_OUT")
    assert body["errorMessage"] == "지금은 선택/구매할 수 없습니다."
    assert server.cart(u) == []


def test_nothing_on_sale_is_time_out(closed_server):
    u = new_user()
    for round_ in (ROUND, ROUND + 1):
        expect_error(closed_server.select(u, 1, "123456", round_=round_), 409, "TIME_OUT")
        expect_error(closed_server.post("/api/v1/pension/selected", user=u,
                                        json={"round": round_, "group": 0, "auto": True}), 409, "TIME_OUT")
    assert closed_server.cart(u) == []


def test_purchase_duplicated_lists_the_sold_ticket(server):
    buyer, other, n = new_user(), new_user(), fresh_number()
    server.deposit(buyer, 1000)
    assert server.buy(buyer, [{"group": 4, "number": n}]).status_code == 201
    body = expect_error(server.select(other, 4, n), 409, "PURCHASE_DUPLICATED")
    assert body["tickets"] == [{"group": 4, "number": n}]
    # Group 0 lists only the sold one and selects nothing.
    body = expect_error(server.select(other, 0, n), 409, "PURCHASE_DUPLICATED")
    assert body["tickets"] == [{"group": 4, "number": n}]
    assert server.cart(other) == []
    # The buyer cannot select its own bought ticket either.
    expect_error(server.select(buyer, 4, n), 409, "PURCHASE_DUPLICATED")


def test_delete_one(server):
    u = new_user()
    n1, n2 = fresh_number(), fresh_number()
    i1 = server.select(u, 1, n1).json()[0]
    server.select(u, 1, n2)
    r = server.delete(f"/api/v1/pension/selected/{i1['selectedNumberId']}", user=u)
    assert r.status_code == 204
    assert r.content == b""
    assert cart_tickets(server, u) == [(1, n2)]
    expect_error(server.delete(f"/api/v1/pension/selected/{i1['selectedNumberId']}", user=u), 404, "NOT_FOUND")


@pytest.mark.parametrize("ident", ["999999999", "abc", "-1", "0", "1.5", "99999999999999999999999"])
def test_delete_unknown_id_is_404(server, ident):
    u = new_user()
    server.select(u, 2, fresh_number())
    expect_error(server.delete(f"/api/v1/pension/selected/{ident}", user=u), 404, "NOT_FOUND")
    assert len(server.cart(u)) == 1


def test_delete_someone_elses_is_404(server):
    a, b, n = new_user(), new_user(), fresh_number()
    item = server.select(a, 3, n).json()[0]
    expect_error(server.delete(f"/api/v1/pension/selected/{item['selectedNumberId']}", user=b), 404, "NOT_FOUND")
    assert cart_tickets(server, a) == [(3, n)]
    # And the hold of A survives.
    expect_error(server.select(b, 3, n), 409, "TICKET_HELD")


def test_delete_all(server):
    u, other = new_user(), new_user()
    n = fresh_number()
    server.select(u, 0, n)
    server.select(other, 1, fresh_number())
    r = server.delete("/api/v1/pension/selected", user=u)
    assert r.status_code == 204
    assert server.cart(u) == []
    assert len(server.cart(other)) == 1
    # Holds are released: someone else may select them now.
    assert server.select(other, 0, n).status_code == 201
    # Emptying an empty cart is fine.
    assert server.delete("/api/v1/pension/selected", user=u).status_code == 204


def test_carts_are_private(server):
    a, b = new_user(), new_user()
    server.select(a, 1, fresh_number())
    assert server.cart(b) == []


def test_holds_off(nohold_server):
    srv = nohold_server
    a, b, n = new_user(), new_user(), fresh_number()
    r = srv.select(a, 2, n)
    assert r.status_code == 201, r.text
    assert_item(r.json()[0], a, 2, n, held=False)
    r = srv.select(b, 2, n)
    assert r.status_code == 201, r.text
    assert_item(r.json()[0], b, 2, n, held=False)
    assert all(i["holdExpiresAt"] is None for i in srv.cart(a))
    # Whoever checks out first gets it; the other's checkout fails and changes nothing.
    srv.deposit(a, 1000)
    srv.deposit(b, 1000)
    assert srv.checkout(b).status_code == 201
    body = expect_error(srv.checkout(a), 409, "PURCHASE_DUPLICATED")
    assert body["tickets"] == [{"group": 2, "number": n}]
    assert srv.balance(a) == 1000
    assert cart_tickets(srv, a) == [(2, n)]
    # Direct purchase of a ticket in someone else's cart is allowed without holds.
    n2 = fresh_number()
    assert srv.select(a, 3, n2).status_code == 201
    assert srv.deposit(b, 1000) == 1000
    assert srv.buy(b, [{"group": 3, "number": n2}]).status_code == 201


BAD_SELECTIONS = [
    ("digit-10", {"round": ROUND, "group": 1, **{**digits_of("123456"), "first": 10}}),
    ("digit-a", {"round": ROUND, "group": 1, **{**digits_of("123456"), "second": "a"}}),
    ("digit-minus", {"round": ROUND, "group": 1, **{**digits_of("123456"), "sixth": -1}}),
    ("digit-float", {"round": ROUND, "group": 1, **{**digits_of("123456"), "third": 1.5}}),
    ("digit-string", {"round": ROUND, "group": 1, **{**digits_of("123456"), "third": "3"}}),
    ("five-digits", {"round": ROUND, "group": 1, **{k: v for k, v in digits_of("123456").items() if k != "sixth"}}),
    ("digits-disagree-with-number", {"round": ROUND, "group": 1, "number": "123456", **digits_of("123457")}),
    ("group-6", {"round": ROUND, "group": 6, "number": "123456"}),
    ("group-minus", {"round": ROUND, "group": -1, "number": "123456"}),
    ("group-string", {"round": ROUND, "group": "1", "number": "123456"}),
    ("group-float", {"round": ROUND, "group": 1.0, "number": "123456"}),
    ("group-missing", {"round": ROUND, "number": "123456"}),
    ("group-null", {"round": ROUND, "group": None, "number": "123456"}),
    ("number-5", {"round": ROUND, "group": 1, "number": "12345"}),
    ("number-7", {"round": ROUND, "group": 1, "number": "1234567"}),
    ("number-letter", {"round": ROUND, "group": 1, "number": "12a456"}),
    ("number-int", {"round": ROUND, "group": 1, "number": 123456}),
    ("number-sign", {"round": ROUND, "group": 1, "number": "+12345"}),
    ("number-space", {"round": ROUND, "group": 1, "number": " 12345"}),
    ("number-empty", {"round": ROUND, "group": 1, "number": ""}),
    ("number-fullwidth", {"round": ROUND, "group": 1, "number": "１２３４５６"}),
    ("number-arabic-indic", {"round": ROUND, "group": 1, "number": "١٢٣٤٥٦"}),
    ("number-long", {"round": ROUND, "group": 1, "number": "1" * 5000}),
    ("no-digits", {"round": ROUND, "group": 1}),
    ("auto-false-no-digits", {"round": ROUND, "group": 1, "auto": False}),
    ("auto-string", {"round": ROUND, "group": 1, "auto": "yes"}),
    ("round-missing", {"group": 1, "number": "123456"}),
    ("round-string", {"round": str(ROUND), "group": 1, "number": "123456"}),
    ("round-zero", {"round": 0, "group": 1, "number": "123456"}),
    ("round-huge", {"round": 1e30, "group": 1, "number": "123456"}),
    ("round-uint64", {"round": 2**64 - 1, "group": 1, "number": "123456"}),
    ("group-huge", {"round": ROUND, "group": 2**63, "number": "123456"}),
    ("digit-huge", {"round": ROUND, "group": 1, **{**digits_of("123456"), "first": 2**62}}),
]


@pytest.mark.parametrize("name,body", BAD_SELECTIONS, ids=[n for n, _ in BAD_SELECTIONS])
def test_bad_selection_is_400_and_cart_unchanged(server, name, body):
    u = new_user()
    keep = fresh_number()
    assert server.select(u, 1, keep).status_code == 201
    before = server.cart(u)
    expect_error(server.post("/api/v1/pension/selected", user=u, json=body), 400, "INVALID_REQUEST")
    assert server.cart(u) == before


@pytest.mark.parametrize("raw", [
    "",
    "{",
    '{"round": 343, "group": 1, "number": "123456"',
    "[]",
    '[{"round": 343, "group": 1, "number": "123456"}]',
    '"text"',
    "null",
    "343",
    '{"round": 343, "group": 1, "number": "123456"} trailing',
    '{"round": 343, "group": 1e400, "number": "123456"}',
    '{"round": 343, "group": 1, "first": 99999999999999999999999999, "second": 2, "third": 3,'
    ' "fourth": 4, "fifth": 5, "sixth": 6}',
])
def test_malformed_selection_body_is_400(server, raw):
    u = new_user()
    assert server.select(u, 1, fresh_number()).status_code == 201
    before = server.cart(u)
    r = server.post("/api/v1/pension/selected", user=u, data=raw.encode(), headers={"Content-Type": "application/json"})
    expect_error(r, 400, "INVALID_REQUEST")
    assert server.cart(u) == before


def test_unknown_fields_are_ignored(server):
    u, n = new_user(), fresh_number()
    r = server.post("/api/v1/pension/selected", user=u, json={
        "round": ROUND, "group": 2, "number": n, "color": "blue", "userId": "somebody-else",
        "selectedNumberId": 1, "holdExpiresAt": "never", "nested": {"deep": [1, 2, 3]}})
    assert r.status_code == 201, r.text
    assert_item(r.json()[0], u, 2, n)
    assert server.cart("somebody-else") == []
