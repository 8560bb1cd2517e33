"""The request preview: exactly what Run would send, as JSON body, headers, curl and Python.

The dialog is given a request and never a key: the headers name the environment variable to read
it from instead (``$NANOGPT_API_KEY``), so nothing copied from here can leak a key.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.request import (
    CompletionRequest,
    completions_url,
    preview_curl,
    preview_headers,
    preview_json,
    preview_python,
)

COPIED_FEEDBACK_MS = 1500
#: Shown under the snippets for the local engine, whose port they name.
LOCAL_PORT_NOTE = ("The local engine keeps its port from one start to the next while nothing "
                   "else takes it, so these snippets keep working after a restart. To pin a "
                   "port, run `playground serve --port N` and add a custom connection with "
                   "the base URL http://127.0.0.1:N/v1 in File → Settings.")


class CodePage(QWidget):
    """One read-only, monospace text with a Copy button that copies exactly that text."""

    def __init__(self, title: str, *, wrap: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.view.setTabChangesFocus(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth if wrap
                                  else QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setAccessibleName(f"{title} preview")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setAutoDefault(False)
        self.copy_button.setAccessibleName(f"Copy {title}")
        self.copy_button.setToolTip(f"Copy the {title} text to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def text(self) -> str:
        return self.view.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the text, keeping the scroll position (the preview refreshes while read)."""
        if text == self.text():
            return
        vertical = self.view.verticalScrollBar().value()
        horizontal = self.view.horizontalScrollBar().value()
        self.view.setPlainText(text)
        self.view.verticalScrollBar().setValue(vertical)
        self.view.horizontalScrollBar().setValue(horizontal)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied")
        QTimer.singleShot(COPIED_FEEDBACK_MS, self, lambda: self.copy_button.setText("Copy"))


class RequestPreviewDialog(QDialog):
    """Modeless: the window calls `show_request` again whenever the request changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Request preview")
        self.setModal(False)
        self.url_edit = QLineEdit(self)
        self.url_edit.setReadOnly(True)
        self.url_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.url_edit.setAccessibleName("Target URL")
        self.url_edit.setToolTip("The request is sent with POST to this URL")
        url_label = QLabel("POST", self)
        url_label.setBuddy(self.url_edit)
        self.note_label = QLabel(self)
        self.note_label.setWordWrap(True)
        self.note_label.setAccessibleName("Preview note")
        self.note_label.hide()
        self.tabs = QTabWidget(self)
        # curl puts the whole body on one line: wrap it so it can be read without scrolling.
        self.pages = {title: CodePage(title, wrap=title == "curl", parent=self.tabs)
                      for title in ("Body", "Headers", "curl", "Python")}
        for title, page in self.pages.items():
            self.tabs.addTab(page, title)
        self.tabs.setTabToolTip(0, "The JSON body, exactly as sent")
        self.tabs.setTabToolTip(1, "The request headers; the API key is shown as a variable")
        self.tabs.setTabToolTip(2, "A curl command that sends the same request")
        self.tabs.setTabToolTip(3, "A Python (httpx) script that sends the same request")
        self.port_label = QLabel(LOCAL_PORT_NOTE, self)
        self.port_label.setTextFormat(Qt.TextFormat.PlainText)
        self.port_label.setWordWrap(True)
        self.port_label.setAccessibleName("Local engine port note")
        self.port_label.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        for button in close.buttons():
            button.setAutoDefault(False)

        url_row = QHBoxLayout()
        url_row.addWidget(url_label)
        url_row.addWidget(self.url_edit, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(url_row)
        layout.addWidget(self.note_label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.port_label)
        layout.addWidget(close)
        self.resize(720, 520)
        self.pages["Body"].view.setFocus()

    def show_request(self, request: CompletionRequest, base_url: str, *, key_env: str | None,
                     note: str | None = None, local: bool = False) -> None:
        """Fill (or refresh) every view. With `key_env`, the Authorization header reads the key
        from that environment variable. `local`: `base_url` is the built-in local engine's,
        whose port the snippets name; a note says how long that port lasts."""
        headers = preview_headers(request, key_env=key_env)
        texts = {
            "Body": preview_json(request),
            "Headers": "\n".join(f"{name}: {value}" for name, value in headers.items()),
            "curl": preview_curl(request, base_url, key_env=key_env),
            "Python": preview_python(request, base_url, key_env=key_env),
        }
        for title, text in texts.items():
            self.pages[title].set_text(text)
        self.url_edit.setText(completions_url(base_url))
        self.url_edit.setCursorPosition(0)
        self.note_label.setText(note or "")
        self.note_label.setVisible(bool(note))
        self.port_label.setVisible(local)
