"""The egress door, pure: proxy URLs, where a gateway URL points, the expected-IP verdict."""

from __future__ import annotations

import pytest

from sluice_order_router.domain.egress import (
    EgressConfigError,
    egress_verdict,
    gateway_url_problem,
    is_local,
    parse_proxy,
)

PASSWORD = "p/a#s?s@w0rd"


def fragments(secret: str, size: int = 3) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def test_proxy_url_is_normalised_to_socks5h_and_displayed_without_credentials() -> None:
    proxy = parse_proxy("socks5://alice:s3cret@shield.example:1080")
    assert proxy.url == "socks5h://alice:s3cret@shield.example:1080"
    assert proxy.display == "socks5h://***@shield.example:1080"
    assert set(proxy.secrets) == {"alice", "s3cret"}


def test_a_percent_encoded_password_is_accepted() -> None:
    proxy = parse_proxy("socks5h://user:p%2Fa%23s%3Fs%40w0rd@shield.example:9293")
    assert proxy.display == "socks5h://***@shield.example:9293"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("http://u:topsecret@h:80", "socks5h://"),
        ("socks5h://u:topsecret@h", "no port"),
        ("h:1080", "socks5h://"),
        (f"socks5h://user:{PASSWORD}@shield.example:9293", "percent-encode"),
        ("socks5h://user:top@secret@shield.example:9293", "more than one @"),
        ("socks5h://user:topsecret@shield.example:99999", "1-65535"),
        ("socks5h://user:topsecret@:9293", "no host"),
    ],
)
def test_unusable_proxy_urls_are_refused_without_echoing_secrets(raw: str, said: str) -> None:
    with pytest.raises(EgressConfigError) as info:
        parse_proxy(raw)
    message = str(info.value)
    assert said in message
    assert not {f for f in fragments(PASSWORD) | fragments("topsecret") if f in message}


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.0.0.1", "::1", "client-portal", "cp.sluice.svc", "cp.ns.svc.cluster.local",
     "10.0.0.7"],
)  # fmt: skip
def test_local_and_cluster_names_are_local(host: str) -> None:
    assert is_local(host)


@pytest.mark.parametrize("host", ["api.ibkr.com", "cp.shield.test", "34.120.1.2"])
def test_public_names_are_not_local(host: str) -> None:
    assert not is_local(host)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://api.ibkr.com/v1/api", None),
        ("https://localhost:5000/v1/api", None),
        ("http://127.0.0.1:5000/v1/api", None),
        ("http://api.ibkr.com/v1/api", "must use https"),
        ("ftp://api.ibkr.com/v1/api", "https://"),
        ("https://api.ibkr.com:70000/v1/api", "1-65535"),
        ("https://api.ibkr.com:port/v1/api", "1-65535"),
        ("api.ibkr.com/v1/api", "https://"),
    ],
)
def test_gateway_urls(url: str, problem: str | None) -> None:
    found = gateway_url_problem(url)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_egress_verdicts() -> None:
    pair = ("1.2.3.4", "5.6.7.8")
    assert egress_verdict("5.6.7.8", pair, source="IBKR").status == "ok"
    mismatch = egress_verdict("9.9.9.9", pair, source="IBKR")
    assert (mismatch.status, mismatch.holds) == ("mismatch", True)
    assert "9.9.9.9" in mismatch.message and "1.2.3.4, 5.6.7.8" in mismatch.message
    unknown = egress_verdict(None, pair, source="IBKR", failure="proxy down")
    assert (unknown.status, unknown.holds) == ("unknown", True)
    free = egress_verdict(None, (), source="IBKR", failure="gateway unreachable")
    assert (free.status, free.holds) == ("unknown", False)
    assert not egress_verdict("9.9.9.9", (), source="IBKR").holds
