"""The history panel: find a past run by its text, model or preset, read it, and restore it,
run it again, delete it or export it.

A modeless dialog over the window's `History`; it asks the window to restore or re-run a run
through signals and never sends anything itself. Runs load a page at a time, newest first.
"""

from __future__ import annotations

import itertools
import json
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.errors import InvalidParameter
from playground.core.history import History, RunRecord, is_versions_group
from playground.core.storage import atomic_write_text
from playground.core.sweep import is_sweep_group
from playground.ui.widgets import (
    ask_to_delete,
    choice_combo,
    delay_timer,
    error_label,
    push_button,
)

PAGE_SIZE = 200
ERROR_COLOR = QColor("#e0534a")  # readable on the light and the dark theme
SEARCH_DELAY_MS = 250
COLUMNS = ("#", "Time", "Model", "Preset", "Status", "Tokens", "Compare", "Branch", "Prompt",
           "Output")
BASE_VARIANT = "(base)"  # the column of a comparison that changes nothing
STATUS_TEXT = {"ok": "ok", "error": "error", "cancelled": "stopped"}
#: File dialog name filter -> (format, file suffix).
EXPORT_FILTERS = {"JSON (*.json)": ("json", "json"), "Markdown (*.md)": ("markdown", "md")}


class HistoryPanel(QDialog):
    """Every recorded run, searchable. Open it with `show()`; it stays open beside the window."""

    restore_requested = Signal(object)  # RunRecord: show its prompt and settings
    rerun_requested = Signal(object)  # RunRecord: send its request again
    sweep_requested = Signal(str)  # a sweep's group: show it, plots included

    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.setWindowTitle("History")
        self.setModal(False)
        self._runs: list[RunRecord] = []
        self._branches: dict[int, int] = {}  # id -> how many runs branch from it
        self._pending: list[int] = []  # the runs the open delete or export dialog is for

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search prompts and outputs")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search history")
        self.search.setToolTip("Runs whose prompt or output contains every word typed here")
        self._search_timer = delay_timer(self, SEARCH_DELAY_MS, self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.refresh)
        self.model_filter = choice_combo(self, "Model filter", "Show the runs of one model", [])
        self.preset_filter = choice_combo(self, "Preset filter",
                                          "Show the runs made with one preset", [])
        for combo in (self.model_filter, self.preset_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(self.refresh)
        self.problem = error_label(self)
        self.problem.setAccessibleName("History problem")
        self._show_problem(history.problem)

        self.table = self._make_table()
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName("Number of runs")
        self.more_button = push_button("Show More", f"Load the next {PAGE_SIZE} runs", self)
        self.more_button.clicked.connect(self.load_more)
        self.detail = RunDetail(self)

        self.open_button = push_button("&Open", "Put this run's prompt and settings back in "
                                       "the window (double-click a run does the same)", self)
        self.open_button.clicked.connect(self.open_selected)
        self.rerun_button = push_button("Run &Again", "Send this run's request again", self)
        self.rerun_button.clicked.connect(self.rerun_selected)
        self.sweep_button = push_button("Open S&weep", "Show this run's sweep with its plots; "
                                        "Resume runs what it lacks", self)
        self.sweep_button.clicked.connect(self.open_sweep)
        self.delete_button = push_button("&Delete…", "Delete the selected runs from history",
                                         self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button = push_button("&Export…", "Save the selected runs as JSON or "
                                         "Markdown", self)
        self.export_button.clicked.connect(self.export_selected)
        self.close_button = push_button("Close", "Close the history", self)
        self.close_button.clicked.connect(self.close)
        self._layout()
        self.resize(1120, 700)
        self.refresh()

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS), self)
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setAccessibleName("Runs")
        table.setToolTip("Recorded runs, newest first; rows of one comparison share a colour")
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setTabKeyNavigation(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for name in ("#", "Time", "Status", "Tokens", "Branch"):
            header.setSectionResizeMode(COLUMNS.index(name),
                                        QHeaderView.ResizeMode.ResizeToContents)
        for name, width in (("Model", 150), ("Preset", 90), ("Compare", 120),
                            ("Prompt", 220)):
            table.setColumnWidth(COLUMNS.index(name), width)
        table.itemSelectionChanged.connect(self._selection_changed)
        table.cellDoubleClicked.connect(self.open_selected)
        return table

    def _layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        for text, combo in (("&Model", self.model_filter), ("Pre&set", self.preset_filter)):
            label = QLabel(text, self)
            label.setBuddy(combo)
            filters.addWidget(label)
            filters.addWidget(combo)
        paging = QHBoxLayout()
        paging.addWidget(self.count_label, 1)
        paging.addWidget(self.more_button)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(paging)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.rerun_button, self.sweep_button, self.delete_button,
                       self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.problem)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        order = [self.search, self.model_filter, self.preset_filter, self.table,
                 self.more_button, *self.detail.focus_chain(), self.open_button,
                 self.rerun_button, self.delete_button, self.export_button, self.close_button]
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the filters and the first page of runs, keeping the selection if it is
        still shown. The window calls it after recording a run."""
        self._search_timer.stop()
        _fill(self.model_filter, "All models", self.history.models())
        _fill(self.preset_filter, "All presets", self.history.presets())
        chosen = {run.id for run in self.selected_runs()}
        self._runs = []
        self._branches = {}
        self.table.setRowCount(0)
        self.load_more()
        for row, run in enumerate(self._runs):
            if run.id in chosen:
                self.table.selectRow(row)
        self._selection_changed()

    def load_more(self) -> None:
        filters = self._filters()
        page = self.history.list(**filters, limit=PAGE_SIZE, offset=len(self._runs))
        self._runs += page
        self._branches.update(self.history.branch_counts(run.id for run in page))
        self._show_rows(len(self._runs) - len(page))
        total = self.history.count(**filters)
        shown = len(self._runs)
        self.count_label.setText(f"{total:,} run{'' if total == 1 else 's'}" if shown >= total
                                 else f"Newest {shown:,} of {total:,} runs")
        self.more_button.setVisible(shown < total)

    def _filters(self) -> dict[str, Any]:
        return {"search": self.search.text().strip() or None,
                "model": self.model_filter.currentData(),
                "preset": self.preset_filter.currentData()}

    def _show_rows(self, start: int) -> None:
        sizes: dict[str, int] = {}
        for run in self._runs:
            if run.group:
                sizes[run.group] = sizes.get(run.group, 0) + 1
        self.table.setRowCount(len(self._runs))
        for row in range(start, len(self._runs)):
            run = self._runs[row]
            branches = self._branches.get(run.id, 0)
            cells = (str(run.id), _local_time(run.created_at), run.model, run.preset or "",
                     STATUS_TEXT[run.status], _tokens(run), compare_label(run),
                     branch_label(run, branches), _first_line(run.prompt),
                     _first_line(run.output))
            tint = _group_tint(run.group)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, run.id)
                if tint is not None:
                    item.setBackground(tint)
                self.table.setItem(row, column, item)
            self.table.item(row, 0).setTextAlignment(Qt.AlignmentFlag.AlignRight
                                                     | Qt.AlignmentFlag.AlignVCenter)
            self.table.item(row, COLUMNS.index("Time")).setToolTip(run.created_at)
            if run.group:
                self.table.item(row, COLUMNS.index("Compare")).setToolTip(
                    f"{_group_text(run)} (one of {sizes[run.group]} runs shown)")
            if run.parent or branches:
                self.table.item(row, COLUMNS.index("Branch")).setToolTip(
                    branch_tip(run, branches))
            if run.error:
                status = self.table.item(row, COLUMNS.index("Status"))
                status.setToolTip(error_text(run.error))
                status.setForeground(ERROR_COLOR)

    # --- selection and actions --------------------------------------------------------------

    def selected_runs(self) -> list[RunRecord]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._runs[row] for row in rows if row < len(self._runs)]

    def _selection_changed(self) -> None:
        runs = self.selected_runs()
        run = runs[0] if len(runs) == 1 else None
        self.detail.show_run(run, len(runs), self._branches.get(run.id, 0) if run else 0)
        for button in (self.open_button, self.rerun_button):
            button.setEnabled(len(runs) == 1)
        self.sweep_button.setEnabled(run is not None and is_sweep_group(run.group))
        for button in (self.delete_button, self.export_button):
            button.setEnabled(bool(runs))

    def open_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.restore_requested.emit(runs[0])

    def open_sweep(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1 and is_sweep_group(runs[0].group):
            self.sweep_requested.emit(runs[0].group)

    def rerun_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.rerun_requested.emit(runs[0])

    def delete_selected(self) -> None:
        ids = [run.id for run in self.selected_runs()]
        if not ids:
            return
        what = f"run {ids[0]}" if len(ids) == 1 else f"{len(ids)} runs"
        self._pending = ids
        ask_to_delete(self, "Delete Runs", f"Delete {what} from history?",
                      "This cannot be undone.", self._delete_answered)

    def export_selected(self) -> None:
        ids = [run.id for run in self.selected_runs()]
        if not ids:
            return
        dialog = QFileDialog(self, "Export Runs")
        dialog.setObjectName("exportRuns")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(list(EXPORT_FILTERS))
        dialog.setDefaultSuffix("json")
        dialog.selectFile(f"runs-{'-'.join(map(str, ids[:3]))}.json")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._pending = ids
        dialog.filterSelected.connect(self._export_filter_chosen)
        dialog.fileSelected.connect(self._export_chosen)
        dialog.open()

    # Dialog answers are bound methods, not lambdas: PySide 6.11 crashes when a dialog deleted
    # on close takes a lambda connection that captures `self` with it. The dialog is
    # `sender()`; the runs it was opened for are `_pending`.

    def _delete_answered(self, button: QAbstractButton) -> None:
        box = self.sender()
        if (isinstance(box, QMessageBox)
                and box.standardButton(button) == QMessageBox.StandardButton.Yes):
            self.history.delete(self._pending)
            self.refresh()

    def _export_filter_chosen(self, name_filter: str) -> None:
        dialog = self.sender()
        if isinstance(dialog, QFileDialog):
            dialog.setDefaultSuffix(EXPORT_FILTERS[name_filter][1])

    def _export_chosen(self, path: str) -> None:
        dialog = self.sender()
        if isinstance(dialog, QFileDialog):
            self._export(self._pending, Path(path), EXPORT_FILTERS[dialog.selectedNameFilter()][0])

    def _export(self, ids: list[int], path: Path, fmt: str) -> None:
        try:
            atomic_write_text(path, self.history.export_markdown(ids) if fmt == "markdown"
                              else self.history.export_json(ids))
        except InvalidParameter as exc:  # a run deleted meanwhile (e.g. by the CLI)
            self._show_problem(f"The runs could not be exported: {exc.message}")
            return
        except OSError as exc:
            self._show_problem(f"The runs could not be exported: {exc}")
            return
        self._show_problem(self.history.problem)
        self.count_label.setText(f"Exported {len(ids)} run{'' if len(ids) == 1 else 's'} "
                                 f"to {path.name}")

    def _show_problem(self, message: str | None) -> None:
        self.problem.setText(message or "")
        self.problem.setVisible(bool(message))


class RunDetail(QWidget):
    """One run in full: figures, error, prompt, output and the settings it was sent with."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Run summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = error_label(self)
        self.error.setAccessibleName("Run error")
        self.prompt = _reader(self, "Prompt", "The prompt as sent")
        self.output = _reader(self, "Output", "The text the model returned (partial if the "
                                              "run was stopped or failed)")
        self.settings = _reader(self, "Settings", "The request body (prompt left out) and the "
                                                  "routing it was sent with")
        self.settings.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        panes = QSplitter(Qt.Orientation.Horizontal, self)
        for title, reader in (("Prompt", self.prompt), ("Output", self.output),
                              ("Settings", self.settings)):
            pane = QWidget(panes)
            pane_layout = QVBoxLayout(pane)
            pane_layout.setContentsMargins(0, 0, 0, 0)
            pane_layout.setSpacing(2)
            label = QLabel(f"<b>{title}</b>", pane)
            label.setBuddy(reader)
            pane_layout.addWidget(label)
            pane_layout.addWidget(reader, 1)
            panes.addWidget(pane)
        panes.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(panes, 1)
        self.show_run(None, 0)

    def focus_chain(self) -> list[QWidget]:
        return [self.prompt, self.output, self.settings]

    def show_run(self, run: RunRecord | None, selected: int, branches: int = 0) -> None:
        """Show `run` (None: a hint for `selected` runs); `branches` runs branch from it."""
        if run is None:
            self.summary.setText("Select a run to see it in full." if selected == 0
                                 else f"{selected} runs selected.")
            for reader in self.focus_chain():
                reader.setPlainText("")
            self.error.hide()
            return
        self.summary.setText(summary(run, branches))
        self.error.setText(error_text(run.error) if run.error else "")
        self.error.setVisible(bool(run.error))
        self.prompt.setPlainText(run.prompt)
        self.output.setPlainText(run.output)
        body = {k: v for k, v in run.request.items() if k != "prompt"}
        routing = {k: v for k, v in run.routing.items() if v not in (None, False, "", {})}
        settings = {"request": body, **({"routing": routing} if routing else {})}
        self.settings.setPlainText(json.dumps(settings, indent=2, ensure_ascii=False))


