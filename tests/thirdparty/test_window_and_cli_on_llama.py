"""The app itself — the window and the CLI — against the real llama-cpp-python server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from playground.core.connections import Connection, ConnectionStore
from playground.ui.main_window import MainWindow
from tests.gui import next_emission
from tests.thirdparty.llama_server import LlamaServer

pytestmark = [pytest.mark.thirdparty, pytest.mark.gui]


def test_the_window_streams_from_llama_and_greys_what_it_ignores(
        llama_server: LlamaServer, qapp, qloop) -> None:
    ConnectionStore().add(Connection(name="llama", base_url=llama_server.base_url,
                                     dialect="llama-cpp-python"))
    win = MainWindow()
    win.connection_box.setCurrentIndex(win.connection_box.findData("llama"))
    win.model_picker.set_model_text(llama_server.model)
    win.show()
    for name in ("tfs", "top_a", "typical_p"):
        assert not win.params.rows[name].field.isEnabled()
        assert "Not sent" in win.params.rows[name].field.toolTip()

    async def body():
        await win.start_services()
        win.prompt_edit.setPlainText("Hello")
        win.params.set_values({"max_tokens": 12, "seed": 3, "repetition_penalty": 1.2,
                               "tfs": 0.5})
        assert win.intents.run()
        return await next_emission(win.run_finished, timeout=60)

    try:
        result = qloop.run_until_complete(body())
        assert result.error is None
        assert result.text and win.output.text() == result.text
        sent = win.shown.request.wire_body()
        assert sent["repeat_penalty"] == 1.2
        assert "repetition_penalty" not in sent
        assert "tfs" not in sent
        # A greyed field is asked for and dropped on the way, with the reason; the rename
        # and the drop are in the run's record.
        assert win.shown.request.body()["tfs"] == 0.5
        notes = win.history.list()[0].notes
        assert any("repeat_penalty" in note for note in notes)
        assert any(note.startswith("dropped tfs: ") for note in notes)
    finally:
        qloop.run_until_complete(win.shutdown())
        win.close()
        win.deleteLater()


def test_the_cli_streams_from_llama_with_translated_names(llama_server: LlamaServer) -> None:
    base = [sys.executable, "-m", "playground", "run", "--prompt", "Hello", "--model",
            llama_server.model, "--base-url", llama_server.base_url, "--dialect",
            "llama-cpp-python", "--set", "max_tokens=8", "--set", "seed=2",
            "--set", "repetition_penalty=1.3", "--set", "top_a=0.5"]
    dry = subprocess.run([*base, "--dry-run"], capture_output=True, text=True, check=True,
                         env=os.environ)
    body = json.loads(dry.stdout)
    assert body["repeat_penalty"] == 1.3
    assert "top_a" not in body
    out = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=120,
                         env=os.environ)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["text"]
    assert result["finish_reason"] in ("length", "stop")
    assert any("top_a" in note for note in result["dialect_notes"])
