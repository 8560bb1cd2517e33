"""Server dialects: what each OpenAI-compatible server calls the catalog's parameters.

One row per catalog field says, for every dialect but ``nanogpt`` (the catalog's own names, sent
unchanged), whether the server takes the field as is, under another name, with its value
translated, or not at all (and why). `translate` turns typed parameters into the fields a
server understands and says what it changed (the request assembles the body after it);
`unsupported` tells the panel what to grey out.

Where a server's own default differs from the catalog's neutral value (llama.cpp samples at
temperature 0.8 with top_k 40 when told nothing), an unset field is sent at its neutral value,
so that an untouched panel means "no sampler in the way" on every server.

Adding a catalog field means adding its row to `TABLE`; a test fails until every dialect's
decision for it is written down.

Sources, read for this table (facts only):

- ``openai``: OpenAI's API reference, legacy ``POST /v1/completions`` (best_of, echo,
  frequency_penalty, logit_bias, logprobs 0-5, max_tokens (default 16), n, presence_penalty,
  seed, stop (up to 4), stream, suffix, temperature, top_p, user).
- ``llama.cpp``: llama.cpp's own ``llama-server``, tools/server/server-schema.cpp and
  server-common.cpp (oaicompat_completion_params_parse) of the copy vendored in
  llama-cpp-python 0.3.36; defaults from common/common.h (common_params_sampling). It reads
  its native names on ``/v1/completions`` too; unknown fields are ignored.
- ``llama-cpp-python``: llama_cpp/server/types.py (CreateCompletionRequest) and app.py of
  llama-cpp-python 0.3.36, checked against the running server (tests/thirdparty).
- ``vllm``: vllm/entrypoints/openai protocol.py (CompletionRequest and its
  ``_DEFAULT_SAMPLING_PARAMS``); unset fields fall back to the model's generation_config.json.
  Unknown fields are logged and ignored.
- ``koboldcpp``: koboldcpp.py (``transform_genparams`` for the OpenAI completions format and
  ``generate``), LostRuins/koboldcpp.
- ``text-generation-webui``: extensions/openai/typing.py (GenerationOptions,
  CompletionRequestParams); epsilon/eta units from its api examples ("in units of 1e-4").
- ``ollama``: openai/openai.go (``FromCompleteRequest``) and docs/openai.md, ollama/ollama.
  Only the fields it copies into the model options take effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from playground.core.catalog import BY_NAME, Limits, SamplerParams, body_fields, complete_order
from playground.core.connections import (
    DIALECTS,
    LOCAL_ENGINE,
    NANOGPT_UNDOCUMENTED,
    Connection,
)
from playground.core.errors import InvalidParameter
from playground.core.routing import Routing

#: The dialect that speaks the catalog's own names.
IDENTITY = "nanogpt"
#: Why NanoGPT's connection does not send the catalog's fields beyond the seed.
BEYOND_SEED_REASON = ("NanoGPT's completions API (the seed) does not document it, so it is not "
                      "sent there")
#: What a NanoGPT connection that sends undocumented fields says about each of them.
UNDOCUMENTED_CAVEAT = ("NanoGPT does not document it; sent because this connection is set to "
                       "send undocumented fields (the provider may ignore or refuse it)")
#: Dialects with a table below. `connections.DIALECTS` lists the ones a connection can pick.
TRANSLATED = ("openai", "llama.cpp", "llama-cpp-python", "vllm", "koboldcpp",
              "text-generation-webui", "ollama")


class Omit:
    """Returned by a value translation when the value is best not sent at all."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = Omit()


@dataclass(frozen=True)
class Varies:
    """A server default that is not one fixed value (e.g. read from the model's files)."""

    where: str

    def __str__(self) -> str:
        return self.where


