"""``python -m sluice_session_keeper``: the session-keeper as its own process on Kafka."""

from sluice_runtime import run_service
from sluice_session_keeper.bootstrap import build
from sluice_session_keeper.config import KeeperSettings

if __name__ == "__main__":
    run_service("session-keeper", KeeperSettings, build)
