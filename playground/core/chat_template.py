"""A model's own chat template (Jinja, as GGUF metadata and llama.cpp's ``/props`` carry it),
rendered in a sandbox the way servers render it, and read as a `Template` for writing turns.

Rendering follows Hugging Face's ``apply_chat_template``, which llama.cpp and vLLM mirror: an
immutable sandbox, ``trim_blocks`` and ``lstrip_blocks``, loop controls, ``raise_exception``,
``strftime_now`` and a ``tojson`` that keeps non-ASCII text. A template can do anything with
the messages, so its turn affixes are worked out from renders of short conversations with
marker texts, and checked: `as_template` says whether building a prompt from them gives the
template's own render exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from playground.core.templates import Template

MODEL_TEMPLATE = "Model's own template"
_SYS, _USER, _USER2, _BOT = "\x01S\x01", "\x01U\x01", "\x01V\x01", "\x01A\x01"


class ChatTemplateError(ValueError):
    """The template did not render (its own `raise_exception`, or a Jinja error)."""


def _raise(message: str) -> None:
    raise ChatTemplateError(message)


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False,
            separators: Any = None, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, separators=separators,
                      sort_keys=sort_keys)


def render(source: str, messages: list[dict[str, str]], *, add_generation_prompt: bool,
           bos_token: str = "", eos_token: str = "") -> str:
    """`messages` through the template, as a server renders them."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    try:
        return env.from_string(source).render(
            messages=messages, add_generation_prompt=add_generation_prompt,
            bos_token=bos_token, eos_token=eos_token)
    except ChatTemplateError:
        raise
    except Exception as exc:  # a template can fail in any way Python code can
        reason = str(exc) if isinstance(exc, jinja2.TemplateError) else \
            f"{type(exc).__name__}: {exc}"
        raise ChatTemplateError(f"the chat template does not render: {reason}") from None


@dataclass(frozen=True)
class ModelTemplate:
    """A model's chat template read as turn affixes: `exact` when building a one-exchange
    prompt from them gives what the template renders itself."""

    template: Template
    exact: bool


def _between(text: str, start: str, end: str) -> str:
    a = text.index(start) + len(start)
    return text[a:text.index(end, a)]


def as_template(source: str, *, bos_token: str = "", eos_token: str = "") -> ModelTemplate:
    """The template's affixes for each role (a leading `bos_token` left out: the server adds
    it); its stop strings are what ends an assistant turn (whitespace aside) and the
    end-of-sequence token."""
    def run(messages: list[dict[str, str]], generate: bool) -> str:
        text = render(source, messages, add_generation_prompt=generate,
                      bos_token=bos_token, eos_token=eos_token)
        return text[len(bos_token):] if bos_token and text.startswith(bos_token) else text

    talk = [{"role": "user", "content": _USER}, {"role": "assistant", "content": _BOT},
            {"role": "user", "content": _USER2}]
    try:
        three = run(talk, True)
        two = run(talk[:2], False)
        opening = run(talk[:1], True)[len(run(talk[:1], False)):]  # the generation prompt
        user_prefix = _between(three, _BOT, _USER2)
        assistant_suffix = two[two.index(_BOT) + len(_BOT):]
        user_prefix = user_prefix.removeprefix(assistant_suffix)
        user_suffix = _between(three, _USER, _BOT).removesuffix(opening)
        system_prefix = system_suffix = ""
        same = True  # unless the system text gets a turn of its own, before the user's
        try:
            with_system = run([{"role": "system", "content": _SYS}, *talk[:1]], False)
            between = _between(with_system, _SYS, _USER)
            if user_prefix and between.endswith(user_prefix):
                system_prefix = with_system[:with_system.index(_SYS)]
                system_suffix = between[:-len(user_prefix)]
                same = False
        except ChatTemplateError:
            pass  # the template refuses a system turn: it goes in the user's
    except (ValueError, ChatTemplateError) as exc:
        raise ChatTemplateError(f"the chat template's turns could not be read: {exc}"
                                ) from None
    template = Template(MODEL_TEMPLATE, system_prefix=system_prefix,
                        system_suffix=system_suffix, user_prefix=user_prefix,
                        user_suffix=user_suffix, assistant_prefix=opening,
                        assistant_suffix=assistant_suffix, system_same_as_user=same,
                        stop=tuple(dict.fromkeys(s for s in (assistant_suffix.strip(),
                                                             eos_token) if s)),
                        description="Read from the model's own chat template")
    check = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    try:
        exact = template.build("Hi", system="Be brief.") == run(check, True)
    except ChatTemplateError:
        exact = False
    return ModelTemplate(template, exact)
