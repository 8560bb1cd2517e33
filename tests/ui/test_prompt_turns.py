"""The Template box and the Prompt menu: turns written in the model's format at the cursor, in
either mode, with the template's stop strings in the request, per document."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.core.documents import DocumentStore
from playground.ui.main_window import MainWindow
from playground.ui.widgets import plain_text
from tests.gui import fault_window, next_emission, use, use_listed

pytestmark = pytest.mark.gui

SYSTEM = "<|start_header_id|>system<|end_header_id|>\n\n"
USER = "<|start_header_id|>user<|end_header_id|>\n\n"
ASSISTANT = "<|start_header_id|>assistant<|end_header_id|>\n\n"
EOT = "<|eot_id|>"


@pytest.fixture
def window(qtbot, fault_server):
    win = fault_window(qtbot, fault_server, ("ok",))
    win.activateWindow()
    win.prompt_edit.setFocus()
    return win


def key(sequence: str) -> None:
    """Press `sequence` as a person would, into the focused widget."""
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(QApplication.focusWidget(), combo.key(), combo.keyboardModifiers())


def choose(window: MainWindow, name: str | None) -> None:
    box = window.turns.box
    box.setCurrentIndex(box.findData(name) if name else 0)


def test_turns_are_written_at_the_cursor_and_the_request_carries_them_exactly(
        window, qloop, fault_server) -> None:
    choose(window, "Llama 3")
    assert window.params.values()["stop"] == [EOT]  # visibly set, in the side panel
    assert window.params.rows["stop"].property("state") == "set"
    key("Ctrl+Alt+S")
    QTest.keyClicks(window.prompt_edit, "Be brief.")
    cursor = window.prompt_edit.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    window.prompt_edit.setTextCursor(cursor)
    key("Ctrl+Alt+U")
    QTest.keyClicks(window.prompt_edit, "  Name a colour. ")
    key("Ctrl+Alt+Return")
    expected = (f"{SYSTEM}Be brief.{EOT}{USER}  Name a colour. {EOT}{ASSISTANT}")
    assert window.prompt_edit.toPlainText() == expected
    assert window.intents.build_request().prompt == expected  # what the preview shows

    async def body():
        await window.start_services()
        use(window, "fault-ok")
        window.intents.run()
        await next_emission(window.run_finished)
        return window.history.list()[0]

    try:
        record = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    sent = fault_server.requests[-1].json()
    assert sent["prompt"] == expected and sent["stop"] == [EOT]
    assert record.prompt == expected and record.request["stop"] == [EOT]


def test_wrapping_keeps_the_selection_and_a_second_start_adds_nothing(window) -> None:
    choose(window, "ChatML")
    window.params.set_value("stop", ["\n\nEND"])
    choose(window, "Llama 3")  # its stop joins the user's own, which stays first
    assert window.params.values()["stop"] == ["\n\nEND", EOT]
    choose(window, "ChatML")
    assert window.params.values()["stop"] == ["\n\nEND", EOT, "<|im_end|>"]
    window.prompt_edit.setPlainText("Intro\nWhat is 2+2?\n")
    cursor = window.prompt_edit.textCursor()
    cursor.setPosition(len("Intro\n"))
    cursor.setPosition(len("Intro\nWhat is 2+2?\n"), QTextCursor.MoveMode.KeepAnchor)
    window.prompt_edit.setTextCursor(cursor)
    key("Ctrl+Alt+W")
    window.turns.start_assistant()
    window.turns.start_assistant()
    assert window.prompt_edit.toPlainText() == (
        "Intro\n<|im_start|>user\nWhat is 2+2?\n<|im_end|>\n<|im_start|>assistant\n")


def test_each_document_keeps_its_template(window) -> None:
    first = window.document
    choose(window, "Gemma")
    window.new_tab()
    assert window.turns.box.chosen() is None and window.view.template is None
    choose(window, "Phi-3")
    window.tabs.setCurrentIndex(0)
    assert window.turns.box.chosen() == "Gemma"
    window.save_draft()
    with DocumentStore() as store:
        assert store.get(first.id).template == "Gemma"
        assert store.get(window.tabs.view(1).document.id).template == "Phi-3"


def test_the_models_template_is_suggested_and_used_when_none_was_chosen(window) -> None:
    use(window, "fault-ok", "meta-llama/llama-3.3-70b-instruct")
    box = window.turns.box
    assert box.itemText(box.findData("Llama 3")) == "Llama 3 (suggested)"
    assert "The Llama 3 template suits" in window.status.currentMessage()
    assert box.chosen() is None  # suggested, not imposed
    window.turns.insert_user()
    assert box.chosen() == "Llama 3" and window.view.template == "Llama 3"
    assert window.prompt_edit.toPlainText() == USER + EOT
    assert window.prompt_edit.textCursor().position() == len(USER)  # where the text goes
    use(window, "fault-ok", "my-own-model")
    choose(window, "Alpaca")
    window.turns.set_model_default()
    use(window, "fault-ok", "other")
    use(window, "fault-ok", "my-own-model")
    assert box.itemText(box.findData("Alpaca")) == "Alpaca (suggested)"


def test_without_a_template_nothing_is_written_and_the_box_is_named(window) -> None:
    use(window, "fault-ok", "unknown-model")
    window.prompt_edit.setPlainText("x")
    window.turns.insert_user()
    assert window.prompt_edit.toPlainText() == "x"
    assert "Choose an instruct template first" in window.status.currentMessage()


def test_turns_go_into_the_notebook_in_notebook_mode(window) -> None:
    choose(window, "ChatML")
    window.prompt_edit.setPlainText("Start.")
    key("Ctrl+Shift+B")
    notebook = window.view.notebook
    assert QApplication.focusWidget() is notebook
    notebook.moveCursor(QTextCursor.MoveOperation.End)
    key("Ctrl+Alt+U")
    assert notebook.toPlainText() == "Start.<|im_start|>user\n<|im_end|>\n"


def test_a_sillytavern_template_is_imported_reported_and_chosen(window, tmp_path: Path) -> None:
    path = tmp_path / "Pipe.json"
    path.write_text(json.dumps({"input_sequence": "|U|", "output_sequence": "|A|",
                                "system_sequence": "|S|", "stop_sequence": "|U|",
                                "wrap": False, "last_output_sequence": "|A*|"}),
                    encoding="utf-8")
    template = window.turns.import_file(str(path))
    assert template is not None and window.turns.box.chosen() == "Pipe"
    assert window.params.values()["stop"] == ["|U|"]
    report = [w for w in QApplication.topLevelWidgets()
              if w.isVisible() and w.windowTitle() == "Template imported"]
    assert report and "Left out: last_output_sequence" in report[0].text()
    report[0].close()
    again = window.turns.import_file(str(path))  # the name is taken now
    assert again is None
    refused = [w for w in QApplication.topLevelWidgets()
               if w.isVisible() and w.windowTitle() == "Template not imported"]
    assert refused and "a template named 'Pipe' already exists" in refused[0].text()
    refused[0].close()


def test_a_connections_own_model_gets_its_suggestion_without_typing_one(
        qtbot, fault_server) -> None:
    from playground.core.connections import Connection, ConnectionStore

    ConnectionStore().add(Connection(name="fault-gemma", base_url=fault_server.url("ok"),
                                     default_model="google/gemma-3-4b-it"))
    window = fault_window(qtbot, fault_server, ("ok",))
    window.connection_box.setCurrentIndex(window.connection_box.findData("fault-gemma"))
    assert window.model_text() == ""  # the connection's own model
    box = window.turns.box
    assert box.itemText(box.findData("Gemma")) == "Gemma (suggested)"


def test_the_models_own_chat_template_is_offered_and_writes_its_turns(
        window, qloop) -> None:
    try:  # a/model's list entry carries its chat template
        qloop.run_until_complete(use_listed(window, "fault-ok", "a/model"))
        box = window.turns.box
        index = box.findData("Model's own template")
        assert index > 0 and "exactly" in box.itemData(index, Qt.ItemDataRole.ToolTipRole)
        box.setCurrentIndex(index)
        assert window.params.values()["stop"] == ["<|end|>"]
        window.prompt_edit.setFocus()
        key("Ctrl+Alt+S")
        QTest.keyClicks(window.prompt_edit, "Be brief.")
        window.prompt_edit.moveCursor(QTextCursor.MoveOperation.End)
        key("Ctrl+Alt+U")
        QTest.keyClicks(window.prompt_edit, "Hi")
        key("Ctrl+Alt+Return")
        assert window.prompt_edit.toPlainText() == (
            "<|start|>system\nBe brief.<|end|>\n<|start|>user\nHi<|end|>\n"
            "<|start|>assistant\n")
    finally:
        qloop.run_until_complete(window.shutdown())


def test_a_selection_is_kept_by_an_insert_and_wrapped_with_its_own_characters(
        window) -> None:
    choose(window, "ChatML")
    window.prompt_edit.setPlainText("a\u00a0b")  # a no-break space
    cursor = window.prompt_edit.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(3, QTextCursor.MoveMode.KeepAnchor)
    window.prompt_edit.setTextCursor(cursor)
    window.turns.wrap_user()
    wrapped = "<|im_start|>user\na\u00a0b<|im_end|>\n"
    assert plain_text(window.prompt_edit) == wrapped
    assert window.intents.build_request().prompt == wrapped  # sent with its no-break space
    window.prompt_edit.setPlainText("keep me")
    cursor = window.prompt_edit.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(4, QTextCursor.MoveMode.KeepAnchor)
    window.prompt_edit.setTextCursor(cursor)
    window.turns.insert_user()  # at the cursor (the selection's end); nothing replaced
    assert plain_text(window.prompt_edit) == "keep<|im_start|>user\n<|im_end|>\n me"


def test_the_box_shows_the_documents_template_even_when_it_is_not_offered(window) -> None:
    window.turns.show_template("Deleted One")
    window.view.template = "Deleted One"
    box = window.turns.box
    assert box.currentText() == "Deleted One (not available)"
    window.turns.reload()  # a model change refills the box: the document's choice stays
    assert box.chosen() == "Deleted One"
    choose(window, None)
    assert window.view.template is None


def test_the_models_own_template_cannot_be_made_a_default(window) -> None:
    window.view.template = "Model's own template"
    use(window, "fault-ok", "some/model")
    window.turns.set_model_default()
    assert "needs no default" in window.status.currentMessage()


def test_a_llama_cpp_server_s_own_template_comes_from_its_props(qtbot, qloop,
                                                                fault_server) -> None:
    from playground.core.connections import Connection, ConnectionStore

    ConnectionStore().add(Connection(name="llama", base_url=fault_server.url("llamacpp"),
                                     dialect="llama.cpp"))
    window = fault_window(qtbot, fault_server, ())

    async def until_offered() -> None:
        await window.start_services()
        use(window, "llama", "qwen")
        while window.turns.box.findData("Model's own template") < 0:
            await asyncio.sleep(0.02)

    try:
        qloop.run_until_complete(asyncio.wait_for(until_offered(), 30))
        assert window.turns.own is not None and window.turns.own.exact
        assert window.turns.own.template.stop == ("<|end|>", "</s>")
        use(window, "local", "local/stdlib")  # no template of its own
        assert window.turns.box.findData("Model's own template") < 0  # not another server's
    finally:
        qloop.run_until_complete(window.shutdown())
