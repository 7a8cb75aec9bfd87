"""JSON log lines carry service, level and the current span's trace ids; secrets are scrubbed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace

from sluice_runtime.config import LogFormat
from sluice_runtime.logs import configure_logging, json_handler
from sluice_runtime.redaction import RedactingFilter, redact, register_secrets
from sluice_runtime.tracing import install_memory_exporter


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    logger = logging.getLogger("tests.runtime.json")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = json_handler("risk", stream)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_lines_inside_a_span_carry_its_trace_and_span_ids(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    install_memory_exporter()
    with trace.get_tracer("test").start_as_current_span("handle") as span:
        logger.info("inside")
    logger.warning("outside")

    inside, outside = lines(stream)
    context = span.get_span_context()
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert (inside["service"], inside["level"], inside["message"]) == ("risk", "INFO", "inside")
    assert (outside["trace_id"], outside["span_id"], outside["level"]) == (None, None, "WARNING")


def test_json_lines_scrub_credentials_from_message_exception_and_extras(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    try:
        raise ConnectionError("proxy socks5h://user:hunter2@proxy.example:1080 refused")
    except ConnectionError:
        logger.exception(
            "connect via %s failed", "http://u:pa55@egress:3128", extra={"proxy": "socks5://a:b@c"}
        )
    (line,) = lines(stream)
    text = json.dumps(line)
    assert "hunter2" not in text and "pa55" not in text and "a:b@" not in text
    assert line["message"] == "connect via http://***@egress:3128 failed"
    assert "socks5h://***@proxy.example:1080 refused" in str(line["exc_info"])
    assert line["proxy"] == "socks5://***@c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("socks5h://user:pass@host:1080", "socks5h://***@host:1080"),
        ("http://token@api.example/v1", "http://***@api.example/v1"),
        ("http://user:p@ss@host/x", "http://***@host/x"),  # a raw "@" in the password
        (
            "see https://host/path?q=a and http://u:p@h",
            "see https://host/path?q=a and http://***@h",
        ),
        ("mailto-like user@example.com stays", "mailto-like user@example.com stays"),
        ("no url at all", "no url at all"),
    ],
)
def test_redact_url_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_registered_secrets_are_scrubbed_by_the_filter() -> None:
    register_secrets(["tok-9f8e7d6c"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "auth %s", ("tok-9f8e7d6c",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "auth ***"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def root_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("root_restored")
@pytest.mark.parametrize(
    ("stream_cls", "fmt", "text"),
    [
        (_Terminal, "auto", True),
        (io.StringIO, "auto", False),
        (_Terminal, "json", False),
        (io.StringIO, "text", True),
    ],
    ids=["terminal-auto", "pipe-auto", "terminal-json", "pipe-text"],
)
def test_text_on_a_terminal_and_json_otherwise_unless_configured(
    stream_cls: type[io.StringIO], fmt: LogFormat, text: bool
) -> None:
    stream = stream_cls()
    configure_logging("sluice-up", "INFO", stream, fmt)
    logging.getLogger("tests.runtime.format").info("order %s filled", "sl-1")
    line = stream.getvalue().strip()
    assert "order sl-1 filled" in line
    if text:
        assert not line.startswith("{")
        assert "INFO" in line and "sluice-up" in line and "tests.runtime.format" in line
    else:
        record = json.loads(line)
        assert record["message"] == "order sl-1 filled"
        assert record["service"] == "sluice-up"
