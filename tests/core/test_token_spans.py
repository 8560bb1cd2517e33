"""Token spans for the prompt's token view: exact from a tokenizer's byte pieces (a character
split over tokens included), estimated without one."""

from __future__ import annotations

from playground.core.token_estimate import estimate_tokens
from playground.core.token_spans import estimated_spans, exact_spans, span_at


def test_exact_spans_follow_the_bytes_and_split_characters_share_theirs() -> None:
    text = "Hi 🤗!"
    emoji = "🤗".encode()
    pieces = [(1, b"Hi"), (2, b" "), (3, emoji[:2]), (4, emoji[2:]), (5, b"!")]
    spans = exact_spans(text, pieces)
    assert spans is not None
    assert [(s.start, s.end, s.id) for s in spans] == [
        (0, 2, 1), (2, 3, 2), (3, 4, 3), (3, 4, 4), (4, 5, 5)]
    starts = [s.start for s in spans]
    assert span_at(spans, starts, 4) == 4 and span_at(spans, starts, 9) is None


def test_pieces_that_do_not_add_up_to_the_text_give_no_exact_spans() -> None:
    assert exact_spans("abc", [(0, b"<s>"), (1, b"abc")]) is None


def test_estimated_spans_cover_the_text_about_as_often_as_the_estimate_counts() -> None:
    text = "The quick brown fox, 1234 ✓ שלום\n\n  end"
    spans = estimated_spans(text)
    assert all(s.id is None for s in spans)
    assert "".join(text[s.start:s.end] for s in spans) == text  # in order, nothing missed
    assert abs(len(spans) - estimate_tokens(text)) <= len(text) // 10


def test_spans_in_qt_positions_count_an_emoji_twice() -> None:
    from playground.core.token_spans import in_utf16, utf16_length

    text = "😀 hi"
    spans = exact_spans(text, [(1, "😀".encode()), (2, b" hi")])
    assert spans is not None
    assert [(s.start, s.end) for s in in_utf16(text, spans)] == [(0, 2), (2, 5)]
    assert utf16_length(text) == 5