@dataclass(frozen=True)
class Rule:
    """What one dialect does with one catalog field.

    `reason` set: unsupported, never sent. Otherwise sent as `name` (None: the catalog name)
    with its value passed through `convert`. `default` is what the server uses when the field
    is absent, where known and worth knowing."""

    name: str | None = None
    convert: Callable[[Any], Any] | None = None
    why: str = ""  # explains `convert` (or `expand`) in the notes
    #: For a field a server spells as several: (value, every set field) -> the fields sent.
    expand: Callable[[Any, Mapping[str, Any]], dict[str, Any]] | None = None
    reason: str | None = None
    default: Any = None

    @property
    def supported(self) -> bool:
        return self.reason is None


SAME = Rule()


def same(default: Any) -> Rule:
    return Rule(default=default)


def rename(name: str, default: Any = None) -> Rule:
    return Rule(name=name, default=default)


def no(reason: str) -> Rule:
    return Rule(reason=reason)


def _count(value: Any) -> Any:
    """A boolean-or-count logprobs value for servers that want a count: true asks for the
    chosen token and its top alternative (1), false for nothing."""
    if value is False:
        return OMIT
    return 1 if value is True else value


def _in_1e4_units(value: Any) -> Any:
    return round(float(value) * 1e4, 6)


def _comma_list(value: Any) -> Any:
    return ",".join(str(token) for token in value)


def _top_k_vllm(value: Any) -> Any:
    return -1 if value == 0 else value


def _not(value: Any) -> Any:
    return not value


def _whole_text_as_minus_one(value: Any) -> Any:
    return -1 if value == 0 else value


def _string_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _json_list_text(value: Any) -> Any:
    return json.dumps(_string_list(value), ensure_ascii=False)


