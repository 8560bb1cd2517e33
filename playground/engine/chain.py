"""The sampler chain: which stages run, in what order, with what state, and the trace.

Order (a stage whose parameter is unset or at its neutral value is skipped):

1. ``logit_bias``, then ``custom_token_bans``
2. ``repetition_penalty`` (prompt and generated tokens), then ``frequency_penalty`` and
   ``presence_penalty`` (generated tokens only, as OpenAI and vLLM count them), then DRY
   (``dry_multiplier`` and its settings; prompt and generated tokens, as llama.cpp counts them)
3. ``no_repeat_ngram_size`` (n-grams of prompt and generated tokens, as Hugging Face)
4. ``min_tokens``: end-of-text and ``stop_token_ids`` are banned until that many tokens exist
5. ``ignore_eos``: end-of-text is banned for the whole run
6. truncation, each on the distribution the previous stage left: ``top_n_sigma`` (first, as
   in llama.cpp), ``top_k``, ``tfs``, ``typical_p``, ``top_p``, ``min_p``, ``top_a``,
   ``epsilon_cutoff``, ``eta_cutoff``, then XTC (``xtc_probability``: after the other
   truncation, as in llama.cpp) - or, when ``mirostat_mode`` is 1 or 2, the Mirostat stage in
   their place (its ``mu`` starts at ``2 * tau``; the surprise of each chosen token, measured
   on the final distribution, steers it)
7. ``smoothing_factor`` (quadratic smoothing), then ``temperature`` (0 keeps only the most
   probable candidate: greedy), or, with ``dynatemp_range``, the temperature dynamic
   temperature picks from the candidates' entropy (the stage is named ``dynatemp_range``)

then one draw from the seeded random generator. XTC draws its own roll from the same
generator, before the token's, and only while it is on. Penalties work on the model's log
probabilities, which are its logits up to a constant. Unset parameters take the catalog's
neutral value; Mirostat's tau and eta, which have none, take the documented 5.0 and 0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from playground.core.catalog import BY_NAME, SamplerParams
from playground.engine import samplers
from playground.engine.samplers import Kept, Logits

Stage = Callable[[Logits], Logits]
Truncation = Callable[[Logits], Kept]


class NoCandidates(Exception):
    """Bans and penalties left no token that may be generated."""


@dataclass(frozen=True)
class SamplerSettings:
    """Every sampler parameter with a concrete value (unset ones resolved)."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    tfs: float = 1.0
    typical_p: float = 1.0
    min_p: float = 0.0
    top_a: float = 0.0
    epsilon_cutoff: float = 0.0
    eta_cutoff: float = 0.0
    repetition_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    no_repeat_ngram_size: int = 0
    min_tokens: int = 0
    ignore_eos: bool = False
    mirostat_mode: int = 0
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    logit_bias: dict[int, float] = field(default_factory=dict)
    custom_token_bans: tuple[int, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    dynatemp_range: float = 0.0
    dynatemp_exponent: float = 1.0
    smoothing_factor: float = 0.0
    smoothing_curve: float = 1.0
    dry_multiplier: float = 0.0
    dry_base: float = 1.75
    dry_allowed_length: int = 2
    dry_penalty_last_n: int = 0  # 0: the whole text
    dry_sequence_breakers: tuple[str, ...] = ("\n", ":", "\"", "*")
    top_n_sigma: float = 0.0
    xtc_probability: float = 0.0
    xtc_threshold: float = 0.1

    @classmethod
    def from_params(cls, params: SamplerParams) -> SamplerSettings:
        values: dict[str, object] = {}
        for f in fields(cls):
            value = getattr(params, f.name)
            if value is None:
                spec = BY_NAME[f.name]
                value = spec.neutral if spec.neutral is not None else spec.hint
            if value is not None:
                values[f.name] = value
        values["logit_bias"] = {int(k): v for k, v in (params.logit_bias or {}).items()}
        values["custom_token_bans"] = tuple(params.custom_token_bans or ())
        values["stop_token_ids"] = tuple(params.stop_token_ids or ())
        breakers = values["dry_sequence_breakers"]
        values["dry_sequence_breakers"] = (breakers,) if isinstance(breakers, str) else tuple(
            breakers)  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StageTrace:
    """One token's trip through the chain: the distribution over the whole vocabulary after
    each active stage (``"model"`` first: the model's own distribution)."""

    stages: tuple[str, ...]
    probs: tuple[Logits, ...]
    chosen: int
    mu: float | None = None


@dataclass(frozen=True)
class Pick:
    token: int
    trace: StageTrace | None = None


class Sampler:
    """Applies the chain for one request and keeps its state (token counts, n-grams, mu)."""

    def __init__(self, settings: SamplerSettings, vocab_size: int, eot: int,
                 prompt: Sequence[int], rng: np.random.Generator,
                 breaks: npt.NDArray[np.bool_] | None = None) -> None:
        """`breaks`: DRY's breaker tokens over the vocabulary (the tokens whose text holds a
        sequence breaker); needed only with `dry_multiplier` set."""
        self.settings = settings
        self.vocab_size = vocab_size
        self.eot = eot
        self.rng = rng
        self.breaks = breaks if breaks is not None else np.zeros(vocab_size, dtype=bool)
        self.history = list(prompt)  # DRY's view of the text
        self.generated = 0
        self.counts = np.zeros(vocab_size, dtype=np.int64)
        self.seen = np.zeros(vocab_size, dtype=bool)
        self.seen[list(prompt)] = True
        size = settings.no_repeat_ngram_size
        self.ngrams = samplers.SeenNgrams(size, prompt) if size > 0 else None
        self.mu = 2 * settings.mirostat_tau
        self.vocab_stages = self._vocab_stages()
        self.candidate_stages = self._candidate_stages()

    def _vocab_stages(self) -> list[tuple[str, Stage]]:
        s = self.settings
        stages: list[tuple[str, Stage]] = []
        if s.logit_bias:
            ids = np.fromiter(s.logit_bias, dtype=np.int64)
            bias = np.fromiter(s.logit_bias.values(), dtype=np.float64)
            stages.append(("logit_bias", lambda x: samplers.logit_bias(x, ids, bias)))
        if s.custom_token_bans:
            stages.append(("custom_token_bans", lambda x: samplers.ban(x, s.custom_token_bans)))
        if s.repetition_penalty != 1:
            stages.append(("repetition_penalty", lambda x: samplers.repetition_penalty(
                x, self.seen, s.repetition_penalty)))
        if s.frequency_penalty:
            stages.append(("frequency_penalty", lambda x: samplers.frequency_penalty(
                x, self.counts, s.frequency_penalty)))
        if s.presence_penalty:
            stages.append(("presence_penalty", lambda x: samplers.presence_penalty(
                x, self.counts, s.presence_penalty)))
        if s.dry_multiplier:
            stages.append(("dry_multiplier", self._dry))
        if self.ngrams is not None:
            ngrams = self.ngrams
            stages.append(("no_repeat_ngram_size", lambda x: samplers.ban(x, ngrams.banned())))
        if s.min_tokens:
            enders = (self.eot, *s.stop_token_ids)
            stages.append(("min_tokens", lambda x: samplers.ban(x, enders)
                           if self.generated < s.min_tokens else x))
        if s.ignore_eos:
            stages.append(("ignore_eos", lambda x: samplers.ban(x, (self.eot,))))
        if s.top_n_sigma and not s.mirostat_mode:
            stages.append(("top_n_sigma", lambda x: samplers.top_n_sigma(x, s.top_n_sigma)))
        return stages

    def _dry(self, x: Logits) -> Logits:
        s = self.settings
        last = s.dry_penalty_last_n or len(self.history)
        history = np.asarray(self.history[-last:], dtype=np.int64)
        return samplers.dry(x, history, self.breaks, s.dry_multiplier, s.dry_base,
                            s.dry_allowed_length)

    def _candidate_stages(self) -> list[tuple[str, Truncation]]:
        """The truncation stages that need sorted input (`top_k` runs before the sort)."""
        s = self.settings
        if s.mirostat_mode == 1:
            return [("mirostat_mode", lambda x: samplers.mirostat_v1(x, self.mu,
                                                                    self.vocab_size))]
        if s.mirostat_mode == 2:
            return [("mirostat_mode", lambda x: samplers.mirostat_v2(x, self.mu))]
        stages: list[tuple[str, float, Callable[[Logits, float], Kept], bool]] = [
            ("tfs", s.tfs, samplers.tfs, s.tfs < 1),
            ("typical_p", s.typical_p, samplers.typical_p, s.typical_p < 1),
            ("top_p", s.top_p, samplers.top_p, s.top_p < 1),
            ("min_p", s.min_p, samplers.min_p, s.min_p > 0),
            ("top_a", s.top_a, samplers.top_a, s.top_a > 0),
            ("epsilon_cutoff", s.epsilon_cutoff, samplers.epsilon_cutoff, s.epsilon_cutoff > 0),
            ("eta_cutoff", s.eta_cutoff, samplers.eta_cutoff, s.eta_cutoff > 0),
        ]
        return [(name, _bind(fn, value)) for name, value, fn, on in stages if on]

    def sample(self, logprobs: Logits, *, trace: bool = False) -> Pick:
        """Run the chain on the model's log probabilities, draw a token and record it."""
        s = self.settings
        snapshots: list[tuple[str, Logits]] | None = [("model", logprobs)] if trace else None
        x = logprobs
        for name, stage in self.vocab_stages:
            x = stage(x)
            if snapshots is not None:
                snapshots.append((name, x))
        ids = np.flatnonzero(np.isfinite(x))  # what bans and cuts so far left
        if s.top_k > 0 and not s.mirostat_mode:
            # It accepts any order, so it runs before the sort: only its few survivors are
            # sorted. Partitioning only the finite logits matters after top-n-sigma, whose
            # thousands of -inf made the partition several times slower.
            ids = ids[samplers.top_k(x[ids], s.top_k)]
            if snapshots is not None:
                snapshots.append(("top_k", self._dense(ids, x[ids])))
        if len(ids) == 0:
            raise NoCandidates("every token is banned")
        x = x[ids]
        if self.candidate_stages:
            order = np.argsort(-x, kind="stable")
            ids, x = ids[order], x[order]
        for name, truncate in self.candidate_stages:
            ids, x = self._truncate(ids, x, name, truncate, snapshots)
        if s.xtc_probability and not s.mirostat_mode and self.rng.random() < s.xtc_probability:
            ids, x = self._truncate(ids, x, "xtc_probability",
                                    lambda x: samplers.xtc(x, s.xtc_threshold), snapshots)
        if s.smoothing_factor:
            x = samplers.smoothing(x, s.smoothing_factor, s.smoothing_curve)
            if snapshots is not None:
                snapshots.append(("smoothing_factor", self._dense(ids, x)))
        if s.dynatemp_range:
            t = samplers.dynamic_temperature(x, s.temperature, s.dynatemp_range,
                                             s.dynatemp_exponent)
            x = samplers.temperature(x, t)
            if snapshots is not None:
                snapshots.append(("dynatemp_range", self._dense(ids, x)))
        elif s.temperature != 1:
            x = samplers.temperature(x, s.temperature)
            if snapshots is not None:
                snapshots.append(("temperature", self._dense(ids, x)))
        p = samplers.softmax(x)
        position = min(int(np.searchsorted(np.cumsum(p), self.rng.random(), side="right")),
                       len(p) - 1)
        token = int(ids[position])
        mu_used = self.mu
        if s.mirostat_mode:
            self.mu = samplers.mirostat_update(self.mu, float(p[position]), s.mirostat_tau,
                                               s.mirostat_eta)
        self._record(token)
        if snapshots is None:
            return Pick(token)
        return Pick(token, StageTrace(tuple(name for name, _ in snapshots),
                                      tuple(samplers.softmax(snap) for _, snap in snapshots),
                                      token, mu_used if s.mirostat_mode else None))

    def _truncate(self, ids: npt.NDArray[np.intp], x: Logits, name: str, stage: Truncation,
                  snapshots: list[tuple[str, Logits]] | None,
                  ) -> tuple[npt.NDArray[np.intp], Logits]:
        keep = stage(x)
        if isinstance(keep, int):
            if keep < len(x):
                ids, x = ids[:keep], x[:keep]
        elif not keep.all():
            ids, x = ids[keep], x[keep]
        if snapshots is not None:
            snapshots.append((name, self._dense(ids, x)))
        return ids, x

    def _dense(self, ids: npt.NDArray[np.intp], x: Logits) -> Logits:
        out = np.full(self.vocab_size, samplers.NEG_INF)
        out[ids] = x
        return out

    def replay(self, tokens: Sequence[int]) -> None:
        """Count `tokens` as already generated (Mirostat's mu is not replayed)."""
        for token in tokens:
            self._record(token)

    def _record(self, token: int) -> None:
        self.history.append(token)
        self.generated += 1
        self.counts[token] += 1
        self.seen[token] = True
        if self.ngrams is not None:
            self.ngrams.extend((token,))


def _bind(stage: Callable[[Logits, float], Kept], value: float) -> Truncation:
    return lambda x: stage(x, value)
