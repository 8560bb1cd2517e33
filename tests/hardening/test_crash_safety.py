"""Crash safety: SIGKILL in the middle of writes never leaves a file that does not load, and
loses at most the write that was in flight; a crash never loses the typed prompt, and a crash
while typing into five tabs loses at most the last second of any document.

The preset and history writers are killed at a random moment, 50 trials each, crash after crash
on the same files (leftovers of one crash are there for the next). A trial's writer is forked
from a multiprocessing forkserver that preloaded the writers (see crash_child), so trials start
in milliseconds.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from playground.core.history import History
from playground.core.presets import PresetStore, load_preset_file
from tests.hardening import crash_child
from tests.hardening.crash_child import PRESET_NAMES, version_of

TRIALS = 50
#: A trial's writer is killed this long after it started, at random (seconds): a handful of
#: writes on average (each one fsyncs), and some trials die before their first commit.
KILL_AFTER = (0.0, 0.15)


@pytest.fixture(scope="module")
def forkserver() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.hardening.crash_child"])
    return context


def kill_at_random(context: Any, rng: random.Random, target: Callable[..., None],
                   *args: Any) -> None:
    """Start `target(*args)` in its own process, SIGKILL it at a random moment, reap it."""
    process = context.Process(target=target, args=args, daemon=True)
    process.start()
    time.sleep(rng.uniform(*KILL_AFTER))
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    assert process.exitcode == -signal.SIGKILL, "the writer stopped before it was killed"


def committed(log: Path) -> list[int]:
    """The numbers a writer reported committed (a line is whole: one os.write each)."""
    if not log.exists():
        return []
    return [int(line) for line in log.read_text().splitlines()]


def test_kill_during_preset_writes(forkserver, tmp_path: Path) -> None:
    """Versions 0, 1, 2, ... are written in order, cycling through seven preset names; each
    trial's writer starts after the last version reported committed (re-writing the one that
    was in flight, if it landed, with the same content)."""
    rng = random.Random(9)
    root, log = tmp_path / "config", tmp_path / "presets.log"
    last = -1
    for trial in range(TRIALS):
        kill_at_random(forkserver, rng, crash_child.write_presets, str(root), str(log),
                       last + 1)
        done = committed(log)
        assert done == list(range(len(done))), f"trial {trial}: the log is not 0..n"
        last = len(done) - 1
        check_presets(root, last, trial)
    assert last >= TRIALS, f"only {last + 1} writes in {TRIALS} trials: too few to mean much"


def check_presets(root: Path, last: int, trial: int) -> None:
    """Every preset file loads; each name holds its last committed version or, for the name
    being written when the writer died, the version in flight. Temporary files may remain
    but are never listed, and nothing is reported as a problem."""
    files = sorted((root / "presets").glob("*.json"))
    for path in files:
        load_preset_file(path)  # raises if half written
    listing = PresetStore(root).list()
    assert listing.problems == (), f"trial {trial}: {listing.problems}"
    found = {p.name: version_of(p) for p in listing.items if not p.builtin}
    assert len(found) == len(files), f"trial {trial}: {files} vs {sorted(found)}"
    assert set(found) <= set(PRESET_NAMES)
    in_flight = last + 1
    for index, name in enumerate(PRESET_NAMES):
        latest = max((v for v in range(index, last + 1, len(PRESET_NAMES))), default=None)
        allowed = {latest} - {None}
        if in_flight % len(PRESET_NAMES) == index:
            allowed.add(in_flight)
        if name in found:
            assert found[name] in allowed, (
                f"trial {trial}: {name} holds v{found[name]}, expected one of {allowed}")
        else:
            assert latest is None, f"trial {trial}: {name} v{latest} was lost"


def test_kill_during_history_writes(forkserver, tmp_path: Path) -> None:
    """Runs are recorded into one history database, crash after crash (the first trials die
    while it is being created and migrated)."""
    rng = random.Random(11)
    path, log = tmp_path / "history.sqlite3", tmp_path / "history.log"
    unreported: set[int] = set()  # rows that landed although their writer died before saying so
    for trial in range(TRIALS):
        kill_at_random(forkserver, rng, crash_child.write_history, str(path), str(log))
        done = committed(log)
        if not path.exists():
            assert not done
            continue
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"trial {trial}"
            created = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchall()
            ids = {row[0] for row in db.execute("SELECT id FROM runs")} if created else set()
        finally:
            db.close()
        assert set(done) <= ids, f"trial {trial}: lost {sorted(set(done) - ids)}"
        extra = ids - set(done) - unreported
        assert len(extra) <= 1, f"trial {trial}: rows nobody reported: {sorted(extra)}"
        assert all(i > max(done, default=0) for i in extra)
        unreported |= extra
        with History(path) as history:  # the app opens it as it is, nothing set aside
            assert history.problem is None, f"trial {trial}: {history.problem}"
            assert history.count() == len(ids)
            if done:  # the full-text index kept up with the table
                newest = history.get(done[-1])
                assert history.count(search=newest.prompt.split()[1]) >= 1
    assert len(committed(log)) >= TRIALS, "too few writes to mean much"


def test_a_crash_never_loses_the_typed_prompt(qtbot, playground_home: Path) -> None:
    """The real window, in its own process, offscreen: a prompt is typed, the person pauses,
    the process is killed with SIGKILL; the next window shows the prompt."""
    prompt = "A prompt typed just before the crash"
    typed = type_and_kill(prompt, key_every_s=0.01, kill=lambda count, _: count == len(prompt),
                          then_wait_s=1.0)
    assert typed == len(prompt)
    assert restored_prompt(qtbot) == prompt


def test_a_crash_while_typing_loses_at_most_the_last_moment(qtbot, playground_home: Path
                                                            ) -> None:
    """Typing without a pause (a key every 50 ms) and a crash in the middle of it: the next
    window shows what was typed up to a moment before the crash (the window saves the draft
    at most 400 ms after a change, however fast the typing)."""
    prompt = "Typing on and on without a pause, word after word, until the power goes. " * 2
    rng = random.Random(5)
    kill_at = rng.uniform(1.5, 2.5)
    moments: list[tuple[int, float]] = []

    def kill(count: int, when: float) -> bool:
        moments.append((count, when))
        return when - moments[0][1] >= kill_at

    killed_at = type_and_kill(prompt, key_every_s=0.05, kill=kill, then_wait_s=0.0)
    restored = restored_prompt(qtbot)
    assert prompt.startswith(restored)
    # Typed by 0.4 s (the save delay) + 0.3 s (slack for a loaded machine) before the kill.
    deadline = moments[-1][1] - 0.7
    must_have = max((count for count, when in moments if when <= deadline), default=0)
    assert len(restored) >= must_have, (
        f"{killed_at} characters were typed, {must_have} of them 0.7 s before the crash, "
        f"but only {len(restored)} came back")


def type_and_kill(text: str, *, key_every_s: float, kill: Callable[[int, float], bool],
                  then_wait_s: float) -> int:
    """Run crash_child's window typing `text`; after each key it reports, ask `kill(count,
    monotonic time)`; once it says so, wait `then_wait_s` and SIGKILL the window. Returns the
    number of characters typed when it was killed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.hardening.crash_child", "window", text, str(key_every_s)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert process.stdout is not None
    count = 0
    try:
        assert process.stdout.readline().strip() == "ready"
        for line in process.stdout:
            count_text, when = line.split()
            count = int(count_text)
            if kill(count, float(when)):
                break
        else:
            raise AssertionError("the window exited before it was killed")
        time.sleep(then_wait_s)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    return count


def restored_prompt(qtbot) -> str:
    from playground.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    return window.prompt_edit.toPlainText()


def test_kill_while_typing_into_five_tabs(playground_home: Path) -> None:
    """The real window with five tabs, typing into one tab then another (a key every 20 ms),
    killed with SIGKILL at a random moment, 50 trials on the same files: after every crash
    the documents store opens without a problem, every document is there, and each holds
    what was typed into it up to at most a second before the crash."""
    from playground.core.documents import DocumentStore

    rng = random.Random(18)
    trials_with_keys = 0
    for trial in range(TRIALS):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.hardening.crash_child", "tabs", str(trial), "0.02"],
            stdout=subprocess.PIPE, text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        assert process.stdout is not None
        texts: dict[int, str] = {}
        keys: list[tuple[int, float]] = []  # (document, time) of each key, in order
        try:
            for line in process.stdout:
                if line.startswith("doc "):
                    _, doc_id, text = line.split(" ", 2)
                    texts[int(doc_id)] = ast.literal_eval(text)
                elif line.strip() == "ready":
                    break
            assert len(texts) == crash_child.TABS, f"trial {trial}: {len(texts)} tabs opened"
            kill_after = rng.uniform(0.1, 2.5)
            started = time.monotonic()
            for line in process.stdout:
                char, doc_id, when = line.split()
                texts[int(doc_id)] += chr(int(char))
                keys.append((int(doc_id), float(when)))
                if time.monotonic() - started >= kill_after:
                    break
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        assert process.returncode == -signal.SIGKILL
        trials_with_keys += bool(keys)
        killed_at = keys[-1][1] if keys else 0.0
        with DocumentStore() as store:
            assert store.problems == [], f"trial {trial}: {store.problems}"
            for doc_id, typed in texts.items():
                stored = store.get(doc_id).prompt
                assert typed.startswith(stored), f"trial {trial}: document {doc_id} differs"
                # Keys typed into it more than a second before the crash are all there.
                old = sum(1 for d, when in keys if d == doc_id and when <= killed_at - 1.0)
                before = len(typed) - sum(1 for d, _ in keys if d == doc_id)
                assert len(stored) >= before + old, (
                    f"trial {trial}: document {doc_id} lost more than the last second")
    assert trials_with_keys >= TRIALS // 2, "too few trials typed anything to mean much"
