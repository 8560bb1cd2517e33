"""The dialect table: complete for every catalog field, and the translations it implies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from playground.core.catalog import BY_NAME, SAMPLER_STAGES, body_fields, validate_params
from playground.core.connections import DIALECTS, NANOGPT_UNDOCUMENTED, Connection
from playground.core.dialects import (
    FILL_IN_THE_MIDDLE,
    IDENTITY,
    LOCAL_ENGINE,
    TABLE,
    TRANSLATED,
    Translation,
    fill_in_the_middle,
    server_defaults,
    translate,
    unsupported,
)
from playground.core.errors import InvalidParameter
from playground.core.request import build_request
from playground.core.routing import Routing
from tests.strategies import param_sets

ALL = (IDENTITY, *TRANSLATED)
ROUTING = Routing(provider="novita", billing_mode="paygo")


def tr(params: dict, dialect: str) -> Translation:
    return translate(validate_params(params), dialect)


def test_every_catalog_field_has_a_decision_for_every_dialect() -> None:
    assert set(TABLE) == set(BY_NAME), "add a TABLE row for each new catalog field"
    for name, row in TABLE.items():
        assert set(row) == set(TRANSLATED), f"{name}: missing {set(TRANSLATED) - set(row)}"


def test_every_connection_dialect_is_known() -> None:
    assert set(DIALECTS) <= set(ALL)


def test_every_server_says_whether_it_fills_in_the_middle_and_why() -> None:
    assert set(FILL_IN_THE_MIDDLE) == {*ALL, LOCAL_ENGINE}
    assert all(why for _fills, why in FILL_IN_THE_MIDDLE.values())
    assert fill_in_the_middle(Connection(name="o", kind="custom", base_url="http://x/v1",
                                         dialect="ollama"))[0]
    assert not fill_in_the_middle(Connection(name="local", kind="local"))[0]
    assert not fill_in_the_middle(Connection(name="v", kind="custom", base_url="http://x/v1",
                                             dialect="vllm"))[0]


def test_unsupported_fields_carry_a_reason_and_supported_ones_none() -> None:
    for dialect in TRANSLATED:
        for name, reason in unsupported(dialect).items():
            assert name in BY_NAME and len(reason) > 20, (dialect, name)
            assert not TABLE[name][dialect].supported


def test_nanogpt_takes_the_seed_s_fields_as_they_are() -> None:
    request = build_request("p", "m", {"typical_p": 0.5, "top_a": 0.1, "logprobs": True},
                            ROUTING)
    out = request.translation()
    assert out.fields == body_fields(request.params) and out.routes
    assert out.notes == [] and out.dropped == frozenset()
    assert request.wire_body() == request.body()
    assert server_defaults(IDENTITY) == {}


def test_nanogpt_is_not_sent_the_fields_its_api_does_not_document() -> None:
    beyond = {name for name, spec in BY_NAME.items() if spec.beyond_seed}
    assert set(unsupported(IDENTITY)) == beyond
    request = build_request("p", "m", {"temperature": 0.7, "dry_multiplier": 0.8,
                                       "xtc_probability": 0.5})
    out = request.translation()
    assert out.fields == {"temperature": 0.7}
    assert out.dropped == {"dry_multiplier", "xtc_probability"}
    assert "dropped dry_multiplier: NanoGPT's completions API (the seed) does not document " \
           "it, so it is not sent there" in out.notes


def test_the_local_engine_takes_every_catalog_field() -> None:
    params = {"temperature": 0.7, "dry_multiplier": 0.8, "dry_sequence_breakers": ["\n"],
              "top_n_sigma": 1.5}
    request = build_request("p", "m", params, ROUTING, dialect=LOCAL_ENGINE)
    assert request.wire_body() == request.body()
    assert request.translation().notes == [] and unsupported(LOCAL_ENGINE) == {}
    assert Connection(name="local", kind="local").speaks == LOCAL_ENGINE
    assert Connection(name="x", base_url="http://h/v1", dialect="vllm").speaks == "vllm"


def test_the_newer_samplers_under_each_server_s_own_names() -> None:
    params = {"dry_multiplier": 0.8, "dry_penalty_last_n": 0, "dry_sequence_breakers": "\n",
              "top_n_sigma": 1.5, "xtc_probability": 0.5, "smoothing_factor": 0.3}
    llama = tr(params, "llama.cpp")
    assert llama.fields["dry_penalty_last_n"] == -1  # its whole text; its 0 is off
    assert llama.fields["dry_sequence_breakers"] == ["\n"]
    assert "smoothing_factor" in llama.dropped
    kobold = tr(params, "koboldcpp")
    assert kobold.fields["nsigma"] == 1.5 and "top_n_sigma" not in kobold.fields
    assert kobold.fields["dry_penalty_last_n"] == 0 and kobold.fields["smoothing_factor"] == 0.3
    tgw = tr(params, "text-generation-webui")
    assert tgw.fields["repetition_penalty_range"] == 0
    assert tgw.fields["dry_sequence_breakers"] == '["\\n"]'
    for server in ("openai", "vllm", "ollama", "llama-cpp-python"):
        assert not set(params) & set(tr(params, server).fields), server


def test_openai_keeps_only_the_official_fields() -> None:
    official = {"max_tokens", "temperature", "top_p", "seed", "frequency_penalty",
                "presence_penalty", "stop", "logit_bias", "logprobs"}
    assert set(BY_NAME) - set(unsupported("openai")) == official


@pytest.mark.parametrize("dialect", TRANSLATED)
def test_routing_fields_are_dropped_outside_nanogpt(dialect: str) -> None:
    request = build_request("p", "m", {}, ROUTING, dialect=dialect)
    assert {"provider", "billing_mode"} <= set(request.body())
    body, out = request.wire_body(), request.translation()
    assert not {"provider", "billing_mode"} & set(body) and not out.routes
    assert {"provider", "billing_mode"} <= out.dropped
    assert sum("provider routing" in note for note in out.notes) == 2
    assert body["model"] == "m" and body["prompt"] == "p" and body["stream"] is True


@pytest.mark.parametrize("dialect", TRANSLATED)
def test_routing_headers_stay_with_nanogpt_and_are_noted(dialect: str) -> None:
    routing = Routing(header_provider="novita", billing_mode="paygo", billing_as_header=True)
    assert set(build_request("p", "m", {}, routing).headers()) >= {"X-Provider",
                                                                   "X-Billing-Mode"}
    request = build_request("p", "m", {}, routing, dialect=dialect)
    assert not {"X-Provider", "X-Billing-Mode"} & set(request.headers())
    assert {"X-Provider", "X-Billing-Mode"} <= request.translation().dropped


@given(params=param_sets())
@settings(max_examples=200)
def test_translation_never_sends_an_unsupported_field_and_keeps_every_supported_one(
        params: dict) -> None:
    typed = validate_params(params)
    for dialect in TRANSLATED:
        out = translate(typed, dialect)
        gone = set(unsupported(dialect))
        assert not gone & set(out.fields), dialect
        for name in params:
            r = TABLE[name][dialect]
            if name in gone or name in out.dropped:
                assert name in out.dropped and any(name in note for note in out.notes)
            elif r.expand is not None:
                assert set(r.expand(typed.model_dump()[name], params)) <= set(out.fields)
            else:
                assert (r.name or name) in out.fields, (dialect, name)


def test_llama_cpp_python_renames_and_drops() -> None:
    out = tr({"repetition_penalty": 1.3, "typical_p": 0.5, "tfs": 0.9, "top_a": 0.2,
              "mirostat_mode": 2, "logprobs": 3}, "llama-cpp-python")
    assert out.fields["repeat_penalty"] == 1.3 and "repetition_penalty" not in out.fields
    assert out.fields["mirostat_mode"] == 2 and out.fields["logprobs"] == 3
    assert out.dropped == {"typical_p", "tfs", "top_a"}
    assert "repetition_penalty sent as repeat_penalty" in out.notes


def test_llama_server_speaks_its_native_names() -> None:
    out = tr({"mirostat_mode": 1, "repetition_penalty": 1.1, "typical_p": 0.5,
              "logprobs": True, "ignore_eos": True}, "llama.cpp")
    assert out.fields["mirostat"] == 1 and out.fields["repeat_penalty"] == 1.1
    assert out.fields["typical_p"] == 0.5 and out.fields["ignore_eos"] is True
    assert out.fields["logprobs"] == 1  # n_probs 0 would mean "no probabilities"


@pytest.mark.parametrize("dialect", ["llama-cpp-python", "llama.cpp"])
def test_a_neutral_request_to_llama_cpp_sends_neutral_values_explicitly(dialect: str) -> None:
    out = tr({}, dialect)
    expected = {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "min_p": 0.0}
    if dialect == "llama-cpp-python":  # its repeat_penalty defaults to 1.1, llama-server's to 1
        expected["repeat_penalty"] = 1.0
    assert {k: v for k, v in out.fields.items() if k in BY_NAME or k == "repeat_penalty"} \
        == expected
    assert "added top_k: 0 (neutral); the server's default is 40" in out.notes
    assert out.dropped == frozenset()


def test_set_values_are_never_overwritten_by_neutral_ones() -> None:
    out = tr({"temperature": 0.3, "top_k": 7, "repetition_penalty": 1.2}, "llama-cpp-python")
    assert out.fields["temperature"] == 0.3 and out.fields["top_k"] == 7
    assert out.fields["repeat_penalty"] == 1.2
    assert not any(note.startswith(("added temperature", "added top_k", "added repeat"))
                   for note in out.notes)
    assert out.fields["top_p"] == 1.0 and out.fields["min_p"] == 0.0


def test_an_unset_limit_with_a_small_server_default_is_noted() -> None:
    out = tr({}, "vllm")
    assert "max_tokens unset, so the server's default applies (16)" in out.notes
    assert "max_tokens" not in out.fields


def test_vllm_spells_top_k_off_as_minus_one() -> None:
    assert tr({"top_k": 0}, "vllm").fields["top_k"] == -1
    assert tr({"top_k": 5}, "vllm").fields["top_k"] == 5
    assert tr({}, "vllm").fields["top_k"] == -1  # generation_config may set one


def test_vllm_keeps_its_extra_sampling_params() -> None:
    params = {"min_p": 0.1, "top_k": 20, "repetition_penalty": 1.1, "min_tokens": 3,
              "stop_token_ids": [2], "include_stop_str_in_output": True, "ignore_eos": True}
    out = tr(params, "vllm")
    assert {k: out.fields[k] for k in params} == params
    assert tr({"prompt_logprobs": True}, "vllm").fields["prompt_logprobs"] == 1


def test_text_generation_webui_units_and_bans() -> None:
    out = tr({"epsilon_cutoff": 0.0003, "eta_cutoff": 0.0009, "custom_token_bans": [5, 17],
              "ignore_eos": True}, "text-generation-webui")
    assert out.fields["epsilon_cutoff"] == pytest.approx(3)
    assert out.fields["eta_cutoff"] == pytest.approx(9)
    assert out.fields["custom_token_bans"] == "5,17"
    assert out.fields["ban_eos_token"] is True
    assert any("units of 1e-4" in note for note in out.notes)


def test_koboldcpp_names() -> None:
    out = tr({"typical_p": 0.9, "include_stop_str_in_output": True,
              "frequency_penalty": 0.5, "custom_token_bans": [3]}, "koboldcpp")
    assert out.fields["typical"] == 0.9
    assert out.fields["trim_stop"] is False
    assert out.fields["custom_token_bans"] == "3"
    assert "frequency_penalty" in out.dropped  # it would turn into a presence penalty
    assert {"temperature": 1.0, "top_p": 1.0, "top_k": 0}.items() <= out.fields.items()


def test_ollama_forwards_only_what_it_passes_to_the_model() -> None:
    kept = set(BY_NAME) - set(unsupported("ollama"))
    assert kept == {"max_tokens", "temperature", "top_p", "seed", "frequency_penalty",
                    "presence_penalty", "stop", "logprobs"}
    assert tr({}, "ollama").fields == {}  # its OpenAI layer already defaults to neutral


@pytest.mark.parametrize("dialect", TRANSLATED)
def test_logprobs_false_is_not_sent_as_a_count(dialect: str) -> None:
    out = tr({"logprobs": False}, dialect)
    assert "logprobs" not in out.fields and "logprobs" in out.dropped


def test_unknown_dialect_names_the_field() -> None:
    with pytest.raises(InvalidParameter, match="dialect: 'tgi' is unknown") as error:
        tr({}, "tgi")
    assert error.value.field == "dialect"


def test_sampler_order_in_each_servers_own_terms() -> None:
    order = ["temperature", "min_p", "dry", "top_k"]
    llama = tr({"sampler_order": order}, "llama.cpp")
    assert llama.fields["samplers"] == ["temperature", "min_p", "dry", "top_k", "penalties",
                                        "top_n_sigma", "typ_p", "top_p", "xtc"]
    kobold = tr({"sampler_order": order}, "koboldcpp").fields["sampler_order"]
    assert kobold == [5, 2, 0, 6, 3, 4, 1]  # temperature, min_p's top_p slot, top_k, then rest
    tgw = tr({"sampler_order": order}, "text-generation-webui").fields["sampler_priority"]
    assert tgw[:4] == order and sorted(tgw) == sorted(SAMPLER_STAGES)
    for dialect in ("openai", "vllm", "ollama", "llama-cpp-python"):
        out = tr({"sampler_order": order}, dialect)
        assert "sampler_order" in out.dropped
        assert any("own fixed order" in note for note in out.notes)


def test_text_generation_webui_takes_dynamic_temperature_as_low_and_high() -> None:
    out = tr({"temperature": 0.8, "dynatemp_range": 0.5, "dynatemp_exponent": 1.5},
             "text-generation-webui")
    assert out.fields["dynamic_temperature"] is True
    assert (out.fields["dynatemp_low"], out.fields["dynatemp_high"]) == (0.3, 1.3)
    assert out.fields["dynatemp_exponent"] == 1.5 and "dynatemp_range" not in out.fields
    assert any("dynatemp_low: 0.3" in note for note in out.notes)


def test_banned_phrases_go_to_koboldcpp_only() -> None:
    out = tr({"banned_strings": ["upon a time", " the"]}, "koboldcpp")
    assert out.fields["banned_tokens"] == ["upon a time", " the"]
    assert any("ignoring case" in note for note in out.notes)
    assert "banned_strings" in tr({"banned_strings": "x"}, "llama.cpp").dropped


def test_nanogpt_sends_undocumented_fields_only_when_its_connection_says_so() -> None:
    params = {"temperature": 0.7, "dry_multiplier": 0.8, "sampler_order": ["min_p"]}
    plain = tr(params, "nanogpt")
    assert set(plain.fields) == {"temperature"} and plain.dropped == {"dry_multiplier",
                                                                       "sampler_order"}
    told = tr(params, NANOGPT_UNDOCUMENTED)
    assert told.fields == params and told.routes and not told.dropped
    assert [note.split(":")[0] for note in told.notes] == ["sent dry_multiplier",
                                                           "sent sampler_order"]
    assert unsupported(NANOGPT_UNDOCUMENTED) == {}
    assert "dry_multiplier" in unsupported("nanogpt")
