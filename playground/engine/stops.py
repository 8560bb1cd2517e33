"""Stop sequences over streamed text, which can span token boundaries.

Text that might be the start of a stop sequence is held back until the next tokens decide it,
so a stop is never half-sent. A match counts only if it ends in text fed after `arm()` (the
engine arms the scanner at the ``min_tokens``-th token); the earliest match wins, ties going
to the stop listed first.
"""

from __future__ import annotations

from collections.abc import Sequence


class StopScanner:
    def __init__(self, stops: Sequence[str], include_stop: bool) -> None:
        self.stops = tuple(stops)
        self.include_stop = include_stop
        self._text = ""
        self._released = 0
        self._armed_at: int | None = None

    def arm(self) -> None:
        """From now on, a stop sequence ending in newly fed text ends generation."""
        if self._armed_at is None:
            self._armed_at = len(self._text)

    def feed(self, text: str) -> tuple[str, bool]:
        """Add decoded text; return the text that is now safe to send and whether a stop
        sequence matched (generation must then end; later text is dropped)."""
        self._text += text
        match = self._find()
        if match is not None:
            start, stop = match
            end = start + len(stop) if self.include_stop else start
            return self._release(end), True
        return self._release(len(self._text) - self._held()), False

    def finish(self) -> str:
        """The held-back rest, when generation ends for another reason."""
        return self._release(len(self._text))

    def _find(self) -> tuple[int, str] | None:
        if self._armed_at is None:
            return None
        best: tuple[int, str] | None = None
        for stop in self.stops:
            # a match must end after the arming point: start > armed_at - len(stop)
            start = self._text.find(stop, max(self._released, self._armed_at - len(stop) + 1))
            if start >= 0 and (best is None or start < best[0]):
                best = (start, stop)
        return best

    def _held(self) -> int:
        """Length of the longest unreleased tail that is a proper prefix of some stop."""
        pending = len(self._text) - self._released
        for length in range(min(pending, max((len(s) for s in self.stops), default=1) - 1),
                            0, -1):
            tail = self._text[len(self._text) - length:]
            if any(len(stop) > length and stop.startswith(tail) for stop in self.stops):
                return length
        return 0

    def _release(self, end: int) -> str:
        out = self._text[self._released:end]
        self._released = max(self._released, end)
        return out
