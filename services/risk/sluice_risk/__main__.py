"""``python -m sluice_risk``: the risk service as its own process on Kafka."""

from __future__ import annotations

from sluice_risk.bootstrap import build
from sluice_risk.config import RiskSettings
from sluice_runtime import run_service


def main() -> None:
    """Run until SIGTERM/SIGINT."""
    run_service("risk", RiskSettings, build)


if __name__ == "__main__":
    main()
