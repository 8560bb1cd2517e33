from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.interop import (
    Format,
    export_preset,
    import_file,
    import_preset,
)
from playground.core.presets import Preset, PresetError, PresetStore
from playground.core.request import build_request
from playground.core.routing import Routing
from playground.engine.chain import SamplerSettings

DATA = Path(__file__).parent / "data"
ST_FILE = DATA / "sillytavern-storyteller.json"
TEXTGEN_FILE = DATA / "textgen-focused.yaml"


def test_sillytavern_preset_imports_with_a_full_report() -> None:
    preset, report = import_file(ST_FILE)
    assert report.format is Format.SILLYTAVERN and preset.name == "sillytavern-storyteller"
    assert preset.param_values() == {
        "temperature": 0.85, "top_p": 0.92, "top_k": 0, "min_tokens": 16, "ignore_eos": False,
        "frequency_penalty": 0.15, "presence_penalty": 0.0, "repetition_penalty": 1.08,
        "no_repeat_ngram_size": 0, "mirostat_mode": 0, "mirostat_tau": 5.0,
        "mirostat_eta": 0.1, "min_p": 0.04, "top_a": 0.0, "tfs": 1.0, "typical_p": 1.0,
        "epsilon_cutoff": 0.0003, "eta_cutoff": 0.0, "custom_token_bans": [29871, 13, 2],
        "logit_bias": {"50256": -100.0}, "dynatemp_exponent": 1, "smoothing_factor": 0,
        "smoothing_curve": 1, "dry_allowed_length": 2, "dry_multiplier": 0.8, "dry_base": 1.75,
        "dry_sequence_breakers": ["\n", ":", "\"", "*"], "dry_penalty_last_n": 0,
        "xtc_threshold": 0.1, "xtc_probability": 0, "top_n_sigma": 0, "dynatemp_range": 0.0,
        # text-generation-webui runs the stages its sampler_priority leaves out first, and
        # temperature_last moves the temperature stages to the end
        "sampler_order": [
            "frequency_penalty", "presence_penalty", "dry", "no_repeat_ngram", "top_n_sigma",
            "tfs", "typical_p", "top_a", "epsilon_cutoff", "eta_cutoff", "mirostat", "xtc",
            "repetition_penalty", "top_k", "top_p", "min_p",
            "temperature", "dynamic_temperature", "quadratic_sampling"]}
    assert ("nsigma", "top_n_sigma") in report.mapped
    assert {("sampler_priority", "sampler_order"), ("temperature_last", "sampler_order"),
            ("dynatemp", "dynatemp_range")} <= set(
        report.mapped)
    assert "the order was read from sampler_priority and temperature_last; sampler_order " \
           "kept for re-export" in report.notes
    assert "dry_sequence_breakers written as text -> a list of 4" in report.conversions
    assert ("temp", "temperature") in report.mapped
    assert ("rep_pen", "repetition_penalty") in report.mapped
    assert ("min_length", "min_tokens") in report.mapped
    assert ("seed", "seed") in report.mapped and preset.params.seed is None
    assert "epsilon_cutoff 3 is in units of 1e-4 -> epsilon_cutoff 0.0003" in report.conversions
    assert "top_k -1 (off) -> 0 (off)" in report.conversions
    assert "seed -1 (random) -> seed unset" in report.conversions
    for key in ("sampler_order", "rep_pen_range", "min_temp", "max_temp"):
        assert key in report.kept
    kept = preset.foreign["sillytavern"]
    assert kept["banned_tokens"] == "As an AI"
    assert kept["logit_bias"] == [{"id": "7d2e4f10-8a3b-4e6c-b1d2-3f4a5b6c7d8e",
                                   "text": "dragon", "value": 4}]
    assert report.refused == () and report.dropped == ()
    text = "\n".join(report.lines())
    assert "temp -> temperature" in text and "dry_multiplier" in text
    # It runs: the imported preset builds a valid request.
    build_request("Once", "local/stdlib", preset.param_values(), preset.routing())


