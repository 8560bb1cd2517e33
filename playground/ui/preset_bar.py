"""The preset bar above the sampler panel: choose a preset, see whether the settings on screen
still match it, and save, rename, duplicate, delete, import or export presets.

The bar never reads the window's widgets: `current()` hands it the on-screen settings as a
`Preset`, and `apply_requested` asks the window to show one. Every dialog is opened with
``open()`` and answered through its signals (the app runs on a qasync loop, where nested event
loops hang).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.errors import InvalidParameter
from playground.core.interop import Format, export_preset, import_file
from playground.core.model_id import ModelId
from playground.core.presets import Preset, PresetStore, diff
from playground.core.routing import ProviderRouting
from playground.core.storage import atomic_write_text
from playground.ui.widgets import ask_to_delete, choice_combo, error_label, tool_button

SELECTED_KEY = "presets/selected"
BUILTIN_READ_ONLY = "Built-ins are read-only; use Save As"
#: File dialog name filters; the chosen one decides the format (None: detect it).
IMPORT_FILTERS: dict[str, Format | None] = {
    "Presets (*.json *.yaml *.yml)": None,
    "SillyTavern preset (*.json)": Format.SILLYTAVERN,
    "text-generation-webui preset (*.yaml *.yml)": Format.TEXTGEN,
    "Playground preset (*.json)": Format.NATIVE,
    "All files (*)": None,
}
EXPORT_FILTERS: dict[str, Format] = {
    "Playground preset (*.json)": Format.NATIVE,
    "SillyTavern preset (*.json)": Format.SILLYTAVERN,
    "text-generation-webui preset (*.yaml)": Format.TEXTGEN,
}
_SUFFIX = {Format.NATIVE: "json", Format.SILLYTAVERN: "json", Format.TEXTGEN: "yaml"}


class PresetBar(QWidget):
    """A preset selector with a "modified" mark and a Presets menu.

    Choosing a preset in the list applies it; `select` only changes the selection (the window
    uses it when the settings on screen already are the preset's, e.g. after a restore)."""

    apply_requested = Signal(object)  # Preset: params, and model/routing when it has them
    message = Signal(str)  # for the status bar

    def __init__(self, store: PresetStore, current: Callable[[], Preset],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._current = current
        self._presets: dict[str, Preset] = {}  # casefolded name -> preset
        self._problems: list[str] = []
        self._modified = False
        self._model_seen = False
        self._model_base: str | None = None
        self._pending: Preset | None = None  # what the open delete or export dialog is for
        self._on_name: tuple[Callable[[str], None], bool] = (lambda _: None, False)

        label = QLabel("&Preset", self)
        self.combo = choice_combo(self, "Preset", "Choosing a preset applies its settings", [])
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.activated.connect(self._chosen)
        label.setBuddy(self.combo)
        self.modified_label = QLabel("• modified", self)
        self.modified_label.setAccessibleName("Preset modified")
        self.modified_label.setStyleSheet("font-style: italic;")
        keep = self.modified_label.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the mark coming and going must not resize the list
        self.modified_label.setSizePolicy(keep)
        self.problems_button = tool_button(self, "⚠", "Preset problems", self._show_problems)
        self.problems_button.setAutoRaise(True)
        self.problems_button.setStyleSheet("color: #e0a000;")
        self.menu = QMenu("Presets", self)
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._update_default_action)
        self.menu_button = QToolButton(self)
        self.menu_button.setText("Presets ▾")
        self.menu_button.setMenu(self.menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.menu_button.setAccessibleName("Preset actions")
        self.menu_button.setToolTip("Save, rename, import, export and other preset actions")
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.description.setAccessibleName("Preset description")
        self.description.setStyleSheet("color: palette(placeholder-text);")
        self.error = error_label(self)
        self.error.setAccessibleName("Preset error")
        self._build_menu()

        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(label)
        row.addWidget(self.combo, 1)
        row.addWidget(self.modified_label)
        row.addWidget(self.problems_button)
        row.addWidget(self.menu_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.description)
        layout.addWidget(self.error)
        self.setTabOrder(self.combo, self.menu_button)
        self.setTabOrder(self.menu_button, self.problems_button)

        remembered = QSettings().value(SELECTED_KEY)
        self.reload()
        self.select(remembered if isinstance(remembered, str) else None)

    def _build_menu(self) -> None:
        add = self._add_action
        self.save_action = add("&Save", self.save, "Save the settings on screen over this preset")
        self.save_as_action = add("Save &As…", self.save_as,
                                  "Save the settings on screen as a new preset")
        self.revert_action = add("Re&vert", self.revert,
                                 "Show the saved preset's settings again")
        self.menu.addSeparator()
        self.rename_action = add("&Rename…", self.rename, "Give this preset another name")
        self.describe_action = add("D&escribe…", self.describe,
                                   "Change the one-line description of this preset")
        self.duplicate_action = add("&Duplicate…", self.duplicate,
                                    "Copy this preset (built-ins too) under a new name")
        self.delete_action = add("De&lete…", self.delete, "Delete this preset file")
        self.menu.addSeparator()
        self.import_action = add("&Import…", self.import_,
                                 "Import a SillyTavern (JSON), text-generation-webui (YAML) "
                                 "or playground preset file")
        self.export_action = add("E&xport…", self.export,
                                 "Write the saved preset as a playground, SillyTavern or "
                                 "text-generation-webui file")
        self.menu.addSeparator()
        self.include_action = add("Keep &Model and Routing", None,
                                  "When saving, store the model and provider routing in the "
                                  "preset too, so choosing it switches to them")
        self.include_action.setCheckable(True)
        self.default_action = add("Default for This &Model", self._toggle_default,
                                  "Apply this preset whenever this model is chosen")
        self.default_action.setCheckable(True)

    def _add_action(self, text: str, slot: Callable[[], None] | None, tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setData(tip)  # the tooltip to restore when a disabled-reason is cleared
        if slot is not None:
            action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    # --- what the window calls --------------------------------------------------------------

    def reload(self) -> None:
        """Read the presets again, keeping the selection if it still exists."""
        chosen = self.combo.currentData()
        listing = self.store.list()
        self._presets = {p.name.casefold(): p for p in listing.items}
        self.combo.clear()
        self.combo.addItem("No preset", None)
        self.combo.setItemData(0, "The settings on screen are not tied to a preset",
                               Qt.ItemDataRole.ToolTipRole)
        for builtin in (True, False):
            group = [p for p in listing.items if p.builtin is builtin]
            if group:
                self.combo.insertSeparator(self.combo.count())
            for preset in group:
                self.combo.addItem(f"{preset.name} (built-in)" if builtin else preset.name,
                                   preset.name)
                self.combo.setItemData(self.combo.count() - 1, preset.description or None,
                                       Qt.ItemDataRole.ToolTipRole)
        self._note_problems(listing.problems)
        self._show_selection(self._lookup(chosen))

    def select(self, name: str | None) -> None:
        """Select a preset by name (None or an unknown name: no preset) without applying it."""
        self._show_selection(self._lookup(name))

    def selected(self) -> Preset | None:
        """The chosen preset as saved (not as shown on screen)."""
        return self._lookup(self.combo.currentData())

    def refresh_modified(self) -> None:
        """Compare the settings on screen with the chosen preset; call it when they change."""
        preset = self.selected()
        changes = self._changes(preset) if preset is not None else {}
        self._modified = bool(changes)
        self.modified_label.setVisible(self._modified)
        tip = ", ".join(f"{key}: {_show(a)} → {_show(b)}" for key, (a, b) in changes.items())
        self.modified_label.setToolTip(f"Changed since the preset was saved: {tip}")
        self.combo.setToolTip(f"{preset.name}, modified: {tip}" if changes else
                              "Choosing a preset applies its settings")
        self.revert_action.setEnabled(self._modified)

    def model_changed(self, model: str, *, restoring: bool = False) -> None:
        """Select and apply the new model's default preset, if it has one.

        Only a change of the base model counts (toggling a suffix does not), and the first
        call only records the model: it is the window restoring its last session, whose
        settings must not be replaced. So does a call `restoring` a document's own settings
        (a tab brought forward)."""
        base = _base(model)
        first, self._model_seen = not self._model_seen, True
        changed, self._model_base = base != self._model_base, base
        if first or restoring or not changed or base is None:
            return
        name = self.store.default_for(base)
        preset = self._lookup(name)
        chosen = self.selected()
        if preset is None or (chosen is not None and chosen.name == preset.name):
            return
        self._apply(preset)
        self.message.emit(f"Applied {preset.name}, the default preset for {base}")

    # --- menu actions -----------------------------------------------------------------------

    def save(self) -> None:
        preset = self.selected()
        if preset is None or preset.builtin:
            return
        self._store(lambda: self._capture(preset.name, preset.description, preset),
                    replace_existing=True, done="Saved")

    def save_as(self) -> None:
        preset = self.selected()
        initial = f"{preset.name} copy" if preset else ""
        self._ask_name("Save Preset As", "Name of the new preset:", initial,
                       lambda name: self._store(
                           lambda: self._capture(name, "", preset), done="Saved"))

    def revert(self) -> None:
        preset = self.selected()
        if preset is not None:
            self._apply(preset)
            self.message.emit(f"Reverted to the saved {preset.name}")

    def rename(self) -> None:
        preset = self.selected()
        if preset is None or preset.builtin:
            return
        self._ask_name("Rename Preset", f"New name for {preset.name}:", preset.name,
                       lambda name: self._attempt(lambda: self._renamed(preset.name, name)))

    def describe(self) -> None:
        preset = self.selected()
        if preset is None or preset.builtin:
            return
        self._ask_name("Describe Preset", f"One line about {preset.name}:", preset.description,
                       lambda text: self._store(
                           lambda: replace(preset, description=text.strip()),
                           replace_existing=True, done="Updated"), allow_empty=True)

    def duplicate(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        self._ask_name("Duplicate Preset", f"Name of the copy of {preset.name}:",
                       self._free_name(f"{preset.name} copy"),
                       lambda name: self._attempt(lambda: self._duplicated(preset.name, name)))

    def delete(self) -> None:
        preset = self.selected()
        if preset is None or preset.builtin:
            return
        self._pending = preset
        ask_to_delete(self, "Delete Preset", f"Delete the preset {preset.name}?",
                      "Its file is removed; this cannot be undone.", self._delete_answered)

    def import_(self) -> None:
        dialog = self._file_dialog("Import Preset", list(IMPORT_FILTERS),
                                   QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._import_chosen)
        dialog.open()

    def export(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        dialog = self._file_dialog("Export Preset", list(EXPORT_FILTERS),
                                   QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.selectFile(f"{preset.name}.json")
        self._pending = preset
        dialog.filterSelected.connect(self._export_filter_chosen)
        dialog.fileSelected.connect(self._export_chosen)
        dialog.open()

    # --- dialog answers ---------------------------------------------------------------------
    # Bound methods, not lambdas: PySide 6.11 crashes when a dialog deleted on close takes a
    # lambda connection that captures `self` with it. The dialog is `sender()`; what it was
    # opened for is `_pending`.

    def _name_chosen(self, text: str) -> None:
        done, allow_empty = self._on_name
        if text.strip() or allow_empty:
            done(text)

    def _delete_answered(self, button: QAbstractButton) -> None:
        box = self.sender()
        preset = self._pending
        if (isinstance(box, QMessageBox) and preset is not None
                and box.standardButton(button) == QMessageBox.StandardButton.Yes):
            self._attempt(lambda: self._deleted(preset.name))

    def _import_chosen(self, path: str) -> None:
        dialog = self.sender()
        fmt = (IMPORT_FILTERS.get(dialog.selectedNameFilter())
               if isinstance(dialog, QFileDialog) else None)
        self._attempt(lambda: self._imported(Path(path), fmt))

    def _export_filter_chosen(self, name_filter: str) -> None:
        dialog = self.sender()
        if isinstance(dialog, QFileDialog):
            dialog.setDefaultSuffix(_SUFFIX[EXPORT_FILTERS[name_filter]])

    def _export_chosen(self, path: str) -> None:
        dialog, preset = self.sender(), self._pending
        if isinstance(dialog, QFileDialog) and preset is not None:
            fmt = EXPORT_FILTERS[dialog.selectedNameFilter()]
            self._attempt(lambda: self._exported(preset, Path(path), fmt))

    # --- doing the work ---------------------------------------------------------------------

    def _chosen(self, index: int) -> None:
        preset = self._lookup(self.combo.itemData(index))
        if preset is None:
            self._show_selection(None)
        else:
            self._apply(preset)  # the window says it was applied, and what it means here

    def _apply(self, preset: Preset) -> None:
        self._show_selection(preset)
        self.apply_requested.emit(preset)
        self.refresh_modified()

    def _capture(self, name: str, description: str, base: Preset | None) -> Preset:
        """The settings on screen as a preset called `name`. Settings an imported preset kept
        for re-export stay with it; model and routing only when the menu says so."""
        shown = self._current()
        if not self.include_action.isChecked():
            shown = replace(shown, model=None, provider=None, header_provider=None,
                            billing_mode=None)
        foreign = base.foreign if base is not None else {}
        return replace(shown, name=name, description=description, foreign=foreign,
                       builtin=False)

    def _store(self, build: Callable[[], Preset], *, replace_existing: bool = False,
               done: str) -> None:
        def work() -> None:
            preset = build()
            self.store.save(preset, replace_existing=replace_existing)
            self._reloaded(preset.name, f"{done} preset {preset.name}")
        self._attempt(work)

    def _renamed(self, old: str, new: str) -> None:
        renamed = self.store.rename(old, new)
        self._reloaded(renamed.name, f"Renamed {old} to {renamed.name}")

    def _duplicated(self, name: str, new: str) -> None:
        copy = self.store.duplicate(name, new)
        self._reloaded(copy.name, f"Copied {name} to {copy.name}")

    def _deleted(self, name: str) -> None:
        self.store.delete(name)
        self._reloaded(None, f"Deleted preset {name}")

    def _imported(self, path: Path, fmt: Format | None) -> None:
        preset, report = import_file(path, fmt=fmt)
        preset = replace(preset, name=self._free_name(preset.name))
        self.store.save(preset)
        self.reload()
        self._apply(self._presets[preset.name.casefold()])
        self.message.emit(f"Imported {path.name} as {preset.name}")
        lines = report.lines()
        self._report("Preset Imported", lines[0], lines[1:])

    def _exported(self, preset: Preset, path: Path, fmt: Format) -> None:
        result = export_preset(preset, fmt)
        atomic_write_text(path, result.text)
        summary = f"Exported {preset.name} as a {fmt.label} preset to {path.name}"
        self.message.emit(summary)
        if result.lines():
            self._report("Preset Exported", summary, result.lines())

    def _reloaded(self, name: str | None, message: str) -> None:
        self.reload()
        self.select(name)
        self.message.emit(message)

    def _attempt(self, work: Callable[[], None]) -> None:
        """Run `work`; a refused name or value, or a failed write, is shown, not raised."""
        try:
            work()
        except InvalidParameter as exc:
            self._show_error(exc.message)
        except OSError as exc:
            self._show_error(f"The preset file could not be written or read: {exc}")
        else:
            self._show_error(None)

    # --- dialogs ----------------------------------------------------------------------------

    def _ask_name(self, title: str, label: str, initial: str, done: Callable[[str], None],
                  *, allow_empty: bool = False) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("presetName")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(initial)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._on_name = (done, allow_empty)
        dialog.textValueSelected.connect(self._name_chosen)
        dialog.open()

    def _file_dialog(self, title: str, filters: list[str],
                     mode: QFileDialog.AcceptMode) -> QFileDialog:
        dialog = QFileDialog(self, title)
        dialog.setObjectName("presetFile")
        dialog.setAcceptMode(mode)
        dialog.setNameFilters(filters)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return dialog

    def _report(self, title: str, text: str, lines: list[str]) -> None:
        """A non-modal message: the import or export report, readable while working on.
        Indented lines (the list of mapped settings) go under "Show Details…"."""
        box = QMessageBox(QMessageBox.Icon.Information, title, text,
                          QMessageBox.StandardButton.Close, self)
        box.setObjectName("presetReport")
        box.setInformativeText("\n".join(line for line in lines if not line.startswith(" ")))
        details = [line.strip() for line in lines if line.startswith(" ")]
        if details:
            box.setDetailedText("\n".join(details))
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def _show_problems(self) -> None:
        self._report("Preset Problems", "Some preset files could not be loaded.",
                     self._problems)
        self._problems = []
        self.problems_button.hide()

    # --- state ------------------------------------------------------------------------------

    def _lookup(self, name: Any) -> Preset | None:
        return self._presets.get(name.strip().casefold()) if isinstance(name, str) else None

    def _free_name(self, name: str) -> str:
        """`name`, or `name (2)`, `name (3)`… if a preset already has it."""
        candidate, n = name, 1
        while candidate.casefold() in self._presets:
            n += 1
            candidate = f"{name} ({n})"
        return candidate

    def _show_selection(self, preset: Preset | None) -> None:
        index = self.combo.findData(preset.name) if preset is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
        QSettings().setValue(SELECTED_KEY, preset.name if preset is not None else "")
        if preset is None:
            self.description.setText("No preset: the settings below are your own.")
        else:
            self.description.setText(preset.description or "No description.")
            self.include_action.setChecked(_has_scope(preset))
        self._update_actions(preset)
        self.refresh_modified()

    def _update_actions(self, preset: Preset | None) -> None:
        user = preset is not None and not preset.builtin
        why = "Choose a preset first" if preset is None else BUILTIN_READ_ONLY
        for action in (self.save_action, self.rename_action, self.describe_action,
                       self.delete_action):
            _enable(action, user, why)
        for action in (self.duplicate_action, self.export_action, self.default_action):
            _enable(action, preset is not None, "Choose a preset first")

    def _update_default_action(self) -> None:
        """Check "Default for This Model" if it is; read when the menu opens."""
        preset, base = self.selected(), self._shown_base()
        self.default_action.setEnabled(preset is not None and base is not None)
        self.default_action.setChecked(
            preset is not None and base is not None
            and self.store.default_for(base) == preset.name)
        self.default_action.setText(f"Default for {base}" if base else "Default for This &Model")

    def _toggle_default(self) -> None:
        preset, base = self.selected(), self._shown_base()
        if preset is None or base is None:
            return
        checked = self.default_action.isChecked()

        def work() -> None:
            self.store.set_default(base, preset.name if checked else None)
            self.message.emit(f"{preset.name} is now the default preset for {base}" if checked
                              else f"{base} has no default preset now")
        self._attempt(work)

    def _shown_base(self) -> str | None:
        try:
            return _base(self._current().model or "")
        except InvalidParameter:
            return None

    def _changes(self, preset: Preset) -> dict[str, tuple[Any, Any]]:
        """What differs between `preset` and the screen, in what the preset covers: one
        without a model (or routing) leaves whatever model (or routing) is chosen alone."""
        try:
            shown = self._current()
        except InvalidParameter:
            return {}
        if preset.model is None:
            shown = replace(shown, model=None)
        if not _has_routing(preset):
            shown = replace(shown, provider=None, header_provider=None, billing_mode=None)
        return diff(preset, shown)

    def _note_problems(self, problems: tuple[str, ...]) -> None:
        new = [p for p in problems if p not in self._problems]
        self._problems += new
        self.problems_button.setVisible(bool(self._problems))
        self.problems_button.setToolTip("Preset problems (click for details):\n"
                                        + "\n".join(self._problems))
        if new:
            self.message.emit(f"{len(new)} preset problem{'s' if len(new) > 1 else ''}: "
                              f"{new[0]}")

    def _show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


def _enable(action: QAction, enabled: bool, why: str) -> None:
    """Enable `action`, or disable it with the reason as its tooltip."""
    action.setEnabled(enabled)
    tip = action.data() if enabled else f"{action.data()} ({why})"
    action.setToolTip(tip)
    action.setStatusTip(tip)


def _has_routing(preset: Preset) -> bool:
    return any(v is not None for v in (preset.provider, preset.header_provider,
                                       preset.billing_mode))


def _has_scope(preset: Preset) -> bool:
    return preset.model is not None or _has_routing(preset)


def _base(model: str) -> str | None:
    """The model's base id (suffixes removed), None when empty or not a model id."""
    try:
        return ModelId.parse(model).base if model.strip() else None
    except InvalidParameter:
        return None


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, ProviderRouting):
        value = value.body()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
