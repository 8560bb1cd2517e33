"""The streaming output view: incremental wrapping must equal wrapping everything at once."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetricsF, QGuiApplication

from playground.ui import stream_view
from playground.ui.stream_view import StreamView

pytestmark = pytest.mark.gui

WORDS = st.lists(st.sampled_from(["lorem", "ipsum", "a", "dolorsitametconsectetur", " ",
                                  "  ", "\n", "\n\n", "é", "漢字", "🙂", "\t", "x" * 70]),
                 min_size=1, max_size=80)


@pytest.fixture(scope="module")
def view(qapp):
    widget = StreamView()
    widget.resize(400, 300)
    widget.show()
    yield widget
    widget.close()


@given(pieces=WORDS, data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
def test_incremental_wrap_equals_wrapping_at_once(view, pieces, data) -> None:
    text = "".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    view.clear()
    for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True):
        view.append_text(text[a:b])
    streamed = view._all_lines()
    view.setPlainText(text)
    assert view.text() == text
    assert streamed == view._all_lines()
    # Every character is on exactly one line, or is a newline between lines.
    covered = "".join(text[line.start:line.end] for line in streamed)
    assert covered == text.replace("\n", "")


def test_long_single_paragraph_wraps_into_many_lines(view) -> None:
    view.clear()
    for _ in range(2000):
        view.append_text("token ")
    assert view.line_count() > 100
    assert max(line.end - line.start for line in view._all_lines()) < 200


def test_emoji_shift_neither_line_breaks_nor_hit_tests(view, qtbot) -> None:
    # Qt counts an emoji as two UTF-16 units; read as Python indices, every break after one
    # would land a character early, inside a word.
    words = ("lighthouse 🙂 keeper «très» " * 40).split(" ")
    view.clear()
    for word in words:
        view.append_text(word + " ")
    text = view.text()
    lines = view._all_lines()
    assert len(lines) > 5
    for line in lines[1:]:
        assert text[line.start - 1] == " ", text[line.start - 8:line.start + 8]
    view.setPlainText("a🙂b🙂c")
    line = view._all_lines()[0]
    xs = [view._x_at(line, i) for i in range(6)]
    assert xs == sorted(xs) and len(set(xs)) == 6
    view.verticalScrollBar().setValue(0)
    y = int(6 + view._metrics.lineSpacing() * 0.5)
    for index in range(5):
        middle = (xs[index] + xs[index + 1]) / 2
        left_half = int(6 + (xs[index] + middle) / 2)
        assert view._offset_at(QPoint(left_half, y)) == index


def test_selection_copy_and_select_all(view, qtbot) -> None:
    view.setPlainText("first line\nsecond line")
    view.select_all()
    assert view.selected_text() == "first line\nsecond line"
    view.copy()
    assert QGuiApplication.clipboard().text() == "first line\nsecond line"
    view.verticalScrollBar().setValue(0)
    y = int(6 + view._metrics.lineSpacing() * 0.5)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(7, y))
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(12, y))
    assert view.selected_text() == "first"


def test_follows_the_end_only_when_at_the_end(view) -> None:
    view.clear()
    view.append_text("line\n" * 200)
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    bar.setValue(0)
    view.append_text("more\n" * 50)
    assert bar.value() == 0


def test_placeholder_and_font_change_relayout(view, qapp) -> None:
    view.clear()
    view.setPlaceholderText("The completion streams in here.")
    assert view.placeholderText() == "The completion streams in here."
    view.setPlainText("word " * 300)
    before = view.line_count()
    font = view.font()
    font.setPointSize(font.pointSize() * 2)
    view.setFont(font)
    assert view.line_count() > before


def test_append_cost_does_not_grow_with_the_paragraph(view) -> None:
    """Not a timing assertion: it counts how much text each append lays out again."""
    view.clear()
    laid_out: list[int] = []
    original = view._wrap

    def counting(start: int, end: int, *, final: bool) -> None:
        laid_out.append(end - start)
        original(start, end, final=final)

    view._wrap = counting  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        for _ in range(20_000):
            view.append_text("word ")
        elapsed = time.perf_counter() - started
    finally:
        del view._wrap
    # Each append re-wraps only the unfinished last line plus the new text.
    assert max(laid_out) < 200
    print(f"20,000 appends into one paragraph: {elapsed * 1000:.0f} ms")


def test_the_scroll_bar_appearing_wraps_nothing_again(view, qapp) -> None:
    view.clear()
    qapp.processEvents()
    bar = view.verticalScrollBar()
    assert not bar.isVisible()
    width, before = view._width(), view.viewport().width()
    relayouts: list[int] = []
    original = view._relayout
    view._relayout = lambda: (relayouts.append(1), original())  # type: ignore[method-assign]
    try:
        view.append_text("a paragraph that wraps " * 20 + "\nline\n" * 100)
        qapp.processEvents()  # the scroll bar shows, and the viewport narrows
    finally:
        del view._relayout
    assert bar.isVisible() and view.viewport().width() < before
    assert view._width() == width and relayouts == []


@pytest.mark.parametrize("width", [90, 160, 400])
def test_measured_lines_fit_the_view(view, qapp, width) -> None:
    view.resize(width, 300)
    qapp.processEvents()
    text = "".join(f"word{i % 13} " * (1 + i % 4) + ("\n" if i % 9 == 0 else "")
                   for i in range(300)) + "W" * 80
    view.setPlainText(text)
    metrics = QFontMetricsF(view.font())
    lines = view._all_lines()
    assert len(lines) > text.count("\n") + 1  # it wrapped
    for line in lines:
        assert metrics.horizontalAdvance(text[line.start:line.end].rstrip(" ")) \
            <= view._layout_width
    view.resize(400, 300)


@pytest.fixture
def two_following(qapp, monkeypatch):
    """Two shown views following their streams, with the clock stopped for the pacing."""
    monkeypatch.setattr(stream_view, "monotonic", lambda: 1000.0)
    views = [StreamView(), StreamView()]
    for widget in views:
        widget.resize(300, 200)
        widget.show()
        widget.append_text("line\n" * 100)
        qapp.processEvents()
        widget.append_text("more\n")  # held: only the timer shows it again
        assert not widget.verticalScrollBar().updatesEnabled()
    # No bar shown "this frame" yet: on a slow start, a view's timer may have fired above.
    monkeypatch.setattr(StreamView, "_scrollbar_shown_at", -math.inf)
    yield views
    for widget in views:
        widget.close()


def test_two_views_do_not_show_their_scroll_bars_in_the_same_frame(two_following) -> None:
    first, second = two_following
    first._pace_scrollbar()
    second._pace_scrollbar()
    assert first.verticalScrollBar().updatesEnabled()
    assert not second.verticalScrollBar().updatesEnabled()
    assert second._scrollbar_timer.isActive()  # its turn comes a frame later


def test_a_shown_scroll_bar_paints_before_it_is_held_again(two_following, qtbot) -> None:
    view = two_following[0]
    bar = view.verticalScrollBar()
    view._pace_scrollbar()
    view.append_text("more\n")  # arrives before the bar painted: it must not cancel the paint
    assert bar.updatesEnabled()
    qtbot.waitUntil(lambda: not view._scrollbar_showing)
    view.append_text("more\n")
    assert not bar.updatesEnabled()

