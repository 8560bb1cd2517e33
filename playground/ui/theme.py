"""Look and feel: light and dark palettes (or the system's), the text font, and the style sheet
that marks parameter states. Stored in QSettings under ``appearance/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Theme = Literal["system", "light", "dark"]
THEMES: tuple[Theme, ...] = ("system", "light", "dark")

_STYLE = """
QLineEdit[state="unset"], QComboBox[state="unset"] { color: palette(placeholder-text); }
QLineEdit[state="set"], QComboBox[state="set"] { font-weight: 600; }
QLineEdit[state="neutral"], QComboBox[state="neutral"] { font-style: italic; }
QLineEdit[state="error"] { border: 1px solid #d33; background: rgba(221, 51, 51, 0.08); }
QLabel#errorLabel { color: ERROR_TEXT; padding: 6px; border: 1px solid #e57373;
                    border-radius: 4px; background: rgba(229, 115, 115, 0.10); }
QLabel#paramSummary { color: palette(placeholder-text); padding-left: 6px; }
QGroupBox { font-weight: 600; margin-top: 10px; }
QToolButton#groupHeader { border: none; font-weight: 600; padding: 2px 0; }
QGroupBox::title { subcontrol-origin: margin; left: 6px; padding: 0 3px; }
"""
#: The smallest default size of the prompt and output font: the system's general font (often
#: 9 pt) is too small to write prompts in. A font the person chose is used as chosen.
TEXT_POINT_SIZE = 11.0
#: Error text that stays readable on each background.
_ERROR_TEXT = {False: "#c62828", True: "#ff8a80"}


@dataclass(frozen=True)
class Appearance:
    theme: Theme = "system"
    #: The prompt and output font, as `QFont.toString()`; empty means the system's font, at
    #: `TEXT_POINT_SIZE` at least.
    text_font: str = ""

    @classmethod
    def load(cls) -> Appearance:
        settings = QSettings()
        theme = str(settings.value("appearance/theme", "system"))
        return cls(theme=theme if theme in THEMES else "system",  # type: ignore[arg-type]
                   text_font=str(settings.value("appearance/text_font", "")))

    def save(self) -> None:
        settings = QSettings()
        settings.setValue("appearance/theme", self.theme)
        settings.setValue("appearance/text_font", self.text_font)

    def font(self) -> QFont:
        if self.text_font:
            font = QFont()
            if font.fromString(self.text_font):
                return font
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
        if font.pointSizeF() < TEXT_POINT_SIZE:
            font.setPointSizeF(TEXT_POINT_SIZE)
        return font


def _dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2d30", QPalette.ColorRole.WindowText: "#dfe1e5",
        QPalette.ColorRole.Base: "#1e1f22", QPalette.ColorRole.AlternateBase: "#2b2d30",
        QPalette.ColorRole.Text: "#dfe1e5", QPalette.ColorRole.Button: "#393b40",
        QPalette.ColorRole.ButtonText: "#dfe1e5", QPalette.ColorRole.Highlight: "#2f65ca",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#393b40",
        QPalette.ColorRole.ToolTipText: "#dfe1e5", QPalette.ColorRole.PlaceholderText: "#868a91",
        QPalette.ColorRole.Link: "#6aa0f8", QPalette.ColorRole.BrightText: "#ff6b6b",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f737a"))
    return palette


def is_dark(theme: Theme) -> bool:
    if theme == "system":
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    return theme == "dark"


#: Command-line arguments for a QApplication made in the app's style from the start.
STYLE_ARGS = ["-style", "Fusion"]


def apply_appearance(app: QApplication, appearance: Appearance | None = None, *,
                     fresh: bool = False) -> Appearance:
    """Apply (and return) the stored appearance, or the given one. `fresh`: `app` was just
    made with `STYLE_ARGS` and no palette set, so the style is in place and a light theme
    needs nothing (touching the style from Python costs ~5 ms of the first frame: PySide
    builds the QStyle type and its nine enums)."""
    appearance = appearance or Appearance.load()
    dark = is_dark(appearance.theme)
    if not fresh:
        app.setStyle("Fusion")
    if dark:
        app.setPalette(_dark_palette())
    elif not fresh:
        app.setPalette(app.style().standardPalette())
    app.setStyleSheet(_STYLE.replace("ERROR_TEXT", _ERROR_TEXT[dark]))
    return appearance
