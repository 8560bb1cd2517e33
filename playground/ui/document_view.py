"""One tab's view of its document: the prompt above, the banner and the output below (two-pane
mode), or one editor holding both (notebook mode, `NotebookEditor`); and everything on screen
that belongs to this document alone (the run shown with its tinting and figures, the refusal
banner, the scroll positions). Its runs are a `DocumentRuns`, attached once the window has
loaded; the view shows what they signal.

The first tab's view is part of the window's first frame, so this module imports only Qt and
the stream view at load time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QMenu,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from playground.ui.stream_view import StreamView, TokenSpan
from playground.ui.widgets import error_label, plain_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtGui import QAction, QFont

    from playground.core.documents import Completion, Document, Mode
    from playground.core.runs import Run, Screen
    from playground.ui.document_runs import DocumentRuns
    from playground.ui.notebook_editor import GeneratedSpan, NotebookEditor
    from playground.ui.token_view import TokenView


class DocumentView(QWidget):
    figures_changed = Signal(str)  # the figures line of this tab's run changed
    streaming_changed = Signal(bool)  # a run of this tab started (True) or ended
    branch_requested = Signal(int, str)  # the offset in the shown output, the token chosen
    #: In the notebook: the completion, the offset in it, the token chosen there.
    notebook_branch_requested = Signal(object, int, str)
    notebook_made = Signal(object)  # its NotebookEditor, made when first needed

    def __init__(self, prompt: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None  # once the window has opened it
        self.runs: DocumentRuns | None = None  # once the window has loaded
        self.figures = ""  # the figures line of the run on screen
        self.banner_shows_invalid_input = False
        self._span_end = 0  # where the next token without an offset starts
        self._streaming = False
        self.mode: Mode = "two-pane"
        self.template: str | None = None  # the instruct template its turns are written in
        self.token_view: TokenView | None = None  # the text as tokens, made when first shown
        self.notebook: NotebookEditor | None = None  # made when first in notebook mode
        #: Where the next run's text goes in the notebook: the position, the span whose new
        #: version it is (None: a new span), and the text the version begins with (a branch
        #: from a token). Set before a notebook run, taken as it starts.
        self.notebook_target: tuple[int, GeneratedSpan | None, str] | None = None
        self._into_notebook = False  # the streaming run writes into the notebook
        self._lead = 0  # characters the streaming version began with before the run's own
        #: What the alternative chosen from the open token menu is for.
        self._choose_alternative: Callable[[str], object] = lambda _token: None

        self.prompt_edit = QPlainTextEdit(self)
        self.prompt_edit.setAccessibleName("prompt")
        self.prompt_edit.setObjectName("prompt")
        self.prompt_edit.setPlaceholderText("Write a prompt; the model continues it.\n\n"
                                            "Ctrl+Enter runs, Esc stops.")
        self.prompt_edit.setPlainText(prompt)
        self.output = StreamView(self)
        self.output.setAccessibleName("output")
        self.output.setObjectName("output")
        self.output.setPlaceholderText("The completion streams in here.")
        self.output.token_clicked.connect(self._token_clicked)
        self.error_label = error_label(self)

        output_box = QWidget(self)
        self._output_layout = QVBoxLayout(output_box)
        self._output_layout.setContentsMargins(0, 0, 0, 0)
        self._output_layout.addWidget(self.error_label)
        self._output_layout.addWidget(self.output, 1)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(self.prompt_edit)
        self.split.addWidget(output_box)
        self.split.setSizes([300, 400])
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.setFocusProxy(self.prompt_edit)

    @property
    def text_edit(self) -> QPlainTextEdit:
        """The editor holding the document's text: the prompt, or the notebook."""
        return self.notebook if self.mode == "notebook" and self.notebook else self.prompt_edit

    def set_mode(self, mode: Mode) -> None:
        """Show the document in `mode`, keeping its text: the notebook takes the prompt and the
        output; the prompt takes the whole notebook, the output starts empty."""
        if mode == self.mode:
            return
        if mode == "notebook":
            notebook = self._notebook()
            notebook.setPlainText(plain_text(self.prompt_edit) + self.output.text())
            notebook.moveCursor(QTextCursor.MoveOperation.End)
            self._notebook_layout.insertWidget(0, self.error_label)
            self.pages.setCurrentWidget(self._notebook_page)
            self.setFocusProxy(notebook)
        else:
            assert self.notebook is not None
            self.prompt_edit.setPlainText(plain_text(self.notebook))
            self.output.clear()
            self._output_layout.insertWidget(0, self.error_label)
            self.pages.setCurrentWidget(self.split)
            self.setFocusProxy(self.prompt_edit)
        self.mode = mode
        self.error_label.hide()

    def show_page(self, page: QWidget | None) -> None:
        """`page` (the text as tokens) in place of the editor; None: the editor again."""
        if page is None:
            page = self._notebook_page if self.mode == "notebook" and self.notebook \
                else self.split
        elif self.pages.indexOf(page) < 0:
            self.pages.addWidget(page)
        self.pages.setCurrentWidget(page)

    def completions(self) -> tuple[Completion, ...]:
        """The notebook's completions with their versions (none in two-pane mode)."""
        return self.notebook.completions() if self.mode == "notebook" and self.notebook else ()

    def show_document(self, document: Document) -> None:
        """Show `document` in its mode, its notebook completions tinted with their versions."""
        self.document = document
        self.template = document.template
        self.set_mode(document.mode)
        if self.notebook is not None and self.mode == "notebook":
            self.notebook.restore(document.completions)

    def _notebook(self) -> NotebookEditor:
        if self.notebook is None:
            from playground.ui.notebook_editor import NotebookEditor

            self._notebook_page = QWidget(self)
            self._notebook_layout = QVBoxLayout(self._notebook_page)
            self._notebook_layout.setContentsMargins(0, 0, 0, 0)
            self.notebook = NotebookEditor(self._notebook_page)
            self.notebook.token_clicked.connect(self._notebook_token_clicked)
            self._notebook_layout.addWidget(self.notebook, 1)
            self.pages.addWidget(self._notebook_page)
            self.notebook_made.emit(self.notebook)
        return self.notebook

    def request_text(self) -> str:
        """What a run asked for now continues: the prompt; in the notebook, its text before
        the cursor."""
        if self.mode == "notebook" and self.notebook is not None:
            return self.notebook.text_before(self.notebook.insertion_point())
        return plain_text(self.prompt_edit)

    @property
    def name(self) -> str:
        return self.document.name if self.document is not None else "Draft"

    @property
    def streaming(self) -> bool:
        """Whether a run of this tab has started and not yet been recorded."""
        return self._streaming

    @property
    def shown(self) -> Run | None:
        return self.runs.shown if self.runs is not None else None

    def attach(self, runs: DocumentRuns) -> None:
        """Show what this tab's runs signal (connected before anyone else's slots, so that
        the view is up to date when they run)."""
        self.runs = runs
        runs.started.connect(self._started)
        runs.text.connect(self._text)
        runs.logprobs.connect(self._logprobs)
        runs.finished.connect(self._finished)
        runs.refused.connect(self.refuse)
        runs.waiting_for_engine.connect(self._waiting_for_engine)

    def set_text_font(self, font: QFont) -> None:
        """The font people read and write in, for the prompt and the output. Given as a style
        sheet: under the app's style sheet Qt drops a font set with `setFont` on a widget
        nested in a splitter when the tab is moved or shown again."""
        self.setStyleSheet(f"#prompt, #output, #notebook {{ {font_css(font)} }}")

    def set_figures(self, text: str) -> None:
        self.figures = text
        self.figures_changed.emit(text)

    def screen(self) -> Screen:
        """What Undo Last Run puts back: the prompt, the output and the run it shows."""
        from playground.core.runs import Screen

        output = "" if self.mode == "notebook" else self.output.text()
        return Screen(plain_text(self.text_edit), output, self.shown)

    def show_run(self, run: Run) -> None:
        """Put a run that is over on screen: its output, tinting and figures."""
        assert self.runs is not None
        self.runs.shown = run
        if self.mode == "notebook" and self.notebook is not None:
            self.notebook.setPlainText(run.request.prompt)  # its completion tinted, as made
            self.notebook.begin(len(run.request.prompt))
            self.notebook.append(run.result.text)
            self.notebook.finish()
        self.output.setPlainText(run.result.text)
        self._span_end = 0
        self.add_spans(run.result.logprobs)
        self.set_figures(run.figures.text())

    def put_back(self, screen: Screen) -> None:
        """Show the output `screen` had, with its run's tinting and figures."""
        assert self.runs is not None
        if screen.run is not None:
            self.show_run(screen.run)
        else:
            self.runs.shown = None
            self.output.setPlainText(screen.output)
            self.set_figures("")

    def add_spans(self, batch: list[Any]) -> None:
        """Colour the shown run's tokens by probability; their alternatives become branch
        points."""
        self.output.add_spans(self._token_spans(batch))

    def _token_spans(self, batch: list[Any], shift: int = 0) -> list[TokenSpan]:
        """The tokens of `batch` (logprobs as sent) at their offsets in the run's output (plus
        `shift`), with their alternatives."""
        from playground.core import logprobs

        spans = []
        for entry in logprobs.read_all(batch):
            if entry.logprob is None:
                continue
            start = entry.offset if entry.offset is not None else self._span_end
            self._span_end = start + len(entry.token)
            spans.append(TokenSpan(start + shift, self._span_end + shift, entry.logprob,
                                   tuple((a.token, a.logprob) for a in entry.top)))
        return spans

    def show_error(self, message: str, *, rich: bool = False) -> None:
        self.banner_shows_invalid_input = False
        self.error_label.setTextFormat(Qt.TextFormat.RichText if rich
                                       else Qt.TextFormat.PlainText)
        self.error_label.setText(message)
        self.error_label.show()

    def refuse(self, message: str, *, invalid_input: bool = False) -> None:
        """A run asked for did not go: say why where its output would be. A refusal for
        `invalid_input` goes away by itself once the inputs are valid again."""
        from playground.core.runs import NOT_SENT

        self.show_error(message)
        self.banner_shows_invalid_input = invalid_input  # after show_error, which resets it
        self.set_figures(NOT_SENT.text())

    def _started(self, run: Run) -> None:
        target, self.notebook_target = self.notebook_target, None
        self._into_notebook = self.mode == "notebook" and target is not None
        if self.notebook is not None and target is not None and self._into_notebook:
            at, replace, lead = target
            self.notebook.begin(at, replace=replace)
            span = self.notebook.streaming_span
            assert span is not None
            run.group = span.group  # the span's versions are siblings in history
            span.runs[len(span.swipes)] = run
            self.notebook.append(lead)
            self._lead = len(lead)
        self.output.clear()
        self._span_end = 0
        self.error_label.hide()
        self.set_figures("Running…")
        self._streaming = True
        self.streaming_changed.emit(True)

    def _finished(self, run: Run, engine_news: str | None) -> None:
        """Show how the run ended if it is still the one on screen, and `engine_news` (the
        local engine died meanwhile) with its error."""
        import html

        result = run.result
        shown = run is self.shown  # (putting back what was there changes which run that is)
        if self._into_notebook:  # the run that began streaming into it (one a tab at a time)
            assert self.notebook is not None
            self.notebook.finish()
            self._into_notebook = False
        elif shown and result.error is not None and not result.text and run.before is not None:
            self.put_back(run.before)  # refused before any text: keep what was there
        if shown:
            self.set_figures(run.figures.text())
            if result.error is not None:
                hint = result.error.hint if engine_news is None else engine_news
                hint_html = f"<br><i>{html.escape(hint)}</i>" if hint else ""
                self.show_error(f"{html.escape(str(result.error))}{hint_html}", rich=True)
        self._streaming = False
        self.streaming_changed.emit(False)

    def _text(self, text: str) -> None:
        if self._into_notebook:
            assert self.notebook is not None
            self.notebook.append(text)
        else:
            self.output.append_text(text)

    def _logprobs(self, batch: list[Any]) -> None:
        if self._into_notebook:
            assert self.notebook is not None
            self.notebook.add_tokens(self._token_spans(batch, self._lead))
        else:
            self.add_spans(batch)

    def _waiting_for_engine(self) -> None:
        """Said on screen, so that a run asked for while the local engine (re)starts is not
        taken for one that did nothing."""
        self.error_label.hide()
        self.set_figures("Starting the local engine…")

    def _token_clicked(self, span: TokenSpan, where: QPoint) -> None:
        """Offer the alternatives at an output token; choosing one asks for a branch from
        there."""
        if span.alternatives and self.shown is not None:
            self._offer_alternatives(span, "Run again from here with this token instead",
                                     lambda token: self.branch_requested.emit(span.start, token),
                                     where)

    def _notebook_token_clicked(self, span: GeneratedSpan, token: TokenSpan,
                                where: QPoint) -> None:
        """Offer a notebook token's alternatives; choosing one writes a new version of the
        completion from there."""
        self._offer_alternatives(
            token, "Write a new version of the completion from here with this token instead",
            lambda text: self.notebook_branch_requested.emit(span, token.start, text), where)

    def _offer_alternatives(self, token: TokenSpan, tip: str, choose: Callable[[str], object],
                            where: QPoint) -> None:
        """A menu of `token`'s alternatives with their probabilities; `choose` gets the one
        chosen."""
        menu = QMenu(self)
        menu.setObjectName("alternatives")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setToolTipsVisible(True)
        for text, logprob in token.alternatives:
            action = menu.addAction(f"{text!r}   {math.exp(logprob):.1%}")
            action.setToolTip(tip)
            action.setData(text)
        # A bound method, not a lambda, on a menu deleted on close (see preset_bar); what the
        # choice is for waits here.
        self._choose_alternative = choose
        menu.triggered.connect(self._alternative_chosen)
        menu.popup(where)

    def _alternative_chosen(self, action: QAction) -> None:
        self._choose_alternative(action.data())


def font_css(font: QFont) -> str:
    """`font` as style sheet properties."""
    family = font.family().replace("\\", "\\\\").replace('"', '\\"')
    size = (f"{font.pointSizeF():g}pt" if font.pointSizeF() > 0 else f"{font.pixelSize()}px")
    style = "italic" if font.italic() else "normal"
    return (f'font-family: "{family}"; font-size: {size}; '
            f"font-weight: {int(font.weight().value)}; font-style: {style};")
