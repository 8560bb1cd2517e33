"""One run: send a request, collect its stream into a result (text, finish reason, usage,
timings, error). Shared by the CLI and the window's worker.

A `Run` is what the window creates when the user presses Run and carries to the end: its own
request, its parent, what Undo restores and its result, so that a result is always recorded
with its own request, however runs overlap."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
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


@dataclass(frozen=True)
class Screen:
    """What the window showed before a run, for Undo Last Run to put back: the prompt and the
    run whose output was on screen (None: the output pane held `output` without a run)."""

    prompt: str
    output: str
    run: Run | None = None


@dataclass(eq=False)
class Run:
    """One run from start to record. Everything specific to it lives here, never in the
    window: a run replaced by the next keeps its own request, parent and undo snapshot."""

    request: CompletionRequest
    connection: str = ""
    preset: str | None = None
    #: The run this one branched from; recorded as its history id, which a parent still
    #: streaming when the branch starts gets just before this run ends.
    parent: Run | None = None
    variant: str | None = None  # a comparison's column: its overrides ("" for the base)
    group: str | None = None  # recorded with these siblings (e.g. a completion's versions)
    before: Screen | None = None  # what Undo Last Run restores
    result: RunResult = field(default_factory=RunResult)
    record_id: int | None = None  # its id in history, once recorded
    #: Figures of a run restored from history, which has no live result (see `Figures`).
    restored: Figures | None = None

    @property
    def figures(self) -> Figures:
        return self.restored or Figures.of_result(self.result)


@dataclass(frozen=True)
class Figures:
    """What the status bar says about a run: how it ended and its measures."""

    outcome: str  # "done", "stopped", "failed" or "not sent"
    finish_reason: str | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None

    @classmethod
    def of_result(cls, result: RunResult) -> Figures:
        usage = result.usage
        return cls(outcome=_outcome(result.cancelled, result.error is not None),
                   finish_reason=result.finish_reason, ttft_ms=result.ttft_ms,
                   tokens_per_s=result.tokens_per_s,
                   prompt_tokens=usage.prompt_tokens if usage else None,
                   completion_tokens=usage.completion_tokens if usage else None,
                   cost=result.cost)

    @classmethod
    def of_record(cls, *, cancelled: bool, failed: bool, finish_reason: str | None,
                  ttft_ms: float | None, tokens_per_s: float | None,
                  usage: Mapping[str, Any] | None, cost: float | None) -> Figures:
        def count(key: str) -> int | None:
            value = (usage or {}).get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(outcome=_outcome(cancelled, failed), finish_reason=finish_reason,
                   ttft_ms=ttft_ms, tokens_per_s=tokens_per_s,
                   prompt_tokens=count("prompt_tokens"),
                   completion_tokens=count("completion_tokens"), cost=cost)

    def text(self) -> str:
        parts = [self.outcome]
        if self.finish_reason and self.outcome == "done":
            parts = [f"finish: {self.finish_reason}"]
        if self.ttft_ms is not None:
            parts.append(f"TTFT {self.ttft_ms:.0f} ms")
        if self.tokens_per_s is not None:
            parts.append(f"{self.tokens_per_s:.0f} tok/s")
        if self.prompt_tokens is not None:
            parts.append(f"prompt {self.prompt_tokens} · completion "
                         f"{self.completion_tokens} tokens")
        if self.cost is not None:
            parts.append(f"cost ${self.cost:.6g}")
        return "   ".join(parts)


NOT_SENT = Figures(outcome="not sent")


def _outcome(cancelled: bool, failed: bool) -> str:
    return "failed" if failed else "stopped" if cancelled else "done"


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
