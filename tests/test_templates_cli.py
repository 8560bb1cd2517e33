"""``playground templates`` and ``run --template`` end to end: the local engine gets the turn
markers and stop strings exactly, and history keeps them."""

from __future__ import annotations

import json
from pathlib import Path

from playground.core.history import History
from tests.test_cli import cli

LLAMA_PROMPT = ("<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\n  Name a colour.<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n")


def test_run_builds_the_prompt_from_a_template_and_sends_its_stops() -> None:
    out = cli("run", "--template", "Llama 3", "--system", "Be brief.", "--user",
              "  Name a colour.", "--model", "local/stdlib", "--set", "max_tokens=8",
              "--set", 'stop=[" END"]', "--json")
    assert out.returncode == 0, out.stderr
    with History() as history:
        run = history.list()[0]
    assert run.prompt == LLAMA_PROMPT  # the user's leading spaces kept
    assert run.request["stop"] == [" END", "<|eot_id|>"]


def test_the_templates_default_system_text_is_used_unless_given() -> None:
    out = cli("run", "--template", "chatml", "--user", "Hi", "--dry-run")
    assert json.loads(out.stdout)["prompt"] == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    none = cli("run", "--template", "chatml", "--system", "", "--user", "Hi", "--dry-run")
    assert json.loads(none.stdout)["prompt"].startswith("<|im_start|>user\n")


def test_template_arguments_that_do_not_go_together_are_refused() -> None:
    alone = cli("run", "--user", "Hi", "--dry-run")
    assert alone.returncode == 2 and "add --template NAME" in alone.stderr
    both = cli("run", "--template", "chatml", "--prompt", "x", "--user", "Hi", "--dry-run")
    assert both.returncode == 2 and "leave out --prompt" in both.stderr
    unknown = cli("run", "--template", "nope", "--user", "Hi", "--dry-run")
    assert unknown.returncode == 2 and "no template named 'nope'" in unknown.stderr


def test_a_sillytavern_template_is_imported_with_its_report_and_then_used(
        tmp_path: Path) -> None:
    path = tmp_path / "Tulu-ish.json"
    path.write_text(json.dumps({
        "input_sequence": "<|user|>", "output_sequence": "<|assistant|>", "wrap": True,
        "system_sequence": "<|system|>", "stop_sequence": "<|user|>",
        "first_output_sequence": "<|assistant|>\n", "activation_regex": "tulu"}),
        encoding="utf-8")
    out = cli("templates", "import", str(path))
    assert out.returncode == 0, out.stderr
    assert "Imported the SillyTavern instruct template 'Tulu-ish': " in out.stdout
    assert "Left out: first_output_sequence" in out.stdout
    again = cli("templates", "import", str(path))
    assert again.returncode == 2 and "already exists" in again.stderr
    shown = cli("templates", "show", "tulu-ish")
    assert '"<|user|>\\n" … "\\n"' in shown.stdout  # wrap: a newline after, and to close
    built = cli("run", "--template", "Tulu-ish", "--user", "Hi", "--dry-run")
    body = json.loads(built.stdout)
    assert body["prompt"] == "<|user|>\nHi\n<|assistant|>\n" and body["stop"] == ["<|user|>"]
    listed = cli("templates", "list", "--json")
    mine = [t for t in json.loads(listed.stdout) if not t["builtin"]]
    assert [t["name"] for t in mine] == ["Tulu-ish"]


