"""Risk over HTTP: positions and PnL for anyone, the kill switch for holders of the admin token."""

from __future__ import annotations

import hmac
from typing import Annotated

import msgspec
from fastapi import APIRouter, Body, Header, HTTPException, Response, status
from pydantic import BaseModel

from sluice_proto import KillSwitch, Resume
from sluice_proto.control import ALL_ACCOUNTS
from sluice_proto.topics import CONTROL
from sluice_risk.domain import views
from sluice_risk.service import RiskService

OPERATOR = "http"


class ControlRequest(BaseModel):
    """Which account (``*`` for all) and why; both optional."""

    account: str = ALL_ACCOUNTS
    reason: str = ""


def _json(value: object, code: int = status.HTTP_200_OK) -> Response:
    return Response(msgspec.json.encode(value), code, media_type="application/json")


def risk_routes(service: RiskService) -> APIRouter:
    """Positions, PnL and kill-switch state (GET); the kill switch and resume (POST)."""
    router = APIRouter()

    def authorise(authorization: str | None) -> None:
        if service.admin_token is None:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "kill switch endpoint disabled: SLUICE_RISK_ADMIN_TOKEN is not set "
                "(use the sluice.control.v1 topic, or set the token and restart)",
            )
        expected = f"Bearer {service.admin_token.get_secret_value()}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @router.get("/positions")
    async def positions(account: str | None = None) -> Response:
        return _json(views.positions(service.state, service.clock(), account))

    @router.get("/pnl")
    async def pnl() -> Response:
        return _json(views.pnl(service.state, service.clock()))

    @router.get("/kill-switch")
    async def kill_status() -> Response:
        return _json({"killed": service.state.kills})

    @router.get("/exposure")
    async def exposure(account: str) -> Response:
        """Gross exposure as the checks count it, with the orders placed outside Sluice."""
        gross, foreign = service.engine.exposure(account)
        working = len(service.state.orders.open_orders(account)) + len(foreign)
        return _json(
            {
                "account": account,
                "gross_exposure": gross,
                "open_orders": working,
                "foreign_orders": foreign,
            }
        )

    @router.get("/status")
    async def halts() -> Response:
        """Every reason an account may not trade on risk's side: kill switches and drift."""
        return _json({"killed": service.state.kills, "position_drift": service.state.broker.halts})

    @router.post("/kill-switch", status_code=status.HTTP_202_ACCEPTED)
    async def kill(
        request: Annotated[ControlRequest | None, Body()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        authorise(authorization)
        command = request or ControlRequest()
        event = KillSwitch(account=command.account, operator=OPERATOR, reason=command.reason)
        # New orders stop now; the cancels follow when the command comes back off the topic,
        # in the decision stream like every other decision.
        service.state.on_control(event)
        await _publish(service, event)
        return _json({"account": event.account, "kill_switch": "on"}, status.HTTP_202_ACCEPTED)

    @router.post("/resume", status_code=status.HTTP_202_ACCEPTED)
    async def resume(
        request: Annotated[ControlRequest | None, Body()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        authorise(authorization)
        command = request or ControlRequest()
        event = Resume(account=command.account, operator=OPERATOR, reason=command.reason)
        # Unlike the kill, a resume takes effect only once it is durable on the topic.
        await _publish(service, event)
        return _json(
            {"account": event.account, "kill_switch": "resuming"}, status.HTTP_202_ACCEPTED
        )

    return router


async def _publish(service: RiskService, event: KillSwitch | Resume) -> None:
    try:
        await service.bus.publish(CONTROL, event, key=event.account)
    except Exception as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"could not publish the command to {CONTROL}: {type(exc).__name__}",
        ) from exc
