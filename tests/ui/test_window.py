"""The real window, offscreen, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QWidget

from playground.core.catalog import CATALOG, SAMPLER_STAGES, Group
from playground.core.connections import Connection, ConnectionStore
from playground.core.presets import Preset
from playground.core.routing import Routing
from playground.core.runs import RunResult
from playground.ui.main_window import MainWindow
from playground.ui.param_panel import CollapsibleGroup
from tests.gui import fault_window, next_emission, use

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fault_server):
    return fault_window(qtbot, fault_server, ("ok", "stall", "e402"))


def test_panel_is_generated_from_the_catalog(window) -> None:
    assert list(window.params.rows) == [spec.name for spec in CATALOG]
    titles = [box.title() for box in window.params.findChildren(CollapsibleGroup)]
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
    window.intents.run()
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
        window.intents.run()
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
        window.intents.run()
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
        window.intents.run()
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
        window.intents.run()
        await next_emission(window.worker.text)
        window.intents.run()  # the first run is stopped, its partial result delivered first
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


def test_groups_fold_and_count_what_is_set(window) -> None:
    box = window.params.groups[Group.PENALTIES]
    window.params.set_values({"presence_penalty": 0.5, "repetition_penalty": 1.1})
    assert box.note.text() == "2 set"
    box.toggle.click()
    assert not box.body.isVisible()
    assert window.params.values() == {"presence_penalty": 0.5, "repetition_penalty": 1.1}
    box.toggle.click()
    assert box.body.isVisible()


def test_list_editors_stay_in_sync_with_the_field(window) -> None:
    row = window.params.rows["stop"]
    row.expand.click()
    assert row.list_editor.isVisible()
    row.list_editor.entry.setText("\\n\\n")  # typed as backslash-n twice
    row.list_editor.add_entry()
    row.list_editor.entry.setText("END")
    row.list_editor.add_entry()
    assert window.params.values()["stop"] == ["\n\n", "END"]
    assert row.field.text() == '["\\n\\n", "END"]'
    row.field.setText('["a"]')
    row.field.editingFinished.emit()
    assert row.list_editor.value() == ["a"]
    bias = window.params.rows["logit_bias"]
    bias.list_editor.entry.setText("50256")
    bias.list_editor.add_entry()
    assert window.params.values()["logit_bias"] == {"50256": -100.0}


def test_unsupported_fields_are_greyed_and_kept(window) -> None:
    window.params.set_values({"top_a": 0.2, "temperature": 0.5})
    window.params.set_server({"top_a": "this server ignores top_a"}, {"temperature": 0.8})
    assert window.params.rows["temperature"].field.placeholderText() == "unset (0.8)"
    row = window.params.rows["top_a"]
    assert not row.field.isEnabled()
    assert "this server ignores top_a" in row.field.toolTip()
    # Greying is display only: the value stays; the dialect's translation drops it.
    assert window.params.values() == {"top_a": 0.2, "temperature": 0.5}
    window.params.set_server({}, {})
    assert row.field.isEnabled()
    assert window.params.values() == {"top_a": 0.2, "temperature": 0.5}


def test_a_corrupt_connections_file_is_reported_in_the_window(qtbot) -> None:
    ConnectionStore().path.write_text("[{\"name\": \"lab box\"}]")
    win = MainWindow()
    qtbot.addWidget(win)
    assert "entry 1 (lab box) is left out" in win.error_label.text()
    assert [win.connection_box.itemData(i) for i in range(win.connection_box.count())] == [
        "local", "nanogpt"]


def test_a_corrupt_history_is_said_in_the_window_at_start(qtbot, qloop) -> None:
    from playground.core.history import FILE_NAME
    from playground.core.paths import data_dir

    broken = data_dir() / FILE_NAME
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not a database at all" * 100)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qloop.run_until_complete(win.start_services())  # its status messages come after
    try:
        assert win.error_label.isVisible()
        assert "history.sqlite3 could not be read" in win.error_label.text()
        assert "moved to history.sqlite3.corrupt-" in win.error_label.text()
        assert win.history.list() == []
    finally:
        qloop.run_until_complete(win.shutdown())


def test_every_dialect_can_be_chosen(qtbot, fault_server) -> None:
    """Choosing a connection shows its server's defaults, including those that are not one
    value (llama.cpp's "no limit", vLLM's generation_config)."""
    from playground.core.connections import DIALECTS
    store = ConnectionStore()
    for dialect in DIALECTS:
        store.add(Connection(name=f"d-{dialect}".replace(".", "-"), dialect=dialect,
                             base_url=fault_server.url("ok")))
    win = MainWindow()
    qtbot.addWidget(win)
    shown = {}
    for dialect in DIALECTS:
        use(win, f"d-{dialect}".replace(".", "-"))
        shown[dialect] = tuple(win.params.rows[name].field.placeholderText()
                               for name in ("max_tokens", "temperature"))
    assert shown["llama.cpp"][0] == "unset (no limit)"
    assert shown["openai"][0] == "unset (16)"
    assert shown["vllm"][1] == "unset (taken from the model's generation_config.json)"


def test_local_engine_run_with_mirostat_and_a_penalty(qtbot, qloop) -> None:
    """The issue's own scenario, on the real local engine: no key, no network."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.current().connection.kind == "local"

    async def body() -> RunResult:
        await win.start_services()
        win.prompt_edit.setPlainText("The Python language")
        row = win.params.rows["mirostat_mode"]
        row.combo.setCurrentIndex(row.combo.findData(2))
        penalty = win.params.rows["presence_penalty"]
        penalty.field.setText("0.8")
        penalty.field.editingFinished.emit()
        for name, value in (("max_tokens", "40"), ("seed", "7")):
            win.params.rows[name].field.setText(value)
            win.params.rows[name].field.editingFinished.emit()
        win.prompt_edit.setFocus()
        qtbot.keyClick(win.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        return await next_emission(win.run_finished)

    result = qloop.run_until_complete(body())
    try:
        assert result.error is None
        assert result.finish_reason in ("length", "stop")
        assert win.output.text() == result.text != ""
        assert result.usage.completion_tokens <= 40
        assert "tok/s" in win.figures.text() or result.usage.completion_tokens < 2
        request = win.intents.build_request().body()
        assert request["mirostat_mode"] == 2
        assert request["presence_penalty"] == 0.8
    finally:
        qloop.run_until_complete(win.shutdown())


def test_exact_token_count_with_the_local_engine(qtbot, qloop) -> None:
    win = MainWindow()
    qtbot.addWidget(win)

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("Hello world, hello tokens.")
        win.counter.timer.stop()  # else, on a slow machine, its count replaces the one awaited
        tokens = await win.bar.tokenize("Hello world, hello tokens.")
        win.counter.count()
        await win.jobs._tasks["count"]
        assert win.counts.text() == f"26 characters · {len(tokens)} tokens"

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())


