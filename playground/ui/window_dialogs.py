"""The window's dialogs, each made on first use and brought up to date each time it opens:
request preview, compare, sweep, history, sampler lab, settings, File → Open…, keyboard
shortcuts and about. What each shows comes from the window (the request its inputs describe,
the run on screen, its connections); what they ask of it (restore a run, keep compared
settings) goes back to it. Their modules are imported only when they are first opened."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from playground import __version__
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.ui.dialogs import DialogSpec, LazyDialogs

if TYPE_CHECKING:
    from playground.core.runs import Run
    from playground.core.sweep import SweepPlan
    from playground.ui.compare_view import Base, CompareView
    from playground.ui.history_panel import HistoryPanel
    from playground.ui.model_file import ModelFileOpener
    from playground.ui.preview_dialog import RequestPreviewDialog
    from playground.ui.sampler_lab import SamplerLab
    from playground.ui.settings_dialog import SettingsDialog
    from playground.ui.shell import Shell
    from playground.ui.sweep_view import SweepView

LOCAL_URL_SHOWN = "http://127.0.0.1:PORT/v1"  # the local engine before it has a port


class WindowDialogs(LazyDialogs):
    def __init__(self, window: Shell) -> None:
        self.window = window
        self._model_files: ModelFileOpener | None = None
        super().__init__({
            "preview": DialogSpec(self._make_preview, self.refresh_preview),
            "settings": DialogSpec(self._make_settings),
            "compare": DialogSpec(self._make_compare),
            "sweep": DialogSpec(self._make_sweep, self._refresh_sweep),
            "history": DialogSpec(self._make_history, self.refresh_history),
            "lab": DialogSpec(self._make_lab, self.refresh_lab),
            "documents": DialogSpec(
                lambda: window.session.make_open_dialog(window),
                lambda: window.session.refresh_open_dialog(self.get("documents"))),
        })

    # What the menus open (the actions table names them).

    def open_preview(self) -> None:
        self.open("preview")

    def open_compare(self) -> None:
        self.open("compare")

    def open_sweep(self) -> None:
        self.open("sweep")

    def open_sweep_group(self, group: str) -> None:
        """A recorded sweep, from History: its grid, results and plots; Resume runs the rest."""
        self.open("sweep")
        self.get("sweep").load(group)

    def open_history(self) -> None:
        self.open("history")

    def open_lab(self) -> None:
        self.open("lab")

    def open_settings(self) -> None:
        self.open("settings")

    def open_documents(self) -> None:
        self.open("documents")

    def open_model_file(self) -> None:
        from playground.ui.model_file import ModelFileOpener

        if self._model_files is None:
            self._model_files = ModelFileOpener(self.window)
            self._model_files.added.connect(self.window.front.use_local_model)
            self._model_files.failed.connect(self.window.view.show_error)
        self._model_files.open()

    def open_shortcuts(self) -> None:
        from playground.ui.shortcuts_dialog import ShortcutsDialog

        ShortcutsDialog(self.window.shortcuts(), self.window).show()

    def open_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "About NanoGPT Prompt Playground",
                          f"<b>NanoGPT Prompt Playground</b> {__version__}<br><br>"
                          "A desktop playground for text-completion prompts: every sampler of "
                          "NanoGPT's completions API, provider routing, and a built-in local "
                          "engine that runs offline: a small n-gram model of Python's own "
                          "documentation, SmolLM2 (a small real language model) once "
                          "installed, and any GGUF model file.",
                          QMessageBox.StandardButton.Ok, self.window)
        box.open()

    # What the window tells them.

    def inputs_changed(self) -> None:
        """The prompt or settings changed: the preview and the lab follow (if shown / made)."""
        preview, lab = self.get("preview"), self.get("lab")
        if preview is not None and preview.isVisible():
            self.refresh_preview()
        if lab is not None:
            lab.parameters_changed()

    def run_shown(self) -> None:
        """Another run is on screen: the lab (if open) shows it."""
        lab = self.get("lab")
        if lab is not None and lab.isVisible():
            self.refresh_lab()

    async def shutdown(self) -> None:
        for name in ("lab", "compare", "sweep"):
            dialog = self.get(name)
            if dialog is not None:
                await dialog.shutdown()

    # --- request preview --------------------------------------------------------------------

    def _make_preview(self) -> RequestPreviewDialog:
        from playground.ui.preview_dialog import RequestPreviewDialog

        return RequestPreviewDialog(self.window)

    def refresh_preview(self) -> None:
        preview = self.get("preview")
        live = self.window.current()
        connection = live.connection
        try:
            request = self.window.intents.build_request()
        except InvalidParameter as exc:
            preview.note_label.setText(f"Not valid yet: {exc.message}")
            preview.note_label.show()
            return
        base_url = live.client.base_url if live.client else (connection.base_url
                                                              or LOCAL_URL_SHOWN)
        key_env = live.keys.env_var if live.keys is not None and live.keys.sends else None
        notes = request.translation().notes
        sent_as = f"Sent as {connection.speaks}: " + "; ".join(notes) if notes else None
        budget = self.window.budget.describe(request.prompt)
        preview.show_request(request, base_url, key_env=key_env,
                             note="\n".join(line for line in (budget, sent_as) if line),
                             local=connection.kind == "local")

    # --- compare ----------------------------------------------------------------------------

    def _make_compare(self) -> CompareView:
        from playground.ui.compare_view import CompareView

        compare = CompareView(lambda: self._base("compare", "run_all"), self._preset_params,
                              parent=self.window, preview=self.window.intents.build_request,
                              bound=self._runs_bound)
        compare.recorded.connect(self._record_comparison)
        compare.keep_requested.connect(self._keep_compared)
        return compare

    def _runs_bound(self, runs: Sequence[tuple[str | None, Any]]) -> float | None:
        """The most runs of the window's prompt can cost, each with its own model (None: the
        window's) and max_tokens (None: the window's)."""
        budget = self.window.budget
        request = self.window.intents.build_request()
        total = 0.0
        for model, max_tokens in runs:
            bound = budget.bound_for(request.prompt, model or request.model.compose(),
                                     request.params.max_tokens if max_tokens is None
                                     else int(max_tokens))
            if bound is None:
                return None
            total += bound
        return total

    def _preset_params(self, name: str) -> Mapping[str, Any]:
        """A saved preset's parameters, for a column or a variant written ``preset=NAME``."""
        return self.window.presets.store.get(name).param_values()

    def _record_comparison(self, runs: list[Run]) -> None:
        from playground.core.compare import new_group_id

        group = new_group_id()
        for run in runs:
            self.window.runs.record(run, group=group)
        self.refresh_history()

    def _make_sweep(self) -> SweepView:
        from playground.ui.sweep_view import SweepView

        sweep = SweepView(lambda: self._base("sweep", "start"), self._preset_params,
                          parent=self.window)
        sweep.recorded.connect(self._record_swept)
        sweep.set_draft(self._sweep_draft)
        return sweep

    def _sweep_draft(self) -> tuple[SweepPlan, int | None]:
        """The window's request as a sweep without a grid, and its server's default
        max_tokens, for the sweep's cost bound while its grid is typed (nothing sent, nobody
        asked)."""
        from playground.core.context_use import default_max_tokens
        from playground.core.sweep import SweepPlan

        request = self.window.intents.build_request()
        connection = self.window.current().connection
        return SweepPlan("", request.prompt, request.model.compose(), connection.name, (), 1,
                         params=self.window.params.values()), default_max_tokens(connection)

    def _refresh_sweep(self) -> None:
        """Runs at once: the current connection's own setting, where it has one."""
        sweep = self.get("sweep")
        wanted = self.window.current().connection.concurrency
        if sweep is not None and wanted and not sweep.running:
            sweep.concurrency.setValue(wanted)

    def _record_swept(self, run: Run) -> None:
        self.window.runs.record(run)

    def _base(self, dialog: str, retry: str) -> Base:
        """What every run of a comparison or a sweep shares: the window's connection, prompt,
        model and parameters. Raises `InvalidParameter` when they cannot run; a key waiting
        for consent asks, and `retry` (a method of the dialog) runs again once given."""
        from playground.ui.compare_view import Base
        from playground.ui.key_consent import not_sent

        window = self.window
        live = window.current()
        if live.client is None or live.problem:
            raise InvalidParameter("connection", live.problem or
                                   "the connection is still starting")
        request = window.intents.build_request()
        asking = self.get(dialog)
        if not window.consent.may_go(live, getattr(asking, retry), asking):
            raise InvalidParameter("api_key", not_sent(live.connection))
        return Base(client=live.client, prompt=request.prompt, model=request.model.compose(),
                    params=window.params.values(), dialect=request.dialect,
                    connection=live.connection.name, preset=window.preset_name(),
                    extra=request.extra)

    def _keep_compared(self, params: dict[str, Any]) -> None:
        """A comparison column's settings become the window's, then Save As asks a name."""
        self.window.params.set_values(params)
        self.window.presets.save_as()

    # --- history ----------------------------------------------------------------------------

    def _make_history(self) -> HistoryPanel:
        from playground.ui.history_panel import HistoryPanel

        panel = HistoryPanel(self.window.history, self.window)
        panel.restore_requested.connect(self.window.intents.restore)
        panel.rerun_requested.connect(self.window.intents.rerun)
        panel.sweep_requested.connect(self.open_sweep_group)
        return panel

    def refresh_history(self) -> None:
        """The history panel, if it was opened, lists the runs recorded since."""
        panel = self.get("history")
        if panel is not None:
            panel.refresh()

    # --- sampler lab --------------------------------------------------------------------------

    def _make_lab(self) -> SamplerLab:
        from playground.ui.sampler_lab import SamplerLab

        return SamplerLab(self.window)

    def refresh_lab(self) -> None:
        self.window.spawn("lab", self._refresh_lab())

    async def _refresh_lab(self) -> None:
        """Hand the lab the run on screen (its own prompt and output, not what the editor
        holds now), its output split into the local engine's tokens."""
        window = self.window
        lab = self.get("lab")
        run = window.shown
        live = window.connections.get(run.connection) if run is not None else None
        if run is None or live is None or live.connection.kind != "local" or live.client is None:
            why = ("Run a prompt on the local engine; its steps can then be explored here."
                   if run is None else
                   f"The sampler lab replays runs of the local engine; the run on screen "
                   f"went to {run.connection}. Switch to the local engine and run.")
            lab.set_run(None, "", "", [], window.params.values, why=why)
            return
        model = run.request.model.compose()
        try:
            tokens = await live.client.tokenize(run.result.text, model)
        except PlaygroundError as exc:
            lab.set_run(None, "", "", [], window.params.values,
                        why=f"The sampler lab could not read the output: {exc}")
            window.status.showMessage(f"The sampler lab could not read the output: {exc}", 8000)
            return
        lab.set_run(live.client, model, run.request.prompt, tokens, window.params.values)

    # --- settings -----------------------------------------------------------------------------

    def _make_settings(self) -> SettingsDialog:
        from playground.ui.settings_dialog import SettingsDialog

        settings = SettingsDialog(self.window.keys, self.window)
        settings.connections_changed.connect(self.window.reload_connections)
        settings.appearance_changed.connect(
            lambda appearance: self.window.set_text_font(appearance.font()))
        return settings
