"""What ``presets`` and ``templates`` share: a store opened with its problems on stderr, the
list of its items (built-ins first) and one item shown."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from playground.cli.exit_codes import EXIT_OK
from playground.cli.output import print_json
from playground.core.named_files import NamedFiles


def opened(store: NamedFiles[Any]) -> NamedFiles[Any]:
    """`store`, after saying on stderr what could not be loaded from it."""
    for problem in store.list().problems:
        print(f"playground: {problem}", file=sys.stderr)
    return store


def list_items(store: NamedFiles[Any], as_json: bool) -> int:
    items = opened(store).list().items
    if as_json:
        print_json([{**store.kind.to_json(item), "builtin": item.builtin} for item in items])
        return EXIT_OK
    width = max((len(item.name) for item in items), default=0)
    for item in items:
        mark = "built-in" if item.builtin else "        "
        print(f"{item.name:<{width}}  {mark}  {item.description}")
    return EXIT_OK


def show_item(store: NamedFiles[Any], name: str, as_json: bool,
              describe: Callable[[Any], str]) -> int:
    item = opened(store).get(name)
    if as_json:
        print_json(store.kind.to_json(item))
    else:
        print(describe(item))
    return EXIT_OK
