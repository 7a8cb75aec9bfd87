"""What the client raises: one exception type per thing a strategy can act on."""

from __future__ import annotations

from collections.abc import Sequence

from sluice_proto import Instrument


class SluiceClientError(RuntimeError):
    """Base of every error the client raises; the message is one line for people."""


class BrokerUnavailableError(SluiceClientError):
    """No Kafka broker answers at the bootstrap address."""


class TopicMissingError(SluiceClientError):
    """A Sluice topic does not exist yet: the stack has not been started on this cluster."""


class SubscriptionRejectedError(SluiceClientError):
    """Market-data refused a quote subscription (``reason_code`` as in the contract);
    ``candidates``: for ``AMBIGUOUS_INSTRUMENT``, the contracts that match (subscribe to one)."""

    def __init__(
        self, reason_code: str, message: str, candidates: Sequence[Instrument] = ()
    ) -> None:
        super().__init__(f"{reason_code}: {message}")
        self.reason_code = reason_code
        self.candidates = list(candidates)


class HistoryRefusedError(SluiceClientError):
    """Market-data gave no bars (``reason`` as in the contract: ``PACING``, ``TIMEOUT``, ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class MarketDataUnreachableError(SluiceClientError):
    """Nothing answers at market-data's HTTP address."""
