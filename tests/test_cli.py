"""The headless CLI, end to end, as a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from playground import __version__
from playground.core.catalog import BY_NAME
from tests.spec_schema import request_schema
from tests.strategies import param_sets


def served(server, scenario: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`playground run` against one scenario of the fault server."""
    return cli("run", "--prompt", "hi", "--model", "m", "--base-url", server.url(scenario), *args)


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "playground", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_version() -> None:
    out = cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"playground {__version__}"


def test_dry_run_prints_exactly_the_set_fields() -> None:
    out = cli("run", "--prompt", "Once", "--model", "zai-org/glm-5:online/exa-instant",
              "--set", "mirostat_mode=2", "--set", 'stop=["\\n\\n","END"]',
              "--set", 'logit_bias={"50256":-100}', "--set", "temperature=0.7",
              "--provider-json", '{"order":["a"],"sort":"price"}', "--billing-mode", "payg",
              "--dry-run")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body == {"model": "zai-org/glm-5:online/exa-instant", "prompt": "Once",
                    "temperature": 0.7, "mirostat_mode": 2, "stop": ["\n\n", "END"],
                    "logit_bias": {"50256": -100.0},
                    "provider": {"order": ["a"], "sort": "price"},
                    "billing_mode": "paygo", "stream": True}
    jsonschema.validate(body, request_schema())


@given(params=param_sets())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_dry_run_any_combination_is_valid_against_the_spec(params: dict) -> None:
    args = ["run", "--prompt", "p", "--no-stream", "--dry-run", "--connection", "nanogpt"]
    for name, value in params.items():
        args += ["--set", f"{name}={json.dumps(value)}"]
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    jsonschema.validate(body, request_schema())
    beyond = {name for name in params if BY_NAME[name].beyond_seed}
    assert set(body) == {"model", "prompt", *params} - beyond
    assert all(f"note: dropped {name}: NanoGPT's completions API" in out.stderr
               for name in beyond)


def test_prompt_from_stdin_and_curl_preview_with_redacted_key() -> None:
    out = cli("run", "--prompt", "-", "--connection", "nanogpt", "--dry-run", "curl",
              stdin="from stdin", env={"NANOGPT_API_KEY": "sk-nano-SECRET"})
    assert out.returncode == 0, out.stderr
    assert "from stdin" in out.stdout
    assert "https://nano-gpt.com/api/v1/completions" in out.stdout
    assert "Bearer $NANOGPT_API_KEY" in out.stdout
    assert "sk-nano-SECRET" not in out.stdout + out.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "temperature=3"],
     "temperature: 3 is above the maximum 2 (allowed: a number from 0 to 2)"),
    (["--set", "top_k=-1"], "top_k: -1 is below the minimum 0"),
    (["--set", "mirostat_mode=5"], "mirostat_mode: 5 is not valid (allowed: one of 0, 1, 2)"),
    (["--set", "temprature=1"], "temprature: not a sampler parameter"),
    (["--set", "temperature"], "expected NAME=VALUE"),
    (["--model", "m:fast", "--provider", "x"], "routing suffix :fast cannot be combined"),
    (["--billing-mode", "free"], "billing_mode: 'free' is not accepted"),
    (["--provider-json", '{"sort":"fastest"}'], "provider.sort"),
    (["--model", "m:memory-400"], "memory days 400 is outside 1 to 365"),
    (["--base-url", "localhost:1"], "base_url: 'localhost:1' must start with http://"),
    (["--connection", "nope"], "no connection named 'nope'"),
])
def test_bad_input_exits_2_naming_the_field(args: list[str], message: str) -> None:
    out = cli("run", "--prompt", "p", *args, "--dry-run")
    assert out.returncode == 2
    assert message in out.stderr
    assert out.stdout == ""


