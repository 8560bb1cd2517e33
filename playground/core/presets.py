"""Presets: the request minus the prompt, saved by name.

A preset holds the set sampler parameters (API field names; unset ones are absent), optionally
a model, provider routing and billing mode, plus a name, a one-line description and a format
version. User presets are JSON files in ``config_dir()/presets/``, one per preset; built-ins are
read-only files shipped in ``resources/presets/``. Everything is validated against the catalog
on load, so a preset can never hold a value the request builder would refuse.

File format (version 1)::

    {"version": 1, "name": "Balanced", "description": "...", "params": {"temperature": 0.7},
     "model": "...", "provider": "id" | {routing object}, "header_provider": "...",
     "billing_mode": "paygo", "extra_fields": {"mirostat_ent": 2},
     "foreign": {"sillytavern": {...}, "textgen": {...}}}

``extra_fields`` are body fields the catalog lacks, sent verbatim (`playground.core.extra_fields`).

``foreign`` keeps the settings an imported file had that this app has no equivalent for, per
source format, so exporting back to that format loses nothing (see `playground.core.interop`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.catalog import BY_NAME, SamplerParams, body_fields, validate_params
from playground.core.errors import InvalidParameter
from playground.core.extra_fields import check_extra
from playground.core.migrations import check_list, pending
from playground.core.model_id import ModelId
from playground.core.named_files import Kind, NamedFiles, read_text
from playground.core.named_files import parse_json_text as parse_json
from playground.core.paths import config_dir, resource_dir
from playground.core.routing import (
    ProviderRouting,
    Routing,
    normalize_billing_mode,
    parse_routing_object,
)

MAX_NAME_CHARS = 80
MAX_DESCRIPTION_CHARS = 1000
#: Source formats whose leftover settings a preset may carry (see `Preset.foreign`).
FOREIGN_FORMATS = ("sillytavern", "textgen")

_KEYS = ("version", "name", "description", "params", "model", "provider", "header_provider",
         "billing_mode", "extra_fields", "foreign")


class PresetError(InvalidParameter):
    """A preset (or preset file) is malformed or refused; the message names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__("preset", message)


class NewerPresetVersion(PresetError):
    """The file was written by a newer version of the app; it is left alone, not set aside."""


@dataclass(frozen=True)
class Preset:
    name: str
    params: SamplerParams = field(default_factory=SamplerParams)
    description: str = ""
    model: str | None = None
    provider: str | ProviderRouting | None = None
    header_provider: str | None = None
    billing_mode: str | None = None
    #: Fields the catalog lacks, sent verbatim (see `extra_fields`).
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Settings from an imported file with no equivalent here, per source format.
    foreign: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    builtin: bool = field(default=False, compare=False)

    @classmethod
    def create(cls, name: str, params: Mapping[str, Any] | SamplerParams, *,
               description: str = "", model: str | None = None,
               routing: Routing | None = None,
               extra: Mapping[str, Any] | None = None) -> Preset:
        """A validated preset from what is on screen (e.g. "save as")."""
        values = body_fields(params) if isinstance(params, SamplerParams) else dict(params)
        data: dict[str, Any] = {"version": VERSION, "name": name, "description": description,
                                "params": values, "model": model,
                                "extra_fields": dict(extra) if extra else None}
        if routing is not None:
            provider = routing.provider
            data.update(provider=provider.body() if isinstance(provider, ProviderRouting)
                        else provider, header_provider=routing.header_provider,
                        billing_mode=routing.billing_mode)
        return parse_preset({k: v for k, v in data.items() if v is not None})

    def param_values(self) -> dict[str, Any]:
        """The set parameters as request-body fields, in catalog order."""
        return body_fields(self.params)

    def routing(self) -> Routing:
        return Routing(provider=self.provider, header_provider=self.header_provider,
                       billing_mode=self.billing_mode)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": VERSION, "name": self.name,
                               "description": self.description, "params": self.param_values()}
        out.update(_routing_fields(self))
        if self.extra:
            out["extra_fields"] = dict(self.extra)
        if self.foreign:
            out["foreign"] = {fmt: dict(values) for fmt, values in self.foreign.items()}
        return out


