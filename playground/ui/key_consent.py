"""Asking before a key crosses the network unencrypted: a connection whose key waits for leave
to go over plain http (see `core.key_policy`) sends nothing until the person agrees; then the
connection remembers it and the run they asked for goes. One question at a time, opened with
`open()` (a nested event loop would stall the qasync loop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl, Signal

from playground.core.errors import InvalidParameter

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QMessageBox, QWidget

    from playground.core.connections import Connection
    from playground.ui.live_connection import LiveConnection


class KeyConsent(QObject):
    refused = Signal(str)  # the run did not go, and why (for the banner)
    granted = Signal()  # a connection now lets its key go: read the connections again

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._question: QMessageBox | None = None

    def may_go(self, live: LiveConnection, then: Callable[[], object],
               parent: QWidget | None = None) -> bool:
        """Whether `live` can send now. Not while its key waits for leave to go over plain
        http: then ask (window-modal over `parent`, the window by default), and once the
        person agrees, remember it and call `then`, the run they asked for."""
        if not live.key_waiting:
            return True
        if self._question is None:
            self._question = self._ask(live.connection, then, parent or self._window)
        else:
            self._question.raise_()
        return False

    def _ask(self, connection: Connection, then: Callable[[], object],
             parent: QWidget) -> QMessageBox:
        from PySide6.QtWidgets import QMessageBox

        host = QUrl(connection.base_url or "").host()
        box = QMessageBox(QMessageBox.Icon.Warning, "Send the Key Unencrypted?",
                          f"Send the API key of {connection.label} to {host} over plain http?",
                          QMessageBox.StandardButton.NoButton, parent)
        box.setObjectName("sendKeyQuestion")
        box.setInformativeText(
            f"{connection.base_url} is plain http and not this computer, so the key would "
            "cross the network unencrypted: anyone on the way could read it and use it. Prefer "
            "an https:// base URL if the server has one.\n\nIf you send it, the app remembers "
            "that for this connection; File → Settings can forget it.")
        send = box.addButton("Send the Key", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:  # on any close: a button, Esc or the title bar's ×
            self._question = None
            self._answered(connection, box.clickedButton() is send, then)

        box.finished.connect(answered)
        box.open()
        return box

    def _answered(self, connection: Connection, send: bool, then: Callable[[], object]) -> None:
        from playground.core.connections import ConnectionStore

        if not send:
            self.refused.emit(f"Not run: {not_sent(connection)}. Run again to be asked again, "
                              "or remove its key in File → Settings to run without one.")
            return
        store = ConnectionStore()
        try:
            if store.get(connection.name).base_url != connection.base_url:
                raise InvalidParameter("connection", f"{connection.label} changed meanwhile; "
                                       "run again to be asked about its new base URL")
            store.allow_insecure_key(connection.name)
        except (InvalidParameter, OSError) as exc:
            self.refused.emit(f"Not run: {exc}")
            return
        self.granted.emit()
        then()


def not_sent(connection: Connection) -> str:
    host = QUrl(connection.base_url or "").host()
    return (f"the key of {connection.label} is not sent to {host} over plain http until you "
            "confirm it")
