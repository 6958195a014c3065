"""Store → JSON payloads for the dashboard.

The app loads its data in chunks, so opening it stays fast on big runs:

* ``index`` — every run (newest first), metric directions and the system-level
  score history across runs; small, loaded first by every page;
* ``run`` — one run's leaderboard, per-document scores, script robustness and
  provenance;
* ``significance`` — one run's significance matrices (paired tests: the slow
  part, computed only when asked for);
* ``segments`` — one run's segments (source, reference, document, script);
* ``system`` — one system's hypotheses, flags and segment scores, aligned
  index-for-index with the segments chunk, loaded only when the segment
  explorer shows that system.

Segment chunks are columns (one array per field), not records: a 10k-segment
run becomes a few arrays instead of 10k objects, smaller on disk and faster
for the browser to parse. Payloads are plain JSON values (no NaN: a missing
score is ``null``), wrapped by ``chunk_script`` as a JavaScript call so the
static site works from ``file://``, where ``fetch()`` is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from evals.errors import MtevalError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from evals.store import Store

SCHEMA_VERSION = 1
#: Decimal places kept for scores in payloads (scores are 0–100; more is noise).
DIGITS = 4
#: Trials of the fallback paired test (``segment_mean_cell``).
PAIRED_RESAMPLES = 1000
PAIRED_SEED = 12345
#: Per (script pair, system, metric): how many segments with the widest script gap to list.
SCRIPT_GAP_SEGMENTS = 15
SIGNIFICANCE_LEVEL = 0.05


# ---- chunk addresses ------------------------------------------------------------------------

def index_url() -> str:
    return "data/index.js"


def run_url(run_id: int) -> str:
    return f"data/runs/{run_id}.js"


def segments_url(run_id: int) -> str:
    return f"data/runs/{run_id}/segments.js"


def system_url(run_id: int, system_id: int) -> str:
    return f"data/runs/{run_id}/system-{system_id}.js"


def significance_url(run_id: int) -> str:
    return f"data/runs/{run_id}/significance.js"


def chunk_script(url: str, payload: Any) -> str:
    """A data chunk as the JavaScript the app loads with a ``<script>`` tag.

    JSON is valid JavaScript, and the file is loaded as a script (never
    pasted into HTML), so no text in it can end the script or inject markup.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return f"MTEVAL.receive({json.dumps(url)},{body});\n"


# ---- small helpers ----------------------------------------------------------------------------

def _num(value: Any, digits: int = DIGITS) -> float | None:
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


def _iso(moment: Any) -> str | None:
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


def _jsonable(value: Any) -> Any:
    """Recursively make decoded store JSON (and numpy scalars) safe for ``allow_nan=False``."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return _iso(value)
    return value


def _ci(details: Any) -> tuple[list[float] | None, dict[str, Any]]:
    """A confidence interval from score ``details`` (``{"ci": [lo, hi], ...}``) and its other keys."""
    if not isinstance(details, dict):
        return None, {}
    raw = details.get("ci")
    ci = None
    if isinstance(raw, (list, tuple)) and len(raw) == 2:
        lo, hi = _num(raw[0]), _num(raw[1])
        if lo is not None and hi is not None:
            ci = [lo, hi]
    info = {k: _jsonable(v) for k, v in details.items()
            if k != "ci" and isinstance(v, (str, int, float, bool, type(None)))}
    return ci, info


def metric_order(names: Iterable[str]) -> list[str]:
    """Known metrics in the report's order, then the rest alphabetically."""
    from evals.report import METRIC_ORDER

    names = set(names)
    known = [m for m in METRIC_ORDER if m in names]
    return known + sorted(names - set(known))


def higher_is_better(metric: str) -> bool:
    """Whether bigger values of ``metric`` are better (TER: no). Unknown metrics: assume yes."""
    from evals.metrics import available_metrics, get_metric

    if metric not in available_metrics():
        return True
    try:
        return bool(get_metric(metric).higher_is_better)
    except (MtevalError, ImportError, TypeError):
        return True


