"""Content-addressed caches: translations, metric statistics, translation flags, score intervals.

A cache entry is keyed by the sha256 of the canonical JSON of everything that
determines its value (for a translation: system spec, revision, parameters,
source text and languages; for a score: the metric signature and the texts).
Canonical JSON makes the key independent of dict order and of how a float was
spelt, so the same inputs always hit the same entry, on any machine.

Every cache works in batches, because a run asks about thousands of segments
at once: lookups send one ``SELECT ... WHERE key IN (...)`` per chunk of keys,
and writes are one bulk ``INSERT ... ON CONFLICT DO NOTHING``. Writing a key
that already exists is not an error, even when another process writes it at
the same moment (caches are shared by concurrent runs); the first value
written for a key is the one kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from evals.store.engine import chunked, insert_new, run_write, utc_now
from evals.store.schema import flag_cache, interval_cache, score_cache, translation_cache

_KEY_RE = re.compile(r"[0-9a-f]{64}")
# The encoder json.dumps(..., ensure_ascii=False) uses for strings (C-accelerated).
_encode_string = json.encoder.encode_basestring


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


_SCALARS = (str, bool, int, type(None))


def text_cache_key(fields: dict[str, str | None | list[str]]) -> str:
    """``cache_key(fields)`` for a flat mapping of strings, None and lists of strings, faster.

    Translation and score keys are such mappings and are hashed once per
    segment, system and metric (millions on a large corpus). Spelling the
    canonical JSON directly with the JSON string encoder gives the same text
    (hence the same key, tested against ``cache_key``) at a fraction of the
    cost; anything else falls back to ``cache_key``.
    """
    parts = []
    for name in sorted(fields):
        value = fields[name]
        if value is None:
            encoded = "null"
        elif type(value) is str:
            encoded = _encode_string(value)
        elif type(value) is list and all(type(item) is str for item in value):
            encoded = "[" + ",".join(map(_encode_string, value)) + "]"
        else:
            return cache_key(fields)
        if type(name) is not str:
            return cache_key(fields)
        parts.append(_encode_string(name) + ":" + encoded)
    text = "{" + ",".join(parts) + "}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stats_json(stats: Iterable[Any]) -> str:
    """``canonical_json`` of a statistics row (ints stay ints, finite floats as repr).

    Rows of plain ints (sacrebleu's counts, as ``Metric.stats_to_json`` gives
    them) are spelt directly: a run writes one row per segment, system and
    metric, and checking each number on its own was most of the cost.
    """
    values = stats if isinstance(stats, list) else list(stats)
    if all(type(x) is int for x in values):
        return "[" + ",".join(map(int.__repr__, values)) + "]"
    numbers = [_stat_number(x) for x in values]
    for number in numbers:
        if type(number) is float and not math.isfinite(number):
            raise ValueError(f"{number!r} has no canonical JSON form")
    return "[" + ",".join(map(repr, numbers)) + "]"


def _check_plain_json(obj: Any, where: str) -> None:
    """Refuse what ``json.dumps`` would accept but spell ambiguously (see ``canonical_json``).

    Keys are hashed by the hundred thousand, so strings and other scalars are
    accepted without a call and the path for the message is only built when
    something is wrong.
    """
    if isinstance(obj, _SCALARS):
        return
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{where}: {obj!r} has no canonical JSON form")
        return
    if isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            if not isinstance(item, _SCALARS):
                _check_plain_json(item, f"{where}[{index}]")
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                # json.dumps would turn 1 into "1" and merge it with the key "1".
                raise TypeError(f"{where}: dict keys must be str, got {type(key).__name__}")
            if not isinstance(value, _SCALARS):
                _check_plain_json(value, f"{where}.{key}")
        return
    raise TypeError(f"{where}: {type(obj).__name__} is not plain JSON data")


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"cache keys are sha256 hex digests (see cache_key), got {key!r}")
    return key


#: A score-cache entry: ``(key, signature, value, stats)`` or ``(key, signature, value, stats, details)``.
ScoreEntry = tuple[Any, ...]


@dataclass(frozen=True)
class CachedScore:
    """A cached metric result: its signature, value, per-segment sufficient statistics and details.

    ``details`` is what the metric said about the segment beyond its score
    (xCOMET error spans), None when it said nothing or the entry predates
    migration 6.
    """

    signature: str
    value: float | None
    stats: list[float]
    details: dict[str, Any] | None = None


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
        rows = translation_cache_rows(entries)
        if not rows:
            return 0  # no write transaction (and no SQLite write lock) for nothing
        return run_write(self._engine, lambda conn: put_cache_rows(conn, translation_cache, rows))


class ScoreCache:
    """Metric results already computed for a key, with sufficient statistics for resampling."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedScore]:
        """The cached score for each key that has one."""
        rows = _select_by_key(self._engine, score_cache, keys)
        return {
            row.key: CachedScore(row.signature, row.value, json.loads(row.stats_json),
                                 json.loads(row.details_json) if row.details_json else None)
            for row in rows
        }

    def put_many(self, entries: Iterable[ScoreEntry]) -> int:
        """Store ``(key, signature, value, stats[, details])`` entries; return how many were new.

        A NaN value means "not computable" and is stored as NULL; ``details``
        (a dict, or None for none) is kept beside the statistics.
        """
        rows = score_cache_rows(entries)
        if not rows:
            return 0  # no write transaction (and no SQLite write lock) for nothing
        return run_write(self._engine, lambda conn: put_cache_rows(conn, score_cache, rows))