def summary(run: RunRecord, branches: int = 0) -> str:
    """The run's figures in one line; `branches` runs branch from it."""
    usage = run.usage or {}
    parts = [f"Run {run.id}", _local_time(run.created_at, "%Y-%m-%d %H:%M:%S"),
             run.connection, run.model, STATUS_TEXT[run.status]]
    if run.preset:
        parts.append(f"preset {run.preset}")
    if run.finish_reason:
        parts.append(f"finish: {run.finish_reason}")
    if usage.get("prompt_tokens") is not None:
        parts.append(f"{usage['prompt_tokens']} prompt tokens")
    if usage.get("completion_tokens") is not None:
        parts.append(f"{usage['completion_tokens']} completion tokens")
    if run.ttft_ms is not None:
        parts.append(f"first token {run.ttft_ms:.0f} ms")
    if run.total_ms is not None:
        parts.append(f"total {run.total_ms:.0f} ms")
    if run.tokens_per_s is not None:
        parts.append(f"{run.tokens_per_s:.1f} tok/s")
    if run.cost is not None:
        parts.append(f"${run.cost:.6g}")
    if is_versions_group(run.group) or is_sweep_group(run.group):
        parts.append(_group_text(run))
    elif run.group:
        parts.append(f"comparison {run.group}, {_column_text(run)}")
    if run.parent:
        parts.append(f"branch of run {run.parent}")
    if branches:
        parts.append(_count(branches, "branch", "branches"))
    return " · ".join(parts)


