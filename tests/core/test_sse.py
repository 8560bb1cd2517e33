from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.sse import SSEDecoder, SSEMessage


def decode(chunks: list[bytes]) -> list[SSEMessage]:
    decoder = SSEDecoder()
    out = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out + decoder.close()


def test_basic_frames_comments_and_fields() -> None:
    stream = (b": comment\n\ndata: one\n\nevent: update\nid: 7\ndata: two\ndata:three\n\n"
              b"retry: 100\ndata: {\"a\": 1}\n\n")
    # The last event id persists across messages, as the event-stream format says.
    assert decode([stream]) == [SSEMessage("one"), SSEMessage("two\nthree", "update", "7"),
                                SSEMessage('{"a": 1}', None, "7")]


def test_line_endings_crlf_and_cr_even_across_chunks() -> None:
    assert decode([b"data: a\r\n\r\ndata: b\r\r"]) == [SSEMessage("a"), SSEMessage("b")]
    assert decode([b"data: a\r", b"\n\r", b"\ndata: b\r\n", b"\r\n"]) == [
        SSEMessage("a"), SSEMessage("b")]


def test_utf8_split_across_chunks() -> None:
    raw = "data: héllo wörld ✓\n\n".encode()
    assert decode([raw[i:i + 1] for i in range(len(raw))]) == [SSEMessage("héllo wörld ✓")]


def test_last_frame_without_blank_line_is_delivered_at_close() -> None:
    assert decode([b"data: [DONE]"]) == [SSEMessage("[DONE]")]
    assert decode([b"data: x\n"]) == [SSEMessage("x")]


def test_only_one_space_is_stripped_and_empty_data_is_kept() -> None:
    assert decode([b"data:  two spaces\n\ndata:\ndata:\n\n"]) == [
        SSEMessage(" two spaces"), SSEMessage("\n")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode([b"\n\n\r\n: only a comment\n\n"]) == []


payloads = st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n",
                                                   blacklist_categories=["Cs"]),
                            max_size=30), min_size=1, max_size=4)
line_ends = st.sampled_from(["\n", "\r\n", "\r"])


@given(frames=st.lists(payloads, max_size=6), end=line_ends, data=st.data())
@settings(max_examples=400)
def test_any_chunking_of_any_stream_decodes_the_same(frames, end, data) -> None:
    text = ""
    for lines in frames:
        text += "".join(f"data: {line}{end}" for line in lines) + end
    raw = text.encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=10)))
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    expected = [SSEMessage("\n".join(lines)) for lines in frames]
    assert decode(chunks) == expected
    assert decode([raw]) == expected


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    for message in decode([raw[:50], raw[50:]]):
        assert isinstance(message.data, str)
