"""Notebook mode in the window: one editor for prompt and completion, completions written at the
cursor and tinted, Regenerate keeping versions that history links as siblings, the text after
the cursor kept (and sent as the suffix only where the server fills in the middle), and the
mode kept per document."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.core.connections import Connection, ConnectionStore
from playground.core.documents import DocumentStore
from playground.ui.history_panel import compare_label
from playground.ui.main_window import MainWindow
from tests.gui import fault_window, next_emission, use

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fault_server):
    ConnectionStore().add(Connection(name="fault-ollama", base_url=fault_server.url("ok"),
                                     dialect="ollama"))
    win = fault_window(qtbot, fault_server, ("ok", "stall"))
    win.activateWindow()
    return win


def key(sequence: str) -> None:
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(QApplication.focusWidget(), combo.key(), combo.keyboardModifiers())


def tinted(window: MainWindow) -> list[str]:
    return [s.cursor.selectedText() for s in window.view.notebook.extraSelections()]


def into_notebook(window: MainWindow, text: str) -> None:
    window.prompt_edit.setPlainText(text)
    window.prompt_edit.setFocus()
    key("Ctrl+Shift+B")
    assert window.view.mode == "notebook" and window.notebook_action.isChecked()
    assert QApplication.focusWidget() is window.view.notebook


async def say_hello(window: MainWindow) -> None:
    """Write "Say hello" in notebook mode on the fault server's ok scenario and run it."""
    await window.start_services()
    use(window, "fault-ok")
    into_notebook(window, "Say hello")
    window.intents.run()
    await next_emission(window.run_finished)


def test_switching_modes_keeps_the_text_and_the_mode_is_kept_per_document(qtbot,
                                                                          window) -> None:
    window.prompt_edit.setPlainText("Once upon a time")
    window.output.setPlainText(", a fish.")
    window.prompt_edit.setFocus()
    key("Ctrl+Shift+B")
    assert window.prompt_edit is window.view.notebook
    assert window.prompt_edit.toPlainText() == "Once upon a time, a fish."
    window.new_tab()
    assert window.view.mode == "two-pane" and not window.notebook_action.isChecked()
    window.tabs.setCurrentIndex(0)
    assert window.notebook_action.isChecked()
    window.close()
    with DocumentStore() as store:
        modes = {row.name: row.mode for row in store.list()}
    assert modes == {"Untitled": "notebook", "Untitled (2)": "two-pane"}

    again = MainWindow()
    qtbot.addWidget(again)
    again.tabs.setCurrentIndex(0)
    assert again.view.mode == "notebook"
    assert again.prompt_edit.toPlainText() == "Once upon a time, a fish."
    again.intents.toggle_notebook()
    assert again.view.prompt_edit.toPlainText() == "Once upon a time, a fish."
    assert again.output.text() == ""


