"""The Sluice strategy client: signals, cancels and amends, order outcomes and quotes, over Kafka.

It needs only ``msgspec``, ``aiokafka`` and the wire contract (``sluice_proto``), whose event
types it re-exports, so a strategy imports everything from here::

    async with SluiceClient("localhost:9092", "my-strategy") as client:
        async with client.quotes("AAPL") as quotes:
            await anext(quotes)
        signal = await client.signal("AAPL", "BUY", 10)
        print(await client.outcome(signal))
"""

from sluice_client.client import SluiceClient
from sluice_client.errors import (
    BrokerUnavailableError,
    HistoryRefusedError,
    MarketDataUnreachableError,
    SluiceClientError,
    SubscriptionRejectedError,
    TopicMissingError,
)
from sluice_client.history import History, fetch_history
from sluice_client.quotes import QuoteStream
from sluice_proto import (
    CancelRejected,
    CancelRequest,
    Instrument,
    ModifyRequest,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderBrokerRejected,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderHeld,
    OrderParked,
    OrderPartiallyFilled,
    OrderRejected,
    OrderReleased,
    OrderSubmitted,
    OrderSubmitting,
    Quote,
    Signal,
    SignalDuplicate,
)
from sluice_proto.orders import final_status

__all__ = [
    "BrokerUnavailableError",
    "CancelRejected",
    "CancelRequest",
    "History",
    "HistoryRefusedError",
    "Instrument",
    "MarketDataUnreachableError",
    "ModifyRequest",
    "OrderAccepted",
    "OrderAmendRejected",
    "OrderAmended",
    "OrderBrokerRejected",
    "OrderCancelled",
    "OrderExpired",
    "OrderFilled",
    "OrderHeld",
    "OrderParked",
    "OrderPartiallyFilled",
    "OrderRejected",
    "OrderReleased",
    "OrderSubmitted",
    "OrderSubmitting",
    "Quote",
    "QuoteStream",
    "Signal",
    "SignalDuplicate",
    "SluiceClient",
    "SluiceClientError",
    "SubscriptionRejectedError",
    "TopicMissingError",
    "fetch_history",
    "final_status",
]