def _dynatemp_low_high(spread: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """text-generation-webui's dynamic temperature (modules/sampler_hijack.py,
    TemperatureLogitsWarperCustom) takes the lowest and highest temperature, where llama.cpp
    takes a spread around the temperature."""
    t = given.get("temperature", 1.0)
    if not spread:
        return {"dynamic_temperature": False}
    return {"dynamic_temperature": True, "dynatemp_low": round(max(0.0, t - spread), 6),
            "dynatemp_high": round(t + spread, 6)}


#: Our stage (catalog.SAMPLER_STAGES) -> llama.cpp's sampler name, from common/sampling.cpp
#: (common_sampler_types_from_names) of the copy vendored in llama-cpp-python 0.3.36. It runs
#: only the stages listed, so every one it has is sent.
LLAMA_STAGES = {"repetition_penalty": "penalties", "frequency_penalty": "penalties",
                 "presence_penalty": "penalties", "dry": "dry", "top_n_sigma": "top_n_sigma",
                 "top_k": "top_k", "typical_p": "typ_p", "top_p": "top_p", "min_p": "min_p",
                 "xtc": "xtc", "temperature": "temperature", "dynamic_temperature": "temperature"}
#: Our stage -> koboldcpp's sampler id, from koboldcpp.py (sampler_order) and
#: gpttype_adapter.cpp (sample_token's switch): 0 top_k, 1 top_a, 2 top_p (with min_p),
#: 3 tfs, 4 typical, 5 temperature (with dynamic temperature, smoothing and nsigma),
#: 6 repetition penalty (with presence penalty). It runs only the ids listed.
KOBOLD_STAGES = {"top_k": 0, "top_a": 1, "top_p": 2, "min_p": 2, "tfs": 3, "typical_p": 4,
                  "temperature": 5, "dynamic_temperature": 5, "quadratic_sampling": 5,
                  "top_n_sigma": 5, "repetition_penalty": 6, "presence_penalty": 6,
                  "frequency_penalty": 6}


#: Each server's own order when none is sent, in our stage names (stages it lacks follow).
#: text-generation-webui: modules/presets.py (default_preset's sampler_priority).
TEXTGEN_DEFAULT_ORDER = (
    "repetition_penalty", "presence_penalty", "frequency_penalty", "dry", "top_n_sigma",
    "temperature", "dynamic_temperature", "quadratic_sampling", "top_k", "top_p", "typical_p",
    "epsilon_cutoff", "eta_cutoff", "tfs", "top_a", "min_p", "mirostat", "xtc",
    "no_repeat_ngram")
#: llama.cpp: common/common.h (common_params_sampling.samplers).
LLAMA_DEFAULT_ORDER = (
    "repetition_penalty", "frequency_penalty", "presence_penalty", "dry", "top_n_sigma",
    "top_k", "typical_p", "top_p", "min_p", "xtc", "temperature", "dynamic_temperature")
#: koboldcpp: koboldcpp.py (sampler_order [6, 0, 1, 3, 4, 2, 5]), DRY always first and XTC
#: always last (gpttype_adapter.cpp).
KOBOLD_DEFAULT_ORDER = (
    "dry", "repetition_penalty", "presence_penalty", "frequency_penalty", "top_k", "top_a",
    "tfs", "typical_p", "top_p", "min_p", "top_n_sigma", "quadratic_sampling", "temperature",
    "dynamic_temperature", "xtc")


def _in_their_names(names: Mapping[str, Any]) -> Callable[[Any], Any]:
    def convert(order: Any) -> Any:
        return list(dict.fromkeys(names[stage] for stage in complete_order(order)
                                  if stage in names))
    return convert


#: `sampler_order` as llama.cpp's ``samplers`` and as koboldcpp's ``sampler_order`` ids.
as_llama_samplers = _in_their_names(LLAMA_STAGES)
as_kobold_ids = _in_their_names(KOBOLD_STAGES)


def _every_stage(order: Any) -> Any:
    return list(complete_order(order))


LOGPROBS = Rule(convert=_count, why="this server wants a count of alternatives")
_GENERATION_CONFIG = Varies("taken from the model's generation_config.json")

_OPENAI_NO = no("not a field of OpenAI's completions API")
_LLAMA_SERVER_NO = no("llama-server has no such option and ignores the field")
_LCP_NO = no("llama-cpp-python's server has no such field and silently drops it")
_VLLM_NO = no("vLLM has no such sampling parameter; it logs the field and ignores it")
_KOBOLD_NO = no("koboldcpp has no such sampler and ignores the field")
_TGW_NO = no("text-generation-webui's OpenAI API has no such field")
_NEWER = "newer samplers (DRY, XTC, top-n-sigma, dynamic temperature, smoothing)"
_NONE_OF_THEM = {
    "openai": _OPENAI_NO, "llama-cpp-python": no(f"llama-cpp-python 0.3.36's server has none "
                                                  f"of the {_NEWER} and drops the field"),
    "vllm": _VLLM_NO,
    "ollama": no(f"Ollama's completions take none of the {_NEWER}")}
_OLLAMA_NO = no("Ollama's /v1/completions does not pass it on to the model; the model's "
                "Modelfile setting applies")


_NO_ORDER = "applies its samplers in its own fixed order and takes no order"


def _ban(unknown: Rule) -> Rule:
    return no(f"{unknown.reason}; ban tokens with logit_bias -100 instead")


#: field -> {dialect -> rule}; every catalog field, every dialect in TRANSLATED.
TABLE: Mapping[str, Mapping[str, Rule]] = {
    "max_tokens": {
        "openai": same(16), "llama.cpp": same(Varies("no limit")),
        "llama-cpp-python": same(16), "vllm": same(16), "koboldcpp": same(200),
        "text-generation-webui": same(16), "ollama": SAME},
    "temperature": {
        "openai": SAME, "llama.cpp": same(0.8), "llama-cpp-python": same(0.8),
        "vllm": same(_GENERATION_CONFIG), "koboldcpp": same(0.75),
        "text-generation-webui": SAME, "ollama": SAME},
    "top_p": {
        "openai": SAME, "llama.cpp": same(0.95), "llama-cpp-python": same(0.95),
        "vllm": same(_GENERATION_CONFIG), "koboldcpp": same(0.92),
        "text-generation-webui": SAME, "ollama": SAME},
    "top_k": {
        "openai": _OPENAI_NO, "llama.cpp": same(40), "llama-cpp-python": same(40),
        "vllm": Rule(convert=_top_k_vllm, why="older vLLM versions refuse 0 and spell 'off' -1",
                     default=_GENERATION_CONFIG),
        "koboldcpp": same(100), "text-generation-webui": SAME, "ollama": _OLLAMA_NO},
    "seed": {
        "openai": SAME, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": SAME,
        "koboldcpp": SAME, "text-generation-webui": SAME, "ollama": SAME},
    "min_tokens": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": SAME,
        "vllm": SAME, "koboldcpp": _KOBOLD_NO, "text-generation-webui": _TGW_NO,
        "ollama": _OLLAMA_NO},
    "ignore_eos": {
        "openai": _OPENAI_NO, "llama.cpp": SAME, "llama-cpp-python": _LCP_NO, "vllm": SAME,
        "koboldcpp": rename("ban_eos_token"), "text-generation-webui": rename("ban_eos_token"),
        "ollama": _OLLAMA_NO},
    "frequency_penalty": {
        "openai": SAME, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": SAME,
        "koboldcpp": no("koboldcpp has no frequency penalty; its OpenAI endpoint would apply "
                        "the value as presence_penalty when that is unset"),
        "text-generation-webui": SAME, "ollama": SAME},
    "presence_penalty": {
        "openai": SAME, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": SAME,
        "koboldcpp": SAME, "text-generation-webui": SAME, "ollama": SAME},
    "repetition_penalty": {
        "openai": _OPENAI_NO, "llama.cpp": rename("repeat_penalty", 1.0),
        "llama-cpp-python": rename("repeat_penalty", 1.1), "vllm": same(_GENERATION_CONFIG),
        # koboldcpp takes the largest of repeat_penalty, repetition_penalty and rep_pen (each
        # 1 when absent), so values below 1 have no effect there.
        "koboldcpp": SAME, "text-generation-webui": SAME, "ollama": _OLLAMA_NO},
    "no_repeat_ngram_size": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        "vllm": _VLLM_NO, "koboldcpp": _KOBOLD_NO, "text-generation-webui": SAME,
        "ollama": _OLLAMA_NO},
    "mirostat_mode": {
        "openai": _OPENAI_NO, "llama.cpp": rename("mirostat"), "llama-cpp-python": SAME,
        "vllm": _VLLM_NO, "koboldcpp": SAME, "text-generation-webui": SAME,
        "ollama": _OLLAMA_NO},
    "mirostat_tau": {
        "openai": _OPENAI_NO, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": _VLLM_NO,
        "koboldcpp": SAME, "text-generation-webui": SAME, "ollama": _OLLAMA_NO},
    "mirostat_eta": {
        "openai": _OPENAI_NO, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": _VLLM_NO,
        "koboldcpp": SAME, "text-generation-webui": SAME, "ollama": _OLLAMA_NO},
    "min_p": {
        "openai": _OPENAI_NO, "llama.cpp": same(0.05), "llama-cpp-python": same(0.05),
        "vllm": same(_GENERATION_CONFIG), "koboldcpp": SAME, "text-generation-webui": SAME,
        "ollama": _OLLAMA_NO},
    "top_a": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        "vllm": _VLLM_NO, "koboldcpp": SAME, "text-generation-webui": SAME,
        "ollama": _OLLAMA_NO},
    "tfs": {
        "openai": _OPENAI_NO,
        "llama.cpp": no("llama.cpp removed tail free sampling (tfs_z) in late 2024"),
        "llama-cpp-python": _LCP_NO, "vllm": _VLLM_NO, "koboldcpp": SAME,
        "text-generation-webui": SAME, "ollama": _OLLAMA_NO},
    "typical_p": {
        "openai": _OPENAI_NO, "llama.cpp": SAME,
        "llama-cpp-python": no("llama-cpp-python's server does not expose typical_p (the "
                               "library has it) and silently drops the field"),
        "vllm": _VLLM_NO, "koboldcpp": rename("typical"), "text-generation-webui": SAME,
        "ollama": _OLLAMA_NO},
    "epsilon_cutoff": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        "vllm": _VLLM_NO, "koboldcpp": _KOBOLD_NO,
        "text-generation-webui": Rule(convert=_in_1e4_units,
                                      why="text-generation-webui counts in units of 1e-4"),
        "ollama": _OLLAMA_NO},
    "eta_cutoff": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        "vllm": _VLLM_NO, "koboldcpp": _KOBOLD_NO,
        "text-generation-webui": Rule(convert=_in_1e4_units,
                                      why="text-generation-webui counts in units of 1e-4"),
        "ollama": _OLLAMA_NO},
    "stop": {
        "openai": SAME, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": SAME,
        "koboldcpp": SAME, "text-generation-webui": SAME, "ollama": SAME},
    "stop_token_ids": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        "vllm": SAME, "koboldcpp": _KOBOLD_NO, "text-generation-webui": _TGW_NO,
        "ollama": _OLLAMA_NO},
    "include_stop_str_in_output": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        "vllm": SAME,
        "koboldcpp": Rule(name="trim_stop", convert=_not,
                          why="koboldcpp trims the stop sequence unless trim_stop is false"),
        "text-generation-webui": _TGW_NO, "ollama": _OLLAMA_NO},
    "custom_token_bans": {
        "openai": _ban(_OPENAI_NO), "llama.cpp": _ban(_LLAMA_SERVER_NO),
        "llama-cpp-python": _ban(_LCP_NO), "vllm": _ban(_VLLM_NO),
        "koboldcpp": Rule(convert=_comma_list, why="koboldcpp wants comma-separated ids"),
        "text-generation-webui": Rule(convert=_comma_list,
                                      why="text-generation-webui wants comma-separated ids"),
        "ollama": _OLLAMA_NO},
    "logit_bias": {
        "openai": SAME, "llama.cpp": SAME, "llama-cpp-python": SAME, "vllm": SAME,
        "koboldcpp": SAME, "text-generation-webui": SAME,
        "ollama": no("Ollama's OpenAI compatibility does not support logit_bias")},
    "logprobs": {
        "openai": LOGPROBS, "llama.cpp": LOGPROBS, "llama-cpp-python": LOGPROBS,
        "vllm": LOGPROBS, "koboldcpp": LOGPROBS, "text-generation-webui": LOGPROBS,
        # Only recent Ollama versions (late 2025) return logprobs; older ones ignore them.
        "ollama": LOGPROBS},
    "dynatemp_range": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME,
        # extensions/openai/typing.py (GenerationOptions): dynamic_temperature, dynatemp_low,
        # dynatemp_high, dynatemp_exponent
        "text-generation-webui": Rule(
            expand=_dynatemp_low_high,
            why="text-generation-webui takes the lowest and highest temperature")},
    "dynatemp_exponent": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME, "text-generation-webui": SAME},
    "smoothing_factor": {
        **_NONE_OF_THEM, "llama.cpp": no("llama.cpp has no quadratic smoothing"),
        "koboldcpp": SAME, "text-generation-webui": SAME},
    "smoothing_curve": {
        **_NONE_OF_THEM, "llama.cpp": no("llama.cpp has no quadratic smoothing"),
        "koboldcpp": SAME, "text-generation-webui": SAME},
    "dry_multiplier": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME, "text-generation-webui": SAME},
    "dry_base": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME,
        "text-generation-webui": SAME},
    "dry_allowed_length": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME,
        "text-generation-webui": SAME},
    "dry_penalty_last_n": {
        **_NONE_OF_THEM,
        "llama.cpp": Rule(convert=_whole_text_as_minus_one,
                          why="llama.cpp spells the whole text -1 (its 0 turns DRY off)"),
        "koboldcpp": SAME,
        "text-generation-webui": Rule(
            name="repetition_penalty_range",
            why="text-generation-webui's DRY looks back as far as its repetition penalty, "
                "so this also bounds repetition_penalty there")},
    "dry_sequence_breakers": {
        **_NONE_OF_THEM,
        "llama.cpp": Rule(convert=_string_list, why="llama.cpp wants a list"),
        "koboldcpp": Rule(convert=_string_list, why="koboldcpp wants a list"),
        "text-generation-webui": Rule(convert=_json_list_text,
                                      why="text-generation-webui reads the list from a string")},
    "top_n_sigma": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": rename("nsigma"),
        "text-generation-webui": SAME},
    "xtc_probability": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME, "text-generation-webui": SAME},
    "xtc_threshold": {
        **_NONE_OF_THEM, "llama.cpp": SAME, "koboldcpp": SAME,
        "text-generation-webui": SAME},
    "banned_strings": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO, "llama-cpp-python": _LCP_NO,
        # vllm/sampling_params.py: bad_words bans a word's last token after its other tokens,
        # one tokenisation only; not the same as a phrase matched in the text
        "vllm": no("vLLM has no banned phrases (its bad_words bans token sequences, with and "
                   "without a leading space, which is not the same)"),
        # koboldcpp.py (generate): banned_tokens, alias banned_strings; matched ignoring case
        "koboldcpp": Rule(name="banned_tokens",
                          why="koboldcpp's name; it matches them ignoring case"),
        "text-generation-webui": _TGW_NO, "ollama": _OLLAMA_NO},
    "sampler_order": {
        "openai": no(f"OpenAI {_NO_ORDER}"),
        "llama.cpp": Rule(name="samplers", convert=as_llama_samplers,
                          why="llama.cpp's names; its three penalties are one stage, and it "
                              "has no tfs, top_a, epsilon, eta, smoothing or n-gram stage",
                          default=list(LLAMA_DEFAULT_ORDER)),
        "llama-cpp-python": no(f"llama-cpp-python 0.3.36's server {_NO_ORDER}"),
        "vllm": no(f"vLLM {_NO_ORDER}"),
        "koboldcpp": Rule(convert=as_kobold_ids,
                          why="koboldcpp's ids; it always runs DRY first and XTC last, and its "
                              "temperature stage holds smoothing and top-n-sigma",
                          default=list(KOBOLD_DEFAULT_ORDER)),
        # modules/sampler_hijack.py (get_logits_processor_patch): sampler_priority names;
        # stages it is not given run first, so all are sent
        "text-generation-webui": Rule(name="sampler_priority", convert=_every_stage,
                                      why="text-generation-webui's field, with every stage",
                                      default=list(TEXTGEN_DEFAULT_ORDER)),
        "ollama": no(f"Ollama {_NO_ORDER}")},
    "prompt_logprobs": {
        "openai": _OPENAI_NO, "llama.cpp": _LLAMA_SERVER_NO,
        "llama-cpp-python": no("llama-cpp-python has no prompt_logprobs (echo with logprobs "
                               "is its nearest equivalent)"),
        "vllm": Rule(convert=_count, why="vLLM wants a count of alternatives"),
        "koboldcpp": _KOBOLD_NO, "text-generation-webui": _TGW_NO, "ollama": _OLLAMA_NO},
}



