"""Settings: the API key of each connection and the custom connections, the theme and the
text font.

A key goes from a password field straight into `KeyStore` and the field is emptied; the dialog
only ever shows where the key in use comes from, never the key.

Detecting a new server's dialect and testing a saved server run as asyncio tasks on the app's
loop (never a nested event loop); the dialog keeps their handles and cancels them when it
closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.connection_check import probe
from playground.core.connections import (
    BUILTIN,
    DIALECTS,
    Connection,
    ConnectionStore,
    key_needs_confirmation,
)
from playground.core.detect import FALLBACK, detect
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.core.key_policy import decide
from playground.core.keys import KeyStore
from playground.ui.jobs import Jobs
from playground.ui.theme import THEMES, Appearance, apply_appearance
from playground.ui.widgets import error_label, push_button

SAMPLE_TEXT = ("Once upon a time, in a village by the sea,\n"
               "lived a lighthouse keeper who counted waves.\n"
               "0123456789  {}[]()<>  il1| O0  -> => !=")


def _buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose mnemonic focuses `buddy` (for rows that hold a layout, not a widget)."""
    label = QLabel(text, buddy.parentWidget())
    label.setBuddy(buddy)
    return label


class KeyBox(QGroupBox):
    """The API key of each connection that can send one (NanoGPT and the user's servers): a
    password field, Save and Remove, where the key in use comes from, and, for a plain-http
    server that is not this computer, the remembered permission to send the key there."""

    changed = Signal()

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__("API keys", parent)
        self.keys = keys
        self.store = ConnectionStore()
        self._connections: dict[str, Connection] = {}
        self.connection_box = QComboBox(self)
        self.connection_box.setAccessibleName("Connection of the key")
        self.connection_box.setToolTip("Whose key to set: NanoGPT's or one of your servers'")
        self.connection_box.currentIndexChanged.connect(self.refresh)
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setToolTip("The key is stored in the system keyring, never in a file")
        self.key_edit.textChanged.connect(self._update_buttons)
        self.key_edit.returnPressed.connect(self.save)
        self.show_button = QToolButton(self)
        self.show_button.setText("Show")
        self.show_button.setCheckable(True)
        self.show_button.setAccessibleName("Show the typed key")
        self.show_button.setToolTip("Show or hide the key as you type it")
        self.show_button.toggled.connect(self._toggle_echo)
        self.save_button = push_button("Save", "Store the key in the system keyring", self)
        self.save_button.clicked.connect(self.save)
        self.remove_button = push_button("Remove", "Forget the stored key", self)
        self.remove_button.clicked.connect(self.remove)
        self.source_label = QLabel(self)
        self.source_label.setWordWrap(True)
        self.source_label.setAccessibleName("Key in use")
        self.permission_label = QLabel(self)
        self.permission_label.setWordWrap(True)
        self.permission_label.setAccessibleName("Plain-http permission")
        self.forget_button = push_button(
            "Forget Permission", "Ask again before the key is next sent over plain http",
            self)
        self.forget_button.clicked.connect(self.forget_permission)
        self.problem_label = error_label(self)
        self.problem_label.setAccessibleName("Keyring problem")
        self.undocumented_box = QCheckBox(
            "Also send the sampler fields NanoGPT does not document (DRY, XTC, order, …)",
            self)
        self.undocumented_box.setToolTip(
            "For providers behind NanoGPT that take them. Off: those fields are greyed in the "
            "panel and left out of requests; on: they are sent and the preview says so.")
        self.undocumented_box.toggled.connect(self._set_undocumented)

        form = QFormLayout()
        form.addRow("C&onnection", self.connection_box)
        row = QHBoxLayout()
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.show_button)
        row.addWidget(self.save_button)
        row.addWidget(self.remove_button)
        form.addRow(_buddy_label("&Key", self.key_edit), row)
        permission_row = QHBoxLayout()
        permission_row.addWidget(self.permission_label, 1)
        permission_row.addWidget(self.forget_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.source_label)
        layout.addLayout(permission_row)
        layout.addWidget(self.undocumented_box)
        layout.addWidget(self.problem_label)
        self.reload()

    def reload(self) -> None:
        """Re-read the connections, keeping the chosen one if it is still there."""
        chosen = self.connection_box.currentData()
        self._connections = {c.name: c for c in self.store.all() if c.kind != "local"}
        self.connection_box.blockSignals(True)
        self.connection_box.clear()
        for connection in self._connections.values():
            self.connection_box.addItem(connection.label, connection.name)
        self.connection_box.setCurrentIndex(max(0, self.connection_box.findData(chosen)))
        self.connection_box.blockSignals(False)
        self.refresh()

    def chosen(self) -> Connection:
        return self._connections[self.connection_box.currentData()]

    def save(self) -> None:
        if not self.key_edit.text().strip():
            return
        self.keys.set(self.chosen().name, self.key_edit.text())
        # setText, not clear(): clear() is undoable, so Ctrl+Z would bring the key back.
        self.key_edit.setText("")
        self.show_button.setChecked(False)
        self.refresh()
        self.changed.emit()

    def remove(self) -> None:
        self.keys.delete(self.chosen().name)
        self.refresh()
        self.changed.emit()

    def _set_undocumented(self, on: bool) -> None:
        if on != self.chosen().send_undocumented:
            self.store.send_undocumented(self.chosen().name, on)
            self.reload()
            self.changed.emit()

    def forget_permission(self) -> None:
        self.store.allow_insecure_key(self.chosen().name, False)
        self.reload()
        self.changed.emit()

    def refresh(self) -> None:
        connection = self.chosen()
        found = self.keys.get(connection.name)
        env_var = self.keys.env_var(connection.name)
        source = found.source if found else None
        nobody = (f"requests to {connection.label} will be refused" if connection.needs_key
                  else f"requests to {connection.label} go without one")
        self.source_label.setText({
            "environment": f"In use: the key in the {env_var} environment variable. It wins "
                           "over a saved key while it is set.",
            "keyring": "In use: the key saved in the system keyring.",
            "session": "In use: a key kept for this session only; it is forgotten when the "
                       "app quits.",
            None: f"No key set: {nobody}. Paste a key above, or set {env_var}.",
        }[source])
        self.key_edit.setAccessibleName(f"{connection.label} API key")
        self.key_edit.setPlaceholderText("sk-nano-…  (paste a new key)" if connection.needs_key
                                         else "Paste a new key")
        self._show_permission(connection)
        self.undocumented_box.setVisible(connection.dialect == "nanogpt")
        self.undocumented_box.blockSignals(True)
        self.undocumented_box.setChecked(connection.send_undocumented)
        self.undocumented_box.blockSignals(False)
        problem = self.keys.keyring_problem
        self.problem_label.setText(problem[:1].upper() + problem[1:] + "." if problem else "")
        self.problem_label.setVisible(bool(problem))
        self.remove_button.setEnabled(source in ("keyring", "session"))
        self._update_buttons()

    def _show_permission(self, connection: Connection) -> None:
        """Only a plain-http server that is not this computer has one to show."""
        plain = key_needs_confirmation(connection.base_url)
        host = QUrl(connection.base_url or "").host()
        self.permission_label.setText(
            f"{host} is plain http and not this computer: you allowed its key to be sent "
            "there unencrypted." if connection.insecure_key_ok else
            f"{host} is plain http and not this computer: the window asks before its key is "
            "first sent there unencrypted.")
        self.permission_label.setVisible(plain)
        self.forget_button.setVisible(plain and connection.insecure_key_ok)

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(bool(self.key_edit.text().strip()))

    def _toggle_echo(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown
                                  else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if shown else "Show")


