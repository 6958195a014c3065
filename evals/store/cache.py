"""Content-addressed caches for translations and metric scores.

A cache entry is keyed by the sha256 of the canonical JSON of everything that
determines its value (for a translation: system spec, revision, parameters,
source text and languages; for a score: the metric signature and the texts).
Canonical JSON makes the key independent of dict order and of how a float was
spelt, so the same inputs always hit the same entry, on any machine.

Both caches work in batches, because a run asks about thousands of segments
at once: lookups send one ``SELECT ... WHERE key IN (...)`` per chunk of keys,
and writes insert only the keys that are missing, in one executemany. Writing
a key that already exists is not an error (caches are shared by concurrent
runs), and the first value written for a key is the one kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select

from evals.store.engine import chunked, existing_values, run_write, utc_now
from evals.store.schema import score_cache, translation_cache

_KEY_RE = re.compile(r"[0-9a-f]{64}")


def canonical_json(obj: Any) -> str:
    """One fixed JSON spelling of ``obj``: sorted keys, no spaces, UTF-8 text, repr floats.

    Only plain JSON data is accepted (dict with str keys, list/tuple, str,
    int, float, bool, None). NaN and infinities are rejected because JSON has
    no spelling for them and ``NaN != NaN`` would make equal inputs unequal.
    """
    _check_plain_json(obj, "$")
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def cache_key(obj: Any) -> str:
    """sha256 hex digest of ``canonical_json(obj)``."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8", "surrogatepass")).hexdigest()


def _check_plain_json(obj: Any, where: str) -> None:
    if obj is None or isinstance(obj, (str, bool, int)):
        return
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{where}: {obj!r} has no canonical JSON form")
        return
    if isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            _check_plain_json(item, f"{where}[{index}]")
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                # json.dumps would turn 1 into "1" and merge it with the key "1".
                raise TypeError(f"{where}: dict keys must be str, got {type(key).__name__}")
            _check_plain_json(value, f"{where}.{key}")
        return
    raise TypeError(f"{where}: {type(obj).__name__} is not plain JSON data")


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"cache keys are sha256 hex digests (see cache_key), got {key!r}")
    return key


@dataclass(frozen=True)
class CachedScore:
    """A cached metric result: its signature, value and per-segment sufficient statistics."""

    signature: str
    value: float | None
    stats: list[float]


class TranslationCache:
    """Hypotheses already produced for a (system, input) key, shared by all runs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached hypothesis for each key that has one."""
        rows = _select_by_key(self._engine, translation_cache, keys)
        return {row.key: row.hypothesis for row in rows}

    def put_many(self, entries: Iterable[tuple[str, str, str]]) -> int:
        """Store ``(key, system_spec, hypothesis)`` entries; return how many were new."""
        now = utc_now()
        rows = {}
        for key, system_spec, hypothesis in entries:
            rows.setdefault(
                _check_key(key),
                {"key": key, "system_spec": system_spec, "hypothesis": hypothesis, "created_at": now},
            )
        return _insert_missing(self._engine, translation_cache, rows)


class ScoreCache:
    """Metric results already computed for a key, with sufficient statistics for resampling."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedScore]:
        """The cached score for each key that has one."""
        rows = _select_by_key(self._engine, score_cache, keys)
        return {
            row.key: CachedScore(row.signature, row.value, json.loads(row.stats_json))
            for row in rows
        }

    def put_many(
        self, entries: Iterable[tuple[str, str, float | None, Sequence[float]]]
    ) -> int:
        """Store ``(key, signature, value, stats)`` entries; return how many were new.

        A NaN value means "not computable" and is stored as NULL.
        """
        now = utc_now()
        rows = {}
        for key, signature, value, stats in entries:
            rows.setdefault(
                _check_key(key),
                {
                    "key": key,
                    "signature": signature,
                    "value": _nullable_float(value),
                    "stats_json": canonical_json([_stat_number(x) for x in stats]),
                    "created_at": now,
                },
            )
        return _insert_missing(self._engine, score_cache, rows)


def _stat_number(value: Any) -> int | float:
    """Integers stay integers (count statistics must round-trip exactly), the rest become floats."""
    if isinstance(value, bool):
        raise ValueError("a statistic must be a number, not a bool")
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return int(value)
    return float(value)


def _nullable_float(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError(f"score values must be finite or None, got {value}")
    return value


def _select_by_key(engine: Engine, table: Table, keys: Iterable[str]) -> list[Any]:
    wanted = sorted(set(keys))
    rows: list[Any] = []
    with engine.connect() as conn:
        for chunk in chunked(wanted):
            rows.extend(conn.execute(select(table).where(table.c.key.in_(chunk))))
    return rows


def _insert_missing(engine: Engine, table: Table, rows: dict[str, dict[str, Any]]) -> int:
    """Insert the rows whose key is not stored yet, in one transaction; return the count."""
    if not rows:
        return 0

    def work(conn: Connection) -> int:
        present = existing_values(conn, table.c.key, list(rows))
        missing = [row for key, row in rows.items() if key not in present]
        if missing:
            conn.execute(insert(table), missing)
        return len(missing)

    return run_write(engine, work)

