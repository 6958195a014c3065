"""Store values as the dashboard's JSON shows them: rounded finite numbers, ISO times, intervals.

Payloads are plain JSON values with no NaN (a missing score is ``null``);
every payload builder formats numbers, times and decoded store JSON here.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

#: Decimal places kept for scores in payloads (scores are 0–100; more is noise).
DIGITS = 4


def num(value: Any, digits: int = DIGITS) -> float | None:
    """A finite float rounded for display, or None for missing/NaN."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return round(value, digits)


def iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if hasattr(moment, "to_pydatetime"):
        moment = moment.to_pydatetime()
    if not isinstance(moment, datetime):
        return None if _is_nat(moment) else str(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _is_nat(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "NaT"


def jsonable(value: Any) -> Any:
    """Recursively make decoded store JSON (and numpy scalars) safe for ``allow_nan=False``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return iso(value)
    return value


def split_ci(details: Any) -> tuple[list[float] | None, dict[str, Any]]:
    """A confidence interval from score ``details`` (``{"ci": [lo, hi], ...}``) and its other keys."""
    if not isinstance(details, dict):
        return None, {}
    raw = details.get("ci")
    ci = None
    if isinstance(raw, (list, tuple)) and len(raw) == 2:
        lo, hi = num(raw[0]), num(raw[1])
        if lo is not None and hi is not None:
            ci = [lo, hi]
    info = {k: jsonable(v) for k, v in details.items()
            if k != "ci" and isinstance(v, (str, int, float, bool, type(None)))}
    return ci, info

