"""The main window: prompt editor, output pane, sampler panel, connection and model, Run/Stop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from playground.core.client import CompletionClient
from playground.core.connections import Connection, ConnectionStore
from playground.core.errors import InvalidParameter
from playground.core.keys import KeyStore
from playground.core.request import build_request
from playground.core.runs import RunResult
from playground.engine.process import EngineProcess
from playground.ui.param_panel import ParamPanel
from playground.ui.stream_view import StreamView
from playground.ui.widgets import error_label
from playground.ui.worker import RunWorker


@dataclass
class LiveConnection:
    """A connection with its one client, created once."""

    connection: Connection
    client: CompletionClient | None = None
    problem: str | None = None  # why it cannot run right now


class MainWindow(QMainWindow):
    ready = Signal()  # services started
    run_finished = Signal(object)  # RunResult

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("NanoGPT Prompt Playground")
        self.keys = KeyStore()
        self.connections = {c.name: LiveConnection(c) for c in ConnectionStore().all()}
        self.engine: EngineProcess | None = None
        self._services_started = False
        self._engine_task: asyncio.Task[None] | None = None
        self.worker = RunWorker(self)
        self.worker.started.connect(self._on_started)
        self.worker.text.connect(self._on_text)
        self.worker.finished.connect(self._on_finished)
        self._build()
        self._restore_state()

    # --- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        top = QWidget(self)
        bar = QHBoxLayout(top)
        bar.setContentsMargins(8, 6, 8, 6)
        self.connection_box = QComboBox(top)
        self.connection_box.setAccessibleName("connection")
        for live in self.connections.values():
            self.connection_box.addItem(live.connection.label, live.connection.name)
        self.connection_box.currentIndexChanged.connect(self._connection_changed)
        self.model_edit = QLineEdit(top)
        self.model_edit.setAccessibleName("model")
        self.model_edit.setPlaceholderText("model id, e.g. local/stdlib")
        self.run_button = QPushButton("Run", top)
        self.run_button.setToolTip("Run the prompt (Ctrl+Enter)")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", top)
        self.stop_button.setToolTip("Stop the run, keeping the text so far (Esc)")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.worker.stop)
        bar.addWidget(QLabel("Connection", top))
        bar.addWidget(self.connection_box)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Model", top))
        bar.addWidget(self.model_edit, 1)
        bar.addSpacing(8)
        bar.addWidget(self.run_button)
        bar.addWidget(self.stop_button)

        self.prompt_edit = QPlainTextEdit(self)
        self.prompt_edit.setAccessibleName("prompt")
        self.prompt_edit.setPlaceholderText("Write a prompt; the model continues it.")
        self.prompt_edit.textChanged.connect(self._update_counts)
        self.output = StreamView(self)
        self.output.setAccessibleName("output")
        self.output.setPlaceholderText("The completion streams in here.")
        self.error_label = error_label(self)
        self.params = ParamPanel(self)

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
        self.main_split.addWidget(self.params)
        self.main_split.setStretchFactor(0, 3)
        self.main_split.setStretchFactor(1, 2)
        self.main_split.setSizes([720, 420])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(top)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        self.status = QStatusBar(self)
        self.counts = QLabel(self)
        self.figures = QLabel(self)
        self.status.addWidget(self.counts)
        self.status.addPermanentWidget(self.figures)
        self.setStatusBar(self.status)

        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.run)
        QShortcut(QKeySequence("Ctrl+Enter"), self, activated=self.run)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.worker.stop)
        self.resize(1180, 760)
        self._connection_changed()
        self._update_counts()

    def set_text_font(self, font: QFont) -> None:
        """The font people read and write in: the prompt and the output."""
        self.prompt_edit.setFont(font)
        self.output.setFont(font)

    def _restore_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for split in (self.main_split, self.editor_split):
            state = settings.value(f"window/{split.orientation().name}")
            if state is not None:
                split.restoreState(state)

    def _save_state(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        for split in (self.main_split, self.editor_split):
            settings.setValue(f"window/{split.orientation().name}", split.saveState())

    # --- services -------------------------------------------------------------------------

    async def start_services(self) -> None:
        """Create one client per connection with a fixed URL; start the local engine (in its
        own process) if it is the current connection. Otherwise it starts when first chosen."""
        for live in self.connections.values():
            if live.connection.base_url:
                live.client = CompletionClient(live.connection.base_url, self._key(live))
        self._services_started = True
        if self.current().connection.kind == "local":
            await self._start_engine()
        self._connection_changed()
        self.ready.emit()

    async def _start_engine(self) -> None:
        local = self.connections.get("local")
        if local is None or self.engine is not None:
            return
        self.status.showMessage("Starting the local engine…")
        self.engine = EngineProcess()
        try:
            base_url = await asyncio.get_running_loop().run_in_executor(None, self.engine.start)
        except Exception as exc:
            local.problem = f"The local engine did not start: {exc}"
            self.status.showMessage(local.problem)
        else:
            local.client = CompletionClient(base_url)
            self.status.showMessage("Local engine ready", 3000)
        self._connection_changed()

    def _key(self, live: LiveConnection) -> str | None:
        if not live.connection.needs_key:
            return None
        found = self.keys.get(live.connection.name)
        if found is None:
            env = self.keys.env_var(live.connection.name)
            live.problem = f"No API key for {live.connection.label}: set {env}."
            return None
        return found.key

    async def shutdown(self) -> None:
        """Cancel the run, close every client, stop the engine. Nothing is left running."""
        if self._engine_task is not None:
            await asyncio.gather(self._engine_task, return_exceptions=True)
        await self.worker.shutdown()
        for live in self.connections.values():
            if live.client is not None:
                await live.client.aclose()
                live.client = None
        if self.engine is not None:
            self.engine.stop()
            self.engine = None

    # --- running --------------------------------------------------------------------------

    def current(self) -> LiveConnection:
        return self.connections[self.connection_box.currentData()]

    def _connection_changed(self) -> None:
        live = self.current()
        self.model_edit.setPlaceholderText(live.connection.model or "model id")
        self.run_button.setEnabled(live.client is not None and not self.stop_button.isEnabled())
        if (live.connection.kind == "local" and self._services_started and self.engine is None
                and self._engine_task is None):
            self._engine_task = asyncio.ensure_future(self._start_engine())

    def run(self) -> None:
        errors = self.params.errors()
        if errors:
            self._show_error(errors[0])
            return
        live = self.current()
        if live.client is None:
            self._show_error(live.problem or "This connection is still starting.")
            return
        try:
            request = build_request(self.prompt_edit.toPlainText(),
                                    self.model_edit.text().strip() or live.connection.model,
                                    self.params.values())
        except InvalidParameter as exc:
            self._show_error(exc.message)
            return
        self.worker.start(live.client, request)

    def _on_started(self) -> None:
        self.output.clear()
        self.error_label.hide()
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.figures.setText("Running…")

    def _on_text(self, text: str) -> None:
        self.output.append_text(text)

    def _on_finished(self, result: RunResult) -> None:
        self.stop_button.setEnabled(False)
        self.run_button.setEnabled(self.current().client is not None)
        self.figures.setText(_figures(result))
        if result.error is not None:
            hint = f"<br><i>{result.error.hint}</i>" if result.error.hint else ""
            self._show_error(f"{_escape(str(result.error))}{hint}", rich=True)
        self.run_finished.emit(result)

    def _show_error(self, message: str, *, rich: bool = False) -> None:
        self.error_label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.error_label.setText(message)
        self.error_label.show()

    def _update_counts(self) -> None:
        text = self.prompt_edit.toPlainText()
        self.counts.setText(f"{len(text):,} characters")

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_state()
        super().closeEvent(event)


def _figures(result: RunResult) -> str:
    parts = []
    if result.cancelled:
        parts.append("stopped")
    elif result.finish_reason:
        parts.append(f"finish: {result.finish_reason}")
    if result.ttft_ms is not None:
        parts.append(f"TTFT {result.ttft_ms:.0f} ms")
    if result.tokens_per_s is not None:
        parts.append(f"{result.tokens_per_s:.0f} tok/s")
    if result.usage and result.usage.prompt_tokens is not None:
        parts.append(f"prompt {result.usage.prompt_tokens} · completion "
                     f"{result.usage.completion_tokens} tokens")
    if result.cost is not None:
        parts.append(f"cost ${result.cost:.6g}")
    return "   ".join(parts) or "done"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
