"""Plain text frames arrive merged: one event per network read instead of one per frame, with
the same text, the same counts, and every frame that carries more than text on its own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from playground.core import client as client_module
from playground.core.client import CompletionClient, StreamEvent, _events
from playground.core.errors import StreamError
from playground.core.request import build_request
from playground.core.runs import execute
from tests.fault_server import BREAK_AFTER, PLAIN_TOKENS


@pytest.fixture(autouse=True)
def one_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    """No slicing: a busy machine could otherwise end a slice between any two frames, and
    which frames share an event would depend on the machine's load."""
    monkeypatch.setattr(client_module, "SLICE_S", 60.0)


def request() -> Any:
    return build_request("Say hello", "m", {})


async def stream_events(server: Any, scenario: str) -> list[StreamEvent]:
    async with (CompletionClient(server.url(scenario)) as client,
                aclosing(client.stream(request())) as events):
        return [event async for event in events]


def ends(events: list[StreamEvent]) -> set[int]:
    """Where each event's text ends in the whole text."""
    out, position = set(), 0
    for event in events:
        position += len(event.text)
        out.add(position)
    return out


async def test_plain_frames_arrive_as_few_events_with_every_piece(fault_server) -> None:
    events = await stream_events(fault_server, "plain")
    texts = [e for e in events if e.text]
    assert "".join(e.text for e in texts) == "".join(PLAIN_TOKENS)
    assert sum(e.pieces for e in texts) == len(PLAIN_TOKENS)
    assert len(texts) < len(PLAIN_TOKENS) // 10
    assert all(e.extra == {"id": "cmpl-1", "object": "text_completion", "model": "m",
                           "index": 0} for e in texts)
    assert all(e.request_id == "req-123" for e in events)
    async with CompletionClient(fault_server.url("plain")) as client:
        result = await execute(client, request())
    assert result.error is None and result.finish_reason == "stop"
    assert result.text == "".join(PLAIN_TOKENS)
    assert result.chunks == result.completion_tokens == len(PLAIN_TOKENS)  # no usage sent
    assert result.extra["id"] == "cmpl-1"


async def test_frames_with_more_than_text_arrive_on_their_own_in_order(fault_server) -> None:
    events = await stream_events(fault_server, "mixed")
    assert "".join(e.text for e in events) == "ABCDEFGHI"
    # Logprobs, a sampler trace, another id and the last frame each stand alone.
    assert {2, 3, 4, 5, 7, 8, 9} <= ends(events)
    [scored] = [e for e in events if e.logprobs]
    assert (scored.text, scored.pieces) == ("C", 1)
    [traced] = [e for e in events if "x_sampler_trace" in e.extra]
    assert (traced.text, traced.pieces) == ("E", 1)
    [other] = [e for e in events if e.extra.get("id") == "cmpl-2"]
    assert other.text == "H"
    assert events[-1].text == "I" and events[-1].finish_reason == "length"
    async with CompletionClient(fault_server.url("mixed")) as client:
        result = await execute(client, request())
    assert result.text == "ABCDEFGHI" and result.chunks == 9
    assert result.logprobs == [{"tokens": ["C"], "token_logprobs": [-0.5]}]
    assert result.completion_tokens == 9  # as the server counted


@pytest.mark.parametrize(("scenario", "code"), [("dropafter", "connection_dropped"),
                                                 ("malformedafter", "malformed_frame")])
async def test_a_break_keeps_every_frame_before_it(fault_server, scenario, code) -> None:
    async with CompletionClient(fault_server.url(scenario)) as client:
        result = await execute(client, request())
    assert isinstance(result.error, StreamError) and result.error.code == code
    assert result.text == "".join(f"t{i} " for i in range(BREAK_AFTER))
    assert result.chunks == BREAK_AFTER


# --- odd but valid frames, through the real decoder from bytes --------------------------------


async def decode(frames: list[Any]) -> list[StreamEvent]:
    """The events of a stream of these frames (objects are sent as JSON, strings as they are)."""
    body = b"".join(b"data: " + (f if isinstance(f, str) else json.dumps(f)).encode() + b"\n\n"
                    for f in frames) + b"data: [DONE]\n\n"

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    response = httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=chunks())
    return [event async for event in _events(response)]


async def test_escapes_and_any_formatting_come_through_exactly() -> None:
    texts = ["é", '"q"', "\\n", "\n", "漢字", " \u2028 ", "\t", ""]
    compact = [json.dumps({"id": "x", "choices": [{"index": 0, "text": t}]},
                          separators=(",", ":"), ensure_ascii=False) for t in texts]
    spaced = [json.dumps({"choices": [{"text": t, "index": 0}], "id": "x"}, indent=1)
              .replace("\n", " ") for t in texts]
    for frames in (compact, spaced):
        events = await decode(frames)
        assert "".join(e.text for e in events) == "".join(texts)
        assert sum(e.pieces for e in events) == len(texts) - 1  # an empty text is no piece
        assert len(events) == 1


async def test_only_the_choice_text_is_taken_however_the_frame_reads() -> None:
    # "text" as another field's value, and a chat delta beside the text: the text wins.
    frames = [{"model": "text", "choices": [{"delta": {"content": "decoy"}, "text": t}]}
              for t in ("one ", "two ", "three")]
    events = await decode(frames)
    assert "".join(e.text for e in events) == "one two three"
    chat = [{"model": "text", "choices": [{"delta": {"content": t}}]} for t in ("a", "b")]
    assert "".join(e.text for e in await decode(chat)) == "ab"


async def test_frames_that_differ_beyond_their_text_are_not_merged() -> None:
    frames = [{"id": f"c{i // 2}", "choices": [{"text": str(i)}]} for i in range(6)]
    events = await decode(frames)
    assert [(e.text, e.extra["id"]) for e in events] == [("01", "c0"), ("23", "c1"),
                                                         ("45", "c2")]
