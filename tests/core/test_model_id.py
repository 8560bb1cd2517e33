from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.core.errors import InvalidParameter
from playground.core.model_id import ROUTING_ALIASES, ModelId


def test_parse_every_documented_suffix() -> None:
    m = ModelId.parse("claude-3-5-sonnet-20241022:memory-30:online/linkup-deep:reasoning-exclude")
    assert m.base == "claude-3-5-sonnet-20241022"
    assert m.memory and m.memory_days == 30
    assert m.online and m.online_provider == "linkup-deep"
    assert m.reasoning_exclude
    assert ModelId.parse("zai-org/glm-5:fast").routing == "speed"
    assert ModelId.parse("zai-org/glm-5:CHEAP").routing == "price"
    assert ModelId.parse("zai-org/glm-5:floor").routing == "price"
    assert ModelId.parse("a/b:thinking:online").thinking
    assert ModelId.parse("a/b:memory").memory_days is None


@pytest.mark.parametrize(("alias", "canonical"), sorted(ROUTING_ALIASES.items()))
def test_routing_aliases(alias: str, canonical: str) -> None:
    assert ModelId.parse(f"x/y:{alias}").routing == canonical


def test_unknown_segments_stay_in_the_base() -> None:
    assert ModelId.parse("llama3:8b").base == "llama3:8b"
    assert ModelId.parse("llama3:8b:online").base == "llama3:8b"
    assert ModelId.parse("qwen:7b:thinking").compose() == "qwen:7b:thinking"


def test_compose_is_canonical() -> None:
    m = ModelId("openai/gpt-5.2", online=True, online_provider="exa-instant", memory_days=7,
                thinking=True, reasoning_exclude=True, routing="latency")
    assert m.compose() == "openai/gpt-5.2:thinking:online/exa-instant:memory-7:" \
                          "reasoning-exclude:latency"
    assert ModelId.parse(m.compose()) == m


@pytest.mark.parametrize("bad", ["a:memory-0", "a:memory-366", "", "  "])
def test_refused(bad: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        ModelId.parse(bad)
    assert info.value.field == "model"


def test_bad_values_in_constructor() -> None:
    with pytest.raises(InvalidParameter, match="routing"):
        ModelId("a", routing="fastest")
    with pytest.raises(InvalidParameter, match="web-search provider"):
        ModelId("a", online_provider="bad name")


flags = st.builds(
    ModelId,
    base=st.from_regex(r"[a-z0-9][a-z0-9._/-]{0,20}", fullmatch=True),
    thinking=st.booleans(),
    online_provider=st.none() | st.sampled_from(["exa-instant", "linkup-deep", "tavily"]),
    online=st.booleans(),
    memory_days=st.none() | st.integers(1, 365),
    memory=st.booleans(),
    reasoning_exclude=st.booleans(),
    routing=st.none() | st.sampled_from(sorted(set(ROUTING_ALIASES.values()))),
)


@given(flags)
def test_compose_parse_round_trip(model: ModelId) -> None:
    assert ModelId.parse(model.compose()) == model
