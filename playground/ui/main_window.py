"""The main window: prompt and output in the centre, sampler and routing on the right, the
connection, model and Run/Stop on top, live figures below.

The window shows state and forwards intent: requests are built by `core` and run by the
`RunController` (the worker, the runs, undo, history records, the local engine), and every
async job it starts (engine start-up, model lists, token counts) keeps its task handle so
that quitting cancels it.

It is built in two stages so that it is on screen fast. The frame (menus, the top bar, the
prompt with the saved draft's text, the output, the status bar) needs only Qt and a few light
modules, and is what the first paint shows. The rest (the side panel, the model picker,
connections, history: pydantic, httpx and asyncio behind them) is built by `load()` after that
first frame, which is why those imports sit in the methods that need them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence, QPaintEvent, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground import __version__
from playground.core.draft import Draft, DraftStore
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.core.keys import KeyStore
from playground.core.token_estimate import estimate_tokens
from playground.ui.actions import build_menus, shortcuts
from playground.ui.dialogs import DialogSpec, LazyDialogs
from playground.ui.live_connection import LiveConnection
from playground.ui.shortcut_guard import ShortcutsWin
from playground.ui.stream_view import StreamView, TokenSpan
from playground.ui.widgets import error_label

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from PySide6.QtWidgets import QMessageBox

    from playground.core.connections import Connection
    from playground.core.documents import Document, DocumentStore
    from playground.core.engine_process import EngineProcess
    from playground.core.history import History, RunRecord
    from playground.core.presets import Preset
    from playground.core.request import CompletionRequest
    from playground.core.runs import Run, Screen
    from playground.ui.compare_view import Base, CompareView
    from playground.ui.history_panel import HistoryPanel
    from playground.ui.model_picker import ModelPicker
    from playground.ui.param_panel import ParamPanel
    from playground.ui.preset_bar import PresetBar
    from playground.ui.preview_dialog import RequestPreviewDialog
    from playground.ui.routing_editor import RoutingEditor
    from playground.ui.run_controller import RunController
    from playground.ui.sampler_lab import SamplerLab
    from playground.ui.settings_dialog import SettingsDialog
    from playground.ui.theme import Appearance
    from playground.ui.worker import RunWorker

DRAFT_DELAY_MS = 400
COUNT_DELAY_MS = 250
LOCAL_URL_SHOWN = "http://127.0.0.1:PORT/v1"  # the local engine before it has a port


class MainWindow(QMainWindow):
    first_frame = Signal()  # the first frame is painted (the app then calls `load()`)
    ready = Signal()  # services started
    run_finished = Signal(object)  # RunResult

    # Made by `build_menus` from the table in `actions`.
    settings_action: QAction
    run_action: QAction
    stop_action: QAction
    continue_action: QAction
    undo_action: QAction
    neutralize_action: QAction
    preview_action: QAction
    compare_action: QAction
    history_action: QAction
    lab_action: QAction

    def __init__(self, *, deferred: bool = False) -> None:
        """With `deferred`, only the frame is built and `load()` must follow; otherwise the
        whole window is built at once."""
        super().__init__()
        self.setWindowTitle("NanoGPT Prompt Playground")
        self.keys = KeyStore()
        self.connections: dict[str, LiveConnection] = {}
        self._connection_problems: list[str] = []  # what reading connections.json found
        self._model_connection: str | None = None  # whose model the model picker holds
        self.drafts = DraftStore()
        self._draft, self._draft_problem = self.drafts.load()
        self.document: Document | None = None  # the document on screen, once loaded
        self.loaded = False
        self._painted = False
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._key_question: QMessageBox | None = None
        self.dialogs = LazyDialogs({
            "preview": DialogSpec(self._make_preview, self._refresh_preview),
            "settings": DialogSpec(self._make_settings),
            "compare": DialogSpec(self._make_compare),
            "history": DialogSpec(self._make_history, self._refresh_history),
            "lab": DialogSpec(self._make_lab, lambda: self._spawn("lab", self._refresh_lab())),
        })
        self._build_frame()
        self._restore_frame()
        if not deferred:
            for step in self._loading_steps():
                step()

    async def load(self) -> None:
        """Build what the frame left out, returning to the event loop between steps so that
        the window keeps painting and taking keys (typing goes into the prompt already)."""
        import asyncio

        for step in self._loading_steps():
            step()
            await asyncio.sleep(0)

    def _loading_steps(self) -> list[Callable[[], None]]:
        return [self._build_panels, self._open_history, self._open_document,
                self._reload_connections, self._finish_loading]

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._first_frame_painted)  # once the whole frame is drawn

    def _first_frame_painted(self) -> None:
        self.first_frame.emit()

    # --- layout -------------------------------------------------------------------------

    def _build_frame(self) -> None:
        top = QWidget(self)
        self._top_bar = bar = QHBoxLayout(top)
        bar.setContentsMargins(8, 6, 8, 6)
        self.connection_box = QComboBox(top)
        self.connection_box.setAccessibleName("connection")
        self.connection_box.setToolTip("Where requests go")
        # Filled by `load()`, after the first show that the default policy sizes it at.
        self.connection_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # Stands in for the model picker until `load()` builds it; same place, same size.
        self._model_stand_in = QLineEdit(self._draft.model, top)
        self._model_stand_in.setAccessibleName("model")
        self._model_stand_in.setEnabled(False)
        self.run_button = QPushButton("Run", top)
        self.run_button.setToolTip("Run the prompt (Ctrl+Enter)")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", top)
        self.stop_button.setToolTip("Stop the run, keeping the text so far (Esc)")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        connection_label = QLabel("&Connection", top)
        connection_label.setBuddy(self.connection_box)
        self._model_label = QLabel("&Model", top)
        self._model_label.setBuddy(self._model_stand_in)
        bar.addWidget(connection_label)
        bar.addWidget(self.connection_box)
        bar.addSpacing(8)
        bar.addWidget(self._model_label)
        bar.addWidget(self._model_stand_in, 1)
        bar.addSpacing(8)
        bar.addWidget(self.run_button)
        bar.addWidget(self.stop_button)

        self.prompt_edit = QPlainTextEdit(self)
        self.prompt_edit.setAccessibleName("prompt")
        self.prompt_edit.setPlaceholderText("Write a prompt; the model continues it.\n\n"
                                            "Ctrl+Enter runs, Esc stops.")
        self.output = StreamView(self)
        self.output.setAccessibleName("output")
        self.output.setPlaceholderText("The completion streams in here.")
        self.output.token_clicked.connect(self._token_clicked)
        self._span_end = 0  # where the next token without an offset starts
        self.error_label = error_label(self)
        self._banner_shows_invalid_input = False

        output_box = QWidget(self)
        output_layout = QVBoxLayout(output_box)
        output_layout.setContentsMargins(0, 0, 0, 0)
        output_layout.addWidget(self.error_label)
        output_layout.addWidget(self.output, 1)

        self.editor_split = QSplitter(Qt.Orientation.Vertical, self)
        self.editor_split.addWidget(self.prompt_edit)
        self.editor_split.addWidget(output_box)
        self.editor_split.setSizes([300, 400])
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.addWidget(self.editor_split)
        self.main_split.addWidget(QWidget(self))  # the side panel's place until `load()`
        self.main_split.setStretchFactor(0, 3)
        self.main_split.setStretchFactor(1, 2)
        self.main_split.setSizes([720, 440])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(top)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        self.status = QStatusBar(self)
        self.counts = QLabel(self)
        self.counts.setAccessibleName("prompt size")
        self.figures = QLabel(self)
        self.figures.setAccessibleName("run figures")
        self.status.addWidget(self.counts)
        self.status.addPermanentWidget(self.figures)
        self.setStatusBar(self.status)
        self.status.showMessage("Loading…")
        self._build_menus()
        self.setTabOrder(self.connection_box, self.prompt_edit)
        self.resize(1200, 780)

        self._draft_timer = _single_shot(self, DRAFT_DELAY_MS, self.save_draft)
        self._count_timer = _single_shot(self, COUNT_DELAY_MS, self._count_tokens)

    def _build_panels(self) -> None:
        from playground.core.presets import PresetStore
        from playground.ui.model_picker import ModelPicker
        from playground.ui.param_panel import ParamPanel
        from playground.ui.preset_bar import PresetBar
        from playground.ui.routing_editor import RoutingEditor

        self.model_picker: ModelPicker = ModelPicker(self.connection_box.parentWidget())
        self.model_picker.changed.connect(self._model_changed)
        self.connection_box.currentIndexChanged.connect(self._connection_changed)
        self._top_bar.replaceWidget(self._model_stand_in, self.model_picker)
        self._model_stand_in.hide()
        self._model_stand_in.deleteLater()
        self._model_label.setBuddy(self.model_picker.field)
        self.setTabOrder(self.connection_box, self.model_picker.field)
        self.setTabOrder(self.model_picker.field, self.prompt_edit)

        self.params: ParamPanel = ParamPanel(self)
        self.params.changed.connect(self._request_changed)
        self.routing: RoutingEditor = RoutingEditor(self)
        self.routing.changed.connect(self._request_changed)
        routing_scroll = QScrollArea(self)
        routing_scroll.setWidgetResizable(True)
        routing_scroll.setWidget(self.routing)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.addTab(self.params, "&Sampler")
        self.side_tabs.addTab(routing_scroll, "R&outing")
        self.presets: PresetBar = PresetBar(PresetStore(), self._screen_preset, self)
        self.presets.apply_requested.connect(self.apply_preset)
        self.presets.message.connect(self._say)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 4, 0, 0)
        side_layout.addWidget(self.presets)
        side_layout.addWidget(self.side_tabs, 1)
        placeholder = self.main_split.replaceWidget(1, side)
        placeholder.hide()
        placeholder.deleteLater()

    def _open_history(self) -> None:
        """History, and the run controller that records into it."""
        from playground.core.history import History
        from playground.ui.run_controller import RunController

        self.history: History = History()
        self.runs: RunController = RunController(self.history, lambda: self.connections,
                                                 self.current, self._spawn, self)
        self.runs.started.connect(self._on_started)
        self.runs.text.connect(self.output.append_text)
        self.runs.logprobs.connect(self._add_spans)
        self.runs.finished.connect(self._on_finished)
        self.runs.undo_available.connect(self.undo_action.setEnabled)
        self.runs.refused.connect(self._refuse)
        self.runs.waiting_for_engine.connect(self._waiting_for_engine)
        self.runs.engine_changed.connect(self._connection_changed)
        self.runs.message.connect(self.status.showMessage)

    # What the tests and the app's bootstrap read of the runs; the controller owns them.

    @property
    def worker(self) -> RunWorker:
        return self.runs.worker

    @property
    def shown(self) -> Run | None:
        """The run whose output is on screen."""
        return self.runs.shown

    @property
    def engine(self) -> EngineProcess | None:
        """The local engine this window started, if it did."""
        return self.runs.engine

    def _finish_loading(self) -> None:
        """Apply the saved draft's settings (its prompt is on screen since the first frame,
        perhaps edited since), then let the inputs take effect."""
        self._apply_settings(self._draft)
        self.prompt_edit.textChanged.connect(self._prompt_changed)
        for action in self._after_loading:
            action.setEnabled(True)
        self.loaded = True
        self.status.clearMessage()
        self._prompt_changed()
        problems = [p for p in (self._draft_problem, self.history.problem,
                                *self.documents.problems, *self._connection_problems) if p]
        if problems:  # said where it stays until read: the status bar is soon overwritten
            self._show_error("\n".join(problems))

    def _build_menus(self) -> None:
        made = build_menus(self)
        # Until `load()` has built what they act on; Quit and Help work from the first frame.
        self._after_loading = [action for spec, action in made.items()
                               if spec.enabled == "loaded"]
        # Undo Last Run's key is the editors' own redo on Linux; the action wins (Ctrl+Y
        # still redoes typing).
        guard = ShortcutsWin([self.undo_action], self)
        self.prompt_edit.installEventFilter(guard)
        self.output.installEventFilter(guard)

    def shortcuts(self) -> list[tuple[str, QKeySequence]]:
        """Every keyboard shortcut, for Help → Keyboard Shortcuts."""
        return shortcuts()

    def set_text_font(self, font: QFont) -> None:
        """The font people read and write in: the prompt and the output."""
        self.prompt_edit.setFont(font)
        self.output.setFont(font)

    # --- state that outlives a session -------------------------------------------------------

    def _restore_frame(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for split in (self.main_split, self.editor_split):
            state = settings.value(f"window/{split.orientation().name}")
            if state is not None:
                split.restoreState(state)
        self.prompt_edit.setPlainText(self._draft.prompt)

    def _apply_settings(self, draft: Draft) -> None:
        """Everything of a draft but its prompt."""
        from pydantic import ValidationError

        from playground.core.routing import Routing

        index = self.connection_box.findData(draft.connection)
        if index >= 0:
            self.connection_box.setCurrentIndex(index)
        self.model_picker.set_model_text(draft.model)
        try:
            self.params.set_values(draft.params)
            self.routing.set_routing(Routing.model_validate(draft.routing))
        except (InvalidParameter, ValidationError):
            self.status.showMessage("Part of the saved draft was not valid and was left out.")

    def current_draft(self) -> Draft:
        if not self.loaded:  # only the prompt can have changed yet
            return replace(self._draft, prompt=self.prompt_edit.toPlainText())
        routing = self.routing.routing()
        return Draft(prompt=self.prompt_edit.toPlainText(),
                     connection=str(self.connection_box.currentData()),
                     model=self._model_text(), params=self.params.all_values(),
                     routing=routing.model_dump(mode="json", exclude_defaults=True))

    def save_draft(self) -> None:
        """Keep what is on screen: in the draft (read at the next start before anything else,
        for the first frame) and in the open document."""
        draft = self.current_draft()
        try:
            self.drafts.save(draft)
        except OSError as exc:
            self.status.showMessage(f"The draft could not be saved: {exc}", 10000)
        if self.document is None or not self.loaded:
            return
        import sqlite3

        try:
            self.document = self.documents.save(replace(
                self.document, prompt=draft.prompt, model=draft.model,
                connection=draft.connection, params=draft.params, routing=draft.routing,
                preset=self.preset_name()))
        except (PlaygroundError, OSError, sqlite3.Error) as exc:
            self.status.showMessage(f"The document could not be saved: {exc}", 10000)

    def _open_document(self) -> None:
        """The document the window works in: the one open last time; the first time, the
        draft that became a document, else a new document holding the draft."""
        from playground.core.documents import DocumentStore
        from playground.core.documents.store import DRAFT_NAME

        self.documents: DocumentStore = DocumentStore()
        settings = QSettings()
        document = None
        try:
            document = self.documents.get(int(settings.value("document/current")))
        except (InvalidParameter, TypeError, ValueError):
            try:
                adopted = self.documents.find(DRAFT_NAME)
            except InvalidParameter:
                adopted = None
            if adopted is not None and adopted.prompt == self._draft.prompt:
                document = adopted
        if document is None:
            document = self.documents.create(prompt=self._draft.prompt)
        self.document = document
        settings.setValue("document/current", document.id)
        self.documents.touch(document.id)
        self.setWindowTitle(f"{document.name} — NanoGPT Prompt Playground")

    def _save_window_state(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        for split in (self.main_split, self.editor_split):
            settings.setValue(f"window/{split.orientation().name}", split.saveState())

    # --- connections and services -------------------------------------------------------------

    def _reload_connections(self) -> None:
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
        current = self.connection_box.currentData()
        self.connection_box.blockSignals(True)
        self.connection_box.clear()
        for live in self.connections.values():
            self.connection_box.addItem(live.connection.label, live.connection.name)
        self.connection_box.setCurrentIndex(max(0, self.connection_box.findData(current)))
        self.connection_box.blockSignals(False)
        if self.runs.services_started:
            self._create_clients()
        self._connection_changed()
        self._connection_problems = store.problems
        if store.problems:
            self.status.showMessage("  ·  ".join(store.problems), 15000)

    async def start_services(self) -> None:
        """Create one client per connection with a fixed URL; start the local engine (in its
        own process) if it is the current connection. Otherwise it starts when first chosen."""
        self.runs.services_started = True
        self._create_clients()
        if self.current().connection.kind == "local":
            await self.runs.start_engine()
        self._connection_changed()
        self.ready.emit()

    def _create_clients(self) -> None:
        from playground.core.client import CompletionClient

        for live in self.connections.values():
            if live.connection.base_url and live.client is None:
                live.client = CompletionClient(
                    live.connection.base_url, allow_insecure_key=live.connection.insecure_key_ok)
            self._refresh_key(live)

    def _refresh_key(self, live: LiveConnection) -> None:
        """Give the client its connection's key, if it has one; NanoGPT cannot run without.
        A key that would go over plain http to another computer waits for a confirmation."""
        connection = live.connection
        if connection.kind == "local" or live.client is None:
            return
        found = self.keys.get(connection.name)
        live.has_key = found is not None
        live.key_waiting = live.has_key and connection.key_needs_confirmation
        live.client.set_api_key(found.key if found and not live.key_waiting else None)
        live.problem = None if found or not connection.needs_key else (
            f"No API key for {connection.label}: set "
            f"{self.keys.env_var(connection.name)} or save one in File → Settings.")

    async def shutdown(self) -> None:
        """Cancel every job, close every client, stop the engine. Nothing is left running."""
        import asyncio

        self._draft_timer.stop()
        self._count_timer.stop()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        if not self.loaded:  # closed while loading: no run, client or engine exists yet
            return
        await self.runs.shutdown()
        for name in ("lab", "compare"):
            dialog = self.dialogs.get(name)
            if dialog is not None:
                await dialog.shutdown()
        self.history.close()
        self.save_draft()
        self.document = None  # from here on, only the draft is written (on closing)
        self.documents.close()
        for live in self.connections.values():
            if live.client is not None:
                await live.client.aclose()
                live.client = None
        self.runs.stop_engine()

    def _spawn(self, name: str, job: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `job` as the one task called `name`, replacing (cancelling) an older one."""
        import asyncio

        old = self._tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        task = self._tasks[name] = asyncio.ensure_future(job)
        return task

    def current(self) -> LiveConnection:
        return self.connections[str(self.connection_box.currentData())]

    def _connection_changed(self) -> None:
        from playground.core import dialects
        from playground.core.models import cached_model_list

        if not self.connections:
            return
        live = self.current()
        connection = live.connection
        self._switch_model(connection)
        self.model_picker.set_placeholder(connection.model or "model id")
        self.model_picker.set_model_list(cached_model_list(connection.name),
                                         key_missing_for=_key_missing_for(live))
        self.run_button.setEnabled(live.client is not None and not self.stop_button.isEnabled())
        is_nanogpt = connection.kind == "nanogpt"
        self.model_picker.suffix_button.setEnabled(is_nanogpt)
        self.model_picker.suffix_button.setToolTip(
            "NanoGPT's model suffixes: web search, memory, routing…" if is_nanogpt else
            "Model suffixes are NanoGPT's; this connection does not take them")
        self.side_tabs.setTabEnabled(1, is_nanogpt)
        self.side_tabs.setTabToolTip(1, "Where NanoGPT routes the request" if is_nanogpt
                                     else "Provider routing is NanoGPT's; this connection "
                                          "does not use it")
        self.params.set_server(dialects.unsupported(connection.dialect),
                               dialects.server_defaults(connection.dialect))
        self.params.set_mirostat_replaces(dialects.mirostat_replaces(connection))
        self._apply_limits()
        self.params.set_lookup(self._tokenize if connection.kind == "local" else None)
        if self.runs.services_started:
            if connection.kind == "local" and self.runs.engine is None:
                self.runs.start_engine_soon()
            if live.client is not None:
                self._spawn("models", self._load_models(live))
        self._count_timer.start()
        self._request_changed()

    def _switch_model(self, connection: Connection) -> None:
        """Each connection keeps its own last model (and NanoGPT its suffixes): leaving one
        remembers its model, arriving at another brings back that one's."""
        left = self._model_connection
        self._model_connection = connection.name
        if left is None or left == connection.name or not self.loaded:
            return  # while loading, the draft's own model follows
        settings = QSettings()
        settings.setValue(f"models/{left}", self._model_text())
        self.model_picker.set_model_text(str(settings.value(f"models/{connection.name}", "")))

    async def _load_models(self, live: LiveConnection) -> None:
        from playground.core.models import fetch_model_list

        assert live.client is not None
        listing = await fetch_model_list(live.client, live.connection.name)
        if live is self.current():
            self.model_picker.set_model_list(listing, key_missing_for=_key_missing_for(live))
            self._apply_limits()  # the chosen model's own largest output is known now

    async def _load_providers(self, live: LiveConnection, model: str) -> None:
        assert live.client is not None
        try:
            providers = await live.client.providers(model)
        except PlaygroundError:
            return
        self.routing.set_providers(providers)

    async def _tokenize(self, text: str) -> list[tuple[int, str]]:
        live = self.current()
        if live.client is None:
            raise InvalidParameter("connection", "the connection is not ready")
        return await live.client.tokenize(text, self._model_text() or live.connection.model)

    def _model_text(self) -> str:
        try:
            return self.model_picker.model_text()
        except InvalidParameter:
            return ""

    def _apply_limits(self) -> None:
        """The panel's hints and bounds from the connection's server (its own default and
        maximum) and the chosen model (its largest output), where they are known."""
        from playground.core import dialects
        from playground.core.catalog import Limits

        limits = dialects.limits(self.current().connection)
        info = self.model_picker.selected_info()
        if info is not None and info.max_output_tokens:
            limits["max_tokens"] = limits.get("max_tokens", Limits()).tighter(
                Limits(maximum=info.max_output_tokens))
        self.params.set_limits(limits)

    def _model_changed(self) -> None:
        if self.connections:
            self._apply_limits()
        self.routing.set_model(None if self.model_picker.error() else
                               self.model_picker.model_id())
        self.presets.model_changed(self._model_text())
        live = self.current()
        if live.connection.kind == "nanogpt" and live.client is not None and self._model_text():
            self._spawn("providers", self._load_providers(live, self._model_text()))
        self._request_changed()

    # --- prompt ---------------------------------------------------------------------------------

    def _prompt_changed(self) -> None:
        text = self.prompt_edit.toPlainText()
        self.counts.setText(f"{len(text):,} characters")
        self._count_timer.start()
        self._request_changed()

    def _count_tokens(self) -> None:
        text = self.prompt_edit.toPlainText()
        live = self.current() if self.connections else None
        if (live is not None and live.connection.kind == "local" and not self.runs.engine_died()
                and live.client is not None):
            self._spawn("count", self._count_exactly(text))
        else:
            self._show_counts(text, estimate_tokens(text), exact=False)

    async def _count_exactly(self, text: str) -> None:
        try:
            tokens = await self._tokenize(text)
        except PlaygroundError:
            self._show_counts(text, estimate_tokens(text), exact=False)
            return
        self._show_counts(text, len(tokens), exact=True)

    def _show_counts(self, text: str, tokens: int, *, exact: bool) -> None:
        if text != self.prompt_edit.toPlainText():
            return  # an older count
        token_text = f"{tokens:,} tokens" if exact else f"≈{tokens:,} tokens (estimate)"
        self.counts.setText(f"{len(text):,} characters · {token_text}")
        self.counts.setToolTip("Counted by the local engine's tokenizer" if exact else
                               "Estimated from the text's bytes, as byte-level tokenizers "
                               "split it; this connection has no tokenizer to count with")

    def _request_changed(self) -> None:
        if not self._draft_timer.isActive():  # at most DRAFT_DELAY_MS after the first change,
            self._draft_timer.start()  # however fast the typing goes on
        self.presets.refresh_modified()
        self._recheck_inputs()
        preview, lab = self.dialogs.get("preview"), self.dialogs.get("lab")
        if preview is not None and preview.isVisible():
            self._refresh_preview()
        if lab is not None:
            lab.parameters_changed()

    # --- running --------------------------------------------------------------------------------

    def build_request(self) -> CompletionRequest:
        """The request the current inputs describe; raises `InvalidParameter` naming every
        invalid input, one a line."""
        from playground.core.request import build_request
        from playground.core.routing import Routing

        problems = [*self.params.errors(), self.model_picker.error(), self.routing.error()]
        problems = [problem for problem in problems if problem]
        if problems:
            raise InvalidParameter("input", "\n".join(problems))
        connection = self.current().connection
        model = self._model_text() or connection.model
        if not model:
            raise InvalidParameter("model", "model: this connection has no default model; "
                                            "choose or type one")
        routing = self.routing.routing() if connection.kind == "nanogpt" else Routing()
        return build_request(self.prompt_edit.toPlainText(), model, self.params.values(),
                             routing, dialect=connection.dialect)

    def run(self, *, before: Screen | None = None, parent: Run | None = None) -> bool:
        """Run the current inputs; False (with the reason shown) if they cannot run.
        `before` is what Undo Last Run restores (default: now); `parent` the run this one
        branches from. Both travel with the run to its record."""
        before = before or self._screen()
        try:
            request = self.build_request()
        except InvalidParameter as exc:
            self._refuse(exc.message, invalid_input=True)
            return False

        def again() -> bool:
            return self.run(before=before, parent=parent)

        if not self._key_may_go(again):
            return False
        return self.runs.run(request, self.current(), before=before, parent=parent,
                             preset=self.preset_name(), again=again)

    def _waiting_for_engine(self) -> None:
        """Said on screen, so that a run asked for while the local engine (re)starts is not
        taken for one that did nothing."""
        self.error_label.hide()
        self.figures.setText("Starting the local engine…")

    def _screen(self) -> Screen:
        from playground.core.runs import Screen

        return Screen(self.prompt_edit.toPlainText(), self.output.text(), self.runs.shown)

    def _refuse(self, message: str, *, invalid_input: bool = False) -> None:
        """A run asked for did not go: say why where its output would be. A refusal for
        `invalid_input` goes away by itself once the inputs are valid again."""
        from playground.core.runs import NOT_SENT

        self._show_error(message)
        self._banner_shows_invalid_input = invalid_input  # after _show_error, which resets it
        self.figures.setText(NOT_SENT.text())

    def _recheck_inputs(self) -> None:
        """Keep a banner about invalid inputs true as they are edited: it names what is
        still wrong, and goes once nothing is."""
        if not (self._banner_shows_invalid_input and self.error_label.isVisible()):
            return
        try:
            self.build_request()
        except InvalidParameter as exc:
            self.error_label.setText(exc.message)
        else:
            self.error_label.hide()

    def _key_may_go(self, then: Callable[[], object], parent: QWidget | None = None) -> bool:
        """Whether the current connection can send now. Not while its key waits for leave to
        go over plain http: then ask (window-modal over `parent`, this window by default),
        and once the person agrees, remember it and call `then`, the run they asked for."""
        live = self.current()
        if not live.key_waiting:
            return True
        if self._key_question is None:
            self._key_question = self._ask_to_send_key(live.connection, then, parent or self)
        else:
            self._key_question.raise_()
        return False

    def _ask_to_send_key(self, connection: Connection, then: Callable[[], object],
                         parent: QWidget) -> QMessageBox:
        """Opened with `open()`: a nested event loop (`exec()`) would stall the qasync loop."""
        from PySide6.QtWidgets import QMessageBox

        host = QUrl(connection.base_url or "").host()
        box = QMessageBox(QMessageBox.Icon.Warning, "Send the Key Unencrypted?",
                          f"Send the API key of {connection.label} to {host} over plain http?",
                          QMessageBox.StandardButton.NoButton, parent)
        box.setObjectName("sendKeyQuestion")
        box.setInformativeText(
            f"{connection.base_url} is plain http and not this computer, so the key would "
            "cross the network unencrypted: anyone on the way could read it and use it. Prefer "
            "an https:// base URL if the server has one.\n\nIf you send it, the app remembers "
            "that for this connection; File → Settings can forget it.")
        send = box.addButton("Send the Key", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:  # on any close: a button, Esc or the title bar's ×
            self._key_question = None
            self._key_answered(connection, box.clickedButton() is send, then)

        box.finished.connect(answered)
        box.open()
        return box

    def _key_answered(self, connection: Connection, send: bool,
                      then: Callable[[], object]) -> None:
        from playground.core.connections import ConnectionStore

        if not send:
            self._show_error(f"Not run: {_not_sent(connection)}. Run again to be asked again, "
                             "or remove its key in File → Settings to run without one.")
            return
        store = ConnectionStore()
        try:
            if store.get(connection.name).base_url != connection.base_url:
                raise InvalidParameter("connection", f"{connection.label} changed meanwhile; "
                                       "run again to be asked about its new base URL")
            store.allow_insecure_key(connection.name)
        except (InvalidParameter, OSError) as exc:
            self._show_error(f"Not run: {exc}")
            return
        self._reload_connections()
        settings = self.dialogs.get("settings")
        if settings is not None:
            settings.connections_page.reload()
        then()

    def stop(self) -> None:
        """Stop the run, keeping the text so far."""
        if self.loaded:
            self.runs.stop()

    def neutralize(self) -> None:
        """Every sampler to its neutral value."""
        self.params.neutralize()

    def continue_run(self) -> bool:
        """Append the output to the prompt (undoable in the editor too) and run again."""
        if not self._key_may_go(self.continue_run):
            return False
        before = self._screen()
        if before.output:
            cursor = QTextCursor(self.prompt_edit.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(before.output)
        return self.run(before=before)

    def undo_run(self) -> None:
        """Put back the prompt and the output (with its run's tinting and figures) from
        before the last run; a run still going is stopped and recorded as such."""
        before = self.runs.undo()
        if before is None:
            return
        self.prompt_edit.setPlainText(before.prompt)
        self.error_label.hide()
        self._put_back(before)

    def _put_back(self, screen: Screen) -> None:
        """Show the output `screen` had, with its run's tinting and figures."""
        if screen.run is not None:
            self._show_run(screen.run)
        else:
            self.runs.shown = None
            self.output.setPlainText(screen.output)
            self.figures.clear()

    def _show_run(self, run: Run) -> None:
        """Put a run that is over on screen: its output, tinting and figures."""
        self.runs.shown = run
        self.output.setPlainText(run.result.text)
        self._span_end = 0
        self._add_spans(run.result.logprobs)
        self.figures.setText(run.figures.text())

    def _on_started(self, run: Run) -> None:
        self.output.clear()
        self._span_end = 0
        self.error_label.hide()
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.figures.setText("Running…")

    def _add_spans(self, batch: list[Any]) -> None:
        """Colour the shown run's tokens by probability; their alternatives become branch
        points."""
        from playground.core import logprobs

        spans = []
        for entry in logprobs.read_all(batch):
            if entry.logprob is None:
                continue
            start = entry.offset if entry.offset is not None else self._span_end
            self._span_end = start + len(entry.token)
            spans.append(TokenSpan(start, self._span_end, entry.logprob,
                                   tuple((a.token, a.logprob) for a in entry.top)))
        self.output.add_spans(spans)

    def _token_clicked(self, span: TokenSpan, where: QPoint) -> None:
        """Offer the alternatives at a token; choosing one runs a branch from there."""
        if not span.alternatives or self.shown is None:
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setToolTipsVisible(True)
        for token, logprob in span.alternatives:
            action = menu.addAction(f"{token!r}   {math.exp(logprob):.1%}")
            action.setToolTip("Run again from here with this token instead")
            action.setData((span.start, token))
        menu.triggered.connect(self._branch_chosen)
        menu.popup(where)

    def _branch_chosen(self, action: QAction) -> None:
        offset, token = action.data()
        self.branch(offset, token)

    def branch(self, offset: int, token: str) -> bool:
        """Run from the shown run's prompt plus its output up to `offset`, then `token`; the
        new run's parent is the shown run. False (with the reason shown) if it did not go."""
        assert self.shown is not None
        if not self._key_may_go(lambda: self.branch(offset, token)):
            return False
        before = self._screen()
        source, prompt = self.runs.branch_prompt(offset, token)
        self.prompt_edit.setPlainText(prompt)
        return self.run(before=before, parent=source)

    def preset_name(self) -> str | None:
        """The preset the settings came from, for history."""
        preset = self.presets.selected()
        return preset.name if preset else None

    def _on_finished(self, run: Run, engine_news: str | None) -> None:
        """The run is recorded: show how it ended if it is still the one on screen, and
        `engine_news` (the local engine died meanwhile) with its error."""
        result = run.result
        self._refresh_history()
        self.stop_button.setEnabled(False)
        self.run_button.setEnabled(self.current().client is not None)
        if run is self.shown:
            if result.error is not None and not result.text and run.before is not None:
                self._put_back(run.before)  # refused before any text: keep what was there
            self.figures.setText(run.figures.text())
            if result.error is not None:
                hint = result.error.hint if engine_news is None else engine_news
                hint_html = f"<br><i>{html.escape(hint)}</i>" if hint else ""
                self._show_error(f"{html.escape(str(result.error))}{hint_html}", rich=True)
            lab = self.dialogs.get("lab")
            if lab is not None and lab.isVisible():
                self._spawn("lab", self._refresh_lab())
        self.run_finished.emit(result)

    def _say(self, text: str) -> None:
        self.status.showMessage(text, 5000)

    def _show_error(self, message: str, *, rich: bool = False) -> None:
        self._banner_shows_invalid_input = False
        self.error_label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.error_label.setText(message)
        self.error_label.show()

    # --- dialogs ----------------------------------------------------------------------------------

    def open_preview(self) -> None:
        self.dialogs.open("preview")

    def _make_preview(self) -> RequestPreviewDialog:
        from playground.ui.preview_dialog import RequestPreviewDialog

        return RequestPreviewDialog(self)

    def _refresh_preview(self) -> None:
        preview = self.dialogs.get("preview")
        live = self.current()
        connection = live.connection
        try:
            request = self.build_request()
        except InvalidParameter as exc:
            preview.note_label.setText(f"Not valid yet: {exc.message}")
            preview.note_label.show()
            return
        base_url = live.client.base_url if live.client else (connection.base_url
                                                              or LOCAL_URL_SHOWN)
        sends_key = connection.needs_key or live.has_key
        notes = request.translation().notes
        preview.show_request(
            request, base_url, key_env=self.keys.env_var(connection.name) if sends_key else None,
            note=f"Sent as {connection.dialect}: " + "; ".join(notes) if notes else None,
            local=connection.kind == "local")

    def open_compare(self) -> None:
        self.dialogs.open("compare")

    def _make_compare(self) -> CompareView:
        from playground.ui.compare_view import CompareView

        compare = CompareView(self._compare_base, parent=self, preview=self.build_request)
        compare.recorded.connect(self._record_comparison)
        compare.keep_requested.connect(self._keep_compared)
        return compare

    def _record_comparison(self, runs: list[Run]) -> None:
        from playground.core.compare import new_group_id

        group = new_group_id()
        for run in runs:
            self.runs.record(run, group=group)
        self._refresh_history()

    def _compare_base(self) -> Base:
        """What every comparison column shares: this window's connection, prompt, model and
        parameters. Raises `InvalidParameter` when they cannot run."""
        from playground.ui.compare_view import Base

        live = self.current()
        if live.client is None or live.problem:
            raise InvalidParameter("connection", live.problem or
                                   "the connection is still starting")
        request = self.build_request()
        compare = self.dialogs.get("compare")
        if not self._key_may_go(compare.run_all, compare):
            raise InvalidParameter("api_key", _not_sent(live.connection))
        return Base(client=live.client, prompt=request.prompt, model=request.model.compose(),
                    params=self.params.values(), dialect=request.dialect,
                    connection=live.connection.name, preset=self.preset_name())

    def _keep_compared(self, params: dict[str, Any]) -> None:
        """A comparison column's settings become the window's, then Save As asks a name."""
        self.params.set_values(params)
        self.presets.save_as()

    # --- presets and history ------------------------------------------------------------------

    def _screen_preset(self) -> Preset:
        """What is on screen, as a preset (for saving and for the modified mark)."""
        from playground.core.presets import Preset

        return Preset.create("on screen", self.params.all_values(),
                             model=self._model_text() or None, routing=self.routing.routing())

    def apply_preset(self, preset: Preset) -> None:
        self.params.set_values(preset.param_values())
        if preset.model:
            self.model_picker.set_model_text(preset.model)
        if preset.provider or preset.header_provider or preset.billing_mode:
            self.routing.set_routing(preset.routing())
        self.status.showMessage(f"Preset {preset.name} applied", 4000)

    def open_history(self) -> None:
        self.dialogs.open("history")

    def _make_history(self) -> HistoryPanel:
        from playground.ui.history_panel import HistoryPanel

        panel = HistoryPanel(self.history, self)
        panel.restore_requested.connect(self.restore_run)
        panel.rerun_requested.connect(self.rerun)
        return panel

    def _refresh_history(self) -> None:
        """The history panel, if it was opened, lists the runs recorded since."""
        panel = self.dialogs.get("history")
        if panel is not None:
            panel.refresh()

    def restore_run(self, record: RunRecord) -> bool:
        """Put a past run's prompt and settings back on screen; False if they no longer
        pass the catalog (the reason is shown)."""
        from pydantic import ValidationError

        from playground.core.runs import Figures, Run, RunResult

        try:
            run = Run(record.to_request(), connection=record.connection,
                      preset=record.preset, result=RunResult(text=record.output),
                      record_id=record.id,
                      restored=Figures.of_record(
                          cancelled=record.cancelled, failed=record.error is not None,
                          finish_reason=record.finish_reason, ttft_ms=record.ttft_ms,
                          tokens_per_s=record.tokens_per_s, usage=record.usage,
                          cost=record.cost))
            self.params.set_values(record.params())
            self.routing.set_routing(record.to_routing())
        except (InvalidParameter, ValidationError) as exc:
            self._show_error(f"Run #{record.id} cannot be restored: {exc}")
            return False
        index = self.connection_box.findData(record.connection)
        if index >= 0:
            self.connection_box.setCurrentIndex(index)
        self.model_picker.set_model_text(record.model)
        self.prompt_edit.setPlainText(record.prompt)
        self.error_label.hide()
        self._show_run(run)
        self.status.showMessage(f"Run #{record.id} restored", 4000)
        return True

    def rerun(self, record: RunRecord) -> None:
        if self.restore_run(record):
            self.run()

    def open_lab(self) -> None:
        self.dialogs.open("lab")

    def _make_lab(self) -> SamplerLab:
        from playground.ui.sampler_lab import SamplerLab

        return SamplerLab(self)

    async def _refresh_lab(self) -> None:
        """Hand the lab the run on screen (its own prompt and output, not what the editor
        holds now), its output split into the local engine's tokens."""
        lab = self.dialogs.get("lab")
        run = self.shown
        live = self.connections.get(run.connection) if run is not None else None
        if run is None or live is None or live.connection.kind != "local" or live.client is None:
            lab.set_run(None, "", "", [], self.params.values)
            return
        model = run.request.model.compose()
        try:
            tokens = await live.client.tokenize(run.result.text, model)
        except PlaygroundError as exc:
            lab.set_run(None, "", "", [], self.params.values)
            self.status.showMessage(f"The sampler lab could not read the output: {exc}", 8000)
            return
        lab.set_run(live.client, model, run.request.prompt, tokens, self.params.values)

    def open_settings(self) -> None:
        self.dialogs.open("settings")

    def _make_settings(self) -> SettingsDialog:
        from playground.ui.settings_dialog import SettingsDialog

        settings = SettingsDialog(self.keys, self)
        settings.connections_changed.connect(self._reload_connections)
        settings.appearance_changed.connect(self._appearance_changed)
        return settings

    def _appearance_changed(self, appearance: Appearance) -> None:
        self.set_text_font(appearance.font())

    def open_shortcuts(self) -> None:
        from playground.ui.shortcuts_dialog import ShortcutsDialog

        ShortcutsDialog(self.shortcuts(), self).show()

    def open_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "About NanoGPT Prompt Playground",
                          f"<b>NanoGPT Prompt Playground</b> {__version__}<br><br>"
                          "A desktop playground for text-completion prompts: every sampler of "
                          "NanoGPT's completions API, provider routing, and a built-in local "
                          "engine (a small n-gram model of Python's own documentation, for "
                          "offline exploration; not an LLM).",
                          QMessageBox.StandardButton.Ok, self)
        box.open()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_draft()
        self._save_window_state()
        super().closeEvent(event)


def _key_missing_for(live: LiveConnection) -> str | None:
    """The label of a connection that needs a key to list its models and has none."""
    return live.connection.label if live.connection.needs_key and not live.has_key else None


def _single_shot(parent: QWidget, delay_ms: int, slot: Any) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(slot)
    return timer


def _not_sent(connection: Connection) -> str:
    host = QUrl(connection.base_url or "").host()
    return (f"the key of {connection.label} is not sent to {host} over plain http until you "
            "confirm it")
