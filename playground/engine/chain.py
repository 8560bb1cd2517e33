"""The sampler chain: which stages run, in what order, with what state, and the trace.

First, always (bans are not stages of the order): the tokens a banned phrase began with at
this position (``banned_strings``, see `generation`), ``logit_bias``, ``custom_token_bans``,
``min_tokens`` (end-of-text and ``stop_token_ids`` are banned until that many tokens exist)
and ``ignore_eos``.

Then the stages, in ``sampler_order`` (`catalog.SAMPLER_STAGES` names them; stages left out
run after the listed ones). The default order, each stage skipped while its parameter is
unset or neutral:

1. ``repetition_penalty`` (prompt and generated tokens), ``frequency_penalty`` and
   ``presence_penalty`` (generated tokens only, as OpenAI and vLLM count them), DRY
   (``dry_multiplier`` and its settings; prompt and generated tokens, as llama.cpp counts them)
   and ``no_repeat_ngram_size`` (n-grams of prompt and generated tokens, as Hugging Face)
2. the cuts, each on the distribution the previous stage left: ``top_n_sigma`` (first, as in
   llama.cpp), ``top_k``, ``tfs``, ``typical_p``, ``top_p``, ``min_p``, ``top_a``,
   ``epsilon_cutoff``, ``eta_cutoff``, Mirostat, then XTC (``xtc_probability``, after the
   other cuts as in llama.cpp). When ``mirostat_mode`` is 1 or 2, Mirostat takes the place
   of every other cut (its ``mu`` starts at ``2 * tau``; the surprise of each chosen token,
   measured on the final distribution, steers it)
3. ``smoothing_factor`` (quadratic smoothing), then ``temperature`` (0 keeps only the most
   probable candidate: greedy), or, with ``dynatemp_range``, dynamic temperature in its own
   place (the temperature picked from the candidates' entropy), as text-generation-webui
   orders them with ``temperature_last``

then one draw from the seeded random generator. XTC draws its own roll from the same
generator, before the token's, and only while it is on. Penalties work on the model's log
probabilities, which are its logits up to a constant; one placed after a cut changes only the
candidates left. Unset parameters take the catalog's neutral value; Mirostat's tau and eta,
which have none, take the documented 5.0 and 0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from playground.core.catalog import (
    BY_NAME,
    SAMPLER_STAGES,
    STAGE_FIELDS,
    SamplerParams,
    complete_order,
)
from playground.engine import samplers
from playground.engine.breakers import BreakMarks
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
    banned_strings: tuple[str, ...] = ()
    sampler_order: tuple[str, ...] = SAMPLER_STAGES  # every stage, in the order they run

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
        values["sampler_order"] = complete_order(params.sampler_order)
        for name in ("dry_sequence_breakers", "banned_strings"):
            value = values.get(name)
            if isinstance(value, str | list):
                values[name] = (value,) if isinstance(value, str) else tuple(value)
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
                 breaks: BreakMarks | None = None) -> None:
        """`breaks`: where DRY's sequence breakers lie in the text (made from the prompt;
        needed only with `dry_multiplier` set)."""
        self.settings = settings
        self.vocab_size = vocab_size
        self.eot = eot
        self.rng = rng
        if breaks is None and settings.dry_multiplier:  # DRY without sequence breakers
            breaks = BreakMarks((), np.zeros(vocab_size, dtype=bool), lambda _token: "", prompt)
        self.breaks = breaks
        self.history = list(prompt)  # DRY's view of the text
        self.generated = 0
        self.counts = np.zeros(vocab_size, dtype=np.int64)
        self.seen = np.zeros(vocab_size, dtype=bool)
        self.seen[list(prompt)] = True
        size = settings.no_repeat_ngram_size
        self.ngrams = samplers.SeenNgrams(size, prompt) if size > 0 else None
        self.mu = 2 * settings.mirostat_tau
        self._mus: list[float] = []  # mu before each recorded token, to go back
        self.prelude = self._prelude()
        self.stages = self._ordered_stages()

    def _prelude(self) -> list[tuple[str, Stage]]:
        """Bias and bans: not stages of the order, always first."""
        s = self.settings
        stages: list[tuple[str, Stage]] = []
        if s.logit_bias:
            ids = np.fromiter(s.logit_bias, dtype=np.int64)
            bias = np.fromiter(s.logit_bias.values(), dtype=np.float64)
            stages.append(("logit_bias", lambda x: samplers.logit_bias(x, ids, bias)))
        if s.custom_token_bans:
            stages.append(("custom_token_bans", lambda x: samplers.ban(x, s.custom_token_bans)))
        if s.min_tokens:
            enders = (self.eot, *s.stop_token_ids)
            stages.append(("min_tokens", lambda x: samplers.ban(x, enders)
                           if self.generated < s.min_tokens else x))
        if s.ignore_eos:
            stages.append(("ignore_eos", lambda x: samplers.ban(x, (self.eot,))))
        return stages

    def _ordered_stages(self) -> list[tuple[str, _Kind, Callable[..., Any]]]:
        """The stages that are on, in `sampler_order` (each named by its catalog field)."""
        s = self.settings
        mirostat = s.mirostat_mode in (1, 2)
        cutting = not mirostat  # Mirostat takes the place of every cut
        table: dict[str, tuple[_Kind, Callable[..., Any], bool]] = {
            "repetition_penalty": (_Kind.DENSE, lambda x: samplers.repetition_penalty(
                x, self.seen, s.repetition_penalty), s.repetition_penalty != 1),
            "frequency_penalty": (_Kind.DENSE, lambda x: samplers.frequency_penalty(
                x, self.counts, s.frequency_penalty), s.frequency_penalty != 0),
            "presence_penalty": (_Kind.DENSE, lambda x: samplers.presence_penalty(
                x, self.counts, s.presence_penalty), s.presence_penalty != 0),
            "dry": (_Kind.DENSE, self._dry, s.dry_multiplier != 0),
            "no_repeat_ngram": (_Kind.DENSE, lambda x: samplers.ban(
                x, self.ngrams.banned() if self.ngrams else ()), self.ngrams is not None),
            "top_n_sigma": (_Kind.SPREAD, lambda x: samplers.top_n_sigma(x, s.top_n_sigma),
                            cutting and s.top_n_sigma > 0),
            "top_k": (_Kind.ANY_ORDER_CUT, lambda x: samplers.top_k(x, s.top_k),
                      cutting and s.top_k > 0),
            "tfs": (_Kind.CUT, _bind(samplers.tfs, s.tfs), cutting and s.tfs < 1),
            "typical_p": (_Kind.CUT, _bind(samplers.typical_p, s.typical_p),
                          cutting and s.typical_p < 1),
            "top_p": (_Kind.CUT, _bind(samplers.top_p, s.top_p), cutting and s.top_p < 1),
            "min_p": (_Kind.CUT, _bind(samplers.min_p, s.min_p), cutting and s.min_p > 0),
            "top_a": (_Kind.CUT, _bind(samplers.top_a, s.top_a), cutting and s.top_a > 0),
            "epsilon_cutoff": (_Kind.CUT, _bind(samplers.epsilon_cutoff, s.epsilon_cutoff),
                               cutting and s.epsilon_cutoff > 0),
            "eta_cutoff": (_Kind.CUT, _bind(samplers.eta_cutoff, s.eta_cutoff),
                           cutting and s.eta_cutoff > 0),
            "mirostat": (_Kind.CUT, self._mirostat, mirostat),
            "xtc": (_Kind.CUT, self._xtc, cutting and s.xtc_probability > 0),
            "quadratic_sampling": (_Kind.RESHAPE, lambda x: samplers.smoothing(
                x, s.smoothing_factor, s.smoothing_curve), s.smoothing_factor > 0),
            "temperature": (_Kind.RESHAPE, lambda x: samplers.temperature(x, s.temperature),
                            s.temperature != 1 and not s.dynatemp_range),
            "dynamic_temperature": (_Kind.RESHAPE, lambda x: samplers.temperature(
                x, samplers.dynamic_temperature(x, s.temperature, s.dynatemp_range,
                                                s.dynatemp_exponent)), s.dynatemp_range > 0),
        }
        return [(STAGE_FIELDS.get(stage, stage), kind, fn)
                for stage in s.sampler_order
                for kind, fn, on in [table[stage]] if on]

    def _dry(self, x: Logits) -> Logits:
        s = self.settings
        last = s.dry_penalty_last_n or len(self.history)
        history = np.asarray(self.history[-last:], dtype=np.int64)
        assert self.breaks is not None  # made with the sampler whenever DRY is on
        marks = self.breaks.marks[len(self.history) - len(history):]
        return samplers.dry(x, history, marks, self.breaks.single, s.dry_multiplier, s.dry_base,
                            s.dry_allowed_length)

    def _mirostat(self, x: Logits) -> Kept:
        if self.settings.mirostat_mode == 1:
            return samplers.mirostat_v1(x, self.mu, self.vocab_size)
        return samplers.mirostat_v2(x, self.mu)

    def _xtc(self, x: Logits) -> Kept | None:
        """XTC on this step, if its roll says so (None: not this time)."""
        s = self.settings
        if self.rng.random() >= s.xtc_probability:
            return None
        return samplers.xtc(x, s.xtc_threshold)

    def sample(self, logprobs: Logits, *, trace: bool = False,
               banned: Collection[int] = ()) -> Pick:
        """Run the chain on the model's log probabilities, draw a token and record it.
        `banned`: tokens banned at this position only (a banned phrase began with them)."""
        s = self.settings
        snapshots: list[tuple[str, Logits]] | None = [("model", logprobs)] if trace else None
        x = logprobs
        if banned:
            x = samplers.ban(x, tuple(banned))
            if snapshots is not None:
                snapshots.append(("banned_strings", x))
        for name, stage in self.prelude:
            x = stage(x)
            if snapshots is not None:
                snapshots.append((name, x))
        # Until the first cut, stages see the whole vocabulary (`ids` None); from then on,
        # only the candidates still in play, sorted most probable first once a cut needs it.
        ids: npt.NDArray[np.intp] | None = None
        ordered = False
        for name, kind, fn in self.stages:
            if kind is _Kind.DENSE or kind is _Kind.SPREAD:
                if ids is None:
                    x = fn(x)
                else:
                    y = fn(self._dense(ids, x))[ids] if kind is _Kind.DENSE else fn(x)
                    ids, x = _finite(ids, y)
                    ordered = ordered and kind is _Kind.SPREAD
            else:
                if ids is None:
                    ids, x = _finite(np.arange(len(x)), x)
                if kind is _Kind.RESHAPE:
                    ids, x = _finite(ids, fn(x))
                    ordered = ordered and (name != "smoothing_factor" or s.smoothing_curve <= 3)
                else:
                    if kind is _Kind.CUT and not ordered:
                        order = np.argsort(-x, kind="stable")
                        ids, x, ordered = ids[order], x[order], True
                    keep = fn(x)
                    if keep is None:
                        continue
                    ids, x = _kept(ids, x, keep)
            if snapshots is not None:
                snapshots.append((name, x if ids is None else self._dense(ids, x)))
        if ids is None:
            ids, x = _finite(np.arange(len(x)), x)
        if len(ids) == 0:
            raise NoCandidates("every token is banned")
        p = samplers.softmax(x)
        position = min(int(np.searchsorted(np.cumsum(p), self.rng.random(), side="right")),
                       len(p) - 1)
        token = int(ids[position])
        mu_used = self.mu
        self._record(token)
        if s.mirostat_mode:
            self.mu = samplers.mirostat_update(self.mu, float(p[position]), s.mirostat_tau,
                                               s.mirostat_eta)
        if snapshots is None:
            return Pick(token)
        return Pick(token, StageTrace(tuple(name for name, _ in snapshots),
                                      tuple(samplers.softmax(snap) for _, snap in snapshots),
                                      token, mu_used if s.mirostat_mode else None))

    def _dense(self, ids: npt.NDArray[np.intp], x: Logits) -> Logits:
        out = np.full(self.vocab_size, samplers.NEG_INF)
        out[ids] = x
        return out

    def rewind(self, count: int) -> None:
        """Forget the last `count` recorded tokens, as if they had never been generated."""
        if count <= 0:
            return
        gone = self.history[len(self.history) - count:]
        del self.history[len(self.history) - count:]
        self.generated -= count
        np.subtract.at(self.counts, gone, 1)
        self.seen[:] = False
        self.seen[self.history] = True
        if self.ngrams is not None:
            self.ngrams.cut(len(self.history))
        if self.breaks is not None:
            self.breaks.cut(len(self.history))
        self.mu = self._mus[len(self._mus) - count]
        del self._mus[len(self._mus) - count:]

    def replay(self, tokens: Sequence[int]) -> None:
        """Count `tokens` as already generated (Mirostat's mu is not replayed)."""
        for token in tokens:
            self._record(token)

    def _record(self, token: int) -> None:
        self._mus.append(self.mu)
        self.history.append(token)
        if self.breaks is not None:
            self.breaks.extend((token,))
        self.generated += 1
        self.counts[token] += 1
        self.seen[token] = True
        if self.ngrams is not None:
            self.ngrams.extend((token,))


class _Kind(Enum):
    DENSE = "a logit transform over the whole vocabulary (penalties, DRY, n-gram bans)"
    SPREAD = "a cut that marks what it drops -inf, in any order (top-n-sigma)"
    ANY_ORDER_CUT = "a cut that takes candidates in any order (top_k)"
    CUT = "a cut that takes candidates sorted most probable first"
    RESHAPE = "a transform of the candidates' logits (temperature, smoothing)"


def _bind(stage: Callable[[Logits, float], Kept], value: float) -> Truncation:
    return lambda x: stage(x, value)


def _finite(ids: npt.NDArray[np.intp], x: Logits) -> tuple[npt.NDArray[np.intp], Logits]:
    """The candidates whose logit is still finite."""
    alive = np.isfinite(x)
    return (ids, x) if alive.all() else (ids[alive], x[alive])


def _kept(ids: npt.NDArray[np.intp], x: Logits, keep: Kept,
          ) -> tuple[npt.NDArray[np.intp], Logits]:
    if isinstance(keep, int):
        return (ids[:keep], x[:keep]) if keep < len(x) else (ids, x)
    return (ids, x) if keep.all() else (ids[keep], x[keep])
