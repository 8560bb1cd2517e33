"""Hovering a token of the output, as a real mouse does: no button held."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolTip

from playground.ui.stream_view import StreamView, TokenSpan

pytestmark = pytest.mark.gui


def test_hovering_a_token_with_no_button_held_shows_its_tooltip(qtbot) -> None:
    # Through the window system's path, as a real mouse moves: without mouse tracking on the
    # viewport such a move never reaches the view and no tooltip shows.
    view = StreamView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.setPlainText("Hello world")
    view.add_spans([TokenSpan(0, 5, math.log(0.5), ((" Hi", math.log(0.25)),)),
                    TokenSpan(5, 11, math.log(0.9))])
    view.verticalScrollBar().setValue(0)
    line = view._all_lines()[0]
    y = int(6 + view._metrics.lineSpacing() * 0.5)
    x = int(6 + view._x_at(line, 2))
    QToolTip.hideText()
    # A real mouse hovers with no button held: release what an earlier test's double click
    # left QTest counting as held (away from the text, so nothing is clicked).
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(390, 290))
    qtbot.mouseMove(view.viewport(), QPoint(x, y))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert "&#x27;Hello&#x27;</b> — 50.0%" in QToolTip.text()
    assert "&#x27; Hi&#x27;</td><td align='right'>25.0%" in QToolTip.text()
    QToolTip.hideText()
