"""Argument checks shared by every layer (imports nothing from the package): each raises a
``ValueError`` that names the argument, before any work starts."""

from __future__ import annotations

import math

import numpy as np


def is_int(value) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_count(name, value, owner=None) -> int:
    """``value`` must be a positive integer; returns it as an ``int``.  ``owner`` prefixes the error."""
    if not is_int(value) or value < 1:
        where = f"{owner}: " if owner else ""
        raise ValueError(f"{where}{name} must be a positive integer, got {value!r}")
    return int(value)


def check_counts(owner, **counts):
    """Each count must be a positive integer; the error names ``owner`` and the count."""
    for name, value in counts.items():
        check_count(name, value, owner)


def check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}")


def check_positive(name, value) -> float:
    """``value`` must be a finite number > 0 (not a bool); returns it as a ``float``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_choice(what, value, choices):
    """``value`` must be one of ``choices`` (a dict or a sequence)."""
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; valid choices: {sorted(choices)}")
    return value


def check_flag(name, value) -> bool:
    """``value`` must be True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value
