"""The working draft: what is on screen, saved as it changes so a crash loses nothing.

One JSON file in the data dir, written atomically. It holds the prompt, the connection, the
model, the set parameters, the routing and the extra fields; never a key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playground.core.paths import data_dir
from playground.core.storage import CorruptFile, atomic_write_json, load_json

VERSION = 1


@dataclass(frozen=True)
class Draft:
    prompt: str = ""
    connection: str = "local"
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Draft:
        if not isinstance(data, dict):
            return cls()
        def pick(key: str, kind: type, default: Any) -> Any:
            value = data.get(key)
            return value if isinstance(value, kind) else default
        return cls(prompt=pick("prompt", str, ""), connection=pick("connection", str, "local"),
                   model=pick("model", str, ""), params=pick("params", dict, {}),
                   routing=pick("routing", dict, {}), extra=pick("extra", dict, {}))


class DraftStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "draft.json"

    def load(self) -> tuple[Draft, str | None]:
        """The saved draft (or an empty one) and, if the file was unreadable, what happened."""
        try:
            data = load_json(self.path)
        except CorruptFile as exc:
            return Draft(), str(exc)
        return Draft.from_json(data), None

    def save(self, draft: Draft) -> None:
        atomic_write_json(self.path, {"version": VERSION, **asdict(draft)})
