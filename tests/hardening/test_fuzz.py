"""Fuzzing the parsers people's input and servers' bytes go through, with hypothesis.

Each property is written once and run under two profiles: a 200-example, derandomized sample
in the default test run, and 10,000 examples under the ``fuzz`` marker (``pytest -m fuzz``),
which the default run leaves out. Each property holds when the input gives either a valid result
(checked further: it round-trips, it is plain JSON) or the module's own error type, never
anything else.
"""

from __future__ import annotations

import asyncio
import json
import math
import string
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.core.assignments import parse_assignment, parse_field_text
from playground.core.catalog import BY_NAME, body_fields, validate_params
from playground.core.client import StreamEvent, _events
from playground.core.errors import ApiError, InvalidParameter, StreamError
from playground.core.interop import Format, export_preset, import_preset
from playground.core.presets import PresetError, parse_preset
from playground.core.routing import ProviderRouting, parse_routing_object
from playground.core.sse import SSEDecoder

PROFILES = [
    pytest.param({"max_examples": 200, "derandomize": True, "database": None}, id="sample"),
    pytest.param({"max_examples": 10_000}, id="fuzz", marks=pytest.mark.fuzz),
]


def check(prop: Callable[..., None], profile: dict[str, Any], **strategies: Any) -> None:
    """Run `prop` as a hypothesis test drawing `strategies`, under `profile`, and make sure it
    really ran that many cases."""
    calls = 0

    @settings(deadline=None, suppress_health_check=list(HealthCheck), **profile)
    @given(**strategies)
    def test(**drawn: Any) -> None:
        nonlocal calls
        calls += 1
        prop(**drawn)

    test()
    assert calls >= profile["max_examples"], f"only {calls} cases ran"


def refused(error: InvalidParameter, field: str | None = None) -> None:
    """A refusal is the module's own error, with a message naming the field."""
    assert error.message.strip()
    if field is not None:
        assert error.field == field and error.message.startswith(field)


# -- plain JSON values, and values that stress parsers ------------------------------------------

edge_numbers = st.sampled_from([0, -1, 1, 2, 10**20, -(10**400), 1e308, 5e-324, 0.5, -0.0,
                                1.0, 2**63, 2**63 - 1, -(2**63)])
