"""Tabs: a document each, with its own prompt, settings, output, undo and runs; new, clone,
close, reopen, rename, reorder and switch by their keys; the open tabs come back at the next
start."""

from __future__ import annotations

import asyncio
import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.core.documents import DocumentStore
from playground.ui.document_tabs import STREAMING_MARK
from playground.ui.main_window import MainWindow
from tests.gui import fault_window, next_emission, use

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fault_server):
    win = fault_window(qtbot, fault_server, ("ok", "stall"))
    win.activateWindow()
    win.prompt_edit.setFocus()
    return win


def key(window: MainWindow, sequence: str) -> None:
    """Press `sequence` as a person would: into the focused widget (the prompt)."""
    from PySide6.QtGui import QKeySequence

    combo = QKeySequence(sequence)[0]
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())


def titles(window: MainWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def stored(doc_id: int):
    with DocumentStore() as store:
        return store.get(doc_id)


def test_each_tab_keeps_its_own_prompt_and_settings(window) -> None:
    window.prompt_edit.setPlainText("A story about a fish")
    window.params.set_values({"temperature": 0.3, "top_k": 40})
    first = window.document
    key(window, "Ctrl+T")
    assert window.tabs.count() == 2
    assert window.document.id != first.id
    assert (first.name, window.document.name) == ("Untitled", "Untitled (2)")
    assert window.prompt_edit.toPlainText() == ""
    assert window.windowTitle() == "Untitled (2) — NanoGPT Prompt Playground"
    # A new tab starts from no sampler settings, on the same connection.
    assert window.params.values() == {}
    window.prompt_edit.setPlainText("def fib(n):")
    window.params.set_values({"temperature": 1.2})
    key(window, "Ctrl+PgUp")
    assert window.document.id == first.id
    assert window.prompt_edit.toPlainText() == "A story about a fish"
    assert window.params.values() == {"temperature": 0.3, "top_k": 40}
    key(window, "Ctrl+Tab")
    assert window.prompt_edit.toPlainText() == "def fib(n):"
    assert window.params.values() == {"temperature": 1.2}
    key(window, "Ctrl+PgDown")  # round the end, back to the first
    assert window.document.id == first.id
    window.save_draft()
    second = window.tabs.view(1).document
    assert stored(first.id).params == {"temperature": 0.3, "top_k": 40}
    assert (stored(second.id).prompt, stored(second.id).params) == ("def fib(n):",
                                                                    {"temperature": 1.2})


def test_a_model_switch_in_one_tab_leaves_the_other_s(window) -> None:
    use(window, "fault-ok", "model-a")
    key(window, "Ctrl+T")
    assert window.connection_box.currentData() == "fault-ok"
    use(window, "fault-stall", "model-b")
    window.tabs.setCurrentIndex(0)
    assert window.connection_box.currentData() == "fault-ok"
    assert window.model_picker.model_text() == "model-a"
    window.tabs.setCurrentIndex(1)
    assert (window.connection_box.currentData(), window.model_picker.model_text()) == (
        "fault-stall", "model-b")


def test_clone_close_and_reopen(window) -> None:
    window.prompt_edit.setPlainText("Dear diary,")
    window.params.set_values({"min_p": 0.05})
    original = window.document
    window.session.clone()
    assert window.document.name == f"{original.name} (copy)"
    assert window.prompt_edit.toPlainText() == "Dear diary,"
    assert window.params.values() == {"min_p": 0.05}
    window.prompt_edit.setPlainText("Dear diary, today")
    copy = window.document
    key(window, "Ctrl+W")
    assert titles(window) == [original.name]
    assert stored(copy.id).prompt == "Dear diary, today"  # closing keeps the document
    key(window, "Ctrl+Shift+T")
    assert titles(window) == [original.name, copy.name]
    assert window.prompt_edit.toPlainText() == "Dear diary, today"
    window.session.reopen()  # nothing left to reopen: said, nothing opened
    assert window.tabs.count() == 2
    assert window.status.currentMessage() == "No closed tab to reopen"


def test_closing_the_last_tab_leaves_a_new_empty_one(window) -> None:
    window.prompt_edit.setPlainText("kept")
    kept = window.document
    window.session.close()
    assert window.tabs.count() == 1
    assert window.document.id != kept.id and window.prompt_edit.toPlainText() == ""
    assert stored(kept.id).prompt == "kept"


def test_rename_by_double_click_and_a_taken_name_is_refused(window, qtbot) -> None:
    window.new_tab()
    bar = window.tabs.tabBar()
    QTest.mouseDClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      bar.tabRect(1).center())
    editor = window.tabs._editor
    assert editor is not None
    assert editor.text() == "Untitled (2)"
    QTest.keyClicks(editor, "  Haiku lab  ")  # spaces around a name go; inside they stay
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert titles(window)[1] == "Haiku lab"
    assert stored(window.document.id).name == "Haiku lab"
    assert window.windowTitle() == "Haiku lab — NanoGPT Prompt Playground"
    # The first tab cannot take the name.
    window.tabs.setCurrentIndex(0)
    before = window.document.name
    QTest.keyClick(window.prompt_edit, Qt.Key.Key_F2)
    editor = window.tabs._editor
    editor.setText("haiku LAB")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert titles(window)[0] == before
    assert "exists already" in window.status.currentMessage()
    # Escape leaves the name as it was.
    window.tabs.start_rename()
    window.tabs._editor.setText("Other")
    QTest.keyClick(window.tabs._editor, Qt.Key.Key_Escape)
    assert titles(window)[0] == before


