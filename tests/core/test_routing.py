from __future__ import annotations

import json

import pytest

from playground.core.errors import InvalidParameter
from playground.core.model_id import ModelId
from playground.core.routing import (
    PAYGO_SPELLINGS,
    ProviderRouting,
    Routing,
    normalize_billing_mode,
    parse_routing_object,
)


def test_routing_object_round_trip_keeps_only_set_fields() -> None:
    obj = parse_routing_object('{"order": ["a", "b"], "max_price": {"prompt": 1}, '
                               '"allow_fallbacks": false}')
    assert obj.body() == {"order": ["a", "b"], "max_price": {"prompt": 1.0},
                          "allow_fallbacks": False}
    assert ProviderRouting().is_empty()


def test_prices_keep_the_number_type_they_were_typed_with() -> None:
    obj = parse_routing_object('{"max_price": {"prompt": 10, "completion": 0.5}}')
    assert json.dumps(obj.body()) == '{"max_price": {"prompt": 10, "completion": 0.5}}'
    assert json.dumps(parse_routing_object({"max_price": {"prompt": 10.0}}).body()) == \
        '{"max_price": {"prompt": 10.0}}'


@pytest.mark.parametrize("price", ["10", True, [1], {}])
def test_a_price_that_is_not_a_number_is_named(price: object) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_routing_object({"max_price": {"completion": price}})
    assert info.value.message.startswith("provider.max_price.completion: ")
    assert "USD per million tokens" in info.value.message


@pytest.mark.parametrize(("data", "where"), [
    ({"sort": "fastest"}, "provider.sort"),
    ({"only": "a"}, "provider.only"),
    ({"max_price": {"prompt": -1}}, "provider.max_price.prompt"),
    ({"colour": 1}, "provider.colour"),
    ({"order": [""]}, "provider.order"),
])
def test_bad_routing_objects_name_the_key(data: dict, where: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_routing_object(data)
    assert info.value.message.startswith(where)
    assert "allowed" in info.value.message


def test_not_json_or_not_object() -> None:
    with pytest.raises(InvalidParameter, match="not valid JSON"):
        parse_routing_object("{nope")
    with pytest.raises(InvalidParameter, match="must be a JSON object"):
        parse_routing_object("[1]")


@pytest.mark.parametrize("spelling", [*PAYGO_SPELLINGS, "PayGo", " PAY-AS-YOU-GO "])
def test_billing_spellings(spelling: str) -> None:
    assert normalize_billing_mode(spelling) == "paygo"


def test_billing_refused_and_unset() -> None:
    assert normalize_billing_mode(None) is None
    assert normalize_billing_mode("") is None
    with pytest.raises(InvalidParameter, match="billing_mode: 'free' is not accepted"):
        normalize_billing_mode("free")


def test_body_and_headers() -> None:
    routing = Routing(provider="novita", billing_mode="payg")
    assert routing.body() == {"provider": "novita", "billing_mode": "paygo"}
    assert routing.headers() == {}
    routing = Routing(header_provider="novita", billing_mode="paid", billing_as_header=True)
    assert routing.body() == {}
    assert routing.headers() == {"X-Provider": "novita", "X-Billing-Mode": "paygo"}


def test_routing_suffix_conflicts() -> None:
    fast = ModelId.parse("zai-org/glm-5:fast")
    with pytest.raises(InvalidParameter) as info:
        Routing(header_provider="novita").check(fast)
    assert info.value.field == "X-Provider"
    assert info.value.message == ("X-Provider: 'novita' cannot be combined with the routing "
                                  "suffix :fast; use one or the other")
    with pytest.raises(InvalidParameter, match="cannot be combined with a body provider"):
        Routing(provider="novita").check(fast)
    with pytest.raises(InvalidParameter, match="body provider"):
        Routing(provider=ProviderRouting(only=["novita"])).check(fast)
    # An empty routing object sends nothing, so it does not conflict.
    Routing(provider=ProviderRouting()).check(fast)
    Routing(billing_mode="paygo").check(fast)
    Routing(provider="novita").check(ModelId.parse("zai-org/glm-5:online"))