def test_sillytavern_round_trip_is_faithful() -> None:
    original = json.loads(ST_FILE.read_text())
    preset, _ = import_file(ST_FILE)
    exported = export_preset(preset, Format.SILLYTAVERN)
    again, _ = import_preset(exported.text, filename=ST_FILE.name)
    assert again == preset
    written = json.loads(exported.text)
    assert set(original) <= set(written)
    for key, value in original.items():
        if key in ("banned_tokens", "logit_bias", "top_k"):
            continue
        assert written[key] == value, key  # numbers compare equal across int/float
    assert written["top_k"] == 0
    assert sorted(written["banned_tokens"].splitlines()) == ["As an AI", "[29871, 13, 2]"]
    assert {(e["text"], e["value"]) for e in written["logit_bias"]} == {
        ("[50256]", -100.0), ("dragon", 4)}


def test_textgen_preset_round_trip_and_units() -> None:
    preset, report = import_file(TEXTGEN_FILE)
    assert report.format is Format.TEXTGEN
    assert preset.params.eta_cutoff == pytest.approx(0.0006)
    assert preset.params.epsilon_cutoff == 0.0 and preset.params.top_k == 40
    assert "eta_cutoff 6 is in units of 1e-4 -> eta_cutoff 0.0006" in report.conversions
    assert {"repetition_penalty_range", "do_sample", "guidance_scale"} <= set(report.kept)
    assert preset.params.sampler_order is not None
    assert preset.params.dry_sequence_breakers == ["\n", ":", "\"", "*"]
    assert preset.params.dry_multiplier == 0.8
    exported = export_preset(preset, Format.TEXTGEN)
    written = yaml.safe_load(exported.text)
    original = yaml.safe_load(TEXTGEN_FILE.read_text())
    assert written == original
    again, _ = import_preset(exported.text, filename=TEXTGEN_FILE.name)
    assert again == preset


def test_export_to_the_other_format_and_what_is_left_out() -> None:
    preset, _ = import_file(ST_FILE)
    textgen = export_preset(preset, Format.TEXTGEN)
    written = yaml.safe_load(textgen.text)
    assert written["temperature"] == 0.85 and written["repetition_penalty"] == 1.08
    assert written["epsilon_cutoff"] == 3 and written["ban_eos_token"] is False
    assert written["custom_token_bans"] == "29871,13,2" and written["min_length"] == 16
    assert "rep_pen_range" not in written  # SillyTavern's leftovers stay with SillyTavern
    assert written["dry_multiplier"] == 0.8 and written["top_n_sigma"] == 0
    assert written["dry_sequence_breakers"] == '"\\n", ":", "\\"", "*"'
    assert textgen.left_out == ("dry_penalty_last_n", "logit_bias")  # its DRY uses
    # repetition_penalty_range, which bounds its repetition penalty too
    assert any("logit_bias" in line for line in textgen.lines())
    assert "epsilon_cutoff 0.0003 -> 3 (units of 1e-4)" in textgen.conversions

    mine = Preset.create("mine", {"stop": ["\n"], "max_tokens": 100, "logprobs": 3},
                         model="local/stdlib", routing=Routing(provider="x"))
    st_export = export_preset(mine, Format.SILLYTAVERN)
    assert json.loads(st_export.text) == {"custom_stopping_strings": '["\\n"]', "seed": -1}
    assert st_export.left_out == ("max_tokens", "logprobs", "model", "provider")
    tg_export = export_preset(mine, Format.TEXTGEN)
    assert yaml.safe_load(tg_export.text) == {"max_new_tokens": 100}
    assert tg_export.left_out == ("stop", "logprobs", "model", "provider")
    back, _ = import_preset(st_export.text, filename="mine.json")
    assert back.params.stop == ["\n"]


def test_native_export_round_trips_everything() -> None:
    preset, _ = import_file(ST_FILE)
    preset = replace(preset, model="m", description="imported")
    exported = export_preset(preset, Format.NATIVE)
    assert exported.left_out == ()
    again, report = import_preset(exported.text, filename="whatever.json")
    assert again == preset and report.format is Format.NATIVE
    PresetStore().save(again)
    assert PresetStore().get(preset.name) == preset


