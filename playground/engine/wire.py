"""NanoGPT's completions wire format: reading a request body, writing responses and errors.

Request fields besides the catalog's sampler parameters:

- ``model`` (required; NanoGPT suffixes such as ``:online`` or ``:fast`` are stripped),
  ``prompt`` (required string), ``stream``;
- accepted and ignored: ``provider``, ``billing_mode``, ``billingMode``, ``stream_options``
  (usage is always sent on the last chunk), ``user``;
- extensions ``x_sampler_trace`` (boolean), see below, and ``x_completion_prefix`` (string):
  text that counts as already generated after the prompt, so that one step of a finished
  completion can be replayed exactly (penalties and ``min_tokens`` count it as generated).

Any other field is refused with 400 naming it. Errors use the spec's ``Error`` shape plus the
useful parts of OpenAI's: ``{"error": 400, "message": ..., "type": "invalid_request_error",
"code": ..., "param": ...}``. The spec documents two answers for this endpoint, 200 and 400
("Unexpected error"), so every refusal is a 400, an unknown model (``model_not_found``) and a
fault of the engine's own (``"type": "server_error"``) included.

Sampler trace (``"x_sampler_trace": true``): every choice (each streamed chunk's, and the
non-streamed one) gets ``"x_sampler_trace"``, a list with one item per generated token::

    {"chosen": {"id": 17, "text": " the"},
     "stages": ["model", "repetition_penalty", "top_k", "temperature"],
     "candidates": [{"id": 17, "text": " the", "probs": [0.31, 0.28, 0.52, 0.61],
                     "removed_by": null}, ...],
     "survivors": [3257, 3257, 40, 40],
     "mirostat_mu": null}

``stages`` lists ``"model"`` (the model's own distribution) and then every active stage in
chain order, each named by its parameter (Mirostat's stage is ``"mirostat_mode"``);
``probs[i]`` is the candidate's probability after ``stages[i]`` (0 once removed) and
``removed_by`` names the stage that removed it. Candidates are the `TRACE_TOP` most probable
tokens before the chain, those after it, the chosen token and those listed in
``x_trace_tokens`` (a list of token ids, e.g. the token a finished run drew at that step),
most probable first.
``survivors`` counts the tokens left in the whole vocabulary after each stage.
``mirostat_mu`` is the Mirostat target used for this token (null when Mirostat is off).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.catalog import validate_params
from playground.core.errors import InvalidParameter
from playground.core.model_id import ModelId
from playground.engine.chain import SamplerSettings, StageTrace
from playground.engine.generation import DEFAULT_MAX_TOKENS, GenerationRequest, TokenLogprob
from playground.engine.store import ModelListing
from playground.engine.text_model import Vocabulary

TRACE_TOP = 20
#: Largest request body read, in bytes: far above any request within a model's context.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Longest completion one request may ask for.
MAX_OUTPUT_TOKENS = 16_384

IGNORED_FIELDS = frozenset({"provider", "billing_mode", "billingMode", "stream_options", "user"})
OWN_FIELDS = frozenset({"model", "prompt", "stream", "x_sampler_trace", "x_completion_prefix",
                        "x_trace_tokens"})


class RequestError(Exception):
    """A request the engine refuses; becomes an error response."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None, *,
                 kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.kind = kind or ("invalid_request_error" if status < 500 else "server_error")

    def body(self) -> dict[str, Any]:
        return {"error": self.status, "message": self.message, "type": self.kind,
                "code": self.code, "param": self.param}


@dataclass(frozen=True)
class CompletionCall:
    """A validated request: which model, whether to stream, and what to generate."""

    model: str
    stream: bool
    prompt_logprobs: bool
    generation: GenerationRequest
    trace_tokens: tuple[int, ...] = ()  # candidates every trace includes (x_trace_tokens)


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(400, f"the request body is not valid JSON: {exc}",
                           "invalid_json") from None
    except RecursionError:
        raise RequestError(400, "the request body is not valid JSON here: it is nested too "
                                "deeply", "invalid_json") from None
    if not isinstance(body, dict):
        raise RequestError(400, "the request body must be a JSON object", "invalid_json")
    return body


