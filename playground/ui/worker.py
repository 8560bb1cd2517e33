"""The request worker: the one object between the core client and the widgets.

It owns one asyncio task per run on the qasync loop and turns the stream into Qt signals. Text is
coalesced and delivered at most once per frame (~16 ms), so a fast stream never floods the GUI.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.client import CompletionClient, StreamEvent
from playground.core.runs import Run, execute

FRAME_MS = 16
#: The most new text handed to the view in one frame. Laying out more at once (a server that
#: sends a megabyte in one frame) would stall the event loop; the rest follows frame by frame.
MAX_FRAME_CHARS = 32_768


class RunWorker(QObject):
    started = Signal(object)  # the Run
    text = Signal(str)  # new text since the last frame
    logprobs = Signal(list)  # the logprobs objects that came with it, as sent
    finished = Signal(object)  # the Run, also when it failed or was stopped

    def __init__(self, parent: QObject | None = None, *, own_clock: bool = True) -> None:
        """With `own_clock` False, the owner calls `flush` each frame instead of the worker's
        own timer (the compare window spreads its columns' redraws over frames)."""
        super().__init__(parent)
        self._task: asyncio.Task[None] | None = None
        #: The run whose text `text` and `logprobs` deliver (the last one started).
        self.run: Run | None = None
        self._own_clock = own_clock
        self._pending: list[str] = []
        self._pending_logprobs: list[object] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FRAME_MS)
        self._flush_timer.timeout.connect(self.flush)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, client: CompletionClient, run: Run) -> None:
        """Start `run`, filling its result. A run already going is stopped first; it arrives
        through `finished`, with its partial result, before the new run's `started`."""
        previous = self._task
        self.stop()
        self._task = asyncio.ensure_future(self._run(client, run, previous))

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def shutdown(self) -> None:
        """Cancel the current run and wait for it; call before the loop closes."""
        self.stop()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        self._flush_timer.stop()

    async def _run(self, client: CompletionClient, run: Run,
                   previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        self._pending.clear()
        self._pending_logprobs = []
        self.run = run
        self.started.emit(run)
        if self._own_clock:
            self._flush_timer.start()
        try:
            await execute(client, run.request, self._on_event, run.result)
        finally:
            await self._deliver_rest()
            self._flush_timer.stop()
            self.finished.emit(run)

    async def _deliver_rest(self) -> None:
        """Hand over what is still pending a frame's worth at a time; all at once if the run
        is stopped again meanwhile (it has ended either way)."""
        try:
            while self.flush():
                await asyncio.sleep(FRAME_MS / 1000)
        except asyncio.CancelledError:
            while self.flush():
                pass

    def _on_event(self, event: StreamEvent) -> None:
        if event.text:
            self._pending.append(event.text)
        if event.logprobs:
            self._pending_logprobs.append(event.logprobs)

    @property
    def waiting(self) -> bool:
        """Whether text or logprobs wait for the next `flush`."""
        return bool(self._pending or self._pending_logprobs)

    def flush(self) -> bool:
        """Emit the text pending (at most MAX_FRAME_CHARS of it) and, once all text is out,
        the logprobs that came with it. True if text is still pending."""
        if self._pending:
            chunk = "".join(self._pending)
            self._pending.clear()
            if len(chunk) > MAX_FRAME_CHARS:
                self._pending.append(chunk[MAX_FRAME_CHARS:])
                chunk = chunk[:MAX_FRAME_CHARS]
            self.text.emit(chunk)
        if self._pending:
            return True
        if self._pending_logprobs:
            batch = self._pending_logprobs
            self._pending_logprobs = []
            self.logprobs.emit(batch)
        return False