#: A server's own limits where they are narrower than the catalog's. The local engine's are
#: engine/generation.py's DEFAULT_MAX_TOKENS and engine/wire.py's MAX_OUTPUT_TOKENS (a test
#: holds them equal; core may not import the engine).
LIMITS: Mapping[str, Mapping[str, Limits]] = {
    LOCAL_ENGINE: {"max_tokens": Limits(default=256, maximum=16_384)},
}

#: What Mirostat (mirostat_mode 1 or 2) takes the place of, on the servers whose code says:
#: - the local engine (engine/chain.py): every truncation stage, top-n-sigma and XTC included;
#:   penalties, DRY, smoothing and temperature still apply;
#: - llama.cpp (common/sampling.cpp, common_sampler_init): the chain becomes logit bias,
#:   temperature, Mirostat; penalties, DRY, top-n-sigma, XTC and truncation are part of the
#:   list it skips;
#: - llama-cpp-python (llama_cpp/llama.py, _init_sampler): penalties stay, the truncation
#:   samplers and temperature go (temperature 0 still means greedy, without Mirostat).
MIROSTAT_REPLACES: Mapping[str, tuple[str, ...]] = {
    LOCAL_ENGINE: ("top_k", "top_p", "min_p", "top_a", "tfs", "typical_p", "epsilon_cutoff",
                   "eta_cutoff", "top_n_sigma", "xtc_probability"),
    "llama.cpp": ("top_k", "top_p", "min_p", "typical_p", "repetition_penalty",
                  "frequency_penalty", "presence_penalty", "dry_multiplier", "top_n_sigma",
                  "xtc_probability"),
    "llama-cpp-python": ("top_k", "top_p", "min_p", "typical_p"),
}


