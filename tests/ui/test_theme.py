"""The text font: large enough to write prompts in by default, the person's own when chosen."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont

from playground.ui.theme import TEXT_POINT_SIZE, Appearance

pytestmark = pytest.mark.gui


def test_the_default_text_font_is_at_least_11_points(qapp) -> None:
    assert TEXT_POINT_SIZE == 11
    assert Appearance().font().pointSizeF() >= 11


def test_a_chosen_font_is_used_as_chosen(qapp) -> None:
    small = QFont("DejaVu Sans", 9)
    assert Appearance(text_font=small.toString()).font().pointSizeF() == 9