def metric_info(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    return {m: {"higher_is_better": higher_is_better(m)} for m in metric_order(names)}


# ---- significance: adapter over evals.compare / evals.stats ---------------------------------


@dataclass(frozen=True)
class PairedCell:
    """One cell of a significance matrix: row system minus column system."""

    delta: float | None
    p_value: float | None
    delta_ci: list[float] | None
    method: str


def load_sides(store: "Store", run_id: int, names: Sequence[str]) -> dict[str, Any]:
    """Each system of a run as an ``evals.compare`` side (statistics from the score cache).

    A system whose statistics cannot be rebuilt (its metric no longer builds
    the stored signature, say) maps to the ``InputError`` saying why; its
    cells fall back to ``segment_mean_cell``.
    """
    from evals.compare import load_run_system
    from evals.errors import InputError

    sides: dict[str, Any] = {}
    for name in names:
        try:
            sides[name] = load_run_system(store, run_id, name)
        except InputError as error:
            sides[name] = error
    return sides


class SharedFrames:
    """A store stand-in whose run-wide readers answer from frames already loaded.

    ``evals.compare.load_run_system`` reads the whole run (``translations_df``,
    ``scores_df``) for each system it loads; a matrix loads every system, so
    handing it this proxy reads the run once instead of once per system.
    Everything else goes to the real store.
    """

    def __init__(self, run: "RunData") -> None:
        self._run = run

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run.store, name)

    def _mine(self, run: Any) -> bool:
        return self._run.store.resolve_run(run) == self._run.run_id

    def get_run(self, run: Any) -> dict[str, Any]:
        return self._run.info if self._mine(run) else self._run.store.get_run(run)

    def translations_df(self, run: Any) -> "pd.DataFrame":
        return self._run.translations.copy(deep=False) if self._mine(run) else self._run.store.translations_df(run)

    def scores_df(self, run: Any, level: str | None = None, metric: str | None = None) -> "pd.DataFrame":
        if level is None and metric is None and self._mine(run):
            return self._run.scores.copy(deep=False)
        return self._run.store.scores_df(run, level=level, metric=metric)


def bootstrap_matrix(
    metric: Any, stats: Sequence["np.ndarray"], doc_ids: Sequence[str]
) -> dict[tuple[int, int], PairedCell]:
    """Paired bootstrap between every two of ``stats`` (aligned rows), sharing the resamples.

    ``evals.stats.paired.paired_bootstrap(metric, stats[j], stats[i], doc_ids)``
    for every pair, with identical results (a test checks it), but each
    system's resampled scores are computed once instead of once per pair: the
    draws depend only on the seed and the segments, so they are the same for
    every pair of a matrix, and scoring the resamples is the expensive part.
    Keys are (i, j), i < j; the cell is row i minus column j.
    """
    import numpy as np

    from evals.stats.bootstrap import (
        DEFAULT_LEVEL,
        DEFAULT_RESAMPLES,
        DEFAULT_SEED,
        MIN_DOCUMENTS,
        bootstrap_samples,
        choose_resampling,
        interval_bounds,
    )
    from evals.stats.paired import p_value

    rows = [metric.check_stats(s) for s in stats]
    resampling = choose_resampling(len(rows[0]), list(doc_ids), "auto", MIN_DOCUMENTS)
    samples = bootstrap_samples(metric, rows, resampling, DEFAULT_RESAMPLES, DEFAULT_SEED)
    scores = [metric.score_from_stats(r) for r in rows]
    method = (f"paired bootstrap on pooled statistics ({DEFAULT_RESAMPLES} resamples of {resampling.unit}s, "
              f"seed {DEFAULT_SEED})")
    cells = {}
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            differences = np.abs(samples[i] - samples[j])
            p = p_value(differences - differences.mean(), abs(scores[j] - scores[i]))
            lo, hi = interval_bounds(samples[i] - samples[j], DEFAULT_LEVEL)
            cells[(i, j)] = PairedCell(_num(scores[i] - scores[j]), _num(p, 6), [_num(lo), _num(hi)], method)
    return cells


def aligned_stats(
    sides: dict[str, Any], names: Sequence[str], corpus: str, metric: str
) -> tuple[Any, dict[str, Any], list[str]] | None:
    """(metric, {system: statistics in one segment order}, doc ids) via ``evals.compare.align``.

    Systems that cannot be aligned with the first one (other segments, other
    signature, statistics unavailable) are left out; None if fewer than two remain.
    """
    from evals.compare import align
    from evals.errors import InputError

    usable = [n for n in names if not isinstance(sides.get(n), Exception) and sides.get(n) is not None
              and corpus in sides[n].corpora and metric in sides[n].corpora[corpus].metrics]
    if len(usable) < 2:
        return None
    first, stats, metric_obj, doc_ids = usable[0], {}, None, None
    for other in usable[1:]:
        try:
            pairs, _notes = align(sides[first], sides[other], corpora=[corpus], metrics=[metric])
        except InputError:
            continue
        if not pairs:
            continue
        pair = pairs[0]
        stats[first], stats[other] = pair.baseline, pair.system
        metric_obj, doc_ids = pair.metric, pair.doc_ids
    if len(stats) < 2:
        return None
    return metric_obj, stats, doc_ids


