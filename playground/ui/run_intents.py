"""What Run, Stop, Continue, Regenerate, the notebook's versions, Undo Last Run and a branch
from a token do in the tab in front: build the request its inputs describe and hand it, with
what Undo restores and the run it branches from, to the run controller. In notebook mode a
completion goes in at the cursor (or in place of the last one, as a new version), and the text
after the cursor goes as the suffix only to servers that fill in the middle."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtGui import QTextCursor

from playground.core.errors import InvalidParameter
from playground.ui.widgets import plain_text

if TYPE_CHECKING:
    from playground.core.history import RunRecord
    from playground.core.request import CompletionRequest
    from playground.core.runs import Run, Screen
    from playground.ui.notebook_editor import GeneratedSpan
    from playground.ui.shell import Shell


class RunIntents:
    def __init__(self, window: Shell) -> None:
        self.window = window

    def build_request(self, prompt: str | None = None,
                      suffix: str | None = None) -> CompletionRequest:
        """The request the current inputs describe (with `prompt`, or the tab's: the notebook's
        text before the cursor; and `suffix`, the text after it, for a server that fills in
        the middle); raises `InvalidParameter` naming every invalid input, one a line."""
        from playground.core.request import build_request
        from playground.core.routing import Routing

        w = self.window
        problems = [*w.params.errors(), w.model_picker.error(), w.routing.error(),
                    w.side.extra.problem()]
        problems = [problem for problem in problems if problem]
        if problems:
            raise InvalidParameter("input", "\n".join(problems))
        connection = w.current().connection
        model = w.model_text() or connection.model
        if not model:
            raise InvalidParameter("model", "model: this connection has no default model; "
                                            "choose or type one")
        routing = w.routing.routing() if connection.kind == "nanogpt" else Routing()
        text = w.view.request_text() if prompt is None else prompt
        return build_request(text, model, w.params.values(), routing,
                             dialect=connection.speaks,
                             extensions={"suffix": suffix} if suffix else None,
                             extra=w.side.extra.value())

    def run(self, *, before: Screen | None = None, parent: Run | None = None,
            at: int | None = None, replace: GeneratedSpan | None = None,
            lead: str = "") -> bool:
        """Run the current inputs; False (with the reason shown) if they cannot run.
        `before` is what Undo Last Run restores (default: now); `parent` the run this one
        branches from. Both travel with the run to its record. In notebook mode the
        completion goes in at `at` (default: the cursor), continuing the text before it, or
        as a new version of `replace` that begins with `lead` (a branch from a token)."""
        from playground.core import dialects

        w = self.window
        view = w.view
        before = before or view.screen()
        notebook = view.notebook if view.mode == "notebook" else None
        if notebook is not None and at is None:
            at = notebook.insertion_point()
        # What stays after the completion: a new version replaces the old one's text.
        after = "" if notebook is None else plain_text(notebook)[
            replace.end if replace is not None else at or 0:]
        fills, why = dialects.fill_in_the_middle(w.current().connection)
        try:
            request = self.build_request(None if notebook is None else
                                         notebook.text_before(at or 0) + lead,
                                         after if fills else None)
        except InvalidParameter as exc:
            view.refuse(exc.message, invalid_input=True)
            return False
        too_long = w.budget.refusal(request.prompt)
        if too_long:
            view.refuse(too_long, invalid_input=True)
            return False
        lane, connection, preset = view.runs, w.current().connection.name, w.preset_name()
        assert lane is not None

        def again() -> bool:  # the same request in the same tab, whichever is in front then
            live = w.connections.get(connection)
            if live is None:
                lane.refused.emit(f"The connection {connection} is gone.")
                return False
            if notebook is not None and at is not None:
                view.notebook_target = (at, replace, lead)
            going = w.runs.run(lane, request, live, before=before, parent=parent,
                               preset=preset, again=again)
            if not going:
                view.notebook_target = None
            return going

        if not w.consent.may_go(w.current(), again):
            return False
        if after:
            w.status.showMessage(
                f"The text after the cursor went as the suffix: {why}." if fills else
                f"Only the text before the cursor was sent ({why}).", 10000)
        return again()

    def regenerate(self) -> bool:
        """Write the last completion again: in notebook mode a new version of the last
        generated span (the earlier ones kept, Alt+Left/Right flips); in two panes, run the
        prompt again."""
        w = self.window
        view = w.view
        span = view.notebook.last_span() if view.notebook and view.mode == "notebook" else None
        if span is None:
            return self.run()
        return self.run(at=span.start, replace=span)

    def branch_in_notebook(self, span: GeneratedSpan, offset: int, token: str) -> bool:
        """A new version of a notebook completion: its text up to `offset`, then `token`, then
        what the model writes from there; its parent is the run of the version shown."""
        return self.run(at=span.start, replace=span, lead=span.text()[:offset] + token,
                        parent=span.runs.get(span.index))

    def previous_swipe(self) -> None:
        self._flip(-1)

    def next_swipe(self) -> None:
        self._flip(1)

    def _flip(self, by: int) -> None:
        w = self.window
        notebook = w.view.notebook
        if w.view.mode != "notebook" or notebook is None or not notebook.flip(by):
            w.status.showMessage("No other version of the last completion"
                                 if w.view.mode == "notebook" else
                                 "Versions are notebook mode's (Tabs → Notebook Mode)", 3000)

    def toggle_notebook(self) -> None:
        """Show the tab's document as a notebook, or as prompt and output, keeping its text."""
        w = self.window
        view = w.view
        mode = "two-pane" if view.mode == "notebook" else "notebook"
        if view.streaming:
            w.notebook_action.setChecked(view.mode == "notebook")
            w.status.showMessage("Stop the run first (Esc), then switch modes", 5000)
            return
        view.set_mode(mode)
        if view.document is not None:
            view.document = replace(view.document, mode=mode)
        w.notebook_action.setChecked(mode == "notebook")
        w.front.prompt_changed(view)
        view.setFocus()
        w.save_draft()

    def recheck_inputs(self) -> None:
        """Keep a banner about invalid inputs true as they are edited: it names what is
        still wrong, and goes once nothing is."""
        w = self.window
        if not (w.view.banner_shows_invalid_input and w.error_label.isVisible()):
            return
        try:
            self.build_request()
        except InvalidParameter as exc:
            w.error_label.setText(exc.message)
        else:
            w.error_label.hide()

    def stop(self) -> None:
        """Stop the run of the tab in front, keeping the text so far."""
        w = self.window
        if w.view.runs is not None:
            w.view.runs.stop()

    def continue_run(self) -> bool:
        """Append the output to the prompt (undoable in the editor too) and run again."""
        w = self.window
        if not w.consent.may_go(w.current(), self.continue_run):
            return False
        before = w.view.screen()
        if w.view.mode == "notebook" and w.view.notebook is not None:
            return self.run(before=before, at=len(plain_text(w.view.notebook)))
        if before.output:
            cursor = QTextCursor(w.prompt_edit.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(before.output)
        return self.run(before=before)

    def undo_run(self) -> None:
        """Put back the prompt and the output (with its run's tinting and figures) from
        before the tab's last run; a run still going is stopped and recorded as such."""
        w = self.window
        view = w.view
        before = view.runs.undo() if view.runs is not None else None
        if before is None:
            return
        view.text_edit.setPlainText(before.prompt)
        view.error_label.hide()
        view.put_back(before)

    def branch(self, offset: int, token: str) -> bool:
        """Run from the shown run's prompt plus its output up to `offset`, then `token`; the
        new run's parent is the shown run. False (with the reason shown) if it did not go."""
        w = self.window
        view = w.view
        assert view.runs is not None
        assert view.shown is not None
        if not w.consent.may_go(w.current(), lambda: self.branch(offset, token)):
            return False
        before = view.screen()
        source, prompt = view.runs.branch_prompt(offset, token)
        view.text_edit.setPlainText(prompt)
        return self.run(before=before, parent=source)

    def restore(self, record: RunRecord) -> bool:
        """Put a past run's prompt and settings back on screen; False if they no longer
        pass the catalog (the reason is shown)."""
        from pydantic import ValidationError

        from playground.core.runs import Figures, Run, RunResult

        w = self.window
        try:
            run = Run(record.to_request(), connection=record.connection,
                      preset=record.preset, result=RunResult(text=record.output),
                      record_id=record.id,
                      restored=Figures.of_record(
                          cancelled=record.cancelled, failed=record.error is not None,
                          finish_reason=record.finish_reason, ttft_ms=record.ttft_ms,
                          tokens_per_s=record.tokens_per_s, usage=record.usage,
                          cost=record.cost))
            w.side.show_settings(record.params(), record.to_routing(), w.preset_name(),
                                 record.extra())
        except (InvalidParameter, ValidationError) as exc:
            w.view.show_error(f"Run #{record.id} cannot be restored: {exc}")
            return False
        index = w.connection_box.findData(record.connection)
        if index >= 0:
            w.connection_box.setCurrentIndex(index)
        w.model_picker.set_model_text(record.model)
        w.prompt_edit.setPlainText(record.prompt)
        w.error_label.hide()
        w.view.show_run(run)
        w.status.showMessage(f"Run #{record.id} restored", 4000)
        return True

    def rerun(self, record: RunRecord) -> None:
        if self.restore(record):
            self.run()
