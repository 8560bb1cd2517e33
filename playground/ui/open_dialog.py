"""File → Open…: every document, the most recently used first, searched by name and text as
you type; open one (or several) in tabs, export them as JSON, delete them (after asking).

The list is a model over the store's summaries (name, last use, model, the start of the text),
at most `MAX_LISTED` at a time, so that a keystroke in the search box costs one indexed query
and a repaint of the visible rows however many documents there are."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from playground.core.documents import DocumentStore, DocumentSummary

MAX_LISTED = 500
COLUMNS = ("Name", "Last used", "Model", "Text")

Index = QModelIndex | QPersistentModelIndex


class DocumentListModel(QAbstractTableModel):
    def __init__(self, is_open: Callable[[int], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[DocumentSummary] = []
        self._is_open = is_open
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[DocumentSummary]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, _when(row.last_used_at), row.model or f"{row.connection} default",
                    " ".join(row.preview.split()))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            opened = " (open in a tab)" if self._is_open(row.id) else ""
            return f"{row.name}{opened}\n{row.connection} · {row.mode}\n\n{row.preview}"
        if role == Qt.ItemDataRole.FontRole and column == 0 and self._is_open(row.id):
            return self._bold
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None


class OpenDocumentsDialog(QDialog):
    open_requested = Signal(list)  # the ids to open, in the order listed
    deleted = Signal(list)  # the ids just deleted

    def __init__(self, store: DocumentStore, is_open: Callable[[int], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open Document")
        self.setObjectName("openDocuments")
        self.store = store
        self.search = QLineEdit(self)
        self.search.setAccessibleName("search documents")
        self.search.setPlaceholderText("Search names and text (every word)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.model = DocumentListModel(is_open, self)
        self.table = QTableView(self)
        self.table.setAccessibleName("documents")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((200, 130, 180)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName("documents found")

        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("&Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button = QPushButton("&Export…", self)
        self.export_button.setToolTip("Save the selected documents as JSON (playground "
                                      "documents import reads it)")
        self.delete_button = QPushButton("&Delete…", self)
        self.delete_button.setToolTip("Delete the selected documents (asks first); runs stay "
                                      "in history")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.open_button.setDefault(True)  # Enter in the search box opens the first match
        self.open_button.clicked.connect(self.open_selected)
        self.export_button.clicked.connect(self.export_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table,
                  self.delete_selected)

        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.search.installEventFilter(self)
        self.resize(760, 480)
        self._pending_export: list[int] = []
        self._pending_delete: list[int] = []

    def refresh(self) -> None:
        """List what the search box asks for, the most recently used first; the first row
        selected, so that Enter opens it."""
        text = self.search.text()
        rows = self.store.list(text or None, limit=MAX_LISTED + 1)
        more = len(rows) > MAX_LISTED
        rows = rows[:MAX_LISTED]
        self.model.set_rows(rows)
        if not text:  # counting them all is quick; counting a broad search's matches is not
            total = self.store.count() if more else len(rows)
            noun = "document" if total == 1 else "documents"
            self.count_label.setText(f"{total:,} {noun}" + (
                f" · the {len(rows):,} used last are listed" if more else ""))
        elif more:
            self.count_label.setText(f"More than {MAX_LISTED:,} documents match · the "
                                     f"{MAX_LISTED:,} used last are listed; type more to "
                                     "narrow")
        else:
            self.count_label.setText(f"{len(rows):,} document matches" if len(rows) == 1 else
                                     f"{len(rows):,} documents match")
        if rows:
            self.table.selectRow(0)
        self._selection_changed()

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.rows[row].id for row in rows]

    def open_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.open_requested.emit(ids)
            self.accept()

    def export_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        self._pending_export = ids
        dialog = QFileDialog(self, "Export Documents")
        dialog.setObjectName("exportDocuments")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["JSON (*.json)"])
        dialog.setDefaultSuffix("json")
        first = self.model.rows[self.table.selectionModel().selectedRows()[0].row()].name
        dialog.selectFile(f"{_file_name(first)}.json" if len(ids) == 1 else "documents.json")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._export_chosen)
        dialog.open()

    # Bound methods, not lambdas, for dialogs deleted on close (as preset_bar explains: PySide
    # 6.11 crashes when such a dialog takes a lambda that captures `self` with it); what each
    # was opened for is pending on this dialog.

    def _export_chosen(self, path: str) -> None:
        self.export_to(self._pending_export, Path(path))

    def export_to(self, ids: list[int], path: Path) -> None:
        from playground.core.errors import InvalidParameter
        from playground.core.storage import atomic_write_text

        try:
            atomic_write_text(path, self.store.export_json(ids))
        except (InvalidParameter, OSError) as exc:  # deleted meanwhile; a folder not writable
            self.count_label.setText(f"Not exported: {exc}")
            return
        noun = "document" if len(ids) == 1 else "documents"
        self.count_label.setText(f"Exported {len(ids)} {noun} to {path.name}")

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        names = [row.name for row in self.model.rows if row.id in ids]
        what = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} documents"
        box = QMessageBox(QMessageBox.Icon.Question, "Delete Documents?", f"Delete {what}?",
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("deleteDocuments")
        box.setInformativeText("A deleted document cannot be brought back; its runs stay in "
                               "history. Export it first to keep a copy." +
                               ("\n\n" + "\n".join(names[:10]) if len(names) > 1 else ""))
        box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._pending_delete = ids
        box.buttonClicked.connect(self._delete_answered)
        box.open()

    def _delete_answered(self, button: QAbstractButton) -> None:
        box = self.sender()
        if (isinstance(box, QMessageBox)
                and box.buttonRole(button) == QMessageBox.ButtonRole.DestructiveRole):
            self.delete(self._pending_delete)

    def delete(self, ids: list[int]) -> None:
        from playground.core.errors import InvalidParameter

        for doc_id in ids:
            with contextlib.suppress(InvalidParameter):  # deleted meanwhile: gone either way
                self.store.delete(doc_id)
        self.deleted.emit(ids)
        self.refresh()
        noun = "document" if len(ids) == 1 else "documents"
        self.count_label.setText(f"Deleted {len(ids)} {noun}")

    def _selection_changed(self) -> None:
        chosen = bool(self.table.selectionModel().selectedRows())
        for button in (self.open_button, self.export_button, self.delete_button):
            button.setEnabled(chosen)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        """Up and Down in the search box move through the list, as in a launcher."""
        from PySide6.QtCore import QEvent

        if watched is self.search and event.type() == QEvent.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
                                Qt.Key.Key_PageDown):
            QApplication.sendEvent(self.table, event)
            return True
        return super().eventFilter(watched, event)


def _when(iso: str) -> str:
    """A use time as people read it: today's as its time, older ones as their date."""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("today %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def _file_name(name: str) -> str:
    """A document's name as a file name: what a file system refuses becomes a hyphen."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in name).strip(". ") or "document"
