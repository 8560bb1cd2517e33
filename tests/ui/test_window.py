"""The real window, offscreen, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox

from playground.core.catalog import CATALOG, Group
from playground.core.connections import Connection, ConnectionStore
from playground.core.runs import RunResult
from playground.ui.main_window import MainWindow
from tests.ui.conftest import next_emission

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fault_server):
    store = ConnectionStore()
    for scenario in ("ok", "stall", "e402"):
        store.add(Connection(name=f"fault-{scenario}", base_url=fault_server.url(scenario)))
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def use(window: MainWindow, name: str) -> None:
    window.connection_box.setCurrentIndex(window.connection_box.findData(name))
    window.model_edit.setText("m")


def test_panel_is_generated_from_the_catalog(window) -> None:
    assert list(window.params.rows) == [spec.name for spec in CATALOG]
    titles = [box.title() for box in window.params.findChildren(QGroupBox)]
    assert titles == [group.value for group in Group]
    assert window.params.values() == {}
    row = window.params.rows["temperature"]
    assert "0 to 2" in row.toolTip()
    assert row.field.placeholderText() == "unset (0.7)"


def test_invalid_value_is_refused_inline(window, qtbot) -> None:
    row = window.params.rows["temperature"]
    row.field.setText("3")
    row.field.editingFinished.emit()
    assert row.error == "temperature: 3 is above the maximum 2 (allowed: a number from 0 to 2)"
    assert row.property("state") == "error"
    assert row.field.toolTip() == row.error
    assert "temperature" not in window.params.values()
    assert "1 invalid" in window.params.summary.text()
    window.run()
    assert window.error_label.isVisible()
    assert window.error_label.text() == row.error
    row.reset.click()
    assert row.error is None
    assert row.property("state") == "unset"


def test_set_neutral_and_unset_are_distinct(window) -> None:
    panel = window.params
    panel.set_values({"temperature": 1.0, "top_k": 40, "mirostat_mode": 2,
                      "stop": ["\n\n", "END"], "ignore_eos": False})
    assert panel.values() == {"temperature": 1, "top_k": 40, "mirostat_mode": 2,
                              "stop": ["\n\n", "END"], "ignore_eos": False}
    assert panel.rows["temperature"].property("state") == "neutral"
    assert panel.rows["top_k"].property("state") == "set"
    assert panel.rows["top_p"].property("state") == "unset"
    assert panel.rows["ignore_eos"].property("state") == "neutral"
    panel.neutralize()
    assert panel.values() == {}
    assert all(row.property("state") == "unset" for row in panel.rows.values())


def test_slider_moves_with_the_value(window) -> None:
    row = window.params.rows["top_p"]
    row.field.setText("0.5")
    row.field.editingFinished.emit()
    assert row.slider.value() == 500


def test_run_streams_into_the_output(window, qloop) -> None:
    use(window, "fault-ok")

    async def body() -> RunResult:
        await window.start_services()
        window.prompt_edit.setPlainText("Say hello")
        window.params.set_values({"temperature": 0.3})
        window.run()
        return await next_emission(window.run_finished)

    result = qloop.run_until_complete(body())
    assert result.error is None
    assert window.output.text() == "Hello, world!"
    assert "finish: stop" in window.figures.text()
    assert "cost $0.0001" in window.figures.text()
    assert window.run_button.isEnabled() and not window.stop_button.isEnabled()
    qloop.run_until_complete(window.shutdown())


def test_stop_keeps_the_partial_text(window, qloop) -> None:
    use(window, "fault-stall")

    async def body() -> RunResult:
        await window.start_services()
        window.run()
        await next_emission(window.worker.text)
        assert window.stop_button.isEnabled()
        window.stop_button.click()
        return await next_emission(window.run_finished)

    result = qloop.run_until_complete(body())
    assert result.cancelled
    assert window.output.text() == "Hel"
    assert "stopped" in window.figures.text()
    qloop.run_until_complete(window.shutdown())


def test_errors_show_status_message_and_hint(window, qloop) -> None:
    use(window, "fault-e402")

    async def body() -> RunResult:
        await window.start_services()
        window.run()
        return await next_emission(window.run_finished)

    qloop.run_until_complete(body())
    text = window.error_label.text()
    assert window.error_label.isVisible()
    assert "HTTP 402: Insufficient balance" in text
    assert "top up" in text
    qloop.run_until_complete(window.shutdown())


def test_a_new_run_while_running_replaces_it(window, qloop) -> None:
    use(window, "fault-stall")
    finished: list[RunResult] = []
    window.run_finished.connect(finished.append)

    async def body() -> None:
        await window.start_services()
        window.run()
        await next_emission(window.worker.text)
        window.run()  # the first run is stopped, its partial result delivered first
        await next_emission(window.worker.text)
        window.worker.stop()
        while len(finished) < 2:
            await asyncio.sleep(0.01)

    qloop.run_until_complete(body())
    assert [r.cancelled for r in finished] == [True, True]
    assert [r.text for r in finished] == ["Hel", "Hel"]
    qloop.run_until_complete(window.shutdown())


def test_keyboard_shortcuts_run_and_stop(window, qloop, qtbot) -> None:
    use(window, "fault-stall")

    async def body() -> RunResult:
        await window.start_services()
        window.prompt_edit.setFocus()
        qtbot.keyClick(window.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        await next_emission(window.worker.text)
        qtbot.keyClick(window.prompt_edit, Qt.Key.Key_Escape)
        return await next_emission(window.run_finished)

    result = qloop.run_until_complete(body())
    assert result.cancelled
    qloop.run_until_complete(window.shutdown())
