"""Statistics over per-segment sufficient statistics: intervals, paired tests, corrections.

* ``evals.stats.bootstrap`` -- bootstrap confidence intervals of pooled
  scores, resampling segments or documents (``bootstrap_ci``);
* ``evals.stats.paired`` -- paired bootstrap and approximate randomization
  between two systems, p-values identical to sacrebleu's ``--paired-bs`` /
  ``--paired-ar`` (``paired_bootstrap``, ``paired_randomization``);
* ``evals.stats.multiple`` -- Holm–Bonferroni correction (``holm``).

Everything is seeded (default seed 12345, sacrebleu's) and records the seed,
the number of resamples and the resampling unit it used.
"""

from evals.stats.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    MIN_DOCUMENTS,
    ConfidenceInterval,
    Resampling,
    bootstrap_ci,
    choose_resampling,
    system_ci_details,
)
from evals.stats.multiple import holm, holm_reject
from evals.stats.paired import (
    DEFAULT_TRIALS,
    PairedResult,
    paired_bootstrap,
    paired_randomization,
    paired_test,
)

__all__ = [
    "DEFAULT_LEVEL", "DEFAULT_RESAMPLES", "DEFAULT_SEED", "DEFAULT_TRIALS", "MIN_DOCUMENTS",
    "ConfidenceInterval", "PairedResult", "Resampling",
    "bootstrap_ci", "choose_resampling", "holm", "holm_reject",
    "paired_bootstrap", "paired_randomization", "paired_test", "system_ci_details",
]
