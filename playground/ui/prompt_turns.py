"""Writing turns in the model's format: the Template box on the top bar (the tab in front's
instruct template, the model's suggestion marked) and the Prompt menu's actions, which insert a
system, user or assistant turn at the cursor, wrap the selection as a user turn, or start the
assistant's turn at the end, in the editor of the tab in front (prompt or notebook).

A template's stop strings are added to the request's ``stop`` when it is chosen or used, as
values the side panel shows and the user can remove. The choice is the document's
(`DocumentView.template`); a model's default is the one chosen for it, else the first template
whose model patterns match its id (`TemplateStore.suggested_for`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox, QWidget

from playground.core.chat_template import (
    MODEL_TEMPLATE,
    ChatTemplateError,
    ModelTemplate,
    as_template,
)
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.core.template_import import import_template_file
from playground.core.templates import (
    ROLES,
    Role,
    Template,
    TemplateStore,
    stop_list,
    with_stops,
)
from playground.core.token_spans import utf16_length
from playground.ui.widgets import plain_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPlainTextEdit

NO_TEMPLATE = "No template"


class TemplateBox(QComboBox):
    """The templates by name (None first), the one suggested for the model marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("instruct template")
        self.setToolTip("The model's turn format, for writing a chat in the prompt (Prompt "
                        "menu); choosing one adds its stop strings")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def fill(self, templates: tuple[Template, ...], suggested: str | None,
             own: ModelTemplate | None, chosen: str | None) -> None:
        """The templates, with `chosen` (the document's) shown."""
        self.blockSignals(True)
        self.clear()
        self.addItem(NO_TEMPLATE, None)
        if own is not None:
            self.addItem(MODEL_TEMPLATE, MODEL_TEMPLATE)
            fit = ("its turns read exactly as the model's template renders them" if own.exact
                   else "its turns read as nearly as they can be: the template does more than "
                        "fixed turns (building a prompt from them differs from its own)")
            self.setItemData(self.count() - 1, f"Read from the model's chat template (Jinja): "
                             f"{fit}\n" + _tip(own.template), Qt.ItemDataRole.ToolTipRole)
        for template in templates:
            mark = " (suggested)" if template.name == suggested else ""
            self.addItem(template.name + mark, template.name)
            self.setItemData(self.count() - 1, _tip(template), Qt.ItemDataRole.ToolTipRole)
        self.show_chosen(chosen)
        self.blockSignals(False)

    def chosen(self) -> str | None:
        data = self.currentData()
        return data if isinstance(data, str) else None

    def show_chosen(self, name: str | None) -> None:
        """`name` shown as chosen; one the box does not offer (deleted, or the model's own
        while it is not known) is shown marked, so the box never says what is not so."""
        index = self.findData(name) if name else 0
        self.blockSignals(True)
        if index < 0:
            self.addItem(f"{name} (not available)", name)
            index = self.count() - 1
        self.setCurrentIndex(index)
        self.blockSignals(False)


def _tip(template: Template) -> str:
    lines = [template.description] if template.description else []
    for role in ROLES:
        prefix, suffix = template.affixes(role)
        lines.append(f"{role}: {json.dumps(prefix, ensure_ascii=False)} … "
                     f"{json.dumps(suffix, ensure_ascii=False)}")
    lines.append(f"stop: {json.dumps(list(template.stop), ensure_ascii=False)}")
    return "\n".join(lines)


