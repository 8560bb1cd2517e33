"""Tabs and File → Open…, in the real window; each mode runs in its own child process (with its
own PLAYGROUND_HOME) and prints one JSON line. Nothing here asserts; run.py compares.

    python tests/bench/tabs_bench.py tabs URL TABS   # TABS tabs, each streaming URL's output
    python tests/bench/tabs_bench.py open COUNT      # Open… over COUNT stored documents

- tabs: the real MainWindow on a saved connection to the bench server. Tabs are opened four at
  a time and run at once (the longest gap of a 5 ms heartbeat while those four stream is the
  stall); once every tab holds its output, the window brings each next tab forward, 3 rounds,
  and times each switch to the end of the next painted frame; then its memory is read.
- open: COUNT documents of ~2 KB each; a word typed into Open…'s search box, one keystroke at
  a time as a person types (each through Qt's key events), timed to the end of the painted list.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from ui_bench import (
    Heartbeat,
    _check,
    _rss_mb,
    _settle,
    bench_window,
    qt_run,
    save_bench_connection,
)

AT_ONCE = 4
SWITCH_ROUNDS = 3
KEYSTROKES = "dragon cas"


def tabs(url: str, count: int) -> dict[str, Any]:
    save_bench_connection(url)

    async def job() -> dict[str, Any]:
        window = await bench_window()
        await _settle(0.3)
        before = _rss_mb()
        beat = Heartbeat()
        stalls: list[float] = []
        try:
            first = True
            while window.tabs.count() < count or first:
                batch = min(AT_ONCE, count - window.tabs.count() + (1 if first else 0))
                results = await _run_batch(window, batch, beat, stalls, first=first)
                for result in results:
                    _check(result, url)
                first = False
            await _settle(0.3)
            switches = []
            for _ in range(SWITCH_ROUNDS):
                for _ in range(window.tabs.count()):
                    switches.append(await _switch(window))
            after = _rss_mb()
            return {"tabs": window.tabs.count(), "stall_ms": stalls, "switch_ms": switches,
                    "rss_mb_before": before, "rss_mb_after": after,
                    "chars_per_tab": len(window.output.text())}
        finally:
            await window.shutdown()
            window.close()

    return qt_run(job)


async def _run_batch(window: Any, batch: int, beat: Heartbeat, stalls: list[float], *,
                     first: bool) -> list[Any]:
    """Open `batch` tabs (the first batch uses the window's own first tab) and run each; the
    heartbeat's longest gap from the last start to the last end is the batch's stall."""
    results: list[Any] = []
    done = asyncio.get_running_loop().create_future()

    def finished(result: Any) -> None:
        results.append(result)
        if len(results) == batch and not done.done():
            done.set_result(None)

    window.run_finished.connect(finished)
    try:
        for n in range(batch):
            if not (first and n == 0):
                window.new_tab()
                window.prompt_edit.setPlainText("Bench")
            if not window.intents.run():
                raise RuntimeError(f"the run was refused: {window.error_label.text()}")
        beat.start()
        start = time.perf_counter()
        await asyncio.wait_for(done, 300)
        end = time.perf_counter()
        await _settle()
        beat.stop()
        stalls.append(beat.max_gap_ms(start, end))
    finally:
        window.run_finished.disconnect(finished)
    return results


async def _switch(window: Any) -> float:
    """Bring the next tab forward; ms until the frame that shows it has been painted (a zero
    timer started when its output begins to paint fires once that whole frame is drawn)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    tabs = window.tabs
    target = tabs.view((tabs.currentIndex() + 1) % tabs.count())
    painted = asyncio.get_running_loop().create_future()

    class Painted(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not painted.done():
                QTimer.singleShot(0, lambda: painted.done() or painted.set_result(
                    time.perf_counter()))
            return False

    spy = Painted()
    viewport = target.output.viewport()
    viewport.installEventFilter(spy)
    try:
        await _settle(0.02)
        start = time.perf_counter()
        tabs.setCurrentWidget(target)
        end = await asyncio.wait_for(painted, 10)
    finally:
        viewport.removeEventFilter(spy)
    return (end - start) * 1000


def open_list(count: int) -> dict[str, Any]:
    """Open… over `count` documents: each keystroke of a word typed into its search box."""
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from playground.core.documents import DocumentStore
    from playground.ui.app import use_settings_home
    from playground.ui.main_window import MainWindow
    from playground.ui.theme import apply_appearance

    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randrange(3, 10)))
             for _ in range(5000)] + ["dragon", "castle", "dragonfly", "cast"]
    with DocumentStore() as store:
        store.import_json(json.dumps({"version": 1, "documents": [
            {"name": f"{rng.choice(vocab)} {n}", "prompt": " ".join(rng.choices(vocab, k=300))}
            for n in range(count)]}))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_appearance(app)
    use_settings_home()
    QSettings().clear()
    window = MainWindow()
    window.show()
    QApplication.processEvents()
    rounds: list[dict[str, float]] = []
    listed = 0
    for _ in range(3):
        window.dialogs.open_documents()
        dialog = window.dialogs.get("documents")
        QApplication.processEvents()
        times = {}
        for n, char in enumerate(KEYSTROKES):
            start = time.perf_counter()
            QTest.keyClick(dialog.search, char)
            QApplication.processEvents()  # paints the list (no async loop runs here)
            times[KEYSTROKES[:n + 1]] = (time.perf_counter() - start) * 1000
        listed = len(dialog.model.rows)
        rounds.append(times)
        dialog.hide()
    window.close()
    worst_median = max(statistics.median(r[k] for r in rounds) for k in rounds[0])
    return {"keystroke_ms": rounds, "worst_keystroke_median_ms": worst_median,
            "listed_at_end": listed, "documents": count}


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "tabs":
        out = tabs(argv[1], int(argv[2]))
    elif mode == "open":
        out = open_list(int(argv[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
