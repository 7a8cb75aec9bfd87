"""The REST tests share the egress tests' Shield stand-in fixture."""

from tests.egress.conftest import shield

__all__ = ["shield"]