def test_a_completion_streams_in_at_the_end_tinted_and_one_ctrl_z_removes_it(window,
                                                                           qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ok")
        into_notebook(window, "Say hello")
        key("Ctrl+Return")
        await next_emission(window.run_finished)
        return window.history.list()

    try:
        [record] = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert window.prompt_edit.toPlainText() == "Say helloHello, world!"
    assert tinted(window) == ["Hello, world!"]
    assert window.counts.text().startswith("22 characters")  # the notebook's whole text
    assert record.prompt == "Say hello" and record.output == "Hello, world!"
    key("Ctrl+Z")
    assert window.prompt_edit.toPlainText() == "Say hello"


def test_regenerate_keeps_versions_that_history_links_as_siblings(window, qloop) -> None:
    async def body() -> None:
        await say_hello(window)
        key("Ctrl+R")
        assert "cursor" not in window.status.currentMessage()  # the old version is not kept
        await next_emission(window.run_finished)
        return window.history.list()

    try:
        second, first = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    notebook = window.view.notebook
    assert notebook.toPlainText() == "Say helloHello, world!"  # replaced, not appended
    assert notebook.last_span().swipes == ["Hello, world!", "Hello, world!"]
    assert notebook.arrows.label.text() == "2/2"
    assert second.prompt == first.prompt == "Say hello"
    assert first.group is not None and second.group == first.group
    assert compare_label(first) == "versions"  # not taken for a comparison
    key("Alt+Left")
    assert notebook.arrows.label.text() == "1/2"
    key("Alt+Right")
    assert notebook.arrows.label.text() == "2/2"


def test_completions_and_their_versions_come_back_at_the_next_start(qtbot, window,
                                                                    qloop) -> None:
    async def body() -> None:
        await say_hello(window)
        window.intents.regenerate()
        await next_emission(window.run_finished)
        window.prompt_edit.moveCursor(QTextCursor.MoveOperation.End)
        QTest.keyClicks(window.prompt_edit, " Then")  # typed after it: the tint stays

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    notebook = again.view.notebook
    assert notebook.toPlainText() == "Say helloHello, world! Then"
    assert [s.cursor.selectedText() for s in notebook.extraSelections()] == ["Hello, world!"]
    assert notebook.last_span().swipes == ["Hello, world!", "Hello, world!"]
    assert notebook.arrows.isVisible() and notebook.arrows.label.text() == "2/2"


def test_text_after_the_cursor_stays_and_is_not_sent_where_the_server_has_no_fim(
        window, qloop, fault_server) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ok")
        into_notebook(window, "Dear Sir,\n\nYours faithfully")
        cursor = window.prompt_edit.textCursor()
        cursor.setPosition(len("Dear Sir,\n\n"))
        window.prompt_edit.setTextCursor(cursor)
        key("Ctrl+Return")
        assert "Only the text before the cursor was sent" in window.status.currentMessage()
        await next_emission(window.run_finished)
        return window.history.list()

    try:
        [record] = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert window.prompt_edit.toPlainText() == "Dear Sir,\n\nHello, world!Yours faithfully"
    assert record.prompt == "Dear Sir,\n\n"
    sent = fault_server.requests[-1].json()
    assert sent["prompt"] == "Dear Sir,\n\n" and "suffix" not in sent


def test_the_text_after_the_cursor_goes_as_the_suffix_where_the_server_fills_in(
        window, qloop, fault_server) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-ollama")
        into_notebook(window, "def add(a, b):\n    \n")
        window.prompt_edit.moveCursor(QTextCursor.MoveOperation.Start)
        window.prompt_edit.moveCursor(QTextCursor.MoveOperation.Down)
        window.prompt_edit.moveCursor(QTextCursor.MoveOperation.EndOfLine)
        window.intents.run()
        await next_emission(window.run_finished)

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    sent = fault_server.requests[-1].json()
    assert (sent["prompt"], sent["suffix"]) == ("def add(a, b):\n    ", "\n")


def test_the_notebook_is_read_only_while_it_streams_and_esc_stops(window, qloop) -> None:
    async def body() -> None:
        await window.start_services()
        use(window, "fault-stall")
        into_notebook(window, "Stall here: ")
        window.intents.run()
        await next_emission(window.worker.text)
        notebook = window.view.notebook
        assert notebook.isReadOnly()
        QTest.keyClicks(notebook, "typed")
        assert notebook.toPlainText() == "Stall here: Hel"
        window.intents.toggle_notebook()  # refused while streaming
        assert window.view.mode == "notebook"
        key("Esc")
        await next_emission(window.run_finished)
        assert not notebook.isReadOnly()
        assert tinted(window) == ["Hel"]

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())


@pytest.fixture
def local(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    return win


def test_a_notebook_completion_shows_its_token_probabilities_and_branches_from_one(
        local, qloop, qtbot) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QMenu, QToolTip

    win = local

    async def first_run() -> None:
        await win.start_services()
        into_notebook(win, "import os\n")
        win.params.set_values({"logprobs": 3, "max_tokens": 6, "seed": 3})
        assert win.intents.run()
        await next_emission(win.run_finished, timeout=60)

    qloop.run_until_complete(first_run())
    notebook = win.view.notebook
    span = notebook.last_span()
    tokens = span.tokens[0]
    written = span.text()
    assert tokens and "".join(written[t.start:t.end] for t in tokens) == written
    # A real mouse over the first token, no button held: its probability.
    first = tokens[0]
    cursor = QTextCursor(notebook.document())
    cursor.setPosition(span.start + first.start)
    where = notebook.cursorRect(cursor).center() + QPoint(2, 0)
    QToolTip.hideText()
    qtbot.mouseRelease(notebook.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 600))
    qtbot.mouseMove(notebook.viewport(), where)
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert f"{first.probability:.1%}" in QToolTip.text()
    QToolTip.hideText()
    # A click on a token with alternatives offers them.
    branchable = next(t for t in tokens if t.alternatives)
    cursor.setPosition(span.start + branchable.start)
    clicked = []
    notebook.token_clicked.connect(lambda *args: clicked.append(args))
    qtbot.mouseClick(notebook.viewport(), Qt.MouseButton.LeftButton,
                     pos=notebook.cursorRect(cursor).center() + QPoint(2, 0))
    assert [(s, t) for s, t, _where in clicked] == [(span, branchable)]
    alternative = next(text for text, _ in branchable.alternatives
                       if text != written[branchable.start:branchable.end])
    lead = written[:branchable.start] + alternative
    menu = win.view.findChild(QMenu, "alternatives")  # what the click offered
    [choice] = [a for a in menu.actions() if a.text().startswith(repr(alternative) + " ")]

    async def branch() -> None:
        finished = asyncio.ensure_future(next_emission(win.run_finished, timeout=60))
        choice.trigger()  # as the person picks it
        await finished
        return win.history.list()

    try:
        second, first_record = qloop.run_until_complete(branch())
    finally:
        qloop.run_until_complete(win.shutdown())
    assert span.swipes[0] == written and span.swipes[1].startswith(lead)
    assert notebook.toPlainText() == "import os\n" + span.swipes[1]
    assert second.prompt == "import os\n" + lead and second.parent == first_record.id
    assert second.group == first_record.group
