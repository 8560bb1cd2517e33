from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from playground.engine.utf8 import ACCEPT, step


@given(st.binary(max_size=12))
def test_automaton_accepts_exactly_valid_utf8(data: bytes) -> None:
    state = ACCEPT
    for byte in data:
        state = step(state, byte)
        if state < 0:
            break
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert valid == (state == ACCEPT)


def test_overlong_and_surrogate_forms_are_refused() -> None:
    for bad in (b"\xc0\x80", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"):
        state = ACCEPT
        for byte in bad:
            state = step(state, byte)
            if state < 0:
                break
        assert state != ACCEPT
