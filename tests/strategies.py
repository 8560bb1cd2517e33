"""Hypothesis strategies derived from the catalog: valid values for any parameter."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from playground.core.catalog import BY_NAME, CATALOG, SAMPLER_STAGES, Kind, ParamSpec

token_ids = st.lists(st.integers(0, 50_000), max_size=5)


def valid_value(spec: ParamSpec) -> st.SearchStrategy[Any]:
    if spec.kind is Kind.NUMBER:
        return st.floats(spec.minimum, spec.maximum, exclude_min=spec.exclusive_minimum,
                         allow_nan=False)
    if spec.kind is Kind.INTEGER:
        return st.integers(int(spec.minimum), int(spec.maximum))
    if spec.kind is Kind.BOOLEAN:
        return st.booleans()
    if spec.kind is Kind.CHOICE:
        return st.sampled_from(spec.choices)
    if spec.kind is Kind.STRINGS:
        stop = st.text(min_size=1, max_size=8)
        return stop | st.lists(stop, min_size=1, max_size=4)
    if spec.kind is Kind.TOKEN_IDS:
        return token_ids
    if spec.kind is Kind.TOKEN_BIAS:
        return st.dictionaries(st.integers(0, 50_000).map(str),
                               st.floats(-100, 100, allow_nan=False), max_size=4)
    if spec.kind is Kind.FLAG_OR_COUNT:
        return st.booleans() | st.integers(0, 20)
    if spec.kind is Kind.ORDER:
        return st.permutations(SAMPLER_STAGES).flatmap(
            lambda order: st.integers(1, len(order)).map(lambda n: list(order[:n])))
    raise AssertionError(spec.kind)


@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from([s.name for s in CATALOG]), unique=True))
    return {name: draw(valid_value(BY_NAME[name])) for name in names}
