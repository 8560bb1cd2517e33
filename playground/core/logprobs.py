"""Token log probabilities, read from whichever shape a server sends, as one typed list.

Two shapes are in use on completions endpoints:

- legacy (OpenAI completions, vLLM, llama-cpp-python): parallel lists ``tokens``,
  ``token_logprobs``, ``top_logprobs`` (one ``{token: logprob}`` object per step, or null) and
  ``text_offset``;
- chat (OpenAI chat, llama.cpp's llama-server, recent koboldcpp): ``content``, a list of
  ``{token, logprob, top_logprobs: [{token, logprob}]}``.

Reading is lenient: missing, null or mistyped pieces become "unknown" rather than errors, and an
entry that gives a probability instead of a logprob (``prob``, as llama-server does for
post-sampling probabilities) is converted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Alternative:
    token: str
    logprob: float


@dataclass(frozen=True)
class TokenLogprob:
    """One generated (or prompt) token: its log probability and the most likely candidates."""

    token: str
    logprob: float | None  # None: not given (e.g. the first prompt token)
    top: tuple[Alternative, ...] = ()  # most likely first
    offset: int | None = None  # character offset in the text, when the server says

    @property
    def prob(self) -> float | None:
        return None if self.logprob is None else math.exp(self.logprob)


def read(data: Any) -> list[TokenLogprob]:
    """The entries of one ``logprobs`` object (or a bare chat-style ``content`` list)."""
    if isinstance(data, list):
        return _chat(data)
    if not isinstance(data, Mapping):
        return []
    content = data.get("content")
    if isinstance(content, list) and content:
        return _chat(content)
    return _legacy(data)


def read_all(chunks: Iterable[Any]) -> list[TokenLogprob]:
    """The entries of a streamed run, whose logprobs arrive one object per chunk."""
    return [entry for chunk in chunks for entry in read(chunk)]


#: Where chat-shaped entries keep their alternatives: llama-server says ``top_probs`` (with
#: ``prob``) when asked for post-sampling probabilities, and older builds said ``probs``.
_TOP_KEYS = ("top_logprobs", "top_probs", "probs")


def _chat(items: list[Any]) -> list[TokenLogprob]:
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        tops = next((item[k] for k in _TOP_KEYS if isinstance(item.get(k), list)), None)
        alternatives = [alt for t in tops or [] if (alt := _alternative(t)) is not None]
        out.append(TokenLogprob(token=_token(item), logprob=_logprob(item),
                                top=_ranked(alternatives)))
    return out


def _legacy(data: Mapping[str, Any]) -> list[TokenLogprob]:
    tokens = _list(data.get("tokens"))
    logprobs = _list(data.get("token_logprobs"))
    tops = _list(data.get("top_logprobs"))
    offsets = _list(data.get("text_offset"))
    out = []
    for i in range(max(len(tokens), len(logprobs), len(tops))):
        token = tokens[i] if i < len(tokens) else None
        top = tops[i] if i < len(tops) else None
        offset = offsets[i] if i < len(offsets) else None
        alternatives = [Alternative(str(k), lp) for k, v in top.items()
                        if (lp := _number(v)) is not None] if isinstance(top, Mapping) else []
        out.append(TokenLogprob(
            token=token if isinstance(token, str) else "",
            logprob=_number(logprobs[i]) if i < len(logprobs) else None,
            top=_ranked(alternatives),
            offset=offset if isinstance(offset, int) and not isinstance(offset, bool)
            else None))
    return out


def _alternative(item: Any) -> Alternative | None:
    if not isinstance(item, Mapping):
        return None
    logprob = _logprob(item)
    return None if logprob is None else Alternative(_token(item), logprob)


def _token(item: Mapping[str, Any]) -> str:
    for key in ("token", "tok_str"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return ""


def _logprob(item: Mapping[str, Any]) -> float | None:
    logprob = _number(item.get("logprob"))
    if logprob is not None:
        return logprob
    prob = _number(item.get("prob"))
    if prob is None or prob < 0:
        return None
    return math.log(prob) if prob > 0 else -math.inf


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ranked(alternatives: list[Alternative]) -> tuple[Alternative, ...]:
    return tuple(sorted(alternatives, key=lambda a: a.logprob, reverse=True))
