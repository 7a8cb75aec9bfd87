"""``httpx.Auth`` for IBKR's Web API: every request signed, the live session token kept fresh.

It is httpx's own auth-flow hook, so each request through ``CpClient`` is signed on the one code
path, and the token request itself goes out through the same client: the same
egress proxy, and paced by the same limiter through ``pace``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from datetime import UTC, datetime

import httpx

from sluice_runtime.redaction import redact

from ..errors import OAuthError
from . import dh, lst
from .credentials import OAuthCredentials
from .headers import lst_request_authorization, new_nonce, request_authorization

log = logging.getLogger(__name__)
LST_PATH = "/oauth/live_session_token"
Pace = Callable[[httpx.Request], Awaitable[None]]

# Answers to the token request the client maps like any other (refused source, rate limit,
# server trouble); every other non-200 is an OAuth refusal.
_MAPPED_BY_CLIENT = frozenset({403, 429})
_CARRIED_HEADERS = frozenset({"user-agent", "accept", "accept-encoding"})


async def _no_pace(_: httpx.Request) -> None:
    return None


class IbkrOAuth(httpx.Auth):
    """Signs with HMAC-SHA256 under the live session token; acquires the token when there is
    none, renews it at ``LiveSessionToken.renew_at`` (checked before each request), and after a
    401 acquires a new one and retries the request once before letting the 401 through.
    ``on_token`` is told of each new token (a lapsed session may be usable again)."""

    def __init__(
        self,
        credentials: OAuthCredentials,
        lst_url: str,
        *,
        pace: Pace = _no_pace,
        clock: Callable[[], float] = time.time,
        on_token: Callable[[], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self._lst_url = lst_url
        self._pace = pace
        self._on_token = on_token
        self._clock = clock
        self._token: lst.LiveSessionToken | None = None
        self._lock = asyncio.Lock()

    @property
    def token(self) -> lst.LiveSessionToken | None:
        """The current live session token (its value is kept out of ``repr``)."""
        return self._token

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("IbkrOAuth signs requests of an httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        refused: lst.LiveSessionToken | None = None
        for attempt in range(2):
            if attempt:
                await self._pace(request)  # the retry is a request of its own for the limits
            async with self._lock:  # one token request at a time; the others wait and reuse it
                if self._needs_token(refused):
                    a = dh.new_exponent()
                    token_request = self._token_request(request, a)
                    await self._pace(token_request)
                    answer = yield token_request
                    token = await self._accept(answer, a)
                    if token is None:
                        return  # CpClient maps this answer as it maps any other
                    self._token = token
                    if self._on_token is not None:
                        self._on_token()
                token = self._token
                assert token is not None
            self._sign(request, token.value)
            response = yield request
            if response.status_code != 401:
                return
            refused = token
            log.warning("OAuth: IBKR answered 401; acquiring a new live session token")

    def _needs_token(self, refused: lst.LiveSessionToken | None) -> bool:
        token = self._token
        return token is None or token is refused or self._clock() >= token.renew_at

    def _token_request(self, request: httpx.Request, a: int) -> httpx.Request:
        challenge = dh.challenge(self.credentials.dh_group, a)
        authorization = lst_request_authorization(
            self.credentials,
            self._lst_url,
            challenge,
            nonce=new_nonce(),
            timestamp=int(self._clock()),
        )
        # Built outside the client: carry over its default headers and the request's timeout.
        headers = {k: v for k, v in request.headers.items() if k in _CARRIED_HEADERS}
        headers["Authorization"] = authorization
        extensions = {k: v for k, v in request.extensions.items() if k == "timeout"}
        return httpx.Request("POST", self._lst_url, headers=headers, extensions=extensions)

    async def _accept(self, answer: httpx.Response, a: int) -> lst.LiveSessionToken | None:
        await answer.aread()
        status = answer.status_code
        if status in _MAPPED_BY_CLIENT or status >= 500:
            return None
        if status != 200:
            raise OAuthError(f"live session token refused: IBKR {status}: {_error_text(answer)}")
        try:
            token = lst.from_response(
                answer.json(),
                group=self.credentials.dh_group,
                a=a,
                prepend=self.credentials.prepend,
                consumer_key=self.credentials.consumer_key,
                now=self._clock(),
            )
        except ValueError as exc:  # includes LstResponseError and a body that is not JSON
            raise OAuthError(f"live session token unusable: {exc}") from None
        expires = datetime.fromtimestamp(token.expires_at, UTC).isoformat(timespec="seconds")
        log.info("OAuth: live session token acquired, valid until %s", expires)
        return token

    def _sign(self, request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = request_authorization(
            self.credentials,
            token,
            request.method,
            str(request.url),
            nonce=new_nonce(),
            timestamp=int(self._clock()),
        )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    return redact(str(error or response.text[:200] or response.reason_phrase))
