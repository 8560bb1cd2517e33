"""Small widget helpers the panels and dialogs share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QWidget,
)


def delay_timer(parent: QWidget, delay_ms: int, slot: Callable[[], None]) -> QTimer:
    """A single-shot timer that calls `slot` `delay_ms` after its last `start()`: for work
    that should wait until typing pauses."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(slot)
    return timer


def push_button(text: str, tooltip: str, parent: QWidget) -> QPushButton:
    """A push button that Enter in a line edit does not trigger (each field handles Enter)."""
    button = QPushButton(text, parent)
    button.setAutoDefault(False)
    button.setToolTip(tooltip)
    return button


def tool_button(parent: QWidget, glyph: str, name: str, slot: Callable[[], None]) -> QToolButton:
    button = QToolButton(parent)
    button.setText(glyph)
    button.setToolTip(name)
    button.setAccessibleName(name)
    button.clicked.connect(slot)
    return button


def choice_combo(parent: QWidget, name: str, tip: str,
                 items: Iterable[tuple[str, Any]]) -> QComboBox:
    combo = QComboBox(parent)
    for text, data in items:
        combo.addItem(text, data)
    combo.setAccessibleName(name)
    combo.setToolTip(tip)
    return combo


def select_data(combo: QComboBox, value: Any) -> None:
    """Select the item holding `value`; the first item stands for None."""
    index = combo.findData(value) if value is not None else 0
    combo.setCurrentIndex(max(index, 0))


def set_state(widget: QWidget, state: str) -> None:
    """Set the ``state`` property the style sheet keys on, and restyle the widget (only if it
    changed: restyling is what a tab switch would otherwise spend its time on)."""
    if widget.property("state") == state:
        return
    widget.setProperty("state", state)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def mark(widget: QWidget, error: str | None, tip: str) -> None:
    """Show `error` on `widget` (red, as a tooltip) or clear it."""
    set_state(widget, "error" if error else "")
    widget.setToolTip(error or tip)


def error_label(parent: QWidget) -> QLabel:
    """A hidden, wrapping, selectable label styled for errors."""
    label = QLabel(parent)
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def ask_to_delete(parent: QWidget, title: str, question: str, detail: str,
                  answered: Callable[[QAbstractButton], None]) -> QMessageBox:
    """A window-modal Yes/Cancel question opened without a nested event loop (the app runs
    on qasync); `answered` gets the clicked button. Cancel is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("confirmDelete")
    box.setInformativeText(detail)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(answered)
    box.open()
    return box


def plain_text(editor: QPlainTextEdit) -> str:
    """An editor's text exactly as typed: `toPlainText` would turn no-break spaces into
    spaces; line and paragraph separators are line breaks."""
    return editor.document().toRawText().replace("\u2029", "\n").replace("\u2028", "\n")