def test_the_open_tabs_their_order_and_the_one_in_front_come_back(qtbot, window) -> None:
    window.prompt_edit.setPlainText("one")
    window.new_tab()
    window.prompt_edit.setPlainText("two")
    window.new_tab()
    window.prompt_edit.setPlainText("three")
    window.tabs.tabBar().moveTab(2, 0)  # dragged to the front
    window.tabs.setCurrentIndex(2)
    order = [view.prompt_edit.toPlainText() for view in window.tabs.views()]
    assert order == ["three", "one", "two"]
    window.close()

    again = MainWindow()
    qtbot.addWidget(again)
    assert [v.prompt_edit.toPlainText() for v in again.tabs.views()] == order
    assert again.tabs.currentIndex() == 2
    assert again.prompt_edit.toPlainText() == "two"


def test_runs_in_two_tabs_stream_at_once_each_into_its_own_output(window, qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-stall")
        window.prompt_edit.setPlainText("Stalling prompt")
        stalled = window.view
        assert window.intents.run()
        await next_emission(window.worker.text)
        assert window.tabs.tabText(0).startswith(STREAMING_MARK)
        window.new_tab()
        use(window, "fault-ok")
        window.prompt_edit.setPlainText("Quick prompt")
        assert window.run_button.isEnabled()  # this tab runs nothing yet
        assert window.intents.run()
        result = await next_emission(window.run_finished)
        assert result.text == "Hello, world!"
        assert window.output.text() == "Hello, world!"
        assert stalled.output.text() == "Hel" and stalled.streaming
        assert window.tabs.tabText(0).startswith(STREAMING_MARK)
        assert not window.tabs.tabText(1).startswith(STREAMING_MARK)
        window.tabs.setCurrentWidget(stalled)
        assert window.stop_button.isEnabled() and not window.run_button.isEnabled()
        assert window.figures.text() == "Running…"
        window.intents.stop()
        await next_emission(window.run_finished)
        return window.history.list()

    try:
        stalled, quick = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert (quick.prompt, quick.output) == ("Quick prompt", "Hello, world!")
    assert (stalled.prompt, stalled.output, stalled.cancelled) == ("Stalling prompt", "Hel",
                                                                   True)


def test_closing_a_streaming_tab_stops_its_run_and_keeps_the_text_in_history(window,
                                                                             qloop) -> None:
    async def body() -> None:
        await window.start_services()
        window.new_tab()
        use(window, "fault-stall")
        window.prompt_edit.setPlainText("Closed while streaming")
        assert window.intents.run()
        await next_emission(window.worker.text)
        finished = asyncio.ensure_future(next_emission(window.run_finished))
        key(window, "Ctrl+W")
        assert window.tabs.count() == 1
        await finished
        return window.history.list()

    try:
        [record] = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert (record.prompt, record.output, record.cancelled) == ("Closed while streaming",
                                                                "Hel", True)


def test_undo_last_run_undoes_the_last_run_of_the_tab_in_front(window, qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ok")
        window.prompt_edit.setPlainText("First tab")
        window.intents.run()
        await next_emission(window.run_finished)
        window.new_tab()
        assert not window.undo_action.isEnabled()  # nothing ran in this tab
        use(window, "fault-ok")
        window.prompt_edit.setPlainText("Second tab")
        window.intents.run()
        await next_emission(window.run_finished)
        window.tabs.setCurrentIndex(0)
        assert window.undo_action.isEnabled()
        window.intents.undo_run()
        assert window.output.text() == ""
        assert window.tabs.view(1).output.text() == "Hello, world!"
        assert not window.undo_action.isEnabled()

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())


def test_the_tab_bar_s_plus_and_double_click_on_its_empty_part_open_new_tabs(window) -> None:
    plus = window.tabs.cornerWidget(Qt.Corner.TopRightCorner)
    QTest.mouseClick(plus, Qt.MouseButton.LeftButton)
    assert window.tabs.count() == 2
    bar = window.tabs.tabBar()
    empty = QPoint(bar.tabRect(1).right() + 40, bar.tabRect(1).center().y())
    QTest.mouseDClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty)
    assert window.tabs.count() == 3


