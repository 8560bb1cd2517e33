"""Which server is behind a base URL, so a new connection gets its dialect without asking.

First the model list: most servers name themselves in ``owned_by`` (or a ``Server`` header).
Where that says nothing certain, a few endpoints only one server has are asked at once. Facts,
read in each server's source:

- llama.cpp's ``llama-server``: ``owned_by: "llamacpp"``; ``GET /props`` (beside ``/v1``)
  holds ``default_generation_settings``.
- vLLM: ``owned_by: "vllm"`` (its ``ModelCard``).
- Ollama: ``owned_by`` is the model name's namespace, ``"library"`` for its own library's
  models; ``GET /`` answers "Ollama is running".
- koboldcpp: ``owned_by: "koboldcpp"``, a ``Server: KoboldCppServer`` header, and
  ``GET /api/extra/version`` answers ``{"result": "KoboldCpp", ...}`` (it also imitates
  Ollama's and llama.cpp's endpoints, so it is asked first).
- text-generation-webui: ``owned_by: "user"``, which others use too;
  ``GET /v1/internal/model/info`` names the model's ``loader``.
- llama-cpp-python: ``owned_by: "me"``.
- This app's local engine (``playground serve``): ``owned_by: "local"``, ids ``local/…``; it
  speaks NanoGPT's names.

Anything else, or a server that cannot be reached, is taken as plain OpenAI-compatible, and
`Detection.note` says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from playground.core.connections import Dialect
from playground.core.errors import parse_error_body

#: Seconds a detection may take per request; a wrong address must not hold the person long.
TIMEOUT = 5.0
FALLBACK: Dialect = "openai"
#: What a person chooses (``--dialect detect``, Settings' first choice) to have it detected.
DETECT = "detect"

#: ``owned_by`` values that a server gives its own models.
OWNED_BY: dict[str, Dialect] = {"llamacpp": "llama.cpp", "vllm": "vllm", "library": "ollama",
                                "koboldcpp": "koboldcpp", "me": "llama-cpp-python"}
#: Start of a ``Server`` header value, lower case.
SERVER_HEADERS: dict[str, Dialect] = {"koboldcppserver": "koboldcpp"}


@dataclass(frozen=True)
class Detection:
    dialect: Dialect
    #: What showed it ("owned_by llamacpp"), or why nothing did.
    evidence: str
    detected: bool = True

    @property
    def note(self) -> str:
        if self.detected:
            return f"detected: {self.dialect} ({self.evidence})"
        return f"not detected ({self.evidence}); using plain OpenAI-compatible ({self.dialect})"


@dataclass(frozen=True)
class _Sign:
    """An endpoint only one server has: `path` below the server's root, and its test."""

    path: str
    dialect: Dialect
    evidence: str
    test: Callable[[httpx.Response], bool]


def _json_has(key: str, value: Any = None) -> Callable[[httpx.Response], bool]:
    def test(response: httpx.Response) -> bool:
        try:
            data = response.json()
        except ValueError:
            return False
        return isinstance(data, dict) and key in data and (value is None or data[key] == value)
    return test


#: In the order they are believed: koboldcpp imitates the endpoints of the others.
SIGNS = (
    _Sign("/api/extra/version", "koboldcpp", "GET /api/extra/version says KoboldCpp",
          _json_has("result", "KoboldCpp")),
    _Sign("/props", "llama.cpp", "GET /props has default_generation_settings",
          _json_has("default_generation_settings")),
    _Sign("/v1/internal/model/info", "text-generation-webui",
          "GET /v1/internal/model/info names a loader", _json_has("loader")),
    _Sign("/", "ollama", "GET / says Ollama is running",
          lambda response: response.text.startswith("Ollama is running")),
)


async def detect(base_url: str, api_key: str | None = None) -> Detection:
    """The dialect of the server at `base_url` (``http://host:port/v1``). `api_key`, if given,
    goes to that server only; redirects are not followed."""
    host = httpx.URL(base_url).host
    if host == "nano-gpt.com" or host.endswith(".nano-gpt.com"):
        return Detection("nanogpt", f"the host is {host}")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(timeout=TIMEOUT, headers=headers,
                                 follow_redirects=False) as http:
        try:
            response = await http.get(base_url.rstrip("/") + "/models")
        except httpx.TransportError as exc:
            return Detection(FALLBACK, _unreachable(host, exc), detected=False)
        found = _from_models(response)
        if found is not None:
            return found
        root = base_url.rstrip("/").removesuffix("/v1")
        answers = await asyncio.gather(*(_ask(http, root + sign.path) for sign in SIGNS))
    for sign, answer in zip(SIGNS, answers, strict=True):
        if answer is not None and sign.test(answer):
            return Detection(sign.dialect, sign.evidence)
    return Detection(FALLBACK, _why_not(response), detected=False)


def _from_models(response: httpx.Response) -> Detection | None:
    server = response.headers.get("server", "")
    for start, dialect in SERVER_HEADERS.items():
        if server.lower().startswith(start):
            return Detection(dialect, f"Server: {server}")
    models = _models(response)
    owners = [str(m.get("owned_by")) for m in models if m.get("owned_by") is not None]
    for owner in owners:
        if owner in OWNED_BY:
            return Detection(OWNED_BY[owner], f"owned_by {owner}")
    if models and set(owners) == {"local"} and all(
            str(m.get("id", "")).startswith("local/") for m in models):
        return Detection("nanogpt", "owned_by local: this app's local engine")
    return None


def _models(response: httpx.Response) -> list[dict[str, Any]]:
    if not response.is_success:
        return []
    try:
        data = response.json()
    except ValueError:
        return []
    items = data.get("data") if isinstance(data, dict) else None
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


async def _ask(http: httpx.AsyncClient, url: str) -> httpx.Response | None:
    try:
        response = await http.get(url)
    except httpx.TransportError:
        return None
    return response if response.is_success else None


def _unreachable(host: str, exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {host}"
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer within {TIMEOUT:g} s"
    return f"network error talking to {host}: {exc}"


def _why_not(response: httpx.Response) -> str:
    if not response.is_success:
        error = parse_error_body(response.status_code, response.content[:4096],
                                 response.headers)
        return f"GET /models: {error}"
    owners = sorted({str(m.get("owned_by")) for m in _models(response) if "owned_by" in m})
    if owners:
        return f"owned_by {', '.join(owners)} names no known server"
    return "the model list names no server"
