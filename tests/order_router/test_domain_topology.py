"""The topology rules, pure: every contradiction named, each with the variable to change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sluice_order_router.domain.topology import TopologyInput, check_topology, topology_of

WEBAPI = TopologyInput(
    api="webapi", proxy=True, egress_direct=False, expected_ip=True,
    base_url_host=None, oauth_dir="/keys", oauth_dir_exists=True,
)  # fmt: skip


def variables(given: TopologyInput) -> list[str]:
    return [variable for variable, _ in check_topology(given)]


def test_a_complete_webapi_set_up_passes() -> None:
    assert check_topology(WEBAPI) == []


def test_the_old_rest_name_is_cpgateway() -> None:
    assert topology_of("REST") == "cpgateway"
    assert topology_of("webapi") == "webapi"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"api": "socket"}, ["QUOTAGUARDSHIELD_URL"]),
        ({"api": "cpgateway"}, ["QUOTAGUARDSHIELD_URL"]),
        ({"base_url_host": "client-portal"}, ["QUOTAGUARDSHIELD_URL"]),
        ({"proxy": False}, ["QUOTAGUARDSHIELD_URL"]),
        ({"proxy": False, "egress_direct": True}, []),
        (
            {"proxy": False, "egress_direct": True, "expected_ip": False},
            ["SLUICE_EXPECTED_EGRESS_IP"],
        ),
        ({"egress_direct": True}, ["SLUICE_EGRESS_DIRECT"]),
        ({"oauth_dir": None}, ["IBKR_OAUTH_DIR"]),
        ({"oauth_dir_exists": False}, ["IBKR_OAUTH_DIR"]),
        ({"oauth_missing": ("dhparam.pem",)}, ["IBKR_OAUTH_DIR"]),
        ({"proxy": False, "oauth_dir": None}, ["QUOTAGUARDSHIELD_URL", "IBKR_OAUTH_DIR"]),
    ],
)
def test_each_contradiction_names_its_variable(
    change: dict[str, object], expected: list[str]
) -> None:
    assert variables(replace(WEBAPI, **change)) == expected  # type: ignore[arg-type]


def test_cpgateway_and_socket_without_a_proxy_pass_with_a_local_gateway() -> None:
    for api in ("cpgateway", "socket"):
        local = replace(WEBAPI, api=api, proxy=False, base_url_host="localhost")  # type: ignore[arg-type]
        assert check_topology(local) == []


def test_the_cpgateway_refusal_says_why() -> None:
    ((_, why),) = check_topology(replace(WEBAPI, api="cpgateway", base_url_host="localhost"))
    assert "opens its own connection to IBKR" in why
    assert "static-egress" in why