#: Fill-in-the-middle: whether a server's completions endpoint takes the text after the
#: insertion point as `suffix`, and what it does otherwise (read in each server's source):
FILL_IN_THE_MIDDLE: Mapping[str, tuple[bool, str]] = {
    IDENTITY: (False, "NanoGPT's completions API documents no suffix"),
    LOCAL_ENGINE: (False, "the local engine has no fill-in-the-middle"),
    "openai": (True, "OpenAI's completions take a suffix (gpt-3.5-turbo-instruct)"),
    "ollama": (True, "Ollama passes suffix to models whose template uses it (others answer "
                     "400 'does not support insert')"),
    "llama.cpp": (False, "llama-server fills in the middle only on /infill, which the app "
                         "does not use yet; its /v1/completions refuses or ignores suffix"),
    "llama-cpp-python": (False, "llama-cpp-python 0.3.36 builds a suffix prompt with the wrong "
                                "fill-in-the-middle tokens"),
    "vllm": (False, "vLLM refuses suffix (400: not currently supported)"),
    "koboldcpp": (False, "koboldcpp has no suffix field and ignores it"),
    "text-generation-webui": (False, "text-generation-webui pastes suffix onto the output "
                                     "instead of filling in the middle"),
}


def order_caveat(dialect: str) -> str | None:
    """What a server does not honour of a set `sampler_order` (None: it honours all of it)."""
    _check(dialect)
    if dialect == LOCAL_ENGINE:
        return None
    if dialect == IDENTITY:
        return BEYOND_SEED_REASON
    if dialect == NANOGPT_UNDOCUMENTED:
        return UNDOCUMENTED_CAVEAT
    rule = TABLE["sampler_order"][dialect]
    return rule.reason if rule.reason else (None if rule.convert is _every_stage else rule.why)


