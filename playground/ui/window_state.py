"""How the window is laid out between sessions: its geometry and where its two splitters are
(the side panel's, and each tab's prompt/output split), kept in QSettings under ``window/``."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

GEOMETRY = "window/geometry"
SIDE_SPLIT = "window/Horizontal"  # the tabs beside the side panel
TEXT_SPLIT = "window/Vertical"  # a tab's prompt above its output


def restore_window(window: QMainWindow, side_split: QSplitter) -> None:
    settings = QSettings()
    geometry = settings.value(GEOMETRY)
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = settings.value(SIDE_SPLIT)
    if state is not None:
        side_split.restoreState(state)


def restore_text_split(split: QSplitter) -> None:
    """A tab's prompt/output split as the last one was left."""
    state = QSettings().value(TEXT_SPLIT)
    if state is not None:
        split.restoreState(state)


def save_window(window: QMainWindow, side_split: QSplitter, text_split: QSplitter) -> None:
    settings = QSettings()
    settings.setValue(GEOMETRY, window.saveGeometry())
    settings.setValue(SIDE_SPLIT, side_split.saveState())
    settings.setValue(TEXT_SPLIT, text_split.saveState())