def test_missing_key_is_a_clear_input_error() -> None:
    out = cli("run", "--prompt", "p", "--connection", "nanogpt",
              env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert out.returncode == 2
    assert "no key for NanoGPT: set NANOGPT_API_KEY" in out.stderr


def test_streams_from_a_loopback_server(fault_server) -> None:
    out = served(fault_server, "ok", "--set", "temperature=0.2")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Hello, world!\n"
    assert fault_server.requests[-1].json()["temperature"] == 0.2


def test_json_result(fault_server) -> None:
    out = served(fault_server, "ok", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["text"] == "Hello, world!"
    assert result["finish_reason"] == "stop"
    assert result["usage"]["completion_tokens"] == 5
    assert result["request_id"] == "req-123"
    assert result["timings"]["total_ms"] > 0
    assert result["error"] is None


@pytest.mark.parametrize(("scenario", "expected"), [
    ("e402", "HTTP 402: Insufficient balance"),
    ("e429", "HTTP 429 [rate_limit_error]: Slow down"),
    ("e401", "HTTP 401 [invalid_api_key]: Invalid API key"),
])
def test_api_errors_exit_1_with_status_code_and_message(fault_server, scenario, expected) -> None:
    out = served(fault_server, scenario)
    assert out.returncode == 1
    assert expected in out.stderr
    assert "hint:" in out.stderr
    assert "request id: req-123" in out.stderr


def test_broken_stream_keeps_the_text_and_exits_1(fault_server) -> None:
    out = served(fault_server, "drop")
    assert out.returncode == 1
    assert out.stdout.startswith("Hello,")
    assert "Stream error [connection_dropped]" in out.stderr


def test_json_result_of_a_broken_stream_keeps_text_and_error(fault_server) -> None:
    out = served(fault_server, "nodone", "--json")
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["text"] == "Hello"
    assert result["error"]["code"] == "incomplete_stream"


def test_models_listing(fault_server) -> None:
    out = cli("models", "--base-url", fault_server.url("ok"), "--json")
    assert out.returncode == 0, out.stderr
    assert [m["id"] for m in json.loads(out.stdout)] == ["a/model", "b/model"]


def test_network_error_exits_1() -> None:
    out = cli("run", "--prompt", "hi", "--model", "m", "--base-url", "http://127.0.0.1:9/v1")
    assert out.returncode == 1
    assert "Network error" in out.stderr


def test_compare_runs_variants_concurrently_and_prints_json() -> None:
    out = cli("compare", "--prompt", "The function returns", "--set", "max_tokens=12",
              "--seeds", "3", "--json")
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert [r["variant"] for r in results] == ["seed=1", "seed=2", "seed=3"]
    assert [r["settings"] for r in results] == [
        {"max_tokens": 12, "seed": seed} for seed in (1, 2, 3)]
    assert all(r["usage"]["completion_tokens"] <= 12 for r in results)
    assert len({r["text"] for r in results}) == 3


def test_compare_table_with_presets_and_variants() -> None:
    out = cli("compare", "--prompt", "The function returns", "--set", "max_tokens=8",
              "--set", "seed=1", "--variant", "preset=Creative", "--variant",
              "temperature=0,top_k=1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["variant", "tokens", "ms", "tok/s", "finish", "distinct-2"]
    assert lines[1].startswith("preset=Creative")
    assert lines[2].startswith("temperature=0,top_k=1")
    assert "--- preset=Creative ---" in out.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--variant", "temperature=0.1"], "2 to 8 columns, not 1"),
    (["--sweep", "temperature=0.1,9"], "temperature: 9 is above the maximum 2"),
    (["--variant", "preset=Nope", "--variant", "top_k=1"], "Nope"),
])
def test_compare_refuses_bad_input(args: list[str], message: str) -> None:
    out = cli("compare", "--prompt", "p", *args)
    assert out.returncode == 2
    assert message in out.stderr


def _llama_notes(**params: object) -> list[str]:
    """What translating the request for llama-cpp-python changes, as core reports it."""
    from playground.core.request import build_request
    return build_request("hi", "m", params, dialect="llama-cpp-python").translation().notes


def test_run_says_on_stderr_what_the_dialect_changed(fault_server) -> None:
    args = ("--dialect", "llama-cpp-python", "--set", "typical_p=0.5")
    notes = _llama_notes(typical_p=0.5)
    assert any(note.startswith("dropped typical_p") for note in notes)
    assert any(note.startswith("added top_k") for note in notes)
    expected = [f"playground: note: {note}" for note in notes]

    out = served(fault_server, "ok", *args)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Hello, world!\n"
    assert out.stderr.splitlines() == expected
    assert "typical_p" not in fault_server.requests[-1].json()

    dry = served(fault_server, "ok", *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "typical_p" not in json.loads(dry.stdout)  # stdout stays the body alone
    assert dry.stderr.splitlines() == expected

    as_json = served(fault_server, "ok", *args, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["dialect_notes"] == notes

    quiet = served(fault_server, "ok", *args, "--quiet", "--json")
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    assert json.loads(quiet.stdout)["dialect_notes"] == notes


def test_compare_names_the_variants_a_note_is_about(fault_server) -> None:
    out = cli("compare", "--prompt", "hi", "--model", "m", "--base-url", fault_server.url("ok"),
              "--dialect", "llama-cpp-python", "--set", "max_tokens=4",
              "--variant", "typical_p=0.5", "--variant", "top_k=40", "--json")
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert any(line.startswith("playground: note (typical_p=0.5): dropped typical_p")
               for line in lines)
    assert "playground: note: added min_p: 0.0 (neutral); the server's default is 0.05" in lines
    assert not any("added top_k" in line and "(typical_p=0.5)" not in line for line in lines)
    assert [len(run["dialect_notes"]) for run in json.loads(out.stdout)] == \
        [len(_llama_notes(max_tokens=4, typical_p=0.5)), len(_llama_notes(max_tokens=4,
                                                                          top_k=40))]


def test_dry_run_snippet_for_the_local_engine_is_usable_and_says_how() -> None:
    from playground.cli.main import build_parser
    serve = build_parser().parse_args(["serve"])
    for shown in ("curl", "python"):
        out = cli("run", "--prompt", "hi", "--dry-run", shown)
        assert out.returncode == 0, out.stderr
        assert "PORT" not in out.stdout
        assert f"http://127.0.0.1:{serve.port}/v1" in out.stdout  # where `playground serve` is
        assert "`playground serve --port N`" in out.stderr
        assert "--base-url http://127.0.0.1:N/v1" in out.stderr
        assert cli("run", "--prompt", "hi", "--dry-run", shown, "--quiet").stderr == ""


def test_a_whole_max_price_is_sent_as_typed() -> None:
    out = cli("run", "--prompt", "hi", "--provider-json",
              '{"max_price": {"prompt": 10, "completion": 0.25}}', "--dry-run")
    assert out.returncode == 0, out.stderr
    assert '"max_price": {\n      "prompt": 10,\n      "completion": 0.25\n' in out.stdout


def test_a_conflict_with_x_provider_names_the_header() -> None:
    out = cli("run", "--prompt", "hi", "--model", "zai-org/glm-5:fast", "--x-provider", "novita",
              "--dry-run")
    assert out.returncode == 2
    assert out.stderr == ("playground: X-Provider: 'novita' cannot be combined with the "
                          "routing suffix :fast; use one or the other\n")


def test_set_json_sends_a_field_the_catalog_lacks_after_the_translated_ones() -> None:
    out = cli("run", "--prompt", "p", "--connection", "nanogpt", "--set", "temperature=0.5",
              "--set-json", 'mirostat_ent=2', "--set-json", 'logit_processors=["x"]',
              "--dry-run")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert list(body)[-2:] == ["mirostat_ent", "logit_processors"]
    assert body["logit_processors"] == ["x"] and body["temperature"] == 0.5
    bad = cli("run", "--prompt", "p", "--set-json", "stop=[", "--dry-run")
    assert bad.returncode == 2
    assert "extra_fields: stop: not valid JSON: Expecting value at line 1, column 2" in bad.stderr
    taken = cli("run", "--prompt", "p", "--set-json", "top_k=2", "--dry-run")
    assert taken.returncode == 2 and "'top_k' is a sampler parameter" in taken.stderr
