"""Editors for the parameters that hold lists: stop strings, token ids, token biases and the
sampler order.

They are chosen by the catalog's `Kind`, never by parameter name. Token editors can look a
token up by its text when the connection has a tokenizer (`set_lookup`); otherwise ids are typed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.catalog import BY_NAME, SAMPLER_STAGES, STAGE_FIELDS, Kind, complete_order
from playground.core.errors import PlaygroundError
from playground.ui.widgets import push_button

#: Turns token text into (id, piece) pairs through the connection's tokenizer.
Lookup = Callable[[str], Awaitable[list[tuple[int, str]]]]

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
#: How a stop string's whitespace is drawn in the list, so "\n\n" is not a blank line.
_GLYPHS = {"\n": "⏎", "\t": "⇥", "\r": "␍", " ": "·"}


def escape(text: str) -> str:
    """Stop strings shown with their invisible characters spelled out (``\\n``)."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def unescape(text: str) -> str:
    out, chars = [], iter(text)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "\\")
            out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt, "\\" + nxt))
        else:
            out.append(c)
    return "".join(out)


def visible(text: str) -> str:
    """A stop string drawn with its whitespace as glyphs: ``"\\n\\nUser: "`` is ⏎⏎User:·"""
    return "".join(_GLYPHS.get(c, c) for c in text)


class _VisibleWhitespace(QStyledItemDelegate):
    """Draws an item (whose text is the escaped stop string) with visible whitespace; editing
    shows the escaped text, as typed."""

    def displayText(self, value: Any, locale: Any) -> str:
        return visible(unescape(str(value)))