def parse_completion(body: Mapping[str, Any]) -> CompletionCall:
    """Check every field; raises `RequestError` (400) naming the first bad one."""
    model = _required_string(body, "model")
    prompt = _required_string(body, "prompt")
    stream = _optional_bool(body, "stream")
    trace = _optional_bool(body, "x_sampler_trace")
    prefix = body.get("x_completion_prefix", "")
    if not isinstance(prefix, str):
        raise RequestError(400, "x_completion_prefix: must be a string",
                           "invalid_parameter_value", "x_completion_prefix")
    trace_tokens = body.get("x_trace_tokens", [])
    if not isinstance(trace_tokens, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in trace_tokens):
        raise RequestError(400, "x_trace_tokens: must be a list of token ids",
                           "invalid_parameter_value", "x_trace_tokens")
    sampler_fields = {k: v for k, v in body.items() if k not in OWN_FIELDS | IGNORED_FIELDS}
    try:
        base = ModelId.parse(model).base
        params = validate_params(sampler_fields)
    except InvalidParameter as exc:
        raise RequestError(400, exc.message, "invalid_parameter_value", exc.field) from None
    max_tokens = params.max_tokens or DEFAULT_MAX_TOKENS
    if max_tokens > MAX_OUTPUT_TOKENS:
        raise RequestError(400, f"max_tokens: {max_tokens} is above this engine's limit of "
                                f"{MAX_OUTPUT_TOKENS}", "invalid_parameter_value", "max_tokens")
    stops = [params.stop] if isinstance(params.stop, str) else list(params.stop or [])
    generation = GenerationRequest(
        prompt=prompt, settings=SamplerSettings.from_params(params), max_tokens=max_tokens,
        stops=tuple(stops), include_stop=bool(params.include_stop_str_in_output),
        logprobs=_alternatives(params.logprobs),
        seed=params.seed, trace=trace, completion_prefix=prefix)
    return CompletionCall(base, stream, bool(params.prompt_logprobs), generation,
                          tuple(trace_tokens))


def token_piece(tokenizer: Vocabulary, token: int) -> str | list[int]:
    """One token as ``/tokenize`` gives it with pieces, as llama.cpp's server does: its text,
    or, for part of a character (bytes that are not UTF-8 on their own), the list of its
    bytes. A control token is its name, which is how a prompt writes it."""
    data = tokenizer.token_bytes(token)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return list(data)
    return tokenizer.token_text(token)


def check_token_ids(call: CompletionCall, tokenizer: Vocabulary) -> None:
    """Every token id the request names is in the model's vocabulary (checked before any
    sampler is built from them)."""
    settings = call.generation.settings
    id_fields: dict[str, Sequence[int]] = {"logit_bias": list(settings.logit_bias),
                                           "custom_token_bans": settings.custom_token_bans,
                                           "stop_token_ids": settings.stop_token_ids,
                                           "x_trace_tokens": call.trace_tokens}
    for name, ids in id_fields.items():
        bad = [i for i in ids if not 0 <= i < tokenizer.vocab_size]
        if bad:
            raise RequestError(400, f"{name}: token id {bad[0]} is not in this model's "
                                    f"vocabulary (0 to {tokenizer.vocab_size - 1})",
                               "invalid_parameter_value", name)


def check_context(prompt_tokens: int, max_tokens: int, context: int) -> None:
    """The prompt and the completion asked for fit in the model's context."""
    if prompt_tokens > context:
        raise RequestError(400, f"prompt: {prompt_tokens} tokens is more than this model's "
                                f"context of {context}", "context_length_exceeded", "prompt")
    if prompt_tokens + max_tokens > context:
        raise RequestError(400, f"max_tokens: {prompt_tokens} prompt tokens + max_tokens "
                                f"{max_tokens} is more than this model's context of {context}; "
                                f"ask for at most {context - prompt_tokens}",
                           "context_length_exceeded", "max_tokens")


