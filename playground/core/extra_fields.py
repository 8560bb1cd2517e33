"""Extra fields: request-body fields the catalog lacks, written as a JSON object and sent
verbatim after the dialect's translation (a server's newest sampler, a provider's own switch).

A key the app already writes is refused with what to use instead: a catalog field (or a
server's name for one, e.g. llama.cpp's ``repeat_penalty``), the request's own fields, NanoGPT's
routing, or the app's ``x_`` extensions. Refusals name the field ``extra_fields``; text that is
not JSON is refused with its line and column.
"""

from __future__ import annotations

import json
from typing import Any

from playground.core.catalog import BY_NAME
from playground.core.dialects import TABLE
from playground.core.errors import InvalidParameter

FIELD = "extra_fields"
#: Written by the app itself, from the prompt, the model picker and the run buttons.
OWN = ("model", "prompt", "stream", "stream_options")
#: NanoGPT's routing body fields, set in the routing editor.
ROUTING = ("provider", "billing_mode")


def _spellings() -> dict[str, tuple[str, str]]:
    """A server's name for a catalog field -> (the catalog field, the server)."""
    out: dict[str, tuple[str, str]] = {}
    for name, row in TABLE.items():
        for dialect, rule in row.items():
            wire = rule.expand(1.0, {}) if rule.expand else {rule.name: None} if rule.name else {}
            for key in wire:
                if key not in BY_NAME:
                    out.setdefault(key, (name, dialect))
    return out


_SPELLINGS = _spellings()


def parse_extra(text: str) -> dict[str, Any]:
    """The object typed in the editor (blank: none); refused as `check_extra` says."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameter(FIELD, f"{FIELD}: not valid JSON: {exc.msg} at line "
                               f"{exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise InvalidParameter(FIELD, f"{FIELD}: nested too deeply") from None
    return check_extra(value)


def check_extra(value: Any) -> dict[str, Any]:
    """`value` as extra fields, or `InvalidParameter` saying what to use instead."""
    if not isinstance(value, dict):
        raise InvalidParameter(FIELD, f"{FIELD}: must be a JSON object of field names to "
                               'values, e.g. {"mirostat_ent": 2}')
    for key in value:
        _check_key(key)
    return dict(value)


def _check_key(key: Any) -> None:
    def refuse(why: str) -> InvalidParameter:
        return InvalidParameter(FIELD, f"{FIELD}: {key!r} {why}")

    if not isinstance(key, str) or not key:
        raise refuse("is not a field name")
    if key in BY_NAME:
        raise refuse("is a sampler parameter of the panel: set it there (or with --set), "
                      "so it is checked and translated for each server")
    if key in _SPELLINGS:
        name, dialect = _SPELLINGS[key]
        raise refuse(f"is how {dialect} spells {name}: set {name} instead, and it is sent "
                     "under each server's own name")
    if key in OWN:
        raise refuse("is written by the app itself (from the editor, the model and Run)")
    if key in ROUTING:
        raise refuse("is NanoGPT's routing: set it in the Routing tab (or --provider, "
                     "--billing-mode)")
    if is_extension(key):
        raise refuse("is one of the app's own extension fields (the notebook's suffix, the "
                     "local engine's x_ fields)")


def is_extension(key: str) -> bool:
    """One of the app's own fields beyond the catalog: the text after the cursor for
    fill-in-the-middle (``suffix``) and the local engine's ``x_`` fields."""
    return key == "suffix" or key.startswith("x_")
