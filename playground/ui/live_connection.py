"""A connection as the window holds it: the saved connection, its one client and whether it
can run now. Shared by the window and the run controller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.core.client import CompletionClient
    from playground.core.connections import Connection


@dataclass
class LiveConnection:
    """A connection with its one client, created once."""

    connection: Connection
    client: CompletionClient | None = None
    problem: str | None = None  # why it cannot run right now
    has_key: bool = False  # a key was found for it (environment, keyring or session)
    #: It has a key that waits for the person's leave to go over plain http (not sent yet).
    key_waiting: bool = False
