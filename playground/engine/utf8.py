"""Keeping generated text valid UTF-8.

Byte-level tokens can hold part of a character, so an unconstrained byte model can emit byte
sequences that are not UTF-8 (shown as U+FFFD). `Utf8Guard` runs the standard UTF-8 automaton
over each token's bytes once, and at every step masks the tokens that would break the text,
given the bytes already emitted. The model is thus a model of valid text, as a person expects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

ACCEPT = 0
_REJECT = -1
# States: 0 accept, 1-3 expect 1-3 continuation bytes, then the four states whose next byte has
# a narrower range (after E0, ED, F0 and F4), which rule out overlong forms and surrogates.
_NEXT_RANGE = {1: (0x80, 0xBF, 0), 2: (0x80, 0xBF, 1), 3: (0x80, 0xBF, 2),
               4: (0xA0, 0xBF, 1), 5: (0x80, 0x9F, 1), 6: (0x90, 0xBF, 2), 7: (0x80, 0x8F, 2)}
STATES = 8


def step(state: int, byte: int) -> int:
    """The automaton's next state, or -1 when `byte` cannot follow."""
    if state != ACCEPT:
        low, high, after = _NEXT_RANGE[state]
        return after if low <= byte <= high else _REJECT
    if byte < 0x80:
        return ACCEPT
    if 0xC2 <= byte <= 0xDF:
        return 1
    if byte in (0xE0, 0xED):
        return 4 if byte == 0xE0 else 5
    if 0xE1 <= byte <= 0xEF:
        return 2
    if byte in (0xF0, 0xF4):
        return 6 if byte == 0xF0 else 7
    if 0xF1 <= byte <= 0xF3:
        return 3
    return _REJECT


class Utf8Guard:
    def __init__(self, token_bytes: Sequence[bytes], eot_id: int) -> None:
        vocab = len(token_bytes) + 1 if eot_id == len(token_bytes) else len(token_bytes)
        self.next_state = np.full((STATES, vocab), _REJECT, dtype=np.int8)
        for token, data in enumerate(token_bytes):
            if data.isascii():
                self.next_state[ACCEPT, token] = ACCEPT
                continue
            for start in range(STATES):
                state = start
                for byte in data:
                    state = step(state, byte)
                    if state == _REJECT:
                        break
                self.next_state[start, token] = state
        self.next_state[ACCEPT, eot_id] = ACCEPT  # text may only end between characters
        self._allowed = (self.next_state != _REJECT).astype(np.float64)

    def constrain(self, probs: npt.NDArray[np.float64], state: int) -> npt.NDArray[np.float64]:
        """`probs` with the tokens that cannot follow removed and the rest renormalized."""
        kept = probs * self._allowed[state]
        total = float(kept.sum())
        if total <= 0:
            return probs
        normalized: npt.NDArray[np.float64] = kept / total
        return normalized

    def advance(self, state: int, token: int) -> int:
        after = int(self.next_state[state, token])
        return ACCEPT if after == _REJECT else after
