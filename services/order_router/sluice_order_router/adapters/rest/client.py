"""The HTTP client: pinned TLS, the egress door, the shared limiter, IBKR's error mapping.

Every request goes through ``request``, so none can skip the limiter or the proxy, and every
error text passes ``redact`` with the proxy credentials registered as secrets.
"""

from __future__ import annotations

import contextlib
import logging
import re
import ssl
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketUpgradeError, aconnect_ws

from sluice_order_router.domain.egress import EgressProxy, parse_proxy
from sluice_order_router.domain.topology import DEFAULT_BASE_URL
from sluice_order_router.ports import BrokerRejectedError, ExpiredUnsentError, NotConnectedError
from sluice_proto import utc_now
from sluice_runtime.redaction import redact, register_secrets
from sluice_runtime.tracing import instrument_httpx

from .errors import NoBridgeError, ProxyDownError, SessionLostError, SourceRefusedError
from .limiter import RateLimitedError, SharedLimiter
from .oauth import LST_PATH, IbkrOAuth, OAuthCredentials
from .settings import RestSettings

log = logging.getLogger(__name__)
_SOCKS_AUTH = re.compile(r"auth=.*$")
WS_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""A ``sor`` message lists every order of the day: more than httpx-ws's 64 KiB default."""


class _SocksAuthFilter(logging.Filter):
    """httpcore's DEBUG trace prints the SOCKS ``auth=(user, password)`` tuple: cut it off."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "auth=" in message:
            record.msg, record.args = _SOCKS_AUTH.sub("auth=***", message), None
        return True


def _guard_library_logs() -> None:
    socks_log = logging.getLogger("httpcore.socks")
    if not any(isinstance(f, _SocksAuthFilter) for f in socks_log.filters):
        socks_log.addFilter(_SocksAuthFilter())


def _verify(settings: RestSettings) -> ssl.SSLContext | bool:
    if settings.insecure:
        log.warning("IBKR_CP_INSECURE=true: the gateway's TLS certificate is NOT verified")
        return False
    if settings.ca_file is not None:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    return ssl.create_default_context()


def endpoint(method: str, path: str) -> str:
    """The limiter key of a request, e.g. ``"GET /iserver/account/orders"``."""
    return f"{method} {path.split('?', 1)[0]}"


class CpClient:
    """JSON over HTTPS to one Client Portal Gateway or IBKR's hosted Web API.

    With ``oauth`` (the hosted Web API) every request is signed by ``IbkrOAuth``, which also
    fetches the live session token through this same client, proxy and limiter, and calls
    ``on_token`` after each new one.
    """

    def __init__(
        self,
        settings: RestSettings,
        limiter: SharedLimiter,
        oauth: OAuthCredentials | None = None,
        *,
        on_token: Callable[[], None] | None = None,
    ) -> None:
        self.limiter = limiter
        raw_proxy = settings.proxy_url.get_secret_value() if settings.proxy_url else None
        self.proxy: EgressProxy | None = parse_proxy(raw_proxy) if raw_proxy else None
        if self.proxy is not None:
            register_secrets((*self.proxy.secrets, self.proxy.url))
            _guard_library_logs()
            log.info("egress: every IBKR request goes through %s", self.proxy.display)
        base_url = (settings.base_url or DEFAULT_BASE_URL["cpgateway"]).rstrip("/")
        self._base_path = httpx.URL(base_url).path
        auth = None
        if oauth is not None:
            auth = IbkrOAuth(oauth, f"{base_url}{LST_PATH}", pace=self._pace, on_token=on_token)
        instrument_httpx()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            verify=_verify(settings),
            proxy=self.proxy.url if self.proxy else None,
            # No environment proxies or NO_PROXY: the configured door is the only door.
            trust_env=False,
            timeout=settings.timeout_s,
        )
        self._penalty_s = settings.penalty_s

    async def close(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None,
        not_after: datetime | None = None,
    ) -> Any:  # fmt: skip
        """Send one request within the limits; the decoded JSON body, or a mapped error.
        ``ExpiredUnsentError``, unsent, when the limiter's turn comes at or after ``not_after``
        (an order's send deadline)."""
        await self.limiter.acquire(endpoint(method, path))
        if not_after is not None and utc_now() >= not_after:
            at = not_after.isoformat(timespec="milliseconds")
            raise ExpiredUnsentError(f"its turn at the rate limiter came after {at}: not sent")
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except (httpx.ProxyError, httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self._transport_error(exc) from None
        except httpx.TransportError as exc:
            raise NotConnectedError(redact(f"IBKR gateway unreachable: {exc!r}")) from None
        return self._decode(response)

    @contextlib.asynccontextmanager
    async def websocket(
        self, path: str, *, params: dict[str, str] | None, headers: dict[str, str]
    ) -> AsyncIterator[AsyncWebSocketSession]:
        """A WebSocket on the same httpx client: the same proxy, TLS, OAuth signer and limiter
        (the upgrade is a ``GET`` like any other). A refused upgrade maps like a request's
        answer; errors inside the ``async with`` are the caller's to catch."""
        await self.limiter.acquire(endpoint("GET", path))
        stack = contextlib.AsyncExitStack()
        try:
            ws: AsyncWebSocketSession = await stack.enter_async_context(
                aconnect_ws(
                    path,
                    self._http,
                    params=params,
                    headers=headers,
                    max_message_size_bytes=WS_MAX_MESSAGE_BYTES,
                )
            )
        except (httpx.ProxyError, httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self._transport_error(exc) from None
        except httpx.TransportError as exc:
            raise NotConnectedError(redact(f"IBKR gateway unreachable: {exc!r}")) from None
        except WebSocketUpgradeError as exc:
            with contextlib.suppress(httpx.HTTPError):
                await exc.response.aread()
            self._decode(exc.response)  # raises what an answer of that status means
            raise NotConnectedError(f"WebSocket refused: HTTP {exc.response.status_code}") from None
        async with stack:
            yield ws

    async def _pace(self, request: httpx.Request) -> None:
        """The limiter for a request the OAuth flow sends itself (token request, 401 retry)."""
        path = request.url.path.removeprefix(self._base_path)
        await self.limiter.acquire(endpoint(request.method, path))

    def _transport_error(self, exc: httpx.TransportError) -> NotConnectedError:
        text = redact(f"{type(exc).__name__}: {exc}")
        if self.proxy is not None:
            return ProxyDownError(f"egress proxy {self.proxy.display} unusable: {text}")
        return NotConnectedError(f"IBKR gateway unreachable: {text}")

    def _decode(self, response: httpx.Response) -> Any:
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = {"error": response.text[:200]}
        error = body.get("error") if isinstance(body, dict) else None
        text = redact(str(error or response.reason_phrase))
        if status == 429:
            retry = response.headers.get("Retry-After", "")
            self.limiter.penalize(float(retry) if retry.isdigit() else self._penalty_s)
            raise RateLimitedError(f"IBKR answered 429: penalty {self.limiter.penalty_left_s:.0f}s")
        if status == 401:
            raise SessionLostError(f"IBKR 401: {text}")
        if status == 403:
            raise SourceRefusedError(f"IBKR 403 (source address refused): {text}")
        if status == 400 and "no bridge" in text.lower():
            raise NoBridgeError("IBKR 400: no bridge (no brokerage session)")
        if status >= 500:
            raise NotConnectedError(f"IBKR {status}: {text}")
        if status >= 400:
            raise BrokerRejectedError(status, text)
        return body
