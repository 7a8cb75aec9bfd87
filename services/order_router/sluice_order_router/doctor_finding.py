"""What ``sluice doctor`` reports per check, on either API path (its own module, so the Web
API's checks load no socket client: ib_async and numpy cost ≈0.3 s of a CLI start)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One check: passed or not, what was seen and, when it failed, what to do."""

    check: str
    ok: bool
    detail: str
    fix: str = ""
