"""Feed encoded fields to ib_async's own Decoder and record what it hands the wrapper."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from ib_async.decoder import Decoder

from sluice_sim.tws.fields import SERVER_VERSION


class Recorder:
    """A stand-in wrapper: every wrapper method called is recorded as (name, args)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.ib = SimpleNamespace(TimezoneTWS=None)
        self.defaultTimezone = dt.UTC

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.calls.append((name, args))

        return record


def decode(fields: list[str]) -> tuple[str, tuple[Any, ...]]:
    """Decode one message; fail unless ib_async produced exactly one wrapper call."""
    recorder = Recorder()
    Decoder(recorder, SERVER_VERSION).interpret(list(fields))  # type: ignore[arg-type]
    assert len(recorder.calls) == 1, f"decoder dropped or split {fields[:3]}: {recorder.calls}"
    return recorder.calls[0]
