"""``sluice doctor --api rest|webapi``: check a Client Portal Gateway or IBKR's hosted Web API.

The router's own REST adapter does the talking (``CpClient`` with its pinned TLS, egress proxy,
limiter and OAuth 1.0a signer; ``auth_command``, ``check_egress``, ``open_brokerage_session``),
so the doctor sees exactly what the router would. Checks: the credentials (webapi), the
brokerage session (webapi), reaching IBKR and the egress IP it sees (``/sso/validate``),
``/tickle``, authenticated / connected / competing (``/iserver/auth/status``) and the accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sluice_order_router.adapters.rest.client import CpClient
from sluice_order_router.adapters.rest.errors import (
    NoBridgeError,
    OAuthError,
    ProxyDownError,
    SessionLostError,
    SourceRefusedError,
)
from sluice_order_router.adapters.rest.limiter import RateLimitedError, SharedLimiter
from sluice_order_router.adapters.rest.oauth import (
    FILES,
    OAuthConfigError,
    OAuthCredentials,
    load_credentials,
)
from sluice_order_router.adapters.rest.session import (
    auth_command,
    check_egress,
    open_brokerage_session,
)
from sluice_order_router.adapters.rest.settings import RestSettings
from sluice_order_router.doctor_finding import Finding
from sluice_order_router.domain.topology import DEFAULT_BASE_URL
from sluice_order_router.ports import BrokerRejectedError, NotConnectedError
from sluice_proto.session import AuthStatusReport

RestApi = Literal["cpgateway", "webapi"]


@dataclass(frozen=True, slots=True)
class RestKnobs:
    """How each input was given (``sluice doctor``'s options and the variables they read)."""

    base_url: str = "--base-url / IBKR_CP_BASE_URL"
    ca_file: str = "--ca-file / IBKR_CP_CA_FILE"
    oauth_dir: str = "--oauth-dir / IBKR_OAUTH_DIR"
    expected_ip: str = "--expected-ip / SLUICE_EXPECTED_EGRESS_IP"
    account: str = "--account / IBKR_ACCOUNT"
    proxy: str = "QUOTAGUARDSHIELD_URL / SLUICE_EGRESS_PROXY_URL"


@dataclass(frozen=True, slots=True)
class RestTarget:
    """What to check: the router's REST settings for ``api``, and the account to expect."""

    api: RestApi
    settings: RestSettings
    account: str | None = None
    knobs: RestKnobs = RestKnobs()

    @property
    def base_url(self) -> str:
        return self.settings.base_url or DEFAULT_BASE_URL[self.api]


async def diagnose_rest(target: RestTarget) -> list[Finding]:
    """Run every check that can run; stops at the first that leaves nothing to talk to."""
    findings: list[Finding] = []
    oauth: OAuthCredentials | None = None
    if target.api == "webapi":
        loaded = _credentials(target)
        if isinstance(loaded, Finding):
            return [loaded]
        oauth = loaded
        findings.append(Finding("oauth credentials", True, f"consumer key {oauth.consumer_key}"))
    client = CpClient(target.settings, SharedLimiter(), oauth)
    try:
        findings += await _session_findings(client, target)
    finally:
        await client.close()
    return findings


def _credentials(target: RestTarget) -> OAuthCredentials | Finding:
    directory, knob = target.settings.oauth_dir, target.knobs.oauth_dir
    files = ", ".join(FILES)
    if directory is None:
        return Finding("oauth credentials", False, "no credentials directory given",
                       f"set {knob} to the directory holding {files}")  # fmt: skip
    try:
        return load_credentials(directory, target.settings.oauth_realm)
    except OAuthConfigError as exc:
        return Finding("oauth credentials", False, str(exc),
                       f"{knob} must hold IBKR's files: {files}")  # fmt: skip


async def _session_findings(client: CpClient, target: RestTarget) -> list[Finding]:
    findings: list[Finding] = []
    try:
        if target.api == "webapi":
            await open_brokerage_session(client)
            findings.append(Finding("brokerage session", True, "opened (ssodh/init)"))
        egress, failure = await check_egress(
            client, target.account or "", target.settings.expected_egress_ips
        )
        if failure is not None:
            raise failure
    except NotConnectedError as exc:
        return [*findings, _unreachable(exc, target)]
    findings.append(Finding("reach", True, f"IBKR answers at {target.base_url}"))
    tickle = await auth_command(client, target.account or "", "tickle")
    findings.append(_tickle(tickle))
    status = await auth_command(client, target.account or "", "auth_status")
    findings += _auth_findings(status, target)
    findings.append(await _accounts(client, target))
    fix = "" if egress.ok else (
        f"register the IP IBKR sees with IBKR, or fix {target.knobs.expected_ip}, or the "
        f"proxy ({target.knobs.proxy})"
    )  # fmt: skip
    findings.append(Finding("egress IP", egress.ok, egress.message, fix))
    return findings


def _unreachable(exc: NotConnectedError, target: RestTarget) -> Finding:
    knobs, text = target.knobs, str(exc)
    if isinstance(exc, ProxyDownError):
        fix = f"check the egress proxy ({knobs.proxy}): is it up, are its credentials right?"
    elif isinstance(exc, SourceRefusedError):
        fix = f"IBKR refused this source address: send through the registered IP ({knobs.proxy})"
    elif isinstance(exc, RateLimitedError):
        fix = "IBKR's penalty box (429): wait it out; retrying sooner prolongs it"
    elif isinstance(exc, OAuthError) or (
        isinstance(exc, SessionLostError) and target.api == "webapi"
    ):
        fix = f"IBKR refused the OAuth credentials: check the files in {knobs.oauth_dir}"
    elif isinstance(exc, SessionLostError):
        fix = f"log in to the Client Portal Gateway in a browser ({_login_page(target)})"
    elif isinstance(exc, NoBridgeError):
        fix = "no brokerage session: log in again (the router reopens it with ssodh/init)"
    elif "CERTIFICATE_VERIFY_FAILED" in text:
        fix = f"pin the gateway's certificate with {knobs.ca_file}"
    else:
        fix = f"start the Client Portal Gateway and check {knobs.base_url}"
    return Finding("reach", False, text, fix)


def _login_page(target: RestTarget) -> str:
    return target.base_url.removesuffix("/").removesuffix("/v1/api")


def _tickle(report: AuthStatusReport) -> Finding:
    if report.http_status != 200:
        return Finding("tickle", False, report.message or "no answer", "see 'reach' above")
    expires = f", SSO session expires in {report.sso_expires_s} s" if report.sso_expires_s else ""
    return Finding("tickle", True, f"answered{expires}")


def _auth_findings(report: AuthStatusReport, target: RestTarget) -> list[Finding]:
    if report.http_status != 200:
        return [Finding("auth status", False, report.message or "no answer")]
    if report.competing:
        login = "see 'competing' below"
    elif target.api == "cpgateway":
        login = f"log in again ({_login_page(target)})"
    else:
        login = f"check the OAuth credentials in {target.knobs.oauth_dir}"
    competing = (
        "log out of the other session (TWS, IBKR Mobile, another gateway), then reauthenticate"
    )
    return [
        Finding("authenticated", report.authenticated,
                "yes" if report.authenticated else "no", "" if report.authenticated else login),
        Finding("connected", report.connected, "yes" if report.connected else "no",
                "" if report.connected else "the gateway has no link to IBKR: log in again"),
        Finding("competing", not report.competing,
                "another session holds the brokerage session" if report.competing else "no",
                competing if report.competing else ""),
    ]  # fmt: skip


async def _accounts(client: CpClient, target: RestTarget) -> Finding:
    try:
        body: Any = await client.request("GET", "/iserver/accounts")
    except (NotConnectedError, BrokerRejectedError) as exc:
        return Finding("accounts", False, str(exc), "see the findings above")
    accounts = [str(a) for a in (body.get("accounts") or [])] if isinstance(body, dict) else []
    if target.account and target.account not in accounts:
        return Finding(
            "accounts", False, f"{target.account} is not in this session ({', '.join(accounts)})",
            f"set {target.knobs.account} to one of them",
        )  # fmt: skip
    return Finding("accounts", bool(accounts), ", ".join(accounts) or "none", "" if accounts else
                   "the session lists no account: log in with the trading user")  # fmt: skip
