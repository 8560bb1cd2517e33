"""A connection as the window holds it: the saved connection, its one client and whether it
can run now. Shared by the window and the run controller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.core.client import CompletionClient
    from playground.core.connections import Connection
    from playground.core.key_policy import KeyDecision


@dataclass
class LiveConnection:
    """A connection with its one client, created once."""

    connection: Connection
    client: CompletionClient | None = None
    problem: str | None = None  # why it cannot run right now
    #: The key policy's answer for it (`core.key_policy`), once its client exists.
    keys: KeyDecision | None = None

    @property
    def key_waiting(self) -> bool:
        """It has a key that waits for the person's leave to go over plain http."""
        return self.keys is not None and self.keys.waiting
