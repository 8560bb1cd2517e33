"""Named JSON files kept the way presets and instruct templates are: read-only built-ins shipped
in ``resources/``, the user's own in the config dir (one file each, written atomically), names
unique ignoring case across both, and a default per model.

A user file that cannot be loaded is set aside (renamed ``*.corrupt-<time>``) and reported by the
next `NamedFiles.list()`; one written by a newer version of the app is left alone and reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from playground.core.errors import InvalidParameter
from playground.core.model_id import ModelId
from playground.core.storage import CorruptFile, atomic_write_json, set_aside

#: Larger files are refused unread: a real preset or template is a few hundred bytes.
MAX_FILE_BYTES = 1_000_000


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def builtin(self) -> bool: ...


T = TypeVar("T", bound=Named)


@dataclass(frozen=True)
class Listing(Generic[T]):
    """Every item (built-ins first, then the user's by name) and what went wrong loading."""

    items: tuple[T, ...]
    problems: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return [item.name for item in self.items]


@dataclass(frozen=True)
class Kind(Generic[T]):
    """What one sort of named file is: its word for people, how a file is loaded (raising
    `error`'s class), how an item is checked again before it is written, and its JSON."""

    word: str  # "preset", "template"
    load: Callable[[Path], T]
    recheck: Callable[[T], T]
    to_json: Callable[[T], dict[str, Any]]
    check_name: Callable[[Any], str]
    error: Callable[[str], InvalidParameter]
    newer: type[InvalidParameter]  # a file from a newer app: reported, never set aside


def read_text(path: Path, error: Callable[[str], InvalidParameter], word: str) -> str:
    """The text of a file to import or load, refusing huge or undecodable files."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise error(f"{path.name}: larger than {MAX_FILE_BYTES // 1_000_000} MB; not a "
                        f"{word}")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise error(f"{path.name}: cannot be read ({exc.strerror or exc})") from None


def parse_json_text(text: str, *, source: str,
                    error: Callable[[str], InvalidParameter]) -> Any:
    """JSON without NaN/Infinity; too-deep nesting and bad syntax raise `error`."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")
    try:
        return json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise error(f"{source}: not valid JSON ({reason})") from None


def file_stem(name: str) -> str:
    """A safe, case-insensitively unique file stem for a name: letters, digits and a few
    punctuation marks stay, anything else is %-escaped; very long stems end in a hash."""
    out = []
    for char in name.casefold():
        if char.isalnum() or char in " -_.()+,'&!":
            out.append(char)
        else:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8")))
    stem = "".join(out)
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    if len(stem.encode("utf-8")) > 160:
        digest = hashlib.sha256(name.casefold().encode("utf-8")).hexdigest()[:12]
        stem = stem.encode("utf-8")[:140].decode("utf-8", "ignore") + "~" + digest
    return stem


def model_key(model: str) -> str:
    """Defaults are kept per model by its base id (suffixes ignored)."""
    return ModelId.parse(model).base


