from __future__ import annotations

import pytest

from playground.core.errors import ApiError, StreamError, parse_error_body


@pytest.mark.parametrize(("status", "body", "message", "code"), [
    (401, '{"error": {"message": "Invalid key", "type": "auth", "code": "invalid_api_key"}}',
     "Invalid key", "invalid_api_key"),
    (402, '{"error": "Insufficient balance", "status": 402}', "Insufficient balance", None),
    (400, '{"error": 400, "message": "temperature: 3 is above", "code": "invalid_parameter_'
          'value", "param": "temperature", "type": "invalid_request_error"}',
     "temperature: 3 is above", "invalid_parameter_value"),
    (404, '{"message": "no such model"}', "no such model", None),
    (422, '{"detail": "Unprocessable"}', "Unprocessable", None),
    (500, "Internal Server Error", "Internal Server Error", None),
    (503, "", "Service Unavailable", None),
    (502, b"\xff\xfe not utf8", "\ufffd\ufffd not utf8", None),
    (502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
          "Gateway</h1></center><hr><center>nginx</center></body></html>",
     "502 Bad Gateway", None),
    (503, "<!DOCTYPE html>\n<p>Down for <b>maintenance</b> &amp; back soon</p>",
     "Down for maintenance & back soon", None),
    (504, "<html><body></body></html>", "Gateway Timeout", None),
])
def test_every_error_shape(status, body, message, code) -> None:
    error = parse_error_body(status, body, {"x-request-id": "r1"})
    assert error.status == status
    assert error.message == message
    assert error.code == code
    assert error.request_id == "r1"


def test_seed_shape_keeps_param_and_type() -> None:
    error = parse_error_body(400, '{"error": 400, "message": "m", "param": "top_k", '
                                  '"type": "invalid_request_error"}')
    assert error.param == "top_k" and error.type == "invalid_request_error"


def test_retry_after_seconds_and_date() -> None:
    assert parse_error_body(429, "{}", {"retry-after": "12"}).retry_after == 12
    date = parse_error_body(429, "{}", {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert date.retry_after == 0  # in the past
    assert parse_error_body(429, "{}", {"retry-after": "soon"}).retry_after is None


def test_hints_and_text() -> None:
    assert "retry in 7 s" in ApiError(429, "slow", retry_after=7).hint
    assert "key" in ApiError(401, "no").hint
    assert "balance" in ApiError(402, "no").hint
    assert "context" in ApiError(400, "x", code="context_length_exceeded").hint
    assert str(ApiError(402, "Insufficient balance", code="x")) == \
        "HTTP 402 [x]: Insufficient balance"
    assert str(ApiError(0, "could not connect")) == "Network error: could not connect"
    assert str(StreamError(200, "cut", code="c")) == "Stream error [c]: cut"
