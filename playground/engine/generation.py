"""One completion, token by token: the model, the sampler chain, stops, logprobs and limits.

`Generation.steps()` yields one `Step` per sampled token; the last one carries the finish
reason. Streaming and non-streaming responses are built from the same steps, so a seeded
request gives the same text either way. Stopping early is just not asking for the next step.

Decisions worth knowing:

- The model sees the prompt after an implicit document start, so even the first prompt
  token has a log probability.
- ``max_tokens`` defaults to `DEFAULT_MAX_TOKENS` when unset.
- End-of-text and ``stop_token_ids`` end generation with finish reason ``stop``; their text is
  not part of the output, except a stop token's with ``include_stop_str_in_output``.
- If bans leave no token that may be generated, generation ends with ``stop``.
- The model only proposes tokens that keep the text valid UTF-8 (see `utf8`). If
  ``max_tokens`` ends the text inside a character, that character's bytes are left out.
- Log probabilities are the model's own (before the sampler chain), as vLLM reports them;
  the sampler trace shows the chain's effect. ``text_offset`` counts characters of the
  completion text (or of the prompt, for prompt logprobs).
"""

from __future__ import annotations

import codecs
import weakref
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from playground.engine.chain import NoCandidates, Sampler, SamplerSettings, StageTrace
from playground.engine.samplers import Logits
from playground.engine.stops import StopScanner
from playground.engine.text_model import TextModel, Vocabulary
from playground.engine.utf8 import ACCEPT

DEFAULT_MAX_TOKENS = 256
SEED_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    settings: SamplerSettings
    max_tokens: int = DEFAULT_MAX_TOKENS
    stops: tuple[str, ...] = ()
    include_stop: bool = False
    logprobs: int | None = None  # None: off; 0: chosen token only; N: also the top N
    seed: int | None = None
    trace: bool = False
    #: Text that counts as already generated (see ``x_completion_prefix`` in `wire`).
    completion_prefix: str = ""


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float
    top: dict[str, float] | None
    offset: int


@dataclass(frozen=True)
class Step:
    token: int
    text: str  # the text released by this step; may be empty while a stop is undecided
    logprob: TokenLogprob | None = None
    trace: StageTrace | None = None
    finish_reason: str | None = None


_BREAKS: weakref.WeakKeyDictionary[Vocabulary, dict[tuple[str, ...], npt.NDArray[np.bool_]]] = (
    weakref.WeakKeyDictionary())


def breaker_tokens(tokenizer: Vocabulary, breakers: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    """DRY's breakers over the vocabulary: the tokens whose text holds one of `breakers`
    (kept per tokenizer, as a vocabulary of 49k tokens takes a moment to scan)."""
    known = _BREAKS.setdefault(tokenizer, {})
    if breakers not in known:
        wanted = [breaker.encode("utf-8", "surrogatepass") for breaker in breakers]
        known[breakers] = np.fromiter(
            (any(w in tokenizer.token_bytes(i) for w in wanted)
             for i in range(tokenizer.vocab_size)), dtype=bool, count=tokenizer.vocab_size)
    return known[breakers]


class Generation:
    def __init__(self, model: TextModel, request: GenerationRequest) -> None:
        self.model = model
        self.request = request
        self.prompt_ids = model.tokenizer.encode(request.prompt)
        self.prefix_ids = model.tokenizer.encode(request.completion_prefix)
        seed = None if request.seed is None else request.seed & SEED_MASK
        breaks = (breaker_tokens(model.tokenizer, request.settings.dry_sequence_breakers)
                  if request.settings.dry_multiplier else None)
        self.sampler = Sampler(request.settings, model.tokenizer.vocab_size,
                               model.tokenizer.eot_id, self.prompt_ids,
                               np.random.default_rng(seed), breaks)
        self.sampler.replay(self.prefix_ids)

    def prompt_logprobs(self) -> list[TokenLogprob]:
        """Each prompt token's log probability given the tokens before it."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        out: list[TokenLogprob] = []
        offset = 0
        for i, token in enumerate(self.prompt_ids):
            logprobs = self._logprobs(self.prompt_ids[:i])
            out.append(self._entry(token, logprobs, offset))
            offset += len(decoder.decode(self.model.tokenizer.token_bytes(token)))
        return out

    def steps(self) -> Generator[Step]:
        request, tokenizer = self.request, self.model.tokenizer
        stop_ids = set(request.settings.stop_token_ids)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        scanner = StopScanner(request.stops, request.include_stop)
        context = [*self.prompt_ids, *self.prefix_ids]
        offset = 0
        guard, utf8_state = tokenizer.utf8_guard, ACCEPT
        for count in range(1, request.max_tokens + 1):
            probs = guard.constrain(self.model.next_probs(context), utf8_state)
            with np.errstate(divide="ignore"):
                logprobs = np.log(probs)
            try:
                pick = self.sampler.sample(logprobs, trace=request.trace)
            except NoCandidates:
                yield Step(tokenizer.eot_id, scanner.finish(),
                           finish_reason="stop")
                return
            token = pick.token
            context.append(token)
            utf8_state = guard.advance(utf8_state, token)
            entry = (self._entry(token, logprobs, offset)
                     if request.logprobs is not None else None)
            piece = decoder.decode(tokenizer.token_bytes(token))
            offset += len(piece)
            finish: str | None = None
            if token == tokenizer.eot_id or token in stop_ids:
                finish = "stop"
                keep = request.include_stop and token != tokenizer.eot_id
                text = scanner.finish() + (piece if keep else "")
            else:
                if count >= request.settings.min_tokens:
                    scanner.arm()
                text, matched = scanner.feed(piece)
                if matched:
                    finish = "stop"
                elif count == request.max_tokens:
                    finish = "length"
                    text += scanner.finish()
            yield Step(token, text, entry, pick.trace, finish)
            if finish:
                return

    def _logprobs(self, context: list[int]) -> Logits:
        with np.errstate(divide="ignore"):
            return np.log(self.model.next_probs(context))

    def _entry(self, token: int, logprobs: Logits, offset: int) -> TokenLogprob:
        tokenizer = self.model.tokenizer
        n = self.request.logprobs or 0
        top = None
        if n:
            best = np.argpartition(-logprobs, n)[:n] if n < len(logprobs) else np.arange(n)
            best = best[np.argsort(-logprobs[best], kind="stable")]
            top = {tokenizer.token_text(int(i)): float(logprobs[i]) for i in best}
        return TokenLogprob(tokenizer.token_text(token), float(logprobs[token]), top, offset)
