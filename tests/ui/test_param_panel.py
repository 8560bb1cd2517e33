"""The sampler panel on its own, offscreen, driven through its widgets as a person does."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from playground.core import dialects
from playground.core.catalog import Group, Limits
from playground.core.connections import BUILTIN
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
    """Click into `widget`, type `text` over what it holds and press Enter."""
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(widget, Qt.Key.Key_Delete)
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
    type_into(field, "")  # an empty field is unset
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


def choose(combo, steps: int) -> None:
    """Move a combo box's choice with the arrow keys, as a person does."""
    for _ in range(abs(steps)):
        QTest.keyClick(combo, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)


def test_mirostat_choices_are_named_and_send_numbers(panel) -> None:
    combo = panel.rows["mirostat_mode"].combo
    assert [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == [
        ("unset", None), ("off", 0), ("Mirostat 1", 1), ("Mirostat 2", 2)]
    choose(combo, 3)
    assert panel.values() == {"mirostat_mode": 2}


def test_mirostat_greys_what_it_replaces_and_still_sends_it(panel) -> None:
    panel.set_mirostat_replaces(dialects.mirostat_replaces(BUILTIN[0]))
    type_into(panel.rows["top_k"].field, "40")
    type_into(panel.rows["temperature"].field, "0.7")
    combo = panel.rows["mirostat_mode"].combo
    choose(combo, 3)
    top_k = panel.rows["top_k"]
    assert not top_k.field.isEnabled() and not top_k.slider.isEnabled()
    assert not top_k.label.isEnabled()
    assert "Mirostat 2 replaces top_k; not used while it is on" in top_k.field.toolTip()
    assert all(not panel.rows[name].label.isEnabled()
               for name in dialects.mirostat_replaces(BUILTIN[0]))
    assert panel.rows["temperature"].field.isEnabled()
    assert panel.values() == {"top_k": 40, "temperature": 0.7, "mirostat_mode": 2}
    choose(combo, -2)  # off
    assert top_k.field.isEnabled() and "replaces" not in top_k.field.toolTip()
    panel.set_mirostat_replaces(())  # a server where it is not known
    choose(combo, 2)
    assert top_k.field.isEnabled()


def test_a_connection_s_own_limits_are_shown_and_enforced(panel) -> None:
    row = panel.rows["max_tokens"]
    assert row.field.placeholderText() == "unset (4000)"
    panel.set_limits(dialects.limits(BUILTIN[0]))
    assert row.field.placeholderText() == "unset (256)"
    type_into(row.field, "20000")
    assert row.error == ("max_tokens: 20000 is above this connection's maximum 16384 "
                         "(allowed: a whole number from 1 to 16384)")
    assert row.property("state") == "error"
    assert panel.values() == {}
    type_into(row.field, "16384")
    assert panel.values() == {"max_tokens": 16384}
    panel.set_limits({"max_tokens": Limits(maximum=4096)})  # e.g. the model's own
    assert row.field.placeholderText() == "unset (4000)"
    assert panel.errors() == ["max_tokens: 16384 is above this connection's maximum 4096 "
                              "(allowed: a whole number from 1 to 4096)"]
    panel.set_limits({})
    assert panel.values() == {"max_tokens": 16384}


def test_the_slider_follows_a_refused_number_and_shows_it_is_refused(panel) -> None:
    row = panel.rows["temperature"]
    normal = row.slider.palette().color(QPalette.ColorRole.Highlight)
    type_into(row.field, "0.5")
    assert row.slider.value() == 250
    type_into(row.field, "5")
    assert row.slider.value() == 1000  # pinned at its end
    assert row.property("state") == "error"
    assert row.slider.palette().color(QPalette.ColorRole.Highlight) == QColor("#d33")
    assert row.slider.toolTip() == row.error
    type_into(row.field, "-1")
    assert row.slider.value() == 0
    type_into(row.field, "1")
    assert row.slider.value() == 500
    assert row.slider.palette().color(QPalette.ColorRole.Highlight) == normal
    type_into(row.field, "abc")  # not a number: the slider stays, the field is red
    assert row.slider.value() == 500
    assert row.property("state") == "error"


def test_every_invalid_field_is_named_at_once(panel) -> None:
    type_into(panel.rows["temperature"].field, "5")
    type_into(panel.rows["top_k"].field, "abc")
    QTest.keyClicks(panel.rows["min_p"].field, "2")  # typed, not yet left
    assert panel.errors() == [
        "temperature: 5 is above the maximum 2 (allowed: a number from 0 to 2)",
        "top_k: 'abc' is not valid (allowed: a whole number from 0 to 1000000)",
        "min_p: 2 is above the maximum 1 (allowed: a number from 0 to 1)"]
    type_into(panel.rows["top_k"].field, "")
    type_into(panel.rows["min_p"].field, "")
    assert panel.errors() == [
        "temperature: 5 is above the maximum 2 (allowed: a number from 0 to 2)"]


def test_fields_line_up_across_groups(panel, qtbot) -> None:
    qtbot.waitUntil(lambda: panel.rows["stop"].x() > 0)
    columns = {row.mapTo(panel, QPoint(0, 0)).x() for row in panel.rows.values()}
    assert len(columns) == 1
    widest = max(row.label.fontMetrics().horizontalAdvance(name)
                 for name, row in panel.rows.items())
    assert all(row.label.width() >= widest for row in panel.rows.values())


def _wheel_down(widget) -> None:
    """A wheel notch down over `widget`, delivered where the window system delivers it."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    middle = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(middle, QPointF(widget.mapToGlobal(middle.toPoint())), QPoint(),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panel_past_combos_and_sliders(panel) -> None:
    panel.resize(420, 300)  # short, so the panel scrolls
    bar = panel.scroll.verticalScrollBar()
    combo = panel.rows["mirostat_mode"].combo
    slider = panel.rows["temperature"].slider
    for widget in (combo, slider):
        before = bar.value()
        _wheel_down(widget)
        assert bar.value() > before  # the panel scrolled on
    assert combo.currentData() is None and slider.value() == 0
    assert panel.values() == {}
    combo.setFocus()  # clicked into: now the wheel is the combo's
    _wheel_down(combo)
    assert combo.currentData() is not None
