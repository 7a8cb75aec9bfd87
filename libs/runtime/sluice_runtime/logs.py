"""Logs on stdout: JSON lines with service, level and trace ids, or plain text for a person.

python-json-logger formats records of the standard ``logging`` module, so the lines of
aiokafka, uvicorn and every Sluice module come out the same way without an adapter layer.
``SLUICE_LOG_FORMAT=auto`` (the default) writes text to a terminal and JSON to anything else
(a container's log collector, a pipe, a file).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from sluice_runtime.config import LogFormat
from sluice_runtime.redaction import RedactingFilter, redact

_FIELDS = ["levelname", "name", "message", "service", "trace_id", "span_id"]
_TEXT = "%(asctime)s %(levelname)-7s %(service)s %(name)s: %(message)s"


class TraceContextFilter(logging.Filter):
    """Adds ``service`` and the current span's ``trace_id``/``span_id`` (hex, or null)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.service = getattr(record, "service", self._service)
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        else:
            record.trace_id = record.span_id = None
        return True


class _StreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        # The default prints the failure's traceback, whose chained context is the very
        # exception being logged, unredacted.
        error = sys.exc_info()[1]
        if logging.raiseExceptions and error is not None:
            sys.stderr.write(f"logging failed: {redact(repr(error))}\n")


def json_handler(service: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing redacted JSON lines with trace ids to ``stream`` (stdout)."""
    handler = _StreamHandler(stream or sys.stdout)
    handler.addFilter(TraceContextFilter(service))
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter(
            _FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            # uvicorn's ANSI-coloured copy of each message
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    )
    return handler


def text_handler(service: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing redacted one-line text records (time, level, service, logger)."""
    handler = _StreamHandler(stream or sys.stdout)
    handler.addFilter(TraceContextFilter(service))
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(_TEXT, datefmt="%H:%M:%S"))
    return handler


def wants_text(fmt: LogFormat, stream: TextIO) -> bool:
    """``text``, or ``auto`` on a terminal."""
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return fmt == "text"


def configure_logging(
    service: str, level: str = "INFO", stream: TextIO | None = None, fmt: LogFormat = "auto"
) -> None:
    """Route every logger of the process through one handler at ``level``: JSON, or text
    when ``fmt`` says so (``auto``: text on a terminal)."""
    stream = stream or sys.stdout
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    make = text_handler if wants_text(fmt, stream) else json_handler
    root.addHandler(make(service, stream))
    root.setLevel(level)
    # Uvicorn's own loggers would otherwise print plain text beside ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
