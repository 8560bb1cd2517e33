"""The lazy dialogs: made on first use only, once; brought up to date on every opening."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from playground.ui.dialogs import DialogSpec, LazyDialogs

pytestmark = pytest.mark.gui


def test_a_dialog_is_made_once_and_refreshed_before_each_showing(qtbot) -> None:
    made: list[QDialog] = []
    refreshed: list[bool] = []

    def make() -> QDialog:
        dialog = QDialog()
        qtbot.addWidget(dialog)
        made.append(dialog)
        return dialog

    dialogs = LazyDialogs({"one": DialogSpec(make, lambda: refreshed.append(
        made[-1].isVisible()))})
    assert dialogs.get("one") is None and made == []  # nothing is made before it is used
    first = dialogs.open("one")
    assert first.isVisible() and dialogs.get("one") is first
    first.hide()
    assert dialogs.open("one") is first and first.isVisible()
    assert len(made) == 1
    assert refreshed == [False, False]  # up to date before it shows, each time


def test_an_unknown_dialog_is_an_error_not_none() -> None:
    dialogs = LazyDialogs({})
    with pytest.raises(KeyError):
        dialogs.get("nonesuch")
    with pytest.raises(KeyError):
        dialogs.open("nonesuch")
