"""The context meter's figures: the share of the context a run takes, its colour, and the
refusal of a run that cannot fit, with what to change."""

from __future__ import annotations

import pytest

from playground.core.connections import ConnectionStore
from playground.core.context_use import ContextUse, context_use


def use(prompt: int, max_tokens: int | None, context: int | None, exact: bool = True
        ) -> ContextUse:
    return ContextUse(prompt, exact, max_tokens, max_tokens is not None, context)


@pytest.mark.parametrize(("prompt", "max_tokens", "level"), [
    (100, 100, "ok"), (800, 99, "ok"), (800, 100, "amber"), (900, 100, "amber"),
    (900, 101, "red")])
def test_the_meter_turns_amber_at_nine_tenths_and_red_beyond(prompt, max_tokens, level) -> None:
    assert use(prompt, max_tokens, 1000).level == level
    assert use(prompt, max_tokens, None).level == "unknown"


def test_what_the_meter_says() -> None:
    assert use(82, 256, 8192).describe() == \
        "82 prompt + 256 max_tokens = 338 of 8,192 tokens (4%)"
    assert use(82, 256, None, exact=False).describe() == \
        "≈82 prompt + 256 max_tokens = 338 tokens; the model's context length is not listed"
    assert use(5, None, 100).describe() == \
        "5 prompt tokens and max_tokens unset (its default here is not known), of 100 " \
        "tokens (5%)"


def test_a_run_that_cannot_fit_is_refused_with_the_numbers_and_what_to_change() -> None:
    assert use(900, 100, 1000).refusal() is None  # exactly full fits
    assert use(900, 150, 1000).refusal() == (
        "context: 900 prompt + 150 max_tokens = 1,050 of 1,000 tokens (105%): 50 tokens more "
        "than the model's context; shorten the prompt by 50 tokens or set max_tokens to 100 "
        "or less")
    assert "the prompt alone fills the context" in use(1200, 10, 1000).refusal()
    # an estimate may be twice the real count (large vocabularies merge more than it assumes):
    # 1,990 estimated can be 995 real, which fits
    assert use(1990, 0, 1000, exact=False).refusal() is None
    assert ": at least 50 tokens more than the model's context" in \
        use(2100, 0, 1000, exact=False).refusal()  # 2,100 / 2 = 1,050 real at the fewest


def test_an_unset_max_tokens_counts_as_the_servers_default_where_it_is_known() -> None:
    local = ConnectionStore().get("local")
    use_ = context_use(10, True, None, local, 2048)
    assert (use_.max_tokens, use_.max_tokens_set) == (256, False)
    assert "256 max_tokens (the server's default)" in use_.describe()
    assert context_use(10, True, 64, local, 2048).max_tokens == 64
    assert context_use(10, True, None, ConnectionStore().get("nanogpt"), 2048).max_tokens \
        is None
