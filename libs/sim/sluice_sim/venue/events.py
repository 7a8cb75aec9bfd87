"""Events the venue emits to its listeners (a protocol adapter turns them into messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .orders import Execution, VenueOrder


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    """An order was accepted, modified, (partially) filled, cancelled or expired."""

    order: VenueOrder


@dataclass(frozen=True, slots=True)
class ExecutionOccurred:
    """An order filled (partly); emitted before the matching :class:`OrderStatusChanged`."""

    order: VenueOrder
    execution: Execution


VenueEvent = OrderStatusChanged | ExecutionOccurred
VenueListener = Callable[[VenueEvent], None]
