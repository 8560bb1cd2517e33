"""Importing templates: this app's own files as they are, and SillyTavern instruct templates
(JSON) as `Template`s, with a report of what mapped.

SillyTavern writes a turn as ``prefix + separator + text + suffix``, where the separator is a
newline when ``wrap`` is on, and an empty suffix then becomes a newline; a system turn uses the
user's sequences when ``system_same_as_user`` is on. Those rules are applied here, so the
imported affixes write exactly the text SillyTavern would. A SillyTavern "master export" (an
object with ``instruct``, ``context`` and ``sysprompt``) gives its instruct template, and its
system prompt becomes the default system text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.named_files import parse_json_text, read_text
from playground.core.templates import AFFIXES, Template, TemplateError, parse_template

#: Their key -> our field, for the sequences written as they are (after wrap's newlines).
_SEQUENCES = {"system_sequence": "system_prefix", "system_suffix": "system_suffix",
              "input_sequence": "user_prefix", "input_suffix": "user_suffix",
              "output_sequence": "assistant_prefix", "output_suffix": "assistant_suffix"}
#: Keys with no equivalent here, and why (reported when they hold something).
_UNSUPPORTED = {
    "first_output_sequence": "a different opening for the first reply",
    "last_output_sequence": "a different opening for the last reply",
    "first_input_sequence": "a different opening for the first user turn",
    "last_input_sequence": "a different opening for the last user turn",
    "last_system_sequence": "a different opening for the last system turn",
    "system_sequence_prefix": "an old way to wrap the system prompt",
    "system_sequence_suffix": "an old way to wrap the system prompt",
    "story_string_prefix": "wraps SillyTavern's character card",
    "story_string_suffix": "wraps SillyTavern's character card",
    "user_alignment_message": "a user message SillyTavern adds before the first reply",
    "separator_sequence": "an old separator between turns",
}
#: Keys about SillyTavern's own chat building, with nothing to map in a raw prompt.
_ITS_OWN = ("wrap", "macro", "names", "names_behavior", "names_force_groups", "skip_examples",
            "sequences_as_stop_strings", "derived", "bind_to_context", "enabled", "preset",
            "name", "system_prompt", "activation_regex", "stop_sequence",
            "system_same_as_user")


@dataclass(frozen=True)
class TemplateImport:
    template: Template
    mapped: tuple[tuple[str, str], ...] = ()  # (their key, our field)
    conversions: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()  # "key: why"
    native: bool = False  # a file of this app's own format, taken as it is

    def lines(self) -> list[str]:
        if self.native:
            return [f"Imported the template {self.template.name!r} (this app's format)."]
        out = [f"Imported the SillyTavern instruct template {self.template.name!r}: "
               f"{len(self.mapped)} setting{'' if len(self.mapped) == 1 else 's'} mapped."]
        out += [f"  {theirs} -> {ours}" for theirs, ours in self.mapped]
        out += [f"Converted: {line}" for line in self.conversions]
        out += [f"Left out: {line}" for line in self.left_out]
        return out


def import_sillytavern(data: Any, *, fallback_name: str) -> TemplateImport:
    """A SillyTavern instruct template (or master export) as a `Template`; `TemplateError`
    when it is not one."""
    system_text = ""
    if isinstance(data, dict) and isinstance(data.get("instruct"), dict):
        sysprompt = data.get("sysprompt")
        if isinstance(sysprompt, dict) and isinstance(sysprompt.get("content"), str):
            system_text = sysprompt["content"]
        data = data["instruct"]
    if not isinstance(data, dict) or not any(key in data for key in _SEQUENCES):
        raise TemplateError("not a SillyTavern instruct template (it has none of "
                            f"{', '.join(_SEQUENCES)})")
    wrap = data.get("wrap") is True
    mapped: list[tuple[str, str]] = []
    conversions: list[str] = []
    fields: dict[str, Any] = {"version": 1, "name": data.get("name") or fallback_name}
    for theirs, ours in _SEQUENCES.items():
        value = data.get(theirs)
        text = value if isinstance(value, str) else ""
        if wrap and ours.endswith("_prefix") and text:
            text += "\n"
        if wrap and ours.endswith("_suffix") and not text:
            text = "\n"
        fields[ours] = text
        if isinstance(value, str):
            mapped.append((theirs, ours))
    if wrap:
        conversions.append("wrap: a newline after each opening sequence, and as the closing "
                           "sequence where there was none (as SillyTavern writes turns)")
    if data.get("system_same_as_user") is True:
        fields["system_same_as_user"] = True
        mapped.append(("system_same_as_user", "system_same_as_user"))
    stop = data.get("stop_sequence")
    if isinstance(stop, str) and stop:
        fields["stop"] = [stop]
        mapped.append(("stop_sequence", "stop"))
    system = system_text or (data["system_prompt"] if isinstance(data.get("system_prompt"),
                                                                   str) else "")
    if system:
        fields["default_system"] = system
        mapped.append(("system_prompt", "default_system"))
    pattern = data.get("activation_regex")
    if isinstance(pattern, str) and pattern:
        fields["models"] = [_pattern(pattern)]
        mapped.append(("activation_regex", "models"))
    left_out = [f"{key}: {why}" for key, why in _UNSUPPORTED.items() if data.get(key)]
    left_out += [f"{key}: not an instruct setting" for key in data
                 if key not in _SEQUENCES and key not in _UNSUPPORTED and key not in _ITS_OWN]
    macros = sorted({m for key in _SEQUENCES for m in re.findall(r"{{\w+}}",
                                                                 str(data.get(key) or ""))})
    if macros:
        left_out.append(f"macros {', '.join(macros)}: written as they are (SillyTavern "
                        "replaces them with names)")
    template = parse_template(fields)
    return TemplateImport(template, tuple(mapped), tuple(conversions), tuple(left_out))


def _pattern(regex: str) -> str:
    """SillyTavern writes its activation regex as ``/body/flags`` or as the body alone."""
    match = re.fullmatch(r"/(.*)/[a-z]*", regex, re.DOTALL)
    return match.group(1) if match else regex


def import_template_file(path: Path) -> TemplateImport:
    """A template file of this app (it has our affix keys) or a SillyTavern instruct template;
    `TemplateError` names the file and the problem."""
    text = read_text(path, TemplateError, "template")
    data = parse_json_text(text, source=path.name, error=TemplateError)
    try:
        if isinstance(data, dict) and any(key in data for key in AFFIXES):
            return TemplateImport(parse_template(data, fallback_name=path.stem), native=True)
        return import_sillytavern(data, fallback_name=path.stem)
    except TemplateError as exc:
        raise type(exc)(f"{path.name}: {exc.message}") from None