def _routing_fields(preset: Preset) -> dict[str, Any]:
    provider = preset.provider
    fields = {"model": preset.model,
              "provider": provider.body() if isinstance(provider, ProviderRouting) else provider,
              "header_provider": preset.header_provider, "billing_mode": preset.billing_mode}
    return {k: v for k, v in fields.items() if v is not None}


def diff(a: Preset, b: Preset) -> dict[str, tuple[Any, Any]]:
    """What differs between two presets as far as a request is concerned: parameter name (or
    model, provider, header_provider, billing_mode, extra_fields) -> (value in a, value in
    b); None is unset. Name, description and foreign settings are not compared."""
    left = {**a.param_values(), **_routing_fields(a), "extra_fields": dict(a.extra) or None}
    right = {**b.param_values(), **_routing_fields(b), "extra_fields": dict(b.extra) or None}
    order = [*BY_NAME, "model", "provider", "header_provider", "billing_mode", "extra_fields"]
    return {key: (left.get(key), right.get(key)) for key in order
            if left.get(key) != right.get(key)}


# -- loading and validation ---------------------------------------------------------------------

def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 is a request body saved as a preset: sampler fields at the top level next to
    model and provider, and no version. They move under ``params``; the body's ``prompt`` and
    ``stream`` are not preset fields and are dropped."""
    params = data.get("params", {})
    moved = {k: v for k, v in data.items() if k in BY_NAME}
    if isinstance(params, dict):
        params = {**params, **moved}
    rest = {k: v for k, v in data.items()
            if k not in BY_NAME and k not in ("prompt", "stream", "params")}
    return {**rest, "version": 1, "params": params}


#: The preset file format's named steps, in order (append new ones; never rename one). A
#: file's ``version`` is how many it has had: version 0 (no ``version`` key) none.
MIGRATIONS: tuple[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]], ...] = (
    ("move a request body's sampler fields under params", _v0_to_v1),
)
VERSION = len(MIGRATIONS)
check_list(MIGRATIONS)


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a preset's JSON up to `VERSION` through the steps it has not had."""
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise PresetError(f"version: {version!r} is not a format version (a whole number)")
    if version > VERSION:
        raise NewerPresetVersion(f"version: format {version} was written by a newer version "
                                 f"of the app (this one reads up to {VERSION})")
    done = [name for name, _step in MIGRATIONS[:version]]
    for _name, step in pending(done, MIGRATIONS, what="the preset"):
        data = step(data)
    return {**data, "version": VERSION}


def parse_preset(data: Any, *, fallback_name: str | None = None) -> Preset:
    """Validate preset JSON (any version) into a `Preset`; `PresetError` names the problem.

    `fallback_name` is used when the data has no name (a file's stem, an import's name)."""
    try:
        return _parse(data, fallback_name)
    except PresetError:
        raise
    except InvalidParameter as exc:  # from the catalog, the model id or the routing
        raise PresetError(exc.message) from None
    except OverflowError:  # validate_params converts whole numbers to float
        raise PresetError("params: a number is too large") from None


