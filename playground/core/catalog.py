"""The sampler parameter catalog: every sampler field of NanoGPT's completions API, declared once.

`SamplerParams` is the single table. The side panel, tooltips, validation messages, the request
body, presets, the CLI's ``--set`` and the README's parameter table are all derived from it
through `CATALOG`. Adding a parameter means adding one field here and nothing else.

`None` means *unset*: an unset field is never sent, so the provider's own default applies.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from playground.core.errors import InvalidParameter


class Group(StrEnum):
    BASIC = "Basic"
    TEMPERATURE = "Temperature shaping"
    PENALTIES = "Penalties"
    MIROSTAT = "Mirostat"
    CUTOFFS = "Cutoffs"
    STOPS = "Stops & tokens"
    LOGPROBS = "Logprobs"
    ORDER = "Sampler order"


class Kind(StrEnum):
    """What sort of value a parameter holds; picks the editor widget and the parser."""

    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    STRINGS = "strings"  # a string or a list of strings (stop)
    TOKEN_IDS = "token_ids"  # a list of token ids
    TOKEN_BIAS = "token_bias"  # token id -> additive logit
    FLAG_OR_COUNT = "flag_or_count"  # true/false or a small count (logprobs)
    ORDER = "order"  # an ordered list of sampler stage names (sampler_order)


#: The stages `sampler_order` arranges, in the local engine's default order, under
#: text-generation-webui's names for them (its ``sampler_priority``). Bans and logit_bias are
#: not stages: they always come first.
SAMPLER_STAGES: tuple[str, ...] = (
    "repetition_penalty", "frequency_penalty", "presence_penalty", "dry", "no_repeat_ngram",
    "top_n_sigma", "top_k", "tfs", "typical_p", "top_p", "min_p", "top_a", "epsilon_cutoff",
    "eta_cutoff", "mirostat", "xtc", "quadratic_sampling", "temperature",
    "dynamic_temperature")
#: A stage's catalog field, where the names differ: the field that turns the stage on.
STAGE_FIELDS: Mapping[str, str] = {
    "dry": "dry_multiplier", "no_repeat_ngram": "no_repeat_ngram_size",
    "mirostat": "mirostat_mode", "xtc": "xtc_probability",
    "quadratic_sampling": "smoothing_factor", "dynamic_temperature": "dynatemp_range"}


def complete_order(order: Sequence[str] | None) -> tuple[str, ...]:
    """Every stage in the order it runs: the listed ones first, then the rest in the default
    order."""
    listed = tuple(order or ())
    return (*listed, *(stage for stage in SAMPLER_STAGES if stage not in listed))


def _param(
    description: str,
    group: Group,
    *,
    neutral: Any = None,
    hint: Any = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    step: float | None = None,
    soft_max: float | None = None,
    note: str | None = None,
    labels: tuple[str, ...] | None = None,
    beyond_seed: bool = False,
) -> Any:
    """One catalog entry. `neutral` is the value at which the field has no effect; `hint` is the
    default the older spec documents (shown as a hint, never sent); `soft_max` bounds a slider
    where the API sets no maximum; `note` explains a bound that differs from the spec; `labels`
    names a choice field's values, in order, for people (the value sent stays the value);
    `beyond_seed` marks a field NanoGPT's API does not document (other servers define it)."""
    extra = {"group": group.value, "neutral": neutral, "hint": hint, "step": step,
             "soft_max": soft_max, "note": note, "labels": labels,
             "beyond_seed": beyond_seed or None}
    return Field(default=None, description=description, ge=ge, gt=gt, le=le,
                 json_schema_extra={k: v for k, v in extra.items() if v is not None})


_INT64 = 2**63 - 1


