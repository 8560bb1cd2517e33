"""The run controller: the runs of the window, from the press of Run to their record.

It owns the `RunWorker`, the `Run` objects (which run is on screen, the undo stack, the run
that waits for the local engine), their records in history, and the local engine's
supervision (started when first needed, started again when it dies). It holds no widgets:
the window forwards intents to it (run, stop, branch, undo) and shows what it signals.

Qt-light at import time: the window builds it after its first frame (`MainWindow.load`), and
what it needs of httpx, asyncio and the engine is imported where it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    import asyncio

    from playground.core.engine_process import EngineProcess
    from playground.core.history import History
    from playground.core.request import CompletionRequest
    from playground.core.runs import Run, Screen
    from playground.ui.live_connection import LiveConnection
    from playground.ui.worker import RunWorker

    #: Starts a job as the one task of its name (the window's, so that quitting cancels it).
    Spawn = Callable[[str, Coroutine[Any, Any, Any]], asyncio.Task[Any]]


class RunController(QObject):
    started = Signal(object)  # the Run now on screen, streaming
    text = Signal(str)  # new text of the run on screen
    logprobs = Signal(list)  # the logprobs that came with it, as sent
    #: A run ended (recorded; also when it failed or was stopped), and what happened to the
    #: local engine if it died meanwhile (str or None), to say with its error.
    finished = Signal(object, object)
    undo_available = Signal(bool)  # whether Undo Last Run has a run to undo
    refused = Signal(str)  # a run asked for did not go, and why
    waiting_for_engine = Signal()  # a run waits for the local engine to start
    engine_changed = Signal()  # the local connection's client or problem changed
    message = Signal(str, int)  # for the status bar: the text, how long (ms; 0: until next)

    def __init__(self, history: History, connections: Callable[[], Mapping[str, LiveConnection]],
                 current: Callable[[], LiveConnection], spawn: Spawn,
                 parent: QObject | None = None) -> None:
        """`connections` and `current` read the window's connections (replaced when they
        are reloaded); `spawn` starts a job under the window's task handles."""
        from playground.ui.worker import RunWorker

        super().__init__(parent)
        self.history = history
        self._connections = connections
        self._current = current
        self._spawn = spawn
        self.worker: RunWorker = RunWorker(self)
        self.worker.started.connect(self._started)
        self.worker.text.connect(self._text)
        self.worker.logprobs.connect(self._logprobs)
        self.worker.finished.connect(self._finished)
        #: The run whose output is on screen (streaming, finished, restored or undone to).
        self.shown: Run | None = None
        self.undo_stack: list[Run] = []  # runs whose `before` Undo Last Run puts back
        self.engine: EngineProcess | None = None
        self._engine_task: asyncio.Task[Any] | None = None
        #: A run asked for while the local engine starts; it goes once the engine is ready.
        self._waiting_run: Callable[[], object] | None = None
        #: Clients exist and the engine may be started (set once the window has loaded).
        self.services_started = False

    # --- intents --------------------------------------------------------------------------

    def run(self, request: CompletionRequest, live: LiveConnection, *, before: Screen,
            parent: Run | None, preset: str | None, again: Callable[[], object]) -> bool:
        """Run `request` on `live`; False (with `refused`) if it cannot go now. `before` is
        what Undo Last Run restores, `parent` the run this one branches from; `again` asks
        for the same run anew, once the local engine it waits for is ready."""
        from playground.core.runs import Run

        if live.connection.kind == "local" and (self.engine_died() or (
                live.client is None and not live.problem)):
            self._wait_for_engine(again)
            return True
        if live.client is None or live.problem:
            self.refused.emit(live.problem or "This connection is still starting.")
            return False
        run = Run(request, connection=live.connection.name, preset=preset, parent=parent,
                  before=before)
        self.undo_stack.append(run)
        self.undo_available.emit(True)
        self.worker.start(live.client, run)
        return True

    def stop(self) -> None:
        """Stop the run, keeping the text so far."""
        self.worker.stop()

    def undo(self) -> Screen | None:
        """Undo the last run: what the screen held before it (None: nothing to undo). A run
        still going is stopped and recorded as such."""
        if not self.undo_stack:
            return None
        self.worker.stop()
        before = self.undo_stack.pop().before
        assert before is not None
        self.undo_available.emit(bool(self.undo_stack))
        return before

    def branch_prompt(self, offset: int, token: str) -> tuple[Run, str]:
        """The run on screen and the prompt of a branch from it: its own prompt plus its
        output up to `offset`, then `token`."""
        source = self.shown
        assert source is not None
        return source, source.request.prompt + source.result.text[:offset] + token

    def record(self, run: Run, *, group: str | None = None) -> None:
        """Keep the run in history with its own request, connection, preset and parent; a
        failure to do so is reported, never fatal."""
        from playground.core.errors import PlaygroundError

        try:
            run.record_id = self.history.record(
                run.request, run.result, connection=run.connection, preset=run.preset,
                group=group, parent=run.parent.record_id if run.parent else None,
                variant=run.variant)
        except PlaygroundError as exc:
            self.message.emit(f"The run was not recorded in history: {exc}", 10000)

    # --- the worker's signals -----------------------------------------------------------------

    def _started(self, run: Run) -> None:
        self.shown = run
        self.started.emit(run)

    def _text(self, text: str) -> None:
        if self.worker.run is self.shown:  # not the late text of a run undone meanwhile
            self.text.emit(text)

    def _logprobs(self, batch: list[Any]) -> None:
        if self.worker.run is self.shown:
            self.logprobs.emit(batch)

    def _finished(self, run: Run) -> None:
        self.record(run)
        engine_news = self.engine_died() if run.connection == "local" else None
        self.finished.emit(run, engine_news)

    # --- the local engine ---------------------------------------------------------------------

    def start_engine_soon(self, news: str | None = None) -> None:
        """Start the local engine as a job (replacing one that was about to)."""
        self._engine_task = self._spawn("engine", self.start_engine(news))

    async def start_engine(self, news: str | None = None) -> None:
        """Start the local engine; `news` is what the status bar says meanwhile."""
        import asyncio

        from playground.core.client import CompletionClient
        from playground.core.engine_process import EngineProcess

        local = self._connections().get("local")
        if local is None or self.engine is not None:
            return
        self.message.emit(news or "Starting the local engine…", 0)
        self.engine = EngineProcess()
        try:
            base_url = await asyncio.get_running_loop().run_in_executor(None, self.engine.start)
        except Exception as exc:  # shown to the person; the app stays usable
            local.problem = f"The local engine did not start: {exc}"
            self.message.emit(local.problem, 0)
        else:
            local.problem = None
            local.client = CompletionClient(base_url)
            self.message.emit("Local engine ready", 3000)
        self.engine_changed.emit()
        waiting, self._waiting_run = self._waiting_run, None
        if waiting is not None and self._current() is local:
            if local.problem:
                self.refused.emit(local.problem)
            else:
                waiting()

    def engine_died(self) -> str | None:
        """None while the engine this window started runs (or none was started). When it
        has died (a crash, a kill, the OOM killer): forget it and its client, start it
        again, and return what happened, to say once."""
        engine = self.engine
        code = engine.exit_code if engine is not None else None
        if code is None:
            return None
        self.engine = None
        local = self._connections().get("local")
        if local is not None and local.client is not None:
            self._spawn("close local", local.client.aclose())
            local.client = None
        from playground.core.engine_process import describe_exit

        news = f"The local engine stopped ({describe_exit(code)}); it is starting again."
        self.message.emit(news, 15000)
        if self.services_started:
            self.start_engine_soon(news)
        return news

    def _wait_for_engine(self, then: Callable[[], object]) -> None:
        """The local engine is (re)starting: `then` runs once it is ready. Said on screen,
        so that a run asked for meanwhile is not taken for one that did nothing."""
        self._waiting_run = then
        self.waiting_for_engine.emit()
        starting = self._engine_task
        if self.services_started and self.engine is None and (starting is None
                                                              or starting.done()):
            self.start_engine_soon()

    async def shutdown(self) -> None:
        """Cancel the run and wait for it (the window cancels the jobs it spawned)."""
        await self.worker.shutdown()

    def stop_engine(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
