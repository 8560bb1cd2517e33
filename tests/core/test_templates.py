"""Instruct templates: the built-ins, turns written exactly, the user's own files, a default per
model, and SillyTavern's instruct templates imported with a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.core.paths import config_dir
from playground.core.template_import import import_sillytavern, import_template_file
from playground.core.templates import (
    Template,
    TemplateError,
    TemplateStore,
    parse_template,
    with_stops,
)

REQUIRED = ["ChatML", "Llama 3", "Mistral", "Mistral (legacy)", "Gemma", "Phi-3", "DeepSeek",
            "Command-R", "Alpaca", "Vicuna"]


def test_every_built_in_loads_with_its_stop_strings() -> None:
    listing = TemplateStore().list()
    assert listing.problems == ()
    assert listing.names() == REQUIRED
    for template in listing.items:
        assert template.builtin and template.stop and template.user_prefix, template.name


def test_a_prompt_is_built_exactly_as_the_models_own_format() -> None:
    store = TemplateStore()
    llama = store.get("llama 3")
    assert llama.build("Hi there", system="Be brief.") == (
        "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert store.get("ChatML").build("  two spaces  ") == (
        "<|im_start|>user\n  two spaces  <|im_end|>\n<|im_start|>assistant\n")
    gemma = store.get("Gemma")  # no system role: the system text opens the user's turn
    assert gemma.build("Hi", system="Be brief.") == (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n")
    assert gemma.turn("system", "x") == gemma.turn("user", "x")
    assert store.get("Mistral (legacy)").build("Hi") == "[INST] Hi [/INST]"


def test_a_model_gets_the_template_chosen_for_it_else_the_first_that_suits_it() -> None:
    store = TemplateStore()
    assert store.suggested_for("meta-llama/llama-3.3-70b-instruct").name == "Llama 3"
    assert store.suggested_for("Qwen/Qwen2.5-72B-Instruct").name == "ChatML"
    assert store.suggested_for("local/smollm2-135m-instruct").name == "ChatML"
    assert store.suggested_for("google/gemma-3-27b-it").name == "Gemma"
    assert store.suggested_for("mistralai/mistral-small-24b-instruct-2501").name == "Mistral"
    assert store.suggested_for("mistralai/Mixtral-8x7B-Instruct-v0.1").name == \
        "Mistral (legacy)"
    assert store.suggested_for("local/stdlib") is None
    store.set_default("local/stdlib:online", "Alpaca")  # by the base id
    assert store.suggested_for("local/stdlib").name == "Alpaca"


def test_a_users_template_keeps_its_whitespace_and_a_broken_file_is_set_aside() -> None:
    store = TemplateStore()
    mine = parse_template({"name": "Mine", "user_prefix": "\n\nQ: ", "user_suffix": " \n",
                           "assistant_prefix": "A:", "stop": ["\nQ:", " END "],
                           "models": ["^my/"]})
    store.save(mine)
    again = TemplateStore().get("mine")
    assert again == mine and again.stop == ("\nQ:", " END ") and not again.builtin
    assert TemplateStore().suggested_for("my/model").name == "Mine"  # before the built-ins
    with pytest.raises(TemplateError, match="already exists"):
        store.save(mine)
    with pytest.raises(TemplateError, match="built-in template"):
        store.save(parse_template({"name": "chatml"}))
    (config_dir() / "templates" / "broken.json").write_text("{not json", encoding="utf-8")
    listing = TemplateStore().list()
    assert "Mine" in listing.names()
    assert any("broken.json was set aside" in p for p in listing.problems)
    assert not (config_dir() / "templates" / "broken.json").exists()


@pytest.mark.parametrize(("data", "says"), [  # says: a regular expression
    ({"name": "x", "stop": "END"}, "stop: must be a list of non-empty strings"),
    ({"name": "x", "models": ["(unclosed"]}, r"models: '\(unclosed' is not a regular exp"),
    ({"name": "x", "user_prefix": 3}, "user_prefix: must be a string"),
    ({"name": "x", "color": "red"}, "unknown key 'color'"),
    ({"name": "x", "version": 9}, "written by a newer version"),
    ({"name": "a/b"}, "looks like a path"),
])
def test_a_bad_template_is_refused_naming_the_field(data: dict, says: str) -> None:
    with pytest.raises(TemplateError, match=says):
        parse_template(data)


def test_using_a_template_adds_its_stops_after_the_requests_own() -> None:
    template = Template("t", stop=("<|eot_id|>", "\n\nUser:"))
    assert with_stops(None, template) == ["<|eot_id|>", "\n\nUser:"]
    assert with_stops(" END", template) == [" END", "<|eot_id|>", "\n\nUser:"]
    assert with_stops(["<|eot_id|>"], template) == ["<|eot_id|>", "\n\nUser:"]
    assert with_stops(None, Template("none")) is None


#: The keys of a SillyTavern instruct template for Llama 3 (written for this test).
ST_LLAMA = {
    "name": "My Llama", "input_sequence": "<|start_header_id|>user<|end_header_id|>\n\n",
    "output_sequence": "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "system_sequence": "<|start_header_id|>system<|end_header_id|>\n\n",
    "input_suffix": "<|eot_id|>", "output_suffix": "<|eot_id|>", "system_suffix": "<|eot_id|>",
    "stop_sequence": "<|eot_id|>", "wrap": False, "macro": True, "names_behavior": "force",
    "activation_regex": "/llama-?3/i", "first_output_sequence": "", "last_output_sequence": "",
    "system_same_as_user": False, "skip_examples": False, "user_alignment_message": ""}


def test_a_sillytavern_template_writes_the_same_turns_as_ours() -> None:
    done = import_sillytavern(ST_LLAMA, fallback_name="file")
    template = done.template
    ours = TemplateStore().get("Llama 3")
    assert template.name == "My Llama" and template.stop == ("<|eot_id|>",)
    assert template.build("Hi", system="S") == ours.build("Hi", system="S")
    assert template.models == ("llama-?3",) and template.suits("Meta-Llama-3-8B")
    assert ("input_sequence", "user_prefix") in done.mapped
    assert done.left_out == ()


def test_wrap_puts_newlines_where_sillytavern_does_and_unmapped_keys_are_reported() -> None:
    gemma = {"name": "G", "input_sequence": "<start_of_turn>user",
             "output_sequence": "<start_of_turn>model", "system_sequence": "<start_of_turn>system",
             "input_suffix": "<end_of_turn>\n", "output_suffix": "<end_of_turn>\n",
             "system_suffix": "", "stop_sequence": "<end_of_turn>", "wrap": True,
             "system_same_as_user": True, "last_output_sequence": "<start_of_turn>model\n{{char}}:",
             "tokenizer": "gemma"}
    done = import_sillytavern({"instruct": gemma, "sysprompt": {"content": "Be kind."}},
                              fallback_name="f")
    ours = TemplateStore().get("Gemma")
    t = done.template
    assert t.turn("user", "Hi") == ours.turn("user", "Hi") == \
        "<start_of_turn>user\nHi<end_of_turn>\n"
    assert t.assistant_prefix == ours.assistant_prefix and t.system_same_as_user
    assert t.system_suffix == "\n" and t.default_system == "Be kind."
    lines = "\n".join(done.lines())
    assert "Left out: last_output_sequence: a different opening for the last reply" in lines
    assert "Left out: tokenizer: not an instruct setting" in lines
    assert "Converted: wrap:" in lines


def test_a_file_that_is_not_an_instruct_template_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "preset.json"
    path.write_text(json.dumps({"temp": 0.7, "top_p": 0.9}), encoding="utf-8")
    with pytest.raises(TemplateError, match="preset.json: not a SillyTavern instruct template"):
        import_template_file(path)
