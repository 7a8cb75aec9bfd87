"""Fixtures of the market-data tests."""

from tests.support.collect import backend

__all__ = ["backend"]
