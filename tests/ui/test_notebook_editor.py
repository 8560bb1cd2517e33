"""The notebook editor: a completion streams in tinted, is one undo step, keeps its earlier
versions as swipes, and becomes the person's text (untinted) once they edit it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest

from playground.ui.notebook_editor import NotebookEditor

pytestmark = pytest.mark.gui


@pytest.fixture
def editor(qtbot) -> NotebookEditor:
    widget = NotebookEditor()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    widget.show()
    widget.setPlainText("Once upon a time")
    widget.moveCursor(QTextCursor.MoveOperation.End)
    return widget


def stream(editor: NotebookEditor, *chunks: str, at: int | None = None, replace=None) -> None:
    editor.begin(editor.insertion_point() if at is None else at, replace=replace)
    for chunk in chunks:
        editor.append(chunk)
    editor.finish()


def tinted(editor: NotebookEditor) -> list[str]:
    return [s.cursor.selectedText() for s in editor.extraSelections()]


def test_a_completion_streams_in_tinted_and_one_undo_takes_it_away(editor) -> None:
    editor.begin(editor.insertion_point())
    assert editor.isReadOnly()
    for chunk in (", there", " was", " a fish."):
        editor.append(chunk)
    editor.finish()
    assert not editor.isReadOnly()
    assert editor.toPlainText() == "Once upon a time, there was a fish."
    assert tinted(editor) == [", there was a fish."]
    editor.undo()
    assert editor.toPlainText() == "Once upon a time"
    assert tinted(editor) == []


def test_a_completion_goes_in_at_the_cursor_and_text_after_it_stays(editor) -> None:
    stream(editor, " long ago", at=len("Once upon"))
    assert editor.toPlainText() == "Once upon long ago a time"
    assert tinted(editor) == [" long ago"]


def test_typing_after_a_completion_keeps_its_tint_editing_inside_removes_it(editor) -> None:
    stream(editor, ", a fish")
    editor.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(editor, " swam")
    assert editor.toPlainText() == "Once upon a time, a fish swam"
    assert tinted(editor) == [", a fish"]
    cursor = editor.textCursor()
    cursor.setPosition(len("Once upon a time, a f"))
    editor.setTextCursor(cursor)
    QTest.keyClicks(editor, "ff")
    assert tinted(editor) == []
    assert editor.last_span() is None


def test_regenerate_keeps_swipes_and_flipping_is_one_undo_step(editor) -> None:
    stream(editor, ", a fish.")
    span = editor.last_span()
    stream(editor, ", a bird.", replace=span)
    stream(editor, ", a cat.", replace=span)
    assert editor.toPlainText() == "Once upon a time, a cat."
    assert span.swipes == [", a fish.", ", a bird.", ", a cat."] and span.index == 2
    assert editor.arrows.isVisible() and editor.arrows.label.text() == "3/3"
    assert not editor.arrows.forward.isEnabled()
    QTest.mouseClick(editor.arrows.back, Qt.MouseButton.LeftButton)
    assert editor.toPlainText() == "Once upon a time, a bird."
    assert editor.arrows.label.text() == "2/3" and tinted(editor) == [", a bird."]
    assert editor.flip(-1) and not editor.flip(-1)
    assert editor.toPlainText() == "Once upon a time, a fish."
    editor.undo()  # the flip
    assert editor.toPlainText() == "Once upon a time, a bird."
    editor.undo()  # back to the cat (the flip from it)
    editor.undo()  # the third completion, with the removal of the second: one step
    assert editor.toPlainText() == "Once upon a time, a bird."


def test_a_regenerate_that_brings_no_text_puts_the_last_version_back(editor) -> None:
    stream(editor, ", a fish.")
    span = editor.last_span()
    stream(editor, replace=span)  # failed before any text
    assert editor.toPlainText() == "Once upon a time, a fish."
    assert span.swipes == [", a fish."] and tinted(editor) == [", a fish."]
    assert not editor.arrows.isVisible()
