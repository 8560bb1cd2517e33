"""Secrets: the API key is shown nowhere, stored nowhere but the keyring, and sent only to its
own connection's host; over plain http to a host that is not loopback, only after the person
confirmed it.

A session sets a key, runs (window and CLI, against the fault server, which records every
request), saves presets, exports history and takes a screenshot; then every file the app wrote,
every line the CLI printed, the local engine's log and every text the window and its dialogs can
show are searched for the key, as UTF-8, UTF-16, base64 and its middle part.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QFileDialog, QInputDialog

from playground.cli.launch import api_key_for, insecure_key_allowed
from playground.core import connections
from playground.core.client import CompletionClient
from playground.core.connections import (
    BUILTIN,
    Connection,
    ConnectionStore,
    is_loopback,
    key_needs_confirmation,
)
from playground.core.errors import InvalidParameter
from playground.core.keys import SERVICE, KeyStore
from playground.ui.main_window import MainWindow
from tests.fault_server import FaultServer
from tests.gui import next_emission
from tests.hardening.helpers import files_holding, needles, open_dialog, rendered_texts


def holds(secret: str, text: str | bytes) -> bool:
    data = text.encode() if isinstance(text, str) else text
    return any(needle in data for needle in needles(secret))


def seen_by(server: FaultServer, since: int) -> list[str]:
    """Everything the requests since `since` carried: path, each header, body."""
    return [f"{r.path} {json.dumps(r.headers)} {r.body.decode('utf-8', 'replace')}"
            for r in server.requests[since:]]


# -- the window ---------------------------------------------------------------------------------

@pytest.mark.gui
def test_window_session(key: str, memory_keyring, fault_server: FaultServer,
                        other_server: FaultServer, qtbot, qloop, settings: Path,
                        playground_home: Path, shared_cache: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    # NanoGPT's connection, pointed at the loopback fault server; another server on the side.
    nanogpt = Connection(name="nanogpt", kind="nanogpt", base_url=fault_server.url("ok"))
    monkeypatch.setattr(connections, "BUILTIN", (BUILTIN[0], nanogpt))
    ConnectionStore().add(Connection(name="other", base_url=other_server.url("ok")))
    seen_a, seen_b = len(fault_server.requests), len(other_server.requests)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()

    # The key is typed into Settings and saved: into the keyring, out of the field for good.
    window.dialogs.open_settings()
    box = window.dialogs.get("settings").connections_page.key_box
    box.key_edit.setText(key)
    box.save_button.click()
    assert memory_keyring.store[(SERVICE, "nanogpt")] == key
    box.key_edit.undo()
    assert box.key_edit.text() == ""
    assert "system keyring" in box.source_label.text()

    def choose(name: str) -> None:
        window.connection_box.setCurrentIndex(window.connection_box.findData(name))
        window.model_picker.set_model_text("m")

    async def session() -> None:
        await window.start_services()
        for name in ("nanogpt", "other"):
            choose(name)
            window.prompt_edit.setPlainText(f"a run on {name}")
            assert window.intents.run(), window.error_label.text()
            result = await next_emission(window.run_finished)
            assert result.error is None and result.text == "Hello, world!"
        choose("nanogpt")
        window.dialogs.open_preview()  # shows the key's placeholder, not the key
        assert "$NANOGPT_API_KEY" in window.dialogs.get("preview").pages["curl"].text()
        await asyncio.sleep(0.3)  # the model list and providers of the connections arrive
        choose("other")

    qloop.run_until_complete(session())

    # A preset saved from the window, the history exported as JSON and as Markdown.
    window.presets.save_as_action.trigger()
    dialog = open_dialog(window.presets, QInputDialog)
    dialog.setTextValue("Secretless")
    dialog.accept()
    window.dialogs.open_history()
    panel = window.dialogs.get("history")
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in range(panel.table.rowCount()):
        panel.table.selectionModel().select(panel.table.model().index(row, 0), flags)
    exports = playground_home / "exports"
    exports.mkdir()
    for name_filter, target in (("JSON (*.json)", exports / "runs.json"),
                                ("Markdown (*.md)", exports / "runs.md")):
        panel.export_button.click()
        chooser = open_dialog(panel, QFileDialog)
        chooser.selectNameFilter(name_filter)
        chooser.fileSelected.emit(str(target))
        chooser.close()
    assert len(json.loads((exports / "runs.json").read_text())["runs"]) == 2
    assert "a run on nanogpt" in (exports / "runs.md").read_text()
    assert (playground_home / "config" / "presets" / "secretless.json").exists()

    # Nothing the window or its dialogs can show holds the key.
    shown = [(where, text) for where, text in rendered_texts(window) if holds(key, text)]
    assert shown == []
    qloop.run_until_complete(window.shutdown())
    window.close()  # saves the draft and the window state

    # Sent with every request to its own connection's host, and to no other.
    to_a = fault_server.requests[seen_a:]
    assert to_a and all(r.headers.get("authorization") == f"Bearer {key}" for r in to_a)
    assert any(r.path == "/ok/v1/completions" for r in to_a)
    to_b = seen_by(other_server, seen_b)
    assert any("/ok/v1/completions" in r for r in to_b)
    assert [r for r in to_b if holds(key, r) or "authorization" in r] == []

    # The screenshot of the next start, with the key in the environment.
    shot = playground_home / "shot.png"
    out = subprocess.run([sys.executable, "-m", "playground", "--screenshot", str(shot)],
                         capture_output=True, timeout=120,
                         env={**_env(), "NANOGPT_API_KEY": key})
    assert out.returncode == 0, out.stderr
    assert shot.stat().st_size > 10_000
    assert not holds(key, out.stdout + out.stderr)
    assert files_holding(key, playground_home, shared_cache, settings) == []


def _env() -> dict[str, str]:
    return dict(os.environ)


# -- the CLI ------------------------------------------------------------------------------------

def test_cli_session(key: str, fault_server: FaultServer, other_server: FaultServer,
                     playground_home: Path, shared_cache: Path) -> None:
    store = ConnectionStore()
    store.add(Connection(name="alpha", base_url=fault_server.url("ok"), default_model="m"))
    store.add(Connection(name="alpha-err", base_url=fault_server.url("e401"),
                         default_model="m"))
    store.add(Connection(name="beta", base_url=other_server.url("ok"), default_model="m"))
    env = {**_env(), "PLAYGROUND_ALPHA_KEY": key, "PLAYGROUND_ALPHA_ERR_KEY": key,
           "NANOGPT_API_KEY": key}
    seen_a, seen_b = len(fault_server.requests), len(other_server.requests)
    commands = [
        ["run", "--connection", "alpha", "--prompt", "hi"],
        ["run", "--connection", "alpha", "--prompt", "hi", "--json"],
        ["run", "--connection", "alpha-err", "--prompt", "hi"],
        ["run", "--connection", "beta", "--prompt", "hi"],
        ["compare", "--connection", "alpha", "--prompt", "hi", "--seeds", "2", "--json"],
        ["models", "--connection", "alpha"],
        ["connections", "test", "alpha"],
        ["connections", "list", "--json"],
        ["run", "--connection", "nanogpt", "--prompt", "hi", "--dry-run", "curl"],
        ["run", "--prompt", "The function", "--set", "max_tokens=3"],  # the local engine
        ["presets", "export", "Creative", "--format", "sillytavern", "-o",
         str(playground_home / "creative.json")],
        ["history", "show", "1", "--json"],
    ]
    outputs = []
    for command in commands:
        out = subprocess.run([sys.executable, "-m", "playground", *command],
                             capture_output=True, timeout=120, env=env)
        outputs.append((command, out.returncode, out.stdout + out.stderr))
    codes = [code for _, code, _ in outputs]
    assert codes == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0], outputs
    assert [(c, o) for c, _, o in outputs if holds(key, o)] == []
    assert b"Bearer $NANOGPT_API_KEY" in outputs[8][2]
    assert b"HTTP 401 [invalid_api_key]" in outputs[2][2]

    to_a = fault_server.requests[seen_a:]
    assert len(to_a) >= 7
    assert all(r.headers.get("authorization") == f"Bearer {key}" for r in to_a)
    to_b = seen_by(other_server, seen_b)
    assert len(to_b) == 1
    assert [r for r in to_b if holds(key, r) or "authorization" in r] == []
    assert files_holding(key, playground_home, shared_cache) == []
    assert (shared_cache / "engine" / "server.log").exists()  # it was searched


# -- plain http to a host that is not loopback ---------------------------------------------------

@pytest.mark.parametrize(("url", "loopback", "confirm"), [
    ("http://127.0.0.1:8080/v1", True, False),
    ("http://127.3.4.5/v1", True, False),
    ("http://localhost:11434/v1", True, False),
    ("http://LOCALHOST./v1", True, False),
    ("http://[::1]:8080/v1", True, False),
    ("http://[::ffff:127.0.0.1]:8080/v1", True, False),
    ("https://nano-gpt.com/api/v1", False, False),
    ("https://192.168.1.5/v1", False, False),
    ("http://192.168.1.5:8080/v1", False, True),
    ("http://nano-gpt.com/api/v1", False, True),
    ("http://127.example.com/v1", False, True),  # a name, not an address
    ("http://localhost.example.com/v1", False, True),
    ("http://0.0.0.0:8080/v1", False, True),
    ("http://[fe80::1]/v1", False, True),
])
def test_which_urls_need_a_confirmation(url: str, loopback: bool, confirm: bool) -> None:
    assert is_loopback(url) is loopback
    assert key_needs_confirmation(url) is confirm


LAN = "http://192.168.1.5:8080/v1"


def test_the_client_refuses_a_key_for_plain_http_elsewhere(key: str) -> None:
    with pytest.raises(InvalidParameter, match=r"api_key: http://192\.168\.1\.5:8080/v1 is "
                                               r"plain http") as info:
        CompletionClient(LAN, key)
    assert key not in info.value.message
    client = CompletionClient(LAN)  # no key: fine
    with pytest.raises(InvalidParameter, match="plain http"):
        client.set_api_key(key)
    assert client._auth() == {}
    client.set_api_key(None)
    for confirmed in (CompletionClient(LAN, key, allow_insecure_key=True),
                      CompletionClient("https://192.168.1.5/v1", key),
                      CompletionClient("http://127.0.0.1:9/v1", key)):
        assert confirmed._auth() == {"Authorization": f"Bearer {key}"}
    for opened in (client, confirmed):
        asyncio.run(opened.aclose())


def test_api_key_for_asks_for_a_confirmation(key: str, memory_keyring,
                                             playground_home: Path) -> None:
    KeyStore().set("lan", key)
    KeyStore().set("box", key)
    store = ConnectionStore()
    store.add(Connection(name="lan", base_url=LAN))
    store.add(Connection(name="box", base_url="http://127.0.0.1:8080/v1"))
    lan = store.get("lan")
    with pytest.raises(InvalidParameter) as info:
        api_key_for(lan)
    assert info.value.field == "api_key"
    assert LAN in info.value.message and "--allow-insecure-key" in info.value.message
    assert key not in info.value.message
    assert api_key_for(lan, allow_insecure=True) == key
    assert insecure_key_allowed(lan, True) and not insecure_key_allowed(lan)
    assert api_key_for(store.get("box")) == key  # loopback: no question
    assert api_key_for(Connection(name="nokey", base_url=LAN)) is None  # no key: nothing to ask

    # The confirmation, remembered in connections.json for that connection only.
    remembered = store.allow_insecure_key("lan")
    assert remembered.insecure_key_ok and not remembered.key_needs_confirmation
    assert api_key_for(ConnectionStore().get("lan")) == key
    assert insecure_key_allowed(ConnectionStore().get("lan"))
    saved = json.loads(store.path.read_text())
    assert saved == [{"name": "box", "kind": "custom", "base_url": "http://127.0.0.1:8080/v1",
                      "dialect": "nanogpt"},
                     {"name": "lan", "kind": "custom", "base_url": LAN, "dialect": "nanogpt",
                      "insecure_key_ok": True}]
    store.allow_insecure_key("lan", False)
    assert "insecure_key_ok" not in json.loads(store.path.read_text())[1]
    with pytest.raises(InvalidParameter, match="api_key"):
        api_key_for(ConnectionStore().get("lan"))


def test_the_remembered_confirmation_is_validated(playground_home: Path) -> None:
    store = ConnectionStore()
    with pytest.raises(InvalidParameter, match="insecure_key_ok: 'nanogpt' is built in"):
        store.allow_insecure_key("nanogpt")
    store.add(Connection(name="box", base_url="http://127.0.0.1:8080/v1"))
    with pytest.raises(InvalidParameter, match="no confirmation is needed"):
        store.allow_insecure_key("box")
    with pytest.raises(InvalidParameter, match="insecure_key_ok"):
        Connection.checked(name="x", base_url=LAN, insecure_key_ok="yes")
    assert Connection.checked(name="x", base_url=LAN, insecure_key_ok=True).insecure_key_ok
    assert not Connection(name="x", base_url=LAN).insecure_key_ok


def test_cli_asks_before_sending_a_key_over_plain_http(key: str, fault_server: FaultServer,
                                                      playground_home: Path) -> None:
    """0.0.0.0 reaches this computer but is not a loopback address: a stand-in for a server
    across the network."""
    url = fault_server.url("ok").replace("127.0.0.1", "0.0.0.0")
    env = {**_env(), "PLAYGROUND_CUSTOM_KEY": key}
    args = [sys.executable, "-m", "playground", "run", "--prompt", "hi", "--model", "m",
            "--base-url", url]
    seen = len(fault_server.requests)
    refused = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2
    assert f"playground: api_key: {url} is plain http" in refused.stderr
    assert "--allow-insecure-key" in refused.stderr
    assert key not in refused.stdout + refused.stderr
    assert len(fault_server.requests) == seen  # nothing was sent
    allowed = subprocess.run([*args, "--allow-insecure-key"], capture_output=True, text=True,
                             timeout=60, env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout == "Hello, world!\n"
    assert fault_server.requests[-1].headers["authorization"] == f"Bearer {key}"


@pytest.mark.gui
def test_the_searches_find_a_planted_key(key: str, qtbot, tmp_path: Path) -> None:
    """The searches above are not vacuous: a key put where they look is found."""
    from PySide6.QtWidgets import QComboBox, QLabel, QWidget

    for i, data in enumerate([key.encode(), key.encode("utf-16-le"),
                              f"x{key[10:30]}x".encode()]):
        (tmp_path / f"f{i}").write_bytes(b"\x00head " + data + b" tail")
    (tmp_path / "clean").write_text("sk-nano- nothing here")
    assert [p.name for p in files_holding(key, tmp_path)] == ["f0", "f1", "f2"]
    root = QWidget()
    qtbot.addWidget(root)
    QLabel("fine", root).setToolTip(f"key {key}")
    QComboBox(root).addItem("entry", key)
    found = [where for where, text in rendered_texts(root) if holds(key, text)]
    assert found == ["QLabel.toolTip()", "QComboBox item 0"]
