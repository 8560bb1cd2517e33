"""One parameter's editor in the sampler panel, generated from its catalog entry.

A row's text field is empty when the parameter is unset (the placeholder shows the default that
applies then); bounded numbers get a slider too. Every edit is checked by the catalog and by the
connection's own limits, and a refused value is marked inline with the allowed range.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.assignments import parse_field_text
from playground.core.catalog import Kind, Limits, ParamSpec, check_within, validate_params
from playground.core.dialects import Varies
from playground.core.errors import InvalidParameter
from playground.ui.list_editors import EDITORS, ListEditor, OrderEditor
from playground.ui.widgets import set_state, tool_button

SLIDER_STEPS = 1000
_CHOICE_KINDS = (Kind.BOOLEAN, Kind.CHOICE)
#: The slider's colour while its field holds a refused number.
_ERROR_COLOR = QColor("#d33")


class ParamRow(QWidget):
    """Editor for one parameter: unset (empty), set, or set to its neutral value; its `label`
    is placed by the panel."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog_spec = self.spec = spec
        self.limits = Limits()
        self._server_default: Any = None
        self.unsupported: str | None = None
        self.inactive: str | None = None
        self.label = QLabel(spec.name, parent)
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
                self.combo.addItem(spec.label(option) if spec.labels else _show(option), option)
            self.combo.currentIndexChanged.connect(self._edited)
            self.combo.setAccessibleName(spec.name)
            self._scroll_past(self.combo)
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
                self._scroll_past(self.slider)
                self.field.setFixedWidth(96)
                layout.addWidget(self.slider, 1)
                layout.addWidget(self.field)
            else:
                layout.addWidget(self.field, 1)
        self.label.setBuddy(self.combo or self.field)
        self.list_editor: ListEditor | None = None
        self.expand: QToolButton | None = None
        if spec.kind in EDITORS:
            self.list_editor = EDITORS[spec.kind](self)
            self.list_editor.setAccessibleName(f"{spec.name} list")
            self.list_editor.hide()
            self.list_editor.changed.connect(self._list_edited)
            if isinstance(self.list_editor, OrderEditor):
                self.list_editor.reset_requested.connect(self.clear)
                self.list_editor.set_value(None)
            self.expand = tool_button(self, "…", "Drag the stages into order"
                                      if spec.kind is Kind.ORDER
                                      else f"Edit {spec.name} as a list", self._toggle_list)
            self.expand.setCheckable(True)
            self.expand.setAutoRaise(True)
            layout.addWidget(self.expand)
        self.reset = tool_button(self, "×", f"unset {spec.name}", self.clear)
        self.reset.setToolTip(f"Unset {spec.name}: it will not be sent")
        self.reset.setAutoRaise(True)
        layout.addWidget(self.reset)
        if self.list_editor is not None:
            outer.addWidget(self.list_editor)
        self.setToolTip(tooltip(spec))
        self._refresh()

    @property
    def error(self) -> str | None:
        """Why the value on screen is refused (naming the field and the allowed range), or None.
        Always the text as it is now, even before the field was left."""
        value = self.value()
        try:
            validate_params({self.spec.name: value})
            check_within(self.spec, value)
        except InvalidParameter as exc:
            return exc.message
        return None

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
        self._refresh()

    def clear(self) -> None:
        self.set_value(None)
        self.changed.emit()

    def _scroll_past(self, widget: QWidget) -> None:
        """A wheel turned over `widget` while scrolling the panel scrolls on; only a widget
        clicked into (focused) takes the wheel. A combo box changed its value under the
        pointer, and a slider moved away from its field's value."""
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(self)

    def _scroll_area(self) -> QAbstractScrollArea | None:
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QAbstractScrollArea):
            widget = widget.parentWidget()
        return widget

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down (and the wheel) step a number by its catalog step, as a spin box does."""
        if watched is not self.field:
            if event.type() == QEvent.Type.Wheel and not watched.hasFocus():  # type: ignore[attr-defined]
                area = self._scroll_area()
                if area is not None:  # the panel scrolls on
                    QApplication.sendEvent(area.verticalScrollBar(), event)
                return True
            return super().eventFilter(watched, event)
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
        """Show the server's own default (None: unknown) as the unset hint, unless the
        connection's limits name one."""
        self._server_default = default
        self._show_hint()
        if isinstance(self.list_editor, OrderEditor):
            self.list_editor.set_default(default)
            self._sync_list(self.value() if self.error is None else None)

    def set_limits(self, limits: Limits) -> None:
        """Hold the value to a connection's own limits (`Limits()`: the catalog's) and show its
        own default as the unset hint."""
        if limits == self.limits:
            return
        self.limits = limits
        self.spec = limits.narrow(self.catalog_spec)
        self._show_hint()
        self._sync_slider(self.value())
        self._refresh()

    def set_unsupported(self, reason: str | None) -> None:
        """Grey the row out (its value is kept but not sent) and say why, or undo that."""
        if reason == self.unsupported:
            return
        self.unsupported = reason
        self._refresh()

    def set_inactive(self, reason: str | None) -> None:
        """Grey the row out (its value is kept and sent, but another setting makes it have no
        effect) and say why, or undo that."""
        if reason == self.inactive:
            return
        self.inactive = reason
        self._refresh()

    def _show_hint(self) -> None:
        own = self.limits.default
        text = _unset_text(self.spec, own if own is not None else self._server_default)
        if self.combo is not None:
            self.combo.setItemText(0, text)
        elif self.field is not None:
            self.field.setPlaceholderText(text)

    def _edited(self) -> None:
        value = self.value()
        self._sync_slider(value)
        if self.error is None:
            self._sync_list(value)
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
        """Put the slider where the number is, pinned at an end when it is out of range; text
        that is not a number leaves it where it was."""
        if self.slider is None:
            return
        if value is None:
            position = 0
        elif isinstance(value, int | float) and not isinstance(value, bool):
            low, high = _slider_range(self.spec)
            span = (high - low) or 1
            fraction = (min(max(value, low), high) - low) / span
            position = round(fraction * SLIDER_STEPS) if math.isfinite(fraction) else 0
        else:
            return
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.blockSignals(False)

    def _refresh(self) -> None:
        error = self.error
        value = None if error else self.value()
        state = "error" if error else "unset" if value is None else (
            "neutral" if value == self.spec.neutral else "set")
        self.setProperty("state", state)
        self.reset.setEnabled(state != "unset")
        editor = self.combo or self.field
        assert editor is not None
        set_state(editor, state)
        greyed = self.unsupported or self.inactive
        for widget in (self.combo, self.field, self.slider, self.expand, self.list_editor,
                       self.label):
            if widget is not None:
                widget.setEnabled(greyed is None)
        tip = tooltip(self.spec, self.limits) + (
            f"<p><i>Not sent: {self.unsupported}</i></p>" if self.unsupported else
            f"<p><i>{self.inactive}</i></p>" if self.inactive else "")
        self.label.setToolTip(tip)
        for widget in (editor, self.slider):
            if widget is not None:
                widget.setToolTip(error or tip)
        if self.slider is not None:
            self.slider.setPalette(_error_palette() if error else QPalette())


def _error_palette() -> QPalette:
    """A slider drawn red: its filled part and its handle."""
    palette = QPalette()
    for role in (QPalette.ColorRole.Highlight, QPalette.ColorRole.Button):
        palette.setColor(role, _ERROR_COLOR)
    return palette


def tooltip(spec: ParamSpec, limits: Limits | None = None) -> str:
    """What a row's tooltip says about `spec` (as the connection's `limits` narrow it)."""
    parts = [f"<b>{spec.name}</b> ({html.escape(spec.group.value)})", spec.description,
             f"Allowed: {spec.allowed()}."]
    if spec.neutral is not None:
        parts.append(f"No effect at: {_show(spec.neutral)}.")
    if limits is not None and limits.default is not None:
        parts.append(f"This connection's default: {_show(limits.default)} (never sent "
                     "unless set).")
    elif spec.hint is not None:
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
