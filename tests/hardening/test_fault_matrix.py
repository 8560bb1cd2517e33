"""The fault matrix: every way a server can fail, against the real misbehaving loopback server,
each case checked in the CLI (a subprocess) and in the window (offscreen, on a qasync loop) at
the same time.

Each case must give a clear message (status, code, message, and the hint where one exists),
keep the text received so far in the output and in history, and leave the window responsive
(a 5 ms Qt heartbeat never waits long) and usable (the next run works).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from playground.core.connections import Connection, ConnectionStore
from playground.core.history import History
from playground.core.runs import RunResult
from playground.ui.main_window import MainWindow
from tests.fault_server import BIG_TEXT, FaultServer
from tests.gui import next_emission
from tests.hardening.helpers import Cli, Heartbeat, plain

pytestmark = pytest.mark.gui

#: A stall longer than this is a read timeout (both the CLI and the window read it).
READ_TIMEOUT_S = "0.5"
#: The longest the window's event loop may go without serving a 5 ms timer during a case.
#: Generous on purpose: this checks that nothing blocks the loop, it is not a benchmark.
MAX_GAP_MS = 250


@dataclass(frozen=True)
class Case:
    scenario: str  # "refused": a port nobody listens on
    message: str  # the error as str(ApiError) begins, in the CLI's stderr and the window
    kept: str = ""  # the text received before the failure
    status: int = 0
    code: str | None = None
    hint: str | None = None
    #: The CLI names the server's X-Request-ID whenever a response arrived (also when the
    #: transport failed mid-stream: the id is what a provider's support asks for).
    request_id: bool = True

    @property
    def ok(self) -> bool:
        return not self.message


CASES = [
    # Every documented status, and every error body shape.
    Case("e400ctx", "HTTP 400 [context_length_exceeded]: This model's maximum context length "
         "is 8192 tokens", status=400, code="context_length_exceeded",
         hint="shorten the prompt or lower max_tokens"),  # {"error": {...}}
    Case("e400seed", "HTTP 400 [invalid_parameter_value]: temperature: bad", status=400,
         code="invalid_parameter_value"),  # {"error": <int>, "message": ...}
    Case("e401", "HTTP 401 [invalid_api_key]: Invalid API key", status=401,
         code="invalid_api_key", hint="The API key was refused"),
    Case("e402", "HTTP 402: Insufficient balance", status=402,
         hint="top up your NanoGPT account"),  # {"error": "text", "status": N}
    Case("e403html", "HTTP 403: 403 Forbidden", status=403,
         hint="This key may not use that model"),  # an HTML page, read by its title
    Case("e404", "HTTP 404 [model_not_found]: Model m does not exist", status=404,
         code="model_not_found", hint="The model id is unknown to this server"),
    Case("e408", "HTTP 408: Request timed out upstream", status=408,
         hint="The server timed out"),
    Case("e413text", "HTTP 413: Request Entity Too Large", status=413,
         hint="The request is too large"),  # plain text
    Case("e429", "HTTP 429 [rate_limit_error]: Slow down", status=429, code="rate_limit_error",
         hint="Rate limited; retry in 7 s."),  # Retry-After: 7
    Case("e500text", "HTTP 500: Internal Server Error", status=500, hint="The server failed"),
    Case("e500seed", "HTTP 500: The sampler crashed", status=500, hint="The server failed"),
    Case("e503", "HTTP 503: Service unavailable", status=503,
         hint="The service is unavailable right now"),
    # Streams that break after they started: the text so far stays.
    Case("drop", "Stream error [connection_dropped]: the connection to 127.0.0.1 dropped "
         "mid-response", kept="Hello,", code="connection_dropped"),
    Case("malformed", "Stream error [malformed_frame]: malformed frame: '{not json'",
         kept="Hel", status=200, code="malformed_frame"),
    Case("nodone", "Stream error [incomplete_stream]: the stream ended without [DONE] after 5 "
         "characters", kept="Hello", status=200,
         code="incomplete_stream"),
    Case("errorframe", "Stream error [upstream_error]: upstream provider failed", kept="Hel",
         status=200,
         code="upstream_error"),
    Case("stall", "Stream error [read_timeout]: no data from 127.0.0.1 within the read "
         "timeout", kept="Hel", code="read_timeout"),
    Case("html", "Stream error: expected an event stream, got content type text/html",
         status=200),
    Case("refused", "Network error [connect_error]: could not connect to 127.0.0.1",
         code="connect_error", request_id=False),
    # Odd but valid: the text must arrive whole.
    Case("big", "", kept=BIG_TEXT + "!"),
    Case("drip", "", kept="drip"),  # 1 byte / 100 ms: slower than nothing, never a timeout
]


@pytest.fixture
def refused_url() -> str:
    """A loopback URL whose port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def url_for(case: Case, server: FaultServer, refused: str) -> str:
    return refused if case.scenario == "refused" else server.url(case.scenario)


