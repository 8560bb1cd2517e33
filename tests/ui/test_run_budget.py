"""The context meter and the cost bound next to Run, on a server whose model list has the
model's context length and prices; a run that cannot fit is refused before it is sent."""

from __future__ import annotations

import asyncio

import pytest

from tests.gui import fault_window, next_emission, use_listed

pytestmark = pytest.mark.gui


def test_the_meter_goes_red_and_a_run_that_cannot_fit_is_refused_unsent(
        qtbot, qloop, fault_server) -> None:
    window = fault_window(qtbot, fault_server, ("ok",))

    async def body() -> None:
        await use_listed(window, "fault-ok", "a/model")  # 8,192 tokens, $0.5 / $1.5 per 1M
        window.prompt_edit.setPlainText("hi")
        window.params.set_value("max_tokens", 1000)
        window.budget.update()
        assert window.budget.meter.property("level") == "ok"
        assert window.budget.cost.text() == "≤ $0.0015"  # 1 x 0.5 + 1,000 x 1.5 per million
        assert window.budget.meter.toolTip() == \
            "≈1 prompt + 1,000 max_tokens = 1,001 of 8,192 tokens (12%)"
        window.prompt_edit.setPlainText(" wo" * 15000)  # about 15,000 tokens, 7,500 at least
        window.budget.update()
        assert window.budget.meter.property("level") == "red"
        seen = len(fault_server.requests)
        assert not window.intents.run()
        refusal = window.error_label.text()
        assert refusal.startswith("context: ≈15,000 prompt + 1,000 max_tokens = 16,000 of "
                                  "8,192 tokens (195%): at least 308 tokens more")
        assert "set max_tokens to 692 or less" in refusal
        assert len(fault_server.requests) == seen  # nothing was sent
        window.params.set_value("max_tokens", 100)  # it may fit: the estimate lets it go
        window.budget.update()
        assert window.intents.run()
        await next_emission(window.run_finished)
        assert fault_server.requests[-1].json()["max_tokens"] == 100

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())


def test_the_preview_says_the_context_use_and_the_cost_bound(qtbot, qloop, fault_server) -> None:
    window = fault_window(qtbot, fault_server, ("ok",))
    try:
        qloop.run_until_complete(use_listed(window, "fault-ok", "a/model"))
        window.prompt_edit.setPlainText("hello there")
        window.params.set_value("max_tokens", 10)
        window.preview_action.trigger()
        note = window.dialogs.get("preview").note_label.text()
        assert note.startswith("Context: ≈3 prompt + 10 max_tokens = 13 of 8,192 tokens (0%)")
        assert "at most $0.0000 for this run" in note
    finally:
        qloop.run_until_complete(window.shutdown())


def test_compare_shows_what_all_its_columns_can_cost_before_they_run(
        qtbot, qloop, fault_server) -> None:
    window = fault_window(qtbot, fault_server, ("ok",))

    try:
        qloop.run_until_complete(use_listed(window, "fault-ok", "a/model"))
        window.prompt_edit.setPlainText("hello there")  # about 3 tokens
        window.compare_action.trigger()
        view = window.dialogs.get("compare")
        view.columns[0].overrides.setText("max_tokens=1000")
        view.columns[1].overrides.setText("max_tokens=2000,temperature=0.9")
        # (3 x 0.5 + 1,000 x 1.5) + (3 x 0.5 + 2,000 x 1.5) per million
        assert view.cost.isVisible() and view.cost.text() == "≤ $0.0045 for 2 runs"
        view.columns[1].overrides.setText("model=b/model")  # not priced: no bound
        assert not view.cost.isVisible()
    finally:
        qloop.run_until_complete(window.shutdown())


def test_a_free_model_shows_no_cost(qtbot, qloop) -> None:
    from playground.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)

    async def start() -> None:
        listed = asyncio.ensure_future(next_emission(window.bar.models_listed))
        await window.start_services()  # the local engine: free models
        await listed

    try:
        qloop.run_until_complete(start())
        window.prompt_edit.setPlainText("hi")
        window.budget.update()
        assert window.budget.meter.property("level") == "ok"
        assert not window.budget.cost.isVisibleTo(window)
    finally:
        qloop.run_until_complete(window.shutdown())


def test_compare_s_cost_is_left_out_while_the_window_cannot_run(qtbot, fault_server) -> None:
    window = fault_window(qtbot, fault_server, ("ok",))
    window.params.rows["temperature"].field.setText("9")  # refused: the window cannot run
    window.params.rows["temperature"].field.editingFinished.emit()
    window.compare_action.trigger()
    view = window.dialogs.get("compare")
    view.columns[0].overrides.setText("max_tokens=10")  # no exception from the slot
    assert not view.cost.isVisible()
