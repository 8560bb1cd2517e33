"""A key per connection: set in Settings, sent by the window to its own connection only, and
over plain http to a host that is not loopback only once the person has said yes.

Real parts throughout: the in-memory keyring backend, connections.json under PLAYGROUND_HOME,
the fault server (which records every request). 0.0.0.0 reaches the fault server on this
computer but is not a loopback address: a stand-in for a server across the network.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from playground.core.connections import Connection, ConnectionStore
from playground.core.keys import SERVICE, KeyStore
from playground.ui.main_window import MainWindow
from playground.ui.settings_dialog import SettingsDialog
from tests.fault_server import FaultServer
from tests.gui import next_emission
from tests.hardening.helpers import files_holding

pytestmark = pytest.mark.gui

LAN = "http://192.0.2.10:8080/v1"  # TEST-NET-1 (RFC 5737): never routed anywhere


def saved_connections(home: Path) -> list[dict]:
    return json.loads((home / "config" / "connections.json").read_text())


def choose(box: QComboBox, name: str) -> None:
    index = box.findData(name)
    assert index >= 0, name
    box.setCurrentIndex(index)


def questions(parent: QWidget) -> list[QMessageBox]:
    return [box for box in parent.findChildren(QMessageBox) if box.isVisible()]


def the_question(parent: QWidget) -> QMessageBox:
    [box] = questions(parent)
    return box


def answer(box: QMessageBox, text: str) -> None:
    [button] = [b for b in box.buttons() if b.text() == text]
    button.click()


def unnamed_controls(root: QWidget) -> list[QWidget]:
    """Visible fields without an accessible name, and buttons with neither text nor one."""
    def unnamed(w: QWidget) -> bool:
        if isinstance(w, QAbstractButton):
            return not (w.text() or w.accessibleName())
        return (isinstance(w, QLineEdit | QComboBox | QPlainTextEdit)
                and not isinstance(w.parent(), QComboBox) and not w.accessibleName())

    return [w for w in root.findChildren(QWidget) if w.isVisibleTo(root) and unnamed(w)]


# -- Settings -----------------------------------------------------------------------------------

def test_settings_keep_a_key_per_connection(qtbot, settings, memory_keyring, key: str,
                                            playground_home: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = ConnectionStore()
    store.add(Connection(name="box", base_url="http://127.0.0.1:8080/v1"))
    store.add(Connection(name="lan", base_url=LAN))
    monkeypatch.setenv("PLAYGROUND_LAN_KEY", key)
    dialog = SettingsDialog(KeyStore())
    qtbot.addWidget(dialog)
    emitted: list[str] = []
    dialog.connections_changed.connect(lambda: emitted.append("connections"))
    dialog.show()
    box = dialog.connections_page.key_box
    chooser = box.connection_box
    assert [chooser.itemData(i) for i in range(chooser.count())] == ["nanogpt", "box", "lan"]
    assert chooser.currentText() == "NanoGPT"
    assert "requests to NanoGPT will be refused" in box.source_label.text()
    assert not box.permission_label.isVisible()

    # A key for "box" goes to the keyring under "box", and only there.
    choose(chooser, "box")
    assert box.key_edit.accessibleName() == "box API key"
    assert "No key set: requests to box go without one" in box.source_label.text()
    assert "PLAYGROUND_BOX_KEY" in box.source_label.text()
    box.key_edit.setText(key)
    box.save_button.click()
    assert memory_keyring.store == {(SERVICE, "box"): key}
    assert box.key_edit.text() == "" and not box.key_edit.isUndoAvailable()
    assert "system keyring" in box.source_label.text()
    assert box.remove_button.isEnabled()
    assert not box.permission_label.isVisible()  # loopback: nothing to confirm
    choose(chooser, "nanogpt")
    assert "No key set" in box.source_label.text()
    assert not box.remove_button.isEnabled()

    # "lan": its key is named by its environment variable; plain http elsewhere is explained.
    choose(chooser, "lan")
    assert "PLAYGROUND_LAN_KEY environment variable" in box.source_label.text()
    assert box.permission_label.isVisible()
    assert "192.0.2.10 is plain http" in box.permission_label.text()
    assert "asks before" in box.permission_label.text()
    assert not box.forget_button.isVisible()
    assert unnamed_controls(dialog) == []

    # The window remembers a yes; Settings shows it and can forget it.
    store.allow_insecure_key("lan")
    dialog.connections_page.reload()
    assert chooser.currentData() == "lan"
    assert "you allowed" in box.permission_label.text()
    assert box.forget_button.isVisible()
    assert unnamed_controls(dialog) == []
    box.forget_button.click()
    assert "insecure_key_ok" not in saved_connections(playground_home)[1]
    assert not box.forget_button.isVisible()
    assert "asks before" in box.permission_label.text()

    # Removing "box"'s key, then "box" itself, takes it out of the chooser.
    choose(chooser, "box")
    box.remove_button.click()
    assert memory_keyring.store == {}
    assert emitted == ["connections"] * 3
    KeyStore().set("box", key)  # saved again: removing the connection forgets it as well
    table = dialog.connections_page.connections_box
    table.table.selectRow(2)
    table.remove_button.click()
    assert [chooser.itemData(i) for i in range(chooser.count())] == ["nanogpt", "lan"]
    assert memory_keyring.store == {}
    table.name_edit.setText("new-box")
    table.url_edit.setText("http://127.0.0.1:9/v1")
    table.dialect_box.setCurrentText("openai")  # chosen, so it is saved at once
    table.add_button.click()
    assert chooser.findData("new-box") == 2
    assert key not in json.dumps(saved_connections(playground_home))


# -- the window ---------------------------------------------------------------------------------

def use(window: MainWindow, name: str) -> None:
    choose(window.connection_box, name)
    window.model_picker.set_model_text("m")


def test_a_custom_connection_sends_its_key_to_itself_only(
        key: str, memory_keyring, fault_server: FaultServer, other_server: FaultServer,
        playground_home: Path, qtbot, qloop, settings: Path) -> None:
    store = ConnectionStore()
    store.add(Connection(name="box", base_url=fault_server.url("ok")))
    store.add(Connection(name="keyless", base_url=other_server.url("ok")))
    KeyStore().set("box", key)
    seen_box, seen_other = len(fault_server.requests), len(other_server.requests)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()

    async def body() -> None:
        await win.start_services()
        for name in ("box", "keyless"):
            use(win, name)
            assert win.intents.run(), win.error_label.text()
            result = await next_emission(win.run_finished)
            assert result.error is None and result.text == "Hello, world!"

    qloop.run_until_complete(body())
    assert questions(win) == []  # loopback: nothing to confirm
    to_box = fault_server.requests[seen_box:]
    assert any(r.path == "/ok/v1/completions" for r in to_box)
    assert all(r.headers.get("authorization") == f"Bearer {key}" for r in to_box)
    to_other = other_server.requests[seen_other:]
    assert any(r.path == "/ok/v1/completions" for r in to_other)
    assert [r.headers for r in to_other if "authorization" in r.headers] == []
    assert [r for r in to_other if key.encode() in r.body] == []
    qloop.run_until_complete(win.shutdown())


def test_the_preview_names_the_key_a_custom_connection_sends(
        key: str, memory_keyring, fault_server: FaultServer, playground_home: Path, qtbot,
        qloop, settings: Path) -> None:
    store = ConnectionStore()
    store.add(Connection(name="box", base_url=fault_server.url("ok")))
    store.add(Connection(name="keyless", base_url=fault_server.url("ok")))
    KeyStore().set("box", key)
    win = MainWindow()
    qtbot.addWidget(win)
    qloop.run_until_complete(win.start_services())
    use(win, "box")
    win.dialogs.open_preview()
    pages = win.dialogs.get("preview").pages
    headers = pages["Headers"].text()
    assert "Authorization: Bearer $PLAYGROUND_BOX_KEY" in headers
    assert 'os.environ["PLAYGROUND_BOX_KEY"]' in pages["Python"].text()
    assert key not in headers + pages["curl"].text()
    use(win, "keyless")
    win.dialogs.open_preview()
    assert "Authorization" not in win.dialogs.get("preview").pages["Headers"].text()
    qloop.run_until_complete(win.shutdown())


def open_with_lan_connection(fault_server: FaultServer, key: str,
                             qtbot) -> tuple[MainWindow, int]:
    """A window with connection "lan": plain http to a non-loopback address (0.0.0.0 reaches
    the fault server) with a key. Also how many requests the server had seen before."""
    url = fault_server.url("ok").replace("127.0.0.1", "0.0.0.0")
    ConnectionStore().add(Connection(name="lan", base_url=url))
    KeyStore().set("lan", key)
    seen = len(fault_server.requests)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win, seen


def test_plain_http_elsewhere_asks_before_the_key_is_sent(
        key: str, memory_keyring, fault_server: FaultServer, playground_home: Path,
        qtbot, qloop, settings: Path) -> None:
    win, seen = open_with_lan_connection(fault_server, key, qtbot)

    def sent() -> list[str]:
        """The completion requests since the start that carried the key."""
        return [r.path for r in fault_server.requests[seen:] if r.path.endswith("/completions")
                and r.headers.get("authorization") == f"Bearer {key}"]

    def completions() -> int:
        return sum(r.path.endswith("/completions") for r in fault_server.requests[seen:])

    async def body() -> None:
        await win.start_services()
        use(win, "lan")
        win.prompt_edit.setPlainText("Hi")

        # Run and Continue ask first; Cancel sends nothing and says why.
        for start in (win.intents.run, win.intents.continue_run):
            assert not start()
            question = the_question(win)
            assert "0.0.0.0" in question.text()
            assert "unencrypted" in question.informativeText()
            assert [b.text() for b in question.buttons()] == ["Send the Key", "Cancel"]
            answer(question, "Cancel")
            assert questions(win) == []
            assert "Not run: the key of lan is not sent to 0.0.0.0" in win.error_label.text()
            assert win.prompt_edit.toPlainText() == "Hi"
            assert not win.undo_action.isEnabled()
        await asyncio.sleep(0.3)  # time enough for a request wrongly started to arrive
        assert completions() == 0
        assert [r for r in fault_server.requests[seen:] if "authorization" in r.headers] == []
        assert "insecure_key_ok" not in saved_connections(playground_home)[0]

        # "Send the Key" remembers it and runs what was asked for, with the key.
        assert not win.intents.run()
        answer(the_question(win), "Send the Key")  # the run starts; it streams on the loop
        result = await next_emission(win.run_finished)
        assert result.error is None and result.text == "Hello, world!"
        assert sent() == ["/ok/v1/completions"]
        assert saved_connections(playground_home)[0]["insecure_key_ok"] is True

        # Asked once per connection: the next run goes at once.
        assert win.intents.run()
        assert questions(win) == []
        await next_emission(win.run_finished)
        assert sent() == ["/ok/v1/completions"] * 2

    qloop.run_until_complete(body())
    qloop.run_until_complete(win.shutdown())
    assert files_holding(key, playground_home, settings) == []


def test_compare_asks_too_and_forgetting_asks_again(
        key: str, memory_keyring, fault_server: FaultServer, playground_home: Path,
        qtbot, qloop, settings: Path) -> None:
    win, seen = open_with_lan_connection(fault_server, key, qtbot)

    async def body() -> None:
        await win.start_services()
        use(win, "lan")
        win.prompt_edit.setPlainText("Hi")
        win.dialogs.open_compare()
        compare = win.dialogs.get("compare")
        compare.run_all()
        assert "the key of lan is not sent to 0.0.0.0" in compare.error.text()
        answer(the_question(compare), "Send the Key")
        runs = await next_emission(compare.recorded)
        assert len(runs) == 2 and all(run.result.error is None for run in runs)
        completions = [r for r in fault_server.requests[seen:]
                       if r.path.endswith("/completions")]
        assert len(completions) == 2
        assert {r.headers.get("authorization") for r in completions} == {f"Bearer {key}"}

        # Settings forgets the permission: the window asks again before the next run.
        win.dialogs.open_settings()
        box = win.dialogs.get("settings").connections_page.key_box
        choose(box.connection_box, "lan")
        box.forget_button.click()
        assert not win.intents.run()
        answer(the_question(win), "Cancel")
        assert "insecure_key_ok" not in saved_connections(playground_home)[0]
        await compare.shutdown()

    qloop.run_until_complete(body())
    qloop.run_until_complete(win.shutdown())


def test_a_nanogpt_connection_can_send_the_fields_it_does_not_document(
        qtbot, playground_home: Path) -> None:
    win = MainWindow()
    qtbot.addWidget(win)
    choose(win.connection_box, "nanogpt")
    dry = win.params.rows["dry_multiplier"]
    assert not dry.field.isEnabled()  # greyed: NanoGPT does not document it
    win.params.set_values({"dry_multiplier": 0.8, "temperature": 0.7})
    assert "dry_multiplier" not in win.intents.build_request().wire_body()
    win.dialogs.open_settings()
    box = win.dialogs.get("settings").connections_page.key_box
    choose(box.connection_box, "nanogpt")
    assert box.undocumented_box.isVisibleTo(box) and not box.undocumented_box.isChecked()
    box.undocumented_box.click()
    assert dry.field.isEnabled()
    request = win.intents.build_request()
    assert request.wire_body()["dry_multiplier"] == 0.8
    assert any(note.startswith("sent dry_multiplier: NanoGPT does not document it")
               for note in request.translation().notes)
    saved = json.loads((playground_home / "config" / "connections.json").read_text())
    assert saved == [{"name": "nanogpt", "kind": "nanogpt",
                      "base_url": "https://nano-gpt.com/api/v1", "dialect": "nanogpt",
                      "send_undocumented": True}]
    assert ConnectionStore().get("nanogpt").send_undocumented
    assert ConnectionStore().custom() == []  # still the built-in one, not a copy
    box.undocumented_box.click()
    assert not dry.field.isEnabled()
    assert "dry_multiplier" not in win.intents.build_request().wire_body()
