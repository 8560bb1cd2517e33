"""Run → Sweep…: the window's prompt and settings over a grid of up to two parameters × seeds,
optionally for 2 to 4 variants (one per line: ``model=ID``, ``preset=NAME`` or settings).

The grid is typed as in ``playground sweep`` (``0.2:1.4:0.2`` or ``0, 0.05, 0.1``) and checked
by the catalog as it is typed. Runs go through `core.sweep.run_cells` on the window's loop
(its concurrency limit, retries and stop), each recorded in history as it ends, in the sweep's
group, its plan and measures saved so it can resume (here, from History, or from the CLI). The
plots (`sweep_plots`) follow the runs, at most every `REDRAW_MS`; clicking a heatmap cell or a
line's point shows that place's outputs side by side, one column per seed. The runs export as
CSV or JSON lines, the plots as PNG. The cost limit above which Start asks twice is kept.
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
from PySide6.QtCore import QSettings, Qt, Signal
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
from playground.core.compare import Variant, parse_variant
from playground.core.errors import InvalidParameter
from playground.core.history import History
from playground.core.runs import Run, RunResult, execute
from playground.core.sweep import (
    NUMERIC,
    Axis,
    Cell,
    Layout,
    Measures,
    Place,
    SweepPlan,
    SweepPlans,
    SweepState,
    new_sweep_id,
    parse_axis,
    remaining,
    run_cells,
)
from playground.ui.compare_view import Base, PresetSource
from playground.ui.sweep_plots import SweepPlots, describe
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
POINT_HINT = "Click a heatmap cell or a point of a line to see its outputs, one per seed."
#: Where the cost limit is kept between sessions (QSettings).
ASK_ABOVE_KEY = "sweep/ask_above"
#: The window's request as a plan without a grid (no group, no axes): the connection's name,
#: prompt, model and settings, with the server's default max_tokens, for the cost bound while
#: the grid is typed. Raises `InvalidParameter` when the window's inputs cannot run.
DraftSource = Callable[[], tuple[SweepPlan, int | None]]


class SweepView(QWidget):
    recorded = Signal(object)  # a finished Run, to keep in history

    def __init__(self, base: Callable[[], Base], load_preset: PresetSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Sweep")
        self.resize(1100, 760)
        self._base = base
        self._load_preset = load_preset
        self.state: SweepState | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._confirming = self._confirmed = False
        self._draft: DraftSource | None = None
        self._done_at_start = 0  # runs the sweep on screen had when it was last started
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
        self.variants_edit = QPlainTextEdit(self)
        self.variants_edit.setAccessibleName("Sweep variants")
        self.variants_edit.setPlaceholderText(
            "Optional: 2 to 4 variants, one per line, each running the whole grid — "
            "model=ID, preset=NAME or settings such as top_k=40, top_p=0.9")
        self.variants_edit.setTabChangesFocus(True)
        self.variants_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.variants_edit.textChanged.connect(self.check)
        form.addRow("Variants", self.variants_edit)
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
        self.ask_above.setValue(float(QSettings().value(ASK_ABOVE_KEY, 0.50)))
        self.ask_above.setToolTip("Where the model's prices are known: a sweep that may cost "
                                  "more asks for a second click on Start (kept for next time)")
        self.ask_above.valueChanged.connect(self._ask_above_changed)
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
        self.variant_label = QLabel("Variant", self)
        self.variant_pick = QComboBox(self)
        self.variant_pick.setAccessibleName("Variant shown in the heatmap")
        self.variant_pick.setToolTip("Which variant's grid the heatmap and the lines show")
        self.variant_pick.currentIndexChanged.connect(self.redraw)
        for widget in (self.variant_label, self.variant_pick):
            tools.addWidget(widget)
            widget.setVisible(False)
        tools.addWidget(QLabel("Measure", self))
        tools.addWidget(self.measure)
        tools.addWidget(export_csv)
        tools.addWidget(export_png)

        self.plots = SweepPlots(self)
        self.plots.place_clicked.connect(self.show_place)
        self.outputs = QWidget(self)
        self.outputs.setAccessibleName("Outputs of the chosen point")
        below = QVBoxLayout(self.outputs)
        below.setContentsMargins(0, 0, 0, 0)
        self.point_label = QLabel(POINT_HINT, self.outputs)
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

    def variants(self) -> tuple[Variant, ...]:
        """The variants as typed, one per line (blank lines skipped); `InvalidParameter`
        naming the line and the field when one is not valid."""
        out = []
        lines = self.variants_edit.toPlainText().splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(parse_variant(line, self._load_preset))
            except InvalidParameter as exc:
                raise InvalidParameter(exc.field, f"variant line {number}: {exc.message}"
                                       ) from None
        return tuple(out)

    def plan(self, base: Base) -> SweepPlan:
        """A new sweep of the grid as typed, on `base`; `InvalidParameter` naming the field
        when something is not valid."""
        return SweepPlan(new_sweep_id(), base.prompt, base.model, base.connection, self.axes(),
                         self.seeds.value(), params=base.params, extra=base.extra,
                         concurrency=self.concurrency.value(), variants=self.variants())

    def check(self) -> bool:
        try:
            plan = self.plan_shape()
            cells = plan.cells()
        except InvalidParameter as exc:
            self._say(exc.message)
            self.size_label.setText("")
            self.start_button.setEnabled(False)
            return False
        self._say(None)
        if not self.running:  # the plots' layout for this grid, before any run
            self._show_variants([v.label for v in plan.variants])
            self.plots.prepare(self.layout_for(plan.axes, plan.variants),
                               self.measure.currentText())
        bound = self.cost_bound(plan, cells)
        self.size_label.setText(f"{len(cells)} runs" + (
            f" · at most ${bound:.4f}" if bound else ""))  # a free model costs nothing
        self._confirming = bound is not None and bound > self.ask_above.value()
        self.start_button.setText(f"Start (up to ${bound:.2f})…" if self._confirming
                                  else "Start")
        self._confirmed = False
        self.start_button.setEnabled(not self.running)
        return True

    def plan_shape(self) -> SweepPlan:
        """The grid as typed on an empty base: what check() needs, without asking the window
        for its request."""
        return dataclasses.replace(SweepPlan("", "", "", "", (), 1), axes=self.axes(),
                                   seeds=self.seeds.value(), variants=self.variants())

    def cost_bound(self, shape: SweepPlan, cells: list[Cell]) -> float | None:
        """The most these runs of the window's request can cost (None: prices unknown)."""
        if self._draft is None:
            return None
        try:
            base, default_max_tokens = self._draft()
        except InvalidParameter:
            return None
        draft = dataclasses.replace(base, axes=shape.axes, seeds=shape.seeds,
                                    variants=shape.variants)
        return draft.cost_bound(cells, draft.connection, default_max_tokens)

    def layout_for(self, axes: tuple[Axis, ...], variants: tuple[Variant, ...] | list[str]
                   ) -> Layout:
        labels = [v if isinstance(v, str) else v.label for v in variants]
        chosen = self.variant_pick.currentText() or None
        return Layout.of(axes, labels, chosen)

    def _show_variants(self, labels: list[str]) -> None:
        """The variant picker: the variants' labels, shown when the heatmap has a choice."""
        if [self.variant_pick.itemText(i) for i in range(self.variant_pick.count())] != labels:
            chosen = self.variant_pick.currentText()
            self.variant_pick.blockSignals(True)
            self.variant_pick.clear()
            self.variant_pick.addItems(labels)
            if chosen in labels:
                self.variant_pick.setCurrentText(chosen)
            self.variant_pick.blockSignals(False)
        wanted = bool(labels) and len(self.axis_list()) > 1
        self.variant_label.setVisible(wanted)
        self.variant_pick.setVisible(wanted)

    def axis_list(self) -> list[str]:
        return [c.currentText() for c in self.axis_names if c.currentText() != "(none)"]

    def _ask_above_changed(self, value: float) -> None:
        QSettings().setValue(ASK_ABOVE_KEY, value)
        self.check()

    @property
    def running(self) -> bool:
        return self._running

    def _say(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    # --- running ----------------------------------------------------------------------------

    def set_draft(self, draft: DraftSource) -> None:
        self._draft = draft
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
            plan = self.plan(base)
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
        self.variants_edit.setPlainText("\n".join(v.label for v in plan.variants))
        with History() as history:
            runs = history.group(group)
        state = SweepState.from_history(plan, runs, SweepPlans().measures(group))
        self._clear_outputs()
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
        requests = {cell.key: plan.request(cell, base.dialect) for cell in cells}
        if state is not self.state:  # another sweep's outputs go with it
            self._clear_outputs()
        self.state = state
        state.started = time.monotonic()
        self._done_at_start = len(state.results)
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
        cost = f" · ${state.cost:.4f}" if state.cost else ""
        if done == len(state.cells):
            self.progress_label.setText(f"done in {elapsed:.0f} s{cost}")
        else:  # at the pace of the runs since this start (a resumed sweep had some before)
            pace = elapsed / max(1, done - self._done_at_start)
            left = pace * (len(state.cells) - done)
            self.progress_label.setText(f"{elapsed:.0f} s, about {left:.0f} s left{cost}")
        if not self._redraw_timer.isActive():  # runs ending together redraw once
            self._redraw_timer.start()

    # --- plots ------------------------------------------------------------------------------

    def shown_layout(self) -> Layout:
        assert self.state is not None
        return self.layout_for(self.state.axes, self.state.variants)

    def shown_values(self) -> tuple[np.ndarray, np.ndarray]:
        """The plotted measure's mean and spread, as the plots lay them out."""
        assert self.state is not None
        return self.state.values(self.shown_layout(), str(self.measure.currentData()))

    def redraw(self) -> None:
        if self.state is not None:
            self._show_variants(self.state.variants)
            self.plots.show_state(self.state, str(self.measure.currentData()),
                                  self.measure.currentText(), self.shown_layout())

    def show_place(self, place: Place) -> None:
        """That place's outputs below the plots, one column per seed."""
        assert self.state is not None
        self._clear_outputs()
        self.point_label.setText(describe(self.state, place))
        for cell, measures, text in self.state.place_results(place):
            column = QPlainTextEdit(self.outputs)
            column.setReadOnly(True)
            status = measures.error or measures.finish_reason or ""
            column.setPlainText(f"seed {cell.seed} · {status}\n\n{text}")
            column.setAccessibleName(f"Output of seed {cell.seed}")
            self.columns.addWidget(column)

    def _clear_outputs(self) -> None:
        self.point_label.setText(POINT_HINT)
        while self.columns.count():
            item = self.columns.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

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
        with path.open("w", encoding="utf-8") as out:
            for cell in self.state.cells:
                if cell.key in self.state.results:
                    m, text = self.state.results[cell.key]
                    out.write(json.dumps({**self._columns_of(cell), **dataclasses.asdict(m),
                                          "text": text}, ensure_ascii=False) + "\n")

    def _columns_of(self, cell: Cell) -> dict[str, Any]:
        """A run's place in an export: its cell, variant and model (with variants), the
        swept values and the seed."""
        assert self.state is not None
        plan = self.state.plan
        named = {"variant": cell.variant, "model": plan.settings(cell)[0]} \
            if plan.variants else {}
        return {"cell": cell.key, **named, **dict(cell.values), "seed": cell.seed}

    def write_csv(self, path: Path) -> None:
        if self.state is None:
            return
        rows = [{**self._columns_of(cell), "finish_reason": m.finish_reason,
                 **{key: getattr(m, key) for key in NUMERIC}, "error": m.error, "text": text}
                for cell in self.state.cells if cell.key in self.state.results
                for m, text in [self.state.results[cell.key]]]
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["cell"])
            writer.writeheader()
            writer.writerows(rows)
