from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.core.catalog import CATALOG, body_fields
from playground.core.named_files import file_stem
from playground.core.paths import config_dir
from playground.core.presets import (
    MIGRATIONS,
    VERSION,
    NewerPresetVersion,
    Preset,
    PresetError,
    PresetStore,
    builtin_dir,
    diff,
    load_preset_file,
    parse_preset,
)
from playground.core.request import build_request
from playground.core.routing import Routing, parse_routing_object
from tests.strategies import param_sets

BUILTINS = ["Neutral", "Deterministic", "Balanced", "Creative", "Min-p", "Mirostat 2",
            "Typical", "DRY + min-p", "XTC creative"]


def presets_dir() -> Path:
    return config_dir() / "presets"


def write(name: str, data: Any) -> Path:
    path = presets_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_builtins_load_in_order_with_one_line_descriptions() -> None:
    listing = PresetStore().list()
    assert listing.problems == ()
    assert listing.names() == BUILTINS
    for preset in listing.items:
        assert preset.builtin
        assert preset.description and "\n" not in preset.description
        build_request("x", "local/stdlib", preset.param_values(), preset.routing())
    by_name = {p.name: p for p in listing.items}
    assert by_name["Neutral"].param_values() == {}
    deterministic = by_name["Deterministic"].param_values()
    assert deterministic["temperature"] == 0 and isinstance(deterministic["seed"], int)
    assert "seed" in by_name["Deterministic"].description
    assert by_name["Mirostat 2"].params.mirostat_mode == 2
    assert by_name["Min-p"].params.min_p and by_name["Typical"].params.typical_p
    assert by_name["DRY + min-p"].params.dry_multiplier
    assert by_name["XTC creative"].params.xtc_probability
    assert builtin_dir() == Path(__file__).parents[2] / "resources" / "presets"


def test_native_save_and_load_round_trip() -> None:
    routing = Routing(provider=parse_routing_object({"order": ["a", "b"], "sort": "price"}),
                      header_provider=None, billing_mode="pay-as-you-go")
    preset = Preset.create("Story time", {"temperature": 0.9, "stop": ["\n\n"],
                                          "logit_bias": {"50256": -100}},
                           description="for stories", model="zai-org/glm-5:thinking",
                           routing=routing)
    path = PresetStore().save(preset)
    assert path.parent == presets_dir()
    data = json.loads(path.read_text())
    assert data["version"] == VERSION
    assert data["params"] == {"temperature": 0.9, "stop": ["\n\n"],
                              "logit_bias": {"50256": -100.0}}  # only what was set
    assert data["provider"] == {"order": ["a", "b"], "sort": "price"}
    loaded = PresetStore().get("STORY TIME")
    assert loaded == preset and not loaded.builtin
    assert loaded.routing().body() == {"provider": {"order": ["a", "b"], "sort": "price"},
                                       "billing_mode": "paygo"}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=param_sets())
def test_any_valid_parameters_survive_save_and_load(params: dict[str, Any]) -> None:
    preset = Preset.create("Any", params)
    PresetStore().save(preset, replace_existing=True)
    assert PresetStore().get("any").param_values() == body_fields(preset.params)


def test_names_are_unique_ignoring_case_and_builtins_are_read_only() -> None:
    store = PresetStore()
    store.save(Preset.create("Mine", {"top_p": 0.5}))
    with pytest.raises(PresetError, match="already exists"):
        store.save(Preset.create("MINE", {}))
    store.save(Preset.create("MINE", {"top_p": 0.6}), replace_existing=True)
    assert [p.name for p in store.list().items if not p.builtin] == ["MINE"]
    assert len(list(presets_dir().glob("*.json"))) == 1
    with pytest.raises(PresetError, match="built-in"):
        store.save(Preset.create("balanced", {}))
    with pytest.raises(PresetError, match="built-in"):
        store.delete("Neutral")
    with pytest.raises(PresetError, match="no preset named 'nope'"):
        store.get("nope")


