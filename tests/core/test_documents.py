"""Documents in SQLite: their fields, names, search, saving, export and import, the draft of
earlier versions, and a damaged database, all on real files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from playground.core.documents import (
    Document,
    DocumentStore,
    RequestInputs,
    document_request_inputs,
    schema,
)
from playground.core.documents.schema import FILE_NAME
from playground.core.draft import Draft, DraftStore
from playground.core.errors import InvalidParameter
from playground.core.keys import KeyStore
from playground.core.migrations import NewerDatabase, migrate
from playground.core.paths import data_dir
from playground.core.request import build_request
from playground.core.routing import ProviderRouting

ROUTING = {"provider": {"order": ["deepinfra", "together"], "max_price": {"prompt": 2}},
           "header_provider": None, "billing_mode": "payg"}


@pytest.fixture(params=[True, False], ids=["fts5", "like"])
def store(request: pytest.FixtureRequest) -> Iterator[DocumentStore]:
    """The store with FTS5 search, and with the LIKE search used where SQLite lacks FTS5."""
    with DocumentStore(use_fts=request.param) as opened:
        yield opened


def content(document: Document) -> dict[str, object]:
    data = document.to_json()
    for key in ("created_at", "updated_at", "last_used_at"):
        data.pop(key)
    return data


# fields

def test_a_document_keeps_every_field_in_its_checked_form(store: DocumentStore) -> None:
    made = store.create("Story", prompt="Once upon a time", model="zai-org/glm-5:fast",
                        connection="nanogpt", params={"temperature": 1, "top_k": 40.0},
                        routing={"billing_mode": "payg"}, preset="Creative", mode="notebook")
    got = store.get(made.id)
    assert got == made
    assert got.params == {"temperature": 1.0, "top_k": 40}  # the catalog's types
    assert isinstance(got.params["temperature"], float) and isinstance(got.params["top_k"], int)
    assert (got.model, got.connection, got.preset, got.mode) == \
        ("zai-org/glm-5:fast", "nanogpt", "Creative", "notebook")
    assert got.routing == {"billing_mode": "payg"}
    assert got.created_at == got.updated_at == got.last_used_at != ""
    assert store.find("STORY") == got  # names ignore case when looked up


def test_routing_is_kept_as_the_window_dumps_it_and_comes_back_as_routing(
        store: DocumentStore) -> None:
    made = store.create("Routed", routing=ROUTING)
    assert made.routing == {"provider": {"order": ["deepinfra", "together"],
                                         "max_price": {"prompt": 2}},
                            "billing_mode": "payg"}
    routing = store.get(made.id).to_routing()
    assert isinstance(routing.provider, ProviderRouting)
    assert routing.body() == {"provider": {"order": ["deepinfra", "together"],
                                           "max_price": {"prompt": 2}},
                              "billing_mode": "paygo"}


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"params": {"temperature": 5}}, "temperature", "temperature: 5 is above the maximum 2"),
    ({"params": {"warmth": 1}}, "warmth", "warmth: not a sampler parameter"),
    ({"params": [1]}, "params", "params: must be an object"),
    ({"routing": {"provider": {"sort": "fastest"}}}, "provider", "routing.provider.sort:"),
    ({"routing": {"billing_mode": "free"}}, "billing_mode", "routing.billing_mode: 'free'"),
    ({"routing": {"api_key": "x"}}, "api_key", "routing.api_key: not a routing field"),
    ({"routing": {"billing_as_header": "yes"}}, "billing_as_header", "must be true or false"),
    ({"mode": "split"}, "mode", "mode: 'split' is not a mode (allowed: two-pane, notebook)"),
    ({"connection": " "}, "connection", "connection: the connection name is empty"),
    ({"prompt": None}, "prompt", "prompt: must be a string, not null"),
])
def test_bad_fields_are_refused_naming_the_field(store: DocumentStore, fields: dict[str, object],
                                                 field: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")) \
            as caught:
        store.create("Bad", **fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert store.count() == 0


@pytest.mark.parametrize(("name", "message"), [
    ("", "name: the document name is empty"),
    ("   ", "name: the document name is empty"),
    ("x" * 121, "name: longer than 120 characters"),
    ("tab\there", "contains control characters"),
])
def test_bad_names_are_refused(store: DocumentStore, name: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        store.create(name)


# names

def test_names_are_unique_ignoring_case_with_a_clear_error(store: DocumentStore) -> None:
    story = store.create("Story")
    with pytest.raises(InvalidParameter, match="a document named 'story' exists already"):
        store.create("story")
    other = store.create("Other")
    with pytest.raises(InvalidParameter, match="a document named 'Story' exists already") \
            as caught:
        store.rename(other.id, "STORY")
    assert caught.value.field == "name"
    assert store.rename(story.id, "  STORY  ").name == "STORY"  # its own name, recased
    assert store.get(other.id).name == "Other"
    with pytest.raises(InvalidParameter, match="no document #999"):
        store.rename(999, "Nine")


def test_new_documents_without_a_name_count_up(store: DocumentStore) -> None:
    assert [store.create().name for _ in range(3)] == ["Untitled", "Untitled (2)",
                                                       "Untitled (3)"]


def test_a_clone_has_the_settings_and_a_copy_name(store: DocumentStore) -> None:
    story = store.create("Story", prompt="Once", params={"seed": 4}, routing=ROUTING,
                         mode="notebook", extra={"mirostat_ent": 2}, template="ChatML")
    first = store.clone(story.id)
    assert (first.extra, first.template) == ({"mirostat_ent": 2}, "ChatML")
    second = store.clone(story.id)
    of_copy = store.clone(first.id)
    assert [first.name, second.name, of_copy.name] == \
        ["Story (copy)", "Story (copy 2)", "Story (copy 3)"]
    assert len({story.id, first.id, second.id, of_copy.id}) == 4
    assert {k: v for k, v in content(first).items() if k != "name"} == \
        {k: v for k, v in content(story).items() if k != "name"}
    assert store.clone(story.id, "Variant").name == "Variant"
    with pytest.raises(InvalidParameter, match="exists already"):
        store.clone(story.id, "story")


# listing and search

def test_the_list_puts_the_last_used_first(store: DocumentStore) -> None:
    a, b, c = (store.create(name, prompt=f"{name} text") for name in ("A", "B", "C"))
    assert [d.name for d in store.list()] == ["C", "B", "A"]
    store.touch(a.id)
    assert [d.name for d in store.list()] == ["A", "C", "B"]
    store.save(replace(b, prompt="edited"))
    assert [d.name for d in store.list()] == ["B", "A", "C"]
    assert [d.name for d in store.list(limit=2, offset=1)] == ["A", "C"]
    assert store.list()[0].preview == "edited"
    with pytest.raises(InvalidParameter, match="no document #999"):
        store.touch(999)
    del c


def test_search_finds_names_and_prompt_text_every_word(store: DocumentStore) -> None:
    store.create("Dragon tale", prompt="The castle stood on a hill.")
    store.create("Recipe", prompt="Mix the flour; the dragon fruit goes last.")
    store.create("Letter", prompt="Dear Ms. Müller, about 100% of the_report")
    assert {d.name for d in store.list("dragon")} == {"Dragon tale", "Recipe"}
    assert {d.name for d in store.list("dragon castle")} == {"Dragon tale"}
    assert {d.name for d in store.list("cast")} == {"Dragon tale"}  # a word's start
    assert {d.name for d in store.list("ag")} == {"Dragon tale", "Recipe"}  # short: anywhere
    assert {d.name for d in store.list("RECIPE")} == {"Recipe"}
    assert {d.name for d in store.list("müller")} == {"Letter"}
    assert store.count("dragon") == 2
    assert store.list("unicorn") == []
    for odd in ("(", '"', "-", "%", "a*b", "NEAR(x"):  # no query syntax reaches the user
        store.list(odd)


def test_like_search_takes_wildcards_literally() -> None:
    with DocumentStore(use_fts=False) as store:
        store.create("Percent", prompt="100% sure")
        store.create("Other", prompt="1000 sure")
        store.create("Under", prompt="the_report")
        store.create("Space", prompt="the report")
        assert [d.name for d in store.list("100%")] == ["Percent"]
        assert [d.name for d in store.list("the_r")] == ["Under"]


def test_the_search_index_follows_renames_edits_and_deletes(store: DocumentStore) -> None:
    doc = store.create("Alpha", prompt="apples")
    store.rename(doc.id, "Beta")
    assert store.list("alpha") == [] and len(store.list("beta")) == 1
    store.save(replace(doc, prompt="pears"))
    assert store.list("apples") == [] and len(store.list("pears")) == 1
    store.delete(doc.id)
    assert store.list("pears") == [] and store.list("beta") == []


def test_turning_fts_off_and_on_again_rebuilds_the_index() -> None:
    with DocumentStore(use_fts=True) as store:
        store.create("First", prompt="kept")
    with DocumentStore(use_fts=False) as store:  # as if the SQLite had no FTS5
        store.create("Second", prompt="written meanwhile")
    with DocumentStore(use_fts=True) as store:
        assert [d.name for d in store.list("meanwhile")] == ["Second"]
        assert [d.name for d in store.list("kept")] == ["First"]


# saving

def test_save_stores_the_content_and_returns_the_new_times(store: DocumentStore) -> None:
    doc = store.create("Story", prompt="Once")
    edited = replace(doc, prompt="Once upon", params={"temperature": 0.5}, mode="notebook",
                     model="m", connection="nanogpt", routing={"header_provider": "x"},
                     preset="P")
    saved = store.save(edited)
    assert store.get(doc.id) == saved
    assert content(saved) == content(edited)
    assert saved.updated_at >= doc.updated_at and saved.last_used_at == saved.updated_at
    assert saved.created_at == doc.created_at


def test_save_never_undoes_a_rename_made_meanwhile(store: DocumentStore) -> None:
    doc = store.create("Old name")
    store.rename(doc.id, "New name")  # e.g. from the command line while the window is open
    saved = store.save(replace(doc, prompt="typed"))
    assert saved.name == "New name" and store.get(doc.id).name == "New name"


def test_save_refuses_bad_values_and_keeps_the_stored_ones(store: DocumentStore) -> None:
    doc = store.create("Story", params={"temperature": 0.5})
    with pytest.raises(InvalidParameter, match="temperature: -1 is below the minimum 0"):
        store.save(replace(doc, prompt="lost", params={"temperature": -1}))
    assert store.get(doc.id) == doc


def test_save_or_delete_of_a_deleted_document_says_so(store: DocumentStore) -> None:
    doc = store.create("Gone")
    store.delete(doc.id)
    with pytest.raises(InvalidParameter, match="no document #1 \\(it was deleted\\)"):
        store.save(doc)
    with pytest.raises(InvalidParameter, match="no document #1"):
        store.delete(doc.id)
    with pytest.raises(InvalidParameter, match="no document #1"):
        store.get(doc.id)


def test_documents_outlive_the_store_and_ids_are_never_reused() -> None:
    with DocumentStore() as store:
        first = store.create("First", prompt="a" * 100_000)
        store.delete(store.create("Second").id)
    with DocumentStore() as store:
        assert store.get(first.id) == first
        assert store.create("Third").id == 3
    assert (data_dir() / FILE_NAME).exists()


def test_two_stores_on_one_file_see_each_others_writes() -> None:
    with DocumentStore() as window, DocumentStore() as command_line:
        doc = window.create("Shared")
        command_line.rename(doc.id, "Renamed")
        assert window.get(doc.id).name == "Renamed"


def test_resolve_takes_a_name_then_a_number() -> None:
    with DocumentStore() as store:
        doc = store.create("Story")
        numbered = store.create("1")  # a name that looks like a number wins
        assert store.resolve("story") == doc
        assert store.resolve("1") == numbered
        assert store.resolve("#1") == doc
        with pytest.raises(InvalidParameter, match="no document named '#7' and none numbered 7"):
            store.resolve("#7")
        with pytest.raises(InvalidParameter, match="name: no document named 'nope'"):
            store.resolve("nope")


# what a run needs

def test_request_inputs_build_the_documents_request() -> None:
    with DocumentStore() as store:
        doc = store.create("Story", prompt="Once", model="zai-org/glm-5",
                           params={"temperature": 0.7, "max_tokens": 9}, routing=ROUTING,
                           connection="nanogpt", extra={"mirostat_ent": 2})
    inputs = document_request_inputs(doc)
    assert isinstance(inputs, RequestInputs)
    prompt, model, params, routing, connection, extra = inputs
    assert (prompt, model, connection, extra) == ("Once", "zai-org/glm-5", "nanogpt",
                                                  {"mirostat_ent": 2})
    body = build_request(prompt, model, {**params, "max_tokens": 3}, routing,
                         extra=extra).body()
    assert body["mirostat_ent"] == 2
    assert body["prompt"] == "Once" and body["temperature"] == 0.7
    assert body["max_tokens"] == 3  # a caller's override goes on top
    assert body["provider"] == {"order": ["deepinfra", "together"], "max_price": {"prompt": 2}}
    assert body["billing_mode"] == "paygo"


def test_request_inputs_check_values_the_catalog_no_longer_allows() -> None:
    with DocumentStore() as store:
        doc = store.create("Story")
    stale = replace(doc, params={"temperature": 9})  # as saved by a laxer version
    with pytest.raises(InvalidParameter, match="temperature: 9 is above the maximum 2"):
        document_request_inputs(stale)


# export and import

def test_export_and_import_round_trip_everything_but_the_id(store: DocumentStore,
                                                            tmp_path: Path) -> None:
    story = store.create("Story", prompt="Once\nupon ✓", model="m", connection="nanogpt",
                         params={"stop": ["\n\n"], "logit_bias": {"50256": -100}},
                         routing=ROUTING, preset="P", mode="notebook")
    store.touch(store.create("Other").id)
    text = store.export_json()
    data = json.loads(text)
    assert data["version"] == 1
    assert [d["name"] for d in data["documents"]] == ["Other", "Story"]  # last used first
    assert "id" not in data["documents"][0]
    assert json.loads(store.export_json([story.id]))["documents"] == [story.to_json()]

    with DocumentStore(tmp_path / "elsewhere.sqlite3", draft_path=tmp_path / "none") as other:
        report = other.import_json(text)
        assert report.problems == [] and report.renamed == []
        imported = other.find("Story")
        assert imported.to_json() == story.to_json()  # times kept too


def test_an_export_holds_no_key(memory_keyring: object, key: str,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", key)
    KeyStore().set("nanogpt", key)
    with DocumentStore() as store:
        store.create("Keyed", connection="nanogpt", model="zai-org/glm-5", routing=ROUTING)
        text = store.export_json()
    assert key not in text
    assert key.removeprefix("sk-nano-") not in text
    assert key.encode() not in (data_dir() / FILE_NAME).read_bytes()


def test_import_reports_bad_entries_by_index_and_name_and_imports_the_rest(
        store: DocumentStore) -> None:
    store.create("Story", prompt="mine")
    text = json.dumps({"version": 1, "documents": [
        {"name": "Story", "prompt": "theirs", "params": {"temperature": 0.2}},
        {"name": "Hot", "params": {"temperature": 7}},
        {"name": "Keyed", "api_key": "sk-nano-123"},
        "not an object",
        {"prompt": "no name"},
        {"name": "Later", "created_at": "yesterday"},
        {"name": "Fine", "mode": "notebook", "created_at": "2025-01-31T12:00:00",
         "last_used_at": "2025-02-01T09:30:00+02:00"},
        {"name": "story"},
    ]})
    report = store.import_json(text)
    assert report.problems == [
        "documents[1] 'Hot': temperature: 7 is above the maximum 2 (allowed: a number "
        "from 0 to 2)",
        "documents[2] 'Keyed': api_key: not a field of a document (known: name, prompt, model, "
        "connection, params, routing, preset, mode, completions, extra, template, created_at, "
        "updated_at, last_used_at)",
        "documents[3]: must be an object",
        "documents[4]: name: the document has no name",
        "documents[5] 'Later': created_at: 'yesterday' is not an ISO 8601 time "
        "(e.g. 2025-01-31T12:00:00Z)",
    ]
    assert [d.name for d in report.imported] == ["Story (2)", "Fine", "story (3)"]
    assert report.renamed == [("Story", "Story (2)"), ("story", "story (3)")]
    assert store.find("Story").prompt == "mine"
    assert store.find("Story (2)").prompt == "theirs"
    fine = store.find("Fine")
    assert fine.created_at == "2025-01-31T12:00:00.000+00:00"
    assert fine.last_used_at == "2025-02-01T07:30:00.000+00:00"
    assert any("left out documents[1] 'Hot'" in line for line in report.lines())


@pytest.mark.parametrize(("text", "field", "message"), [
    ("{", "file", "file: not valid JSON"),
    ("[]", "file", "file: not a documents export"),
    ('{"version": 1}', "file", "file: not a documents export"),
    ('{"version": 2, "documents": []}', "version", "from a newer version of the app"),
    ('{"version": "1", "documents": []}', "version", "version: '1' is not a version number"),
])
def test_a_file_that_is_no_export_is_refused_whole(store: DocumentStore, text: str, field: str,
                                                   message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as caught:
        store.import_json(text)
    assert caught.value.field == field


# the draft of earlier versions

def test_the_draft_becomes_the_first_document_and_stays_on_disk(
        memory_keyring: object) -> None:
    drafts = DraftStore()
    drafts.save(Draft(prompt="My long prompt", connection="nanogpt", model="zai-org/glm-5",
                      params={"temperature": 0.9, "seed": 3},
                      routing={"provider": "deepinfra", "billing_mode": "paygo"}))
    before = drafts.path.read_bytes()
    with DocumentStore() as store:
        assert store.problems == []
        [doc] = [store.get(s.id) for s in store.list()]
    assert (doc.name, doc.prompt, doc.connection, doc.model) == \
        ("Draft", "My long prompt", "nanogpt", "zai-org/glm-5")
    assert doc.params == {"temperature": 0.9, "seed": 3}
    assert doc.routing == {"provider": "deepinfra", "billing_mode": "paygo"}
    assert drafts.path.read_bytes() == before  # an older version still finds it
    assert drafts.load() == (Draft(prompt="My long prompt", connection="nanogpt",
                                   model="zai-org/glm-5", params={"temperature": 0.9, "seed": 3},
                                   routing={"provider": "deepinfra",
                                            "billing_mode": "paygo"}), None)

    with DocumentStore() as store:  # once only: deleting every document brings no second
        store.delete(doc.id)
    with DocumentStore() as store:
        assert store.count() == 0


def test_without_a_draft_the_store_starts_empty() -> None:
    with DocumentStore() as store:
        assert store.count() == 0 and store.problems == []


def test_a_draft_with_a_value_no_longer_allowed_keeps_the_rest() -> None:
    DraftStore().save(Draft(prompt="p", params={"temperature": 9, "top_k": 5},
                            routing={"billing_mode": "free"}))
    with DocumentStore() as store:
        doc = store.find("Draft")
        assert store.problems == ["the draft's parameter temperature, routing: not valid any "
                                  "more, left out of its document"]
    assert (doc.prompt, doc.params, doc.routing) == ("p", {"top_k": 5}, {})


def test_an_unreadable_draft_is_reported_and_left_untouched() -> None:
    path = DraftStore().path
    path.write_bytes(b'{"prompt": "half a fi')
    with DocumentStore() as store:
        assert store.count() == 0
        assert store.problems and store.problems[0].startswith("draft.json could not be read")
    assert path.read_bytes() == b'{"prompt": "half a fi'


# damage

def test_a_file_that_is_no_database_is_set_aside_and_a_fresh_one_used() -> None:
    path = data_dir() / FILE_NAME
    path.write_bytes(b"not a database at all " * 300)
    path.with_name(FILE_NAME + "-wal").write_bytes(b"stale")
    with DocumentStore() as store:
        assert len(store.problems) == 1
        assert store.problems[0].startswith(f"{FILE_NAME} could not be read (file is not a "
                                            "database); it was moved to")
        assert store.problems[0].endswith("; 0 documents recovered from it")
        store.create("Works")
    [moved] = path.parent.glob(f"{FILE_NAME}.corrupt-*[0-9]")
    assert moved.read_bytes().startswith(b"not a database")
    wal = path.with_name(FILE_NAME + "-wal")  # the stale log is not the fresh file's
    assert not wal.exists() or b"stale" not in wal.read_bytes()
    with DocumentStore() as store:
        assert store.problems == [] and [d.name for d in store.list()] == ["Works"]


def many_documents(count: int) -> list[Document]:
    """Documents with prompts long enough to spread the table over many pages, each with a
    marker no index holds (the search index keeps words in lower case)."""
    with DocumentStore() as store:
        return [store.create(f"Doc {n}", prompt=f"MARK{n:04d}X " + f"line {n} of text. " * 60,
                             params={"seed": n}, mode="notebook" if n % 2 else "two-pane")
                for n in range(1, count + 1)]


def garble_page_holding(path: Path, marker: bytes) -> None:
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    offset = data.index(marker)
    start = offset - offset % page_size
    data[start:start + page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))


def test_a_damaged_page_loses_its_documents_and_no_others() -> None:
    originals = many_documents(120)
    path = data_dir() / FILE_NAME
    garble_page_holding(path, b"MARK0060X")
    with DocumentStore() as store:
        assert len(store.problems) == 1
        problem = store.problems[0]
        assert problem.startswith(f"{FILE_NAME} could not be read (")
        recovered = {d.name: store.get(d.id) for d in store.list()}
    lost = [d for d in originals if d.name not in recovered]
    assert "Doc 60" not in recovered
    assert 1 <= len(lost) <= 5  # only the documents of that one page
    assert f"; {len(recovered)} documents recovered from it" in problem
    assert problem.endswith(f", {len(lost)} could not be read")
    for original in originals:
        if original.name in recovered:
            assert recovered[original.name] == original  # ids and times too
    assert len(list(path.parent.glob(f"{FILE_NAME}.corrupt-*"))) >= 1
    with DocumentStore() as store:  # the fresh file is whole, and searchable
        assert store.problems == []
        assert [d.name for d in store.list("line 119")] == ["Doc 119"]


def test_a_truncated_file_gives_back_what_it_still_holds() -> None:
    originals = many_documents(120)
    path = data_dir() / FILE_NAME
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with DocumentStore() as store:
        [problem] = store.problems
        recovered = [store.get(d.id) for d in store.list()]
    assert len(originals) // 4 < len(recovered) < len(originals)
    assert f"; {len(recovered)} documents recovered from it" in problem
    by_name = {d.name: d for d in originals}
    for doc in recovered:  # whole, or named as recovered only in part
        assert doc == by_name[doc.name] or f"{doc.name!r}" in problem.split("only in part")[1]


def test_recovered_rows_with_mangled_values_keep_what_is_usable() -> None:
    path = data_dir() / FILE_NAME
    with DocumentStore() as store:
        good = store.create("Good", prompt="fine", params={"seed": 1})
        odd = store.create("Odd", prompt="kept")
    db = sqlite3.connect(path)
    db.execute("UPDATE documents SET params = '{\"temperature\": 40, \"seed\": 2}', "
               "routing = 'not json', mode = 'sideways', name = '' WHERE id = ?", (odd.id,))
    db.commit()
    [[index_page]] = db.execute("SELECT pageno FROM dbstat WHERE name = 'documents_last_used'")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())  # damage an index only: every row stays readable
    start = (index_page - 1) * page_size
    data[start:start + page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))
    with DocumentStore() as store:
        [problem] = store.problems
        assert {d.name for d in store.list()} == {"Good", f"Recovered {odd.id}"}
        fixed = store.get(odd.id)
        assert store.get(good.id) == good
    assert (fixed.prompt, fixed.params, fixed.routing, fixed.mode) == \
        ("kept", {"seed": 2}, {}, "two-pane")
    assert "; 2 documents recovered from it (1 only in part, a damaged value replaced by its " \
        f"default: 'Recovered {odd.id}')" in problem


def test_a_database_from_a_newer_version_is_refused_not_set_aside() -> None:
    path = data_dir() / FILE_NAME
    with DocumentStore() as store:
        store.create("Mine")
    db = sqlite3.connect(path, isolation_level=None)
    known = [name for name, _step in schema.migrations(lambda db: None)]
    migrate(db, [("a step from the future", lambda db: None)]
            + [(name, lambda db: None) for name in known])
    db.close()
    with pytest.raises(NewerDatabase, match="the documents database is from a newer version"):
        DocumentStore()
    assert path.exists() and not list(path.parent.glob(f"{FILE_NAME}.corrupt-*"))


def test_notebook_completions_are_kept_with_their_versions_and_checked() -> None:
    from playground.core.documents import Completion

    prompt = "Once upon a time, a fish."
    kept = Completion(16, 25, (", a bird.", ", a fish."), 1, "versions-abc")
    with DocumentStore() as store:
        document = store.create("Tale", prompt=prompt, mode="notebook")
        saved = store.save(replace(document, completions=(kept,)))
        assert store.get(document.id).completions == (kept,) == saved.completions
        wrong = Completion(16, 25, (", a cat..",), 0, "versions-abc")
        with pytest.raises(InvalidParameter, match=r"completions\[0\]: the prompt does not "
                                                   r"hold its version there"):
            store.save(replace(document, completions=(wrong,)))
        exported = store.export_json([document.id])
    assert json.loads(exported)["documents"][0]["completions"] == [kept.to_json()]
    with DocumentStore(data_dir() / "other.sqlite3") as other:
        [imported] = other.import_json(exported).imported
        assert imported.completions == (kept,)


def test_completions_whose_text_was_edited_elsewhere_are_dropped_the_text_kept() -> None:
    from playground.core.documents import Completion

    with DocumentStore() as store:
        document = store.create("Tale", prompt="Once upon a time, a fish.", mode="notebook")
        store.save(replace(document, completions=(
            Completion(16, 25, (", a fish.",), 0, "versions-abc"),)))
    db = sqlite3.connect(data_dir() / FILE_NAME)
    db.execute("UPDATE documents SET prompt = 'Once upon a time, a shark.' WHERE id = ?",
               (document.id,))
    db.commit()
    db.close()
    with DocumentStore() as store:
        again = store.get(document.id)
    assert (again.prompt, again.completions) == ("Once upon a time, a shark.", ())
