"""Import and export presets of SillyTavern (text completion, JSON) and text-generation-webui
(YAML), with a report of everything that was mapped, converted, refused or kept.

Mapping decisions, checked against both projects' code:

- Names: SillyTavern's ``temp``, ``rep_pen``, ``freq_pen``, ``presence_pen`` and both formats'
  ``min_length`` map to temperature, repetition_penalty, frequency_penalty, presence_penalty
  and min_tokens; the other samplers share our names.
- Units: both write ``epsilon_cutoff``/``eta_cutoff`` in units of 1e-4 (text-generation-webui
  multiplies by 1e-4 before sampling; SillyTavern passes its values through); the catalog uses
  probabilities, so import divides by 10000 and export multiplies back.
- ``top_k``: 0 means off everywhere; -1 (off in some backends) becomes 0. Both are imported as
  an explicit 0, not unset: unset would let a server default such as llama.cpp's 40 apply.
- ``seed``: -1 (or any negative) means random in both programs, which is our unset.
- ``ban_eos_token`` (and SillyTavern's ``ignore_eos_token``) -> ignore_eos.
- The newer samplers share their names (DRY's, XTC's, smoothing's, ``dynatemp_exponent``),
  except SillyTavern's ``nsigma`` (top_n_sigma). Both keep DRY's sequence breakers as text:
  JSON strings with (SillyTavern) or without (text-generation-webui) the brackets; each is
  written back in its own form.
- The sampler order (``sampler_priority``, ``temperature_last``, llama.cpp's ``samplers``,
  koboldcpp's ``sampler_order``) -> sampler_order, and dynamic temperature as a switch with the
  lowest and highest temperature -> temperature and dynatemp_range: see `preset_orders`.
- SillyTavern's banned strings (quoted lines of ``banned_tokens``) -> banned_strings.
- Token bans: SillyTavern's ``banned_tokens`` lines of ``[ids]`` and text-generation-webui's
  comma-separated ``custom_token_bans`` -> custom_token_bans. SillyTavern's
  ``logit_bias`` entries ``{"id": <entry id>, "text": "[ids]", "value": v}`` -> ``{id: v}``
  for each token id (its ``id`` names the entry, not a token). Unquoted lines and entries
  holding text need the model's tokenizer, so they are kept for re-export rather than mapped.
- Values outside the catalog's range are refused (reported, never clamped) and kept.
- Every key with no equivalent is reported by name and kept in the preset's ``foreign``
  section for that format, so exporting back writes it out unchanged.

A preset exported to either format holds only what was set (plus kept keys): unset parameters
are absent, so SillyTavern keeps its current value and text-generation-webui its default.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from playground.core.catalog import complete_order, validate_params
from playground.core.errors import InvalidParameter
from playground.core.named_files import MAX_FILE_BYTES
from playground.core.preset_orders import (
    DYNATEMP_KEYS,
    ORDER_KEYS,
    read_dynatemp,
    read_order,
    write_dynatemp,
    write_order,
)
from playground.core.presets import (
    Preset,
    PresetError,
    check_name,
    is_json_data,
    parse_json_text,
    parse_preset,
    read_preset_text,
)


class Format(StrEnum):
    NATIVE = "native"
    SILLYTAVERN = "sillytavern"
    TEXTGEN = "textgen"

    @property
    def label(self) -> str:
        return {"native": "playground", "sillytavern": "SillyTavern",
                "textgen": "text-generation-webui"}[self.value]


#: Their key -> our field, for keys whose values carry over as they are (or scaled, below).
_SHARED = {name: name for name in (
    "top_p", "top_k", "top_a", "tfs", "typical_p", "min_p", "no_repeat_ngram_size",
    "mirostat_mode", "mirostat_tau", "mirostat_eta", "epsilon_cutoff", "eta_cutoff", "seed",
    "dry_multiplier", "dry_base", "dry_allowed_length", "xtc_threshold", "xtc_probability",
    "smoothing_factor", "smoothing_curve", "dynatemp_exponent")}
_RENAMES = {
    Format.SILLYTAVERN: {**_SHARED, "temp": "temperature", "rep_pen": "repetition_penalty",
                         "freq_pen": "frequency_penalty", "presence_pen": "presence_penalty",
                         "min_length": "min_tokens", "ban_eos_token": "ignore_eos",
                         "ignore_eos_token": "ignore_eos", "nsigma": "top_n_sigma",
                         "dry_penalty_last_n": "dry_penalty_last_n"},
    Format.TEXTGEN: {**_SHARED, "temperature": "temperature",
                     "repetition_penalty": "repetition_penalty",
                     "frequency_penalty": "frequency_penalty",
                     "presence_penalty": "presence_penalty", "min_length": "min_tokens",
                     "ban_eos_token": "ignore_eos", "max_new_tokens": "max_tokens",
                     "top_n_sigma": "top_n_sigma"},
}
#: Fields both formats write in units of 1e-4.
_PER_10K = ("epsilon_cutoff", "eta_cutoff")
#: Keys only SillyTavern writes; one of them in a JSON file means a SillyTavern preset.
_SILLYTAVERN_KEYS = frozenset({"temp", "rep_pen", "freq_pen", "presence_pen", "rep_pen_range",
                               "rep_pen_slope", "encoder_rep_pen", "banned_tokens",
                               "ignore_eos_token", "sampler_order", "dynatemp",
                               "custom_stopping_strings"})


@dataclass(frozen=True)
class ImportReport:
    """What happened to every key of an imported file."""

    format: Format
    mapped: tuple[tuple[str, str], ...] = ()  # (their key, our field)
    conversions: tuple[str, ...] = ()  # unit and value conversions, in words
    refused: tuple[str, ...] = ()  # "key: why" for values the catalog does not allow (kept)
    kept: tuple[str, ...] = ()  # keys with no equivalent, kept for re-export
    dropped: tuple[str, ...] = ()  # "key: why" for values that could not even be kept
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        out = [f"Imported a {self.format.label} preset: {len(self.mapped)} setting"
               f"{'' if len(self.mapped) == 1 else 's'} mapped."]
        out += [f"  {theirs} -> {ours}" if theirs != ours else f"  {ours}"
                for theirs, ours in self.mapped]
        out += [f"Converted: {line}" for line in self.conversions]
        out += [f"Refused, kept for re-export: {line}" for line in self.refused]
        if self.kept:
            out.append("No equivalent here, kept for re-export: " + ", ".join(self.kept))
        out += [f"Left out: {line}" for line in self.dropped]
        out += [f"Note: {line}" for line in self.notes]
        return out


@dataclass(frozen=True)
class ExportResult:
    text: str
    format: Format
    left_out: tuple[str, ...] = ()  # our fields the format has no place for
    conversions: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        out = [f"Converted: {line}" for line in self.conversions]
        if self.left_out:
            out.append(f"Not written ({self.format.label} has no place for them): "
                       + ", ".join(self.left_out))
        return out


# -- reading ------------------------------------------------------------------------------------

class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases: a preset never needs them, and they allow "billion laughs"."""

    def fetch_alias(self) -> None:
        raise yaml.YAMLError("aliases (*name) are not allowed in a preset")


