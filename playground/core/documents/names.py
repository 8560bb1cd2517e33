"""Free names for new, cloned and imported documents: names are unique, ignoring case."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import chain, count

from playground.core.documents.document import MAX_NAME_CHARS

_COPY_SUFFIX = re.compile(r" \(copy(?: \d+)?\)$")


def copy_name(name: str, taken: Callable[[str], bool]) -> str:
    """``NAME (copy)``, then ``NAME (copy 2)``, …; a copy of a copy counts on from its
    original's name rather than growing ``(copy) (copy)``."""
    base = _COPY_SUFFIX.sub("", name)
    return _first_free(base, chain(["(copy)"], (f"(copy {n})" for n in count(2))), taken)


def free_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name` itself if free, else ``NAME (2)``, ``NAME (3)``, …"""
    if not taken(name):
        return name
    return _first_free(name, (f"({n})" for n in count(2)), taken)


def _first_free(base: str, suffixes: Iterable[str],
                taken: Callable[[str], bool]) -> str:
    for suffix in suffixes:
        candidate = f"{base[:MAX_NAME_CHARS - len(suffix) - 1].rstrip()} {suffix}"
        if not taken(candidate):
            return candidate
    raise AssertionError("unreachable: the suffixes never end")