def fill_in_the_middle(connection: Connection) -> tuple[bool, str]:
    """Whether the connection's server takes the text after the cursor as `suffix`, and why
    (or why not)."""
    speaks = IDENTITY if connection.speaks == NANOGPT_UNDOCUMENTED else connection.speaks
    return FILL_IN_THE_MIDDLE.get(speaks, (False, "unknown server"))


def limits(connection: Connection) -> dict[str, Limits]:
    """Catalog field -> the connection's server's own limits, where the table knows them."""
    return dict(LIMITS.get(connection.speaks, {}))


def mirostat_replaces(connection: Connection) -> tuple[str, ...]:
    """The fields the connection's server does not use while Mirostat is on (empty: unknown
    or none)."""
    return MIROSTAT_REPLACES.get(connection.speaks, ())


@dataclass(frozen=True)
class Translation:
    """The sampler fields as one server names them, and what was changed to get there."""

    fields: dict[str, Any]
    notes: list[str]
    dropped: frozenset[str]
    #: Whether NanoGPT's routing (body fields and headers) goes with the request.
    routes: bool


def _check(dialect: str) -> None:
    if dialect not in (IDENTITY, LOCAL_ENGINE, NANOGPT_UNDOCUMENTED) and dialect not in TRANSLATED:
        raise InvalidParameter("dialect", f"dialect: {dialect!r} is unknown (known: "
                               f"{', '.join(sorted({*DIALECTS, *TRANSLATED}))})")