class PromptTurns(QObject):
    def __init__(self, window: Any) -> None:
        """`window` is the main window (typed loosely: this object is a part of it)."""
        super().__init__(window)
        self.window = window
        self.store = TemplateStore()
        self.box = TemplateBox(window.top)
        self.box.currentIndexChanged.connect(lambda _index: self.choose(self.box.chosen()))
        self._suggested: str | None = None
        #: The current model's own chat template, read as turns (None: it has none known).
        self.own: ModelTemplate | None = None
        self._own_source: tuple[str, str, str] | None = None
        self.reload()

    # --- the box ---------------------------------------------------------------------------

    def reload(self) -> None:
        listing = self.store.list()
        for problem in listing.problems:
            self.window.status.showMessage(f"Templates: {problem}", 10000)
        self.box.fill(listing.items, self._suggested, self.own, self.window.view.template)

    def show_template(self, name: str | None) -> None:
        """A tab came forward: its template in the box."""
        self.box.show_chosen(name)

    def choose(self, name: str | None) -> None:
        """The box's choice becomes the document's; its stop strings join the request's."""
        view = self.window.view
        if name == view.template:
            return
        view.template = name
        template = self._get(name) if name else None
        if template is not None:
            self._add_stops(template)
        self.window.front.request_changed()

    def model(self) -> str:
        """The model the next run goes to: the one typed, else the connection's own."""
        w = self.window
        return str(w.bar.run_model()) if w.connections else ""

    def model_changed(self, *, restoring: bool = False) -> None:
        """Mark the template suggested for the model, and say so when the document has
        none."""
        model = self.model()
        self._read_own(model)
        suggestion = self.store.suggested_for(model) if model else None
        name = suggestion.name if suggestion else None
        if name != self._suggested:
            self._suggested = name
            self.reload()
        if name and not restoring and self.window.view.template is None:
            self.window.status.showMessage(f"The {name} template suits {model}: choose it in "
                                           "the Template box to write turns in its format",
                                           10000)

    def set_model_default(self) -> None:
        """The document's template becomes the one suggested for the current model."""
        model, name = self.model(), self.window.view.template
        if not model or not name:
            self.window.status.showMessage("Choose a model and a template first", 5000)
            return
        if name == MODEL_TEMPLATE:
            self.window.status.showMessage("The model's own template needs no default: it is "
                                           "offered whenever the model is chosen", 8000)
            return
        self.store.set_default(model, name)
        self._suggested = None
        self.model_changed(restoring=True)
        self.window.status.showMessage(f"{name} is now the template for {model}", 5000)

    # --- writing turns ---------------------------------------------------------------------

    def insert_system(self) -> None:
        self.insert("system")

    def insert_user(self) -> None:
        self.insert("user")

    def insert_assistant(self) -> None:
        self.insert("assistant")

    def insert(self, role: Role) -> None:
        """A turn of `role` at the cursor, the cursor left where its text goes."""
        template = self._ready()
        if template is None:
            return
        prefix, suffix = template.affixes(role)
        editor = self._editor()
        cursor = editor.textCursor()
        cursor.clearSelection()  # at the cursor: a selection stays (Wrap takes it in)
        cursor.insertText(prefix + suffix)
        cursor.setPosition(cursor.position() - utf16_length(suffix))
        editor.setTextCursor(cursor)
        editor.setFocus()

    def wrap_user(self) -> None:
        """The selection (or, without one, nothing) becomes a user turn's text."""
        template = self._ready()
        if template is None:
            return
        editor = self._editor()
        cursor = editor.textCursor()
        # the selection's own characters (toPlainText would turn no-break spaces into spaces)
        text = cursor.selectedText().replace("\u2029", "\n")
        prefix, suffix = template.affixes("user")
        cursor.insertText(prefix + text + suffix)
        editor.setTextCursor(cursor)
        editor.setFocus()

    def start_assistant(self) -> None:
        """The assistant's opening at the end of the text (unless it is there already), the
        cursor after it: what Run then continues."""
        template = self._ready()
        if template is None:
            return
        editor = self._editor()
        cursor = editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if template.assistant_prefix and \
                not plain_text(editor).endswith(template.assistant_prefix):
            cursor.insertText(template.assistant_prefix)
        editor.setTextCursor(cursor)
        editor.setFocus()

    def import_template(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import an instruct template", "",
                                              "Templates (*.json);;All files (*)")
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> Template | None:
        """Import a SillyTavern (or this app's) template, report what mapped, and choose it."""
        from pathlib import Path

        try:
            done = import_template_file(Path(path))
            self.store.save(done.template)
        except InvalidParameter as exc:
            self._tell(QMessageBox.Icon.Warning, "Template not imported", exc.message)
            return None
        self.reload()
        self.box.show_chosen(done.template.name)
        self.choose(done.template.name)
        self._tell(QMessageBox.Icon.Information, "Template imported", "\n".join(done.lines()))
        return done.template

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        """A message that does not block (no nested event loop under the async loop)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Close, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # --- helpers ---------------------------------------------------------------------------

    def _editor(self) -> QPlainTextEdit:
        editor: QPlainTextEdit = self.window.view.text_edit
        return editor

    def _read_own(self, model: str) -> None:
        """The model's own template: from the model list (the local engine's carries it), or
        from llama.cpp's ``/props``, fetched in the background."""
        w = self.window
        info = w.model_picker.info_for(model) if model and w.connections else None
        if info is not None and info.chat_template:
            self._set_own((info.chat_template, "", ""))
            return
        live = w.current() if w.connections else None
        if live is not None and live.connection.dialect == "llama.cpp" and live.client:
            w.spawn("chat template", self._fetch_own(live.client, live.connection.name))
        else:
            self._set_own(None)

    async def _fetch_own(self, client: Any, connection: str) -> None:
        try:
            source = await client.chat_template()
        except PlaygroundError:
            source = None
        if self.window.current().connection.name == connection:  # not another server's now
            self._set_own(source)

    def _set_own(self, source: tuple[str, str, str] | None) -> None:
        if source == self._own_source:
            return
        self._own_source = source
        self.own = None
        if source is not None:
            try:
                self.own = as_template(source[0], bos_token=source[1], eos_token=source[2])
            except ChatTemplateError as exc:
                self.window.status.showMessage(f"The model's own chat template: {exc}", 10000)
        self.reload()

    def _get(self, name: str) -> Template | None:
        if name == MODEL_TEMPLATE:
            if self.own is None:
                self.window.status.showMessage("This model's own chat template is not known "
                                               "here; choose another template", 8000)
                return None
            return self.own.template
        try:
            return self.store.get(name)
        except InvalidParameter as exc:
            self.window.status.showMessage(exc.message, 10000)
            return None

    def _ready(self) -> Template | None:
        """The document's template, else the model's suggestion (chosen now, and said); its
        stop strings in the request."""
        view = self.window.view
        if view.template is None and self._suggested:
            self.box.show_chosen(self._suggested)
            self.choose(self._suggested)
            self.window.status.showMessage(f"Writing turns in the {self._suggested} format, "
                                           "suggested for this model", 8000)
        if view.template is None:
            self.window.status.showMessage("Choose an instruct template first (the Template "
                                           "box at the top)", 8000)
            return None
        template = self._get(view.template)
        if template is not None:
            self._add_stops(template)
        return template

    def _add_stops(self, template: Template) -> None:
        params = self.window.params
        current = params.values().get("stop")
        merged = with_stops(current, template)
        if merged != (stop_list(current) or None):
            params.set_value("stop", merged)
            self.window.status.showMessage(
                f"Added {template.name}'s stop strings: "
                f"{', '.join(json.dumps(s, ensure_ascii=False) for s in template.stop)}", 8000)
