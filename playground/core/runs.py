"""One run: send a request, collect its stream into a result (text, finish reason, usage,
timings, error). Shared by the CLI and the window's worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from playground.core.client import CompletionClient, StreamEvent, Usage
from playground.core.errors import ApiError
from playground.core.request import CompletionRequest


@dataclass
class RunResult:
    """Grows as events arrive; complete once `finish()` was called."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    request_id: str | None = None
    error: ApiError | None = None
    cancelled: bool = False
    logprobs: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    chunks: int = 0  # text frames received (a merged event counts its pieces)
    started: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    finished_at: float | None = None

    def add(self, event: StreamEvent) -> None:
        if event.text:
            if self.first_token_at is None:
                self.first_token_at = time.perf_counter()
            # `self.text += ...` would copy the whole text on every event (quadratic: 100 µs
            # an event at 100k tokens). With the attribute's reference dropped first, the local
            # is the string's only reference and CPython grows it in place.
            text = self.text
            self.text = ""
            text += event.text
            self.text = text
            self.chunks += event.pieces
        if event.request_id:
            self.request_id = event.request_id
        if event.finish_reason:
            self.finish_reason = event.finish_reason
        if event.usage:
            self.usage = event.usage
        if event.logprobs:
            self.logprobs.append(dict(event.logprobs))
        for key in ("id", "model", "cost"):
            if key in event.extra:
                self.extra[key] = event.extra[key]

    def finish(self, *, error: ApiError | None = None, cancelled: bool = False) -> None:
        self.finished_at = time.perf_counter()
        self.error = error
        self.cancelled = cancelled

    @property
    def cost(self) -> float | None:
        """The cost the server reported, wherever it put it (top level or in usage)."""
        for source in (self.extra, self.usage.extra if self.usage else {}):
            value = source.get("cost")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        return None

    @property
    def ttft_ms(self) -> float | None:
        if self.first_token_at is None:
            return None
        return (self.first_token_at - self.started) * 1000

    @property
    def elapsed_ms(self) -> float:
        return ((self.finished_at or time.perf_counter()) - self.started) * 1000

    @property
    def completion_tokens(self) -> int:
        """Server-reported when known, else the number of text chunks received."""
        if self.usage and self.usage.completion_tokens is not None:
            return self.usage.completion_tokens
        return self.chunks

    @property
    def tokens_per_s(self) -> float | None:
        if self.first_token_at is None or self.completion_tokens < 2:
            return None
        span = (self.finished_at or time.perf_counter()) - self.first_token_at
        return (self.completion_tokens - 1) / span if span > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict() if self.usage else None,
            "timings": {"ttft_ms": _round(self.ttft_ms), "total_ms": _round(self.elapsed_ms),
                        "tokens_per_s": _round(self.tokens_per_s)},
            "request_id": self.request_id,
            "cancelled": self.cancelled,
            "error": self.error.to_dict() if self.error else None,
            **({"logprobs": self.logprobs} if self.logprobs else {}),
            **self.extra,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def execute(client: CompletionClient, request: CompletionRequest,
                  on_event: Callable[[StreamEvent], None] | None = None,
                  result: RunResult | None = None) -> RunResult:
    """Run `request` to its end, filling `result` (a new one if not given). API and stream
    errors end up in the result with the text received so far; cancellation marks it cancelled
    and propagates, so a caller holding `result` keeps the partial text."""
    result = result if result is not None else RunResult()
    notes = request.translation().notes
    if notes:
        result.extra["dialect_notes"] = notes
    try:
        if request.stream:
            async with aclosing(client.stream(request)) as events:
                async for event in events:
                    result.add(event)
                    if on_event:
                        on_event(event)
        else:
            event = await client.complete(request)
            result.add(event)
            if on_event:
                on_event(event)
    except ApiError as exc:
        result.request_id = result.request_id or exc.request_id
        result.finish(error=exc)
        return result
    except asyncio.CancelledError:
        result.finish(cancelled=True)
        raise
    result.finish()
    return result