def _parse_yaml(text: str, source: str) -> Any:
    """The YAML document; an empty one is an empty mapping (all defaults)."""
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, RecursionError):
            reason = "nested too deeply"
        raise PresetError(f"{source}: not valid YAML ({reason})") from None
    return {} if data is None else data


def _read(text: str, filename: str | None, fmt: Format | None) -> tuple[Format, Any]:
    """The format (`fmt`, else detected from the extension and content: ``.yaml``/``.yml``
    or text that is YAML but not JSON is text-generation-webui; JSON with a key only
    SillyTavern writes, ``temp``, ``rep_pen``, …, is SillyTavern; other JSON is ours) and the
    parsed data."""
    source = filename or "preset"
    if len(text) > MAX_FILE_BYTES:
        raise PresetError(f"{source}: larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                          "not a preset")
    suffix = Path(filename).suffix.lower() if filename else ""
    if fmt is Format.TEXTGEN or (fmt is None and suffix in (".yaml", ".yml")):
        return Format.TEXTGEN, _parse_yaml(text, source)
    try:
        data = parse_json_text(text, source=source)
    except PresetError:
        if fmt is not None or suffix == ".json":
            raise
        return Format.TEXTGEN, _parse_yaml(text, source)
    if fmt is None:
        is_st = isinstance(data, dict) and not _SILLYTAVERN_KEYS.isdisjoint(data)
        fmt = Format.SILLYTAVERN if is_st else Format.NATIVE
    return fmt, data


def import_preset(text: str, *, filename: str | None = None, name: str | None = None,
                  fmt: Format | None = None) -> tuple[Preset, ImportReport]:
    """Import a preset in any supported format (detected unless `fmt` is given).

    The name is `name`, else the file's own (native files), else the file's stem. Raises
    `PresetError` naming the problem for anything that is not a usable preset."""
    source = filename or "preset"
    fmt, data = _read(text, filename, fmt)
    fallback = name or (Path(filename).stem if filename else None)
    if fmt is Format.NATIVE:
        if isinstance(data, dict) and name:
            data = {**data, "name": name}
        try:
            preset = parse_preset(data, fallback_name=fallback)
        except PresetError as exc:
            raise PresetError(f"{source}: {exc.message}") from None
        mapped = tuple((key, key) for key in preset.param_values())
        return preset, ImportReport(Format.NATIVE, mapped=mapped)
    if not isinstance(data, dict):
        raise PresetError(f"{source}: a {fmt.label} preset is a mapping of settings, "
                          f"not {type(data).__name__}")
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise PresetError(f"{source}: setting names must be text, not {bad_keys[0]!r}")
    try:
        preset_name = check_name(fallback)
    except PresetError as exc:
        raise PresetError(f"{source}: {exc.message}") from None
    importer = _Importer(fmt)
    for key, value in data.items():
        importer.take(key, value)
    return importer.result(preset_name)


def import_file(path: Path, *, name: str | None = None,
                fmt: Format | None = None) -> tuple[Preset, ImportReport]:
    return import_preset(read_preset_text(path), filename=path.name, name=name, fmt=fmt)


@dataclass
class _Importer:
    fmt: Format
    params: dict[str, Any] = field(default_factory=dict)
    foreign: dict[str, Any] = field(default_factory=dict)
    mapped: list[tuple[str, str]] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the order and dynamic temperature keys, read together once every key is in
    pending: dict[str, Any] = field(default_factory=dict)

    def take(self, key: str, value: Any) -> None:
        special = _SPECIAL[self.fmt].get(key)
        if key in ORDER_KEYS or key in DYNATEMP_KEYS[self.fmt.value]:
            self.pending[key] = value
        elif special is not None:
            special(self, key, value)
        elif key in _RENAMES[self.fmt]:
            self.set(key, _RENAMES[self.fmt][key], value)
        else:
            self.keep(key, value)
            if key == "do_sample" and value is False:
                self.notes.append("do_sample is false (greedy decoding); set temperature 0 "
                                  "for the same effect here")

    def set(self, key: str, name: str, value: Any) -> None:
        """Map one value to field `name`, converting units; refuse what the catalog refuses."""
        number = _finite(value)
        converted = value
        if _is_number(value) and number is None:
            self.refuse(key, value, f"{name}: {value!r:.40} is too large or not finite")
            return
        if name in _PER_10K and number is not None:
            converted = _shift(number, -4)
            if number:
                self.conversions.append(f"{key} {number:g} is in units of 1e-4 -> {name} "
                                        f"{converted:g}")
        elif name == "top_k" and value == -1:
            converted = 0
            self.conversions.append("top_k -1 (off) -> 0 (off)")
        elif name == "seed" and number is not None and number < 0:
            self.conversions.append(f"seed {number:g} (random) -> seed unset")
            self.mapped.append((key, name))
            return
        try:
            validate_params({name: converted})
        except InvalidParameter as exc:
            self.refuse(key, value, exc.message)
            return
        if name == "ignore_eos" and name in self.params:
            converted = self.params[name] or converted
        elif name in ("custom_token_bans", "logit_bias") and name in self.params:
            old = self.params[name]
            converted = ({**old, **converted} if isinstance(old, dict)
                         else list(dict.fromkeys([*old, *converted])))
        self.params[name] = converted
        self.mapped.append((key, name))

    def empty(self, key: str, name: str) -> None:
        self.conversions.append(f"{key} is empty -> {name} unset")

    def keep(self, key: str, value: Any) -> None:
        if is_json_data(value):
            self.foreign[key] = value
            self.kept.append(key)
        else:
            self.dropped.append(f"{key}: {type(value).__name__} is not plain data")

    def refuse(self, key: str, value: Any, why: str) -> None:
        self.refused.append(f"{key}: {why}")
        if is_json_data(value):
            self.foreign[key] = value
        else:
            self.dropped.append(f"{key}: {type(value).__name__} is not plain data")

    def _settle_pending(self) -> None:
        """Read the order and dynamic temperature from their keys; every one of them is kept
        for re-export as well (`preset_orders.write_order` writes them back unchanged while
        they still say the same)."""
        order = read_order(self.pending)
        if order.order is not None:
            self.params["sampler_order"] = list(order.order)
            self.mapped += [(key, "sampler_order") for key in order.used]
        self.notes += order.notes
        dynatemp = read_dynatemp(self.pending, self.fmt.value)
        if dynatemp.spread is not None:
            _, low, high = DYNATEMP_KEYS[self.fmt.value]
            self.params["dynatemp_range"] = dynatemp.spread
            self.mapped += [(key, "dynatemp_range") for key in dynatemp.used]
            if dynatemp.temperature is not None:
                self.params["temperature"] = dynatemp.temperature
                self.conversions.append(
                    f"{low} {self.pending[low]:g} and {high} {self.pending[high]:g} -> "
                    f"temperature {dynatemp.temperature:g} with dynatemp_range "
                    f"{dynatemp.spread:g} (the lowest and highest temperature become the "
                    "middle and the half-width)")
        self.refused += [*order.problems, *dynatemp.problems]
        used = {*order.used, *dynatemp.used}
        for key, value in self.pending.items():
            self.foreign[key] = value
            if key not in used and not any(p.startswith(f"{key}:")
                                           for p in self.refused):
                self.kept.append(key)
        unused_order = [key for key in ORDER_KEYS if key in self.pending and key not in used]
        if order.used and unused_order:
            self.notes.append(f"the order was read from {' and '.join(order.used)}; "
                              f"{', '.join(unused_order)} kept for re-export")

    def result(self, name: str) -> tuple[Preset, ImportReport]:
        self._settle_pending()
        preset = Preset(name=name, params=validate_params(self.params),
                        foreign={self.fmt.value: self.foreign} if self.foreign else {})
        report = ImportReport(self.fmt, tuple(self.mapped), tuple(self.conversions),
                              tuple(self.refused), tuple(self.kept), tuple(self.dropped),
                              tuple(self.notes))
        return preset, report


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shift(value: float, places: int) -> float:
    """value * 10**places, done on the decimal digits so 0.0003 <-> 3 round-trips exactly."""
    return float(Decimal(repr(value)).scaleb(places))


def _finite(value: Any) -> float | None:
    """The value as a finite float, or None (not a number, infinite, or too large)."""
    if not _is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _token_ids(text: str) -> list[int] | None:
    """``[1, 2]`` -> [1, 2]; None if the text is not a JSON list of token ids."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        ids = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(ids, list) or not all(type(i) is int and i >= 0 for i in ids):
        return None
    return ids


def _st_banned_tokens(imp: _Importer, key: str, value: Any) -> None:
    if not isinstance(value, str):
        imp.refuse(key, value, "expected lines of text")
        return
    ids: list[int] = []
    phrases: list[str] = []
    rest: list[str] = []
    for line in value.splitlines():
        found = _token_ids(line.strip())
        phrase = _quoted(line.strip())
        if found is not None:
            ids += found
        elif phrase:
            phrases.append(phrase)
        elif line.strip():
            rest.append(line)
    if ids:
        imp.set(key, "custom_token_bans", ids)
    if phrases:
        imp.set(key, "banned_strings", phrases)
    if not (ids or phrases or rest):
        imp.empty(key, "custom_token_bans")
    if rest:
        imp.foreign[key] = "\n".join(rest)
        imp.kept.append(key)
        imp.notes.append(f"{key}: text lines ({len(rest)}) need the model's tokenizer; "
                         "only [token id] lines were mapped")


def _quoted(text: str) -> str | None:
    """``"a phrase"`` (a JSON string: SillyTavern's banned string) -> the phrase."""
    if not (len(text) > 2 and text.startswith('"') and text.endswith('"')):
        return None
    try:
        phrase = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return phrase if isinstance(phrase, str) and phrase else None


def _st_logit_bias(imp: _Importer, key: str, value: Any) -> None:
    if not isinstance(value, list):
        imp.refuse(key, value, "expected a list of {id, text, value} entries")
        return
    if not value:
        imp.empty(key, "logit_bias")
    rest = []
    for entry in value:
        text = entry.get("text") if isinstance(entry, dict) else None
        ids = _token_ids(text.strip()) if isinstance(text, str) else None
        bias = _finite(entry.get("value")) if isinstance(entry, dict) else None
        if ids and bias is not None:
            mapping = {str(i): bias for i in ids}
            try:
                validate_params({"logit_bias": mapping})
            except InvalidParameter as exc:
                imp.refused.append(f"{key} entry {text}: {exc.message}")
            else:
                imp.set(key, "logit_bias", mapping)
                continue
        rest.append(entry)
    if rest:
        if is_json_data(rest):
            imp.foreign[key] = rest
            imp.kept.append(key)
            imp.notes.append(f"{key}: entries without [token ids] ({len(rest)}) need the "
                             "model's tokenizer; only [token id] entries were mapped")
        else:
            imp.dropped.append(f"{key}: entries that are not plain data")


def _st_stops(imp: _Importer, key: str, value: Any) -> None:
    stops = value
    if isinstance(value, str):  # SillyTavern stores this setting as a JSON array in a string
        try:
            stops = json.loads(value) if value.strip() else []
        except (ValueError, RecursionError):
            imp.refuse(key, value, "not a JSON list of strings")
            return
    if stops == []:
        imp.empty(key, "stop")
        return
    imp.set(key, "stop", stops)


def _breakers(imp: _Importer, key: str, value: Any) -> None:
    """DRY's sequence breakers: both programs keep them as text, JSON strings separated by
    commas, with or without the brackets (text-generation-webui adds them when missing)."""
    breakers = value
    if isinstance(value, str):
        text = value.strip()
        try:
            breakers = json.loads(text if text.startswith("[") else f"[{text}]")
        except (ValueError, RecursionError):
            imp.refuse(key, value, "not a list of JSON strings")
            return
        if breakers:
            imp.conversions.append(f"{key} written as text -> a list of {len(breakers)}")
    if breakers == []:
        imp.empty(key, "dry_sequence_breakers")
        return
    imp.set(key, "dry_sequence_breakers", breakers)


def _st_breakers_out(out: dict[str, Any], breakers: str | list[str]) -> None:
    """SillyTavern writes the list as JSON text."""
    out["dry_sequence_breakers"] = json.dumps([breakers] if isinstance(breakers, str)
                                              else breakers, ensure_ascii=False)


def _textgen_breakers_out(out: dict[str, Any], breakers: str | list[str]) -> None:
    """text-generation-webui writes the JSON strings without the brackets."""
    _st_breakers_out(out, breakers)
    out["dry_sequence_breakers"] = out["dry_sequence_breakers"][1:-1]


def _textgen_token_bans(imp: _Importer, key: str, value: Any) -> None:
    ids: Any = value
    if isinstance(value, str):  # text-generation-webui writes "1, 2, 3"
        pieces = [p.strip() for p in value.split(",") if p.strip()]
        if all(p.isascii() and p.isdigit() and len(p) < 20 for p in pieces):
            ids = [int(p) for p in pieces]
    if ids == []:
        imp.empty(key, "custom_token_bans")
        return
    imp.set(key, "custom_token_bans", ids)


_Handler = Callable[[_Importer, str, Any], None]
_SPECIAL: Mapping[Format, Mapping[str, _Handler]] = {
    Format.SILLYTAVERN: {"banned_tokens": _st_banned_tokens, "logit_bias": _st_logit_bias,
                         "custom_stopping_strings": _st_stops, "stopping_strings": _st_stops,
                         "dry_sequence_breakers": _breakers},
    Format.TEXTGEN: {"custom_token_bans": _textgen_token_bans,
                     "dry_sequence_breakers": _breakers},
}


# -- writing ------------------------------------------------------------------------------------

def export_preset(preset: Preset, fmt: Format) -> ExportResult:
    """The preset as a file the other program loads, with what could not be written."""
    if fmt is Format.NATIVE:
        text = json.dumps(preset.to_json(), indent=2, ensure_ascii=False) + "\n"
        return ExportResult(text, fmt)
    out: dict[str, Any] = dict(preset.foreign.get(fmt.value, {}))
    values = preset.param_values()
    reverse: dict[str, list[str]] = {}
    for theirs, ours in _RENAMES[fmt].items():
        reverse.setdefault(ours, []).append(theirs)
    conversions: list[str] = []
    left_out: list[str] = []
    kept = preset.foreign.get(fmt.value, {})
    for name, value in values.items():
        if name == "sampler_order":
            written = write_order(complete_order(value), kept)
            out.update({k: v for k, v in written.items() if k in _ORDER_KEYS_OF[fmt]})
        elif name == "dynatemp_range":
            out.update(write_dynatemp(values.get("temperature"), value, fmt.value, kept))
        elif name in _PER_10K:
            out[name] = _shift(value, 4)
            if value:
                conversions.append(f"{name} {value:g} -> {out[name]:g} (units of 1e-4)")
        elif name in reverse:
            out.update(dict.fromkeys(reverse[name], value))
        elif name in _EXPORTERS[fmt]:
            _EXPORTERS[fmt][name](out, value)
        else:
            left_out.append(name)
    if fmt is Format.SILLYTAVERN and "seed" not in values:
        out.setdefault("seed", -1)  # random, as unset means; SillyTavern keeps a seed otherwise
    left_out += [key for key in ("model", "provider", "header_provider", "billing_mode")
                 if getattr(preset, key)]
    if fmt is Format.SILLYTAVERN:
        text = json.dumps(out, indent=4, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(out, sort_keys=False, allow_unicode=True)
    return ExportResult(text, fmt, tuple(left_out), tuple(conversions))


#: The order keys each format's program reads.
_ORDER_KEYS_OF = {Format.SILLYTAVERN: ORDER_KEYS,
                  Format.TEXTGEN: ("sampler_priority", "temperature_last")}


def _st_phrases_out(out: dict[str, Any], phrases: str | list[str]) -> None:
    """SillyTavern keeps banned strings as quoted lines among its banned tokens."""
    lines = [json.dumps(p, ensure_ascii=False)
             for p in ([phrases] if isinstance(phrases, str) else phrases)]
    rest = out.get("banned_tokens")
    out["banned_tokens"] = "\n".join(
        [rest, *lines] if isinstance(rest, str) and rest.strip() else lines)


def _st_bans_out(out: dict[str, Any], ids: list[int]) -> None:
    rest = out.get("banned_tokens")
    lines = [json.dumps(ids)]
    if isinstance(rest, str) and rest.strip():
        lines.append(rest)
    out["banned_tokens"] = "\n".join(lines)


def _st_bias_out(out: dict[str, Any], bias: dict[str, float]) -> None:
    rest = out.get("logit_bias")
    entries = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"playground:logit_bias:{token}")),
                "text": f"[{token}]", "value": value} for token, value in bias.items()]
    out["logit_bias"] = entries + (rest if isinstance(rest, list) else [])


def _st_stops_out(out: dict[str, Any], stop: str | list[str]) -> None:
    out["custom_stopping_strings"] = json.dumps([stop] if isinstance(stop, str) else stop,
                                                ensure_ascii=False)


def _textgen_bans_out(out: dict[str, Any], ids: list[int]) -> None:
    out["custom_token_bans"] = ",".join(str(i) for i in ids)


_EXPORTERS: Mapping[Format, Mapping[str, Callable[[dict[str, Any], Any], None]]] = {
    Format.SILLYTAVERN: {"custom_token_bans": _st_bans_out, "logit_bias": _st_bias_out,
                         "stop": _st_stops_out, "dry_sequence_breakers": _st_breakers_out,
                         "banned_strings": _st_phrases_out},
    Format.TEXTGEN: {"custom_token_bans": _textgen_bans_out,
                     "dry_sequence_breakers": _textgen_breakers_out},
}

