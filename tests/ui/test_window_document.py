"""The window works in a document: what is on screen is saved into it, the same document
opens at the next start, and no other document is ever written over."""

from __future__ import annotations

import pytest

from playground.core.documents import DocumentStore
from playground.core.draft import Draft, DraftStore
from playground.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def open_window(qtbot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    return win


def test_the_draft_becomes_the_document_the_window_keeps_and_reopens(qtbot) -> None:
    DraftStore().save(Draft(prompt="Once upon a time", params={"temperature": 0.8}))
    win = open_window(qtbot)
    assert win.windowTitle() == "Draft — NanoGPT Prompt Playground"
    assert win.prompt_edit.toPlainText() == "Once upon a time"
    win.prompt_edit.setPlainText("Once upon a time, in a castle")
    win.params.set_values({"temperature": 0.5, "top_k": 40})
    win.save_draft()
    with DocumentStore() as store:
        [summary] = store.list()
        saved = store.get(summary.id)
    assert (saved.name, saved.prompt) == ("Draft", "Once upon a time, in a castle")
    assert saved.params == {"temperature": 0.5, "top_k": 40}
    win.close()

    again = open_window(qtbot)
    assert again.document is not None and again.document.id == saved.id
    assert again.prompt_edit.toPlainText() == "Once upon a time, in a castle"


def test_an_existing_document_is_never_written_over_by_the_draft(qtbot) -> None:
    with DocumentStore() as store:
        story = store.create("Story", prompt="A story kept by the command line")
    DraftStore().save(Draft(prompt="What the window had"))
    win = open_window(qtbot)
    win.prompt_edit.setPlainText("What the window has now")
    win.save_draft()
    with DocumentStore() as store:
        assert store.get(story.id).prompt == "A story kept by the command line"
        assert win.document is not None and win.document.id != story.id
        assert store.get(win.document.id).prompt == "What the window has now"
    assert win.windowTitle() == f"{win.document.name} — NanoGPT Prompt Playground"
