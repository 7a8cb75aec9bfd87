"""Venue errors. Each carries the IBKR error code a gateway would report for it."""

from __future__ import annotations


class VenueError(Exception):
    """A request the venue refuses; ``code`` is IBKR's error code for it."""

    code: int = 0

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class InvalidRequestError(VenueError):
    """An incomplete or malformed request (IBKR 321)."""

    code = 321


class UnknownContractError(VenueError):
    """No security definition matches the request (IBKR 200)."""

    code = 200


class DuplicateOrderIdError(VenueError):
    """An order id this client already used for a finished order (IBKR 103)."""

    code = 103


class OrderRejectedError(VenueError):
    """The venue rejects the order (IBKR 201)."""

    code = 201


class OrderNotFoundError(VenueError):
    """A cancel or modify for an order that is not working (IBKR 10147)."""

    code = 10147


class CancelRefusedError(VenueError):
    """A cancel for an order IBKR knows but that is already final (IBKR 10148)."""

    code = 10148


class FilledOrderError(VenueError):
    """A modify of an order that has filled (IBKR 104, "Can't modify a filled order")."""

    code = 104
