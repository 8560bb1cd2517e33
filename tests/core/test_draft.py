from __future__ import annotations

from playground.core.draft import Draft, DraftStore


def test_round_trip_and_missing(playground_home) -> None:
    store = DraftStore()
    assert store.load() == (Draft(), None)
    draft = Draft(prompt="Once upon", connection="nanogpt", model="a/b:fast",
                  params={"temperature": 0.7, "stop": ["\n"]}, routing={"provider": "x"})
    store.save(draft)
    assert DraftStore().load() == (draft, None)


def test_corrupt_draft_is_set_aside_and_reported(playground_home) -> None:
    store = DraftStore()
    store.path.write_text("{ half a draft")
    draft, problem = store.load()
    assert draft == Draft()
    assert "draft.json could not be read" in problem
    assert list(store.path.parent.glob("draft.json.corrupt-*"))


def test_wrong_types_fall_back_field_by_field(playground_home) -> None:
    assert Draft.from_json({"prompt": 3, "model": "m", "params": []}) == Draft(model="m")
    assert Draft.from_json([1, 2]) == Draft()
