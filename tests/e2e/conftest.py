"""One deployed-shape stack for the whole e2e package: four service processes on the session's
Kafka broker, the TWS simulator, and an OTLP receiver every process exports its spans to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest

from tests.e2e.otlp import OtlpReceiver
from tests.e2e.stack import ProcessStack, ServiceStack, StackOptions, running

ADMIN_TOKEN = "e2e-admin-token"
# The session's broker holds earlier tests' signals, and a new risk group reads the topic from
# the start: only signals made in the last few seconds (this stack's own) are traded.
RISK_LIMITS = {
    "max_signal_age_s": 15,
    "denied_symbols": ["GME"],
    "max_order_quantity": 1000,
    "price_collar_bps": 500,
}


@pytest.fixture(scope="package")
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="package")
async def stack(
    kafka_bootstrap: str, otlp: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ProcessStack]:
    """Started once; stopped with SIGTERM at the end, where every process must exit 0."""
    log_dir: Path = tmp_path_factory.mktemp("e2e-logs")
    options = StackOptions(
        kafka_bootstrap, log_dir, otlp.endpoint, RISK_LIMITS, admin_token=ADMIN_TOKEN
    )
    async with running(ProcessStack(options)) as stack:
        yield stack


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the service processes' recent output to a failing e2e test's report."""
    report = yield
    if report.when == "call" and report.failed:
        for stack in getattr(item, "funcargs", {}).values():
            if isinstance(stack, ServiceStack):
                report.sections.append(("service logs", stack.logs()))
    return report
