"""The sampler order and dynamic temperature as SillyTavern and text-generation-webui presets
write them, read into the catalog's ``sampler_order`` and ``dynatemp_range``, and back.

Orders, checked against each program's code (see `dialects` for the servers' own):

- ``sampler_priority`` (text-generation-webui's stage names, which are ours; a list, or text
  with one per line or comma-separated). text-generation-webui runs the active stages it is
  not given *first*, so those go before the listed ones here. With ``temperature_last`` true,
  temperature, dynamic temperature and quadratic smoothing move to the end (without a
  ``sampler_priority``, from text-generation-webui's default order).
- ``samplers`` (llama.cpp's names; SillyTavern writes it for llama.cpp) and ``sampler_order``
  (koboldcpp's ids) are read only when there is no ``sampler_priority`` and no
  ``temperature_last``: one order is kept, and text-generation-webui's is the richest.
- Every key read is also kept for re-export: exporting writes the original keys back when they
  still give the preset's order, and otherwise all four derived from it.

Dynamic temperature: SillyTavern's ``dynatemp`` with ``min_temp``/``max_temp`` and
text-generation-webui's ``dynamic_temperature`` with ``dynatemp_low``/``dynatemp_high`` name
the lowest and highest temperature; the catalog (llama.cpp's form) has the temperature in the
middle and ``dynatemp_range`` the half-width, as SillyTavern converts it for llama.cpp.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.catalog import SAMPLER_STAGES, complete_order
from playground.core.dialects import (
    KOBOLD_STAGES,
    LLAMA_STAGES,
    TEXTGEN_DEFAULT_ORDER,
    as_kobold_ids,
    as_llama_samplers,
)

ORDER_KEYS = ("sampler_priority", "temperature_last", "samplers", "sampler_order")
#: The stages ``temperature_last`` moves to the end, in the order it puts them there.
TEMPERATURE_STAGES = ("temperature", "dynamic_temperature", "quadratic_sampling")
#: The switch, the lowest and the highest temperature, per format.
DYNATEMP_KEYS = {"sillytavern": ("dynatemp", "min_temp", "max_temp"),
                 "textgen": ("dynamic_temperature", "dynatemp_low", "dynatemp_high")}


@dataclass
class OrderReading:
    order: tuple[str, ...] | None = None
    used: list[str] = field(default_factory=list)  # the keys the order came from
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "key: why" for unreadable values


def read_order(data: Mapping[str, Any]) -> OrderReading:
    """The complete order the order keys in `data` describe (None: they describe none)."""
    out = OrderReading()
    priority, last = data.get("sampler_priority"), data.get("temperature_last")
    if priority is not None or last is not None:
        names = _priority_names(priority, out) if priority is not None else list(
            TEXTGEN_DEFAULT_ORDER)
        if last is not None and not isinstance(last, bool):
            out.problems.append("temperature_last: expected true or false")
            last = None
        if names is None or (priority is None and last is None):
            return out
        out.used += [key for key in ("sampler_priority", "temperature_last") if key in data]
        out.order = _textgen_order(names, bool(last))
        return out
    if "samplers" in data:
        out.order = _from_their_names(data["samplers"], "samplers", LLAMA_STAGES, out)
    elif "sampler_order" in data:
        ids = _from_their_names(data["sampler_order"], "sampler_order", KOBOLD_STAGES, out)
        # koboldcpp runs DRY before its order and XTC after it
        out.order = None if ids is None else complete_order(
            ["dry", *(s for s in ids if s not in ("dry", "xtc")), "xtc"])
    return out


def _priority_names(value: Any, out: OrderReading) -> list[str] | None:
    if isinstance(value, str):
        value = [part.strip() for line in value.splitlines() for part in line.split(",")]
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        out.problems.append("sampler_priority: expected a list of stage names")
        return None
    names = [name for name in value if name]
    unknown = [name for name in names if name not in SAMPLER_STAGES]
    if unknown:
        out.notes.append(f"sampler_priority: {', '.join(unknown)} "
                         f"{'has' if len(unknown) == 1 else 'have'} no stage here")
    return list(dict.fromkeys(name for name in names if name in SAMPLER_STAGES))


def _textgen_order(names: list[str], temperature_last: bool) -> tuple[str, ...]:
    """text-generation-webui's order: active stages it was not given run first."""
    moved = TEMPERATURE_STAGES if temperature_last else ()
    listed = [name for name in names if name not in moved]
    missing = [stage for stage in SAMPLER_STAGES if stage not in names and stage not in moved]
    return (*missing, *listed, *moved)


