"""Each egress-topology contradiction stops the real router process at start: exit 2, one line
per problem (all of them at once), no traceback, nothing of a password echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sluice_order_router.domain.topology import OAUTH_FILES

ACCOUNT = "DU1234567"
PASSWORD = "p/a#s?s@w0rd"
OWN = ("IBKR_", "SLUICE_", "QUOTAGUARDSHIELD_", "TRADING_MODE")


def run_router(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN)}
    environment = {
        **clean,
        "SLUICE_KAFKA_BOOTSTRAP": "127.0.0.1:9",  # never reached: settings fail first
        "IBKR_ACCOUNT": ACCOUNT,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "sluice_order_router"], env=environment,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def refusal_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The stderr lines, after checking it is a clean configuration refusal."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("configuration error: ") for line in lines), lines
    return lines


def oauth_dir(tmp_path: Path, *present: str) -> Path:
    folder = tmp_path / "oauth"
    folder.mkdir()
    for name in present:
        (folder / name).write_text("x")
    return folder


def test_a_proxy_with_a_local_gateway_url_is_refused(tmp_path: Path) -> None:
    result = run_router(
        IBKR_API="webapi",
        IBKR_CP_BASE_URL="https://client-portal:5000/v1/api",
        QUOTAGUARDSHIELD_URL="socks5h://user:pw@shield.example:9293",
        IBKR_OAUTH_DIR=str(oauth_dir(tmp_path, *OAUTH_FILES)),
    )
    (line,) = refusal_lines(result)
    assert "cannot reach the local or cluster-internal gateway host 'client-portal'" in line


def test_a_proxy_with_cpgateway_is_refused_with_the_reason() -> None:
    result = run_router(
        IBKR_API="cpgateway", SLUICE_EGRESS_PROXY_URL="socks5h://user:pw@shield.example:9293"
    )
    (line,) = refusal_lines(result)
    assert "QUOTAGUARDSHIELD_URL" in line
    assert "opens its own connection to IBKR" in line


def test_the_old_rest_name_still_means_cpgateway() -> None:
    result = run_router(IBKR_API="rest", QUOTAGUARDSHIELD_URL="socks5h://u:pw@shield.example:1")
    (line,) = refusal_lines(result)
    assert "IBKR_API=cpgateway never proxies" in line


def test_a_malformed_proxy_url_leaks_no_fragment_of_its_password() -> None:
    result = run_router(
        IBKR_API="webapi",
        QUOTAGUARDSHIELD_URL=f"socks5h://shield-user:{PASSWORD}@shield.example:9293",
        SLUICE_EXPECTED_EGRESS_IP="203.0.113.7",
    )
    lines = refusal_lines(result)
    assert any("percent-encode" in line and "QUOTAGUARDSHIELD_URL" in line for line in lines)
    output = result.stderr + result.stdout
    leaked = [
        PASSWORD[i : i + 3] for i in range(len(PASSWORD) - 2) if PASSWORD[i : i + 3] in output
    ]
    assert not leaked


def test_a_proxy_url_without_a_port_is_refused() -> None:
    result = run_router(
        IBKR_API="webapi", QUOTAGUARDSHIELD_URL="socks5h://u:secretpw@shield.example"
    )
    lines = refusal_lines(result)
    assert any("has no port" in line for line in lines)
    assert "secretpw" not in result.stderr


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://gateway.example:5000/v1/api", "must use https"),
        ("https://localhost:99999/v1/api", "not a number 1-65535"),
        ("localhost:5000", "must be an https://host[:port]/v1/api URL"),
    ],
)
def test_a_bad_base_url_is_refused(url: str, said: str) -> None:
    (line,) = refusal_lines(run_router(IBKR_API="cpgateway", IBKR_CP_BASE_URL=url))
    assert line.startswith("configuration error: IBKR_CP_BASE_URL: ")
    assert said in line


def test_webapi_names_every_missing_oauth_file_in_one_line(tmp_path: Path) -> None:
    folder = oauth_dir(tmp_path, "consumer_key", "access_token", "dhparam.pem")
    result = run_router(
        IBKR_API="webapi",
        IBKR_OAUTH_DIR=str(folder),
        QUOTAGUARDSHIELD_URL="socks5h://u:pw@shield.example:9293",
    )
    (line,) = refusal_lines(result)
    assert line.startswith("configuration error: IBKR_OAUTH_DIR: ")
    assert "access_token_secret, private_signature.pem, private_encryption.pem" in line
    assert "consumer_key" not in line


def test_every_missing_variable_is_reported_at_once() -> None:
    result = run_router(IBKR_API="webapi", IBKR_ACCOUNT="", IBKR_CP_BASE_URL="ftp://x")
    lines = refusal_lines(result)
    named = {line.removeprefix("configuration error: ").split(":")[0] for line in lines}
    proxy = "QUOTAGUARDSHIELD_URL/SLUICE_EGRESS_PROXY_URL"
    assert named == {"IBKR_ACCOUNT", "IBKR_CP_BASE_URL", proxy, "IBKR_OAUTH_DIR"}
    assert len(lines) == 4
