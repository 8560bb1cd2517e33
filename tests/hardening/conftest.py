"""The hardening suites: a fault matrix, crash safety, fuzzing and a secret scan.

GUI cases use the same real window on a qasync loop as tests/ui (tests/gui.py's fixtures;
garbage is collected in the GUI thread after every test by tests/conftest.py).
"""

from __future__ import annotations

from tests.gui import qloop, settings

__all__ = ["qloop", "settings"]
