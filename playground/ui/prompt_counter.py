"""The status bar's prompt size: characters at once, tokens a moment after the last edit,
exact through the local engine's tokenizer, estimated elsewhere (and said so)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from playground.core.errors import PlaygroundError
from playground.core.token_estimate import estimate_tokens
from playground.ui.widgets import delay_timer, plain_text

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QLabel, QPlainTextEdit

    #: The editor whose text is counted now, and a tokenizer for it (None: estimate).
    Source = Callable[[], tuple[QPlainTextEdit, Callable[[str], Awaitable[list[Any]]] | None]]
    Spawn = Callable[[str, Coroutine[Any, Any, Any]], asyncio.Task[Any]]

DELAY_MS = 250


class PromptCounter(QObject):
    counted = Signal(str, int, bool)  # the text, its tokens, whether counted exactly

    def __init__(self, label: QLabel, source: Source, spawn: Spawn,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self._source = source
        self._spawn = spawn
        self.timer = delay_timer(self, DELAY_MS, self.count)

    def changed(self, text: str) -> None:
        """The text changed: its characters now, its tokens once typing pauses."""
        self.label.setText(f"{len(text):,} characters")
        self.timer.start()

    def count(self) -> None:
        editor, tokenize = self._source()
        text = plain_text(editor)
        if tokenize is None:
            self._show(editor, text, estimate_tokens(text), exact=False)
        else:
            self._spawn("count", self._count_exactly(editor, text, tokenize))

    async def _count_exactly(self, editor: QPlainTextEdit, text: str,
                             tokenize: Callable[[str], Awaitable[list[Any]]]) -> None:
        try:
            tokens = await tokenize(text)
        except PlaygroundError:
            self._show(editor, text, estimate_tokens(text), exact=False)
            return
        self._show(editor, text, len(tokens), exact=True)

    def _show(self, editor: QPlainTextEdit, text: str, tokens: int, *, exact: bool) -> None:
        if editor is not self._source()[0] or text != plain_text(editor):
            return  # an older count, or another tab's
        self.counted.emit(text, tokens, exact)
        token_text = f"{tokens:,} tokens" if exact else f"≈{tokens:,} tokens (estimate)"
        self.label.setText(f"{len(text):,} characters · {token_text}")
        self.label.setToolTip("Counted by the local engine's tokenizer" if exact else
                              "Estimated from the text's bytes, as byte-level tokenizers "
                              "split it; this connection has no tokenizer to count with")
