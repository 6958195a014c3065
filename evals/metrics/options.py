"""Validation of metric options shared by every metric: one message per mistake, naming the option."""

from __future__ import annotations

from typing import Any

from evals.errors import InputError


def bool_option(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"must be true or false, got {value!r}", field=field)
    return value


def non_negative_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"must be an integer >= 0, got {value!r}", field=field)
    return value


def positive_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"must be an integer >= 1, got {value!r}", field=field)
    return value
