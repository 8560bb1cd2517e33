"""The history panel, offscreen, over a real SQLite history under PLAYGROUND_HOME. Runs are
recorded with real requests and results; dialogs are answered through their signals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from playground.core.client import Usage
from playground.core.errors import ApiError
from playground.core.history import History
from playground.core.request import build_request
from playground.core.runs import RunResult
from playground.ui import history_panel
from playground.ui.history_panel import HistoryPanel

pytestmark = pytest.mark.gui

T = TypeVar("T")


@pytest.fixture
def history(playground_home) -> Iterator[History]:
    with History() as opened:
        yield opened


def record(history: History, prompt: str, output: str, *, model: str = "llama-3",
           preset: str | None = None, group: str | None = None,
           error: ApiError | None = None, cancelled: bool = False,
           variant: str | None = None, parent: int | None = None) -> int:
    request = build_request(prompt, model, {"temperature": 0.7, "max_tokens": 40})
    result = RunResult(text=output, finish_reason=None if error or cancelled else "stop",
                       usage=Usage(prompt_tokens=6, completion_tokens=len(output.split())))
    result.finish(error=error, cancelled=cancelled)
    return history.record(request, result, connection="local", preset=preset, group=group,
                          variant=variant, parent=parent)


@pytest.fixture
def runs(history) -> dict[str, int]:
    """Five runs, oldest first: two of one comparison, a failed one and a stopped one."""
    return {
        "dragon": record(history, "Tell me about the dragon\nof the north", "It slept.",
                         preset="Creative"),
        "left": record(history, "Compare me", "left side", group="cmp-aaaa11112222"),
        "right": record(history, "Compare me", "right side", group="cmp-aaaa11112222"),
        "failed": record(history, "A failing prompt", "", model="mistral-7b",
                         error=ApiError(429, "Too many requests", code="rate_limit_error")),
        "stopped": record(history, "A stopped prompt", "partial te", model="mistral-7b",
                          preset="Balanced", cancelled=True),
    }


@pytest.fixture
def panel(qtbot, history, runs) -> HistoryPanel:
    dialog = HistoryPanel(history)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def column(panel: HistoryPanel, name: str) -> list[str]:
    index = history_panel.COLUMNS.index(name)
    return [panel.table.item(row, index).text() for row in range(panel.table.rowCount())]


def ids(panel: HistoryPanel) -> list[int]:
    return [run.id for run in panel._runs]


def select(panel: HistoryPanel, *rows: int) -> None:
    """Select these rows, as clicks with Ctrl held do."""
    panel.table.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        panel.table.selectionModel().select(panel.table.model().index(row, 0), flags)


def open_dialog(panel: HistoryPanel, kind: type[T]) -> T:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    found = [d for d in panel.findChildren(kind) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def test_lists_runs_newest_first_with_status_and_groups(panel, runs) -> None:
    assert ids(panel) == [runs[k] for k in ("stopped", "failed", "right", "left", "dragon")]
    assert column(panel, "Status") == ["stopped", "error", "ok", "ok", "ok"]
    assert column(panel, "Model") == ["mistral-7b", "mistral-7b", "llama-3", "llama-3",
                                      "llama-3"]
    assert column(panel, "Preset") == ["Balanced", "", "", "", "Creative"]
    assert column(panel, "Tokens")[-1] == "2"
    assert column(panel, "Prompt")[-1] == "Tell me about the dragon…"
    assert column(panel, "Compare") == ["", "", "aaaa11", "aaaa11", ""]
    tints = [panel.table.item(row, 0).background().color() for row in (2, 3)]
    assert tints[0] == tints[1] and tints[0].alpha() > 0
    assert panel.table.item(0, 0).background().style().name == "NoBrush"
    assert panel.count_label.text() == "5 runs"
    assert not panel.more_button.isVisible()
    assert "Too many requests" in panel.table.item(1, history_panel.COLUMNS.index(
        "Status")).toolTip()
    assert column(panel, "#") == [str(run_id) for run_id in ids(panel)]


def test_detail_shows_the_selected_run(panel, runs) -> None:
    assert not panel.open_button.isEnabled() and not panel.delete_button.isEnabled()
    select(panel, 1)
    detail = panel.detail
    assert detail.prompt.toPlainText() == "A failing prompt"
    assert detail.error.isVisible()
    assert detail.error.text() == "HTTP 429 [rate_limit_error]: Too many requests"
    settings = json.loads(detail.settings.toPlainText())
    assert settings["request"]["temperature"] == 0.7
    assert "prompt" not in settings["request"]
    select(panel, 4)
    assert detail.output.toPlainText() == "It slept."
    assert not detail.error.isVisible()
    assert "preset Creative" in detail.summary.text()
    assert panel.open_button.isEnabled() and panel.rerun_button.isEnabled()
    select(panel, 2, 3)
    assert detail.summary.text() == "2 runs selected."
    assert not panel.open_button.isEnabled() and panel.export_button.isEnabled()


def test_search_narrows_live(panel, runs, qtbot) -> None:
    panel.search.setText("dragon")
    qtbot.waitUntil(lambda: ids(panel) == [runs["dragon"]], timeout=3000)
    assert panel.count_label.text() == "1 run"
    panel.search.setText("side")  # matches outputs too
    qtbot.waitUntil(lambda: ids(panel) == [runs["right"], runs["left"]], timeout=3000)
    panel.search.setText("")
    qtbot.waitUntil(lambda: len(ids(panel)) == 5, timeout=3000)


def test_filters_by_model_and_preset(panel, runs) -> None:
    assert [panel.model_filter.itemText(i) for i in range(panel.model_filter.count())] == [
        "All models", "llama-3", "mistral-7b"]
    assert [panel.preset_filter.itemText(i) for i in range(panel.preset_filter.count())] == [
        "All presets", "Balanced", "Creative"]
    index = panel.model_filter.findData("mistral-7b")
    panel.model_filter.setCurrentIndex(index)
    panel.model_filter.activated.emit(index)
    assert ids(panel) == [runs["stopped"], runs["failed"]]
    index = panel.preset_filter.findData("Balanced")
    panel.preset_filter.setCurrentIndex(index)
    panel.preset_filter.activated.emit(index)
    assert ids(panel) == [runs["stopped"]]
    panel.refresh()  # a refresh keeps the filters
    assert ids(panel) == [runs["stopped"]]


def test_open_and_run_again_emit_the_record(panel, runs, qtbot) -> None:
    select(panel, 4)
    with qtbot.waitSignal(panel.restore_requested) as restored:
        panel.open_button.click()
    assert restored.args[0].id == runs["dragon"]
    assert restored.args[0].to_request().prompt.startswith("Tell me about the dragon")
    with qtbot.waitSignal(panel.rerun_requested) as rerun:
        panel.rerun_button.click()
    assert rerun.args[0].params() == {"temperature": 0.7, "max_tokens": 40}
    with qtbot.waitSignal(panel.restore_requested) as restored:
        panel.table.cellDoubleClicked.emit(4, 0)
    assert restored.args[0].id == runs["dragon"]


def test_delete_asks_first(panel, runs, history) -> None:
    select(panel, 2, 3)
    panel.delete_button.click()
    box = open_dialog(panel, QMessageBox)
    assert box.text() == "Delete 2 runs from history?"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert history.count() == 5
    panel.delete_button.click()
    open_dialog(panel, QMessageBox).button(QMessageBox.StandardButton.Yes).click()
    assert history.count() == 3
    assert runs["left"] not in ids(panel) and runs["right"] not in ids(panel)
    assert panel.count_label.text() == "3 runs"


def test_export_selected_as_json_and_markdown(panel, runs, tmp_path) -> None:
    select(panel, 0, 4)
    for name_filter, target in (("JSON (*.json)", tmp_path / "runs.json"),
                                ("Markdown (*.md)", tmp_path / "runs.md")):
        panel.export_button.click()
        dialog = open_dialog(panel, QFileDialog)
        dialog.selectNameFilter(name_filter)
        dialog.fileSelected.emit(str(target))
        dialog.close()
    exported = json.loads((tmp_path / "runs.json").read_text())
    assert [run["prompt"] for run in exported["runs"]] == [
        "Tell me about the dragon\nof the north", "A stopped prompt"]
    assert exported["runs"][1]["status"] == "cancelled"
    markdown = (tmp_path / "runs.md").read_text()
    assert "Tell me about the dragon" in markdown and "partial te" in markdown
    assert panel.count_label.text() == "Exported 2 runs to runs.md"
    assert not list(tmp_path.glob(".runs*"))  # no temporary file left behind


def test_refresh_shows_new_runs_and_keeps_the_selection(panel, runs, history) -> None:
    select(panel, 4)
    new = record(history, "A new prompt", "fresh", model="qwen-2")
    panel.refresh()
    assert ids(panel)[0] == new
    assert [run.id for run in panel.selected_runs()] == [runs["dragon"]]
    assert panel.model_filter.findData("qwen-2") > 0


def test_pages_load_on_demand(panel, runs, monkeypatch) -> None:
    monkeypatch.setattr(history_panel, "PAGE_SIZE", 2)
    panel.refresh()
    assert len(ids(panel)) == 2
    assert panel.count_label.text() == "Newest 2 of 5 runs"
    assert panel.more_button.isVisible()
    panel.more_button.click()
    panel.more_button.click()
    assert ids(panel) == [runs[k] for k in ("stopped", "failed", "right", "left", "dragon")]
    assert not panel.more_button.isVisible()


def test_a_set_aside_database_is_reported(qtbot, playground_home) -> None:
    path: Path = playground_home / "data" / "history.sqlite3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    with History() as history:
        panel = HistoryPanel(history)
        qtbot.addWidget(panel)
        panel.show()
        assert panel.problem.isVisible()
        assert "history.sqlite3" in panel.problem.text()
        assert panel.count_label.text() == "0 runs"


def click_row(panel: HistoryPanel, row: int) -> None:
    rect = panel.table.visualItemRect(panel.table.item(row, 0))
    QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())


def test_rows_name_their_compare_column_and_their_branches(qtbot, history) -> None:
    plain = record(history, "Compare me", "as is", group="cmp-bbbb22223333", variant="")
    hot = record(history, "Compare me", "scorching", group="cmp-bbbb22223333",
                 variant="temperature=1.2,top_k=40")
    branch = record(history, "Compare me, branched", "hot too", parent=hot)
    again = record(history, "Compare me, branched", "hot again", parent=hot)
    deeper = record(history, "Compare me, branched deeper", "hotter", parent=branch)
    panel = HistoryPanel(history)
    qtbot.addWidget(panel)
    panel.show()
    assert ids(panel) == [deeper, again, branch, hot, plain]
    assert column(panel, "Compare") == ["", "", "", "temperature=1.2,top_k=40", "(base)"]
    assert column(panel, "Branch") == [
        f"\u21b3 branch of #{branch}", f"\u21b3 branch of #{hot}",
        f"\u21b3 branch of #{hot}  \u22d4 1 branch", "\u22d4 2 branches", ""]
    compare = history_panel.COLUMNS.index("Compare")
    assert panel.table.item(3, compare).toolTip() == (
        "column temperature=1.2,top_k=40 of comparison cmp-bbbb22223333 "
        "(one of 2 runs shown)")
    click_row(panel, 3)
    assert panel.selected_runs()[0].id == hot
    text = panel.detail.summary.text()
    assert "comparison cmp-bbbb22223333, column temperature=1.2,top_k=40" in text
    assert "2 branches" in text
    click_row(panel, 4)
    assert "column (base)" in panel.detail.summary.text()
    click_row(panel, 2)
    assert f"branch of run {hot} · 1 branch" in panel.detail.summary.text()

    panel.search.setText("deeper")  # a filter hides the parent: the branch still names it
    qtbot.waitUntil(lambda: ids(panel) == [deeper], timeout=3000)
    assert column(panel, "Branch") == [f"\u21b3 branch of #{branch}"]
    panel.search.setText("scorching")  # its branches hidden: the parent still counts them
    qtbot.waitUntil(lambda: ids(panel) == [hot], timeout=3000)
    assert column(panel, "Branch") == ["\u22d4 2 branches"]
