"""A read-only text view built for streaming: appending costs the same at 100 characters as at
1,000,000, even when everything is one paragraph.

`QPlainTextEdit` lays out a whole paragraph again on every insert, which is quadratic for a long
single-paragraph completion. Word wrapping is greedy, though: where a line breaks depends only on
where that line starts. So this view keeps the wrapped lines it has already laid out and lays out
only the last, unfinished line plus the new text. All lines share one height, so painting and
hit-testing need no per-line geometry.

Two shortcuts keep a fast stream cheap (a stream of 100,000 tokens a second appends ~150 short
lines per frame): lines of printable ASCII are wrapped by their widths summed from
per-character advances, with some slack, without shaping them; and painting draws each visible
line's text directly, keeping a `QTextLayout` per line only for hit tests and highlights.

It offers what a reader needs from an output pane: selection with the mouse or keyboard, copy,
select all, following the end while the view is at the end, and a placeholder.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from itertools import accumulate
from time import monotonic
from typing import ClassVar, NamedTuple

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QToolTip, QWidget

MARGIN = 6.0
RELAYOUT_DELAY_MS = 60
#: While following a stream, the scroll bar is repainted at most this often (repainting it on
#: every frame costs as much as painting the text).
SCROLLBAR_FRAME_MS = 100
#: The least time between two views' scroll bar repaints while they follow streams.
SCROLLBAR_PACE_MS = 16
#: A line measured by its characters' advances is kept narrower than the view by this share
#: (kerning and hinting can shift a shaped line's width by ~1 %).
FIT_SLACK = 0.03
#: Advances of printable ASCII by code; anything else (tab, control) is infinitely wide here.
_NO_ADVANCE = float("inf")
#: The characters a line can be measured by (printable ASCII), from a position on.
_MEASURABLE = re.compile(r"[ -~]*")
#: Characters beyond the Basic Multilingual Plane (emoji, mostly): two UTF-16 units each.
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _to_utf16(text: str, index: int) -> int:
    """Qt's position of `text[index]`: Qt counts UTF-16 units, Python characters."""
    return index + len(_ASTRAL.findall(text, 0, index))


def _from_utf16(text: str, position: int) -> int:
    """The index in `text` of Qt's `position` (see `_to_utf16`)."""
    if not _ASTRAL.search(text):
        return position
    units = 0
    for index, char in enumerate(text):
        if units >= position:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


class Line(NamedTuple):  # not a frozen dataclass: those cost 1 µs each to build
    """A wrapped line: text[start:end] (a line's trailing newline is not part of it)."""

    start: int
    end: int


@dataclass(frozen=True)
class TokenSpan:
    """A generated token's place in the text and its log probability, with alternatives."""

    start: int
    end: int
    logprob: float
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def probability(self) -> float:
        return math.exp(self.logprob)


def probability_color(probability: float) -> QColor:
    """Red for unlikely tokens through amber to green for likely ones, translucent."""
    color = QColor.fromHsvF(max(0.0, min(probability, 1.0)) / 3, 0.75, 0.95)
    color.setAlphaF(0.35)
    return color


