"""GUI tests: the real window on the offscreen platform (fixtures in tests/gui.py)."""

from __future__ import annotations

from tests.gui import qloop, settings

__all__ = ["qloop", "settings"]
