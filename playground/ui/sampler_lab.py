"""The sampler lab: for one step of the last completion, what each stage of the sampler chain
did to the candidates — which it removed, and how the survivors' probabilities moved.

The chart is a table of bars: a row per candidate (most probable first), a column per stage
(the model's own distribution first). A bar's length is the candidate's probability after that
stage; a candidate removed by a stage is marked there in red and is empty after it; the token
the run drew at that step is highlighted (▶): the replay under other parameters may well draw
another, and the mark stays on what the run did. Changing a parameter redraws the same step,
without generating again (the engine replays the step from the run's own prompt and the text
of the run before it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from playground.core.client import CompletionClient
from playground.core.errors import PlaygroundError
from playground.core.trace import Candidate, TokenTrace, trace_step
from playground.ui.list_editors import escape
from playground.ui.widgets import delay_timer, error_label

ROWS = 14
ROW_HEIGHT = 22
LABEL_WIDTH = 120
CELL_WIDTH = 118
HEADER_HEIGHT = 40
REDRAW_DELAY_MS = 200

KEPT = QColor("#3d7fd9")
CHOSEN = QColor("#2e9d5b")
REMOVED = QColor("#d8453b")


class TraceChart(QWidget):
    """Paints one `TokenTrace`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trace: TokenTrace | None = None
        self.drawn: int | None = None  # the token id the run drew at this step
        self.setMouseTracking(True)
        self.setAccessibleName("sampler chain chart")

    def set_trace(self, trace: TokenTrace | None, drawn: int | None = None) -> None:
        self.trace, self.drawn = trace, drawn
        self.updateGeometry()
        self.adjustSize()
        self.update()

    def rows(self) -> list[Candidate]:
        if self.trace is None:
            return []
        rows = list(self.trace.candidates[:ROWS])
        drawn = [c for c in self.trace.candidates if c.id == self.drawn]
        if drawn and drawn[0] not in rows:
            rows.append(drawn[0])
        return rows

    def sizeHint(self) -> QSize:
        stages = len(self.trace.stages) if self.trace else 3
        return QSize(LABEL_WIDTH + stages * CELL_WIDTH + 8,
                     HEADER_HEIGHT + max(len(self.rows()), 3) * ROW_HEIGHT + 8)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _cell(self, row: int, column: int) -> QRectF:
        return QRectF(LABEL_WIDTH + column * CELL_WIDTH, HEADER_HEIGHT + row * ROW_HEIGHT,
                      CELL_WIDTH - 6, ROW_HEIGHT - 4)

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        faint = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        trace = self.trace
        if trace is None:
            painter.setPen(faint)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Run a prompt on the local engine, then pick a step.")
            return
        metrics = QFontMetricsF(self.font())
        for column, stage in enumerate(trace.stages):
            x = LABEL_WIDTH + column * CELL_WIDTH
            painter.setPen(text)
            painter.drawText(QRectF(x, 2, CELL_WIDTH - 6, 18), Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(stage, Qt.TextElideMode.ElideRight,
                                                CELL_WIDTH - 8))
            painter.setPen(faint)
            survivors = trace.survivors[column] if column < len(trace.survivors) else 0
            painter.drawText(QRectF(x, 19, CELL_WIDTH - 6, 18), Qt.AlignmentFlag.AlignLeft,
                             f"{survivors:,} left")
        for row, candidate in enumerate(self.rows()):
            top = HEADER_HEIGHT + row * ROW_HEIGHT
            chosen = candidate.id == self.drawn
            painter.setPen(CHOSEN if chosen else text)
            label = metrics.elidedText(quoted(candidate.text), Qt.TextElideMode.ElideRight,
                                       LABEL_WIDTH - 24)
            painter.drawText(QRectF(4, top, LABEL_WIDTH - 8, ROW_HEIGHT - 4),
                             Qt.AlignmentFlag.AlignVCenter, ("▶ " if chosen else "") + label)
            removed_at = (trace.stages.index(candidate.removed_by)
                          if candidate.removed_by in trace.stages else None)
            for column in range(len(trace.stages)):
                self._paint_cell(painter, self._cell(row, column), candidate, column,
                                 removed_at, chosen, faint)

    def _paint_cell(self, painter: QPainter, cell: QRectF, candidate: Candidate, column: int,
                    removed_at: int | None, chosen: bool, faint: QColor) -> None:
        prob = candidate.probs[column] if column < len(candidate.probs) else 0.0
        painter.setPen(QPen(faint, 0.5))
        painter.drawRect(cell)
        if removed_at is not None and column == removed_at:
            tint = QColor(REMOVED)
            tint.setAlpha(40)
            painter.fillRect(cell.adjusted(1, 1, -1, -1), tint)
            painter.setPen(REMOVED)
            painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, "removed")
            return
        if removed_at is not None and column > removed_at:
            return
        width = max(1.0, (cell.width() - 2) * min(prob, 1.0))
        painter.fillRect(QRectF(cell.left() + 1, cell.top() + 1, width, cell.height() - 2),
                         CHOSEN if chosen else KEPT)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        painter.drawText(cell.adjusted(4, 0, -4, 0),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         f"{prob:.1%}" if prob >= 0.001 else f"{prob:.0e}")

    def event(self, event: Any) -> bool:
        if isinstance(event, QHelpEvent) and self.trace is not None:
            tip = self._tip_at(event.pos().x(), event.pos().y())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _tip_at(self, x: float, y: float) -> str | None:
        assert self.trace is not None
        rows = self.rows()
        row, column = int((y - HEADER_HEIGHT) // ROW_HEIGHT), int((x - LABEL_WIDTH) // CELL_WIDTH)
        if not (0 <= row < len(rows) and 0 <= column < len(self.trace.stages)) or y < HEADER_HEIGHT:
            return None
        candidate = rows[row]
        prob = candidate.probs[column] if column < len(candidate.probs) else 0.0
        fate = f"; removed by {candidate.removed_by}" if candidate.removed_by else ""
        return (f"token {candidate.id} {quoted(candidate.text)} after "
                f"{self.trace.stages[column]}: {prob:.4%}{fate}")


ParamsSource = Callable[[], Mapping[str, Any]]


def quoted(text: str) -> str:
    """A token as people can read it: quoted, so spaces show, with newlines spelled out."""
    return f"'{escape(text)}'"


class SamplerLab(QDialog):
    """Pick a step of a run's completion; see the chain's work on it under the current
    parameters. Works with the local engine (it needs the engine's trace)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sampler Lab")
        self.resize(900, 520)
        self._client: CompletionClient | None = None
        self._why = "Run a prompt on the local engine; its steps can then be explored here."
        self._model = ""
        self._prompt = ""
        self._tokens: list[tuple[int, str]] = []  # the output as the engine's tokens
        self._offsets: list[int] = [0]  # where each output token starts, and the end
        self._output = ""
        self._params: ParamsSource = dict
        self._task: asyncio.Task[None] | None = None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.step = QSlider(Qt.Orientation.Horizontal, self)
        self.step.setAccessibleName("step")
        self.step.setToolTip("Which token of the run's completion to look at")
        self.step.valueChanged.connect(self._schedule)
        self.step_label = QLabel(self)
        self.step_label.setAccessibleName("step description")
        step_title = QLabel("&Step", self)
        step_title.setBuddy(self.step)
        row.addWidget(step_title)
        row.addWidget(self.step, 1)
        layout.addLayout(row)
        layout.addWidget(self.step_label)
        self.error = error_label(self)
        layout.addWidget(self.error)
        self.chart = TraceChart(self)
        scroll = QScrollArea(self)
        scroll.setWidget(self.chart)
        scroll.setWidgetResizable(False)
        layout.addWidget(scroll, 1)
        legend = QLabel("Bars: probability after each stage (left: the model's own). "
                        "<span style='color:#d8453b'>removed</span> marks the stage that "
                        "dropped a candidate; <span style='color:#2e9d5b'>▶ green</span> is "
                        "the token the run drew at this step. Hover a cell for exact values.", self)
        legend.setWordWrap(True)
        layout.addWidget(legend)
        self._timer = delay_timer(self, REDRAW_DELAY_MS, self.redraw)

    def set_run(self, client: CompletionClient | None, model: str, prompt: str,
                tokens: list[tuple[int, str]], params: ParamsSource, *, why: str = "") -> None:
        """The run to explore: its own prompt and its output as the engine's (id, text)
        tokens; `params` gives the parameters to replay each step under. Without a client,
        there is none, and `why` says why."""
        self._why = why
        self._client, self._model, self._prompt = client, model, prompt
        self._tokens, self._params = tokens, params
        self._output = "".join(text for _, text in tokens)
        self._offsets = [0]
        for _, text in tokens:
            self._offsets.append(self._offsets[-1] + len(text))
        self.step.blockSignals(True)
        self.step.setRange(0, max(0, len(tokens) - 1))
        self.step.blockSignals(False)
        self._schedule()

    def _step(self) -> tuple[str, int | None, str]:
        """The chosen step: the text before it (prompt and output), and the token the run
        drew there (id and text; None when the run has no output)."""
        index = self.step.value()
        if index >= len(self._tokens):
            return self._prompt, None, ""
        token, text = self._tokens[index]
        return self._prompt + self._output[:self._offsets[index]], token, text

    def parameters_changed(self) -> None:
        if self.isVisible():
            self._schedule()

    def _schedule(self) -> None:
        before, token, text = self._step()
        if token is None:
            self.step_label.setText("The run has no output to explore.")
        else:
            where = "the prompt" if self.step.value() == 0 else "the text"
            self.step_label.setText(f"Step {self.step.value() + 1} of {len(self._tokens)}: "
                                    f"after {where} …{quoted(before[-40:])}, the run drew "
                                    f"{quoted(text)}")
        self._timer.start()

    def redraw(self) -> None:
        if self._client is None:
            self._show_error(self._why)
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(self._load())

    async def _load(self) -> None:
        assert self._client is not None
        index = self.step.value()
        _, token, _ = self._step()
        try:
            trace = await trace_step(self._client, self._model, self._prompt,
                                     self._output[:self._offsets[index]], self._params(),
                                     also=[token] if token is not None else [])
        except PlaygroundError as exc:
            self._show_error(str(exc))
            return
        self.error.hide()
        self.chart.set_trace(trace, token)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    async def shutdown(self) -> None:
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
