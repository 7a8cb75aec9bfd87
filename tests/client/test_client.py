"""The client without a broker: validation, retries with the same record, no broker."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from sluice_client import BrokerUnavailableError, SluiceClient, client
from sluice_proto.codec import decode
from sluice_proto.topics import SIGNALS


class FlakyProducer:
    """Times out on the first send, then takes everything."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.calls = 0

    async def send_and_wait(self, topic: str, value: bytes, *, key: bytes, **_: Any) -> None:
        self.calls += 1
        if self.calls == 1:
            raise KafkaTimeoutError
        self.sent.append((topic, value, key))


async def test_a_publish_that_times_out_is_retried_with_the_same_signal_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client, "RETRY_PAUSE_S", 0)
    sluice = SluiceClient("127.0.0.1:9", "strat")
    producer = FlakyProducer()
    sluice._producer = producer

    signal = await sluice.signal("AAPL", "BUY", 3, order_type="LMT", limit_price="187.5")

    assert producer.calls == 2
    [(topic, value, key)] = producer.sent
    assert (topic, key) == (SIGNALS, b"strat")
    assert decode(SIGNALS, value) == signal


async def test_an_invalid_signal_is_refused_before_publishing() -> None:
    sluice = SluiceClient("127.0.0.1:9", "strat")
    with pytest.raises(ValueError, match="limit_price is required"):
        await sluice.signal("AAPL", "BUY", 3, order_type="LMT")


async def test_no_broker_is_one_clear_error() -> None:
    with pytest.raises(BrokerUnavailableError, match=r"no Kafka broker answers at 127\.0\.0\.1:9"):
        async with SluiceClient("127.0.0.1:9", "strat"):
            pass