class StreamView(QAbstractScrollArea):
    selection_changed = Signal()
    token_clicked = Signal(object, QPoint)  # TokenSpan, global position
    #: When a view last showed its held scroll bar (`_pace_scrollbar`), any view.
    _scrollbar_shown_at: ClassVar[float] = -math.inf

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        # A mouse moved with no button held reaches mouseMoveEvent only with tracking on:
        # hovering a token shows its probability and alternatives.
        self.viewport().setMouseTracking(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Base)
        self.viewport().setAutoFillBackground(True)
        self._text = ""
        self._lines: list[Line] = []
        self._tail = 0  # where the unfinished last line starts
        self._placeholder = ""
        self._anchor: int | None = None  # selection: anchor and cursor offsets
        self._cursor = 0
        self._layout_width = 0.0
        self._layouts: dict[Line, QTextLayout] = {}
        self._spans: list[TokenSpan] = []
        self._span_starts: list[int] = []
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(RELAYOUT_DELAY_MS)
        self._relayout_timer.timeout.connect(self._relayout)
        self._scrollbar_timer = QTimer(self)
        self._scrollbar_timer.setSingleShot(True)
        self._scrollbar_timer.timeout.connect(self._pace_scrollbar)
        self._scrollbar_showing = False
        self.verticalScrollBar().installEventFilter(self)
        self._metrics = QFontMetricsF(self.font())
        self._advances = _ascii_advances(self._metrics)
        self._narrowest = min(self._advances)
        self._option = QTextOption()
        self._option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)

    # --- content -----------------------------------------------------------------------

    def text(self) -> str:
        return self._text

    def clear(self) -> None:
        self._layouts.clear()
        self._spans, self._span_starts = [], []
        self._text = ""
        self._lines = []
        self._tail = 0
        self._anchor = None
        self._cursor = 0
        self._repaint_scrollbar()
        self._update_scrollbar()
        self.viewport().update()
        self.selection_changed.emit()

    def setPlainText(self, text: str) -> None:
        self.clear()
        self.append_text(text)

    def append_text(self, text: str) -> None:
        """Add text at the end; keep following the end if the view was already there."""
        if not text:
            return
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum()
        was_empty = not self._text
        changed = len(self._lines)  # the unfinished line: it and the lines after it are new
        self._text += text
        self._layout_from_tail()
        if following and bar.updatesEnabled() and not self._scrollbar_showing:
            bar.setUpdatesEnabled(False)  # until the timer shows it
            self._scrollbar_timer.start(SCROLLBAR_FRAME_MS)
        self._update_scrollbar()
        if following:
            bar.setValue(bar.maximum())  # moves what is already painted (scrollContentsBy)
        viewport = self.viewport()
        top = 0 if was_empty else max(0, math.floor(self._line_top(changed)))
        if top < viewport.height():  # repaint only the new lines, not the whole view
            viewport.update(0, top, viewport.width(), viewport.height() - top)

    def _pace_scrollbar(self) -> None:
        """Show the held scroll bar, unless another view's was shown this frame: then a frame
        later. The compare window's columns stream together, and a bar takes a few ms to paint;
        all of them in one frame would stall the window."""
        now = monotonic()
        if now - StreamView._scrollbar_shown_at < SCROLLBAR_PACE_MS / 1000:
            self._scrollbar_timer.start(SCROLLBAR_PACE_MS)
            return
        StreamView._scrollbar_shown_at = now
        self._scrollbar_showing = True  # not held again before it has painted
        self._repaint_scrollbar()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.verticalScrollBar():
            self._scrollbar_showing = False
        return super().eventFilter(watched, event)

    def _repaint_scrollbar(self) -> None:
        self._scrollbar_timer.stop()
        self.verticalScrollBar().setUpdatesEnabled(True)  # repaints it if it was held

    def setPlaceholderText(self, text: str) -> None:
        self._placeholder = text
        self.viewport().update()

    def placeholderText(self) -> str:
        return self._placeholder

    def line_count(self) -> int:
        return len(self._lines) + 1

    # --- token probabilities ----------------------------------------------------------------

    def add_spans(self, spans: list[TokenSpan]) -> None:
        """Token probabilities for text already shown (or about to be); kept in order."""
        for span in spans:
            index = bisect.bisect_right(self._span_starts, span.start)
            self._spans.insert(index, span)
            self._span_starts.insert(index, span.start)
        self.viewport().update()

    def spans(self) -> list[TokenSpan]:
        return list(self._spans)

    def span_at(self, offset: int) -> TokenSpan | None:
        index = bisect.bisect_right(self._span_starts, offset) - 1
        if index >= 0 and self._spans[index].start <= offset < self._spans[index].end:
            return self._spans[index]
        return None

    # --- selection ---------------------------------------------------------------------

    def selected_text(self) -> str:
        start, end = self._selection()
        return self._text[start:end]

    def select_all(self) -> None:
        self._anchor, self._cursor = 0, len(self._text)
        self.viewport().update()
        self.selection_changed.emit()

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def _selection(self) -> tuple[int, int]:
        if self._anchor is None:
            return self._cursor, self._cursor
        return min(self._anchor, self._cursor), max(self._anchor, self._cursor)

    # --- layout --------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        """A new font (its own, or one its parent passes down) lays the text out again."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._metrics = QFontMetricsF(self.font())
            self._advances = _ascii_advances(self._metrics)
            self._narrowest = min(self._advances)
            self._relayout()

    def _width(self) -> float:
        """The width lines wrap at: the same whether the scroll bar shows or not, so its
        appearing (as a stream grows past one screen) does not wrap everything again."""
        viewport = self.maximumViewportSize().width() - self.verticalScrollBar().sizeHint().width()
        return max(10.0, viewport - 2 * MARGIN)

    def _all_lines(self) -> list[Line]:
        return [*self._lines, Line(self._tail, len(self._text))]

    def _line_at(self, index: int) -> Line:
        """Wrapped line `index` (0 <= index < line_count()); the last one is unfinished."""
        if index < len(self._lines):
            return self._lines[index]
        return Line(self._tail, len(self._text))

    def _layout_from_tail(self) -> None:
        """Wrap text[tail:] and freeze every line but the last, which may still grow."""
        self._layout_width = self._width()
        text = self._text
        start = self._tail
        while True:
            newline = text.find("\n", start)
            end = len(text) if newline < 0 else newline
            self._wrap(start, end, final=newline >= 0)
            if newline < 0:
                return
            start = newline + 1
            self._tail = start

    def _wrap(self, start: int, end: int, *, final: bool) -> None:
        """Wrap text[start:end], a paragraph or the unfinished end of one: every line but the
        last is frozen, and the last too if `final` (else it stays the tail)."""
        bounds = [start, *(start + cut for cut in self._cuts(self._text[start:end])), end]
        if not final:
            bounds.pop()
            self._tail = bounds[-1]
        self._lines.extend(map(Line, bounds, bounds[1:]))

    def _cuts(self, text: str) -> list[int]:
        """Where the lines of paragraph `text` after the first begin. A line whose characters
        are printable ASCII until it is full is measured by their advances, without shaping
        (the slack covers kerning and hinting); any other line is shaped by Qt. Either way a
        line depends only on the text from its start, so a paragraph wrapped in pieces as it
        streams in wraps as it would at once."""
        limit = self._layout_width * (1 - FIT_SLACK) - 2
        cuts: list[int] = []
        shaped: list[int] = []  # Qt's next line starts, from a layout begun at `shaped_from`
        shaped_from = -1
        start = run_start = run_end = 0
        widths = [0.0]
        while True:
            if not run_start <= start < run_end:  # the printable ASCII from start on, measured
                run_start, run_end = start, _MEASURABLE.match(text, start).end()
                codes = text[start:run_end].encode("ascii")
                widths = list(accumulate(map(self._advances.__getitem__, codes), initial=0.0))
            base = widths[start - run_start]
            if widths[-1] - base > limit:  # full before the run ends: break at the last space
                end = run_start + bisect.bisect_right(widths, base + limit) - 1
                space = text.rfind(" ", start, end + 1)  # a space may hang past the edge
                cut = space + 1 if space >= start else max(end, start + 1)
            elif run_end == len(text):
                return cuts  # the rest fits
            else:  # another character comes first: Qt decides
                if shaped_from != start or not shaped:
                    shaped = self._shaped_cuts(text, start)
                if not shaped:
                    return cuts
                cut = shaped.pop(0)
                shaped_from = cut
            cuts.append(cut)
            start = cut

    def _shaped_cuts(self, text: str, start: int) -> list[int]:
        """Where Qt starts the lines of text[start:] after the first, as far as they are sure.
        It shapes a window of a few lines' worth, not the whole rest of a long paragraph for
        each line; the window's last break could move with the text after it."""
        per_line = int(self._layout_width / max(self._narrowest, 1.0))
        stop = min(len(text), start + 4 * per_line + 64)
        while True:
            piece = text[start:stop]
            layout = QTextLayout(piece, self.font())
            layout.setTextOption(self._option)
            layout.beginLayout()
            cuts = []
            while (line := layout.createLine()).isValid():
                line.setLineWidth(self._layout_width)
                cuts.append(start + _from_utf16(piece, line.textStart()))
            layout.endLayout()
            del cuts[0]
            if stop == len(text):
                return cuts
            if len(cuts) >= 2:
                return cuts[:-1]
            stop = len(text)

    def _relayout(self) -> None:
        self._layouts.clear()
        self._lines = []
        self._tail = 0
        self._layout_from_tail()
        self._update_scrollbar()
        self.viewport().update()

    def _update_scrollbar(self) -> None:
        total = self.line_count() * self._metrics.lineSpacing() + 2 * MARGIN
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(round(self._metrics.lineSpacing()))
        bar.setRange(0, max(0, round(total - self.viewport().height())))

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        # Move the painted pixels and paint only what scrolled into view (the default repaints
        # the whole viewport, which for a fast stream is most of a frame's work).
        self.viewport().scroll(dx, dy)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbar()
        if abs(self._width() - self._layout_width) > 0.5:
            if len(self._text) < 20_000:
                self._relayout()
            else:  # a long text is wrapped again once the resizing settles
                self._relayout_timer.start()

    # --- painting and hit testing -------------------------------------------------------------

    def _line_top(self, index: int) -> float:
        return MARGIN + index * self._metrics.lineSpacing() - self.verticalScrollBar().value()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setFont(self.font())
        palette = self.palette()
        if not self._text:
            if self._placeholder:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(QRectF(MARGIN, MARGIN, self._width(), 1e6),
                                 Qt.TextFlag.TextWordWrap, self._placeholder)
            return
        spacing = self._metrics.lineSpacing()
        ascent = self._metrics.ascent()
        rect = event.rect()  # often just the new lines at the bottom (see append_text)
        offset = self.verticalScrollBar().value() - MARGIN
        first = max(0, int((rect.top() + offset) // spacing))
        last = min(self.line_count(), int((rect.bottom() + 1 + offset) // spacing) + 1)
        sel_start, sel_end = self._selection()
        text_color = palette.color(QPalette.ColorRole.Text)
        text = self._text
        for index in range(first, last):
            line = self._line_at(index)
            top = self._line_top(index)
            if sel_start < sel_end and line.start <= sel_end and sel_start <= line.end:
                left = self._x_at(line, max(sel_start, line.start))
                right = self._x_at(line, min(sel_end, line.end))
                if sel_end > line.end:  # the selection runs on past this line
                    right = max(right, left + self._metrics.averageCharWidth())
                painter.fillRect(QRectF(MARGIN + left, top, right - left, spacing),
                                 palette.color(QPalette.ColorRole.Highlight))
            if self._spans:
                self._paint_spans(painter, line, top, spacing)
            painter.setPen(text_color)
            # Drawn as the line's own layout would draw it (no wrapping, baseline at the
            # ascent), at half the cost of building that layout.
            painter.drawText(QPointF(MARGIN, top + ascent), text[line.start:line.end])

    def _paint_spans(self, painter: QPainter, line: Line, top: float, spacing: float) -> None:
        index = max(0, bisect.bisect_right(self._span_starts, line.start) - 1)
        while index < len(self._spans) and self._spans[index].start < line.end:
            span = self._spans[index]
            index += 1
            start, end = max(span.start, line.start), min(span.end, line.end)
            if start >= end:
                continue
            left, right = self._x_at(line, start), self._x_at(line, end)
            painter.fillRect(QRectF(MARGIN + left, top + 1, right - left, spacing - 2),
                             probability_color(span.probability))

    def _line_layout(self, line: Line) -> QTextLayout:
        """One wrapped line laid out alone (as the wrap saw it), for painting and hit tests."""
        layout = self._layouts.get(line)
        if layout is None:
            if len(self._layouts) > 512:
                self._layouts.clear()
            layout = QTextLayout(self._text[line.start:line.end], self.font())
            layout.setTextOption(self._option)
            layout.beginLayout()
            text_line = layout.createLine()
            text_line.setLineWidth(1e9)
            text_line.setPosition(QPointF(0, 0))
            layout.endLayout()
            self._layouts[line] = layout
        return layout

    def _x_at(self, line: Line, offset: int) -> float:
        position = _to_utf16(self._text[line.start:line.end], offset - line.start)
        return self._line_layout(line).lineAt(0).cursorToX(position)[0]

    def _offset_at(self, point: QPoint) -> int:
        spacing = self._metrics.lineSpacing()
        y = point.y() + self.verticalScrollBar().value() - MARGIN
        line = self._line_at(min(max(0, int(y // spacing)), self.line_count() - 1))
        position = self._line_layout(line).lineAt(0).xToCursor(point.x() - MARGIN)
        return line.start + _from_utf16(self._text[line.start:line.end], position)

    # --- input --------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            offset = self._offset_at(event.position().toPoint())
            extend = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if not extend or self._anchor is None:
                self._anchor = offset
            self._cursor = offset
            self.viewport().update()
            self.selection_changed.emit()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._cursor = self._offset_at(event.position().toPoint())
            self.viewport().update()
            self.selection_changed.emit()
        elif self._spans:
            span = self.span_at(self._offset_at(event.position().toPoint()))
            if span is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPosition().toPoint(),
                                  token_tooltip(self.text()[span.start:span.end], span),
                                  self.viewport())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        anchor = self._anchor
        if (event.button() == Qt.MouseButton.LeftButton and anchor == self._cursor
                and self._spans):
            span = self.span_at(self._cursor)
            if span is not None:
                self.token_clicked.emit(span, event.globalPosition().toPoint())
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        offset = self._offset_at(event.position().toPoint())
        start = end = offset
        while start > 0 and self._text[start - 1].isalnum():
            start -= 1
        while end < len(self._text) and self._text[end].isalnum():
            end += 1
        self._anchor, self._cursor = start, end
        self.viewport().update()
        self.selection_changed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        copy = menu.addAction("Copy", self.copy)
        copy.setEnabled(bool(self.selected_text()))
        menu.addAction("Select All", self.select_all)
        menu.popup(event.globalPos())


def _ascii_advances(metrics: QFontMetricsF) -> list[float]:
    return [metrics.horizontalAdvance(chr(code)) if 32 <= code < 127 else _NO_ADVANCE
            for code in range(128)]


def token_tooltip(text: str, span: TokenSpan) -> str:
    """The token (`text`), its probability and its alternatives, as a small table."""
    import html  # only when a tooltip shows: not part of the window's start-up

    token = html.escape(repr(text))
    rows = "".join(
        f"<tr><td>{html.escape(repr(text))}</td><td align='right'>{math.exp(lp):.1%}</td></tr>"
        for text, lp in span.alternatives)
    table = f"<table>{rows}</table>" if rows else ""
    hint = "<p><i>Click to branch from an alternative.</i></p>" if rows else ""
    return f"<p><b>{token}</b> — {span.probability:.1%}</p>{table}{hint}"
