"""Per-process caches that stay bounded: a worker keeps what it has worked out (papers,
cards, an edition's index, explanations) across tasks, and forgets all of it at once when
the cache is full, so memory stays flat however many readers pass through."""

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedCache(Generic[Value]):
    """A dict that empties itself when it holds `limit` entries (None: never)."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self._values: dict[Hashable, Value] = {}

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def get(self, key: Hashable) -> Value | None:
        return self._values.get(key)

    def put(self, key: Hashable, value: Value) -> Value:
        if self.limit is not None and len(self._values) >= self.limit:
            self._values.clear()
        self._values[key] = value
        return value

    def remember(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """The value kept for `key`, made (and kept) the first time."""
        if key in self._values:
            return self._values[key]
        return self.put(key, make())

    def make_room(self, count: int) -> None:
        """About to add `count` entries at once: empty the cache if they would not fit."""
        if self.limit is not None and len(self._values) + count > self.limit:
            self._values.clear()

    def clear(self) -> None:
        self._values.clear()
