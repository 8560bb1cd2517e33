"""Each run carries its own request, parent and undo snapshot from start to record, however
runs overlap, are refused or are replaced; what is on screen is described by its own run."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from PySide6.QtCore import Qt

from playground.core.connections import Connection, ConnectionStore
from playground.ui.main_window import MainWindow
from tests.gui import fault_window, next_emission, use

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fault_server):
    return fault_window(qtbot, fault_server, ("ok", "stall", "e400seed"))


def test_a_replaced_run_is_recorded_with_its_own_request(window, qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-stall")
        window.prompt_edit.setPlainText("First prompt")
        assert window.intents.run()
        await next_emission(window.worker.text)  # mid-stream
        use(window, "fault-ok")
        window.prompt_edit.setPlainText("Second prompt")
        assert window.intents.run()
        await next_emission(window.run_finished)  # the first, stopped
        await next_emission(window.run_finished)  # the second
        return window.history.list()

    try:
        second, first = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert (first.prompt, first.output, first.connection) == ("First prompt", "Hel",
                                                              "fault-stall")
    assert first.cancelled and first.request["prompt"] == "First prompt"
    assert (second.prompt, second.output, second.connection) == ("Second prompt",
                                                                 "Hello, world!", "fault-ok")
    assert window.output.text() == "Hello, world!"


@pytest.fixture
def local(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def test_a_refused_branch_leaves_no_parent_to_the_next_run(local, qloop) -> None:
    win = local

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values({"logprobs": 3, "max_tokens": 4, "seed": 1})
        win.intents.run()
        await next_emission(win.run_finished)
        span = win.output.spans()[1]
        temperature = win.params.rows["temperature"]
        temperature.field.setText("5")  # invalid: the branch is refused
        temperature.field.editingFinished.emit()
        assert not win.intents.branch(span.start, span.alternatives[-1][0])
        assert "temperature" in win.error_label.text()
        assert win.figures.text() == "not sent"
        temperature.reset.click()
        win.prompt_edit.setPlainText("An unrelated prompt")
        assert win.intents.run()
        await next_emission(win.run_finished)
        return win.history.list()

    try:
        unrelated, _first = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())
    assert unrelated.prompt == "An unrelated prompt"
    assert unrelated.parent is None


def test_a_branch_that_replaces_a_running_run_keeps_its_parent(local, qloop) -> None:
    win = local

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values({"logprobs": 3, "max_tokens": 3, "seed": 1})
        win.intents.run()
        await next_emission(win.run_finished)  # an earlier run, now in history
        win.params.set_values({"logprobs": 3, "max_tokens": 16000, "seed": 1,
                               "ignore_eos": True})
        win.intents.run()
        await next_emission(win.worker.logprobs)  # the long run streams its tokens
        span = win.output.spans()[0]
        assert win.intents.branch(span.start, span.alternatives[-1][0])
        await next_emission(win.run_finished)  # the long run, stopped by the branch
        await next_emission(win.run_finished)  # the branch
        return win.history.list()

    try:
        branch, replaced, earlier = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())
    assert replaced.cancelled and replaced.parent is None
    assert earlier.parent is None
    assert branch.parent == replaced.id
    assert branch.prompt.startswith("The function returns the")


def test_undo_brings_back_the_previous_run_with_its_tinting_and_figures(local, qloop) -> None:
    win = local

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values({"logprobs": 2, "max_tokens": 6, "seed": 4, "ignore_eos": True})
        win.intents.run()
        await next_emission(win.run_finished)
        first = (win.output.text(), win.output.spans(), win.figures.text())
        win.params.set_values({"max_tokens": 3, "seed": 5, "ignore_eos": True})
        win.intents.run()
        await next_emission(win.run_finished)
        assert win.figures.text() != first[2]
        win.undo_action.trigger()
        assert (win.output.text(), win.output.spans(), win.figures.text()) == first
        assert "completion 6 tokens" in win.figures.text()

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())


def test_a_restored_run_shows_its_own_figures(window, qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ok")
        window.prompt_edit.setPlainText("Keep me")
        window.intents.run()
        await next_emission(window.run_finished)
        use(window, "fault-stall")
        window.intents.run()
        await next_emission(window.worker.text)
        window.intents.stop()
        await next_emission(window.run_finished)
        assert window.figures.text().startswith("stopped")
        assert window.intents.restore(window.history.list()[-1])
        assert window.output.text() == "Hello, world!"
        assert window.figures.text().startswith("finish: stop")
        assert "cost $0.0001" in window.figures.text()

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())


def test_a_failed_run_says_failed_not_done(window, qloop, fault_server) -> None:
    ConnectionStore().add(Connection(name="gone", base_url="http://127.0.0.1:9/v1"))
    window.bar.reload()

    async def body() -> None:
        await window.start_services()
        use(window, "gone")
        window.intents.run()
        await next_emission(window.run_finished)

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert window.figures.text() == "failed"
    assert "Network error" in window.error_label.text()


@pytest.mark.parametrize("focus", ["prompt_edit", "output"])
def test_ctrl_shift_z_undoes_the_last_run_from_either_pane(window, qloop, qtbot,
                                                            focus: str) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ok")
        window.prompt_edit.setPlainText("Before the run")
        window.intents.run()
        await next_emission(window.run_finished)

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    window.prompt_edit.setPlainText("Edited after the run")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    widget = getattr(window, focus)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.prompt_edit.toPlainText() == "Before the run"
    assert window.output.text() == ""
    assert not window.undo_action.isEnabled()
    rows = dict(window.shortcuts())
    assert rows["Undo Last Run"].toString() == "Ctrl+Shift+Z"


def test_a_refused_run_names_every_invalid_field_and_the_banner_follows_the_fixes(
        window, qtbot) -> None:
    temperature, top_a = window.params.rows["temperature"], window.params.rows["top_a"]
    for row, text in ((temperature, "5"), (top_a, "abc")):
        qtbot.keyClicks(row.field, text)
        qtbot.keyClick(row.field, Qt.Key.Key_Return)
    assert not window.intents.run()
    banner = window.error_label
    assert banner.isVisible()
    lines = banner.text().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("temperature: 5 is above the maximum 2")
    assert lines[1].startswith("top_a:")
    temperature.field.selectAll()
    qtbot.keyClicks(temperature.field, "1")
    qtbot.keyClick(temperature.field, Qt.Key.Key_Return)
    assert banner.isVisible() and banner.text().startswith("top_a:")
    top_a.reset.click()
    assert not banner.isVisible()


async def _engine_gone(win: MainWindow) -> None:
    engine = win.engine
    os.kill(engine.pid, signal.SIGKILL)
    for _ in range(200):
        if engine.exit_code is not None or win.engine is not engine:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the engine outlived SIGKILL")


def test_the_window_recovers_from_an_engine_killed_mid_stream_and_between_runs(
        local, qloop) -> None:
    win = local

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values({"max_tokens": 16000, "ignore_eos": True})
        win.intents.run()
        await next_emission(win.worker.text)
        finished = asyncio.ensure_future(next_emission(win.run_finished))
        await _engine_gone(win)
        killed = await finished
        assert killed.error is not None and killed.text
        assert win.output.text() == killed.text  # the partial text stays on screen
        assert win.figures.text().startswith("failed")
        assert "The local engine stopped (killed by signal 9); it is starting again." in (
            win.error_label.text())
        record = win.history.list()[0]
        assert record.output == killed.text and record.error is not None

        win.params.set_values({"max_tokens": 5, "seed": 1})
        assert win.intents.run()
        again = await next_emission(win.run_finished, timeout=60)
        assert again.error is None and again.text

        await _engine_gone(win)
        assert win.intents.run()
        assert win.figures.text() == "Starting the local engine…"
        between = await next_emission(win.run_finished, timeout=60)
        assert between.error is None and between.text == again.text
        assert win.output.text() == between.text

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())


def test_run_again_waits_for_the_local_engine_to_start(window, qloop) -> None:
    from playground.core.request import build_request
    from playground.core.runs import RunResult

    async def body() -> None:
        use(window, "fault-ok")
        await window.start_services()
        assert window.engine is None  # a saved server is current: the engine is not started
        request = build_request("The function returns the", "local/stdlib",
                                {"max_tokens": 4, "seed": 2})
        earlier = window.history.record(request, RunResult(text="old"), connection="local")
        window.intents.rerun(window.history.get(earlier))
        assert window.connection_box.currentData() == "local"
        assert window.figures.text() == "Starting the local engine…"
        result = await next_emission(window.run_finished, timeout=60)
        assert result.error is None and result.text
        assert window.output.text() == result.text
        newest = window.history.list()[0]
        assert newest.connection == "local" and newest.output == result.text

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())


async def _lab_describes(win: MainWindow, prompt: str, output: str) -> None:
    """Every step of the lab sits in `prompt` + `output` and marks the token the run drew,
    also after a parameter change makes the replay draw something else."""
    from playground.ui.sampler_lab import quoted

    await win.jobs._tasks["lab"]
    lab = win.dialogs.get("lab")
    assert "".join(text for _, text in lab._tokens) == output
    assert lab.step.maximum() == len(lab._tokens) - 1
    for step, (token, text) in enumerate(lab._tokens):
        lab.step.setValue(step)
        lab.redraw()
        await lab._task
        assert lab.chart.drawn == token
        assert [row.id for row in lab.chart.rows()].count(token) == 1
        before = (prompt + output[:sum(len(t) for _, t in lab._tokens[:step])])[-40:]
        assert lab.step_label.text().endswith(f"…{quoted(before)}, the run drew {quoted(text)}")
    win.params.set_values({**win.params.values(), "top_k": 1})
    lab.redraw()
    await lab._task
    assert lab.chart.drawn == lab._tokens[-1][0]
    assert lab.chart.drawn in [row.id for row in lab.chart.rows()]


def test_the_lab_replays_the_run_on_screen_restored_branched_or_continued(local, qloop) -> None:
    win = local
    settings = {"logprobs": 3, "max_tokens": 5, "seed": 7, "temperature": 1.5,
                "ignore_eos": True}

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values(settings)
        win.intents.run()
        first = await next_emission(win.run_finished)
        win.prompt_edit.setPlainText("import os")
        win.intents.run()
        await next_emission(win.run_finished)
        win.params.set_values(settings)

        assert win.intents.restore(win.history.list()[-1])
        win.lab_action.trigger()
        await _lab_describes(win, "The function returns the", first.text)

        win.intents.run()  # history keeps no token probabilities: a fresh run to branch from
        await next_emission(win.run_finished)
        span = win.output.spans()[1]
        assert win.intents.branch(span.start, span.alternatives[-1][0])
        branched = await next_emission(win.run_finished)
        await asyncio.sleep(0)  # the lab's refresh starts after the run is shown
        await _lab_describes(win, win.shown.request.prompt, branched.text)
        assert win.shown.request.prompt.endswith(span.alternatives[-1][0])

        win.params.set_values(settings)
        assert win.intents.continue_run()
        continued = await next_emission(win.run_finished)
        await asyncio.sleep(0)
        assert win.shown.request.prompt.endswith(branched.text)
        await _lab_describes(win, win.shown.request.prompt, continued.text)

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())


def test_each_connection_keeps_its_own_model_and_suffixes_stay_with_nanogpt(window) -> None:
    use(window, "nanogpt", "openai/gpt-4o:online:memory-30:thinking")
    nanogpt_model = window.model_picker.model_text()
    assert ":online" in nanogpt_model and ":memory-30" in nanogpt_model
    assert window.model_picker.suffix_button.isEnabled()

    window.connection_box.setCurrentIndex(window.connection_box.findData("fault-ok"))
    assert window.model_picker.model_text() == ""  # not NanoGPT's model
    assert not window.model_picker.suffix_button.isEnabled()
    window.model_picker.set_model_text("local/stdlib")
    assert window.intents.build_request().wire_body()["model"] == "local/stdlib"

    window.connection_box.setCurrentIndex(window.connection_box.findData("nanogpt"))
    assert window.model_picker.model_text() == nanogpt_model
    window.connection_box.setCurrentIndex(window.connection_box.findData("fault-ok"))
    assert window.model_picker.model_text() == "local/stdlib"


def test_the_panel_takes_its_limits_and_mirostat_rules_from_the_connection_and_model(
        window, qtbot) -> None:
    from playground.core.client import ModelInfo
    from playground.core.models import ModelList

    use(window, "local", "local/stdlib")
    max_tokens, top_k = window.params.rows["max_tokens"], window.params.rows["top_k"]
    assert max_tokens.field.placeholderText() == "unset (256)"
    qtbot.keyClicks(max_tokens.field, "20000")
    qtbot.keyClick(max_tokens.field, Qt.Key.Key_Return)
    assert not window.intents.run()
    assert "max_tokens: 20000 is above this connection's maximum 16384" in (
        window.error_label.text())
    window.params.set_values({"mirostat_mode": 2, "top_k": 40})
    assert not top_k.field.isEnabled()
    assert "Mirostat 2 replaces top_k" in top_k.field.toolTip()

    use(window, "fault-ok", "big-model")  # a NanoGPT-style server: its own rules unknown
    assert top_k.field.isEnabled()
    assert max_tokens.field.placeholderText() == "unset (4000)"
    window.model_picker.set_model_list(
        ModelList([ModelInfo(id="big-model", max_output_tokens=100)], fresh=True))
    window.model_picker.set_model_text("big-model")
    window.params.set_values({"max_tokens": 200})
    assert window.params.errors() == [
        "max_tokens: 200 is above this connection's maximum 100 (allowed: a whole number "
        "from 1 to 100)"]


def test_the_model_picker_says_that_listing_nanogpts_models_needs_a_key(window, qloop) -> None:
    qloop.run_until_complete(window.start_services())
    try:
        use(window, "nanogpt", "")
        assert "listing NanoGPT's models needs an API key" in (
            window.model_picker.status.toolTip() + window.model_picker.status.text())
        use(window, "fault-ok", "")
        assert "needs an API key" not in window.model_picker.status.text()
    finally:
        qloop.run_until_complete(window.shutdown())


def test_a_request_refused_before_any_text_keeps_the_previous_output(window, qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ok")
        window.intents.run()
        await next_emission(window.run_finished)
        use(window, "fault-e400seed")
        window.intents.run()
        refused = await next_emission(window.run_finished)
        assert refused.error is not None and refused.error.status == 400

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert window.output.text() == "Hello, world!"  # not wiped by the refusal
    assert window.figures.text() == "failed"
    assert "HTTP 400" in window.error_label.text() and "temperature: bad" in (
        window.error_label.text())
