"""Sluice on the real broker while this package's tests run (tests/support/kafka_stack.py)."""

from tests.support.kafka_stack import kafka_stack

__all__ = ["kafka_stack"]