def test_estimated_token_count_elsewhere(window) -> None:
    use(window, "fault-ok")
    window.prompt_edit.setPlainText("x" * 40)
    window.counter.count()
    assert window.counts.text() == "40 characters · ≈10 tokens (estimate)"
    hebrew = "שלום עולם, מה שלומך היום? " * 4  # byte-level tokenizers take ~1 token a letter
    window.prompt_edit.setPlainText(hebrew)
    window.counter.count()
    estimate = int(re.search(r"≈(\d+) tokens", window.counts.text()).group(1))
    assert estimate >= len(hebrew.replace(" ", "")) // 2 > len(hebrew) / 4


def test_continue_and_undo_last_run(window, qloop) -> None:
    use(window, "fault-ok")

    async def body() -> None:
        await window.start_services()
        window.prompt_edit.setPlainText("Say: ")
        window.intents.run()
        await next_emission(window.run_finished)
        window.continue_action.trigger()
        await next_emission(window.run_finished)

    qloop.run_until_complete(body())
    assert window.prompt_edit.toPlainText() == "Say: Hello, world!"
    assert window.output.text() == "Hello, world!"
    window.undo_action.trigger()
    assert window.prompt_edit.toPlainText() == "Say: "
    assert window.output.text() == "Hello, world!"
    window.undo_action.trigger()
    assert window.output.text() == ""
    assert not window.undo_action.isEnabled()
    qloop.run_until_complete(window.shutdown())


