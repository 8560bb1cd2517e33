"""What the subcommands print in common: JSON for scripts, short lines for people."""

from __future__ import annotations

import json
from typing import Any


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def first_line(text: str, width: int) -> str:
    """The text's first non-blank line, cut to `width` characters with an ellipsis."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[:width - 1] + "…"
