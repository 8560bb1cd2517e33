"""The model picker, offscreen: searching the list, free text, and suffix toggles."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from playground.core.client import CompletionClient, ModelInfo
from playground.core.errors import InvalidParameter
from playground.core.model_id import ROUTING_LABELS, ModelId
from playground.core.models import ModelList, cached_model_list, fetch_model_list
from playground.ui.model_picker import ModelPicker, context_text, price_text
from playground.ui.widgets import select_data

pytestmark = pytest.mark.gui

MODELS = [
    ModelInfo("openai/gpt-4o-mini", "GPT-4o mini", 128_000, 16_384, 0.15, 0.6),
    ModelInfo("zai-org/glm-5", "GLM 5", 200_000, None, 1.0, 3.2),
    ModelInfo("anthropic/claude-sonnet-4.5", "Claude Sonnet 4.5", 1_000_000, None, 3.0, 15.0),
    ModelInfo("deepseek-ai/DeepSeek-V3.1:thinking", "DeepSeek V3.1 Thinking", 163_840),
    ModelInfo("local/stdlib"),
]


@pytest.fixture
def picker(qtbot) -> ModelPicker:
    widget = ModelPicker()
    qtbot.addWidget(widget)
    widget.set_model_list(ModelList(list(MODELS), fresh=True))
    widget.show()
    return widget


def listed(picker: ModelPicker) -> list[str]:
    return [picker.filter.index(row, 0).data() for row in range(picker.filter.rowCount())]


def test_rows_show_id_name_context_and_prices(picker: ModelPicker) -> None:
    row = [picker.source.item(0, column).text() for column in range(4)]
    assert row == ["openai/gpt-4o-mini", "GPT-4o mini", "128k ctx", "$0.15 / $0.60 per 1M"]
    assert context_text(1_048_576) == "1M ctx" and context_text(None) == ""
    assert price_text(MODELS[4]) == ""
    assert price_text(ModelInfo("x", prompt_price=0.075)) == "$0.075 / ? per 1M"
    assert picker.models() == MODELS


def test_typing_filters_by_id_or_name(picker: ModelPicker, qtbot) -> None:
    qtbot.keyClicks(picker.field, "SONNET")  # in the id, any case
    assert listed(picker) == ["anthropic/claude-sonnet-4.5"]
    popup = picker.completer.popup()
    assert popup.isVisible()
    assert popup.width() >= popup.header().length()  # every column shows in full
    picker.field.clear()
    qtbot.keyClicks(picker.field, "glm 5")  # only in the name
    assert listed(picker) == ["zai-org/glm-5"]
    qtbot.keyClicks(picker.field, "x")
    assert listed(picker) == [] and not popup.isVisible()
    picker.field.clear()
    qtbot.keyClick(picker.field, Qt.Key.Key_Down)
    assert popup.isVisible() and len(listed(picker)) == len(MODELS)


def test_picking_from_the_list_sets_the_id(picker: ModelPicker, qtbot) -> None:
    picker.set_model_text("m:online")
    with qtbot.waitSignal(picker.changed):
        picker.completer.activated[str].emit("deepseek-ai/DeepSeek-V3.1:thinking")
    assert picker.field.text() == "deepseek-ai/DeepSeek-V3.1"
    assert picker.model_text() == "deepseek-ai/DeepSeek-V3.1:thinking:online"
    assert picker.selected_info() is None  # listed without :online
    picker.suffixes.online.setChecked(False)
    assert picker.selected_info() is MODELS[3]


def test_suffix_toggles_compose_the_id(picker: ModelPicker, qtbot) -> None:
    picker.set_model_text("zai-org/glm-5")
    popup = picker.suffixes
    with qtbot.waitSignal(picker.changed):
        popup.online.setChecked(True)
    assert picker.model_text() == "zai-org/glm-5:online"
    popup.provider.setEditText("tavily")
    popup.memory.setChecked(True)
    assert picker.model_text() == "zai-org/glm-5:online/tavily:memory"
    popup.days.setText("30")
    popup.thinking.setChecked(True)
    popup.reasoning_exclude.setChecked(True)
    select_data(popup.routing, "price")
    assert picker.model_text() == \
        "zai-org/glm-5:thinking:online/tavily:memory-30:reasoning-exclude:cheap"
    assert picker.suffix_button.toolTip().endswith(
        "<code>:thinking:online/tavily:memory-30:reasoning-exclude:cheap</code>")
    popup.online.setChecked(False)  # the provider goes with :online
    assert picker.model_text() == "zai-org/glm-5:thinking:memory-30:reasoning-exclude:cheap"
    assert not popup.provider.isEnabled()


def test_routing_choices_are_the_canonical_suffixes(picker: ModelPicker) -> None:
    combo = picker.suffixes.routing
    assert [combo.itemData(i) for i in range(1, combo.count())] == list(ROUTING_LABELS)
    assert [combo.itemText(i) for i in range(1, combo.count())] == \
        [f":{label}" for label in ROUTING_LABELS.values()]
    assert combo.itemData(1, Qt.ItemDataRole.ToolTipRole) == "Also written :speed"


def test_typed_suffixes_move_into_the_toggles(picker: ModelPicker, qtbot) -> None:
    picker.suffixes.thinking.setChecked(True)
    qtbot.keyClicks(picker.field, "zai-org/glm-5:online:fast")
    assert picker.model_text() == "zai-org/glm-5:thinking:online:fast"  # before Enter too
    qtbot.keyClick(picker.field, Qt.Key.Key_Return)
    assert picker.field.text() == "zai-org/glm-5"
    assert picker.suffixes.online.isChecked() and picker.suffixes.thinking.isChecked()
    assert picker.suffixes.routing.currentData() == "speed"
    assert picker.model_text() == "zai-org/glm-5:thinking:online:fast"
    assert picker.selected_info() is MODELS[1]
    assert "GLM 5" in picker.field.toolTip()


def test_set_model_text_replaces_all_toggles(picker: ModelPicker) -> None:
    picker.set_model_text("a:memory-7:cheap")
    picker.set_model_text("llama3:8b:online/exa-instant")
    assert picker.field.text() == "llama3:8b"
    assert not picker.suffixes.memory.isChecked()
    assert picker.suffixes.routing.currentData() is None
    assert picker.model_text() == "llama3:8b:online/exa-instant"


def test_free_text_and_empty_field(picker: ModelPicker) -> None:
    picker.set_model_text("my-org/unlisted-model")
    assert picker.model_text() == "my-org/unlisted-model"
    assert picker.selected_info() is None
    picker.set_placeholder("openai/gpt-4o-mini")
    picker.set_model_text("")
    assert picker.field.placeholderText() == "openai/gpt-4o-mini"
    assert picker.model_text() == "" and picker.model_id() is None


@pytest.mark.parametrize("days", ["0", "366", "-3", "week"])
def test_memory_days_out_of_range_are_refused(picker: ModelPicker, days: str) -> None:
    picker.set_model_text("a")
    picker.suffixes.memory.setChecked(True)
    picker.suffixes.days.setText(days)
    with pytest.raises(InvalidParameter) as info:
        picker.model_id()
    assert info.value.field == "model" and "memory days" in info.value.message
    assert picker.error() == info.value.message
    assert picker.field.property("state") == "error"
    assert picker.suffixes.days.property("state") == "error"
    picker.suffixes.days.setText("365")
    assert picker.model_text() == "a:memory-365"
    assert picker.field.property("state") == ""


def test_bad_typed_suffix_is_kept_and_reported(picker: ModelPicker) -> None:
    picker.set_model_text("a:memory-400")
    assert picker.field.text() == "a:memory-400"
    with pytest.raises(InvalidParameter, match="outside 1 to 365"):
        picker.model_text()


def test_offline_marker_and_compact_height(picker: ModelPicker) -> None:
    assert not picker.status.isVisible()
    picker.set_model_list(ModelList(MODELS[:2]))  # from the cache, of no known date
    assert picker.status.isVisible() and picker.status.text() == "cached list"
    assert picker.source.rowCount() == 2
    assert picker.sizeHint().height() <= 32
    picker.set_model_list(ModelList([]))  # nothing cached: no cached list to speak of
    assert picker.status.text() == "no models cached yet"


def fetched(client_url: str, connection: str) -> ModelList:
    async def fetch() -> ModelList:
        async with CompletionClient(client_url) as client:
            return await fetch_model_list(client, connection)
    return asyncio.run(fetch())


def test_the_list_status_says_where_the_models_come_from(picker: ModelPicker, fault_server,
                                                         tmp_path, monkeypatch) -> None:
    """Over real HTTP on a fresh profile: what the picker says is what happened."""
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path / "cache"))  # not the session's
    unreachable = "http://127.0.0.1:9/v1"
    status = picker.status
    picker.set_model_list(cached_model_list("nanogpt"), key_missing_for="NanoGPT")
    assert status.isVisible() and picker.source.rowCount() == 0
    assert status.text() == ("listing NanoGPT's models needs an API key (File \u2192 "
                             "Settings); no models cached yet")
    picker.set_model_list(fetched(unreachable, "nanogpt"), key_missing_for="NanoGPT")
    assert status.text().endswith("needs an API key (File \u2192 Settings); no models cached yet")

    picker.set_model_list(fetched(unreachable, "srv"))
    assert status.text().startswith("could not list models: Network error [connect_error]")
    assert "could not connect to 127.0.0.1" in status.toolTip()

    picker.set_model_list(fetched(fault_server.url("ok"), "srv"))
    assert not status.isVisible() and picker.source.rowCount() == 2
    cached = cached_model_list("srv")  # as the window shows it until the server answers
    assert cached.saved_at is not None and cached.models == picker.models()
    saved = cached.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
    assert abs(cached.saved_at.timestamp() - time.time()) < 60
    picker.set_model_list(cached)
    assert status.text() == f"cached list from {saved}"
    picker.set_model_list(fetched(unreachable, "srv"))
    assert status.text() == f"offline (cached list from {saved})"
    assert picker.source.rowCount() == 2 and "Network error" in status.toolTip()
    picker.set_model_list(fetched(unreachable, "srv"), key_missing_for="NanoGPT")
    assert status.text().endswith(f"needs an API key (File \u2192 Settings); "
                                  f"cached list from {saved}")
    assert "Save an API key for NanoGPT" in status.accessibleDescription()
    picker.resize(400, 30)  # a long status gives way to the model field
    assert status.maximumWidth() == 200 and picker.field.width() >= 160


def test_every_control_is_named(picker: ModelPicker) -> None:
    picker.show_suffixes()
    controls = [w for w in picker.findChildren(QWidget)
                if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisible()]
    assert len(controls) >= 9
    assert [w for w in controls if not w.accessibleName()] == []
    # A combo's line edit shows the combo's tooltip.
    assert [w for w in controls if not (w.toolTip() or w.parentWidget().toolTip())] == []
    picker.suffixes.hide()


models = st.builds(
    ModelId,
    base=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,24}", fullmatch=True),
    thinking=st.booleans(),
    online=st.booleans(),
    online_provider=st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}",
                                              fullmatch=True),
    memory=st.booleans(),
    memory_days=st.none() | st.integers(1, 365),
    reasoning_exclude=st.booleans(),
    routing=st.none() | st.sampled_from(list(ROUTING_LABELS)),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(model=models)
def test_any_model_id_round_trips(picker: ModelPicker, model: ModelId) -> None:
    picker.set_model_text(model.compose())
    assert picker.model_id() == model
    assert picker.model_text() == model.compose()