@pytest.mark.parametrize("case", CASES, ids=[c.scenario for c in CASES])
def test_fault(case: Case, fault_server: FaultServer, refused_url: str, qtbot, qloop,
               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_READ_TIMEOUT", READ_TIMEOUT_S)
    url = url_for(case, fault_server, refused_url)
    cli_home = tmp_path / "cli-home"
    cli = Cli.start(tmp_path / "cli", "run", "--prompt", "hi", "--model", "m",
                    "--base-url", url, env={"PLAYGROUND_HOME": str(cli_home)})
    try:
        check_window(case, url, fault_server, qtbot, qloop)
    finally:
        code, out, err = cli.wait()
    check_cli(case, code, out, err, History(cli_home / "data" / "history.sqlite3"))


def check_window(case: Case, url: str, server: FaultServer, qtbot, qloop) -> None:
    store = ConnectionStore()
    store.add(Connection(name="faulty", base_url=url))
    store.add(Connection(name="fine", base_url=server.url("ok")))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    heartbeat = Heartbeat()

    def choose(name: str) -> None:
        window.connection_box.setCurrentIndex(window.connection_box.findData(name))
        window.model_picker.set_model_text("m")

    async def run() -> RunResult:
        window.prompt_edit.setPlainText("hi")
        assert window.intents.run(), window.error_label.text()
        return await next_emission(window.run_finished, timeout=30)

    async def body() -> RunResult:
        choose("faulty")  # first: the local engine, the default, is then never started
        await window.start_services()
        heartbeat.start()
        try:
            result = await run()
            await asyncio.sleep(0.05)  # the error is painted; the loop keeps turning
        finally:
            heartbeat.stop()
        check_window_result(case, window, result)
        choose("fine")  # the window is still usable: the next run works
        return await run()

    try:
        after = qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
    assert heartbeat.max_gap_ms < MAX_GAP_MS, (
        f"the event loop stalled {heartbeat.max_gap_ms:.0f} ms during {case.scenario}")
    assert after.error is None and window.output.text() == "Hello, world!"
    assert not window.error_label.isVisible()


def check_window_result(case: Case, window: MainWindow, result: RunResult) -> None:
    assert result.text == case.kept
    assert window.output.text() == case.kept
    assert window.run_button.isEnabled() and not window.stop_button.isEnabled()
    with History() as history:
        record = history.list()[0]
    assert record.output == case.kept
    assert record.connection == "faulty"
    if case.ok:
        assert result.error is None, result.error
        assert not window.error_label.isVisible()
        assert record.status == "ok"
        return
    assert result.error is not None
    assert (result.error.status, result.error.code) == (case.status, case.code)
    shown = plain(window.error_label.text())
    assert window.error_label.isVisible()
    assert case.message in shown
    if case.hint:
        assert case.hint in shown
    assert record.status == "error"
    assert record.error is not None
    assert (record.error["status"], record.error["code"]) == (case.status, case.code)


def check_cli(case: Case, code: int, out: str, err: str, history: History) -> None:
    with history:
        record = history.list()[0]
    assert out == (case.kept + "\n" if case.kept else "")
    assert record.output == case.kept
    if case.ok:
        assert (code, err) == (0, "")
        assert record.status == "ok"
        return
    assert code == 1, err
    lines = err.splitlines()
    assert lines[0].startswith(f"playground: {case.message}"), err
    if case.hint:
        assert any(line.startswith("playground: hint: ") and case.hint in line
                   for line in lines), err
    if case.request_id:
        assert "playground: request id: req-123" in lines, err
    assert record.error is not None
    assert (record.error["status"], record.error["code"]) == (case.status, case.code)