class NamedFiles(Generic[T]):
    """The built-ins in `builtins` plus the user's files in `directory`, and a default per model
    in `defaults_path`."""

    def __init__(self, kind: Kind[T], directory: Path, builtins: Path,
                 defaults_path: Path) -> None:
        self.kind = kind
        self.directory = directory
        self.builtins = builtins
        self.defaults_path = defaults_path
        self._problems: list[str] = []

    # reading

    def list(self) -> Listing[T]:
        found = self._scan()
        user = sorted((item for item, _ in found.values() if not item.builtin),
                      key=lambda item: item.name.casefold())
        items = (*[item for item, _ in found.values() if item.builtin], *user)
        problems, self._problems = tuple(dict.fromkeys(self._problems)), []
        return Listing(items, problems)

    def get(self, name: str) -> T:
        found = self._scan()
        try:
            return found[name.strip().casefold()][0]
        except KeyError:
            known = ", ".join(item.name for item, _ in found.values())
            raise self.kind.error(f"no {self.kind.word} named {name!r} (known: {known})"
                                  ) from None

    # writing

    def save(self, item: T, *, replace_existing: bool = False) -> Path:
        """Write a user item. An existing one of that name is replaced only when asked."""
        item = self.kind.recheck(item)  # one built by hand is checked too
        word = self.kind.word
        existing = self._scan().get(item.name.casefold())
        if existing is not None:
            if existing[0].builtin:
                raise self.kind.error(f"{existing[0].name!r} is a built-in {word}; save under "
                                      "another name")
            if not replace_existing:
                raise self.kind.error(f"a {word} named {existing[0].name!r} already exists")
        path = existing[1] if existing is not None else self._path_for(item.name)
        atomic_write_json(path, self.kind.to_json(item))
        return path

    def rename(self, old: str, new: str) -> T:
        current, path = self._user(old)
        new = self.kind.check_name(new)
        clash = self._scan().get(new.casefold())
        if clash is not None and clash[1] != path:
            raise self.kind.error(f"a {self.kind.word} named {clash[0].name!r} already exists")
        renamed: T = dataclasses.replace(current, name=new)  # type: ignore[type-var]
        target = self._path_for(new)
        atomic_write_json(target, self.kind.to_json(renamed))
        if target != path:
            path.unlink(missing_ok=True)
        self._retarget_defaults(current.name, new)
        return renamed

    def duplicate(self, name: str, new_name: str) -> T:
        """Copy any item, built-in or not, to a new user item."""
        copy: T = dataclasses.replace(  # type: ignore[type-var]
            self.get(name), name=self.kind.check_name(new_name), builtin=False)
        self.save(copy)
        return copy

    def delete(self, name: str) -> None:
        item, path = self._user(name)
        path.unlink()
        self._retarget_defaults(item.name, None)

    # a default per model (keyed by the model's base id, suffixes ignored)

    def default_for(self, model: str) -> str | None:
        return self._read_defaults().get(model_key(model))

    def set_default(self, model: str, name: str | None) -> None:
        """Make `name` the default for `model` (None clears it)."""
        defaults = self._read_defaults()
        key = model_key(model)
        if name is None:
            defaults.pop(key, None)
        else:
            defaults[key] = self.get(name).name
        atomic_write_json(self.defaults_path, {"version": 1, "defaults": defaults})

    # internals

    def _scan(self) -> dict[str, tuple[T, Path]]:
        found: dict[str, tuple[T, Path]] = {}
        for path, builtin in self._files():
            try:
                item = self._load(path, builtin)
            except InvalidParameter as problem:
                self._problems.append(problem.message)
                continue
            key = item.name.casefold()
            if key in found:
                self._problems.append(f"{path.name}: ignored, the name {item.name!r} is "
                                      f"already used by {found[key][1].name}")
                continue
            found[key] = (item, path)
        return found

    def _files(self) -> Iterator[tuple[Path, bool]]:
        if not self.builtins.is_dir():
            self._problems.append(f"built-in {self.kind.word}s not found in {self.builtins}")
        else:
            for path in sorted(self.builtins.glob("*.json")):
                yield path, True
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.json")):
                if not path.name.startswith(".") and path.is_file():
                    yield path, False

    def _load(self, path: Path, builtin: bool) -> T:
        try:
            item = self.kind.load(path)
        except self.kind.newer:
            raise
        except InvalidParameter as exc:
            if builtin:
                raise
            moved = set_aside(path)
            reason = exc.message.removeprefix(f"{path.name}: ")
            raise self.kind.error(f"{path.name} was set aside as {moved.name}: {reason}"
                                  ) from None
        return dataclasses.replace(item, builtin=builtin)  # type: ignore[type-var]

    def _user(self, name: str) -> tuple[T, Path]:
        item = self.get(name)
        if item.builtin:
            raise self.kind.error(f"{item.name!r} is a built-in {self.kind.word} and cannot be "
                                  "changed; duplicate it first")
        return self._scan()[item.name.casefold()]

    def _path_for(self, name: str) -> Path:
        return self.directory / f"{file_stem(name)}.json"

    def _read_defaults(self) -> dict[str, str]:
        try:
            text = self.defaults_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            return self._bad_defaults(str(exc))
        try:
            data = parse_json_text(text, source=self.defaults_path.name, error=self.kind.error)
        except InvalidParameter as exc:
            return self._bad_defaults(exc.message)
        defaults = data.get("defaults") if isinstance(data, dict) else None
        if not isinstance(defaults, dict):
            return self._bad_defaults("no defaults object")
        return {k: v for k, v in defaults.items() if isinstance(k, str) and isinstance(v, str)}

    def _bad_defaults(self, reason: str) -> dict[str, str]:
        moved = set_aside(self.defaults_path)
        self._problems.append(str(CorruptFile(self.defaults_path, moved, reason)))
        return {}

    def _retarget_defaults(self, old: str, new: str | None) -> None:
        defaults = self._read_defaults()
        updated = {model: new if name.casefold() == old.casefold() else name
                   for model, name in defaults.items()}
        kept = {model: name for model, name in updated.items() if name is not None}
        if kept != defaults:
            atomic_write_json(self.defaults_path, {"version": 1, "defaults": kept})
