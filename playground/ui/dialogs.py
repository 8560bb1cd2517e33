"""The window's dialogs, each made on first use and then kept: one helper instead of a copy of
"if not made yet: make it, connect it; show it; raise it" per dialog. Making them lazily keeps
their modules (and what those import) out of the window's start-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class DialogSpec:
    #: Makes the dialog (importing its module) and connects its signals; called once.
    make: Callable[[], QWidget]
    #: Brings it up to date each time it is opened, just before it shows.
    refresh: Callable[[], object] | None = None


class LazyDialogs:
    def __init__(self, table: Mapping[str, DialogSpec]) -> None:
        self._table = dict(table)
        self._made: dict[str, QWidget] = {}

    def get(self, name: str) -> Any:
        """The dialog `name` if it was made (None until first opened). Typed `Any`: each is of
        its own class, which the caller knows."""
        if name not in self._table:
            raise KeyError(name)
        return self._made.get(name)

    def open(self, name: str) -> Any:
        """Make `name` if this is its first use, bring it up to date, show it and raise it."""
        spec = self._table[name]
        dialog = self._made.get(name)
        if dialog is None:
            dialog = self._made[name] = spec.make()
        if spec.refresh is not None:
            spec.refresh()
        dialog.show()
        dialog.raise_()
        return dialog