class SamplerParams(BaseModel):
    """Every sampler field of ``POST /v1/completions``. Field names are the API's names."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              validate_default=False)

    # Basic
    max_tokens: int | None = _param(
        "Upper bound on generated tokens. Unset: the routed provider's or model's default applies.",
        Group.BASIC, ge=1, le=1_000_000, hint=4000, step=1, soft_max=8192)
    temperature: float | None = _param(
        "Classic randomness control, 0 to 2. Lower is more deterministic (0 is greedy), "
        "higher explores more.", Group.BASIC, ge=0, le=2, neutral=1.0, hint=0.7, step=0.05)
    top_p: float | None = _param(
        "Nucleus sampling: keeps the smallest set of candidates whose cumulative probability "
        "reaches top_p. 1 disables it.", Group.BASIC, ge=0, le=1, neutral=1.0, hint=1.0,
        step=0.01)
    top_k: int | None = _param(
        "Keeps only the k most probable candidates at each step. 0 disables it.",
        Group.BASIC, ge=0, le=1_000_000, neutral=0, step=1, soft_max=200,
        note="The spec gives no bounds; negative values are refused (0 means off).")
    seed: int | None = _param(
        "Random seed. With the same seed and request, a supporting server repeats its output.",
        Group.BASIC, ge=-_INT64 - 1, le=_INT64, step=1)
    min_tokens: int | None = _param(
        "Minimum completion length: end-of-text and stop conditions are suppressed until this "
        "many tokens were generated.", Group.BASIC, ge=0, le=1_000_000, neutral=0, hint=0,
        step=1, soft_max=1024)
    ignore_eos: bool | None = _param(
        "Keep generating when the model predicts end-of-text (until max_tokens or a stop).",
        Group.BASIC, neutral=False, hint=False)

    # Temperature shaping
    dynatemp_range: float | None = _param(
        "Dynamic temperature (llama.cpp's name): the temperature moves within temperature ± "
        "this range, higher where the candidates are spread out (by their normalised "
        "entropy), lower where one stands out. 0 disables it.", Group.TEMPERATURE, ge=0, le=5,
        neutral=0.0, step=0.05, soft_max=2, beyond_seed=True)
    dynatemp_exponent: float | None = _param(
        "Dynamic temperature's curve (llama.cpp's name): the normalised entropy is raised to "
        "this power before it sets the temperature. Used only with dynatemp_range.",
        Group.TEMPERATURE, ge=0, le=10, hint=1.0, step=0.05, soft_max=5, beyond_seed=True)
    smoothing_factor: float | None = _param(
        "Quadratic smoothing (text-generation-webui's name): each logit becomes "
        "top - factor × (top - logit)², which evens out the leading candidates and cuts the "
        "tail. 0 disables it.", Group.TEMPERATURE, ge=0, le=10, neutral=0.0, step=0.01,
        soft_max=3, beyond_seed=True)
    smoothing_curve: float | None = _param(
        "Quadratic smoothing's curve (text-generation-webui's name): 1 is the plain quadratic; "
        "above 1 part of it becomes a cubic term. Used only with smoothing_factor.",
        Group.TEMPERATURE, ge=1, le=10, hint=1.0, step=0.05, soft_max=3, beyond_seed=True)

    # Penalties
    frequency_penalty: float | None = _param(
        "Subtracts this much from a token's logit for every time it already appeared. "
        "Negative values encourage repetition.", Group.PENALTIES, ge=-2, le=2, neutral=0.0,
        hint=0.0, step=0.05)
    presence_penalty: float | None = _param(
        "Subtracts this much from the logit of every token that already appeared at all.",
        Group.PENALTIES, ge=-2, le=2, neutral=0.0, hint=0.0, step=0.05)
    repetition_penalty: float | None = _param(
        "Multiplicative repetition penalty on tokens that already appeared (divides positive "
        "logits, multiplies negative ones). Above 1 discourages repetition; 1 disables it.",
        Group.PENALTIES, gt=0, le=2, neutral=1.0, step=0.01,
        note="The spec allows -2 to 2; a multiplicative penalty at or below 0 is meaningless, "
             "so this catalog accepts values above 0 up to 2.")
    no_repeat_ngram_size: int | None = _param(
        "Forbids any n-gram of this many tokens from appearing twice. 0 disables it.",
        Group.PENALTIES, ge=0, le=64, neutral=0, step=1, soft_max=10)
    dry_multiplier: float | None = _param(
        "DRY, \"Don't Repeat Yourself\" (llama.cpp's and text-generation-webui's name): the "
        "token that would extend a repeat of earlier text loses multiplier × "
        "base^(length - allowed_length) from its logit, for a repeat that long. 0 disables it.",
        Group.PENALTIES, ge=0, le=5, neutral=0.0, step=0.05, soft_max=2, beyond_seed=True)
    dry_base: float | None = _param(
        "DRY: how fast the penalty grows with each further repeated token (llama.cpp's name).",
        Group.PENALTIES, ge=1, le=4, hint=1.75, step=0.05, beyond_seed=True)
    dry_allowed_length: int | None = _param(
        "DRY: the longest repeat that goes unpenalised, in tokens (llama.cpp's name).",
        Group.PENALTIES, ge=1, le=100, hint=2, step=1, soft_max=20, beyond_seed=True)
    dry_penalty_last_n: int | None = _param(
        "DRY: how many of the last tokens are searched for repeats; 0 searches the whole text "
        "(llama.cpp's name, where the whole text is -1).", Group.PENALTIES, ge=0,
        le=1_000_000, hint=0, step=1, soft_max=4096, beyond_seed=True)
    dry_sequence_breakers: str | list[str] | None = _param(
        "DRY: strings that end a repeat, so no match runs across them (llama.cpp's name; "
        "whitespace is kept). Unset: newline, colon, double quote and asterisk.",
        Group.PENALTIES, hint=["\n", ":", "\"", "*"], beyond_seed=True)

    # Mirostat
    mirostat_mode: Literal[0, 1, 2] | None = _param(
        "Mirostat adaptive sampling: 1 or 2 selects the algorithm version, 0 disables it. "
        "When on, it replaces the truncation samplers.", Group.MIROSTAT, neutral=0,
        labels=("off", "Mirostat 1", "Mirostat 2"))
    mirostat_tau: float | None = _param(
        "Mirostat target surprise (entropy) in bits per token; lower is more focused.",
        Group.MIROSTAT, ge=0, le=20, step=0.1, soft_max=10, hint=5.0)
    mirostat_eta: float | None = _param(
        "Mirostat learning rate: how fast it corrects towards tau.",
        Group.MIROSTAT, ge=0, le=1, step=0.01, hint=0.1)

    # Cutoffs
    top_n_sigma: float | None = _param(
        "Top-n-sigma (llama.cpp's name, from the paper \"Top-n-sigma: Not All Logits Are You "
        "Need\"): keeps the candidates whose logit is within n standard deviations of the "
        "highest. 0 disables it.", Group.CUTOFFS, ge=0, le=10, neutral=0.0, step=0.05, soft_max=5,
        beyond_seed=True)
    min_p: float | None = _param(
        "Drops candidates whose probability is below min_p times the top candidate's. "
        "0 disables it.", Group.CUTOFFS, ge=0, le=1, neutral=0.0, step=0.01)
    top_a: float | None = _param(
        "Drops candidates whose probability is below top_a times the square of the top "
        "candidate's. 0 disables it.", Group.CUTOFFS, ge=0, le=1, neutral=0.0, step=0.01,
        note="The spec gives no bounds; this catalog uses 0 to 1.")
    tfs: float | None = _param(
        "Tail free sampling: cuts the tail where the second derivative of the sorted "
        "probabilities flattens out. 1 disables it.", Group.CUTOFFS, ge=0, le=1, neutral=1.0,
        step=0.01)
    typical_p: float | None = _param(
        "Locally typical sampling: keeps candidates whose surprise is closest to the expected "
        "entropy, up to this cumulative probability. 1 disables it.", Group.CUTOFFS, ge=0, le=1,
        neutral=1.0, step=0.01)
    epsilon_cutoff: float | None = _param(
        "Drops candidates whose probability is below this absolute floor (a probability, e.g. "
        "0.0003). 0 disables it.", Group.CUTOFFS, ge=0, le=1, neutral=0.0, step=0.0001,
        soft_max=0.01,
        note="The spec gives no bounds or unit; this catalog uses probabilities (0 to 1), as "
             "Hugging Face does. text-generation-webui writes it in units of 1e-4.")
    eta_cutoff: float | None = _param(
        "Entropy-adaptive floor: drops candidates below min(eta, sqrt(eta) * exp(-entropy)). "
        "0 disables it.", Group.CUTOFFS, ge=0, le=1, neutral=0.0, step=0.0001, soft_max=0.01,
        note="The spec gives no bounds or unit; this catalog uses probabilities (0 to 1), as "
             "Hugging Face does. text-generation-webui writes it in units of 1e-4.")
    xtc_probability: float | None = _param(
        "XTC, \"Exclude Top Choices\" (llama.cpp's and text-generation-webui's name): the "
        "chance at each step that the candidates above xtc_threshold are removed, all but the "
        "least probable of them. 0 disables it.", Group.CUTOFFS, ge=0, le=1, neutral=0.0,
        step=0.01, beyond_seed=True)
    xtc_threshold: float | None = _param(
        "XTC: the probability from which a candidate counts as a top choice (llama.cpp's name). "
        "Used only with xtc_probability.", Group.CUTOFFS, ge=0, le=0.5, hint=0.1, step=0.01,
        note="Above 0.5 no two candidates can both reach it, so XTC would never remove "
             "anything; llama.cpp treats such values as off.", beyond_seed=True)

    # Stops & tokens
    stop: str | list[str] | None = _param(
        "Stop sequences: generation ends before (or, with include_stop_str_in_output, after) "
        "the first one that appears.", Group.STOPS)
    stop_token_ids: list[int] | None = _param(
        "Token ids that end generation when sampled.", Group.STOPS)
    include_stop_str_in_output: bool | None = _param(
        "Keep the matched stop sequence at the end of the text.", Group.STOPS, neutral=False,
        hint=False)
    custom_token_bans: list[int] | None = _param(
        "Token ids that may never be generated.", Group.STOPS)
    banned_strings: str | list[str] | None = _param(
        "Phrases that may never appear in the output, even across token boundaries "
        "(koboldcpp's name). When the "
        "output completes one, generation goes back to where it began and bans that token "
        "there; nothing taken back is ever sent. Matched exactly: case and whitespace count.",
        Group.STOPS, beyond_seed=True)
    logit_bias: dict[str, float] | None = _param(
        "Token id to a value added to its logit, from -100 (ban) to 100 (force), as in OpenAI's "
        "API.", Group.STOPS)

    # Logprobs
    logprobs: bool | int | None = _param(
        "Return each generated token's log probability; a number N also returns the N most "
        "likely alternatives at each step (0 to 20).", Group.LOGPROBS, ge=0, le=20)
    prompt_logprobs: bool | None = _param(
        "Also return log probabilities for the prompt's tokens.", Group.LOGPROBS, neutral=False)

    # Sampler order
    sampler_order: list[str] | None = _param(
        "The order the sampler stages run in, first to last (text-generation-webui's stage "
        "names, as in its sampler_priority; koboldcpp calls the field sampler_order). Stages "
        "left out run after the listed ones, in the default order; a stage whose setting is "
        "off does nothing wherever it stands. Unset: the server's own order.", Group.ORDER,
        hint=list(SAMPLER_STAGES), beyond_seed=True)

    @field_validator("stop")
    @classmethod
    def _stops_are_not_empty(cls, value: str | list[str] | None) -> str | list[str] | None:
        stops = [value] if isinstance(value, str) else value or []
        if any(s == "" for s in stops):
            raise ValueError("a stop sequence may not be empty")
        if len(stops) > 16:
            raise ValueError("at most 16 stop sequences")
        return value

    @field_validator("dry_sequence_breakers")
    @classmethod
    def _breakers_are_not_empty(cls, value: str | list[str] | None) -> str | list[str] | None:
        breakers = [value] if isinstance(value, str) else value
        if breakers is not None and (not breakers or any(b == "" for b in breakers)):
            raise ValueError("a sequence breaker may not be empty, nor the list of them")
        return value

    @field_validator("banned_strings")
    @classmethod
    def _phrases_are_not_empty(cls, value: str | list[str] | None) -> str | list[str] | None:
        phrases = [value] if isinstance(value, str) else value or []
        if any(p == "" for p in phrases):
            raise ValueError("a banned phrase may not be empty")
        if len(phrases) > 256:
            raise ValueError("at most 256 banned phrases")
        return value

    @field_validator("sampler_order")
    @classmethod
    def _order_names_stages(cls, value: list[str] | None) -> list[str] | None:
        for stage in value or []:
            if stage not in SAMPLER_STAGES:
                raise ValueError(f"{stage!r} is not a sampler stage")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a stage is listed twice")
        if value == []:
            raise ValueError("the list of stages may not be empty")
        return value

    @field_validator("stop_token_ids", "custom_token_bans")
    @classmethod
    def _ids_are_not_negative(cls, value: list[int] | None) -> list[int] | None:
        if value and min(value) < 0:
            raise ValueError("token ids are 0 or more")
        return value

    @field_validator("logit_bias")
    @classmethod
    def _bias_keys_are_ids(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for key, bias in (value or {}).items():
            if not key.isdigit():
                raise ValueError(f"key {key!r} is not a token id (a whole number 0 or more)")
            if not (-100 <= bias <= 100) or math.isnan(bias):
                raise ValueError(f"bias {bias} for token {key} is outside -100 to 100")
        return value


@dataclass(frozen=True)
class ParamSpec:
    """Everything the rest of the app needs to know about one parameter, read off the model."""

    name: str
    kind: Kind
    group: Group
    description: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    neutral: Any = None
    hint: Any = None
    step: float | None = None
    soft_max: float | None = None
    choices: tuple[Any, ...] = ()
    note: str | None = None
    labels: tuple[str, ...] = ()
    #: Not in NanoGPT's API (the seed): defined by other servers, sent only to those.
    beyond_seed: bool = False

    def label(self, value: Any) -> str:
        """A choice's name for people ("Mirostat 2"), or the value itself when it has none."""
        if value in self.choices and len(self.labels) == len(self.choices):
            return self.labels[self.choices.index(value)]
        return str(value)

    def allowed(self) -> str:
        """The allowed values, in words, for error messages, tooltips and docs."""
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is Kind.BOOLEAN:
            return "true or false"
        if self.kind is Kind.STRINGS:
            return "a string or a list of strings"
        if self.kind is Kind.TOKEN_IDS:
            return "a list of token ids (whole numbers 0 or more)"
        if self.kind is Kind.ORDER:
            return "a list of sampler stages, each once: " + ", ".join(SAMPLER_STAGES)
        if self.kind is Kind.TOKEN_BIAS:
            return 'an object of token id to bias from -100 to 100, e.g. {"50256": -100}'
        noun = "a whole number" if self.kind in (Kind.INTEGER, Kind.FLAG_OR_COUNT) else "a number"
        prefix = "true, false or " if self.kind is Kind.FLAG_OR_COUNT else ""
        lo, hi = _fmt(self.minimum), _fmt(self.maximum)
        if self.name == "seed":
            return "a whole number (64-bit)"
        if self.exclusive_minimum:
            return f"{prefix}{noun} above {lo} up to {hi}"
        if self.minimum is not None and self.maximum is not None:
            return f"{prefix}{noun} from {lo} to {hi}"
        if self.minimum is not None:
            return f"{prefix}{noun} of {lo} or more"
        return f"{prefix}{noun}"

    @property
    def bounded(self) -> bool:
        return self.kind in (Kind.NUMBER, Kind.INTEGER)


