"""The settings dialog, offscreen: the real keyring API (in-memory or failing backend), real
connections.json under PLAYGROUND_HOME, real QSettings in a temporary folder."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QWidget,
)

from playground.core.keys import SERVICE, KeyStore
from playground.ui.settings_dialog import SettingsDialog
from playground.ui.theme import Appearance

pytestmark = pytest.mark.gui

SECRET = "sk-nano-00000000-1111-2222-3333-444444444444"


@pytest.fixture
def make_dialog(qtbot, settings):
    def make() -> tuple[SettingsDialog, list[object]]:
        dialog = SettingsDialog(KeyStore())
        qtbot.addWidget(dialog)
        emitted: list[object] = []
        dialog.connections_changed.connect(lambda: emitted.append("connections"))
        dialog.appearance_changed.connect(emitted.append)
        dialog.show()
        return dialog, emitted
    return make


def all_text(root: QWidget) -> str:
    """Every string the dialog could show or announce."""
    parts = []
    for widget in [root, *root.findChildren(QWidget)]:
        parts += [widget.toolTip(), widget.accessibleName(), widget.windowTitle()]
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            parts.append(widget.text())
        if isinstance(widget, QLineEdit):
            parts.append(widget.displayText())
        elif isinstance(widget, QPlainTextEdit):
            parts.append(widget.toPlainText())
        elif isinstance(widget, QTableWidget):
            parts += [widget.item(r, c).text() for r in range(widget.rowCount())
                      for c in range(widget.columnCount())]
    return "\n".join(parts)


def test_saving_a_key_stores_it_and_shows_only_its_source(make_dialog, memory_keyring) -> None:
    dialog, emitted = make_dialog()
    box = dialog.connections_page.key_box
    assert box.key_edit.echoMode() == QLineEdit.EchoMode.Password
    assert "No key set" in box.source_label.text()
    assert not box.remove_button.isEnabled()
    box.key_edit.setText(SECRET)
    box.show_button.click()
    assert box.key_edit.echoMode() == QLineEdit.EchoMode.Normal
    box.save_button.click()
    assert memory_keyring.store[(SERVICE, "nanogpt")] == SECRET
    assert box.key_edit.text() == ""
    assert not box.key_edit.isUndoAvailable()
    assert box.key_edit.echoMode() == QLineEdit.EchoMode.Password
    assert "system keyring" in box.source_label.text()
    assert not box.problem_label.isVisible()
    assert emitted == ["connections"]
    assert SECRET not in all_text(dialog)
    box.remove_button.click()
    assert memory_keyring.store == {}
    assert "No key set" in box.source_label.text()
    assert emitted == ["connections", "connections"]


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_the_key_is_kept_for_the_session(make_dialog) -> None:
    dialog, _ = make_dialog()
    box = dialog.connections_page.key_box
    assert box.problem_label.isVisible()
    assert "No system keyring" in box.problem_label.text()
    box.key_edit.setText(SECRET)
    box.key_edit.returnPressed.emit()
    assert "session only" in box.source_label.text()
    assert box.keys.get("nanogpt").source == "session"
    assert box.key_edit.text() == ""
    assert dialog.isVisible()
    assert SECRET not in all_text(dialog)


@pytest.mark.usefixtures("null_keyring")
def test_a_keyring_that_keeps_nothing_leaves_the_key_for_the_session(make_dialog) -> None:
    dialog, emitted = make_dialog()
    box = dialog.connections_page.key_box
    assert "No key set" in box.source_label.text()
    box.key_edit.setText(SECRET)
    box.save_button.click()
    assert box.key_edit.text() == ""
    assert "session only" in box.source_label.text()
    assert box.keys.get("nanogpt").key == SECRET  # what Run sends
    assert box.problem_label.isVisible()
    assert box.problem_label.text().startswith(
        "The system keyring (null Keyring) accepted the key but did not keep it")
    assert "NANOGPT_API_KEY" in box.problem_label.text()
    assert box.remove_button.isEnabled()
    assert emitted == ["connections"]
    assert SECRET not in all_text(dialog)


def test_a_key_from_the_environment_is_named_not_shown(make_dialog, memory_keyring,
                                                        monkeypatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", SECRET)
    dialog, _ = make_dialog()
    box = dialog.connections_page.key_box
    assert "NANOGPT_API_KEY environment variable" in box.source_label.text()
    assert not box.remove_button.isEnabled()
    assert SECRET not in all_text(dialog)


def test_adding_and_removing_a_connection(make_dialog, playground_home) -> None:
    dialog, emitted = make_dialog()
    box = dialog.connections_page.connections_box
    assert [box.table.item(r, 0).text() for r in range(box.table.rowCount())] == [
        "local", "nanogpt"]
    box.table.selectRow(1)
    assert not box.remove_button.isEnabled()
    box.name_edit.setText("llama-box")
    box.url_edit.setText("http://127.0.0.1:8080/v1/completions")
    box.dialect_box.setCurrentText("llama.cpp")
    box.add_button.click()
    saved = json.loads((playground_home / "config" / "connections.json").read_text())
    assert saved == [{"name": "llama-box", "kind": "custom",
                      "base_url": "http://127.0.0.1:8080/v1", "dialect": "llama.cpp"}]
    assert emitted == ["connections"]
    assert not box.error_label.isVisible()
    assert (box.name_edit.text(), box.url_edit.text()) == ("", "")
    assert [box.table.item(2, c).text() for c in range(3)] == [
        "llama-box", "http://127.0.0.1:8080/v1", "llama.cpp"]
    box.table.selectRow(2)
    assert box.remove_button.isEnabled()
    box.remove_button.click()
    saved = json.loads((playground_home / "config" / "connections.json").read_text())
    assert saved == []
    assert box.table.rowCount() == 2
    assert emitted == ["connections", "connections"]


@pytest.mark.parametrize(("name", "url", "message"), [
    ("box", "127.0.0.1:8080", "must start with http:// or https://"),
    ("my box", "http://127.0.0.1:8080/v1", "name: 'my box' is not allowed; use letters"),
    ("nanogpt", "http://127.0.0.1:8080/v1", "'nanogpt' is built in"),
    ("box", "", "Enter a name and a base URL"),
])
def test_a_bad_connection_is_refused_inline(make_dialog, playground_home, name, url,
                                             message) -> None:
    dialog, emitted = make_dialog()
    box = dialog.connections_page.connections_box
    box.name_edit.setText(name)
    box.url_edit.setText(url)
    box.url_edit.returnPressed.emit()
    assert box.error_label.isVisible()
    assert message in box.error_label.text()
    assert "Value error" not in box.error_label.text()
    assert not (playground_home / "config" / "connections.json").exists()
    assert emitted == []
    assert box.name_edit.text() == name
    assert dialog.isVisible()


def test_apply_dark_theme_and_font(make_dialog, settings, qapp) -> None:
    dialog, emitted = make_dialog()
    page = dialog.appearance_page
    page.theme_box.setCurrentIndex(page.theme_box.findData("dark"))
    page.size_box.setValue(17)
    assert page.sample.font().pointSize() == 17
    page.apply_button.click()
    (appearance,) = emitted
    assert isinstance(appearance, Appearance)
    assert appearance.theme == "dark"
    assert Appearance.load() == appearance
    assert list(settings.rglob("*.conf"))
    assert appearance.font().pointSize() == 17
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == "#2b2d30"


def test_the_default_font_is_stored_as_empty(make_dialog) -> None:
    dialog, _ = make_dialog()
    page = dialog.appearance_page
    page.size_box.setValue(23)
    assert page.appearance().text_font != ""
    page.default_button.click()
    assert page.appearance().text_font == ""
    assert page.sample.font().pointSize() == Appearance().font().pointSize()
