"""Training text: what every Python install already carries, or the user's own files.

The built-in corpus is the language reference shipped in `pydoc_data.topics` plus the docstrings
of a fixed list of well-documented standard-library modules, read with `ast` from their source
files (nothing is imported, so no module's side effects run). Nothing is downloaded and no text
is copied into this repository.

The module list is a deliberate cap: parsing the whole standard library takes ~5 s on a small
machine and the first build must stay within ~3 s, so the list holds the files with the most
docstring prose per byte of source. With the topics that is about 0.9 MB of text.

A frozen bundle (PyInstaller) carries no standard-library sources, so its recipe
(packaging/playground.spec) ships these files under `BUNDLED_STDLIB` and they are read from
there; the text, and so the model, is the same.
"""

from __future__ import annotations

import ast
import hashlib
import pydoc_data.topics
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Where a frozen bundle keeps its copy of the corpus files (`stdlib_sources`), relative to
#: the bundle's data folder (``sys._MEIPASS``).
BUNDLED_STDLIB = "stdlib-corpus"

#: The language reference topics, relative to the stdlib directory.
TOPICS_FILE = "pydoc_data/topics.py"

#: Standard-library source files (relative to the stdlib directory) whose docstrings are used.
#: Files missing from a given Python version are skipped.
STDLIB_FILES: tuple[str, ...] = (
    "__future__.py", "_pydecimal.py", "_threading_local.py", "abc.py", "asyncio/events.py",
    "asyncio/locks.py", "asyncio/protocols.py", "asyncio/queues.py", "asyncio/transports.py",
    "bisect.py", "bz2.py", "cmd.py", "code.py", "codecs.py", "codeop.py",
    "concurrent/futures/_base.py", "difflib.py", "email/_policybase.py", "email/charset.py",
    "email/message.py", "email/parser.py", "email/policy.py", "importlib/abc.py",
    "importlib/metadata/__init__.py", "io.py", "json/__init__.py", "logging/__init__.py",
    "logging/handlers.py", "lzma.py", "numbers.py", "queue.py", "re/__init__.py", "sched.py",
    "shelve.py", "socketserver.py", "statistics.py", "textwrap.py", "timeit.py",
    "xml/sax/handler.py", "xml/sax/xmlreader.py", "xmlrpc/server.py",
)


@dataclass(frozen=True)
class Corpus:
    """Training documents (each becomes one end-of-text-delimited sequence) and their hash."""

    documents: tuple[str, ...]
    sha256: str


def stdlib_root() -> Path:
    """The standard-library directory, or in a frozen bundle the copy shipped inside it."""
    if getattr(sys, "frozen", False):
        return Path(sys._MEIPASS) / BUNDLED_STDLIB  # type: ignore[attr-defined]
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_sources() -> list[Path]:
    """The files the built-in corpus is made from: the topics module, then `STDLIB_FILES`."""
    root = stdlib_root()
    return [root / TOPICS_FILE, *(root / name for name in STDLIB_FILES if (root / name).is_file())]


def bundled_files() -> list[tuple[Path, str]]:
    """What a frozen bundle must carry for `stdlib_sources` to find the corpus inside it: each
    source file and the bundle folder it goes to (packaging/playground.spec uses this)."""
    root = stdlib_root()
    return [(path, str(Path(BUNDLED_STDLIB, path.parent.relative_to(root))))
            for path in stdlib_sources()]


def sources_hash(paths: Iterable[Path], salt: str) -> str:
    """A hash of the raw bytes of `paths` (and `salt`): cheap to compute before loading a cache,
    and it changes whenever the text a model would be built from changes."""
    digest = hashlib.sha256(salt.encode())
    for path in paths:
        data = path.read_bytes()
        digest.update(f"{path.name}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


def stdlib_corpus() -> Corpus:
    """The built-in corpus: the language reference topics, then module docstrings."""
    docs = [text for _, text in sorted(pydoc_data.topics.topics.items())]
    for path in stdlib_sources()[1:]:
        docs.extend(python_docstrings(path.read_bytes()))
    return _corpus(docs)


def files_corpus(paths: Sequence[Path]) -> Corpus:
    """The user's own text files, one document each (UTF-8; undecodable bytes are replaced)."""
    return _corpus([path.read_bytes().decode("utf-8", "replace") for path in paths])


def python_docstrings(source: bytes) -> list[str]:
    """Docstrings of a module and its classes and functions, cleaned of indentation."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docs = (ast.get_docstring(node) for node in ast.walk(tree) if isinstance(node, kinds))
    return [doc for doc in docs if doc]


def _corpus(docs: list[str]) -> Corpus:
    kept = tuple(doc.strip() for doc in docs if doc.strip())
    digest = hashlib.sha256()
    for doc in kept:
        digest.update(doc.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return Corpus(kept, digest.hexdigest())
