"""The runs of one document (one tab): its worker, the run on its screen and its undo stack.

Each tab has its own, so that runs in different tabs stream at the same time and Undo Last Run
undoes the last run of the tab it is pressed in. It holds no widgets: its tab's view shows what
it signals. It outlives a closed tab until its run has ended and been recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from playground.core.client import CompletionClient
    from playground.core.runs import Run, Screen
    from playground.ui.worker import RunWorker


class DocumentRuns(QObject):
    started = Signal(object)  # the Run now on screen, streaming
    text = Signal(str)  # new text of the run on screen
    logprobs = Signal(list)  # the logprobs that came with it, as sent
    #: A run ended and was recorded (also when it failed or was stopped), and what happened
    #: to the local engine if it died meanwhile (str or None), to say with its error.
    finished = Signal(object, object)
    undo_available = Signal(bool)  # whether Undo Last Run has a run to undo
    refused = Signal(str)  # a run asked for did not go, and why
    waiting_for_engine = Signal()  # a run waits for the local engine to start

    def __init__(self, parent: QObject | None = None) -> None:
        from playground.ui.worker import RunWorker

        super().__init__(parent)
        self.worker: RunWorker = RunWorker(self)
        self.worker.started.connect(self._started)
        self.worker.text.connect(self._text)
        self.worker.logprobs.connect(self._logprobs)
        #: The run whose output is on screen (streaming, finished, restored or undone to).
        self.shown: Run | None = None
        self.undo_stack: list[Run] = []  # runs whose `before` Undo Last Run puts back

    def start(self, client: CompletionClient, run: Run) -> None:
        self.undo_stack.append(run)
        self.undo_available.emit(True)
        self.worker.start(client, run)

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

    async def shutdown(self) -> None:
        """Cancel the run and wait for it (recorded as stopped)."""
        await self.worker.shutdown()

    def _started(self, run: Run) -> None:
        self.shown = run
        self.started.emit(run)

    def _text(self, text: str) -> None:
        if self.worker.run is self.shown:  # not the late text of a run undone meanwhile
            self.text.emit(text)

    def _logprobs(self, batch: list[Any]) -> None:
        if self.worker.run is self.shown:
            self.logprobs.emit(batch)
