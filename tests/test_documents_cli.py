"""``playground documents …`` end to end: the real entry point in a subprocess, real files."""

from __future__ import annotations

import json
from pathlib import Path

from playground.core.documents import DocumentStore
from playground.core.documents.schema import FILE_NAME
from playground.core.draft import Draft, DraftStore
from playground.core.paths import data_dir
from tests.test_cli import cli


def names(search: str | None = None) -> list[str]:
    out = cli("documents", "list", *(("--search", search) if search else ()), "--json")
    assert out.returncode == 0, out.stderr
    return [d["name"] for d in json.loads(out.stdout)]


def test_the_draft_is_listed_renamed_exported_imported_and_deleted(tmp_path: Path) -> None:
    DraftStore().save(Draft(prompt="Once upon a time\nthere was", connection="local",
                            params={"temperature": 0.8}, routing={"billing_mode": "paygo"}))
    assert names() == ["Draft"]

    renamed = cli("documents", "rename", "draft", "Story")
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.stdout.strip() == "Renamed 'Draft' to 'Story'"

    shown = cli("documents", "show", "Story")
    assert shown.returncode == 0, shown.stderr
    assert "temperature = 0.8" in shown.stdout
    assert 'billing_mode: "paygo"' in shown.stdout
    assert shown.stdout.endswith("--- prompt ---\nOnce upon a time\nthere was\n")
    data = json.loads(cli("documents", "show", "#1", "--json").stdout)
    assert (data["id"], data["name"], data["params"]) == (1, "Story", {"temperature": 0.8})

    file = tmp_path / "docs.json"
    exported = cli("documents", "export", "-o", str(file))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"Exported 1 document to {file}"
    assert json.loads(file.read_text())["version"] == 1

    imported = cli("documents", "import", str(file))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == ["Imported 'Story (2)'",
                                            "  'Story' exists already; imported as 'Story (2)'"]
    assert sorted(names()) == ["Story", "Story (2)"]
    assert names("there once") == ["Story (2)", "Story"]  # the last used first

    deleted = cli("documents", "delete", "story (2)")
    assert deleted.returncode == 0, deleted.stderr
    assert names() == ["Story"]


def test_export_to_stdout_holds_the_chosen_documents_and_no_key(key: str) -> None:
    with DocumentStore() as store:
        store.create("One", prompt="first", connection="nanogpt", model="zai-org/glm-5")
        store.create("Two", prompt="second")
    out = cli("documents", "export", "one", env={"NANOGPT_API_KEY": key})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [d["name"] for d in data["documents"]] == ["One"]
    assert key not in out.stdout
    both = json.loads(cli("documents", "export").stdout)
    assert [d["name"] for d in both["documents"]] == ["Two", "One"]


def test_a_bad_entry_is_named_exits_2_and_the_rest_import(tmp_path: Path) -> None:
    file = tmp_path / "mixed.json"
    file.write_text(json.dumps({"version": 1, "documents": [
        {"name": "Good", "prompt": "fine"},
        {"name": "Hot", "params": {"temperature": 7}},
    ]}))
    out = cli("documents", "import", str(file))
    assert out.returncode == 2
    assert out.stdout.strip() == "Imported 'Good'"
    assert "playground: left out documents[1] 'Hot': temperature: 7 is above the maximum 2" \
        in out.stderr
    assert names() == ["Good"]


def test_stdin_import_and_errors_that_name_the_field(tmp_path: Path) -> None:
    piped = cli("documents", "import", "-",
                stdin='{"version": 1, "documents": [{"name": "Piped", "mode": "notebook"}]}')
    assert piped.returncode == 0, piped.stderr
    assert names() == ["Piped"]

    cases = [
        (("documents", "show", "Nope"), "playground: name: no document named 'Nope'"),
        (("documents", "rename", "Piped", ""), "playground: name: the document name is empty"),
        (("documents", "import", str(tmp_path / "missing.json")),
         f"playground: file: cannot read {tmp_path / 'missing.json'}: No such file"),
        (("documents", "import", "-"), "playground: file: not valid JSON"),
        (("documents", "delete", "Piped", "Nope"), "playground: name: no document named 'Nope'"),
        (("documents", "list", "--limit", "-1"), "playground: limit: must be 0 or more"),
    ]
    for args, message in cases:
        out = cli(*args, stdin="")
        assert out.returncode == 2, args
        assert out.stderr.startswith(message), (args, out.stderr)
    assert names() == ["Piped"]  # the failed delete deleted nothing

    cli("documents", "import", "-", stdin='{"version": 1, "documents": [{"name": "Other"}]}')
    clash = cli("documents", "rename", "other", "PIPED")
    assert clash.returncode == 2
    assert clash.stderr.strip() == ("playground: name: a document named 'Piped' exists already; "
                                    "choose another name")


def test_a_damaged_store_is_reported_and_the_command_goes_on() -> None:
    path = data_dir() / FILE_NAME
    path.write_bytes(b"garbage " * 1000)
    out = cli("documents", "list")
    assert out.returncode == 0
    assert out.stderr.startswith(f"playground: {FILE_NAME} could not be read (file is not a "
                                 "database); it was moved to")
    assert out.stdout == ""
    again = cli("documents", "list")
    assert again.returncode == 0 and again.stderr == ""


def test_the_text_list_shows_number_mode_name_and_first_line() -> None:
    with DocumentStore() as store:
        store.create("Notes", prompt="\n  First line here\nsecond", mode="notebook")
    out = cli("documents", "list")
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    assert line.startswith("    1  ")
    assert line.endswith("  notebook  Notes  'First line here'")


def test_run_takes_a_documents_prompt_and_settings_and_the_command_line_overrides(
        fault_server) -> None:
    from playground.core.connections import Connection, ConnectionStore

    ConnectionStore().add(Connection(name="fault-ok", base_url=fault_server.url("ok")))
    with DocumentStore() as store:
        store.create("Story", prompt="Once upon a time", connection="fault-ok", model="m-doc",
                     params={"temperature": 0.8, "top_k": 40},
                     routing={"billing_mode": "paygo"})
    body = json.loads(cli("run", "--document", "story", "--dry-run").stdout)
    assert body["prompt"] == "Once upon a time" and body["model"] == "m-doc"
    assert (body["temperature"], body["top_k"], body["billing_mode"]) == (0.8, 40, "paygo")

    body = json.loads(cli("run", "--document", "#1", "--prompt", "Other", "--model", "m2",
                          "--set", "temperature=0.2", "--dry-run").stdout)
    assert (body["prompt"], body["model"], body["temperature"], body["top_k"]) == (
        "Other", "m2", 0.2, 40)

    seen = len(fault_server.requests)
    ran = cli("run", "--document", "Story")  # to the document's own connection
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "Hello, world!\n"
    sent = [r for r in fault_server.requests[seen:] if r.path.endswith("/completions")]
    assert len(sent) == 1 and json.loads(sent[0].body)["prompt"] == "Once upon a time"

    missing = cli("run", "--document", "nope")
    assert missing.returncode == 2 and "no document named 'nope'" in missing.stderr
    neither = cli("run")
    assert neither.returncode == 2 and "prompt: give --prompt" in neither.stderr
