"""Comparing settings: N variants of one prompt, run concurrently, summarised side by side.

A variant is a set of overrides on a shared base (parameters, and optionally a model or a
preset's parameters). Sweeps make variants in one step: one parameter over several values, or
one setting repeated over N seeds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from playground.core.assignments import parse_assignment, parse_field_text
from playground.core.catalog import validate_params
from playground.core.client import CompletionClient
from playground.core.errors import InvalidParameter
from playground.core.request import CompletionRequest
from playground.core.runs import RunResult, execute

MIN_VARIANTS, MAX_VARIANTS = 2, 8


@dataclass(frozen=True)
class Variant:
    """One column: a label and what it changes. `params` are API field names; None unsets."""

    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    model: str | None = None
    preset: str | None = None

    def merged(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters this variant runs with: `base`, then its own overrides."""
        out = {**base, **self.params}
        return {name: value for name, value in out.items() if value is not None}


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside brackets, braces and quotes, so JSON values keep their commas."""
    parts, depth, quote, start = [], 0, "", 0
    escaped = False
    for i, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


PresetLoader = Callable[[str], Mapping[str, Any]]


def parse_variant(text: str, load_preset: PresetLoader | None = None) -> Variant:
    """``temperature=0.2,top_k=40`` or ``preset=Creative`` (combinable, later keys win);
    ``model=ID`` picks a model for the column. Values are read as ``--set`` reads them."""
    params: dict[str, Any] = {}
    model = preset = None
    for item in split_top_level(text):
        name, sep, value = item.partition("=")
        name = name.strip()
        if name == "preset" and sep:
            if load_preset is None:
                raise InvalidParameter("variant", "variant: presets are not available here")
            preset = value.strip()
            params.update(load_preset(preset))
        elif name == "model" and sep:
            model = value.strip()
        else:
            key, parsed = parse_assignment(item)
            params[key] = parsed
    validate_params({k: v for k, v in params.items() if v is not None})
    return Variant(label=text.strip(), params=params, model=model, preset=preset)


def sweep(base: Variant, name: str, values_text: str) -> list[Variant]:
    """One variant per value of `name` (``temperature=0.2,0.7,1.2``)."""
    values = [parse_field_text(name, value) for value in split_top_level(values_text)]
    variants = [replace(base, label=f"{name}={value}", params={**base.params, name: value})
                for value in values]
    for variant in variants:
        validate_params(variant.merged({}))
    return variants


def seeds(base: Variant, count: int, first: int = 1) -> list[Variant]:
    """`count` copies of `base` that differ only in their seed."""
    return [replace(base, label=f"seed={seed}", params={**base.params, "seed": seed})
            for seed in range(first, first + count)]


def check_count(variants: Sequence[Variant]) -> None:
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise InvalidParameter("variant", f"variant: a comparison has {MIN_VARIANTS} to "
                               f"{MAX_VARIANTS} columns, not {len(variants)}")


def new_group_id() -> str:
    return f"cmp-{uuid.uuid4().hex[:12]}"


async def run_all(jobs: Sequence[tuple[CompletionClient, CompletionRequest]]
                  ) -> list[RunResult]:
    """Run every request concurrently; each result holds its own text, figures or error."""
    return list(await asyncio.gather(*(execute(client, request) for client, request in jobs)))


def distinct_n(text: str, n: int = 2) -> float | None:
    """Share of distinct word n-grams among all of them (1.0: no repetition at all)."""
    words = text.split()
    count = len(words) - n + 1
    if count <= 0:
        return None
    return len(set(zip(*(words[i:] for i in range(n)), strict=False))) / count


@dataclass(frozen=True)
class SummaryRow:
    label: str
    tokens: int
    total_ms: float
    tokens_per_s: float | None
    finish_reason: str | None
    cost: float | None
    distinct_2: float | None
    error: str | None

    @classmethod
    def of(cls, label: str, result: RunResult) -> SummaryRow:
        return cls(label=label, tokens=result.completion_tokens, total_ms=result.elapsed_ms,
                   tokens_per_s=result.tokens_per_s,
                   finish_reason="stopped" if result.cancelled else result.finish_reason,
                   cost=result.cost, distinct_2=distinct_n(result.text, 2),
                   error=str(result.error) if result.error else None)


def settings_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Parameters whose values differ between two columns: name -> (a's, b's); None = unset."""
    return {name: (a.get(name), b.get(name)) for name in sorted(set(a) | set(b))
            if a.get(name) != b.get(name)}
