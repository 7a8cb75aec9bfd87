"""``python -m sluice_order_router``: the router as a standalone process on Kafka."""

from __future__ import annotations

from sluice_order_router.bootstrap import build
from sluice_order_router.config import RouterSettings
from sluice_runtime.runner import run_service


def main() -> None:
    """Run until SIGTERM/SIGINT."""
    run_service("order-router", RouterSettings, build)


if __name__ == "__main__":
    main()