def test_draft_is_saved_and_restored(window, qtbot) -> None:
    use(window, "fault-ok")
    window.prompt_edit.setPlainText("A prompt I must not lose")
    window.params.set_values({"top_k": 40, "stop": ["\n"]})
    window.save_draft()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.prompt_edit.toPlainText() == "A prompt I must not lose"
    assert again.params.values() == {"top_k": 40, "stop": ["\n"]}
    assert again.connection_box.currentData() == "fault-ok"
    assert again.model_picker.model_text() == "m"


def test_draft_saves_itself_while_typing(window, qtbot) -> None:
    from playground.core.draft import DraftStore
    window.prompt_edit.setPlainText("typed")
    qtbot.waitUntil(lambda: DraftStore().load()[0].prompt == "typed", timeout=3000)


def test_request_preview_follows_the_inputs(window, qtbot) -> None:
    use(window, "fault-ok")
    window.prompt_edit.setPlainText("preview me")
    window.preview_action.trigger()
    preview = window.dialogs.get("preview")
    assert preview.isVisible()
    assert '"prompt": "preview me"' in preview.pages["Body"].text()
    window.params.set_values({"temperature": 0.25})
    qtbot.waitUntil(lambda: '"temperature": 0.25' in preview.pages["Body"].text(),
                    timeout=3000)
    assert "curl" in preview.pages["curl"].text()
    assert not preview.port_label.isVisible()
    use(window, "local")
    qtbot.waitUntil(preview.port_label.isVisible, timeout=3000)
    assert "playground serve --port" in preview.port_label.text()


def test_routing_is_nanogpt_only_and_conflicts_are_refused(window, monkeypatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "sk-nano-test")
    use(window, "fault-ok")
    assert not window.side.tabs.isTabEnabled(1)
    use(window, "nanogpt")
    assert window.side.tabs.isTabEnabled(1)
    window.model_picker.set_model_text("zai-org/glm-5:fast")
    window.routing.set_routing(Routing(provider="novita"))
    window.intents.run()
    assert "routing suffix :fast" in window.error_label.text()


def test_shortcuts_dialog_lists_the_menu_shortcuts(window) -> None:
    names = dict(window.shortcuts())
    assert names["Run"].toString() == "Ctrl+Return"
    assert names["Stop"].toString() == "Esc"
    assert "Continue" in names
    assert "Undo Last Run" in names


def test_every_control_has_an_accessible_name(window) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit
    unnamed = [w for w in window.findChildren(QWidget)
               if isinstance(w, QLineEdit | QComboBox | QPlainTextEdit)
               and w.isVisibleTo(window) and not w.accessibleName()
               and not isinstance(w.parent(), QComboBox)]
    assert unnamed == []
    buttons = [w for w in window.findChildren(QAbstractButton)
               if w.isVisibleTo(window) and not (w.text() or w.accessibleName())]
    assert buttons == []


def test_arrow_keys_step_a_number_like_a_spin_box(window, qtbot) -> None:
    row = window.params.rows["temperature"]
    row.field.setFocus()
    qtbot.keyClick(row.field, Qt.Key.Key_Up)
    assert row.value() == 0.75  # from the documented default 0.7, one step of 0.05
    qtbot.keyClick(row.field, Qt.Key.Key_PageDown)
    assert row.value() == 0.25
    for _ in range(10):
        qtbot.keyClick(row.field, Qt.Key.Key_Down)
    assert row.value() == 0  # clamped at the minimum
    top_k = window.params.rows["top_k"]
    qtbot.keyClick(top_k.field, Qt.Key.Key_Up)
    assert top_k.value() == 1