scalars = (st.none() | st.booleans() | st.integers() | edge_numbers
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
odd_floats = st.sampled_from([math.nan, math.inf, -math.inf])


# -- 1. the SSE decoder -------------------------------------------------------------------------

sse_pieces = st.sampled_from([b"data:", b"data: ", b"event: x", b"id: 7", b"id: \x00", b"retry: 1",
                              b":comment", b"\r", b"\n", b"\r\n", b"\n\n", b"[DONE]", b"{",
                              b"}", b'"text"', b"\xc3", b"\xa9", b"\xe2\x82\xac", b"\xff", b" "])
sse_bytes = st.lists(sse_pieces | st.binary(max_size=6), max_size=40).map(b"".join) | st.binary()


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def decoder_property(data: bytes, cuts: list[int]) -> None:
    """Never raises; how the bytes are split into chunks changes nothing."""
    whole = SSEDecoder()
    expected = whole.feed(data) + whole.close()
    split = SSEDecoder()
    got = [m for chunk in cut(data, cuts) for m in split.feed(chunk)] + split.close()
    assert got == expected
    assert all(isinstance(m.data, str) for m in got)


@pytest.mark.parametrize("profile", PROFILES)
def test_sse_decoder(profile: dict[str, Any]) -> None:
    check(decoder_property, profile, data=sse_bytes, cuts=st.lists(st.integers(0, 10**6)))


# The client's stream parsing over the decoder: each frame is a kind and its text.
frames = st.lists(st.one_of(
    st.tuples(st.just("text"), st.text(max_size=10)),
    st.tuples(st.just("delta"), st.text(max_size=10)),
    st.tuples(st.just("multiline"), st.text(max_size=10)),
    st.tuples(st.just("comment"), st.text(string.printable.replace("\r", "").replace("\n", ""),
                                          max_size=10)),
    st.tuples(st.just("empty"), st.just("")),  # a frame with no choices: no event, no error
    st.tuples(st.just("junk"), st.text(max_size=10)),
    st.tuples(st.just("error"), st.text(min_size=1, max_size=10)),
    st.tuples(st.just("done"), st.just("")),
), max_size=12)


def encode(frame: tuple[str, str], newline: str) -> str:
    kind, text = frame
    blank = newline * 2
    if kind == "text":
        return "data: " + json.dumps({"choices": [{"index": 0, "text": text}]},
                                     ensure_ascii=False) + blank
    if kind == "delta":
        return "data:" + json.dumps({"choices": [{"delta": {"content": text}}]}) + blank
    if kind == "multiline":  # one JSON object over several data: lines
        body = json.dumps({"choices": [{"index": 0, "text": text}]}, indent=1)
        return "".join(f"data: {line}{newline}" for line in body.splitlines()) + newline
    if kind == "comment":
        return f":{text}{newline}"
    if kind == "empty":
        return 'data: {"id": "x"}' + blank
    if kind == "junk":
        return "data: {!" + text.replace("\r", " ").replace("\n", " ") + blank
    if kind == "error":
        return "data: " + json.dumps({"error": {"message": text, "code": "boom"}}) + blank
    return "data: [DONE]" + blank


def expected_outcome(frames: list[tuple[str, str]]) -> tuple[str, str | None]:
    """The text the client must deliver, and the error code it must end with (None: none)."""
    text = ""
    for kind, value in frames:
        if kind in ("text", "delta", "multiline"):
            text += value
        elif kind == "junk":
            return text, "malformed_frame"
        elif kind == "error":
            return text, "boom"
        elif kind == "done":
            return text, None
    return text, "incomplete_stream"


def stream_property(frames: list[tuple[str, str]], newline: str, cuts: list[int]) -> None:
    """The client turns any stream into its text so far plus either a clean end or a
    `StreamError` with the right code; never another exception, however the bytes are cut."""
    data = "".join(encode(f, newline) for f in frames).encode()

    async def body() -> AsyncIteratorOfChunks:
        return AsyncIteratorOfChunks(cut(data, cuts))

    loop = asyncio.new_event_loop()
    try:
        chunks = loop.run_until_complete(body())
        response = httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  content=chunks)
        events: list[StreamEvent] = []
        error: ApiError | None = None

        async def consume() -> None:
            async for event in _events(response):
                events.append(event)

        try:
            loop.run_until_complete(consume())
        except StreamError as exc:
            error = exc
    finally:
        loop.close()
    text, code = expected_outcome(frames)
    assert "".join(e.text for e in events) == text
    assert (error.code if error else None) == code


class AsyncIteratorOfChunks:
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = iter(chunks)

    def __aiter__(self) -> AsyncIteratorOfChunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None


@pytest.mark.parametrize("profile", PROFILES)
def test_stream_parsing(profile: dict[str, Any]) -> None:
    check(stream_property, profile, frames=frames, newline=st.sampled_from(["\n", "\r\n", "\r"]),
          cuts=st.lists(st.integers(0, 10**6), max_size=20))


# -- 2. the preset importers ----------------------------------------------------------------------

their_keys = st.sampled_from([
    # ours, SillyTavern's and text-generation-webui's, mapped or kept
    *BY_NAME, "version", "name", "description", "params", "model", "provider",
    "header_provider", "billing_mode", "foreign", "temp", "rep_pen", "freq_pen", "presence_pen",
    "min_length", "ban_eos_token", "ignore_eos_token", "banned_tokens", "logit_bias",
    "custom_stopping_strings", "stopping_strings", "max_new_tokens", "do_sample", "dynatemp",
    "sampler_order", "rep_pen_range", "custom_token_bans"]) | st.text(max_size=8)
yaml_scalars = st.sampled_from([
    "1e400", ".inf", "-.inf", ".nan", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "!!binary aGVsbG8=", "!!set {a, b}", "[1, 2", "{a: b}", "&a 1", "*a", "? x", "~", "yes",
    "!!python/object:os.system", "0x1F", "0o17", "1_000", "'quoted'", '"\\u0000"', "|\n  block",
    "[[[[[[[[[[1]]]]]]]]]]", "!!float 1", "!!int x", "-", "@", "%YAML 1.1", "---", "...",
    "[1, 2, 3]", "'[1, 2]'", "\"[50256, 2]\"", "-100", "0", "-1", "1.5e-4", "3"])
yaml_text = st.lists(st.tuples(their_keys, yaml_scalars | st.text(max_size=8),
                               st.sampled_from(["", "  ", "- "])), max_size=8).map(
    lambda rows: "\n".join(f"{indent}{key}: {value}" for key, value, indent in rows))
