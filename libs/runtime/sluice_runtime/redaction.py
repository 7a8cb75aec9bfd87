"""Keep credentials out of logs: URL user-info and registered secret values become ``***``.

Proxy URLs carry credentials (``socks5h://user:pass@host``); any text that may contain one
goes through ``redact`` before it is logged, traced or printed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

# Greedy up to the last "@" before a "/" or whitespace, so a raw "@" inside a password is
# covered too; over-redacting a query string is the safe side of the trade.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)[^\s/]*@")
_MASK = "***"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secrets(values: Iterable[str]) -> None:
    """Scrub these literal values (tokens, passwords) from every redacted text from now on."""
    with _secrets_lock:
        # Very short values would mask innocent text everywhere; they are not secrets anyway.
        _secrets.update(value for value in values if len(value) >= 4)


def redact(text: str) -> str:
    """``text`` with URL credentials and registered secrets replaced by ``***``."""
    text = _USERINFO.sub(rf"\g<scheme>{_MASK}@", text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, arguments, exception and stack text and string extras.

    Attach it to handlers (handler filters see records propagated from every logger).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            # Formatted once here so the formatter prints the scrubbed text instead.
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}
