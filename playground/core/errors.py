"""Typed errors: bad input (exit code 2) and API or network failures (exit code 1)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

#: Friendly explanations for error codes and statuses people actually hit.
HINTS_BY_CODE = {
    "context_length_exceeded": "The prompt plus max_tokens is longer than the model's context; "
                               "shorten the prompt or lower max_tokens.",
    "model_not_found": "The model id is unknown to this server; pick one from the model list.",
    "provider_unknown_provider": "A provider in the routing object's 'only' list is unknown.",
    "daily_usd_limit_exceeded": "The key's daily spending limit is reached.",
    "rate_limit_error": "Too many requests; wait a moment and retry.",
    "invalid_api_key": "The API key was refused; set a valid key.",
}
HINTS_BY_STATUS = {
    401: "The API key is missing or wrong; set it in Settings or NANOGPT_API_KEY.",
    402: "Insufficient balance; top up your NanoGPT account.",
    403: "This key may not use that model or feature.",
    404: "Not found: check the base URL (it should end in /v1) and the model id.",
    408: "The server timed out; try again.",
    413: "The request is too large; shorten the prompt.",
    429: "Rate limited; retry later.",
    500: "The server failed; try again or pick another provider.",
    503: "The service is unavailable right now; try again shortly.",
}


class PlaygroundError(Exception):
    """Base of every error this app reports to a person."""


class InvalidParameter(PlaygroundError, ValueError):
    """A value the user gave is not allowed. `field` is the API field name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ApiError(PlaygroundError):
    """An error reported by a server, or a network failure (status 0)."""

    status: int
    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None
    retry_after: float | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def hint(self) -> str | None:
        if self.status == 429 and self.retry_after is not None:
            return f"Rate limited; retry in {self.retry_after:g} s."
        return HINTS_BY_CODE.get(self.code or "") or HINTS_BY_STATUS.get(self.status)

    def __str__(self) -> str:
        head = f"HTTP {self.status}" if self.status else "Network error"
        code = f" [{self.code}]" if self.code else ""
        return f"{head}{code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "type": self.type,
                "message": self.message, "param": self.param,
                "retry_after": self.retry_after, "request_id": self.request_id}


class StreamError(ApiError):
    """The stream broke or was malformed after it had started; text received so far stays."""

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        return f"Stream error{code}: {self.message}"


def parse_error_body(status: int, body: bytes | str, headers: Any = None) -> ApiError:
    """Build an `ApiError` from any of the error shapes NanoGPT and compatible servers send:

    - ``{"error": {"message", "type", "code", "param"}}`` (OpenAI style, most common)
    - ``{"error": "text", "status": 402}``
    - ``{"error": <int>, "message": "..."}`` (the spec's `Error` schema, plus optional
      ``type``/``code``/``param`` as the local engine sends them)
    - anything else: the text itself, trimmed.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    headers = headers or {}
    retry_after = _retry_after(headers.get("retry-after"))
    request_id = headers.get("x-request-id")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    fields: dict[str, Any] = {}
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            fields = {k: err.get(k) for k in ("message", "type", "code", "param")}
        elif isinstance(err, str):
            fields = {"message": err, "code": data.get("code"), "type": data.get("type")}
        elif isinstance(data.get("message"), str):
            # The spec's shape {"error": <int>, "message": ...}, and bare {"message": ...}.
            fields = {k: data.get(k) for k in ("message", "type", "code", "param")}
        if isinstance(data.get("detail"), str) and not fields.get("message"):
            fields["message"] = data["detail"]
    message = fields.get("message") or _readable(text) or _reason(status)
    return ApiError(status=status, message=str(message),
                    code=_str(fields.get("code")), type=_str(fields.get("type")),
                    param=_str(fields.get("param")), retry_after=retry_after,
                    request_id=request_id)


def _readable(text: str) -> str:
    """A body that is no JSON error, as a message: an HTML page (a proxy's, a CDN's) by its
    title, or its text without tags; anything else as it is. At most 500 characters."""
    text = text.strip()
    if not text.startswith("<"):
        return text[:500]
    import html  # only for error pages, so not on the window's first frame

    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    words = title.group(1) if title else re.sub(r"<[^>]*>", " ", text)
    return " ".join(html.unescape(words).split())[:500]


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reason(status: int) -> str:
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"
