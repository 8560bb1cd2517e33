"""The tab in front, as the window shows it: its document's settings in the side panel and
the top bar (kept in the document when another tab comes forward, without the per-connection
model memory or a model's default preset firing), its figures and title, and Run / Stop /
Undo Last Run for it; and how each new tab's view is wired to the window (its shortcuts, its
counts, its branches, its runs)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from playground.core.draft import Draft
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.ui.widgets import plain_text
from playground.ui.window_state import restore_text_split

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPlainTextEdit

    from playground.core.presets import Preset
    from playground.core.runs import Run
    from playground.ui.document_runs import DocumentRuns
    from playground.ui.document_view import DocumentView


class FrontTab:
    def __init__(self, window: Any) -> None:
        """`window` is the main window (typed loosely: this object is a part of it)."""
        self.window = window
        self.bound: DocumentView | None = None  # the tab whose settings the panel shows
        self.binding = False  # while the panel takes a tab's settings (not an edit)

    def draft(self, view: DocumentView | None = None) -> Draft:
        """The panel's settings with the prompt of `view` (the tab in front by default)."""
        w = self.window
        prompt = plain_text((view or w.view).text_edit)
        if not w.loaded:  # only the prompt can have changed yet
            return replace(w.start_draft, prompt=prompt)
        return Draft(prompt=prompt, connection=str(w.connection_box.currentData()),
                     model=w.model_text(), params=w.params.values(),
                     routing=w.side.routing_dump(), extra=w.side.extra.saved_value())

    def save_document(self, view: DocumentView, draft: Draft) -> None:
        """Store `draft` (what the panel and the prompt hold) as `view`'s document."""
        import sqlite3

        w = self.window
        if view.document is None:
            return
        try:
            view.document = w.documents.save(replace(
                view.document, prompt=draft.prompt, model=draft.model,
                connection=draft.connection, params=draft.params, routing=draft.routing,
                preset=w.preset_name(), mode=view.mode, completions=view.completions(),
                extra=draft.extra, template=view.template))
        except (PlaygroundError, OSError, sqlite3.Error) as exc:
            w.status.showMessage(f"{view.name} could not be saved: {exc}", 10000)

    def wire(self, view: DocumentView) -> None:
        """Connect a tab's view to the window: its shortcuts, its figures, its branches."""
        w = self.window
        for editor in (view.prompt_edit, view.output):
            editor.installEventFilter(w.guard)
        view.prompt_edit.textChanged.connect(lambda: self.prompt_changed(view))
        view.notebook_made.connect(lambda notebook: (
            notebook.installEventFilter(w.guard),
            notebook.textChanged.connect(lambda: self.prompt_changed(view))))
        view.figures_changed.connect(lambda text: self.figures_changed(view, text))
        view.branch_requested.connect(w.intents.branch)
        view.notebook_branch_requested.connect(w.intents.branch_in_notebook)
        if w.text_font is not None:
            view.set_text_font(w.text_font)

    def attach(self, view: DocumentView) -> None:
        """Give a tab its runs, recorded by the run controller."""
        from playground.ui.document_runs import DocumentRuns

        w = self.window
        lane = DocumentRuns(w)  # the window's: it outlives a closed tab until its run ends
        view.attach(lane)
        w.runs.attach(lane)
        lane.finished.connect(lambda run, _news: self.run_ended(lane, run))
        lane.undo_available.connect(lambda _: self.update_run_actions())
        view.streaming_changed.connect(lambda _: self.update_run_actions())

    def prepare(self, view: DocumentView) -> None:
        """A new tab's view: wired to the window, with its runs and the saved split."""
        self.wire(view)
        self.attach(view)
        restore_text_split(view.split)

    def closing(self, view: DocumentView) -> None:
        if self.bound is view:
            self.bound = None  # its settings were saved; the next tab's come forward

    def tab_changed(self, _index: int) -> None:
        """Another tab came forward: its settings into the panel, its figures below."""
        w = self.window
        if not w.tabs.count():
            return
        view = w.view
        if w.loaded:
            self.bind(view)
        w.session.save()

    def bind(self, view: DocumentView) -> None:
        """Keep the panel's settings in the tab that was in front; show `view`'s."""
        from pydantic import ValidationError

        w = self.window
        left = self.bound
        if left is not None and left is not view and w.tabs.indexOf(left) >= 0:
            self.save_document(left, self.draft(left))
        self.bound = None
        document = view.document
        if document is not None:
            self.binding = True
            try:
                index = w.connection_box.findData(document.connection)
                if index >= 0:
                    w.connection_box.setCurrentIndex(index)
                w.model_picker.set_model_text(document.model)
                w.side.show_settings(document.params, document.to_routing(), document.preset,
                                     document.extra)
            except (InvalidParameter, ValidationError) as exc:
                w.status.showMessage(f"Part of {document.name}'s settings was not valid "
                                     f"and was left out: {exc}", 10000)
            finally:
                self.binding = False
            w.documents.touch(document.id)
        self.bound = view
        w.turns.show_template(view.template)
        w.tokens_action.setChecked(w.tokens.showing())
        w.notebook_action.setChecked(view.mode == "notebook")
        w.figures.setText(view.figures)
        self.show_title()
        self.update_run_actions()
        self.prompt_changed(view)

    def show_title(self) -> None:
        w = self.window
        w.setWindowTitle(f"{w.view.name} — NanoGPT Prompt Playground")

    def figures_changed(self, view: DocumentView, text: str) -> None:
        w = self.window
        if view is w.view:
            w.figures.setText(text)

    def update_run_actions(self) -> None:
        """Run, Stop and Undo Last Run for the tab in front."""
        w = self.window
        if not w.loaded and self.bound is None:
            return
        view = w.view
        streaming = view.streaming
        live = w.connections.get(str(w.connection_box.currentData()))
        w.stop_button.setEnabled(streaming)
        w.run_button.setEnabled(live is not None and live.client is not None and not streaming)
        w.undo_action.setEnabled(view.runs is not None and bool(view.runs.undo_stack))

    def run_ended(self, lane: DocumentRuns, run: Run) -> None:
        """A run of some tab was recorded: the window's part (the tab showed it already)."""
        w = self.window
        self.update_run_actions()
        view = next((v for v in w.tabs.views() if v.runs is lane), None)
        if view is None:  # its tab was closed meanwhile
            lane.deleteLater()
        elif view is w.view and run is view.shown:
            w.dialogs.run_shown()
        w.run_finished.emit(run.result)

    def use_local_model(self, model_id: str, message: str) -> None:
        """Run the tab in front on the local engine's `model_id` (a model just added)."""
        from playground.ui.widgets import select_data

        w = self.window
        select_data(w.connection_box, "local")  # its change shows the local engine's models
        w.model_picker.set_model_text(model_id)
        assert w.bar is not None
        w.bar.show_connection(keep_model=True)  # the list again, with the new model
        w.status.showMessage(message, 10000)

    def connection_changed(self) -> None:
        from playground.core.local_models import smollm2_path

        w = self.window
        if not w.connections:
            return
        assert w.bar is not None
        live = w.current()
        connection = live.connection
        # While loading, or bringing a tab forward, the document's own model stays.
        w.bar.show_connection(keep_model=not w.loaded or self.binding)
        w.top.real_model_hint.setVisible(connection.kind == "local" and smollm2_path() is None)
        self.update_run_actions()
        w.side.fit(connection, w.bar.tokenize if connection.kind == "local" else None)
        self.fit_limits()
        w.turns.model_changed(restoring=not w.loaded or self.binding)
        if w.runs.services_started and connection.kind == "local" and w.runs.engine is None:
            w.runs.start_engine_soon()
        w.counter.timer.start()
        self.request_changed()

    async def load_providers(self, model: str) -> None:
        w = self.window
        assert w.bar is not None
        providers = await w.bar.providers(model)
        if providers is not None:
            w.routing.set_providers(providers)

    def fit_limits(self) -> None:
        w = self.window
        w.side.fit_limits(w.current().connection, w.model_picker.selected_info())
        w.budget.timer.start()  # the model's context length and prices may be known now
        w.turns.model_changed(restoring=True)  # and its own chat template

    def model_changed(self) -> None:
        w = self.window
        if w.connections:
            self.fit_limits()
        w.routing.set_model(None if w.model_picker.error() else
                               w.model_picker.model_id())
        w.presets.model_changed(w.model_text(), restoring=self.binding)
        w.turns.model_changed(restoring=self.binding)
        live = w.current()
        if live.connection.kind == "nanogpt" and live.client is not None and w.model_text():
            w.spawn("providers", self.load_providers(w.model_text()))
        self.request_changed()

    def prompt_changed(self, view: DocumentView) -> None:
        w = self.window
        if view is not self.bound:  # typing before loading, or a tab not in front
            return
        w.counter.changed(plain_text(view.text_edit))
        self.request_changed()

    def counted_text(self) -> tuple[QPlainTextEdit, Any]:
        """The editor the counts are of, and the local engine's tokenizer if it can count."""
        w = self.window
        live = w.current() if w.connections else None
        exact = (live is not None and live.connection.kind == "local"
                 and not w.runs.engine_died() and live.client is not None)
        return w.prompt_edit, w.bar.tokenize if exact and w.bar else None

    def request_changed(self) -> None:
        w = self.window
        if not w.draft_timer.isActive():  # at most DRAFT_DELAY_MS after the first change,
            w.draft_timer.start()  # however fast the typing goes on
        w.presets.refresh_modified()
        w.budget.timer.start()
        w.intents.recheck_inputs()
        w.dialogs.inputs_changed()

    def apply_preset(self, preset: Preset) -> None:
        w = self.window
        w.side.apply_preset(preset)
        if preset.model:
            w.model_picker.set_model_text(preset.model)
        from playground.core.dialects import order_caveat  # after the first frame

        live = w.connections.get(str(w.connection_box.currentData()))
        caveat = (order_caveat(live.connection.speaks) if live and preset.params.sampler_order
                  else None)
        if caveat:  # the order changes what is sampled: say where it is not followed
            w.status.showMessage(f"Preset {preset.name} applied; its sampler order is not "
                                 f"followed here: {caveat}", 15000)
        else:
            w.status.showMessage(f"Preset {preset.name} applied", 4000)
