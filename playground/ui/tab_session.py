"""The open documents, one tab each: which are open, in which order and which is in front (kept
for the next start), which were closed (to reopen), and opening, creating, cloning, closing,
renaming and deleting them. How a tab is wired to the window and what the side panel shows of
it are the window's; this object only keeps the tabs and their documents."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from playground.core.errors import InvalidParameter
from playground.ui.document_view import DocumentView

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QWidget

    from playground.core.documents import Document, DocumentStore
    from playground.core.draft import Draft
    from playground.ui.document_tabs import DocumentTabs
    from playground.ui.open_dialog import OpenDocumentsDialog


class TabSession(QObject):
    message = Signal(str, int)  # for the status bar: the text, how long (ms)
    renamed = Signal(object)  # the DocumentView whose document has a new name
    closing = Signal(object)  # the DocumentView about to leave the tabs

    def __init__(self, tabs: DocumentTabs, store: DocumentStore, *,
                 prepare: Callable[[DocumentView], None], save_front: Callable[[], None],
                 parent: QObject | None = None) -> None:
        """`prepare` wires a new tab's view to the window (before it shows its document's
        mode); `save_front` keeps what the tab in front shows in its document."""
        super().__init__(parent)
        self.tabs = tabs
        self.store = store
        self._prepare = prepare
        self._save_front = save_front
        self.closed: list[int] = []  # documents of closed tabs, the last closed last

    def start(self, front: DocumentView, draft: Draft) -> None:
        """Open the tabs of last time around `front` (the first frame's tab, showing the
        draft's prompt), which gets the document in front last time; the first time, the draft
        that became a document, else a new document holding the draft."""
        document = self._front_document(draft)
        front.show_document(document)
        ids = _ids(QSettings().value("documents/open"))
        place = ids.index(document.id) if document.id in ids else 0
        for position, doc_id in enumerate(ids):
            if doc_id == document.id:
                continue
            try:
                other = self.store.get(doc_id)
            except InvalidParameter:
                continue  # deleted meanwhile (by the command line)
            self._open_view(other, index=-1 if position > place else self.tabs.indexOf(front),
                            activate=False)
        self.tabs.refresh_title(front)
        self.tabs.tabBar().tabMoved.connect(lambda _from, _to: self.save())
        self.tabs.close_requested.connect(self.close)
        self.tabs.rename_requested.connect(self.rename)
        self.save()

    def _front_document(self, draft: Draft) -> Document:
        from playground.core.documents.store import DRAFT_NAME

        try:
            document = self.store.get(int(QSettings().value("document/current")))
        except (InvalidParameter, TypeError, ValueError):
            try:
                adopted: Document | None = self.store.find(DRAFT_NAME)
            except InvalidParameter:
                adopted = None
            if adopted is not None and adopted.prompt == draft.prompt:
                document = adopted
            else:
                document = self._from_draft(draft)
        self.store.touch(document.id)
        return document

    def _from_draft(self, draft: Draft) -> Document:
        """A new document with `draft`'s prompt and settings (its prompt alone, said, if the
        settings no longer pass)."""
        try:
            return self.store.create(prompt=draft.prompt, model=draft.model,
                                     connection=draft.connection, params=draft.params,
                                     routing=draft.routing, extra=draft.extra)
        except InvalidParameter as exc:
            self.message.emit(f"Part of the saved draft was not valid and was left out: "
                              f"{exc.message}", 10000)
            return self.store.create(prompt=draft.prompt)

    def _open_view(self, document: Document, *, index: int = -1,
                   activate: bool = True) -> DocumentView:
        view = DocumentView(document.prompt, self.tabs)
        self._prepare(view)
        view.show_document(document)
        self.tabs.add(view, index)
        if activate:
            self.tabs.setCurrentWidget(view)
            view.setFocus()
        return view

    def _next_place(self) -> int:
        return self.tabs.currentIndex() + 1

    # --- what the menus ask ------------------------------------------------------------------

    def open(self, doc_id: int) -> None:
        """Bring the document's tab forward, opening it in a new tab if it is not open."""
        view = self.tabs.find(doc_id)
        if view is not None:
            self.tabs.setCurrentWidget(view)
            return
        try:
            document = self.store.get(doc_id)
        except InvalidParameter as exc:
            self.message.emit(f"Not opened: {exc.message}", 8000)
            return
        self.store.touch(doc_id)
        self._open_view(document, index=self._next_place())

    def new(self, connection: str, model: str) -> None:
        """A new, empty document on `connection` and `model` (the tab in front's)."""
        document = self.store.create(connection=connection, model=model)
        self._open_view(document, index=self._next_place())
        self.message.emit(f"New document {document.name}", 3000)

    def clone(self) -> None:
        """A copy of the tab in front's document (its prompt and settings), "… (copy)"."""
        self._save_front()
        front = self.tabs.current_view().document
        if front is None:
            return
        document = self.store.clone(front.id)
        self._open_view(document, index=self._next_place())
        self.message.emit(f"Cloned as {document.name}", 3000)

    def close(self, view: DocumentView | None = None) -> None:
        """Close a tab (the one in front by default), keeping its document; a run of it still
        going is stopped, and recorded in history with its text so far. The last tab closed
        leaves a new empty one on the same connection and model."""
        view = view if isinstance(view, DocumentView) else self.tabs.current_view()
        self.tabs.finish_rename(accept=True)
        if view is self.tabs.current_view():
            self._save_front()
        if view.runs is not None:
            view.runs.stop()
        last = view.document
        if last is not None:
            self.closed.append(last.id)
        self.closing.emit(view)
        self.tabs.removeTab(self.tabs.indexOf(view))
        view.deleteLater()
        if not self.tabs.count():
            self.new(last.connection if last else "local", last.model if last else "")
        self.save()

    def reopen(self) -> None:
        """Open the document of the tab closed last (that still exists and is not open)."""
        while self.closed:
            doc_id = self.closed.pop()
            if self.tabs.find(doc_id) is None:
                try:
                    document = self.store.get(doc_id)
                except InvalidParameter:
                    continue
                self._open_view(document, index=self._next_place())
                return
        self.message.emit("No closed tab to reopen", 3000)

    def rename(self, view: DocumentView, name: str) -> None:
        if view.document is None:
            return
        try:
            view.document = replace(view.document,
                                    name=self.store.rename(view.document.id, name).name)
        except InvalidParameter as exc:
            self.message.emit(f"Not renamed: {exc.message}", 8000)
            return
        self.tabs.refresh_title(view)
        self.renamed.emit(view)

    def deleted(self, ids: list[int]) -> None:
        """Close the tabs of deleted documents; they cannot be reopened."""
        for doc_id in ids:
            view = self.tabs.find(doc_id)
            if view is not None:
                view.document = None  # nothing left to save it into
                self.close(view)
        self.closed = [i for i in self.closed if i not in ids]

    def save(self) -> None:
        """Which documents are open, in which order, and which is in front."""
        ids = [view.document.id for view in self.tabs.views() if view.document is not None]
        settings = QSettings()
        settings.setValue("documents/open", ids)
        front = self.tabs.current_view().document if self.tabs.count() else None
        if front is not None:
            settings.setValue("document/current", front.id)

    # --- File → Open… ------------------------------------------------------------------------

    def make_open_dialog(self, parent: QWidget) -> OpenDocumentsDialog:
        from playground.ui.open_dialog import OpenDocumentsDialog

        dialog = OpenDocumentsDialog(self.store, lambda i: self.tabs.find(i) is not None,
                                     parent)
        dialog.open_requested.connect(lambda ids: [self.open(i) for i in ids])
        dialog.deleted.connect(self.deleted)
        return dialog

    def refresh_open_dialog(self, dialog: OpenDocumentsDialog) -> None:
        self._save_front()  # so that the list holds what the tab in front holds
        dialog.search.selectAll()
        dialog.search.setFocus()
        dialog.refresh()


def _ids(value: object) -> list[int]:
    """Document ids as QSettings gives a saved list back: a list, one value or nothing, as
    strings in an INI file; what is not a number is skipped."""
    values = value if isinstance(value, list) else [] if value is None else [value]
    return list(dict.fromkeys(int(v) for v in values if str(v).isdigit()))
