"""The catalog checked against itself and against the spec seed."""

from __future__ import annotations

import math

import pytest

from playground.core.catalog import (
    BY_NAME,
    CATALOG,
    SAMPLER_STAGES,
    Group,
    Kind,
    SamplerParams,
    body_fields,
    complete_order,
    in_group,
    validate_params,
)
from playground.core.errors import InvalidParameter
from tests.spec_schema import request_properties

#: Request fields that are not sampler parameters: handled by the request builder and routing.
NON_SAMPLER_FIELDS = {"model", "prompt", "stream", "provider", "billing_mode", "billingMode"}

#: The samplers other servers define and NanoGPT's API does not (issue 20), with their names.
BEYOND_SEED = {"dynatemp_range", "dynatemp_exponent", "smoothing_factor", "smoothing_curve",
               "dry_multiplier", "dry_base", "dry_allowed_length", "dry_penalty_last_n",
               "dry_sequence_breakers", "top_n_sigma", "xtc_probability", "xtc_threshold",
               "banned_strings", "sampler_order"}

EXPECTED_GROUPS = {
    Group.BASIC: ["max_tokens", "temperature", "top_p", "top_k", "seed", "min_tokens",
                  "ignore_eos"],
    Group.TEMPERATURE: ["dynatemp_range", "dynatemp_exponent", "smoothing_factor",
                        "smoothing_curve"],
    Group.PENALTIES: ["frequency_penalty", "presence_penalty", "repetition_penalty",
                      "no_repeat_ngram_size", "dry_multiplier", "dry_base",
                      "dry_allowed_length", "dry_penalty_last_n", "dry_sequence_breakers"],
    Group.MIROSTAT: ["mirostat_mode", "mirostat_tau", "mirostat_eta"],
    Group.CUTOFFS: ["min_p", "top_a", "tfs", "typical_p", "eta_cutoff", "epsilon_cutoff",
                    "top_n_sigma", "xtc_probability", "xtc_threshold"],
    Group.STOPS: ["stop", "stop_token_ids", "include_stop_str_in_output", "custom_token_bans",
                  "banned_strings", "logit_bias"],
    Group.LOGPROBS: ["logprobs", "prompt_logprobs"],
    Group.ORDER: ["sampler_order"],
}


def test_catalog_covers_every_field_of_the_spec_and_marks_the_rest() -> None:
    spec_fields = set(request_properties())
    assert {s.name for s in CATALOG if s.beyond_seed} == BEYOND_SEED
    assert (set(BY_NAME) - BEYOND_SEED) | NON_SAMPLER_FIELDS == spec_fields
    assert not set(BY_NAME) & NON_SAMPLER_FIELDS
    assert not BEYOND_SEED & spec_fields


def test_groups_hold_the_issue_s_fields() -> None:
    for group, names in EXPECTED_GROUPS.items():
        assert sorted(s.name for s in in_group(group)) == sorted(names)


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_every_entry_is_documented_and_typed(spec) -> None:
    assert len(spec.description) > 20 and spec.description.endswith((".", ")"))
    assert spec.group in Group
    if spec.bounded:
        assert spec.minimum is not None, "numbers need a lower bound"
        assert spec.maximum is not None, "numbers need an upper bound"
        assert spec.minimum < spec.maximum
        cast = int if spec.kind is Kind.INTEGER else float
        assert isinstance(spec.minimum, int | float) and isinstance(spec.maximum, int | float)
        assert cast(spec.minimum) == spec.minimum
        if spec.neutral is not None:
            assert spec.minimum <= spec.neutral <= spec.maximum
            assert isinstance(spec.neutral, cast)
        if spec.soft_max is not None:
            assert spec.minimum < spec.soft_max <= spec.maximum
    if spec.neutral is not None:
        # The neutral value is itself valid, and it is what the engine treats as "off".
        validate_params({spec.name: spec.neutral})
    if spec.hint is not None:
        validate_params({spec.name: spec.hint})


@pytest.mark.parametrize("spec", [s for s in CATALOG if s.bounded and not s.beyond_seed],
                         ids=lambda s: s.name)
def test_bounds_stay_inside_the_spec(spec) -> None:
    """A value the catalog accepts must be one the spec accepts (tighter is allowed)."""
    prop = request_properties()[spec.name]
    if "minimum" in prop:
        assert spec.minimum >= prop["minimum"]
    if "maximum" in prop:
        assert spec.maximum <= prop["maximum"]
    expected = "integer" if spec.kind is Kind.INTEGER else "number"
    assert prop["type"] == expected


def test_spec_enums_and_types_match() -> None:
    props = request_properties()
    assert list(BY_NAME["mirostat_mode"].choices) == props["mirostat_mode"]["enum"]
    for spec in CATALOG:
        if spec.kind is Kind.BOOLEAN:
            assert props[spec.name]["type"] == "boolean"
        if spec.kind is Kind.TOKEN_IDS:
            assert props[spec.name]["items"]["type"] == "integer"


@pytest.mark.parametrize("spec", [s for s in CATALOG if s.bounded and s.name != "seed"],
                         ids=lambda s: s.name)
