"""The hardening suites: a fault matrix, crash safety, fuzzing and a secret scan.

GUI cases use the same real window on a qasync loop as tests/ui (its fixtures are shared here).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.ui.conftest import qloop, settings

__all__ = ["collect_in_gui_thread", "qloop", "settings"]


@pytest.fixture(autouse=True)
def collect_in_gui_thread() -> Iterator[None]:
    """Collect each test's garbage here, in the GUI thread. Qt objects caught in reference
    cycles are otherwise freed by whichever thread next triggers a collection (the fault
    server's, an executor's), and Qt objects must die in the thread that owns them."""
    yield
    gc.collect()
