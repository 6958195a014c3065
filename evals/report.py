"""Tables that summarise a run: leaderboards, per-document scores, worst segments.

Library functions returning pandas DataFrames; the CLI renders them as rich
tables, JSON or CSV, and the dashboard reuses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

METRIC_ORDER = ["bleu", "chrf", "chrf++", "ter"]
LEVEL_ORDER = ["system", "document", "segment"]


def _metric_columns(metrics) -> list[str]:
    known = [m for m in METRIC_ORDER if m in set(metrics)]
    return known + sorted(set(metrics) - set(known))


def leaderboard(store, run_id: int) -> list[dict]:
    """One row per (corpus, system, level); one column per metric; plus flag rates.

    System level is the pooled corpus score; document and segment levels are
    the means of the stored document and segment scores. Plain rows, no
    pandas: this runs at the end of every ``mteval run``.
    """
    summary = store.score_summary(run_id)
    flags = store.flag_summary(run_id)
    metrics = _metric_columns({r["metric"] for r in summary})
    values = {(r["corpus"], r["system"], r["level"], r["metric"]): r["value"] for r in summary}
    scored = {(r["corpus"], r["system"]) for r in summary}
    corpora = list(dict.fromkeys([f["corpus"] for f in flags] + [r["corpus"] for r in summary]))
    rows = []
    for corpus in corpora:
        for entry in (f for f in flags if f["corpus"] == corpus):
            system = entry["system"]
            levels = LEVEL_ORDER if (corpus, system) in scored else ["system"]
            for level in levels:
                row = {"corpus": corpus, "system": system, "level": level}
                for metric in metrics:
                    if (corpus, system) in scored:
                        row[metric] = values.get((corpus, system, level, metric))
                if level == "system":
                    n = entry["segments"]
                    row["segments"] = n
                    row["untranslated"] = entry["flags"].get("untranslated", 0) / n
                    row["off-target"] = entry["flags"].get("off-target", 0) / n
                rows.append(row)
    return rows


def document_scores(store, run_id: int) -> "pd.DataFrame":
    """One row per (corpus, document, system); one column per metric."""
    import pandas as pd

    scores = store.scores_df(run_id, level="document")
    if scores.empty:
        return pd.DataFrame()
    table = scores.pivot_table(index=["corpus", "doc_id", "system"], columns="metric", values="value",
                               sort=False)
    return table[_metric_columns(table.columns)].reset_index()


def worst_segments(store, run_id: int, metric: str, n: int, system: str | None = None) -> "pd.DataFrame":
    from evals.metrics import get_metric

    higher_is_better = get_metric(metric).higher_is_better if metric in METRIC_ORDER else True
    return store.worst_segments(run_id, metric, n=n, system=system, higher_is_better=higher_is_better)
