"""Sluice on the real broker for this package's tests (see tests/support/kafka_stack.py)."""

from tests.support.kafka_stack import kafka_stack

__all__ = ["kafka_stack"]
