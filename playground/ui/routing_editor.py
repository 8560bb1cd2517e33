"""The provider-routing editor: where a request goes, and what NanoGPT would refuse.

It edits a core `Routing`: no provider (NanoGPT picks), a provider id, or NanoGPT's routing
object; the X-Provider header; and billing mode. Invalid input and conflicts with the model's
routing suffix are shown inline before anything is sent.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from typing import Any, get_args

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.errors import InvalidParameter
from playground.core.model_id import ModelId
from playground.core.routing import (
    PAYGO_SPELLINGS,
    ProviderRouting,
    Routing,
    SortOrder,
    normalize_billing_mode,
    parse_routing_object,
)
from playground.ui.widgets import choice_combo, error_label, mark, select_data, tool_button

AUTOMATIC, PROVIDER_ID, ROUTING_OBJECT = "automatic", "id", "object"
LIST_KEYS = ("order", "only", "ignore")
PRICE_KEYS = ("prompt", "completion")
FLAG_KEYS = ("allow_fallbacks", "require_parameters")
TRISTATE = (("unset", None), ("true", True), ("false", False))
LIST_ROWS = 3  # visible rows of a provider list before it scrolls

_LIST_TIPS = {
    "order": "Try these providers first, in this order; others may still serve the request.",
    "only": "Use only these providers (a hard pin). An unknown id is refused with HTTP 400 "
            "provider_unknown_provider.",
    "ignore": "Never use these providers.",
}


def field_tip(key: str, text: str) -> str:
    return f"<p><b>{key}</b></p><p>{text}</p>"


class ProviderBox(QComboBox):
    """One provider id: type any id, or pick (and search) a known one."""

    def __init__(self, parent: QWidget, name: str, tip: str, placeholder: str) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName(name)
        self.setLineEdit(self.edit)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        self.setAccessibleName(name)
        self.setToolTip(tip)

    def text(self) -> str:
        return self.currentText().strip()

    def set_text(self, text: str) -> None:
        self.setCurrentIndex(-1)
        self.setEditText(text)

    def set_known(self, ids: Sequence[str]) -> None:
        """Offer `ids` in the drop-down, keeping what is typed."""
        text = self.currentText()
        blocked = self.blockSignals(True)
        self.clear()
        self.addItems(list(ids))
        self.set_text(text)
        self.blockSignals(blocked)


class ProviderList(QWidget):
    """An ordered list of provider ids: add by typing or picking, remove, reorder by dragging
    or with the arrow buttons."""

    changed = Signal()

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        tip = field_tip(key, _LIST_TIPS[key])
        self.entry = ProviderBox(self, f"provider to add to {key}", tip,
                                 "add a provider id")
        self.add_button = tool_button(self, "+", f"Add to {key}", self.add_entry)
        self.list = QListWidget(self)
        self.list.setAccessibleName(f"{key} providers")
        self.list.setToolTip(tip + "<p>Drag to reorder.</p>")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setFixedHeight(self.list.fontMetrics().height() * LIST_ROWS + 12)
        self.up = tool_button(self, "\u25b2", f"Move up in {key}", lambda: self.move_current(-1))
        self.down = tool_button(self, "\u25bc", f"Move down in {key}", lambda: self.move_current(1))
        self.remove = tool_button(self, "\u00d7", f"Remove from {key}", self.remove_current)

        self.entry.edit.returnPressed.connect(self.add_entry)
        self.entry.textActivated.connect(self.add_entry)  # picked from the drop-down
        self.list.currentRowChanged.connect(self._update_buttons)
        model = self.list.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.rowsMoved):
            signal.connect(self._rows_changed)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(self.entry, 0, 0)
        grid.addWidget(self.add_button, 0, 1)
        grid.addWidget(self.list, 1, 0, 3, 1)
        grid.addWidget(self.up, 1, 1)
        grid.addWidget(self.down, 2, 1)
        grid.addWidget(self.remove, 3, 1)
        self._update_buttons()

    def values(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def set_values(self, ids: Sequence[str]) -> None:
        blocked = self.blockSignals(True)
        self.list.clear()
        self.list.addItems(list(ids))
        self.blockSignals(blocked)

    def add_entry(self) -> None:
        name = self.entry.text()
        if name:
            found = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
            if not found:
                self.list.addItem(name)
            self.list.setCurrentRow(self.list.row(found[0]) if found else self.list.count() - 1)
        self.entry.set_text("")

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        self.list.insertItem(target, self.list.takeItem(row))
        self.list.setCurrentRow(target)

    def remove_current(self) -> None:
        if (row := self.list.currentRow()) >= 0:
            self.list.takeItem(row)

    def _rows_changed(self) -> None:
        self._update_buttons()
        self.changed.emit()

    def _update_buttons(self) -> None:
        row, count = self.list.currentRow(), self.list.count()
        self.up.setEnabled(row > 0)
        self.down.setEnabled(0 <= row < count - 1)
        self.remove.setEnabled(row >= 0)


def parse_price(key: str, text: str) -> int | float | None:
    """A max_price entry in USD per million tokens, kept as typed: ``10`` is the integer 10
    (sent as ``10``, not ``10.0``), ``10.0`` and ``1.5`` are floats. Empty means unset."""
    text = text.strip().removeprefix("$").strip()
    if not text:
        return None
    where = f"provider.max_price.{key}"
    value: int | float
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
    try:
        finite = math.isfinite(value)  # a whole number too large for a float overflows
    except OverflowError:
        finite = False
    if not finite:
        raise InvalidParameter("provider", f"{where}: {text!r} is not a number "
                                           "(allowed: USD per million tokens, 0 or more)")
    if value < 0:
        raise InvalidParameter("provider", f"{where}: {text} is below the minimum 0 "
                                           "(allowed: USD per million tokens, 0 or more)")
    return value


def show_price(value: int | float | None) -> str:
    """A price as typed: an integer without a decimal point, a float with one."""
    return "" if value is None else repr(value)


class PriceField(QLineEdit):
    """A price cap; invalid text is marked and left out of the request."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.error: str | None = None
        self._tip = field_tip(f"max_price.{key}",
                              f"Highest {key} price accepted, in USD per million tokens. "
                              "Empty: no cap.")
        self.setPlaceholderText("unset (USD per 1M tokens)")
        self.setAccessibleName(f"max_price.{key}")
        self.textChanged.connect(self._check)
        mark(self, None, self._tip)

    def value(self) -> int | float | None:
        try:
            return parse_price(self.key, self.text())
        except InvalidParameter:
            return None

    def _check(self) -> None:
        try:
            parse_price(self.key, self.text())
        except InvalidParameter as exc:
            self.error = exc.message
        else:
            self.error = None
        mark(self, self.error, self._tip)


