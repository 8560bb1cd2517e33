"""Prompt → Show Prompt as Tokens: the tab's text as its tokens, in place of the editor.

Exact where the connection can tokenize (the local engine, and llama.cpp's ``/tokenize``),
labelled an estimate elsewhere. Tokenizing and placing tens of thousands of tokens happen off
the UI thread; a token clicked is banned (``custom_token_bans``) or biased (``logit_bias``) in
the side panel, where the change shows and can be undone."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject

from playground.core.token_spans import TokenSpan, in_utf16
from playground.core.tokenizing import tokenized
from playground.ui.token_view import TokenView
from playground.ui.widgets import plain_text


class PromptTokens(QObject):
    def __init__(self, window: Any) -> None:
        """`window` is the main window (typed loosely: this object is a part of it)."""
        super().__init__(window)
        self.window = window

    def toggle(self) -> None:
        """The tab's text as tokens, or back to the editor."""
        if self.showing():
            self.hide()
        else:
            self.show(self.window.view)
        self.window.tokens_action.setChecked(self.showing())

    def hide(self) -> None:
        view = self.window.view
        view.show_page(None)
        view.text_edit.setFocus()
        self.window.tokens_action.setChecked(False)

    def show(self, view: Any) -> None:
        tokens: TokenView | None = view.token_view
        if tokens is None:
            tokens = view.token_view = TokenView(view)
            tokens.done.connect(self.hide)
            tokens.ban_requested.connect(self.ban)
            tokens.bias_requested.connect(self.bias)
        text = plain_text(view.text_edit)
        tokens.show_text(text, "Tokenizing…")
        view.show_page(tokens)
        self.window.spawn(f"tokens {id(view)}", self.tokenize(tokens, text))

    def showing(self) -> bool:
        view = self.window.view
        return view.token_view is not None and view.pages.currentWidget() is view.token_view

    async def tokenize(self, tokens: TokenView, text: str) -> None:
        spans, heading = await self._spans(text)
        if plain_text(tokens.text) == text:  # not an older text's tokens
            tokens.show_tokens(await asyncio.to_thread(in_utf16, text, spans), heading)

    async def _spans(self, text: str) -> tuple[list[TokenSpan], str]:
        w = self.window
        live = w.current()
        connection = live.connection
        model = w.bar.run_model()
        found = await tokenized(live.client, connection, text, model or None)
        if found.exact:
            source = "the local engine's" if connection.kind == "local" else \
                f"{connection.name}'s"
            return found.spans, (f"Exact, by {source} tokenizer ({model}): "
                                 f"{len(found.spans):,} tokens. Hover for a token's id; click "
                                 "one to ban or bias it.")
        return found.spans, (f"An estimate ({found.why}): about {len(found.spans):,} tokens, "
                             "cut as byte-level tokenizers cut text; no token ids.")

    def ban(self, token: int) -> None:
        params = self.window.params
        bans = list(params.values().get("custom_token_bans") or [])
        if token not in bans:
            params.set_value("custom_token_bans", [*bans, token])
        self.window.status.showMessage(f"Token {token} is banned (custom_token_bans); "
                                       "remove it in the side panel to allow it again", 8000)

    def bias(self, token: int, value: float) -> None:
        params = self.window.params
        bias = dict(params.values().get("logit_bias") or {})
        bias[str(token)] = value
        params.set_value("logit_bias", bias)
        self.window.status.showMessage(f"Token {token} has a logit_bias of {value:+g}", 8000)