def unsupported(dialect: str) -> dict[str, str]:
    """Catalog field -> why this dialect's server ignores it, in catalog order."""
    _check(dialect)
    if dialect in (LOCAL_ENGINE, NANOGPT_UNDOCUMENTED):
        return {}
    if dialect == IDENTITY:
        return {name: BEYOND_SEED_REASON for name, spec in BY_NAME.items() if spec.beyond_seed}
    return {name: str(r.reason) for name in BY_NAME if not (r := TABLE[name][dialect]).supported}


def server_defaults(dialect: str) -> dict[str, Any]:
    """Catalog field -> the server's own default where the table knows it (for hints)."""
    _check(dialect)
    if dialect in (IDENTITY, LOCAL_ENGINE, NANOGPT_UNDOCUMENTED):
        return {}
    return {name: r.default for name in BY_NAME if (r := TABLE[name][dialect]).default is not None}


def translate(params: SamplerParams, dialect: str, routing: Routing | None = None,
              ) -> Translation:
    """The set parameters as `dialect`'s server understands them. Catalog fields are renamed,
    converted or dropped per the table; unset fields whose server default is not neutral are
    added at their neutral value; NanoGPT's routing goes only to NanoGPT. The request
    assembles the body from this (`CompletionRequest.wire_body`)."""
    _check(dialect)
    given = body_fields(params)
    if dialect == LOCAL_ENGINE:
        return Translation(given, [], frozenset(), routes=True)
    if dialect == NANOGPT_UNDOCUMENTED:
        beyond = [name for name in given if BY_NAME[name].beyond_seed]
        return Translation(given, [f"sent {name}: {UNDOCUMENTED_CAVEAT}" for name in beyond],
                           frozenset(), routes=True)
    if dialect == IDENTITY:
        beyond = [name for name in given if BY_NAME[name].beyond_seed]
        return Translation({k: v for k, v in given.items() if k not in beyond},
                           [f"dropped {name}: {BEYOND_SEED_REASON}" for name in beyond],
                           frozenset(beyond), routes=True)
    out: dict[str, Any] = {}
    notes: list[str] = []
    dropped: set[str] = set()
    for key in _routing_keys(routing):
        dropped.add(key)
        notes.append(f"dropped {key}: provider routing is NanoGPT's; a {dialect} "
                     "server does not route")
    for key, value in given.items():
        r = TABLE[key][dialect]
        if not r.supported:
            dropped.add(key)
            notes.append(f"dropped {key}: {r.reason}")
        else:
            _send(key, value, r, out, notes, dropped, given)
    for name, spec in BY_NAME.items():
        r = TABLE[name][dialect]
        if name in given or r.default is None or not r.supported:
            continue
        if spec.neutral is None:
            notes.append(f"{name} unset, so the server's default applies ({r.default})")
        elif r.default != spec.neutral:
            wire, sent = _wire(name, spec.neutral, r)
            out[wire] = sent
            label = "neutral" if wire == name else f"neutral {name}"
            notes.append(f"added {wire}: {_show(sent)} ({label}); the server's default is "
                         f"{r.default}")
    return Translation(out, notes, frozenset(dropped), routes=False)


