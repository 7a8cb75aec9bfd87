"""The control API over HTTP (FastAPI), for tests and operators outside the process."""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from sluice_sim.tws.control import TwsControl


class Flag(BaseModel):
    enabled: bool


class Pacing(BaseModel):
    msgs_per_s: int


class TrustedIps(BaseModel):
    ips: list[str] | None


class Count(BaseModel):
    count: int = Field(ge=0)


class Restore(BaseModel):
    data_lost: bool = True


class Restart(BaseModel):
    window: float | None = None


class Step(BaseModel):
    steps: int = 1


class Mid(BaseModel):
    con_id: int
    price: Decimal


class PositionChange(BaseModel):
    account: str
    symbol: str
    quantity: Decimal


def create_app(control: TwsControl) -> FastAPI:
    """Routes mirroring :class:`TwsControl`; bind it to loopback only."""
    app = FastAPI(title="sluice TWS simulator control")

    @app.get("/counters")
    def counters() -> dict[str, object]:
        return control.counters()

    @app.get("/orders/by-ref/{order_ref}")
    def orders_by_ref(order_ref: str) -> dict[str, int]:
        return {"count": control.orders_with_ref(order_ref)}

    @app.get("/orders/reused-ids")
    def reused_ids() -> dict[str, list[list[int]]]:
        return {"reused": [list(pair) for pair in control.reused_order_ids()]}

    @app.post("/faults/read-only")
    def read_only(body: Flag) -> None:
        control.set_read_only(body.enabled)

    @app.post("/faults/pacing")
    def pacing(body: Pacing) -> None:
        control.set_pacing(body.msgs_per_s)

    @app.post("/faults/trusted-ips")
    def trusted_ips(body: TrustedIps) -> None:
        control.set_trusted_ips(body.ips)

    @app.post("/faults/hold-acks")
    def hold_acks(body: Flag) -> None:
        control.hold_acks(body.enabled)

    @app.post("/faults/drop-orders")
    def drop_orders(body: Count) -> None:
        control.drop_orders(body.count)

    @app.post("/faults/connectivity/lose")
    def lose() -> None:
        control.lose_connectivity()

    @app.post("/faults/connectivity/restore")
    def restore(body: Restore) -> None:
        control.restore_connectivity(body.data_lost)

    @app.post("/restart")
    async def restart(body: Restart) -> None:
        control.server.spawn(control.restart(body.window))

    @app.post("/market/step")
    def step(body: Step) -> None:
        control.step(body.steps)

    @app.post("/positions/adjust")
    def adjust_position(body: PositionChange) -> None:
        control.adjust_position(body.account, body.symbol, body.quantity)

    @app.post("/market/mid")
    def mid(body: Mid) -> None:
        control.set_mid(body.con_id, body.price)

    return app
