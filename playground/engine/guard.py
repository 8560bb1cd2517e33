"""Who may talk to the local engine.

The engine listens on a machine that also runs a web browser, and any web page can make the
browser send it a "simple" cross-site request (``POST`` with ``Content-Type: text/plain``,
no preflight), or, through DNS rebinding, a request to a name of the attacker's that resolves
to 127.0.0.1, whose answers the page may then read. So, before any route runs:

- the ``Host`` header must name the address the engine is bound to (any loopback name when it
  is bound to loopback; any name when it is bound to every interface, where the key guards it);
  a rebinding attacker's request carries its own name;
- a ``POST`` body must be declared JSON (``application/json`` or ``…+json``): a browser cannot
  send that cross-site without a preflight, which the engine never grants (it sends no CORS
  headers at all);
- with a key set (``playground serve --api-key``, as llama.cpp's server takes it), every request
  carries ``Authorization: Bearer KEY`` (or ``X-API-Key: KEY``, as NanoGPT accepts it),
  compared in constant time.

Refusals use the seed's error shape: 400 for a foreign host or a body not declared JSON, 401
(the bearer scheme's refusal) for a missing or wrong key.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from playground.engine import wire

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Addresses that mean "every interface".
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Guard:
    """The rules for one bound address. `hosts` None: any Host header (bound to every
    interface). `api_key` None: no key asked for."""

    hosts: frozenset[str] | None
    api_key: str | None = None

    @classmethod
    def for_address(cls, host: str, api_key: str | None = None, *, also: str = "") -> Guard:
        """The rules for an engine bound to `host` (as given: a name or an address), which
        resolved to the address `also`."""
        names = {name.strip("[]").lower() for name in (host, also) if name}
        if names & WILDCARDS or not names:
            return cls(None, api_key)
        if all(map(is_loopback, names)):
            return cls(LOOPBACK_NAMES | names, api_key)
        return cls(frozenset(names), api_key)

    def refusal(self, scope: Scope) -> wire.RequestError | None:
        """Why this request may not reach a route, or None."""
        headers = {name.decode("latin-1").lower(): value.decode("latin-1")
                   for name, value in scope.get("headers", [])}
        host = _host_name(headers.get("host", ""))
        if self.hosts is not None and host not in self.hosts:
            return wire.RequestError(
                400, f"Host: {headers.get('host', '')!r} is not an address this engine serves "
                     f"(it answers to {', '.join(sorted(self.hosts))})", "invalid_host")
        if self.api_key is not None and not self._key_matches(headers):
            return wire.RequestError(401, "this engine needs its API key: send "
                                          "'Authorization: Bearer KEY'", "invalid_api_key",
                                     kind="authentication_error")
        if scope.get("method") == "POST" and not _declares_json(headers.get("content-type", "")):
            return wire.RequestError(
                400, f"Content-Type: {headers.get('content-type', '')!r} is not JSON; send the "
                     "body as application/json", "invalid_content_type")
        return None

    def _key_matches(self, headers: dict[str, str]) -> bool:
        assert self.api_key is not None
        given = headers.get("x-api-key", "")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = token.strip()
        return hmac.compare_digest(given.encode(), self.api_key.encode())


def _host_name(host: str) -> str:
    """The name of a Host header, without its port or an IPv6 address's brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _declares_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


class GuardMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.guard.refusal(scope)
            if refusal is not None:
                extra = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
                response = JSONResponse(refusal.body(), status_code=refusal.status,
                                        headers=extra)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
