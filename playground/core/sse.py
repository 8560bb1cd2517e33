"""An incremental Server-Sent Events decoder (the WHATWG event-stream format).

Bytes go in as they arrive, in chunks of any size; complete messages come out. Handles LF, CR and
CRLF line ends (also split across chunks), UTF-8 split across chunks, multi-line ``data:``
(joined with ``\\n``), comment lines (``:``), and the optional space after the colon.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: building a frozen one costs 1 µs, once per frame
class SSEMessage:
    data: str
    event: str | None = None
    id: str | None = None


class SSEDecoder:
    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        text = self._text.decode(chunk)
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        if text:
            self._skip_lf = text.endswith("\r")
        self._buffer += text
        return self._drain_lines()

    def close(self) -> list[SSEMessage]:
        """End of stream: a last message without its blank line is still delivered."""
        self._buffer += self._text.decode(b"", final=True)
        messages = self._drain_any_lines()
        if self._buffer:
            self._line(self._buffer)
            self._buffer = ""
        last = self._dispatch()
        return [*messages, last] if last else messages

    def _drain_lines(self) -> list[SSEMessage]:
        buffer = self._buffer
        if "\r" in buffer or self._data or self._event is not None:
            return self._drain_any_lines()
        # The common case, LF line ends and no message begun: split into whole messages at
        # once, and take a message of one data line as it is (most are).
        blocks = buffer.split("\n\n")
        self._buffer = blocks.pop()  # the unfinished last message (often "")
        out = []
        for block in blocks:
            if block.startswith("data:") and "\n" not in block:
                out.append(SSEMessage(block[6:] if block.startswith(" ", 5) else block[5:],
                                      None, self._id))
                continue
            for line in block.split("\n"):
                message = self._line(line)
                if message:
                    out.append(message)
            message = self._dispatch()
            if message:
                out.append(message)
        return out

    def _drain_any_lines(self) -> list[SSEMessage]:
        out = []
        buffer = self._buffer
        start = 0
        length = len(buffer)
        while start < length:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr < 0 and lf < 0:
                break
            end = lf if cr < 0 else cr if lf < 0 else min(cr, lf)
            if buffer[end] == "\r" and end + 1 == length:
                # CR at the very end: the line is complete; a following LF will be skipped.
                nxt = end + 1
            elif buffer[end] == "\r" and buffer[end + 1] == "\n":
                nxt = end + 2
            else:
                nxt = end + 1
            message = self._line(buffer[start:end])
            if message:
                out.append(message)
            start = nxt
        self._buffer = buffer[start:]
        return out

    def _line(self, line: str) -> SSEMessage | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        return None

    def _dispatch(self) -> SSEMessage | None:
        if not self._data:
            self._event = None
            return None
        message = SSEMessage(data="\n".join(self._data), event=self._event, id=self._id)
        self._data = []
        self._event = None
        return message
