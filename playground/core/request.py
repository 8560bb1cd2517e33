"""Building a completion request: (prompt, parameters, model, routing) -> exact body and headers.

Pure functions: nothing here talks to the network. The same `CompletionRequest` feeds the
client, the dry run, the request preview (JSON, curl, Python) and history.
"""

from __future__ import annotations

import json
import pprint
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.catalog import SamplerParams, body_fields, validate_params
from playground.core.dialects import IDENTITY, Translation, translate
from playground.core.extra_fields import check_extra
from playground.core.model_id import ModelId
from playground.core.routing import Routing

#: Where previews read NanoGPT's key from. Every preview shows an environment variable in
#: place of the key (``$NAME``); the key itself never reaches this module.
NANOGPT_KEY_ENV = "NANOGPT_API_KEY"


@dataclass(frozen=True)
class CompletionRequest:
    prompt: str
    model: ModelId
    params: SamplerParams = field(default_factory=SamplerParams)
    routing: Routing = field(default_factory=Routing)
    stream: bool = True
    #: Documented extension fields (e.g. the local engine's ``x_sampler_trace``).
    extensions: Mapping[str, Any] = field(default_factory=dict)
    #: The server's parameter dialect; `wire_body` translates into it.
    dialect: str = "nanogpt"
    #: Fields the catalog lacks, sent verbatim after translation (`extra_fields`).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The request in the catalog's (NanoGPT's) names: model and prompt, then exactly the
        fields that were set. Presets and history keep this form."""
        out: dict[str, Any] = {"model": self.model.compose(), "prompt": self.prompt}
        out.update(body_fields(self.params))
        out.update(self.routing.body())
        if self.stream:
            out["stream"] = True
        out.update(self.extensions)
        out.update(self.extra)
        return out

    def translation(self) -> Translation:
        """The parameters as this request's server understands them, and what changed on the
        way."""
        return translate(self.params, self.dialect, self.routing)

    def wire_body(self) -> dict[str, Any]:
        """What is sent: the body assembled from the translated parameters."""
        translation = self.translation()
        out: dict[str, Any] = {"model": self.model.compose(), "prompt": self.prompt}
        out.update(translation.fields)
        if translation.routes:
            out.update(self.routing.body())
        if self.stream:
            out["stream"] = True
        out.update(self.extensions)
        out.update(self.extra)
        return out

    def headers(self, *, api_key: str | None = None) -> dict[str, str]:
        """Request headers. Pass `api_key` only when actually sending. NanoGPT's routing
        headers go only to NanoGPT."""
        out = {"Content-Type": "application/json"}
        if self.stream:
            out["Accept"] = "text/event-stream"
        if api_key:
            out["Authorization"] = f"Bearer {api_key}"
        if self.translation().routes:
            out.update(self.routing.headers())
        return out


def build_request(prompt: str, model: str | ModelId, params: Mapping[str, Any] | SamplerParams,
                  routing: Routing | None = None, *, stream: bool = True,
                  extensions: Mapping[str, Any] | None = None,
                  dialect: str = IDENTITY,
                  extra: Mapping[str, Any] | None = None) -> CompletionRequest:
    """Validate everything and return the request; raises `InvalidParameter` naming the field."""
    model_id = model if isinstance(model, ModelId) else ModelId.parse(model)
    checked = params if isinstance(params, SamplerParams) else validate_params(params)
    routing = routing or Routing()
    routing.check(model_id)
    return CompletionRequest(prompt=prompt, model=model_id, params=checked, routing=routing,
                             stream=stream, extensions=dict(extensions or {}), dialect=dialect,
                             extra=check_extra(dict(extra or {})))


def completions_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/completions"


def preview_json(request: CompletionRequest) -> str:
    return json.dumps(request.wire_body(), indent=2, ensure_ascii=False)


def preview_headers(request: CompletionRequest, *, key_env: str | None) -> dict[str, str]:
    """The headers, the key shown as ``$KEY_ENV`` (none when `key_env` is None: no key)."""
    return request.headers(api_key=f"${key_env}" if key_env else None)


def preview_curl(request: CompletionRequest, base_url: str, *, key_env: str | None) -> str:
    """A curl command equivalent to the request, the key read from `key_env`."""
    lines = [f"curl {shlex.quote(completions_url(base_url))}"]
    if request.stream:
        lines[0] += " -N"
    for name, value in preview_headers(request, key_env=key_env).items():
        header = f"{name}: {value}"
        # Double quotes so the shell expands $KEY_ENV; nothing else in it needs quoting.
        quoted = f'"{header}"' if key_env and f"${key_env}" in value else shlex.quote(header)
        lines.append(f"  -H {quoted}")
    lines.append(f"  -d {shlex.quote(json.dumps(request.wire_body(), ensure_ascii=False))}")
    return " \\\n".join(lines)


def preview_python(request: CompletionRequest, base_url: str, *, key_env: str | None) -> str:
    """A self-contained httpx snippet that sends the same request."""
    headers = preview_headers(request, key_env=key_env)
    header_lines = []
    for name, value in headers.items():
        if key_env and f"${key_env}" in value:
            header_lines.append(f'    "{name}": "Bearer " + os.environ["{key_env}"],')
        else:
            header_lines.append(f"    {name!r}: {value!r},")
    body = pprint.pformat(request.wire_body(), sort_dicts=False, width=88)
    send = ("with httpx.stream(\"POST\", URL, headers=headers, json=body, timeout=60) as r:\n"
            "    r.raise_for_status()\n"
            "    for line in r.iter_lines():\n"
            "        if line.startswith(\"data: \") and line != \"data: [DONE]\":\n"
            "            print(json.loads(line[6:])[\"choices\"][0][\"text\"], end=\"\", "
            "flush=True)\n"
            if request.stream else
            "r = httpx.post(URL, headers=headers, json=body, timeout=60)\n"
            "r.raise_for_status()\n"
            "print(r.json()[\"choices\"][0][\"text\"])\n")
    return ("import json\nimport os\n\nimport httpx\n\n"
            f"URL = {completions_url(base_url)!r}\n"
            "headers = {\n" + "\n".join(header_lines) + "\n}\n"
            f"body = {body}\n\n" + send)
