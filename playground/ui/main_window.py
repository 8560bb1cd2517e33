"""The main window: a tab per open document in the centre (each a `DocumentView`: prompt,
output, and its own runs), sampler and routing on the right, the connection, model and
Run/Stop on top, live figures below. The side panel and the top bar show the settings of the
tab in front; bringing another tab forward keeps them in the document they belong to and shows
that tab's.

The window is a shell that builds and holds its parts: `TopBar`, `DocumentTabs` with a
`DocumentView` per tab, `SidePanel`, `ConnectionBar` (connections, clients, models),
`TabSession` (which documents are open), `FrontTab` (the tab in front shown in the panels),
`RunIntents` (what Run, Stop, Continue, Regenerate, Undo and branches do), `RunController`
(runs, history records, the local engine), `WindowDialogs`, `KeyConsent`, `PromptCounter`;
the menus come from the `actions` table. Every async job it starts (engine start-up, model
lists, token counts) keeps its task handle so that quitting cancels it.

It is built in two stages so that it is on screen fast. The frame (menus, the top bar, the
first tab with the saved draft's prompt, the status bar) needs only Qt and a few light
modules, and is what the first paint shows. The rest (the side panel, the model picker,
connections, history: pydantic, httpx and asyncio behind them) is built by `load()` after that
first frame, which is why those imports sit in the methods that need them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from playground.core.draft import DraftStore
from playground.ui.actions import build_menus, shortcuts
from playground.ui.document_tabs import DocumentTabs
from playground.ui.document_view import DocumentView
from playground.ui.front_tab import FrontTab
from playground.ui.jobs import Jobs
from playground.ui.prompt_counter import PromptCounter
from playground.ui.run_intents import RunIntents
from playground.ui.shortcut_guard import ShortcutsWin
from playground.ui.top_bar import TopBar
from playground.ui.widgets import delay_timer
from playground.ui.window_state import restore_text_split, restore_window, save_window

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QPlainTextEdit

    from playground.core.documents import Document, DocumentStore
    from playground.core.engine_process import EngineProcess
    from playground.core.history import History
    from playground.core.keys import KeyStore
    from playground.core.runs import Run
    from playground.ui.connection_bar import ConnectionBar
    from playground.ui.live_connection import LiveConnection
    from playground.ui.model_picker import ModelPicker
    from playground.ui.run_controller import RunController
    from playground.ui.stream_view import StreamView
    from playground.ui.window_dialogs import WindowDialogs
    from playground.ui.worker import RunWorker

DRAFT_DELAY_MS = 400


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
    sweep_action: QAction
    notebook_action: QAction
    regenerate_action: QAction
    history_action: QAction
    lab_action: QAction
    tokens_action: QAction

    def __init__(self, *, deferred: bool = False) -> None:
        """With `deferred`, only the frame is built and `load()` must follow; otherwise the
        whole window is built at once."""
        super().__init__()
        self.setWindowTitle("NanoGPT Prompt Playground")
        self.bar: ConnectionBar | None = None  # the connections, once loading made them
        self.drafts = DraftStore()
        self.start_draft, self._draft_problem = self.drafts.load()
        self.text_font: QFont | None = None
        self.loaded = False
        self._painted = False
        self.jobs = Jobs()
        self.spawn = self.jobs.spawn
        self.intents = RunIntents(self)
        self.front = FrontTab(self)
        self._build_frame()
        restore_window(self, self.main_split)
        restore_text_split(self.view.split)
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
        return [self._build_panels, self._open_history, self._open_documents,
                self.reload_connections, self._finish_loading]

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._first_frame_painted)  # once the whole frame is drawn

    def _first_frame_painted(self) -> None:
        self.first_frame.emit()

    # --- layout -------------------------------------------------------------------------

    def _build_frame(self) -> None:
        self.top = top = TopBar(self.start_draft.model, self)
        self.connection_box, self.run_button, self.stop_button = (
            top.connection_box, top.run_button, top.stop_button)
        self.run_button.clicked.connect(lambda: self.intents.run())
        self.stop_button.clicked.connect(lambda: self.intents.stop())

        self.tabs = DocumentTabs(self)
        self.tabs.add(DocumentView(self.start_draft.prompt, self.tabs))
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.addWidget(self.tabs)
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
        self.front.wire(self.view)
        self.setTabOrder(self.connection_box, self.prompt_edit)
        self.resize(1200, 780)

        self.draft_timer = delay_timer(self, DRAFT_DELAY_MS, self.save_draft)
        self.counter = PromptCounter(self.counts, self.front.counted_text, self.spawn, self)

    def _build_panels(self) -> None:
        from playground.ui.connection_bar import ConnectionBar
        from playground.ui.key_consent import KeyConsent
        from playground.ui.model_picker import ModelPicker
        from playground.ui.side_panel import SidePanel

        self.consent = KeyConsent(self)
        self.consent.refused.connect(lambda message: self.view.show_error(message))
        self.consent.granted.connect(self._key_granted)

        self.model_picker: ModelPicker = ModelPicker(self.top)
        self.model_picker.changed.connect(self.front.model_changed)
        self.bar = ConnectionBar(self.connection_box, self.model_picker, self.spawn, self)
        self.bar.changed.connect(self.front.connection_changed)
        self.bar.models_listed.connect(self.front.fit_limits)
        self.top.put_model_picker(self.model_picker)
        from playground.ui.prompt_turns import PromptTurns

        self.turns = PromptTurns(self)
        self.top.put_template_box(self.turns.box)
        from playground.ui.prompt_tokens import PromptTokens

        self.tokens = PromptTokens(self)
        from playground.ui.run_budget import RunBudget

        self.budget = RunBudget(self)
        self.status.insertPermanentWidget(1, self.budget.meter)  # after the counts
        self.top.put_cost_label(self.budget.cost)
        self.counter.counted.connect(self.budget.count_known)
        self.setTabOrder(self.connection_box, self.model_picker.field)
        self.setTabOrder(self.model_picker.field, self.prompt_edit)

        self.side: SidePanel = SidePanel(self.model_text, self)
        self.side.changed.connect(self.front.request_changed)
        self.params, self.routing, self.presets = (self.side.params, self.side.routing,
                                                   self.side.presets)
        self.presets.apply_requested.connect(self.front.apply_preset)
        self.presets.message.connect(lambda text: self.status.showMessage(text, 5000))
        placeholder = self.main_split.replaceWidget(1, self.side)
        placeholder.hide()
        placeholder.deleteLater()

    def _open_history(self) -> None:
        """History, and the run controller that records into it."""
        from playground.core.history import History
        from playground.ui.run_controller import RunController

        self.history: History = History()
        self.runs: RunController = RunController(self.history, lambda: self.connections,
                                                 self.spawn, self)
        self.runs.engine_changed.connect(self.front.connection_changed)
        self.runs.message.connect(self.status.showMessage)
        self.runs.recorded.connect(self.dialogs.refresh_history)

    # --- the tab in front ---------------------------------------------------------------------

    @cached_property
    def dialogs(self) -> WindowDialogs:
        """The dialogs, each made when first opened; their helper when first needed."""
        from playground.ui.window_dialogs import WindowDialogs

        return WindowDialogs(self)

    @property
    def view(self) -> DocumentView:
        """The tab in front."""
        return self.tabs.current_view()

    @property
    def prompt_edit(self) -> QPlainTextEdit:
        """The editor of the document's text: the prompt, or the notebook."""
        return self.view.text_edit

    @property
    def output(self) -> StreamView:
        return self.view.output

    @property
    def error_label(self) -> QLabel:
        return self.view.error_label

    @property
    def document(self) -> Document | None:
        """The document of the tab in front, once loaded."""
        return self.view.document

    @property
    def worker(self) -> RunWorker:
        lane = self.view.runs
        assert lane is not None
        return lane.worker

    @property
    def shown(self) -> Run | None:
        """The run whose output is on screen."""
        return self.view.shown

    @property
    def engine(self) -> EngineProcess | None:
        """The local engine this window started, if it did."""
        return self.runs.engine

    def _finish_loading(self) -> None:
        """Apply the saved draft's settings (its prompt is on screen since the first frame,
        perhaps edited since), then let the inputs take effect."""
        self.front.bind(self.view)
        for action in self._after_loading:
            action.setEnabled(True)
        self.undo_action.setEnabled(False)
        self.loaded = True
        self.status.clearMessage()
        problems = [p for p in (self._draft_problem, self.history.problem,
                                *self.documents.problems, *self.bar.problems) if p]
        if problems:  # said where it stays until read: the status bar is soon overwritten
            self.view.show_error("\n".join(problems))

    def _build_menus(self) -> None:
        made = build_menus(self)
        # Until `load()` has built what they act on; Quit and Help work from the first frame.
        self._after_loading = [action for spec, action in made.items()
                               if spec.enabled == "loaded"]
        # Undo Last Run's key is the editors' own redo on Linux; the action wins (Ctrl+Y
        # still redoes typing).
        self.guard = ShortcutsWin([self.undo_action, self.regenerate_action], self)

    def shortcuts(self) -> list[tuple[str, QKeySequence]]:
        """Every keyboard shortcut, for Help → Keyboard Shortcuts."""
        return shortcuts()

    def set_text_font(self, font: QFont) -> None:
        """The font people read and write in: the prompt and the output of every tab."""
        self.text_font = font
        for view in self.tabs.views():
            view.set_text_font(font)

    # --- state that outlives a session -------------------------------------------------------

    def save_draft(self) -> None:
        """Keep what is on screen: in the draft (read at the next start before anything else,
        for the first frame) and in the document of the tab in front."""
        draft = self.front.draft()
        try:
            self.drafts.save(draft)
        except OSError as exc:
            self.status.showMessage(f"The draft could not be saved: {exc}", 10000)
        if self.loaded and self.front.bound is self.view:
            self.front.save_document(self.view, draft)

    def _open_documents(self) -> None:
        """The document store, and the tabs of last time around the first frame's."""
        from playground.core.documents import DocumentStore
        from playground.ui.tab_session import TabSession

        self.documents: DocumentStore = DocumentStore()
        self.session = TabSession(self.tabs, self.documents, prepare=self.front.prepare,
                                  save_front=self.save_draft, parent=self)
        self.session.message.connect(self.status.showMessage)
        self.session.renamed.connect(lambda _view: self.front.show_title())
        self.session.closing.connect(self.front.closing)
        self.front.attach(self.view)
        self.session.start(self.view, self.start_draft)
        self.tabs.currentChanged.connect(self.front.tab_changed)
        self.tabs.new_requested.connect(self.new_tab)

    # --- tabs -------------------------------------------------------------------------------------

    def new_tab(self) -> None:
        """A new, empty document on the tab in front's connection and model."""
        self.session.new(str(self.connection_box.currentData()), self.model_text())

    # --- connections and services -------------------------------------------------------------

    @property
    def connections(self) -> dict[str, LiveConnection]:
        return self.bar.connections if self.bar is not None else {}

    @property
    def keys(self) -> KeyStore:
        assert self.bar is not None
        return self.bar.keys

    def reload_connections(self) -> None:
        """(Re)read the connections (after Settings changed them); say what was wrong."""
        assert self.bar is not None
        self.bar.reload()
        if self.bar.problems:
            self.status.showMessage("  ·  ".join(self.bar.problems), 15000)

    async def start_services(self) -> None:
        """Create one client per connection with a fixed URL; start the local engine (in its
        own process) if it is the current connection. Otherwise it starts when first chosen."""
        self.runs.services_started = True
        assert self.bar is not None
        self.bar.make_clients()
        if self.current().connection.kind == "local":
            await self.runs.start_engine()
        self.front.connection_changed()
        self.ready.emit()

    async def shutdown(self) -> None:
        """Cancel every job, close every client, stop the engine. Nothing is left running."""
        import asyncio

        self.draft_timer.stop()
        self.counter.timer.stop()
        await self.jobs.stop()
        if not self.loaded:  # closed while loading: no run, client or engine exists yet
            return
        from playground.ui.document_runs import DocumentRuns

        # Every tab's runs, and those of closed tabs whose run is still ending.
        await asyncio.gather(*(lane.shutdown() for lane in self.findChildren(DocumentRuns)))
        await self.dialogs.shutdown()
        self.history.close()
        self.save_draft()
        self.front.bound = None  # from here on, only the draft is written (on closing)
        self.documents.close()
        assert self.bar is not None
        await self.bar.close()
        self.runs.stop_engine()

    def current(self) -> LiveConnection:
        assert self.bar is not None
        return self.bar.current()

    def model_text(self) -> str:
        return self.bar.model_text() if self.bar is not None else ""

    def _key_granted(self) -> None:
        self.reload_connections()
        settings = self.dialogs.get("settings")
        if settings is not None:
            settings.connections_page.reload()

    def preset_name(self) -> str | None:
        return self.side.preset_name()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_draft()
        save_window(self, self.main_split, self.view.split)
        super().closeEvent(event)

