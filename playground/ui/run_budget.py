"""The next run's budget, always in view: the context meter in the status bar (prompt tokens +
`max_tokens` against the model's context length: amber from 90%, red beyond, the numbers on
hover) and, next to Run, the most the run can cost where the model list has prices. A run that
cannot fit is refused before it is sent (`refusal`), with the numbers and what to change.

The prompt's tokens are the status bar's count (exact through the local engine's tokenizer)
while it is of the text about to be sent, else an estimate of that text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar

from playground.core.context_use import ContextUse, context_use
from playground.core.pricing import cost_bound
from playground.core.token_estimate import estimate_tokens
from playground.ui.widgets import delay_timer

if TYPE_CHECKING:
    from playground.core.client import ModelInfo

UPDATE_MS = 150
_CENTRED = "QProgressBar { text-align: center; }"
METER_STYLE = {"amber": _CENTRED + " QProgressBar::chunk { background: #e0a100; }",
               "red": _CENTRED + " QProgressBar::chunk { background: #d03030; }",
               "ok": "", "unknown": ""}


class RunBudget(QObject):
    def __init__(self, window: Any) -> None:
        """`window` is the main window (typed loosely: this object is a part of it)."""
        super().__init__(window)
        self.window = window
        self.meter = QProgressBar(window)
        self.meter.setAccessibleName("context use")
        self.meter.setMaximumWidth(180)
        self.meter.setTextVisible(True)
        self.cost = QLabel(window)
        self.cost.setAccessibleName("cost bound")
        self.cost.hide()
        #: The last exact or estimated count of a text: (text, tokens, exact).
        self.counted: tuple[str, int, bool] | None = None
        #: Edits come faster than the figures need to follow them.
        self.timer = delay_timer(self, UPDATE_MS, self.update)

    def count_known(self, text: str, tokens: int, exact: bool) -> None:
        """The status bar counted `text`."""
        self.counted = (text, tokens, exact)
        self.update()

    def use(self, prompt: str, max_tokens: int | None = None) -> ContextUse:
        """The context `prompt` takes with the window's settings (or `max_tokens`)."""
        w = self.window
        if self.counted is not None and self.counted[0] == prompt:
            tokens, exact = self.counted[1], self.counted[2]
        else:
            tokens, exact = estimate_tokens(prompt), False
        if max_tokens is None:
            chosen = w.params.values().get("max_tokens")
            max_tokens = None if chosen is None else int(chosen)
        info = self._model_info()
        return context_use(tokens, exact, max_tokens, w.current().connection,
                           info.context_length if info else None)

    def bound(self, use: ContextUse) -> float | None:
        """The most the run can cost (None: no prices, or no max_tokens to go by)."""
        return _cost(self._model_info(), use)

    def bound_for(self, prompt: str, model: str, max_tokens: int | None) -> float | None:
        """The most one run of `prompt` on `model` can cost with `max_tokens` (None: the
        window's, else the server's default)."""
        return _cost(self.window.model_picker.info_for(model), self.use(prompt, max_tokens))

    def refusal(self, prompt: str) -> str | None:
        return self.use(prompt).refusal()

    def describe(self, prompt: str) -> str:
        """For the request preview: the context use and the cost bound."""
        use = self.use(prompt)
        bound = self.bound(use)
        return "Context: " + use.describe() + (f" · at most ${bound:.4f} for this run"
                                               if bound else "")

    def update(self) -> None:
        w = self.window
        if not w.connections:
            return
        use = self.use(w.view.request_text())
        self.meter.setProperty("level", use.level)
        self.meter.setStyleSheet(METER_STYLE[use.level])
        if use.context:
            self.meter.setRange(0, use.context)
            self.meter.setValue(min(use.total, use.context))
            self.meter.setFormat(f"{use.share:.0%} of context")
        else:
            self.meter.setRange(0, 1)
            self.meter.setValue(0)
            self.meter.setFormat("context unknown")
        refusal = use.refusal()
        self.meter.setToolTip(use.describe() + (f"\n{refusal}" if refusal else ""))
        bound = self.bound(use)
        self.cost.setVisible(bool(bound))  # a free model (the local engine's) costs nothing
        if bound:
            self.cost.setText(f"≤ ${bound:.4f}")
            self.cost.setToolTip(f"The most this run can cost: {use.prompt_tokens:,} prompt "
                                 f"tokens and {use.max_tokens:,} completion tokens at the "
                                 "model's listed prices")

    def _model_info(self) -> ModelInfo | None:
        w = self.window
        model = w.bar.run_model()
        if not model:
            return None
        info: ModelInfo | None = w.model_picker.info_for(model)
        return info


def _cost(info: ModelInfo | None, use: ContextUse) -> float | None:
    if info is None:
        return None
    return cost_bound(1, use.prompt_tokens, use.max_tokens, info.prompt_price,
                      info.completion_price)
