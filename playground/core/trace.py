"""The local engine's sampler trace: what each stage of the chain did to one token's candidates.

`trace_step` asks the engine for exactly one token after a prompt and the completion so far
(sent as ``x_completion_prefix``, so penalties and ``min_tokens`` count it as generated), with
``x_sampler_trace``, so the sampler lab can redraw one step under new parameters without
generating again. The wire shapes are documented in ``playground/engine/wire.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from playground.core.client import CompletionClient
from playground.core.connections import LOCAL_ENGINE
from playground.core.errors import ApiError
from playground.core.request import build_request

EXTENSION = "x_sampler_trace"
PREFIX = "x_completion_prefix"
ALSO = "x_trace_tokens"


@dataclass(frozen=True)
class Candidate:
    id: int
    text: str
    probs: tuple[float, ...]  # after each stage; 0 once removed
    removed_by: str | None


@dataclass(frozen=True)
class TokenTrace:
    stages: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    survivors: tuple[int, ...]  # tokens left in the whole vocabulary after each stage
    chosen_id: int
    mirostat_mu: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenTrace:
        stages = tuple(str(s) for s in data.get("stages", ()))
        candidates = tuple(
            Candidate(id=int(c["id"]), text=str(c.get("text", "")),
                      probs=tuple(float(p) for p in c.get("probs", ())),
                      removed_by=c.get("removed_by"))
            for c in data.get("candidates", ()) if isinstance(c, Mapping) and "id" in c)
        chosen = data.get("chosen") or {}
        mu = data.get("mirostat_mu")
        return cls(stages=stages, candidates=candidates,
                   survivors=tuple(int(n) for n in data.get("survivors", ())),
                   chosen_id=int(chosen.get("id", -1)),
                   mirostat_mu=float(mu) if isinstance(mu, int | float) else None)

    def removed_at(self, stage: int) -> list[Candidate]:
        """Candidates the `stage`-th stage removed."""
        name = self.stages[stage]
        return [c for c in self.candidates if c.removed_by == name]


async def trace_step(client: CompletionClient, model: str, prompt: str, generated: str,
                     params: Mapping[str, Any], also: Sequence[int] = ()) -> TokenTrace:
    """The chain's work on the token that would follow `prompt` + `generated` under `params`;
    the candidates include the tokens `also` (e.g. the one a run drew there)."""
    extensions: dict[str, Any] = {EXTENSION: True, PREFIX: generated}
    if also:
        extensions[ALSO] = list(also)
    request = build_request(prompt, model, {**params, "max_tokens": 1}, stream=False,
                            extensions=extensions, dialect=LOCAL_ENGINE)
    event = await client.complete(request)
    traces = event.extra.get(EXTENSION)
    if not isinstance(traces, Sequence) or not traces or not isinstance(traces[0], Mapping):
        raise ApiError(200, "this server sent no sampler trace; the sampler lab needs the "
                            "built-in local engine", code="no_trace")
    return TokenTrace.from_json(traces[0])
