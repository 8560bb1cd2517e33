"""The sampler panel on its own, offscreen, driven through its widgets as a person does."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from playground.core.catalog import Group
from playground.ui.list_editors import StringListEditor
from playground.ui.param_panel import ParamPanel

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot) -> ParamPanel:
    panel = ParamPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    return panel


def type_into(widget, text: str) -> None:
    """Click into `widget`, type `text` and press Enter."""
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def stop_editor(panel: ParamPanel) -> StringListEditor:
    row = panel.rows["stop"]
    QTest.mouseClick(row.expand, Qt.MouseButton.LeftButton)
    editor = row.list_editor
    assert isinstance(editor, StringListEditor) and editor.isVisible()
    return editor


def shown(editor: StringListEditor, row: int) -> str:
    """The text the list draws for item `row`."""
    index = editor.view.model().index(row, 0, QModelIndex())
    return editor.view.itemDelegate().displayText(index.data(), editor.locale())


def test_stops_keep_their_whitespace_and_show_it(panel) -> None:
    editor = stop_editor(panel)
    type_into(editor.entry, "\\n\\nUser:")
    type_into(editor.entry, " Q:")
    type_into(editor.entry, "\\t")
    assert panel.values() == {"stop": ["\n\nUser:", " Q:", "\t"]}
    assert [shown(editor, row) for row in range(3)] == ["⏎⏎User:", "·Q:", "⇥"]


def test_an_empty_stop_is_not_added(panel) -> None:
    editor = stop_editor(panel)
    type_into(editor.entry, "")
    assert editor.view.count() == 0
    assert panel.values() == {}


def test_a_stop_typed_in_the_field_keeps_its_spaces(panel) -> None:
    field = panel.rows["stop"].field
    type_into(field, " Q: ")
    assert panel.values() == {"stop": " Q: "}
    field.clear()
    type_into(field, "")
    assert panel.values() == {}


def test_a_stop_edited_down_to_nothing_is_removed(panel, qtbot) -> None:
    editor = stop_editor(panel)
    type_into(editor.entry, "END")
    type_into(editor.entry, "\\n")
    view = editor.view
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualItemRect(view.item(0)).center())
    QTest.keyClick(view, Qt.Key.Key_F2)
    line = view.viewport().findChild(QLineEdit)
    assert line.text() == "END"
    QTest.keyClick(line, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(line, Qt.Key.Key_Delete)
    QTest.keyClick(line, Qt.Key.Key_Return)  # the view commits the edit from its queue
    qtbot.waitUntil(lambda: view.count() == 1)
    assert panel.values() == {"stop": ["\n"]}
    assert editor.message.text() == "An empty stop string stops nothing; it was removed."


def test_group_titles_show_an_ampersand_as_written(panel) -> None:
    toggle = panel.groups[Group.STOPS].toggle
    assert QKeySequence.mnemonic(toggle.text()).isEmpty()  # no "&t" mnemonic eating the "&"
    assert toggle.text().replace("&&", "&") == "Stops & tokens"
    assert panel.groups[Group.STOPS].title() == "Stops & tokens"
