"""Request handlers by TWS message id."""

from __future__ import annotations

from sluice_sim.tws.handlers import account, history, market, orders
from sluice_sim.tws.session import Handler

HANDLERS: dict[int, Handler] = {
    1: market.req_market_data,
    2: market.cancel_market_data,
    3: orders.place_order,
    4: orders.cancel_order,
    5: orders.req_open_orders,
    6: account.req_account_updates,
    7: orders.req_executions,
    8: orders.req_ids,
    9: market.req_contract_details,
    15: orders.ignore,  # reqAutoOpenOrders: client 0 already sees everything it may
    16: orders.req_all_open_orders,
    20: history.req_historical_data,
    49: account.req_current_time,
    58: orders.global_cancel,
    59: market.req_market_data_type,
    61: account.req_positions,
    62: account.req_account_summary,
    63: orders.ignore,  # cancelAccountSummary: summaries are one-shot here
    64: account.cancel_positions,
    74: account.req_positions_multi,
    75: orders.ignore,
    76: account.req_account_updates_multi,
    77: orders.ignore,
    92: account.req_pnl,
    93: account.cancel_pnl,
    99: orders.req_completed_orders,
}