def _parse(data: Any, fallback_name: str | None) -> Preset:
    if not isinstance(data, dict):
        raise PresetError(f"a preset must be a JSON object, not {_kind(data)}")
    data = migrate(data)
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise PresetError(f"unknown key{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(map(repr, unknown))} (allowed: {', '.join(_KEYS)})")
    name = check_name(data.get("name", fallback_name))
    description = _optional_str(data, "description") or ""
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise PresetError(f"description: longer than {MAX_DESCRIPTION_CHARS} characters")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise PresetError(f"params: must be an object of API field names, not {_kind(params)}")
    checked = validate_params(params)
    model = _optional_str(data, "model")
    provider = data.get("provider")
    if isinstance(provider, dict):
        provider = parse_routing_object(provider)
    elif provider is not None and not isinstance(provider, str):
        raise PresetError(f"provider: a provider id or a routing object, not {_kind(provider)}")
    routing = Routing(provider=provider, header_provider=_optional_str(data, "header_provider"),
                      billing_mode=_optional_str(data, "billing_mode"))
    if model is not None:
        routing.check(ModelId.parse(model))
    else:
        normalize_billing_mode(routing.billing_mode)
    return Preset(name=name, params=checked, description=description, model=model,
                  provider=routing.provider, header_provider=routing.header_provider,
                  billing_mode=routing.billing_mode,
                  extra=check_extra(data.get("extra_fields", {})),
                  foreign=_check_foreign(data.get("foreign")))


def check_name(value: Any) -> str:
    """A preset name: 1 to 80 characters, no path separators or control characters."""
    if not isinstance(value, str):
        raise PresetError("name: the preset has no name" if value is None
                          else f"name: must be a string, not {_kind(value)}")
    name = value.strip()
    if not name:
        raise PresetError("name: the preset name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise PresetError(f"name: longer than {MAX_NAME_CHARS} characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise PresetError(f"name: {name!r} looks like a path; use a plain name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise PresetError(f"name: {name!r} contains control characters")
    return name


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PresetError(f"{key}: must be a string, not {_kind(value)}")
    return value.strip() or None


def _check_foreign(value: Any) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or any(k not in FOREIGN_FORMATS for k in value):
        raise PresetError("foreign: must be an object keyed by "
                          + " or ".join(FOREIGN_FORMATS))
    out: dict[str, dict[str, Any]] = {}
    for fmt, values in value.items():
        if not isinstance(values, dict) or not is_json_data(values):
            raise PresetError(f"foreign.{fmt}: must be an object of plain JSON values")
        out[fmt] = values
    return out


def is_json_data(value: Any) -> bool:
    """True for plain JSON data (string keys, finite numbers) that survives a save and load."""
    try:
        return _is_json(value)
    except RecursionError:
        return False


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def read_preset_text(path: Path) -> str:
    """The text of a preset file to import or load, refusing huge or undecodable files."""
    return read_text(path, PresetError, "preset")


def parse_json_text(text: str, *, source: str) -> Any:
    """JSON without NaN/Infinity; too-deep nesting and bad syntax raise `PresetError`."""
    return parse_json(text, source=source, error=PresetError)


def load_preset_file(path: Path) -> Preset:
    """Load a native preset file from anywhere (``run --preset FILE``); the stem names it if
    the file has no name."""
    text = read_preset_text(path)
    try:
        return parse_preset(parse_json_text(text, source=path.name), fallback_name=path.stem)
    except PresetError as exc:
        raise _prefixed(exc, path.name) from None


def _prefixed(exc: PresetError, source: str) -> PresetError:
    if exc.message.startswith(f"{source}:"):
        return exc
    return type(exc)(f"{source}: {exc.message}")


# -- where presets live -------------------------------------------------------------------------

def builtin_dir() -> Path:
    """The read-only built-in presets."""
    return resource_dir() / "presets"


def _preset_kind() -> Kind[Preset]:
    return Kind("preset", load=load_preset_file,
                recheck=lambda preset: parse_preset(preset.to_json()),
                to_json=Preset.to_json, check_name=check_name, error=PresetError,
                newer=NewerPresetVersion)


class PresetStore(NamedFiles[Preset]):
    """The built-in presets plus the user's, one JSON file each (``config_dir()/presets/``), and
    a default per model (``preset_defaults.json``); see `named_files`."""

    def __init__(self, root: Path | None = None, builtins: Path | None = None) -> None:
        root = root or config_dir()
        super().__init__(_preset_kind(), root / "presets", builtins or builtin_dir(),
                         root / "preset_defaults.json")
