"""The request preview, offscreen: exactly the request, never a key, and copyable."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from playground.core.request import (
    NANOGPT_KEY_ENV,
    build_request,
    completions_url,
    preview_curl,
    preview_json,
    preview_python,
)
from playground.ui.preview_dialog import RequestPreviewDialog

pytestmark = pytest.mark.gui

BASE_URL = "https://nano-gpt.com/api/v1"
SECRET = "sk-nano-00000000-1111-2222-3333-444444444444"


@pytest.fixture
def dialog(qtbot) -> RequestPreviewDialog:
    preview = RequestPreviewDialog()
    qtbot.addWidget(preview)
    preview.show()
    return preview


def request(**params):
    return build_request("Once upon a time", "minimax/minimax-m2.7:online", params)


def all_text(root: QWidget) -> str:
    parts = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLabel | QLineEdit):
            parts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            parts.append(widget.toPlainText())
    return "\n".join(parts)


def test_shows_exactly_the_request(dialog) -> None:
    req = request(temperature=0.5, stop=["\n\n", "END"], mirostat_mode=2)
    dialog.show_request(req, BASE_URL, key_env=NANOGPT_KEY_ENV)
    body = dialog.pages["Body"].text()
    assert body == preview_json(req)
    assert json.loads(body) == req.body()
    assert dialog.pages["curl"].text() == preview_curl(req, BASE_URL, key_env=NANOGPT_KEY_ENV)
    assert dialog.pages["Python"].text() == preview_python(req, BASE_URL, key_env=NANOGPT_KEY_ENV)
    assert dialog.pages["Headers"].text().splitlines() == [
        "Content-Type: application/json",
        "Accept: text/event-stream",
        f"Authorization: Bearer ${NANOGPT_KEY_ENV}",
    ]
    assert dialog.url_edit.text() == completions_url(BASE_URL)
    assert not dialog.note_label.isVisible()
    assert dialog.pages["Body"].view.isReadOnly()


def test_never_shows_a_key(dialog, monkeypatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", SECRET)
    dialog.show_request(request(), BASE_URL, key_env=NANOGPT_KEY_ENV)
    text = all_text(dialog)
    assert f"${NANOGPT_KEY_ENV}" in text
    assert SECRET not in text


def test_without_key_there_is_no_authorization(dialog) -> None:
    dialog.show_request(request(), "http://127.0.0.1:8080/v1", key_env=None)
    assert "Authorization" not in all_text(dialog)
    assert dialog.url_edit.text() == "http://127.0.0.1:8080/v1/completions"


def test_copy_buttons_copy_exactly_their_text(dialog) -> None:
    dialog.show_request(request(top_k=40), BASE_URL, key_env=NANOGPT_KEY_ENV)
    clipboard = QGuiApplication.clipboard()
    for title, page in dialog.pages.items():
        clipboard.setText("")
        page.copy_button.click()
        assert clipboard.text() == page.text(), title
        assert page.text()
        assert page.copy_button.text() == "Copied"


def test_refreshes_while_open_and_shows_the_note(dialog) -> None:
    dialog.show_request(request(temperature=0.5), BASE_URL, key_env=NANOGPT_KEY_ENV)
    dialog.tabs.setCurrentIndex(2)
    later = request(temperature=1.2, seed=7)
    dialog.show_request(later, "http://127.0.0.1:5001/v1", key_env=None,
                        note="Fields this server ignores were left out.")
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == 2
    assert json.loads(dialog.pages["Body"].text())["temperature"] == 1.2
    assert dialog.pages["curl"].text().startswith("curl http://127.0.0.1:5001/v1/completions")
    assert dialog.note_label.isVisible()
    assert dialog.note_label.text() == "Fields this server ignores were left out."
    dialog.show_request(later, BASE_URL, key_env=None)
    assert not dialog.note_label.isVisible()


def test_says_how_long_the_local_engines_port_lasts_and_how_to_pin_one(dialog) -> None:
    engine_url = "http://127.0.0.1:40123/v1"
    dialog.show_request(request(), engine_url, key_env=None, local=True)
    note = dialog.port_label
    assert note.isVisible()
    assert "keeps its port" in note.text() and "while nothing else takes it" in note.text()
    assert "playground serve --port N" in note.text() and "custom connection" in note.text()
    assert dialog.pages["curl"].text().startswith(f"curl {engine_url}/completions")
    # A server of one's own on loopback is not the local engine: its port is its own business.
    dialog.show_request(request(), "http://127.0.0.1:8080/v1", key_env=None)
    assert not note.isVisible()
