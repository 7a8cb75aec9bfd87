"""Which API client id to try next when IBKR says one is in use (error 326)."""

from __future__ import annotations

from collections.abc import Sequence


class ClientIdPool:
    """The configured id first, then the pool, in turn; remembers the one that worked."""

    def __init__(self, primary: int, pool: Sequence[int] = ()) -> None:
        self._ids = [primary, *(i for i in pool if i != primary)]
        self._index = 0

    @property
    def current(self) -> int:
        """The id to connect with now."""
        return self._ids[self._index]

    def in_use(self) -> bool:
        """The current id is taken: move to the next; False when every id has been tried."""
        if self._index + 1 >= len(self._ids):
            self._index = 0
            return False
        self._index += 1
        return True

    def __len__(self) -> int:
        return len(self._ids)
