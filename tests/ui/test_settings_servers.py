"""Settings → Connections against real loopback servers: a new server's dialect is detected,
and each saved server has a Test that runs the CLI's check on the qasync loop."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QWidget

from playground.core.connections import Connection, ConnectionStore
from playground.core.keys import KeyStore
from playground.ui.settings_dialog import ConnectionsBox, SettingsDialog
from tests.fault_server import FaultServer
from tests.gui import next_emission

pytestmark = pytest.mark.gui


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dialog(qtbot) -> Iterator[SettingsDialog]:
    """The dialog over a window, as the app opens it: closing it does not end the app."""
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    dialog = SettingsDialog(KeyStore(), window)
    dialog.show()
    yield dialog
    dialog.reject()  # stops what a test left running, before its loop closes


def servers(dialog: SettingsDialog) -> ConnectionsBox:
    return dialog.connections_page.connections_box


def row_of(box: ConnectionsBox, name: str) -> int:
    (row,) = [r for r in range(box.table.rowCount()) if box.table.item(r, 0).text() == name]
    return row


def saved(name: str, url: str) -> None:
    ConnectionStore().add(Connection.checked(name=name, base_url=url, dialect="openai"))


def test_adding_a_server_detects_its_dialect(qloop, dialog, fault_server: FaultServer,
                                             playground_home) -> None:
    box = servers(dialog)
    assert box.dialect_box.currentText() == "Detect automatically"

    async def body() -> None:
        box.name_edit.setText("llama-box")
        box.url_edit.setText(fault_server.url("llamacpp"))
        changed = asyncio.ensure_future(next_emission(box.changed))
        await asyncio.sleep(0)  # it listens from now on
        box.add_button.click()
        assert box.added_label.isVisible()
        assert box.added_label.text().startswith("Asking http://127.0.0.1:")
        assert not box.add_button.isEnabled()
        note = await next_emission(box.detected)
        await changed
        assert note == "llama-box: detected: llama.cpp (owned_by llamacpp)"
        assert box.added_label.text() == note and box.added_label.isVisible()
        assert box.add_button.isEnabled()
        row = row_of(box, "llama-box")
        assert box.table.item(row, box.DIALECT).text() == "llama.cpp"
        stored = json.loads((playground_home / "config" / "connections.json").read_text())
        assert stored[0]["dialect"] == "llama.cpp"

    qloop.run_until_complete(body())


def test_an_unreachable_new_server_is_added_as_plain_openai_with_a_note(qloop, dialog) -> None:
    box = servers(dialog)

    async def body() -> None:
        box.name_edit.setText("gone")
        box.url_edit.setText(f"http://127.0.0.1:{closed_port()}/v1")
        box.url_edit.returnPressed.emit()
        note = await next_emission(box.detected)
        assert note == ("gone: not detected (could not connect to 127.0.0.1); using plain "
                        "OpenAI-compatible (openai)")
        assert ConnectionStore().get("gone").dialect == "openai"

    qloop.run_until_complete(body())


def test_only_saved_servers_have_a_test_button(dialog) -> None:
    saved("mine", "http://127.0.0.1:9/v1")
    box = servers(dialog)
    box.reload()
    assert [box.table.cellWidget(r, box.TEST) is not None for r in range(3)] == [
        False, False, True]
    assert box.table.cellWidget(2, box.TEST).accessibleName() == "Test mine"


def test_testing_a_saved_server_shows_models_and_dialect(qloop, dialog,
                                                        fault_server: FaultServer) -> None:
    # The fault server lists two models on any path; "json" answers the completion whole.
    saved("box", fault_server.url("json"))
    box = servers(dialog)
    box.reload()

    async def body() -> None:
        tested = asyncio.ensure_future(next_emission(box.tested))
        await asyncio.sleep(0)
        box.table.cellWidget(row_of(box, "box"), box.TEST).click()
        assert box.table.item(row_of(box, "box"), box.RESULT).text() == "Testing…"
        assert await tested == "box"
        result = box.table.item(row_of(box, "box"), box.RESULT).text()
        assert re.fullmatch(r"reachable · 2 models · dialect openai · \d+ ms", result)
        assert box.table.item(row_of(box, "box"), box.RESULT).toolTip() == result
        sent = fault_server.requests[-1]
        assert sent.path == "/json/v1/completions" and sent.json()["max_tokens"] == 1

    qloop.run_until_complete(body())


def test_a_refused_test_shows_status_code_and_message_and_sent_the_saved_key(
        qloop, dialog, fault_server: FaultServer, memory_keyring, key: str) -> None:
    saved("locked", fault_server.url("e401"))
    box = servers(dialog)
    box.keys.set("locked", key)
    box.reload()

    async def body() -> None:
        tested = asyncio.ensure_future(next_emission(box.tested))
        await asyncio.sleep(0)
        box.test("locked")
        await tested
        assert box.table.item(row_of(box, "locked"), box.RESULT).text() == (
            "failed: HTTP 401 [invalid_api_key]: Invalid API key")
        assert fault_server.requests[-1].headers["authorization"] == f"Bearer {key}"

    qloop.run_until_complete(body())


def test_an_unreachable_saved_server_fails_its_test(qloop, dialog) -> None:
    port = closed_port()
    saved("gone", f"http://127.0.0.1:{port}/v1")
    box = servers(dialog)
    box.reload()

    async def body() -> None:
        tested = asyncio.ensure_future(next_emission(box.tested))
        await asyncio.sleep(0)
        box.test("gone")
        await tested
        assert box.table.item(row_of(box, "gone"), box.RESULT).text().startswith(
            "failed: Network error [connect_error]: could not connect to 127.0.0.1")

    qloop.run_until_complete(body())


def test_closing_the_dialog_cancels_a_running_test(qloop, dialog,
                                                   fault_server: FaultServer) -> None:
    # "stall" sends a little and then nothing for 5 s: the test is still running when closed.
    saved("slow", fault_server.url("stall"))
    box = servers(dialog)
    box.reload()
    results: list[str] = []
    box.tested.connect(lambda name, result: results.append(result))

    async def body() -> None:
        box.test("slow")
        task = box._jobs._tasks["test slow"]
        while not any(r.path == "/stall/v1/completions" for r in fault_server.requests):
            await asyncio.sleep(0.01)
        dialog.reject()
        assert not dialog.isVisible()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        assert box.table.item(row_of(box, "slow"), box.RESULT).text() == ""
        await asyncio.sleep(0.05)
        assert results == []

    qloop.run_until_complete(body())
