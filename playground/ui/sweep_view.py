"""Run → Sweep…: the window's prompt and settings over a grid of up to two parameters × seeds.

The grid is typed as in ``playground sweep`` (``0.2:1.4:0.2`` or ``0, 0.05, 0.1``) and checked
by the catalog as it is typed. Runs go through `core.sweep.run_cells` on the window's loop
(its concurrency limit, retries and stop), each recorded in history as it ends, in the sweep's
group, its plan and measures saved so it can resume (here, from History, or from the CLI). The
plots (`sweep_plots`) follow the runs, at most every `REDRAW_MS`; clicking a heatmap cell shows
that point's outputs side by side, one column per seed. The runs export as CSV or JSON lines,
the plots as PNG.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.core.catalog import CATALOG, Kind
from playground.core.client import CompletionClient
from playground.core.errors import InvalidParameter
from playground.core.history import History
from playground.core.request import build_request
from playground.core.runs import Run, RunResult, execute
from playground.core.sweep import (
    NUMERIC,
    Axis,
    Cell,
    Measures,
    SweepPlan,
    SweepPlans,
    SweepState,
    grid,
    new_sweep_id,
    parse_axis,
    remaining,
    run_cells,
)
from playground.ui.compare_view import Base
from playground.ui.sweep_plots import SweepPlots
from playground.ui.widgets import delay_timer, error_label, push_button

#: What the plots can show, as people read it.
MEASURE_LABELS = {"distinct_2": "distinct-2", "repetition": "repeated 4-grams",
                  "tokens": "completion tokens", "tokens_per_s": "tokens/s",
                  "total_ms": "time (ms)", "distinct_1": "distinct-1",
                  "mean_logprob": "mean log probability", "perplexity": "perplexity"}
#: The plots follow the runs at most this often (a redraw takes a few milliseconds).
REDRAW_MS = 250
SWEEPABLE = [spec.name for spec in CATALOG
             if spec.kind in (Kind.NUMBER, Kind.INTEGER) and spec.name != "seed"]


class SweepView(QWidget):
    recorded = Signal(object)  # a finished Run, to keep in history

    def __init__(self, base: Callable[[], Base], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Sweep")
        self.resize(1100, 760)
        self._base = base
        self.state: SweepState | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._confirming = self._confirmed = False
        #: runs -> their cost bound, from the window (None: no prices to go by)
        self._bound_inputs: Callable[[int], float | None] | None = None
        self.axis_names: list[QComboBox] = []
        self.axis_values: list[QLineEdit] = []
        form = QFormLayout()
        for i, (name, values) in enumerate((("temperature", "0.2:1.4:0.2"),
                                            ("min_p", "0, 0.05, 0.1"))):
            combo = QComboBox(self)
            combo.addItems(([] if i == 0 else ["(none)"]) + SWEEPABLE)
            combo.setCurrentText(name)
            combo.setAccessibleName(f"Sweep parameter {i + 1}")
            edit = QLineEdit(values, self)
            edit.setAccessibleName(f"Sweep values {i + 1}")
            edit.setToolTip("START:STOP:STEP (stop included) or values separated by commas")
            combo.currentIndexChanged.connect(self.check)
            edit.textChanged.connect(self.check)
            row = QHBoxLayout()
            row.addWidget(combo)
            row.addWidget(edit, 1)
            form.addRow(f"Parameter {i + 1}", row)
            self.axis_names.append(combo)
            self.axis_values.append(edit)
        self.seeds = QSpinBox(self)
        self.seeds.setRange(1, 100)
        self.seeds.setValue(4)
        self.seeds.valueChanged.connect(self.check)
        self.concurrency = QSpinBox(self)
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(4)
        counts = QHBoxLayout()
        counts.addWidget(QLabel("Seeds", self))
        counts.addWidget(self.seeds)
        counts.addWidget(QLabel("At once", self))
        counts.addWidget(self.concurrency)
        self.size_label = QLabel(self)
        counts.addWidget(self.size_label, 1)
        self.ask_above = QDoubleSpinBox(self)
        self.ask_above.setPrefix("ask above $")
        self.ask_above.setRange(0.0, 1000.0)
        self.ask_above.setDecimals(2)
        self.ask_above.setValue(0.50)
        self.ask_above.setToolTip("Where the model's prices are known: a sweep that may cost "
                                  "more asks for a second click on Start")
        self.ask_above.valueChanged.connect(self.check)
        counts.addWidget(self.ask_above)
        self.start_button = push_button("Start", "Run the grid with the window's prompt and "
                                        "settings", self)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = push_button("Cancel", "Stop the sweep; what finished is kept",
                                         self)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.resume_button = push_button("Resume", "Run only the cells this sweep has no "
                                         "good run for", self)
        self.resume_button.clicked.connect(self.resume)
        self.resume_button.setEnabled(False)
        counts.addWidget(self.start_button)
        counts.addWidget(self.resume_button)
        counts.addWidget(self.cancel_button)
        form.addRow("Runs", counts)
        self.error = error_label(self)
        self.progress = QProgressBar(self)
        self.progress.setFormat("%v / %m")
        self.progress_label = QLabel(self)
        self.measure = QComboBox(self)
        for key in NUMERIC:
            self.measure.addItem(MEASURE_LABELS[key], key)
        self.measure.setCurrentIndex(self.measure.findData("distinct_2"))
        self.measure.currentIndexChanged.connect(self.redraw)
        self._redraw_timer = delay_timer(self, REDRAW_MS, self.redraw)
        export_csv = push_button("Export CSV…", "Every run of this sweep as a CSV row, or as "
                                 "JSON lines with their text (.jsonl)", self)
        export_csv.clicked.connect(self.ask_runs)
        export_png = push_button("Export PNG…", "The plots as a picture", self)
        export_png.clicked.connect(self.ask_png)
        tools = QHBoxLayout()
        tools.addWidget(self.progress, 1)
        tools.addWidget(self.progress_label)
        tools.addWidget(QLabel("Measure", self))
        tools.addWidget(self.measure)
        tools.addWidget(export_csv)
        tools.addWidget(export_png)

        self.plots = SweepPlots(self)
        self.plots.point_clicked.connect(self.show_point)
        self.outputs = QWidget(self)
        self.outputs.setAccessibleName("Outputs of the chosen point")
        below = QVBoxLayout(self.outputs)
        below.setContentsMargins(0, 0, 0, 0)
        self.point_label = QLabel("Click a heatmap cell to see its outputs, one per seed.",
                                  self.outputs)
        below.addWidget(self.point_label)
        self.columns = QHBoxLayout()
        below.addLayout(self.columns, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.plots)
        split.addWidget(self.outputs)
        split.setSizes([480, 200])

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(tools)
        layout.addWidget(split, 1)
        self.check()

    # --- the grid ---------------------------------------------------------------------------

    def axes(self) -> tuple[Axis, ...]:
        """The grid as typed; `InvalidParameter` naming the field when it is not valid."""
        out = []
        for combo, edit in zip(self.axis_names, self.axis_values, strict=True):
            if combo.currentText() != "(none)":
                out.append(parse_axis(f"{combo.currentText()}={edit.text()}"))
        return tuple(out)

    def check(self) -> bool:
        try:
            axes = self.axes()
            cells = grid(axes, self.seeds.value())
        except InvalidParameter as exc:
            self._say(exc.message)
            self.size_label.setText("")
            self.start_button.setEnabled(False)
            return False
        self._say(None)
        if not self.running:  # the plots' layout for this grid, before any run
            self.plots.prepare(axes, self.measure.currentText())
        bound = self.cost_bound(len(cells))
        self.size_label.setText(f"{len(cells)} runs" + (
            f" · at most ${bound:.4f}" if bound else ""))  # a free model costs nothing
        self._confirming = bound is not None and bound > self.ask_above.value()
        self.start_button.setText(f"Start (up to ${bound:.2f})…" if self._confirming
                                  else "Start")
        self._confirmed = False
        self.start_button.setEnabled(not self.running)
        return True

    def cost_bound(self, runs: int) -> float | None:
        """The most `runs` runs of the window's request can cost (None: prices unknown)."""
        if self._bound_inputs is None:
            return None
        try:
            return self._bound_inputs(runs)
        except InvalidParameter:
            return None

    @property
    def running(self) -> bool:
        return self._running

    def _say(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    # --- running ----------------------------------------------------------------------------

    def set_cost_bound(self, bound: Callable[[int], float | None]) -> None:
        self._bound_inputs = bound
        self.check()

    def start(self) -> None:
        confirmed = self._confirmed
        if not self.check():
            return
        if self._confirming and not confirmed:  # a second click on Start means yes
            self._confirmed = True
            self.start_button.setText("Click again to start")
            return
        try:
            base = self._base()
            axes = self.axes()
            plan = SweepPlan(new_sweep_id(), base.prompt, base.model, base.connection, axes,
                             self.seeds.value(), params=base.params, extra=base.extra,
                             concurrency=self.concurrency.value())
            state = SweepState(plan, plan.cells())
            self._launch(base, state, state.cells)
        except InvalidParameter as exc:
            self._say(exc.message)
            return
        SweepPlans().save(plan)

    def load(self, group: str) -> None:
        """A recorded sweep: its grid in the editors, its runs in the plots."""
        try:
            plan = SweepPlans().load(group)
        except InvalidParameter as exc:
            self._say(exc.message)
            return
        for combo, edit, axis in zip(self.axis_names, self.axis_values,
                                     (*plan.axes, None), strict=False):
            combo.setCurrentText(axis.name if axis else "(none)")
            edit.setText(", ".join(str(v) for v in axis.values) if axis else "")
        self.seeds.setValue(plan.seeds)
        with History() as history:
            runs = history.group(group)
        state = SweepState.from_history(plan, runs, SweepPlans().measures(group))
        self.state = state
        self.progress.setRange(0, len(state.cells))
        self._progressed(state)
        self.redraw()
        missing = len(self._missing(state, runs))
        self.progress_label.setText(f"{group}: {missing} of {len(state.cells)} cells without "
                                    "a good run" if missing else f"{group}: complete")
        self.resume_button.setEnabled(bool(missing) and not self.running)

    @staticmethod
    def _missing(state: SweepState, runs: Any) -> list[Cell]:
        return remaining(state.cells, [(run.variant, run.status) for run in runs])

    def resume(self) -> None:
        """Run the cells of the sweep on screen that have no good run."""
        state = self.state
        if state is None:
            return
        with History() as history:
            missing = self._missing(state, history.group(state.group))
        try:
            base = self._base()
            if base.connection != state.plan.connection:
                raise InvalidParameter("connection", f"connection: this sweep ran on "
                                       f"{state.plan.connection}; choose it to resume")
            self._launch(base, state, missing)
        except InvalidParameter as exc:
            self._say(exc.message)

    def _launch(self, base: Base, state: SweepState, cells: list[Cell]) -> None:
        plan = state.plan
        requests = {cell.key: build_request(plan.prompt, plan.model, cell.params(plan.params),
                                            dialect=base.dialect, extra=plan.extra)
                    for cell in cells}
        self.state = state
        state.started = time.monotonic()
        self.progress.setRange(0, len(state.cells))
        self.progress.setValue(len(state.results))
        self._running = True
        self.start_button.setEnabled(False)
        self.resume_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._task = asyncio.ensure_future(self._run(base, state, cells, requests))

    async def _run(self, base: Base, state: SweepState, cells: list[Cell],
                   requests: dict[str, Any]) -> None:
        client: CompletionClient = base.client
        plans = SweepPlans()

        def record(cell: Cell, result: RunResult) -> None:
            run = Run(requests[cell.key], connection=base.connection, preset=base.preset,
                      variant=cell.key, group=state.group, result=result)
            self.recorded.emit(run)  # the window keeps it in history, which gives it an id
            measures = Measures.of(result)
            if run.record_id is not None:
                plans.add_measures(state.group, run.record_id, measures)
            state.add(cell, measures, result.text)
            state.cost += result.cost or 0.0
            self._progressed(state)

        async def run(cell: Cell, result: RunResult) -> None:
            await execute(client, requests[cell.key], result=result)

        try:
            await run_cells(cells, run, record, concurrency=self.concurrency.value())
        except asyncio.CancelledError:
            self.progress_label.setText(self.progress_label.text() + " — stopped")
        finally:
            self._running = False
            self.cancel_button.setEnabled(False)
            self.check()

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def shutdown(self) -> None:
        self.cancel()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def _progressed(self, state: SweepState) -> None:
        done = len(state.results)
        self.progress.setValue(done)
        elapsed = time.monotonic() - state.started
        left = elapsed / max(1, done) * (len(state.cells) - done)
        cost = f" · ${state.cost:.4f}" if state.cost else ""
        self.progress_label.setText(f"{elapsed:.0f} s, about {left:.0f} s left{cost}")
        if not self._redraw_timer.isActive():  # runs ending together redraw once
            self._redraw_timer.start()

    # --- plots ------------------------------------------------------------------------------

    def grid_values(self) -> tuple[np.ndarray, np.ndarray, list[tuple[Any, ...]]]:
        assert self.state is not None
        return self.state.grid_values(str(self.measure.currentData()))

    def redraw(self) -> None:
        if self.state is not None:
            self.plots.show_state(self.state, str(self.measure.currentData()),
                                  self.measure.currentText())

    def show_point(self, point: tuple[Any, ...]) -> None:
        """That point's outputs below the plots, one column per seed."""
        assert self.state is not None
        names = [axis.name for axis in self.state.axes]
        self.point_label.setText(", ".join(f"{n}={v}" for n, v in zip(names, point,
                                                                         strict=True)))
        while self.columns.count():
            item = self.columns.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for cell, measures, text in self.state.point_results(point):
            column = QPlainTextEdit(self.outputs)
            column.setReadOnly(True)
            status = measures.error or measures.finish_reason or ""
            column.setPlainText(f"seed {cell.seed} · {status}\n\n{text}")
            column.setAccessibleName(f"Output of seed {cell.seed}")
            self.columns.addWidget(column)

    # --- export -----------------------------------------------------------------------------

    def ask_runs(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export the runs", "sweep.csv",
                                                   "CSV (*.csv);;JSON lines (*.jsonl)")
        if path:
            if chosen.startswith("JSON") or path.endswith(".jsonl"):
                self.write_jsonl(Path(path))
            else:
                self.write_csv(Path(path))

    def ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the plots", "sweep.png",
                                              "PNG (*.png)")
        if path:
            self.plots.grab().save(path)

    def write_jsonl(self, path: Path) -> None:
        if self.state is None:
            return
        names = [axis.name for axis in self.state.axes]
        with path.open("w", encoding="utf-8") as out:
            for cell in self.state.cells:
                if cell.key in self.state.results:
                    m, text = self.state.results[cell.key]
                    out.write(json.dumps({"cell": cell.key, **dict(zip(names, cell.point,
                                                                        strict=True)),
                                          "seed": cell.seed, **dataclasses.asdict(m),
                                          "text": text}, ensure_ascii=False) + "\n")

    def write_csv(self, path: Path) -> None:
        if self.state is None:
            return
        with path.open("w", newline="", encoding="utf-8") as out:
            names = [axis.name for axis in self.state.axes]
            writer = csv.writer(out)
            writer.writerow(["cell", *names, "seed", "finish_reason", *NUMERIC, "error", "text"])
            for cell in self.state.cells:
                if cell.key in self.state.results:
                    m, text = self.state.results[cell.key]
                    writer.writerow([cell.key, *cell.point, cell.seed, m.finish_reason,
                                     *(getattr(m, key) for key in NUMERIC), m.error, text])