def test_sampler_lab_shows_a_stage_removing_candidates(qtbot, qloop) -> None:
    win = MainWindow()
    qtbot.addWidget(win)

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values({"top_k": 5, "max_tokens": 8, "seed": 2})
        win.intents.run()
        await next_emission(win.run_finished)
        win.lab_action.trigger()
        await win.jobs._tasks["lab"]
        lab = win.dialogs.get("lab")
        lab.step.setValue(2)
        lab.redraw()
        await lab._task
        trace = lab.chart.trace
        assert trace.stages == ("model", "top_k")
        assert trace.survivors[-1] == 5
        assert trace.removed_at(1)
        win.params.set_values({"top_k": 2, "max_tokens": 8, "seed": 2})
        lab.redraw()
        await lab._task
        assert lab.chart.trace.survivors[-1] == 2
        lab.chart.grab().save(str(win.drafts.path.parent / "lab.png"))

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())


def test_token_probabilities_colour_the_output_and_branch(qtbot, qloop) -> None:
    win = MainWindow()
    qtbot.addWidget(win)

    async def body() -> None:
        await win.start_services()
        win.prompt_edit.setPlainText("The function returns the")
        win.params.set_values({"logprobs": 5, "max_tokens": 10, "seed": 3,
                               "ignore_eos": True})
        win.intents.run()
        first = await next_emission(win.run_finished)
        spans = win.output.spans()
        assert len(spans) == 10
        text = win.output.text()
        assert "".join(text[s.start:s.end] for s in spans) == text == first.text
        assert all(0 < s.probability <= 1 for s in spans)
        assert all(len(s.alternatives) == 5 for s in spans)
        # Branch at the third token with its least likely alternative.
        span = spans[2]
        alternative = span.alternatives[-1][0]
        win.intents.branch(span.start, alternative)
        await next_emission(win.run_finished)
        assert win.prompt_edit.toPlainText() == ("The function returns the" +
                                                 text[:span.start] + alternative)
        win.undo_action.trigger()
        assert win.prompt_edit.toPlainText() == "The function returns the"
        assert win.output.text() == text

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(win.shutdown())


def test_a_llama_cpp_connection_greys_what_it_ignores(qtbot, fault_server) -> None:
    ConnectionStore().add(Connection(name="llama", base_url=fault_server.url("ok"),
                                     dialect="llama-cpp-python"))
    win = MainWindow()
    qtbot.addWidget(win)
    use(win, "llama")
    tfs = win.params.rows["tfs"]
    assert not tfs.field.isEnabled()
    assert "Not sent" in tfs.field.toolTip()
    assert win.params.rows["temperature"].field.placeholderText() == "unset (0.8)"
    win.params.set_values({"tfs": 0.5, "repetition_penalty": 1.2})
    request = win.intents.build_request()
    body = request.wire_body()
    assert "tfs" not in body and request.body()["tfs"] == 0.5
    assert any(note.startswith("dropped tfs: ") for note in request.translation().notes)
    win.dialogs.open_preview()  # the preview says what the server does not receive
    assert "dropped tfs: " in win.dialogs.get("preview").note_label.text()
    assert body["repeat_penalty"] == 1.2
    assert body["temperature"] == 1.0  # neutral sent, since the server's default is not
    use(win, "local")
    assert win.params.rows["tfs"].field.isEnabled()


def test_runs_are_recorded_in_history(window, qloop) -> None:
    use(window, "fault-ok")

    async def body() -> None:
        await window.start_services()
        window.prompt_edit.setPlainText("Keep me")
        window.intents.run()
        await next_emission(window.run_finished)

    qloop.run_until_complete(body())
    records = window.history.list()
    assert [r.prompt for r in records] == ["Keep me"]
    assert records[0].output == "Hello, world!"
    assert records[0].connection == "fault-ok"
    qloop.run_until_complete(window.shutdown())