class FlagCache:
    """Translation flags already computed for a key, as bitmasks over the flag rules' flags."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_many(self, keys: Iterable[str]) -> dict[str, int]:
        """The cached mask for each key that has one."""
        return {row.key: int(row.mask) for row in _select_by_key(self._engine, flag_cache, keys)}

    def put_many(self, entries: Iterable[tuple[str, str, int]]) -> int:
        """Store ``(key, flag rules signature, mask)`` entries; return how many were new."""
        now = utc_now()
        rows: dict[str, dict[str, Any]] = {}
        for key, signature, mask in entries:
            if isinstance(mask, bool) or not isinstance(mask, int) or mask < 0:
                raise ValueError(f"a flag mask is an integer >= 0, got {mask!r}")
            rows.setdefault(_check_key(key), {"key": key, "signature": signature, "mask": mask, "created_at": now})
        if not rows:
            return 0
        return run_write(self._engine, lambda conn: put_cache_rows(conn, flag_cache, list(rows.values())))


class IntervalCache:
    """Bootstrap intervals of system scores already computed for a key; ``(None, None)``: not computable."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_many(self, keys: Iterable[str]) -> dict[str, tuple[float | None, float | None]]:
        """The cached ``(low, high)`` for each key that has one."""
        return {row.key: (row.low, row.high) for row in _select_by_key(self._engine, interval_cache, keys)}

    def put_many(self, entries: Iterable[tuple[str, str, float | None, float | None]]) -> int:
        """Store ``(key, metric signature, low, high)`` entries; return how many were new."""
        now = utc_now()
        rows: dict[str, dict[str, Any]] = {}
        for key, signature, low, high in entries:
            known = low is not None and high is not None
            rows.setdefault(_check_key(key), {
                "key": key, "signature": signature, "low": nullable_float(low) if known else None,
                "high": nullable_float(high) if known else None, "created_at": now})
        if not rows:
            return 0
        return run_write(self._engine, lambda conn: put_cache_rows(conn, interval_cache, list(rows.values())))


def translation_cache_rows(entries: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """``(key, system_spec, hypothesis)`` entries as checked table rows, first entry per key."""
    now = utc_now()
    rows: dict[str, dict[str, Any]] = {}
    for key, system_spec, hypothesis in entries:
        rows.setdefault(
            _check_key(key),
            {"key": key, "system_spec": system_spec, "hypothesis": hypothesis, "created_at": now},
        )
    return list(rows.values())


def score_cache_rows(entries: Iterable[ScoreEntry]) -> list[dict[str, Any]]:
    """``(key, signature, value, stats[, details])`` entries as checked table rows, first entry per key.

    Everything is validated here, before any transaction starts, so a bad
    entry never leaves half a batch behind.
    """
    now = utc_now()
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        key, signature, value, stats = entry[:4]
        details = entry[4] if len(entry) > 4 else None
        if _check_key(key) in rows:
            continue
        if details is not None and not isinstance(details, dict):
            raise TypeError(f"score cache details are a dict or None, got {type(details).__name__}")
        rows[key] = {
            "key": key,
            "signature": signature,
            "value": nullable_float(value),
            "stats_json": stats_json(stats),
            "created_at": now,
            "details_json": canonical_json(details) if details else None,
        }
    if not any(row["details_json"] for row in rows.values()):
        # No details in the batch: leave the column out, so a store not yet at migration 6 takes it too.
        for row in rows.values():
            del row["details_json"]
    return list(rows.values())


def put_cache_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert the cache rows whose key is not stored yet (inside the caller's transaction)."""
    return insert_new(conn, table, rows, ["key"])


def _stat_number(value: Any) -> int | float:
    """Integers stay integers (count statistics must round-trip exactly), the rest become floats."""
    if isinstance(value, bool):
        raise ValueError("a statistic must be a number, not a bool")
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return int(value)
    return float(value)


def nullable_float(value: Any) -> float | None:
    """A stored score value: None or NaN ("not computable") is NULL; an infinity is a bug upstream."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError(f"score values must be finite, NaN or None; got {value}")
    return value


def _select_by_key(engine: Engine, table: Table, keys: Iterable[str]) -> list[Any]:
    wanted = sorted(set(keys))
    rows: list[Any] = []
    with engine.connect() as conn:
        for chunk in chunked(wanted):
            rows.extend(conn.execute(select(table).where(table.c.key.in_(chunk))))
    return rows
