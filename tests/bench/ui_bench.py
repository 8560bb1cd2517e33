"""The measuring side of run.py: each mode runs in its own child process and prints one JSON
line. Nothing here asserts; run.py compares the numbers with their targets.

    python tests/bench/ui_bench.py bare    URL REPEAT   # bare httpx on plain asyncio
    python tests/bench/ui_bench.py stream  URL REPEAT   # client + worker + StreamView
    python tests/bench/ui_bench.py compare URL REPEAT   # 8 columns of CompareView
    python tests/bench/ui_bench.py rss     URL          # the real MainWindow, one run

URL is a base URL of sse_server.py (``http://127.0.0.1:PORT/<mode>/<tokens>/v1``); each mode
warms up with one 1,000-token stream first, which the server must also have. The Qt modes
run offscreen on a real qasync loop, the way the app does (run_gui), and wait with asyncio only:
never a nested Qt loop inside a coroutine.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5
#: The output pane's size in the main window at its default geometry (about 720 x 420).
PANE_SIZE = (720, 420)


# --- bare httpx: the ceiling ----------------------------------------------------------------


async def bare_once(client: Any, url: str) -> tuple[float, int]:
    """Stream one completion and parse every frame; (seconds, tokens)."""
    body = {"model": "bench", "prompt": "Bench", "stream": True}
    parts: list[str] = []
    done = False
    start = time.perf_counter()
    async with client.stream("POST", url + "/completions", json=body,
                             headers={"Accept": "text/event-stream"}) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                done = True
                continue
            parts.append(json.loads(data)["choices"][0]["text"])
    elapsed = time.perf_counter() - start
    assert done, "the stream ended without [DONE]"
    return elapsed, len(parts)


def bare(url: str, repeat: int) -> dict[str, Any]:
    import httpx

    async def main() -> list[float]:
        async with httpx.AsyncClient(timeout=60) as client:
            await bare_once(client, _resized(url, 1000))  # warm up
            rates = []
            for _ in range(repeat):
                seconds, count = await bare_once(client, url)
                rates.append(count / seconds)
            return rates

    return {"tokens_per_s": asyncio.run(main())}


def _resized(url: str, tokens: int) -> str:
    """The same server and mode, another length."""
    parts = url.rstrip("/").split("/")
    parts[-2] = str(tokens)
    return "/".join(parts)


# --- Qt on qasync ---------------------------------------------------------------------------


def qt_run(job: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """Run `job` on a qasync loop with the same set-up as run_gui (Fusion style, the app's
    palette and text font, asyncio's async-generator hooks)."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from playground.ui.theme import apply_appearance

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_appearance(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook,
                           finalizer=loop._asyncgen_finalizer_hook)
    with loop:
        return loop.run_until_complete(job())


class Heartbeat:
    """A 5 ms precise QTimer on the GUI loop; its largest gap is the longest the window could
    not react to input or paint."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks.clear()
        self._timer.start()
        self.ticks.append(time.perf_counter())

    def stop(self) -> None:
        self._timer.stop()
        self.ticks.append(time.perf_counter())

    def max_gap_ms(self, start: float, end: float) -> float:
        """The largest gap between two beats that overlaps [start, end]."""
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False)
                if b >= start and a <= end]
        return max(gaps, default=0.0) * 1000


def _request() -> Any:
    from playground.core.request import build_request

    return build_request("Bench", "bench", {})


async def _settle(seconds: float = 0.05) -> None:
    """Let the loop run (and paint) for a moment."""
    await asyncio.sleep(seconds)


def stream(url: str, repeat: int) -> dict[str, Any]:
    """Our whole streaming path into a visible StreamView, as the main window wires it."""

    async def job() -> dict[str, Any]:
        from PySide6.QtWidgets import QVBoxLayout, QWidget

        from playground.core.client import CompletionClient
        from playground.ui.stream_view import StreamView
        from playground.ui.worker import RunWorker

        window = QWidget()
        layout = QVBoxLayout(window)
        view = StreamView(window)
        layout.addWidget(view)
        window.resize(*PANE_SIZE)
        window.show()
        worker = RunWorker(window)
        worker.started.connect(view.clear)
        worker.text.connect(view.append_text)
        paints = _count_paints(view)
        beat = Heartbeat()
        client = CompletionClient(url)
        warm = CompletionClient(_resized(url, 1000))
        rates, stalls, frames, chars = [], [], [], 0
        try:
            await _one_run(worker, warm)  # warm up: imports, first layout, connection set-up
            for _ in range(repeat):
                gc.collect()
                await _settle()
                paints[0] = 0
                beat.start()
                start = time.perf_counter()
                result = await _one_run(worker, client)
                end = time.perf_counter()
                await _settle()
                beat.stop()
                _check(result, url)
                rates.append(result.completion_tokens / (end - start))
                stalls.append(beat.max_gap_ms(start, end))
                frames.append(paints[0])
                chars = len(view.text())
        finally:
            await worker.shutdown()
            await client.aclose()
            await warm.aclose()
        return {"tokens_per_s": rates, "max_stall_ms": stalls, "paints": frames,
                "chars": chars, "lines": view.line_count()}

    return qt_run(job)


def _check(result: Any, url: str) -> None:
    """A broken run must not pass for a fast one."""
    expected = int(url.rstrip("/").split("/")[-2])
    if result.error is not None or result.cancelled or result.chunks != expected:
        problem = result.error or ("cancelled" if result.cancelled else "short")
        raise RuntimeError(f"the run failed: {problem} ({result.chunks} of {expected} tokens)")


def _count_paints(view: Any) -> list[int]:
    """A counter of the view's paint events (to show it really painted while streaming)."""
    from PySide6.QtCore import QEvent, QObject

    counter = [0]

    class Counter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                counter[0] += 1
            return False

    view._paint_counter = Counter(view)  # kept alive with the view
    view.viewport().installEventFilter(view._paint_counter)
    return counter


async def _one_run(worker: Any, client: Any) -> Any:
    """The run's result."""
    from playground.core.runs import Run

    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def finished(run: Any) -> None:
        if not done.done():
            done.set_result(run.result)

    worker.finished.connect(finished)
    try:
        worker.start(client, Run(_request()))
        return await asyncio.wait_for(done, 300)
    finally:
        worker.finished.disconnect(finished)


def compare(url: str, repeat: int) -> dict[str, Any]:
    """Eight columns of the compare window streaming at once from one shared client, started
    with Run all; the time runs until the comparison is recorded (summary table filled)."""

    async def job() -> dict[str, Any]:
        from playground.core.client import CompletionClient
        from playground.ui.compare_view import Base, CompareView

        client = CompletionClient(url)
        view = CompareView(lambda: Base(client, "Bench", "bench", {}))
        while len(view.columns) < 8:
            view.add_column("")
        view.show()
        beat = Heartbeat()
        rates, stalls = [], []
        try:
            await _all_columns(view, client)  # warm up
            for _ in range(repeat):
                gc.collect()
                await _settle()
                beat.start()
                start = time.perf_counter()
                results = await _all_columns(view, client)
                end = time.perf_counter()
                await _settle()
                beat.stop()
                for result in results:
                    _check(result, url)
                rates.append(sum(r.completion_tokens for r in results) / (end - start))
                stalls.append(beat.max_gap_ms(start, end))
        finally:
            await view.shutdown()
            await client.aclose()
        return {"tokens_per_s": rates, "max_stall_ms": stalls, "columns": len(view.columns)}

    return qt_run(job)


async def _all_columns(view: Any, client: Any) -> list[Any]:
    """Press "Run all" (as a person would) and wait for the comparison to be recorded, which
    happens after the last column finished and the summary table was filled."""
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def recorded(runs: list[Any]) -> None:
        if not done.done():
            done.set_result([run.result for run in runs])

    view.recorded.connect(recorded)
    try:
        view.run_all()
        results = await asyncio.wait_for(done, 300)
    finally:
        view.recorded.disconnect(recorded)
    if len(results) != len(view.columns):
        raise RuntimeError(f"{len(results)} of {len(view.columns)} columns ran")
    return results


def sweep(cells: int, repeat: int) -> dict[str, Any]:
    """Run → Sweep… on the local engine: the default grid (temperature 0.2:1.4:0.2 × min_p
    0, 0.05, 0.1 × 4 seeds, the first `cells` of it) of 64 tokens each at concurrency 4,
    started with its Start button; the heartbeat runs until the last run is plotted."""
    os.environ.setdefault("PLAYGROUND_HOME", tempfile.mkdtemp(prefix="sweep-ui-bench-"))

    async def job() -> dict[str, Any]:
        from playground.core.client import CompletionClient
        from playground.core.engine_process import EngineProcess
        from playground.ui.compare_view import Base
        from playground.ui.sweep_view import SweepView

        stalls, runs = [], []
        with EngineProcess() as engine:
            client = CompletionClient(engine.base_url)
            view = SweepView(lambda: Base(client, "The function returns the", "local/stdlib",
                                          {"max_tokens": 64, "ignore_eos": True},
                                          dialect="local engine", connection="local"))
            view.seeds.setValue(max(1, min(4, cells // 21)))
            view.show()
            beat = Heartbeat()
            try:
                for _ in range(repeat):
                    gc.collect()
                    await _settle()
                    beat.start()
                    start = time.perf_counter()
                    view.start_button.click()
                    while view.running:
                        await asyncio.sleep(0.01)
                    end = time.perf_counter()
                    await _settle()
                    beat.stop()
                    stalls.append(beat.max_gap_ms(start, end))
                    runs.append(len(view.state.results))
            finally:
                await view.shutdown()
                await client.aclose()
        return {"max_stall_ms": stalls, "runs": runs}

    return qt_run(job)


def save_bench_connection(url: str) -> None:
    """A saved custom connection to the bench server (so the local engine is not started)."""
    from playground.core.connections import Connection, ConnectionStore

    ConnectionStore().add(Connection(name="bench", kind="custom", base_url=url,
                                     default_model="bench"))


async def bench_window() -> Any:
    """The real main window as run_gui leaves it, on the bench connection, prompt "Bench",
    services started. Needs PLAYGROUND_HOME set to a fresh folder."""
    from PySide6.QtCore import QSettings

    from playground.ui.app import freeze_start_up_objects, use_settings_home
    from playground.ui.main_window import MainWindow
    from playground.ui.theme import Appearance

    use_settings_home()
    QSettings().clear()
    window = MainWindow()
    window.set_text_font(Appearance.load().font())
    window.connection_box.setCurrentIndex(window.connection_box.findData("bench"))
    window.prompt_edit.setPlainText("Bench")
    window.resize(1200, 780)
    window.show()
    await window.start_services()
    freeze_start_up_objects()  # as run_gui does
    return window


def rss(url: str) -> dict[str, Any]:
    """The real main window runs one completion through the bench connection; then its
    process's memory is read."""
    save_bench_connection(url)

    async def job() -> dict[str, Any]:
        window = await bench_window()
        await _settle(0.3)
        before = _rss_mb()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        window.run_finished.connect(lambda r: done.done() or done.set_result(r))
        try:
            if not window.intents.run():
                raise RuntimeError(f"the run was refused: {window.error_label.text()}")
            result = await asyncio.wait_for(done, 300)
            _check(result, url)
            await _settle(0.3)
            started = time.perf_counter()
            gc.collect()  # the pause a full collection, which Python may start at any time, causes
            pause = (time.perf_counter() - started) * 1000
            after = _rss_mb()
            return {"rss_mb_before": before, "rss_mb_after": after, "peak_mb": _hwm_mb(),
                    "gc_full_pause_ms": pause,
                    "chars": len(window.output.text()),
                    "tokens": result.completion_tokens}
        finally:
            await window.shutdown()
            window.close()

    return qt_run(job)


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _hwm_mb() -> float:
    return _status_mb("VmHWM")


def main(argv: list[str]) -> None:
    mode, url = argv[0], argv[1]
    repeat = int(argv[2]) if len(argv) > 2 else 1
    if mode == "bare":
        out = bare(url, repeat)
    elif mode == "stream":
        out = stream(url, repeat)
    elif mode == "compare":
        out = compare(url, repeat)
    elif mode == "rss":
        out = rss(url)
    elif mode == "sweep":
        out = sweep(int(url), repeat)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    for key in ("tokens_per_s", "max_stall_ms"):
        if key in out:
            out[key + "_median"] = statistics.median(out[key])
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