@dataclass(frozen=True)
class Limits:
    """One connection's own bounds for a parameter, where they are narrower than the catalog's:
    what it uses when the parameter is unset (`default`, shown as the hint) and the largest
    value it accepts (`maximum`). None: the catalog's."""

    default: Any = None
    maximum: float | None = None

    def tighter(self, other: Limits) -> Limits:
        """Both limits at once: the smaller maximum; this default, else the other's."""
        maxima = [m for m in (self.maximum, other.maximum) if m is not None]
        return Limits(default=self.default if self.default is not None else other.default,
                      maximum=min(maxima) if maxima else None)

    def narrow(self, spec: ParamSpec) -> ParamSpec:
        """`spec` as this connection sees it: its default as the hint, its maximum as the bound
        (and the slider's end, when lower)."""
        maximum = spec.maximum
        if self.maximum is not None:
            maximum = self.maximum if maximum is None else min(maximum, self.maximum)
        soft_max = spec.soft_max if spec.soft_max is None or maximum is None else min(
            spec.soft_max, maximum)
        hint = spec.hint if self.default is None else self.default
        return replace(spec, maximum=maximum, soft_max=soft_max, hint=hint)


def check_within(spec: ParamSpec, value: Any) -> None:
    """Raise `InvalidParameter` if `value`, which the catalog accepts, lies above a narrowed
    `spec`'s maximum (a connection's own limit), naming the field and the connection's range."""
    if (spec.maximum is not None and isinstance(value, int | float)
            and not isinstance(value, bool) and value > spec.maximum):
        raise InvalidParameter(spec.name, f"{spec.name}: {_show(value)} is above this "
                               f"connection's maximum {_fmt(spec.maximum)} "
                               f"(allowed: {spec.allowed()})")


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def _kind_of(annotation: Any) -> tuple[Kind, tuple[Any, ...]]:
    args = tuple(a for a in get_args(annotation) if a is not type(None))
    origin = get_origin(annotation)
    if origin not in (Union, types.UnionType) or not args:
        raise TypeError(f"catalog fields must be optional, got {annotation!r}")
    inner = args[0] if len(args) == 1 else args
    if get_origin(inner) is Literal:
        return Kind.CHOICE, get_args(inner)
    table: dict[Any, Kind] = {float: Kind.NUMBER, int: Kind.INTEGER, bool: Kind.BOOLEAN,
                              (str, list[str]): Kind.STRINGS, list[int]: Kind.TOKEN_IDS,
                              dict[str, float]: Kind.TOKEN_BIAS, (bool, int): Kind.FLAG_OR_COUNT,
                              list[str]: Kind.ORDER}
    if inner not in table:
        raise TypeError(f"no catalog kind for {annotation!r}")
    return table[inner], ()


