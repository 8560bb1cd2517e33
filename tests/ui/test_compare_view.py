"""The compare view on the real local engine: sweeps and seed repeats run concurrently."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableWidgetSelectionRange

from playground.core.client import CompletionClient
from playground.ui.compare_view import COLUMNS_PER_FRAME, Base, CompareView
from playground.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qapp, qloop):
    # Not registered with qtbot: pytest-qt closes its widgets before fixtures tear down,
    # and the window must shut its engine and clients down first.
    win = MainWindow()
    win.show()
    qloop.run_until_complete(win.start_services())
    win.prompt_edit.setPlainText("The function returns the")
    win.params.set_values({"max_tokens": 24, "seed": 5})
    yield win
    qloop.run_until_complete(win.shutdown())
    win.close()
    win.deleteLater()


async def run_and_wait_all(view) -> None:
    """Wait for the columns started by a click on Run all."""
    assert all(c.worker.running for c in view.columns), view.error.text()

    async def finished() -> None:
        while any(c.result is None for c in view.columns):
            await asyncio.sleep(0.02)
    await asyncio.wait_for(finished(), 60)


async def run_and_wait(view) -> None:
    view.run_all()
    assert all(c.worker.running for c in view.columns), view.error.text()
    while any(c.result is None for c in view.columns):
        await asyncio.sleep(0.02)


def test_temperature_sweep_runs_concurrently(window, qloop) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    view.sweep_name.setCurrentText("temperature")
    view.sweep_values.setText("0.2, 0.7, 1.2")
    view.make_sweep()
    assert [c.overrides.text() for c in view.columns] == [
        "temperature=0.2", "temperature=0.7", "temperature=1.2"]
    qloop.run_until_complete(run_and_wait(view))
    results = [c.result for c in view.columns]
    assert all(r.error is None and r.text for r in results)
    # Concurrent: every column had started before any finished.
    assert max(r.started for r in results) < min(r.finished_at for r in results)
    assert view.summary.rowCount() == 3
    assert view.summary.item(0, 0).text() == "temperature=0.2"
    view.summary.setRangeSelected(QTableWidgetSelectionRange(0, 0, 0, 6), True)
    view.summary.setRangeSelected(QTableWidgetSelectionRange(2, 0, 2, 6), True)
    assert view.diff.text() == "temperature: 0.2 → 1.2"


def test_run_all_shows_the_prompt_and_model_it_runs(window, qloop) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    shared = view.shared
    assert shared.prompt.isReadOnly()
    QTest.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    model = window.intents.build_request().model.compose()
    assert shared.prompt.toPlainText() == "The function returns the"
    assert shared.heading.text() == f"Prompt for every column · model {model}"
    qloop.run_until_complete(run_and_wait_all(view))
    window.prompt_edit.selectAll()
    QTest.keyClicks(window.prompt_edit, "Once upon a time")
    QTest.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert shared.prompt.toPlainText() == "Once upon a time"
    qloop.run_until_complete(run_and_wait_all(view))
    QTest.keyClicks(shared.prompt, "typed here")  # read-only: edits belong to the window
    assert shared.prompt.toPlainText() == "Once upon a time"


def test_the_prompt_shows_before_anything_runs(window, qloop) -> None:
    """Given a preview of the window's request, the view shows the prompt and model as they
    will be sent when it opens and when it is activated again, without running anything."""
    window.compare_action.trigger()  # as the window opens it
    view = window.dialogs.get("compare")
    shared = view.shared
    view.show()
    model = window.intents.build_request().model.compose()
    assert shared.prompt.toPlainText() == "The function returns the"
    assert shared.heading.text() == f"Prompt for every column · model {model}"
    window.activateWindow()
    window.prompt_edit.selectAll()
    QTest.keyClicks(window.prompt_edit, "Dear diary")
    QTest.keyClicks(window.model_picker.field, "zai-org/glm-5:thinking")
    view.activateWindow()
    QApplication.processEvents()
    assert shared.prompt.toPlainText() == "Dear diary"
    assert shared.heading.text() == "Prompt for every column · model zai-org/glm-5:thinking"
    window.model_picker.set_model_text("a:memory-400")  # the window's inputs cannot run
    view.hide()
    view.show()
    assert shared.problem.isVisible() and "memory" in shared.problem.text()
    assert shared.prompt.toPlainText() == "Dear diary"  # the last prompt that could run stays
    assert not any(column.worker.running for column in view.columns)

    window.model_picker.set_model_text("")
    QTest.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    qloop.run_until_complete(run_and_wait_all(view))
    assert shared.heading.text() == f"Prompt for every column · model {model}"
    window.prompt_edit.selectAll()
    QTest.keyClicks(window.prompt_edit, "Dear diary, again")
    view.hide()
    view.show()  # the columns shown ran the earlier prompt: said, not hidden
    assert shared.prompt.toPlainText() == "Dear diary, again"
    assert shared.heading.text() == (f"Prompt for every column · model {model} · changed "
                                     "since the columns below ran")


def test_seed_repeat_gives_three_different_texts(window, qloop) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    view.seed_count.setValue(3)
    view.make_seeds()
    qloop.run_until_complete(run_and_wait(view))
    texts = [c.result.text for c in view.columns]
    assert len(set(texts)) == 3
    assert [c.overrides.text() for c in view.columns] == ["seed=1", "seed=2", "seed=3"]


def test_invalid_column_is_refused_by_number(window) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    view.columns[1].overrides.setText("temperature=9")
    view.run_all()
    assert "column 2: temperature: 9 is above the maximum 2" in view.error.text()
    assert not any(c.worker.running for c in view.columns)


def test_column_limits(window) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    while len(view.columns) < 8:
        view.add_column("")
    assert not view.add_button.isEnabled()
    for column in view.columns[1:]:
        view.remove_column(column)
    view.run_all()
    assert "2 to 8 columns, not 1" in view.error.text()


def test_a_comparison_is_one_group_in_history(window, qloop) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    view.make_seeds()
    qloop.run_until_complete(run_and_wait(view))
    records = window.history.list()
    assert len(records) == 3
    assert len({r.group for r in records}) == 1
    assert records[0].group is not None


def test_at_most_four_columns_take_new_text_per_frame(qapp, qloop, fault_server) -> None:
    """Eight streaming columns redrawn in one frame would stall the window: they take turns."""
    client = CompletionClient(fault_server.url("stall"))  # "Hel", then silence
    view = CompareView(lambda: Base(client, "Say hello", "m", {}))
    while len(view.columns) < 8:
        view.add_column("")

    async def body() -> None:
        view.run_all()
        view._frame_timer.stop()  # the test plays the frames
        while not all(column.worker.waiting for column in view.columns):
            await asyncio.sleep(0.02)
        shown = [column.output.text() == "Hel" for column in view.columns]
        assert not any(shown)
        view._next_frame()
        first = [column.output.text() == "Hel" for column in view.columns]
        assert sum(first) == COLUMNS_PER_FRAME == 4
        view._next_frame()
        assert all(column.output.text() == "Hel" for column in view.columns)
        view.stop_all()
        await view.shutdown()
        await client.aclose()

    try:
        qloop.run_until_complete(body())
    finally:
        view.close()
        view.deleteLater()


def test_a_column_whose_request_failed_says_failed(qapp, qloop, fault_server) -> None:
    client = CompletionClient(fault_server.url("e402"))
    view = CompareView(lambda: Base(client, "Say hello", "m", {}))

    async def body() -> None:
        await run_and_wait(view)
        await view.shutdown()
        await client.aclose()

    try:
        qloop.run_until_complete(body())
        for column in view.columns:
            assert column.figures.text().startswith("failed · 0 tokens")
            assert "HTTP 402" in column.error.text()
    finally:
        view.close()
        view.deleteLater()


def test_a_column_can_take_a_saved_presets_settings(window, qloop) -> None:
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    view.columns[0].overrides.setText("preset=Creative")
    view.columns[1].overrides.setText("preset=Deterministic,max_tokens=8")
    qloop.run_until_complete(run_and_wait(view))
    assert view.error.text() == ""
    by_column = {run.variant: run.request for run in window.history.list()}
    for name, value in window.presets.store.get("Creative").param_values().items():
        assert by_column["preset=Creative"][name] == value
    assert by_column["preset=Deterministic,max_tokens=8"]["max_tokens"] == 8
