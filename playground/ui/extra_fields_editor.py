"""The Extra tab: a JSON object of request fields the sampler panel lacks, sent as written
after the server's translation. Every edit is checked (`core.extra_fields`): text that is not
JSON is refused with its line and column, and a field the app already writes with what to use
instead. The text stays as typed until it is valid; the request takes the last valid object
only when the text on screen is valid (a run with a refused text is refused)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from playground.core.errors import InvalidParameter
from playground.core.extra_fields import parse_extra
from playground.ui.widgets import error_label


class ExtraFieldsEditor(QWidget):
    changed = Signal()  # the object changed (not every keystroke of invalid text)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value: dict[str, Any] = {}
        intro = QLabel("Fields the panel does not have, as a JSON object. They are sent as "
                       "written, after the fields the panel translates for the server, and "
                       "are kept in presets, documents and history.", self)
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName("Extra fields")
        self.text.setPlaceholderText('{\n  "mirostat_ent": 2\n}')
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTabChangesFocus(True)
        self.text.textChanged.connect(self._edited)
        self.error = error_label(self)
        self.error.setAccessibleName("Extra fields problem")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.error)

    def problem(self) -> str | None:
        """Why the text on screen is refused, or None."""
        try:
            parse_extra(self.text.toPlainText())
        except InvalidParameter as exc:
            return exc.message
        return None

    def value(self) -> dict[str, Any]:
        """The object on screen; `InvalidParameter` (naming ``extra_fields``) if refused."""
        return parse_extra(self.text.toPlainText())

    def saved_value(self) -> dict[str, Any]:
        """The last valid object (what documents and drafts keep while the text is wrong)."""
        return dict(self._value)

    def set_value(self, value: Mapping[str, Any] | None) -> None:
        self.text.blockSignals(True)
        self.text.setPlainText(json.dumps(dict(value), indent=2, ensure_ascii=False)
                               if value else "")
        self.text.blockSignals(False)
        self._value = dict(value or {})
        self._show(None)

    def _edited(self) -> None:
        problem = self.problem()
        self._show(problem)
        if problem is None:
            value = self.value()
            if value != self._value:
                self._value = value
                self.changed.emit()

    def _show(self, problem: str | None) -> None:
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