def test_out_of_range_values_are_refused_not_clamped_and_kept() -> None:
    text = json.dumps({"temp": 5, "rep_pen": 0, "top_k": -3, "freq_pen": "x", "min_p": 0.1})
    preset, report = import_preset(text, filename="hot.json")
    assert preset.param_values() == {"min_p": 0.1}
    assert any(r.startswith("temp: temperature: 5 is above the maximum 2") for r in report.refused)
    assert any(r.startswith("rep_pen: repetition_penalty: 0 must be above 0")
               for r in report.refused)
    assert any(r.startswith("top_k: top_k: -3 is below the minimum 0") for r in report.refused)
    assert len(report.refused) == 4
    written = json.loads(export_preset(preset, Format.SILLYTAVERN).text)
    assert (written["temp"], written["rep_pen"], written["top_k"], written["freq_pen"]) == (
        5, 0, -3, "x")


def test_partly_usable_lists_and_odd_values() -> None:
    text = json.dumps({"temp": 1, "banned_tokens": "[1, -2]\n[x]\n[3]", "logit_bias": [
        {"id": "a", "text": "[7]", "value": 500}, {"id": "b", "text": "[8, 9]", "value": 2},
        "junk"], "ban_eos_token": False, "ignore_eos_token": True, "seed": 42,
        "custom_stopping_strings": ""})
    preset, report = import_preset(text, filename="odd.json")
    assert preset.params.custom_token_bans == [3]
    assert preset.params.logit_bias == {"8": 2.0, "9": 2.0}
    assert preset.params.ignore_eos is True and preset.params.seed == 42
    assert preset.params.stop is None
    assert "custom_stopping_strings is empty -> stop unset" in report.conversions
    kept = preset.foreign["sillytavern"]
    assert kept["banned_tokens"] == "[1, -2]\n[x]"
    assert kept["logit_bias"] == [{"id": "a", "text": "[7]", "value": 500}, "junk"]
    assert any("logit_bias entry [7]" in r and "outside -100 to 100" in r
               for r in report.refused)


def test_textgen_specifics() -> None:
    text = "custom_token_bans: '5, 6'\nseed: 12\nban_eos_token: true\nmax_new_tokens: 200\n"
    preset, report = import_preset(text, filename="t.yml")
    assert preset.param_values() == {"max_tokens": 200, "seed": 12, "ignore_eos": True,
                                     "custom_token_bans": [5, 6]}
    assert report.kept == ()
    empty, report = import_preset("", filename="empty.yaml")
    assert empty.param_values() == {} and report.mapped == ()
    assert import_preset("do_sample: false", filename="g.yaml")[1].notes == (
        "do_sample is false (greedy decoding); set temperature 0 for the same effect here",)


@pytest.mark.parametrize(("text", "filename", "expected"), [
    ("temperature: 0.5\n", "p.yaml", Format.TEXTGEN),
    ('{"temperature": 0.5}', "p.yml", Format.TEXTGEN),
    ("temperature: 0.5\ntop_p: 1\n", None, Format.TEXTGEN),
    ('{"temp": 0.5, "top_p": 1}', "p.json", Format.SILLYTAVERN),
    ('{"temp": 0.5}', None, Format.SILLYTAVERN),
    ('{"version": 1, "name": "n", "params": {}}', "n.json", Format.NATIVE),
    ('{"temperature": 0.5, "model": "m"}', None, Format.NATIVE),
])
def test_the_format_is_detected(text: str, filename: str | None, expected: Format) -> None:
    assert import_preset(text, filename=filename, name="n")[1].format is expected


@pytest.mark.parametrize(("text", "filename", "message"), [
    ("[1, 2]", "x.json", "must be a JSON object"),
    ("- a\n- b\n", "x.yaml", "is a mapping of settings"),
    ("just words", None, "is a mapping of settings"),
    ("1: 2\n", "x.yaml", "setting names must be text"),
    ("a: &x [1]\nb: *x\n", "x.yaml", "aliases (*name) are not allowed"),
    ("a: [1, 2\n", "x.yaml", "not valid YAML"),
    ("{ half", "x.json", "not valid JSON"),
    ('{"temp": 1}', None, "the preset has no name"),
    ("x" * 1_000_001, "x.yaml", "larger than 1 MB"),
    ("when: 2024-13-45\n", "x.yaml", "not valid YAML"),
    ("temperature: !!python/object/apply:os.system ['true']\n", "x.yaml", "not valid YAML"),
])
def test_unusable_files_raise_a_clear_preset_error(text: str, filename: str | None,
                                                   message: str) -> None:
    with pytest.raises(PresetError) as caught:
        import_preset(text, filename=filename)
    assert message in caught.value.message