class ConnectionsBox(QGroupBox):
    """Built-in connections (read-only) and the user's own servers: add (detecting the
    server's dialect unless one is chosen), test and remove (which forgets a removed
    connection's saved key too)."""

    changed = Signal()
    #: The note of a detection, once its connection is saved.
    detected = Signal(str)
    #: A test's connection name and result, once shown.
    tested = Signal(str, str)

    NAME, URL, DIALECT, TEST, RESULT = range(5)

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__("Connections", parent)
        self.keys = keys
        self.store = ConnectionStore()
        self._jobs = Jobs()
        self._results: dict[str, str] = {}
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["Name", "Base URL", "Dialect", "", "Test result"])
        self.table.setAccessibleName("Connections")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.URL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.RESULT, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(150)
        self.table.itemSelectionChanged.connect(self._update_remove)
        self.remove_button = push_button("Remove", "Remove the selected custom connection", self)
        self.remove_button.clicked.connect(self.remove_selected)

        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. llama-box")
        self.name_edit.setAccessibleName("New connection name")
        self.name_edit.setToolTip("Letters, digits, '-', '_' or '.'")
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("e.g. http://127.0.0.1:8080/v1")
        self.url_edit.setAccessibleName("New connection base URL")
        self.url_edit.setToolTip("The server's OpenAI-style base URL; /completions is added")
        self.dialect_box = QComboBox(self)
        self.dialect_box.addItem("Detect automatically", None)
        for dialect in DIALECTS:
            self.dialect_box.addItem(dialect, dialect)
        self.dialect_box.setAccessibleName("New connection dialect")
        self.dialect_box.setToolTip("Which server it is, so unsupported fields are left out; "
                                    "detected from the server's answers unless you choose")
        self.add_button = push_button("Add", "Save this connection (replaces one of the same name)",
                                  self)
        self.add_button.clicked.connect(self.add)
        for edit in (self.name_edit, self.url_edit):
            edit.returnPressed.connect(self.add)
        self.error_label = error_label(self)
        self.error_label.setAccessibleName("Connection error")
        self.added_label = QLabel(self)
        self.added_label.setWordWrap(True)
        self.added_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.added_label.setAccessibleName("Detected dialect")
        self.added_label.hide()

        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        form.addRow("Base &URL", self.url_edit)
        dialect_row = QHBoxLayout()
        dialect_row.addWidget(self.dialect_box, 1)
        dialect_row.addWidget(self.add_button)
        form.addRow(_buddy_label("&Dialect", self.dialect_box), dialect_row)
        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(remove_row)
        layout.addWidget(QLabel("<b>Add a server</b>", self))
        layout.addLayout(form)
        layout.addWidget(self.added_label)
        layout.addWidget(self.error_label)
        self.reload()

    def reload(self) -> None:
        self.table.setRowCount(0)
        for connection in self.store.all():
            self._append_row(connection, builtin=connection in BUILTIN)
        self._update_remove()

    def add(self) -> None:
        name, url = self.name_edit.text().strip(), self.url_edit.text().strip()
        dialect = self.dialect_box.currentData()
        try:
            if not name or not url:
                raise InvalidParameter("connection", "Enter a name and a base URL.")
            connection = Connection.checked(name=name, base_url=url,
                                            dialect=dialect or FALLBACK)
            self.store.check_addable(name)
        except InvalidParameter as exc:
            self._show_error(exc.message)
            return
        self._show_error(None)
        if dialect is None:
            self._say(f"Asking {connection.base_url} which server it is…")
            self._set_adding(False)
            self._jobs.spawn("detect", self._detect_and_save(connection))
        else:
            self._save(connection, None)

    async def _detect_and_save(self, connection: Connection) -> None:
        assert connection.base_url is not None
        try:
            detection = await detect(connection.base_url, decide(connection, self.keys).key)
        finally:
            self._set_adding(True)
        self._save(connection.model_copy(update={"dialect": detection.dialect}),
                   f"{connection.name}: {detection.note}")

    def _save(self, connection: Connection, note: str | None) -> None:
        self.store.add(connection)
        self._say(note)
        self.name_edit.setText("")
        self.url_edit.setText("")
        self._results.pop(connection.name, None)
        self.reload()
        self.changed.emit()
        if note:
            self.detected.emit(note)

    def _set_adding(self, enabled: bool) -> None:
        for widget in (self.name_edit, self.url_edit, self.dialect_box, self.add_button):
            widget.setEnabled(enabled)

    def test(self, name: str) -> None:
        """Check the saved connection `name` as ``playground connections test`` does; the
        result shows in its row."""
        self._show_result(name, "Testing…")
        self._jobs.spawn(f"test {name}", self._test(self.store.get(name)))

    async def _test(self, connection: Connection) -> None:
        try:
            result = await self._check(connection)
        except PlaygroundError as exc:
            result = f"failed: {exc}"
        self._show_result(connection.name, result)
        self.tested.emit(connection.name, result)

    async def _check(self, connection: Connection) -> str:
        assert connection.base_url is not None  # saved servers have one
        decision = decide(connection, self.keys)
        if decision.insecure_message:
            raise InvalidParameter("api_key", decision.insecure_message)
        found_out = await probe(connection.base_url, decision.key, connection.model,
                                connection.insecure_key_ok)
        return (f"reachable · {len(found_out.models)} models · dialect {connection.dialect} · "
                f"{found_out.completion_ms:.0f} ms")

    def cancel(self) -> None:
        """Stop every detection and test still running; a stopped test shows no result."""
        for name in self._jobs.running():
            if name.startswith("test "):
                self._show_result(name.removeprefix("test "), "")
        self._jobs.cancel()
        self._say(None)

    def remove_selected(self) -> None:
        name = self._selected_custom()
        if name is None:
            return
        self.store.remove(name)
        self.keys.delete(name)  # a new connection of that name must not inherit it
        self._results.pop(name, None)
        self.reload()
        self.changed.emit()

    def _append_row(self, connection: Connection, *, builtin: bool) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        url = connection.base_url or "(started by the app)"
        tip = "Built in; it cannot be removed" if builtin else f"Saved in {self.store.path}"
        result = "" if builtin else self._results.get(connection.name, "")
        for column, text in enumerate((connection.name, url, connection.dialect, "", result)):
            item = QTableWidgetItem(text)
            item.setToolTip(result if column == self.RESULT else tip)
            item.setData(Qt.ItemDataRole.UserRole, None if builtin else connection.name)
            if builtin:
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            self.table.setItem(row, column, item)
        if not builtin:
            button = push_button("Test", f"Fetch {connection.name}'s models and run a 1-token "
                                 "completion", self.table)
            button.setAccessibleName(f"Test {connection.name}")
            button.clicked.connect(lambda: self.test(connection.name))
            self.table.setCellWidget(row, self.TEST, button)

    def _show_result(self, name: str, text: str) -> None:
        self._results[name] = text
        for row in range(self.table.rowCount()):
            item = self.table.item(row, self.RESULT)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setText(text)
                item.setToolTip(text)

    def _selected_custom(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _update_remove(self) -> None:
        self.remove_button.setEnabled(self._selected_custom() is not None)

    def _say(self, message: str | None) -> None:
        self.added_label.setText(message or "")
        self.added_label.setVisible(bool(message))

    def _show_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))


