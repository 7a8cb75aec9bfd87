"""Account, position, summary and time requests."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.tws.encode import account as enc
from sluice_sim.tws.encode.session import current_time
from sluice_sim.tws.fields import enc as text
from sluice_sim.tws.session import Session

ACCOUNT_TYPE = "INDIVIDUAL"


def _accounts(session: Session, account: str) -> list[str]:
    return [a for a in session.venue.accounts if not account or account in {a, "All"}]


def _positions(session: Session, account: str) -> list[tuple[int, Decimal, Decimal]]:
    """(conId, quantity, avgCost) of the open positions of ``account``."""
    venue = session.venue
    return [
        (p.con_id, p.quantity, p.avg_price * venue.universe.get(p.con_id).multiplier)
        for p in venue.accounts[account].positions.values()
        if p.quantity
    ]


def send_positions(session: Session) -> None:
    for account in session.venue.accounts:
        for con_id, qty, cost in _positions(session, account):
            inst = session.venue.universe.get(con_id)
            session.send(enc.position(account, inst, qty, cost))


def req_positions(session: Session, fields: list[str]) -> None:
    send_positions(session)
    session.send(enc.position_end())
    session.positions_subscribed = True


def cancel_positions(session: Session, fields: list[str]) -> None:
    session.positions_subscribed = False


def send_account(session: Session, account: str) -> None:
    """Account values, then the portfolio, then the download-end marker."""
    venue = session.venue
    session.send(enc.account_value("AccountCode", account, "", account))
    session.send(enc.account_value("AccountType", ACCOUNT_TYPE, "", account))
    for key, value in venue.account_values(account).items():
        session.send(enc.account_value(key, text(value), "USD", account))
    marks = venue.marks()
    for con_id, qty, cost in _positions(session, account):
        inst = venue.universe.get(con_id)
        mark = marks[con_id]
        unrealized = qty * mark * inst.multiplier - qty * cost
        realized = venue.accounts[account].positions[con_id].realized_pnl
        session.send(
            enc.portfolio(
                inst,
                account=account,
                position=qty,
                price=mark,
                avg_cost=cost,
                unrealized=unrealized,
                realized=realized,
            )
        )
    session.send(enc.account_time(venue.clock().strftime("%H:%M")))
    session.send(enc.account_download_end(account))


def req_account_updates(session: Session, fields: list[str]) -> None:
    subscribe, account = fields[2] == "1", fields[3] or session.venue.default_account
    if not subscribe:
        session.account_updates.discard(account)
        return
    session.account_updates.add(account)
    send_account(session, account)


def req_account_updates_multi(session: Session, fields: list[str]) -> None:
    req_id, account = int(fields[2]), fields[3]
    for acct in _accounts(session, account):
        for key, value in session.venue.account_values(acct).items():
            session.send(enc.account_update_multi(req_id, acct, key, text(value), "USD"))
    session.send(enc.account_update_multi_end(req_id))


def req_positions_multi(session: Session, fields: list[str]) -> None:
    req_id, account = int(fields[2]), fields[3]
    for acct in _accounts(session, account):
        for con_id, qty, cost in _positions(session, acct):
            inst = session.venue.universe.get(con_id)
            session.send(enc.position_multi(req_id, acct, inst, qty, cost))
    session.send(enc.position_multi_end(req_id))


def req_account_summary(session: Session, fields: list[str]) -> None:
    req_id, tags = int(fields[2]), set(fields[4].split(","))
    for acct in session.venue.accounts:
        if "AccountType" in tags:
            session.send(enc.account_summary(req_id, acct, "AccountType", ACCOUNT_TYPE, ""))
        for key, value in session.venue.account_values(acct).items():
            if key in tags:
                session.send(enc.account_summary(req_id, acct, key, text(value), "USD"))
    session.send(enc.account_summary_end(req_id))


def req_current_time(session: Session, fields: list[str]) -> None:
    session.send(current_time(int(session.venue.clock().timestamp())))


def send_pnl(session: Session, req_id: int, account: str) -> None:
    """The account's PnL. Daily PnL is realized plus unrealized: the simulated day starts
    flat, as the Client Portal simulator's ``spl`` ``dpl`` does."""
    values = session.venue.account_values(account)
    realized, unrealized = values["RealizedPnL"], values["UnrealizedPnL"]
    session.send(enc.pnl(req_id, realized + unrealized, unrealized, realized))


def req_pnl(session: Session, fields: list[str]) -> None:
    """reqPnL (92): reqId, account, modelCode. Answered at once, then after each fill; an
    account the user does not hold gets no answer, as at IBKR."""
    req_id, account = int(fields[1]), fields[2]
    if account in session.venue.accounts:
        session.pnl_requests[req_id] = account
        send_pnl(session, req_id, account)


def cancel_pnl(session: Session, fields: list[str]) -> None:
    session.pnl_requests.pop(int(fields[1]), None)


def on_fill(session: Session, account: str, con_id: int) -> None:
    """After a fill, push the changed position and account to the streams subscribed."""
    if session.positions_subscribed:
        inst = session.venue.universe.get(con_id)
        pos = session.venue.accounts[account].positions[con_id]
        cost = pos.avg_price * inst.multiplier
        session.send(enc.position(account, inst, pos.quantity, cost))
    if account in session.account_updates:
        send_account(session, account)
    for req_id, subscribed in list(session.pnl_requests.items()):
        if subscribed == account:
            send_pnl(session, req_id, account)