def test_presets_apply_and_mark_changes(window) -> None:
    bar = window.presets
    index = bar.combo.findText("Creative", Qt.MatchFlag.MatchStartsWith)
    bar.combo.setCurrentIndex(index)
    bar.combo.activated.emit(index)
    expected = window.presets.selected().param_values()
    assert window.params.values() == expected
    assert not window.presets.revert_action.isEnabled()
    window.params.set_values({**expected, "top_k": 12})
    assert window.presets.revert_action.isEnabled()
    window.presets.revert()
    assert window.params.values() == expected


def test_history_panel_restores_a_run(window, qloop) -> None:
    use(window, "fault-ok")

    async def body() -> None:
        await window.start_services()
        window.prompt_edit.setPlainText("First prompt")
        window.params.set_values({"temperature": 0.4})
        window.intents.run()
        await next_emission(window.run_finished)

    qloop.run_until_complete(body())
    window.prompt_edit.setPlainText("something else")
    window.params.neutralize()
    window.history_action.trigger()
    panel = window.dialogs.get("history")
    assert panel.isVisible()
    record = window.history.list()[0]
    panel.restore_requested.emit(record)
    assert window.prompt_edit.toPlainText() == "First prompt"
    assert window.params.values() == {"temperature": 0.4}
    assert window.output.text() == "Hello, world!"
    qloop.run_until_complete(window.shutdown())


def test_the_sampler_order_is_dragged_into_place_and_reset_to_the_servers_own(
        qtbot, fault_server) -> None:
    ConnectionStore().add(Connection(name="llama", base_url=fault_server.url("ok"),
                                     dialect="llama.cpp"))
    win = MainWindow()
    qtbot.addWidget(win)
    row = win.params.rows["sampler_order"]
    view = row.list_editor.view
    shown = [view.item(i).text() for i in range(view.count())]
    assert shown == list(SAMPLER_STAGES) and row.value() is None
    row.expand.click()
    min_p = shown.index("min_p")
    assert view.model().moveRow(QModelIndex(), min_p, QModelIndex(), 0)  # what a drag does
    assert row.value()[:2] == ["min_p", "repetition_penalty"]
    assert win.intents.build_request().body()["sampler_order"][0] == "min_p"
    row.list_editor.reset_requested.emit()
    assert row.value() is None and view.item(0).text() == "repetition_penalty"
    use(win, "llama")  # unset, the list shows what llama.cpp does by itself
    assert [view.item(i).text() for i in range(4)] == [
        "repetition_penalty", "frequency_penalty", "presence_penalty", "dry"]
    assert view.item(10).text() == "temperature"
    win.params.set_values({"sampler_order": ["temperature", "min_p"]})
    assert win.intents.build_request().wire_body()["samplers"][:2] == ["temperature", "min_p"]


def test_applying_a_preset_says_where_its_order_is_not_followed(qtbot, fault_server) -> None:
    ConnectionStore().add(Connection(name="kobold", base_url=fault_server.url("ok"),
                                     dialect="koboldcpp"))
    win = MainWindow()
    qtbot.addWidget(win)
    ordered = Preset.create("ordered", {"temperature": 1.2, "sampler_order": ["temperature"]})
    win.front.apply_preset(ordered)
    assert win.status.currentMessage() == "Preset ordered applied"  # the local engine follows
    use(win, "kobold")
    win.front.apply_preset(ordered)
    assert "sampler order is not followed here: koboldcpp's ids; it always runs DRY first" in (
        win.status.currentMessage())
    win.front.apply_preset(Preset.create("plain", {"temperature": 1.2}))
    assert win.status.currentMessage() == "Preset plain applied"
