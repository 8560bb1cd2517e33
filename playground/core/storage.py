"""Files written atomically, and files that fail to load set aside instead of lost."""

from __future__ import annotations

import glob
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

#: A temporary file older than this was left by a write that was killed; it is removed.
STALE_TEMP_S = 3600


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Let `write` fill a temporary file in the same folder, then rename it over `path`: a
    crash leaves either the old file or the new one, never half of one (and a temporary file,
    which the next write of the same file removes once it is an hour old)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_stale_temps(path: Path) -> None:
    """Only old ones: a fresh temporary file may be another process's write in flight."""
    for name in glob.glob(f".{glob.escape(path.name)}.*.tmp", root_dir=path.parent):
        stale = path.parent / name
        try:
            if time.time() - stale.stat().st_mtime > STALE_TEMP_S:
                stale.unlink()
        except OSError:
            pass  # gone already, or not ours to remove: the write goes on either way


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def set_aside(path: Path) -> Path:
    """Rename a file that could not be loaded to ``NAME.corrupt-<time>`` and return the new path."""
    target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    path.replace(target)
    return target


class CorruptFile(Exception):
    """A file could not be read; it was moved to `moved_to`. The message says both."""

    def __init__(self, path: Path, moved_to: Path, reason: str) -> None:
        super().__init__(f"{path.name} could not be read ({reason}); it was moved to "
                         f"{moved_to.name} and a fresh one will be used")
        self.path = path
        self.moved_to = moved_to


def load_json(path: Path) -> Any:
    """Load a JSON file. Missing: None. Unreadable: set aside, then `CorruptFile` is raised."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptFile(path, set_aside(path), str(exc)) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CorruptFile(path, set_aside(path), f"invalid JSON: {exc}") from None
