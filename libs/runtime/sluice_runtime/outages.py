"""One log line per outage of a link, instead of a client library's line per retry.

aiokafka logs an ERROR for every failed connection and metadata request (thousands during a
15 s broker outage), and ib_async one or two per reconnect attempt. While a link is down,
``OutageLog`` holds back the lines of the libraries that drive it and counts them; when the link
is back it writes one line with the outage's duration and that count. Whoever knows the link's
state (the bus's probe, the router's socket link) calls ``link_down`` and ``link_up``.

It filters at the handlers, not at the library's logger: a logger's filter does not see the
records of its child loggers (``aiokafka.conn``, ``ib_async.client``...), a handler's does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence

log = logging.getLogger(__name__)


class OutageLog(logging.Filter):
    """Holds back the ``libraries``' log lines while ``what`` is down; one line per outage."""

    def __init__(
        self,
        what: str,
        libraries: Sequence[str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.what = what
        self._prefixes = tuple(libraries)
        self._clock = clock
        self._since: float | None = None
        self._held = 0
        self._last: logging.LogRecord | None = None  # one record passes every handler
        self._handlers: list[logging.Handler] = []

    @property
    def down(self) -> bool:
        """True between ``link_down`` and ``link_up``."""
        return self._since is not None

    def attach(self, handlers: Iterable[logging.Handler] | None = None) -> OutageLog:
        """Filter ``handlers`` (default: the root logger's, as they are now)."""
        for handler in handlers if handlers is not None else logging.getLogger().handlers:
            handler.addFilter(self)
            self._handlers.append(handler)
        return self

    def detach(self) -> None:
        """Stop filtering."""
        for handler in self._handlers:
            handler.removeFilter(self)
        self._handlers.clear()

    def link_down(self, reason: str) -> None:
        """The link is down: one WARNING at the outage's start, nothing while it lasts."""
        if self._since is not None:
            return
        self._since, self._held = self._clock(), 0
        log.warning("%s unreachable: %s", self.what, reason)

    def link_up(self) -> None:
        """The link is back: one line with the outage's duration and the lines held back."""
        if self._since is None:
            return
        lasted, self._since = self._clock() - self._since, None
        libraries = ", ".join(self._prefixes)
        log.warning(
            "%s reachable again after %.1f s of outage (%d log lines of %s held back)",
            self.what,
            lasted,
            self._held,
            libraries,
        )

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a library's line during an outage (it is counted, not written)."""
        if self._since is None or not _is_library(record.name, self._prefixes):
            return True
        if record is not self._last:
            self._last = record
            self._held += 1
        return False


def _is_library(name: str, prefixes: tuple[str, ...]) -> bool:
    """``aiokafka`` and ``aiokafka.conn`` are aiokafka's; ``aiokafka_extra`` is not."""
    return any(name == p or name.startswith(f"{p}.") for p in prefixes)
