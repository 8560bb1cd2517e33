"""Window shortcuts that must win over a text editor's own keys.

A focused QPlainTextEdit claims the keys it handles (Ctrl+Shift+Z is its redo on Linux) by
accepting the ShortcutOverride event Qt sends before a key press, so a window action with
the same key never fires. This filter declines that claim for the given actions' keys.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence


class ShortcutsWin(QObject):
    """Install on an editor: the keys of `actions` go to the actions, not the editor."""

    def __init__(self, actions: list[QAction], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions = actions

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            for action in self._actions:
                if action.isEnabled() and any(
                        pressed.matches(key) == QKeySequence.SequenceMatch.ExactMatch
                        for key in action.shortcuts()):
                    event.ignore()  # not the editor's: the shortcut system takes it
                    return True
        return False
