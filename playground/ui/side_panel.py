"""The side panel: the preset bar above the sampler panel (penalties, mirostat, cutoffs, …),
the routing editor and the extra fields, as tabs. It holds the settings of the tab in front, takes a
document's, and fits itself to a connection: what its server ignores greyed with the reason,
its own defaults as hints, its limits (and the model's largest output) enforced."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QScrollArea, QTabWidget, QVBoxLayout, QWidget

from playground.core.presets import Preset, PresetStore
from playground.ui.extra_fields_editor import ExtraFieldsEditor
from playground.ui.param_panel import ParamPanel
from playground.ui.preset_bar import PresetBar
from playground.ui.routing_editor import RoutingEditor

if TYPE_CHECKING:
    from playground.core.client import ModelInfo
    from playground.core.connections import Connection
    from playground.ui.list_editors import Lookup

ROUTING_TAB = 1
EXTRA_TAB = 2


class SidePanel(QWidget):
    changed = Signal()  # a sampler parameter or the routing changed

    def __init__(self, model_text: Callable[[], str], parent: QWidget | None = None) -> None:
        """`model_text` reads the model field (a preset may hold the model)."""
        super().__init__(parent)
        self._model_text = model_text
        self.params = ParamPanel(self)
        self.params.changed.connect(self.changed)
        self.routing = RoutingEditor(self)
        self.routing.changed.connect(self.changed)
        routing_scroll = QScrollArea(self)
        routing_scroll.setWidgetResizable(True)
        routing_scroll.setWidget(self.routing)
        self.extra = ExtraFieldsEditor(self)
        self.extra.changed.connect(self.changed)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.params, "&Sampler")
        self.tabs.addTab(routing_scroll, "R&outing")
        self.tabs.addTab(self.extra, "E&xtra")
        self.tabs.setTabToolTip(EXTRA_TAB, "Request fields the sampler panel does not have, "
                                           "sent as written")
        self.presets = PresetBar(PresetStore(), self.screen_preset, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.presets)
        layout.addWidget(self.tabs, 1)

    def screen_preset(self) -> Preset:
        """What is on screen, as a preset (for saving and for the modified mark)."""
        return Preset.create("on screen", self.params.values(),
                             model=self._model_text() or None, routing=self.routing.routing(),
                             extra=self.extra.saved_value())

    def preset_name(self) -> str | None:
        """The preset the settings came from, for history."""
        preset = self.presets.selected()
        return preset.name if preset else None

    def routing_dump(self) -> dict[str, Any]:
        """The routing as documents and drafts keep it."""
        return self.routing.routing().model_dump(mode="json", exclude_defaults=True)

    def show_settings(self, params: Mapping[str, Any], routing: Any,
                      preset: str | None = None,
                      extra: Mapping[str, Any] | None = None) -> None:
        """Take these settings (a document's, a run's); raises `InvalidParameter` or pydantic's
        `ValidationError` naming what no longer passes."""
        self.presets.select(preset)
        self.params.set_values(dict(params))
        self.routing.set_routing(routing)
        self.extra.set_value(extra)

    def fit(self, connection: Connection, tokenize: Lookup | None) -> None:
        """Fit the panel to `connection`'s server: routing is NanoGPT's; fields its server
        ignores are greyed with the reason, its defaults are the hints, Mirostat greys what it
        replaces there; `tokenize` finds token ids for the token editors (local engine)."""
        from playground.core import dialects

        is_nanogpt = connection.kind == "nanogpt"
        self.tabs.setTabEnabled(ROUTING_TAB, is_nanogpt)
        self.tabs.setTabToolTip(ROUTING_TAB, "Where NanoGPT routes the request" if is_nanogpt
                                else "Provider routing is NanoGPT's; this connection does "
                                     "not use it")
        self.params.set_server(dialects.unsupported(connection.speaks),
                               dialects.server_defaults(connection.speaks))
        self.params.set_mirostat_replaces(dialects.mirostat_replaces(connection))
        self.params.set_lookup(tokenize)

    def fit_limits(self, connection: Connection, model: ModelInfo | None) -> None:
        """The hints and bounds from the connection's server (its own default and maximum)
        and the chosen model (its largest output), where they are known."""
        from playground.core import dialects
        from playground.core.catalog import Limits

        limits = dialects.limits(connection)
        if model is not None and model.max_output_tokens:
            limits["max_tokens"] = limits.get("max_tokens", Limits()).tighter(
                Limits(maximum=model.max_output_tokens))
        self.params.set_limits(limits)

    def apply_preset(self, preset: Preset) -> None:
        """A preset's parameters, and its routing when it has any (its model is the top
        bar's)."""
        self.params.set_values(preset.param_values())
        if preset.provider or preset.header_provider or preset.billing_mode:
            self.routing.set_routing(preset.routing())
        self.extra.set_value(preset.extra)
