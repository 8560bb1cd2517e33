"""The preset bar, offscreen: real preset files under PLAYGROUND_HOME, the real built-ins, and a
real sampler panel standing in for the window's settings. Dialogs are answered through their
signals, as the app's qasync loop requires (no exec())."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from playground.core.presets import Preset, PresetStore
from playground.ui.param_panel import ParamPanel
from playground.ui.preset_bar import PresetBar

pytestmark = pytest.mark.gui

T = TypeVar("T", bound=QWidget)
DATA = Path(__file__).parents[1] / "core" / "data"


class Screen:
    """The window's side: a sampler panel and a model id, applied to as the window would."""

    def __init__(self, qtbot) -> None:
        self.panel = ParamPanel()
        qtbot.addWidget(self.panel)
        self.model = "llama-3"

    def current(self) -> Preset:
        return Preset.create("on screen", self.panel.values(), model=self.model or None)

    def apply(self, preset: Preset) -> None:
        if preset.model:
            self.model = preset.model
        self.panel.set_values(preset.param_values())

    def edit(self, name: str, text: str) -> None:
        """Type a value into a parameter's field and leave it, as a person does."""
        field = self.panel.rows[name].field
        field.setText(text)
        field.editingFinished.emit()


@pytest.fixture
def screen(qtbot) -> Screen:
    return Screen(qtbot)


@pytest.fixture
def make_bar(qtbot, screen):
    def make() -> tuple[PresetBar, list[str]]:
        bar = PresetBar(PresetStore(), screen.current)
        qtbot.addWidget(bar)
        messages: list[str] = []
        bar.message.connect(messages.append)
        bar.apply_requested.connect(screen.apply)
        screen.panel.changed.connect(bar.refresh_modified)
        bar.resize(440, 60)
        bar.show()
        return bar, messages
    return make


def choose(bar: PresetBar, name: str | None) -> None:
    """Pick a preset in the list, as a click does."""
    index = bar.combo.findData(name) if name is not None else 0
    assert index >= 0, name
    bar.combo.setCurrentIndex(index)
    bar.combo.activated.emit(index)


