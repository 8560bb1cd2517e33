"""Instruct templates: a model's turn format, for writing a chat in a raw completion prompt.

A template is data: for each role (system, user, assistant) the text that opens and closes its
turn, the stop strings that end a turn, a default system text, and the model ids it suits
(regular expressions, matched case-insensitively anywhere in the id). Built-ins are files in
``resources/templates/``; the user's own live in ``config_dir()/templates/`` and are kept as
presets are (`named_files`). Every affix is kept exactly as written: whitespace and newlines are
part of the format.

File format (version 1)::

    {"version": 1, "name": "ChatML", "description": "...",
     "system_prefix": "<|im_start|>system\\n", "system_suffix": "<|im_end|>\\n",
     "user_prefix": "...", "user_suffix": "...",
     "assistant_prefix": "...", "assistant_suffix": "...",
     "system_same_as_user": false, "stop": ["<|im_end|>"],
     "default_system": "...", "models": ["qwen", "smollm"]}

``system_same_as_user``: the model has no system role (Gemma, Mistral before V7); a system
turn is written as a user turn, and `Template.build` puts the system text at the start of the
first user turn, as those models' own templates do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from playground.core.errors import InvalidParameter
from playground.core.named_files import Kind, NamedFiles, parse_json_text, read_text
from playground.core.paths import config_dir, resource_dir

Role = Literal["system", "user", "assistant"]
ROLES: tuple[Role, ...] = get_args(Role)
VERSION = 1
MAX_NAME_CHARS = 80
MAX_AFFIX_CHARS = 2000
AFFIXES = tuple(f"{role}_{part}" for role in ROLES for part in ("prefix", "suffix"))
_KEYS = ("version", "name", "description", *AFFIXES, "system_same_as_user", "stop",
         "default_system", "models")


class TemplateError(InvalidParameter):
    """A template (or template file) is malformed or refused; the message names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__("template", message)


class NewerTemplateVersion(TemplateError):
    """Written by a newer version of the app; left alone, not set aside."""


@dataclass(frozen=True)
class Template:
    name: str
    system_prefix: str = ""
    system_suffix: str = ""
    user_prefix: str = ""
    user_suffix: str = ""
    assistant_prefix: str = ""
    assistant_suffix: str = ""
    system_same_as_user: bool = False
    stop: tuple[str, ...] = ()
    default_system: str = ""
    models: tuple[str, ...] = ()  # regular expressions for the model ids it suits
    description: str = ""
    builtin: bool = field(default=False, compare=False)

    def affixes(self, role: Role) -> tuple[str, str]:
        """What opens and closes a turn of `role`."""
        if role == "system" and self.system_same_as_user:
            role = "user"
        prefix: str = getattr(self, f"{role}_prefix")
        suffix: str = getattr(self, f"{role}_suffix")
        return prefix, suffix

    def turn(self, role: Role, text: str = "") -> str:
        prefix, suffix = self.affixes(role)
        return prefix + text + suffix

    def build(self, user: str, system: str | None = None) -> str:
        """A prompt of one exchange, ready for the model to answer: the system turn (if any
        system text), the user's turn and the start of the assistant's. Without a system role,
        the system text opens the user's turn."""
        if system and self.system_same_as_user:
            return self.turn("user", f"{system}\n\n{user}") + self.assistant_prefix
        head = self.turn("system", system) if system else ""
        return head + self.turn("user", user) + self.assistant_prefix

    def suits(self, model: str) -> bool:
        return any(re.search(pattern, model, re.IGNORECASE) for pattern in self.models)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": VERSION, "name": self.name}
        if self.description:
            out["description"] = self.description
        out.update({key: getattr(self, key) for key in AFFIXES})
        out.update(system_same_as_user=self.system_same_as_user, stop=list(self.stop),
                   default_system=self.default_system, models=list(self.models))
        return out


