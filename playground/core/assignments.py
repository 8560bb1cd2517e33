"""Parsing ``NAME=VALUE`` assignments, as the CLI's ``--set`` (and ``--set-json``) take them.

VALUE is JSON when it parses as JSON, else the text itself: ``temperature=0.5`` is a number,
``stop='["\\n\\n","END"]'`` a list, ``stop=END`` the string "END". Whitespace in a string value
is data (``stop=$'\\n\\nUser:'`` keeps both newlines); around a number or an object it is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from playground.core.catalog import BY_NAME, Kind
from playground.core.errors import InvalidParameter
from playground.core.extra_fields import FIELD, check_extra


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_field_text(name: str, text: str) -> Any:
    """A value for parameter `name` typed as text. Empty text is None (unset). Token-id lists
    may be written without brackets (``1, 2, 3``). Stop strings are taken as typed, spaces and
    newlines included, unless they are JSON (a list, a quoted string, or null)."""
    spec = BY_NAME.get(name)
    if spec is not None and spec.kind is Kind.STRINGS:
        return parse_value(text) if text.startswith(("[", '"')) or text == "null" else (
            text or None)
    text = text.strip()
    if not text:
        return None
    if spec is not None and spec.kind is Kind.TOKEN_IDS and not text.startswith("["):
        return parse_value(f"[{text}]" if _looks_numeric(text) else text)
    return parse_value(text)


def _looks_numeric(text: str) -> bool:
    return all(part.strip().lstrip("-").isdigit() for part in text.split(","))


def parse_assignment(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` as a name and a value (``NAME=null`` unsets NAME, e.g. a preset's). An
    empty VALUE is refused, naming the field: on a command line it is most often a shell
    substitution that came out empty, and silently sending nothing in its place hides that."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidParameter(name or text, f"--set {text!r}: expected NAME=VALUE, "
                               "e.g. temperature=0.7")
    parsed = parse_field_text(name, value)
    if parsed is None and value.strip() != "null":
        spec = BY_NAME.get(name)
        allowed = f" (allowed: {spec.allowed()})" if spec is not None else ""
        raise InvalidParameter(name, f"{name}: the value is empty{allowed}; write "
                               f"{name}=null to unset it")
    return name, parsed


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """Later assignments of the same name win, as on any command line. Names and values are
    checked afterwards, by the catalog."""
    return dict(parse_assignment(item) for item in items)


def parse_json_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``--set-json KEY=JSON`` items as extra fields (`extra_fields`): VALUE must be JSON
    (refused with its line and column), and KEY may not be a field the app writes itself."""
    out: dict[str, Any] = {}
    for text in items:
        key, sep, value = text.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidParameter(FIELD, f"--set-json {text!r}: expected KEY=JSON, e.g. "
                                   "mirostat_ent=2")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidParameter(FIELD, f"{FIELD}: {key}: not valid JSON: {exc.msg} at "
                                   f"line {exc.lineno}, column {exc.colno}") from None
    return check_extra(out)
