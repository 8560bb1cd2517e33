"""Provider routing: a provider id, NanoGPT's routing object, the X-Provider header, billing mode.

`Routing` collects everything that decides *where* a request runs (as opposed to *how* it is
sampled) and checks the combinations NanoGPT documents as conflicting.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from playground.core.errors import InvalidParameter
from playground.core.model_id import ROUTING_LABELS, ModelId

#: Spellings NanoGPT accepts for pay-as-you-go billing (case-insensitive).
PAYGO_SPELLINGS = ("paygo", "pay-as-you-go", "pay_as_you_go", "paid", "payg")

SortOrder = Literal["speed", "throughput", "latency", "price", "auto", "none", "default"]


class MaxPrice(BaseModel):
    """Price caps in USD per million tokens, kept as typed: a whole number is sent as one
    (``10``, not ``10.0``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    prompt: int | float | None = Field(default=None, ge=0, allow_inf_nan=False)
    completion: int | float | None = Field(default=None, ge=0, allow_inf_nan=False)


class ProviderRouting(BaseModel):
    """NanoGPT's structured ``provider`` object. Unset fields are not sent."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    order: list[str] | None = Field(default=None, description="Soft preference order.")
    only: list[str] | None = Field(default=None, description="Hard pin to these providers.")
    ignore: list[str] | None = Field(default=None, description="Providers to exclude.")
    sort: SortOrder | None = Field(default=None, description="Routing preference.")
    max_price: MaxPrice | None = Field(default=None, description="Price caps, USD per 1M.")
    allow_fallbacks: bool | None = Field(default=None,
                                         description="False disables cross-provider fallback.")
    require_parameters: bool | None = Field(
        default=None, description="Require the provider to support every sent parameter.")

    @field_validator("order", "only", "ignore")
    @classmethod
    def _ids_are_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not item.strip() for item in value):
            raise ValueError("provider ids may not be empty")
        return value

    def is_empty(self) -> bool:
        return not self.body()

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def parse_routing_object(data: Any) -> ProviderRouting:
    """Validate a routing object from JSON-like data; errors name the offending key."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidParameter("provider", f"provider: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidParameter("provider", "provider: the routing object must be a JSON object")
    try:
        return ProviderRouting.model_validate(data)
    except OverflowError:  # a whole number too large to compare as a finite price
        raise InvalidParameter("provider", "provider.max_price: the number is too large "
                               f"(allowed: {_ALLOWED['max_price']})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error["loc"]
        if loc[0] == "max_price" and loc[-1] in _PRICE_TYPES:  # a price of neither type
            loc, error["msg"] = loc[:-1], "Input should be a number"
        where = ".".join(str(part) for part in loc)
        allowed = _ALLOWED.get(str(loc[0]), "see the docs")
        raise InvalidParameter("provider",
                               f"provider.{where}: {error['msg']} (allowed: {allowed})") from None


#: The members of a price's union, which pydantic names in an error's location.
_PRICE_TYPES = ("int", "float")


_ALLOWED = {
    "order": "a list of provider ids",
    "only": "a list of provider ids",
    "ignore": "a list of provider ids",
    "sort": "one of speed, throughput, latency, price, auto, none, default",
    "max_price": "an object with prompt and/or completion, USD per million tokens, 0 or more",
    "allow_fallbacks": "true or false",
    "require_parameters": "true or false",
}


def normalize_billing_mode(value: str | None) -> str | None:
    """Return ``"paygo"`` for any accepted spelling, None for unset; refuse anything else."""
    if value is None or not value.strip():
        return None
    if value.strip().lower() in PAYGO_SPELLINGS:
        return "paygo"
    raise InvalidParameter("billing_mode", f"billing_mode: {value!r} is not accepted "
                           f"(allowed: {', '.join(PAYGO_SPELLINGS)})")


class Routing(BaseModel):
    """Where a request goes: body ``provider`` (an id or an object), ``X-Provider``, billing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str | ProviderRouting | None = None
    header_provider: str | None = None  # sent as X-Provider
    billing_mode: str | None = None
    billing_as_header: bool = False  # send X-Billing-Mode instead of the body field

    def check(self, model: ModelId) -> None:
        """Refuse what NanoGPT documents as conflicting, before anything is sent."""
        if isinstance(self.provider, str) and not self.provider.strip():
            raise InvalidParameter("provider", "provider: the provider id is empty")
        if model.routing:
            suffix = ROUTING_LABELS[model.routing]
            if self.header_provider:  # named as sent: the header, not the body's provider
                raise InvalidParameter("X-Provider", f"X-Provider: {self.header_provider!r} "
                                       f"cannot be combined with the routing suffix :{suffix}; "
                                       "use one or the other")
            if self.has_body_provider():
                raise InvalidParameter("provider", f"provider: the routing suffix :{suffix} "
                                       "cannot be combined with a body provider; use one or "
                                       "the other")
        normalize_billing_mode(self.billing_mode)

    def has_body_provider(self) -> bool:
        if isinstance(self.provider, ProviderRouting):
            return not self.provider.is_empty()
        return bool(self.provider)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(self.provider, ProviderRouting):
            if not self.provider.is_empty():
                out["provider"] = self.provider.body()
        elif self.provider:
            out["provider"] = self.provider.strip()
        mode = normalize_billing_mode(self.billing_mode)
        if mode and not self.billing_as_header:
            out["billing_mode"] = mode
        return out

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.header_provider:
            out["X-Provider"] = self.header_provider.strip()
        mode = normalize_billing_mode(self.billing_mode)
        if mode and self.billing_as_header:
            out["X-Billing-Mode"] = mode
        return out
