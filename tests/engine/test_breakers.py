"""DRY's sequence breakers in the text, those the tokenizer splits over tokens included."""

from __future__ import annotations

import numpy as np

from playground.engine import samplers
from playground.engine.breakers import BreakMarks

PIECES = ["User", ":", "\n", "hi", "\n\n", "Us", "er"]
USER, COLON, NL, HI, NLNL, US, ER = range(len(PIECES))
BREAKERS = ("\n\n", "User:")


def marks_for(tokens: list[int]) -> list[bool]:
    single = np.array([any(b in p for b in BREAKERS) for p in PIECES])
    return BreakMarks(BREAKERS, single, PIECES.__getitem__, tokens).marks.tolist()


def test_a_breaker_split_over_tokens_marks_every_token_it_covers() -> None:
    # "User:" is "User" + ":" (and "Us" + "er" + ":"); "\n\n" is two "\n", or one token
    assert marks_for([USER, COLON, HI, NL, NL, HI]) == [True, True, False, True, True, False]
    assert marks_for([US, ER, COLON, NL, HI]) == [True, True, True, False, False]
    assert marks_for([NLNL, HI, NL, HI, COLON]) == [True, False, False, False, False]


def test_going_back_unmarks_what_a_removed_token_completed() -> None:
    single = np.zeros(len(PIECES), dtype=bool)
    marks = BreakMarks(BREAKERS, single, PIECES.__getitem__, [HI, NL, NL])
    assert marks.marks.tolist() == [False, True, True]
    marks.cut(2)  # the second "\n" goes: the first is no breaker on its own
    assert marks.marks.tolist() == [False, False]
    marks.extend([HI])
    assert marks.marks.tolist() == [False, False, False]


def test_dry_stops_a_repeat_at_a_breaker_spanning_two_tokens() -> None:
    """``hi \\n \\n hi ... \\n \\n hi``: the repeat ending the text would be 3 tokens long
    across the two newlines, but they are a breaker, so the match is 1 long (``hi``)."""
    history = np.array([HI, NL, NL, HI, US, NL, NL, HI])
    single = np.zeros(len(PIECES), dtype=bool)
    spans = BreakMarks(BREAKERS, single, PIECES.__getitem__, history.tolist()).marks
    free = samplers.dry(np.zeros(len(PIECES)), history, single[history], single, 1.0, 2.0, 1)
    broken = samplers.dry(np.zeros(len(PIECES)), history, spans, single, 1.0, 2.0, 1)
    assert free[US] == -4.0  # "\n \n hi" repeated: 1·2^(3-1)
    assert broken[US] == -1.0  # only "hi": 1·2^(1-1)
