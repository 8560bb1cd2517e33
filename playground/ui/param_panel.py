"""The sampler panel, generated from the catalog: one row per parameter, grouped.

No widget is written per parameter. A row's text field is empty when the parameter is unset
(the placeholder shows the provider-default hint); bounded numbers get a slider too. Every edit
is checked by the catalog, and a refused value is marked inline with the allowed range.
"""

from __future__ import annotations

import json
import math
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.assignments import parse_field_text
from playground.core.catalog import Group, Kind, ParamSpec, in_group, validate_params
from playground.core.dialects import Varies
from playground.core.errors import InvalidParameter
from playground.ui.list_editors import EDITORS, ListEditor, Lookup
from playground.ui.widgets import set_state, tool_button

SLIDER_STEPS = 1000
_CHOICE_KINDS = (Kind.BOOLEAN, Kind.CHOICE)


class ParamRow(QWidget):
    """Editor for one parameter: unset (empty), set, or set to its neutral value."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.error: str | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        layout = QHBoxLayout()
        layout.setSpacing(4)
        outer.addLayout(layout)
        self.slider: QSlider | None = None
        self.combo: QComboBox | None = None
        self.field: QLineEdit | None = None
        if spec.kind in _CHOICE_KINDS:
            self.combo = QComboBox(self)
            self.combo.addItem(_unset_text(spec), None)
            options = spec.choices if spec.kind is Kind.CHOICE else (True, False)
            for option in options:
                self.combo.addItem(_show(option), option)
            self.combo.currentIndexChanged.connect(self._edited)
            self.combo.setAccessibleName(spec.name)
            layout.addWidget(self.combo, 1)
        else:
            self.field = QLineEdit(self)
            self.field.setPlaceholderText(_unset_text(spec))
            self.field.setClearButtonEnabled(False)
            self.field.setAccessibleName(spec.name)
            self.field.editingFinished.connect(self._edited)
            if spec.bounded:
                self.field.installEventFilter(self)
            if _has_slider(spec):
                self.slider = QSlider(Qt.Orientation.Horizontal, self)
                self.slider.setRange(0, SLIDER_STEPS)
                self.slider.setAccessibleName(f"{spec.name} slider")
                self.slider.valueChanged.connect(self._slid)
                self.field.setFixedWidth(96)
                layout.addWidget(self.slider, 1)
                layout.addWidget(self.field)
            else:
                layout.addWidget(self.field, 1)
        self.list_editor: ListEditor | None = None
        self.expand: QToolButton | None = None
        if spec.kind in EDITORS:
            self.list_editor = EDITORS[spec.kind](self)
            self.list_editor.setAccessibleName(f"{spec.name} list")
            self.list_editor.hide()
            self.list_editor.changed.connect(self._list_edited)
            self.expand = tool_button(self, "…", f"Edit {spec.name} as a list",
                                      self._toggle_list)
            self.expand.setCheckable(True)
            self.expand.setAutoRaise(True)
            layout.addWidget(self.expand)
        self.reset = tool_button(self, "×", f"unset {spec.name}", self.clear)
        self.reset.setToolTip(f"Unset {spec.name}: it will not be sent")
        self.reset.setAutoRaise(True)
        layout.addWidget(self.reset)
        if self.list_editor is not None:
            outer.addWidget(self.list_editor)
        self.unsupported: str | None = None
        self.setToolTip(tooltip(spec))
        self._refresh()

    def value(self) -> Any:
        if self.combo is not None:
            return self.combo.currentData()
        assert self.field is not None
        return parse_field_text(self.spec.name, self.field.text())

    def set_value(self, value: Any) -> None:
        if self.combo is not None:
            index = self.combo.findData(value) if value is not None else 0
            self.combo.setCurrentIndex(max(index, 0))
        else:
            assert self.field is not None
            self.field.setText("" if value is None else _show(value))
            self._sync_slider(value)
            self._sync_list(value)
        self._check()
        self._refresh()

    def clear(self) -> None:
        self.set_value(None)
        self.changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down (and the wheel) step a number by its catalog step, as a spin box does."""
        steps = 0
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            steps = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1,
                     Qt.Key.Key_PageUp: 10, Qt.Key.Key_PageDown: -10}.get(key, 0)
        elif event.type() == QEvent.Type.Wheel and self.field is not None and self.field.hasFocus():
            steps = 1 if event.angleDelta().y() > 0 else -1  # type: ignore[attr-defined]
        if steps:
            self.step_by(steps)
            return True
        return super().eventFilter(watched, event)

    def step_by(self, steps: int) -> None:
        """Move the value `steps` catalog steps, starting from the hint or the minimum."""
        assert self.field is not None
        value = self.value() if self.error is None else None
        if not isinstance(value, int | float):
            value = self.spec.hint if self.spec.hint is not None else self.spec.neutral
        start = float(value if value is not None else self.spec.minimum or 0)
        step = self.spec.step or 1
        low = self.spec.minimum if self.spec.minimum is not None else -math.inf
        high = self.spec.maximum if self.spec.maximum is not None else math.inf
        moved = min(max(start + steps * step, low), high)
        if self.spec.exclusive_minimum and moved <= low:
            moved = low + step
        text = str(round(moved)) if self.spec.kind is Kind.INTEGER else _show(round(moved, 6))
        self.field.setText(text)
        self._edited()

    def set_default_hint(self, default: Any) -> None:
        """Show `default` (the server's own, when known) as the unset hint; None: the spec's."""
        text = _unset_text(self.spec, default)
        if self.combo is not None:
            self.combo.setItemText(0, text)
        elif self.field is not None:
            self.field.setPlaceholderText(text)

    def set_unsupported(self, reason: str | None) -> None:
        """Grey the row out (its value is kept but not sent) and say why, or undo that."""
        self.unsupported = reason
        for widget in (self.combo, self.field, self.slider, self.expand, self.list_editor):
            if widget is not None:
                widget.setEnabled(reason is None)
        self._refresh()

    def _edited(self) -> None:
        self._check()
        if self.error is None:
            self._sync_slider(self.value())
            self._sync_list(self.value())
        self._refresh()
        self.changed.emit()

    def _toggle_list(self) -> None:
        assert self.list_editor is not None
        assert self.expand is not None
        self.list_editor.setVisible(self.expand.isChecked())

    def _list_edited(self) -> None:
        assert self.list_editor is not None
        assert self.field is not None
        value = self.list_editor.value()
        self.field.setText("" if value is None else _show(value))
        self._check()
        self._refresh()
        self.changed.emit()

    def _sync_list(self, value: Any) -> None:
        if self.list_editor is not None:
            self.list_editor.set_value(value)

    def _slid(self, position: int) -> None:
        if self.slider is None or not self.slider.isSliderDown():
            return
        assert self.field is not None
        low, high = _slider_range(self.spec)
        value = low + (high - low) * position / SLIDER_STEPS
        if self.spec.kind is Kind.INTEGER:
            self.field.setText(str(round(value)))
        else:
            step = self.spec.step or 0.01
            self.field.setText(_show(round(round(value / step) * step, 6)))
        self._edited()

    def _sync_slider(self, value: Any) -> None:
        if self.slider is None:
            return
        self.slider.blockSignals(True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            low, high = _slider_range(self.spec)
            span = (high - low) or 1
            position = round((min(max(value, low), high) - low) / span * SLIDER_STEPS)
            self.slider.setValue(position)
        else:
            self.slider.setValue(0)
        self.slider.blockSignals(False)

    def _check(self) -> None:
        try:
            validate_params({self.spec.name: self.value()})
        except InvalidParameter as exc:
            self.error = exc.message
        else:
            self.error = None

    def _refresh(self) -> None:
        value = None if self.error else self.value()
        state = "error" if self.error else "unset" if value is None else (
            "neutral" if value == self.spec.neutral else "set")
        self.setProperty("state", state)
        self.reset.setEnabled(state != "unset")
        editor = self.combo or self.field
        assert editor is not None
        set_state(editor, state)
        unsupported = f"<p><i>Not sent: {self.unsupported}</i></p>" if self.unsupported else ""
        editor.setToolTip(self.error or tooltip(self.spec) + unsupported)


class ParamPanel(QWidget):
    """All parameters, in catalog groups, with a Neutralize button."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, ParamRow] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 0, 0)
        self.summary = QLabel(self)
        self.summary.setObjectName("paramSummary")
        neutralize = QPushButton("Neutralize", self)
        neutralize.setToolTip("Unset every parameter: the request carries only model and prompt")
        neutralize.clicked.connect(self.neutralize)
        header.addWidget(self.summary, 1)
        header.addWidget(neutralize)
        outer.addLayout(header)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 6, 0)
        self.groups: dict[Group, CollapsibleGroup] = {}
        for group in Group:
            box = CollapsibleGroup(group.value, body)
            form = QFormLayout(box.body)
            form.setContentsMargins(4, 2, 2, 6)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for spec in in_group(group):
                row = ParamRow(spec, box.body)
                row.changed.connect(self._row_changed)
                label = QLabel(spec.name, box.body)
                label.setToolTip(tooltip(spec))
                label.setBuddy(row.combo or row.field)
                form.addRow(label, row)
                self.rows[spec.name] = row
            column.addWidget(box)
            self.groups[group] = box
        column.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self._update_summary()

    def values(self) -> dict[str, Any]:
        """The parameters to send: set, valid and supported by the connection."""
        return {name: value for name, value in self.all_values().items()
                if self.rows[name].unsupported is None}

    def all_values(self) -> dict[str, Any]:
        """Every set, valid parameter, sent or not (what a preset keeps)."""
        return {name: row.value() for name, row in self.rows.items()
                if row.error is None and row.value() is not None}

    def set_server(self, unsupported: dict[str, str], defaults: dict[str, Any]) -> None:
        """Fit the panel to a connection: grey out what its server ignores (with the reason)
        and show its own defaults as the unset hints."""
        for name, row in self.rows.items():
            row.set_unsupported(unsupported.get(name))
            row.set_default_hint(defaults.get(name))
        self._row_changed()

    def set_lookup(self, lookup: Lookup | None) -> None:
        """Token text to ids for the token editors; None when the connection has no tokenizer."""
        for row in self.rows.values():
            if row.list_editor is not None:
                row.list_editor.set_lookup(lookup)

    def errors(self) -> list[str]:
        return [row.error for row in self.rows.values() if row.error]

    def set_values(self, values: dict[str, Any]) -> None:
        for name, row in self.rows.items():
            row.set_value(values.get(name))
        self._row_changed()

    def neutralize(self) -> None:
        self.set_values({})

    def _row_changed(self) -> None:
        self._update_summary()
        self.changed.emit()

    def _update_summary(self) -> None:
        count = len(self.values())
        errors = len(self.errors())
        text = f"{count} set" if count else "all unset"
        self.summary.setText(text + (f", {errors} invalid" if errors else ""))
        for group, box in self.groups.items():
            set_here = sum(1 for spec in in_group(group) if spec.name in self.values())
            box.set_note(f"{set_here} set" if set_here else "")


class CollapsibleGroup(QWidget):
    """A titled section that folds away with a click on its header."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(0)
        header = QHBoxLayout()
        self._title = title
        self.toggle = QToolButton(self)
        self.toggle.setText(title.replace("&", "&&"))  # a lone & would make a mnemonic
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setObjectName("groupHeader")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAccessibleName(f"{title} group")
        self.toggle.setToolTip(f"Show or hide the {title} parameters")
        self.toggle.toggled.connect(self._toggled)
        self.note = QLabel(self)
        self.note.setObjectName("paramSummary")
        header.addWidget(self.toggle)
        header.addWidget(self.note, 1)
        layout.addLayout(header)
        self.body = QWidget(self)
        layout.addWidget(self.body)

    def title(self) -> str:
        return self._title

    def set_note(self, text: str) -> None:
        self.note.setText(text)

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def _toggled(self, expanded: bool) -> None:
        self.body.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded
                                 else Qt.ArrowType.RightArrow)