def _build_catalog() -> tuple[ParamSpec, ...]:
    specs = []
    for name, field in SamplerParams.model_fields.items():
        kind, choices = _kind_of(field.annotation)
        extra = field.json_schema_extra
        assert isinstance(extra, dict)
        bounds: dict[str, Any] = {}
        for meta in field.metadata:
            for attr in ("ge", "gt", "le"):
                if getattr(meta, attr, None) is not None:
                    bounds[attr] = getattr(meta, attr)
        specs.append(ParamSpec(
            name=name, kind=kind, group=Group(str(extra["group"])),
            description=field.description or "",
            minimum=bounds.get("ge", bounds.get("gt")), maximum=bounds.get("le"),
            exclusive_minimum="gt" in bounds, neutral=extra.get("neutral"),
            hint=extra.get("hint"), step=_float_or_none(extra.get("step")),
            soft_max=_float_or_none(extra.get("soft_max")), choices=choices,
            note=_str_or_none(extra.get("note")),
            labels=_strings(extra.get("labels")), beyond_seed=extra.get("beyond_seed") is True))
    return tuple(specs)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


CATALOG: tuple[ParamSpec, ...] = _build_catalog()
BY_NAME: Mapping[str, ParamSpec] = {spec.name: spec for spec in CATALOG}


