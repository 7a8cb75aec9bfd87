"""What-if pricing: the margin and commission impact of an order, without placing it."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from .accounts import Account
from .costs import CommissionModel, MarginModel
from .instruments import Instrument, Universe
from .matching import executable_price
from .orders import OrderSpec, WhatIf
from .quotes import QuoteBook


class CostModels(Protocol):
    """The venue's commission and margin models (its ``VenueConfig``)."""

    @property
    def commission(self) -> CommissionModel: ...

    @property
    def margin(self) -> MarginModel: ...


class PricingView(Protocol):
    """What what-if pricing reads of a venue (``PaperVenue``), which calls it.

    Narrow on purpose, so this module never imports the venue back.
    """

    @property
    def quotes(self) -> QuoteBook: ...

    @property
    def universe(self) -> Universe: ...

    @property
    def config(self) -> CostModels: ...

    def marks(self) -> dict[int, Decimal]:
        """The mid price of every instrument."""
        ...


def what_if(spec: OrderSpec, inst: Instrument, account: Account, venue: PricingView) -> WhatIf:
    """Margin before/after and commission if ``spec`` filled in full at today's marks."""
    quote = venue.quotes.quote(inst.con_id)
    price = executable_price(spec, quote) or spec.limit_price or spec.stop_price or quote.last
    commission = venue.config.commission.commission(inst, spec.quantity, price)
    before = account.values(venue.universe, venue.marks(), venue.config.margin)
    held = account.positions.get(inst.con_id)
    quantity_after = (held.quantity if held else Decimal(0)) + spec.quantity * spec.sign
    mark = venue.marks()[inst.con_id]
    margin = venue.config.margin
    position_init = margin.initial(inst, held.quantity, mark) if held else Decimal(0)
    position_maint = margin.maintenance(inst, held.quantity, mark) if held else Decimal(0)
    init_change = margin.initial(inst, quantity_after, mark) - position_init
    maint_change = margin.maintenance(inst, quantity_after, mark) - position_maint
    equity = before["EquityWithLoanValue"]
    init_after = before["InitMarginReq"] + init_change
    warning = "" if init_after <= equity - commission else "Insufficient equity for this order"
    return WhatIf(
        init_margin_before=before["InitMarginReq"],
        maint_margin_before=before["MaintMarginReq"],
        equity_with_loan_before=equity,
        init_margin_change=init_change,
        maint_margin_change=maint_change,
        equity_with_loan_change=-commission,
        init_margin_after=init_after,
        maint_margin_after=before["MaintMarginReq"] + maint_change,
        equity_with_loan_after=equity - commission,
        commission=commission,
        commission_currency=inst.currency,
        warning=warning,
    )
