"""Parsing ``NAME=VALUE`` assignments, as the CLI's ``--set`` takes them.

VALUE is JSON when it parses as JSON, else the text itself: ``temperature=0.5`` is a number,
``stop='["\\n\\n","END"]'`` a list, ``stop=END`` the string "END".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from playground.core.catalog import BY_NAME, Kind
from playground.core.errors import InvalidParameter


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_field_text(name: str, text: str) -> Any:
    """A value for parameter `name` typed as text. Empty text is None (unset). Token-id lists
    may be written without brackets (``1, 2, 3``)."""
    text = text.strip()
    if not text:
        return None
    spec = BY_NAME.get(name)
    if spec is not None and spec.kind is Kind.TOKEN_IDS and not text.startswith("["):
        return parse_value(f"[{text}]") if _looks_numeric(text) else text
    if spec is not None and spec.kind is Kind.STRINGS and not text.startswith(("[", '"')):
        return text
    return parse_value(text)


def _looks_numeric(text: str) -> bool:
    return all(part.strip().lstrip("-").isdigit() for part in text.split(","))


def parse_assignment(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidParameter(name or text, f"--set {text!r}: expected NAME=VALUE, "
                               "e.g. temperature=0.7")
    return name, parse_field_text(name, value)


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """Later assignments of the same name win, as on any command line. Names and values are
    checked afterwards, by the catalog."""
    return dict(parse_assignment(item) for item in items)
