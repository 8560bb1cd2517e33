"""Compare settings side by side: one prompt, 2 to 8 columns, run together.

Each column is a variant: overrides on the main window's current parameters, written as
``temperature=0.2,top_k=40`` (or ``preset=NAME``, or ``model=ID``). Sweeps create the columns
in one step. The prompt and model every column shares are shown, read-only, at the top.
Every column streams with its own worker and figures; after a run, a summary table compares
them and a diff shows how two columns' settings differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.catalog import BY_NAME
from playground.core.client import CompletionClient
from playground.core.compare import (
    MAX_VARIANTS,
    MIN_VARIANTS,
    SummaryRow,
    Variant,
    check_count,
    parse_variant,
    seeds,
    settings_diff,
    sweep,
)
from playground.core.errors import InvalidParameter
from playground.core.request import CompletionRequest, build_request
from playground.core.runs import Run, RunResult
from playground.ui.stream_view import StreamView
from playground.ui.widgets import error_label, push_button
from playground.ui.worker import FRAME_MS, RunWorker


@dataclass(frozen=True)
class Base:
    """What every column shares, taken from the main window when Run all is pressed."""

    client: CompletionClient
    prompt: str
    model: str
    params: Mapping[str, Any]
    dialect: str = "nanogpt"
    connection: str = ""  # its name, for history
    preset: str | None = None  # the preset the window's settings came from, for history
    extra: Mapping[str, Any] = field(default_factory=dict)  # the window's extra fields


BaseSource = Callable[[], Base]
#: The main window's request as it would be sent now, without sending anything or asking the
#: person anything; raises `InvalidParameter` when the inputs cannot run.
PreviewSource = Callable[[], CompletionRequest]
PresetSource = Callable[[str], Mapping[str, Any]]
#: The most runs of the window's prompt can cost, one per (model, max_tokens) given (None: a
#: model's prices, or max_tokens, are not known).
BoundSource = Callable[[Sequence[tuple[str | None, Any]]], float | None]
#: The most columns whose views take new text in one frame. Eight views redrawn in the same
#: frame keep the window from reacting for longer than a frame; with more columns streaming,
#: each takes its turn every other frame.
COLUMNS_PER_FRAME = 4


class Column(QFrame):
    """One variant: its overrides, its own stream and figures."""

    remove_requested = Signal(object)
    finished = Signal(object)  # RunResult

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.result: RunResult | None = None
        self.summary_row: SummaryRow | None = None  # the finished run's row, computed once
        self.variant: Variant | None = None
        self.worker = RunWorker(self, own_clock=False)  # CompareView._next_frame flushes it
        self.worker.started.connect(self._started)
        self.worker.text.connect(self._text)
        self.worker.finished.connect(self._finished)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        header = QHBoxLayout()
        self.overrides = QLineEdit(text, self)
        self.overrides.setAccessibleName("column overrides")
        self.overrides.setPlaceholderText("temperature=0.7,top_k=40  or  preset=NAME")
        self.overrides.setToolTip("This column's changes to the main window's parameters: "
                                  "NAME=VALUE pairs, preset=NAME, model=ID")
        self.stop_button = push_button("Stop", "Stop this column", self)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.worker.stop)
        remove = push_button("×", "Remove this column", self)
        remove.setAccessibleName("remove column")
        remove.setFixedWidth(28)
        remove.clicked.connect(self._remove_clicked)
        header.addWidget(self.overrides, 1)
        header.addWidget(self.stop_button)
        header.addWidget(remove)
        layout.addLayout(header)
        self.error = error_label(self)
        layout.addWidget(self.error)
        self.output = StreamView(self)
        self.output.setAccessibleName("column output")
        self.output.setMinimumWidth(180)
        layout.addWidget(self.output, 1)
        self.figures = QLabel(self)
        self.figures.setObjectName("paramSummary")
        self.figures.setWordWrap(True)
        layout.addWidget(self.figures)

    def _text(self, chunk: str) -> None:
        self.output.append_text(chunk)

    def _remove_clicked(self) -> None:
        self.remove_requested.emit(self)

    def parse(self, load_preset: PresetSource | None) -> Variant:
        self.variant = parse_variant(self.overrides.text(), load_preset)
        return self.variant

    def start(self, client: CompletionClient, run: Run) -> None:
        self.worker.start(client, run)

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def _started(self) -> None:
        self.output.clear()
        self.show_error(None)
        self.stop_button.setEnabled(True)
        self.figures.setText("Running…")

    def _finished(self, run: Run) -> None:
        self.result = result = run.result
        self.stop_button.setEnabled(False)
        row = self.summary_row = SummaryRow.of("", result)
        speed = f"{row.tokens_per_s:.0f} tok/s · " if row.tokens_per_s else ""
        ended = run.figures.outcome if result.error else row.finish_reason or "done"
        self.figures.setText(f"{ended} · {row.tokens} tokens · {speed}{row.total_ms:.0f} ms")
        if result.error is not None:
            self.show_error(str(result.error))
        self.finished.emit(result)


class SharedPrompt(QWidget):
    """The prompt and model every column runs, read-only: the main window's, as sent."""

    PROMPT_LINES = 4  # visible lines of the prompt before it scrolls
    UNKNOWN = "The prompt and model are shown here when Run all is pressed."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel(self)
        self.heading.setAccessibleName("compared model")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.heading.setToolTip("What every column sends: the main window's prompt and model. "
                                "A column with model=ID uses that model instead.")
        self.problem = error_label(self)
        self.problem.setAccessibleName("compared prompt problem")
        self.prompt = QPlainTextEdit(self)
        self.prompt.setReadOnly(True)
        self.prompt.setTabChangesFocus(True)
        self.prompt.setAccessibleName("compared prompt")
        self.prompt.setToolTip("The prompt every column sends; edit it in the main window")
        self.prompt.setPlaceholderText(self.UNKNOWN)
        self.prompt.setFixedHeight(self.prompt.fontMetrics().lineSpacing() * self.PROMPT_LINES
                                   + 2 * self.prompt.frameWidth() + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.heading)
        layout.addWidget(self.problem)
        layout.addWidget(self.prompt)
        self.show_sent(None, None)

    CHANGED = " · changed since the columns below ran"

    def show_sent(self, prompt: str | None, model: str | None, *, changed: bool = False
                  ) -> None:
        """Show what is sent (None: not known yet); `changed`: not what the columns shown
        ran."""
        heading = f"Prompt for every column · model {model}" if model else (
            "Prompt for every column")
        self.heading.setText(heading + (self.CHANGED if changed else ""))
        if prompt is not None and prompt != self.prompt.toPlainText():
            self.prompt.setPlainText(prompt)
        self.show_problem(None)

    def show_problem(self, message: str | None) -> None:
        """Why the main window's inputs cannot run now (the last prompt shown stays)."""
        self.problem.setText(f"The main window's inputs cannot run: {message}" if message
                             else "")
        self.problem.setVisible(bool(message))


