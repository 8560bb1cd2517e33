"""Presets and history from the command line, end to end, on real files and the engine."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.test_cli import cli

DATA = Path(__file__).parent / "core" / "data"


def test_sillytavern_preset_imports_runs_and_exports_to_both_formats(tmp_path: Path) -> None:
    out = cli("presets", "import", str(DATA / "sillytavern-storyteller.json"),
              "--name", "Story")
    assert out.returncode == 0, out.stderr
    assert "Imported 'Story'" in out.stdout
    assert "temp" in out.stdout  # the report names what was mapped
    shown = json.loads(cli("presets", "show", "Story", "--json").stdout)
    assert shown["name"] == "Story"
    assert "temperature" in shown["params"]

    # The file bans and biases other models' token ids, unknown to the local engine: unset.
    run = cli("run", "--prompt", "Once", "--preset", "Story", "--set", "max_tokens=5",
              "--set", "seed=1", "--set", "logit_bias=null", "--set", "custom_token_bans=null",
              "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["usage"]["completion_tokens"] <= 5

    st_file, tg_file = tmp_path / "story.json", tmp_path / "story.yaml"
    assert cli("presets", "export", "Story", "--format", "sillytavern",
               "-o", str(st_file)).returncode == 0
    assert cli("presets", "export", "Story", "--format", "textgen",
               "-o", str(tg_file)).returncode == 0
    exported = json.loads(st_file.read_text())
    assert exported["temp"] == shown["params"]["temperature"]
    assert yaml.safe_load(tg_file.read_text())["temperature"] == shown["params"]["temperature"]
    again = cli("presets", "import", str(st_file), "--name", "Story again")
    assert again.returncode == 0, again.stderr
    assert json.loads(cli("presets", "show", "Story again", "--json").stdout)["params"] == \
        shown["params"]


def test_preset_file_and_set_override(tmp_path: Path) -> None:
    preset = tmp_path / "mine.json"
    preset.write_text(json.dumps({"version": 1, "name": "Mine",
                                  "params": {"temperature": 0.3, "top_k": 7}}))
    out = cli("run", "--prompt", "p", "--preset", str(preset), "--set", "top_k=9",
              "--dry-run")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert (body["temperature"], body["top_k"]) == (0.3, 9)


def test_bad_presets_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1, "name": "B", "params": {"temperature": 5}}')
    out = cli("run", "--prompt", "p", "--preset", str(broken), "--dry-run")
    assert out.returncode == 2
    assert "temperature: 5 is above the maximum 2" in out.stderr
    assert cli("presets", "delete", "Neutral").returncode == 2
    missing = cli("run", "--prompt", "p", "--preset", "No such preset", "--dry-run")
    assert missing.returncode == 2
    assert "No such preset" in missing.stderr


def test_runs_are_recorded_and_listed() -> None:
    assert cli("run", "--prompt", "Remember this prompt", "--set", "max_tokens=4").returncode == 0
    listed = json.loads(cli("history", "list", "--json").stdout)
    assert listed[0]["prompt"] == "Remember this prompt"
    assert listed[0]["request"]["max_tokens"] == 4
    found = json.loads(cli("history", "list", "--search", "remember", "--json").stdout)
    assert [r["id"] for r in found] == [listed[0]["id"]]
    assert json.loads(cli("history", "list", "--search", "absent", "--json").stdout) == []
    shown = cli("history", "show", str(listed[0]["id"]))
    assert "Remember this prompt" in shown.stdout


def test_a_failed_run_is_recorded_with_its_partial_text(fault_server) -> None:
    out = cli("run", "--prompt", "hi", "--model", "m", "--base-url", fault_server.url("drop"))
    assert out.returncode == 1
    record = json.loads(cli("history", "list", "--json").stdout)[0]
    assert record["output"] == "Hello,"
    assert record["error"]["code"] == "connection_dropped"


def test_comparisons_are_one_group() -> None:
    assert cli("compare", "--prompt", "p", "--set", "max_tokens=3", "--seeds", "2").returncode == 0
    records = json.loads(cli("history", "list", "--json").stdout)
    assert len(records) == 2
    assert records[0]["group"] == records[1]["group"] is not None