def test_every_tab_keeps_the_text_font_when_added_and_shown_again(window, qapp) -> None:
    from PySide6.QtGui import QFont

    from playground.ui.theme import apply_appearance

    apply_appearance(qapp)  # the app's style sheet, under which Qt used to drop the font
    font = QFont(window.prompt_edit.font())
    font.setPointSize(17)
    window.set_text_font(font)
    window.new_tab()
    window.tabs.setCurrentIndex(0)
    QApplication.processEvents()
    for view in window.tabs.views():
        assert view.prompt_edit.font().pointSize() == 17
        assert view.output.font().pointSize() == 17
        assert view.output.fontMetrics().height() == window.prompt_edit.fontMetrics().height()


def test_open_lists_by_last_use_searches_text_and_opens_in_a_tab(window) -> None:
    with DocumentStore() as store:
        store.create("Recipes", prompt="How to bake sourdough bread")
        store.create("Poems", prompt="Roses are red")
    window.dialogs.open_documents()
    dialog = window.dialogs.get("documents")
    # The tab in front was used last (it is saved on opening the list).
    assert [row.name for row in dialog.model.rows] == ["Untitled", "Poems", "Recipes"]
    assert dialog.count_label.text() == "3 documents"
    QTest.keyClicks(dialog.search, "sourdough")
    assert [row.name for row in dialog.model.rows] == ["Recipes"]
    assert dialog.count_label.text() == "1 document matches"
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert window.document.name == "Recipes"
    assert window.prompt_edit.toPlainText() == "How to bake sourdough bread"
    assert titles(window) == ["Untitled", "Recipes"]
    # An open document is brought forward, not opened twice.
    window.tabs.setCurrentIndex(0)
    window.dialogs.open_documents()
    assert dialog.search.selectedText() == "sourdough"  # typing replaces the last search
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    assert titles(window) == ["Untitled", "Recipes"] and window.document.name == "Recipes"