class CompareView(QDialog):
    """The comparison window."""

    keep_requested = Signal(object)  # the Variant's merged parameters, to save as a preset
    recorded = Signal(list)  # [Run] of a finished comparison, one per column

    def __init__(self, base: BaseSource, load_preset: PresetSource | None = None,
                 parent: QWidget | None = None, *, preview: PreviewSource | None = None,
                 bound: BoundSource | None = None) -> None:
        """`base` is called when Run all is pressed; `preview`, if given, whenever the window
        is shown or activated, to show the prompt and model before anything runs."""
        super().__init__(parent)
        self.setWindowTitle("Compare")
        self.resize(1200, 760)
        self._base = base
        self._preview = preview
        self._bound = bound
        self._load_preset = load_preset
        self._running_base: Base | None = None
        self._pending: set[Column] = set()
        self._runs: dict[Column, Run] = {}
        self.columns: list[Column] = []
        self._turn = 0  # the column whose view is served first next frame
        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(FRAME_MS)
        self._frame_timer.timeout.connect(self._next_frame)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.add_button = push_button("Add column", "Add a column (up to 8)", self)
        self.add_button.clicked.connect(self._add_empty_column)
        self.sweep_name = QComboBox(self)
        self.sweep_name.setAccessibleName("sweep parameter")
        self.sweep_name.addItems([spec.name for spec in BY_NAME.values() if spec.bounded])
        self.sweep_name.setCurrentText("temperature")
        self.sweep_values = QLineEdit("0.2, 0.7, 1.2", self)
        self.sweep_values.setAccessibleName("sweep values")
        self.sweep_values.setToolTip("Values for the sweep, comma-separated")
        sweep_button = push_button("Sweep", "Replace the columns: one per value", self)
        sweep_button.clicked.connect(self.make_sweep)
        self.seed_count = QSpinBox(self)
        self.seed_count.setRange(MIN_VARIANTS, MAX_VARIANTS)
        self.seed_count.setValue(3)
        self.seed_count.setAccessibleName("number of seeds")
        seeds_button = push_button("Repeat over seeds", "Replace the columns: the same "
                                   "settings with seeds 1…N", self)
        seeds_button.clicked.connect(self.make_seeds)
        self.run_button = push_button("Run all", "Run every column at once (Ctrl+Enter)", self)
        self.run_button.setShortcut("Ctrl+Return")
        self.run_button.clicked.connect(self.run_all)
        self.stop_button = push_button("Stop all", "Stop every column", self)
        self.stop_button.clicked.connect(self.stop_all)
        for widget in (self.add_button, QLabel("Sweep", self), self.sweep_name,
                       self.sweep_values, sweep_button, QLabel("or", self), self.seed_count,
                       seeds_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.cost = QLabel(self)
        self.cost.setAccessibleName("cost bound of every column")
        self.cost.hide()
        bar.addWidget(self.cost)
        bar.addWidget(self.run_button)
        bar.addWidget(self.stop_button)
        layout.addLayout(bar)
        self.shared = SharedPrompt(self)
        layout.addWidget(self.shared)
        self.error = error_label(self)
        layout.addWidget(self.error)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.column_area = QWidget(self)
        self.column_row = QHBoxLayout(self.column_area)
        self.column_row.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.column_area)
        split.addWidget(scroll)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QTableWidget(0, 7, self)
        self.summary.setAccessibleName("summary")
        self.summary.setHorizontalHeaderLabels(["Column", "Tokens", "Time (ms)", "Tokens/s",
                                                "Finish", "Cost", "Distinct-2"])
        self.summary.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.summary.verticalHeader().hide()
        self.summary.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.summary.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.summary.itemSelectionChanged.connect(self._show_diff)
        self.diff = QLabel("Select two rows to see how their settings differ.", self)
        self.diff.setWordWrap(True)
        self.diff.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        keep = push_button("Keep selected as preset…", "Save the selected column's "
                           "settings as a preset", self)
        keep.clicked.connect(self._keep)
        row = QHBoxLayout()
        row.addWidget(self.diff, 1)
        row.addWidget(keep)
        bottom_layout.addWidget(self.summary, 1)
        bottom_layout.addLayout(row)
        split.addWidget(bottom)
        split.setSizes([560, 200])
        layout.addWidget(split, 1)
        for text in ("temperature=0.2", "temperature=1.2"):
            self.add_column(text)

    # --- the shared prompt ------------------------------------------------------------------

    def show_shared(self) -> None:
        """Show the prompt and model the columns would run now (needs `preview`)."""
        if self._preview is None:
            return
        try:
            request = self._preview()
        except InvalidParameter as exc:
            self.shared.show_problem(exc.message)
            return
        model, ran = request.model.compose(), self._running_base
        self.shared.show_sent(request.prompt, model, changed=ran is not None and (
            ran.prompt, ran.model) != (request.prompt, model))
        self.show_bound()

    def show_bound(self) -> None:
        """The most Run all can cost, where every column's model has prices."""
        bound = None
        if self._bound is not None:
            try:
                variants = [column.parse(self._load_preset) for column in self.columns]
            except InvalidParameter:
                variants = []
            try:
                bound = self._bound([(v.model, v.params.get("max_tokens"))
                                     for v in variants]) if variants else None
            except InvalidParameter:
                bound = None  # the window's inputs cannot run yet
        self.cost.setVisible(bool(bound))  # free models cost nothing
        if bound:
            self.cost.setText(f"≤ ${bound:.4f} for {len(self.columns)} runs")
            self.cost.setToolTip("The most Run all can cost: every column's prompt tokens and "
                                 "max_tokens at its model's listed prices")

    def showEvent(self, event: QShowEvent) -> None:
        self.show_shared()
        super().showEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate:  # back from editing the prompt
            self.show_shared()
        return super().event(event)

    # --- columns ----------------------------------------------------------------------------

    def add_column(self, text: str) -> Column | None:
        if len(self.columns) >= MAX_VARIANTS:
            self._say(f"A comparison has at most {MAX_VARIANTS} columns.")
            return None
        column = Column(text, self.column_area)
        column.overrides.textChanged.connect(self.show_bound)
        column.remove_requested.connect(self.remove_column)
        column.finished.connect(self._column_finished)
        self.columns.append(column)
        self.column_row.addWidget(column, 1)
        self.add_button.setEnabled(len(self.columns) < MAX_VARIANTS)
        self.show_bound()
        return column

    def _add_empty_column(self) -> None:
        self.add_column("")

    def remove_column(self, column: Column) -> None:
        column.worker.stop()
        self._pending.discard(column)
        self.columns.remove(column)
        column.setParent(None)
        column.deleteLater()
        self.add_button.setEnabled(True)
        self.show_bound()

    def set_variants(self, variants: list[Variant]) -> None:
        for column in list(self.columns):
            self.remove_column(column)
        for variant in variants:
            self.add_column(variant_text(variant))

    def make_sweep(self) -> None:
        try:
            variants = sweep(Variant("base"), self.sweep_name.currentText(),
                             self.sweep_values.text())
            check_count(variants)
        except InvalidParameter as exc:
            self._say(exc.message)
            return
        self._say(None)
        self.set_variants(variants)

    def make_seeds(self) -> None:
        self._say(None)
        self.set_variants(seeds(Variant("base"), self.seed_count.value()))

    # --- running ----------------------------------------------------------------------------

    def run_all(self) -> None:
        """Start every column together; refuse (naming the column) if any is invalid."""
        try:
            check_count(self.columns)
            base = self._base()
            jobs = []
            for index, column in enumerate(self.columns, 1):
                try:
                    variant = column.parse(self._load_preset)
                    request = build_request(base.prompt, variant.model or base.model,
                                            variant.merged(base.params), dialect=base.dialect,
                                            extra=base.extra)
                except InvalidParameter as exc:
                    raise InvalidParameter(exc.field, f"column {index}: {exc.message}") from None
                jobs.append((column, Run(request, connection=base.connection,
                                         preset=base.preset,
                                         variant=column.overrides.text())))
        except InvalidParameter as exc:
            self.show_shared()
            self._say(exc.message)
            return
        self._say(None)
        self.shared.show_sent(base.prompt, base.model)
        self._running_base = base
        self.summary.setRowCount(0)
        self._pending = {column for column, _ in jobs}
        self._runs = dict(jobs)
        for column, run in jobs:
            column.result = None
            column.summary_row = None
            column.start(base.client, run)
        self._frame_timer.start()

    def _next_frame(self) -> None:
        """Hand new text to the views of at most COLUMNS_PER_FRAME columns, taking turns."""
        columns = self.columns
        if not any(column.worker.running for column in columns):
            self._frame_timer.stop()
            return
        served = 0
        for step in range(len(columns)):
            column = columns[(self._turn + step) % len(columns)]
            if column.worker.waiting:
                column.worker.flush()
                served += 1
                if served == COLUMNS_PER_FRAME:
                    self._turn = (self._turn + step + 1) % len(columns)
                    return

    def stop_all(self) -> None:
        for column in self.columns:
            column.worker.stop()

    async def shutdown(self) -> None:
        for column in self.columns:
            await column.worker.shutdown()

    def _column_finished(self, _result: RunResult) -> None:
        column = self.sender()
        self._pending.discard(column)  # type: ignore[arg-type]
        if not self._pending:
            self._fill_summary()
            self.recorded.emit([self._runs[c] for c in self.columns
                                if c in self._runs and c.result is not None])

    def _fill_summary(self) -> None:
        rows = [replace(column.summary_row, label=column.overrides.text() or "(base)")
                if column.summary_row is not None else
                SummaryRow.of(column.overrides.text() or "(base)", column.result)
                for column in self.columns if column.result is not None]
        self.summary.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [row.label, str(row.tokens), f"{row.total_ms:.0f}",
                     f"{row.tokens_per_s:.0f}" if row.tokens_per_s else "–",
                     row.error or row.finish_reason or "–",
                     f"${row.cost:.6g}" if row.cost is not None else "–",
                     f"{row.distinct_2:.2f}" if row.distinct_2 is not None else "–"]
            for c, text in enumerate(cells):
                self.summary.setItem(r, c, QTableWidgetItem(text))

    def _selected_columns(self) -> list[Column]:
        rows = sorted({index.row() for index in self.summary.selectedIndexes()})
        finished = [column for column in self.columns if column.result is not None]
        return [finished[row] for row in rows if row < len(finished)]

    def merged(self, column: Column) -> dict[str, Any]:
        base = self._running_base.params if self._running_base else {}
        return column.variant.merged(base) if column.variant else dict(base)

    def _show_diff(self) -> None:
        chosen = self._selected_columns()
        if len(chosen) != 2:
            self.diff.setText("Select two rows to see how their settings differ.")
            return
        changes = settings_diff(self.merged(chosen[0]), self.merged(chosen[1]))
        if not changes:
            self.diff.setText("Same settings.")
            return
        self.diff.setText("; ".join(f"{name}: {_show(a)} → {_show(b)}"
                                    for name, (a, b) in changes.items()))

    def _keep(self) -> None:
        chosen = self._selected_columns()
        if len(chosen) != 1:
            self._say("Select one row to keep its settings as a preset.")
            return
        self.keep_requested.emit(self.merged(chosen[0]))

    def _say(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


def variant_text(variant: Variant) -> str:
    """A variant written back as a column's override text."""
    parts = [f"{name}={json.dumps(value) if not isinstance(value, str) else value}"
             for name, value in variant.params.items()]
    if variant.model:
        parts.append(f"model={variant.model}")
    return ",".join(parts)


def _show(value: Any) -> str:
    return "unset" if value is None else str(value)
