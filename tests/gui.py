"""What GUI tests share: the real window on the offscreen platform, driven on a real qasync
loop. The conftest of each folder with GUI tests imports the fixtures (`settings` is autouse
there); test modules import `next_emission`.

Test bodies are coroutines run with `qloop.run_until_complete`; they wait with asyncio (never
with a nested Qt loop such as qtbot.wait, which hangs inside a qasync coroutine)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings, QStandardPaths, SignalInstance


@pytest.fixture(autouse=True)
def settings(qapp, tmp_path: Path) -> Iterator[Path]:
    """QSettings under tmp_path (never the user's own), and the app's look restored after."""
    folder = tmp_path / "qsettings"
    scope, fmt = QSettings.Scope.UserScope, QSettings.Format.NativeFormat
    organization, palette, sheet = qapp.organizationName(), qapp.palette(), qapp.styleSheet()
    style = qapp.style().name()
    qapp.setOrganizationName("playground-tests")
    QSettings.setPath(fmt, scope, str(folder))
    yield folder
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.GenericConfigLocation))
    qapp.setOrganizationName(organization)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


@pytest.fixture
def qloop(qapp) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    previous_hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook,
                           finalizer=loop._asyncgen_finalizer_hook)
    yield loop
    sys.set_asyncgen_hooks(*previous_hooks)
    loop.close()
    asyncio.set_event_loop(None)


async def next_emission(signal: SignalInstance, timeout: float = 30) -> Any:
    """Wait for `signal`'s next emission and return its first argument."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def receive(*args: Any) -> None:
        if not future.done():
            future.set_result(args[0] if args else None)

    signal.connect(receive)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        signal.disconnect(receive)


def fault_window(qtbot: Any, fault_server: Any, scenarios: tuple[str, ...]) -> Any:
    """The real window, shown, with a saved connection ``fault-NAME`` per fault-server
    scenario."""
    from playground.core.connections import Connection, ConnectionStore
    from playground.ui.main_window import MainWindow

    store = ConnectionStore()
    for scenario in scenarios:
        store.add(Connection(name=f"fault-{scenario}", base_url=fault_server.url(scenario)))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


async def use_listed(window: Any, name: str, model: str) -> None:
    """Start the window's services, choose connection `name` and `model`, and wait for the
    connection's model list (the model's context length, prices and chat template)."""
    await window.start_services()
    listed = asyncio.ensure_future(next_emission(window.bar.models_listed))
    use(window, name, model)
    await listed


def use(window: Any, name: str, model: str = "m") -> None:
    """Choose connection `name` and type `model` into the model field."""
    window.connection_box.setCurrentIndex(window.connection_box.findData(name))
    window.model_picker.set_model_text(model)
