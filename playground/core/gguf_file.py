"""Reading a GGUF file's metadata (its key-value header) without llama.cpp: enough to list a
model with its context length, and to tell a truncated or foreign file from a good one before
llama.cpp is asked to load it.

Layout (GGUF v2 and v3, little-endian): ``GGUF``, version (u32), tensor count (u64), key-value
count (u64), then each key (a string: u64 length, UTF-8 bytes), its value type (u32) and value.
Arrays (type 9) hold an item type (u32), a count (u64) and the items; the tokenizer's vocabulary
is such an array and is skipped, not read.
"""

from __future__ import annotations

import functools
import os
import struct
from pathlib import Path
from typing import IO, Any

MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
#: Arrays longer than this are skipped rather than read (a vocabulary has ~50k entries).
_KEEP_ARRAY = 64


class GgufFileError(Exception):
    """The file is missing, not GGUF, or cut short; the message names it and says which."""


def read_metadata(path: Path) -> dict[str, Any]:
    """The file's key-value metadata (long arrays left out). Kept while the file is unchanged:
    stepping over a vocabulary of 49k strings takes tens of milliseconds, and the engine's
    model list reads every file each time it is asked."""
    try:
        stat = path.stat()
        return dict(_read_file(str(path), stat.st_size, stat.st_mtime_ns))
    except FileNotFoundError:
        raise GgufFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise GgufFileError(f"{path}: a folder, not a GGUF file") from None
    except PermissionError:
        raise GgufFileError(f"{path}: not readable (permission denied)") from None


@functools.lru_cache(maxsize=32)
def _read_file(path: str, _size: int, _mtime_ns: int) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return _read(handle, Path(path))


def context_length(metadata: dict[str, Any]) -> int | None:
    """The context the model was trained for (``<architecture>.context_length``)."""
    value = metadata.get(f"{metadata.get('general.architecture')}.context_length")
    return int(value) if isinstance(value, int) else None


def _read(handle: IO[bytes], path: Path) -> dict[str, Any]:
    if handle.read(4) != MAGIC:
        raise GgufFileError(f"{path}: not a GGUF file (it does not begin with 'GGUF')")
    reader = _Reader(handle, path)
    version = reader.scalar("<I")
    if version not in (2, 3):
        raise GgufFileError(f"{path}: GGUF version {version}, of which only 2 and 3 are known")
    reader.scalar("<Q")  # tensors
    count = reader.scalar("<Q")
    out: dict[str, Any] = {}
    for _ in range(count):
        key = reader.string()
        out[key] = reader.value(reader.scalar("<I"))
    return out


class _Reader:
    def __init__(self, handle: IO[bytes], path: Path) -> None:
        self.handle = handle
        self.path = path
        self.size = os.fstat(handle.fileno()).st_size

    def take(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise GgufFileError(f"{self.path}: cut short (truncated) in its header")
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.scalar("<Q")).decode("utf-8", "replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item, count = self.scalar("<I"), self.scalar("<Q")
            if count <= _KEEP_ARRAY:
                return [self.value(item) for _ in range(count)]
            self.skip(item, count)
            return None
        raise GgufFileError(f"{self.path}: unknown value type {kind} in its header")

    def skip(self, kind: int, count: int) -> None:
        if kind in _SCALARS:
            if self.handle.seek(struct.calcsize(_SCALARS[kind]) * count, 1) > self.size:
                raise GgufFileError(f"{self.path}: cut short (truncated) in its header")
            return
        for _ in range(count):
            self.value(kind)
