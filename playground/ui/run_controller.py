"""The run controller: what the runs of every tab share, from the press of Run to their record.

Each tab's runs (its worker, the run on its screen, its undo stack) are a `DocumentRuns`; this
controller starts their runs on a connection, records every run that ends in history with its
own request, and supervises the local engine (started when first needed, started again when it
dies; a run asked for meanwhile waits for it). It holds no widgets.

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
    from playground.ui.document_runs import DocumentRuns
    from playground.ui.live_connection import LiveConnection

    #: Starts a job as the one task of its name (the window's, so that quitting cancels it).
    Spawn = Callable[[str, Coroutine[Any, Any, Any]], asyncio.Task[Any]]


class RunController(QObject):
    recorded = Signal(object)  # a run ended and is in history (its tab has been told)
    engine_changed = Signal()  # the local connection's client or problem changed
    message = Signal(str, int)  # for the status bar: the text, how long (ms; 0: until next)

    def __init__(self, history: History, connections: Callable[[], Mapping[str, LiveConnection]],
                 spawn: Spawn, parent: QObject | None = None) -> None:
        """`connections` reads the window's connections (replaced when they are reloaded);
        `spawn` starts a job under the window's task handles."""
        super().__init__(parent)
        self.history = history
        self._connections = connections
        self._spawn = spawn
        self.engine: EngineProcess | None = None
        self._engine_task: asyncio.Task[Any] | None = None
        #: Runs asked for while the local engine starts, each with the tab it is for; they
        #: go once the engine is ready.
        self._waiting_runs: list[tuple[DocumentRuns, Callable[[], object]]] = []
        #: Clients exist and the engine may be started (set once the window has loaded).
        self.services_started = False

    def attach(self, lane: DocumentRuns) -> None:
        """Record the runs of a tab's `lane` as they end."""
        lane.worker.finished.connect(lambda run: self._finished(lane, run))

    # --- intents --------------------------------------------------------------------------

    def run(self, lane: DocumentRuns, request: CompletionRequest, live: LiveConnection, *,
            before: Screen, parent: Run | None, preset: str | None,
            again: Callable[[], object]) -> bool:
        """Run `request` on `live` in `lane`; False (with the lane's `refused`) if it cannot
        go now. `before` is what Undo Last Run restores, `parent` the run this one branches
        from; `again` asks for the same run anew, once the local engine it waits for is
        ready."""
        from playground.core.runs import Run

        if live.connection.kind == "local" and (self.engine_died() or (
                live.client is None and not live.problem)):
            self._wait_for_engine(lane, again)
            return True
        if live.client is None or live.problem:
            lane.refused.emit(live.problem or "This connection is still starting.")
            return False
        run = Run(request, connection=live.connection.name, preset=preset, parent=parent,
                  before=before)
        lane.start(live.client, run)
        return True

    def record(self, run: Run, *, group: str | None = None) -> None:
        """Keep the run in history with its own request, connection, preset and parent; a
        failure to do so is reported, never fatal."""
        from playground.core.errors import PlaygroundError

        try:
            run.record_id = self.history.record(
                run.request, run.result, connection=run.connection, preset=run.preset,
                group=group or run.group,
                parent=run.parent.record_id if run.parent else None,
                variant=run.variant)
        except PlaygroundError as exc:
            self.message.emit(f"The run was not recorded in history: {exc}", 10000)

    def _finished(self, lane: DocumentRuns, run: Run) -> None:
        self.record(run)
        engine_news = self.engine_died() if run.connection == "local" else None
        lane.finished.emit(run, engine_news)
        self.recorded.emit(run)

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
        waiting, self._waiting_runs = self._waiting_runs, []
        for lane, again in waiting:
            if local.problem:
                lane.refused.emit(local.problem)
            else:
                again()

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

    def _wait_for_engine(self, lane: DocumentRuns, then: Callable[[], object]) -> None:
        """The local engine is (re)starting: `then` runs once it is ready (one waiting run a
        tab, the latest). Said on screen, so that a run asked for meanwhile is not taken for
        one that did nothing."""
        self._waiting_runs = [(other, again) for other, again in self._waiting_runs
                              if other is not lane]
        self._waiting_runs.append((lane, then))
        lane.waiting_for_engine.emit()
        starting = self._engine_task
        if self.services_started and self.engine is None and (starting is None
                                                              or starting.done()):
            self.start_engine_soon()

    def stop_engine(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
