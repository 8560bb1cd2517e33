"""``--set NAME=VALUE``: whitespace in a string value is data, an empty value is an error."""

from __future__ import annotations

import pytest

from playground.core.assignments import parse_assignment, parse_assignments, parse_field_text
from playground.core.errors import InvalidParameter


@pytest.mark.parametrize(("text", "stop"), [
    ("stop=\n\n", "\n\n"),
    ("stop=\n\nEND", "\n\nEND"),
    ("stop= Q:", " Q:"),
    ("stop=\nUser:", "\nUser:"),
    ("stop=   ", "   "),
    ('stop=["\\n\\n", " Q:"]', ["\n\n", " Q:"]),
])
def test_whitespace_in_a_stop_is_kept(text: str, stop: object) -> None:
    assert parse_assignment(text) == ("stop", stop)


@pytest.mark.parametrize("text", ["stop=", "temperature=", "temperature=  ", "top_k="])
def test_an_empty_value_is_refused_naming_the_field(text: str) -> None:
    name = text.partition("=")[0]
    with pytest.raises(InvalidParameter) as caught:
        parse_assignment(text)
    assert caught.value.field == name
    assert caught.value.message.startswith(f"{name}: the value is empty (allowed: ")
    assert caught.value.message.endswith(f"; write {name}=null to unset it")


def test_numbers_and_lists_still_parse_around_spaces() -> None:
    assert parse_assignments(["temperature= 0.5 ", "custom_token_bans= 1, 2",
                              "top_k=null", "stop=null", "stop_token_ids=null"]) == {
        "temperature": 0.5, "custom_token_bans": [1, 2], "top_k": None, "stop": None,
        "stop_token_ids": None}
    assert parse_assignment('stop="null"') == ("stop", "null")


def test_an_empty_field_in_the_panel_is_unset() -> None:
    assert parse_field_text("stop", "") is None
    assert parse_field_text("temperature", " ") is None
    assert parse_field_text("stop", " ") == " "