def _routing_keys(routing: Routing | None) -> list[str]:
    """The routing body fields and headers `routing` would send to NanoGPT."""
    return [*routing.body(), *routing.headers()] if routing else []


def _wire(name: str, value: Any, r: Rule) -> tuple[str, Any]:
    return r.name or name, r.convert(value) if r.convert else value


def _send(name: str, value: Any, r: Rule, out: dict[str, Any], notes: list[str],
          dropped: set[str], given: Mapping[str, Any]) -> None:
    if r.expand is not None:
        fields = r.expand(value, given)
        out.update(fields)
        shown = ", ".join(f"{k}: {_show(v)}" for k, v in fields.items())
        notes.append(f"{name}: {_show(value)} sent as {shown} ({r.why})")
        return
    wire, sent = _wire(name, value, r)
    if sent is OMIT:
        dropped.add(name)
        notes.append(f"dropped {name}: {_show(value)} is the same as unset here")
        return
    out[wire] = sent
    if wire != name and sent != value:
        notes.append(f"{name}: {_show(value)} sent as {wire}: {_show(sent)} ({r.why})")
    elif wire != name:
        notes.append(f"{name} sent as {wire}" + (f" ({r.why})" if r.why else ""))
    elif sent != value or type(sent) is not type(value):
        notes.append(f"{name}: {_show(value)} sent as {_show(sent)} ({r.why})")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)