class RoutingObjectEditor(QWidget):
    """NanoGPT's routing object, field by field, with its JSON (editable) underneath."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.json_error: str | None = None
        describe = ProviderRouting.model_fields
        self.lists = {key: ProviderList(key, self) for key in LIST_KEYS}
        self.sort = choice_combo(
            self, "sort", field_tip("sort", f"{describe['sort'].description} "
                                            "Unset: NanoGPT's default."),
            [("unset", None), *((order, order) for order in get_args(SortOrder))])
        self.prices = {key: PriceField(key, self) for key in PRICE_KEYS}
        self.flags = {key: choice_combo(self, key, field_tip(key, str(describe[key].description)),
                                        TRISTATE) for key in FLAG_KEYS}
        self.json_edit = QLineEdit(self)
        self.json_edit.setAccessibleName("routing object JSON")
        self._json_tip = field_tip("JSON", "The routing object as it will be sent. Edit it and "
                                           "press Enter to fill the fields above.")
        self.json_edit.setPlaceholderText("{}  (empty: not sent)")

        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        rows: list[tuple[str, QWidget, QWidget]] = [
            *((key, box, box.entry) for key, box in self.lists.items()),
            ("sort", self.sort, self.sort),
            *((f"max_price.{key}", field, field) for key, field in self.prices.items()),
            *((key, combo, combo) for key, combo in self.flags.items()),
            ("JSON", self.json_edit, self.json_edit),
        ]
        for text, widget, buddy in rows:
            label = QLabel(text, self)
            label.setBuddy(buddy)
            label.setToolTip(buddy.toolTip())
            form.addRow(label, widget)

        for box in self.lists.values():
            box.changed.connect(self._edited)
        self.sort.currentIndexChanged.connect(self._edited)
        for field in self.prices.values():
            field.textChanged.connect(self._edited)
        for combo in self.flags.values():
            combo.currentIndexChanged.connect(self._edited)
        self.json_edit.editingFinished.connect(self._apply_json)
        self._render_json()

    def value(self) -> ProviderRouting:
        """The object as shown; prices with errors are left out."""
        data: dict[str, Any] = {key: ids for key, box in self.lists.items()
                                if (ids := box.values())}
        if (sort := self.sort.currentData()) is not None:
            data["sort"] = sort
        prices = {key: price for key, field in self.prices.items()
                  if (price := field.value()) is not None}
        if prices:
            data["max_price"] = prices
        data.update({key: flag for key, combo in self.flags.items()
                     if (flag := combo.currentData()) is not None})
        return parse_routing_object(data)

    def set_value(self, routing: ProviderRouting) -> None:
        blocked = self.blockSignals(True)
        for key, box in self.lists.items():
            box.set_values(getattr(routing, key) or [])
        select_data(self.sort, routing.sort)
        caps = routing.max_price
        for key, field in self.prices.items():
            field.setText(show_price(getattr(caps, key) if caps else None))
        for key, combo in self.flags.items():
            select_data(combo, getattr(routing, key))
        self.blockSignals(blocked)
        self._render_json()

    def errors(self) -> list[str]:
        found = [field.error for field in self.prices.values() if field.error]
        return [*found, self.json_error] if self.json_error else found

    def set_known(self, ids: Sequence[str]) -> None:
        for box in self.lists.values():
            box.entry.set_known(ids)

    def _edited(self) -> None:
        self._render_json()
        self.changed.emit()

    def _render_json(self) -> None:
        body = self.value().body()
        self.json_edit.setText(json.dumps(body) if body else "")
        self.json_edit.setCursorPosition(0)
        self.json_error = None
        shown = f"<pre>{html.escape(json.dumps(body, indent=2))}</pre>" if body else ""
        mark(self.json_edit, None, self._json_tip + shown)

    def _apply_json(self) -> None:
        text = self.json_edit.text().strip()
        if text == json.dumps(self.value().body()) or (not text and self.value().is_empty()):
            return
        try:
            routing = parse_routing_object(text or "{}")
        except InvalidParameter as exc:
            self.json_error = exc.message
            mark(self.json_edit, exc.message, self._json_tip)
        else:
            self.set_value(routing)
        self.changed.emit()


class RoutingEditor(QWidget):
    """Edits a `Routing` and flags, before sending, what NanoGPT would refuse."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: ModelId | None = None
        self.mode = choice_combo(
            self, "provider mode",
            field_tip("provider", "Automatic: NanoGPT picks the provider. Provider id: send one "
                                  "id as the body's <code>provider</code>. Routing object: send "
                                  "NanoGPT's routing preferences instead."),
            [("Automatic", AUTOMATIC), ("Provider id", PROVIDER_ID),
             ("Routing object", ROUTING_OBJECT)])
        self.provider_id = ProviderBox(
            self, "provider id",
            field_tip("provider", "The provider to run the request on, sent as the body's "
                                  "<code>provider</code>."), "provider id")
        self.object_box = QGroupBox("Routing object", self)
        self.object_editor = RoutingObjectEditor(self.object_box)
        box_layout = QVBoxLayout(self.object_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(self.object_editor)
        self.header_provider = ProviderBox(
            self, "X-Provider header",
            field_tip("X-Provider", "Pin the provider with the X-Provider header instead of the "
                                    "body. Empty: not sent."), "not sent")
        self.billing = choice_combo(
            self, "billing mode",
            field_tip("billing_mode", "Pay-as-you-go bills the request to the balance even when "
                                      f"a subscription covers it. Also spelled: "
                                      f"{', '.join(PAYGO_SPELLINGS[1:])}."),
            [("not sent", None), ("paygo", "paygo")])
        self.billing_place = choice_combo(
            self, "billing mode placement",
            field_tip("billing_mode", "Send it as the body's <code>billing_mode</code> or as the "
                                      "X-Billing-Mode header (the body wins if both are sent)."),
            [("in body", False), ("as header", True)])
        self.error_label = self._message_label("routing error")
        self.conflict_label = self._message_label("routing conflict")

        provider_row = QHBoxLayout()
        provider_row.addWidget(self.mode)
        provider_row.addWidget(self.provider_id, 1)
        billing_row = QHBoxLayout()
        billing_row.addWidget(self.billing)
        billing_row.addWidget(self.billing_place, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self._label("Provider", self.mode), provider_row)
        form.addRow(self.object_box)
        form.addRow(self._label("X-Provider", self.header_provider), self.header_provider)
        form.addRow(self._label("Billing", self.billing), billing_row)
        form.addRow(self.error_label)
        form.addRow(self.conflict_label)

        self.mode.currentIndexChanged.connect(self._edited)
        self.provider_id.editTextChanged.connect(self._edited)
        self.object_editor.changed.connect(self._edited)
        self.header_provider.editTextChanged.connect(self._edited)
        self.billing.currentIndexChanged.connect(self._edited)
        self.billing_place.currentIndexChanged.connect(self._edited)
        self._refresh()

    def routing(self) -> Routing:
        """The routing as shown (input with errors left out; see `error`)."""
        mode = self.mode.currentData()
        provider: str | ProviderRouting | None = None
        if mode == PROVIDER_ID:
            provider = self.provider_id.text() or None
        elif mode == ROUTING_OBJECT:
            provider = self.object_editor.value()
        return Routing(provider=provider, header_provider=self.header_provider.text() or None,
                       billing_mode=self.billing.currentData(),
                       billing_as_header=bool(self.billing_place.currentData()))

    def set_routing(self, routing: Routing) -> None:
        """Show `routing`; raises InvalidParameter (changing nothing) for an unknown billing
        mode."""
        billing = normalize_billing_mode(routing.billing_mode)
        provider = routing.provider
        blocked = self.blockSignals(True)
        select_data(self.mode, AUTOMATIC if not provider else
                    PROVIDER_ID if isinstance(provider, str) else ROUTING_OBJECT)
        self.provider_id.set_text(provider if isinstance(provider, str) else "")
        self.object_editor.set_value(provider if isinstance(provider, ProviderRouting)
                                     else ProviderRouting())
        self.header_provider.set_text(routing.header_provider or "")
        select_data(self.billing, billing)
        select_data(self.billing_place, routing.billing_as_header)
        self.blockSignals(blocked)
        self._edited()

    def set_providers(self, ids: list[str]) -> None:
        """Offer these provider ids (e.g. from ``GET /api/models/{id}/providers``) everywhere
        a provider is typed."""
        known = list(dict.fromkeys(ids))
        self.provider_id.set_known(known)
        self.header_provider.set_known(known)
        self.object_editor.set_known(known)

    def set_model(self, model: ModelId | None) -> None:
        """The model the routing goes with; its routing suffix decides what conflicts."""
        self._model = model
        self._refresh()

    def conflict(self) -> str | None:
        """NanoGPT's message for a combination it refuses, e.g. a routing suffix plus a
        provider."""
        if self._model is None:
            return None
        try:
            self.routing().check(self._model)
        except InvalidParameter as exc:
            return exc.message
        return None

    def error(self) -> str | None:
        """What is wrong with the input, one problem a line; None when all is valid."""
        if self.mode.currentData() != ROUTING_OBJECT:
            return None
        return "\n".join(self.object_editor.errors()) or None

    def _edited(self) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        mode = self.mode.currentData()
        self.provider_id.setVisible(mode == PROVIDER_ID)
        self.object_box.setVisible(mode == ROUTING_OBJECT)
        self.billing_place.setEnabled(self.billing.currentData() is not None)
        for label, text in ((self.error_label, self.error()),
                            (self.conflict_label, self.conflict())):
            label.setText(text or "")
            label.setVisible(bool(text))

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        label.setToolTip(buddy.toolTip())
        return label

    def _message_label(self, name: str) -> QLabel:
        label = error_label(self)
        label.setAccessibleName(name)
        return label
