"""The paper venue core shared by the TWS and Client Portal simulators.

It knows nothing about wire protocols: instruments, accounts, a seeded quote stream, a matching
engine and an order store, with events for listeners. Protocol servers translate.
"""

from .accounts import Account, Position
from .costs import CommissionModel, MarginModel
from .errors import (
    CancelRefusedError,
    DuplicateOrderIdError,
    FilledOrderError,
    InvalidRequestError,
    OrderNotFoundError,
    OrderRejectedError,
    UnknownContractError,
    VenueError,
)
from .events import ExecutionOccurred, OrderStatusChanged, VenueEvent, VenueListener
from .instruments import ContractQuery, Instrument, Universe, load_universe
from .orders import Execution, OrderSpec, OrderStatus, VenueOrder, WhatIf
from .quotes import Quote, QuoteBook
from .store import OrderStore
from .venue import PaperVenue, VenueConfig

__all__ = [
    "Account",
    "CancelRefusedError",
    "CommissionModel",
    "ContractQuery",
    "DuplicateOrderIdError",
    "Execution",
    "ExecutionOccurred",
    "FilledOrderError",
    "Instrument",
    "InvalidRequestError",
    "MarginModel",
    "OrderNotFoundError",
    "OrderRejectedError",
    "OrderSpec",
    "OrderStatus",
    "OrderStatusChanged",
    "OrderStore",
    "PaperVenue",
    "Position",
    "Quote",
    "QuoteBook",
    "Universe",
    "UnknownContractError",
    "VenueConfig",
    "VenueError",
    "VenueEvent",
    "VenueListener",
    "VenueOrder",
    "WhatIf",
    "load_universe",
]
