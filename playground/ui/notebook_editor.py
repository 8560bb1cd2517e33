"""Notebook mode's editor: one text holding prompt and completions, as in a story mode.

A completion streams in where it was asked for (the cursor, or the end), tinted as generated
until someone edits it, and goes onto the undo stack as one step: one Ctrl+Z takes the whole
completion away. The last completion keeps its earlier versions as swipes: Regenerate adds one,
Alt+Left/Right (or the arrows beside it) flips between them, each flip one undo step too.

While a completion streams the editor is read-only (Esc stops it), so that the text streaming
in and the person's typing never interleave on the undo stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPalette, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QToolTip,
    QWidget,
)

from playground.core.documents import Completion
from playground.core.history import new_versions_group
from playground.ui.stream_view import TokenSpan, token_tooltip
from playground.ui.widgets import plain_text

#: How strongly a generated span is tinted: the highlight colour at this opacity.
TINT_ALPHA = 48


@dataclass
class GeneratedSpan:
    """Text the model wrote, where it is now (a cursor whose anchor and position follow the
    edits around it) and every version of it so far."""

    cursor: QTextCursor
    swipes: list[str] = field(default_factory=list)
    index: int = 0  # the swipe on screen
    #: Each version's tokens with their probabilities (offsets within the span), where the
    #: run returned them; a version restored from a document has none.
    tokens: dict[int, list[TokenSpan]] = field(default_factory=dict)
    runs: dict[int, Any] = field(default_factory=dict)  # each version's Run, this session
    #: Links the swipes' runs in history as siblings.
    group: str = field(default_factory=new_versions_group)

    @property
    def start(self) -> int:
        return self.cursor.selectionStart()

    @property
    def end(self) -> int:
        return self.cursor.selectionEnd()

    def text(self) -> str:
        return self.cursor.selectedText().replace("\u2029", "\n")


class NotebookEditor(QPlainTextEdit):
    swipes_changed = Signal()  # the last span's swipes, or which is shown, changed
    #: A token of the last completion was clicked: the span, the token, where (global).
    token_clicked = Signal(object, object, QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("notebook")
        self.setObjectName("notebook")
        self.setPlaceholderText("Write; Ctrl+Enter continues at the cursor, Ctrl+R writes the "
                                "last completion again, Alt+←/→ flips between its versions.")
        self.spans: list[GeneratedSpan] = []
        self._streaming: GeneratedSpan | None = None
        self._joined = False  # the streamed text so far is one undo step to join
        self.document().contentsChange.connect(self._contents_changed)
        self.viewport().setMouseTracking(True)  # a token's probability on hover
        self.viewport().installEventFilter(self)
        self.arrows = SwipeArrows(self)
        self.arrows.flip.connect(self.flip)
        self.updateRequest.connect(lambda _rect, _dy: self._place_arrows())
        self.swipes_changed.connect(self._place_arrows)

    # --- reading --------------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return self._streaming is not None

    @property
    def streaming_span(self) -> GeneratedSpan | None:
        """The span a completion streams into now."""
        return self._streaming

    def last_span(self) -> GeneratedSpan | None:
        return self.spans[-1] if self.spans else None

    def completions(self) -> tuple[Completion, ...]:
        """The completions with their versions, as a document keeps them (not one streaming)."""
        return tuple(Completion(span.start, span.end, tuple(span.swipes), span.index, span.group)
                     for span in self.spans
                     if span is not self._streaming and span.swipes
                     and span.text() == span.swipes[span.index])

    def restore(self, completions: tuple[Completion, ...]) -> None:
        """Tint a document's completions again and give them back their versions."""
        self.spans = []
        text = plain_text(self)
        for completion in completions:
            if text[completion.start:completion.end] != completion.versions[completion.shown]:
                continue  # the text changed there since (typed before the tabs loaded)
            cursor = QTextCursor(self.document())
            cursor.setPosition(completion.start)
            cursor.setPosition(completion.end, QTextCursor.MoveMode.KeepAnchor)
            self.spans.append(GeneratedSpan(cursor, list(completion.versions), completion.shown,
                                            completion.group))
        self._tint()
        self.swipes_changed.emit()

    def text_before(self, position: int) -> str:
        return plain_text(self)[:position]

    def insertion_point(self) -> int:
        """Where a completion asked for now goes: the cursor (the end of a selection)."""
        return self.textCursor().selectionEnd()

    # --- generating -----------------------------------------------------------------------------

    def begin(self, at: int, *, replace: GeneratedSpan | None = None) -> None:
        """A completion is about to stream in at `at`, or in place of `replace`'s text (a new
        swipe of it). Read-only until `finish`."""
        if replace is not None:
            cursor = QTextCursor(replace.cursor)
            with self._own_edit():  # a block's change is signalled when the block ends
                cursor.beginEditBlock()
                cursor.removeSelectedText()
                cursor.endEditBlock()
            span = replace
            span.cursor = QTextCursor(cursor)
            self._joined = True  # the new text joins the removal: one undo step
        else:
            cursor = QTextCursor(self.document())
            cursor.setPosition(at)
            span = GeneratedSpan(cursor)
            self.spans.append(span)
            self._joined = False
        span.tokens.pop(len(span.swipes), None)  # left by a version that came to nothing
        self._streaming = span
        self.setReadOnly(True)
        self._tint()

    def append(self, text: str) -> None:
        """More of the streaming completion."""
        span = self._streaming
        if span is None or not text:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(span.end)
        start = span.start
        if self._joined:
            cursor.joinPreviousEditBlock()
        else:
            cursor.beginEditBlock()
            self._joined = True
        cursor.insertText(text)
        cursor.endEditBlock()
        span.cursor.setPosition(start)
        span.cursor.setPosition(cursor.position(), QTextCursor.MoveMode.KeepAnchor)
        self._tint()

    def add_tokens(self, tokens: list[TokenSpan]) -> None:
        """Probabilities of the streaming completion's tokens (offsets within it)."""
        span = self._streaming
        if span is not None:
            span.tokens.setdefault(len(span.swipes), []).extend(tokens)

    def token_at(self, position: int) -> tuple[GeneratedSpan, TokenSpan] | None:
        """The generated token at a position of the text, with its span, if it has a
        probability."""
        for span in self.spans:
            if span.start <= position < span.end:
                for token in span.tokens.get(span.index, ()):
                    if token.start <= position - span.start < token.end:
                        return span, token
        return None

    def finish(self) -> None:
        """The completion ended (also stopped or failed): keep it as a swipe of its span; a
        span that got no text at all is dropped (or, for a new swipe, shows the last one)."""
        span, self._streaming = self._streaming, None
        self.setReadOnly(False)
        if span is None:
            return
        text = span.text()
        if text:
            span.swipes.append(text)
            span.index = len(span.swipes) - 1
        elif span.swipes:
            self._show(span, span.index, join=True)
        else:
            self.spans.remove(span)
        self._tint()
        self.swipes_changed.emit()

    def flip(self, by: int) -> bool:
        """Show the last span's previous (-1) or next (+1) swipe; False if there is none."""
        span = self.last_span()
        if span is None or self.streaming or not 0 <= span.index + by < len(span.swipes):
            return False
        self._show(span, span.index + by, join=False)
        self.swipes_changed.emit()
        return True

    def _show(self, span: GeneratedSpan, index: int, *, join: bool) -> None:
        cursor = QTextCursor(span.cursor)
        start = span.start
        with self._own_edit():
            if join:
                cursor.joinPreviousEditBlock()
            else:
                cursor.beginEditBlock()
            cursor.insertText(span.swipes[index])
            cursor.endEditBlock()
        span.cursor.setPosition(start)
        span.cursor.setPosition(cursor.position(), QTextCursor.MoveMode.KeepAnchor)
        span.index = index
        self._tint()

    # --- edits --------------------------------------------------------------------------------

    _own = False  # the editor itself is changing the text (not the person, not undo)

    @contextmanager
    def _own_edit(self) -> Iterator[None]:
        self._own = True
        try:
            yield
        finally:
            self._own = False

    def _contents_changed(self, position: int, removed: int, added: int) -> None:
        """An edit by hand (or an undo) inside a generated span: it is the person's text now,
        untinted, its swipes gone. Typing just after a span does not join it."""
        if self._streaming is not None or self._own:
            return
        end = position + max(removed, added)
        kept, moved = [], False
        for span in self.spans:
            if not removed and added and span.start < position == span.end - added:
                span.cursor.setPosition(span.start)  # typed at its end: not part of it
                span.cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
                moved = True
            if span.start < span.end and not (position < span.end and end > span.start):
                kept.append(span)
        dropped = len(kept) != len(self.spans)
        self.spans = kept
        if moved or dropped:
            self._tint()
        if dropped:
            self.swipes_changed.emit()

    def setPlainText(self, text: str) -> None:
        self.spans.clear()
        super().setPlainText(text)
        self._tint()
        self.swipes_changed.emit()

    # --- look ---------------------------------------------------------------------------------

    def _tint(self) -> None:
        color = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        color.setAlpha(TINT_ALPHA)
        selections = []
        for span in self.spans:
            if span.start == span.end:
                continue
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(span.cursor)
            selection.format.setBackground(color)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, False)
            selections.append(selection)
        self.setExtraSelections(selections)

    def _place_arrows(self) -> None:
        span = self.last_span()
        if span is None or len(span.swipes) < 2 or self.streaming:
            self.arrows.hide()
            return
        self.arrows.show_count(span.index, len(span.swipes))
        cursor = QTextCursor(self.document())
        cursor.setPosition(span.end)
        rect = self.cursorRect(cursor)
        viewport = self.viewport()
        x = rect.right() + 6  # beside the completion's end, on its line
        y = rect.center().y() - self.arrows.height() // 2
        if x + self.arrows.width() > viewport.width() - 4:  # no room there: below, at the right
            x, y = viewport.width() - self.arrows.width() - 4, rect.bottom() + 2
        self.arrows.move(QPoint(max(4, x), y))
        self.arrows.setVisible(0 <= y < viewport.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Over a generated token: its probability and alternatives; a click on one of the
        last completion's offers them to branch from."""
        if watched is self.viewport() and isinstance(event, QMouseEvent):
            found = self.token_at(self.cursorForPosition(event.position().toPoint()).position())
            if event.type() == QEvent.Type.MouseMove and not event.buttons():
                if found is None:
                    QToolTip.hideText()
                else:
                    span, token = found
                    text = span.text()[token.start:token.end]
                    QToolTip.showText(event.globalPosition().toPoint(),
                                      token_tooltip(text, token), self.viewport())
            elif (event.type() == QEvent.Type.MouseButtonRelease and found is not None
                  and found[0] is self.last_span() and found[1].alternatives
                  and not self.textCursor().hasSelection() and not self.streaming):
                self.token_clicked.emit(found[0], found[1], event.globalPosition().toPoint())
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QEvent) -> None:  # type: ignore[override]
        super().resizeEvent(event)
        self._place_arrows()


class SwipeArrows(QWidget):
    """"◀ 2/3 ▶" beside the last completion when it has several versions."""

    flip = Signal(int)

    def __init__(self, editor: NotebookEditor) -> None:
        super().__init__(editor.viewport())
        self.setAutoFillBackground(True)
        self.setAccessibleName("swipes")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(2)
        self.back = self._button("◀", "Previous version (Alt+Left)", -1)
        self.label = QLabel(self)
        self.forward = self._button("▶", "Next version (Alt+Right)", 1)
        layout.addWidget(self.back)
        layout.addWidget(self.label)
        layout.addWidget(self.forward)
        self.hide()

    def _button(self, text: str, tip: str, by: int) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setAutoRaise(True)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0].lower())
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda: self.flip.emit(by))
        return button

    def show_count(self, index: int, count: int) -> None:
        self.label.setText(f"{index + 1}/{count}")
        self.back.setEnabled(index > 0)
        self.forward.setEnabled(index < count - 1)
        self.adjustSize()
