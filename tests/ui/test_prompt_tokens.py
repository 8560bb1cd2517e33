"""Prompt → Show Prompt as Tokens: exact on the local engine, an estimate elsewhere; a click
bans or biases a token in the side panel; a 100k-character prompt shades only what is in view."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.ui.main_window import MainWindow
from tests.gui import fault_window, use

pytestmark = pytest.mark.gui


def key(sequence: str) -> None:
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(QApplication.focusWidget(), combo.key(), combo.keyboardModifiers())


async def tokens_shown(window: MainWindow) -> None:
    while not window.view.token_view.spans:
        await asyncio.sleep(0.02)


@pytest.fixture
def window(qtbot, qloop):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qloop.run_until_complete(win.start_services())
    yield win
    qloop.run_until_complete(win.shutdown())


def test_the_local_engine_shows_the_prompts_exact_tokens_and_a_click_bans_one(
        window, qloop) -> None:
    text = "The cat sat. 🤗 done"
    window.prompt_edit.setPlainText(text)
    window.prompt_edit.setFocus()
    key("Ctrl+Alt+K")
    assert window.tokens_action.isChecked()
    tokens = window.view.token_view
    assert window.view.pages.currentWidget() is tokens
    qloop.run_until_complete(asyncio.wait_for(tokens_shown(window), 30))
    expected = qloop.run_until_complete(window.current().client.tokenize(text))
    assert [span.id for span in tokens.spans] == [token for token, _ in expected]
    assert tokens.heading.text().startswith("Exact, by the local engine's tokenizer")
    assert len(tokens.text.extraSelections()) == len(tokens.spans)  # all in view: shaded
    rect = tokens.text.cursorRect(tokens.text.textCursor())
    found = tokens.span_at(rect.center())  # the first character
    assert found is tokens.spans[0]
    menu = tokens.menu_for(tokens.spans[1])
    ban = next(a for a in menu.actions() if a.text().startswith("Ban It"))
    ban.trigger()
    assert window.params.values()["custom_token_bans"] == [tokens.spans[1].id]
    bias = next(a for a in menu.actions() if a.text().startswith("Bias It")).menu()
    next(a for a in bias.actions() if a.text().startswith("-5")).trigger()
    assert window.params.values()["logit_bias"] == {str(tokens.spans[1].id): -5.0}
    menu.close()
    key("Ctrl+Alt+K")  # back to editing, the text as it was
    assert window.view.pages.currentWidget() is window.view.split
    assert window.prompt_edit.toPlainText() == text


def test_a_long_prompt_shades_only_the_tokens_in_view(window, qloop) -> None:
    text = ("A line of prose that goes on, and on; with numbers 12345 and ünïcode.\n" * 1500)
    assert len(text) > 100_000
    window.prompt_edit.setPlainText(text)
    window.tokens.toggle()
    qloop.run_until_complete(asyncio.wait_for(tokens_shown(window), 60))
    tokens = window.view.token_view
    assert len(tokens.spans) > 20_000
    shaded = len(tokens.text.extraSelections())
    assert 0 < shaded < 2_000
    bar = tokens.text.verticalScrollBar()
    bar.setValue(bar.maximum())  # scrolled to the end: its tokens are shaded instead
    selections = tokens.text.extraSelections()
    assert max(s.cursor.selectionEnd() for s in selections) >= len(text) - 80


def test_elsewhere_the_tokens_are_an_estimate_without_ids(qtbot, qloop, fault_server) -> None:
    window = fault_window(qtbot, fault_server, ("ok",))
    try:
        qloop.run_until_complete(window.start_services())
        use(window, "fault-ok", "m")
        window.prompt_edit.setPlainText("Hello there, world")
        window.tokens.toggle()
        qloop.run_until_complete(asyncio.wait_for(tokens_shown(window), 30))
        tokens = window.view.token_view
        assert tokens.heading.text().startswith("An estimate (fault-ok has no tokenizer")
        assert all(span.id is None for span in tokens.spans)
        menu = tokens.menu_for(tokens.spans[0])
        assert not next(a for a in menu.actions() if a.text().startswith("Ban It")).isEnabled()
        menu.close()
    finally:
        qloop.run_until_complete(window.shutdown())


def test_koboldcpp_s_tokens_are_exact_with_each_one_s_text_looked_up(
        qtbot, qloop, fault_server) -> None:
    from playground.core.connections import Connection, ConnectionStore

    ConnectionStore().add(Connection(name="kobold", base_url=fault_server.url("koboldcpp"),
                                     dialect="koboldcpp"))
    window = fault_window(qtbot, fault_server, ())
    try:
        qloop.run_until_complete(window.start_services())
        use(window, "kobold", "koboldcpp/tiny")
        text = "the cat and the cat"
        seen = len(fault_server.requests)
        window.prompt_edit.setPlainText(text)
        window.tokens.toggle()
        qloop.run_until_complete(asyncio.wait_for(tokens_shown(window), 30))
        tokens = window.view.token_view
        assert tokens.heading.text().startswith("Exact, by kobold's tokenizer")
        assert [text[s.start:s.end] for s in tokens.spans] == [
            "the", " cat", " and", " the", " cat"]
        assert tokens.spans[1].id is not None and tokens.spans[0].id != tokens.spans[1].id
        looked_up = [r.json()["ids"] for r in fault_server.requests[seen:]
                     if r.path.endswith("/api/extra/detokenize")]
        assert len(looked_up) == 4  # each distinct token once (" cat" is looked up once)
    finally:
        qloop.run_until_complete(window.shutdown())


def test_a_click_after_an_emoji_finds_the_token_under_the_mouse(window, qloop) -> None:
    text = "😀😀 apple pie"
    window.prompt_edit.setPlainText(text)
    window.tokens.toggle()
    qloop.run_until_complete(asyncio.wait_for(tokens_shown(window), 30))
    tokens = window.view.token_view
    last = tokens.spans[-1]  # " pie" (or its last piece), in Qt's positions
    cursor = tokens.text.textCursor()
    cursor.setPosition(last.end - 1)
    found = tokens.span_at(tokens.text.cursorRect(cursor).center())
    assert found is not None and found.id == last.id and found.piece == last.piece
