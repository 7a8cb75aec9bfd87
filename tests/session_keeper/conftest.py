"""Fixtures of the session-keeper tests."""

from tests.support.collect import backend

__all__ = ["backend"]
