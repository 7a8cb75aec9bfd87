"""`sluice up`'s stack puts every bus, the operator's too, on the settings it is given."""

from __future__ import annotations

from sluice_bus import KafkaBus
from sluice_cli.stack import LocalStack, StackConfig
from sluice_runtime import SluiceSettings


def test_the_stack_s_buses_follow_its_bus_settings() -> None:
    settings = SluiceSettings(kafka_bootstrap="127.0.0.1:1", partitions=7)

    stack = LocalStack(StackConfig(bus=settings))

    assert stack.services.bus_settings is settings
    assert isinstance(stack.operator, KafkaBus) and stack.operator.partitions == 7


def test_the_in_memory_stack_partitions_its_log_as_configured() -> None:
    settings = SluiceSettings(kafka_bootstrap=None, partitions=7)

    assert LocalStack(StackConfig(bus=settings)).broker.partitions == 7
