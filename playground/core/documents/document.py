"""A document: one prompt and the settings it runs with, as a tab shows it.

Its parameters are request-body fields in the catalog's names, checked by the catalog; its
routing is `Routing` as the window keeps it (``model_dump(mode="json", exclude_defaults=True)``),
which also holds the billing mode. A document never holds a key: keys live in the keyring and
travel in headers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

from playground.core.catalog import body_fields, validate_params
from playground.core.errors import InvalidParameter
from playground.core.extra_fields import check_extra
from playground.core.routing import Routing, normalize_billing_mode, parse_routing_object

Mode = Literal["two-pane", "notebook"]
MODES: tuple[Mode, ...] = get_args(Mode)

MAX_NAME_CHARS = 120
DEFAULT_NAME = "Untitled"

#: The fields a document's content is made of (the store adds id and timestamps).
CONTENT_FIELDS = ("name", "prompt", "model", "connection", "params", "routing", "preset", "mode",
                  "completions", "extra", "template")
TIMESTAMP_FIELDS = ("created_at", "updated_at", "last_used_at")
ROUTING_FIELDS = ("provider", "header_provider", "billing_mode", "billing_as_header")


@dataclass(frozen=True)
class Completion:
    """A completion the model wrote into a notebook's text: where it is (character offsets in
    the prompt), every version of it (Regenerate) and which one the text holds, and the group
    that links the versions' runs in history."""

    start: int
    end: int
    versions: tuple[str, ...]
    shown: int
    group: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "versions": list(self.versions),
                "shown": self.shown, "group": self.group}


@dataclass(frozen=True)
class Document:
    id: int
    name: str
    prompt: str = ""
    model: str = ""  # empty: the connection's own model
    connection: str = "local"
    params: Mapping[str, Any] = field(default_factory=dict)
    routing: Mapping[str, Any] = field(default_factory=dict)
    preset: str | None = None  # the preset it was last set from
    mode: Mode = "two-pane"
    completions: tuple[Completion, ...] = ()  # in notebook mode, tinted and with versions
    #: Fields the catalog lacks, sent verbatim (`extra_fields`).
    extra: Mapping[str, Any] = field(default_factory=dict)
    template: str | None = None  # the instruct template its turns are written in
    created_at: str = ""  # ISO 8601, UTC
    updated_at: str = ""
    last_used_at: str = ""

    def to_routing(self) -> Routing:
        return parse_routing(self.routing)

    def to_json(self) -> dict[str, Any]:
        """The portable form, as exported: everything but the local id."""
        return {"name": self.name, "mode": self.mode, "prompt": self.prompt,
                "model": self.model, "connection": self.connection,
                "params": dict(self.params), "routing": dict(self.routing),
                "preset": self.preset,
                "completions": [completion.to_json() for completion in self.completions],
                "extra": dict(self.extra), "template": self.template,
                "created_at": self.created_at,
                "updated_at": self.updated_at, "last_used_at": self.last_used_at}


@dataclass(frozen=True)
class DocumentSummary:
    """What a list of documents shows: no settings, and only the start of the prompt."""

    id: int
    name: str
    mode: Mode
    model: str
    connection: str
    preview: str  # the first characters of the prompt
    created_at: str
    updated_at: str
    last_used_at: str


class RequestInputs(NamedTuple):
    """What a run needs from a document, checked again (the catalog may have changed since it
    was saved). `model` is empty when the connection's own model is meant."""

    prompt: str
    model: str
    params: dict[str, Any]
    routing: Routing
    connection: str
    extra: dict[str, Any]


def document_request_inputs(document: Document) -> RequestInputs:
    """The document's prompt and settings for `build_request`; a caller merges its overrides
    into `params` (and its routing) first. Raises `InvalidParameter` naming the field."""
    params = body_fields(validate_params(document.params))
    return RequestInputs(document.prompt, document.model, params,
                         parse_routing(document.routing), document.connection,
                         check_extra(document.extra))