def _alternatives(logprobs: bool | int | None) -> int | None:
    """`logprobs` as a count of alternatives: None when off, 0 for `true`."""
    if logprobs is None or logprobs is False:
        return None
    return 0 if logprobs is True else logprobs


def _required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        problem = "is required" if value is None else "must be a string"
        raise RequestError(400, f"{name}: {problem}", "invalid_parameter_value", name)
    return value


def _optional_bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool) and value is not None:
        raise RequestError(400, f"{name}: must be true or false", "invalid_parameter_value",
                           name)
    return bool(value)


# --- responses ------------------------------------------------------------------------------

def logprobs_object(entries: Sequence[TokenLogprob]) -> dict[str, Any]:
    """The legacy OpenAI completions shape."""
    has_top = any(entry.top is not None for entry in entries)
    return {"tokens": [e.token for e in entries],
            "token_logprobs": [e.logprob for e in entries],
            "top_logprobs": [e.top or {} for e in entries] if has_top else None,
            "text_offset": [e.offset for e in entries]}


def trace_object(trace: StageTrace, tokenizer: Vocabulary,
                 also: Sequence[int] = ()) -> dict[str, Any]:
    probs = np.stack(trace.probs)  # stages x vocabulary
    first, last = probs[0], probs[-1]
    picked = {trace.chosen, *also, *_top(first, TRACE_TOP), *_top(last, TRACE_TOP)}
    order = sorted(picked, key=lambda t: (-first[t], t))
    candidates = []
    for token in order:
        column = probs[:, token]
        gone = np.flatnonzero(column == 0)
        candidates.append({
            "id": token, "text": tokenizer.token_text(token),
            "probs": [round(float(v), 6) for v in column],
            "removed_by": trace.stages[gone[0]] if len(gone) else None})
    return {"chosen": {"id": trace.chosen, "text": tokenizer.token_text(trace.chosen)},
            "stages": list(trace.stages), "candidates": candidates,
            "survivors": [int(n) for n in np.count_nonzero(probs, axis=1)],
            "mirostat_mu": trace.mu}


def _top(p: np.ndarray[Any, np.dtype[np.float64]], n: int) -> list[int]:
    best = np.argpartition(-p, n)[:n] if n < len(p) else np.arange(len(p))
    return [int(i) for i in best if p[i] > 0]


def choice(text: str, *, finish_reason: str | None, logprobs: dict[str, Any] | None = None,
           trace: list[dict[str, Any]] | None = None,
           prompt_logprobs: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"text": text, "index": 0, "logprobs": logprobs,
                           "finish_reason": finish_reason}
    if trace is not None:
        out["x_sampler_trace"] = trace
    if prompt_logprobs is not None:
        out["prompt_logprobs"] = prompt_logprobs
    return out


def completion(completion_id: str, created: int, model: str, the_choice: dict[str, Any],
               usage: dict[str, int] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": completion_id, "object": "text_completion",
                           "created": created, "model": model, "choices": [the_choice]}
    if usage is not None:
        out["usage"] = usage
    return out


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def model_entry(listing: ModelListing, created: int, *, detailed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": listing.model_id, "object": "model", "created": created,
                           "owned_by": "local"}
    if detailed:
        out.update({"name": listing.name, "description": listing.description,
                    "context_length": listing.context_length,
                    **({"chat_template": listing.chat_template} if listing.chat_template
                       else {}),
                    "max_output_tokens": min(MAX_OUTPUT_TOKENS, listing.context_length),
                    "pricing": {"prompt": 0, "completion": 0},
                    "capabilities": {"completions": True, "streaming": True,
                                     "logprobs": True, "sampler_trace": True}})
    return out
