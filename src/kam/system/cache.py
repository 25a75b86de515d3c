"""A per-request cache for dictionary and parameter look-ups.

A list of 500 rows that shows three dictionaries and reads a parameter makes one query per
catalogue, not one per row. The cache lives for one request (``RequestCacheMiddleware``) or one
``request_cache()`` block (background jobs, imports); outside both, look-ups go to the database.
Saving a dictionary value or a parameter drops the cached catalogue at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_store: ContextVar[dict[str, Any] | None] = ContextVar("kam_system_request_cache", default=None)


@contextmanager
def request_cache() -> Iterator[dict[str, Any]]:
    current = _store.get()
    if current is not None:  # nested: share the outer cache
        yield current
        return
    token = _store.set({})
    try:
        yield _store.get()  # type: ignore[misc]
    finally:
        _store.reset(token)


def cached(key: str, load: Callable[[], Any]) -> Any:
    store = _store.get()
    if store is None:
        return load()
    if key not in store:
        store[key] = load()
    return store[key]


def invalidate(key: str) -> None:
    store = _store.get()
    if store is not None:
        store.pop(key, None)