def open_dialog(parent: QWidget, kind: type[T]) -> T:
    """The one dialog of `kind` the action opened (closed ones are deleted first)."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    found = [d for d in parent.findChildren(kind) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def answer(bar: PresetBar, text: str) -> None:
    dialog = open_dialog(bar, QInputDialog)
    dialog.setTextValue(text)
    dialog.accept()


def confirm(parent: QWidget, button: QMessageBox.StandardButton) -> None:
    box = open_dialog(parent, QMessageBox)
    box.button(button).click()


def test_save_as_then_modified_until_revert(make_bar, screen, playground_home) -> None:
    bar, messages = make_bar()
    choose(bar, "Balanced")
    assert screen.panel.values() == {"temperature": 0.7, "top_p": 0.9,
                                         "repetition_penalty": 1.05}
    assert bar.description.text().startswith("A safe everyday start")
    assert not bar.revert_action.isEnabled() and not bar.modified_label.isVisible()

    bar.save_as_action.trigger()
    answer(bar, "My balanced")
    assert bar.selected().name == "My balanced"
    assert not bar.selected().builtin
    assert messages[-1] == "Saved preset My balanced"
    saved = json.loads((playground_home / "config" / "presets" / "my balanced.json").read_text())
    assert saved["params"] == {"temperature": 0.7, "top_p": 0.9, "repetition_penalty": 1.05}
    assert "model" not in saved  # model and routing are kept only when asked for

    screen.edit("temperature", "0.9")
    screen.edit("top_k", "40")
    assert bar.revert_action.isEnabled() and bar.modified_label.isVisible()
    assert bar.modified_label.toolTip().endswith("temperature: 0.7 → 0.9, top_k: unset → 40")
    assert bar.revert_action.isEnabled()

    bar.revert_action.trigger()
    assert screen.panel.values()["temperature"] == 0.7
    assert "top_k" not in screen.panel.values()
    assert not bar.revert_action.isEnabled() and not bar.modified_label.isVisible()

    screen.edit("temperature", "1.2")
    bar.save_action.trigger()
    assert not bar.revert_action.isEnabled()
    assert PresetStore().get("My balanced").param_values()["temperature"] == 1.2


def test_builtins_cannot_be_saved_over(make_bar, screen) -> None:
    bar, _ = make_bar()
    choose(bar, "Neutral")
    assert bar.combo.currentText() == "Neutral (built-in)"
    for action in (bar.save_action, bar.rename_action, bar.delete_action,
                   bar.describe_action):
        assert not action.isEnabled()
        assert "read-only; use Save As" in action.toolTip()
    assert bar.duplicate_action.isEnabled() and bar.export_action.isEnabled()
    screen.edit("temperature", "0.5")
    assert bar.revert_action.isEnabled()
    bar.save()  # even if called directly, nothing is written
    assert PresetStore().get("Neutral").param_values() == {}
    bar.save_as_action.trigger()
    answer(bar, "neutral")  # the built-in's name, in another case
    assert bar.error.isVisible()
    assert "built-in" in bar.error.text()


def test_rename_duplicate_describe_and_delete(make_bar, screen) -> None:
    PresetStore().save(Preset.create("Mine", {"min_p": 0.05}))
    bar, messages = make_bar()
    choose(bar, "Mine")
    assert screen.panel.values() == {"min_p": 0.05}

    bar.rename_action.trigger()
    answer(bar, "Ours")
    assert bar.selected().name == "Ours"
    assert PresetStore().list().names()[-1] == "Ours"
    assert messages[-1] == "Renamed Mine to Ours"

    bar.describe_action.trigger()
    answer(bar, "Min-p only, nothing else")
    assert bar.description.text() == "Min-p only, nothing else"

    bar.duplicate_action.trigger()
    assert open_dialog(bar, QInputDialog).textValue() == "Ours copy"
    answer(bar, "Ours copy")
    assert bar.selected().name == "Ours copy"
    assert PresetStore().get("Ours copy").param_values() == {"min_p": 0.05}

    bar.rename_action.trigger()
    answer(bar, "OURS")
    assert "already exists" in bar.error.text() and bar.error.isVisible()

    bar.delete_action.trigger()
    confirm(bar, QMessageBox.StandardButton.Cancel)
    assert "Ours copy" in PresetStore().list().names()
    bar.delete_action.trigger()
    confirm(bar, QMessageBox.StandardButton.Yes)
    assert not bar.error.isVisible()  # the next action that works clears the old error
    assert "Ours copy" not in PresetStore().list().names()
    assert bar.selected() is None
    assert bar.combo.currentText() == "No preset"
    assert not bar.save_action.isEnabled()


def test_keep_model_and_routing_saves_them(make_bar, screen) -> None:
    bar, _ = make_bar()
    bar.include_action.setChecked(True)
    bar.save_as_action.trigger()
    answer(bar, "Pinned")
    assert PresetStore().get("Pinned").model == "llama-3"
    screen.model = "mistral-7b"
    bar.refresh_modified()
    assert "model: llama-3 → mistral-7b" in bar.modified_label.toolTip()
    choose(bar, "Pinned")
    assert screen.model == "llama-3"
    assert not bar.revert_action.isEnabled()


def test_sillytavern_import_then_export_to_both_formats(make_bar, screen, tmp_path) -> None:
    bar, messages = make_bar()
    bar.import_action.trigger()
    dialog = open_dialog(bar, QFileDialog)
    dialog.fileSelected.emit(str(DATA / "sillytavern-storyteller.json"))
    dialog.close()
    assert bar.selected().name == "sillytavern-storyteller"
    assert screen.panel.values()["temperature"] == 0.85
    assert screen.panel.values()["repetition_penalty"] == 1.08
    assert messages[-1] == "Imported sillytavern-storyteller.json as sillytavern-storyteller"
    report = open_dialog(bar, QMessageBox)
    assert report.text().startswith("Imported a SillyTavern preset")
    assert "rep_pen -> repetition_penalty" in report.detailedText()
    assert "epsilon_cutoff 3 is in units of 1e-4" in report.informativeText()
    assert "sampler_order" in report.informativeText()
    assert not report.isModal()
    report.close()

    bar.import_action.trigger()  # the same file again gets a free name
    dialog = open_dialog(bar, QFileDialog)
    dialog.fileSelected.emit(str(DATA / "sillytavern-storyteller.json"))
    dialog.close()
    assert bar.selected().name == "sillytavern-storyteller (2)"
    open_dialog(bar, QMessageBox).close()

    for name_filter, target in (("SillyTavern preset (*.json)", tmp_path / "st.json"),
                                ("text-generation-webui preset (*.yaml)",
                                 tmp_path / "tg.yaml")):
        bar.export_action.trigger()
        dialog = open_dialog(bar, QFileDialog)
        dialog.selectNameFilter(name_filter)
        dialog.fileSelected.emit(str(target))
        dialog.close()
        open_dialog(bar, QMessageBox).close()  # the conversions, e.g. epsilon_cutoff units
    sillytavern = json.loads((tmp_path / "st.json").read_text())
    assert sillytavern["temp"] == 0.85 and sillytavern["rep_pen"] == 1.08
    assert sillytavern["sampler_order"] == [6, 0, 1, 3, 4, 2, 5]  # kept, written back
    textgen = yaml.safe_load((tmp_path / "tg.yaml").read_text())
    assert textgen["temperature"] == 0.85 and textgen["repetition_penalty"] == 1.08
    assert messages[-1].startswith("Exported sillytavern-storyteller (2) as a "
                                   "text-generation-webui preset to tg.yaml")


def test_a_broken_import_is_reported(make_bar, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"temp": "hot", ')
    bar, _ = make_bar()
    bar.import_action.trigger()
    dialog = open_dialog(bar, QFileDialog)
    dialog.fileSelected.emit(str(bad))
    dialog.close()
    assert bar.error.isVisible() and "not valid JSON" in bar.error.text()
    assert bar.selected() is None


def test_corrupt_preset_files_are_reported_not_fatal(make_bar, playground_home) -> None:
    PresetStore().save(Preset.create("Fine", {"temperature": 1}))
    folder = playground_home / "config" / "presets"
    (folder / "broken.json").write_text("{not json")
    bar, messages = make_bar()
    assert "Fine" in [bar.combo.itemData(i) for i in range(bar.combo.count())]
    assert bar.problems_button.isVisible()
    assert "broken.json" in bar.problems_button.toolTip()
    assert list(folder.glob("broken.json.corrupt-*"))

    (folder / "worse.json").write_text('{"version": 1, "name": "Worse", "params": '
                                       '{"temperature": 99}}')
    bar.reload()
    assert "worse.json" in messages[-1] and "temperature" in messages[-1]
    assert "broken.json" in bar.problems_button.toolTip()
    bar.problems_button.click()
    report = open_dialog(bar, QMessageBox)
    assert "worse.json" in report.informativeText()
    assert not bar.problems_button.isVisible()


def test_default_preset_is_applied_when_the_model_changes(make_bar, screen) -> None:
    PresetStore().save(Preset.create("Hot", {"temperature": 1.4}))
    bar, messages = make_bar()
    bar.model_changed("llama-3")  # the window's start-up restore: recorded, nothing applied
    choose(bar, "Hot")
    bar.menu.aboutToShow.emit()
    assert bar.default_action.isEnabled() and not bar.default_action.isChecked()
    assert bar.default_action.text() == "Default for llama-3"
    bar.default_action.trigger()
    assert PresetStore().default_for("llama-3") == "Hot"
    assert messages[-1] == "Hot is now the default preset for llama-3"

    choose(bar, "Neutral")
    assert screen.panel.values() == {}
    screen.model = "mistral-7b"
    bar.model_changed("mistral-7b")
    assert bar.selected().name == "Neutral"
    screen.model = "llama-3:online"
    bar.model_changed("llama-3:online")
    assert bar.selected().name == "Hot"
    assert screen.panel.values() == {"temperature": 1.4}
    assert messages[-1] == "Applied Hot, the default preset for llama-3"

    screen.edit("temperature", "0.3")
    bar.model_changed("llama-3")  # only a suffix changed: the edit stays
    assert screen.panel.values() == {"temperature": 0.3}

    bar.menu.aboutToShow.emit()
    assert bar.default_action.isChecked()
    bar.default_action.trigger()
    assert PresetStore().default_for("llama-3") is None


def test_selection_is_remembered_without_applying(make_bar, screen) -> None:
    bar, _ = make_bar()
    choose(bar, "Creative")
    screen.panel.set_values({"temperature": 0.1})
    again, _ = make_bar()
    assert again.selected().name == "Creative"
    assert screen.panel.values() == {"temperature": 0.1}
    assert again.revert_action.isEnabled()


def test_every_control_is_named_and_explained(make_bar) -> None:
    bar, _ = make_bar()
    for widget in (bar.combo, bar.menu_button, bar.problems_button):
        assert widget.accessibleName() and widget.toolTip()
    for action in bar.menu.actions():
        assert action.isSeparator() or action.toolTip()


def test_saving_keeps_the_sampler_panel_s_place(make_bar, screen) -> None:
    bar, _ = make_bar()
    screen.panel.resize(420, 300)
    screen.panel.show()
    scroll = screen.panel.scroll.verticalScrollBar()
    bar.save_as_action.trigger()
    answer(bar, "Mine")
    scroll.setValue(scroll.maximum())
    place = scroll.value()
    assert place > 0
    screen.edit("eta_cutoff", "0.001")
    bar.save_action.trigger()
    bar.describe_action.trigger()
    answer(bar, "Kept in place")
    assert scroll.value() == place


def test_the_modified_mark_does_not_resize_the_preset_list(make_bar, screen) -> None:
    bar, _ = make_bar()
    choose(bar, "Balanced")
    bar.layout().activate()
    assert not bar.modified_label.isVisible()
    width, description = bar.combo.width(), bar.description.geometry()
    screen.edit("temperature", "0.9")
    assert bar.modified_label.isVisible()
    bar.layout().activate()
    assert bar.combo.width() == width
    assert bar.description.geometry() == description