def segment_mean_cell(row_scores: "np.ndarray", col_scores: "np.ndarray") -> PairedCell:
    """Fallback when a run's sufficient statistics are not in the cache: approximate
    randomisation (sign flips) on the mean per-segment difference, seeded."""
    import numpy as np

    diff = np.asarray(row_scores, dtype=np.float64) - np.asarray(col_scores, dtype=np.float64)
    n = diff.size
    method = (f"paired approximate randomisation on mean segment scores "
              f"({PAIRED_RESAMPLES} trials, seed {PAIRED_SEED})")
    if n == 0:
        return PairedCell(None, None, None, method)
    observed = abs(diff.mean())
    if observed == 0:
        return PairedCell(0.0, 1.0, None, method)
    rng = np.random.default_rng(PAIRED_SEED)
    hits, done = 0, 0
    batch = max(1, min(PAIRED_RESAMPLES, 4_000_000 // n))
    while done < PAIRED_RESAMPLES:
        rows = min(batch, PAIRED_RESAMPLES - done)
        signs = rng.integers(0, 2, size=(rows, n), dtype=np.int8) * 2 - 1
        hits += int(np.count_nonzero(np.abs(signs @ diff) / n > observed))
        done += rows
    return PairedCell(_num(diff.mean()), round((hits + 1) / (PAIRED_RESAMPLES + 1), 6), None, method)


def _holm(matrix: list[list[float | None]]) -> list[list[float | None]]:
    """Holm-adjusted p-values over the upper triangle (the family of all pairs), mirrored."""
    from evals.stats import holm

    size = len(matrix)
    cells = [(i, j) for i in range(size) for j in range(i + 1, size) if matrix[i][j] is not None]
    adjusted = holm([matrix[i][j] for i, j in cells]) if cells else []
    out: list[list[float | None]] = [[None] * size for _ in range(size)]
    for (i, j), value in zip(cells, adjusted):
        out[i][j] = out[j][i] = round(value, 6)
    return out


# ---- one run ---------------------------------------------------------------------------------

class RunData:
    """Everything the dashboard shows about one run, read from the store once."""

    def __init__(self, store: "Store", run: int | str) -> None:
        self.store = store
        self.run_id = store.resolve_run(run)

    # -- raw frames

    @cached_property
    def info(self) -> dict[str, Any]:
        return self.store.get_run(self.run_id)

    @cached_property
    def translations(self) -> "pd.DataFrame":
        return self.store.translations_df(self.run_id)

    @cached_property
    def scores(self) -> "pd.DataFrame":
        return self.store.scores_df(self.run_id)

    @cached_property
    def segment_table(self) -> "pd.DataFrame":
        """One row per segment of the run, in corpus (suite) order, with its script."""
        import pandas as pd

        frame = self.translations
        columns = ["segment_id", "corpus", "doc_id", "seg_id", "para", "source", "reference"]
        table = frame[columns].drop_duplicates("segment_id") if not frame.empty else pd.DataFrame(columns=columns)
        scripts = _segment_scripts(self.store, table["segment_id"].tolist())
        table = table.assign(script=[scripts.get(int(s), "") for s in table["segment_id"]])
        # Segments are stored in suite order the first time they are seen, so ordering the
        # corpora by their first segment id keeps the suite's corpus order.
        table = table.sort_values("segment_id", kind="stable")
        order = {name: i for i, name in enumerate(dict.fromkeys(table["corpus"]))}
        table = table.assign(_rank=[order[c] for c in table["corpus"]])
        table = table.sort_values(["_rank", "segment_id"], kind="stable").drop(columns="_rank")
        return table.reset_index(drop=True)

    @cached_property
    def corpora(self) -> list[str]:
        seen = list(dict.fromkeys(self.segment_table["corpus"]))
        scored = [c for c in dict.fromkeys(self.scores["corpus"]) if c not in seen]
        return seen + scored

    @cached_property
    def metrics(self) -> list[str]:
        return metric_order(set(self.scores["metric"]))

    @cached_property
    def system_names(self) -> dict[int, str]:
        return {s["id"]: s["name"] for s in self.info["systems"]}

    @cached_property
    def corpus_scripts(self) -> dict[str, dict[str, int]]:
        table = self.segment_table
        counts: dict[str, dict[str, int]] = {}
        for (corpus, script), n in table.groupby(["corpus", "script"], sort=False).size().items():
            counts.setdefault(corpus, {})[script] = int(n)
        return counts

    # -- payloads

    def run_payload(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "kind": "run",
            "run": self._run_summary(),
            "corpora": self._corpora(),
            "systems": [
                {"id": s["id"], "name": s["name"], "spec": s["spec"], "revision": s["revision"],
                 "chunk": system_url(self.run_id, s["id"])}
                for s in self.info["systems"]
            ],
            "metrics": metric_info(self.metrics),
            "leaderboard": self._leaderboard(),
            "flags": self._flags(),
            "documents": self._documents(),
            "scripts": self._script_pairs(),
            "provenance": self._provenance(),
            "chunks": {"segments": segments_url(self.run_id), "significance": significance_url(self.run_id)},
        }

    def significance_payload(self) -> dict[str, Any]:
        """The significance matrices: a chunk of their own, because the paired tests are the
        slow part of a run's data and only the significance page needs them."""
        return {"schema": SCHEMA_VERSION, "kind": "significance", "run": self.run_id,
                "matrices": self._significance()}

    def segments_payload(self) -> dict[str, Any]:
        """The run's segments as columns; strings repeated per segment become indexes."""
        table = self.segment_table
        corpora = list(dict.fromkeys(table["corpus"]))
        docs = list(dict.fromkeys(table["doc_id"]))
        scripts = list(dict.fromkeys(table["script"]))
        corpus_ix = {c: i for i, c in enumerate(corpora)}
        doc_ix = {d: i for i, d in enumerate(docs)}
        script_ix = {s: i for i, s in enumerate(scripts)}
        return {
            "schema": SCHEMA_VERSION,
            "kind": "segments",
            "corpora": corpora,
            "docs": docs,
            "scripts": scripts,
            "sid": [int(s) for s in table["segment_id"]],
            "corpus": [corpus_ix[c] for c in table["corpus"]],
            "doc": [doc_ix[d] for d in table["doc_id"]],
            "script": [script_ix[s] for s in table["script"]],
            "id": table["seg_id"].tolist(),
            "src": table["source"].tolist(),
            "ref": [None if _is_missing(r) else r for r in table["reference"]],
        }

    def system_payload(self, system_id: int) -> dict[str, Any]:
        """One system's hypotheses, flags and segment scores, aligned with ``segments_payload``."""
        if system_id not in self.system_names:
            raise KeyError(system_id)
        position = {int(s): i for i, s in enumerate(self.segment_table["segment_id"])}
        n = len(position)
        hyps: list[str | None] = [None] * n
        flags: list[int] = [0] * n
        flag_names: list[str] = []
        flag_bit: dict[str, int] = {}
        rows = self.translations[self.translations["system_id"] == system_id]
        for segment_id, hypothesis, row_flags in zip(rows["segment_id"], rows["hypothesis"], rows["flags"]):
            i = position[int(segment_id)]
            hyps[i] = hypothesis
            mask = 0
            for flag in row_flags:
                if flag not in flag_bit:
                    flag_bit[flag] = 1 << len(flag_names)
                    flag_names.append(flag)
                mask |= flag_bit[flag]
            flags[i] = mask
        segment_scores = self.scores[(self.scores["level"] == "segment") & (self.scores["system_id"] == system_id)]
        by_metric: dict[str, list[float | None]] = {}
        for metric, group in segment_scores.groupby("metric", sort=False):
            values: list[float | None] = [None] * n
            for segment_id, value in zip(group["segment_id"], group["value"]):
                i = position.get(int(segment_id))
                if i is not None:
                    values[i] = _num(value)
            by_metric[metric] = values
        return {
            "schema": SCHEMA_VERSION,
            "kind": "system",
            "run": self.run_id,
            "id": system_id,
            "name": self.system_names[system_id],
            "flag_names": flag_names,
            "hyp": hyps,
            "flags": flags,
            "scores": {m: by_metric[m] for m in metric_order(by_metric)},
        }

    # -- pieces of the run payload

    def _run_summary(self) -> dict[str, Any]:
        info = self.info
        return {
            "id": self.run_id,
            "created_at": _iso(info["created_at"]),
            "finished_at": _iso(info["finished_at"]),
            "status": info["status"],
            "suite_name": info["suite_name"],
            "git_commit": info["git_commit"],
            "mteval_version": info["mteval_version"],
        }

    def _corpora(self) -> list[dict[str, Any]]:
        table = self.segment_table
        out = []
        for corpus in self.corpora:
            part = table[table["corpus"] == corpus]
            out.append({
                "name": corpus,
                "segments": int(len(part)),
                "documents": int(part["doc_id"].nunique()),
                "scripts": self.corpus_scripts.get(corpus, {}),
                "references": int(part["reference"].notna().sum()),
                "scored": bool((self.scores["corpus"] == corpus).any()),
            })
        return out

    def _leaderboard(self) -> list[dict[str, Any]]:
        """Scores per (system, corpus, script, level, metric).

        ``script`` is "" for a whole corpus. Corpora mixing scripts also get
        per-script rows at document and segment level (means of the stored
        scores); a pooled system score cannot be split after the fact.
        """
        frame = self.scores
        rows: list[dict[str, Any]] = []
        if frame.empty:
            return rows
        system = frame[frame["level"] == "system"]
        for name, corpus, metric, value, signature, details in zip(
            system["system"], system["corpus"], system["metric"], system["value"], system["signature"],
            system["details"],
        ):
            ci, extra = _ci(details)
            rows.append({"system": name, "corpus": corpus, "script": "", "level": "system", "metric": metric,
                         "value": _num(value), "ci": ci, "ci_info": extra or None, "signature": signature})
        lower = frame[frame["level"] != "system"]
        for (name, corpus, level, metric), group in lower.groupby(["system", "corpus", "level", "metric"],
                                                                   sort=False):
            rows.append({"system": name, "corpus": corpus, "script": "", "level": level, "metric": metric,
                         "value": _num(group["value"].mean()), "n": int(group["value"].notna().sum())})
        mixed = [c for c, scripts in self.corpus_scripts.items() if len(scripts) > 1]
        if mixed:
            rows += self._script_split_rows(lower[lower["corpus"].isin(mixed)])
        return rows

    def _script_split_rows(self, frame: "pd.DataFrame") -> list[dict[str, Any]]:
        table = self.segment_table
        seg_script = dict(zip(table["segment_id"].astype(int), table["script"]))
        doc_script = {(c, d): s for c, d, s in zip(table["corpus"], table["doc_id"], table["script"])}
        scripts = [
            seg_script.get(int(sid)) if level == "segment" and not _is_missing(sid) else doc_script.get((c, d))
            for level, sid, c, d in zip(frame["level"], frame["segment_id"], frame["corpus"], frame["doc_id"])
        ]
        frame = frame.assign(script=scripts)
        rows = []
        for (name, corpus, script, level, metric), group in frame.groupby(
                ["system", "corpus", "script", "level", "metric"], sort=False):
            rows.append({"system": name, "corpus": corpus, "script": script, "level": level, "metric": metric,
                         "value": _num(group["value"].mean()), "n": int(group["value"].notna().sum())})
        return rows

    def _flags(self) -> list[dict[str, Any]]:
        """Segments and flag counts per (system, corpus), and per script within each corpus."""
        frame = self.translations
        if frame.empty:
            return []
        seg_script = dict(zip(self.segment_table["segment_id"].astype(int), self.segment_table["script"]))
        counts: dict[tuple[str, str, str], dict[str, Any]] = {}
        for name, corpus, segment_id, flags in zip(frame["system"], frame["corpus"], frame["segment_id"],
                                                    frame["flags"]):
            for script in ("", seg_script.get(int(segment_id), "")):
                entry = counts.setdefault((name, corpus, script), {
                    "system": name, "corpus": corpus, "script": script, "segments": 0, "flags": {}})
                entry["segments"] += 1
                for flag in flags:
                    entry["flags"][flag] = entry["flags"].get(flag, 0) + 1
        return list(counts.values())

    def _documents(self) -> list[dict[str, Any]]:
        """Per corpus: its documents (with segment counts) and each system's score per document."""
        table = self.segment_table
        docs_scores = self.scores[self.scores["level"] == "document"]
        out = []
        for corpus in self.corpora:
            part = table[table["corpus"] == corpus]
            sizes = part.groupby("doc_id", sort=False).size()
            docs = list(sizes.index)
            scripts = dict(zip(part["doc_id"], part["script"]))
            position = {d: i for i, d in enumerate(docs)}
            values: dict[str, dict[str, list[float | None]]] = {}
            scored = docs_scores[docs_scores["corpus"] == corpus]
            for (metric, name), group in scored.groupby(["metric", "system"], sort=False):
                column: list[float | None] = [None] * len(docs)
                for doc_id, value in zip(group["doc_id"], group["value"]):
                    if doc_id in position:
                        column[position[doc_id]] = _num(value)
                values.setdefault(metric, {})[name] = column
            out.append({
                "corpus": corpus,
                "docs": docs,
                "segments": [int(n) for n in sizes],
                "scripts": [scripts.get(d, "") for d in docs],
                "values": {m: values[m] for m in metric_order(values)},
            })
        return out

    def _significance(self) -> list[dict[str, Any]]:
        """Per (corpus, metric): every pair's score delta and paired-test p-value (raw and Holm).

        Cells come from ``evals.compare`` (paired bootstrap on pooled
        statistics rebuilt from the score cache); a pair that cannot be
        aligned that way falls back to a test on segment scores, and each
        matrix lists the methods its cells used.
        """
        frame = self.scores
        segment = frame[(frame["level"] == "segment") & frame["value"].notna()]
        order = [s["name"] for s in self.info["systems"]]
        groups = []
        for (corpus, metric), part in segment.groupby(["corpus", "metric"], sort=False):
            wide = part.pivot_table(index="segment_id", columns="system", values="value", aggfunc="first")
            names = [s for s in order if s in wide.columns]
            if len(names) >= 2:
                groups.append((corpus, metric, wide, names))
        if not groups:
            return []
        sides = load_sides(SharedFrames(self), self.run_id, sorted({n for *_, names in groups for n in names}))
        out = []
        for corpus, metric, wide, names in groups:
            shared = self._bootstrap_cells(sides, names, corpus, metric)
            size = len(names)
            delta: list[list[Any]] = [[None] * size for _ in range(size)]
            delta_ci: list[list[Any]] = [[None] * size for _ in range(size)]
            p: list[list[Any]] = [[None] * size for _ in range(size)]
            n: list[list[Any]] = [[None] * size for _ in range(size)]
            methods = set()
            for i in range(size):
                for j in range(i + 1, size):
                    both = wide[[names[i], names[j]]].dropna()
                    if both.empty:
                        continue
                    cell = shared.get((names[i], names[j]))
                    if cell is None:
                        cell = segment_mean_cell(both[names[i]].to_numpy(), both[names[j]].to_numpy())
                    methods.add(cell.method)
                    delta[i][j] = cell.delta
                    delta[j][i] = None if cell.delta is None else _num(-cell.delta)
                    if cell.delta_ci is not None:
                        delta_ci[i][j] = cell.delta_ci
                        delta_ci[j][i] = [_num(-cell.delta_ci[1]), _num(-cell.delta_ci[0])]
                    p[i][j] = p[j][i] = cell.p_value
                    n[i][j] = n[j][i] = int(len(both))
            out.append({"corpus": corpus, "metric": metric, "systems": names, "delta": delta,
                        "delta_ci": delta_ci, "p": p, "p_holm": _holm(p), "n": n,
                        "methods": sorted(methods), "alpha": SIGNIFICANCE_LEVEL})
        rank = {m: i for i, m in enumerate(self.metrics)}
        corpus_rank = {c: i for i, c in enumerate(self.corpora)}
        out.sort(key=lambda m: (corpus_rank.get(m["corpus"], len(corpus_rank)), rank.get(m["metric"], len(rank))))
        return out

    @staticmethod
    def _bootstrap_cells(sides, names, corpus, metric) -> dict[tuple[str, str], PairedCell]:
        aligned = aligned_stats(sides, names, corpus, metric)
        if aligned is None:
            return {}
        metric_obj, stats, doc_ids = aligned
        members = [n for n in names if n in stats]
        cells = bootstrap_matrix(metric_obj, [stats[n] for n in members], doc_ids)
        return {(members[i], members[j]): cell for (i, j), cell in cells.items()}

    def _script_pairs(self) -> list[dict[str, Any]]:
        """The same segments in Simplified and Traditional script: scores per system and the gap."""
        pairs = _script_corpus_pairs(self.segment_table, self.corpus_scripts)
        if not pairs:
            return []
        frame = self.scores
        out = []
        tr = self.translations
        for hans, hant in pairs:
            systems_out = []
            for sys_info in self.info["systems"]:
                name = sys_info["name"]
                hyp_a = _hyps_by_seg(tr, name, hans)
                hyp_b = _hyps_by_seg(tr, name, hant)
                common = sorted(set(hyp_a) & set(hyp_b))
                if not common:
                    continue
                identical = sum(1 for s in common if hyp_a[s] == hyp_b[s])
                metrics_out = {}
                for metric in self.metrics:
                    entry = self._script_metric(frame, name, metric, hans, hant)
                    if entry is not None:
                        metrics_out[metric] = entry
                systems_out.append({"system": name, "segments": len(common), "identical": identical,
                                    "metrics": metrics_out})
            out.append({"hans": hans, "hant": hant, "systems": systems_out})
        return out

    def _script_metric(self, frame, name, metric, hans, hant) -> dict[str, Any] | None:
        part = frame[(frame["system"] == name) & (frame["metric"] == metric)]
        if part.empty:
            return None
        values = {}
        for corpus in (hans, hant):
            system = part[(part["level"] == "system") & (part["corpus"] == corpus)]
            ci = None
            value = None
            if not system.empty:
                value = _num(system["value"].iloc[0])
                ci, _ = _ci(system["details"].iloc[0])
            values[corpus] = (value, ci)
        seg = part[part["level"] == "segment"]
        a = seg[seg["corpus"] == hans].set_index("seg_id")["value"]
        b = seg[seg["corpus"] == hant].set_index("seg_id")["value"]
        both = a.to_frame("hans").join(b.to_frame("hant"), how="inner").dropna()
        both = both.assign(gap=both["hant"] - both["hans"])
        widest = both.reindex(both["gap"].abs().sort_values(ascending=False, kind="stable").index)
        widest = widest.head(SCRIPT_GAP_SEGMENTS)
        (hans_value, hans_ci), (hant_value, hant_ci) = values[hans], values[hant]
        gap = None if hans_value is None or hant_value is None else _num(hant_value - hans_value)
        return {
            "hans": hans_value, "hans_ci": hans_ci, "hant": hant_value, "hant_ci": hant_ci, "gap": gap,
            "segment_gap_mean": _num(both["gap"].mean()) if len(both) else None,
            "segments_differing": int((both["gap"].abs() > 1e-9).sum()),
            "widest": [{"seg_id": seg_id, "hans": _num(r.hans), "hant": _num(r.hant), "gap": _num(r.gap)}
                       for seg_id, r in zip(widest.index, widest.itertuples(index=False))],
        }

    def _provenance(self) -> dict[str, Any]:
        info = self.info
        signatures: dict[str, dict[str, str]] = {}
        system_rows = self.scores[self.scores["level"] == "system"]
        for metric, corpus, signature in zip(system_rows["metric"], system_rows["corpus"],
                                             system_rows["signature"]):
            signatures.setdefault(metric, {})[corpus] = signature
        return {
            "suite_name": info["suite_name"],
            "suite": _jsonable(info["suite"]),
            "git_commit": info["git_commit"],
            "mteval_version": info["mteval_version"],
            "package_versions": _jsonable(info["package_versions"]),
            "corpus_hashes": _jsonable(info["corpus_hashes"]),
            "argv": _jsonable(info["argv"]),
            "notes": _jsonable(info["notes"]),
            "status": info["status"],
            "created_at": _iso(info["created_at"]),
            "finished_at": _iso(info["finished_at"]),
            "systems": _jsonable(info["systems"]),
            "signatures": {m: signatures[m] for m in metric_order(signatures)},
        }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _hyps_by_seg(frame: "pd.DataFrame", system: str, corpus: str) -> dict[str, str]:
    part = frame[(frame["system"] == system) & (frame["corpus"] == corpus)]
    return dict(zip(part["seg_id"], part["hypothesis"]))


def _script_corpus_pairs(table: "pd.DataFrame", scripts: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    """(Simplified corpus, Traditional corpus) pairs whose segments share ids (the paired corpora)."""
    hans = [c for c, s in scripts.items() if set(s) == {"zh-Hans"}]
    hant = [c for c, s in scripts.items() if set(s) == {"zh-Hant"}]
    ids = {c: set(table.loc[table["corpus"] == c, "seg_id"]) for c in hans + hant}
    pairs = []
    for a in hans:
        for b in hant:
            if ids[a] and ids[a] == ids[b]:
                pairs.append((a, b))
    return pairs


def _segment_scripts(store: "Store", segment_ids: Sequence[int]) -> dict[int, str]:
    """Script of each segment (``translations_df`` does not carry it)."""
    from sqlalchemy import select

    from evals.store.engine import chunked
    from evals.store.schema import segments

    found: dict[int, str] = {}
    with store.engine.connect() as conn:
        for chunk in chunked(sorted({int(s) for s in segment_ids})):
            query = select(segments.c.id, segments.c.script).where(segments.c.id.in_(chunk))
            found.update({row.id: row.script for row in conn.execute(query)})
    return found


# ---- all runs ---------------------------------------------------------------------------------

def run_fingerprint(store: "Store", run_id: int) -> tuple[Any, ...] | None:
    """Changes whenever anything shown about the run changes (used to cache payloads); None: no such run."""
    from sqlalchemy import func, select

    from evals.store.schema import runs, scores, translations

    with store.engine.connect() as conn:
        run = conn.execute(select(runs.c.status, runs.c.finished_at, runs.c.notes_json)
                           .where(runs.c.id == run_id)).first()
        if run is None:
            return None
        n_scores, last_score = conn.execute(select(func.count(), func.max(scores.c.id))
                                            .where(scores.c.run_id == run_id)).one()
        n_translations = conn.execute(select(func.count()).where(translations.c.run_id == run_id)).scalar()
    return (run_id, run.status, str(run.finished_at), hash(run.notes_json), n_scores, last_score, n_translations)


def index_payload(store: "Store", detailed: Iterable[int] | None = None, mode: str = "static") -> dict[str, Any]:
    """Runs (newest first), metric directions and system-level history across every run.

    ``detailed`` names the runs whose run pages are available (all when None);
    history always covers every run, since it needs only system-level scores.
    """
    runs = store.list_runs()
    wanted = None if detailed is None else set(detailed)
    run_rows = []
    history = []
    metrics: set[str] = set()
    for row in runs.itertuples(index=False):
        run_id = int(row.id)
        info = store.get_run(run_id)
        system = store.scores_df(run_id, level="system")
        for name, corpus, metric, value, details in zip(system["system"], system["corpus"], system["metric"],
                                                        system["value"], system["details"]):
            ci, _ = _ci(details)
            metrics.add(metric)
            history.append([run_id, name, corpus, metric, _num(value), ci])
        run_rows.append({
            "id": run_id,
            "created_at": _iso(info["created_at"]),
            "finished_at": _iso(info["finished_at"]),
            "status": info["status"],
            "suite_name": info["suite_name"],
            "git_commit": info["git_commit"],
            "mteval_version": info["mteval_version"],
            "translations": int(row.translations),
            "systems": [s["name"] for s in info["systems"]],
            "corpora": list(info["corpus_hashes"]),
            "detailed": wanted is None or run_id in wanted,
            "url": run_url(run_id),
        })
    return {
        "schema": SCHEMA_VERSION,
        "kind": "index",
        "mode": mode,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runs": run_rows,
        "metrics": metric_info(metrics),
        "history_columns": ["run", "system", "corpus", "metric", "value", "ci"],
        "history": history,
    }


def open_store_readonly(db: str | None = None) -> "Store":
    """The results store for reading only: never created, never migrated.

    ``Store.open`` creates a missing database and applies pending migrations;
    the dashboard and ``mteval serve`` must not change the store they show, so
    a missing file or a schema this mteval would upgrade is an error instead.
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from evals.errors import InputError
    from evals.store import Store
    from evals.store.engine import create_store_engine, resolve_db_url
    from evals.store.migrations import MIGRATIONS, current_versions

    url = resolve_db_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not Path(parsed.database).is_file():
            raise InputError("no results database here", path=parsed.database, field="--db",
                             hint="`mteval run` creates one")
    engine = create_store_engine(url)
    try:
        versions = current_versions(engine)
    except BaseException:
        engine.dispose()
        raise
    expected = {m.version for m in MIGRATIONS}
    if versions != expected:
        engine.dispose()
        have = max(versions) if versions else 0
        raise InputError(
            f"the results database is at schema version {have}, this mteval reads version {max(expected)}",
            path=parsed.render_as_string(hide_password=True), field="--db",
            hint="any other mteval command (e.g. `mteval runs`) upgrades it" if have < max(expected)
            else "upgrade mteval",
        )
    return Store(engine)
