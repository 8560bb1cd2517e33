"""How much of a model's context the next run takes: the prompt's tokens plus what `max_tokens`
lets it write, against the model's context length (from its model list).

The prompt's count is exact where a tokenizer counted it, else an estimate
(`token_estimate`), calibrated on a small vocabulary: a large one (Llama 3's, GPT-4's) merges
more, so the real count can be well below the estimate, down to about half of it for English.
A run is refused as too long only when even half the estimate cannot fit, so an estimate never
blocks a run that would have fitted; the meter shows the estimate itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from playground.core.connections import Connection

#: From this share of the context on, the meter turns amber; beyond all of it, red.
AMBER_AT = 0.9
#: The estimate is at most this many times a byte-level tokenizer's real count.
ESTIMATE_HIGH_BY = 2.0

Level = Literal["unknown", "ok", "amber", "red"]


@dataclass(frozen=True)
class ContextUse:
    prompt_tokens: int
    exact: bool  # counted by the model's tokenizer (else estimated)
    max_tokens: int | None  # what the run may write: set, else the server's default if known
    max_tokens_set: bool
    context: int | None  # the model's context length (None: not listed)

    @property
    def total(self) -> int:
        return self.prompt_tokens + (self.max_tokens or 0)

    @property
    def share(self) -> float | None:
        return self.total / self.context if self.context else None

    @property
    def level(self) -> Level:
        share = self.share
        if share is None:
            return "unknown"
        return "red" if share > 1 else "amber" if share >= AMBER_AT else "ok"

    def describe(self) -> str:
        """``≈82 prompt + 256 max_tokens = 338 of 8,192 tokens (4%)``."""
        prompt = f"{'' if self.exact else '≈'}{self.prompt_tokens:,} prompt"
        if self.max_tokens is None:
            used = f"{prompt} tokens and max_tokens unset (its default here is not known),"
        else:
            which = "max_tokens" if self.max_tokens_set else "max_tokens (the server's default)"
            used = f"{prompt} + {self.max_tokens:,} {which} = {self.total:,}"
        if not self.context:
            return f"{used} tokens; the model's context length is not listed"
        return f"{used} of {self.context:,} tokens ({self.share:.0%})"

    def refusal(self) -> str | None:
        """Why the run cannot fit, with the numbers and what to change (None: it may fit)."""
        if not self.context:
            return None
        fewest = self.prompt_tokens if self.exact else math.floor(
            self.prompt_tokens / ESTIMATE_HIGH_BY)
        over = fewest + (self.max_tokens or 0) - self.context
        if over <= 0:
            return None
        room = self.context - fewest
        fix = f"shorten the prompt by {over:,} tokens"
        if room <= 0:
            fix += " (the prompt alone fills the context)"
        elif self.max_tokens:
            fix += f" or set max_tokens to {room:,} or less"
        more = f"{over:,} tokens" if self.exact else f"at least {over:,} tokens"
        return f"context: {self.describe()}: {more} more than the model's context; {fix}"


def context_use(prompt_tokens: int, exact: bool, max_tokens: int | None,
                connection: Connection, context: int | None) -> ContextUse:
    """The use of a run with `max_tokens` as set (None: the connection's server's default, where
    the dialect table knows it)."""
    if max_tokens is not None:
        return ContextUse(prompt_tokens, exact, max_tokens, True, context)
    return ContextUse(prompt_tokens, exact, default_max_tokens(connection), False, context)


def default_max_tokens(connection: Connection) -> int | None:
    """What a run writes at most with `max_tokens` unset: the connection's server's default,
    where the dialect table knows it (None: unknown)."""
    from playground.core.dialects import limits

    default = limits(connection).get("max_tokens")
    return int(default.default) if default is not None and default.default is not None \
        else None