json_text = st.dictionaries(their_keys, json_values | odd_floats, max_size=8).map(
    lambda data: json.dumps(data))
preset_text = json_text | yaml_text | st.text(max_size=40) | json_values.map(json.dumps)
filenames = st.sampled_from([None, "p.json", "p.yaml", "p.yml", "p.txt", ".json", "a b.JSON",
                             "\x00.yaml", "/.json"])


def import_property(text: str, filename: str | None, name: str | None,
                    fmt: Format | None) -> None:
    try:
        preset, report = import_preset(text, filename=filename, name=name, fmt=fmt)
    except PresetError as exc:
        refused(exc)
        return
    data = preset.to_json()
    json.dumps(data, allow_nan=False)  # what is saved is plain JSON
    assert parse_preset(data) == preset  # and loads back as the same preset
    assert report.lines()
    for out_format in Format:  # exported to any format, it imports back the same
        exported = export_preset(preset, out_format)
        again, _ = import_preset(exported.text, name=preset.name, fmt=out_format)
        assert non_empty(again.param_values()) == non_empty(preset.param_values())


def non_empty(params: dict[str, Any]) -> dict[str, Any]:
    """Other programs write an empty list of stops or bans as "none", which imports as unset
    (the same request: an empty list limits nothing)."""
    return {k: v for k, v in params.items() if v not in ([], {})}


@pytest.mark.parametrize("profile", PROFILES)
def test_preset_importers(profile: dict[str, Any]) -> None:
    check(import_property, profile, text=preset_text, filename=filenames,
          name=st.none() | st.text(max_size=10), fmt=st.none() | st.sampled_from(Format))


# -- 3. the --set parser ------------------------------------------------------------------------

names = st.sampled_from(list(BY_NAME)) | st.text(max_size=6)
value_texts = (json_values.map(json.dumps) | st.text(max_size=12) | yaml_scalars
               | st.lists(st.integers(-5, 10**6), max_size=4).map(
                   lambda ids: ", ".join(map(str, ids)))
               | st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "[NaN]",
                                  '{"1": NaN}', '{"1": 1e999}', "true", "null", ""]))
assignments = st.tuples(names, st.sampled_from(["=", " = ", "==", ""]), value_texts).map(
    "".join) | st.text(max_size=20)


def assignment_property(text: str) -> None:
    try:
        name, value = parse_assignment(text)
        params = validate_params({name: value})
    except InvalidParameter as exc:
        refused(exc)
        return
    body = body_fields(params)
    json.dumps(body, allow_nan=False)  # what would be sent is plain JSON
    assert validate_params(body) == params
    assert parse_field_text(name, text.partition("=")[2]) == value


@pytest.mark.parametrize("profile", PROFILES)
def test_set_parser(profile: dict[str, Any]) -> None:
    check(assignment_property, profile, text=assignments)


# -- 4. the routing object editor's input -------------------------------------------------------

routing_keys = st.sampled_from(["order", "only", "ignore", "sort", "max_price",
                                "allow_fallbacks", "require_parameters"]) | st.text(max_size=6)
routing_values = (json_values | odd_floats | st.lists(st.text(max_size=6), max_size=3)
                  | st.sampled_from(["price", "speed", "auto", "nope"])
                  | st.dictionaries(st.sampled_from(["prompt", "completion", "other"]),
                                    scalars | odd_floats, max_size=3))
routing_texts = (st.dictionaries(routing_keys, routing_values, max_size=5).map(json.dumps)
                 | json_values.map(json.dumps) | st.text(max_size=30)
                 | st.sampled_from(["", "{", "[]", "null", '{"max_price": {"prompt": 1e999}}',
                                    '{"max_price": {"completion": 1' + "0" * 400 + "}}",
                                    '{"max_price": {"prompt": NaN}}']))


def routing_property(text: str) -> None:
    try:
        routing = parse_routing_object(text)
    except InvalidParameter as exc:
        refused(exc, field="provider")
        return
    assert isinstance(routing, ProviderRouting)
    body = routing.body()
    json.dumps(body, allow_nan=False)  # what would be sent is plain JSON
    assert parse_routing_object(body) == routing
    assert parse_routing_object(json.dumps(body)) == routing


@pytest.mark.parametrize("profile", PROFILES)
def test_routing_object_input(profile: dict[str, Any]) -> None:
    check(routing_property, profile, text=routing_texts)
