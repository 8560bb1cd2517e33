"""A text shown as its tokens: alternate tokens shaded, a token's id and bytes on hover, and a
click that offers to ban the token or bias it.

Only the tokens in view are shaded (found by bisection as the view scrolls), so a 100k-character
prompt with tens of thousands of tokens scrolls as smoothly as plain text."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QSizePolicy,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from playground.core.token_spans import TokenSpan, span_at
from playground.ui.widgets import push_button

SHADES = ("#dce9f7", "#f7e6c8")  # alternate tokens
#: logit_bias values a click offers.
BIASES = ((-100.0, "-100 (never)"), (-5.0, "-5 (less likely)"), (5.0, "+5 (more likely)"))


def describe(span: TokenSpan) -> str:
    """A token as its tooltip and menu name it: ``token 1234 · " the"``."""
    try:
        text = repr(span.piece.decode("utf-8"))
    except UnicodeDecodeError:
        text = "bytes " + " ".join(f"{b:02x}" for b in span.piece)
    return f"token {span.id} · {text}" if span.id is not None else f"≈ {text}"


class TokenView(QWidget):
    ban_requested = Signal(int)  # a token id for custom_token_bans
    bias_requested = Signal(int, float)  # a token id and its logit_bias
    done = Signal()  # back to editing

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spans: list[TokenSpan] = []
        self._starts: list[int] = []
        self.heading = QLabel(self)
        self.heading.setAccessibleName("token view heading")
        self.heading.setWordWrap(True)  # a long heading wraps, never widens the window
        self.heading.setSizePolicy(QSizePolicy.Policy.Ignored,
                                   QSizePolicy.Policy.Preferred)
        back = push_button("Back to Editing", "Return to the editor (Ctrl+Alt+K)", self)
        back.clicked.connect(self.done)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(back)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("prompt as tokens")
        self.text.viewport().setMouseTracking(True)
        self.text.viewport().installEventFilter(self)
        self.text.verticalScrollBar().valueChanged.connect(self.shade_visible)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)

    def show_text(self, text: str, heading: str) -> None:
        """The text, before its tokens are known (they come a moment later)."""
        self.spans, self._starts = [], []
        self.text.setPlainText(text)
        self.heading.setText(heading)

    def show_tokens(self, spans: Sequence[TokenSpan], heading: str) -> None:
        """`spans` with offsets in the document's positions (UTF-16 units: `in_utf16`)."""
        self.spans = list(spans)
        self._starts = [span.start for span in self.spans]
        self.heading.setText(heading)
        self.shade_visible()

    def shade_visible(self) -> None:
        """Shade every other token among those in view (and only those)."""
        if not self.spans:
            self.text.setExtraSelections([])
            return
        viewport = self.text.viewport()
        first = self.text.cursorForPosition(QPoint(0, 0)).position()
        last = self.text.cursorForPosition(QPoint(viewport.width(), viewport.height())
                                           ).position()
        index = max(0, bisect.bisect_right(self._starts, first) - 1)
        end = bisect.bisect_right(self._starts, last + 1)
        formats = []
        for shade in SHADES:
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(shade))
            formats.append(fmt)
        selections = []
        document = self.text.document()
        for i in range(index, min(end, len(self.spans))):
            span = self.spans[i]
            if span.end <= span.start:
                continue
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(document)
            cursor.setPosition(span.start)
            cursor.setPosition(span.end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor  # type: ignore[attr-defined]
            selection.format = formats[i % 2]  # type: ignore[attr-defined]
            selections.append(selection)
        self.text.setExtraSelections(selections)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.shade_visible()

    def span_at(self, position: QPoint) -> TokenSpan | None:
        offset = self.text.cursorForPosition(position).position()
        rect = self.text.cursorRect(self.text.cursorForPosition(position))
        if position.x() < rect.left() - 1 and offset > 0:  # the right half of the character
            offset -= 1
        index = span_at(self.spans, self._starts, offset)
        return None if index is None else self.spans[index]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.text.viewport() and isinstance(event, QMouseEvent):
            span = self.span_at(event.position().toPoint())
            if event.type() == QEvent.Type.MouseMove:
                if span is not None:
                    QToolTip.showText(event.globalPosition().toPoint(), describe(span),
                                      self.text.viewport())
                else:
                    QToolTip.hideText()
            elif (event.type() == QEvent.Type.MouseButtonRelease
                  and event.button() == Qt.MouseButton.LeftButton and span is not None
                  and not self.text.textCursor().hasSelection()):
                self.menu_for(span).popup(event.globalPosition().toPoint())
                return True
        return super().eventFilter(watched, event)

    def menu_for(self, span: TokenSpan) -> QMenu:
        """Ban the token, or bias it; without a tokenizer there is no id to ban."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        title = menu.addAction(describe(span))
        title.setEnabled(False)
        ban = menu.addAction("Ban It (custom_token_bans)")
        bias = menu.addMenu("Bias It (logit_bias)")
        if span.id is None:
            for action in (ban, bias.menuAction()):
                action.setEnabled(False)
            menu.addAction("(no token ids: this connection has no tokenizer)").setEnabled(False)
            return menu
        token = span.id
        ban.triggered.connect(lambda: self.ban_requested.emit(token))
        for value, label in BIASES:
            bias.addAction(label).triggered.connect(
                lambda _checked=False, value=value: self.bias_requested.emit(token, value))
        return menu