def test_duplicate_rename_delete_and_default_per_model() -> None:
    store = PresetStore()
    copy = store.duplicate("Balanced", "My balanced")
    assert not copy.builtin and copy.params == store.get("Balanced").params
    store.set_default("zai-org/glm-5:thinking:fast", "my BALANCED")
    assert store.default_for("zai-org/glm-5") == "My balanced"  # suffixes ignored, name canonical
    renamed = store.rename("My balanced", "Everyday")
    assert renamed.name == "Everyday" and store.default_for("zai-org/glm-5") == "Everyday"
    assert [p.name for p in store.list().items if not p.builtin] == ["Everyday"]
    store.rename("Everyday", "EVERYDAY")  # a change of case only is fine
    store.duplicate("Everyday", "Other")
    with pytest.raises(PresetError, match="already exists"):
        store.rename("Other", "everyday")
    store.delete("everyday")
    assert store.default_for("zai-org/glm-5") is None
    assert [p.name for p in store.list().items if not p.builtin] == ["Other"]
    store.set_default("m", "Other")
    store.set_default("m", None)
    assert store.default_for("m") is None


def test_corrupt_defaults_file_is_set_aside_and_reported() -> None:
    store = PresetStore()
    store.defaults_path.write_text("{ not json")
    assert store.default_for("x") is None
    assert any("preset_defaults.json could not be read" in p for p in store.list().problems)
    assert list(store.defaults_path.parent.glob("preset_defaults.json.corrupt-*"))


def test_diff_names_what_a_request_would_change() -> None:
    a = Preset.create("a", {"temperature": 0.7, "top_p": 0.9}, model="m")
    b = Preset.create("b", {"temperature": 0.8, "min_p": 0.1}, model="m",
                      routing=Routing(provider="deepinfra"))
    assert diff(a, b) == {"temperature": (0.7, 0.8), "top_p": (0.9, None),
                          "min_p": (None, 0.1), "provider": (None, "deepinfra")}
    assert diff(a, Preset.create("renamed", a.param_values(), model="m",
                                 description="other")) == {}


def test_v0_request_body_migrates_to_v1() -> None:
    assert [name for name, _step in MIGRATIONS][:1] == [
        "move a request body's sampler fields under params"] and len(MIGRATIONS) == VERSION
    path = write("old.json", {"model": "local/stdlib", "prompt": "dropped", "stream": True,
                              "temperature": 0.5, "stop": "END", "name": "Old one"})
    preset = load_preset_file(path)
    assert preset.name == "Old one" and preset.model == "local/stdlib"
    assert preset.param_values() == {"temperature": 0.5, "stop": "END"}
    assert preset.to_json()["version"] == 1
    # No name in the file: the file's stem names it; without a file, it is an error.
    assert load_preset_file(write("stem name.json", {"top_k": 5})).name == "stem name"
    with pytest.raises(PresetError, match="name: the preset has no name"):
        parse_preset({"version": 1, "params": {}})


def test_newer_version_is_reported_but_left_in_place() -> None:
    path = write("future.json", {"version": VERSION + 1, "name": "Future", "params": {}})
    listing = PresetStore().list()
    assert "Future" not in listing.names()
    assert any("future.json" in p and "newer version" in p for p in listing.problems)
    assert path.exists()
    with pytest.raises(NewerPresetVersion):
        load_preset_file(path)


