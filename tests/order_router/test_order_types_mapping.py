"""How each order type, time in force and bracket leaves the router, on both paths (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sluice_order_router.adapters.rest import parsing
from sluice_order_router.adapters.socket.mapping import to_order
from sluice_order_router.domain.brackets import legs
from sluice_proto.order_terms import child_order_id
from tests.support.orders import approved

D = Decimal
GOOD_TILL = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("terms", "socket", "rest"),
    [
        pytest.param(
            {"order_type": "TRAIL", "side": "SELL", "trailing_amount": D("1.5")},
            {"orderType": "TRAIL", "auxPrice": 1.5},
            {"orderType": "TRAIL", "trailingAmt": 1.5, "trailingType": "amt"},
            id="trail-by-amount",
        ),
        pytest.param(
            {
                "order_type": "TRAIL",
                "side": "SELL",
                "trailing_percent": D(2),
                "trail_stop_price": D(95),
            },
            {"orderType": "TRAIL", "trailingPercent": 2.0, "trailStopPrice": 95.0},
            {"orderType": "TRAIL", "trailingAmt": 2.0, "trailingType": "%", "price": 95.0},
            id="trail-by-percent",
        ),
        pytest.param(
            {"order_type": "STP", "side": "SELL", "stop_price": D(95)},
            {"orderType": "STP", "auxPrice": 95.0},
            {"orderType": "STP", "price": 95.0},
            id="stop",
        ),
        pytest.param(
            {"order_type": "STP_LMT", "side": "SELL", "stop_price": D(95), "limit_price": D(94)},
            {"orderType": "STP LMT", "auxPrice": 95.0, "lmtPrice": 94.0},
            {"orderType": "STOP_LIMIT", "auxPrice": 95.0, "price": 94.0},
            id="stop-limit",
        ),
        pytest.param(
            {
                "order_type": "TRAIL_LIMIT",
                "side": "SELL",
                "trailing_amount": D(1),
                "trail_stop_price": D(95),
                "limit_price_offset": D("0.25"),
            },
            {
                "orderType": "TRAIL LIMIT",
                "auxPrice": 1.0,
                "trailStopPrice": 95.0,
                "lmtPriceOffset": 0.25,
            },
            {"orderType": "TRAILLMT", "trailingAmt": 1.0, "auxPrice": 95.0, "price": 94.75},
            id="trail-limit",
        ),
        pytest.param({"order_type": "MOC"}, {"orderType": "MOC"}, {"orderType": "MOC"}, id="moc"),
        pytest.param(
            {"order_type": "LOC", "limit_price": D(101)},
            {"orderType": "LOC", "lmtPrice": 101.0},
            {"orderType": "LOC", "price": 101.0},
            id="loc",
        ),
        pytest.param(
            {"order_type": "LMT", "limit_price": D(99), "tif": "OPG", "outside_rth": True},
            {"tif": "OPG", "outsideRth": True},
            {"tif": "OPG", "outsideRTH": True},
            id="opg-outside-rth",
        ),
    ],
)
def test_order_terms_on_both_paths(
    terms: dict[str, object], socket: dict[str, object], rest: dict[str, object]
) -> None:
    order = approved("c1", **terms)
    ib_order = to_order(order)
    assert {k: getattr(ib_order, k) for k in socket} == socket
    assert (ib_order.orderRef, ib_order.transmit, ib_order.parentId) == ("c1", True, 0)
    item = parsing.order_item(order, 265598)
    assert {k: item[k] for k in rest} == rest
    assert item["cOID"] == "c1"


def test_gtd_and_oca_reach_the_socket_path() -> None:
    order = approved("c1", order_type="LMT", limit_price=D(99), tif="GTD", good_till=GOOD_TILL,
                     oca_group="pair", oca_type=2)  # fmt: skip
    ib_order = to_order(order)
    assert (ib_order.tif, ib_order.goodTillDate) == ("GTD", "20261204-21:30:00")
    assert (ib_order.ocaGroup, ib_order.ocaType) == ("pair", 2)


@pytest.mark.parametrize(
    "terms",
    [
        {"order_type": "LMT", "limit_price": D(99), "tif": "GTD", "good_till": GOOD_TILL},
        {"oca_group": "pair"},
        {"order_type": "TRAIL_LIMIT", "trailing_amount": D(1), "limit_price_offset": D(1)},
    ],
)
def test_what_the_web_api_cannot_express_is_refused_not_bent(terms: dict[str, object]) -> None:
    with pytest.raises(parsing.UnsupportedOnWebApiError):
        parsing.order_item(approved("c1", **terms), 265598)


def test_a_bracket_is_its_parent_then_take_profit_then_stop_loss() -> None:
    parent = approved("p", order_type="LMT", limit_price=D(100), take_profit=D(110),
                      stop_loss=D(95), tif="GTC", outside_rth=True)  # fmt: skip
    tp, sl = legs(parent)[1:]
    assert legs(parent)[0] is parent
    shown = [
        (c.client_order_id, c.side, c.order_type, c.limit_price, c.stop_price) for c in (tp, sl)
    ]
    assert shown == [
        (child_order_id("p", "tp"), "SELL", "LMT", D(110), None),
        (child_order_id("p", "sl"), "SELL", "STP", None, D(95)),
    ]  # fmt: skip
    assert {(c.tif, c.outside_rth, c.parent_client_order_id) for c in (tp, sl)} == {
        ("GTC", True, "p")
    }
    plain = approved("plain")
    assert legs(plain) == [plain]


def test_a_bracket_on_the_socket_path_transmits_with_its_last_child() -> None:
    bracket = legs(approved("p", order_type="LMT", limit_price=D(100), take_profit=D(110),
                            stop_loss=D(95)))  # fmt: skip
    ib_orders = [to_order(leg, 7 if i else 0, transmit=i == 2) for i, leg in enumerate(bracket)]
    assert [(o.parentId, o.transmit, o.orderType) for o in ib_orders] == [
        (0, False, "LMT"),
        (7, False, "LMT"),
        (7, True, "STP"),
    ]


def test_a_bracket_on_the_rest_path_is_one_list_linked_by_coid() -> None:
    bracket = legs(approved("p", order_type="LMT", limit_price=D(100), take_profit=D(110),
                            stop_loss=D(95)))  # fmt: skip
    body = parsing.bracket_body(bracket, 265598)
    assert [(o["cOID"], o.get("parentId"), o["side"]) for o in body["orders"]] == [
        ("p", None, "BUY"),
        (child_order_id("p", "tp"), "p", "SELL"),
        (child_order_id("p", "sl"), "p", "SELL"),
    ]