def compare_label(run: RunRecord) -> str:
    """Which column of a comparison the run was: its overrides, "(base)" for a column that
    changes nothing, the comparison's short id for a run recorded without its column."""
    if not run.group:
        return ""
    if is_versions_group(run.group):
        return "versions"
    if is_sweep_group(run.group):
        return f"sweep {run.variant}"
    if run.variant is None:
        return run.group.removeprefix("cmp-")[:6]
    return run.variant or BASE_VARIANT


def branch_label(run: RunRecord, branches: int) -> str:
    """"↳ branch of #12" on a branch, "⋔ 2 branches" on a run others branched from."""
    parts = [f"\u21b3 branch of #{run.parent}"] if run.parent else []
    if branches:
        parts.append(f"\u22d4 {_count(branches, 'branch', 'branches')}")
    return "  ".join(parts)


def branch_tip(run: RunRecord, branches: int) -> str:
    lines = [f"Branched from run #{run.parent}: its output up to a chosen token, run again"
             ] if run.parent else []
    if branches:
        lines.append(f"{_count(branches, 'run branches', 'runs branch')} from this one")
    return "\n".join(lines)


def _group_text(run: RunRecord) -> str:
    if is_versions_group(run.group):
        return f"a version of a notebook completion (Regenerate), group {run.group}"
    if is_sweep_group(run.group):
        return f"cell {run.variant} of sweep {run.group}"
    return f"{_column_text(run)} of comparison {run.group}"


