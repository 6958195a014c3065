"""Meta-evaluation: how well each automatic metric of a run agrees with imported human judgements.

``report.meta_report`` joins a stored run's metric statistics (rebuilt from the
score cache, as ``evals.compare`` does) with a human metric imported by
``mteval human import`` and computes the agreement statistics of
``evals.stats.agreement`` with bootstrap intervals; ``render`` prints it as a
table or Markdown; ``policy`` writes the metrics the humans validate into a
gate policy.
"""

from evals.meta.report import MetaReport, MetricAgreement, meta_report

__all__ = ["MetaReport", "MetricAgreement", "meta_report"]
