"""Bounded per-process memos of values derived from versioned, immutable data.

A memo here is a read-through copy, never a source of truth: every key names the version
of what it was derived from (a survey's id and `updated` time), so a process holding an
old entry simply never asks for it again, and a process without the entry derives it
again. Nothing is counted or shared between requests through a memo, which is what the
architecture's "no module-level state" rule is about; see
docs/decisions/0012-per-process-memos-of-versioned-data.md.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import cache

_MISSING = object()
_ALL: list[BoundedMemo] = []


class BoundedMemo:
    """A least-recently-used map of at most `maxsize` entries (thread-safe).

    With `max_chars`, string values also total at most that many characters: the least
    recently used go first, and a longer value than that is not kept at all.
    """

    def __init__(self, name: str, maxsize: int, *, max_chars: int | None = None) -> None:
        self.name = name
        self.maxsize = maxsize
        self.max_chars = max_chars
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._chars = 0
        # gunicorn's threaded workers serve requests of one process side by side.
        self._lock = threading.Lock()
        _ALL.append(self)

    def _size(self, value: Any) -> int:
        return len(value) if self.max_chars is not None and isinstance(value, str) else 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._entries.move_to_end(key)
            return value

    def set(self, key: Hashable, value: Any) -> None:
        size = self._size(value)
        if self.max_chars is not None and size > self.max_chars:
            return
        with self._lock:
            if key in self._entries:
                self._chars -= self._size(self._entries.pop(key))
            self._entries[key] = value
            self._chars += size
            while len(self._entries) > self.maxsize or (
                self.max_chars is not None and self._chars > self.max_chars
            ):
                _key, dropped = self._entries.popitem(last=False)
                self._chars -= self._size(dropped)

    def through_cache(self, key: str, derive: Callable[[], Any], timeout: int) -> Any:
        """Return the value under `key`: kept here, else in the shared cache, else derived.

        A value derived is stored in both; one found in the shared cache is kept here.
        """
        value = self.get(key)
        if value is None:
            value = cache.get(key)
            if value is None:
                value = derive()
                cache.set(key, value, timeout=timeout)
            self.set(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def __len__(self) -> int:
        return len(self._entries)


def clear_all() -> None:
    """Empty every memo (the tests do, since database ids are reused after a rollback)."""
    for memo in _ALL:
        memo.clear()