HOSTILE = [
    ("params.json", {"version": 1, "name": "x", "params": [1, 2]}, "params: must be an object"),
    ("type.json", {"version": 1, "name": "x", "params": {"temperature": "hot"}},
     "temperature: 'hot' is not valid"),
    ("range.json", {"version": 1, "name": "x", "params": {"temperature": 5}},
     "temperature: 5 is above the maximum 2"),
    ("unknown-key.json", {"version": 1, "name": "x", "params": {}, "script": "rm -rf /"},
     "unknown key 'script'"),
    ("unknown-param.json", {"version": 1, "name": "x", "params": {"banana_penalty": 1}},
     "banana_penalty: not a sampler parameter"),
    ("path.json", {"version": 1, "name": "../../etc/passwd", "params": {}}, "looks like a path"),
    ("control.json", {"version": 1, "name": "bell\x07", "params": {}}, "control characters"),
    ("version.json", {"version": "1", "name": "x"}, "not a format version"),
    ("list.json", [1, 2, 3], "must be a JSON object"),
    ("syntax.json", "{ half", "not valid JSON"),
    ("nan.json", '{"version": 1, "name": "x", "params": {"top_p": NaN}}', "NaN is not valid"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("huge.json", json.dumps({"version": 1, "name": "x", "description": "a" * 1_100_000}),
     "larger than 1 MB"),
    ("bigint.json", '{"version": 1, "name": "x", "params": {"temperature": 1' + "0" * 400 + "}}",
     "too large"),
    ("routing.json", {"version": 1, "name": "x", "params": {}, "provider": {"sort": "random"}},
     "provider.sort"),
    ("conflict.json", {"version": 1, "name": "x", "model": "m:fast", "provider": "p"},
     "cannot be combined"),
    ("foreign.json", {"version": 1, "name": "x", "foreign": {"kobold": {}}}, "foreign:"),
]


@pytest.mark.parametrize(("filename", "content", "message"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_set_aside_with_a_clear_reason(filename: str, content: Any,
                                                         message: str) -> None:
    path = write(filename, content)
    with pytest.raises(PresetError, match=message.replace("(", r"\(")):
        load_preset_file(path)
    listing = PresetStore().list()
    assert listing.names() == BUILTINS
    [problem] = listing.problems
    assert problem.startswith(f"{filename} was set aside as {filename}.corrupt-")
    assert message in problem
    assert not path.exists() and list(presets_dir().glob(f"{filename}.corrupt-*"))


def test_undecodable_file_is_set_aside() -> None:
    path = presets_dir() / "latin1.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"name": "caf\xe9"}')
    assert "not UTF-8" in PresetStore().list().problems[0]


def test_duplicate_names_in_the_folder_keep_the_first() -> None:
    write("a.json", {"version": 1, "name": "Same", "params": {"top_k": 1}})
    write("b.json", {"version": 1, "name": "same", "params": {"top_k": 2}})
    listing = PresetStore().list()
    assert PresetStore().get("same").params.top_k == 1
    assert any(p.startswith("b.json: ignored") for p in listing.problems)
    assert (presets_dir() / "b.json").exists()


@pytest.mark.parametrize("name", ["Ünïcode ✨ preset", "a:b*c?", ".hidden", "CON", "x" * 80,
                                  "日本語" * 26])
def test_file_names_are_safe_and_found_again(name: str) -> None:
    path = PresetStore().save(Preset.create(name, {"top_k": 3}))
    stem = path.stem
    assert path.parent == presets_dir() and not stem.startswith(".")
    assert not set(stem) & set("/\\:*?\"<>|") and len(stem.encode()) <= 160
    assert PresetStore().get(name).name == name
    assert file_stem(name) == file_stem(name.upper())


def test_create_refuses_conflicting_routing() -> None:
    with pytest.raises(PresetError, match="routing suffix :fast"):
        Preset.create("x", {}, model="m:fast", routing=Routing(provider="p"))
    with pytest.raises(PresetError, match="billing_mode"):
        Preset.create("x", {}, routing=Routing(billing_mode="free"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12)
preset_like = st.fixed_dictionaries(
    {}, optional={"version": st.integers(-1, 3) | json_values, "name": st.text() | json_values,
                  "description": json_values, "model": st.text() | json_values,
                  "provider": json_values, "billing_mode": st.text() | json_values,
                  "params": st.dictionaries(st.sampled_from([s.name for s in CATALOG]),
                                            json_values) | json_values,
                  "foreign": json_values, **{s.name: json_values for s in CATALOG[:5]}})


@settings(max_examples=300)
@given(data=preset_like | json_values)
def test_native_loader_never_fails_with_anything_but_a_preset_error(data: Any) -> None:
    try:
        preset = parse_preset(data, fallback_name="fallback")
    except PresetError as exc:
        assert str(exc).strip()  # noqa: PT017 - hypothesis needs both outcomes in one test
        return
    assert parse_preset(preset.to_json()) == preset