def test_open_deletes_after_asking_and_closes_the_tab(window, qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    window.new_tab()
    window.prompt_edit.setPlainText("to be deleted")
    doomed = window.document
    window.dialogs.open_documents()
    dialog = window.dialogs.get("documents")
    QTest.keyClicks(dialog.search, "deleted")
    QTest.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    box = dialog.findChild(QMessageBox, "deleteDocuments")
    assert box is not None and "Untitled (2)" in box.text()
    QTest.keyClick(box, Qt.Key.Key_Escape)  # Cancel: nothing deleted
    assert stored(doomed.id).prompt == "to be deleted"
    QTest.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    box = dialog.findChild(QMessageBox, "deleteDocuments")
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    QTest.mouseClick(delete, Qt.MouseButton.LeftButton)
    with DocumentStore() as store:
        assert [row.name for row in store.list()] == ["Untitled"]
    assert titles(window) == ["Untitled"]
    assert dialog.count_label.text() == "Deleted 1 document"
    window.session.reopen()  # a deleted document's tab does not come back
    assert titles(window) == ["Untitled"]


def test_open_exports_the_selected_documents_as_json_import_reads(window, tmp_path) -> None:
    window.prompt_edit.setPlainText("exported text\twith a tab ")
    window.params.set_values({"temperature": 0.4})
    window.dialogs.open_documents()
    dialog = window.dialogs.get("documents")
    dialog.export_to(dialog.selected_ids(), tmp_path / "out.json")
    assert dialog.count_label.text() == "Exported 1 document to out.json"
    with DocumentStore(tmp_path / "other.sqlite3") as other:
        report = other.import_json((tmp_path / "out.json").read_text())
        [document] = report.imported
    assert (document.prompt, document.params) == ("exported text\twith a tab ",
                                                  {"temperature": 0.4})


def test_open_says_when_a_search_matches_more_than_it_lists(window) -> None:
    from playground.ui.open_dialog import MAX_LISTED

    with DocumentStore() as store:
        store.import_json(json.dumps({"version": 1, "documents": [
            {"name": f"Note {n}", "prompt": "a shared word" + (", unicorn" if n == 17 else "")}
            for n in range(MAX_LISTED + 1)]}))
    window.dialogs.open_documents()
    dialog = window.dialogs.get("documents")
    assert dialog.count_label.text() == (f"{MAX_LISTED + 2:,} documents · the "
                                         f"{MAX_LISTED:,} used last are listed")
    QTest.keyClicks(dialog.search, "shared")
    assert len(dialog.model.rows) == MAX_LISTED
    assert dialog.count_label.text().startswith(f"More than {MAX_LISTED:,} documents match")
    QTest.keyClicks(dialog.search, " unicorn")
    assert [row.name for row in dialog.model.rows] == ["Note 17"]
    assert dialog.count_label.text() == "1 document matches"


def test_extra_fields_are_checked_sent_and_kept_with_each_tab(window) -> None:
    extra = window.side.extra
    window.prompt_edit.setPlainText("Once")
    extra.text.setPlainText('{\n  "mirostat_ent": 2\n  "typo": 1\n}')
    assert extra.error.isVisibleTo(extra) and "line 3, column 3" in extra.error.text()
    assert not window.intents.run()  # refused, saying why
    assert "extra_fields: not valid JSON" in window.view.error_label.text()
    extra.text.setPlainText('{"mirostat_ent": 2, "note": " kept "}')
    assert not extra.error.isVisibleTo(extra)
    request = window.intents.build_request()
    assert request.wire_body()["note"] == " kept " and request.extra == {
        "mirostat_ent": 2, "note": " kept "}
    assert window.side.screen_preset().extra == {"mirostat_ent": 2, "note": " kept "}
    first = window.document
    key(window, "Ctrl+T")
    assert extra.text.toPlainText() == ""  # a new tab starts without
    key(window, "Ctrl+PgUp")
    assert json.loads(extra.text.toPlainText()) == {"mirostat_ent": 2, "note": " kept "}
    window.save_draft()
    assert stored(first.id).extra == {"mirostat_ent": 2, "note": " kept "}
