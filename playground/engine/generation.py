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
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np

from playground.engine.breakers import BreakMarks, breaker_tokens
from playground.engine.chain import NoCandidates, Sampler, SamplerSettings, StageTrace
from playground.engine.phrases import PhraseWatch
from playground.engine.samplers import Logits
from playground.engine.stops import StopScanner
from playground.engine.text_model import TextModel
from playground.engine.utf8 import ACCEPT

DEFAULT_MAX_TOKENS = 256
SEED_MASK = (1 << 64) - 1
#: Times one generation may go back for a banned phrase before it ends where it is.
MAX_REWINDS = 256


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




@dataclass
class _Draft:
    """A sampled token not yet sent, with what generation goes back to if a banned phrase
    that begins with it is completed."""

    token: int
    piece: str  # its text
    start: int  # where its text begins in the generated text
    offset: int
    utf8_state: int
    decoder_state: tuple[bytes, int]
    trace: StageTrace | None
    logprob: TokenLogprob | None


def _where_phrase_began(drafts: list[_Draft], begins: int) -> int:
    """The draft whose text holds the phrase's first character (or, for a phrase that begins
    in the prompt or in text already sent, the first draft); back over tokens that only began
    that character (their text is empty until it is complete)."""
    at = next((i for i, d in enumerate(drafts) if d.start + len(d.piece) > begins), 0)
    while at > 0 and drafts[at - 1].piece == "":
        at -= 1
    return at


def _settled_drafts(drafts: list[_Draft], settled: int) -> int:
    """How many leading drafts lie wholly in text no banned phrase can still take back."""
    ready = 0
    while ready < len(drafts) and drafts[ready].start + len(drafts[ready].piece) <= settled:
        ready += 1
    while ready > 0 and drafts[ready - 1].piece == "":
        ready -= 1
    return ready


class Generation:
    def __init__(self, model: TextModel, request: GenerationRequest) -> None:
        self.model = model
        self.request = request
        self.prompt_ids = model.tokenizer.encode(request.prompt)
        self.prefix_ids = model.tokenizer.encode(request.completion_prefix)
        seed = None if request.seed is None else request.seed & SEED_MASK
        breaks = None
        if request.settings.dry_multiplier:
            breakers = request.settings.dry_sequence_breakers
            breaks = BreakMarks(breakers, breaker_tokens(model.tokenizer, breakers),
                                model.tokenizer.token_text, self.prompt_ids)
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
        watch = PhraseWatch(request.settings.banned_strings,
                            request.prompt + request.completion_prefix)
        context = [*self.prompt_ids, *self.prefix_ids]
        drafts: list[_Draft] = []  # sampled, not yet sent: a banned phrase may take them back
        sent = 0
        bans: dict[int, set[int]] = {}  # position -> tokens a banned phrase began with there
        offset, rewinds = 0, 0
        guard, utf8_state = tokenizer.utf8_guard, ACCEPT
        while True:
            position = sent + len(drafts)
            probs = guard.constrain(self.model.next_probs(context), utf8_state)
            with np.errstate(divide="ignore"):
                logprobs = np.log(probs)
            try:
                pick = self.sampler.sample(logprobs, trace=request.trace,
                                           banned=bans.get(position, ()))
            except NoCandidates:
                yield from self._send(scanner, drafts, sent, "stop")
                return
            token = pick.token
            draft = _Draft(token, "", watch.size, offset, utf8_state,
                           decoder.getstate(), pick.trace,
                           self._entry(token, logprobs, offset)
                           if request.logprobs is not None else None)
            context.append(token)
            utf8_state = guard.advance(utf8_state, token)
            draft.piece = decoder.decode(tokenizer.token_bytes(token))
            offset += len(draft.piece)
            if token == tokenizer.eot_id or token in stop_ids:
                yield from self._send(scanner, drafts, sent)
                keep = request.include_stop and token != tokenizer.eot_id
                yield Step(token, scanner.finish() + (draft.piece if keep else ""),
                           draft.logprob, draft.trace, "stop")
                return
            begins = watch.feed(draft.piece)
            drafts.append(draft)
            if begins is not None:
                back = _where_phrase_began(drafts, begins)
                taken = drafts[back]
                del context[len(context) - (len(drafts) - back):]
                self.sampler.rewind(len(drafts) - back)
                del drafts[back:]
                watch.cut(taken.start)
                offset, utf8_state = taken.offset, taken.utf8_state
                decoder.setstate(taken.decoder_state)
                at = sent + back
                bans = {p: b for p, b in bans.items() if p <= at}
                bans.setdefault(at, set()).add(taken.token)
                rewinds += 1
                if rewinds > MAX_REWINDS:
                    yield from self._send(scanner, drafts, sent, "stop")
                    return
                continue
            if position + 1 == request.max_tokens:
                yield from self._send(scanner, drafts, sent, "length")
                return
            ready = _settled_drafts(drafts, watch.settled())
            for step in self._send(scanner, drafts[:ready], sent):
                yield step
                if step.finish_reason:
                    return
            sent += ready
            del drafts[:ready]

    def _send(self, scanner: StopScanner, drafts: list[_Draft], sent: int,
              finish: str | None = None) -> Iterator[Step]:
        """Release `drafts` to the client through the stop scanner; the last one ends the
        generation with `finish` (a stop sequence may end it earlier)."""
        for i, draft in enumerate(drafts):
            if sent + i + 1 >= self.request.settings.min_tokens:
                scanner.arm()
            text, matched = scanner.feed(draft.piece)
            last = finish if i == len(drafts) - 1 else None
            if matched:
                yield Step(draft.token, text, draft.logprob, draft.trace, "stop")
                return
            if last:
                text += scanner.finish()
            yield Step(draft.token, text, draft.logprob, draft.trace, last)
        if finish and not drafts:
            yield Step(self.model.tokenizer.eot_id, scanner.finish(), finish_reason=finish)

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