def parse_template(data: Any, *, fallback_name: str | None = None) -> Template:
    """Validate template JSON into a `Template`; `TemplateError` names the problem."""
    if not isinstance(data, dict):
        raise TemplateError(f"a template must be a JSON object, not {type(data).__name__}")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TemplateError(f"version: {version!r} is not a format version (a whole number)")
    if version > VERSION:
        raise NewerTemplateVersion(f"version: format {version} was written by a newer version "
                                   f"of the app (this one reads up to {VERSION})")
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise TemplateError(f"unknown key{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(map(repr, unknown))} (allowed: {', '.join(_KEYS)})")
    def affix(key: str) -> str:
        return _text(data, key, MAX_AFFIX_CHARS)

    same = data.get("system_same_as_user", False)
    if not isinstance(same, bool):
        raise TemplateError("system_same_as_user: must be true or false")
    return Template(check_name(data.get("name", fallback_name)),
                    system_prefix=affix("system_prefix"), system_suffix=affix("system_suffix"),
                    user_prefix=affix("user_prefix"), user_suffix=affix("user_suffix"),
                    assistant_prefix=affix("assistant_prefix"),
                    assistant_suffix=affix("assistant_suffix"),
                    system_same_as_user=same, stop=_strings(data, "stop"),
                    default_system=_text(data, "default_system", 20_000),
                    models=_patterns(data), description=_text(data, "description", 1000))


def check_name(value: Any) -> str:
    """A template name: 1 to 80 characters, no path separators or control characters."""
    if not isinstance(value, str) or not value.strip():
        raise TemplateError("name: the template has no name")
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        raise TemplateError(f"name: longer than {MAX_NAME_CHARS} characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise TemplateError(f"name: {name!r} looks like a path; use a plain name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise TemplateError(f"name: {name!r} contains control characters")
    return name


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    """A string kept exactly as written (whitespace is part of a turn format)."""
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TemplateError(f"{key}: must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise TemplateError(f"{key}: longer than {limit} characters")
    return value


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TemplateError(f"{key}: must be a list of non-empty strings")
    return tuple(dict.fromkeys(value))


def _patterns(data: dict[str, Any]) -> tuple[str, ...]:
    patterns = _strings(data, "models")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TemplateError(f"models: {pattern!r} is not a regular expression ({exc})"
                                ) from None
    return patterns


def load_template_file(path: Path) -> Template:
    """A template file from anywhere; the stem names it if the file has no name."""
    text = read_text(path, TemplateError, "template")
    try:
        return parse_template(parse_json_text(text, source=path.name, error=TemplateError),
                              fallback_name=path.stem)
    except TemplateError as exc:
        if exc.message.startswith(f"{path.name}:"):
            raise
        raise type(exc)(f"{path.name}: {exc.message}") from None


def builtin_dir() -> Path:
    return resource_dir() / "templates"


def _template_kind() -> Kind[Template]:
    return Kind("template", load=load_template_file,
                recheck=lambda template: parse_template(template.to_json()),
                to_json=Template.to_json, check_name=check_name, error=TemplateError,
                newer=NewerTemplateVersion)


class TemplateStore(NamedFiles[Template]):
    """The built-in templates plus the user's (``config_dir()/templates/``), and the template
    chosen for a model (``template_defaults.json``)."""

    def __init__(self, root: Path | None = None, builtins: Path | None = None) -> None:
        root = root or config_dir()
        super().__init__(_template_kind(), root / "templates", builtins or builtin_dir(),
                         root / "template_defaults.json")

    def suggested_for(self, model: str) -> Template | None:
        """The template for `model`: the one chosen for it, else the first whose model
        patterns match its id (the user's before the built-ins)."""
        chosen = self.default_for(model)
        listing = self.list()
        by_name = {t.name.casefold(): t for t in listing.items}
        if chosen and chosen.casefold() in by_name:
            return by_name[chosen.casefold()]
        ordered = [t for t in listing.items if not t.builtin] + \
            [t for t in listing.items if t.builtin]
        return next((t for t in ordered if t.suits(model)), None)


def stop_list(stop: Any) -> list[str]:
    """A request's `stop` value (None, a string or a list) as a list."""
    return [stop] if isinstance(stop, str) else list(stop or [])


def with_stops(stop: Any, template: Template) -> list[str] | None:
    """A request's `stop` value with the template's stop strings added after its own (each
    once, exactly as written); None when neither has any."""
    merged = list(dict.fromkeys([*stop_list(stop), *template.stop]))
    return merged or None
