"""Statistics over per-segment sufficient statistics: intervals, paired tests, corrections.

* ``evals.stats.bootstrap`` -- bootstrap confidence intervals of pooled
  scores, resampling segments or documents (``bootstrap_ci``);
* ``evals.stats.paired`` -- paired bootstrap and approximate randomization
  between two systems, p-values identical to sacrebleu's ``--paired-bs`` /
  ``--paired-ar`` (``paired_bootstrap``, ``paired_randomization``), the
  bootstrap of every pair of several systems on shared resamples
  (``paired_bootstrap_matrix``) and a sign-flip test on mean segment scores
  (``paired_sign_flip``);
* ``evals.stats.multiple`` -- Holm–Bonferroni correction (``holm``, ``holm_matrix``);
* ``evals.stats.resolution`` -- how many resamples a family of m corrected
  tests needs so that its smallest attainable adjusted p is well below alpha
  (``resamples_for``);
* ``evals.stats.clusters`` -- WMT-style significance clusters of N ranked
  systems (``significance_clusters``);
* ``evals.stats.agreement`` -- meta-evaluation: how well a metric agrees with
  human scores (system-level Pearson, Kendall τ-b, pairwise accuracy and the
  discordant pairs: ``system_agreement``; segment-level tie-calibrated
  accuracy and item-grouped τ-b: ``tie_calibrated_accuracy``, ``item_kendall``);
* ``evals.stats.agreement_bootstrap`` -- their bootstrap intervals over items
  or documents and the paired test between two metrics
  (``bootstrap_agreement``, ``compare_metrics``).

Everything is seeded (default seed 12345, sacrebleu's) and records the seed,
the number of resamples and the resampling unit it used.
"""

import importlib
from typing import Any

# Public names → the module defining them. Imported on first use (PEP 562), so
# ``evals.stats.settings`` (what a run key hashes) loads without numpy.
_EXPORTS = {
    **dict.fromkeys(("BOOTSTRAP", "BootstrapSettings", "DEFAULT_LEVEL", "DEFAULT_RESAMPLES", "DEFAULT_SEED",
                     "MIN_DOCUMENTS"), "evals.stats.settings"),
    **dict.fromkeys(("ConfidenceInterval", "Resampling", "bootstrap_ci", "choose_resampling", "interval_details",
                     "system_ci_details"), "evals.stats.bootstrap"),
    **dict.fromkeys(("holm", "holm_matrix", "holm_reject"), "evals.stats.multiple"),
    **dict.fromkeys(("DEFAULT_TRIALS", "PairedResult", "paired_bootstrap", "paired_bootstrap_matrix",
                     "paired_bootstrap_stratified", "paired_randomization", "paired_sign_flip", "paired_test"),
                   "evals.stats.paired"),
    **dict.fromkeys(("RankedSystem", "significance_clusters"), "evals.stats.clusters"),
    **dict.fromkeys(("ItemKendall", "SystemAgreement", "SystemPair", "TieCalibratedAccuracy", "item_kendall",
                     "segment_pairs", "system_agreement", "tie_calibrated_accuracy"), "evals.stats.agreement"),
    **dict.fromkeys(("AgreementBootstrap", "MetricComparison", "StatisticInterval", "bootstrap_agreement",
                     "compare_metrics"), "evals.stats.agreement_bootstrap"),
    **dict.fromkeys(("MAX_RESAMPLES", "MIN_RESAMPLES", "MARGIN", "Resolution", "fixed_resamples", "resamples_for"),
                    "evals.stats.resolution"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evals.stats' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