def in_group(group: Group) -> list[ParamSpec]:
    return [spec for spec in CATALOG if spec.group is group]


def validate_params(values: Mapping[str, Any]) -> SamplerParams:
    """Check values (API field names, JSON-like types); `None` values mean unset.

    Raises `InvalidParameter` naming the first bad field and its allowed values."""
    present = {name: value for name, value in values.items() if value is not None}
    unknown = sorted(set(present) - set(BY_NAME))
    if unknown:
        raise InvalidParameter(unknown[0], f"{unknown[0]}: not a sampler parameter "
                               f"(known: {', '.join(BY_NAME)})")
    coerced = {name: _coerce(BY_NAME[name], value) for name, value in present.items()}
    try:
        return SamplerParams.model_validate(coerced)
    except ValidationError as exc:
        raise _explain(exc, coerced) from None


def _coerce(spec: ParamSpec, value: Any) -> Any:
    """JSON has one number type: accept 1 for a float field and 2.0 for an integer field."""
    try:
        if spec.kind is Kind.NUMBER and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if (spec.kind in (Kind.INTEGER, Kind.CHOICE, Kind.FLAG_OR_COUNT)
                and isinstance(value, float) and value.is_integer()):
            return int(value)
        if spec.kind is Kind.TOKEN_BIAS and isinstance(value, dict):
            return {str(k): float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                    for k, v in value.items()}
    except OverflowError:
        raise InvalidParameter(spec.name, f"{spec.name}: the number is too large "
                               f"(allowed: {spec.allowed()})") from None
    return value


def _explain(exc: ValidationError, values: Mapping[str, Any]) -> InvalidParameter:
    error = exc.errors()[0]
    name = str(error["loc"][0])
    spec = BY_NAME[name]
    value = values.get(name)
    shown = _show(value)
    kind = error["type"]
    if isinstance(value, float) and not math.isfinite(value):
        reason = f"{shown} is not a finite number"
    elif kind in ("greater_than_equal", "greater_than"):
        reason = f"{shown} is below the minimum {_fmt(spec.minimum)}"
        if kind == "greater_than":
            reason = f"{shown} must be above {_fmt(spec.minimum)}"
    elif kind == "less_than_equal":
        reason = f"{shown} is above the maximum {_fmt(spec.maximum)}"
    elif kind == "value_error":
        reason = str(error["msg"]).removeprefix("Value error, ")
    else:
        reason = f"{shown} is not valid"
    return InvalidParameter(name, f"{name}: {reason} (allowed: {spec.allowed()})")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)


def body_fields(params: SamplerParams) -> dict[str, Any]:
    """The request-body fields for the set parameters, in catalog order; unset ones are absent."""
    return params.model_dump(exclude_none=True)