def _column_text(run: RunRecord) -> str:
    if run.variant is None:
        return "column not recorded"
    return f"column {run.variant or BASE_VARIANT}"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def error_text(error: dict[str, Any]) -> str:
    status = error.get("status")
    head = f"HTTP {status}" if status else "Network error"
    code = f" [{error['code']}]" if error.get("code") else ""
    return f"{head}{code}: {error.get('message') or 'no message'}"


def _reader(parent: QWidget, name: str, tip: str) -> QPlainTextEdit:
    reader = QPlainTextEdit(parent)
    reader.setReadOnly(True)
    reader.setTabChangesFocus(True)
    reader.setAccessibleName(name)
    reader.setToolTip(tip)
    return reader


def _fill(combo: QComboBox, everything: str, values: list[str]) -> None:
    """Refill a filter combo, keeping its choice when it is still there."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(everything, None)
    for value in values:
        combo.addItem(value, value)
    combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen is not None else 0)
    combo.blockSignals(False)


def _local_time(created_at: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    try:
        return datetime.fromisoformat(created_at).astimezone().strftime(fmt)
    except ValueError:
        return created_at


def _tokens(run: RunRecord) -> str:
    count = (run.usage or {}).get("completion_tokens")
    return str(count) if isinstance(count, int) else ""


def _first_line(text: str, limit: int = 200) -> str:
    stripped = text.strip()
    line = stripped.splitlines()[0] if stripped else ""
    return line[:limit] + ("…" if len(line) > limit or "\n" in stripped else "")


def _group_tint(group: str | None) -> QColor | None:
    """A translucent colour per comparison, readable on light and dark backgrounds."""
    if not group:
        return None
    return QColor.fromHsv(zlib.crc32(group.encode()) % 360, 160, 230, 60)
