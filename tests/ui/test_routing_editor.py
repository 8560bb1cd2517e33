"""The provider-routing editor, offscreen: what it shows is what `routing()` sends."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QWidget

from playground.core.errors import InvalidParameter
from playground.core.model_id import ModelId
from playground.core.routing import MaxPrice, ProviderRouting, Routing
from playground.ui.routing_editor import (
    AUTOMATIC,
    PROVIDER_ID,
    ROUTING_OBJECT,
    RoutingEditor,
    select_data,
)

pytestmark = pytest.mark.gui

FULL = ProviderRouting(order=["deepinfra", "together"], only=["together"], ignore=["chutes"],
                       sort="price", max_price=MaxPrice(prompt=1.5, completion=0.25),
                       allow_fallbacks=False, require_parameters=True)


@pytest.fixture
def editor(qtbot) -> RoutingEditor:
    widget = RoutingEditor()
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.parametrize("routing", [
    Routing(),
    Routing(provider="deepinfra"),
    Routing(provider=FULL, header_provider="novita", billing_mode="paygo"),
    Routing(provider=ProviderRouting(allow_fallbacks=True, sort="latency"),
            billing_mode="paygo", billing_as_header=True),
    Routing(provider=ProviderRouting(max_price=MaxPrice(completion=3.0))),
])
def test_round_trip(editor: RoutingEditor, routing: Routing) -> None:
    editor.set_routing(routing)
    assert editor.routing() == routing
    assert editor.error() is None and editor.conflict() is None


def test_object_fields_show_what_is_sent(editor: RoutingEditor) -> None:
    editor.set_routing(Routing(provider=FULL))
    fields = editor.object_editor
    assert editor.object_box.isVisible() and not editor.provider_id.isVisible()
    assert fields.lists["order"].values() == ["deepinfra", "together"]
    assert fields.prices["prompt"].text() == "1.5"
    assert fields.flags["allow_fallbacks"].currentText() == "false"
    assert json.loads(fields.json_edit.text()) == FULL.body()


def test_reorder_changes_order(editor: RoutingEditor, qtbot) -> None:
    editor.set_routing(Routing(provider=ProviderRouting(order=["a", "b", "c"])))
    order = editor.object_editor.lists["order"]
    order.list.setCurrentRow(0)
    assert not order.up.isEnabled()
    with qtbot.waitSignal(editor.changed):
        order.down.click()
    assert editor.routing().body()["provider"]["order"] == ["b", "a", "c"]
    order.up.click()
    order.list.setCurrentRow(2)
    assert not order.down.isEnabled()
    # A drag inside the list moves the row the same way.
    with qtbot.waitSignal(editor.changed):
        assert order.list.model().moveRow(QModelIndex(), 2, QModelIndex(), 0)
    assert editor.routing().body()["provider"]["order"] == ["c", "a", "b"]
    order.list.setCurrentRow(1)
    order.remove.click()
    assert editor.routing().body()["provider"]["order"] == ["c", "b"]


def test_add_by_typing_and_by_picking(editor: RoutingEditor, qtbot) -> None:
    select_data(editor.mode, ROUTING_OBJECT)
    editor.set_providers(["deepinfra", "together", "deepinfra"])
    only = editor.object_editor.lists["only"]
    assert [only.entry.itemText(i) for i in range(only.entry.count())] == \
        ["deepinfra", "together"]
    assert only.entry.currentText() == ""
    qtbot.keyClicks(only.entry.lineEdit(), "my-provider")
    qtbot.keyClick(only.entry.lineEdit(), Qt.Key.Key_Return)
    only.entry.textActivated.emit("together")  # what choosing from the drop-down emits
    only.entry.set_text("together")
    only.add_button.click()  # a duplicate is not added twice
    assert editor.routing().provider == ProviderRouting(only=["my-provider", "together"])
    assert only.entry.currentText() == ""


def test_unset_fields_are_not_sent(editor: RoutingEditor) -> None:
    select_data(editor.mode, ROUTING_OBJECT)
    assert editor.routing().body() == {}  # an empty object is never sent
    assert editor.object_editor.json_edit.text() == ""
    select_data(editor.object_editor.sort, "price")
    assert editor.routing().body() == {"provider": {"sort": "price"}}
    editor.object_editor.prices["prompt"].setText("0")
    assert editor.routing().body() == {"provider": {"sort": "price",
                                                    "max_price": {"prompt": 0}}}
    select_data(editor.mode, AUTOMATIC)
    assert editor.routing().body() == {}
    select_data(editor.mode, PROVIDER_ID)
    editor.provider_id.set_text("   ")
    assert editor.routing() == Routing()


@pytest.mark.parametrize(("text", "message"), [
    ("-1", "provider.max_price.completion: -1 is below the minimum 0"),
    ("cheap", "provider.max_price.completion: 'cheap' is not a number"),
    ("nan", "provider.max_price.completion: 'nan' is not a number"),
])
def test_invalid_max_price_is_refused_inline(editor: RoutingEditor, text: str,
                                             message: str) -> None:
    editor.set_routing(Routing(provider=ProviderRouting(sort="speed")))
    field = editor.object_editor.prices["completion"]
    field.setText(text)
    error = editor.error()
    assert error is not None and error.startswith(message)
    assert field.property("state") == "error" and field.toolTip() == error
    assert editor.error_label.isVisible() and editor.error_label.text() == error
    assert editor.routing().body() == {"provider": {"sort": "speed"}}  # left out, not sent
    field.setText("$2")
    assert editor.error() is None and not editor.error_label.isVisible()
    assert editor.routing().body()["provider"]["max_price"] == {"completion": 2}


def test_json_edits_fill_the_fields_and_errors_name_the_key(editor: RoutingEditor) -> None:
    select_data(editor.mode, ROUTING_OBJECT)
    fields = editor.object_editor
    fields.json_edit.setText('{"ignore": ["x"], "max_price": {"prompt": 2}}')
    fields.json_edit.editingFinished.emit()
    assert fields.lists["ignore"].values() == ["x"]
    assert fields.prices["prompt"].text() == "2"
    assert editor.routing().provider == ProviderRouting(ignore=["x"],
                                                        max_price=MaxPrice(prompt=2.0))
    fields.json_edit.setText('{"sort": "fastest"}')
    fields.json_edit.editingFinished.emit()
    assert editor.error() is not None and editor.error().startswith("provider.sort:")
    assert fields.json_edit.property("state") == "error"
    select_data(fields.sort, "speed")  # editing a field rewrites the JSON
    assert editor.error() is None
    assert json.loads(fields.json_edit.text())["sort"] == "speed"


def test_conflict_with_a_routing_suffix_is_flagged(editor: RoutingEditor) -> None:
    editor.set_routing(Routing(provider="deepinfra"))
    editor.set_model(ModelId.parse("zai-org/glm-5:fast"))
    with pytest.raises(InvalidParameter) as expected:
        editor.routing().check(ModelId.parse("zai-org/glm-5:fast"))
    assert editor.conflict() == expected.value.message
    assert "routing suffix :fast" in editor.conflict()
    assert editor.conflict_label.isVisible()
    assert editor.conflict_label.text() == editor.conflict()

    select_data(editor.mode, AUTOMATIC)
    assert editor.conflict() is None and not editor.conflict_label.isVisible()
    editor.header_provider.set_text("novita")
    assert "X-Provider" in editor.conflict()
    editor.header_provider.set_text("")
    select_data(editor.mode, ROUTING_OBJECT)
    assert editor.conflict() is None  # an empty routing object is not sent
    select_data(editor.object_editor.sort, "price")
    assert "body provider" in editor.conflict()
    editor.set_model(ModelId.parse("zai-org/glm-5:online"))
    assert editor.conflict() is None


def test_x_provider_and_billing_header_forms(editor: RoutingEditor) -> None:
    assert not editor.billing_place.isEnabled()
    editor.header_provider.set_text(" deepinfra ")
    select_data(editor.billing, "paygo")
    assert editor.billing_place.isEnabled()
    assert editor.routing().body() == {"billing_mode": "paygo"}
    assert editor.routing().headers() == {"X-Provider": "deepinfra"}
    select_data(editor.billing_place, True)
    assert editor.routing().body() == {}
    assert editor.routing().headers() == {"X-Provider": "deepinfra", "X-Billing-Mode": "paygo"}


def test_billing_spellings_are_normalized_and_unknown_ones_refused(editor: RoutingEditor) -> None:
    editor.set_routing(Routing(billing_mode="Pay-As-You-Go", header_provider="x"))
    assert editor.routing().billing_mode == "paygo"
    with pytest.raises(InvalidParameter, match="billing_mode"):
        editor.set_routing(Routing(billing_mode="monthly"))
    assert editor.routing().header_provider == "x"  # nothing changed


def test_every_control_is_named(editor: RoutingEditor) -> None:
    select_data(editor.mode, ROUTING_OBJECT)
    controls = [w for w in editor.findChildren(QWidget)
                if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisible()]
    assert len(controls) > 20
    assert [w for w in controls if not w.accessibleName()] == []
    # A combo's line edit shows the combo's tooltip.
    assert [w for w in controls if not (w.toolTip() or w.parentWidget().toolTip())] == []


def test_a_typed_price_is_sent_as_typed(editor: RoutingEditor, qtbot) -> None:
    """A whole number typed as one goes out as an integer (10, not 10.0); a decimal stays a
    decimal. Compared as JSON text, where 10 and 10.0 differ."""
    select_data(editor.mode, ROUTING_OBJECT)
    fields = editor.object_editor
    qtbot.keyClicks(fields.prices["prompt"], "10")
    qtbot.keyClicks(fields.prices["completion"], "$2.50")
    sent = json.dumps(editor.routing().body())
    assert sent == '{"provider": {"max_price": {"prompt": 10, "completion": 2.5}}}'
    assert fields.json_edit.text() == '{"max_price": {"prompt": 10, "completion": 2.5}}'
    fields.prices["prompt"].clear()
    qtbot.keyClicks(fields.prices["prompt"], "10.0")
    assert '"prompt": 10.0' in json.dumps(editor.routing().body())
    fields.prices["prompt"].clear()
    qtbot.keyClicks(fields.prices["prompt"], "9" * 400)  # too large for any price
    assert editor.error() is not None and "is not a number" in editor.error()
    assert "prompt" not in json.dumps(editor.routing().body())


@pytest.mark.parametrize(("price", "shown"), [(10, "10"), (3.0, "3.0"), (0.25, "0.25")])
def test_a_price_is_shown_as_it_will_be_sent(editor: RoutingEditor, price: float,
                                              shown: str) -> None:
    routing = Routing(provider=ProviderRouting(max_price=MaxPrice(completion=price)))
    editor.set_routing(routing)
    assert editor.object_editor.prices["completion"].text() == shown
    assert json.dumps(editor.routing().body()) == json.dumps(routing.body())
