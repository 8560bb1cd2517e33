"""The sampler stages, each a pure function of numpy arrays (inputs are never modified).

- Penalties and bans take logits over the whole vocabulary (position = token id) and return
  new logits; a banned token gets ``-inf``.
- Truncation stages take the logits of the candidates still in play, **sorted most probable
  first** and all finite (`top_k` alone accepts any order), and return which to keep: how
  many from the front (`Kept` as an int: most stages cut the sorted list at a point, and a
  slice costs far less than a mask) or a boolean mask (`top_k`, `typical_p`). Probabilities
  are the softmax of those logits, so each stage sees the distribution the stages before it
  left. Each keeps at least the most probable candidate, except `typical_p`, which keeps at
  least the most *typical* one (as Hugging Face does).
- `temperature` reshapes the survivors' logits.

The order they run in is documented in `playground.engine.chain`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

Logits = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
#: A truncation stage's answer: the number of leading candidates kept, or a mask.
Kept = int | Mask
NEG_INF = -np.inf

#: Mirostat 1 estimates the Zipf exponent from this many top candidates (as in the paper).
MIROSTAT_M = 100


def softmax(logits: Logits) -> Logits:
    """Probabilities of `logits`; ``-inf`` becomes exactly 0."""
    shifted: Logits = np.exp(logits - logits.max())
    shifted /= shifted.sum()
    return shifted


# --- penalties and bans (whole vocabulary) -------------------------------------------------

def logit_bias(logits: Logits, ids: npt.NDArray[np.int64], bias: Logits) -> Logits:
    """Adds ``bias[i]`` to the logit of token ``ids[i]`` (OpenAI's logit_bias)."""
    out = logits.copy()
    out[ids] += bias
    return out


def ban(logits: Logits, ids: Iterable[int]) -> Logits:
    """Removes the given tokens (custom_token_bans, min_tokens, ignore_eos, n-gram blocking)."""
    out = logits.copy()
    out[list(ids)] = NEG_INF
    return out


def repetition_penalty(logits: Logits, seen: Mask, penalty: float) -> Logits:
    """Hugging Face's multiplicative penalty on tokens already in the text: positive logits are
    divided by `penalty`, negative ones multiplied, so above 1 always makes them less likely."""
    scale = 1 + (penalty - 1) * seen  # penalty where seen, else 1
    if logits.max() <= 0:  # log probabilities always are: skip the positive branch
        negative: Logits = logits * scale
        return negative
    result: Logits = np.where(logits > 0, logits / scale, logits * scale)
    return result


def frequency_penalty(logits: Logits, counts: npt.NDArray[np.int64], penalty: float) -> Logits:
    """OpenAI's frequency penalty: subtracts ``penalty * count`` from each token's logit."""
    return logits - penalty * counts


def presence_penalty(logits: Logits, counts: npt.NDArray[np.int64], penalty: float) -> Logits:
    """OpenAI's presence penalty: subtracts `penalty` once from every token that appeared."""
    return logits - penalty * (counts > 0)


def dry(logits: Logits, history: npt.NDArray[np.int64], marks: Mask, breaks: Mask,
        multiplier: float, base: float, allowed_length: int) -> Logits:
    """DRY, as llama.cpp and koboldcpp (PR #982) define it. A candidate that would extend a
    repeat of earlier text loses ``multiplier * base ** (n - allowed_length)`` from its logit,
    where n is the longest stretch of tokens before one of its earlier occurrences that equals
    the end of `history`, when n reaches `allowed_length`. A repeat never runs across a
    position that lies in a sequence breaker (`marks`, one per token of `history`, breakers
    spanning tokens included), and breaker tokens (`breaks`, over the vocabulary) are never
    penalised. `history` is the text's tokens, already cut to the last ``penalty_last_n``."""
    n = len(history)
    if n <= allowed_length:
        return logits
    broken = np.flatnonzero(marks)
    limit = n - 1 - int(broken[-1]) if len(broken) else n  # tokens since the last breaker
    if limit < allowed_length:
        return logits
    ends = np.arange(n - 1)  # an earlier occurrence ends here; the candidate comes next
    lengths = np.zeros(n - 1, dtype=np.int64)
    alive = np.ones(n - 1, dtype=bool)
    for k in range(1, limit + 1):  # compare the k-th token back from each end
        at = ends - (k - 1)
        alive &= at >= 0
        alive[alive] = history[at[alive]] == history[n - k]
        if not alive.any():
            break
        lengths[alive] = k
    following = history[1:]
    hit = (lengths >= allowed_length) & ~breaks[following]
    if not hit.any():
        return logits
    longest: dict[int, int] = {}
    for token, length in zip(following[hit].tolist(), lengths[hit].tolist(), strict=True):
        longest[token] = max(length, longest.get(token, 0))
    cap = 88.7228391 / math.log(base) if base > 1.000001 else 0.0  # no overflow to inf
    out = logits.copy()
    for token, length in longest.items():
        out[token] -= multiplier * base ** min(length - allowed_length, cap)
    return out


def top_n_sigma(logits: Logits, n: float) -> Logits:
    """Top-n-sigma: keeps the tokens whose logit is within `n` standard deviations (of the finite
    logits, as a population) of the highest; the rest become ``-inf``."""
    finite = logits[np.isfinite(logits)]
    if len(finite) <= 1:
        return logits
    out = logits.copy()
    out[logits < finite.max() - n * float(finite.std())] = NEG_INF
    return out


def ngram_bans(tokens: Sequence[int], size: int) -> set[int]:
    """Tokens that would complete an n-gram of `size` tokens already present in `tokens`."""
    if size <= 0 or len(tokens) < size - 1:
        return set()
    prefix = list(tokens[len(tokens) - size + 1:]) if size > 1 else []
    return {tokens[i + size - 1] for i in range(len(tokens) - size + 1)
            if list(tokens[i:i + size - 1]) == prefix}


class SeenNgrams:
    """`ngram_bans` maintained incrementally, for use during generation: O(1) per token, and
    per token taken back (`cut`)."""

    def __init__(self, size: int, tokens: Sequence[int] = ()) -> None:
        self.size = size
        self._tokens: list[int] = []
        #: prefix -> next token -> how many times the n-gram occurs
        self._next: dict[tuple[int, ...], dict[int, int]] = {}
        self.extend(tokens)

    def extend(self, tokens: Iterable[int]) -> None:
        for token in tokens:
            self._tokens.append(token)
            if len(self._tokens) >= self.size:
                following = self._next.setdefault(self._prefix(len(self._tokens)), {})
                following[token] = following.get(token, 0) + 1

    def cut(self, length: int) -> None:
        """Forget the tokens from `length` on, and the n-grams they ended."""
        while len(self._tokens) > length:
            if len(self._tokens) >= self.size:
                prefix = self._prefix(len(self._tokens))
                following = self._next[prefix]
                token = self._tokens[-1]
                following[token] -= 1
                if not following[token]:
                    del following[token]
            self._tokens.pop()

    def _prefix(self, end: int) -> tuple[int, ...]:
        """The n - 1 tokens before position `end - 1`."""
        return tuple(self._tokens[end - self.size:end - 1])

    def banned(self) -> set[int]:
        if len(self._tokens) < self.size - 1:
            return set()
        prefix = tuple(self._tokens[len(self._tokens) - self.size + 1:]) if self.size > 1 else ()
        return set(self._next.get(prefix, {}))


# --- truncation: which candidates to keep -----------------------------------------------

def _log_probs(logits: Logits) -> Logits:
    """log softmax of logits sorted most probable first."""
    shifted = logits - logits[0]
    result: Logits = shifted - math.log(float(np.exp(shifted).sum()))
    return result


def _probs(logits: Logits) -> Logits:
    """softmax of logits sorted most probable first."""
    shifted: Logits = np.exp(logits - logits[0])
    shifted /= shifted.sum()
    return shifted


def _keep_all(logits: Logits) -> Mask:
    return np.ones(len(logits), dtype=bool)


def top_k(logits: Logits, k: int) -> Mask:
    """Keeps the `k` highest logits, and any tied with the k-th (as Hugging Face does).
    0 disables it. The one truncation stage that accepts candidates in any order."""
    n = len(logits)
    if k <= 0 or k >= n:
        return _keep_all(logits)
    keep: Mask = logits >= np.partition(logits, n - k)[n - k]
    return keep


def tfs(logits: Logits, z: float) -> int:
    """Tail free sampling (Phillips 2019, as in text-generation-webui): takes the absolute
    second differences of the sorted probabilities, normalizes them to sum 1, and cuts where
    their running sum passes `z`; the last candidate always goes. Needs at least three
    candidates; 1 disables it."""
    if z >= 1 or len(logits) < 3:
        return len(logits)
    p = _probs(logits)
    d2 = np.abs(p[:-2] - 2 * p[1:-1] + p[2:])
    total = float(d2.sum())
    if total <= 1e-12:
        return len(logits)  # a straight line (up to rounding) has no tail to find
    return 1 + int(np.count_nonzero(np.cumsum(d2) / total <= z))  # a running sum: a prefix


def typical_p(logits: Logits, mass: float) -> Mask:
    """Locally typical sampling (Meister et al. 2022): ranks candidates by how far their
    surprise ``-log p`` is from the entropy and keeps the closest ones until their probability
    reaches `mass` (ties with the last one kept too). 1 disables it."""
    if mass >= 1:
        return _keep_all(logits)
    log_p = _log_probs(logits)
    p = np.exp(log_p)
    distance = np.abs(log_p + float(-(p * log_p).sum()))
    order = np.argsort(distance, kind="stable")
    last = min(int(np.count_nonzero(np.cumsum(p[order]) < mass)), len(p) - 1)
    keep: Mask = distance <= distance[order[last]]
    return keep


def top_p(logits: Logits, p: float) -> int:
    """Nucleus sampling: keeps the most probable candidates until their cumulative
    probability reaches `p`. 1 disables it."""
    if p >= 1:
        return len(logits)
    return min(int(np.cumsum(_probs(logits)).searchsorted(p)) + 1, len(logits))


def min_p(logits: Logits, ratio: float) -> int:
    """Drops candidates less probable than `ratio` times the top one. 0 disables it."""
    if ratio <= 0:
        return len(logits)
    return int(np.count_nonzero(logits - logits[0] >= math.log(ratio)))  # p / p_max >= ratio


def top_a(logits: Logits, a: float) -> int:
    """Drops candidates less probable than ``a * p_max ** 2``. 0 disables it."""
    if a <= 0:
        return len(logits)
    log_p = _log_probs(logits)
    return int(np.count_nonzero(log_p >= math.log(a) + 2 * log_p[0]))


def epsilon_cutoff(logits: Logits, epsilon: float) -> int:
    """Drops candidates whose probability is below `epsilon` (Hewitt et al. 2022), keeping the
    top one. 0 disables it."""
    if epsilon <= 0:
        return len(logits)
    return _floor(_log_probs(logits), epsilon)


def eta_cutoff(logits: Logits, eta: float) -> int:
    """Entropy-adaptive floor (Hewitt et al. 2022, as in Hugging Face): drops candidates below
    ``min(eta, sqrt(eta) * exp(-entropy))``, entropy in nats, keeping the top one.
    0 disables it."""
    if eta <= 0:
        return len(logits)
    log_p = _log_probs(logits)
    entropy = float(-(np.exp(log_p) * log_p).sum())
    return _floor(log_p, min(eta, math.sqrt(eta) * math.exp(-entropy)))


def _floor(log_p: Logits, threshold: float) -> int:
    """How many of sorted `log_p` are at least `threshold` (always the top one)."""
    return max(1, int(np.count_nonzero(log_p >= math.log(threshold))))


def mirostat_v1(logits: Logits, mu: float, vocab_size: int) -> int:
    """Mirostat 1 (Basu et al. 2021, as in llama.cpp): estimates the Zipf exponent ``s`` from
    the top `MIROSTAT_M` candidates, then keeps the top ``k`` with
    ``k = (e * 2**mu / (1 - N**-e)) ** (1/s)``, ``e = s - 1``, N the vocabulary size."""
    if len(logits) < 2:
        return len(logits)
    top = logits[:MIROSTAT_M]
    i = np.arange(len(top) - 1)
    t = np.log((i + 2) / (i + 1))
    b = top[:-1] - top[1:]  # log(p_i / p_(i+1)), exact even where p underflows
    s_hat = np.float64((t * b).sum() / (t * t).sum())
    with np.errstate(all="ignore"):  # a flat or degenerate head gives inf or nan: keep all
        k = float(((s_hat - 1) * np.float64(2.0) ** mu
                   / (1 - np.float64(vocab_size) ** (1 - s_hat))) ** (1 / s_hat))
    if math.isfinite(k) and k > 0:
        return min(max(int(k), 1), len(logits))
    return len(logits)


def mirostat_v2(logits: Logits, mu: float) -> int:
    """Mirostat 2: drops candidates whose surprise ``-log2 p`` exceeds `mu`, keeping the top."""
    return max(1, int(np.count_nonzero(_log_probs(logits) / -math.log(2) <= mu)))


def xtc(logits: Logits, threshold: float) -> Kept:
    """XTC's removal, once its roll has come up: of the candidates whose probability reaches
    `threshold`, all but the least probable go; nothing goes when fewer than two reach it."""
    p = softmax(logits)
    top = p >= threshold
    if top.sum() < 2:
        return len(logits)
    keep = ~top
    keep[np.flatnonzero(top)[np.argmin(p[top])]] = True
    return keep


def mirostat_update(mu: float, chosen_probability: float, tau: float, eta: float) -> float:
    """Moves `mu` against the error between the chosen token's surprise and the target `tau`."""
    surprise = -math.log2(chosen_probability)
    return mu - eta * (surprise - tau)


# --- the last transform ---------------------------------------------------------------------

def smoothing(logits: Logits, factor: float, curve: float) -> Logits:
    """Quadratic smoothing, as text-generation-webui defines it: with h the highest logit and
    d = logit - h, each logit becomes ``-k f d² + s f d³ + h`` with k = (3 - curve) / 2 and
    s = (curve - 1) / 2; curve 1 is the plain quadratic ``h - f d²``."""
    h = float(logits.max())
    d = logits - h
    k, s = (3 - curve) / 2, (curve - 1) / 2
    result: Logits = -k * factor * d**2 + s * factor * d**3 + h
    return result


def dynamic_temperature(logits: Logits, t: float, spread: float, exponent: float) -> float:
    """The temperature dynamic temperature picks for these candidates, as llama.cpp does: from
    max(0, t - spread) to t + spread, by their entropy over its maximum (log of their count)
    raised to `exponent`."""
    if len(logits) <= 1:
        return max(0.0, t - spread)
    p = softmax(logits)
    nonzero = p[p > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum())
    share = min(1.0, max(0.0, entropy / math.log(len(logits))))
    low, high = max(0.0, t - spread), t + spread
    return low + (high - low) * math.pow(share, exponent)


def temperature(logits: Logits, t: float) -> Logits:
    """Divides the logits by `t`: below 1 sharpens, above 1 flattens. 0 is greedy: only the
    most probable candidate (the first, on a tie) keeps a finite logit."""
    if t == 1:
        return logits
    if t == 0:
        out = np.full(len(logits), NEG_INF)
        best = int(np.argmax(logits))
        out[best] = logits[best]
        return out
    result: Logits = logits / t
    return result