def test_values_that_cannot_be_kept_are_reported() -> None:
    preset, report = import_preset("when: 2024-01-02\ntemperature: 0.5\n", filename="d.yaml")
    assert preset.param_values() == {"temperature": 0.5}
    assert report.dropped == ("when: date is not plain data",)


KNOWN = ["temp", "temperature", "top_p", "top_k", "rep_pen", "repetition_penalty", "seed",
         "epsilon_cutoff", "eta_cutoff", "min_length", "ban_eos_token", "ignore_eos_token",
         "banned_tokens", "logit_bias", "custom_token_bans", "custom_stopping_strings",
         "stopping_strings", "mirostat_mode", "max_new_tokens", "do_sample", "version",
         "params", "name"]
plausible = (st.integers(-2, 50) | st.floats(-1, 3) | st.booleans()
             | st.sampled_from(["[1, 2]", "[1]\nword", "1,2,3", '["\\n"]', "-1", ""]))
values = plausible | st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | plausible,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "text", "value"]) | st.text(max_size=5), inner, max_size=4),
    max_leaves=10)
settings_like = st.dictionaries(st.sampled_from(KNOWN) | st.text(max_size=10), values,
                                max_size=8)


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to 12 digits: a unit conversion is exact up to 15 significant digits."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _import_or_preset_error(text: str, filename: str | None) -> None:
    try:
        preset, report = import_preset(text, filename=filename)
    except PresetError as exc:
        assert str(exc).strip()  # noqa: PT017 - hypothesis needs both outcomes in one test
        return
    assert report.lines()
    for fmt in Format:
        exported = export_preset(preset, fmt)
        again, _ = import_preset(exported.text, filename=f"{preset.name}.x", fmt=fmt)
        if fmt in (Format.NATIVE, report.format):
            assert _same(again.param_values(), preset.param_values())


@settings(max_examples=300, deadline=None)
@given(data=settings_like, filename=st.sampled_from(["p.json", "p.yaml", None]))
def test_importers_never_fail_with_anything_but_a_preset_error(data: dict[str, Any],
                                                               filename: str | None) -> None:
    text = json.dumps(data) if filename != "p.yaml" else yaml.safe_dump(data)
    _import_or_preset_error(text, filename or "p")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80) | st.text(alphabet="{}[]:,-&*!|>'\"\n #0123456789abc.",
                                             max_size=80),
       filename=st.sampled_from(["p.json", "p.yaml", None]))
def test_arbitrary_text_imports_or_raises_a_preset_error(text: str, filename: str | None) -> None:
    _import_or_preset_error(text, filename)


WHITESPACE_STOPS = ["\n\n", "\nUser:", " Q:", "\t"]


@pytest.mark.parametrize(("text", "filename"), [
    (json.dumps({"temp": 0.7, "custom_stopping_strings": json.dumps(WHITESPACE_STOPS)}),
     "st.json"),
    (json.dumps({"name": "mine", "params": {"stop": WHITESPACE_STOPS}}), "mine.json"),
])
def test_imported_stops_keep_their_whitespace(text: str, filename: str) -> None:
    preset, _ = import_preset(text, filename=filename)
    assert preset.param_values()["stop"] == WHITESPACE_STOPS
    again, _ = import_preset(export_preset(preset, Format.SILLYTAVERN).text, filename="x.json")
    assert again.param_values()["stop"] == WHITESPACE_STOPS


def test_an_empty_imported_stop_is_refused_by_name() -> None:
    text = json.dumps({"temp": 0.7, "custom_stopping_strings": json.dumps(["\n", ""])})
    preset, report = import_preset(text, filename="st.json")
    assert "stop" not in preset.param_values()
    assert report.refused == ("custom_stopping_strings: stop: a stop sequence may not be empty "
                              "(allowed: a string or a list of strings)",)


