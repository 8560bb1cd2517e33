"""The table of the window's actions: every row is sound by itself, before any window is
built (checked as a table, so a new row cannot go wrong unseen)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from playground.ui.actions import ACTIONS, EDITOR_SHORTCUTS, build_menus, shortcuts
from playground.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_every_slot_and_attribute_exists_on_the_loaded_window(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    for spec in ACTIONS:
        target: object = window
        for name in spec.slot.split("."):
            target = getattr(target, name, None)
        assert callable(target), spec.slot
        if spec.attribute is not None:
            assert spec.attribute in MainWindow.__annotations__, spec.attribute
            assert getattr(window, spec.attribute).text() == spec.text


def test_no_two_actions_share_a_shortcut(qapp) -> None:
    taken: dict[str, str] = {}
    editors = [QKeySequence(key) for _, key in EDITOR_SHORTCUTS]
    for spec in ACTIONS:
        for sequence in spec.shortcuts():
            key = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            assert key not in taken, f"{spec.label} and {taken[key]} share {key}"
            taken[key] = spec.label
            assert sequence not in editors, f"{spec.label} takes an editor's {key}"


def test_labels_and_attributes_are_unique() -> None:
    assert len({spec.label for spec in ACTIONS}) == len(ACTIONS)
    attributes = [spec.attribute for spec in ACTIONS if spec.attribute]
    assert len(set(attributes)) == len(attributes)


def test_every_action_is_in_its_menu_and_enabled_as_declared(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    for spec in ACTIONS:  # slots the bare window lacks: any callable does for the table
        if not hasattr(window, spec.slot):
            setattr(window, spec.slot, lambda: None)
    made = build_menus(window)
    menus = {menu.title(): menu for menu in window.menuBar().findChildren(QMenu)}
    assert [a.text() for a in window.menuBar().actions()] == list(
        dict.fromkeys(spec.menu for spec in ACTIONS))
    for spec, action in made.items():
        assert action in menus[spec.menu].actions(), spec.label
        assert action in window.actions(), spec.label  # its keys work anywhere in the window
        assert action.isEnabled() == (spec.enabled == "always"), spec.label
        assert action.shortcuts() == spec.shortcuts()
    assert len(made) == len(ACTIONS)


def test_the_shortcut_list_comes_from_the_table(qapp) -> None:
    rows = shortcuts()
    listed = [label for label, _ in rows]
    assert listed == [spec.label for spec in ACTIONS if spec.shortcuts()] + [
        label for label, _ in EDITOR_SHORTCUTS]
    assert all(not sequence.isEmpty() for _, sequence in rows)
    assert dict(rows)["Run"].toString() == "Ctrl+Return"


def test_the_start_up_floor_makes_as_many_actions_as_the_menus_have() -> None:
    from tests.bench.startup_child import MENU_ACTIONS

    assert len(ACTIONS) == MENU_ACTIONS  # the figure compares like with like
