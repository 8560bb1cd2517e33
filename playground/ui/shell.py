"""What the window's parts (its run intents, its dialogs) may use of the window: one declared
interface instead of the window class itself, so that the parts do not import the window that
imports them."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtGui import QAction, QFont, QKeySequence
    from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QStatusBar

    from playground.core.history import History, RunRecord
    from playground.core.keys import KeyStore
    from playground.core.request import CompletionRequest
    from playground.core.runs import Run
    from playground.ui.document_view import DocumentView
    from playground.ui.front_tab import FrontTab
    from playground.ui.key_consent import KeyConsent
    from playground.ui.live_connection import LiveConnection
    from playground.ui.model_picker import ModelPicker
    from playground.ui.param_panel import ParamPanel
    from playground.ui.preset_bar import PresetBar
    from playground.ui.routing_editor import RoutingEditor
    from playground.ui.run_controller import RunController
    from playground.ui.side_panel import SidePanel
    from playground.ui.tab_session import TabSession


class Intents(Protocol):
    """What the dialogs ask of the run intents (`RunIntents`)."""

    def build_request(self, prompt: str | None = None,
                      suffix: str | None = None) -> CompletionRequest: ...
    def run(self) -> bool: ...
    def restore(self, record: RunRecord) -> bool: ...
    def rerun(self, record: RunRecord) -> None: ...


class Shell(Protocol):
    # The tab in front and its editors.
    @property
    def view(self) -> DocumentView: ...
    @property
    def prompt_edit(self) -> QPlainTextEdit: ...
    @property
    def error_label(self) -> QLabel: ...
    @property
    def shown(self) -> Run | None: ...

    # The top bar, the side panel and the status bar.
    model_picker: ModelPicker
    params: ParamPanel
    routing: RoutingEditor
    presets: PresetBar
    side: SidePanel
    connection_box: QComboBox
    status: QStatusBar
    notebook_action: QAction

    @property
    def connections(self) -> dict[str, LiveConnection]: ...
    @property
    def keys(self) -> KeyStore: ...
    def current(self) -> LiveConnection: ...
    def model_text(self) -> str: ...
    def preset_name(self) -> str | None: ...

    # Its other parts.
    runs: RunController
    history: History
    session: TabSession
    consent: KeyConsent
    intents: Intents
    front: FrontTab

    def spawn(self, name: str, job: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...
    def save_draft(self) -> None: ...
    def reload_connections(self) -> None: ...
    def set_text_font(self, font: QFont) -> None: ...
    def shortcuts(self) -> list[tuple[str, QKeySequence]]: ...
