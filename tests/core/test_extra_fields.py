"""Extra fields: checked, sent verbatim after translation, and kept with presets, documents,
history and on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.core.assignments import parse_json_assignments
from playground.core.documents import DocumentStore
from playground.core.errors import InvalidParameter
from playground.core.extra_fields import parse_extra
from playground.core.history import History
from playground.core.presets import Preset, parse_preset
from playground.core.request import build_request
from playground.core.runs import RunResult


def test_text_that_is_not_json_is_refused_with_its_line_and_column() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_extra('{\n  "mirostat_ent": 2\n  "typo": 1\n}')
    assert caught.value.field == "extra_fields"
    assert caught.value.message == ("extra_fields: not valid JSON: Expecting ',' delimiter at "
                                    "line 3, column 3")
    with pytest.raises(InvalidParameter, match="must be a JSON object"):
        parse_extra("[1, 2]")
    assert parse_extra("  \n") == {}
    assert parse_extra('{"note": "  two spaces  "}') == {"note": "  two spaces  "}


@pytest.mark.parametrize(("key", "says"), [
    ("temperature", "'temperature' is a sampler parameter of the panel"),
    ("repeat_penalty", "'repeat_penalty' is how llama.cpp spells repetition_penalty: set "
                       "repetition_penalty instead"),
    ("sampler_priority", "spells sampler_order"),
    ("dynatemp_low", "text-generation-webui spells dynatemp_range"),
    ("prompt", "is written by the app itself"),
    ("provider", "is NanoGPT's routing"),
    ("x_sampler_trace", "the app's own extension fields"),
    ("suffix", "the app's own extension fields"),
])
def test_a_field_the_app_writes_is_refused_saying_what_to_use(key: str, says: str) -> None:
    with pytest.raises(InvalidParameter, match=says) as caught:
        parse_extra(json.dumps({key: 1}))
    assert caught.value.field == "extra_fields"


def test_extra_fields_go_verbatim_after_the_translated_ones() -> None:
    request = build_request("Hi", "m", {"repetition_penalty": 1.2},
                            dialect="llama.cpp", extra={"mirostat_ent": 2, "n_probs": [1]})
    wire = request.wire_body()
    assert list(wire)[-2:] == ["mirostat_ent", "n_probs"]
    assert wire["repeat_penalty"] == 1.2 and wire["n_probs"] == [1]
    assert request.body()["mirostat_ent"] == 2  # the record keeps them too
    with pytest.raises(InvalidParameter, match="extra_fields: 'top_k'"):
        build_request("Hi", "m", {}, extra={"top_k": 3})


def test_presets_keep_extra_fields_and_refuse_bad_ones() -> None:
    preset = Preset.create("p", {"temperature": 0.5}, extra={"mirostat_ent": 2})
    data = preset.to_json()
    assert data["extra_fields"] == {"mirostat_ent": 2}
    assert parse_preset(data) == preset
    assert "extra_fields" not in Preset.create("q", {}).to_json()
    with pytest.raises(Exception, match="extra_fields: 'min_p' is a sampler parameter"):
        parse_preset({**data, "extra_fields": {"min_p": 0.1}})


def test_documents_keep_extra_fields(playground_home: Path) -> None:
    with DocumentStore() as store:
        made = store.create("Doc", prompt="x", extra={"mirostat_ent": 2})
        assert store.get(made.id).extra == {"mirostat_ent": 2}
        saved = store.save(made.__class__(**{**made.__dict__, "extra": {"a": [1, 2]}}))
        assert store.get(saved.id).extra == {"a": [1, 2]}
        with pytest.raises(InvalidParameter, match="extra_fields: 'stream'"):
            store.create("Bad", extra={"stream": False})


def test_history_gives_a_runs_extra_fields_back_apart_from_the_apps_own(
        playground_home: Path) -> None:
    request = build_request("Hi", "m", {"top_k": 2}, extra={"mirostat_ent": 2},
                            extensions={"suffix": " end", "x_sampler_trace": True})
    with History() as history:
        run_id = history.record(request, RunResult(text="ok", finish_reason="stop"),
                                connection="local")
        run = history.get(run_id)
    assert run.extra() == {"mirostat_ent": 2}
    assert run.extensions() == {"suffix": " end", "x_sampler_trace": True}
    again = run.to_request()
    assert again.extra == {"mirostat_ent": 2} and again.wire_body() == request.wire_body()


def test_set_json_takes_json_values_only() -> None:
    assert parse_json_assignments(['mirostat_ent=2', 'tags=["a", " b"]']) == {
        "mirostat_ent": 2, "tags": ["a", " b"]}
    with pytest.raises(InvalidParameter, match="extra_fields: tags: not valid JSON: "
                                               "Expecting value at line 1, column 1"):
        parse_json_assignments(["tags=a,b"])
    with pytest.raises(InvalidParameter, match="is a sampler parameter"):
        parse_json_assignments(["temperature=1"])
