"""File → Open Model File…: choose a GGUF file and serve it on the local engine as
``local/<name>`` (the name from the file's; the file stays where it is)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from playground.core import local_models


def free_name(path: Path) -> str:
    """A model name from the file's name, not yet taken by another file or a trained model."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._")[:56] or "model"
    added = local_models.added_gguf()

    def taken(name: str) -> bool:
        try:
            local_models.check_name(name)
        except ValueError:
            return True
        return (name in added and added[name] != path.resolve()) or \
            local_models.trained_model_path(name).is_file()

    name, n = stem, 1
    while taken(name):
        n += 1
        name = f"{stem}-{n}"
    return name


class ModelFileOpener(QObject):
    added = Signal(str, str)  # the model id, what to tell the person
    failed = Signal(str)  # the file, and what is wrong with it

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent

    def open(self) -> None:
        dialog = QFileDialog(self._parent, "Open Model File")
        dialog.setObjectName("openModelFile")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["GGUF models (*.gguf)", "All files (*)"])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.add)
        dialog.open()

    def add(self, file: str) -> None:
        path = Path(file)
        try:
            model_id, metadata = local_models.add_gguf(path, free_name(path))
        except ValueError as exc:
            self.failed.emit(f"The model file was not added: {exc}")
            return
        from playground.core.gguf_file import context_length

        self.added.emit(model_id, f"Added {model_id} ({path.name}, a context of "
                                  f"{context_length(metadata)} tokens); it runs on the local "
                                  "engine")