CREATIVE = DATA / "sillytavern-creative-dry-xtc.json"
#: Keys of SillyTavern's text-completion presets that name nothing this app has.
NO_EQUIVALENT = {"rep_pen_range", "rep_pen_decay", "rep_pen_slope", "penalty_alpha",
                 "num_beams", "length_penalty", "encoder_rep_pen", "skew", "do_sample",
                 "early_stopping", "add_bos_token", "skip_special_tokens", "guidance_scale",
                 "negative_prompt", "grammar_string", "json_schema",
                 "spaces_between_special_tokens", "speculative_ngram", "min_keep"}


def test_a_sillytavern_preset_with_dry_xtc_and_an_order_imports_whole() -> None:
    preset, report = import_file(CREATIVE)
    params = preset.params
    assert (params.dry_multiplier, params.xtc_probability, params.top_n_sigma) == (
        0.8, 0.5, 1.5)
    # dynatemp from 0.5 to 1.5 is temperature 1 with a spread of 0.5 (temp 1.5 is not used)
    assert (params.temperature, params.dynatemp_range) == (1.0, 0.5)
    assert params.banned_strings == ["shivers down", " barely above a whisper"]
    assert params.custom_token_bans == [2]
    # temperature_last false: temperature comes before min_p, as in the preset's program
    order = params.sampler_order
    assert order is not None
    assert order.index("dynamic_temperature") < order.index("min_p")
    assert order[:4] == ["repetition_penalty", "presence_penalty", "frequency_penalty", "dry"]
    unmapped = set(report.kept) - {"samplers", "sampler_order"}
    assert unmapped <= NO_EQUIVALENT, unmapped - NO_EQUIVALENT
    assert "sampler_priority: encoder_repetition_penalty has no stage here" in report.notes
    assert report.refused == () and report.dropped == ()
    chain = SamplerSettings.from_params(params)
    assert chain.sampler_order.index("dynamic_temperature") < chain.sampler_order.index("min_p")


def test_the_order_and_dynamic_temperature_round_trip_through_both_formats() -> None:
    preset, _ = import_file(CREATIVE)
    st_text = export_preset(preset, Format.SILLYTAVERN).text
    written = json.loads(st_text)
    original = json.loads(CREATIVE.read_text())
    for key in ("sampler_priority", "samplers", "sampler_order", "temperature_last",
                "dynatemp", "min_temp", "max_temp"):
        assert written[key] == original[key], key
    assert import_preset(st_text, filename=CREATIVE.name)[0] == preset
    textgen = yaml.safe_load(export_preset(preset, Format.TEXTGEN).text)
    assert (textgen["dynamic_temperature"], textgen["dynatemp_low"],
            textgen["dynatemp_high"]) == (True, 0.5, 1.5)
    assert textgen["temperature_last"] is False and "samplers" not in textgen
    again, _ = import_preset(yaml.safe_dump(textgen), filename="creative.yaml")
    assert again.params.sampler_order == preset.params.sampler_order
    assert again.params.dynatemp_range == 0.5 and again.params.temperature == 1.0
    # a changed order is written in all four forms, derived from it
    moved = replace(preset, params=preset.params.model_copy(
        update={"sampler_order": ["min_p", "temperature"]}))
    derived = json.loads(export_preset(moved, Format.SILLYTAVERN).text)
    assert derived["sampler_priority"][:2] == ["min_p", "temperature"]
    assert derived["temperature_last"] is False
    assert derived["samplers"][:2] == ["min_p", "temperature"]
    assert derived["sampler_order"][:2] == [2, 5]
    assert import_preset(json.dumps(derived), filename="x.json")[0].params.sampler_order[
        :2] == ["min_p", "temperature"]


def test_temperature_last_alone_orders_from_text_generation_webuis_default() -> None:
    preset, _ = import_preset("temperature: 0.7\ntemperature_last: true\n",
                              filename="t.yaml")
    order = preset.params.sampler_order
    assert order is not None and order[-3:] == ["temperature", "dynamic_temperature",
                                                "quadratic_sampling"]
    first, _ = import_preset("temperature_last: false\n", filename="f.yaml")
    assert first.params.sampler_order is not None
    assert first.params.sampler_order.index("temperature") < first.params.sampler_order.index(
        "min_p")
    bad, report = import_preset('{"temp": 1, "temperature_last": "yes"}', filename="b.json")
    assert bad.params.sampler_order is None
    assert any(line.startswith("temperature_last:") for line in report.refused)
