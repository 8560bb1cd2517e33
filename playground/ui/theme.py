"""Look and feel: Fusion (which follows the system's light or dark scheme in Qt 6) and the
style sheet that marks parameter states."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

_STATES = """
QLineEdit[state="unset"], QComboBox[state="unset"] { color: palette(placeholder-text); }
QLineEdit[state="set"], QComboBox[state="set"] { font-weight: 600; }
QLineEdit[state="neutral"], QComboBox[state="neutral"] { font-style: italic; }
QLineEdit[state="error"] { border: 1px solid #d33; background: rgba(221, 51, 51, 0.08); }
QLabel#errorLabel { color: #c62828; padding: 6px; border: 1px solid #e57373;
                    border-radius: 4px; background: rgba(229, 115, 115, 0.10); }
QLabel#paramSummary { color: palette(placeholder-text); padding-left: 6px; }
QGroupBox { font-weight: 600; margin-top: 10px; }
QGroupBox::title { subcontrol-origin: margin; left: 6px; padding: 0 3px; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setStyleSheet(_STATES)
