"""Export one run as a flat table: a row per (system, segment), a column per metric.

The table is what people load into a notebook or spreadsheet. What it cannot
hold without repeating itself on every row (suite, git commit, package
versions, corpus hashes, metric signatures) goes into a sidecar
``<name>.meta.json`` next to it; Parquet files also carry the same JSON in
their schema metadata so the file is self-describing on its own.

Files are written by ``evals.outputs`` (a temporary file renamed into
place), so a reader never sees half an export.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.errors import UsageError, did_you_mean
from evals.outputs import output_target, replacing, write_output
from evals.store.cache import canonical_json

if TYPE_CHECKING:
    import pandas as pd

    from evals.store.api import Store
    from evals.store.queries import RunRef

FORMATS = ("jsonl", "csv", "parquet")
BASE_COLUMNS = (
    "run_id",
    "system",
    "corpus",
    "doc_id",
    "seg_id",
    "para",
    "source",
    "reference",
    "references",
    "hypothesis",
    "flags",
)
PARQUET_META_KEY = b"mteval"


def export_run(store: "Store", run: "RunRef", path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write run ``run`` to ``path`` as jsonl, csv or parquet (default: from the suffix).

    Returns the path of the table; the sidecar is ``meta_path(path)``.
    ``reference`` is a segment's first reference and ``references`` all of
    them. In CSV the ``references`` and ``flags`` lists are written as JSON
    arrays, since CSV has no lists.
    """
    path = Path(path)
    fmt = _format_for(path, fmt)
    run_id = store.resolve_run(run)
    output_target(path, field="--out")  # a folder or a FIFO fails before the table is built
    output_target(meta_path(path), field="--out")
    table = run_table(store, run_id)
    meta = _run_meta(store, run_id, table, fmt)
    writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[fmt]
    writer(table, path, meta)
    write_output(meta_path(path), json.dumps(meta, ensure_ascii=False, indent=2) + "\n", field="--out")
    return path


def meta_path(path: str | os.PathLike[str]) -> Path:
    """The sidecar of an export: ``run.csv`` → ``run.meta.json``."""
    return Path(path).with_suffix(".meta.json")


def run_table(store: "Store", run_id: int) -> "pd.DataFrame":
    """The export rows: translations with one column per segment-level metric."""
    translations = store.translations_df(run_id)
    translations.insert(0, "run_id", run_id)
    scores = store.scores_df(run_id, level="segment")
    keys = ["system_id", "segment_id"]
    if scores.empty:
        return translations[list(BASE_COLUMNS)]
    wide = (
        scores.drop_duplicates([*keys, "metric"], keep="last")
        .pivot(index=keys, columns="metric", values="value")
    )
    metrics = list(dict.fromkeys(scores["metric"]))
    wide = wide[metrics].rename(columns=_metric_column).reset_index()
    wide.columns.name = None
    table = translations.merge(wide, on=keys, how="left", validate="one_to_one")
    return table[[*BASE_COLUMNS, *(_metric_column(m) for m in metrics)]]


def _metric_column(metric: str) -> str:
    # A metric called e.g. "source" must not overwrite the source text.
    return f"score_{metric}" if metric in BASE_COLUMNS else metric


def _format_for(path: Path, fmt: str | None) -> str:
    chosen = fmt if fmt is not None else path.suffix.lstrip(".").lower()
    if chosen not in FORMATS:
        what = f"export format {chosen!r}" if fmt is not None else f"file suffix {path.suffix!r}"
        raise UsageError(
            f"unknown {what}; use one of {', '.join(FORMATS)}",
            hint=did_you_mean(chosen, FORMATS) if chosen else None,
        )
    return chosen


def _run_meta(store: "Store", run_id: int, table: "pd.DataFrame", fmt: str) -> dict[str, Any]:
    run = store.get_run(run_id)
    scores = store.scores_df(run_id)
    signatures = {
        metric: sorted(set(group["signature"]))
        for metric, group in scores.groupby("metric", sort=True)
    }
    return {
        "format": fmt,
        "rows": len(table),
        "columns": list(table.columns),
        "run": _jsonable(run),
        "signatures": signatures,
    }


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj


def _cell(value: Any) -> Any:
    """A JSON-ready cell: NaN (a missing score) becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, str)):
        return _cell(value.item())  # numpy scalars
    return value


def _write_jsonl(table: "pd.DataFrame", path: Path, _meta: dict[str, Any]) -> None:
    columns = list(table.columns)
    with replacing(path, field="--out") as tmp, tmp.open("w", encoding="utf-8", newline="\n") as out:
        for values in table.itertuples(index=False, name=None):
            row = {c: _cell(v) for c, v in zip(columns, values)}
            out.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")


def _write_csv(table: "pd.DataFrame", path: Path, _meta: dict[str, Any]) -> None:
    flat = table.assign(references=[canonical_json(list(r)) for r in table["references"]],
                        flags=[canonical_json(list(f)) for f in table["flags"]])
    with replacing(path, field="--out") as tmp:
        flat.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")


def _write_parquet(table: "pd.DataFrame", path: Path, meta: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    metric_columns = [c for c in table.columns if c not in BASE_COLUMNS]
    fields = [
        pa.field("run_id", pa.int64()),
        *(pa.field(c, pa.string()) for c in ("system", "corpus", "doc_id", "seg_id")),
        pa.field("para", pa.int64()),
        *(pa.field(c, pa.string()) for c in ("source", "reference")),
        pa.field("references", pa.list_(pa.string())),
        pa.field("hypothesis", pa.string()),
        pa.field("flags", pa.list_(pa.string())),
        *(pa.field(c, pa.float64()) for c in metric_columns),
    ]
    columns = {name: [_cell(v) for v in table[name]] for name in table.columns}
    schema = pa.schema(fields, metadata={PARQUET_META_KEY: json.dumps(meta, ensure_ascii=False)})
    arrow = pa.Table.from_pydict(columns, schema=schema)
    with replacing(path, field="--out") as tmp:
        pq.write_table(arrow, tmp)