def test_out_of_range_is_refused_naming_field_and_range(spec) -> None:
    above = spec.maximum + 1
    with pytest.raises(InvalidParameter) as info:
        validate_params({spec.name: above})
    assert info.value.field == spec.name
    assert info.value.message.startswith(f"{spec.name}: ")
    assert "above the maximum" in info.value.message
    assert spec.allowed() in info.value.message
    below = spec.minimum - 1
    with pytest.raises(InvalidParameter, match="below the minimum|must be above"):
        validate_params({spec.name: below})


def test_messages_read_well() -> None:
    with pytest.raises(InvalidParameter) as info:
        validate_params({"temperature": 3})
    assert info.value.message == ("temperature: 3 is above the maximum 2 "
                                  "(allowed: a number from 0 to 2)")
    with pytest.raises(InvalidParameter, match="top_k: 'x' is not valid"):
        validate_params({"top_k": "x"})
    with pytest.raises(InvalidParameter, match="not a finite number"):
        validate_params({"top_p": math.nan})
    with pytest.raises(InvalidParameter, match="mirostat_mode: 3 is not valid.*one of 0, 1, 2"):
        validate_params({"mirostat_mode": 3})
    with pytest.raises(InvalidParameter, match="not a sampler parameter"):
        validate_params({"temprature": 1})


def test_unset_is_distinct_from_every_value_and_never_sent() -> None:
    assert body_fields(validate_params({})) == {}
    assert body_fields(validate_params({"temperature": None, "top_k": None})) == {}
    # A value equal to the neutral one is still sent: set-but-neutral is not unset.
    assert body_fields(validate_params({"temperature": 1, "top_k": 0, "ignore_eos": False})) == {
        "temperature": 1.0, "top_k": 0, "ignore_eos": False}


def test_json_numbers_are_accepted_across_int_and_float() -> None:
    params = validate_params({"temperature": 1, "max_tokens": 16.0, "logprobs": 3.0})
    assert params.temperature == 1.0 and isinstance(params.temperature, float)
    assert params.max_tokens == 16 and isinstance(params.max_tokens, int)
    assert params.logprobs == 3
    with pytest.raises(InvalidParameter):
        validate_params({"max_tokens": 16.5})
    with pytest.raises(InvalidParameter):
        validate_params({"temperature": True})  # a bool is not a number


def test_flag_or_count_keeps_bool_and_int_apart() -> None:
    assert validate_params({"logprobs": True}).logprobs is True
    assert validate_params({"logprobs": 0}).logprobs == 0
    assert validate_params({"logprobs": 0}).logprobs is not False


def test_structured_fields() -> None:
    assert validate_params({"stop": "END"}).stop == "END"
    assert validate_params({"stop": ["\n\n", "END"]}).stop == ["\n\n", "END"]
    with pytest.raises(InvalidParameter, match="stop: a stop sequence may not be empty"):
        validate_params({"stop": ["a", ""]})
    with pytest.raises(InvalidParameter, match="custom_token_bans: token ids are 0 or more"):
        validate_params({"custom_token_bans": [1, -2]})
    assert validate_params({"logit_bias": {"50256": -100}}).logit_bias == {"50256": -100.0}
    with pytest.raises(InvalidParameter, match="logit_bias: bias 101.0 for token 7"):
        validate_params({"logit_bias": {"7": 101}})
    with pytest.raises(InvalidParameter, match="logit_bias: key 'abc' is not a token id"):
        validate_params({"logit_bias": {"abc": 1}})


def test_params_are_immutable() -> None:
    params = SamplerParams()
    with pytest.raises(Exception, match="frozen"):
        params.temperature = 1.0  # type: ignore[misc]


def test_huge_numbers_are_refused_not_crashing() -> None:
    with pytest.raises(InvalidParameter, match="temperature: the number is too large"):
        validate_params({"temperature": 10**400})
    with pytest.raises(InvalidParameter, match="logit_bias: the number is too large"):
        validate_params({"logit_bias": {"1": 10**400}})
    with pytest.raises(InvalidParameter, match="max_tokens: "):
        validate_params({"max_tokens": 10**400})


def test_sampler_order_names_each_stage_once_and_completes_itself() -> None:
    params = validate_params({"sampler_order": ["temperature", "min_p"]})
    assert complete_order(params.sampler_order)[:3] == ("temperature", "min_p",
                                                        "repetition_penalty")
    assert sorted(complete_order(None)) == sorted(SAMPLER_STAGES)
    for bad, why in ((["min_p", "min_p"], "listed twice"), (["tempreature"], "'tempreature'"),
                     ([], "may not be empty")):
        with pytest.raises(InvalidParameter, match=why) as caught:
            validate_params({"sampler_order": bad})
        assert caught.value.field == "sampler_order"
    with pytest.raises(InvalidParameter, match="banned phrase may not be empty"):
        validate_params({"banned_strings": ["ok", ""]})
    assert validate_params({"banned_strings": ["  two spaces "]}).banned_strings == [
        "  two spaces "]