def check_name(value: Any) -> str:
    """A document name: 1 to 120 characters, no control characters; spaces around it go."""
    if not isinstance(value, str):
        raise InvalidParameter("name", "name: the document has no name" if value is None
                               else f"name: must be a string, not {_kind(value)}")
    name = value.strip()
    if not name:
        raise InvalidParameter("name", "name: the document name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidParameter("name", f"name: longer than {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise InvalidParameter("name", f"name: {name!r} contains control characters")
    return name


def check_content(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the content fields present in `data` and return them in stored form: params
    through the catalog (unset ones dropped), routing through `Routing`. The first bad field
    raises `InvalidParameter` naming it."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "name":
            out[key] = check_name(value)
        elif key == "prompt":
            out[key] = _string(key, value)
        elif key in ("model", "connection"):
            out[key] = _line(key, value)
        elif key == "params":
            if not isinstance(value, Mapping):
                raise InvalidParameter("params", f"params: must be an object of API field "
                                       f"names, not {_kind(value)}")
            out[key] = body_fields(validate_params(value))
        elif key == "routing":
            out[key] = parse_routing(value).model_dump(mode="json", exclude_defaults=True)
        elif key in ("preset", "template"):
            out[key] = None if value is None else (_line(key, value).strip() or None)
        elif key == "completions":
            prompt = data.get("prompt")
            out[key] = check_completions(value, prompt if isinstance(prompt, str) else None)
        elif key == "extra":
            out[key] = check_extra(value)
        elif key == "mode":
            if value not in MODES:
                raise InvalidParameter("mode", f"mode: {value!r} is not a mode (allowed: "
                                       f"{', '.join(MODES)})")
            out[key] = value
        else:
            raise InvalidParameter(key, f"{key}: not a field of a document (known: "
                                   f"{', '.join(CONTENT_FIELDS + TIMESTAMP_FIELDS)})")
    if "connection" in out and not out["connection"].strip():
        raise InvalidParameter("connection", "connection: the connection name is empty")
    return out


def check_completions(value: Any, prompt: str | None) -> tuple[Completion, ...]:
    """Completions as a document keeps them, each checked against `prompt` (when given): it
    lies within the prompt, in order, and the prompt holds the version it says it shows."""
    if not isinstance(value, list | tuple):
        raise InvalidParameter("completions", f"completions: must be a list, not {_kind(value)}")
    out: list[Completion] = []
    for index, item in enumerate(value):
        where = f"completions[{index}]"
        if isinstance(item, Completion):
            item = item.to_json()
        if not isinstance(item, Mapping):
            raise InvalidParameter("completions", f"{where}: must be an object")
        numbers = (item.get("start"), item.get("end"), item.get("shown", 0))
        versions, group = item.get("versions"), item.get("group")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise InvalidParameter("completions", f"{where}: start, end and shown must be whole "
                                   "numbers")
        start, end, shown = (n for n in numbers if isinstance(n, int))
        if not (isinstance(versions, list | tuple) and versions
                and all(isinstance(v, str) for v in versions)):
            raise InvalidParameter("completions", f"{where}: versions must be a list of texts")
        if not isinstance(group, str) or not group:
            raise InvalidParameter("completions", f"{where}: group must be a name")
        limit = len(prompt) if prompt is not None else end
        previous = out[-1].end if out else 0
        if not (previous <= start <= end <= limit and 0 <= shown < len(versions)):
            raise InvalidParameter("completions", f"{where}: {start}–{end} (version {shown}) "
                                   "is not within the prompt, after the one before")
        if prompt is not None and prompt[start:end] != versions[shown]:
            raise InvalidParameter("completions", f"{where}: the prompt does not hold its "
                                   "version there (edited since?)")
        out.append(Completion(start, end, tuple(versions), shown, group))
    return tuple(out)


def parse_routing(data: Any) -> Routing:
    """Routing as the window keeps it: provider (an id or a routing object), header_provider
    (X-Provider), billing_mode and billing_as_header; each checked, errors naming the key."""
    if not isinstance(data, Mapping):
        raise InvalidParameter("routing", f"routing: must be an object, not {_kind(data)}")
    unknown = sorted(set(data) - set(ROUTING_FIELDS))
    if unknown:
        raise InvalidParameter(unknown[0], f"routing.{unknown[0]}: not a routing field "
                               f"(known: {', '.join(ROUTING_FIELDS)})")
    provider: Any = data.get("provider")
    if isinstance(provider, Mapping):
        try:
            provider = parse_routing_object(dict(provider))
        except InvalidParameter as exc:
            raise InvalidParameter("provider", f"routing.{exc.message}") from None
    elif provider is not None and not isinstance(provider, str):
        raise InvalidParameter("provider", "routing.provider: must be a provider id or a "
                               f"routing object, not {_kind(provider)}")
    header = data.get("header_provider")
    if header is not None and not isinstance(header, str):
        raise InvalidParameter("header_provider", "routing.header_provider: must be a "
                               f"provider id, not {_kind(header)}")
    billing = data.get("billing_mode")
    if billing is not None and not isinstance(billing, str):
        raise InvalidParameter("billing_mode", f"routing.billing_mode: must be a string, not "
                               f"{_kind(billing)}")
    try:
        normalize_billing_mode(billing)
    except InvalidParameter as exc:
        raise InvalidParameter("billing_mode", f"routing.{exc.message}") from None
    as_header = data.get("billing_as_header", False)
    if not isinstance(as_header, bool):
        raise InvalidParameter("billing_as_header", "routing.billing_as_header: must be true "
                               f"or false, not {_kind(as_header)}")
    return Routing(provider=provider, header_provider=header, billing_mode=billing,
                   billing_as_header=as_header)


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidParameter(key, f"{key}: must be a string, not {_kind(value)}")
    return value


def _line(key: str, value: Any) -> str:
    """A model id, a connection or preset name: one line, no control characters."""
    text = _string(key, value)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        raise InvalidParameter(key, f"{key}: {text!r} contains control characters")
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