class ConnectionsPage(QWidget):
    changed = Signal()

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key_box = KeyBox(keys, self)
        self.connections_box = ConnectionsBox(keys, self)
        self.key_box.changed.connect(self.changed)
        self.connections_box.changed.connect(self.key_box.reload)
        self.connections_box.changed.connect(self.changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.key_box)
        layout.addWidget(self.connections_box, 1)

    def reload(self) -> None:
        """Show connections.json as it is now (the window may have changed it)."""
        self.key_box.reload()
        self.connections_box.reload()


class AppearancePage(QWidget):
    """Theme and text font with a live sample; Apply saves and applies them."""

    applied = Signal(object)  # Appearance

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        current = Appearance.load()
        self.theme_box = QComboBox(self)
        for theme in THEMES:
            self.theme_box.addItem(theme.capitalize(), theme)
        self.theme_box.setCurrentIndex(self.theme_box.findData(current.theme))
        self.theme_box.setAccessibleName("Theme")
        self.theme_box.setToolTip("System follows the desktop's light or dark setting")
        self.font_box = QFontComboBox(self)
        self.font_box.setAccessibleName("Text font")
        self.font_box.setToolTip("The font of the prompt and the output")
        self.size_box = QSpinBox(self)
        self.size_box.setRange(6, 48)
        self.size_box.setSuffix(" pt")
        self.size_box.setAccessibleName("Text font size")
        self.size_box.setToolTip("The text font's size in points")
        self.default_button = push_button("Default", "Use the system's font again", self)
        self.default_button.clicked.connect(lambda: self._show_font(Appearance().font()))
        self.sample = QPlainTextEdit(SAMPLE_TEXT, self)
        self.sample.setReadOnly(True)
        self.sample.setTabChangesFocus(True)
        self.sample.setAccessibleName("Font sample")
        self.sample.setToolTip("How prompts and completions will look")
        self.apply_button = push_button("Apply", "Save the theme and font and use them now", self)
        self.apply_button.clicked.connect(self.apply)
        self._show_font(current.font())
        self.font_box.currentFontChanged.connect(self._update_sample)
        self.size_box.valueChanged.connect(self._update_sample)

        font_row = QHBoxLayout()
        font_row.addWidget(self.font_box, 1)
        font_row.addWidget(self.size_box)
        font_row.addWidget(self.default_button)
        form = QFormLayout()
        form.addRow("&Theme", self.theme_box)
        form.addRow(_buddy_label("Text &font", self.font_box), font_row)
        form.addRow(_buddy_label("&Sample", self.sample), self.sample)
        apply_row = QHBoxLayout()
        apply_row.addStretch(1)
        apply_row.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addLayout(apply_row)

    def chosen_font(self) -> QFont:
        font = QFont(self.font_box.currentFont())
        font.setPointSize(self.size_box.value())
        return font

    def appearance(self) -> Appearance:
        """What the controls show; the default font is stored as "" so it follows the system."""
        font, default = self.chosen_font(), Appearance().font()
        same = (font.family(), font.pointSize()) == (default.family(), default.pointSize())
        text_font = "" if same else font.toString()
        return Appearance(theme=self.theme_box.currentData(), text_font=text_font)

    def apply(self) -> None:
        appearance = self.appearance()
        appearance.save()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_appearance(app, appearance)
        self.applied.emit(appearance)

    def _show_font(self, font: QFont) -> None:
        self.font_box.setCurrentFont(font)
        self.size_box.setValue(max(font.pointSize(), self.size_box.minimum()))
        self._update_sample()

    def _update_sample(self) -> None:
        self.sample.setFont(self.chosen_font())


class SettingsDialog(QDialog):
    """Open it with `open()` or `show()`: it reports changes through signals, not a result."""

    connections_changed = Signal()
    appearance_changed = Signal(object)  # Appearance

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.connections_page = ConnectionsPage(keys, self)
        self.appearance_page = AppearancePage(self)
        self.connections_page.changed.connect(self.connections_changed)
        self.appearance_page.applied.connect(self.appearance_changed)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.connections_page, "&Connections")
        self.tabs.addTab(self.appearance_page, "&Appearance")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        for button in close.buttons():
            button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)
        self.resize(840, 660)
        app = QApplication.instance()
        assert app is not None
        app.aboutToQuit.connect(self.connections_page.connections_box.cancel)

    def done(self, result: int) -> None:
        """Closing stops what the dialog started: detections and tests."""
        self.connections_page.connections_box.cancel()
        super().done(result)
