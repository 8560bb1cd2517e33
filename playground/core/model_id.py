"""Model ids with NanoGPT's suffixes, composed and parsed.

A model id is a base id followed by optional suffixes, e.g. ``zai-org/glm-5:thinking:online:fast``.
Parsing peels known suffixes off the right end and stops at the first unknown one, so ids that
contain colons themselves (Ollama's ``llama3:8b``) keep them in the base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playground.core.errors import InvalidParameter

#: Routing preference suffixes and their aliases, mapped to the canonical suffix.
ROUTING_ALIASES: dict[str, str] = {
    "speed": "speed", "fast": "speed",
    "throughput": "throughput",
    "latency": "latency",
    "price": "price", "cheap": "price", "floor": "price",
    "caching": "caching",
}
#: Canonical routing suffix -> the word people know it by in the UI.
ROUTING_LABELS = {"speed": "fast", "throughput": "throughput", "latency": "latency",
                  "price": "cheap", "caching": "caching"}

#: Web-search providers known to work after ``:online/``; others are accepted as written.
WEB_SEARCH_PROVIDERS = ("exa-instant", "exa-deep-reasoning", "linkup", "linkup-deep", "tavily")

MEMORY_DAYS = range(1, 366)
_MEMORY = re.compile(r"memory(?:-(\d+))?", re.IGNORECASE)
_PROVIDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class ModelId:
    """A parsed model id. Flags default to off; `compose()` writes them in a canonical order."""

    base: str
    thinking: bool = False
    online: bool = False
    online_provider: str | None = None
    memory: bool = False
    memory_days: int | None = None
    reasoning_exclude: bool = False
    routing: str | None = None  # canonical: speed, throughput, latency, price, caching

    def __post_init__(self) -> None:
        if not self.base.strip():
            raise InvalidParameter("model", "model: the model id is empty")
        if self.online_provider is not None:
            if not _PROVIDER_NAME.fullmatch(self.online_provider):
                raise InvalidParameter(
                    "model", f"model: web-search provider {self.online_provider!r} is not a "
                             f"valid name (e.g. {', '.join(WEB_SEARCH_PROVIDERS)})")
            object.__setattr__(self, "online", True)
        if self.memory_days is not None:
            if self.memory_days not in MEMORY_DAYS:
                raise InvalidParameter(
                    "model", f"model: memory days {self.memory_days} is outside 1 to 365")
            object.__setattr__(self, "memory", True)
        if self.routing is not None and self.routing not in ROUTING_ALIASES.values():
            raise InvalidParameter(
                "model", f"model: unknown routing suffix {self.routing!r} "
                         f"(one of {', '.join(sorted(ROUTING_ALIASES))})")

    @classmethod
    def parse(cls, text: str) -> ModelId:
        text = text.strip()
        parts = text.split(":")
        found: dict[str, object] = {}
        while len(parts) > 1:
            segment = parts[-1]
            key = _suffix_key(segment)
            if key is None or key in found:
                break
            found[key] = _suffix_value(segment)
            parts.pop()
        base = ":".join(parts)
        online = found.get("online")
        memory = found.get("memory")
        routing = found.get("routing")
        return cls(
            base=base,
            thinking="thinking" in found,
            online=online is not None,
            online_provider=online if isinstance(online, str) else None,
            memory=memory is not None,
            memory_days=memory if isinstance(memory, int) and memory is not True else None,
            reasoning_exclude="reasoning_exclude" in found,
            routing=routing if isinstance(routing, str) else None,
        )

    def compose(self) -> str:
        out = [self.base]
        if self.thinking:
            out.append("thinking")
        if self.online:
            out.append(f"online/{self.online_provider}" if self.online_provider else "online")
        if self.memory:
            out.append(f"memory-{self.memory_days}" if self.memory_days else "memory")
        if self.reasoning_exclude:
            out.append("reasoning-exclude")
        if self.routing:
            out.append(ROUTING_LABELS[self.routing])
        return ":".join(out)

    def __str__(self) -> str:
        return self.compose()


def _suffix_key(segment: str) -> str | None:
    low = segment.lower()
    if low == "thinking":
        return "thinking"
    if low == "reasoning-exclude":
        return "reasoning_exclude"
    if low == "online" or low.startswith("online/"):
        return "online"
    if _MEMORY.fullmatch(segment):
        return "memory"
    if low in ROUTING_ALIASES:
        return "routing"
    return None


def _suffix_value(segment: str) -> object:
    low = segment.lower()
    if low.startswith("online/"):
        return segment.split("/", 1)[1]
    if (match := _MEMORY.fullmatch(segment)) is not None:
        return int(match.group(1)) if match.group(1) else True
    if low in ROUTING_ALIASES:
        return ROUTING_ALIASES[low]
    return True
