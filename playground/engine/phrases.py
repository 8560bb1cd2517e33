"""Banned phrases (``banned_strings``): noticing when the output completes one, and knowing how
much of the output can no longer become part of one.

The text watched is the end of the prompt followed by the generated text, so a phrase that
begins inside the prompt's last characters counts too. Positions are characters of the
generated text; a negative one lies inside the prompt. Text that might still grow into a phrase
is held back by the caller, exactly as a stop sequence is, so text that is later taken back is
never sent.
"""

from __future__ import annotations

from collections.abc import Sequence


class PhraseWatch:
    def __init__(self, phrases: Sequence[str], prompt: str) -> None:
        self.phrases = tuple(dict.fromkeys(phrases))
        self._longest = max((len(p) for p in self.phrases), default=0)
        #: every proper prefix of a phrase: a tail equal to one may still grow into it
        self._prefixes = {p[:n] for p in self.phrases for n in range(1, len(p))}
        self._lead = prompt[len(prompt) - self._longest + 1:] if self._longest > 1 else ""
        self.text = ""  # the generated text, kept only while there are phrases to find
        self.size = 0  # its length in characters

    def feed(self, piece: str) -> int | None:
        """Add generated text; return where the earliest phrase that `piece` completes begins,
        or None when it completes none."""
        self.size += len(piece)
        if not self.phrases:
            return None
        self.text += piece
        # only a phrase ending in `piece` is new: look at the tail that can hold one
        window, at = self._tail(len(piece) + self._longest - 1)
        new_from = len(window) - len(piece)
        starts = [window.find(p, max(0, new_from - len(p) + 1)) for p in self.phrases]
        found = [s for s in starts if s >= 0]
        return at + min(found) if found else None

    def _tail(self, length: int) -> tuple[str, int]:
        """The last `length` characters of the prompt's end and the generated text, and where
        they begin in the generated text (negative: inside the prompt)."""
        tail = self.text[max(0, len(self.text) - length):]
        short = length - len(tail)
        if short > 0 and self._lead:
            tail = self._lead[max(0, len(self._lead) - short):] + tail
        return tail, self.size - len(tail)

    def cut(self, length: int) -> None:
        """Forget the generated text from `length` on (generation went back)."""
        self.size = length
        self.text = self.text[:length]

    def settled(self) -> int:
        """How much of the generated text can no longer become part of a banned phrase: all
        but the longest tail that is the start of one."""
        if not self.phrases:
            return self.size
        tail, _ = self._tail(self._longest - 1)
        for length in range(len(tail), 0, -1):
            if tail[len(tail) - length:] in self._prefixes:
                return max(0, self.size - length)
        return self.size