class ListEditor(QWidget):
    """A list with an entry line: type, press Enter (or Add); select and Remove; drag to order.
    Subclasses decide how entered text becomes items."""

    changed = Signal()

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lookup: Lookup | None = None
        self._task: asyncio.Task[None] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 4)
        layout.setSpacing(3)
        self.view = self._make_view()
        self.view.setAccessibleName("items")
        layout.addWidget(self.view)
        self._make_entry(layout, placeholder)
        self.message = QLabel(self)
        self.message.setObjectName("paramSummary")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)

    def _make_entry(self, layout: QVBoxLayout, placeholder: str) -> None:
        entry = QHBoxLayout()
        self.entry = QLineEdit(self)
        self.entry.setPlaceholderText(placeholder)
        self.entry.setAccessibleName("new item")
        self.entry.returnPressed.connect(self.add_entry)
        self.add_button = push_button("Add", "Add the entry to the list", self)
        self.add_button.clicked.connect(self.add_entry)
        self.remove_button = push_button("Remove", "Remove the selected items", self)
        self.remove_button.clicked.connect(self.remove_selected)
        entry.addWidget(self.entry, 1)
        entry.addWidget(self.add_button)
        entry.addWidget(self.remove_button)
        layout.addLayout(entry)

    def _make_view(self) -> QAbstractItemView:
        view = QListWidget(self)
        view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setMaximumHeight(96)
        view.model().rowsMoved.connect(self.changed)
        view.itemChanged.connect(self._item_changed)
        return view

    def _item_changed(self, *_args: object) -> None:
        self.changed.emit()

    def set_lookup(self, lookup: Lookup | None) -> None:
        self._lookup = lookup

    def add_entry(self) -> None:
        """Take the entry as typed (spaces are data); an empty entry adds nothing."""
        text = self.entry.text()
        if text:
            self._accept(text)

    def _accept(self, text: str) -> None:
        raise NotImplementedError

    def remove_selected(self) -> None:
        view = self.view
        assert isinstance(view, QListWidget | QTableWidget)
        rows = sorted({index.row() for index in view.selectedIndexes()}, reverse=True)
        for row in rows:
            if isinstance(view, QListWidget):
                view.takeItem(row)
            else:
                view.removeRow(row)
        if rows:
            self.changed.emit()

    def _say(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def _look_up(self, text: str, then: Callable[[list[tuple[int, str]]], None]) -> None:
        """Token text to ids through the tokenizer, asynchronously; the result goes to `then`."""
        lookup = self._lookup
        if lookup is None:
            self._say("This connection has no tokenizer to look text up: enter token ids.")
            return

        async def run() -> None:
            try:
                tokens = await lookup(text)
            except PlaygroundError as exc:
                self._say(f"Lookup failed: {exc}")
                return
            then(tokens)

        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(run())


class StringListEditor(ListEditor):
    """Stop strings, typed with escapes (``\\n`` is a newline, ``\\t`` a tab) and shown with
    their whitespace visible (⏎, ⇥, ·). Spaces are part of a stop string; an empty one is never
    a stop, so an item edited down to nothing is removed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("a stop string; \\n is a newline, \\t a tab", parent)
        self.view.setItemDelegate(_VisibleWhitespace(self.view))

    def _item_changed(self, *args: object) -> None:
        assert isinstance(self.view, QListWidget)
        for row in reversed(range(self.view.count())):
            if not self.view.item(row).text():
                self.view.takeItem(row)
                self._say("An empty stop string stops nothing; it was removed.")
        super()._item_changed(*args)

    def _accept(self, text: str) -> None:
        self._append(unescape(text))
        self.entry.clear()
        self.changed.emit()

    def _append(self, value: str) -> None:
        item = QListWidgetItem(escape(value))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        assert isinstance(self.view, QListWidget)
        self.view.addItem(item)

    def value(self) -> list[str] | None:
        assert isinstance(self.view, QListWidget)
        return [unescape(self.view.item(i).text()) for i in range(self.view.count())] or None

    def set_value(self, value: Any) -> None:
        assert isinstance(self.view, QListWidget)
        self.view.blockSignals(True)
        self.view.clear()
        for item in [value] if isinstance(value, str) else value or []:
            self._append(str(item))
        self.view.blockSignals(False)


class TokenEditor(ListEditor):
    """An editor of tokens: an entry that is a number is a token id, anything else is text
    looked up through the tokenizer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("a token id, or text to look up", parent)

    def _accept(self, text: str) -> None:
        if text.strip().isdigit():
            self._add_tokens([(int(text), "")])
        else:
            self._look_up(text, self._add_tokens)

    def _add_tokens(self, tokens: list[tuple[int, str]]) -> None:
        raise NotImplementedError


class TokenListEditor(TokenEditor):
    """Token ids."""

    def _add_tokens(self, tokens: list[tuple[int, str]]) -> None:
        assert isinstance(self.view, QListWidget)
        for token_id, piece in tokens:
            self.view.addItem(_token_item(token_id, piece))
        if len(tokens) > 1:
            self._say(f"That text is {len(tokens)} tokens; all of them were added.")
        else:
            self._say(None)
        self.entry.clear()
        self.changed.emit()

    def value(self) -> list[int] | None:
        assert isinstance(self.view, QListWidget)
        return [int(self.view.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.view.count())] or None

    def set_value(self, value: Any) -> None:
        assert isinstance(self.view, QListWidget)
        self.view.clear()
        for token_id in value or []:
            if isinstance(token_id, int):
                self.view.addItem(_token_item(token_id, ""))


def _token_item(token_id: int, piece: str) -> QListWidgetItem:
    item = QListWidgetItem(f"{token_id}  {escape(piece)!r}" if piece else str(token_id))
    item.setData(Qt.ItemDataRole.UserRole, token_id)
    return item


class BiasTableEditor(TokenEditor):
    """Token id → bias, a row each."""

    def _make_view(self) -> QAbstractItemView:
        table = QTableWidget(0, 3, self)
        table.setHorizontalHeaderLabels(["Token id", "Text", "Bias"])
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().hide()
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setMaximumHeight(120)
        return table

    def _add_tokens(self, tokens: list[tuple[int, str]]) -> None:
        for token_id, piece in tokens:
            self._add_row(token_id, piece, -100.0)
        self._say("Bias -100 bans a token, +100 all but forces it." if tokens else None)
        self.entry.clear()
        self.changed.emit()

    def _add_row(self, token_id: int, piece: str, bias: float) -> None:
        table = self.view
        assert isinstance(table, QTableWidget)
        row = table.rowCount()
        table.insertRow(row)
        id_item = QTableWidgetItem(str(token_id))
        id_item.setFlags(id_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        text_item = QTableWidgetItem(escape(piece))
        text_item.setFlags(text_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        table.setItem(row, 0, id_item)
        table.setItem(row, 1, text_item)
        spin = QDoubleSpinBox(table)
        spin.setRange(-100, 100)
        spin.setDecimals(1)
        spin.setValue(bias)
        spin.setAccessibleName(f"bias of token {token_id}")
        spin.valueChanged.connect(self._item_changed)
        table.setCellWidget(row, 2, spin)

    def value(self) -> dict[str, float] | None:
        table = self.view
        assert isinstance(table, QTableWidget)
        out: dict[str, float] = {}
        for row in range(table.rowCount()):
            spin = table.cellWidget(row, 2)
            assert isinstance(spin, QDoubleSpinBox)
            out[table.item(row, 0).text()] = spin.value()
        return out or None

    def set_value(self, value: Any) -> None:
        table = self.view
        assert isinstance(table, QTableWidget)
        table.setRowCount(0)
        for key, bias in (value or {}).items() if isinstance(value, dict) else ():
            if str(key).isdigit() and isinstance(bias, int | float):
                self._add_row(int(key), "", float(bias))


class OrderEditor(ListEditor):
    """The sampler stages in the order they run, first at the top: drag a stage to move it.
    Unset, it shows the order the connection's server uses by itself (`set_default`);
    "Server default" unsets it again."""

    reset_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        self.default = complete_order(None)
        super().__init__("", parent)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setMinimumHeight(200)
        self.view.setMaximumHeight(260)

    def _make_entry(self, layout: QVBoxLayout, placeholder: str) -> None:
        row = QHBoxLayout()
        note = QLabel("Drag to reorder; the top runs first.", self)
        note.setWordWrap(True)
        note.setMinimumWidth(40)
        row.addWidget(note, 1)
        reset = push_button("Server default", "Unset the order: the server's own order "
                            "applies (shown while unset)", self)
        reset.clicked.connect(self.reset_requested)
        row.addWidget(reset)
        layout.addLayout(row)

    def set_default(self, order: Any) -> None:
        self.default = complete_order(order if isinstance(order, list | tuple) else None)

    def value(self) -> list[str] | None:
        assert isinstance(self.view, QListWidget)
        return [self.view.item(i).text() for i in range(self.view.count())] or None

    def set_value(self, value: Any) -> None:
        assert isinstance(self.view, QListWidget)
        self.view.blockSignals(True)
        self.view.clear()
        stages = (complete_order(value) if isinstance(value, list) and all(
            stage in SAMPLER_STAGES for stage in value) else self.default)
        for stage in stages:
            item = QListWidgetItem(stage)
            item.setToolTip(BY_NAME[STAGE_FIELDS.get(stage, stage)].description)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            self.view.addItem(item)
        self.view.blockSignals(False)


EDITORS: dict[Kind, type[ListEditor]] = {Kind.STRINGS: StringListEditor,
                                         Kind.TOKEN_IDS: TokenListEditor,
                                         Kind.TOKEN_BIAS: BiasTableEditor,
                                         Kind.ORDER: OrderEditor}
