"""The tabs, one document each: titles that say when a tab streams, rename in place by
double-click (or F2), reorder by drag, a close button on each tab and a "+" for a new one.
What a tab does to its document (create, rename, close) the window decides; this widget only
shows the tabs and says what was asked of them."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTabBar, QTabWidget, QToolButton, QWidget

from playground.ui.document_view import DocumentView

STREAMING_MARK = "● "


class DocumentTabs(QTabWidget):
    new_requested = Signal()
    close_requested = Signal(object)  # the DocumentView
    rename_requested = Signal(object, str)  # the DocumentView, the name typed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("documents")
        self.setDocumentMode(True)
        self.setMovable(True)
        self.setTabsClosable(True)
        self.setUsesScrollButtons(True)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabBar().setExpanding(False)
        self.tabCloseRequested.connect(lambda index: self.close_requested.emit(self.view(index)))
        self.tabBarDoubleClicked.connect(self._double_clicked)
        plus = QToolButton(self)
        plus.setText("+")
        plus.setAutoRaise(True)
        plus.setToolTip("New tab (Ctrl+T)")
        plus.setAccessibleName("new tab")
        plus.clicked.connect(self.new_requested)
        self.setCornerWidget(plus, Qt.Corner.TopRightCorner)
        self._editor: QLineEdit | None = None
        self._renaming: DocumentView | None = None  # whose name the editor holds

    def view(self, index: int) -> DocumentView:
        widget = self.widget(index)
        assert isinstance(widget, DocumentView)
        return widget

    def views(self) -> list[DocumentView]:
        return [self.view(index) for index in range(self.count())]

    def current_view(self) -> DocumentView:
        widget = self.currentWidget()
        assert isinstance(widget, DocumentView)
        return widget

    def find(self, doc_id: int) -> DocumentView | None:
        """The tab of that document, if it is open."""
        for view in self.views():
            if view.document is not None and view.document.id == doc_id:
                return view
        return None

    def add(self, view: DocumentView, index: int = -1) -> None:
        self.insertTab(index, view, "")
        self.refresh_title(view)
        view.streaming_changed.connect(lambda _streaming: self.refresh_title(view))

    def refresh_title(self, view: DocumentView) -> None:
        """The tab's title: its document's name, marked while a run of it streams."""
        index = self.indexOf(view)
        if index < 0:
            return
        streaming = view.streaming
        self.setTabText(index, (STREAMING_MARK if streaming else "")
                        + view.name.replace("&", "&&"))
        self.setTabToolTip(index, f"{view.name} — streaming" if streaming else
                           f"{view.name} (double-click to rename)")
        close = self.tabBar().tabButton(index, QTabBar.ButtonPosition.RightSide)
        if close is not None:
            close.setAccessibleName(f"close {view.name}")
            close.setToolTip("Close the tab (Ctrl+W); the document is kept")

    def step(self, by: int) -> None:
        """Go `by` tabs to the right (left if negative), round the ends."""
        if self.count():
            self.setCurrentIndex((self.currentIndex() + by) % self.count())

    def next(self) -> None:
        self.step(1)

    def previous(self) -> None:
        self.step(-1)

    # --- rename in place ----------------------------------------------------------------

    def start_rename(self, index: int | None = None) -> None:
        """An editor over the tab's title: Enter (or leaving it) renames, Esc does not."""
        index = self.currentIndex() if index is None else index
        if index < 0:
            return
        self.finish_rename(accept=False)
        bar = self.tabBar()
        view = self.view(index)
        editor = self._editor = QLineEdit(view.name, bar)
        editor.setAccessibleName("tab name")
        editor.setGeometry(bar.tabRect(index).adjusted(2, 2, -2, -2))
        editor.selectAll()
        editor.installEventFilter(self)
        editor.returnPressed.connect(lambda: self.finish_rename(accept=True))
        editor.show()
        editor.setFocus()
        self._renaming = view

    def finish_rename(self, *, accept: bool) -> None:
        editor, self._editor = self._editor, None
        if editor is None:
            return
        editor.removeEventFilter(self)
        editor.hide()
        editor.deleteLater()
        view = self._renaming
        assert view is not None
        if accept and self.indexOf(view) >= 0 and editor.text() != view.name:
            self.rename_requested.emit(view, editor.text())
        if self.indexOf(view) >= 0:
            view.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._editor:
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                    and event.key() == Qt.Key.Key_Escape:
                self.finish_rename(accept=False)
                return True
            if event.type() == QEvent.Type.FocusOut:
                self.finish_rename(accept=True)
        return super().eventFilter(watched, event)

    def _double_clicked(self, index: int) -> None:
        if index >= 0:
            self.start_rename(index)
        else:
            self.new_requested.emit()  # on the empty part of the bar, as browsers do