def _from_their_names(value: Any, key: str, names: Mapping[str, Any],
                      out: OrderReading) -> tuple[str, ...] | None:
    """Their list of names (or ids) -> our stages, each of theirs standing for all of ours
    that map to it."""
    theirs = set(names.values())
    if not isinstance(value, list) or not all(type(v) in (str, int) for v in value):
        out.problems.append(f"{key}: expected a list")
        return None
    unknown = [str(v) for v in value if v not in theirs]
    if unknown:
        out.notes.append(f"{key}: {', '.join(unknown)} "
                         f"{'has' if len(unknown) == 1 else 'have'} no stage here")
    stages = [stage for v in value for stage in SAMPLER_STAGES if names.get(stage) == v]
    out.used.append(key)
    return complete_order(list(dict.fromkeys(stages)))


def write_order(order: tuple[str, ...], kept: Mapping[str, Any]) -> dict[str, Any]:
    """The order keys for `order`: the `kept` originals when they still describe it, else
    all four, derived from it."""
    originals = {key: kept[key] for key in ORDER_KEYS if key in kept}
    if originals and read_order(originals).order == order:
        return originals
    last = temperature_is_last(order)
    priority = [s for s in order if not (last and s in TEMPERATURE_STAGES)]
    if last:
        priority += list(TEMPERATURE_STAGES)
    return {"sampler_priority": priority, "temperature_last": last,
            "samplers": as_llama_samplers(list(order)),
            "sampler_order": as_kobold_ids(list(order))}


def temperature_is_last(order: tuple[str, ...]) -> bool:
    """Whether every temperature stage runs after every other stage."""
    return list(order[len(order) - len(TEMPERATURE_STAGES):]) == list(TEMPERATURE_STAGES)


@dataclass
class DynatempReading:
    temperature: float | None = None
    spread: float | None = None  # dynatemp_range; 0 when the switch is off
    used: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_dynatemp(data: Mapping[str, Any], fmt: str) -> DynatempReading:
    switch, low_key, high_key = DYNATEMP_KEYS[fmt]
    out = DynatempReading()
    if switch not in data:
        return out
    on = data[switch]
    if not isinstance(on, bool):
        out.problems.append(f"{switch}: expected true or false")
        return out
    out.used.append(switch)
    if not on:
        out.spread = 0.0
        return out
    low, high = _number(data.get(low_key)), _number(data.get(high_key))
    if low is None or high is None or low > high or low < 0:
        out.problems.append(f"{switch}: {low_key} and {high_key} must be numbers with "
                            f"0 <= {low_key} <= {high_key}")
        out.used.clear()
        return out
    out.used += [low_key, high_key]
    out.temperature = round((low + high) / 2, 6)
    out.spread = round((high - low) / 2, 6)
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def write_dynatemp(temperature: float | None, spread: float, fmt: str,
                   kept: Mapping[str, Any]) -> dict[str, Any]:
    """The switch and the lowest and highest temperature for a temperature and a spread (the
    kept low and high stay as they were while it is off)."""
    switch, low_key, high_key = DYNATEMP_KEYS[fmt]
    if not spread:
        return {switch: False, **{k: kept[k] for k in (low_key, high_key) if k in kept}}
    t = 1.0 if temperature is None else temperature
    return {switch: True, low_key: round(max(0.0, t - spread), 6),
            high_key: round(t + spread, 6)}
