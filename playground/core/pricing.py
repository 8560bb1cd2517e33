"""What runs can cost at most, from a model's prices per million tokens (as model lists give
them): every prompt token at the prompt price and every token `max_tokens` allows at the
completion price. The real cost is what the server reports afterwards."""

from __future__ import annotations

from collections.abc import Callable

from playground.core.models import listed_models


def cost_bound(runs: int, prompt_tokens: int, max_tokens: int | None,
               prompt_price: float | None, completion_price: float | None) -> float | None:
    """The most `runs` runs can cost, in USD, from prices per million tokens (None: the prices
    or max_tokens are not known)."""
    if prompt_price is None or completion_price is None or max_tokens is None:
        return None
    return runs * (prompt_tokens * prompt_price + max_tokens * completion_price) / 1e6


def listed_prices(connection: str) -> Callable[[str], tuple[float, float] | None]:
    """A look-up of a model's prompt and completion prices per million tokens in the
    connection's cached model list."""
    find = listed_models(connection)

    def prices(model: str) -> tuple[float, float] | None:
        info = find(model)
        if info is None or info.prompt_price is None or info.completion_price is None:
            return None
        return info.prompt_price, info.completion_price

    return prices
