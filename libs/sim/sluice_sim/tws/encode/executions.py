"""Execution and commission messages."""

from __future__ import annotations

from sluice_sim.tws.fields import Fields, contract, message
from sluice_sim.venue import Execution, Instrument

NO_REQUEST = -1


def exec_time(execution: Execution) -> str:
    return execution.time.strftime("%Y%m%d %H:%M:%S UTC")


def exec_details(req_id: int, execution: Execution, inst: Instrument) -> Fields:
    """execDetails; ``req_id`` is -1 for a live fill."""
    e = execution
    return [
        *message(11, req_id, e.order_id),
        *contract(inst, exchange=e.exchange),
        *message(
            e.exec_id,
            exec_time(e),
            e.account,
            e.exchange,
            e.side,
            e.shares,
            e.price,
            e.perm_id,
            e.client_id,
            0,  # liquidation
            e.cum_qty,
            e.avg_price,
            e.order_ref,
            "",  # evRule
            "",  # evMultiplier
            "",  # modelCode
            2,  # lastLiquidity: removed liquidity
        ),
    ]


def exec_details_end(req_id: int) -> Fields:
    return message(55, 1, req_id)


def commission_report(execution: Execution) -> Fields:
    return message(
        59,
        1,
        execution.exec_id,
        execution.commission,
        execution.commission_currency,
        execution.realized_pnl,
        None,  # yield
        None,  # yieldRedemptionDate
    )
