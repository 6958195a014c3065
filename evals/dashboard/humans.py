"""The "Metrics vs humans" chunk: every automatic metric of a run against each imported human metric.

One ``evals.meta.meta_report`` per (human metric, corpus it covers) — the
same numbers ``mteval meta`` prints: the systems' metric and human scores
(the scatter), Pearson, Kendall τ, pairwise accuracy, acc_eq and item τ with
their bootstrap intervals, the recommended gate metrics, and the system pairs
each metric orders against the humans. The bootstrap is the slow part, so,
like the significance chunk, this is a chunk of its own, asked for only by its
page, and copied from the previous build while the run's fingerprint (which
covers its human metrics) is unchanged.

A human metric that cannot be compared (fewer than two judged systems, no
segment scores) is listed with the reason instead of failing the build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evals.dashboard.payloads import SCHEMA_VERSION
from evals.dashboard.values import jsonable

if TYPE_CHECKING:
    from evals.dashboard.payloads import RunData


def humans_payload(run: "RunData") -> dict[str, Any]:
    """The humans chunk of one run (``reports`` is empty when the run has no human metric)."""
    return {"schema": SCHEMA_VERSION, "kind": "humans", "run": run.run_id, "reports": human_reports(run)}


def human_reports(run: "RunData") -> list[dict[str, Any]]:
    """Per (human metric, corpus): the meta-evaluation report as JSON, or ``{"error": why}``."""
    from evals.errors import InputError, UsageError
    from evals.meta import meta_report

    out = []
    for name in run.human_names:
        corpora = run.human_corpora(name)
        for corpus in corpora:
            entry: dict[str, Any] = {"human_metric": name, "corpus": corpus}
            try:
                report = meta_report(run.store, run.run_id, name, corpus=corpus)
            except (InputError, UsageError) as error:
                entry["error"] = str(error)
            else:
                entry["report"] = jsonable(report.to_json())
            out.append(entry)
    return out