def test_a_dry_run_prints_the_context_use_and_cost_and_a_run_too_long_is_refused(
        fault_server) -> None:
    from playground.core.client import ModelInfo
    from playground.core.paths import cache_dir
    from playground.core.storage import atomic_write_json

    atomic_write_json(cache_dir() / "models" / "custom.json", [ModelInfo(
        "small/model", context_length=100, prompt_price=2.0, completion_price=4.0).to_json()])
    args = ["run", "--model", "small/model", "--base-url", fault_server.url("ok")]
    dry = cli(*args, "--prompt", "Hi there", "--set", "max_tokens=50", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "playground: context: ≈3 prompt + 50 max_tokens = 53 of 100 tokens (53%)" in \
        dry.stderr
    assert "playground: cost: at most $0.0002 for this run" in dry.stderr  # 3x2 + 50x4 /1M
    seen = len(fault_server.requests)
    long = cli(*args, "--prompt", " wo" * 150, "--set", "max_tokens=50")
    assert long.returncode == 2
    assert "context: ≈150 prompt + 50 max_tokens = 200 of 100 tokens (200%)" in long.stderr
    assert "set max_tokens to 25 or less" in long.stderr  # 100 - 150 / 2 at the fewest
    assert len(fault_server.requests) == seen


def test_tokenize_gives_the_local_engines_ids_and_an_estimate_elsewhere() -> None:
    out = cli("tokenize", "--prompt", "Hi 🤗 there", "--model", "local/stdlib", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["exact"] and data["count"] == len(data["tokens"])
    assert all(isinstance(t["id"], int) for t in data["tokens"])
    assert any(isinstance(t["piece"], list) for t in data["tokens"])  # part of the emoji
    table = cli("tokenize", "--prompt", "Hi there", "--model", "local/stdlib")
    assert table.stdout.splitlines()[0].endswith("tokens") and '" there"' in table.stdout
    guess = cli("tokenize", "--prompt", "Hi there", "--connection", "nanogpt", "--json")
    assert guess.returncode == 0 and "no tokenizer to ask" in guess.stderr
    estimate = json.loads(guess.stdout)
    assert not estimate["exact"] and {t["id"] for t in estimate["tokens"]} == {None}


def test_template_model_renders_the_models_own_chat_template(fault_server) -> None:
    from playground.core.client import ModelInfo
    from playground.core.paths import cache_dir
    from playground.core.storage import atomic_write_json
    from tests.fault_server import CHAT_TEMPLATE

    atomic_write_json(cache_dir() / "models" / "custom.json", [ModelInfo(
        "own/model", chat_template=CHAT_TEMPLATE).to_json()])
    args = ["run", "--base-url", fault_server.url("ok"), "--template", "model", "--dry-run"]
    out = cli(*args, "--model", "own/model", "--system", "Be brief.", "--user", " Hi")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["prompt"] == ("<|start|>system\nBe brief.<|end|>\n<|start|>user\n Hi<|end|>\n"
                              "<|start|>assistant\n")
    assert body["stop"] == ["<|end|>"]
    none = cli(*args, "--model", "other/model", "--user", "Hi")
    assert none.returncode == 2 and "other/model has no chat template" in none.stderr


def test_tokenize_on_koboldcpp_is_exact_unless_its_token_texts_do_not_add_up(
        fault_server) -> None:
    args = ["tokenize", "--prompt", "Hi there", "--dialect", "koboldcpp", "--json"]
    out = cli(*args, "--base-url", fault_server.url("koboldcpp"))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["exact"] and [t["piece"] for t in data["tokens"]] == ["Hi", " there"]
    sp = cli(*args, "--base-url", fault_server.url("koboldsp"))
    assert "counts 2 tokens exactly, but its tokens' own texts do not add up" in sp.stderr
    assert not json.loads(sp.stdout)["exact"]


def test_template_model_on_llama_cpp_renders_the_template_its_props_give(fault_server) -> None:
    out = cli("run", "--base-url", fault_server.url("llamacpp"), "--dialect", "llama.cpp",
              "--model", "qwen", "--template", "model", "--user", "Hi", "--dry-run")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    # its start-of-text token is the server's to add; its end-of-text one ends a turn too
    assert body["prompt"] == "<|start|>user\nHi<|end|>\n<|start|>assistant\n"
    assert body["stop"] == ["<|end|>", "</s>"]