def tooltip(spec: ParamSpec) -> str:
    parts = [f"<b>{spec.name}</b> ({spec.group.value})", spec.description,
             f"Allowed: {spec.allowed()}."]
    if spec.neutral is not None:
        parts.append(f"No effect at: {_show(spec.neutral)}.")
    if spec.hint is not None:
        parts.append(f"Documented default: {_show(spec.hint)} (never sent unless set).")
    if spec.note:
        parts.append(spec.note)
    return "<p>" + "</p><p>".join(parts) + "</p>"


def _unset_text(spec: ParamSpec, default: Any = None) -> str:
    hint = spec.hint if default is None else default
    if hint is None:
        return "unset"
    return f"unset ({hint if isinstance(hint, Varies) else _show(hint)})"


def _has_slider(spec: ParamSpec) -> bool:
    return spec.bounded and spec.minimum is not None and (
        spec.soft_max is not None or spec.maximum is not None) and spec.name != "seed"


def _slider_range(spec: ParamSpec) -> tuple[float, float]:
    low = spec.minimum or 0.0
    high = spec.soft_max if spec.soft_max is not None else spec.maximum
    return float(low), float(high if high is not None else low + 1)


def _show(value: Any) -> str:
    """A value as the text a person would type for it (`parse_field_text` reads it back)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if (isinstance(value, str) and value.isprintable() and value == value.strip()
            and not value.startswith(("[", '"'))):
        return value
    return json.dumps(value, ensure_ascii=False)

