"""The top bar's connections and models: every saved connection with its one client and key,
the connection chosen, and the model picker filled with that connection's models (each
connection remembering its own last model). What a connection means for the side panel is
the window's; this object says when the connection or its model list changed."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Signal

from playground.core.errors import InvalidParameter, PlaygroundError
from playground.core.keys import KeyStore
from playground.ui.live_connection import LiveConnection

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QComboBox

    from playground.ui.model_picker import ModelPicker

    Spawn = Callable[[str, Coroutine[Any, Any, Any]], asyncio.Task[Any]]


class ConnectionBar(QObject):
    changed = Signal()  # another connection was chosen, or the connections were read again
    models_listed = Signal()  # the current connection's model list arrived

    def __init__(self, box: QComboBox, picker: ModelPicker, spawn: Spawn,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box = box
        self.picker = picker
        self.keys = KeyStore()
        self.connections: dict[str, LiveConnection] = {}
        self.problems: list[str] = []  # what reading connections.json found
        self.clients_made = False  # clients exist (once the window's services started)
        self._spawn = spawn
        self._model_connection: str | None = None  # whose model the picker holds
        box.currentIndexChanged.connect(lambda _index: self.changed.emit())

    def current(self) -> LiveConnection:
        return self.connections[str(self.box.currentData())]

    def model_text(self) -> str:
        """The model field's text, "" while it is not a valid model id."""
        try:
            return self.picker.model_text()
        except InvalidParameter:
            return ""

    def run_model(self) -> str:
        """The model a run goes to: the one typed, else the connection's own ("" if none)."""
        return self.model_text() or self.current().connection.model or ""

    def reload(self) -> None:
        """(Re)read the connections; keep the clients of those that did not change."""
        from playground.core.connections import ConnectionStore

        old = self.connections
        self.connections = {}
        store = ConnectionStore()
        for connection in store.all():
            live = old.pop(connection.name, None)
            if live is None or live.connection != connection:
                if live is not None and live.client is not None:
                    self._spawn(f"close {connection.name}", live.client.aclose())
                live = LiveConnection(connection)
            self.connections[connection.name] = live
        for gone in old.values():
            if gone.client is not None:
                self._spawn(f"close {gone.connection.name}", gone.client.aclose())
        current = self.box.currentData()
        self.box.blockSignals(True)
        self.box.clear()
        for live in self.connections.values():
            self.box.addItem(live.connection.label, live.connection.name)
        self.box.setCurrentIndex(max(0, self.box.findData(current)))
        self.box.blockSignals(False)
        if self.clients_made:
            self.make_clients()
        self.problems = store.problems
        self.changed.emit()

    def make_clients(self) -> None:
        """One client per connection with a fixed URL (the local engine's comes when it has
        started), each given its key as the key policy says."""
        from playground.core.client import CompletionClient
        from playground.core.key_policy import decide

        self.clients_made = True
        for live in self.connections.values():
            if live.connection.base_url and live.client is None:
                live.client = CompletionClient(
                    live.connection.base_url, allow_insecure_key=live.connection.insecure_key_ok)
            if live.connection.kind == "local" or live.client is None:
                continue
            live.keys = decide(live.connection, self.keys)
            live.client.set_api_key(live.keys.key)
            missing = live.keys.missing
            live.problem = missing[:1].upper() + missing[1:] + "." if missing else None

    async def close(self) -> None:
        for live in self.connections.values():
            if live.client is not None:
                await live.client.aclose()
                live.client = None

    def show_connection(self, *, keep_model: bool) -> None:
        """Fit the model picker to the current connection: its cached models, its own default
        as the placeholder, suffixes only on NanoGPT. Unless `keep_model` (loading, or a tab
        brought forward with its own model), the connection left remembers its model and the
        one arrived at gets its own back."""
        from playground.core.models import cached_model_list

        live = self.current()
        connection = live.connection
        left, self._model_connection = self._model_connection, connection.name
        if not keep_model and left is not None and left != connection.name:
            settings = QSettings()
            settings.setValue(f"models/{left}", self.model_text())
            self.picker.set_model_text(str(settings.value(f"models/{connection.name}", "")))
        self.picker.set_placeholder(connection.model or "model id")
        self.picker.set_model_list(cached_model_list(connection.name),
                                   key_missing_for=_key_missing_for(live))
        is_nanogpt = connection.kind == "nanogpt"
        self.picker.suffix_button.setEnabled(is_nanogpt)
        self.picker.suffix_button.setToolTip(
            "NanoGPT's model suffixes: web search, memory, routing…" if is_nanogpt else
            "Model suffixes are NanoGPT's; this connection does not take them")
        if self.clients_made and live.client is not None:
            self._spawn("models", self._load_models(live))

    async def _load_models(self, live: LiveConnection) -> None:
        from playground.core.models import fetch_model_list

        assert live.client is not None
        listing = await fetch_model_list(live.client, live.connection.name)
        if live is self.current():
            self.picker.set_model_list(listing, key_missing_for=_key_missing_for(live))
            self.models_listed.emit()  # the chosen model's own largest output is known now

    async def providers(self, model: str) -> list[Any] | None:
        """NanoGPT's providers of `model` (None where there are none to ask or it failed)."""
        live = self.current()
        if live.connection.kind != "nanogpt" or live.client is None or not model:
            return None
        try:
            return list(await live.client.providers(model))
        except PlaygroundError:
            return None

    async def tokenize(self, text: str) -> list[tuple[int, str]]:
        live = self.current()
        if live.client is None:
            raise InvalidParameter("connection", "the connection is not ready")
        return await live.client.tokenize(text, self.run_model())


def _key_missing_for(live: LiveConnection) -> str | None:
    """The label of a connection that needs a key to list its models and has none."""
    return live.connection.label if live.keys is not None and live.keys.missing else None
