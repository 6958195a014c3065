"""Tables that summarise a run for the CLI: the leaderboard table, per-document scores, worst segments.

Library functions returning plain rows or pandas DataFrames; the CLI renders
them as rich tables, JSON or CSV. The leaderboard itself is
``Store.leaderboard`` (also what the dashboard shows); here it is only laid out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evals.metrics import higher_is_better, metric_order

if TYPE_CHECKING:
    import pandas as pd

LEVEL_ORDER = ["system", "document", "segment"]


def leaderboard_table(store, run_id: int) -> list[dict]:
    """``Store.leaderboard`` as the CLI prints it: one row per (corpus, system, level), one
    column per metric, plus flag rates.

    System level is the pooled corpus score; document and segment levels are
    the means of the stored document and segment scores. Plain rows, no
    pandas: this runs at the end of every ``mteval run``.

    System rows also count error spans by severity, one column per span
    source and severity (``"<source> <severity> spans"``: each xCOMET metric,
    each imported MQM/ESA human metric; ``Store.error_span_counts``), for the
    sources that marked any span in the corpus (0 for a system without).

    A corpus with scores but no translations of its own (a split such as
    ``wmt22 · origlang=zh``, see ``evals.scoring.splits``) has system rows
    only, after the corpus it splits (splits in name order), and no flag
    rates.
    """
    board = store.leaderboard(run_id)
    flags = store.flag_summary(run_id)
    spans = _span_columns(store.error_span_counts(run_id))
    metrics = metric_order({r["metric"] for r in board})
    values = {(r["corpus"], r["system"], r["level"], r["metric"]): r["value"] for r in board}
    scored = {(r["corpus"], r["system"]) for r in board}
    translated = list(dict.fromkeys(f["corpus"] for f in flags))
    derived = [c for c in dict.fromkeys(r["corpus"] for r in board) if c not in translated]
    corpora = [c for corpus in translated for c in (corpus, *(d for d in derived if _split_of(d, corpus)))]
    corpora += [c for c in derived if c not in corpora]
    rows = []
    for corpus in corpora:
        if corpus not in translated:
            rows += _derived_rows(board, corpus, metrics, values)
            continue
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
                    columns, counts = spans.get(corpus, ([], {}))
                    row.update((column, counts.get((system, column), 0)) for column in columns)
                rows.append(row)
    return rows


def _span_columns(counts: list[dict]) -> dict[str, tuple[list[str], dict[tuple[str, str], int]]]:
    """{corpus: (its span columns in order, {(system, column): count})} from ``Store.error_span_counts``."""
    from evals.store.queries import SPAN_SEVERITIES, severity_order

    out: dict[str, tuple[list[str], dict[tuple[str, str], int]]] = {}
    for corpus in dict.fromkeys(r["corpus"] for r in counts):
        mine = [r for r in counts if r["corpus"] == corpus]
        columns = []
        for kind, source in dict.fromkeys((r["kind"], r["source"]) for r in mine):
            found = {r["severity"] for r in mine if r["source"] == source and r["kind"] == kind}
            severities = sorted(found | (set(SPAN_SEVERITIES) if kind == "metric" else set()), key=severity_order)
            columns += [f"{source} {severity} spans" for severity in severities]
        values = {(r["system"], f"{r['source']} {r['severity']} spans"): r["count"] for r in mine}
        out[corpus] = (columns, values)
    return out


def _split_of(name: str, corpus: str) -> bool:
    from evals.scoring.splits import SEPARATOR

    return name.startswith(corpus + SEPARATOR)


def _derived_rows(board: list[dict], corpus: str, metrics: list[str], values: dict) -> list[dict]:
    """System rows of a corpus without translations: its metrics and the segments behind its scores."""
    rows = []
    for system in dict.fromkeys(r["system"] for r in board if r["corpus"] == corpus and r["level"] == "system"):
        row = {"corpus": corpus, "system": system, "level": "system"}
        row.update((metric, values.get((corpus, system, "system", metric))) for metric in metrics)
        counts = [(r["details"] or {}).get("segments") for r in board
                  if r["corpus"] == corpus and r["system"] == system and r["level"] == "system"]
        row["segments"] = next((n for n in counts if n is not None), None)
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
    return table[metric_order(table.columns)].reset_index()


def worst_segments(store, run_id: int, metric: str, n: int, system: str | None = None) -> "pd.DataFrame":
    return store.worst_segments(run_id, metric, n=n, system=system, higher_is_better=higher_is_better(metric))
